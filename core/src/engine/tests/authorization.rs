//! Claim sets and scopes: what a client may do, and which items it reaches, decided before
//! preconditions and with the relationships the store holds at that moment.

use super::*;
use crate::authorization::claim_sets::{self, Action, ClaimSet, Family, ResourceClaim, Strategy};
use crate::authorization::{Scope, TYPE_ACTION_DENIED, TYPE_NAMESPACE_DENIED};
use crate::problem::TYPE_AUTHORIZATION;
use crate::problem::TYPE_OPTIMISTIC_LOCK_FAILED;
use crate::resources;
use crate::sample::Samples;

const SCHOOL_A: i64 = 100;
const SCHOOL_B: i64 = 300;
const AGENCY: i64 = 200;
const SSA: &str = "/data/v3/ed-fi/studentSchoolAssociations";

fn scope(claim_set: &str, organizations: &[i64], namespaces: &[&str]) -> Option<Scope> {
    Some(Scope {
        claim_set: claim_sets::find_built_in(claim_set).expect("a built-in claim set").clone(),
        education_organization_ids: organizations.to_vec(),
        namespace_prefixes: namespaces.iter().map(|n| (*n).to_owned()).collect(),
    })
}

/// A school, under `agency` if any.
fn school_of(id: i64, agency: Option<i64>) -> Value {
    let body = school(id);
    match agency {
        Some(agency) => {
            with(body, "localEducationAgencyReference", json!({"localEducationAgencyId": agency}))
        }
        None => body,
    }
}

fn enrollment(student: &str, school: i64) -> Value {
    json!({
        "entryDate": "2026-08-20",
        "entryGradeLevelDescriptor": uri("GradeLevelDescriptor", "Ninth grade"),
        "schoolReference": {"schoolId": school},
        "studentReference": {"studentUniqueId": student},
    })
}

/// An instance with agency 200 over school 100, school 300 on its own, student `A1` enrolled at
/// 100 and `B1` at 300; the ids of the two students.
fn district() -> (Api, String, String) {
    let mut api = Api::new();
    for (resource, body) in [
        (
            "educationOrganizationCategoryDescriptors",
            descriptor("EducationOrganizationCategoryDescriptor", "School"),
        ),
        ("gradeLevelDescriptors", descriptor("GradeLevelDescriptor", "Ninth grade")),
        (
            "localEducationAgencyCategoryDescriptors",
            descriptor("LocalEducationAgencyCategoryDescriptor", "Independent"),
        ),
    ] {
        api.expect(to(resource, &body), 201);
    }
    let agency = json!({
        "localEducationAgencyId": AGENCY, "nameOfInstitution": "District",
        "categories": [{"educationOrganizationCategoryDescriptor": uri("EducationOrganizationCategoryDescriptor", "School")}],
        "localEducationAgencyCategoryDescriptor": uri("LocalEducationAgencyCategoryDescriptor", "Independent"),
    });
    api.expect(to("localEducationAgencies", &agency), 201);
    api.expect(to("schools", &school_of(SCHOOL_A, Some(AGENCY))), 201);
    api.expect(to("schools", &school_of(SCHOOL_B, None)), 201);
    let (a1, _) = api.create(&student("A1"));
    let (b1, _) = api.create(&student("B1"));
    api.expect(to("studentSchoolAssociations", &enrollment("A1", SCHOOL_A)), 201);
    api.expect(to("studentSchoolAssociations", &enrollment("B1", SCHOOL_B)), 201);
    (api, a1, b1)
}

fn listed_students(api: &mut Api, query: &str) -> (Vec<String>, String) {
    let response = api.send(list(query));
    assert_eq!(response.status, 200, "{}", text(&response));
    let ids = body(&response)
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["studentUniqueId"].as_str().unwrap().to_owned())
        .collect();
    (ids, response.header("Total-Count").unwrap_or("").to_owned())
}

