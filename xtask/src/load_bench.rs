//! `cargo xtask bench-load`: the bulk loader (`edfi-admin load`) end to end on a server of its
//! own: Ed-Fi's default descriptors, then the Grand Bend sample district from
//! `../shared/edfi/sample-xml/`, each into a new instance, at each parallelism asked for. Prints
//! the loader's table of the first district load and the records/s of every run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use edfi_blackbox::{fresh_dir, Secrets};

use crate::{tools, Result};

pub fn run(root: &Path, on_workerd: bool, parallelisms: &[usize]) -> Result<()> {
    let edfi = root.join("../shared/edfi");
    let (descriptors, district) = (edfi.join("descriptors"), edfi.join("sample-xml"));
    if !district.is_dir() {
        return Err(format!(
            "{} is not there: the bench loads Ed-Fi's sample district from it",
            district.display()
        ));
    }
    let tools = tools::ensure(root)?;
    tools.build_worker()?;
    crate::run(Command::new(tools::cargo()).current_dir(root).args([
        "build",
        "--release",
        "-p",
        "edfi-admin",
    ]))?;
    let loader = root.join("target/release/edfi-admin");
    let state = fresh_dir(&root.join("target/bench/load-state")).map_err(|e| e.to_string())?;
    let secrets = Secrets::generate().map_err(|e| e.to_string())?;
    let server = crate::bench::Server::start(
        root,
        &tools,
        &state,
        secrets.vars(),
        on_workerd,
        None,
        "load-wrangler.log",
    )?;
    let base = server.base_url();
    let admin_token = crate::client::token(&base, &secrets.admin_key, &secrets.admin_secret)?
        .ok_or("the administrator's credential was refused")?;
    let runtime = if on_workerd { "workerd" } else { "wrangler dev" };
    let mut rates = Vec::new();
    for (i, parallel) in parallelisms.iter().enumerate() {
        let instance = format!("load-bench-{i}");
        let (key, secret) = crate::client::create_client(&base, &admin_token, &instance, &instance)?;
        for (what, dir) in [("descriptors", &descriptors), ("district", &district)] {
            let journal = state.join(format!("{instance}-{what}.journal"));
            let report = state.join(format!("{instance}-{what}.json"));
            let started = Instant::now();
            let output = Command::new(&loader)
                .arg("load")
                .arg(dir)
                .args(["--url", &base, "--key", &key, "--parallel", &parallel.to_string(), "--journal"])
                .arg(&journal)
                .arg("--report-json")
                .arg(&report)
                .env("EDFI_SECRET", &secret)
                .output()
                .map_err(|e| format!("{}: {e}", loader.display()))?;
            let seconds = started.elapsed().as_secs_f64();
            if !matches!(output.status.code(), Some(0 | 3)) {
                return Err(format!("the load failed: {}", String::from_utf8_lossy(&output.stderr)));
            }
            let report: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&report).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            let records: u64 = report["resources"]
                .as_object()
                .map_or(0, |r| r.values().filter_map(|t| t["records"].as_u64()).sum());
            if what == "district" && i == 0 {
                println!("{}", String::from_utf8_lossy(&output.stdout));
            }
            rates.push((what, *parallel, records, seconds));
        }
    }
    println!("| {runtime} | parallel | records | seconds | records/s |\n|---|---:|---:|---:|---:|");
    for (what, parallel, records, seconds) in rates {
        println!("| {what} | {parallel} | {records} | {seconds:.1} | {:.0} |", records as f64 / seconds);
    }
    Ok(())
}
