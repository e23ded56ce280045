//! The metadata reading is checked against the documents this repository's API serves (core's
//! OpenAPI generator), and the answers against core's model, which the app itself never reads:
//! what the app learns from the documents alone must be what the model says.

use std::collections::BTreeSet;

use edfi_core::model::{Field, Kind, ResourceDef};
use edfi_core::{openapi, resources};
use serde_json::{json, Value};

use super::*;

fn documents() -> [Value; 2] {
    [openapi::resources_document("http://x"), openapi::descriptors_document("http://x")]
}

fn catalog(documents: &[Value]) -> Catalog<'_> {
    Catalog::new(documents.iter())
}

fn path(dotted: &str) -> Vec<String> {
    dotted.trim_start_matches("$.").split('.').map(str::to_owned).collect()
}

#[test]
fn every_resources_natural_key_is_learnt_from_the_identity_markers() {
    let documents = documents();
    let catalog = catalog(&documents);
    assert_eq!(catalog.resources().count(), resources::all().len());
    for def in resources::all() {
        let meta = catalog.describe(def.name).unwrap_or_else(|| panic!("{} is described", def.name));
        assert_eq!(meta.schema, format!("edFi_{}", def.entity()));
        let learnt: BTreeSet<Vec<String>> = meta.key.iter().map(|c| c.path.clone()).collect();
        let model: BTreeSet<Vec<String>> = def.natural_key.iter().map(|k| path(k)).collect();
        assert!(learnt.is_superset(&model), "{}: {learnt:?}", def.name);
        // The model lists a unified member once; the metadata marks both references, so its twin
        // is a column too.
        for extra in learnt.difference(&model) {
            assert!(model.iter().any(|m| m.last() == extra.last()), "{}: {extra:?}", def.name);
        }
        let labels: BTreeSet<&str> = meta.key.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels.len(), meta.key.len(), "{}: labels tell the columns apart", def.name);
    }
}

#[test]
fn key_columns_flatten_references_and_qualify_a_shared_name() {
    let documents = documents();
    let catalog = catalog(&documents);
    let weeks = catalog.describe("academicWeeks").unwrap();
    let labels: Vec<(&str, FieldKind)> = weeks.key.iter().map(|c| (c.label.as_str(), c.kind)).collect();
    assert_eq!(labels, [("schoolId", FieldKind::Integer), ("weekIdentifier", FieldKind::Text)]);
    let programs = catalog.describe("studentProgramAssociations").unwrap();
    let labels: Vec<&str> = programs.key.iter().map(|c| c.label.as_str()).collect();
    assert!(labels.contains(&"educationOrganizationReference.educationOrganizationId"), "{labels:?}");
    assert!(labels.contains(&"programReference.educationOrganizationId"), "{labels:?}");
    assert!(labels.contains(&"programName") && labels.contains(&"beginDate"), "{labels:?}");
    let descriptor = catalog.describe("gradeLevelDescriptors").unwrap();
    let labels: BTreeSet<&str> = descriptor.key.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, BTreeSet::from(["codeValue", "namespace"]));
}

#[test]
fn query_fields_are_the_declared_filters_without_the_paging_parameters() {
    let documents = documents();
    let catalog = catalog(&documents);
    let students = catalog.describe("students").unwrap();
    let names: Vec<&str> = students.query.iter().map(|f| f.name.as_str()).collect();
    for paging in ["offset", "limit", "totalCount", "pageSize", "pageToken"] {
        assert!(!names.contains(&paging), "{names:?}");
    }
    assert_eq!(
        students.query_field("LASTSURNAME").map(|f| (f.name.as_str(), f.kind)),
        Some(("lastSurname", FieldKind::Text))
    );
    assert_eq!(students.query_field("birthDate").map(|f| f.kind), Some(FieldKind::Date));
    let sections = catalog.describe("sections").unwrap();
    assert_eq!(
        sections.query_field("schoolId").map(|f| f.kind),
        Some(FieldKind::Integer),
        "a reference member"
    );
    assert!(sections.query_field("courseOfferingReference").is_none());
}

