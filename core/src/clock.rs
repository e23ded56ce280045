//! Formatting of caller-supplied Unix times (the core reads no clock).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

fn at(unix_seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix_seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `_lastModifiedDate`: UTC, RFC 3339, whole seconds (`2026-11-25T10:44:01Z`).
pub fn rfc3339(unix_seconds: i64) -> String {
    at(unix_seconds).format(&Rfc3339).expect("a valid time formats")
}

/// `Last-Modified`: the IMF-fixdate form of RFC 9110 §5.6.7 (`Wed, 25 Nov 2026 10:44:01 GMT`).
pub fn http_date(unix_seconds: i64) -> String {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    at(unix_seconds).format(&format).expect("a valid time formats")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_both_forms() {
        assert_eq!(rfc3339(1_795_603_441), "2026-11-25T10:44:01Z");
        assert_eq!(http_date(1_795_603_441), "Wed, 25 Nov 2026 10:44:01 GMT");
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
