//! GET: one item, a collection page, and the change queries.

use serde_json::json;

use crate::clock;
use crate::http::{Request, Response};
use crate::model::ResourceDef;
use crate::precondition::ReadOutcome;
use crate::problem::Problem;
use crate::store::{Document, Store};
use crate::validate::key_values;

use super::query::{page_token, CollectionQuery, Filters};
use super::{existing, preconditions, stored_etag, Answer};

pub(super) fn get(def: &ResourceDef, id: &str, req: &Request, store: &impl Store) -> Answer {
    let doc = existing(def, id, store)?;
    let etag = stored_etag(&doc);
    let response = match preconditions(req)?.evaluate_read(&etag) {
        ReadOutcome::Failed(problem) => return Err(problem.into()),
        ReadOutcome::NotModified => Response::empty(304),
        ReadOutcome::Ok => Response::json(200, render(&doc)),
    };
    Ok(response
        .with_header("Cache-Control", "private")
        .with_header("ETag", etag.to_string())
        .with_header("Last-Modified", clock::http_date(doc.last_modified)))
}

pub(super) fn list(def: &ResourceDef, req: &Request, store: &impl Store) -> Answer {
    let query = CollectionQuery::parse(def, &req.query, Filters::Fields)?;
    // One more than asked tells whether a next page exists. Every page that has one says so in
    // Next-Page-Token, offset pages too: Ed-Fi clients start cursor paging with a plain GET.
    let mut page = store.page(def.name, &query.selection, query.offset, query.limit + 1)?;
    let more = page.len() as u64 > query.limit;
    page.truncate(query.limit as usize);
    let items: Vec<String> = page.iter().map(|(_, doc)| render(doc)).collect();
    let mut response = Response::json(200, format!("[{}]", items.join(",")));
    if let (true, Some((position, _))) = (more, page.last()) {
        response = response.with_header("Next-Page-Token", page_token(*position));
    }
    if query.total_count {
        let whole = crate::store::Selection { after: None, ..query.selection.clone() };
        response = response.with_header("Total-Count", store.count(def.name, &whole)?.to_string());
    }
    Ok(response)
}

pub(super) fn deletes(def: &ResourceDef, req: &Request, store: &impl Store) -> Answer {
    let query = CollectionQuery::parse(def, &req.query, Filters::ChangeVersions)?;
    let items: Vec<_> = store
        .deletes(def.name, &query.selection, query.offset, query.limit)?
        .into_iter()
        .map(|t| json!({ "id": t.id, "changeVersion": t.change_version, "keyValues": key_values(def, &t.natural_key) }))
        .collect();
    Ok(Response::json(200, serde_json::Value::Array(items).to_string()))
}

pub(super) fn key_changes(def: &ResourceDef, req: &Request, store: &impl Store) -> Answer {
    let query = CollectionQuery::parse(def, &req.query, Filters::ChangeVersions)?;
    let items: Vec<_> = store
        .key_changes(def.name, &query.selection, query.offset, query.limit)?
        .into_iter()
        .map(|c| {
            json!({
                "id": c.id,
                "changeVersion": c.change_version,
                "oldKeyValues": key_values(def, &c.old_key),
                "newKeyValues": key_values(def, &c.new_key),
            })
        })
        .collect();
    Ok(Response::json(200, serde_json::Value::Array(items).to_string()))
}

pub(super) fn available_change_versions(store: &impl Store) -> Answer {
    let body = json!({ "oldestChangeVersion": 0, "newestChangeVersion": store.newest_change_version()? });
    Ok(Response::json(200, body.to_string()))
}

/// An item's kept versions, oldest first, deletions as tombstones.
pub(super) fn history(def: &ResourceDef, id: &str, store: &impl Store) -> Answer {
    let versions = store.versions(def.name, id)?;
    if versions.is_empty() {
        return Err(
            Problem::not_found(format!("No {} item with id '{id}' has any history.", def.name)).into()
        );
    }
    let items: Vec<_> = versions
        .iter()
        .map(|v| {
            json!({
                "etag": (!v.etag.is_empty()).then_some(&v.etag),
                "lastModifiedDate": clock::rfc3339(v.last_modified),
                "changeVersion": v.change_version,
                "client": v.client,
                "deleted": v.content.is_none(),
            })
        })
        .collect();
    Ok(Response::json(200, serde_json::Value::Array(items).to_string()))
}

/// One kept version of an item, by its ETag, as it was served then.
pub(super) fn version(def: &ResourceDef, id: &str, etag: &str, store: &impl Store) -> Answer {
    let etag = etag.trim_matches('"');
    let found =
        store.versions(def.name, id)?.into_iter().rev().find(|v| v.etag == etag && v.content.is_some());
    let Some(version) = found else {
        return Err(Problem::not_found(format!(
            "No kept version of {} item '{id}' has ETag '{etag}'.",
            def.name
        ))
        .into());
    };
    let doc = Document {
        id: id.to_owned(),
        natural_key: String::new(),
        content: version.content.unwrap_or_default(),
        etag: version.etag,
        last_modified: version.last_modified,
        change_version: version.change_version,
    };
    Ok(Response::json(200, render(&doc)).with_header("ETag", stored_etag(&doc).to_string()))
}

/// The JSON of a stored item: `id`, the canonical content, `_etag`, `_lastModifiedDate`,
/// `changeVersion`. Spliced as text so reads never re-parse or re-hash.
pub fn render(doc: &Document) -> String {
    let inner = doc.content.strip_prefix('{').and_then(|c| c.strip_suffix('}')).unwrap_or("");
    let separator = if inner.is_empty() { "" } else { "," };
    format!(
        r#"{{"id":"{}"{separator}{inner},"_etag":"{}","_lastModifiedDate":"{}","changeVersion":{}}}"#,
        doc.id,
        doc.etag,
        clock::rfc3339(doc.last_modified),
        doc.change_version
    )
}
