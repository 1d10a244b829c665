//! MgLicense's C ABI.
//!
//! It only translates: handles to engine objects, UTF-8 JSON to engine types and back, engine
//! errors to stable status codes. The contract is docs/abi.md; the header
//! `include/mglicense.h` is generated from this crate by cbindgen.

#![allow(clippy::missing_safety_doc)] // Each function's safety contract is in docs/abi.md.

mod boundary;
mod handles;

use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

use mglicense::auth::SignInRequest;
use mglicense::bulk::{Bulk, BulkOptions, Next, Refused};
use mglicense::client::ClientInfo;
use mglicense::environment::{EnvironmentUpdate, NewEnvironment};
use mglicense::read::NextPage;
use mglicense::retry::RequestContextUpdate;
use mglicense::{Client, ClientConfig, RawSpec, ReadSpec, RequestSpec};

use boundary::{call, input_json, Answer, Failure};
use handles::Object;

/// The version of this ABI. It changes whenever a function's signature or a document's
/// meaning changes incompatibly.
pub const MGL_ABI_VERSION: u32 = 2;

/// Handles are numbers, never pointers: 0 is "no handle", and a released handle is never
/// given out again, so misuse is reported instead of touching freed memory.
pub type MglHandle = u64;

/// One byte buffer the caller owns: `len` bytes at `ptr` (`ptr` may be NULL when `len` is 0).
/// Secrets travel this way, beside the document that names them (docs/abi.md, "Secrets").
#[repr(C)]
pub struct MglBytes {
    pub ptr: *const u8,
    pub len: usize,
}

/// Status of every call. The numbers are stable and never reused.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MglStatus {
    /// Success; `out_json` holds the result.
    MglOk = 0,
    /// `mgl_request_wait`, `mgl_bulk_next` or `mgl_read_next` timed out; work is still running.
    MglPending = 1,
    /// `mgl_bulk_submit`: too many results are waiting; take some with `mgl_bulk_next` first.
    MglBusy = 2,
    /// `mgl_bulk_next`: input finished and every result handed over; `mgl_read_next`: every
    /// page handed over.
    MglDone = 3,
    /// A required pointer was NULL.
    MglNullArgument = 100,
    /// Input bytes are not UTF-8.
    MglInvalidUtf8 = 101,
    /// Input is not the JSON the call expects.
    MglInvalidJson = 102,
    /// A value is unacceptable; the detail names it.
    MglInvalidArgument = 103,
    /// Unknown, released, or wrong-kind handle.
    MglInvalidHandle = 104,
    /// No credential: connect first.
    MglNotConnected = 200,
    /// A token could not be obtained or has expired.
    MglAuthenticationFailed = 201,
    /// Graph answered with an error status.
    MglGraphError = 300,
    /// The request could not be sent or its answer read.
    MglTransportError = 400,
    /// The client timeout elapsed.
    MglTimeout = 401,
    /// The request was cancelled.
    MglCancelled = 500,
    /// The async runtime could not be started.
    MglRuntimeUnavailable = 900,
    /// The engine panicked (a bug); the process is unharmed.
    MglPanic = 999,
}

/// The ABI version this library implements (`MGL_ABI_VERSION`).
#[no_mangle]
pub extern "C" fn mgl_abi_version() -> u32 {
    MGL_ABI_VERSION
}

/// Releases a string returned in `out_json`. NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn mgl_string_free(s: *mut c_char) {
    let _ = std::panic::catch_unwind(|| {
        if !s.is_null() {
            // SAFETY: the caller passes a pointer this library produced with CString::into_raw.
            drop(unsafe { std::ffi::CString::from_raw(s) });
        }
    });
}

