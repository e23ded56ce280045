//! The metadata ODS/API clients read (the `/metadata/` index, two OpenAPI 3.0 documents and the
//! load order), generated from the resource definitions alone: a new definition appears here
//! without any change to this module.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::model::{Field, Kind, Reference, ResourceDef, DESCRIPTOR_URI_MAX};
use crate::resources;
use crate::wire;
use crate::wire::answers::MetadataEntry;
use crate::wire::paths::{self, Param};

const OPENAPI_VERSION: &str = "3.0.1";
/// The ODS/API version whose metadata layout these documents follow.
const API_VERSION: &str = "7.3";
const SECURITY_SCHEME: &str = "oauth2_client_credentials";
const SCHEMA_PREFIX: &str = paths::SCHEMAS_POINTER;
/// The engine's paging bounds, repeated here so the documents do not depend on the engine.
const DEFAULT_LIMIT: u64 = 25;
const MAX_LIMIT: u64 = 500;
const TIME_PATTERN: &str = r"^\d{2}:\d{2}:\d{2}$";

// ------------------------------------------------------------------------------------ public API

/// The `/metadata/` answer: where the resources and descriptors documents are.
pub fn metadata_index(base_url: &str) -> Value {
    let entry = |name: &str, path: &str| MetadataEntry {
        name: name.to_owned(),
        endpoint_uri: format!("{base_url}{path}"),
        prefix: String::new(),
    };
    let entries = [
        entry(paths::RESOURCES, paths::RESOURCES_DOCUMENT),
        entry(paths::DESCRIPTORS, paths::DESCRIPTORS_DOCUMENT),
    ];
    serde_json::to_value(entries).expect("metadata entries serialize")
}

/// The OpenAPI document of every resource that is not a descriptor.
pub fn resources_document(base_url: &str) -> Value {
    document(base_url, "Ed-Fi Resources", &selected(|def| !def.is_descriptor))
}

/// The OpenAPI document of the descriptors.
pub fn descriptors_document(base_url: &str) -> Value {
    document(base_url, "Ed-Fi Descriptors", &selected(|def| def.is_descriptor))
}

/// The `/metadata/data/v3/dependencies` answer: every resource with its load order, sorted by
/// order then name. `_base_url` is unused because ODS/API lists resource paths relative to the
/// data base; it is kept so the metadata answers share one signature.
pub fn dependencies(_base_url: &str) -> Value {
    let mut rows: Vec<(usize, &str)> =
        load_orders(resources::all()).into_iter().map(|(name, order)| (order, name)).collect();
    rows.sort_unstable();
    let rows = rows.into_iter().map(|(order, name)| {
        json!({ "resource": paths::namespaced(name), "order": order, "operations": ["Create", "Update"] })
    });
    Value::Array(rows.collect())
}

// ------------------------------------------------------------------------------------- documents

fn selected(keep: impl Fn(&ResourceDef) -> bool) -> Vec<&'static ResourceDef> {
    resources::all().iter().copied().filter(|def| keep(def)).collect()
}

fn document(base_url: &str, title: &str, defs: &[&ResourceDef]) -> Value {
    let mut schemas = Schemas::default();
    let mut paths = Map::new();
    for def in defs {
        schemas.add_resource(def);
        paths.extend(resource_paths(def));
    }
    json!({
        "openapi": OPENAPI_VERSION,
        "info": { "title": title, "version": API_VERSION },
        "servers": [{ "url": format!("{base_url}{}", paths::DATA_API) }],
        "security": [{ SECURITY_SCHEME: [] }],
        "tags": defs.iter().map(|def| tag(def)).collect::<Vec<_>>(),
        "paths": paths,
        "components": { "schemas": schemas.0, "securitySchemes": security_schemes(base_url) },
    })
}

fn tag(def: &ResourceDef) -> Value {
    let description = if def.is_descriptor {
        format!("The {} descriptor values.", def.name)
    } else {
        format!("The {} resource, identified by {}.", def.name, def.natural_key.join(", "))
    };
    let mut tag = json!({ "name": def.name, "description": description });
    // Ed-Fi's own grouping, `x-Ed-Fi-domains`, is not in the material the model is generated from;
    // the interchange schemas are, and they place every resource (descriptors excepted) in the
    // bulk-exchange files of its subject. Clients may group resources by it.
    if !def.interchanges.is_empty() {
        tag[paths::INTERCHANGES_EXTENSION] = json!(def.interchanges);
    }
    tag
}

fn security_schemes(base_url: &str) -> Value {
    json!({
        SECURITY_SCHEME: {
            "type": "oauth2",
            "description": "OAuth 2.0 client credentials: POST the key and secret to the token URL.",
            "flows": { "clientCredentials": { "tokenUrl": format!("{base_url}{}", paths::TOKEN), "scopes": {} } },
        }
    })
}

// --------------------------------------------------------------------------------------- schemas

/// The named schemas of one document.
#[derive(Default)]
struct Schemas(Map<String, Value>);

impl Schemas {
    /// Adds a named schema and answers a `$ref` to it. Shared schemas (references) are added by
    /// every user, so a name must always come with the same schema.
    fn add(&mut self, name: String, schema: Value) -> Value {
        let reference = schema_ref(&name);
        match self.0.get(&name) {
            // The definitions are static and the tests generate both documents, so a clash of two
            // definitions fails a test rather than a request.
            Some(existing) => debug_assert_eq!(existing, &schema, "two different schemas named {name}"),
            None => {
                self.0.insert(name, schema);
            }
        }
        reference
    }

