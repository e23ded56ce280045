//! The Durable Object that owns one API instance's data. Every read and write of the instance
//! runs here, one request at a time between awaits, so a precondition check and its write can
//! never interleave with another request's.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use edfi_core::engine::{self, Config, Context};
use edfi_core::problem::Problem;
use edfi_core::resources;

use crate::convert;
use crate::identity::{identify, Identity};
use crate::replica::{Drained, Publisher, BINDING};
use crate::settings;
use crate::sql_store::SqlStore;

/// The Worker tells an instance here that a client was revoked.
pub const REVOKE: &str = "/internal/revoke";

#[durable_object]
pub struct InstanceStore {
    state: State,
    env: Env,
    store: SqlStore,
    config: std::result::Result<Config, String>,
    publisher: Publisher,
    /// A KV read replica is bound, so committed changes go to the outbox.
    publishes: bool,
}

impl DurableObject for InstanceStore {
    fn new(state: State, env: Env) -> Self {
        let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
        let config = resources::check_definitions()
            .map_err(|e| format!("resource definitions: {e}"))
            .and_then(|()| Config::from_env(var));
        let store = SqlStore::open(state.storage().sql());
        let publishes = env.kv(BINDING).is_ok();
        Self { state, env, store, config, publisher: Publisher::default(), publishes }
    }

    /// Drains the replica's outbox to KV, and comes back while some of it could not go yet.
    async fn alarm(&self) -> Result<Response> {
        let Ok(kv) = self.env.kv(BINDING) else { return Response::empty() };
        if let Drained::Again(milliseconds) = self.publisher.drain(&self.store, &kv).await {
            self.state.storage().set_alarm(std::time::Duration::from_millis(milliseconds as u64)).await?;
            self.publisher.rescheduled();
        }
        Response::empty()
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let correlation_id = convert::new_correlation_id();
        if req.path() == REVOKE {
            let notice: serde_json::Value = req.json().await?;
            let client = notice["client"].as_str().unwrap_or_default();
            self.store.revoke_client(client).map_err(|e| worker::Error::RustError(e.to_string()))?;
            return Ok(Response::empty()?.with_status(204));
        }
        let url = req.inner().url();
        let url = convert::url_parts(&url);
        let problem = |p: Problem| convert::to_worker_response(engine::problem_response(p, &correlation_id));
        let settings = settings::settings(&self.env);
        let settings = match settings.as_ref() {
            Ok(settings) => settings,
            Err(reason) => {
                worker::console_error!("correlationId={correlation_id} error: configuration: {reason}");
                return convert::to_worker_response(engine::internal_error(&correlation_id));
            }
        };
        let route = match engine::route(url.path) {
            Ok(route) => route,
            Err(p) => return problem(p),
        };
        // Read once: each lookup on the runtime's header list is a call into JavaScript.
        let headers: Vec<(String, String)> = req.headers().entries().collect();
        let authorization = convert::header(&headers, "Authorization");
        let now = settings::now();
        let identity = identify(&route, authorization, url.query, settings, now);
        let Identity { client, instance, name, admin, scope } = match identity {
            Ok(identity) => identity,
            Err(p) => return problem(p),
        };
        // The only await: reading the request. From here on the engine runs synchronously.
        let core_req = convert::to_core_request(&mut req, &url, headers).await?;
        // A token stays valid until it expires; a revoked client's tokens stop here at once.
        // Checked after the body arrived, in the same synchronous step as the write: a revocation
        // acknowledged while the body was still arriving must stop that write too.
        if self.store.is_revoked(&client).map_err(|e| worker::Error::RustError(e.to_string()))? {
            return problem(Problem::unauthorized("This client's access has been revoked."));
        }
        let scope = scope.map(|s| s.scope());
        let base_url = url.origin;
        let reads_only = matches!(core_req.method.as_str(), "GET" | "HEAD");
        let ctx = Context {
            client: &client,
            client_name: &name,
            admin,
            scope: scope.as_ref(),
            ..convert::context(&base_url, &correlation_id, now, !reads_only)
        };
        let response = match &self.config {
            Err(reason) => Err(format!("configuration: {reason}")),
            // A read writes nothing, so it needs no transaction to roll back.
            Ok(config) if reads_only => {
                let mut store = self.store.clone();
                engine::handle(&core_req, &mut store, config, &ctx).map_err(|e| format!("storage: {e}"))
            }
            Ok(config) => self.in_transaction(core_req, config.clone(), &ctx, &instance),
        };
        // The outbox got the committed changes in their transaction; the alarm takes them to KV.
        if self.publishes {
            let queued = response.as_ref().is_ok_and(|r| !r.committed.is_empty());
            if let Err(e) = self.publisher.schedule(&self.state, &self.store, queued) {
                worker::console_error!("correlationId={correlation_id} scheduling the replica: {e}");
            }
        }
        convert::to_worker_response(response.unwrap_or_else(|error| {
            worker::console_error!("correlationId={correlation_id} error: {error}");
            engine::internal_error(&correlation_id)
        }))
    }
}

