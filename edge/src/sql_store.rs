//! [`Store`] on a Durable Object's SQLite database. Every call is synchronous.
//!
//! The store reaches SQLite only through [`SqlDriver`]: in the Worker that is the object's
//! `SqlStorage`; in native tests it is `rusqlite` (`sql_store/sqlite.rs`), so the conformance
//! suite runs the very SQL text the object runs, on a real SQLite.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue};

use edfi_core::authorization::{Person, Reach, Relation};
use edfi_core::idempotency::Remembered;
use edfi_core::store::{
    kept, Change, Document, HistoryLimits, KeyChange, Link, Referrer, Scalar, Selection, Store, StoreError,
    StoreResult, Tombstone, Version, VersionStamp, AGED_VERSIONS_PER_WRITE,
};

/// A value bound to a `?` of a query.
pub trait Binding: From<i64> + From<String> + for<'a> From<&'a str> + From<Option<String>> {}

impl<T: From<i64> + From<String> + for<'a> From<&'a str> + From<Option<String>>> Binding for T {}

/// The two calls the store makes on a SQLite database.
///
/// Rows arrive as objects of column name → value, deserialized into `T`. Integers do not cross
/// the same way everywhere: from a Durable Object they come through JavaScript as doubles (so
/// only ±(2^53 − 1) is exact, which is all the engine stores), natively as `i64`.
pub trait SqlDriver {
    type Value: Binding;
    /// Runs a statement for its effect. Without bindings, `query` may hold several statements
    /// separated by `;` (the schema).
    fn execute(&self, query: &str, bindings: Vec<Self::Value>) -> StoreResult<()>;
    /// Runs one statement and returns its rows.
    fn rows<T: DeserializeOwned>(&self, query: &str, bindings: Vec<Self::Value>) -> StoreResult<Vec<T>>;
    /// Runs one statement and returns its rows up to the first for which `enough` is true (that
    /// one included); no later row is read.
    fn rows_until<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<Self::Value>,
        enough: &mut dyn FnMut(&T) -> bool,
    ) -> StoreResult<Vec<T>>;
}

/// The Worker's driver: the Durable Object's own SQLite.
impl SqlDriver for SqlStorage {
    type Value = SqlStorageValue;

    fn execute(&self, query: &str, bindings: Vec<SqlStorageValue>) -> StoreResult<()> {
        self.exec(query, bindings).map(|_| ()).map_err(err)
    }

    fn rows<T: DeserializeOwned>(&self, query: &str, bindings: Vec<SqlStorageValue>) -> StoreResult<Vec<T>> {
        self.exec(query, bindings).and_then(|cursor| cursor.to_array()).map_err(err)
    }

    fn rows_until<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
        enough: &mut dyn FnMut(&T) -> bool,
    ) -> StoreResult<Vec<T>> {
        // Row by row: each is a call into the runtime, which `rows` spares, but a page of large
        // items never crosses whole.
        let cursor = self.exec(query, bindings).map_err(err)?;
        let mut rows = Vec::new();
        for row in cursor.next::<T>() {
            let row = row.map_err(err)?;
            let done = enough(&row);
            rows.push(row);
            if done {
                break;
            }
        }
        Ok(rows)
    }
}

// rusqlite is native only: a dev-dependency, or the `native-sqlite` feature for the bench.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod plans;
#[cfg(all(any(test, feature = "native-sqlite"), not(target_arch = "wasm32")))]
pub mod sqlite;
mod terms;

#[derive(Clone)]
pub struct SqlStore<D = SqlStorage> {
    sql: D,
    /// A schema failure is kept and reported on every call rather than panicking in `new`.
    schema: Result<(), String>,
    /// The revoked clients, read once: every request checks them, and only this object writes them.
    revoked: Rc<RefCell<Option<HashSet<String>>>>,
    /// The item `insert` just made, until its links and its first version are written: a new
    /// item (its id drawn at random moments before) has no links to clear and no versions to
    /// prune, so those statements are skipped. Each is taken by its one use, and any other
    /// write of an item forgets it. Not shared between clones: the object clones its store for
    /// each request, so this never outlives one.
    fresh: Fresh,
    /// The organizations directly below each set of parents asked for: every scoped request
    /// asks, and the hierarchy seldom changes. Only this object writes relations, and each write
    /// clears it; a request that wrote relations neither reads nor fills it (its writes may yet
    /// roll back), so what it holds was read from committed state.
    hierarchy: Rc<RefCell<HashMap<Vec<i64>, Vec<i64>>>>,
}

#[derive(Default)]
struct Fresh {
    links: RefCell<Option<(String, String)>>,
    history: RefCell<Option<(String, String)>>,
    /// This request wrote relations: the hierarchy cache is not for it.
    wrote_relations: std::cell::Cell<bool>,
}

/// A clone (the store of a new request) starts with nothing to skip.
impl Clone for Fresh {
    fn clone(&self) -> Self {
        Fresh::default()
    }
}

impl Fresh {
    fn made(&self, resource: &str, id: &str) {
        let item = Some((resource.to_owned(), id.to_owned()));
        self.links.replace(item.clone());
        self.history.replace(item);
    }

    fn forget(&self) {
        self.links.take();
        self.history.take();
    }

    /// Whether `marker` names this item, forgetting it either way.
    fn take(marker: &RefCell<Option<(String, String)>>, resource: &str, id: &str) -> bool {
        marker.take().is_some_and(|(r, i)| r == resource && i == id)
    }
}

