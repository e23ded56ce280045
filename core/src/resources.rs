//! The resources this API serves: Ed-Fi Data Standard 5.2, as `cargo xtask gen-model` generates it
//! from the official schema into `core/model/ds-5.2.json`. The file is compiled in and loaded
//! once per process (an isolate, in the Worker) into [`ResourceDef`]s, which the engine, the
//! validator, the query parser and the OpenAPI generator take as data.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::{
    EqualityConstraint, Field, IntegerRange, Kind, Reference, ReferenceMember, ResourceDef,
    UniquenessConstraint,
};

/// The generated model, facts only (names, types, keys).
const MODEL: &str = include_str!("../model/ds-5.2.json");

struct Registry {
    /// Concrete and abstract resources, in a valid load order.
    all: Vec<&'static ResourceDef>,
    /// The concrete ones, in the same order: what has an endpoint.
    served: Vec<&'static ResourceDef>,
    by_name: HashMap<&'static str, &'static ResourceDef>,
    /// Endpoint names lower-cased, for case-insensitive routing.
    by_endpoint: HashMap<String, &'static ResourceDef>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| load(MODEL).expect("the committed model loads (a test loads and checks it)"))
}

/// Every resource with an endpoint, in a valid load order: a resource comes after those it
/// references (an abstract reference after every subclass), descriptors first.
pub fn all() -> &'static [&'static ResourceDef] {
    &registry().served
}

/// Every definition, abstract ones (no endpoint) included, in load order.
pub fn definitions() -> &'static [&'static ResourceDef] {
    &registry().all
}

/// The definition named `name`: an endpoint (`schools`) or an abstract resource
/// (`EducationOrganization`).
pub fn find(name: &str) -> Option<&'static ResourceDef> {
    registry().by_name.get(name).copied()
}

/// The definition named `name`, which the caller knows exists.
pub fn get(name: &str) -> &'static ResourceDef {
    find(name).unwrap_or_else(|| panic!("no resource named {name}"))
}

/// The resource a URL's endpoint segment names: Ed-Fi routes endpoints case-insensitively
/// (`/ed-fi/Students` is `/ed-fi/students`). Abstract resources have no endpoint.
pub fn find_endpoint(segment: &str) -> Option<&'static ResourceDef> {
    registry().by_endpoint.get(&crate::wire::endpoint_key(segment)).copied()
}

