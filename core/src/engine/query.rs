//! The query string of a collection, `/deletes` or `/keyChanges` GET.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::model::{Kind, ResourceDef};
use crate::problem::Problem;
use crate::store::{Scalar, Selection};
use crate::wire::paths::{self, Param};

use super::route::truncate;

pub const MAX_LIMIT: u64 = 500;
pub const DEFAULT_LIMIT: u64 = 25;
/// The most stored bytes one page holds: 500 items of up to 1 MiB each would not fit in an
/// isolate's memory, nor should one request hold the instance that long. Ed-Fi's own sample
/// district needs more than 4 MiB for 500 student assessments, so the bound sits well above.
pub const MAX_PAGE_BYTES: u64 = 16 << 20;

/// A parsed collection query.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CollectionQuery {
    pub selection: Selection,
    pub offset: u64,
    pub limit: u64,
    pub total_count: bool,
    /// Paged by `pageSize`/`pageToken`: a page may end early, and its token says where.
    pub keyset: bool,
}

/// What a query may contain besides the paging parameters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Filters {
    /// Field values and change versions (collections).
    Fields,
    /// Change versions only (`/deletes`, `/keyChanges`).
    ChangeVersions,
}

impl CollectionQuery {
    pub fn parse(def: &ResourceDef, query: &str, filters: Filters) -> Result<Self, Problem> {
        let mut parsed = Self { limit: DEFAULT_LIMIT, ..Self::default() };
        let mut page_size = None;
        let mut page_token = None;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match Param::parse(&name) {
                Some(Param::Offset) => parsed.offset = whole(&name, &value, u64::MAX)?,
                Some(Param::Limit) => parsed.limit = whole(&name, &value, MAX_LIMIT)?,
                Some(Param::PageSize) => page_size = Some(whole(&name, &value, MAX_LIMIT)?),
                Some(Param::PageToken) => page_token = Some(decode_page_token(&value)?),
                Some(Param::TotalCount) => parsed.total_count = boolean(&name, &value)?,
                Some(Param::MinChangeVersion) => {
                    parsed.selection.min_change_version = Some(whole(&name, &value, i64::MAX as u64)? as i64)
                }
                Some(Param::MaxChangeVersion) => {
                    parsed.selection.max_change_version = Some(whole(&name, &value, i64::MAX as u64)? as i64)
                }
                None => match (filters, field_filter(def, &name.to_ascii_lowercase())) {
                    (Filters::Fields, Some((path, kind))) => {
                        let scalar = scalar(&name, &value, kind)?;
                        parsed.selection.equals.push((path, scalar));
                    }
                    _ => {
                        return Err(Problem::bad_request(format!(
                            "'{}' is not a query parameter of this resource.",
                            truncate(&name, 64)
                        )))
                    }
                },
            }
        }
        if page_size.is_some() || page_token.is_some() {
            if parsed.offset > 0 {
                return Err(Problem::bad_request("Use either 'offset' or 'pageToken' paging, not both."));
            }
            parsed.limit = page_size.unwrap_or(parsed.limit);
            parsed.selection.after = page_token;
            parsed.keyset = true;
        }
        Ok(parsed)
    }
}

/// A history page: the versions after the first `offset`, at most `limit`.
#[derive(Debug, PartialEq, Eq)]
pub struct HistoryPage {
    pub offset: u64,
    pub limit: u64,
}

/// A page holds the default history bound (50 versions) whole, so a plain GET shows it all.
pub const DEFAULT_HISTORY_LIMIT: u64 = 100;

impl HistoryPage {
    /// `offset` and `limit`; `instance` is the Worker's (the administrator names one).
    pub fn parse(query: &str) -> Result<Self, Problem> {
        let mut page = Self { offset: 0, limit: DEFAULT_HISTORY_LIMIT };
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match Param::parse(&name) {
                Some(Param::Offset) => page.offset = whole(&name, &value, u64::MAX)?,
                Some(Param::Limit) => page.limit = whole(&name, &value, MAX_LIMIT)?,
                None if name.eq_ignore_ascii_case("instance") => {}
                _ => {
                    return Err(Problem::bad_request(format!(
                        "'{}' is not a query parameter of history.",
                        truncate(&name, 64)
                    )))
                }
            }
        }
        Ok(page)
    }
}

/// The token of the page after the item at `position`.
pub fn page_token(position: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("after:{position}"))
}

fn decode_page_token(token: &str) -> Result<u64, Problem> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("after:")?.parse().ok())
        .ok_or_else(|| Problem::bad_request("'pageToken' is not a token this API issued."))
}

/// A query parameter naming a top-level scalar field or a reference member (`schoolId` for
/// `schoolReference.schoolId`), matched case-insensitively: its path and kind.
fn field_filter(def: &ResourceDef, lower_name: &str) -> Option<(String, &'static Kind)> {
    def.fields.iter().find_map(|field| match &field.kind {
        Kind::Reference(reference) => reference
            .members
            .iter()
            .find(|m| paths::same_name(m.name, lower_name))
            .map(|m| (format!("{}.{}", field.name, m.name), &m.kind)),
        Kind::Object(_) | Kind::Collection { .. } => None,
        kind => paths::same_name(field.name, lower_name).then(|| (field.name.to_owned(), kind)),
    })
}

fn scalar(name: &str, value: &str, kind: &Kind) -> Result<Scalar, Problem> {
    match kind {
        // The body's range, so a filter never names a value no item can hold, nor one that the
        // store would round (SQLite gets a bound integer as a JavaScript number).
        Kind::Integer(range) => range
            .of_text(value)
            .map(Scalar::Integer)
            .map_err(|message| Problem::bad_request(format!("'{}' {message}", truncate(name, 64)))),
        Kind::Boolean => boolean(name, value).map(Scalar::Boolean),
        // A text filter would match no number, and say nothing: refuse it plainly instead.
        Kind::Decimal { .. } => Err(Problem::bad_request(format!(
            "Filtering by the decimal member '{}' is not supported.",
            truncate(name, 64)
        ))),
        _ => Ok(Scalar::Text(value.to_owned())),
    }
}

fn whole(name: &str, value: &str, max: u64) -> Result<u64, Problem> {
    value
        .parse()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| Problem::bad_request(format!("'{name}' must be a whole number from 0 to {max}.")))
}

fn boolean(name: &str, value: &str) -> Result<bool, Problem> {
    paths::query_boolean(value)
        .ok_or_else(|| Problem::bad_request(format!("'{name}' must be true or false.")))
}
