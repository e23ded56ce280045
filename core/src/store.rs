//! The storage the engine runs over. The Worker implements it on Durable Object SQLite; tests use
//! [`MemoryStore`]. Calls are synchronous on purpose: the engine checks a precondition and writes
//! with no `.await` in between, which is what serializes conditional writes in a Durable Object.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::authorization::{Person, Reach, Relation};
use crate::idempotency::Remembered;

/// The one suite every [`Store`] passes; `MemoryStore` runs it in this crate's tests, the SQL
/// store in the Worker crate's.
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod recording;

pub use recording::Recording;

/// A stored resource item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// 32 lowercase hex digits.
    pub id: String,
    /// The natural key, as JSON text of the key values (see [`crate::validate::natural_key`]).
    pub natural_key: String,
    /// The stored text: canonical JSON of the content (no server fields), with a `link` member in
    /// each resolved reference object ([`crate::links`]). The ETag is of the content alone.
    pub content: String,
    /// The ETag's opaque value, computed once when the content was written.
    pub etag: String,
    /// Unix seconds of the last change.
    pub last_modified: i64,
    /// The instance-wide change version of the last change.
    pub change_version: i64,
}

/// A reference from a stored item to another item's natural key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    pub target: String,
    pub key: String,
}

/// An item that refers to some other item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referrer {
    pub resource: String,
    pub id: String,
}

/// A deleted item, as `/deletes` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tombstone {
    pub id: String,
    pub natural_key: String,
    pub change_version: i64,
}

/// A natural key change, as `/keyChanges` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyChange {
    pub id: String,
    pub old_key: String,
    pub new_key: String,
    pub change_version: i64,
}

/// One past version of an item, kept for its history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Version {
    /// The ETag of this version; empty for a tombstone.
    pub etag: String,
    /// The canonical content; `None` for a tombstone (the item was deleted).
    pub content: Option<String>,
    pub last_modified: i64,
    pub change_version: i64,
    /// The name of the API client whose request wrote it (a name, never a key: history is
    /// shown to other clients).
    pub client: String,
}

/// What a history lists of a version: all but its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionStamp {
    /// Empty for a tombstone.
    pub etag: String,
    pub last_modified: i64,
    pub change_version: i64,
    pub client: String,
    /// A tombstone: the item was deleted here.
    pub deleted: bool,
}

impl Version {
    pub fn stamp(&self) -> VersionStamp {
        VersionStamp {
            etag: self.etag.clone(),
            last_modified: self.last_modified,
            change_version: self.change_version,
            client: self.client.clone(),
            deleted: self.content.is_none(),
        }
    }
}

/// How many versions older than the history's age bound one write may drop beyond its own
/// item's: enough to outpace the one version a write adds, few enough to keep a write cheap.
pub const AGED_VERSIONS_PER_WRITE: usize = 16;

/// How much history each item keeps: at most `max_versions`, none older than `max_age_seconds`
/// (the newest version is always kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryLimits {
    pub max_versions: u32,
    pub max_age_seconds: Option<i64>,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        Self { max_versions: 50, max_age_seconds: None }
    }
}

/// A value a collection is filtered by. A value matches only a JSON value of its own type: the
/// text `"5"` is not the integer `5`, and neither `1` nor `"true"` is the boolean `true`.
///
/// Text compares case-insensitively, as Ed-Fi does, by **ASCII case folding**: `A`–`Z` equal
/// `a`–`z` and every other character equals only itself, so `"ÑANDú"` matches `"Ñandú"` but
/// `"ñandú"` does not, and `"STRASSE"` does not match `"straße"`. This is the rule SQLite
/// implements exactly (`COLLATE NOCASE`; its `lower()` folds ASCII only too), so every store
/// can agree on it; Unicode folding could not be matched in SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    Text(String),
    Integer(i64),
    Boolean(bool),
}

