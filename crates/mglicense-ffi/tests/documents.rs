//! The C ABI's JSON documents as docs/abi.md describes them: a new client names the identity
//! keys and each operation's paths, an empty configuration is the default one, a document that
//! gives an identity key twice is ambiguous and refused, a user id must be a string, and the
//! limits the HTTP stack would panic on are refused with MGL_INVALID_ARGUMENT before anything
//! is sent.

use std::ffi::{c_char, CStr};
use std::ptr;

use mglicense_ffi::*;

fn take(out: *mut c_char) -> serde_json::Value {
    assert!(!out.is_null(), "an error document");
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
    unsafe { mgl_string_free(out) };
    serde_json::from_str(&text).unwrap()
}

/// A client connected with an access token to a port where nothing listens: every call
/// below is refused before it would be sent.
fn client() -> MglHandle {
    let mut client = 0;
    assert_eq!(
        unsafe { mgl_client_new(ptr::null(), 0, &mut client, ptr::null_mut()) },
        MglStatus::MglOk
    );
    let env = r#"{"name":"Nowhere","graphEndpoint":"http://127.0.0.1:9","azureADEndpoint":"http://127.0.0.1:9"}"#;
    let connect = r#"{"accessToken":"documents-test-token","environment":"Nowhere"}"#;
    unsafe {
        assert_eq!(
            mgl_client_add_environment(client, env.as_ptr(), env.len(), ptr::null_mut()),
            MglStatus::MglOk
        );
        assert_eq!(
            mgl_client_connect(client, connect.as_ptr(), connect.len(), ptr::null_mut()),
            MglStatus::MglOk
        );
    }
    client
}

fn start(client: MglHandle, json: &str) -> (MglStatus, serde_json::Value) {
    let (mut request, mut out) = (0, ptr::null_mut());
    let status =
        unsafe { mgl_request_start(client, json.as_ptr(), json.len(), &mut request, &mut out) };
    let doc = take(out);
    if request != 0 {
        mgl_request_free(request);
    }
    (status, doc)
}

#[test]
fn a_new_client_names_the_identity_keys_and_each_operation() {
    let (mut client, mut out) = (0, ptr::null_mut());
    let status = unsafe { mgl_client_new(ptr::null(), 0, &mut client, &mut out) };
    assert_eq!(status, MglStatus::MglOk);
    assert_eq!(
        take(out),
        serde_json::json!({
            "identityKeys": ["UserId", "Id"],
            "operations": {
                "reprocessLicenseAssignment": {
                    "method": "POST",
                    "path": "/users/{user-id}/reprocessLicenseAssignment",
                    "mePath": null
                },
                "betaReprocessLicenseAssignment": {
                    "method": "POST",
                    "path": "/users/{user-id}/reprocessLicenseAssignment",
                    "mePath": null
                },
                "betaReprocessCloudLicensingAssignments": {
                    "method": "POST",
                    "path": "/users/{user-id}/cloudLicensing/assignments/reprocessAssignments",
                    "mePath": null
                },
                "betaReprocessLicenseAssignment2": {
                    "method": "POST",
                    "path": "/users/{user-id}/reprocessLicenseAssignment2",
                    "mePath": "/me/reprocessLicenseAssignment2"
                },
                "updateUser": {"method": "PATCH", "path": "/users/{user-id}", "mePath": null},
                "assignLicense": {
                    "method": "POST",
                    "path": "/users/{user-id}/assignLicense",
                    "mePath": null
                },
                "addGroupMember": {
                    "method": "POST",
                    "path": "/groups/{group-id}/members/$ref",
                    "mePath": null
                },
                "removeGroupMember": {
                    "method": "DELETE",
                    "path": "/groups/{group-id}/members/{directoryObject-id}/$ref",
                    "mePath": null
                }
            }
        })
    );
    assert_eq!(mgl_client_free(client), MglStatus::MglOk);
}

#[test]
fn an_empty_configuration_is_the_default_one() {
    for config in ["", "{}"] {
        let (mut client, mut out) = (0, ptr::null_mut());
        // A pointer that is not NULL, with length 0.
        let status =
            unsafe { mgl_client_new(config.as_ptr(), config.len(), &mut client, &mut out) };
        assert_eq!(status, MglStatus::MglOk, "{config:?}: {}", take(out));
        assert_ne!(client, 0);
        assert_eq!(mgl_client_free(client), MglStatus::MglOk);
    }
}

