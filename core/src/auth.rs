//! OAuth2 client credentials as Ed-Fi clients use them: reading a token request, client secrets
//! kept as salted hashes, and signed bearer tokens that the Worker checks without a storage hop.
//! Pure: keys, salts, random bytes and the time come from the caller.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::problem::Problem;
use crate::wire::answers::{OAuthErrorBody, CLIENT_CREDENTIALS, GRANT_TYPE};

/// How long a token lives unless configured otherwise (Ed-Fi's default).
pub const DEFAULT_TOKEN_SECONDS: i64 = 3600;
/// The longest an administrator's token lives: it can create and revoke clients, so a leaked one
/// should stop working sooner than a client's.
pub const MAX_ADMIN_TOKEN_SECONDS: i64 = 900;
/// A client key or secret longer than this is refused unread: ours are 20 and 43 characters, and
/// the bound keeps a hostile value from being hashed, looked up or remembered.
pub const MAX_CREDENTIAL_BYTES: usize = 256;

/// A client's key and secret, as presented to `/oauth/token`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

/// An OAuth2 error answer (RFC 6749 §5.2): `{"error": ..., "error_description": ...}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    fn invalid_request(description: impl Into<String>) -> Self {
        Self { status: 400, error: "invalid_request", description: description.into() }
    }

    /// Unknown client, wrong secret or revoked client: one answer for all, so the answer tells an
    /// attacker nothing.
    pub fn invalid_client() -> Self {
        Self { status: 401, error: "invalid_client", description: "Client authentication failed.".to_owned() }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let body =
            OAuthErrorBody { error: self.error.to_owned(), error_description: self.description.clone() };
        serde_json::to_vec(&body).expect("an OAuth error serializes")
    }
}

