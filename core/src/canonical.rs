//! RFC 8785 (JSON Canonicalization Scheme) text of a JSON object, written in one pass straight from
//! the parsed body: no copy of the tree, no intermediate buffer per member.
//!
//! Chosen members are left out on the way: named top-level fields, and `null` members of objects at
//! every depth (an absent optional field). `null` items of arrays are kept: their position is
//! content.
//!
//! This relies on `serde_json::Map` being a `BTreeMap` (the `preserve_order` feature is off), so
//! members arrive in code point order; see [`write_object`] for the one case where RFC 8785's
//! UTF-16 order differs.

use serde_json::{Map, Number, Value};

/// The canonical text of `object` without its top-level `omitted_fields` and without `null`
/// members at any depth.
pub fn canonical_object(object: &Map<String, Value>, omitted_fields: &[&str]) -> String {
    let mut out = Vec::with_capacity(INITIAL_CAPACITY);
    write_object(&mut out, object, omitted_fields);
    // Stored content keeps its buffer; a small document should not hold on to most of the initial one.
    if out.capacity() > 2 * out.len() {
        out.shrink_to_fit();
    }
    String::from_utf8(out).expect("the writer appends whole strings and ASCII, so its output is UTF-8")
}

/// Typical Ed-Fi documents fit, so most writes never reallocate; larger ones grow by doubling.
const INITIAL_CAPACITY: usize = 2048;

fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => write_array(out, items),
        Value::Object(object) => write_object(out, object, &[]),
    }
}

fn write_array(out: &mut Vec<u8>, items: &[Value]) {
    out.push(b'[');
    let mut items = items.iter();
    if let Some(first) = items.next() {
        write_value(out, first);
        for item in items {
            out.push(b',');
            write_value(out, item);
        }
    }
    out.push(b']');
}

/// Members are written in map order, which is RFC 8785's UTF-16 order as long as no key has a
/// character at or above U+E000: below that, code point and UTF-16 code unit order agree.
///
/// At the first key that has one, the remaining members are sorted by UTF-16 explicitly. The keys
/// already written stay put: each is made of characters below U+E000 (so below the surrogates
/// U+D800..U+DFFF that encode supplementary characters), hence precedes every later key in UTF-16
/// order just as it does in code point order.
fn write_object(out: &mut Vec<u8>, object: &Map<String, Value>, omitted_fields: &[&str]) {
    let is_content = |key: &str, value: &Value| !value.is_null() && !omitted_fields.contains(&key);
    out.push(b'{');
    let mut first = true;
    let mut members = object.iter();
    while let Some((key, value)) = members.next() {
        if !is_content(key, value) {
            continue;
        }
        let key_needs_care = key_needs_care(key);
        if key_needs_care && may_sort_differently_in_utf16(key) {
            let mut rest: Vec<(&String, &Value)> = Vec::with_capacity(1 + members.len());
            rest.push((key, value));
            rest.extend(members.filter(|(key, value)| is_content(key, value)));
            rest.sort_unstable_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            for (key, value) in rest {
                write_member(out, &mut first, key, true, value);
            }
            break;
        }
        write_member(out, &mut first, key, key_needs_care, value);
    }
    out.push(b'}');
}

/// `key_needs_care` may be a false alarm, never a miss: it only chooses the path that escapes.
#[inline]
fn write_member(out: &mut Vec<u8>, first: &mut bool, key: &str, key_needs_care: bool, value: &Value) {
    if !std::mem::take(first) {
        out.push(b',');
    }
    write_quoted(out, key.as_bytes(), key_needs_care);
    out.push(b':');
    // Most members are strings; this spares them a call.
    match value {
        Value::String(text) => write_string(out, text),
        other => write_value(out, other),
    }
}

/// Whether `key` has a character at or above U+E000, whose UTF-8 lead byte is 0xEE or more.
fn may_sort_differently_in_utf16(key: &str) -> bool {
    key.bytes().any(|byte| byte >= 0xEE)
}

/// Integers up to 2^53 are exact doubles, and ECMAScript prints those as their plain decimal digits.
const LARGEST_EXACT_INTEGER: u64 = 1 << 53;