#[test]
fn an_identity_key_given_twice_is_ambiguous_and_refused() {
    let client = client();
    for json in [
        r#"{"operation":"reprocessLicenseAssignment","identity":{"UserId":"x","UserId":"y"}}"#,
        r#"{"operation":"reprocessLicenseAssignment","identity":{"UserId":"x","UserId":"x"}}"#,
        r#"{"operation":"reprocessLicenseAssignment","identity":{"Id":"x","Id":"y"}}"#,
        r#"{"operation":"reprocessLicenseAssignment","identity":"u","headers":{"x-a":"1","x-a":"2"}}"#,
    ] {
        let (status, doc) = start(client, json);
        assert_eq!(status, MglStatus::MglInvalidJson, "{json}: {doc}");
        assert!(
            doc["message"].as_str().unwrap().contains("is given twice"),
            "{json}: {doc}"
        );
    }
    let read = r#"{"resource":"user","identity":{"UserId":"x","UserId":"y"}}"#;
    let (mut handle, mut out) = (0, ptr::null_mut());
    let status =
        unsafe { mgl_read_start(client, read.as_ptr(), read.len(), &mut handle, &mut out) };
    assert_eq!(status, MglStatus::MglInvalidJson);
    assert!(take(out)["message"]
        .as_str()
        .unwrap()
        .contains("'UserId' is given twice"));
    // Different spellings of one key with one value are still one identity.
    let same =
        r#"{"operation":"reprocessLicenseAssignment","identity":{"UserId":"x","userid":"x"}}"#;
    let (status, doc) = start(client, same);
    assert_eq!(status, MglStatus::MglOk, "{doc}");
    mgl_client_free(client);
}

#[test]
fn a_user_id_that_is_not_a_string_is_refused_by_name() {
    let client = client();
    for (identity, kind) in [
        ("18446744073709551616", "a number"),
        ("-0.0", "a number"),
        ("true", "a boolean"),
    ] {
        let json = format!(
            r#"{{"operation":"reprocessLicenseAssignment","identity":{{"UserId":{identity}}}}}"#
        );
        let (status, doc) = start(client, &json);
        assert_eq!(status, MglStatus::MglInvalidArgument, "{json}: {doc}");
        let message = doc["message"].as_str().unwrap();
        assert!(
            message.contains("InputObject.UserId must be a string") && message.contains(kind),
            "{json}: {doc}"
        );
    }
    mgl_client_free(client);
}

#[test]
fn limits_the_http_stack_would_panic_on_are_invalid_arguments() {
    let client = client();
    let headers: serde_json::Map<String, serde_json::Value> = (0..40_000)
        .map(|i| (format!("x-h{i}"), serde_json::Value::from("v")))
        .collect();
    let request = serde_json::json!({"operation": "reprocessLicenseAssignment", "identity": "u", "headers": headers}).to_string();
    let (status, doc) = start(client, &request);
    assert_eq!(status, MglStatus::MglInvalidArgument, "{doc}");

    // A bulk item is refused at submission, not left pending.
    let (mut bulk, mut index) = (0, 0);
    unsafe {
        assert_eq!(
            mgl_bulk_start(client, ptr::null(), 0, &mut bulk, ptr::null_mut()),
            MglStatus::MglOk
        );
        let mut out = ptr::null_mut();
        let status = mgl_bulk_submit(bulk, request.as_ptr(), request.len(), &mut index, &mut out);
        assert_eq!(status, MglStatus::MglInvalidArgument, "{}", take(out));
    }
    mgl_bulk_free(bulk);

    // A read over 64 KB of URL is refused at its start, not "done" without a page.
    let read = serde_json::json!({"resource": "users", "filter": "x".repeat(70_000)}).to_string();
    let (mut handle, mut out) = (0, ptr::null_mut());
    let status =
        unsafe { mgl_read_start(client, read.as_ptr(), read.len(), &mut handle, &mut out) };
    let doc = take(out);
    assert_eq!(status, MglStatus::MglInvalidArgument, "{doc}");
    assert!(doc["message"].as_str().unwrap().contains("65534"), "{doc}");
    mgl_client_free(client);
}

