//! Where a path leads.

use crate::model::ResourceDef;
use crate::problem::Problem;
use crate::resources;
use crate::wire::paths::{
    AVAILABLE_CHANGE_VERSIONS, CLAIM_SETS, CLIENTS, DATA_PREFIX, DELETES, DEPENDENCIES, DESCRIPTORS_DOCUMENT,
    HISTORY_PREFIX, KEY_CHANGES, METADATA_INDEX, RESOURCES_DOCUMENT, TOKEN,
};

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
    /// `/admin/v1/claimSets`: list (GET).
    ClaimSets,
    /// `/admin/v1/claimSets/{name}` (percent-decoded): create or replace (PUT), remove (DELETE).
    ClaimSet(String),
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
        TOKEN => return Ok(Route::Token),
        CLIENTS => return Ok(Route::Admin(AdminRoute::Clients)),
        CLAIM_SETS => return Ok(Route::Admin(AdminRoute::ClaimSets)),
        AVAILABLE_CHANGE_VERSIONS => return Ok(Route::AvailableChangeVersions),
        METADATA_INDEX => Some(MetadataDoc::Index),
        _ if path == METADATA_INDEX.trim_end_matches('/') => Some(MetadataDoc::Index),
        RESOURCES_DOCUMENT => Some(MetadataDoc::Resources),
        DESCRIPTORS_DOCUMENT => Some(MetadataDoc::Descriptors),
        DEPENDENCIES => Some(MetadataDoc::Dependencies),
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
    if let Some(name) = path.strip_prefix(CLAIM_SETS).and_then(|rest| rest.strip_prefix('/')) {
        let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy().into_owned();
        return Ok(Route::Admin(AdminRoute::ClaimSet(name)));
    }
    if let Some(key) = path.strip_prefix(CLIENTS).and_then(|rest| rest.strip_prefix('/')) {
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
        (Some(part), None) if part.eq_ignore_ascii_case(DELETES) => Ok(Route::Deletes(def)),
        (Some(part), None) if part.eq_ignore_ascii_case(KEY_CHANGES) => Ok(Route::KeyChanges(def)),
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
