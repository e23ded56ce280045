//! The List, Detail and "referenced by" screens, all learnt from the API's metadata
//! ([`crate::meta`]): a list is a table of the natural key's columns, a short ETag, the last
//! modification and the change version, sorted (the loaded rows, here), filtered by the query
//! fields the collection declares and paged as the cursor nears the end; an item's references
//! are links (Enter opens the item, Esc comes back); "referenced by" lists the items whose
//! references point at an item, one filtered GET per referring resource, a few at a time.

use std::cmp::Ordering;

use edfi_core::wire::{self, answers::Link};
use serde_json::Value;

use super::{App, Cmd, DetailState, ListState, Msg, Prompt, Screen, PAGE_SIZE};
use crate::api::{Item, Page, Target};
use crate::meta::{self, FieldKind, Referrers, ResourceMeta};

/// Items read of each resource that refers to an item, in "referenced by".
pub const REFERRING_LIMIT: u64 = 10;
/// Requests of "referenced by" in flight at once.
pub const REFERRING_IN_FLIGHT: usize = 4;
/// The next page is asked for when the cursor comes this close to the last loaded row.
const NEAR_END: usize = 10;
/// Lines PgUp and PgDn move in an item.
const DETAIL_PAGE: usize = 20;
/// Characters of an ETag shown in a list.
pub const SHORT_ETAG: usize = 8;

// ------------------------------------------------------------------------------------- columns

/// What a column of a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnValue {
    /// A natural key member, at this path of the item.
    Key(Vec<String>),
    /// The item's id (only when the metadata gave no key).
    Id,
    ETag,
    Modified,
    ChangeVersion,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub label: String,
    pub value: ColumnValue,
}

impl Column {
    fn raw<'a>(&self, item: &'a Value) -> Option<&'a Value> {
        match &self.value {
            ColumnValue::Key(path) => meta::value_at(item, path),
            ColumnValue::Id => item.get(wire::ID),
            ColumnValue::ETag => item.get(wire::ETAG),
            ColumnValue::Modified => item.get(wire::LAST_MODIFIED_DATE),
            ColumnValue::ChangeVersion => item.get(wire::CHANGE_VERSION),
        }
    }

    /// The cell's text.
    pub fn cell(&self, item: &Value) -> String {
        let text = self.raw(item).and_then(wire::paths::query_value).unwrap_or_default();
        match self.value {
            ColumnValue::ETag | ColumnValue::Id => text.chars().take(SHORT_ETAG).collect(),
            ColumnValue::Modified => text.replacen('T', " ", 1),
            _ => text,
        }
    }

    /// Numbers by value, text by its characters, missing values last.
    fn compare(&self, a: &Value, b: &Value) -> Ordering {
        match (self.raw(a), self.raw(b)) {
            (Some(Value::Number(x)), Some(Value::Number(y))) => {
                x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal)
            }
            (Some(x), Some(y)) => wire::paths::query_value(x).cmp(&wire::paths::query_value(y)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
}

/// A list's columns: the natural key's members, then the short ETag, the last modification and
/// the change version. Without metadata, the id stands for the key.
pub fn columns(meta: Option<&ResourceMeta>) -> Vec<Column> {
    let key: Vec<Column> = meta
        .map(|meta| {
            meta.key
                .iter()
                .map(|c| Column { label: c.label.clone(), value: ColumnValue::Key(c.path.clone()) })
                .collect()
        })
        .unwrap_or_default();
    let key = if key.is_empty() { vec![Column { label: "id".into(), value: ColumnValue::Id }] } else { key };
    key.into_iter()
        .chain([
            Column { label: "etag".into(), value: ColumnValue::ETag },
            Column { label: "lastModified".into(), value: ColumnValue::Modified },
            Column { label: "changeVersion".into(), value: ColumnValue::ChangeVersion },
        ])
        .collect()
}

/// Column widths that fit `available` cells, gaps of one between them: each as wide as its
/// widest text, the widest narrowed first while they do not fit (to no less than 4).
pub fn fit_widths(natural: &[usize], available: usize) -> Vec<usize> {
    let mut widths = natural.to_vec();
    let room = available.saturating_sub(natural.len().saturating_sub(1));
    while widths.iter().sum::<usize>() > room {
        let (widest, width) =
            widths.iter().copied().enumerate().max_by_key(|(i, w)| (*w, usize::MAX - i)).unwrap_or_default();
        if width <= 4 {
            break;
        }
        widths[widest] = width - 1;
    }
    widths
}

// ------------------------------------------------------------------------------------ the list

/// How a list is sorted: by a column, ascending or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: usize,
    pub descending: bool,
}

impl ListState {
    /// The item under the cursor.
    pub fn selected(&self) -> Option<&Value> {
        self.order.get(self.cursor).and_then(|i| self.items.get(*i))
    }

    /// The rows in the order shown: indices into `items`.
    pub fn rows(&self) -> impl Iterator<Item = &Value> {
        self.order.iter().filter_map(|i| self.items.get(*i))
    }

