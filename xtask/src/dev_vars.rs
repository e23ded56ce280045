//! The local secrets in `.dev.vars` and the dev client of `cargo xtask dev`.

use std::path::Path;

use edfi_blackbox::{random_hex, Secrets};
use serde_json::json;

use crate::{client, Result};

/// The instance the dev client and the sample data belong to.
pub const DEV_INSTANCE: &str = "dev";

/// Reads `.dev.vars`, writing it from `.dev.vars.example` with fresh random secrets if missing.
pub fn ensure(root: &Path) -> Result<Secrets> {
    let path = root.join(".dev.vars");
    if !path.exists() {
        let secrets = Secrets::generate().map_err(|e| e.to_string())?;
        let text = format!(
            "# Local secrets for `wrangler dev`, written by `cargo xtask dev` (git-ignored).\n\
             TOKEN_SIGNING_KEY={}\nADMIN_KEY={}\nADMIN_SECRET={}\n",
            secrets.signing_key, secrets.admin_key, secrets.admin_secret
        );
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("xtask: wrote {} with new random secrets", path.display());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value = |name: &str| {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .find(|(k, _)| k.trim() == name)
            .map(|(_, v)| v.trim().trim_matches('"').to_owned())
            .ok_or_else(|| format!("{} has no {name}", path.display()))
    };
    Ok(Secrets {
        signing_key: value("TOKEN_SIGNING_KEY")?,
        admin_key: value("ADMIN_KEY")?,
        admin_secret: value("ADMIN_SECRET")?,
    })
}

/// The dev client's key, secret and a token: the one saved beside the local state if the API
/// still accepts it, else a new one created with the administrator's credential.
pub fn dev_client(root: &Path, base_url: &str, secrets: &Secrets) -> Result<(String, String, String)> {
    let saved_path = root.join(".wrangler/dev-client.json");
    if let Ok(text) = std::fs::read_to_string(&saved_path) {
        let saved: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if let (Some(key), Some(secret)) = (saved["key"].as_str(), saved["secret"].as_str()) {
            if let Some(token) = client::token(base_url, key, secret)? {
                return Ok((key.to_owned(), secret.to_owned(), token));
            }
        }
    }
    let admin_token = client::token(base_url, &secrets.admin_key, &secrets.admin_secret)?
        .ok_or("the administrator's credential in .dev.vars was refused")?;
    let name = format!("dev client {}", random_hex(2).map_err(|e| e.to_string())?);
    let (key, secret) = client::create_client(base_url, &admin_token, &name, DEV_INSTANCE)?;
    let token = client::token(base_url, &key, &secret)?.ok_or("the new dev client was refused")?;
    std::fs::write(&saved_path, json!({"key": key, "secret": secret}).to_string())
        .map_err(|e| format!("cannot write {}: {e}", saved_path.display()))?;
    Ok((key, secret, token))
}
