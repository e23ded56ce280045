//! Concurrency claims, proven by racing real requests.

use std::collections::HashSet;

use serde_json::json;
use tokio::task::JoinSet;

use crate::support::{student, unique_id, Api};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_puts_with_one_if_match_have_exactly_one_winner() {
    let api = Api::new().await;
    let body = student(&unique_id("race40"));
    let (path, etag) = api.create(&body).await;
    let mut racers = JoinSet::new();
    for i in 0..40 {
        let (api, path, etag) = (api.clone(), path.clone(), etag.clone());
        let mut update = body.clone();
        // Distinct content per racer, so no loser's write could count as "already applied".
        update["middleName"] = json!(format!("racer {i}"));
        racers.spawn(async move {
            let reply = api.write("PUT", &path, &update, &[("If-Match", &etag)]).await;
            (i, reply)
        });
    }
    let mut winners = Vec::new();
    let mut lost = 0;
    while let Some(joined) = racers.join_next().await {
        let (i, reply) = joined.unwrap();
        match reply.status {
            204 => winners.push((i, reply.etag())),
            412 => {
                reply.assert_problem(412, "urn:ed-fi:api:optimistic-lock-failed");
                lost += 1
            }
            status => panic!("racer {i} got {status}"),
        }
    }
    assert_eq!((winners.len(), lost), (1, 39), "winners: {winners:?}");
    let (winner, winner_etag) = &winners[0];
    let (stored, stored_etag) = api.current(&path).await.unwrap();
    assert_eq!(stored["middleName"], json!(format!("racer {winner}")), "the stored content is the winner's");
    assert_eq!(&stored_etag, winner_etag);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn read_modify_write_increments_are_never_lost() {
    const CLIENTS: usize = 8;
    const INCREMENTS: usize = 15;
    let api = Api::new().await;
    let mut body = student(&unique_id("rmw"));
    body["middleName"] = json!("0");
    let (path, _) = api.create(&body).await;
    let mut clients = JoinSet::new();
    for client in 0..CLIENTS {
        let (api, path) = (api.clone(), path.clone());
        clients.spawn(async move {
            let mut used = Vec::new();
            let mut conflicts = 0;
            while used.len() < INCREMENTS {
                let (mut current, etag) = api.current(&path).await.unwrap();
                let n: u64 = current["middleName"].as_str().unwrap().parse().unwrap();
                current["middleName"] = json!((n + 1).to_string());
                // Each client signs its write. Without this, two clients incrementing the same
                // version would send byte-identical requests, which the contract answers as an
                // already-applied retry (204, one change) -- see the test below.
                current["birthCity"] = json!(format!("Client {client}"));
                let reply = api.write("PUT", &path, &current, &[("If-Match", &etag)]).await;
                match reply.status {
                    204 => used.push(etag),
                    412 => conflicts += 1,
                    status => panic!("increment answered {status}"),
                }
            }
            (used, conflicts)
        });
    }
    let mut winning_etags = Vec::new();
    let mut conflicts = 0;
    while let Some(joined) = clients.join_next().await {
        let (used, c) = joined.unwrap();
        winning_etags.extend(used);
        conflicts += c;
    }
    let (stored, _) = api.current(&path).await.unwrap();
    assert_eq!(
        stored["middleName"],
        json!((CLIENTS * INCREMENTS).to_string()),
        "{conflicts} conflicts retried"
    );
    let distinct: HashSet<_> = winning_etags.iter().collect();
    assert_eq!(distinct.len(), CLIENTS * INCREMENTS, "no ETag was used by two winners");
}

/// Identical content from the same version is indistinguishable from a retry whose answer was
/// lost: both requests get 204, and one change is stored (RFC 9110 §13.1.1, the contract's
/// "already applied" row). A client that counts its own writes must make them distinct.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_writes_from_one_version_store_one_change() {
    let api = Api::new().await;
    let body = student(&unique_id("same"));
    let (path, etag) = api.create(&body).await;
    let mut update = body.clone();
    update["middleName"] = json!("Same");
    let mut writers = JoinSet::new();
    for _ in 0..4 {
        let (api, path, etag, update) = (api.clone(), path.clone(), etag.clone(), update.clone());
        writers.spawn(async move { api.write("PUT", &path, &update, &[("If-Match", &etag)]).await });
    }
    let mut etags = HashSet::new();
    while let Some(reply) = writers.join_next().await {
        let reply = reply.unwrap();
        assert_eq!(reply.status, 204);
        etags.insert(reply.etag());
    }
    let (stored, stored_etag) = api.current(&path).await.unwrap();
    assert_eq!(etags.into_iter().collect::<Vec<_>>(), vec![stored_etag]);
    assert_eq!(stored["middleName"], "Same");
}
