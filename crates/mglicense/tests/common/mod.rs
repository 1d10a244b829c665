//! What the engine's end-to-end tests share: an in-process emulator and a client connected to it.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use graph_emulator::auth::{Claims, Grant};
use graph_emulator::{BackgroundEmulator, Config, Tenant};
use mglicense::client::ConnectRequest;
use mglicense::environment::NewEnvironment;
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