impl InstanceStore {
    /// Runs the engine inside `storage.transactionSync`: a request's writes (a document, its links,
    /// a cascade) commit together, or roll back together when a storage call fails.
    fn in_transaction(
        &self,
        req: edfi_core::Request,
        config: Config,
        ctx: &Context,
        instance: &str,
    ) -> std::result::Result<edfi_core::Response, String> {
        let outcome: Rc<RefCell<Option<std::result::Result<edfi_core::Response, String>>>> = Rc::default();
        let (store, now, random) = (self.store.clone(), ctx.now, ctx.random);
        let (correlation_id, base_url, client, client_name, admin) = (
            ctx.correlation_id.to_owned(),
            ctx.base_url.to_owned(),
            ctx.client.to_owned(),
            ctx.client_name.to_owned(),
            ctx.admin,
        );
        let scope = ctx.scope.cloned();
        let result_slot = outcome.clone();
        let outbox = self.publishes.then(|| instance.to_owned());
        let body = Closure::once_into_js(move || -> std::result::Result<JsValue, JsValue> {
            let ctx = Context {
                now,
                random,
                correlation_id: &correlation_id,
                base_url: &base_url,
                client: &client,
                client_name: &client_name,
                admin,
                scope: scope.as_ref(),
            };
            let mut store = store;
            let result = engine::handle(&req, &mut store, &config, &ctx)
                .and_then(|response| match &outbox {
                    // In the same transaction: the outbox holds a change if and only if it commits.
                    Some(instance) => {
                        store.queue_publication(instance, &response.committed).map(|()| response)
                    }
                    None => Ok(response),
                })
                .map_err(|e| format!("storage: {e}"));
            let failed = result.is_err();
            *result_slot.borrow_mut() = Some(result);
            // Throwing makes transactionSync roll back.
            if failed {
                Err(JsValue::from_str("rolled back"))
            } else {
                Ok(JsValue::UNDEFINED)
            }
        });
        let storage = self.state.storage();
        let storage: &JsValue = storage.as_raw().as_ref();
        let transaction_sync = js_sys::Reflect::get(storage, &JsValue::from_str("transactionSync"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .ok_or("storage.transactionSync is not available")?;
        let call = transaction_sync.call1(storage, &body);
        let result = outcome.borrow_mut().take();
        committed(result, call.map(|_| ()).map_err(|thrown| format!("{thrown:?}")))
    }
}

/// The engine's answer once `transactionSync` has returned. Only a transaction that committed
/// answers what the engine said: if the commit itself threw, the writes were rolled back, so a 2xx
/// (and the KV publication that follows it) would acknowledge a change that does not exist.
fn committed(
    engine: Option<std::result::Result<edfi_core::Response, String>>,
    transaction: std::result::Result<(), String>,
) -> std::result::Result<edfi_core::Response, String> {
    match (engine, transaction) {
        (Some(Err(error)), _) => Err(error),
        (Some(Ok(_)), Err(thrown)) => Err(format!("transaction failed after the engine answered: {thrown}")),
        (Some(Ok(response)), Ok(())) => Ok(response),
        (None, Err(thrown)) => Err(format!("transaction failed: {thrown}")),
        (None, Ok(())) => Err("transaction ran nothing".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::committed;

    #[test]
    fn only_a_committed_transaction_answers_what_the_engine_said() {
        let ok = || Some(Ok(edfi_core::Response::empty(204)));
        assert_eq!(committed(ok(), Ok(())).map(|r| r.status), Ok(204));
        assert!(committed(ok(), Err("SQLITE_FULL".to_owned())).is_err(), "a commit that threw is no 2xx");
        assert!(committed(Some(Err("storage: x".to_owned())), Err("rolled back".to_owned())).is_err());
        assert!(committed(None, Ok(())).is_err());
        assert!(committed(None, Err("threw".to_owned())).is_err());
    }
}
