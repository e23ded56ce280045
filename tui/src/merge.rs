//! Pure helpers for conflicts and history: a three-way merge of JSON documents (used when an edit
//! is answered with 412 Precondition Failed), and line diffs and changed-path summaries (used by the
//! version-history view). No IO.
//!
//! The merge never silently overwrites someone else's change: where both sides changed the same
//! member differently, the merged document keeps *theirs* (the current server state) and the
//! member is reported as a [`Conflict`] for the user to resolve.
//!
//! Documents are compared as [`content`], the server's own rule ([`edfi_core::wire::content`]):
//! what the server gives one ETag is never a change here, so a conflict is one the server sees.

use serde_json::{Map, Value};
use similar::{ChangeTag, TextDiff};

/// A document's content as the server hashes it: the app has no rule of its own.
pub use edfi_core::wire::content;

/// The result of [`three_way`].
#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    /// The merged content. Conflicting members hold *theirs* (the current server state).
    pub merged: Value,
    /// The members both sides changed differently, in path order.
    pub conflicts: Vec<Conflict>,
}

impl Merge {
    /// True when the merge had no conflicts.
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }
}

/// A member both sides changed differently. `None` means the member is absent on that side.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The JSON path of the member, e.g. `$.firstName` or `$.schoolReference.schoolId`.
    pub path: String,
    pub base: Option<Value>,
    pub mine: Option<Value>,
    pub theirs: Option<Value>,
}

/// Three-way merge of `mine` and `theirs`, both derived from `base`, on the [`content`] of each.
///
/// Objects are merged member by member: a member only one side changed takes that side's value
/// (including being added or removed); a member both sides changed the same way takes that value;
/// a member both sides changed differently is recursed into when all three are objects, and is
/// otherwise a conflict whose merged value is *theirs*. Arrays are atomic (Ed-Fi collections have
/// no stable identity).
pub fn three_way(base: &Value, mine: &Value, theirs: &Value) -> Merge {
    let (base, mine, theirs) = (content(base), content(mine), content(theirs));
    let mut conflicts = Vec::new();
    let merged =
        merge_value("$", Some(&base), Some(&mine), Some(&theirs), &mut conflicts).unwrap_or(Value::Null);
    Merge { merged, conflicts }
}

fn merge_value(
    path: &str,
    base: Option<&Value>,
    mine: Option<&Value>,
    theirs: Option<&Value>,
    conflicts: &mut Vec<Conflict>,
) -> Option<Value> {
    if mine == base {
        return theirs.cloned();
    }
    if theirs == base || mine == theirs {
        return mine.cloned();
    }
    if let (Some(Value::Object(b)), Some(Value::Object(m)), Some(Value::Object(t))) = (base, mine, theirs) {
        return Some(Value::Object(merge_objects(path, b, m, t, conflicts)));
    }
    conflicts.push(Conflict {
        path: path.to_owned(),
        base: base.cloned(),
        mine: mine.cloned(),
        theirs: theirs.cloned(),
    });
    theirs.cloned()
}

fn merge_objects(
    path: &str,
    base: &Map<String, Value>,
    mine: &Map<String, Value>,
    theirs: &Map<String, Value>,
    conflicts: &mut Vec<Conflict>,
) -> Map<String, Value> {
    // The union of keys: theirs first (the server's order), then members only mine or base have.
    let mut keys: Vec<&String> = theirs.keys().collect();
    for key in mine.keys().chain(base.keys()) {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut merged = Map::new();
    for key in keys {
        let child = child_path(path, key);
        if let Some(value) = merge_value(&child, base.get(key), mine.get(key), theirs.get(key), conflicts) {
            merged.insert(key.clone(), value);
        }
    }
    merged
}

/// `$` + `.key`, or `["key"]` when the key is not a plain identifier.
fn child_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{}]", Value::String(key.to_owned()))
    }
}

/// What a [`DiffLine`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffKind {
    Same,
    Added,
    Removed,
}

/// One line of a [`diff`], without its line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: DiffKind,
    pub text: String,
}

