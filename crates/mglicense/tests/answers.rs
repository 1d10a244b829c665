//! What servers answer ends in errors that hold no secret and say what was wrong: a redirect's
//! target carrying the token, login and managed-identity endpoints echoing what they were sent,
//! token answers no one should use, successful answers that hold no result, and URLs the HTTP
//! stack cannot send. Each test runs a small scripted HTTP server on a loopback port.

mod common;

use common::respond;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use mglicense::client::ConnectRequest;
use mglicense::environment::NewEnvironment;
use mglicense::read::NextPage;
use mglicense::retry::RequestContextUpdate;
use mglicense::{Client, ClientConfig, ErrorKind, ReadSpec, RequestSpec};
use serde_json::{json, Value};

/// Serves each connection with `answer(stream, request head, request body)` on 127.0.0.1.
fn serve(answer: impl Fn(&mut TcpStream, &str, &[u8]) + Send + Sync + 'static) -> String {
    common::serve("127.0.0.1", move |s, _, r| answer(s, &r.head, &r.body)).0
}

fn json_answer(stream: &mut TcpStream, status: &str, body: &Value) {
    respond(
        stream,
        status,
        &["Content-Type: application/json"],
        body.to_string().as_bytes(),
    );
}

/// A JWT-shaped token, as Graph calls carry them.
const TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.eyJleHAiOjQxMDI0NDQ4MDB9.TOKEN-SIGNATURE-NEVER-PRINTED";

fn environment(client: &Client, url: &str) {
    client
        .add_environment(NewEnvironment {
            name: "Hostile".into(),
            graph_endpoint: url.into(),
            azure_ad_endpoint: url.into(),
        })
        .unwrap();
}

fn connected(url: &str) -> Arc<Client> {
    let client = Client::new(ClientConfig::default()).unwrap();
    environment(&client, url);
    client
        .connect(ConnectRequest {
            access_token: TOKEN.into(),
            environment: Some("Hostile".into()),
        })
        .unwrap();
    client
        .set_request_context(RequestContextUpdate {
            max_retry: Some(0),
            client_timeout_seconds: Some(5),
            ..Default::default()
        })
        .unwrap();
    client
}

fn reprocess(on_waiting_thread: bool) -> RequestSpec {
    serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": "u1", "onWaitingThread": on_waiting_thread}))
        .unwrap()
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The bearer token a request head carries.
fn bearer(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("authorization")
                .then(|| value.trim().trim_start_matches("Bearer ").to_string())
        })
        .unwrap_or_default()
}

#[test]
fn a_redirect_whose_target_carries_the_token_gets_it_into_no_error() {
    // To a port where nothing listens: the HTTP library's error names where it was sent.
    let dead = closed_port();
    let url = serve(move |s, head, _| {
        let location = format!("Location: http://127.0.0.1:{dead}/?t={}", bearer(head));
        respond(s, "307 Temporary Redirect", &[location.as_str()], b"");
    });
    // A loop: "too many redirects", at a target carrying the token.
    let looping = serve(move |s, head, _| {
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        let location = format!("Location: {}?t={}", path.split('?').next().unwrap(), "x");
        let token = bearer(head);
        let location = if token.is_empty() {
            location
        } else {
            format!("Location: /again?t={token}")
        };
        respond(s, "302 Found", &[location.as_str()], b"");
    });
    for url in [url, looping] {
        for on_waiting_thread in [false, true] {
            let e = connected(&url)
                .execute(&reprocess(on_waiting_thread))
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Transport, "{}", e.message);
            assert!(e.message.contains(&url), "{}", e.message);
            for text in [&e.message, &e.to_json()] {
                assert!(
                    !text.contains("TOKEN-SIGNATURE") && !text.contains("eyJ0eXAi"),
                    "{text}"
                );
            }
        }
    }
}

#[test]
fn transport_errors_say_each_cause_once() {
    let url = format!("http://127.0.0.1:{}", closed_port());
    let e = connected(&url).execute(&reprocess(false)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Transport, "{}", e.message);
    let refused = "Connection refused";
    assert_eq!(e.message.matches(refused).count(), 1, "{}", e.message);
}

