//! Ed-Fi interchange XML, the bulk format (`<InterchangeStudent>` holding `<Student>` records),
//! to the JSON bodies of this API's resources, as the generated mapping says
//! (`core/model/ds-5.2-interchange.json`): inline commons flattened, repeated elements as
//! collections, descriptor elements as `…Descriptor` URIs, references carrying the identity they
//! hold (nested identities flattened), school years `2021-2022` as `2022`, and numbers and
//! booleans as the model types them. Pure: the caller reads the file and sends the bodies.
//!
//! Attributes: `ref` on a reference without an identity names the record of this file with that
//! `id` (Ed-Fi's ReferenceLookup by XML IDREF), whose identity the reference then carries; when
//! the identity is there, `ref` is not read. Every other attribute (`id` itself, `xsi:…`) is
//! ignored. `…Lookup` elements, which need the API to find an item, are refused as unknown.
//!
//! A record with any problem (an unknown element, a value not of its type, keys that disagree,
//! a `ref` that names nothing) is refused whole, each problem with its position, so no partial
//! record is loaded; the other records still convert.

mod mapping;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use roxmltree::{Document, Node as XmlNode};
use serde_json::{Map, Value};

use crate::limits::MAX_EXACT_DIGITS;
use crate::model::{Kind, Reference, ResourceDef};
use crate::resources;
use crate::validate::lookup;
use mapping::{Element, Mapping, Node, What};

/// One converted record: the body to send to `resource`'s endpoint.
pub struct Record {
    pub resource: &'static ResourceDef,
    pub body: Value,
    /// The XML element it came from (`Student`) and the line its start tag is on.
    pub element: String,
    pub line: u32,
}

impl Record {
    /// Whether the record is a top-level `…Reference` element (`<SectionReference>` in
    /// `InterchangeStudentGradebook`): its body is only the target's natural key, naming an item
    /// the file's other records refer to, so a load should create it only if it is absent
    /// (`If-None-Match: *`) and never overwrite the item with it.
    pub fn is_identity_only(&self) -> bool {
        mapping::get().element_named(&self.element).is_some_and(|e| e.identity_only)
    }
}

/// The resource by name: its whole definition would bury the record.
impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("resource", &self.resource.name)
            .field("body", &self.body)
            .field("element", &self.element)
            .field("line", &self.line)
            .finish()
    }
}

/// Something that did not convert, and where (1-based line and column of its start tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The element at fault (`SchoolId`, `Foo`), or the one holding stray text; empty when the
    /// text is not XML at all.
    pub element: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// A converted interchange file.
#[derive(Debug)]
pub struct File {
    /// The root element's name (`InterchangeStudent`).
    pub interchange: String,
    /// The records that converted, in document order.
    pub records: Vec<Record>,
    pub refused: Vec<Refused>,
}

/// Converts an interchange file. Err when the text is not well-formed XML or its root is not an
/// `Interchange…` element of Ed-Fi's namespace; otherwise every top-level element is a record
/// or refused.
pub fn read(xml: &str) -> Result<File, Refused> {
    let positions = Positions::new(xml);
    let document = Document::parse(xml).map_err(|e| Refused {
        element: String::new(),
        line: e.pos().row,
        column: e.pos().col,
        message: format!("the file is not well-formed XML: {e}"),
    })?;
    let mapping = mapping::get();
    let root = document.root_element();
    let interchange = root.tag_name().name().to_owned();
    let (line, column) = positions.at(root.range().start);
    let refuse_root = |message: String| Refused { element: interchange.clone(), line, column, message };
    if !interchange.starts_with("Interchange") {
        return Err(refuse_root(format!(
            "the root element is <{interchange}>, not an Ed-Fi interchange such as <InterchangeStudent>"
        )));
    }
    if root.tag_name().namespace() != Some(mapping.namespace.as_str()) {
        return Err(refuse_root(format!(
            "<{interchange}> is in namespace {:?}; this API reads Ed-Fi 5.2 interchanges, in {:?}",
            root.tag_name().namespace().unwrap_or_default(),
            mapping.namespace
        )));
    }
    let mut ids: HashMap<&str, Vec<XmlNode>> = HashMap::new();
    for record in root.children().filter(XmlNode::is_element) {
        if let Some(id) = record.attribute("id") {
            ids.entry(id).or_default().push(record);
        }
    }
    let reader = Reader { mapping, positions, ids };
    let mut file = File { interchange, records: Vec::new(), refused: Vec::new() };
    for child in root.children() {
        if is_stray_text(child) {
            file.refused.push(reader.refused(child, "text outside any record".into()));
        }
        if !child.is_element() {
            continue;
        }
        let (line, _) = reader.positions.at(child.range().start);
        let name = child.tag_name().name();
        let Some(mapped) = mapping.element(child) else {
            file.refused.push(reader.refused(child, reader.unknown(child, None)));
            continue;
        };
        let mut walk = Walk { reader: &reader, record: child, problems: Vec::new(), depth: 0 };
        let mut body = Map::new();
        walk.children(child, &mapped.members, &mut body, None);
        if walk.problems.is_empty() {
            let record = Record {
                resource: mapped.resource,
                body: Value::Object(body),
                element: name.to_owned(),
                line,
            };
            file.records.push(record);
        } else {
            file.refused.extend(walk.problems);
        }
    }
    Ok(file)
}

