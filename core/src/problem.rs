//! Ed-Fi problem-details errors (RFC 9457 with Ed-Fi's `type` URNs and fields).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// JSON path (`$.birthDate`, `$.otherNames[0].firstName`) → messages.
pub type ValidationErrors = BTreeMap<String, Vec<String>>;

/// The member a validation error's path names: `city` for `$.addresses[0].city`, `addresses` for
/// `$.addresses[0]`; `None` for the document itself (`$`).
pub fn member_of_path(path: &str) -> Option<&str> {
    let mut path = path;
    while let Some(open) = path.strip_suffix(']').and_then(|p| p.rfind('[')) {
        path = &path[..open];
    }
    let member = path.rsplit('.').next()?;
    (!member.is_empty() && member != "$").then_some(member)
}

/// An error answer. Field order follows the Ed-Fi 412 example so fixed fields compare byte-equal.
/// Clients read one with [`crate::wire::answers::ErrorAnswer`]: every member is read leniently
/// (absent, `null` or of another type is no failure), as other Ed-Fi APIs vary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Problem {
    #[serde(deserialize_with = "lenient::text")]
    pub detail: String,
    #[serde(rename = "type", deserialize_with = "lenient::text")]
    pub kind: String,
    #[serde(deserialize_with = "lenient::text")]
    pub title: String,
    #[serde(deserialize_with = "lenient::status")]
    pub status: u16,
    #[serde(deserialize_with = "lenient::text")]
    pub correlation_id: String,
    #[serde(deserialize_with = "lenient::validation")]
    pub validation_errors: ValidationErrors,
    #[serde(deserialize_with = "lenient::messages")]
    pub errors: Vec<String>,
    /// Extra response headers (`Allow` on 405).
    #[serde(skip)]
    pub headers: Vec<(&'static str, String)>,
}

pub const TYPE_BAD_REQUEST: &str = "urn:ed-fi:api:bad-request";
pub const TYPE_DATA_VALIDATION_FAILED: &str = "urn:ed-fi:api:bad-request:data-validation-failed";
pub const TYPE_KEY_CHANGE_NOT_SUPPORTED: &str =
    "urn:ed-fi:api:bad-request:data-validation-failed:key-change-not-supported";
pub const TYPE_PRECONDITION_REQUIRED: &str = "urn:ed-fi:api:bad-request:precondition-required";
pub const TYPE_AUTHENTICATION: &str = "urn:ed-fi:api:security:authentication";
pub const TYPE_AUTHORIZATION: &str = "urn:ed-fi:api:security:authorization";
pub const TYPE_NOT_FOUND: &str = "urn:ed-fi:api:not-found";
pub const TYPE_METHOD_NOT_ALLOWED: &str = "urn:ed-fi:api:method-not-allowed";
pub const TYPE_UNRESOLVED_REFERENCE: &str = "urn:ed-fi:api:data-conflict:unresolved-reference";
pub const TYPE_DEPENDENT_ITEM_EXISTS: &str = "urn:ed-fi:api:data-conflict:dependent-item-exists";
pub const TYPE_CONFLICT: &str = "urn:ed-fi:api:conflict";
pub const TYPE_NON_UNIQUE_VALUES: &str = "urn:ed-fi:api:data-conflict:non-unique-values";
pub const TYPE_OPTIMISTIC_LOCK_FAILED: &str = "urn:ed-fi:api:optimistic-lock-failed";
pub const TYPE_IF_NONE_MATCH_FAILED: &str = "urn:ed-fi:api:precondition-failed:if-none-match";
pub const TYPE_PAYLOAD_TOO_LARGE: &str = "urn:ed-fi:api:bad-request:payload-too-large";
pub const TYPE_UNSUPPORTED_MEDIA_TYPE: &str = "urn:ed-fi:api:bad-request:unsupported-media-type";
pub const TYPE_IDEMPOTENCY_KEY_REUSED: &str = "urn:ed-fi:api:bad-request:idempotency-key-reused";
pub const TYPE_INTERNAL: &str = "urn:ed-fi:api:system-error";
pub const TYPE_TOO_MANY_REQUESTS: &str = "urn:ed-fi:api:too-many-requests";

