//! The request engine: route, validate, evaluate preconditions, read or write the [`Store`].
//!
//! Architecture Invariant: between reading the current ETag and writing, the engine makes only
//! synchronous [`Store`] calls, so a runtime that runs one request at a time per store (a Durable
//! Object) serializes every conditional write.

use serde_json::{Map, Value};

use crate::clock;
use crate::content::Content;
use crate::etag::EntityTag;
use crate::http::{Request, Response, PROBLEM_JSON};
use crate::model::ResourceDef;
use crate::precondition::{IfMatchPolicy, Preconditions, ReadOutcome, WriteOutcome};
use crate::problem::{Problem, ValidationErrors};
use crate::resources;
use crate::store::{Document, Store, StoreError};
use crate::validate::{natural_key, validate};

/// Path prefix of the data management API.
pub const DATA_PREFIX: &str = "/data/v3/ed-fi/";
pub const API_VERSION: &str = "7.3";
pub const DATA_MODEL_VERSION: &str = "5.2.0";

/// Deployment settings (from `wrangler.toml` `[vars]` on the Worker).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub if_match: IfMatchPolicy,
    pub max_body_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self { if_match: IfMatchPolicy::Optional, max_body_bytes: 1024 * 1024 }
    }
}

impl Config {
    /// Reads `IF_MATCH` (`optional` | `required`) and `IF_MATCH_REQUIRED_STATUS` (`400` | `428`).
    pub fn from_vars(if_match: Option<&str>, required_status: Option<&str>) -> Result<Self, String> {
        let status = match required_status.map(str::trim) {
            None | Some("") | Some("400") => 400,
            Some("428") => 428,
            Some(other) => return Err(format!("IF_MATCH_REQUIRED_STATUS must be 400 or 428, not {other:?}")),
        };
        let if_match = match if_match.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("optional") => IfMatchPolicy::Optional,
            Some("required") => IfMatchPolicy::Required { status },
            Some(other) => {
                return Err(format!("IF_MATCH must be \"optional\" or \"required\", not {other:?}"))
            }
        };
        Ok(Self { if_match, ..Self::default() })
    }
}

/// What the caller supplies for one request: the core reads no clock and draws no randomness.
#[derive(Clone, Debug)]
pub struct Context<'a> {
    /// Unix seconds now.
    pub now: i64,
    /// 16 random bytes, used as the id if the request creates an item.
    pub random: [u8; 16],
    pub correlation_id: &'a str,
    /// Scheme and authority the client used (`http://127.0.0.1:8787`), for absolute URLs.
    pub base_url: &'a str,
}

