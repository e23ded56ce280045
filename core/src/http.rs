//! Plain request and response values, so the engine never touches a runtime's HTTP types.

/// An incoming request. Header names are matched case-insensitively.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub method: String,
    /// The URL path, still percent-encoded (`/data/v3/ed-fi/students`).
    pub path: String,
    /// The raw query string without `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn new(method: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        Self { method: method.to_owned(), path: path.to_owned(), query: query.to_owned(), ..Self::default() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The value of a header; repeated lines are joined with `, ` as RFC 9110 §5.3 allows.
    pub fn header_value(&self, name: &str) -> Option<String> {
        let mut values =
            self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        let first = values.next()?;
        Some(values.fold(first.to_owned(), |mut joined, v| {
            joined.push_str(", ");
            joined.push_str(v);
            joined
        }))
    }
}

/// An outgoing response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// What the request committed, in the order it was written: the effects a caller publishes
    /// (the edge's read replica), returned rather than reported through the store.
    pub committed: Vec<crate::store::Change>,
}

pub const JSON: &str = crate::wire::JSON_CONTENT_TYPE;
pub const PROBLEM_JSON: &str = "application/problem+json";

impl Response {
    pub fn empty(status: u16) -> Self {
        Self { status, headers: Vec::new(), body: Vec::new(), committed: Vec::new() }
    }

    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type", JSON.to_owned())],
            body: body.into(),
            committed: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}
