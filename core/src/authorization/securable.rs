//! What authorization can see of an item, derived from the model: which members of a resource's
//! natural key are education organizations, people or namespaces, and which resources relate
//! people to organizations (and organizations to their parents).
//!
//! A key member is followed through references to the member it finally carries: a section's
//! `courseOfferingReference.schoolId` is a course offering's `schoolReference.schoolId`, which is
//! a school's own `schoolId`, so it is an education organization. Only natural-key members
//! count, as in Ed-Fi's `securableElements`: they never change without the item's identity
//! changing, and tombstones and key changes carry them too.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::model::{Kind, ResourceDef};
use crate::resources;
use crate::validate::lookup;

/// The abstract resource every education organization is a kind of.
pub const EDUCATION_ORGANIZATION: &str = "EducationOrganization";

/// A kind of person an item can be about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Person {
    Student,
    Staff,
    Contact,
}

impl Person {
    /// The resource whose items are these people, and the member that identifies one.
    pub const fn identity(self) -> (&'static str, &'static str) {
        match self {
            Person::Student => ("students", "studentUniqueId"),
            Person::Staff => ("staffs", "staffUniqueId"),
            Person::Contact => ("contacts", "contactUniqueId"),
        }
    }

    pub const ALL: [Person; 3] = [Person::Student, Person::Staff, Person::Contact];

    pub const fn name(self) -> &'static str {
        match self {
            Person::Student => "student",
            Person::Staff => "staff",
            Person::Contact => "contact",
        }
    }
}

/// Where in a resource's natural key (its JSON array, by position) each kind of subject is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Securables {
    /// Positions holding education organization ids.
    pub education_organizations: Vec<usize>,
    /// Positions holding a person's unique id, with the kind of person.
    pub people: Vec<(Person, usize)>,
    /// Positions holding a namespace.
    pub namespaces: Vec<usize>,
}

impl Securables {
    /// Whether relationship-based authorization has anything to go by.
    pub fn has_relationships(&self) -> bool {
        !self.education_organizations.is_empty() || !self.people.is_empty()
    }
}

/// A fact an item states that authorization follows: an organization's parent, or a person's
/// tie to an organization (a student to a school, staff to an employer) or to a student.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relation {
    /// `child` is below `parent` (a school in its local education agency).
    Parent { child: i64, parent: i64 },
    /// A student or a member of staff is at an education organization.
    At { person: Person, id: String, education_organization: i64 },
    /// A contact is a contact of a student.
    ContactOf { contact: String, student: String },
}

/// The resources whose items tie people to organizations: Ed-Fi's authorization pathways.
/// Their person members are not themselves checked against a relationship, since these items are
/// what makes one (a new enrollment enrols a student no school has yet).
const PATHWAYS: [(&str, Person); 5] = [
    ("studentSchoolAssociations", Person::Student),
    ("studentEducationOrganizationResponsibilityAssociations", Person::Student),
    ("staffEducationOrganizationAssignmentAssociations", Person::Staff),
    ("staffEducationOrganizationEmploymentAssociations", Person::Staff),
    ("studentContactAssociations", Person::Contact),
];

/// Whether the resource's items are education organizations.
pub fn is_education_organization(def: &ResourceDef) -> bool {
    def.superclass == Some(EDUCATION_ORGANIZATION) || def.name == EDUCATION_ORGANIZATION
}

/// The person a resource's items are (`students` are students), if any.
pub fn person_of(def: &ResourceDef) -> Option<Person> {
    Person::ALL.into_iter().find(|p| p.identity().0 == def.name)
}

/// The pathway a resource is, with the person it ties, if it is one.
pub fn pathway(def: &ResourceDef) -> Option<Person> {
    PATHWAYS.iter().find(|(name, _)| *name == def.name).map(|(_, person)| *person)
}

/// The resource's securable members (computed once per process).
pub fn of(def: &ResourceDef) -> &'static Securables {
    static ALL: OnceLock<HashMap<&'static str, Securables>> = OnceLock::new();
    static NONE: Securables =
        Securables { education_organizations: Vec::new(), people: Vec::new(), namespaces: Vec::new() };
    let all = ALL.get_or_init(|| resources::definitions().iter().map(|d| (d.name, derive(d))).collect());
    all.get(def.name).unwrap_or(&NONE)
}

