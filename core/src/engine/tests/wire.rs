//! The engine and [`crate::wire`], the protocol its clients use, agree: what a client takes for
//! the same content is what the server gives one ETag, and the paths a client builds are routed
//! where they say.

use super::*;
use crate::resources;
use crate::sample::Samples;
use crate::wire::answers::HistoryEntry;
use crate::wire::paths::{self, Param};
use crate::wire::{self as protocol, EntityTag};

fn read(api: &mut Api, path: &str) -> (Value, EntityTag) {
    let response = api.send(Request::new("GET", path));
    assert_eq!(response.status, 200, "GET {path}: {}", text(&response));
    (body(&response), EntityTag::parse(header(&response, "ETag")).unwrap())
}

/// Creates `def`'s sample item and what it references; returns the item's path.
fn create_sample(api: &mut Api, samples: &mut Samples, def: &'static crate::model::ResourceDef) -> String {
    samples.item(def);
    let mut location = String::new();
    for (resource, body) in samples.take() {
        let created = api.send(raw("POST", &paths::collection(resource.name), body.to_string()));
        assert_eq!(created.status, 201, "POST {} {body}: {}", resource.name, text(&created));
        location = header(&created, "Location").trim_start_matches(BASE_URL).to_owned();
    }
    location
}

/// Every representation the server gives, links in its references and all, has as content (by
/// the client's rule, which reads no model) the ETag the server sent with it.
#[test]
fn the_content_of_every_resource_s_representation_has_the_etag_the_server_sent() {
    let mut api = Api::new();
    let mut samples = Samples::new();
    let mut linked = 0;
    // Descriptors are made as what the others reference.
    for def in resources::all().iter().filter(|def| !def.is_descriptor) {
        samples.item(def);
        for (resource, body) in samples.take() {
            let created = api.send(raw("POST", &paths::collection(resource.name), body.to_string()));
            assert_eq!(created.status, 201, "POST {} {body}: {}", resource.name, text(&created));
            let path = header(&created, "Location").trim_start_matches(BASE_URL).to_owned();
            let (representation, etag) = read(&mut api, &path);
            assert_eq!(
                protocol::content_etag(&representation),
                Some(etag.clone()),
                "{path}: {representation}"
            );
            assert_eq!(protocol::representation_etag(&representation), Some(etag), "{path}");
            linked += usize::from(representation.to_string().contains(r#""link":"#));
        }
    }
    assert!(linked > 100, "representations with links were checked ({linked})");
}

/// A course as read, with both credit members set, and its ETag.
fn course(api: &mut Api) -> (String, Value, EntityTag) {
    let mut samples = Samples::new();
    let path = create_sample(api, &mut samples, resources::get("courses"));
    let (mut course, etag) = read(api, &path);
    course["minimumAvailableCredits"] = json!(1);
    course["maximumAvailableCredits"] = json!(3);
    let updated = api.send(raw("PUT", &path, course.to_string()).header("If-Match", &etag.to_string()));
    assert_eq!(updated.status, 204, "{}", text(&updated));
    let (course, etag) = read(api, &path);
    assert!(course["educationOrganizationReference"]["link"].is_object(), "{course}");
    (path, course, etag)
}

/// Spellings of a representation that the server gives the ETag it has: the client's content
/// rule calls each the same content, and a real change a different one, with the server's ETag.
#[test]
fn respellings_the_server_calls_unchanged_are_the_same_content_to_a_client() {
    let mut api = Api::new();
    let (path, read, etag) = course(&mut api);
    type Edit = fn(&mut Value);
    let edits: [(&str, Edit); 6] = [
        ("a number spelled otherwise", |c| c["maximumAvailableCredits"] = json!(3.0)),
        ("a null member", |c| c["courseDefinedByDescriptor"] = Value::Null),
        ("a nested null member", |c| c["identificationCodes"][0]["courseCatalogURL"] = Value::Null),
        ("the link left out", |c| {
            c["educationOrganizationReference"].as_object_mut().unwrap().remove("link");
        }),
        ("another link", |c| {
            c["educationOrganizationReference"]["link"] = json!({ "rel": "X", "href": "/y" })
        }),
        ("server members stale or left out", |c| {
            c["_etag"] = json!("stale");
            c.as_object_mut().unwrap().remove("changeVersion");
        }),
    ];
    for (what, edit) in edits {
        let mut respelled = read.clone();
        edit(&mut respelled);
        assert_ne!(respelled, read, "{what}: a different value");
        assert!(protocol::same_content(&read, &respelled), "{what}: {respelled}");
        assert_eq!(protocol::content(&respelled), protocol::content(&read), "{what}");
        let put = api.send(raw("PUT", &path, respelled.to_string()).header("If-Match", &etag.to_string()));
        assert_eq!(put.status, 204, "{what}: {}", text(&put));
        assert_eq!(header(&put, "ETag"), etag.to_string(), "{what}: the server saw no change");
    }
    let mut changed = read.clone();
    changed["maximumAvailableCredits"] = json!(3.5);
    assert!(!protocol::same_content(&read, &changed));
    let put = api.send(raw("PUT", &path, changed.to_string()).header("If-Match", &etag.to_string()));
    assert_eq!(put.status, 204, "{}", text(&put));
    assert_eq!(Some(EntityTag::parse(header(&put, "ETag")).unwrap()), protocol::content_etag(&changed));
    assert_ne!(header(&put, "ETag"), etag.to_string());
}

#[test]
fn the_paths_a_client_builds_are_routed_where_they_say() {
    let students = resources::get("students");
    let id = "0123456789abcdef0123456789abcdef";
    let opaque = "AbC-_1";
    let cases = [
        (paths::collection("Students"), Route::Collection(students)),
        (paths::item("students", id), Route::Item(students, id.to_owned())),
        (paths::history("students", id), Route::History(students, id.to_owned(), None)),
        (
            paths::version("students", id, &EntityTag::parse(&format!("W/\"{opaque}\"")).unwrap()),
            Route::History(students, id.to_owned(), Some(opaque.to_owned())),
        ),
        (format!("{}/{}", paths::collection("students"), paths::DELETES), Route::Deletes(students)),
        (format!("{}/{}", paths::collection("students"), paths::KEY_CHANGES), Route::KeyChanges(students)),
        (paths::TOKEN.to_owned(), Route::Token),
        (paths::CLIENTS.to_owned(), Route::Admin(AdminRoute::Clients)),
        (format!("{}/k1", paths::CLIENTS), Route::Admin(AdminRoute::Client("k1".to_owned()))),
        (paths::AVAILABLE_CHANGE_VERSIONS.to_owned(), Route::AvailableChangeVersions),
        (paths::METADATA_INDEX.to_owned(), Route::Metadata(MetadataDoc::Index)),
        (paths::RESOURCES_DOCUMENT.to_owned(), Route::Metadata(MetadataDoc::Resources)),
        (paths::DESCRIPTORS_DOCUMENT.to_owned(), Route::Metadata(MetadataDoc::Descriptors)),
        (paths::DEPENDENCIES.to_owned(), Route::Metadata(MetadataDoc::Dependencies)),
    ];
    for (path, expected) in cases {
        assert_eq!(route(&path).unwrap(), expected, "{path}");
    }
    // What the metadata lists leads where a client takes it to lead.
    for entry in openapi::metadata_index(BASE_URL).as_array().unwrap() {
        let path = entry["endpointUri"].as_str().unwrap().trim_start_matches(BASE_URL);
        assert!(matches!(route(path).unwrap(), Route::Metadata(_)), "{path}");
    }
    for document in [openapi::resources_document(BASE_URL), openapi::descriptors_document(BASE_URL)] {
        assert_eq!(document["servers"][0]["url"], format!("{BASE_URL}{}", paths::DATA_API));
        for path in document["paths"].as_object().unwrap().keys() {
            let endpoint = paths::endpoint_of(path).unwrap_or_else(|| panic!("{path}"));
            let def = resources::find_endpoint(endpoint).unwrap_or_else(|| panic!("{path}"));
            assert_eq!(route(&paths::collection(endpoint)).unwrap(), Route::Collection(def), "{path}");
        }
    }
}

#[test]
fn history_reads_as_history_entries_and_a_version_by_any_form_of_its_etag() {
    let mut api = Api::new();
    let (id, first) = api.create(&student("604822"));
    let second =
        header(&api.expect(put(&id, &renamed("604822", "Bo")).header("If-Match", &first), 204), "ETag")
            .to_owned();
    let listed = api.expect(Request::new("GET", &paths::history("students", &id)), 200);
    let entries: Vec<HistoryEntry> = serde_json::from_slice(&listed.body).unwrap();
    let etags: Vec<_> = entries.iter().map(|e| e.etag.clone().unwrap()).collect();
    assert_eq!(etags, [unquote(&first), unquote(&second)]);
    assert_eq!(entries[1].client, "Test SIS");
    for form in [first.clone(), unquote(&first).to_owned(), weak(&first)] {
        let tag = EntityTag::parse(&form).unwrap();
        let (version, etag) = read(&mut api, &paths::version("students", &id, &tag));
        assert_eq!(etag.to_string(), first, "{form}");
        assert_eq!(version["firstName"], "Ana");
        // The form as it is names the same version (a weak one has a `/`: it needs encoding).
        if !form.contains('/') {
            let raw_path = format!("{}/{}", paths::history("students", &id), form);
            assert_eq!(read(&mut api, &raw_path).0, version, "{form}");
        }
    }
}

#[test]
fn the_query_a_client_builds_is_the_query_the_server_reads() {
    let mut api = Api::new();
    for n in 0..3 {
        api.create(&student(&format!("60480{n}")));
    }
    let query = paths::query([
        (Param::Offset.name(), "1"),
        (Param::Limit.name(), "5"),
        (Param::TotalCount.name(), "true"),
        ("studentUniqueId", "604802"),
    ]);
    let response = api.send(Request::new("GET", &format!("{}?{query}", paths::collection("students"))));
    assert_eq!(response.status, 200, "{}", text(&response));
    assert_eq!(header(&response, paths::TOTAL_COUNT_HEADER), "1");
    assert_eq!(body(&response), json!([]), "offset 1 of the one match");
}
