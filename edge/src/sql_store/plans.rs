//! Every query a request makes is bounded by an index: each statement the store runs for the
//! engine is planned by SQLite (`EXPLAIN QUERY PLAN`) and none may scan a whole table. One
//! instance object serves its whole instance on one thread, so one unindexed query stalls it.

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::DeserializeOwned;

use super::sqlite::{Bound, Sqlite};
use super::{SqlDriver, SqlStore};
use edfi_core::authorization::{Person, Reach, Relation};
use edfi_core::idempotency::Remembered;
use edfi_core::store::{
    Change, Document, HistoryLimits, KeyChange, Link, Scalar, Selection, Store, StoreResult, Tombstone,
    Version,
};

/// The native driver, noting the text of every statement it runs.
#[derive(Clone)]
struct Noting {
    db: Sqlite,
    statements: Rc<RefCell<Vec<String>>>,
}

impl SqlDriver for Noting {
    type Value = Bound;

    fn execute(&self, query: &str, bindings: Vec<Bound>) -> StoreResult<()> {
        if !bindings.is_empty() {
            self.statements.borrow_mut().push(query.to_owned());
        }
        self.db.execute(query, bindings)
    }

    fn rows<T: DeserializeOwned>(&self, query: &str, bindings: Vec<Bound>) -> StoreResult<Vec<T>> {
        self.statements.borrow_mut().push(query.to_owned());
        self.db.rows(query, bindings)
    }

    fn rows_until<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<Bound>,
        enough: &mut dyn FnMut(&T) -> bool,
    ) -> StoreResult<Vec<T>> {
        self.statements.borrow_mut().push(query.to_owned());
        self.db.rows_until(query, bindings, enough)
    }
}

/// What SQLite plans for `query`, one line per step.
fn plan(db: &Sqlite, query: &str) -> Vec<String> {
    // The plan does not depend on the values: each parameter is bound to NULL.
    let nulls = (0..query.matches('?').count()).map(|_| Bound::from(None::<String>)).collect();
    let rows: Vec<serde_json::Value> =
        db.rows(&format!("EXPLAIN QUERY PLAN {query}"), nulls).unwrap_or_else(|e| panic!("{query}: {e:?}"));
    rows.iter().map(|r| r["detail"].as_str().unwrap_or_default().to_owned()).collect()
}

