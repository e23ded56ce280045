//! Carrying out the app's commands: network work in tasks reporting back as messages, the
//! external editor with the terminal released, recovery files on disk. The terminal loop merges
//! keys and reports with `tokio::select!`; [`Headless`] drives the same app without a terminal.

use std::io::Stdout;
use std::time::Duration;

use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::ExecutableCommand;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::Terminal;
use tokio::sync::mpsc;

use crate::api::{Client, PageQuery};
use crate::app::load::STOPPED;
use crate::app::LoadRequest;
use crate::app::{App, Cmd, Msg};
use crate::keys::{self, Keys};
use crate::load::events::Event;
use crate::{editor, load, recent, ui};

/// The network part of a command, as a message once done; `None` for commands that are not
/// network work.
pub async fn perform(client: &Client, cmd: Cmd) -> Option<Msg> {
    let text = |e: crate::api::ApiError| e.to_string();
    Some(match cmd {
        Cmd::LoadResources => Msg::Resources(client.resources().await.map_err(text)),
        Cmd::LoadCount(name) => {
            let count = client.count(&name).await.map_err(text);
            Msg::Count(name, count)
        }
        Cmd::LoadPage { resource, offset, filter, token } => {
            let query = PageQuery { offset, limit: crate::app::PAGE_SIZE, filters: filter.clone(), token };
            let result = client.page(&resource, &query).await.map_err(text);
            Msg::Page { resource, offset, filter, result }
        }
        Cmd::LoadMeta(resource) => {
            let result = client.describe(&resource).await.map_err(text);
            Msg::Meta { resource, result }
        }
        Cmd::Follow(target) => Msg::Followed { result: client.follow(&target).await.map_err(text) },
        Cmd::LoadReferrers { resource, id } => {
            let result = client.referrers(&resource).await.map_err(text);
            Msg::Referrers { resource, id, result }
        }
        Cmd::LoadReferring { of, group, resource, filters } => {
            let query = PageQuery { offset: 0, limit: crate::app::REFERRING_LIMIT, filters, token: None };
            let result = client.page(&resource, &query).await.map_err(text);
            Msg::Referring { of, group, result }
        }
        Cmd::LoadItem { resource, id } => {
            let result = client.get(&resource, &id).await.map_err(text);
            Msg::Item { resource, id, result }
        }
        Cmd::Put { resource, id, body, if_match } => {
            Msg::Written { result: client.put(&resource, &id, &body, &if_match).await.map_err(text) }
        }
        Cmd::Create { resource, body } => {
            Msg::Written { result: client.create(&resource, &body).await.map_err(text) }
        }
        Cmd::Delete { resource, id, if_match } => {
            Msg::Deleted { result: client.delete(&resource, &id, &if_match).await.map_err(text) }
        }
        Cmd::LoadCurrent { resource, id } => {
            Msg::Current { result: client.get(&resource, &id).await.map_err(text) }
        }
        Cmd::LoadTemplate(resource) => {
            let result = client.template(&resource).await.map_err(text);
            Msg::Template { resource, result }
        }
        Cmd::LoadHistory { resource, id } => {
            Msg::History { result: client.history(&resource, &id).await.map_err(text) }
        }
        Cmd::LoadVersion { resource, id, etag } => {
            let result = client.version(&resource, &id, &etag).await.map_err(text);
            Msg::Version { etag, result }
        }
        Cmd::LoadClients => Msg::Clients { result: client.clients().await.map_err(text) },
        Cmd::CompletePath { typed, forward } => {
            let candidates = directory_candidates(&typed);
            Msg::PathCandidates { typed, forward, candidates }
        }
        Cmd::ExternalEdit { .. }
        | Cmd::SaveRecovery { .. }
        | Cmd::ClearRecovery { .. }
        | Cmd::SaveRecent { .. }
        | Cmd::Load { .. }
        | Cmd::StopLoad { .. }
        | Cmd::Quit => return None,
    })
}

/// Runs the load `:load` asked for, handing its events to `sink`.
async fn run_load(client: &Client, request: LoadRequest, sink: impl Fn(Event) + Send + Sync) {
    let LoadRequest { directory, restart, create_only, journal } = request;
    load::run_with_events(client, directory, journal, !restart, create_only, sink).await;
}

/// At most this many directories are offered for one Tab.
const PATH_CANDIDATES: usize = 200;

