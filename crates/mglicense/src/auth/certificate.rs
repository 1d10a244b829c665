//! Client certificates: the private key and certificate an app signs its client assertion with,
//! and the assertion itself (an RS256 JWT, as
//! <https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials> describes).
//!
//! Keys arrive as PEM (read from -CertificatePath or AZURE_CLIENT_CERTIFICATE_PATH; an encrypted
//! PKCS#8 key is opened with its password, see [`super::pkcs8`]) or as DER handed over by a front end that took them from a certificate store or a PFX file. ring signs,
//! so the engine needs no OpenSSL on any platform.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use super::secret::{Secret, SecretBytes};
use crate::error::Error;

/// A certificate with its RSA private key, ready to sign assertions.
pub struct ClientCertificate {
    key: RsaKeyPair,
    /// base64url(SHA-1(DER certificate)): the `x5t` Entra ID finds the registered certificate by.
    x5t: String,
    /// Hex SHA-1, as Windows shows a thumbprint.
    thumbprint: String,
    /// base64(DER certificate): the `x5c` header of -SendCertificateChain (subject name and
    /// issuer authentication).
    x5c: String,
    /// Whether assertions carry `x5c`.
    send_chain: bool,
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
            x5c: base64::encode(certificate),
            send_chain: false,
        })
    }

    /// From PEM text holding a `CERTIFICATE` block and a `PRIVATE KEY` or `RSA PRIVATE KEY`
    /// block, in either order (the layout `openssl` and Azure tools write), or an `ENCRYPTED
    /// PRIVATE KEY` block (PKCS#8 with PBES2, see [`super::pkcs8`]) opened with `password`.
    pub fn from_pem(text: &str, origin: &str, password: Option<&Secret>) -> Result<Self, Error> {
        let blocks = pem_blocks(text);
        let cert = blocks
            .iter()
            .find(|b| b.label == "CERTIFICATE")
            .ok_or_else(|| {
                Error::invalid_argument(format!("{origin} holds no CERTIFICATE block."))
            })?;
        if let Some(encrypted) = blocks.iter().find(|b| b.label == "ENCRYPTED PRIVATE KEY") {
            let Some(password) = password else {
                return Err(Error::invalid_argument(format!(
                    "{origin} holds an encrypted private key: give its password (-CertificatePassword with -CertificatePath, or AZURE_CLIENT_CERTIFICATE_PASSWORD with -EnvironmentVariable) so the module can open it, or store the key unencrypted."
                )));
            };
            let key = super::pkcs8::decrypt(&encrypted.der.0, password.expose().as_bytes())
                .map_err(|refusal| {
                    let hint = if refusal == super::pkcs8::Refusal::WrongPassword {
                        " Check -CertificatePassword or AZURE_CLIENT_CERTIFICATE_PASSWORD."
                    } else {
                        ""
                    };
                    Error::invalid_argument(format!(
                        "{origin} holds an encrypted private key that could not be opened: {}.{hint}",
                        refusal.describe()
                    ))
                })?;
            return Self::from_der(&cert.der.0, &key.0);
        }
        let key = blocks
            .iter()
            .find(|b| b.label == "PRIVATE KEY" || b.label == "RSA PRIVATE KEY")
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "{origin} holds a certificate but no PRIVATE KEY block."
                ))
            })?;
        if let Some(cipher) = &key.dek_info {
            return Err(Error::invalid_argument(format!(
                "{origin} holds a private key in OpenSSL's traditional encrypted form (Proc-Type: 4,ENCRYPTED, DEK-Info: {cipher}), which MgLicense does not open: convert it to PKCS#8 with `openssl pkcs8 -topk8 -v2 aes-256-cbc`, or store the certificate as a PFX file."
            )));
        }
        Self::from_der(&cert.der.0, &key.der.0)
    }

    /// Reads a PEM file; `password` opens an encrypted key (ignored when the key is not
    /// encrypted). PFX files are opened by the front end, which has the platform's PKCS#12
    /// support, and handed over as DER.
    pub fn from_pem_file(path: &str, password: Option<&Secret>) -> Result<Self, Error> {
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
        Self::from_pem(&text, &format!("The certificate file '{path}'"), password)
    }

    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Sends the certificate in each assertion's `x5c` header (Connect-MgGraph
    /// -SendCertificateChain), for apps that trust subject name and issuer.
    pub fn send_chain(mut self, send: bool) -> Self {
        self.send_chain = send;
        self
    }

    /// The signed client assertion for `audience` (the token endpoint URL), valid ten minutes.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<String, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t});
        if self.send_chain {
            header["x5c"] = serde_json::json!([self.x5c]);
        }
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

