//! The whole app (state, runtime, client and screens) against a server whose answers are of
//! every wrong shape: not JSON, JSON of the wrong kind, odd numbers, odd headers. Each answer
//! must end as an error on the status line (or as odd data shown as it is), never as a panic.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::{json, Value};

use crate::app::Msg;
use crate::fake_server::{Answer, Fake, Request};
use crate::runtime::Headless;

const TOKEN: &str = "/oauth/token";
const STUDENTS: &str = "/data/v3/ed-fi/students";
const ID: &str = "0123456789abcdef";

/// What the server answers to one kind of request; everything else is a well-formed answer.
#[derive(Clone)]
enum Hostile {
    /// None: the tour's control.
    Nothing,
    Token(Answer),
    Index(Answer),
    Document(Answer),
    List(Answer),
    Item(Answer),
    History(Answer),
    Version(Answer),
    Write(Answer),
}

fn raw(status: u16, body: &str) -> Answer {
    Answer { status, headers: vec![], body: body.to_owned() }
}

fn json_answer(status: u16, body: Value) -> Answer {
    Answer::json(status, body)
}

fn with(answer: Answer, name: &str, value: &str) -> Answer {
    answer.with(name, value)
}

fn student() -> Value {
    json!({
        "id": ID, "studentUniqueId": "1", "firstName": "Ana", "lastSurname": "Diaz",
        "birthDate": "2010-02-28", "_etag": "e1", "_lastModifiedDate": "2026-11-25T10:44:01Z",
        "changeVersion": 3,
    })
}

fn document() -> Value {
    json!({
        "paths": { "/ed-fi/students": { "get": {} }, "/ed-fi/students/{id}": { "get": {} } },
        "components": { "schemas": { "edFi_student": {
            "type": "object",
            "properties": { "studentUniqueId": { "type": "string" } },
            "required": ["studentUniqueId"],
        } } },
    })
}

/// A well-behaved server but for `hostile`.
fn answer(hostile: &Hostile, request: &Request, base: &str) -> Answer {
    let path = request.path();
    let item = format!("{STUDENTS}/{ID}");
    let history = format!("/admin/v1/history/students/{ID}");
    let pick = |kind: fn(&Hostile) -> Option<&Answer>, normal: Answer| -> Answer {
        kind(hostile).cloned().unwrap_or(normal)
    };
    match path {
        TOKEN => pick(
            |h| if let Hostile::Token(a) = h { Some(a) } else { None },
            Answer::json(200, json!({ "access_token": "t1", "expires_in": 3600 })),
        ),
        "/metadata/" => pick(
            |h| if let Hostile::Index(a) = h { Some(a) } else { None },
            Answer::json(
                200,
                json!([{ "name": "resources", "endpointUri": format!("{base}/metadata/resources.json") }]),
            ),
        ),
        "/metadata/resources.json" => {
            pick(|h| if let Hostile::Document(a) = h { Some(a) } else { None }, Answer::json(200, document()))
        }
        STUDENTS if request.method == "GET" => pick(
            |h| if let Hostile::List(a) = h { Some(a) } else { None },
            Answer::json(200, json!([student()])).with("Total-Count", "1"),
        ),
        p if p == item && request.method == "GET" => pick(
            |h| if let Hostile::Item(a) = h { Some(a) } else { None },
            Answer::json(200, student()).with("ETag", "\"e1\""),
        ),
        p if p == history => pick(
            |h| if let Hostile::History(a) = h { Some(a) } else { None },
            Answer::json(
                200,
                json!([
                    { "etag": "e0", "lastModifiedDate": "2026-11-24T10:44:01Z", "changeVersion": 2, "client": "k" },
                    { "etag": "e1", "lastModifiedDate": "2026-11-25T10:44:01Z", "changeVersion": 3, "client": "k" },
                ]),
            ),
        ),
        p if p.starts_with(&format!("{history}/")) => {
            pick(|h| if let Hostile::Version(a) = h { Some(a) } else { None }, Answer::json(200, student()))
        }
        _ if request.method != "GET" => pick(
            |h| if let Hostile::Write(a) = h { Some(a) } else { None },
            Answer::empty(204).with("ETag", "\"e2\""),
        ),
        _ => Answer::problem(404, "No such path.", &[]),
    }
}

