//! Servers that answer badly: each case ends in a clear error, in bounded time and memory,
//! and the token never leaves its host.
//!
//! The emulator answers like Graph; these cases need a server that misbehaves on purpose, so
//! each test runs a small scripted HTTP server on a loopback port.

mod common;

use common::{respond, serve, Log};
use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use mglicense::auth::Secret;
use mglicense::client::ConnectRequest;
use mglicense::environment::NewEnvironment;
use mglicense::proxy::ProxySettings;
use mglicense::retry::RequestContextUpdate;
use mglicense::{Client, ClientConfig, ErrorKind, RequestSpec};
use serde_json::json;

const TOKEN: &str = "opaque-test-token-0123456789";

fn client_for(url: &str) -> Arc<Client> {
    common::connected_client(
        ClientConfig::default(),
        "Hostile",
        url,
        TOKEN,
        RequestContextUpdate {
            max_retry: Some(2),
            retry_delay_seconds: Some(0),
            client_timeout_seconds: Some(2),
            ..Default::default()
        },
    )
}

fn reprocess() -> RequestSpec {
    serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": "u1"}))
        .unwrap()
}

/// The same call, sent from the waiting thread with the connection's settings (docs/abi.md).
fn reprocess_on_waiting_thread() -> RequestSpec {
    serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": "u1", "onWaitingThread": true})).unwrap()
}

#[test]
fn a_body_that_is_not_json_is_an_error_naming_the_url() {
    let (url, _) = serve("127.0.0.1", |s, _, _| {
        respond(
            s,
            "200 OK",
            &["Content-Type: application/json"],
            b"<html>login page</html>",
        )
    });
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
    assert!(
        e.message.contains("is not valid JSON") && e.message.contains(&url),
        "{}",
        e.message
    );
}

#[test]
fn a_truncated_body_is_an_error() {
    let (url, _) = serve("127.0.0.1", |s, _, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"id\":\"u1\",");
        let _ = s.shutdown(std::net::Shutdown::Both);
    });
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport, "{}", e.message);
}

