//! Who is calling and which instance a data request reaches, decided from its bearer token. The
//! Worker decides it to pick the instance's Durable Object; the object decides it again from the
//! same token, so the request crosses unchanged and no header can claim an identity.

use edfi_core::auth;
use edfi_core::authorization::TokenScope;
use edfi_core::engine::Route;
use edfi_core::problem::Problem;

use crate::settings::Settings;

pub struct Identity {
    /// The client key.
    pub client: String,
    /// The API instance whose data the request reaches.
    pub instance: String,
    /// The client's name, for history.
    pub name: String,
    pub admin: bool,
    /// The client's claim set and scope as the token states them; `None` for full access.
    /// Resolved only where requests are authorized (the instance), never in the Worker.
    pub scope: Option<TokenScope>,
}

// A `Problem` becomes the response at once; boxing it buys nothing (as in `edfi-core`).
#[allow(clippy::result_large_err)]
pub fn identify(
    route: &Route,
    authorization: Option<&str>,
    query: &str,
    settings: &Settings,
    now: i64,
) -> Result<Identity, Problem> {
    let claims = auth::authenticate(authorization, &settings.signing_key, now)?;
    let instance = match (route, claims.admin) {
        (_, false) => claims.instance,
        // The administrator reads any instance's history, naming it.
        (Route::History(..), true) => {
            let query = worker::url::form_urlencoded::parse(query.as_bytes());
            match query.into_iter().find(|(k, _)| k == "instance").map(|(_, v)| v.into_owned()) {
                Some(instance) if auth::is_instance_name(&instance) => instance,
                _ => return Err(Problem::bad_request("Name the instance: ?instance=<name>.")),
            }
        }
        (_, true) => {
            return Err(Problem::forbidden(
                "The administrator's token manages clients; it does not reach data.",
            ))
        }
    };
    let scope = claims.scope.filter(|s| !s.is_full_access());
    Ok(Identity { client: claims.client, instance, name: claims.name, admin: claims.admin, scope })
}
