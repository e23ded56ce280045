//! Integers: a value is stored and returned exactly as sent or refused, in a body and in a filter.
//! Canonical JSON writes every number as the double it denotes, so an integer beyond ±(2^53 − 1)
//! would come back changed (`9007199254740993` as `9007199254740992`) and match other values.

use super::*;

const SCHOOLS: &str = "/data/v3/ed-fi/schools";
const COURSE_OFFERINGS: &str = "/data/v3/ed-fi/courseOfferings";
/// 2^53 − 1, the largest integer canonical JSON stores exactly.
const SAFE: &str = "9007199254740991";
const SAFE_RANGE: &str = "from -9007199254740991 to 9007199254740991";

/// An instance with the descriptors a school needs.
fn school_api() -> Api {
    let mut api = Api::new();
    for (resource, namespace, code) in [
        ("educationOrganizationCategoryDescriptors", "EducationOrganizationCategoryDescriptor", "School"),
        ("gradeLevelDescriptors", "GradeLevelDescriptor", "Ninth grade"),
    ] {
        let descriptor = json!({
            "namespace": format!("uri://ed-fi.org/{namespace}"),
            "codeValue": code,
            "shortDescription": code,
        });
        api.expect(raw("POST", &format!("/data/v3/ed-fi/{resource}"), descriptor.to_string()), 201);
    }
    api
}

/// A school body with `school_id` written as this JSON text.
fn school(school_id: &str) -> Vec<u8> {
    format!(
        r#"{{"schoolId":{school_id},"nameOfInstitution":"Grand Bend High School",
            "educationOrganizationCategories":[{{"educationOrganizationCategoryDescriptor":
                "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School"}}],
            "gradeLevels":[{{"gradeLevelDescriptor":"uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"}}]}}"#
    )
    .into_bytes()
}

fn schools_stored(api: &Api) -> usize {
    api.store.clone().page("schools", &Selection::default(), 0, u64::MAX).unwrap().len()
}

fn list_schools(api: &mut Api, query: &str) -> Response {
    api.send(Request::new("GET", &format!("{SCHOOLS}?{query}")))
}

#[test]
fn a_school_id_beyond_the_safe_integers_is_400_and_stores_nothing() {
    let mut api = school_api();
    for school_id in [
        "9007199254740993",
        "9007199254740992",
        "-9007199254740992",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551616",
        "1e16",
    ] {
        let problem = api.refuse(raw("POST", SCHOOLS, school(school_id)), 400, DATA_VALIDATION);
        let messages = &problem["validationErrors"]["$.schoolId"];
        assert!(
            messages[0].as_str().is_some_and(|m| m.contains(SAFE_RANGE)),
            "schoolId {school_id}: {problem}"
        );
        assert_eq!(schools_stored(&api), 0, "schoolId {school_id} was stored");
    }
}

#[test]
fn a_school_id_at_the_safe_limits_is_stored_returned_and_found_as_sent() {
    let mut api = school_api();
    for school_id in [SAFE, "-9007199254740991"] {
        let response = api.expect(raw("POST", SCHOOLS, school(school_id)), 201);
        let path = header(&response, "Location").strip_prefix(BASE_URL).unwrap().to_owned();
        let got = api.send(Request::new("GET", &path));
        assert!(text(&got).contains(&format!(r#""schoolId":{school_id}"#)), "{}", text(&got));
        let found = list_schools(&mut api, &format!("schoolId={school_id}"));
        assert_eq!(body(&found).as_array().map(Vec::len), Some(1), "?schoolId={school_id}");
    }
}

/// `?schoolId=9007199254740993` must not match a stored 9007199254740992 (SQLite binds the value
/// as a JavaScript number, which rounds it); a filter value outside the field's range is a 400.
#[test]
fn a_filter_value_outside_the_fields_range_is_400() {
    let mut api = school_api();
    api.expect(raw("POST", SCHOOLS, school(SAFE)), 201);
    for school_id in ["9007199254740993", "9007199254740992", "-9007199254740992", "9223372036854775808"] {
        let query = format!("schoolId={school_id}");
        let problem = api.refuse(Request::new("GET", &format!("{SCHOOLS}?{query}")), 400, BAD_REQUEST);
        let message = problem["errors"][0].as_str().unwrap_or_default();
        assert!(message.contains("schoolId") && message.contains(SAFE_RANGE), "?{query}: {problem}");
    }
    for (path, query, range) in [
        (COURSE_OFFERINGS, "instructionalTimePlanned=2147483648", "from 1 to 2147483647"),
        (COURSE_OFFERINGS, "instructionalTimePlanned=0", "from 1 to 2147483647"),
        ("/data/v3/ed-fi/sessions", "totalInstructionalDays=-1", "from 0 to 2147483647"),
        ("/data/v3/ed-fi/schoolYearTypes", "schoolYear=1899", "from 1900 to 2100"),
        ("/data/v3/ed-fi/sections", "sequenceOfCourse=9", "from 1 to 8"),
    ] {
        let problem = api.refuse(Request::new("GET", &format!("{path}?{query}")), 400, BAD_REQUEST);
        let message = problem["errors"][0].as_str().unwrap_or_default();
        assert!(message.contains(range), "{path}?{query}: {problem}");
    }
    let found = list_schools(&mut api, &format!("schoolId={SAFE}"));
    assert_eq!(body(&found).as_array().map(Vec::len), Some(1));
}

/// `instructionalTimePlanned` is a `Duration`: `xs:int` with `minInclusive` 1.
#[test]
fn a_32_bit_field_outside_its_xsd_range_is_400() {
    let mut api = Api::new();
    for minutes in ["2147483648", "9007199254740991", "0", "-1"] {
        let offering = format!(
            r#"{{"localCourseCode":"ALG-1","schoolReference":{{"schoolId":1}},
                "sessionReference":{{"schoolId":1,"schoolYear":2027,"sessionName":"Fall"}},
                "courseReference":{{"courseCode":"ALG-1","educationOrganizationId":1}},
                "instructionalTimePlanned":{minutes}}}"#
        );
        let problem = api.refuse(raw("POST", COURSE_OFFERINGS, offering), 400, DATA_VALIDATION);
        assert_eq!(
            problem["validationErrors"],
            json!({ "$.instructionalTimePlanned": ["must be a whole number from 1 to 2147483647."] }),
            "instructionalTimePlanned {minutes}"
        );
    }
}