/// How many records a chain of `ref`s may pass through: identities nest a few levels deep, and
/// DS 5.2's identities reference no cycle, so this only keeps a future model's from recursing
/// without end.
const MAX_REF_DEPTH: usize = 8;

/// Line and column of byte offsets, found without rescanning the text (files reach megabytes).
struct Positions<'t> {
    text: &'t str,
    line_starts: Vec<usize>,
}

impl<'t> Positions<'t> {
    fn new(text: &'t str) -> Self {
        let breaks = text.match_indices('\n').map(|(i, _)| i + 1);
        Self { text, line_starts: std::iter::once(0).chain(breaks).collect() }
    }

    fn at(&self, offset: usize) -> (u32, u32) {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        (line as u32, column as u32)
    }
}

struct Reader<'a, 'input> {
    mapping: &'static Mapping,
    positions: Positions<'input>,
    /// Top-level records by their `id`, which `ref` names.
    ids: HashMap<&'a str, Vec<XmlNode<'a, 'input>>>,
}

impl Reader<'_, '_> {
    fn refused(&self, node: XmlNode, message: String) -> Refused {
        let (line, column) = self.positions.at(node.range().start);
        let element = if node.is_element() { Some(node) } else { node.parent_element() };
        let element = element.map_or("", |e| e.tag_name().name());
        Refused { element: element.to_owned(), line, column, message }
    }

    /// What an element no node maps is told; `parent` is `None` for a record.
    fn unknown(&self, element: XmlNode, parent: Option<&str>) -> String {
        let name = element.tag_name();
        match (name.namespace(), parent) {
            (Some(ns), None) if ns == self.mapping.namespace => {
                format!("<{}> is not a record of this API's Ed-Fi 5.2 model", name.name())
            }
            (Some(ns), Some(parent)) if ns == self.mapping.namespace => {
                format!("<{}> is not a member of <{parent}> in this API's Ed-Fi 5.2 model", name.name())
            }
            (other, _) => format!(
                "<{}> is in namespace {:?}, not Ed-Fi's {:?}",
                name.name(),
                other.unwrap_or_default(),
                self.mapping.namespace
            ),
        }
    }

    fn line(&self, node: XmlNode) -> u32 {
        self.positions.at(node.range().start).0
    }
}

/// Non-whitespace text where only elements belong.
fn is_stray_text(node: XmlNode) -> bool {
    node.is_text() && node.text().is_some_and(|t| !t.trim_matches(XML_SPACE).is_empty())
}

/// XML's white space (XML 1.0 §2.3): layout around a value, not part of it.
const XML_SPACE: [char; 4] = [' ', '\t', '\r', '\n'];

/// The conversion of one record, collecting its problems.
struct Walk<'r, 'a, 'input> {
    reader: &'r Reader<'a, 'input>,
    record: XmlNode<'a, 'input>,
    problems: Vec<Refused>,
    /// `ref`s followed to get here.
    depth: usize,
}

