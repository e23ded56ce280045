//! The generated model against the Ed-Fi material in `../shared/edfi/` (CI has it beside the
//! repository; without it these tests fail, they do not skip).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

use super::{material, render, INTERCHANGE_OUTPUT, OUTPUT};

fn edfi() -> PathBuf {
    let dir = material(&crate::root());
    assert!(
        dir.join("Ed-Fi-Core-5.2.xsd").is_file(),
        "{} is missing: the model tests read the Ed-Fi material there (CI has it beside the repository)",
        dir.display()
    );
    dir
}

/// The generated model and interchange mapping, made once for all tests.
fn rendered_files() -> &'static (String, String) {
    static TEXT: OnceLock<(String, String)> = OnceLock::new();
    TEXT.get_or_init(|| render(&edfi()).unwrap_or_else(|e| panic!("gen-model fails: {e}")))
}

fn rendered() -> &'static str {
    &rendered_files().0
}

fn model() -> &'static Value {
    static MODEL: OnceLock<Value> = OnceLock::new();
    MODEL.get_or_init(|| serde_json::from_str(rendered()).expect("the model is JSON"))
}

fn read_json(relative: &str) -> Value {
    let path = edfi().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn resources() -> &'static [Value] {
    model()["resources"].as_array().expect("resources")
}

fn abstract_resources() -> &'static [Value] {
    model()["abstractResources"].as_array().expect("abstractResources")
}

fn descriptor_endpoints() -> BTreeSet<&'static str> {
    model()["descriptors"]
        .as_array()
        .expect("descriptors")
        .iter()
        .filter_map(|d| d["endpoint"].as_str())
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Every member by JSON path (`$.a[*].b`, reference members included).
fn flatten(members: &Value, prefix: &str, out: &mut BTreeMap<String, Value>) {
    for m in members.as_array().into_iter().flatten() {
        let path = format!("{prefix}{}", m["name"].as_str().expect("a name"));
        out.insert(path.clone(), m.clone());
        match m["type"].as_str() {
            Some("collection") => flatten(&m["items"], &format!("{path}[*]."), out),
            Some("object") | Some("reference") => flatten(&m["members"], &format!("{path}."), out),
            _ => {}
        }
    }
}

fn members_by_path(members: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    flatten(members, "$.", &mut out);
    out
}

/// Every reference of a resource: its path, the reference, and whether it and every
/// collection around it is required.
fn references(members: &Value, prefix: &str, required: bool, out: &mut Vec<(String, Value, bool)>) {
    for m in members.as_array().into_iter().flatten() {
        let path = format!("{prefix}{}", m["name"].as_str().expect("a name"));
        let required = required && m["required"] == true;
        match m["type"].as_str() {
            Some("reference") => out.push((path, m.clone(), required)),
            Some("collection") => references(&m["items"], &format!("{path}[*]."), required, out),
            Some("object") => references(&m["members"], &format!("{path}."), required, out),
            _ => {}
        }
    }
}

/// Each resource's and abstract resource's identity, by the name references use.
fn identities() -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for r in resources() {
        out.insert(r["endpoint"].as_str().unwrap().to_string(), strings(&r["identity"]));
    }
    for r in abstract_resources() {
        out.insert(r["entity"].as_str().unwrap().to_string(), strings(&r["identity"]));
    }
    out
}

/// A resource's equality constraints as unordered pairs (none for an abstract resource).
fn target_equalities(target: &str) -> BTreeSet<(String, String)> {
    resources()
        .iter()
        .chain(abstract_resources())
        .find(|r| r["endpoint"] == target || (r.get("endpoint").is_none() && r["entity"] == target))
        .map(|r| equality_pairs(&r["equalityConstraints"], "source", "target"))
        .unwrap_or_default()
}

#[test]
fn the_committed_model_is_what_the_generator_makes() {
    let path = crate::root().join(OUTPUT);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered(),
        "{} is not what the generator makes from ../shared/edfi/: run `cargo xtask gen-model` and commit the result",
        path.display()
    );
}

#[test]
fn the_committed_interchange_mapping_is_what_the_generator_makes() {
    let path = crate::root().join(INTERCHANGE_OUTPUT);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered_files().1,
        "{} is not what the generator makes from ../shared/edfi/: run `cargo xtask gen-model` and commit the result",
        path.display()
    );
}

