//! POST, PUT and DELETE: validate, resolve references, evaluate preconditions, write, cascade.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::authorization::claim_sets::Action;
use crate::authorization::securable;
use crate::content::Content;
use crate::links::{self, Resolved};
use crate::model::{Field, Kind, ResourceDef};
use crate::problem::{Problem, ValidationErrors};
use crate::resources;
use crate::store::{
    Document, HistoryLimits, KeyChange, Link, Referrer, Store, StoreError, Tombstone, Version,
};
use crate::validate::{coerce, lookup, natural_key, reference_key, validate, Ref};
use crate::wire::strip_links;
use crate::{http::Request, http::Response, precondition::WriteOutcome};

use super::authorize::{self, Authorizer};
use super::route::parse_id;
use super::{existing, location, preconditions, read_body, stored_etag, Answer, Config, Context, Failure};

/// A valid body with everything derived from it.
struct Incoming {
    body: Map<String, Value>,
    content: Content,
    key: String,
    refs: Vec<Ref>,
}

fn incoming(def: &ResourceDef, mut body: Map<String, Value>) -> Result<Incoming, Failure> {
    strip_links(&mut body);
    coerce(def, &mut body);
    let refs = validate(def, &body).map_err(Problem::validation_failed)?;
    let key = natural_key(def, &body).expect("validated bodies have their key members");
    Ok(Incoming { content: Content::from_body(&body), body, key, refs })
}

/// The links to store, once every reference names an existing item. An unknown descriptor is a
/// validation failure (400); a reference to a missing item is an unresolved reference (409).
fn resolve(refs: &[Ref], store: &impl Store) -> Result<(Vec<Link>, Vec<Resolved>), Failure> {
    let mut unknown_descriptors = ValidationErrors::new();
    let mut unresolved = ValidationErrors::new();
    let mut links = BTreeSet::new();
    let mut resolved = Vec::new();
    for r in refs {
        let target = resources::find(r.target).expect("references name defined resources");
        if let Some((concrete, doc)) = find_target(store, r.target, &r.key)? {
            resolved.push(Resolved { path: r.path.clone(), target: concrete, id: doc.id });
        } else {
            let (errors, message) = if target.is_descriptor {
                (&mut unknown_descriptors, format!("is not a known {}.", target.entity()))
            } else {
                (&mut unresolved, format!("The referenced {} does not exist.", target.entity()))
            };
            errors.entry(r.path.clone()).or_default().push(message);
        }
        links.insert(Link { target: r.target.to_owned(), key: r.key.clone() });
    }
    if !unknown_descriptors.is_empty() {
        return Err(Problem::validation_failed(unknown_descriptors).into());
    }
    if !unresolved.is_empty() {
        return Err(Problem::unresolved_reference(unresolved).into());
    }
    Ok((links.into_iter().collect(), resolved))
}

/// The item a reference names: of its target, or, when the target is abstract (an education
/// organization), of whichever subclass holds that key. Subclasses are keyed like their abstract
/// resource, so the key text is the same (`resources::check_definitions`).
fn find_target(
    store: &impl Store,
    target: &str,
    key: &str,
) -> Result<Option<(&'static ResourceDef, Document)>, StoreError> {
    let Some(def) = resources::find(target) else { return Ok(None) };
    for concrete in resources::concrete(def) {
        if let Some(doc) = store.get_by_natural_key(concrete.name, key)? {
            return Ok(Some((concrete, doc)));
        }
    }
    Ok(None)
}

/// Two kinds of one abstract resource share one key space: a school and a local education
/// agency cannot both be education organization 255901.
fn refuse_sibling_with_key(store: &impl Store, def: &ResourceDef, key: &str) -> Result<(), Failure> {
    let Some(abstract_name) = def.superclass else { return Ok(()) };
    match find_target(store, abstract_name, key)? {
        Some((sibling, _)) if sibling.name != def.name => {
            Err(Problem::non_unique_key(resources::get(abstract_name).entity()).into())
        }
        _ => Ok(()),
    }
}

