//! The request engine against the HTTP contract (`shared/spec/http-contract.md`): every test
//! drives [`handle`] with plain requests over a [`MemoryStore`] and checks what a client sees.
//! Error `type`s are spelled out as the contract gives them, not taken from `problem.rs`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::*;
use crate::store::{MemoryStore, Selection};

const BASE_URL: &str = "https://edfi.example.test";
const CORRELATION_ID: &str = "corr-7f3a";
/// 2026-11-25T10:44:01Z.
const NOW: i64 = 1_795_603_441;
const LATER: i64 = NOW + 3_600;
const STUDENTS: &str = "/data/v3/ed-fi/students";
const UNKNOWN_ID: &str = "0123456789abcdef0123456789abcdef";

const BAD_REQUEST: &str = "urn:ed-fi:api:bad-request";
const DATA_VALIDATION: &str = "urn:ed-fi:api:bad-request:data-validation-failed";
const KEY_CHANGE: &str = "urn:ed-fi:api:bad-request:data-validation-failed:key-change-not-supported";
const PRECONDITION_REQUIRED: &str = "urn:ed-fi:api:bad-request:precondition-required";
const NOT_FOUND: &str = "urn:ed-fi:api:not-found";
const METHOD_NOT_ALLOWED: &str = "urn:ed-fi:api:method-not-allowed";
const LOCK_FAILED: &str = "urn:ed-fi:api:optimistic-lock-failed";
const IF_NONE_MATCH_FAILED: &str = "urn:ed-fi:api:precondition-failed:if-none-match";
const TOO_LARGE: &str = "urn:ed-fi:api:bad-request:payload-too-large";
const UNSUPPORTED_MEDIA: &str = "urn:ed-fi:api:bad-request:unsupported-media-type";

// ------------------------------------------------------------------------------------ harness

/// One API instance: a store, its configuration and the caller-supplied clock and randomness.
struct Api {
    store: MemoryStore,
    config: Config,
    now: i64,
    requests: u64,
    /// The API client the requests come from: its key and name.
    client: &'static str,
    name: &'static str,
    /// Whether the requests carry the administrator's token.
    admin: bool,
    /// The client's claim set and scope (`None`: full access).
    scope: Option<crate::authorization::Scope>,
}

/// Everything stored, plus the change version the next write would take.
#[derive(Debug, PartialEq)]
struct Snapshot {
    docs: Vec<Document>,
    next_change_version: i64,
}

impl Api {
    fn new() -> Self {
        Self::with_config(Config::default())
    }

    fn with_config(config: Config) -> Self {
        Self {
            store: MemoryStore::new(),
            config,
            now: NOW,
            requests: 0,
            client: "test-client",
            name: "Test SIS",
            admin: false,
            scope: None,
        }
    }

    fn requiring_if_match(status: u16) -> Self {
        Self::with_config(Config { if_match: IfMatchPolicy::Required { status }, ..Config::default() })
    }

    /// Handles one request with fresh random bytes; no client input may produce a 5xx.
    fn send(&mut self, req: Request) -> Response {
        self.requests += 1;
        let mut random = [0x5a; 16];
        random[..8].copy_from_slice(&self.requests.to_be_bytes());
        let ctx = Context {
            now: self.now,
            random,
            correlation_id: CORRELATION_ID,
            base_url: BASE_URL,
            client: self.client,
            client_name: self.name,
            admin: self.admin,
            scope: self.scope.as_ref(),
        };
        let response =
            handle(&req, &mut self.store, &self.config, &ctx).expect("the memory store never fails");
        assert!(response.status < 500, "{} answered {}", describe(&req), response.status);
        response
    }

    /// POSTs a new student; returns its id and the `ETag` header.
    fn create(&mut self, body: &Value) -> (String, String) {
        let response = self.send(post(body));
        assert_eq!(response.status, 201, "{}", text(&response));
        let id = header(&response, "Location").rsplit('/').next().unwrap().to_owned();
        (id, header(&response, "ETag").to_owned())
    }

    fn get(&mut self, id: &str) -> Response {
        self.send(get(id))
    }

    /// The current `ETag` header of an item.
    fn etag(&mut self, id: &str) -> String {
        let response = self.get(id);
        assert_eq!(response.status, 200, "{}", text(&response));
        header(&response, "ETag").to_owned()
    }

    fn doc(&self, id: &str) -> Document {
        self.store.get("students", id).unwrap().expect("the item is stored")
    }

    fn snapshot(&self) -> Snapshot {
        let mut store = self.store.clone();
        Snapshot {
            docs: store
                .page("students", &Selection::default(), 0, u64::MAX)
                .unwrap()
                .into_iter()
                .map(|(_, d)| d)
                .collect(),
            next_change_version: store.next_change_version().unwrap(),
        }
    }

    /// Sends a request that must be refused with problem details; checks it changed nothing.
    fn refuse(&mut self, req: Request, status: u16, kind: &str) -> Value {
        let before = self.snapshot();
        let what = describe(&req);
        let problem = assert_problem(&self.send(req), status, kind, &what);
        assert_eq!(self.snapshot(), before, "{what} changed the store");
        problem
    }

    /// Sends a write that must succeed with `status`.
    fn expect(&mut self, req: Request, status: u16) -> Response {
        let what = describe(&req);
        let response = self.send(req);
        assert_eq!(response.status, status, "{what}: {}", text(&response));
        response
    }
}

fn describe(req: &Request) -> String {
    let body = String::from_utf8_lossy(&req.body);
    let body: String = body.chars().take(160).collect();
    format!("{} {}?{} {:?} {body}", req.method, req.path, req.query, req.headers)
}

// ---------------------------------------------------------------------- requests and bodies

fn student(unique_id: &str) -> Value {
    json!({
        "studentUniqueId": unique_id,
        "firstName": "Ana",
        "lastSurname": "Diaz",
        "birthDate": "2010-02-28",
    })
}

fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

fn without(mut body: Value, field: &str) -> Value {
    body.as_object_mut().unwrap().remove(field);
    body
}

fn renamed(unique_id: &str, first_name: &str) -> Value {
    with(student(unique_id), "firstName", json!(first_name))
}

fn item(id: &str) -> String {
    format!("{STUDENTS}/{id}")
}

fn location(id: &str) -> String {
    format!("{BASE_URL}{STUDENTS}/{id}")
}

fn raw(method: &str, path: &str, body: impl Into<Vec<u8>>) -> Request {
    Request::new(method, path).header("Content-Type", "application/json").body(body)
}

/// A POST of `body` to `resource`.
fn to(resource: &str, body: &Value) -> Request {
    raw("POST", &format!("/data/v3/ed-fi/{resource}"), body.to_string())
}

