//! The conformance suite of [`Store`]: one list of cases, each run on a fresh, empty store, that
//! every implementation passes. `MemoryStore` runs it in this crate's tests; the Worker's SQL
//! store runs it natively on SQLite, with the very SQL text it runs in a Durable Object.
//!
//! ```text
//! #[test]
//! fn conforms() {
//!     edfi_core::store::conformance::check(MyStore::new);
//! }
//! ```
//!
//! A case states a contract of the [`Store`] docs (or of [`Scalar`], [`Selection`] and
//! [`super::kept`]);
//! when a store and the suite disagree, the docs decide which is wrong. Integers stay within
//! ±(2^53 − 1): in a Durable Object they cross from JavaScript as doubles, so nothing larger is
//! exact there, and the engine never stores anything larger.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{
    Document, HistoryLimits, KeyChange, Link, Referrer, Scalar, Selection, Store, Tombstone, Version,
    VersionStamp, AGED_VERSIONS_PER_WRITE,
};
use crate::authorization::{Person, Reach, Relation};
use crate::idempotency::Remembered;

/// One contract, checked on a fresh store; it panics when the store breaks it.
pub struct Case {
    pub name: &'static str,
    pub run: fn(&mut dyn Store),
}

/// Runs every case, each on a store `fresh` makes, and panics naming every case that failed.
/// Returns how many cases ran.
pub fn check<S: Store>(mut fresh: impl FnMut() -> S) -> usize {
    let mut failed = Vec::new();
    for case in CASES {
        let mut store = fresh();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| (case.run)(&mut store))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failed.push(format!("{}: {message}", case.name));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} store conformance cases failed:\n{}",
        failed.len(),
        CASES.len(),
        failed.join("\n")
    );
    CASES.len()
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        /// Every case, in the order of the [`Store`] methods they check.
        pub const CASES: &[Case] = &[$(Case { name: stringify!($name), run: $name }),*];
    };
}

cases![
    empty_store_holds_nothing,
    insert_then_read_by_id_and_by_key,
    resources_are_separate,
    insert_of_a_taken_id_is_an_error,
    insert_of_a_taken_key_is_an_error,
    update_replaces_in_place,
    update_of_a_missing_id_is_an_error,
    update_to_another_items_key_is_an_error,
    delete_removes_the_item,
    delete_of_a_missing_id_is_an_error,
    positions_are_never_reused,
    page_is_insertion_order_with_offset_and_limit,
    keyset_after_a_position,
    a_page_ends_with_the_item_that_fills_it,
    text_filter_folds_ascii_case_only,
    text_filter_matches_only_text,
    integer_filter_matches_only_integers,
    boolean_filter_matches_only_booleans,
    nested_path_filter,
    every_filter_must_match,
    change_version_window,
    filters_windows_and_paging_combine,
    change_versions_increase,
    links_and_referrers,
    referrers_stop_at_the_limit,
    deletes_log,
    key_changes_log,
    history_round_trip,
    history_count_limit,
    history_age_limit,
    history_times_out_of_order,
    history_outlives_the_item,
    history_pages,
    a_version_by_its_etag,
    aged_versions_are_swept_across_items,
    the_sweep_stops_at_a_young_version,
    answers_round_trip_and_replace,
    forgetting_answers_is_exclusive_of_the_cutoff,
    answer_body_must_be_utf8,
    relations_replace_and_go_with_their_item,
    children_are_the_organizations_directly_below,
    people_are_tied_through_their_relations,
    reach_by_organization_admits_any_member,
    reach_by_person_follows_relations,
    reach_by_namespace_folds_ascii_case,
    reach_applies_to_pages_counts_and_change_logs,
    an_item_is_got_with_whether_its_reach_admits_it,
];

const R: &str = "students";
const OTHER: &str = "schools";
const ALL: u64 = u64::MAX;

fn id(n: u32) -> String {
    format!("{n:032x}")
}

fn number(id: &str) -> u32 {
    u32::from_str_radix(id, 16).unwrap_or(u32::MAX)
}

fn key(name: &str) -> String {
    format!("[{name:?}]")
}

/// Item `n` with natural key `[name]`, its change version `n`.
fn doc(n: u32, name: &str, content: &str) -> Document {
    Document {
        id: id(n),
        natural_key: key(name),
        content: content.to_owned(),
        etag: format!("etag-{n}-{name}"),
        last_modified: 1_700_000_000 + i64::from(n),
        change_version: i64::from(n),
    }
}

fn insert(store: &mut dyn Store, resource: &str, doc: &Document) {
    store.insert(resource, doc).unwrap_or_else(|e| panic!("insert of {} failed: {e}", doc.id));
}

/// Inserts items `n` with content `{"v": value}` for each `(n, value)`.
fn insert_values(store: &mut dyn Store, field: &str, values: &[(u32, &str)]) {
    for (n, value) in values {
        insert(store, R, &doc(*n, &format!("k{n}"), &format!("{{\"{field}\":{value}}}")));
    }
}

/// The items a selection picks, by number, checking that `count` agrees.
fn picked(store: &dyn Store, selection: &Selection) -> Vec<u32> {
    let page = store.page(R, selection, 0, ALL).unwrap();
    assert_eq!(store.count(R, selection).unwrap(), page.len() as u64, "count of {selection:?}");
    page.iter().map(|(_, d)| number(&d.id)).collect()
}

fn equal(path: &str, value: Scalar) -> Selection {
    Selection { equals: vec![(path.to_owned(), value)], ..Selection::default() }
}

fn text(path: &str, value: &str) -> Selection {
    equal(path, Scalar::Text(value.to_owned()))
}

fn window(min: Option<i64>, max: Option<i64>) -> Selection {
    Selection { min_change_version: min, max_change_version: max, ..Selection::default() }
}

fn positions(store: &dyn Store, resource: &str) -> Vec<(u64, u32)> {
    store
        .page(resource, &Selection::default(), 0, ALL)
        .unwrap()
        .iter()
        .map(|(p, d)| (*p, number(&d.id)))
        .collect()
}

fn empty_store_holds_nothing(store: &mut dyn Store) {
    assert_eq!(store.get(R, &id(1)).unwrap(), None);
    assert_eq!(store.get_by_natural_key(R, &key("k1")).unwrap(), None);
    assert_eq!(picked(store, &Selection::default()), Vec::<u32>::new());
    assert_eq!(store.newest_change_version().unwrap(), 0);
    assert_eq!(store.referrers(OTHER, &key("k1"), usize::MAX).unwrap(), vec![]);
    assert_eq!(store.deletes(R, &Selection::default(), 0, ALL).unwrap(), vec![]);
    assert_eq!(store.key_changes(R, &Selection::default(), 0, ALL).unwrap(), vec![]);
    assert_eq!(store.versions(R, &id(1), 0, ALL).unwrap(), vec![]);
    assert_eq!(store.version(R, &id(1), "etag-1").unwrap(), None);
    assert_eq!(store.remembered("client", "key").unwrap(), None);
}

