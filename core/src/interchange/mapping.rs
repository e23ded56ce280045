//! The generated interchange mapping (`core/model/ds-5.2-interchange.json`, made by
//! `cargo xtask gen-model` beside the model), loaded once and bound to the model: every node
//! holds the field kind its value takes, so reading XML looks up only element names.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::{Field, Kind, Reference, ResourceDef};
use crate::resources;

const MAPPING: &str = include_str!("../../model/ds-5.2-interchange.json");

/// The elements of Ed-Fi's interchanges, by name.
pub(super) struct Mapping {
    /// The namespace every interchange element is in (`http://ed-fi.org/5.2.0`).
    pub namespace: String,
    by_element: HashMap<String, Element>,
}

/// A top-level element: the resource it is an item of, and how its children map.
pub(super) struct Element {
    pub resource: &'static ResourceDef,
    pub members: Vec<Node>,
    /// A top-level `…Reference` element: it holds only its target's identity.
    pub identity_only: bool,
}

/// How one element becomes JSON.
pub(super) struct Node {
    /// The element's name; `None` maps the element the node is in.
    pub xml: Option<String>,
    pub what: What,
}

pub(super) enum What {
    /// The element's text is the value of `json`, of `kind`; the XML writes a school year
    /// as `2021-2022`.
    Value {
        json: &'static str,
        kind: &'static Kind,
        school_year: bool,
    },
    /// The element's children belong to the enclosing JSON object.
    Members(Vec<Node>),
    Object {
        json: &'static str,
        members: Vec<Node>,
    },
    /// A reference object; an element without an identity may name a record by `ref`.
    Reference {
        json: &'static str,
        reference: &'static Reference,
        members: Vec<Node>,
    },
    /// Each occurrence of the element is an item of the array `json`, made by `item`.
    Collection {
        json: &'static str,
        item: Box<Node>,
    },
}

impl Mapping {
    /// The mapping of an element, if it is an Ed-Fi interchange element.
    pub fn element(&self, node: roxmltree::Node) -> Option<&Element> {
        let name = node.tag_name();
        if name.namespace() == Some(self.namespace.as_str()) {
            self.by_element.get(name.name())
        } else {
            None
        }
    }

    pub fn element_named(&self, name: &str) -> Option<&Element> {
        self.by_element.get(name)
    }
}

pub(super) fn get() -> &'static Mapping {
    static MAPPING_LOADED: OnceLock<Mapping> = OnceLock::new();
    MAPPING_LOADED
        .get_or_init(|| load(MAPPING).expect("the committed interchange mapping loads (a test loads it)"))
}

// ------------------------------------------------------------------------------- the file's form

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MappingFile {
    namespace: String,
    descriptor_members: Vec<NodeJson>,
    descriptors: Vec<ElementJson>,
    resources: Vec<ElementJson>,
    references: Vec<ElementJson>,
}

#[derive(Deserialize)]
struct ElementJson {
    element: String,
    resource: String,
    #[serde(default)]
    members: Vec<NodeJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NodeJson {
    xml: Option<String>,
    json: Option<String>,
    #[serde(default)]
    school_year: bool,
    members: Option<Vec<NodeJson>>,
    object: Option<Vec<NodeJson>>,
    reference: Option<Vec<NodeJson>>,
    items: Option<Box<NodeJson>>,
}

/// Where a node's JSON names are looked up: an object's fields or a reference's members.
#[derive(Clone, Copy)]
enum Scope {
    Fields(&'static [Field]),
    Reference(&'static Reference),
}

impl Scope {
    fn kind(self, name: &str) -> Option<(&'static str, &'static Kind)> {
        match self {
            Scope::Fields(fields) => fields.iter().find(|f| f.name == name).map(|f| (f.name, &f.kind)),
            Scope::Reference(reference) => {
                reference.members.iter().find(|m| m.name == name).map(|m| (m.name, &m.kind))
            }
        }
    }
}

fn bind(node: &NodeJson, scope: Scope) -> Result<Node, String> {
    let at = |problem: &str| format!("<{}>: {problem}", node.xml.as_deref().unwrap_or("."));
    let named = || -> Result<(&'static str, &'static Kind), String> {
        let json = node.json.as_deref().ok_or_else(|| at("no JSON name"))?;
        scope.kind(json).ok_or_else(|| at(&format!("the model has no member {json} here")))
    };
    let all = |nodes: &[NodeJson], scope: Scope| -> Result<Vec<Node>, String> {
        nodes.iter().map(|n| bind(n, scope)).collect()
    };
    let what = if let Some(members) = &node.members {
        What::Members(all(members, scope)?)
    } else if let Some(members) = &node.object {
        match named()? {
            (json, Kind::Object(fields)) => {
                What::Object { json, members: all(members, Scope::Fields(fields))? }
            }
            (json, _) => return Err(at(&format!("{json} is not an object in the model"))),
        }
    } else if let Some(members) = &node.reference {
        match named()? {
            (json, Kind::Reference(reference)) => {
                What::Reference { json, reference, members: all(members, Scope::Reference(reference))? }
            }
            (json, _) => return Err(at(&format!("{json} is not a reference in the model"))),
        }
    } else if let Some(item) = &node.items {
        match named()? {
            (json, Kind::Collection { item: fields, .. }) => {
                What::Collection { json, item: Box::new(bind(item, Scope::Fields(fields))?) }
            }
            (json, _) => return Err(at(&format!("{json} is not a collection in the model"))),
        }
    } else {
        let (json, kind) = named()?;
        let scalar = !matches!(kind, Kind::Object(_) | Kind::Reference(_) | Kind::Collection { .. });
        if !scalar || (node.school_year && !matches!(kind, Kind::Integer(_))) {
            return Err(at(&format!("{json} does not take the element's text")));
        }
        What::Value { json, kind, school_year: node.school_year }
    };
    Ok(Node { xml: node.xml.clone(), what })
}

fn load(text: &str) -> Result<Mapping, String> {
    let file: MappingFile =
        serde_json::from_str(text).map_err(|e| format!("the interchange mapping is not readable: {e}"))?;
    let mut by_element = HashMap::new();
    let descriptors = file.descriptors.iter().map(|d| (d, &file.descriptor_members, false));
    let resources = file.resources.iter().map(|r| (r, &r.members, false));
    let references = file.references.iter().map(|r| (r, &r.members, true));
    for (element, members, identity_only) in descriptors.chain(resources).chain(references) {
        let at = |e: String| format!("<{}>: {e}", element.element);
        let resource = resources::find(&element.resource)
            .filter(|def| !def.is_abstract)
            .ok_or_else(|| at(format!("no endpoint {}", element.resource)))?;
        let members = members
            .iter()
            .map(|m| bind(m, Scope::Fields(resource.fields)))
            .collect::<Result<_, _>>()
            .map_err(at)?;
        let mapped = Element { resource, members, identity_only };
        if by_element.insert(element.element.clone(), mapped).is_some() {
            return Err(at("mapped twice".into()));
        }
    }
    Ok(Mapping { namespace: file.namespace, by_element })
}