#[test]
fn a_next_page_link_too_long_to_send_ends_the_read_with_an_error() {
    let url = serve(move |s, head, _| {
        let host = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("host: ")
                    .or_else(|| l.strip_prefix("Host: "))
            })
            .unwrap_or("")
            .trim()
            .to_string();
        let next = format!("http://{host}/v1.0/users?$skiptoken={}", "a".repeat(70_000));
        json_answer(
            s,
            "200 OK",
            &json!({"value": [{"id": "u1"}], "@odata.nextLink": next}),
        );
    });
    let spec: ReadSpec = serde_json::from_value(json!({"resource": "users", "all": true})).unwrap();
    let pager = connected(&url).start_read(&spec).unwrap();
    let long = Some(Duration::from_secs(30));
    match pager.next(long) {
        NextPage::Page(Ok(page)) => assert_eq!(page.items.len(), 1),
        other => panic!("expected the first page, got {other:?}"),
    }
    match pager.next(long) {
        NextPage::Page(Err(e)) => {
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{}", e.message);
            assert!(e.message.contains("65534"), "{}", e.message);
        }
        other => panic!("expected the read's error, got {other:?}"),
    }
    assert!(matches!(pager.next(long), NextPage::Done));
}

#[test]
fn a_successful_answer_without_the_object_is_an_error() {
    for (body, what) in [
        ("", "is empty"),
        ("null", "is null"),
        (r#"[{"id":"u1"}]"#, "is an array"),
        ("\"u1\"", "is a string"),
    ] {
        let url = serve(move |s, _, _| {
            respond(
                s,
                "200 OK",
                &["Content-Type: application/json"],
                body.as_bytes(),
            )
        });
        for on_waiting_thread in [false, true] {
            let e = connected(&url)
                .execute(&reprocess(on_waiting_thread))
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Transport, "{body}: {}", e.message);
            assert!(e.message.contains(what), "{body}: {}", e.message);
        }
    }
    // The draft action's envelope must hold an object too.
    let url = serve(|s, _, _| json_answer(s, "200 OK", &json!({"value": "x"})));
    let spec: RequestSpec = serde_json::from_value(
        json!({"operation": "betaReprocessLicenseAssignment2", "identity": "u1"}),
    )
    .unwrap();
    let e = connected(&url).execute(&spec).unwrap_err();
    assert!(e.message.contains("is a string"), "{}", e.message);
}