fn doc(n: u32) -> Document {
    Document {
        id: format!("{n:032x}"),
        natural_key: format!("[{n}]"),
        content: format!(r#"{{"studentUniqueId":"{n}"}}"#),
        etag: format!("e{n}"),
        last_modified: 1,
        change_version: i64::from(n),
    }
}

#[test]
fn no_query_of_a_request_scans_a_whole_table() {
    let db = Sqlite::in_memory();
    let noting = Noting { db: db.clone(), statements: Rc::default() };
    let mut store = SqlStore::open(noting.clone());
    // Every store call the engine makes, at least once.
    for n in 1..=3 {
        store.insert("students", &doc(n)).unwrap();
        store
            .set_links("students", &doc(n).id, &[Link { target: "schools".into(), key: "[1]".into() }])
            .unwrap();
        let version = Version {
            etag: format!("e{n}"),
            content: Some("{}".into()),
            last_modified: 1,
            change_version: 1,
            client: "c".into(),
        };
        store.record_version("students", &doc(n).id, &version, HistoryLimits::default(), 1).unwrap();
    }
    // With an age bound a write also sweeps aged versions.
    let aged =
        Version { etag: "e7".into(), content: None, last_modified: 5, change_version: 2, client: "c".into() };
    let minute = HistoryLimits { max_versions: 50, max_age_seconds: Some(1) };
    store.record_version("students", &doc(3).id, &aged, minute, 5).unwrap();
    store.get("students", &doc(1).id).unwrap();
    store.get_by_natural_key("students", "[1]").unwrap();
    store.update("students", &Document { etag: "e9".into(), ..doc(1) }).unwrap();
    let filtered = Selection {
        equals: vec![("studentUniqueId".into(), Scalar::Text("1".into()))],
        ..Selection::default()
    };
    let two = Selection {
        equals: vec![
            ("studentUniqueId".into(), Scalar::Text("1".into())),
            ("schoolReference.schoolId".into(), Scalar::Integer(1)),
        ],
        after: Some(1),
        min_change_version: Some(1),
        ..Selection::default()
    };
    let after = Selection { after: Some(1), ..Selection::default() };
    for selection in [Selection::default(), after, filtered, two.clone()] {
        store.page("students", &selection, 0, 10).unwrap();
        store.count("students", &selection).unwrap();
    }
    let range =
        Selection { min_change_version: Some(1), max_change_version: Some(9), ..Selection::default() };
    store
        .record_delete("students", &Tombstone { id: doc(3).id, natural_key: "[3]".into(), change_version: 4 })
        .unwrap();
    store.delete("students", &doc(3).id).unwrap();
    store.deletes("students", &range, 0, 10).unwrap();
    store
        .record_key_change(
            "students",
            &KeyChange { id: doc(2).id, old_key: "[2]".into(), new_key: "[5]".into(), change_version: 5 },
        )
        .unwrap();
    store.key_changes("students", &range, 0, 10).unwrap();
    store.referrers("schools", "[1]", 5).unwrap();
    // Authorization: relations written and followed, and a reach on every kind of read.
    let relations = [
        Relation::Parent { child: 100, parent: 1 },
        Relation::At { person: Person::Student, id: "1".into(), education_organization: 100 },
        Relation::ContactOf { contact: "c".into(), student: "1".into() },
    ];
    store.set_relations("studentSchoolAssociations", &doc(1).id, &relations).unwrap();
    store.children(&[1, 2]).unwrap();
    for person in [Person::Student, Person::Staff, Person::Contact] {
        store.tied(person, "1", &[100]).unwrap();
    }
    let reach = Reach {
        education_organization_positions: vec![0, 1],
        people: vec![(Person::Student, 0), (Person::Staff, 1), (Person::Contact, 2)],
        education_organizations: vec![1, 100],
        namespace_positions: vec![3],
        namespace_prefixes: vec!["uri://a/".into()],
    };
    let reached = Selection { reach: Some(reach), ..range.clone() };
    let reached_and_filtered = Selection { reach: reached.reach.clone(), ..two.clone() };
    let reached_alone = Selection { reach: reached.reach.clone(), ..Selection::default() };
    // Not a page of `range` alone: SQLite sorts a window of both change-version bounds, a
    // known exception this test does not yet hold (see the closing notes of issue 17).
    for selection in [&reached_alone, &reached_and_filtered] {
        store.page("students", selection, 0, 10).unwrap();
        store.count("students", selection).unwrap();
    }
    store.get_reached("students", &doc(1).id, reached.reach.as_ref().unwrap()).unwrap();
    store.deletes("students", &reached, 0, 10).unwrap();
    store.key_changes("students", &reached, 0, 10).unwrap();
    store.versions("students", &doc(1).id, 0, 100).unwrap();
    store.version("students", &doc(1).id, "etag").unwrap();
    store.next_change_version().unwrap();
    store.newest_change_version().unwrap();
    let answer = Remembered {
        fingerprint: "f".into(),
        status: 201,
        etag: None,
        location: None,
        body: vec![],
        created: 1,
    };
    store.remember("c", "k", &answer).unwrap();
    store.remembered("c", "k").unwrap();
    store.forget_answers_before(0).unwrap();
    store
        .queue_publication("i", &[Change { resource: "students".into(), id: doc(1).id, doc: None }])
        .unwrap();
    let pending = store.pending_publications(10).unwrap();
    store.published(&pending[0]).unwrap();
    store.is_revoked("c").unwrap();

    let statements = noting.statements.borrow().clone();
    assert!(statements.len() > 25, "{statements:#?}");
    let mut scans = Vec::new();
    for statement in statements.iter().filter(|s| !s.trim_start().starts_with("INSERT")) {
        for step in plan(&db, statement) {
            // Read once per object, a handful of rows; and the replica's alarm, off the request path.
            let allowed = step.starts_with("SCAN revoked_clients")
                || statement.contains("FROM replica_outbox\n")
                // `SELECT EXISTS (…)`: one row of no table.
                || step.starts_with("SCAN CONSTANT ROW");
            // A temporary B-tree sorts every row a query selects, however few it returns.
            // A scan of a subquery reads only the rows that subquery's own plan (checked too) gives.
            // So does one of `json_each`, over a single bound value (an item's own terms, a
            // client's organizations or namespace prefixes).
            let table_scan = step.starts_with("SCAN")
                && !step.starts_with("SCAN (subquery")
                && !(step.starts_with("SCAN json_each ") && step.contains("VIRTUAL TABLE"));
            let unbounded = table_scan || step.contains("TEMP B-TREE");
            if unbounded && !allowed {
                scans.push(format!(
                    "{step}  ← {}",
                    statement.split_whitespace().collect::<Vec<_>>().join(" ")
                ));
            }
        }
    }
    assert!(scans.is_empty(), "whole-table scans:\n{}", scans.join("\n"));
}
