use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::*;
use crate::app::Msg;

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::from(code))
}

fn typed(app: &mut App, text: &str) -> Vec<Cmd> {
    text.chars().flat_map(|c| app.update(key(KeyCode::Char(c)))).collect()
}

/// What this API's metadata gives the app: every endpoint of the model, resources grouped by the
/// interchanges that hold them (as `x-Ed-Fi-interchanges` on their tags), descriptors apart.
fn this_apis_resources() -> Vec<ResourceInfo> {
    let mut infos: Vec<ResourceInfo> = edfi_core::resources::all()
        .iter()
        .filter(|def| !def.is_abstract)
        .map(|def| ResourceInfo {
            name: def.name.to_owned(),
            descriptor: def.is_descriptor,
            groups: def.interchanges.iter().map(|g| g.to_string()).collect(),
        })
        .collect();
    // As `Client::resources` lists them: resources, then descriptors, each by name.
    infos.sort_by(|a, b| (a.descriptor, &a.name).cmp(&(b.descriptor, &b.name)));
    infos
}

/// An ODS/API whose metadata groups nothing.
fn ungrouped_resources() -> Vec<ResourceInfo> {
    let mut infos = this_apis_resources();
    infos.iter_mut().for_each(|info| info.groups.clear());
    infos
}

fn started(infos: Vec<ResourceInfo>, recent: &[&str]) -> (App, Vec<Cmd>) {
    let (mut app, _) = App::new("http://127.0.0.1:8787", false);
    app.set_recent(recent.iter().map(|s| s.to_string()).collect());
    let cmds = app.update(Msg::Resources(Ok(infos)));
    (app, cmds)
}