#[test]
fn a_page_with_an_item_that_is_not_an_object_is_an_error() {
    let url = serve(|s, _, _| {
        json_answer(
            s,
            "200 OK",
            &json!({"value": [{"id": "u1"}, 1, "x", null, true]}),
        )
    });
    let spec: ReadSpec = serde_json::from_value(json!({"resource": "users"})).unwrap();
    let pager = connected(&url).start_read(&spec).unwrap();
    match pager.next(Some(Duration::from_secs(30))) {
        NextPage::Page(Err(e)) => {
            assert_eq!(e.kind, ErrorKind::Transport, "{}", e.message);
            assert!(
                e.message.contains("a number as object 2 of 5"),
                "{}",
                e.message
            );
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

// The login side: what the engine sent to a login or managed-identity endpoint never comes
// back in an error, in whatever form the endpoint echoes it.

const APP: &str = "6e1b7a55-39c4-4b7e-9a5e-1f0d2c3b4a59";
/// A secret with characters that form-encoding and JSON escape.
const SECRET: &str = r#"CLIENT-SECRET/never+"printed"\x=0123"#;
const IDENTITY_HEADER: &str = "IDHEADERSECRET-never-printed-5151";

fn sign_in(url: &str, request: Value, env: Vec<(&'static str, String)>) -> mglicense::Error {
    let client = Client::new(ClientConfig {
        timeout_seconds: Some(10),
        ..Default::default()
    })
    .unwrap();
    environment(&client, url);
    let lookup = move |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
    let started = client
        .sign_in_with_env(serde_json::from_value(request).unwrap(), &lookup)
        .unwrap();
    let outcome = started
        .poll(Some(Duration::from_secs(30)))
        .outcome
        .expect("the sign-in ends");
    assert!(client.context().is_none(), "a connection was made");
    outcome.expect_err("the sign-in failed")
}

fn secret_sign_in(url: &str) -> mglicense::Error {
    sign_in(
        url,
        json!({"environment": "Hostile", "clientId": APP, "tenantId": "contoso", "clientSecret": SECRET}),
        vec![],
    )
}

fn identity_sign_in(url: &str) -> mglicense::Error {
    sign_in(
        url,
        json!({"environment": "Hostile", "identity": true}),
        vec![
            ("IDENTITY_ENDPOINT", format!("{url}/msi/token")),
            ("IDENTITY_HEADER", IDENTITY_HEADER.to_string()),
        ],
    )
}

fn assert_no_secret(e: &mglicense::Error) {
    let encoded: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    for text in [&e.message, &e.to_json()] {
        for secret in [
            SECRET,
            encoded.as_str(),
            "CLIENT-SECRET",
            IDENTITY_HEADER,
            "IDHEADERSECRET",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

#[test]
fn a_login_endpoint_echoing_the_request_gets_no_secret_into_the_error() {
    // The form as sent (form-encoded), and decoded, in an OAuth error.
    let url = serve(|s, head, body| {
        let raw = String::from_utf8_lossy(body).into_owned();
        let decoded: String = url::form_urlencoded::parse(body)
            .map(|(k, v)| format!("{k}={v} "))
            .collect();
        json_answer(
            s,
            "400 Bad Request",
            &json!({"error": "invalid_client", "error_description": format!("echo: {raw} | {decoded} | {head}")}),
        );
    });
    let e = secret_sign_in(&url);
    assert_eq!(e.kind, ErrorKind::AuthenticationFailed, "{}", e.message);
    assert!(e.message.contains("<redacted>"), "{}", e.message);
    assert_no_secret(&e);

    // The secret as the OAuth error code itself.
    let url = serve(|s, _, body| {
        let secret = url::form_urlencoded::parse(body)
            .find(|(k, _)| k == "client_secret")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        json_answer(s, "401 Unauthorized", &json!({"error": secret}));
    });
    assert_no_secret(&secret_sign_in(&url));
}

#[test]
fn a_managed_identity_endpoint_echoing_its_header_gets_it_into_no_error() {
    let url = serve(|s, head, _| {
        json_answer(
            s,
            "400 Bad Request",
            &json!({"error": "invalid_request", "error_description": format!("headers: {}", head.replace("\r\n", " "))}),
        );
    });
    let e = identity_sign_in(&url);
    assert_eq!(e.kind, ErrorKind::AuthenticationFailed, "{}", e.message);
    assert!(e.message.contains("<redacted>"), "{}", e.message);
    assert_no_secret(&e);
}

fn token_answer(body: Value) -> mglicense::Error {
    let url = serve(move |s, _, _| json_answer(s, "200 OK", &body));
    secret_sign_in(&url)
}

#[test]
fn token_answers_no_one_should_use_are_refused() {
    let e = token_answer(
        json!({"access_token": "abcdefghijk", "token_type": "Bearer", "expires_in": -99_999_999_999_999_999_999.0}),
    );
    assert_eq!(e.kind, ErrorKind::AuthenticationFailed, "{}", e.message);
    assert!(e.message.contains("expires_in"), "{}", e.message);
    for (expires_in, shown) in [
        (json!(0), "expires_in 0"),
        (json!(-5), "expires_in -5"),
        (json!(99_999_999_999u64), "expires_in 99999999999"),
        (json!("soon"), "expires_in 'soon'"),
    ] {
        let e = token_answer(json!({"access_token": "abcdefghijk", "expires_in": expires_in}));
        assert!(
            e.message.contains(shown) && e.message.contains("between 1 second and 7 days"),
            "{}",
            e.message
        );
    }
    for token in ["a b c", "tok\"en", "tökén", "=="] {
        let e = token_answer(json!({"access_token": token, "expires_in": 3600}));
        assert!(
            e.message.contains("not a bearer token") && !e.message.contains(token),
            "{token}: {}",
            e.message
        );
    }
    // A JWT that expired already.
    let expired = format!(
        "{}.{}.sig",
        base64::encode_config(br#"{"typ":"JWT"}"#, base64::URL_SAFE_NO_PAD),
        base64::encode_config(br#"{"exp":1000}"#, base64::URL_SAFE_NO_PAD)
    );
    let e = token_answer(json!({"access_token": expired, "expires_in": 3600}));
    assert!(
        e.message.contains("expired at 1970-01-01T00:16:40Z"),
        "{}",
        e.message
    );
}

#[test]
fn an_opaque_token_with_a_sane_lifetime_is_accepted() {
    // Personal Microsoft accounts get tokens that are not JWTs: they are used as given.
    let url = serve(|s, _, _| {
        json_answer(
            s,
            "200 OK",
            &json!({"access_token": "EwBwA8l6BAAU+opaque/token==", "expires_in": "3599"}),
        )
    });
    let client = Client::new(ClientConfig::default()).unwrap();
    environment(&client, &url);
    let request = json!({"environment": "Hostile", "clientId": APP, "tenantId": "contoso", "clientSecret": SECRET});
    let context = client
        .sign_in_and_wait(serde_json::from_value(request).unwrap())
        .unwrap();
    assert!(context.expires_on.is_none());
}