/// The most parent sets the hierarchy cache holds before it starts again.
const HIERARCHY_CACHE_ENTRIES: usize = 1_024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY,
    resource TEXT NOT NULL,
    id TEXT NOT NULL,
    natural_key TEXT NOT NULL,
    content TEXT NOT NULL,
    etag TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    change_version INTEGER NOT NULL,
    UNIQUE (resource, id),
    UNIQUE (resource, natural_key)
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters (name, value) VALUES ('change_version', 0);
-- The highest position (documents.seq) ever given. SQLite alone would give a new row the highest
-- seq still present plus one, reusing a deleted last item's, and a page token taken at that item
-- would skip the new one. An object made before this counter starts from its highest seq.
INSERT OR IGNORE INTO counters (name, value) SELECT 'document_seq', coalesce(max(seq), 0) FROM documents;
-- A new item takes the next position in its own statement: the counter moves inside SQLite, so
-- an insert is one call into the runtime, and only an insert that succeeds moves it.
CREATE TRIGGER IF NOT EXISTS documents_take_position AFTER INSERT ON documents
BEGIN
    UPDATE counters SET value = NEW.seq WHERE name = 'document_seq' AND value < NEW.seq;
END;
-- The last versions.seq the sweep of versions past the history's age bound has passed.
INSERT OR IGNORE INTO counters (name, value) VALUES ('versions_swept', 0);
CREATE INDEX IF NOT EXISTS documents_by_change ON documents (resource, change_version);
-- Collection pages read a resource in insertion order; without this, every page sorts it all.
CREATE INDEX IF NOT EXISTS documents_in_order ON documents (resource, seq);
CREATE TABLE IF NOT EXISTS links (
    resource TEXT NOT NULL,
    id TEXT NOT NULL,
    target TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (resource, id, target, key)
);
-- Referrers of one key in (resource, id) order: a delete reads the first few and stops.
DROP INDEX IF EXISTS links_by_target;
CREATE INDEX IF NOT EXISTS links_to_target ON links (target, key, resource, id);
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER PRIMARY KEY,
    resource TEXT NOT NULL,
    id TEXT NOT NULL,
    etag TEXT NOT NULL,
    content TEXT,
    last_modified INTEGER NOT NULL,
    change_version INTEGER NOT NULL,
    client TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_by_item ON versions (resource, id, seq);
CREATE TABLE IF NOT EXISTS revoked_clients (
    client TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS tombstones (
    seq INTEGER PRIMARY KEY,
    resource TEXT NOT NULL,
    id TEXT NOT NULL,
    natural_key TEXT NOT NULL,
    change_version INTEGER NOT NULL
);
-- First answers to writes that carried an Idempotency-Key, replayed to the same client's retries.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    client TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    etag TEXT,
    location TEXT,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (client, key)
);
-- Pruning deletes the oldest answers; without this it would scan them all on every keyed write.
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created);
-- Committed changes not yet in the KV read replica, written in the same transaction as the change.
CREATE TABLE IF NOT EXISTS replica_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    instance TEXT NOT NULL,
    resource TEXT NOT NULL,
    id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS replica_outbox_by_item ON replica_outbox (instance, resource, id, seq);
