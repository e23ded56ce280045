//! A small client for the black-box tests, over real HTTP.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde_json::{json, Value};

pub const STUDENTS: &str = "/data/v3/ed-fi/students";

/// The API that `cargo xtask test` started for this run.
pub fn base_url() -> String {
    std::env::var("EDFI_BASE_URL")
        .expect("EDFI_BASE_URL is not set: run the black-box tests with `cargo xtask test`")
}

/// A `studentUniqueId` no other test in this run uses (at most 32 characters).
pub fn unique_id(tag: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{tag}-{:x}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A number no other test in this run uses, for integer identifiers such as `schoolId`.
pub fn unique_number() -> i64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    i64::from(std::process::id() % 10_000) * 100_000 + NEXT.fetch_add(1, Ordering::Relaxed) as i64
}

/// A representation without the fields the server owns.
pub fn content(body: &Value) -> Value {
    edfi_admin::merge::content(body)
}

pub fn data(resource: &str) -> String {
    format!("/data/v3/ed-fi/{resource}")
}

/// A descriptor of `uri://ed-fi.org/{kind}` with code `code`.
pub fn descriptor(kind: &str, code: &str) -> Value {
    json!({"namespace": format!("uri://ed-fi.org/{kind}"), "codeValue": code, "shortDescription": code})
}

/// The school year every test's sessions use.
pub fn school_year() -> Value {
    json!({"schoolYear": 2027, "schoolYearDescription": "2026-2027", "currentSchoolYear": true})
}

pub fn student(unique_id: &str) -> Value {
    json!({
        "studentUniqueId": unique_id,
        "firstName": "Ana",
        "lastSurname": "Diaz",
        "birthDate": "2010-02-28",
    })
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The `access_token` of a token request's 200 answer.
fn access_token(reply: &Reply) -> String {
    reply.json()["access_token"].as_str().expect("a token answer names its access_token").to_owned()
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ASCII header"))
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The `ETag` header, quotes included.
    pub fn etag(&self) -> String {
        self.header("ETag").unwrap_or_else(|| panic!("no ETag in {self:?}")).to_owned()
    }

    /// The id at the end of `Location`.
    pub fn location_id(&self) -> String {
        let location = self.header("Location").unwrap_or_else(|| panic!("no Location in {self:?}"));
        location.rsplit('/').next().unwrap().to_owned()
    }

    /// Asserts an Ed-Fi problem-details answer with this status and `type`.
    pub fn assert_problem(&self, status: u16, kind: &str) -> Value {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.header("Content-Type"), Some("application/problem+json"));
        let problem = self.json();
        assert_eq!(problem["type"], kind, "{problem}");
        assert_eq!(problem["status"], status);
        for field in ["title", "detail", "correlationId"] {
            assert!(problem[field].as_str().is_some_and(|s| !s.is_empty()), "{field} in {problem}");
        }
        assert!(problem["validationErrors"].is_object() && problem["errors"].is_array(), "{problem}");
        problem
    }
}

#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    pub base: String,
    /// Sent as `Authorization: Bearer …` unless a request carries its own `Authorization`.
    pub token: Option<String>,
}

/// The instance the shared server's tests use.
pub const TEST_INSTANCE: &str = "blackbox";

impl Api {
    /// A client of the shared test server's test instance.
    pub async fn new() -> Self {
        Self::connect(base_url(), TEST_INSTANCE).await
    }

    /// A client of `instance` on the server at `base`, created once per server and instance.
    pub async fn connect(base: String, instance: &str) -> Self {
        static TOKENS: std::sync::Mutex<Vec<(String, String, String)>> = std::sync::Mutex::new(Vec::new());
        let cached =
            TOKENS.lock().unwrap().iter().find(|(b, i, _)| *b == base && i == instance).map(|t| t.2.clone());
        let token = match cached {
            Some(token) => token,
            None => {
                let admin = Self::admin(base.clone()).await;
                let (key, secret) = admin.create_client(instance).await;
                let token = Self::anonymous(base.clone()).token_for(&key, &secret).await.expect("a token");
                TOKENS.lock().unwrap().push((base.clone(), instance.to_owned(), token.clone()));
                token
            }
        };
        Self { token: Some(token), ..Self::anonymous(base) }
    }

