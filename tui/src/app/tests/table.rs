//! The list as a table, references as links, and "referenced by", with metadata read from the
//! documents this repository's API serves (so the columns and references are real ones).

use crossterm::event::KeyCode;
use serde_json::{json, Value};

use super::{key, screen, typed};
use crate::api::{Item, Page, ResourceInfo, Target};
use crate::app::table::{columns, fit_widths, parse_filter, GroupState, ReferringRow};
use crate::app::{App, Cmd, Msg, Prompt, Screen};
use crate::meta::{Catalog, ResourceMeta};

const SCHOOL_ID: &str = "5c4b0e1f0c4a4e8b9a3d2f1e0d9c8b7a";
const OTHER_SCHOOL_ID: &str = "ffff0e1f0c4a4e8b9a3d2f1e0d9c8b7a";

fn documents() -> [Value; 2] {
    [edfi_core::openapi::resources_document("http://x"), edfi_core::openapi::descriptors_document("http://x")]
}

fn meta(resource: &str) -> ResourceMeta {
    let documents = documents();
    Catalog::new(documents.iter()).describe(resource).unwrap()
}

fn association(i: usize) -> Value {
    json!({
        "id": format!("{i:032x}"),
        "entryDate": format!("2025-08-{:02}", 10 + i % 20),
        "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade",
        "schoolReference": {
            "schoolId": 255901001 + (i % 2) as i64,
            "link": { "rel": "School", "href": format!("/ed-fi/schools/{}", if i.is_multiple_of(2) { SCHOOL_ID } else { OTHER_SCHOOL_ID }) },
        },
        "studentReference": {
            "studentUniqueId": format!("{}", 604900 - i),
            "link": { "rel": "Student", "href": format!("/ed-fi/students/{i:032x}") },
        },
        "_etag": format!("e{i}QmVuZCBIaWdoIFNjaG9vbA"),
        "_lastModifiedDate": format!("2026-11-2{}T10:44:0{}Z", i % 10, i % 10),
        "changeVersion": 100 + i,
    })
}

fn school() -> Value {
    json!({
        "id": SCHOOL_ID,
        "schoolId": 255901001,
        "nameOfInstitution": "Grand Bend High School",
        "localEducationAgencyReference": {
            "localEducationAgencyId": 255901,
            "link": { "rel": "LocalEducationAgency", "href": "/ed-fi/localEducationAgencies/1ea0000000000000000000000000000a" },
        },
        "educationOrganizationCategories": [
            { "educationOrganizationCategoryDescriptor": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School" }
        ],
        "gradeLevels": [ { "gradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade" } ],
        "_etag": "c2Nob29sIHZlcnNpb24gb25l",
        "_lastModifiedDate": "2026-11-20T09:00:00Z",
        "changeVersion": 12,
    })
}

/// An app listing studentSchoolAssociations: the metadata in, `n` of `total` loaded.
fn associations(n: usize, total: u64) -> App {
    let (mut app, _) = App::new("http://127.0.0.1:8787", false);
    let infos = ["schools", "studentSchoolAssociations", "students", "gradeLevelDescriptors"]
        .iter()
        .map(|n| ResourceInfo::new(n, n.ends_with("Descriptors")));
    app.update(Msg::Resources(Ok(infos.collect())));
    let cmds = app.open_resource("studentSchoolAssociations".into());
    assert!(cmds.contains(&Cmd::LoadMeta("studentSchoolAssociations".into())), "{cmds:?}");
    app.update(Msg::Meta {
        resource: "studentSchoolAssociations".into(),
        result: Ok(meta("studentSchoolAssociations")),
    });
    let items = (0..n).map(association).collect();
    let page = Page { items, total: Some(total), next: Some("token-1".into()) };
    app.update(Msg::Page {
        resource: "studentSchoolAssociations".into(),
        offset: 0,
        filter: vec![],
        result: Ok(page),
    });
    app
}

fn item(body: Value) -> Item {
    let etag = format!("\"{}\"", body["_etag"].as_str().unwrap());
    Item { body, etag }
}

/// The app showing the first association.
fn showing_association() -> App {
    let mut app = associations(3, 3);
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(
        cmds,
        vec![Cmd::LoadItem { resource: "studentSchoolAssociations".into(), id: format!("{:032x}", 0) }]
    );
    let id = format!("{:032x}", 0);
    app.update(Msg::Item {
        resource: "studentSchoolAssociations".into(),
        id,
        result: Ok(item(association(0))),
    });
    assert_eq!(app.screen, Screen::Detail);
    app
}

/// The app showing the school.
fn showing_school() -> App {
    let mut app = showing_association();
    app.update(Msg::Meta { resource: "schools".into(), result: Ok(meta("schools")) });
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Enter));
    app.update(Msg::Followed { result: Ok(("schools".into(), item(school()))) });
    assert_eq!(app.detail.as_ref().unwrap().resource, "schools");
    app
}

