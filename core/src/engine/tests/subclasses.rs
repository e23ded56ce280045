//! Abstract resources: an `educationOrganizationReference` names any kind of education
//! organization, and the kinds share one key space.

use super::*;

const DEPENDENT: &str = "urn:ed-fi:api:data-conflict:dependent-item-exists";
const NON_UNIQUE: &str = "urn:ed-fi:api:data-conflict:non-unique-values";
const UNRESOLVED: &str = "urn:ed-fi:api:data-conflict:unresolved-reference";

fn location_id(response: &Response) -> String {
    header(response, "Location").rsplit('/').next().unwrap().to_owned()
}

/// Descriptors, a school 100 and a local education agency 200; their ids.
fn organizations(api: &mut Api) -> (String, String) {
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
        (
            "courseIdentificationSystemDescriptors",
            descriptor("CourseIdentificationSystemDescriptor", "LEA course code"),
        ),
    ] {
        api.expect(to(resource, &body), 201);
    }
    let school = api.expect(to("schools", &school(100)), 201);
    let agency = api.expect(to("localEducationAgencies", &agency(200)), 201);
    (location_id(&school), location_id(&agency))
}

fn agency(id: i64) -> Value {
    json!({
        "localEducationAgencyId": id, "nameOfInstitution": format!("District {id}"),
        "categories": [{"educationOrganizationCategoryDescriptor": uri("EducationOrganizationCategoryDescriptor", "School")}],
        "localEducationAgencyCategoryDescriptor": uri("LocalEducationAgencyCategoryDescriptor", "Independent"),
    })
}

fn course(code: &str, organization: i64) -> Value {
    json!({
        "courseCode": code, "courseTitle": code, "numberOfParts": 1,
        "educationOrganizationReference": {"educationOrganizationId": organization},
        "identificationCodes": [{"courseIdentificationSystemDescriptor": uri("CourseIdentificationSystemDescriptor", "LEA course code"), "identificationCode": code}],
    })
}

#[test]
fn an_education_organization_reference_resolves_to_any_kind_and_links_to_it() {
    let mut api = Api::new();
    let (school_id, agency_id) = organizations(&mut api);
    for (code, organization, rel, resource, id) in [
        ("ALG-1", 100, "School", "schools", &school_id),
        ("ALG-2", 200, "LocalEducationAgency", "localEducationAgencies", &agency_id),
    ] {
        let created = api.expect(to("courses", &course(code, organization)), 201);
        let path = header(&created, "Location").trim_start_matches(BASE_URL).to_owned();
        let stored = body(&api.send(Request::new("GET", &path)));
        assert_eq!(
            stored["educationOrganizationReference"]["link"],
            json!({"rel": rel, "href": format!("/ed-fi/{resource}/{id}")})
        );
    }
    let problem = api.refuse(to("courses", &course("ALG-3", 300)), 409, UNRESOLVED);
    assert!(problem["validationErrors"]["$.educationOrganizationReference"].is_array(), "{problem}");
}

#[test]
fn two_kinds_of_education_organization_cannot_share_an_id() {
    let mut api = Api::new();
    organizations(&mut api);
    api.refuse(to("localEducationAgencies", &agency(100)), 409, NON_UNIQUE);
    api.refuse(to("schools", &school(200)), 409, NON_UNIQUE);
    // The same kind with the same id is an upsert, as always.
    api.expect(to("schools", &school(100)), 200);
}

#[test]
fn an_organization_referenced_through_its_abstract_resource_cannot_be_deleted() {
    let mut api = Api::new();
    let (school_id, _) = organizations(&mut api);
    api.expect(to("courses", &course("ALG-1", 100)), 201);
    let problem =
        api.refuse(Request::new("DELETE", &format!("/data/v3/ed-fi/schools/{school_id}")), 409, DEPENDENT);
    assert!(problem["errors"].to_string().contains("courses"), "{problem}");
}
