//! The client's metadata reading, reference following and "referenced by" against a fake server
//! that serves the metadata this repository's API serves; and the same flows driven end to end
//! through the app's runtime ([`crate::runtime::Headless`]).

use crossterm::event::KeyCode;
use serde_json::{json, Value};

use super::*;
use crate::app::{GroupState, Msg, Screen};
use crate::fake_server::*;
use crate::runtime::Headless;

const SCHOOL: &str = "5c4b0e1f0c4a4e8b9a3d2f1e0d9c8b7a";
const ASSOCIATION: &str = "a55a0000000000000000000000000001";
const SCHOOLS: &str = "/data/v3/ed-fi/schools";
const ASSOCIATIONS: &str = "/data/v3/ed-fi/studentSchoolAssociations";

fn school() -> Value {
    json!({
        "id": SCHOOL, "schoolId": 255901001, "nameOfInstitution": "Grand Bend High School",
        "_etag": "c2Nob29s", "_lastModifiedDate": "2026-11-20T09:00:00Z", "changeVersion": 12,
    })
}

fn association() -> Value {
    json!({
        "id": ASSOCIATION, "entryDate": "2025-08-10",
        "schoolReference": { "schoolId": 255901001, "link": { "rel": "School", "href": format!("/ed-fi/schools/{SCHOOL}") } },
        "studentReference": { "studentUniqueId": "604900" },
        "_etag": "YXNzb2M", "_lastModifiedDate": "2026-11-21T09:00:00Z", "changeVersion": 13,
    })
}

fn query_has(request: &Request, pair: &str) -> bool {
    request.query().split('&').any(|p| p == pair)
}

/// The API's metadata; one school; one association pointing at it; every other collection
/// empty. Items are answered by id with their ETag.
async fn server() -> Fake {
    Fake::start(|request, base| {
        let path = request.path();
        match path {
            "/oauth/token" => Answer::json(200, json!({ "access_token": "t", "expires_in": 3600 })),
            "/metadata/" => Answer::json(200, edfi_core::openapi::metadata_index(base)),
            "/metadata/data/v3/resources/swagger.json" => {
                Answer::json(200, edfi_core::openapi::resources_document(base))
            }
            "/metadata/data/v3/descriptors/swagger.json" => {
                Answer::json(200, edfi_core::openapi::descriptors_document(base))
            }
            SCHOOLS if query_has(request, "schoolId=1") => {
                Answer::json(200, json!([])).with("Total-Count", "0")
            }
            SCHOOLS if query_has(request, "schoolId=2") => {
                Answer::json(200, json!([school(), school()])).with("Total-Count", "2")
            }
            SCHOOLS => Answer::json(200, json!([school()])).with("Total-Count", "1"),
            ASSOCIATIONS
                if query_has(request, "schoolId=255901001") || !request.query().contains("schoolId") =>
            {
                Answer::json(200, json!([association()])).with("Total-Count", "1")
            }
            _ if path == format!("{SCHOOLS}/{SCHOOL}") => {
                Answer::json(200, school()).with("ETag", "\"c2Nob29s\"")
            }
            _ if path == format!("{ASSOCIATIONS}/{ASSOCIATION}") => {
                Answer::json(200, association()).with("ETag", "\"YXNzb2M\"")
            }
            _ if path.starts_with("/data/v3/ed-fi/") && path.matches('/').count() == 4 => {
                Answer::json(200, json!([])).with("Total-Count", "0")
            }
            _ => Answer::problem(404, "No such path.", &[]),
        }
    })
    .await
}

#[tokio::test]
async fn the_metadata_is_read_once_and_describes_keys_query_fields_and_referrers() {
    let fake = server().await;
    let client = fake.client();
    let meta = client.describe("studentSchoolAssociations").await.unwrap();
    let labels: Vec<&str> = meta.key.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["entryDate", "schoolId", "studentUniqueId"]);
    assert!(meta.query_field("entryDate").is_some());
    let referrers = client.referrers("schools").await.unwrap();
    assert!(referrers
        .referrers
        .iter()
        .any(|r| r.resource == "studentSchoolAssociations" && r.field == "schoolReference"));
    assert!(
        matches!(client.describe("nosuch").await, Err(ApiError::Http(m)) if m.contains("describes no nosuch"))
    );
    assert_eq!(fake.hits("/metadata/"), 1, "fetched once, then kept");
    assert_eq!(fake.hits("/oauth/token"), 0, "metadata needs no token");
}

