//! The client directory: one Durable Object that knows every API client, the instance it belongs
//! to, and its secret as a salted hash. The Worker asks it when a client requests a token its
//! isolate has not granted in the last minute (`token_cache`) and when the administrator manages
//! clients; data requests never reach it. It decides every token request the Worker passes on,
//! the administrator's too, and refuses a key that failed too often recently.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, SqlStorage, State};

use edfi_core::auth::{constant_time_eq, hash_secret, new_secret, verify_secret, Credentials};
use edfi_core::authorization::claim_sets;
use edfi_core::authorization::{ClaimSet, TokenScope};
use edfi_core::backoff::FailedLogins;

use crate::convert::random_bytes;
use crate::token_cache::Verifier;

/// Paths the Worker uses; the directory is never reachable from outside.
pub const AUTHENTICATE: &str = "/internal/authenticate";
pub const CLIENTS: &str = "/internal/clients";
pub const CLAIM_SETS: &str = "/internal/claim-sets";

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
-- Claim sets the administrator defined (the built-in ones are in edfi_core).
CREATE TABLE IF NOT EXISTS claim_sets (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    definition TEXT NOT NULL
);
";

/// Columns added after the first release; adding one that exists fails, which is fine.
const ADDED_COLUMNS: [&str; 3] = [
    "ALTER TABLE clients ADD COLUMN claim_set TEXT",
    "ALTER TABLE clients ADD COLUMN education_organization_ids TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE clients ADD COLUMN namespace_prefixes TEXT NOT NULL DEFAULT '[]'",
];

/// A client's claim set and what it is scoped to, as the administration API shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientScope {
    /// `None`: full access ([`claim_sets::FULL_ACCESS`]).
    #[serde(default)]
    pub claim_set_name: Option<String>,
    #[serde(default)]
    pub education_organization_ids: Vec<i64>,
    #[serde(default)]
    pub namespace_prefixes: Vec<String>,
}

/// A new client as the administrator asks for it.
#[derive(Serialize, Deserialize)]
pub struct NewClient {
    pub name: String,
    pub instance: String,
    #[serde(flatten)]
    pub scope: ClientScope,
}

/// A client as listed (never with its secret): the wire protocol's, which the admin app reads.
pub use edfi_core::wire::answers::ClientEntry as ClientInfo;

/// A client just created: the only time its secret is ever shown.
#[derive(Serialize)]
struct CreatedClient {
    key: String,
    secret: String,
    name: String,
    instance: String,
    #[serde(flatten)]
    scope: ClientScope,
}

#[derive(Deserialize)]
struct ClientRow {
    key: String,
    name: String,
    instance: String,
    salt: String,
    secret_hash: String,
    revoked: i64,
    claim_set: Option<String>,
    education_organization_ids: String,
    namespace_prefixes: String,
}

impl ClientRow {
    fn scope(&self) -> ClientScope {
        ClientScope {
            claim_set_name: self.claim_set.clone(),
            education_organization_ids: serde_json::from_str(&self.education_organization_ids)
                .unwrap_or_default(),
            namespace_prefixes: serde_json::from_str(&self.namespace_prefixes).unwrap_or_default(),
        }
    }

    fn info(self, revoked: bool) -> ClientInfo {
        let scope = self.scope();
        ClientInfo {
            key: self.key,
            name: self.name,
            instance: self.instance,
            revoked,
            claim_set_name: scope.claim_set_name,
            education_organization_ids: scope.education_organization_ids,
            namespace_prefixes: scope.namespace_prefixes,
        }
    }
}

const CLIENT_COLUMNS: &str =
    "key, name, instance, salt, secret_hash, revoked, claim_set, education_organization_ids, namespace_prefixes";

/// What a granted token request gets: the client's instance (empty for the administrator).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Granted {
    pub instance: String,
    pub admin: bool,
    /// The client's name (the administrator's is [`ADMIN_NAME`]).
    pub name: String,
    /// Its claim set and scope; `None` for full access.
    #[serde(default)]
    pub scope: Option<TokenScope>,
}

/// Why the directory refused to create a client or a claim set: the administrator's 4xx.
#[derive(Serialize, Deserialize)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
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