CREATE TABLE IF NOT EXISTS key_changes (
    seq INTEGER PRIMARY KEY,
    resource TEXT NOT NULL,
    id TEXT NOT NULL,
    old_key TEXT NOT NULL,
    new_key TEXT NOT NULL,
    change_version INTEGER NOT NULL
);
-- `/deletes` and `/keyChanges` read one resource's rows in order; without these, every read scans all.
CREATE INDEX IF NOT EXISTS tombstones_in_order ON tombstones (resource, seq);
CREATE INDEX IF NOT EXISTS key_changes_in_order ON key_changes (resource, seq);
-- Each item's filter terms (sql_store/terms.rs) by position: a field filter reads the items
-- holding its term, in order, instead of every item of the resource.
CREATE TABLE IF NOT EXISTS terms (
    term INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (term, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS terms_of_item ON terms (seq);
-- What authorization follows (edfi_core::authorization::Relation), stated by education
-- organizations (their parents) and by pathway associations (a student's school, staff's
-- employer, a contact's student); other resources write nothing here.
CREATE TABLE IF NOT EXISTS relations (
    resource TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    education_organization INTEGER,
    student TEXT
);
CREATE INDEX IF NOT EXISTS relations_by_subject ON relations (kind, subject, education_organization);
CREATE INDEX IF NOT EXISTS relations_by_organization ON relations (kind, education_organization);
CREATE INDEX IF NOT EXISTS relations_of_item ON relations (resource, id);
-- 1 once every item has its terms: an object made before the table had items without them.
INSERT OR IGNORE INTO counters (name, value) VALUES ('terms_built', 0);
";

/// How many items one step of building the terms of an older object's items reads.
const TERMS_BUILD_BATCH: u64 = 500;

/// How many of a term's items are counted to pick the filter that drives a query: enough to
/// tell a selective filter from a broad one, and a bounded look either way.
const TERM_PROBE: u64 = 1_000;

const COLUMNS: &str = "seq, id, natural_key, content, etag, last_modified, change_version";

#[derive(Deserialize)]
struct Row {
    seq: i64,
    id: String,
    natural_key: String,
    content: String,
    etag: String,
    last_modified: i64,
    change_version: i64,
    /// Whether a reach admits the item, where a query asks (`get_reached`).
    #[serde(default)]
    admitted: Option<i64>,
}

impl From<Row> for Document {
    fn from(row: Row) -> Self {
        Document {
            id: row.id,
            natural_key: row.natural_key,
            content: row.content,
            etag: row.etag,
            last_modified: row.last_modified,
            change_version: row.change_version,
        }
    }
}

#[derive(Deserialize)]
struct RevokedClient {
    client: String,
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

fn err(e: worker::Error) -> StoreError {
    StoreError(e.to_string())
}

/// An item whose committed state the replica does not have yet.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Pending {
    pub instance: String,
    pub resource: String,
    pub id: String,
    /// Its newest outbox position.
    pub seq: i64,
}

impl<D: SqlDriver> SqlStore<D> {
    /// Opens the store, creating the schema if this object is new.
    pub fn open(sql: D) -> Self {
        let schema = sql.execute(SCHEMA, vec![]).map_err(|e| e.0);
        let store =
            Self { sql, schema, revoked: Rc::default(), fresh: Fresh::default(), hierarchy: Rc::default() };
        let built = store.schema.clone().and_then(|()| store.build_terms().map_err(|e| e.0));
        Self { schema: built, ..store }
    }

    /// Gives every item made before the `terms` table its terms, once, in bounded batches; a
    /// build cut short is finished by the next start (the rows it made are kept).
    fn build_terms(&self) -> StoreResult<()> {
        let built: Count =
            self.single("SELECT value AS n FROM counters WHERE name = 'terms_built'", vec![])?;
        if built.n != 0 {
            return Ok(());
        }
        #[derive(Deserialize)]
        struct Item {
            seq: i64,
            resource: String,
            content: String,
        }
        let mut after = 0;
        loop {
            let items: Vec<Item> = self.rows(
                "SELECT seq, resource, content FROM documents WHERE seq > ? ORDER BY seq LIMIT ?",
                vec![after.into(), int(TERMS_BUILD_BATCH)],
            )?;
            let Some(last) = items.last() else { break };
            after = last.seq;
            for item in &items {
                self.add_terms(item.seq, &item.resource, &item.content)?;
            }
        }
        self.exec("UPDATE counters SET value = 1 WHERE name = 'terms_built'", vec![])
    }

    /// Indexes the terms of the new item at `seq`.
    fn add_terms(&self, seq: i64, resource: &str, content: &str) -> StoreResult<()> {
        let terms = terms::of_content(resource, content);
        if terms.is_empty() {
            return Ok(());
        }
        self.exec(
            "INSERT OR IGNORE INTO terms (term, seq) SELECT value, ? FROM json_each(?)",
            vec![seq.into(), term_list(&terms)?.into()],
        )
    }

    /// Gives the item at `seq` exactly the terms of its new content. An update usually changes a
    /// member or two, so only the terms that changed are written: the rest stay, and an insert
    /// that finds its row already there writes nothing.
    fn replace_terms(&self, seq: i64, resource: &str, content: &str) -> StoreResult<()> {
        let list = term_list(&terms::of_content(resource, content))?;
        self.exec(
            "DELETE FROM terms WHERE seq = ? AND term NOT IN (SELECT value FROM json_each(?))",
            vec![seq.into(), list.as_str().into()],
        )?;
        self.exec(
            "INSERT OR IGNORE INTO terms (term, seq) SELECT value, ? FROM json_each(?)",
            vec![seq.into(), list.into()],
        )
    }

    /// The term of the selection's filter that selects fewest items (up to [`TERM_PROBE`]), or
    /// `None` without filters. Which one drives changes only the cost: every filter is checked.
    fn driving_term(&self, resource: &str, selection: &Selection) -> StoreResult<Option<i64>> {
        let terms: Vec<i64> =
            selection.equals.iter().map(|(path, value)| terms::of_filter(resource, path, value)).collect();
        if terms.len() < 2 {
            return Ok(terms.first().copied());
        }
        let mut best: Option<(i64, i64)> = None;
        for term in terms {
            let probed: Count = self.single(
                "SELECT count(*) AS n FROM (SELECT 1 FROM terms WHERE term = ? LIMIT ?)",
                vec![term.into(), int(TERM_PROBE)],
            )?;
            if best.is_none_or(|(_, n)| probed.n < n) {
                best = Some((term, probed.n));
            }
        }
        Ok(best.map(|(term, _)| term))
    }

    /// Adds a committed request's changes to the replica's outbox: called inside the request's
    /// transaction, so the outbox holds a change if and only if it committed.
    pub fn queue_publication(&self, instance: &str, changes: &[Change]) -> StoreResult<()> {
        for change in changes {
            self.exec(
                "INSERT INTO replica_outbox (instance, resource, id) VALUES (?, ?, ?)",
                vec![instance.into(), change.resource.as_str().into(), change.id.as_str().into()],
            )?;
        }
        Ok(())
    }

    /// Up to `limit` items with changes not yet published, each once with its newest outbox
    /// position, in the order of their oldest unpublished change.
    pub fn pending_publications(&self, limit: u64) -> StoreResult<Vec<Pending>> {
        self.rows(
            "SELECT instance, resource, id, max(seq) AS seq FROM replica_outbox
             GROUP BY instance, resource, id ORDER BY min(seq) LIMIT ?",
            vec![(limit as i64).into()],
        )
    }

    /// Drops an item's outbox rows up to `pending.seq`, once KV holds the state read after them;
    /// a change committed since keeps its row and is published next.
    pub fn published(&self, pending: &Pending) -> StoreResult<()> {
        self.exec(
            "DELETE FROM replica_outbox WHERE instance = ? AND resource = ? AND id = ? AND seq <= ?",
            vec![
                pending.instance.as_str().into(),
                pending.resource.as_str().into(),
                pending.id.as_str().into(),
                pending.seq.into(),
            ],
        )
    }

    /// Remembers that a client was revoked, so its unexpired tokens are refused.
    pub fn revoke_client(&self, client: &str) -> StoreResult<()> {
        self.exec("INSERT OR IGNORE INTO revoked_clients (client) VALUES (?)", vec![client.into()])?;
        if let Some(revoked) = self.revoked.borrow_mut().as_mut() {
            revoked.insert(client.to_owned());
        }
        Ok(())
    }

    pub fn is_revoked(&self, client: &str) -> StoreResult<bool> {
        if self.revoked.borrow().is_none() {
            let rows: Vec<RevokedClient> = self.rows("SELECT client FROM revoked_clients", vec![])?;
            *self.revoked.borrow_mut() = Some(rows.into_iter().map(|row| row.client).collect());
        }
        Ok(self.revoked.borrow().as_ref().is_some_and(|revoked| revoked.contains(client)))
    }

    fn exec(&self, query: &str, bindings: Vec<D::Value>) -> StoreResult<()> {
        self.schema.clone().map_err(StoreError)?;
        self.sql.execute(query, bindings)
    }

    fn rows<T: DeserializeOwned>(&self, query: &str, bindings: Vec<D::Value>) -> StoreResult<Vec<T>> {
        self.schema.clone().map_err(StoreError)?;
        self.sql.rows(query, bindings)
    }

    /// The one row a query returns.
    fn single<T: DeserializeOwned>(&self, query: &str, bindings: Vec<D::Value>) -> StoreResult<T> {
        let mut rows = self.rows(query, bindings)?;
        match rows.len() {
            1 => Ok(rows.remove(0)),
            n => Err(StoreError(format!("expected one row, got {n}: {query}"))),
        }
    }

    fn positioned(&self, query: &str, bindings: Vec<D::Value>) -> StoreResult<Vec<(u64, Document)>> {
        let rows: Vec<Row> = self.rows(query, bindings)?;
        Ok(rows.into_iter().map(|row| (row.seq as u64, Document::from(row))).collect())
    }

    fn documents(&self, query: &str, bindings: Vec<D::Value>) -> StoreResult<Vec<Document>> {
        Ok(self.positioned(query, bindings)?.into_iter().map(|(_, doc)| doc).collect())
    }

    fn one(&self, query: &str, bindings: Vec<D::Value>) -> StoreResult<Option<Document>> {
        Ok(self.documents(query, bindings)?.into_iter().next())
    }
}

impl<D: SqlDriver> Store for SqlStore<D> {
    fn get(&self, resource: &str, id: &str) -> StoreResult<Option<Document>> {
        self.one(
            &format!("SELECT {COLUMNS} FROM documents WHERE resource = ? AND id = ?"),
            vec![resource.into(), id.into()],
        )
    }

    fn get_by_natural_key(&self, resource: &str, natural_key: &str) -> StoreResult<Option<Document>> {
        self.one(
            &format!("SELECT {COLUMNS} FROM documents WHERE resource = ? AND natural_key = ?"),
            vec![resource.into(), natural_key.into()],
        )
    }

    fn insert(&mut self, resource: &str, doc: &Document) -> StoreResult<()> {
        self.fresh.forget();
        // The trigger `documents_take_position` moves the counter, in this same statement.
        let seq: Count = self.single(
            "INSERT INTO documents (seq, resource, id, natural_key, content, etag, last_modified, change_version)
             VALUES ((SELECT value + 1 FROM counters WHERE name = 'document_seq'), ?, ?, ?, ?, ?, ?, ?)
             RETURNING seq AS n",
            vec![
                resource.into(),
                doc.id.as_str().into(),
                doc.natural_key.as_str().into(),
                doc.content.as_str().into(),
                doc.etag.as_str().into(),
                doc.last_modified.into(),
                doc.change_version.into(),
            ],
        )?;
        self.add_terms(seq.n, resource, &doc.content)?;
        self.fresh.made(resource, &doc.id);
        Ok(())
    }

    fn update(&mut self, resource: &str, doc: &Document) -> StoreResult<()> {
        self.fresh.forget();
        let updated: Vec<Count> = self.rows(
            "UPDATE documents SET natural_key = ?, content = ?, etag = ?, last_modified = ?, change_version = ?
             WHERE resource = ? AND id = ? RETURNING seq AS n",
            vec![
                doc.natural_key.as_str().into(),
                doc.content.as_str().into(),
                doc.etag.as_str().into(),
                doc.last_modified.into(),
                doc.change_version.into(),
                resource.into(),
                doc.id.as_str().into(),
            ],
        )?;
        match updated.as_slice() {
            [updated] => self.replace_terms(updated.n, resource, &doc.content),
            rows => Err(StoreError(format!("update of {resource} {} matched {} rows", doc.id, rows.len()))),
        }
    }

    fn delete(&mut self, resource: &str, id: &str) -> StoreResult<()> {
        self.fresh.forget();
        let deleted: Vec<Count> = self.rows(
            "DELETE FROM documents WHERE resource = ? AND id = ? RETURNING seq AS n",
            vec![resource.into(), id.into()],
        )?;
        let Some(deleted) = deleted.first() else {
            // As `update`: and no deletion goes to the read replica for an item that was not there.
            return Err(StoreError(format!("delete of missing {resource} {id}")));
        };
        self.exec("DELETE FROM terms WHERE seq = ?", vec![deleted.n.into()])
    }

    fn page_within(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
        max_bytes: u64,
    ) -> StoreResult<Vec<(u64, Document)>> {
        let (from, mut bindings) = self.selected(resource, selection)?;
        bindings.extend([int(limit), int(offset)]);
        let query = format!("SELECT {COLUMNS} FROM {from} ORDER BY seq LIMIT ? OFFSET ?");
        let mut total = 0u64;
        self.schema.clone().map_err(StoreError)?;
        let rows: Vec<Row> = self.sql.rows_until(&query, bindings, &mut |row: &Row| {
            total = total.saturating_add(row.content.len() as u64);
            total > max_bytes
        })?;
        Ok(rows.into_iter().map(|row| (row.seq as u64, Document::from(row))).collect())
    }

    fn count(&self, resource: &str, selection: &Selection) -> StoreResult<u64> {
        let (from, bindings) = self.selected(resource, selection)?;
        let count: Count = self.single(&format!("SELECT COUNT(*) AS n FROM {from}"), bindings)?;
        Ok(count.n as u64)
    }

    fn next_change_version(&mut self) -> StoreResult<i64> {
        let next: Count = self.single(
            "UPDATE counters SET value = value + 1 WHERE name = 'change_version' RETURNING value AS n",
            vec![],
        )?;
        Ok(next.n)
    }

    fn newest_change_version(&self) -> StoreResult<i64> {
        let newest: Count =
            self.single("SELECT value AS n FROM counters WHERE name = 'change_version'", vec![])?;
        Ok(newest.n)
    }

    fn set_links(&mut self, resource: &str, id: &str, links: &[Link]) -> StoreResult<()> {
        if !Fresh::take(&self.fresh.links, resource, id) {
            self.exec("DELETE FROM links WHERE resource = ? AND id = ?", vec![resource.into(), id.into()])?;
        }
        if links.is_empty() {
            return Ok(());
        }
        // All of them in one statement: each statement is a call into the runtime.
        let pairs: Vec<[&str; 2]> = links.iter().map(|l| [l.target.as_str(), l.key.as_str()]).collect();
        let pairs = serde_json::to_string(&pairs).map_err(|e| StoreError(e.to_string()))?;
        self.exec(
            "INSERT OR IGNORE INTO links (resource, id, target, key)
             SELECT ?, ?, value ->> 0, value ->> 1 FROM json_each(?)",
            vec![resource.into(), id.into(), pairs.into()],
        )
    }

    fn referrers(&self, target: &str, key: &str, limit: usize) -> StoreResult<Vec<Referrer>> {
        #[derive(Deserialize)]
        struct Row {
            resource: String,
            id: String,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT DISTINCT resource, id FROM links WHERE target = ? AND key = ? ORDER BY resource, id LIMIT ?",
            vec![target.into(), key.into(), int(limit as u64)],
        )?;
        Ok(rows.into_iter().map(|r| Referrer { resource: r.resource, id: r.id }).collect())
    }

    fn record_delete(&mut self, resource: &str, tombstone: &Tombstone) -> StoreResult<()> {
        self.exec(
            "INSERT INTO tombstones (resource, id, natural_key, change_version) VALUES (?, ?, ?, ?)",
            vec![
                resource.into(),
                tombstone.id.as_str().into(),
                tombstone.natural_key.as_str().into(),
                tombstone.change_version.into(),
            ],
        )
    }

    fn deletes(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<Tombstone>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            natural_key: String,
            change_version: i64,
        }
        let (range, mut bindings) = logged_range(resource, selection, "natural_key")?;
        bindings.extend([int(limit), int(offset)]);
        let rows: Vec<Row> = self.rows(
            &format!("SELECT id, natural_key, change_version FROM tombstones WHERE {range} ORDER BY seq LIMIT ? OFFSET ?"),
            bindings,
        )?;
        Ok(rows
            .into_iter()
            .map(|r| Tombstone { id: r.id, natural_key: r.natural_key, change_version: r.change_version })
            .collect())
    }

    fn record_key_change(&mut self, resource: &str, change: &KeyChange) -> StoreResult<()> {
        self.exec(
            "INSERT INTO key_changes (resource, id, old_key, new_key, change_version) VALUES (?, ?, ?, ?, ?)",
            vec![
                resource.into(),
                change.id.as_str().into(),
                change.old_key.as_str().into(),
                change.new_key.as_str().into(),
                change.change_version.into(),
            ],
        )
    }

    fn key_changes(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<KeyChange>> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            old_key: String,
            new_key: String,
            change_version: i64,
        }
        let (range, mut bindings) = logged_range(resource, selection, "new_key")?;
        bindings.extend([int(limit), int(offset)]);
        let rows: Vec<Row> = self.rows(
            &format!(
                "SELECT id, old_key, new_key, change_version FROM key_changes WHERE {range} ORDER BY seq LIMIT ? OFFSET ?"
            ),
            bindings,
        )?;
        Ok(rows
            .into_iter()
            .map(|r| KeyChange {
                id: r.id,
                old_key: r.old_key,
                new_key: r.new_key,
                change_version: r.change_version,
            })
            .collect())
    }

    fn record_version(
        &mut self,
        resource: &str,
        id: &str,
        version: &Version,
        limits: HistoryLimits,
        now: i64,
    ) -> StoreResult<()> {
        self.exec(
            "INSERT INTO versions (resource, id, etag, content, last_modified, change_version, client)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                resource.into(),
                id.into(),
                version.etag.as_str().into(),
                version.content.clone().into(),
                version.last_modified.into(),
                version.change_version.into(),
                version.client.as_str().into(),
            ],
        )?;
        // A new item's first version is its only one, and the newest is always kept.
        if Fresh::take(&self.fresh.history, resource, id) {
            if let Some(age) = limits.max_age_seconds {
                self.sweep_aged_versions(now - age)?;
            }
            return Ok(());
        }
        // Prune by the same rule the core states, deciding on times alone (no content read).
        #[derive(Deserialize)]
        struct Stamp {
            seq: i64,
            last_modified: i64,
        }
        let stamps: Vec<Stamp> = self.rows(
            "SELECT seq, last_modified FROM versions WHERE resource = ? AND id = ? ORDER BY seq",
            vec![resource.into(), id.into()],
        )?;
        let mut keep =
            kept(stamps.iter().collect(), |s: &&Stamp| s.last_modified, limits, now).into_iter().peekable();
        // What goes is usually the oldest few, but a clock that went back can leave a young
        // version behind an old one, so drop each run of consecutive dropped versions.
        let mut runs: Vec<(i64, i64)> = Vec::new();
        let mut run: Option<(i64, i64)> = None;
        for stamp in &stamps {
            if keep.next_if(|kept| kept.seq == stamp.seq).is_some() {
                runs.extend(run.take());
            } else {
                run = Some((run.map_or(stamp.seq, |(first, _)| first), stamp.seq));
            }
        }
        runs.extend(run);
        for (first, last) in runs {
            self.exec(
                "DELETE FROM versions WHERE resource = ? AND id = ? AND seq BETWEEN ? AND ?",
                vec![resource.into(), id.into(), first.into(), last.into()],
            )?;
        }
        if let Some(age) = limits.max_age_seconds {
            self.sweep_aged_versions(now - age)?;
        }
        Ok(())
    }

    fn versions(&self, resource: &str, id: &str, offset: u64, limit: u64) -> StoreResult<Vec<VersionStamp>> {
        #[derive(Deserialize)]
        struct Row {
            etag: String,
            last_modified: i64,
            change_version: i64,
            client: String,
            deleted: i64,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT etag, last_modified, change_version, client, content IS NULL AS deleted FROM versions
             WHERE resource = ? AND id = ? ORDER BY seq LIMIT ? OFFSET ?",
            vec![resource.into(), id.into(), int(limit), int(offset)],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| VersionStamp {
                etag: r.etag,
                last_modified: r.last_modified,
                change_version: r.change_version,
                client: r.client,
                deleted: r.deleted != 0,
            })
            .collect())
    }

    fn version(&self, resource: &str, id: &str, etag: &str) -> StoreResult<Option<Version>> {
        #[derive(Deserialize)]
        struct Row {
            content: String,
            last_modified: i64,
            change_version: i64,
            client: String,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT content, last_modified, change_version, client FROM versions
             WHERE resource = ? AND id = ? AND etag = ? AND content IS NOT NULL ORDER BY seq DESC LIMIT 1",
            vec![resource.into(), id.into(), etag.into()],
        )?;
        Ok(rows.into_iter().next().map(|r| Version {
            etag: etag.to_owned(),
            content: Some(r.content),
            last_modified: r.last_modified,
            change_version: r.change_version,
            client: r.client,
        }))
    }

    fn remembered(&self, client: &str, key: &str) -> StoreResult<Option<Remembered>> {
        #[derive(Deserialize)]
        struct Row {
            fingerprint: String,
            status: i64,
            etag: Option<String>,
            location: Option<String>,
            // Text, not a blob: problem bodies are UTF-8 JSON, and text crosses from JavaScript as a string.
            body: String,
            created: i64,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT fingerprint, status, etag, location, body, created FROM idempotency_keys
             WHERE client = ? AND key = ?",
            vec![client.into(), key.into()],
        )?;
        Ok(rows.into_iter().next().map(|r| Remembered {
            fingerprint: r.fingerprint,
            status: u16::try_from(r.status).unwrap_or(500),
            etag: r.etag,
            location: r.location,
            body: r.body.into_bytes(),
            created: r.created,
        }))
    }

    fn remember(&mut self, client: &str, key: &str, answer: &Remembered) -> StoreResult<()> {
        let body = String::from_utf8(answer.body.clone())
            .map_err(|_| StoreError("an answer to remember is not UTF-8".to_owned()))?;
        self.exec(
            "INSERT OR REPLACE INTO idempotency_keys (client, key, fingerprint, status, etag, location, body, created)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                client.into(),
                key.into(),
                answer.fingerprint.as_str().into(),
                i64::from(answer.status).into(),
                answer.etag.clone().into(),
                answer.location.clone().into(),
                body.into(),
                answer.created.into(),
            ],
        )
    }

    fn forget_answers_before(&mut self, cutoff: i64) -> StoreResult<()> {
        self.exec("DELETE FROM idempotency_keys WHERE created < ?", vec![cutoff.into()])
    }

    fn set_relations(&mut self, resource: &str, id: &str, relations: &[Relation]) -> StoreResult<()> {
        self.fresh.wrote_relations.set(true);
        self.hierarchy.borrow_mut().clear();
        self.exec("DELETE FROM relations WHERE resource = ? AND id = ?", vec![resource.into(), id.into()])?;
        if relations.is_empty() {
            return Ok(());
        }
        let rows: Vec<serde_json::Value> = relations.iter().map(relation_row).collect();
        let rows = serde_json::to_string(&rows).map_err(|e| StoreError(e.to_string()))?;
        self.exec(
            "INSERT INTO relations (resource, id, kind, subject, education_organization, student)
             SELECT ?, ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)",
            vec![resource.into(), id.into(), rows.into()],
        )
    }

    fn get_reached(&self, resource: &str, id: &str, reach: &Reach) -> StoreResult<Option<(Document, bool)>> {
        let (condition, mut bindings) = reach_clause::<D::Value>(reach, "natural_key")?;
        bindings.extend([resource.into(), id.into()]);
        let rows: Vec<Row> = self.rows(
            &format!(
                "SELECT {COLUMNS}, ({condition}) AS admitted FROM documents WHERE resource = ? AND id = ?"
            ),
            bindings,
        )?;
        Ok(rows.into_iter().next().map(|row| {
            let admitted = row.admitted.is_some_and(|a| a != 0);
            (Document::from(row), admitted)
        }))
    }

    fn children(&self, parents: &[i64]) -> StoreResult<Vec<i64>> {
        let cached = !self.fresh.wrote_relations.get();
        if let Some(children) = cached.then(|| self.hierarchy.borrow().get(parents).cloned()).flatten() {
            return Ok(children);
        }
        #[derive(Deserialize)]
        struct Row {
            subject: String,
        }
        // Not DISTINCT: that would sort; a child under two of the parents comes twice, and goes here.
        let rows: Vec<Row> = self.rows(
            "SELECT subject FROM relations
             WHERE kind = 'parent' AND education_organization IN (SELECT value FROM json_each(?))",
            vec![id_list(parents)?.into()],
        )?;
        let mut children: Vec<i64> = rows.into_iter().filter_map(|r| r.subject.parse().ok()).collect();
        children.sort_unstable();
        children.dedup();
        if cached {
            let mut hierarchy = self.hierarchy.borrow_mut();
            // Bounded: a district's clients ask about a handful of parent sets.
            if hierarchy.len() >= HIERARCHY_CACHE_ENTRIES {
                hierarchy.clear();
            }
            hierarchy.insert(parents.to_vec(), children.clone());
        }
        Ok(children)
    }

    fn tied(&self, person: Person, id: &str, education_organizations: &[i64]) -> StoreResult<bool> {
        let (condition, mut bindings) = tied_clause::<D::Value>(person, "?", education_organizations)?;
        bindings.insert(0, id.into());
        // The subject is bound first: `tied_clause` puts it before its own bindings.
        let found: Count = self.single(&format!("SELECT {condition} AS n"), bindings)?;
        Ok(found.n != 0)
    }
}

