use serde_json::{json, Value};

use super::answers::{ErrorAnswer, HistoryEntry, MetadataEntry, TokenAnswer};
use super::paths::{self, Param};
use super::*;
use crate::model::{Field, Kind};
use crate::resources;

// --------------------------------------------------------------------------------------- content

/// The link rule goes by name, so that a client needs no model; this holds the model to it:
/// every reference member, at any depth, is named `…Reference`, and no other member is.
#[test]
fn the_model_names_reference_members_and_only_them_reference() {
    fn check(resource: &str, fields: &[Field], path: &str, wrong: &mut Vec<String>, references: &mut usize) {
        for field in fields {
            let path = format!("{path}.{}", field.name);
            let is_reference = matches!(field.kind, Kind::Reference(_));
            *references += usize::from(is_reference);
            if is_reference != is_reference_member(field.name) {
                wrong.push(format!("{resource} {path}"));
            }
            match &field.kind {
                Kind::Object(inner) => check(resource, inner, &path, wrong, references),
                Kind::Collection { item, .. } => {
                    check(resource, item, &format!("{path}[*]"), wrong, references)
                }
                _ => {}
            }
        }
    }
    let mut wrong = Vec::new();
    let mut references = 0;
    for def in resources::definitions() {
        check(def.name, def.fields, "$", &mut wrong, &mut references);
    }
    assert!(wrong.is_empty(), "named against the rule: {wrong:?}");
    assert!(references > 300, "the model has references to check ({references})");
}

#[test]
fn links_are_stripped_from_reference_objects_at_any_depth_and_nowhere_else() {
    let mut body = json!({
        "schoolReference": { "schoolId": 1, "link": { "rel": "School", "href": "/ed-fi/schools/a" } },
        "classPeriods": [{ "classPeriodReference": { "classPeriodName": "1", "link": {} } }],
        "address": { "cityReference": { "name": "x", "link": "l" }, "link": "kept" },
        "link": "kept",
        "Reference": { "link": "kept: no name before the suffix" },
    });
    strip_links(body.as_object_mut().unwrap());
    assert_eq!(
        body,
        json!({
            "schoolReference": { "schoolId": 1 },
            "classPeriods": [{ "classPeriodReference": { "classPeriodName": "1" } }],
            "address": { "cityReference": { "name": "x" }, "link": "kept" },
            "link": "kept",
            "Reference": { "link": "kept: no name before the suffix" },
        })
    );
}

#[test]
fn content_is_what_the_server_hashes() {
    let read = json!({
        "id": "0123", "_etag": "e", "_lastModifiedDate": "2026-01-01T00:00:00Z", "changeVersion": 4,
        "credits": 3.0, "big": 1e3, "none": null,
        "schoolReference": { "schoolId": 1, "link": { "rel": "School" }, "gone": null },
        "items": [null, { "id": "nested ids are content", "x": null }],
    });
    let expected = json!({
        "credits": 3, "big": 1000,
        "schoolReference": { "schoolId": 1 },
        "items": [null, { "id": "nested ids are content" }],
    });
    assert_eq!(content(&read), expected);
    assert_eq!(content_etag(&read), content_etag(&expected));
    assert_eq!(
        content_etag(&read).unwrap(),
        crate::content::Content::from_body(expected.as_object().unwrap()).etag().clone()
    );
    assert!(same_content(&read, &expected));
    assert!(!same_content(&read, &json!({ "credits": 3.5 })));
    assert_eq!(content(&Value::Null), Value::Null, "a tombstone has no content to take apart");
    assert_eq!(content_etag(&json!([1])), None);
}

#[test]
fn the_etag_member_is_the_unquoted_opaque_value() {
    let etag = representation_etag(&json!({ "_etag": "abc" })).unwrap();
    assert_eq!(etag, EntityTag::strong("abc").unwrap());
    assert_eq!(etag.to_string(), "\"abc\"");
    assert_eq!(representation_etag(&json!({ "_etag": 1 })), None);
    assert_eq!(representation_etag(&json!({})), None);
}

#[test]
fn endpoints_compare_case_insensitively() {
    assert!(same_endpoint("Students", "students"));
    assert!(!same_endpoint("students", "student"));
    assert_eq!(endpoint_key("StudentSchoolAssociations"), endpoint_key("studentschoolassociations"));
}