fn derive(def: &ResourceDef) -> Securables {
    let mut found = Securables::default();
    for (position, path) in def.natural_key.iter().enumerate() {
        match terminal(def, path, false, 0) {
            Some(Subject::EducationOrganization) => found.education_organizations.push(position),
            Some(Subject::Person(person)) => found.people.push((person, position)),
            Some(Subject::Namespace) => found.namespaces.push(position),
            None => {}
        }
    }
    found
}

enum Subject {
    EducationOrganization,
    Person(Person),
    Namespace,
}

/// What the key member at `path` of `def` finally is, following references to their targets.
/// As in Ed-Fi's rules, an organization or namespace reached through a role name
/// (`responsibilitySchoolReference`, a renamed member) is not the item's own: it says whom the
/// item mentions, not whose it is.
fn terminal(def: &ResourceDef, path: &str, role_named: bool, depth: usize) -> Option<Subject> {
    if depth > 16 {
        return None;
    }
    match path.split_once('.') {
        None => {
            if path == crate::wire::NAMESPACE {
                return (!role_named).then_some(Subject::Namespace);
            }
            let own_key = def.natural_key.len() == 1 && def.natural_key[0] == path;
            if own_key && is_education_organization(def) {
                return (!role_named).then_some(Subject::EducationOrganization);
            }
            match person_of(def) {
                Some(person) if own_key && person.identity().1 == path => Some(Subject::Person(person)),
                _ => None,
            }
        }
        Some((reference, member)) => {
            let field = def.fields.iter().find(|f| f.name == reference)?;
            let Kind::Reference(target) = &field.kind else { return None };
            let carried = target.members.iter().find(|m| m.name == member)?;
            let target_def = resources::find(target.target)?;
            let renamed = reference != format!("{}{}", target_def.entity(), crate::wire::REFERENCE_SUFFIX)
                || carried.target_path.rsplit('.').next() != Some(member);
            terminal(target_def, carried.target_path, role_named || renamed, depth + 1)
        }
    }
}

/// The relations an item of `def` states, read from its body (nothing for most resources).
pub fn relations(def: &ResourceDef, body: &Map<String, Value>) -> Vec<Relation> {
    let securables = of(def);
    let key_value = |position: usize| def.natural_key.get(position).and_then(|path| lookup(body, path));
    let mut found = Vec::new();
    if is_education_organization(def) {
        let Some(child) = def.natural_key.first().and_then(|path| lookup(body, path)).and_then(Value::as_i64)
        else {
            return found;
        };
        for parent in parents(def) {
            if let Some(parent) = lookup(body, parent).and_then(Value::as_i64) {
                found.push(Relation::Parent { child, parent });
            }
        }
        return found;
    }
    let Some(person) = pathway(def) else { return found };
    let person_id = |kind: Person| {
        securables
            .people
            .iter()
            .find(|(p, _)| *p == kind)
            .and_then(|(_, position)| key_value(*position))
            .and_then(Value::as_str)
    };
    match person {
        Person::Contact => {
            if let (Some(contact), Some(student)) = (person_id(Person::Contact), person_id(Person::Student)) {
                found.push(Relation::ContactOf { contact: contact.to_owned(), student: student.to_owned() });
            }
        }
        Person::Student | Person::Staff => {
            let Some(id) = person_id(person) else { return found };
            for position in &securables.education_organizations {
                if let Some(education_organization) = key_value(*position).and_then(Value::as_i64) {
                    found.push(Relation::At { person, id: id.to_owned(), education_organization });
                }
            }
        }
    }
    found
}

/// Whether writes to `def` can change relations, so the store must be told.
pub fn states_relations(def: &ResourceDef) -> bool {
    is_education_organization(def) || pathway(def).is_some()
}

/// The members of an education organization that name the organizations above it: every
/// top-level reference to an education organization (a school's `localEducationAgencyReference`).
pub fn parents(def: &ResourceDef) -> &'static [String] {
    static ALL: OnceLock<HashMap<&'static str, Vec<String>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        resources::definitions()
            .iter()
            .filter(|d| is_education_organization(d))
            .map(|d| (d.name, parent_paths(d)))
            .collect()
    });
    all.get(def.name).map_or(&[], Vec::as_slice)
}

fn parent_paths(def: &ResourceDef) -> Vec<String> {
    let mut paths = Vec::new();
    for field in def.fields {
        let Kind::Reference(reference) = &field.kind else { continue };
        let Some(target) = resources::find(reference.target) else { continue };
        if !is_education_organization(target) || reference.members.len() != 1 {
            continue;
        }
        paths.push(format!("{}.{}", field.name, reference.members[0].name));
    }
    paths
}
