//! A [`Store`] that records every item it writes, in order: the engine runs a write through it
//! and returns the list as the request's effects ([`crate::Response::committed`]).

use crate::authorization::{Person, Reach, Relation};

use super::{
    Change, Document, HistoryLimits, KeyChange, Link, Referrer, Selection, Store, StoreResult, Tombstone,
    Version, VersionStamp,
};
use crate::idempotency::Remembered;

pub struct Recording<'a, S: Store> {
    inner: &'a mut S,
    changes: Vec<Change>,
}

impl<'a, S: Store> Recording<'a, S> {
    pub fn new(inner: &'a mut S) -> Self {
        Self { inner, changes: Vec::new() }
    }

    /// What was written, oldest first; an item written twice appears twice.
    pub fn into_changes(self) -> Vec<Change> {
        self.changes
    }

    fn wrote(&mut self, resource: &str, id: &str, doc: Option<&Document>) {
        self.changes.push(Change { resource: resource.to_owned(), id: id.to_owned(), doc: doc.cloned() });
    }
}

impl<S: Store> Store for Recording<'_, S> {
    fn get(&self, resource: &str, id: &str) -> StoreResult<Option<Document>> {
        self.inner.get(resource, id)
    }

    fn get_by_natural_key(&self, resource: &str, natural_key: &str) -> StoreResult<Option<Document>> {
        self.inner.get_by_natural_key(resource, natural_key)
    }

    fn insert(&mut self, resource: &str, doc: &Document) -> StoreResult<()> {
        self.inner.insert(resource, doc)?;
        self.wrote(resource, &doc.id, Some(doc));
        Ok(())
    }

    fn update(&mut self, resource: &str, doc: &Document) -> StoreResult<()> {
        self.inner.update(resource, doc)?;
        self.wrote(resource, &doc.id, Some(doc));
        Ok(())
    }

    fn delete(&mut self, resource: &str, id: &str) -> StoreResult<()> {
        self.inner.delete(resource, id)?;
        self.wrote(resource, id, None);
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
        self.inner.page_within(resource, selection, offset, limit, max_bytes)
    }

    fn count(&self, resource: &str, selection: &Selection) -> StoreResult<u64> {
        self.inner.count(resource, selection)
    }

    fn next_change_version(&mut self) -> StoreResult<i64> {
        self.inner.next_change_version()
    }

    fn newest_change_version(&self) -> StoreResult<i64> {
        self.inner.newest_change_version()
    }

    fn set_links(&mut self, resource: &str, id: &str, links: &[Link]) -> StoreResult<()> {
        self.inner.set_links(resource, id, links)
    }

    fn referrers(&self, target: &str, key: &str, limit: usize) -> StoreResult<Vec<Referrer>> {
        self.inner.referrers(target, key, limit)
    }

    fn record_delete(&mut self, resource: &str, tombstone: &Tombstone) -> StoreResult<()> {
        self.inner.record_delete(resource, tombstone)
    }

    fn deletes(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<Tombstone>> {
        self.inner.deletes(resource, selection, offset, limit)
    }

    fn record_key_change(&mut self, resource: &str, change: &KeyChange) -> StoreResult<()> {
        self.inner.record_key_change(resource, change)
    }

    fn key_changes(
        &self,
        resource: &str,
        selection: &Selection,
        offset: u64,
        limit: u64,
    ) -> StoreResult<Vec<KeyChange>> {
        self.inner.key_changes(resource, selection, offset, limit)
    }

    fn record_version(
        &mut self,
        resource: &str,
        id: &str,
        version: &Version,
        limits: HistoryLimits,
        now: i64,
    ) -> StoreResult<()> {
        self.inner.record_version(resource, id, version, limits, now)
    }

    fn versions(&self, resource: &str, id: &str, offset: u64, limit: u64) -> StoreResult<Vec<VersionStamp>> {
        self.inner.versions(resource, id, offset, limit)
    }

    fn version(&self, resource: &str, id: &str, etag: &str) -> StoreResult<Option<Version>> {
        self.inner.version(resource, id, etag)
    }

    fn remembered(&self, client: &str, key: &str) -> StoreResult<Option<Remembered>> {
        self.inner.remembered(client, key)
    }

    fn remember(&mut self, client: &str, key: &str, answer: &Remembered) -> StoreResult<()> {
        self.inner.remember(client, key, answer)
    }

    fn forget_answers_before(&mut self, cutoff: i64) -> StoreResult<()> {
        self.inner.forget_answers_before(cutoff)
    }

    fn set_relations(&mut self, resource: &str, id: &str, relations: &[Relation]) -> StoreResult<()> {
        self.inner.set_relations(resource, id, relations)
    }

    fn children(&self, parents: &[i64]) -> StoreResult<Vec<i64>> {
        self.inner.children(parents)
    }

    fn tied(&self, person: Person, id: &str, education_organizations: &[i64]) -> StoreResult<bool> {
        self.inner.tied(person, id, education_organizations)
    }

    fn get_reached(&self, resource: &str, id: &str, reach: &Reach) -> StoreResult<Option<(Document, bool)>> {
        self.inner.get_reached(resource, id, reach)
    }
}
