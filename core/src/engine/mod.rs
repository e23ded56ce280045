//! The request engine: route, validate, evaluate preconditions, read or write the [`Store`].
//!
//! Architecture Invariant: between reading the current ETag and writing, the engine makes only
//! synchronous [`Store`] calls, so a runtime that runs one request at a time per store (a Durable
//! Object) serializes every conditional write.

mod authorize;
pub mod query;
mod read;
mod route;
mod write;

use serde_json::{Map, Value};

use crate::etag::EntityTag;
use crate::http::{Request, Response, PROBLEM_JSON};
use crate::idempotency::{self, IdempotencyKey, Remembered};
use crate::model::ResourceDef;
use crate::openapi;
use crate::precondition::{IfMatchPolicy, Preconditions};
use crate::problem::Problem;
use crate::store::{Document, HistoryLimits, Recording, Store, StoreError};
use crate::wire::paths;

pub use read::render;
pub use route::{route, AdminRoute, MetadataDoc, Route};

pub const API_VERSION: &str = "7.3";
pub const DATA_MODEL_VERSION: &str = "5.2.0";

/// Deployment settings (from `wrangler.toml` `[vars]` on the Worker).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub if_match: IfMatchPolicy,
    pub max_body_bytes: usize,
    /// How much version history each item keeps.
    pub history: HistoryLimits,
    /// How long a first answer is replayed for its `Idempotency-Key`.
    pub idempotency_window_seconds: i64,
    /// The most stored bytes one collection page holds ([`query::MAX_PAGE_BYTES`]).
    pub max_page_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            if_match: IfMatchPolicy::Optional,
            max_body_bytes: 1024 * 1024,
            history: HistoryLimits::default(),
            idempotency_window_seconds: idempotency::DEFAULT_WINDOW_SECONDS,
            max_page_bytes: query::MAX_PAGE_BYTES,
        }
    }
}

impl Config {
    /// Reads every setting by name: `IF_MATCH`, `IF_MATCH_REQUIRED_STATUS`,
    /// `HISTORY_MAX_VERSIONS` (default 50), `HISTORY_MAX_AGE_DAYS` (default: no age limit) and
    /// `IDEMPOTENCY_WINDOW_HOURS` (default 24).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let config = Self::from_vars(var("IF_MATCH").as_deref(), var("IF_MATCH_REQUIRED_STATUS").as_deref())?;
        let number = |name: &str| -> Result<Option<i64>, String> {
            match var(name).as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(text) => text
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Some)
                    .ok_or_else(|| format!("{name} must be a positive whole number, not {text:?}")),
            }
        };
        let defaults = HistoryLimits::default();
        let history = HistoryLimits {
            max_versions: number("HISTORY_MAX_VERSIONS")?
                .map_or(defaults.max_versions, |n| n.min(u32::MAX as i64) as u32),
            max_age_seconds: number("HISTORY_MAX_AGE_DAYS")?.map(|days| days.saturating_mul(86_400)),
        };
        let idempotency_window_seconds =
            idempotency::window_seconds(var("IDEMPOTENCY_WINDOW_HOURS").as_deref())?;
        Ok(Self { history, idempotency_window_seconds, ..config })
    }

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
    /// The key of the API client making the request: its `Idempotency-Key`s are its own.
    pub client: &'a str,
    /// The client's name, recorded in version history (which other clients read: never the key).
    pub client_name: &'a str,
    /// The administrator (who reaches only history): deleted items' versions are shown only to it.
    pub admin: bool,
    /// The client's claim set and scope; `None` reaches everything (the administrator, a tool
    /// running the engine over its own store, a client from before claim sets).
    pub scope: Option<&'a crate::authorization::Scope>,
}

/// Handles one request. `Err` is a storage failure: the caller logs it and answers
/// [`internal_error`], never the error's text. A write's answer lists what it wrote
/// ([`Response::committed`]), so a caller whose transaction commits publishes exactly that.
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
    let writes =
        matches!((&route, method), (Route::Collection(_), "POST") | (Route::Item(..), "PUT" | "DELETE"));
    if writes {
        let mut recording = Recording::new(store);
        let mut response = idempotent_write(route, req, &mut recording, config, ctx)?;
        response.committed = recording.into_changes();
        return Ok(response);
    }
    let not_allowed = |allow: &[&str]| Err(Problem::method_not_allowed(&req.method, allow).into());
    let authorizer = authorize::Authorizer::new(ctx.scope);
    let answer = match (route, method) {
        (Route::Collection(def), "GET") => read::list(def, req, store, config, &authorizer),
        (Route::Collection(_), _) => not_allowed(&["GET", "HEAD", "POST"]),
        (Route::Item(def, id), "GET") => read::get(def, &id, req, store, &authorizer),
        (Route::Item(..), _) => not_allowed(&["GET", "HEAD", "PUT", "DELETE"]),
        (Route::Deletes(def), "GET") => read::deletes(def, req, store, &authorizer),
        (Route::KeyChanges(def), "GET") => read::key_changes(def, req, store, &authorizer),
        (Route::AvailableChangeVersions, "GET") => read::available_change_versions(store),
        (Route::History(def, id, None), "GET") => read::history(def, &id, req, store, ctx, &authorizer),
        (Route::History(def, id, Some(etag)), "GET") => {
            read::version(def, &id, &etag, store, ctx, &authorizer)
        }
        (
            Route::Deletes(_) | Route::KeyChanges(_) | Route::AvailableChangeVersions | Route::History(..),
            _,
        ) => not_allowed(&["GET", "HEAD"]),
        // The Worker answers these before an instance is involved; an instance never serves them.
        (Route::Token | Route::Admin(_), _) => {
            Err(Problem::not_found("The requested resource does not exist.").into())
        }
        (Route::Discovery | Route::Metadata(_) | Route::NotFound, _) => {
            unreachable!("answered without storage")
        }
    };
    let mut response = answered(answer, ctx)?;
    if head {
        response.body.clear();
    }
    Ok(response)
}