/// Numbers are printed as ECMAScript's `Number.prototype.toString` prints the double they denote
/// (RFC 8785 §3.2.2.3), so `1.0`, `1` and `1e0` are the same content.
fn write_number(out: &mut Vec<u8>, number: &Number) {
    if let Some(unsigned) = number.as_u64() {
        if unsigned <= LARGEST_EXACT_INTEGER {
            out.extend_from_slice(itoa::Buffer::new().format(unsigned).as_bytes());
        } else {
            write_double(out, unsigned as f64);
        }
    } else if let Some(signed) = number.as_i64() {
        if signed.unsigned_abs() <= LARGEST_EXACT_INTEGER {
            out.extend_from_slice(itoa::Buffer::new().format(signed).as_bytes());
        } else {
            write_double(out, signed as f64);
        }
    } else if let Some(double) = number.as_f64() {
        write_double(out, double);
    }
}

fn write_double(out: &mut Vec<u8>, double: f64) {
    if double.is_finite() {
        out.extend_from_slice(ryu_js::Buffer::new().format_finite(double).as_bytes());
    } else {
        // A parsed `serde_json::Number` is always finite; `null` is what serde_json itself writes.
        out.extend_from_slice(b"null");
    }
}

/// Writes a JSON string as ECMAScript's `JSON.stringify` does (RFC 8785 §3.2.2.2): only `"`, `\`
/// and the C0 controls are escaped; everything else, U+007F and U+2028 included, is literal.
fn write_string(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    write_quoted(out, bytes, any_flagged::<false>(bytes));
}

/// Writes `bytes` in quotes, looking for bytes to escape only if `may_need_escape`.
#[inline]
fn write_quoted(out: &mut Vec<u8>, bytes: &[u8], may_need_escape: bool) {
    // The slack lets `copy_clean` store whole chunks before cutting the length back.
    out.reserve(bytes.len() + 2 + CHUNK);
    out.push(b'"');
    if may_need_escape {
        write_escaped(out, bytes);
    } else {
        copy_clean(out, bytes);
    }
    out.push(b'"');
}

/// The slow path, for the rare string that has (or may have) something to escape.
#[cold]
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut clean_from = 0;
    while let Some(escape_at) = next_byte_to_escape(bytes, clean_from) {
        out.extend_from_slice(&bytes[clean_from..escape_at]);
        push_escape(out, bytes[escape_at]);
        clean_from = escape_at + 1;
    }
    out.extend_from_slice(&bytes[clean_from..]);
}

/// Appends `bytes`. Up to 32 of them go as two overlapping fixed-size pieces, the length cut back
/// between them, which is cheaper than a call to `memcpy` of variable size.
#[inline]
fn copy_clean(out: &mut Vec<u8>, bytes: &[u8]) {
    let end = out.len() + bytes.len();
    if bytes.len() > 2 * CHUNK {
        out.extend_from_slice(bytes);
    } else if let (Some(head), Some(tail)) = (bytes.first_chunk::<CHUNK>(), bytes.last_chunk::<CHUNK>()) {
        out.extend_from_slice(head);
        out.truncate(end - CHUNK);
        out.extend_from_slice(tail);
    } else if let (Some(head), Some(tail)) = (bytes.first_chunk::<WORD>(), bytes.last_chunk::<WORD>()) {
        out.extend_from_slice(head);
        out.truncate(end - WORD);
        out.extend_from_slice(tail);
    } else {
        out.extend_from_slice(&short_word(bytes));
        out.truncate(end);
    }
}

/// Whether a key must be escaped or may sort differently in UTF-16, found in one pass; almost
/// every key is plain ASCII and is then copied with no further look.
#[inline]
fn key_needs_care(key: &str) -> bool {
    any_flagged::<true>(key.as_bytes())
}

// Strings are checked sixteen bytes at a time and shorter runs eight at a time in a `u64` (SWAR).
const CHUNK: usize = 16;
const WORD: usize = 8;
const EVERY_BYTE: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `bytes` must be escaped, or with `OR_FROM_EE` is 0xEE or more. Overlapping
/// reads are fine for a yes or no, so the tail is read as the last whole chunk or word.
#[inline]
fn any_flagged<const OR_FROM_EE: bool>(bytes: &[u8]) -> bool {
    if let Some(last_chunk) = bytes.last_chunk::<CHUNK>() {
        let (chunks, _) = bytes.as_chunks::<CHUNK>();
        chunks.iter().any(chunk_flagged::<OR_FROM_EE>) || chunk_flagged::<OR_FROM_EE>(last_chunk)
    } else if let (Some(head), Some(tail)) = (bytes.first_chunk::<WORD>(), bytes.last_chunk::<WORD>()) {
        word_flags::<OR_FROM_EE>(*head) | word_flags::<OR_FROM_EE>(*tail) != 0
    } else {
        word_flags::<OR_FROM_EE>(short_word(bytes)) != 0
    }
}

