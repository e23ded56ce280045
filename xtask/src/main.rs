//! Development tasks, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).

mod seed;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use edfi_blackbox::{free_port, fresh_dir, ServerConfig, WranglerServer};

pub type Result<T> = std::result::Result<T, String>;

/// How long a `wrangler dev` of an already built Worker may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// Students in the sample data.
const SEED_STUDENTS: usize = 300;

#[derive(Parser)]
#[command(about = "Development tasks for the Ed-Fi edge API")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install what is missing, build, seed sample data and serve the API on 127.0.0.1.
    Dev {
        #[arg(long, default_value_t = 8787)]
        port: u16,
        /// Start from empty state instead of the data kept in `.wrangler/state`.
        #[arg(long)]
        fresh: bool,
    },
    /// Install what is missing, run the native tests, then the black-box tests against a
    /// `wrangler dev` of its own (free port, fresh state).
    Test {
        /// Arguments passed to the test binaries (a name filter, `--nocapture`, ...).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        test_args: Vec<String>,
    },
    /// Build the Worker into `edge/build/` (wrangler's `[build] command`).
    BuildWorker,
    /// Load the sample data into a running API.
    Seed {
        #[arg(long, default_value = "http://127.0.0.1:8787")]
        url: String,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Task::Dev { port, fresh } => dev(port, fresh),
        Task::Test { test_args } => test(&test_args),
        Task::BuildWorker => build_worker(),
        Task::Seed { url } => seed::load(&url, SEED_STUDENTS).map(|(created, present)| {
            println!("seeded {created} students ({present} were already there)");
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn build_worker() -> Result<()> {
    tools::ensure(&root())?.build_worker()
}

fn dev(port: u16, fresh: bool) -> Result<()> {
    let root = root();
    let tools = tools::ensure(&root)?;
    tools.build_worker()?;
    let state = root.join(".wrangler/state");
    if fresh {
        fresh_dir(&state).map_err(|e| format!("cannot clear {}: {e}", state.display()))?;
    }
    let config = ServerConfig {
        root: root.clone(),
        node: tools.node.clone(),
        port,
        persist_dir: state,
        vars: Vec::new(),
        log_file: None,
        prebuilt: true,
        own_process_group: false,
    };
    let mut server = WranglerServer::start(config, START_TIMEOUT)?;
    let base = server.base_url();
    let (created, present) = seed::load(&base, SEED_STUDENTS)?;
    println!(
        "\nEd-Fi edge API on {base}  (seeded {created} students, {present} already there)\n\
         \n  curl -s {base}/\
         \n  curl -s '{base}/data/v3/ed-fi/students?limit=2&totalCount=true' -i\
         \n\nState persists in .wrangler/state (`cargo xtask dev --fresh` starts empty). Ctrl-C stops.\n"
    );
    let status = server.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("wrangler dev exited with {status}"))
    }
}

fn test(test_args: &[String]) -> Result<()> {
    let started = Instant::now();
    let root = root();
    let tools = tools::ensure(&root)?;
    eprintln!("xtask: native tests");
    let native = run_tests(
        Command::new(tools::cargo())
            .current_dir(&root)
            .args(["test", "--workspace", "--exclude", "edfi-blackbox", "--"])
            .args(test_args),
    )?;
    eprintln!("xtask: building the Worker");
    tools.build_worker()?;
    let port = free_port().map_err(|e| e.to_string())?;
    let state = fresh_dir(&root.join(format!("target/blackbox-state/{port}")))
        .map_err(|e| e.to_string())?;
    let config = ServerConfig {
        root: root.clone(),
        node: tools.node.clone(),
        port,
        persist_dir: state,
        vars: Vec::new(),
        log_file: Some(root.join(format!("target/wrangler-{port}.log"))),
        prebuilt: true,
        own_process_group: true,
    };
    eprintln!("xtask: starting wrangler dev on 127.0.0.1:{port}");
    let server = WranglerServer::start(config, START_TIMEOUT)?;
    eprintln!("xtask: black-box tests against {}", server.base_url());
    let blackbox = run_tests(
        Command::new(tools::cargo())
            .current_dir(&root)
            .args(["test", "-p", "edfi-blackbox", "--"])
            .args(test_args)
            .env("EDFI_BASE_URL", server.base_url())
            .env("EDFI_ROOT", &root)
            .env("EDFI_NODE", &tools.node),
    );
    drop(server);
    let blackbox = blackbox?;
    println!(
        "\nxtask: native {native}; black-box {blackbox}; {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let total = native + blackbox;
    println!("{} passed, {} failed", total.passed, total.failed);
    if total.failed > 0 {
        return Err(format!("{} tests failed", total.failed));
    }
    Ok(())
}

/// Test counts summed over the `test result:` lines of a `cargo test` run.
#[derive(Clone, Copy, Default, Debug)]
struct TestCounts {
    passed: u64,
    failed: u64,
    ignored: u64,
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
        write!(
            f,
            "{} passed, {} failed, {} ignored",
            self.passed, self.failed, self.ignored
        )
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
        Some(Self {
            passed: count(" passed"),
            failed: count(" failed"),
            ignored: count(" ignored"),
        })
    }
}

/// Runs `cargo test`, echoing its output, and sums its results. A failing run is an error.
fn run_tests(command: &mut Command) -> Result<TestCounts> {
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

/// Runs a command to completion; a non-zero exit is an error.
pub fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed with {status}"))
    }
}
