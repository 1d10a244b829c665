//! Sign-in against the emulator's login side: each flow end to end (connect, then reprocess a
//! user), its failures, and that no secret or token appears in any message.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use graph_emulator::{BackgroundEmulator, Config, Tenant};
use mglicense::auth::SignInRequest;
use mglicense::environment::NewEnvironment;
use mglicense::{Client, ClientConfig, Error, RequestSpec};
use serde_json::{json, Value};

const APP: &str = "6e1b7a55-39c4-4b7e-9a5e-1f0d2c3b4a59";
const SECRET: &str = "s3cr3t~Value.With-Chars_0123456789";

struct Fixture {
    emulator: BackgroundEmulator,
    client: Arc<Client>,
    tenant: String,
}

fn fixture() -> Fixture {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/tenant.json");
    let emulator = BackgroundEmulator::start(Config::new(Tenant::load(&seed).unwrap())).unwrap();
    let client = Client::new(ClientConfig::default()).unwrap();
    let url = emulator.base_url().to_string();
    client
        .add_environment(NewEnvironment {
            name: "Emulator".into(),
            graph_endpoint: url.clone(),
            azure_ad_endpoint: url,
        })
        .unwrap();
    let tenant = emulator.state().tenant().tenant_id().to_string();
    Fixture {
        emulator,
        client,
        tenant,
    }
}

/// A plain HTTP/1.1 exchange over loopback; returns status, headers and body.
fn http(base: &str, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap();
    (status, head.to_string(), body.to_string())
}