fn draw(app: &Headless) -> String {
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    crate::runtime::draw(&mut terminal, &app.app).unwrap();
    terminal.backend().to_string()
}

async fn keys(app: &mut Headless, keys: &[KeyCode]) -> String {
    let mut screens = String::new();
    for key in keys {
        app.key(*key).await;
        screens.push_str(&draw(app));
        screens.push_str(&format!("\n[{:?}] {}\n", app.app.screen, app.app.status));
    }
    screens
}

/// Goes everywhere the app can go with this server: the resources, the list, an item, its
/// history and a diff, an edit saved, a new item from the template, a delete; drawing each.
async fn tour(hostile: Hostile) -> String {
    let hostile = Arc::new(hostile);
    let answering = hostile.clone();
    let fake = Fake::start(move |request, base| answer(&answering, request, base)).await;
    let mut app = Headless::start(fake.client(), &fake.url, false).await.with_editor(|text| text);
    let mut screens = draw(&app);
    screens += &keys(&mut app, &[KeyCode::Char(':')]).await;
    for c in "students".chars() {
        app.key(KeyCode::Char(c)).await;
    }
    screens += &keys(&mut app, &[KeyCode::Enter, KeyCode::Down, KeyCode::Up]).await;
    // An item, however the list gave it (the list may have failed: open it by name then).
    screens += &keys(&mut app, &[KeyCode::Enter]).await;
    if app.app.detail.is_none() {
        let cmds = vec![crate::app::Cmd::LoadItem { resource: "students".into(), id: ID.into() }];
        for cmd in cmds {
            if let Some(msg) = crate::runtime::perform(&app.client, cmd).await {
                app.send(msg).await;
            }
        }
        screens += &draw(&app);
    }
    // History and a diff of two versions.
    screens +=
        &keys(&mut app, &[KeyCode::Char('h'), KeyCode::Char(' '), KeyCode::Down, KeyCode::Enter]).await;
    screens += &keys(&mut app, &[KeyCode::Esc]).await;
    // An edit, saved (the editor gives the text back as it was).
    screens += &keys(&mut app, &[KeyCode::Char('e')]).await;
    // An edit in the built-in editor, saved.
    app.app.has_editor = false;
    screens += &keys(&mut app, &[KeyCode::Char('e'), KeyCode::End, KeyCode::Char(' ')]).await;
    app.send(Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))).await;
    screens += &draw(&app);
    screens += &format!("\n[{:?}] {}\n", app.app.screen, app.app.status);
    // A delete, confirmed.
    screens += &keys(&mut app, &[KeyCode::Char('d')]).await;
    for c in "delete".chars() {
        app.key(KeyCode::Char(c)).await;
    }
    screens += &keys(&mut app, &[KeyCode::Enter]).await;
    // A new one from the template, from the list.
    while app.app.screen != crate::app::Screen::List && app.app.screen != crate::app::Screen::Resources {
        screens += &keys(&mut app, &[KeyCode::Esc]).await;
    }
    if app.app.screen == crate::app::Screen::Resources {
        app.send(Msg::Key(KeyCode::Char(':').into())).await;
        for c in "students".chars() {
            app.key(KeyCode::Char(c)).await;
        }
        app.key(KeyCode::Enter).await;
    }
    screens += &keys(&mut app, &[KeyCode::Char('n'), KeyCode::Esc, KeyCode::Esc, KeyCode::Esc]).await;
    screens += &app.app.status;
    screens
}

