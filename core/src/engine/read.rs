//! GET: one item, a collection page, and the change queries.

use serde_json::json;

use crate::authorization::claim_sets::Action;
use crate::clock;
use crate::http::{Request, Response};
use crate::model::ResourceDef;
use crate::precondition::ReadOutcome;
use crate::problem::Problem;
use crate::store::{Document, Store};
use crate::validate::key_values;
use crate::wire::answers::HistoryEntry;
use crate::wire::paths::{NEXT_PAGE_TOKEN_HEADER, TOTAL_COUNT_HEADER};
use crate::wire::EntityTag;

use super::authorize::Authorizer;
use super::query::{page_token, CollectionQuery, Filters, HistoryPage};
use super::{existing, preconditions, stored_etag, Answer, Config, Context, Failure};

pub(super) fn get(
    def: &ResourceDef,
    id: &str,
    req: &Request,
    store: &impl Store,
    authorizer: &Authorizer,
) -> Answer {
    // 404 first, as Ed-Fi answers: an id that is nowhere tells nothing about anyone's data.
    let doc = match authorizer.reach(def, Action::Read, store)? {
        None => existing(def, id, store)?,
        // The item and its reach in one store call; a refusal is explained by the slow path.
        Some(reach) => match store.get_reached(def.name, id, &reach)? {
            None => existing(def, id, store)?,
            Some((doc, true)) => doc,
            Some((doc, false)) => {
                authorizer.check(def, Action::Read, &doc.natural_key, store)?;
                doc
            }
        },
    };
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

pub(super) fn list(
    def: &ResourceDef,
    req: &Request,
    store: &impl Store,
    config: &Config,
    authorizer: &Authorizer,
) -> Answer {
    let mut query = CollectionQuery::parse(def, &req.query, Filters::Fields)?;
    let changes =
        query.selection.min_change_version.is_some() || query.selection.max_change_version.is_some();
    let action = if changes { Action::ReadChanges } else { Action::Read };
    // Paging and Total-Count count only what the client reaches: the store applies the reach.
    query.selection.reach = authorizer.reach(def, action, store)?;
    // One more than asked tells whether a next page exists. Every page that has one says so in
    // Next-Page-Token, offset pages too: Ed-Fi clients start cursor paging with a plain GET.
    let mut page = store.page_within(
        def.name,
        &query.selection,
        query.offset,
        query.limit + 1,
        config.max_page_bytes,
    )?;
    // The store ends with the item that fills the page; one past the limit only says more exist.
    let asked = page.len().min(query.limit as usize);
    let stored: u64 = page[..asked].iter().map(|(_, doc)| doc.content.len() as u64).sum();
    let full = stored > config.max_page_bytes && asked > 1;
    if full {
        page.truncate(asked - 1);
        // An offset client would step past the items left out, so it is told, not given less.
        if !query.keyset {
            return Err(Problem::bad_request(format!(
                "These items hold more than {} bytes, the most one page holds: ask for at most {} \
                 ('limit'), or page with 'pageSize' and 'pageToken', whose pages end where they fill.",
                config.max_page_bytes,
                page.len()
            ))
            .into());
        }
    }
    let more = full || page.len() as u64 > query.limit;
    page.truncate(query.limit as usize);
    let last = page.last().map(|(position, _)| *position);
    // Rendered into one buffer, each item dropped as it goes: a full page is not held twice.
    let mut body = String::with_capacity(stored.min(config.max_page_bytes) as usize + 160 * page.len() + 2);
    body.push('[');
    for (i, (_, doc)) in page.into_iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&render(&doc));
    }
    body.push(']');
    let mut response = Response::json(200, body);
    if let (true, Some(position)) = (more, last) {
        response = response.with_header(NEXT_PAGE_TOKEN_HEADER, page_token(position));
    }
    if query.total_count {
        let whole = crate::store::Selection { after: None, ..query.selection.clone() };
        response = response.with_header(TOTAL_COUNT_HEADER, store.count(def.name, &whole)?.to_string());
    }
    Ok(response)
}

