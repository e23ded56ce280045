//! Safe retries with `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header), as the HTTP
//! contract's "Safe retries" part specifies: per client and key, the request's fingerprint and its
//! first answer are remembered for a window, and the same request with the same key is answered
//! that first answer again, writing nothing.
//!
//! The admin app sends keys with [`IdempotencyKey::header_value`], so the wire form has one
//! definition.

use sha2::{Digest, Sha256};

use crate::http::{Response, PROBLEM_JSON};
use crate::problem::Problem;

/// The request header that names a retryable write.
pub const HEADER: &str = "Idempotency-Key";
/// The response header that marks a replayed first answer, and its value.
pub const REPLAYED_HEADER: &str = "Idempotency-Replayed";
pub const REPLAYED_VALUE: &str = "true";
/// The longest key, in characters.
pub const MAX_KEY_CHARS: usize = 255;
/// How long a key is remembered when `IDEMPOTENCY_WINDOW_HOURS` is not set.
pub const DEFAULT_WINDOW_SECONDS: i64 = 24 * 3600;

/// A validated key: 1–255 printable ASCII characters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A key from its characters (not its header form).
    pub fn new(key: impl Into<String>) -> Result<Self, String> {
        let key = key.into();
        if key.is_empty() {
            return Err("the key is empty".to_owned());
        }
        if key.chars().count() > MAX_KEY_CHARS {
            return Err(format!("the key is longer than {MAX_KEY_CHARS} characters"));
        }
        if let Some(c) = key.chars().find(|c| !(' '..='~').contains(c)) {
            return Err(format!("the key contains {c:?}, which is not a printable ASCII character"));
        }
        Ok(Self(key))
    }

    /// Parses a header value: a structured-field string (`"abc"`, RFC 8941 §3.3.3, with `\"` and
    /// `\\` escapes) or, because clients send them, an unquoted token (`abc`, `8e03978e-40d5`).
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim_matches([' ', '\t']);
        let Some(quoted) = value.strip_prefix('"') else {
            let is_token_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~:/".contains(c);
            if let Some(c) = value.chars().find(|c| !is_token_char(*c)) {
                return Err(format!("an unquoted key may not contain {c:?}; send it as a quoted string"));
            }
            return Self::new(value);
        };
        let mut key = String::new();
        let mut chars = quoted.chars();
        loop {
            match chars.next() {
                None => return Err("the quoted key has no closing '\"'".to_owned()),
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some(c @ ('"' | '\\')) => key.push(c),
                    _ => return Err("a '\\' in a quoted key may only escape '\"' or '\\'".to_owned()),
                },
                Some(c) => key.push(c),
            }
        }
        if !chars.as_str().is_empty() {
            return Err("nothing may follow the quoted key (one key per request)".to_owned());
        }
        Self::new(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The header form: a structured-field string.
    pub fn header_value(&self) -> String {
        let mut value = String::with_capacity(self.0.len() + 2);
        value.push('"');
        for c in self.0.chars() {
            if matches!(c, '"' | '\\') {
                value.push('\\');
            }
            value.push(c);
        }
        value.push('"');
        value
    }

    /// The key of a request's header value, `None` without one; a malformed one is a 400.
    pub fn from_header(value: Option<&str>) -> Result<Option<Self>, Problem> {
        value
            .map(|v| {
                Self::parse(v).map_err(|e| {
                    Problem::bad_request(format!(
                        "The '{HEADER}' header is malformed: {e}. Send 1 to {MAX_KEY_CHARS} printable characters as a quoted string, e.g. {HEADER}: \"8e03978e-40d5-43e8-bc93-6894a57f9324\"."
                    ))
                })
            })
            .transpose()
    }
}

/// What identifies a request for its key: method, path and the SHA-256 of the body, hex.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update([0]);
    hash.update(path.as_bytes());
    hash.update([0]);
    hash.update(Sha256::digest(body));
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A first answer, remembered for replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remembered {
    pub fingerprint: String,
    pub status: u16,
    pub etag: Option<String>,
    pub location: Option<String>,
    /// The problem body of an error answer; empty for a success.
    pub body: Vec<u8>,
    /// Unix seconds when it was first answered.
    pub created: i64,
}

impl Remembered {
    /// What to remember of `response`, the first answer to a request with `fingerprint`.
    pub fn of(response: &Response, fingerprint: String, now: i64) -> Self {
        Self {
            fingerprint,
            status: response.status,
            etag: response.header("ETag").map(str::to_owned),
            location: response.header("Location").map(str::to_owned),
            body: response.body.clone(),
            created: now,
        }
    }

    /// Whether the window still holds it at `now`.
    pub fn is_live(&self, now: i64, window_seconds: i64) -> bool {
        now - self.created < window_seconds
    }