#[tokio::test]
async fn following_a_key_asks_the_target_for_its_key_and_reads_the_one_item_fresh() {
    let fake = server().await;
    let client = fake.client();
    let target =
        Target::Key { resource: "schools".into(), filters: vec![("schoolId".into(), "255901001".into())] };
    let (resource, item) = client.follow(&target).await.unwrap();
    assert_eq!((resource.as_str(), item.etag.as_str()), ("schools", "\"c2Nob29s\""));
    let asked = fake.to(SCHOOLS);
    assert_eq!(asked[0].query(), "offset=0&limit=2&totalCount=true&schoolId=255901001");
    let read = fake.to(&format!("{SCHOOLS}/{SCHOOL}"));
    assert_eq!(read[0].header("cache-control"), Some("no-cache"), "read past any replica");
    let none = Target::Key { resource: "schools".into(), filters: vec![("schoolId".into(), "1".into())] };
    assert_eq!(client.follow(&none).await.unwrap_err().to_string(), "No item of schools has schoolId=1");
    let two = Target::Key { resource: "schools".into(), filters: vec![("schoolId".into(), "2".into())] };
    assert!(client.follow(&two).await.unwrap_err().to_string().starts_with("More than one item of schools"));
    let by_id = Target::Id { resource: "schools".into(), id: SCHOOL.into() };
    assert_eq!(client.follow(&by_id).await.unwrap().1.body["schoolId"], 255901001);
}

async fn keys(app: &mut Headless, text: &str) {
    for c in text.chars() {
        app.key(KeyCode::Char(c)).await;
    }
}

/// The runtime performs the app's commands against the server: a school's list as a table, the
/// school, what refers to it, the association that does, and its reference back to the school.
#[tokio::test]
async fn headless_a_school_what_refers_to_it_and_back_by_its_reference() {
    let fake = server().await;
    let mut app = Headless::start(fake.client(), &fake.url, false).await;
    app.key(KeyCode::Char(':')).await;
    keys(&mut app, "schools").await;
    app.key(KeyCode::Enter).await;
    assert_eq!(app.app.screen, Screen::List, "{}", app.app.status);
    let labels: Vec<String> = app.app.list_columns().into_iter().map(|c| c.label).collect();
    assert_eq!(labels[0], "schoolId", "learnt from the served metadata");
    assert_eq!(app.app.list.total, Some(1));
    app.key(KeyCode::Enter).await;
    assert_eq!(app.app.detail.as_ref().unwrap().id, SCHOOL);

    app.key(KeyCode::Char('b')).await;
    assert_eq!(app.app.screen, Screen::ReferencedBy);
    let state = app.app.referenced_by.clone().unwrap();
    let groups = state.groups.as_ref().unwrap();
    let (done, all) = state.progress();
    assert!(all > 10 && done == all, "{done} of {all}");
    let asked: Vec<Request> =
        fake.to(ASSOCIATIONS).into_iter().filter(|r| r.query().contains("schoolId")).collect();
    assert_eq!(asked.len(), 1, "one GET for the association's references to schools");
    assert_eq!(asked[0].query(), "offset=0&limit=10&totalCount=true&schoolId=255901001");
    let found: Vec<&str> = groups
        .iter()
        .filter(|g| matches!(&g.state, GroupState::Loaded { items, .. } if !items.is_empty()))
        .map(|g| g.resource.as_str())
        .collect();
    assert_eq!(found, ["studentSchoolAssociations"]);

    app.key(KeyCode::Down).await;
    app.key(KeyCode::Enter).await;
    let detail = app.app.detail.clone().unwrap();
    assert_eq!((detail.resource.as_str(), detail.id.as_str()), ("studentSchoolAssociations", ASSOCIATION));
    app.key(KeyCode::Tab).await;
    assert_eq!(app.app.detail.as_ref().unwrap().link().unwrap().path, "schoolReference");
    app.key(KeyCode::Enter).await;
    assert_eq!(app.app.detail.as_ref().unwrap().resource, "schools", "{}", app.app.status);
    // Back: the association, "referenced by", the school, the list.
    for expected in [Screen::Detail, Screen::ReferencedBy, Screen::Detail, Screen::List] {
        app.send(Msg::Key(KeyCode::Esc.into())).await;
        assert_eq!(app.app.screen, expected);
    }
}
