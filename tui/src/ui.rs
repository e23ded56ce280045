//! Drawing: a read-only view of [`App`]. Nothing here changes state.

use edfi_core::wire;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;
use serde_json::Value;

use crate::app::{App, Prompt, Screen};
use crate::merge::{self, DiffKind};

mod clients;
mod load;
mod resources;
mod table;

/// `text` cut to `width` characters, `…` marking a cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Every key, for `?`.
pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "move"),
    ("PgUp PgDn", "move by half a page"),
    ("Enter", "open; on a group, open or close it; on a reference, the item it names"),
    ("← → Space", "resources: close / open / toggle a group; list: pick a column"),
    ("Esc", "back (also from an item a reference opened); on the resources, clear the filter"),
    ("/", "filter names fuzzily (ssa), or a list by its query fields: field=value&…"),
    ("s", "list: sort the loaded rows by the picked column (again: reverse, again: off)"),
    ("Tab S-Tab b", "item: next / previous reference; b: what refers to it (Tab at a prompt completes)"),
    (":", "command: :students, :clients (who may use the API), :q; Tab completes, again cycles"),
    (":load x", ":load <dir> loads interchange XML (:load alone shows it; x stops it)"),
    ("e", "edit the item in $VISUAL/$EDITOR, else built in (PUT with If-Match of the opened version)"),
    ("n", "new item from the resource's template (create-only)"),
    ("d", "delete the item (If-Match, typed confirmation)"),
    ("h", "history of the item; Space marks, Enter diffs"),
    ("r", "reload"),
    ("C-s C-e", "editor: save (Ctrl-S) / open in $VISUAL or $EDITOR (Ctrl-E)"),
    ("a / e / d", "conflict: apply merge / edit further / discard"),
    ("?", "this help"),
    ("q, Ctrl-C", "quit"),
];

pub fn render(app: &App, frame: &mut Frame) {
    let [title, main, status, prompt] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    let mode = if app.read_only { "  [read-only]" } else { "" };
    let title_text = format!(" edfi-admin  {}{mode}   ? help", app.url);
    frame.render_widget(
        Paragraph::new(title_text).style(Style::new().add_modifier(Modifier::REVERSED)),
        title,
    );
    match app.screen {
        Screen::Resources => resources::draw(app, frame, main),
        Screen::List => table::list(app, frame, main),
        Screen::ReferencedBy => table::referenced_by(app, frame, main),
        Screen::Detail => table::detail(app, frame, main),
        Screen::Edit => edit(app, frame, main),
        Screen::Conflict => conflict(app, frame, main),
        Screen::ConfirmDelete => {
            table::detail(app, frame, main);
            confirm(app, frame, main);
        }
        Screen::History => history(app, frame, main),
        Screen::Load => load::draw(app, frame, main),
        Screen::Clients => clients::draw(app, frame, main),
    }
    frame.render_widget(Paragraph::new(status_line(app)).style(Style::new().fg(Color::Cyan)), status);
    let prompt_text = match &app.prompt {
        Some(Prompt::Command(text)) => format!(":{text}"),
        Some(Prompt::Filter(text)) => format!("/{text}"),
        None => app.status.clone(),
    };
    frame.render_widget(Paragraph::new(prompt_text), prompt);
    if matches!(app.prompt, Some(Prompt::Command(_))) {
        resources::completion(app, frame, main);
    }
    if app.help {
        help(frame, main);
    }
}

/// The line that always shows what version is on screen.
fn status_line(app: &App) -> String {
    let busy = app.busy.as_deref().map(|b| format!("⟳ {b}  ")).unwrap_or_default();
    let version = match app.screen {
        Screen::Detail | Screen::ConfirmDelete | Screen::History => app.detail.as_ref().map(|d| {
            format!(
                "{}/{}  ETag {}  modified {}  changeVersion {}",
                d.resource,
                d.id,
                d.etag,
                d.body[wire::LAST_MODIFIED_DATE].as_str().unwrap_or("?"),
                d.body[wire::CHANGE_VERSION]
            )
        }),
        Screen::Edit => app.edit.as_ref().map(|e| match &e.opened {
            Some((_, etag)) => {
                format!("editing {}/{}  If-Match {etag}", e.resource, e.id.as_deref().unwrap_or(""))
            }
            None => format!("new {} (created only if its key is new)", e.resource),
        }),
        Screen::Conflict => app.conflict.as_ref().map(|c| {
            let now = c.current.as_ref().map_or("loading…".to_owned(), |(_, etag)| etag.clone());
            format!("conflict on {}/{}  current ETag {now}", c.resource, c.id)
        }),
        Screen::List => Some(table::list_status(app)),
        Screen::ReferencedBy => Some(table::referenced_by_status(app)),
        Screen::Resources => Some(format!("{} resources", app.resources.len())),
        Screen::Load => app.load.as_ref().map(load::load_status),
        Screen::Clients => app.clients.as_ref().map(clients::clients_status),
    };
    // A load keeps running behind other screens: say where it is.
    let loading = match &app.load {
        Some(l) if l.running() && app.screen != Screen::Load => format!("{}  ", load::load_status(l)),
        _ => String::new(),
    };
    format!("{busy}{loading}{}", version.unwrap_or_default())
}