fn admin(f: &Fixture, path: &str, body: Value) -> Value {
    let (status, _, text) = http(f.emulator.base_url(), "POST", path, &body.to_string());
    assert!(status < 300, "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn register(f: &Fixture, extra: Value) {
    let mut app =
        json!({"appId": APP, "secrets": [{"value": SECRET}], "roles": ["User.ReadWrite.All"]});
    app.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    admin(f, "/_emulator/apps", app);
}

fn request(v: Value) -> SignInRequest {
    let mut v = v;
    v["environment"] = json!("Emulator");
    serde_json::from_value(v).unwrap()
}

fn reprocess(f: &Fixture) -> Result<mglicense::Response, Error> {
    let spec: RequestSpec = serde_json::from_value(
        json!({"operation": "reprocessLicenseAssignment", "identity": "AdeleV@contoso.com"}),
    )
    .unwrap();
    f.client.execute(&spec)
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn sign_in(f: &Fixture, v: Value, env: &HashMap<&str, String>) -> Result<Value, Error> {
    let lookup = |k: &str| env.get(k).cloned();
    f.client
        .sign_in_with_env(request(v), &lookup)?
        .poll(Some(Duration::from_secs(60)))
        .outcome
        .expect("finished")
}

fn assert_clean(text: &str) {
    assert!(!text.contains(SECRET), "secret leaked: {text}");
    assert!(!text.contains("eyJ"), "token leaked: {text}");
}

#[test]
fn client_secret_signs_in_app_only_and_reprocesses() {
    let f = fixture();
    register(&f, json!({}));
    let context = sign_in(
        &f,
        json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": SECRET}),
        &HashMap::new(),
    )
    .unwrap();
    assert_eq!(context["authType"], "AppOnly");
    assert_eq!(context["tokenCredentialType"], "ClientSecret");
    assert_eq!(context["clientId"], APP);
    assert_eq!(context["tenantId"], f.tenant.as_str());
    assert_eq!(context["scopes"], json!(["User.ReadWrite.All"]));
    assert_eq!(reprocess(&f).unwrap().status, 200);
    assert_clean(&context.to_string());
}

#[test]
fn login_failures_say_what_to_check_and_never_show_the_secret() {
    let f = fixture();
    register(
        &f,
        json!({"appId": "aaaaaaaa-0000-0000-0000-000000000001", "secrets": [{"value": "old-one", "expiresIn": -10}]}),
    );
    register(&f, json!({}));
    let cases = [
        (
            json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": format!("{SECRET}x")}),
            "AADSTS7000215",
            "secret's value",
        ),
        (
            json!({"clientId": "aaaaaaaa-0000-0000-0000-000000000001", "tenantId": f.tenant, "clientSecret": "old-one"}),
            "AADSTS7000222",
            "has expired",
        ),
        (
            json!({"clientId": "bbbbbbbb-0000-0000-0000-000000000002", "tenantId": f.tenant, "clientSecret": SECRET}),
            "AADSTS700016",
            "-ClientId",
        ),
        (
            json!({"clientId": APP, "tenantId": "no-such-tenant.example", "clientSecret": SECRET}),
            "AADSTS90002",
            "-TenantId",
        ),
    ];
    for (input, code, hint) in cases {
        let e = sign_in(&f, input, &HashMap::new()).unwrap_err();
        assert_eq!(e.kind, mglicense::ErrorKind::AuthenticationFailed);
        assert!(
            e.message.contains(code) && e.message.contains(hint),
            "{}",
            e.message
        );
        assert_clean(&e.message);
        assert_clean(&e.to_json());
    }
    assert!(
        f.client.context().is_none(),
        "a failed sign-in leaves no connection"
    );
}

#[test]
fn a_token_endpoint_answering_html_or_garbage_is_a_clear_error() {
    let f = fixture();
    register(&f, json!({}));
    for (fault, words) in [("html", "an HTML page"), ("garbage", "not JSON")] {
        admin(
            &f,
            "/_emulator/login/fault",
            json!({"tokenEndpoint": fault}),
        );
        let e = sign_in(
            &f,
            json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": SECRET}),
            &HashMap::new(),
        )
        .unwrap_err();
        assert!(
            e.message.contains(words) && e.message.contains("AzureADEndpoint"),
            "{}",
            e.message
        );
    }
}

fn make_cert() -> (String, String) {
    let dir = std::env::temp_dir().join(format!("mgl-signin-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (key, cert, der) = (
        dir.join("key.pem"),
        dir.join("cert.pem"),
        dir.join("cert.der"),
    );
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=MgLicense signin test",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    assert!(std::process::Command::new("openssl")
        .args(["x509", "-outform", "der", "-in"])
        .arg(&cert)
        .arg("-out")
        .arg(&der)
        .status()
        .unwrap()
        .success());
    let pem = std::fs::read_to_string(&cert).unwrap() + &std::fs::read_to_string(&key).unwrap();
    let combined = dir.join("combined.pem");
    std::fs::write(&combined, pem).unwrap();
    (
        combined.to_string_lossy().into_owned(),
        base64::encode(std::fs::read(&der).unwrap()),
    )
}

#[test]
#[cfg_attr(
    windows,
    ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
)]
fn a_certificate_signs_the_assertion_the_login_side_verifies() {
    let f = fixture();
    let (path, der) = make_cert();
    let (other_path, _) = make_cert();
    register(&f, json!({"secrets": [], "certificates": [der]}));
    let e = sign_in(
        &f,
        json!({"clientId": APP, "tenantId": f.tenant, "certificate": {"path": other_path}}),
        &HashMap::new(),
    )
    .unwrap_err();
    assert!(
        e.message.contains("AADSTS700027") && e.message.contains("certificate"),
        "{}",
        e.message
    );
    let context = sign_in(
        &f,
        json!({"clientId": APP, "tenantId": f.tenant, "certificate": {"path": path}}),
        &HashMap::new(),
    )
    .unwrap();
    assert_eq!(context["tokenCredentialType"], "ClientCertificate");
    assert_eq!(reprocess(&f).unwrap().status, 200);
}