// ------------------------------------------------------------------------------------ the table

#[test]
fn a_list_is_a_table_of_the_natural_key_a_short_etag_last_modified_and_change_version() {
    let app = associations(12, 300);
    let labels: Vec<String> = app.list_columns().into_iter().map(|c| c.label).collect();
    assert_eq!(labels, ["entryDate", "schoolId", "studentUniqueId", "etag", "lastModified", "changeVersion"]);
    let row: Vec<String> = app.list_columns().iter().map(|c| c.cell(&association(3))).collect();
    assert_eq!(row, ["2025-08-13", "255901002", "604897", "e3QmVuZC", "2026-11-23 10:44:03Z", "103"]);
    let shown = screen(&app);
    assert!(shown.contains("(12 of 300)"), "{shown}");
    insta::assert_snapshot!("list_table", shown);
}

#[test]
fn without_metadata_the_id_stands_for_the_key() {
    let labels: Vec<String> = columns(None).into_iter().map(|c| c.label).collect();
    assert_eq!(labels, ["id", "etag", "lastModified", "changeVersion"]);
}

#[test]
fn column_widths_fit_the_terminal_narrowing_the_widest_first() {
    assert_eq!(fit_widths(&[10, 8, 20], 60), [10, 8, 20], "room enough");
    // 38 of text and two gaps in 30 cells: 28 for text; the widest gives way until it is not.
    assert_eq!(fit_widths(&[10, 8, 20], 30), [10, 8, 10]);
    assert_eq!(fit_widths(&[10, 10, 10], 14), [4, 4, 4], "no column narrower than 4");
    let app = associations(3, 3);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(60, 12)).unwrap();
    crate::runtime::draw(&mut terminal, &app).unwrap();
    let shown = terminal.backend().to_string();
    assert!(shown.contains("…"), "cut cells are marked: {shown}");
}

#[test]
fn sorting_orders_the_loaded_rows_and_keeps_the_cursor_on_its_item() {
    let mut app = associations(6, 6);
    let ids = |app: &App| -> Vec<String> {
        app.list
            .rows()
            .map(|i| i["studentReference"]["studentUniqueId"].as_str().unwrap().to_owned())
            .collect()
    };
    app.update(key(KeyCode::Down));
    let under_cursor = app.list.selected().unwrap()["id"].clone();
    // studentUniqueId is the third column.
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Char('s')));
    assert_eq!(ids(&app), ["604895", "604896", "604897", "604898", "604899", "604900"]);
    assert_eq!(app.list.selected().unwrap()["id"], under_cursor, "the cursor stays on its item");
    assert!(app.status.contains("the 6 loaded rows"), "{}", app.status);
    let shown = screen(&app);
    assert!(
        shown.contains("(6 of 6)  sorted by studentUniqueId ▲ (the loaded rows)"),
        "the header says: {shown}"
    );
    app.update(key(KeyCode::Char('s')));
    assert_eq!(ids(&app)[0], "604900", "again: the other way");
    app.update(key(KeyCode::Char('s')));
    assert_eq!(ids(&app)[0], "604900", "and again: the API's order");
    assert_eq!(app.list.sort, None);
    // Numbers sort by value: changeVersion 100…105.
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Char('s')));
    app.update(key(KeyCode::Char('s')));
    let versions: Vec<i64> = app.list.rows().map(|i| i["changeVersion"].as_i64().unwrap()).collect();
    assert_eq!(versions, [105, 104, 103, 102, 101, 100]);
}

