//! Entity tags and the `If-Match` / `If-None-Match` header values (RFC 9110 §8.8.3, §13.1).
//!
//! Besides the RFC forms, an unquoted value (`If-Match: abc`) is read as the strong tag `"abc"`,
//! because Ed-Fi clients send the `_etag` field back that way.

use std::fmt;

/// One entity tag: an opaque string, strong or weak.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EntityTag {
    weak: bool,
    opaque: String,
}

/// Why a header value is not a valid entity-tag list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidEntityTag {
    pub reason: &'static str,
}

impl fmt::Display for InvalidEntityTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

impl EntityTag {
    /// A strong tag. The opaque value must be made of `etagc` characters.
    pub fn strong(opaque: impl Into<String>) -> Result<Self, InvalidEntityTag> {
        Self::new(false, opaque.into())
    }

    pub fn weak(opaque: impl Into<String>) -> Result<Self, InvalidEntityTag> {
        Self::new(true, opaque.into())
    }

    fn new(weak: bool, opaque: String) -> Result<Self, InvalidEntityTag> {
        if opaque.bytes().all(is_etagc) {
            Ok(Self { weak, opaque })
        } else {
            Err(InvalidEntityTag {
                reason: "an entity tag may not contain quotes, spaces or control characters",
            })
        }
    }

    pub fn is_weak(&self) -> bool {
        self.weak
    }

    /// The value without quotes or `W/`, as carried in a body's `_etag` field.
    pub fn opaque(&self) -> &str {
        &self.opaque
    }

    /// RFC 9110 §8.8.3.2 strong comparison: both strong and the same characters.
    pub fn strong_eq(&self, other: &EntityTag) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// RFC 9110 §8.8.3.2 weak comparison: the same characters, weakness ignored.
    pub fn weak_eq(&self, other: &EntityTag) -> bool {
        self.opaque == other.opaque
    }

    /// Parses one tag: `"x"`, `W/"x"`, or the unquoted Ed-Fi form `x`.
    pub fn parse(text: &str) -> Result<Self, InvalidEntityTag> {
        let text = text.trim_matches([' ', '\t']);
        if text.is_empty() {
            return Err(InvalidEntityTag { reason: "empty entity tag" });
        }
        let (weak, rest) = match text.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if let Some(quoted) = rest.strip_prefix('"') {
            let Some(opaque) = quoted.strip_suffix('"') else {
                return Err(InvalidEntityTag { reason: "unterminated quoted entity tag" });
            };
            return Self::new(weak, opaque.to_owned());
        }
        if weak {
            return Err(InvalidEntityTag { reason: "a weak entity tag must be quoted" });
        }
        if rest.contains('"') {
            return Err(InvalidEntityTag { reason: "stray quote in entity tag" });
        }
        Self::new(false, rest.to_owned())
    }
}

impl fmt::Display for EntityTag {
    /// The header form: `"x"` or `W/"x"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.weak {
            f.write_str("W/")?;
        }
        write!(f, "\"{}\"", self.opaque)
    }
}

/// `etagc = %x21 / %x23-7E / obs-text`: anything visible but `"`.
fn is_etagc(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80
}

/// The condition that any current representation meets, as a header says it: `If-None-Match: *`
/// is a create-only write.
pub const ANY: &str = "*";

/// The value of an `If-Match` or `If-None-Match` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagCondition {
    /// `*`: any current representation.
    Any,
    /// A non-empty list of tags.
    Tags(Vec<EntityTag>),
}

impl TagCondition {
    /// Parses a header value (several header lines already joined with `,`).
    /// A malformed value is an error, never "absent": a client that sent a precondition must not
    /// have its write applied unconditionally.
    pub fn parse(value: &str) -> Result<Self, InvalidEntityTag> {
        let items = split_list(value)?;
        if items.is_empty() {
            return Err(InvalidEntityTag { reason: "empty header value" });
        }
        if items.contains(&ANY) {
            if items.len() > 1 {
                return Err(InvalidEntityTag { reason: "`*` cannot be combined with entity tags" });
            }
            return Ok(TagCondition::Any);
        }
        items.into_iter().map(EntityTag::parse).collect::<Result<Vec<_>, _>>().map(TagCondition::Tags)
    }

    /// `If-Match` evaluation (RFC 9110 §13.1.1): true when `current` exists and `*` was given, or
    /// a listed tag matches it by strong comparison. A weak tag never matches.
    pub fn matches_strong(&self, current: Option<&EntityTag>) -> bool {
        match (self, current) {
            (_, None) => false,
            (TagCondition::Any, Some(_)) => true,
            (TagCondition::Tags(tags), Some(current)) => tags.iter().any(|t| t.strong_eq(current)),
        }
    }

    /// `If-None-Match` evaluation (RFC 9110 §13.1.2): true (the condition *fails*) when `current`
    /// exists and `*` was given, or a listed tag matches it by weak comparison.
    pub fn matches_weak(&self, current: Option<&EntityTag>) -> bool {
        match (self, current) {
            (_, None) => false,
            (TagCondition::Any, Some(_)) => true,
            (TagCondition::Tags(tags), Some(current)) => tags.iter().any(|t| t.weak_eq(current)),
        }
    }
}

