//! What the API's OpenAPI metadata says about a resource: its natural key, the query fields its
//! collection GET declares, and its references. Learnt from the documents alone (never from a
//! compiled model), so the app works against any Ed-Fi ODS/API: natural-key members are marked
//! `x-Ed-Fi-isIdentity`, references are `…Reference` properties whose schema
//! (`edFi_schoolReference`) names the target's (`edFi_school`), and the target's resource is the
//! collection whose GET answers items of that schema.

use std::collections::{BTreeMap, BTreeSet};

use edfi_core::wire;
use edfi_core::wire::paths::{self, Param};
use serde_json::Value;

/// How deep nested objects are searched for references.
const MAX_DEPTH: usize = 6;

/// The JSON type of a member or query field, as the schema gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Date,
    Integer,
    Number,
    Boolean,
    Other,
}

impl FieldKind {
    fn of(schema: &Value) -> FieldKind {
        match (schema.get("type").and_then(Value::as_str), schema.get("format").and_then(Value::as_str)) {
            (Some("string"), Some("date")) => FieldKind::Date,
            (Some("string"), _) => FieldKind::Text,
            (Some("integer"), _) => FieldKind::Integer,
            (Some("number"), _) => FieldKind::Number,
            (Some("boolean"), _) => FieldKind::Boolean,
            _ => FieldKind::Other,
        }
    }

    /// Why `text` is not a value of this kind, if it is not.
    pub fn check(self, text: &str) -> Result<(), String> {
        let ok = match self {
            FieldKind::Integer => text.parse::<i64>().is_ok(),
            FieldKind::Number => text.parse::<f64>().is_ok(),
            FieldKind::Boolean => paths::query_boolean(text).is_some(),
            FieldKind::Date => {
                let parts: Vec<&str> = text.split('-').collect();
                parts.len() == 3
                    && [4, 2, 2]
                        .iter()
                        .zip(&parts)
                        .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_digit()))
            }
            FieldKind::Text | FieldKind::Other => true,
        };
        if ok {
            return Ok(());
        }
        Err(match self {
            FieldKind::Integer => "a whole number".into(),
            FieldKind::Number => "a number".into(),
            FieldKind::Boolean => "true or false".into(),
            _ => "a date (YYYY-MM-DD)".into(),
        })
    }
}

/// One member of the natural key, as a column: `schoolId` for `schoolReference.schoolId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyColumn {
    /// The member's name, or its whole path when two key members share a name.
    pub label: String,
    /// Where it is in an item: `["schoolReference", "schoolId"]`.
    pub path: Vec<String>,
    pub kind: FieldKind,
}

/// A query parameter of the collection GET that filters (not one of the paging parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryField {
    pub name: String,
    pub kind: FieldKind,
}

/// A reference property somewhere in a resource's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceMeta {
    /// Where it is: `schoolReference`, `classPeriods[].classPeriodReference`.
    pub path: String,
    /// Inside a collection or a nested object: no query parameter reaches it.
    pub nested: bool,
    /// The target's schema (`edFi_school`), named after the reference's schema.
    pub target_schema: String,
    /// The target's resource; `None` when no collection answers that schema: an abstract target
    /// such as `edFi_educationOrganization`, whose items are in its subclasses' collections, or
    /// a reference whose role renames members, named after its property
    /// (`edFi_alternativeGraduationPlanReference`).
    pub target: Option<String>,
    /// The reference's members (its `link` left out).
    pub members: Vec<(String, FieldKind)>,
}

impl ReferenceMeta {
    /// The property's name: the last segment of the path.
    pub fn field(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }
}

/// What the metadata says about one resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceMeta {
    pub resource: String,
    /// The schema of its items (`edFi_student`).
    pub schema: String,
    /// The natural key's members, in the schema's order.
    pub key: Vec<KeyColumn>,
    pub query: Vec<QueryField>,
    pub references: Vec<ReferenceMeta>,
}

impl ResourceMeta {
    /// The declared query field of this name, found case-insensitively (as the API does).
    pub fn query_field(&self, name: &str) -> Option<&QueryField> {
        self.query.iter().find(|field| paths::same_name(&field.name, name))
    }

