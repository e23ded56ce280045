//! The edge read replica in KV. The Durable Object stays the single source of truth and the only
//! place a precondition is decided; after each committed write it publishes the new
//! representation (or the deletion) to KV, in commit order, without delaying the response.
//! With `READ_PATH = "edge"`, the Worker answers GET by id from KV when present.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use worker::kv::KvStore;
use worker::{Env, State};

use edfi_core::engine::render;
use edfi_core::store::Document;

/// The KV binding in `wrangler.toml`.
pub const BINDING: &str = "READ_REPLICA";

/// One committed change, to publish.
#[derive(Clone, Debug)]
pub struct Change {
    pub resource: String,
    pub id: String,
    /// The new state; `None` when the item was deleted.
    pub doc: Option<Document>,
}

/// What KV holds for an item: the representation as the Durable Object serves it.
#[derive(Serialize, Deserialize)]
pub struct Replica {
    pub etag: String,
    pub last_modified: i64,
    pub change_version: i64,
    pub body: String,
}

pub fn item_key(instance: &str, resource: &str, id: &str) -> String {
    format!("{instance}/{resource}/{id}")
}

/// Marks a revoked client, so edge reads refuse it too.
pub fn revoked_key(client: &str) -> String {
    format!("revoked/{client}")
}

/// Publishes changes one at a time in commit order: a later write of an item can never be
/// overtaken by an earlier one, so the replica converges to the committed state.
#[derive(Clone, Default)]
pub struct Publisher {
    queue: Rc<RefCell<VecDeque<(String, Change)>>>,
    draining: Rc<RefCell<bool>>,
    /// Whether the missing binding was reported; once per object is enough.
    reported_unbound: Rc<RefCell<bool>>,
}

impl Publisher {
    /// Queues an instance's committed changes and, unless a drain is running, starts one that
    /// outlives the response (`wait_until`).
    pub fn publish(&self, state: &State, env: &Env, instance: &str, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        let Ok(kv) = env.kv(BINDING) else {
            if !self.reported_unbound.replace(true) {
                worker::console_error!("no {BINDING} KV binding: the edge read replica is not updated");
            }
            return;
        };
        self.queue.borrow_mut().extend(changes.into_iter().map(|c| (instance.to_owned(), c)));
        if self.draining.replace(true) {
            return;
        }
        let publisher = self.clone();
        state.wait_until(async move { publisher.drain(kv).await });
    }

    async fn drain(&self, kv: KvStore) {
        loop {
            let next = self.queue.borrow_mut().pop_front();
            let Some((instance, change)) = next else { break };
            let key = item_key(&instance, &change.resource, &change.id);
            let written = match &change.doc {
                Some(doc) => write(&kv, &key, doc).await,
                None => kv.delete(&key).await.map_err(|e| e.to_string()),
            };
            if let Err(e) = written {
                worker::console_error!("publishing {key} to KV failed: {e}");
            }
        }
        *self.draining.borrow_mut() = false;
    }
}

async fn write(kv: &KvStore, key: &str, doc: &Document) -> Result<(), String> {
    let replica = Replica {
        etag: doc.etag.clone(),
        last_modified: doc.last_modified,
        change_version: doc.change_version,
        body: render(doc),
    };
    let value = serde_json::to_string(&replica).map_err(|e| e.to_string())?;
    kv.put(key, value).map_err(|e| e.to_string())?.execute().await.map_err(|e| e.to_string())
}
