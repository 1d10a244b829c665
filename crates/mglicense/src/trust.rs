//! Which TLS servers the engine trusts: the system's roots, plus extra roots an admin names.
//!
//! - The system's roots: on Linux OpenSSL's (its default paths, and SSL_CERT_FILE and
//!   SSL_CERT_DIR as they are the first time a connection is made); on Windows the certificate
//!   store through SChannel (Trusted Root Certification Authorities, enterprise roots pushed by
//!   group policy included). SChannel never reads SSL_CERT_FILE.
//! - Extra roots, added to those on every platform (`add_root_certificate`): the
//!   `extraRootCertificates` field of a Connect document or of the client configuration (PEM text
//!   of one or more `CERTIFICATE` blocks), else the PEM file that `MGLICENSE_EXTRA_CA_CERTS` names
//!   when a connection is made. They suit a TLS-inspecting proxy's root or a private endpoint
//!   whose root the machine does not hold; certificate and host name checks stay on.
//!
//! Every connection without extra roots shares one TLS configuration: each client building its
//! own would parse the system's roots again (about 0.8 MB of memory per client with OpenSSL,
//! three clients per connection). The last set of extra roots keeps its configuration too.

use std::sync::Mutex;

use once_cell::sync::OnceCell;

use crate::auth::certificate::pem_blocks;
use crate::env_vars::EnvLookup;
use crate::error::Error;

/// The environment variable naming a PEM file of extra trusted roots.
pub const EXTRA_CA_CERTS: &str = "MGLICENSE_EXTRA_CA_CERTS";

/// The document field holding extra trusted roots as PEM text.
pub const FIELD: &str = "extraRootCertificates";

/// Largest file of extra roots read (a full public CA bundle is about 220 KB).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Extra trusted roots, parsed.
pub(crate) struct ExtraRoots {
    certificates: Vec<native_tls::Certificate>,
    /// The certificates' DER, one after another: what the cached configuration was made from.
    key: Vec<u8>,
}

impl ExtraRoots {
    /// The `CERTIFICATE` blocks of `pem`; None when it is blank (no extra roots). `origin` names
    /// where the text came from in errors.
    pub(crate) fn from_pem(pem: &str, origin: &str) -> Result<Option<ExtraRoots>, Error> {
        if pem.trim().is_empty() {
            return Ok(None);
        }
        let blocks = pem_blocks(pem);
        if blocks.is_empty() {
            return Err(Error::invalid_argument(format!(
                "{origin} holds no PEM block: give one or more root certificates as -----BEGIN CERTIFICATE----- blocks."
            )));
        }
        let mut certificates = Vec::with_capacity(blocks.len());
        let mut key = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            if block.label != "CERTIFICATE" {
                return Err(Error::invalid_argument(format!(
                    "{origin} holds a {} block (block {}): give only root certificates (-----BEGIN CERTIFICATE-----).",
                    block.label,
                    i + 1
                )));
            }
            let certificate = native_tls::Certificate::from_der(&block.der.0).map_err(|e| {
                Error::invalid_argument(format!(
                    "{origin}: certificate {} is not a certificate that can be used ({e}).",
                    i + 1
                ))
            })?;
            certificates.push(certificate);
            key.extend_from_slice(&block.der.0);
        }
        Ok(Some(ExtraRoots { certificates, key }))
    }

    /// The roots of the file MGLICENSE_EXTRA_CA_CERTS names, as `env` sees it; None when it is
    /// unset.
    pub(crate) fn from_env(env: EnvLookup<'_>) -> Result<Option<ExtraRoots>, Error> {
        let Some(path) = env(EXTRA_CA_CERTS) else {
            return Ok(None);
        };
        let path = path.trim();
        let origin = format!("{EXTRA_CA_CERTS} ('{path}')");
        let refused = |reason: String| {
            Error::invalid_argument(format!(
                "{origin} names a file that cannot be read: {reason}. Give the path of a PEM file of root certificates, or remove the variable."
            ))
        };
        let size = std::fs::metadata(path)
            .map_err(|e| refused(e.to_string()))?
            .len();
        if size > MAX_FILE_BYTES {
            return Err(refused(format!(
                "it holds {size} bytes, more than the {MAX_FILE_BYTES} read"
            )));
        }
        let text = std::fs::read(path).map_err(|e| refused(e.to_string()))?;
        let text = String::from_utf8(text).map_err(|_| refused("it is not PEM text".into()))?;
        match ExtraRoots::from_pem(&text, &origin)? {
            Some(roots) => Ok(Some(roots)),
            None => Err(refused("it is empty".into())),
        }
    }
}

