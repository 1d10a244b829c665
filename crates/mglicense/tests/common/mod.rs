//! What the engine's end-to-end tests share: an in-process emulator and a client connected to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;

use graph_emulator::auth::{Claims, Grant};
use graph_emulator::{BackgroundEmulator, Config, Tenant};
use mglicense::client::ConnectRequest;
use mglicense::environment::NewEnvironment;
use mglicense::retry::RequestContextUpdate;
use mglicense::{Client, ClientConfig, RequestSpec};
use serde_json::json;

pub struct Fixture {
    pub emulator: BackgroundEmulator,
    pub client: Arc<Client>,
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn token(emulator: &BackgroundEmulator, permissions: &[&str], expires_in: i64) -> String {
    let tenant_id = emulator.state().tenant().tenant_id().to_string();
    let grant = Grant {
        app_id: None,
        tenant_id,
        audience: None,
        permissions: permissions.iter().map(|p| p.to_string()).collect(),
        user: None,
        expires_in,
    };
    emulator
        .state()
        .tokens()
        .mint(&Claims::from_grant(&grant, now()))
}

pub fn fixture() -> Fixture {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/tenant.json");
    fixture_with(Tenant::load(&seed).unwrap())
}

/// An emulator serving `tenant`, and a client connected to it.
pub fn fixture_with(tenant: Tenant) -> Fixture {
    fixture_from(Config::new(tenant))
}

/// An emulator started with `config`, and a client connected to it.
pub fn fixture_from(config: Config) -> Fixture {
    let emulator = BackgroundEmulator::start(config).unwrap();
    let client = Client::new(ClientConfig::default()).unwrap();
    let url = emulator.base_url().to_string();
    client
        .add_environment(NewEnvironment {
            name: "Emulator".into(),
            graph_endpoint: url.clone(),
            azure_ad_endpoint: url,
        })
        .unwrap();
    let access_token = token(&emulator, &["User.ReadWrite.All"], 3600);
    client
        .connect(ConnectRequest {
            access_token: access_token.into(),
            environment: Some("Emulator".into()),
        })
        .unwrap();
    Fixture { emulator, client }
}

pub fn reprocess(user_id: &str) -> RequestSpec {
    serde_json::from_value(
        json!({"operation": "reprocessLicenseAssignment", "identity": {"UserId": user_id}}),
    )
    .unwrap()
}

pub fn logged_paths(f: &Fixture) -> Vec<String> {
    f.emulator
        .state()
        .log()
        .entries()
        .map(|e| e.path.clone())
        .collect()
}

/// A client made with `config`, signed in with `token` to the environment `name`, whose Graph and
/// login endpoints are both `url`, with the request context `context` (retries, timeouts) set.
pub fn connected_client(
    config: ClientConfig,
    name: &str,
    url: &str,
    token: &str,
    context: RequestContextUpdate,
) -> Arc<Client> {
    let client = Client::new(config).unwrap();
    client
        .add_environment(NewEnvironment {
            name: name.into(),
            graph_endpoint: url.into(),
            azure_ad_endpoint: url.into(),
        })
        .unwrap();
    client
        .connect(ConnectRequest {
            access_token: token.into(),
            environment: Some(name.into()),
        })
        .unwrap();
    client.set_request_context(context).unwrap();
    client
}

/// A request context of one try and no wait, for tests that look at what a single call sends.
pub fn one_try() -> RequestContextUpdate {
    RequestContextUpdate {
        max_retry: Some(0),
        retry_delay_seconds: Some(0),
        ..Default::default()
    }
}

/// One request as a scripted server read it: its head and its body (Content-Length bytes).
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub head: String,
    pub body: Vec<u8>,
}

/// The requests a scripted server read, in the order their connections came.
pub type Log = Arc<Mutex<Vec<Received>>>;

/// A scripted HTTP server on `host` (a loopback address): it reads each connection's request and
/// records it, then `answer` (given the connection, its number and the request) writes whatever
/// the test needs, well-formed or not.
pub fn serve(
    host: &str,
    answer: impl Fn(&mut TcpStream, usize, &Received) + Send + Sync + 'static,
) -> (String, Log) {
    let listener = TcpListener::bind((host, 0)).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let seen = Arc::clone(&log);
    let answer = Arc::new(answer);
    thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let (seen, answer) = (Arc::clone(&seen), Arc::clone(&answer));
            thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut received = Received::default();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    received.head.push_str(&line);
                }
                let length = received
                    .head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                received.body = vec![0; length];
                let _ = reader.read_exact(&mut received.body);
                seen.lock().unwrap().push(received.clone());
                answer(&mut stream, n, &received);
            });
        }
    });
    (url, log)
}

/// Writes one HTTP/1.1 answer and closes the exchange, as a hostile or odd loopback server does.
pub fn respond(stream: &mut std::net::TcpStream, status: &str, headers: &[&str], body: &[u8]) {
    use std::io::Write;
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}