    /// Puts the loaded rows in the sort's order (the API's order without one), keeping the
    /// cursor on the item it was on.
    fn arrange(&mut self, columns: &[Column]) {
        let selected = self.order.get(self.cursor).copied();
        self.order = (0..self.items.len()).collect();
        if let Some(Sort { column, descending }) = self.sort {
            if let Some(column) = columns.get(column) {
                let items = &self.items;
                self.order.sort_by(|a, b| {
                    let ordering = column.compare(&items[*a], &items[*b]);
                    if descending {
                        ordering.reverse()
                    } else {
                        ordering
                    }
                });
            }
        }
        if let Some(selected) = selected {
            self.cursor = self.order.iter().position(|i| *i == selected).unwrap_or(0);
        }
    }
}

impl App {
    /// The metadata of the list's resource, once it has come.
    pub fn list_meta(&self) -> Option<&ResourceMeta> {
        self.metas.get(&self.list.resource)
    }

    pub fn list_columns(&self) -> Vec<Column> {
        columns(self.list_meta())
    }

    /// Opens a resource's list, filtered (the first page, and the metadata if not known yet).
    pub(super) fn open_list(&mut self, resource: String, filter: Vec<(String, String)>) -> Vec<Cmd> {
        self.list = ListState { resource: resource.clone(), filter, ..ListState::default() };
        self.busy = Some(format!("Loading {resource}…"));
        self.go(Screen::List);
        let mut cmds = self.meta_wanted(&resource);
        cmds.extend(self.reload_list());
        cmds
    }

    /// Asks for a resource's metadata unless it is known.
    fn meta_wanted(&self, resource: &str) -> Vec<Cmd> {
        if self.metas.contains_key(resource) {
            vec![]
        } else {
            vec![Cmd::LoadMeta(resource.to_owned())]
        }
    }

    pub(super) fn reload_list(&mut self) -> Vec<Cmd> {
        self.list.items.clear();
        self.list.order.clear();
        self.list.cursor = 0;
        self.list.total = None;
        self.list.next = None;
        self.list.more = false;
        self.list.loading = true;
        vec![Cmd::LoadPage {
            resource: self.list.resource.clone(),
            offset: 0,
            filter: self.list.filter.clone(),
            token: None,
        }]
    }

    /// The next page, when the cursor nears the end of what is loaded and there is more.
    fn more_wanted(&mut self) -> Vec<Cmd> {
        let list = &mut self.list;
        if list.loading || !list.more || list.cursor + NEAR_END < list.items.len() {
            return vec![];
        }
        list.loading = true;
        vec![Cmd::LoadPage {
            resource: list.resource.clone(),
            offset: list.items.len() as u64,
            filter: list.filter.clone(),
            token: list.next.clone(),
        }]
    }

    pub(super) fn page_loaded(
        &mut self,
        resource: String,
        offset: u64,
        filter: Vec<(String, String)>,
        result: Result<Page, String>,
    ) -> Vec<Cmd> {
        // An answer for another list, or for a page this list no longer waits for, is late.
        if resource != self.list.resource || filter != self.list.filter || !self.list.loading {
            return vec![];
        }
        if offset != self.list.items.len() as u64 {
            return vec![];
        }
        self.list.loading = false;
        self.busy = None;
        match result {
            Ok(page) => {
                let got = page.items.len() as u64;
                let paged_by_token = self.list.next.is_some();
                self.list.items.extend(page.items);
                let loaded = self.list.items.len() as u64;
                self.list.total = page.total.or(self.list.total);
                // A keyset page may end early; its token says whether another follows. An
                // offset page is followed by another while the total says so, or while full.
                self.list.more = page.next.is_some()
                    || (!paged_by_token
                        && got > 0
                        && self.list.total.map_or(got == PAGE_SIZE, |t| loaded < t));
                self.list.next = page.next;
                let columns = self.list_columns();
                self.list.arrange(&columns);
                self.more_wanted()
            }
            Err(e) => {
                self.status = format!("Error: {e}");
                vec![]
            }
        }
    }

    fn list_key(&mut self, code: crossterm::event::KeyCode) -> Option<Vec<Cmd>> {
        use crossterm::event::KeyCode;
        let len = self.list.items.len();
        let step = |cursor: usize, by: isize| {
            (cursor as isize + by).clamp(0, len.saturating_sub(1) as isize) as usize
        };
        let columns = self.list_columns().len();
        match code {
            KeyCode::Up | KeyCode::Char('k') => self.list.cursor = step(self.list.cursor, -1),
            KeyCode::Down | KeyCode::Char('j') => self.list.cursor = step(self.list.cursor, 1),
            KeyCode::PageUp => self.list.cursor = step(self.list.cursor, -(PAGE_SIZE as isize / 2)),
            KeyCode::PageDown => self.list.cursor = step(self.list.cursor, PAGE_SIZE as isize / 2),
            KeyCode::Home | KeyCode::Char('g') => self.list.cursor = 0,
            KeyCode::End | KeyCode::Char('G') => self.list.cursor = len.saturating_sub(1),
            KeyCode::Left => self.list.column = self.list.column.saturating_sub(1),
            KeyCode::Right => self.list.column = (self.list.column + 1).min(columns.saturating_sub(1)),
            KeyCode::Char('s') => return Some(self.sort_by_selected_column()),
            KeyCode::Enter => {
                let Some(id) = self.list.selected().and_then(|i| i[wire::ID].as_str()) else {
                    return Some(vec![]);
                };
                let cmd = Cmd::LoadItem { resource: self.list.resource.clone(), id: id.to_owned() };
                // An item opened from its list starts a new trail of references.
                self.trail.clear();
                self.referenced_by = None;
                self.busy = Some("Loading…".into());
                return Some(vec![cmd]);
            }
            _ => return None,
        }
        Some(self.more_wanted())
    }

