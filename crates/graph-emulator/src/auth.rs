//! Access tokens: the emulator mints JWTs (admin API now, OAuth endpoints later) and checks them on every Graph call as Graph would.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The audience Graph accepts; the client reads nothing else from the token's aud.
pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// Graph's own application id, which v1 tokens may carry as aud instead of the URL.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// "Microsoft Graph Command Line Tools", the app Connect-MgGraph signs in with, so delegated tokens look familiar.
pub const DEFAULT_DELEGATED_APP_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";
/// A stable stand-in for a customer's daemon app registration.
pub const DEFAULT_APP_ID: &str = "8a3c1f0e-6d2b-4e7a-9b5c-0f1e2d3c4b5a";

type HmacSha256 = Hmac<Sha256>;

/// Entra ID's built-in directory roles the emulator knows by name, with their template ids (the ids `wids` carries).
pub const DIRECTORY_ROLES: &[(&str, &str)] = &[
    ("Global Administrator", GLOBAL_ADMINISTRATOR),
    ("User Administrator", USER_ADMINISTRATOR),
    ("License Administrator", LICENSE_ADMINISTRATOR),
    ("Directory Writers", DIRECTORY_WRITERS),
];
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
pub const LICENSE_ADMINISTRATOR: &str = "4d6ac14f-3453-41d0-bef9-a3e0c569773a";
pub const DIRECTORY_WRITERS: &str = "9360feb5-f418-4baa-8175-e2a00bac4301";

/// The roles that let a signed-in user reprocess license assignments, Global Administrator above them all
/// (<https://learn.microsoft.com/en-us/graph/api/user-reprocesslicenseassignment>, Permissions).
pub const REPROCESS_ROLES: &[&str] = &[
    GLOBAL_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    LICENSE_ADMINISTRATOR,
    DIRECTORY_WRITERS,
];

/// A role as a seed names it: a known display name (any case) or a template id (any GUID, so custom roles fit), as a lower-case template id.
pub fn directory_role_template_id(name_or_id: &str) -> Option<String> {
    let name = name_or_id.trim();
    if let Some((_, id)) = DIRECTORY_ROLES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    {
        return Some((*id).to_owned());
    }
    uuid::Uuid::parse_str(name)
        .ok()
        .map(|id| id.hyphenated().to_string())
}

/// The claims MgLicense reads (exp, scp, roles) and those a real Entra ID v1 token for Graph carries around them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub appid: String,
    pub app_displayname: String,
    pub appidacr: String,
    pub idtyp: String,
    pub oid: String,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The signed-in user's directory role template ids, as Entra puts them in delegated tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wids: Option<Vec<String>>,
}

/// Who a delegated token signs in.
#[derive(Debug, Clone)]
pub struct SignedInUser {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: Option<String>,
    /// Directory role template ids, lower case.
    pub directory_roles: Vec<String>,
}

/// Everything needed to mint a token; the admin API and (later) the OAuth endpoints both fill this in.
#[derive(Debug, Clone)]
pub struct Grant {
    pub app_id: Option<String>,
    pub tenant_id: String,
    pub audience: Option<String>,
    /// Graph permissions, already normalised (no resource prefix, no `.default`).
    pub permissions: Vec<String>,
    /// `Some` makes a delegated token (permissions go to `scp`); `None` an app-only one (`roles`).
    pub user: Option<SignedInUser>,
    /// Seconds from now; zero or negative mints an already-expired token for tests.
    pub expires_in: i64,
}

impl Claims {
    pub fn from_grant(grant: &Grant, now: i64) -> Claims {
        let delegated = grant.user.is_some();
        let appid = grant.app_id.clone().unwrap_or_else(|| {
            if delegated {
                DEFAULT_DELEGATED_APP_ID
            } else {
                DEFAULT_APP_ID
            }
            .to_owned()
        });
        let exp = now + grant.expires_in;
        // An expired token still has to look issued in the past, with a normal one-hour lifetime.
        let iat = if grant.expires_in > 0 {
            now
        } else {
            exp - 3600
        };
        let (oid, scp, roles, upn, name) = match &grant.user {
            Some(user) => (
                user.id.clone(),
                Some(grant.permissions.join(" ")),
                None,
                Some(user.user_principal_name.clone()),
                user.display_name.clone(),
            ),
            // A service principal's object id is stable per app, so derive it rather than invent one per token.
            None => (
                stable_guid(&format!("sp:{}:{appid}", grant.tenant_id)),
                None,
                Some(grant.permissions.clone()),
                None,
                None,
            ),
        };
        Claims {
            aud: grant
                .audience
                .clone()
                .unwrap_or_else(|| GRAPH_AUDIENCE.to_owned()),
            iss: format!("https://sts.windows.net/{}/", grant.tenant_id),
            iat,
            nbf: iat,
            exp,
            app_displayname: if delegated {
                "Microsoft Graph Command Line Tools"
            } else {
                "MgLicense emulator app"
            }
            .to_owned(),
            appid,
            appidacr: if delegated { "0" } else { "1" }.to_owned(),
            idtyp: if delegated { "user" } else { "app" }.to_owned(),
            sub: oid.clone(),
            oid,
            tid: grant.tenant_id.clone(),
            uti: base64::encode_config(rand::random::<[u8; 16]>(), base64::URL_SAFE_NO_PAD),
            ver: "1.0".to_owned(),
            scp,
            roles,
            unique_name: upn.clone(),
            upn,
            name,
            wids: grant.user.as_ref().map(|u| u.directory_roles.clone()),
        }
    }