/// A claim set as the administration API lists it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedClaimSet {
    pub built_in: bool,
    #[serde(flatten)]
    pub set: ClaimSet,
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
        for column in ADDED_COLUMNS {
            let _ = sql.exec(column, None);
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
                match self.create(new)? {
                    Ok(created) => Response::from_json(&created).map(|r| r.with_status(201)),
                    Err(refusal) => Response::from_json(&refusal).map(|r| r.with_status(422)),
                }
            }
            (Method::Get, CLAIM_SETS) => Response::from_json(&self.claim_sets()?),
            (Method::Put, CLAIM_SETS) => {
                let set: ClaimSet = req.json().await?;
                match self.put_claim_set(&set)? {
                    Ok(created) => Ok(Response::empty()?.with_status(if created { 201 } else { 204 })),
                    Err(refusal) => Response::from_json(&refusal).map(|r| r.with_status(422)),
                }
            }
            (Method::Delete, CLAIM_SETS) => {
                #[derive(Deserialize)]
                struct Named {
                    name: String,
                }
                let named: Named = req.json().await?;
                match self.delete_claim_set(&named.name)? {
                    Ok(()) => Ok(Response::empty()?.with_status(204)),
                    Err(refusal) => Response::from_json(&refusal).map(|r| r.with_status(422)),
                }
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
            .exec(&format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE key = ?"), vec![key.into()])?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// The definition of an administrator's claim set, by name in any case.
    fn custom_claim_set(&self, name: &str) -> Result<Option<ClaimSet>> {
        #[derive(Deserialize)]
        struct Row {
            definition: String,
        }
        let rows: Vec<Row> = self
            .sql
            .exec("SELECT definition FROM claim_sets WHERE name = ?", vec![name.into()])?
            .to_array()?;
        Ok(rows.into_iter().next().and_then(|r| serde_json::from_str(&r.definition).ok()))
    }

    /// What a client's token carries of its scope: a built-in claim set by name, an
    /// administrator's with its definition as it is now.
    fn token_scope(&self, scope: ClientScope) -> Result<Option<TokenScope>> {
        let Some(name) = scope.claim_set_name else { return Ok(None) };
        let definition = match claim_sets::find_built_in(&name) {
            Some(_) => None,
            // A claim set removed since denies everything: the scope names it without a definition.
            None => self.custom_claim_set(&name)?,
        };
        Ok(Some(TokenScope {
            claim_set: name,
            definition,
            education_organization_ids: scope.education_organization_ids,
            namespace_prefixes: scope.namespace_prefixes,
        }))
    }

    /// Every claim set: the built-in ones, then the administrator's, by name.
    fn claim_sets(&self) -> Result<Vec<ListedClaimSet>> {
        #[derive(Deserialize)]
        struct Row {
            definition: String,
        }
        let rows: Vec<Row> =
            self.sql.exec("SELECT definition FROM claim_sets ORDER BY name", None)?.to_array()?;
        let built_in = claim_sets::built_in().into_iter().map(|set| ListedClaimSet { built_in: true, set });
        let custom = rows
            .into_iter()
            .filter_map(|r| serde_json::from_str(&r.definition).ok())
            .map(|set| ListedClaimSet { built_in: false, set });
        Ok(built_in.chain(custom).collect())
    }

    /// Creates or replaces an administrator's claim set (already validated by the Worker).
    /// `Ok(true)` when it is new.
    fn put_claim_set(&self, set: &ClaimSet) -> Result<std::result::Result<bool, Refusal>> {
        if claim_sets::find_built_in(&set.name).is_some() {
            return Ok(Err(Refusal {
                status: 409,
                message: format!(
                    "'{}' is a built-in claim set; built-in claim sets cannot be replaced.",
                    set.name
                ),
            }));
        }
        let existed = self.custom_claim_set(&set.name)?.is_some();
        let definition = serde_json::to_string(set).map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.sql.exec(
            "INSERT INTO claim_sets (name, definition) VALUES (?, ?)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name, definition = excluded.definition",
            vec![set.name.as_str().into(), definition.into()],
        )?;
        Ok(Ok(!existed))
    }

    /// Removes an administrator's claim set that no client has.
    fn delete_claim_set(&self, name: &str) -> Result<std::result::Result<(), Refusal>> {
        if claim_sets::find_built_in(name).is_some() {
            let message = format!("'{name}' is a built-in claim set; built-in claim sets cannot be removed.");
            return Ok(Err(Refusal { status: 409, message }));
        }
        if self.custom_claim_set(name)?.is_none() {
            return Ok(Err(Refusal { status: 404, message: format!("No claim set named '{name}' exists.") }));
        }
        #[derive(Deserialize)]
        struct Key {
            key: String,
        }
        let users: Vec<Key> = self
            .sql
            .exec(
                "SELECT key FROM clients WHERE claim_set = ? COLLATE NOCASE AND revoked = 0 LIMIT 5",
                vec![name.into()],
            )?
            .to_array()?;
        if !users.is_empty() {
            let keys: Vec<String> = users.into_iter().map(|k| k.key).collect();
            let message = format!(
                "The claim set '{name}' is the claim set of clients {}; revoke them first.",
                keys.join(", ")
            );
            return Ok(Err(Refusal { status: 409, message }));
        }
        self.sql.exec("DELETE FROM claim_sets WHERE name = ?", vec![name.into()])?;
        Ok(Ok(()))
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
                Some(Granted {
                    instance: String::new(),
                    admin: true,
                    name: ADMIN_NAME.to_owned(),
                    scope: None,
                }),
            ),
            (None, Some(client)) => (
                client.salt.as_str(),
                client.secret_hash.as_str(),
                match client.revoked {
                    0 => Some(Granted {
                        instance: client.instance.clone(),
                        admin: false,
                        name: client.name.clone(),
                        scope: self.token_scope(client.scope())?,
                    }),
                    _ => None,
                },
            ),
            (None, None) => (UNKNOWN_SALT, "", None),
        };
        let valid = verify_secret(salt.as_bytes(), &credentials.client_secret, stored_hash);
        let verifier = Verifier { salt: salt.to_owned(), secret_hash: stored_hash.to_owned() };
        Ok(granted.filter(|_| valid).map(|granted| Authenticated { granted, verifier: Some(verifier) }))
    }

    fn create(&self, new: NewClient) -> Result<std::result::Result<CreatedClient, Refusal>> {
        let mut scope = new.scope;
        // Stored under the claim set's own spelling, so listing and deleting find it.
        if let Some(name) = &scope.claim_set_name {
            let canonical = match claim_sets::find_built_in(name) {
                Some(set) => Some(set.name.clone()),
                None => self.custom_claim_set(name)?.map(|set| set.name),
            };
            match canonical {
                Some(canonical) => scope.claim_set_name = Some(canonical),
                None => {
                    let message = format!("No claim set named '{name}' exists.");
                    return Ok(Err(Refusal { status: 400, message }));
                }
            }
        }
        let key = hex(&random_bytes()[..10]);
        let salt = hex(&random_bytes());
        let mut secret_bytes = [0u8; 32];
        secret_bytes[..16].copy_from_slice(&random_bytes());
        secret_bytes[16..].copy_from_slice(&random_bytes());
        let secret = new_secret(secret_bytes);
        let now = crate::settings::now();
        let ids = serde_json::to_string(&scope.education_organization_ids).unwrap_or_else(|_| "[]".into());
        let prefixes = serde_json::to_string(&scope.namespace_prefixes).unwrap_or_else(|_| "[]".into());
        self.sql.exec(
            "INSERT INTO clients (key, name, instance, salt, secret_hash, created, claim_set,
             education_organization_ids, namespace_prefixes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                key.as_str().into(),
                new.name.as_str().into(),
                new.instance.as_str().into(),
                salt.as_str().into(),
                hash_secret(salt.as_bytes(), &secret).into(),
                now.into(),
                scope.claim_set_name.clone().into(),
                ids.into(),
                prefixes.into(),
            ],
        )?;
        Ok(Ok(CreatedClient { key, secret, name: new.name, instance: new.instance, scope }))
    }

    fn list(&self) -> Result<Vec<ClientInfo>> {
        let rows: Vec<ClientRow> = self
            .sql
            .exec(&format!("SELECT {CLIENT_COLUMNS} FROM clients ORDER BY created, key"), None)?
            .to_array()?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let revoked = r.revoked != 0;
                r.info(revoked)
            })
            .collect())
    }

    /// Marks a client revoked: it gets no new tokens. Returns it, or `None` if unknown.
    fn revoke(&self, key: &str) -> Result<Option<ClientInfo>> {
        let Some(client) = self.find(key)? else { return Ok(None) };
        self.sql.exec("UPDATE clients SET revoked = 1 WHERE key = ?", vec![key.into()])?;
        Ok(Some(client.info(true)))
    }
}
