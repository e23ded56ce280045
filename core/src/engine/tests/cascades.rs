//! Key-change cascades: every referring item stays valid, or nothing changes.

use super::*;

const DEPENDENT: &str = "urn:ed-fi:api:data-conflict:dependent-item-exists";

pub(super) fn session(school_id: i64, name: &str) -> Value {
    json!({
        "sessionName": name, "schoolReference": {"schoolId": school_id}, "schoolYearTypeReference": {"schoolYear": 2027},
        "beginDate": "2026-08-17", "endDate": "2026-12-18", "termDescriptor": uri("TermDescriptor", "Fall Semester"),
        "totalInstructionalDays": 80,
    })
}

/// Two schools; at the first, a session with a course offering and a section of it. Returns the
/// session's id.
pub(super) fn district(api: &mut Api) -> String {
    for (resource, body) in [
        (
            "educationOrganizationCategoryDescriptors",
            descriptor("EducationOrganizationCategoryDescriptor", "School"),
        ),
        ("gradeLevelDescriptors", descriptor("GradeLevelDescriptor", "Ninth grade")),
        ("termDescriptors", descriptor("TermDescriptor", "Fall Semester")),
        (
            "courseIdentificationSystemDescriptors",
            descriptor("CourseIdentificationSystemDescriptor", "LEA course code"),
        ),
        (
            "schoolYearTypes",
            json!({"schoolYear": 2027, "schoolYearDescription": "2026-2027", "currentSchoolYear": true}),
        ),
        ("schools", school(100)),
        ("schools", school(200)),
        (
            "courses",
            json!({
                "courseCode": "ALG-1", "educationOrganizationReference": {"educationOrganizationId": 100},
                "courseTitle": "Algebra I", "numberOfParts": 1,
                "identificationCodes": [{"courseIdentificationSystemDescriptor": uri("CourseIdentificationSystemDescriptor", "LEA course code"), "identificationCode": "ALG-1"}],
            }),
        ),
    ] {
        api.expect(to(resource, &body), 201);
    }
    let created = api.expect(to("sessions", &session(100, "Fall")), 201);
    let session_id = header(&created, "Location").rsplit('/').next().unwrap().to_owned();
    api.expect(
        to(
            "courseOfferings",
            &json!({
                "localCourseCode": "ALG-1", "schoolReference": {"schoolId": 100},
                "sessionReference": {"schoolId": 100, "schoolYear": 2027, "sessionName": "Fall"},
                "courseReference": {"courseCode": "ALG-1", "educationOrganizationId": 100},
            }),
        ),
        201,
    );
    api.expect(to("sections", &json!({
        "sectionIdentifier": "ALG-1-01",
        "courseOfferingReference": {"localCourseCode": "ALG-1", "schoolId": 100, "schoolYear": 2027, "sessionName": "Fall"},
    })), 201);
    session_id
}

pub(super) fn session_item(id: &str) -> String {
    format!("/data/v3/ed-fi/sessions/{id}")
}

#[test]
fn moving_a_session_to_another_school_under_its_offerings_is_409_and_changes_nothing() {
    let mut api = Api::new();
    let session_id = district(&mut api);
    let before = api.store.clone();
    // The offering's session and school references share schoolId (key unification): carrying
    // the session's new school into one but not the other would make the offering invalid.
    let moved = raw("PUT", &session_item(&session_id), session(200, "Fall").to_string());
    let response = api.send(moved);
    let problem = assert_problem(&response, 409, DEPENDENT, "session moved");
    let errors = problem["errors"].to_string();
    assert!(errors.contains("courseOfferings item"), "{problem}");
    assert!(errors.contains("schoolId"), "{problem}");
    assert_eq!(api.store, before, "nothing changed, not even the session");
}

#[test]
fn renaming_a_session_cascades_through_offerings_to_sections_once_each() {
    let mut api = Api::new();
    let session_id = district(&mut api);
    let newest = api.store.newest_change_version().unwrap();
    api.expect(raw("PUT", &session_item(&session_id), session(100, "Autumn").to_string()), 204);
    let all = |api: &Api, resource: &str| -> Vec<Value> {
        let page = api.store.page(resource, &Selection::default(), 0, 10).unwrap();
        page.into_iter().map(|(_, d)| serde_json::from_str(&d.content).unwrap()).collect()
    };
    let offerings = all(&api, "courseOfferings");
    assert_eq!(offerings[0]["sessionReference"]["sessionName"], "Autumn");
    let sections = all(&api, "sections");
    assert_eq!(sections[0]["courseOfferingReference"]["sessionName"], "Autumn");
    // Session, offering and section: one new change version each.
    assert_eq!(api.store.newest_change_version().unwrap(), newest + 3);
    for resource in ["sessions", "courseOfferings", "sections"] {
        let changes = api.store.key_changes(resource, &Selection::default(), 0, 10).unwrap();
        assert_eq!(changes.len(), 1, "{resource}: {changes:?}");
    }
}

/// `n` more sections of the district's one course offering.
fn more_sections(api: &mut Api, n: usize) {
    for i in 0..n {
        api.expect(to("sections", &json!({
            "sectionIdentifier": format!("ALG-1-{:04}", i + 2),
            "courseOfferingReference": {"localCourseCode": "ALG-1", "schoolId": 100, "schoolYear": 2027, "sessionName": "Fall"},
        })), 201);
    }
}

#[test]
fn a_key_change_rewrites_at_most_the_cascade_bound_and_past_it_changes_nothing() {
    // The offering and its sections: exactly the bound is rewritten.
    let mut api = Api::new();
    let session_id = district(&mut api);
    more_sections(&mut api, super::super::write::MAX_CASCADE_ITEMS - 2);
    api.expect(raw("PUT", &session_item(&session_id), session(100, "Autumn").to_string()), 204);

    // One item more, and the request is refused whole before any write.
    let mut api = Api::new();
    let session_id = district(&mut api);
    more_sections(&mut api, super::super::write::MAX_CASCADE_ITEMS - 1);
    let before = api.snapshot();
    let problem = api.refuse(
        raw("PUT", &session_item(&session_id), session(100, "Autumn").to_string()),
        409,
        DEPENDENT,
    );
    assert!(problem["errors"][0].as_str().unwrap().contains("more than 1000 referring items"), "{problem}");
    assert_eq!(api.snapshot(), before);
}

#[test]
fn a_refused_delete_names_a_few_referrers_however_many_there_are() {
    let mut api = Api::new();
    district(&mut api);
    more_sections(&mut api, 30);
    let offering = api.store.page("courseOfferings", &Selection::default(), 0, 1).unwrap()[0].1.id.clone();
    let problem = api.refuse(
        raw("DELETE", &format!("/data/v3/ed-fi/courseOfferings/{offering}"), String::new()),
        409,
        DEPENDENT,
    );
    let named = problem["errors"].as_array().unwrap();
    assert_eq!(named.len(), 5, "{problem}");
    assert!(named.iter().all(|e| e.as_str().unwrap().starts_with("Referenced by sections item ")));
}