#[test]
fn managed_identity_over_imds_and_app_service() {
    let f = fixture();
    register(
        &f,
        json!({"appId": "11111111-aaaa-4000-8000-000000000001", "secrets": [], "managedIdentity": "system"}),
    );
    register(
        &f,
        json!({"appId": "22222222-aaaa-4000-8000-000000000002", "secrets": [], "managedIdentity": "user"}),
    );
    let base = f.emulator.base_url().to_string();
    let imds = HashMap::from([(
        "MGLICENSE_IMDS_ENDPOINT",
        format!("{base}/metadata/identity/oauth2/token"),
    )]);
    let c = sign_in(&f, json!({"identity": true}), &imds).unwrap();
    // As the official module: AuthType ManagedIdentity, and MSI@50342 for the system-assigned one.
    assert_eq!(
        (c["authType"].as_str(), c["tokenCredentialType"].as_str()),
        (Some("ManagedIdentity"), Some("ManagedIdentity"))
    );
    assert_eq!(c["managedIdentityId"], "MSI@50342");
    assert_eq!(c["contextScope"], "Process");
    assert_eq!(c["clientId"], "11111111-aaaa-4000-8000-000000000001");
    assert_eq!(reprocess(&f).unwrap().status, 200);
    let c = sign_in(
        &f,
        json!({"identity": true, "clientId": "22222222-aaaa-4000-8000-000000000002"}),
        &imds,
    )
    .unwrap();
    assert_eq!(c["clientId"], "22222222-aaaa-4000-8000-000000000002");

    let (_, _, login) = http(&base, "GET", "/_emulator/login", "");
    let header = serde_json::from_str::<Value>(&login).unwrap()["identityHeader"]
        .as_str()
        .unwrap()
        .to_string();
    let app_service = HashMap::from([
        ("IDENTITY_ENDPOINT", format!("{base}/msi/token")),
        ("IDENTITY_HEADER", header.clone()),
    ]);
    sign_in(&f, json!({"identity": true}), &app_service).unwrap();
    assert_eq!(reprocess(&f).unwrap().status, 200);

    let wrong = HashMap::from([
        ("IDENTITY_ENDPOINT", format!("{base}/msi/token")),
        ("IDENTITY_HEADER", "wrong".to_string()),
    ]);
    let e = sign_in(&f, json!({"identity": true}), &wrong).unwrap_err();
    assert!(!e.message.contains(&header));
    let e = sign_in(
        &f,
        json!({"identity": true, "clientId": "33333333-0000-0000-0000-000000000000"}),
        &imds,
    )
    .unwrap_err();
    assert!(
        e.message.contains("user-assigned identity '33333333")
            && e.message.contains("assigned to this resource"),
        "{}",
        e.message
    );

    // An endpoint nobody listens on: a port that was just free.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let absent = HashMap::from([(
        "MGLICENSE_IMDS_ENDPOINT",
        format!("http://127.0.0.1:{port}/metadata/identity/oauth2/token"),
    )]);
    let e = sign_in(&f, json!({"identity": true}), &absent).unwrap_err();
    assert!(
        e.message.contains("No answer from the login endpoint")
            && e.message.contains("managed identity"),
        "{}",
        e.message
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
)]
fn environment_variables_give_tenant_client_and_secret_or_certificate() {
    let f = fixture();
    let (path, der) = make_cert();
    register(&f, json!({"certificates": [der]}));
    let mut env = HashMap::from([
        ("AZURE_TENANT_ID", f.tenant.clone()),
        ("AZURE_CLIENT_ID", APP.to_string()),
        ("AZURE_CLIENT_SECRET", SECRET.to_string()),
    ]);
    let c = sign_in(&f, json!({"environmentVariable": true}), &env).unwrap();
    assert_eq!(c["tokenCredentialType"], "EnvironmentVariable");
    assert_eq!(c["authType"], "EnvironmentVariable");
    assert_eq!(reprocess(&f).unwrap().status, 200);
    env.remove("AZURE_CLIENT_SECRET");
    env.insert("AZURE_CLIENT_CERTIFICATE_PATH", path);
    sign_in(&f, json!({"environmentVariable": true}), &env).unwrap();
    assert_eq!(reprocess(&f).unwrap().status, 200);
    env.remove("AZURE_CLIENT_ID");
    let e = sign_in(&f, json!({"environmentVariable": true}), &env).unwrap_err();
    assert!(e.message.contains("AZURE_CLIENT_ID"));
}

/// The certificate of `make_cert`'s PEM file with its key encrypted by
/// `openssl pkcs8 -topk8 -v2 aes-256-cbc` under `password`: the new file's path.
fn encrypt_key(path: &str, password: &str) -> String {
    let pem = std::fs::read_to_string(path).unwrap();
    let at = pem.find("-----BEGIN PRIVATE KEY-----").unwrap();
    let dir = std::path::Path::new(path).parent().unwrap();
    let (plain, encrypted) = (dir.join("plain-key.pem"), dir.join("encrypted-key.pem"));
    std::fs::write(&plain, &pem[at..]).unwrap();
    assert!(std::process::Command::new("openssl")
        .args([
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-v2prf",
            "hmacWithSHA256"
        ])
        .arg("-passout")
        .arg(format!("pass:{password}"))
        .arg("-in")
        .arg(&plain)
        .arg("-out")
        .arg(&encrypted)
        .status()
        .unwrap()
        .success());
    let combined = dir.join("encrypted.pem");
    std::fs::write(
        &combined,
        pem[..at].to_string() + &std::fs::read_to_string(&encrypted).unwrap(),
    )
    .unwrap();
    std::fs::remove_file(&plain).unwrap();
    combined.to_string_lossy().into_owned()
}