// ----------------------------------------------------------------------------------------- paths

#[test]
fn paths_are_encoded_and_namespaced() {
    assert_eq!(paths::DATA_PREFIX, "/data/v3/ed-fi/");
    assert_eq!(paths::RESOURCES_DOCUMENT, "/metadata/data/v3/resources/swagger.json");
    assert_eq!(paths::collection("students"), "/data/v3/ed-fi/students");
    assert_eq!(paths::item("students", "a/b c"), "/data/v3/ed-fi/students/a%2Fb%20c");
    assert_eq!(paths::history("students", "abc"), "/admin/v1/history/students/abc");
    let weak = EntityTag::parse("W/\"x-1\"").unwrap();
    assert_eq!(paths::version("students", "abc", &weak), "/admin/v1/history/students/abc/x-1");
    assert_eq!(paths::endpoint_of("/ed-fi/students/{id}"), Some("students"));
    assert_eq!(paths::endpoint_of("/ed-fi/students"), Some("students"));
    assert_eq!(paths::endpoint_of("/ed-fi/{id}"), None);
    assert_eq!(paths::endpoint_of("/tpdm/candidates"), None);
    assert_eq!(paths::encode("a-b_c.d~e f/g"), "a-b_c.d~e%20f%2Fg");
    assert_eq!(
        paths::query([("offset", "5"), ("lastSurname", "O'Brien & Sons")]),
        "offset=5&lastSurname=O%27Brien%20%26%20Sons"
    );
}

#[test]
fn query_parameters_are_read_in_any_case() {
    for param in Param::ALL {
        assert_eq!(Param::parse(param.name()), Some(param));
        assert_eq!(Param::parse(&param.name().to_ascii_uppercase()), Some(param));
    }
    assert_eq!(Param::parse("lastSurname"), None);
}

// --------------------------------------------------------------------------------------- answers

#[test]
fn every_problem_the_server_makes_reads_back_whole() {
    let mut errors = ValidationErrors::new();
    errors.insert("$.birthDate".to_owned(), vec!["'birthDate' is required.".to_owned()]);
    for problem in [
        Problem::optimistic_lock_failed(),
        Problem::validation_failed(errors),
        Problem::unresolved_reference(ValidationErrors::new()),
        Problem::idempotency_key_reused(),
        Problem::internal(),
    ] {
        let problem = problem.with_correlation_id("c1");
        let answer = ErrorAnswer::read(std::str::from_utf8(&problem.to_json()).unwrap());
        assert_eq!(answer.detail.as_deref(), Some(problem.detail.as_str()));
        assert_eq!(answer.kind, problem.kind);
        assert_eq!(answer.errors, problem.errors);
        assert_eq!(answer.validation_errors, problem.validation_errors);
        assert!(answer.structured);
        let read: Problem = serde_json::from_slice(&problem.to_json()).unwrap();
        assert_eq!(read, Problem { headers: Vec::new(), ..problem }, "a problem round-trips");
    }
}