    /// `s`: sorts the loaded rows by the selected column, then the other way, then as the API
    /// gave them.
    fn sort_by_selected_column(&mut self) -> Vec<Cmd> {
        let column = self.list.column;
        self.list.sort = match self.list.sort {
            Some(Sort { column: c, descending: false }) if c == column => {
                Some(Sort { column, descending: true })
            }
            Some(Sort { column: c, descending: true }) if c == column => None,
            _ => Some(Sort { column, descending: false }),
        };
        let columns = self.list_columns();
        self.list.arrange(&columns);
        self.status = match (self.list.sort, columns.get(column)) {
            (Some(sort), Some(c)) => format!(
                "Sorted by {} {} here: the {} loaded rows (more are sorted in as they load).",
                c.label,
                if sort.descending { "descending" } else { "ascending" },
                self.list.items.len()
            ),
            _ => "In the API's order.".into(),
        };
        vec![]
    }

    /// `/field=value&field=value`: filters the list by query fields the metadata declares (any
    /// field when the metadata has not come); `/` alone clears the filter. A filter that cannot
    /// be sent is not: the prompt stays open with it, to fix.
    pub(super) fn filter_list(&mut self, text: &str) -> Vec<Cmd> {
        match parse_filter(self.list_meta(), text) {
            Ok(filters) => {
                self.list.filter = filters;
                self.status =
                    if self.list.filter.is_empty() { "Filter cleared.".into() } else { String::new() };
                self.reload_list()
            }
            Err(why) => {
                self.status = why;
                self.prompt = Some(Prompt::Filter(text.to_owned()));
                vec![]
            }
        }
    }

    /// Tab in the filter prompt: completes the field being typed from the declared query fields
    /// (as far as they agree), and lists the candidates.
    pub(super) fn complete_filter(&mut self) -> Vec<Cmd> {
        let Some(Prompt::Filter(text)) = &self.prompt else { return vec![] };
        let Some(meta) = self.list_meta() else {
            self.status = "The metadata of this resource has not come yet.".into();
            return vec![];
        };
        let start = text.rfind('&').map_or(0, |at| at + 1);
        let typed = text[start..].trim_start().to_owned();
        if typed.contains('=') {
            return vec![];
        }
        let candidates = matching_fields(meta, &typed);
        let resource = meta.resource.clone();
        let completed = match candidates.as_slice() {
            [] => None,
            [one] => Some(format!("{one}=")),
            many => Some(common_prefix(many)),
        };
        self.status = match candidates.len() {
            0 => format!("No query field of {resource} starts with {typed:?}."),
            1 => String::new(),
            _ => format!("Query fields: {}", candidates.join(" ")),
        };
        if let (Some(completed), Some(Prompt::Filter(text))) = (completed, &mut self.prompt) {
            if completed.len() >= typed.len() {
                text.truncate(start);
                text.push_str(&completed);
            }
        }
        vec![]
    }

    /// While a filter is typed: the query fields that fit what is typed of the current one.
    pub fn filter_hint(&self) -> Option<String> {
        let Some(Prompt::Filter(text)) = &self.prompt else { return None };
        if self.screen != Screen::List {
            return None;
        }
        let meta = self.list_meta()?;
        let current = text.rsplit('&').next().unwrap_or_default().trim_start();
        if let Some((field, _)) = current.split_once('=') {
            let kind = meta.query_field(field.trim()).map(|f| f.kind);
            return Some(match kind {
                Some(kind) => format!("{} = {}", field.trim(), kind_name(kind)),
                None => format!("{} is not a query field of {}", field.trim(), meta.resource),
            });
        }
        let fields = matching_fields(meta, current);
        Some(format!("fields (Tab completes, & adds another): {}", fields.join(" ")))
    }
}

/// `field=value&field=value` as filters, each field one the metadata declares (named as it
/// does) with a value of its type; any field when there is no metadata. Empty: no filter.
pub fn parse_filter(meta: Option<&ResourceMeta>, text: &str) -> Result<Vec<(String, String)>, String> {
    let mut filters = Vec::new();
    for part in text.split('&').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((field, value)) = part.split_once('=').filter(|(f, _)| !f.trim().is_empty()) else {
            return Err("Filter as field=value, e.g. /lastSurname=Smith (Tab completes a field).".into());
        };
        let (field, value) = (field.trim(), value.trim());
        let Some(meta) = meta else {
            filters.push((field.to_owned(), value.to_owned()));
            continue;
        };
        let Some(declared) = meta.query_field(field) else {
            let near = near_fields(meta, field);
            let hint = if near.is_empty() {
                "Tab lists its query fields.".to_owned()
            } else {
                format!("did you mean {}?", near.join(", "))
            };
            return Err(format!("{field} is not a query field of {}: {hint}", meta.resource));
        };
        declared
            .kind
            .check(value)
            .map_err(|wanted| format!("{} takes {wanted}, not {value:?}.", declared.name))?;
        filters.push((declared.name.clone(), value.to_owned()));
    }
    Ok(filters)
}

fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Integer => "a whole number",
        FieldKind::Number => "a number",
        FieldKind::Boolean => "true or false",
        FieldKind::Date => "a date (YYYY-MM-DD)",
        FieldKind::Text | FieldKind::Other => "text",
    }
}

/// Declared query fields starting with `typed`, case-insensitively.
fn matching_fields(meta: &ResourceMeta, typed: &str) -> Vec<String> {
    let typed = typed.to_ascii_lowercase();
    meta.query
        .iter()
        .filter(|f| f.name.to_ascii_lowercase().starts_with(&typed))
        .map(|f| f.name.clone())
        .collect()
}

/// Fields close to an unknown one: those it starts, or that contain it.
fn near_fields(meta: &ResourceMeta, field: &str) -> Vec<String> {
    let lower = field.to_ascii_lowercase();
    let prefix: String = lower.chars().take(4).collect();
    meta.query
        .iter()
        .filter(|f| {
            let name = f.name.to_ascii_lowercase();
            name.contains(&lower) || lower.contains(&name) || name.starts_with(&prefix)
        })
        .map(|f| f.name.clone())
        .take(5)
        .collect()
}

fn common_prefix(names: &[String]) -> String {
    let first = &names[0];
    let mut end = first.len();
    for name in &names[1..] {
        end = end.min(
            first
                .char_indices()
                .zip(name.chars())
                .find(|((_, a), b)| !a.eq_ignore_ascii_case(b))
                .map_or(first.len().min(name.len()), |((i, _), _)| i),
        );
    }
    first[..end].to_owned()
}

// ---------------------------------------------------------------------------------- the detail

/// One line of an item's JSON, and the link it is part of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailLine {
    pub text: String,
    pub link: Option<usize>,
}

/// A reference (or a descriptor) in an item: where it is, its lines, and what it names.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailLink {
    /// `schoolReference`, `classPeriods[0].classPeriodReference`, `gradeLevelDescriptor`.
    pub path: String,
    pub first: usize,
    pub last: usize,
    /// The reference object, or the descriptor's URI.
    pub value: Value,
}

impl DetailState {
    pub fn new(resource: String, id: String, item: Item) -> DetailState {
        let mut lines = Vec::new();
        let mut links = Vec::new();
        json_lines(&item.body, "", 0, "", false, None, &mut lines, &mut links);
        DetailState { resource, id, body: item.body, etag: item.etag, lines, links, cursor: 0 }
    }

    /// The link under the cursor.
    pub fn link(&self) -> Option<&DetailLink> {
        self.lines.get(self.cursor).and_then(|line| line.link).and_then(|i| self.links.get(i))
    }
}

/// Pretty-prints `value` as `serde_json` does (two spaces), line by line, noting which lines
/// make each reference object (a member named `…Reference`) and each descriptor URI (a string
/// member named `…Descriptor`).
#[allow(clippy::too_many_arguments)]
fn json_lines(
    value: &Value,
    path: &str,
    depth: usize,
    label: &str,
    comma: bool,
    link: Option<usize>,
    lines: &mut Vec<DetailLine>,
    links: &mut Vec<DetailLink>,
) {
    let indent = "  ".repeat(depth);
    let end = if comma { "," } else { "" };
    let name = path.rsplit('.').next().unwrap_or_default();
    let starts_link = link.is_none()
        && match value {
            Value::Object(_) => wire::is_reference_member(name),
            Value::String(uri) => wire::is_descriptor_member(name) && wire::descriptor_parts(uri).is_some(),
            _ => false,
        };
    let link = if starts_link {
        links.push(DetailLink {
            path: path.to_owned(),
            first: lines.len(),
            last: lines.len(),
            value: value.clone(),
        });
        Some(links.len() - 1)
    } else {
        link
    };
    let push = |text: String, lines: &mut Vec<DetailLine>| lines.push(DetailLine { text, link });
    match value {
        Value::Object(members) if !members.is_empty() => {
            push(format!("{indent}{label}{{"), lines);
            let count = members.len();
            for (i, (key, member)) in members.iter().enumerate() {
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                let label = format!("{}: ", Value::String(key.clone()));
                json_lines(member, &child, depth + 1, &label, i + 1 < count, link, lines, links);
            }
            push(format!("{indent}}}{end}"), lines);
        }
        Value::Array(items) if !items.is_empty() => {
            push(format!("{indent}{label}["), lines);
            let count = items.len();
            for (i, item) in items.iter().enumerate() {
                json_lines(item, &format!("{path}[{i}]"), depth + 1, "", i + 1 < count, link, lines, links);
            }
            push(format!("{indent}]{end}"), lines);
        }
        scalar => push(format!("{indent}{label}{scalar}{end}"), lines),
    }
    if starts_link {
        if let Some(last) = links.last_mut() {
            last.last = lines.len() - 1;
        }
    }
}