#[test]
fn secrets_travel_as_their_own_buffers_named_by_the_document() {
    let client = client();
    let token = b"documents-buffer-token";
    let secrets = [MglBytes {
        ptr: token.as_ptr(),
        len: token.len(),
    }];
    let sign_in = |json: &str, secrets: &[MglBytes]| {
        let (mut signin, mut out) = (0, ptr::null_mut());
        let status = unsafe {
            mgl_signin_start(
                client,
                json.as_ptr(),
                json.len(),
                secrets.as_ptr(),
                secrets.len(),
                &mut signin,
                &mut out,
            )
        };
        let started = take(out);
        if status != MglStatus::MglOk {
            return (status, started);
        }
        let mut out = ptr::null_mut();
        let status = unsafe { mgl_signin_wait(signin, u32::MAX, &mut out) };
        mgl_signin_free(signin);
        (status, take(out))
    };

    let (status, done) = sign_in(
        r#"{"accessToken":{"secret":0},"environment":"Nowhere"}"#,
        &secrets,
    );
    assert_eq!(status, MglStatus::MglOk, "{done}");
    assert_eq!(done["context"]["authType"], "UserProvidedAccessToken");

    let (status, detail) = sign_in(
        r#"{"accessToken":{"secret":1},"environment":"Nowhere"}"#,
        &secrets,
    );
    assert_eq!(status, MglStatus::MglInvalidJson, "{detail}");
    assert!(
        detail["message"]
            .as_str()
            .unwrap()
            .contains("secret 1 names no buffer"),
        "{detail}"
    );

    let bad = [0xffu8];
    let (status, detail) = sign_in(
        r#"{"accessToken":{"secret":0},"environment":"Nowhere"}"#,
        &[MglBytes {
            ptr: bad.as_ptr(),
            len: 1,
        }],
    );
    assert_eq!(status, MglStatus::MglInvalidJson, "{detail}");

    let (status, detail) = sign_in(
        r#"{"accessToken":{"secret":0},"environment":"Nowhere"}"#,
        &[MglBytes {
            ptr: ptr::null(),
            len: 4,
        }],
    );
    assert_eq!(status, MglStatus::MglNullArgument, "{detail}");
    assert!(
        detail["message"]
            .as_str()
            .unwrap()
            .contains("secrets[0].ptr"),
        "{detail}"
    );
    mgl_client_free(client);
}

/// A certificate whose PKCS#8 key `openssl pkcs8 -topk8 -v2 aes-256-cbc` encrypted with
/// `password`, in one PEM file: its path.
fn encrypted_pem(password: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mgl-ffi-pem-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (key, cert, encrypted) = (
        dir.join("key.pem"),
        dir.join("cert.pem"),
        dir.join("encrypted.pem"),
    );
    let openssl = |args: &[&std::ffi::OsStr]| {
        assert!(std::process::Command::new("openssl")
            .args(args)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success())
    };
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let pass = format!("pass:{password}");
    openssl(&[
        os("req"),
        os("-x509"),
        os("-newkey"),
        os("rsa:2048"),
        os("-nodes"),
        os("-days"),
        os("2"),
        os("-subj"),
        os("/CN=MgLicense ffi test"),
        os("-keyout"),
        key.as_os_str(),
        os("-out"),
        cert.as_os_str(),
    ]);
    openssl(&[
        os("pkcs8"),
        os("-topk8"),
        os("-v2"),
        os("aes-256-cbc"),
        os("-passout"),
        std::ffi::OsStr::new(&pass),
        os("-in"),
        key.as_os_str(),
        os("-out"),
        encrypted.as_os_str(),
    ]);
    let combined = dir.join("combined.pem");
    std::fs::write(
        &combined,
        std::fs::read_to_string(&cert).unwrap() + &std::fs::read_to_string(&encrypted).unwrap(),
    )
    .unwrap();
    std::fs::remove_file(&key).unwrap();
    combined
}