/// With SIMD, LLVM turns the byte-wise fold into a few vector instructions; without (the Worker's
/// wasm), two SWAR words are much cheaper than sixteen byte tests.
#[inline]
fn chunk_flagged<const OR_FROM_EE: bool>(chunk: &[u8; CHUNK]) -> bool {
    if cfg!(any(target_feature = "sse2", target_feature = "neon", target_feature = "simd128")) {
        chunk_flagged_by_bytes::<OR_FROM_EE>(chunk)
    } else {
        chunk_flagged_by_words::<OR_FROM_EE>(chunk)
    }
}

#[inline]
fn chunk_flagged_by_bytes<const OR_FROM_EE: bool>(chunk: &[u8; CHUNK]) -> bool {
    chunk.iter().fold(false, |found, &byte| {
        found | (byte < 0x20) | (byte == b'"') | (byte == b'\\') | (OR_FROM_EE & (byte >= 0xEE))
    })
}

#[inline]
fn chunk_flagged_by_words<const OR_FROM_EE: bool>(chunk: &[u8; CHUNK]) -> bool {
    let (words, _) = chunk.as_chunks::<WORD>();
    words.iter().fold(0, |flags, word| flags | word_flags::<OR_FROM_EE>(*word)) != 0
}

#[inline]
fn word_flags<const OR_FROM_EE: bool>(word: [u8; WORD]) -> u64 {
    let word = u64::from_le_bytes(word);
    // Per byte, the high bit survives when the byte has it and its low seven bits reach 0x6E; no
    // carry crosses bytes, so this is exact.
    let from_ee = if OR_FROM_EE { ((word & !HIGH_BITS) + EVERY_BYTE * 0x12) & word & HIGH_BITS } else { 0 };
    escape_flags(word) | from_ee
}

/// Sets the high bit of each byte of `word` that is below 0x20, `"` or `\`. Borrows can flag bytes
/// above a real hit, never below it, so the lowest flag is exact and "any flag" is exact.
#[inline]
fn escape_flags(word: u64) -> u64 {
    let control = word.wrapping_sub(EVERY_BYTE * 0x20) & !word;
    let quote = word ^ (EVERY_BYTE * u64::from(b'"'));
    let backslash = word ^ (EVERY_BYTE * u64::from(b'\\'));
    let zero_after_quote = quote.wrapping_sub(EVERY_BYTE) & !quote;
    let zero_after_backslash = backslash.wrapping_sub(EVERY_BYTE) & !backslash;
    (control | zero_after_quote | zero_after_backslash) & HIGH_BITS
}

/// The index of the first byte from `from` on that must be escaped.
fn next_byte_to_escape(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    let mut rest = bytes.get(from..).unwrap_or_default();
    while let Some((chunk, after)) = rest.split_first_chunk::<CHUNK>() {
        if chunk_flagged::<false>(chunk) {
            break;
        }
        at += CHUNK;
        rest = after;
    }
    // Words are read little-endian, so the lowest flag is the first byte in the string.
    while let Some((word, after)) = rest.split_first_chunk::<WORD>() {
        let flags = escape_flags(u64::from_le_bytes(*word));
        if flags != 0 {
            return Some(at + first_flagged_byte(flags));
        }
        at += WORD;
        rest = after;
    }
    let flags = escape_flags(u64::from_le_bytes(short_word(rest)));
    (flags != 0).then(|| at + first_flagged_byte(flags))
}

#[inline]
fn first_flagged_byte(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}

/// The fewer than eight `bytes` followed by spaces, which no check flags, read with two overlapping
/// loads instead of a byte loop.
#[inline]
fn short_word(bytes: &[u8]) -> [u8; WORD] {
    let length = bytes.len();
    let word = if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << (8 * (length - 4))
    } else if let (Some(head), Some(tail)) = (bytes.first_chunk::<2>(), bytes.last_chunk::<2>()) {
        u64::from(u16::from_le_bytes(*head)) | u64::from(u16::from_le_bytes(*tail)) << (8 * (length - 2))
    } else {
        bytes.first().map_or(0, |&only| u64::from(only))
    };
    let spaces = (EVERY_BYTE * u64::from(b' ')).checked_shl(8 * length as u32).unwrap_or(0);
    (word | spaces).to_le_bytes()
}

