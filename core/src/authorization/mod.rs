//! Authorization as Ed-Fi districts run it: a client has a claim set (what it may do to which
//! resources, and under which strategy) and a scope (its education organizations and namespace
//! prefixes). Which members an item is tied by comes from the model ([`securable`]), never from a
//! list per resource.
//!
//! Pure like the rest of `core`: what the relationships are comes from the [`crate::Store`],
//! inside the same synchronous step as the write they guard.

pub mod claim_sets;
pub mod securable;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use claim_sets::{Action, ClaimSet, Family, ResourceClaim, Strategy};
pub use securable::{Person, Relation, Securables};

/// The most education organizations and namespace prefixes one client may be given.
pub const MAX_EDUCATION_ORGANIZATIONS: usize = 100;
pub const MAX_NAMESPACE_PREFIXES: usize = 20;
/// The most bytes a client's organization ids and namespace prefixes may take as JSON: its
/// tokens carry them, and a token must fit one header value.
pub const MAX_SCOPE_BYTES: usize = 1_536;
/// The most levels below a client's organizations it reaches (state → service center → local
/// agency → school is four; departments and networks add a few).
pub const MAX_HIERARCHY_DEPTH: usize = 16;

/// What a client may do: its claim set, resolved when its token was granted, and its scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    pub claim_set: ClaimSet,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub education_organization_ids: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespace_prefixes: Vec<String>,
}

/// A client's scope as its token carries it: a built-in claim set by name only, an
/// administrator's own claim set with its definition (so the instance needs no lookup).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenScope {
    #[serde(rename = "cs")]
    pub claim_set: String,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<ClaimSet>,
    #[serde(rename = "eo", default, skip_serializing_if = "Vec::is_empty")]
    pub education_organization_ids: Vec<i64>,
    #[serde(rename = "ns", default, skip_serializing_if = "Vec::is_empty")]
    pub namespace_prefixes: Vec<String>,
}

impl TokenScope {
    /// The scope it grants. A claim set that is neither built in nor defined grants nothing.
    pub fn scope(&self) -> Scope {
        let claim_set = self
            .definition
            .clone()
            .or_else(|| claim_sets::find_built_in(&self.claim_set).cloned())
            .unwrap_or_else(|| ClaimSet { name: self.claim_set.clone(), resource_claims: Vec::new() });
        Scope {
            claim_set,
            education_organization_ids: self.education_organization_ids.clone(),
            namespace_prefixes: self.namespace_prefixes.clone(),
        }
    }

    /// Whether it limits nothing (the full-access claim set), so requests need no authorization.
    pub fn is_full_access(&self) -> bool {
        self.definition.is_none() && self.claim_set.eq_ignore_ascii_case(claim_sets::FULL_ACCESS)
    }
}

/// Which items of a resource a client reaches, stated over the item's natural key (its JSON
/// array), so a store can check it on documents, tombstones and key changes alike.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Key positions holding education organization ids: an item passes when one of them holds
    /// an id in `education_organizations`. None: no condition.
    pub education_organization_positions: Vec<usize>,
    /// Key positions holding people: each must be tied to one of `education_organizations`
    /// (a student by an enrollment, staff by an assignment, a contact through a student).
    pub people: Vec<(Person, usize)>,
    /// The organizations the client reaches: its own and every one below them.
    pub education_organizations: Vec<i64>,
    /// Key positions holding namespaces: each must start with one of `namespace_prefixes`,
    /// ASCII case folded (descriptor keys are stored lower-cased).
    pub namespace_positions: Vec<usize>,
    pub namespace_prefixes: Vec<String>,
}

impl Reach {
    /// Whether an item with natural key `key` passes; `tied` says whether a person is tied to
    /// one of the reached organizations.
    pub fn admits(&self, key: &str, tied: impl FnMut(Person, &str) -> bool) -> bool {
        self.refusal(&[], key, tied).is_none()
    }

    /// Why an item with natural key `key` (whose members are at `key_paths`, for the message)
    /// does not pass: the problem type and a sentence; `None` when it passes.
    pub fn refusal(
        &self,
        key_paths: &[&str],
        key: &str,
        mut tied: impl FnMut(Person, &str) -> bool,
    ) -> Option<(&'static str, String)> {
        let Ok(values) = serde_json::from_str::<Vec<Value>>(key) else {
            return Some((TYPE_RELATIONSHIP_DENIED, "The item's key could not be read.".to_owned()));
        };
        let at = |position: usize| values.get(position).filter(|v| !v.is_null());
        let named = |position: usize| key_paths.get(position).copied().unwrap_or("a key member");
        if !self.education_organization_positions.is_empty() {
            let reached = self.education_organization_positions.iter().any(|p| {
                at(*p).and_then(Value::as_i64).is_some_and(|id| self.education_organizations.contains(&id))
            });
            if !reached {
                let members: Vec<String> = self
                    .education_organization_positions
                    .iter()
                    .map(|p| {
                        format!("{} {}", named(*p), at(*p).map_or("(none)".to_owned(), Value::to_string))
                    })
                    .collect();
                return Some((
                    TYPE_RELATIONSHIP_DENIED,
                    format!(
                        "No education organization of the item ({}) is one of the client's or below them.",
                        members.join(", ")
                    ),
                ));
            }
        }
        for position in &self.namespace_positions {
            let namespace = at(*position).and_then(Value::as_str);
            if !namespace.is_some_and(|n| self.namespace_admitted(n)) {
                return Some((
                    TYPE_NAMESPACE_DENIED,
                    format!(
                        "The item's {} '{}' does not start with one of the client's namespace prefixes.",
                        named(*position),
                        namespace.unwrap_or("")
                    ),
                ));
            }
        }
        for (person, position) in &self.people {
            let id = at(*position).and_then(Value::as_str);
            if !id.is_some_and(|id| tied(*person, id)) {
                let tie = match person {
                    Person::Student => "enrolled at (or the responsibility of)",
                    Person::Staff => "assigned to or employed by",
                    Person::Contact => "a contact of a student of",
                };
                return Some((
                    TYPE_RELATIONSHIP_DENIED,
                    format!(
                        "The {} '{}' is not {tie} any of the client's education organizations.",
                        person.name(),
                        id.unwrap_or("")
                    ),
                ));
            }
        }
        None
    }

    /// Whether a namespace starts with one of the prefixes, ASCII case folded.
    pub fn namespace_admitted(&self, namespace: &str) -> bool {
        self.namespace_prefixes.iter().any(|prefix| {
            namespace.len() >= prefix.len()
                && namespace.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        })
    }
}

/// The problem type of each refusal.
/// The claim set does not grant the action on the resource (as ODS/API answers it).
pub const TYPE_ACTION_DENIED: &str = "urn:ed-fi:api:security:authorization:access-denied:action";
/// No relationship ties the item to the client's education organizations (as ODS/API and the
/// Data Management Service answer it; the message names the members).
pub const TYPE_RELATIONSHIP_DENIED: &str = crate::problem::TYPE_AUTHORIZATION;
/// The item's namespace is not under the client's prefixes.
pub const TYPE_NAMESPACE_DENIED: &str =
    "urn:ed-fi:api:security:authorization:namespace:access-denied:namespace-mismatch";
/// The claim set authorizes a resource by namespace, but the resource has none.
pub const TYPE_NAMESPACE_REQUIRED: &str =
    "urn:ed-fi:api:security:authorization:namespace:access-denied:namespace-required";

#[cfg(test)]
mod tests;
