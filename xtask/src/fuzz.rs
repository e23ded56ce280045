//! `cargo xtask fuzz`: builds the libFuzzer targets in `fuzz/` with coverage instrumentation (on
//! the stable toolchain, as cargo-fuzz does without a sanitizer) and runs each for a bounded time.

use std::path::Path;
use std::process::Command;

use crate::{tools, Result};

pub const TARGETS: [&str; 4] = ["entity_tags", "canonical_json", "request_bodies", "token_requests"];

const COVERAGE_FLAGS: &str = "--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks";

/// What one target's run did.
pub struct FuzzRun {
    pub executions: u64,
    pub seconds: u64,
}

/// Builds and runs `targets` for `seconds` each; a crash is an error naming the input saved.
pub fn run(root: &Path, targets: &[&'static str], seconds: u64) -> Result<Vec<FuzzRun>> {
    let out = root.join("target/fuzz");
    let host = host_triple()?;
    crate::run(
        Command::new(tools::cargo())
            .current_dir(root.join("fuzz"))
            .args(["build", "--release", "--target", &host, "--target-dir"])
            .arg(&out)
            .env("RUSTFLAGS", COVERAGE_FLAGS),
    )?;
    let mut runs = Vec::new();
    for &target in targets {
        let corpus = out.join("corpus").join(target);
        let artifacts = out.join("artifacts").join(target);
        for dir in [&corpus, &artifacts] {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let seeds = root.join("fuzz/seeds").join(target);
        let output = Command::new(out.join(&host).join("release").join(target))
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            .arg("-print_final_stats=1")
            .arg(&corpus)
            .args(seeds.exists().then_some(&seeds))
            .output()
            .map_err(|e| format!("cannot run fuzz target {target}: {e}"))?;
        let log = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            let tail: Vec<&str> = log.lines().rev().take(25).collect::<Vec<_>>().into_iter().rev().collect();
            return Err(format!(
                "fuzz target {target} crashed; the input is in {}\n{}",
                artifacts.display(),
                tail.join("\n")
            ));
        }
        let executions = log
            .lines()
            .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        println!("fuzz: {target}: {executions} executions in {seconds} s, no crash");
        runs.push(FuzzRun { executions, seconds });
    }
    Ok(runs)
}

fn host_triple() -> Result<String> {
    let out = Command::new("rustc").arg("-vV").output().map_err(|e| format!("cannot run rustc: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV named no host".to_owned())
}
