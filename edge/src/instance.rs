//! The Durable Object that owns one API instance's data. Every read and write of the instance
//! runs here, one request at a time between awaits, so a precondition check and its write can
//! never interleave with another request's.

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use edfi_core::engine::{self, Config};

use crate::convert;
use crate::sql_store::SqlStore;

#[durable_object]
pub struct InstanceStore {
    store: SqlStore,
    config: std::result::Result<Config, String>,
}

impl DurableObject for InstanceStore {
    fn new(state: State, env: Env) -> Self {
        let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
        let config =
            Config::from_vars(var("IF_MATCH").as_deref(), var("IF_MATCH_REQUIRED_STATUS").as_deref());
        Self { store: SqlStore::open(state.storage().sql()), config }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let correlation_id = convert::new_correlation_id();
        let base_url = convert::base_url(&req.url()?);
        // The only await: reading the request. From here on the engine runs synchronously.
        let core_req = convert::to_core_request(&mut req).await?;
        let now = (worker::Date::now().as_millis() / 1000) as i64;
        let ctx = convert::context(&base_url, &correlation_id, now);
        let response = match &self.config {
            Err(reason) => Err(format!("configuration: {reason}")),
            Ok(config) => {
                let mut store = self.store.clone();
                engine::handle(&core_req, &mut store, config, &ctx).map_err(|e| format!("storage: {e}"))
            }
        };
        convert::to_worker_response(response.unwrap_or_else(|error| {
            worker::console_error!("correlationId={correlation_id} error: {error}");
            engine::internal_error(&correlation_id)
        }))
    }
}
