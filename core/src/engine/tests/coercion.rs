//! Numbers and booleans sent as strings, as Ed-Fi clients send them, are taken as their type.

use super::*;

const SCHOOL_YEARS: &str = "/data/v3/ed-fi/schoolYearTypes";

fn school_year(year: Value, current: Value) -> Value {
    json!({"schoolYear": year, "schoolYearDescription": "2026-2027", "currentSchoolYear": current})
}

fn post_year(body: &Value) -> Request {
    raw("POST", SCHOOL_YEARS, body.to_string())
}

#[test]
fn numeric_and_boolean_strings_are_stored_as_their_type() {
    let mut api = Api::new();
    let created = api.expect(post_year(&school_year(json!("2027"), json!("TRUE"))), 201);
    let path = header(&created, "Location").trim_start_matches(BASE_URL).to_owned();
    let read = api.send(Request::new("GET", &path));
    let stored = body(&read);
    assert_eq!((&stored["schoolYear"], &stored["currentSchoolYear"]), (&json!(2027), &json!(true)));
    // The content, its ETag and its natural key are the typed value's: the typed body is the same
    // item with the same content.
    let typed = api.expect(post_year(&school_year(json!(2027), json!(true))), 200);
    assert_eq!(header(&typed, "Location"), header(&created, "Location"));
    assert_eq!(header(&typed, "ETag"), header(&created, "ETag"));
    let found = api.send(Request::new("GET", &format!("{SCHOOL_YEARS}?schoolYear=2027")));
    assert_eq!(body(&found).as_array().map(Vec::len), Some(1));
}

#[test]
fn references_and_nested_members_are_coerced_too() {
    let mut api = Api::new();
    api.expect(post_year(&school_year(json!(2027), json!(false))), 201);
    for (resource, body) in [
        (
            "termDescriptors",
            json!({"namespace": "uri://ed-fi.org/TermDescriptor", "codeValue": "Fall", "shortDescription": "Fall"}),
        ),
        (
            "educationOrganizationCategoryDescriptors",
            json!({"namespace": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor", "codeValue": "School", "shortDescription": "School"}),
        ),
        (
            "gradeLevelDescriptors",
            json!({"namespace": "uri://ed-fi.org/GradeLevelDescriptor", "codeValue": "Ninth grade", "shortDescription": "Ninth grade"}),
        ),
    ] {
        api.expect(raw("POST", &format!("/data/v3/ed-fi/{resource}"), body.to_string()), 201);
    }
    let school = json!({
        "schoolId": "255901001", "nameOfInstitution": "Grand Bend High School",
        "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School"}],
        "gradeLevels": [{"gradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"}],
    });
    api.expect(raw("POST", "/data/v3/ed-fi/schools", school.to_string()), 201);
    let session = json!({
        "sessionName": "Fall", "schoolReference": {"schoolId": "255901001"},
        "schoolYearTypeReference": {"schoolYear": "2027"}, "beginDate": "2026-08-17", "endDate": "2026-12-18",
        "termDescriptor": "uri://ed-fi.org/TermDescriptor#Fall", "totalInstructionalDays": "80",
    });
    let created = api.expect(raw("POST", "/data/v3/ed-fi/sessions", session.to_string()), 201);
    let path = header(&created, "Location").trim_start_matches(BASE_URL).to_owned();
    let stored = body(&api.send(Request::new("GET", &path)));
    assert_eq!(stored["schoolReference"]["schoolId"], json!(255901001));
    assert_eq!(stored["schoolYearTypeReference"]["schoolYear"], json!(2027));
    assert_eq!(stored["totalInstructionalDays"], json!(80));
}

#[test]
fn strings_that_are_not_exact_spellings_stay_strings_and_are_refused() {
    let mut api = Api::new();
    for (year, current) in [
        (json!("2027.0"), json!(true)),
        (json!(" 2027"), json!(true)),
        (json!("+2027"), json!(true)),
        (json!("twenty"), json!(true)),
        (json!("99999999999999999999"), json!(true)),
        (json!(2027), json!("yes")),
        (json!(2027), json!("1")),
    ] {
        let response = api.send(post_year(&school_year(year.clone(), current.clone())));
        assert_problem(&response, 400, DATA_VALIDATION, &format!("{year} {current}"));
    }
    assert_eq!(api.store.count("schoolYearTypes", &Selection::default()).unwrap(), 0);
}
