//! Bad input gets a 4xx problem-details answer and changes nothing.

use serde_json::{json, Value};

use crate::support::{student, unique_id, Api, Reply, STUDENTS};

const BAD_REQUEST: &str = "urn:ed-fi:api:bad-request";
const VALIDATION: &str = "urn:ed-fi:api:bad-request:data-validation-failed";

/// A body that must be refused, with the status, type and (for schema failures) a JSON path.
struct BadBody {
    case: &'static str,
    body: Vec<u8>,
    status: u16,
    kind: &'static str,
    path: Option<&'static str>,
}

/// A 400 data-validation failure, reported at `path` when there is one.
fn invalid(case: &'static str, body: Vec<u8>, path: Option<&'static str>) -> BadBody {
    BadBody { case, body, status: 400, kind: VALIDATION, path }
}

fn bad_bodies(unique: &str) -> Vec<BadBody> {
    let with = |field: &str, value: Value| {
        let mut body = student(unique);
        body[field] = value;
        body.to_string().into_bytes()
    };
    let without = |field: &str| {
        let mut body = student(unique);
        body.as_object_mut().unwrap().remove(field);
        body.to_string().into_bytes()
    };
    let nested =
        format!(r#"{{"studentUniqueId":"{unique}","firstName":{}1{}}}"#, "[".repeat(5000), "]".repeat(5000));
    let mut invalid_utf8 = student(unique).to_string().into_bytes();
    let at = invalid_utf8.windows(3).position(|w| w == b"Ana").unwrap();
    invalid_utf8[at] = 0xff;
    vec![
        invalid("malformed JSON", br#"{"studentUniqueId": "#.to_vec(), None),
        invalid("not an object", b"[1,2]".to_vec(), None),
        invalid("empty body", Vec::new(), None),
        invalid("invalid UTF-8", invalid_utf8, None),
        invalid("deep nesting", nested.into_bytes(), None),
        invalid("wrong type", with("firstName", json!(42)), Some("$.firstName")),
        invalid("unknown field", with("favouriteColour", json!("red")), Some("$.favouriteColour")),
        invalid("missing required field", without("lastSurname"), Some("$.lastSurname")),
        invalid("invalid date", with("birthDate", json!("2010-02-30")), Some("$.birthDate")),
        invalid("not a date", with("birthDate", json!("tomorrow")), Some("$.birthDate")),
        invalid("too long", with("firstName", json!("x".repeat(76))), Some("$.firstName")),
        invalid("bad descriptor", with("birthSexDescriptor", json!("Female")), Some("$.birthSexDescriptor")),
        BadBody {
            case: "8 MiB body",
            body: vec![b' '; 8 * 1024 * 1024],
            status: 413,
            kind: "urn:ed-fi:api:bad-request:payload-too-large",
            path: None,
        },
    ]
}

fn assert_refused(reply: &Reply, bad: &BadBody) {
    assert_refused_as(reply, bad.case, bad.status, bad.kind, bad.path);
}

fn assert_refused_as(reply: &Reply, case: &str, status: u16, kind: &str, path: Option<&str>) {
    assert_eq!(reply.status, status, "{case}: {}", String::from_utf8_lossy(&reply.body));
    let problem = reply.assert_problem(status, kind);
    if let Some(path) = path {
        assert!(problem["validationErrors"][path].is_array(), "{case}: {problem}");
    }
}

const JSON: (&str, &[u8]) = ("Content-Type", b"application/json");

#[tokio::test]
async fn bad_posts_are_refused_and_create_nothing() {
    let api = Api::new().await;
    let unique = unique_id("badpost");
    for bad in bad_bodies(&unique) {
        let reply = api.send("POST", STUDENTS, &[JSON], Some(bad.body.clone())).await;
        assert_refused(&reply, &bad);
    }
    let plain_text = [("Content-Type", &b"text/plain"[..])];
    let reply =
        api.send("POST", STUDENTS, &plain_text, Some(student(&unique).to_string().into_bytes())).await;
    reply.assert_problem(415, "urn:ed-fi:api:bad-request:unsupported-media-type");
    let mut with_id = student(&unique);
    with_id["id"] = json!("0123456789abcdef0123456789abcdef");
    let reply = api.write("POST", STUDENTS, &with_id, &[]).await;
    assert_refused_as(&reply, "id in POST", 400, VALIDATION, Some("$.id"));
    // Nothing was created: the key is still new.
    let reply = api.write("POST", STUDENTS, &student(&unique), &[("If-None-Match", "*")]).await;
    assert_eq!(reply.status, 201);
}

#[tokio::test]
async fn bad_puts_are_refused_and_change_nothing() {
    let api = Api::new().await;
    let unique = unique_id("badput");
    let (path, _) = api.create(&student(&unique)).await;
    let before = api.current(&path).await.unwrap();
    for bad in bad_bodies(&unique) {
        let reply = api.send("PUT", &path, &[JSON], Some(bad.body.clone())).await;
        assert_refused(&reply, &bad);
        assert_eq!(api.current(&path).await.unwrap(), before, "{} changed the item", bad.case);
    }
    let mut other_id = student(&unique);
    other_id["id"] = json!("0123456789abcdef0123456789abcdef");
    let reply = api.write("PUT", &path, &other_id, &[]).await;
    assert_refused_as(&reply, "other id", 400, VALIDATION, Some("$.id"));
    let mut new_key = student(&unique);
    new_key["studentUniqueId"] = json!(unique_id("badkey"));
    let reply = api.write("PUT", &path, &new_key, &[]).await;
    reply.assert_problem(400, "urn:ed-fi:api:bad-request:data-validation-failed:key-change-not-supported");
    // An empty If-Match is refused by the core too (unit-tested), but workerd drops an empty
    // If-Match before the Worker sees it, so it cannot be tested over HTTP here.
    let malformed = [
        ("If-Match", &b"\"unterminated"[..]),
        ("If-Match", b"*, \"a\""),
        ("If-Match", b"W/abc"),
        ("If-None-Match", b"\"a\" \"b\""),
    ];
    for header in malformed {
        let case = format!("{}: {}", header.0, String::from_utf8_lossy(header.1));
        let body = Some(student(&unique).to_string().into_bytes());
        let reply = api.send("PUT", &path, &[JSON, header], body).await;
        assert_refused_as(&reply, &case, 400, BAD_REQUEST, None);
        let reply = api.send("DELETE", &path, &[header], None).await;
        assert_refused_as(&reply, &format!("DELETE with {case}"), 400, BAD_REQUEST, None);
    }
    assert_eq!(api.current(&path).await.unwrap(), before);
}

#[tokio::test]
async fn malformed_ids_are_400() {
    let api = Api::new().await;
    for id in [
        "123",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        "0123456789abcdef0123456789abcdef0",
        "%00",
        "..%2F..%2Fetc",
    ] {
        let path = format!("{STUDENTS}/{id}");
        api.get(&path, &[]).await.assert_problem(400, BAD_REQUEST);
        api.delete(&path, &[]).await.assert_problem(400, BAD_REQUEST);
        api.write("PUT", &path, &student("x"), &[]).await.assert_problem(400, BAD_REQUEST);
    }
}

/// An 8 MiB body sent in chunks, without `Content-Length`, is refused with 413 too. The server
/// answers before the upload ends; under load the local proxy may close such a connection before
/// its answer is read, so that counts as no answer (never as success) and the upload is retried.
#[tokio::test]
async fn a_chunked_oversized_body_is_413() {
    let api = Api::new().await;
    let token = api.token.clone().unwrap();
    let mut answers = Vec::new();
    for _ in 0..3 {
        let (base, token) = (api.base.clone(), token.clone());
        let status =
            tokio::task::spawn_blocking(move || chunked_post(&base, &token, 8 * 1024 * 1024)).await.unwrap();
        answers.push(status);
        if status == Some(413) {
            break;
        }
    }
    assert!(answers.iter().all(|a| matches!(a, None | Some(413))), "{answers:?}");
    assert_eq!(answers.last(), Some(&Some(413)), "{answers:?}");
}

/// Writes a chunked POST by hand (the client library always knows the length) and returns the
/// status. The server may answer and close before the body is all sent, so a second thread
/// reads the answer while this one writes.
fn chunked_post(base: &str, token: &str, size: usize) -> Option<u16> {
    use std::io::{BufRead, BufReader, Write};
    let authority = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    let reader = stream.try_clone().unwrap();
    let status = std::thread::spawn(move || {
        let mut status_line = String::new();
        BufReader::new(reader).read_line(&mut status_line).map(|_| status_line)
    });
    let head = format!(
        "POST {STUDENTS} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < size && !status.is_finished() {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if stream.write_all(&frame).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let status_line = status.join().unwrap().ok()?;
    status_line.split(' ').nth(1)?.parse().ok()
}

#[tokio::test]
async fn oversized_heads_are_4xx_before_anything_else() {
    let api = Api::new().await;
    let big = vec![b'a'; 9 * 1024];
    api.send("GET", STUDENTS, &[("If-None-Match", &big)], None).await.assert_problem(431, BAD_REQUEST);
    let many = (0..40).map(|i| format!("p{i}=1")).collect::<Vec<_>>().join("&");
    api.get(&format!("{STUDENTS}?{many}"), &[]).await.assert_problem(400, BAD_REQUEST);
    let long = format!("lastSurname={}", "x".repeat(5000));
    api.get(&format!("{STUDENTS}?{long}"), &[]).await.assert_problem(414, BAD_REQUEST);
    // Limits hold on the token endpoint too, where no token is needed.
    let anonymous = Api::anonymous(api.base.clone());
    anonymous
        .send("POST", "/oauth/token", &[("X-Padding", &big)], None)
        .await
        .assert_problem(431, BAD_REQUEST);
    let nested =
        format!(r#"{{"studentUniqueId":"deep","firstName":{}"x"{}}}"#, "[".repeat(33), "]".repeat(33));
    let reply = api.send("POST", STUDENTS, &[JSON], Some(nested.into_bytes())).await;
    reply.assert_problem(400, VALIDATION);
}

#[tokio::test]
async fn cors_is_off_unless_configured() {
    let api = Api::new().await;
    let origin = ("Origin", &b"https://app.example"[..]);
    let preflight = [origin, ("Access-Control-Request-Method", b"PUT")];
    let reply = api.send("OPTIONS", STUDENTS, &preflight, None).await;
    assert_eq!(reply.header("Access-Control-Allow-Origin"), None);
    assert!(reply.status >= 400, "no preflight answer: {}", reply.status);
    let reply = api.send("GET", STUDENTS, &[origin], None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("Access-Control-Allow-Origin"), None);
    assert_eq!(reply.header("X-Content-Type-Options"), Some("nosniff"));
}
