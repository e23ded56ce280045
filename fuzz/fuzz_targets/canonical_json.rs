//! RFC 8785 canonical JSON: canonicalizing is stable (its output canonicalizes to itself), the ETag
//! depends only on content, never on spelling, and the single-pass writer agrees byte for byte with
//! the reference implementation.
#![no_main]

use edfi_core::content::{Content, SERVER_FIELDS};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(data) else { return };
    let content = Content::from_body(&body);
    assert_eq!(content.canonical(), reference(&body), "the writer disagrees with serde_json_canonicalizer");
    let Ok(Value::Object(again)) = serde_json::from_str::<Value>(content.canonical()) else {
        panic!("canonical output is a JSON object");
    };
    let twice = Content::from_body(&again);
    assert_eq!(twice.canonical(), content.canonical());
    assert_eq!(twice.etag(), content.etag());
});

/// The content as `Content` once computed it: server fields dropped at the top, `null` members
/// dropped at every depth (array items kept), then the reference canonicalizer.
fn reference(body: &Map<String, Value>) -> String {
    fn drop_nulls(value: Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, drop_nulls(v))).collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(drop_nulls).collect()),
            other => other,
        }
    }
    let mut content = body.clone();
    for field in SERVER_FIELDS {
        content.remove(field);
    }
    serde_json_canonicalizer::to_string(&drop_nulls(Value::Object(content)))
        .expect("serde_json values canonicalize")
}
