//! `If-Match` / `If-None-Match` and `Idempotency-Key` values: parsing never panics, what parses
//! compares sanely, and a key's header form names the same key.
#![no_main]

use edfi_core::etag::{EntityTag, TagCondition};
use edfi_core::idempotency::IdempotencyKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(TagCondition::Tags(tags)) = TagCondition::parse(text) {
        for tag in &tags {
            // Display and parse round-trip, and a tag always weakly equals itself.
            let again = EntityTag::parse(&tag.to_string()).expect("a displayed tag parses");
            assert_eq!(&again, tag);
            assert!(tag.weak_eq(tag));
            assert_eq!(tag.strong_eq(tag), !tag.is_weak());
        }
    }
    let _ = EntityTag::parse(text);
    if let Ok(key) = IdempotencyKey::parse(text) {
        assert_eq!(IdempotencyKey::parse(&key.header_value()).as_ref(), Ok(&key));
    }
    if let Ok(key) = IdempotencyKey::new(text) {
        assert_eq!(IdempotencyKey::parse(&key.header_value()).as_ref(), Ok(&key));
    }
});