/// A school with the descriptors it needs (`EducationOrganizationCategoryDescriptor#School`,
/// `GradeLevelDescriptor#Ninth grade`).
fn school(id: i64) -> Value {
    json!({
        "schoolId": id, "nameOfInstitution": format!("School {id}"),
        "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor": uri("EducationOrganizationCategoryDescriptor", "School")}],
        "gradeLevels": [{"gradeLevelDescriptor": uri("GradeLevelDescriptor", "Ninth grade")}],
    })
}

/// The URI of descriptor `code` of `kind` (`GradeLevelDescriptor`).
fn uri(kind: &str, code: &str) -> String {
    format!("uri://ed-fi.org/{kind}#{code}")
}

/// A descriptor item of `kind` with `code`.
fn descriptor(kind: &str, code: &str) -> Value {
    json!({"namespace": format!("uri://ed-fi.org/{kind}"), "codeValue": code, "shortDescription": code})
}

fn post(body: &Value) -> Request {
    raw("POST", STUDENTS, body.to_string())
}

fn put(id: &str, body: &Value) -> Request {
    raw("PUT", &item(id), body.to_string())
}

fn get(id: &str) -> Request {
    Request::new("GET", &item(id))
}

fn delete(id: &str) -> Request {
    Request::new("DELETE", &item(id))
}

fn list(query: &str) -> Request {
    Request::new("GET", &format!("{STUDENTS}?{query}"))
}

// ---------------------------------------------------------------------------------- responses

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response.header(name).unwrap_or_else(|| panic!("no {name} header in {response:?}"))
}

fn text(response: &Response) -> String {
    String::from_utf8_lossy(&response.body).into_owned()
}

fn body(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(response)))
}

/// The opaque value of a strong `ETag` header.
fn unquote(etag: &str) -> &str {
    etag.strip_prefix('"').and_then(|e| e.strip_suffix('"')).unwrap_or_else(|| panic!("{etag} is not quoted"))
}

fn weak(etag: &str) -> String {
    format!("W/{etag}")
}

fn is_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks an RFC 9457 problem response and returns its body.
fn assert_problem(response: &Response, status: u16, kind: &str, what: &str) -> Value {
    assert_eq!(response.status, status, "{what}: {}", text(response));
    assert_eq!(response.header("Content-Type"), Some("application/problem+json"), "{what}");
    let problem = body(response);
    assert_eq!(problem["type"], kind, "{what}: {problem}");
    assert_eq!(problem["status"], status, "{what}");
    assert_eq!(problem["correlationId"], CORRELATION_ID, "{what}");
    assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()), "{what}: {problem}");
    assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: {problem}");
    assert!(problem["validationErrors"].is_object(), "{what}: {problem}");
    assert!(problem["errors"].is_array(), "{what}: {problem}");
    problem
}

/// The Ed-Fi 412 for an `If-Match` that does not match, as the contract gives it.
fn lock_failed_body() -> Value {
    json!({
        "detail": "The item has been modified by another user.",
        "type": "urn:ed-fi:api:optimistic-lock-failed",
        "title": "Optimistic Lock Failed",
        "status": 412,
        "correlationId": CORRELATION_ID,
        "validationErrors": {},
        "errors": ["The resource item's etag value does not match what was specified in the 'If-Match' \
                    request header indicating that it has been modified by another client since it was \
                    last retrieved."],
    })
}

// -------------------------------------------------------------------------------- GET by id

#[test]
fn get_by_id_answers_the_item_with_its_validators() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let response = api.get(&id);
    assert_eq!(response.status, 200);
    assert_eq!(header(&response, "Content-Type"), "application/json; charset=utf-8");
    assert_eq!(header(&response, "Cache-Control"), "private");
    assert_eq!(header(&response, "ETag"), etag);
    assert_eq!(header(&response, "Last-Modified"), "Wed, 25 Nov 2026 10:44:01 GMT");
    let item = body(&response);
    assert!(is_id(&id), "{id}");
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["_etag"], unquote(&etag));
    assert_eq!(item["_lastModifiedDate"], "2026-11-25T10:44:01Z");
    assert_eq!(item["changeVersion"], 1);
    let server_fields = ["id", "_etag", "_lastModifiedDate", "changeVersion"];
    let content = server_fields.iter().fold(item, |b, f| without(b, f));
    assert_eq!(content, student("S1"));
}

#[test]
fn etag_is_sha256_of_the_canonical_content_in_a_url_safe_alphabet() {
    let mut api = Api::new();
    let body = json!({
        "lastSurname": "Diaz",
        "studentUniqueId": "S1",
        "birthDate": "2010-02-28",
        "firstName": "Ana",
    });
    let (_, etag) = api.create(&body);
    let canonical =
        r#"{"birthDate":"2010-02-28","firstName":"Ana","lastSurname":"Diaz","studentUniqueId":"S1"}"#;
    let opaque = unquote(&etag);
    assert_eq!(opaque, URL_SAFE_NO_PAD.encode(Sha256::digest(canonical)));
    assert!(opaque.len() >= 22, "at least 128 bits");
    assert!(opaque.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{opaque}");
}

#[test]
fn get_if_none_match_current_is_304_with_etag_and_cache_control() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let list = format!("\"other\", {etag}");
    for value in [etag.as_str(), unquote(&etag), &weak(&etag), "*", &list] {
        let response = api.send(get(&id).header("If-None-Match", value));
        assert_eq!(response.status, 304, "If-None-Match: {value}");
        assert!(response.body.is_empty(), "304 has no body");
        assert_eq!(header(&response, "ETag"), etag);
        assert_eq!(header(&response, "Cache-Control"), "private");
    }
    let response = api.send(get(&id).header("If-None-Match", "\"other\""));
    assert_eq!(response.status, 200);
    assert_eq!(body(&response)["id"], id.as_str());
}

#[test]
fn get_if_match_mismatch_is_412_and_match_is_200() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let list = format!("\"other\", {etag}");
    for value in [etag.as_str(), unquote(&etag), "*", &list] {
        let response = api.send(get(&id).header("If-Match", value));
        assert_eq!(response.status, 200, "If-Match: {value}");
        assert_eq!(body(&response)["id"], id.as_str());
    }
    for value in ["\"stale\"", "stale", &weak(&etag)] {
        let problem = api.refuse(get(&id).header("If-Match", value), 412, LOCK_FAILED);
        assert_eq!(problem, lock_failed_body());
    }
}

// ----------------------------------------------------------------------- PUT / DELETE If-Match

#[test]
fn put_with_a_matching_if_match_proceeds() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let forms: [fn(&str) -> String; 4] = [
        |etag| etag.to_owned(),
        |etag| unquote(etag).to_owned(),
        |_| "*".to_owned(),
        |etag| format!("\"stale\", {etag}"),
    ];
    for (i, form) in forms.iter().enumerate() {
        let current = api.etag(&id);
        let first_name = format!("Ana{i}");
        let req = put(&id, &renamed("S1", &first_name)).header("If-Match", &form(&current));
        let response = api.expect(req, 204);
        let new = header(&response, "ETag");
        assert_ne!(new, current);
        assert_eq!(api.etag(&id), new);
        assert_eq!(body(&api.get(&id))["firstName"], first_name.as_str());
    }
}