/// The resource and id a reference's `link` names (`{"href": "/ed-fi/schools/{id}"}`).
pub fn link_target(reference: &Value) -> Option<(String, String)> {
    Link::of(reference)?.target()
}

/// Where a navigation step came from, to go back to it.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub detail: DetailState,
    pub referenced_by: Option<ReferencedByState>,
    pub from: Screen,
}

impl App {
    fn detail_key(&mut self, code: crossterm::event::KeyCode) -> Option<Vec<Cmd>> {
        use crossterm::event::KeyCode;
        let detail = self.detail.as_mut()?;
        let len = detail.lines.len();
        let step = |cursor: usize, by: isize| {
            (cursor as isize + by).clamp(0, len.saturating_sub(1) as isize) as usize
        };
        match code {
            KeyCode::Up | KeyCode::Char('k') => detail.cursor = step(detail.cursor, -1),
            KeyCode::Down | KeyCode::Char('j') => detail.cursor = step(detail.cursor, 1),
            KeyCode::PageUp => detail.cursor = step(detail.cursor, -(DETAIL_PAGE as isize)),
            KeyCode::PageDown => detail.cursor = step(detail.cursor, DETAIL_PAGE as isize),
            KeyCode::Home | KeyCode::Char('g') => detail.cursor = 0,
            KeyCode::End | KeyCode::Char('G') => detail.cursor = len.saturating_sub(1),
            KeyCode::Tab | KeyCode::BackTab => {
                // From the start of the reference under the cursor, the next (or previous) one,
                // round the end.
                let here = detail.link().map_or(detail.cursor, |l| l.first);
                let links = &detail.links;
                let next = if code == KeyCode::Tab {
                    links.iter().position(|l| l.first > here).or((!links.is_empty()).then_some(0))
                } else {
                    links.iter().rposition(|l| l.first < here).or(links.len().checked_sub(1))
                };
                match next {
                    Some(i) => detail.cursor = links[i].first,
                    None => self.status = "This item has no references.".into(),
                }
            }
            KeyCode::Enter => return Some(self.follow_link()),
            KeyCode::Char('b') => return Some(self.open_referenced_by()),
            KeyCode::Esc | KeyCode::Backspace => return self.back_along_trail(),
            _ => return None,
        }
        Some(vec![])
    }

    /// Esc on an item reached through a reference: back to where the reference was.
    fn back_along_trail(&mut self) -> Option<Vec<Cmd>> {
        let crumb = self.trail.pop()?;
        self.detail = Some(crumb.detail);
        self.referenced_by = crumb.referenced_by;
        if crumb.from != Screen::Detail {
            self.go_back();
        }
        Some(vec![])
    }

    /// Enter on a reference: opens the item it names, by its `link`, else by querying the
    /// target's collection with the reference's members (the target's natural key). Enter on a
    /// descriptor opens the descriptor.
    fn follow_link(&mut self) -> Vec<Cmd> {
        let Some(detail) = &self.detail else { return vec![] };
        let Some(link) = detail.link().cloned() else {
            self.status = "Not a reference: Tab moves to the next one.".into();
            return vec![];
        };
        let target = match &link.value {
            Value::String(uri) => self.descriptor_target(&link.path, uri),
            reference => match link_target(reference) {
                Some((resource, id)) => Ok(Target::Id { resource, id }),
                None => self.key_target(&detail.resource, &link.path, reference),
            },
        };
        match target {
            Ok(target) => {
                let name = match &target {
                    Target::Id { resource, .. } | Target::Key { resource, .. } => resource.clone(),
                };
                self.busy = Some(format!("Opening the {name} item {} names…", link.path));
                vec![Cmd::Follow(target)]
            }
            Err(why) => {
                self.status = why;
                vec![]
            }
        }
    }