#[test]
fn paging_goes_on_with_the_apis_page_token_and_shows_its_progress() {
    let mut app = associations(50, 120);
    let mut asked = Vec::new();
    for _ in 0..45 {
        asked.extend(app.update(key(KeyCode::Down)));
    }
    let next = Cmd::LoadPage {
        resource: "studentSchoolAssociations".into(),
        offset: 50,
        filter: vec![],
        token: Some("token-1".into()),
    };
    assert_eq!(asked, vec![next], "asked once, with the token");
    let status = screen(&app);
    assert!(status.contains("(50 of 120)") && status.contains("loading 51–100…"), "{status}");
    // A keyset page may end early; its token says another follows.
    let items = (50..80).map(association).collect();
    let page = Page { items, total: Some(120), next: Some("token-2".into()) };
    let cmds = app.update(Msg::Page {
        resource: "studentSchoolAssociations".into(),
        offset: 50,
        filter: vec![],
        result: Ok(page),
    });
    assert_eq!(app.list.items.len(), 80);
    assert!(cmds.is_empty(), "the cursor is not near the end yet: {cmds:?}");
    for _ in 0..30 {
        asked.extend(app.update(key(KeyCode::Down)));
    }
    assert!(asked
        .iter()
        .any(|c| matches!(c, Cmd::LoadPage { offset: 80, token: Some(t), .. } if t == "token-2")));
    assert!(screen(&app).contains("loading 81–120…"));
    let page = Page { items: (80..120).map(association).collect(), total: Some(120), next: None };
    app.update(Msg::Page {
        resource: "studentSchoolAssociations".into(),
        offset: 80,
        filter: vec![],
        result: Ok(page),
    });
    assert!(!app.list.more, "no token: the end");
    let after: Vec<Cmd> = (0..50).flat_map(|_| app.update(key(KeyCode::Down))).collect();
    assert!(after.is_empty(), "{after:?}");
    assert_eq!(app.list.cursor, 119);
    let shown = screen(&app);
    assert!(shown.contains("604781") && !shown.contains("604900"), "the last row is in view: {shown}");
}

#[test]
fn an_answer_for_another_filter_is_not_shown() {
    let mut app = associations(3, 3);
    app.update(key(KeyCode::Char('/')));
    typed(&mut app, "schoolId=255901001");
    let cmds = app.update(key(KeyCode::Enter));
    let filter = vec![("schoolId".to_owned(), "255901001".to_owned())];
    assert_eq!(
        cmds,
        vec![Cmd::LoadPage {
            resource: "studentSchoolAssociations".into(),
            offset: 0,
            filter: filter.clone(),
            token: None
        }]
    );
    let late = Page { items: (0..9).map(association).collect(), total: Some(9), next: None };
    app.update(Msg::Page {
        resource: "studentSchoolAssociations".into(),
        offset: 0,
        filter: vec![],
        result: Ok(late),
    });
    assert!(app.list.items.is_empty(), "the unfiltered answer came late");
    let page = Page { items: vec![association(0)], total: Some(1), next: None };
    app.update(Msg::Page {
        resource: "studentSchoolAssociations".into(),
        offset: 0,
        filter,
        result: Ok(page),
    });
    assert_eq!(app.list.items.len(), 1);
    assert!(screen(&app).contains("filter schoolId=255901001"));
}

