//! Which requests go through a proxy, decided here rather than by reqwest's own reading of the
//! environment (which a front end's environment may not reach, and which would also proxy
//! loopback and the metadata address).
//!
//! - `HTTPS_PROXY` (or `https_proxy`) is the proxy for https requests: `host:port`,
//!   `http://host:port` or `https://host:port`, optionally with `user:password@`.
//! - `NO_PROXY` (or `no_proxy`) lists what goes direct: host names (each also covers its
//!   subdomains; a leading `.` or `*.` is allowed), IP addresses, CIDR ranges, or `*` for all.
//! - Never proxied: plain http (the engine sends it only to loopback and managed-identity
//!   endpoints), loopback names and addresses, link-local addresses (169.254.169.254, the
//!   metadata service), and managed-identity endpoints, whatever their address.
//! - `HTTP_PROXY` is therefore never used, and nor are the operating system's proxy settings.

use std::net::IpAddr;

use serde::Deserialize;

use crate::auth::secret::Secret;
use crate::env_vars::EnvLookup;
use crate::error::Error;

/// The proxy settings a connection uses (docs/abi.md, "proxy").
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProxySettings {
    /// HTTPS_PROXY: the proxy for https requests. It may hold a password, so it is a secret.
    #[serde(default)]
    pub https_proxy: Option<Secret>,
    /// NO_PROXY: what goes direct.
    #[serde(default)]
    pub no_proxy: Option<String>,
}

impl ProxySettings {
    /// HTTPS_PROXY / https_proxy and NO_PROXY / no_proxy, as `env` sees them.
    pub fn from_env(env: EnvLookup<'_>) -> ProxySettings {
        let either = |upper: &str, lower: &str| {
            env(upper)
                .or_else(|| env(lower))
                .map(|v| v.trim().to_string())
        };
        ProxySettings {
            https_proxy: either("HTTPS_PROXY", "https_proxy").map(Secret::new),
            no_proxy: either("NO_PROXY", "no_proxy"),
        }
    }
}

/// Settings made usable: the proxy's address and what bypasses it.
pub(crate) struct ProxyRule {
    proxy: reqwest::Url,
    bypass: Vec<Bypass>,
}

impl std::fmt::Debug for ProxyRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The address may carry a password: only its host and port are shown.
        let proxy = format!(
            "{}://{}:{}",
            self.proxy.scheme(),
            self.proxy.host_str().unwrap_or(""),
            self.proxy.port_or_known_default().unwrap_or(0)
        );
        f.debug_struct("ProxyRule")
            .field("proxy", &proxy)
            .field("bypass", &self.bypass)
            .finish()
    }
}

#[derive(Debug, PartialEq)]
enum Bypass {
    All,
    Domain(String),
    Network(IpAddr, u8),
}

impl ProxyRule {
    /// None when no proxy is set. A proxy address that cannot be used is an error that names
    /// the setting, not its value (which may hold a password).
    pub(crate) fn new(settings: &ProxySettings) -> Result<Option<ProxyRule>, Error> {
        let Some(given) = settings
            .https_proxy
            .as_ref()
            .map(|p| p.expose().trim())
            .filter(|p| !p.is_empty())
        else {
            return Ok(None);
        };
        let with_scheme = if given.contains("://") {
            given.to_string()
        } else {
            format!("http://{given}")
        };
        let refused = || {
            Error::invalid_argument(
                "HTTPS_PROXY is not a proxy address that can be used: give http://host:port (or https://), optionally with user:password@.",
            )
        };
        let proxy = reqwest::Url::parse(&with_scheme).map_err(|_| refused())?;
        if !matches!(proxy.scheme(), "http" | "https")
            || proxy.host_str().map_or(true, str::is_empty)
        {
            return Err(refused());
        }
        let bypass = settings
            .no_proxy
            .as_deref()
            .map(parse_no_proxy)
            .unwrap_or_default();
        Ok(Some(ProxyRule { proxy, bypass }))
    }

    /// The proxy for `url`, or None when it goes direct.
    pub(crate) fn proxy_for(&self, url: &reqwest::Url) -> Option<&reqwest::Url> {
        if url.scheme() != "https" || never_proxied(url) {
            return None;
        }
        let bypassed = self.bypass.iter().any(|b| match (b, url.host()) {
            (Bypass::All, _) => true,
            (Bypass::Domain(d), Some(url::Host::Domain(host))) => {
                let host = host.trim_end_matches('.').to_ascii_lowercase();
                host == *d || host.ends_with(&format!(".{d}"))
            }
            (Bypass::Network(net, bits), Some(url::Host::Ipv4(ip))) => {
                in_network(IpAddr::V4(ip), *net, *bits)
            }
            (Bypass::Network(net, bits), Some(url::Host::Ipv6(ip))) => {
                in_network(IpAddr::V6(ip), *net, *bits)
            }
            _ => false,
        });
        (!bypassed).then_some(&self.proxy)
    }
}

