//! The app's state and how it changes: `update(msg) -> commands`. No IO here: network and editor
//! work are [`Cmd`]s the runtime performs, reporting back as [`Msg`]s, so every behaviour is
//! testable without a terminal or a server.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;

use crate::api::{ClientList, Item, Page, ResourceInfo, Target, VersionInfo, WriteOutcome};
use crate::editor::TextBuffer;
use crate::merge::{self, DiffLine, Merge};
use crate::meta::{Referrers, ResourceMeta};

pub mod clients;
pub mod load;
pub mod table;
pub use clients::{ClientsProblem, ClientsState};
pub use load::{LoadPhase, LoadRequest, LoadRow, LoadState, RowPhase};
pub use table::{
    Column, ColumnValue, Crumb, DetailLine, DetailLink, GroupState, Pointer, ReferencedByState,
    ReferringGroup, ReferringRow, Sort, REFERRING_LIMIT,
};

/// Items fetched per page of a list.
pub const PAGE_SIZE: u64 = 50;

/// What the runtime must do for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    LoadResources,
    LoadCount(String),
    /// The page of a list after its first `offset` items (by the previous page's token, when it
    /// gave one).
    LoadPage {
        resource: String,
        offset: u64,
        filter: Vec<(String, String)>,
        token: Option<String>,
    },
    /// What the metadata says about a resource (its key, query fields, references).
    LoadMeta(String),
    /// Open the item a reference names.
    Follow(Target),
    /// Which references, in the whole metadata, can point at this item.
    LoadReferrers {
        resource: String,
        id: String,
    },
    /// The items of `resource` matching `filters`, for "referenced by" of the item `of`.
    LoadReferring {
        of: String,
        group: usize,
        resource: String,
        filters: Vec<(String, String)>,
    },
    LoadItem {
        resource: String,
        id: String,
    },
    Put {
        resource: String,
        id: String,
        body: Value,
        if_match: String,
    },
    Create {
        resource: String,
        body: Value,
    },
    Delete {
        resource: String,
        id: String,
        if_match: String,
    },
    /// Fetch the current version after a 412, for the conflict view.
    LoadCurrent {
        resource: String,
        id: String,
    },
    LoadTemplate(String),
    LoadHistory {
        resource: String,
        id: String,
    },
    LoadVersion {
        resource: String,
        id: String,
        etag: String,
    },
    /// Edit this text in `$VISUAL`/`$EDITOR`; answer with [`Msg::Edited`].
    ExternalEdit {
        text: String,
    },
    /// Keep an unsaved edit on disk until it is resolved.
    SaveRecovery {
        key: String,
        text: String,
    },
    ClearRecovery {
        key: String,
    },
    /// Keep the resources opened last (latest first) for the next run against this API.
    SaveRecent {
        url: String,
        names: Vec<String>,
    },
    /// Run the interchange loader (as `edfi-admin load` does), answering with [`Msg::Load`]
    /// events as it goes.
    Load {
        number: u64,
        request: LoadRequest,
    },
    /// List the directories that complete the path at the end of `typed` (`load /srv/gr`),
    /// answering [`Msg::PathCandidates`] with the whole prompt text of each.
    CompletePath {
        typed: String,
        forward: bool,
    },
    /// Stop load `number`; it answers a last [`Msg::Load`] with [`load::STOPPED`].
    StopLoad {
        number: u64,
    },
    /// The API's clients (`:clients`), answered by [`Msg::Clients`].
    LoadClients,
    Quit,
}

