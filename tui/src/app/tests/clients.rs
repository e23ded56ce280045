//! The Clients screen: `:clients` as typed and completed, the API's list, its refusal of a data
//! client's token, and Esc back to where you were.

use crossterm::event::KeyCode;
use edfi_core::wire::answers::ClientEntry;

use super::{key, listing, screen, showing, typed};
use crate::api::ClientList;
use crate::app::{App, ClientsProblem, Cmd, Msg, Prompt, Screen};

fn client(name: &str, key: &str, instance: &str, claim_set: Option<&str>) -> ClientEntry {
    ClientEntry {
        key: key.into(),
        name: name.into(),
        instance: instance.into(),
        claim_set_name: claim_set.map(str::to_owned),
        ..ClientEntry::default()
    }
}

/// One of full access, a SIS vendor with two schools, an assessment vendor with a namespace, and
/// a revoked one.
fn four_clients() -> Vec<ClientEntry> {
    let sandbox = client("Sandbox", "4f1c2b9d0e3a7c5b8d21", "district-a", None);
    let mut sis = client("Lincoln High SIS", "9a7e03c4d5b6f1e2a8c0", "district-a", Some("SIS Vendor"));
    sis.education_organization_ids = vec![255901001, 255901044];
    let mut reading =
        client("Reading test vendor", "c3b2a1f0e9d8c7b6a5f4", "district-a", Some("Assessment Vendor"));
    reading.namespace_prefixes = vec!["uri://reading.example/".into()];
    let mut old = client("Old SIS", "0d1e2f3a4b5c6d7e8f90", "district-b", Some("SIS Vendor"));
    old.education_organization_ids = vec![255901];
    old.revoked = true;
    vec![sandbox, sis, reading, old]
}

/// `:clients` typed on the students list: the screen, asking the API.
fn opened() -> App {
    let mut app = listing(3, 3);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "clients");
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(cmds, vec![Cmd::LoadClients]);
    assert_eq!(app.screen, Screen::Clients);
    app
}

#[test]
fn colon_clients_opens_the_screen_and_asks_the_api() {
    let app = opened();
    let state = app.clients.as_ref().expect("the screen's state");
    assert!(state.loading && state.clients.is_empty() && state.problem.is_none());
    assert_eq!(app.busy.as_deref(), Some("Loading clients…"));
    let shown = screen(&app);
    assert!(shown.contains("Loading clients…") && shown.contains("clients: loading…"), "{shown}");
}

#[test]
fn the_list_arrives_and_is_a_table_of_every_client() {
    let mut app = opened();
    let cmds = app.update(Msg::Clients { result: Ok(ClientList::Listed(four_clients())) });
    assert!(cmds.is_empty());
    assert!(app.busy.is_none());
    let state = app.clients.as_ref().unwrap();
    assert_eq!((state.clients.len(), state.revoked(), state.loading), (4, 1, false));
    assert_eq!(state.problem, None);
    // Under the table, the client at the cursor whole (the table cuts cells to fit).
    assert!(screen(&app).contains("claim set Ed-Fi Sandbox (full access)  active"), "{}", screen(&app));
    app.update(key(KeyCode::Char('j')));
    insta::assert_snapshot!("clients", screen(&app));
    assert!(screen(&app).contains("education organizations 255901001, 255901044"));
    app.update(key(KeyCode::Char('j')));
    assert!(screen(&app).contains("namespace prefixes uri://reading.example/"));
    // The cursor stays on the rows; r asks again, keeping the rows meanwhile.
    for _ in 0..10 {
        app.update(key(KeyCode::Char('j')));
    }
    assert_eq!(app.clients.as_ref().unwrap().cursor, 3);
    assert!(screen(&app).contains("claim set SIS Vendor  revoked"), "{}", screen(&app));
    assert_eq!(app.update(key(KeyCode::Char('r'))), vec![Cmd::LoadClients]);
    let state = app.clients.as_ref().unwrap();
    assert!(state.loading && state.clients.len() == 4);
    assert_eq!(app.screen, Screen::Clients);
}

#[test]
fn a_data_clients_token_is_refused_and_the_screen_says_the_administrators_key_is_needed() {
    let mut app = opened();
    let detail = "Only the administrator may manage API clients.";
    app.update(Msg::Clients { result: Ok(ClientList::NotAdmin { status: 403, detail: detail.into() }) });
    let state = app.clients.as_ref().unwrap();
    assert_eq!(state.problem, Some(ClientsProblem::NotAdmin { status: 403, detail: detail.into() }));
    assert!(app.busy.is_none());
    assert!(app.status.contains("administrator's key and secret"), "{}", app.status);
    insta::assert_snapshot!("clients_not_admin", screen(&app));
    // A 401 is the same refusal; another failure says what it was.
    app.update(key(KeyCode::Char('r')));
    app.update(Msg::Clients {
        result: Ok(ClientList::NotAdmin { status: 401, detail: "Bad token.".into() }),
    });
    assert!(screen(&app).contains("needs the administrator's key and secret"));
    app.update(key(KeyCode::Char('r')));
    app.update(Msg::Clients { result: Err("The API failed (500)".into()) });
    let shown = screen(&app);
    assert!(shown.contains("could not be listed") && shown.contains("The API failed (500)"), "{shown}");
}

#[test]
fn esc_goes_back_to_where_you_were() {
    let mut app = opened();
    app.update(Msg::Clients { result: Ok(ClientList::Listed(four_clients())) });
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::List);
    assert_eq!(app.list.resource, "students");
    let mut app = showing(false);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "clients");
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Detail, "back on the item, not its list");
    // An answer arriving after leaving is kept for next time, and does not pull you back.
    app.update(Msg::Clients { result: Ok(ClientList::Listed(four_clients())) });
    assert_eq!(app.screen, Screen::Detail);
    assert_eq!(app.clients.as_ref().unwrap().clients.len(), 4);
}

#[test]
fn tab_completes_the_command() {
    let mut app = listing(3, 3);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "cl");
    app.update(key(KeyCode::Tab));
    assert_eq!(app.prompt, Some(Prompt::Command("clients".into())));
    assert_eq!(app.update(key(KeyCode::Enter)), vec![Cmd::LoadClients]);
}
