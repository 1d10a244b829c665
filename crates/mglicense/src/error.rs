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
    /// An environment name that no environment has (Connect-MgGraph -Environment, Remove-MgEnvironment).
    UnknownEnvironment,
    /// A change to a built-in environment (Add-MgEnvironment, Remove-MgEnvironment).
    BuiltInEnvironment,
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

/// Everything Graph said about a failed call (<https://learn.microsoft.com/en-us/graph/errors>).
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

impl GraphError {
    /// The error's details as the official cmdlets lay them out: Graph's message, a blank line,
    /// the status with its name, the code and the date, then (after a blank line) each answer
    /// header as `name` padded to 30 characters, `: ` and its values joined by `,`.
    pub fn details(&self) -> String {
        let mut text = format!(
            "{}\n\nStatus: {} ({})\nErrorCode: {}\nDate: {}\n",
            self.graph_message,
            self.status,
            status_name(self.status).map_or_else(|| self.status.to_string(), str::to_string),
            self.code,
            self.date.as_deref().unwrap_or(""),
        );
        if !self.headers.is_empty() {
            let lines: Vec<String> = self
                .headers
                .iter()
                .map(|(name, values)| format!("{name:<30}: {}", values.join(",")))
                .collect();
            text.push_str("\nHeaders:\n");
            text.push_str(&lines.join("\n"));
        }
        text.trim_end_matches('\n').to_string()
    }
}

/// A status's name as .NET's `HttpStatusCode` spells it, which the official cmdlets show
/// (`Status: 404 (NotFound)`); `None` for a status it has no name for (shown as the number).
pub fn status_name(status: u16) -> Option<&'static str> {
    Some(match status {
        300 => "MultipleChoices",
        301 => "MovedPermanently",
        302 => "Found",
        303 => "SeeOther",
        304 => "NotModified",
        305 => "UseProxy",
        306 => "Unused",
        307 => "RedirectKeepVerb",
        308 => "PermanentRedirect",
        400 => "BadRequest",
        401 => "Unauthorized",
        402 => "PaymentRequired",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        407 => "ProxyAuthenticationRequired",
        408 => "RequestTimeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "LengthRequired",
        412 => "PreconditionFailed",
        413 => "RequestEntityTooLarge",
        414 => "RequestUriTooLong",
        415 => "UnsupportedMediaType",
        416 => "RequestedRangeNotSatisfiable",
        417 => "ExpectationFailed",
        421 => "MisdirectedRequest",
        422 => "UnprocessableEntity",
        423 => "Locked",
        424 => "FailedDependency",
        426 => "UpgradeRequired",
        428 => "PreconditionRequired",
        429 => "TooManyRequests",
        431 => "RequestHeaderFieldsTooLarge",
        451 => "UnavailableForLegalReasons",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        505 => "HttpVersionNotSupported",
        506 => "VariantAlsoNegotiates",
        507 => "InsufficientStorage",
        508 => "LoopDetected",
        510 => "NotExtended",
        511 => "NetworkAuthenticationRequired",
        _ => return None,
    })
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
    /// For a Graph error, the text the official cmdlets show as the error's details (see
    /// [`GraphError::details`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
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
            details: None,
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
    pub fn unknown_environment(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UnknownEnvironment, message)
    }
    pub fn built_in_environment(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BuiltInEnvironment, message)
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
            details: Some(detail.details()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_error_details_are_laid_out_as_the_official_cmdlets_show_them() {
        let graph = GraphError {
            status: 404,
            code: "Request_ResourceNotFound".into(),
            graph_message: "Resource 'x' does not exist.".into(),
            date: Some("2026-11-24T01:02:03".into()),
            headers: BTreeMap::from([
                (
                    "content-type".to_string(),
                    vec!["application/json".to_string()],
                ),
                ("x-two".to_string(), vec!["a".to_string(), "b".to_string()]),
            ]),
            ..GraphError::default()
        };
        assert_eq!(
            Error::graph(graph.clone()).details.unwrap(),
            "Resource 'x' does not exist.\n\nStatus: 404 (NotFound)\nErrorCode: Request_ResourceNotFound\n\
             Date: 2026-11-24T01:02:03\n\nHeaders:\n\
             content-type                  : application/json\n\
             x-two                         : a,b"
        );
        let bare = GraphError {
            status: 499,
            date: None,
            headers: BTreeMap::new(),
            ..graph
        };
        assert!(bare
            .details()
            .ends_with("Status: 499 (499)\nErrorCode: Request_ResourceNotFound\nDate: "));
    }
}
