//! What a load will send: every interchange file of a directory read and converted with the
//! model (`edfi_core::interchange`), grouped into the API's dependency levels, each record with
//! the digest that names it in the journal and the ETag its content will have.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use edfi_core::interchange;
use edfi_core::model::{Field, Kind, ResourceDef};
use edfi_core::{openapi, resources, validate, wire};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub file: String,
    pub line: u32,
    pub element: String,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} <{}>", self.file, self.line, self.element)
    }
}

/// One record to send.
#[derive(Debug, Clone)]
pub struct Record {
    pub resource: &'static ResourceDef,
    /// The JSON body, as sent.
    pub body: Vec<u8>,
    /// What `If-None-Match` says: the ETag an item holding exactly this content has (quoted), so
    /// such an item is left alone; or `*` for a record that only names an item (a top-level
    /// `…Reference`), which creates it if absent and never overwrites it.
    pub if_none_match: String,
    /// SHA-256 of the endpoint and the body, in hex: the record's name in the journal.
    pub digest: String,
    pub source: Source,
    /// Only names an item (a top-level `…Reference`): sent create-only.
    pub identity_only: bool,
}

/// Something in a file that is not sent: unreadable XML, or an element the model does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub element: String,
    pub message: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)?;
        if !self.element.is_empty() {
            write!(f, " <{}>", self.element)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything a directory holds, in the order it must be sent.
#[derive(Debug, Default)]
pub struct Plan {
    pub directory: PathBuf,
    pub files: usize,
    /// Resources by dependency level: everything a level references is in an earlier one.
    pub levels: Vec<Vec<&'static ResourceDef>>,
    /// Each resource's records in file order (files by name, records as they appear).
    pub records: BTreeMap<&'static str, Vec<Record>>,
    /// Records that appeared more than once with the same body: sent once.
    pub duplicates: BTreeMap<&'static str, usize>,
    /// Records of a natural key that a later record of the same key replaces (the files' order
    /// decides, as sending both in order would), or that only name an item another record
    /// holds in full: not sent.
    pub superseded: BTreeMap<&'static str, usize>,
    pub problems: Vec<FileProblem>,
}

impl Plan {
    pub fn record_count(&self) -> usize {
        self.records.values().map(Vec::len).sum()
    }
}

/// Reads every `*.xml` file of `directory` whose root is an `Interchange…` element; a file that
/// cannot be read or converted is a problem of the plan, and the other files still load.
pub fn read_directory(directory: &Path) -> Result<Plan, String> {
    let entries = std::fs::read_dir(directory).map_err(|e| format!("{}: {e}", directory.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("xml")) && path.is_file())
        .collect();
    paths.sort();
    let mut plan = Plan { directory: directory.to_owned(), files: paths.len(), ..Plan::default() };
    let mut seen: HashSet<String> = HashSet::new();
    // Natural key → the position of the record chosen for it among its resource's records.
    let mut chosen: HashMap<(&'static str, String), usize> = HashMap::new();
    for path in &paths {
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                plan.problems.push(FileProblem {
                    file,
                    line: 0,
                    column: 0,
                    element: String::new(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let converted = match interchange::read(&text) {
            Ok(converted) => converted,
            Err(refused) => {
                plan.problems.push(problem(&file, refused));
                continue;
            }
        };
        plan.problems.extend(converted.refused.into_iter().map(|refused| problem(&file, refused)));
        for record in converted.records {
            let source = Source { file: file.clone(), line: record.line, element: record.element.clone() };
            let body = serde_json::to_vec(&record.body).expect("a JSON value serializes");
            let digest = digest(record.resource.name, &body);
            if !seen.insert(digest.clone()) {
                *plan.duplicates.entry(record.resource.name).or_default() += 1;
                continue;
            }
            let if_none_match = match wire::content_etag(&record.body) {
                Some(etag) if !record.is_identity_only() => etag.to_string(),
                _ => edfi_core::wire::ANY_TAG.to_owned(),
            };
            let identity_only = record.is_identity_only();
            let resource = record.resource;
            let candidate = Record { resource, body, if_none_match, digest, source, identity_only };
            let records = plan.records.entry(resource.name).or_default();
            let key = (resource.name, natural_key(resource, &record.body, &candidate.digest));
            match chosen.get(&key).copied() {
                None => {
                    chosen.insert(key, records.len());
                    records.push(candidate);
                }
                // A record that only names an item never replaces one that holds it.
                Some(_) if identity_only => *plan.superseded.entry(resource.name).or_default() += 1,
                Some(position) => {
                    records[position] = candidate;
                    *plan.superseded.entry(resource.name).or_default() += 1;
                }
            }
        }
    }
    add_school_years(&mut plan);
    plan.levels = levels(plan.records.keys().map(|name| resources::get(name)).collect());
    Ok(plan)
}

/// What the records' school years come from: interchange files hold no `SchoolYearType` (it is
/// an XSD enumeration, and an ODS/API database ships with its rows), while this API keeps school
/// years as items that references must resolve to. So each school year the records refer to is
/// sent create-only (`If-None-Match: *`): made if absent, never changed if present.
const SCHOOL_YEARS: &str = "schoolYearTypes";
pub const SCHOOL_YEARS_SOURCE: &str = "(school years the files refer to)";

fn add_school_years(plan: &mut Plan) {
    if plan.records.contains_key(SCHOOL_YEARS) {
        return;
    }
    let mut years = std::collections::BTreeSet::new();
    for record in plan.records.values().flatten() {
        if let Ok(body) = serde_json::from_slice::<Value>(&record.body) {
            school_years_in(record.resource.fields, &body, &mut years);
        }
    }
    let Some(def) = resources::find(SCHOOL_YEARS) else { return };
    let records: Vec<Record> = years
        .into_iter()
        .map(|year| {
            let body = serde_json::json!({
                "schoolYear": year,
                "schoolYearDescription": format!("{}-{year}", year - 1),
                "currentSchoolYear": false,
            });
            let body = serde_json::to_vec(&body).expect("a JSON value serializes");
            Record {
                resource: def,
                digest: digest(def.name, &body),
                body,
                if_none_match: edfi_core::wire::ANY_TAG.to_owned(),
                source: Source {
                    file: SCHOOL_YEARS_SOURCE.to_owned(),
                    line: 0,
                    element: "SchoolYear".to_owned(),
                },
                identity_only: true,
            }
        })
        .collect();
    if !records.is_empty() {
        plan.records.insert(def.name, records);
    }
}

/// The years of every school-year reference in `value`, at any depth.
fn school_years_in(fields: &[Field], value: &Value, years: &mut std::collections::BTreeSet<i64>) {
    for field in fields {
        let Some(member) = value.get(field.name) else { continue };
        match &field.kind {
            Kind::Reference(reference) if reference.target == SCHOOL_YEARS => {
                years.extend(
                    reference.members.iter().filter_map(|m| member.get(m.name).and_then(Value::as_i64)),
                );
            }
            Kind::Object(inner) => school_years_in(inner, member, years),
            Kind::Collection { item, .. } => {
                for each in member.as_array().into_iter().flatten() {
                    school_years_in(item, each, years);
                }
            }
            _ => {}
        }
    }
}

fn problem(file: &str, refused: interchange::Refused) -> FileProblem {
    FileProblem {
        file: file.to_owned(),
        line: refused.line,
        column: refused.column,
        element: refused.element,
        message: refused.message,
    }
}

/// The record's name: SHA-256 of its endpoint and body, hex.
pub fn digest(endpoint: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(endpoint.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The item a record names, as the API tells items apart (`validate::natural_key`: descriptors
/// ignore case, nothing else does), to send records of one item in file order. A record without
/// its whole key names no item: it is its own, sent for the API to refuse.
fn natural_key(def: &ResourceDef, body: &Value, digest: &str) -> String {
    body.as_object()
        .and_then(|members| validate::natural_key(def, members))
        .unwrap_or_else(|| digest.to_owned())
}

/// The resources grouped by the API's load order (`/metadata/data/v3/dependencies`).
fn levels(defs: Vec<&'static ResourceDef>) -> Vec<Vec<&'static ResourceDef>> {
    let orders = openapi::load_orders(resources::all());
    let mut by_order: BTreeMap<usize, Vec<&'static ResourceDef>> = BTreeMap::new();
    for def in defs {
        by_order.entry(orders.get(def.name).copied().unwrap_or(usize::MAX)).or_default().push(def);
    }
    by_order.into_values().collect()
}