/// Where a path leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    Discovery,
    Collection(&'static ResourceDef),
    Item(&'static ResourceDef, String),
    NotFound,
}

/// Classifies a path. A malformed id is a 400; an unknown resource is [`Route::NotFound`].
pub fn route(path: &str) -> Result<Route, Problem> {
    if path == "/" || path.is_empty() {
        return Ok(Route::Discovery);
    }
    let Some(rest) = path.strip_prefix(DATA_PREFIX) else {
        return Ok(Route::NotFound);
    };
    let mut segments = rest.trim_end_matches('/').split('/');
    let Some(def) = segments.next().and_then(resources::find) else {
        return Ok(Route::NotFound);
    };
    match (segments.next(), segments.next()) {
        (None, _) => Ok(Route::Collection(def)),
        (Some(id), None) => parse_id(id).map(|id| Route::Item(def, id)),
        _ => Ok(Route::NotFound),
    }
}

/// Accepts a UUID in any common spelling and returns the canonical 32 lowercase hex digits.
fn parse_id(segment: &str) -> Result<String, Problem> {
    uuid::Uuid::try_parse(segment).map(|id| id.simple().to_string()).map_err(|_| {
        Problem::bad_request(format!(
            "The resource id '{}' is not a valid id (32 hex digits).",
            truncate(segment, 64)
        ))
    })
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Handles one request. `Err` is a storage failure: the caller logs it and answers
/// [`internal_error`], never the error's text.
pub fn handle(
    req: &Request,
    store: &mut impl Store,
    config: &Config,
    ctx: &Context,
) -> Result<Response, StoreError> {
    let head = req.method == "HEAD";
    let method = if head { "GET" } else { req.method.as_str() };
    let route = match route(&req.path) {
        Ok(route) => route,
        Err(problem) => return Ok(problem_response(problem, ctx.correlation_id)),
    };
    if let Some(response) = answer_without_storage(&req.method, &route, ctx) {
        return Ok(response);
    }
    let answer = match (route, method) {
        (Route::Collection(def), "GET") => list(def, req, store),
        (Route::Collection(def), "POST") => post(def, req, store, config, ctx),
        (Route::Collection(_), _) => {
            Err(Problem::method_not_allowed(&req.method, &["GET", "HEAD", "POST"]).into())
        }
        (Route::Item(def, id), "GET") => get(def, &id, req, store),
        (Route::Item(def, id), "PUT") => put(def, &id, req, store, config, ctx),
        (Route::Item(def, id), "DELETE") => delete(def, &id, req, store, config),
        (Route::Item(..), _) => {
            Err(Problem::method_not_allowed(&req.method, &["GET", "HEAD", "PUT", "DELETE"]).into())
        }
        (Route::Discovery | Route::NotFound, _) => unreachable!("answered without storage"),
    };
    let mut response = match answer {
        Ok(response) => response,
        Err(Failure::Problem(problem)) => problem_response(problem, ctx.correlation_id),
        Err(Failure::Store(error)) => return Err(error),
    };
    if head {
        response.body.clear();
    }
    Ok(response)
}

/// Answers the routes that need no storage (discovery, unknown paths); `None` for data routes.
pub fn answer_without_storage(method: &str, route: &Route, ctx: &Context) -> Option<Response> {
    let answer = match route {
        Route::Discovery => match method {
            "GET" => Ok(discovery(ctx.base_url)),
            "HEAD" => Ok(Response { body: Vec::new(), ..discovery(ctx.base_url) }),
            _ => Err(Problem::method_not_allowed(method, &["GET", "HEAD"])),
        },
        Route::NotFound => Err(Problem::not_found("The requested resource does not exist.")),
        Route::Collection(_) | Route::Item(..) => return None,
    };
    Some(answer.unwrap_or_else(|problem| problem_response(problem, ctx.correlation_id)))
}

/// The generic 500 for a failure on our side.
pub fn internal_error(correlation_id: &str) -> Response {
    problem_response(Problem::internal(), correlation_id)
}

pub fn problem_response(problem: Problem, correlation_id: &str) -> Response {
    let problem = problem.with_correlation_id(correlation_id);
    let mut response = Response {
        status: problem.status,
        headers: vec![("Content-Type", PROBLEM_JSON.to_owned())],
        body: problem.to_json(),
    };
    response.headers.extend(problem.headers.iter().cloned());
    response
}

/// The discovery document at `/`.
pub fn discovery(base_url: &str) -> Response {
    let body = serde_json::json!({
        "version": API_VERSION,
        "informationalVersion": API_VERSION,
        "apiMode": "Shared Instance",
        "dataModels": [{ "name": "Ed-Fi", "version": DATA_MODEL_VERSION, "informationalVersion": DATA_MODEL_VERSION }],
        "urls": {
            "dependencies": format!("{base_url}/metadata/data/v3/dependencies"),
            "openApiMetadata": format!("{base_url}/metadata/"),
            "oauth": format!("{base_url}/oauth/token"),
            "dataManagementApi": format!("{base_url}/data/v3/"),
            "changeQueries": format!("{base_url}/changeQueries/v1/"),
        }
    });
    Response::json(200, body.to_string())
}

/// Why a handler did not answer with success: a problem for the client, or a storage failure.
enum Failure {
    Problem(Problem),
    Store(StoreError),
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Self {
        Failure::Problem(problem)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Store(error)
    }
}

type Answer = Result<Response, Failure>;

fn preconditions(req: &Request) -> Result<Preconditions, Problem> {
    Preconditions::parse(
        req.header_value("If-Match").as_deref(),
        req.header_value("If-None-Match").as_deref(),
    )
}

/// The item with `id`, or a 404. Looked up before preconditions are parsed: an unknown id is a
/// 404 whatever the headers say.
fn existing(def: &ResourceDef, id: &str, store: &impl Store) -> Result<Document, Failure> {
    store
        .get(def.name, id)?
        .ok_or_else(|| Problem::not_found(format!("No {} item with id '{id}' exists.", def.name)).into())
}

fn get(def: &ResourceDef, id: &str, req: &Request, store: &impl Store) -> Answer {
    let doc = existing(def, id, store)?;
    let etag = stored_etag(&doc);
    let response = match preconditions(req)?.evaluate_read(&etag) {
        ReadOutcome::Failed(problem) => return Err(problem.into()),
        ReadOutcome::NotModified => Response::empty(304),
        ReadOutcome::Ok => Response::json(200, render(&doc)),
    };
    Ok(response
        .with_header("Cache-Control", "private")
        .with_header("ETag", etag.to_string())
        .with_header("Last-Modified", clock::http_date(doc.last_modified)))
}

fn list(def: &ResourceDef, req: &Request, store: &impl Store) -> Answer {
    let query = CollectionQuery::parse(&req.query)?;
    let docs = store.page(def.name, query.offset, query.limit)?;
    let items: Vec<String> = docs.iter().map(render).collect();
    let mut response = Response::json(200, format!("[{}]", items.join(",")));
    if query.total_count {
        response = response.with_header("Total-Count", store.count(def.name)?.to_string());
    }
    Ok(response)
}

fn post(def: &ResourceDef, req: &Request, store: &mut impl Store, config: &Config, ctx: &Context) -> Answer {
    let pre = preconditions(req)?;
    let body = read_body(req, config)?;
    if body.contains_key("id") {
        return Err(validation_problem(
            "$.id",
            "A new or upserted resource item is identified by its natural key; do not send 'id' in a POST.",
        )
        .into());
    }
    validate(def, &body).map_err(Problem::validation_failed)?;
    let content = Content::from_body(&body);
    let key = natural_key(def, &body).expect("validated bodies have their key members");
    let existing = store.get_by_natural_key(def.name, &key)?;
    let current = existing.as_ref().map(stored_etag);
    if let WriteOutcome::Failed(problem) =
        pre.evaluate_write(config.if_match, current.as_ref(), Some(content.etag()))
    {
        return Err(problem.into());
    }
    let (status, doc) = match existing {
        None => {
            let id = uuid::Builder::from_random_bytes(ctx.random).into_uuid().simple().to_string();
            let doc = new_version(store, id, key, content, ctx.now)?;
            store.insert(def.name, &doc)?;
            (201, doc)
        }
        Some(existing) => (200, write_update(def, store, existing, content, ctx.now)?),
    };
    Ok(Response::empty(status)
        .with_header("Location", location(ctx.base_url, def, &doc.id))
        .with_header("ETag", stored_etag(&doc).to_string()))
}

fn put(
    def: &ResourceDef,
    id: &str,
    req: &Request,
    store: &mut impl Store,
    config: &Config,
    ctx: &Context,
) -> Answer {
    let existing = existing(def, id, store)?;
    let pre = preconditions(req)?;
    let body = read_body(req, config)?;
    if let Some(body_id) = body.get("id") {
        let same = body_id.as_str().and_then(|s| parse_id(s).ok()).is_some_and(|b| b == id);
        if !same {
            return Err(
                validation_problem("$.id", "The 'id' in the body does not match the id in the URL.").into()
            );
        }
    }
    validate(def, &body).map_err(Problem::validation_failed)?;
    let key = natural_key(def, &body).expect("validated bodies have their key members");
    if key != existing.natural_key && !def.key_change_allowed {
        return Err(Problem::key_change_not_supported(def.name).into());
    }
    let content = Content::from_body(&body);
    let current = stored_etag(&existing);
    if let WriteOutcome::Failed(problem) =
        pre.evaluate_write(config.if_match, Some(&current), Some(content.etag()))
    {
        return Err(problem.into());
    }
    let doc = write_update(def, store, Document { natural_key: key, ..existing }, content, ctx.now)?;
    Ok(Response::empty(204)
        .with_header("ETag", stored_etag(&doc).to_string())
        .with_header("Location", location(ctx.base_url, def, &doc.id)))
}

fn delete(def: &ResourceDef, id: &str, req: &Request, store: &mut impl Store, config: &Config) -> Answer {
    let existing = existing(def, id, store)?;
    let current = stored_etag(&existing);
    if let WriteOutcome::Failed(problem) =
        preconditions(req)?.evaluate_write(config.if_match, Some(&current), None)
    {
        return Err(problem.into());
    }
    store.next_change_version()?;
    store.delete(def.name, id)?;
    Ok(Response::empty(204))
}

/// Stores new content over `existing`, unless it is the same content: a write that changes
/// nothing keeps the ETag, `_lastModifiedDate` and change version.
fn write_update(
    def: &ResourceDef,
    store: &mut impl Store,
    existing: Document,
    content: Content,
    now: i64,
) -> Result<Document, StoreError> {
    if existing.etag == content.etag().opaque() {
        return Ok(existing);
    }
    let doc = new_version(store, existing.id, existing.natural_key, content, now)?;
    store.update(def.name, &doc)?;
    Ok(doc)
}

fn new_version(
    store: &mut impl Store,
    id: String,
    natural_key: String,
    content: Content,
    now: i64,
) -> Result<Document, StoreError> {
    let (content, etag) = content.into_parts();
    Ok(Document {
        id,
        natural_key,
        content,
        etag: etag.opaque().to_owned(),
        last_modified: now,
        change_version: store.next_change_version()?,
    })
}

fn stored_etag(doc: &Document) -> EntityTag {
    EntityTag::strong(doc.etag.clone()).expect("stored ETags are base64url")
}

fn location(base_url: &str, def: &ResourceDef, id: &str) -> String {
    format!("{base_url}{DATA_PREFIX}{}/{id}", def.name)
}

fn validation_problem(path: &str, message: &str) -> Problem {
    let mut errors = ValidationErrors::new();
    errors.insert(path.to_owned(), vec![message.to_owned()]);
    Problem::validation_failed(errors)
}

/// The JSON of a stored item: `id`, the canonical content, `_etag`, `_lastModifiedDate`.
/// Spliced as text so reads never re-parse or re-hash.
pub fn render(doc: &Document) -> String {
    let inner = doc.content.strip_prefix('{').and_then(|c| c.strip_suffix('}')).unwrap_or("");
    let separator = if inner.is_empty() { "" } else { "," };
    format!(
        r#"{{"id":"{}"{separator}{inner},"_etag":"{}","_lastModifiedDate":"{}"}}"#,
        doc.id,
        doc.etag,
        clock::rfc3339(doc.last_modified)
    )
}

/// Checks the media type and size, and parses the body as a JSON object.
fn read_body(req: &Request, config: &Config) -> Result<Map<String, Value>, Problem> {
    let content_type = req.header_value("Content-Type");
    let is_json = content_type.as_deref().is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
    });
    if !is_json {
        return Err(Problem::unsupported_media_type(content_type.as_deref()));
    }
    if req.body.len() > config.max_body_bytes {
        return Err(Problem::payload_too_large(config.max_body_bytes));
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Problem::unreadable_body("The body must be a JSON object.")),
        Err(e) => Err(Problem::unreadable_body(format!("The body is not valid JSON: {e}."))),
    }
}