#[test]
fn a_school_vendor_reads_lists_and_writes_only_its_schools_students() {
    let (mut api, a1, b1) = district();
    api.scope = scope(claim_sets::SIS_VENDOR, &[SCHOOL_A], &[]);
    assert_eq!(listed_students(&mut api, "totalCount=true"), (vec!["A1".to_owned()], "1".to_owned()));
    assert_eq!(api.get(&a1).status, 200);
    let refused = assert_problem(&api.get(&b1), 403, TYPE_AUTHORIZATION, "GET of school B's student");
    assert!(refused["errors"][0].as_str().unwrap().contains("'B1'"), "{refused}");
    // 403 before 412: a stale If-Match on an item the client may not touch tells it nothing.
    let stale = put(&b1, &renamed("B1", "Changed")).header("If-Match", "\"stale\"");
    api.refuse(stale, 403, TYPE_AUTHORIZATION);
    api.refuse(delete(&b1).header("If-Match", "\"stale\""), 403, TYPE_AUTHORIZATION);
    api.refuse(post(&renamed("B1", "Upserted")), 403, TYPE_AUTHORIZATION);
    // Its own student it may change, and a stale If-Match there is the usual 412.
    api.refuse(
        put(&a1, &renamed("A1", "Changed")).header("If-Match", "\"stale\""),
        412,
        TYPE_OPTIMISTIC_LOCK_FAILED,
    );
    api.expect(put(&a1, &renamed("A1", "Changed")), 204);
}

#[test]
fn a_vendor_enrolls_students_only_in_its_schools() {
    let (mut api, _, _) = district();
    api.scope = scope(claim_sets::SIS_VENDOR, &[SCHOOL_A], &[]);
    // A new person has no relationship yet: creating one needs none.
    let (new, _) = api.create(&student("N1"));
    assert_eq!(api.get(&new).status, 403, "not reachable before an enrollment");
    let at_b = raw("POST", SSA, enrollment("N1", SCHOOL_B).to_string());
    let refused = api.refuse(at_b, 403, TYPE_AUTHORIZATION);
    assert!(refused["errors"][0].as_str().unwrap().contains("300"), "{refused}");
    api.expect(raw("POST", SSA, enrollment("N1", SCHOOL_A).to_string()), 201);
    assert_eq!(api.get(&new).status, 200, "reachable through its enrollment at once");
}

#[test]
fn a_student_who_leaves_disappears_from_the_vendors_collections_at_once() {
    let (mut api, a1, _) = district();
    api.scope = scope(claim_sets::SIS_VENDOR, &[SCHOOL_A], &[]);
    assert_eq!(listed_students(&mut api, "").0, vec!["A1"]);
    let enrollments = api.send(Request::new("GET", SSA));
    let enrollment_id = body(&enrollments)[0]["id"].as_str().unwrap().to_owned();
    api.expect(Request::new("DELETE", &format!("{SSA}/{enrollment_id}")), 204);
    assert_eq!(listed_students(&mut api, "totalCount=true"), (Vec::<String>::new(), "0".to_owned()));
    assert_eq!(api.get(&a1).status, 403);
}

#[test]
fn a_local_agency_client_reaches_every_school_below_it() {
    let (mut api, a1, b1) = district();
    api.scope = scope(claim_sets::SIS_VENDOR, &[AGENCY], &[]);
    assert_eq!(listed_students(&mut api, "").0, vec!["A1"]);
    assert_eq!(api.get(&a1).status, 200);
    assert_eq!(api.get(&b1).status, 403);
    // A school moved under the agency is reached from then on.
    api.scope = None;
    api.expect(to("schools", &school_of(SCHOOL_B, Some(AGENCY))), 200);
    api.scope = scope(claim_sets::SIS_VENDOR, &[AGENCY], &[]);
    assert_eq!(listed_students(&mut api, "").0, vec!["A1", "B1"]);
}

#[test]
fn a_read_only_claim_set_is_refused_every_write_before_anything_else() {
    let (mut api, a1, _) = district();
    api.scope = scope(claim_sets::READ_ONLY, &[SCHOOL_A], &[]);
    assert_eq!(api.get(&a1).status, 200);
    let etag = header(&api.get(&a1), "ETag").to_owned();
    api.refuse(post(&student("R1")), 403, TYPE_ACTION_DENIED);
    api.refuse(put(&a1, &renamed("A1", "X")).header("If-Match", &etag), 403, TYPE_ACTION_DENIED);
    api.refuse(put(&a1, &renamed("A1", "X")).header("If-Match", "\"stale\""), 403, TYPE_ACTION_DENIED);
    api.refuse(delete(&a1), 403, TYPE_ACTION_DENIED);
    // Even an unreadable body: the claim set is decided first.
    api.refuse(raw("POST", STUDENTS, "{not json"), 403, TYPE_ACTION_DENIED);
}