    /// The first answer again, marked as a replay.
    pub fn replay(&self) -> Response {
        let mut response =
            Response { status: self.status, body: self.body.clone(), ..Response::empty(self.status) };
        if !self.body.is_empty() {
            response.headers.push(("Content-Type", PROBLEM_JSON.to_owned()));
        }
        if let Some(location) = &self.location {
            response.headers.push(("Location", location.clone()));
        }
        if let Some(etag) = &self.etag {
            response.headers.push(("ETag", etag.clone()));
        }
        response.headers.push((REPLAYED_HEADER, REPLAYED_VALUE.to_owned()));
        response
    }
}

/// Reads `IDEMPOTENCY_WINDOW_HOURS`: a positive number of hours (fractions allowed), in seconds.
pub fn window_seconds(hours: Option<&str>) -> Result<i64, String> {
    match hours.map(str::trim) {
        None | Some("") => Ok(DEFAULT_WINDOW_SECONDS),
        Some(text) => text
            .parse::<f64>()
            .ok()
            .filter(|h| h.is_finite() && *h > 0.0 && *h <= 24.0 * 365.0 * 100.0)
            .map(|h| ((h * 3600.0).ceil() as i64).max(1))
            .ok_or_else(|| {
                format!("IDEMPOTENCY_WINDOW_HOURS must be a positive number of hours, not {text:?}")
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_forms() {
        // (header value, the key it names; None: malformed)
        let table: &[(&str, Option<&str>)] = &[
            (r#""abc""#, Some("abc")),
            (r#""8e03978e-40d5-43e8-bc93-6894a57f9324""#, Some("8e03978e-40d5-43e8-bc93-6894a57f9324")),
            ("8e03978e-40d5-43e8-bc93-6894a57f9324", Some("8e03978e-40d5-43e8-bc93-6894a57f9324")),
            (r#"  "with spaces inside"  "#, Some("with spaces inside")),
            (r#""quote \" and backslash \\""#, Some(r#"quote " and backslash \"#)),
            ("token:with/colon", Some("token:with/colon")),
            ("", None),
            (r#""""#, None),
            (r#""unterminated"#, None),
            (r#""a", "b""#, None),
            (r#""a";p=1"#, None),
            (r#""bad \n escape""#, None),
            ("two words", None),
            ("\"tab\tinside\"", None),
            ("\"caf\u{e9}\"", None),
        ];
        for (value, want) in table {
            let got = IdempotencyKey::parse(value).ok();
            assert_eq!(got.as_ref().map(IdempotencyKey::as_str), *want, "{value:?}");
        }
    }

    #[test]
    fn length_limit_is_255_characters() {
        assert!(IdempotencyKey::new("k".repeat(255)).is_ok());
        assert!(IdempotencyKey::new("k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse(&format!("\"{}\"", "k".repeat(256))).is_err());
    }

    #[test]
    fn header_value_round_trips() {
        for key in ["abc", r#"a"b\c"#, " leading space", "~!@#$%^&*()"] {
            let key = IdempotencyKey::new(key).unwrap();
            assert_eq!(IdempotencyKey::parse(&key.header_value()).unwrap(), key);
        }
    }

    #[test]
    fn a_malformed_header_is_a_bad_request() {
        let problem = IdempotencyKey::from_header(Some("\"open")).unwrap_err();
        assert_eq!((problem.status, problem.kind.as_str()), (400, crate::problem::TYPE_BAD_REQUEST));
        assert_eq!(IdempotencyKey::from_header(None).unwrap(), None);
    }

    #[test]
    fn fingerprints_tell_method_path_and_body_apart() {
        let base = fingerprint("PUT", "/data/v3/ed-fi/students/1", b"{}");
        assert_eq!(base, fingerprint("PUT", "/data/v3/ed-fi/students/1", b"{}"));
        assert_ne!(base, fingerprint("POST", "/data/v3/ed-fi/students/1", b"{}"));
        assert_ne!(base, fingerprint("PUT", "/data/v3/ed-fi/students/2", b"{}"));
        assert_ne!(base, fingerprint("PUT", "/data/v3/ed-fi/students/1", b"{ }"));
        // The separator keeps a path's end from being read as the body's start.
        assert_ne!(fingerprint("PUT", "/a", b"b"), fingerprint("PUT", "/ab", b""));
    }

    #[test]
    fn windows() {
        assert_eq!(window_seconds(None), Ok(DEFAULT_WINDOW_SECONDS));
        assert_eq!(window_seconds(Some("")), Ok(DEFAULT_WINDOW_SECONDS));
        assert_eq!(window_seconds(Some("1")), Ok(3600));
        assert_eq!(window_seconds(Some("0.001")), Ok(4), "3.6 s rounds up");
        for bad in ["0", "-1", "soon", "NaN", "inf"] {
            assert!(window_seconds(Some(bad)).is_err(), "{bad}");
        }
        let remembered = Remembered {
            fingerprint: String::new(),
            status: 204,
            etag: None,
            location: None,
            body: Vec::new(),
            created: 100,
        };
        assert!(remembered.is_live(100 + 3599, 3600));
        assert!(!remembered.is_live(100 + 3600, 3600));
    }
}
