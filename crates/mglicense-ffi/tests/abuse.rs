//! The C ABI under abuse: arbitrary bytes, wrong handles, many threads at once. Nothing may
//! panic across the boundary, and every failure must come with a readable error document.

use std::ffi::{c_char, CStr};
use std::ptr;
use std::thread;

use mglicense_ffi::*;
use proptest::prelude::*;

/// Takes an out_json string: parsed, and released.
fn take(out: *mut c_char) -> Option<serde_json::Value> {
    if out.is_null() {
        return None;
    }
    let text = unsafe { CStr::from_ptr(out) }.to_str().expect("out_json is UTF-8").to_string();
    unsafe { mgl_string_free(out) };
    Some(serde_json::from_str(&text).expect("out_json is JSON"))
}

/// One client per property test: creating one per case would mostly measure TLS set-up.
fn shared_client() -> MglHandle {
    static CLIENT: std::sync::OnceLock<MglHandle> = std::sync::OnceLock::new();
    *CLIENT.get_or_init(new_client)
}

/// A client nothing ever connects.
fn unconnected_client() -> MglHandle {
    static CLIENT: std::sync::OnceLock<MglHandle> = std::sync::OnceLock::new();
    *CLIENT.get_or_init(new_client)
}

fn new_client() -> MglHandle {
    let mut client = 0;
    assert_eq!(unsafe { mgl_client_new(ptr::null(), 0, &mut client, ptr::null_mut()) }, MglStatus::MglOk);
    client
}

