//! Client certificates: the private key and certificate an app signs its client assertion with,
//! and the assertion itself (an RS256 JWT, graph-facts §6).
//!
//! Keys arrive as PEM (read from -CertificatePath or AZURE_CLIENT_CERTIFICATE_PATH) or as DER
//! handed over by a front end that took them from a certificate store or a PFX file. ring signs,
//! so the engine needs no OpenSSL on any platform.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use super::secret::SecretBytes;
use crate::error::Error;

/// A certificate with its RSA private key, ready to sign assertions.
pub struct ClientCertificate {
    key: RsaKeyPair,
    /// base64url(SHA-1(DER certificate)): the `x5t` Entra ID finds the registered certificate by.
    x5t: String,
    /// Hex SHA-1, as Windows shows a thumbprint.
    thumbprint: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// From a DER certificate and a PKCS#8 (or PKCS#1) DER private key.
    pub fn from_der(certificate: &[u8], private_key: &[u8]) -> Result<Self, Error> {
        let key = RsaKeyPair::from_pkcs8(private_key)
            .or_else(|_| RsaKeyPair::from_der(private_key))
            .map_err(|e| {
                Error::invalid_argument(format!(
                    "The certificate's private key could not be used ({e}): MgLicense signs with RSA keys of 2048 to 4096 bits, in PKCS#8 or PKCS#1 form."
                ))
            })?;
        let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, certificate);
        let thumbprint = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
        Ok(ClientCertificate {
            key,
            x5t: base64::encode_config(digest.as_ref(), base64::URL_SAFE_NO_PAD),
            thumbprint,
        })
    }

    /// From PEM text holding a `CERTIFICATE` block and an unencrypted `PRIVATE KEY` or
    /// `RSA PRIVATE KEY` block, in either order (the layout `openssl` and Azure tools write).
    pub fn from_pem(text: &str, origin: &str) -> Result<Self, Error> {
        let blocks = pem_blocks(text);
        let cert = blocks
            .iter()
            .find(|(label, _)| label == "CERTIFICATE")
            .ok_or_else(|| {
                Error::invalid_argument(format!("{origin} holds no CERTIFICATE block."))
            })?;
        if blocks
            .iter()
            .any(|(label, _)| label == "ENCRYPTED PRIVATE KEY")
        {
            return Err(Error::invalid_argument(format!(
                "{origin} holds an encrypted private key: give its password (-CertificatePassword with -CertificatePath, or AZURE_CLIENT_CERTIFICATE_PASSWORD with -EnvironmentVariable) so the module can open it, or store the key unencrypted."
            )));
        }
        let key = blocks
            .iter()
            .find(|(label, _)| label == "PRIVATE KEY" || label == "RSA PRIVATE KEY")
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "{origin} holds a certificate but no PRIVATE KEY block."
                ))
            })?;
        let key = SecretBytes(key.1.clone());
        Self::from_der(&cert.1, &key.0)
    }

    /// Reads a PEM file. PFX files are opened by the front end, which has the platform's
    /// PKCS#12 support, and handed over as DER.
    pub fn from_pem_file(path: &str) -> Result<Self, Error> {
        let bytes = std::fs::read(path).map_err(|e| {
            Error::invalid_argument(format!(
                "The certificate file '{path}' could not be read: {e}."
            ))
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::invalid_argument(format!(
                "The certificate file '{path}' is not PEM text; a PFX file needs a front end that can open it (Connect-MgGraph -CertificatePath does)."
            ))
        })?;
        let text = zeroize::Zeroizing::new(text);
        Self::from_pem(&text, &format!("The certificate file '{path}'"))
    }

    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The signed client assertion for `audience` (the token endpoint URL), valid ten minutes.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<String, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t});
        let claims = serde_json::json!({
            "aud": audience, "iss": client_id, "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now, "iat": now, "exp": now + 600,
        });
        let enc = |v: &[u8]| base64::encode_config(v, base64::URL_SAFE_NO_PAD);
        let input = format!(
            "{}.{}",
            enc(header.to_string().as_bytes()),
            enc(claims.to_string().as_bytes())
        );
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| {
                Error::authentication_failed(
                    "The client assertion could not be signed with the certificate's key.",
                )
            })?;
        Ok(format!("{input}.{}", enc(&signature)))
    }
}

/// The `-----BEGIN X-----` blocks of a PEM text, decoded.
fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            current = Some((label.to_string(), String::new()));
        } else if line.starts_with("-----END ") {
            if let Some((label, body)) = current.take() {
                let mut body = zeroize::Zeroizing::new(body);
                if let Ok(der) = base64::decode(body.as_bytes()) {
                    blocks.push((label, der));
                }
                body.clear();
            }
        } else if let Some((_, body)) = current.as_mut() {
            if !line.contains(':') {
                body.push_str(line);
            }
        }
    }
    blocks
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A throw-away certificate and key made by the `openssl` program, as PEM.
    pub fn test_pem() -> String {
        let dir = std::env::temp_dir().join(format!("mgl-cert-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
        let status = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=MgLicense test",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let pem = std::fs::read_to_string(&cert).unwrap() + &std::fs::read_to_string(&key).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        pem
    }

    #[test]
    #[cfg_attr(
        windows,
        ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
    )]
    fn signs_an_assertion_with_x5t_and_the_claims_entra_wants() {
        let c = ClientCertificate::from_pem(&test_pem(), "test").unwrap();
        let jwt = c
            .assertion("app-1", "https://login.example/t/oauth2/v2.0/token")
            .unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let dec = |s: &str| {
            serde_json::from_slice::<serde_json::Value>(
                &base64::decode_config(s, base64::URL_SAFE_NO_PAD).unwrap(),
            )
            .unwrap()
        };
        let (h, p) = (dec(parts[0]), dec(parts[1]));
        assert_eq!(h["alg"], "RS256");
        assert_eq!(h["x5t"].as_str().unwrap().len(), 27);
        assert_eq!(p["iss"], "app-1");
        assert_eq!(p["sub"], "app-1");
        assert_eq!(p["aud"], "https://login.example/t/oauth2/v2.0/token");
        assert!(p["exp"].as_u64().unwrap() > p["nbf"].as_u64().unwrap());
        assert_eq!(c.thumbprint().len(), 40);
        assert!(!format!("{c:?}").contains("PRIVATE"));
    }

    #[test]
    #[cfg_attr(
        windows,
        ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
    )]
    fn pem_without_a_key_or_with_an_encrypted_one_is_refused_with_the_reason() {
        let pem = test_pem();
        let cert_only: String = pem
            .split("-----BEGIN PRIVATE KEY-----")
            .next()
            .unwrap()
            .to_string();
        assert!(ClientCertificate::from_pem(&cert_only, "f")
            .unwrap_err()
            .message
            .contains("no PRIVATE KEY"));
        let enc = pem
            .replace("BEGIN PRIVATE KEY", "BEGIN ENCRYPTED PRIVATE KEY")
            .replace("END PRIVATE KEY", "END ENCRYPTED PRIVATE KEY");
        assert!(ClientCertificate::from_pem(&enc, "f")
            .unwrap_err()
            .message
            .contains("-CertificatePassword"));
    }
}
