//! Encrypted PKCS#8 private keys (`-----BEGIN ENCRYPTED PRIVATE KEY-----`, RFC 5958
//! EncryptedPrivateKeyInfo), opened with their password.
//!
//! One scheme is read: PBES2 (RFC 8018 §6.2) with PBKDF2 over HMAC-SHA256 or HMAC-SHA1 and
//! AES-128/192/256-CBC, what `openssl pkcs8 -topk8 -v2 aes-256-cbc` (and OpenSSL 3's default),
//! .NET's ExportEncryptedPkcs8PrivateKey and Azure tools write. Anything else (PBES1 and the
//! PKCS#12 schemes, 3DES, scrypt, other PRFs or ciphers) is refused by name. ring derives the key,
//! the `aes` crate's block cipher decrypts, and the CBC chaining and PKCS#7 padding are here.
//!
//! The file is not trusted: every length is checked against what remains, nothing here panics,
//! and the iteration count is bounded so that a hostile file cannot stall the sign-in.

use std::num::NonZeroU32;

use aes::cipher::generic_array::GenericArray;
use aes::{Aes128, Aes192, Aes256, BlockCipher, NewBlockCipher};
use zeroize::Zeroizing;

use super::secret::SecretBytes;

/// The most PBKDF2 iterations opened (a few seconds of work): OpenSSL writes 2,048 and .NET
/// callers choose up to a few hundred thousand; more is taken for a file made to stall us.
pub const MAX_ITERATIONS: u64 = 10_000_000;

/// Why an encrypted key was not opened; [`Refusal::describe`] says it as a sentence part.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The padding or the decrypted structure is wrong: almost always the password.
    WrongPassword,
    /// Not DER of the shape RFC 8018 gives; the text says where.
    Malformed(&'static str),
    /// A scheme, key derivation, PRF or cipher that is not read, named.
    Unsupported(String),
    /// PBKDF2 asks for more than [`MAX_ITERATIONS`].
    TooManyIterations(u64),
}

impl Refusal {
    pub fn describe(&self) -> String {
        match self {
            Refusal::WrongPassword => "the password does not open the key".to_string(),
            Refusal::Malformed(what) => format!("it is not a valid encrypted PKCS#8 key ({what})"),
            Refusal::Unsupported(scheme) => format!(
                "it is encrypted with {scheme}, which MgLicense does not open: it opens PBES2 with PBKDF2 (HMAC-SHA256 or HMAC-SHA1) and AES-CBC. Re-encrypt the key with `openssl pkcs8 -topk8 -v2 aes-256-cbc`, or store the certificate as a PFX file"
            ),
            Refusal::TooManyIterations(n) => format!(
                "its key derivation asks for {n} PBKDF2 iterations, more than the {MAX_ITERATIONS} MgLicense allows"
            ),
        }
    }
}

const PBES2: &str = "1.2.840.113549.1.5.13";
const PBKDF2: &str = "1.2.840.113549.1.5.12";
const HMAC_SHA1: &str = "1.2.840.113549.2.7";
const HMAC_SHA256: &str = "1.2.840.113549.2.9";
const AES128_CBC: &str = "2.16.840.1.101.3.4.1.2";
const AES192_CBC: &str = "2.16.840.1.101.3.4.1.22";
const AES256_CBC: &str = "2.16.840.1.101.3.4.1.42";

