//! Every resource of the Data Standard over real HTTP: a sample item of each of the 138
//! resources (made from the model, `edfi_core::sample`), sent as Ed-Fi clients send them (numbers
//! as strings), is created, read back typed, sent back with `If-Match` (nothing changes), refused
//! with a stale tag, and deleted.

use edfi_core::resources;
use edfi_core::sample::Samples;
use serde_json::Value;

use crate::support::{data, Api};

/// The body as many Ed-Fi clients send it: every whole number as a string.
fn numbers_as_strings(value: &Value) -> Value {
    match value {
        Value::Number(n) if n.is_i64() => Value::String(n.to_string()),
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_strings).collect()),
        Value::Object(members) => {
            Value::Object(members.iter().map(|(k, v)| (k.clone(), numbers_as_strings(v))).collect())
        }
        other => other.clone(),
    }
}

#[tokio::test]
async fn every_resource_is_created_read_updated_and_deleted_over_http() {
    // An instance of its own: the sample items' keys are the same in every run.
    let api =
        Api::connect(crate::support::base_url(), &format!("every-resource-{}", std::process::id())).await;
    let mut samples = Samples::new();
    let resources: Vec<_> = resources::all().iter().copied().filter(|d| !d.is_descriptor).collect();
    for def in &resources {
        let typed = samples.item(def);
        for (resource, body) in samples.take() {
            let reply = api.write("POST", &data(resource.name), &numbers_as_strings(&body), &[]).await;
            assert_eq!(
                reply.status,
                201,
                "POST {} {body}: {}",
                resource.name,
                String::from_utf8_lossy(&reply.body)
            );
        }
        let page = api.get(&data(def.name), &[]).await.json();
        let path = format!("{}/{}", data(def.name), page[0]["id"].as_str().expect("listed"));
        let (stored, etag) = api.current(&path).await.unwrap();
        for (member, value) in typed.as_object().unwrap() {
            if value.is_number() {
                assert_eq!(&stored[member], value, "{} {member} is stored as its type", def.name);
            }
        }
        let echoed = api.write("PUT", &path, &stored, &[("If-Match", &etag)]).await;
        assert_eq!((echoed.status, echoed.etag()), (204, etag.clone()), "{}", def.name);
        let stale = api.write("PUT", &path, &stored, &[("If-Match", "\"stale\"")]).await;
        stale.assert_problem(412, "urn:ed-fi:api:optimistic-lock-failed");
    }
    for def in resources.iter().rev() {
        let page = api.get(&data(def.name), &[]).await.json();
        for item in page.as_array().unwrap() {
            let path = format!("{}/{}", data(def.name), item["id"].as_str().unwrap());
            let etag = format!("\"{}\"", item["_etag"].as_str().unwrap());
            let reply = api.delete(&path, &[("If-Match", &etag)]).await;
            assert_eq!(reply.status, 204, "DELETE {path}: {}", String::from_utf8_lossy(&reply.body));
        }
    }
    assert_eq!(resources.len(), 138);
}

/// Ed-Fi's own list of the Data Standard's 349 endpoints (`../shared/edfi/apischema/`): each one
/// answers, is in the OpenAPI documents and has its place in the load order.
#[tokio::test]
async fn every_endpoint_of_the_data_standard_answers_and_is_described() {
    let root =
        std::path::PathBuf::from(std::env::var("EDFI_ROOT").expect("EDFI_ROOT: run with `cargo xtask test`"));
    let list = root.join("../shared/edfi/apischema/ds-5.2-endpoints.txt");
    let list = std::fs::read_to_string(&list).unwrap_or_else(|e| panic!("{}: {e}", list.display()));
    let endpoints: Vec<&str> = list.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!(endpoints.len(), 349);
    let api = Api::new().await;
    let mut paths = Vec::new();
    for document in ["resources", "descriptors"] {
        let swagger = api.get(&format!("/metadata/data/v3/{document}/swagger.json"), &[]).await.json();
        paths.extend(swagger["paths"].as_object().unwrap().keys().cloned());
    }
    let dependencies = api.get("/metadata/data/v3/dependencies", &[]).await.json();
    let ordered: Vec<&str> =
        dependencies.as_array().unwrap().iter().map(|d| d["resource"].as_str().unwrap()).collect();
    for endpoint in endpoints {
        let reply = api.get(&format!("{}?limit=1", data(endpoint)), &[]).await;
        assert_eq!(reply.status, 200, "{endpoint}: {}", String::from_utf8_lossy(&reply.body));
        assert!(
            paths.iter().any(|p| *p == format!("/ed-fi/{endpoint}")),
            "{endpoint} is in the OpenAPI documents"
        );
        assert!(ordered.contains(&format!("/ed-fi/{endpoint}").as_str()), "{endpoint} is in the load order");
    }
}