/// A failure is never a panic, and always says what went wrong.
fn check_failure(status: MglStatus, out: *mut c_char) {
    let doc = take(out);
    assert_ne!(status, MglStatus::MglPanic, "{doc:?}");
    if status != MglStatus::MglOk {
        let doc = doc.expect("a failure has an error document");
        assert!(doc["kind"].is_string() && !doc["message"].as_str().unwrap().is_empty(), "{doc}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let client = shared_client();
        let calls: [unsafe extern "C" fn(MglHandle, *const u8, usize, *mut *mut c_char) -> MglStatus; 4] =
            [mgl_invoke, mgl_client_connect, mgl_client_add_environment, mgl_client_set_request_context];
        for f in calls {
            let mut out = ptr::null_mut();
            let status = unsafe { f(client, bytes.as_ptr(), bytes.len(), &mut out) };
            check_failure(status, out);
        }
    }

    #[test]
    fn arbitrary_request_documents_never_panic(
        operation in prop_oneof![
            Just("reprocessLicenseAssignment".to_string()),
            Just("betaReprocessLicenseAssignment2".to_string()),
            ".{0,12}",
        ],
        identity in prop_oneof![
            Just(serde_json::Value::Null),
            ".{0,40}".prop_map(serde_json::Value::from),
            proptest::collection::hash_map("[A-Za-z]{0,8}", ".{0,20}", 0..4).prop_map(|m| serde_json::json!(m)),
            any::<i64>().prop_map(serde_json::Value::from),
        ],
        me in any::<bool>(),
        header in proptest::option::of((".{0,10}", ".{0,20}")),
    ) {
        let client = unconnected_client();
        let mut doc = serde_json::json!({"operation": operation, "identity": identity, "me": me});
        if let Some((n, v)) = header {
            doc["headers"] = serde_json::json!({ n: v });
        }
        let text = doc.to_string();
        let (mut out, mut request) = (ptr::null_mut(), 0);
        let status = unsafe { mgl_request_start(client, text.as_ptr(), text.len(), &mut request, &mut out) };
        check_failure(status, out);
        // Not connected: nothing valid can be started, so nothing is ever sent.
        prop_assert_ne!(status, MglStatus::MglOk);
        prop_assert_eq!(request, 0);
    }

    #[test]
    // Far above any handle this process issues, so no live handle of another test is touched.
    fn handles_that_were_never_issued_are_refused(handle in (1u64 << 40)..u64::MAX) {
        let mut out = ptr::null_mut();
        let status = unsafe { mgl_request_wait(handle, 0, &mut out) };
        check_failure(status, out);
        prop_assert!(status == MglStatus::MglInvalidHandle);
        prop_assert_eq!(mgl_request_free(handle), MglStatus::MglInvalidHandle);
        prop_assert_eq!(mgl_bulk_cancel(handle), MglStatus::MglInvalidHandle);
        prop_assert_eq!(mgl_read_cancel(handle), MglStatus::MglInvalidHandle);
        prop_assert_eq!(mgl_read_free(handle), MglStatus::MglInvalidHandle);
        let status = unsafe { mgl_read_next(handle, 0, &mut out) };
        check_failure(status, out);
        prop_assert!(status == MglStatus::MglInvalidHandle);
    }

    #[test]
    fn arbitrary_read_documents_never_panic(
        resource in prop_oneof![Just("users".to_string()), Just("user".to_string()), Just("group".to_string()), ".{0,12}"],
        identity in proptest::option::of(".{0,40}"),
        group in proptest::option::of(".{0,40}"),
        filter in proptest::option::of(".{0,40}"),
        top in proptest::option::of(any::<u64>()),
        page_size in proptest::option::of(any::<u64>()),
        level in proptest::option::of(".{0,20}"),
    ) {
        let client = unconnected_client();
        let doc = serde_json::json!({
            "resource": resource, "identity": identity, "groupId": group, "filter": filter,
            "top": top, "pageSize": page_size, "consistencyLevel": level,
        });
        let text = doc.to_string();
        let (mut out, mut read) = (ptr::null_mut(), 0);
        let status = unsafe { mgl_read_start(client, text.as_ptr(), text.len(), &mut read, &mut out) };
        check_failure(status, out);
        prop_assert_ne!(status, MglStatus::MglOk);
        prop_assert_eq!(read, 0);
    }
}

#[test]
fn many_threads_at_once_share_one_client_safely() {
    let client = new_client();
    let workers: Vec<_> = (0..8)
        .map(|t| {
            thread::spawn(move || {
                for i in 0..200 {
                    let doc = format!(r#"{{"operation":"reprocessLicenseAssignment","identity":"user-{t}-{i}"}}"#);
                    let mut out = ptr::null_mut();
                    let status = unsafe { mgl_invoke(client, doc.as_ptr(), doc.len(), &mut out) };
                    assert_eq!(status, MglStatus::MglNotConnected);
                    check_failure(status, out);
                    let mut out = ptr::null_mut();
                    assert_eq!(unsafe { mgl_client_context(client, &mut out) }, MglStatus::MglOk);
                    take(out);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(mgl_client_free(client), MglStatus::MglOk);
}

#[test]
fn racing_releases_free_a_handle_exactly_once() {
    for _ in 0..50 {
        let client = new_client();
        let racers: Vec<_> = (0..4).map(|_| thread::spawn(move || mgl_client_free(client))).collect();
        let results: Vec<MglStatus> = racers.into_iter().map(|r| r.join().unwrap()).collect();
        assert_eq!(results.iter().filter(|s| **s == MglStatus::MglOk).count(), 1, "{results:?}");
        assert!(results.iter().all(|s| *s == MglStatus::MglOk || *s == MglStatus::MglInvalidHandle));
    }
}

#[test]
fn a_handle_of_one_kind_is_refused_as_another() {
    let client = new_client();
    let mut bulk = 0;
    assert_eq!(unsafe { mgl_bulk_start(client, ptr::null(), 0, &mut bulk, ptr::null_mut()) }, MglStatus::MglOk);
    assert_eq!(mgl_request_cancel(client), MglStatus::MglInvalidHandle);
    assert_eq!(mgl_request_free(bulk), MglStatus::MglInvalidHandle);
    assert_eq!(mgl_client_free(bulk), MglStatus::MglInvalidHandle);
    let mut out = ptr::null_mut();
    assert_eq!(unsafe { mgl_client_context(bulk, &mut out) }, MglStatus::MglInvalidHandle);
    take(out);
    assert_eq!(mgl_read_cancel(bulk), MglStatus::MglInvalidHandle);
    assert_eq!(mgl_read_free(client), MglStatus::MglInvalidHandle);
    assert_eq!(unsafe { mgl_read_next(client, 0, &mut out) }, MglStatus::MglInvalidHandle);
    take(out);
    assert_eq!(mgl_read_free(0), MglStatus::MglOk);
    assert_eq!(mgl_bulk_free(bulk), MglStatus::MglOk);
    assert_eq!(mgl_client_free(client), MglStatus::MglOk);
}
