//! `cargo xtask gen-model`: the Ed-Fi Data Standard 5.2 model, generated from the official XSD
//! (`../shared/edfi/Ed-Fi-Core-5.2.xsd`) and, where the XSD is silent, the ApiSchema project
//! facts (`apischema/ds-5.2-project-facts.json`: endpoint spellings, updatable identities).
//! Writes `core/model/ds-5.2.json`; a test checks the committed file is what this produces.

mod build;
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
    build::build(&schema, &build::Facts::from_json(&facts)?)
}

/// The text of the committed file for the material in `edfi`.
pub fn render(edfi: &Path) -> Result<String> {
    Ok(json::render(&generate(edfi)?))
}

pub fn run(root: &Path) -> Result<()> {
    let text = render(&material(root))?;
    let out = root.join(OUTPUT);
    std::fs::create_dir_all(out.parent().expect("a parent")).map_err(|e| e.to_string())?;
    std::fs::write(&out, &text).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("wrote {} ({} bytes)", out.display(), text.len());
    Ok(())
}
