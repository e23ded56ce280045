//! The wire protocol, stated once for the API and for its clients (the admin app and its loader):
//! which members of a representation are the server's, what counts as the same content (exactly
//! as the server computes ETags), entity tags, the bodies of answers (problem details, OAuth
//! errors, tokens, history), paths and query parameters, endpoint naming, and the
//! `Idempotency-Key` form.
//!
//! Nothing here, nor in the modules it re-exports (`etag`, `content`, `canonical`, `idempotency`,
//! `problem`), reads the resource model or runs the engine, and none of it does IO: a client of
//! any Ed-Fi ODS/API can use it and still learn the resources from that API's metadata.

pub mod answers;
pub mod paths;

use serde_json::{Map, Value};

use crate::content::Content;

pub use crate::etag::{EntityTag, InvalidEntityTag, TagCondition, ANY as ANY_TAG};

pub use crate::idempotency::{
    IdempotencyKey, HEADER as IDEMPOTENCY_KEY, REPLAYED_HEADER as IDEMPOTENCY_REPLAYED,
    REPLAYED_VALUE as IDEMPOTENCY_REPLAYED_VALUE,
};
pub use crate::problem::{member_of_path, Problem, ValidationErrors};

/// The media type of every JSON body sent and answered.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The item's id: a representation's member, never content.
pub const ID: &str = "id";
/// The item's ETag in a body, unquoted (the `opaque` of [`EntityTag`]).
pub const ETAG: &str = "_etag";
pub const LAST_MODIFIED_DATE: &str = "_lastModifiedDate";
pub const CHANGE_VERSION: &str = "changeVersion";

/// The top-level members the server owns. Clients may send them back; they are never content.
pub const SERVER_FIELDS: [&str; 4] = [ID, ETAG, LAST_MODIFIED_DATE, CHANGE_VERSION];

/// ODS/API's `link` member (`{"rel": "School", "href": "/ed-fi/schools/{id}"}`) in each reference
/// object of a representation: the server's to make, never content.
pub const LINK: &str = "link";

/// Ed-Fi names every reference member `…Reference` (`schoolReference`,
/// `classPeriods[*].classPeriodReference`) and nothing else so; a test holds the model to it.
/// The OpenAPI documents name a reference's schema the same way (`edFi_schoolReference`).
pub fn is_reference_member(name: &str) -> bool {
    reference_role(name).is_some()
}

/// What a reference member names: `school` for `schoolReference`, `nextYearSchool` for
/// `nextYearSchoolReference`.
pub fn reference_role(name: &str) -> Option<&str> {
    name.strip_suffix(REFERENCE_SUFFIX).filter(|role| !role.is_empty())
}

pub const REFERENCE_SUFFIX: &str = "Reference";

// ----------------------------------------------------------------------------------- descriptors

/// A descriptor's key members, and the member-name ending of every member holding a descriptor
/// URI (`gradeLevelDescriptor`, `entryGradeLevelDescriptor`).
pub const NAMESPACE: &str = "namespace";
pub const CODE_VALUE: &str = "codeValue";
pub const DESCRIPTOR_SUFFIX: &str = "Descriptor";

/// How a reference to a descriptor is written: `uri://ed-fi.org/GradeLevelDescriptor#Ninth grade`.
pub fn descriptor_uri(namespace: &str, code_value: &str) -> String {
    format!("{namespace}#{code_value}")
}

/// A descriptor URI's namespace and code value (split at its first `#`).
pub fn descriptor_parts(uri: &str) -> Option<(&str, &str)> {
    uri.split_once('#')
}

/// Whether a member's name says it holds a descriptor URI.
pub fn is_descriptor_member(name: &str) -> bool {
    name.len() > DESCRIPTOR_SUFFIX.len() && name.ends_with(DESCRIPTOR_SUFFIX)
}

/// Removes the `link` member of every reference object, at any depth: a client may send back
/// what it read, from this API or from an ODS/API. A `link` anywhere else is left for validation.
pub fn strip_links(object: &mut Map<String, Value>) {
    for (name, value) in object.iter_mut() {
        match value {
            Value::Object(inner) => {
                if is_reference_member(name) {
                    inner.remove(LINK);
                }
                strip_links(inner);
            }
            Value::Array(items) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    strip_links(item);
                }
            }
            _ => {}
        }
    }
}

/// The content of a representation, as the server hashes it: without [`SERVER_FIELDS`], without
/// `link`s in reference objects, without `null` members (an absent optional member) at any depth,
/// and with numbers as canonical JSON writes them (`3.0` is `3`). Two representations have the same
/// content exactly when the server gives them the same ETag, so comparing these values (a merge,
/// "unchanged") agrees with the server. A value that is not an object is returned as it is.
pub fn content(representation: &Value) -> Value {
    match representation {
        Value::Object(members) => {
            let content = content_of(members);
            serde_json::from_str(content.canonical()).expect("canonical JSON is JSON")
        }
        other => other.clone(),
    }
}

/// The ETag the server gives a representation's content; `None` if it is not an object.
pub fn content_etag(representation: &Value) -> Option<EntityTag> {
    representation.as_object().map(|members| content_of(members).etag().clone())
}

/// Whether two representations hold the same content (the server gives them one ETag).
pub fn same_content(a: &Value, b: &Value) -> bool {
    match (a.as_object(), b.as_object()) {
        (Some(a), Some(b)) => content_of(a).canonical() == content_of(b).canonical(),
        _ => a == b,
    }
}

fn content_of(members: &Map<String, Value>) -> Content {
    let mut members = members.clone();
    strip_links(&mut members);
    Content::from_body(&members)
}

/// The ETag a representation carries in its `_etag` member (unquoted, as Ed-Fi sends it).
pub fn representation_etag(representation: &Value) -> Option<EntityTag> {
    EntityTag::parse(representation.get(ETAG)?.as_str()?).ok()
}

/// Whether two endpoint names are the same endpoint: Ed-Fi routes them case-insensitively
/// (`/ed-fi/Students` is `/ed-fi/students`), ASCII only.
pub fn same_endpoint(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The form [`same_endpoint`] compares: every spelling of one endpoint has the same key.
pub fn endpoint_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

#[cfg(test)]
mod tests;