#[test]
fn change_queries_need_read_changes() {
    let (mut api, _, _) = district();
    let mut reads_only = claim_sets::find_built_in(claim_sets::FULL_ACCESS).unwrap().clone();
    reads_only.name = "Reads only".into();
    reads_only.resource_claims = vec![ResourceClaim {
        resources: Vec::new(),
        families: vec![Family::All],
        actions: [(Action::Read, vec![Strategy::NoFurtherAuthorizationRequired])].into(),
    }];
    api.scope =
        Some(Scope { claim_set: reads_only, education_organization_ids: vec![], namespace_prefixes: vec![] });
    assert_eq!(listed_students(&mut api, "").0.len(), 2);
    for query in ["minChangeVersion=0", "maxChangeVersion=100"] {
        assert_problem(&api.send(list(query)), 403, TYPE_ACTION_DENIED, query);
    }
    for path in [format!("{STUDENTS}/deletes"), format!("{STUDENTS}/keyChanges")] {
        assert_problem(&api.send(Request::new("GET", &path)), 403, TYPE_ACTION_DENIED, &path);
    }
}

#[test]
fn change_queries_and_deletes_show_only_reached_items() {
    let (mut api, _, _) = district();
    // Both enrollments deleted: /deletes shows the vendor only its school's.
    let all = body(&api.send(Request::new("GET", SSA)));
    for enrollment in all.as_array().unwrap() {
        api.expect(Request::new("DELETE", &format!("{SSA}/{}", enrollment["id"].as_str().unwrap())), 204);
    }
    api.scope = scope(claim_sets::SIS_VENDOR, &[SCHOOL_A], &[]);
    let deletes = body(&api.send(Request::new("GET", &format!("{SSA}/deletes"))));
    let schools: Vec<i64> =
        deletes.as_array().unwrap().iter().map(|d| d["keyValues"]["schoolId"].as_i64().unwrap()).collect();
    assert_eq!(schools, vec![SCHOOL_A]);
}

#[test]
fn an_assessment_vendor_writes_only_under_its_namespace() {
    let mut api = Api::new();
    let mut samples = Samples::new();
    let assessment = samples.item(resources::get("assessments"));
    for (def, body) in samples.take() {
        api.expect(to(def.name, &body), 201);
    }
    api.scope = scope(claim_sets::ASSESSMENT_VENDOR, &[], &["uri://vendor.example/"]);
    let ours = with(
        with(assessment.clone(), "namespace", json!("uri://VENDOR.example/tests")),
        "assessmentIdentifier",
        json!("ours"),
    );
    api.expect(to("assessments", &ours), 201);
    let theirs = with(assessment.clone(), "assessmentIdentifier", json!("theirs"));
    let refused = api.refuse(to("assessments", &theirs), 403, TYPE_NAMESPACE_DENIED);
    assert!(refused["errors"][0].as_str().unwrap().contains("namespace"), "{refused}");
    let listed = body(&api.send(Request::new("GET", "/data/v3/ed-fi/assessments")));
    let identifiers: Vec<&str> =
        listed.as_array().unwrap().iter().map(|a| a["assessmentIdentifier"].as_str().unwrap()).collect();
    assert_eq!(identifiers, vec!["ours"], "the sample's assessment is under another namespace");
    // It reads descriptors (no further authorization), and writes them only under its namespace.
    assert_eq!(api.send(Request::new("GET", "/data/v3/ed-fi/gradeLevelDescriptors")).status, 200);
    let foreign = descriptor("GradeLevelDescriptor", "Vendor grade");
    api.refuse(to("gradeLevelDescriptors", &foreign), 403, TYPE_NAMESPACE_DENIED);
    let own = json!({"namespace": "uri://vendor.example/GradeLevelDescriptor", "codeValue": "V", "shortDescription": "V"});
    api.expect(to("gradeLevelDescriptors", &own), 201);
    // Students it may only read, and only through relationships (it has no organizations).
    api.refuse(post(&student("V1")), 403, TYPE_ACTION_DENIED);
}

#[test]
fn full_access_is_the_same_as_no_scope() {
    let (mut api, a1, b1) = district();
    api.scope = scope(claim_sets::FULL_ACCESS, &[], &[]);
    assert_eq!(
        listed_students(&mut api, "totalCount=true"),
        (vec!["A1".to_owned(), "B1".to_owned()], "2".to_owned())
    );
    assert_eq!(api.get(&a1).status, 200);
    assert_eq!(api.get(&b1).status, 200);
    api.expect(put(&b1, &renamed("B1", "Changed")), 204);
}

