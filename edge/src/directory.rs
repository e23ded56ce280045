//! The client directory: one Durable Object that knows every API client, the instance it belongs
//! to, and its secret as a salted hash. The Worker asks it when a client requests a token its
//! isolate has not granted in the last minute (`token_cache`) and when the administrator manages
//! clients; data requests never reach it. It decides every token request the Worker passes on,
//! the administrator's too, and refuses a key that failed too often recently.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State};

use edfi_core::auth::{constant_time_eq, hash_secret, new_secret, verify_secret, Credentials};
use edfi_core::backoff::FailedLogins;

use crate::convert::random_bytes;
use crate::token_cache::Verifier;

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

/// What a granted token request gets: the client's instance (empty for the administrator).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Granted {
    pub instance: String,
    pub admin: bool,
    /// The client's name (the administrator's is [`ADMIN_NAME`]).
    pub name: String,
}

/// The name history gives the administrator's writes (it reaches only history, so none yet).
pub const ADMIN_NAME: &str = "administrator";

/// The answer to a granted token request: the grant, and what checks the secret, so the Worker
/// can grant the same key and secret again for a while without asking (`token_cache`).
#[derive(Serialize, Deserialize)]
pub struct Authenticated {
    // Flat, with the verifier optional, so a Worker and a directory one version apart still
    // understand each other's answers during a deployment.
    #[serde(flatten)]
    pub granted: Granted,
    #[serde(default)]
    pub verifier: Option<Verifier>,
}

/// The answer to a key that failed too often: seconds until it may try again.
#[derive(Serialize, Deserialize)]
pub struct Wait {
    pub retry_after: i64,
}

/// The administrator's secret is kept hashed like a client's, under this fixed salt, so checking
/// it costs the same one hash as checking a client's.
const ADMIN_SALT: &str = "edfi-edge administrator";
/// An unknown key is checked against this salt and hash, again so that it costs one hash.
const UNKNOWN_SALT: &str = "edfi-edge unknown client";

#[durable_object]
pub struct ClientDirectory {
    sql: SqlStorage,
    /// The administrator's key and secret hash, if configured.
    admin: Option<(String, String)>,
    /// Kept in memory: an evicted object forgets recent failures, which only shortens a wait.
    failures: RefCell<FailedLogins>,
}

impl DurableObject for ClientDirectory {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(SCHEMA, None) {
            worker::console_error!("client directory schema: {e}");
        }
        let settings = crate::settings::settings(&env);
        let admin = settings.as_ref().as_ref().ok().and_then(|s| s.admin.as_ref());
        let admin = admin.map(|(key, secret)| (key.clone(), hash_secret(ADMIN_SALT.as_bytes(), secret)));
        Self { sql, admin, failures: RefCell::default() }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        match (req.method(), path.as_str()) {
            (Method::Post, AUTHENTICATE) => {
                let credentials: CredentialsBody = req.json().await?;
                let credentials: Credentials = credentials.into();
                let now = crate::settings::now();
                // Before any grant: a locked key's grant never reaches a Worker's cache either.
                if let Err(retry_after) = self.failures.borrow().check(&credentials.client_id, now) {
                    return Response::from_json(&Wait { retry_after }).map(|r| r.with_status(429));
                }
                let granted = self.authenticate(&credentials)?;
                let mut failures = self.failures.borrow_mut();
                match granted {
                    Some(authenticated) => {
                        failures.record_success(&credentials.client_id);
                        Response::from_json(&authenticated)
                    }
                    None => {
                        failures.record_failure(&credentials.client_id, now);
                        Ok(Response::empty()?.with_status(401))
                    }
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

    /// What the credentials grant: the administrator, or a client that is not revoked, with the
    /// right secret. Every request takes the same steps (one lookup, one hash, one constant-time
    /// comparison), whoever's key it names and whether or not that key exists.
    fn authenticate(&self, credentials: &Credentials) -> Result<Option<Authenticated>> {
        let key = &credentials.client_id;
        let client = self.find(key)?;
        let admin = self.admin.as_ref().filter(|(admin_key, _)| constant_time_eq(key, admin_key));
        let (salt, stored_hash, granted) = match (admin, &client) {
            (Some((_, hash)), _) => (
                ADMIN_SALT,
                hash.as_str(),
                Some(Granted { instance: String::new(), admin: true, name: ADMIN_NAME.to_owned() }),
            ),
            (None, Some(client)) => (
                client.salt.as_str(),
                client.secret_hash.as_str(),
                (client.revoked == 0).then(|| Granted {
                    instance: client.instance.clone(),
                    admin: false,
                    name: client.name.clone(),
                }),
            ),
            (None, None) => (UNKNOWN_SALT, "", None),
        };
        let valid = verify_secret(salt.as_bytes(), &credentials.client_secret, stored_hash);
        let verifier = Verifier { salt: salt.to_owned(), secret_hash: stored_hash.to_owned() };
        Ok(granted.filter(|_| valid).map(|granted| Authenticated { granted, verifier: Some(verifier) }))
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
