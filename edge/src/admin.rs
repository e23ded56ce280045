//! `/oauth/token` and the client administration API (`/admin/v1/clients`).

use std::cell::RefCell;

use serde_json::json;
use worker::{Env, Headers, Method, Request, Response, Result};

use edfi_core::auth::{self, Claims, Credentials, OAuthError};
use edfi_core::authorization::ClaimSet;
use edfi_core::engine::{self, AdminRoute, Config};
use edfi_core::limits;
use edfi_core::problem::{Problem, ValidationErrors};
use edfi_core::wire::answers::{TokenAnswer, TOKEN_TYPE};

use crate::directory::{self, ClientInfo, ClientScope, NewClient};
use crate::settings::{self, Settings};
use crate::token_cache::{Lookup, TokenCache};
use crate::{convert, DIRECTORY_BINDING, DIRECTORY_NAME, INSTANCE_BINDING};

thread_local! {
    // One per isolate, like the settings: what the directory granted in the last minute.
    static GRANTS: RefCell<TokenCache<directory::Granted>> = RefCell::new(TokenCache::default());
}

/// Issues a bearer token for valid client credentials (or the administrator's). The isolate's
/// cache and the directory decide both alike, so neither the answer nor its timing tells the
/// administrator's key apart.
pub async fn token(
    mut req: Request,
    env: &Env,
    settings: &Settings,
    correlation_id: &str,
) -> Result<Response> {
    if req.method() != Method::Post {
        return oauth_error(&OAuthError {
            status: 405,
            error: "invalid_request",
            description: "Use POST.".into(),
        });
    }
    let content_type = req.headers().get("Content-Type")?;
    let authorization = req.headers().get("Authorization")?;
    let content_length = req.headers().get("Content-Length")?;
    let limit = limits::MAX_TOKEN_REQUEST_BYTES;
    if let Some(too_large) = convert::reject_oversized(content_length.as_deref(), limit, correlation_id)? {
        return Ok(too_large);
    }
    // No draining: a token request is small, so the first byte past the limit ends the read.
    let body = convert::read_body(&mut req, content_length.as_deref(), limit, limit).await?;
    if body.len() > limit {
        return convert::too_large(limit, correlation_id);
    }
    let credentials =
        match auth::parse_token_request(content_type.as_deref(), authorization.as_deref(), &body) {
            Ok(credentials) => credentials,
            Err(e) => return oauth_error(&e),
        };
    let login = match authenticate(env, &credentials).await? {
        Login::Granted(login) => login,
        Login::Refused => return oauth_error(&OAuthError::invalid_client()),
        Login::Wait(seconds) => {
            let problem = engine::problem_response(Problem::too_many_failed_logins(seconds), correlation_id);
            return convert::to_worker_response(problem);
        }
    };
    let lifetime = if login.admin {
        settings.token_seconds.min(auth::MAX_ADMIN_TOKEN_SECONDS)
    } else {
        settings.token_seconds
    };
    let claims = Claims {
        client: credentials.client_id,
        instance: login.instance,
        admin: login.admin,
        name: login.name,
        expires: settings::now() + lifetime,
        scope: login.scope,
    };
    let body = TokenAnswer {
        access_token: auth::sign_token(&claims, &settings.signing_key),
        expires_in: Some(u64::try_from(lifetime).unwrap_or(0)),
        token_type: TOKEN_TYPE.to_owned(),
    };
    let headers = Headers::new();
    headers.set("Cache-Control", "no-store")?;
    Ok(Response::from_json(&body)?.with_headers(json_headers(headers)?))
}

/// The directory's decision on a token request.
enum Login {
    Granted(directory::Granted),
    Refused,
    /// Too many failures for this key: seconds until it may try again.
    Wait(i64),
}

/// A key this isolate granted in the last minute, with its secret, is granted again here; every
/// other request is the directory's to decide, and anything but a grant forgets the key here.
async fn authenticate(env: &Env, credentials: &Credentials) -> Result<Login> {
    let key = credentials.client_id.as_str();
    let ticket = match GRANTS.with(|grants| grants.borrow_mut().lookup(credentials, settings::now())) {
        Lookup::Hit(granted) => return Ok(Login::Granted(granted)),
        Lookup::Ask(ticket) => ticket,
    };
    let body = json!({"client_id": key, "client_secret": credentials.client_secret});
    let mut response = directory_request(env, Method::Post, directory::AUTHENTICATE, Some(body)).await?;
    let forget = || GRANTS.with(|grants| grants.borrow_mut().forget(key));
    match response.status_code() {
        200 => {
            let answer: directory::Authenticated = response.json().await?;
            if let Some(verifier) = answer.verifier {
                let (granted, now) = (answer.granted.clone(), settings::now());
                GRANTS.with(|grants| grants.borrow_mut().granted(key, verifier, granted, ticket, now));
            }
            Ok(Login::Granted(answer.granted))
        }
        429 => {
            forget();
            let wait: directory::Wait = response.json().await?;
            Ok(Login::Wait(wait.retry_after))
        }
        _ => {
            forget();
            Ok(Login::Refused)
        }
    }
}

