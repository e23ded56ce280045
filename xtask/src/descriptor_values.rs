//! Ed-Fi's default descriptor values for DS 5.2. `cargo xtask gen-descriptors` reads them from
//! `../shared/edfi/descriptors/` (interchange XML) into `xtask/data/ds-5.2-descriptors.json`,
//! committed because a fresh clone has no `../shared/`; `cargo xtask dev` loads them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::Result;

/// The committed values, by endpoint.
const COMMITTED: &str = include_str!("../data/ds-5.2-descriptors.json");

/// Where the generator writes, relative to the repository root.
pub const OUTPUT: &str = "xtask/data/ds-5.2-descriptors.json";

/// The interchange element of each member of a descriptor, and its JSON name.
const MEMBERS: [(&str, &str); 6] = [
    ("Namespace", "namespace"),
    ("CodeValue", "codeValue"),
    ("ShortDescription", "shortDescription"),
    ("Description", "description"),
    ("EffectiveBeginDate", "effectiveBeginDate"),
    ("EffectiveEndDate", "effectiveEndDate"),
];

/// The committed default values: (descriptor endpoint, its items), endpoints in order.
pub fn committed() -> Vec<(String, Vec<Value>)> {
    let by_endpoint: BTreeMap<String, Vec<Value>> =
        serde_json::from_str(COMMITTED).expect("the committed descriptor values are JSON");
    by_endpoint.into_iter().collect()
}

/// Reads every descriptor file under `edfi` (`../shared/edfi`) and returns the generated text.
pub fn generate(edfi: &Path) -> Result<String> {
    let facts = std::fs::read_to_string(edfi.join("apischema/ds-5.2-project-facts.json"))
        .map_err(|e| format!("{}: {e}", edfi.display()))?;
    let facts: Value = serde_json::from_str(&facts).map_err(|e| format!("project facts: {e}"))?;
    let endpoints = facts["caseInsensitiveEndpointNameMapping"]
        .as_object()
        .ok_or("project facts have no caseInsensitiveEndpointNameMapping")?;
    let mut files: Vec<_> = std::fs::read_dir(edfi.join("descriptors"))
        .map_err(|e| format!("{}/descriptors: {e}", edfi.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "xml"))
        .collect();
    files.sort();
    let mut by_endpoint: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let document = roxmltree::Document::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        for element in document.root_element().children().filter(roxmltree::Node::is_element) {
            let name = element.tag_name().name();
            let endpoint = endpoints
                .get(&format!("{}s", name.to_ascii_lowercase()))
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{}: <{name}> is no descriptor endpoint", file.display()))?;
            let mut item = Map::new();
            for child in element.children().filter(roxmltree::Node::is_element) {
                let member = MEMBERS
                    .iter()
                    .find(|(xml, _)| *xml == child.tag_name().name())
                    .map(|(_, json)| *json)
                    .ok_or_else(|| {
                        format!("{}: <{name}> has an unknown <{}>", file.display(), child.tag_name().name())
                    })?;
                item.insert(member.to_owned(), Value::from(child.text().unwrap_or_default().trim()));
            }
            by_endpoint.entry(endpoint.to_owned()).or_default().push(Value::Object(item));
        }
    }
    Ok(render(&by_endpoint))
}

/// One item a line, so a change to Ed-Fi's defaults reads as a small diff.
fn render(by_endpoint: &BTreeMap<String, Vec<Value>>) -> String {
    let mut out = String::from("{\n");
    for (i, (endpoint, items)) in by_endpoint.iter().enumerate() {
        out.push_str(&format!("  {}: [\n", Value::from(endpoint.as_str())));
        for (j, item) in items.iter().enumerate() {
            let comma = if j + 1 < items.len() { "," } else { "" };
            out.push_str(&format!("    {item}{comma}\n"));
        }
        out.push_str(if i + 1 < by_endpoint.len() { "  ],\n" } else { "  ]\n" });
    }
    out.push_str("}\n");
    out
}

/// `cargo xtask gen-descriptors`: regenerates the committed file from `../shared/edfi/`.
pub fn write(root: &Path) -> Result<()> {
    let text = generate(&root.join("../shared/edfi"))?;
    std::fs::write(root.join(OUTPUT), &text).map_err(|e| format!("{OUTPUT}: {e}"))?;
    let values: usize = committed_count(&text);
    println!("wrote {OUTPUT}: {values} descriptor values");
    Ok(())
}

fn committed_count(text: &str) -> usize {
    let by_endpoint: BTreeMap<String, Vec<Value>> = serde_json::from_str(text).unwrap_or_default();
    by_endpoint.values().map(Vec::len).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edfi() -> std::path::PathBuf {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let edfi = root.join("../shared/edfi");
        assert!(
            edfi.is_dir(),
            "{} is missing: the generator tests read Ed-Fi's material there",
            edfi.display()
        );
        edfi
    }

    #[test]
    fn the_committed_values_are_what_the_generator_makes() {
        let generated = generate(&edfi()).unwrap();
        assert!(generated == COMMITTED, "{OUTPUT} is stale: run `cargo xtask gen-descriptors`");
    }

    #[test]
    fn every_value_is_a_valid_descriptor_of_its_endpoint() {
        let values = committed();
        let total: usize = values.iter().map(|(_, items)| items.len()).sum();
        assert!(total > 3_000, "{total} values");
        // Any descriptor definition checks the shape all descriptors share.
        let shape = edfi_core::resources::get("gradeLevelDescriptors");
        for (endpoint, items) in &values {
            assert!(endpoint.ends_with("Descriptors"), "{endpoint}");
            for item in items {
                let object = item.as_object().unwrap();
                if let Err(errors) = edfi_core::validate::validate(shape, object) {
                    panic!("{endpoint} {item}: {errors:?}");
                }
                let namespace = object["namespace"].as_str().unwrap();
                assert!(namespace.starts_with("uri://ed-fi.org/"), "{namespace}");
            }
        }
    }
}