/// At most `limit` items referring to `def`'s item with `key`: directly, or through its
/// abstract resource.
fn referrers_of(
    store: &impl Store,
    def: &ResourceDef,
    key: &str,
    limit: usize,
) -> Result<Vec<Referrer>, StoreError> {
    let mut referrers = store.referrers(def.name, key, limit)?;
    if let Some(abstract_name) = def.superclass {
        let rest = limit.saturating_sub(referrers.len());
        if rest > 0 {
            referrers.extend(store.referrers(abstract_name, key, rest)?);
        }
    }
    Ok(referrers)
}

/// How many referring items a refused delete names: enough to find them, and a delete of an
/// item with 100,000 referrers reads no more than these.
const REFERRERS_NAMED: usize = 5;

/// The most items one key change may rewrite. Every rewrite is planned before anything is
/// written, in the one request the instance is serving, so a cascade is bounded like a page.
pub(super) const MAX_CASCADE_ITEMS: usize = 1_000;

fn refuse_failed(outcome: WriteOutcome) -> Result<(), Failure> {
    match outcome {
        WriteOutcome::Failed(problem) => Err(problem.into()),
        WriteOutcome::Proceed => Ok(()),
    }
}

pub(super) fn post(
    def: &ResourceDef,
    req: &Request,
    store: &mut impl Store,
    config: &Config,
    ctx: &Context,
) -> Answer {
    let authorizer = Authorizer::new(ctx.scope);
    authorize::require_any(&authorizer, def, &[Action::Create, Action::Update])?;
    let pre = preconditions(req)?;
    let body = read_body(req, config)?;
    if body.contains_key(crate::wire::ID) {
        return Err(validation_problem(
            "$.id",
            "A new or upserted resource item is identified by its natural key; do not send 'id' in a POST.",
        )
        .into());
    }
    let incoming = incoming(def, body)?;
    let existing = store.get_by_natural_key(def.name, &incoming.key)?;
    // An upsert that finds its item is an update: of what is stored, and to what is sent.
    match &existing {
        Some(existing) => {
            authorizer.check(def, Action::Update, &existing.natural_key, store)?;
            authorizer.check(def, Action::Update, &incoming.key, store)?;
        }
        None => authorizer.check(def, Action::Create, &incoming.key, store)?,
    }
    let current = existing.as_ref().map(stored_etag);
    refuse_failed(pre.evaluate_write(config.if_match, current.as_ref()))?;
    if existing.is_none() {
        refuse_sibling_with_key(store, def, &incoming.key)?;
    }
    let (links, resolved) = resolve(&incoming.refs, store)?;
    let content = incoming.content.stored_as(links::stored_text(&incoming.body, &resolved));
    let stamp = Stamp::new(ctx, config);
    let (status, doc) = match existing {
        None => {
            let id = uuid::Builder::from_random_bytes(ctx.random).into_uuid().simple().to_string();
            let doc = new_version(store, id, incoming.key, content, &stamp)?;
            store.insert(def.name, &doc)?;
            stamp.record(store, def, &doc.id, Some(&doc), doc.change_version)?;
            (201, doc)
        }
        Some(existing) => (200, write_update(def, store, existing, content, &stamp)?),
    };
    store.set_links(def.name, &doc.id, &links)?;
    state_relations(store, def, &doc.id, &incoming.body)?;
    Ok(Response::empty(status)
        .with_header("Location", location(ctx.base_url, def, &doc.id))
        .with_header("ETag", stored_etag(&doc).to_string()))
}

