//! The admin terminal app against the real server: headless (its state machine and runtime,
//! real HTTP), and as a person would use it, in tmux.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use edfi_admin::api::Client;
use edfi_admin::app::{GroupState, Msg, Screen};
use edfi_admin::runtime::Headless;
use serde_json::json;

use crate::support::{base_url, descriptor, student, unique_id, unique_number, Api};

/// A client key and secret of a fresh instance, with one student in it.
pub(crate) async fn instance_with_student(name: &str) -> (String, String, Api, String) {
    let instance = format!("{name}-{}", std::process::id());
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client(&instance).await;
    let api = Api::connect(base_url(), &instance).await;
    let (path, _) = api.create(&student(&unique_id("tui"))).await;
    (key, secret, api, path)
}

async fn open_first_student(app: &mut Headless) {
    app.send(Msg::Key(KeyCode::Char(':').into())).await;
    for c in "students".chars() {
        app.key(KeyCode::Char(c)).await;
    }
    app.key(KeyCode::Enter).await;
    assert_eq!(app.app.screen, Screen::List, "{}", app.app.status);
    app.key(KeyCode::Enter).await;
    assert_eq!(app.app.screen, Screen::Detail, "{}", app.app.status);
}

fn set_buffer_field(app: &mut Headless, field: &str, value: &str) {
    let edit = app.app.edit.as_mut().expect("editing");
    let mut body: serde_json::Value = serde_json::from_str(&edit.buffer.text()).unwrap();
    body[field] = json!(value);
    edit.buffer = edfi_admin::editor::TextBuffer::from_text(&serde_json::to_string_pretty(&body).unwrap());
}

#[tokio::test]
async fn open_edit_save() {
    let (key, secret, api, path) = instance_with_student("tui-edit").await;
    let mut app = Headless::start(Client::new(&base_url(), &key, &secret), &base_url(), false).await;
    // Grouped as the server's metadata says, and no count asked for but the recent resources'.
    let students = app.app.resources.iter().find(|r| r.info.name == "students").expect("students listed");
    assert_eq!(students.info.groups, ["Student", "StudentHealth"], "{}", app.app.status);
    let counted: Vec<&str> =
        app.app.resources.iter().filter(|r| r.count.is_some()).map(|r| r.info.name.as_str()).collect();
    assert!(counted.iter().all(|name| app.app.nav.recent.iter().any(|r| r == name)), "{counted:?}");
    // Found by the fuzzy filter, which loads the best matches' counts.
    app.key(KeyCode::Char('/')).await;
    for c in "stdnts".chars() {
        app.key(KeyCode::Char(c)).await;
    }
    app.key(KeyCode::Enter).await;
    assert!(
        app.app.resources.iter().any(|r| r.info.name == "students" && r.count == Some(1)),
        "{}",
        app.app.status
    );
    app.key(KeyCode::Esc).await;
    open_first_student(&mut app).await;
    let opened = app.app.detail.as_ref().unwrap().etag.clone();
    app.key(KeyCode::Char('e')).await;
    set_buffer_field(&mut app, "middleName", "Edited");
    app.send(Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))).await;
    assert_eq!(app.app.screen, Screen::Detail, "{}", app.app.status);
    let (stored, etag) = api.current(&path).await.unwrap();
    assert_eq!(stored["middleName"], "Edited");
    assert_ne!(etag, opened);
    assert_eq!(app.app.detail.as_ref().unwrap().etag, etag, "the app shows the new version");
}

#[tokio::test]
async fn e_edits_in_the_external_editor_and_saves_with_if_match() {
    let (key, secret, api, path) = instance_with_student("tui-editor").await;
    let client = Client::new(&base_url(), &key, &secret);
    let mut app = Headless::start(client, &base_url(), false)
        .await
        .with_editor(|text| text.replace("\"Ana\"", "\"Edited\""));
    open_first_student(&mut app).await;
    app.key(KeyCode::Char('e')).await;
    assert_eq!(app.app.screen, Screen::Detail, "saved straight from the editor: {}", app.app.status);
    assert_eq!(api.current(&path).await.unwrap().0["firstName"], "Edited");
}

