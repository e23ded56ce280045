//! Drawing the list (a table), an item (its JSON with references as links) and "referenced by".
//! Read-only, like the rest of `ui`.

use edfi_core::wire::{self, answers::Link};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, List, ListItem, ListState, Paragraph, Row, Table, TableState, Wrap,
};
use ratatui::Frame;

use super::fit;
use serde_json::Value;

use crate::app::table::{fit_widths, key_label, link_target};
use crate::app::{App, GroupState, ReferringRow, PAGE_SIZE};
use crate::merge;

const LINK: Style = Style::new().fg(Color::Cyan);
const DIM: Style = Style::new().fg(Color::DarkGray);

/// `(12 of 300)`, `(12 loaded)`: what the list has of what there is.
pub fn list_count(app: &App) -> String {
    match app.list.total {
        Some(total) => format!("({} of {total})", app.list.items.len()),
        None if app.list.more => format!("({} loaded, more to come)", app.list.items.len()),
        None => format!("({})", app.list.items.len()),
    }
}

/// The progress of a load under way: `loading 51–100…`.
pub fn list_progress(app: &App) -> Option<String> {
    app.list.loading.then(|| {
        let from = app.list.items.len() as u64;
        let to = match app.list.total {
            Some(total) => (from + PAGE_SIZE).min(total),
            None => from + PAGE_SIZE,
        };
        format!("loading {}–{to}…", from + 1)
    })
}

/// The status bar's text for a list: where it is, its filter and sort.
pub fn list_status(app: &App) -> String {
    if let Some(hint) = app.filter_hint() {
        return hint;
    }
    let mut text = format!("{}  {}", app.list.resource, list_count(app));
    if !app.list.filter.is_empty() {
        let filter: Vec<String> = app.list.filter.iter().map(|(f, v)| format!("{f}={v}")).collect();
        text.push_str(&format!("  filter {}", filter.join("&")));
    }
    if let Some(sort) = app.list.sort {
        let columns = app.list_columns();
        let label = columns.get(sort.column).map_or("?", |c| c.label.as_str());
        let way = if sort.descending { "▼" } else { "▲" };
        text.push_str(&format!("  sorted by {label} {way} (the loaded rows, here)"));
    }
    if let Some(progress) = list_progress(app) {
        text.push_str(&format!("  {progress}"));
    }
    text
}

/// Rows whose text sets the columns' widths besides those shown: the first ones loaded, so the
/// columns keep still while the cursor moves.
const WIDTH_SAMPLE: usize = 200;

pub fn list(app: &App, frame: &mut Frame, area: Rect) {
    let columns = app.list_columns();
    // Only the rows in view are made (a list may hold thousands).
    let visible = area.height.saturating_sub(3) as usize;
    let first = first_shown(app.list.cursor, app.list.order.len(), visible);
    let cells = |item: &serde_json::Value| columns.iter().map(|c| c.cell(item)).collect::<Vec<String>>();
    let rows: Vec<Vec<String>> = app.list.rows().skip(first).take(visible).map(cells).collect();
    let sample: Vec<Vec<String>> = app.list.items.iter().take(WIDTH_SAMPLE).map(cells).collect();
    let headers: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| match app.list.sort {
            Some(sort) if sort.column == i => {
                format!("{}{}", c.label, if sort.descending { "▼" } else { "▲" })
            }
            _ => c.label.clone(),
        })
        .collect();
    let natural: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let text = rows.iter().chain(&sample).map(|r| r[i].chars().count());
            text.chain([h.chars().count()]).max().unwrap_or(0)
        })
        .collect();
    let widths = fit_widths(&natural, area.width.saturating_sub(2) as usize);
    let header = Row::new(headers.iter().zip(&widths).enumerate().map(|(i, (h, w))| {
        let style = Style::new().add_modifier(Modifier::BOLD);
        let style = if i == app.list.column { style.add_modifier(Modifier::UNDERLINED) } else { style };
        Cell::from(Span::styled(fit(h, *w), style))
    }));
    let body = rows.iter().map(|row| {
        Row::new(row.iter().zip(&widths).enumerate().map(|(i, (cell, w))| {
            let style = if i >= columns.len().saturating_sub(3) { DIM } else { Style::new() };
            Cell::from(Span::styled(fit(cell, *w), style))
        }))
    });
    let loading = list_progress(app).map(|p| format!("  {p}")).unwrap_or_default();
    let filter = if app.list.filter.is_empty() {
        String::new()
    } else {
        let filter: Vec<String> = app.list.filter.iter().map(|(f, v)| format!("{f}={v}")).collect();
        format!("  where {}", filter.join(" & "))
    };
    let sorted = match app.list.sort.and_then(|s| Some((columns.get(s.column)?, s.descending))) {
        Some((column, descending)) => {
            format!("  sorted by {} {} (the loaded rows)", column.label, if descending { "▼" } else { "▲" })
        }
        None => String::new(),
    };
    let title = format!(" {} {}{filter}{sorted}{loading} ", app.list.resource, list_count(app));
    let hint = " ← → column · s sort (loaded rows) · / filter · Enter open · n new ";
    let block = Block::default().borders(Borders::ALL).title(title).title_bottom(Line::styled(hint, DIM));
    let table = Table::new(body, widths.iter().map(|w| Constraint::Length(*w as u16)))
        .header(header)
        .column_spacing(1)
        .block(block)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let selected = (!rows.is_empty()).then(|| app.list.cursor - first);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}