impl Problem {
    fn new(status: u16, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
            kind: kind.to_owned(),
            title: title.to_owned(),
            status,
            correlation_id: String::new(),
            validation_errors: ValidationErrors::new(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let mut p = Self::new(400, TYPE_BAD_REQUEST, "Bad Request", "The request construction was invalid.");
        p.errors.push(detail);
        p
    }

    /// Body-level validation failures, keyed by JSON path.
    pub fn validation_failed(errors: ValidationErrors) -> Self {
        let mut p = Self::new(
            400,
            TYPE_DATA_VALIDATION_FAILED,
            "Data Validation Failed",
            "Data validation failed. See 'validationErrors' for details.",
        );
        p.validation_errors = errors;
        p
    }

    /// The body could not be read as JSON at all.
    pub fn unreadable_body(message: impl Into<String>) -> Self {
        let mut p = Self::new(
            400,
            TYPE_DATA_VALIDATION_FAILED,
            "Data Validation Failed",
            "The request body could not be read as a JSON object.",
        );
        p.errors.push(message.into());
        p
    }

    pub fn key_change_not_supported(resource: &str) -> Self {
        let mut p = Self::new(
            400,
            TYPE_KEY_CHANGE_NOT_SUPPORTED,
            "Key Change Not Supported",
            format!("Identifying values for the '{resource}' resource cannot be changed."),
        );
        p.errors.push(
            "The natural key of this resource cannot be changed. Delete and recreate the resource item instead."
                .to_owned(),
        );
        p
    }

    /// If-Match is required by configuration and was absent (`status` is 400 or 428).
    pub fn precondition_required(status: u16) -> Self {
        let mut p = Self::new(
            status,
            TYPE_PRECONDITION_REQUIRED,
            "Precondition Required",
            "This API requires an If-Match header on updates and deletes.",
        );
        p.errors.push(
            "Send the resource's ETag (from a GET or the last write) in an If-Match request header."
                .to_owned(),
        );
        p
    }

    /// No, or no valid, bearer token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut p = Self::new(401, TYPE_AUTHENTICATION, "Authentication Failed", detail);
        p.errors.push(
            "Request an access token from /oauth/token and send it as 'Authorization: Bearer <token>'."
                .to_owned(),
        );
        p.headers.push(("WWW-Authenticate", "Bearer".to_owned()));
        p
    }

    /// A valid token that may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, TYPE_AUTHORIZATION, "Authorization Denied", detail)
    }

    /// A client's claim set or scope does not reach what it asked for: `kind` says which rule
    /// (`urn:ed-fi:api:security:authorization:…`), `error` how.
    pub fn authorization_denied(kind: &str, error: impl Into<String>) -> Self {
        let mut p = Self::new(
            403,
            kind,
            "Authorization Denied",
            "Access to the requested data could not be authorized.",
        );
        p.errors.push(error.into());
        p
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, TYPE_NOT_FOUND, "Not Found", detail)
    }

    pub fn method_not_allowed(method: &str, allow: &[&str]) -> Self {
        let mut p = Self::new(
            405,
            TYPE_METHOD_NOT_ALLOWED,
            "Method Not Allowed",
            format!("The method {method} is not allowed on this resource."),
        );
        p.headers.push(("Allow", allow.join(", ")));
        p
    }

    /// References to items that do not exist, by JSON path.
    pub fn unresolved_reference(paths: ValidationErrors) -> Self {
        let mut p = Self::new(
            409,
            TYPE_UNRESOLVED_REFERENCE,
            "Unresolved Reference",
            "The referenced item(s) do not exist. See 'validationErrors' for details.",
        );
        p.validation_errors = paths;
        p
    }

    /// A delete of an item that other items still reference.
    pub fn dependent_item_exists(referrers: Vec<String>) -> Self {
        let mut p = Self::new(
            409,
            TYPE_DEPENDENT_ITEM_EXISTS,
            "Dependent Item Exists",
            "The requested action cannot be performed because this item is referenced by existing item(s).",
        );
        p.errors = referrers;
        p
    }

    /// A key change that its cascade cannot carry: the referring items it names would become
    /// invalid (`problems` says how) or collide with others.
    pub fn cascade_refused(problems: Vec<String>) -> Self {
        let mut p = Self::new(
            409,
            TYPE_DEPENDENT_ITEM_EXISTS,
            "Dependent Item Exists",
            "The natural key cannot change: items that reference this item could not be changed to match. Change or delete them first.",
        );
        p.errors = problems;
        p
    }

    /// A key change to a natural key another item already has.
    /// The request conflicts with the state of what it names (a built-in claim set, one in use).
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(409, TYPE_CONFLICT, "Conflict", detail)
    }

    pub fn non_unique_key(resource: &str) -> Self {
        let mut p = Self::new(
            409,
            TYPE_NON_UNIQUE_VALUES,
            "Identifying Values Are Not Unique",
            format!("Another {resource} item already has these identifying values."),
        );
        p.errors.push("The natural key values must be unique within the resource.".to_owned());
        p
    }

    /// The Ed-Fi 412 for an `If-Match` that does not match.
    pub fn optimistic_lock_failed() -> Self {
        let mut p = Self::new(
            412,
            TYPE_OPTIMISTIC_LOCK_FAILED,
            "Optimistic Lock Failed",
            "The item has been modified by another user.",
        );
        p.errors.push(
            "The resource item's etag value does not match what was specified in the 'If-Match' request header indicating that it has been modified by another client since it was last retrieved."
                .to_owned(),
        );
        p
    }

    pub fn if_none_match_failed() -> Self {
        let mut p = Self::new(
            412,
            TYPE_IF_NONE_MATCH_FAILED,
            "Precondition Failed",
            "The item already exists with a representation matching the 'If-None-Match' request header.",
        );
        p.errors
            .push("The 'If-None-Match' condition was not met, so the request was not applied.".to_owned());
        p
    }

    /// An `Idempotency-Key` this client already used for a different request.
    pub fn idempotency_key_reused() -> Self {
        let mut p = Self::new(
            422,
            TYPE_IDEMPOTENCY_KEY_REUSED,
            "Idempotency Key Reused",
            "The 'Idempotency-Key' was already used for a different request.",
        );
        p.errors.push(
            "A key names one request: the same method, path and body. Send a new key for a new request."
                .to_owned(),
        );
        p
    }

    pub fn payload_too_large(limit: usize) -> Self {
        let mut p = Self::new(
            413,
            TYPE_PAYLOAD_TOO_LARGE,
            "Payload Too Large",
            format!("The request body is larger than the limit of {limit} bytes."),
        );
        p.errors.push(format!("Send a body of at most {limit} bytes."));
        p
    }

    /// Too many failed token requests for one client key; `retry_after` is in seconds.
    pub fn too_many_failed_logins(retry_after: i64) -> Self {
        let mut p = Self::new(
            429,
            TYPE_TOO_MANY_REQUESTS,
            "Too Many Requests",
            "Too many failed token requests for this client key.",
        );
        p.errors.push(format!("Wait {retry_after} seconds before requesting a token again."));
        p.headers.push(("Retry-After", retry_after.to_string()));
        p
    }

    pub fn unsupported_media_type(content_type: Option<&str>) -> Self {
        let mut p = Self::new(
            415,
            TYPE_UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            "The request body must be JSON (Content-Type: application/json).",
        );
        p.errors.push(match content_type {
            Some(ct) => format!("Content-Type '{ct}' is not supported."),
            None => "The Content-Type header is missing.".to_owned(),
        });
        p
    }

    /// A failure on our side. The body says nothing about the cause; the caller logs it.
    pub fn internal() -> Self {
        Self::new(
            500,
            TYPE_INTERNAL,
            "System Error",
            "An unexpected problem has occurred. Quote the correlationId when reporting it.",
        )
    }

    pub fn with_correlation_id(mut self, id: &str) -> Self {
        self.correlation_id = id.to_owned();
        self
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("problem details always serialize")
    }
}

