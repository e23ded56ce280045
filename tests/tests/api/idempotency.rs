//! Safe retries with `Idempotency-Key`, over real HTTP: the contract's "Safe retries" part.

use serde_json::json;

use crate::own_server::{own_config, start};
use crate::support::{student, unique_id, Api, Reply, STUDENTS};

const LOCK_FAILED: &str = "urn:ed-fi:api:optimistic-lock-failed";
const REUSED: &str = "urn:ed-fi:api:bad-request:idempotency-key-reused";

fn key() -> String {
    format!("\"{}\"", unique_id("key"))
}

fn assert_replay_of(first: &Reply, replay: &Reply) {
    assert_eq!(replay.status, first.status);
    assert_eq!(replay.header("Idempotency-Replayed"), Some("true"));
    assert_eq!(first.header("Idempotency-Replayed"), None);
    for name in ["ETag", "Location"] {
        assert_eq!(replay.header(name), first.header(name), "{name}");
    }
    assert_eq!(replay.body, first.body);
}

#[tokio::test]
async fn a_put_whose_answer_was_lost_is_replayed_and_writes_nothing() {
    let api = Api::new().await;
    let body = student(&unique_id("idem"));
    let (path, etag) = api.create(&body).await;
    let mut changed = body.clone();
    changed["middleName"] = json!("1");
    let key = key();
    let headers = [("If-Match", etag.as_str()), ("Idempotency-Key", key.as_str())];
    let first = api.write("PUT", &path, &changed, &headers).await;
    assert_eq!(first.status, 204);
    let after_first = api.current(&path).await.unwrap();
    // The same request without the key would be a stale write (412); with it, the first answer.
    api.write("PUT", &path, &changed, &[("If-Match", &etag)]).await.assert_problem(412, LOCK_FAILED);
    let replay = api.write("PUT", &path, &changed, &headers).await;
    assert_replay_of(&first, &replay);
    assert_eq!(api.current(&path).await.unwrap(), after_first, "the replay wrote nothing");
    // Even after someone else changed the item, the key still answers its first answer.
    changed["middleName"] = json!("someone else");
    assert_eq!(api.write("PUT", &path, &changed, &[]).await.status, 204);
    let later = api.current(&path).await.unwrap();
    changed["middleName"] = json!("1");
    assert_replay_of(&first, &api.write("PUT", &path, &changed, &headers).await);
    assert_eq!(api.current(&path).await.unwrap(), later);
}

#[tokio::test]
async fn a_412_is_replayed_as_the_same_412() {
    let api = Api::new().await;
    let body = student(&unique_id("idem412"));
    let (path, _) = api.create(&body).await;
    let key = key();
    let headers = [("If-Match", "\"stale\""), ("Idempotency-Key", key.as_str())];
    let first = api.write("PUT", &path, &body, &headers).await;
    first.assert_problem(412, LOCK_FAILED);
    let replay = api.write("PUT", &path, &body, &headers).await;
    assert_replay_of(&first, &replay);
}

#[tokio::test]
async fn a_post_create_is_replayed_with_its_location_and_one_item() {
    let api = Api::new().await;
    let unique = unique_id("idempost");
    let body = student(&unique);
    let key = key();
    let headers = [("Idempotency-Key", key.as_str())];
    let first = api.write("POST", STUDENTS, &body, &headers).await;
    assert_eq!(first.status, 201);
    let replay = api.write("POST", STUDENTS, &body, &headers).await;
    assert_replay_of(&first, &replay);
    let found = api.get(&format!("{STUDENTS}?studentUniqueId={unique}"), &[]).await.json();
    assert_eq!(found.as_array().unwrap().len(), 1, "one item: {found}");
}

#[tokio::test]
async fn a_key_reused_for_another_request_is_422_and_changes_nothing() {
    let api = Api::new().await;
    let body = student(&unique_id("idemreuse"));
    let (path, _) = api.create(&body).await;
    let key = key();
    let mut changed = body.clone();
    changed["middleName"] = json!("first");
    let headers = [("Idempotency-Key", key.as_str())];
    assert_eq!(api.write("PUT", &path, &changed, &headers).await.status, 204);
    let before = api.current(&path).await.unwrap();
    changed["middleName"] = json!("second");
    api.write("PUT", &path, &changed, &headers).await.assert_problem(422, REUSED);
    api.delete(&path, &headers).await.assert_problem(422, REUSED);
    assert_eq!(api.current(&path).await.unwrap(), before);
}

#[tokio::test]
async fn another_clients_key_never_matches() {
    let api = Api::new().await;
    let admin = Api::admin(api.base.clone()).await;
    let (other_key, other_secret) = admin.create_client("blackbox").await;
    let other = api.with_token(Api::anonymous(api.base.clone()).token_for(&other_key, &other_secret).await);
    let body = student(&unique_id("idemother"));
    let (path, _) = api.create(&body).await;
    let key = key();
    let mut mine = body.clone();
    mine["middleName"] = json!("mine");
    assert_eq!(api.write("PUT", &path, &mine, &[("Idempotency-Key", &key)]).await.status, 204);
    // The same key and request from another client is that client's own first request.
    let theirs = other.write("PUT", &path, &mine, &[("Idempotency-Key", &key)]).await;
    assert_eq!((theirs.status, theirs.header("Idempotency-Replayed")), (204, None));
    let mut changed = body.clone();
    changed["middleName"] = json!("theirs");
    let theirs = other.write("PUT", &path, &changed, &[("Idempotency-Key", &key)]).await;
    assert_eq!(theirs.status, 422, "the other client's key is its own now");
}

#[tokio::test]
async fn a_malformed_key_is_400_and_changes_nothing() {
    let api = Api::new().await;
    let body = student(&unique_id("idembad"));
    let (path, _) = api.create(&body).await;
    let before = api.current(&path).await.unwrap();
    let mut changed = body.clone();
    changed["middleName"] = json!("bad key");
    let long = format!("\"{}\"", "k".repeat(256));
    for bad in ["\"unterminated", "\"a\", \"b\"", "two words", long.as_str()] {
        let reply = api.write("PUT", &path, &changed, &[("Idempotency-Key", bad)]).await;
        reply.assert_problem(400, "urn:ed-fi:api:bad-request");
    }
    assert_eq!(api.current(&path).await.unwrap(), before);
}

#[tokio::test]
async fn a_key_expires_after_the_configured_window() {
    let mut config = own_config("idempotency-window");
    // 0.001 hours: 3.6 s, kept as 4 s.
    config.vars.push(("IDEMPOTENCY_WINDOW_HOURS".into(), "0.001".into()));
    let server = start(config).await;
    let api = Api::connect(server.base_url(), "blackbox").await;
    let body = student(&unique_id("idemexpiry"));
    let (path, etag) = api.create(&body).await;
    let mut changed = body.clone();
    changed["middleName"] = json!("1");
    let key = key();
    let headers = [("If-Match", etag.as_str()), ("Idempotency-Key", key.as_str())];
    assert_eq!(api.write("PUT", &path, &changed, &headers).await.status, 204);
    let replay = api.write("PUT", &path, &changed, &headers).await;
    assert_eq!(replay.header("Idempotency-Replayed"), Some("true"), "inside the window");
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    // Forgotten: the retry is judged afresh, and its If-Match is stale now.
    let late = api.write("PUT", &path, &changed, &headers).await;
    late.assert_problem(412, LOCK_FAILED);
    assert_eq!(late.header("Idempotency-Replayed"), None);
}