/// The administration API: only the administrator's token may use it. No answer may be cached
/// (one shows a new client's secret) or sniffed as another media type.
pub async fn serve(
    req: Request,
    env: &Env,
    settings: &Settings,
    route: AdminRoute,
    correlation_id: &str,
) -> Result<Response> {
    let mut response = serve_admin(req, env, settings, route, correlation_id).await?;
    let headers = response.headers_mut();
    headers.set("Cache-Control", "no-store")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(response)
}

async fn serve_admin(
    mut req: Request,
    env: &Env,
    settings: &Settings,
    route: AdminRoute,
    correlation_id: &str,
) -> Result<Response> {
    let problem = |p: Problem| convert::to_worker_response(engine::problem_response(p, correlation_id));
    let authorization = req.headers().get("Authorization")?;
    match auth::authenticate(authorization.as_deref(), &settings.signing_key, settings::now()) {
        Err(p) => return problem(p),
        Ok(claims) if !claims.admin => {
            return problem(Problem::forbidden("Only the administrator may manage API clients."))
        }
        Ok(_) => {}
    }
    match (route, req.method()) {
        (AdminRoute::Clients, Method::Get) => {
            let mut listed = directory_request(env, Method::Get, directory::CLIENTS, None).await?;
            let clients: Vec<ClientInfo> = listed.json().await?;
            Response::from_json(&clients)
        }
        (AdminRoute::Clients, Method::Post) => {
            let new = match json_body(&mut req, correlation_id).await? {
                Ok(value) => value,
                Err(response) => return Ok(response),
            };
            let new = match new_client(&new) {
                Ok(new) => new,
                Err(errors) => return problem(Problem::validation_failed(errors)),
            };
            let body = serde_json::to_value(&new).map_err(|e| worker::Error::RustError(e.to_string()))?;
            let mut created = directory_request(env, Method::Post, directory::CLIENTS, Some(body)).await?;
            if created.status_code() == 422 {
                return refused(created.json().await?, correlation_id);
            }
            let created: serde_json::Value = created.json().await?;
            Ok(Response::from_json(&created)?.with_status(201))
        }
        (AdminRoute::ClaimSets, Method::Get) => {
            let mut listed = directory_request(env, Method::Get, directory::CLAIM_SETS, None).await?;
            let sets: Vec<directory::ListedClaimSet> = listed.json().await?;
            Response::from_json(&sets)
        }
        (AdminRoute::ClaimSet(name), Method::Put) => {
            let body = match json_body(&mut req, correlation_id).await? {
                Ok(value) => value,
                Err(response) => return Ok(response),
            };
            let set: ClaimSet = match serde_json::from_value(body) {
                Ok(set) => set,
                Err(e) => {
                    return problem(Problem::unreadable_body(format!(
                        "The body must be a claim set {{\"name\", \"resourceClaims\": [{{\"resources\", \"families\", \"actions\"}}]}}: {e}."
                    )))
                }
            };
            if set.name != name {
                let mut errors = ValidationErrors::new();
                errors.insert("$.name".into(), vec![format!("must be the name in the URL, '{name}'.")]);
                return problem(Problem::validation_failed(errors));
            }
            if let Err(errors) = set.validate() {
                return problem(Problem::validation_failed(errors));
            }
            let body = serde_json::to_value(&set).map_err(|e| worker::Error::RustError(e.to_string()))?;
            let mut stored = directory_request(env, Method::Put, directory::CLAIM_SETS, Some(body)).await?;
            match stored.status_code() {
                422 => refused(stored.json().await?, correlation_id),
                status => Ok(Response::empty()?.with_status(status)),
            }
        }
        (AdminRoute::ClaimSet(name), Method::Delete) => {
            let body = json!({ "name": name });
            let mut removed =
                directory_request(env, Method::Delete, directory::CLAIM_SETS, Some(body)).await?;
            match removed.status_code() {
                422 => refused(removed.json().await?, correlation_id),
                status => Ok(Response::empty()?.with_status(status)),
            }
        }
        (AdminRoute::Client(key), Method::Delete) => {
            let path = format!("{}/{key}", directory::CLIENTS);
            let mut revoked = directory_request(env, Method::Delete, &path, None).await?;
            if revoked.status_code() == 404 {
                return problem(Problem::not_found(format!("No client with key '{key}' exists.")));
            }
            let client: ClientInfo = revoked.json().await?;
            // Other isolates keep the client's grant until it expires; their tokens meet the instance.
            GRANTS.with(|grants| grants.borrow_mut().forget(&key));
            // The instance refuses the client's existing tokens from now on.
            let stub = env.durable_object(INSTANCE_BINDING)?.get_by_name(&client.instance)?;
            let notice = convert::internal_request(
                Method::Post,
                crate::instance::REVOKE,
                Some(json!({"client": key})),
            )?;
            // 204 only once the instance has recorded it: otherwise the client's tokens still work
            // there, and the administrator must hear that (revoking again is harmless).
            let confirmed = stub.fetch_with_request(notice).await?;
            revocation_confirmed(&client.instance, &key, confirmed.status_code())
                .map_err(worker::Error::RustError)?;
            // Edge reads do not reach the instance; they look for this mark.
            if let Ok(kv) = env.kv(crate::replica::BINDING) {
                let mark = kv
                    .put(&crate::replica::revoked_key(&key), "revoked")
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                mark.execute().await.map_err(|e| worker::Error::RustError(e.to_string()))?;
            }
            Ok(Response::empty()?.with_status(204))
        }
        (AdminRoute::Clients, _) => {
            problem(Problem::method_not_allowed(req.method().as_ref(), &["GET", "POST"]))
        }
        (AdminRoute::Client(_), _) => {
            problem(Problem::method_not_allowed(req.method().as_ref(), &["DELETE"]))
        }
        (AdminRoute::ClaimSets, _) => problem(Problem::method_not_allowed(req.method().as_ref(), &["GET"])),
        (AdminRoute::ClaimSet(_), _) => {
            problem(Problem::method_not_allowed(req.method().as_ref(), &["PUT", "DELETE"]))
        }
    }
}

