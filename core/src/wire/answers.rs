//! The bodies of the API's answers, as the server writes them and as a client reads them: error
//! answers (Ed-Fi problem details, OAuth errors), tokens, the metadata index and item history.
//! Each shape is one serde type here (or [`Problem`] itself), so its member names are written once.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::problem::{lenient, Problem, ValidationErrors};

// ---------------------------------------------------------------------------------------- errors

/// The body of an OAuth error answer (RFC 6749 §5.2), which `/oauth/token` gives.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthErrorBody {
    #[serde(default, deserialize_with = "lenient::text")]
    pub error: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub error_description: String,
}

/// Where older ODS/API versions put an error's explanation (`{"message": "…"}`).
const ODS_MESSAGE: &str = "message";
/// Plain text longer than this is not shown as an explanation (it is a page, not a message).
const PLAIN_TEXT_MAX: usize = 200;

/// What a client makes of an error answer's body, whatever the API: Ed-Fi problem details, an
/// OAuth error, an older ODS/API's message, short plain text, or nothing usable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorAnswer {
    /// The explanation: the problem's `detail`, else its `title`, else the OAuth
    /// `error_description`, an ODS/API `message` or the OAuth `error`, else short plain text.
    pub detail: Option<String>,
    /// The problem's `type` URI; empty without one.
    pub kind: String,
    pub errors: Vec<String>,
    pub validation_errors: ValidationErrors,
    /// The body was a JSON object.
    pub structured: bool,
}

impl ErrorAnswer {
    pub fn read(text: &str) -> ErrorAnswer {
        let body = match serde_json::from_str::<Value>(text) {
            Ok(body @ Value::Object(_)) => body,
            _ => {
                let text = text.trim();
                let plain = !text.is_empty() && text.len() <= PLAIN_TEXT_MAX && !text.starts_with('<');
                return ErrorAnswer { detail: plain.then(|| text.to_owned()), ..ErrorAnswer::default() };
            }
        };
        // Every member is read leniently, so an object never fails to read.
        let problem = Problem::deserialize(&body).unwrap_or_default();
        let oauth = OAuthErrorBody::deserialize(&body).unwrap_or_default();
        let message = body.get(ODS_MESSAGE).and_then(Value::as_str).unwrap_or_default();
        let detail = [&problem.detail, &problem.title, &oauth.error_description, message, &oauth.error]
            .into_iter()
            .map(|text| text.trim())
            .find(|text| !text.is_empty())
            .map(str::to_owned);
        ErrorAnswer {
            detail,
            kind: problem.kind,
            errors: problem.errors,
            validation_errors: problem.validation_errors,
            structured: true,
        }
    }
}

// ---------------------------------------------------------------------------------------- tokens

/// The form member of a token request that names its grant, and the one grant there is.
pub const GRANT_TYPE: &str = "grant_type";
pub const CLIENT_CREDENTIALS: &str = "client_credentials";
pub const TOKEN_TYPE: &str = "bearer";

/// The longest lifetime a token answer is taken to give (a year): past it, as good as forever,
/// and an `expires_in` of 1e300 stays a number of seconds a clock can add.
pub const LONGEST_TOKEN_SECONDS: u64 = 365 * 24 * 3600;

/// A granted token (RFC 6749 §5.1), as the server writes it and [`TokenAnswer::read`] reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenAnswer {
    pub access_token: String,
    /// Seconds the token lives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    pub token_type: String,
}