/// One `-----BEGIN X-----` block of a PEM text, decoded (wiped when dropped: it may be a key).
pub(crate) struct PemBlock {
    pub(crate) label: String,
    pub(crate) der: SecretBytes,
    /// The cipher of OpenSSL's traditional key encryption (`DEK-Info: AES-256-CBC,<iv>`).
    dek_info: Option<String>,
}

/// The blocks of a PEM text, decoded.
pub(crate) fn pem_blocks(text: &str) -> Vec<PemBlock> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String, Option<String>)> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            current = Some((label.to_string(), String::new(), None));
        } else if line.starts_with("-----END ") {
            if let Some((label, body, dek_info)) = current.take() {
                let mut body = zeroize::Zeroizing::new(body);
                if let Ok(der) = base64::decode(body.as_bytes()) {
                    blocks.push(PemBlock {
                        label,
                        der: SecretBytes(der),
                        dek_info,
                    });
                }
                body.clear();
            }
        } else if let Some((_, body, dek_info)) = current.as_mut() {
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("DEK-Info") {
                    let cipher = value.split(',').next().unwrap_or("").trim();
                    *dek_info = Some(cipher.to_string());
                }
            } else {
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

    /// A throw-away certificate whose key `openssl pkcs8 -topk8 <args>` encrypted with
    /// `password`, as PEM.
    pub fn encrypted_test_pem(args: &[&str], password: &str) -> String {
        let pem = test_pem();
        let at = pem.find("-----BEGIN PRIVATE KEY-----").unwrap();
        let (cert, key) = pem.split_at(at);
        let dir = std::env::temp_dir().join(format!("mgl-enc-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let (plain, encrypted) = (dir.join("key.pem"), dir.join("encrypted.pem"));
        std::fs::write(&plain, key).unwrap();
        let output = std::process::Command::new("openssl")
            .args(["pkcs8", "-topk8"])
            .args(args)
            .arg("-passout")
            .arg(format!("pass:{password}"))
            .arg("-in")
            .arg(&plain)
            .arg("-out")
            .arg(&encrypted)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "openssl pkcs8 -topk8 {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let encrypted = std::fs::read_to_string(&encrypted).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(encrypted.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        format!("{cert}{encrypted}")
    }

    fn password(text: &str) -> Secret {
        Secret::new(text)
    }

    /// The DER of a PEM's ENCRYPTED PRIVATE KEY block.
    fn encrypted_der(pem: &str) -> Vec<u8> {
        pem_blocks(pem)
            .into_iter()
            .find(|b| b.label == "ENCRYPTED PRIVATE KEY")
            .unwrap()
            .der
            .0
            .clone()
    }

    fn refusal(pem: &str, with: &str) -> String {
        ClientCertificate::from_pem(pem, "The file", Some(&password(with)))
            .unwrap_err()
            .message
    }

    #[test]
    #[cfg_attr(
        windows,
        ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
    )]
    fn encrypted_pkcs8_keys_open_with_their_password_pbes2_aes_cbc_sha256_and_sha1() {
        for args in [
            &["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256"][..],
            &["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"][..],
            &[
                "-v2",
                "aes-192-cbc",
                "-v2prf",
                "hmacWithSHA256",
                "-iter",
                "1",
            ][..],
        ] {
            let pem = encrypted_test_pem(args, "pem-pass word é");
            let c = ClientCertificate::from_pem(&pem, "f", Some(&password("pem-pass word é")))
                .unwrap_or_else(|e| panic!("{args:?}: {}", e.message));
            assert_eq!(c.thumbprint().len(), 40);
            assert_eq!(
                c.assertion("app", "https://login.example/t/oauth2/v2.0/token")
                    .unwrap()
                    .split('.')
                    .count(),
                3
            );
            // Without the password, the existing refusal says how to give it.
            let e = ClientCertificate::from_pem(&pem, "f", None).unwrap_err();
            assert!(e.message.contains("-CertificatePassword"), "{}", e.message);
        }
    }

    #[test]
    #[cfg_attr(
        windows,
        ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
    )]
    fn a_wrong_password_is_named_and_never_a_panic() {
        let pem = encrypted_test_pem(&["-v2", "aes-256-cbc"], "right");
        for wrong in ["wrong", "", "righ", "right "] {
            let message = refusal(&pem, wrong);
            assert!(
                message.contains("the password does not open the key"),
                "{message}"
            );
            assert!(message.contains("AZURE_CLIENT_CERTIFICATE_PASSWORD"));
            assert!(message.starts_with("The file holds an encrypted private key"));
        }
        // Many wrong passwords: the ones whose padding happens to check out are caught by the
        // structure check.
        let der = encrypted_der(&pem);
        for i in 0..600 {
            assert_eq!(
                super::super::pkcs8::decrypt(&der, format!("w{i}").as_bytes()).err(),
                Some(super::super::pkcs8::Refusal::WrongPassword)
            );
        }
    }

    #[test]
    #[cfg_attr(
        windows,
        ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
    )]
    fn truncated_or_garbage_der_is_refused_as_malformed() {
        use super::super::pkcs8::{decrypt, Refusal};
        let pem = encrypted_test_pem(&["-v2", "aes-256-cbc"], "p");
        let der = encrypted_der(&pem);
        for cut in 0..der.len() {
            match decrypt(&der[..cut], b"p") {
                Err(Refusal::Malformed(_)) => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        let mut flipped = der.clone();
        flipped[1] ^= 0x01;
        assert!(matches!(
            decrypt(&flipped, b"p"),
            Err(Refusal::Malformed(_))
        ));
        for garbage in [
            &b""[..],
            b"\x30",
            b"\x30\x80\x00\x00",
            &[0xff; 64],
            b"not der",
        ] {
            assert!(matches!(decrypt(garbage, b"p"), Err(Refusal::Malformed(_))));
        }
        // Every byte changed in turn: a refusal each time, never a panic.
        for i in 0..der.len() {
            let mut changed = der.clone();
            changed[i] = changed[i].wrapping_add(0x55);
            let _ = decrypt(&changed, b"p");
        }
        // In a PEM file, the message names the file and the reason.
        let b64 = base64::encode(&der[..der.len() / 2]);
        let truncated = format!(
            "{}-----BEGIN ENCRYPTED PRIVATE KEY-----\n{b64}\n-----END ENCRYPTED PRIVATE KEY-----\n",
            pem.split("-----BEGIN ENCRYPTED").next().unwrap()
        );
        let message = refusal(&truncated, "p");
        assert!(
            message.contains("not a valid encrypted PKCS#8 key"),
            "{message}"
        );
    }

    /// DER of one element.
    fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if contents.len() < 0x80 {
            out.push(contents.len() as u8);
        } else {
            out.extend([0x82, (contents.len() >> 8) as u8, contents.len() as u8]);
        }
        out.extend_from_slice(contents);
        out
    }

    /// An EncryptedPrivateKeyInfo with PBES2, PBKDF2 (HMAC-SHA256) and AES-256-CBC, and the
    /// iteration count given as INTEGER contents.
    fn pbes2_with_iterations(iterations: &[u8]) -> Vec<u8> {
        let oid = |bytes: &[u8]| tlv(0x06, bytes);
        let pbkdf2_params = [
            tlv(0x04, &[7; 8]),
            tlv(0x02, iterations),
            tlv(
                0x30,
                &[
                    oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09]),
                    vec![0x05, 0x00],
                ]
                .concat(),
            ),
        ]
        .concat();
        let kdf = tlv(
            0x30,
            &[
                oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c]),
                tlv(0x30, &pbkdf2_params),
            ]
            .concat(),
        );
        let cipher = tlv(
            0x30,
            &[
                oid(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a]),
                tlv(0x04, &[1; 16]),
            ]
            .concat(),
        );
        let algorithm = tlv(
            0x30,
            &[
                oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d]),
                tlv(0x30, &[kdf, cipher].concat()),
            ]
            .concat(),
        );
        tlv(0x30, &[algorithm, tlv(0x04, &[0; 32])].concat())
    }

    #[test]
    fn an_absurd_iteration_count_is_refused_before_any_work() {
        use super::super::pkcs8::{decrypt, Refusal, MAX_ITERATIONS};
        let started = std::time::Instant::now();
        for (contents, expected) in [
            (&[0x00, 0xff, 0xff, 0xff, 0xff][..], 0xffff_ffffu64),
            (&[0x01, 0, 0, 0, 0, 0][..], 1 << 40),
            (&[0x00, 0x98, 0x96, 0x81][..], MAX_ITERATIONS + 1),
            (&[0x7f; 12][..], u64::MAX),
        ] {
            assert_eq!(
                decrypt(&pbes2_with_iterations(contents), b"p").err(),
                Some(Refusal::TooManyIterations(expected))
            );
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let message = Refusal::TooManyIterations(1 << 40).describe();
        assert!(message.contains("1099511627776") && message.contains("10000000"));
        // Zero and negative counts are malformed; a count within bounds is derived and the
        // all-zero "ciphertext" then fails as a wrong password would.
        assert!(matches!(
            decrypt(&pbes2_with_iterations(&[0]), b"p"),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            decrypt(&pbes2_with_iterations(&[0xff]), b"p"),
            Err(Refusal::Malformed(_))
        ));
        assert_eq!(
            decrypt(&pbes2_with_iterations(&[0x08, 0x00]), b"p").err(),
            Some(Refusal::WrongPassword)
        );
    }

    #[test]
    #[cfg_attr(
        windows,
        ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
    )]
    fn other_schemes_are_refused_by_name() {
        for (args, named) in [
            (
                &["-v1", "PBE-SHA1-3DES"][..],
                "pbeWithSHAAnd3-KeyTripleDES-CBC",
            ),
            (&["-v2", "des3"][..], "3DES"),
            (&["-scrypt"][..], "scrypt"),
            (
                &["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA512"][..],
                "HMAC-SHA512",
            ),
        ] {
            let pem = encrypted_test_pem(args, "p");
            let message = refusal(&pem, "p");
            assert!(
                message.contains(named) && message.contains("does not open"),
                "{args:?}: {message}"
            );
            assert!(message.contains("openssl pkcs8 -topk8 -v2 aes-256-cbc"));
        }
        // PBES1 (OpenSSL 3 writes it only with its legacy provider, so the DER is made here):
        // pbeWithMD5AndDES-CBC { salt, 2048 iterations } over 32 bytes.
        let pbes1 = tlv(
            0x30,
            &[
                tlv(
                    0x30,
                    &[
                        tlv(
                            0x06,
                            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x03],
                        ),
                        tlv(
                            0x30,
                            &[tlv(0x04, &[7; 8]), tlv(0x02, &[0x08, 0x00])].concat(),
                        ),
                    ]
                    .concat(),
                ),
                tlv(0x04, &[0; 32]),
            ]
            .concat(),
        );
        let message = super::super::pkcs8::decrypt(&pbes1, b"p")
            .err()
            .unwrap()
            .describe();
        assert!(
            message.contains("PBES1 (pbeWithMD5AndDES-CBC), 1.2.840.113549.1.5.3"),
            "{message}"
        );
        let unknown = super::super::pkcs8::Refusal::Unsupported("x".into()).describe();
        assert!(unknown.contains("PBES2 with PBKDF2"));
    }

    #[test]
    fn openssl_traditional_key_encryption_is_refused_by_name() {
        let pem = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nMAA=\n-----END RSA PRIVATE KEY-----\n";
        let message = ClientCertificate::from_pem(pem, "f", Some(&password("p")))
            .unwrap_err()
            .message;
        assert!(
            message.contains("traditional") && message.contains("AES-256-CBC"),
            "{message}"
        );
    }

    #[test]
    #[cfg_attr(
        windows,
        ignore = "spawns the openssl program to make a throw-away certificate; there is none on a Windows test machine"
    )]
    fn signs_an_assertion_with_x5t_and_the_claims_entra_wants() {
        let c = ClientCertificate::from_pem(&test_pem(), "test", None).unwrap();
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
        assert!(ClientCertificate::from_pem(&cert_only, "f", None)
            .unwrap_err()
            .message
            .contains("no PRIVATE KEY"));
        let enc = pem
            .replace("BEGIN PRIVATE KEY", "BEGIN ENCRYPTED PRIVATE KEY")
            .replace("END PRIVATE KEY", "END ENCRYPTED PRIVATE KEY");
        assert!(ClientCertificate::from_pem(&enc, "f", None)
            .unwrap_err()
            .message
            .contains("-CertificatePassword"));
    }
}
