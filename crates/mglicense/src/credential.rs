//! Credentials: where the bearer token for a request comes from.
//!
//! For now an access token supplied by the user (Connect-MgGraph -AccessToken). It is used as
//! given and never refreshed; its expiry and granted permissions are read from the JWT so the
//! context can show them and an expired token gives a clear error before anything is sent.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::auth::secret::Secret;
use crate::error::Error;

/// A token the user handed over, held in a [`Secret`] so it is wiped when the connection ends.
#[derive(Clone)]
pub struct AccessTokenCredential {
    token: Secret,
    claims: TokenClaims,
}

/// What the front end may show about a token; never the token itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenClaims {
    pub expires_on: Option<SystemTime>,
    pub scopes: Vec<String>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub account: Option<String>,
    pub app_name: Option<String>,
}

impl fmt::Debug for AccessTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret: it must never reach a log through Debug.
        f.debug_struct("AccessTokenCredential")
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl AccessTokenCredential {
    /// Accepts a token as given. A JWT has its claims read; an opaque token is accepted with
    /// no claims, as Graph's own clients do.
    pub fn new(token: &str) -> Result<Self, Error> {
        let token = token.trim();
        if token.is_empty() {
            return Err(Error::invalid_argument("The access token is empty."));
        }
        if token
            .bytes()
            .any(|b| b.is_ascii_control() || b == b' ' || !b.is_ascii())
        {
            return Err(Error::invalid_argument(
                "The access token contains spaces, control characters or non-ASCII characters; pass the token alone, without 'Bearer '.",
            ));
        }
        let claims = read_claims(token).unwrap_or_default();
        let credential = AccessTokenCredential {
            token: Secret::new(token),
            claims,
        };
        credential.check_not_expired()?;
        Ok(credential)
    }

    pub fn claims(&self) -> &TokenClaims {
        &self.claims
    }

    /// The token for an `Authorization: Bearer` header, if it is still valid.
    pub fn bearer(&self) -> Result<&str, Error> {
        self.check_not_expired()?;
        Ok(self.token.expose())
    }

    fn check_not_expired(&self) -> Result<(), Error> {
        if let Some(exp) = self.claims.expires_on {
            if exp <= SystemTime::now() {
                return Err(Error::authentication_failed(format!(
                    "The access token expired at {}. A token given with -AccessToken is never renewed: get a new one and call Connect-MgGraph again.",
                    httpdate::fmt_http_date(exp)
                )));
            }
        }
        Ok(())
    }
}

/// Reads the payload of a JWT (`header.payload.signature`) without verifying it: the client
/// only needs to know when to stop using the token; Graph verifies it.
pub(crate) fn read_claims(token: &str) -> Option<TokenClaims> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes =
        base64::decode_config(payload.trim_end_matches('='), base64::URL_SAFE_NO_PAD).ok()?;
    let json: Value = serde_json::from_slice(&bytes).ok()?;
    let text = |k: &str| json.get(k).and_then(Value::as_str).map(str::to_string);
    let mut scopes: Vec<String> = text("scp")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(roles) = json.get("roles").and_then(Value::as_array) {
        scopes.extend(roles.iter().filter_map(Value::as_str).map(str::to_string));
    }
    Some(TokenClaims {
        expires_on: json
            .get("exp")
            .and_then(Value::as_u64)
            .map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        scopes,
        tenant_id: text("tid"),
        client_id: text("appid").or_else(|| text("azp")),
        account: text("upn").or_else(|| text("unique_name")),
        app_name: text("app_displayname"),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn jwt(payload: &Value) -> String {
        let enc = |v: &[u8]| base64::encode_config(v, base64::URL_SAFE_NO_PAD);
        format!(
            "{}.{}.{}",
            enc(br#"{"alg":"none","typ":"JWT"}"#),
            enc(payload.to_string().as_bytes()),
            enc(b"sig")
        )
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn reads_expiry_scopes_and_tenant_from_a_jwt() {
        let t = jwt(
            &serde_json::json!({"exp": now() + 3600, "scp": "User.Read User.ReadWrite.All", "roles": ["Directory.ReadWrite.All"], "tid": "t1", "appid": "a1", "upn": "admin@contoso.com"}),
        );
        let c = AccessTokenCredential::new(&t).unwrap();
        assert_eq!(
            c.claims().scopes,
            ["User.Read", "User.ReadWrite.All", "Directory.ReadWrite.All"]
        );
        assert_eq!(c.claims().tenant_id.as_deref(), Some("t1"));
        assert_eq!(c.claims().client_id.as_deref(), Some("a1"));
        assert_eq!(c.claims().account.as_deref(), Some("admin@contoso.com"));
        assert_eq!(c.bearer().unwrap(), t);
    }

    #[test]
    fn an_expired_token_is_refused_with_a_clear_error() {
        let t = jwt(&serde_json::json!({"exp": now() - 10}));
        let e = AccessTokenCredential::new(&t).unwrap_err();
        assert!(e.message.contains("expired"), "{}", e.message);
        assert!(!e.message.contains(&t));
    }

    #[test]
    fn opaque_tokens_are_accepted_and_bad_ones_refused() {
        assert!(AccessTokenCredential::new("opaque-token-value").is_ok());
        assert!(AccessTokenCredential::new("  ").is_err());
        assert!(AccessTokenCredential::new("Bearer abc").is_err());
        assert!(AccessTokenCredential::new("abc\r\nX-Evil: 1").is_err());
    }

    #[test]
    fn the_token_is_held_in_a_zeroing_secret() {
        let c = AccessTokenCredential::new("  opaque-token-value ").unwrap();
        let held: &Secret = &c.token;
        assert_eq!(held.expose(), "opaque-token-value");
        assert_eq!(format!("{held:?}"), "<redacted>");
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let c = AccessTokenCredential::new("super-secret-token").unwrap();
        assert!(!format!("{c:?}").contains("super-secret"));
    }
}
