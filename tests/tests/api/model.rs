//! The resource model over HTTP: references, dependent items, key-change cascades, queries,
//! keyset paging, change queries and metadata.

use serde_json::{json, Value};

use crate::support::{data, descriptor, school_year, unique_id, unique_number, Api};

const UNRESOLVED: &str = "urn:ed-fi:api:data-conflict:unresolved-reference";
const DEPENDENT: &str = "urn:ed-fi:api:data-conflict:dependent-item-exists";

fn uri(kind: &str, code: &str) -> String {
    format!("uri://ed-fi.org/{kind}#{code}")
}

/// A new school (and the descriptors it needs); returns its id and item path.
async fn school(api: &Api) -> (i64, String) {
    api.ensure(
        "educationOrganizationCategoryDescriptors",
        &descriptor("EducationOrganizationCategoryDescriptor", "School"),
    )
    .await;
    api.ensure("gradeLevelDescriptors", &descriptor("GradeLevelDescriptor", "Ninth grade")).await;
    let id = unique_number();
    let (path, _) = api
        .create_in(
            "schools",
            &json!({
                "schoolId": id,
                "nameOfInstitution": format!("School {id}"),
                // Descriptors compare case-insensitively.
                "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor": uri("EducationOrganizationCategoryDescriptor", "SCHOOL")}],
                "gradeLevels": [{"gradeLevelDescriptor": uri("GradeLevelDescriptor", "Ninth grade")}],
            }),
        )
        .await;
    (id, path)
}

fn class_period(school_id: i64, name: &str) -> Value {
    json!({"classPeriodName": name, "schoolReference": {"schoolId": school_id}})
}

/// A school year, session, course, offering and section at a new school; the section's path,
/// the session's path and body.
async fn section_at_new_school(api: &Api) -> (i64, String, String, Value) {
    let (school_id, _) = school(api).await;
    api.ensure("termDescriptors", &descriptor("TermDescriptor", "Fall Semester")).await;
    api.ensure(
        "courseIdentificationSystemDescriptors",
        &descriptor("CourseIdentificationSystemDescriptor", "LEA course code"),
    )
    .await;
    api.ensure("schoolYearTypes", &school_year()).await;
    let session = json!({
        "sessionName": "Fall", "schoolReference": {"schoolId": school_id}, "schoolYearTypeReference": {"schoolYear": 2027},
        "beginDate": "2026-08-17", "endDate": "2026-12-18", "termDescriptor": uri("TermDescriptor", "Fall Semester"),
        "totalInstructionalDays": 80,
    });
    let (session_path, _) = api.create_in("sessions", &session).await;
    api.create_in("courses", &json!({
        "courseCode": "ALG-1", "educationOrganizationReference": {"educationOrganizationId": school_id},
        "courseTitle": "Algebra I", "numberOfParts": 1,
        "identificationCodes": [{"courseIdentificationSystemDescriptor": uri("CourseIdentificationSystemDescriptor", "LEA course code"), "identificationCode": "ALG-1"}],
    })).await;
    api.create_in(
        "courseOfferings",
        &json!({
            "localCourseCode": "ALG-1", "schoolReference": {"schoolId": school_id},
            "sessionReference": {"schoolId": school_id, "schoolYear": 2027, "sessionName": "Fall"},
            "courseReference": {"courseCode": "ALG-1", "educationOrganizationId": school_id},
        }),
    )
    .await;
    api.create_in("classPeriods", &class_period(school_id, "01")).await;
    let (section_path, _) = api.create_in("sections", &json!({
        "sectionIdentifier": "ALG-1-01",
        "courseOfferingReference": {"localCourseCode": "ALG-1", "schoolId": school_id, "schoolYear": 2027, "sessionName": "Fall"},
        "classPeriods": [{"classPeriodReference": {"classPeriodName": "01", "schoolId": school_id}}],
    })).await;
    (school_id, section_path, session_path, session)
}

