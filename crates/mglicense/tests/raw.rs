//! Raw calls (Invoke-MgGraphRequest) against servers that answer as scripted, on loopback: bytes
//! go out and come back as they are, refused answers come back as answers after the retry
//! rules, downloads stream to a file, and the token goes nowhere but the Graph endpoint and
//! comes back from nowhere.

mod common;

use common::{respond, serve};
use std::io::Write;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use mglicense::retry::RequestContextUpdate;
use mglicense::{Client, ClientConfig, ErrorKind, RawSpec};
use serde_json::{json, Value};

const TOKEN: &str = "raw-call-test-token-0123456789";

fn client_for(url: &str) -> Arc<Client> {
    common::connected_client(
        ClientConfig::default(),
        "Scripted",
        url,
        TOKEN,
        RequestContextUpdate {
            max_retry: Some(2),
            retry_delay_seconds: Some(0),
            client_timeout_seconds: Some(5),
            ..Default::default()
        },
    )
}

fn spec(v: Value) -> RawSpec {
    serde_json::from_value(v).unwrap()
}

fn temp_file(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("mglicense-raw-{}-{name}", std::process::id()))
}

#[test]
fn binary_bytes_go_out_and_come_back_as_they_are() {
    let sent: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let (url, log) = serve("127.0.0.1", |s, _, r| {
        let mut reply = r.body.clone();
        reply.reverse();
        respond(
            s,
            "200 OK",
            &["Content-Type: application/octet-stream"],
            &reply,
        );
    });
    let client = client_for(&url);
    let (response, body) = client
        .execute_raw(
            &spec(json!({"method": "put", "uri": "/beta/me/photo/$value", "contentType": "image/png", "headers": {"If-Match": "*"}})),
            Some(sent.clone()),
        )
        .unwrap();
    let received = log.lock().unwrap()[0].clone();
    assert!(
        received
            .head
            .starts_with("PUT /beta/me/photo/$value HTTP/1.1"),
        "{}",
        received.head
    );
    let head = received.head.to_ascii_lowercase();
    assert!(head.contains("content-type: image/png"), "{head}");
    assert!(head.contains("if-match: *"), "{head}");
    assert!(head.contains(&format!(
        "authorization: bearer {}",
        TOKEN.to_ascii_lowercase()
    )));
    assert_eq!(received.body, sent);
    assert_eq!(response.status, 200);
    assert_eq!(response.body.as_ref().unwrap()["length"], json!(70_000));
    let mut expected = sent;
    expected.reverse();
    assert_eq!(body, expected);
}

#[test]
fn a_refused_answer_comes_back_as_an_answer_after_the_retries() {
    let (url, log) = serve("127.0.0.1", |s, n, _| {
        if n < 3 {
            respond(
                s,
                "503 Service Unavailable",
                &["Retry-After: 0"],
                b"{\"error\":{\"code\":\"busy\",\"message\":\"later\"}}",
            );
        } else {
            respond(s, "200 OK", &[], b"never reached");
        }
    });
    let (response, body) = client_for(&url)
        .execute_raw(&spec(json!({"uri": "v1.0/users", "verbose": true})), None)
        .unwrap();
    assert_eq!(
        log.lock().unwrap().len(),
        3,
        "the first try and MaxRetry (2) retries"
    );
    let attempts: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.head.to_ascii_lowercase())
        .collect();
    assert!(attempts[2].contains("retry-attempt: 2"), "{}", attempts[2]);
    assert_eq!(response.status, 503);
    let about = response.body.as_ref().unwrap();
    assert!(
        about["error"]
            .as_str()
            .unwrap()
            .contains("Too many retries"),
        "{about}"
    );
    assert_eq!(
        body,
        b"{\"error\":{\"code\":\"busy\",\"message\":\"later\"}}"
    );
    assert!(
        response
            .log
            .iter()
            .any(|l| l.message.contains("retry 1 of 2")),
        "{:?}",
        response.log
    );

    let (url, log) = serve("127.0.0.1", |s, _, _| {
        respond(
            s,
            "404 Not Found",
            &[],
            b"{\"error\":{\"code\":\"Request_ResourceNotFound\"}}",
        )
    });
    let (response, _) = client_for(&url)
        .execute_raw(
            &spec(json!({"method": "DELETE", "uri": "v1.0/users/x"})),
            None,
        )
        .unwrap();
    assert_eq!(
        (response.status, log.lock().unwrap().len()),
        (404, 1),
        "a 404 is not retried"
    );
}

