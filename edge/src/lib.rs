//! The Cloudflare Worker: a thin adapter around `edfi-core`.
//!
//! The Worker routes each request; data requests go to the instance's Durable Object
//! ([`instance::InstanceStore`]), which runs the core engine over its SQLite storage.

mod convert;
mod instance;
mod sql_store;

use worker::{event, Env, Request, Response, Result};

use edfi_core::engine;

pub use instance::InstanceStore;

/// The binding of the Durable Object namespace in `wrangler.toml`.
const INSTANCE_BINDING: &str = "INSTANCE_STORE";
/// One API instance for now; later instances map to their own objects.
const DEFAULT_INSTANCE: &str = "default";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: worker::Context) -> Result<Response> {
    let correlation_id = convert::new_correlation_id();
    match serve(req, &env, &correlation_id).await {
        Ok(response) => Ok(response),
        Err(error) => {
            // Details go to the log; the client only sees a generic problem with the id.
            worker::console_error!("correlationId={correlation_id} error: {error}");
            convert::to_worker_response(engine::internal_error(&correlation_id))
        }
    }
}

async fn serve(req: Request, env: &Env, correlation_id: &str) -> Result<Response> {
    let url = req.url()?;
    let base_url = convert::base_url(&url);
    let route = match engine::route(url.path()) {
        Ok(route) => route,
        Err(problem) => {
            return convert::to_worker_response(engine::problem_response(problem, correlation_id))
        }
    };
    let ctx = convert::context(&base_url, correlation_id, 0);
    if let Some(response) = engine::answer_without_storage(req.method().as_ref(), &route, &ctx) {
        return convert::to_worker_response(response);
    }
    if let Some(too_large) = convert::reject_oversized(&req, correlation_id)? {
        return Ok(too_large);
    }
    let stub = env.durable_object(INSTANCE_BINDING)?.get_by_name(DEFAULT_INSTANCE)?;
    stub.fetch_with_request(req).await
}