#[test]
fn field_kinds_check_values() {
    assert!(FieldKind::Integer.check("255901").is_ok());
    assert_eq!(FieldKind::Integer.check("Grand Bend"), Err("a whole number".into()));
    assert!(FieldKind::Boolean.check("yes").is_err() && FieldKind::Boolean.check("true").is_ok());
    assert!(FieldKind::Date.check("2012-05-06").is_ok() && FieldKind::Date.check("5/6/2012").is_err());
    assert!(FieldKind::Text.check("anything at all").is_ok());
}

/// Every reference field of a definition with its path, `nested` when inside a collection or
/// an object.
fn model_references(
    fields: &'static [Field],
    prefix: &str,
    nested: bool,
    out: &mut Vec<(String, bool, &'static edfi_core::model::Reference)>,
) {
    for field in fields {
        let path = if prefix.is_empty() { field.name.to_owned() } else { format!("{prefix}.{}", field.name) };
        match &field.kind {
            Kind::Reference(reference) => out.push((path, nested, reference)),
            Kind::Object(inner) => model_references(inner, &path, true, out),
            Kind::Collection { item, .. } => model_references(item, &format!("{path}[]"), true, out),
            _ => {}
        }
    }
}

/// The served resources a reference can name: its target, or each subclass of an abstract one.
fn concrete(target: &str) -> Vec<&'static ResourceDef> {
    match resources::find(target) {
        Some(def) if def.is_abstract => def
            .subclasses
            .iter()
            .filter_map(|name| {
                resources::all().iter().copied().find(|d| d.entity_name == *name || d.name == *name)
            })
            .collect(),
        Some(def) => vec![def],
        None => vec![],
    }
}

#[test]
fn every_reference_in_the_model_is_found_with_its_target_and_members() {
    let documents = documents();
    let catalog = catalog(&documents);
    for def in resources::all() {
        let meta = catalog.describe(def.name).unwrap();
        let mut expected = Vec::new();
        model_references(def.fields, "", false, &mut expected);
        let found: BTreeSet<(&str, bool)> =
            meta.references.iter().map(|r| (r.path.as_str(), r.nested)).collect();
        let wanted: BTreeSet<(&str, bool)> = expected.iter().map(|(p, n, _)| (p.as_str(), *n)).collect();
        assert_eq!(found, wanted, "{}", def.name);
        for (path, _, reference) in &expected {
            let learnt = meta.reference_at(path).unwrap();
            let target = resources::get(reference.target);
            // A role that renames members has a schema of its own, named after its property.
            let renamed = reference.members.iter().any(|m| !m.target_path.ends_with(&format!(".{}", m.name)));
            match learnt.target.as_deref() {
                Some(found) => assert_eq!(found, target.name, "{}.{path}", def.name),
                None => assert!(target.is_abstract || renamed, "{}.{path}: target unknown", def.name),
            }
            let members: Vec<&str> = learnt.members.iter().map(|(m, _)| m.as_str()).collect();
            let model: BTreeSet<&str> = reference.members.iter().map(|m| m.name).collect();
            assert_eq!(members.iter().copied().collect::<BTreeSet<_>>(), model, "{}.{path}", def.name);
        }
    }
}

/// A resource, its reference's path, and each member with the target's key path it carries.
type Pointing = (String, String, Vec<(String, Vec<String>)>);

