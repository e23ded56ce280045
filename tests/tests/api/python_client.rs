//! The Python client `edfi-api-client` (PyPI), used as a new user would: it authenticates with a
//! key and secret, lists the resources from the OpenAPI metadata, and pulls every resource with
//! paging. What it pulls must be exactly what was loaded.

use std::collections::BTreeMap;

use edfi_core::resources;
use edfi_core::sample::Samples;
use serde_json::{json, Value};

use crate::support::{base_url, Api};

/// Loads into a new instance one sample item of every resource of the Data Standard (and the
/// descriptor values they use), then more students and enrollments than one page holds; what
/// was created, per endpoint.
async fn load(api: &Api) -> BTreeMap<&'static str, usize> {
    let mut created: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut samples = Samples::new();
    for def in resources::all().iter().filter(|d| !d.is_descriptor) {
        samples.item(def);
        for (resource, body) in samples.take() {
            api.create_in(resource.name, &body).await;
            *created.entry(resource.name).or_default() += 1;
        }
    }
    let school = samples.item(resources::get("schools"));
    let grade =
        samples.item(resources::get("studentSchoolAssociations"))["entryGradeLevelDescriptor"].clone();
    const STUDENTS: usize = 137;
    for n in 0..STUDENTS {
        let student = json!({"studentUniqueId": format!("P{n}"), "firstName": "Py", "lastSurname": format!("Client {n}"), "birthDate": "2011-01-01"});
        api.create(&student).await;
        let association = json!({
            "studentReference": {"studentUniqueId": format!("P{n}")}, "schoolReference": {"schoolId": school["schoolId"]},
            "entryDate": "2026-08-17", "entryGradeLevelDescriptor": grade,
        });
        api.create_in("studentSchoolAssociations", &association).await;
    }
    *created.entry("students").or_default() += STUDENTS;
    *created.entry("studentSchoolAssociations").or_default() += STUDENTS;
    created
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

    // Every one of the 349 endpoints is listed from the metadata and pulled whole: the rows
    // pulled and `Total-Count` are what was created (0 for what was not).
    let pulled = report["resources"].as_object().unwrap();
    let endpoints: Vec<&str> = resources::all().iter().map(|d| d.name).collect();
    assert_eq!(endpoints.len(), 349);
    let missing: Vec<&&str> = endpoints.iter().filter(|e| !pulled.contains_key(**e)).collect();
    assert!(missing.is_empty(), "not listed from the metadata: {missing:?}");
    assert!(loaded["students"] > 50 && loaded.len() > 138, "{loaded:?}");
    for endpoint in endpoints {
        let count = loaded.get(endpoint).copied().unwrap_or(0);
        assert_eq!(report["resources"][endpoint], json!(count), "{endpoint} rows pulled");
        assert_eq!(report["totals"][endpoint], json!(count), "{endpoint} Total-Count");
    }
}