fn json_text(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn edit(app: &App, frame: &mut Frame, area: Rect) {
    let Some(edit) = &app.edit else { return };
    let (text_area, errors_area) = if edit.errors.is_empty() {
        (area, None)
    } else {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
        (left, Some(right))
    };
    // Lines naming a field that has an error are marked.
    let flagged: Vec<String> = edit
        .errors
        .keys()
        .filter_map(|path| wire::member_of_path(path).map(|f| format!("\"{f}\"")))
        .collect();
    let visible = text_area.height.saturating_sub(2) as usize;
    let first = edit.buffer.row.saturating_sub(visible.saturating_sub(1));
    let lines: Vec<Line> = edit
        .buffer
        .lines
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(i, line)| {
            let marker = if i == edit.buffer.row { "▶" } else { " " };
            let bad = flagged.iter().any(|f| line.trim_start().starts_with(f.as_str()));
            let style = if bad { Style::new().fg(Color::Red) } else { Style::new() };
            Line::from(vec![Span::raw(format!("{marker}{:>3} ", i + 1)), Span::styled(line.clone(), style)])
        })
        .collect();
    let title =
        if edit.saving { " edit (saving…) " } else { " edit  Ctrl-S save · Ctrl-E $EDITOR · Esc keep " };
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)),
        text_area,
    );
    if let Some(errors_area) = errors_area {
        let lines: Vec<Line> = edit
            .errors
            .iter()
            .flat_map(|(path, messages)| {
                std::iter::once(Line::styled(
                    path.clone(),
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                ))
                .chain(messages.iter().map(|m| Line::raw(format!("  {m}"))))
            })
            .collect();
        let block = Block::default().borders(Borders::ALL).title(" refused by the server ");
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), errors_area);
    }
}

fn conflict(app: &App, frame: &mut Frame, area: Rect) {
    let Some(conflict) = &app.conflict else { return };
    let [columns, result] =
        Layout::vertical([Constraint::Percentage(70), Constraint::Percentage(30)]).areas(area);
    let [opened, mine, now] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(columns);
    let current = conflict.current.as_ref().map(|(body, _)| merge::content(body));
    let panes = [
        (" you opened ", Some(merge::content(&conflict.opened)), opened),
        (" you wrote ", Some(merge::content(&conflict.mine)), mine),
        (" there now ", current, now),
    ];
    for (title, body, pane) in panes {
        let text = body.as_ref().map_or("loading…".to_owned(), json_text);
        frame.render_widget(
            Paragraph::new(text).block(Block::default().borders(Borders::ALL).title(title)),
            pane,
        );
    }
    let lines: Vec<Line> =
        match &conflict.merge {
            None => vec![Line::raw("Loading the current version…")],
            Some(merged) if merged.is_clean() => {
                let changed = merge::changed_paths(&merge::content(&conflict.opened), &merged.merged);
                vec![
                    Line::styled(
                        "Merged cleanly: your changes and theirs do not overlap.",
                        Style::new().fg(Color::Green),
                    ),
                    Line::raw(format!("changed since you opened it: {}", changed.join(", "))),
                    Line::raw(
                        "a apply the merge (new PUT with the current If-Match) · e edit further · d discard",
                    ),
                ]
            }
            Some(merged) => std::iter::once(Line::styled(
                "Changed on both sides (the merge keeps theirs; edit further to choose):",
                Style::new().fg(Color::Yellow),
            ))
            .chain(merged.conflicts.iter().map(|c| {
                Line::raw(format!("{}: yours {} · theirs {}", c.path, show(&c.mine), show(&c.theirs)))
            }))
            .chain(std::iter::once(Line::raw("a apply · e edit further · d discard")))
            .collect(),
        };
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" merge ")),
        result,
    );
}

fn show(value: &Option<Value>) -> String {
    value.as_ref().map_or("(absent)".to_owned(), Value::to_string)
}

fn popup(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height }
}

fn confirm(app: &App, frame: &mut Frame, area: Rect) {
    let Some(confirm) = &app.confirm else { return };
    let area = popup(area, 64, 6);
    frame.render_widget(Clear, area);
    let text = vec![
        Line::raw(format!("Delete {}/{}?", confirm.resource, confirm.id)),
        Line::raw(format!("Only if it is still version {}.", confirm.etag)),
        Line::raw(format!("Type delete and press Enter: {}_", confirm.typed)),
    ];
    let block =
        Block::default().borders(Borders::ALL).title(" delete ").border_style(Style::new().fg(Color::Red));
    frame.render_widget(Paragraph::new(text).block(block), area);
}

fn history(app: &App, frame: &mut Frame, area: Rect) {
    let Some(history) = &app.history else { return };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let items: Vec<ListItem> = history
        .versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mark = if history.marked == Some(i) { "*" } else { " " };
            let etag = v.etag.as_deref().map_or("(deleted)".to_owned(), |e| e.chars().take(10).collect());
            ListItem::new(format!(
                "{mark} {etag}  {}  cv {}  {}",
                v.last_modified, v.change_version, v.client
            ))
        })
        .collect();
    let list = List::new(items)
        .block(Block::default().borders(Borders::ALL).title(" versions (Space mark, Enter diff) "))
        .highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(history.cursor));
    frame.render_stateful_widget(list, left, &mut state);
    let lines: Vec<Line> = match &history.diff {
        None => vec![Line::raw("Mark a version with Space, select another, press Enter.")],
        Some(diff) => diff
            .iter()
            .map(|line| match line.kind {
                DiffKind::Added => Line::styled(format!("+ {}", line.text), Style::new().fg(Color::Green)),
                DiffKind::Removed => Line::styled(format!("- {}", line.text), Style::new().fg(Color::Red)),
                DiffKind::Same => Line::raw(format!("  {}", line.text)),
            })
            .collect(),
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" diff ")),
        right,
    );
}

fn help(frame: &mut Frame, area: Rect) {
    let area = popup(area, 100, KEYS.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!("{key:>12}  "), Style::new().fg(Color::Yellow)),
                Span::raw(*what),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" keys ")),
        area,
    );
}