fn answered(answer: Answer, ctx: &Context) -> Result<Response, StoreError> {
    match answer {
        Ok(response) => Ok(response),
        Err(Failure::Problem(problem)) => Ok(problem_response(problem, ctx.correlation_id)),
        Err(Failure::Store(error)) => Err(error),
    }
}

/// A POST, PUT or DELETE. With an `Idempotency-Key`, the same request within the window gets its
/// first answer again and writes nothing; the answer is remembered by the same store calls as the
/// write, so one transaction holds both or neither.
fn idempotent_write(
    route: Route,
    req: &Request,
    store: &mut impl Store,
    config: &Config,
    ctx: &Context,
) -> Result<Response, StoreError> {
    let key = match IdempotencyKey::from_header(req.header_value(idempotency::HEADER).as_deref()) {
        Ok(key) => key,
        Err(problem) => return Ok(problem_response(problem, ctx.correlation_id)),
    };
    let Some(key) = key else { return answered(write(route, req, store, config, ctx), ctx) };
    let fingerprint = idempotency::fingerprint(&req.method, &req.path, &req.body);
    let window = config.idempotency_window_seconds;
    if let Some(first) = store.remembered(ctx.client, key.as_str())?.filter(|r| r.is_live(ctx.now, window)) {
        return Ok(if first.fingerprint == fingerprint {
            first.replay()
        } else {
            problem_response(Problem::idempotency_key_reused(), ctx.correlation_id)
        });
    }
    let response = answered(write(route, req, store, config, ctx), ctx)?;
    store.forget_answers_before(ctx.now - window + 1)?;
    store.remember(ctx.client, key.as_str(), &Remembered::of(&response, fingerprint, ctx.now))?;
    Ok(response)
}

fn write(route: Route, req: &Request, store: &mut impl Store, config: &Config, ctx: &Context) -> Answer {
    match (route, req.method.as_str()) {
        (Route::Collection(def), "POST") => write::post(def, req, store, config, ctx),
        (Route::Item(def, id), "PUT") => write::put(def, &id, req, store, config, ctx),
        (Route::Item(def, id), "DELETE") => write::delete(def, &id, req, store, config, ctx),
        _ => unreachable!("only writes are passed here"),
    }
}

/// Answers the routes that need no storage (discovery, metadata, unknown paths); `None` for the
/// routes that do.
pub fn answer_without_storage(method: &str, route: &Route, ctx: &Context) -> Option<Response> {
    let document = match route {
        Route::Discovery => discovery(ctx.base_url),
        Route::Metadata(doc) => Response::json(200, metadata(*doc, ctx.base_url).to_string()),
        Route::NotFound => {
            let problem = Problem::not_found("The requested resource does not exist.");
            return Some(problem_response(problem, ctx.correlation_id));
        }
        _ => return None,
    };
    Some(match method {
        "GET" => document,
        "HEAD" => Response { body: Vec::new(), ..document },
        _ => problem_response(Problem::method_not_allowed(method, &["GET", "HEAD"]), ctx.correlation_id),
    })
}

fn metadata(doc: MetadataDoc, base_url: &str) -> Value {
    match doc {
        MetadataDoc::Index => openapi::metadata_index(base_url),
        MetadataDoc::Resources => openapi::resources_document(base_url),
        MetadataDoc::Descriptors => openapi::descriptors_document(base_url),
        MetadataDoc::Dependencies => openapi::dependencies(base_url),
    }
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
        committed: Vec::new(),
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
            "dependencies": format!("{base_url}{}", paths::DEPENDENCIES),
            "openApiMetadata": format!("{base_url}{}", paths::METADATA_INDEX),
            "oauth": format!("{base_url}{}", paths::TOKEN),
            "dataManagementApi": format!("{base_url}{}/", paths::DATA_API),
            "changeQueries": format!("{base_url}{}", paths::CHANGE_QUERIES),
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

fn stored_etag(doc: &Document) -> EntityTag {
    EntityTag::strong(doc.etag.clone()).expect("stored ETags are base64url")
}

fn location(base_url: &str, def: &ResourceDef, id: &str) -> String {
    format!("{base_url}{}", paths::item(def.name, id))
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
    if crate::limits::json_too_deep(&req.body) {
        return Err(Problem::unreadable_body(format!(
            "The body nests arrays and objects deeper than {} levels.",
            crate::limits::MAX_JSON_DEPTH
        )));
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => match crate::limits::inexact_number(&req.body) {
            Some(token) => Err(Problem::unreadable_body(format!(
                "The number {} has more than {} significant digits, more than can be stored exactly.",
                crate::engine::route::truncate(&token, 64),
                crate::limits::MAX_EXACT_DIGITS
            ))),
            None => Ok(map),
        },
        Ok(_) => Err(Problem::unreadable_body("The body must be a JSON object.")),
        Err(e) => Err(Problem::unreadable_body(format!("The body is not valid JSON: {e}."))),
    }
}

#[cfg(test)]
mod tests;
