//! Running `cargo test` and adding up its results, so `cargo xtask test` ends on one
//! `N passed, N failed` line for all layers.

use std::process::Command;

use crate::Result;

/// Test counts summed over the `test result:` lines of a `cargo test` run.
#[derive(Clone, Copy, Default, Debug)]
pub struct TestCounts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl std::ops::Add for TestCounts {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self {
            passed: self.passed + other.passed,
            failed: self.failed + other.failed,
            ignored: self.ignored + other.ignored,
        }
    }
}

impl std::fmt::Display for TestCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed, {} ignored", self.passed, self.failed, self.ignored)
    }
}

impl TestCounts {
    /// Reads `test result: ok. 3 passed; 0 failed; 1 ignored; ...`.
    fn from_line(line: &str) -> Option<Self> {
        let rest = line.trim().strip_prefix("test result: ")?;
        let count = |label: &str| {
            rest.split(['.', ';'])
                .map(str::trim)
                .find_map(|part| part.strip_suffix(label)?.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        Some(Self { passed: count(" passed"), failed: count(" failed"), ignored: count(" ignored") })
    }
}

/// Runs `cargo test`, echoing its output, and sums its results. A failing run is an error.
pub fn run_tests(command: &mut Command) -> Result<TestCounts> {
    use std::io::{BufRead, BufReader};
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    let mut counts = TestCounts::default();
    for line in BufReader::new(child.stdout.take().expect("piped stdout")).lines() {
        let line = line.map_err(|e| e.to_string())?;
        println!("{line}");
        if let Some(result) = TestCounts::from_line(&line) {
            counts = counts + result;
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(counts)
    } else {
        println!("{} passed, {} failed", counts.passed, counts.failed.max(1));
        Err(format!("{command:?} failed with {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::TestCounts;

    #[test]
    fn reads_cargo_test_result_lines() {
        let counts = TestCounts::from_line(
            "test result: FAILED. 16 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 4.29s",
        )
        .unwrap();
        assert_eq!((counts.passed, counts.failed, counts.ignored), (16, 2, 1));
        assert!(TestCounts::from_line("running 3 tests").is_none());
    }
}
