//! The native [`SqlDriver`]: `rusqlite` on SQLite, for tests and the storage-growth bench (a
//! dev-dependency or the `native-sqlite` feature, never in the wasm build). It runs the SQL text the Durable Object runs and
//! hands rows over the way the object does, as column name → value objects, so the store code
//! above it is the production code.
//!
//! One difference is kept on purpose rather than hidden: integers arrive here as `i64`, while
//! from a Durable Object they come through JavaScript as doubles.

use std::rc::Rc;

use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number};

use super::SqlDriver;
#[cfg(test)]
use super::SqlStore;
use edfi_core::store::{StoreError, StoreResult};

/// A database; clones share it, as an object's storage outlives its instances.
#[derive(Clone)]
pub struct Sqlite(Rc<Connection>);

impl Sqlite {
    pub fn in_memory() -> Self {
        Self(Rc::new(Connection::open_in_memory().expect("an in-memory SQLite database")))
    }

    /// A database in a file, as a Durable Object's is.
    pub fn open(path: &std::path::Path) -> Result<Self, String> {
        Connection::open(path).map(|c| Self(Rc::new(c))).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// A bound value.
pub struct Bound(Value);

impl From<i64> for Bound {
    fn from(n: i64) -> Self {
        Self(Value::Integer(n))
    }
}

impl From<String> for Bound {
    fn from(text: String) -> Self {
        Self(Value::Text(text))
    }
}

impl From<&str> for Bound {
    fn from(text: &str) -> Self {
        Self(Value::Text(text.to_owned()))
    }
}

impl From<Option<String>> for Bound {
    fn from(text: Option<String>) -> Self {
        text.map_or(Self(Value::Null), Self::from)
    }
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl SqlDriver for Sqlite {
    type Value = Bound;

    fn execute(&self, query: &str, bindings: Vec<Bound>) -> StoreResult<()> {
        if bindings.is_empty() {
            // Like the object's `exec`, this takes several statements at once (the schema).
            return self.0.execute_batch(query).map_err(failed);
        }
        let mut statement = self.0.prepare(query).map_err(failed)?;
        let mut rows =
            statement.query(rusqlite::params_from_iter(bindings.iter().map(|b| &b.0))).map_err(failed)?;
        while rows.next().map_err(failed)?.is_some() {}
        Ok(())
    }

    fn rows<T: DeserializeOwned>(&self, query: &str, bindings: Vec<Bound>) -> StoreResult<Vec<T>> {
        self.rows_until(query, bindings, &mut |_: &T| false)
    }

    fn rows_until<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<Bound>,
        enough: &mut dyn FnMut(&T) -> bool,
    ) -> StoreResult<Vec<T>> {
        let mut statement = self.0.prepare(query).map_err(failed)?;
        let columns: Vec<String> = statement.column_names().map(str::to_owned).collect();
        let mut rows =
            statement.query(rusqlite::params_from_iter(bindings.iter().map(|b| &b.0))).map_err(failed)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let mut object = Map::new();
            for (i, column) in columns.iter().enumerate() {
                let value = match row.get_ref(i).map_err(failed)? {
                    ValueRef::Null => serde_json::Value::Null,
                    ValueRef::Integer(n) => n.into(),
                    ValueRef::Real(x) => Number::from_f64(x).map_or(serde_json::Value::Null, Into::into),
                    ValueRef::Text(text) => std::str::from_utf8(text).map_err(failed)?.into(),
                    ValueRef::Blob(bytes) => bytes.iter().map(|b| serde_json::Value::from(*b)).collect(),
                };
                object.insert(column.clone(), value);
            }
            let row: T = serde_json::from_value(object.into()).map_err(failed)?;
            let done = enough(&row);
            out.push(row);
            if done {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[test]
fn sql_store_conforms() {
    let cases = edfi_core::store::conformance::check(|| SqlStore::open(Sqlite::in_memory()));
    assert_eq!(cases, edfi_core::store::conformance::CASES.len());
}

/// An object runs the schema each time it starts: again on its own tables, and on tables made
/// before the position counter existed.
#[cfg(test)]
#[test]
fn a_restarted_object_continues_its_counters() {
    use edfi_core::store::{Document, Selection, Store};
    let doc = |n: u32| Document {
        id: format!("{n:032x}"),
        natural_key: format!("[{n}]"),
        content: "{}".to_owned(),
        etag: format!("e{n}"),
        last_modified: 1,
        change_version: 1,
    };
    let positions = |store: &SqlStore<Sqlite>| -> Vec<u64> {
        store.page("students", &Selection::default(), 0, 10).unwrap().into_iter().map(|(p, _)| p).collect()
    };
    let db = Sqlite::in_memory();
    let mut store = SqlStore::open(db.clone());
    for n in 1..=3 {
        store.insert("students", &doc(n)).unwrap();
    }
    store.next_change_version().unwrap();
    store.delete("students", &doc(3).id).unwrap();

    let mut restarted = SqlStore::open(db.clone());
    assert_eq!(restarted.newest_change_version().unwrap(), 1);
    restarted.insert("students", &doc(4)).unwrap();
    assert_eq!(positions(&restarted), vec![1, 2, 4]);

    // An object from before the counter: it starts from the highest position it holds.
    db.execute("DELETE FROM counters WHERE name = 'document_seq'", vec![]).unwrap();
    let mut old = SqlStore::open(db);
    old.insert("students", &doc(5)).unwrap();
    old.delete("students", &doc(5).id).unwrap();
    old.insert("students", &doc(6)).unwrap();
    assert_eq!(positions(&old), vec![1, 2, 4, 6]);
}

/// The replica's outbox: each item once, in the order of its oldest unpublished change, with its
/// newest position; publishing up to a position keeps what was committed after it.
#[cfg(test)]
#[test]
fn the_outbox_gives_each_item_once_and_keeps_what_came_after_publication() {
    use edfi_core::store::Change;
    let change =
        |resource: &str, id: &str| Change { resource: resource.to_owned(), id: id.to_owned(), doc: None };
    let store = SqlStore::open(Sqlite::in_memory());
    store.queue_publication("i", &[change("students", "a"), change("schools", "b")]).unwrap();
    store.queue_publication("i", &[change("students", "a")]).unwrap();
    let pending = store.pending_publications(10).unwrap();
    let items: Vec<(&str, &str, i64)> =
        pending.iter().map(|p| (p.resource.as_str(), p.id.as_str(), p.seq)).collect();
    assert_eq!(items, [("students", "a", 3), ("schools", "b", 2)]);
    assert_eq!(store.pending_publications(1).unwrap().len(), 1);

    // A change committed while "a" was being published stays for the next round.
    store.queue_publication("i", &[change("students", "a")]).unwrap();
    store.published(&pending[0]).unwrap();
    store.published(&pending[1]).unwrap();
    let left = store.pending_publications(10).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].id.as_str(), left[0].seq), ("a", 4));
    store.published(&left[0]).unwrap();
    assert!(store.pending_publications(10).unwrap().is_empty());
}

/// An object made before the terms index gets its items' terms when it next starts, and its
/// field filters find them; a build cut short is finished by the start after.
#[cfg(test)]
#[test]
fn an_older_object_builds_its_filter_terms_on_start() {
    use edfi_core::store::{Document, Scalar, Selection, Store};
    let doc = |n: u32| Document {
        id: format!("{n:032x}"),
        natural_key: format!("[{n}]"),
        content: format!(r#"{{"grade":{},"schoolReference":{{"schoolId":7}}}}"#, n % 2),
        etag: format!("e{n}"),
        last_modified: 1,
        change_version: 1,
    };
    let grade = |store: &SqlStore<Sqlite>, g: i64| -> usize {
        let selection =
            Selection { equals: vec![("grade".into(), Scalar::Integer(g))], ..Selection::default() };
        store.count("students", &selection).unwrap() as usize
    };
    let db = Sqlite::in_memory();
    let mut store = SqlStore::open(db.clone());
    for n in 1..=1201 {
        store.insert("students", &doc(n)).unwrap();
    }
    assert_eq!((grade(&store, 0), grade(&store, 1)), (600, 601));
    // As an object made before the table: its items have no terms, and nothing was built.
    let forget = "DELETE FROM terms; UPDATE counters SET value = 0 WHERE name = 'terms_built'";
    db.execute(forget, vec![]).unwrap();
    assert_eq!(grade(&store, 1), 0, "a filter reads only through the terms");
    let restarted = SqlStore::open(db.clone());
    assert_eq!((grade(&restarted, 0), grade(&restarted, 1)), (600, 601));
    // Half built (the first batch only), then started again.
    db.execute(
        "DELETE FROM terms WHERE seq > 500; UPDATE counters SET value = 0 WHERE name = 'terms_built'",
        vec![],
    )
    .unwrap();
    let restarted = SqlStore::open(db.clone());
    assert_eq!((grade(&restarted, 0), grade(&restarted, 1)), (600, 601));
    let two = Selection {
        equals: vec![
            ("grade".into(), Scalar::Integer(1)),
            ("schoolReference.schoolId".into(), Scalar::Integer(7)),
        ],
        ..Selection::default()
    };
    assert_eq!(restarted.count("students", &two).unwrap(), 601);
}

/// A new item's links and first version skip the statements an existing item needs (clearing
/// its links, pruning its history); anything written to an item after that runs them again, so
/// a second set of links replaces the first, and history is still pruned. Links go in one
/// statement, their keys stored exactly as given.
#[cfg(test)]
#[test]
fn a_new_items_shortcuts_end_with_its_first_links_and_version() {
    use edfi_core::store::{Document, HistoryLimits, Link, Store, Version};
    let doc = |n: u32, etag: &str| Document {
        id: format!("{n:032x}"),
        natural_key: format!("[{n}]"),
        content: "{}".to_owned(),
        etag: etag.to_owned(),
        last_modified: 1,
        change_version: 1,
    };
    let link = |key: &str| Link { target: "schools".into(), key: key.into() };
    let version = |etag: &str| Version {
        etag: etag.into(),
        content: Some("{}".into()),
        last_modified: 1,
        change_version: 1,
        client: "c".into(),
    };
    let limits = HistoryLimits { max_versions: 1, max_age_seconds: None };
    let mut store = SqlStore::open(Sqlite::in_memory());
    let x = doc(1, "e1");
    store.insert("students", &x).unwrap();
    store.record_version("students", &x.id, &version("e1"), limits, 1).unwrap();
    let odd = "[\"Grand \\\"Bend\\\" ü\", 255901]";
    store.set_links("students", &x.id, &[link("[1]"), link(odd), link("[1]")]).unwrap();
    let referring = |store: &SqlStore<Sqlite>, key: &str| store.referrers("schools", key, 5).unwrap().len();
    assert_eq!((referring(&store, "[1]"), referring(&store, odd)), (1, 1), "each link, its key exact");

    // Links set again (a second call, with nothing written between) replace the first ones.
    store.set_links("students", &x.id, &[link("[2]")]).unwrap();
    assert_eq!((referring(&store, "[1]"), referring(&store, "[2]")), (0, 1));

    // Another item made meanwhile does not let the first skip anything.
    store.insert("students", &doc(2, "f1")).unwrap();
    store.set_links("students", &x.id, &[]).unwrap();
    assert_eq!(referring(&store, "[2]"), 0, "cleared although another item was just made");

    // A second version of the first item is pruned to the one kept.
    store.update("students", &doc(1, "e2")).unwrap();
    store.record_version("students", &x.id, &version("e2"), limits, 2).unwrap();
    let kept = store.versions("students", &x.id, 0, 10).unwrap();
    assert_eq!(kept.iter().map(|v| v.etag.clone()).collect::<Vec<_>>(), ["e2"]);
    // And a clone (one per request in the object) starts with nothing to skip.
    let y = doc(3, "g1");
    store.insert("students", &y).unwrap();
    assert!(store.fresh.links.borrow().is_some());
    let next_request = store.clone();
    assert!(next_request.fresh.links.borrow().is_none() && next_request.fresh.history.borrow().is_none());
}

/// The hierarchy is remembered between requests, forgotten at every relation write, and never
/// filled by a request that wrote relations: such a request's writes may still roll back.
#[test]
fn the_remembered_hierarchy_is_only_ever_committed_state() {
    use edfi_core::authorization::Relation;
    use edfi_core::store::Store;
    let db = Sqlite::in_memory();
    let store = SqlStore::open(db.clone());
    assert_eq!(store.clone().children(&[1]).unwrap(), Vec::<i64>::new());
    let mut writer = store.clone();
    writer.set_relations("schools", "s", &[Relation::Parent { child: 100, parent: 1 }]).unwrap();
    assert_eq!(writer.children(&[1]).unwrap(), vec![100], "the writer sees its own write");
    // As if the writer's transaction rolled back: the next request must not see its write.
    db.execute("DELETE FROM relations", vec![]).unwrap();
    assert_eq!(store.clone().children(&[1]).unwrap(), Vec::<i64>::new());
    // A committed write: remembered by the next reader, forgotten at the next write.
    store.clone().set_relations("schools", "s", &[Relation::Parent { child: 100, parent: 1 }]).unwrap();
    assert_eq!(store.clone().children(&[1]).unwrap(), vec![100]);
    // Behind the store's back (nothing else writes an object's database): still remembered.
    db.execute("DELETE FROM relations", vec![]).unwrap();
    assert_eq!(store.clone().children(&[1]).unwrap(), vec![100], "remembered");
    store.clone().set_relations("schools", "s", &[]).unwrap();
    assert_eq!(store.clone().children(&[1]).unwrap(), Vec::<i64>::new(), "the school left the agency");
}
