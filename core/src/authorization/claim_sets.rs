//! Claim sets: named sets of per-resource permissions, each action with the authorization
//! strategies that decide which items it reaches. Built-in sets cover what a district expects;
//! an administrator may define more (they are data: JSON, validated here).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::securable::{self, Securables};
use crate::model::ResourceDef;
use crate::problem::ValidationErrors;
use crate::resources;

/// What a request does to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
    /// Change queries: `minChangeVersion`/`maxChangeVersion`, `/deletes`, `/keyChanges`.
    ReadChanges,
}

impl Action {
    pub const ALL: [Action; 5] =
        [Action::Create, Action::Read, Action::Update, Action::Delete, Action::ReadChanges];

    pub const fn name(self) -> &'static str {
        match self {
            Action::Create => "Create",
            Action::Read => "Read",
            Action::Update => "Update",
            Action::Delete => "Delete",
            Action::ReadChanges => "ReadChanges",
        }
    }
}

/// How the items an action reaches are decided. Several on one action must all pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Strategy {
    /// Every item of the resource.
    NoFurtherAuthorizationRequired,
    /// Items tied to the client's education organizations (or those below them), and people
    /// tied to those through their associations. A resource with neither kind of member is not
    /// limited by it.
    RelationshipsWithEdOrgsAndPeople,
    /// Items whose namespace starts with one of the client's namespace prefixes.
    NamespaceBased,
}

impl Strategy {
    pub const fn name(self) -> &'static str {
        match self {
            Strategy::NoFurtherAuthorizationRequired => "NoFurtherAuthorizationRequired",
            Strategy::RelationshipsWithEdOrgsAndPeople => "RelationshipsWithEdOrgsAndPeople",
            Strategy::NamespaceBased => "NamespaceBased",
        }
    }
}

/// Groups of resources a claim can name at once, derived from the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Family {
    /// Every resource.
    All,
    Descriptors,
    /// Schools, local education agencies and the other kinds of `EducationOrganization`.
    EducationOrganizations,
    /// Students, staff and contacts.
    People,
    /// Resources keyed by a namespace that are not descriptors (assessments and their results).
    Namespaced,
    /// Resources keyed by an education organization or a person (enrollments, sections, grades).
    RelationshipBased,
    /// The rest: resources whose key names no organization, person or namespace.
    Unsecured,
}

impl Family {
    pub const ALL: [Family; 7] = [
        Family::All,
        Family::Descriptors,
        Family::EducationOrganizations,
        Family::People,
        Family::Namespaced,
        Family::RelationshipBased,
        Family::Unsecured,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Family::All => "all",
            Family::Descriptors => "descriptors",
            Family::EducationOrganizations => "educationOrganizations",
            Family::People => "people",
            Family::Namespaced => "namespaced",
            Family::RelationshipBased => "relationshipBased",
            Family::Unsecured => "unsecured",
        }
    }

    /// The one family (besides [`Family::All`]) a resource is in.
    pub fn of(def: &ResourceDef) -> Family {
        let securables: &Securables = securable::of(def);
        if def.is_descriptor {
            Family::Descriptors
        } else if securable::is_education_organization(def) {
            Family::EducationOrganizations
        } else if securable::person_of(def).is_some() {
            Family::People
        } else if !securables.namespaces.is_empty() {
            Family::Namespaced
        } else if securables.has_relationships() {
            Family::RelationshipBased
        } else {
            Family::Unsecured
        }
    }
}

/// Permissions on some resources: each action granted, with its strategies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceClaim {
    /// Endpoints named one by one (`studentSchoolAssociations`); they take precedence over
    /// families.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub families: Vec<Family>,
    pub actions: BTreeMap<Action, Vec<Strategy>>,
}

/// A named set of resource claims. A resource's claim is the first naming its endpoint, else the
/// first naming its family (or `all`); an action that claim does not list is denied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimSet {
    pub name: String,
    pub resource_claims: Vec<ResourceClaim>,
}

/// The most claims one set may have, and the longest name.
pub const MAX_CLAIMS: usize = 200;
pub const MAX_NAME_CHARS: usize = 100;
/// The longest an administrator's claim set may be as compact JSON: its tokens carry it, and a
/// token must fit one header value ([`crate::limits::MAX_HEADER_VALUE_BYTES`]).
pub const MAX_DEFINITION_BYTES: usize = 2_048;

impl ClaimSet {
    /// The claim that governs `def`, if any.
    pub fn claim_for(&self, def: &ResourceDef) -> Option<&ResourceClaim> {
        let by_name = self
            .resource_claims
            .iter()
            .find(|c| c.resources.iter().any(|r| crate::wire::paths::same_name(r, def.name)));
        by_name.or_else(|| {
            let family = Family::of(def);
            self.resource_claims.iter().find(|c| c.families.iter().any(|f| *f == Family::All || *f == family))
        })
    }

    /// The strategies `action` on `def` runs under, or `None` when the set does not grant it.
    pub fn strategies(&self, def: &ResourceDef, action: Action) -> Option<&[Strategy]> {
        self.claim_for(def)?.actions.get(&action).map(Vec::as_slice)
    }