pub(super) fn deletes(
    def: &ResourceDef,
    req: &Request,
    store: &impl Store,
    authorizer: &Authorizer,
) -> Answer {
    let mut query = CollectionQuery::parse(def, &req.query, Filters::ChangeVersions)?;
    query.selection.reach = authorizer.reach(def, Action::ReadChanges, store)?;
    let items: Vec<_> = store
        .deletes(def.name, &query.selection, query.offset, query.limit)?
        .into_iter()
        .map(|t| json!({ "id": t.id, "changeVersion": t.change_version, "keyValues": key_values(def, &t.natural_key) }))
        .collect();
    Ok(Response::json(200, serde_json::Value::Array(items).to_string()))
}

pub(super) fn key_changes(
    def: &ResourceDef,
    req: &Request,
    store: &impl Store,
    authorizer: &Authorizer,
) -> Answer {
    let mut query = CollectionQuery::parse(def, &req.query, Filters::ChangeVersions)?;
    query.selection.reach = authorizer.reach(def, Action::ReadChanges, store)?;
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

/// A page of an item's kept versions, oldest first, deletions as tombstones.
pub(super) fn history(
    def: &ResourceDef,
    id: &str,
    req: &Request,
    store: &impl Store,
    ctx: &Context,
    authorizer: &Authorizer,
) -> Answer {
    let query = HistoryPage::parse(&req.query)?;
    hidden_if_deleted(def, id, store, ctx, authorizer)?;
    let versions = store.versions(def.name, id, query.offset, query.limit)?;
    if versions.is_empty() && query.offset == 0 {
        return Err(no_history(def, id));
    }
    let items: Vec<_> = versions
        .iter()
        .map(|v| HistoryEntry {
            etag: (!v.deleted).then(|| v.etag.clone()),
            last_modified: clock::rfc3339(v.last_modified),
            change_version: v.change_version,
            client: v.client.clone(),
            deleted: v.deleted,
        })
        .collect();
    Ok(Response::json(200, serde_json::to_vec(&items).expect("history entries serialize")))
}

/// One kept version of an item, by its ETag, as it was served then.
pub(super) fn version(
    def: &ResourceDef,
    id: &str,
    etag: &str,
    store: &impl Store,
    ctx: &Context,
    authorizer: &Authorizer,
) -> Answer {
    hidden_if_deleted(def, id, store, ctx, authorizer)?;
    // `"x"`, `W/"x"` and `x` name one version; what is no ETag names none.
    let etag = EntityTag::parse(etag).map(|tag| tag.opaque().to_owned()).unwrap_or_default();
    let etag = etag.as_str();
    let Some(version) = store.version(def.name, id, etag)? else {
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

/// A deleted item's past is the administrator's to read: to a client it is an item that is not
/// there (a deleted student's records must not stay readable to every client of the instance).
/// A live item's past is readable by whoever may read the item.
fn hidden_if_deleted(
    def: &ResourceDef,
    id: &str,
    store: &impl Store,
    ctx: &Context,
    authorizer: &Authorizer,
) -> Result<(), Failure> {
    if ctx.admin {
        return Ok(());
    }
    match store.get(def.name, id)? {
        None => Err(no_history(def, id)),
        Some(doc) => authorizer.check(def, Action::Read, &doc.natural_key, store),
    }
}

fn no_history(def: &ResourceDef, id: &str) -> Failure {
    Problem::not_found(format!("No {} item with id '{id}' has any history.", def.name)).into()
}

/// The JSON of a stored item: `id`, the canonical content, `_etag`, `_lastModifiedDate`,
/// `changeVersion`. Spliced as text so reads never re-parse or re-hash.
pub fn render(doc: &Document) -> String {
    let inner = doc.content.strip_prefix('{').and_then(|c| c.strip_suffix('}')).unwrap_or("");
    let separator = if inner.is_empty() { "" } else { "," };
    use crate::wire::{CHANGE_VERSION, ETAG, ID, LAST_MODIFIED_DATE};
    format!(
        r#"{{"{ID}":"{}"{separator}{inner},"{ETAG}":"{}","{LAST_MODIFIED_DATE}":"{}","{CHANGE_VERSION}":{}}}"#,
        doc.id,
        doc.etag,
        clock::rfc3339(doc.last_modified),
        doc.change_version
    )
}