    /// The reference at a body path (`classPeriods[2].classPeriodReference`).
    pub fn reference_at(&self, path: &str) -> Option<&ReferenceMeta> {
        let general = strip_indices(path);
        self.references.iter().find(|reference| reference.path == general)
    }
}

/// A top-level reference of another resource that can point at items of a target resource, and
/// how to ask for the items that do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    pub resource: String,
    /// Where the reference is: `schoolReference`, `classPeriods[].classPeriodReference`.
    pub field: String,
    /// Each reference member with the path of the target's key member whose value it carries.
    pub members: Vec<(String, Vec<String>)>,
    /// The members have no query parameter of their own in the referring collection, so the
    /// API cannot be asked for these items: why.
    pub unqueryable: Option<String>,
    /// The target is a descriptor and `field` a query field holding its URI
    /// (`namespace#codeValue`); `members` is empty.
    pub descriptor: bool,
}

/// Where a resource's items are referenced from, by resource and reference, including the places
/// no query reaches (references inside collections).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Referrers {
    pub target: ResourceMeta,
    pub referrers: Vec<Referrer>,
}

/// The metadata documents (OpenAPI 3 documents of resources and of descriptors), indexed: each
/// collection with its document, and which collection answers each item schema.
pub struct Catalog<'a> {
    /// Each collection's document and path object.
    collections: BTreeMap<String, (&'a Value, &'a Value)>,
    /// `edFi_school` → `schools`.
    answering: BTreeMap<String, String>,
    /// Every resource described, once asked for.
    described: std::cell::OnceCell<Vec<ResourceMeta>>,
}

impl<'a> Catalog<'a> {
    pub fn new(documents: impl IntoIterator<Item = &'a Value>) -> Catalog<'a> {
        let mut collections = BTreeMap::new();
        for document in documents {
            let Some(listed) = document.get("paths").and_then(Value::as_object) else { continue };
            for (path, operations) in listed {
                // The collection's own path (`/ed-fi/students`), not its items' or changes'.
                match paths::endpoint_of(path) {
                    Some(name) if *path == paths::namespaced(name) => {
                        collections.entry(name.to_owned()).or_insert((document, operations));
                    }
                    _ => {}
                }
            }
        }
        let answering = collections
            .iter()
            .filter_map(|(resource, (_, path))| Some((item_schema(path)?, resource.clone())))
            .collect();
        Catalog { collections, answering, described: std::cell::OnceCell::new() }
    }

    /// Every resource the documents serve, by name.
    pub fn resources(&self) -> impl Iterator<Item = &str> {
        self.collections.keys().map(String::as_str)
    }

    /// Describes `resource`; `None` when no document serves it.
    pub fn describe(&self, resource: &str) -> Option<ResourceMeta> {
        let (document, path) = *self.collections.get(resource)?;
        let schema_name = item_schema(path).unwrap_or_default();
        let schema = resolve(document, &format!("{}{schema_name}", paths::SCHEMAS_POINTER));
        let mut meta = ResourceMeta {
            resource: resource.to_owned(),
            schema: schema_name.clone(),
            key: schema.map(|schema| key_columns(document, schema)).unwrap_or_default(),
            query: query_fields(document, path),
            references: Vec::new(),
        };
        if let Some(schema) = schema {
            let mut seen = vec![schema_name];
            collect_references(document, schema, "", false, &self.answering, &mut seen, &mut meta.references);
        }
        Some(meta)
    }

    /// Every reference that can point at an item of `target`: references naming its schema, and
    /// references naming no served resource whose members carry its key. Nested ones are listed
    /// unqueryable; the others name the query parameters that ask for them.
    pub fn referrers(&self, target: &str) -> Option<Referrers> {
        let target = self.describe(target)?;
        let described =
            self.described.get_or_init(|| self.resources().filter_map(|r| self.describe(r)).collect());
        // A descriptor is named by its URI in members named after it, a role before the name
        // (`entryGradeLevelDescriptor`); those the collection can be queried by. A name ending in
        // a longer descriptor's is that one's (`dualCreditTypeDescriptor` is no
        // `creditTypeDescriptor`).
        let descriptor = descriptor_entity(&target);
        let names = |field: &str, entity: &str| field == entity || field.ends_with(&upper_first(entity));
        let longer: Vec<&str> = match descriptor {
            Some(entity) => self
                .resources()
                .filter_map(|r| r.strip_suffix('s'))
                .filter(|other| other.len() > entity.len() && wire::is_descriptor_member(other))
                .collect(),
            None => Vec::new(),
        };
        let mut referrers = Vec::new();
        for meta in described {
            let resource = meta.resource.as_str();
            for reference in &meta.references {
                let unknown_target = reference.target.is_none();
                if !unknown_target && reference.target_schema != target.schema {
                    continue;
                }
                let Some(members) = map_members(&reference.members, &target.key, unknown_target) else {
                    continue;
                };
                let unqueryable = if reference.nested {
                    Some(format!("inside {}: the API has no query for it", reference.path))
                } else {
                    members
                        .iter()
                        .find(|(member, _)| meta.query_field(member).is_none())
                        .map(|(member, _)| format!("{resource} declares no query field {member}"))
                };
                referrers.push(Referrer {
                    resource: resource.to_owned(),
                    field: reference.path.clone(),
                    members,
                    unqueryable,
                    descriptor: false,
                });
            }
            if let Some(entity) = descriptor {
                let holding = meta.query.iter().filter(|f| {
                    f.kind == FieldKind::Text
                        && names(&f.name, entity)
                        && !longer.iter().any(|other| names(&f.name, other))
                });
                referrers.extend(holding.map(|field| Referrer {
                    resource: resource.to_owned(),
                    field: field.name.clone(),
                    members: Vec::new(),
                    unqueryable: None,
                    descriptor: true,
                }));
            }
        }
        Some(Referrers { target, referrers })
    }
}

/// `gradeLevelDescriptor` of the descriptor resource `gradeLevelDescriptors` (keyed by namespace
/// and code value).
fn descriptor_entity(meta: &ResourceMeta) -> Option<&str> {
    let entity = meta.resource.strip_suffix('s').filter(|e| wire::is_descriptor_member(e))?;
    let mut key: Vec<&str> = meta.key.iter().map(|c| c.label.as_str()).collect();
    key.sort_unstable();
    (key == [wire::CODE_VALUE, wire::NAMESPACE]).then_some(entity)
}

/// The schema a local `$ref` names.
pub fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    document.pointer(reference.strip_prefix('#')?)
}