/// What happened: a key, or a report from work the runtime did.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resources(Result<Vec<ResourceInfo>, String>),
    Count(String, Result<u64, String>),
    Page {
        resource: String,
        offset: u64,
        filter: Vec<(String, String)>,
        result: Result<Page, String>,
    },
    Meta {
        resource: String,
        result: Result<ResourceMeta, String>,
    },
    /// The item a reference named, with its resource.
    Followed {
        result: Result<(String, Item), String>,
    },
    Referrers {
        resource: String,
        id: String,
        result: Result<Referrers, String>,
    },
    Referring {
        of: String,
        group: usize,
        result: Result<Page, String>,
    },
    Item {
        resource: String,
        id: String,
        result: Result<Item, String>,
    },
    Written {
        result: Result<WriteOutcome, String>,
    },
    Deleted {
        result: Result<WriteOutcome, String>,
    },
    Current {
        result: Result<Item, String>,
    },
    Template {
        resource: String,
        result: Result<Value, String>,
    },
    History {
        result: Result<Vec<VersionInfo>, String>,
    },
    Version {
        etag: String,
        result: Result<Value, String>,
    },
    /// The external editor closed: the text, or why it could not run (the buffer is kept).
    Edited(Result<String, String>),
    /// The directories that complete a `:load` prompt's path.
    PathCandidates {
        typed: String,
        forward: bool,
        candidates: Vec<String>,
    },
    /// What load `number` reported.
    Load {
        number: u64,
        event: crate::load::events::Event,
    },
    /// The API's clients, or its refusal to list them.
    Clients {
        result: Result<ClientList, String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Resources,
    List,
    Detail,
    Edit,
    Conflict,
    ConfirmDelete,
    History,
    /// The items whose references point at the item shown.
    ReferencedBy,
    /// A bulk load's progress and account.
    Load,
    /// The API's clients (`:clients`), read-only.
    Clients,
}

#[derive(Debug, Clone)]
pub struct ResourceRow {
    pub info: ResourceInfo,
    pub count: Option<u64>,
}

/// A resource's list: the items loaded so far in the API's order, shown in `order`.
#[derive(Debug, Clone, Default)]
pub struct ListState {
    pub resource: String,
    pub items: Vec<Value>,
    /// How many items match, when the API said (`Total-Count`).
    pub total: Option<u64>,
    /// The row under the cursor, in the order shown.
    pub cursor: usize,
    pub loading: bool,
    /// Query fields and values, as sent.
    pub filter: Vec<(String, String)>,
    /// The last page's `Next-Page-Token`: the next page is asked for with it.
    pub next: Option<String>,
    /// The API has more items than are loaded.
    pub more: bool,
    /// The selected column (for `s`).
    pub column: usize,
    /// A sort of the loaded rows, done here.
    pub sort: Option<Sort>,
    /// The rows in the order shown: indices into `items`.
    pub order: Vec<usize>,
}

/// An item shown: its JSON as lines, the references in it as links, a line cursor.
#[derive(Debug, Clone)]
pub struct DetailState {
    pub resource: String,
    pub id: String,
    pub body: Value,
    pub etag: String,
    pub lines: Vec<DetailLine>,
    pub links: Vec<DetailLink>,
    pub cursor: usize,
}

/// An edit in progress. `opened` is the version it started from; `None` for a new document.
#[derive(Debug, Clone)]
pub struct EditState {
    pub resource: String,
    pub id: Option<String>,
    pub opened: Option<(Value, String)>,
    pub buffer: TextBuffer,
    /// Validation errors from the server, by JSON path.
    pub errors: BTreeMap<String, Vec<String>>,
    pub saving: bool,
}

impl EditState {
    pub fn recovery_key(&self) -> String {
        format!("{}-{}", self.resource, self.id.as_deref().unwrap_or("new"))
    }
}

/// A 412: what you opened, what you wrote, what is there now, and their merge.
#[derive(Debug, Clone)]
pub struct ConflictState {
    pub resource: String,
    pub id: String,
    pub opened: Value,
    pub mine: Value,
    pub current: Option<(Value, String)>,
    pub merge: Option<Merge>,
}

#[derive(Debug, Clone)]
pub struct ConfirmState {
    pub resource: String,
    pub id: String,
    pub etag: String,
    pub typed: String,
}

