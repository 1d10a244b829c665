//! Graph and login endpoints over TLS, on loopback: certificate validation is always on, and a
//! Graph answer that redirects never takes the token off https or to another host.
//!
//! The certificates are test fixtures under tests/data/tls (self-signed, for localhost and
//! other.localhost, pinned to 127.0.0.1 and 127.0.0.2). The clients trust `test-only-trusted-test-root` as an extra root
//! (`extraRootCertificates`, which works with OpenSSL and SChannel alike); `test-only-untrusted`
//! is trusted by nothing. The loopback servers are rustls, so they run on every platform (an
//! SChannel server cannot be stood up under Wine); the engine's side is the platform's TLS.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use mglicense::environment::NewEnvironment;
use mglicense::retry::RequestContextUpdate;
use mglicense::{Client, ClientConfig, ErrorKind, RequestSpec};
use serde_json::json;

const TOKEN: &str = "tls-test-token-0123456789abcdef";
const APP: &str = "6e1b7a55-39c4-4b7e-9a5e-1f0d2c3b4a59";
const SECRET: &str = "tls-test-secret-Value_0123456789";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/tls")
        .join(name)
}

fn test_root() -> String {
    std::fs::read_to_string(fixture("test-only-trusted-test-root.cert.pem")).unwrap()
}

/// What a TLS server saw: every byte off the wire (still encrypted), each request head it could
/// decrypt, and how each connection that carried no request ended.
#[derive(Default)]
struct Seen {
    raw: Vec<u8>,
    heads: Vec<String>,
    /// Connections whose handshake did not complete.
    handshake_failures: usize,
    /// Connections whose handshake completed and which then closed without a byte of a request.
    closed_without_a_request: usize,
    /// Connections on which the client went on with the handshake after the server's certificate
    /// (a handshake record after its ClientHello: in TLS 1.2 its key exchange), which a client
    /// that refuses the certificate must not do.
    answered_the_certificate: usize,
}

/// A TCP stream that copies what it reads into `Seen::raw`, and into `connection` for this
/// connection alone.
struct Recording {
    stream: TcpStream,
    seen: Arc<Mutex<Seen>>,
    connection: Vec<u8>,
}

