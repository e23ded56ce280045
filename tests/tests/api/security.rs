//! OAuth2 client credentials, bearer tokens, instance isolation, revocation, the admin API.

use base64::Engine as _;
use edfi_core::auth::{sign_token, Claims};
use serde_json::json;

use crate::support::{base_url, student, unique_id, Api, STUDENTS};

const AUTHENTICATION: &str = "urn:ed-fi:api:security:authentication";
const AUTHORIZATION: &str = "urn:ed-fi:api:security:authorization";

fn signing_key() -> Vec<u8> {
    edfi_blackbox::Secrets::from_env().unwrap().signing_key.into_bytes()
}

#[tokio::test]
async fn data_needs_a_valid_bearer_token() {
    let api = Api::new().await;
    let (path, _) = api.create(&student(&unique_id("auth"))).await;
    let anonymous = Api::anonymous(base_url());
    let expired = sign_token(
        &Claims {
            client: "x".into(),
            instance: "blackbox".into(),
            admin: false,
            name: "x".into(),
            expires: 1,
            scope: None,
        },
        &signing_key(),
    );
    let foreign = sign_token(
        &Claims {
            client: "x".into(),
            instance: "blackbox".into(),
            admin: false,
            name: "x".into(),
            expires: i64::MAX,
            scope: None,
        },
        b"not the server's key at all, 32+",
    );
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("basic scheme", Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("a:b")))),
        ("garbage token", Some("Bearer not-a-token".into())),
        ("expired token", Some(format!("Bearer {expired}"))),
        ("token signed with another key", Some(format!("Bearer {foreign}"))),
    ];
    for (case, authorization) in cases {
        let headers: Vec<(&str, &[u8])> =
            authorization.iter().map(|a| ("Authorization", a.as_bytes())).collect();
        for (method, target) in [("GET", STUDENTS), ("GET", path.as_str()), ("DELETE", path.as_str())] {
            let reply = anonymous.send(method, target, &headers, None).await;
            reply.assert_problem(401, AUTHENTICATION);
            assert_eq!(reply.header("WWW-Authenticate"), Some("Bearer"), "{case}");
        }
        // 401 comes before preconditions and body checks.
        let mut all = headers.clone();
        all.push(("If-Match", b"\"stale\""));
        anonymous.send("PUT", &path, &all, Some(b"{".to_vec())).await.assert_problem(401, AUTHENTICATION);
    }
    assert!(api.current(&path).await.is_some(), "nothing was deleted");
    // Discovery and metadata need no token.
    assert_eq!(anonymous.get("/", &[]).await.status, 200);
    assert_eq!(anonymous.get("/metadata/data/v3/resources/swagger.json", &[]).await.status, 200);
}

#[tokio::test]
async fn tokens_come_only_for_right_credentials_in_every_form() {
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client("blackbox").await;
    let anonymous = Api::anonymous(base_url());
    assert!(anonymous.token_for(&key, &secret).await.is_some());
    assert!(anonymous.token_for(&key, "wrong").await.is_none(), "a wrong secret gets no token");
    assert!(anonymous.token_for("unknown-key", &secret).await.is_none());

    let basic =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}")));
    let form =
        [("Content-Type", &b"application/x-www-form-urlencoded"[..]), ("Authorization", basic.as_bytes())];
    let reply =
        anonymous.send("POST", "/oauth/token", &form, Some(b"grant_type=client_credentials".to_vec())).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let body = reply.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(reply.header("Cache-Control"), Some("no-store"));

    let json_body = json!({"grant_type": "client_credentials", "client_id": key, "client_secret": secret});
    let reply = anonymous.write("POST", "/oauth/token", &json_body, &[]).await;
    assert_eq!(reply.status, 200);
    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(anonymous.with_token(Some(token)).get(STUDENTS, &[]).await.status, 200);

    let wrong = json!({"grant_type": "client_credentials", "client_id": key, "client_secret": "nope"});
    let reply = anonymous.write("POST", "/oauth/token", &wrong, &[]).await;
    assert_eq!((reply.status, reply.json()["error"].clone()), (401, json!("invalid_client")));
    let password = json!({"grant_type": "password", "client_id": key, "client_secret": secret});
    let reply = anonymous.write("POST", "/oauth/token", &password, &[]).await;
    assert_eq!((reply.status, reply.json()["error"].clone()), (400, json!("unsupported_grant_type")));
}

