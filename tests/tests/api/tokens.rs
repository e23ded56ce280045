//! Token issuance with the Worker's cache of recent grants (`edge/src/token_cache.rs`): a client
//! that keeps getting tokens is still held back by the directory's back-off, the administrator
//! alike, and a revoked client gets no token that works on the data path.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use edfi_core::auth::{sign_token, Claims};
use serde_json::json;

use crate::own_server::{own_config, start};
use crate::support::{base_url, student, unique_id, Api, Reply, STUDENTS};

const AUTHENTICATION: &str = "urn:ed-fi:api:security:authentication";
const TOO_MANY_REQUESTS: &str = "urn:ed-fi:api:too-many-requests";
/// The suite's server reads this instance from the KV replica (xtask TEST_SERVER_VARS).
const EDGE_INSTANCE: &str = "edge-reads";

async fn token_request(api: &Api, key: &str, secret: &str) -> Reply {
    let body = json!({"grant_type": "client_credentials", "client_id": key, "client_secret": secret});
    api.write("POST", "/oauth/token", &body, &[]).await
}

/// Gets tokens for `key` three times (so this isolate caches its grant), then fails five times:
/// the right secret must then get 429, as the directory decides, not a token from the cache.
/// Returns the 429 answer's status and headers that matter, to compare keys with.
async fn held_back_after_cached_logins(api: &Api, key: &str, secret: &str) -> (u16, Vec<Option<String>>) {
    for n in 0..3 {
        let reply = token_request(api, key, secret).await;
        assert_eq!(reply.status, 200, "login {n}: {}", String::from_utf8_lossy(&reply.body));
    }
    for n in 0..5 {
        let reply = token_request(api, key, "wrong").await;
        assert_eq!(
            (reply.status, reply.json()["error"].clone()),
            (401, json!("invalid_client")),
            "guess {n}"
        );
    }
    let mut answer = None;
    for _ in 0..2 {
        let reply = token_request(api, key, secret).await;
        reply.assert_problem(429, TOO_MANY_REQUESTS);
        let wait: i64 = reply.header("Retry-After").expect("Retry-After").parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let headers = ["Content-Type", "Cache-Control", "X-Content-Type-Options"]
            .iter()
            .map(|name| reply.header(name).map(str::to_owned))
            .collect();
        answer = Some((reply.status, headers));
    }
    answer.unwrap()
}

/// On a server of its own, because the administrator's key is locked for a minute here.
#[tokio::test]
async fn a_key_granted_from_the_cache_is_still_held_back_after_five_failures_the_administrators_too() {
    let server = start(own_config("token-cache")).await;
    let secrets = edfi_blackbox::Secrets::from_env().unwrap();
    let admin = Api::admin(server.base_url()).await;
    let (key, secret) = admin.create_client("blackbox").await;
    let anonymous = Api::anonymous(server.base_url());
    for n in 0..5 {
        let token = anonymous.token_for(&key, &secret).await.unwrap_or_else(|| panic!("token {n}"));
        let reply = anonymous.with_token(Some(token)).get(STUDENTS, &[]).await;
        assert_eq!(reply.status, 200, "token {n} works");
    }
    let client = held_back_after_cached_logins(&anonymous, &key, &secret).await;
    let administrator =
        held_back_after_cached_logins(&anonymous, &secrets.admin_key, &secrets.admin_secret).await;
    assert_eq!(client, administrator, "the administrator's key is held back like a client's");
    // The token the administrator got before is still good: the back-off only stops new ones.
    assert_eq!(admin.get("/admin/v1/clients", &[]).await.status, 200);
}

/// The claims of a token the Worker issued.
fn claims(token: &str) -> Claims {
    let payload = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn after_revocation_neither_existing_nor_new_tokens_reach_data() {
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client(EDGE_INSTANCE).await;
    let anonymous = Api::anonymous(base_url());
    let mut tokens = Vec::new();
    for n in 0..3 {
        tokens.push(anonymous.token_for(&key, &secret).await.unwrap_or_else(|| panic!("token {n}")));
    }
    let body = student(&unique_id("revoked-cache"));
    let (path, _) = anonymous.with_token(Some(tokens[0].clone())).create(&body).await;
    assert_eq!(anonymous.with_token(Some(tokens[2].clone())).get(&path, &[]).await.status, 200);

    assert_eq!(admin.delete(&format!("/admin/v1/clients/{key}"), &[]).await.status, 204);
    // The isolate that revoked forgets the grant; another may issue tokens from its cached grant
    // for up to a minute. Such a token is this client's claims with a later expiry, signed alike.
    let reply = token_request(&anonymous, &key, &secret).await;
    assert_eq!((reply.status, reply.json()["error"].clone()), (401, json!("invalid_client")));
    let mut later = claims(&tokens[2]);
    later.expires += 60;
    let signing_key = edfi_blackbox::Secrets::from_env().unwrap().signing_key;
    tokens.push(sign_token(&later, signing_key.as_bytes()));
    for token in tokens {
        let client = anonymous.with_token(Some(token));
        // The collection and the write reach the instance; GET by id is an edge read here.
        client.get(STUDENTS, &[]).await.assert_problem(401, AUTHENTICATION);
        client.get(&path, &[]).await.assert_problem(401, AUTHENTICATION);
        client.write("PUT", &path, &body, &[]).await.assert_problem(401, AUTHENTICATION);
        let new = student(&unique_id("revoked"));
        client.write("POST", STUDENTS, &new, &[]).await.assert_problem(401, AUTHENTICATION);
    }
}
