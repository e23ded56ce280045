//! Drawing the Clients screen: the API's clients as a table, or why the API would not list them.

use edfi_core::wire::answers::ClientEntry;
use edfi_core::wire::answers::FULL_ACCESS_CLAIM_SET;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::fit;
use crate::app::table::fit_widths;
use crate::app::{App, ClientsProblem, ClientsState};

const DIM: Style = Style::new().fg(Color::DarkGray);
/// Where the key is among the columns.
const KEY: usize = 1;
const HEADERS: [&str; 7] =
    ["name", "key", "instance", "claim set", "education organizations", "namespace prefixes", "revoked"];
const HINT: &str = " ↑ ↓ move · r reload · Esc back · read-only: the admin API creates and revokes clients ";

/// What the screen says when the API refuses to list the clients to this app's token.
const NOT_ADMIN: [&str; 3] = [
    "Listing clients needs the administrator's key and secret.",
    "This app is connected with a data client's key, whose token may not list the API's clients.",
    "Start edfi-admin with the administrator's credential (ADMIN_KEY and ADMIN_SECRET) to see them.",
];

/// The status bar's text for the screen.
pub fn clients_status(state: &ClientsState) -> String {
    match &state.problem {
        _ if state.loading => "clients: loading…".to_owned(),
        Some(ClientsProblem::NotAdmin { status, .. }) => {
            format!("clients: refused ({status}), not the administrator's token")
        }
        Some(ClientsProblem::Failed(_)) => "clients: not listed".to_owned(),
        None => format!("clients: {}, {} revoked", state.clients.len(), state.revoked()),
    }
}

fn cells(client: &ClientEntry) -> [String; 7] {
    let list = |items: Vec<String>| if items.is_empty() { "—".to_owned() } else { items.join(", ") };
    [
        client.name.clone(),
        client.key.clone(),
        client.instance.clone(),
        // What a client without a claim set has: everything in its instance.
        client.claim_set_name.clone().unwrap_or_else(|| format!("{FULL_ACCESS_CLAIM_SET} (full access)")),
        list(client.education_organization_ids.iter().map(i64::to_string).collect()),
        list(client.namespace_prefixes.clone()),
        if client.revoked { "yes" } else { "no" }.to_owned(),
    ]
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let Some(state) = &app.clients else { return };
    let block = |title: String| {
        Block::default().borders(Borders::ALL).title(title).title_bottom(Line::styled(HINT, DIM))
    };
    let message = match &state.problem {
        Some(ClientsProblem::NotAdmin { status, detail }) => Some(vec![
            Line::styled(NOT_ADMIN[0], Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)),
            Line::raw(""),
            Line::raw(NOT_ADMIN[1]),
            Line::raw(NOT_ADMIN[2]),
            Line::raw(""),
            Line::styled(format!("The API answered {status}: {detail}"), DIM),
        ]),
        Some(ClientsProblem::Failed(why)) => Some(vec![
            Line::styled("The clients could not be listed.", Style::new().fg(Color::Red)),
            Line::raw(why.clone()),
        ]),
        None if state.loading && state.clients.is_empty() => Some(vec![Line::raw("Loading clients…")]),
        None if state.clients.is_empty() => Some(vec![Line::raw("The API lists no clients.")]),
        None => None,
    };
    if let Some(lines) = message {
        let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false }).block(block(" Clients ".into()));
        frame.render_widget(paragraph, area);
        return;
    }

    let selected = state.clients.get(state.cursor);
    let [table_area, selected_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(if selected.is_some() { 5 } else { 0 })])
            .areas(area);
    let rows: Vec<[String; 7]> = state.clients.iter().map(cells).collect();
    let natural: Vec<usize> = (0..HEADERS.len())
        .map(|i| {
            rows.iter().map(|r| r[i].chars().count()).chain([HEADERS[i].chars().count()]).max().unwrap_or(0)
        })
        .collect();
    // The key is never cut (it is what revoking a client names); the rest share what is left.
    let available = (table_area.width.saturating_sub(2) as usize).saturating_sub(natural[KEY] + 1);
    let others: Vec<usize> = natural.iter().enumerate().filter(|(i, _)| *i != KEY).map(|(_, w)| *w).collect();
    let mut widths = fit_widths(&others, available);
    widths.insert(KEY, natural[KEY]);
    let header = Row::new(
        HEADERS
            .iter()
            .zip(&widths)
            .map(|(h, w)| Cell::from(Span::styled(fit(h, *w), Style::new().add_modifier(Modifier::BOLD)))),
    );
    let body = rows.iter().zip(&state.clients).map(|(row, client)| {
        let style = if client.revoked { DIM } else { Style::new() };
        Row::new(row.iter().zip(&widths).map(|(cell, w)| Cell::from(fit(cell, *w)))).style(style)
    });
    let title = format!(" Clients ({}, {} revoked) ", state.clients.len(), state.revoked());
    let table = Table::new(body, widths.iter().map(|w| Constraint::Length(*w as u16)))
        .header(header)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .block(block(title));
    let mut table_state = TableState::default().with_selected(Some(state.cursor));
    frame.render_stateful_widget(table, table_area, &mut table_state);
    if let Some(client) = selected {
        draw_selected(client, frame, selected_area);
    }
}

/// The client under the cursor, whole, as the table may cut its cells.
fn draw_selected(client: &ClientEntry, frame: &mut Frame, area: Rect) {
    let [name, key, instance, claim_set, organizations, prefixes, _] = cells(client);
    let label = |text: &str| Span::styled(format!("{text} "), DIM);
    let state = if client.revoked { "revoked" } else { "active" };
    let lines = vec![
        Line::from(vec![
            label("key"),
            Span::raw(key),
            label("  instance"),
            Span::raw(instance),
            label("  claim set"),
            Span::raw(claim_set),
            Span::raw(format!("  {state}")),
        ]),
        Line::from(vec![label("education organizations"), Span::raw(organizations)]),
        Line::from(vec![label("namespace prefixes"), Span::raw(prefixes)]),
    ];
    let block = Block::default().borders(Borders::ALL).title(format!(" {name} "));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}
