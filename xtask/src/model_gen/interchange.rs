//! The interchange mapping: the XML element each resource and descriptor is read from, and
//! where in it each JSON member is, as a tree that follows the XML. Written beside the model as
//! `core/model/ds-5.2-interchange.json`; `edfi_core::interchange` converts with it.
//!
//! A node maps one element (`xml`; a node without `xml` maps the element it is in) and is one of:
//! - a value: `{"xml": "StudentUniqueId", "json": "studentUniqueId"}`, the element's text, with
//!   `"schoolYear": true` where the XSD writes a school year as `2021-2022`;
//! - members: `{"xml": "Name", "members": [...]}`, children that belong to the enclosing JSON
//!   object (inline commons, identities, references inside identities);
//! - an object: `{"xml": "StudentBusDetails", "json": "studentBusDetails", "object": [...]}`;
//! - a reference: `{"xml": "StudentReference", "json": "studentReference", "reference": [...]}`,
//!   an object of the reference's members, which the element may instead name by `ref`;
//! - a collection: `{"xml": "Address", "json": "addresses", "items": {...}}`, each occurrence an
//!   item of the array, made by the `items` node from the occurrence itself.

use std::collections::BTreeMap;

use super::json::J;
use super::model::*;
use crate::Result;

/// What an element becomes.
enum Node {
    Value { json: String, school_year: bool },
    Members(Tree),
    Object { json: String, members: Tree },
    Reference { json: String, members: Tree },
    Collection { json: String, item: Box<Node> },
}

/// Nodes by element name; `None` maps the element the tree is in.
type Tree = BTreeMap<Option<String>, Node>;

/// Puts `node` at `path` below `tree`, each element on the way a members node.
fn insert(tree: &mut Tree, path: &[String], node: Node) -> Result<()> {
    match path.split_first() {
        Some((first, rest)) if !rest.is_empty() => {
            match tree.entry(Some(first.clone())).or_insert_with(|| Node::Members(Tree::new())) {
                Node::Members(inner) => insert(inner, rest, node),
                _ => Err(format!("<{first}> is mapped both as a value and as holding <{}>", rest.join("/"))),
            }
        }
        _ => {
            let key = path.first().cloned();
            if tree.contains_key(&key) {
                return Err(format!("<{}> is mapped twice", key.unwrap_or_else(|| ".".into())));
            }
            tree.insert(key, node);
            Ok(())
        }
    }
}

fn tree(members: &[Member]) -> Result<Tree> {
    let mut out = Tree::new();
    for member in members {
        let path = member.xml.as_ref().ok_or_else(|| format!("{} has no element in XML", member.name))?;
        insert(&mut out, path, member_node(member)?).map_err(|e| format!("{}: {e}", member.name))?;
    }
    Ok(out)
}

fn member_node(member: &Member) -> Result<Node> {
    let json = member.name.clone();
    Ok(match &member.kind {
        Kind::Scalar(_) | Kind::Descriptor(_) => Node::Value { json, school_year: false },
        Kind::Reference { members, .. } => {
            let mut tree = Tree::new();
            for carried in members {
                for source in &carried.xml {
                    let value = Node::Value { json: carried.name.clone(), school_year: source.school_year };
                    insert(&mut tree, &source.elements, value)
                        .map_err(|e| format!("{}.{}: {e}", member.name, carried.name))?;
                }
            }
            Node::Reference { json, members: tree }
        }
        Kind::Object(inner) => Node::Object { json, members: tree(inner)? },
        Kind::Collection { items, .. } => {
            let item = match items.as_slice() {
                [only] if only.xml.as_ref().is_some_and(Vec::is_empty) => member_node(only)?,
                _ => Node::Members(tree(items)?),
            };
            Node::Collection { json, item: Box::new(item) }
        }
    })
}

fn node_json(xml: Option<&String>, node: &Node) -> J {
    let mut out = Vec::new();
    if let Some(xml) = xml {
        out.push(("xml", J::Str(xml.clone())));
    }
    match node {
        Node::Value { json, school_year } => {
            out.push(("json", J::Str(json.clone())));
            if *school_year {
                out.push(("schoolYear", J::Bool(true)));
            }
        }
        Node::Members(members) => out.push(("members", tree_json(members))),
        Node::Object { json, members } => {
            out.push(("json", J::Str(json.clone())));
            out.push(("object", tree_json(members)));
        }
        Node::Reference { json, members } => {
            out.push(("json", J::Str(json.clone())));
            out.push(("reference", tree_json(members)));
        }
        Node::Collection { json, item } => {
            out.push(("json", J::Str(json.clone())));
            out.push(("items", node_json(None, item)));
        }
    }
    J::Obj(out)
}

fn tree_json(tree: &Tree) -> J {
    J::Arr(tree.iter().map(|(xml, node)| node_json(xml.as_ref(), node)).collect())
}

fn element(element: &str, resource: &str, members: Option<&[Member]>) -> Result<J> {
    let mut out = vec![("element", J::Str(element.into())), ("resource", J::Str(resource.into()))];
    if let Some(members) = members {
        out.push(("members", tree_json(&tree(members).map_err(|e| format!("<{element}>: {e}"))?)));
    }
    Ok(J::Obj(out))
}

pub fn render(model: &Model) -> Result<String> {
    let descriptors = model
        .descriptors
        .iter()
        .map(|(endpoint, entity)| element(entity, endpoint, None))
        .collect::<Result<Vec<_>>>()?;
    // School years are an enumeration of the XSD: no interchange element holds one as a record.
    let mut resources: Vec<&Resource> =
        model.resources.iter().filter(|r| r.entity != "SchoolYearType" && r.endpoint.is_some()).collect();
    resources.sort_by(|a, b| a.entity.cmp(&b.entity));
    let resources = resources
        .into_iter()
        .map(|r| element(&r.entity, r.endpoint.as_deref().unwrap_or_default(), Some(&r.members)))
        .collect::<Result<Vec<_>>>()?;
    let references = model
        .interchange_references
        .iter()
        .map(|r| element(&r.element, &r.endpoint, Some(&r.members)))
        .collect::<Result<Vec<_>>>()?;
    let root = J::Obj(vec![
        ("dataStandard", J::Str("5.2.0".into())),
        ("generatedBy", J::Str("cargo xtask gen-model (from ../shared/edfi/)".into())),
        ("namespace", J::Str(model.namespace.clone())),
        ("descriptorMembers", tree_json(&tree(&model.descriptor_members)?)),
        ("descriptors", J::Arr(descriptors)),
        ("resources", J::Arr(resources)),
        ("references", J::Arr(references)),
    ]);
    let mut out = String::new();
    root.write(0, &mut out);
    out.push('\n');
    Ok(out)
}
