//! Drawing the Load screen: what is being loaded, a bar per resource, then the account.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::fit;

use crate::app::{App, LoadPhase, LoadRow, LoadState, RowPhase};

const BAR_WIDTH: usize = 10;
/// The widths of the columns after the resource's name, and the spaces between all eight.
const OTHER_WIDTHS: [u16; 7] = [BAR_WIDTH as u16 + 2, 17, 7, 7, 9, 8, 7];
const SPACING: u16 = 7;

/// `[=========>          ]`: how much of a resource is answered.
fn bar(answered: usize, records: usize) -> String {
    let filled = (answered.min(records) * BAR_WIDTH).checked_div(records).unwrap_or(BAR_WIDTH);
    let head = if filled < BAR_WIDTH && answered > 0 { ">" } else { "" };
    let rest = BAR_WIDTH - filled - head.len();
    format!("[{}{head}{}]", "=".repeat(filled), " ".repeat(rest))
}

/// The load's one-line summary, for the status bar (also on other screens while it runs).
pub fn load_status(load: &LoadState) -> String {
    let done = load.rows.iter().filter(|r| r.phase == RowPhase::Done).count();
    let progress =
        format!("{} of {} records, {done} of {} resources", load.answered(), load.records(), load.rows.len());
    match &load.phase {
        LoadPhase::Reading => format!("load: reading {}…", load.request.directory.display()),
        LoadPhase::Sending => format!("load: {progress}"),
        LoadPhase::Stopping => format!("load: stopping at {progress}"),
        LoadPhase::Finished(report) => format!(
            "load finished: {} records in {:.1} s{}",
            report.records(),
            report.seconds,
            if report.clean() { "" } else { ", some refused" }
        ),
        LoadPhase::Failed(_) => format!("load ended early at {progress}"),
    }
}

fn row_cells(row: &LoadRow, name_width: usize) -> Vec<String> {
    let state = match row.phase {
        RowPhase::Waiting => "waiting",
        RowPhase::Sending => "sending",
        RowPhase::Done => "done",
    };
    let earlier = if row.earlier > 0 && row.phase != RowPhase::Done {
        format!(" ({} earlier)", row.earlier)
    } else {
        String::new()
    };
    vec![
        fit(&row.resource, name_width),
        bar(row.answered, row.records),
        format!("{}/{}{earlier}", row.answered, row.records),
        row.created.to_string(),
        row.updated.to_string(),
        row.unchanged.to_string(),
        row.rejected.to_string(),
        state.to_owned(),
    ]
}

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let Some(load) = &app.load else { return };
    let account = match &load.phase {
        LoadPhase::Finished(report) => report.account(),
        LoadPhase::Failed(why) => format!("Ended early: {why}\n"),
        _ => load.last_retry.as_ref().map_or_else(String::new, |retry| {
            format!("Requests tried again: {}; the last: {retry}\n", load.retries)
        }),
    };
    let account_height = if account.is_empty() { 0 } else { account.lines().count().min(12) as u16 + 2 };
    let [head, rows, foot] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(3), Constraint::Length(account_height)])
            .areas(area);

    let journal = load.journal.as_ref().map_or("…".to_owned(), |j| j.display().to_string());
    let mode = match (load.request.restart, load.request.create_only) {
        (false, false) => "continuing any interrupted load",
        (true, false) => "starting afresh",
        (false, true) => "create-only, continuing any interrupted load",
        (true, true) => "create-only, starting afresh",
    };
    let head_text = vec![
        Line::raw(format!(
            "{} files, {} records to send, problems in the files: {} ({mode})",
            load.files,
            load.records(),
            load.problems
        )),
        Line::styled(format!("journal {journal}"), Style::new().fg(Color::DarkGray)),
    ];
    let title = format!(" load {} ", load.request.directory.display());
    frame.render_widget(
        Paragraph::new(head_text).block(Block::default().borders(Borders::TOP).title(title)),
        head,
    );

    let header = Row::new(
        ["resource", "progress", "answered", "created", "updated", "unchanged", "rejected", ""]
            .map(|h| Cell::from(h).style(Style::new().add_modifier(Modifier::BOLD))),
    );
    let others: u16 = OTHER_WIDTHS.iter().sum::<u16>() + SPACING;
    let name_width = rows.width.saturating_sub(2 + others).max(8);
    let body = load.rows.iter().map(|row| {
        let style = match row.phase {
            RowPhase::Waiting => Style::new().fg(Color::DarkGray),
            RowPhase::Done if row.rejected > 0 => Style::new().fg(Color::Red),
            _ => Style::new(),
        };
        Row::new(row_cells(row, name_width as usize)).style(style)
    });
    let widths: Vec<Constraint> =
        [name_width].iter().chain(&OTHER_WIDTHS).map(|w| Constraint::Length(*w)).collect();
    let table = Table::new(body, widths)
        .header(header)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Enter opens a resource · x stops · Esc leaves it running "),
        );
    let mut state = TableState::default().with_selected(Some(load.cursor));
    frame.render_stateful_widget(table, rows, &mut state);

    if account_height > 0 {
        frame.render_widget(
            Paragraph::new(account).wrap(Wrap { trim: false }).block(Block::default().borders(Borders::ALL)),
            foot,
        );
    }
}