/// A property's `$ref` target, directly or through `allOf`'s first member.
fn ref_of(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .or_else(|| schema.get("allOf").and_then(|all| all.get(0)).and_then(|first| first.get("$ref")))
        .and_then(Value::as_str)
}

fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix(paths::SCHEMAS_POINTER)
}

/// The name of the schema of a collection's items: what its GET answers, else what its POST
/// takes. No name is guessed, so an API that names its schemas otherwise is read as well.
fn item_schema(path: &Value) -> Option<String> {
    path.pointer("/get/responses/200/content/application~1json/schema/items")
        .and_then(ref_of)
        .or_else(|| path.pointer("/post/requestBody/content/application~1json/schema").and_then(ref_of))
        .and_then(schema_name)
        .map(str::to_owned)
}

fn is_identity(schema: &Value) -> bool {
    schema.get(paths::IDENTITY_EXTENSION).and_then(Value::as_bool).unwrap_or(false)
}

/// The natural key's members: properties marked as identity, a reference's members flattened.
/// When nothing is marked (metadata without the extension), the required scalar properties.
fn key_columns(document: &Value, schema: &Value) -> Vec<KeyColumn> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return vec![] };
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let marked = properties.values().any(is_identity);
    let mut columns = Vec::new();
    for (name, property) in properties {
        let in_key = if marked { is_identity(property) } else { required.contains(name.as_str()) };
        if !in_key {
            continue;
        }
        match ref_of(property).and_then(|r| resolve(document, r)) {
            Some(target) if wire::is_reference_member(name) => {
                for (member, kind) in reference_members(target) {
                    columns.push(KeyColumn { label: member.clone(), path: vec![name.clone(), member], kind });
                }
            }
            Some(_) => {}
            None if property.get("type").and_then(Value::as_str) == Some("array") => {}
            None => columns.push(KeyColumn {
                label: name.clone(),
                path: vec![name.clone()],
                kind: FieldKind::of(property),
            }),
        }
    }
    // Two references may carry members of one name: those are told apart by their whole path.
    // (A unified key member, one value in two references, is such a pair too: the metadata does
    // not say which, so both are shown.)
    let shared: Vec<bool> =
        columns.iter().map(|c| columns.iter().filter(|other| other.label == c.label).count() > 1).collect();
    for (column, shared) in columns.iter_mut().zip(shared) {
        if shared {
            column.label = column.path.join(".");
        }
    }
    columns
}