/// Reading members that other APIs may give another type: never a failure.
pub(crate) mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    use super::ValidationErrors;

    /// A string as it is, `null` as empty, anything else as its JSON text.
    pub fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        Ok(text_of(Value::deserialize(deserializer)?))
    }

    pub fn status<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
        let status = match Value::deserialize(deserializer)? {
            Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        Ok(status.unwrap_or_default())
    }

    /// A list of messages, or one message.
    pub fn messages<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
        Ok(messages_of(Value::deserialize(deserializer)?))
    }

    /// Messages by JSON path; anything but an object is none.
    pub fn validation<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ValidationErrors, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::Object(paths) => {
                paths.into_iter().map(|(path, value)| (path, messages_of(value))).collect()
            }
            _ => ValidationErrors::new(),
        })
    }

    fn text_of(value: Value) -> String {
        match value {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    fn messages_of(value: Value) -> Vec<String> {
        match value {
            Value::Array(items) => items.into_iter().map(text_of).collect(),
            Value::Null => Vec::new(),
            other => vec![text_of(other)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimistic_lock_failed_has_the_ed_fi_fixed_fields_in_order() {
        let body =
            String::from_utf8(Problem::optimistic_lock_failed().with_correlation_id("c1").to_json()).unwrap();
        assert_eq!(
            body,
            concat!(
                r#"{"detail":"The item has been modified by another user.","#,
                r#""type":"urn:ed-fi:api:optimistic-lock-failed","title":"Optimistic Lock Failed","#,
                r#""status":412,"correlationId":"c1","validationErrors":{},"#,
                r#""errors":["The resource item's etag value does not match what was specified in the 'If-Match' request header indicating that it has been modified by another client since it was last retrieved."]}"#
            )
        );
    }

    #[test]
    fn method_not_allowed_carries_allow() {
        let p = Problem::method_not_allowed("PATCH", &["GET", "POST"]);
        assert_eq!(p.status, 405);
        assert_eq!(p.headers, vec![("Allow", "GET, POST".to_owned())]);
    }
}
