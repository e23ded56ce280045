//! The storage the engine runs over. The Worker implements it on Durable Object SQLite; tests use
//! [`MemoryStore`]. Calls are synchronous on purpose: the engine checks a precondition and writes
//! with no `.await` in between, which is what serializes conditional writes in a Durable Object.

use std::collections::BTreeMap;
use std::fmt;

/// A stored resource item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// 32 lowercase hex digits.
    pub id: String,
    /// The natural key, as JSON text of the key values (see [`crate::validate::natural_key`]).
    pub natural_key: String,
    /// Canonical JSON of the content (no server fields).
    pub content: String,
    /// The ETag's opaque value, computed once when the content was written.
    pub etag: String,
    /// Unix seconds of the last change.
    pub last_modified: i64,
    /// The instance-wide change version of the last change.
    pub change_version: i64,
}

/// A storage failure. Its text is logged, never sent to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

pub type StoreResult<T> = Result<T, StoreError>;

pub trait Store {
    fn get(&self, resource: &str, id: &str) -> StoreResult<Option<Document>>;
    fn get_by_natural_key(&self, resource: &str, natural_key: &str) -> StoreResult<Option<Document>>;
    /// Adds a new item; it goes to the end of the collection's insertion order.
    fn insert(&mut self, resource: &str, doc: &Document) -> StoreResult<()>;
    /// Replaces the item with `doc.id`, keeping its place in the insertion order.
    fn update(&mut self, resource: &str, doc: &Document) -> StoreResult<()>;
    fn delete(&mut self, resource: &str, id: &str) -> StoreResult<()>;
    /// Items in insertion order.
    fn page(&self, resource: &str, offset: u64, limit: u64) -> StoreResult<Vec<Document>>;
    fn count(&self, resource: &str) -> StoreResult<u64>;
    /// Takes the next value of the instance's monotonic change version.
    fn next_change_version(&mut self) -> StoreResult<i64>;
}

/// An in-memory [`Store`] for tests and benchmarks.
#[derive(Default, Debug, Clone)]
pub struct MemoryStore {
    /// (resource, insertion sequence) → document.
    items: BTreeMap<(String, u64), Document>,
    next_seq: u64,
    change_version: i64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn find(&self, resource: &str, pred: impl Fn(&Document) -> bool) -> Option<(&(String, u64), &Document)> {
        self.items.iter().find(|((r, _), d)| r == resource && pred(d))
    }
}

impl Store for MemoryStore {
    fn get(&self, resource: &str, id: &str) -> StoreResult<Option<Document>> {
        Ok(self.find(resource, |d| d.id == id).map(|(_, d)| d.clone()))
    }

    fn get_by_natural_key(&self, resource: &str, natural_key: &str) -> StoreResult<Option<Document>> {
        Ok(self.find(resource, |d| d.natural_key == natural_key).map(|(_, d)| d.clone()))
    }

    fn insert(&mut self, resource: &str, doc: &Document) -> StoreResult<()> {
        if self.find(resource, |d| d.id == doc.id || d.natural_key == doc.natural_key).is_some() {
            return Err(StoreError(format!("duplicate {resource} {}", doc.id)));
        }
        self.next_seq += 1;
        self.items.insert((resource.to_owned(), self.next_seq), doc.clone());
        Ok(())
    }

    fn update(&mut self, resource: &str, doc: &Document) -> StoreResult<()> {
        let key = self
            .find(resource, |d| d.id == doc.id)
            .map(|(k, _)| k.clone())
            .ok_or_else(|| StoreError(format!("update of missing {resource} {}", doc.id)))?;
        self.items.insert(key, doc.clone());
        Ok(())
    }

    fn delete(&mut self, resource: &str, id: &str) -> StoreResult<()> {
        let key = self
            .find(resource, |d| d.id == id)
            .map(|(k, _)| k.clone())
            .ok_or_else(|| StoreError(format!("delete of missing {resource} {id}")))?;
        self.items.remove(&key);
        Ok(())
    }

    fn page(&self, resource: &str, offset: u64, limit: u64) -> StoreResult<Vec<Document>> {
        Ok(self
            .items
            .iter()
            .filter(|((r, _), _)| r == resource)
            .skip(offset as usize)
            .take(limit as usize)
            .map(|(_, d)| d.clone())
            .collect())
    }

    fn count(&self, resource: &str) -> StoreResult<u64> {
        Ok(self.items.keys().filter(|(r, _)| r == resource).count() as u64)
    }

    fn next_change_version(&mut self) -> StoreResult<i64> {
        self.change_version += 1;
        Ok(self.change_version)
    }
}
