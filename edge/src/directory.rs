//! The client directory: one Durable Object that knows every API client, the instance it belongs
//! to, and its secret as a salted hash. The Worker asks it when a client requests a token and
//! when the administrator manages clients; data requests never reach it.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State};

use edfi_core::auth::{hash_secret, new_secret, verify_secret, Credentials};

use crate::convert::random_bytes;

/// Paths the Worker uses; the directory is never reachable from outside.
pub const AUTHENTICATE: &str = "/internal/authenticate";
pub const CLIENTS: &str = "/internal/clients";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS clients (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    instance TEXT NOT NULL,
    salt TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL
);
";

/// A new client as the administrator asks for it.
#[derive(Deserialize)]
pub struct NewClient {
    pub name: String,
    pub instance: String,
}

/// A client as listed (never with its secret).
#[derive(Serialize, Deserialize)]
pub struct ClientInfo {
    pub key: String,
    pub name: String,
    pub instance: String,
    pub revoked: bool,
}

/// A client just created: the only time its secret is ever shown.
#[derive(Serialize)]
struct CreatedClient {
    key: String,
    secret: String,
    name: String,
    instance: String,
}

#[derive(Deserialize)]
struct ClientRow {
    key: String,
    name: String,
    instance: String,
    salt: String,
    secret_hash: String,
    revoked: i64,
}

#[durable_object]
pub struct ClientDirectory {
    sql: SqlStorage,
}

impl DurableObject for ClientDirectory {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(SCHEMA, None) {
            worker::console_error!("client directory schema: {e}");
        }
        Self { sql }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        match (req.method(), path.as_str()) {
            (Method::Post, AUTHENTICATE) => {
                let credentials: CredentialsBody = req.json().await?;
                match self.authenticate(&credentials.into())? {
                    Some(instance) => Response::from_json(&serde_json::json!({ "instance": instance })),
                    None => Ok(Response::empty()?.with_status(401)),
                }
            }
            (Method::Post, CLIENTS) => {
                let new: NewClient = req.json().await?;
                Response::from_json(&self.create(new)?).map(|r| r.with_status(201))
            }
            (Method::Get, CLIENTS) => Response::from_json(&self.list()?),
            (Method::Delete, p) if p.starts_with(CLIENTS) => {
                let key = p.trim_start_matches(CLIENTS).trim_start_matches('/');
                match self.revoke(key)? {
                    Some(client) => Response::from_json(&client),
                    None => Ok(Response::empty()?.with_status(404)),
                }
            }
            _ => Ok(Response::empty()?.with_status(404)),
        }
    }
}

#[derive(Deserialize)]
struct CredentialsBody {
    client_id: String,
    client_secret: String,
}

impl From<CredentialsBody> for Credentials {
    fn from(body: CredentialsBody) -> Self {
        Credentials { client_id: body.client_id, client_secret: body.client_secret }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ClientDirectory {
    fn find(&self, key: &str) -> Result<Option<ClientRow>> {
        let rows: Vec<ClientRow> = self
            .sql
            .exec(
                "SELECT key, name, instance, salt, secret_hash, revoked FROM clients WHERE key = ?",
                vec![key.into()],
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// The client's instance if the secret is right and the client is not revoked.
    fn authenticate(&self, credentials: &Credentials) -> Result<Option<String>> {
        let Some(client) = self.find(&credentials.client_id)? else { return Ok(None) };
        let valid = verify_secret(client.salt.as_bytes(), &credentials.client_secret, &client.secret_hash);
        Ok((valid && client.revoked == 0).then_some(client.instance))
    }

    fn create(&self, new: NewClient) -> Result<CreatedClient> {
        let key = hex(&random_bytes()[..10]);
        let salt = hex(&random_bytes());
        let mut secret_bytes = [0u8; 32];
        secret_bytes[..16].copy_from_slice(&random_bytes());
        secret_bytes[16..].copy_from_slice(&random_bytes());
        let secret = new_secret(secret_bytes);
        let now = crate::settings::now();
        self.sql.exec(
            "INSERT INTO clients (key, name, instance, salt, secret_hash, created) VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                key.as_str().into(),
                new.name.as_str().into(),
                new.instance.as_str().into(),
                salt.as_str().into(),
                hash_secret(salt.as_bytes(), &secret).into(),
                now.into(),
            ],
        )?;
        Ok(CreatedClient { key, secret, name: new.name, instance: new.instance })
    }

    fn list(&self) -> Result<Vec<ClientInfo>> {
        let rows: Vec<ClientRow> = self
            .sql
            .exec(
                "SELECT key, name, instance, salt, secret_hash, revoked FROM clients ORDER BY created, key",
                None,
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|r| ClientInfo { key: r.key, name: r.name, instance: r.instance, revoked: r.revoked != 0 })
            .collect())
    }

    /// Marks a client revoked: it gets no new tokens. Returns it, or `None` if unknown.
    fn revoke(&self, key: &str) -> Result<Option<ClientInfo>> {
        let Some(client) = self.find(key)? else { return Ok(None) };
        self.sql.exec("UPDATE clients SET revoked = 1 WHERE key = ?", vec![key.into()])?;
        Ok(Some(ClientInfo { key: client.key, name: client.name, instance: client.instance, revoked: true }))
    }
}