/// A reference schema's members, its `link` left out.
fn reference_members(schema: &Value) -> Vec<(String, FieldKind)> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return vec![] };
    properties
        .iter()
        .filter(|(name, property)| {
            *name != wire::LINK && property.get("readOnly") != Some(&Value::Bool(true))
        })
        .map(|(name, property)| (name.clone(), FieldKind::of(property)))
        .collect()
}

/// The filtering query parameters of a collection's GET (`$ref`ed parameters resolved).
fn query_fields(document: &Value, path: &Value) -> Vec<QueryField> {
    let parameters = path.pointer("/get/parameters").and_then(Value::as_array);
    let mut fields: Vec<QueryField> = Vec::new();
    for parameter in parameters.into_iter().flatten() {
        let parameter = match parameter.get("$ref").and_then(Value::as_str) {
            Some(reference) => match resolve(document, reference) {
                Some(resolved) => resolved,
                None => continue,
            },
            None => parameter,
        };
        if parameter.get("in").and_then(Value::as_str) != Some("query") {
            continue;
        }
        let Some(name) = parameter.get("name").and_then(Value::as_str) else { continue };
        let paging = matches!(
            Param::parse(name),
            Some(Param::Offset | Param::Limit | Param::TotalCount | Param::PageSize | Param::PageToken)
        );
        if paging || fields.iter().any(|f| paths::same_name(&f.name, name)) {
            continue;
        }
        let kind = parameter.get("schema").map_or(FieldKind::Other, FieldKind::of);
        fields.push(QueryField { name: name.to_owned(), kind });
    }
    fields
}

/// Every `…Reference` property of a schema, at any depth (through objects and arrays).
fn collect_references(
    document: &Value,
    schema: &Value,
    prefix: &str,
    nested: bool,
    answering: &BTreeMap<String, String>,
    seen: &mut Vec<String>,
    found: &mut Vec<ReferenceMeta>,
) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
    if seen.len() > MAX_DEPTH {
        return;
    }
    for (name, property) in properties {
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        let (inner, is_array) = match property.get("items") {
            Some(items) if property.get("type").and_then(Value::as_str) == Some("array") => (items, true),
            _ => (property, false),
        };
        let Some(reference) = ref_of(inner) else { continue };
        let Some(target) = resolve(document, reference) else { continue };
        let Some(target_name) = schema_name(reference) else { continue };
        if seen.iter().any(|s| s == target_name) {
            continue;
        }
        if !is_array && wire::is_reference_member(name) {
            if let Some(entity) = wire::reference_role(target_name) {
                let target_schema = entity.to_owned();
                let resource = answering.get(&target_schema).cloned();
                found.push(ReferenceMeta {
                    path,
                    nested,
                    target_schema,
                    target: resource,
                    members: reference_members(target),
                });
                continue;
            }
        }
        let path = if is_array { format!("{path}[]") } else { path };
        seen.push(target_name.to_owned());
        collect_references(document, target, &path, true, answering, seen, found);
        seen.pop();
    }
}