/// Creates a client (environments, connection, HTTP pool). `config_json` may be empty (length
/// 0, with any pointer, NULL included) or `{}`. `out_json` receives
/// `{"identityKeys": ["UserId", "Id"], "operations": {...}}`: the keys of an identity object the
/// engine reads, so a front end hands over only those, and each operation's method and
/// documented paths (docs/abi.md), which a front end shows before sending it.
#[no_mangle]
pub unsafe extern "C" fn mgl_client_new(
    config_json: *const u8,
    config_len: usize,
    out_client: *mut MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let out_client = boundary::out_ptr(out_client, "out_client")?;
        // An empty configuration (NULL or not, length 0) is the default one.
        let config: ClientConfig = if config_len == 0 {
            ClientConfig::default()
        } else {
            input_json(config_json, config_len, "config_json")?
        };
        let client = Client::new(config)?;
        // SAFETY: checked non-NULL above; the caller provides a writable MglHandle.
        unsafe { *out_client = handles::insert(Object::Client(client)) };
        Answer::json(&ClientInfo::new())
    })
}

/// Releases a client. 0 is accepted; a second release gives `MGL_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn mgl_client_free(client: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        handles::remove_client(client).map(|_| Answer::Nothing)
    })
}

/// Connects the client without interaction (an access token, a client secret or certificate,
/// a managed identity, environment variables; docs/abi.md "Connect") and waits → the context.
/// Delegated sign-in needs `mgl_signin_start`.
#[no_mangle]
pub unsafe extern "C" fn mgl_client_connect(
    client: MglHandle,
    json: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let client = handles::client(client)?;
        let request: SignInRequest = input_json(json, len, "json")?;
        Answer::json(&client.sign_in_and_wait(request)?)
    })
}

/// Forgets the connection and its token; the result is the context that was, or null.
#[no_mangle]
pub unsafe extern "C" fn mgl_client_disconnect(
    client: MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        Answer::json(&handles::client(client)?.disconnect())
    })
}

/// The current context, or null when not connected.
#[no_mangle]
pub unsafe extern "C" fn mgl_client_context(
    client: MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        Answer::json(&handles::client(client)?.context())
    })
}

/// The environments the client knows, built-in and user-defined.
#[no_mangle]
pub unsafe extern "C" fn mgl_client_environments(
    client: MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        Answer::json(&handles::client(client)?.environments())
    })
}

/// Adds a user-defined environment: `{"name", "graphEndpoint", "azureADEndpoint"}`.
#[no_mangle]
pub unsafe extern "C" fn mgl_client_add_environment(
    client: MglHandle,
    json: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let client = handles::client(client)?;
        let document: EnvironmentDocument = input_json(json, len, "json")?;
        if document.update {
            return Answer::json(&client.set_environment(EnvironmentUpdate {
                name: document.name,
                graph_endpoint: document.graph_endpoint,
                azure_ad_endpoint: document.azure_ad_endpoint,
            })?);
        }
        let (Some(graph_endpoint), Some(azure_ad_endpoint)) =
            (document.graph_endpoint, document.azure_ad_endpoint)
        else {
            return Err(mglicense::Error::invalid_json(
                "json: an environment needs both graphEndpoint and azureADEndpoint (or \"update\": true).",
            )
            .into());
        };
        Answer::json(&client.add_environment(NewEnvironment {
            name: document.name,
            graph_endpoint,
            azure_ad_endpoint,
        })?)
    })
}

/// What `mgl_client_add_environment` takes: an environment to add or replace, or with
/// `"update": true` the endpoints to change of one (Set-MgEnvironment).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EnvironmentDocument {
    name: String,
    #[serde(default)]
    graph_endpoint: Option<String>,
    #[serde(default, rename = "azureADEndpoint")]
    azure_ad_endpoint: Option<String>,
    #[serde(default)]
    update: bool,
}

/// Removes a user-defined environment: `{"name": "..."}` → the environment removed.
#[no_mangle]
pub unsafe extern "C" fn mgl_client_remove_environment(
    client: MglHandle,
    json: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let client = handles::client(client)?;
        let named: EnvironmentName = input_json(json, len, "json")?;
        Answer::json(&client.remove_environment(&named.name)?)
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvironmentName {
    name: String,
}

/// Starts Connect-MgGraph with any credential, including the delegated flows that wait for a
/// person (docs/abi.md "Sign-in"). Poll it with `mgl_signin_wait`. The document names each
/// secret as `{"secret": i}`, the i-th of the `secret_count` buffers at `secrets` (NULL when
/// 0), which are copied before the call returns (docs/abi.md "Secrets").
#[no_mangle]
pub unsafe extern "C" fn mgl_signin_start(
    client: MglHandle,
    json: *const u8,
    len: usize,
    secrets: *const MglBytes,
    secret_count: usize,
    out_signin: *mut MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let out_signin = boundary::out_ptr(out_signin, "out_signin")?;
        let client = handles::client(client)?;
        // SAFETY: the caller promises `secret_count` readable MglBytes at `secrets`.
        let buffers = unsafe { boundary::secret_buffers(secrets, secret_count) }?;
        let request: SignInRequest =
            mglicense::auth::secret::with_buffers(buffers, || input_json(json, len, "json"))?;
        let sign_in = client.sign_in(request)?;
        // SAFETY: checked non-NULL above.
        unsafe { *out_signin = handles::insert(Object::SignIn(Arc::new(sign_in))) };
        Ok(Answer::Json("{}".into()))
    })
}

