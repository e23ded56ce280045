//! `/oauth/token` request bodies and Authorization headers, and bearer tokens: never a panic.
#![no_main]

use edfi_core::auth::{authenticate, parse_token_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (header, body) = text.split_once('\n').unwrap_or((&text, ""));
    for content_type in [None, Some("application/json"), Some("application/x-www-form-urlencoded")] {
        let _ = parse_token_request(content_type, Some(header), body.as_bytes());
        let _ = parse_token_request(content_type, None, body.as_bytes());
    }
    let _ = authenticate(Some(header), b"a signing key of thirty-two bytes", 0);
});
