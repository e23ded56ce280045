//! The Load screen: `:load <dir>` runs the interchange loader (the same code as
//! `edfi-admin load`) and shows its progress per resource from the load's events, then its
//! account. A load keeps running when you leave the screen; `x` stops it, and the journal lets
//! the next `:load` of the same directory continue where it stopped.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Cmd, Screen};
use crate::load::events::Event;
use crate::load::{Outcome, Report, Tally};

/// How `:load` is written, for the user.
pub const LOAD_USAGE: &str =
    ":load [--restart] [--create-only] [--journal <file>] <directory of interchange XML>";

/// What `:load` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRequest {
    pub directory: PathBuf,
    /// Start afresh instead of continuing an interrupted load of the directory.
    pub restart: bool,
    /// Send every record create-only (`If-None-Match: *`).
    pub create_only: bool,
    /// The journal that makes the load resumable (default: one per directory, API and key in
    /// the app's state directory).
    pub journal: Option<PathBuf>,
}

impl LoadRequest {
    /// `--restart --create-only --journal j ~/district`: the options of `edfi-admin load`
    /// first, then the directory (which may hold spaces); `~/` is the home directory.
    pub fn parse(arguments: &str) -> Result<LoadRequest, String> {
        let mut request =
            LoadRequest { directory: PathBuf::new(), restart: false, create_only: false, journal: None };
        let mut rest = arguments.trim().to_owned();
        let word = |text: &str| -> (String, String) {
            let (word, after) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
            (word.to_owned(), after.trim_start().to_owned())
        };
        while let Some(flag) = rest.strip_prefix("--") {
            let (name, mut after) = word(flag);
            match name.as_str() {
                "restart" => request.restart = true,
                "create-only" => request.create_only = true,
                "journal" => {
                    let (file, left) = word(&after);
                    if file.is_empty() {
                        return Err(format!("--journal names a file; {LOAD_USAGE}"));
                    }
                    request.journal = Some(home_path(&file));
                    after = left;
                }
                other => return Err(format!("--{other} is not a :load option; {LOAD_USAGE}")),
            }
            rest = after;
        }
        if rest.is_empty() {
            return Err(format!("Which directory? {LOAD_USAGE}"));
        }
        request.directory = home_path(&rest);
        Ok(request)
    }
}

/// `~/x` is `x` in the home directory; any other path is as written.
fn home_path(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(under_home), Some(home)) => home.join(under_home),
        _ => PathBuf::from(path),
    }
}

/// Where a load is.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadPhase {
    /// Reading and converting the files.
    Reading,
    Sending,
    /// `x` was pressed; the runtime is stopping it.
    Stopping,
    Finished(Report),
    /// It could not go on (or was stopped): why.
    Failed(String),
}

/// Where a resource's records are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowPhase {
    Waiting,
    Sending,
    Done,
}

/// One resource of a load.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRow {
    pub resource: String,
    /// Records to send (each distinct record once).
    pub records: usize,
    /// Answered so far, counting those answered in the run this one continues.
    pub answered: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Answered in the run this one continues (not broken down until the resource is done).
    pub earlier: usize,
    pub phase: RowPhase,
}

impl LoadRow {
    fn new(resource: String, records: usize) -> LoadRow {
        LoadRow {
            resource,
            records,
            answered: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            rejected: 0,
            earlier: 0,
            phase: RowPhase::Waiting,
        }
    }

    fn settle(&mut self, tally: &Tally) {
        self.created = tally.created;
        self.updated = tally.updated;
        self.unchanged = tally.unchanged;
        self.rejected = tally.rejected;
        self.answered = tally.answered();
        self.phase = RowPhase::Done;
    }
}

/// A load started from the app, as its events have told it so far.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadState {
    /// Which load of this run of the app: events of an earlier (stopped) one are ignored.
    pub number: u64,
    pub request: LoadRequest,
    pub journal: Option<PathBuf>,
    pub files: usize,
    /// Problems in the files (records that could not be read or converted).
    pub problems: usize,
    pub rows: Vec<LoadRow>,
    pub cursor: usize,
    /// Requests tried again so far, and the last reason.
    pub retries: usize,
    pub last_retry: Option<String>,
    pub phase: LoadPhase,
}

impl LoadState {
    pub fn running(&self) -> bool {
        matches!(self.phase, LoadPhase::Reading | LoadPhase::Sending | LoadPhase::Stopping)
    }

    pub fn records(&self) -> usize {
        self.rows.iter().map(|r| r.records).sum()
    }

    pub fn answered(&self) -> usize {
        self.rows.iter().map(|r| r.answered).sum()
    }