/// Reads a client-credentials token request: the grant type and credentials from a form or JSON
/// body, or the credentials from HTTP Basic (RFC 6749 §2.3.1).
pub fn parse_token_request(
    content_type: Option<&str>,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<Credentials, OAuthError> {
    let media = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let fields: Vec<(String, String)> = match media.as_str() {
        "application/json" => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(map)) => {
                map.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))).collect()
            }
            _ => return Err(OAuthError::invalid_request("The body is not a JSON object.")),
        },
        "application/x-www-form-urlencoded" | "" => {
            form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
        }
        _ => return Err(OAuthError::invalid_request("Send the token request as a form or as JSON.")),
    };
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    match field(GRANT_TYPE).as_deref() {
        Some(CLIENT_CREDENTIALS) => {}
        Some(_) => {
            return Err(OAuthError {
                status: 400,
                error: "unsupported_grant_type",
                description: "Only the client_credentials grant is supported.".to_owned(),
            })
        }
        None => return Err(OAuthError::invalid_request("grant_type is required.")),
    }
    let credentials = match authorization {
        Some(header) => basic_credentials(header).ok_or_else(OAuthError::invalid_client)?,
        None => match (field("client_id"), field("client_secret")) {
            (Some(client_id), Some(client_secret)) => Credentials { client_id, client_secret },
            _ => return Err(OAuthError::invalid_client()),
        },
    };
    if credentials.client_id.len() > MAX_CREDENTIAL_BYTES
        || credentials.client_secret.len() > MAX_CREDENTIAL_BYTES
    {
        return Err(OAuthError::invalid_request(format!(
            "client_id and client_secret must each be at most {MAX_CREDENTIAL_BYTES} bytes."
        )));
    }
    Ok(credentials)
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`.
fn basic_credentials(header: &str) -> Option<Credentials> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape =
        |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some(Credentials { client_id: unescape(id)?, client_secret: unescape(secret)? })
}

/// The salted hash a client secret is stored as: base64url(SHA-256(salt ‖ secret)). Secrets are
/// 256 random bits, so a fast hash is enough; the salt keeps equal secrets apart.
pub fn hash_secret(salt: &[u8], secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(secret.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Compares a presented secret with a stored hash in constant time.
pub fn verify_secret(salt: &[u8], secret: &str, stored_hash: &str) -> bool {
    hash_secret(salt, secret).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// Compares two strings in constant time (for the administrator's configured key). Both are
/// hashed first: comparing the bytes directly would end early on a length mismatch and so tell
/// how long the administrator's key is.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()).ct_eq(&Sha256::digest(b.as_bytes())).into()
}

/// An instance name: lower-case letters, digits and `-`, 1 to 63 characters, starting with a
/// letter or digit. It names a Durable Object and appears in logs, so it is kept plain.
pub fn is_instance_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A new client secret from 32 random bytes (255 of their bits). It always starts with a letter:
/// a secret starting with `-` would read as an option on a command line.
pub fn new_secret(mut random: [u8; 32]) -> String {
    random[0] &= 0x7f;
    URL_SAFE_NO_PAD.encode(random)
}

/// What a token grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The client key.
    #[serde(rename = "c")]
    pub client: String,
    /// The API instance whose data the token reaches; empty for the administrator.
    #[serde(rename = "i")]
    pub instance: String,
    #[serde(rename = "a", default)]
    pub admin: bool,
    /// The client's name, which history shows in place of its key.
    #[serde(rename = "n", default)]
    pub name: String,
    /// Unix seconds after which the token is refused.
    #[serde(rename = "e")]
    pub expires: i64,
    /// The client's claim set and scope; absent for full access (and in tokens made before
    /// claim sets existed, which had it).
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<crate::authorization::TokenScope>,
}

/// `base64url(claims JSON) "." base64url(HMAC-SHA256(key, first part))`.
pub fn sign_token(claims: &Claims, key: &[u8]) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let signature = URL_SAFE_NO_PAD.encode(mac(key, &payload).finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// Why a bearer token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

/// Checks a token's signature (in constant time) and expiry.
pub fn verify_token(token: &str, key: &[u8], now: i64) -> Result<Claims, TokenError> {
    let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
    mac(key, payload).verify_slice(&signature).map_err(|_| TokenError::BadSignature)?;
    let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if now >= claims.expires {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

fn mac(key: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(payload.as_bytes());
    mac
}

/// The token of an `Authorization: Bearer …` header; a 401 problem otherwise.
pub fn bearer_token(authorization: Option<&str>) -> Result<&str, Problem> {
    let header = authorization.ok_or_else(|| Problem::unauthorized("Authorization header is missing."))?;
    match header.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim())
        }
        _ => Err(Problem::unauthorized("Authorization header must use the Bearer scheme.")),
    }
}

/// Checks a request's bearer token: the claims, or a 401 problem.
pub fn authenticate(authorization: Option<&str>, key: &[u8], now: i64) -> Result<Claims, Problem> {
    let token = bearer_token(authorization)?;
    verify_token(token, key, now).map_err(|e| {
        Problem::unauthorized(match e {
            TokenError::Expired => "The access token has expired. Request a new one.",
            TokenError::Malformed | TokenError::BadSignature => "The access token is not valid.",
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test signing key";

    fn claims(expires: i64) -> Claims {
        Claims {
            client: "c1".into(),
            instance: "district-a".into(),
            admin: false,
            name: "SIS".into(),
            expires,
            scope: None,
        }
    }

    #[test]
    fn tokens_round_trip_and_expire() {
        let token = sign_token(&claims(100), KEY);
        assert_eq!(verify_token(&token, KEY, 99), Ok(claims(100)));
        assert_eq!(verify_token(&token, KEY, 100), Err(TokenError::Expired));
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused() {
        let token = sign_token(&claims(100), KEY);
        assert_eq!(verify_token(&token, b"another key", 0), Err(TokenError::BadSignature));
        let (payload, signature) = token.split_once('.').unwrap();
        let forged_claims = Claims { instance: "district-b".into(), ..claims(100) };
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_claims).unwrap());
        assert_eq!(
            verify_token(&format!("{forged_payload}.{signature}"), KEY, 0),
            Err(TokenError::BadSignature)
        );
        assert_eq!(verify_token(payload, KEY, 0), Err(TokenError::Malformed));
        assert_eq!(verify_token("", KEY, 0), Err(TokenError::Malformed));
        assert_eq!(verify_token("a.b.c", KEY, 0), Err(TokenError::Malformed));
    }

    #[test]
    fn secrets_are_salted_and_compared_exactly() {
        let (salt_a, salt_b) = ([1u8; 16], [2u8; 16]);
        let hash = hash_secret(&salt_a, "s3cret");
        assert_ne!(hash, hash_secret(&salt_b, "s3cret"), "same secret, different salt, different hash");
        assert!(!hash.contains("s3cret"));
        assert!(verify_secret(&salt_a, "s3cret", &hash));
        assert!(!verify_secret(&salt_a, "s3cret ", &hash));
        assert!(!verify_secret(&salt_b, "s3cret", &hash));
    }

    #[test]
    fn reads_token_requests_in_every_form_ed_fi_clients_send() {
        let expected = Credentials { client_id: "key".into(), client_secret: "sec:ret".into() };
        let basic = format!("Basic {}", STANDARD.encode("key:sec%3Aret"));
        let form = b"grant_type=client_credentials";
        assert_eq!(
            parse_token_request(Some("application/x-www-form-urlencoded"), Some(&basic), form),
            Ok(expected.clone())
        );
        let form = b"grant_type=client_credentials&client_id=key&client_secret=sec%3Aret";
        assert_eq!(
            parse_token_request(Some("application/x-www-form-urlencoded"), None, form),
            Ok(expected.clone())
        );
        let json = br#"{"grant_type":"client_credentials","client_id":"key","client_secret":"sec:ret"}"#;
        assert_eq!(parse_token_request(Some("application/json; charset=utf-8"), None, json), Ok(expected));
    }

    #[test]
    fn refuses_other_grants_and_missing_credentials() {
        let refused = |ct: Option<&str>, auth: Option<&str>, body: &[u8]| {
            parse_token_request(ct, auth, body).unwrap_err()
        };
        assert_eq!(refused(None, None, b"grant_type=password").error, "unsupported_grant_type");
        assert_eq!(refused(None, None, b"client_id=a&client_secret=b").error, "invalid_request");
        assert_eq!(refused(None, None, b"grant_type=client_credentials&client_id=a").status, 401);
        assert_eq!(refused(None, Some("Basic !!!"), b"grant_type=client_credentials").status, 401);
        assert_eq!(refused(None, Some("Bearer x"), b"grant_type=client_credentials").status, 401);
        assert_eq!(refused(Some("text/plain"), None, b"").status, 400);
        assert_eq!(refused(Some("application/json"), None, b"[]").status, 400);
    }

    #[test]
    fn refuses_overlong_credentials_in_every_form() {
        let long = "k".repeat(MAX_CREDENTIAL_BYTES + 1);
        let longest = "k".repeat(MAX_CREDENTIAL_BYTES);
        let form = |id: &str, secret: &str| {
            format!("grant_type=client_credentials&client_id={id}&client_secret={secret}").into_bytes()
        };
        let basic = |id: &str, secret: &str| format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        let grant = b"grant_type=client_credentials";
        for (id, secret) in [(long.as_str(), "s"), ("k", long.as_str())] {
            let refused = parse_token_request(None, None, &form(id, secret)).unwrap_err();
            assert_eq!((refused.status, refused.error), (400, "invalid_request"));
            let refused = parse_token_request(None, Some(&basic(id, secret)), grant).unwrap_err();
            assert_eq!((refused.status, refused.error), (400, "invalid_request"));
        }
        assert!(
            parse_token_request(None, None, &form(&longest, &longest)).is_ok(),
            "the bound itself is taken"
        );
        assert!(parse_token_request(None, Some(&basic(&longest, &longest)), grant).is_ok());
    }

    #[test]
    fn constant_time_eq_is_plain_equality() {
        assert!(constant_time_eq("admin-key", "admin-key"));
        for other in ["admin-ke", "admin-key ", "Admin-key", ""] {
            assert!(!constant_time_eq("admin-key", other), "{other:?}");
        }
    }

    #[test]
    fn secrets_start_with_a_letter() {
        for first in [0u8, 0x7f, 0xf8, 0xfc, 0xff] {
            let mut random = [0xffu8; 32];
            random[0] = first;
            let secret = new_secret(random);
            assert!(secret.starts_with(|c: char| c.is_ascii_alphabetic()), "{secret}");
            assert_eq!(secret.len(), 43);
        }
    }

    #[test]
    fn instance_names_are_plain() {
        for good in ["default", "district-a", "2026", "a"] {
            assert!(is_instance_name(good), "{good}");
        }
        for bad in ["", "-a", "A", "a b", "a/b", "a_b", &"a".repeat(64)] {
            assert!(!is_instance_name(bad), "{bad}");
        }
    }

    #[test]
    fn requests_need_a_valid_bearer_token() {
        let token = sign_token(&claims(100), KEY);
        assert_eq!(authenticate(Some(&format!("Bearer {token}")), KEY, 0), Ok(claims(100)));
        assert_eq!(authenticate(Some(&format!("bearer  {token} ")), KEY, 0), Ok(claims(100)));
        for header in [None, Some("Basic abc"), Some("Bearer"), Some("Bearer "), Some("Bearer x.y")] {
            assert_eq!(authenticate(header, KEY, 0).unwrap_err().status, 401, "{header:?}");
        }
        assert_eq!(authenticate(Some(&format!("Bearer {token}")), KEY, 100).unwrap_err().status, 401);
    }
}