#[tokio::test]
async fn a_concurrent_change_forces_the_conflict_flow_and_both_changes_survive() {
    let (key, secret, api, path) = instance_with_student("tui-conflict").await;
    let mut app = Headless::start(Client::new(&base_url(), &key, &secret), &base_url(), false).await;
    open_first_student(&mut app).await;
    app.key(KeyCode::Char('e')).await;
    set_buffer_field(&mut app, "firstName", "Administrator");
    // Meanwhile another client changes the last name.
    let (current, etag) = api.current(&path).await.unwrap();
    let mut theirs = current.clone();
    theirs["lastSurname"] = json!("Concurrent");
    assert_eq!(api.write("PUT", &path, &theirs, &[("If-Match", &etag)]).await.status, 204);

    app.send(Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))).await;
    assert_eq!(app.app.screen, Screen::Conflict, "the stale save got a 412: {}", app.app.status);
    let merge = app.app.conflict.as_ref().unwrap().merge.clone().expect("merged with the current version");
    assert!(merge.is_clean());
    app.key(KeyCode::Char('a')).await;
    assert_eq!(app.app.screen, Screen::Detail, "{}", app.app.status);
    let (stored, _) = api.current(&path).await.unwrap();
    assert_eq!(
        (stored["firstName"].as_str(), stored["lastSurname"].as_str()),
        (Some("Administrator"), Some("Concurrent"))
    );
}