impl<D: SqlDriver> SqlStore<D> {
    /// [`Store::record_version`]'s sweep: the next versions in append order after the last one
    /// swept, while they are older than `cutoff`; a tombstone, or one with a later version of
    /// its item, goes. Reads at most [`AGED_VERSIONS_PER_WRITE`] rows, each by an index.
    fn sweep_aged_versions(&self, cutoff: i64) -> StoreResult<()> {
        #[derive(Deserialize)]
        struct Row {
            seq: i64,
            last_modified: i64,
            gone: i64,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT v.seq, v.last_modified, (v.content IS NULL OR EXISTS (
                 SELECT 1 FROM versions w WHERE w.resource = v.resource AND w.id = v.id AND w.seq > v.seq
             )) AS gone
             FROM versions v WHERE v.seq > (SELECT value FROM counters WHERE name = 'versions_swept')
             ORDER BY v.seq LIMIT ?",
            vec![int(AGED_VERSIONS_PER_WRITE as u64)],
        )?;
        let aged: Vec<&Row> = rows.iter().take_while(|r| r.last_modified < cutoff).collect();
        let Some(last) = aged.last() else { return Ok(()) };
        let gone: Vec<String> = aged.iter().filter(|r| r.gone != 0).map(|r| r.seq.to_string()).collect();
        if !gone.is_empty() {
            // The row numbers come from this table, so they are spliced as integers, not text.
            self.exec(&format!("DELETE FROM versions WHERE seq IN ({})", gone.join(",")), vec![])?;
        }
        self.exec("UPDATE counters SET value = ? WHERE name = 'versions_swept'", vec![last.seq.into()])
    }
}

