//! The edge read path through KV and version history. The suite's server reads instance
//! `edge-reads` from the replica and keeps at most 5 versions per item (xtask TEST_SERVER_VARS).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{base_url, student, unique_id, Api, TEST_INSTANCE};

const EDGE_INSTANCE: &str = "edge-reads";
const MAX_VERSIONS: usize = 5;

fn renamed(body: &Value, name: &str) -> Value {
    let mut body = body.clone();
    body["firstName"] = json!(name);
    body
}

/// GETs until the replica itself answers with ETag `expected` (it converged), for at most 10 s;
/// a miss answered by the Durable Object does not count.
async fn until_etag(api: &Api, path: &str, expected: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = api.get(path, &[]).await;
        let from_edge = reply.header("X-Read-Path") == Some("edge");
        if reply.status == 200 && from_edge && reply.header("ETag") == Some(expected) {
            return true;
        }
        assert!(
            Instant::now() < deadline,
            "{path}: the replica never showed {expected}; last {:?}",
            reply.header("ETag")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn edge_reads_converge_to_the_latest_write() {
    let api = Api::connect(base_url(), EDGE_INSTANCE).await;
    let body = student(&unique_id("edge"));
    let (path, created) = api.create(&body).await;
    assert!(until_etag(&api, &path, &created).await, "the replica served the item");
    let reply = api.write("PUT", &path, &renamed(&body, "Second"), &[]).await;
    assert_eq!(reply.status, 204);
    until_etag(&api, &path, &reply.etag()).await;
    // If-None-Match revalidation is answered from the replica too.
    let reply = api.get(&path, &[("If-None-Match", &reply.etag())]).await;
    assert_eq!(reply.status, 304);
    assert_eq!(api.delete(&path, &[]).await.status, 204);
    let deadline = Instant::now() + Duration::from_secs(10);
    while api.get(&path, &[]).await.status != 404 {
        assert!(Instant::now() < deadline, "the deletion reached the replica");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_scoped_clients_reads_never_come_from_the_replica() {
    let api = Api::connect(base_url(), EDGE_INSTANCE).await;
    let (path, created) = api.create(&student(&unique_id("scoped"))).await;
    assert!(until_etag(&api, &path, &created).await, "the replica holds the item");
    let admin = Api::admin(base_url()).await;
    let body = json!({"name": "scoped", "instance": EDGE_INSTANCE, "claimSetName": "SIS Vendor", "educationOrganizationIds": [1]});
    let created = admin.write("POST", "/admin/v1/clients", &body, &[]).await.json();
    let token = Api::anonymous(base_url())
        .token_for(created["key"].as_str().unwrap(), created["secret"].as_str().unwrap())
        .await;
    let scoped = api.with_token(token);
    // The replica has the student, but only the object knows it is enrolled nowhere.
    let reply = scoped.get(&path, &[]).await;
    assert_eq!((reply.status, reply.header("X-Read-Path")), (403, None));
}

/// The files holding the local KV's values (miniflare keeps each value in a blob file under the
/// server's state directory) that contain `needle`.
fn kv_values_containing(needle: &str) -> Vec<PathBuf> {
    let state = std::env::var_os("EDFI_STATE_DIR").expect("EDFI_STATE_DIR: run with `cargo xtask test`");
    let namespaces = std::fs::read_dir(PathBuf::from(state).join("v3/kv")).expect("the local KV's directory");
    let mut found = Vec::new();
    for namespace in namespaces.flatten() {
        let Ok(blobs) = std::fs::read_dir(namespace.path().join("blobs")) else { continue };
        for blob in blobs.flatten() {
            let text = std::fs::read(blob.path()).unwrap_or_default();
            if String::from_utf8_lossy(&text).contains(needle) {
                found.push(blob.path());
            }
        }
    }
    found
}

/// A replica value the Worker cannot read (here: bytes that are not the JSON it wrote) sends an
/// edge read to the Durable Object, which answers the committed item, until the next publication
/// replaces the value.
#[tokio::test]
async fn an_unreadable_replica_value_is_answered_by_the_object() {
    let api = Api::connect(base_url(), EDGE_INSTANCE).await;
    let body = student(&unique_id("unreadable"));
    let (path, etag) = api.create(&body).await;
    until_etag(&api, &path, &etag).await;
    let committed = api.get(&path, &[("Cache-Control", "no-cache")]).await;
    let id = path.rsplit('/').next().unwrap();
    let values = kv_values_containing(id);
    assert!(!values.is_empty(), "the replica's value of {id} is on disk");
    for value in &values {
        std::fs::write(value, b"\xff\x00 not the replica's JSON {").unwrap();
    }
    for n in 0..3 {
        let reply = api.get(&path, &[]).await;
        assert_eq!(reply.status, 200, "read {n}: {}", String::from_utf8_lossy(&reply.body));
        assert_eq!(reply.etag(), etag, "read {n}: the committed ETag");
        assert_eq!(reply.header("X-Read-Path"), None, "read {n}: answered by the Durable Object");
        assert_eq!(reply.json(), committed.json(), "read {n}: the committed item");
    }
    let reply = api.get(&path, &[("If-None-Match", &etag)]).await;
    assert_eq!((reply.status, reply.header("X-Read-Path")), (304, None));
    // The next write's publication replaces the damaged value, and the replica answers again.
    let reply = api.write("PUT", &path, &renamed(&body, "Republished"), &[]).await;
    assert_eq!(reply.status, 204);
    until_etag(&api, &path, &reply.etag()).await;
}

#[tokio::test]
async fn a_stale_etag_from_the_replica_gets_412_and_changes_nothing() {
    let api = Api::connect(base_url(), EDGE_INSTANCE).await;
    let body = student(&unique_id("stale-edge"));
    let (path, first) = api.create(&body).await;
    until_etag(&api, &path, &first).await;
    let stale = api.get(&path, &[]).await.etag();
    let newer = api.write("PUT", &path, &renamed(&body, "Newer"), &[("If-Match", &stale)]).await;
    assert_eq!(newer.status, 204);
    // Whatever the replica still says, the write path decides against the object.
    let lost = api.write("PUT", &path, &renamed(&body, "Lost"), &[("If-Match", &stale)]).await;
    lost.assert_problem(412, "urn:ed-fi:api:optimistic-lock-failed");
    let fresh = api.get(&path, &[("Cache-Control", "no-cache")]).await;
    assert_eq!((fresh.etag(), fresh.json()["firstName"].clone()), (newer.etag(), json!("Newer")));
}

#[tokio::test]
async fn no_cache_reads_are_fresh_and_durable_reads_are_read_your_writes() {
    let edge = Api::connect(base_url(), EDGE_INSTANCE).await;
    let durable = Api::new().await;
    for (api, headers) in [(&edge, vec![("Cache-Control", "no-cache")]), (&durable, vec![])] {
        let body = student(&unique_id("ryw"));
        let (path, _) = api.create(&body).await;
        for n in 0..25 {
            let written = api.write("PUT", &path, &renamed(&body, &format!("N{n}")), &[]).await;
            assert_eq!(written.status, 204);
            let read = api.get(&path, &headers).await;
            assert_eq!(read.etag(), written.etag(), "write {n} is read back at once");
            assert_eq!(read.header("X-Read-Path"), None, "answered by the Durable Object");
        }
    }
}

#[tokio::test]
async fn history_lists_every_version_in_order_within_its_bound() {
    let api = Api::new().await;
    let body = student(&unique_id("hist"));
    let (path, first) = api.create(&body).await;
    let id = path.rsplit('/').next().unwrap().to_owned();
    let history_path = format!("/admin/v1/history/students/{id}");
    let mut etags = vec![first];
    for n in 1..MAX_VERSIONS {
        let reply = api.write("PUT", &path, &renamed(&body, &format!("V{n}")), &[]).await;
        etags.push(reply.etag());
    }
    let listed = |history: &Value| -> Vec<String> {
        history
            .as_array()
            .unwrap()
            .iter()
            .map(|v| format!("\"{}\"", v["etag"].as_str().unwrap_or("")))
            .collect()
    };
    let history = api.get(&history_path, &[]).await.json();
    assert_eq!(listed(&history), etags, "{} updates, {} versions, in order", MAX_VERSIONS - 1, MAX_VERSIONS);
    let old = api.get(&format!("{history_path}/{}", etags[1].trim_matches('"')), &[]).await;
    assert_eq!((old.status, old.json()["firstName"].clone()), (200, json!("V1")));

    for n in MAX_VERSIONS..MAX_VERSIONS + 2 {
        etags.push(api.write("PUT", &path, &renamed(&body, &format!("V{n}")), &[]).await.etag());
    }
    let history = api.get(&history_path, &[]).await.json();
    assert_eq!(listed(&history), etags[etags.len() - MAX_VERSIONS..], "bounded to the newest {MAX_VERSIONS}");

    let writers: Vec<&Value> = history.as_array().unwrap().iter().map(|v| &v["client"]).collect();
    assert!(writers.iter().all(|w| *w == "black-box test"), "the client's name, never its key: {writers:?}");
    let paged = api.get(&format!("{history_path}?offset=1&limit=2"), &[]).await.json();
    assert_eq!(listed(&paged), etags[etags.len() - MAX_VERSIONS + 1..][..2], "history comes in pages");

    assert_eq!(api.delete(&path, &[]).await.status, 204);
    // A deleted item's past is the administrator's alone: any client of the instance could
    // otherwise read a deleted student's records through /deletes and history.
    api.get(&history_path, &[]).await.assert_problem(404, "urn:ed-fi:api:not-found");
    let version = format!("{history_path}/{}", etags.last().unwrap().trim_matches('"'));
    api.get(&version, &[]).await.assert_problem(404, "urn:ed-fi:api:not-found");
    let admin = Api::admin(base_url()).await;
    let history = admin.get(&format!("{history_path}?instance={TEST_INSTANCE}"), &[]).await.json();
    let last = history.as_array().unwrap().last().unwrap();
    assert_eq!((last["deleted"].clone(), last["etag"].clone()), (json!(true), Value::Null), "a tombstone");
    let old = admin.get(&format!("{version}?instance={TEST_INSTANCE}"), &[]).await;
    assert_eq!((old.status, old.header("ETag")), (200, etags.last().map(String::as_str)));
}

#[tokio::test]
async fn history_is_for_the_owning_instance_or_the_administrator() {
    let api = Api::new().await;
    let (path, _) = api.create(&student(&unique_id("hist-auth"))).await;
    let id = path.rsplit('/').next().unwrap().to_owned();
    let history_path = format!("/admin/v1/history/students/{id}");
    let other = Api::connect(base_url(), "district-a").await;
    other.get(&history_path, &[]).await.assert_problem(404, "urn:ed-fi:api:not-found");
    Api::anonymous(base_url())
        .get(&history_path, &[])
        .await
        .assert_problem(401, "urn:ed-fi:api:security:authentication");
    let admin = Api::admin(base_url()).await;
    admin.get(&history_path, &[]).await.assert_problem(400, "urn:ed-fi:api:bad-request");
    let reply = admin.get(&format!("{history_path}?instance=blackbox"), &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json().as_array().unwrap().len(), 1);
}