// ----------------------------------------------------------------------------------- filtering

#[test]
fn a_filter_names_declared_query_fields_with_values_of_their_type() {
    let meta = meta("students");
    assert_eq!(
        parse_filter(Some(&meta), "LASTSURNAME=Smith & firstName = Ana"),
        Ok(vec![("lastSurname".into(), "Smith".into()), ("firstName".into(), "Ana".into())]),
        "named as the metadata names them"
    );
    assert_eq!(parse_filter(Some(&meta), ""), Ok(vec![]));
    let unknown = parse_filter(Some(&meta), "lastSurnam=Smith").unwrap_err();
    assert!(
        unknown.contains("not a query field of students") && unknown.contains("lastSurname"),
        "{unknown}"
    );
    let mistyped = parse_filter(Some(&meta), "birthDate=yesterday").unwrap_err();
    assert_eq!(mistyped, "birthDate takes a date (YYYY-MM-DD), not \"yesterday\".");
    assert!(parse_filter(Some(&meta), "Smith").unwrap_err().contains("field=value"));
    assert_eq!(
        parse_filter(None, "anything=1"),
        Ok(vec![("anything".into(), "1".into())]),
        "no metadata yet"
    );
}

#[test]
fn a_refused_filter_is_not_sent_and_stays_in_the_prompt_to_fix() {
    let mut app = associations(3, 3);
    app.update(key(KeyCode::Char('/')));
    typed(&mut app, "schoolId=Grand Bend");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert_eq!(app.status, "schoolId takes a whole number, not \"Grand Bend\".");
    assert_eq!(app.prompt, Some(Prompt::Filter("schoolId=Grand Bend".into())));
    assert_eq!(app.list.items.len(), 3, "the list is as it was");
}

#[test]
fn tab_completes_a_query_field_and_the_prompt_lists_them() {
    let mut app = associations(3, 3);
    app.update(key(KeyCode::Char('/')));
    typed(&mut app, "entryD");
    assert!(screen(&app).contains("entryDate"), "the hint lists what fits");
    app.update(key(KeyCode::Tab));
    assert_eq!(app.prompt, Some(Prompt::Filter("entryDate=".into())));
    assert!(screen(&app).contains("entryDate = a date"), "{}", screen(&app));
    typed(&mut app, "2025-08-10&stud");
    app.update(key(KeyCode::Tab));
    assert_eq!(app.prompt, Some(Prompt::Filter("entryDate=2025-08-10&studentUniqueId=".into())));
    typed(&mut app, "604900");
    let cmds = app.update(key(KeyCode::Enter));
    let filter = vec![
        ("entryDate".to_owned(), "2025-08-10".to_owned()),
        ("studentUniqueId".to_owned(), "604900".to_owned()),
    ];
    assert!(matches!(&cmds[..], [Cmd::LoadPage { filter: f, .. }] if *f == filter), "{cmds:?}");
}

// --------------------------------------------------------------------------------- references

#[test]
fn an_items_lines_are_its_pretty_json_with_references_and_descriptors_as_links() {
    let app = showing_association();
    let detail = app.detail.as_ref().unwrap();
    let text: Vec<&str> = detail.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(text.join("\n"), serde_json::to_string_pretty(&detail.body).unwrap());
    let links: Vec<&str> = detail.links.iter().map(|l| l.path.as_str()).collect();
    assert_eq!(links, ["entryGradeLevelDescriptor", "schoolReference", "studentReference"]);
    let school = &detail.links[1];
    assert_eq!(detail.lines[school.first].text, "  \"schoolReference\": {");
    assert!(detail.lines[school.first..=school.last].iter().all(|l| l.link == Some(1)));
}

