//! Servers that answer badly: each case ends in a clear error, in bounded time and memory,
//! and the token never leaves its host.
//!
//! The emulator answers like Graph; these cases need a server that misbehaves on purpose, so
//! each test runs a small scripted HTTP server on a loopback port.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use mglicense::client::ConnectRequest;
use mglicense::environment::NewEnvironment;
use mglicense::retry::RequestContextUpdate;
use mglicense::{Client, ClientConfig, ErrorKind, RequestSpec};
use serde_json::json;

/// What one connection received: the request head.
type Seen = Arc<Mutex<Vec<String>>>;

/// Serves each connection with `answer`, on `host` (a loopback address), recording requests.
fn serve(host: &str, answer: impl Fn(&mut TcpStream, usize) + Send + Sync + 'static) -> (String, Seen) {
    let listener = TcpListener::bind((host, 0)).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let answer = Arc::new(answer);
    thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let (log, answer) = (Arc::clone(&log), Arc::clone(&answer));
            thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                log.lock().unwrap().push(head);
                answer(&mut stream, n);
            });
        }
    });
    (url, seen)
}

const TOKEN: &str = "opaque-test-token-0123456789";

fn client_for(url: &str) -> Arc<Client> {
    let client = Client::new(ClientConfig::default()).unwrap();
    client
        .add_environment(NewEnvironment { name: "Hostile".into(), graph_endpoint: url.into(), azure_ad_endpoint: url.into() })
        .unwrap();
    client.connect(ConnectRequest { access_token: TOKEN.into(), environment: Some("Hostile".into()) }).unwrap();
    client
        .set_request_context(RequestContextUpdate {
            max_retry: Some(2),
            retry_delay_seconds: Some(0),
            client_timeout_seconds: Some(2),
            ..Default::default()
        })
        .unwrap();
    client
}

fn reprocess() -> RequestSpec {
    serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": "u1"})).unwrap()
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[&str], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

#[test]
fn a_body_that_is_not_json_is_an_error_naming_the_url() {
    let (url, _) = serve("127.0.0.1", |s, _| respond(s, "200 OK", &["Content-Type: application/json"], b"<html>login page</html>"));
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
    assert!(e.message.contains("is not valid JSON") && e.message.contains(&url), "{}", e.message);
}

#[test]
fn a_truncated_body_is_an_error() {
    let (url, _) = serve("127.0.0.1", |s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"id\":\"u1\",");
        let _ = s.shutdown(std::net::Shutdown::Both);
    });
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport, "{}", e.message);
}

#[test]
fn an_answer_that_trickles_ends_at_the_client_timeout() {
    let (url, _) = serve("127.0.0.1", |s, _| {
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
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
}

#[test]
fn a_huge_body_is_not_held_in_memory() {
    let (url, _) = serve("127.0.0.1", |s, _| {
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
    assert!(e.message.contains("16777216 bytes were received"), "{}", e.message);
}

#[test]
fn endless_429s_end_after_max_retry_with_retry_attempt_headers() {
    let (url, seen) = serve("127.0.0.1", |s, _| {
        respond(s, "429 Too Many Requests", &["Retry-After: soon"], br#"{"error":{"code":"TooManyRequests","message":"Please retry again later."}}"#)
    });
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert_eq!(e.graph.as_ref().unwrap().code, "TooManyRequests");
    assert!(e.message.starts_with("[TooManyRequests] : Please retry again later."), "{}", e.message);
    assert!(e.message.contains("Too many retries performed"), "{}", e.message);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "one try and two retries");
    assert!(!seen[0].to_ascii_lowercase().contains("retry-attempt"));
    assert!(seen[1].to_ascii_lowercase().contains("retry-attempt: 1"));
    assert!(seen[2].to_ascii_lowercase().contains("retry-attempt: 2"));
}

#[test]
fn a_503_then_success_is_retried_after_retry_after() {
    let (url, seen) = serve("127.0.0.1", |s, n| {
        if n == 0 {
            respond(s, "503 Service Unavailable", &["Retry-After: 1"], b"");
        } else {
            respond(s, "200 OK", &["Content-Type: application/json"], br#"{"id":"u1"}"#);
        }
    });
    let started = Instant::now();
    let r = client_for(&url).execute(&reprocess()).unwrap();
    assert_eq!(r.body.unwrap()["id"], "u1");
    assert!(started.elapsed() >= Duration::from_secs(1), "retried before Retry-After");
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_redirect_to_another_host_does_not_carry_the_token() {
    let (other, other_seen) = serve("127.0.0.2", |s, _| respond(s, "200 OK", &[], br#"{"id":"u1"}"#));
    let location = format!("Location: {other}/v1.0/users/u1/reprocessLicenseAssignment");
    let (url, seen) = serve("127.0.0.1", move |s, _| respond(s, "307 Temporary Redirect", &[location.as_str()], b""));
    let _ = client_for(&url).execute(&reprocess());
    assert!(seen.lock().unwrap()[0].contains(TOKEN), "the first host gets the token");
    let other_seen = other_seen.lock().unwrap();
    assert_eq!(other_seen.len(), 1, "the redirect was followed");
    assert!(!other_seen[0].contains(TOKEN) && !other_seen[0].to_ascii_lowercase().contains("authorization"));
}

#[test]
fn a_closed_port_is_a_transport_error_that_names_the_url() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let e = client_for(&url).execute(&reprocess()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
    assert!(e.message.contains(&url) && !e.message.contains(TOKEN), "{}", e.message);
}