/// The prompt texts that complete `typed`'s last word as a directory: `load /srv/gr` gives
/// `load /srv/grand-bend/`. `~/` is the home directory; hidden directories are offered only
/// when the typed name starts with a dot.
pub fn directory_candidates(typed: &str) -> Vec<String> {
    let (head, partial) = match typed.rfind(' ') {
        Some(at) => typed.split_at(at + 1),
        None => ("", typed),
    };
    let (parent, name) = match partial.rfind('/') {
        Some(at) => partial.split_at(at + 1),
        None => ("", partial),
    };
    let listed = match (parent.strip_prefix("~/"), dirs::home_dir()) {
        (Some(under_home), Some(home)) => home.join(under_home),
        _ if parent.is_empty() => std::path::PathBuf::from("."),
        _ => std::path::PathBuf::from(parent),
    };
    let Ok(entries) = std::fs::read_dir(&listed) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|entry| entry.starts_with(name) && (name.starts_with('.') || !entry.starts_with('.')))
        .collect();
    names.sort();
    names.truncate(PATH_CANDIDATES);
    names.into_iter().map(|entry| format!("{head}{parent}{entry}/")).collect()
}

/// Recovery files are written and removed on the spot: an edit must be on disk before anything
/// can fail. The recent resources are written on the spot too, so they stay in order.
fn keep_recovery(cmd: &Cmd) -> Option<String> {
    match cmd {
        Cmd::SaveRecovery { key, text } => {
            editor::save_recovery(key, text).err().map(|e| format!("recovery file: {e}"))
        }
        Cmd::ClearRecovery { key } => {
            editor::clear_recovery(key);
            None
        }
        Cmd::SaveRecent { url, names } => {
            recent::save(url, names).err().map(|e| format!("recent resources not kept: {e}"))
        }
        _ => None,
    }
}

/// Drives an app without a terminal: every command runs to completion before the next key.
pub struct Headless {
    pub app: App,
    pub client: Client,
    /// Answers `$EDITOR` requests in tests (`None`: the editor is unavailable).
    editor: Option<Box<dyn FnMut(String) -> String + Send>>,
}

impl Headless {
    pub async fn start(client: Client, url: &str, read_only: bool) -> Self {
        let (mut app, cmds) = App::new(url, read_only);
        app.set_recent(recent::load(url));
        let mut headless = Self { app, client, editor: None };
        headless.run(cmds).await;
        headless
    }

    /// Stands in for `$EDITOR`: `e` then edits through `edit` (text in, saved text out).
    pub fn with_editor(mut self, edit: impl FnMut(String) -> String + Send + 'static) -> Self {
        self.app.has_editor = true;
        self.editor = Some(Box::new(edit));
        self
    }

    pub async fn send(&mut self, msg: Msg) {
        let cmds = self.app.update(msg);
        self.run(cmds).await;
    }

    pub async fn key(&mut self, code: crossterm::event::KeyCode) {
        self.send(Msg::Key(code.into())).await;
    }

    async fn run(&mut self, mut cmds: Vec<Cmd>) {
        while !cmds.is_empty() {
            let mut next = Vec::new();
            for cmd in cmds {
                if let Some(problem) = keep_recovery(&cmd) {
                    self.app.status = problem;
                }
                let msgs = match cmd {
                    Cmd::ExternalEdit { text } => vec![Msg::Edited(match &mut self.editor {
                        Some(edit) => Ok(edit(text)),
                        None => Err("no editor".into()),
                    })],
                    // The whole load runs here; its events then reach the app in order.
                    Cmd::Load { number, request } => {
                        let events = std::sync::Mutex::new(Vec::new());
                        let sink = |event: Event| events.lock().expect("the events lock").push(event);
                        run_load(&self.client, request, sink).await;
                        let events = events.into_inner().expect("the events lock");
                        events.into_iter().map(|event| Msg::Load { number, event }).collect()
                    }
                    cmd => perform(&self.client, cmd).await.into_iter().collect(),
                };
                for msg in msgs {
                    next.extend(self.app.update(msg));
                }
            }
            cmds = next;
        }
    }
}