fn push_escape(out: &mut Vec<u8>, byte: u8) {
    const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
    let short: &[u8] = match byte {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        0x08 => b"\\b",
        b'\t' => b"\\t",
        b'\n' => b"\\n",
        0x0c => b"\\f",
        b'\r' => b"\\r",
        _ => {
            let hex = [HEX_DIGITS[usize::from(byte >> 4)], HEX_DIGITS[usize::from(byte & 0x0f)]];
            out.extend_from_slice(b"\\u00");
            out.extend_from_slice(&hex);
            return;
        }
    };
    out.extend_from_slice(short);
}

/// The oracle this writer is tested and fuzzed against: what `Content` did before it (copy the
/// object, drop the fields and the `null` members, then the reference RFC 8785 crate).
#[cfg(any(test, feature = "reference-canonicalizer"))]
pub fn reference_canonical_object(object: &Map<String, Value>, omitted_fields: &[&str]) -> String {
    fn drop_nulls(value: Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, drop_nulls(v))).collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(drop_nulls).collect()),
            other => other,
        }
    }
    let mut copy = object.clone();
    for field in omitted_fields {
        copy.remove(*field);
    }
    serde_json_canonicalizer::to_string(&drop_nulls(Value::Object(copy))).expect("values canonicalize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::SERVER_FIELDS;
    use serde_json::json;

    fn assert_matches_reference(object: &Map<String, Value>) {
        for omitted in [&SERVER_FIELDS[..], &[]] {
            let ours = canonical_object(object, omitted);
            let expected = reference_canonical_object(object, omitted);
            assert_eq!(ours, expected, "input: {}", Value::Object(object.clone()));
        }
    }

    fn check(value: Value) {
        assert_matches_reference(value.as_object().expect("test inputs are objects"));
    }

    fn check_text(json: &str) {
        let Value::Object(object) = serde_json::from_str(json).expect("test input parses") else {
            panic!("test input is an object: {json}");
        };
        assert_matches_reference(&object);
    }

    #[test]
    fn maps_iterate_in_code_point_order() {
        // The writer depends on this; `preserve_order` anywhere in the build would break it.
        let object: Map<String, Value> = serde_json::from_str(r#"{"b": 1, "a": 2}"#).unwrap();
        assert_eq!(object.keys().next().map(String::as_str), Some("a"));
    }

    #[test]
    fn exact_text_of_simple_documents() {
        let object = json!({"b": [1, null, {"x": null}], "a": "é\u{2028}\u{7f}\"\\\n", "id": 3, "c": null});
        let object = object.as_object().unwrap();
        assert_eq!(
            canonical_object(object, &SERVER_FIELDS),
            "{\"a\":\"é\u{2028}\u{7f}\\\"\\\\\\n\",\"b\":[1,null,{}]}"
        );
        assert_eq!(canonical_object(&Map::new(), &SERVER_FIELDS), "{}");
    }

    #[test]
    fn every_control_character_and_escape() {
        for code in 0u32..0x80 {
            let ch = char::from_u32(code).unwrap();
            for text in [
                ch.to_string(),
                format!("a{ch}"),
                format!("{ch}0123456789abcdef{ch}"),
                ch.to_string().repeat(9),
            ] {
                check(json!({ text.clone(): text }));
            }
        }
        let all_controls: String = (0u8..0x20).map(char::from).collect();
        check(json!({ "s": all_controls, "k\u{1}": "\"\\/", "\\": "\u{7f}\u{80}\u{2028}\u{2029}" }));
    }

    #[test]
    fn escapes_at_every_position_of_a_word() {
        // Each special character is followed by one that is a single step above an escaped byte
        // (space, `#`, `]`), where a word-at-a-time scan that lets borrows leak would misfire.
        for length in 1..40 {
            for position in 0..length {
                for special in ['"', '\\', '\n', '\u{1f}', '\u{0}', 'é', '😀'] {
                    for neighbour in ["", " ", "#", "]", "  "] {
                        let mut text: String = "x".repeat(length);
                        text.replace_range(position..position + 1, &format!("{special}{neighbour}"));
                        check(json!({ "s": text }));
                    }
                }
            }
        }
    }

    #[test]
    fn non_ascii_text() {
        check(json!({
            "emoji": "😀👩‍👩‍👧 ok", "mixed": "a\u{e9}\u{2028}\u{ffff}\u{10ffff}\u{1}", "zh": "学生",
            "😀": 1, "é": 2, "\u{ffff}": 3, "\u{10000}": 4, "\u{e000}": 5, "\u{d7ff}": 6, "z": 7,
        }));
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+E000 comes after U+10000 in code points but before it in UTF-16 (0xE000 > 0xD800).
        let object = json!({"\u{e000}": 1, "\u{10000}": 2});
        let object = object.as_object().unwrap();
        assert_eq!(object.keys().next().map(String::as_str), Some("\u{e000}"));
        assert_eq!(canonical_object(object, &[]), "{\"\u{10000}\":2,\"\u{e000}\":1}");
        check(
            json!({"\u{e000}": 1, "\u{10000}": 2, "a": 0, "\u{ffff}": null, "\u{1f600}": [{"\u{fffd}": 1, "\u{1f600}": 2}]}),
        );
        check(
            json!({"a\u{e000}": 1, "a\u{10000}": 2, "a": 3, "b": 4, "a\u{d7ff}": 5, "\u{10ffff}": 6, "\u{e000}x": null}),
        );
        check(json!({"id\u{e000}": 1, "id": 2, "_etag\u{10000}": 3, "_etag": 4}));
    }

    #[test]
    fn nulls_are_dropped_from_objects_and_kept_in_arrays() {
        check(json!({
            "a": null, "b": {"c": null, "d": {"e": null}}, "f": [null, {"g": null}, [null, {}]], "h": [],
            "i": {}, "j": [[[]]],
        }));
        check(json!({"only": null}));
    }

    #[test]
    fn deep_nesting_as_deep_as_serde_json_parses() {
        let depth = 63; // An array and an object per step: 127 levels, serde_json's limit is 128.
        let text = format!("{{\"a\":{}1{}}}", "[{\"b\":null,\"c\":".repeat(depth), "}]".repeat(depth));
        check_text(&text);
    }

    #[test]
    fn server_fields_are_omitted_at_the_top_only() {
        check(json!({
            "id": "x", "_etag": "y", "_lastModifiedDate": "z", "changeVersion": 4, "a": 1,
            "nested": {"id": "kept", "_etag": "kept", "changeVersion": 1}, "list": [{"id": 1}],
        }));
    }

    #[test]
    fn numbers_print_as_ecmascript_does() {
        let texts =
            "0 -0 0.0 -0.0 1 -1 1.0 1e0 1E2 12e1 1.5 0.1 0.3 1e21 1e20 123456789012345678901 1e-6 1e-7 \
            1.2e-7 5e-324 -5e-324 2.2250738585072014e-308 1.7976931348623157e308 -1.7976931348623157e308 \
            9007199254740991 9007199254740992 9007199254740993 -9007199254740991 -9007199254740992 \
            -9007199254740993 18446744073709551615 18446744073709551616 9223372036854775807 \
            -9223372036854775808 -9223372036854775809 4294967296 1e300 123.456 -0.000001 \
            333333333.33333329 1424953923781206.2 4.50 2e-3 0.000001 100000000000000000000 \
            99999999999999999999 0.1e1 1e-400 -1e-400";
        for text in texts.split_whitespace() {
            check_text(&format!(r#"{{"n": {text}, "list": [{text}]}}"#));
        }
        check(
            json!({"u": u64::MAX, "i": i64::MIN, "imax": i64::MAX, "p": (1u64 << 53) + 1, "m": -(1i64 << 53) - 1}),
        );
    }

    #[test]
    fn clean_strings_of_every_length() {
        for length in 0..=70 {
            for unit in ["a", "é", "\u{e000}", "😀", "\u{7f}"] {
                let text = unit.repeat(length);
                check(json!({ text.clone(): text, "k": text }));
            }
        }
        // A key with a character from U+E000 anywhere, past the first word and chunk included.
        for position in 0..40 {
            let mut key = "k".repeat(40);
            key.replace_range(position..position + 1, "\u{e000}");
            check(json!({ key.clone(): 1, "\u{10000}": 2, "a": 3 }));
        }
    }

    #[test]
    fn chunk_checks_agree_byte_by_byte() {
        let mut random = Random(0x2545_f491_4f6c_dd1d);
        let interesting =
            [0x00, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xed, 0xee, 0xff];
        for _ in 0..20_000 {
            let mut chunk = [0u8; CHUNK];
            for byte in &mut chunk {
                *byte = match random.below(3) {
                    0 => *random.pick(&interesting),
                    1 => random.next() as u8,
                    _ => b'a' + random.below(26) as u8,
                };
            }
            let escape = chunk.iter().any(|&byte| byte < 0x20 || byte == b'"' || byte == b'\\');
            let from_ee = chunk.iter().any(|&byte| byte >= 0xEE);
            assert_eq!(chunk_flagged_by_bytes::<false>(&chunk), escape, "{chunk:?}");
            assert_eq!(chunk_flagged_by_words::<false>(&chunk), escape, "{chunk:?}");
            assert_eq!(chunk_flagged_by_bytes::<true>(&chunk), escape || from_ee, "{chunk:?}");
            assert_eq!(chunk_flagged_by_words::<true>(&chunk), escape || from_ee, "{chunk:?}");
            let first = chunk.iter().position(|&byte| byte < 0x20 || byte == b'"' || byte == b'\\');
            assert_eq!(next_byte_to_escape(&chunk, 0), first, "{chunk:?}");
        }
    }

    /// xorshift64*: deterministic, so a failure reproduces.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, bound: u64) -> u64 {
            self.next() % bound
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len() as u64) as usize]
        }

        fn text(&mut self, max_chars: u64) -> String {
            const CHARS: [char; 24] = [
                'a',
                'b',
                'Z',
                '0',
                ' ',
                '/',
                '"',
                '\\',
                '\n',
                '\t',
                '\u{0}',
                '\u{8}',
                '\u{1f}',
                '\u{7f}',
                'é',
                '\u{2028}',
                '学',
                '\u{d7ff}',
                '\u{e000}',
                '\u{fffd}',
                '\u{ffff}',
                '\u{10000}',
                '😀',
                '\u{10ffff}',
            ];
            let length = self.below(max_chars + 1);
            (0..length)
                .map(|_| match self.below(4) {
                    0 => *self.pick(&CHARS),
                    _ => char::from(b'a' + self.below(26) as u8),
                })
                .collect()
        }

        fn number(&mut self) -> Value {
            match self.below(8) {
                0 => json!(self.next()),
                1 => json!(self.next() as i64),
                2 => json!(self.below(1 << 54) as i64 - (1 << 53)),
                3 => json!(self.below(1000)),
                4 => {
                    let bits = self.next();
                    let double = f64::from_bits(bits);
                    if double.is_finite() {
                        json!(double)
                    } else {
                        json!(f64::from_bits(bits >> 12))
                    }
                }
                5 => json!((self.next() as i64 as f64) / 1000.0),
                6 => json!(self.below(1 << 20) as f64 * 10f64.powi(self.below(60) as i32 - 30)),
                _ => json!(self.below(1000) as f64 / 8.0),
            }
        }

        fn key(&mut self) -> String {
            match self.below(6) {
                0 => self.pick(&SERVER_FIELDS).to_string(),
                1 => self.text(2),
                _ => self.text(10),
            }
        }

        fn value(&mut self, depth: u32) -> Value {
            let kind = if depth >= 5 { self.below(5) } else { self.below(8) };
            match kind {
                0 => Value::Null,
                1 => Value::Bool(self.below(2) == 0),
                2 => self.number(),
                3 | 4 => Value::String(self.text(40)),
                5 | 6 => Value::Object(self.object(depth + 1)),
                _ => Value::Array((0..self.below(5)).map(|_| self.value(depth + 1)).collect()),
            }
        }

        fn object(&mut self, depth: u32) -> Map<String, Value> {
            (0..self.below(8)).map(|_| (self.key(), self.value(depth))).collect()
        }
    }

    #[test]
    fn pseudo_random_documents_match_the_reference() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        for _ in 0..4000 {
            let object = random.object(0);
            assert_matches_reference(&object);
            // A second spelling of the same content, through text, canonicalizes the same.
            let reparsed: Map<String, Value> =
                serde_json::from_str(&Value::Object(object.clone()).to_string()).unwrap();
            assert_eq!(
                canonical_object(&reparsed, &SERVER_FIELDS),
                canonical_object(&object, &SERVER_FIELDS)
            );
        }
    }
}
