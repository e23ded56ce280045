//! The Python client `edfi-api-client` (PyPI), used as a new user would: it authenticates with a
//! key and secret, lists the resources from the OpenAPI metadata, and pulls every resource with
//! paging. What it pulls must be exactly what was loaded.

use serde_json::{json, Value};

use crate::support::{base_url, descriptor, school_year, Api};

/// Loads a small data set into a new instance: more students than one page holds.
async fn load(api: &Api) -> Vec<(&'static str, usize)> {
    api.create_in("gradeLevelDescriptors", &descriptor("GradeLevelDescriptor", "Ninth grade")).await;
    api.create_in(
        "educationOrganizationCategoryDescriptors",
        &descriptor("EducationOrganizationCategoryDescriptor", "School"),
    )
    .await;
    api.create_in("schoolYearTypes", &school_year()).await;
    for school_id in [1, 2] {
        api.create_in("schools", &json!({
            "schoolId": school_id, "nameOfInstitution": format!("School {school_id}"),
            "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School"}],
            "gradeLevels": [{"gradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"}],
        })).await;
    }
    const STUDENTS: usize = 137;
    for n in 0..STUDENTS {
        let student = json!({"studentUniqueId": format!("P{n}"), "firstName": "Py", "lastSurname": format!("Client {n}"), "birthDate": "2011-01-01"});
        api.create(&student).await;
        let association = json!({
            "studentReference": {"studentUniqueId": format!("P{n}")}, "schoolReference": {"schoolId": 1 + n % 2},
            "entryDate": "2026-08-17", "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade",
        });
        api.create_in("studentSchoolAssociations", &association).await;
    }
    vec![
        ("schoolYearTypes", 1),
        ("schools", 2),
        ("students", STUDENTS),
        ("studentSchoolAssociations", STUDENTS),
    ]
}

/// Runs a script of tests/python/ with the suite's Python; its standard output.
async fn python(script: &str, args: &[&str]) -> Vec<u8> {
    let python = std::env::var("EDFI_PYTHON").expect("EDFI_PYTHON: run with `cargo xtask test`");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python").join(script);
    let output = tokio::process::Command::new(python).arg(&script).args(args).output().await.unwrap();
    assert!(output.status.success(), "{}:\n{}", script.display(), String::from_utf8_lossy(&output.stderr));
    output.stdout
}

#[tokio::test]
async fn the_openapi_documents_are_valid_openapi_3() {
    let validated: Value =
        serde_json::from_slice(&python("validate_openapi.py", &[&base_url()]).await).unwrap();
    assert_eq!(validated, json!(["resources", "descriptors"]));
}

#[tokio::test]
async fn edfi_api_client_pulls_every_resource_with_paging() {
    let instance = format!("python-{}", std::process::id());
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client(&instance).await;
    let api = Api::connect(base_url(), &instance).await;
    let loaded = load(&api).await;

    let python = std::env::var("EDFI_PYTHON").expect("EDFI_PYTHON: run with `cargo xtask test`");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/pull_all.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .args([&base_url(), &key, &secret])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "pull_all.py failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");

    let listed: Vec<&str> = report["resources"].as_object().unwrap().keys().map(String::as_str).collect();
    for resource in ["schools", "students", "sections", "studentSchoolAssociations", "classPeriods"] {
        assert!(listed.contains(&resource), "{resource} is listed from the metadata: {listed:?}");
    }
    for (resource, count) in &loaded {
        assert_eq!(report["resources"][resource], json!(count), "{resource} rows pulled: {report}");
        assert_eq!(report["totals"][resource], json!(count), "{resource} Total-Count: {report}");
    }
    assert_eq!(report["resources"]["sections"], 0, "nothing of other instances");
}