impl<'a, 'input> Walk<'_, 'a, 'input> {
    fn refuse(&mut self, node: XmlNode, message: String) {
        let mut refused = self.reader.refused(node, message);
        if node != self.record {
            let record = self.record.tag_name().name();
            refused.message =
                format!("{} (in <{record}> at line {})", refused.message, self.reader.line(self.record));
        }
        self.problems.push(refused);
    }

    /// Maps `element`'s children by `nodes` into `out`. With `identity_of`, only the members of
    /// that resource's natural key are read (a `ref`'s target), and other children are skipped.
    fn children(
        &mut self,
        element: XmlNode<'a, 'input>,
        nodes: &[Node],
        out: &mut Map<String, Value>,
        identity_of: Option<&ResourceDef>,
    ) {
        let mut text_is_a_value = false;
        for node in nodes.iter().filter(|n| n.xml.is_none()) {
            text_is_a_value |= matches!(node.what, What::Value { .. });
            self.apply(node, element, out, identity_of);
        }
        for child in element.children() {
            if !text_is_a_value && is_stray_text(child) {
                let parent = element.tag_name().name();
                self.refuse(child, format!("text in <{parent}>, which holds elements"));
            }
            if !child.is_element() {
                continue;
            }
            let name = child.tag_name();
            let node = nodes.iter().find(|n| {
                n.xml.as_deref() == Some(name.name())
                    && name.namespace() == Some(&self.reader.mapping.namespace)
            });
            match node {
                Some(node) => self.apply(node, child, out, identity_of),
                None if identity_of.is_none() => {
                    let message = self.reader.unknown(child, Some(element.tag_name().name()));
                    self.refuse(child, message);
                }
                None => {}
            }
        }
    }

    fn apply(
        &mut self,
        node: &Node,
        element: XmlNode<'a, 'input>,
        out: &mut Map<String, Value>,
        identity_of: Option<&ResourceDef>,
    ) {
        let wanted = |json: &str| {
            identity_of
                .is_none_or(|def| def.natural_key.iter().any(|path| path.split('.').next() == Some(json)))
        };
        match &node.what {
            What::Value { json, kind, school_year } if wanted(json) => {
                match value(element, kind, *school_year) {
                    Ok(value) => self.put(out, json, value, element),
                    Err(message) => self.refuse(element, message),
                }
            }
            What::Members(nodes) => self.children(element, nodes, out, identity_of),
            What::Object { json, members } if wanted(json) => {
                let mut object = Map::new();
                self.children(element, members, &mut object, None);
                self.put_once(out, json, Value::Object(object), element);
            }
            What::Reference { json, reference, members } if wanted(json) => {
                let mut object = Map::new();
                let problems_before = self.problems.len();
                self.children(element, members, &mut object, None);
                if self.problems.len() > problems_before {
                    return;
                }
                if object.is_empty() {
                    let resolved = match element.attribute("ref") {
                        Some(id) => self.resolve(id, reference),
                        None => Err("holds no identity and no ref, so it names nothing".to_owned()),
                    };
                    match resolved {
                        Ok(identity) => object = identity,
                        Err(message) => return self.refuse(element, message),
                    }
                }
                self.put_once(out, json, Value::Object(object), element);
            }
            What::Collection { json, item } if wanted(json) => {
                let mut object = Map::new();
                self.apply(item, element, &mut object, None);
                if let Value::Array(items) = out.entry(*json).or_insert_with(|| Value::Array(Vec::new())) {
                    items.push(Value::Object(object));
                }
            }
            _ => {}
        }
    }

    /// Sets a value; the same key met again (a unified key, held in each identity that has it)
    /// must agree.
    fn put(&mut self, out: &mut Map<String, Value>, json: &str, value: Value, element: XmlNode) {
        match out.get(json) {
            None => {
                out.insert(json.to_owned(), value);
            }
            Some(earlier) if *earlier == value => {}
            Some(earlier) => {
                let message =
                    format!("gives {json} the value {value}, but an earlier element gave it {earlier}");
                self.refuse(element, message);
            }
        }
    }

    fn put_once(&mut self, out: &mut Map<String, Value>, json: &str, value: Value, element: XmlNode) {
        if out.contains_key(json) {
            let name = element.tag_name().name();
            self.refuse(element, format!("<{name}> appears more than once; {json} is one object"));
        } else {
            out.insert(json.to_owned(), value);
        }
    }

    /// The members of `reference` from the identity of the record whose `id` is `id`.
    fn resolve(&self, id: &str, reference: &Reference) -> Result<Map<String, Value>, String> {
        let reader = self.reader;
        let target = match reader.ids.get(id).map(Vec::as_slice) {
            Some([target]) => *target,
            Some(several) => {
                return Err(format!("ref=\"{id}\" is ambiguous: {} records have that id", several.len()))
            }
            None => return Err(format!("ref=\"{id}\" names no record of this file (none has id=\"{id}\")")),
        };
        let name = target.tag_name().name();
        let line = reader.line(target);
        let wanted = resources::find(reference.target)
            .ok_or_else(|| format!("the model has no resource {}", reference.target))?;
        let mapped: &Element = reader
            .mapping
            .element(target)
            .filter(|m| m.resource.name == wanted.name || wanted.subclasses.contains(&m.resource.name))
            .ok_or_else(|| {
                format!("ref=\"{id}\" names <{name}> at line {line}, which is not a {}", wanted.entity_name)
            })?;
        if self.depth >= MAX_REF_DEPTH {
            return Err(format!(
                "ref=\"{id}\" leads through more than {MAX_REF_DEPTH} records: a cycle of refs"
            ));
        }
        let mut walk = Walk { reader, record: target, problems: Vec::new(), depth: self.depth + 1 };
        let mut identity = Map::new();
        walk.children(target, &mapped.members, &mut identity, Some(mapped.resource));
        if let Some(problem) = walk.problems.first() {
            return Err(format!(
                "ref=\"{id}\" names <{name}> at line {line}, whose identity does not convert: <{}> {}",
                problem.element, problem.message
            ));
        }
        let mut out = Map::new();
        for member in reference.members {
            // A subclass (a school for an education organization) has its abstract resource's
            // key under its own names, in the same order.
            let position = wanted.natural_key.iter().position(|p| *p == member.target_path);
            let path = position
                .and_then(|i| mapped.resource.natural_key.get(i))
                .copied()
                .unwrap_or(member.target_path);
            let value = lookup(&identity, path)
                .ok_or_else(|| format!("ref=\"{id}\" names <{name}> at line {line}, which has no {path}"))?;
            out.insert(member.name.to_owned(), value.clone());
        }
        Ok(out)
    }
}