#[test]
fn referrers_of_every_resource_are_the_models_references_to_it_with_its_key_paths() {
    let documents = documents();
    let catalog = catalog(&documents);
    // What the model says points at each served resource, with each member's target key path.
    let mut wanted: std::collections::BTreeMap<&str, BTreeSet<Pointing>> = Default::default();
    for def in resources::all() {
        let mut references = Vec::new();
        model_references(def.fields, "", false, &mut references);
        for (path, _, reference) in references {
            for target in concrete(reference.target) {
                // A subclass of an abstract resource with a key of one member has its own name
                // for it (`schoolId` for `educationOrganizationId`).
                let single = (reference.members.len() == 1 && target.natural_key.len() == 1)
                    .then(|| self::path(target.natural_key[0]));
                let mut members: Vec<(String, Vec<String>)> = reference
                    .members
                    .iter()
                    .map(|m| (m.name.to_owned(), single.clone().unwrap_or_else(|| self::path(m.target_path))))
                    .collect();
                members.sort();
                wanted.entry(target.name).or_default().insert((def.name.to_owned(), path.clone(), members));
            }
        }
    }
    for def in resources::all() {
        let learnt = catalog.referrers(def.name).unwrap();
        let found: BTreeSet<Pointing> = learnt
            .referrers
            .iter()
            .filter(|r| !r.descriptor)
            .map(|r| {
                let mut members = r.members.clone();
                members.sort();
                (r.resource.clone(), r.field.clone(), members)
            })
            .collect();
        assert_eq!(found, wanted.remove(def.name).unwrap_or_default(), "referrers of {}", def.name);
    }
}

#[test]
fn referrers_of_a_descriptor_are_the_query_fields_holding_its_uri() {
    let documents = documents();
    let catalog = catalog(&documents);
    for descriptor in resources::all().iter().filter(|d| d.is_descriptor) {
        // The model's query fields of this descriptor: top-level descriptor members, and the
        // descriptor members of top-level references (the first of a name, as the engine).
        let mut wanted = BTreeSet::new();
        for def in resources::all().iter().filter(|d| !d.is_descriptor) {
            let mut names = BTreeSet::new();
            for field in def.fields {
                let members: Vec<(&str, &Kind)> = match &field.kind {
                    Kind::Reference(reference) => {
                        reference.members.iter().map(|m| (m.name, &m.kind)).collect()
                    }
                    kind => vec![(field.name, kind)],
                };
                for (name, kind) in members {
                    if names.insert(name) && matches!(kind, Kind::Descriptor(t) if *t == descriptor.name) {
                        wanted.insert((def.name.to_owned(), name.to_owned()));
                    }
                }
            }
        }
        let learnt = catalog.referrers(descriptor.name).unwrap();
        assert!(learnt
            .referrers
            .iter()
            .all(|r| r.descriptor && r.members.is_empty() && r.unqueryable.is_none()));
        let found: BTreeSet<(String, String)> =
            learnt.referrers.iter().map(|r| (r.resource.clone(), r.field.clone())).collect();
        assert_eq!(found, wanted, "referrers of {}", descriptor.name);
    }
}

#[test]
fn referrers_say_which_references_no_query_reaches() {
    let documents = documents();
    let catalog = catalog(&documents);
    let schools = catalog.referrers("schools").unwrap();
    let find = |resource: &str, field: &str| {
        schools.referrers.iter().find(|r| r.resource == resource && r.field == field).cloned()
    };
    let association = find("studentSchoolAssociations", "schoolReference").unwrap();
    assert_eq!(association.members, vec![("schoolId".to_owned(), vec!["schoolId".to_owned()])]);
    assert_eq!(association.unqueryable, None);
    // A school is an education organization: references to the abstract resource count.
    let staff =
        find("staffEducationOrganizationAssignmentAssociations", "educationOrganizationReference").unwrap();
    assert_eq!(staff.members, vec![("educationOrganizationId".to_owned(), vec!["schoolId".to_owned()])]);
    let periods = catalog.referrers("classPeriods").unwrap();
    let nested = periods.referrers.iter().find(|r| r.resource == "sections").unwrap();
    assert_eq!(nested.field, "classPeriods[].classPeriodReference");
    assert!(nested.unqueryable.as_deref().is_some_and(|why| why.contains("no query")), "{nested:?}");
    // Students are no education organization, whatever their key's name.
    let students = catalog.referrers("students").unwrap();
    assert!(students.referrers.iter().all(|r| !r.field.starts_with("educationOrganization")));
}

