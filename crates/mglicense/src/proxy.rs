//! Which requests go through a proxy, decided here rather than by reqwest's own reading of the
//! environment (which a front end's environment may not reach, and which would also proxy
//! loopback and the metadata address).
//!
//! - `HTTPS_PROXY` (or `https_proxy`) is the proxy for https requests: `host:port`,
//!   `http://host:port` or `https://host:port`, optionally with `user:password@`.
//! - `NO_PROXY` (or `no_proxy`) lists what goes direct: host names (each also covers its
//!   subdomains; a leading `.` or `*.` is allowed), IP addresses, CIDR ranges, or `*` for all.
//! - Without an https proxy named there, on Windows the current user's system proxy is used:
//!   Internet Settings' ProxyServer when ProxyEnable is 1 (its `https=` entry, or its one
//!   address), bypassing the hosts of ProxyOverride (`*` patterns, `<local>` for names without
//!   a dot) and of NO_PROXY. `NO_PROXY=*` turns it off. Automatic configuration (WPAD, PAC
//!   scripts) is not evaluated.
//! - Never proxied: plain http (the engine sends it only to loopback and managed-identity
//!   endpoints), loopback names and addresses, link-local addresses (169.254.169.254, the
//!   metadata service), and managed-identity endpoints, whatever their address.
//! - `HTTP_PROXY` is therefore never used, nor any other system's proxy settings.

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
    /// A ProxyOverride pattern: the host, lower case, where `*` stands for any characters.
    Pattern(String),
    /// ProxyOverride's `<local>`: host names without a dot.
    Local,
}

/// The proxy the operating system names for the current user (on Windows, Internet Settings).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemProxy {
    /// ProxyServer: `host:port` for every scheme, or `http=host:port;https=host:port;...`.
    pub server: String,
    /// ProxyOverride: `;`-separated host patterns with `*`, and `<local>`.
    pub bypass: String,
}

impl SystemProxy {
    /// The current user's system proxy when one is switched on: on Windows, Internet Settings
    /// with ProxyEnable 1 and a ProxyServer; elsewhere never.
    pub fn current() -> Option<SystemProxy> {
        #[cfg(windows)]
        {
            registry::read()
        }
        #[cfg(not(windows))]
        {
            None
        }
    }

