//! `edfi-admin --url … --key …` (the secret from EDFI_SECRET, the config file or a prompt):
//! browse an Ed-Fi API and edit it safely.
//! `edfi-admin load <dir> …`: load a directory of Ed-Fi interchange XML files into it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use edfi_admin::api::Client;
use edfi_admin::config::{self, Credentials, SecretFrom};
use edfi_admin::runtime;

#[derive(Parser)]
#[command(
    version,
    about = "Browse an Ed-Fi API, see every item's ETag, and edit without overwriting anyone's change."
)]
struct Args {
    /// The API's base URL.
    #[arg(long, env = "EDFI_URL", global = true)]
    url: Option<String>,
    /// The client key.
    #[arg(long, env = "EDFI_KEY", global = true)]
    key: Option<String>,
    /// The client secret. Visible to every user of the machine in `ps`: prefer EDFI_SECRET, the
    /// config file (mode 0600), or leaving it out to be asked for it (without echo).
    #[arg(long, global = true)]
    secret: Option<String>,
    /// Disable every write.
    #[arg(long)]
    read_only: bool,
    /// A TOML file with `url`, `key`, `secret` (default: edfi-admin/config.toml in the config dir).
    /// One holding the secret must be readable by you alone (chmod 600).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Load every Ed-Fi interchange XML file of a directory, in dependency order, resumably.
    /// Exit status: 0 everything loaded; 3 the load ran to its end but some records or files
    /// were refused (see the table); 1 it could not run.
    Load {
        /// The directory of interchange files (`Interchange…` roots, `*.xml`).
        dir: PathBuf,
        /// Requests in flight at once.
        #[arg(long, default_value_t = edfi_admin::load::DEFAULT_PARALLEL)]
        parallel: usize,
        /// The journal that makes the load resumable (default: one per directory, API and key in
        /// the user's state directory).
        #[arg(long)]
        journal: Option<PathBuf>,
        /// Start afresh instead of continuing an interrupted load of the same directory.
        #[arg(long)]
        restart: bool,
        /// Also write the report as JSON to this file.
        #[arg(long)]
        report_json: Option<PathBuf>,
        /// Never change an item that exists: send every record create-only (`If-None-Match: *`).
        /// Without it, a record is an upsert by natural key, applied only if its content differs.
        #[arg(long)]
        create_only: bool,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let given = config::Given { url: args.url, key: args.key, secret: args.secret, config: args.config };
    let Credentials { url, key, secret, secret_from } = match config::resolve(given, &mut config::Process) {
        Ok(credentials) => credentials,
        Err(e) => {
            eprintln!("edfi-admin: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if secret_from == SecretFrom::Argument {
        eprintln!("edfi-admin: {}", config::ARGUMENT_WARNING);
    }
    // Whatever happens, the terminal is given back.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = runtime::leave();
        default_hook(info);
    }));
    let client = Client::new(&url, &key, &secret);
    if let Some(Command::Load { dir, parallel, journal, restart, report_json, create_only }) = args.command {
        let options = LoadOptions { parallel, journal, restart, report_json, create_only };
        return load(&client, &url, dir, options).await;
    }
    match runtime::run_terminal(client, &url, args.read_only).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = runtime::leave();
            eprintln!("edfi-admin: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// What `edfi-admin load` was asked, besides the directory.
struct LoadOptions {
    parallel: usize,
    journal: Option<PathBuf>,
    restart: bool,
    report_json: Option<PathBuf>,
    create_only: bool,
}

async fn load(client: &Client, url: &str, dir: PathBuf, asked: LoadOptions) -> std::process::ExitCode {
    let LoadOptions { parallel, journal, restart, report_json, create_only } = asked;
    use edfi_admin::load::{self, progress::Bars, Options};
    let failed = |message: String| {
        eprintln!("edfi-admin load: {message}");
        std::process::ExitCode::FAILURE
    };
    let (plan, journal) = match load::prepare(client, dir, journal).await {
        Ok(prepared) => prepared,
        Err(message) => return failed(message),
    };
    eprintln!(
        "edfi-admin load: {} records of {} resources from {} files into {url} (journal {})",
        plan.record_count(),
        plan.records.len(),
        plan.files,
        journal.display()
    );
    let options = Options { parallel, journal, resume: !restart, backoff: load::FIRST_BACKOFF, create_only };
    let report = match load::run(client, &plan, &options, &Bars::new()).await {
        Ok(report) => report,
        Err(message) => return failed(message),
    };
    print!("{}", report.table());
    if let Some(path) = report_json {
        let text = serde_json::to_string_pretty(&report).expect("a report serializes");
        if let Err(e) = std::fs::write(&path, text) {
            return failed(format!("{}: {e}", path.display()));
        }
    }
    if report.clean() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(3)
    }
}