#[test]
fn enter_on_a_reference_opens_the_item_its_link_names_and_esc_comes_back() {
    let mut app = showing_association();
    // Tab goes from reference to reference, round the end.
    app.update(key(KeyCode::Tab));
    assert_eq!(app.detail.as_ref().unwrap().link().unwrap().path, "entryGradeLevelDescriptor");
    app.update(key(KeyCode::Tab));
    assert_eq!(app.detail.as_ref().unwrap().link().unwrap().path, "schoolReference");
    app.update(key(KeyCode::Down));
    assert_eq!(app.detail.as_ref().unwrap().link().unwrap().path, "schoolReference", "any line of it");
    let cursor = app.detail.as_ref().unwrap().cursor;
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(cmds, vec![Cmd::Follow(Target::Id { resource: "schools".into(), id: SCHOOL_ID.into() })]);
    let cmds = app.update(Msg::Followed { result: Ok(("schools".into(), item(school()))) });
    assert_eq!(cmds, vec![Cmd::LoadMeta("schools".into())], "the target's metadata, for its links");
    app.update(Msg::Meta { resource: "schools".into(), result: Ok(meta("schools")) });
    assert_eq!(app.screen, Screen::Detail);
    let detail = app.detail.as_ref().unwrap();
    assert_eq!(
        (detail.resource.as_str(), detail.id.as_str(), detail.etag.as_str()),
        ("schools", SCHOOL_ID, "\"c2Nob29sIHZlcnNpb24gb25l\"")
    );
    insta::assert_snapshot!("reference_jump", screen(&app));
    app.update(key(KeyCode::Esc));
    let detail = app.detail.as_ref().unwrap();
    assert_eq!(
        (detail.resource.as_str(), detail.cursor),
        ("studentSchoolAssociations", cursor),
        "back where it was"
    );
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::List, "then back to the list");
    app.update(key(KeyCode::BackTab));
    assert_eq!(app.screen, Screen::List);
}

#[test]
fn a_reference_without_a_link_is_looked_up_by_its_key_and_a_descriptor_by_its_uri() {
    let mut body = association(0);
    body["schoolReference"].as_object_mut().unwrap().remove("link");
    let mut app = associations(1, 1);
    app.update(key(KeyCode::Enter));
    app.update(Msg::Item {
        resource: "studentSchoolAssociations".into(),
        id: "x".into(),
        result: Ok(item(body)),
    });
    app.update(key(KeyCode::Tab));
    let cmds = app.update(key(KeyCode::Enter));
    let descriptor = Target::Key {
        resource: "gradeLevelDescriptors".into(),
        filters: vec![
            ("namespace".into(), "uri://ed-fi.org/GradeLevelDescriptor".into()),
            ("codeValue".into(), "Ninth grade".into()),
        ],
    };
    assert_eq!(cmds, vec![Cmd::Follow(descriptor)]);
    app.update(key(KeyCode::Tab));
    let cmds = app.update(key(KeyCode::Enter));
    let key_target =
        Target::Key { resource: "schools".into(), filters: vec![("schoolId".into(), "255901001".into())] };
    assert_eq!(cmds, vec![Cmd::Follow(key_target)]);
    app.update(Msg::Followed { result: Err("No item of schools has schoolId=255901001".into()) });
    assert_eq!(app.detail.as_ref().unwrap().resource, "studentSchoolAssociations", "still here");
    assert!(app.status.contains("No item of schools"), "{}", app.status);
    // A line outside any reference opens nothing.
    app.update(key(KeyCode::Home));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.status.contains("Not a reference"), "{}", app.status);
}

// ------------------------------------------------------------------------------ referenced by