#[test]
fn put_with_a_mismatching_if_match_is_412_and_changes_nothing() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    for value in ["\"stale\"", "stale", &weak(&etag), "\"a\", \"b\""] {
        let problem = api.refuse(put(&id, &renamed("S1", "Bea")).header("If-Match", value), 412, LOCK_FAILED);
        assert_eq!(problem, lock_failed_body());
    }
    assert_eq!(api.etag(&id), etag);
}

#[test]
fn the_412_body_is_byte_for_byte_the_ed_fi_one() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let response = api.send(put(&id, &renamed("S1", "Bea")).header("If-Match", "\"stale\""));
    assert_eq!(response.status, 412);
    assert_eq!(header(&response, "Content-Type"), "application/problem+json");
    let expected = concat!(
        r#"{"detail":"The item has been modified by another user.","#,
        r#""type":"urn:ed-fi:api:optimistic-lock-failed","title":"Optimistic Lock Failed","#,
        r#""status":412,"correlationId":"corr-7f3a","validationErrors":{},"#,
        r#""errors":["The resource item's etag value does not match what was specified in the "#,
        r#"'If-Match' request header indicating that it has been modified by another client since it "#,
        r#"was last retrieved."]}"#
    );
    assert_eq!(text(&response), expected);
}

#[test]
fn delete_with_a_matching_if_match_deletes_and_a_mismatch_is_412() {
    let mut api = Api::new();
    let items: Vec<(String, String)> = (0..3).map(|i| api.create(&student(&format!("S{i}")))).collect();
    for (id, etag) in &items {
        for value in ["\"stale\"", "stale", &weak(etag)] {
            let problem = api.refuse(delete(id).header("If-Match", value), 412, LOCK_FAILED);
            assert_eq!(problem, lock_failed_body());
        }
    }
    let values = [items[0].1.clone(), unquote(&items[1].1).to_owned(), "*".to_owned()];
    for ((id, _), value) in items.iter().zip(values) {
        let response = api.expect(delete(id).header("If-Match", &value), 204);
        assert!(response.body.is_empty());
        api.refuse(get(id), 404, NOT_FOUND);
    }
    assert_eq!(api.store.count("students", &Selection::default()).unwrap(), 0);
}

#[test]
fn a_stale_if_match_is_412_even_when_the_content_is_already_stored() {
    let mut api = Api::new();
    let (id, original) = api.create(&student("S1"));
    let changed = renamed("S1", "Bea");
    api.expect(put(&id, &changed).header("If-Match", &original), 204);
    api.now = LATER;
    // A second client that read the same version and wants the same next value has lost the
    // race: its write must not be acknowledged, or a counter's increment would vanish.
    api.refuse(put(&id, &changed).header("If-Match", &original), 412, LOCK_FAILED);
    api.refuse(post(&changed).header("If-Match", &original), 412, LOCK_FAILED);
}

#[test]
fn a_weak_if_match_of_the_current_etag_is_412_whatever_the_body() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    api.refuse(put(&id, &student("S1")).header("If-Match", &weak(&etag)), 412, LOCK_FAILED);
    api.refuse(put(&id, &renamed("S1", "Bea")).header("If-Match", &weak(&etag)), 412, LOCK_FAILED);
    api.refuse(delete(&id).header("If-Match", &weak(&etag)), 412, LOCK_FAILED);
}

#[test]
fn put_and_delete_decide_if_match_before_the_body() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    api.expect(put(&id, &renamed("S1", "Bea")).header("If-Match", &etag), 204);
    for body in [&b"{not json"[..], b"[]", br#"{"studentUniqueId": 7}"#] {
        api.refuse(raw("PUT", &item(&id), body).header("If-Match", &etag), 412, LOCK_FAILED);
    }
    let wrong_type = Request::new("PUT", &item(&id)).header("Content-Type", "text/plain").body("x");
    api.refuse(wrong_type.header("If-Match", &etag), 412, LOCK_FAILED);
    // With a current tag, the same bodies are judged on their merits.
    let current = api.etag(&id);
    api.refuse(raw("PUT", &item(&id), "{not json").header("If-Match", &current), 400, DATA_VALIDATION);
}

#[test]
fn if_match_is_optional_by_default() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let response = api.expect(put(&id, &renamed("S1", "Bea")), 204);
    assert_ne!(header(&response, "ETag"), etag);
    api.expect(post(&renamed("S1", "Cy")), 200);
    assert_eq!(body(&api.get(&id))["firstName"], "Cy");
    api.expect(delete(&id), 204);
    api.refuse(get(&id), 404, NOT_FOUND);
}

#[test]
fn if_match_required_refuses_updates_without_it_with_the_configured_status() {
    for status in [400, 428] {
        let mut api = Api::requiring_if_match(status);
        let (id, etag) = api.create(&student("S1"));
        api.expect(post(&student("S2")).header("If-None-Match", "*"), 201);
        for req in [put(&id, &renamed("S1", "Bea")), delete(&id), post(&renamed("S1", "Bea"))] {
            let problem = api.refuse(req, status, PRECONDITION_REQUIRED);
            assert_eq!(problem["status"], status);
        }
        api.expect(post(&renamed("S1", "Bea")).header("If-Match", &etag), 200);
        let etag = api.etag(&id);
        api.expect(put(&id, &student("S1")).header("If-Match", &etag), 204);
        let etag = api.etag(&id);
        api.expect(delete(&id).header("If-Match", &etag), 204);
    }
}

#[test]
fn config_reads_the_wrangler_vars() {
    let policy = |if_match, status| Config::from_vars(if_match, status).map(|c| c.if_match);
    assert_eq!(policy(None, None), Ok(IfMatchPolicy::Optional));
    assert_eq!(policy(Some("optional"), Some("428")), Ok(IfMatchPolicy::Optional));
    assert_eq!(policy(Some("required"), None), Ok(IfMatchPolicy::Required { status: 400 }));
    assert_eq!(policy(Some("Required"), Some("428")), Ok(IfMatchPolicy::Required { status: 428 }));
    assert!(policy(Some("sometimes"), None).is_err());
    assert!(policy(Some("required"), Some("412")).is_err());
}

// ------------------------------------------------------------------------- POST preconditions

#[test]
fn post_of_a_new_key_with_if_match_is_412_and_creates_nothing() {
    let mut api = Api::new();
    let (_, etag) = api.create(&student("S1"));
    for value in [etag.as_str(), "\"anything\"", "anything", "*"] {
        let problem = api.refuse(post(&student("S2")).header("If-Match", value), 412, LOCK_FAILED);
        assert_eq!(problem, lock_failed_body());
    }
}

