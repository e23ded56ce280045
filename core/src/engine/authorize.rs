//! The engine's authorization step: whether the client's claim set grants an action on a
//! resource, and which items it reaches. Decided before preconditions (RFC 9110 §13.2.1), and in
//! the same synchronous run of store calls as the write it guards.

use std::cell::RefCell;

use crate::authorization::claim_sets::Action;
use crate::authorization::{self, securable, Reach, Scope, Strategy};
use crate::model::ResourceDef;
use crate::problem::Problem;
use crate::store::Store;

use super::Failure;

/// One request's authorization: the client's scope and, once needed, the organizations it reaches.
pub(super) struct Authorizer<'a> {
    scope: Option<&'a Scope>,
    reached: RefCell<Option<Vec<i64>>>,
}

impl<'a> Authorizer<'a> {
    /// `None`: a caller with no scope (the administrator, a tool over its own store) reaches all.
    pub(super) fn new(scope: Option<&'a Scope>) -> Self {
        Self { scope, reached: RefCell::new(None) }
    }

    /// Whether the claim set grants `action` on `def` at all.
    pub(super) fn grants(&self, def: &ResourceDef, action: Action) -> bool {
        self.scope.is_none_or(|scope| scope.claim_set.strategies(def, action).is_some())
    }

    /// Which items of `def` the action reaches: `None` for every item. A 403 when the claim set
    /// does not grant the action, or a strategy cannot apply to the resource.
    pub(super) fn reach(
        &self,
        def: &ResourceDef,
        action: Action,
        store: &impl Store,
    ) -> Result<Option<Reach>, Failure> {
        let Some(scope) = self.scope else { return Ok(None) };
        let Some(strategies) = scope.claim_set.strategies(def, action) else {
            return Err(action_denied(&scope.claim_set.name, def, &[action]).into());
        };
        let securables = securable::of(def);
        let mut reach = Reach::default();
        let mut limited = false;
        for strategy in strategies {
            match strategy {
                Strategy::NoFurtherAuthorizationRequired => {}
                Strategy::RelationshipsWithEdOrgsAndPeople => {
                    // A pathway's own person is what the item ties; the others must be reached.
                    let own = securable::pathway(def);
                    let people: Vec<_> = securables
                        .people
                        .iter()
                        .copied()
                        .filter(|(person, _)| Some(*person) != own)
                        .collect();
                    if securables.education_organizations.is_empty() && people.is_empty() {
                        continue;
                    }
                    limited = true;
                    reach.education_organization_positions = securables.education_organizations.clone();
                    reach.people = people;
                    reach.education_organizations = self.reached_organizations(scope, store)?;
                }
                Strategy::NamespaceBased => {
                    if securables.namespaces.is_empty() {
                        return Err(Problem::authorization_denied(
                            authorization::TYPE_NAMESPACE_REQUIRED,
                            format!(
                                "The claim set '{}' authorizes {} by namespace, but its items have none.",
                                scope.claim_set.name, def.name
                            ),
                        )
                        .into());
                    }
                    limited = true;
                    reach.namespace_positions = securables.namespaces.clone();
                    reach.namespace_prefixes = scope.namespace_prefixes.clone();
                }
            }
        }
        Ok(limited.then_some(reach))
    }

    /// A 403 unless `action` reaches the item of `def` whose natural key is `key`.
    pub(super) fn check(
        &self,
        def: &ResourceDef,
        action: Action,
        key: &str,
        store: &impl Store,
    ) -> Result<(), Failure> {
        let Some(reach) = self.reach(def, action, store)? else { return Ok(()) };
        match crate::store::refusal(store, &reach, def.natural_key, key)? {
            None => Ok(()),
            Some((kind, detail)) => Err(Problem::authorization_denied(kind, detail).into()),
        }
    }

    /// The client's organizations and every one below them, found once per request.
    fn reached_organizations(&self, scope: &Scope, store: &impl Store) -> Result<Vec<i64>, Failure> {
        if let Some(reached) = self.reached.borrow().as_ref() {
            return Ok(reached.clone());
        }
        let mut reached: Vec<i64> = scope.education_organization_ids.clone();
        reached.sort_unstable();
        reached.dedup();
        let mut frontier = reached.clone();
        for _ in 0..authorization::MAX_HIERARCHY_DEPTH {
            if frontier.is_empty() {
                break;
            }
            let below = store.children(&frontier)?;
            frontier = below.into_iter().filter(|id| reached.binary_search(id).is_err()).collect();
            frontier.sort_unstable();
            frontier.dedup();
            reached.extend(&frontier);
            reached.sort_unstable();
        }
        *self.reached.borrow_mut() = Some(reached.clone());
        Ok(reached)
    }
}

fn action_denied(claim_set: &str, def: &ResourceDef, actions: &[Action]) -> Problem {
    let names: Vec<&str> = actions.iter().map(|a| a.name()).collect();
    Problem::authorization_denied(
        authorization::TYPE_ACTION_DENIED,
        format!("The claim set '{claim_set}' does not allow {} on {}.", names.join(" or "), def.name),
    )
}

/// A 403 unless the claim set grants one of `actions` (a POST is a create or an update).
pub(super) fn require_any(
    authorizer: &Authorizer,
    def: &ResourceDef,
    actions: &[Action],
) -> Result<(), Problem> {
    match authorizer.scope {
        Some(scope) if !actions.iter().any(|a| authorizer.grants(def, *a)) => {
            Err(action_denied(&scope.claim_set.name, def, actions))
        }
        _ => Ok(()),
    }
}
