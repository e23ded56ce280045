//! `cargo xtask gen-model`: the Ed-Fi Data Standard 5.2 model, generated from the official XSD
//! (`../shared/edfi/Ed-Fi-Core-5.2.xsd`) and, where the XSD is silent, the ApiSchema project
//! facts (`apischema/ds-5.2-project-facts.json`: endpoint spellings, updatable identities).
//! Writes `core/model/ds-5.2.json` and, from the same build, the interchange XML mapping
//! `core/model/ds-5.2-interchange.json`; tests check the committed files are what this produces.

mod build;
mod interchange;
mod json;
mod model;
mod naming;
#[cfg(test)]
mod tests;
mod xsd;

use std::path::{Path, PathBuf};

use crate::Result;

/// Where the committed model lives, relative to the repository root.
pub const OUTPUT: &str = "core/model/ds-5.2.json";

/// Where the committed interchange mapping lives: which XML element and path each resource and
/// JSON member comes from, for `edfi_core::interchange` (feature `interchange`).
pub const INTERCHANGE_OUTPUT: &str = "core/model/ds-5.2-interchange.json";

/// The Ed-Fi material, beside the repository (`../shared/edfi/`).
pub fn material(root: &Path) -> PathBuf {
    root.join("../shared/edfi")
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The model generated from the material in `edfi`.
pub fn generate(edfi: &Path) -> Result<model::Model> {
    let schema = xsd::parse(&read(&edfi.join("Ed-Fi-Core-5.2.xsd"))?)?;
    let facts: serde_json::Value =
        serde_json::from_str(&read(&edfi.join("apischema/ds-5.2-project-facts.json"))?)
            .map_err(|e| format!("project facts: {e}"))?;
    let mut interchanges = Vec::new();
    for path in interchange_schemas(edfi)? {
        interchanges
            .push(xsd::parse_interchange(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    build::build(&schema, &build::Facts::from_json(&facts)?, &interchanges)
}

/// `xsd/Interchange-*.xsd`, in name order.
fn interchange_schemas(edfi: &Path) -> Result<Vec<PathBuf>> {
    let dir = edfi.join("xsd");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("Interchange-")))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The texts of the two committed files for the material in `edfi`: the model and its
/// interchange mapping.
pub fn render(edfi: &Path) -> Result<(String, String)> {
    let model = generate(edfi)?;
    Ok((json::render(&model), interchange::render(&model)?))
}

pub fn run(root: &Path) -> Result<()> {
    let (model, mapping) = render(&material(root))?;
    for (path, text) in [(OUTPUT, model), (INTERCHANGE_OUTPUT, mapping)] {
        let out = root.join(path);
        std::fs::create_dir_all(out.parent().expect("a parent")).map_err(|e| e.to_string())?;
        std::fs::write(&out, &text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        println!("wrote {} ({} bytes)", out.display(), text.len());
    }
    Ok(())
}