    /// `edFi_<entity>`: the server-owned members, then every field, natural key fields marked.
    fn add_resource(&mut self, def: &ResourceDef) {
        let name = resource_schema_name(def);
        let identity = identity_fields(def);
        let mut properties = server_owned_properties();
        for field in def.fields {
            let mut schema = self.field_schema(&name, field);
            if identity.contains(field.name) {
                schema[paths::IDENTITY_EXTENSION] = json!(true);
            }
            properties.insert(field.name.to_owned(), schema);
        }
        self.add(name, object_schema(properties, def.fields));
    }

    /// The schema of a member of the object schema named `parent`.
    fn field_schema(&mut self, parent: &str, field: &Field) -> Value {
        match &field.kind {
            Kind::Object(fields) => self.object(format!("{parent}_{}", field.name), fields),
            Kind::Collection { item, min_items } => {
                let items = self.object(format!("{parent}_{}", singular(field.name)), item);
                let mut schema = json!({ "type": "array", "items": items });
                if *min_items > 0 {
                    schema["minItems"] = json!(min_items);
                }
                schema
            }
            Kind::Reference(reference) => self.reference(field.name, reference),
            scalar => scalar_schema(scalar).unwrap_or_else(|| unreachable!("the other kinds are scalar")),
        }
    }

    /// A nested object as a named schema, its own nested objects named after it.
    fn object(&mut self, name: String, fields: &[Field]) -> Value {
        let properties = fields.iter().map(|field| (field.name.to_owned(), self.field_schema(&name, field)));
        let schema = object_schema(properties.collect(), fields);
        self.add(name, schema)
    }

    /// The shared `edFi_<target>Reference`: every member is required and part of the identity;
    /// the server adds a read-only `link` to the item it resolves to.
    fn reference(&mut self, field_name: &str, reference: &Reference) -> Value {
        let link = json!({
            "type": "object",
            "readOnly": true,
            "description": "The item the reference resolves to; made by the server and ignored on writes.",
            "properties": { "rel": { "type": "string" }, "href": { "type": "string" } },
        });
        let mut properties: Map<String, Value> = reference
            .members
            .iter()
            .filter_map(|member| {
                let mut schema = scalar_schema(&member.kind)?;
                schema[paths::IDENTITY_EXTENSION] = json!(true);
                Some((member.name.to_owned(), schema))
            })
            .collect();
        properties.insert(crate::wire::LINK.to_owned(), link);
        let required: Vec<&str> = reference.members.iter().map(|member| member.name).collect();
        let schema = json!({ "type": "object", "properties": properties, "required": required });
        self.add(reference_schema_name(field_name, reference), schema)
    }
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("{SCHEMA_PREFIX}{name}") })
}

/// The top-level fields holding the natural key (`schoolReference` for `schoolReference.schoolId`).
fn identity_fields(def: &ResourceDef) -> BTreeSet<&str> {
    def.natural_key.iter().filter_map(|path| path.split('.').next()).collect()
}

/// `id`, `_etag` and `_lastModifiedDate`: the members the server owns.
fn server_owned_properties() -> Map<String, Value> {
    let mut properties = Map::new();
    properties.insert(wire::ID.into(), json!({ "type": "string", "readOnly": true }));
    properties.insert(wire::ETAG.into(), json!({ "type": "string", "readOnly": true }));
    properties.insert(
        wire::LAST_MODIFIED_DATE.into(),
        json!({ "type": "string", "format": "date-time", "readOnly": true }),
    );
    properties
}

/// An object schema; `required` is left out when empty (OpenAPI 3.0 wants at least one name).
fn object_schema(properties: Map<String, Value>, fields: &[Field]) -> Value {
    let mut schema = json!({ "type": "object", "properties": properties });
    let required: Vec<&str> = fields.iter().filter(|field| field.required).map(|field| field.name).collect();
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

/// The schema of a scalar kind; `None` for objects, references and collections.
fn scalar_schema(kind: &Kind) -> Option<Value> {
    Some(match kind {
        Kind::Text { min, max } => json!({ "type": "string", "minLength": min, "maxLength": max }),
        Kind::Date => json!({ "type": "string", "format": "date" }),
        Kind::Time => json!({ "type": "string", "format": "time", "pattern": TIME_PATTERN }),
        Kind::DateTime => json!({ "type": "string", "format": "date-time" }),
        Kind::Duration => {
            json!({ "type": "string", "maxLength": crate::validate::DURATION_MAX, "description": "An ISO 8601 duration, such as PT1H30M." })
        }
        Kind::Decimal { total_digits, fraction_digits } => {
            let mut schema = json!({ "type": "number", "format": "double" });
            if let Some(total) = total_digits {
                schema["x-Ed-Fi-totalDigits"] = json!(total);
            }
            if let Some(fraction) = fraction_digits {
                schema["x-Ed-Fi-fractionDigits"] = json!(fraction);
            }
            schema
        }
        Kind::Boolean => json!({ "type": "boolean" }),
        Kind::Integer(range) => json!({
            "type": "integer",
            "format": if range.fits_i32() { "int32" } else { "int64" },
            "minimum": range.min(),
            "maximum": range.max(),
        }),
        Kind::Descriptor(target) => json!({
            "type": "string",
            "maxLength": DESCRIPTOR_URI_MAX,
            "description": format!("A descriptor URI (namespace#codeValue) of an item of {target}."),
        }),
        Kind::Object(_) | Kind::Reference(_) | Kind::Collection { .. } => return None,
    })
}

/// `edFi_schoolReference` for a reference whose members keep the target's key names, shared by
/// every resource referencing that target. A role-named reference that renames them
/// (`educationOrganizationId` for `schoolId`) is another shape, so it is named after its field.
fn reference_schema_name(field_name: &str, reference: &Reference) -> String {
    let keeps_key_names =
        reference.members.iter().all(|member| member.target_path.rsplit('.').next() == Some(member.name));
    if keeps_key_names {
        let entity = resources::find(reference.target).map_or(reference.target, ResourceDef::entity);
        format!("edFi_{entity}{}", wire::REFERENCE_SUFFIX)
    } else if wire::is_reference_member(field_name) {
        format!("edFi_{field_name}")
    } else {
        format!("edFi_{field_name}{}", wire::REFERENCE_SUFFIX)
    }
}

/// The name of one item of a collection field (`gradeLevels` → `gradeLevel`, `categories` →
/// `category`).
fn singular(name: &str) -> String {
    match name.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => name.strip_suffix('s').unwrap_or(name).to_owned(),
    }
}

