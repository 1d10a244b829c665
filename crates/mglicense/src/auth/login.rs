//! Talking to a login authority: the v2.0 token and device-code endpoints and the two managed
//! identity protocols, and turning their failures (AADSTS errors, HTML, silence) into errors
//! that say what went wrong and what to check. No secret or token ever goes into a message.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::secret::Secret;
use crate::error::Error;
use crate::transport::{read_capped, Login, MAX_BODY_BYTES};

/// A token fresh from an endpoint.
pub struct IssuedToken {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_on: SystemTime,
}

/// What an OAuth endpoint answered when it refused.
#[derive(Debug)]
pub struct LoginRefusal {
    pub status: u16,
    pub error: String,
    pub description: String,
    pub codes: Vec<u64>,
}

pub enum Answer {
    Token(IssuedToken),
    Refused(LoginRefusal),
    Json(Value),
}

/// What to check when an endpoint cannot be reached or misbehaves.
const LOGIN_HINT: &str = "Check -Environment (its AzureADEndpoint) and the network or proxy.";
const IDENTITY_HINT: &str = "-Identity needs a managed identity: run on an Azure VM, App Service, Functions or Automation with one assigned, \
     or set IDENTITY_ENDPOINT and IDENTITY_HEADER (or MGLICENSE_IMDS_ENDPOINT) to its endpoint.";

/// Form fields whose values are secrets: never shown, whatever an endpoint echoes back.
const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "client_assertion",
    "refresh_token",
    "device_code",
    "code",
    "code_verifier",
    "password",
];

/// POSTs a form to an OAuth endpoint. `expect_token` reads a token response; otherwise any
/// JSON object is handed back (device-code start). The secrets of the form are redacted from
/// whatever error or refusal the answer becomes.
pub async fn post_form(
    login: &Login<'_>,
    url: &str,
    form: &[(&str, &str)],
    expect_token: bool,
) -> Result<Answer, Error> {
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let body = zeroize::Zeroizing::new(body);
    let request = login
        .http
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(body.as_bytes().to_vec());
    let secrets: Vec<&str> = form
        .iter()
        .filter(|(k, _)| SECRET_FIELDS.contains(k))
        .map(|(_, v)| *v)
        .collect();
    let answer = exchange(request, url, login.timeout, LOGIN_HINT, expect_token).await;
    redact_answer(answer, &secrets)
}

/// GETs a managed identity endpoint. The values of `headers` named in `secret_headers` are
/// redacted from whatever error or refusal the answer becomes.
pub async fn get_token(
    login: &Login<'_>,
    url: &str,
    headers: &[(&str, &str)],
    secret_headers: &[&str],
) -> Result<Answer, Error> {
    let mut request = login.identity.get(url).header("Accept", "application/json");
    for (name, value) in headers {
        let mut v = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
            Error::invalid_argument(format!("The {name} header value is not valid in HTTP."))
        })?;
        v.set_sensitive(true);
        request = request.header(*name, v);
    }
    let secrets: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| secret_headers.iter().any(|s| s.eq_ignore_ascii_case(name)))
        .map(|(_, v)| *v)
        .collect();
    let answer = exchange(
        request,
        &strip_query(url),
        login.timeout,
        IDENTITY_HINT,
        true,
    )
    .await;
    redact_answer(answer, &secrets)
}

/// Removes `secrets`, sent with a token request, from every text the answer becomes that an
/// endpoint could have filled: an error's message, a refusal's error and description. A secret
/// is looked for as sent (a header), form-encoded (a form body echoed) and JSON-escaped.
fn redact_answer(answer: Result<Answer, Error>, secrets: &[&str]) -> Result<Answer, Error> {
    let forms: Vec<String> = secrets
        .iter()
        .filter(|s| !s.is_empty())
        .flat_map(|s| {
            let json = serde_json::to_string(s).unwrap_or_default();
            let json = json.trim_matches('"').to_string();
            [s.to_string(), urlencode(s), json]
        })
        .collect();
    let redact = |text: &mut String| {
        for secret in &forms {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), crate::trace::REDACTED);
            }
        }
    };
    match answer {
        Err(mut e) => {
            redact(&mut e.message);
            Err(e)
        }
        Ok(Answer::Refused(mut r)) => {
            redact(&mut r.error);
            redact(&mut r.description);
            Ok(Answer::Refused(r))
        }
        other => other,
    }
}

/// Sends a token request and reads its answer, all within `timeout` and up to
/// [`MAX_BODY_BYTES`]. `shown` is the endpoint as messages name it (no query).
async fn exchange(
    request: reqwest::RequestBuilder,
    shown: &str,
    timeout: Duration,
    hint: &str,
    expect_token: bool,
) -> Result<Answer, Error> {
    let work = async {
        let response = request
            .send()
            .await
            .map_err(|e| unreachable_endpoint(shown, e, hint))?;
        read_answer(response, shown, hint, expect_token).await
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| {
            Err(Error::timeout(format!(
                "The login endpoint {shown} did not answer completely within {} s. {hint}",
                timeout.as_secs_f64()
            )))
        })
}

