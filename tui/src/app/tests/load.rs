//! The Load screen: `:load` as typed, a load's events as progress, its account, stopping it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crossterm::event::KeyCode;

use super::{key, listing, screen, typed};
use crate::app::load::{LoadRequest, STOPPED};
use crate::app::{App, Cmd, LoadPhase, Msg, Prompt, RowPhase, Screen};
use crate::load::events::Event;
use crate::load::plan::FileProblem;
use crate::load::{Outcome, Report, Tally};

const RESOURCES: [(&str, usize); 4] =
    [("gradeLevelDescriptors", 3), ("schools", 2), ("students", 40), ("studentSchoolAssociations", 40)];

fn planned() -> Event {
    Event::Planned {
        directory: PathBuf::from("/srv/grand-bend"),
        journal: PathBuf::from("/home/admin/.local/state/edfi-admin/loads/0f3a.journal"),
        files: 4,
        resources: RESOURCES.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
        problems: 1,
    }
}

/// An app whose `:load /srv/grand-bend` was asked (load number 1), on the Load screen.
fn loading() -> App {
    let mut app = listing(3, 3);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "load /srv/grand-bend");
    let cmds = app.update(key(KeyCode::Enter));
    let request = LoadRequest {
        directory: PathBuf::from("/srv/grand-bend"),
        restart: false,
        create_only: false,
        journal: None,
    };
    assert_eq!(cmds, vec![Cmd::Load { number: 1, request }]);
    assert_eq!(app.screen, Screen::Load);
    app
}

fn event(app: &mut App, event: Event) -> Vec<Cmd> {
    app.update(Msg::Load { number: 1, event })
}

fn record(app: &mut App, resource: &str, outcome: Outcome, n: usize) {
    for _ in 0..n {
        event(app, Event::Record { resource: resource.into(), outcome });
    }
}

fn tally(records: usize, created: usize, unchanged: usize, rejected: usize, reasons: &[&str]) -> Tally {
    Tally {
        records,
        created,
        unchanged,
        rejected,
        reasons: reasons.iter().map(|r| r.to_string()).collect(),
        ..Tally::default()
    }
}

/// Descriptors and schools done, students half sent (five of them answered by the interrupted
/// run this one continues), one request tried again.
fn half_way() -> App {
    let mut app = loading();
    event(&mut app, planned());
    event(&mut app, Event::Started { resource: "gradeLevelDescriptors".into(), records: 3, earlier: 0 });
    record(&mut app, "gradeLevelDescriptors", Outcome::Unchanged, 3);
    event(
        &mut app,
        Event::ResourceDone { resource: "gradeLevelDescriptors".into(), tally: tally(3, 0, 3, 0, &[]) },
    );
    event(&mut app, Event::Started { resource: "schools".into(), records: 2, earlier: 0 });
    record(&mut app, "schools", Outcome::Created, 2);
    event(&mut app, Event::ResourceDone { resource: "schools".into(), tally: tally(2, 2, 0, 0, &[]) });
    event(&mut app, Event::Started { resource: "students".into(), records: 40, earlier: 5 });
    record(&mut app, "students", Outcome::Created, 14);
    record(&mut app, "students", Outcome::Rejected, 1);
    event(
        &mut app,
        Event::Retrying { source: "Students.xml:88 <Student>".into(), reason: "503: the API is busy".into() },
    );
    app
}

