//! Every resource of the generated model, through the engine: a sample item made from its
//! definition alone ([`crate::sample`]) is created, read, sent back with `If-Match` (nothing
//! changes), refused with a stale one, and deleted.

use super::*;
use crate::resources;
use crate::sample::Samples;

#[test]
fn every_resource_is_created_read_updated_and_deleted() {
    let mut api = Api::new();
    let mut samples = Samples::new();
    let mut failures = Vec::new();
    let resources: Vec<_> = resources::all().iter().copied().filter(|d| !d.is_descriptor).collect();
    for def in &resources {
        samples.item(def);
        for (resource, body) in samples.take() {
            let created =
                api.send(raw("POST", &format!("/data/v3/ed-fi/{}", resource.name), body.to_string()));
            if created.status != 201 {
                failures.push(format!(
                    "POST {} {body}: {} {}",
                    resource.name,
                    created.status,
                    text(&created)
                ));
            }
        }
        let page = body(&api.send(Request::new("GET", &format!("/data/v3/ed-fi/{}", def.name))));
        let Some(id) = page[0]["id"].as_str() else {
            failures.push(format!("{}: not listed", def.name));
            continue;
        };
        let path = format!("/data/v3/ed-fi/{}/{id}", def.name);
        let read = api.send(Request::new("GET", &path));
        let etag = header(&read, "ETag").to_owned();
        let echoed = api.send(raw("PUT", &path, read.body.clone()).header("If-Match", &etag));
        if (echoed.status, echoed.header("ETag")) != (204, Some(etag.as_str())) {
            failures.push(format!("{}: PUT of what was read: {} {}", def.name, echoed.status, text(&echoed)));
        }
        api.refuse(raw("PUT", &path, read.body.clone()).header("If-Match", "\"stale\""), 412, LOCK_FAILED);
    }
    // In reverse load order nothing is referenced when it goes.
    for def in resources.iter().rev() {
        let page = body(&api.send(Request::new("GET", &format!("/data/v3/ed-fi/{}", def.name))));
        for item in page.as_array().unwrap() {
            let path = format!("/data/v3/ed-fi/{}/{}", def.name, item["id"].as_str().unwrap());
            let etag = format!("\"{}\"", item["_etag"].as_str().unwrap());
            let deleted = api.send(Request::new("DELETE", &path).header("If-Match", &etag));
            if deleted.status != 204 {
                failures.push(format!("DELETE {path}: {} {}", deleted.status, text(&deleted)));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(resources.len(), 138);
}
