//! The ETag's cost against raw SHA-256, from the criterion bench `core/benches/etag.rs`.

use std::path::Path;
use std::process::Command;

use crate::{tools, Result};

/// Mean times of one document size, in ns.
pub struct EtagCost {
    pub bytes: usize,
    /// Canonical JSON and SHA-256: what a write pays for its ETag.
    pub canonical_and_hash: f64,
    /// Canonical JSON alone, to show where the time goes.
    pub canonical_only: f64,
    /// SHA-256 of the same bytes, the target's yardstick.
    pub raw_hash: f64,
}

/// The costs for the 1 KiB and 16 KiB documents.
pub fn measure(root: &Path) -> Result<Vec<EtagCost>> {
    crate::run(Command::new(tools::cargo()).current_dir(root).args([
        "bench",
        "-p",
        "edfi-core",
        "--bench",
        "etag",
        "--",
        "--warm-up-time",
        "1",
        "--measurement-time",
        "3",
    ]))?;
    let mean = |name: &str, size: usize| -> Result<f64> {
        let path = root.join(format!("target/criterion/etag/{name}/{size}/new/estimates.json"));
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let estimates: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        estimates["mean"]["point_estimate"].as_f64().ok_or_else(|| format!("no mean in {}", path.display()))
    };
    [1024, 16 * 1024]
        .into_iter()
        .map(|bytes| {
            Ok(EtagCost {
                bytes,
                canonical_and_hash: mean("canonical+sha256", bytes)?,
                canonical_only: mean("canonical-only", bytes)?,
                raw_hash: mean("raw-sha256", bytes)?,
            })
        })
        .collect()
}