#[test]
fn post_of_an_existing_key_with_if_match_is_an_update() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let changed = renamed("S1", "Bea");
    for value in ["\"stale\"", "stale", &weak(&etag)] {
        let problem = api.refuse(post(&changed).header("If-Match", value), 412, LOCK_FAILED);
        assert_eq!(problem, lock_failed_body());
    }
    let response = api.expect(post(&changed).header("If-Match", &etag), 200);
    assert_eq!(header(&response, "Location"), location(&id));
    let new = header(&response, "ETag");
    assert_ne!(new, etag);
    assert_eq!(api.etag(&id), new);
    assert_eq!(api.store.count("students", &Selection::default()).unwrap(), 1);
    api.expect(post(&renamed("S1", "Cy")).header("If-Match", unquote(new)), 200);
}

#[test]
fn post_with_if_none_match_star_is_create_only() {
    let mut api = Api::new();
    let response = api.expect(post(&student("S1")).header("If-None-Match", "*"), 201);
    let id = header(&response, "Location").rsplit('/').next().unwrap().to_owned();
    let etag = header(&response, "ETag").to_owned();
    let changed = renamed("S1", "Bea");
    for value in ["*", etag.as_str(), &weak(&etag), unquote(&etag)] {
        api.refuse(post(&changed).header("If-None-Match", value), 412, IF_NONE_MATCH_FAILED);
    }
    let response = api.expect(post(&changed).header("If-None-Match", "\"other\""), 200);
    assert_eq!(header(&response, "Location"), location(&id));
}

#[test]
fn put_with_a_matching_if_none_match_is_412() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let list = format!("\"other\", {etag}");
    for value in ["*", etag.as_str(), &weak(&etag), &list] {
        api.refuse(put(&id, &renamed("S1", "Bea")).header("If-None-Match", value), 412, IF_NONE_MATCH_FAILED);
    }
    api.expect(put(&id, &renamed("S1", "Bea")).header("If-None-Match", "\"other\""), 204);
}

// ------------------------------------------------------------------ ids, paths and ordering

#[test]
fn an_unknown_id_is_404_before_any_precondition() {
    for mut api in [Api::new(), Api::requiring_if_match(428)] {
        api.create(&student("S1"));
        let conditions =
            [None, Some(("If-Match", "\"stale\"")), Some(("If-Match", "*")), Some(("If-None-Match", "*"))];
        for condition in conditions {
            let requests = [
                get(UNKNOWN_ID),
                put(UNKNOWN_ID, &student("S1")),
                put(UNKNOWN_ID, &student("S9")),
                delete(UNKNOWN_ID),
            ];
            for req in requests {
                let req = match condition {
                    Some((name, value)) => req.header(name, value),
                    None => req,
                };
                api.refuse(req, 404, NOT_FOUND);
            }
        }
    }
}

/// The contract puts an unknown id (404) before preconditions, as RFC 9110 §13.2.1 does: a
/// request that would not be a 2xx without its conditions ignores them. An unknown resource type
/// already answers 404 whatever the headers; an unknown id should too.
#[test]
fn an_unknown_id_is_404_even_with_a_malformed_precondition_header() {
    let mut api = Api::new();
    for name in ["If-Match", "If-None-Match"] {
        for req in [get(UNKNOWN_ID), put(UNKNOWN_ID, &student("S1")), delete(UNKNOWN_ID)] {
            api.refuse(req.header(name, "\"unterminated"), 404, NOT_FOUND);
        }
    }
}

#[test]
fn malformed_ids_are_400() {
    let mut api = Api::new();
    api.create(&student("S1"));
    let short = "a".repeat(31);
    let long = "a".repeat(33);
    for bad in ["abc", "123", &short, &long, "0123456789abcdef0123456789abcdeg", "%7B%7D", "..", " "] {
        for req in [get(bad), put(bad, &student("S1")), delete(bad)] {
            api.refuse(req, 400, BAD_REQUEST);
        }
    }
}

#[test]
fn an_id_in_another_uuid_spelling_names_the_same_item() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let hyphenated = format!("{}-{}-{}-{}-{}", &id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..]);
    let response = api.get(&hyphenated.to_ascii_uppercase());
    assert_eq!(response.status, 200);
    assert_eq!(body(&response)["id"], id.as_str());
}

#[test]
fn endpoints_are_routed_case_insensitively() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let read = api.send(Request::new("GET", &format!("/data/v3/ed-fi/STUDENTS/{id}")));
    assert_eq!((read.status, header(&read, "ETag")), (200, etag.as_str()));
    let listed = api.send(Request::new("GET", "/data/v3/ed-fi/Students?limit=5"));
    assert_eq!(body(&listed).as_array().map(Vec::len), Some(1));
    let created = api.expect(raw("POST", "/data/v3/ed-fi/sTuDeNtS", student("S2").to_string()), 201);
    assert_eq!(header(&created, "Location").rsplit('/').nth(1), Some("students"), "the canonical name");
    for path in ["/data/v3/ed-fi/students/DELETES", "/data/v3/ed-fi/Students/keychanges"] {
        assert_eq!(api.send(Request::new("GET", path)).status, 200, "{path}");
    }
}

#[test]
fn unknown_paths_are_404() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let paths = [
        "/data/v3/ed-fi/unicorns".to_owned(),
        "/data/v3/ed-fi/studentz".to_owned(),
        format!("/data/v3/ed-fi/unicorns/{id}"),
        format!("{STUDENTS}/{id}/extra"),
        "/data/v3/ed-fi/".to_owned(),
        "/nope".to_owned(),
    ];
    for path in &paths {
        for method in ["GET", "POST", "PUT", "DELETE"] {
            api.refuse(raw(method, path, student("S2").to_string()), 404, NOT_FOUND);
        }
    }
}

#[test]
fn other_methods_are_405_with_allow_before_preconditions() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let cases = [
        ("PATCH", STUDENTS.to_owned(), "GET, HEAD, POST"),
        ("PUT", STUDENTS.to_owned(), "GET, HEAD, POST"),
        ("DELETE", STUDENTS.to_owned(), "GET, HEAD, POST"),
        ("PATCH", item(&id), "GET, HEAD, PUT, DELETE"),
        ("POST", item(&id), "GET, HEAD, PUT, DELETE"),
        ("POST", "/".to_owned(), "GET, HEAD"),
    ];
    for (method, path, allow) in cases {
        let req = raw(method, &path, student("S1").to_string()).header("If-Match", "\"unterminated");
        let what = describe(&req);
        let before = api.snapshot();
        let response = api.send(req);
        assert_problem(&response, 405, METHOD_NOT_ALLOWED, &what);
        assert_eq!(header(&response, "Allow"), allow, "{what}");
        assert_eq!(api.snapshot(), before);
    }
}

// ------------------------------------------------------------------------ success responses

#[test]
fn post_create_answers_201_with_an_absolute_location_and_etag() {
    let mut api = Api::new();
    let response = api.expect(post(&student("S1")), 201);
    let prefix = format!("{BASE_URL}{STUDENTS}/");
    let id = header(&response, "Location").strip_prefix(&prefix).expect("an absolute URL").to_owned();
    assert!(is_id(&id), "{id}");
    let etag = header(&response, "ETag");
    assert_eq!(api.etag(&id), etag);
    assert_eq!(body(&api.get(&id))["_etag"], unquote(etag));
}