    /// A reference without a `link`: the target's natural key, as query filters.
    fn key_target(&self, resource: &str, path: &str, reference: &Value) -> Result<Target, String> {
        let meta = self.metas.get(resource).ok_or("The metadata of this resource has not come yet.")?;
        let target = meta
            .reference_at(path)
            .and_then(|r| r.target.clone())
            .ok_or_else(|| format!("{path} has no link, and the metadata names no resource for it."))?;
        let filters = reference
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(name, _)| *name != wire::LINK)
            .filter_map(|(name, value)| Some((name.clone(), wire::paths::query_value(value)?)))
            .collect();
        Ok(Target::Key { resource: target, filters })
    }

    /// A descriptor URI (`uri://ed-fi.org/GradeLevelDescriptor#Ninth grade`): the item of the
    /// descriptor resource the member is named after with that namespace and code value.
    fn descriptor_target(&self, path: &str, uri: &str) -> Result<Target, String> {
        let member = path.rsplit('.').next().unwrap_or(path);
        let member = member.split('[').next().unwrap_or(member);
        let resource = self
            .resources
            .iter()
            .map(|r| &r.info.name)
            .find(|name| {
                name.strip_suffix('s')
                    .is_some_and(|s| member.to_ascii_lowercase().ends_with(&s.to_ascii_lowercase()))
            })
            .cloned()
            .ok_or_else(|| format!("The API serves no descriptor resource for {member}."))?;
        let (namespace, code) = wire::descriptor_parts(uri).ok_or("Not a descriptor URI.")?;
        let filters =
            vec![(wire::NAMESPACE.into(), namespace.into()), (wire::CODE_VALUE.into(), code.into())];
        Ok(Target::Key { resource, filters })
    }

    /// The item a reference named has come: it is shown, and Esc comes back.
    fn followed(&mut self, result: Result<(String, Item), String>) -> Vec<Cmd> {
        self.busy = None;
        if !matches!(self.screen, Screen::Detail | Screen::ReferencedBy) {
            return vec![];
        }
        match result {
            Ok((resource, item)) => {
                let id = item.body.get(wire::ID).and_then(Value::as_str).unwrap_or_default().to_owned();
                let cmds = self.meta_wanted(&resource);
                if let Some(detail) = self.detail.take() {
                    self.trail.push(Crumb {
                        detail,
                        referenced_by: self.referenced_by.clone(),
                        from: self.screen,
                    });
                }
                self.detail = Some(DetailState::new(resource, id, item));
                self.status = "Esc goes back.".into();
                self.go(Screen::Detail);
                cmds
            }
            Err(e) => {
                self.status = format!("Could not open it: {e}");
                vec![]
            }
        }
    }
}

// ------------------------------------------------------------------------------- referenced by

/// What became of one GET of "referenced by".
#[derive(Debug, Clone, PartialEq)]
pub enum GroupState {
    Waiting,
    Loading,
    /// The items that point here, with the references that do; how many the query matched; how
    /// many of the items read pointed elsewhere (the query field was another reference's).
    Loaded {
        items: Vec<(Value, Vec<String>)>,
        total: Option<u64>,
        elsewhere: usize,
    },
    Failed(String),
}

/// How an item shows it points here through a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Pointer {
    /// A reference object: its `link` names this item, or (without one) its members have these
    /// values.
    Reference(Vec<(String, Value)>),
    /// A descriptor URI, compared case-insensitively as the API does: the member itself, or a
    /// reference's member of that name.
    Descriptor(String),
}

/// The items of one resource that may point here, asked for with one filtered GET.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferringGroup {
    pub resource: String,
    /// The fields the GET covers, with what each must hold.
    pub references: Vec<(String, Pointer)>,
    pub filters: Vec<(String, String)>,
    pub state: GroupState,
}

impl ReferringGroup {
    pub fn fields(&self) -> Vec<&str> {
        self.references.iter().map(|(field, _)| field.as_str()).collect()
    }
}

