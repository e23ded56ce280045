//! Cross-origin requests: off unless origins are configured (`CORS_ALLOWED_ORIGINS`).

/// The configured origins: `None` (CORS off), a list, or any origin.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AllowedOrigins {
    #[default]
    None,
    Any,
    List(Vec<String>),
}

const ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
const ALLOW_HEADERS: &str =
    "Authorization, Content-Type, If-Match, If-None-Match, Cache-Control, Idempotency-Key";
/// Browsers hide response headers unless listed; these carry the concurrency contract.
const EXPOSE_HEADERS: &str =
    "ETag, Location, Last-Modified, Total-Count, Next-Page-Token, Idempotency-Replayed";

impl AllowedOrigins {
    /// Reads `CORS_ALLOWED_ORIGINS`: empty or absent is off, `*` is any, else a comma list.
    pub fn parse(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            None | Some("") => AllowedOrigins::None,
            Some("*") => AllowedOrigins::Any,
            Some(list) => AllowedOrigins::List(
                list.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
        }
    }

    fn allows(&self, origin: &str) -> bool {
        match self {
            AllowedOrigins::None => false,
            AllowedOrigins::Any => true,
            AllowedOrigins::List(list) => list.iter().any(|o| o == origin),
        }
    }

    /// Headers for an actual response to `origin`; empty when it is not allowed.
    pub fn response_headers(&self, origin: Option<&str>) -> Vec<(&'static str, String)> {
        match origin {
            Some(origin) if self.allows(origin) => vec![
                ("Access-Control-Allow-Origin", origin.to_owned()),
                ("Access-Control-Expose-Headers", EXPOSE_HEADERS.to_owned()),
                ("Vary", "Origin".to_owned()),
            ],
            _ => Vec::new(),
        }
    }

    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`), or `None`
    /// when CORS does not apply and the request is handled like any other.
    pub fn preflight(
        &self,
        method: &str,
        origin: Option<&str>,
        request_method: Option<&str>,
    ) -> Option<Vec<(&'static str, String)>> {
        if method != "OPTIONS" || request_method.is_none() {
            return None;
        }
        let origin = origin.filter(|o| self.allows(o))?;
        Some(vec![
            ("Access-Control-Allow-Origin", origin.to_owned()),
            ("Access-Control-Allow-Methods", ALLOW_METHODS.to_owned()),
            ("Access-Control-Allow-Headers", ALLOW_HEADERS.to_owned()),
            ("Access-Control-Max-Age", "600".to_owned()),
            ("Vary", "Origin".to_owned()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default() {
        let off = AllowedOrigins::parse(None);
        assert_eq!(off, AllowedOrigins::None);
        assert!(off.response_headers(Some("https://app.example")).is_empty());
        assert!(off.preflight("OPTIONS", Some("https://app.example"), Some("PUT")).is_none());
    }

    #[test]
    fn listed_origins_only() {
        let cors = AllowedOrigins::parse(Some("https://a.example, https://b.example/"));
        assert!(cors.preflight("OPTIONS", Some("https://b.example"), Some("PUT")).is_some());
        assert!(cors.preflight("OPTIONS", Some("https://evil.example"), Some("PUT")).is_none());
        assert!(cors.preflight("GET", Some("https://a.example"), Some("PUT")).is_none());
        let headers = cors.response_headers(Some("https://a.example"));
        assert!(headers.iter().any(|(n, v)| *n == "Access-Control-Expose-Headers" && v.contains("ETag")));
        let replayed = crate::idempotency::REPLAYED_HEADER;
        assert!(headers.iter().any(|(n, v)| *n == "Access-Control-Expose-Headers" && v.contains(replayed)));
        assert!(ALLOW_HEADERS.split(", ").any(|h| h == crate::idempotency::HEADER));
        assert!(AllowedOrigins::parse(Some("*")).response_headers(Some("https://any.example")).len() == 3);
    }
}