#[test]
#[cfg_attr(
    windows,
    ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
)]
fn an_encrypted_pkcs8_pem_signs_in_with_its_password_given_or_from_the_environment() {
    let f = fixture();
    let (path, der) = make_cert();
    let encrypted = encrypt_key(&path, "pem-pass");
    register(&f, json!({"secrets": [], "certificates": [der]}));
    let given = |password: Value| {
        sign_in(
            &f,
            json!({"clientId": APP, "tenantId": f.tenant,
                   "certificate": {"path": encrypted, "password": password}}),
            &HashMap::new(),
        )
    };
    let context = given(json!("pem-pass")).unwrap();
    assert_eq!(context["tokenCredentialType"], "ClientCertificate");
    assert_eq!(reprocess(&f).unwrap().status, 200);

    let e = given(json!("not-pem-pass")).unwrap_err();
    assert_eq!(e.kind, mglicense::ErrorKind::InvalidArgument);
    assert!(
        e.message.contains("the password does not open the key") && e.message.contains(&encrypted),
        "{}",
        e.message
    );
    assert!(!e.message.contains("pem-pass"), "{}", e.message);
    let e = sign_in(
        &f,
        json!({"clientId": APP, "tenantId": f.tenant, "certificate": {"path": encrypted}}),
        &HashMap::new(),
    )
    .unwrap_err();
    assert!(e.message.contains("encrypted private key"), "{}", e.message);

    let mut env = HashMap::from([
        ("AZURE_TENANT_ID", f.tenant.clone()),
        ("AZURE_CLIENT_ID", APP.to_string()),
        ("AZURE_CLIENT_CERTIFICATE_PATH", encrypted.clone()),
        ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pem-pass".to_string()),
    ]);
    let c = sign_in(&f, json!({"environmentVariable": true}), &env).unwrap();
    assert_eq!(c["tokenCredentialType"], "EnvironmentVariable");
    assert_eq!(reprocess(&f).unwrap().status, 200);
    env.remove("AZURE_CLIENT_CERTIFICATE_PASSWORD");
    let e = sign_in(&f, json!({"environmentVariable": true}), &env).unwrap_err();
    assert!(
        e.message.contains("AZURE_CLIENT_CERTIFICATE_PASSWORD"),
        "{}",
        e.message
    );
    // An unencrypted PEM ignores a password given with it.
    env.insert("AZURE_CLIENT_CERTIFICATE_PATH", path);
    env.insert("AZURE_CLIENT_CERTIFICATE_PASSWORD", "unused".to_string());
    sign_in(&f, json!({"environmentVariable": true}), &env).unwrap();
}

#[test]
fn tokens_are_renewed_across_expiry_in_a_long_run() {
    let f = fixture();
    register(&f, json!({"tokenLifetime": 2}));
    sign_in(
        &f,
        json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": SECRET}),
        &HashMap::new(),
    )
    .unwrap();
    let first = f.emulator.state().log().entries().count();
    for _ in 0..8 {
        assert_eq!(reprocess(&f).unwrap().status, 200);
        std::thread::sleep(Duration::from_millis(600));
    }
    let statuses: Vec<Option<u16>> = f
        .emulator
        .state()
        .log()
        .entries()
        .skip(first)
        .map(|e| e.status)
        .collect();
    assert!(statuses.iter().all(|s| *s == Some(200)), "{statuses:?}");
    // Concurrent requests after expiry share one renewal and all succeed.
    std::thread::sleep(Duration::from_millis(2100));
    let handles: Vec<_> = (0..6).map(|_| {
        let spec: RequestSpec = serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": "AdeleV@contoso.com"})).unwrap();
        f.client.start(&spec).unwrap()
    }).collect();
    for h in handles {
        assert_eq!(h.wait(None).unwrap().unwrap().status, 200);
    }
}