/// A fresh instance with a school and two of its class periods: the client's key and secret,
/// the school's id and item path.
async fn instance_with_school(name: &str) -> (String, String, Api, i64, String) {
    let instance = format!("{name}-{}", std::process::id());
    let admin = Api::admin(base_url()).await;
    let (key, secret) = admin.create_client(&instance).await;
    let api = Api::connect(base_url(), &instance).await;
    let category = descriptor("EducationOrganizationCategoryDescriptor", "School");
    api.ensure("educationOrganizationCategoryDescriptors", &category).await;
    api.ensure("gradeLevelDescriptors", &descriptor("GradeLevelDescriptor", "Ninth grade")).await;
    let school_id = unique_number();
    let (path, _) = api
        .create_in(
            "schools",
            &json!({
                "schoolId": school_id,
                "nameOfInstitution": format!("School {school_id}"),
                "educationOrganizationCategories": [{"educationOrganizationCategoryDescriptor": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School"}],
                "gradeLevels": [{"gradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"}],
            }),
        )
        .await;
    for name in ["07", "01"] {
        api.create_in(
            "classPeriods",
            &json!({"classPeriodName": name, "schoolReference": {"schoolId": school_id}}),
        )
        .await;
    }
    (key, secret, api, school_id, path)
}

async fn type_text(app: &mut Headless, text: &str) {
    for c in text.chars() {
        app.key(KeyCode::Char(c)).await;
    }
}

/// The list is a table learnt from the served metadata, sorted and filtered by its query
/// fields; a reference opens the school; "referenced by" on the school finds the class periods.
#[tokio::test]
async fn a_table_a_reference_followed_and_what_refers_to_the_school() {
    let (key, secret, _api, school_id, school_path) = instance_with_school("tui-table").await;
    let mut app = Headless::start(Client::new(&base_url(), &key, &secret), &base_url(), false).await;
    app.key(KeyCode::Char(':')).await;
    type_text(&mut app, "classPeriods").await;
    app.key(KeyCode::Enter).await;
    assert_eq!(app.app.screen, Screen::List, "{}", app.app.status);
    let labels: Vec<String> = app.app.list_columns().into_iter().map(|c| c.label).collect();
    assert_eq!(labels, ["classPeriodName", "schoolId", "etag", "lastModified", "changeVersion"]);
    assert_eq!(app.app.list.total, Some(2));
    // Sorted by the first column, here: "01" before "07".
    app.key(KeyCode::Char('s')).await;
    let names: Vec<&str> = app.app.list.rows().map(|i| i["classPeriodName"].as_str().unwrap()).collect();
    assert_eq!(names, ["01", "07"]);
    // Filtered by a query field the metadata declares; an undeclared one is refused here.
    app.key(KeyCode::Char('/')).await;
    type_text(&mut app, "classPeriodNam").await;
    app.key(KeyCode::Tab).await;
    type_text(&mut app, "07").await;
    app.key(KeyCode::Enter).await;
    assert_eq!(app.app.list.filter, vec![("classPeriodName".to_owned(), "07".to_owned())]);
    assert_eq!((app.app.list.items.len(), app.app.list.total), (1, Some(1)), "{}", app.app.status);
    app.key(KeyCode::Char('/')).await;
    type_text(&mut app, "periodName=07").await;
    app.key(KeyCode::Enter).await;
    assert!(app.app.status.contains("not a query field of classPeriods"), "{}", app.app.status);
    app.key(KeyCode::Esc).await;

    // The class period's schoolReference opens the school, by the link the API put in it.
    app.key(KeyCode::Enter).await;
    assert_eq!(app.app.screen, Screen::Detail, "{}", app.app.status);
    app.key(KeyCode::Tab).await;
    assert_eq!(app.app.detail.as_ref().unwrap().link().unwrap().path, "schoolReference");
    app.key(KeyCode::Enter).await;
    let detail = app.app.detail.clone().unwrap();
    assert_eq!(detail.resource, "schools", "{}", app.app.status);
    assert_eq!(format!("/data/v3/ed-fi/schools/{}", detail.id), school_path);
    assert_eq!(detail.body["schoolId"], school_id);

    // What refers to the school: both class periods, from one filtered GET.
    app.key(KeyCode::Char('b')).await;
    assert_eq!(app.app.screen, Screen::ReferencedBy);
    let state = app.app.referenced_by.clone().unwrap();
    let (done, all) = state.progress();
    assert_eq!(done, all);
    let found: Vec<(String, usize)> = state
        .groups
        .iter()
        .flatten()
        .filter_map(|g| match &g.state {
            GroupState::Loaded { items, .. } if !items.is_empty() => Some((g.resource.clone(), items.len())),
            GroupState::Failed(e) => panic!("{}: {e}", g.resource),
            _ => None,
        })
        .collect();
    assert_eq!(found, [("classPeriods".to_owned(), 2)]);
    // Enter opens one; Esc twice is back on the school, then on the class period.
    app.key(KeyCode::Down).await;
    app.key(KeyCode::Enter).await;
    assert_eq!(app.app.detail.as_ref().unwrap().resource, "classPeriods");
    app.key(KeyCode::Esc).await;
    app.key(KeyCode::Esc).await;
    assert_eq!(
        (app.app.screen, app.app.detail.as_ref().unwrap().resource.as_str()),
        (Screen::Detail, "schools")
    );
    app.key(KeyCode::Esc).await;
    assert_eq!(app.app.detail.as_ref().unwrap().resource, "classPeriods");
}

/// The real binary in a real terminal (tmux): browse, edit, and resolve a conflict.
#[tokio::test]
async fn a_person_in_tmux_browses_edits_and_resolves_a_conflict() {
    let (key, secret, api, path) = instance_with_student("tui-tmux").await;
    let binary = std::env::var("EDFI_ADMIN_BIN").expect("EDFI_ADMIN_BIN: run with `cargo xtask test`");
    let session = format!("edfi-admin-{}", std::process::id());
    let state = std::env::temp_dir().join(&session);
    let _ = std::fs::remove_dir_all(&state);
    // If the app exits, the pane stays open with its last words, for the failure message.
    // The secret reaches the app's environment from a private file, never a command line (the
    // tmux server keeps the command line of the client that started it).
    let secret_file = secret_file(&session, &secret);
    let command = format!(
        "EDFI_ADMIN_STATE={} EDFI_SECRET=$(cat {}) VISUAL= EDITOR= {binary} --url={} --key={key}; echo edfi-admin exited $?; sleep 60",
        state.display(),
        secret_file.display(),
        base_url()
    );
    let tmux = Tmux { session };
    tmux.run(&["new-session", "-d", "-s", &tmux.session, "-x", "140", "-y", "40", &command]);
    // The resources have loaded, grouped by interchange; the person goes to students by name,
    // with Tab completing it.
    tmux.wait_for("Student Enrollment (7)");
    tmux.keys(&[":", "stud", "Tab"]);
    tmux.wait_for("studentAcademicRecords");
    tmux.wait_for(":student");
    tmux.keys(&["s", "Enter"]);
    tmux.wait_for("(1 of 1)");
    tmux.keys(&["Enter"]);
    tmux.wait_for("ETag");
    // Edit: the built-in editor; change the first name on the studentUniqueId... line set.
    tmux.keys(&["e"]);
    tmux.wait_for("Ctrl-S save");
    let (current, etag) = api.current(&path).await.unwrap();
    // Find the firstName line and retype its value.
    let body = serde_json::to_string_pretty(&edfi_admin::merge::content(&current)).unwrap();
    let line = body.lines().position(|l| l.contains("\"firstName\"")).unwrap();
    for _ in 0..line {
        tmux.keys(&["Down"]);
    }
    tmux.keys(&["End", "Left", "Left", "Left", "X"]);
    // Someone else changes the last name before the save.
    let mut theirs = current.clone();
    theirs["lastSurname"] = json!("FromElsewhere");
    assert_eq!(api.write("PUT", &path, &theirs, &[("If-Match", &etag)]).await.status, 204);
    tmux.keys(&["C-s"]);
    tmux.wait_for("Merged cleanly");
    tmux.keys(&["a"]);
    tmux.wait_for("Saved.");
    // Back on the resources, students is the one recent resource, and stays so for the next run.
    tmux.keys(&["Escape", "Escape"]);
    tmux.wait_for("Recent (1)");
    tmux.keys(&["q"]);
    tmux.wait_for("edfi-admin exited 0");
    let _ = std::fs::remove_file(&secret_file);
    let (stored, _) = api.current(&path).await.unwrap();
    assert_eq!(stored["lastSurname"], "FromElsewhere");
    assert!(stored["firstName"].as_str().unwrap().contains('X'), "{stored}");
    let recent: Vec<_> = std::fs::read_dir(state.join("recent")).expect("a recent list").collect();
    assert_eq!(recent.len(), 1, "{recent:?}");
    let file = recent[0].as_ref().unwrap().path();
    let kept: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(kept["recent"], json!(["students"]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

/// The real binary in tmux: the table, a reference followed, and what refers to the school.
#[tokio::test]
async fn a_person_in_tmux_follows_a_reference_and_sees_what_refers_to_it() {
    let (key, secret, _api, school_id, _) = instance_with_school("tui-tmux-links").await;
    let binary = std::env::var("EDFI_ADMIN_BIN").expect("EDFI_ADMIN_BIN: run with `cargo xtask test`");
    let session = format!("edfi-admin-links-{}", std::process::id());
    let state = std::env::temp_dir().join(&session);
    let secret_file = secret_file(&session, &secret);
    let command = format!(
        "EDFI_ADMIN_STATE={} EDFI_SECRET=$(cat {}) VISUAL= EDITOR= {binary} --url={} --key={key} --read-only; echo edfi-admin exited $?; sleep 60",
        state.display(),
        secret_file.display(),
        base_url()
    );
    let tmux = Tmux { session };
    tmux.run(&["new-session", "-d", "-s", &tmux.session, "-x", "140", "-y", "40", &command]);
    tmux.wait_for("Student Enrollment");
    tmux.keys(&[":", "classPeriods", "Enter"]);
    tmux.wait_for("(2 of 2)");
    tmux.wait_for("classPeriodName");
    tmux.wait_for(&school_id.to_string());
    tmux.keys(&["Enter"]);
    tmux.wait_for("→ School (Enter)");
    tmux.keys(&["Tab", "Enter"]);
    tmux.wait_for(&format!("schools  schoolId={school_id}"));
    tmux.keys(&["b"]);
    tmux.wait_for("Referenced by: schools");
    tmux.wait_for("2 item(s)");
    tmux.wait_for("via schoolReference");
    tmux.keys(&["Escape", "Escape"]);
    tmux.wait_for("classPeriods  classPeriodName=");
    tmux.keys(&["Escape", "Escape", "q"]);
    let _ = std::fs::remove_file(&secret_file);
}

/// A 0600 file holding `secret`, for a command in tmux to read into `EDFI_SECRET`.
pub(crate) fn secret_file(name: &str, secret: &str) -> std::path::PathBuf {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = std::env::temp_dir().join(format!("{name}.secret"));
    let _ = std::fs::remove_file(&path);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).unwrap();
    file.write_all(secret.as_bytes()).unwrap();
    path
}

pub(crate) struct Tmux {
    pub(crate) session: String,
}

impl Tmux {
    pub(crate) fn run(&self, args: &[&str]) -> String {
        // CI has no terminal of its own; tmux still needs to know what it emulates.
        let term = std::env::var("TERM").ok().filter(|t| !t.is_empty() && t != "dumb");
        let out = std::process::Command::new("tmux")
            .args(args)
            .env("TERM", term.as_deref().unwrap_or("xterm-256color"))
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", &self.session, key]);
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    pub(crate) fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    pub(crate) fn wait_for(&self, text: &str) {
        self.wait_for_within(text, Duration::from_secs(20));
    }

    pub(crate) fn wait_for_within(&self, text: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return;
            }
            assert!(Instant::now() < deadline, "'{text}' never appeared; the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-session", "-t", &self.session]);
    }
}

#[tokio::test]
async fn the_administrator_sees_each_clients_claim_set_and_scope_in_the_app() {
    let instance = format!("tui-clients-{}", unique_number());
    let admin = Api::admin(base_url()).await;
    let school = unique_number();
    let body = json!({"name": "Lincoln SIS", "instance": instance, "claimSetName": "SIS Vendor", "educationOrganizationIds": [school]});
    let created = admin.write("POST", "/admin/v1/clients", &body, &[]).await.json();
    let secrets = edfi_blackbox::Secrets::from_env().unwrap();
    let client = Client::new(&base_url(), &secrets.admin_key, &secrets.admin_secret);
    let mut app = Headless::start(client, &base_url(), false).await;
    type_text(&mut app, ":clients").await;
    app.key(KeyCode::Enter).await;
    assert_eq!(app.app.screen, Screen::Clients, "{}", app.app.status);
    let listed = app.app.clients.as_ref().expect("the clients' state");
    let ours = listed.clients.iter().find(|c| c.key == created["key"]).expect("the new client listed");
    assert_eq!(ours.claim_set_name.as_deref(), Some("SIS Vendor"));
    assert_eq!(ours.education_organization_ids, vec![school]);
    assert_eq!(ours.instance, instance);
    // A data client's key lists nothing, and the app says why.
    let (key, secret) = admin.create_client(&instance).await;
    let mut app = Headless::start(Client::new(&base_url(), &key, &secret), &base_url(), false).await;
    type_text(&mut app, ":clients").await;
    app.key(KeyCode::Enter).await;
    let state = app.app.clients.as_ref().expect("the clients' state");
    assert!(state.clients.is_empty());
    assert!(
        matches!(state.problem, Some(edfi_admin::app::ClientsProblem::NotAdmin { status: 403, .. })),
        "{:?}",
        state.problem
    );
}
