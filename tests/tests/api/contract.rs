//! The precondition table and the response headers of shared/spec/http-contract.md, for students.

use serde_json::json;

use crate::support::{student, unique_id, Api, STUDENTS};

const LOCK_FAILED: &str = "urn:ed-fi:api:optimistic-lock-failed";
const IF_NONE_MATCH_FAILED: &str = "urn:ed-fi:api:precondition-failed:if-none-match";

fn renamed(body: &serde_json::Value, first_name: &str) -> serde_json::Value {
    let mut body = body.clone();
    body["firstName"] = json!(first_name);
    body
}

#[tokio::test]
async fn get_by_id_answers_the_representation_with_its_validators() {
    let api = Api::new().await;
    let body = student(&unique_id("get"));
    let (path, etag) = api.create(&body).await;
    let reply = api.get(&path, &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("Content-Type"), Some("application/json; charset=utf-8"));
    assert_eq!(reply.header("Cache-Control"), Some("private"));
    assert_eq!(reply.header("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(reply.etag(), etag);
    let json = reply.json();
    assert_eq!(format!("\"{}\"", json["_etag"].as_str().unwrap()), etag, "_etag is the ETag without quotes");
    assert_eq!(path.rsplit('/').next(), json["id"].as_str());
    let id = json["id"].as_str().unwrap();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{id}");
    let modified = json["_lastModifiedDate"].as_str().unwrap();
    assert!(modified.len() == 20 && modified.ends_with('Z') && modified.as_bytes()[10] == b'T', "{modified}");
    assert!(reply.header("Last-Modified").unwrap().ends_with(" GMT"));
    for field in ["studentUniqueId", "firstName", "lastSurname", "birthDate"] {
        assert_eq!(json[field], body[field], "{field}");
    }
}

#[tokio::test]
async fn get_if_none_match_answers_304_and_if_match_mismatch_412() {
    let api = Api::new().await;
    let (path, etag) = api.create(&student(&unique_id("inm"))).await;
    let weak = format!("W/{etag}");
    for value in [etag.as_str(), weak.as_str(), "*"] {
        let reply = api.get(&path, &[("If-None-Match", value)]).await;
        assert_eq!(reply.status, 304, "If-None-Match: {value}");
        assert!(reply.body.is_empty());
        assert_eq!(reply.etag(), etag);
        assert_eq!(reply.header("Cache-Control"), Some("private"));
    }
    assert_eq!(api.get(&path, &[("If-None-Match", "\"other\"")]).await.status, 200);
    assert_eq!(api.get(&path, &[("If-Match", &etag)]).await.status, 200);
    api.get(&path, &[("If-Match", "\"other\"")]).await.assert_problem(412, LOCK_FAILED);
}

#[tokio::test]
async fn put_with_matching_if_match_updates_and_answers_the_new_etag() {
    let api = Api::new().await;
    let body = student(&unique_id("put"));
    let (path, etag) = api.create(&body).await;
    let unquoted = etag.trim_matches('"').to_owned();
    let mut current = etag;
    for (i, if_match) in [None, Some("*"), Some("unquoted"), Some("quoted")].into_iter().enumerate() {
        let header = match if_match {
            None => None,
            Some("unquoted") => Some(current.trim_matches('"').to_owned()),
            Some("quoted") => Some(current.clone()),
            Some(other) => Some(other.to_owned()),
        };
        let headers: Vec<(&str, &str)> = header.iter().map(|h| ("If-Match", h.as_str())).collect();
        let update = renamed(&body, &format!("Name{i}"));
        let reply = api.write("PUT", &path, &update, &headers).await;
        assert_eq!(reply.status, 204, "If-Match {if_match:?}: {}", String::from_utf8_lossy(&reply.body));
        assert!(reply.header("Location").unwrap().ends_with(&path));
        let new_etag = reply.etag();
        assert_ne!(new_etag, current, "a change of content changes the ETag");
        let (stored, stored_etag) = api.current(&path).await.unwrap();
        assert_eq!(
            (stored["firstName"].as_str().unwrap(), stored_etag.as_str()),
            (format!("Name{i}").as_str(), new_etag.as_str())
        );
        current = new_etag;
    }
    assert_ne!(current.trim_matches('"'), unquoted);
}

#[tokio::test]
async fn stale_if_match_is_412_with_the_ed_fi_body_and_changes_nothing() {
    let api = Api::new().await;
    let body = student(&unique_id("stale"));
    let (path, old_etag) = api.create(&body).await;
    let reply = api.write("PUT", &path, &renamed(&body, "Second"), &[("If-Match", &old_etag)]).await;
    assert_eq!(reply.status, 204);
    let before = api.current(&path).await.unwrap();
    let weak = format!("W/{}", before.1);
    for if_match in [old_etag.as_str(), old_etag.trim_matches('"'), weak.as_str()] {
        let reply = api.write("PUT", &path, &renamed(&body, "Lost"), &[("If-Match", if_match)]).await;
        let problem = reply.assert_problem(412, LOCK_FAILED);
        assert_eq!(problem["title"], "Optimistic Lock Failed");
        assert_eq!(problem["detail"], "The item has been modified by another user.");
        assert_eq!(problem["validationErrors"], json!({}));
        assert_eq!(
            problem["errors"],
            json!(["The resource item's etag value does not match what was specified in the 'If-Match' request header indicating that it has been modified by another client since it was last retrieved."])
        );
        assert_eq!(api.current(&path).await.unwrap(), before, "If-Match {if_match} changed the item");
    }
    api.delete(&path, &[("If-Match", &old_etag)]).await.assert_problem(412, LOCK_FAILED);
    assert_eq!(api.current(&path).await.unwrap(), before, "a failed DELETE deletes nothing");
}

/// A stale `If-Match` is 412 even when the body is what is stored now: a retry whose first
/// answer was lost cannot be told from a second client that read the same version and would
/// otherwise lose its update silently (the contract's withdrawn "already applied" rule).
#[tokio::test]
async fn a_stale_if_match_with_the_stored_content_is_412_and_changes_nothing() {
    let api = Api::new().await;
    let body = student(&unique_id("retry"));
    let (path, etag) = api.create(&body).await;
    let update = renamed(&body, "Applied");
    let first = api.write("PUT", &path, &update, &[("If-Match", &etag)]).await;
    assert_eq!(first.status, 204);
    let stored = api.current(&path).await.unwrap();
    // The client never saw the first answer and retries with the ETag it had.
    let retry = api.write("PUT", &path, &update, &[("If-Match", &etag)]).await;
    retry.assert_problem(412, LOCK_FAILED);
    assert_eq!(api.current(&path).await.unwrap(), stored, "nothing changed, not even _lastModifiedDate");
    // The same for a POST that updates.
    let upsert = api.write("POST", STUDENTS, &update, &[("If-Match", &etag)]).await;
    upsert.assert_problem(412, LOCK_FAILED);
    assert_eq!(api.current(&path).await.unwrap(), stored);
}

/// `If-Match` compares strongly: the current ETag marked weak never matches, not even for a
/// body that would change nothing.
#[tokio::test]
async fn a_weak_current_etag_is_412_even_for_an_unchanged_body() {
    let api = Api::new().await;
    let body = student(&unique_id("weak"));
    let (path, _) = api.create(&body).await;
    let before = api.current(&path).await.unwrap();
    let weak = format!("W/{}", before.1);
    let reply = api.write("PUT", &path, &before.0, &[("If-Match", &weak)]).await;
    reply.assert_problem(412, LOCK_FAILED);
    let reply = api.write("POST", STUDENTS, &body, &[("If-Match", &weak)]).await;
    reply.assert_problem(412, LOCK_FAILED);
    let after = api.current(&path).await.unwrap();
    assert_eq!(after.1, before.1, "the ETag is unchanged");
    assert_eq!(after.0["_lastModifiedDate"], before.0["_lastModifiedDate"]);
    assert_eq!(after, before, "nothing changed");
}

#[tokio::test]
async fn a_write_that_changes_nothing_keeps_etag_and_last_modified() {
    let api = Api::new().await;
    let body = student(&unique_id("same"));
    let (path, etag) = api.create(&body).await;
    let before = api.current(&path).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut same = before.0.clone();
    same["_etag"] = json!("ignored");
    let reply = api.write("PUT", &path, &same, &[]).await;
    assert_eq!((reply.status, reply.etag()), (204, etag.clone()));
    let reply = api.write("POST", STUDENTS, &body, &[]).await;
    assert_eq!((reply.status, reply.etag()), (200, etag));
    assert_eq!(api.current(&path).await.unwrap(), before);
}

#[tokio::test]
async fn delete_with_matching_if_match_removes_the_item() {
    let api = Api::new().await;
    let (path, etag) = api.create(&student(&unique_id("del"))).await;
    let reply = api.delete(&path, &[("If-Match", &etag)]).await;
    assert_eq!(reply.status, 204);
    assert!(api.current(&path).await.is_none());
    api.delete(&path, &[]).await.assert_problem(404, "urn:ed-fi:api:not-found");
    // 404 comes before preconditions.
    api.get(&path, &[("If-Match", "\"x\"")]).await.assert_problem(404, "urn:ed-fi:api:not-found");
    let (path, _) = api.create(&student(&unique_id("del"))).await;
    assert_eq!(api.delete(&path, &[]).await.status, 204, "If-Match is optional by default");
}

#[tokio::test]
async fn post_upserts_by_natural_key_and_honours_if_match() {
    let api = Api::new().await;
    let body = student(&unique_id("post"));
    let created = api.write("POST", STUDENTS, &body, &[]).await;
    assert_eq!(created.status, 201);
    let location = created.header("Location").unwrap().to_owned();
    assert!(location.starts_with(&api.base) && location.contains(STUDENTS), "absolute Location: {location}");
    let path = format!("{STUDENTS}/{}", created.location_id());

    let updated = api.write("POST", STUDENTS, &renamed(&body, "Up"), &[("If-Match", &created.etag())]).await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.header("Location"), Some(location.as_str()), "an upsert keeps the id");
    assert_ne!(updated.etag(), created.etag());

    let before = api.current(&path).await.unwrap();
    let stale = api.write("POST", STUDENTS, &renamed(&body, "Lost"), &[("If-Match", &created.etag())]).await;
    stale.assert_problem(412, LOCK_FAILED);
    assert_eq!(api.current(&path).await.unwrap(), before);

    let conflicting = api.write("POST", STUDENTS, &renamed(&body, "Dup"), &[("If-None-Match", "*")]).await;
    conflicting.assert_problem(412, IF_NONE_MATCH_FAILED);
    assert_eq!(api.current(&path).await.unwrap(), before);
    let put_inm = api.write("PUT", &path, &renamed(&body, "Dup"), &[("If-None-Match", &before.1)]).await;
    put_inm.assert_problem(412, IF_NONE_MATCH_FAILED);
    assert_eq!(api.current(&path).await.unwrap(), before);
}

#[tokio::test]
async fn post_of_a_new_key_with_if_match_is_412_and_creates_nothing() {
    let api = Api::new().await;
    let body = student(&unique_id("new"));
    for if_match in ["\"anything\"", "*"] {
        api.write("POST", STUDENTS, &body, &[("If-Match", if_match)]).await.assert_problem(412, LOCK_FAILED);
    }
    let reply = api.write("POST", STUDENTS, &body, &[("If-None-Match", "*")]).await;
    assert_eq!(reply.status, 201, "create-only POST of a new key; the earlier 412s created nothing");
}

#[tokio::test]
async fn collection_pages_with_offset_limit_and_total_count() {
    let api = Api::new().await;
    for _ in 0..3 {
        api.create(&student(&unique_id("page"))).await;
    }
    let total: usize = api.student_count().await as usize;
    assert!(total >= 3);
    let plain = api.get(&format!("{STUDENTS}?limit=2"), &[]).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("Total-Count"), None, "Total-Count only when asked");
    assert_eq!(plain.json().as_array().unwrap().len(), 2);
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = api.get(&format!("{STUDENTS}?offset={offset}&limit=500&totalCount=true"), &[]).await;
        let items = page.json().as_array().unwrap().clone();
        assert!(page.header("Total-Count").unwrap().parse::<usize>().unwrap() >= total);
        for item in &items {
            for field in ["id", "_etag", "_lastModifiedDate"] {
                assert!(item[field].is_string(), "{field} in {item}");
            }
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        if items.len() < 500 {
            break;
        }
        offset += 500;
    }
    let distinct: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "pages never repeat an item");
    assert!(seen.len() >= total);
    let default_page = api.get(STUDENTS, &[]).await.json();
    assert_eq!(default_page.as_array().unwrap().len(), total.min(25), "default limit is 25");
    assert_eq!(default_page.as_array().unwrap()[0]["id"], seen[0], "stable order");
    for bad in ["limit=501", "limit=-1", "offset=-1", "offset=x", "totalCount=maybe", "colour=red"] {
        api.get(&format!("{STUDENTS}?{bad}"), &[]).await.assert_problem(400, "urn:ed-fi:api:bad-request");
    }
}

