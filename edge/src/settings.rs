//! Deployment settings the Worker reads from its environment (`[vars]` and secrets).

use std::cell::OnceCell;
use std::rc::Rc;

use worker::Env;

use edfi_core::auth::DEFAULT_TOKEN_SECONDS;
use edfi_core::cors::AllowedOrigins;

thread_local! {
    // An isolate's environment never changes (a new deployment gets new isolates), so each is
    // read once instead of on every request.
    static SETTINGS: OnceCell<Rc<Result<Settings, String>>> = const { OnceCell::new() };
    static ALLOWED_ORIGINS: OnceCell<Rc<AllowedOrigins>> = const { OnceCell::new() };
}

/// This isolate's settings, or why they are invalid.
pub fn settings(env: &Env) -> Rc<Result<Settings, String>> {
    SETTINGS.with(|cell| cell.get_or_init(|| Rc::new(Settings::from_env(env))).clone())
}

/// `CORS_ALLOWED_ORIGINS`, kept apart from [`settings`] so CORS answers even when they are invalid.
pub fn allowed_origins(env: &Env) -> Rc<AllowedOrigins> {
    ALLOWED_ORIGINS.with(|cell| {
        cell.get_or_init(|| {
            let value = env.var("CORS_ALLOWED_ORIGINS").ok().map(|v| v.to_string());
            Rc::new(AllowedOrigins::parse(value.as_deref()))
        })
        .clone()
    })
}

pub struct Settings {
    /// Secret `TOKEN_SIGNING_KEY`: signs and checks bearer tokens.
    pub signing_key: Vec<u8>,
    /// Secrets `ADMIN_KEY` / `ADMIN_SECRET`: the administrator's credential, if configured.
    pub admin: Option<(String, String)>,
    /// `TOKEN_SECONDS`: how long a token lives.
    pub token_seconds: i64,
    /// `READ_PATH` (`durable` | `edge`), the default for every instance.
    pub edge_reads: bool,
    /// `READ_PATH_BY_INSTANCE` (`district-a=edge,district-b=durable`): per-instance policies.
    pub read_paths: Vec<(String, bool)>,
}

impl Settings {
    pub fn from_env(env: &Env) -> Result<Self, String> {
        let value = |name: &str| {
            env.secret(name).map(|s| s.to_string()).or_else(|_| env.var(name).map(|v| v.to_string())).ok()
        };
        let signing_key = value("TOKEN_SIGNING_KEY")
            .filter(|k| k.len() >= 32)
            .ok_or("TOKEN_SIGNING_KEY must be set (a secret of at least 32 characters)")?;
        let admin = match (value("ADMIN_KEY"), value("ADMIN_SECRET")) {
            (Some(key), Some(secret)) if !key.is_empty() && secret.len() >= 16 => Some((key, secret)),
            _ => None,
        };
        let token_seconds = match value("TOKEN_SECONDS") {
            None => DEFAULT_TOKEN_SECONDS,
            Some(s) => {
                s.trim().parse().ok().filter(|n| *n > 0).ok_or("TOKEN_SECONDS must be a positive number")?
            }
        };
        let policy = |name: &str, value: &str| match value.trim() {
            "" | "durable" => Ok(false),
            "edge" => Ok(true),
            other => Err(format!("{name}: read path must be \"durable\" or \"edge\", not {other:?}")),
        };
        let edge_reads = policy("READ_PATH", &value("READ_PATH").unwrap_or_default())?;
        let read_paths = value("READ_PATH_BY_INSTANCE")
            .unwrap_or_default()
            .split(',')
            .filter(|pair| !pair.trim().is_empty())
            .map(|pair| {
                let (instance, path) = pair
                    .split_once('=')
                    .ok_or(format!("READ_PATH_BY_INSTANCE: {pair:?} is not name=path"))?;
                Ok((instance.trim().to_owned(), policy("READ_PATH_BY_INSTANCE", path)?))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self { signing_key: signing_key.into_bytes(), admin, token_seconds, edge_reads, read_paths })
    }

    /// Whether GET by id of this instance is answered from the KV replica.
    pub fn reads_from_edge(&self, instance: &str) -> bool {
        self.read_paths.iter().find(|(name, _)| name == instance).map_or(self.edge_reads, |(_, edge)| *edge)
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    (worker::Date::now().as_millis() / 1000) as i64
}