/// `classPeriods[].classPeriodReference` of `classPeriods[3].classPeriodReference`.
pub fn strip_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut skipping = false;
    for c in path.chars() {
        match c {
            '[' => {
                skipping = true;
                out.push('[');
            }
            ']' => {
                skipping = false;
                out.push(']');
            }
            _ if skipping => {}
            c => out.push(c),
        }
    }
    out
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Which key column of the target a reference member carries, by the names alone (the way
/// Ed-Fi names them): the same name; the name a reference role gives a member of a reference in
/// the key (`programEducationOrganizationId` for `programReference.educationOrganizationId`); a
/// role prefix (`assigningEducationOrganizationId` for `educationOrganizationId`).
fn key_column_of<'a>(member: &str, key: &'a [KeyColumn]) -> Option<&'a KeyColumn> {
    let qualified = |column: &KeyColumn| match column.path.as_slice() {
        [reference, name] => {
            let role = wire::reference_role(reference).unwrap_or(reference);
            format!("{}{}", lower_first(role), upper_first(name))
        }
        _ => column.path.join("."),
    };
    let one = |matches: Vec<&'a KeyColumn>| (matches.len() == 1).then(|| matches[0]);
    let named: Vec<&KeyColumn> = key.iter().filter(|c| c.path.last().is_some_and(|n| n == member)).collect();
    if let Some(column) = one(named.clone()) {
        return Some(column);
    }
    if let Some(column) = one(key.iter().filter(|c| qualified(c) == member).collect()) {
        return Some(column);
    }
    if named.len() > 1 {
        // A member carried by two references of the key: the one whose reference is named for it
        // (`educationOrganizationReference.educationOrganizationId`) or the key's own member.
        let own = |c: &&KeyColumn| match c.path.as_slice() {
            [reference, name] => {
                format!("{}Id", wire::reference_role(reference).unwrap_or(reference)) == *name
            }
            [_] => true,
            _ => false,
        };
        // Else the first: such a pair left to stand for one member is a unified one.
        let owned: Vec<&KeyColumn> = named.iter().copied().filter(own).collect();
        return one(owned).or(named.first().copied());
    }
    let suffix = |c: &KeyColumn| c.path.last().is_some_and(|n| member.ends_with(&upper_first(n)));
    one(key.iter().filter(|c| suffix(c)).collect())
}

/// How a reference's members carry the target's key: every member to a distinct key column, and
/// every key column carried, or the twin of one that is (a unified member: the metadata lists it
/// in both references of the key). `unknown_target`: the reference's schema names no served
/// resource (an abstract one such as `edFi_educationOrganization`, or a role's own shape); then a
/// one-member reference may carry a one-member key of the same type under another name
/// (`educationOrganizationId` for `schoolId`), as the subclasses of an abstract resource share
/// its key space.
fn map_members(
    members: &[(String, FieldKind)],
    key: &[KeyColumn],
    unknown_target: bool,
) -> Option<Vec<(String, Vec<String>)>> {
    if members.is_empty() || members.len() > key.len() {
        return None;
    }
    let mut mapped: Vec<(String, Vec<String>)> = Vec::new();
    for (member, kind) in members {
        let column = key_column_of(member, key).or_else(|| {
            let single = unknown_target && key.len() == 1 && members.len() == 1 && key[0].kind == *kind;
            (single && member.ends_with("Id") && key[0].label.ends_with("Id")).then(|| &key[0])
        })?;
        if column.kind != *kind || mapped.iter().any(|(_, path)| *path == column.path) {
            return None;
        }
        mapped.push((member.clone(), column.path.clone()));
    }
    // A twin stands for a unified member only inside a reference of several key members (a
    // session's `schoolId` beside the school's); two one-member references of one name
    // (`educationOrganizationReference`, `peerEducationOrganizationReference`) are two members.
    let name = |path: &[String]| path.last().cloned().unwrap_or_default();
    let in_key =
        |reference: &String| key.iter().filter(|c| c.path.len() > 1 && c.path[0] == *reference).count();
    let carried = |column: &KeyColumn| {
        mapped.iter().any(|(_, path)| *path == column.path)
            || (!unknown_target
                && column.path.len() > 1
                && in_key(&column.path[0]) > 1
                && mapped.iter().any(|(_, path)| name(path) == name(&column.path)))
    };
    key.iter().all(carried).then_some(mapped)
}

/// The value at a path of an item.
pub fn value_at<'a>(item: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(item, |value, segment| value.get(segment))
}

#[cfg(test)]
mod tests;