impl TokenAnswer {
    /// Reads a token answer's JSON, or says what is wrong with it (as the end of a sentence
    /// beginning "The token answer …"). The token must be a non-empty string of visible ASCII
    /// (RFC 6750's `b64token`, so it can be sent in a header), `token_type` bearer (any case) or
    /// absent, `expires_in` absent, null, or a finite non-negative number of seconds (or a
    /// string of one), fractions dropped, at most [`LONGEST_TOKEN_SECONDS`].
    pub fn read(answer: &Value) -> Result<TokenAnswer, String> {
        let Value::Object(answer) = answer else {
            return Err("is not a JSON object".to_owned());
        };
        let access_token = match answer.get("access_token") {
            Some(Value::String(token)) if !token.is_empty() => token.clone(),
            Some(Value::String(_)) => return Err("has an empty access_token".to_owned()),
            Some(_) => return Err("has an access_token that is not a string".to_owned()),
            None => return Err("has no access_token".to_owned()),
        };
        if !access_token.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err("has an access_token that cannot be sent in a header".to_owned());
        }
        let token_type = match answer.get("token_type") {
            None | Some(Value::Null) => TOKEN_TYPE.to_owned(),
            Some(Value::String(kind)) if kind.trim().eq_ignore_ascii_case(TOKEN_TYPE) => {
                kind.trim().to_owned()
            }
            Some(other) => return Err(format!("is of type {}, not bearer", shown(other))),
        };
        let expires_in = match answer.get("expires_in") {
            None | Some(Value::Null) => None,
            Some(given) => Some(token_seconds(given).ok_or_else(|| {
                format!("has an expires_in that is no number of seconds: {}", shown(given))
            })?),
        };
        Ok(TokenAnswer { access_token, expires_in, token_type })
    }
}

fn token_seconds(given: &Value) -> Option<u64> {
    let seconds = match given {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (seconds.is_finite() && seconds >= 0.0).then(|| (seconds as u64).min(LONGEST_TOKEN_SECONDS))
}

/// A JSON value of an answer, shortened for a message.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

// -------------------------------------------------------------------------------------- metadata

/// Where an OpenAPI document says its paths are: its first `servers` URL (`https://host/data/v3`).
pub fn data_api(document: &Value) -> Option<&str> {
    document.pointer("/servers/0/url")?.as_str()
}

/// One entry of the metadata index ([`super::paths::METADATA_INDEX`]): a document's name
/// ([`super::paths::RESOURCES`], [`super::paths::DESCRIPTORS`]) and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataEntry {
    #[serde(default)]
    pub name: String,
    pub endpoint_uri: String,
    #[serde(default)]
    pub prefix: String,
}

// --------------------------------------------------------------------------------------- history

/// One kept version of an item, as `/admin/v1/history/{endpoint}/{id}` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The version's ETag (opaque, as in `_etag`); `None` for a deletion's tombstone.
    #[serde(default)]
    pub etag: Option<String>,
    /// RFC 3339.
    #[serde(rename = "lastModifiedDate", default)]
    pub last_modified: String,
    #[serde(rename = "changeVersion", default)]
    pub change_version: i64,
    /// The name of the client that wrote it.
    #[serde(default)]
    pub client: String,
    #[serde(default)]
    pub deleted: bool,
}

// ------------------------------------------------------------------------------------------ links

/// The claim set of a client that names none: every action on every resource.
pub const FULL_ACCESS_CLAIM_SET: &str = "Ed-Fi Sandbox";

/// An API client as `GET /admin/v1/clients` lists it (never with its secret): its instance,
/// claim set and scope. Read leniently: an older server lists no scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientEntry {
    pub key: String,
    pub name: String,
    pub instance: String,
    #[serde(default)]
    pub revoked: bool,
    /// `None`: full access ([`FULL_ACCESS_CLAIM_SET`]).
    #[serde(default)]
    pub claim_set_name: Option<String>,
    #[serde(default)]
    pub education_organization_ids: Vec<i64>,
    #[serde(default)]
    pub namespace_prefixes: Vec<String>,
}

/// ODS/API's `link` member of a resolved reference object ([`super::LINK`]): the item the
/// reference names, `{"rel": "School", "href": "/ed-fi/schools/{id}"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The target's entity name (`School`).
    pub rel: String,
    /// The target's path in the documents' form: `/ed-fi/{endpoint}/{id}`.
    pub href: String,
}

impl Link {
    pub fn new(entity: &str, endpoint: &str, id: &str) -> Link {
        Link { rel: entity.to_owned(), href: format!("{}/{id}", super::paths::namespaced(endpoint)) }
    }

    /// The `link` of a reference object, when it has one a client can read.
    pub fn of(reference: &Value) -> Option<Link> {
        Link::deserialize(reference.get(super::LINK)?).ok()
    }

    /// The endpoint and id the `href` names (an absolute URL's path too): [`super::paths::item_of`].
    pub fn target(&self) -> Option<(String, String)> {
        super::paths::item_of(&self.href)
    }
}