/// Whether the instance recorded a revocation: only its 204 says so. Anything else (an error, a
/// 2xx from something that is not the revocation route) leaves the client's tokens working there,
/// so the administrator gets a 500 and revokes again.
fn revocation_confirmed(instance: &str, key: &str, status: u16) -> std::result::Result<(), String> {
    match status {
        204 => Ok(()),
        other => Err(format!("instance {instance} answered {other} to the revocation of {key}")),
    }
}

/// Reads an administration body: at most 1 MiB of JSON.
async fn json_body(
    req: &mut Request,
    correlation_id: &str,
) -> Result<std::result::Result<serde_json::Value, Response>> {
    let content_length = req.headers().get("Content-Length")?;
    let limit = Config::default().max_body_bytes;
    let body = convert::read_body(req, content_length.as_deref(), limit, limit).await?;
    if body.len() > limit {
        return convert::too_large(limit, correlation_id).map(Err);
    }
    match serde_json::from_slice(&body) {
        Ok(value) => Ok(Ok(value)),
        Err(_) => {
            let problem = Problem::unreadable_body("The body must be a JSON object.");
            convert::to_worker_response(engine::problem_response(problem, correlation_id)).map(Err)
        }
    }
}

/// The directory's refusal as problem details.
fn refused(refusal: directory::Refusal, correlation_id: &str) -> Result<Response> {
    let problem = match refusal.status {
        404 => Problem::not_found(refusal.message),
        409 => Problem::conflict(refusal.message),
        _ => Problem::bad_request(refusal.message),
    };
    convert::to_worker_response(engine::problem_response(problem, correlation_id))
}

/// Checks `{"name", "instance", "claimSetName"?, "educationOrganizationIds"?, "namespacePrefixes"?}`.
fn new_client(body: &serde_json::Value) -> std::result::Result<NewClient, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = body["name"].as_str().filter(|n| !n.trim().is_empty() && n.chars().count() <= 100);
    if name.is_none() {
        errors.insert("$.name".into(), vec!["must be a string of 1 to 100 characters.".into()]);
    }
    let instance = body["instance"].as_str().filter(|i| auth::is_instance_name(i));
    if instance.is_none() {
        errors.insert(
            "$.instance".into(),
            vec!["must be 1 to 63 lower-case letters, digits or '-', starting with a letter or digit.".into()],
        );
    }
    let scope = client_scope(body, &mut errors);
    match (name, instance, errors.is_empty()) {
        (Some(name), Some(instance), true) => {
            Ok(NewClient { name: name.to_owned(), instance: instance.to_owned(), scope })
        }
        _ => Err(errors),
    }
}