#[derive(Debug, Clone)]
pub struct HistoryState {
    pub resource: String,
    pub id: String,
    pub versions: Vec<VersionInfo>,
    pub cursor: usize,
    /// The first version picked for a diff.
    pub marked: Option<usize>,
    /// Versions fetched, by ETag.
    pub bodies: BTreeMap<String, Value>,
    pub diff: Option<Vec<DiffLine>>,
}

/// A line being typed at the bottom: `:` command or `/` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Command(String),
    Filter(String),
}

#[derive(Debug, Clone)]
pub struct App {
    pub read_only: bool,
    /// `$VISUAL`/`$EDITOR` is set: `e` opens it; otherwise the built-in editor.
    pub has_editor: bool,
    pub url: String,
    pub screen: Screen,
    back: Vec<Screen>,
    pub resources: Vec<ResourceRow>,
    /// The Resources screen's groups, filter and recent resources, and `:` completion.
    pub nav: resources::Navigator,
    pub list: ListState,
    pub detail: Option<DetailState>,
    pub edit: Option<EditState>,
    pub conflict: Option<ConflictState>,
    pub confirm: Option<ConfirmState>,
    pub history: Option<HistoryState>,
    /// What the metadata says about each resource met so far.
    pub metas: BTreeMap<String, ResourceMeta>,
    /// The items left by following references, to go back to.
    pub trail: Vec<Crumb>,
    pub referenced_by: Option<ReferencedByState>,
    /// The last load started here (`:load`).
    pub load: Option<LoadState>,
    /// The clients last listed (`:clients`).
    pub clients: Option<ClientsState>,
    pub prompt: Option<Prompt>,
    pub help: bool,
    /// The last thing to tell the user.
    pub status: String,
    /// Work in progress, shown as a progress indicator.
    pub busy: Option<String>,
    pub quit: bool,
}

impl App {
    pub fn new(url: &str, read_only: bool) -> (Self, Vec<Cmd>) {
        let app = Self {
            read_only,
            has_editor: false,
            url: url.to_owned(),
            screen: Screen::Resources,
            back: Vec::new(),
            resources: Vec::new(),
            nav: resources::Navigator::default(),
            list: ListState::default(),
            detail: None,
            edit: None,
            conflict: None,
            confirm: None,
            history: None,
            metas: BTreeMap::new(),
            trail: Vec::new(),
            referenced_by: None,
            load: None,
            clients: None,
            prompt: None,
            help: false,
            status: String::new(),
            busy: Some("Loading resources…".into()),
            quit: false,
        };
        (app, vec![Cmd::LoadResources])
    }

    fn go(&mut self, screen: Screen) {
        if self.screen != screen {
            self.back.push(self.screen);
            self.screen = screen;
        }
    }

