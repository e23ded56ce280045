//! The edge read replica in KV. The Durable Object stays the single source of truth and the only
//! place a precondition is decided. Each committed change is written to an outbox table in the
//! same transaction as the change (`SqlStore::queue_publication`, from the engine's
//! `Response::committed`); the object's alarm drains the outbox to KV, so a change reaches KV
//! even if the object restarts or crashes first, and a failed KV write is retried, never
//! dropped. With `READ_PATH = "edge"`, the Worker answers GET by id from KV when present.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use worker::kv::KvStore;
use worker::{Result, State};

use crate::sql_store::SqlStore;

use edfi_core::engine::render;
use edfi_core::store::{Document, Store};

/// The KV binding in `wrangler.toml`.
pub const BINDING: &str = "READ_REPLICA";

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

/// KV accepts one write per key per second; a second one within it may be refused.
const WRITES_PER_KEY_EVERY_MS: f64 = 1_000.0;
/// Items published per outbox read.
const BATCH: u64 = 64;
/// The longest wait before a failed publication is tried again.
const MAX_RETRY_MS: f64 = 60_000.0;

/// The object's memory of its publications: when each key was last written (for KV's rate) and
/// how many drains in a row failed (for backoff). Lost on a restart, which only makes the first
/// writes after it try sooner.
#[derive(Default)]
pub struct Publisher {
    last_write: RefCell<HashMap<String, f64>>,
    failures: Cell<u32>,
    /// An alarm is set that will drain the outbox (shared with the task that sets it).
    alarm_set: Rc<Cell<bool>>,
    /// The outbox was looked at since this object started (one left by a crash is drained).
    checked: Cell<bool>,
}

/// What a drain left to do.
#[derive(Debug, PartialEq)]
pub enum Drained {
    /// The outbox is empty.
    Done,
    /// Run again in this many milliseconds: items wait for KV's per-key rate, or KV failed.
    Again(f64),
}

impl Publisher {
    /// Sets the alarm that drains the outbox, unless one is set: after a write that queued
    /// changes, and on an object's first request if a crash left changes behind. The alarm is
    /// set without holding up the response; if the object dies first, its next start finds the
    /// outbox and sets it then.
    pub fn schedule(&self, state: &State, store: &SqlStore, queued: bool) -> Result<()> {
        let first_look = !self.checked.replace(true);
        if !queued {
            let left_behind = first_look
                && !store
                    .pending_publications(1)
                    .map_err(|e| worker::Error::RustError(e.to_string()))?
                    .is_empty();
            if !left_behind {
                return Ok(());
            }
        }
        if !self.alarm_set.replace(true) {
            let (storage, alarm_set) = (state.storage(), self.alarm_set.clone());
            worker::wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = storage.set_alarm(Duration::ZERO).await {
                    worker::console_error!("setting the replica's alarm failed: {e}");
                    alarm_set.set(false);
                }
            });
        }
        Ok(())
    }

    /// Publishes the outbox to KV: for each item, the state it has now (the newest committed),
    /// then drops its outbox rows up to the one read. Items go in the order of their oldest
    /// unpublished change; a key written less than a second ago waits; a KV failure stops the
    /// drain and is retried with exponential backoff. Called by the object's alarm.
    pub async fn drain(&self, store: &SqlStore, kv: &KvStore) -> Drained {
        self.alarm_set.set(false);
        self.checked.set(true);
        // Only keys written within the last second matter; the rest would only grow the map.
        let now = worker::Date::now().as_millis() as f64;
        self.last_write.borrow_mut().retain(|_, at| now - *at < WRITES_PER_KEY_EVERY_MS);
        loop {
            let batch = match store.pending_publications(BATCH) {
                Ok(batch) => batch,
                Err(e) => return self.failed(&format!("reading the outbox: {e}")),
            };
            if batch.is_empty() {
                self.failures.set(0);
                return Drained::Done;
            }
            let mut wait: Option<f64> = None;
            let mut published = 0;
            for pending in &batch {
                let key = item_key(&pending.instance, &pending.resource, &pending.id);
                let now = worker::Date::now().as_millis() as f64;
                if let Some(at) = self.last_write.borrow().get(&key) {
                    let since = now - at;
                    if since < WRITES_PER_KEY_EVERY_MS {
                        let remaining = WRITES_PER_KEY_EVERY_MS - since;
                        wait = Some(wait.map_or(remaining, |w: f64| w.min(remaining)));
                        continue;
                    }
                }
                let current = match store.get(&pending.resource, &pending.id) {
                    Ok(current) => current,
                    Err(e) => return self.failed(&format!("reading {key}: {e}")),
                };
                let written = match &current {
                    Some(doc) => write(kv, &key, doc).await,
                    None => kv.delete(&key).await.map_err(|e| e.to_string()),
                };
                if let Err(e) = written {
                    return self.failed(&format!("publishing {key} to KV: {e}"));
                }
                self.last_write.borrow_mut().insert(key, now);
                if let Err(e) = store.published(pending) {
                    return self.failed(&format!("clearing the outbox of {}: {e}", pending.id));
                }
                published += 1;
            }
            if published == 0 {
                self.failures.set(0);
                return Drained::Again(wait.unwrap_or(WRITES_PER_KEY_EVERY_MS));
            }
        }
    }

    /// Marks an alarm as set for a drain that must run again.
    pub fn rescheduled(&self) {
        self.alarm_set.set(true);
    }

    fn failed(&self, reason: &str) -> Drained {
        worker::console_error!("{reason}; the outbox keeps it and retries");
        let failures = self.failures.get().saturating_add(1);
        self.failures.set(failures);
        Drained::Again(retry_after_ms(failures))
    }
}

/// The wait after `failures` failed drains in a row: 1 s, 2 s, 4 s … up to a minute.
pub fn retry_after_ms(failures: u32) -> f64 {
    (500.0 * 2f64.powi(failures.min(16) as i32)).min(MAX_RETRY_MS)
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

#[cfg(test)]
mod tests {
    use super::retry_after_ms;

    #[test]
    fn a_failing_replica_is_retried_sooner_first_and_at_most_a_minute_apart() {
        let waits: Vec<f64> = (1..=9).map(retry_after_ms).collect();
        assert_eq!(waits[..4], [1_000.0, 2_000.0, 4_000.0, 8_000.0]);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(retry_after_ms(u32::MAX), 60_000.0);
    }
}