#[test]
fn each_create_gets_its_own_id() {
    let mut api = Api::new();
    let ids: Vec<String> = (0..5).map(|i| api.create(&student(&format!("S{i}"))).0).collect();
    for (i, id) in ids.iter().enumerate() {
        assert!(is_id(id), "{id}");
        assert!(!ids[..i].contains(id), "{id} repeated");
    }
}

#[test]
fn post_update_answers_200_with_location_and_the_new_etag() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let response = api.expect(post(&renamed("S1", "Bea")), 200);
    assert_eq!(header(&response, "Location"), location(&id));
    assert_ne!(header(&response, "ETag"), etag);
    assert_eq!(header(&response, "ETag"), api.etag(&id));
    assert_eq!(api.store.count("students", &Selection::default()).unwrap(), 1);
}

#[test]
fn put_answers_204_with_the_new_etag_and_location() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let response = api.expect(put(&id, &renamed("S1", "Bea")), 204);
    assert!(response.body.is_empty());
    assert_eq!(header(&response, "Location"), location(&id));
    let new = header(&response, "ETag");
    assert_ne!(new, etag);
    let item = body(&api.get(&id));
    assert_eq!(item["_etag"], unquote(new));
    assert_eq!(item["firstName"], "Bea");
}

// ------------------------------------------------------------------------------ the ETag

#[test]
fn a_write_that_changes_nothing_keeps_etag_last_modified_and_change_version() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let stored = api.doc(&id);
    api.now = LATER;
    let before = api.snapshot();
    // The same content spelled differently, echoing the server fields back.
    let echoed = format!(
        r#"{{ "lastSurname":"Diaz", "birthDate":"2010-02-28", "firstName":"An\u0061", "studentUniqueId":"S1",
              "id":"{id}", "_etag":"stale", "_lastModifiedDate":"2000-01-01T00:00:00Z" }}"#
    );
    let response = api.expect(raw("PUT", &item(&id), echoed), 204);
    assert_eq!(header(&response, "ETag"), etag);
    let response = api.expect(post(&student("S1")), 200);
    assert_eq!(header(&response, "ETag"), etag);
    assert_eq!(header(&response, "Location"), location(&id));
    assert_eq!(api.snapshot(), before);
    assert_eq!(api.doc(&id).change_version, stored.change_version);
    let response = api.get(&id);
    assert_eq!(header(&response, "Last-Modified"), "Wed, 25 Nov 2026 10:44:01 GMT");
    assert_eq!(body(&response)["_lastModifiedDate"], "2026-11-25T10:44:01Z");
}

#[test]
fn any_content_change_changes_etag_last_modified_and_change_version() {
    let mut api = Api::new();
    let (id, original) = api.create(&student("S1"));
    let descriptor = json!({
        "namespace": "uri://ed-fi.org/OtherNameTypeDescriptor",
        "codeValue": "Nickname",
        "shortDescription": "Nickname",
    });
    let create_descriptor = Request::new("POST", "/data/v3/ed-fi/otherNameTypeDescriptors")
        .header("Content-Type", "application/json")
        .body(descriptor.to_string());
    api.expect(create_descriptor, 201);
    let nickname = json!([{
        "otherNameTypeDescriptor": "uri://ed-fi.org/OtherNameTypeDescriptor#Nickname",
        "firstName": "Annie",
        "lastSurname": "Diaz",
    }]);
    let with_child = with(student("S1"), "otherNames", nickname);
    let mut child_changed = with_child.clone();
    child_changed["otherNames"][0]["firstName"] = json!("Anita");
    let mut seen = vec![original.clone()];
    for (step, content) in [with_child, child_changed].iter().enumerate() {
        let previous = api.doc(&id);
        api.now = LATER + step as i64;
        let response = api.expect(put(&id, content), 204);
        let etag = header(&response, "ETag").to_owned();
        assert!(!seen.contains(&etag), "step {step}: {etag} seen before");
        seen.push(etag);
        let doc = api.doc(&id);
        assert!(doc.change_version > previous.change_version, "step {step}");
        assert_eq!(body(&api.get(&id))["_lastModifiedDate"], crate::clock::rfc3339(api.now));
    }
    let response = api.expect(put(&id, &student("S1")), 204);
    assert_eq!(header(&response, "ETag"), original, "same content, same ETag");
}

#[test]
fn a_body_etag_is_never_a_precondition() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    api.expect(put(&id, &with(renamed("S1", "Bea"), "_etag", json!("stale"))), 204);
    api.expect(post(&with(renamed("S1", "Cy"), "_etag", json!("stale"))), 200);
    assert_eq!(body(&api.get(&id))["firstName"], "Cy");
}

// ---------------------------------------------------------------------------------- bad input