/// Splits a comma-separated list, keeping commas inside quotes, dropping empty elements
/// (RFC 9110 §5.6.1 allows them) and rejecting an unterminated quote.
fn split_list(value: &str) -> Result<Vec<&str>, InvalidEntityTag> {
    let mut items = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in value.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                push_item(&mut items, &value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if in_quotes {
        return Err(InvalidEntityTag { reason: "unterminated quoted entity tag" });
    }
    push_item(&mut items, &value[start..]);
    Ok(items)
}

fn push_item<'a>(items: &mut Vec<&'a str>, item: &'a str) {
    let item = item.trim_matches([' ', '\t']);
    if !item.is_empty() {
        items.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> EntityTag {
        EntityTag::parse(s).unwrap()
    }

    /// The comparison table of RFC 9110 §8.8.3.2.
    #[test]
    fn rfc_9110_comparison_table() {
        let rows = [
            (r#"W/"1""#, r#"W/"1""#, false, true),
            (r#"W/"1""#, r#"W/"2""#, false, false),
            (r#"W/"1""#, r#""1""#, false, true),
            (r#""1""#, r#""1""#, true, true),
        ];
        for (a, b, strong, weak) in rows {
            assert_eq!(tag(a).strong_eq(&tag(b)), strong, "strong {a} {b}");
            assert_eq!(tag(a).weak_eq(&tag(b)), weak, "weak {a} {b}");
            assert_eq!(tag(b).strong_eq(&tag(a)), strong, "strong is symmetric");
            assert_eq!(tag(b).weak_eq(&tag(a)), weak, "weak is symmetric");
        }
    }

    #[test]
    fn parses_rfc_forms_and_the_unquoted_ed_fi_form() {
        assert_eq!(tag(r#""abc""#), EntityTag::strong("abc").unwrap());
        assert_eq!(tag(r#"W/"abc""#), EntityTag::weak("abc").unwrap());
        assert_eq!(tag("-8588261538364775808"), EntityTag::strong("-8588261538364775808").unwrap());
        assert_eq!(tag(r#""""#).opaque(), "", "an empty quoted tag is valid");
    }

    #[test]
    fn displays_header_form() {
        assert_eq!(EntityTag::strong("a").unwrap().to_string(), r#""a""#);
        assert_eq!(EntityTag::weak("a").unwrap().to_string(), r#"W/"a""#);
    }

    #[test]
    fn rejects_malformed_tags() {
        for bad in ["", "  ", r#""abc"#, r#"W/abc"#, r#"a"b"#, r#""a b""#, "W/", r#""a"b""#] {
            assert!(EntityTag::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(EntityTag::strong("a\"b").is_err());
    }

    #[test]
    fn parses_lists_and_star() {
        assert_eq!(TagCondition::parse("*").unwrap(), TagCondition::Any);
        assert_eq!(TagCondition::parse(" * ").unwrap(), TagCondition::Any);
        let list = TagCondition::parse(r#""a", W/"b",c , "d,e""#).unwrap();
        assert_eq!(list, TagCondition::Tags(vec![tag(r#""a""#), tag(r#"W/"b""#), tag("c"), tag(r#""d,e""#)]));
        assert_eq!(TagCondition::parse(r#""a",,"b""#).unwrap(), TagCondition::parse(r#""a","b""#).unwrap());
    }

    #[test]
    fn rejects_malformed_lists() {
        for bad in ["", " ", ",", r#"*, "a""#, r#""a", *"#, r#""a"#, r#""a", "b"#, "a b"] {
            assert!(TagCondition::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn if_match_uses_strong_comparison() {
        let current = tag(r#""v1""#);
        assert!(TagCondition::parse(r#""v1""#).unwrap().matches_strong(Some(&current)));
        assert!(TagCondition::parse("v1").unwrap().matches_strong(Some(&current)));
        assert!(TagCondition::parse(r#""x", "v1""#).unwrap().matches_strong(Some(&current)));
        assert!(!TagCondition::parse(r#"W/"v1""#).unwrap().matches_strong(Some(&current)));
        assert!(!TagCondition::parse(r#""v2""#).unwrap().matches_strong(Some(&current)));
        assert!(TagCondition::Any.matches_strong(Some(&current)));
        assert!(!TagCondition::Any.matches_strong(None), "no current representation, no match");
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        let current = tag(r#""v1""#);
        assert!(TagCondition::parse(r#"W/"v1""#).unwrap().matches_weak(Some(&current)));
        assert!(TagCondition::parse(r#""v1""#).unwrap().matches_weak(Some(&current)));
        assert!(!TagCondition::parse(r#""v2""#).unwrap().matches_weak(Some(&current)));
        assert!(TagCondition::Any.matches_weak(Some(&current)));
        assert!(!TagCondition::Any.matches_weak(None));
    }
}