#[test]
fn oauth_errors_and_other_apis_answers_read_leniently() {
    let oauth = crate::auth::OAuthError::invalid_client();
    let answer = ErrorAnswer::read(std::str::from_utf8(&oauth.to_json()).unwrap());
    assert_eq!(answer.detail.as_deref(), Some("Client authentication failed."));
    assert_eq!(
        oauth.to_json(),
        br#"{"error":"invalid_client","error_description":"Client authentication failed."}"#
    );
    assert_eq!(ErrorAnswer::read(r#"{"error":"invalid_grant"}"#).detail.as_deref(), Some("invalid_grant"));
    assert_eq!(
        ErrorAnswer::read(r#"{"message":"Authorization denied."}"#).detail.as_deref(),
        Some("Authorization denied.")
    );
    assert_eq!(
        ErrorAnswer::read(r#"{"title":"Not Found","detail":"  "}"#).detail.as_deref(),
        Some("Not Found")
    );
    let odd = ErrorAnswer::read(
        r#"{"detail":"Bad.","status":"400","errors":"one","validationErrors":{"$.a":"too long","$.b":[1]}}"#,
    );
    assert_eq!(odd.detail.as_deref(), Some("Bad."));
    assert_eq!(odd.errors, ["one"]);
    assert_eq!(odd.validation_errors["$.a"], ["too long"]);
    assert_eq!(odd.validation_errors["$.b"], ["1"]);
    assert_eq!(ErrorAnswer::read("Service Unavailable").detail.as_deref(), Some("Service Unavailable"));
    assert_eq!(ErrorAnswer::read("<html>…</html>").detail, None);
    assert_eq!(ErrorAnswer::read("").detail, None);
    assert!(!ErrorAnswer::read("[1]").structured);
}

#[test]
fn a_token_answer_is_written_as_before_and_read_strictly() {
    let answer = TokenAnswer {
        access_token: "t".into(),
        expires_in: Some(3600),
        token_type: answers::TOKEN_TYPE.into(),
    };
    let written = serde_json::to_string(&answer).unwrap();
    assert_eq!(written, r#"{"access_token":"t","expires_in":3600,"token_type":"bearer"}"#);
    assert_eq!(TokenAnswer::read(&serde_json::from_str(&written).unwrap()), Ok(answer));

    let read = |answer: Value| TokenAnswer::read(&answer).map(|a| a.expires_in);
    let year = answers::LONGEST_TOKEN_SECONDS;
    // What is taken, and as what.
    for (given, seconds) in [
        (json!("1800"), Some(1800)),
        (json!(" 60 "), Some(60)),
        (json!(59.9), Some(59)),
        (json!(0), Some(0)),
        (json!(1e300), Some(year)),
        (json!(null), None),
    ] {
        assert_eq!(read(json!({ "access_token": "t", "expires_in": given })), Ok(seconds), "{given}");
    }
    assert_eq!(read(json!({ "access_token": "t" })), Ok(None));
    assert_eq!(read(json!({ "access_token": "t", "token_type": " Bearer " })), Ok(None));
    // What is refused, and what it is told.
    for (answer, said) in [
        (json!("<html>"), "is not a JSON object"),
        (json!([{ "access_token": "t" }]), "is not a JSON object"),
        (json!({ "expires_in": 60 }), "has no access_token"),
        (json!({ "access_token": "" }), "has an empty access_token"),
        (json!({ "access_token": 12345 }), "not a string"),
        (json!({ "access_token": "t1\r\nX-Injected: 1" }), "cannot be sent in a header"),
        (json!({ "access_token": "t é" }), "cannot be sent in a header"),
        (json!({ "access_token": "t", "token_type": "mac" }), "is of type \"mac\", not bearer"),
        (json!({ "access_token": "t", "expires_in": "NaN" }), "no number of seconds: \"NaN\""),
        (json!({ "access_token": "t", "expires_in": "inf" }), "no number of seconds"),
        (json!({ "access_token": "t", "expires_in": -5 }), "no number of seconds: -5"),
        (json!({ "access_token": "t", "expires_in": "soon" }), "no number of seconds"),
        (json!({ "access_token": "t", "expires_in": [60] }), "no number of seconds"),
        (json!({ "access_token": "t", "expires_in": "x".repeat(100) }), "…"),
    ] {
        let refused = TokenAnswer::read(&answer).unwrap_err();
        assert!(refused.contains(said), "{answer}: {refused}");
    }
}

#[test]
fn metadata_entries_and_history_entries_round_trip() {
    let index = crate::openapi::metadata_index("https://x");
    let entries: Vec<MetadataEntry> = serde_json::from_value(index).unwrap();
    let names: Vec<_> = entries.iter().map(|e| (e.name.as_str(), e.endpoint_uri.as_str())).collect();
    assert_eq!(
        names,
        [
            (paths::RESOURCES, "https://x/metadata/data/v3/resources/swagger.json"),
            (paths::DESCRIPTORS, "https://x/metadata/data/v3/descriptors/swagger.json"),
        ]
    );
    let tombstone: HistoryEntry = serde_json::from_value(json!({
        "etag": null, "lastModifiedDate": "2026-01-01T00:00:00Z", "changeVersion": 9, "client": "SIS", "deleted": true,
    }))
    .unwrap();
    assert_eq!(tombstone.etag, None);
    assert_eq!(serde_json::to_value(&tombstone).unwrap()["etag"], Value::Null);
}

/// What a client shares with the server is only the protocol: these modules read no model, run
/// no engine and touch no store, so `wire` stays usable against any Ed-Fi API.
#[test]
fn the_protocol_reads_no_model_and_runs_no_engine() {
    let sources = [
        ("wire/mod.rs", include_str!("mod.rs")),
        ("wire/paths.rs", include_str!("paths.rs")),
        ("wire/answers.rs", include_str!("answers.rs")),
        ("etag.rs", include_str!("../etag.rs")),
        ("content.rs", include_str!("../content.rs")),
        ("canonical.rs", include_str!("../canonical.rs")),
        ("idempotency.rs", include_str!("../idempotency.rs")),
        ("problem.rs", include_str!("../problem.rs")),
    ];
    let engine_side =
        ["model", "resources", "engine", "store", "validate", "openapi", "sample", "links", "interchange"];
    for (file, text) in sources {
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap()
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect();
        for module in engine_side {
            assert!(!code.contains(&format!("crate::{module}")), "{file} uses crate::{module}");
            assert!(!code.contains(&format!("super::{module}")), "{file} uses super::{module}");
        }
    }
}

#[test]
fn a_validation_errors_path_names_its_member_and_an_items_url_its_id() {
    for (path, member) in [
        ("$.studentUniqueId", Some("studentUniqueId")),
        ("$.addresses[0].city", Some("city")),
        ("$.addresses[0]", Some("addresses")),
        ("$.a[1][2]", Some("a")),
        ("$", None),
        ("", None),
    ] {
        assert_eq!(member_of_path(path), member, "{path}");
    }
    for (url, item) in [
        ("/ed-fi/schools/abc", Some(("schools", "abc"))),
        ("http://h:1/data/v3/ed-fi/students/abc?x=1#y", Some(("students", "abc"))),
        ("https://ods.example.org/api/data/ed-fi/students/abc/", Some(("students", "abc"))),
        ("/ed-fi/schools/a%20b%2Fc", Some(("schools", "a b/c"))),
        ("/ed-fi/schools", None),
        ("/ed-fi/schools/a/b", None),
        ("/ed-fi//abc", None),
        ("/data/v3/students/abc", None),
        ("/ed-fi/schools/%FF", None),
    ] {
        let item = item.map(|(e, i): (&str, &str)| (e.to_owned(), i.to_owned()));
        assert_eq!(paths::item_of(url), item, "{url}");
    }
    // A Location the server writes is read back to the id it was written with.
    for id in ["0123abcd", "a b", "ü/ö?#"] {
        assert_eq!(paths::item_of(&paths::item("students", id)), Some(("students".into(), id.into())));
    }
}

#[test]
fn filters_find_text_by_ascii_case_and_name_parameters_case_insensitively() {
    assert!(paths::filter_finds(&json!("Grand Bend"), &json!("grand bend")));
    assert!(!paths::filter_finds(&json!("ñandú"), &json!("ÑANDÚ")), "only ASCII folds");
    assert!(paths::filter_finds(&json!(255901), &json!(255901)));
    assert!(!paths::filter_finds(&json!("5"), &json!(5)), "a text is no number");
    assert_eq!(paths::query_boolean("TRUE"), Some(true));
    assert_eq!(paths::query_boolean("False"), Some(false));
    assert_eq!(paths::query_boolean("1"), None);
    assert!(paths::same_name("schoolid", "schoolId"));
    assert_eq!(paths::query_value(&json!(true)).as_deref(), Some("true"));
    assert_eq!(paths::query_value(&json!({})), None);
    // Descriptor URIs.
    let uri = descriptor_uri("uri://ed-fi.org/GradeLevelDescriptor", "Ninth grade");
    assert_eq!(uri, "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade");
    assert_eq!(descriptor_parts(&uri), Some(("uri://ed-fi.org/GradeLevelDescriptor", "Ninth grade")));
    assert!(is_descriptor_member("entryGradeLevelDescriptor") && !is_descriptor_member("Descriptor"));
    assert_eq!(reference_role("nextYearSchoolReference"), Some("nextYearSchool"));
    assert_eq!(reference_role("Reference"), None);
}
