//! Conversions between the Workers runtime's HTTP types and `edfi-core`'s.

use futures_util::StreamExt;
use worker::{Headers, Method, Request, RequestInit, Response, Result, Url};

use edfi_core::engine::{self, Config, Context};
use edfi_core::problem::Problem;

/// Scheme and authority as the client used them, for absolute URLs in responses.
pub fn base_url(url: &Url) -> String {
    url.origin().ascii_serialization()
}

pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).expect("crypto.getRandomValues is always available in Workers");
    bytes
}

pub fn new_correlation_id() -> String {
    random_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn context<'a>(base_url: &'a str, correlation_id: &'a str, now: i64) -> Context<'a> {
    Context { now, random: random_bytes(), correlation_id, base_url, client: "" }
}

/// A 413 when `Content-Length` already says the body is over the limit, so it is never read.
pub fn reject_oversized(req: &Request, correlation_id: &str) -> Result<Option<Response>> {
    let limit = Config::default().max_body_bytes;
    let declared = req.headers().get("Content-Length")?.and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => {
            let problem = Problem::payload_too_large(limit);
            to_worker_response(engine::problem_response(problem, correlation_id)).map(Some)
        }
        _ => Ok(None),
    }
}

/// Reads a runtime request into the core's form. The body is read here, before the engine
/// runs, so the engine itself never awaits.
pub async fn to_core_request(req: &mut Request) -> Result<edfi_core::Request> {
    let url = req.url()?;
    let headers = req.headers().entries().collect();
    let body = match req.method() {
        worker::Method::Post | worker::Method::Put => read_body(req).await?,
        _ => Vec::new(),
    };
    Ok(edfi_core::Request {
        method: req.method().to_string(),
        path: url.path().to_owned(),
        query: url.query().unwrap_or("").to_owned(),
        headers,
        body,
    })
}

/// Past the size limit, a body is still read (and dropped) up to this many bytes, so the client
/// gets the 413 on a cleanly closed connection instead of a reset that loses it.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// Reads the body in chunks and keeps at most one byte past the limit, so a huge body without
/// `Content-Length` is refused (413 by the engine) without being held in memory.
async fn read_body(req: &mut Request) -> Result<Vec<u8>> {
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let limit = Config::default().max_body_bytes;
    let mut stream = req.stream()?;
    let mut body = Vec::new();
    let mut seen = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        seen += chunk.len();
        if body.len() <= limit {
            body.extend_from_slice(&chunk[..chunk.len().min(limit + 1 - body.len())]);
        }
        if seen > DRAIN_LIMIT {
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

/// The same request, naming the calling client and its instance in [`crate::CLIENT_HEADER`] and
/// [`crate::INSTANCE_HEADER`] (values a caller sent there are replaced). The body streams
/// through unread.
pub fn with_identity(req: Request, client: &str, instance: &str) -> Result<Request> {
    let headers = Headers::new();
    for (name, value) in req.headers().entries() {
        headers.append(&name, &value)?;
    }
    headers.set(crate::CLIENT_HEADER, client)?;
    headers.set(crate::INSTANCE_HEADER, instance)?;
    let mut init = RequestInit::new();
    init.with_method(req.method()).with_headers(headers);
    if let Some(body) = req.inner().body() {
        init.with_body(Some(body.into()));
    }
    Request::new_with_init(req.url()?.as_ref(), &init)
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
pub fn with_headers(response: Response, extra: &[(&'static str, String)]) -> Result<Response> {
    if extra.is_empty() {
        return Ok(response);
    }
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.append(&name, &value)?;
    }
    for (name, value) in extra {
        headers.set(name, value)?;
    }
    Ok(response.with_headers(headers))
}