/// A document in ODS/API's shape where it differs: shared `$ref` parameters, a reference through
/// `allOf`, a schema known only from the POST, no identity marker on a reference property.
#[test]
fn an_ods_api_shaped_document_is_read_too() {
    let document = json!({
        "openapi": "3.0.1",
        "paths": {
            "/ed-fi/schools": { "get": {
                "parameters": [
                    { "$ref": "#/components/parameters/offset" },
                    { "name": "schoolId", "in": "query", "schema": { "type": "integer" } },
                    { "name": "Use-Snapshot", "in": "header", "schema": { "type": "boolean" } },
                ],
                "responses": { "200": { "content": { "application/json": { "schema": {
                    "type": "array", "items": { "$ref": "#/components/schemas/edFi_school" } } } } } },
            } },
            "/ed-fi/schools/{id}": { "get": {} },
            "/ed-fi/buses": {
                "get": { "parameters": [{ "name": "schoolId", "in": "query", "schema": { "type": "integer" } }] },
                "post": { "requestBody": { "content": { "application/json": { "schema": {
                    "$ref": "#/components/schemas/sample_bus" } } } } },
            },
        },
        "components": {
            "parameters": { "offset": { "name": "offset", "in": "query", "schema": { "type": "integer" } } },
            "schemas": {
                "edFi_school": { "type": "object", "properties": {
                    "id": { "type": "string" },
                    "schoolId": { "type": "integer", "x-Ed-Fi-isIdentity": true },
                    "nameOfInstitution": { "type": "string" },
                } },
                "edFi_schoolReference": { "type": "object", "properties": {
                    "schoolId": { "type": "integer", "x-Ed-Fi-isIdentity": true },
                    "link": { "$ref": "#/components/schemas/link" },
                } },
                "sample_bus": { "type": "object", "required": ["busId", "schoolReference"], "properties": {
                    "busId": { "type": "string" },
                    "schoolReference": { "allOf": [{ "$ref": "#/components/schemas/edFi_schoolReference" }] },
                } },
            },
        },
    });
    let catalog = Catalog::new([&document]);
    assert_eq!(catalog.resources().collect::<Vec<_>>(), ["buses", "schools"]);
    let schools = catalog.describe("schools").unwrap();
    assert_eq!(schools.query, vec![QueryField { name: "schoolId".into(), kind: FieldKind::Integer }]);
    let buses = catalog.describe("buses").unwrap();
    assert_eq!(buses.schema, "sample_bus", "from the POST: the GET names none");
    let labels: Vec<&str> = buses.key.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["busId", "schoolId"], "unmarked: the required members");
    let referrers = catalog.referrers("schools").unwrap().referrers;
    assert_eq!(referrers.len(), 1);
    assert_eq!((referrers[0].resource.as_str(), referrers[0].field.as_str()), ("buses", "schoolReference"));
}

#[test]
fn paths_and_values() {
    assert_eq!(strip_indices("classPeriods[12].classPeriodReference"), "classPeriods[].classPeriodReference");
    let item = json!({ "schoolReference": { "schoolId": 255901 }, "name": "x", "flag": true });
    assert_eq!(value_at(&item, &path("schoolReference.schoolId")), Some(&json!(255901)));
    assert_eq!(edfi_core::wire::paths::query_value(&json!(255901)).as_deref(), Some("255901"));
    assert_eq!(edfi_core::wire::paths::query_value(&json!(true)).as_deref(), Some("true"));
    assert_eq!(edfi_core::wire::paths::query_value(&json!("O'Brien")).as_deref(), Some("O'Brien"));
    assert_eq!(edfi_core::wire::paths::query_value(&json!({})), None);
}