impl<D: SqlDriver> SqlStore<D> {
    /// The rows a selection reads, as `FROM …` text (columns unqualified) and its bindings. With
    /// a field filter, only the items holding its term, in position order by the terms index;
    /// without one, the resource's items by their position index.
    fn selected(&self, resource: &str, selection: &Selection) -> StoreResult<(String, Vec<D::Value>)> {
        let (conditions, mut bindings) = where_clause(resource, selection)?;
        let Some(term) = self.driving_term(resource, selection)? else {
            return Ok((format!("documents WHERE {conditions}"), bindings));
        };
        // CROSS JOIN keeps the terms outermost, so SQLite walks the term's rows and never the
        // whole resource; the range on t.seq starts a keyset page at its place in that index.
        let after = selection.after.map_or(0, |a| a.min(i64::MAX as u64) as i64);
        let from = format!(
            "(SELECT {COLUMNS} FROM terms t CROSS JOIN documents d USING (seq)
              WHERE t.term = ? AND t.seq > ? AND {conditions})"
        );
        let mut all: Vec<D::Value> = vec![term.into(), after.into()];
        all.append(&mut bindings);
        Ok((from, all))
    }
}

/// Terms as one bound value: JSON text, which SQLite's `json_each` reads back as integers.
fn term_list(terms: &[i64]) -> StoreResult<String> {
    serde_json::to_string(terms).map_err(|e| StoreError(e.to_string()))
}

