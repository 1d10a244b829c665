//! The `graph-emulator` program as MgLicense's C# tests and demo run it: first stdout line is the URL.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the child if a test fails half-way, so no emulator outlives the test run.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn emulator() -> Command {
    Command::new(env!("CARGO_BIN_EXE_graph-emulator"))
}

/// Starts the program on the test tenant with `args` after `--users <seed>`; the first line of its stdout.
fn spawn(args: &[&str]) -> (Running, String) {
    let mut child = Running(
        emulator()
            .arg("--users")
            .arg(common::seed_path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts"),
    );
    let mut first_line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    (child, first_line)
}

/// Raw HTTP/1.1 so the request line goes on the wire exactly as written.
fn raw_request(addr: &str, request_line: &str, headers: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("emulator accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{request_line}\r\nHost: {addr}\r\n{headers}Connection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn prints_its_url_first_and_exits_when_stdin_closes() {
    let (mut child, first_line) = spawn(&["--port", "0", "--exit-on-stdin-eof"]);
    let url = first_line.trim_end_matches('\n');
    let addr = url
        .strip_prefix("http://127.0.0.1:")
        .map(|port| format!("127.0.0.1:{port}"));
    let addr = addr.unwrap_or_else(|| panic!("first line is not the base URL: {first_line:?}"));
    assert!(addr.rsplit(':').next().unwrap().parse::<u16>().unwrap() > 0);

    let health = raw_request(&addr, "GET /_emulator/health HTTP/1.1", "");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health.contains(&format!("\"baseUrl\": \"{url}\"")),
        "{health}"
    );

    // The path is logged byte for byte as it arrived.
    let reply = raw_request(
        &addr,
        "POST /v1.0/users('%24adm%40contoso.com')/reprocessLicenseAssignment HTTP/1.1",
        "",
    );
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    let log = raw_request(&addr, "GET /_emulator/requests HTTP/1.1", "");
    assert!(
        log.contains(
            "\"path\": \"/v1.0/users('%24adm%40contoso.com')/reprocessLicenseAssignment\""
        ),
        "{log}"
    );

    drop(child.0.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "emulator did not exit after stdin closed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn refuses_non_loopback_hosts() {
    let output = emulator()
        .args([
            "--users",
            common::seed_path().to_str().unwrap(),
            "--host",
            "0.0.0.0",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "no URL may be printed");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("only loopback addresses"), "{stderr}");
}

#[test]
fn reports_a_bad_seed_file() {
    let output = emulator()
        .args(["--users", "/nonexistent/tenant.json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read seed file"));
}

#[test]
fn a_fault_profile_given_at_start_applies_to_the_first_request() {
    let profile = std::env::temp_dir().join(format!(
        "graph-emulator-start-faults-{}.json",
        std::process::id()
    ));
    std::fs::write(
        &profile,
        r#"{"rules": [{"path": "/v1.0/**", "failureRate": 1, "statuses": [507], "count": 1}]}"#,
    )
    .unwrap();
    let (_child, first_line) = spawn(&["--faults", profile.to_str().unwrap()]);
    let _ = std::fs::remove_file(&profile);
    let addr = first_line
        .trim()
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("first line is not the base URL: {first_line:?}"))
        .to_owned();

    // Faults come before authentication, so no token is needed to meet one.
    let first = raw_request(&addr, "GET /v1.0/users/AdeleV@contoso.com HTTP/1.1", "");
    assert!(first.starts_with("HTTP/1.1 507"), "{first}");
    assert!(first.contains("\"InsufficientStorage\""), "{first}");
    let second = raw_request(&addr, "GET /v1.0/users/AdeleV@contoso.com HTTP/1.1", "");
    assert!(
        second.starts_with("HTTP/1.1 401"),
        "count: 1 faults one request: {second}"
    );
    let shown = raw_request(&addr, "GET /_emulator/faults HTTP/1.1", "");
    assert!(shown.contains("\"statuses\""), "{shown}");
}
