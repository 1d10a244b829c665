//! Secrets (client secrets, passwords, tokens) held so that they are wiped when dropped and can
//! never be printed by accident: Debug and Display show `<redacted>`.
//!
//! A front end hands secrets over as their own byte buffers, beside the sign-in document, which
//! names each by its index (`{"secret": 0}`, docs/abi.md "Secrets"): the secret is never part
//! of a JSON text. [`with_buffers`] makes the buffers of one call visible to the deserializers
//! here while that call's document is read.

use std::cell::RefCell;
use std::fmt;

use zeroize::Zeroize;

/// A secret string, zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that has to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Given::deserialize(d)? {
            Given::Text(text) => Ok(Secret(text)),
            Given::Buffer { secret } => {
                let bytes = buffer::<D::Error>(secret)?;
                match std::str::from_utf8(&bytes.0) {
                    Ok(text) => Ok(Secret(text.to_string())),
                    Err(_) => Err(serde::de::Error::custom(format_args!(
                        "secret buffer {secret} is not UTF-8"
                    ))),
                }
            }
        }
    }
}

/// A secret as a document gives it: inline text, or the index of a buffer handed over beside it.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Given {
    Text(String),
    Buffer { secret: usize },
}

thread_local! {
    /// The secret buffers of the call whose document this thread is reading (see [`with_buffers`]).
    static BUFFERS: RefCell<Vec<SecretBytes>> = const { RefCell::new(Vec::new()) };
}

/// Runs `read` (a document's deserialization) with `buffers` as the secrets `{"secret": i}`
/// names; they are wiped when it returns, whatever it kept.
pub fn with_buffers<T>(buffers: Vec<SecretBytes>, read: impl FnOnce() -> T) -> T {
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            BUFFERS.with(|b| b.borrow_mut().clear());
        }
    }
    BUFFERS.with(|b| *b.borrow_mut() = buffers);
    let _clear = Clear;
    read()
}

/// A copy of buffer `index` of the call being read.
fn buffer<E: serde::de::Error>(index: usize) -> Result<SecretBytes, E> {
    BUFFERS.with(|b| {
        let buffers = b.borrow();
        buffers
            .get(index)
            .map(|bytes| SecretBytes(bytes.0.clone()))
            .ok_or_else(|| {
                E::custom(format_args!(
                    "secret {index} names no buffer: {} secret buffer(s) were given",
                    buffers.len()
                ))
            })
    })
}

/// Bytes that are secret (a private key), zeroed on drop.
pub struct SecretBytes(pub Vec<u8>);

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A private key as a document gives it: inline, base64 DER text; from a buffer, the DER bytes
/// themselves (PKCS#8 or PKCS#1).
pub struct KeyBytes(pub SecretBytes);

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> serde::Deserialize<'de> for KeyBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Given::deserialize(d)? {
            Given::Text(text) => {
                let text = zeroize::Zeroizing::new(text);
                base64::decode(text.trim())
                    .map(|der| KeyBytes(SecretBytes(der)))
                    .map_err(|_| serde::de::Error::custom("certificate.privateKey is not base64"))
            }
            Given::Buffer { secret } => buffer::<D::Error>(secret).map(KeyBytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Document {
        token: Secret,
        key: KeyBytes,
    }

    #[test]
    fn secrets_come_inline_or_from_their_buffers() {
        let inline: Document = with_buffers(Vec::new(), || {
            serde_json::from_str(r#"{"token":"t-1","key":"AQID"}"#)
        })
        .unwrap();
        assert_eq!(inline.token.expose(), "t-1");
        assert_eq!(inline.key.0 .0, [1, 2, 3]);

        let buffers = vec![SecretBytes(b"t-2".to_vec()), SecretBytes(vec![9, 8])];
        let given: Document = with_buffers(buffers, || {
            serde_json::from_str(r#"{"token":{"secret":0},"key":{"secret":1}}"#)
        })
        .unwrap();
        assert_eq!(given.token.expose(), "t-2");
        assert_eq!(given.key.0 .0, [9, 8]);
        BUFFERS.with(|b| {
            assert!(
                b.borrow().is_empty(),
                "the buffers are dropped after the read"
            )
        });

        let missing = with_buffers(vec![SecretBytes(b"x".to_vec())], || {
            serde_json::from_str::<Document>(r#"{"token":{"secret":1},"key":"AQID"}"#)
        });
        assert!(missing.is_err());
        let not_text = with_buffers(vec![SecretBytes(vec![0xff])], || {
            serde_json::from_str::<Document>(r#"{"token":{"secret":0},"key":"AQID"}"#)
        });
        assert!(not_text.err().unwrap().to_string().contains("not UTF-8"));
    }

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("p@ss-value");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), "p@ss-value");
    }
}
