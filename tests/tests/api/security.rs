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
        &Claims { client: "x".into(), instance: "blackbox".into(), admin: false, expires: 1 },
        &signing_key(),
    );
    let foreign = sign_token(
        &Claims { client: "x".into(), instance: "blackbox".into(), admin: false, expires: i64::MAX },
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