/// Waits up to `timeout_ms` (`UINT32_MAX`: without limit) for the sign-in's events or its end.
/// `MGL_PENDING` with `{"events": [...]}` while it runs; once finished, `MGL_OK` with
/// `{"events": [...], "context": {...}}` or the error detail (with `events`).
#[no_mangle]
pub unsafe extern "C" fn mgl_signin_wait(
    signin: MglHandle,
    timeout_ms: u32,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let sign_in = handles::sign_in(signin)?;
        let timeout =
            (timeout_ms != u32::MAX).then(|| Duration::from_millis(u64::from(timeout_ms)));
        let poll = sign_in.poll(timeout);
        match poll.outcome {
            None => Answer::pending_json(&serde_json::json!({"events": poll.events})),
            Some(Ok(context)) => {
                Answer::json(&serde_json::json!({"events": poll.events, "context": context}))
            }
            Some(Err(e)) => {
                let mut failure = Failure::from(e);
                if let Ok(serde_json::Value::Object(mut detail)) =
                    serde_json::from_str::<serde_json::Value>(&failure.detail)
                {
                    detail.insert("events".into(), serde_json::Value::Array(poll.events));
                    failure.detail = serde_json::Value::Object(detail).to_string();
                }
                Err(failure)
            }
        }
    })
}

/// Stops a sign-in (Ctrl+C); the connection that was stays.
#[no_mangle]
pub extern "C" fn mgl_signin_cancel(signin: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        handles::sign_in(signin)?.cancel();
        Ok(Answer::Nothing)
    })
}

/// Releases a sign-in, stopping it if it still runs. 0 is accepted; a second release gives
/// `MGL_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn mgl_signin_free(signin: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        if let Some(s) = handles::remove_sign_in(signin)? {
            s.cancel();
        }
        Ok(Answer::Nothing)
    })
}

/// Starts a Graph call described by a request document; the request runs in the background
/// until waited on, cancelled or released.
#[no_mangle]
pub unsafe extern "C" fn mgl_request_start(
    client: MglHandle,
    json: *const u8,
    len: usize,
    out_request: *mut MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let out_request = boundary::out_ptr(out_request, "out_request")?;
        let client = handles::client(client)?;
        let spec: RequestSpec = input_json(json, len, "json")?;
        let pending = client.start(&spec)?;
        // SAFETY: checked non-NULL above.
        unsafe { *out_request = handles::insert(Object::Request(Arc::new(pending))) };
        Ok(Answer::Json("{}".into()))
    })
}

/// Waits up to `timeout_ms` (`UINT32_MAX`: without limit). `MGL_PENDING` while running, with
/// a progress document (elapsed time, retries, a throttle's remaining wait); the final status
/// and document once, after which the result is no longer held.
#[no_mangle]
pub unsafe extern "C" fn mgl_request_wait(
    request: MglHandle,
    timeout_ms: u32,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let pending = handles::request(request)?;
        let timeout =
            (timeout_ms != u32::MAX).then(|| Duration::from_millis(u64::from(timeout_ms)));
        match pending.wait(timeout) {
            None => Answer::pending_json(&pending.progress()),
            Some(outcome) => Answer::json(&outcome?),
        }
    })
}

/// Cancels a running request; a request already answered keeps its answer.
#[no_mangle]
pub extern "C" fn mgl_request_cancel(request: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        handles::request(request)?.cancel();
        Ok(Answer::Nothing)
    })
}