/// Bodies every write refuses as 400 data-validation-failed, with the JSON path a schema
/// failure is reported at.
fn invalid_bodies() -> Vec<(Vec<u8>, Option<&'static str>)> {
    let deep = "[".repeat(10_000);
    let deep_object = "{\"a\":".repeat(10_000);
    let bytes = |v: Value| v.to_string().into_bytes();
    let invalid_utf8 = [
        br#"{"studentUniqueId":"S1","firstName":"A"#.as_slice(),
        &[0xff, 0xfe],
        br#"","lastSurname":"Diaz","birthDate":"2010-02-28"}"#,
    ]
    .concat();
    let child = json!([{ "firstName": "Annie" }]);
    vec![
        (b"{\"studentUniqueId\": ".to_vec(), None),
        (Vec::new(), None),
        (format!("{} x", student("S1")).into_bytes(), None),
        (b"[]".to_vec(), None),
        (b"\"S1\"".to_vec(), None),
        (b"42".to_vec(), None),
        (b"null".to_vec(), None),
        (invalid_utf8, None),
        (deep.clone().into_bytes(), None),
        (deep_object.into_bytes(), None),
        (format!(r#"{{"studentUniqueId":"S1","firstName":{deep}"#).into_bytes(), None),
        // A number canonical JSON could not store as sent, wherever it is.
        (br#"{"studentUniqueId":"S1","firstName":"A","lastSurname":"B","birthDate":"2010-02-28","x":1.0000000000000001}"#.to_vec(), None),
        (bytes(with(student("S1"), "firstName", json!(5))), Some("$.firstName")),
        (bytes(with(student("S1"), "studentUniqueId", json!(["S1"]))), Some("$.studentUniqueId")),
        (bytes(with(student("S1"), "birthDate", json!(20100228))), Some("$.birthDate")),
        (bytes(with(student("S1"), "multipleBirthStatus", json!("yes"))), Some("$.multipleBirthStatus")),
        (bytes(with(student("S1"), "otherNames", json!({}))), Some("$.otherNames")),
        (bytes(with(student("S1"), "nickname", json!("Annie"))), Some("$.nickname")),
        (bytes(without(student("S1"), "lastSurname")), Some("$.lastSurname")),
        (bytes(with(student("S1"), "lastSurname", Value::Null)), Some("$.lastSurname")),
        (bytes(with(student("S1"), "firstName", json!("  "))), Some("$.firstName")),
        (bytes(with(student("S1"), "birthDate", json!("2010-02-30"))), Some("$.birthDate")),
        (bytes(with(student("S1"), "birthDate", json!("28/02/2010"))), Some("$.birthDate")),
        (bytes(with(student("S1"), "birthDate", json!("2010-02-28T00:00:00Z"))), Some("$.birthDate")),
        (bytes(with(student("S1"), "birthSexDescriptor", json!("Female"))), Some("$.birthSexDescriptor")),
        (bytes(with(student("S1"), "firstName", json!("x".repeat(76)))), Some("$.firstName")),
        (bytes(with(student("S1"), "otherNames", child)), Some("$.otherNames[0].lastSurname")),
    ]
}

#[test]
fn invalid_bodies_are_400_data_validation_failed_and_change_nothing() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    for (bytes, path) in invalid_bodies() {
        for req in [raw("POST", STUDENTS, bytes.clone()), raw("PUT", &item(&id), bytes.clone())] {
            let what = describe(&req);
            let problem = api.refuse(req, 400, DATA_VALIDATION);
            if let Some(path) = path {
                assert!(problem["validationErrors"][path].is_array(), "{what}: {problem}");
            }
        }
    }
}

/// A valid JSON body padded with trailing whitespace to exactly `len` bytes.
fn padded(body: &Value, len: usize) -> Vec<u8> {
    let mut bytes = body.to_string().into_bytes();
    assert!(bytes.len() <= len);
    bytes.resize(len, b' ');
    bytes
}

#[test]
fn a_body_over_the_limit_is_413_and_changes_nothing() {
    let mut api = Api::new();
    let max = api.config.max_body_bytes;
    let (id, _) = api.create(&student("S1"));
    api.refuse(raw("POST", STUDENTS, padded(&student("S2"), max + 1)), 413, TOO_LARGE);
    api.refuse(raw("PUT", &item(&id), padded(&renamed("S1", "Bea"), max + 1)), 413, TOO_LARGE);
    api.expect(raw("POST", STUDENTS, padded(&student("S2"), max)), 201);
    api.expect(raw("PUT", &item(&id), padded(&renamed("S1", "Bea"), max)), 204);

    let mut small = Api::with_config(Config { max_body_bytes: 100, ..Config::default() });
    small.refuse(raw("POST", STUDENTS, padded(&student("S1"), 101)), 413, TOO_LARGE);
    small.expect(raw("POST", STUDENTS, padded(&student("S1"), 100)), 201);
}

#[test]
fn a_body_not_declared_as_json_is_415_and_changes_nothing() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let body = renamed("S1", "Bea").to_string();
    let types = [
        None,
        Some(""),
        Some("text/plain"),
        Some("application/xml"),
        Some("application/jsonp"),
        Some("application/x-www-form-urlencoded"),
    ];
    for content_type in types {
        for path in [STUDENTS.to_owned(), item(&id)] {
            let method = if path == STUDENTS { "POST" } else { "PUT" };
            let mut req = Request::new(method, &path).body(body.clone());
            if let Some(content_type) = content_type {
                req = req.header("Content-Type", content_type);
            }
            api.refuse(req, 415, UNSUPPORTED_MEDIA);
        }
    }
    for (i, content_type) in ["application/json; charset=utf-8", "Application/JSON"].iter().enumerate() {
        let body = renamed("S1", &format!("Bea{i}")).to_string();
        api.expect(Request::new("PUT", &item(&id)).header("content-type", content_type).body(body), 204);
    }
}

#[test]
fn a_put_body_id_that_differs_from_the_url_is_400() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let (other, _) = api.create(&student("S2"));
    for body_id in [json!(other), json!(UNKNOWN_ID), json!("not-an-id"), json!(42)] {
        let body = with(renamed("S1", "Bea"), "id", body_id);
        let problem = api.refuse(put(&id, &body), 400, DATA_VALIDATION);
        assert!(problem["validationErrors"]["$.id"].is_array(), "{problem}");
    }
    api.expect(put(&id, &with(renamed("S1", "Bea"), "id", json!(id))), 204);
    api.expect(put(&id, &with(renamed("S1", "Cy"), "id", json!(id.to_ascii_uppercase()))), 204);
}

#[test]
fn a_post_with_an_id_is_400() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    for (unique_id, body_id) in [("S1", id.as_str()), ("S2", UNKNOWN_ID)] {
        let problem = api.refuse(post(&with(student(unique_id), "id", json!(body_id))), 400, DATA_VALIDATION);
        assert!(problem["validationErrors"]["$.id"].is_array(), "{problem}");
    }
}

#[test]
fn a_put_changing_the_natural_key_is_400_key_change_not_supported() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    api.create(&student("S2"));
    for unique_id in ["S3", "S2", "s1"] {
        api.refuse(put(&id, &student(unique_id)), 400, KEY_CHANGE);
        api.refuse(put(&id, &student(unique_id)).header("If-Match", &etag), 400, KEY_CHANGE);
    }
}

#[test]
fn malformed_precondition_headers_are_400_never_ignored() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    let star_and_tag = format!("{etag}, *");
    let malformed = ["", " ", ",", "\"abc", "abc\"", "*, \"abc\"", &star_and_tag, "W/abc", "a b", "\"a\"b"];
    for value in malformed {
        for name in ["If-Match", "If-None-Match"] {
            let requests = [
                get(&id),
                put(&id, &renamed("S1", "Bea")),
                delete(&id),
                post(&renamed("S1", "Bea")),
                post(&student("S2")),
            ];
            for req in requests {
                api.refuse(req.header(name, value), 400, BAD_REQUEST);
            }
        }
    }
}

// -------------------------------------------------------------------------------- collections

/// Creates `n` students S0..S{n-1} and returns their ids in creation order.
fn populate(api: &mut Api, n: usize) -> Vec<String> {
    (0..n).map(|i| api.create(&student(&format!("S{i}"))).0).collect()
}

/// The ids of a collection page, checking the response is a 200 JSON array.
fn page_ids(api: &mut Api, query: &str) -> Vec<String> {
    let response = api.send(list(query));
    assert_eq!(response.status, 200, "?{query}: {}", text(&response));
    assert_eq!(header(&response, "Content-Type"), "application/json; charset=utf-8");
    let items = body(&response);
    let items = items.as_array().unwrap_or_else(|| panic!("not an array: {items}"));
    items.iter().map(|i| i["id"].as_str().expect("every item has an id").to_owned()).collect()
}