/// A bound integer; counts and offsets beyond `i64::MAX` are clamped (no table is that large).
fn int<V: Binding>(n: u64) -> V {
    (n.min(i64::MAX as u64) as i64).into()
}

/// `resource = ?` and the change-version range of a selection, with their bindings.
fn change_range<V: Binding>(resource: &str, selection: &Selection) -> (String, Vec<V>) {
    let mut conditions = vec!["resource = ?".to_owned()];
    let mut bindings: Vec<V> = vec![resource.into()];
    if let Some(min) = selection.min_change_version {
        conditions.push("change_version >= ?".to_owned());
        bindings.push(min.into());
    }
    if let Some(max) = selection.max_change_version {
        conditions.push("change_version <= ?".to_owned());
        bindings.push(max.into());
    }
    (conditions.join(" AND "), bindings)
}

/// The range of a selection over a change log (tombstones, key changes), and its reach by the
/// key in `key_column`.
fn logged_range<V: Binding>(
    resource: &str,
    selection: &Selection,
    key_column: &str,
) -> StoreResult<(String, Vec<V>)> {
    let (range, mut bindings) = change_range(resource, selection);
    let Some(reach) = &selection.reach else { return Ok((range, bindings)) };
    let (condition, mut reach_bindings) = reach_clause(reach, key_column)?;
    bindings.append(&mut reach_bindings);
    Ok((format!("{range} AND {condition}"), bindings))
}

