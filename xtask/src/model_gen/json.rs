//! The committed form of the model: JSON with sorted resources and members, one member a line
//! where it fits, so a change to the schema or the generator reviews as a small diff.

use super::model::*;

/// A JSON value with its members in the order written.
pub enum J {
    Obj(Vec<(&'static str, J)>),
    Arr(Vec<J>),
    Str(String),
    Int(i64),
    /// A number as the XSD writes it (a decimal bound).
    Raw(String),
    Bool(bool),
}

const WIDTH: usize = 120;

impl J {
    fn compact(&self, out: &mut String) {
        match self {
            J::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&quote(k));
                    out.push_str(": ");
                    v.compact(out);
                }
                out.push('}');
            }
            J::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.compact(out);
                }
                out.push(']');
            }
            J::Str(s) => out.push_str(&quote(s)),
            J::Int(n) => out.push_str(&n.to_string()),
            J::Raw(s) => out.push_str(s),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        }
    }

    /// Writes the value at `indent`, on one line if it fits in [`WIDTH`] columns.
    pub fn write(&self, indent: usize, out: &mut String) {
        let mut one_line = String::new();
        self.compact(&mut one_line);
        if indent + one_line.len() <= WIDTH || !matches!(self, J::Obj(_) | J::Arr(_)) {
            out.push_str(&one_line);
            return;
        }
        let pad = " ".repeat(indent + 2);
        match self {
            J::Obj(members) => {
                out.push_str("{\n");
                for (i, (k, v)) in members.iter().enumerate() {
                    out.push_str(&pad);
                    out.push_str(&quote(k));
                    out.push_str(": ");
                    v.write(indent + 2, out);
                    out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
                }
                out.push_str(&" ".repeat(indent));
                out.push('}');
            }
            J::Arr(items) => {
                out.push_str("[\n");
                for (i, v) in items.iter().enumerate() {
                    out.push_str(&pad);
                    v.write(indent + 2, out);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                out.push_str(&" ".repeat(indent));
                out.push(']');
            }
            _ => unreachable!(),
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn strs(items: &[String]) -> J {
    J::Arr(items.iter().map(|s| J::Str(s.clone())).collect())
}

fn scalar(s: &Scalar, out: &mut Vec<(&'static str, J)>) {
    match s {
        Scalar::String { min, max } => {
            out.push(("type", J::Str("string".into())));
            if let Some(min) = min {
                out.push(("minLength", J::Int(*min as i64)));
            }
            if let Some(max) = max {
                out.push(("maxLength", J::Int(*max as i64)));
            }
        }
        Scalar::Integer { min, max } => {
            out.push(("type", J::Str("integer".into())));
            out.push(("minimum", J::Int(*min)));
            out.push(("maximum", J::Int(*max)));
        }
        Scalar::Decimal { total, fraction, min, max } => {
            out.push(("type", J::Str("decimal".into())));
            if let Some(t) = total {
                out.push(("totalDigits", J::Int(i64::from(*t))));
            }
            if let Some(f) = fraction {
                out.push(("fractionDigits", J::Int(i64::from(*f))));
            }
            if let Some(m) = min {
                out.push(("minimum", J::Raw(m.clone())));
            }
            if let Some(m) = max {
                out.push(("maximum", J::Raw(m.clone())));
            }
        }
        Scalar::Date => out.push(("type", J::Str("date".into()))),
        Scalar::DateTime => out.push(("type", J::Str("dateTime".into()))),
        Scalar::Time => out.push(("type", J::Str("time".into()))),
        Scalar::Duration => out.push(("type", J::Str("duration".into()))),
        Scalar::Boolean => out.push(("type", J::Str("boolean".into()))),
    }
}

fn kind(k: &Kind, out: &mut Vec<(&'static str, J)>) {
    match k {
        Kind::Scalar(s) => scalar(s, out),
        Kind::Descriptor(endpoint) => {
            out.push(("type", J::Str("descriptor".into())));
            out.push(("descriptor", J::Str(endpoint.clone())));
        }
        Kind::Reference { target, members } => {
            out.push(("type", J::Str("reference".into())));
            out.push(("target", J::Str(target.clone())));
            let members = members
                .iter()
                .map(|m| {
                    let mut o =
                        vec![("name", J::Str(m.name.clone())), ("targetPath", J::Str(m.target_path.clone()))];
                    kind(&m.kind, &mut o);
                    J::Obj(o)
                })
                .collect();
            out.push(("members", J::Arr(members)));
        }
        Kind::Object(members) => {
            out.push(("type", J::Str("object".into())));
            out.push(("members", J::Arr(members.iter().map(member).collect())));
        }
        Kind::Collection { min_items, items } => {
            out.push(("type", J::Str("collection".into())));
            out.push(("minItems", J::Int(i64::from(*min_items))));
            out.push(("items", J::Arr(items.iter().map(member).collect())));
        }
    }
}

/// A member: `required` and `identity` are written only when true.
fn member(m: &Member) -> J {
    let mut o = vec![("name", J::Str(m.name.clone()))];
    if m.required {
        o.push(("required", J::Bool(true)));
    }
    if m.identity {
        o.push(("identity", J::Bool(true)));
    }
    kind(&m.kind, &mut o);
    J::Obj(o)
}

fn uniqueness(u: &Uniqueness) -> J {
    let mut o = Vec::new();
    if let Some(base) = &u.base_path {
        o.push(("basePath", J::Str(base.clone())));
    }
    o.push(("paths", strs(&u.paths)));
    if !u.nested.is_empty() {
        o.push(("nested", J::Arr(u.nested.iter().map(uniqueness).collect())));
    }
    J::Obj(o)
}

fn resource(r: &Resource) -> J {
    let mut o = Vec::new();
    if let Some(endpoint) = &r.endpoint {
        o.push(("endpoint", J::Str(endpoint.clone())));
    }
    o.push(("entity", J::Str(r.entity.clone())));
    o.push(("group", J::Str(r.group.into())));
    o.push(("abstract", J::Bool(r.is_abstract)));
    if let Some(s) = &r.superclass {
        let mut sup = vec![("resource", J::Str(s.resource.clone()))];
        if let Some(path) = &s.identity_path {
            sup.push(("identityPath", J::Str(path.clone())));
        }
        o.push(("superclass", J::Obj(sup)));
    }
    if !r.subclasses.is_empty() {
        o.push(("subclasses", strs(&r.subclasses)));
    }
    o.push(("identity", strs(&r.identity)));
    o.push(("allowIdentityUpdates", J::Bool(r.allow_identity_updates)));
    o.push(("members", J::Arr(r.members.iter().map(member).collect())));
    let equality = r
        .equality
        .iter()
        .map(|e| J::Obj(vec![("source", J::Str(e.source.clone())), ("target", J::Str(e.target.clone()))]))
        .collect();
    o.push(("equalityConstraints", J::Arr(equality)));
    o.push(("arrayUniquenessConstraints", J::Arr(r.uniqueness.iter().map(uniqueness).collect())));
    if !r.interchanges.is_empty() {
        o.push(("interchanges", strs(&r.interchanges)));
    }
    J::Obj(o)
}

pub fn render(model: &Model) -> String {
    let descriptors = model
        .descriptors
        .iter()
        .map(|(endpoint, entity)| {
            J::Obj(vec![("endpoint", J::Str(endpoint.clone())), ("entity", J::Str(entity.clone()))])
        })
        .collect();
    let root = J::Obj(vec![
        ("dataStandard", J::Str("5.2.0".into())),
        ("generatedBy", J::Str("cargo xtask gen-model (from ../shared/edfi/)".into())),
        ("descriptorMembers", J::Arr(model.descriptor_members.iter().map(member).collect())),
        ("descriptors", J::Arr(descriptors)),
        ("abstractResources", J::Arr(model.abstract_resources.iter().map(resource).collect())),
        ("resources", J::Arr(model.resources.iter().map(resource).collect())),
    ]);
    let mut out = String::new();
    root.write(0, &mut out);
    out.push('\n');
    out
}
