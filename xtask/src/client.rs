//! Talking to a running API as a client: tokens and client administration over plain HTTP.

use serde_json::{json, Value};

use crate::Result;

pub fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build(),
    )
}

/// A bearer token for the credentials, or `None` if the API refuses them.
pub fn token(base_url: &str, key: &str, secret: &str) -> Result<Option<String>> {
    let url = format!("{base_url}/oauth/token");
    let mut response = agent()
        .post(&url)
        .send_form([("grant_type", "client_credentials"), ("client_id", key), ("client_secret", secret)])
        .map_err(|e| format!("{url}: {e}"))?;
    if response.status().as_u16() != 200 {
        return Ok(None);
    }
    let body: Value = serde_json::from_str(&response.body_mut().read_to_string().map_err(|e| e.to_string())?)
        .map_err(|e| format!("{url}: {e}"))?;
    Ok(body["access_token"].as_str().map(str::to_owned))
}

/// Creates an API client for `instance` with the administrator's token; returns its key and secret.
pub fn create_client(
    base_url: &str,
    admin_token: &str,
    name: &str,
    instance: &str,
) -> Result<(String, String)> {
    create_scoped_client(base_url, admin_token, json!({"name": name, "instance": instance}))
}

/// Creates an API client from a whole `POST /admin/v1/clients` body (with a claim set and
/// scope, say); returns its key and secret.
pub fn create_scoped_client(base_url: &str, admin_token: &str, body: Value) -> Result<(String, String)> {
    let url = format!("{base_url}/admin/v1/clients");
    let mut response = agent()
        .post(&url)
        .header("Authorization", &format!("Bearer {admin_token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .map_err(|e| format!("{url}: {e}"))?;
    let text = response.body_mut().read_to_string().map_err(|e| e.to_string())?;
    if response.status().as_u16() != 201 {
        return Err(format!("{url} answered {}: {text}", response.status()));
    }
    let created: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    match (created["key"].as_str(), created["secret"].as_str()) {
        (Some(key), Some(secret)) => Ok((key.to_owned(), secret.to_owned())),
        _ => Err(format!("{url} answered no key and secret: {text}")),
    }
}

/// A token for a new client of `instance`, created with the administrator's credential.
pub fn new_client_token(base_url: &str, admin: (&str, &str), instance: &str) -> Result<String> {
    let admin_token =
        token(base_url, admin.0, admin.1)?.ok_or("the administrator's credential was refused")?;
    let (key, secret) = create_client(base_url, &admin_token, instance, instance)?;
    token(base_url, &key, &secret)?.ok_or_else(|| "a new client's credential was refused".to_owned())
}
