use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::claim_sets::{self, Action, ClaimSet, Family, ResourceClaim, Strategy};
use super::securable::{self, Person, Relation};
use crate::resources;

fn apischema(file: &str) -> Value {
    let path = format!("{}/../../shared/edfi/apischema/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The securable members of `endpoint` as JSON paths, by kind, as ApiSchema names the kinds.
fn derived(endpoint: &str) -> BTreeMap<&'static str, BTreeSet<String>> {
    let def = resources::get(endpoint);
    let found = securable::of(def);
    let path = |position: &usize| format!("$.{}", def.natural_key[*position]);
    let mut kinds: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for kind in ["EducationOrganization", "Student", "Staff", "Contact", "Namespace"] {
        kinds.insert(kind, BTreeSet::new());
    }
    kinds.insert("EducationOrganization", found.education_organizations.iter().map(path).collect());
    kinds.insert("Namespace", found.namespaces.iter().map(path).collect());
    for (person, position) in &found.people {
        let kind = match person {
            Person::Student => "Student",
            Person::Staff => "Staff",
            Person::Contact => "Contact",
        };
        kinds.get_mut(kind).unwrap().insert(path(position));
    }
    kinds
}

#[test]
fn securable_members_are_those_of_ed_fi_s_api_schema() {
    for endpoint in ["schools", "sections", "studentSchoolAssociations", "students"] {
        let schema = apischema(&format!("ds-5.2-resources/{endpoint}.json"));
        let mut expected: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
        for kind in ["EducationOrganization", "Student", "Staff", "Contact", "Namespace"] {
            let paths = schema["securableElements"][kind].as_array().unwrap();
            let paths =
                paths.iter().map(|p| p["jsonPath"].as_str().or(p.as_str()).unwrap().to_owned()).collect();
            expected.insert(kind, paths);
        }
        assert_eq!(derived(endpoint), expected, "{endpoint}");
    }
}

#[test]
fn keys_name_organizations_people_and_namespaces_through_references() {
    let spa = derived("studentProgramAssociations");
    assert!(spa["EducationOrganization"].contains("$.educationOrganizationReference.educationOrganizationId"));
    assert_eq!(spa["Student"], BTreeSet::from(["$.studentReference.studentUniqueId".to_owned()]));
    assert_eq!(
        derived("studentAssessments")["Namespace"],
        BTreeSet::from(["$.assessmentReference.namespace".to_owned()])
    );
    assert_eq!(derived("gradeLevelDescriptors")["Namespace"], BTreeSet::from(["$.namespace".to_owned()]));
    let contacts = derived("studentContactAssociations");
    assert_eq!(contacts["Contact"], BTreeSet::from(["$.contactReference.contactUniqueId".to_owned()]));
    assert_eq!(contacts["Student"], BTreeSet::from(["$.studentReference.studentUniqueId".to_owned()]));
    assert_eq!(derived("staffs")["Staff"], BTreeSet::from(["$.staffUniqueId".to_owned()]));
    // A role-named organization is one the item mentions, not whose it is.
    let actions = derived("disciplineActions");
    assert!(
        actions["EducationOrganization"].iter().all(|p| !p.contains("responsibilitySchool")),
        "{actions:?}"
    );
    assert!(derived("credentials").values().all(BTreeSet::is_empty), "credentials are keyed by no one");
}

#[test]
fn the_hierarchy_is_ed_fi_s() {
    let facts = apischema("ds-5.2-project-facts.json");
    let hierarchy = facts["educationOrganizationHierarchy"].as_object().unwrap();
    for def in
        resources::definitions().iter().filter(|d| securable::is_education_organization(d) && !d.is_abstract)
    {
        let expected: BTreeSet<String> = hierarchy[def.entity_name]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_str().unwrap().trim_start_matches("$.").to_owned())
            .collect();
        let derived: BTreeSet<String> = securable::parents(def).iter().cloned().collect();
        assert_eq!(derived, expected, "{}", def.name);
    }
}

