//! ODS/API's `link` members in reference objects: made by the server, never content.

use super::cascades::{district, session, session_item};
use super::*;

fn get_path(api: &mut Api, path: &str) -> Value {
    let response = api.send(Request::new("GET", path));
    assert_eq!(response.status, 200, "{}", text(&response));
    body(&response)
}

fn first(api: &mut Api, resource: &str) -> Value {
    let page = get_path(api, &format!("/data/v3/ed-fi/{resource}"));
    page[0].clone()
}

#[test]
fn each_resolved_reference_carries_a_link_to_its_item() {
    let mut api = Api::new();
    let session_id = district(&mut api);
    let school_id = first(&mut api, "schools")["id"].as_str().unwrap().to_owned();
    let stored = get_path(&mut api, &session_item(&session_id));
    assert_eq!(
        stored["schoolReference"]["link"],
        json!({"rel": "School", "href": format!("/ed-fi/schools/{school_id}")})
    );
    let year = first(&mut api, "schoolYearTypes")["id"].as_str().unwrap().to_owned();
    assert_eq!(stored["schoolYearTypeReference"]["link"]["rel"], "SchoolYearType");
    assert_eq!(stored["schoolYearTypeReference"]["link"]["href"], format!("/ed-fi/schoolYearTypes/{year}"));
    // Descriptors are URIs, not reference objects: no link.
    assert!(stored["termDescriptor"].is_string());
    // Collections show them too.
    let section = first(&mut api, "sections");
    let offering = first(&mut api, "courseOfferings");
    assert_eq!(
        section["courseOfferingReference"]["link"]["href"],
        format!("/ed-fi/courseOfferings/{}", offering["id"].as_str().unwrap())
    );
}

#[test]
fn links_are_not_content_and_what_was_read_can_be_sent_back() {
    let mut api = Api::new();
    let session_id = district(&mut api);
    let path = session_item(&session_id);
    let read = api.send(Request::new("GET", &path));
    let etag = header(&read, "ETag").to_owned();
    // The ETag is the content's, without the links.
    let content = crate::content::Content::from_body(session(100, "Fall").as_object().unwrap());
    assert_eq!(unquote(&etag), content.etag().opaque());
    // What was read goes back as it is, links and server fields included: nothing changes.
    let before = api.store.clone();
    let echoed = api.expect(raw("PUT", &path, read.body.clone()).header("If-Match", &etag), 204);
    assert_eq!(header(&echoed, "ETag"), etag);
    assert_eq!(api.store, before);
    // A link a client made up is ignored the same way.
    let mut forged = body(&read);
    forged["schoolReference"]["link"] = json!({"rel": "School", "href": "/ed-fi/schools/elsewhere"});
    api.expect(raw("PUT", &path, forged.to_string()).header("If-Match", &etag), 204);
    assert_eq!(api.store, before);
}

#[test]
fn a_cascade_keeps_every_link_pointing_at_its_item() {
    let mut api = Api::new();
    let session_id = district(&mut api);
    let offering_id = first(&mut api, "courseOfferings")["id"].as_str().unwrap().to_owned();
    api.expect(raw("PUT", &session_item(&session_id), session(100, "Autumn").to_string()), 204);
    let offering = first(&mut api, "courseOfferings");
    assert_eq!(offering["sessionReference"]["sessionName"], "Autumn");
    assert_eq!(offering["sessionReference"]["link"]["href"], format!("/ed-fi/sessions/{session_id}"));
    assert_eq!(offering["schoolReference"]["link"]["rel"], "School", "links the cascade did not touch stay");
    let section = first(&mut api, "sections");
    assert_eq!(section["courseOfferingReference"]["sessionName"], "Autumn");
    assert_eq!(
        section["courseOfferingReference"]["link"]["href"],
        format!("/ed-fi/courseOfferings/{offering_id}")
    );
}