async fn read_answer(
    response: reqwest::Response,
    url: &str,
    hint: &str,
    expect_token: bool,
) -> Result<Answer, Error> {
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        // Never followed: the request's secrets would go along to wherever it points.
        let target = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| response.url().join(l).ok())
            .map(|to| format!(" to {}://{}", to.scheme(), to.host_str().unwrap_or("")))
            .unwrap_or_default();
        return Err(Error::authentication_failed(format!(
            "The login endpoint {url} answered {status} with a redirect{target}. Sign-in requests are never redirected, \
             so nothing was sent there. {hint}"
        )));
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = read_capped(response, MAX_BODY_BYTES).await.map_err(|e| {
        Error::authentication_failed(format!(
            "The answer from {url} could not be read: {}.",
            crate::transport::error_chain(&e.without_url())
        ))
    })?;
    let bytes = zeroize::Zeroizing::new(body.bytes);
    if body.truncated {
        return Err(Error::authentication_failed(format!(
            "The login endpoint {url} answered {status} with more than {} MiB; no token response is that large, so it was not read further. {hint}",
            MAX_BODY_BYTES >> 20
        )));
    }
    let json: Option<Value> = serde_json::from_slice(&bytes).ok().filter(Value::is_object);
    let Some(json) = json else {
        let looks = if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
            "an HTML page"
        } else {
            "something that is not JSON"
        };
        return Err(Error::authentication_failed(format!(
            "The login endpoint {url} answered {status} with {looks} ({} bytes, Content-Type '{content_type}') instead of a token response. \
             Check that -Environment's AzureADEndpoint points at an Entra ID login authority, and that no proxy or captive portal answers in its place.",
            bytes.len()
        )));
    };
    let text = |k: &str| json.get(k).and_then(Value::as_str).map(str::to_string);
    if let Some(error) = text("error") {
        let description = text("error_description").unwrap_or_default();
        let codes = json
            .get("error_codes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        return Ok(Answer::Refused(LoginRefusal {
            status,
            error,
            description,
            codes,
        }));
    }
    if !(200..300).contains(&status) {
        return Err(Error::authentication_failed(format!(
            "The login endpoint {url} answered {status} without an OAuth error. Check the endpoint and try again."
        )));
    }
    if !expect_token {
        return Ok(Answer::Json(json));
    }
    let Some(access_token) = text("access_token").filter(|t| !t.is_empty()) else {
        return Err(Error::authentication_failed(format!(
            "The answer from {url} has no access_token."
        )));
    };
    let access_token = Secret::new(access_token);
    if !is_bearer_token(access_token.expose()) {
        return Err(Error::authentication_failed(format!(
            "The answer from {url} has an access_token of {} characters that is not a bearer token (only letters, digits and -._~+/ followed by '=' are); it was not used. {hint}",
            access_token.expose().chars().count()
        )));
    }
    let now = SystemTime::now();
    let refuse_lifetime = |what: String| {
        Error::authentication_failed(format!(
            "The answer from {url} gives {what}; a token lives between 1 second and {} days, so it was not used. {hint}",
            MAX_TOKEN_LIFETIME.as_secs() / 86_400
        ))
    };
    // Managed identity endpoints send numbers as strings (`"expires_in": "3599"`, as in
    // https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/how-to-use-vm-token).
    // Present but not a whole number is as wrong as out of bounds.
    let number = |k: &str| -> Option<Result<u64, String>> {
        let v = json.get(k).filter(|v| !v.is_null())?;
        let parsed = v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
        Some(parsed.ok_or_else(|| format!("{k} {}", shown_value(v))))
    };
    let expires_on = match (number("expires_in"), number("expires_on")) {
        (Some(Err(what)), _) | (None, Some(Err(what))) => return Err(refuse_lifetime(what)),
        (Some(Ok(secs)), _) => {
            if secs == 0 || secs > MAX_TOKEN_LIFETIME.as_secs() {
                return Err(refuse_lifetime(format!("expires_in {secs}")));
            }
            now + Duration::from_secs(secs)
        }
        (None, Some(Ok(at))) => {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(at);
            let left = at.duration_since(now).unwrap_or_default();
            if left.is_zero() || left > MAX_TOKEN_LIFETIME {
                return Err(refuse_lifetime(format!(
                    "expires_on {}",
                    crate::time::rfc3339(at)
                )));
            }
            at
        }
        (None, None) => now + Duration::from_secs(3600),
    };
    // A JWT says itself when it expires: one already expired is no token.
    if let Some(exp) =
        crate::credential::read_claims(access_token.expose()).and_then(|c| c.expires_on)
    {
        if exp <= now {
            return Err(Error::authentication_failed(format!(
                "The answer from {url} has an access token that expired at {}; it was not used. Check the clock of this machine and of the endpoint. {hint}",
                crate::time::rfc3339(exp)
            )));
        }
    }
    Ok(Answer::Token(IssuedToken {
        access_token,
        refresh_token: text("refresh_token").map(Secret::new),
        expires_on,
    }))
}