#[test]
fn load_takes_the_options_of_the_command_then_a_directory_that_may_hold_spaces() {
    let parsed = LoadRequest::parse("--restart --journal /tmp/j.journal  /srv/Grand Bend ").unwrap();
    assert_eq!(parsed.directory, PathBuf::from("/srv/Grand Bend"));
    assert_eq!(parsed.journal, Some(PathBuf::from("/tmp/j.journal")));
    assert!(parsed.restart && !parsed.create_only);
    let parsed = LoadRequest::parse("--create-only xml").unwrap();
    assert!(parsed.create_only && !parsed.restart);
    assert_eq!(parsed.directory, PathBuf::from("xml"));
    if let Some(home) = dirs::home_dir() {
        assert_eq!(LoadRequest::parse("~/district").unwrap().directory, home.join("district"));
    }
    assert!(LoadRequest::parse("--fast xml").unwrap_err().contains("--fast is not a :load option"));
    assert!(LoadRequest::parse("--restart").unwrap_err().contains("Which directory?"));
    assert!(LoadRequest::parse("--journal").unwrap_err().contains("--journal names a file"));
}

#[test]
fn load_is_refused_read_only_and_while_another_runs_and_alone_shows_the_last_one() {
    let mut app = listing(3, 3);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "load");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.status.contains("No load yet"), "{}", app.status);

    let mut app = listing(3, 3);
    app.read_only = true;
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "load xml");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.status.contains("Read-only"), "{}", app.status);
    assert_ne!(app.screen, Screen::Load);

    let mut app = loading();
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::List);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "load other");
    assert!(app.update(key(KeyCode::Enter)).is_empty(), "a second load while one runs");
    assert!(app.status.contains("A load is running"), "{}", app.status);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "load");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Load);
}

#[test]
fn progress_counts_each_answer_and_a_done_resource_shows_its_account() {
    let app = half_way();
    let load = app.load.as_ref().unwrap();
    let students = load.rows.iter().find(|r| r.resource == "students").unwrap();
    assert_eq!((students.answered, students.created, students.rejected), (20, 14, 1), "5 earlier + 15");
    assert_eq!(students.phase, RowPhase::Sending);
    assert_eq!(load.rows[3].phase, RowPhase::Waiting);
    assert_eq!((load.answered(), load.records()), (25, 85));
    assert_eq!(load.retries, 1);
    insta::assert_snapshot!("load_progress", screen(&app));
}

#[test]
fn a_load_keeps_running_behind_other_screens_and_says_where_it_is() {
    let mut app = half_way();
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::List);
    assert!(screen(&app).contains("load: 25 of 85 records, 2 of 4 resources"), "{}", screen(&app));
    record(&mut app, "students", Outcome::Created, 1);
    assert_eq!(app.load.as_ref().unwrap().answered(), 26, "events still count off the Load screen");
}

#[test]
fn the_finished_load_shows_every_resource_its_rate_and_why_records_were_refused() {
    let mut app = half_way();
    let mut resources = BTreeMap::new();
    resources.insert("gradeLevelDescriptors".to_owned(), tally(3, 0, 3, 0, &[]));
    resources.insert("schools".to_owned(), tally(2, 2, 0, 0, &[]));
    resources.insert(
        "students".to_owned(),
        tally(40, 39, 0, 1, &["Students.xml:41 <Student>: 400: birthDate: 2014-02-30 is not a date"]),
    );
    resources.insert("studentSchoolAssociations".to_owned(), tally(40, 40, 0, 0, &[]));
    let report = Report {
        load_id: "0f3a9c2e1b7d".into(),
        resumed: true,
        files: 4,
        seconds: 2.5,
        resources,
        problems: vec![FileProblem {
            file: "Staff.xml".into(),
            line: 12,
            column: 5,
            element: "Staf".into(),
            message: "no such element in Ed-Fi 5.2".into(),
        }],
    };
    event(&mut app, Event::Finished(Ok(report)));
    let load = app.load.as_ref().unwrap();
    assert!(matches!(load.phase, LoadPhase::Finished(_)));
    assert!(load.rows.iter().all(|r| r.phase == RowPhase::Done));
    assert_eq!(load.answered(), 85);
    assert!(app.status.contains("some records or files were refused"), "{}", app.status);
    let shown = screen(&app);
    assert!(shown.contains("birthDate: 2014-02-30 is not a date"), "{shown}");
    assert!(shown.contains("Staff.xml:12:5"), "{shown}");
    insta::assert_snapshot!("load_finished", shown);
    // Enter on a row opens what was loaded.
    app.update(key(KeyCode::Down));
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::List);
    assert_eq!(app.list.resource, "schools");
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::LoadPage { resource, .. } if resource == "schools")),
        "{cmds:?}"
    );
}