#[tokio::test]
async fn one_instance_never_sees_another_instances_data() {
    let a = Api::connect(base_url(), "district-a").await;
    let b = Api::connect(base_url(), "district-b").await;
    let body_a = student(&unique_id("iso-a"));
    let (path_a, etag_a) = a.create(&body_a).await;
    let body_b = student(&unique_id("iso-b"));
    let (path_b, _) = b.create(&body_b).await;
    for (other, path, own_body) in [(&b, &path_a, &body_a), (&a, &path_b, &body_b)] {
        other.get(path, &[]).await.assert_problem(404, "urn:ed-fi:api:not-found");
        other.write("PUT", path, own_body, &[]).await.assert_problem(404, "urn:ed-fi:api:not-found");
        other.delete(path, &[]).await.assert_problem(404, "urn:ed-fi:api:not-found");
        let page = other
            .get(
                &format!(
                    "{STUDENTS}?limit=500&studentUniqueId={}",
                    own_body["studentUniqueId"].as_str().unwrap()
                ),
                &[],
            )
            .await;
        assert_eq!(page.json(), json!([]), "the other instance's collection does not hold it");
    }
    // The same natural key in two instances is two items.
    let (path_b_same, _) = b.create(&body_a).await;
    assert_ne!(path_b_same, path_a);
    assert_eq!(a.current(&path_a).await.unwrap().1, etag_a, "instance A's item is untouched");
}

#[tokio::test]
async fn a_revoked_clients_tokens_stop_working() {
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client("blackbox").await;
    let token = Api::anonymous(base_url()).token_for(&key, &secret).await.unwrap();
    let client = Api::anonymous(base_url()).with_token(Some(token));
    assert_eq!(client.get(STUDENTS, &[]).await.status, 200);
    let listed = admin.get("/admin/v1/clients", &[]).await.json();
    let entry = listed.as_array().unwrap().iter().find(|c| c["key"] == key.as_str()).expect("listed");
    assert_eq!(entry["revoked"], false);
    assert!(
        entry.get("secret").is_none() && !listed.to_string().contains(&secret),
        "secrets are never listed"
    );

    assert_eq!(admin.delete(&format!("/admin/v1/clients/{key}"), &[]).await.status, 204);
    client.get(STUDENTS, &[]).await.assert_problem(401, AUTHENTICATION);
    // Identity comes from the token alone: naming another, valid client in a header changes nothing.
    let (other_key, _) = admin.create_client("blackbox").await;
    for header in ["x-edfi-client", "x-edfi-instance"] {
        let claimed = [(header, other_key.as_bytes())];
        client.send("GET", STUDENTS, &claimed, None).await.assert_problem(401, AUTHENTICATION);
    }
    assert!(Api::anonymous(base_url()).token_for(&key, &secret).await.is_none(), "no new tokens either");
    let listed = admin.get("/admin/v1/clients", &[]).await.json();
    assert!(listed.as_array().unwrap().iter().any(|c| c["key"] == key.as_str() && c["revoked"] == true));
    admin.delete("/admin/v1/clients/no-such-key", &[]).await.assert_problem(404, "urn:ed-fi:api:not-found");
}

/// 204 means the instance recorded the revocation; a repeated one finds it recorded and says 204 again.
#[tokio::test]
async fn revoking_again_is_harmless_and_answers_204() {
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client("blackbox").await;
    let token = Api::anonymous(base_url()).token_for(&key, &secret).await.unwrap();
    let client = Api::anonymous(base_url()).with_token(Some(token));
    assert_eq!(client.get(STUDENTS, &[]).await.status, 200);
    for n in 0..3 {
        let reply = admin.delete(&format!("/admin/v1/clients/{key}"), &[]).await;
        assert_eq!(reply.status, 204, "revocation {n}: {}", String::from_utf8_lossy(&reply.body));
        assert!(reply.body.is_empty());
        // 204 came after the instance recorded it: the token stops at once, every time.
        client.get(STUDENTS, &[]).await.assert_problem(401, AUTHENTICATION);
    }
    let listed = admin.get("/admin/v1/clients", &[]).await.json();
    let entries: Vec<_> = listed.as_array().unwrap().iter().filter(|c| c["key"] == key.as_str()).collect();
    assert_eq!(entries.len(), 1, "still one client");
    assert_eq!(entries[0]["revoked"], true);
    assert!(Api::anonymous(base_url()).token_for(&key, &secret).await.is_none());
}