/// The first line shown of `len` lines, `visible` at a time, keeping `cursor` in the middle.
fn first_shown(cursor: usize, len: usize, visible: usize) -> usize {
    cursor.saturating_sub(visible / 2).min(len.saturating_sub(visible))
}

pub fn detail(app: &App, frame: &mut Frame, area: Rect) {
    let Some(detail) = &app.detail else { return };
    let visible = area.height.saturating_sub(2) as usize;
    let first = first_shown(detail.cursor, detail.lines.len(), visible);
    let selected = detail.lines.get(detail.cursor).and_then(|l| l.link);
    let lines: Vec<Line> = detail
        .lines
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(i, line)| {
            let mut style = match line.link {
                Some(link) if Some(link) == selected => LINK.add_modifier(Modifier::BOLD),
                Some(_) => LINK,
                None => Style::new(),
            };
            if i == detail.cursor {
                style = style.add_modifier(Modifier::REVERSED);
            }
            let mut spans = vec![Span::styled(line.text.clone(), style)];
            if let Some(link) = line.link.and_then(|l| detail.links.get(l)).filter(|l| l.first == i) {
                let names = match &link.value {
                    Value::String(_) => "descriptor".to_owned(),
                    reference => match (Link::of(reference).map(|link| link.rel), link_target(reference)) {
                        (Some(rel), _) => rel,
                        (None, Some((resource, _))) => resource,
                        (None, None) => "by its key".to_owned(),
                    },
                };
                spans.push(Span::styled(format!("  → {names} (Enter)"), DIM));
            }
            Line::from(spans)
        })
        .collect();
    let label = key_label(app.metas.get(&detail.resource), &detail.body);
    let back = if app.trail.is_empty() { "" } else { " · Esc back" };
    let hint = format!(" Tab next reference · Enter open · b referenced by · h history · e edit{back} ");
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {}  {label} ", detail.resource))
        .title_bottom(Line::styled(hint, DIM));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// A referring item in one line: its natural key when the metadata has come, else its first
/// few values.
fn item_line(app: &App, resource: &str, item: &Value) -> String {
    match app.metas.get(resource) {
        Some(meta) => key_label(Some(meta), item),
        None => {
            let id = item.get(wire::ID).and_then(Value::as_str).unwrap_or_default();
            format!("{}…  {}", id.chars().take(8).collect::<String>(), summary(item))
        }
    }
}