fn cases() -> Vec<(&'static str, Hostile)> {
    let deep = format!("{}1{}", "[".repeat(120), "]".repeat(120));
    let many_paths: serde_json::Map<String, Value> =
        (0..300).map(|i| (format!("/ed-fi/r{i}"), json!({}))).collect();
    vec![
        (
            "token: expires_in NaN",
            Hostile::Token(json_answer(200, json!({ "access_token": "t1", "expires_in": "NaN" }))),
        ),
        ("token: html", Hostile::Token(raw(200, "<html>sign in</html>"))),
        ("index: an object", Hostile::Index(json_answer(200, json!({ "name": "resources" })))),
        (
            "index: entries of wrong shape",
            Hostile::Index(json_answer(
                200,
                json!([1, "x", null, { "endpointUri": 5 }, { "endpointUri": "" }]),
            )),
        ),
        ("index: not JSON", Hostile::Index(raw(200, "not json"))),
        ("index: 500 html", Hostile::Index(raw(500, "<html>oops</html>"))),
        ("document: an array", Hostile::Document(json_answer(200, json!([1, 2])))),
        (
            "document: paths of wrong shape",
            Hostile::Document(json_answer(200, json!({ "paths": [1], "components": 3 }))),
        ),
        (
            "document: odd path names",
            Hostile::Document(json_answer(
                200,
                json!({ "paths": { "/ed-fi/": {}, "/ed-fi/{id}": {}, "/ed-fi/\u{e9}t\u{fc}dents": {}, "/ed-fi/students": {} } }),
            )),
        ),
        ("document: many paths", Hostile::Document(json_answer(200, json!({ "paths": many_paths })))),
        ("document: deep", Hostile::Document(raw(200, &deep))),
        ("list: not JSON", Hostile::List(raw(200, "students: none"))),
        (
            "list: an object",
            Hostile::List(with(json_answer(200, json!({ "items": [] })), "Total-Count", "1")),
        ),
        (
            "list: items of every kind",
            Hostile::List(with(
                json_answer(200, json!([1, "x", null, true, [], {}, { "id": 5 }, { "id": null }])),
                "Total-Count",
                "8",
            )),
        ),
        (
            "list: Total-Count NaN",
            Hostile::List(with(json_answer(200, json!([student()])), "Total-Count", "NaN")),
        ),
        (
            "list: Total-Count negative",
            Hostile::List(with(json_answer(200, json!([student()])), "Total-Count", "-5")),
        ),
        (
            "list: Total-Count huge",
            Hostile::List(with(json_answer(200, json!([student()])), "Total-Count", "18446744073709551616")),
        ),
        (
            "list: Total-Count less than the items",
            Hostile::List(with(json_answer(200, json!([student(), student()])), "Total-Count", "0")),
        ),
        ("list: 401 html", Hostile::List(raw(401, "<html>no</html>"))),
        ("list: deep", Hostile::List(raw(200, &deep))),
        ("item: not JSON", Hostile::Item(raw(200, "{"))),
        ("item: an array", Hostile::Item(json_answer(200, json!([1, 2, 3])))),
        ("item: a string", Hostile::Item(json_answer(200, json!("Ana")))),
        ("item: null", Hostile::Item(json_answer(200, json!(null)))),
        (
            "item: server fields of the wrong types",
            Hostile::Item(json_answer(
                200,
                json!({ "id": 7, "_etag": 5, "_lastModifiedDate": [], "changeVersion": "x", "firstName": { "a": [1, { "b": null }] } }),
            )),
        ),
        ("item: no ETag at all", Hostile::Item(json_answer(200, json!({ "id": ID, "firstName": "Ana" })))),
        (
            "item: an ETag of odd bytes",
            Hostile::Item(with(json_answer(200, student()), "ETag", "\"\u{e9}\u{1F600}\"")),
        ),
        ("item: 404 of no body", Hostile::Item(raw(404, ""))),
        ("history: an object", Hostile::History(json_answer(200, json!({ "versions": [] })))),
        ("history: versions of wrong shape", Hostile::History(json_answer(200, json!([1, "x", null])))),
        (
            "history: fields of wrong types",
            Hostile::History(json_answer(
                200,
                json!([{ "etag": 5, "changeVersion": "NaN", "deleted": "yes" }]),
            )),
        ),
        (
            "history: changeVersion huge",
            Hostile::History(json_answer(
                200,
                json!([{ "etag": "e1", "changeVersion": 1e300 }, { "etag": "e2", "changeVersion": u64::MAX }]),
            )),
        ),
        ("history: empty", Hostile::History(json_answer(200, json!([])))),
        (
            "history: tombstones only",
            Hostile::History(json_answer(
                200,
                json!([{ "etag": null, "deleted": true }, { "deleted": true }]),
            )),
        ),
        ("version: not JSON", Hostile::Version(raw(200, "nope"))),
        ("version: a number", Hostile::Version(json_answer(200, json!(5)))),
        (
            "write: 400 of odd validation errors",
            Hostile::Write(json_answer(
                400,
                json!({ "detail": 5, "validationErrors": [1, 2], "errors": "x" }),
            )),
        ),
        (
            "write: 400 nested validation errors",
            Hostile::Write(json_answer(
                400,
                json!({ "validationErrors": { "$.a": { "b": [1] }, "$.c": null, "$.d": 3 } }),
            )),
        ),
        ("write: 412 html", Hostile::Write(raw(412, "<html>stale</html>"))),
        ("write: 409 long text", Hostile::Write(raw(409, &"x".repeat(100_000)))),
        (
            "write: 201 with odd Location",
            Hostile::Write(with(with(raw(201, ""), "Location", "::::"), "ETag", "not quoted")),
        ),
        ("write: 500 binary", Hostile::Write(raw(500, "\u{0}\u{1}\u{7f}"))),
        ("write: 200 with a body", Hostile::Write(json_answer(200, json!([1])))),
    ]
}

