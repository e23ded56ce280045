//! Limits on what a request may carry, so hostile input is a clear 4xx and never a large
//! allocation, a deep recursion or a 5xx.

use crate::problem::Problem;

/// All header names and values together.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// One header value (an `If-Match` list, a token).
pub const MAX_HEADER_VALUE_BYTES: usize = 8 * 1024;
pub const MAX_QUERY_BYTES: usize = 4 * 1024;
pub const MAX_QUERY_PARAMETERS: usize = 32;
pub const MAX_PATH_BYTES: usize = 1024;
/// A token request's body: a form or JSON object with a grant type and two short credentials.
pub const MAX_TOKEN_REQUEST_BYTES: usize = 8 * 1024;
/// Nesting of arrays and objects in a body; Ed-Fi documents need a handful.
pub const MAX_JSON_DEPTH: usize = 32;

/// Checks the request line and headers.
pub fn check_head<'a>(
    path: &str,
    query: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), Problem> {
    if path.len() > MAX_PATH_BYTES {
        return Err(too_large(
            414,
            "URI Too Long",
            format!("The path is longer than {MAX_PATH_BYTES} bytes."),
        ));
    }
    if query.len() > MAX_QUERY_BYTES {
        return Err(too_large(
            414,
            "URI Too Long",
            format!("The query string is longer than {MAX_QUERY_BYTES} bytes."),
        ));
    }
    let parameters = form_urlencoded::parse(query.as_bytes()).count();
    if parameters > MAX_QUERY_PARAMETERS {
        return Err(Problem::bad_request(format!(
            "At most {MAX_QUERY_PARAMETERS} query parameters are accepted."
        )));
    }
    let mut total = 0;
    for (name, value) in headers {
        if value.len() > MAX_HEADER_VALUE_BYTES {
            return Err(too_large(
                431,
                "Request Header Fields Too Large",
                format!("The '{name}' header is longer than {MAX_HEADER_VALUE_BYTES} bytes."),
            ));
        }
        total += name.len() + value.len();
    }
    if total > MAX_HEADER_BYTES {
        return Err(too_large(
            431,
            "Request Header Fields Too Large",
            format!("The headers are larger than {MAX_HEADER_BYTES} bytes."),
        ));
    }
    Ok(())
}

fn too_large(status: u16, title: &str, detail: String) -> Problem {
    let mut problem = Problem::bad_request(detail);
    problem.status = status;
    problem.title = title.to_owned();
    problem
}

/// Whether JSON text nests arrays and objects deeper than [`MAX_JSON_DEPTH`]. A byte scan that
/// skips strings, run before parsing so a hostile body never reaches a recursive parser.
pub fn json_too_deep(body: &[u8]) -> bool {
    let mut depth = 0usize;
    for (_, byte) in outside_strings(body) {
        match byte {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The bytes of JSON text that are not inside a string (nor its quotes), with their positions.
fn outside_strings(body: &[u8]) -> impl Iterator<Item = (usize, u8)> + '_ {
    let (mut in_string, mut escaped) = (false, false);
    body.iter().enumerate().filter_map(move |(i, &byte)| {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            return None;
        }
        if byte == b'"' {
            in_string = true;
            return None;
        }
        Some((i, byte))
    })
}

/// Significant digits a number with a fraction or an exponent may have: any decimal of at most
/// 15 significant digits survives the trip through a double (IEEE 754 keeps 15.95), so canonical
/// JSON, which writes every number as its double, writes back the value that was sent.
pub const MAX_EXACT_DIGITS: usize = 15;

/// The first number in valid JSON text that canonical JSON could not store as sent: one written
/// with a fraction or an exponent and more than [`MAX_EXACT_DIGITS`] significant digits
/// (`1.0000000000000001` would be stored as `1`). Integers are exact as parsed and are checked
/// against their field's range instead.
pub fn inexact_number(body: &[u8]) -> Option<String> {
    let mut skip_to = 0;
    for (start, byte) in outside_strings(body) {
        if start < skip_to || !(byte == b'-' || byte.is_ascii_digit()) {
            continue;
        }
        let length = body[start..]
            .iter()
            .take_while(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
            .count();
        skip_to = start + length;
        let token = std::str::from_utf8(&body[start..skip_to]).unwrap_or_default();
        if token.contains(['.', 'e', 'E']) && significant_digits(token) > MAX_EXACT_DIGITS {
            return Some(token.to_owned());
        }
    }
    None
}

/// The significant digits of a JSON number's mantissa: from the first non-zero digit to the last.
fn significant_digits(token: &str) -> usize {
    let mantissa = token.split(['e', 'E']).next().unwrap_or_default();
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_beyond_what_a_double_keeps_are_found() {
        for exact in [
            &br#"{"a": 1.5, "b": -0.000123, "c": 123456789012.345, "d": 1e300, "e": 9007199254740993}"#[..],
            br#"{"s": "1.0000000000000001 inside a string", "t": "\"2.00000000000000001"}"#,
            br#"[100000000000000000000, 0.1, 12345.678900000000000]"#,
        ] {
            assert_eq!(inexact_number(exact), None, "{}", String::from_utf8_lossy(exact));
        }
        for (body, token) in [
            (&br#"{"a": 1.0000000000000001}"#[..], "1.0000000000000001"),
            (br#"[0.12345678901234567]"#, "0.12345678901234567"),
            (br#"{"x": {"y": [1, -1234567890.1234567]}}"#, "-1234567890.1234567"),
            (br#"{"z": 1.2345678901234567e5}"#, "1.2345678901234567e5"),
        ] {
            assert_eq!(inexact_number(body).as_deref(), Some(token));
        }
    }

    #[test]
    fn json_depth_ignores_brackets_in_strings() {
        let nested = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(!json_too_deep(nested(MAX_JSON_DEPTH).as_bytes()));
        assert!(json_too_deep(nested(MAX_JSON_DEPTH + 1).as_bytes()));
        let brackets_in_string = format!(r#"{{"a":"{}\"{}"}}"#, "[".repeat(100), "{".repeat(100));
        assert!(!json_too_deep(brackets_in_string.as_bytes()));
    }

    #[test]
    fn heads_within_limits_pass_and_beyond_are_4xx() {
        assert!(check_head("/data/v3/ed-fi/students", "limit=5", [("If-Match", "\"a\"")]).is_ok());
        let status = |path: &str, query: &str, headers: Vec<(&str, &str)>| {
            check_head(path, query, headers).unwrap_err().status
        };
        assert_eq!(status(&"/a".repeat(600), "", vec![]), 414);
        assert_eq!(status("/", &"a=1&".repeat(1100), vec![]), 414);
        assert_eq!(status("/", &"a=1&".repeat(40), vec![]), 400);
        let long = "x".repeat(MAX_HEADER_VALUE_BYTES + 1);
        assert_eq!(status("/", "", vec![("If-Match", &long)]), 431);
        let medium = "x".repeat(6000);
        assert_eq!(status("/", "", vec![("a", &medium), ("b", &medium), ("c", &medium)]), 431);
    }
}