fn insert_then_read_by_id_and_by_key(store: &mut dyn Store) {
    // Escapes and non-ASCII text come back byte for byte; the largest exact integers too.
    let mut one = doc(10, "Ñandú", r#"{"name":"Ñandú \"q\" \\ straße","n":9007199254740991}"#);
    one.last_modified = 9_007_199_254_740_991;
    one.change_version = 9_007_199_254_740_991;
    let two = doc(2, "k2", r#"{"name":"two"}"#);
    insert(store, R, &one);
    insert(store, R, &two);
    assert_eq!(store.get(R, &one.id).unwrap(), Some(one.clone()));
    assert_eq!(store.get_by_natural_key(R, &one.natural_key).unwrap(), Some(one.clone()));
    assert_eq!(store.get_by_natural_key(R, &two.natural_key).unwrap(), Some(two.clone()));
    // Ids and keys compare exactly, not case-insensitively.
    assert_eq!(store.get(R, &one.id.to_uppercase()).unwrap(), None);
    assert_eq!(store.get_by_natural_key(R, &key("ñandú")).unwrap(), None);
    assert_eq!(store.get_by_natural_key(R, &key("K2")).unwrap(), None);
    let page: Vec<Document> =
        store.page(R, &Selection::default(), 0, ALL).unwrap().into_iter().map(|(_, d)| d).collect();
    assert_eq!(page, vec![one, two]);
}

fn resources_are_separate(store: &mut dyn Store) {
    let student = doc(1, "k1", r#"{"v":"student"}"#);
    let school = doc(1, "k1", r#"{"v":"school"}"#);
    insert(store, R, &student);
    insert(store, OTHER, &school);
    assert_eq!(store.get(R, &id(1)).unwrap(), Some(student.clone()));
    assert_eq!(store.get(OTHER, &id(1)).unwrap(), Some(school.clone()));
    assert_eq!(store.get_by_natural_key(OTHER, &key("k1")).unwrap(), Some(school.clone()));
    assert_eq!(store.get("sections", &id(1)).unwrap(), None);
    assert_eq!(picked(store, &text("v", "student")), vec![1]);
    assert_eq!(picked(store, &text("v", "school")), Vec::<u32>::new());
    store.delete(R, &id(1)).unwrap();
    assert_eq!(store.get(R, &id(1)).unwrap(), None);
    assert_eq!(store.get(OTHER, &id(1)).unwrap(), Some(school));
    assert_eq!(store.count(OTHER, &Selection::default()).unwrap(), 1);
}

fn insert_of_a_taken_id_is_an_error(store: &mut dyn Store) {
    let one = doc(1, "k1", r#"{"v":1}"#);
    insert(store, R, &one);
    assert!(store.insert(R, &doc(1, "k2", r#"{"v":2}"#)).is_err(), "a second item with id 1 was inserted");
    assert_eq!(store.get(R, &id(1)).unwrap(), Some(one));
    assert_eq!(store.get_by_natural_key(R, &key("k2")).unwrap(), None);
    assert_eq!(picked(store, &Selection::default()), vec![1]);
}

fn insert_of_a_taken_key_is_an_error(store: &mut dyn Store) {
    let one = doc(1, "k1", r#"{"v":1}"#);
    insert(store, R, &one);
    assert!(store.insert(R, &doc(2, "k1", r#"{"v":2}"#)).is_err(), "a second item with key k1 was inserted");
    assert_eq!(store.get(R, &id(2)).unwrap(), None);
    assert_eq!(store.get_by_natural_key(R, &key("k1")).unwrap(), Some(one));
    assert_eq!(picked(store, &Selection::default()), vec![1]);
}

fn update_replaces_in_place(store: &mut dyn Store) {
    for n in 1..=3 {
        insert(store, R, &doc(n, &format!("k{n}"), r#"{"v":"old"}"#));
    }
    let before = positions(store, R);
    let changed = Document {
        id: id(2),
        natural_key: key("renamed"),
        content: r#"{"v":"new"}"#.to_owned(),
        etag: "etag-new".to_owned(),
        last_modified: 1_800_000_000,
        change_version: 40,
    };
    store.update(R, &changed).unwrap();
    assert_eq!(positions(store, R), before, "an update moved the item");
    assert_eq!(store.get(R, &id(2)).unwrap(), Some(changed.clone()));
    assert_eq!(store.get_by_natural_key(R, &key("renamed")).unwrap(), Some(changed.clone()));
    assert_eq!(store.get_by_natural_key(R, &key("k2")).unwrap(), None);
    assert_eq!(picked(store, &text("v", "new")), vec![2]);
    // Keeping its own key is no conflict.
    let again = Document { content: r#"{"v":"newer"}"#.to_owned(), ..changed };
    store.update(R, &again).unwrap();
    assert_eq!(store.get(R, &id(2)).unwrap(), Some(again));
    // The old key is free for another item.
    insert(store, R, &doc(4, "k2", r#"{"v":"old"}"#));
}

fn update_of_a_missing_id_is_an_error(store: &mut dyn Store) {
    assert!(store.update(R, &doc(9, "k9", "{}")).is_err(), "an update of a missing item succeeded");
    assert_eq!(store.get(R, &id(9)).unwrap(), None);
    // An item of another resource is not the item.
    insert(store, OTHER, &doc(1, "k1", "{}"));
    assert!(store.update(R, &doc(1, "k1", r#"{"v":1}"#)).is_err(), "an update reached another resource");
    assert_eq!(store.get(R, &id(1)).unwrap(), None);
    assert_eq!(store.get(OTHER, &id(1)).unwrap(), Some(doc(1, "k1", "{}")));
    assert_eq!(picked(store, &Selection::default()), Vec::<u32>::new());
}

fn update_to_another_items_key_is_an_error(store: &mut dyn Store) {
    let one = doc(1, "k1", r#"{"v":1}"#);
    let two = doc(2, "k2", r#"{"v":2}"#);
    insert(store, R, &one);
    insert(store, R, &two);
    let taking = Document { natural_key: key("k1"), content: r#"{"v":3}"#.to_owned(), ..two.clone() };
    assert!(store.update(R, &taking).is_err(), "item 2 took item 1's key");
    assert_eq!(store.get(R, &id(2)).unwrap(), Some(two.clone()));
    assert_eq!(store.get_by_natural_key(R, &key("k1")).unwrap(), Some(one));
    assert_eq!(store.get_by_natural_key(R, &key("k2")).unwrap(), Some(two.clone()));
    // A key another resource uses is no conflict.
    insert(store, OTHER, &doc(3, "k3", "{}"));
    store.update(R, &Document { natural_key: key("k3"), ..two }).unwrap();
}

fn delete_removes_the_item(store: &mut dyn Store) {
    insert(store, R, &doc(1, "k1", r#"{"v":"a"}"#));
    insert(store, R, &doc(2, "k2", r#"{"v":"a"}"#));
    store.delete(R, &id(1)).unwrap();
    assert_eq!(store.get(R, &id(1)).unwrap(), None);
    assert_eq!(store.get_by_natural_key(R, &key("k1")).unwrap(), None);
    assert_eq!(picked(store, &Selection::default()), vec![2]);
    assert_eq!(picked(store, &text("v", "a")), vec![2]);
    // Its id and key are free again.
    insert(store, R, &doc(3, "k1", "{}"));
    insert(store, R, &doc(1, "k4", "{}"));
    assert_eq!(picked(store, &Selection::default()), vec![2, 3, 1]);
}

fn delete_of_a_missing_id_is_an_error(store: &mut dyn Store) {
    assert!(store.delete(R, &id(9)).is_err(), "a delete of a missing item succeeded");
    insert(store, OTHER, &doc(1, "k1", "{}"));
    assert!(store.delete(R, &id(1)).is_err(), "a delete reached another resource");
    assert_eq!(store.get(OTHER, &id(1)).unwrap(), Some(doc(1, "k1", "{}")));
    store.delete(OTHER, &id(1)).unwrap();
    assert!(store.delete(OTHER, &id(1)).is_err(), "a second delete of the same item succeeded");
}

fn positions_are_never_reused(store: &mut dyn Store) {
    insert(store, R, &doc(1, "k1", "{}"));
    insert(store, R, &doc(2, "k2", "{}"));
    let [(first, _), (second, _)] = positions(store, R)[..] else { panic!("two items expected") };
    assert!(first < second, "positions {first}, {second} do not follow insertion order");
    // Deleting the last item and inserting another: the new one comes after the deleted one,
    // so a client holding a token "after item 2" still sees it.
    store.delete(R, &id(2)).unwrap();
    insert(store, R, &doc(3, "k3", "{}"));
    let third = positions(store, R)[1].0;
    assert!(third > second, "item 3 took position {third}, not after deleted item 2's {second}");
    assert_eq!(picked(store, &Selection { after: Some(second), ..Selection::default() }), vec![3]);
    // Likewise after deleting everything.
    store.delete(R, &id(1)).unwrap();
    store.delete(R, &id(3)).unwrap();
    insert(store, R, &doc(4, "k4", "{}"));
    let fourth = positions(store, R)[0].0;
    assert!(fourth > third, "item 4 took position {fourth}, not after deleted item 3's {third}");
}

fn page_is_insertion_order_with_offset_and_limit(store: &mut dyn Store) {
    // Inserted out of id order: pages follow insertion, not ids or keys.
    let order = [5, 3, 1, 4, 2];
    for n in order {
        insert(store, R, &doc(n, &format!("k{}", 9 - n), "{}"));
    }
    let all = positions(store, R);
    assert_eq!(all.iter().map(|(_, n)| *n).collect::<Vec<_>>(), order);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "positions do not increase: {all:?}");
    let page = |offset, limit| -> Vec<u32> {
        store
            .page(R, &Selection::default(), offset, limit)
            .unwrap()
            .iter()
            .map(|(_, d)| number(&d.id))
            .collect()
    };
    assert_eq!(page(1, 2), vec![3, 1]);
    assert_eq!(page(0, 1), vec![5]);
    assert_eq!(page(4, 10), vec![2]);
    assert_eq!(page(0, 0), Vec::<u32>::new());
    assert_eq!(page(5, 10), Vec::<u32>::new());
    assert_eq!(page(u64::MAX, u64::MAX), Vec::<u32>::new());
    assert_eq!(page(0, u64::MAX), order);
    assert_eq!(store.count(R, &Selection::default()).unwrap(), 5);
    // Each page item carries the position it has in the whole collection.
    let positioned = store.page(R, &Selection::default(), 2, 2).unwrap();
    assert_eq!(positioned.iter().map(|(p, d)| (*p, number(&d.id))).collect::<Vec<_>>(), all[2..4]);
}

fn keyset_after_a_position(store: &mut dyn Store) {
    for n in 1..=5 {
        insert(store, R, &doc(n, &format!("k{n}"), &format!(r#"{{"odd":{}}}"#, n % 2 == 1)));
    }
    let at: Vec<u64> = positions(store, R).iter().map(|(p, _)| *p).collect();
    let after = |position| Selection { after: Some(position), ..Selection::default() };
    assert_eq!(picked(store, &after(at[1])), vec![3, 4, 5]);
    assert_eq!(picked(store, &after(at[4])), Vec::<u32>::new());
    assert_eq!(picked(store, &after(at[0])), vec![2, 3, 4, 5]);
    let page = store.page(R, &after(at[1]), 1, 1).unwrap();
    assert_eq!(page.iter().map(|(_, d)| number(&d.id)).collect::<Vec<_>>(), vec![4]);
    let odd_after = Selection { after: Some(at[0]), ..equal("odd", Scalar::Boolean(true)) };
    assert_eq!(picked(store, &odd_after), vec![3, 5]);
    // A deleted item's position still works as a place to continue from.
    store.delete(R, &id(3)).unwrap();
    assert_eq!(picked(store, &after(at[2])), vec![4, 5]);
}

fn a_page_ends_with_the_item_that_fills_it(store: &mut dyn Store) {
    // Contents of 10, 20, 30, 40 and 50 bytes.
    for n in 1..=5u32 {
        let padding = "x".repeat(n as usize * 10 - 8);
        insert(store, R, &doc(n, &format!("k{n}"), &format!(r#"{{"p":"{padding}"}}"#)));
    }
    let within = |store: &dyn Store, offset: u64, limit: u64, max_bytes: u64| -> Vec<u32> {
        let page = store.page_within(R, &Selection::default(), offset, limit, max_bytes).unwrap();
        page.iter().map(|(_, d)| number(&d.id)).collect()
    };
    assert_eq!(within(store, 0, ALL, u64::MAX), vec![1, 2, 3, 4, 5]);
    // 10 + 20 + 30 = 60 is past 59: the third item fills the page and ends it.
    assert_eq!(within(store, 0, ALL, 59), vec![1, 2, 3]);
    assert_eq!(within(store, 0, ALL, 60), vec![1, 2, 3, 4]);
    assert_eq!(within(store, 0, 2, 59), vec![1, 2], "the limit still holds");
    assert_eq!(within(store, 1, ALL, 49), vec![2, 3], "counted from the offset");
    assert_eq!(within(store, 0, ALL, 0), vec![1], "the first item always comes");
    let filtered = text("p", &"x".repeat(32));
    assert_eq!(store.page_within(R, &filtered, 0, ALL, 0).unwrap().len(), 1);
}

fn text_filter_folds_ascii_case_only(store: &mut dyn Store) {
    let names =
        [(1, r#""Ñandú""#), (2, r#""ñandú""#), (3, r#""straße""#), (4, r#""STRASSE""#), (5, r#""Alpha""#)];
    insert_values(store, "name", &names);
    let matching = |value: &str| picked(store, &text("name", value));
    assert_eq!(matching("Ñandú"), vec![1]);
    // ASCII letters fold, Ñ and ú only equal themselves.
    assert_eq!(matching("ÑANDú"), vec![1]);
    assert_eq!(matching("ñandú"), vec![2]);
    assert_eq!(matching("ñANDÚ"), Vec::<u32>::new());
    assert_eq!(matching("ÑANDÚ"), Vec::<u32>::new());
    // No full case folding: ß is not "ss".
    assert_eq!(matching("STRASSE"), vec![4]);
    assert_eq!(matching("strasse"), vec![4]);
    assert_eq!(matching("straße"), vec![3]);
    assert_eq!(matching("STRAßE"), vec![3]);
    assert_eq!(matching("alpha"), vec![5]);
    assert_eq!(matching("aLPHA"), vec![5]);
    // Whole values only.
    assert_eq!(matching("alph"), Vec::<u32>::new());
    assert_eq!(matching("Alpha "), Vec::<u32>::new());
    assert_eq!(matching(""), Vec::<u32>::new());
}

fn text_filter_matches_only_text(store: &mut dyn Store) {
    let values = [
        (1, r#""5""#),
        (2, "5"),
        (3, "true"),
        (4, r#"{"a":"x"}"#),
        (5, r#"["5"]"#),
        (6, r#""true""#),
        (7, r#""1""#),
        (8, "1"),
        (9, r#""{\"a\":\"x\"}""#),
    ];
    insert_values(store, "v", &values);
    let matching = |value: &str| picked(store, &text("v", value));
    assert_eq!(matching("5"), vec![1]);
    assert_eq!(matching("true"), vec![6]);
    assert_eq!(matching("TRUE"), vec![6]);
    assert_eq!(matching("1"), vec![7]);
    assert_eq!(matching(r#"{"a":"x"}"#), vec![9]);
    assert_eq!(matching(r#"["5"]"#), Vec::<u32>::new());
    assert_eq!(picked(store, &text("v.a", "x")), vec![4]);
}

fn integer_filter_matches_only_integers(store: &mut dyn Store) {
    let values = [
        (1, "5"),
        (2, r#""5""#),
        (3, "5.5"),
        (4, "-5"),
        (5, "0"),
        (6, "true"),
        (7, "1"),
        (8, "9007199254740991"),
        (9, "false"),
        (10, "-9007199254740991"),
    ];
    insert_values(store, "n", &values);
    let matching = |value: i64| picked(store, &equal("n", Scalar::Integer(value)));
    assert_eq!(matching(5), vec![1]);
    assert_eq!(matching(-5), vec![4]);
    assert_eq!(matching(0), vec![5]);
    assert_eq!(matching(1), vec![7]);
    assert_eq!(matching(9_007_199_254_740_991), vec![8]);
    assert_eq!(matching(-9_007_199_254_740_991), vec![10]);
    assert_eq!(matching(9_007_199_254_740_990), Vec::<u32>::new());
    assert_eq!(matching(6), Vec::<u32>::new());
}

fn boolean_filter_matches_only_booleans(store: &mut dyn Store) {
    let values = [(1, "true"), (2, "false"), (3, "1"), (4, "0"), (5, r#""true""#), (6, r#""false""#)];
    insert_values(store, "b", &values);
    assert_eq!(picked(store, &equal("b", Scalar::Boolean(true))), vec![1]);
    assert_eq!(picked(store, &equal("b", Scalar::Boolean(false))), vec![2]);
    assert_eq!(picked(store, &equal("missing", Scalar::Boolean(false))), Vec::<u32>::new());
}

fn nested_path_filter(store: &mut dyn Store) {
    let contents = [
        r#"{"schoolReference":{"nameOfInstitution":"Alpha","schoolId":255901}}"#,
        r#"{"schoolReference":{"nameOfInstitution":"Beta","schoolId":255902}}"#,
        r#"{"schoolId":255901}"#,
        r#"{"schoolReference":[{"schoolId":255901}]}"#,
        r#"{"schoolReference":"255901"}"#,
        r#"{"a":{"b":{"c":"deep"}}}"#,
    ];
    for (n, content) in (1..).zip(contents) {
        insert(store, R, &doc(n, &format!("k{n}"), content));
    }
    let school = |path: &str, id: i64| picked(store, &equal(path, Scalar::Integer(id)));
    assert_eq!(school("schoolReference.schoolId", 255901), vec![1]);
    assert_eq!(school("schoolReference.schoolId", 255902), vec![2]);
    assert_eq!(school("schoolId", 255901), vec![3]);
    assert_eq!(school("schoolReference.schoolId.x", 255901), Vec::<u32>::new());
    assert_eq!(picked(store, &text("schoolReference.nameOfInstitution", "ALPHA")), vec![1]);
    // Three members down is further than a filter reaches.
    assert_eq!(picked(store, &text("a.b.c", "Deep")), Vec::<u32>::new());
    assert_eq!(picked(store, &text("a.b", "deep")), Vec::<u32>::new());
    assert_eq!(picked(store, &text("missing.path", "deep")), Vec::<u32>::new());
}

fn every_filter_must_match(store: &mut dyn Store) {
    let contents = [
        r#"{"name":"Ann","grade":9,"active":true}"#,
        r#"{"name":"Ann","grade":10,"active":true}"#,
        r#"{"name":"Bob","grade":9,"active":true}"#,
        r#"{"name":"ann","grade":9,"active":false}"#,
    ];
    for (n, content) in (1..).zip(contents) {
        insert(store, R, &doc(n, &format!("k{n}"), content));
    }
    let both = Selection {
        equals: vec![
            ("name".to_owned(), Scalar::Text("ANN".to_owned())),
            ("grade".to_owned(), Scalar::Integer(9)),
        ],
        ..Selection::default()
    };
    assert_eq!(picked(store, &both), vec![1, 4]);
    let mut three = both.clone();
    three.equals.push(("active".to_owned(), Scalar::Boolean(true)));
    assert_eq!(picked(store, &three), vec![1]);
    // The same path twice with different values selects nothing.
    let mut contradiction = both;
    contradiction.equals.push(("grade".to_owned(), Scalar::Integer(10)));
    assert_eq!(picked(store, &contradiction), Vec::<u32>::new());
    assert_eq!(picked(store, &Selection::default()), vec![1, 2, 3, 4]);
}

fn change_version_window(store: &mut dyn Store) {
    for n in 1..=5 {
        insert(store, R, &Document { change_version: i64::from(n) * 10, ..doc(n, &format!("k{n}"), "{}") });
    }
    assert_eq!(picked(store, &window(Some(20), None)), vec![2, 3, 4, 5]);
    assert_eq!(picked(store, &window(None, Some(30))), vec![1, 2, 3]);
    assert_eq!(picked(store, &window(Some(20), Some(30))), vec![2, 3]);
    assert_eq!(picked(store, &window(Some(30), Some(30))), vec![3]);
    assert_eq!(picked(store, &window(Some(31), Some(39))), Vec::<u32>::new());
    assert_eq!(picked(store, &window(Some(40), Some(20))), Vec::<u32>::new());
    // An update's change version counts; its position does not change.
    store.update(R, &Document { change_version: 60, ..doc(1, "k1", "{}") }).unwrap();
    assert_eq!(picked(store, &window(Some(45), None)), vec![1, 5]);
}

fn filters_windows_and_paging_combine(store: &mut dyn Store) {
    for n in 1..=8 {
        let content = format!(r#"{{"even":{},"n":{n}}}"#, n % 2 == 0);
        insert(store, R, &doc(n, &format!("k{n}"), &content));
    }
    let at: Vec<u64> = positions(store, R).iter().map(|(p, _)| *p).collect();
    let selection = Selection {
        equals: vec![("even".to_owned(), Scalar::Boolean(true))],
        min_change_version: Some(3),
        max_change_version: Some(8),
        after: Some(at[3]),
        reach: None,
    };
    assert_eq!(picked(store, &selection), vec![6, 8]);
    let page = store.page(R, &selection, 1, 5).unwrap();
    assert_eq!(page.iter().map(|(_, d)| number(&d.id)).collect::<Vec<_>>(), vec![8]);
    assert_eq!(store.count(R, &selection).unwrap(), 2);
    let no_after = Selection { after: None, ..selection };
    assert_eq!(picked(store, &no_after), vec![4, 6, 8]);
    let page = store.page(R, &no_after, 1, 1).unwrap();
    assert_eq!(page.iter().map(|(_, d)| number(&d.id)).collect::<Vec<_>>(), vec![6]);
}

fn change_versions_increase(store: &mut dyn Store) {
    assert_eq!(store.newest_change_version().unwrap(), 0);
    let first = store.next_change_version().unwrap();
    assert_eq!(first, 1);
    assert_eq!(store.newest_change_version().unwrap(), first);
    assert_eq!(store.newest_change_version().unwrap(), first, "reading the newest took one");
    let mut last = first;
    for _ in 0..5 {
        let next = store.next_change_version().unwrap();
        assert!(next > last, "change version {next} after {last}");
        assert_eq!(store.newest_change_version().unwrap(), next);
        last = next;
    }
}

fn links_and_referrers(store: &mut dyn Store) {
    let link = |target: &str, name: &str| Link { target: target.to_owned(), key: key(name) };
    let referrer = |resource: &str, n: u32| Referrer { resource: resource.to_owned(), id: id(n) };
    let referrers = |store: &dyn Store, target: &str, name: &str| {
        store.referrers(target, &key(name), usize::MAX).unwrap()
    };
    store.set_links(R, &id(10), &[link(OTHER, "k1"), link(OTHER, "k2")]).unwrap();
    store.set_links(R, &id(2), &[link(OTHER, "k1")]).unwrap();
    store.set_links("sections", &id(3), &[link(OTHER, "k1")]).unwrap();
    store.set_links(R, &id(4), &[link("courses", "k1")]).unwrap();
    // Each referrer once, by resource then id; links do not need the items to exist.
    assert_eq!(referrers(store, OTHER, "k1"), vec![referrer("sections", 3), referrer(R, 2), referrer(R, 10)]);
    assert_eq!(referrers(store, OTHER, "k2"), vec![referrer(R, 10)]);
    assert_eq!(referrers(store, "courses", "k1"), vec![referrer(R, 4)]);
    assert_eq!(referrers(store, OTHER, "k3"), vec![]);
    assert_eq!(referrers(store, OTHER, "K1"), vec![]);
    // Setting replaces.
    store.set_links(R, &id(10), &[link(OTHER, "k2")]).unwrap();
    assert_eq!(referrers(store, OTHER, "k1"), vec![referrer("sections", 3), referrer(R, 2)]);
    assert_eq!(referrers(store, OTHER, "k2"), vec![referrer(R, 10)]);
    // Nothing removes them.
    store.set_links(R, &id(2), &[]).unwrap();
    assert_eq!(referrers(store, OTHER, "k1"), vec![referrer("sections", 3)]);
    // The same link twice counts once.
    store.set_links(R, &id(5), &[link(OTHER, "k9"), link(OTHER, "k9")]).unwrap();
    assert_eq!(referrers(store, OTHER, "k9"), vec![referrer(R, 5)]);
    // The same id in another resource is another item.
    store.set_links("sections", &id(5), &[link(OTHER, "k9")]).unwrap();
    store.set_links(R, &id(5), &[]).unwrap();
    assert_eq!(referrers(store, OTHER, "k9"), vec![referrer("sections", 5)]);
}

fn referrers_stop_at_the_limit(store: &mut dyn Store) {
    let link = Link { target: OTHER.to_owned(), key: key("k1") };
    for n in [7, 3, 9, 1] {
        store.set_links(R, &id(n), std::slice::from_ref(&link)).unwrap();
    }
    store.set_links("sections", &id(2), std::slice::from_ref(&link)).unwrap();
    let named = |store: &dyn Store, limit: usize| -> Vec<(String, u32)> {
        let referrers = store.referrers(OTHER, &key("k1"), limit).unwrap();
        referrers.into_iter().map(|r| (r.resource, number(&r.id))).collect()
    };
    let r = |resource: &str, n: u32| (resource.to_owned(), n);
    // The first ones in the order the contract states, not whichever come first.
    assert_eq!(named(store, 3), vec![r("sections", 2), r(R, 1), r(R, 3)]);
    assert_eq!(named(store, 1), vec![r("sections", 2)]);
    assert_eq!(named(store, 0), vec![]);
    assert_eq!(named(store, 10).len(), 5);
}

fn deletes_log(store: &mut dyn Store) {
    let tombstone = |n: u32, change_version: i64| Tombstone {
        id: id(n),
        natural_key: key(&format!("k{n}")),
        change_version,
    };
    let logged = [tombstone(1, 2), tombstone(2, 4), tombstone(3, 6)];
    for t in &logged {
        store.record_delete(R, t).unwrap();
    }
    store.record_delete(OTHER, &tombstone(9, 5)).unwrap();
    let deletes = |store: &dyn Store, selection: &Selection, offset, limit| -> Vec<u32> {
        store.deletes(R, selection, offset, limit).unwrap().iter().map(|t| number(&t.id)).collect()
    };
    assert_eq!(store.deletes(R, &Selection::default(), 0, ALL).unwrap(), logged);
    assert_eq!(store.deletes(OTHER, &Selection::default(), 0, ALL).unwrap(), vec![tombstone(9, 5)]);
    assert_eq!(deletes(store, &window(Some(4), None), 0, ALL), vec![2, 3]);
    assert_eq!(deletes(store, &window(None, Some(4)), 0, ALL), vec![1, 2]);
    assert_eq!(deletes(store, &window(Some(3), Some(5)), 0, ALL), vec![2]);
    assert_eq!(deletes(store, &Selection::default(), 1, 1), vec![2]);
    assert_eq!(deletes(store, &window(Some(4), None), 1, ALL), vec![3]);
    assert_eq!(deletes(store, &Selection::default(), 0, 0), Vec::<u32>::new());
    assert_eq!(deletes(store, &Selection::default(), 3, ALL), Vec::<u32>::new());
    // Only the range applies.
    let ignored = Selection { after: Some(u64::MAX), ..text("v", "nothing") };
    assert_eq!(deletes(store, &ignored, 0, ALL), vec![1, 2, 3]);
    // An item deleted again (after being created again) is logged again.
    store.record_delete(R, &tombstone(1, 8)).unwrap();
    assert_eq!(deletes(store, &Selection::default(), 0, ALL), vec![1, 2, 3, 1]);
}

fn key_changes_log(store: &mut dyn Store) {
    let change = |n: u32, old: &str, new: &str, change_version: i64| KeyChange {
        id: id(n),
        old_key: key(old),
        new_key: key(new),
        change_version,
    };
    let logged = [change(1, "a", "b", 2), change(2, "c", "d", 4), change(1, "b", "e", 6)];
    for c in &logged {
        store.record_key_change(R, c).unwrap();
    }
    store.record_key_change(OTHER, &change(9, "x", "y", 5)).unwrap();
    let changes = |store: &dyn Store, selection: &Selection, offset, limit| -> Vec<i64> {
        store.key_changes(R, selection, offset, limit).unwrap().iter().map(|c| c.change_version).collect()
    };
    assert_eq!(store.key_changes(R, &Selection::default(), 0, ALL).unwrap(), logged);
    assert_eq!(
        store.key_changes(OTHER, &Selection::default(), 0, ALL).unwrap(),
        vec![change(9, "x", "y", 5)]
    );
    assert_eq!(changes(store, &window(Some(4), None), 0, ALL), vec![4, 6]);
    assert_eq!(changes(store, &window(None, Some(4)), 0, ALL), vec![2, 4]);
    assert_eq!(changes(store, &window(Some(3), Some(5)), 0, ALL), vec![4]);
    assert_eq!(changes(store, &Selection::default(), 1, 1), vec![4]);
    assert_eq!(changes(store, &Selection::default(), 0, 0), Vec::<i64>::new());
    assert_eq!(changes(store, &Selection::default(), 3, ALL), Vec::<i64>::new());
    let ignored = Selection { after: Some(u64::MAX), ..text("v", "nothing") };
    assert_eq!(changes(store, &ignored, 0, ALL), vec![2, 4, 6]);
}

fn version(n: i64, last_modified: i64) -> Version {
    Version {
        etag: format!("etag-{n}"),
        content: Some(format!(r#"{{"n":{n},"name":"Ñandú"}}"#)),
        last_modified,
        change_version: n,
        client: format!("client-{n}"),
    }
}

fn record(store: &mut dyn Store, n: u32, version: &Version, limits: HistoryLimits, now: i64) {
    store.record_version(R, &id(n), version, limits, now).unwrap();
}

fn history(store: &dyn Store, n: u32) -> Vec<i64> {
    store.versions(R, &id(n), 0, ALL).unwrap().iter().map(|v| v.change_version).collect()
}

fn stamps(versions: &[&Version]) -> Vec<VersionStamp> {
    versions.iter().map(|v| v.stamp()).collect()
}

fn history_round_trip(store: &mut dyn Store) {
    let written = version(1, 1_700_000_000);
    let deleted = Version { etag: String::new(), content: None, ..version(2, 1_700_000_100) };
    record(store, 1, &written, HistoryLimits::default(), 1_700_000_000);
    record(store, 1, &deleted, HistoryLimits::default(), 1_700_000_100);
    assert_eq!(store.versions(R, &id(1), 0, ALL).unwrap(), stamps(&[&written, &deleted]));
    assert!(store.versions(R, &id(1), 0, ALL).unwrap()[1].deleted);
    assert_eq!(store.version(R, &id(1), "etag-1").unwrap(), Some(written.clone()));
    assert_eq!(store.versions(R, &id(2), 0, ALL).unwrap(), vec![]);
    assert_eq!(store.versions(OTHER, &id(1), 0, ALL).unwrap(), vec![]);
    store.record_version(OTHER, &id(1), &written, HistoryLimits::default(), 1_700_000_000).unwrap();
    assert_eq!(store.versions(OTHER, &id(1), 0, ALL).unwrap(), stamps(&[&written]));
    assert_eq!(history(store, 1), vec![1, 2]);
}

fn history_count_limit(store: &mut dyn Store) {
    let three = HistoryLimits { max_versions: 3, max_age_seconds: None };
    for n in 1..=5 {
        record(store, 1, &version(n, 1000 + n), three, 1000 + n);
    }
    assert_eq!(history(store, 1), vec![3, 4, 5]);
    // Zero keeps the newest all the same.
    record(store, 1, &version(6, 1006), HistoryLimits { max_versions: 0, max_age_seconds: None }, 1006);
    assert_eq!(history(store, 1), vec![6]);
    // A lower bound drops several at once; other items keep theirs.
    let many = HistoryLimits { max_versions: 50, max_age_seconds: None };
    for n in 7..=10 {
        record(store, 1, &version(n, 1000 + n), many, 1000 + n);
        record(store, 2, &version(n, 1000 + n), many, 1000 + n);
    }
    record(store, 1, &version(11, 1011), HistoryLimits { max_versions: 2, max_age_seconds: None }, 1011);
    assert_eq!(history(store, 1), vec![10, 11]);
    assert_eq!(history(store, 2), vec![7, 8, 9, 10]);
}

fn history_age_limit(store: &mut dyn Store) {
    let day = HistoryLimits { max_versions: 50, max_age_seconds: Some(100) };
    record(store, 1, &version(1, 800), day, 800);
    record(store, 1, &version(2, 900), day, 900);
    // Exactly the age is still kept.
    assert_eq!(history(store, 1), vec![1, 2]);
    record(store, 1, &version(3, 1000), day, 1000);
    assert_eq!(history(store, 1), vec![2, 3]);
    record(store, 1, &version(4, 1200), day, 1200);
    assert_eq!(history(store, 1), vec![4]);
    // The newest is kept however old it is.
    record(store, 1, &version(5, 100), day, 5000);
    assert_eq!(history(store, 1), vec![5]);
    // Count and age together: the age first, then the count.
    let both = HistoryLimits { max_versions: 2, max_age_seconds: Some(100) };
    for (n, at) in [(6, 5000), (7, 5050), (8, 5060)] {
        record(store, 1, &version(n, at), both, at);
    }
    assert_eq!(history(store, 1), vec![7, 8]);
    record(store, 1, &version(9, 5155), both, 5155);
    assert_eq!(history(store, 1), vec![8, 9]);
}

fn history_times_out_of_order(store: &mut dyn Store) {
    // A clock that went back: an old version after a young one goes, the young one stays.
    let age = HistoryLimits { max_versions: 50, max_age_seconds: Some(100) };
    record(store, 1, &version(1, 1000), age, 1000);
    record(store, 1, &version(2, 500), age, 1000);
    assert_eq!(history(store, 1), vec![1, 2]);
    record(store, 1, &version(3, 1050), age, 1050);
    assert_eq!(history(store, 1), vec![1, 3]);
    record(store, 1, &version(4, 1060), HistoryLimits { max_versions: 2, max_age_seconds: Some(100) }, 1060);
    assert_eq!(history(store, 1), vec![3, 4]);
}

fn history_outlives_the_item(store: &mut dyn Store) {
    insert(store, R, &doc(1, "k1", "{}"));
    record(store, 1, &version(1, 1000), HistoryLimits::default(), 1000);
    store.delete(R, &id(1)).unwrap();
    let tombstone = Version { etag: String::new(), content: None, ..version(2, 1001) };
    record(store, 1, &tombstone, HistoryLimits::default(), 1001);
    assert_eq!(store.versions(R, &id(1), 0, ALL).unwrap(), stamps(&[&version(1, 1000), &tombstone]));
    assert_eq!(store.version(R, &id(1), "etag-1").unwrap(), Some(version(1, 1000)));
}

fn history_pages(store: &mut dyn Store) {
    for n in 1..=5 {
        record(store, 1, &version(n, 1000 + n), HistoryLimits::default(), 1000 + n);
    }
    let page = |store: &dyn Store, offset: u64, limit: u64| -> Vec<i64> {
        store.versions(R, &id(1), offset, limit).unwrap().iter().map(|v| v.change_version).collect()
    };
    assert_eq!(page(store, 0, 2), vec![1, 2]);
    assert_eq!(page(store, 2, 2), vec![3, 4]);
    assert_eq!(page(store, 4, 2), vec![5]);
    assert_eq!(page(store, 5, 2), Vec::<i64>::new());
    assert_eq!(page(store, 1, 0), Vec::<i64>::new());
    assert_eq!(page(store, ALL, ALL), Vec::<i64>::new());
}

fn a_version_by_its_etag(store: &mut dyn Store) {
    // The same content again (written back) has the same ETag: the newest of them is the one.
    let first = version(1, 1000);
    let back = Version { etag: first.etag.clone(), ..version(3, 1002) };
    record(store, 1, &first, HistoryLimits::default(), 1000);
    record(store, 1, &version(2, 1001), HistoryLimits::default(), 1001);
    record(store, 1, &back, HistoryLimits::default(), 1002);
    assert_eq!(store.version(R, &id(1), "etag-1").unwrap(), Some(back));
    // A tombstone's empty ETag names no version.
    let tombstone = Version { etag: String::new(), content: None, ..version(4, 1003) };
    record(store, 1, &tombstone, HistoryLimits::default(), 1003);
    assert_eq!(store.version(R, &id(1), "").unwrap(), None);
    assert_eq!(store.version(R, &id(1), "etag-9").unwrap(), None);
    assert_eq!(store.version(OTHER, &id(1), "etag-1").unwrap(), None);
}

fn aged_versions_are_swept_across_items(store: &mut dyn Store) {
    let none = HistoryLimits { max_versions: 50, max_age_seconds: None };
    let minute = HistoryLimits { max_versions: 50, max_age_seconds: Some(60) };
    // Item 1 is deleted (its newest is a tombstone); item 2 lives on, unchanged since.
    record(store, 1, &version(1, 1000), none, 1000);
    record(store, 1, &version(2, 1001), none, 1001);
    record(store, 1, &Version { etag: String::new(), content: None, ..version(3, 1002) }, none, 1002);
    record(store, 2, &version(4, 1003), none, 1003);
    record(store, 2, &version(5, 1004), none, 1004);
    // Without an age bound nothing else goes.
    record(store, 3, &version(6, 5000), none, 5000);
    assert_eq!((history(store, 1), history(store, 2)), (vec![1, 2, 3], vec![4, 5]));
    // Past the bound, a write to item 3 sweeps item 1 whole and item 2 down to its newest.
    record(store, 3, &version(7, 5001), minute, 5001);
    assert_eq!(history(store, 1), Vec::<i64>::new());
    assert_eq!(history(store, 2), vec![5]);
    assert_eq!(history(store, 3), vec![6, 7]);
    // At most a bounded number per write: the rest go with later writes.
    let many = AGED_VERSIONS_PER_WRITE as u32 + 4;
    for n in 0..many {
        record(store, 10 + n, &version(100 + i64::from(n), 6000), none, 6000);
        let tombstone = Version { etag: String::new(), content: None, ..version(100 + i64::from(n), 6000) };
        record(store, 10 + n, &tombstone, none, 6000);
    }
    record(store, 3, &version(8, 7000), minute, 7000);
    let left = (10..10 + many).filter(|n| !history(store, *n).is_empty()).count();
    assert_eq!(left, many as usize - AGED_VERSIONS_PER_WRITE / 2, "16 versions are 8 deleted items");
    record(store, 3, &version(9, 7001), minute, 7001);
    record(store, 3, &version(10, 7002), minute, 7002);
    assert!((10..10 + many).all(|n| history(store, n).is_empty()));
}

fn the_sweep_stops_at_a_young_version(store: &mut dyn Store) {
    let none = HistoryLimits { max_versions: 50, max_age_seconds: None };
    let minute = HistoryLimits { max_versions: 50, max_age_seconds: Some(60) };
    record(store, 1, &version(1, 1000), none, 1000);
    record(store, 1, &version(2, 1001), none, 1001);
    // Appended after item 1's but young (a clock that went back would do this to item 3's).
    record(store, 2, &version(3, 1990), none, 1990);
    record(store, 2, &version(4, 1995), none, 1995);
    record(store, 3, &version(5, 1000), none, 1000);
    record(store, 3, &version(6, 1001), none, 1001);
    record(store, 4, &version(7, 2000), minute, 2000);
    assert_eq!(history(store, 1), vec![2], "aged and superseded");
    assert_eq!(history(store, 2), vec![3, 4], "young");
    assert_eq!(history(store, 3), vec![5, 6], "behind a young version: left for later");
}

fn answer(fingerprint: &str, status: u16, created: i64) -> Remembered {
    Remembered {
        fingerprint: fingerprint.to_owned(),
        status,
        etag: Some(format!("\"etag-{fingerprint}\"")),
        location: Some(format!("https://example.org/data/v3/ed-fi/students/{fingerprint}")),
        body: Vec::new(),
        created,
    }
}

fn answers_round_trip_and_replace(store: &mut dyn Store) {
    let created = answer("f1", 201, 100);
    let problem = Remembered {
        etag: None,
        location: None,
        body: r#"{"detail":"Ñandú — conflict","status":409}"#.as_bytes().to_vec(),
        ..answer("f2", 409, 150)
    };
    store.remember("c1", "k1", &created).unwrap();
    store.remember("c1", "k2", &problem).unwrap();
    store.remember("c2", "k1", &problem).unwrap();
    assert_eq!(store.remembered("c1", "k1").unwrap(), Some(created));
    assert_eq!(store.remembered("c1", "k2").unwrap(), Some(problem.clone()));
    assert_eq!(store.remembered("c2", "k1").unwrap(), Some(problem));
    assert_eq!(store.remembered("c2", "k2").unwrap(), None);
    assert_eq!(store.remembered("C1", "k1").unwrap(), None);
    assert_eq!(store.remembered("c1", "K1").unwrap(), None);
    let replacement = answer("f3", 204, 900);
    store.remember("c1", "k1", &replacement).unwrap();
    assert_eq!(store.remembered("c1", "k1").unwrap(), Some(replacement));
}

fn forgetting_answers_is_exclusive_of_the_cutoff(store: &mut dyn Store) {
    store.remember("c1", "k1", &answer("f1", 201, 99)).unwrap();
    store.remember("c1", "k2", &answer("f2", 201, 100)).unwrap();
    store.remember("c2", "k3", &answer("f3", 201, 101)).unwrap();
    store.forget_answers_before(100).unwrap();
    assert_eq!(store.remembered("c1", "k1").unwrap(), None);
    assert_eq!(store.remembered("c1", "k2").unwrap(), Some(answer("f2", 201, 100)));
    assert_eq!(store.remembered("c2", "k3").unwrap(), Some(answer("f3", 201, 101)));
    store.forget_answers_before(0).unwrap();
    assert!(store.remembered("c1", "k2").unwrap().is_some());
    store.forget_answers_before(102).unwrap();
    assert_eq!(store.remembered("c1", "k2").unwrap(), None);
    assert_eq!(store.remembered("c2", "k3").unwrap(), None);
}

fn answer_body_must_be_utf8(store: &mut dyn Store) {
    let binary = Remembered { body: vec![0xff, 0xfe, b'{'], ..answer("f1", 400, 100) };
    assert!(store.remember("c1", "k1", &binary).is_err(), "a body that is not UTF-8 was remembered");
    assert_eq!(store.remembered("c1", "k1").unwrap(), None);
}

// ------------------------------------------------------------------------------ authorization

fn at(person: Person, id: &str, education_organization: i64) -> Relation {
    Relation::At { person, id: id.to_owned(), education_organization }
}

fn relations_replace_and_go_with_their_item(store: &mut dyn Store) {
    store.set_relations("studentSchoolAssociations", &id(1), &[at(Person::Student, "s1", 10)]).unwrap();
    assert!(store.tied(Person::Student, "s1", &[10]).unwrap());
    store.set_relations("studentSchoolAssociations", &id(1), &[at(Person::Student, "s1", 20)]).unwrap();
    assert!(!store.tied(Person::Student, "s1", &[10]).unwrap(), "the second set replaces the first");
    assert!(store.tied(Person::Student, "s1", &[20]).unwrap());
    // Another item's relations are its own.
    store.set_relations("studentSchoolAssociations", &id(2), &[at(Person::Student, "s1", 30)]).unwrap();
    store.set_relations("studentSchoolAssociations", &id(1), &[]).unwrap();
    assert!(!store.tied(Person::Student, "s1", &[20]).unwrap(), "an empty set removes them");
    assert!(store.tied(Person::Student, "s1", &[30]).unwrap());
    // The same id in another resource is another item.
    store.set_relations("staffEducationOrganizationAssignmentAssociations", &id(2), &[]).unwrap();
    assert!(store.tied(Person::Student, "s1", &[30]).unwrap());
}

fn children_are_the_organizations_directly_below(store: &mut dyn Store) {
    assert_eq!(store.children(&[1]).unwrap(), Vec::<i64>::new());
    store.set_relations("schools", &id(1), &[Relation::Parent { child: 100, parent: 1 }]).unwrap();
    store.set_relations("schools", &id(2), &[Relation::Parent { child: 101, parent: 1 }]).unwrap();
    store
        .set_relations(
            "localEducationAgencies",
            &id(3),
            &[Relation::Parent { child: 1, parent: 9 }, Relation::Parent { child: 1, parent: 8 }],
        )
        .unwrap();
    let mut below = store.children(&[1]).unwrap();
    below.sort_unstable();
    assert_eq!(below, vec![100, 101]);
    let mut below = store.children(&[9, 8]).unwrap();
    below.sort_unstable();
    assert_eq!(below, vec![1], "each child once");
    assert_eq!(store.children(&[]).unwrap(), Vec::<i64>::new());
    // A student's tie is not a parent.
    store.set_relations("studentSchoolAssociations", &id(4), &[at(Person::Student, "7", 1)]).unwrap();
    assert_eq!(store.children(&[1]).unwrap().len(), 2);
}

fn people_are_tied_through_their_relations(store: &mut dyn Store) {
    store.set_relations("studentSchoolAssociations", &id(1), &[at(Person::Student, "s1", 10)]).unwrap();
    store
        .set_relations(
            "staffEducationOrganizationAssignmentAssociations",
            &id(2),
            &[at(Person::Staff, "t1", 10)],
        )
        .unwrap();
    let contact = Relation::ContactOf { contact: "c1".into(), student: "s1".into() };
    store.set_relations("studentContactAssociations", &id(3), &[contact]).unwrap();
    assert!(store.tied(Person::Student, "s1", &[5, 10]).unwrap());
    assert!(!store.tied(Person::Student, "s1", &[5]).unwrap());
    assert!(!store.tied(Person::Student, "s1", &[]).unwrap());
    assert!(!store.tied(Person::Staff, "s1", &[10]).unwrap(), "a student is not staff");
    assert!(store.tied(Person::Staff, "t1", &[10]).unwrap());
    assert!(!store.tied(Person::Student, "t1", &[10]).unwrap());
    assert!(store.tied(Person::Contact, "c1", &[10]).unwrap(), "through the student");
    assert!(!store.tied(Person::Contact, "c1", &[5]).unwrap());
    assert!(!store.tied(Person::Contact, "s1", &[10]).unwrap());
    assert!(!store.tied(Person::Student, "S1", &[10]).unwrap(), "ids compare exactly");
}

/// Items with natural keys `[organization, person, namespace]`, numbered from 1.
fn keyed(store: &mut dyn Store, keys: &[&str]) {
    for (i, key) in keys.iter().enumerate() {
        let n = i as u32 + 1;
        let doc = Document { natural_key: (*key).to_owned(), ..doc(n, "unused", "{}") };
        insert(store, R, &doc);
    }
}

fn reaching(reach: Reach) -> Selection {
    Selection { reach: Some(reach), ..Selection::default() }
}

fn reach_by_organization_admits_any_member(store: &mut dyn Store) {
    keyed(store, &["[10,20]", "[30,10]", "[30,40]", "[null,30]", "[\"10\",1]"]);
    let reach = Reach {
        education_organization_positions: vec![0, 1],
        education_organizations: vec![10, 11],
        ..Reach::default()
    };
    assert_eq!(picked(store, &reaching(reach.clone())), vec![1, 2], "the text \"10\" is not the id 10");
    let none = Reach { education_organizations: vec![], ..reach };
    assert_eq!(picked(store, &reaching(none)), Vec::<u32>::new());
    assert_eq!(picked(store, &reaching(Reach::default())).len(), 5, "no condition, every item");
}

fn reach_by_person_follows_relations(store: &mut dyn Store) {
    keyed(store, &["[\"s1\"]", "[\"s2\"]", "[\"c1\"]", "[7]"]);
    store.set_relations("studentSchoolAssociations", &id(90), &[at(Person::Student, "s1", 10)]).unwrap();
    store.set_relations("studentSchoolAssociations", &id(91), &[at(Person::Student, "s2", 20)]).unwrap();
    let contact = Relation::ContactOf { contact: "c1".into(), student: "s1".into() };
    store.set_relations("studentContactAssociations", &id(92), &[contact]).unwrap();
    let students =
        Reach { people: vec![(Person::Student, 0)], education_organizations: vec![10], ..Reach::default() };
    assert_eq!(picked(store, &reaching(students.clone())), vec![1]);
    let contacts = Reach { people: vec![(Person::Contact, 0)], ..students.clone() };
    assert_eq!(picked(store, &reaching(contacts)), vec![3]);
    // The enrollment goes: the student is no longer reached.
    store.set_relations("studentSchoolAssociations", &id(90), &[]).unwrap();
    assert_eq!(picked(store, &reaching(students)), Vec::<u32>::new());
}

fn reach_by_namespace_folds_ascii_case(store: &mut dyn Store) {
    keyed(
        store,
        &[
            "[\"uri://vendor.example/a\"]",
            "[\"URI://Vendor.Example/b\"]",
            "[\"uri://other.example/c\"]",
            "[\"uri://vendor.example\"]",
            "[\"uri://véndor.example/d\"]",
            "[5]",
        ],
    );
    let reach = Reach {
        namespace_positions: vec![0],
        namespace_prefixes: vec!["uri://vendor.example/".into(), "uri://VÉNDOR".into()],
        ..Reach::default()
    };
    assert_eq!(picked(store, &reaching(reach)), vec![1, 2], "É folds to nothing but itself");
}

fn reach_applies_to_pages_counts_and_change_logs(store: &mut dyn Store) {
    keyed(store, &["[10]", "[20]"]);
    insert(store, R, &Document { natural_key: "[10,1]".into(), ..doc(3, "unused", "{}") });
    insert(store, R, &Document { natural_key: "[10,2]".into(), ..doc(4, "unused", "{}") });
    let reach = Reach {
        education_organization_positions: vec![0],
        education_organizations: vec![10],
        ..Reach::default()
    };
    let selection = reaching(reach.clone());
    let page = store.page(R, &selection, 1, 1).unwrap();
    assert_eq!(page.iter().map(|(_, d)| number(&d.id)).collect::<Vec<_>>(), vec![3]);
    assert_eq!(store.count(R, &selection).unwrap(), 3);
    let after = Selection { after: Some(page[0].0), ..selection.clone() };
    assert_eq!(picked(store, &after), vec![4]);
    for (n, key) in [(5, "[10]"), (6, "[20]"), (7, "[10]")] {
        let tombstone = Tombstone { id: id(n), natural_key: key.into(), change_version: i64::from(n) };
        store.record_delete(R, &tombstone).unwrap();
        let change = KeyChange {
            id: id(n),
            old_key: "[10]".into(),
            new_key: key.into(),
            change_version: i64::from(n),
        };
        store.record_key_change(R, &change).unwrap();
    }
    let deleted: Vec<u32> =
        store.deletes(R, &selection, 0, ALL).unwrap().iter().map(|t| number(&t.id)).collect();
    assert_eq!(deleted, vec![5, 7]);
    let deleted: Vec<u32> =
        store.deletes(R, &selection, 1, 5).unwrap().iter().map(|t| number(&t.id)).collect();
    assert_eq!(deleted, vec![7], "offset counts only reached entries");
    let changed: Vec<u32> =
        store.key_changes(R, &selection, 0, ALL).unwrap().iter().map(|c| number(&c.id)).collect();
    assert_eq!(changed, vec![5, 7], "by the new key");
}

fn an_item_is_got_with_whether_its_reach_admits_it(store: &mut dyn Store) {
    keyed(store, &["[10,\"s1\"]", "[10,\"s2\"]", "[20,\"s1\"]"]);
    store.set_relations("studentSchoolAssociations", &id(90), &[at(Person::Student, "s1", 10)]).unwrap();
    let reach = Reach {
        education_organization_positions: vec![0],
        people: vec![(Person::Student, 1)],
        education_organizations: vec![10],
        ..Reach::default()
    };
    let got = |store: &dyn Store, n: u32| {
        store.get_reached(R, &id(n), &reach).unwrap().map(|(d, admitted)| (number(&d.id), admitted))
    };
    assert_eq!(got(store, 1), Some((1, true)));
    assert_eq!(got(store, 2), Some((2, false)), "s2 is tied to no organization");
    assert_eq!(got(store, 3), Some((3, false)), "organization 20 is not reached");
    assert_eq!(got(store, 4), None);
    assert_eq!(picked(store, &reaching(reach.clone())), vec![1], "as a selection with that reach");
    let everything = Reach::default();
    assert_eq!(store.get_reached(R, &id(2), &everything).unwrap().map(|(_, a)| a), Some(true));
}
