//! Where a path leads.

use crate::model::ResourceDef;
use crate::problem::Problem;
use crate::resources;

/// Path prefix of the data management API.
pub const DATA_PREFIX: &str = "/data/v3/ed-fi/";
pub const HISTORY_PREFIX: &str = "/admin/v1/history/";
pub const AVAILABLE_CHANGE_VERSIONS: &str = "/changeQueries/v1/availableChangeVersions";

/// The metadata documents, generated from the resource definitions.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum MetadataDoc {
    Index,
    Resources,
    Descriptors,
    Dependencies,
}

/// The client administration API under `/admin/v1/`.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminRoute {
    /// `/admin/v1/clients`: list (GET) or create (POST).
    Clients,
    /// `/admin/v1/clients/{key}`: revoke (DELETE).
    Client(String),
}

#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    Discovery,
    /// `/oauth/token`.
    Token,
    Admin(AdminRoute),
    Metadata(MetadataDoc),
    Collection(&'static ResourceDef),
    Item(&'static ResourceDef, String),
    Deletes(&'static ResourceDef),
    KeyChanges(&'static ResourceDef),
    AvailableChangeVersions,
    /// `/admin/v1/history/{resource}/{id}[/{etag}]`: an item's versions, or one of them.
    History(&'static ResourceDef, String, Option<String>),
    NotFound,
}

impl Route {
    /// Whether answering needs an instance's storage (its Durable Object) and so a token for it.
    pub fn needs_storage(&self) -> bool {
        matches!(
            self,
            Route::Collection(_)
                | Route::Item(..)
                | Route::Deletes(_)
                | Route::KeyChanges(_)
                | Route::AvailableChangeVersions
                | Route::History(..)
        )
    }
}

/// Classifies a path. A malformed id is a 400; an unknown resource is [`Route::NotFound`].
pub fn route(path: &str) -> Result<Route, Problem> {
    let metadata = match path {
        "" | "/" => return Ok(Route::Discovery),
        "/oauth/token" => return Ok(Route::Token),
        "/admin/v1/clients" => return Ok(Route::Admin(AdminRoute::Clients)),
        AVAILABLE_CHANGE_VERSIONS => return Ok(Route::AvailableChangeVersions),
        "/metadata" | "/metadata/" => Some(MetadataDoc::Index),
        "/metadata/data/v3/resources/swagger.json" => Some(MetadataDoc::Resources),
        "/metadata/data/v3/descriptors/swagger.json" => Some(MetadataDoc::Descriptors),
        "/metadata/data/v3/dependencies" => Some(MetadataDoc::Dependencies),
        _ => None,
    };
    if let Some(doc) = metadata {
        return Ok(Route::Metadata(doc));
    }
    if let Some(rest) = path.strip_prefix(HISTORY_PREFIX) {
        let mut segments = rest.split('/');
        let def = segments.next().and_then(resources::find_endpoint);
        return match (def, segments.next(), segments.next(), segments.next()) {
            (Some(def), Some(id), etag, None) => {
                Ok(Route::History(def, parse_id(id)?, etag.filter(|e| !e.is_empty()).map(str::to_owned)))
            }
            _ => Ok(Route::NotFound),
        };
    }
    if let Some(key) = path.strip_prefix("/admin/v1/clients/") {
        return Ok(Route::Admin(AdminRoute::Client(key.to_owned())));
    }
    let Some(rest) = path.strip_prefix(DATA_PREFIX) else {
        return Ok(Route::NotFound);
    };
    let mut segments = rest.trim_end_matches('/').split('/');
    let Some(def) = segments.next().and_then(resources::find_endpoint) else {
        return Ok(Route::NotFound);
    };
    match (segments.next(), segments.next()) {
        (None, _) => Ok(Route::Collection(def)),
        (Some(part), None) if part.eq_ignore_ascii_case("deletes") => Ok(Route::Deletes(def)),
        (Some(part), None) if part.eq_ignore_ascii_case("keyChanges") => Ok(Route::KeyChanges(def)),
        (Some(id), None) => parse_id(id).map(|id| Route::Item(def, id)),
        _ => Ok(Route::NotFound),
    }
}

/// Accepts a UUID in any common spelling and returns the canonical 32 lowercase hex digits.
pub fn parse_id(segment: &str) -> Result<String, Problem> {
    uuid::Uuid::try_parse(segment).map(|id| id.simple().to_string()).map_err(|_| {
        Problem::bad_request(format!(
            "The resource id '{}' is not a valid id (32 hex digits).",
            truncate(segment, 64)
        ))
    })
}

pub fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
