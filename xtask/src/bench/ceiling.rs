//! The runtime's ceiling beside the API: the bare Worker's SQLite object (`xtask/bare-worker/`)
//! doing, with no application logic, the storage work of each measured request, in rounds that
//! alternate with the API's own, so that a slow spell of the machine falls on both alike.

use serde_json::{json, Value};

use super::{
    by_id_in, conditional_updates, creates, get_all, gets, idempotency_key, load, puts, with_cpu, Phase,
    Update,
};
use crate::client::agent;

/// Rounds, and requests of each kind per round and side.
pub const ROUNDS: usize = 3;
pub const REQUESTS: usize = 2_000;

/// Medians of the rounds, requests/s: (the runtime's ceiling, the API).
pub struct Ceiling {
    pub get: (f64, f64),
    pub post: (f64, f64),
    pub put: (f64, f64),
    /// Every round's phases, both sides, for the report's table.
    pub phases: Vec<Phase>,
}

/// The API at `base` (a token's instance whose first `documents` students exist, ids in
/// `api_ids`; new students numbered from `*created`) against the bare Worker at `bare_base`.
pub fn measure(
    bare_base: &str,
    bare_group: u32,
    (base, authorization, group): (&str, &str, u32),
    api_ids: &[String],
    created: &mut usize,
    documents: usize,
) -> Ceiling {
    let put_documents = documents.min(REQUESTS);
    // The ceiling's own items, made first: its GETs and PUTs need them.
    creates(bare_base, ITEMS, "", 0, put_documents, "fill the ceiling object");
    let items = listed(bare_base, put_documents);
    let ids: Vec<String> = items.iter().map(|item| item.id.clone()).collect();
    let mut series: [Vec<f64>; 6] = Default::default();
    let mut phases = Vec::new();
    let mut next_item = put_documents;
    for round in 0..ROUNDS {
        let bare_get = with_cpu(bare_group, || {
            let name = "ceiling: GET by id, bare JS Worker and object";
            get_all(name, bare_base, "", REQUESTS, |i| by_id_in(ITEMS, &ids, i))
        });
        let api_get =
            with_cpu(group, || gets(base, authorization, api_ids, REQUESTS, "GET by id, a ceiling round"));
        let bare_post = with_cpu(bare_group, || {
            creates(bare_base, ITEMS, "", next_item, REQUESTS, "ceiling: POST new, bare JS Worker and object")
        });
        next_item += REQUESTS;
        let api_post =
            with_cpu(group, || load(base, authorization, *created, REQUESTS, "POST create, a ceiling round"));
        *created += REQUESTS;
        // Each round updates the same items again, reading their current ETags first.
        let current = listed(bare_base, put_documents);
        let bare_put = with_cpu(bare_group, || {
            update_items(bare_base, &current, round, "ceiling: PUT with If-Match, bare JS Worker and object")
        });
        let mut api_put = with_cpu(group, || {
            conditional_updates(base, authorization, put_documents, &format!("ceiling-{round}"))
        });
        api_put.name = "PUT with If-Match, a ceiling round".into();
        let measured = [&bare_get, &api_get, &bare_post, &api_post, &bare_put, &api_put];
        for (rates, phase) in series.iter_mut().zip(measured) {
            rates.push(phase.rate());
        }
        if round == 0 {
            phases.extend([bare_get, api_get, bare_post, api_post, bare_put, api_put]);
        }
    }
    let [bare_get, api_get, bare_post, api_post, bare_put, api_put] =
        series.map(|mut rates| crate::contention::median(&mut rates));
    Ceiling { get: (bare_get, api_get), post: (bare_post, api_post), put: (bare_put, api_put), phases }
}

/// The ceiling object's items are at `/items` and its writes need no token.
const ITEMS: &str = "/items";

fn update_items(base: &str, items: &[Item], round: usize, name: &str) -> Phase {
    let updates: Vec<Update> = items
        .iter()
        .map(|Item { id, etag, content }| {
            let mut body = content.clone();
            body["middleName"] = json!(format!("Updated {round}"));
            Update {
                target: format!("{ITEMS}/{id}"),
                if_match: format!("\"{etag}\""),
                body: body.to_string(),
                key: idempotency_key(&format!("ceiling-{round}-{id}")),
            }
        })
        .collect();
    puts(base, "", &updates, name)
}

struct Item {
    id: String,
    etag: String,
    content: Value,
}

/// The ceiling object's first `count` items.
fn listed(base: &str, count: usize) -> Vec<Item> {
    let Ok(mut response) = agent().get(&format!("{base}{ITEMS}?limit={count}")).call() else {
        return Vec::new();
    };
    let rows: Value =
        serde_json::from_str(&response.body_mut().read_to_string().unwrap_or_default()).unwrap_or_default();
    rows.as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    let content = serde_json::from_str(r["content"].as_str()?).ok()?;
                    Some(Item {
                        id: r["id"].as_str()?.to_owned(),
                        etag: r["etag"].as_str()?.to_owned(),
                        content,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}