#[test]
fn items_state_their_relations() {
    let school = json!({"schoolId": 10, "localEducationAgencyReference": {"localEducationAgencyId": 2}});
    let school = school.as_object().unwrap();
    assert_eq!(
        securable::relations(resources::get("schools"), school),
        vec![Relation::Parent { child: 10, parent: 2 }]
    );
    let enrollment = json!({"schoolReference": {"schoolId": 10}, "studentReference": {"studentUniqueId": "s1"}, "entryDate": "2026-08-20"});
    assert_eq!(
        securable::relations(resources::get("studentSchoolAssociations"), enrollment.as_object().unwrap()),
        vec![Relation::At { person: Person::Student, id: "s1".into(), education_organization: 10 }]
    );
    let contact =
        json!({"contactReference": {"contactUniqueId": "c1"}, "studentReference": {"studentUniqueId": "s1"}});
    assert_eq!(
        securable::relations(resources::get("studentContactAssociations"), contact.as_object().unwrap()),
        vec![Relation::ContactOf { contact: "c1".into(), student: "s1".into() }]
    );
    let student = json!({"studentUniqueId": "s1"});
    assert!(securable::relations(resources::get("students"), student.as_object().unwrap()).is_empty());
    assert!(!securable::states_relations(resources::get("students")));
    for pathway in [
        "studentSchoolAssociations",
        "studentEducationOrganizationResponsibilityAssociations",
        "staffEducationOrganizationAssignmentAssociations",
        "staffEducationOrganizationEmploymentAssociations",
        "studentContactAssociations",
    ] {
        let def = resources::get(pathway);
        let person = securable::pathway(def).unwrap();
        assert!(
            securable::of(def).people.iter().any(|(p, _)| *p == person),
            "{pathway} names its {person:?}"
        );
    }
}

#[test]
fn every_resource_is_in_one_family() {
    let mut counts: BTreeMap<Family, usize> = BTreeMap::new();
    for def in resources::all() {
        *counts.entry(Family::of(def)).or_default() += 1;
    }
    assert_eq!(counts[&Family::Descriptors], resources::all().iter().filter(|d| d.is_descriptor).count());
    assert_eq!(Family::of(resources::get("schools")), Family::EducationOrganizations);
    assert_eq!(Family::of(resources::get("students")), Family::People);
    assert_eq!(Family::of(resources::get("assessments")), Family::Namespaced);
    assert_eq!(Family::of(resources::get("studentAssessments")), Family::Namespaced);
    assert_eq!(Family::of(resources::get("sections")), Family::RelationshipBased);
    assert_eq!(Family::of(resources::get("credentials")), Family::Unsecured);
    assert!(counts.values().all(|n| *n > 0), "{counts:?}");
}

#[test]
fn built_in_claim_sets_are_valid_and_cover_what_they_say() {
    for set in claim_sets::built_in() {
        assert_eq!(set.validate(), Ok(()), "{}", set.name);
        assert_eq!(claim_sets::find_built_in(&set.name.to_uppercase()), Some(&set));
    }
    let full = claim_sets::find_built_in(claim_sets::FULL_ACCESS).unwrap();
    let read_only = claim_sets::find_built_in(claim_sets::READ_ONLY).unwrap();
    let bootstrap = claim_sets::find_built_in(claim_sets::BOOTSTRAP).unwrap();
    for def in resources::all() {
        for action in Action::ALL {
            assert_eq!(full.strategies(def, action), Some(&[Strategy::NoFurtherAuthorizationRequired][..]));
        }
        for action in [Action::Create, Action::Update, Action::Delete] {
            assert_eq!(read_only.strategies(def, action), None, "{} {action:?}", def.name);
        }
        assert!(read_only.strategies(def, Action::Read).is_some(), "{}", def.name);
        let boots = def.is_descriptor || securable::is_education_organization(def);
        assert_eq!(bootstrap.strategies(def, Action::Create).is_some(), boots, "{}", def.name);
    }
    let sis = claim_sets::find_built_in(claim_sets::SIS_VENDOR).unwrap();
    let students = resources::get("students");
    assert_eq!(
        sis.strategies(students, Action::Create),
        Some(&[Strategy::NoFurtherAuthorizationRequired][..])
    );
    assert_eq!(
        sis.strategies(students, Action::Read),
        Some(&[Strategy::RelationshipsWithEdOrgsAndPeople][..])
    );
    assert_eq!(sis.strategies(resources::get("schools"), Action::Update), None);
}

#[test]
fn a_claim_naming_a_resource_beats_one_naming_its_family() {
    let set = ClaimSet {
        name: "Custom".into(),
        resource_claims: vec![
            ResourceClaim {
                resources: Vec::new(),
                families: vec![Family::All],
                actions: [(Action::Read, vec![Strategy::NoFurtherAuthorizationRequired])].into(),
            },
            ResourceClaim {
                resources: vec!["Students".into()],
                families: Vec::new(),
                actions: [(Action::Create, vec![Strategy::NoFurtherAuthorizationRequired])].into(),
            },
        ],
    };
    let students = resources::get("students");
    assert!(set.strategies(students, Action::Create).is_some());
    assert!(set.strategies(students, Action::Read).is_none(), "the resource's own claim decides");
    assert!(set.strategies(resources::get("schools"), Action::Read).is_some());
}