    fn go_back(&mut self) {
        if let Some(previous) = self.back.pop() {
            self.screen = previous;
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Key(key) => self.key(key),
            Msg::Resources(Ok(infos)) => {
                self.busy = None;
                self.resources_loaded(infos)
            }
            Msg::Count(name, result) => {
                self.count_loaded(&name, result);
                vec![]
            }
            Msg::Page { resource, offset, filter, result } => {
                self.page_loaded(resource, offset, filter, result)
            }
            Msg::Item { resource, id, result: Ok(item) } => {
                self.busy = None;
                // A reload keeps the cursor where it was.
                let cursor =
                    self.detail.as_ref().filter(|d| d.resource == resource && d.id == id).map(|d| d.cursor);
                let mut detail = DetailState::new(resource, id, item);
                detail.cursor = cursor.unwrap_or(0).min(detail.lines.len().saturating_sub(1));
                self.detail = Some(detail);
                self.go(Screen::Detail);
                vec![]
            }
            msg @ (Msg::Meta { .. }
            | Msg::Followed { .. }
            | Msg::Referrers { .. }
            | Msg::Referring { .. }) => self.table_msg(msg),
            Msg::Written { result } => self.written(result),
            Msg::Deleted { result } => self.deleted(result),
            Msg::Current { result } => self.current_loaded(result),
            Msg::Template { resource, result: Ok(template) } => {
                self.busy = None;
                self.start_edit(resource, None, None, &template)
            }
            Msg::History { result: Ok(versions) } => {
                self.busy = None;
                if let Some(history) = &mut self.history {
                    history.cursor = versions.len().saturating_sub(1);
                    history.versions = versions;
                }
                vec![]
            }
            Msg::Version { etag, result: Ok(body) } => {
                if let Some(history) = &mut self.history {
                    history.bodies.insert(etag, body);
                }
                self.try_diff();
                vec![]
            }
            Msg::Edited(Ok(text)) => {
                if let Some(edit) = &mut self.edit {
                    edit.buffer = TextBuffer::from_text(&text);
                }
                self.save()
            }
            Msg::Load { number, event } => self.load_event(number, event),
            Msg::Clients { result } => self.clients_loaded(result),
            Msg::PathCandidates { typed, forward, candidates } => {
                self.path_candidates(&typed, candidates, forward)
            }
            Msg::Edited(Err(why)) => {
                self.status =
                    format!("The editor could not run ({why}); use the built-in editor (Ctrl-S saves).");
                vec![]
            }
            Msg::Resources(Err(e))
            | Msg::Item { result: Err(e), .. }
            | Msg::Template { result: Err(e), .. }
            | Msg::History { result: Err(e) }
            | Msg::Version { result: Err(e), .. } => {
                self.busy = None;
                self.status = format!("Error: {e}");
                vec![]
            }
        }
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return self.quit_cmds();
        }
        match (&self.prompt, self.screen) {
            (Some(Prompt::Command(_)), _) => return self.command_prompt_key(key),
            (Some(Prompt::Filter(_)), Screen::Resources) => return self.filter_prompt_key(key),
            (Some(_), _) => return self.prompt_key(key),
            (None, _) => {}
        }
        if self.help {
            self.help = false;
            return vec![];
        }
        match self.screen {
            Screen::Edit => return self.edit_key(key),
            Screen::ConfirmDelete => return self.confirm_key(key),
            Screen::Resources => {
                if let Some(cmds) = self.resources_key(key) {
                    return cmds;
                }
            }
            Screen::Load => {
                if let Some(cmds) = self.load_key(key) {
                    return cmds;
                }
            }
            Screen::Clients => {
                if let Some(cmds) = self.clients_key(key) {
                    return cmds;
                }
            }
            _ => {}
        }
        if let Some(cmds) = self.table_key(key) {
            return cmds;
        }
        match key.code {
            KeyCode::Char('?') => {
                self.help = true;
                vec![]
            }
            KeyCode::Char(':') => {
                self.prompt = Some(Prompt::Command(String::new()));
                vec![]
            }
            KeyCode::Char('/') if self.screen == Screen::List => {
                self.prompt = Some(Prompt::Filter(String::new()));
                vec![]
            }
            KeyCode::Char('q') if self.screen == Screen::Resources => self.quit_cmds(),
            KeyCode::Esc | KeyCode::Backspace => {
                self.go_back();
                vec![]
            }
            KeyCode::Up | KeyCode::Char('k') => self.move_cursor(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_cursor(1),
            KeyCode::PageUp => self.move_cursor(-(PAGE_SIZE as isize / 2)),
            KeyCode::PageDown => self.move_cursor(PAGE_SIZE as isize / 2),
            KeyCode::Enter => self.enter(),
            KeyCode::Char(c) => self.action(c),
            _ => vec![],
        }
    }

    fn quit_cmds(&mut self) -> Vec<Cmd> {
        self.quit = true;
        vec![Cmd::Quit]
    }