#[tokio::test]
async fn discovery_unknown_paths_and_methods() {
    let api = Api::new().await;
    let discovery = api.get("/", &[]).await;
    assert_eq!(discovery.status, 200);
    let doc = discovery.json();
    assert_eq!(doc["dataModels"][0]["name"], "Ed-Fi");
    assert_eq!(doc["urls"]["dataManagementApi"], format!("{}/data/v3/", api.base));
    assert_eq!(doc["urls"]["oauth"], format!("{}/oauth/token", api.base));
    for path in
        ["/nope", "/data/v3/ed-fi/teachers", "/data/v3/ed-fi/students/0123456789abcdef0123456789abcdef/x"]
    {
        api.get(path, &[]).await.assert_problem(404, "urn:ed-fi:api:not-found");
    }
    let reply = api.send("PATCH", STUDENTS, &[], None).await;
    reply.assert_problem(405, "urn:ed-fi:api:method-not-allowed");
    assert_eq!(reply.header("Allow"), Some("GET, HEAD, POST"));
    let (path, _) = api.create(&student(&unique_id("allow"))).await;
    let reply = api.send("POST", &path, &[], None).await;
    reply.assert_problem(405, "urn:ed-fi:api:method-not-allowed");
    assert_eq!(reply.header("Allow"), Some("GET, HEAD, PUT, DELETE"));
}