/// The interactive loop on a real terminal.
pub async fn run_terminal(client: Client, url: &str, read_only: bool) -> std::io::Result<()> {
    let mut terminal = enter()?;
    let (mut app, cmds) = App::new(url, read_only);
    app.has_editor = editor::external_editor().is_some();
    app.set_recent(recent::load(url));
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut keys = Keys::spawn(keys::Terminal);
    let mut running = Running::default();
    let mut side = Side { client: &client, tx: &tx, keys: &mut keys, running: &mut running };
    dispatch(&mut side, &mut app, &mut terminal, cmds)?;
    while !app.quit {
        terminal.draw(|frame| ui::render(&app, frame))?;
        let msg = tokio::select! {
            Some(msg) = rx.recv() => msg,
            Some(key) = side.keys.next() => Msg::Key(key),
            _ = tokio::time::sleep(Duration::from_millis(250)) => continue,
        };
        let cmds = app.update(msg);
        dispatch(&mut side, &mut app, &mut terminal, cmds)?;
        // A load reports every record: take what else has arrived before drawing again.
        for _ in 0..MESSAGES_PER_FRAME {
            let Ok(msg) = rx.try_recv() else { break };
            let cmds = app.update(msg);
            dispatch(&mut side, &mut app, &mut terminal, cmds)?;
        }
    }
    drop(keys);
    leave()
}

/// Reports handled between two frames at most, so keys still get their turn.
const MESSAGES_PER_FRAME: usize = 1000;

/// The load running in the background, to stop it.
#[derive(Default)]
struct Running {
    load: Option<(u64, tokio::task::AbortHandle)>,
}

/// What the terminal loop's commands are carried out with.
struct Side<'a> {
    client: &'a Client,
    tx: &'a mpsc::UnboundedSender<Msg>,
    keys: &'a mut Keys,
    running: &'a mut Running,
}

fn dispatch(
    side: &mut Side<'_>,
    app: &mut App,
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    cmds: Vec<Cmd>,
) -> std::io::Result<()> {
    let (client, tx) = (side.client, side.tx);
    for cmd in cmds {
        if let Some(problem) = keep_recovery(&cmd) {
            app.status = problem;
        }
        match cmd {
            Cmd::ExternalEdit { text } => {
                let result = match editor::external_editor() {
                    None => Err("$VISUAL and $EDITOR are not set".to_owned()),
                    // The editor owns the terminal: the key reader stops reading until it exits.
                    Some(editor_command) => side.keys.released(|| {
                        leave()?;
                        let result = editor::edit_externally(&editor_command, &text);
                        *terminal = enter()?;
                        Ok::<_, std::io::Error>(result)
                    })?,
                };
                let _ = tx.send(Msg::Edited(result));
            }
            Cmd::Load { number, request } => {
                let (client, tx) = (client.clone(), tx.clone());
                let task = tokio::spawn(async move {
                    let sink = move |event: Event| {
                        let _ = tx.send(Msg::Load { number, event });
                    };
                    run_load(&client, request, sink).await;
                });
                side.running.load = Some((number, task.abort_handle()));
            }
            Cmd::StopLoad { number } => {
                // Stopped between records: the journal holds every answer so far, whole.
                if let Some((_, task)) = side.running.load.take_if(|(running, _)| *running == number) {
                    task.abort();
                    let _ = tx.send(Msg::Load { number, event: Event::Finished(Err(STOPPED.into())) });
                }
            }
            Cmd::Quit | Cmd::SaveRecovery { .. } | Cmd::ClearRecovery { .. } | Cmd::SaveRecent { .. } => {}
            cmd => {
                let (client, tx) = (client.clone(), tx.clone());
                tokio::spawn(async move {
                    if let Some(msg) = perform(&client, cmd).await {
                        let _ = tx.send(msg);
                    }
                });
            }
        }
    }
    Ok(())
}

fn enter() -> std::io::Result<Terminal<CrosstermBackend<Stdout>>> {
    terminal::enable_raw_mode()?;
    std::io::stdout().execute(EnterAlternateScreen)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    terminal.clear()?;
    Ok(terminal)
}

/// Gives the terminal back as it was; also called from the panic hook.
pub fn leave() -> std::io::Result<()> {
    terminal::disable_raw_mode()?;
    std::io::stdout().execute(LeaveAlternateScreen)?;
    Ok(())
}

/// Draws one frame on any backend (tests use `TestBackend`).
pub fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &App) -> Result<(), B::Error> {
    terminal.draw(|frame| ui::render(app, frame)).map(|_| ())
}
