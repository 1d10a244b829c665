//! The HTTP clients of a connection and the rules they follow: which requests may follow a
//! redirect, which go through a proxy, how long a sign-in request may take and how much of an
//! answer is read.
//!
//! - Graph calls follow at most five redirects, never from https to another scheme; reqwest drops
//!   `Authorization` when a redirect leaves the host.
//! - Token requests (login authority, managed identity) follow none: reqwest would re-send their
//!   body (a client secret, an assertion, a refresh token, a device code) or their headers
//!   (X-IDENTITY-HEADER) to wherever a 307 or 308 points. A redirect is an error instead.
//! - Proxies: [`ProxySettings`], else the Windows system proxy, as [`crate::proxy`] describes;
//!   reqwest's own reading of the process environment (and of the Windows registry) is off. Managed-identity
//!   endpoints are never proxied.
//! - Names under `.invalid` never exist (RFC 6761) and are refused without a DNS query.
//! - TLS: the system's trusted roots and any extra roots ([`crate::trust`]), certificate and
//!   host name validation always on; the clients of a connection share one configuration.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::proxy::{ProxyRule, ProxySettings, SystemProxy};
use crate::retry::RequestContext;
use crate::trust::{self, ExtraRoots};

/// Largest answer read, from Graph or from a login endpoint; past it the answer is refused
/// rather than held in memory.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Longest URL the HTTP stack can send (`http::Uri`'s limit, 64 KiB less two bytes). Past it,
/// reqwest would panic rather than fail, so every URL is checked against it first: the URL of
/// each Graph call and a next-page link. (reqwest itself does not follow a redirect to a URL
/// it could not send.)
pub const MAX_URL_LEN: usize = 65_534;

/// Refuses a URL the HTTP stack cannot send, naming the query options that make URLs long.
pub(crate) fn check_url(url: &str) -> Result<(), Error> {
    if url.len() > MAX_URL_LEN {
        return Err(Error::invalid_argument(format!(
            "The request URL would be {} bytes long; at most {MAX_URL_LEN} can be sent. Shorten the query (-Filter, -Search, -Property or -Sort), for example by splitting a long 'id in (...)' filter into several reads.",
            url.len()
        )));
    }
    Ok(())
}

/// Longest a token request may take, answer included; the request context's ClientTimeout
/// when that is shorter.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The three HTTP clients of a connection.
pub(crate) struct Transport {
    /// Graph calls: redirects as the official SDK follows them, through the proxy.
    pub(crate) graph: reqwest::Client,
    /// Token requests to the login authority: never redirected, through the proxy.
    login: reqwest::Client,
    /// Managed-identity endpoints (IMDS, IDENTITY_ENDPOINT): never redirected, never proxied.
    identity: reqwest::Client,
    /// What the clients were built with, for another Graph client with its own connections
    /// (see [`Transport::another_graph_client`]).
    rule: Option<Arc<ProxyRule>>,
    pins: Vec<(String, SocketAddr)>,
    tls: native_tls::TlsConnector,
    /// Graph clients through the proxies that calls named for themselves (see
    /// [`Transport::graph_through`]), kept for the connection's life so their connections are
    /// reused. A session names few proxies; past [`MAX_CALL_PROXIES`] the oldest is dropped.
    call_proxies: std::sync::Mutex<Vec<(ProxySettings, reqwest::Client)>>,
}

/// Most per-call proxies whose Graph clients a connection keeps.
const MAX_CALL_PROXIES: usize = 8;

/// What one token request is sent with.
#[derive(Clone, Copy)]
pub struct Login<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) identity: &'a reqwest::Client,
    pub(crate) timeout: Duration,
}

impl Transport {
    /// `roots` are trusted beside the system's; `pins` resolve host names to fixed addresses
    /// (as curl's `--resolve`), without DNS.
    pub(crate) fn new(
        proxy: &ProxySettings,
        roots: Option<&ExtraRoots>,
        pins: &[(String, SocketAddr)],
    ) -> Result<Transport, Error> {
        let rule = ProxyRule::for_connection(proxy, SystemProxy::current)?.map(Arc::new);
        let tls = trust::connector(roots)?;
        let client = |redirect, rule| build(redirect, rule, pins, &tls);
        Ok(Transport {
            graph: client(graph_redirects(), rule.as_ref())?,
            login: client(reqwest::redirect::Policy::none(), rule.as_ref())?,
            identity: client(reqwest::redirect::Policy::none(), None)?,
            rule,
            pins: pins.to_vec(),
            tls,
            call_proxies: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// A Graph client of the engine's runtime through the proxy a call names for itself
    /// (docs/abi.md, "proxy" of a Request or Read) instead of the connection's: an empty
    /// `httpsProxy` goes direct. Token requests keep the connection's proxy. Loopback,
    /// link-local and plain http still go direct, and `noProxy` applies as for the connection.
    pub(crate) fn graph_through(&self, proxy: &ProxySettings) -> Result<reqwest::Client, Error> {
        let mut kept = self
            .call_proxies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, client)) = kept.iter().find(|(p, _)| p == proxy) {
            return Ok(client.clone());
        }
        let rule = ProxyRule::new(proxy)?.map(Arc::new);
        let client = build(graph_redirects(), rule.as_ref(), &self.pins, &self.tls)?;
        if kept.len() >= MAX_CALL_PROXIES {
            kept.remove(0);
        }
        kept.push((proxy.clone(), client.clone()));
        Ok(client)
    }

    /// A Graph client like [`Transport::graph`] with a connection pool of its own: connections
    /// belong to the runtime that opened them, so requests driven on a caller's thread (see
    /// [`crate::local`]) must not share the engine runtime's.
    pub(crate) fn another_graph_client(&self) -> Result<reqwest::Client, Error> {
        build(graph_redirects(), self.rule.as_ref(), &self.pins, &self.tls)
    }

    /// The clients and time limit for token requests under `context`.
    pub(crate) fn login(&self, context: &RequestContext) -> Login<'_> {
        self.login_within(LOGIN_TIMEOUT.min(Duration::from_secs(context.client_timeout_seconds)))
    }

