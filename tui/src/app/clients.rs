//! The Clients screen: `:clients` lists the API's clients (`GET /admin/v1/clients`) with their
//! instance, claim set and scope. Only the administrator's token may list them, so an app
//! connected with a data client's key shows why there is no list instead. Read-only: clients are
//! created and revoked with the admin API.

use crossterm::event::{KeyCode, KeyEvent};
use edfi_core::wire::answers::ClientEntry;

use super::{App, Cmd, Screen};
use crate::api::ClientList;

/// The command that opens the screen (`:clients`), which Tab completes too.
pub const COMMAND: &str = "clients";
/// Rows PgUp and PgDn move by.
const PAGE_ROWS: usize = 10;

/// Why there is no list of clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientsProblem {
    /// The API refused the token (403, or 401): it is not the administrator's. Its explanation.
    NotAdmin { status: u16, detail: String },
    /// The API could not be asked, or failed.
    Failed(String),
}

/// The clients as the API listed them last.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientsState {
    /// In the API's order.
    pub clients: Vec<ClientEntry>,
    pub cursor: usize,
    /// Asked for, not answered yet.
    pub loading: bool,
    pub problem: Option<ClientsProblem>,
}

impl ClientsState {
    pub fn revoked(&self) -> usize {
        self.clients.iter().filter(|c| c.revoked).count()
    }
}

impl App {
    /// `:clients`: shows the screen (Esc goes back to where you were) and asks the API afresh.
    pub(super) fn clients_command(&mut self) -> Vec<Cmd> {
        let state = self.clients.get_or_insert_with(ClientsState::default);
        state.loading = true;
        self.busy = Some("Loading clients…".into());
        self.go(Screen::Clients);
        vec![Cmd::LoadClients]
    }

    pub(super) fn clients_loaded(&mut self, result: Result<ClientList, String>) -> Vec<Cmd> {
        self.busy = None;
        let state = self.clients.get_or_insert_with(ClientsState::default);
        state.loading = false;
        match result {
            Ok(ClientList::Listed(clients)) => {
                state.cursor = state.cursor.min(clients.len().saturating_sub(1));
                state.clients = clients;
                state.problem = None;
                self.status = "The API's clients (read-only: the admin API creates and revokes them).".into();
            }
            Ok(ClientList::NotAdmin { status, detail }) => {
                state.clients.clear();
                state.cursor = 0;
                state.problem = Some(ClientsProblem::NotAdmin { status, detail });
                self.status = "Listing clients needs the administrator's key and secret.".into();
            }
            Err(e) => {
                state.problem = Some(ClientsProblem::Failed(e.clone()));
                self.status = format!("Error: {e}");
            }
        }
        vec![]
    }

    /// Keys of the Clients screen; `None` for those it leaves to the rest of the app (Esc).
    pub(super) fn clients_key(&mut self, key: KeyEvent) -> Option<Vec<Cmd>> {
        let state = self.clients.as_mut()?;
        let last = state.clients.len().saturating_sub(1);
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => state.cursor = state.cursor.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => state.cursor = (state.cursor + 1).min(last),
            KeyCode::PageUp => state.cursor = state.cursor.saturating_sub(PAGE_ROWS),
            KeyCode::PageDown => state.cursor = (state.cursor + PAGE_ROWS).min(last),
            KeyCode::Home | KeyCode::Char('g') => state.cursor = 0,
            KeyCode::End | KeyCode::Char('G') => state.cursor = last,
            KeyCode::Char('r') => return Some(self.clients_command()),
            _ => return None,
        }
        Some(vec![])
    }
}