pub(super) fn put(
    def: &ResourceDef,
    id: &str,
    req: &Request,
    store: &mut impl Store,
    config: &Config,
    ctx: &Context,
) -> Answer {
    let existing = existing(def, id, store)?;
    let authorizer = Authorizer::new(ctx.scope);
    authorizer.check(def, Action::Update, &existing.natural_key, store)?;
    // Decided before the body is read (RFC 9110 §13.2.1): a stale If-Match is 412 whatever it says.
    refuse_failed(preconditions(req)?.evaluate_write(config.if_match, Some(&stored_etag(&existing))))?;
    let body = read_body(req, config)?;
    if let Some(body_id) = body.get(crate::wire::ID) {
        let same = body_id.as_str().and_then(|s| parse_id(s).ok()).is_some_and(|b| b == id);
        if !same {
            return Err(
                validation_problem("$.id", "The 'id' in the body does not match the id in the URL.").into()
            );
        }
    }
    let incoming = incoming(def, body)?;
    authorizer.check(def, Action::Update, &incoming.key, store)?;
    let key_changes = incoming.key != existing.natural_key;
    if key_changes {
        if !def.key_change_allowed {
            return Err(Problem::key_change_not_supported(def.name).into());
        }
        if store.get_by_natural_key(def.name, &incoming.key)?.is_some() {
            return Err(Problem::non_unique_key(def.name).into());
        }
        refuse_sibling_with_key(store, def, &incoming.key)?;
    }
    let (links, resolved) = resolve(&incoming.refs, store)?;
    let content = incoming.content.clone().stored_as(links::stored_text(&incoming.body, &resolved));
    let cascade = if key_changes {
        plan_cascade(store, def, &existing.natural_key, &incoming.body)?
    } else {
        Vec::new()
    };
    let old_key = existing.natural_key.clone();
    let doc = Document { natural_key: incoming.key.clone(), ..existing };
    let stamp = Stamp::new(ctx, config);
    let doc = write_update(def, store, doc, content, &stamp)?;
    store.set_links(def.name, &doc.id, &links)?;
    state_relations(store, def, &doc.id, &incoming.body)?;
    if key_changes {
        let change = KeyChange {
            id: doc.id.clone(),
            old_key: old_key.clone(),
            new_key: incoming.key,
            change_version: doc.change_version,
        };
        store.record_key_change(def.name, &change)?;
        apply_cascade(store, cascade, &stamp)?;
    }
    Ok(Response::empty(204)
        .with_header("ETag", stored_etag(&doc).to_string())
        .with_header("Location", location(ctx.base_url, def, &doc.id)))
}

pub(super) fn delete(
    def: &ResourceDef,
    id: &str,
    req: &Request,
    store: &mut impl Store,
    config: &Config,
    ctx: &Context,
) -> Answer {
    let existing = existing(def, id, store)?;
    Authorizer::new(ctx.scope).check(def, Action::Delete, &existing.natural_key, store)?;
    refuse_failed(preconditions(req)?.evaluate_write(config.if_match, Some(&stored_etag(&existing))))?;
    let referrers = referrers_of(store, def, &existing.natural_key, REFERRERS_NAMED)?;
    if !referrers.is_empty() {
        let named = referrers.iter().map(|r| format!("Referenced by {} item {}.", r.resource, r.id));
        return Err(Problem::dependent_item_exists(named.collect()).into());
    }
    let change_version = store.next_change_version()?;
    let tombstone = Tombstone { id: existing.id.clone(), natural_key: existing.natural_key, change_version };
    store.record_delete(def.name, &tombstone)?;
    store.delete(def.name, id)?;
    store.set_links(def.name, id, &[])?;
    if securable::states_relations(def) {
        store.set_relations(def.name, id, &[])?;
    }
    Stamp::new(ctx, config).record(store, def, id, None, change_version)?;
    Ok(Response::empty(204))
}

/// One referring item a key change rewrites: its stored document and what it becomes.
struct Rewrite {
    def: &'static ResourceDef,
    doc: Document,
    body: Map<String, Value>,
    key: String,
    refs: Vec<Ref>,
}