#[test]
fn an_answer_that_trickles_ends_at_the_client_timeout() {
    let (url, _) = serve("127.0.0.1", |s, _, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{");
        for _ in 0..20 {
            thread::sleep(Duration::from_millis(500));
            if s.write_all(b" ").is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{}", e.message);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_huge_body_is_not_held_in_memory() {
    let (url, _) = serve("127.0.0.1", |s, _, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\n\r\n[");
        let chunk = vec![b'1'; 1 << 20];
        for _ in 0..64 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport, "{}", e.message);
    assert!(
        e.message.contains("larger than 16 MiB") && !e.message.contains("not valid JSON"),
        "{}",
        e.message
    );
}

#[test]
fn endless_429s_end_after_max_retry_with_retry_attempt_headers() {
    let (url, seen) = serve("127.0.0.1", |s, _, _| {
        respond(
            s,
            "429 Too Many Requests",
            &["Retry-After: soon"],
            br#"{"error":{"code":"TooManyRequests","message":"Please retry again later."}}"#,
        )
    });
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert_eq!(e.graph.as_ref().unwrap().code, "TooManyRequests");
    assert!(
        e.message
            .starts_with("[TooManyRequests] : Please retry again later."),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("Too many retries performed"),
        "{}",
        e.message
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "one try and two retries");
    assert!(!seen[0].head.to_ascii_lowercase().contains("retry-attempt"));
    assert!(seen[1]
        .head
        .to_ascii_lowercase()
        .contains("retry-attempt: 1"));
    assert!(seen[2]
        .head
        .to_ascii_lowercase()
        .contains("retry-attempt: 2"));
}

#[test]
fn a_503_then_success_is_retried_after_retry_after() {
    let (url, seen) = serve("127.0.0.1", |s, n, _| {
        if n == 0 {
            respond(s, "503 Service Unavailable", &["Retry-After: 1"], b"");
        } else {
            respond(
                s,
                "200 OK",
                &["Content-Type: application/json"],
                br#"{"id":"u1"}"#,
            );
        }
    });
    let started = Instant::now();
    let r = client_for(&url).execute(&reprocess()).unwrap();
    assert_eq!(r.body_value().unwrap()["id"], "u1");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried before Retry-After"
    );
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_redirect_to_another_host_does_not_carry_the_token() {
    let (other, other_seen) = serve("127.0.0.2", |s, _, _| {
        respond(s, "200 OK", &[], br#"{"id":"u1"}"#)
    });
    let location = format!("Location: {other}/v1.0/users/u1/reprocessLicenseAssignment");
    let (url, seen) = serve("127.0.0.1", move |s, _, _| {
        respond(s, "307 Temporary Redirect", &[location.as_str()], b"")
    });
    let _ = client_for(&url).execute(&reprocess());
    assert!(
        seen.lock().unwrap()[0].head.contains(TOKEN),
        "the first host gets the token"
    );
    let other_seen = other_seen.lock().unwrap();
    assert_eq!(other_seen.len(), 1, "the redirect was followed");
    assert!(
        !other_seen[0].head.contains(TOKEN)
            && !other_seen[0]
                .head
                .to_ascii_lowercase()
                .contains("authorization")
    );
}

/// A server that echoes the request's Authorization header back, in its own headers and body.
fn echo_authorization(status: &'static str) -> (String, Log) {
    serve("127.0.0.1", move |s, _, request| {
        let head = &request.head;
        let auth = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("authorization: ")
                    .or_else(|| l.strip_prefix("Authorization: "))
            })
            .unwrap_or("")
            .to_string();
        let body = format!(
            r#"{{"error":{{"code":"Echo","message":"You sent {auth}"}},"id":"u1","seen":"{auth}"}}"#
        );
        let headers = [
            "Content-Type: application/json".to_string(),
            format!("x-echo-authorization: {auth}"),
            format!("WWW-Authenticate: Bearer error=\"{auth}\""),
            format!("Authorization: {auth}"),
        ];
        respond(
            s,
            status,
            &headers.iter().map(String::as_str).collect::<Vec<_>>(),
            body.as_bytes(),
        );
    })
}

#[test]
fn a_server_echoing_the_token_back_never_gets_it_into_headers_errors_or_results() {
    let (url, seen) = echo_authorization("400 Bad Request");
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert!(
        seen.lock().unwrap()[0].head.contains(TOKEN),
        "the stub saw the token, so it echoed it"
    );
    let graph = e.graph.as_ref().expect("a Graph error");
    assert!(
        graph.headers["x-echo-authorization"][0].contains("Bearer <redacted>"),
        "{:?}",
        graph.headers
    );
    for text in [
        e.message.clone(),
        e.to_json(),
        format!("{:?}", graph.headers),
        graph.graph_message.clone(),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
    }

    let (url, _) = echo_authorization("200 OK");
    let spec: RequestSpec = serde_json::from_value(
        json!({"operation": "reprocessLicenseAssignment", "identity": "u1", "debug": true}),
    )
    .unwrap();
    let r = client_for(&url).execute(&spec).unwrap();
    let text = serde_json::to_string(&r).unwrap();
    assert!(text.contains("Bearer <redacted>"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
}

#[test]
fn a_closed_port_is_a_transport_error_that_names_the_url() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
    assert!(
        e.message.contains(&url) && !e.message.contains(TOKEN),
        "{}",
        e.message
    );
}

// Sign-in against a misbehaving login authority or managed-identity endpoint: the secret never
// follows a redirect, and a silent, slow or endless answer ends in a clear error.

const APP: &str = "6e1b7a55-39c4-4b7e-9a5e-1f0d2c3b4a59";
const SECRET: &str = "hostile-test-secret-Value_0123456789";
const IDENTITY_HEADER: &str = "hostile-test-identity-header-0123";

/// Signs in to the server at `url` with a client secret (or, given `env`, a managed identity),
/// under a ClientTimeout of `timeout` seconds.
fn sign_in_to(
    url: &str,
    timeout: u64,
    identity_env: Option<&str>,
) -> Result<serde_json::Value, mglicense::Error> {
    let client = Client::new(ClientConfig {
        timeout_seconds: Some(timeout),
        ..Default::default()
    })
    .unwrap();
    client
        .add_environment(NewEnvironment {
            name: "Hostile".into(),
            graph_endpoint: url.into(),
            azure_ad_endpoint: url.into(),
        })
        .unwrap();
    let (request, env) = match identity_env {
        Some(endpoint) => (
            json!({"environment": "Hostile", "identity": true}),
            vec![
                ("IDENTITY_ENDPOINT", endpoint.to_string()),
                ("IDENTITY_HEADER", IDENTITY_HEADER.to_string()),
            ],
        ),
        None => (
            json!({"environment": "Hostile", "clientId": APP, "tenantId": "contoso", "clientSecret": SECRET}),
            vec![],
        ),
    };
    let lookup = move |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
    let started = client.sign_in_with_env(serde_json::from_value(request).unwrap(), &lookup)?;
    let outcome = started
        .poll(Some(Duration::from_secs(30)))
        .outcome
        .expect("the sign-in ends");
    assert!(
        client.context().is_none() || outcome.is_ok(),
        "a failed sign-in leaves no connection"
    );
    outcome
}

fn assert_no_secret(e: &mglicense::Error) {
    for secret in [SECRET, IDENTITY_HEADER] {
        assert!(
            !e.message.contains(secret) && !e.to_json().contains(secret),
            "{}",
            e.message
        );
    }
}

#[test]
fn a_token_endpoint_that_redirects_sends_the_secret_nowhere_else() {
    let (other, other_seen) = serve("127.0.0.2", |s, _, _| {
        respond(
            s,
            "200 OK",
            &[],
            br#"{"access_token":"stolen","expires_in":3600}"#,
        )
    });
    for status in [
        "307 Temporary Redirect",
        "308 Permanent Redirect",
        "302 Found",
    ] {
        let location = format!("Location: {other}/contoso/oauth2/v2.0/token");
        let (url, seen) = serve("127.0.0.1", move |s, _, _| {
            respond(s, status, &[location.as_str()], b"")
        });
        let e = sign_in_to(&url, 5, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::AuthenticationFailed, "{}", e.message);
        let endpoint = format!("{url}/contoso/oauth2/v2.0/token");
        assert!(
            e.message.contains(&endpoint) && e.message.contains("redirect to http://127.0.0.2"),
            "{}",
            e.message
        );
        assert_no_secret(&e);
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "{status}: asked once, not retried"
        );

        // The App Service managed identity protocol sends its secret as a header.
        let e = sign_in_to(&url, 5, Some(&format!("{url}/msi/token"))).unwrap_err();
        assert!(
            e.message.contains(&format!("{url}/msi/token"))
                && e.message.contains("never redirected"),
            "{}",
            e.message
        );
        assert_no_secret(&e);
    }
    thread::sleep(Duration::from_millis(200));
    assert!(
        other_seen.lock().unwrap().is_empty(),
        "the redirect target received {:?}",
        other_seen.lock().unwrap()
    );
}

#[test]
fn a_token_endpoint_that_never_answers_ends_at_the_timeout() {
    let (url, _) = serve("127.0.0.1", |_, _, _| {
        thread::sleep(Duration::from_secs(20))
    });
    for identity in [None, Some(format!("{url}/msi/token"))] {
        let started = Instant::now();
        let e = sign_in_to(&url, 1, identity.as_deref()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout, "{}", e.message);
        assert!(
            e.message.contains("did not answer completely within 1 s") && e.message.contains(&url),
            "{}",
            e.message
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_token_answer_that_trickles_ends_at_the_timeout() {
    let (url, _) = serve("127.0.0.1", |s, _, _| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        );
        for _ in 0..100 {
            thread::sleep(Duration::from_millis(100));
            if s.write_all(b" ").is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let e = sign_in_to(&url, 1, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{}", e.message);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_no_secret(&e);
}

#[test]
fn a_huge_token_answer_is_refused_without_being_held_in_memory() {
    let written = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = Arc::clone(&written);
    let (url, _) = serve("127.0.0.1", move |s, _, _| {
        // Chunked and endless: only the reader can stop it.
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        let mut chunk = format!("{:x}\r\n", 1 << 20).into_bytes();
        chunk.extend(std::iter::repeat_n(b' ', 1 << 20));
        chunk.extend_from_slice(b"\r\n");
        for _ in 0..1024 {
            if s.write_all(&chunk).is_err() {
                return;
            }
            count.fetch_add(1 << 20, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let e = sign_in_to(&url, 30, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::AuthenticationFailed, "{}", e.message);
    assert!(
        e.message.contains("more than 16 MiB") && e.message.contains(&url),
        "{}",
        e.message
    );
    thread::sleep(Duration::from_millis(300));
    let written = written.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        written < 64 << 20,
        "the engine read on: the server wrote {written} bytes"
    );
}

// Proxies: HTTPS_PROXY and NO_PROXY as given; loopback and managed identity never proxied. The
// remote names below are never looked up: they go to the loopback proxy as a CONNECT, or are
// pinned to a loopback listener.

const REMOTE_GRAPH: &str = "graph.example.invalid";
const REMOTE_LOGIN: &str = "login.example.invalid";

/// A listener that counts connections and closes each at once (a TLS handshake then fails).
fn hang_up(host: &str) -> (std::net::SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind((host, 0)).unwrap();
    let address = listener.local_addr().unwrap();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    (address, count)
}

/// A client whose proxy is `proxy` (unless NO_PROXY-listed), with an environment on `graph` and
/// `login`, and `pins` resolving names without DNS.
fn proxied_client(
    proxy: &str,
    no_proxy: Option<&str>,
    graph: &str,
    login: &str,
    pins: Vec<(String, std::net::SocketAddr)>,
) -> Arc<Client> {
    let settings = ProxySettings {
        https_proxy: Some(Secret::new(proxy)),
        no_proxy: no_proxy.map(str::to_string),
    };
    let client = Client::new(ClientConfig {
        timeout_seconds: Some(5),
        proxy: Some(settings),
        resolve: pins,
        ..Default::default()
    })
    .unwrap();
    client
        .add_environment(NewEnvironment {
            name: "Remote".into(),
            graph_endpoint: graph.into(),
            azure_ad_endpoint: login.into(),
        })
        .unwrap();
    client
}

fn sign_in_remote(
    client: &Arc<Client>,
    extra: serde_json::Value,
    env: &[(&str, String)],
) -> mglicense::Error {
    let mut request = json!({"environment": "Remote", "clientId": APP, "tenantId": "contoso", "clientSecret": SECRET});
    if env.iter().any(|(n, _)| *n == "IDENTITY_ENDPOINT") {
        request = json!({"environment": "Remote", "identity": true});
    }
    request
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let lookup = |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
    let started = client
        .sign_in_with_env(serde_json::from_value(request).unwrap(), &lookup)
        .unwrap();
    let e = started
        .poll(Some(Duration::from_secs(30)))
        .outcome
        .expect("the sign-in ends")
        .unwrap_err();
    assert_no_secret(&e);
    e
}

#[test]
fn https_proxy_carries_graph_calls_and_sign_in_as_connect_tunnels() {
    let (proxy, seen) = serve("127.0.0.1", |s, _, _| respond(s, "403 Forbidden", &[], b""));
    let client = proxied_client(
        &proxy,
        Some("other.example.invalid"),
        &format!("https://{REMOTE_GRAPH}"),
        &format!("https://{REMOTE_LOGIN}"),
        vec![],
    );
    client
        .connect(ConnectRequest {
            access_token: TOKEN.into(),
            environment: Some("Remote".into()),
        })
        .unwrap();
    let e = client.execute(&reprocess()).unwrap_err();
    assert!(!e.message.contains(TOKEN), "{}", e.message);
    sign_in_remote(&client, json!({}), &[]);
    // The failed sign-in ended the connection (as the official module's does): connect again.
    client
        .connect(ConnectRequest {
            access_token: TOKEN.into(),
            environment: Some("Remote".into()),
        })
        .unwrap();
    let e = client.execute(&reprocess_on_waiting_thread()).unwrap_err();
    assert!(!e.message.contains(TOKEN), "{}", e.message);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen[0]
            .head
            .starts_with(&format!("CONNECT {REMOTE_GRAPH}:443 HTTP/1.1\r\n")),
        "{}",
        seen[0].head
    );
    assert!(
        seen[1]
            .head
            .starts_with(&format!("CONNECT {REMOTE_LOGIN}:443 HTTP/1.1\r\n")),
        "{}",
        seen[1].head
    );
    assert!(
        seen[2]
            .head
            .starts_with(&format!("CONNECT {REMOTE_GRAPH}:443 HTTP/1.1\r\n")),
        "from the waiting thread: {}",
        seen[2].head
    );
    assert!(
        seen.iter()
            .all(|s| !s.head.contains(TOKEN) && !s.head.contains(SECRET)),
        "a tunnel request carries no secret"
    );
}

#[test]
fn no_proxy_hosts_go_direct_and_a_sign_in_may_name_its_own_proxy() {
    let (proxy, seen) = serve("127.0.0.1", |s, _, _| respond(s, "403 Forbidden", &[], b""));
    let (direct, connections) = hang_up("127.0.0.1");
    // A pin gives the address; the port is the URL's.
    let pins = vec![
        (REMOTE_GRAPH.to_string(), direct),
        (REMOTE_LOGIN.to_string(), direct),
    ];
    let (graph, login) = (
        format!("https://{REMOTE_GRAPH}:{}", direct.port()),
        format!("https://{REMOTE_LOGIN}:{}", direct.port()),
    );
    let client = proxied_client(
        &proxy,
        Some(".example.invalid"),
        &graph,
        &login,
        pins.clone(),
    );
    client
        .connect(ConnectRequest {
            access_token: TOKEN.into(),
            environment: Some("Remote".into()),
        })
        .unwrap();
    client.execute(&reprocess()).unwrap_err();
    sign_in_remote(&client, json!({}), &[]);
    // The failed sign-in ended the connection (as the official module's does): connect again.
    client
        .connect(ConnectRequest {
            access_token: TOKEN.into(),
            environment: Some("Remote".into()),
        })
        .unwrap();
    client.execute(&reprocess_on_waiting_thread()).unwrap_err();
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "all went direct, to the pinned address"
    );

    // The client's proxy lists nothing, the sign-in's own settings do.
    let client = proxied_client(&proxy, None, &graph, &login, pins);
    sign_in_remote(
        &client,
        json!({"proxy": {"httpsProxy": proxy, "noProxy": REMOTE_LOGIN}}),
        &[],
    );
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 4);
    assert!(
        seen.lock().unwrap().is_empty(),
        "the proxy saw {:?}",
        seen.lock().unwrap()
    );
}

#[test]
fn loopback_and_managed_identity_endpoints_are_never_proxied() {
    let (proxy, seen) = serve("127.0.0.1", |s, _, _| respond(s, "403 Forbidden", &[], b""));
    let (graph, _) = serve("127.0.0.1", |s, _, _| {
        respond(
            s,
            "200 OK",
            &["Content-Type: application/json"],
            br#"{"id":"u1"}"#,
        )
    });
    let localhost = graph.replace("127.0.0.1", "localhost");
    for endpoint in [&graph, &localhost] {
        let client = proxied_client(&proxy, None, endpoint, endpoint, vec![]);
        client
            .connect(ConnectRequest {
                access_token: TOKEN.into(),
                environment: Some("Remote".into()),
            })
            .unwrap();
        assert_eq!(
            client.execute(&reprocess()).unwrap().status,
            200,
            "{endpoint}"
        );
    }
    // A managed-identity endpoint goes direct even at a name the proxy would otherwise carry.
    let (direct, connections) = hang_up("127.0.0.1");
    let client = proxied_client(
        &proxy,
        None,
        &graph,
        &graph,
        vec![("identity.example.invalid".to_string(), direct)],
    );
    let env = [
        (
            "IDENTITY_ENDPOINT",
            format!(
                "https://identity.example.invalid:{}/msi/token",
                direct.port()
            ),
        ),
        ("IDENTITY_HEADER", IDENTITY_HEADER.to_string()),
    ];
    sign_in_remote(&client, json!({}), &env);
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(
        seen.lock().unwrap().is_empty(),
        "the proxy saw {:?}",
        seen.lock().unwrap()
    );
}

#[test]
fn reserved_invalid_names_are_never_looked_up() {
    let client = Client::new(ClientConfig {
        timeout_seconds: Some(5),
        proxy: Some(ProxySettings::default()),
        ..Default::default()
    })
    .unwrap();
    let remote = format!("https://{REMOTE_GRAPH}");
    client
        .add_environment(NewEnvironment {
            name: "Remote".into(),
            graph_endpoint: remote.clone(),
            azure_ad_endpoint: remote,
        })
        .unwrap();
    client
        .connect(ConnectRequest {
            access_token: TOKEN.into(),
            environment: Some("Remote".into()),
        })
        .unwrap();
    let e = client.execute(&reprocess()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
    assert!(
        e.message.contains("reserved name that never exists"),
        "{}",
        e.message
    );
}

#[test]
fn an_unusable_proxy_address_is_refused_by_name_without_its_password() {
    let settings = ProxySettings {
        https_proxy: Some(Secret::new("socks5://admin:hunter2@proxy:1080")),
        no_proxy: None,
    };
    let e = Client::new(ClientConfig {
        proxy: Some(settings),
        ..Default::default()
    })
    .err()
    .expect("refused");
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(
        e.message.contains("HTTPS_PROXY") && !e.message.contains("hunter2"),
        "{}",
        e.message
    );
}

#[test]
fn a_connection_the_server_closed_while_idle_is_not_reused_by_the_next_call_from_the_waiting_thread(
) {
    // Each connection gets one keep-alive answer, and the server hangs up a moment later, while it is idle, as
    // front doors do with idle connections. A driver's runtime does not run between calls, so the next call
    // finds the connection in its pool before anything has read the hang-up.
    let (url, seen) = serve("127.0.0.1", |s, _, _| {
        let body = br#"{"id":"u1"}"#;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(head.as_bytes()).and_then(|_| s.write_all(body));
        thread::sleep(Duration::from_millis(100));
    });
    let client = client_for(&url);
    for call in 0..4 {
        let r = client
            .execute(&reprocess_on_waiting_thread())
            .unwrap_or_else(|e| panic!("call {call}: {}", e.message));
        assert_eq!(r.status, 200, "call {call}");
        thread::sleep(Duration::from_millis(300));
    }
    // The engine's threads read the hang-up as it comes.
    for call in 4..6 {
        let r = client
            .execute(&reprocess())
            .unwrap_or_else(|e| panic!("call {call}: {}", e.message));
        assert_eq!(r.status, 200, "call {call}");
        thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(
        seen.lock().unwrap().len(),
        6,
        "one connection each: {:?}",
        seen.lock().unwrap()
    );
}