/// A revocation acknowledged while a write's body is still arriving stops that write: the instance
/// checks revocation after the body, in the same synchronous step as the write.
#[tokio::test]
async fn a_write_whose_body_arrives_after_revocation_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client("blackbox").await;
    let token = Api::anonymous(base_url()).token_for(&key, &secret).await.unwrap();
    let client = Api::anonymous(base_url()).with_token(Some(token.clone()));
    let (path, etag) = client.create(&student(&unique_id("revoke"))).await;
    let (before, _) = Api::new().await.current(&path).await.unwrap();

    let mut changed = before.clone();
    changed["firstName"] = json!("Written after revocation");
    let body = changed.to_string().into_bytes();
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let authority = base_url().trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nIf-Match: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first_half).await.unwrap();
    stream.flush().await.unwrap();
    // Let the request reach the instance and wait there for the rest of its body.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(admin.delete(&format!("/admin/v1/clients/{key}"), &[]).await.status, 204);
    stream.write_all(second_half).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let (after, after_etag) = Api::new().await.current(&path).await.unwrap();
    assert_eq!((after, after_etag), (before, etag), "nothing changed");
}

#[tokio::test]
async fn the_admin_api_refuses_everyone_but_the_administrator() {
    let client = Api::new().await;
    let anonymous = Api::anonymous(base_url());
    for api in [&client, &anonymous] {
        let expected = if api.token.is_some() { (403, AUTHORIZATION) } else { (401, AUTHENTICATION) };
        api.get("/admin/v1/clients", &[]).await.assert_problem(expected.0, expected.1);
        let new = json!({"name": "intruder", "instance": "blackbox"});
        api.write("POST", "/admin/v1/clients", &new, &[]).await.assert_problem(expected.0, expected.1);
    }
    let admin = Api::admin(base_url()).await;
    admin.get(STUDENTS, &[]).await.assert_problem(403, AUTHORIZATION);
    let bad = json!({"name": "", "instance": "Not An Instance"});
    let problem = admin
        .write("POST", "/admin/v1/clients", &bad, &[])
        .await
        .assert_problem(400, "urn:ed-fi:api:bad-request:data-validation-failed");
    assert!(
        problem["validationErrors"]["$.instance"].is_array()
            && problem["validationErrors"]["$.name"].is_array()
    );
}

const PAYLOAD_TOO_LARGE: &str = "urn:ed-fi:api:bad-request:payload-too-large";
const TOO_MANY_REQUESTS: &str = "urn:ed-fi:api:too-many-requests";

/// What came back for a body sent chunked, and how much of the body had been sent by then.
struct ChunkedAnswer {
    head: String,
    body: Vec<u8>,
    sent_before_answer: usize,
}

/// Sends up to `total` bytes of `filler` as a chunked body (no `Content-Length`), slowly, and
/// stops sending once an answer arrives. A body longer than [`HOLD_AT`] is held open there, its
/// end never sent: a server that reads the whole body before refusing it then never answers,
/// however fast or slow it is (a timed bound failed on a busy machine).
const HOLD_AT: usize = 2 * 1024 * 1024;

async fn send_chunked(path: &str, headers: &[(&str, &str)], first: &[u8], total: usize) -> ChunkedAnswer {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = base_url().trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {authority}\r\nTransfer-Encoding: chunked\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    writer.write_all(head.as_bytes()).await.unwrap();
    let (sent, answered) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let (sent_by_writer, answered_seen_by_writer) = (sent.clone(), answered.clone());
    let first = first.to_vec();
    let sender = tokio::spawn(async move {
        const CHUNK: usize = 16 * 1024;
        let mut chunk = first;
        loop {
            let sent = sent_by_writer.load(Ordering::SeqCst);
            if answered_seen_by_writer.load(Ordering::SeqCst) || sent >= total {
                break;
            }
            if sent >= HOLD_AT {
                // Held open: only an answer ends the wait (or the reader's timeout).
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
            if chunk.is_empty() {
                chunk.resize(CHUNK.min(total - sent), b'a');
            }
            let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if writer.write_all(&frame).await.is_err() {
                return;
            }
            sent_by_writer.fetch_add(chunk.len(), Ordering::SeqCst);
            chunk.clear();
            tokio::time::sleep(std::time::Duration::from_millis(4)).await;
        }
        let _ = writer.write_all(b"0\r\n\r\n").await;
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let mut sent_before_answer = None;
    let reading = async {
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    sent_before_answer.get_or_insert_with(|| sent.load(Ordering::SeqCst));
                    answered.store(true, Ordering::SeqCst);
                    answer.extend_from_slice(&buffer[..n]);
                }
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), reading).await;
    answered.store(true, Ordering::SeqCst);
    sender.abort();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| {
        panic!("no answer (to a body held open, a server that reads it all never answers): {text:?}")
    });
    // A chunked answer's body is framed; the problem is the JSON object inside it.
    let body = body.find('{').map(|start| &body[start..body.rfind('}').map_or(body.len(), |end| end + 1)]);
    ChunkedAnswer {
        head: head.to_owned(),
        body: body.unwrap_or_default().as_bytes().to_vec(),
        sent_before_answer: sent_before_answer.unwrap_or(usize::MAX),
    }
}