    fn action(&mut self, c: char) -> Vec<Cmd> {
        match (self.screen, c) {
            (Screen::Detail | Screen::List, 'e' | 'd' | 'n') if self.read_only => {
                self.status = "Read-only: writes are disabled (--read-only).".into();
                vec![]
            }
            (Screen::Detail, 'e') => {
                let Some(detail) = self.detail.clone() else { return vec![] };
                let opened = Some((detail.body.clone(), detail.etag.clone()));
                self.start_edit(detail.resource, Some(detail.id), opened, &merge::content(&detail.body))
            }
            (Screen::Detail, 'd') => {
                let Some(detail) = &self.detail else { return vec![] };
                self.confirm = Some(ConfirmState {
                    resource: detail.resource.clone(),
                    id: detail.id.clone(),
                    etag: detail.etag.clone(),
                    typed: String::new(),
                });
                self.go(Screen::ConfirmDelete);
                vec![]
            }
            (Screen::Detail, 'h') => {
                let Some(detail) = self.detail.clone() else { return vec![] };
                self.history = Some(HistoryState {
                    resource: detail.resource.clone(),
                    id: detail.id.clone(),
                    versions: Vec::new(),
                    cursor: 0,
                    marked: None,
                    bodies: BTreeMap::new(),
                    diff: None,
                });
                self.busy = Some("Loading history…".into());
                self.go(Screen::History);
                vec![Cmd::LoadHistory { resource: detail.resource, id: detail.id }]
            }
            (Screen::Detail, 'r') => {
                let Some(detail) = &self.detail else { return vec![] };
                vec![Cmd::LoadItem { resource: detail.resource.clone(), id: detail.id.clone() }]
            }
            (Screen::List, 'n') => {
                self.busy = Some("Loading template…".into());
                vec![Cmd::LoadTemplate(self.list.resource.clone())]
            }
            (Screen::List, 'r') => self.reload_list(),
            (Screen::History, ' ') => {
                if let Some(history) = &mut self.history {
                    history.marked = Some(history.cursor);
                    history.diff = None;
                    self.status = "Marked; move to another version and press Enter to diff.".into();
                }
                vec![]
            }
            (Screen::Conflict, 'a') => self.apply_merge(),
            (Screen::Conflict, 'e') => self.edit_further(),
            (Screen::Conflict, 'd') => self.discard(),
            _ => vec![],
        }
    }

    fn move_cursor(&mut self, by: isize) -> Vec<Cmd> {
        let step = |cursor: usize, len: usize| {
            (cursor as isize + by).clamp(0, len.saturating_sub(1) as isize) as usize
        };
        if let (Screen::History, Some(h)) = (self.screen, &mut self.history) {
            h.cursor = step(h.cursor, h.versions.len());
        }
        vec![]
    }

    fn enter(&mut self) -> Vec<Cmd> {
        match self.screen {
            Screen::History => self.diff_selected(),
            _ => vec![],
        }
    }

    /// Opens a resource's list (also `:students`).
    pub fn open_resource(&mut self, resource: String) -> Vec<Cmd> {
        let remember = self.visited(&resource);
        let mut cmds = vec![remember];
        cmds.extend(self.open_list(resource, Vec::new()));
        cmds
    }