#[tokio::test]
async fn references_must_resolve_and_referenced_items_cannot_be_deleted() {
    let api = Api::new().await;
    let missing_school = unique_number();
    let reply = api.write("POST", &data("classPeriods"), &class_period(missing_school, "01"), &[]).await;
    let problem = reply.assert_problem(409, UNRESOLVED);
    assert!(problem["validationErrors"]["$.schoolReference"].is_array(), "{problem}");

    let (school_id, school_path) = school(&api).await;
    let (period_path, _) = api.create_in("classPeriods", &class_period(school_id, "01")).await;
    let before = api.current(&school_path).await.unwrap();
    api.delete(&school_path, &[]).await.assert_problem(409, DEPENDENT);
    assert_eq!(api.current(&school_path).await.unwrap(), before, "a refused delete deletes nothing");
    assert_eq!(api.delete(&period_path, &[]).await.status, 204);
    assert_eq!(api.delete(&school_path, &[]).await.status, 204, "deletable once nothing references it");

    let mut unknown = json!({"studentUniqueId": unique_id("desc"), "firstName": "A", "lastSurname": "B", "birthDate": "2010-01-01"});
    unknown["birthSexDescriptor"] = json!(uri("SexDescriptor", "NoSuchSex"));
    let problem = api
        .write("POST", &data("students"), &unknown, &[])
        .await
        .assert_problem(400, "urn:ed-fi:api:bad-request:data-validation-failed");
    assert!(problem["validationErrors"]["$.birthSexDescriptor"].is_array(), "{problem}");
}

#[tokio::test]
async fn a_key_change_cascades_to_referencing_items_and_is_reported() {
    let api = Api::new().await;
    let (school_id, section_path, _, _) = section_at_new_school(&api).await;
    let period_path = {
        let page = api
            .get(&format!("{}?schoolId={school_id}&classPeriodName=01", data("classPeriods")), &[])
            .await
            .json();
        format!("{}/{}", data("classPeriods"), page[0]["id"].as_str().unwrap())
    };
    let (section_before, section_etag) = api.current(&section_path).await.unwrap();
    let newest_before = api.get("/changeQueries/v1/availableChangeVersions", &[]).await.json()
        ["newestChangeVersion"]
        .as_i64()
        .unwrap();

    let reply = api.write("PUT", &period_path, &class_period(school_id, "First period"), &[]).await;
    assert_eq!(reply.status, 204, "{}", String::from_utf8_lossy(&reply.body));

    let (section_after, section_etag_after) = api.current(&section_path).await.unwrap();
    assert_ne!(section_etag_after, section_etag, "the referencing section's ETag changed");
    assert_eq!(section_after["classPeriods"][0]["classPeriodReference"]["classPeriodName"], "First period");
    assert!(section_after["changeVersion"].as_i64() > section_before["changeVersion"].as_i64());

    let changes = api
        .get(&format!("{}/keyChanges?minChangeVersion={}", data("classPeriods"), newest_before + 1), &[])
        .await
        .json();
    let change = changes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["newKeyValues"]["schoolId"] == school_id)
        .expect("a key change");
    assert_eq!(change["oldKeyValues"]["classPeriodName"], "01");
    assert_eq!(change["newKeyValues"]["classPeriodName"], "First period");
    assert_eq!(format!("{}/{}", data("classPeriods"), change["id"].as_str().unwrap()), period_path);

    let mut duplicate = class_period(school_id, "Second");
    api.create_in("classPeriods", &duplicate).await;
    duplicate["classPeriodName"] = json!("Second");
    let reply = api.write("PUT", &period_path, &duplicate, &[]).await;
    reply.assert_problem(409, "urn:ed-fi:api:data-conflict:non-unique-values");
}

#[tokio::test]
async fn a_session_key_change_cascades_through_offerings_to_sections() {
    let api = Api::new().await;
    let (school_id, section_path, session_path, mut session) = section_at_new_school(&api).await;
    session["sessionName"] = json!("Autumn");
    let reply = api.write("PUT", &session_path, &session, &[]).await;
    assert_eq!(reply.status, 204, "{}", String::from_utf8_lossy(&reply.body));
    let (section, _) = api.current(&section_path).await.unwrap();
    assert_eq!(section["courseOfferingReference"]["sessionName"], "Autumn");
    let offerings = api.get(&format!("{}?schoolId={school_id}", data("courseOfferings")), &[]).await.json();
    assert_eq!(offerings[0]["sessionReference"]["sessionName"], "Autumn");
}

