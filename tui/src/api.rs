//! The HTTP client of the Ed-Fi API: tokens, metadata, reads, conditional writes and history.
//!
//! [`Client`] is cheap to clone (its state is shared) and safe to use from many tasks at once:
//! one token is fetched and shared, renewed [`RENEW_MARGIN`] before it expires, and renewed once
//! more (with the request retried once) when the API answers 401 to a data request. Writes never
//! fail silently: every answer of the API is a [`WriteOutcome`] the app can act on, and only
//! server faults (5xx) and transport failures are [`ApiError`]s.
//!
//! Every rule of the protocol (paths, query parameters, entity tags, the bodies of answers) is
//! [`edfi_core::wire`]'s; the resources come from the API's metadata, so any Ed-Fi API will do.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

use edfi_core::wire::answers::{
    ClientEntry, ErrorAnswer, MetadataEntry, TokenAnswer, CLIENT_CREDENTIALS, GRANT_TYPE,
};
use edfi_core::wire::paths::{self, Param};

use crate::meta::resolve;
use edfi_core::wire::{
    self, EntityTag, IdempotencyKey, IDEMPOTENCY_KEY, IDEMPOTENCY_REPLAYED, IDEMPOTENCY_REPLAYED_VALUE,
};
use reqwest::header::{
    HeaderMap, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MATCH, IF_NONE_MATCH, LOCATION,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize as _;
use serde_json::{json, Map, Value};
use tokio::sync::Mutex;

use crate::meta::{Catalog, Referrers, ResourceMeta};

/// A token is renewed when it has less than this left to live.
pub const RENEW_MARGIN: Duration = Duration::from_secs(30);
/// The longest a request may take, answer included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

// ------------------------------------------------------------------------------------------ types

/// A resource the API serves (`students`, `gradeLevelDescriptors`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceInfo {
    pub name: String,
    /// It is described by the descriptors document.
    pub descriptor: bool,
    /// What the metadata groups it under: Ed-Fi's domains (`x-Ed-Fi-domains` on its path, as
    /// Ed-Fi's ApiSchema-generated documents have it), else the interchanges this API names on
    /// its tag (`x-Ed-Fi-interchanges`); empty when the metadata says neither.
    pub groups: Vec<String>,
}

impl ResourceInfo {
    pub fn new(name: &str, descriptor: bool) -> Self {
        Self { name: name.to_owned(), descriptor, groups: Vec::new() }
    }
}

/// One page of a collection: its items, how many items match (when the API said, in
/// `Total-Count`), and the `Next-Page-Token` of the page after it (when the API gave one).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub items: Vec<Value>,
    pub total: Option<u64>,
    pub next: Option<String>,
}

/// Which page of a collection to read: `limit` items from `offset`, or with a `token` (the
/// previous page's `Next-Page-Token`) the keyset page after it (`pageSize`, `pageToken`); only
/// items whose query fields equal the `filters`' values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageQuery {
    pub offset: u64,
    pub limit: u64,
    pub filters: Vec<(String, String)>,
    pub token: Option<String>,
}

/// An item to open: by id (a reference's `link`, a row of a list), or as the one item of a
/// resource whose natural key has these values (a reference without a `link`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Id { resource: String, id: String },
    Key { resource: String, filters: Vec<(String, String)> },
}

/// One item as read, with its ETag as sent by the API, quotes included (`"abc"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub body: Value,
    pub etag: String,
}

/// What became of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Done (2xx): the new ETag (quoted, when the API sent one) and the item's id (from `Location`).
    Saved { etag: Option<String>, id: Option<String> },
    /// 412: someone changed the item since it was read (or, for a create, the item exists).
    Conflict { detail: String },
    /// 400: the document is invalid; `errors` are the messages by JSON path.
    Invalid { detail: String, errors: BTreeMap<String, Vec<String>> },
    /// Any other 4xx (404, 409 reference problems, 403, 428…), with the API's explanation.
    Refused { status: u16, detail: String },
}

/// What the API answered one POST of the bulk loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadAnswer {
    pub status: u16,
    /// The answer is the first answer to this `Idempotency-Key`, given again.
    pub replayed: bool,
    /// The problem's detail and messages, for an error status.
    pub detail: String,
    /// The problem's `type` URI, for an error status.
    pub problem_type: String,
}

/// One kept version of an item, as `/admin/v1/history` lists it.
pub use edfi_core::wire::answers::HistoryEntry as VersionInfo;

/// What `GET /admin/v1/clients` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientList {
    /// The API's clients, as it lists them (never with their secrets).
    Listed(Vec<ClientEntry>),
    /// 403 (or 401 to a fresh token): the token is not the administrator's, who alone may list
    /// clients; the API's explanation.
    NotAdmin { status: u16, detail: String },
}

/// Why a request gave no answer the app can use. Displayed as one line for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The key and secret, or a fresh token, were refused.
    Unauthorized(String),
    NotFound,
    /// The API could not be reached, or its answer was unusable.
    Http(String),
    /// The API answered an error status the app has no other use for (a 5xx, or a 4xx to a read).
    Server {
        status: u16,
        detail: String,
    },
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unauthorized(message) | ApiError::Http(message) => f.write_str(message),
            ApiError::NotFound => f.write_str("Not found: it does not exist, or no longer"),
            ApiError::Server { status, detail } => {
                if *status >= 500 {
                    write!(f, "The API failed ({status})")?;
                } else {
                    write!(f, "The API refused the request ({status})")?;
                }
                if detail.is_empty() {
                    Ok(())
                } else {
                    write!(f, ": {detail}")
                }
            }
        }
    }
}

impl std::error::Error for ApiError {}

// ----------------------------------------------------------------------------------------- client

/// The API client. Clones share the token and the cached metadata.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    key: String,
    secret: String,
    /// Held while a token is fetched, so concurrent requests wait for one fetch.
    token: Mutex<Option<Token>>,
    documents: Mutex<Option<Arc<Vec<Document>>>>,
    /// Where the data API is (see [`data_root`]), once the metadata said.
    data_root: tokio::sync::OnceCell<String>,
}

struct Token {
    value: String,
    /// `None` when the API did not say: then it is renewed on a 401 only.
    expires: Option<Instant>,
}

impl Token {
    fn usable(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| now + RENEW_MARGIN < at)
    }
}

/// A metadata (OpenAPI) document and its name in the `/metadata/` index.
struct Document {
    name: String,
    body: Value,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("key", &self.inner.key)
            .field("secret", &"<hidden>")
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the API at `base_url` (`http://127.0.0.1:8787`), with a client's key and secret.
    /// Nothing is sent until the first request.
    pub fn new(base_url: &str, key: &str, secret: &str) -> Client {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("edfi-admin/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&base) {
            // A local API is never behind the environment's proxy.
            builder = builder.no_proxy();
        }
        let http = builder.build().unwrap_or_else(|_| reqwest::Client::new());
        Client {
            inner: Arc::new(Inner {
                http,
                base,
                key: key.to_owned(),
                secret: secret.to_owned(),
                token: Mutex::new(None),
                documents: Mutex::new(None),
                data_root: tokio::sync::OnceCell::new(),
            }),
        }
    }

    /// The API's base URL, as requests use it (no trailing `/`).
    pub fn base(&self) -> &str {
        &self.inner.base
    }

    /// The client key (never the secret).
    pub fn key(&self) -> &str {
        &self.inner.key
    }

    /// Every resource and descriptor the metadata describes: resources first, then descriptors,
    /// each sorted by name. Fetches the metadata afresh (and caches it for [`Client::template`]).
    pub async fn resources(&self) -> Result<Vec<ResourceInfo>, ApiError> {
        let documents = self.load_documents().await?;
        let mut resources = BTreeSet::new();
        let mut descriptors = BTreeSet::new();
        let mut groups = BTreeMap::new();
        for document in documents.iter() {
            let names = if document.name == paths::DESCRIPTORS { &mut descriptors } else { &mut resources };
            let listed = document.body.get("paths").and_then(Value::as_object);
            let endpoints =
                listed.into_iter().flat_map(|listed| listed.keys()).filter_map(|p| paths::endpoint_of(p));
            names.extend(endpoints.map(str::to_owned));
            groups_of(&document.body, &mut groups);
        }
        descriptors.retain(|name| !resources.contains(name));
        let info = |name: String, descriptor: bool| {
            let groups = groups.get(&name).cloned().unwrap_or_default();
            ResourceInfo { name, descriptor, groups }
        };
        let resources = resources.into_iter().map(|name| info(name, false));
        let descriptors = descriptors.into_iter().map(|name| info(name, true));
        Ok(resources.chain(descriptors).collect())
    }

    /// How many items `resource` has.
    pub async fn count(&self, resource: &str) -> Result<u64, ApiError> {
        let query = paths::query([(Param::Limit.name(), "0"), (Param::TotalCount.name(), "true")]);
        let url = format!("{}?{query}", self.collection_url(resource).await);
        let (headers, _) = self.read(&url, false).await?;
        total_count(&headers)
            .ok_or_else(|| ApiError::Http(format!("The API did not say how many {resource} there are")))
    }

    /// A page of `resource`, with the number of matching items.
    pub async fn page(&self, resource: &str, query: &PageQuery) -> Result<Page, ApiError> {
        let (offset, limit) = (query.offset.to_string(), query.limit.to_string());
        let paging = match &query.token {
            Some(token) => {
                [(Param::PageSize.name(), limit.as_str()), (Param::PageToken.name(), token.as_str())]
            }
            None => [(Param::Offset.name(), offset.as_str()), (Param::Limit.name(), limit.as_str())],
        };
        let filters = query.filters.iter().map(|(field, value)| (field.as_str(), value.as_str()));
        let pairs = paging.into_iter().chain([(Param::TotalCount.name(), "true")]).chain(filters);
        let url = format!("{}?{}", self.collection_url(resource).await, paths::query(pairs));
        let (headers, text) = self.read(&url, false).await?;
        let items = match parse_json(&text, resource)? {
            Value::Array(items) => items,
            _ => return Err(ApiError::Http(format!("The API's list of {resource} is not a JSON array"))),
        };
        let next = headers
            .get(paths::NEXT_PAGE_TOKEN_HEADER)
            .and_then(|token| token.to_str().ok())
            .filter(|token| !token.trim().is_empty())
            .map(str::to_owned);
        Ok(Page { items, total: total_count(&headers), next })
    }