/// A row of "referenced by": a resource, or one of its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferringRow {
    Group(usize),
    Item(usize, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReferencedByState {
    pub resource: String,
    pub id: String,
    /// The item's natural key, as `schoolId=255901`.
    pub label: String,
    /// `None` until the metadata's referrers are known.
    pub groups: Option<Vec<ReferringGroup>>,
    /// References no query reaches, or whose values this item lacks:
    /// `sections.classPeriods[].classPeriodReference`.
    pub unqueryable: Vec<String>,
    pub cursor: usize,
}

impl ReferencedByState {
    /// The rows shown: every resource with items pointing here (and its items), and every
    /// resource whose GET failed.
    pub fn rows(&self) -> Vec<ReferringRow> {
        let mut rows = Vec::new();
        for (g, group) in self.groups.iter().flatten().enumerate() {
            match &group.state {
                GroupState::Loaded { items, .. } if !items.is_empty() => {
                    rows.push(ReferringRow::Group(g));
                    rows.extend((0..items.len()).map(|i| ReferringRow::Item(g, i)));
                }
                GroupState::Failed(_) => rows.push(ReferringRow::Group(g)),
                _ => {}
            }
        }
        rows
    }

    /// (resources asked, resources to ask).
    pub fn progress(&self) -> (usize, usize) {
        let groups = self.groups.as_deref().unwrap_or_default();
        let done =
            groups.iter().filter(|g| matches!(g.state, GroupState::Loaded { .. } | GroupState::Failed(_)));
        (done.count(), groups.len())
    }
}

/// `item`'s top-level `field` points at the target (whose id is `id`).
fn points_at(item: &Value, field: &str, pointer: &Pointer, id: &str) -> bool {
    match pointer {
        Pointer::Reference(key) => {
            let Some(reference) = item.get(field) else { return false };
            match link_target(reference) {
                Some((_, linked)) => linked == id,
                // As the API's filter found it: text by its rule of case.
                None => key.iter().all(|(member, value)| {
                    reference.get(member).is_some_and(|stored| wire::paths::filter_finds(stored, value))
                }),
            }
        }
        Pointer::Descriptor(uri) => {
            let holds = |value: Option<&Value>| {
                value.and_then(Value::as_str).is_some_and(|v| wire::paths::same_text(v, uri))
            };
            holds(item.get(field))
                || item
                    .as_object()
                    .into_iter()
                    .flatten()
                    .any(|(_, member)| member.is_object() && holds(member.get(field)))
        }
    }
}

/// `schoolId=255901 · weekIdentifier=W1`: an item's natural key in words.
pub fn key_label(meta: Option<&ResourceMeta>, item: &Value) -> String {
    let parts: Vec<String> = meta
        .map(|meta| {
            meta.key
                .iter()
                .filter_map(|c| {
                    Some(format!("{}={}", c.label, wire::paths::query_value(meta::value_at(item, &c.path)?)?))
                })
                .collect()
        })
        .unwrap_or_default();
    if parts.is_empty() {
        item.get(wire::ID).and_then(Value::as_str).unwrap_or_default().to_owned()
    } else {
        parts.join(" · ")
    }
}

impl App {
    /// `b` on an item: what refers to it.
    fn open_referenced_by(&mut self) -> Vec<Cmd> {
        let Some(detail) = &self.detail else { return vec![] };
        let (resource, id) = (detail.resource.clone(), detail.id.clone());
        self.referenced_by = Some(ReferencedByState {
            resource: resource.clone(),
            id: id.clone(),
            label: key_label(self.metas.get(&resource), &detail.body),
            groups: None,
            unqueryable: Vec::new(),
            cursor: 0,
        });
        self.busy = Some(format!("Finding the references to this {resource} item in the metadata…"));
        self.go(Screen::ReferencedBy);
        vec![Cmd::LoadReferrers { resource, id }]
    }

    /// The metadata's referrers have come: one GET per referring resource and distinct filter.
    fn referrers_loaded(
        &mut self,
        resource: String,
        id: String,
        result: Result<Referrers, String>,
    ) -> Vec<Cmd> {
        let Some(state) = self.referenced_by.as_mut().filter(|s| s.resource == resource && s.id == id) else {
            return vec![];
        };
        self.busy = None;
        let referrers = match result {
            Ok(referrers) => referrers,
            Err(e) => {
                self.status = format!("Error: {e}");
                state.groups = Some(Vec::new());
                return vec![];
            }
        };
        let Some(body) =
            self.detail.as_ref().filter(|d| d.resource == resource && d.id == id).map(|d| &d.body)
        else {
            return vec![];
        };
        state.label = key_label(Some(&referrers.target), body);
        let mut groups: Vec<ReferringGroup> = Vec::new();
        for referrer in &referrers.referrers {
            if referrer.unqueryable.is_some() {
                state.unqueryable.push(format!("{}.{}", referrer.resource, referrer.field));
                continue;
            }
            let values: Option<Vec<(String, Value)>> = if referrer.descriptor {
                let part = |name: &str| body.get(name).and_then(Value::as_str);
                part(wire::NAMESPACE).zip(part(wire::CODE_VALUE)).map(|(namespace, code)| {
                    vec![(referrer.field.clone(), Value::String(wire::descriptor_uri(namespace, code)))]
                })
            } else {
                referrer
                    .members
                    .iter()
                    .map(|(member, path)| Some((member.clone(), meta::value_at(body, path)?.clone())))
                    .collect()
            };
            let Some(values) = values else {
                state
                    .unqueryable
                    .push(format!("{}.{} (this item lacks a key value)", referrer.resource, referrer.field));
                continue;
            };
            let mut filters: Vec<(String, String)> =
                values.iter().filter_map(|(m, v)| Some((m.clone(), wire::paths::query_value(v)?))).collect();
            filters.sort();
            let pointer = match (referrer.descriptor, values.first()) {
                (true, Some((_, Value::String(uri)))) => Pointer::Descriptor(uri.clone()),
                _ => Pointer::Reference(values),
            };
            let reference = (referrer.field.clone(), pointer);
            match groups.iter_mut().find(|g| g.resource == referrer.resource && g.filters == filters) {
                Some(group) => group.references.push(reference),
                None => groups.push(ReferringGroup {
                    resource: referrer.resource.clone(),
                    references: vec![reference],
                    filters,
                    state: GroupState::Waiting,
                }),
            }
        }
        state.groups = Some(groups);
        self.metas.insert(resource, referrers.target);
        self.pump_referring()
    }

    /// Keeps [`REFERRING_IN_FLIGHT`] GETs going while any wait.
    fn pump_referring(&mut self) -> Vec<Cmd> {
        let Some(state) = &mut self.referenced_by else { return vec![] };
        let Some(groups) = &mut state.groups else { return vec![] };
        let mut in_flight = groups.iter().filter(|g| g.state == GroupState::Loading).count();
        let mut cmds = Vec::new();
        for (g, group) in groups.iter_mut().enumerate() {
            if in_flight >= REFERRING_IN_FLIGHT {
                break;
            }
            if group.state == GroupState::Waiting {
                group.state = GroupState::Loading;
                in_flight += 1;
                cmds.push(Cmd::LoadReferring {
                    of: state.id.clone(),
                    group: g,
                    resource: group.resource.clone(),
                    filters: group.filters.clone(),
                });
            }
        }
        cmds
    }

    fn referring_loaded(&mut self, of: String, g: usize, result: Result<Page, String>) -> Vec<Cmd> {
        let Some(state) = self.referenced_by.as_mut().filter(|s| s.id == of) else { return vec![] };
        let id = state.id.clone();
        let Some(group) = state.groups.as_mut().and_then(|groups| groups.get_mut(g)) else { return vec![] };
        if group.state != GroupState::Loading {
            return vec![];
        }
        group.state = match result {
            Ok(page) => {
                let read = page.items.len();
                let items: Vec<(Value, Vec<String>)> = page
                    .items
                    .into_iter()
                    .filter_map(|item| {
                        let via: Vec<String> = group
                            .references
                            .iter()
                            .filter(|(field, key)| points_at(&item, field, key, &id))
                            .map(|(field, _)| field.clone())
                            .collect();
                        (!via.is_empty()).then_some((item, via))
                    })
                    .collect();
                let elsewhere = read - items.len();
                GroupState::Loaded { items, total: page.total, elsewhere }
            }
            Err(e) => GroupState::Failed(e),
        };
        let cmds = self.pump_referring();
        if let Some(state) = &self.referenced_by {
            let (done, all) = state.progress();
            if done == all {
                self.status = self.referenced_by_summary();
            }
        }
        cmds
    }

    /// One line on what "referenced by" found.
    fn referenced_by_summary(&self) -> String {
        let Some(state) = &self.referenced_by else { return String::new() };
        let groups = state.groups.as_deref().unwrap_or_default();
        let found: Vec<&ReferringGroup> = groups
            .iter()
            .filter(|g| matches!(&g.state, GroupState::Loaded { items, .. } if !items.is_empty()))
            .collect();
        if found.is_empty() {
            format!("Nothing the API can be asked about refers to it ({} resources asked).", groups.len())
        } else {
            format!(
                "Referenced from {} resource(s); Enter opens an item, or a resource's whole filtered list.",
                found.len()
            )
        }
    }

    fn referenced_by_key(&mut self, code: crossterm::event::KeyCode) -> Option<Vec<Cmd>> {
        use crossterm::event::KeyCode;
        let state = self.referenced_by.as_mut()?;
        let rows = state.rows();
        let len = rows.len();
        let step = |cursor: usize, by: isize| {
            (cursor as isize + by).clamp(0, len.saturating_sub(1) as isize) as usize
        };
        match code {
            KeyCode::Up | KeyCode::Char('k') => state.cursor = step(state.cursor, -1),
            KeyCode::Down | KeyCode::Char('j') => state.cursor = step(state.cursor, 1),
            KeyCode::PageUp => state.cursor = step(state.cursor, -(DETAIL_PAGE as isize)),
            KeyCode::PageDown => state.cursor = step(state.cursor, DETAIL_PAGE as isize),
            KeyCode::Char('r') => return Some(self.open_referenced_by_again()),
            KeyCode::Enter => {
                let groups = state.groups.as_deref().unwrap_or_default();
                return Some(match rows.get(state.cursor.min(len.saturating_sub(1))) {
                    Some(ReferringRow::Item(g, i)) => {
                        let group = &groups[*g];
                        let GroupState::Loaded { items, .. } = &group.state else { return Some(vec![]) };
                        let id =
                            items[*i].0.get(wire::ID).and_then(Value::as_str).unwrap_or_default().to_owned();
                        let resource = group.resource.clone();
                        self.busy = Some(format!("Opening the {resource} item…"));
                        vec![Cmd::Follow(Target::Id { resource, id })]
                    }
                    Some(ReferringRow::Group(g)) => {
                        let (resource, filters) = (groups[*g].resource.clone(), groups[*g].filters.clone());
                        self.open_list(resource, filters)
                    }
                    None => vec![],
                });
            }
            _ => return None,
        }
        Some(vec![])
    }

    /// `r` in "referenced by": asks again.
    fn open_referenced_by_again(&mut self) -> Vec<Cmd> {
        self.go_back();
        self.open_referenced_by()
    }
}

// -------------------------------------------------------------------------------------- wiring

impl App {
    /// Keys of the list, the item and "referenced by"; `None` leaves the key to the app's
    /// common keys.
    pub(super) fn table_key(&mut self, key: crossterm::event::KeyEvent) -> Option<Vec<Cmd>> {
        match self.screen {
            Screen::List => self.list_key(key.code),
            Screen::Detail => self.detail_key(key.code),
            Screen::ReferencedBy => self.referenced_by_key(key.code),
            _ => None,
        }
    }

    /// Reports of work for these screens.
    pub(super) fn table_msg(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Meta { resource, result } => {
                match result {
                    Ok(meta) => {
                        self.metas.insert(resource.clone(), meta);
                        if self.list.resource == resource {
                            let columns = self.list_columns();
                            self.list.column = self.list.column.min(columns.len().saturating_sub(1));
                            self.list.sort = self.list.sort.filter(|s| s.column < columns.len());
                            self.list.arrange(&columns);
                        }
                    }
                    Err(e) => self.status = format!("No metadata for {resource} ({e}): the list shows ids."),
                }
                vec![]
            }
            Msg::Followed { result } => self.followed(result),
            Msg::Referrers { resource, id, result } => self.referrers_loaded(resource, id, result),
            Msg::Referring { of, group, result } => self.referring_loaded(of, group, result),
            _ => vec![],
        }
    }
}