/// The scope members of a new client, each optional; problems go to `errors`.
fn client_scope(body: &serde_json::Value, errors: &mut ValidationErrors) -> ClientScope {
    use edfi_core::authorization::{claim_sets, MAX_EDUCATION_ORGANIZATIONS, MAX_NAMESPACE_PREFIXES};
    let mut scope = ClientScope::default();
    match &body["claimSetName"] {
        serde_json::Value::Null => {}
        serde_json::Value::String(name)
            if !name.trim().is_empty() && name.chars().count() <= claim_sets::MAX_NAME_CHARS =>
        {
            scope.claim_set_name = Some(name.clone())
        }
        _ => {
            errors.insert(
                "$.claimSetName".into(),
                vec![format!(
                    "must be the name of a claim set (GET {}).",
                    edfi_core::wire::paths::CLAIM_SETS
                )],
            );
        }
    }
    match &body["educationOrganizationIds"] {
        serde_json::Value::Null => {}
        serde_json::Value::Array(ids) if ids.len() <= MAX_EDUCATION_ORGANIZATIONS => {
            for (i, id) in ids.iter().enumerate() {
                match id.as_i64().filter(|n| n.abs() <= edfi_core::model::MAX_SAFE_INTEGER) {
                    Some(id) => scope.education_organization_ids.push(id),
                    None => {
                        errors.insert(
                            format!("$.educationOrganizationIds[{i}]"),
                            vec!["must be an education organization id (a whole number).".into()],
                        );
                    }
                }
            }
        }
        _ => {
            errors.insert(
                "$.educationOrganizationIds".into(),
                vec![format!(
                    "must be an array of at most {MAX_EDUCATION_ORGANIZATIONS} education organization ids."
                )],
            );
        }
    }
    match &body["namespacePrefixes"] {
        serde_json::Value::Null => {}
        serde_json::Value::Array(prefixes) if prefixes.len() <= MAX_NAMESPACE_PREFIXES => {
            for (i, prefix) in prefixes.iter().enumerate() {
                match prefix.as_str().filter(|p| !p.is_empty() && p.chars().count() <= 255) {
                    Some(prefix) => scope.namespace_prefixes.push(prefix.to_owned()),
                    None => {
                        errors.insert(
                            format!("$.namespacePrefixes[{i}]"),
                            vec!["must be a namespace prefix of 1 to 255 characters (uri://district.org/)."
                                .into()],
                        );
                    }
                }
            }
        }
        _ => {
            errors.insert(
                "$.namespacePrefixes".into(),
                vec![format!("must be an array of at most {MAX_NAMESPACE_PREFIXES} namespace prefixes.")],
            );
        }
    }
    let bytes = serde_json::to_string(&(&scope.education_organization_ids, &scope.namespace_prefixes))
        .map_or(usize::MAX, |text| text.len());
    if bytes > edfi_core::authorization::MAX_SCOPE_BYTES {
        errors.insert(
            "$".into(),
            vec![format!(
                "educationOrganizationIds and namespacePrefixes take {bytes} bytes; at most {} fit in a token.",
                edfi_core::authorization::MAX_SCOPE_BYTES
            )],
        );
    }
    scope
}

async fn directory_request(
    env: &Env,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<Response> {
    let stub = env.durable_object(DIRECTORY_BINDING)?.get_by_name(DIRECTORY_NAME)?;
    stub.fetch_with_request(convert::internal_request(method, path, body)?).await
}

fn oauth_error(error: &OAuthError) -> Result<Response> {
    let headers = Headers::new();
    headers.set("Cache-Control", "no-store")?;
    if error.status == 401 {
        headers.set("WWW-Authenticate", "Basic realm=\"oauth\"")?;
    }
    Ok(Response::from_bytes(error.to_json())?.with_status(error.status).with_headers(json_headers(headers)?))
}

fn json_headers(headers: Headers) -> Result<Headers> {
    headers.set("Content-Type", "application/json; charset=utf-8")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::revocation_confirmed;

    #[test]
    fn a_revocation_is_confirmed_only_by_the_instances_204() {
        assert_eq!(revocation_confirmed("district-a", "k", 204), Ok(()));
        for status in [200, 202, 400, 401, 404, 500, 503] {
            let refused = revocation_confirmed("district-a", "k", status).unwrap_err();
            assert!(refused.contains("district-a") && refused.contains(&status.to_string()), "{refused}");
        }
    }
}