    /// What the metadata says about `resource`: its natural key, query fields and references.
    pub async fn describe(&self, resource: &str) -> Result<ResourceMeta, ApiError> {
        let documents = self.documents().await?;
        let catalog = Catalog::new(documents.iter().map(|document| &document.body));
        catalog
            .describe(resource)
            .ok_or_else(|| ApiError::Http(format!("The API's metadata describes no {resource}")))
    }

    /// Every reference, in every resource the metadata describes, that can point at an item of
    /// `resource`.
    pub async fn referrers(&self, resource: &str) -> Result<Referrers, ApiError> {
        let documents = self.documents().await?;
        let catalog = Catalog::new(documents.iter().map(|document| &document.body));
        catalog
            .referrers(resource)
            .ok_or_else(|| ApiError::Http(format!("The API's metadata describes no {resource}")))
    }

    /// The item a target names, read fresh, with its resource. A natural key is looked up with
    /// its values as query filters and must match exactly one item.
    pub async fn follow(&self, target: &Target) -> Result<(String, Item), ApiError> {
        match target {
            Target::Id { resource, id } => Ok((resource.clone(), self.get(resource, id).await?)),
            Target::Key { resource, filters } => {
                let query = PageQuery { offset: 0, limit: 2, filters: filters.clone(), token: None };
                let page = self.page(resource, &query).await?;
                let key = filters.iter().map(|(f, v)| format!("{f}={v}")).collect::<Vec<_>>().join(" ");
                match page.items.as_slice() {
                    [item] => {
                        let id = item.get(wire::ID).and_then(Value::as_str).ok_or_else(|| {
                            ApiError::Http(format!("The API's item of {resource} with {key} has no id"))
                        })?;
                        Ok((resource.clone(), self.get(resource, id).await?))
                    }
                    [] => Err(ApiError::Http(format!("No item of {resource} has {key}"))),
                    _ => Err(ApiError::Http(format!("More than one item of {resource} has {key}"))),
                }
            }
        }
    }

    /// The current version of one item, read fresh (past any replica cache), with its ETag.
    pub async fn get(&self, resource: &str, id: &str) -> Result<Item, ApiError> {
        let (headers, text) = self.read(&self.item_url(resource, id).await, true).await?;
        let body = parse_json(&text, "the item")?;
        let etag = header_text(&headers, ETAG)
            .or_else(|| wire::representation_etag(&body).map(|tag| tag.to_string()))
            .unwrap_or_default();
        Ok(Item { body, etag })
    }

    /// Replaces an item if its current ETag is `if_match` (sent as given).
    pub async fn put(
        &self,
        resource: &str,
        id: &str,
        body: &Value,
        if_match: &str,
    ) -> Result<WriteOutcome, ApiError> {
        let if_match = precondition(if_match)?;
        self.write(Method::PUT, self.item_url(resource, id).await, Some(body), (IF_MATCH, if_match)).await
    }

    /// Deletes an item if its current ETag is `if_match` (sent as given).
    pub async fn delete(&self, resource: &str, id: &str, if_match: &str) -> Result<WriteOutcome, ApiError> {
        let if_match = precondition(if_match)?;
        self.write(Method::DELETE, self.item_url(resource, id).await, None, (IF_MATCH, if_match)).await
    }

    /// Creates an item, only if no item has its natural key (`If-None-Match: *`): an existing
    /// item is a [`WriteOutcome::Conflict`], never overwritten.
    pub async fn create(&self, resource: &str, body: &Value) -> Result<WriteOutcome, ApiError> {
        let create_only = (IF_NONE_MATCH, HeaderValue::from_static(wire::ANY_TAG));
        self.write(Method::POST, self.collection_url(resource).await, Some(body), create_only).await
    }

    /// One POST of the bulk loader: an upsert by natural key under the caller's `Idempotency-Key`
    /// (the same on every try of one record, so a resent try is answered, not applied twice),
    /// with `If-None-Match` naming the ETag the body's content has (so an item that already holds
    /// exactly this content is answered 412 and left alone). Any status is an answer; only a
    /// transport failure or a refused token is an error.
    pub async fn load_post(
        &self,
        resource: &str,
        body: &[u8],
        key: &IdempotencyKey,
        if_none_match: &str,
    ) -> Result<LoadAnswer, ApiError> {
        let url = self.collection_url(resource).await;
        let key = HeaderValue::from_str(&key.header_value())
            .map_err(|_| ApiError::Http("The Idempotency-Key cannot be sent as a header".to_owned()))?;
        let if_none_match = precondition(if_none_match)?;
        let response = self
            .send(|| {
                self.inner
                    .http
                    .post(&url)
                    .header(CONTENT_TYPE, wire::JSON_CONTENT_TYPE)
                    .header(IF_NONE_MATCH, if_none_match.clone())
                    .header(IDEMPOTENCY_KEY, key.clone())
                    .body(body.to_vec())
            })
            .await?;
        let status = response.status();
        let replayed =
            response.headers().get(IDEMPOTENCY_REPLAYED).is_some_and(|v| v == IDEMPOTENCY_REPLAYED_VALUE);
        let text = response.text().await.map_err(|e| transport(&e))?;
        let (detail, problem_type) = if status.is_success() {
            (String::new(), String::new())
        } else {
            // The messages by path name what was missing or wrong, which a load's report needs.
            let refusal = Refusal::read(status, &text);
            let mut detail = refusal.with_errors();
            for (path, messages) in &refusal.answer.validation_errors {
                let _ = write!(detail, " {path}: {}", messages.join(" "));
            }
            (detail, refusal.answer.kind)
        };
        Ok(LoadAnswer { status: status.as_u16(), replayed, detail, problem_type })
    }

    /// The kept versions of an item, oldest first, deletions as tombstones.
    pub async fn history(&self, resource: &str, id: &str) -> Result<Vec<VersionInfo>, ApiError> {
        let url = format!("{}{}", self.inner.base, paths::history(resource, id));
        let (_, text) = self.read(&url, false).await?;
        serde_json::from_str(&text)
            .map_err(|e| ApiError::Http(format!("The API's history of the item is unreadable: {e}")))
    }

    /// One kept version of an item, by its ETag (quoted or not).
    pub async fn version(&self, resource: &str, id: &str, etag: &str) -> Result<Value, ApiError> {
        let etag = EntityTag::parse(etag)
            .map_err(|e| ApiError::Http(format!("{etag:?} is not an ETag ({e}): no version has it")))?;
        let url = format!("{}{}", self.inner.base, paths::version(resource, id, &etag));
        let (_, text) = self.read(&url, false).await?;
        parse_json(&text, "the version")
    }

    /// The API's clients (`/admin/v1/clients`), which only the administrator's token may list:
    /// another token's refusal is [`ClientList::NotAdmin`], not an error.
    pub async fn clients(&self) -> Result<ClientList, ApiError> {
        let url = format!("{}{}", self.inner.base, paths::CLIENTS);
        let response = self.send_renewing(|| self.inner.http.get(&url)).await?;
        let status = response.status();
        let text = response.text().await.map_err(|e| transport(&e))?;
        match status {
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => Ok(ClientList::NotAdmin {
                status: status.as_u16(),
                detail: Refusal::read(status, &text).detail,
            }),
            StatusCode::NOT_FOUND => {
                Err(ApiError::Http(format!("This API lists no clients (no {})", paths::CLIENTS)))
            }
            _ if status.is_success() => serde_json::from_str(&text)
                .map(ClientList::Listed)
                .map_err(|e| ApiError::Http(format!("The API's list of clients is unreadable: {e}"))),
            _ => Err(read_failure(status, &text)),
        }
    }

    /// A new document for `resource`: every required member with a placeholder value, built from
    /// the metadata's schema of what the resource's POST takes.
    pub async fn template(&self, resource: &str) -> Result<Value, ApiError> {
        let documents = self.documents().await?;
        let reference = post_schema(&documents, resource).ok_or_else(|| {
            ApiError::Http(format!("The API's metadata describes no {resource}: there is no template for it"))
        })?;
        let (document, schema) = documents
            .iter()
            .find_map(|document| resolve(&document.body, &reference).map(|schema| (document, schema)))
            .ok_or_else(|| ApiError::Http(format!("The API's metadata has no schema {reference}")))?;
        template_of(&document.body, schema, &reference).map_err(ApiError::Http)
    }

    // ------------------------------------------------------------------------------------ tokens

    /// A usable token: the kept one, unless it is about to expire or is `stale` (refused by the
    /// API), in which case a new one is fetched (once, however many tasks ask).
    async fn token(&self, stale: Option<&str>) -> Result<String, ApiError> {
        let mut slot = self.inner.token.lock().await;
        if let Some(token) = slot.as_ref() {
            if token.usable(Instant::now()) && Some(token.value.as_str()) != stale {
                return Ok(token.value.clone());
            }
        }
        *slot = None;
        let token = self.fetch_token().await?;
        let value = token.value.clone();
        *slot = Some(token);
        Ok(value)
    }

