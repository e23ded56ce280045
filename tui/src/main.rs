//! `edfi-admin --url … --key … --secret …`: browse an Ed-Fi API and edit it safely.

use std::path::PathBuf;

use clap::Parser;
use serde::Deserialize;

use edfi_admin::api::Client;
use edfi_admin::runtime;

#[derive(Parser)]
#[command(
    version,
    about = "Browse an Ed-Fi API, see every item's ETag, and edit without overwriting anyone's change."
)]
struct Args {
    /// The API's base URL.
    #[arg(long, env = "EDFI_URL")]
    url: Option<String>,
    /// The client key.
    #[arg(long, env = "EDFI_KEY")]
    key: Option<String>,
    /// The client secret (never shown).
    #[arg(long, env = "EDFI_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Disable every write.
    #[arg(long)]
    read_only: bool,
    /// A TOML file with `url`, `key`, `secret` (default: edfi-admin/config.toml in the config dir).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
struct FileConfig {
    url: Option<String>,
    key: Option<String>,
    secret: Option<String>,
}

fn file_config(path: Option<PathBuf>) -> Result<FileConfig, String> {
    let explicit = path.is_some();
    let Some(path) = path.or_else(|| dirs::config_dir().map(|d| d.join("edfi-admin/config.toml"))) else {
        return Ok(FileConfig::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(_) if !explicit => Ok(FileConfig::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let file = match file_config(args.config) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("edfi-admin: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let url = args.url.or(file.url).unwrap_or_else(|| "http://127.0.0.1:8787".to_owned());
    let (Some(key), Some(secret)) = (args.key.or(file.key), args.secret.or(file.secret)) else {
        eprintln!("edfi-admin: give a client key and secret (--key/--secret, EDFI_KEY/EDFI_SECRET, or the config file).");
        return std::process::ExitCode::FAILURE;
    };
    // Whatever happens, the terminal is given back.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = runtime::leave();
        default_hook(info);
    }));
    let client = Client::new(&url, &key, &secret);
    match runtime::run_terminal(client, &url, args.read_only).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = runtime::leave();
            eprintln!("edfi-admin: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