#[test]
fn a_page_holds_at_most_its_byte_bound_and_the_rest_follows_by_token() {
    let mut api = Api::new();
    let ids = populate(&mut api, 12);
    let size = api.store.get("students", &ids[0]).unwrap().unwrap().content.len() as u64;
    // Room for four stored items and part of a fifth.
    let mut api = Api { config: Config { max_page_bytes: size * 4 + size / 2, ..api.config.clone() }, ..api };
    let mut token_pages = Vec::new();
    let mut query = "pageSize=10".to_owned();
    loop {
        let response = api.expect(list(&query), 200);
        let page: Vec<String> = body(&response)
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        token_pages.push(page);
        match response.header("Next-Page-Token") {
            Some(token) => query = format!("pageSize=10&pageToken={token}"),
            None => break,
        }
    }
    let lengths: Vec<usize> = token_pages.iter().map(Vec::len).collect();
    assert_eq!(lengths, [4, 4, 4], "pages end where they fill");
    assert_eq!(token_pages.concat(), ids, "and nothing is skipped");
    // Offset paging cannot say where a page ended, so a page too large is refused, never cut.
    let problem = api.refuse(list("offset=0&limit=10"), 400, BAD_REQUEST);
    assert!(problem["errors"][0].as_str().unwrap().contains("ask for at most 4"), "{problem}");
    assert_eq!(page_ids(&mut api, "offset=4&limit=4"), ids[4..8]);
}

#[test]
fn collections_page_by_offset_and_limit_in_insertion_order() {
    let mut api = Api::new();
    let ids = populate(&mut api, 30);
    assert_eq!(page_ids(&mut api, ""), ids[..25], "default limit 25");
    assert_eq!(page_ids(&mut api, "offset=25"), ids[25..]);
    assert_eq!(page_ids(&mut api, "offset=10&limit=5"), ids[10..15]);
    assert_eq!(page_ids(&mut api, "limit=0"), Vec::<String>::new());
    assert_eq!(page_ids(&mut api, "limit=500"), ids);
    assert_eq!(page_ids(&mut api, "offset=30"), Vec::<String>::new());
    assert_eq!(page_ids(&mut api, "OFFSET=29&Limit=1"), ids[29..], "names are case-insensitive");
    let pages: Vec<String> =
        (0..6).flat_map(|p| page_ids(&mut api, &format!("offset={}&limit=5", p * 5))).collect();
    assert_eq!(pages, ids, "offset paging never skips or repeats");
}

#[test]
fn updates_keep_an_items_place_and_deletes_remove_it() {
    let mut api = Api::new();
    let ids = populate(&mut api, 3);
    api.expect(put(&ids[0], &renamed("S0", "Bea")), 204);
    api.expect(post(&renamed("S1", "Cy")), 200);
    assert_eq!(page_ids(&mut api, ""), ids);
    api.expect(delete(&ids[1]), 204);
    assert_eq!(page_ids(&mut api, ""), [ids[0].clone(), ids[2].clone()]);
}

#[test]
fn collection_items_carry_the_server_fields_of_a_get_by_id() {
    let mut api = Api::new();
    populate(&mut api, 3);
    let items = body(&api.send(list("")));
    for listed in items.as_array().unwrap() {
        let one = body(&api.get(listed["id"].as_str().unwrap()));
        assert_eq!(listed, &one);
        assert!(listed["_etag"].is_string() && listed["_lastModifiedDate"].is_string(), "{listed}");
    }
}

#[test]
fn total_count_only_when_asked() {
    let mut api = Api::new();
    populate(&mut api, 30);
    for query in ["", "totalCount=false", "limit=5"] {
        assert_eq!(api.send(list(query)).header("Total-Count"), None, "?{query}");
    }
    for query in ["totalCount=true", "totalCount=TRUE&limit=0", "limit=5&offset=28&totalCount=true"] {
        assert_eq!(api.send(list(query)).header("Total-Count"), Some("30"), "?{query}");
    }
}

#[test]
fn bad_collection_queries_are_400() {
    let mut api = Api::new();
    populate(&mut api, 2);
    let queries = [
        "limit=501",
        "limit=-1",
        "limit=abc",
        "limit=",
        "limit=1.5",
        "offset=-1",
        "offset=x",
        "totalCount=yes",
        "nickname=Annie",
        "limit=5&unknown=1",
        "limit=18446744073709551616",
    ];
    for query in queries {
        api.refuse(list(query), 400, BAD_REQUEST);
    }
}

/// The contract: "Any top-level scalar field (and a reference's key fields) is a query
/// parameter, names case-insensitive".
#[test]
fn collections_filter_by_top_level_fields() {
    let mut api = Api::new();
    let ids = populate(&mut api, 3);
    api.expect(put(&ids[1], &with(student("S1"), "lastSurname", json!("Smith"))), 204);
    assert_eq!(page_ids(&mut api, "lastSurname=Smith"), [ids[1].clone()]);
    assert_eq!(page_ids(&mut api, "LASTSURNAME=Smith&firstName=Ana"), [ids[1].clone()]);
    assert_eq!(page_ids(&mut api, "lastSurname=Nobody"), Vec::<String>::new());
}

// --------------------------------------------------------------------- discovery and HEAD

#[test]
fn discovery_document_has_absolute_urls_from_the_base_url() {
    let mut api = Api::new();
    let response = api.send(Request::new("GET", "/"));
    assert_eq!(response.status, 200);
    assert_eq!(header(&response, "Content-Type"), "application/json; charset=utf-8");
    let doc = body(&response);
    assert!(doc["version"].is_string() && doc["apiMode"].is_string(), "{doc}");
    assert_eq!(doc["dataModels"][0]["name"], "Ed-Fi");
    assert!(doc["dataModels"][0]["version"].is_string(), "{doc}");
    let urls = [
        ("dependencies", "/metadata/data/v3/dependencies"),
        ("openApiMetadata", "/metadata/"),
        ("oauth", "/oauth/token"),
        ("dataManagementApi", "/data/v3/"),
        ("changeQueries", "/changeQueries/v1/"),
    ];
    for (name, path) in urls {
        assert_eq!(doc["urls"][name], format!("{BASE_URL}{path}"), "{name}");
    }
}

#[test]
fn head_answers_the_get_headers_without_a_body() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    for path in ["/".to_owned(), STUDENTS.to_owned(), item(&id)] {
        let got = api.send(Request::new("GET", &path));
        let head = api.send(Request::new("HEAD", &path));
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(!got.body.is_empty());
        assert!(head.body.is_empty(), "HEAD {path} has a body");
        assert_eq!(head.headers, got.headers, "HEAD {path}");
    }
    let head = api.send(Request::new("HEAD", &item(&id)).header("If-None-Match", &etag));
    assert_eq!(head.status, 304);
    let head = api.send(Request::new("HEAD", &item(UNKNOWN_ID)));
    assert_eq!(head.status, 404);
    assert!(head.body.is_empty());
    assert_eq!(header(&head, "Content-Type"), "application/problem+json");
}