impl Read for Recording {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.stream.read(buf)?;
        self.seen.lock().unwrap().raw.extend_from_slice(&buf[..n]);
        self.connection.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Write for Recording {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.stream.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

/// Whether the platform's TLS refuses a server's certificate before it answers it, so that a refused
/// server never sees the handshake finish: OpenSSL does; schannel-rs (native-tls on Windows) does
/// in the cross build, which patches it for that (build/windows/patches) and says so with
/// MGLICENSE_TEST_SCHANNEL_CHECKS_FIRST. Unpatched, it answers first and then refuses; no request
/// is sent either way.
fn refuses_before_answering() -> bool {
    !cfg!(windows) || std::env::var_os("MGLICENSE_TEST_SCHANNEL_CHECKS_FIRST").is_some()
}

/// The number of TLS handshake records (content type 22) in what a client sent on one connection.
/// The first is its ClientHello; in TLS 1.2 another one means it answered the server's certificate
/// (its key exchange). SChannel through native-tls speaks TLS 1.2 at most; in TLS 1.3 (OpenSSL
/// here) the answer is encrypted and not seen here, but OpenSSL checks the certificate first.
fn handshake_records(mut sent: &[u8]) -> usize {
    let mut count = 0;
    while sent.len() >= 5 {
        count += usize::from(sent[0] == 22);
        let length = 5 + usize::from(u16::from_be_bytes([sent[3], sent[4]]));
        sent = &sent[length.min(sent.len())..];
    }
    count
}

/// The loopback address each test host name is pinned to (the clients resolve them without DNS).
/// The servers are named rather than addressed: an IP address is not a server name (RFC 6066),
/// and rustls refuses a handshake that gives one, as OpenSSL's client does.
const HOSTS: [(&str, [u8; 4]); 2] = [
    ("localhost", [127, 0, 0, 1]),
    ("other.localhost", [127, 0, 0, 2]),
];

/// Serves https as `host` (one of [`HOSTS`]) with the fixture certificate `cert`, answering every
/// request with `status`, `headers` and `body`.
fn serve_tls(
    host: &str,
    cert: &str,
    status: &'static str,
    headers: Vec<String>,
    body: &'static str,
) -> (String, Arc<Mutex<Seen>>) {
    let pem = std::fs::read(fixture(&format!("{cert}.cert.pem"))).unwrap();
    let key = std::fs::read(fixture(&format!("{cert}.key.pem"))).unwrap();
    let certs = rustls_pemfile::certs(&mut &pem[..]).unwrap();
    let key = rustls_pemfile::pkcs8_private_keys(&mut &key[..])
        .unwrap()
        .remove(0);
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_safe_defaults()
            .with_no_client_auth()
            .with_single_cert(
                certs.into_iter().map(rustls::Certificate).collect(),
                rustls::PrivateKey(key),
            )
            .unwrap(),
    );
    let address = HOSTS.iter().find(|(name, _)| *name == host).unwrap().1;
    let listener = TcpListener::bind((std::net::Ipv4Addr::from(address), 0)).unwrap();
    let url = format!("https://{host}:{}", listener.local_addr().unwrap().port());
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let log = Arc::clone(&seen);
    let headers = Arc::new(headers);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (log, config, headers) =
                (Arc::clone(&log), Arc::clone(&config), Arc::clone(&headers));
            thread::spawn(move || {
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut socket = Recording {
                    stream,
                    seen: Arc::clone(&log),
                    connection: Vec::new(),
                };
                let mut server = rustls::ServerConnection::new(config).unwrap();
                if server.complete_io(&mut socket).is_err() || server.is_handshaking() {
                    // Whatever the client still sends before it closes counts too.
                    let _ = std::io::copy(&mut socket, &mut std::io::sink());
                    let mut log = log.lock().unwrap();
                    log.handshake_failures += 1;
                    log.answered_the_certificate +=
                        usize::from(handshake_records(&socket.connection) > 1);
                    return;
                }
                let mut tls = rustls::StreamOwned::new(server, socket);
                let mut head = String::new();
                {
                    let mut reader = BufReader::new(&mut tls);
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        head.push_str(&line);
                    }
                }
                let mut log = log.lock().unwrap();
                log.answered_the_certificate +=
                    usize::from(handshake_records(&tls.sock.connection) > 1);
                if head.is_empty() {
                    log.closed_without_a_request += 1;
                    return;
                }
                log.heads.push(head);
                drop(log);
                let mut answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for h in headers.iter() {
                    answer.push_str(h);
                    answer.push_str("\r\n");
                }
                answer.push_str("\r\n");
                answer.push_str(body);
                let _ = tls.write_all(answer.as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (url, seen)
}

/// Serves https as `host` with the trusted fixture, answering every request with a user.
fn serve_user(host: &str) -> (String, Arc<Mutex<Seen>>) {
    serve_tls(
        host,
        "test-only-trusted-test-root",
        "200 OK",
        vec!["Content-Type: application/json".into()],
        r#"{"id":"u1"}"#,
    )
}

/// A plain-http listener that records whatever reaches it.
fn serve_plain(host: &str) -> (String, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind((host, 0)).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<u8>>> = Arc::default();
    let log = Arc::clone(&seen);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            stream
                .set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            log.lock().unwrap().extend_from_slice(&buf[..n]);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"id\":\"u1\"}");
        }
    });
    (url, seen)
}

/// A client configuration with the test host names pinned, trusting `roots` beside the system's.
fn config(roots: Option<String>) -> ClientConfig {
    ClientConfig {
        timeout_seconds: Some(5),
        extra_root_certificates: roots,
        resolve: HOSTS
            .iter()
            .map(|(name, address)| (name.to_string(), (*address, 0).into()))
            .collect(),
        ..Default::default()
    }
}

/// A client that trusts the test root beside the system's.
fn trusting_client() -> Arc<Client> {
    Client::new(config(Some(test_root()))).unwrap()
}

fn client_for(url: &str) -> Arc<Client> {
    common::connected_client(
        config(Some(test_root())),
        "Tls",
        url,
        TOKEN,
        common::one_try(),
    )
}

fn reprocess() -> RequestSpec {
    serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": "u1"}))
        .unwrap()
}

/// The same call sent from the waiting thread, on a client of its own with the same TLS rules.
fn reprocess_on_waiting_thread() -> RequestSpec {
    serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": "u1", "onWaitingThread": true})).unwrap()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_trusted_loopback_https_endpoint_works() {
    // The control: with the trusted fixture the same server answers, so the failures below are
    // the certificate's and nothing else's.
    let (url, seen) = serve_user("localhost");
    let client = client_for(&url);
    for spec in [reprocess(), reprocess_on_waiting_thread()] {
        let r = client
            .execute(&spec)
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(r.body_value().unwrap()["id"], "u1");
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.heads.len(), 2, "{:?}", seen.heads);
    assert!(
        seen.heads[0].contains(&format!("Bearer {TOKEN}")),
        "{:?}",
        seen.heads
    );
    assert!(
        !contains(&seen.raw, TOKEN),
        "the token crossed the wire in clear"
    );
}