#[test]
fn claim_sets_are_validated() {
    let text = json!({
        "name": " padded",
        "resourceClaims": [
            {"resources": ["noSuchThings"], "actions": {"Read": []}},
            {"actions": {"Read": ["NoFurtherAuthorizationRequired"]}},
        ]
    });
    let set: ClaimSet = serde_json::from_value(text).unwrap();
    let errors = set.validate().unwrap_err();
    let paths: Vec<&str> = errors.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "$.name",
            "$.resourceClaims[0].actions.Read",
            "$.resourceClaims[0].resources[0]",
            "$.resourceClaims[1]"
        ]
    );
    // Unknown families, actions and strategies do not parse at all.
    for bad in [
        json!({"name": "x", "resourceClaims": [{"families": ["everything"], "actions": {}}]}),
        json!({"name": "x", "resourceClaims": [{"families": ["all"], "actions": {"Write": ["NamespaceBased"]}}]}),
        json!({"name": "x", "resourceClaims": [{"families": ["all"], "actions": {"Read": ["Trust"]}}]}),
    ] {
        assert!(serde_json::from_value::<ClaimSet>(bad.clone()).is_err(), "{bad}");
    }
}

#[test]
fn a_token_names_a_built_in_claim_set_and_carries_an_administrators() {
    let built_in = super::TokenScope {
        claim_set: "sis vendor".into(),
        definition: None,
        education_organization_ids: vec![1],
        namespace_prefixes: vec![],
    };
    assert_eq!(built_in.scope().claim_set.name, claim_sets::SIS_VENDOR);
    assert!(!built_in.is_full_access());
    let text = serde_json::to_string(&built_in).unwrap();
    assert!(text.len() < 40, "a built-in claim set goes by name: {text}");
    let gone = super::TokenScope { claim_set: "Removed since".into(), ..built_in.clone() };
    assert!(gone.scope().claim_set.resource_claims.is_empty(), "an unknown claim set grants nothing");
    let full = super::TokenScope { claim_set: claim_sets::FULL_ACCESS.into(), ..built_in };
    assert!(full.is_full_access());
}

#[test]
fn the_largest_scope_a_client_may_have_fits_in_a_token_header() {
    use crate::auth::{sign_token, Claims};
    use crate::limits::MAX_HEADER_VALUE_BYTES;
    // The longest name (in four-byte characters), a definition at its bound, a full scope.
    let mut definition =
        ClaimSet { name: "𝔸".repeat(claim_sets::MAX_NAME_CHARS), resource_claims: Vec::new() };
    let endpoints: Vec<String> = resources::all().iter().map(|d| d.name.to_owned()).collect();
    let mut n = 0;
    loop {
        let claim = ResourceClaim {
            resources: vec![endpoints[n % endpoints.len()].clone()],
            families: Vec::new(),
            actions: [(Action::Read, vec![Strategy::NoFurtherAuthorizationRequired])].into(),
        };
        definition.resource_claims.push(claim);
        if definition.validate().is_err() {
            definition.resource_claims.pop();
            break;
        }
        n += 1;
    }
    assert!(definition.validate().is_ok() && n > 5);
    let mut ids = Vec::new();
    let mut prefixes = Vec::new();
    while serde_json::to_string(&(&ids, &prefixes)).unwrap().len() <= super::MAX_SCOPE_BYTES - 20 {
        if ids.len() < 40 {
            ids.push(-9_007_199_254_740_991_i64);
        } else {
            prefixes.push("\u{1F600}".repeat(3));
        }
    }
    let claims = Claims {
        client: "k".repeat(20),
        instance: "i".repeat(63),
        admin: false,
        name: "𝔸".repeat(100),
        expires: i64::MAX,
        scope: Some(super::TokenScope {
            claim_set: definition.name.clone(),
            definition: Some(definition),
            education_organization_ids: ids,
            namespace_prefixes: prefixes,
        }),
    };
    let header = format!("Bearer {}", sign_token(&claims, b"key"));
    assert!(header.len() <= MAX_HEADER_VALUE_BYTES, "{} bytes", header.len());
}
