//! `Idempotency-Key`: the contract's "Safe retries" part.

use super::*;

const REUSED: &str = "urn:ed-fi:api:bad-request:idempotency-key-reused";
const KEY: &str = "\"retry-7f3a\"";

fn keyed(req: Request, key: &str) -> Request {
    req.header("Idempotency-Key", key)
}

fn assert_replayed(first: &Response, replay: &Response) {
    assert_eq!(replay.status, first.status);
    assert_eq!(replay.header("Idempotency-Replayed"), Some("true"));
    assert_eq!(first.header("Idempotency-Replayed"), None, "a first answer is no replay");
    for name in ["ETag", "Location", "Content-Type"] {
        assert_eq!(replay.header(name), first.header(name), "{name}");
    }
    assert_eq!(replay.body, first.body);
}

#[test]
fn a_put_retried_after_its_answer_was_lost_is_replayed_and_writes_nothing() {
    let mut api = Api::new();
    let (id, original) = api.create(&student("S1"));
    let request = keyed(put(&id, &renamed("S1", "Bea")).header("If-Match", &original), KEY);
    let first = api.expect(request.clone(), 204);
    api.now = LATER;
    let before = api.store.clone();
    // Without the key the retry is a stale write...
    api.refuse(put(&id, &renamed("S1", "Bea")).header("If-Match", &original), 412, LOCK_FAILED);
    // ...with it, the first answer again, and nothing written.
    let replay = api.send(request);
    assert_replayed(&first, &replay);
    assert_eq!(api.store, before);
}

#[test]
fn a_replay_answers_the_first_answer_even_after_the_item_changed() {
    let mut api = Api::new();
    let (id, original) = api.create(&student("S1"));
    let request = keyed(put(&id, &renamed("S1", "Bea")).header("If-Match", &original), KEY);
    let first = api.expect(request.clone(), 204);
    let newer = api.expect(put(&id, &renamed("S1", "Cy")), 204);
    let replay = api.send(request);
    assert_replayed(&first, &replay);
    assert_eq!(api.etag(&id), header(&newer, "ETag"), "the replay changed nothing");
}

#[test]
fn a_412_is_replayed_as_a_412() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let request = keyed(put(&id, &renamed("S1", "Bea")).header("If-Match", "\"stale\""), KEY);
    let first = api.send(request.clone());
    assert_problem(&first, 412, LOCK_FAILED, "first");
    // Even once the tag would match, the key names the request that failed.
    let replay = api.send(request);
    assert_replayed(&first, &replay);
}

#[test]
fn a_post_create_is_replayed_with_the_same_location_and_one_item() {
    let mut api = Api::new();
    let request = keyed(post(&student("S1")), KEY);
    let first = api.expect(request.clone(), 201);
    api.now = LATER;
    let replay = api.send(request);
    assert_replayed(&first, &replay);
    assert_eq!(api.store.count("students", &Selection::default()).unwrap(), 1);
}

#[test]
fn a_delete_is_replayed_as_204_not_404() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let first = api.expect(keyed(delete(&id), KEY), 204);
    let replay = api.send(keyed(delete(&id), KEY));
    assert_replayed(&first, &replay);
    api.refuse(delete(&id), 404, NOT_FOUND);
}

#[test]
fn a_key_reused_for_another_request_is_422_and_changes_nothing() {
    let mut api = Api::new();
    let (id, etag) = api.create(&student("S1"));
    api.expect(keyed(put(&id, &renamed("S1", "Bea")).header("If-Match", &etag), KEY), 204);
    let current = api.etag(&id);
    let before = api.store.clone();
    let other_body = keyed(put(&id, &renamed("S1", "Cy")).header("If-Match", &current), KEY);
    assert_problem(&api.send(other_body), 422, REUSED, "another body");
    let other_method = keyed(delete(&id).header("If-Match", &current), KEY);
    assert_problem(&api.send(other_method), 422, REUSED, "another method");
    assert_problem(&api.send(keyed(post(&student("S2")), KEY)), 422, REUSED, "another path");
    assert_eq!(api.store, before);
}

#[test]
fn keys_of_other_clients_never_match() {
    let mut api = Api::new();
    api.expect(keyed(post(&student("S1")), KEY), 201);
    api.client = "other-client";
    // The same key from another client is a request of its own: here, an update of S1 (200).
    let theirs = api.expect(keyed(post(&renamed("S1", "Bea")), KEY), 200);
    assert_eq!(theirs.header("Idempotency-Replayed"), None);
}

#[test]
fn a_key_expires_after_the_window_and_is_pruned() {
    let mut api = Api::with_config(Config { idempotency_window_seconds: 60, ..Config::default() });
    let (id, original) = api.create(&student("S1"));
    let request = keyed(put(&id, &renamed("S1", "Bea")).header("If-Match", &original), KEY);
    api.expect(request.clone(), 204);
    api.now += 59;
    assert_eq!(api.send(request.clone()).header("Idempotency-Replayed"), Some("true"), "inside the window");
    api.now += 1;
    // Past the window the key is forgotten: the retry is judged afresh, a stale write.
    api.refuse(request, 412, LOCK_FAILED);
    // Any keyed write prunes what expired, so storage stays bounded.
    api.now += 120;
    api.expect(keyed(post(&student("S2")), "\"another\""), 201);
    assert_eq!(api.store.remembered("test-client", "retry-7f3a").unwrap(), None);
    assert!(api.store.remembered("test-client", "another").unwrap().is_some());
}

#[test]
fn a_malformed_key_is_400_and_changes_nothing() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let long = format!("\"{}\"", "k".repeat(256));
    for key in ["\"open", "\"a\", \"b\"", "two words", long.as_str(), "\"caf\u{e9}\""] {
        let before = api.store.clone();
        let problem = api.refuse(keyed(put(&id, &renamed("S1", "Bea")), key), 400, BAD_REQUEST);
        assert!(problem["errors"][0].as_str().unwrap().contains("Idempotency-Key"), "{problem}");
        assert_eq!(api.store, before, "{key}");
    }
}

#[test]
fn the_key_is_the_same_in_quoted_and_token_form() {
    let mut api = Api::new();
    let first = api.expect(keyed(post(&student("S1")), "\"8e03978e-40d5\""), 201);
    let replay = api.send(keyed(post(&student("S1")), "8e03978e-40d5"));
    assert_replayed(&first, &replay);
}

#[test]
fn reads_ignore_the_key() {
    let mut api = Api::new();
    let (id, _) = api.create(&student("S1"));
    let read = api.send(keyed(get(&id), "\"open"));
    assert_eq!(read.status, 200, "a GET is safe: its key is not even parsed");
}

#[test]
fn the_window_is_read_from_the_environment() {
    let config = |hours: Option<&str>| {
        Config::from_env(|name| {
            (name == "IDEMPOTENCY_WINDOW_HOURS").then(|| hours.map(str::to_owned)).flatten()
        })
    };
    assert_eq!(config(None).unwrap().idempotency_window_seconds, 24 * 3600);
    assert_eq!(config(Some("2")).unwrap().idempotency_window_seconds, 7200);
    assert!(config(Some("0")).unwrap_err().contains("IDEMPOTENCY_WINDOW_HOURS"));
}