fn counted(cmds: &[Cmd]) -> Vec<&str> {
    cmds.iter()
        .filter_map(|c| match c {
            Cmd::LoadCount(name) => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

fn group_row(app: &App, name: &str) -> usize {
    let g = app.nav.groups.iter().position(|g| g.name == name).unwrap_or_else(|| panic!("no group {name}"));
    app.resource_rows().iter().position(|r| *r == Row::Group(g)).expect("a heading")
}

fn select(app: &mut App, row: usize) {
    app.nav.cursor = row;
}

fn selected_name(app: &App) -> Option<&str> {
    match app.resource_rows().get(app.nav.cursor)? {
        Row::Resource { resource, .. } => Some(app.resources[*resource].info.name.as_str()),
        Row::Group(_) => None,
    }
}

fn prompt_text(app: &App) -> &str {
    match &app.prompt {
        Some(Prompt::Command(text) | Prompt::Filter(text)) => text,
        None => "",
    }
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(100, 24)).unwrap();
    crate::runtime::draw(&mut terminal, app).unwrap();
    terminal.backend().to_string()
}

#[test]
fn resources_come_grouped_and_no_count_is_asked_for_at_start() {
    let (app, cmds) = started(this_apis_resources(), &[]);
    assert!(counted(&cmds).is_empty(), "no group is open: {cmds:?}");
    let names: Vec<&str> = app.nav.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names.first(), Some(&"AssessmentMetadata"));
    assert_eq!(&names[names.len() - 2..], [OTHER, DESCRIPTORS], "the ungrouped, then descriptors, last");
    assert_eq!(names.len(), 24 + 2);
    let group = |name: &str| &app.nav.groups.iter().find(|g| g.name == name).unwrap().members;
    assert_eq!(group(DESCRIPTORS).len(), 211);
    assert_eq!(group(OTHER).len(), 4, "what no interchange holds");
    // A resource in several interchanges is in each of their groups.
    let people = app.resources.iter().position(|r| r.info.name == "people").unwrap();
    let holding: Vec<&str> =
        app.nav.groups.iter().filter(|g| g.members.contains(&people)).map(|g| g.name.as_str()).collect();
    assert_eq!(holding, ["Contact", "StaffAssociation", "Student"]);
    assert!(app.resource_rows().iter().all(|r| matches!(r, Row::Group(_))), "every group starts closed");
    insta::assert_snapshot!("resources_grouped", screen(&app));
}

#[test]
fn opening_a_group_loads_its_counts_once_and_closing_it_keeps_them() {
    let (mut app, _) = started(this_apis_resources(), &[]);
    let at = group_row(&app, "StudentEnrollment");
    select(&mut app, at);
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(
        counted(&cmds),
        [
            "crisisEvents",
            "graduationPlans",
            "studentEducationOrganizationAssociations",
            "studentEducationOrganizationResponsibilityAssociations",
            "studentSchoolAssociations",
            "studentSectionAssociations",
            "studentTransportations",
        ],
        "one count per member, only this group's"
    );
    for (name, count) in
        [("crisisEvents", Ok(0)), ("graduationPlans", Ok(12)), ("studentSchoolAssociations", Ok(1204))]
    {
        app.update(Msg::Count(name.into(), count));
    }
    app.update(Msg::Count("studentTransportations".into(), Err("timed out".into())));
    for _ in 0..7 {
        app.update(key(KeyCode::Down));
    }
    assert_eq!(selected_name(&app), Some("studentTransportations"));
    insta::assert_snapshot!("resources_group_open", screen(&app));
    // Left on a member closes its group, the cursor back on the heading.
    app.update(key(KeyCode::Left));
    assert_eq!(app.nav.cursor, at);
    assert!(!app.nav.expanded.contains("StudentEnrollment"));
    // Opened again, nothing is asked for twice; `r` asks again for what is shown.
    assert!(counted(&app.update(key(KeyCode::Right))).is_empty());
    assert_eq!(
        app.count_label(app.resources.iter().position(|r| r.info.name == "studentTransportations").unwrap()),
        "?"
    );
    let cmds = app.update(key(KeyCode::Char('r')));
    assert_eq!(counted(&cmds).len(), 7);
    // The descriptors are a group like any other: 211 counts only when asked.
    let at = group_row(&app, DESCRIPTORS);
    select(&mut app, at);
    assert_eq!(counted(&app.update(key(KeyCode::Char(' ')))).len(), 211);
}

#[test]
fn metadata_without_groups_still_lists_everything_resources_then_descriptors() {
    let (mut app, cmds) = started(ungrouped_resources(), &[]);
    assert!(counted(&cmds).is_empty());
    let names: Vec<&str> = app.nav.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, [OTHER, DESCRIPTORS]);
    assert_eq!(app.nav.groups[0].members.len(), 138);
    select(&mut app, 0);
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(counted(&cmds).len(), 138);
    app.update(key(KeyCode::Down));
    assert_eq!(selected_name(&app), Some("academicWeeks"));
    // A metadata with one group shows it as a plain list, counts and all.
    let infos: Vec<ResourceInfo> =
        ["schools", "students"].iter().map(|n| ResourceInfo::new(n, false)).collect();
    let (app, cmds) = started(infos, &[]);
    assert_eq!(counted(&cmds), ["schools", "students"]);
    assert_eq!(app.resource_rows().len(), 2);
}