/// The subclasses of an abstract resource (`schools`, … for `EducationOrganization`); the
/// resource itself otherwise.
pub fn concrete(def: &'static ResourceDef) -> Vec<&'static ResourceDef> {
    if def.is_abstract {
        def.subclasses.iter().filter_map(|name| find(name)).collect()
    } else {
        vec![def]
    }
}

// ------------------------------------------------------------------------------- the file's form

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelFile {
    descriptor_members: Vec<MemberJson>,
    descriptors: Vec<DescriptorJson>,
    abstract_resources: Vec<ResourceJson>,
    resources: Vec<ResourceJson>,
}

#[derive(Deserialize)]
struct DescriptorJson {
    endpoint: String,
    entity: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceJson {
    #[serde(default)]
    endpoint: Option<String>,
    entity: String,
    #[serde(default)]
    superclass: Option<SuperclassJson>,
    #[serde(default)]
    subclasses: Vec<String>,
    identity: Vec<String>,
    allow_identity_updates: bool,
    members: Vec<MemberJson>,
    #[serde(default)]
    equality_constraints: Vec<EqualityJson>,
    #[serde(default)]
    array_uniqueness_constraints: Vec<UniquenessJson>,
    #[serde(default)]
    interchanges: Vec<String>,
}

#[derive(Deserialize)]
struct SuperclassJson {
    resource: String,
}

#[derive(Deserialize)]
struct EqualityJson {
    source: String,
    target: String,
}

#[derive(Deserialize)]
struct UniquenessJson {
    paths: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MemberJson {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    max_length: Option<usize>,
    #[serde(default)]
    min_length: Option<usize>,
    #[serde(default)]
    minimum: Option<i64>,
    #[serde(default)]
    maximum: Option<i64>,
    #[serde(default)]
    total_digits: Option<u32>,
    #[serde(default)]
    fraction_digits: Option<u32>,
    #[serde(default)]
    descriptor: Option<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    target_path: Option<String>,
    #[serde(default)]
    members: Vec<MemberJson>,
    #[serde(default)]
    items: Vec<MemberJson>,
    #[serde(default)]
    min_items: usize,
}

// ------------------------------------------------------------------------------------ loading

fn leak<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

fn leak_str(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

/// A path of the file (`$.schoolReference.schoolId`) as the model writes it (`schoolReference.schoolId`).
fn plain(path: &str) -> &str {
    path.strip_prefix("$.").unwrap_or(path)
}

/// camelCase of an entity as MetaEd writes it: a leading acronym is lower-cased but for its last
/// capital when a lower-case letter follows (`CTEProgramService` → `cteProgramService`).
pub fn camel(entity: &str) -> String {
    let upper = entity.chars().take_while(char::is_ascii_uppercase).count();
    let rest_starts_lower = entity.chars().nth(upper).is_some_and(|c| c.is_ascii_lowercase());
    let lowered = if upper > 1 && rest_starts_lower { upper - 1 } else { upper.max(1) };
    entity.chars().enumerate().map(|(i, c)| if i < lowered { c.to_ascii_lowercase() } else { c }).collect()
}

/// The natural key of a resource of the file: its identity paths, each unified pair once (the
/// file lists both sides of a unified key, as ApiSchema does), and where each dropped path went.
fn natural_key(resource: &ResourceJson) -> (Vec<String>, HashMap<String, String>) {
    let identity: Vec<String> = resource.identity.iter().map(|p| plain(p).to_owned()).collect();
    let mut dropped = HashMap::new();
    for constraint in &resource.equality_constraints {
        let (source, target) = (plain(&constraint.source).to_owned(), plain(&constraint.target).to_owned());
        if identity.contains(&source) && identity.contains(&target) && !dropped.contains_key(&target) {
            dropped.insert(source, target);
        }
    }
    (identity.into_iter().filter(|path| !dropped.contains_key(path)).collect(), dropped)
}

struct Builder<'a> {
    /// Entity name → the name its definition goes by (an endpoint, or the entity if abstract).
    names: HashMap<&'a str, &'a str>,
    /// Per definition name: identity paths dropped as the unified twin of another.
    unified: HashMap<&'a str, HashMap<String, String>>,
}

impl Builder<'_> {
    fn name_of(&self, target: &str) -> Result<&'static str, String> {
        let name = self.names.get(target).copied().unwrap_or(target);
        Ok(leak_str(name))
    }

    fn fields(&self, members: &[MemberJson]) -> Result<&'static [Field], String> {
        let fields = members
            .iter()
            .map(|member| {
                let kind = self.kind(member)?;
                let name = leak_str(&member.name);
                Ok(if member.required { Field::required(name, kind) } else { Field::optional(name, kind) })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(leak(fields))
    }

    fn kind(&self, member: &MemberJson) -> Result<Kind, String> {
        let at = |problem: &str| format!("member {}: {problem}", member.name);
        Ok(match member.kind.as_str() {
            // Ed-Fi refuses blank strings; a minimum of one character says so.
            "string" => Kind::Text {
                min: member.min_length.unwrap_or(1).max(1),
                max: member.max_length.ok_or_else(|| at("a string without a maximum length"))?,
            },
            "integer" => {
                let range = IntegerRange::LONG;
                let (min, max) =
                    (member.minimum.unwrap_or(range.min()), member.maximum.unwrap_or(range.max()));
                Kind::Integer(
                    IntegerRange::checked(min, max).ok_or_else(|| at("an integer range beyond 2^53"))?,
                )
            }
            "decimal" => {
                Kind::Decimal { total_digits: member.total_digits, fraction_digits: member.fraction_digits }
            }
            "boolean" => Kind::Boolean,
            "date" => Kind::Date,
            "time" => Kind::Time,
            "dateTime" => Kind::DateTime,
            "duration" => Kind::Duration,
            "descriptor" => {
                let target =
                    member.descriptor.as_deref().ok_or_else(|| at("a descriptor without a target"))?;
                Kind::Descriptor(self.name_of(target)?)
            }
            "object" => Kind::Object(self.fields(&member.members)?),
            "collection" => {
                Kind::Collection { item: self.fields(&member.items)?, min_items: member.min_items }
            }
            "reference" => {
                let target = self
                    .name_of(member.target.as_deref().ok_or_else(|| at("a reference without a target"))?)?;
                let unified = self.unified.get(target);
                let members = member
                    .members
                    .iter()
                    .map(|m| {
                        let path = plain(
                            m.target_path.as_deref().ok_or_else(|| at("a member without a target path"))?,
                        );
                        // A member carrying the unified twin of a key path carries that key path.
                        let path = unified.and_then(|u| u.get(path)).map_or(path, String::as_str);
                        Ok(ReferenceMember::new(leak_str(&m.name), leak_str(path), self.kind(m)?))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Kind::Reference(Box::leak(Box::new(Reference { target, members: leak(members) })))
            }
            other => return Err(at(&format!("an unknown type {other:?}"))),
        })
    }

    fn resource(&self, json: &ResourceJson, descriptor: bool) -> Result<ResourceDef, String> {
        let name = self.name_of(json.endpoint.as_deref().unwrap_or(&json.entity))?;
        let at = |e: String| format!("{name}: {e}");
        let (key, _) = natural_key(json);
        let equality = json
            .equality_constraints
            .iter()
            .map(|c| EqualityConstraint { source: leak_str(&c.source), target: leak_str(&c.target) })
            .collect();
        let uniqueness = json
            .array_uniqueness_constraints
            .iter()
            .map(|c| UniquenessConstraint { paths: leak(c.paths.iter().map(|p| leak_str(p)).collect()) })
            .collect();
        let subclasses = json.subclasses.iter().map(|s| self.name_of(s)).collect::<Result<Vec<_>, _>>()?;
        Ok(ResourceDef {
            name,
            fields: self.fields(&json.members).map_err(at)?,
            natural_key: leak(key.iter().map(|k| leak_str(k)).collect()),
            key_change_allowed: json.allow_identity_updates,
            is_descriptor: descriptor,
            equality_constraints: leak(equality),
            uniqueness_constraints: leak(uniqueness),
            entity_name: leak_str(&json.entity),
            camel_entity: leak_str(&camel(&json.entity)),
            superclass: json.superclass.as_ref().map(|s| self.name_of(&s.resource)).transpose()?,
            subclasses: leak(subclasses),
            is_abstract: json.endpoint.is_none(),
            interchanges: leak(json.interchanges.iter().map(|i| leak_str(i)).collect()),
        })
    }
}

fn load(text: &str) -> Result<Registry, String> {
    let file: ModelFile =
        serde_json::from_str(text).map_err(|e| format!("the model is not readable: {e}"))?;
    let mut names = HashMap::new();
    for d in &file.descriptors {
        names.insert(d.entity.as_str(), d.endpoint.as_str());
    }
    for r in &file.resources {
        if let Some(endpoint) = &r.endpoint {
            names.insert(r.entity.as_str(), endpoint.as_str());
        }
    }
    let mut unified = HashMap::new();
    for r in file.resources.iter().chain(&file.abstract_resources) {
        let name = r.endpoint.as_deref().unwrap_or(&r.entity);
        unified.insert(name, natural_key(r).1);
    }
    let builder = Builder { names, unified };
    let mut defs: Vec<&'static ResourceDef> = Vec::new();
    let descriptor_fields = builder.fields(&file.descriptor_members)?;
    for d in &file.descriptors {
        defs.push(Box::leak(Box::new(ResourceDef {
            name: leak_str(&d.endpoint),
            fields: descriptor_fields,
            natural_key: &["namespace", "codeValue"],
            key_change_allowed: false,
            is_descriptor: true,
            equality_constraints: &[],
            uniqueness_constraints: &[],
            entity_name: leak_str(&d.entity),
            camel_entity: leak_str(&camel(&d.entity)),
            superclass: None,
            subclasses: &[],
            is_abstract: false,
            interchanges: &[],
        })));
    }
    for r in file.abstract_resources.iter().chain(&file.resources) {
        defs.push(Box::leak(Box::new(builder.resource(r, false)?)));
    }
    let all = load_order(defs)?;
    let served: Vec<&'static ResourceDef> = all.iter().copied().filter(|d| !d.is_abstract).collect();
    let by_name = all.iter().map(|d| (d.name, *d)).collect();
    let by_endpoint = served.iter().map(|d| (crate::wire::endpoint_key(d.name), *d)).collect();
    Ok(Registry { all, served, by_name, by_endpoint })
}

/// What a definition needs loaded before it: the targets of its references and descriptors, and
/// for an abstract target every subclass too (data for it is theirs), never itself.
fn dependencies(def: &ResourceDef, by_name: &BTreeMap<&str, &'static ResourceDef>) -> BTreeSet<&'static str> {
    fn walk(fields: &[Field], out: &mut BTreeSet<&'static str>) {
        for field in fields {
            match &field.kind {
                Kind::Reference(reference) => {
                    out.insert(reference.target);
                }
                Kind::Descriptor(target) => {
                    out.insert(target);
                }
                Kind::Object(inner) | Kind::Collection { item: inner, .. } => walk(inner, out),
                _ => {}
            }
        }
    }
    let mut direct = BTreeSet::new();
    walk(def.fields, &mut direct);
    let mut out = direct.clone();
    for target in direct {
        if let Some(abstract_def) = by_name.get(target).filter(|d| d.is_abstract) {
            out.extend(abstract_def.subclasses.iter().copied());
        }
    }
    out.remove(def.name);
    out
}

/// Orders the definitions so each comes after its dependencies, alphabetically among equals.
fn load_order(defs: Vec<&'static ResourceDef>) -> Result<Vec<&'static ResourceDef>, String> {
    let by_name: BTreeMap<&str, &'static ResourceDef> = defs.iter().map(|d| (d.name, *d)).collect();
    let mut pending: BTreeMap<&str, BTreeSet<&str>> = defs
        .iter()
        .map(|d| {
            (d.name, dependencies(d, &by_name).into_iter().filter(|t| by_name.contains_key(t)).collect())
        })
        .collect();
    let mut order = Vec::with_capacity(defs.len());
    while !pending.is_empty() {
        let ready: Vec<&str> =
            pending.iter().filter(|(_, deps)| deps.is_empty()).map(|(name, _)| *name).collect();
        if ready.is_empty() {
            return Err(format!(
                "the references form a cycle among {:?}",
                pending.keys().collect::<Vec<_>>()
            ));
        }
        for name in ready {
            pending.remove(name);
            for deps in pending.values_mut() {
                deps.remove(name);
            }
            order.push(by_name[name]);
        }
    }
    Ok(order)
}

// ----------------------------------------------------------------------------------- checking

/// Checks the definitions against each other, once at start-up: unique names, resolvable natural
/// keys, references that carry exactly their target's natural key (with the same types and integer
/// ranges), descriptor fields naming descriptor resources, constraint paths naming scalar
/// members, subclasses keyed like their abstract resource, and [`definitions`] in load order.
pub fn check_definitions() -> Result<(), String> {
    let all = definitions();
    for (position, def) in all.iter().enumerate() {
        if all.iter().filter(|other| other.name == def.name).count() > 1 {
            return Err(format!("{} is defined twice", def.name));
        }
        for path in def.natural_key {
            match def.field_kind(path) {
                Some(
                    Kind::Text { .. }
                    | Kind::Integer { .. }
                    | Kind::Date
                    | Kind::DateTime
                    | Kind::Time
                    | Kind::Decimal { .. }
                    | Kind::Descriptor(_),
                ) => {}
                _ => return Err(format!("{}: natural key path {path} is not a scalar field", def.name)),
            }
        }
        let earlier = &all[..position];
        check_fields(def, def.fields, earlier)?;
        let constraint_paths = def
            .equality_constraints
            .iter()
            .flat_map(|c| [c.source, c.target])
            .chain(def.uniqueness_constraints.iter().flat_map(|c| c.paths.iter().copied()));
        for path in constraint_paths {
            if !scalar_at(def.fields, path) {
                return Err(format!("{}: constraint path {path} names no scalar member", def.name));
            }
        }
        for constraint in def.uniqueness_constraints {
            if !constraint.paths.iter().all(|path| path.contains("[*]")) {
                return Err(format!("{}: a uniqueness constraint path is not in a collection", def.name));
            }
        }
        if let Some(abstract_name) = def.superclass {
            let Some(abstract_def) = find(abstract_name).filter(|a| a.is_abstract) else {
                return Err(format!(
                    "{}: its superclass {abstract_name} is not an abstract resource",
                    def.name
                ));
            };
            // A reference to the abstract resource finds a subclass item by the same key text.
            if def.natural_key.len() != abstract_def.natural_key.len() {
                return Err(format!("{}: keyed unlike its superclass {abstract_name}", def.name));
            }
        }
    }
    Ok(())
}

/// Whether an ApiSchema-style path (`$.classPeriods[*].classPeriodReference.schoolId`) leads through
/// these fields to a scalar member, `[*]` exactly where a collection is.
fn scalar_at(fields: &[Field], path: &str) -> bool {
    let mut fields = fields;
    let mut members: Option<&[ReferenceMember]> = None;
    let segments: Vec<&str> = path.trim_start_matches("$.").split('.').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let (name, each) = segment.strip_suffix("[*]").map_or((*segment, false), |name| (name, true));
        if let Some(reference_members) = members.take() {
            return last && !each && reference_members.iter().any(|m| m.name == name);
        }
        let Some(field) = fields.iter().find(|f| f.name == name) else { return false };
        match (&field.kind, each) {
            (Kind::Collection { item, .. }, true) => fields = item,
            (Kind::Object(inner), false) => fields = inner,
            (Kind::Reference(reference), false) => members = Some(reference.members),
            (Kind::Collection { .. } | Kind::Object(_) | Kind::Reference(_), _) => return false,
            (_, true) => return false,
            (_, false) => return last,
        }
    }
    false
}

fn check_fields(def: &ResourceDef, fields: &[Field], earlier: &[&ResourceDef]) -> Result<(), String> {
    let resource = def.name;
    let mut names = BTreeSet::new();
    if let Some(twice) = fields.iter().find(|field| !names.insert(field.name)) {
        return Err(format!("{resource}: the member {} is defined twice", twice.name));
    }
    for field in fields {
        let at = |problem: String| format!("{resource}.{}: {problem}", field.name);
        match &field.kind {
            Kind::Descriptor(target) => {
                if !earlier.iter().any(|d| d.name == *target && d.is_descriptor) {
                    return Err(at(format!("{target} is not a descriptor resource loaded earlier")));
                }
            }
            Kind::Reference(reference) => {
                // A resource may reference another item of its own kind (a parent objective).
                let target = if reference.target == def.name {
                    Some(def)
                } else {
                    earlier.iter().copied().find(|d| d.name == reference.target)
                };
                let Some(target) = target else {
                    return Err(at(format!("{} is not a resource loaded earlier", reference.target)));
                };
                let carried: Vec<&str> = reference.members.iter().map(|m| m.target_path).collect();
                let mut wanted = target.natural_key.to_vec();
                let mut carried_sorted = carried.clone();
                wanted.sort_unstable();
                carried_sorted.sort_unstable();
                if wanted != carried_sorted {
                    return Err(at(format!(
                        "carries {carried:?}, {} has key {:?}",
                        target.name, target.natural_key
                    )));
                }
                for member in reference.members {
                    let target_kind = target.field_kind(member.target_path);
                    let same_type = match (target_kind, &member.kind) {
                        (Some(Kind::Integer(have)), Kind::Integer(carried)) => have == carried,
                        (Some(kind), carried) => {
                            std::mem::discriminant(kind) == std::mem::discriminant(carried)
                        }
                        (None, _) => false,
                    };
                    if !same_type {
                        return Err(at(format!(
                            "{} has another type than {}",
                            member.name, member.target_path
                        )));
                    }
                }
            }
            Kind::Object(inner) | Kind::Collection { item: inner, .. } => check_fields(def, inner, earlier)?,
            Kind::Text { .. }
            | Kind::Date
            | Kind::Time
            | Kind::DateTime
            | Kind::Duration
            | Kind::Decimal { .. }
            | Kind::Boolean
            | Kind::Integer { .. } => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definitions_are_consistent() {
        assert_eq!(check_definitions(), Ok(()));
    }

    #[test]
    fn every_endpoint_of_the_data_standard_is_served() {
        assert_eq!(all().len(), 349);
        assert_eq!(all().iter().filter(|d| d.is_descriptor).count(), 211);
        let abstracts: Vec<&str> = definitions().iter().filter(|d| d.is_abstract).map(|d| d.name).collect();
        assert_eq!(abstracts, ["EducationOrganization", "GeneralStudentProgramAssociation"]);
        let key_changes: BTreeSet<&str> =
            all().iter().filter(|d| d.key_change_allowed).map(|d| d.name).collect();
        let expected = [
            "classPeriods",
            "gradebookEntries",
            "grades",
            "locations",
            "sections",
            "sessions",
            "studentSchoolAssociations",
            "studentSectionAssociations",
        ];
        assert_eq!(key_changes, expected.into_iter().collect());
        assert_eq!(find_endpoint("STUDENTS").map(|d| d.name), Some("students"));
        assert!(find_endpoint("educationOrganization").is_none(), "abstract resources have no endpoint");
    }

    #[test]
    fn unified_keys_appear_once_and_references_carry_them() {
        let offerings = get("courseOfferings");
        assert_eq!(
            offerings.natural_key,
            [
                "localCourseCode",
                "schoolReference.schoolId",
                "sessionReference.schoolYear",
                "sessionReference.sessionName"
            ]
        );
        let Some(Kind::Reference(reference)) = get("sections").field_kind("courseOfferingReference") else {
            panic!("sections reference course offerings")
        };
        let mut carried: Vec<&str> = reference.members.iter().map(|m| m.target_path).collect();
        carried.sort_unstable();
        let mut key = offerings.natural_key.to_vec();
        key.sort_unstable();
        assert_eq!(carried, key);
    }

    #[test]
    fn subclasses_and_abstract_references() {
        let school = get("schools");
        assert_eq!(
            (school.superclass, school.entity_name, school.entity()),
            (Some("EducationOrganization"), "School", "school")
        );
        let organizations = get("EducationOrganization");
        assert!(organizations.is_abstract && organizations.subclasses.contains(&"schools"));
        assert_eq!(concrete(organizations).len(), 9);
        let Some(Kind::Reference(reference)) = get("courses").field_kind("educationOrganizationReference")
        else {
            panic!("courses reference an education organization")
        };
        assert_eq!(reference.target, "EducationOrganization");
        // Dependencies put every subclass before what references the abstract resource.
        let position = |name: &str| definitions().iter().position(|d| d.name == name).unwrap();
        assert!(position("schools") < position("courses"));
        assert!(position("EducationOrganization") < position("courses"));
    }

    #[test]
    fn camel_case_follows_metaed() {
        for (entity, camel_case) in [
            ("School", "school"),
            ("CTEProgramServiceDescriptor", "cteProgramServiceDescriptor"),
            ("StudentCTEProgramAssociation", "studentCTEProgramAssociation"),
            ("GradeLevelDescriptor", "gradeLevelDescriptor"),
        ] {
            assert_eq!(camel(entity), camel_case);
        }
    }

    #[test]
    fn constraint_paths_must_lead_to_scalars_through_collections() {
        let fields = get("sections").fields;
        assert!(scalar_at(fields, "$.classPeriods[*].classPeriodReference.schoolId"));
        assert!(scalar_at(fields, "$.courseOfferingReference.schoolId"));
        assert!(scalar_at(fields, "$.sectionIdentifier"));
        for bad in [
            "$.classPeriods.classPeriodReference.schoolId",
            "$.classPeriods[*].classPeriodReference",
            "$.classPeriods[*].classPeriodReference.nope",
            "$.sectionIdentifier[*]",
            "$.courseOfferingReference[*].schoolId",
            "$.nope",
        ] {
            assert!(!scalar_at(fields, bad), "{bad}");
        }
    }
}