impl Scalar {
    /// Whether a JSON value from a document equals this filter value.
    pub fn matches(&self, value: &Value) -> bool {
        match (self, value) {
            (Scalar::Text(want), Value::String(have)) => crate::wire::paths::same_text(have, want),
            (Scalar::Integer(want), Value::Number(have)) => have.as_i64() == Some(*want),
            (Scalar::Boolean(want), Value::Bool(have)) => want == have,
            _ => false,
        }
    }
}

/// Which items of a collection a page holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// (dotted field path, value): all must match. A path names a top-level member or a member
    /// of a top-level object (`schoolReference.schoolId`): what Ed-Fi query parameters name, and
    /// what a store may index. A longer path, a missing one, or one that passes through a value
    /// that is not an object, matches nothing.
    pub equals: Vec<(String, Scalar)>,
    /// Inclusive.
    pub min_change_version: Option<i64>,
    /// Inclusive.
    pub max_change_version: Option<i64>,
    /// Keyset paging: only items after this position in insertion order.
    pub after: Option<u64>,
    /// Only the items a client reaches (`None`: every item). It applies to tombstones and key
    /// changes too (by the deleted key, and by the new key).
    pub reach: Option<Reach>,
}

impl Selection {
    pub fn change_version_in_range(&self, change_version: i64) -> bool {
        self.min_change_version.is_none_or(|min| change_version >= min)
            && self.max_change_version.is_none_or(|max| change_version <= max)
    }
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

/// One item's state after a committed request: its new document, or `None` when it was deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub resource: String,
    pub id: String,
    pub doc: Option<Document>,
}