    /// The clients for token requests that may take at most `timeout`.
    pub(crate) fn login_within(&self, timeout: Duration) -> Login<'_> {
        Login {
            http: &self.login,
            identity: &self.identity,
            timeout,
        }
    }
}

/// One HTTP client: `redirect` its redirect rule, `proxy` the proxy rule it follows (none: never
/// proxied), `pins` fixed addresses for host names, `tls` its TLS configuration.
fn build(
    redirect: reqwest::redirect::Policy,
    proxy: Option<&Arc<ProxyRule>>,
    pins: &[(String, SocketAddr)],
    tls: &native_tls::TlsConnector,
) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .use_preconfigured_tls(tls.clone())
        .dns_resolver(Arc::new(Resolver))
        .connect_timeout(Duration::from_secs(30))
        .redirect(redirect)
        .pool_idle_timeout(Duration::from_secs(90));
    builder = match proxy {
        Some(rule) => {
            let user = rule.user_without_password();
            let rule = Arc::clone(rule);
            let mut proxy = reqwest::Proxy::custom(move |url| rule.proxy_for(url).cloned());
            if let Some(user) = user {
                // A user name with an empty password still goes to the proxy, as it was given.
                proxy = proxy.basic_auth(&user, "");
            }
            builder.proxy(proxy)
        }
        None => builder.no_proxy(),
    };
    for (host, address) in pins {
        builder = builder.resolve(host, *address);
    }
    builder
        .build()
        .map_err(|e| Error::runtime(format!("could not create the HTTP client: {e}")))
}

/// The system's resolver (getaddrinfo, as reqwest's own), except that names under `.invalid`
/// are refused at once, as RFC 6761 §6.4 asks of name resolution libraries.
struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: hyper::client::connect::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        Box::pin(async move {
            if host == "invalid" || host.ends_with(".invalid") {
                return Err(format!("{host} is a reserved name that never exists (RFC 6761), so it was not looked up").into());
            }
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// At most five redirects, never from https to http: the official SDK's rule. reqwest already
/// drops the Authorization header when a redirect leaves the host.
fn graph_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let downgrade = attempt
            .previous()
            .last()
            .is_some_and(|prev| prev.scheme() == "https")
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
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Body, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            bytes.extend_from_slice(&chunk[..limit - bytes.len()]);
            return Ok(Body {
                bytes,
                truncated: true,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body {
        bytes,
        truncated: false,
    })
}

/// An error of the HTTP library as the caller sees it, naming `url`, the URL the engine built.
/// The URL reqwest's text would name is left out: after a redirect it is wherever the server
/// pointed, which may carry anything, the token included.
pub(crate) fn transport_error(url: &str, e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::timeout(format!("The request to {url} timed out."))
    } else {
        Error::transport(format!(
            "The request to {url} failed: {}",
            error_chain(&e.without_url())
        ))
    }
}

/// An error and its causes in one line, each said once: reqwest's and hyper's texts already
/// end with their cause's, which the cause's own text would repeat. A Windows certificate error
/// is named (see [`windows_certificate_error`]).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    if let Some(said) = windows_certificate_error(&message) {
        message.push_str(" (");
        message.push_str(said);
        message.push(')');
    }
    message
}

/// What SChannel's certificate check refused, when `message` carries its code as an OS error
/// (`os error -2146762487`). Windows' own text for these codes is not always there: FormatMessage
/// finds none under Wine, and the TLS library then shows the number alone.
fn windows_certificate_error(message: &str) -> Option<&'static str> {
    let code = message.split("os error ").nth(1)?;
    let end = code
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(code.len(), |(i, _)| i);
    let code = code[..end].parse::<i32>().ok()? as u32;
    Some(match code {
        0x800B_0109 | 0x8009_0325 => "the server's certificate chain ends in a root that is not trusted (CERT_E_UNTRUSTEDROOT): add the root to the Windows certificate store or to MGLICENSE_EXTRA_CA_CERTS",
        0x800B_010A => "the server's certificate chain could not be built to a trusted root (CERT_E_CHAINING)",
        0x800B_010F | 0x8009_0322 => "the server's certificate is not for this host name (CERT_E_CN_NO_MATCH)",
        0x800B_0101 | 0x8009_0328 => "the server's certificate has expired or is not yet valid (CERT_E_EXPIRED)",
        0x8009_2010 => "the server's certificate has been revoked (CRYPT_E_REVOKED)",
        0x8009_2012 | 0x8009_2013 => "the revocation of the server's certificate could not be checked (CRYPT_E_NO_REVOCATION_CHECK, CRYPT_E_REVOCATION_OFFLINE)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_certificate_errors_are_named_and_others_left_alone() {
        let untrusted = "error trying to connect: OS Error -2146762487 (FormatMessageW() returned error 317) (os error -2146762487)";
        assert!(windows_certificate_error(untrusted)
            .unwrap()
            .contains("CERT_E_UNTRUSTEDROOT"));
        assert!(windows_certificate_error("(os error -2146762481)")
            .unwrap()
            .contains("not for this host name"));
        for other in [
            "connection refused (os error 111)",
            "(os error -2146893054)",
            "os error ",
            "certificate verify failed",
        ] {
            assert_eq!(windows_certificate_error(other), None, "{other}");
        }
    }
}