    /// The address https goes to: the `https=` entry of a per-scheme list (none there: direct),
    /// or the one address given for every scheme.
    fn https_proxy(&self) -> Option<&str> {
        let server = self.server.trim();
        if !server.contains('=') {
            return Some(server).filter(|s| !s.is_empty());
        }
        server.split(';').find_map(|entry| {
            let (scheme, address) = entry.split_once('=')?;
            (scheme.trim().eq_ignore_ascii_case("https") && !address.trim().is_empty())
                .then(|| address.trim())
        })
    }
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
        let proxy = proxy_address(given).ok_or_else(|| {
            Error::invalid_argument(
                "HTTPS_PROXY is not a proxy address that can be used: give http://host:port (or https://), optionally with user:password@.",
            )
        })?;
        Ok(Some(ProxyRule {
            proxy,
            bypass: no_proxy_of(settings),
        }))
    }

    /// Checks the proxy a call names for itself (a Request's or Read's `proxy`, the module's
    /// -Proxy): an unusable address is refused naming the call's proxy, never its value.
    pub(crate) fn check_call(settings: &ProxySettings) -> Result<(), Error> {
        let given = settings.https_proxy.as_ref().map(|p| p.expose().trim());
        match given {
            Some(address) if !address.is_empty() && proxy_address(address).is_none() => {
                Err(Error::invalid_argument(
                    "The call's proxy (-Proxy) is not a proxy address that can be used: give http://host:port (or https://), optionally with user:password@.",
                ))
            }
            _ => Ok(()),
        }
    }

    /// The rule of a new connection: `settings`' proxy, else the system's (`system` asked only
    /// then), bypassing what it and NO_PROXY list.
    pub(crate) fn for_connection(
        settings: &ProxySettings,
        system: impl FnOnce() -> Option<SystemProxy>,
    ) -> Result<Option<ProxyRule>, Error> {
        if let Some(rule) = ProxyRule::new(settings)? {
            return Ok(Some(rule));
        }
        let Some(system) = system() else {
            return Ok(None);
        };
        let Some(address) = system.https_proxy() else {
            return Ok(None);
        };
        let proxy = proxy_address(address).ok_or_else(|| {
            Error::invalid_argument(
                "The system proxy (Internet Options, ProxyServer in the current user's Internet Settings) is not a proxy address that can be used: fix it there, or set HTTPS_PROXY (NO_PROXY=* goes direct).",
            )
        })?;
        let mut bypass = no_proxy_of(settings);
        bypass.extend(parse_proxy_override(&system.bypass));
        Ok(Some(ProxyRule { proxy, bypass }))
    }

    /// The user name of a proxy address that gives one with an empty password or none
    /// (`http://user:@proxy`, what -ProxyCredential with an empty password makes): reqwest takes
    /// Basic credentials from an address only when it has a password, so the transport adds these.
    pub(crate) fn user_without_password(&self) -> Option<String> {
        (!self.proxy.username().is_empty() && self.proxy.password().is_none()).then(|| {
            percent_encoding::percent_decode_str(self.proxy.username())
                .decode_utf8_lossy()
                .into_owned()
        })
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
            (Bypass::Pattern(p), _) => url.host_str().is_some_and(|h| {
                wildcard(p, h.trim_end_matches('.').to_ascii_lowercase().as_bytes())
            }),
            (Bypass::Local, Some(url::Host::Domain(host))) => {
                !host.trim_end_matches('.').contains('.')
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

/// A proxy address as given: `host:port` or an `http://` or `https://` URL.
fn proxy_address(given: &str) -> Option<reqwest::Url> {
    // The URL parser drops tabs and line breaks wherever they are: refused here, not read as another address.
    if given.chars().any(char::is_control) {
        return None;
    }
    let with_scheme = if given.contains("://") {
        given.to_string()
    } else {
        format!("http://{given}")
    };
    let proxy = reqwest::Url::parse(&with_scheme).ok()?;
    (matches!(proxy.scheme(), "http" | "https") && proxy.host_str().is_some_and(|h| !h.is_empty()))
        .then_some(proxy)
}

fn no_proxy_of(settings: &ProxySettings) -> Vec<Bypass> {
    settings
        .no_proxy
        .as_deref()
        .map(parse_no_proxy)
        .unwrap_or_default()
}

/// Internet Settings' ProxyOverride: `;`-separated patterns matched against the whole host name
/// or address, `*` for any characters, and `<local>`.
fn parse_proxy_override(list: &str) -> Vec<Bypass> {
    list.split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            if entry.eq_ignore_ascii_case("<local>") {
                Bypass::Local
            } else {
                Bypass::Pattern(entry.to_ascii_lowercase())
            }
        })
        .collect()
}