    async fn fetch_token(&self) -> Result<Token, ApiError> {
        let asked = Instant::now();
        let response = self
            .inner
            .http
            .post(format!("{}{}", self.inner.base, paths::TOKEN))
            .basic_auth(&self.inner.key, Some(&self.inner.secret))
            .form(&[(GRANT_TYPE, CLIENT_CREDENTIALS)])
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| transport(&e))?;
        if status.is_client_error() {
            let refusal = Refusal::read(status, &text);
            return Err(ApiError::Unauthorized(format!(
                "The key and secret were refused: {}",
                refusal.detail
            )));
        }
        if !status.is_success() {
            return Err(ApiError::Server {
                status: status.as_u16(),
                detail: Refusal::read(status, &text).detail,
            });
        }
        token_answer(&text, asked)
    }

    /// Sends a data request with a token; on a 401, renews the token and sends it once more.
    async fn send(&self, build: impl Fn() -> RequestBuilder) -> Result<Response, ApiError> {
        let response = self.send_renewing(build).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            let text = response.text().await.unwrap_or_default();
            let refusal = Refusal::read(StatusCode::UNAUTHORIZED, &text);
            return Err(ApiError::Unauthorized(format!("The API refused a fresh token: {}", refusal.detail)));
        }
        Ok(response)
    }

    /// Sends a request with a token; on a 401, renews the token and sends it once more, giving
    /// back what that answered (a 401 too, perhaps).
    async fn send_renewing(&self, build: impl Fn() -> RequestBuilder) -> Result<Response, ApiError> {
        let token = self.token(None).await?;
        let response = build().bearer_auth(&token).send().await.map_err(|e| transport(&e))?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        drop(response);
        let token = self.token(Some(&token)).await?;
        build().bearer_auth(&token).send().await.map_err(|e| transport(&e))
    }

    // ----------------------------------------------------------------------------- reads, writes

    /// A GET with a token: the headers and text of a 2xx answer; any other status is an error.
    async fn read(&self, url: &str, fresh: bool) -> Result<(HeaderMap, String), ApiError> {
        let response = self
            .send(|| {
                let request = self.inner.http.get(url);
                if fresh {
                    request.header(CACHE_CONTROL, "no-cache")
                } else {
                    request
                }
            })
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| transport(&e))?;
        if status.is_success() {
            Ok((headers, text))
        } else {
            Err(read_failure(status, &text))
        }
    }

    /// Sends a write with a new `Idempotency-Key`. Every try of it carries the same key, so a try
    /// whose answer was lost (the connection dropped) is retried once: the server then answers
    /// the first answer again rather than applying the write twice or calling it stale.
    async fn write(
        &self,
        method: Method,
        url: String,
        body: Option<&Value>,
        (name, value): (reqwest::header::HeaderName, HeaderValue),
    ) -> Result<WriteOutcome, ApiError> {
        let body = body.map(|body| serde_json::to_vec(body).unwrap_or_default());
        let key = IdempotencyKey::new(uuid::Uuid::new_v4().to_string()).expect("a UUID is a valid key");
        let key = HeaderValue::from_str(&key.header_value()).expect("a quoted UUID is a header value");
        let build = || {
            let request = self
                .inner
                .http
                .request(method.clone(), &url)
                .header(name.clone(), value.clone())
                .header(IDEMPOTENCY_KEY, key.clone());
            match &body {
                Some(body) => request.header(CONTENT_TYPE, wire::JSON_CONTENT_TYPE).body(body.clone()),
                None => request,
            }
        };
        let response = match self.send(build).await {
            Err(ApiError::Http(_)) => self.send(build).await?,
            answered => answered?,
        };
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| transport(&e))?;
        write_outcome(status, &headers, &text)
    }

    // ---------------------------------------------------------------------------------- metadata

    /// The metadata documents, fetched once.
    async fn documents(&self) -> Result<Arc<Vec<Document>>, ApiError> {
        if let Some(documents) = self.inner.documents.lock().await.as_ref() {
            return Ok(documents.clone());
        }
        self.load_documents().await
    }

    /// Fetches the `/metadata/` index and every document it lists, and keeps them.
    async fn load_documents(&self) -> Result<Arc<Vec<Document>>, ApiError> {
        let index = self.metadata(&format!("{}{}", self.inner.base, paths::METADATA_INDEX)).await?;
        let entries = index
            .as_array()
            .ok_or_else(|| ApiError::Http("The API's metadata index is not a JSON array".to_owned()))?;
        let mut documents = Vec::new();
        // An entry that is not one (no address) is passed over, as the rest still describe the API.
        for entry in entries.iter().filter_map(|entry| MetadataEntry::deserialize(entry).ok()) {
            let body = self.metadata(&self.absolute(&entry.endpoint_uri)).await?;
            documents.push(Document { name: entry.name, body });
        }
        let documents = Arc::new(documents);
        *self.inner.documents.lock().await = Some(documents.clone());
        Ok(documents)
    }

    /// A metadata answer: public, so sent without a token.
    async fn metadata(&self, url: &str) -> Result<Value, ApiError> {
        let response = self.inner.http.get(url).send().await.map_err(|e| transport(&e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| transport(&e))?;
        if !status.is_success() {
            return Err(read_failure(status, &text));
        }
        parse_json(&text, "the metadata")
    }

    // -------------------------------------------------------------------------------------- urls

    /// The data API's root URL, as the metadata's `servers` give it (see [`data_root`]); without
    /// metadata, this API's own (`{base}/data/v3`). Decided once per client, so a load of
    /// thousands of records asks the metadata at most once.
    async fn data_root(&self) -> String {
        let decide = async {
            match self.documents().await {
                Ok(documents) => data_root(&self.inner.base, &documents),
                Err(_) => format!("{}{}", self.inner.base, paths::DATA_API),
            }
        };
        self.inner.data_root.get_or_init(|| decide).await.clone()
    }

    async fn collection_url(&self, resource: &str) -> String {
        paths::collection_in(&self.data_root().await, resource)
    }

    async fn item_url(&self, resource: &str, id: &str) -> String {
        paths::item_in(&self.data_root().await, resource, id)
    }

    /// An address from the metadata: absolute as given, else under the base URL.
    fn absolute(&self, uri: &str) -> String {
        if uri.starts_with("http://") || uri.starts_with("https://") {
            uri.to_owned()
        } else {
            format!("{}/{}", self.inner.base, uri.trim_start_matches('/'))
        }
    }
}

/// Where the data API is: the resources document's first `servers` URL when it is on the API's
/// own origin (an absolute URL there, or a path), so an ODS/API that serves its data elsewhere
/// (`/data/ed-fi/…` in 7.x) is still reached; never another origin, which would be sent the
/// token. Otherwise `{base}/data/v3`.
fn data_root(base: &str, documents: &[Document]) -> String {
    let default = format!("{base}{}", paths::DATA_API);
    let Ok(base_url) = reqwest::Url::parse(base) else { return default };
    let given = documents
        .iter()
        .find(|d| d.name == paths::RESOURCES)
        .or(documents.first())
        .and_then(|d| wire::answers::data_api(&d.body))
        .map(str::trim);
    let Some(given) = given.filter(|g| !g.is_empty()) else { return default };
    let Ok(url) = base_url.join(given) else { return default };
    if url.origin() != base_url.origin() || url.query().is_some() || url.fragment().is_some() {
        return default;
    }
    url.as_str().trim_end_matches('/').to_owned()
}

/// A token endpoint's 2xx answer, read by [`TokenAnswer::read`] (absent `expires_in`: renewed on
/// a 401 only). Anything else is an error that says what was wrong; no answer panics.
fn token_answer(text: &str, asked: Instant) -> Result<Token, ApiError> {
    let answer = parse_json(text, "the token")?;
    // What a token answer must hold is the wire protocol's rule.
    let answer = TokenAnswer::read(&answer)
        .map_err(|what| ApiError::Http(format!("The API's token answer {what}")))?;
    let expires = answer.expires_in.and_then(|seconds| asked.checked_add(Duration::from_secs(seconds)));
    Ok(Token { value: answer.access_token, expires })
}

// -------------------------------------------------------------------------------------- answers

/// An error answer as the app tells it: the API's explanation ([`ErrorAnswer`]), or the status's
/// reason when the API gave none.
struct Refusal {
    answer: ErrorAnswer,
    detail: String,
}

impl Refusal {
    fn read(status: StatusCode, text: &str) -> Refusal {
        let answer = ErrorAnswer::read(text);
        let detail =
            answer.detail.clone().unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned());
        Refusal { answer, detail }
    }

    /// The detail followed by the errors that do not repeat it.
    fn with_errors(&self) -> String {
        let mut text = self.detail.clone();
        for error in self.answer.errors.iter().filter(|error| **error != self.detail) {
            if !text.is_empty() {
                if !text.ends_with(['.', '!', '?', ':']) {
                    text.push('.');
                }
                text.push(' ');
            }
            text.push_str(error);
        }
        text
    }
}

/// A read's error status as an error.
fn read_failure(status: StatusCode, text: &str) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized(format!(
            "The API refused the request: {}",
            Refusal::read(status, text).detail
        )),
        _ => ApiError::Server { status: status.as_u16(), detail: Refusal::read(status, text).with_errors() },
    }
}

fn write_outcome(status: StatusCode, headers: &HeaderMap, text: &str) -> Result<WriteOutcome, ApiError> {
    if status.is_success() {
        let etag = header_text(headers, ETAG);
        let id =
            header_text(headers, LOCATION).and_then(|location| paths::item_of(&location)).map(|(_, id)| id);
        return Ok(WriteOutcome::Saved { etag, id });
    }
    let refusal = Refusal::read(status, text);
    match status {
        StatusCode::PRECONDITION_FAILED => Ok(WriteOutcome::Conflict { detail: refusal.detail }),
        StatusCode::BAD_REQUEST if refusal.answer.structured => {
            let detail = refusal.with_errors();
            Ok(WriteOutcome::Invalid { detail, errors: refusal.answer.validation_errors })
        }
        _ if status.is_client_error() => {
            Ok(WriteOutcome::Refused { status: status.as_u16(), detail: refusal.with_errors() })
        }
        _ => Err(ApiError::Server { status: status.as_u16(), detail: refusal.with_errors() }),
    }
}