/// Plans the rewrite of every item that references `changed`'s old key so it carries the new
/// key. An item whose own natural key contains that reference changes key too, and the change
/// travels on to its referrers. Nothing is written: a rewrite that would leave an item invalid
/// (key unification, a taken key) refuses the whole request with a 409 before any write.
fn plan_cascade(
    store: &impl Store,
    changed: &ResourceDef,
    old_key: &str,
    new_body: &Map<String, Value>,
) -> Result<Vec<Rewrite>, Failure> {
    let mut plan: Vec<Rewrite> = Vec::new();
    let mut refused = Vec::new();
    let mut work = vec![(changed.name, old_key.to_owned(), new_body.clone())];
    while let Some((target, old_key, new_body)) = work.pop() {
        // One more than may be rewritten tells a cascade that is too large.
        for referrer in referrers_of(store, resources::get(target), &old_key, MAX_CASCADE_ITEMS + 1)? {
            let Some(def) = resources::find(&referrer.resource) else { continue };
            let planned = plan.iter().position(|r| r.def.name == def.name && r.doc.id == referrer.id);
            let (doc, mut body, key_before) = match planned {
                Some(i) => (plan[i].doc.clone(), plan[i].body.clone(), plan[i].key.clone()),
                None => {
                    let Some(doc) = store.get(def.name, &referrer.id)? else { continue };
                    let mut body = serde_json::from_str(&doc.content).map_err(|e| {
                        StoreError(format!("stored {} {} is not JSON: {e}", def.name, doc.id))
                    })?;
                    strip_links(&mut body);
                    let key = doc.natural_key.clone();
                    (doc, body, key)
                }
            };
            rewrite_references(def.fields, &mut body, target, &old_key, &new_body);
            let refs = match validate(def, &body) {
                Ok(refs) => refs,
                Err(errors) => {
                    for (path, messages) in errors {
                        for m in messages {
                            refused.push(format!(
                                "{} item {} would become invalid: {path} {m}",
                                def.name, referrer.id
                            ));
                        }
                    }
                    continue;
                }
            };
            let key = natural_key(def, &body).expect("validated bodies have their key members");
            let taken = key != doc.natural_key
                && (store.get_by_natural_key(def.name, &key)?.is_some_and(|other| other.id != doc.id)
                    || plan.iter().any(|r| r.def.name == def.name && r.key == key && r.doc.id != doc.id));
            if taken {
                refused.push(format!(
                    "{} item {} would take identifying values another {} item has.",
                    def.name, referrer.id, def.name
                ));
                continue;
            }
            if key != key_before {
                work.push((def.name, key_before, body.clone()));
            }
            let rewrite = Rewrite { def, doc, body, key, refs };
            match planned {
                Some(i) => plan[i] = rewrite,
                None => plan.push(rewrite),
            }
            if plan.len() > MAX_CASCADE_ITEMS {
                return Err(Problem::cascade_refused(vec![format!(
                    "The change would rewrite more than {MAX_CASCADE_ITEMS} referring items; change or \
                     remove some of them first."
                )])
                .into());
            }
        }
    }
    if !refused.is_empty() {
        refused.truncate(10);
        return Err(Problem::cascade_refused(refused).into());
    }
    Ok(plan)
}

/// Writes a planned cascade: each item once, with its key change recorded if its key changed.
/// Items are written in plan order, so each one's references (to the changed item, or to an
/// item rewritten before it) resolve by their new keys for its links.
fn apply_cascade(store: &mut impl Store, plan: Vec<Rewrite>, stamp: &Stamp) -> Result<(), StoreError> {
    for Rewrite { def, doc, body, key, refs } in plan {
        // Every reference resolved when the cascade was planned, or was rewritten to an item
        // written before this one; a failure here is the store's inconsistency, not the client's.
        let (links, resolved) = resolve(&refs, store).map_err(|failure| match failure {
            Failure::Store(error) => error,
            Failure::Problem(problem) => {
                StoreError(format!("cascade left {} {} unresolved: {}", def.name, doc.id, problem.detail))
            }
        })?;
        let content = Content::from_body(&body).stored_as(links::stored_text(&body, &resolved));
        let old_key = doc.natural_key.clone();
        let updated = write_update(def, store, Document { natural_key: key.clone(), ..doc }, content, stamp)?;
        store.set_links(def.name, &updated.id, &links)?;
        state_relations(store, def, &updated.id, &body)?;
        if key != old_key {
            let change = KeyChange {
                id: updated.id.clone(),
                old_key,
                new_key: key,
                change_version: updated.change_version,
            };
            store.record_key_change(def.name, &change)?;
        }
    }
    Ok(())
}