/// Releases a request, cancelling it if it still runs. 0 is accepted; a second release gives
/// `MGL_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn mgl_request_free(request: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        if let Some(pending) = handles::remove_request(request)? {
            pending.cancel();
        }
        Ok(Answer::Nothing)
    })
}

/// Starts a request and waits for it without limit: for callers that need no cancellation.
#[no_mangle]
pub unsafe extern "C" fn mgl_invoke(
    client: MglHandle,
    json: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let client = handles::client(client)?;
        let spec: RequestSpec = input_json(json, len, "json")?;
        Answer::json(&client.execute(&spec)?)
    })
}

/// The client's retry and timeout settings (Get-MgRequestContext).
#[no_mangle]
pub unsafe extern "C" fn mgl_client_request_context(
    client: MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        Answer::json(&handles::client(client)?.request_context())
    })
}

/// Changes some retry and timeout settings (Set-MgRequestContext): `{"maxRetry": 5, …}`;
/// the result is the whole new context.
#[no_mangle]
pub unsafe extern "C" fn mgl_client_set_request_context(
    client: MglHandle,
    json: *const u8,
    len: usize,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let client = handles::client(client)?;
        let update: RequestContextUpdate = input_json(json, len, "json")?;
        Answer::json(&client.set_request_context(update)?)
    })
}

/// Starts a bulk run: `{"throttleLimit": 10, "maxOutstanding": 40, "batchSize": 1}` (all optional).
#[no_mangle]
pub unsafe extern "C" fn mgl_bulk_start(
    client: MglHandle,
    json: *const u8,
    len: usize,
    out_bulk: *mut MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let out_bulk = boundary::out_ptr(out_bulk, "out_bulk")?;
        let client = handles::client(client)?;
        let options: BulkOptions = if len == 0 {
            BulkOptions::default()
        } else {
            input_json(json, len, "json")?
        };
        let bulk = Bulk::new(client, options)?;
        // SAFETY: checked non-NULL above.
        unsafe { *out_bulk = handles::insert(Object::Bulk(Arc::new(bulk))) };
        Ok(Answer::Json("{}".into()))
    })
}

/// Queues one request document; `*out_index` receives its position in input order.
/// `MGL_BUSY` when results must be taken first. An input that can never be sent (bad identity
/// or headers, no connection) is refused at once with its error and not queued.
#[no_mangle]
pub unsafe extern "C" fn mgl_bulk_submit(
    bulk: MglHandle,
    json: *const u8,
    len: usize,
    out_index: *mut u64,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let out_index = boundary::out_ptr(out_index, "out_index")?;
        let bulk = handles::bulk(bulk)?;
        let spec: RequestSpec = input_json(json, len, "json")?;
        match bulk.submit(&spec) {
            Ok(index) => {
                // SAFETY: checked non-NULL above.
                unsafe { *out_index = index };
                Ok(Answer::Json("{}".into()))
            }
            Err(Refused::Busy) => Err(Failure::new(
                MglStatus::MglBusy,
                "busy",
                "Take results before submitting more.",
            )),
            Err(Refused::Invalid(e)) => Err(e.into()),
            Err(Refused::Closed) => Err(Failure::new(
                MglStatus::MglInvalidArgument,
                "invalidArgument",
                "This bulk run takes no more input (finished or cancelled).",
            )),
        }
    })
}

/// No more input will come.
#[no_mangle]
pub extern "C" fn mgl_bulk_finish_input(bulk: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        handles::bulk(bulk)?.finish_input();
        Ok(Answer::Nothing)
    })
}