// ------------------------------------------------------------------------------------- history

fn history(id: &str) -> Request {
    Request::new("GET", &format!("/admin/v1/history/students/{id}"))
}

#[test]
fn every_write_leaves_a_version_and_a_delete_a_tombstone() {
    let mut api = Api::new();
    let (id, first) = api.create(&student("S1"));
    let mut etags = vec![first];
    for n in 1..=3 {
        api.now = NOW + n;
        let response = api.expect(put(&id, &renamed("S1", &format!("Name{n}"))), 204);
        etags.push(header(&response, "ETag").to_owned());
    }
    api.expect(put(&id, &renamed("S1", "Name3")), 204); // no change, no version
    let versions = body(&api.expect(history(&id), 200));
    let listed: Vec<String> =
        versions.as_array().unwrap().iter().map(|v| format!("\"{}\"", v["etag"].as_str().unwrap())).collect();
    assert_eq!(listed, etags, "N updates give N+1 versions, oldest first");
    assert!(
        versions.as_array().unwrap().iter().all(|v| v["client"] == "Test SIS" && v["deleted"] == false),
        "history names the client, never its key"
    );

    let old = api.expect(Request::new("GET", &format!("/admin/v1/history/students/{id}/{}", etags[1])), 200);
    assert_eq!(body(&old)["firstName"], "Name1");
    assert_eq!(header(&old, "ETag"), etags[1]);

    api.expect(delete(&id), 204);
    // A deleted student's records are the administrator's to read, not every client's.
    api.refuse(history(&id), 404, NOT_FOUND);
    api.refuse(Request::new("GET", &format!("/admin/v1/history/students/{id}/{}", etags[1])), 404, NOT_FOUND);
    api.admin = true;
    let versions = body(&api.expect(history(&id), 200));
    let last = versions.as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["deleted"].clone(), last["etag"].clone()), (json!(true), Value::Null));
    let old = api.expect(Request::new("GET", &format!("/admin/v1/history/students/{id}/{}", etags[1])), 200);
    assert_eq!(body(&old)["firstName"], "Name1");
    api.refuse(Request::new("GET", &format!("/admin/v1/history/students/{UNKNOWN_ID}")), 404, NOT_FOUND);
}

#[test]
fn history_comes_in_pages() {
    let mut api = Api::new();
    let (id, first) = api.create(&student("S1"));
    let mut etags = vec![first];
    for n in 1..=4 {
        etags
            .push(header(&api.expect(put(&id, &renamed("S1", &format!("Name{n}"))), 204), "ETag").to_owned());
    }
    let page = |api: &mut Api, query: &str| -> Vec<String> {
        let request = Request::new("GET", &format!("/admin/v1/history/students/{id}?{query}"));
        let listed = body(&api.expect(request, 200));
        listed.as_array().unwrap().iter().map(|v| format!("\"{}\"", v["etag"].as_str().unwrap())).collect()
    };
    assert_eq!(page(&mut api, ""), etags, "a plain GET holds the default bound whole");
    assert_eq!(page(&mut api, "offset=1&limit=2"), etags[1..3]);
    assert_eq!(page(&mut api, "offset=4&limit=2"), etags[4..]);
    assert_eq!(page(&mut api, "offset=5"), Vec::<String>::new(), "past the end is an empty page");
    // The administrator names the instance; the engine leaves that to the Worker.
    assert_eq!(page(&mut api, "instance=district-a&limit=1"), etags[..1]);
    for bad in ["limit=501", "offset=-1", "limit=x", "sort=etag"] {
        let request = Request::new("GET", &format!("/admin/v1/history/students/{id}?{bad}"));
        api.refuse(request, 400, BAD_REQUEST);
    }
}

#[test]
fn a_deleted_items_history_ages_out_like_any_other() {
    let limits = crate::store::HistoryLimits { max_versions: 100, max_age_seconds: Some(60) };
    let mut api = Api::with_config(Config { history: limits, ..Config::default() });
    api.admin = true;
    let (gone, _) = api.create(&student("S1"));
    api.expect(put(&gone, &renamed("S1", "Renamed")), 204);
    api.expect(delete(&gone), 204);
    assert_eq!(body(&api.expect(history(&gone), 200)).as_array().unwrap().len(), 3);
    // No later write touches the deleted item; another item's write, past the bound, sweeps it.
    api.now = NOW + 61;
    let (kept, _) = api.create(&student("S2"));
    api.refuse(history(&gone), 404, NOT_FOUND);
    assert_eq!(body(&api.expect(history(&kept), 200)).as_array().unwrap().len(), 1);
}

#[test]
fn history_is_bounded_by_count_and_age() {
    let limits = crate::store::HistoryLimits { max_versions: 3, max_age_seconds: None };
    let mut api = Api::with_config(Config { history: limits, ..Config::default() });
    let (id, _) = api.create(&student("S1"));
    for n in 1..=5 {
        api.expect(put(&id, &renamed("S1", &format!("Name{n}"))), 204);
    }
    let versions = body(&api.expect(history(&id), 200));
    assert_eq!(versions.as_array().unwrap().len(), 3);
    let newest = api.etag(&id);
    assert_eq!(format!("\"{}\"", versions[2]["etag"].as_str().unwrap()), newest, "the newest is kept");

    let limits = crate::store::HistoryLimits { max_versions: 100, max_age_seconds: Some(60) };
    let mut api = Api::with_config(Config { history: limits, ..Config::default() });
    let (id, _) = api.create(&student("S2"));
    api.now = NOW + 100;
    api.expect(put(&id, &renamed("S2", "Later")), 204);
    api.now = NOW + 120;
    api.expect(put(&id, &renamed("S2", "Two minutes")), 204);
    let versions = body(&api.expect(history(&id), 200));
    let ages: Vec<&str> =
        versions.as_array().unwrap().iter().map(|v| v["lastModifiedDate"].as_str().unwrap()).collect();
    assert_eq!(
        ages,
        ["2026-11-25T10:45:41Z", "2026-11-25T10:46:01Z"],
        "the version older than 60 s is dropped"
    );
}

#[test]
fn history_settings_are_read_from_the_environment() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    };
    let config =
        Config::from_env(vars(&[("HISTORY_MAX_VERSIONS", "7"), ("HISTORY_MAX_AGE_DAYS", "2")])).unwrap();
    assert_eq!((config.history.max_versions, config.history.max_age_seconds), (7, Some(172_800)));
    assert_eq!(Config::from_env(vars(&[])).unwrap().history, crate::store::HistoryLimits::default());
    assert!(Config::from_env(vars(&[("HISTORY_MAX_VERSIONS", "0")])).is_err());
    assert!(Config::from_env(vars(&[("HISTORY_MAX_AGE_DAYS", "soon")])).is_err());
}

mod authorization;
mod cascades;
mod coercion;
mod effects;
mod every_resource;
mod idempotency;
mod integers;
mod links;
mod subclasses;
mod wire;
