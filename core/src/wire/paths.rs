//! Where things are: the API's paths, the paths of its OpenAPI documents, query parameters and
//! the headers of a collection page. The engine routes by these (`engine::route`), the metadata
//! names them (`openapi`), and clients build their requests with them.

use serde_json::Value;
use std::fmt::Write as _;

use crate::etag::EntityTag;

/// Written once, spliced into the constants below.
macro_rules! data_api {
    () => {
        "/data/v3"
    };
}

/// The data management API: the `servers` URL of the OpenAPI documents, under the base URL.
pub const DATA_API: &str = data_api!();
/// Where a resource's endpoint is: `/data/v3/ed-fi/{endpoint}`.
pub const DATA_PREFIX: &str = concat!(data_api!(), "/ed-fi/");
/// An endpoint's path in the OpenAPI documents and in `link`s: `/ed-fi/{endpoint}`.
pub const NAMESPACE_PREFIX: &str = "/ed-fi/";
/// The segments after an endpoint's path: `/ed-fi/{endpoint}/deletes`, `…/keyChanges`.
pub const DELETES: &str = "deletes";
pub const KEY_CHANGES: &str = "keyChanges";
pub const TOKEN: &str = "/oauth/token";
pub const CLIENTS: &str = "/admin/v1/clients";
/// `/admin/v1/claimSets[/{name}]`: the claim sets clients are given.
pub const CLAIM_SETS: &str = "/admin/v1/claimSets";
/// `/admin/v1/history/{endpoint}/{id}[/{etag}]`.
pub const HISTORY_PREFIX: &str = "/admin/v1/history/";
pub const CHANGE_QUERIES: &str = "/changeQueries/v1/";
pub const AVAILABLE_CHANGE_VERSIONS: &str = "/changeQueries/v1/availableChangeVersions";
/// The metadata index: a JSON array of [`super::answers::MetadataEntry`].
pub const METADATA_INDEX: &str = "/metadata/";
pub const RESOURCES_DOCUMENT: &str = concat!("/metadata", data_api!(), "/resources/swagger.json");
pub const DESCRIPTORS_DOCUMENT: &str = concat!("/metadata", data_api!(), "/descriptors/swagger.json");
pub const DEPENDENCIES: &str = concat!("/metadata", data_api!(), "/dependencies");
/// The names the metadata index gives its two documents.
pub const RESOURCES: &str = "resources";
pub const DESCRIPTORS: &str = "descriptors";
/// Ed-Fi's extension on a resource's path items naming its domains (`["Enrollment"]`), as the
/// documents generated from ApiSchema carry it. This API does not publish it: its material has
/// no domains for DS 5.2's core.
pub const DOMAINS_EXTENSION: &str = "x-Ed-Fi-domains";
/// On a schema's property: the member is part of the natural key.
pub const IDENTITY_EXTENSION: &str = "x-Ed-Fi-isIdentity";
/// Where an OpenAPI document's `$ref`s point: `#/components/schemas/edFi_student`.
pub const SCHEMAS_POINTER: &str = "#/components/schemas/";
/// This API's extension on a resource's tag naming the Ed-Fi interchanges whose files hold its
/// records (`["StudentEnrollment"]`).
pub const INTERCHANGES_EXTENSION: &str = "x-Ed-Fi-interchanges";

/// The answer header with a collection's size (asked for with [`Param::TotalCount`]).
pub const TOTAL_COUNT_HEADER: &str = "Total-Count";
/// The answer header with the token of the next keyset page.
pub const NEXT_PAGE_TOKEN_HEADER: &str = "Next-Page-Token";

/// `/data/v3/ed-fi/{endpoint}`.
pub fn collection(endpoint: &str) -> String {
    collection_in(DATA_API, endpoint)
}

/// `/data/v3/ed-fi/{endpoint}/{id}`.
pub fn item(endpoint: &str, id: &str) -> String {
    item_in(DATA_API, endpoint, id)
}

/// `{data_api}/ed-fi/{endpoint}`: a collection under another API's data root (its OpenAPI
/// `servers` URL, such as `https://host/data/v3` or an ODS/API 7's `https://host/data`).
pub fn collection_in(data_api: &str, endpoint: &str) -> String {
    format!("{}{NAMESPACE_PREFIX}{}", data_api.trim_end_matches('/'), encode(endpoint))
}

/// `{data_api}/ed-fi/{endpoint}/{id}`.
pub fn item_in(data_api: &str, endpoint: &str, id: &str) -> String {
    format!("{}/{}", collection_in(data_api, endpoint), encode(id))
}

/// `/admin/v1/history/{endpoint}/{id}`: the item's kept versions.
pub fn history(endpoint: &str, id: &str) -> String {
    format!("{HISTORY_PREFIX}{}/{}", encode(endpoint), encode(id))
}