/// A chunked body over the limit is refused 413 when the limit is passed, not after it arrived.
#[tokio::test]
async fn chunked_bodies_to_the_token_and_admin_endpoints_stop_at_their_limit() {
    const EIGHT_MIB: usize = 8 * 1024 * 1024;
    let admin = Api::admin(base_url()).await;
    let bearer = format!("Bearer {}", admin.token.clone().unwrap());
    let cases = [
        ("/oauth/token", vec![("Content-Type", "application/x-www-form-urlencoded")], &b"grant_type="[..]),
        (
            "/admin/v1/clients",
            vec![("Content-Type", "application/json"), ("Authorization", bearer.as_str())],
            &b"{\"name\": \""[..],
        ),
    ];
    for (path, headers, first) in cases {
        let answer = send_chunked(path, &headers, first, EIGHT_MIB).await;
        assert!(answer.head.starts_with("HTTP/1.1 413"), "{path}: {}", answer.head);
        let problem: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(problem["type"], PAYLOAD_TOO_LARGE, "{path}: {problem}");
        assert!(answer.head.to_ascii_lowercase().contains("x-content-type-options: nosniff"), "{path}");
        assert!(
            answer.sent_before_answer <= HOLD_AT,
            "{path} answered after {} of {EIGHT_MIB} bytes: it read the body before refusing it",
            answer.sent_before_answer
        );
    }
    // A token request within its limit still works when chunked.
    let (key, secret) = admin.create_client("blackbox").await;
    let form = format!("grant_type=client_credentials&client_id={key}&client_secret={secret}");
    let headers = [("Content-Type", "application/x-www-form-urlencoded")];
    let answer = send_chunked("/oauth/token", &headers, form.as_bytes(), form.len()).await;
    assert!(answer.head.starts_with("HTTP/1.1 200"), "{}", answer.head);
    // A declared length over the token limit is refused before anything is read.
    let big = vec![b'a'; 9 * 1024];
    let reply = Api::anonymous(base_url())
        .send("POST", "/oauth/token", &[("Content-Type", b"application/x-www-form-urlencoded")], Some(big))
        .await;
    reply.assert_problem(413, PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn overlong_credentials_are_refused_without_counting_against_the_key() {
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client("blackbox").await;
    let anonymous = Api::anonymous(base_url());
    let long = "s".repeat(257);
    let form = [("Content-Type", &b"application/x-www-form-urlencoded"[..])];
    let grant = b"grant_type=client_credentials".to_vec();
    let encode = |id: &str, secret: &str| {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
    };
    // More than the failures a key may make: none of them reaches the directory.
    for _ in 0..3 {
        let body = format!("grant_type=client_credentials&client_id={key}&client_secret={long}");
        let reply = anonymous.send("POST", "/oauth/token", &form, Some(body.into_bytes())).await;
        assert_eq!((reply.status, reply.json()["error"].clone()), (400, json!("invalid_request")));
        for (id, secret) in [(key.as_str(), long.as_str()), (long.as_str(), secret.as_str())] {
            let basic = encode(id, secret);
            let headers = [form[0], ("Authorization", basic.as_bytes())];
            let reply = anonymous.send("POST", "/oauth/token", &headers, Some(grant.clone())).await;
            assert_eq!((reply.status, reply.json()["error"].clone()), (400, json!("invalid_request")));
        }
    }
    assert!(anonymous.token_for(&key, &secret).await.is_some(), "the key was not held back");
}

#[tokio::test]
async fn admin_and_token_answers_are_neither_cached_nor_sniffed() {
    let admin = Api::admin(base_url()).await;
    let created = admin
        .write("POST", "/admin/v1/clients", &json!({"name": "headers", "instance": "blackbox"}), &[])
        .await;
    assert_eq!(created.status, 201);
    let key = created.json()["key"].as_str().unwrap().to_owned();
    let secret = created.json()["secret"].as_str().unwrap().to_owned();
    let anonymous = Api::anonymous(base_url());
    let token_request = |id: &str, secret: &str| json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret});
    let answers = [
        ("created client", created, true),
        ("client list", admin.get("/admin/v1/clients", &[]).await, true),
        ("refused admin request", anonymous.get("/admin/v1/clients", &[]).await, true),
        ("token", anonymous.write("POST", "/oauth/token", &token_request(&key, &secret), &[]).await, true),
        (
            "refused token",
            anonymous.write("POST", "/oauth/token", &token_request(&key, "no"), &[]).await,
            true,
        ),
        ("revocation", admin.delete(&format!("/admin/v1/clients/{key}"), &[]).await, true),
        ("discovery", anonymous.get("/", &[]).await, false),
    ];
    for (what, reply, no_store) in answers {
        assert_eq!(reply.header("X-Content-Type-Options"), Some("nosniff"), "{what}");
        if no_store {
            assert_eq!(reply.header("Cache-Control"), Some("no-store"), "{what}");
        }
    }
}