#[test]
fn the_slash_filter_ranks_fuzzy_matches_and_enter_opens_one() {
    let (mut app, _) = started(this_apis_resources(), &[]);
    app.update(key(KeyCode::Char('/')));
    assert_eq!(app.prompt, Some(Prompt::Filter(String::new())));
    let cmds = typed(&mut app, "ssa");
    assert_eq!(prompt_text(&app), "ssa");
    let best: Vec<&str> =
        app.nav.matches.iter().take(4).map(|m| app.resources[m.resource].info.name.as_str()).collect();
    assert_eq!(
        best,
        [
            "staffSchoolAssociations",
            "staffSectionAssociations",
            "studentSchoolAssociations",
            "surveySectionAssociations"
        ],
        "the initials of the words first, shorter names first"
    );
    let all: Vec<&str> =
        app.nav.matches.iter().map(|m| app.resources[m.resource].info.name.as_str()).collect();
    assert!(all.iter().all(|name| {
        let mut chars = name.chars().map(|c| c.to_ascii_lowercase());
        "ssa".chars().all(|wanted| chars.any(|c| c == wanted))
    }));
    assert!(!all.contains(&"students"), "no 'a' after the second 's'");
    assert!(counted(&cmds).is_empty(), "no counts while typing");
    let m = &app.nav.matches[2];
    assert_eq!(m.positions, [0, 7, 13], "s of student, S of School, A of Associations");
    insta::assert_snapshot!("resources_filtered", screen(&app));
    // Upper case is the same; Down moves in the matches while typing; Enter keeps the filter.
    let mut same = app.clone();
    same.update(key(KeyCode::Esc));
    assert!(same.nav.filter.is_empty() && same.prompt.is_none(), "Esc in the prompt drops the filter");
    same.update(key(KeyCode::Char('/')));
    typed(&mut same, "SSA");
    assert_eq!(same.nav.matches, app.nav.matches);
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    let cmds = app.update(key(KeyCode::Enter));
    assert!(app.prompt.is_none());
    let counts = counted(&cmds);
    assert_eq!(counts.len(), MATCH_COUNTS, "the best matches' counts, once the filter is set");
    assert!(counts.contains(&"studentSchoolAssociations"), "{counts:?}");
    assert_eq!(app.nav.filter, "ssa", "the filter stays for moving about");
    assert_eq!(selected_name(&app), Some("studentSchoolAssociations"));
    let cmds = app.update(key(KeyCode::Enter));
    assert!(cmds.contains(&Cmd::LoadPage {
        resource: "studentSchoolAssociations".into(),
        offset: 0,
        filter: vec![],
        token: None
    }));
    assert_eq!(app.screen, Screen::List);
    // Back on the resources, Esc clears the filter; the groups are back.
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Resources);
    app.update(key(KeyCode::Esc));
    assert!(app.nav.filter.is_empty() && app.nav.matches.is_empty());
    assert!(matches!(app.resource_rows()[0], Row::Group(_)));
    // Backspace widens the filter; emptied, everything is back.
    app.update(key(KeyCode::Char('/')));
    typed(&mut app, "zzq");
    assert!(app.resource_rows().is_empty());
    for _ in 0..3 {
        app.update(key(KeyCode::Backspace));
    }
    app.update(key(KeyCode::Enter));
    assert!(app.nav.filter.is_empty() && !app.resource_rows().is_empty());
}

#[test]
fn tab_completes_resource_names_at_the_colon_prompt() {
    let (mut app, _) = started(this_apis_resources(), &[]);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "STUDENTsc");
    app.update(key(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "studentSchool", "as far as the names agree, case aside");
    let completion = app.nav.completion.clone().expect("listed");
    assert_eq!(
        completion.candidates,
        [
            "studentSchoolAssociations",
            "studentSchoolAttendanceEvents",
            "studentSchoolFoodServiceProgramAssociations",
        ]
    );
    assert_eq!(completion.selected, None);
    insta::assert_snapshot!("command_completion", screen(&app));
    app.update(key(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "studentSchoolAssociations");
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "studentSchoolFoodServiceProgramAssociations");
    app.update(key(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "studentSchoolAssociations", "round again");
    app.update(Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)));
    assert_eq!(prompt_text(&app), "studentSchoolFoodServiceProgramAssociations");
    insta::assert_snapshot!("command_completion_cycling", screen(&app));
    // Typing ends the round; Enter opens the one resource the text starts.
    app.update(key(KeyCode::Backspace));
    assert!(app.nav.completion.is_none());
    let cmds = app.update(key(KeyCode::Enter));
    let food = "studentSchoolFoodServiceProgramAssociations";
    assert!(
        cmds.contains(&Cmd::LoadPage { resource: food.into(), offset: 0, filter: vec![], token: None }),
        "{cmds:?}"
    );
    // One name: completed whole; Enter opens it.
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "studentsc");
    app.update(key(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "studentSchool");
    typed(&mut app, "as");
    app.update(key(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "studentSchoolAssociations");
    assert!(app.nav.completion.is_none(), "nothing to go through");
    let cmds = app.update(key(KeyCode::Enter));
    assert!(cmds.contains(&Cmd::LoadPage {
        resource: "studentSchoolAssociations".into(),
        offset: 0,
        filter: vec![],
        token: None
    }));
    // Nothing to complete says so; the commands still work.
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "zz");
    app.update(key(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "zz");
    assert_eq!(app.nav.completion, Some(Completion { candidates: vec![], selected: None }));
    assert!(screen(&app).contains("No resource starts with zz"));
    app.update(key(KeyCode::Tab));
    assert_eq!(prompt_text(&app), "zz", "nothing to go through");
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "q");
    assert_eq!(app.update(key(KeyCode::Enter)), vec![Cmd::Quit]);
}