/// The name people know an algorithm identifier by, for the ones a refused file may carry.
fn known_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.5.1" => "PBES1 (pbeWithMD2AndDES-CBC)",
        "1.2.840.113549.1.5.3" => "PBES1 (pbeWithMD5AndDES-CBC)",
        "1.2.840.113549.1.5.4" => "PBES1 (pbeWithMD2AndRC2-CBC)",
        "1.2.840.113549.1.5.6" => "PBES1 (pbeWithMD5AndRC2-CBC)",
        "1.2.840.113549.1.5.10" => "PBES1 (pbeWithSHA1AndDES-CBC)",
        "1.2.840.113549.1.5.11" => "PBES1 (pbeWithSHA1AndRC2-CBC)",
        "1.2.840.113549.1.12.1.1" => "PKCS#12 PBE (pbeWithSHAAnd128BitRC4)",
        "1.2.840.113549.1.12.1.2" => "PKCS#12 PBE (pbeWithSHAAnd40BitRC4)",
        "1.2.840.113549.1.12.1.3" => "PKCS#12 PBE (pbeWithSHAAnd3-KeyTripleDES-CBC)",
        "1.2.840.113549.1.12.1.4" => "PKCS#12 PBE (pbeWithSHAAnd2-KeyTripleDES-CBC)",
        "1.2.840.113549.1.12.1.5" => "PKCS#12 PBE (pbeWithSHAAnd128BitRC2-CBC)",
        "1.2.840.113549.1.12.1.6" => "PKCS#12 PBE (pbewithSHAAnd40BitRC2-CBC)",
        "1.3.6.1.4.1.11591.4.11" => "PBES2 with scrypt",
        "1.2.840.113549.3.7" => "PBES2 with 3DES (des-ede3-cbc)",
        "1.3.14.3.2.7" => "PBES2 with DES (des-cbc)",
        "1.2.840.113549.3.2" => "PBES2 with RC2 (rc2-cbc)",
        "2.16.840.1.101.3.4.1.6" => "PBES2 with AES-128-GCM",
        "2.16.840.1.101.3.4.1.26" => "PBES2 with AES-192-GCM",
        "2.16.840.1.101.3.4.1.46" => "PBES2 with AES-256-GCM",
        "1.2.840.113549.2.8" => "PBKDF2 with HMAC-SHA224",
        "1.2.840.113549.2.10" => "PBKDF2 with HMAC-SHA384",
        "1.2.840.113549.2.11" => "PBKDF2 with HMAC-SHA512",
        _ => return None,
    })
}

fn unsupported(what: &str, oid: &str) -> Refusal {
    Refusal::Unsupported(match known_name(oid) {
        Some(name) => format!("{name}, {oid}"),
        None => format!("an unknown {what} ({oid})"),
    })
}

/// Decrypts an EncryptedPrivateKeyInfo (DER) with `password`: the PrivateKeyInfo DER, wiped when
/// dropped.
pub fn decrypt(der: &[u8], password: &[u8]) -> Result<SecretBytes, Refusal> {
    let mut outer = Der::new(der).sequence("EncryptedPrivateKeyInfo")?;
    let mut algorithm = outer.sequence("encryptionAlgorithm")?;
    let encrypted = outer.octet_string("encryptedData")?;
    outer.end("EncryptedPrivateKeyInfo")?;

    let scheme = algorithm.oid("encryptionAlgorithm")?;
    if scheme != PBES2 {
        return Err(unsupported("encryption scheme", &scheme));
    }
    let mut params = algorithm.sequence("PBES2-params")?;
    algorithm.end("encryptionAlgorithm")?;
    let mut kdf = params.sequence("keyDerivationFunc")?;
    let mut cipher = params.sequence("encryptionScheme")?;
    params.end("PBES2-params")?;

    let kdf_oid = kdf.oid("keyDerivationFunc")?;
    if kdf_oid != PBKDF2 {
        return Err(unsupported("key derivation", &kdf_oid));
    }
    let mut pbkdf2 = kdf.sequence("PBKDF2-params")?;
    kdf.end("keyDerivationFunc")?;
    let salt = match pbkdf2.peek_tag() {
        Some(TAG_OCTET_STRING) => pbkdf2.octet_string("salt")?,
        _ => {
            return Err(Refusal::Unsupported(
                "PBKDF2 with a salt from another source (otherSource)".to_string(),
            ))
        }
    };
    let iterations = pbkdf2.integer("iterationCount")?;
    let key_length = match pbkdf2.peek_tag() {
        Some(TAG_INTEGER) => Some(pbkdf2.integer("keyLength")?),
        _ => None,
    };
    let prf = match pbkdf2.peek_tag() {
        Some(TAG_SEQUENCE) => {
            let mut prf = pbkdf2.sequence("prf")?;
            let oid = prf.oid("prf")?;
            // The parameters are NULL or absent.
            match prf.peek_tag() {
                None => {}
                Some(TAG_NULL) => {
                    let (_, null) = prf.next("prf parameters")?;
                    if !null.is_empty() {
                        return Err(Refusal::Malformed("prf parameters"));
                    }
                }
                Some(_) => return Err(Refusal::Malformed("prf parameters")),
            }
            prf.end("prf")?;
            oid
        }
        _ => HMAC_SHA1.to_string(),
    };
    pbkdf2.end("PBKDF2-params")?;
    let prf = match prf.as_str() {
        HMAC_SHA256 => ring::pbkdf2::PBKDF2_HMAC_SHA256,
        HMAC_SHA1 => ring::pbkdf2::PBKDF2_HMAC_SHA1,
        other => return Err(unsupported("PBKDF2 PRF", other)),
    };

    let cipher_oid = cipher.oid("encryptionScheme")?;
    let key_size = match cipher_oid.as_str() {
        AES128_CBC => 16,
        AES192_CBC => 24,
        AES256_CBC => 32,
        other => return Err(unsupported("cipher", other)),
    };
    let iv = cipher.octet_string("initialization vector")?;
    cipher.end("encryptionScheme")?;
    let iv: [u8; 16] = iv
        .try_into()
        .map_err(|_| Refusal::Malformed("the AES-CBC initialization vector is not 16 bytes"))?;
    if key_length.is_some_and(|n| n != key_size as u64) {
        return Err(Refusal::Malformed(
            "the PBKDF2 key length does not fit the AES key size",
        ));
    }
    if iterations > MAX_ITERATIONS {
        return Err(Refusal::TooManyIterations(iterations));
    }
    let iterations = u32::try_from(iterations)
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or(Refusal::Malformed("the PBKDF2 iteration count is 0"))?;
    if encrypted.is_empty() || encrypted.len() % 16 != 0 {
        return Err(Refusal::Malformed(
            "the encrypted key is not a whole number of AES blocks",
        ));
    }

    let mut key = Zeroizing::new([0u8; 32]);
    let key = &mut key[..key_size];
    ring::pbkdf2::derive(prf, iterations, salt, password, key);
    // The AES key schedule (`aes` 0.6 has no zeroize support) lives on this stack frame only.
    let mut plain = SecretBytes(encrypted.to_vec());
    match key_size {
        16 => cbc_decrypt(
            &Aes128::new(GenericArray::from_slice(key)),
            &iv,
            &mut plain.0,
        ),
        24 => cbc_decrypt(
            &Aes192::new(GenericArray::from_slice(key)),
            &iv,
            &mut plain.0,
        ),
        _ => cbc_decrypt(
            &Aes256::new(GenericArray::from_slice(key)),
            &iv,
            &mut plain.0,
        ),
    }

    // PKCS#7 padding: 1 to 16 bytes, each the count.
    let pad = usize::from(*plain.0.last().unwrap_or(&0));
    if pad == 0
        || pad > 16
        || plain.0[plain.0.len() - pad..]
            .iter()
            .any(|b| usize::from(*b) != pad)
    {
        return Err(Refusal::WrongPassword);
    }
    let len = plain.0.len() - pad;
    // Wipe the padding before it is cut off (truncate keeps the bytes in the allocation).
    plain.0[len..].iter_mut().for_each(|b| *b = 0);
    plain.0.truncate(len);
    // A wrong password passes the padding check one time in about 256: what it decrypts to is
    // noise, not one DER SEQUENCE spanning the whole text.
    let mut check = Der::new(&plain.0);
    if check.sequence("PrivateKeyInfo").is_err() || !check.rest.is_empty() {
        return Err(Refusal::WrongPassword);
    }
    Ok(plain)
}