#[test]
fn every_endpoint_is_in_the_model_exactly_once() {
    let listed =
        std::fs::read_to_string(edfi().join("apischema/ds-5.2-endpoints.txt")).expect("endpoints.txt");
    let listed: Vec<&str> = listed.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!(listed.len(), 349);
    let descriptors = descriptor_endpoints();
    assert_eq!(descriptors.len(), 211);
    assert!(descriptors.iter().all(|d| d.ends_with("Descriptors")));
    let mut all: Vec<&str> = resources().iter().filter_map(|r| r["endpoint"].as_str()).collect();
    assert_eq!(all.len(), 349 - 211);
    all.extend(model()["descriptors"].as_array().unwrap().iter().filter_map(|d| d["endpoint"].as_str()));
    for endpoint in &listed {
        let count = all.iter().filter(|e| *e == endpoint).count();
        assert_eq!(count, 1, "{endpoint} is in the model {count} times");
    }
    assert_eq!(all.len(), listed.len());
    let facts = read_json("apischema/ds-5.2-project-facts.json");
    let mapped: BTreeSet<&str> = facts["caseInsensitiveEndpointNameMapping"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(mapped, listed.iter().copied().collect());
}

/// A member's path, minimum and maximum length, and whether it is required and identity.
type Shape = (String, Option<i64>, Option<i64>, bool, bool);

#[test]
fn descriptors_have_the_one_descriptor_shape() {
    let shape: Vec<Shape> = members_by_path(&model()["descriptorMembers"])
        .iter()
        .map(|(p, m)| {
            (
                p.clone(),
                m["minLength"].as_i64(),
                m["maxLength"].as_i64(),
                m["required"] == true,
                m["identity"] == true,
            )
        })
        .collect();
    let expected = [
        ("$.codeValue", Some(1), Some(50), true, true),
        ("$.description", None, Some(1024), false, false),
        ("$.effectiveBeginDate", None, None, false, false),
        ("$.effectiveEndDate", None, None, false, false),
        ("$.namespace", Some(1), Some(255), true, true),
        ("$.shortDescription", Some(1), Some(75), true, false),
    ]
    .map(|(p, min, max, r, i)| (p.to_string(), min, max, r, i));
    assert_eq!(shape, expected);
}

#[test]
fn every_reference_carries_exactly_its_targets_identity() {
    let identities = identities();
    let descriptors = descriptor_endpoints();
    let mut checked = 0;
    for r in resources().iter().chain(abstract_resources()) {
        let name = r["entity"].as_str().unwrap();
        let mut refs = Vec::new();
        references(&r["members"], "$.", true, &mut refs);
        for (path, reference, _) in refs {
            let target = reference["target"].as_str().unwrap();
            let identity =
                identities.get(target).unwrap_or_else(|| panic!("{name} {path}: no target {target}"));
            let carried: BTreeSet<String> = reference["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["targetPath"].as_str().unwrap().to_string())
                .collect();
            let names: BTreeSet<&str> = reference["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["name"].as_str().unwrap())
                .collect();
            assert_eq!(names.len(), carried.len(), "{name} {path}: two members of one name");
            // The reference carries each key member once: every identity path of the target,
            // but one side of each of its unified pairs (a course offering reference has one
            // `schoolId` for `schoolReference.schoolId` = `sessionReference.schoolId`).
            let unified = target_equalities(target);
            for key in identity {
                let covered = carried.contains(key)
                    || carried
                        .iter()
                        .any(|c| unified.contains(&(c.clone().min(key.clone()), c.clone().max(key.clone()))));
                assert!(covered, "{name} {path} does not carry {target}'s {key}");
            }
            for c in &carried {
                assert!(identity.contains(c), "{name} {path} carries {c}, not in {target}'s identity");
            }
            checked += 1;
        }
        for (path, member) in members_by_path(&r["members"]) {
            if member["type"] == "descriptor" {
                let d = member["descriptor"].as_str().unwrap();
                assert!(descriptors.contains(d), "{name} {path}: no descriptor endpoint {d}");
            }
        }
        // Every identity path is a member, and a scalar one.
        let members = members_by_path(&r["members"]);
        for path in strings(&r["identity"]) {
            let member =
                members.get(&path).unwrap_or_else(|| panic!("{name}: identity path {path} is no member"));
            assert!(
                !matches!(member["type"].as_str(), Some("reference" | "object" | "collection")),
                "{name} {path}"
            );
        }
    }
    assert!(checked > 300, "only {checked} references");
}

#[test]
fn identity_updates_are_allowed_exactly_where_ed_fi_allows_them() {
    let facts = read_json("apischema/ds-5.2-project-facts.json");
    let expected: BTreeSet<String> = strings(&facts["allowIdentityUpdates_true"]).into_iter().collect();
    assert_eq!(expected.len(), 8);
    let flagged: BTreeSet<String> = resources()
        .iter()
        .filter(|r| r["allowIdentityUpdates"] == true)
        .map(|r| r["endpoint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(flagged, expected);
}

#[test]
fn abstract_resources_and_subclasses_match_the_project_facts() {
    let facts = read_json("apischema/ds-5.2-project-facts.json");
    let mut subclasses = BTreeMap::new();
    for (key, list) in facts["subclasses"].as_object().unwrap() {
        let name = key.split_whitespace().next().unwrap().to_string();
        subclasses.insert(name, strings(list));
    }
    for (name, fact) in facts["abstractResources"].as_object().unwrap() {
        let r = abstract_resources()
            .iter()
            .find(|r| r["entity"] == name.as_str())
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(strings(&r["identity"]), strings(&fact["identityJsonPaths"]), "{name}");
        let mut listed = strings(&r["subclasses"]);
        listed.sort();
        assert_eq!(listed, subclasses[name], "{name}");
        for sub in &subclasses[name] {
            let s =
                resources().iter().find(|r| r["entity"] == sub.as_str()).unwrap_or_else(|| panic!("{sub}"));
            assert_eq!(s["superclass"]["resource"], name.as_str(), "{sub}");
        }
    }
    assert_eq!(abstract_resources().len(), 2);
}

/// A load order for all 349: every resource after everything its references name (an abstract
/// target after all of its subclasses), optional references included. The only cycles are
/// four optional references of a resource to itself (a parent local education agency, a
/// parent learning standard, objective assessment or education content), which an order
/// cannot and need not break: the parent is written first, as another item.
#[test]
fn a_load_order_exists() {
    let subclasses: BTreeMap<String, Vec<String>> = abstract_resources()
        .iter()
        .map(|r| {
            let endpoints = strings(&r["subclasses"])
                .iter()
                .map(|e| {
                    resources().iter().find(|x| x["entity"] == e.as_str()).unwrap()["endpoint"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            (r["entity"].as_str().unwrap().to_string(), endpoints)
        })
        .collect();
    let mut depends: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut self_references = Vec::new();
    for r in resources() {
        let endpoint = r["endpoint"].as_str().unwrap().to_string();
        let mut refs = Vec::new();
        references(&r["members"], "$.", true, &mut refs);
        let entry = depends.entry(endpoint.clone()).or_default();
        for (_, reference, _) in refs {
            let target = reference["target"].as_str().unwrap();
            if target == endpoint {
                self_references.push(endpoint.clone());
            }
            let targets = subclasses.get(target).cloned().unwrap_or_else(|| vec![target.to_string()]);
            entry.extend(targets.into_iter().filter(|t| *t != endpoint));
        }
    }
    for d in descriptor_endpoints() {
        depends.entry(d.to_string()).or_default();
    }
    let mut placed: Vec<String> = Vec::new();
    let mut remaining = depends.clone();
    while !remaining.is_empty() {
        let ready: Vec<String> = remaining
            .iter()
            .filter(|(_, deps)| deps.iter().all(|d| placed.contains(d)))
            .map(|(n, _)| n.clone())
            .collect();
        assert!(
            !ready.is_empty(),
            "required references form a cycle among {:?}",
            remaining.keys().collect::<Vec<_>>()
        );
        for n in ready {
            remaining.remove(&n);
            placed.push(n);
        }
    }
    assert_eq!(placed.len(), 349);
    self_references.dedup();
    assert_eq!(
        self_references,
        ["educationContents", "learningStandards", "localEducationAgencies", "objectiveAssessments"]
    );
}

fn resource(endpoint: &str) -> &'static Value {
    resources().iter().find(|r| r["endpoint"] == endpoint).unwrap_or_else(|| panic!("no resource {endpoint}"))
}

/// The members of a `jsonSchemaForInsert` by JSON path, with whether each is required.
fn schema_members(schema: &Value, prefix: &str, out: &mut BTreeMap<String, (Value, bool)>) {
    let required: BTreeSet<String> = strings(&schema["required"]).into_iter().collect();
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let path = format!("{prefix}{name}");
        out.insert(path.clone(), (property.clone(), required.contains(name)));
        match property["type"].as_str() {
            Some("array") => schema_members(&property["items"], &format!("{path}[*]."), out),
            Some("object") => schema_members(property, &format!("{path}."), out),
            _ => {}
        }
    }
}

/// ApiSchema's JSON type of a model member.
fn json_type(member: &Value) -> &'static str {
    match member["type"].as_str().unwrap() {
        "string" | "date" | "dateTime" | "time" | "duration" | "descriptor" => "string",
        "integer" => "integer",
        "decimal" => "number",
        "boolean" => "boolean",
        "collection" => "array",
        "object" | "reference" => "object",
        other => panic!("type {other}"),
    }
}

/// Equality constraints as unordered pairs: which side ApiSchema calls the source is where
/// MetaEd's merge directive is written, which the XSD does not carry.
fn equality_pairs(constraints: &Value, source: &str, target: &str) -> BTreeSet<(String, String)> {
    constraints
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let (a, b) = (c[source].as_str().unwrap().to_string(), c[target].as_str().unwrap().to_string());
            if a < b {
                (a, b)
            } else {
                (b, a)
            }
        })
        .collect()
}

/// Array uniqueness constraints as (base path, paths) per array: ApiSchema lists students'
/// `$.visas[*].visaDescriptor` in the constraint of `identificationDocuments` (both are
/// collections of the inline common `Citizenship`); paths over two arrays constrain each
/// array on its own, which is how the model writes them.
fn uniqueness_sets(constraints: &Value, nested_key: &str) -> BTreeSet<(String, Vec<String>)> {
    fn walk(c: &Value, base: &str, nested_key: &str, out: &mut BTreeSet<(String, Vec<String>)>) {
        let mut by_array: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for path in strings(&c["paths"]) {
            let array = path.split("[*]").next().unwrap().to_string();
            by_array.entry(array).or_default().push(path);
        }
        for (_, mut paths) in by_array {
            paths.sort();
            out.insert((base.to_string(), paths));
        }
        for nested in c[nested_key].as_array().into_iter().flatten() {
            walk(nested, nested["basePath"].as_str().unwrap(), nested_key, out);
        }
    }
    let mut out = BTreeSet::new();
    for c in constraints.as_array().unwrap() {
        walk(c, "", nested_key, &mut out);
    }
    out
}

/// The endpoint (or abstract resource) the model names for an ApiSchema resource name.
fn model_target(resource_name: &str) -> String {
    if let Some(r) = resources().iter().find(|r| r["entity"] == resource_name) {
        return r["endpoint"].as_str().unwrap().to_string();
    }
    if abstract_resources().iter().any(|r| r["entity"] == resource_name) {
        return resource_name.to_string();
    }
    model()["descriptors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["entity"] == resource_name)
        .map(|d| d["endpoint"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no resource {resource_name} in the model"))
}

#[test]
fn four_resources_match_their_api_schema() {
    for endpoint in ["schools", "sections", "studentSchoolAssociations", "students"] {
        let api = read_json(&format!("apischema/ds-5.2-resources/{endpoint}.json"));
        let ours = resource(endpoint);
        let at = |what: &str| format!("{endpoint}: {what}");

        let mut identity = strings(&api["identityJsonPaths"]);
        identity.sort();
        assert_eq!(strings(&ours["identity"]), identity, "{}", at("identity"));
        assert_eq!(
            ours["allowIdentityUpdates"],
            api["allowIdentityUpdates"],
            "{}",
            at("allowIdentityUpdates")
        );
        assert_eq!(ours["entity"], api["resourceName"], "{}", at("entity"));
        if api["isSubclass"] == true {
            assert_eq!(ours["superclass"]["resource"], api["superclassResourceName"], "{}", at("superclass"));
            assert_eq!(
                ours["superclass"]["identityPath"],
                api["superclassIdentityJsonPath"],
                "{}",
                at("rename")
            );
        } else {
            assert!(ours.get("superclass").is_none(), "{}", at("not a subclass"));
        }

        // JSON names, types, lengths, ranges and required members.
        let members = members_by_path(&ours["members"]);
        let mut schema = BTreeMap::new();
        schema_members(&api["jsonSchemaForInsert"], "$.", &mut schema);
        let names: BTreeSet<&String> = members.keys().collect();
        assert_eq!(names, schema.keys().collect(), "{}", at("members"));
        for (path, member) in &members {
            let (property, required) = &schema[path];
            let at = |what: &str| format!("{endpoint} {path}: {what}");
            assert_eq!(json_type(member), property["type"], "{}", at("type"));
            if member.get("targetPath").is_some() {
                // ApiSchema's hard-coded school-year reference lists no required member; the
                // model's reference, as every reference, needs its whole key.
                let school_year = member["targetPath"] == "$.schoolYear"
                    && path.to_ascii_lowercase().ends_with("schoolyeartypereference.schoolyear");
                assert!(
                    *required || school_year,
                    "{}",
                    at("a reference member is required in its reference")
                );
            } else {
                assert_eq!(member["required"] == true, *required, "{}", at("required"));
            }
            if member["type"] == "descriptor" {
                assert_eq!(property["maxLength"], 306, "{}", at("descriptor URI length"));
            } else if member["type"] == "string" {
                assert_eq!(member.get("maxLength"), property.get("maxLength"), "{}", at("maxLength"));
                assert_eq!(member.get("minLength"), property.get("minLength"), "{}", at("minLength"));
            }
            if member["type"] == "integer" {
                for bound in ["minimum", "maximum"] {
                    if let Some(theirs) = property.get(bound) {
                        assert_eq!(&member[bound], theirs, "{}", at(bound));
                    }
                }
            }
            if member["type"] == "collection" {
                assert_eq!(member["minItems"], property["minItems"], "{}", at("minItems"));
            }
        }
        for info in api["decimalPropertyValidationInfos"].as_array().unwrap() {
            let member = &members[info["path"].as_str().unwrap()];
            assert_eq!(member["totalDigits"], info["totalDigits"], "{}", at("totalDigits"));
            assert_eq!(member["fractionDigits"], info["decimalPlaces"], "{}", at("fractionDigits"));
        }

        // References and descriptors: targets and member mappings.
        for (name, mapping) in api["documentPathsMapping"].as_object().unwrap() {
            if mapping["isReference"] != true {
                continue;
            }
            let target = model_target(mapping["resourceName"].as_str().unwrap());
            if mapping["isDescriptor"] == true {
                let member = &members[mapping["path"].as_str().unwrap()];
                assert_eq!(member["descriptor"], target.as_str(), "{}", at(name));
                continue;
            }
            let target_equalities = target_equalities(&target);
            for pair in mapping["referenceJsonPaths"].as_array().unwrap() {
                let here = pair["referenceJsonPath"].as_str().unwrap();
                let there = pair["identityJsonPath"].as_str().unwrap().to_string();
                let member =
                    members.get(here).unwrap_or_else(|| panic!("{}", at(&format!("no member {here}"))));
                let ours = member["targetPath"].as_str().unwrap().to_string();
                // Either side of a unified key is the same value: a course offering's `schoolId`
                // is its `schoolReference.schoolId` and its `sessionReference.schoolId`.
                let unified = target_equalities
                    .contains(&(ours.clone().min(there.clone()), ours.clone().max(there.clone())));
                assert!(
                    ours == there || unified,
                    "{}",
                    at(&format!("{here} fills {ours}, ApiSchema says {there}"))
                );
                let reference_path = here.rsplit_once('.').unwrap().0;
                assert_eq!(members[reference_path]["target"], target.as_str(), "{}", at(here));
            }
        }

        assert_eq!(
            equality_pairs(&ours["equalityConstraints"], "source", "target"),
            equality_pairs(&api["equalityConstraints"], "sourceJsonPath", "targetJsonPath"),
            "{}",
            at("equality constraints")
        );
        assert_eq!(
            uniqueness_sets(&ours["arrayUniquenessConstraints"], "nested"),
            uniqueness_sets(&api["arrayUniquenessConstraints"], "nestedConstraints"),
            "{}",
            at("array uniqueness constraints")
        );
    }
}

/// Facts read by hand from the whole DS 5.2 ApiSchema (MetaEd-js,
/// `packages/metaed-plugin-edfi-api-schema/test/integration/artifact/v7_3/ds-5.2-api-schema-authoritative.json`,
/// too large for `../shared/edfi/`), for resources beyond the four there: the identity and key
/// unification of `grades` and `sessions` (identity-updatable, so their keys cascade), and the
/// members of a reference to a student program association.
#[test]
fn more_resources_match_facts_from_the_whole_api_schema() {
    let pairs = |list: &[(&str, &str)]| -> BTreeSet<(String, String)> {
        list.iter()
            .map(|(a, b)| {
                let (a, b) = (a.to_string(), b.to_string());
                (a.clone().min(b.clone()), a.max(b))
            })
            .collect()
    };
    let grades = resource("grades");
    assert_eq!(
        strings(&grades["identity"]),
        [
            "$.gradeTypeDescriptor",
            "$.gradingPeriodReference.gradingPeriodDescriptor",
            "$.gradingPeriodReference.gradingPeriodName",
            "$.gradingPeriodReference.schoolId",
            "$.gradingPeriodReference.schoolYear",
            "$.studentSectionAssociationReference.beginDate",
            "$.studentSectionAssociationReference.localCourseCode",
            "$.studentSectionAssociationReference.schoolId",
            "$.studentSectionAssociationReference.schoolYear",
            "$.studentSectionAssociationReference.sectionIdentifier",
            "$.studentSectionAssociationReference.sessionName",
            "$.studentSectionAssociationReference.studentUniqueId",
        ]
    );
    assert_eq!(
        equality_pairs(&grades["equalityConstraints"], "source", "target"),
        pairs(&[
            ("$.gradingPeriodReference.schoolId", "$.studentSectionAssociationReference.schoolId"),
            ("$.gradingPeriodReference.schoolYear", "$.studentSectionAssociationReference.schoolYear"),
        ])
    );
    let sessions = resource("sessions");
    assert_eq!(
        strings(&sessions["identity"]),
        ["$.schoolReference.schoolId", "$.schoolYearTypeReference.schoolYear", "$.sessionName"]
    );
    assert_eq!(
        equality_pairs(&sessions["equalityConstraints"], "source", "target"),
        pairs(&[
            ("$.gradingPeriods[*].gradingPeriodReference.schoolYear", "$.schoolYearTypeReference.schoolYear"),
            ("$.gradingPeriods[*].gradingPeriodReference.schoolId", "$.schoolReference.schoolId"),
            ("$.schoolReference.schoolId", "$.academicWeeks[*].academicWeekReference.schoolId"),
        ])
    );
    assert_eq!(sessions["arrayUniquenessConstraints"], serde_json::json!([]));
    // `EdFi_StudentNeglectedOrDelinquentProgramAssociation_Reference`.
    let mut refs = Vec::new();
    for r in resources() {
        references(&r["members"], "$.", true, &mut refs);
    }
    let (_, reference, _) = refs
        .iter()
        .find(|(_, r, _)| r["target"] == "GeneralStudentProgramAssociation")
        .expect("a reference to a general student program association");
    let mut names: Vec<&str> =
        reference["members"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "beginDate",
            "educationOrganizationId",
            "programEducationOrganizationId",
            "programName",
            "programTypeDescriptor",
            "studentUniqueId"
        ]
    );
}

/// The TPDM and Sample extension ApiSchemas reference 19 core resources (students, sections,
/// survey section responses, staff assignments, program associations, …): each pair they give
/// names a path of the target's identity in the model and a member the model's reference to
/// that target carries for it (or for the other side of a unified pair).
#[test]
fn extension_references_to_core_resources_match_the_model() {
    let identities = identities();
    let mut reference_members: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for r in resources().iter().chain(abstract_resources()) {
        let mut refs = Vec::new();
        references(&r["members"], "$.", true, &mut refs);
        for (_, reference, _) in refs {
            let members = reference["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (m["name"].as_str().unwrap().to_string(), m["targetPath"].as_str().unwrap().to_string())
                })
                .collect();
            reference_members.insert(reference["target"].as_str().unwrap().to_string(), members);
        }
    }
    let (mut checked, mut named) = (0, 0);
    for file in ["tpdm-1.1.0-for-ds-5.2.api-schema.json", "sample-1.1.0-for-ds-5.2.api-schema.json"] {
        let schema = read_json(&format!("apischema/{file}"));
        for (endpoint, resource) in schema["projectSchema"]["resourceSchemas"].as_object().unwrap() {
            for (name, mapping) in resource["documentPathsMapping"].as_object().unwrap() {
                if mapping["isReference"] != true
                    || mapping["isDescriptor"] == true
                    || mapping["projectName"] != "Ed-Fi"
                {
                    continue;
                }
                let target = model_target(mapping["resourceName"].as_str().unwrap());
                let identity = &identities[&target];
                // Some targets (staff assignments) no core resource references.
                let members = reference_members.get(&target);
                let unified = target_equalities(&target);
                for pair in mapping["referenceJsonPaths"].as_array().unwrap() {
                    let there = pair["identityJsonPath"].as_str().unwrap().to_string();
                    let member = pair["referenceJsonPath"].as_str().unwrap().rsplit('.').next().unwrap();
                    let at = format!("{file} {endpoint} {name}: {member} for {target}'s {there}");
                    assert!(identity.contains(&there), "{at}: not in the model's identity {identity:?}");
                    if let Some(members) = members {
                        let ours = members
                            .get(member)
                            .unwrap_or_else(|| panic!("{at}: no such member in {members:?}"));
                        let same = *ours == there
                            || unified.contains(&(
                                ours.clone().min(there.clone()),
                                ours.clone().max(there.clone()),
                            ));
                        assert!(same, "{at}: the model's {member} fills {ours}");
                        named += 1;
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 81);
    assert!(named > 60, "only {named} member names checked");
}

// ------------------------------------------------------------------------ the interchange mapping

fn mapping() -> &'static Value {
    static MAPPING: OnceLock<Value> = OnceLock::new();
    MAPPING.get_or_init(|| serde_json::from_str(&rendered_files().1).expect("the mapping is JSON"))
}

/// Each value a mapping node reads: (XML path, JSON path, whether it is a school year).
fn mapped_values(nodes: &Value, xml: &str, json: &str, out: &mut Vec<(String, String, bool)>) {
    for node in nodes.as_array().expect("nodes") {
        let xml = match node["xml"].as_str() {
            Some(name) if xml.is_empty() => name.to_string(),
            Some(name) => format!("{xml}/{name}"),
            None => xml.to_string(),
        };
        let json_here = node["json"].as_str().map(|name| format!("{json}.{name}"));
        if let Some(members) = node.get("members") {
            mapped_values(members, &xml, json, out);
        } else if let Some(members) = node.get("object").or(node.get("reference")) {
            mapped_values(members, &xml, &json_here.expect("an object has a JSON name"), out);
        } else if let Some(item) = node.get("items") {
            let items = format!("{}[*]", json_here.expect("a collection has a JSON name"));
            mapped_values(&Value::Array(vec![item.clone()]), &xml, &items, out);
        } else {
            out.push((xml, json_here.expect("a value has a JSON name"), node["schoolYear"] == true));
        }
    }
}

fn mapped_element(element: &str) -> &'static Value {
    let mapping = mapping();
    ["resources", "references"]
        .iter()
        .flat_map(|list| mapping[list].as_array().expect("a list"))
        .find(|e| e["element"] == element)
        .unwrap_or_else(|| panic!("<{element}> is not in the mapping"))
}

fn values_of(element: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    mapped_values(&mapped_element(element)["members"], "", "$", &mut out);
    out
}

/// The leaves of a resource of the model: scalars, descriptors and reference members.
fn model_leaves(members: &Value) -> BTreeSet<String> {
    members_by_path(members)
        .into_iter()
        .filter(|(_, m)| !matches!(m["type"].as_str(), Some("collection" | "object" | "reference")))
        .map(|(path, _)| path)
        .collect()
}

#[test]
fn every_interchange_element_is_in_the_mapping() {
    let mut elements = BTreeSet::new();
    for entry in std::fs::read_dir(edfi().join("xsd")).expect("xsd/") {
        let path = entry.expect("an entry").path();
        if !path.file_name().unwrap().to_str().unwrap().starts_with("Interchange-") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let interchange = super::xsd::parse_interchange(&text).unwrap();
        elements.extend(interchange.elements.into_iter().map(|(name, _)| name));
    }
    let mapping = mapping();
    let mapped: BTreeSet<String> = ["descriptors", "resources", "references"]
        .iter()
        .flat_map(|list| mapping[list].as_array().unwrap())
        .map(|e| e["element"].as_str().unwrap().to_string())
        .collect();
    let missing: Vec<&String> = elements.difference(&mapped).collect();
    // An abstract type's element stands for a subclass's, which is mapped.
    assert_eq!(missing, ["EducationOrganization"]);
    assert_eq!(elements.len(), 351, "elements the interchange schemas declare");
    assert_eq!(mapping["namespace"], "http://ed-fi.org/5.2.0");
}

#[test]
fn each_resource_names_the_interchanges_whose_files_hold_it() {
    // From the files' names (`Interchange-StudentEnrollment.xsd`), not their root elements.
    let mut holding: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(edfi().join("xsd"))
        .expect("xsd/")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.file_name().unwrap().to_str().unwrap().starts_with("Interchange-"))
        .collect();
    paths.sort();
    for path in paths {
        let file = path.file_stem().unwrap().to_str().unwrap();
        let name = file.strip_prefix("Interchange-").unwrap();
        let interchange = super::xsd::parse_interchange(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (_, ty) in interchange.elements {
            holding.entry(ty).or_default().push(name.to_string());
        }
    }
    let mut ungrouped = Vec::new();
    for resource in resources() {
        let entity = resource["entity"].as_str().unwrap();
        let expected = holding.get(entity).cloned().unwrap_or_default();
        assert_eq!(strings(&resource["interchanges"]), expected, "{entity}");
        if expected.is_empty() {
            ungrouped.push(entity);
        }
    }
    assert_eq!(
        ungrouped,
        [
            "DescriptorMapping",
            "SchoolYearType",
            "StudentAssessmentEducationOrganizationAssociation",
            "StudentSpecialEducationProgramEligibilityAssociation",
        ]
    );
    assert!(abstract_resources().iter().all(|r| r.get("interchanges").is_none()));
}

#[test]
fn the_mapping_reaches_every_member_of_every_resource_and_nothing_else() {
    let mapping = mapping();
    let mut checked = 0;
    for element in mapping["resources"].as_array().unwrap() {
        let endpoint = element["resource"].as_str().unwrap();
        let mapped: BTreeSet<String> =
            values_of(element["element"].as_str().unwrap()).into_iter().map(|(_, json, _)| json).collect();
        assert_eq!(mapped, model_leaves(&resource(endpoint)["members"]), "{endpoint}");
        checked += 1;
    }
    assert_eq!(checked, 137, "every resource but school years, which no element holds");
    let descriptor_members: BTreeSet<String> = {
        let mut out = Vec::new();
        mapped_values(&mapping["descriptorMembers"], "", "$", &mut out);
        out.into_iter().map(|(_, json, _)| json).collect()
    };
    assert_eq!(descriptor_members, model_leaves(&model()["descriptorMembers"]));
    assert_eq!(mapping["descriptors"].as_array().unwrap().len(), descriptor_endpoints().len());
}

#[test]
fn the_mapping_follows_the_xml_names() {
    let has = |element: &str, xml: &str, json: &str, school_year: bool| {
        let values = values_of(element);
        assert!(
            values.contains(&(xml.to_string(), json.to_string(), school_year)),
            "<{element}>: no {xml} → {json} in {values:#?}"
        );
    };
    has("Student", "StudentUniqueId", "$.studentUniqueId", false);
    // Inline commons are flattened.
    has("Student", "Name/FirstName", "$.firstName", false);
    has("Student", "BirthData/BirthDate", "$.birthDate", false);
    // Collections: each repeated element is an item.
    has("School", "Address/City", "$.addresses[*].city", false);
    has("School", "Address/Period/BeginDate", "$.addresses[*].periods[*].beginDate", false);
    has("School", "GradeLevel", "$.gradeLevels[*].gradeLevelDescriptor", false);
    // Descriptors drop the suffix in XML.
    has("StudentSchoolAssociation", "EntryGradeLevel", "$.entryGradeLevelDescriptor", false);
    // References carry the identity, nested identities flattened into one object.
    has(
        "StudentSchoolAssociation",
        "StudentReference/StudentIdentity/StudentUniqueId",
        "$.studentReference.studentUniqueId",
        false,
    );
    let session = "SessionReference/SessionIdentity";
    has("CourseOffering", &format!("{session}/SessionName"), "$.sessionReference.sessionName", false);
    has(
        "CourseOffering",
        &format!("{session}/SchoolReference/SchoolIdentity/SchoolId"),
        "$.sessionReference.schoolId",
        false,
    );
    has("CourseOffering", &format!("{session}/SchoolYear"), "$.sessionReference.schoolYear", true);
    // Role names, and school years as references.
    has(
        "StudentSchoolAssociation",
        "NextYearSchoolReference/SchoolIdentity/SchoolId",
        "$.nextYearSchoolReference.schoolId",
        false,
    );
    has("StudentSchoolAssociation", "SchoolYear", "$.schoolYearTypeReference.schoolYear", true);
    has("StudentSchoolAssociation", "ClassOfSchoolYear", "$.classOfSchoolYearTypeReference.schoolYear", true);
    has(
        "StudentSchoolAssociation",
        "GraduationPlanReference/GraduationPlanIdentity/GraduationSchoolYear",
        "$.graduationPlanReference.graduationSchoolYear",
        true,
    );
    // An attendance event's identity is in its inline common, not where its identity type has it.
    has("StudentSectionAttendanceEvent", "AttendanceEvent/EventDate", "$.eventDate", false);
}

#[test]
fn a_unified_key_is_read_from_each_place_the_xml_holds_it() {
    let school_ids: Vec<String> = values_of("Section")
        .into_iter()
        .filter(|(_, json, _)| json == "$.courseOfferingReference.schoolId")
        .map(|(xml, _, _)| xml)
        .collect();
    let offering = "CourseOfferingReference/CourseOfferingIdentity";
    assert_eq!(
        school_ids,
        [
            format!("{offering}/SchoolReference/SchoolIdentity/SchoolId"),
            format!("{offering}/SessionReference/SessionIdentity/SchoolReference/SchoolIdentity/SchoolId"),
        ]
    );
}

#[test]
fn a_top_level_reference_maps_to_its_targets_identity() {
    let mapping = mapping();
    let references: Vec<(&str, &str)> = mapping["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["element"].as_str().unwrap(), r["resource"].as_str().unwrap()))
        .collect();
    assert_eq!(
        references,
        [
            ("AssessmentItemReference", "assessmentItems"),
            ("AssessmentReference", "assessments"),
            ("LearningStandardReference", "learningStandards"),
            ("ObjectiveAssessmentReference", "objectiveAssessments"),
            ("SectionReference", "sections"),
        ]
    );
    for (element, endpoint) in references {
        let mapped: BTreeSet<String> = values_of(element).into_iter().map(|(_, json, _)| json).collect();
        let identity: BTreeSet<String> = strings(&resource(endpoint)["identity"]).into_iter().collect();
        assert_eq!(mapped, identity, "{element}");
    }
    let values = values_of("SectionReference");
    assert!(values.contains(&(
        "SectionIdentity/CourseOfferingReference/CourseOfferingIdentity/LocalCourseCode".into(),
        "$.courseOfferingReference.localCourseCode".into(),
        false
    )));
}

/// Collections the four ApiSchema resources do not show, keyed as the primary keys of the
/// ODS/API's DS 5.2 tables for them key their rows (the parent's key and these members).
#[test]
fn collections_are_keyed_as_the_ods_api_keys_their_tables() {
    let keys = |endpoint: &str, collection: &str| -> Vec<String> {
        let prefix = format!("$.{collection}[*].");
        uniqueness_sets(&resource(endpoint)["arrayUniquenessConstraints"], "nested")
            .into_iter()
            .flat_map(|(_, paths)| paths)
            .filter(|p| p.starts_with(&prefix))
            .collect()
    };
    // `StudentAssessmentItem_PK`: the assessment item, not the result (Grand Bend's students
    // answer many items correctly).
    assert_eq!(
        keys("studentAssessments", "items"),
        [
            "$.items[*].assessmentItemReference.assessmentIdentifier",
            "$.items[*].assessmentItemReference.identificationCode",
            "$.items[*].assessmentItemReference.namespace"
        ]
    );
    // `StudentEducationOrganizationAssociationDisplacedStudent_PK`: the crisis event.
    assert_eq!(
        keys("studentEducationOrganizationAssociations", "displacedStudents"),
        ["$.displacedStudents[*].crisisEventReference.crisisEventName"]
    );
    // `AssessmentAdministrationParticipationAdministrationPointOfContact_PK`.
    assert_eq!(
        keys("assessmentAdministrationParticipations", "administrationPointOfContacts"),
        [
            "$.administrationPointOfContacts[*].educationOrganizationReference.educationOrganizationId",
            "$.administrationPointOfContacts[*].electronicMailAddress"
        ]
    );
}

/// An intervention prescription is referenced under its own role: the referrer's education
/// organization need not be the prescription's (ODS/API `InterventionInterventionPrescription_PK`).
#[test]
fn a_referenced_intervention_prescription_keeps_its_own_education_organization() {
    for endpoint in
        ["interventions", "interventionStudies", "educationOrganizationInterventionPrescriptionAssociations"]
    {
        assert_eq!(resource(endpoint)["equalityConstraints"], serde_json::json!([]), "{endpoint}");
    }
    let association = resource("educationOrganizationInterventionPrescriptionAssociations");
    assert_eq!(
        strings(&association["identity"]),
        [
            "$.educationOrganizationReference.educationOrganizationId",
            "$.interventionPrescriptionReference.educationOrganizationId",
            "$.interventionPrescriptionReference.interventionPrescriptionIdentificationCode"
        ]
    );
}
