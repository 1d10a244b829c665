//! The handle table: numbers handed to callers, mapped to engine objects.
//!
//! A number is never reused, so a stale, doubly released or wrong-kind handle is an error
//! rather than a use of freed memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mglicense::auth::signin::SignIn;
use mglicense::bulk::Bulk;
use mglicense::{Client, Pager, Pending, RawCall};
use once_cell::sync::Lazy;

use crate::boundary::Failure;
use crate::{MglHandle, MglStatus};

pub enum Object {
    Client(Arc<Client>),
    Request(Arc<Pending>),
    Bulk(Arc<Bulk>),
    SignIn(Arc<SignIn>),
    Read(Arc<Pager>),
    Raw(Arc<RawCall>),
}

static TABLE: Lazy<Mutex<HashMap<MglHandle, Object>>> = Lazy::new(|| Mutex::new(HashMap::new()));
static NEXT: AtomicU64 = AtomicU64::new(1);

fn table() -> MutexGuard<'static, HashMap<MglHandle, Object>> {
    TABLE.lock().unwrap_or_else(|e| e.into_inner())
}

fn invalid(handle: MglHandle, kind: &str) -> Failure {
    Failure::new(
        MglStatus::MglInvalidHandle,
        "invalidHandle",
        &format!("{handle} is not a live {kind} handle (never issued, already released, or of another kind)."),
    )
}

pub fn insert(object: Object) -> MglHandle {
    let handle = NEXT.fetch_add(1, Ordering::Relaxed);
    table().insert(handle, object);
    handle
}

pub fn client(handle: MglHandle) -> Result<Arc<Client>, Failure> {
    match table().get(&handle) {
        Some(Object::Client(c)) => Ok(Arc::clone(c)),
        _ => Err(invalid(handle, "client")),
    }
}

pub fn request(handle: MglHandle) -> Result<Arc<Pending>, Failure> {
    match table().get(&handle) {
        Some(Object::Request(r)) => Ok(Arc::clone(r)),
        _ => Err(invalid(handle, "request")),
    }
}

pub fn bulk(handle: MglHandle) -> Result<Arc<Bulk>, Failure> {
    match table().get(&handle) {
        Some(Object::Bulk(b)) => Ok(Arc::clone(b)),
        _ => Err(invalid(handle, "bulk")),
    }
}

/// Removes a bulk handle; 0 is accepted and does nothing.
pub fn remove_bulk(handle: MglHandle) -> Result<Option<Arc<Bulk>>, Failure> {
    remove(handle, "bulk", |o| matches!(o, Object::Bulk(_))).map(|o| match o {
        Some(Object::Bulk(b)) => Some(b),
        _ => None,
    })
}

pub fn sign_in(handle: MglHandle) -> Result<Arc<SignIn>, Failure> {
    match table().get(&handle) {
        Some(Object::SignIn(s)) => Ok(Arc::clone(s)),
        _ => Err(invalid(handle, "sign-in")),
    }
}

/// Removes a sign-in handle; 0 is accepted and does nothing.
pub fn remove_sign_in(handle: MglHandle) -> Result<Option<Arc<SignIn>>, Failure> {
    remove(handle, "sign-in", |o| matches!(o, Object::SignIn(_))).map(|o| match o {
        Some(Object::SignIn(s)) => Some(s),
        _ => None,
    })
}

/// Removes a client handle; 0 is accepted and does nothing.
pub fn remove_client(handle: MglHandle) -> Result<Option<Arc<Client>>, Failure> {
    remove(handle, "client", |o| matches!(o, Object::Client(_))).map(|o| match o {
        Some(Object::Client(c)) => Some(c),
        _ => None,
    })
}

/// Removes a request handle; 0 is accepted and does nothing.
pub fn remove_request(handle: MglHandle) -> Result<Option<Arc<Pending>>, Failure> {
    remove(handle, "request", |o| matches!(o, Object::Request(_))).map(|o| match o {
        Some(Object::Request(r)) => Some(r),
        _ => None,
    })
}

pub fn read(handle: MglHandle) -> Result<Arc<Pager>, Failure> {
    match table().get(&handle) {
        Some(Object::Read(r)) => Ok(Arc::clone(r)),
        _ => Err(invalid(handle, "read")),
    }
}

/// Removes a read handle; 0 is accepted and does nothing.
pub fn remove_read(handle: MglHandle) -> Result<Option<Arc<Pager>>, Failure> {
    remove(handle, "read", |o| matches!(o, Object::Read(_))).map(|o| match o {
        Some(Object::Read(r)) => Some(r),
        _ => None,
    })
}

pub fn raw(handle: MglHandle) -> Result<Arc<RawCall>, Failure> {
    match table().get(&handle) {
        Some(Object::Raw(r)) => Ok(Arc::clone(r)),
        _ => Err(invalid(handle, "raw call")),
    }
}

/// Removes a raw call handle; 0 is accepted and does nothing.
pub fn remove_raw(handle: MglHandle) -> Result<Option<Arc<RawCall>>, Failure> {
    remove(handle, "raw call", |o| matches!(o, Object::Raw(_))).map(|o| match o {
        Some(Object::Raw(r)) => Some(r),
        _ => None,
    })
}

fn remove(
    handle: MglHandle,
    kind: &str,
    is_kind: impl Fn(&Object) -> bool,
) -> Result<Option<Object>, Failure> {
    if handle == 0 {
        return Ok(None);
    }
    let mut table = table();
    match table.get(&handle) {
        Some(o) if is_kind(o) => Ok(table.remove(&handle)),
        _ => Err(invalid(handle, kind)),
    }
}