/// CBC decryption in place: each block decrypted, then XORed with the ciphertext before it.
fn cbc_decrypt<C: BlockCipher<BlockSize = aes::cipher::consts::U16>>(
    cipher: &C,
    iv: &[u8; 16],
    data: &mut [u8],
) {
    let mut previous = *iv;
    for chunk in data.chunks_exact_mut(16) {
        let mut saved = [0u8; 16];
        saved.copy_from_slice(chunk);
        let block = GenericArray::from_mut_slice(chunk);
        cipher.decrypt_block(block);
        for (b, p) in block.iter_mut().zip(previous.iter()) {
            *b ^= p;
        }
        previous = saved;
    }
}

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// A reader over DER: definite lengths only, every length checked against what is left.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Der { rest: bytes }
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element's tag and contents.
    fn next(&mut self, what: &'static str) -> Result<(u8, &'a [u8]), Refusal> {
        let bad = Refusal::Malformed(what);
        let (&tag, after) = self.rest.split_first().ok_or(Refusal::Malformed(what))?;
        let (&first, mut after) = after.split_first().ok_or(Refusal::Malformed(what))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            // 0x80 is BER's indefinite length; more than 4 length bytes is no key file.
            if count == 0 || count > 4 || after.len() < count {
                return Err(bad);
            }
            let mut len = 0usize;
            for b in &after[..count] {
                len = (len << 8) | usize::from(*b);
            }
            after = &after[count..];
            len
        };
        if after.len() < len {
            return Err(bad);
        }
        let (contents, rest) = after.split_at(len);
        self.rest = rest;
        Ok((tag, contents))
    }

    fn expect(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], Refusal> {
        match self.next(what)? {
            (t, contents) if t == tag => Ok(contents),
            _ => Err(Refusal::Malformed(what)),
        }
    }

    fn sequence(&mut self, what: &'static str) -> Result<Der<'a>, Refusal> {
        self.expect(TAG_SEQUENCE, what).map(Der::new)
    }

    fn octet_string(&mut self, what: &'static str) -> Result<&'a [u8], Refusal> {
        self.expect(TAG_OCTET_STRING, what)
    }

    /// A non-negative INTEGER that fits 64 bits.
    fn integer(&mut self, what: &'static str) -> Result<u64, Refusal> {
        let bytes = self.expect(TAG_INTEGER, what)?;
        if bytes.is_empty() || bytes[0] & 0x80 != 0 {
            return Err(Refusal::Malformed(what));
        }
        let significant = match bytes.iter().position(|b| *b != 0) {
            Some(i) => &bytes[i..],
            None => return Ok(0),
        };
        if significant.len() > 8 {
            // Larger than any count we would take; say so as a count.
            return Ok(u64::MAX);
        }
        Ok(significant
            .iter()
            .fold(0u64, |n, b| (n << 8) | u64::from(*b)))
    }

    /// An OBJECT IDENTIFIER in dotted form.
    fn oid(&mut self, what: &'static str) -> Result<String, Refusal> {
        let bytes = self.expect(TAG_OID, what)?;
        let mut arcs: Vec<u64> = Vec::new();
        let mut value: u64 = 0;
        for (i, b) in bytes.iter().enumerate() {
            if value > (u64::MAX >> 7) {
                return Err(Refusal::Malformed(what));
            }
            value = (value << 7) | u64::from(b & 0x7f);
            if b & 0x80 == 0 {
                if arcs.is_empty() {
                    let first = (value / 40).min(2);
                    arcs.push(first);
                    arcs.push(value - first * 40);
                } else {
                    arcs.push(value);
                }
                value = 0;
            } else if i + 1 == bytes.len() {
                return Err(Refusal::Malformed(what));
            }
        }
        if arcs.is_empty() {
            return Err(Refusal::Malformed(what));
        }
        Ok(arcs
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."))
    }

    fn end(&self, what: &'static str) -> Result<(), Refusal> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Malformed(what))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_identifiers_read_as_dotted_text() {
        let mut d = Der::new(&[
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d,
        ]);
        assert_eq!(d.oid("x").unwrap(), PBES2);
        let mut d = Der::new(&[
            0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a,
        ]);
        assert_eq!(d.oid("x").unwrap(), AES256_CBC);
        assert!(Der::new(&[0x06, 0x01, 0x86]).oid("x").is_err());
        assert!(Der::new(&[0x06, 0x00]).oid("x").is_err());
    }

    #[test]
    fn lengths_beyond_the_input_or_indefinite_are_malformed() {
        assert!(Der::new(&[0x30, 0x05, 0x00]).next("x").is_err());
        assert!(Der::new(&[0x30, 0x80, 0x00, 0x00]).next("x").is_err());
        assert!(Der::new(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff])
            .next("x")
            .is_err());
        assert!(Der::new(&[0x30]).next("x").is_err());
        assert!(Der::new(&[]).next("x").is_err());
        let (tag, contents) = Der::new(&[0x30, 0x81, 0x01, 0x07]).next("x").unwrap();
        assert_eq!((tag, contents), (0x30, &[0x07][..]));
    }

    #[test]
    fn integers_are_non_negative_and_saturate() {
        assert_eq!(Der::new(&[0x02, 0x02, 0x08, 0x00]).integer("x"), Ok(2048));
        assert_eq!(Der::new(&[0x02, 0x02, 0x00, 0x80]).integer("x"), Ok(128));
        assert!(Der::new(&[0x02, 0x01, 0x80]).integer("x").is_err());
        assert_eq!(
            Der::new(&[0x02, 0x0a, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0]).integer("x"),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn cbc_decrypts_the_nist_sp800_38a_vector() {
        // SP 800-38A F.2.2, CBC-AES128.Decrypt, first two blocks.
        let hex = |s: &str| {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect::<Vec<u8>>()
        };
        let key = hex("2b7e151628aed2a6abf7158809cf4f3c");
        let iv: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let mut data = hex("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2");
        cbc_decrypt(&Aes128::new(GenericArray::from_slice(&key)), &iv, &mut data);
        assert_eq!(
            data,
            hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
        );
    }
}