/// The value of an element's text as `kind` takes it.
fn value(element: XmlNode, kind: &Kind, school_year: bool) -> Result<Value, String> {
    if element.children().any(|c| c.is_element()) {
        return Err("holds elements where a value belongs".into());
    }
    let text: String = element.children().filter_map(|c| c.text()).collect();
    let text = text.trim_matches(XML_SPACE);
    if text.is_empty() {
        return Err("is empty (leave an element without a value out)".into());
    }
    if school_year {
        return school_year_of(text);
    }
    match kind {
        Kind::Integer(_) => integer(text),
        Kind::Decimal { .. } => decimal(text),
        Kind::Boolean => match text {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("{text:?} is not a boolean (true, false, 1 or 0)")),
        },
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// `2021-2022` (the XSD's `SchoolYearType`) is the school year the API calls 2022.
fn school_year_of(text: &str) -> Result<Value, String> {
    let years = text.split_once('-').and_then(|(first, second)| {
        let year = |s: &str| {
            (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<i64>().ok())?
        };
        Some((year(first)?, year(second)?))
    });
    match years {
        Some((first, second)) if second == first + 1 => Ok(Value::from(second)),
        _ => Err(format!("{text:?} is not a school year such as 2021-2022")),
    }
}

/// XSD integer digits, with an optional sign and leading zeros.
fn integer(text: &str) -> Result<Value, String> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let digits = !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit());
    let parsed = digits.then(|| text.strip_prefix('+').unwrap_or(text).parse::<i64>().ok()).flatten();
    parsed.map(Value::from).ok_or_else(|| format!("{text:?} is not a whole number"))
}

/// An XSD decimal (`7.20`, `-.5`, `12.`) as the JSON number it denotes: an integer when it has
/// no fraction, else the nearest double, which is exact within [`MAX_EXACT_DIGITS`] digits.
fn decimal(text: &str) -> Result<Value, String> {
    let negative = text.starts_with('-');
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let well_formed = !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit());
    if !well_formed {
        return Err(format!("{text:?} is not a decimal number"));
    }
    let (whole, fraction) = (whole.trim_start_matches('0'), fraction.trim_end_matches('0'));
    if format!("{whole}{fraction}").trim_start_matches('0').len() > MAX_EXACT_DIGITS {
        return Err(format!(
            "{text:?} has more than {MAX_EXACT_DIGITS} significant digits, which a JSON number does not keep"
        ));
    }
    let sign = if negative { "-" } else { "" };
    let whole = if whole.is_empty() { "0" } else { whole };
    let number = if fraction.is_empty() {
        format!("{sign}{whole}").parse::<i64>().map(Value::from).ok()
    } else {
        format!("{sign}{whole}.{fraction}").parse::<f64>().ok().map(Value::from)
    };
    number.ok_or_else(|| format!("{text:?} is not a decimal number"))
}
