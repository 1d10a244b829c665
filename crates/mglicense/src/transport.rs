//! The HTTP clients of a connection and the rules they follow: which requests may follow a
//! redirect, which go through a proxy, how long a sign-in request may take and how much of an
//! answer is read.
//!
//! - Graph calls follow at most five redirects, never from https to another scheme; reqwest drops
//!   `Authorization` when a redirect leaves the host.
//! - Token requests (login authority, managed identity) follow none: reqwest would re-send their
//!   body (a client secret, an assertion, a refresh token, a device code) or their headers
//!   (X-IDENTITY-HEADER) to wherever a 307 or 308 points. A redirect is an error instead.

use std::time::Duration;

use crate::error::Error;
use crate::retry::RequestContext;

/// Largest answer read, from Graph or from a login endpoint; past it the answer is refused
/// rather than held in memory.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Longest a token request may take, answer included; the request context's ClientTimeout
/// when that is shorter.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The three HTTP clients of a connection.
pub(crate) struct Transport {
    /// Graph calls: redirects as the official SDK follows them.
    pub(crate) graph: reqwest::Client,
    /// Token requests to the login authority: never redirected.
    login: reqwest::Client,
    /// Managed-identity endpoints (IMDS, IDENTITY_ENDPOINT): never redirected.
    identity: reqwest::Client,
}

/// What one token request is sent with.
#[derive(Clone, Copy)]
pub struct Login<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) identity: &'a reqwest::Client,
    pub(crate) timeout: Duration,
}

impl Transport {
    pub(crate) fn new() -> Result<Transport, Error> {
        let build = |redirect: reqwest::redirect::Policy| {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(30))
                .redirect(redirect)
                .pool_idle_timeout(Duration::from_secs(90))
                .build()
                .map_err(|e| Error::runtime(format!("could not create the HTTP client: {e}")))
        };
        Ok(Transport {
            graph: build(graph_redirects())?,
            login: build(reqwest::redirect::Policy::none())?,
            identity: build(reqwest::redirect::Policy::none())?,
        })
    }

    /// The clients and time limit for token requests under `context`.
    pub(crate) fn login(&self, context: &RequestContext) -> Login<'_> {
        let timeout = LOGIN_TIMEOUT.min(Duration::from_secs(context.client_timeout_seconds));
        Login { http: &self.login, identity: &self.identity, timeout }
    }
}

/// At most five redirects, never from https to http: the official SDK's rule. reqwest already
/// drops the Authorization header when a redirect leaves the host.
fn graph_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt.previous().last().map_or(false, |prev| prev.scheme() == "https")
            && attempt.url().scheme() != "https";
        if downgrade {
            attempt.error("refused a redirect from https to another scheme")
        } else if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// An answer's body, read up to `limit` bytes.
pub(crate) struct Body {
    pub bytes: Vec<u8>,
    /// The answer went on past `limit`; reading stopped there.
    pub truncated: bool,
}

/// Reads at most `limit` bytes of an answer and stops, so a huge or endless answer costs no more
/// memory than that.
pub(crate) async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Body, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            bytes.extend_from_slice(&chunk[..limit - bytes.len()]);
            return Ok(Body { bytes, truncated: true });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body { bytes, truncated: false })
}