/// An item's first few scalar members.
fn summary(item: &Value) -> String {
    let Some(object) = merge::content(item).as_object().cloned() else { return String::new() };
    object
        .iter()
        .filter_map(|(k, v)| wire::paths::query_value(v).map(|v| format!("{k}={v}")))
        .take(4)
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn referenced_by_status(app: &App) -> String {
    let Some(state) = &app.referenced_by else { return String::new() };
    let (done, all) = state.progress();
    match &state.groups {
        None => format!("referenced by: {}/{}  reading the metadata…", state.resource, state.id),
        Some(_) if done < all => {
            format!("referenced by: {}/{}  asked {done} of {all} resources…", state.resource, state.id)
        }
        Some(_) => format!("referenced by: {}/{}  asked all {all} resources", state.resource, state.id),
    }
}

pub fn referenced_by(app: &App, frame: &mut Frame, area: Rect) {
    let Some(state) = &app.referenced_by else { return };
    let groups = state.groups.as_deref().unwrap_or_default();
    let (done, all) = state.progress();
    let empty = groups
        .iter()
        .filter(|g| matches!(&g.state, GroupState::Loaded { items, .. } if items.is_empty()))
        .count();
    let mut notes: Vec<Line> = Vec::new();
    notes.push(Line::raw(match &state.groups {
        None => "Reading which resources can refer to it, from the metadata…".to_owned(),
        Some(_) if done < all => format!("Asking each resource that can refer to it: {done} of {all} asked…"),
        Some(_) => {
            format!("Asked all {all} resources that can refer to it; {empty} have no item pointing here.")
        }
    }));
    if !state.unqueryable.is_empty() {
        notes.push(Line::styled(
            format!(
                "Not asked, as no query field reaches them (inside a collection, or undeclared): {}",
                state.unqueryable.join(", ")
            ),
            DIM,
        ));
    }
    let notes_height = if state.unqueryable.is_empty() { 1 } else { 3 };
    let [list_area, notes_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(notes_height)]).areas(area);
    let rows = state.rows();
    let lines: Vec<ListItem> = rows
        .iter()
        .map(|row| match *row {
            ReferringRow::Group(g) => {
                let group = &groups[g];
                let mut spans =
                    vec![Span::styled(group.resource.clone(), Style::new().add_modifier(Modifier::BOLD))];
                match &group.state {
                    GroupState::Loaded { items, total, elsewhere } => {
                        let count = match (total, elsewhere) {
                            (Some(total), 0) if *total as usize == items.len() => format!("{total} item(s)"),
                            (Some(total), 0) => format!("{total} item(s), {} shown", items.len()),
                            (Some(total), _) => format!(
                                "{} point here (the query matched {total}; {elsewhere} read point elsewhere)",
                                items.len()
                            ),
                            (None, _) => format!("{} shown", items.len()),
                        };
                        spans.push(Span::raw(format!("  {count}")));
                    }
                    GroupState::Failed(e) => {
                        spans.push(Span::styled(format!("  error: {e}"), Style::new().fg(Color::Red)))
                    }
                    _ => {}
                }
                spans.push(Span::styled(format!("  via {}", group.fields().join(", ")), DIM));
                ListItem::new(Line::from(spans))
            }
            ReferringRow::Item(g, i) => {
                let group = &groups[g];
                let GroupState::Loaded { items, .. } = &group.state else { return ListItem::new("") };
                let (item, via) = &items[i];
                let modified = item.get(wire::LAST_MODIFIED_DATE).and_then(Value::as_str).unwrap_or_default();
                let mut spans =
                    vec![Span::styled(format!("  {}", item_line(app, &group.resource, item)), LINK)];
                if group.references.len() > 1 {
                    spans.push(Span::styled(format!("  via {}", via.join(", ")), DIM));
                }
                spans.push(Span::styled(format!("  modified {modified}"), DIM));
                ListItem::new(Line::from(spans))
            }
        })
        .collect();
    let title = format!(" Referenced by: {} {} ", state.resource, state.label);
    let hint = " Enter open the item · Enter on a resource: its filtered list · r ask again · Esc back ";
    let block = Block::default().borders(Borders::ALL).title(title).title_bottom(Line::styled(hint, DIM));
    let list = List::new(lines).block(block).highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut list_state = ListState::default().with_selected((!rows.is_empty()).then_some(state.cursor));
    frame.render_stateful_widget(list, list_area, &mut list_state);
    frame.render_widget(Paragraph::new(notes).wrap(Wrap { trim: true }), notes_area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_cut_with_a_mark() {
        assert_eq!(fit("Grand Bend", 20), "Grand Bend");
        assert_eq!(fit("Grand Bend High School", 10), "Grand Ben…");
    }

    #[test]
    fn the_cursor_stays_in_view() {
        assert_eq!(first_shown(0, 100, 20), 0);
        assert_eq!(first_shown(50, 100, 20), 40);
        assert_eq!(first_shown(99, 100, 20), 80);
        assert_eq!(first_shown(3, 5, 20), 0);
    }
}