    pub fn is_delegated(&self) -> bool {
        self.scp.is_some()
    }

    /// The Graph permissions the token grants: `scp` for delegated tokens, `roles` for app-only ones.
    pub fn permissions(&self) -> Vec<&str> {
        match (&self.scp, &self.roles) {
            (Some(scp), _) => scp.split_whitespace().collect(),
            (None, Some(roles)) => roles.iter().map(String::as_str).collect(),
            (None, None) => Vec::new(),
        }
    }

    /// Whether the signed-in user holds one of these directory roles (template ids); app-only tokens hold none.
    pub fn has_directory_role(&self, wanted: &[&str]) -> bool {
        self.wids
            .iter()
            .flatten()
            .any(|id| wanted.iter().any(|w| id.trim().eq_ignore_ascii_case(w)))
    }

    /// Permission names compare without case, as Entra ID treats them.
    pub fn has_any(&self, wanted: &[&str]) -> bool {
        self.permissions()
            .iter()
            .any(|p| wanted.iter().any(|w| p.eq_ignore_ascii_case(w)))
    }
}

/// Reduces `https://graph.microsoft.com/User.ReadWrite.All` to `User.ReadWrite.All` and drops `.default`, as Entra ID does.
pub fn normalize_permission(requested: &str) -> Option<String> {
    let name = requested.trim().rsplit('/').next().unwrap_or_default();
    if name.is_empty() || name.eq_ignore_ascii_case(".default") {
        None
    } else {
        Some(name.to_owned())
    }
}

/// Why a token was refused; each maps to the message Graph puts in its 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Empty,
    NoDots,
    OneDot,
    Invalid,
    WrongAudience,
    Expired,
}

impl TokenError {
    pub fn message(&self) -> &'static str {
        match self {
            TokenError::Empty => "Access token is empty.",
            TokenError::NoDots => "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.",
            TokenError::OneDot => "IDX14120: JWT is not well formed, there is only one dot (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.",
            TokenError::Invalid => "Access token validation failure.",
            TokenError::WrongAudience => "Access token validation failure. Invalid audience.",
            TokenError::Expired => "Access token has expired or is not yet valid.",
        }
    }
}

/// Signs with a key that lives only as long as this emulator, so tokens from another run are refused like foreign ones.
pub struct TokenIssuer {
    key: [u8; 32],
}

impl Default for TokenIssuer {
    fn default() -> Self {
        TokenIssuer {
            key: rand::random(),
        }
    }
}

impl TokenIssuer {
    /// HS256: real Graph tokens are RS256, but clients never verify them, and HMAC needs no key material on disk.
    pub fn mint(&self, claims: &Claims) -> String {
        let header = serde_json::json!({ "typ": "JWT", "alg": "HS256", "kid": "graph-emulator" });
        let signing_input = format!(
            "{}.{}",
            b64(&serde_json::to_vec(&header).expect("header serializes")),
            b64(&serde_json::to_vec(claims).expect("claims serialize"))
        );
        let signature = self.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", b64(&signature))
    }