/// The WHERE clause of a selection over `documents`. Field paths and values are bound, never
/// spliced into the SQL text.
fn where_clause<V: Binding>(resource: &str, selection: &Selection) -> StoreResult<(String, Vec<V>)> {
    let (range, mut bindings) = change_range(resource, selection);
    let mut conditions = vec![range];
    if let Some(after) = selection.after {
        conditions.push("seq > ?".to_owned());
        bindings.push(int(after));
    }
    // A value matches only its own JSON type (`Scalar`): json_extract alone would give the
    // integer 1 for `true` and the text of an object, so the type is checked first. Text
    // compares by COLLATE NOCASE, which folds ASCII case only, the rule `Scalar` states.
    for (path, value) in &selection.equals {
        let path = format!("$.{path}");
        match value {
            Scalar::Text(text) => {
                conditions.push(
                    "(json_type(content, ?) = 'text' AND json_extract(content, ?) = ? COLLATE NOCASE)"
                        .to_owned(),
                );
                bindings.extend([path.as_str().into(), path.into(), text.as_str().into()]);
            }
            Scalar::Integer(n) => {
                conditions
                    .push("(json_type(content, ?) = 'integer' AND json_extract(content, ?) = ?)".to_owned());
                bindings.extend([path.as_str().into(), path.into(), (*n).into()]);
            }
            Scalar::Boolean(b) => {
                // json_type names the two booleans 'true' and 'false'.
                conditions.push("json_type(content, ?) = ?".to_owned());
                bindings.extend([path.into(), if *b { "true" } else { "false" }.into()]);
            }
        }
    }
    if let Some(reach) = &selection.reach {
        let (condition, mut reach_bindings) = reach_clause(reach, "natural_key")?;
        conditions.push(condition);
        bindings.append(&mut reach_bindings);
    }
    Ok((conditions.join(" AND "), bindings))
}