/// Longest lifetime a token answer may give: Entra ID's tokens live about an hour, managed
/// identities' and continuous access evaluation's at most about a day.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 86_400);

/// RFC 6750's b64token: what an access token sent as `Authorization: Bearer` may be made of.
/// JWTs and the opaque tokens of personal Microsoft accounts both are.
fn is_bearer_token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// A JSON value from an answer as a message may show it: short, and never a whole string.
fn shown_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{}'", s.chars().take(24).collect::<String>()),
        Value::Number(n) => n.to_string(),
        other => other.to_string().chars().take(24).collect(),
    }
}

/// An AADSTS refusal as an error that names the endpoint's reason and what to check.
pub fn refusal_error(r: &LoginRefusal, url: &str, client_id: &str, tenant: &str) -> Error {
    let first_line = r
        .description
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let has = |code: u64| r.codes.contains(&code) || first_line.contains(&format!("AADSTS{code}:"));
    let hint = if has(7000215) {
        format!("Check that the client secret for app '{client_id}' is the secret's value (not its ID) and was copied whole.")
    } else if has(7000222) {
        format!("The client secret of app '{client_id}' has expired: create a new one in Entra ID and connect with it.")
    } else if has(700016) {
        format!("Check -ClientId '{client_id}' and -TenantId '{tenant}': the app must be registered in, or consented to by, that tenant.")
    } else if has(90002) || has(900023) {
        format!("Check -TenantId '{tenant}' and -Environment: the tenant must exist in that cloud.")
    } else if r.codes.iter().any(|c| (700020..=700030).contains(c)) || has(700027) {
        format!("Check that the certificate is the one uploaded to app '{client_id}' and is still valid.")
    } else if r.error == "invalid_scope" {
        "Check -Scopes: each must be a permission of the environment's Graph.".to_string()
    } else {
        "Check -ClientId, -TenantId, -Environment and the credential.".to_string()
    };
    Error::authentication_failed(format!(
        "Sign-in failed at {url}: {}: {first_line} {hint}",
        r.error
    ))
}

fn unreachable_endpoint(url: &str, e: reqwest::Error, hint: &str) -> Error {
    // The endpoint is named once, without its query; reqwest's text would name it again.
    let message = crate::transport::error_chain(&e.without_url());
    Error::authentication_failed(format!(
        "No answer from the login endpoint {url} ({message}). {hint}"
    ))
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

/// Everything but RFC 3986's unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~").
const UNRESERVED_KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path segment or a form value. Unreserved characters stay as they are, so a
/// tenant such as `contoso.onmicrosoft.com` appears in the token URL (and in a client assertion's
/// `aud`, which must match that URL) exactly as Entra spells it.
pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED_KEPT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_field_of_a_form_is_redacted_from_a_refusal_and_an_error() {
        let assertion = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln+/=";
        let secrets = [assertion, "a\"b\\c"];
        for secret in secrets {
            let echoed = format!(
                "raw {secret} form {} json {}",
                urlencode(secret),
                serde_json::to_string(secret).unwrap()
            );
            let refusal = Answer::Refused(LoginRefusal {
                status: 400,
                error: secret.to_string(),
                description: echoed.clone(),
                codes: vec![],
            });
            let Ok(Answer::Refused(r)) = redact_answer(Ok(refusal), &[secret]) else {
                panic!("a refusal stays a refusal")
            };
            assert_eq!(r.error, "<redacted>");
            assert_eq!(
                r.description,
                "raw <redacted> form <redacted> json \"<redacted>\""
            );
            let Err(e) = redact_answer(Err(Error::authentication_failed(echoed)), &[secret]) else {
                panic!("an error stays an error")
            };
            assert!(!e.message.contains(secret), "{}", e.message);
        }
        // The form's secret fields, by name.
        for field in [
            "client_secret",
            "client_assertion",
            "refresh_token",
            "device_code",
            "code",
            "code_verifier",
        ] {
            assert!(SECRET_FIELDS.contains(&field), "{field}");
        }
    }

    #[test]
    fn urlencode_keeps_unreserved_characters_and_escapes_the_rest() {
        assert_eq!(
            urlencode("contoso.onmicrosoft.com"),
            "contoso.onmicrosoft.com"
        );
        assert_eq!(urlencode("a-b_c~d"), "a-b_c~d");
        assert_eq!(urlencode("a/b?c#d e&f=g"), "a%2Fb%3Fc%23d%20e%26f%3Dg");
        assert_eq!(urlencode("ü+"), "%C3%BC%2B");
    }
}
