//! GET by id answered from the KV read replica (`READ_PATH = "edge"`). Only reads come here: a
//! write always goes to the Durable Object, so a stale read can cause a 412, never a lost update.

use worker::{Env, Request, Response, Result};

use edfi_core::clock;
use edfi_core::engine;
use edfi_core::etag::EntityTag;
use edfi_core::http::Response as CoreResponse;
use edfi_core::model::ResourceDef;
use edfi_core::precondition::{Preconditions, ReadOutcome};
use edfi_core::problem::Problem;

use crate::convert;
use crate::replica::{item_key, revoked_key, Replica, BINDING};

/// The answer from the replica, or `None` to ask the Durable Object: on a miss, on any KV error
/// or unreadable value, when the client asks for a fresh read (`Cache-Control: no-cache`), when a
/// precondition header is malformed or `If-Match` fails (the Durable Object then answers exactly
/// as always).
pub async fn read(
    req: &Request,
    env: &Env,
    instance: &str,
    client: &str,
    def: &ResourceDef,
    id: &str,
    correlation_id: &str,
) -> Result<Option<Response>> {
    let cache_control = req.headers().get("Cache-Control")?.unwrap_or_default().to_ascii_lowercase();
    let pragma = req.headers().get("Pragma")?.unwrap_or_default().to_ascii_lowercase();
    if cache_control.contains("no-cache") || cache_control.contains("no-store") || pragma.contains("no-cache")
    {
        return Ok(None);
    }
    let Ok(preconditions) = Preconditions::parse(
        req.headers().get("If-Match")?.as_deref(),
        req.headers().get("If-None-Match")?.as_deref(),
    ) else {
        return Ok(None);
    };
    let Ok(kv) = env.kv(BINDING) else { return Ok(None) };
    // A revoked client is marked here too; the mark, like the replica, is eventually consistent.
    // Any KV failure, or a value this code cannot read, sends the read to the Durable Object.
    match kv.get(&revoked_key(client)).text().await {
        Ok(None) => {}
        Ok(Some(_)) => {
            let problem = Problem::unauthorized("This client's access has been revoked.");
            return convert::to_worker_response(engine::problem_response(problem, correlation_id)).map(Some);
        }
        Err(e) => return fall_back(correlation_id, &e.to_string()),
    }
    let replica = match kv.get(&item_key(instance, def.name, id)).json::<Replica>().await {
        Ok(Some(replica)) => replica,
        Ok(None) => return Ok(None),
        Err(e) => return fall_back(correlation_id, &e.to_string()),
    };
    let Ok(etag) = EntityTag::strong(replica.etag) else { return Ok(None) };
    let response = match preconditions.evaluate_read(&etag) {
        // A stale replica must not refuse a read: the Durable Object decides a failed If-Match.
        ReadOutcome::Failed(_) => return Ok(None),
        ReadOutcome::NotModified => CoreResponse::empty(304),
        ReadOutcome::Ok => CoreResponse::json(200, replica.body),
    };
    let response = response
        .with_header("Cache-Control", "private")
        .with_header("ETag", etag.to_string())
        .with_header("Last-Modified", clock::http_date(replica.last_modified))
        .with_header("X-Read-Path", "edge");
    convert::to_worker_response(response).map(Some)
}

/// The read goes to the Durable Object, which always has the answer; the failure is logged.
fn fall_back(correlation_id: &str, reason: &str) -> Result<Option<Response>> {
    worker::console_error!(
        "correlationId={correlation_id} the read replica failed, reading from the instance: {reason}"
    );
    Ok(None)
}