    fn prompt_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        let Some(prompt) = &mut self.prompt else { return vec![] };
        let text = match prompt {
            Prompt::Command(t) | Prompt::Filter(t) => t,
        };
        match key.code {
            KeyCode::Esc => {
                self.prompt = None;
                vec![]
            }
            KeyCode::Backspace => {
                text.pop();
                vec![]
            }
            KeyCode::Char(c) => {
                text.push(c);
                vec![]
            }
            KeyCode::Tab if self.screen == Screen::List && matches!(prompt, Prompt::Filter(_)) => {
                self.complete_filter()
            }
            KeyCode::Enter => match self.prompt.take() {
                Some(Prompt::Command(command)) => self.command(command.trim()),
                Some(Prompt::Filter(filter)) => self.apply_filter(filter.trim()),
                None => vec![],
            },
            _ => vec![],
        }
    }

    fn command(&mut self, command: &str) -> Vec<Cmd> {
        match command {
            "q" | "quit" => self.quit_cmds(),
            "" => vec![],
            clients::COMMAND => self.clients_command(),
            "load" => self.load_command(""),
            load if load.starts_with("load ") => self.load_command(&load["load ".len()..]),
            name => self.open_named(name),
        }
    }

    /// `/field=value` filters the list; `/` alone clears the filter.
    fn apply_filter(&mut self, filter: &str) -> Vec<Cmd> {
        self.filter_list(filter)
    }

    fn start_edit(
        &mut self,
        resource: String,
        id: Option<String>,
        opened: Option<(Value, String)>,
        content: &Value,
    ) -> Vec<Cmd> {
        let text = serde_json::to_string_pretty(content).unwrap_or_default();
        self.edit = Some(EditState {
            resource,
            id,
            opened,
            buffer: TextBuffer::from_text(&text),
            errors: BTreeMap::new(),
            saving: false,
        });
        self.go(Screen::Edit);
        self.status =
            "Editing: Ctrl-S saves with If-Match, Ctrl-E opens $EDITOR, Esc leaves (the edit is kept)."
                .into();
        let key = self.edit.as_ref().map(EditState::recovery_key).unwrap_or_default();
        let mut cmds = vec![Cmd::SaveRecovery { key, text: text.clone() }];
        if self.has_editor {
            cmds.push(Cmd::ExternalEdit { text });
        }
        cmds
    }

    fn edit_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        let Some(edit) = &mut self.edit else { return vec![] };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('s') if ctrl => self.save(),
            KeyCode::Char('e') if ctrl => vec![Cmd::ExternalEdit { text: edit.buffer.text() }],
            KeyCode::Esc => {
                self.status = "Edit kept in the recovery file; press e on the item to continue.".into();
                let cmd = Cmd::SaveRecovery { key: edit.recovery_key(), text: edit.buffer.text() };
                self.go_back();
                vec![cmd]
            }
            _ => {
                edit.buffer.key(key);
                vec![]
            }
        }
    }

    /// Sends the edit: PUT with the If-Match of the version that was opened, or a create-only POST.
    fn save(&mut self) -> Vec<Cmd> {
        let Some(edit) = &mut self.edit else { return vec![] };
        let text = edit.buffer.text();
        let body: Value = match serde_json::from_str(&text) {
            Ok(body) => body,
            Err(e) => {
                self.status = format!("Not valid JSON ({e}); the edit is kept.");
                return vec![Cmd::SaveRecovery { key: edit.recovery_key(), text }];
            }
        };
        edit.saving = true;
        self.busy = Some("Saving…".into());
        let recovery = Cmd::SaveRecovery { key: edit.recovery_key(), text };
        let write = match (&edit.id, &edit.opened) {
            (Some(id), Some((_, etag))) => {
                Cmd::Put { resource: edit.resource.clone(), id: id.clone(), body, if_match: etag.clone() }
            }
            _ => Cmd::Create { resource: edit.resource.clone(), body },
        };
        vec![recovery, write]
    }

    fn written(&mut self, result: Result<WriteOutcome, String>) -> Vec<Cmd> {
        self.busy = None;
        let Some(edit) = &mut self.edit else { return vec![] };
        edit.saving = false;
        match result {
            Ok(WriteOutcome::Saved { id, .. }) => {
                let key = edit.recovery_key();
                let resource = edit.resource.clone();
                let id = id.or_else(|| edit.id.clone());
                self.status = "Saved.".into();
                self.edit = None;
                self.conflict = None;
                // Back to the item, freshly read.
                while matches!(self.screen, Screen::Edit | Screen::Conflict) {
                    self.go_back();
                }
                let mut cmds = vec![Cmd::ClearRecovery { key }];
                if let Some(id) = id {
                    cmds.push(Cmd::LoadItem { resource: resource.clone(), id });
                }
                if self.list.resource == resource {
                    cmds.extend(self.reload_list());
                }
                cmds
            }
            Ok(WriteOutcome::Invalid { detail, errors }) => {
                self.status = format!("Refused: {detail} The edit is kept; fix the marked fields.");
                edit.errors = errors;
                if self.screen == Screen::Conflict {
                    self.screen = Screen::Edit;
                }
                vec![]
            }
            Ok(WriteOutcome::Conflict { .. }) => {
                let (Some(id), Some((opened, _))) = (edit.id.clone(), edit.opened.clone()) else {
                    self.status = "That item was created by someone else meanwhile; the edit is kept.".into();
                    return vec![];
                };
                let mine = serde_json::from_str(&edit.buffer.text()).unwrap_or(Value::Null);
                let resource = edit.resource.clone();
                self.conflict = Some(ConflictState {
                    resource: resource.clone(),
                    id: id.clone(),
                    opened,
                    mine,
                    current: None,
                    merge: None,
                });
                self.status = "Someone changed this item since you opened it. Loading their version…".into();
                self.busy = Some("Loading the current version…".into());
                self.go(Screen::Conflict);
                vec![Cmd::LoadCurrent { resource, id }]
            }
            Ok(WriteOutcome::Refused { status, detail }) => {
                self.status = format!("Refused ({status}): {detail} The edit is kept.");
                vec![]
            }
            Err(e) => {
                self.status = format!("Not saved ({e}); the edit is kept.");
                vec![]
            }
        }
    }

    fn current_loaded(&mut self, result: Result<Item, String>) -> Vec<Cmd> {
        self.busy = None;
        let Some(conflict) = &mut self.conflict else { return vec![] };
        match result {
            Ok(item) => {
                let merged = merge::three_way(&conflict.opened, &conflict.mine, &item.body);
                self.status = if merged.is_clean() {
                    "Your changes and theirs do not overlap: a apply the merge, e edit further, d discard."
                        .into()
                } else {
                    format!(
                        "{} field(s) changed on both sides (theirs kept in the merge): a apply, e edit further, d discard.",
                        merged.conflicts.len()
                    )
                };
                conflict.merge = Some(merged);
                conflict.current = Some((item.body, item.etag));
            }
            Err(e) => self.status = format!("Could not load the current version: {e}"),
        }
        vec![]
    }

    /// Re-applies the edit on the current version: a new PUT with the current If-Match.
    fn apply_merge(&mut self) -> Vec<Cmd> {
        let Some(conflict) = &self.conflict else { return vec![] };
        let (Some((current, etag)), Some(merged)) = (&conflict.current, &conflict.merge) else {
            return vec![];
        };
        let cmd = Cmd::Put {
            resource: conflict.resource.clone(),
            id: conflict.id.clone(),
            body: merged.merged.clone(),
            if_match: etag.clone(),
        };
        if let Some(edit) = &mut self.edit {
            edit.opened = Some((current.clone(), etag.clone()));
            edit.buffer =
                TextBuffer::from_text(&serde_json::to_string_pretty(&merged.merged).unwrap_or_default());
            edit.saving = true;
        }
        self.busy = Some("Saving the merge…".into());
        vec![cmd]
    }

    /// Back to the editor with the merge, based on the current version.
    fn edit_further(&mut self) -> Vec<Cmd> {
        let Some(conflict) = self.conflict.take() else { return vec![] };
        let (Some((current, etag)), Some(merged)) = (conflict.current, conflict.merge) else { return vec![] };
        if let Some(edit) = &mut self.edit {
            edit.opened = Some((current, etag));
            edit.buffer =
                TextBuffer::from_text(&serde_json::to_string_pretty(&merged.merged).unwrap_or_default());
        }
        self.screen = Screen::Edit;
        self.status = "Editing the merge on top of the current version.".into();
        vec![]
    }

    fn discard(&mut self) -> Vec<Cmd> {
        let key = self.edit.as_ref().map(EditState::recovery_key);
        self.edit = None;
        self.conflict = None;
        while matches!(self.screen, Screen::Edit | Screen::Conflict) {
            self.go_back();
        }
        self.status = "Your edit was discarded.".into();
        let reload =
            self.detail.as_ref().map(|d| Cmd::LoadItem { resource: d.resource.clone(), id: d.id.clone() });
        key.map(|key| Cmd::ClearRecovery { key }).into_iter().chain(reload).collect()
    }

    fn confirm_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        let Some(confirm) = &mut self.confirm else { return vec![] };
        match key.code {
            KeyCode::Esc => {
                self.confirm = None;
                self.go_back();
                self.status = "Not deleted.".into();
                vec![]
            }
            KeyCode::Backspace => {
                confirm.typed.pop();
                vec![]
            }
            KeyCode::Char(c) => {
                confirm.typed.push(c);
                vec![]
            }
            KeyCode::Enter if confirm.typed == "delete" => {
                self.busy = Some("Deleting…".into());
                vec![Cmd::Delete {
                    resource: confirm.resource.clone(),
                    id: confirm.id.clone(),
                    if_match: confirm.etag.clone(),
                }]
            }
            KeyCode::Enter => {
                self.status = "Type delete and press Enter, or Esc to keep the item.".into();
                vec![]
            }
            _ => vec![],
        }
    }

    fn deleted(&mut self, result: Result<WriteOutcome, String>) -> Vec<Cmd> {
        self.busy = None;
        self.confirm = None;
        match result {
            Ok(WriteOutcome::Saved { .. }) => {
                self.status = "Deleted.".into();
                self.detail = None;
                self.trail.clear();
                self.referenced_by = None;
                while matches!(self.screen, Screen::ConfirmDelete | Screen::Detail | Screen::ReferencedBy) {
                    self.go_back();
                }
                self.reload_list()
            }
            Ok(WriteOutcome::Conflict { .. }) => {
                self.status = "Not deleted: someone changed the item since you opened it. Reloaded.".into();
                self.go_back();
                self.detail
                    .as_ref()
                    .map(|d| Cmd::LoadItem { resource: d.resource.clone(), id: d.id.clone() })
                    .into_iter()
                    .collect()
            }
            Ok(WriteOutcome::Refused { detail, .. } | WriteOutcome::Invalid { detail, .. }) => {
                self.status = format!("Not deleted: {detail}");
                self.go_back();
                vec![]
            }
            Err(e) => {
                self.status = format!("Not deleted: {e}");
                self.go_back();
                vec![]
            }
        }
    }

    /// Enter in the history: with a marked version, diff it against the selected one.
    fn diff_selected(&mut self) -> Vec<Cmd> {
        let Some(history) = &mut self.history else { return vec![] };
        let Some(marked) = history.marked else {
            self.status = "Press Space on one version, then Enter on another to diff them.".into();
            return vec![];
        };
        let wanted: Vec<String> = [marked, history.cursor]
            .iter()
            .filter_map(|i| history.versions.get(*i).and_then(|v| v.etag.clone()))
            .filter(|etag| !history.bodies.contains_key(etag))
            .collect();
        let cmds = wanted
            .into_iter()
            .map(|etag| Cmd::LoadVersion { resource: history.resource.clone(), id: history.id.clone(), etag })
            .collect();
        self.try_diff();
        cmds
    }

    fn try_diff(&mut self) {
        let Some(history) = &mut self.history else { return };
        let Some(marked) = history.marked else { return };
        let body = |i: usize| -> Option<Value> {
            let version = history.versions.get(i)?;
            match &version.etag {
                Some(etag) => history.bodies.get(etag).cloned(),
                None => Some(Value::Null),
            }
        };
        let (older, newer) = (marked.min(history.cursor), marked.max(history.cursor));
        if let (Some(old), Some(new)) = (body(older), body(newer)) {
            history.diff = Some(merge::diff(&merge::content(&old), &merge::content(&new)));
        }
    }
}

pub mod resources;
#[cfg(test)]
mod tests;