#[test]
fn device_code_shows_the_message_and_waits_for_approval_or_decline() {
    let f = fixture();
    for decision in ["approve", "decline"] {
        let op = f.client.sign_in_with_env(request(json!({"flow": "deviceCode", "tenantId": f.tenant, "scopes": ["User.ReadWrite.All"]})), &no_env).unwrap();
        let first = op.poll(Some(Duration::from_secs(20)));
        assert!(first.outcome.is_none());
        let message = first.events[0]["message"].as_str().unwrap().to_string();
        assert!(message.contains("enter the code"), "{message}");
        let code = message
            .split("enter the code ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        admin(
            &f,
            &format!("/_emulator/devicecodes/{code}/{decision}"),
            json!({"userId": "AdeleV@contoso.com"}),
        );
        let outcome = op
            .poll(Some(Duration::from_secs(30)))
            .outcome
            .expect("done");
        if decision == "approve" {
            let c = outcome.unwrap();
            assert_eq!(
                (c["authType"].as_str(), c["tokenCredentialType"].as_str()),
                (Some("Delegated"), Some("DeviceCode"))
            );
            assert_eq!(c["account"], "AdeleV@contoso.com");
            assert!(c["scopes"]
                .as_array()
                .unwrap()
                .contains(&json!("User.ReadWrite.All")));
            assert_eq!(reprocess(&f).unwrap().status, 200);
        } else {
            assert!(outcome.unwrap_err().message.contains("declined"));
        }
    }
}

#[test]
fn device_code_expiry_and_cancellation_end_the_wait() {
    let f = fixture();
    admin(
        &f,
        "/_emulator/login/fault",
        json!({"deviceCodeExpiresIn": 2}),
    );
    let op = f
        .client
        .sign_in_with_env(
            request(json!({"flow": "deviceCode", "tenantId": f.tenant})),
            &no_env,
        )
        .unwrap();
    let mut outcome = None;
    for _ in 0..40 {
        if let Some(o) = op.poll(Some(Duration::from_millis(500))).outcome {
            outcome = Some(o);
            break;
        }
    }
    assert!(outcome.unwrap().unwrap_err().message.contains("expired"));
    let op = f
        .client
        .sign_in_with_env(
            request(json!({"flow": "deviceCode", "tenantId": f.tenant})),
            &no_env,
        )
        .unwrap();
    op.cancel();
    // The device-code message may still be queued ahead of the outcome.
    let outcome = (0..5)
        .find_map(|_| op.poll(Some(Duration::from_secs(5))).outcome)
        .expect("cancelled");
    assert_eq!(outcome.unwrap_err().kind, mglicense::ErrorKind::Cancelled);
}

#[test]
fn browser_sign_in_with_pkce_and_a_loopback_redirect() {
    let f = fixture();
    admin(
        &f,
        "/_emulator/login/browser",
        json!({"userId": "AdeleV@contoso.com"}),
    );
    let op = f
        .client
        .sign_in_with_env(
            request(json!({"tenantId": f.tenant, "scopes": ["User.ReadWrite.All"]})),
            &no_env,
        )
        .unwrap();
    let poll = op.poll(Some(Duration::from_secs(20)));
    let url = poll
        .events
        .iter()
        .find(|e| e["kind"] == "openBrowser")
        .expect("asks for a browser")["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.contains("code_challenge_method=S256"));
    // The "browser": follow the authority's redirect to the engine's listener.
    let path = url.trim_start_matches(f.emulator.base_url());
    let (status, head, _) = http(f.emulator.base_url(), "GET", path, "");
    assert_eq!(status, 302);
    let location = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .unwrap()
        .trim()
        .to_string();
    let rest = location.trim_start_matches("http://localhost:");
    let (port, target) = rest.split_at(rest.find('/').unwrap());
    let (status, _, page) = http(&format!("http://127.0.0.1:{port}"), "GET", target, "");
    assert_eq!(status, 200);
    assert!(page.contains("Authentication complete"));
    // Events may still be queued ahead of the outcome.
    let c = (0..10)
        .find_map(|_| op.poll(Some(Duration::from_secs(5))).outcome)
        .unwrap()
        .unwrap();
    assert_eq!(c["tokenCredentialType"], "InteractiveBrowser");
    assert_eq!(reprocess(&f).unwrap().status, 200);
}

#[test]
fn tokens_for_another_cloud_are_refused_by_graph() {
    let f = fixture();
    register(&f, json!({}));
    let base = f.emulator.base_url().to_string();
    let form = |scope: &str| {
        format!(
            "client_id={APP}&client_secret={}&grant_type=client_credentials&scope={}",
            mglicense::auth::login::urlencode(SECRET),
            mglicense::auth::login::urlencode(scope)
        )
    };
    for (scope, expected) in [
        ("https://graph.microsoft.us/.default", 401),
        (&*format!("{base}/.default"), 200),
    ] {
        let (status, _, body) = http(
            &base,
            "POST",
            &format!("/{}/oauth2/v2.0/token", f.tenant),
            &form(scope),
        );
        assert_eq!(status, 200, "{body}");
        let token = serde_json::from_str::<Value>(&body).unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let host = base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        write!(stream, "POST /v1.0/users/AdeleV@contoso.com/reprocessLicenseAssignment HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {expected}")),
            "{scope}: {answer}"
        );
    }
}