/// Whether `text` matches `pattern`, where `*` in the pattern stands for any characters.
fn wildcard(pattern: &str, text: &[u8]) -> bool {
    let pattern = pattern.as_bytes();
    let (mut p, mut t) = (0, 0);
    // The last `*` seen and where in the text it was last tried to end.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((at, end)) = star {
            p = at + 1;
            t = end + 1;
            star = Some((at, end + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
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

/// The current user's Internet Settings, read through advapi32 (which every Windows process has).
#[cfg(windows)]
mod registry {
    use super::SystemProxy;

    type Hkey = isize;
    /// `HKEY_CURRENT_USER`: `(HKEY)(ULONG_PTR)(LONG)0x80000001`, sign-extended.
    const HKEY_CURRENT_USER: Hkey = 0x8000_0001_u32 as i32 as isize;
    const KEY_QUERY_VALUE: u32 = 0x0001;
    const REG_SZ: u32 = 1;
    const REG_EXPAND_SZ: u32 = 2;
    const REG_DWORD: u32 = 4;
    const INTERNET_SETTINGS: &str = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings";

    #[link(name = "advapi32")]
    extern "system" {
        fn RegOpenKeyExW(
            key: Hkey,
            sub_key: *const u16,
            options: u32,
            desired: u32,
            result: *mut Hkey,
        ) -> i32;
        fn RegQueryValueExW(
            key: Hkey,
            name: *const u16,
            reserved: *mut u32,
            kind: *mut u32,
            data: *mut u8,
            size: *mut u32,
        ) -> i32;
        fn RegCloseKey(key: Hkey) -> i32;
    }

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain(Some(0)).collect()
    }

    struct Key(Hkey);

    impl Drop for Key {
        fn drop(&mut self) {
            // SAFETY: the key was opened by RegOpenKeyExW and is closed once.
            unsafe { RegCloseKey(self.0) };
        }
    }

    impl Key {
        fn open(path: &str) -> Option<Key> {
            let mut key: Hkey = 0;
            // SAFETY: the path is NUL-terminated UTF-16 and `key` is written only on success.
            let status = unsafe {
                RegOpenKeyExW(
                    HKEY_CURRENT_USER,
                    wide(path).as_ptr(),
                    0,
                    KEY_QUERY_VALUE,
                    &mut key,
                )
            };
            (status == 0).then_some(Key(key))
        }

        /// A value's type and bytes; None when it is absent (or changed while it was read).
        fn value(&self, name: &str) -> Option<(u32, Vec<u8>)> {
            let name = wide(name);
            let (mut kind, mut size) = (0u32, 0u32);
            // SAFETY: a NULL data pointer asks for the size only.
            let status = unsafe {
                RegQueryValueExW(
                    self.0,
                    name.as_ptr(),
                    std::ptr::null_mut(),
                    &mut kind,
                    std::ptr::null_mut(),
                    &mut size,
                )
            };
            if status != 0 || size > 64 * 1024 {
                return None;
            }
            let mut data = vec![0u8; size as usize];
            // SAFETY: `data` holds `size` bytes, and the call writes at most that many.
            let status = unsafe {
                RegQueryValueExW(
                    self.0,
                    name.as_ptr(),
                    std::ptr::null_mut(),
                    &mut kind,
                    data.as_mut_ptr(),
                    &mut size,
                )
            };
            if status != 0 {
                return None;
            }
            data.truncate(size as usize);
            Some((kind, data))
        }

        fn dword(&self, name: &str) -> Option<u32> {
            match self.value(name)? {
                (REG_DWORD, d) if d.len() >= 4 => {
                    Some(u32::from_le_bytes([d[0], d[1], d[2], d[3]]))
                }
                _ => None,
            }
        }

        fn string(&self, name: &str) -> Option<String> {
            match self.value(name)? {
                (REG_SZ | REG_EXPAND_SZ, d) => {
                    let units: Vec<u16> = d
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect();
                    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
                    String::from_utf16(&units[..end]).ok()
                }
                _ => None,
            }
        }
    }

    pub(super) fn read() -> Option<SystemProxy> {
        let key = Key::open(INTERNET_SETTINGS)?;
        if key.dword("ProxyEnable")? != 1 {
            return None;
        }
        let server = key.string("ProxyServer").filter(|s| !s.trim().is_empty())?;
        Some(SystemProxy {
            server,
            bypass: key.string("ProxyOverride").unwrap_or_default(),
        })
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

    /// Each of `direct` goes direct under `rule`, each of `through` through its proxy.
    fn assert_routes(rule: &ProxyRule, direct: &[&str], through: &[&str]) {
        for url in direct {
            assert!(!proxied(rule, url), "{url} should go direct");
        }
        for url in through {
            assert!(proxied(rule, url), "{url} should be proxied");
        }
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
        assert_routes(
            &r,
            &[
                "https://contoso.com/",
                "https://graph.contoso.com/",
                "https://GRAPH.Fabrikam.com./",
                "https://a.b.example.org/",
                "https://10.1.2.3/",
                "https://192.168.1.7/",
                "https://[fd00::1]/",
                "https://intranet/",
            ],
            &[
                "https://notcontoso.com/",
                "https://contoso.com.evil.example/",
                "https://11.0.0.1/",
                "https://192.168.1.8/",
            ],
        );
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
            // The URL parser would drop a line break or a tab unseen, and use another address.
            "http://u:hunter2@proxy\n.corp:3128",
            "http://u:hun\tter2@proxy.corp:3128",
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
            rule("http://proxy%20user:@p:1", None).user_without_password(),
            Some("proxy user".to_string())
        );
        assert_eq!(rule("http://u:pw@p:1", None).user_without_password(), None);
        assert_eq!(rule("http://p:1", None).user_without_password(), None);
        assert_eq!(
            format!("{:?}", rule("http://u:hunter2@p:1", Some("a"))),
            r#"ProxyRule { proxy: "http://p:1", bypass: [Domain("a")] }"#
        );
    }
    fn settings(https_proxy: Option<&str>, no_proxy: Option<&str>) -> ProxySettings {
        ProxySettings {
            https_proxy: https_proxy.map(Secret::new),
            no_proxy: no_proxy.map(str::to_string),
        }
    }

    fn system(server: &str, bypass: &str) -> Option<SystemProxy> {
        Some(SystemProxy {
            server: server.into(),
            bypass: bypass.into(),
        })
    }

    #[test]
    fn the_system_proxy_is_used_only_without_an_https_proxy_and_bypasses_its_override_list() {
        let none = ProxySettings::default();
        let r = ProxyRule::for_connection(&none, || {
            system(
                "proxy.corp:8080",
                "*.contoso.com; <local> ;10.*;intranet-?;",
            )
        })
        .unwrap()
        .expect("the system proxy");
        assert_eq!(
            r.proxy_for(&reqwest::Url::parse("https://graph.microsoft.com/").unwrap())
                .unwrap()
                .as_str(),
            "http://proxy.corp:8080/"
        );
        assert_routes(
            &r,
            &[
                "https://graph.contoso.com/",
                "https://A.B.Contoso.com./",
                "https://intranet/",
                "https://10.20.30.40/",
                "https://127.0.0.1/",
            ],
            &[
                "https://contoso.com/",
                "https://contoso.com.evil.example/",
                "https://110.0.0.1/",
                "https://intranet.example/",
            ],
        );

        // A per-scheme list: its https entry, or direct when it has none.
        let per_scheme = |server: &str| {
            ProxyRule::for_connection(&none, || system(server, ""))
                .unwrap()
                .map(|r| r.proxy.to_string())
        };
        assert_eq!(
            per_scheme("http=a:1;HTTPS=b:2;ftp=c:3").as_deref(),
            Some("http://b:2/")
        );
        assert_eq!(per_scheme("http=a:1;socks=c:3"), None);
        assert_eq!(per_scheme("  "), None);

        // HTTPS_PROXY wins without asking; NO_PROXY adds to the override list, and * turns it off.
        let explicit = settings(Some("http://env:1"), None);
        let r = ProxyRule::for_connection(&explicit, || panic!("the system was asked"))
            .unwrap()
            .unwrap();
        assert_eq!(r.proxy.as_str(), "http://env:1/");
        let listed = settings(None, Some("fabrikam.com"));
        let r = ProxyRule::for_connection(&listed, || system("p:1", "*.contoso.com"))
            .unwrap()
            .unwrap();
        assert!(!proxied(&r, "https://graph.fabrikam.com/"));
        assert!(!proxied(&r, "https://x.contoso.com/"));
        let off = settings(None, Some("*"));
        let r = ProxyRule::for_connection(&off, || system("p:1", ""))
            .unwrap()
            .unwrap();
        assert!(!proxied(&r, "https://graph.microsoft.com/"));

        // Without a system proxy, nothing; an unusable one is named.
        assert!(ProxyRule::for_connection(&none, || None).unwrap().is_none());
        let e =
            ProxyRule::for_connection(&none, || system("socks5://p:1", "")).expect_err("refused");
        assert!(e.message.contains("ProxyServer"), "{}", e.message);
    }

    #[test]
    fn override_patterns_match_the_whole_name_with_stars() {
        for (pattern, text, matches) in [
            ("*.contoso.com", "a.contoso.com", true),
            ("*.contoso.com", "contoso.com", false),
            ("10.*", "10.1.2.3", true),
            ("10.*", "110.1.2.3", false),
            ("*mail*", "webmail.example", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("*", "", true),
        ] {
            assert_eq!(
                wildcard(pattern, text.as_bytes()),
                matches,
                "{pattern} ~ {text}"
            );
        }
    }
}