#[test]
fn an_invalid_certificate_is_a_transport_error_and_nothing_is_sent() {
    let (url, seen) = serve_tls(
        "localhost",
        "test-only-untrusted",
        "200 OK",
        vec!["Content-Type: application/json".into()],
        r#"{"id":"u1"}"#,
    );
    let client = client_for(&url);
    for spec in [reprocess(), reprocess_on_waiting_thread()] {
        let e = client
            .execute(&spec)
            .expect_err("a self-signed certificate must not be accepted");
        assert_eq!(e.kind, ErrorKind::Transport, "{}", e.message);
        // OpenSSL's words, or the engine's for SChannel's code (CERT_E_UNTRUSTEDROOT).
        let refused = if cfg!(windows) {
            "certificate chain ends in a root that is not trusted"
        } else {
            "certificate verify failed"
        };
        assert!(
            e.message.contains(&url) && e.message.contains(refused),
            "{}",
            e.message
        );
        assert!(
            !e.message.contains(TOKEN) && !e.to_json().contains(TOKEN),
            "{}",
            e.message
        );
    }
    thread::sleep(Duration::from_millis(200));
    let seen = seen.lock().unwrap();
    assert!(
        seen.heads.is_empty(),
        "a request was sent: {:?}",
        seen.heads
    );
    assert!(
        seen.handshake_failures + seen.closed_without_a_request >= 2,
        "the handshake was not even tried each time"
    );
    if refuses_before_answering() {
        assert_eq!(
            (seen.answered_the_certificate, seen.closed_without_a_request),
            (0, 0),
            "the client went on with the handshake past the certificate it refused"
        );
    }
    assert!(
        !contains(&seen.raw, TOKEN) && !contains(&seen.raw, "Bearer"),
        "the token went out"
    );
}

#[test]
fn an_invalid_certificate_on_the_login_authority_keeps_the_client_secret() {
    let (url, seen) = serve_tls(
        "localhost",
        "test-only-untrusted",
        "200 OK",
        vec!["Content-Type: application/json".into()],
        r#"{"access_token":"x","expires_in":3600}"#,
    );
    let client = trusting_client();
    client
        .add_environment(NewEnvironment {
            name: "Tls".into(),
            graph_endpoint: url.clone(),
            azure_ad_endpoint: url.clone(),
        })
        .unwrap();
    let request = json!({"environment": "Tls", "clientId": APP, "tenantId": "contoso", "clientSecret": SECRET});
    let started = client
        .sign_in_with_env(serde_json::from_value(request).unwrap(), &|_: &str| None)
        .unwrap();
    let e = started
        .poll(Some(Duration::from_secs(30)))
        .outcome
        .expect("the sign-in ends")
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::AuthenticationFailed, "{}", e.message);
    assert!(
        e.message.contains(&url) && e.message.contains("certificate"),
        "{}",
        e.message
    );
    assert!(!e.message.contains(SECRET) && !e.to_json().contains(SECRET));
    assert!(
        client.context().is_none(),
        "a failed sign-in leaves no connection"
    );
    thread::sleep(Duration::from_millis(200));
    let seen = seen.lock().unwrap();
    assert!(
        seen.heads.is_empty() && !contains(&seen.raw, SECRET),
        "the secret went out"
    );
    if refuses_before_answering() {
        assert_eq!(
            (seen.answered_the_certificate, seen.closed_without_a_request),
            (0, 0),
            "the client went on with the handshake past the certificate it refused"
        );
    }
}