/// An `If-Match` value to send as given; one that cannot be a header value is refused here.
fn precondition(if_match: &str) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(if_match)
        .map_err(|_| ApiError::Http(format!("The ETag {if_match:?} cannot be sent in an If-Match header")))
}

fn header_text(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

fn total_count(headers: &HeaderMap) -> Option<u64> {
    headers.get(paths::TOTAL_COUNT_HEADER)?.to_str().ok()?.trim().parse().ok()
}

fn parse_json(text: &str, what: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text)
        .map_err(|e| ApiError::Http(format!("The API's answer for {what} is not JSON: {e}")))
}

/// A transport failure in words: what went wrong and its innermost cause.
fn transport(error: &reqwest::Error) -> ApiError {
    let mut cause = None;
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        cause = Some(inner.to_string());
        source = inner.source();
    }
    let origin = error.url().map(|url| url.origin().ascii_serialization()).unwrap_or_default();
    let what = if error.is_timeout() {
        format!("The API at {origin} did not answer in time")
    } else if error.is_connect() {
        format!("Cannot connect to the API at {origin}")
    } else if error.is_body() || error.is_decode() {
        format!("The answer of the API at {origin} was cut off")
    } else {
        format!("The request to the API at {origin} failed")
    };
    ApiError::Http(match cause {
        Some(cause) => format!("{what}: {cause}"),
        None => what,
    })
}

fn is_loopback(base: &str) -> bool {
    let rest = base.split_once("://").map_or(base, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if host.starts_with('[') {
        host.split(']').next().map_or(host, |h| h.trim_start_matches('['))
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1"
}

// ------------------------------------------------------------------------------------- metadata

/// The groups a metadata document gives its resources, by resource: the `x-Ed-Fi-domains` of the
/// resource's collection path, else the `x-Ed-Fi-interchanges` of its tag.
fn groups_of(document: &Value, out: &mut BTreeMap<String, Vec<String>>) {
    let names = |value: Option<&Value>| -> Vec<String> {
        let items = value.and_then(Value::as_array).into_iter().flatten();
        items.filter_map(Value::as_str).map(str::to_owned).collect()
    };
    let tags = document.get("tags").and_then(Value::as_array).into_iter().flatten();
    for tag in tags {
        let Some(name) = tag.get("name").and_then(Value::as_str) else { continue };
        let interchanges = names(tag.get(paths::INTERCHANGES_EXTENSION));
        if !interchanges.is_empty() {
            out.entry(name.to_owned()).or_insert(interchanges);
        }
    }
    let listed = document.get("paths").and_then(Value::as_object).into_iter().flatten();
    for (path, item) in listed {
        let Some(endpoint) = paths::endpoint_of(path).filter(|e| *path == paths::namespaced(e)) else {
            continue;
        };
        let domains = names(item.get(paths::DOMAINS_EXTENSION));
        if !domains.is_empty() {
            out.insert(endpoint.to_owned(), domains);
        }
    }
}

/// The `$ref` of the schema a resource's POST takes, as the metadata gives it: no name is guessed,
/// so an API that names its schemas otherwise is read as well.
fn post_schema(documents: &[Document], resource: &str) -> Option<String> {
    let path = paths::namespaced(resource);
    documents.iter().find_map(|document| {
        let operation = document.body.get("paths")?.get(&path)?.get("post")?;
        let schema = operation.pointer("/requestBody/content/application~1json/schema/$ref")?;
        schema.as_str().map(str::to_owned)
    })
}

/// How deep a template may nest (Ed-Fi's deepest resource is a few levels) and how many values
/// it may hold: a schema that goes past either is not a template anyone could fill in, and
/// following it further could exhaust the stack or memory.
const TEMPLATE_DEPTH: usize = 64;
const TEMPLATE_VALUES: usize = 10_000;

/// A template under construction: the references being expanded (so a schema that contains
/// itself ends in an empty object) and what is left of the bounds.
struct Expansion<'a> {
    document: &'a Value,
    seen: Vec<String>,
    values_left: usize,
    /// The bound passed, when one was.
    exceeded: Option<String>,
}

impl<'a> Expansion<'a> {
    fn new(document: &'a Value, seen: Vec<String>) -> Self {
        Expansion { document, seen, values_left: TEMPLATE_VALUES, exceeded: None }
    }

    /// A value fit for `schema` at `depth`: required members only, placeholders by type.
    fn placeholder(&mut self, schema: &Value, depth: usize) -> Value {
        if depth > TEMPLATE_DEPTH || self.values_left == 0 {
            self.exceeded.get_or_insert_with(|| {
                if depth > TEMPLATE_DEPTH {
                    format!("nests deeper than {TEMPLATE_DEPTH} levels")
                } else {
                    format!("holds more than {TEMPLATE_VALUES} required values")
                }
            });
            return Value::Null;
        }
        self.values_left -= 1;
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            if self.seen.iter().any(|s| s == reference) {
                return json!({});
            }
            let Some(target) = resolve(self.document, reference) else { return json!({}) };
            self.seen.push(reference.to_owned());
            let value = self.placeholder(target, depth + 1);
            self.seen.pop();
            return value;
        }
        if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|values| values.first()) {
            return first.clone();
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => json!(match schema.get("format").and_then(Value::as_str) {
                Some("date") => "2026-01-01",
                Some("time") => "08:00:00",
                Some("date-time") => "2026-01-01T08:00:00Z",
                _ => "",
            }),
            Some("integer" | "number") => json!(0),
            Some("boolean") => json!(false),
            Some("array") => {
                json!([schema.get("items").map_or(Value::Null, |items| self.placeholder(items, depth + 1))])
            }
            Some("object") => self.required_members(schema, depth),
            None if schema.get("properties").is_some() => self.required_members(schema, depth),
            _ => Value::Null,
        }
    }

    fn required_members(&mut self, schema: &Value, depth: usize) -> Value {
        let properties = schema.get("properties");
        let required = schema.get("required").and_then(Value::as_array).into_iter().flatten();
        let mut members = Map::new();
        for name in required.filter_map(Value::as_str) {
            let member = properties.and_then(|p| p.get(name));
            let value = member.map_or(Value::Null, |member| self.placeholder(member, depth + 1));
            members.insert(name.to_owned(), value);
        }
        Value::Object(members)
    }
}

/// The template of the schema at `reference` in `document`, or what makes it none.
fn template_of(document: &Value, schema: &Value, reference: &str) -> Result<Value, String> {
    let mut expansion = Expansion::new(document, vec![reference.to_owned()]);
    let template = expansion.placeholder(schema, 0);
    match expansion.exceeded {
        None => Ok(template),
        Some(why) => Err(format!("The API's metadata schema {reference} {why}: there is no template for it")),
    }
}

// ---------------------------------------------------------------------------------------- tests