/// The emulator's login log since the last clear: one entry per request to the login side.
fn login_requests(f: &Fixture) -> Vec<Value> {
    let (status, _, text) = http(
        f.emulator.base_url(),
        "GET",
        "/_emulator/login/requests",
        "",
    );
    assert_eq!(status, 200, "{text}");
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn clear_login_requests(f: &Fixture) {
    http(
        f.emulator.base_url(),
        "DELETE",
        "/_emulator/login/requests",
        "",
    );
}

fn put_faults(f: &Fixture, profile: Value) {
    let (status, _, text) = http(
        f.emulator.base_url(),
        "PUT",
        "/_emulator/faults",
        &profile.to_string(),
    );
    assert_eq!(status, 200, "{text}");
}

const EXPIRED: &str = "Access token has expired or is not yet valid.";

#[test]
fn a_401_saying_the_token_expired_renews_once_and_retries_and_concurrent_calls_share_it() {
    let f = fixture();
    register(&f, json!({}));
    sign_in(
        &f,
        json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": SECRET}),
        &HashMap::new(),
    )
    .unwrap();
    clear_login_requests(&f);
    let first = f.emulator.state().log().entries().count();
    let rule = |count: u64, latency: u64| json!({"rules": [{"method": "POST", "path": "/*/users/*/reprocessLicenseAssignment", "failureRate": 1.0, "statuses": [401], "message": EXPIRED, "count": count, "latencyMs": latency}]});

    put_faults(&f, rule(1, 0));
    assert_eq!(reprocess(&f).unwrap().status, 200);
    let statuses: Vec<Option<u16>> = f
        .emulator
        .state()
        .log()
        .entries()
        .skip(first)
        .map(|e| e.status)
        .collect();
    assert_eq!(
        statuses,
        vec![Some(401), Some(200)],
        "one retry after the renewal"
    );
    let renewals = login_requests(&f);
    assert_eq!(renewals.len(), 1, "{renewals:?}");
    assert_eq!(renewals[0]["grantType"], "client_credentials");

    // Four calls in flight all get the 401 with the same token: one renewal between them.
    clear_login_requests(&f);
    let first = f.emulator.state().log().entries().count();
    put_faults(&f, rule(4, 400));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let spec: RequestSpec = serde_json::from_value(json!({"operation": "reprocessLicenseAssignment", "identity": "AdeleV@contoso.com"})).unwrap();
            f.client.start(&spec).unwrap()
        })
        .collect();
    for h in handles {
        assert_eq!(h.wait(None).unwrap().unwrap().status, 200);
    }
    let statuses: Vec<Option<u16>> = f
        .emulator
        .state()
        .log()
        .entries()
        .skip(first)
        .map(|e| e.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == Some(401)).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == Some(200)).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        login_requests(&f).len(),
        1,
        "exactly one renewal: {:?}",
        login_requests(&f)
    );

    // A 401 that does not say expired is not retried, and nothing is renewed.
    clear_login_requests(&f);
    put_faults(
        &f,
        json!({"rules": [{"method": "POST", "path": "/*/users/*/reprocessLicenseAssignment", "failureRate": 1.0, "statuses": [401], "count": 1}]}),
    );
    let e = reprocess(&f).unwrap_err();
    assert!(
        e.message.contains("Access token validation failure"),
        "{}",
        e.message
    );
    assert!(login_requests(&f).is_empty());
}