/// A relation as the row `set_relations` inserts: kind, subject, organization, student.
fn relation_row(relation: &Relation) -> serde_json::Value {
    match relation {
        Relation::Parent { child, parent } => serde_json::json!(["parent", child.to_string(), parent, null]),
        Relation::At { person, id, education_organization } => {
            serde_json::json!([person.name(), id, education_organization, null])
        }
        Relation::ContactOf { contact, student } => serde_json::json!(["contact", contact, null, student]),
    }
}

/// Ids as one bound value, JSON text that `json_each` reads back.
fn id_list(ids: &[i64]) -> StoreResult<String> {
    serde_json::to_string(ids).map_err(|e| StoreError(e.to_string()))
}

/// Whether the person whose id is `subject` (SQL: a `?` bound by the caller, or an expression)
/// is tied to one of `education_organizations`: a student or staff member by a relation, a
/// contact through a student who is.
fn tied_clause<V: Binding>(
    person: Person,
    subject: &str,
    education_organizations: &[i64],
) -> StoreResult<(String, Vec<V>)> {
    let organizations = id_list(education_organizations)?;
    Ok(match person {
        Person::Student | Person::Staff => (
            format!(
                "EXISTS (SELECT 1 FROM relations r WHERE r.subject = {subject} AND r.kind = ?
                 AND r.education_organization IN (SELECT value FROM json_each(?)))"
            ),
            vec![person.name().into(), organizations.into()],
        ),
        Person::Contact => (
            format!(
                "EXISTS (SELECT 1 FROM relations c JOIN relations r
                 ON r.kind = 'student' AND r.subject = c.student
                 WHERE c.kind = 'contact' AND c.subject = {subject}
                 AND r.education_organization IN (SELECT value FROM json_each(?)))"
            ),
            vec![organizations.into()],
        ),
    })
}

/// The SQL of [`Reach::admits`] over the natural key in `key_column` (positions are numbers from
/// the model, spliced; every value is bound).
fn reach_clause<V: Binding>(reach: &Reach, key_column: &str) -> StoreResult<(String, Vec<V>)> {
    let mut conditions = Vec::new();
    let mut bindings: Vec<V> = Vec::new();
    let organizations = id_list(&reach.education_organizations)?;
    if !reach.education_organization_positions.is_empty() {
        let any: Vec<String> = reach
            .education_organization_positions
            .iter()
            .map(|p| format!("json_extract({key_column}, '$[{p}]') IN (SELECT value FROM json_each(?))"))
            .collect();
        bindings.extend(reach.education_organization_positions.iter().map(|_| organizations.as_str().into()));
        conditions.push(format!("({})", any.join(" OR ")));
    }
    let prefixes = serde_json::to_string(&reach.namespace_prefixes).map_err(|e| StoreError(e.to_string()))?;
    for p in &reach.namespace_positions {
        // lower() folds ASCII only, as `Reach::namespace_admitted` does.
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM json_each(?) WHERE json_type({key_column}, '$[{p}]') = 'text'
             AND lower(substr(json_extract({key_column}, '$[{p}]'), 1, length(value))) = lower(value))"
        ));
        bindings.push(prefixes.as_str().into());
    }
    for (person, p) in &reach.people {
        let (condition, mut tied) = tied_clause(
            *person,
            &format!("json_extract({key_column}, '$[{p}]')"),
            &reach.education_organizations,
        )?;
        conditions.push(condition);
        bindings.append(&mut tied);
    }
    if conditions.is_empty() {
        conditions.push("1".to_owned());
    }
    Ok((conditions.join(" AND "), bindings))
}