// ----------------------------------------------------------------------------------------- paths

/// `/ed-fi/<name>`, `/ed-fi/<name>/{id}`, `/ed-fi/<name>/deletes` and `/ed-fi/<name>/keyChanges`.
fn resource_paths(def: &ResourceDef) -> [(String, Value); 4] {
    let base = paths::namespaced(def.name);
    [
        (base.clone(), json!({ "get": list_operation(def), "post": post_operation(def) })),
        (
            format!("{base}/{{id}}"),
            json!({ "get": get_operation(def), "put": put_operation(def), "delete": delete_operation(def) }),
        ),
        (
            format!("{base}/{}", paths::DELETES),
            json!({ "get": changes_operation(def, paths::DELETES, "deleted items") }),
        ),
        (
            format!("{base}/{}", paths::KEY_CHANGES),
            json!({ "get": changes_operation(def, paths::KEY_CHANGES, "natural key changes") }),
        ),
    ]
}

/// The members every operation has; `operationId` is a verb and the capitalized name.
fn operation(def: &ResourceDef, operation_id: String, summary: String, parameters: Vec<Value>) -> Value {
    json!({ "tags": [def.name], "operationId": operation_id, "summary": summary, "parameters": parameters })
}

fn list_operation(def: &ResourceDef) -> Value {
    let mut parameters = vec![
        offset(),
        limit(),
        total_count(),
        page_size(),
        page_token(),
        min_change_version(),
        max_change_version(),
    ];
    parameters.extend(field_parameters(def));
    let mut op = operation(
        def,
        format!("get{}", capitalized(def.name)),
        format!("Lists {}, filtered by field values and paged.", def.name),
        unique_by_name(parameters),
    );
    op["responses"] = responses(&[(200, "The matching items."), (400, BAD_REQUEST)]);
    op["responses"]["200"]["content"] = json_content(json!({ "type": "array", "items": resource_ref(def) }));
    op
}

fn post_operation(def: &ResourceDef) -> Value {
    let mut op = operation(
        def,
        format!("post{}", capitalized(def.entity())),
        format!("Creates a {0}, or updates the {0} with the same natural key.", def.entity()),
        vec![
            header("If-Match", "Update only if the current ETag matches."),
            if_none_match(),
            idempotency_key(),
        ],
    );
    op["requestBody"] = request_body(def);
    op["responses"] = responses(&[
        (200, "Updated the item with the same natural key."),
        (201, "Created."),
        (400, BAD_REQUEST),
        (409, CONFLICT),
        (412, PRECONDITION_FAILED),
        (422, IDEMPOTENCY_KEY_REUSED),
    ]);
    op
}

fn get_operation(def: &ResourceDef) -> Value {
    let mut op = operation(
        def,
        format!("get{}ById", capitalized(def.name)),
        format!("Reads one {}.", def.entity()),
        vec![id_parameter(), if_none_match()],
    );
    op["responses"] = responses(&[
        (200, "The item."),
        (304, "Not modified: the ETag matches If-None-Match."),
        (404, NOT_FOUND),
    ]);
    op["responses"]["200"]["content"] = json_content(resource_ref(def));
    op
}

fn put_operation(def: &ResourceDef) -> Value {
    let mut op = operation(
        def,
        format!("put{}", capitalized(def.entity())),
        format!("Replaces one {}.", def.entity()),
        vec![id_parameter(), if_match(), idempotency_key()],
    );
    op["requestBody"] = request_body(def);
    op["responses"] = responses(&[
        (204, "Updated."),
        (400, BAD_REQUEST),
        (404, NOT_FOUND),
        (409, CONFLICT),
        (412, PRECONDITION_FAILED),
        (422, IDEMPOTENCY_KEY_REUSED),
    ]);
    op
}

fn delete_operation(def: &ResourceDef) -> Value {
    let mut op = operation(
        def,
        format!("delete{}ById", capitalized(def.entity())),
        format!("Deletes one {}.", def.entity()),
        vec![id_parameter(), if_match(), idempotency_key()],
    );
    op["responses"] = responses(&[
        (204, "Deleted."),
        (400, BAD_REQUEST),
        (404, NOT_FOUND),
        (409, "Other items still reference this one."),
        (412, PRECONDITION_FAILED),
        (422, IDEMPOTENCY_KEY_REUSED),
    ]);
    op
}

/// `/deletes` and `/keyChanges`: change tracking, filtered by change version and paged.
fn changes_operation(def: &ResourceDef, verb: &str, what: &str) -> Value {
    let mut op = operation(
        def,
        format!("{verb}{}", capitalized(def.name)),
        format!("Lists the {what} of {} between two change versions.", def.name),
        vec![min_change_version(), max_change_version(), offset(), limit()],
    );
    op["responses"] = responses(&[(200, "The changes."), (400, BAD_REQUEST)]);
    op["responses"]["200"]["content"] =
        json_content(json!({ "type": "array", "items": { "type": "object" } }));
    op
}

fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn resource_schema_name(def: &ResourceDef) -> String {
    format!("edFi_{}", def.entity())
}

fn resource_ref(def: &ResourceDef) -> Value {
    schema_ref(&resource_schema_name(def))
}

fn request_body(def: &ResourceDef) -> Value {
    json!({ "required": true, "content": json_content(resource_ref(def)) })
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

const BAD_REQUEST: &str = "The request is malformed or fails validation (problem details).";
const NOT_FOUND: &str = "No item has this id.";
const CONFLICT: &str = "A reference names no existing item, or the natural key is taken.";
const PRECONDITION_FAILED: &str =
    "If-Match does not match the current ETag by strong comparison (a stale or weak tag), or If-None-Match matches; nothing changed.";
const IDEMPOTENCY_KEY_REUSED: &str =
    "The Idempotency-Key was already used by this client for a different request; nothing changed.";

fn responses(statuses: &[(u16, &str)]) -> Value {
    let entries = statuses
        .iter()
        .map(|(status, description)| (status.to_string(), json!({ "description": description })));
    Value::Object(entries.collect())
}

// ------------------------------------------------------------------------------------ parameters

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn header(name: &str, description: &str) -> Value {
    let schema = json!({ "type": "string" });
    json!({ "name": name, "in": "header", "required": false, "description": description, "schema": schema })
}

fn id_parameter() -> Value {
    json!({
        "name": "id",
        "in": "path",
        "required": true,
        "description": "The id the server assigned (32 lowercase hex digits).",
        "schema": { "type": "string" },
    })
}

fn if_match() -> Value {
    header("If-Match", "Proceed only if the current ETag matches (strong comparison).")
}

fn idempotency_key() -> Value {
    let mut parameter = header(
        crate::idempotency::HEADER,
        "Makes a retry safe: the same request (method, path and body) with the same key within the \
         window (IDEMPOTENCY_WINDOW_HOURS, default 24) is answered its first answer again, with \
         `Idempotency-Replayed: true`, and writes nothing. A structured-field string of 1 to 255 \
         printable characters, e.g. \"8e03978e-40d5-43e8-bc93-6894a57f9324\"; keys are per client.",
    );
    parameter["schema"] = json!({ "type": "string", "minLength": 1, "maxLength": 257 });
    parameter
}

fn if_none_match() -> Value {
    header("If-None-Match", "Answer 304 (GET) or 412 (writes) if the current ETag matches.")
}

fn offset() -> Value {
    query(
        Param::Offset.name(),
        "Items to skip.",
        json!({ "type": "integer", "format": "int64", "minimum": 0, "default": 0 }),
    )
}

fn limit() -> Value {
    let schema = json!({ "type": "integer", "minimum": 0, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT });
    query(Param::Limit.name(), "Items to answer at most.", schema)
}

fn total_count() -> Value {
    let schema = json!({ "type": "boolean", "default": false });
    query(Param::TotalCount.name(), "Whether to answer the total in a Total-Count header.", schema)
}

fn page_size() -> Value {
    let schema = json!({ "type": "integer", "minimum": 0, "maximum": MAX_LIMIT });
    query(Param::PageSize.name(), "Items per page, with keyset paging.", schema)
}

fn page_token() -> Value {
    query(
        Param::PageToken.name(),
        "The token of the next page, from the previous page.",
        json!({ "type": "string" }),
    )
}

fn min_change_version() -> Value {
    query(Param::MinChangeVersion.name(), "Only changes at or after this version.", change_version_schema())
}

fn max_change_version() -> Value {
    query(Param::MaxChangeVersion.name(), "Only changes at or before this version.", change_version_schema())
}

fn change_version_schema() -> Value {
    json!({ "type": "integer", "format": "int64", "minimum": 0 })
}

/// One equality filter per top-level scalar field and per member of a top-level reference
/// (`schoolId` for `schoolReference.schoolId`).
fn field_parameters(def: &ResourceDef) -> Vec<Value> {
    let members = def.fields.iter().flat_map(|field| match &field.kind {
        Kind::Reference(reference) => {
            reference.members.iter().map(|member| (member.name, &member.kind)).collect()
        }
        kind => vec![(field.name, kind)],
    });
    members
        .filter_map(|(name, kind)| {
            Some(query(name, &format!("Only items whose {name} equals this."), scalar_schema(kind)?))
        })
        .collect()
}

/// Keeps the first parameter of each name: two references may carry the same member
/// (`schoolId`), and the engine filters on the first.
fn unique_by_name(parameters: Vec<Value>) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    parameters.into_iter().filter(|parameter| seen.insert(parameter["name"].to_string())).collect()
}

// ----------------------------------------------------------------------------------- load order

/// Each resource's load order: 1 without targets, else 1 + the highest order of its targets.
/// Computed by relaxation, so the order of `defs` does not matter.
pub fn load_orders(defs: &[&ResourceDef]) -> BTreeMap<&'static str, usize> {
    // A resource referencing itself (a parent of the same kind) does not wait for itself; one
    // referencing an abstract resource waits for every subclass.
    let concrete = |target: &'static str| -> Vec<&'static str> {
        match resources::find(target) {
            Some(def) if def.is_abstract => def.subclasses.to_vec(),
            _ => vec![target],
        }
    };
    let edges: BTreeMap<&'static str, Vec<&'static str>> = defs
        .iter()
        .map(|def| {
            let targets =
                targets(def.fields).into_iter().flat_map(concrete).filter(|target| *target != def.name);
            (def.name, targets.collect())
        })
        .collect();
    let mut orders: BTreeMap<&'static str, usize> = edges.keys().map(|name| (*name, 1)).collect();
    // Each pass settles at least one more level, and no chain is longer than `defs`; the bound
    // also ends the loop on a cycle, which `resources::check_definitions` rejects anyway.
    for _ in 0..defs.len() {
        let mut changed = false;
        for (name, targets) in &edges {
            let order = 1 + targets.iter().filter_map(|target| orders.get(target)).max().unwrap_or(&0);
            changed |= orders.insert(name, order) != Some(order);
        }
        if !changed {
            break;
        }
    }
    orders
}

