//! Development tasks, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).

mod bench;
mod client;
mod contention;
mod descriptor_values;
mod dev_vars;
mod etag_cost;
mod fuzz;
mod heavy_query;
mod lean_http;
mod load_bench;
mod model_gen;
mod profile;
mod replica_lag;
mod seed;
mod startup;
mod test_run;
mod tools;
mod workerd;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use edfi_blackbox::{free_port, fresh_dir, Secrets, ServerConfig, WranglerServer};

pub type Result<T> = std::result::Result<T, String>;

/// How long a `wrangler dev` of an already built Worker may take to answer.
/// `[vars]` of the black-box suite's server (tests/tests/api/replica.rs relies on them).
const TEST_SERVER_VARS: [(&str, &str); 2] =
    [("READ_PATH_BY_INSTANCE", "edge-reads=edge"), ("HISTORY_MAX_VERSIONS", "5")];
/// Each fuzz target's share of `cargo xtask test`: a smoke run; `cargo xtask fuzz` runs longer.
const FUZZ_SECONDS_IN_TEST: u64 = 10;
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

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
    /// Measure the write rate of one instance as its data grows (report in target/bench/).
    Bench {
        /// Students to load in total (rates are reported at 1k, 10k, 100k on the way).
        #[arg(long, default_value_t = 10_000)]
        documents: usize,
        /// Run on workerd directly instead of `wrangler dev` (no dev proxy, no KV replica).
        #[arg(long)]
        workerd: bool,
    },
    /// Measure one instance's storage natively as it grows past every resource type (the
    /// production SQL on SQLite): µs per create, conditional PUT and GET, and bytes per document.
    BenchStorage {
        /// Blocks of 5,000 students and 5,000 enrollments.
        #[arg(long, default_value_t = 20)]
        blocks: usize,
    },
    /// Measure what the model costs a new isolate on workerd, and the Worker bundle's sizes.
    BenchStartup,
    /// Measure the bulk loader on the Grand Bend sample district (`../shared/edfi/sample-xml/`).
    BenchLoad {
        /// Run on workerd directly instead of `wrangler dev`.
        #[arg(long)]
        workerd: bool,
        /// Loader parallelisms to measure, each into a new instance.
        #[arg(long, value_delimiter = ',', default_value = "8")]
        parallel: Vec<usize>,
    },
    /// Run the coverage-guided fuzz targets (fuzz/) for a bounded time each.
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Only this target (entity_tags, canonical_json, request_bodies, token_requests).
        #[arg(long)]
        target: Option<String>,
    },
    /// Build the Worker into `edge/build/` (wrangler's `[build] command`).
    BuildWorker,
    /// Regenerate xtask/data/ds-5.2-descriptors.json from ../shared/edfi/descriptors/.
    GenDescriptors,
    /// Generate the Ed-Fi model (`core/model/ds-5.2.json`) from `../shared/edfi/`.
    GenModel,
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
        Task::Bench { documents, workerd } => bench::run(&root(), documents, workerd),
        Task::BenchStorage { blocks } => run(Command::new(tools::cargo()).current_dir(root()).args([
            "bench",
            "-p",
            "edfi-edge",
            "--features",
            "native-sqlite",
            "--bench",
            "storage_growth",
            "--",
            &blocks.to_string(),
        ])),
        Task::BenchStartup => startup::run(&root()),
        Task::BenchLoad { workerd, parallel } => load_bench::run(&root(), workerd, &parallel),
        Task::Fuzz { seconds, target } => {
            let targets: Vec<&'static str> = fuzz::TARGETS
                .into_iter()
                .filter(|t| target.as_deref().is_none_or(|only| only == *t))
                .collect();
            if targets.is_empty() {
                Err(format!("no fuzz target named {target:?}; targets: {:?}", fuzz::TARGETS))
            } else {
                fuzz::run(&root(), &targets, seconds).map(|runs| {
                    let executions: u64 = runs.iter().map(|r| r.executions).sum();
                    let seconds: u64 = runs.iter().map(|r| r.seconds).sum();
                    println!(
                        "fuzz: {executions} executions in {seconds} s over {} targets, no crash",
                        runs.len()
                    );
                })
            }
        }
        Task::BuildWorker => build_worker(),
        Task::GenDescriptors => descriptor_values::write(&root()),
        Task::GenModel => model_gen::run(&root()),
        Task::Seed { url } => dev_vars::ensure(&root())
            .and_then(|secrets| dev_vars::dev_client(&root(), &url, &secrets))
            .and_then(|(_, _, token)| seed::load(&url, &token))
            .map(|loaded| {
                println!("seeded {} items ({} were already there)", loaded.created, loaded.present)
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
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn build_worker() -> Result<()> {
    tools::ensure(&root())?.build_worker()
}

fn dev(port: u16, fresh: bool) -> Result<()> {
    let root = root();
    let tools = tools::ensure(&root)?;
    tools.build_worker()?;
    let secrets = dev_vars::ensure(&root)?;
    let state = root.join(".wrangler/state");
    if fresh {
        fresh_dir(&state).map_err(|e| format!("cannot clear {}: {e}", state.display()))?;
    }
    // Shares the terminal's process group, so Ctrl-C reaches wrangler and workerd too.
    let config = ServerConfig {
        own_process_group: false,
        ..ServerConfig::new(root.clone(), tools.node.clone(), port, state)
    };
    let mut server = WranglerServer::start(config, START_TIMEOUT)?;
    let base = server.base_url();
    let (key, secret, token) = dev_vars::dev_client(&root, &base, &secrets)?;
    let loaded = seed::load(&base, &token)?;
    println!(
        "\nEd-Fi edge API on {base}  (instance \"dev\"; seeded {} items, {} already there)\n\
         \n  client key:    {key}\
         \n  client secret: {secret}\
         \n\n  TOKEN=$(curl -s {base}/oauth/token -d grant_type=client_credentials -u {key}:{secret} | sed 's/.*access_token\":\"\\([^\"]*\\).*/\\1/')\
         \n  curl -s '{base}/data/v3/ed-fi/students?limit=2&totalCount=true' -i -H \"Authorization: Bearer $TOKEN\"\
         \n\nState persists in .wrangler/state (`cargo xtask dev --fresh` starts empty). Ctrl-C stops.\n",
        loaded.created, loaded.present
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
    tools::ensure_terminal_programs();
    eprintln!("xtask: native tests");
    // No crate of the workspace enables the interchange XML converter, so it is turned on here
    // for its tests (Grand Bend included); the Worker is built without it.
    let native = test_run::run_tests(
        Command::new(tools::cargo())
            .current_dir(&root)
            .args([
                "test",
                "--workspace",
                "--exclude",
                "edfi-blackbox",
                "--features",
                "edfi-core/interchange",
            ])
            .arg("--")
            .args(test_args),
    )?;
    eprintln!("xtask: bounded fuzz run ({FUZZ_SECONDS_IN_TEST} s per target)");
    fuzz::run(&root, &fuzz::TARGETS, FUZZ_SECONDS_IN_TEST)?;
    eprintln!("xtask: building the Worker and the admin app");
    tools.build_worker()?;
    run(Command::new(tools::cargo()).current_dir(&root).args(["build", "-p", "edfi-admin"]))?;
    let port = free_port().map_err(|e| e.to_string())?;
    let state = fresh_dir(&root.join(format!("target/blackbox-state/{port}"))).map_err(|e| e.to_string())?;
    let secrets = Secrets::generate().map_err(|e| e.to_string())?;
    let mut vars = secrets.vars();
    // The suite reads one instance from the edge replica and keeps short histories.
    vars.extend(TEST_SERVER_VARS.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let config = ServerConfig {
        log_file: Some(root.join(format!("target/wrangler-{port}.log"))),
        vars,
        ..ServerConfig::new(root.clone(), tools.node.clone(), port, state.clone())
    };
    eprintln!("xtask: starting wrangler dev on 127.0.0.1:{port}");
    let server = WranglerServer::start(config, START_TIMEOUT)?;
    eprintln!("xtask: black-box tests against {}", server.base_url());
    let blackbox = test_run::run_tests(
        Command::new(tools::cargo())
            .current_dir(&root)
            .args(["test", "-p", "edfi-blackbox", "--"])
            .args(test_args)
            .env("EDFI_BASE_URL", server.base_url())
            .env("EDFI_ROOT", &root)
            // Where the server keeps its state, for a test that damages a KV value there.
            .env("EDFI_STATE_DIR", &state)
            .env("EDFI_NODE", &tools.node)
            .env("EDFI_PYTHON", &tools.python)
            .env("EDFI_ADMIN_BIN", root.join("target/debug/edfi-admin"))
            // The headless app's recovery files and recent resources stay out of the user's.
            .env("EDFI_ADMIN_STATE", root.join(format!("target/blackbox-state/{port}-admin-app")))
            .envs(secrets.env()),
    );
    drop(server);
    let blackbox = blackbox?;
    println!("\nxtask: native {native}; black-box {blackbox}; {:.1} s", started.elapsed().as_secs_f64());
    let total = native + blackbox;
    println!("{} passed, {} failed", total.passed, total.failed);
    if total.failed > 0 {
        return Err(format!("{} tests failed", total.failed));
    }
    Ok(())
}

/// Runs a command to completion; a non-zero exit is an error.
pub fn run(command: &mut Command) -> Result<()> {
    let status = command.status().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed with {status}"))
    }
}
