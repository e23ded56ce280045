//! Concurrency claims, proven by racing real requests. Every racer sends plain content, the same
//! as any other racer would send from the same version: no per-client marks. A stale `If-Match`
//! is always 412, whatever the body, so no update is lost even when two clients write the same
//! next value.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use edfi_blackbox::linearizability::{check, Op, OpKind, Outcome};
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::linearizable::etag_of;
use crate::support::{content, student, unique_id, Api};

const LOCK_FAILED: &str = "urn:ed-fi:api:optimistic-lock-failed";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_puts_with_one_if_match_have_exactly_one_winner() {
    let api = Api::new().await;
    let body = student(&unique_id("race40"));
    let (path, etag) = api.create(&body).await;
    // Every racer sends the same change: only the first to arrive may apply it.
    let mut update = body.clone();
    update["middleName"] = json!("Raced");
    let mut racers = JoinSet::new();
    for i in 0..40 {
        let (api, path, etag, update) = (api.clone(), path.clone(), etag.clone(), update.clone());
        racers.spawn(async move {
            let reply = api.write("PUT", &path, &update, &[("If-Match", &etag)]).await;
            (i, reply)
        });
    }
    let mut winners = Vec::new();
    let mut refused = 0;
    while let Some(joined) = racers.join_next().await {
        let (i, reply) = joined.unwrap();
        match reply.status {
            204 => winners.push((i, reply.etag())),
            412 => {
                reply.assert_problem(412, LOCK_FAILED);
                refused += 1
            }
            status => panic!("racer {i} got {status}"),
        }
    }
    assert_eq!((winners.len(), refused), (1, 39), "winners: {winners:?}");
    let (_, winner_etag) = &winners[0];
    let (stored, stored_etag) = api.current(&path).await.unwrap();
    assert_eq!(content(&stored), content(&update));
    assert_eq!(&stored_etag, winner_etag);
    assert_eq!(versions(&api, &path).await, 2, "the create and one update");
}

/// What a run of read-modify-write increments left behind.
struct IncrementRace {
    /// The counter at the end.
    counter: u64,
    /// The `If-Match` of every PUT that answered 204.
    winning_if_matches: Vec<String>,
    refusals: usize,
    initial_etag: String,
    /// Every GET and PUT, with its invoke and return time.
    history: Vec<Op>,
}

/// `clients` tasks each make `increments` increments of one student's `middleName`: GET, parse,
/// +1, PUT with the `If-Match` just read, again from the GET on 412. Nothing else differs between
/// the clients' writes: two clients incrementing the same version send identical requests.
async fn increment_race(clients: usize, increments: usize) -> IncrementRace {
    // A client that cannot finish within this many attempts is starved or always refused.
    let max_attempts = 50 * clients * increments;
    let api = Api::new().await;
    let mut body = student(&unique_id("rmw"));
    body["middleName"] = json!("0");
    let (path, initial_etag) = api.create(&body).await;
    let start = Instant::now();
    let history: Arc<Mutex<Vec<Op>>> = Arc::default();
    let mut tasks = JoinSet::new();
    for client in 0..clients {
        let (api, path, history) = (api.clone(), path.clone(), history.clone());
        tasks.spawn(async move {
            let now = || start.elapsed().as_nanos() as u64;
            let mut won = Vec::new();
            let mut refusals = 0;
            for attempt in 0.. {
                if won.len() == increments {
                    break;
                }
                assert!(
                    attempt < max_attempts,
                    "client {client}: {} of {increments} after {attempt}",
                    won.len()
                );
                let invoke = now();
                let read = api.get(&path, &[("Cache-Control", "no-cache")]).await;
                assert_eq!(read.status, 200, "{}", String::from_utf8_lossy(&read.body));
                let expected = read.etag();
                history.lock().unwrap().push(Op {
                    invoke,
                    ret: Some(now()),
                    kind: OpKind::Read { saw: expected.clone() },
                });
                let mut next = read.json();
                let n: u64 = next["middleName"].as_str().unwrap().parse().unwrap();
                next["middleName"] = json!((n + 1).to_string());
                let new = etag_of(&next);
                let invoke = now();
                let reply = api.write("PUT", &path, &next, &[("If-Match", &expected)]).await;
                let ret = Some(now());
                let outcome = match reply.status {
                    204 => {
                        assert_eq!(reply.etag(), new, "the server's ETag is the content's");
                        won.push(expected.clone());
                        Outcome::Applied
                    }
                    412 => {
                        reply.assert_problem(412, LOCK_FAILED);
                        refusals += 1;
                        Outcome::Refused
                    }
                    status => panic!("an increment answered {status}"),
                };
                history.lock().unwrap().push(Op {
                    invoke,
                    ret,
                    kind: OpKind::Write { expected, new, outcome },
                });
            }
            (won, refusals)
        });
    }
    let mut winning_if_matches = Vec::new();
    let mut refusals = 0;
    while let Some(joined) = tasks.join_next().await {
        let (won, r) = joined.unwrap();
        winning_if_matches.extend(won);
        refusals += r;
    }
    let (stored, _) = api.current(&path).await.unwrap();
    let counter = stored["middleName"].as_str().unwrap().parse().unwrap();
    let history = std::mem::take(&mut *history.lock().unwrap());
    IncrementRace { counter, winning_if_matches, refusals, initial_etag, history }
}