/// `offset`, `limit`, `totalCount` of a collection GET.
#[derive(Debug, PartialEq, Eq)]
struct CollectionQuery {
    offset: u64,
    limit: u64,
    total_count: bool,
}

const MAX_LIMIT: u64 = 500;
const DEFAULT_LIMIT: u64 = 25;

impl CollectionQuery {
    fn parse(query: &str) -> Result<Self, Problem> {
        let mut parsed = Self { offset: 0, limit: DEFAULT_LIMIT, total_count: false };
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.to_ascii_lowercase().as_str() {
                "offset" => {
                    parsed.offset = value
                        .parse()
                        .map_err(|_| Problem::bad_request("'offset' must be a whole number of 0 or more."))?
                }
                "limit" => {
                    parsed.limit =
                        value.parse().ok().filter(|limit| *limit <= MAX_LIMIT).ok_or_else(|| {
                            Problem::bad_request(format!(
                                "'limit' must be a whole number from 0 to {MAX_LIMIT}."
                            ))
                        })?
                }
                "totalcount" => {
                    parsed.total_count = match value.to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(Problem::bad_request("'totalCount' must be true or false.")),
                    }
                }
                _ => {
                    return Err(Problem::bad_request(format!(
                        "'{}' is not a query parameter of this collection.",
                        truncate(&name, 64)
                    )))
                }
            }
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests;
