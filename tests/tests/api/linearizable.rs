//! Linearizability and crash safety over real requests: every operation is recorded with its
//! invoke and return times and checked against a compare-and-set register per item.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use edfi_blackbox::linearizability::{check, Op, OpKind, Outcome};
use edfi_core::content::Content;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::support::{student, unique_id, Api};

/// The ETag the server gives a body: the tests compute it to place writes whose answer was lost.
pub fn etag_of(body: &Value) -> String {
    format!("\"{}\"", Content::from_body(body.as_object().unwrap()).etag().opaque())
}

/// Concurrent reads and read-modify-write PUTs on a few items, all recorded; returns each item's
/// initial ETag and history. Each PUT increments `middleName` as a counter, so two clients that
/// read the same version send the same content: only a strict compare-and-set passes the check.
pub async fn recorded_race(
    api: &Api,
    items: usize,
    clients: usize,
    ops_per_client: usize,
) -> Vec<(String, Vec<Op>)> {
    let mut paths = Vec::new();
    let mut initial = Vec::new();
    for _ in 0..items {
        let (path, etag) = api.create(&student(&unique_id("lin"))).await;
        paths.push(path);
        initial.push(etag);
    }
    let start = Instant::now();
    let history: Arc<Mutex<HashMap<usize, Vec<Op>>>> = Arc::default();
    let mut tasks = JoinSet::new();
    for client in 0..clients {
        let (api, paths, history) = (api.clone(), paths.clone(), history.clone());
        tasks.spawn(async move {
            let now = || start.elapsed().as_nanos() as u64;
            for n in 0..ops_per_client {
                let item = (client * 7 + n * 3) % paths.len();
                let invoke = now();
                let reply = api.get(&paths[item], &[("Cache-Control", "no-cache")]).await;
                let read = Op { invoke, ret: Some(now()), kind: OpKind::Read { saw: reply.etag() } };
                history.lock().unwrap().entry(item).or_default().push(read);
                if n % 2 == 1 {
                    continue;
                }
                let mut body = reply.json();
                let count: u64 = body["middleName"].as_str().map_or(0, |s| s.parse().unwrap());
                body["middleName"] = json!((count + 1).to_string());
                let expected = reply.etag();
                let new = etag_of(&body);
                let invoke = now();
                let written = api.write("PUT", &paths[item], &body, &[("If-Match", &expected)]).await;
                let outcome = match written.status {
                    204 => Outcome::Applied,
                    412 => Outcome::Refused,
                    status => panic!("a PUT answered {status}"),
                };
                if outcome == Outcome::Applied {
                    assert_eq!(written.etag(), new, "the server's ETag is the content's");
                }
                let op = Op { invoke, ret: Some(now()), kind: OpKind::Write { expected, new, outcome } };
                history.lock().unwrap().entry(item).or_default().push(op);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let mut history = std::mem::take(&mut *history.lock().unwrap());
    initial.into_iter().enumerate().map(|(i, etag)| (etag, history.remove(&i).unwrap_or_default())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reads_and_conditional_writes_are_linearizable() {
    let api = Api::new().await;
    let histories = recorded_race(&api, 3, 8, 30).await;
    let total: usize = histories.iter().map(|(_, ops)| ops.len()).sum();
    assert!(total >= 8 * 30, "{total} operations recorded");
    for (initial, ops) in &histories {
        check(initial, ops).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// SIGKILL in the middle of a write load: after a restart on the same state, every acknowledged
/// write is there, and every item holds exactly one whole version (acknowledged or not), with its
/// history agreeing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_a_crash_and_nothing_is_half_applied() {
    use crate::own_server::{own_config, start};
    let config = own_config("crash");
    let mut server = start(config.clone()).await;
    let api = Api::connect(server.base_url(), "blackbox").await;
    const WRITERS: usize = 4;
    let mut docs = Vec::new();
    for _ in 0..WRITERS {
        let body = student(&unique_id("crash"));
        let (path, _) = api.create(&body).await;
        docs.push((path, body));
    }
    // Each writer updates its own item as fast as it can; it remembers what was acknowledged and
    // everything it attempted.
    let stop_at = Instant::now() + Duration::from_millis(1500);
    let mut writers = JoinSet::new();
    for (path, body) in docs.clone() {
        let api = api.clone();
        writers.spawn(async move {
            let mut acknowledged = 0;
            let mut attempted = Vec::new();
            for n in 1.. {
                if Instant::now() > stop_at + Duration::from_secs(5) {
                    break;
                }
                let mut next = body.clone();
                next["middleName"] = json!(format!("v{n}"));
                attempted.push(next.clone());
                match tokio::time::timeout(Duration::from_secs(2), api.try_write("PUT", &path, &next)).await {
                    Ok(Ok(204)) => acknowledged = n,
                    Ok(Ok(status)) => panic!("PUT answered {status}"),
                    _ => break, // the server is gone
                }
            }
            (path, acknowledged, attempted)
        });
    }
    tokio::time::sleep_until(stop_at.into()).await;
    server.kill();
    let mut results = Vec::new();
    while let Some(done) = writers.join_next().await {
        results.push(done.unwrap());
    }
    let server = start(config).await;
    let api = Api::connect(server.base_url(), "blackbox").await;
    for (path, acknowledged, attempted) in results {
        assert!(acknowledged > 0, "some writes were acknowledged before the crash");
        let (stored, etag) = api.current(&path).await.expect("the item survived");
        let version: usize = stored["middleName"].as_str().unwrap().trim_start_matches('v').parse().unwrap();
        assert!(
            version >= acknowledged,
            "{path}: acknowledged v{acknowledged}, found v{version}: a lost write"
        );
        let whole = &attempted[version - 1];
        assert_eq!(
            crate::support::content(&stored),
            crate::support::content(whole),
            "exactly one whole version"
        );
        assert_eq!(etag, etag_of(whole));
        let id = path.rsplit('/').next().unwrap();
        let history = api.get(&format!("/admin/v1/history/students/{id}"), &[]).await.json();
        let last = history.as_array().unwrap().last().unwrap()["etag"].as_str().unwrap().to_owned();
        assert_eq!(format!("\"{last}\""), etag, "the history was written with the item");
    }
}
