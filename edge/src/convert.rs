//! Conversions between the Workers runtime's HTTP types and `edfi-core`'s.

use std::borrow::Cow;

use futures_util::StreamExt;
use worker::{web_sys, Headers, Method, Request, RequestInit, Response, Result};

use edfi_core::engine::{self, Config, Context};
use edfi_core::problem::Problem;

/// The parts of a request's URL the API uses, sliced out of the runtime's serialized URL.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// Scheme and authority as the client used them, for absolute URLs in responses.
    pub origin: Cow<'a, str>,
    /// The path, still percent-encoded.
    pub path: &'a str,
    /// The query without `?`; empty when there is none.
    pub query: &'a str,
}

/// Splits an absolute URL as the runtime serializes it (WHATWG, already normalized), so each
/// request need not re-parse it: there `?` and `#` are percent-encoded inside the path, the
/// path of an `http(s)` URL is never empty, and a default port is never written.
pub fn url_parts(url: &str) -> UrlParts<'_> {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[authority_start..].find(['/', '?', '#']).map_or(url.len(), |i| authority_start + i);
    // User information is not part of an origin.
    let host_start =
        url[authority_start..path_start].rfind('@').map_or(authority_start, |i| authority_start + i + 1);
    let origin = if host_start == authority_start {
        Cow::Borrowed(&url[..path_start])
    } else {
        Cow::Owned(format!("{}{}", &url[..authority_start], &url[host_start..path_start]))
    };
    let rest = &url[path_start..];
    let rest = &rest[..rest.find('#').unwrap_or(rest.len())];
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    UrlParts { origin, path: if path.is_empty() { "/" } else { path }, query }
}

pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).expect("crypto.getRandomValues is always available in Workers");
    bytes
}

thread_local! {
    /// A random prefix drawn once per isolate, and the number of ids it has given out.
    static CORRELATION: (u64, std::cell::Cell<u64>) =
        (u64::from_le_bytes(random_bytes()[..8].try_into().expect("8 bytes")), std::cell::Cell::new(0));
}

/// A correlation id: 32 hex digits, unique across isolates by the random prefix and within one
/// by the counter. It only has to tell log lines apart, so it need not cost a random draw.
pub fn new_correlation_id() -> String {
    CORRELATION.with(|(prefix, count)| {
        count.set(count.get() + 1);
        format!("{prefix:016x}{:016x}", count.get())
    })
}

/// The engine's context for a request. `writes` says whether it may create an item (and so
/// needs random bytes for its id); a read gets none, sparing the call into the runtime.
pub fn context<'a>(base_url: &'a str, correlation_id: &'a str, now: i64, writes: bool) -> Context<'a> {
    let random = if writes { random_bytes() } else { [0; 16] };
    Context { now, random, correlation_id, base_url, client: "", client_name: "", admin: false, scope: None }
}

/// A header's value from a list read from the runtime (which joins repeated lines already).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// A 413 when `Content-Length` already says the body is over `limit`, so it is never read.
pub fn reject_oversized(
    content_length: Option<&str>,
    limit: usize,
    correlation_id: &str,
) -> Result<Option<Response>> {
    let declared = content_length.and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => too_large(limit, correlation_id).map(Some),
        _ => Ok(None),
    }
}

/// The 413 problem for a body over `limit`.
pub fn too_large(limit: usize, correlation_id: &str) -> Result<Response> {
    to_worker_response(engine::problem_response(Problem::payload_too_large(limit), correlation_id))
}

/// Reads a runtime request into the core's form, given its URL's parts and its headers (read
/// once by the caller). The body is read here, before the engine runs, so the engine itself
/// never awaits.
pub async fn to_core_request(
    req: &mut Request,
    url: &UrlParts<'_>,
    headers: Vec<(String, String)>,
) -> Result<edfi_core::Request> {
    let body = match req.method() {
        worker::Method::Post | worker::Method::Put => {
            let limit = Config::default().max_body_bytes;
            read_body(req, header(&headers, "Content-Length"), limit, DRAIN_LIMIT).await?
        }
        _ => Vec::new(),
    };
    Ok(edfi_core::Request {
        method: req.method().to_string(),
        path: url.path.to_owned(),
        query: url.query.to_owned(),
        headers,
        body,
    })
}

/// Past the size limit, a data request's body is still read (and dropped) up to this many bytes,
/// so the client gets the 413 on a cleanly closed connection instead of a reset that loses it.
pub const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// Reads the body in chunks and keeps at most one byte past `limit`, so a huge body without
/// `Content-Length` is refused (413) without being held in memory: every body the Worker or an
/// object reads comes through here. Reading stops once `drain_limit` bytes (at least `limit` + 1)
/// have arrived; a caller that answers 413 at once passes `limit`.
pub async fn read_body(
    req: &mut Request,
    content_length: Option<&str>,
    limit: usize,
    drain_limit: usize,
) -> Result<Vec<u8>> {
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    // A body whose length is declared and within the limit is read in one call: reading it
    // chunk by chunk costs each write several calls into JavaScript.
    let declared = content_length.and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length <= limit) {
        return req.bytes().await;
    }
    let mut stream = req.stream()?;
    let mut body = Vec::new();
    let mut seen = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        seen += chunk.len();
        if body.len() <= limit {
            body.extend_from_slice(&chunk[..chunk.len().min(limit + 1 - body.len())]);
        }
        if seen > drain_limit.max(limit) {
            break;
        }
    }
    Ok(body)
}

pub fn to_worker_response(response: edfi_core::Response) -> Result<Response> {
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.set(name, value)?;
    }
    headers.set("X-Content-Type-Options", "nosniff")?;
    let reply =
        if response.body.is_empty() { Response::empty()? } else { Response::from_bytes(response.body)? };
    Ok(reply.with_status(response.status).with_headers(headers))
}

/// A request between this Worker and a Durable Object, on a path no client can reach.
pub fn internal_request(method: Method, path: &str, body: Option<serde_json::Value>) -> Result<Request> {
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(body) = body {
        let headers = Headers::new();
        headers.set("Content-Type", "application/json")?;
        init.with_headers(headers).with_body(Some(body.to_string().into()));
    }
    Request::new_with_init(&format!("https://internal{path}"), &init)
}

/// Adds headers to a response (from this Worker or a Durable Object); unchanged when none.
pub fn with_headers(
    response: web_sys::Response,
    extra: &[(&'static str, String)],
) -> Result<web_sys::Response> {
    if extra.is_empty() {
        return Ok(response);
    }
    let headers = web_sys::Headers::new_with_headers(&response.headers())?;
    for (name, value) in extra {
        headers.set(name, value)?;
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(response.status());
    init.set_headers(&headers);
    Ok(web_sys::Response::new_with_opt_readable_stream_and_init(response.body().as_ref(), &init)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (String, &str, &str) {
        let UrlParts { origin, path, query } = url_parts(url);
        (origin.into_owned(), path, query)
    }

    #[test]
    fn url_parts_match_what_the_url_crate_reads() {
        for url in [
            "http://127.0.0.1:8787/data/v3/ed-fi/students?limit=5&offset=10",
            "https://api.example.org/",
            "https://api.example.org/a%3Fb/c?x=%23#fragment",
            "http://localhost:8787/data?",
            "https://user:pw@host.example/p?q",
            "http://[::1]:8787/metadata#top",
        ] {
            let parsed = worker::Url::parse(url).unwrap();
            let expected =
                (parsed.origin().ascii_serialization(), parsed.path(), parsed.query().unwrap_or(""));
            assert_eq!(parts(url), expected, "{url}");
        }
    }
}