/// Moving a session to another school under its course offerings would leave each offering's
/// session and school references disagreeing on `schoolId` (key unification): refused, not a 500.
#[tokio::test]
async fn moving_a_session_to_another_school_under_its_offerings_is_409_and_changes_nothing() {
    let api = Api::new().await;
    let (school_id, section_path, session_path, mut session) = section_at_new_school(&api).await;
    let (other_school, _) = school(&api).await;
    let offerings_path = format!("{}?schoolId={school_id}", data("courseOfferings"));
    let before = (
        api.current(&session_path).await.unwrap(),
        api.current(&section_path).await.unwrap(),
        api.get(&offerings_path, &[]).await.json(),
    );
    session["schoolReference"]["schoolId"] = json!(other_school);
    let reply = api.write("PUT", &session_path, &session, &[]).await;
    let problem = reply.assert_problem(409, DEPENDENT);
    assert!(problem["errors"].to_string().contains("courseOfferings item"), "{problem}");
    let after = (
        api.current(&session_path).await.unwrap(),
        api.current(&section_path).await.unwrap(),
        api.get(&offerings_path, &[]).await.json(),
    );
    assert_eq!(after, before, "nothing changed");
}

#[tokio::test]
async fn references_carry_links_and_what_was_read_can_be_sent_back() {
    let api = Api::new().await;
    let (school_id, section_path, session_path, _) = section_at_new_school(&api).await;
    let reply = api.get(&session_path, &[]).await;
    let (read, etag) = (reply.json(), reply.etag());
    let schools = api.get(&format!("{}?schoolId={school_id}", data("schools")), &[]).await.json();
    let school = schools[0]["id"].as_str().unwrap();
    assert_eq!(
        read["schoolReference"]["link"],
        json!({"rel": "School", "href": format!("/ed-fi/schools/{school}")})
    );
    let (section, _) = api.current(&section_path).await.unwrap();
    let href =
        section["classPeriods"][0]["classPeriodReference"]["link"]["href"].as_str().unwrap().to_owned();
    assert!(href.starts_with("/ed-fi/classPeriods/"), "{section}");
    assert_eq!(api.get(&format!("/data/v3{href}"), &[]).await.json()["classPeriodName"], "01");
    // What was read, links and server fields included, goes back unchanged: same ETag.
    let echoed = api.write("PUT", &session_path, &read, &[("If-Match", &etag)]).await;
    assert_eq!((echoed.status, echoed.etag()), (204, etag));
}

#[tokio::test]
async fn numbers_sent_as_strings_and_endpoints_in_any_case_are_taken() {
    let api = Api::new().await;
    let (school_id, _) = school(&api).await;
    api.ensure("schoolYearTypes", &school_year()).await;
    let body = json!({"classPeriodName": "07", "schoolReference": {"schoolId": school_id.to_string()}});
    let created = api.write("POST", "/data/v3/ed-fi/ClassPeriods", &body, &[]).await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let location = created.header("Location").unwrap().to_owned();
    assert!(location.contains("/ed-fi/classPeriods/"), "{location}");
    let (stored, etag) =
        api.current(&format!("{}/{}", data("classPeriods"), created.location_id())).await.unwrap();
    assert_eq!(stored["schoolReference"]["schoolId"], json!(school_id), "stored as a number");
    // The typed body is the same item with the same content.
    let typed = json!({"classPeriodName": "07", "schoolReference": {"schoolId": school_id}});
    let again = api.write("POST", &data("classPeriods"), &typed, &[]).await;
    assert_eq!((again.status, again.etag()), (200, etag));
}