/// A line diff of the pretty-printed documents, for display. The documents are diffed as given;
/// pass [`content`] of each to leave out the server-owned members.
pub fn diff(old: &Value, new: &Value) -> Vec<DiffLine> {
    let old = pretty(old);
    let new = pretty(new);
    TextDiff::from_lines(&old, &new)
        .iter_all_changes()
        .map(|change| DiffLine {
            kind: match change.tag() {
                ChangeTag::Equal => DiffKind::Same,
                ChangeTag::Insert => DiffKind::Added,
                ChangeTag::Delete => DiffKind::Removed,
            },
            text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
        })
        .collect()
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    // A trailing newline on both sides keeps the last line comparable.
    text.push('\n');
    text
}

/// The sorted JSON paths of the members (scalars, arrays, or objects present on one side only)
/// that differ between `old` and `new`, recursing into members that are objects on both sides.
/// The documents are compared as given; pass [`content`] of each to leave out the server-owned
/// members. `$` alone means the roots differ and are not both objects.
pub fn changed_paths(old: &Value, new: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    collect_changes("$", Some(old), Some(new), &mut paths);
    paths.sort();
    paths
}

fn collect_changes(path: &str, old: Option<&Value>, new: Option<&Value>, paths: &mut Vec<String>) {
    if old == new {
        return;
    }
    if let (Some(Value::Object(o)), Some(Value::Object(n))) = (old, new) {
        for key in o.keys().chain(n.keys().filter(|key| !o.contains_key(*key))) {
            collect_changes(&child_path(path, key), o.get(key), n.get(key), paths);
        }
    } else {
        paths.push(path.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edfi_core::wire::{self, EntityTag, SERVER_FIELDS};
    use serde_json::json;

    fn student() -> Value {
        json!({
            "id": "abc",
            "_etag": "1",
            "_lastModifiedDate": "2024-01-01T00:00:00Z",
            "changeVersion": 1,
            "studentUniqueId": "604822",
            "firstName": "Lisa",
            "lastSurname": "Woods",
            "birthDate": "2010-01-13",
            "schoolReference": { "schoolId": 255901001, "link": { "rel": "School" } },
            "otherNames": [{ "otherNameTypeDescriptor": "Nickname", "firstName": "Liz" }]
        })
    }

    /// `student()` with `edits` applied at top level (`Null` removes the member).
    fn edit(edits: Value) -> Value {
        let mut doc = student();
        for (key, value) in edits.as_object().unwrap() {
            if value.is_null() {
                doc.as_object_mut().unwrap().remove(key);
            } else {
                doc[key] = value.clone();
            }
        }
        doc
    }

    /// The API's own engine over memory, answering as the server does.
    struct Server {
        store: edfi_core::MemoryStore,
        requests: u8,
    }

    impl Server {
        fn send(
            &mut self,
            method: &str,
            path: &str,
            body: Option<&Value>,
            if_match: Option<&EntityTag>,
        ) -> edfi_core::Response {
            self.requests += 1;
            let mut request =
                edfi_core::Request::new(method, path).header("Content-Type", "application/json");
            if let Some(tag) = if_match {
                request = request.header("If-Match", &tag.to_string());
            }
            if let Some(body) = body {
                request = request.body(body.to_string());
            }
            let ctx = edfi_core::Context {
                now: 1_800_000_000,
                random: [self.requests; 16],
                correlation_id: "c",
                base_url: "",
                client: "k",
                client_name: "SIS",
                admin: false,
                scope: None,
            };
            edfi_core::handle(&request, &mut self.store, &edfi_core::Config::default(), &ctx)
                .expect("an answer")
        }

        /// The item at `path` as the API serves it, and its ETag.
        fn get(&mut self, path: &str) -> (Value, EntityTag) {
            let read = self.send("GET", path, None, None);
            assert_eq!(read.status, 200);
            (
                serde_json::from_slice(&read.body).unwrap(),
                EntityTag::parse(read.header("ETag").unwrap()).unwrap(),
            )
        }

        /// A PUT that must succeed; the ETag it answered.
        fn put(&mut self, path: &str, body: &Value, if_match: &EntityTag) -> EntityTag {
            let put = self.send("PUT", path, Some(body), Some(if_match));
            assert_eq!(put.status, 204, "{}", String::from_utf8_lossy(&put.body));
            EntityTag::parse(put.header("ETag").unwrap()).unwrap()
        }
    }

    /// A course (the API's sample, with both credit members), created with what it references;
    /// its path.
    fn course(server: &mut Server) -> String {
        let mut samples = edfi_core::sample::Samples::new();
        samples.item(edfi_core::resources::get("courses"));
        let mut path = String::new();
        for (resource, body) in samples.take() {
            let created = server.send("POST", &wire::paths::collection(resource.name), Some(&body), None);
            assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
            path = created.header("Location").unwrap().to_owned();
        }
        let (mut course, etag) = server.get(&path);
        course["minimumAvailableCredits"] = json!(1);
        course["maximumAvailableCredits"] = json!(3);
        server.put(&path, &course, &etag);
        path
    }

    /// The app compares documents as the server does, so it reports no conflict the server does
    /// not see. Before, it compared them as JSON values: `3.0` was not `3`, a `null` member was not
    /// an absent one and a reference's `link` was content, so this edit conflicted with theirs on
    /// both credit members although the server gives the edit's respellings the ETag it had.
    #[test]
    fn a_merge_sees_a_change_only_where_the_server_sees_one() {
        let mut server = Server { store: edfi_core::MemoryStore::new(), requests: 0 };
        let path = course(&mut server);
        let (opened, opened_etag) = server.get(&path);
        assert!(opened["educationOrganizationReference"]["link"].is_object(), "{opened}");

        // The edit, as an editor leaves it: the maximum the user did not touch written `3.0`, an
        // absent member written `null`, the reference's link deleted; and two real changes, the
        // minimum cleared with `null` and a new title.
        let mut respelled = opened.clone();
        respelled["maximumAvailableCredits"] = json!(3.0);
        respelled["courseDescription"] = Value::Null;
        respelled["educationOrganizationReference"].as_object_mut().unwrap().remove("link");
        let mut mine = respelled.clone();
        mine["minimumAvailableCredits"] = Value::Null;
        mine["courseTitle"] = json!("Algebra I, revised");

        // Meanwhile someone else raised the maximum and removed the minimum.
        let mut theirs = opened.clone();
        theirs["maximumAvailableCredits"] = json!(4);
        theirs.as_object_mut().unwrap().remove("minimumAvailableCredits");
        // The respellings are other JSON values, and the server takes them for no change at all.
        assert_ne!(respelled, opened);
        assert_eq!(server.put(&path, &respelled, &opened_etag), opened_etag, "the same ETag");
        let theirs_etag = server.put(&path, &theirs, &opened_etag);
        let (theirs, current) = server.get(&path);
        assert_eq!(current, theirs_etag);

        let merge = three_way(&opened, &mine, &theirs);
        assert!(merge.is_clean(), "conflicts the server does not see: {:?}", merge.conflicts);
        assert_eq!(merge.merged["maximumAvailableCredits"], 4, "theirs");
        assert!(merge.merged.get("minimumAvailableCredits").is_none(), "removed on both sides");
        assert_eq!(merge.merged["courseTitle"], "Algebra I, revised", "mine");
        assert!(!wire::same_content(&merge.merged, &theirs));

        // Applied on the current version, the merge is what the server then holds: its content's
        // ETag is the one the server answers.
        let applied = server.put(&path, &merge.merged, &current);
        assert_eq!(Some(applied.clone()), wire::content_etag(&merge.merged));
        let (now, _) = server.get(&path);
        assert!(wire::same_content(&now, &merge.merged));
        assert_eq!(changed_paths(&content(&theirs), &merge.merged), ["$.courseTitle"]);
    }

    #[test]
    fn content_is_the_server_s() {
        let c = content(&student());
        let object = c.as_object().unwrap();
        for field in SERVER_FIELDS {
            assert!(!object.contains_key(field), "{field} kept");
        }
        assert_eq!(object.len(), 6);
        assert_eq!(c["schoolReference"], json!({ "schoolId": 255901001 }), "a link is not content");
        // Nested members named like server fields are content.
        let nested = json!({ "ref": { "id": 1 } });
        assert_eq!(content(&nested), nested);
    }

    #[test]
    fn non_overlapping_changes_merge_cleanly() {
        let mine = edit(json!({ "firstName": "Elizabeth" }));
        let theirs = edit(json!({ "lastSurname": "Wood" }));
        let merge = three_way(&student(), &mine, &theirs);
        assert!(merge.is_clean(), "{:?}", merge.conflicts);
        assert_eq!(merge.merged["firstName"], "Elizabeth");
        assert_eq!(merge.merged["lastSurname"], "Wood");
        assert_eq!(merge.merged["birthDate"], "2010-01-13");
        assert_eq!(merge.merged, content(&edit(json!({ "firstName": "Elizabeth", "lastSurname": "Wood" }))));
    }

    #[test]
    fn same_change_on_both_sides_is_clean() {
        let both = edit(json!({ "firstName": "Elizabeth" }));
        let merge = three_way(&student(), &both, &both);
        assert!(merge.is_clean());
        assert_eq!(merge.merged, content(&both));
    }

    #[test]
    fn overlapping_different_changes_conflict_and_keep_theirs() {
        let mine = edit(json!({ "firstName": "Elizabeth", "birthDate": "2010-01-14" }));
        let theirs = edit(json!({ "firstName": "Beth" }));
        let merge = three_way(&student(), &mine, &theirs);
        assert!(!merge.is_clean());
        assert_eq!(
            merge.conflicts,
            vec![Conflict {
                path: "$.firstName".into(),
                base: Some(json!("Lisa")),
                mine: Some(json!("Elizabeth")),
                theirs: Some(json!("Beth")),
            }]
        );
        assert_eq!(merge.merged["firstName"], "Beth");
        // The non-conflicting change of mine still applies.
        assert_eq!(merge.merged["birthDate"], "2010-01-14");
    }

    #[test]
    fn member_added_by_mine_only_is_kept() {
        let mine = edit(json!({ "middleName": "Ann" }));
        let merge = three_way(&student(), &mine, &student());
        assert!(merge.is_clean());
        assert_eq!(merge.merged["middleName"], "Ann");
    }

    #[test]
    fn member_removed_by_theirs_only_is_removed() {
        let theirs = edit(json!({ "birthDate": null }));
        let mine = edit(json!({ "firstName": "Elizabeth" }));
        let merge = three_way(&student(), &mine, &theirs);
        assert!(merge.is_clean());
        assert!(merge.merged.get("birthDate").is_none());
        assert_eq!(merge.merged["firstName"], "Elizabeth");
    }

    #[test]
    fn removed_by_theirs_and_changed_by_mine_conflicts_and_stays_removed() {
        let theirs = edit(json!({ "birthDate": null }));
        let mine = edit(json!({ "birthDate": "2010-01-14" }));
        let merge = three_way(&student(), &mine, &theirs);
        assert_eq!(merge.conflicts.len(), 1);
        let conflict = &merge.conflicts[0];
        assert_eq!(conflict.path, "$.birthDate");
        assert_eq!(conflict.base, Some(json!("2010-01-13")));
        assert_eq!(conflict.mine, Some(json!("2010-01-14")));
        assert_eq!(conflict.theirs, None);
        assert!(merge.merged.get("birthDate").is_none());
    }

    #[test]
    fn nested_reference_changes_merge_member_wise() {
        let mine = edit(json!({ "schoolReference": { "schoolId": 255901044, "link": { "rel": "School" } } }));
        // Another link is no change: links are the server's.
        let theirs =
            edit(json!({ "schoolReference": { "schoolId": 255901001, "link": { "rel": "Campus" } } }));
        let merge = three_way(&student(), &mine, &theirs);
        assert!(merge.is_clean(), "{:?}", merge.conflicts);
        assert_eq!(merge.merged["schoolReference"], json!({ "schoolId": 255901044 }));

        let theirs =
            edit(json!({ "schoolReference": { "schoolId": 255901107, "link": { "rel": "School" } } }));
        let merge = three_way(&student(), &mine, &theirs);
        assert_eq!(merge.conflicts.len(), 1);
        assert_eq!(merge.conflicts[0].path, "$.schoolReference.schoolId");
        assert_eq!(merge.merged["schoolReference"]["schoolId"], 255901107);
    }

    #[test]
    fn arrays_changed_differently_conflict() {
        let mine =
            edit(json!({ "otherNames": [{ "otherNameTypeDescriptor": "Nickname", "firstName": "Beth" }] }));
        let theirs = edit(json!({ "otherNames": [
            { "otherNameTypeDescriptor": "Nickname", "firstName": "Liz" },
            { "otherNameTypeDescriptor": "Alias", "firstName": "Eliza" }
        ] }));
        let merge = three_way(&student(), &mine, &theirs);
        assert_eq!(merge.conflicts.len(), 1);
        assert_eq!(merge.conflicts[0].path, "$.otherNames");
        assert_eq!(merge.conflicts[0].base, Some(student()["otherNames"].clone()));
        assert_eq!(merge.conflicts[0].mine, Some(mine["otherNames"].clone()));
        assert_eq!(merge.merged["otherNames"], theirs["otherNames"]);
    }

    #[test]
    fn array_changed_on_one_side_is_taken() {
        let mine = edit(json!({ "otherNames": [] }));
        let merge = three_way(&student(), &mine, &edit(json!({ "lastSurname": "Wood" })));
        assert!(merge.is_clean());
        assert_eq!(merge.merged["otherNames"], json!([]));
        assert_eq!(merge.merged["lastSurname"], "Wood");

        let theirs = edit(json!({ "otherNames": [] }));
        let merge = three_way(&student(), &student(), &theirs);
        assert!(merge.is_clean());
        assert_eq!(merge.merged["otherNames"], json!([]));
    }

    #[test]
    fn server_fields_are_ignored() {
        let mine = edit(json!({ "_etag": "mine", "id": "x", "changeVersion": 7 }));
        let theirs = edit(json!({
            "_etag": "2", "id": "y", "changeVersion": 9, "_lastModifiedDate": "2024-02-02T00:00:00Z"
        }));
        let merge = three_way(&student(), &mine, &theirs);
        assert!(merge.is_clean(), "{:?}", merge.conflicts);
        for field in SERVER_FIELDS {
            assert!(merge.merged.get(field).is_none(), "{field} in merged");
        }
        assert_eq!(merge.merged, content(&student()));
    }

    #[test]
    fn diff_marks_added_and_removed_lines() {
        let old = json!({ "firstName": "Lisa", "lastSurname": "Woods" });
        let new = json!({ "firstName": "Beth", "lastSurname": "Woods" });
        let lines = diff(&old, &new);
        let line = |kind, text: &str| DiffLine { kind, text: text.to_owned() };
        assert_eq!(
            lines,
            vec![
                line(DiffKind::Same, "{"),
                line(DiffKind::Removed, "  \"firstName\": \"Lisa\","),
                line(DiffKind::Added, "  \"firstName\": \"Beth\","),
                line(DiffKind::Same, "  \"lastSurname\": \"Woods\""),
                line(DiffKind::Same, "}"),
            ]
        );
        assert!(diff(&old, &old).iter().all(|l| l.kind == DiffKind::Same));
    }

    #[test]
    fn changed_paths_lists_nested_paths_sorted() {
        let old = content(&student());
        let mut new = old.clone();
        new["lastSurname"] = json!("Wood");
        new["schoolReference"]["schoolId"] = json!(255901044);
        new["otherNames"][0]["firstName"] = json!("Beth");
        new["middleName"] = json!("Ann");
        new.as_object_mut().unwrap().remove("birthDate");
        assert_eq!(
            changed_paths(&old, &new),
            vec![
                "$.birthDate",
                "$.lastSurname",
                "$.middleName",
                "$.otherNames",
                "$.schoolReference.schoolId"
            ]
        );
        assert!(changed_paths(&old, &old).is_empty());
        assert_eq!(changed_paths(&json!(1), &json!(2)), vec!["$"]);
    }

    #[test]
    fn odd_keys_use_bracket_paths() {
        let old = json!({ "a b": 1 });
        let new = json!({ "a b": 2 });
        assert_eq!(changed_paths(&old, &new), vec![r#"$["a b"]"#]);
    }
}