/// The resources `fields` point at, through references and descriptors at any depth.
pub fn targets(fields: &[Field]) -> Vec<&'static str> {
    fields
        .iter()
        .flat_map(|field| match &field.kind {
            Kind::Reference(reference) => vec![reference.target],
            Kind::Descriptor(target) => vec![*target],
            Kind::Object(inner) | Kind::Collection { item: inner, .. } => targets(inner),
            Kind::Text { .. }
            | Kind::Date
            | Kind::Time
            | Kind::DateTime
            | Kind::Duration
            | Kind::Decimal { .. }
            | Kind::Boolean
            | Kind::Integer { .. } => vec![],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::all as every_resource;

    const BASE: &str = "https://edfi.example.org";

    fn documents() -> [Value; 2] {
        [resources_document(BASE), descriptors_document(BASE)]
    }

    fn schema<'a>(document: &'a Value, name: &str) -> &'a Value {
        &document["components"]["schemas"][name]
    }

    /// Every operation with the path it is under.
    fn operations(document: &Value) -> Vec<(&str, &Value)> {
        let mut operations = Vec::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            let item = item.as_object().expect("path item");
            operations.extend(item.values().map(|operation| (path.as_str(), operation)));
        }
        operations
    }

    fn parameter_names(operation: &Value) -> Vec<&str> {
        let parameters = operation["parameters"].as_array().expect("parameters");
        parameters.iter().map(|parameter| parameter["name"].as_str().expect("name")).collect()
    }

    fn collect_refs<'a>(value: &'a Value, refs: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                refs.extend(map.get("$ref").and_then(Value::as_str));
                map.values().for_each(|inner| collect_refs(inner, refs));
            }
            Value::Array(items) => items.iter().for_each(|inner| collect_refs(inner, refs)),
            _ => {}
        }
    }

    fn orders() -> BTreeMap<String, u64> {
        let rows = dependencies(BASE);
        let rows = rows.as_array().expect("array");
        rows.iter()
            .map(|row| {
                assert_eq!(row["operations"], json!(["Create", "Update"]));
                let resource = row["resource"].as_str().expect("resource");
                let name = resource.strip_prefix("/ed-fi/").expect("an /ed-fi/ path");
                (name.to_owned(), row["order"].as_u64().expect("order"))
            })
            .collect()
    }

    /// Every target a definition points at, walked here independently of `targets`.
    fn referenced(fields: &[Field], found: &mut Vec<&'static str>) {
        for field in fields {
            match &field.kind {
                Kind::Reference(reference) => found.push(reference.target),
                Kind::Descriptor(target) => found.push(target),
                Kind::Object(inner) => referenced(inner, found),
                Kind::Collection { item, .. } => referenced(item, found),
                _ => {}
            }
        }
    }

    #[test]
    fn the_index_points_at_both_documents() {
        let index = metadata_index(BASE);
        assert_eq!(
            index,
            json!([
                {
                    "name": "resources",
                    "endpointUri": "https://edfi.example.org/metadata/data/v3/resources/swagger.json",
                    "prefix": "",
                },
                {
                    "name": "descriptors",
                    "endpointUri": "https://edfi.example.org/metadata/data/v3/descriptors/swagger.json",
                    "prefix": "",
                },
            ])
        );
    }

    #[test]
    fn every_resource_has_its_paths_tag_and_schema_in_its_own_document_only() {
        let [resources, descriptors] = documents();
        for def in every_resource() {
            let (own, other) =
                if def.is_descriptor { (&descriptors, &resources) } else { (&resources, &descriptors) };
            for suffix in ["", "/{id}", "/deletes", "/keyChanges"] {
                let path = format!("/ed-fi/{}{suffix}", def.name);
                assert!(own["paths"][&path].is_object(), "{path}");
                assert!(other["paths"][&path].is_null(), "{path} is in the other document");
            }
            let name = format!("edFi_{}", def.entity());
            assert_eq!(schema(own, &name)["type"], "object", "{name}");
            assert!(schema(other, &name).is_null(), "{name} is in the other document");
            let tags = own["tags"].as_array().expect("tags");
            assert_eq!(tags.iter().filter(|tag| tag["name"] == def.name).count(), 1, "{} tag", def.name);
            assert!(tags.iter().all(|tag| tag["description"].is_string()));
        }
        let served =
            resources["paths"].as_object().unwrap().len() + descriptors["paths"].as_object().unwrap().len();
        assert_eq!(served, 4 * every_resource().len());
    }

    #[test]
    fn resource_tags_name_the_interchanges_that_hold_the_resource() {
        use crate::wire::paths::INTERCHANGES_EXTENSION;
        let [resources, descriptors] = documents();
        let tag_of = |document: &Value, name: &str| -> Value {
            let tags = document["tags"].as_array().expect("tags");
            tags.iter().find(|tag| tag["name"] == name).cloned().expect("a tag")
        };
        let mut ungrouped = Vec::new();
        for def in every_resource().iter().filter(|def| !def.is_abstract) {
            let document = if def.is_descriptor { &descriptors } else { &resources };
            let tag = tag_of(document, def.name);
            match tag.get(INTERCHANGES_EXTENSION) {
                Some(names) => assert_eq!(names, &json!(def.interchanges), "{}", def.name),
                None if def.is_descriptor => {}
                None => ungrouped.push(def.name),
            }
            assert!(!def.is_descriptor || tag.get(INTERCHANGES_EXTENSION).is_none(), "{}", def.name);
        }
        // No interchange file holds these as records of their own.
        ungrouped.sort_unstable();
        assert_eq!(
            ungrouped,
            [
                "descriptorMappings",
                "schoolYearTypes",
                "studentAssessmentEducationOrganizationAssociations",
                "studentSpecialEducationProgramEligibilityAssociations",
            ]
        );
        let interchanges = |name: &str| tag_of(&resources, name)[INTERCHANGES_EXTENSION].clone();
        assert_eq!(interchanges("studentSchoolAssociations"), json!(["StudentEnrollment"]));
        assert_eq!(interchanges("people"), json!(["Contact", "StaffAssociation", "Student"]));
        assert_eq!(interchanges("students"), json!(["Student", "StudentHealth"]));
        let groups: BTreeSet<&str> =
            every_resource().iter().flat_map(|def| def.interchanges.iter().copied()).collect();
        assert_eq!(groups.len(), 24, "every interchange but Descriptors holds a resource: {groups:?}");
    }

    #[test]
    fn every_resource_schema_lists_every_field_and_the_server_owned_members() {
        let [resources, descriptors] = documents();
        for def in every_resource() {
            let document = if def.is_descriptor { &descriptors } else { &resources };
            let properties = &schema(document, &format!("edFi_{}", def.entity()))["properties"];
            let fields = def.fields.iter().map(|field| field.name);
            for name in fields.chain(["id", "_etag", "_lastModifiedDate"]) {
                assert!(properties[name].is_object(), "{}.{name}", def.name);
            }
            assert_eq!(properties["id"]["readOnly"], true);
            assert_eq!(properties["_lastModifiedDate"]["format"], "date-time");
        }
    }

    #[test]
    fn every_ref_resolves_to_a_schema_in_its_document() {
        for document in documents() {
            let mut refs = Vec::new();
            collect_refs(&document, &mut refs);
            assert!(!refs.is_empty());
            for reference in refs {
                let name = reference.strip_prefix(SCHEMA_PREFIX).unwrap_or_else(|| panic!("{reference}"));
                assert!(schema(&document, name).is_object(), "{reference} does not resolve");
            }
        }
    }

    #[test]
    fn operation_ids_are_unique_and_every_operation_is_tagged_and_answers() {
        for document in documents() {
            let mut seen = BTreeSet::new();
            for (path, operation) in operations(&document) {
                let id = operation["operationId"].as_str().expect("operationId");
                assert!(seen.insert(id.to_owned()), "{id} twice");
                let tag =
                    operation["tags"].as_array().filter(|tags| tags.len() == 1).expect("one tag")[0].as_str();
                let resource_path = format!("/ed-fi/{}", tag.expect("a tag name"));
                assert!(path == resource_path || path.starts_with(&format!("{resource_path}/")), "{id}");
                let responses = operation["responses"].as_object().expect("responses");
                assert!(responses.values().all(|response| response["description"].is_string()), "{id}");
                let names = parameter_names(operation);
                assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len(), "{id}: {names:?}");
            }
        }
        let [resources, _] = documents();
        let students = &resources["paths"]["/ed-fi/students"];
        assert_eq!(students["get"]["operationId"], "getStudents");
        assert_eq!(students["post"]["operationId"], "postStudent");
        assert_eq!(resources["paths"]["/ed-fi/students/{id}"]["delete"]["operationId"], "deleteStudentById");
        assert_eq!(
            resources["paths"]["/ed-fi/students/keyChanges"]["get"]["operationId"],
            "keyChangesStudents"
        );
    }

    #[test]
    fn operations_have_their_parameters_and_statuses() {
        let [resources, _] = documents();
        let by_id = &resources["paths"]["/ed-fi/sessions/{id}"];
        assert_eq!(parameter_names(&by_id["get"]), ["id", "If-None-Match"]);
        assert_eq!(parameter_names(&by_id["put"]), ["id", "If-Match", "Idempotency-Key"]);
        assert_eq!(parameter_names(&by_id["delete"]), ["id", "If-Match", "Idempotency-Key"]);
        let statuses = |operation: &Value| {
            operation["responses"].as_object().unwrap().keys().cloned().collect::<Vec<_>>()
        };
        assert_eq!(statuses(&by_id["get"]), ["200", "304", "404"]);
        assert_eq!(statuses(&by_id["put"]), ["204", "400", "404", "409", "412", "422"]);
        assert_eq!(statuses(&by_id["delete"]), ["204", "400", "404", "409", "412", "422"]);
        let post = &resources["paths"]["/ed-fi/sessions"]["post"];
        assert_eq!(statuses(post), ["200", "201", "400", "409", "412", "422"]);
        assert_eq!(parameter_names(post), ["If-Match", "If-None-Match", "Idempotency-Key"]);
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/edFi_session"
        );
        let deletes = &resources["paths"]["/ed-fi/sessions/deletes"]["get"];
        assert_eq!(parameter_names(deletes), ["minChangeVersion", "maxChangeVersion", "offset", "limit"]);
    }

    #[test]
    fn list_parameters_cover_scalar_fields_and_reference_members_once() {
        let [resources, _] = documents();
        let list = &resources["paths"]["/ed-fi/courseOfferings"]["get"];
        let names = parameter_names(list);
        for name in [
            "offset",
            "limit",
            "totalCount",
            "pageSize",
            "pageToken",
            "minChangeVersion",
            "maxChangeVersion",
            "localCourseCode",
            "schoolId",
            "schoolYear",
            "sessionName",
            "courseCode",
            "educationOrganizationId",
            "instructionalTimePlanned",
        ] {
            assert_eq!(names.iter().filter(|n| **n == name).count(), 1, "{name} in {names:?}");
        }
        assert!(!names.contains(&"schoolReference") && !names.contains(&"courseReference"), "{names:?}");
        let limit = list["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!((&limit["schema"]["minimum"], &limit["schema"]["maximum"]), (&json!(0), &json!(500)));
        let schools = parameter_names(&resources["paths"]["/ed-fi/schools"]["get"]);
        assert!(
            schools.contains(&"schoolTypeDescriptor") && !schools.contains(&"gradeLevels"),
            "{schools:?}"
        );
    }

    #[test]
    fn servers_and_security_point_at_the_api() {
        for document in documents() {
            assert_eq!(document["openapi"], "3.0.1");
            assert_eq!(document["info"]["version"], "7.3");
            assert_eq!(wire::answers::data_api(&document), Some("https://edfi.example.org/data/v3"));
            let scheme = &document["components"]["securitySchemes"]["oauth2_client_credentials"];
            assert_eq!(scheme["type"], "oauth2");
            assert_eq!(
                scheme["flows"]["clientCredentials"]["tokenUrl"],
                "https://edfi.example.org/oauth/token"
            );
            assert_eq!(document["security"], json!([{ "oauth2_client_credentials": [] }]));
        }
    }

    #[test]
    fn natural_key_fields_are_marked_as_identity() {
        let [resources, descriptors] = documents();
        let identity = |document: &Value, schema_name: &str, field: &str| {
            schema(document, schema_name)["properties"][field]["x-Ed-Fi-isIdentity"] == true
        };
        assert!(identity(&resources, "edFi_student", "studentUniqueId"));
        assert!(!identity(&resources, "edFi_student", "firstName"));
        assert!(identity(&resources, "edFi_classPeriod", "classPeriodName"));
        assert!(identity(&resources, "edFi_classPeriod", "schoolReference"));
        assert!(!identity(&resources, "edFi_classPeriod", "meetingTimes"));
        assert!(identity(&resources, "edFi_schoolReference", "schoolId"));
        let link = &schema(&resources, "edFi_schoolReference")["properties"]["link"];
        assert_eq!(
            (&link["readOnly"], &link["properties"]["href"]["type"]),
            (&json!(true), &json!("string"))
        );
        assert!(identity(&descriptors, "edFi_gradeLevelDescriptor", "namespace"));
        assert!(identity(&descriptors, "edFi_gradeLevelDescriptor", "codeValue"));
        assert!(!identity(&descriptors, "edFi_gradeLevelDescriptor", "shortDescription"));
    }

    #[test]
    fn required_lists_follow_the_definitions() {
        let [resources, descriptors] = documents();
        // Members are listed in the generated model's order (by name); compare as sets.
        let required = |document: &Value, name: &str| {
            let mut names: Vec<String> =
                serde_json::from_value(schema(document, name)["required"].clone()).unwrap();
            names.sort();
            json!(names)
        };
        assert_eq!(
            required(&resources, "edFi_school"),
            json!(["educationOrganizationCategories", "gradeLevels", "nameOfInstitution", "schoolId"])
        );
        assert_eq!(required(&resources, "edFi_school_gradeLevel"), json!(["gradeLevelDescriptor"]));
        assert_eq!(
            required(&resources, "edFi_sessionReference"),
            json!(["schoolId", "schoolYear", "sessionName"])
        );
        assert_eq!(
            required(&descriptors, "edFi_gradeLevelDescriptor"),
            json!(["codeValue", "namespace", "shortDescription"])
        );
    }

    #[test]
    fn kinds_map_to_typed_schemas() {
        let [resources, _] = documents();
        let property =
            |schema_name: &str, field: &str| schema(&resources, schema_name)["properties"][field].clone();
        assert_eq!(
            property("edFi_student", "studentUniqueId"),
            json!({ "type": "string", "minLength": 1, "maxLength": 32, "x-Ed-Fi-isIdentity": true })
        );
        assert_eq!(property("edFi_student", "birthDate"), json!({ "type": "string", "format": "date" }));
        assert_eq!(property("edFi_classPeriod_meetingTime", "startTime")["format"], "time");
        assert_eq!(property("edFi_school", "webSite")["type"], "string");
        assert_eq!(property("edFi_school", "schoolId")["format"], "int64");
        assert_eq!(property("edFi_session", "totalInstructionalDays")["format"], "int32");
        assert_eq!(property("edFi_course", "numberOfParts")["maximum"], 8);
        assert_eq!(property("edFi_classPeriod", "officialAttendancePeriod"), json!({ "type": "boolean" }));
        let descriptor = property("edFi_school_gradeLevel", "gradeLevelDescriptor");
        assert_eq!(descriptor["maxLength"], 306);
        assert!(descriptor["description"].as_str().unwrap().contains("gradeLevelDescriptors"));
        let categories = property("edFi_school", "educationOrganizationCategories");
        assert_eq!(categories["type"], "array");
        assert_eq!(categories["minItems"], 1);
        assert_eq!(
            categories["items"]["$ref"],
            "#/components/schemas/edFi_school_educationOrganizationCategory"
        );
        assert!(property("edFi_student", "otherNames").get("minItems").is_none());
        // In DS 5.2 a student's person is a resource of its own, referenced by its key.
        assert_eq!(
            property("edFi_student", "personReference")["$ref"],
            "#/components/schemas/edFi_personReference"
        );
        assert_eq!(
            schema(&resources, "edFi_personReference")["required"],
            json!(["personId", "sourceSystemDescriptor"])
        );
        let amount = property("edFi_studentSchoolAssociation", "fullTimeEquivalency");
        assert_eq!((&amount["type"], &amount["x-Ed-Fi-totalDigits"]), (&json!("number"), &json!(5)));
    }

    #[test]
    fn references_share_one_schema_per_target_and_shape() {
        let [resources, _] = documents();
        let reference = |schema_name: &str, field: &str| {
            schema(&resources, schema_name)["properties"][field]["$ref"].clone()
        };
        let school = json!("#/components/schemas/edFi_schoolReference");
        for user in
            ["edFi_classPeriod", "edFi_session", "edFi_courseOffering", "edFi_studentSchoolAssociation"]
        {
            assert_eq!(reference(user, "schoolReference"), school, "{user}");
        }
        assert_eq!(schema(&resources, "edFi_schoolReference")["required"], json!(["schoolId"]));
        assert_eq!(
            reference("edFi_section_classPeriod", "classPeriodReference"),
            json!("#/components/schemas/edFi_classPeriodReference")
        );
        // Courses reference schools under another member name, so that shape has its own schema.
        assert_eq!(
            reference("edFi_course", "educationOrganizationReference"),
            json!("#/components/schemas/edFi_educationOrganizationReference")
        );
        assert_eq!(
            schema(&resources, "edFi_educationOrganizationReference")["required"],
            json!(["educationOrganizationId"])
        );
    }

    #[test]
    fn dependencies_list_every_resource_after_everything_it_references() {
        let orders = orders();
        assert_eq!(orders.len(), every_resource().len());
        for def in every_resource() {
            let mut found = Vec::new();
            referenced(def.fields, &mut found);
            if found.is_empty() {
                assert_eq!(orders[def.name], 1, "{}", def.name);
            }
            // A parent of the same kind is another item; an abstract target is each subclass.
            let targets = found.into_iter().flat_map(|target| {
                let def = resources::get(target);
                if def.is_abstract {
                    def.subclasses.to_vec()
                } else {
                    vec![target]
                }
            });
            for target in targets.filter(|target| *target != def.name) {
                let (order, target_order) = (orders[def.name], orders[target]);
                assert!(
                    target_order < order,
                    "{} ({order}) is not after {target} ({target_order})",
                    def.name
                );
            }
        }
    }

    #[test]
    fn dependencies_follow_the_known_chains() {
        let orders = orders();
        assert_eq!(orders["gradeLevelDescriptors"], 1);
        assert_eq!(orders["schoolYearTypes"], 1);
        assert!(orders["schools"] > orders["gradeLevelDescriptors"]);
        assert!(orders["sections"] > orders["courseOfferings"]);
        assert!(orders["courseOfferings"] > orders["sessions"]);
        assert!(orders["sessions"] > orders["schoolYearTypes"]);
        let rows = dependencies(BASE);
        let listed: Vec<u64> =
            rows.as_array().unwrap().iter().map(|row| row["order"].as_u64().unwrap()).collect();
        assert!(listed.windows(2).all(|pair| pair[0] <= pair[1]), "sorted by order: {listed:?}");
    }

    #[test]
    fn the_load_order_does_not_depend_on_the_order_of_the_definitions() {
        let reversed: Vec<&ResourceDef> = every_resource().iter().rev().copied().collect();
        assert_eq!(load_orders(&reversed), load_orders(every_resource()));
    }

    /// Three definitions whose only links are nested: a descriptor inside a collection item and a
    /// reference inside an object, plus a reference of `tops` to itself.
    const LEAF_DESCRIPTORS: ResourceDef = ResourceDef {
        name: "leafDescriptors",
        fields: &[],
        natural_key: &[],
        key_change_allowed: false,
        is_descriptor: true,
        equality_constraints: &[],
        uniqueness_constraints: &[],
        ..ResourceDef::EMPTY
    };
    const MIDDLES: ResourceDef = ResourceDef {
        name: "middles",
        fields: &[Field::optional(
            "items",
            Kind::Collection {
                item: &[Field::required("leafDescriptor", Kind::Descriptor("leafDescriptors"))],
                min_items: 0,
            },
        )],
        natural_key: &[],
        key_change_allowed: false,
        is_descriptor: false,
        equality_constraints: &[],
        uniqueness_constraints: &[],
        ..ResourceDef::EMPTY
    };
    const TOPS: ResourceDef = ResourceDef {
        name: "tops",
        fields: &[
            Field::optional(
                "detail",
                Kind::Object(&[Field::required(
                    "middleReference",
                    Kind::Reference(&Reference { target: "middles", members: &[] }),
                )]),
            ),
            Field::optional(
                "parentTopReference",
                Kind::Reference(&Reference { target: "tops", members: &[] }),
            ),
        ],
        natural_key: &[],
        key_change_allowed: false,
        is_descriptor: false,
        equality_constraints: &[],
        uniqueness_constraints: &[],
        ..ResourceDef::EMPTY
    };

    #[test]
    fn the_load_order_follows_links_inside_objects_and_collections() {
        let orders = load_orders(&[&TOPS, &MIDDLES, &LEAF_DESCRIPTORS]);
        assert_eq!(orders, BTreeMap::from([("leafDescriptors", 1), ("middles", 2), ("tops", 3)]));
    }
}
