//! A write's answer lists what it committed, in write order (`Response::committed`): what the
//! edge publishes to its read replica, so the order and content of publication is tested here.

use super::cascades::{district, session, session_item};
use super::*;

fn states(response: &Response) -> Vec<(String, Option<String>)> {
    response.committed.iter().map(|c| (c.resource.clone(), c.doc.as_ref().map(|d| d.etag.clone()))).collect()
}

#[test]
fn each_write_returns_the_states_it_committed_and_reads_and_refusals_none() {
    let mut api = Api::new();
    let created = api.expect(to("students", &student("S1")), 201);
    let id = header(&created, "Location").rsplit('/').next().unwrap().to_owned();
    let etag = header(&created, "ETag").trim_matches('"').to_owned();
    assert_eq!(states(&created), vec![("students".to_owned(), Some(etag.clone()))]);
    assert_eq!(created.committed[0].doc.as_ref().unwrap(), &api.doc(&id), "the document as stored");

    // An upsert that changes nothing, a read, a stale write and a bad body commit nothing.
    assert!(api.expect(to("students", &student("S1")), 200).committed.is_empty());
    assert!(api.get(&id).committed.is_empty());
    let stale = raw("PUT", &format!("/data/v3/ed-fi/students/{id}"), student("S1").to_string())
        .header("If-Match", "\"stale\"");
    assert!(api.expect(stale, 412).committed.is_empty());
    assert!(api.expect(raw("POST", "/data/v3/ed-fi/students", "{".to_owned()), 400).committed.is_empty());

    let mut changed = student("S1");
    changed["firstName"] = json!("Changed");
    let updated = api.expect(put(&id, &changed), 204);
    let new_etag = header(&updated, "ETag").trim_matches('"').to_owned();
    assert_eq!(states(&updated), vec![("students".to_owned(), Some(new_etag))]);

    let deleted = api.expect(delete(&id), 204);
    assert_eq!(deleted.committed.len(), 1);
    assert_eq!((deleted.committed[0].id.as_str(), deleted.committed[0].doc.as_ref()), (id.as_str(), None));
}

#[test]
fn a_cascade_returns_every_item_it_rewrote_after_the_one_that_caused_it() {
    let mut api = Api::new();
    let session_id = district(&mut api);
    let renamed = api.expect(raw("PUT", &session_item(&session_id), session(100, "Autumn").to_string()), 204);
    let resources: Vec<&str> = renamed.committed.iter().map(|c| c.resource.as_str()).collect();
    assert_eq!(resources, ["sessions", "courseOfferings", "sections"]);
    for change in &renamed.committed {
        let stored = api.store.get(&change.resource, &change.id).unwrap();
        assert_eq!(change.doc, stored, "{}: the committed state is what is stored", change.resource);
    }
}

#[test]
fn a_replayed_answer_commits_nothing_again() {
    let mut api = Api::new();
    let keyed = to("students", &student("S2")).header("Idempotency-Key", "\"k-1\"");
    assert_eq!(api.expect(keyed.clone(), 201).committed.len(), 1);
    assert!(api.expect(keyed, 201).committed.is_empty(), "the replay wrote nothing");
}
