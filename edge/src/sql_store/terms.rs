//! Terms: what the `terms` table indexes of each item, so that a field filter reads only the items
//! that may match instead of every item of the resource.
//!
//! A term is a hash of (resource, member path, JSON type, value with ASCII case folded) for each
//! scalar an item holds at the top level or one object down (`schoolReference.schoolId`): the
//! members Ed-Fi query parameters name. A hash keeps every index row the same small size whatever
//! the value (descriptions run to 1,024 characters); two values that share a term only cost a
//! look at the document, because every query still checks the stored JSON itself.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use edfi_core::store::Scalar;

/// Terms stay below 2^53: bound values cross into JavaScript as doubles in a Durable Object.
const TERM_MASK: u64 = (1 << 52) - 1;

/// The terms of an item's stored content, sorted and each once. Content that is not a JSON
/// object has none (the engine stores only objects).
pub fn of_content(resource: &str, content: &str) -> Vec<i64> {
    let Ok(members) = serde_json::from_str::<Map<String, Value>>(content) else { return Vec::new() };
    let mut terms = Vec::new();
    for (name, value) in &members {
        match value {
            Value::Object(inner) => {
                for (member, value) in inner {
                    terms.extend(of_value(resource, &format!("{name}.{member}"), value));
                }
            }
            value => terms.extend(of_value(resource, name, value)),
        }
    }
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// The term every item an equality filter selects has.
pub fn of_filter(resource: &str, path: &str, value: &Scalar) -> i64 {
    match value {
        Scalar::Text(text) => term(resource, path, b't', text.to_ascii_lowercase().as_bytes()),
        Scalar::Integer(n) => term(resource, path, b'i', n.to_string().as_bytes()),
        Scalar::Boolean(b) => term(resource, path, b'b', if *b { b"true" } else { b"false" }),
    }
}

/// A value's term, if a filter can select it: text, an integer or a boolean (not a fraction,
/// `null`, an array or an object).
fn of_value(resource: &str, path: &str, value: &Value) -> Option<i64> {
    let scalar = match value {
        Value::String(text) => Scalar::Text(text.clone()),
        Value::Number(n) => Scalar::Integer(n.as_i64()?),
        Value::Bool(b) => Scalar::Boolean(*b),
        Value::Null | Value::Array(_) | Value::Object(_) => return None,
    };
    Some(of_filter(resource, path, &scalar))
}

fn term(resource: &str, path: &str, kind: u8, value: &[u8]) -> i64 {
    // NUL cannot occur in a resource or member name, so the parts cannot run into each other.
    let digest = Sha256::new()
        .chain_update(resource.as_bytes())
        .chain_update([0])
        .chain_update(path.as_bytes())
        .chain_update([0, kind])
        .chain_update(value)
        .finalize();
    let first: [u8; 8] = digest[..8].try_into().expect("a SHA-256 digest has 32 bytes");
    (u64::from_be_bytes(first) & TERM_MASK) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(path: &str, value: &str) -> i64 {
        of_filter("students", path, &Scalar::Text(value.into()))
    }

    #[test]
    fn an_item_has_the_term_of_each_filter_that_selects_it() {
        let content = r#"{"firstName":"Ana","birthDate":"2010-05-01","schoolReference":{"schoolId":255901,"link":{"rel":"School"}},"active":true,"grades":[{"n":1}],"ratio":0.5,"none":null}"#;
        let terms = of_content("students", content);
        assert!(terms.contains(&text("firstName", "ana")), "ASCII case folds");
        assert!(terms.contains(&text("firstName", "ANA")));
        assert!(terms.contains(&text("birthDate", "2010-05-01")));
        assert!(terms.contains(&of_filter("students", "schoolReference.schoolId", &Scalar::Integer(255901))));
        assert!(terms.contains(&of_filter("students", "active", &Scalar::Boolean(true))));
        // Only scalars a filter can name: not two objects down, not in arrays, not fractions.
        assert_eq!(terms.len(), 4, "{terms:?}");
        assert!(!terms.contains(&text("schoolReference.link.rel", "School")));
    }

    #[test]
    fn terms_tell_resources_paths_types_and_values_apart() {
        let all = [
            text("firstName", "Ana"),
            of_filter("staffs", "firstName", &Scalar::Text("Ana".into())),
            text("lastName", "Ana"),
            text("firstName", "Ann"),
            text("firstName", "Ñana"),
            text("firstName", "ñana"),
            text("v", "1"),
            of_filter("students", "v", &Scalar::Integer(1)),
            of_filter("students", "v", &Scalar::Boolean(true)),
            text("v", "true"),
        ];
        let mut distinct = all.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), all.len(), "{all:?}");
        assert!(all.iter().all(|t| (0..1 << 53).contains(t)), "exact as a JavaScript number");
    }

    #[test]
    fn content_that_is_not_an_object_has_no_terms() {
        for content in ["", "[]", "5", "{", r#""text""#] {
            assert_eq!(of_content("students", content), Vec::<i64>::new(), "{content}");
        }
    }
}
