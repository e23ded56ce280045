//! The bodies of the API's answers, as the server writes them and as a client reads them: error
//! answers (Ed-Fi problem details, OAuth errors), tokens, the metadata index and item history.
//! Each shape is one serde type here (or [`Problem`] itself), so its member names are written once.

use serde::{Deserialize, Deserializer, Serialize};
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

/// A granted token (RFC 6749 §5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    /// Seconds the token lives; read from a number or a numeric string, negative as 0.
    #[serde(default, deserialize_with = "seconds", skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub token_type: String,
}

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let seconds = match Value::deserialize(deserializer)? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.clamp(0.0, 1e12) as u64)),
        Value::String(s) => {
            s.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f.clamp(0.0, 1e12) as u64)
        }
        _ => None,
    };
    Ok(seconds)
}

// -------------------------------------------------------------------------------------- metadata

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

    /// The endpoint and id the `href` names (an absolute URL's path too).
    pub fn target(&self) -> Option<(&str, &str)> {
        let path = self.href.split(['?', '#']).next()?;
        let prefix = super::paths::NAMESPACE_PREFIX;
        let rest = &path[path.find(prefix)? + prefix.len()..];
        let (endpoint, id) = rest.trim_end_matches('/').split_once('/')?;
        (!endpoint.is_empty() && !id.is_empty() && !id.contains('/')).then_some((endpoint, id))
    }
}