/// Answers every "referenced by" GET: the associations page holds one item pointing here and
/// one pointing at another school; every other resource has none.
fn answer_referring(app: &mut App, mut cmds: Vec<Cmd>) -> Vec<(String, Vec<(String, String)>)> {
    let mut asked = Vec::new();
    let mut most_in_flight = 0;
    while !cmds.is_empty() {
        let in_flight = app
            .referenced_by
            .as_ref()
            .unwrap()
            .groups
            .as_ref()
            .unwrap()
            .iter()
            .filter(|g| g.state == GroupState::Loading)
            .count();
        most_in_flight = most_in_flight.max(in_flight);
        let mut next = Vec::new();
        for cmd in cmds {
            let Cmd::LoadReferring { of, group, resource, filters } = cmd else {
                assert!(matches!(cmd, Cmd::LoadMeta(_)), "{cmd:?}");
                continue;
            };
            let items = if resource == "studentSchoolAssociations" {
                let mut elsewhere = association(1);
                elsewhere["schoolReference"]["schoolId"] = json!(255901001);
                vec![association(0), elsewhere, association(2)]
            } else {
                vec![]
            };
            let total = Some(items.len() as u64);
            asked.push((resource, filters));
            next.extend(app.update(Msg::Referring {
                of,
                group,
                result: Ok(Page { items, total, next: None }),
            }));
        }
        cmds = next;
    }
    assert_eq!(most_in_flight, crate::app::table::REFERRING_IN_FLIGHT, "a few at a time");
    asked
}

#[test]
fn referenced_by_asks_every_referring_resource_and_lists_the_items_that_point_here() {
    let mut app = showing_school();
    let cmds = app.update(key(KeyCode::Char('b')));
    assert_eq!(cmds, vec![Cmd::LoadReferrers { resource: "schools".into(), id: SCHOOL_ID.into() }]);
    assert_eq!(app.screen, Screen::ReferencedBy);
    let documents = documents();
    let referrers = Catalog::new(documents.iter()).referrers("schools").unwrap();
    let cmds = app.update(Msg::Referrers {
        resource: "schools".into(),
        id: SCHOOL_ID.into(),
        result: Ok(referrers),
    });
    assert_eq!(cmds.len(), crate::app::table::REFERRING_IN_FLIGHT);
    let (_, all) = app.referenced_by.as_ref().unwrap().progress();
    assert!(screen(&app).contains(&format!("Asking each resource that can refer to it: 0 of {all} asked…")));
    let asked = answer_referring(&mut app, cmds);
    let state = app.referenced_by.as_ref().unwrap();
    assert_eq!(state.label, "schoolId=255901001");
    assert_eq!(state.progress(), (asked.len(), asked.len()), "every GET answered");
    // One GET per referring resource and filter: an association's schoolReference and its
    // nextYearSchoolReference ask the same question.
    let associations: Vec<_> = asked.iter().filter(|(r, _)| r == "studentSchoolAssociations").collect();
    assert_eq!(associations.len(), 1, "{associations:?}");
    assert_eq!(associations[0].1, vec![("schoolId".to_owned(), "255901001".to_owned())]);
    let group =
        state.groups.as_ref().unwrap().iter().find(|g| g.resource == "studentSchoolAssociations").unwrap();
    assert_eq!(group.fields(), ["nextYearSchoolReference", "schoolReference"]);
    let GroupState::Loaded { items, total, elsewhere } = &group.state else { panic!("{:?}", group.state) };
    assert_eq!(
        (items.len(), *total, *elsewhere),
        (2, Some(3), 1),
        "the one whose link names another school is left out"
    );
    // Education organizations are asked too: a school is one.
    assert!(asked.iter().any(|(r, f)| r == "staffEducationOrganizationAssignmentAssociations"
        && f[0].0 == "educationOrganizationId"));
    // What no query reaches is said, not hidden.
    let nested = "assessmentAdministrationParticipations.administrationPointOfContacts[].educationOrganizationReference";
    assert!(state.unqueryable.iter().any(|u| u == nested), "{:?}", state.unqueryable);
    assert_eq!(
        state.rows()[0],
        ReferringRow::Group(
            state
                .groups
                .as_ref()
                .unwrap()
                .iter()
                .position(|g| g.resource == "studentSchoolAssociations")
                .unwrap()
        )
    );
    assert!(app.status.contains("Referenced from 1 resource"), "{}", app.status);
    insta::assert_snapshot!("referenced_by", screen(&app));

    // Enter on an item opens it; Esc comes back to the list of referrers.
    app.update(key(KeyCode::Down));
    let cmds = app.update(key(KeyCode::Enter));
    let first = format!("{:032x}", 0);
    assert_eq!(
        cmds,
        vec![Cmd::Follow(Target::Id { resource: "studentSchoolAssociations".into(), id: first })]
    );
    app.update(Msg::Followed { result: Ok(("studentSchoolAssociations".into(), item(association(0)))) });
    assert_eq!(app.screen, Screen::Detail);
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::ReferencedBy);
    assert_eq!(app.detail.as_ref().unwrap().resource, "schools");
    // Enter on a resource opens its list, filtered to the items that may point here.
    app.update(key(KeyCode::Up));
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::List);
    let filter = vec![("schoolId".to_owned(), "255901001".to_owned())];
    assert!(cmds.contains(&Cmd::LoadPage {
        resource: "studentSchoolAssociations".into(),
        offset: 0,
        filter,
        token: None
    }));
}