/// Loopback and link-local destinations: the emulator, local token services, the metadata
/// service. A proxy must never see them.
fn never_proxied(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_link_local() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_link_local())
        }
        None => true,
    }
}

fn parse_no_proxy(list: &str) -> Vec<Bypass> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            if entry == "*" {
                return Bypass::All;
            }
            let (address, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, b.parse::<u8>().ok()),
                None => (entry, None),
            };
            let address = address.trim_start_matches('[').trim_end_matches(']');
            match address.parse::<IpAddr>() {
                Ok(ip) => {
                    let full = if ip.is_ipv4() { 32 } else { 128 };
                    Bypass::Network(ip, bits.unwrap_or(full).min(full))
                }
                Err(_) => {
                    // A port is not part of the match; a leading "*." or "." means the same as none.
                    let host = entry.rsplit_once(':').map_or(entry, |(h, p)| {
                        if p.parse::<u16>().is_ok() {
                            h
                        } else {
                            entry
                        }
                    });
                    Bypass::Domain(
                        host.trim_start_matches("*.")
                            .trim_start_matches('.')
                            .trim_end_matches('.')
                            .to_ascii_lowercase(),
                    )
                }
            }
        })
        .collect()
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(proxy: &str, no_proxy: Option<&str>) -> ProxyRule {
        let settings = ProxySettings {
            https_proxy: Some(Secret::new(proxy)),
            no_proxy: no_proxy.map(str::to_string),
        };
        ProxyRule::new(&settings).unwrap().expect("a proxy is set")
    }

    fn proxied(rule: &ProxyRule, url: &str) -> bool {
        rule.proxy_for(&reqwest::Url::parse(url).unwrap()).is_some()
    }

    #[test]
    fn https_goes_through_the_proxy_unless_no_proxy_lists_it() {
        let r = rule("proxy.corp:3128", Some("contoso.com, .fabrikam.com,*.example.org, 10.0.0.0/8, 192.168.1.7, [fd00::1], intranet:8443"));
        assert_eq!(
            r.proxy_for(&reqwest::Url::parse("https://graph.microsoft.com/v1.0").unwrap())
                .unwrap()
                .as_str(),
            "http://proxy.corp:3128/"
        );
        assert!(proxied(
            &r,
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        ));
        for direct in [
            "https://contoso.com/",
            "https://graph.contoso.com/",
            "https://GRAPH.Fabrikam.com./",
            "https://a.b.example.org/",
            "https://10.1.2.3/",
            "https://192.168.1.7/",
            "https://[fd00::1]/",
            "https://intranet/",
        ] {
            assert!(!proxied(&r, direct), "{direct} should go direct");
        }
        for through in [
            "https://notcontoso.com/",
            "https://contoso.com.evil.example/",
            "https://11.0.0.1/",
            "https://192.168.1.8/",
        ] {
            assert!(proxied(&r, through), "{through} should be proxied");
        }
        assert!(!proxied(
            &rule("http://p:1", Some("*")),
            "https://graph.microsoft.com/"
        ));
    }

    #[test]
    fn loopback_link_local_and_plain_http_are_never_proxied() {
        let r = rule("http://user:p%40ss@proxy.corp:3128", None);
        for direct in [
            "https://127.0.0.1:8443/",
            "https://127.3.4.5/",
            "https://[::1]/",
            "https://localhost:1/",
            "https://graph.localhost/",
            "https://169.254.169.254/metadata/identity/oauth2/token",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/metadata/identity/oauth2/token",
            "http://graph.example/",
        ] {
            assert!(!proxied(&r, direct), "{direct} must go direct");
        }
        assert!(proxied(&r, "https://graph.microsoft.com/"));
    }

    #[test]
    fn settings_come_from_either_spelling_and_bad_ones_are_refused_without_their_value() {
        let env = |name: &str| match name {
            "https_proxy" => Some("http://lower:1".to_string()),
            "NO_PROXY" => Some(" contoso.com ".to_string()),
            _ => None,
        };
        let s = ProxySettings::from_env(&env);
        assert_eq!(
            (
                s.https_proxy.as_ref().map(Secret::expose),
                s.no_proxy.as_deref()
            ),
            (Some("http://lower:1"), Some("contoso.com"))
        );
        assert_eq!(
            ProxySettings::from_env(&|_: &str| None),
            ProxySettings::default()
        );
        assert!(ProxyRule::new(&ProxySettings::default()).unwrap().is_none());
        for bad in [
            "socks5://u:hunter2@p:1080",
            "http://",
            "http://u:hunter2@[bad",
        ] {
            let e = ProxyRule::new(&ProxySettings {
                https_proxy: Some(Secret::new(bad)),
                no_proxy: None,
            })
            .unwrap_err();
            assert!(
                e.message.contains("HTTPS_PROXY") && !e.message.contains("hunter2"),
                "{bad}: {}",
                e.message
            );
        }
        assert_eq!(
            format!("{:?}", rule("http://u:hunter2@p:1", Some("a"))),
            r#"ProxyRule { proxy: "http://p:1", bypass: [Domain("a")] }"#
        );
    }
}
