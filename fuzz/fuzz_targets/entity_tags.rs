//! `If-Match` / `If-None-Match` values: parsing never panics, and what parses compares sanely.
#![no_main]

use edfi_core::etag::{EntityTag, TagCondition};
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
});
