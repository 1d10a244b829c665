//! The Windows system proxy (the current user's Internet Settings) carries https requests when
//! no proxy is named, and its ProxyOverride list and NO_PROXY go direct. Windows only: it sets
//! the current user's proxy for its duration (with `reg.exe`) and puts the values back after,
//! so it runs only when asked (`--ignored`); build/windows/cross.sh runs it in its Wine prefix.
//! The proxy is a loopback listener and the remote names are under `.invalid`, never looked up.
#![cfg(windows)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use mglicense::proxy::{ProxySettings, SystemProxy};
use mglicense::{Client, ClientConfig, RequestSpec};
use serde_json::json;

const KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings";
const TOKEN: &str = "system-proxy-test-token-0123456789";

/// A proxy on 127.0.0.1 that records each request head and refuses it (403).
fn proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&seen);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).into_owned());
            let _ = stream.write_all(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (port, seen)
}

/// A listener that counts connections and closes each at once.
fn hang_up() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (address, count)
}

/// Sets the current user's Internet Settings value `name` with reg.exe.
fn set(name: &str, kind: &str, data: &str) {
    let args = ["add", KEY, "/v", name, "/t", kind, "/d", data, "/f"];
    let status = Command::new("reg")
        .args(args)
        .status()
        .expect("reg.exe runs");
    assert!(status.success(), "reg {args:?}: {status}");
}

/// The user's proxy values as they were, put back when dropped (even when the test fails).
struct Restore(Vec<(&'static str, Option<(String, String)>)>);

impl Restore {
    fn save() -> Restore {
        let query = |name: &'static str| {
            let out = Command::new("reg")
                .args(["query", KEY, "/v", name])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let value = text.lines().find_map(|l| {
                let mut parts = l.split_whitespace();
                (parts.next()? == name).then(|| {
                    let kind = parts.next().unwrap_or("REG_SZ").to_string();
                    (kind, parts.collect::<Vec<_>>().join(" "))
                })
            });
            (name, value)
        };
        Restore(vec![
            query("ProxyEnable"),
            query("ProxyServer"),
            query("ProxyOverride"),
        ])
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        for (name, value) in &self.0 {
            let _ = match value {
                Some((kind, data)) => Command::new("reg")
                    .args(["add", KEY, "/v", name, "/t", kind, "/d", data, "/f"])
                    .status(),
                None => Command::new("reg")
                    .args(["delete", KEY, "/v", name, "/f"])
                    .status(),
            };
        }
    }
}

fn client(
    proxy: ProxySettings,
    graph: &str,
    pins: Vec<(String, std::net::SocketAddr)>,
) -> Arc<Client> {
    let config = ClientConfig {
        timeout_seconds: Some(5),
        proxy: Some(proxy),
        resolve: pins,
        ..Default::default()
    };
    common::connected_client(config, "Remote", graph, TOKEN, common::one_try())
}

fn reprocess() -> RequestSpec {
    serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": "u1"}))
        .unwrap()
}

#[test]
#[ignore = "sets the current user's proxy (Internet Settings) while it runs: run with --ignored (build/windows/cross.sh does, in its Wine prefix)"]
fn the_system_proxy_carries_https_unless_its_override_list_or_no_proxy_names_the_host() {
    let _restore = Restore::save();
    let (port, seen) = proxy();
    set("ProxyEnable", "REG_DWORD", "1");
    let server = format!("http=127.0.0.1:9;https=127.0.0.1:{port}");
    set("ProxyServer", "REG_SZ", &server);
    set(
        "ProxyOverride",
        "REG_SZ",
        "*.direct.example.invalid;<local>",
    );
    assert_eq!(
        SystemProxy::current(),
        Some(SystemProxy {
            server: server.clone(),
            bypass: "*.direct.example.invalid;<local>".into()
        }),
        "the engine reads what reg.exe wrote"
    );

    // No proxy named: the system's carries the call as a CONNECT tunnel; the token stays inside.
    let none = ProxySettings::default();
    client(none.clone(), "https://graph.example.invalid", vec![])
        .execute(&reprocess())
        .unwrap_err();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(
            seen[0].starts_with("CONNECT graph.example.invalid:443 HTTP/1.1\r\n"),
            "{}",
            seen[0]
        );
        assert!(!seen[0].contains(TOKEN));
    }

    // ProxyOverride and NO_PROXY hosts go direct (to a pinned loopback listener, which hangs up).
    let (direct, connections) = hang_up();
    let pins = |host: &str| vec![(host.to_string(), direct)];
    let url = |host: &str| format!("https://{host}:{}", direct.port());
    let listed = ProxySettings {
        https_proxy: None,
        no_proxy: Some("listed.example.invalid".into()),
    };
    let off = ProxySettings {
        https_proxy: None,
        no_proxy: Some("*".into()),
    };
    for (settings, host) in [
        (none, "graph.direct.example.invalid"),
        (listed, "graph.listed.example.invalid"),
        (off, "graph.example.invalid"),
    ] {
        client(settings, &url(host), pins(host))
            .execute(&reprocess())
            .unwrap_err();
    }
    assert_eq!(connections.load(Ordering::SeqCst), 3, "each went direct");
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "the proxy saw only the first"
    );

    // Switched off in Internet Options: not used.
    set("ProxyEnable", "REG_DWORD", "0");
    assert_eq!(SystemProxy::current(), None);
}
