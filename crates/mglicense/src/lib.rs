//! MgLicense engine: everything MgLicense knows about Microsoft Graph license reprocessing.
//!
//! The engine knows Graph and nothing of PowerShell or C. Front ends (the C ABI in
//! `mglicense-ffi`, and through it the PowerShell module) hand it JSON-shaped requests and get
//! back either a [`Response`] or an [`Error`] that says what went wrong, in Graph's words when
//! Graph answered.

mod answer;
pub mod auth;
pub mod batch;
pub mod bulk;
pub mod client;
mod connection;
pub mod credential;
pub mod env_vars;
pub mod environment;
pub mod error;
pub mod identity;
mod local;
pub mod operation;
pub mod pacer;
#[cfg(test)]
mod panic_tests;
pub mod pending;
pub mod proxy;
pub mod raw;
pub mod read;
pub mod response;
pub mod retry;
pub mod runtime;
mod send;
pub mod settings;
pub mod time;
pub mod trace;
pub mod transport;
pub mod trust;
pub mod wait;

pub use client::{Client, ClientConfig};
pub use credential::AccessTokenCredential;
pub use environment::{Environment, EnvironmentKind, Environments};
pub use error::{Error, ErrorKind, GraphError};
pub use operation::{Operation, RequestSpec};
pub use pending::Pending;
pub use raw::{RawCall, RawSpec};
pub use read::{Pager, ReadSpec};
pub use response::Response;

/// The engine's version, sent in the `SdkVersion` header and shown by front ends.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