#[tokio::test]
async fn change_queries_report_creates_updates_deletes_in_version_order() {
    let api = Api::new().await;
    let versions = || async { api.get("/changeQueries/v1/availableChangeVersions", &[]).await.json() };
    let start = versions().await["newestChangeVersion"].as_i64().unwrap();
    let body = json!({"studentUniqueId": unique_id("cq"), "firstName": "C", "lastSurname": "Q", "birthDate": "2011-03-04"});
    let (path, _) = api.create(&body).await;
    let created = api.current(&path).await.unwrap().0["changeVersion"].as_i64().unwrap();
    let mut update = body.clone();
    update["firstName"] = json!("Changed");
    assert_eq!(api.write("PUT", &path, &update, &[]).await.status, 204);
    let updated = api.current(&path).await.unwrap().0["changeVersion"].as_i64().unwrap();
    assert!(start < created && created < updated);
    // Writing the same content again takes no version.
    assert_eq!(api.write("PUT", &path, &update, &[]).await.status, 204);
    assert_eq!(api.current(&path).await.unwrap().0["changeVersion"].as_i64().unwrap(), updated);

    let window = api
        .get(&format!("{}?minChangeVersion={updated}&maxChangeVersion={updated}", data("students")), &[])
        .await
        .json();
    assert!(
        window.as_array().unwrap().iter().any(|s| s["studentUniqueId"] == body["studentUniqueId"]),
        "{window}"
    );
    let before_window =
        api.get(&format!("{}?maxChangeVersion={start}&limit=500", data("students")), &[]).await.json();
    assert!(!before_window
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["studentUniqueId"] == body["studentUniqueId"]));

    assert_eq!(api.delete(&path, &[]).await.status, 204);
    let deleted = versions().await["newestChangeVersion"].as_i64().unwrap();
    assert!(deleted > updated);
    let deletes =
        api.get(&format!("{}/deletes?minChangeVersion={}", data("students"), updated + 1), &[]).await.json();
    let tombstone = deletes
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["keyValues"]["studentUniqueId"] == body["studentUniqueId"])
        .expect("a tombstone");
    assert!(tombstone["changeVersion"].as_i64().unwrap() > updated);
    assert_eq!(format!("{}/{}", data("students"), tombstone["id"].as_str().unwrap()), path);
}

#[tokio::test]
async fn collections_filter_by_fields_and_page_by_keyset() {
    let api = Api::new().await;
    let surname = format!("Keyset{}", unique_number());
    for i in 0..7 {
        let body = json!({"studentUniqueId": unique_id("ks"), "firstName": format!("F{i}"), "lastSurname": surname, "birthDate": "2012-05-06"});
        api.create(&body).await;
    }
    let all = api
        .get(
            &format!("{}?LASTSURNAME={}&totalCount=true&limit=500", data("students"), surname.to_lowercase()),
            &[],
        )
        .await;
    assert_eq!(all.header("Total-Count"), Some("7"), "names and text values match case-insensitively");
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut url = format!("{}?lastSurname={surname}&pageSize=3", data("students"));
        if let Some(t) = &token {
            url.push_str(&format!("&pageToken={t}"));
        }
        let page = api.get(&url, &[]).await;
        seen.extend(
            page.json().as_array().unwrap().iter().map(|s| s["firstName"].as_str().unwrap().to_owned()),
        );
        match page.header("Next-Page-Token") {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..7).map(|i| format!("F{i}")).collect::<Vec<_>>(),
        "every item once, in insertion order"
    );
    let bad = api.get(&format!("{}?pageToken=garbage", data("students")), &[]).await;
    bad.assert_problem(400, "urn:ed-fi:api:bad-request");
    api.get(&format!("{}?schoolId=abc", data("sessions")), &[])
        .await
        .assert_problem(400, "urn:ed-fi:api:bad-request");
}

#[tokio::test]
async fn metadata_describes_every_resource() {
    let api = Api::new().await;
    let index = api.get("/metadata/", &[]).await.json();
    let endpoints: Vec<&str> =
        index.as_array().unwrap().iter().map(|e| e["endpointUri"].as_str().unwrap()).collect();
    assert_eq!(endpoints.len(), 2);
    for endpoint in endpoints {
        let path = endpoint.strip_prefix(&api.base).expect("absolute URLs on this server");
        let doc = api.get(path, &[]).await.json();
        assert_eq!(doc["servers"][0]["url"], format!("{}/data/v3", api.base));
        assert!(doc["paths"].as_object().unwrap().len() >= 4, "{endpoint}");
    }
    let resources = api.get("/metadata/data/v3/resources/swagger.json", &[]).await.json();
    assert!(resources["paths"]["/ed-fi/studentSchoolAssociations/{id}"].is_object());
    assert!(
        resources["components"]["schemas"]["edFi_student"]["properties"]["studentUniqueId"]
            ["x-Ed-Fi-isIdentity"]
            == true
    );
    let dependencies = api.get("/metadata/data/v3/dependencies", &[]).await.json();
    let order = |resource: &str| {
        dependencies
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["resource"] == resource)
            .map(|d| d["order"].as_i64().unwrap())
            .unwrap()
    };
    assert!(order("/ed-fi/schools") < order("/ed-fi/sessions"));
    assert!(order("/ed-fi/sessions") < order("/ed-fi/courseOfferings"));
    assert!(order("/ed-fi/courseOfferings") < order("/ed-fi/sections"));
}