    /// Checks a claim set an administrator sends: a name, known families, endpoints, actions and
    /// strategies, and at least one strategy per action.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = self.name.trim();
        if name.is_empty() || self.name.chars().count() > MAX_NAME_CHARS || name != self.name {
            errors.insert(
                "$.name".into(),
                vec![format!(
                    "must be 1 to {MAX_NAME_CHARS} characters, without leading or trailing spaces."
                )],
            );
        }
        if self.resource_claims.len() > MAX_CLAIMS {
            errors.insert("$.resourceClaims".into(), vec![format!("must have at most {MAX_CLAIMS} claims.")]);
        }
        for (i, claim) in self.resource_claims.iter().enumerate() {
            if claim.resources.is_empty() && claim.families.is_empty() {
                errors.insert(
                    format!("$.resourceClaims[{i}]"),
                    vec!["must name at least one resource or family.".into()],
                );
            }
            for (j, resource) in claim.resources.iter().enumerate() {
                if resources::find_endpoint(resource).is_none() {
                    errors.insert(
                        format!("$.resourceClaims[{i}].resources[{j}]"),
                        vec![format!("'{resource}' is not an endpoint of this API.")],
                    );
                }
            }
            for (action, strategies) in &claim.actions {
                if strategies.is_empty() {
                    errors.insert(
                        format!("$.resourceClaims[{i}].actions.{}", action.name()),
                        vec!["must list at least one authorization strategy.".into()],
                    );
                }
            }
        }
        let bytes = serde_json::to_string(self).map_or(usize::MAX, |text| text.len());
        if bytes > MAX_DEFINITION_BYTES {
            errors.insert(
                "$".into(),
                vec![format!(
                    "is {bytes} bytes as compact JSON; a claim set may be at most {MAX_DEFINITION_BYTES} \
                     (name families rather than many endpoints)."
                )],
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn claim(families: &[Family], actions: &[(Action, &[Strategy])]) -> ResourceClaim {
    ResourceClaim {
        resources: Vec::new(),
        families: families.to_vec(),
        actions: actions.iter().map(|(a, s)| (*a, s.to_vec())).collect(),
    }
}

fn each(actions: &[Action], strategies: &'static [Strategy]) -> Vec<(Action, &'static [Strategy])> {
    actions.iter().map(|a| (*a, strategies)).collect()
}

const NO_FURTHER: &[Strategy] = &[Strategy::NoFurtherAuthorizationRequired];
const RELATIONSHIPS: &[Strategy] = &[Strategy::RelationshipsWithEdOrgsAndPeople];
const NAMESPACE: &[Strategy] = &[Strategy::NamespaceBased];
const NAMESPACE_AND_RELATIONSHIPS: &[Strategy] =
    &[Strategy::NamespaceBased, Strategy::RelationshipsWithEdOrgsAndPeople];
const READS: &[Action] = &[Action::Read, Action::ReadChanges];
const WRITES: &[Action] = &[Action::Create, Action::Update, Action::Delete];

/// The claim set a client without one has: everything, as before claim sets existed.
pub const FULL_ACCESS: &str = crate::wire::answers::FULL_ACCESS_CLAIM_SET;
pub const SIS_VENDOR: &str = "SIS Vendor";
pub const ASSESSMENT_VENDOR: &str = "Assessment Vendor";
pub const READ_ONLY: &str = "Reporting Read-Only";
pub const BOOTSTRAP: &str = "Bootstrap Descriptors and EdOrgs";

/// The claim sets every deployment has. They cannot be replaced or removed.
pub fn built_in() -> Vec<ClaimSet> {
    use Family::*;
    let all_actions = Action::ALL;
    let set =
        |name: &str, resource_claims: Vec<ResourceClaim>| ClaimSet { name: name.to_owned(), resource_claims };
    let mut sis_people = each(READS, RELATIONSHIPS);
    sis_people.extend(each(&[Action::Update, Action::Delete], RELATIONSHIPS));
    // A new person has no enrollment yet, so nothing could relate a client to them.
    sis_people.push((Action::Create, NO_FURTHER));
    // Assessments and their results: read through its organizations, written only under its
    // namespaces too.
    let mut sis_namespaced = each(READS, RELATIONSHIPS);
    sis_namespaced.extend(each(WRITES, NAMESPACE_AND_RELATIONSHIPS));
    let mut assessment_descriptors = each(READS, NO_FURTHER);
    assessment_descriptors.extend(each(WRITES, NAMESPACE));
    vec![
        set(FULL_ACCESS, vec![claim(&[All], &each(&all_actions, NO_FURTHER))]),
        set(
            SIS_VENDOR,
            vec![
                claim(&[Descriptors, EducationOrganizations], &each(READS, NO_FURTHER)),
                claim(&[People], &sis_people),
                claim(&[RelationshipBased], &each(&all_actions, RELATIONSHIPS)),
                claim(&[Namespaced], &sis_namespaced),
                claim(&[Unsecured], &each(&all_actions, NO_FURTHER)),
            ],
        ),
        set(
            ASSESSMENT_VENDOR,
            vec![
                claim(&[Namespaced], &each(&all_actions, NAMESPACE)),
                claim(&[Descriptors], &assessment_descriptors),
                claim(&[EducationOrganizations, Unsecured], &each(READS, NO_FURTHER)),
                claim(&[People, RelationshipBased], &each(READS, RELATIONSHIPS)),
            ],
        ),
        set(
            READ_ONLY,
            vec![
                claim(&[Descriptors, EducationOrganizations, Unsecured], &each(READS, NO_FURTHER)),
                claim(&[People, RelationshipBased, Namespaced], &each(READS, RELATIONSHIPS)),
            ],
        ),
        set(BOOTSTRAP, vec![claim(&[Descriptors, EducationOrganizations], &each(&all_actions, NO_FURTHER))]),
    ]
}

/// The built-in claim set called `name` (compared case-insensitively).
pub fn find_built_in(name: &str) -> Option<&'static ClaimSet> {
    static BUILT_IN: std::sync::OnceLock<Vec<ClaimSet>> = std::sync::OnceLock::new();
    BUILT_IN.get_or_init(built_in).iter().find(|set| set.name.eq_ignore_ascii_case(name))
}