#[test]
fn a_redirect_from_https_to_http_is_refused_before_anything_is_sent() {
    let (plain, plain_seen) = serve_plain("127.0.0.1");
    for target in [plain.clone(), plain.replace("127.0.0.1", "localhost")] {
        let location = format!("Location: {target}/v1.0/users/u1/reprocessLicenseAssignment");
        for (status, spec) in [
            ("301 Moved Permanently", reprocess()),
            ("302 Found", reprocess_on_waiting_thread()),
            ("307 Temporary Redirect", reprocess()),
            ("308 Permanent Redirect", reprocess_on_waiting_thread()),
        ] {
            let (url, seen) = serve_tls(
                "localhost",
                "test-only-trusted-test-root",
                status,
                vec![location.clone()],
                "",
            );
            let e = client_for(&url)
                .execute(&spec)
                .expect_err("an https to http redirect must fail");
            assert_eq!(e.kind, ErrorKind::Transport, "{status}: {}", e.message);
            assert!(
                e.message
                    .contains("refused a redirect from https to another scheme"),
                "{status}: {}",
                e.message
            );
            assert!(!e.message.contains(TOKEN), "{}", e.message);
            assert_eq!(seen.lock().unwrap().heads.len(), 1, "{status}: asked once");
        }
    }
    thread::sleep(Duration::from_millis(200));
    assert!(
        plain_seen.lock().unwrap().is_empty(),
        "the http target received {:?}",
        String::from_utf8_lossy(&plain_seen.lock().unwrap())
    );
}

#[test]
fn a_redirect_to_another_https_host_drops_the_authorization_header() {
    let (other, other_seen) = serve_user("other.localhost");
    // localhost to other.localhost, and the same host on another port: both leave the origin.
    let (other_port, other_port_seen) = serve_user("localhost");
    // The first on the engine's threads, the second from the waiting thread.
    for (target, target_seen, spec) in [
        (other, &other_seen, reprocess()),
        (other_port, &other_port_seen, reprocess_on_waiting_thread()),
    ] {
        let location = format!("Location: {target}/v1.0/users/u1/reprocessLicenseAssignment");
        let (url, seen) = serve_tls(
            "localhost",
            "test-only-trusted-test-root",
            "307 Temporary Redirect",
            vec![location],
            "",
        );
        let r = client_for(&url)
            .execute(&spec)
            .unwrap_or_else(|e| panic!("{target}: {}", e.message));
        assert_eq!(r.status, 200);
        assert!(
            seen.lock().unwrap().heads[0].contains(TOKEN),
            "the first host gets the token"
        );
        let heads = &target_seen.lock().unwrap().heads;
        assert_eq!(heads.len(), 1, "{target}: the redirect was followed");
        assert!(
            !heads[0].contains(TOKEN) && !heads[0].to_ascii_lowercase().contains("authorization"),
            "{target}: {}",
            heads[0]
        );
    }
}

#[test]
fn extra_roots_come_from_the_sign_in_else_the_client_and_a_blank_field_trusts_none() {
    let (url, seen) = serve_user("localhost");
    // (the client's roots, the sign-in's roots, whether the test root is trusted)
    for (client_roots, sign_in_roots, trusted) in [
        (None, Some(test_root()), true),
        (Some(test_root()), None, true),
        (Some(test_root()), Some(" ".to_string()), false),
        (None, None, false),
    ] {
        let client = Client::new(config(client_roots.clone())).unwrap();
        client
            .add_environment(NewEnvironment {
                name: "Tls".into(),
                graph_endpoint: url.clone(),
                azure_ad_endpoint: url.clone(),
            })
            .unwrap();
        let mut request = json!({"environment": "Tls", "accessToken": TOKEN});
        if let Some(pem) = &sign_in_roots {
            request["extraRootCertificates"] = json!(pem);
        }
        client
            .sign_in_with_env(serde_json::from_value(request).unwrap(), &|_: &str| None)
            .unwrap()
            .poll(Some(Duration::from_secs(30)))
            .outcome
            .expect("the sign-in ends")
            .unwrap();
        client
            .set_request_context(RequestContextUpdate {
                max_retry: Some(0),
                ..Default::default()
            })
            .unwrap();
        let outcome = client.execute(&reprocess());
        let case = (client_roots.is_some(), sign_in_roots.as_deref());
        match (outcome, trusted) {
            (Ok(r), true) => assert_eq!(r.status, 200, "{case:?}"),
            (Err(e), false) => assert_eq!(e.kind, ErrorKind::Transport, "{case:?}: {}", e.message),
            (Ok(_), false) => panic!("{case:?}: the test root was trusted"),
            (Err(e), true) => panic!("{case:?}: {}", e.message),
        }
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.heads.len(), 2);
    if refuses_before_answering() {
        // At most the two clients that trusted the root answered its certificate (all that
        // `handshake_records` sees), and no handshake finished without a request.
        assert!(
            seen.answered_the_certificate <= 2 && seen.closed_without_a_request == 0,
            "{} answered the certificate, {} closed without a request",
            seen.answered_the_certificate,
            seen.closed_without_a_request
        );
    }
}