#[cfg(test)]
mod metadata_tests;

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::fake_server::*;
    /// `key:Zx9-s3cr3t` in base64.
    const BASIC: &str = "Basic a2V5Olp4OS1zM2NyM3Q=";
    const TOKEN_PATH: &str = "/oauth/token";
    const STUDENTS: &str = "/data/v3/ed-fi/students";

    /// The token endpoint's answer: `t1`, `t2`, … lasting `expires_in` seconds.
    fn issue(issued: &AtomicUsize, expires_in: u64) -> Answer {
        let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
        Answer::json(
            200,
            json!({ "access_token": format!("t{n}"), "expires_in": expires_in, "token_type": "bearer" }),
        )
    }

    /// A server issuing tokens lasting `expires_in` and answering 7 students.
    async fn counting_server(expires_in: u64) -> Fake {
        let issued = AtomicUsize::new(0);
        Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, expires_in),
            STUDENTS => Answer::json(200, json!([])).with("Total-Count", "7"),
            _ => Answer::problem(404, "No such path.", &[]),
        })
        .await
    }

    fn bearers(fake: &Fake, path: &str) -> Vec<String> {
        fake.to(path).iter().map(|r| r.header("authorization").unwrap_or_default().to_owned()).collect()
    }

    // ---------------------------------------------------------------------------------- tokens

    #[tokio::test]
    async fn the_token_is_fetched_once_and_reused() {
        let fake = counting_server(3600).await;
        let client = fake.client();
        assert_eq!(client.count("students").await, Ok(7));
        assert_eq!(client.count("students").await, Ok(7));
        assert_eq!(client.clone().count("students").await, Ok(7), "clones share the token");

        let tokens = fake.to(TOKEN_PATH);
        assert_eq!(tokens.len(), 1, "one token for three requests");
        let token = &tokens[0];
        assert_eq!(token.method, "POST");
        assert_eq!(token.header("authorization"), Some(BASIC));
        assert!(token
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/x-www-form-urlencoded"));
        assert_eq!(token.body, "grant_type=client_credentials");

        assert_eq!(bearers(&fake, STUDENTS), ["Bearer t1"; 3]);
        assert!(fake
            .to(STUDENTS)
            .iter()
            .all(|r| r.query() == "limit=0&totalCount=true" && r.method == "GET"));
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_token_fetch() {
        let fake = counting_server(3600).await;
        let client = fake.client();
        let (a, b, c) =
            tokio::join!(client.count("students"), client.count("students"), client.count("students"));
        assert_eq!((a, b, c), (Ok(7), Ok(7), Ok(7)));
        assert_eq!(fake.hits(TOKEN_PATH), 1);
    }

    #[tokio::test]
    async fn a_token_within_the_renewal_margin_is_renewed() {
        let fake = counting_server(RENEW_MARGIN.as_secs()).await;
        let client = fake.client();
        assert_eq!(client.count("students").await, Ok(7));
        assert_eq!(client.count("students").await, Ok(7));
        assert_eq!(fake.hits(TOKEN_PATH), 2, "a token about to expire is not used");
        assert_eq!(bearers(&fake, STUDENTS), ["Bearer t1", "Bearer t2"]);
    }

    #[tokio::test]
    async fn a_token_is_renewed_once_it_comes_within_the_margin() {
        // Usable for one second, then within the renewal margin.
        let fake = counting_server(RENEW_MARGIN.as_secs() + 1).await;
        let client = fake.client();
        assert_eq!(client.count("students").await, Ok(7));
        assert_eq!(client.count("students").await, Ok(7));
        assert_eq!(fake.hits(TOKEN_PATH), 1);
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(client.count("students").await, Ok(7));
        assert_eq!(fake.hits(TOKEN_PATH), 2);
        assert_eq!(bearers(&fake, STUDENTS), ["Bearer t1", "Bearer t1", "Bearer t2"]);
    }

    #[tokio::test]
    async fn a_401_renews_the_token_once_and_retries_once() {
        let issued = AtomicUsize::new(0);
        let fake = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            STUDENTS if request.header("authorization") == Some("Bearer t1") => {
                Answer::problem(401, "The token was revoked.", &[])
            }
            STUDENTS => Answer::json(200, json!([])).with("Total-Count", "5"),
            _ => Answer::problem(404, "No such path.", &[]),
        })
        .await;
        let client = fake.client();
        assert_eq!(client.count("students").await, Ok(5));
        assert_eq!(fake.hits(TOKEN_PATH), 2);
        assert_eq!(bearers(&fake, STUDENTS), ["Bearer t1", "Bearer t2"]);
        // The renewed token is kept.
        assert_eq!(client.count("students").await, Ok(5));
        assert_eq!(fake.hits(TOKEN_PATH), 2);
    }

    #[tokio::test]
    async fn a_token_refused_after_renewal_is_unauthorized_without_looping() {
        let issued = AtomicUsize::new(0);
        let fake = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            _ => Answer::problem(401, "Bad token.", &[]),
        })
        .await;
        let result = fake.client().count("students").await;
        assert!(matches!(&result, Err(ApiError::Unauthorized(m)) if m.contains("Bad token")), "{result:?}");
        assert_eq!(fake.hits(TOKEN_PATH), 2, "renewed once");
        assert_eq!(fake.hits(STUDENTS), 2, "retried once");
    }

    #[tokio::test]
    async fn refused_credentials_are_unauthorized() {
        let fake = Fake::start(|request, _| match request.path() {
            TOKEN_PATH => Answer::json(
                401,
                json!({ "error": "invalid_client", "error_description": "Client authentication failed." }),
            ),
            _ => Answer::json(200, json!([])).with("Total-Count", "1"),
        })
        .await;
        let client = fake.client();
        let query = PageQuery { limit: 10, ..PageQuery::default() };
        let error = client.page("students", &query).await.unwrap_err();
        let ApiError::Unauthorized(message) = &error else { panic!("{error:?}") };
        assert!(message.contains("Client authentication failed."), "{message}");
        assert!(!error.to_string().contains(SECRET));
        assert_eq!(fake.hits(STUDENTS), 0, "no data request without a token");
        assert!(matches!(
            client.put("students", "a", &json!({}), "\"e\"").await,
            Err(ApiError::Unauthorized(_))
        ));
    }

    /// A server whose token endpoint answers `token` (status 200) and that has 7 students.
    async fn token_server(token: Answer) -> Fake {
        let Answer { status, headers, body } = token;
        Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => Answer { status, headers: headers.clone(), body: body.clone() },
            STUDENTS => Answer::json(200, json!([])).with("Total-Count", "7"),
            _ => Answer::problem(404, "No such path.", &[]),
        })
        .await
    }

    fn raw(status: u16, body: &str) -> Answer {
        Answer { status, headers: vec![], body: body.to_owned() }
    }

    fn lasting(expires_in: Value) -> Answer {
        Answer::json(200, json!({ "access_token": "t1", "token_type": "bearer", "expires_in": expires_in }))
    }

    #[tokio::test]
    async fn an_expires_in_that_is_no_number_of_seconds_is_an_error_not_a_panic() {
        for expires_in in [
            json!("NaN"),
            json!("nan"),
            json!("inf"),
            json!("-inf"),
            json!("1e400"),
            json!("soon"),
            json!(""),
            json!(-1),
            json!(-0.5),
            json!("-30"),
            json!(true),
            json!([3600]),
            json!({ "seconds": 3600 }),
        ] {
            let fake = token_server(lasting(expires_in.clone())).await;
            let error = fake.client().count("students").await.unwrap_err();
            let ApiError::Http(message) = &error else { panic!("{expires_in}: {error:?}") };
            assert!(message.contains("expires_in that is no number of seconds"), "{expires_in}: {message}");
            assert_eq!(fake.hits(STUDENTS), 0, "no data request with a token of no known lifetime");
        }
    }

    #[tokio::test]
    async fn a_huge_or_odd_but_meaningful_expires_in_is_taken() {
        for expires_in in [
            json!(1e300),
            json!(u64::MAX),
            json!(i64::MIN.unsigned_abs()),
            json!("3600"),
            json!(" 3600 "),
            json!(3600.5),
            json!(0),
            json!(null),
        ] {
            let fake = token_server(lasting(expires_in.clone())).await;
            let client = fake.client();
            assert_eq!(client.count("students").await, Ok(7), "{expires_in}");
            assert_eq!(client.count("students").await, Ok(7), "{expires_in}");
            assert_eq!(bearers(&fake, STUDENTS), ["Bearer t1"; 2], "{expires_in}");
        }
        // A lifetime beyond any clock is kept a year at most, and still used.
        let fake = token_server(lasting(json!(1e300))).await;
        let client = fake.client();
        client.count("students").await.unwrap();
        let slot = client.inner.token.lock().await;
        let expires = slot.as_ref().unwrap().expires.unwrap();
        assert!(
            expires <= Instant::now() + Duration::from_secs(edfi_core::wire::answers::LONGEST_TOKEN_SECONDS)
        );
    }

    #[tokio::test]
    async fn token_answers_of_the_wrong_shape_are_errors_that_say_so() {
        let cases = [
            (Answer::empty(200), "is not JSON"),
            (Answer::json(200, json!("<html>")), "is not a JSON object"),
            (raw(200, "<html><body>Sign in</body></html>"), "is not JSON"),
            (raw(200, "{\"access_token\": \"t1\""), "is not JSON"),
            (Answer::json(200, json!([{ "access_token": "t1" }])), "is not a JSON object"),
            (Answer::json(200, json!(3600)), "is not a JSON object"),
            (Answer::json(200, json!(null)), "is not a JSON object"),
            (Answer::json(200, json!({ "token": "t1" })), "has no access_token"),
            (Answer::json(200, json!({ "access_token": "" })), "has an empty access_token"),
            (Answer::json(200, json!({ "access_token": 12345 })), "not a string"),
            (Answer::json(200, json!({ "access_token": null })), "not a string"),
            (Answer::json(200, json!({ "access_token": ["t1"] })), "not a string"),
            (
                Answer::json(200, json!({ "access_token": "t1\r\nX-Injected: 1" })),
                "cannot be sent in a header",
            ),
            (Answer::json(200, json!({ "access_token": "t\u{e9}" })), "cannot be sent in a header"),
            (
                Answer::json(200, json!({ "access_token": "t1", "token_type": "mac" })),
                "of type \"mac\", not bearer",
            ),
            (Answer::json(200, json!({ "access_token": "t1", "token_type": 1 })), "of type 1, not bearer"),
        ];
        for (answer, expected) in cases {
            let shown = answer.body.clone();
            let fake = token_server(answer).await;
            let client = fake.client();
            let error = client.count("students").await.unwrap_err();
            let ApiError::Http(message) = &error else { panic!("{shown}: {error:?}") };
            assert!(message.starts_with("The API's ") && message.contains(expected), "{shown}: {message}");
            assert!(!message.contains(SECRET));
            assert!(matches!(client.put("students", "a", &json!({}), "\"e\"").await, Err(ApiError::Http(_))));
            assert_eq!(fake.hits(STUDENTS), 0, "{shown}");
        }
        // "Bearer" in any case is bearer.
        let fake =
            token_server(Answer::json(200, json!({ "access_token": "t1", "token_type": "Bearer" }))).await;
        assert_eq!(fake.client().count("students").await, Ok(7));
    }

    #[tokio::test]
    async fn token_endpoint_failures_of_any_body_are_errors() {
        for (status, body) in [
            (401, "".to_owned()),
            (400, "<html>no</html>".to_owned()),
            (403, "[1, 2]".to_owned()),
            (500, "\u{0}\u{1}binary".to_owned()),
            (503, "x".repeat(100_000)),
            (302, String::new()),
        ] {
            let fake = token_server(raw(status, &body)).await;
            let error = fake.client().count("students").await.unwrap_err();
            assert!(!matches!(error, ApiError::NotFound), "{status}: {error:?}");
            assert!(error.to_string().len() < 400, "{status}: a line for the status bar");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let client = Client::new("https://api.example.org/", "the-key", "hunter2-very-secret");
        let shown = format!("{client:?} {client:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("the-key") && shown.contains("https://api.example.org\""), "{shown}");
    }

    // ---------------------------------------------------------------------------------- reads

    fn metadata_index(base: &str) -> Answer {
        Answer::json(
            200,
            json!([
                {
                    "name": "resources",
                    "endpointUri": format!("{base}/metadata/data/v3/resources/swagger.json"),
                    "prefix": "",
                },
                {
                    "name": "descriptors",
                    "endpointUri": format!("{base}/metadata/data/v3/descriptors/swagger.json"),
                    "prefix": "",
                },
            ]),
        )
    }

    /// The paths of `names`, each (name, schema): the collection's POST takes the schema, when
    /// one is given.
    fn paths(names: &[(&str, Option<&str>)]) -> Value {
        let mut paths = Map::new();
        for (name, schema) in names {
            for suffix in ["", "/{id}", "/deletes", "/keyChanges"] {
                paths.insert(format!("/ed-fi/{name}{suffix}"), json!({ "get": {} }));
            }
            if let Some(schema) = schema {
                let body = json!({ "$ref": format!("#/components/schemas/{schema}") });
                paths[&format!("/ed-fi/{name}")]["post"] =
                    json!({ "requestBody": { "content": { "application/json": { "schema": body } } } });
            }
        }
        Value::Object(paths)
    }

    fn resources_document() -> Value {
        json!({
            "openapi": "3.0.1",
            "paths": paths(&[
                ("students", Some("edFi_student")),
                ("classPeriods", Some("edFi_classPeriod")),
                ("schools", None),
            ]),
            "components": { "schemas": {
                "edFi_classPeriod": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "string", "readOnly": true },
                        "classPeriodName": { "type": "string", "maxLength": 60 },
                        "schoolReference": { "$ref": "#/components/schemas/edFi_schoolReference" },
                        "meetingTimes": {
                            "type": "array",
                            "items": { "$ref": "#/components/schemas/edFi_classPeriod_meetingTime" },
                        },
                        "officialAttendancePeriod": { "type": "boolean" },
                        "beginDate": { "type": "string", "format": "date" },
                    },
                    "required": [
                        "classPeriodName",
                        "schoolReference",
                        "meetingTimes",
                        "officialAttendancePeriod",
                        "beginDate",
                    ],
                },
                "edFi_schoolReference": {
                    "type": "object",
                    "properties": {
                        "schoolId": { "type": "integer", "format": "int64" },
                        "link": { "type": "string" },
                    },
                    "required": ["schoolId"],
                },
                "edFi_classPeriod_meetingTime": {
                    "type": "object",
                    "properties": {
                        "startTime": { "type": "string", "format": "time" },
                        "endTime": { "type": "string", "format": "time" },
                        "alternateDayName": { "type": "string" },
                    },
                    "required": ["startTime", "endTime"],
                },
                "edFi_student": {
                    "type": "object",
                    "properties": {
                        "studentUniqueId": { "type": "string" },
                        "birthDate": { "type": "string", "format": "date" },
                        "middleName": { "type": "string" },
                    },
                    "required": ["studentUniqueId", "birthDate"],
                },
            } },
        })
    }

    fn descriptors_document() -> Value {
        json!({
            "openapi": "3.0.1",
            "paths": paths(&[
                ("gradeLevelDescriptors", Some("edFi_gradeLevelDescriptor")),
                ("academicSubjectDescriptors", None),
            ]),
            "components": { "schemas": {
                "edFi_gradeLevelDescriptor": {
                    "type": "object",
                    "properties": {
                        "namespace": { "type": "string" },
                        "codeValue": { "type": "string" },
                        "description": { "type": "string" },
                    },
                    "required": ["namespace", "codeValue"],
                },
            } },
        })
    }

    async fn metadata_server() -> Fake {
        Fake::start(|request, base| match request.path() {
            "/metadata/" => metadata_index(base),
            "/metadata/data/v3/resources/swagger.json" => Answer::json(200, resources_document()),
            "/metadata/data/v3/descriptors/swagger.json" => Answer::json(200, descriptors_document()),
            _ => Answer::problem(404, "No such path.", &[]),
        })
        .await
    }

    #[tokio::test]
    async fn resources_come_from_both_documents_sorted_resources_first() {
        let fake = metadata_server().await;
        let resources = fake.client().resources().await.unwrap();
        let listed: Vec<(&str, bool)> = resources.iter().map(|r| (r.name.as_str(), r.descriptor)).collect();
        assert_eq!(
            listed,
            [
                ("classPeriods", false),
                ("schools", false),
                ("students", false),
                ("academicSubjectDescriptors", true),
                ("gradeLevelDescriptors", true),
            ]
        );
        assert_eq!(fake.hits(TOKEN_PATH), 0, "metadata needs no token");
        assert!(fake.requests().iter().all(|r| r.header("authorization").is_none()));
    }

    #[tokio::test]
    async fn groups_are_the_domains_of_a_path_else_the_interchanges_of_a_tag() {
        let mut resources = json!({
            "openapi": "3.0.1",
            "paths": paths(&[
                ("students", None),
                ("schools", None),
                ("studentSchoolAssociations", None),
                ("busRoutes", None),
            ]),
            "tags": [
                { "name": "students", "x-Ed-Fi-interchanges": ["Student", "StudentHealth"] },
                { "name": "schools", "x-Ed-Fi-interchanges": ["EducationOrganization"] },
                { "name": "studentSchoolAssociations", "x-Ed-Fi-interchanges": ["StudentEnrollment"] },
                { "name": "busRoutes" },
            ],
        });
        // Ed-Fi's own documents put the domains on every path of the resource; they win.
        for suffix in ["", "/{id}"] {
            resources["paths"][format!("/ed-fi/studentSchoolAssociations{suffix}")]["x-Ed-Fi-domains"] =
                json!(["Enrollment", "SchoolCalendar"]);
        }
        let documents = Arc::new((resources, descriptors_document()));
        let fake = Fake::start(move |request, base| match request.path() {
            "/metadata/" => metadata_index(base),
            "/metadata/data/v3/resources/swagger.json" => Answer::json(200, documents.0.clone()),
            "/metadata/data/v3/descriptors/swagger.json" => Answer::json(200, documents.1.clone()),
            _ => Answer::problem(404, "No such path.", &[]),
        })
        .await;
        let listed = fake.client().resources().await.unwrap();
        let groups: Vec<(&str, Vec<&str>)> =
            listed.iter().map(|r| (r.name.as_str(), r.groups.iter().map(String::as_str).collect())).collect();
        assert_eq!(
            groups,
            [
                ("busRoutes", vec![]),
                ("schools", vec!["EducationOrganization"]),
                ("studentSchoolAssociations", vec!["Enrollment", "SchoolCalendar"]),
                ("students", vec!["Student", "StudentHealth"]),
                ("academicSubjectDescriptors", vec![]),
                ("gradeLevelDescriptors", vec![]),
            ]
        );
    }

    #[tokio::test]
    async fn page_asks_for_the_range_and_total_with_encoded_filters_and_pages_on_by_token() {
        let issued = AtomicUsize::new(0);
        let fake = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            STUDENTS if request.query().contains("pageToken") => Answer::json(200, json!([{ "id": "c" }])),
            STUDENTS => Answer::json(200, json!([{ "id": "a" }, { "id": "b" }]))
                .with("Total-Count", "123")
                .with("Next-Page-Token", "tok/2"),
            _ => Answer::problem(404, "No such path.", &[]),
        })
        .await;
        let client = fake.client();
        let filters = vec![
            ("lastSurname".to_owned(), "O'Brien & Sons/é +1=2?#".to_owned()),
            ("firstName".to_owned(), "Ana".to_owned()),
        ];
        let query = PageQuery { offset: 50, limit: 25, filters, token: None };
        let page = client.page("students", &query).await;
        let items = vec![json!({ "id": "a" }), json!({ "id": "b" })];
        assert_eq!(page, Ok(Page { items, total: Some(123), next: Some("tok/2".into()) }));
        let query = PageQuery { limit: 10, token: Some("tok/2".into()), ..PageQuery::default() };
        let page = client.page("students", &query).await.unwrap();
        assert_eq!(page, Page { items: vec![json!({ "id": "c" })], total: None, next: None });
        let queries: Vec<String> = fake.to(STUDENTS).iter().map(|r| r.query().to_owned()).collect();
        assert_eq!(
            queries,
            [
                concat!(
                    "offset=50&limit=25&totalCount=true",
                    "&lastSurname=O%27Brien%20%26%20Sons%2F%C3%A9%20%2B1%3D2%3F%23&firstName=Ana",
                ),
                "pageSize=10&pageToken=tok%2F2&totalCount=true",
            ]
        );
    }

    #[tokio::test]
    async fn get_keeps_the_quoted_etag_reads_fresh_and_maps_404() {
        let issued = AtomicUsize::new(0);
        let fake = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            "/data/v3/ed-fi/students/abc" => {
                Answer::json(200, json!({ "id": "abc", "_etag": "e1" })).with("ETag", "\"e1\"")
            }
            "/data/v3/ed-fi/students/gone" => Answer::problem(404, "No item.", &[]),
            _ => Answer::problem(500, "Broken.", &[]),
        })
        .await;
        let client = fake.client();
        let item = client.get("students", "abc").await.unwrap();
        assert_eq!(item, Item { body: json!({ "id": "abc", "_etag": "e1" }), etag: "\"e1\"".into() });
        assert_eq!(fake.to("/data/v3/ed-fi/students/abc")[0].header("cache-control"), Some("no-cache"));
        assert_eq!(client.get("students", "gone").await, Err(ApiError::NotFound));
        let broken = client.get("students", "other").await;
        assert!(
            matches!(&broken, Err(ApiError::Server { status: 500, detail }) if detail == "Broken."),
            "{broken:?}"
        );
    }

    #[tokio::test]
    async fn history_lists_versions_and_fetches_one_by_its_unquoted_etag() {
        let issued = AtomicUsize::new(0);
        let fake = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            "/admin/v1/history/students/abc" => Answer::json(
                200,
                json!([
                    {
                        "etag": "e1",
                        "lastModifiedDate": "2026-11-25T10:44:01Z",
                        "changeVersion": 3,
                        "client": "k1",
                        "deleted": false,
                    },
                    {
                        "etag": null,
                        "lastModifiedDate": "2026-11-26T10:44:01Z",
                        "changeVersion": 9,
                        "client": "k2",
                        "deleted": true,
                    },
                ]),
            ),
            "/admin/v1/history/students/abc/e1" => {
                Answer::json(200, json!({ "id": "abc", "firstName": "Ana" }))
            }
            _ => Answer::problem(404, "No such version.", &[]),
        })
        .await;
        let client = fake.client();
        let versions = client.history("students", "abc").await.unwrap();
        assert_eq!(
            versions,
            [
                VersionInfo {
                    etag: Some("e1".into()),
                    last_modified: "2026-11-25T10:44:01Z".into(),
                    change_version: 3,
                    client: "k1".into(),
                    deleted: false,
                },
                VersionInfo {
                    etag: None,
                    last_modified: "2026-11-26T10:44:01Z".into(),
                    change_version: 9,
                    client: "k2".into(),
                    deleted: true,
                },
            ]
        );
        assert_eq!(client.version("students", "abc", "\"e1\"").await.unwrap()["firstName"], "Ana");
        assert_eq!(client.version("students", "abc", "e1").await.unwrap()["firstName"], "Ana");
        assert_eq!(client.version("students", "abc", "\"e0\"").await, Err(ApiError::NotFound));
    }

    #[tokio::test]
    async fn clients_are_listed_for_the_administrator_and_refused_for_anyone_else() {
        let listed = json!([
            { "key": "k1", "name": "Sandbox", "instance": "district-a", "revoked": false },
            {
                "key": "k2", "name": "SIS", "instance": "district-a", "revoked": true,
                "claimSetName": "SIS Vendor", "educationOrganizationIds": [255901001, 255901002],
                "namespacePrefixes": [],
            },
        ]);
        let issued = AtomicUsize::new(0);
        let admin = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            paths::CLIENTS => Answer::json(200, listed.clone()),
            _ => Answer::problem(404, "No such path.", &[]),
        })
        .await;
        let Ok(ClientList::Listed(clients)) = admin.client().clients().await else { panic!("listed") };
        assert_eq!(clients.len(), 2);
        assert_eq!((clients[0].claim_set_name.as_deref(), clients[0].revoked), (None, false));
        assert_eq!(clients[1].claim_set_name.as_deref(), Some("SIS Vendor"));
        assert_eq!(clients[1].education_organization_ids, [255901001, 255901002]);
        assert_eq!(admin.to(paths::CLIENTS)[0].header("authorization"), Some("Bearer t1"));

        let issued = AtomicUsize::new(0);
        let data_client = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            paths::CLIENTS => Answer::problem(403, "Only the administrator may manage API clients.", &[]),
            _ => Answer::problem(404, "No such path.", &[]),
        })
        .await;
        assert_eq!(
            data_client.client().clients().await,
            Ok(ClientList::NotAdmin {
                status: 403,
                detail: "Only the administrator may manage API clients.".into()
            })
        );
        // A 401 is tried once more with a new token, then is the same refusal.
        let issued = AtomicUsize::new(0);
        let refused = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            _ => Answer::problem(401, "Not an administrator's token.", &[]),
        })
        .await;
        assert_eq!(
            refused.client().clients().await,
            Ok(ClientList::NotAdmin { status: 401, detail: "Not an administrator's token.".into() })
        );
        assert_eq!(refused.hits(paths::CLIENTS), 2);
        // An API without the list (an ODS/API) says so.
        let issued = AtomicUsize::new(0);
        let other = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            _ => Answer::problem(404, "No such path.", &[]),
        })
        .await;
        let error = other.client().clients().await.unwrap_err().to_string();
        assert!(error.contains("lists no clients"), "{error}");
    }

    // --------------------------------------------------------------------------------- writes

    async fn writing_server() -> Fake {
        let issued = AtomicUsize::new(0);
        Fake::start(move |request, base| {
            let id = request.path().strip_prefix("/data/v3/ed-fi/students/").unwrap_or_default();
            match (request.path(), id) {
                (TOKEN_PATH, _) => issue(&issued, 3600),
                (STUDENTS, _) if request.header("if-none-match") == Some("*") => Answer::empty(201)
                    .with("ETag", "\"new-etag\"")
                    .with("Location", &format!("{base}/data/v3/ed-fi/students/0123abc")),
                (STUDENTS, _) => Answer::problem(412, "The item already exists.", &[]),
                (_, "saved") => Answer::empty(204)
                    .with("ETag", "\"e2\"")
                    .with("Location", &format!("{base}/data/v3/ed-fi/students/saved")),
                (_, "stale") => Answer::problem(
                    412,
                    "The item has been modified by another user.",
                    &["The resource item's etag value does not match."],
                ),
                (_, "invalid") => Answer::problem(
                    400,
                    "Data validation failed. See 'validationErrors' for details.",
                    &["The body has 2 problems."],
                )
                .body(json!({
                    "type": "urn:ed-fi:api:bad-request:data-validation-failed",
                    "status": 400,
                    "detail": "Data validation failed. See 'validationErrors' for details.",
                    "validationErrors": {
                        "$.birthDate": ["birthDate is required."],
                        "$.firstName": ["firstName is too long.", "firstName has a bad character."],
                    },
                    "errors": ["The body has 2 problems."],
                })),
                (_, "referenced") => Answer::problem(
                    409,
                    "The item is referenced by other items.",
                    &["2 studentSchoolAssociations reference it."],
                ),
                (_, "missing") => Answer::problem(404, "No student has this id.", &[]),
                _ => Answer::problem(503, "Try again later.", &[]),
            }
        })
        .await
    }

    fn at(fake: &Fake, id: &str) -> Request {
        fake.to(&format!("{STUDENTS}/{id}")).pop().expect("a request")
    }

    #[tokio::test]
    async fn put_maps_each_answer_to_an_outcome_and_sends_if_match_verbatim() {
        let fake = writing_server().await;
        let client = fake.client();
        let body = json!({ "studentUniqueId": "S-1", "firstName": "Ana", "birthDate": "2010-02-28" });

        let saved = client.put("students", "saved", &body, "\"e1\"").await;
        assert_eq!(saved, Ok(WriteOutcome::Saved { etag: Some("\"e2\"".into()), id: Some("saved".into()) }));
        let request = at(&fake, "saved");
        assert_eq!(request.method, "PUT");
        assert_eq!(request.header("if-match"), Some("\"e1\""));
        assert_eq!(request.header("if-none-match"), None);
        assert_eq!(request.header("content-type"), Some(wire::JSON_CONTENT_TYPE));
        assert_eq!(request.header("authorization"), Some("Bearer t1"));
        assert_eq!(serde_json::from_str::<Value>(&request.body).unwrap(), body);

        let stale = client.put("students", "stale", &body, "W/\"odd\"").await;
        assert_eq!(
            stale,
            Ok(WriteOutcome::Conflict { detail: "The item has been modified by another user.".into() })
        );
        assert_eq!(at(&fake, "stale").header("if-match"), Some("W/\"odd\""), "passed through as given");

        let invalid = client.put("students", "invalid", &body, "\"e1\"").await.unwrap();
        let WriteOutcome::Invalid { detail, errors } = invalid else { panic!("{invalid:?}") };
        assert_eq!(
            detail,
            "Data validation failed. See 'validationErrors' for details. The body has 2 problems."
        );
        let expected: BTreeMap<String, Vec<String>> = [
            ("$.birthDate".to_owned(), vec!["birthDate is required.".to_owned()]),
            (
                "$.firstName".to_owned(),
                vec!["firstName is too long.".to_owned(), "firstName has a bad character.".to_owned()],
            ),
        ]
        .into();
        assert_eq!(errors, expected);

        let referenced = client.put("students", "referenced", &body, "\"e1\"").await;
        assert_eq!(
            referenced,
            Ok(WriteOutcome::Refused {
                status: 409,
                detail: "The item is referenced by other items. 2 studentSchoolAssociations reference it."
                    .into(),
            })
        );
        let missing = client.put("students", "missing", &body, "\"e1\"").await;
        assert_eq!(
            missing,
            Ok(WriteOutcome::Refused { status: 404, detail: "No student has this id.".into() })
        );

        let failed = client.put("students", "other", &body, "\"e1\"").await;
        assert_eq!(failed, Err(ApiError::Server { status: 503, detail: "Try again later.".into() }));
        assert!(client.put("students", "saved", &body, "\"bad\nvalue\"").await.is_err());
        assert_eq!(fake.hits(TOKEN_PATH), 1);
    }

    /// A server whose metadata puts its data elsewhere (an ODS/API 7 serves `/data/ed-fi/…`) is
    /// reached there; metadata naming another origin is not followed, as the token would go there.
    #[tokio::test]
    async fn the_data_api_is_where_the_metadata_servers_say_on_the_apis_own_origin() {
        for (servers, expected) in [
            (Some("{url}/tenant1/data"), "/tenant1/data/ed-fi/students"),
            (Some("/data"), "/data/ed-fi/students"),
            (Some("http://elsewhere.example/data"), STUDENTS),
            (Some("{url}/data?x=1"), STUDENTS),
            (None, STUDENTS),
        ] {
            let issued = AtomicUsize::new(0);
            let fake = Fake::start(move |request, url| match request.path() {
                TOKEN_PATH => issue(&issued, 3600),
                "/metadata/" => {
                    Answer::json(200, json!([{ "name": "resources", "endpointUri": "/metadata/r.json" }]))
                }
                "/metadata/r.json" => {
                    let mut document = json!({ "openapi": "3.0.1", "paths": { "/ed-fi/students": {} } });
                    if let Some(servers) = servers {
                        document["servers"] = json!([{ "url": servers.replace("{url}", url) }]);
                    }
                    Answer::json(200, document)
                }
                path if path == expected => Answer::json(200, json!([])).with("Total-Count", "7"),
                _ => Answer::empty(404),
            })
            .await;
            let client = fake.client();
            assert_eq!(client.count("students").await, Ok(7), "{servers:?}");
            client.count("students").await.unwrap();
            assert_eq!(fake.hits("/metadata/"), 1, "{servers:?}: the metadata asked once");
        }
    }

    #[tokio::test]
    async fn every_write_carries_its_own_idempotency_key() {
        let fake = writing_server().await;
        let client = fake.client();
        let body = json!({ "studentUniqueId": "S-1" });
        client.put("students", "saved", &body, "\"e1\"").await.unwrap();
        client.put("students", "saved", &body, "\"e1\"").await.unwrap();
        client.delete("students", "saved", "\"e1\"").await.unwrap();
        client.create("students", &body).await.unwrap();
        let keys: Vec<String> = fake
            .requests()
            .iter()
            .filter(|r| r.path() != TOKEN_PATH && !r.path().starts_with("/metadata/"))
            .map(|r| r.header("idempotency-key").expect("an Idempotency-Key").to_owned())
            .collect();
        assert_eq!(keys.len(), 4);
        for key in &keys {
            let parsed = IdempotencyKey::parse(key).unwrap_or_else(|e| panic!("{key}: {e}"));
            assert!(key.starts_with('"'), "sent as a structured-field string: {key}");
            assert!(uuid::Uuid::parse_str(parsed.as_str()).is_ok(), "{key}");
        }
        assert_eq!(keys.iter().collect::<BTreeSet<_>>().len(), 4, "a new key for each write: {keys:?}");
    }

    #[tokio::test]
    async fn a_write_whose_answer_was_lost_is_retried_once_with_the_same_key() {
        let tries = Arc::new(AtomicUsize::new(0));
        let issued = AtomicUsize::new(0);
        let counted = tries.clone();
        let fake = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            path if path.starts_with("/metadata/") => Answer::empty(404),
            _ if counted.fetch_add(1, Ordering::SeqCst) == 0 => Answer::empty(HANG_UP),
            _ => Answer::empty(204).with("ETag", "\"e2\"").with("Idempotency-Replayed", "true"),
        })
        .await;
        let client = fake.client();
        let saved = client.put("students", "lost", &json!({}), "\"e1\"").await;
        assert!(matches!(saved, Ok(WriteOutcome::Saved { .. })), "{saved:?}");
        let keys: Vec<_> = fake
            .to(&format!("{STUDENTS}/lost"))
            .iter()
            .map(|r| r.header("idempotency-key").map(str::to_owned))
            .collect();
        assert_eq!(keys.len(), 2, "one retry");
        assert!(keys[0].is_some() && keys[0] == keys[1], "{keys:?}");
    }

    #[tokio::test]
    async fn a_401_retry_of_a_write_carries_the_same_key() {
        let issued = AtomicUsize::new(0);
        let fake = Fake::start(move |request, _| match request.path() {
            TOKEN_PATH => issue(&issued, 3600),
            _ if request.header("authorization") == Some("Bearer t1") => {
                Answer::problem(401, "Revoked.", &[])
            }
            _ => Answer::empty(204).with("ETag", "\"e2\""),
        })
        .await;
        fake.client().delete("students", "renewed", "\"e1\"").await.unwrap();
        let tries = fake.to(&format!("{STUDENTS}/renewed"));
        assert_eq!(tries.len(), 2);
        assert_eq!(tries[0].header("idempotency-key"), tries[1].header("idempotency-key"));
    }

    #[tokio::test]
    async fn delete_sends_if_match_and_maps_answers() {
        let fake = writing_server().await;
        let client = fake.client();
        assert!(matches!(client.delete("students", "saved", "\"e1\"").await, Ok(WriteOutcome::Saved { .. })));
        let request = at(&fake, "saved");
        assert_eq!((request.method.as_str(), request.header("if-match")), ("DELETE", Some("\"e1\"")));
        assert!(request.body.is_empty());
        assert!(matches!(
            client.delete("students", "referenced", "\"e1\"").await,
            Ok(WriteOutcome::Refused { status: 409, .. })
        ));
        assert!(matches!(
            client.delete("students", "stale", "\"e0\"").await,
            Ok(WriteOutcome::Conflict { .. })
        ));
    }

    #[tokio::test]
    async fn create_is_create_only() {
        let fake = writing_server().await;
        let client = fake.client();
        let body = json!({ "studentUniqueId": "S-2" });
        let created = client.create("students", &body).await;
        assert_eq!(
            created,
            Ok(WriteOutcome::Saved { etag: Some("\"new-etag\"".into()), id: Some("0123abc".into()) })
        );
        let request = fake.to(STUDENTS).pop().unwrap();
        assert_eq!(request.method, "POST");
        assert_eq!(request.header("if-none-match"), Some("*"));
        assert_eq!(request.header("if-match"), None);
        assert_eq!(request.header("content-type"), Some(wire::JSON_CONTENT_TYPE));
        assert_eq!(serde_json::from_str::<Value>(&request.body).unwrap(), body);
    }

    #[tokio::test]
    async fn an_unreachable_api_is_an_http_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let error = Client::new(&url, KEY, SECRET).count("students").await.unwrap_err();
        assert!(matches!(&error, ApiError::Http(m) if m.contains("Cannot connect")), "{error:?}");
        assert!(!error.to_string().contains(SECRET));
    }

    // ------------------------------------------------------------------------------- templates

    #[tokio::test]
    async fn template_follows_refs_and_arrays_and_caches_the_documents() {
        let fake = metadata_server().await;
        let client = fake.client();
        let template = client.template("classPeriods").await.unwrap();
        assert_eq!(
            template,
            json!({
                "classPeriodName": "",
                "schoolReference": { "schoolId": 0 },
                "meetingTimes": [{ "startTime": "08:00:00", "endTime": "08:00:00" }],
                "officialAttendancePeriod": false,
                "beginDate": "2026-01-01",
            })
        );
        assert_eq!(
            client.template("students").await.unwrap(),
            json!({ "studentUniqueId": "", "birthDate": "2026-01-01" })
        );
        assert_eq!(
            client.clone().template("gradeLevelDescriptors").await.unwrap(),
            json!({ "namespace": "", "codeValue": "" })
        );
        assert!(matches!(client.template("unicorns").await, Err(ApiError::Http(_))));
        assert!(matches!(client.template("schools").await, Err(ApiError::Http(_))), "no POST described");
        assert_eq!(fake.hits("/metadata/"), 1, "fetched once");
        assert_eq!(fake.hits("/metadata/data/v3/resources/swagger.json"), 1);
        assert_eq!(fake.hits("/metadata/data/v3/descriptors/swagger.json"), 1);
    }

    #[test]
    fn a_schema_that_contains_itself_ends() {
        let document = json!({ "components": { "schemas": { "edFi_node": {
            "type": "object",
            "properties": {
                "name": { "type": "string" },
                "parent": { "$ref": "#/components/schemas/edFi_node" },
            },
            "required": ["name", "parent"],
        } } } });
        let schema = json!({ "$ref": "#/components/schemas/edFi_node" });
        assert_eq!(template_of(&document, &schema, "#/x"), Ok(json!({ "name": "", "parent": {} })));
    }

    /// Metadata built to be followed forever: a chain of distinct schemas far deeper than any
    /// stack (each requiring the next), and one that doubles at every level (two required
    /// members naming the next schema, 2^30 values). Each is refused, saying why; neither
    /// overflows the stack or fills memory.
    #[test]
    fn a_schema_too_deep_or_too_large_for_a_template_is_refused() {
        let chain = |members: &[&str], levels: usize| {
            let mut schemas = Map::new();
            for level in 0..levels {
                let next = json!({ "$ref": format!("#/components/schemas/s{}", level + 1) });
                let properties: Map<String, Value> =
                    members.iter().map(|m| (m.to_string(), next.clone())).collect();
                schemas.insert(
                    format!("s{level}"),
                    json!({ "type": "object", "properties": properties, "required": members }),
                );
            }
            schemas.insert(format!("s{levels}"), json!({ "type": "string" }));
            json!({ "components": { "schemas": schemas } })
        };
        let start = |document: &Value| document["components"]["schemas"]["s0"].clone();
        let deep = chain(&["next"], 200_000);
        let refused = template_of(&deep, &start(&deep), "#/components/schemas/s0").unwrap_err();
        assert!(refused.contains("nests deeper than 64 levels"), "{refused}");
        let wide = chain(&["left", "right"], 30);
        let refused = template_of(&wide, &start(&wide), "#/components/schemas/s0").unwrap_err();
        assert!(refused.contains("more than 10000 required values"), "{refused}");
        // Every resource this API describes is within both.
        let documents = [
            edfi_core::openapi::resources_document("http://x"),
            edfi_core::openapi::descriptors_document("http://x"),
        ];
        let documents: Vec<Document> =
            documents.into_iter().map(|body| Document { name: String::new(), body }).collect();
        let mut made = 0;
        for def in edfi_core::resources::all() {
            let Some(reference) = post_schema(&documents, def.name) else { continue };
            made += 1;
            let (document, schema) =
                documents.iter().find_map(|d| resolve(&d.body, &reference).map(|s| (d, s))).unwrap();
            template_of(&document.body, schema, &reference).unwrap_or_else(|e| panic!("{}: {e}", def.name));
        }
        assert!(made > 300, "templates of {made} resources");
        let shallow = chain(&["left", "right"], 5);
        let template = template_of(&shallow, &start(&shallow), "#/components/schemas/s0").unwrap();
        assert_eq!(template["left"]["right"]["left"]["right"]["left"], json!(""));
    }

    #[test]
    fn encoding_and_locations() {
        let location = "http://h/data/v3/ed-fi/students/abc?x=1";
        assert_eq!(paths::item_of(location), Some(("students".into(), "abc".into())));
        assert!(
            is_loopback("http://127.0.0.1:8787")
                && is_loopback("http://localhost")
                && is_loopback("http://[::1]:1")
        );
        assert!(!is_loopback("https://api.example.org"));
        let shown = ApiError::Server { status: 503, detail: "Try again later.".into() }.to_string();
        assert_eq!(shown, "The API failed (503): Try again later.");
    }
}