#[test]
fn a_claim_set_that_names_no_family_of_a_resource_denies_it() {
    let (mut api, a1, _) = district();
    let set = ClaimSet {
        name: "Schools only".into(),
        resource_claims: vec![ResourceClaim {
            resources: vec!["schools".into()],
            families: Vec::new(),
            actions: [(Action::Read, vec![Strategy::NoFurtherAuthorizationRequired])].into(),
        }],
    };
    api.scope =
        Some(Scope { claim_set: set, education_organization_ids: vec![], namespace_prefixes: vec![] });
    assert_eq!(api.send(Request::new("GET", "/data/v3/ed-fi/schools")).status, 200);
    assert_problem(&api.get(&a1), 403, TYPE_ACTION_DENIED, "students are in no claim");
}

#[test]
fn staff_and_contacts_are_reached_through_their_associations() {
    let (mut api, _, _) = district();
    api.expect(
        to("staffClassificationDescriptors", &descriptor("StaffClassificationDescriptor", "Teacher")),
        201,
    );
    let staff = |id: &str| json!({"staffUniqueId": id, "firstName": "Tess", "lastSurname": "Ng"});
    let a_teacher = header(&api.expect(to("staffs", &staff("T-A")), 201), "Location")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let b_teacher = header(&api.expect(to("staffs", &staff("T-B")), 201), "Location")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    for (teacher, school) in [("T-A", SCHOOL_A), ("T-B", SCHOOL_B)] {
        let assignment = json!({
            "beginDate": "2026-08-01",
            "staffClassificationDescriptor": uri("StaffClassificationDescriptor", "Teacher"),
            "educationOrganizationReference": {"educationOrganizationId": school},
            "staffReference": {"staffUniqueId": teacher},
        });
        api.expect(to("staffEducationOrganizationAssignmentAssociations", &assignment), 201);
    }
    let contact = |id: &str| json!({"contactUniqueId": id, "firstName": "Cam", "lastSurname": "Diaz"});
    let a_parent = header(&api.expect(to("contacts", &contact("C-A")), 201), "Location")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let b_parent = header(&api.expect(to("contacts", &contact("C-B")), 201), "Location")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    for (parent, student) in [("C-A", "A1"), ("C-B", "B1")] {
        let tie = json!({"contactReference": {"contactUniqueId": parent}, "studentReference": {"studentUniqueId": student}});
        api.expect(to("studentContactAssociations", &tie), 201);
    }
    api.scope = scope(claim_sets::SIS_VENDOR, &[SCHOOL_A], &[]);
    let read = |api: &mut Api, resource: &str, id: &str| {
        api.send(Request::new("GET", &format!("/data/v3/ed-fi/{resource}/{id}"))).status
    };
    assert_eq!(read(&mut api, "staffs", &a_teacher), 200);
    assert_eq!(read(&mut api, "staffs", &b_teacher), 403);
    assert_eq!(read(&mut api, "contacts", &a_parent), 200, "a contact of a student at school A");
    assert_eq!(read(&mut api, "contacts", &b_parent), 403);
    let listed = body(&api.send(Request::new("GET", "/data/v3/ed-fi/contacts")));
    let ids: Vec<&str> =
        listed.as_array().unwrap().iter().map(|c| c["contactUniqueId"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["C-A"]);
    // Tying a contact to a student the vendor does not reach is refused; to its own, allowed.
    let tie = |student: &str| json!({"contactReference": {"contactUniqueId": "C-B"}, "studentReference": {"studentUniqueId": student}});
    api.refuse(to("studentContactAssociations", &tie("B1")), 403, TYPE_AUTHORIZATION);
    api.expect(to("studentContactAssociations", &tie("A1")), 201);
    assert_eq!(read(&mut api, "contacts", &b_parent), 200, "now a contact of A1 too");
}

#[test]
fn history_is_readable_only_where_the_item_is() {
    let (mut api, a1, b1) = district();
    api.expect(put(&a1, &renamed("A1", "Second")), 204);
    api.expect(put(&b1, &renamed("B1", "Second")), 204);
    api.scope = scope(claim_sets::SIS_VENDOR, &[SCHOOL_A], &[]);
    let history = |id: &str| Request::new("GET", &format!("/admin/v1/history/students/{id}"));
    assert_eq!(api.send(history(&a1)).status, 200);
    assert_problem(&api.send(history(&b1)), 403, TYPE_AUTHORIZATION, "another school's student's history");
}