#[tokio::test]
async fn a_key_that_fails_too_often_must_wait_and_other_keys_need_not() {
    let admin = Api::admin(base_url()).await;
    let (guessed, guessed_secret) = admin.create_client("blackbox").await;
    let (other, other_secret) = admin.create_client("blackbox").await;
    let unknown = unique_id("no-such-key");
    let anonymous = Api::anonymous(base_url());
    for _ in 0..4 {
        assert!(anonymous.token_for(&other, "wrong").await.is_none());
    }
    for key in [guessed.as_str(), unknown.as_str()] {
        for _ in 0..5 {
            assert!(anonymous.token_for(key, "wrong").await.is_none());
        }
    }
    // The other key's success resets its own count, not the guessed key's.
    assert!(anonymous.token_for(&other, &other_secret).await.is_some());
    for _ in 0..4 {
        assert!(anonymous.token_for(&other, "wrong").await.is_none());
    }
    assert!(anonymous.token_for(&other, &other_secret).await.is_some(), "four new failures are allowed");
    // A known and an unknown key are held back alike, even with the right secret.
    for (key, secret) in [(guessed.as_str(), guessed_secret.as_str()), (unknown.as_str(), "wrong")] {
        let body = json!({"grant_type": "client_credentials", "client_id": key, "client_secret": secret});
        let reply = anonymous.write("POST", "/oauth/token", &body, &[]).await;
        reply.assert_problem(429, TOO_MANY_REQUESTS);
        let wait: i64 = reply.header("Retry-After").expect("Retry-After").parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(reply.header("X-Content-Type-Options"), Some("nosniff"));
    }
}

#[tokio::test]
async fn the_administrators_login_answers_like_a_clients() {
    let secrets = edfi_blackbox::Secrets::from_env().unwrap();
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client("blackbox").await;
    let anonymous = Api::anonymous(base_url());
    let refused = |reply: crate::support::Reply| {
        let headers: Vec<_> = ["Content-Type", "Cache-Control", "WWW-Authenticate", "X-Content-Type-Options"]
            .iter()
            .map(|name| reply.header(name).map(str::to_owned))
            .collect();
        (reply.status, headers, reply.body)
    };
    let ask = |id: &str, secret: &str| {
        let body = json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret});
        let anonymous = anonymous.clone();
        async move { anonymous.write("POST", "/oauth/token", &body, &[]).await }
    };
    let for_admin = refused(ask(&secrets.admin_key, "wrong").await);
    assert_eq!(for_admin.0, 401);
    assert_eq!(for_admin, refused(ask(&key, "wrong").await), "the same refusal, byte for byte");

    let granted = |reply: crate::support::Reply| {
        let body = reply.json();
        let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        (reply.status, keys, body["token_type"].clone(), body["expires_in"].as_i64().unwrap())
    };
    let admin_token = granted(ask(&secrets.admin_key, &secrets.admin_secret).await);
    let client_token = granted(ask(&key, &secret).await);
    assert_eq!(
        (&admin_token.0, &admin_token.1, &admin_token.2),
        (&client_token.0, &client_token.1, &client_token.2),
        "the same answer's shape"
    );
    assert!(
        admin_token.3 < client_token.3,
        "an administrator's token ({} s) lives less long than a client's ({} s)",
        admin_token.3,
        client_token.3
    );
}