#[test]
fn x_stops_the_load_and_what_it_reports_afterwards_changes_nothing() {
    let mut app = half_way();
    assert_eq!(app.update(key(KeyCode::Char('x'))), vec![Cmd::StopLoad { number: 1 }]);
    record(&mut app, "students", Outcome::Created, 3);
    assert_eq!(app.load.as_ref().unwrap().answered(), 25, "a record answered while stopping");
    event(&mut app, Event::Finished(Err(STOPPED.into())));
    assert!(app.status.contains("continues where it stopped"), "{}", app.status);
    record(&mut app, "students", Outcome::Created, 3);
    assert_eq!(app.load.as_ref().unwrap().answered(), 25);
    assert!(app.update(key(KeyCode::Char('x'))).is_empty(), "nothing left to stop");
    // A new load may start now; the stopped one's late events are not its own.
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "load /srv/grand-bend");
    assert!(matches!(app.update(key(KeyCode::Enter)).as_slice(), [Cmd::Load { number: 2, .. }]));
    event(&mut app, planned());
    assert!(app.load.as_ref().unwrap().rows.is_empty(), "load 1's event reached load 2");
}

#[test]
fn a_load_that_cannot_go_on_says_why() {
    let mut app = loading();
    event(&mut app, Event::Finished(Err("/srv/grand-bend: No such file or directory (os error 2)".into())));
    assert!(app.status.contains("could not go on: /srv/grand-bend: No such file"), "{}", app.status);
    assert!(screen(&app).contains("Ended early"), "{}", screen(&app));
}

/// Tab after `:load` completes directories: the runtime lists them, the prompt takes what they
/// share, and the next Tab cycles through them. Files and hidden directories are not offered.
#[test]
fn tab_after_load_completes_directories() {
    let root = std::env::temp_dir().join(format!("edfi-load-complete-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for dir in ["grand-bend", "grand-rapids", ".grand-hidden", "other"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::fs::write(root.join("grand-file.xml"), "").unwrap();
    let asked = format!("load --restart {}/gr", root.display());
    let candidates = crate::runtime::directory_candidates(&asked);
    let base = format!("load --restart {}/", root.display());
    assert_eq!(candidates, [format!("{base}grand-bend/"), format!("{base}grand-rapids/")]);
    assert_eq!(crate::runtime::directory_candidates(&format!("load {}/.gr", root.display())).len(), 1);
    assert!(crate::runtime::directory_candidates("load /no/such/dir/x").is_empty());

    let mut app = listing(3, 3);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, &asked);
    let cmds = app.update(key(KeyCode::Tab));
    assert_eq!(cmds, vec![Cmd::CompletePath { typed: asked.clone(), forward: true }]);
    app.update(Msg::PathCandidates { typed: asked.clone(), forward: true, candidates });
    assert_eq!(app.prompt, Some(Prompt::Command(format!("{base}grand-"))));
    assert!(app.update(key(KeyCode::Tab)).is_empty(), "the next Tab cycles what was listed");
    assert_eq!(app.prompt, Some(Prompt::Command(format!("{base}grand-bend/"))));
    // An answer for a prompt typed on since is dropped.
    app.update(key(KeyCode::Char('x')));
    let late =
        Msg::PathCandidates { typed: asked, forward: true, candidates: vec!["load /elsewhere/".into()] };
    app.update(late);
    assert_eq!(app.prompt, Some(Prompt::Command(format!("{base}grand-bend/x"))));
    let _ = std::fs::remove_dir_all(&root);
}