    /// Checks an `Authorization` header value the way Graph does, at time `now` (Unix seconds, no clock skew allowed).
    pub fn validate(&self, authorization: Option<&str>, now: i64) -> Result<Claims, TokenError> {
        let token = bearer_token(authorization).ok_or(TokenError::Empty)?;
        match token.matches('.').count() {
            0 => return Err(TokenError::NoDots),
            1 => return Err(TokenError::OneDot),
            2 => {}
            _ => return Err(TokenError::Invalid),
        }
        let (signing_input, signature) = token.rsplit_once('.').ok_or(TokenError::Invalid)?;
        let signature = unb64(signature).ok_or(TokenError::Invalid)?;
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(signing_input.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Invalid)?;
        let payload = signing_input.split('.').nth(1).ok_or(TokenError::Invalid)?;
        let claims: Claims = serde_json::from_slice(&unb64(payload).ok_or(TokenError::Invalid)?)
            .map_err(|_| TokenError::Invalid)?;
        let aud = claims.aud.trim_end_matches('/');
        if aud != GRAPH_AUDIENCE && aud != GRAPH_APP_ID {
            return Err(TokenError::WrongAudience);
        }
        if now < claims.nbf || now >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    fn sign(&self, input: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(input);
        mac.finalize().into_bytes().to_vec()
    }
}

fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn b64(bytes: &[u8]) -> String {
    base64::encode_config(bytes, base64::URL_SAFE_NO_PAD)
}

fn unb64(text: &str) -> Option<Vec<u8>> {
    base64::decode_config(text, base64::URL_SAFE_NO_PAD).ok()
}

fn stable_guid(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(user: Option<SignedInUser>, expires_in: i64) -> Grant {
        Grant {
            app_id: None,
            tenant_id: "tid".into(),
            audience: None,
            permissions: vec!["User.ReadWrite.All".into()],
            user,
            expires_in,
        }
    }

    #[test]
    fn app_token_round_trips_with_roles() {
        let issuer = TokenIssuer::default();
        let token = issuer.mint(&Claims::from_grant(&grant(None, 3600), 1_000));
        assert_eq!(token.split('.').count(), 3);
        let claims = issuer
            .validate(Some(&format!("Bearer {token}")), 1_001)
            .unwrap();
        assert_eq!(
            claims.roles.as_deref(),
            Some(&["User.ReadWrite.All".to_owned()][..])
        );
        assert!(!claims.is_delegated());
        assert_eq!(claims.exp, 4_600);
        assert!(claims.has_any(&["user.readwrite.all"]));
        assert_eq!(
            issuer.validate(Some(&format!("bearer {token}")), 4_600),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn delegated_token_carries_scp_and_upn() {
        let user = SignedInUser {
            id: "oid-1".into(),
            user_principal_name: "a@b.c".into(),
            display_name: None,
            directory_roles: vec![LICENSE_ADMINISTRATOR.into()],
        };
        let claims = Claims::from_grant(&grant(Some(user), 60), 0);
        assert_eq!(claims.scp.as_deref(), Some("User.ReadWrite.All"));
        assert_eq!(
            claims.wids.as_deref(),
            Some(&[LICENSE_ADMINISTRATOR.to_owned()][..])
        );
        assert!(claims.has_directory_role(REPROCESS_ROLES));
        assert!(!claims.has_directory_role(&[GLOBAL_ADMINISTRATOR]));
        assert_eq!(claims.upn.as_deref(), Some("a@b.c"));
        assert_eq!(claims.oid, "oid-1");
        assert_eq!(claims.appid, DEFAULT_DELEGATED_APP_ID);
    }

    #[test]
    fn refuses_malformed_foreign_and_tampered_tokens() {
        let issuer = TokenIssuer::default();
        let token = issuer.mint(&Claims::from_grant(&grant(None, 3600), 0));
        assert_eq!(issuer.validate(None, 1), Err(TokenError::Empty));
        assert_eq!(issuer.validate(Some("Bearer "), 1), Err(TokenError::Empty));
        assert_eq!(
            issuer.validate(Some("Basic abc"), 1),
            Err(TokenError::Empty)
        );
        assert_eq!(
            issuer.validate(Some("Bearer abc"), 1),
            Err(TokenError::NoDots)
        );
        assert_eq!(
            issuer.validate(Some("Bearer a.b"), 1),
            Err(TokenError::OneDot)
        );
        assert_eq!(
            issuer.validate(Some(&format!("Bearer {token}x")), 1),
            Err(TokenError::Invalid)
        );
        let other = TokenIssuer::default();
        assert_eq!(
            other.validate(Some(&format!("Bearer {token}")), 1),
            Err(TokenError::Invalid)
        );
        let mut wrong_aud = grant(None, 3600);
        wrong_aud.audience = Some("https://graph.microsoft.us".into());
        let token = issuer.mint(&Claims::from_grant(&wrong_aud, 0));
        assert_eq!(
            issuer.validate(Some(&format!("Bearer {token}")), 1),
            Err(TokenError::WrongAudience)
        );
    }

    #[test]
    fn expired_grant_is_already_expired() {
        let claims = Claims::from_grant(&grant(None, -10), 1_000_000);
        assert_eq!(claims.exp, 999_990);
        assert!(claims.iat < claims.exp);
    }

    #[test]
    fn app_tokens_carry_no_directory_roles() {
        let claims = Claims::from_grant(&grant(None, 60), 0);
        assert_eq!(claims.wids, None);
        assert!(!claims.has_directory_role(REPROCESS_ROLES));
    }

    #[test]
    fn names_directory_roles_by_display_name_or_template_id() {
        assert_eq!(
            directory_role_template_id("license administrator").as_deref(),
            Some(LICENSE_ADMINISTRATOR)
        );
        assert_eq!(
            directory_role_template_id("62E90394-69F5-4237-9190-012177145E10").as_deref(),
            Some(GLOBAL_ADMINISTRATOR)
        );
        assert_eq!(directory_role_template_id("Billing Admin"), None);
    }

    #[test]
    fn normalizes_requested_permissions() {
        assert_eq!(
            normalize_permission("https://graph.microsoft.com/User.ReadWrite.All").as_deref(),
            Some("User.ReadWrite.All")
        );
        assert_eq!(
            normalize_permission("https://graph.microsoft.com/.default"),
            None
        );
        assert_eq!(
            normalize_permission(" Directory.ReadWrite.All ").as_deref(),
            Some("Directory.ReadWrite.All")
        );
    }
}