/// Points every reference to `target`'s item `old_key` at the values in `new_body`.
fn rewrite_references(
    fields: &[Field],
    object: &mut Map<String, Value>,
    target: &str,
    old_key: &str,
    new_body: &Map<String, Value>,
) {
    for field in fields {
        let Some(value) = object.get_mut(field.name) else { continue };
        match (&field.kind, value) {
            (Kind::Reference(reference), Value::Object(members))
                if reference.target == target
                    && reference_key(reference, members).as_deref() == Some(old_key) =>
            {
                for member in reference.members {
                    if let Some(new_value) = lookup(new_body, member.target_path) {
                        members.insert(member.name.to_owned(), new_value.clone());
                    }
                }
            }
            (Kind::Object(inner), Value::Object(nested)) => {
                rewrite_references(inner, nested, target, old_key, new_body)
            }
            (Kind::Collection { item, .. }, Value::Array(items)) => {
                for element in items.iter_mut().filter_map(Value::as_object_mut) {
                    rewrite_references(item, element, target, old_key, new_body);
                }
            }
            _ => {}
        }
    }
}

/// Tells the store the relations an item of `def` now states, if its resource states any (an
/// organization's parents, a pathway's tie): other resources' writes cost nothing here.
fn state_relations(
    store: &mut impl Store,
    def: &ResourceDef,
    id: &str,
    body: &Map<String, Value>,
) -> Result<(), StoreError> {
    if securable::states_relations(def) {
        store.set_relations(def.name, id, &securable::relations(def, body))?;
    }
    Ok(())
}

/// Stores new content over `existing`, unless it is the same content: a write that changes
/// nothing keeps the ETag, `_lastModifiedDate` and change version.
fn write_update(
    def: &ResourceDef,
    store: &mut impl Store,
    existing: Document,
    content: Content,
    stamp: &Stamp,
) -> Result<Document, StoreError> {
    if existing.etag == content.etag().opaque() {
        return Ok(existing);
    }
    let doc = new_version(store, existing.id, existing.natural_key, content, stamp)?;
    store.update(def.name, &doc)?;
    stamp.record(store, def, &doc.id, Some(&doc), doc.change_version)?;
    Ok(doc)
}

fn new_version(
    store: &mut impl Store,
    id: String,
    natural_key: String,
    content: Content,
    stamp: &Stamp,
) -> Result<Document, StoreError> {
    let (content, etag) = content.into_parts();
    Ok(Document {
        id,
        natural_key,
        content,
        etag: etag.opaque().to_owned(),
        last_modified: stamp.now,
        change_version: store.next_change_version()?,
    })
}

/// Who writes, when, and how much history to keep: the same for every item one request changes.
pub(super) struct Stamp<'a> {
    now: i64,
    client: &'a str,
    history: HistoryLimits,
}

impl<'a> Stamp<'a> {
    pub(super) fn new(ctx: &Context<'a>, config: &Config) -> Self {
        Self { now: ctx.now, client: ctx.client_name, history: config.history }
    }

    /// Adds a version to an item's history: its content, or a tombstone (`None`).
    fn record(
        &self,
        store: &mut impl Store,
        def: &ResourceDef,
        id: &str,
        doc: Option<&Document>,
        change_version: i64,
    ) -> Result<(), StoreError> {
        let version = Version {
            etag: doc.map(|d| d.etag.clone()).unwrap_or_default(),
            content: doc.map(|d| d.content.clone()),
            last_modified: self.now,
            change_version,
            client: self.client.to_owned(),
        };
        store.record_version(def.name, id, &version, self.history, self.now)
    }
}

fn validation_problem(path: &str, message: &str) -> Problem {
    let mut errors = ValidationErrors::new();
    errors.insert(path.to_owned(), vec![message.to_owned()]);
    Problem::validation_failed(errors)
}
