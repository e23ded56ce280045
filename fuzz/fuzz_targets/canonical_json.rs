//! RFC 8785 canonical JSON: canonicalizing is stable (its output canonicalizes to itself), the ETag
//! depends only on content, never on spelling, and the single-pass writer agrees byte for byte with
//! the reference implementation.
#![no_main]

use edfi_core::canonical::reference_canonical_object;
use edfi_core::content::Content;
use edfi_core::wire::SERVER_FIELDS;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(data) else { return };
    let content = Content::from_body(&body);
    let reference = reference_canonical_object(&body, &SERVER_FIELDS);
    assert_eq!(content.canonical(), reference, "the writer disagrees with serde_json_canonicalizer");
    let Ok(Value::Object(again)) = serde_json::from_str::<Value>(content.canonical()) else {
        panic!("canonical output is a JSON object");
    };
    let twice = Content::from_body(&again);
    assert_eq!(twice.canonical(), content.canonical());
    assert_eq!(twice.etag(), content.etag());
});
