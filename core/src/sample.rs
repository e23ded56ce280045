//! Minimal valid items of any resource, made from the model alone: its required members, each
//! reference's target made first the same way, unified members agreeing. Pure: it says what to
//! create, in order, and the caller sends it (the engine's tests over memory, the black-box suite
//! over HTTP), so every one of the model's resources can be exercised without hand-written bodies.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::model::{Field, Kind, ResourceDef};
use crate::resources;
use crate::validate::{lookup, parse_date, values_at};

/// The items made so far, and those not yet taken for sending.
#[derive(Default)]
pub struct Samples {
    made: BTreeMap<&'static str, Value>,
    queued: Vec<(&'static ResourceDef, Value)>,
}

impl Samples {
    pub fn new() -> Self {
        Self::default()
    }

    /// The body of `def`'s one sample item; it and whatever it references (descriptors
    /// included) are queued for creation, dependencies first, unless made before.
    pub fn item(&mut self, def: &'static ResourceDef) -> Value {
        if let Some(body) = self.made.get(def.name) {
            return body.clone();
        }
        let mut body = self.object(def.fields);
        // Kinds of one abstract resource share a key space: each gets keys of its own.
        if let Some(abstract_name) = def.superclass {
            let subclasses = resources::get(abstract_name).subclasses;
            let position = subclasses.iter().position(|s| *s == def.name).unwrap_or(0);
            for key in def.natural_key.iter().filter(|k| !k.contains('.')) {
                let distinct = match body.get(*key) {
                    Some(Value::Number(_)) => json!(3000 + position as i64),
                    Some(Value::String(date)) if parse_date(date).is_some() => {
                        json!(format!("2026-08-{:02}", 1 + position))
                    }
                    _ => continue,
                };
                body.insert((*key).to_owned(), distinct);
            }
        }
        // Unified members take the value of their twin, as a client must send them.
        for constraint in def.equality_constraints {
            if let Some((_, value)) = values_at(&body, constraint.target).into_iter().next() {
                let value = value.clone();
                set(&mut body, constraint.source, value);
            }
        }
        let body = Value::Object(body);
        self.queue(def, body.clone());
        body
    }

    /// The items queued since the last call, in the order they must be created.
    pub fn take(&mut self) -> Vec<(&'static ResourceDef, Value)> {
        std::mem::take(&mut self.queued)
    }

    fn queue(&mut self, def: &'static ResourceDef, body: Value) {
        self.made.insert(def.name, body.clone());
        self.queued.push((def, body));
    }

    /// A value for a scalar kind; the same kind always gets the same value, so key members that
    /// Ed-Fi unifies (two references' `schoolId`s) agree.
    fn scalar(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Text { min, max } => json!("X".repeat((*min).max(1).min(*max))),
            Kind::Integer(range) => json!(2027_i64.clamp(range.min(), range.max())),
            Kind::Decimal { .. } => json!(1),
            Kind::Boolean => json!(true),
            Kind::Date => json!("2026-08-17"),
            Kind::Time => json!("08:00:00"),
            Kind::DateTime => json!("2026-08-17T08:00:00Z"),
            Kind::Duration => json!("PT1H"),
            Kind::Descriptor(target) => {
                let def = resources::get(target);
                let namespace = format!("uri://ed-fi.org/{}", def.entity_name);
                if !self.made.contains_key(def.name) {
                    self.queue(
                        def,
                        json!({"namespace": namespace, "codeValue": "X", "shortDescription": "X"}),
                    );
                }
                json!(format!("{namespace}#X"))
            }
            Kind::Object(_) | Kind::Reference(_) | Kind::Collection { .. } => unreachable!("not a scalar"),
        }
    }

    fn object(&mut self, fields: &'static [Field]) -> Map<String, Value> {
        let mut body = Map::new();
        for field in fields.iter().filter(|f| f.required) {
            let value = match &field.kind {
                Kind::Object(inner) => Value::Object(self.object(inner)),
                Kind::Collection { item, .. } => json!([Value::Object(self.object(item))]),
                Kind::Reference(reference) => {
                    let named = resources::get(reference.target);
                    let target = resources::concrete(named)[0];
                    let target_body = self.item(target);
                    let members: Map<String, Value> = reference
                        .members
                        .iter()
                        .map(|m| {
                            // An abstract resource's key path is the subclass's at the same place.
                            let position = named.natural_key.iter().position(|k| *k == m.target_path);
                            let path = position.map_or(m.target_path, |i| target.natural_key[i]);
                            let value = target_body.as_object().and_then(|b| lookup(b, path)).cloned();
                            (m.name.to_owned(), value.unwrap_or(Value::Null))
                        })
                        .collect();
                    Value::Object(members)
                }
                kind => self.scalar(kind),
            };
            body.insert(field.name.to_owned(), value);
        }
        body
    }
}

/// Sets the value at an ApiSchema path where it exists (`[*]`: in every item).
fn set(body: &mut Map<String, Value>, path: &str, value: Value) {
    fn walk(object: &mut Map<String, Value>, segments: &[&str], value: &Value) {
        let Some((segment, rest)) = segments.split_first() else { return };
        let (name, each) = segment.strip_suffix("[*]").map_or((*segment, false), |n| (n, true));
        let Some(member) = object.get_mut(name) else { return };
        match (rest.is_empty(), each, member) {
            (true, false, member) => *member = value.clone(),
            (false, false, Value::Object(inner)) => walk(inner, rest, value),
            (false, true, Value::Array(items)) => {
                for inner in items.iter_mut().filter_map(Value::as_object_mut) {
                    walk(inner, rest, value);
                }
            }
            _ => {}
        }
    }
    let segments: Vec<&str> = path.trim_start_matches("$.").split('.').collect();
    walk(body, &segments, &value);
}