    /// The administrator of the server at `base`.
    pub async fn admin(base: String) -> Self {
        let secrets = edfi_blackbox::Secrets::from_env().unwrap();
        let reply =
            Self::anonymous(base.clone()).token_reply(&secrets.admin_key, &secrets.admin_secret).await;
        assert_eq!(reply.status, 200, "the administrator's token: {}", String::from_utf8_lossy(&reply.body));
        Self { token: Some(access_token(&reply)), ..Self::anonymous(base) }
    }

    /// No token at all.
    pub fn anonymous(base: String) -> Self {
        let client =
            reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("an HTTP client");
        Self { client, base, token: None }
    }

    /// The same client with another token (or none).
    pub fn with_token(&self, token: Option<String>) -> Self {
        Self { token, ..self.clone() }
    }

    /// Asks `/oauth/token` with a form body; the token, or `None` if refused.
    pub async fn token_for(&self, key: &str, secret: &str) -> Option<String> {
        let reply = self.token_reply(key, secret).await;
        (reply.status == 200).then(|| access_token(&reply))
    }

    /// The answer to a client-credentials token request.
    async fn token_reply(&self, key: &str, secret: &str) -> Reply {
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            form_escape(key),
            form_escape(secret)
        );
        self.send(
            "POST",
            "/oauth/token",
            &[("Content-Type", b"application/x-www-form-urlencoded")],
            Some(form.into_bytes()),
        )
        .await
    }

    /// Creates an API client of `instance` (as the administrator); its key and secret.
    pub async fn create_client(&self, instance: &str) -> (String, String) {
        let reply = self
            .write("POST", "/admin/v1/clients", &json!({"name": "black-box test", "instance": instance}), &[])
            .await;
        assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
        let created = reply.json();
        (created["key"].as_str().unwrap().to_owned(), created["secret"].as_str().unwrap().to_owned())
    }

    /// Any request: `headers` are sent as raw bytes, so malformed values can be tested too.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &[u8])],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        let own_authorization = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
        if let (Some(token), false) = (&self.token, own_authorization) {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("a body").to_vec(),
        }
    }

    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, &as_bytes(headers), None).await
    }

    /// A JSON write (POST or PUT) with `Content-Type: application/json`.
    pub async fn write(&self, method: &str, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let mut all = as_bytes(headers);
        all.push(("Content-Type", b"application/json"));
        self.send(method, path, &all, Some(body.to_string().into_bytes())).await
    }

    pub async fn delete(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("DELETE", path, &as_bytes(headers), None).await
    }

    /// A JSON write whose transport error is returned, not a panic (for crash tests): the status.
    pub async fn try_write(&self, method: &str, path: &str, body: &Value) -> Result<u16, reqwest::Error> {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base)).json(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        Ok(request.send().await?.status().as_u16())
    }

    /// Creates a student; returns its item path and ETag.
    pub async fn create(&self, body: &Value) -> (String, String) {
        self.create_in("students", body).await
    }

    /// Creates an item of `resource`; returns its item path and ETag.
    pub async fn create_in(&self, resource: &str, body: &Value) -> (String, String) {
        let reply = self.write("POST", &data(resource), body, &[]).await;
        assert_eq!(reply.status, 201, "POST {resource} {body}: {}", String::from_utf8_lossy(&reply.body));
        (format!("{}/{}", data(resource), reply.location_id()), reply.etag())
    }

    /// Creates an item unless its natural key exists (shared reference data such as descriptors).
    pub async fn ensure(&self, resource: &str, body: &Value) {
        let reply = self.write("POST", &data(resource), body, &[("If-None-Match", "*")]).await;
        assert!(
            matches!(reply.status, 201 | 412),
            "POST {resource}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }

    /// The stored item (body and ETag), or `None` when it does not exist.
    pub async fn current(&self, path: &str) -> Option<(Value, String)> {
        let reply = self.get(path, &[]).await;
        match reply.status {
            200 => Some((reply.json(), reply.etag())),
            404 => None,
            status => panic!("GET {path} answered {status}"),
        }
    }

    /// Number of students in the collection.
    pub async fn student_count(&self) -> u64 {
        let reply = self.get(&format!("{STUDENTS}?limit=0&totalCount=true"), &[]).await;
        reply.header("Total-Count").expect("Total-Count").parse().unwrap()
    }
}

fn form_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn as_bytes<'a>(headers: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a [u8])> {
    headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect()
}
