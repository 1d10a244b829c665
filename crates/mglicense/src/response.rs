//! What a successful Graph call hands back to the front end.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::trace::LogLine;

/// A successful answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, Vec<String>>,
    /// The body, read into a tree for the engine to look inside (reads, -Wait).
    pub body: Option<Value>,
    /// The body as it came, when nothing in the engine needs to look inside it: handed on
    /// without building a tree and writing it out again. At most one of the two is set.
    pub raw_body: Option<RawBody>,
    /// What -Debug and -Verbose show of the call, when asked for.
    pub log: Vec<LogLine>,
    /// How a -Wait ended, when one was asked for.
    pub wait: Option<WaitOutcome>,
}

/// A JSON body kept as its text.
#[derive(Clone, Debug)]
pub struct RawBody(pub(crate) Box<serde_json::value::RawValue>);

impl RawBody {
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for RawBody {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Response {
    /// The body as a tree, whichever way it was kept.
    pub fn body_value(&self) -> Option<Value> {
        match &self.raw_body {
            Some(raw) => serde_json::from_str(raw.get()).ok(),
            None => self.body.clone(),
        }
    }
}

// Written by hand so that `body` is one key, from whichever form the body was kept in.
impl Serialize for Response {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("status", &self.status)?;
        map.serialize_entry("method", &self.method)?;
        map.serialize_entry("url", &self.url)?;
        map.serialize_entry("headers", &self.headers)?;
        match &self.raw_body {
            Some(raw) => map.serialize_entry("body", &raw.0)?,
            None => map.serialize_entry("body", &self.body)?,
        }
        if !self.log.is_empty() {
            map.serialize_entry("log", &self.log)?;
        }
        if let Some(wait) = &self.wait {
            map.serialize_entry("wait", wait)?;
        }
        map.end()
    }
}

/// How a wait ended, handed back with the result.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitOutcome {
    /// Every license state was updated after the call.
    pub complete: bool,
    pub waited_seconds: f64,
    pub polls: u32,
    /// One line per license still in error, and one if the wait timed out or could not read.
    pub warnings: Vec<String>,
}
