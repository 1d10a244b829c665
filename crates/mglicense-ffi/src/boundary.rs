//! The panic boundary and the marshalling every exported function shares.

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde::de::DeserializeOwned;
use serde::Serialize;

use mglicense::auth::secret::SecretBytes;

use crate::{MglBytes, MglStatus};

/// What a successful call hands back.
pub enum Answer {
    Json(String),
    Pending,
    /// Still running, with a document (progress, events so far).
    PendingJson(String),
    Nothing,
}

impl Answer {
    pub fn json<T: Serialize>(value: &T) -> Result<Answer, Failure> {
        text(value).map(Answer::Json)
    }

    /// Still running, with `value` (progress, events so far) as the document.
    pub fn pending_json<T: Serialize>(value: &T) -> Result<Answer, Failure> {
        text(value).map(Answer::PendingJson)
    }
}

fn text<T: Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string(value).map_err(|e| {
        Failure::new(
            MglStatus::MglPanic,
            "panic",
            &format!("result could not be serialised: {e}"),
        )
    })
}

/// A failed call: its status and its error-detail document.
pub struct Failure {
    pub status: MglStatus,
    pub detail: String,
}

impl Failure {
    pub fn new(status: MglStatus, kind: &str, message: &str) -> Failure {
        let detail = serde_json::json!({ "kind": kind, "message": message }).to_string();
        Failure { status, detail }
    }
}

/// Runs `f` inside the panic boundary and writes its document to `out_json` (if not NULL).
pub fn call(out_json: *mut *mut c_char, f: impl FnOnce() -> Result<Answer, Failure>) -> MglStatus {
    if !out_json.is_null() {
        // SAFETY: the caller passes NULL or a writable `char *`.
        unsafe { *out_json = std::ptr::null_mut() };
    }
    let (status, document) = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(Answer::Json(json))) => (MglStatus::MglOk, Some(json)),
        Ok(Ok(Answer::Nothing)) => (MglStatus::MglOk, None),
        Ok(Ok(Answer::Pending)) => (MglStatus::MglPending, None),
        Ok(Ok(Answer::PendingJson(json))) => (MglStatus::MglPending, Some(json)),
        Ok(Err(failure)) => (failure.status, Some(failure.detail)),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let f = Failure::new(
                MglStatus::MglPanic,
                "panic",
                &format!("MgLicense hit an internal error (a bug; please report it): {what}"),
            );
            (f.status, Some(f.detail))
        }
    };
    if let (false, Some(doc)) = (out_json.is_null(), document) {
        // JSON from serde never contains NUL; a CString cannot fail here.
        if let Ok(c) = CString::new(doc) {
            // SAFETY: as above.
            unsafe { *out_json = c.into_raw() };
        }
    }
    status
}

/// Checks an output pointer.
pub fn out_ptr<T>(ptr: *mut T, name: &str) -> Result<*mut T, Failure> {
    if ptr.is_null() {
        Err(Failure::new(
            MglStatus::MglNullArgument,
            "nullArgument",
            &format!("{name} is NULL."),
        ))
    } else {
        Ok(ptr)
    }
}

/// Reads `len` bytes at `ptr` as UTF-8 JSON of type `T`.
pub fn input_json<T: DeserializeOwned>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> Result<T, Failure> {
    if ptr.is_null() {
        return Err(Failure::new(
            MglStatus::MglNullArgument,
            "nullArgument",
            &format!("{name} is NULL."),
        ));
    }
    // SAFETY: the caller promises `len` readable bytes at a non-NULL `ptr`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(
            MglStatus::MglInvalidUtf8,
            "invalidUtf8",
            &format!(
                "{name} is not valid UTF-8 (first bad byte at offset {}).",
                e.valid_up_to()
            ),
        )
    })?;
    serde_json::from_str(text).map_err(|e| {
        Failure::new(
            MglStatus::MglInvalidJson,
            "invalidJson",
            &format!("{name} is not the expected JSON: {e}."),
        )
    })
}

/// Copies the secret buffers of a call into memory wiped on drop.
///
/// # Safety
/// `secrets` is NULL with `count` 0, or points to `count` readable `MglBytes`, each with `len`
/// readable bytes at `ptr`.
pub unsafe fn secret_buffers(
    secrets: *const MglBytes,
    count: usize,
) -> Result<Vec<SecretBytes>, Failure> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if secrets.is_null() {
        return Err(Failure::new(
            MglStatus::MglNullArgument,
            "nullArgument",
            "secrets is NULL.",
        ));
    }
    // SAFETY: the caller promises `count` readable MglBytes at a non-NULL `secrets`.
    let given = unsafe { std::slice::from_raw_parts(secrets, count) };
    let mut buffers = Vec::with_capacity(count);
    for (i, bytes) in given.iter().enumerate() {
        if bytes.len == 0 {
            buffers.push(SecretBytes(Vec::new()));
        } else if bytes.ptr.is_null() {
            return Err(Failure::new(
                MglStatus::MglNullArgument,
                "nullArgument",
                &format!("secrets[{i}].ptr is NULL."),
            ));
        } else {
            // SAFETY: the caller promises `len` readable bytes at a non-NULL `ptr`.
            buffers.push(SecretBytes(
                unsafe { std::slice::from_raw_parts(bytes.ptr, bytes.len) }.to_vec(),
            ));
        }
    }
    Ok(buffers)
}