/// The next result in input order, waiting up to `timeout_ms` (`UINT32_MAX`: without limit).
/// Returns the item's own status and document with `*out_index` set; `MGL_PENDING` when none
/// is ready; `MGL_DONE` when all are handed over; `MGL_CANCELLED` after a cancel.
#[no_mangle]
pub unsafe extern "C" fn mgl_bulk_next(
    bulk: MglHandle,
    timeout_ms: u32,
    out_index: *mut u64,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let out_index = boundary::out_ptr(out_index, "out_index")?;
        let bulk = handles::bulk(bulk)?;
        let timeout =
            (timeout_ms != u32::MAX).then(|| Duration::from_millis(u64::from(timeout_ms)));
        match bulk.next(timeout) {
            Next::Item(index, outcome) => {
                // SAFETY: checked non-NULL above.
                unsafe { *out_index = index };
                Answer::json(&outcome?)
            }
            Next::Pending => Ok(Answer::Pending),
            Next::Done => Err(Failure::new(
                MglStatus::MglDone,
                "done",
                "Every result has been handed over.",
            )),
            Next::Cancelled => Err(Failure::new(
                MglStatus::MglCancelled,
                "cancelled",
                "The bulk run was cancelled.",
            )),
        }
    })
}

/// Counts for a progress display: submitted, completed, succeeded, failed, inFlight, rate, …
#[no_mangle]
pub unsafe extern "C" fn mgl_bulk_progress(
    bulk: MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || Answer::json(&handles::bulk(bulk)?.progress()))
}

/// Stops the run: calls in flight are dropped and nothing more is handed over.
#[no_mangle]
pub extern "C" fn mgl_bulk_cancel(bulk: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        handles::bulk(bulk)?.cancel();
        Ok(Answer::Nothing)
    })
}

/// Releases a bulk run, cancelling what still runs. 0 is accepted; a second release gives
/// `MGL_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn mgl_bulk_free(bulk: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        if let Some(bulk) = handles::remove_bulk(bulk)? {
            bulk.cancel();
        }
        Ok(Answer::Nothing)
    })
}

/// Starts a read (Get-MgUser, Get-MgGroup, Get-MgGroupMemberWithLicenseError,
/// Get-MgSubscribedSku) described by a read document; its first page is fetched at once, and
/// each later one while the page before it is being taken.
#[no_mangle]
pub unsafe extern "C" fn mgl_read_start(
    client: MglHandle,
    json: *const u8,
    len: usize,
    out_read: *mut MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let out_read = boundary::out_ptr(out_read, "out_read")?;
        let client = handles::client(client)?;
        let spec: ReadSpec = input_json(json, len, "json")?;
        let pager = client.start_read(&spec)?;
        // SAFETY: checked non-NULL above.
        unsafe { *out_read = handles::insert(Object::Read(Arc::new(pager))) };
        Ok(Answer::Json("{}".into()))
    })
}

/// The next page, waiting up to `timeout_ms` (`UINT32_MAX`: without limit): `MGL_OK` with the
/// page document, or the error that ended the read; `MGL_PENDING` when it has not come yet;
/// `MGL_DONE` after the last page (or after the error); `MGL_CANCELLED` after a cancel.
#[no_mangle]
pub unsafe extern "C" fn mgl_read_next(
    read: MglHandle,
    timeout_ms: u32,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let pager = handles::read(read)?;
        let timeout =
            (timeout_ms != u32::MAX).then(|| Duration::from_millis(u64::from(timeout_ms)));
        match pager.next(timeout) {
            NextPage::Page(page) => Answer::json(&page?),
            NextPage::Pending => Ok(Answer::Pending),
            NextPage::Done => Err(Failure::new(
                MglStatus::MglDone,
                "done",
                "Every page has been handed over.",
            )),
            NextPage::Cancelled => Err(Failure::new(
                MglStatus::MglCancelled,
                "cancelled",
                "The read was cancelled.",
            )),
        }
    })
}

/// Stops a read: the page being fetched is dropped and nothing more is handed over.
#[no_mangle]
pub extern "C" fn mgl_read_cancel(read: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        handles::read(read)?.cancel();
        Ok(Answer::Nothing)
    })
}

/// Releases a read, cancelling it if it still runs. 0 is accepted; a second release gives
/// `MGL_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn mgl_read_free(read: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        if let Some(pager) = handles::remove_read(read)? {
            pager.cancel();
        }
        Ok(Answer::Nothing)
    })
}