#[test]
#[cfg_attr(
    windows,
    ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
)]
fn an_encrypted_pem_key_opens_with_the_password_given_as_a_secret_buffer() {
    let client = client();
    let path = encrypted_pem("ffi-pem-pass");
    let document = serde_json::json!({
        "clientId": "app", "tenantId": "tenant", "environment": "Nowhere",
        "certificate": {"path": path, "password": {"secret": 0}},
    })
    .to_string();
    let sign_in = |password: &[u8]| {
        let secrets = [MglBytes {
            ptr: password.as_ptr(),
            len: password.len(),
        }];
        let (mut signin, mut out) = (0, ptr::null_mut());
        let status = unsafe {
            mgl_signin_start(
                client,
                document.as_ptr(),
                document.len(),
                secrets.as_ptr(),
                secrets.len(),
                &mut signin,
                &mut out,
            )
        };
        let started = take(out);
        if status != MglStatus::MglOk {
            return (status, started);
        }
        let mut out = ptr::null_mut();
        let status = unsafe { mgl_signin_wait(signin, u32::MAX, &mut out) };
        mgl_signin_free(signin);
        (status, take(out))
    };

    // The wrong password is named before anything is sent.
    let (status, detail) = sign_in(b"not-the-password");
    assert_eq!(status, MglStatus::MglInvalidArgument, "{detail}");
    let message = detail["message"].as_str().unwrap();
    assert!(
        message.contains("the password does not open the key"),
        "{detail}"
    );
    assert!(!message.contains("not-the-password"), "{detail}");

    // The right one opens the key: the sign-in goes on to the token endpoint, where nothing
    // listens.
    let (status, detail) = sign_in(b"ffi-pem-pass");
    assert_ne!(status, MglStatus::MglInvalidArgument, "{detail}");
    assert_ne!(status, MglStatus::MglOk, "{detail}");
    assert!(
        !detail["message"].as_str().unwrap().contains("private key"),
        "{detail}"
    );
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    mgl_client_free(client);
}

fn add_environment(client: MglHandle, json: &str) -> (MglStatus, serde_json::Value) {
    let mut out = ptr::null_mut();
    let status = unsafe { mgl_client_add_environment(client, json.as_ptr(), json.len(), &mut out) };
    (status, take(out))
}

#[test]
fn an_environment_is_added_with_both_endpoints_and_changed_with_update() {
    let client = client();

    // Both endpoints, each kept as its base URL (the official GetBaseUrl).
    let (status, added) = add_environment(
        client,
        r#"{"name":"Changed","graphEndpoint":"https://graph.changed.test/v1.0","azureADEndpoint":"https://login.changed.test"}"#,
    );
    assert_eq!(status, MglStatus::MglOk, "{added}");
    assert_eq!(added["graphEndpoint"], "https://graph.changed.test");

    // Without "update", an endpoint missing is a document the call cannot take.
    let (status, refused) = add_environment(
        client,
        r#"{"name":"Changed","graphEndpoint":"https://x.test"}"#,
    );
    assert_eq!(status, MglStatus::MglInvalidJson, "{refused}");

    // With it, the endpoint given changes and the other stays (Set-MgEnvironment).
    let (status, changed) = add_environment(
        client,
        r#"{"name":"changed","azureADEndpoint":"https://login2.changed.test/x","update":true}"#,
    );
    assert_eq!(status, MglStatus::MglOk, "{changed}");
    assert_eq!(changed["name"], "Changed");
    assert_eq!(changed["graphEndpoint"], "https://graph.changed.test");
    assert_eq!(changed["azureADEndpoint"], "https://login2.changed.test");

    // A built-in cloud, by kind and in the official words.
    let (status, builtin) = add_environment(
        client,
        r#"{"name":"USGov","graphEndpoint":"https://x.test","update":true}"#,
    );
    assert_eq!(status, MglStatus::MglInvalidArgument);
    assert_eq!(builtin["kind"], "builtInEnvironment");
    assert_eq!(
        builtin["message"],
        "Cannot change built-in environment USGov."
    );

    let name = r#"{"name":"NoSuchCloud"}"#;
    let mut out = ptr::null_mut();
    let status =
        unsafe { mgl_client_remove_environment(client, name.as_ptr(), name.len(), &mut out) };
    let unknown = take(out);
    assert_eq!(status, MglStatus::MglInvalidArgument);
    assert_eq!(unknown["kind"], "unknownEnvironment");
    assert_eq!(unknown["message"], "Environment NoSuchCloud not found.");
    mgl_client_free(client);
}