/// What the engine needs of storage. Every implementation passes the one conformance suite,
/// `store::conformance` (cargo feature `conformance`), which pins each contract stated here.
///
/// Items live per resource: the same id or natural key in two resources are two items. An error
/// the contract names here (a duplicate, a missing id) leaves the store unchanged.
pub trait Store {
    fn get(&self, resource: &str, id: &str) -> StoreResult<Option<Document>>;
    fn get_by_natural_key(&self, resource: &str, natural_key: &str) -> StoreResult<Option<Document>>;
    /// Adds a new item; it goes to the end of the collection's insertion order, at a position
    /// greater than that of any item the resource has had, deleted ones included, so a keyset
    /// token never skips a later item. An id or natural key already in the resource is an error.
    fn insert(&mut self, resource: &str, doc: &Document) -> StoreResult<()>;
    /// Replaces the item with `doc.id`, keeping its place in the insertion order. A missing id
    /// is an error, and so is a natural key another item of the resource has.
    fn update(&mut self, resource: &str, doc: &Document) -> StoreResult<()>;
    /// Removes the item with `id`; its links and history are left alone. A missing id
    /// is an error (the engine deletes only an item it has just read).
    fn delete(&mut self, resource: &str, id: &str) -> StoreResult<()>;
    /// Selected items in insertion order, each with its position (for keyset paging): the
    /// `limit` items after the first `offset`.
    fn page(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<(u64, Document)>> {
        self.page_within(resource, selection, offset, limit, u64::MAX)
    }
    /// As [`Store::page`], but it ends with the first item that takes the total length of the
    /// items' `content` past `max_bytes` (that item included, so a caller sees the page is
    /// full): a page of large items stops there and reads no further rows.
    fn page_within(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
        max_bytes: u64,
    ) -> StoreResult<Vec<(u64, Document)>>;
    /// How many items `selection` selects (offset and limit aside).
    fn count(&self, resource: &str, selection: &Selection) -> StoreResult<u64>;
    /// Takes the next value of the instance's monotonic change version (the first is 1).
    fn next_change_version(&mut self) -> StoreResult<i64>;
    /// The last change version taken (0 before any change).
    fn newest_change_version(&self) -> StoreResult<i64>;
    /// Replaces the links an item makes; an empty slice removes them.
    fn set_links(&mut self, resource: &str, id: &str, links: &[Link]) -> StoreResult<()>;
    /// The first `limit` items that link to `target`'s item with `key`, each once, ordered by
    /// resource, then id.
    fn referrers(&self, target: &str, key: &str, limit: usize) -> StoreResult<Vec<Referrer>>;
    fn record_delete(&mut self, resource: &str, tombstone: &Tombstone) -> StoreResult<()>;
    /// Tombstones with a change version in the selection's range, oldest (first recorded)
    /// first, then `offset` and `limit`. Only the range and the reach (by the deleted key) of the
    /// selection apply: its `equals` and `after` are ignored.
    fn deletes(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<Tombstone>>;
    fn record_key_change(&mut self, resource: &str, change: &KeyChange) -> StoreResult<()>;
    /// Key changes with a change version in the selection's range, as [`Store::deletes`] (the
    /// reach by the new key).
    fn key_changes(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<KeyChange>>;
    /// Appends a version to an item's history, then drops what `limits` no longer keeps of it
    /// ([`kept`]). With an age bound it also sweeps other items' histories, in the order
    /// versions were appended, up to [`AGED_VERSIONS_PER_WRITE`] versions older than the bound
    /// and up to the first that is not: each goes if it is a tombstone or a later version of its
    /// item exists, so a deleted item's history, which no later write prunes, ages out too.
    fn record_version(
        &mut self,
        resource: &str,
        id: &str,
        version: &Version,
        limits: HistoryLimits,
        now: i64,
    ) -> StoreResult<()>;
    /// A page of an item's kept versions, oldest first (also after it was deleted): the `limit`
    /// after the first `offset`, without their content.
    fn versions(&self, resource: &str, id: &str, offset: u64, limit: u64) -> StoreResult<Vec<VersionStamp>>;
    /// The newest kept version of an item with ETag `etag` and content (never a tombstone).
    fn version(&self, resource: &str, id: &str, etag: &str) -> StoreResult<Option<Version>>;
    /// The first answer remembered for a client's `Idempotency-Key`, expired or not.
    fn remembered(&self, client: &str, key: &str) -> StoreResult<Option<Remembered>>;
    /// Remembers a first answer, replacing any answer under the same client and key (the
    /// engine replaces only an expired one). The body must be UTF-8 (answers are JSON or
    /// empty); another body is an error.
    fn remember(&mut self, client: &str, key: &str, answer: &Remembered) -> StoreResult<()>;
    /// Forgets every answer first given before `cutoff` (Unix seconds), so storage stays
    /// bounded: `created < cutoff` is forgotten, `created == cutoff` is kept.
    fn forget_answers_before(&mut self, cutoff: i64) -> StoreResult<()>;
    /// Replaces the relations an item states ([`Relation`]); an empty slice removes them.
    fn set_relations(&mut self, resource: &str, id: &str, relations: &[Relation]) -> StoreResult<()>;
    /// The education organizations any item states to be directly below one of `parents`,
    /// each once, in any order.
    fn children(&self, parents: &[i64]) -> StoreResult<Vec<i64>>;
    /// Whether a person is tied to one of `education_organizations`: a student or staff member
    /// by a relation to it, a contact by a relation to a student who is.
    fn tied(&self, person: Person, id: &str, education_organizations: &[i64]) -> StoreResult<bool>;
    /// The item with `id`, and whether `reach` admits it (as a selection with that reach
    /// would): what a scoped GET asks, which a store may answer in one statement.
    fn get_reached(&self, resource: &str, id: &str, reach: &Reach) -> StoreResult<Option<(Document, bool)>> {
        let Some(doc) = self.get(resource, id)? else { return Ok(None) };
        let admitted = refusal(self, reach, &[], &doc.natural_key)?.is_none();
        Ok(Some((doc, admitted)))
    }
}

/// Why `reach` does not admit the item with natural key `key` ([`Reach::refusal`]), with the
/// people's ties asked of `store`; `None` when it admits it.
pub fn refusal<S: Store + ?Sized>(
    store: &S,
    reach: &Reach,
    key_paths: &[&str],
    key: &str,
) -> StoreResult<Option<(&'static str, String)>> {
    let mut failed = None;
    let refusal = reach.refusal(key_paths, key, |person, id| {
        store.tied(person, id, &reach.education_organizations).unwrap_or_else(|e| {
            failed = Some(e);
            false
        })
    });
    match failed {
        Some(error) => Err(error),
        None => Ok(refusal),
    }
}

/// The versions `limits` keeps of a history, oldest (first appended) first: the newest always,
/// then the newest `max_versions` (at least 1) of those young enough, judged by each version's
/// `last_modified` against `now`. Times need not grow with the history: a young version after
/// an old one keeps its place and the old one goes. Generic so a store can decide on times
/// alone, without reading content.
pub fn kept<T>(
    versions: Vec<T>,
    last_modified: impl Fn(&T) -> i64,
    limits: HistoryLimits,
    now: i64,
) -> Vec<T> {
    let newest = versions.len().saturating_sub(1);
    let young = |v: &T| limits.max_age_seconds.is_none_or(|age| now - last_modified(v) <= age);
    let mut kept: Vec<T> =
        versions.into_iter().enumerate().filter(|(i, v)| *i == newest || young(v)).map(|(_, v)| v).collect();
    let excess = kept.len().saturating_sub(limits.max_versions.max(1) as usize);
    kept.drain(..excess);
    kept
}

/// An in-memory [`Store`] for tests and benchmarks.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct MemoryStore {
    /// (resource, insertion sequence) → document.
    items: BTreeMap<(String, u64), Document>,
    next_seq: u64,
    change_version: i64,
    /// (resource, id) → links it makes.
    links: BTreeMap<(String, String), Vec<Link>>,
    tombstones: Vec<(String, Tombstone)>,
    key_changes: Vec<(String, KeyChange)>,
    /// (resource, id) → versions with their append order, oldest first.
    history: BTreeMap<(String, String), Vec<(u64, Version)>>,
    next_version_seq: u64,
    /// The last append position the aged-version sweep has passed.
    swept: u64,
    /// (client, key) → the first answer.
    answers: BTreeMap<(String, String), Remembered>,
    /// (resource, id) → the relations it states.
    relations: BTreeMap<(String, String), Vec<Relation>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// [`Store::record_version`]'s sweep: versions last modified before `cutoff`, in append order.
    fn sweep_aged_versions(&mut self, cutoff: i64) {
        let mut next: Vec<(u64, (String, String), bool, i64)> = self
            .history
            .iter()
            .flat_map(|(item, versions)| {
                let newest = versions.last().map(|(seq, _)| *seq);
                versions.iter().filter(|(seq, _)| *seq > self.swept).map(move |(seq, v)| {
                    let gone = v.content.is_none() || Some(*seq) != newest;
                    (*seq, item.clone(), gone, v.last_modified)
                })
            })
            .collect();
        next.sort_by_key(|(seq, ..)| *seq);
        for (seq, item, gone, last_modified) in next.into_iter().take(AGED_VERSIONS_PER_WRITE) {
            if last_modified >= cutoff {
                break;
            }
            self.swept = seq;
            if gone {
                let versions = self.history.get_mut(&item).expect("swept from this history");
                versions.retain(|(s, _)| *s != seq);
                if versions.is_empty() {
                    self.history.remove(&item);
                }
            }
        }
    }

    /// Whether the selection's reach (if any) admits an item with this natural key.
    fn reaches(&self, selection: &Selection, key: &str) -> bool {
        selection.reach.as_ref().is_none_or(|reach| {
            reach.admits(key, |person, id| self.is_tied(person, id, &reach.education_organizations))
        })
    }

    fn is_tied(&self, person: Person, id: &str, education_organizations: &[i64]) -> bool {
        self.relations.values().flatten().any(|relation| match relation {
            Relation::At { person: p, id: i, education_organization } => {
                *p == person && i == id && education_organizations.contains(education_organization)
            }
            Relation::ContactOf { contact, student } => {
                person == Person::Contact
                    && contact == id
                    && self.is_tied(Person::Student, student, education_organizations)
            }
            Relation::Parent { .. } => false,
        })
    }

    fn find(&self, resource: &str, pred: impl Fn(&Document) -> bool) -> Option<(&(String, u64), &Document)> {
        self.items.iter().find(|((r, _), d)| r == resource && pred(d))
    }

    fn selected<'a>(
        &'a self,
        resource: &'a str,
        selection: &'a Selection,
    ) -> impl Iterator<Item = (u64, &'a Document)> + 'a {
        self.items
            .iter()
            .filter(move |((r, seq), d)| {
                r == resource
                    && selection.after.is_none_or(|after| *seq > after)
                    && selection.change_version_in_range(d.change_version)
                    && (selection.equals.is_empty() || content_matches(&d.content, &selection.equals))
                    && self.reaches(selection, &d.natural_key)
            })
            .map(|((_, seq), d)| (*seq, d))
    }
}

fn content_matches(content: &str, equals: &[(String, Scalar)]) -> bool {
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(content) else { return false };
    equals.iter().all(|(path, want)| {
        path.split('.').count() <= 2
            && crate::validate::lookup(&body, path).is_some_and(|have| want.matches(have))
    })
}

/// A resource's entries of a change log (tombstones, key changes) within the selection's
/// change-version range, oldest first.
fn logged<T: Clone>(
    log: &[(String, T)],
    resource: &str,
    selection: &Selection,
    offset: u64,
    limit: u64,
    change_version: impl Fn(&T) -> i64,
    reached: impl Fn(&T) -> bool,
) -> Vec<T> {
    let selected = log
        .iter()
        .filter(|(r, entry)| {
            r == resource && selection.change_version_in_range(change_version(entry)) && reached(entry)
        })
        .map(|(_, entry)| entry.clone());
    window(selected, offset, limit)
}

fn window<T>(items: impl Iterator<Item = T>, offset: u64, limit: u64) -> Vec<T> {
    items.skip(offset as usize).take(limit as usize).collect()
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
        if self.find(resource, |d| d.id != doc.id && d.natural_key == doc.natural_key).is_some() {
            return Err(StoreError(format!("duplicate key {} in {resource}", doc.natural_key)));
        }
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

    fn page_within(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
        max_bytes: u64,
    ) -> StoreResult<Vec<(u64, Document)>> {
        let mut total = 0u64;
        let mut full = false;
        let items = self.selected(resource, selection).skip(offset as usize).take(limit as usize);
        Ok(items
            .take_while(|(_, d)| {
                let taken = !full;
                total = total.saturating_add(d.content.len() as u64);
                full = total > max_bytes;
                taken
            })
            .map(|(seq, d)| (seq, d.clone()))
            .collect())
    }

    fn count(&self, resource: &str, selection: &Selection) -> StoreResult<u64> {
        Ok(self.selected(resource, selection).count() as u64)
    }

    fn next_change_version(&mut self) -> StoreResult<i64> {
        self.change_version += 1;
        Ok(self.change_version)
    }

    fn newest_change_version(&self) -> StoreResult<i64> {
        Ok(self.change_version)
    }

    fn set_links(&mut self, resource: &str, id: &str, links: &[Link]) -> StoreResult<()> {
        let key = (resource.to_owned(), id.to_owned());
        if links.is_empty() {
            self.links.remove(&key);
        } else {
            self.links.insert(key, links.to_vec());
        }
        Ok(())
    }

    fn referrers(&self, target: &str, key: &str, limit: usize) -> StoreResult<Vec<Referrer>> {
        Ok(self
            .links
            .iter()
            .filter(|(_, links)| links.iter().any(|l| l.target == target && l.key == key))
            .map(|((resource, id), _)| Referrer { resource: resource.clone(), id: id.clone() })
            .take(limit)
            .collect())
    }

    fn record_delete(&mut self, resource: &str, tombstone: &Tombstone) -> StoreResult<()> {
        self.tombstones.push((resource.to_owned(), tombstone.clone()));
        Ok(())
    }

    fn deletes(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<Tombstone>> {
        let reached = |t: &Tombstone| self.reaches(selection, &t.natural_key);
        Ok(logged(&self.tombstones, resource, selection, offset, limit, |t| t.change_version, reached))
    }

    fn record_key_change(&mut self, resource: &str, change: &KeyChange) -> StoreResult<()> {
        self.key_changes.push((resource.to_owned(), change.clone()));
        Ok(())
    }

    fn key_changes(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<KeyChange>> {
        let reached = |c: &KeyChange| self.reaches(selection, &c.new_key);
        Ok(logged(&self.key_changes, resource, selection, offset, limit, |c| c.change_version, reached))
    }

    fn record_version(
        &mut self,
        resource: &str,
        id: &str,
        version: &Version,
        limits: HistoryLimits,
        now: i64,
    ) -> StoreResult<()> {
        self.next_version_seq += 1;
        let history = self.history.entry((resource.to_owned(), id.to_owned())).or_default();
        history.push((self.next_version_seq, version.clone()));
        *history = kept(std::mem::take(history), |(_, v)| v.last_modified, limits, now);
        if let Some(age) = limits.max_age_seconds {
            self.sweep_aged_versions(now - age);
        }
        Ok(())
    }

    fn versions(&self, resource: &str, id: &str, offset: u64, limit: u64) -> StoreResult<Vec<VersionStamp>> {
        let history = self.history.get(&(resource.to_owned(), id.to_owned()));
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(history.into_iter().flatten().skip(offset).take(limit).map(|(_, v)| v.stamp()).collect())
    }

    fn version(&self, resource: &str, id: &str, etag: &str) -> StoreResult<Option<Version>> {
        let history = self.history.get(&(resource.to_owned(), id.to_owned()));
        let found = history.into_iter().flatten().rev().find(|(_, v)| v.etag == etag && v.content.is_some());
        Ok(found.map(|(_, v)| v.clone()))
    }

    fn remembered(&self, client: &str, key: &str) -> StoreResult<Option<Remembered>> {
        Ok(self.answers.get(&(client.to_owned(), key.to_owned())).cloned())
    }

    fn remember(&mut self, client: &str, key: &str, answer: &Remembered) -> StoreResult<()> {
        if std::str::from_utf8(&answer.body).is_err() {
            return Err(StoreError("an answer to remember is not UTF-8".to_owned()));
        }
        self.answers.insert((client.to_owned(), key.to_owned()), answer.clone());
        Ok(())
    }

    fn forget_answers_before(&mut self, cutoff: i64) -> StoreResult<()> {
        self.answers.retain(|_, answer| answer.created >= cutoff);
        Ok(())
    }

    fn set_relations(&mut self, resource: &str, id: &str, relations: &[Relation]) -> StoreResult<()> {
        let item = (resource.to_owned(), id.to_owned());
        if relations.is_empty() {
            self.relations.remove(&item);
        } else {
            self.relations.insert(item, relations.to_vec());
        }
        Ok(())
    }

    fn children(&self, parents: &[i64]) -> StoreResult<Vec<i64>> {
        let mut found: Vec<i64> = self
            .relations
            .values()
            .flatten()
            .filter_map(|relation| match relation {
                Relation::Parent { child, parent } if parents.contains(parent) => Some(*child),
                _ => None,
            })
            .collect();
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }

    fn tied(&self, person: Person, id: &str, education_organizations: &[i64]) -> StoreResult<bool> {
        Ok(self.is_tied(person, id, education_organizations))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_conforms() {
        let cases = conformance::check(MemoryStore::new);
        assert_eq!(cases, conformance::CASES.len());
    }
}
