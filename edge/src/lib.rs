//! The Cloudflare Worker: a thin adapter around `edfi-core`.
//!
//! The Worker routes each request. It answers discovery and metadata itself, issues tokens (asking
//! the [`directory::ClientDirectory`] about clients), serves the client administration API, and
//! sends each data request, once its bearer token checks out, to the Durable Object of the token's
//! API instance ([`instance::InstanceStore`]), which runs the core engine over its SQLite storage.

mod admin;
mod convert;
mod directory;
mod edge;
mod identity;
mod instance;
mod replica;
mod settings;
mod token_cache;
// Public for the storage-growth bench, which runs it on a native SQLite.
pub mod sql_store;

use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{event, web_sys, Env, Request, Response, Result};

use edfi_core::engine::{self, Route};
use edfi_core::limits;
use edfi_core::problem::Problem;

pub use directory::ClientDirectory;
pub use instance::InstanceStore;

use identity::Identity;

/// The binding of the instances' Durable Object namespace in `wrangler.toml`.
const INSTANCE_BINDING: &str = "INSTANCE_STORE";
/// The binding of the client directory's namespace; it has one object.
const DIRECTORY_BINDING: &str = "CLIENT_DIRECTORY";
const DIRECTORY_NAME: &str = "clients";

// The runtime's own request and response types, not workers-rs' wrappers: wrapping copies the
// request's `cf` object and rebuilds the response, and a data request passes straight through.
#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, _ctx: worker::Context) -> Result<web_sys::Response> {
    let correlation_id = convert::new_correlation_id();
    let cors = settings::allowed_origins(&env);
    let method = req.method();
    // Read once: each lookup on the runtime's header list is a call into JavaScript.
    let headers: Vec<(String, String)> = worker::Headers(req.headers()).entries().collect();
    let origin = convert::header(&headers, "Origin");
    let request_method = convert::header(&headers, "Access-Control-Request-Method");
    if let Some(headers) = cors.preflight(&method, origin, request_method) {
        let response = edfi_core::Response { headers, ..edfi_core::Response::empty(204) };
        return convert::to_worker_response(response).map(Into::into);
    }
    let response = match serve(req, &method, &headers, &env, &correlation_id).await {
        Ok(response) => response,
        Err(error) => {
            // Details go to the log; the client only sees a generic problem with the id.
            worker::console_error!("correlationId={correlation_id} error: {error}");
            convert::to_worker_response(engine::internal_error(&correlation_id))?.into()
        }
    };
    convert::with_headers(response, &cors.response_headers(origin))
}

async fn serve(
    req: web_sys::Request,
    method: &str,
    headers: &[(String, String)],
    env: &Env,
    correlation_id: &str,
) -> Result<web_sys::Response> {
    let url = req.url();
    let url = convert::url_parts(&url);
    let answer = |response: Response| -> Result<web_sys::Response> { Ok(response.into()) };
    let problem =
        |p: Problem| answer(convert::to_worker_response(engine::problem_response(p, correlation_id))?);
    let head = limits::check_head(url.path, url.query, headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    if let Err(p) = head {
        return problem(p);
    }
    let route = match engine::route(url.path) {
        Ok(route) => route,
        Err(p) => return problem(p),
    };
    // The Worker itself creates nothing.
    let ctx = convert::context(&url.origin, correlation_id, 0, false);
    if let Some(response) = engine::answer_without_storage(method, &route, &ctx) {
        return answer(convert::to_worker_response(response)?);
    }
    let content_length = convert::header(headers, "Content-Length");
    if let Some(too_large) =
        convert::reject_oversized(content_length, engine::Config::default().max_body_bytes, correlation_id)?
    {
        return answer(too_large);
    }
    let settings = settings::settings(env);
    let settings =
        settings.as_ref().as_ref().map_err(|e| worker::Error::RustError(format!("configuration: {e}")))?;
    match route {
        Route::Token => answer(admin::token(req.into(), env, settings, correlation_id).await?),
        Route::Admin(admin_route) => {
            answer(admin::serve(req.into(), env, settings, admin_route, correlation_id).await?)
        }
        _ => {
            let authorization = convert::header(headers, "Authorization");
            let identity = identity::identify(&route, authorization, url.query, settings, settings::now());
            let Identity { client, instance, scope, .. } = match identity {
                Ok(identity) => identity,
                Err(p) => return problem(p),
            };
            if let Route::Item(def, id) = &route {
                // A scoped client's reads are authorized against the instance's relationships,
                // which only its object holds: they never come from the replica.
                if method == "GET" && scope.is_none() && settings.reads_from_edge(&instance) {
                    // The wrapper shares the runtime's request; the Durable Object may still need it.
                    let wrapped = Request::from(Clone::clone(&req));
                    if let Some(read) =
                        edge::read(&wrapped, env, &instance, &client, def, id, correlation_id).await?
                    {
                        return answer(read);
                    }
                }
            }
            // The request goes as it came: the object reads the same token (see `identity`).
            let stub = env.durable_object(INSTANCE_BINDING)?.get_by_name(&instance)?;
            let stub: worker::worker_sys::DurableObject = stub.into_rpc();
            let response = JsFuture::from(stub.fetch_with_request(&req)?).await?;
            Ok(response.dyn_into()?)
        }
    }
}