/// The TLS configuration of a connection: the system's roots, plus `extra` when given.
/// Certificates and host names are always verified, SNI is on.
pub(crate) fn connector(extra: Option<&ExtraRoots>) -> Result<native_tls::TlsConnector, Error> {
    static SYSTEM: OnceCell<native_tls::TlsConnector> = OnceCell::new();
    static LAST: Mutex<Option<(Vec<u8>, native_tls::TlsConnector)>> = Mutex::new(None);

    let Some(extra) = extra else {
        return SYSTEM.get_or_try_init(|| build(None)).cloned();
    };
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((key, tls)) = last.as_ref() {
        if *key == extra.key {
            return Ok(tls.clone());
        }
    }
    let tls = build(Some(extra))?;
    *last = Some((extra.key.clone(), tls.clone()));
    Ok(tls)
}

fn build(extra: Option<&ExtraRoots>) -> Result<native_tls::TlsConnector, Error> {
    let mut builder = native_tls::TlsConnector::builder();
    builder
        .danger_accept_invalid_certs(false)
        .danger_accept_invalid_hostnames(false)
        .use_sni(true)
        .disable_built_in_roots(false);
    for certificate in extra.map_or(&[][..], |e| &e.certificates[..]) {
        builder.add_root_certificate(certificate.clone());
    }
    builder
        .build()
        .map_err(|e| Error::runtime(format!("could not set up TLS: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = include_str!("../../../tests/data/tls/test-only-trusted-test-root.cert.pem");
    const KEY: &str = include_str!("../../../tests/data/tls/test-only-trusted-test-root.key.pem");
    const OTHER: &str = include_str!("../../../tests/data/tls/test-only-untrusted.cert.pem");

    #[test]
    fn certificate_blocks_are_taken_and_anything_else_is_named() {
        assert!(ExtraRoots::from_pem(" \r\n", FIELD).unwrap().is_none());
        let two = ExtraRoots::from_pem(&format!("{ROOT}\r\n{OTHER}"), FIELD)
            .unwrap()
            .unwrap();
        assert_eq!(two.certificates.len(), 2);

        for (pem, said) in [
            ("not pem".to_string(), "holds no PEM block"),
            (format!("{ROOT}{KEY}"), "PRIVATE KEY block (block 2)"),
            (
                "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n".to_string(),
                "certificate 1 is not a certificate",
            ),
        ] {
            let e = ExtraRoots::from_pem(&pem, FIELD).err().expect("refused");
            assert_eq!(e.kind, crate::ErrorKind::InvalidArgument, "{}", e.message);
            assert!(
                e.message.starts_with(FIELD) && e.message.contains(said),
                "{}",
                e.message
            );
            // A private key given by mistake is never repeated in the message.
            assert!(!e.message.contains(&KEY[40..80]), "{}", e.message);
        }
    }

    #[test]
    fn the_variable_names_a_file_and_a_bad_one_is_named_with_its_path() {
        assert!(ExtraRoots::from_env(&|_: &str| None).unwrap().is_none());
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/tls/test-only-trusted-test-root.cert.pem"
        );
        let env = |name: &str| (name == EXTRA_CA_CERTS).then(|| fixture.to_string());
        assert_eq!(
            ExtraRoots::from_env(&env)
                .unwrap()
                .unwrap()
                .certificates
                .len(),
            1
        );
        let missing = "no-such-dir/roots.pem";
        let env = |name: &str| (name == EXTRA_CA_CERTS).then(|| missing.to_string());
        let e = ExtraRoots::from_env(&env).err().expect("refused");
        assert!(
            e.message.contains(EXTRA_CA_CERTS) && e.message.contains(missing),
            "{}",
            e.message
        );
    }
}