/// Starts a raw Graph call (Invoke-MgGraphRequest) described by a raw call document
/// (docs/abi.md, "Raw calls"), with `body_len` bytes at `body` as its body (`body` NULL: no
/// body), copied before the call returns. The call runs in the background until waited on,
/// cancelled or released.
#[no_mangle]
pub unsafe extern "C" fn mgl_raw_start(
    client: MglHandle,
    json: *const u8,
    len: usize,
    body: *const u8,
    body_len: usize,
    out_raw: *mut MglHandle,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let out_raw = boundary::out_ptr(out_raw, "out_raw")?;
        let client = handles::client(client)?;
        let spec: RawSpec = input_json(json, len, "json")?;
        let body = if body.is_null() {
            None
        } else {
            // SAFETY: the caller promises `body_len` readable bytes at a non-NULL `body`.
            Some(unsafe { std::slice::from_raw_parts(body, body_len) }.to_vec())
        };
        let raw = client.start_raw(&spec, body)?;
        // SAFETY: checked non-NULL above.
        unsafe { *out_raw = handles::insert(Object::Raw(Arc::new(raw))) };
        Ok(Answer::Json("{}".into()))
    })
}

/// Waits up to `timeout_ms` (`UINT32_MAX`: without limit), as `mgl_request_wait`: `MGL_PENDING`
/// with a progress document while the call runs; then once `MGL_OK` with the answer's
/// document (a refused answer included) or the status and error detail that left no answer.
#[no_mangle]
pub unsafe extern "C" fn mgl_raw_wait(
    raw: MglHandle,
    timeout_ms: u32,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let raw = handles::raw(raw)?;
        let timeout =
            (timeout_ms != u32::MAX).then(|| Duration::from_millis(u64::from(timeout_ms)));
        match raw.wait(timeout) {
            None => Answer::pending_json(&raw.progress()),
            Some(outcome) => Answer::json(&outcome?),
        }
    })
}

/// The answer's body, after `mgl_raw_wait` returned `MGL_OK`: `out_body` receives a pointer
/// and length, valid until `mgl_raw_free` (length 0 before the answer, and when the body went
/// to the output file). `out_json` receives nothing on success, the error detail otherwise.
#[no_mangle]
pub unsafe extern "C" fn mgl_raw_body(
    raw: MglHandle,
    out_body: *mut MglBytes,
    out_json: *mut *mut c_char,
) -> MglStatus {
    call(out_json, || {
        let out_body = boundary::out_ptr(out_body, "out_body")?;
        let raw = handles::raw(raw)?;
        let body = raw.body();
        // SAFETY: checked non-NULL above. The bytes belong to the call, which the handle table
        // holds until mgl_raw_free.
        unsafe {
            *out_body = MglBytes {
                ptr: body.as_ptr(),
                len: body.len(),
            }
        };
        Ok(Answer::Nothing)
    })
}

/// Cancels a running raw call; an output file being written is removed.
#[no_mangle]
pub extern "C" fn mgl_raw_cancel(raw: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        handles::raw(raw)?.cancel();
        Ok(Answer::Nothing)
    })
}

/// Releases a raw call and its body, cancelling it if it still runs. 0 is accepted; a second
/// release gives `MGL_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn mgl_raw_free(raw: MglHandle) -> MglStatus {
    call(std::ptr::null_mut(), || {
        if let Some(raw) = handles::remove_raw(raw)? {
            raw.cancel();
        }
        Ok(Answer::Nothing)
    })
}

impl From<mglicense::Error> for Failure {
    fn from(e: mglicense::Error) -> Self {
        use mglicense::ErrorKind as K;
        let status = match e.kind {
            K::InvalidJson => MglStatus::MglInvalidJson,
            K::InvalidArgument | K::UnknownEnvironment | K::BuiltInEnvironment => {
                MglStatus::MglInvalidArgument
            }
            K::NotConnected => MglStatus::MglNotConnected,
            K::AuthenticationFailed => MglStatus::MglAuthenticationFailed,
            K::Graph => MglStatus::MglGraphError,
            K::Transport => MglStatus::MglTransportError,
            K::Timeout => MglStatus::MglTimeout,
            K::Cancelled => MglStatus::MglCancelled,
            K::Runtime => MglStatus::MglRuntimeUnavailable,
            K::Panic => MglStatus::MglPanic,
        };
        Failure {
            status,
            detail: e.to_json(),
        }
    }
}