#[test]
fn late_answers_for_another_item_are_ignored() {
    let mut app = showing_school();
    app.update(key(KeyCode::Char('b')));
    let documents = documents();
    let referrers = Catalog::new(documents.iter()).referrers("schools").unwrap();
    assert!(app
        .update(Msg::Referrers {
            resource: "schools".into(),
            id: "another".into(),
            result: Ok(referrers.clone())
        })
        .is_empty());
    assert!(app.referenced_by.as_ref().unwrap().groups.is_none());
    app.update(Msg::Referrers { resource: "schools".into(), id: SCHOOL_ID.into(), result: Ok(referrers) });
    let page = Page { items: vec![association(0)], total: Some(1), next: None };
    assert!(app.update(Msg::Referring { of: "another".into(), group: 0, result: Ok(page) }).is_empty());
    assert!(app.referenced_by.as_ref().unwrap().rows().is_empty());
}

#[test]
fn referenced_by_a_descriptor_asks_the_query_fields_holding_its_uri() {
    let mut app = associations(1, 1);
    let descriptor = json!({
        "id": "d0000000000000000000000000000001", "namespace": "uri://ed-fi.org/GradeLevelDescriptor",
        "codeValue": "Ninth grade", "shortDescription": "Ninth grade", "_etag": "ZGVzYw",
    });
    app.update(Msg::Item {
        resource: "gradeLevelDescriptors".into(),
        id: "d0000000000000000000000000000001".into(),
        result: Ok(item(descriptor)),
    });
    app.update(key(KeyCode::Char('b')));
    let documents = documents();
    let referrers = Catalog::new(documents.iter()).referrers("gradeLevelDescriptors").unwrap();
    let id = "d0000000000000000000000000000001".to_owned();
    let cmds =
        app.update(Msg::Referrers { resource: "gradeLevelDescriptors".into(), id, result: Ok(referrers) });
    assert!(!cmds.is_empty());
    let asked = answer_referring(&mut app, cmds);
    let uri = "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade".to_owned();
    assert!(
        asked
            .contains(&("studentSchoolAssociations".into(), vec![("entryGradeLevelDescriptor".into(), uri)])),
        "{asked:?}"
    );
    let state = app.referenced_by.as_ref().unwrap();
    assert_eq!(state.label, "codeValue=Ninth grade · namespace=uri://ed-fi.org/GradeLevelDescriptor");
    let group =
        state.groups.as_ref().unwrap().iter().find(|g| g.fields() == ["entryGradeLevelDescriptor"]).unwrap();
    let GroupState::Loaded { items, elsewhere, .. } = &group.state else { panic!("{:?}", group.state) };
    assert_eq!((items.len(), *elsewhere), (3, 0), "every association holds that URI");
}