#[test]
fn a_colon_name_opens_the_one_resource_it_starts_and_says_which_ones_otherwise() {
    let (mut app, _) = started(this_apis_resources(), &[]);
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "academicw");
    let cmds = app.update(key(KeyCode::Enter));
    assert!(cmds.contains(&Cmd::LoadPage {
        resource: "academicWeeks".into(),
        offset: 0,
        filter: vec![],
        token: None
    }));
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "staffs");
    let cmds = app.update(key(KeyCode::Enter));
    assert!(
        cmds.contains(&Cmd::LoadPage { resource: "staffs".into(), offset: 0, filter: vec![], token: None }),
        "exact, though others start so"
    );
    app.update(key(KeyCode::Char(':')));
    typed(&mut app, "studentsch");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.status.starts_with("3 resources start with studentsch"), "{}", app.status);
}

#[test]
fn recent_resources_are_on_top_latest_first_and_kept() {
    let (mut app, cmds) = started(this_apis_resources(), &["schools", "noLongerServed", "students"]);
    assert_eq!(counted(&cmds), ["schools", "students"], "only the recent ones, which are shown open");
    assert_eq!(app.nav.groups[0].name, RECENT);
    assert_eq!(app.nav.cursor, 0);
    app.update(Msg::Count("schools".into(), Ok(3)));
    app.update(Msg::Count("students".into(), Ok(1)));
    insta::assert_snapshot!("resources_recent", screen(&app));
    // Opening one moves it to the top and keeps the list on disk.
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    assert_eq!(selected_name(&app), Some("students"));
    let cmds = app.update(key(KeyCode::Enter));
    let saved = Cmd::SaveRecent {
        url: "http://127.0.0.1:8787".into(),
        names: vec!["students".into(), "schools".into(), "noLongerServed".into()],
    };
    assert_eq!(cmds[0], saved);
    app.update(key(KeyCode::Esc));
    assert_eq!(selected_name(&app), Some("students"), "back on it");
    assert_eq!(app.nav.cursor, 1);
    // At most RECENT_MAX, each once.
    for name in ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "schools", "a8"] {
        app.visited(name);
    }
    assert_eq!(app.nav.recent, ["a8", "schools", "a7", "a6", "a5", "a4", "a3", "a2"]);
}

#[test]
fn group_names_read_as_words() {
    assert_eq!(display_name("StudentEnrollment"), "Student Enrollment");
    assert_eq!(display_name("EducationOrgCalendar"), "Education Org Calendar");
    assert_eq!(
        display_name("StudentIdentificationAndDemographics"),
        "Student Identification And Demographics"
    );
    assert_eq!(display_name("CTEProgram"), "CTE Program");
    assert_eq!(display_name(OTHER), "Other");
}

#[test]
fn common_prefixes_ignore_case_and_keep_the_first_spelling() {
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(common_prefix(&names(&["studentSchoolA", "studentschoolB"])), "studentSchool");
    assert_eq!(common_prefix(&names(&["students"])), "students");
    assert_eq!(common_prefix(&names(&["a", "b"])), "");
}
