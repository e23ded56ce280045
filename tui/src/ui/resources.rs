//! Drawing the Resources screen (groups, counts, the `/` filter's matches) and the `:` prompt's
//! completions. Read-only, like the rest of `ui`.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use crate::app::resources::{display_name, Row as Shown, DESCRIPTORS, OTHER};
use crate::app::App;

/// Completions shown at once; the list scrolls with the selection.
const CANDIDATES_SHOWN: usize = 8;

pub(super) fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let filtering = !app.nav.filter.is_empty();
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let rows = app.resource_rows().into_iter().map(|row| match row {
        Shown::Group(g) => {
            let group = &app.nav.groups[g];
            let marker = if app.nav.expanded.contains(&group.name) { "▾" } else { "▸" };
            // The group's items once every member's count is in.
            let items: Option<u64> = group.members.iter().map(|&i| app.resources[i].count).sum();
            Row::new([
                Line::from(format!("{marker} {} ({})", display_name(&group.name), group.members.len())),
                Line::from(items.map_or(String::new(), |n| n.to_string())),
                Line::default(),
            ])
            .style(bold)
        }
        Shown::Resource { resource, group } => {
            let row = &app.resources[resource];
            let indent = if group.is_some() { "    " } else { "" };
            let mut name = vec![Span::raw(indent)];
            match app.nav.matches.iter().find(|m| m.resource == resource).filter(|_| filtering) {
                Some(found) => name.extend(row.info.name.chars().enumerate().map(|(i, c)| {
                    let hit = found.positions.binary_search(&(i as u32)).is_ok();
                    let style = if hit {
                        Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
                    } else {
                        Style::new()
                    };
                    Span::styled(c.to_string(), style)
                })),
                None => name.push(Span::raw(row.info.name.clone())),
            }
            let place = if !filtering {
                String::new()
            } else if row.info.descriptor {
                DESCRIPTORS.to_owned()
            } else if row.info.groups.is_empty() {
                OTHER.to_owned()
            } else {
                row.info.groups.iter().map(|g| display_name(g)).collect::<Vec<_>>().join(", ")
            };
            Row::new([Line::from(name), Line::from(app.count_label(resource)), Line::from(place)])
        }
    });
    let descriptors = app.resources.iter().filter(|r| r.info.descriptor).count();
    let title = if filtering {
        format!(
            " Resources matching /{}: {} of {} ",
            app.nav.filter,
            app.nav.matches.len(),
            app.resources.len()
        )
    } else {
        format!(" Resources: {} resources, {descriptors} descriptors ", app.resources.len() - descriptors)
    };
    let header = if filtering { ["resource", "items", "group"] } else { ["resource", "items", ""] };
    // Names are shown whole (the longest is 60 characters), indented under a heading.
    let widest = app.resources.iter().map(|r| r.info.name.chars().count()).max().unwrap_or(0) + 4;
    let name_width = (widest as u16).min(area.width.saturating_sub(30)).max(20);
    let widths = [Constraint::Length(name_width), Constraint::Length(8), Constraint::Fill(1)];
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(bold))
        .block(Block::default().borders(Borders::ALL).title(title))
        .highlight_symbol("▶ ")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(app.nav.cursor));
    frame.render_stateful_widget(table, area, &mut state);
}

/// The names a Tab at the `:` prompt found, above the prompt, the one in the prompt selected.
pub(super) fn completion(app: &App, frame: &mut Frame, area: Rect) {
    let Some(completion) = &app.nav.completion else { return };
    let n = completion.candidates.len();
    if n == 0 {
        let typed = match &app.prompt {
            Some(crate::app::Prompt::Command(text)) => text.as_str(),
            _ => "",
        };
        let text = match typed.strip_prefix("load ") {
            Some(path) => format!("No directory completes {path}"),
            None => format!("No resource starts with {typed}"),
        };
        let popup = Rect {
            x: area.x,
            y: area.y + area.height.saturating_sub(3),
            width: (text.chars().count() as u16 + 4).min(area.width),
            height: 3.min(area.height),
        };
        frame.render_widget(Clear, popup);
        frame.render_widget(Paragraph::new(text).block(Block::default().borders(Borders::ALL)), popup);
        return;
    }
    let shown = n.min(CANDIDATES_SHOWN);
    let first = completion.selected.map_or(0, |s| s.saturating_sub(shown - 1).min(n - shown));
    let width = completion.candidates.iter().map(|c| c.chars().count()).max().unwrap_or(0).max(36) as u16 + 4;
    let height = shown as u16 + 2;
    let popup = Rect {
        x: area.x,
        y: area.y + area.height.saturating_sub(height),
        width: width.min(area.width),
        height: height.min(area.height),
    };
    frame.render_widget(Clear, popup);
    let items: Vec<ListItem> =
        completion.candidates[first..first + shown].iter().map(|c| ListItem::new(c.as_str())).collect();
    let more = if n > shown {
        format!(" {n} names, Tab next, Shift-Tab back ")
    } else {
        " Tab next, Shift-Tab back ".to_owned()
    };
    let list = List::new(items)
        .block(Block::default().borders(Borders::ALL).title(more))
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(completion.selected.map(|s| s - first));
    frame.render_stateful_widget(list, popup, &mut state);
}
