//! One error type for everything a caller can see go wrong, carrying what Graph said.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// What kind of failure an [`Error`] is; front ends map it to their own categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    InvalidJson,
    InvalidArgument,
    NotConnected,
    AuthenticationFailed,
    Graph,
    Transport,
    Timeout,
    Cancelled,
    Runtime,
    /// A bug: the engine panicked while doing the work; the process is unharmed.
    Panic,
}

/// Everything Graph said about a failed call (graph-facts §2).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphError {
    pub status: u16,
    pub reason: String,
    pub code: String,
    pub graph_message: String,
    pub request_id: Option<String>,
    pub client_request_id: Option<String>,
    pub date: Option<String>,
    pub headers: BTreeMap<String, Vec<String>>,
    /// The `innerError` object as Graph sent it, for callers that want more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_error: Option<Value>,
}

/// A failure, with the message a user should read.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub graph: Option<Box<GraphError>>,
    /// Which of the request's own values the error is about, when it is one that another input
    /// of the same run need not share (`userId`): a front end reports it for that input alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<&'static str>,
    /// What -Debug and -Verbose show of the call, when asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<crate::trace::LogLine>,
}

impl Error {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            graph: None,
            input: None,
            log: Vec::new(),
        }
    }

    /// The same error, marked as about the request's own `input` value.
    pub fn about_input(mut self, input: &'static str) -> Self {
        self.input = Some(input);
        self
    }
    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidJson, message)
    }
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }
    pub fn not_connected() -> Self {
        Self::new(
            ErrorKind::NotConnected,
            "Authentication needed. Please call Connect-MgGraph.",
        )
    }
    pub fn authentication_failed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AuthenticationFailed, message)
    }
    pub fn transport(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transport, message)
    }
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }
    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "The operation was cancelled.")
    }
    pub fn runtime(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Runtime, message)
    }

    /// What a panic inside the engine's work becomes: the work ends with this error instead of
    /// without an answer. `payload` is what the panic carried.
    pub fn panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Self::new(
            ErrorKind::Panic,
            format!("MgLicense hit an internal error (a bug; please report it): {what}"),
        )
    }

    /// An error built from Graph's answer; the message reads `[code] : message` as the
    /// official cmdlets show it.
    pub fn graph(detail: GraphError) -> Self {
        let message = format!("[{}] : {}", detail.code, detail.graph_message);
        Error {
            kind: ErrorKind::Graph,
            message,
            graph: Some(Box::new(detail)),
            input: None,
            log: Vec::new(),
        }
    }

    /// The error as the JSON document the C ABI hands out.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            // Serialising plain strings and numbers cannot fail; keep a safe answer anyway.
            "{\"kind\":\"runtime\",\"message\":\"error detail could not be serialised\"}".into()
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