/// Every acknowledged increment is in the counter, no two 204s answered one `If-Match`, and the
/// whole history is linearizable as a strict compare-and-set register.
fn assert_no_update_lost(race: &IncrementRace, clients: usize, increments: usize) {
    let acknowledged = race.winning_if_matches.len();
    let distinct: HashSet<_> = race.winning_if_matches.iter().collect();
    let summary = format!(
        "{clients} clients x {increments}: counter {}, {acknowledged} acknowledged, {} distinct If-Match, {} refused",
        race.counter,
        distinct.len(),
        race.refusals
    );
    eprintln!("{summary}");
    assert_eq!(acknowledged, clients * increments, "{summary}");
    assert_eq!(race.counter, (clients * increments) as u64, "lost updates: {summary}");
    assert_eq!(distinct.len(), acknowledged, "two 204s answered one If-Match: {summary}");
    check(&race.initial_etag, &race.history).unwrap_or_else(|e| panic!("{summary}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_clients_incrementing_one_counter_lose_no_update() {
    let race = increment_race(8, 15).await;
    assert_no_update_lost(&race, 8, 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_clients_incrementing_one_counter_lose_no_update() {
    let race = increment_race(32, 4).await;
    assert_no_update_lost(&race, 32, 4);
}

/// Two clients read the same version and send the same change with its ETag: the first to arrive
/// applies it, and for the second that ETag is stale, so it is refused although its content is
/// what is stored now. Both orders: racing, and one after the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_change_from_one_version_applies_once() {
    let api = Api::new().await;
    for concurrent in [true, false] {
        let body = student(&unique_id("same"));
        let (path, etag) = api.create(&body).await;
        let mut update = body.clone();
        update["middleName"] = json!("Same");
        let replies = if concurrent {
            let put = || {
                let (api, path, update, etag) = (api.clone(), path.clone(), update.clone(), etag.clone());
                tokio::spawn(async move { api.write("PUT", &path, &update, &[("If-Match", &etag)]).await })
            };
            let (first, second) = (put(), put());
            vec![first.await.unwrap(), second.await.unwrap()]
        } else {
            let first = api.write("PUT", &path, &update, &[("If-Match", &etag)]).await;
            let second = api.write("PUT", &path, &update, &[("If-Match", &etag)]).await;
            assert_eq!((first.status, second.status), (204, 412), "the later one is refused");
            vec![first, second]
        };
        let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        let (applied, refused): (Vec<_>, Vec<_>) = replies.iter().partition(|r| r.status == 204);
        assert_eq!((applied.len(), refused.len()), (1, 1), "concurrent: {concurrent}, statuses {statuses:?}");
        refused[0].assert_problem(412, LOCK_FAILED);
        let (stored, stored_etag) = api.current(&path).await.unwrap();
        assert_eq!(content(&stored), content(&update));
        assert_eq!(stored_etag, applied[0].etag());
        assert_eq!(versions(&api, &path).await, 2, "the create and one change");
    }
}

/// How many versions the item's history holds (the suite's bound is 5).
async fn versions(api: &Api, path: &str) -> usize {
    let id = path.rsplit('/').next().unwrap();
    let history: Value = api.get(&format!("/admin/v1/history/students/{id}"), &[]).await.json();
    history.as_array().unwrap().len()
}