    fn row(&mut self, resource: &str) -> Option<&mut LoadRow> {
        self.rows.iter_mut().find(|r| r.resource == resource)
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Planned { journal, files, resources, problems, .. } => {
                self.journal = Some(journal);
                self.files = files;
                self.problems = problems;
                self.rows = resources.into_iter().map(|(name, n)| LoadRow::new(name, n)).collect();
                if self.phase == LoadPhase::Reading {
                    self.phase = LoadPhase::Sending;
                }
            }
            Event::Started { resource, records, earlier } => {
                if let Some(row) = self.row(&resource) {
                    row.records = records;
                    row.earlier = earlier;
                    row.answered = earlier;
                    row.phase = RowPhase::Sending;
                }
            }
            Event::Record { resource, outcome } => {
                if let Some(row) = self.row(&resource) {
                    row.answered += 1;
                    match outcome {
                        Outcome::Created => row.created += 1,
                        Outcome::Updated => row.updated += 1,
                        Outcome::Unchanged => row.unchanged += 1,
                        Outcome::Rejected => row.rejected += 1,
                    }
                }
            }
            Event::ResourceDone { resource, tally } => {
                if let Some(row) = self.row(&resource) {
                    row.settle(&tally);
                }
            }
            Event::Retrying { source, reason } => {
                self.retries += 1;
                self.last_retry = Some(format!("{source}: {reason}"));
            }
            Event::Finished(Ok(report)) => {
                for row in &mut self.rows {
                    if let Some(tally) = report.resources.get(&row.resource) {
                        row.settle(tally);
                    }
                }
                self.phase = LoadPhase::Finished(report);
            }
            Event::Finished(Err(why)) => self.phase = LoadPhase::Failed(why),
        }
    }
}

/// Why a load stopped when `x` stopped it.
pub const STOPPED: &str = "stopped by x";

impl App {
    /// `:load …`: starts a load, or (without arguments) shows the last one.
    pub(super) fn load_command(&mut self, arguments: &str) -> Vec<Cmd> {
        if arguments.trim().is_empty() {
            if self.load.is_some() {
                self.go(Screen::Load);
            } else {
                self.status = format!("No load yet: {LOAD_USAGE}");
            }
            return vec![];
        }
        if self.read_only {
            self.status = "Read-only: writes are disabled (--read-only), loads too.".into();
            return vec![];
        }
        if self.load.as_ref().is_some_and(LoadState::running) {
            self.status =
                "A load is running: wait for it, or press x on its screen (:load) to stop it.".into();
            return vec![];
        }
        let request = match LoadRequest::parse(arguments) {
            Ok(request) => request,
            Err(why) => {
                self.status = why;
                return vec![];
            }
        };
        let number = self.load.as_ref().map_or(1, |l| l.number + 1);
        self.load = Some(LoadState {
            number,
            request: request.clone(),
            journal: None,
            files: 0,
            problems: 0,
            rows: Vec::new(),
            cursor: 0,
            retries: 0,
            last_retry: None,
            phase: LoadPhase::Reading,
        });
        self.go(Screen::Load);
        self.status = "Loading; Esc leaves it running, x stops it.".into();
        vec![Cmd::Load { number, request }]
    }

    pub(super) fn load_event(&mut self, number: u64, event: Event) -> Vec<Cmd> {
        // A stopped or ended load's late events change nothing.
        let Some(load) = self.load.as_mut().filter(|l| l.number == number && l.running()) else {
            return vec![];
        };
        if load.phase == LoadPhase::Stopping && !matches!(event, Event::Finished(_)) {
            return vec![];
        }
        load.apply(event);
        match &load.phase {
            LoadPhase::Finished(report) => {
                self.status = if report.clean() {
                    format!("Loaded: {} records, everything is in the API.", report.records())
                } else {
                    "Loaded, but some records or files were refused: see the reasons below.".into()
                };
            }
            LoadPhase::Failed(why) if why == STOPPED => {
                self.status =
                    "The load was stopped: :load the same directory continues where it stopped.".into();
            }
            LoadPhase::Failed(why) => self.status = format!("The load could not go on: {why}"),
            _ => {}
        }
        vec![]
    }

    /// Keys of the Load screen; `None` for those it leaves to the rest of the app.
    pub(super) fn load_key(&mut self, key: KeyEvent) -> Option<Vec<Cmd>> {
        let load = self.load.as_mut()?;
        let last = load.rows.len().saturating_sub(1);
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => load.cursor = load.cursor.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => load.cursor = (load.cursor + 1).min(last),
            KeyCode::PageUp => load.cursor = load.cursor.saturating_sub(10),
            KeyCode::PageDown => load.cursor = (load.cursor + 10).min(last),
            KeyCode::Home | KeyCode::Char('g') => load.cursor = 0,
            KeyCode::End | KeyCode::Char('G') => load.cursor = last,
            KeyCode::Char('x') if load.running() => {
                load.phase = LoadPhase::Stopping;
                self.status = "Stopping the load…".into();
                return Some(vec![Cmd::StopLoad { number: load.number }]);
            }
            KeyCode::Enter => {
                let resource = load.rows.get(load.cursor)?.resource.clone();
                return Some(self.open_resource(resource));
            }
            _ => return None,
        }
        Some(vec![])
    }
}