/// The tour reaches every screen with a well-behaved server, so the cases below are tried there.
#[tokio::test]
async fn the_tour_goes_everywhere() {
    let screens = tour(Hostile::Nothing).await;
    for sign in ["[List]", "[Detail]", "[History]", "cv 2", "[Edit]", "Saved.", "Deleted", "studentUniqueId"]
    {
        assert!(screens.contains(sign), "{sign}");
    }
}

/// What the status line says, for the cases that end in an error.
fn shown_to_the_user(case: &str) -> Option<&'static str> {
    Some(match case {
        "token: expires_in NaN" => {
            "Error: The API's token answer has an expires_in that is no number of seconds"
        }
        "token: html" => "Error: The API's answer for the token is not JSON",
        "index: an object" => "Error: The API's metadata index is not a JSON array",
        "index: 500 html" => "Error: The API failed (500)",
        "list: not JSON" => "Error: The API's answer for students is not JSON",
        "list: an object" => "Error: The API's list of students is not a JSON array",
        "item: not JSON" => "Error: The API's answer for the item is not JSON",
        "history: an object" | "history: fields of wrong types" => {
            "Error: The API's history of the item is unreadable"
        }
        "version: not JSON" => "Error: The API's answer for the version is not JSON",
        "write: 409 long text" => "Refused (409)",
        "write: 500 binary" => "The API failed (500)",
        _ => return None,
    })
}

/// Every case runs on its own task, so one panic names its case and the rest still run.
#[tokio::test]
async fn no_answer_of_the_server_panics_the_app() {
    let mut panicked = Vec::new();
    for (name, hostile) in cases() {
        let ran = tokio::spawn(tour(hostile)).await;
        match ran {
            Ok(screens) => {
                if let Some(said) = shown_to_the_user(name) {
                    assert!(screens.contains(said), "{name}: the user is told {said:?}:\n{screens}");
                }
            }
            Err(e) if e.is_panic() => panicked.push(name),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert!(panicked.is_empty(), "panicked on: {panicked:?}");
}

/// A list shows a short form of each id; cutting it by bytes would split a character of `€€€€`.
#[tokio::test]
async fn an_id_of_many_byte_characters_does_not_panic_the_list() {
    let ids = json!([{ "id": "\u{20ac}\u{20ac}\u{20ac}\u{20ac}", "firstName": "Ana" }]);
    tour(Hostile::List(with(json_answer(200, ids), "Total-Count", "1"))).await;
}
