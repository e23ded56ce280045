//! Read-modify-write under contention, recorded and checked for linearizability, and the latency
//! of conditional against unconditional writes. Part of `cargo xtask bench`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use edfi_blackbox::linearizability::{check, Op, OpKind, Outcome};
use serde_json::{json, Value};

use crate::client::agent;

/// One contention run's figures.
pub struct Contention {
    pub name: String,
    pub updates_per_second: f64,
    pub refused_rate: f64,
    pub lost_updates: i64,
    /// Writes whose answer never came, even after two retries with their Idempotency-Key.
    pub unknown_outcomes: usize,
    pub operations: usize,
    /// Histories checked and whether all were linearizable (`Err` names the first failure).
    pub linearizable: Result<usize, String>,
}

struct Item {
    url: String,
    initial_etag: String,
    initial_count: i64,
}

fn etag_of(body: &Value) -> String {
    let content = edfi_core::content::Content::from_body(body.as_object().expect("an object"));
    format!("\"{}\"", content.etag().opaque())
}

/// Creates `count` counter documents; their URLs and initial ETags.
fn create_items(base: &str, authorization: &str, tag: &str, count: usize) -> Vec<Item> {
    let agent = agent();
    (0..count)
        .map(|i| {
            let body = json!({"studentUniqueId": format!("{tag}{i}"), "firstName": "Counter", "lastSurname": "Bench",
                "birthDate": "2012-01-01", "middleName": "0"});
            let url = format!("{base}/data/v3/ed-fi/students");
            let response = agent
                .post(&url)
                .header("Authorization", authorization)
                .header("Content-Type", "application/json")
                .send(body.to_string())
                .expect("create");
            let location = response.headers().get("Location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let etag = response.headers().get("ETag").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            Item { url: location, initial_etag: etag, initial_count: 0 }
        })
        .collect()
}

/// `clients` threads increment counters (spread over `items`) for `seconds`, retrying on 412;
/// every GET and PUT is recorded and each item's history checked as a strict compare-and-set
/// register. Lost updates are the acknowledged increments (204s) the final counters lack.
pub fn run(
    base: &str,
    authorization: &str,
    tag: &str,
    clients: usize,
    items: usize,
    seconds: f64,
) -> Contention {
    let items = create_items(base, authorization, tag, items);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let successes = AtomicUsize::new(0);
    let refusals = AtomicUsize::new(0);
    let unknown = AtomicUsize::new(0);
    let history: Mutex<HashMap<usize, Vec<Op>>> = Mutex::default();
    std::thread::scope(|scope| {
        for client in 0..clients {
            let (items, successes, refusals, unknown, history) =
                (&items, &successes, &refusals, &unknown, &history);
            scope.spawn(move || {
                let agent = agent();
                let now = || start.elapsed().as_nanos() as u64;
                let mut n = client;
                let mut writes = 0usize;
                while Instant::now() < deadline {
                    n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let index = (n >> 33) % items.len();
                    let item = &items[index];
                    let invoke = now();
                    let Ok(mut read) = agent
                        .get(&item.url)
                        .header("Authorization", authorization)
                        .header("Cache-Control", "no-cache")
                        .call()
                    else {
                        continue;
                    };
                    let etag =
                        read.headers().get("ETag").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    let mut body: Value =
                        serde_json::from_str(&read.body_mut().read_to_string().unwrap_or_default())
                            .unwrap_or_default();
                    let returned = now();
                    history.lock().unwrap().entry(index).or_default().push(Op {
                        invoke,
                        ret: Some(returned),
                        kind: OpKind::Read { saw: etag.clone() },
                    });
                    let count: i64 = body["middleName"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
                    // A plain increment: two clients that read the same version send the same
                    // content, and only a strict compare-and-set keeps both from being acknowledged.
                    body["middleName"] = json!((count + 1).to_string());
                    let new = etag_of(&body);
                    writes += 1;
                    let key = crate::bench::idempotency_key(&format!("rmw-{tag}-{client}-{writes}"));
                    let body = body.to_string();
                    let invoke = now();
                    // A write whose answer was lost is sent again with the same key, up to twice:
                    // the replay tells whether the first try took effect.
                    let mut outcome = Outcome::Unknown;
                    for _ in 0..3 {
                        let sent = agent
                            .put(&item.url)
                            .header("Authorization", authorization)
                            .header("Content-Type", "application/json")
                            .header("If-Match", &etag)
                            .header(edfi_core::idempotency::HEADER, &key)
                            .send(&body);
                        outcome = match sent.as_ref().map(|r| r.status().as_u16()) {
                            Ok(204) => Outcome::Applied,
                            Ok(412) => Outcome::Refused,
                            _ => continue,
                        };
                        break;
                    }
                    match outcome {
                        Outcome::Applied => successes.fetch_add(1, Ordering::Relaxed),
                        Outcome::Refused => refusals.fetch_add(1, Ordering::Relaxed),
                        Outcome::Unknown => unknown.fetch_add(1, Ordering::Relaxed),
                    };
                    let ret = (outcome != Outcome::Unknown).then(now);
                    history.lock().unwrap().entry(index).or_default().push(Op {
                        invoke,
                        ret,
                        kind: OpKind::Write { expected: etag, new, outcome },
                    });
                }
            });
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    let successes = successes.into_inner();
    let refusals = refusals.into_inner();
    let final_total: i64 =
        items.iter().map(|item| counter(&item.url, authorization) - item.initial_count).sum();
    let history = history.into_inner().unwrap();
    let operations = history.values().map(Vec::len).sum();
    let linearizable = items.iter().enumerate().try_fold(0, |checked, (i, item)| {
        check(&item.initial_etag, history.get(&i).map(Vec::as_slice).unwrap_or(&[])).map(|()| checked + 1)
    });
    Contention {
        name: format!("{clients} clients, {} item(s)", items.len()),
        updates_per_second: successes as f64 / elapsed,
        refused_rate: refusals as f64 / (successes + refusals).max(1) as f64,
        lost_updates: successes as i64 - final_total,
        unknown_outcomes: unknown.into_inner(),
        operations,
        linearizable,
    }
}

fn counter(url: &str, authorization: &str) -> i64 {
    let mut response = agent().get(url).header("Authorization", authorization).call().expect("read back");
    let body: Value =
        serde_json::from_str(&response.body_mut().read_to_string().unwrap_or_default()).unwrap_or_default();
    body["middleName"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Median latency of sequential PUTs with and without `If-Match` on `count` fresh documents:
/// (with, without), in milliseconds. Each document gets one of each, in alternating order, so
/// drift in the machine's speed falls on both alike; every PUT changes the content.
pub fn put_latency(base: &str, authorization: &str, tag: &str, count: usize) -> (f64, f64) {
    let items = create_items(base, authorization, tag, count);
    let agent = agent();
    let mut writes = 0usize;
    // One PUT; on success `etag` becomes the ETag it answered. Returns the time it took.
    let mut put = |i: usize, url: &str, etag: &mut String, conditional: bool| -> Option<f64> {
        writes += 1;
        let body = json!({"studentUniqueId": format!("{tag}{i}"), "firstName": "Counter", "lastSurname": "Bench",
            "birthDate": "2012-01-01", "middleName": format!("write {writes}")});
        // Both kinds carry an Idempotency-Key, so the ratio measures If-Match alone.
        let key = crate::bench::idempotency_key(&format!("latency-{tag}-{writes}"));
        let mut request = agent
            .put(url)
            .header("Authorization", authorization)
            .header("Content-Type", "application/json")
            .header(edfi_core::idempotency::HEADER, &key);
        if conditional {
            request = request.header("If-Match", etag.as_str());
        }
        let started = Instant::now();
        let response = request.send(body.to_string()).ok().filter(|r| r.status().as_u16() == 204)?;
        let took = started.elapsed().as_secs_f64() * 1000.0;
        *etag = response.headers().get("ETag").and_then(|v| v.to_str().ok())?.to_owned();
        Some(took)
    };
    // A first, untimed PUT of each document gives its current ETag and warms the path.
    let mut etags = vec![String::new(); items.len()];
    for (i, item) in items.iter().enumerate() {
        put(i, &item.url, &mut etags[i], false);
    }
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for (i, item) in items.iter().enumerate() {
        let order = if i % 2 == 0 { [false, true] } else { [true, false] };
        for conditional in order {
            let took = put(i, &item.url, &mut etags[i], conditional);
            if let Some(took) = took {
                if conditional { &mut with } else { &mut without }.push(took);
            }
        }
    }
    (median(&mut with), median(&mut without))
}

/// The middle value (the upper one of an even count); NaN when there are none.
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
