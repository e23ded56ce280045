//! A reader for the one XSD the model comes from: the named complex and simple types of
//! `Ed-Fi-Core-5.2.xsd`, with what the generator needs of them (type group, base type,
//! elements with cardinality, descriptor annotations, facets) and no documentation.

use std::collections::BTreeMap;

use roxmltree::{Document, Node};

const XS: &str = "http://www.w3.org/2001/XMLSchema";
const ANN: &str = "http://ed-fi.org/annotation";

#[derive(Debug)]
pub struct Schema {
    /// `targetNamespace` (`http://ed-fi.org/5.2.0`).
    pub namespace: String,
    pub complex: BTreeMap<String, ComplexType>,
    pub simple: BTreeMap<String, SimpleType>,
}

#[derive(Debug)]
pub struct ComplexType {
    pub name: String,
    /// `ann:TypeGroup`: `Domain Entity`, `Association`, `Descriptor`, `Common`, `Identity`, …
    pub group: String,
    pub is_abstract: bool,
    /// `xs:extension base` (`ComplexObjectType`, `EducationOrganization`, …).
    pub base: Option<String>,
    pub elements: Vec<Element>,
}

#[derive(Debug, Clone)]
pub struct Element {
    pub name: String,
    pub ty: String,
    pub min_occurs: u32,
    pub unbounded: bool,
    /// `ann:Descriptor`: the descriptor an element of a `…DescriptorReferenceType` names.
    pub descriptor: Option<String>,
    /// A member of an `xs:choice`: present in some documents only.
    pub in_choice: bool,
}

impl Element {
    pub fn required(&self) -> bool {
        self.min_occurs > 0 && !self.in_choice
    }
}

#[derive(Debug, Default)]
pub struct SimpleType {
    pub base: String,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_inclusive: Option<String>,
    pub max_inclusive: Option<String>,
    pub total_digits: Option<u32>,
    pub fraction_digits: Option<u32>,
    pub enumeration: Vec<String>,
}

fn is_xs(node: &Node, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name && node.tag_name().namespace() == Some(XS)
}

fn xs_children<'a, 'input>(
    node: Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(move |c| is_xs(c, name))
}

/// The text of `xs:annotation/xs:appinfo/ann:{name}` directly under `node`.
fn appinfo(node: Node, name: &str) -> Option<String> {
    xs_children(node, "annotation")
        .flat_map(|a| xs_children(a, "appinfo"))
        .flat_map(|a| a.children())
        .find(|c| c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ANN))
        .and_then(|c| c.text())
        .map(|t| t.trim().to_string())
}

pub fn parse(text: &str) -> Result<Schema, String> {
    let doc = Document::parse(text).map_err(|e| format!("the XSD does not parse: {e}"))?;
    let root = doc.root_element();
    let namespace = root.attribute("targetNamespace").ok_or("the XSD has no targetNamespace")?.to_string();
    let mut complex = BTreeMap::new();
    let mut simple = BTreeMap::new();
    for node in root.children().filter(|n| n.is_element()) {
        let Some(name) = node.attribute("name") else { continue };
        if is_xs(&node, "complexType") {
            let group = appinfo(node, "TypeGroup").unwrap_or_default();
            let mut base = None;
            let mut elements = Vec::new();
            let body = xs_children(node, "complexContent")
                .flat_map(|c| xs_children(c, "extension").chain(xs_children(c, "restriction")))
                .next();
            if let Some(extension) = body {
                base = extension.attribute("base").map(str::to_string);
                for sequence in xs_children(extension, "sequence") {
                    read_sequence(sequence, false, &mut elements)?;
                }
            }
            for sequence in xs_children(node, "sequence") {
                read_sequence(sequence, false, &mut elements)?;
            }
            let is_abstract = node.attribute("abstract") == Some("true");
            complex.insert(
                name.to_string(),
                ComplexType { name: name.to_string(), group, is_abstract, base, elements },
            );
        } else if is_xs(&node, "simpleType") {
            let mut ty = SimpleType::default();
            if let Some(restriction) = xs_children(node, "restriction").next() {
                ty.base = restriction.attribute("base").unwrap_or_default().to_string();
                for facet in restriction.children().filter(|c| c.is_element()) {
                    let value = facet.attribute("value").unwrap_or_default().to_string();
                    let number = |v: &str| v.parse::<u64>().map_err(|e| format!("{name}: facet {v}: {e}"));
                    match facet.tag_name().name() {
                        "minLength" => ty.min_length = Some(number(&value)?),
                        "maxLength" => ty.max_length = Some(number(&value)?),
                        "minInclusive" => ty.min_inclusive = Some(value),
                        "maxInclusive" => ty.max_inclusive = Some(value),
                        "totalDigits" => ty.total_digits = Some(number(&value)? as u32),
                        "fractionDigits" => ty.fraction_digits = Some(number(&value)? as u32),
                        "enumeration" => ty.enumeration.push(value),
                        "annotation" => {}
                        other => return Err(format!("simple type {name}: facet {other} is not handled")),
                    }
                }
            }
            simple.insert(name.to_string(), ty);
        }
    }
    Ok(Schema { namespace, complex, simple })
}

/// An interchange schema (`xsd/Interchange-Student.xsd`): its root element and the elements
/// the root may hold, each with its type.
#[derive(Debug)]
pub struct Interchange {
    pub name: String,
    pub elements: Vec<(String, String)>,
}

pub fn parse_interchange(text: &str) -> Result<Interchange, String> {
    let doc = Document::parse(text).map_err(|e| format!("the interchange schema does not parse: {e}"))?;
    let root = xs_children(doc.root_element(), "element").next().ok_or("no root element declared")?;
    let name = root.attribute("name").ok_or("a root element without a name")?.to_string();
    let mut elements = Vec::new();
    for choice in xs_children(root, "complexType").flat_map(|t| xs_children(t, "choice")) {
        for element in xs_children(choice, "element") {
            let attribute = |a: &str| {
                element
                    .attribute(a)
                    .map(str::to_string)
                    .ok_or_else(|| format!("{name}: an element without {a}"))
            };
            elements.push((attribute("name")?, attribute("type")?));
        }
    }
    if elements.is_empty() {
        return Err(format!("{name} declares no elements"));
    }
    Ok(Interchange { name, elements })
}

fn read_sequence(node: Node, in_choice: bool, out: &mut Vec<Element>) -> Result<(), String> {
    for child in node.children().filter(|c| c.is_element()) {
        if is_xs(&child, "element") {
            let name = child.attribute("name").ok_or("an element without a name")?.to_string();
            let ty =
                child.attribute("type").ok_or_else(|| format!("element {name} has no type"))?.to_string();
            let min_occurs = match child.attribute("minOccurs") {
                None => 1,
                Some(v) => v.parse().map_err(|e| format!("{name}: minOccurs {v}: {e}"))?,
            };
            let unbounded = matches!(child.attribute("maxOccurs"), Some(v) if v != "1");
            let descriptor = appinfo(child, "Descriptor");
            out.push(Element { name, ty, min_occurs, unbounded, descriptor, in_choice });
        } else if is_xs(&child, "choice") {
            read_sequence(child, true, out)?;
        } else if is_xs(&child, "sequence") {
            read_sequence(child, in_choice, out)?;
        } else if !is_xs(&child, "annotation") {
            return Err(format!("{} in a sequence is not handled", child.tag_name().name()));
        }
    }
    Ok(())
}
