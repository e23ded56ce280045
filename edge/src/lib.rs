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
mod instance;
mod replica;
mod settings;
mod sql_store;

use worker::{event, Env, Request, Response, Result};

use edfi_core::auth;
use edfi_core::cors::AllowedOrigins;
use edfi_core::engine::{self, Route};
use edfi_core::limits;
use edfi_core::problem::Problem;

pub use directory::ClientDirectory;
pub use instance::InstanceStore;

use settings::Settings;

/// The binding of the instances' Durable Object namespace in `wrangler.toml`.
const INSTANCE_BINDING: &str = "INSTANCE_STORE";
/// The binding of the client directory's namespace; it has one object.
const DIRECTORY_BINDING: &str = "CLIENT_DIRECTORY";
const DIRECTORY_NAME: &str = "clients";
/// The header that tells an instance which client is calling; set only by this Worker.
pub const CLIENT_HEADER: &str = "x-edfi-client";
/// The header that tells an instance its own name (for its read replica keys).
pub const INSTANCE_HEADER: &str = "x-edfi-instance";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: worker::Context) -> Result<Response> {
    let correlation_id = convert::new_correlation_id();
    let cors = AllowedOrigins::parse(env.var("CORS_ALLOWED_ORIGINS").ok().map(|v| v.to_string()).as_deref());
    let origin = req.headers().get("Origin")?;
    let request_method = req.headers().get("Access-Control-Request-Method")?;
    if let Some(headers) = cors.preflight(req.method().as_ref(), origin.as_deref(), request_method.as_deref())
    {
        let response = edfi_core::Response { status: 204, headers, body: Vec::new() };
        return convert::to_worker_response(response);
    }
    let response = match serve(req, &env, &correlation_id).await {
        Ok(response) => response,
        Err(error) => {
            // Details go to the log; the client only sees a generic problem with the id.
            worker::console_error!("correlationId={correlation_id} error: {error}");
            convert::to_worker_response(engine::internal_error(&correlation_id))?
        }
    };
    convert::with_headers(response, &cors.response_headers(origin.as_deref()))
}

async fn serve(req: Request, env: &Env, correlation_id: &str) -> Result<Response> {
    let url = req.url()?;
    let base_url = convert::base_url(&url);
    let problem = |p: Problem| convert::to_worker_response(engine::problem_response(p, correlation_id));
    let headers: Vec<(String, String)> = req.headers().entries().collect();
    let head = limits::check_head(
        url.path(),
        url.query().unwrap_or(""),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
    );
    if let Err(p) = head {
        return problem(p);
    }
    let route = match engine::route(url.path()) {
        Ok(route) => route,
        Err(p) => return problem(p),
    };
    let ctx = convert::context(&base_url, correlation_id, 0);
    if let Some(response) = engine::answer_without_storage(req.method().as_ref(), &route, &ctx) {
        return convert::to_worker_response(response);
    }
    if let Some(too_large) = convert::reject_oversized(&req, correlation_id)? {
        return Ok(too_large);
    }
    let settings =
        Settings::from_env(env).map_err(|e| worker::Error::RustError(format!("configuration: {e}")))?;
    match route {
        Route::Token => admin::token(req, env, &settings).await,
        Route::Admin(admin_route) => admin::serve(req, env, &settings, admin_route, correlation_id).await,
        _ => {
            let authorization = req.headers().get("Authorization")?;
            let claims =
                match auth::authenticate(authorization.as_deref(), &settings.signing_key, settings::now()) {
                    Ok(claims) => claims,
                    Err(p) => return problem(p),
                };
            let instance = match (&route, claims.admin) {
                (_, false) => claims.instance.clone(),
                // The administrator reads any instance's history, naming it.
                (Route::History(..), true) => {
                    match url.query_pairs().find(|(k, _)| k == "instance").map(|(_, v)| v.into_owned()) {
                        Some(instance) if auth::is_instance_name(&instance) => instance,
                        _ => return problem(Problem::bad_request("Name the instance: ?instance=<name>.")),
                    }
                }
                (_, true) => {
                    return problem(Problem::forbidden(
                        "The administrator's token manages clients; it does not reach data.",
                    ))
                }
            };
            if let Route::Item(def, id) = &route {
                if req.method() == worker::Method::Get && settings.reads_from_edge(&instance) {
                    if let Some(answer) =
                        edge::read(&req, env, &instance, &claims.client, def, id, correlation_id).await?
                    {
                        return Ok(answer);
                    }
                }
            }
            let stub = env.durable_object(INSTANCE_BINDING)?.get_by_name(&instance)?;
            stub.fetch_with_request(convert::with_identity(req, &claims.client, &instance)?).await
        }
    }
}