/// `/admin/v1/history/{endpoint}/{id}/{etag}`: one kept version, named by its ETag's opaque value
/// (a quoted or weak form names the same version).
pub fn version(endpoint: &str, id: &str, etag: &EntityTag) -> String {
    format!("{}/{}", history(endpoint, id), encode(etag.opaque()))
}

/// `/ed-fi/{endpoint}`, as the OpenAPI documents list it.
pub fn namespaced(endpoint: &str) -> String {
    format!("{NAMESPACE_PREFIX}{endpoint}")
}

/// The endpoint and id an item's URL names: a `Location` header or a `link`'s `href`, a path
/// (`/ed-fi/schools/{id}`) or an absolute URL under any data root
/// (`https://ods.example.org/api/data/v3/ed-fi/schools/{id}`); both decoded, as [`item_in`]
/// encodes them.
pub fn item_of(url: &str) -> Option<(String, String)> {
    let path = url.split(['?', '#']).next()?;
    let rest = &path[path.find(NAMESPACE_PREFIX)? + NAMESPACE_PREFIX.len()..];
    let (endpoint, id) = rest.trim_end_matches('/').split_once('/')?;
    // Checked before decoding: an encoded `/` (`%2F`) is part of an id, a bare one is not.
    if endpoint.is_empty() || id.is_empty() || id.contains('/') {
        return None;
    }
    let decoded = |segment: &str| {
        percent_encoding::percent_decode_str(segment).decode_utf8().ok().map(|text| text.into_owned())
    };
    Some((decoded(endpoint)?, decoded(id)?))
}

/// The endpoint an OpenAPI path is of: `students` for `/ed-fi/students` and
/// `/ed-fi/students/{id}`.
pub fn endpoint_of(path: &str) -> Option<&str> {
    let name = path.strip_prefix(NAMESPACE_PREFIX)?.split('/').next()?;
    (!name.is_empty() && !name.starts_with('{')).then_some(name)
}

/// The query parameters of a collection and of its `/deletes` and `/keyChanges`. Ed-Fi reads
/// their names case-insensitively.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    Offset,
    Limit,
    TotalCount,
    PageSize,
    PageToken,
    MinChangeVersion,
    MaxChangeVersion,
}

impl Param {
    pub const ALL: [Param; 7] = [
        Param::Offset,
        Param::Limit,
        Param::TotalCount,
        Param::PageSize,
        Param::PageToken,
        Param::MinChangeVersion,
        Param::MaxChangeVersion,
    ];

    /// The name as Ed-Fi spells it.
    pub fn name(self) -> &'static str {
        match self {
            Param::Offset => "offset",
            Param::Limit => "limit",
            Param::TotalCount => "totalCount",
            Param::PageSize => "pageSize",
            Param::PageToken => "pageToken",
            Param::MinChangeVersion => "minChangeVersion",
            Param::MaxChangeVersion => "maxChangeVersion",
        }
    }

    /// The parameter a query's name is, in any case; `None` for anything else (a field filter).
    pub fn parse(name: &str) -> Option<Param> {
        Param::ALL.into_iter().find(|param| param.name().eq_ignore_ascii_case(name))
    }
}

/// A query string (without `?`) of parameters and field filters (`lastSurname=Smith`), each name
/// and value percent-encoded.
pub fn query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut query = String::new();
    for (name, value) in pairs {
        if !query.is_empty() {
            query.push('&');
        }
        let _ = write!(query, "{}={}", encode(name), encode(value));
    }
    query
}

/// Whether two query parameter names are one: Ed-Fi reads them case-insensitively (ASCII), for
/// paging parameters and field filters alike.
pub fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// A boolean filter's value: `true` or `false` in any case.
pub fn query_boolean(text: &str) -> Option<bool> {
    [("true", true), ("false", false)]
        .into_iter()
        .find(|(name, _)| text.eq_ignore_ascii_case(name))
        .map(|(_, b)| b)
}

/// A JSON scalar written as a filter's value: a string as it is, a number or boolean as JSON
/// spells it; anything else cannot be a filter value.
pub fn query_value(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
        _ => None,
    }
}

/// Whether a filter's text value matches a stored text: Ed-Fi compares them case-insensitively,
/// by ASCII case folding only (see `store::Scalar`, which SQLite's `NOCASE` matches exactly).
pub fn same_text(stored: &str, asked: &str) -> bool {
    stored.eq_ignore_ascii_case(asked)
}

/// Whether a stored JSON value is what a filter with `asked`'s value finds: text by
/// [`same_text`], anything else only when equal.
pub fn filter_finds(stored: &Value, asked: &Value) -> bool {
    match (stored, asked) {
        (Value::String(stored), Value::String(asked)) => same_text(stored, asked),
        _ => stored == asked,
    }
}

/// Percent-encodes everything but the unreserved characters (RFC 3986), for a path segment or a
/// query name or value.
pub fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}