#[test]
fn an_echoed_token_is_redacted_from_headers_and_a_body_split_across_writes() {
    let (url, _) = serve("127.0.0.1", |s, _, r| {
        let auth = r
            .head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            .unwrap_or("")
            .to_string();
        let body = format!("you sent {auth}");
        let (first, second) = body.as_bytes().split_at(body.len() - 8);
        let head = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\nX-Echo: {auth}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(first);
        let _ = s.flush();
        thread::sleep(Duration::from_millis(50));
        let _ = s.write_all(second);
    });
    let (response, body) = client_for(&url)
        .execute_raw(&spec(json!({"uri": "v1.0/me", "debug": true})), None)
        .unwrap();
    let everything = format!(
        "{}{}",
        serde_json::to_string(&response).unwrap(),
        String::from_utf8_lossy(&body)
    );
    assert!(!everything.contains(TOKEN), "{everything}");
    assert!(String::from_utf8_lossy(&body).contains("<redacted>"));
}

#[test]
fn a_download_streams_to_the_file_and_a_broken_one_leaves_no_file() {
    let size = 20 * 1024 * 1024 + 3;
    let (url, _) = serve("127.0.0.1", move |s, _, r| {
        if r.head.contains("/broken") {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\npartial");
            let _ = s.shutdown(std::net::Shutdown::Both);
            return;
        }
        let chunk = vec![b'x'; 1024 * 1024];
        let _ = s.write_all(
            format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        for _ in 0..20 {
            let _ = s.write_all(&chunk);
        }
        let _ = s.write_all(b"end");
    });
    let client = client_for(&url);
    let file = temp_file("download.bin");
    let (response, body) = client
        .execute_raw(
            &spec(json!({"uri": "v1.0/reports/big", "outputFile": file.to_str().unwrap()})),
            None,
        )
        .unwrap();
    assert!(body.is_empty(), "the download is not held in memory");
    assert_eq!(response.body.as_ref().unwrap()["file"], json!(true));
    assert_eq!(response.body.as_ref().unwrap()["length"], json!(size));
    let written = std::fs::read(&file).unwrap();
    assert_eq!(written.len(), size);
    assert!(written.ends_with(b"xend"));
    std::fs::remove_file(&file).unwrap();

    let broken = temp_file("broken.bin");
    let e = client
        .execute_raw(
            &spec(json!({"uri": "v1.0/reports/broken", "outputFile": broken.to_str().unwrap()})),
            None,
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport, "{}", e.message);
    assert!(!broken.exists(), "a broken download leaves no half file");
}

#[test]
fn other_hosts_get_nothing_and_a_redirect_elsewhere_carries_no_token() {
    let (elsewhere, elsewhere_log) = serve("127.0.0.1", |s, _, _| respond(s, "200 OK", &[], b"{}"));
    let (url, log) = serve("127.0.0.1", |s, _, _| respond(s, "200 OK", &[], b"{}"));
    let client = client_for(&url);
    let e = client
        .execute_raw(
            &spec(json!({"uri": format!("{elsewhere}/v1.0/users")})),
            None,
        )
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(e.message.contains("not on the connected"), "{}", e.message);
    assert!(elsewhere_log.lock().unwrap().is_empty() && log.lock().unwrap().is_empty());

    let target = format!("{elsewhere}/v1.0/landing");
    let (redirecting, _) = serve("127.0.0.1", move |s, _, _| {
        respond(s, "302 Found", &[&format!("Location: {target}")], b"")
    });
    let (response, _) = client_for(&redirecting)
        .execute_raw(&spec(json!({"uri": "v1.0/users"})), None)
        .unwrap();
    assert_eq!(response.status, 200);
    let landed = elsewhere_log.lock().unwrap()[0].head.to_ascii_lowercase();
    assert!(
        !landed.contains("authorization") && !landed.contains(&TOKEN.to_ascii_lowercase()),
        "{landed}"
    );
}

#[test]
fn an_answer_too_large_to_hold_says_to_use_a_file() {
    let (url, _) = serve("127.0.0.1", |s, _, _| {
        let size = mglicense::raw::MAX_RAW_BODY_BYTES + 1;
        let _ =
            s.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n").as_bytes());
        let chunk = vec![b'y'; 1024 * 1024];
        for _ in 0..=(size >> 20) {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let e = client_for(&url)
        .execute_raw(&spec(json!({"uri": "v1.0/reports/huge"})), None)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport);
    assert!(e.message.contains("-OutputFilePath"), "{}", e.message);
}