#[test]
fn device_code_honours_slow_down_and_later_renews_with_the_refresh_token() {
    let f = fixture();
    const DELEGATED: &str = "7a1c9e42-5b3d-4f60-8e21-0c4d3b2a1f90";
    admin(
        &f,
        "/_emulator/apps",
        json!({"appId": DELEGATED, "tokenLifetime": 4}),
    );
    admin(
        &f,
        "/_emulator/login/fault",
        json!({"deviceCodeInterval": 1, "deviceCodeSlowDown": 1}),
    );
    clear_login_requests(&f);
    let op = f.client.sign_in_with_env(request(json!({"flow": "deviceCode", "clientId": DELEGATED, "tenantId": f.tenant, "scopes": ["User.ReadWrite.All"]})), &no_env).unwrap();
    let message = op.poll(Some(Duration::from_secs(20))).events[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    let code = message
        .split("enter the code ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    // Wait for the first poll (answered slow_down), then approve.
    let polls = |f: &Fixture| {
        login_requests(f)
            .into_iter()
            .filter(|e| e["grantType"] == "urn:ietf:params:oauth:grant-type:device_code")
            .collect::<Vec<_>>()
    };
    for _ in 0..100 {
        if !polls(&f).is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let slowed = std::time::Instant::now();
    admin(
        &f,
        &format!("/_emulator/devicecodes/{code}/approve"),
        json!({"userId": "AdeleV@contoso.com"}),
    );
    let outcome = (0..20)
        .find_map(|_| op.poll(Some(Duration::from_secs(2))).outcome)
        .expect("done");
    outcome.unwrap();
    let waited = slowed.elapsed();
    let polled = polls(&f);
    assert_eq!(polled.len(), 2, "slow_down, then approved: {polled:?}");
    assert_eq!(polled[0]["status"], 400);
    assert_eq!(polled[1]["status"], 200);
    // The interval was 1 s; after slow_down it is 6 s (RFC 8628: 5 s more).
    assert!(
        waited >= Duration::from_millis(4500),
        "polled again after {waited:?}"
    );

    // The access token lives 4 s and is renewed within its last quarter: with the refresh token,
    // not with a new device flow.
    clear_login_requests(&f);
    std::thread::sleep(Duration::from_millis(3200));
    assert_eq!(reprocess(&f).unwrap().status, 200);
    let renewed = login_requests(&f);
    assert_eq!(renewed.len(), 1, "{renewed:?}");
    assert_eq!(renewed[0]["grantType"], "refresh_token");
    assert_eq!(renewed[0]["endpoint"], "token");
    assert_eq!(renewed[0]["status"], 200);
    assert_eq!(reprocess(&f).unwrap().status, 200);
    assert_eq!(
        login_requests(&f).len(),
        1,
        "the renewed token is used until it nears expiry"
    );
}

#[test]
fn a_call_sent_from_the_waiting_thread_gets_new_tokens_from_the_engine() {
    let f = fixture();
    register(&f, json!({"tokenLifetime": 4}));
    sign_in(
        &f,
        json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": SECRET}),
        &HashMap::new(),
    )
    .unwrap();
    let spec: RequestSpec = serde_json::from_value(
        json!({"operation": "reprocessLicenseAssignment", "identity": "AdeleV@contoso.com", "onWaitingThread": true}),
    )
    .unwrap();
    clear_login_requests(&f);

    // The token at hand is used as it is.
    assert_eq!(f.client.execute(&spec).unwrap().status, 200);
    assert!(login_requests(&f).is_empty(), "{:?}", login_requests(&f));

    // Graph says it expired: one renewal, and the call is sent again.
    put_faults(
        &f,
        json!({"rules": [{"method": "POST", "path": "/*/users/*/reprocessLicenseAssignment", "failureRate": 1.0, "statuses": [401], "message": EXPIRED, "count": 1}]}),
    );
    assert_eq!(f.client.execute(&spec).unwrap().status, 200);
    assert_eq!(login_requests(&f).len(), 1, "{:?}", login_requests(&f));

    // Past its renewal margin (a quarter of its 4 s): a new token before the call.
    std::thread::sleep(Duration::from_millis(3200));
    assert_eq!(f.client.execute(&spec).unwrap().status, 200);
    assert_eq!(login_requests(&f).len(), 2, "{:?}", login_requests(&f));

    // The login side's connections stayed with the engine: calls on its threads still sign in and go out.
    std::thread::sleep(Duration::from_millis(3200));
    assert_eq!(reprocess(&f).unwrap().status, 200);
    assert_eq!(login_requests(&f).len(), 3, "{:?}", login_requests(&f));
}

/// A client as the next PowerShell session has it: the same settings directory.
fn client_with_settings(f: &Fixture, settings: &Path) -> Arc<Client> {
    let client = Client::new(ClientConfig {
        settings_directory: Some(settings.display().to_string()),
        ..ClientConfig::default()
    })
    .unwrap();
    let url = f.emulator.base_url().to_string();
    client
        .add_environment(NewEnvironment {
            name: "Emulator".into(),
            graph_endpoint: url.clone(),
            azure_ad_endpoint: url,
        })
        .unwrap();
    client
}

#[test]
fn context_scope_current_user_lets_the_next_client_reuse_the_token_and_disconnect_forgets_it() {
    let f = fixture();
    register(&f, json!({}));
    let settings = std::env::temp_dir().join(format!("mglicense-signin-{}", uuid_like()));
    let first = client_with_settings(&f, &settings);
    let asked = json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": SECRET, "contextScope": "CurrentUser", "environment": "Emulator"});
    // A sign-in's events (its progress) may come before its outcome: poll until the outcome.
    let outcome = |client: &Arc<Client>, v: Value| {
        let started = client.sign_in_with_env(request(v), &no_env).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let poll = started.poll(Some(Duration::from_secs(1)));
            if let Some(outcome) = poll.outcome {
                break outcome;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the sign-in did not finish"
            );
        }
    };
    let c = outcome(&first, asked.clone()).unwrap();
    assert_eq!(c["contextScope"], "CurrentUser");
    // Bytes: on Windows the cache is encrypted with DPAPI, so it is not text.
    let cache = std::fs::read(settings.join("tokencache.json")).unwrap();
    assert!(
        !cache.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the secret itself is never kept"
    );
    clear_login_requests(&f);

    // The next session, with the same secret: no token request.
    let second = client_with_settings(&f, &settings);
    outcome(&second, asked.clone()).unwrap();
    assert!(login_requests(&f).is_empty(), "{:?}", login_requests(&f));

    // Another secret for the same app never gets the cached token.
    let other = json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": "another-secret-value", "contextScope": "CurrentUser", "environment": "Emulator"});
    assert!(outcome(&client_with_settings(&f, &settings), other).is_err());

    // Process keeps nothing new, and Disconnect-MgGraph deletes the cache.
    second.disconnect();
    assert!(!settings.join("tokencache.json").exists());
    let third = client_with_settings(&f, &settings);
    let mut process = asked.clone();
    process["contextScope"] = json!("Process");
    assert_eq!(outcome(&third, process).unwrap()["contextScope"], "Process");
    assert!(!settings.join("tokencache.json").exists());
    let _ = std::fs::remove_dir_all(&settings);
}

#[test]
fn a_failed_sign_in_ends_the_previous_connection() {
    let f = fixture();
    register(&f, json!({}));
    sign_in(
        &f,
        json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": SECRET, "environment": "Emulator"}),
        &HashMap::new(),
    )
    .unwrap();
    assert!(f.client.context().is_some());
    let wrong = json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": "wrong", "environment": "Emulator"});
    assert!(sign_in(&f, wrong, &HashMap::new()).is_err());
    assert!(f.client.context().is_none());

    // An unknown environment is refused before anything changes.
    sign_in(
        &f,
        json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": SECRET, "environment": "Emulator"}),
        &HashMap::new(),
    )
    .unwrap();
    let unknown = json!({"clientId": APP, "tenantId": f.tenant, "clientSecret": SECRET, "environment": "Nowhere"});
    let refused = f
        .client
        .sign_in_with_env(serde_json::from_value(unknown).unwrap(), &no_env);
    assert!(refused.is_err());
    assert!(f.client.context().is_some());
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}
