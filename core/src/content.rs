//! A document's content: the body without the fields the server owns, in RFC 8785 canonical
//! form, and the ETag derived from it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::canonical::canonical_object;
use crate::etag::EntityTag;
use crate::wire::SERVER_FIELDS;

/// Content in canonical JSON text (always a JSON object), with its ETag, and the text to store
/// for it (the same, or with `link` members in its reference objects: [`crate::links`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    canonical: String,
    etag: EntityTag,
    stored: Option<String>,
}

impl Content {
    /// Canonicalizes a body that has already been validated (its `link`s stripped:
    /// [`crate::wire::strip_links`]). Server fields and `null` members (an absent optional field)
    /// are dropped, so equal content always hashes the same. Clients compare content with
    /// [`crate::wire::content`], which is this.
    pub fn from_body(body: &Map<String, Value>) -> Self {
        let canonical = canonical_object(body, &SERVER_FIELDS);
        let etag = etag_of_canonical(&canonical);
        Self { canonical, etag, stored: None }
    }

    /// The same content, stored as `text` (its representation with links); the ETag stays the
    /// content's.
    pub fn stored_as(self, text: String) -> Self {
        Self { stored: Some(text), ..self }
    }

    /// Rebuilds stored content without re-hashing it (reads never re-hash).
    pub fn from_stored(canonical: String, etag: EntityTag) -> Self {
        Self { canonical, etag, stored: None }
    }

    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    pub fn etag(&self) -> &EntityTag {
        &self.etag
    }

    /// The text to store and the ETag.
    pub fn into_parts(self) -> (String, EntityTag) {
        (self.stored.unwrap_or(self.canonical), self.etag)
    }
}

/// The ETag of canonical content: SHA-256, base64url without padding (43 characters, 256 bits).
pub fn etag_of_canonical(canonical: &str) -> EntityTag {
    let digest = Sha256::digest(canonical.as_bytes());
    EntityTag::strong(URL_SAFE_NO_PAD.encode(digest)).expect("base64url is made of etagc")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn content(v: Value) -> Content {
        Content::from_body(v.as_object().unwrap())
    }

    #[test]
    fn same_content_same_etag_whatever_the_spelling() {
        let a = content(json!({"firstName": "Ana", "n": 1.0, "list": [1, 2]}));
        let b: Value = serde_json::from_str(r#"{ "list":[1,2], "n":1, "firstName":"An\u0061" }"#).unwrap();
        assert_eq!(a, content(b));
        assert_eq!(a.canonical(), r#"{"firstName":"Ana","list":[1,2],"n":1}"#);
    }

    #[test]
    fn server_fields_and_nulls_are_not_content() {
        let plain = content(json!({"a": "x"}));
        let with_server_fields = content(json!({
            "id": "0123", "_etag": "old", "_lastModifiedDate": "2026-01-01T00:00:00Z",
            "a": "x", "b": null,
        }));
        assert_eq!(plain, with_server_fields);
    }

    #[test]
    fn any_change_changes_the_etag_including_child_collections() {
        let base = content(json!({"a": "x", "items": [{"k": 1}]}));
        assert_ne!(base.etag(), content(json!({"a": "y", "items": [{"k": 1}]})).etag());
        assert_ne!(base.etag(), content(json!({"a": "x", "items": [{"k": 2}]})).etag());
        assert_ne!(base.etag(), content(json!({"a": "x", "items": [{"k": 1}, {"k": 1}]})).etag());
    }

    #[test]
    fn etag_is_sha256_base64url_of_the_canonical_text() {
        let c = content(json!({"b": 2, "a": 1}));
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(br#"{"a":1,"b":2}"#));
        assert_eq!(c.etag().opaque(), expected);
        assert_eq!(c.etag().opaque().len(), 43);
        assert!(!c.etag().is_weak());
    }
}
