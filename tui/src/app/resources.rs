//! Finding a resource among hundreds: the Resources screen groups what the metadata lists (Ed-Fi
//! domains where the metadata names them, this API's interchanges where it names those, one
//! group otherwise; descriptors apart), loads a resource's item count only once its group is
//! open, keeps the last resources opened on top, filters names fuzzily with `/`, and completes
//! names at the `:` prompt with Tab. Like the rest of the app this is state and update only.

use std::collections::{BTreeMap, BTreeSet};

use crossterm::event::{KeyCode, KeyEvent};
use edfi_core::wire;
use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::{App, Cmd, Prompt, ResourceRow, Screen};
use crate::api::ResourceInfo;

/// The group of the resources opened last, on top.
pub const RECENT: &str = "Recent";
/// Resources the metadata puts in no group.
pub const OTHER: &str = "Other";
pub const DESCRIPTORS: &str = "Descriptors";
/// How many recent resources are kept.
pub const RECENT_MAX: usize = 8;
/// How many of the best matches of a `/` filter have their counts loaded.
const MATCH_COUNTS: usize = 12;
/// Rows PgUp and PgDn move by.
const PAGE_ROWS: usize = 15;

/// The Resources screen and the `:` prompt's completion.
#[derive(Debug, Clone, Default)]
pub struct Navigator {
    /// In screen order: recent resources, the metadata's groups by name, other resources,
    /// descriptors.
    pub groups: Vec<Group>,
    /// The groups shown open, by name.
    pub expanded: BTreeSet<String>,
    /// The selected row of [`App::resource_rows`].
    pub cursor: usize,
    /// The `/` filter; empty for none.
    pub filter: String,
    /// The resources the filter matches, best first.
    pub matches: Vec<Match>,
    /// Names of the resources opened last, latest first.
    pub recent: Vec<String>,
    /// Tab completion at the `:` prompt, while it lasts.
    pub completion: Option<Completion>,
    /// Resources whose count was asked for (and not asked for again).
    requested: BTreeSet<String>,
    /// Resources whose count could not be had.
    failed: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// As the metadata spells it (`StudentEnrollment`); see [`display_name`].
    pub name: String,
    /// Indexes into [`App::resources`].
    pub members: Vec<usize>,
}

/// A resource the `/` filter matches, with the positions of the matched characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub resource: usize,
    pub positions: Vec<u32>,
}

/// One line of the Resources screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// A group's heading (an index into [`Navigator::groups`]).
    Group(usize),
    /// A resource (an index into [`App::resources`]) and the group it is shown in, if headed.
    Resource { resource: usize, group: Option<usize> },
}

/// The names a Tab at the `:` prompt found (none: nothing starts so), and which one is in the
/// prompt now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub candidates: Vec<String>,
    pub selected: Option<usize>,
}

/// `StudentEnrollment` as `Student Enrollment`.
pub fn display_name(group: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = group.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        let starts_word = i > 0
            && c.is_uppercase()
            && (chars[i - 1].is_lowercase() || (chars[i - 1].is_uppercase() && next_is_lower));
        if starts_word {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The longest prefix all `names` share, compared case-insensitively, as the first spells it.
fn common_prefix(names: &[String]) -> String {
    let Some(first) = names.first() else { return String::new() };
    let mut end = first.len();
    for name in &names[1..] {
        let shared = first
            .char_indices()
            .zip(name.chars())
            .take_while(|((_, a), b)| a.to_lowercase().eq(b.to_lowercase()))
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8());
        end = end.min(shared);
    }
    first[..end].to_owned()
}

fn starts_with_ignoring_case(name: &str, prefix: &str) -> bool {
    name.len() >= prefix.len()
        && name.is_char_boundary(prefix.len())
        && name[..prefix.len()].eq_ignore_ascii_case(prefix)
}

impl App {
    /// The remembered recent resources (the runtime reads them from the state directory).
    pub fn set_recent(&mut self, names: Vec<String>) {
        self.nav.recent = names;
        self.nav.recent.truncate(RECENT_MAX);
        self.regroup();
    }

    /// The metadata arrived: group it, and load the counts of what is shown open.
    pub(super) fn resources_loaded(&mut self, infos: Vec<ResourceInfo>) -> Vec<Cmd> {
        self.resources = infos.into_iter().map(|info| ResourceRow { info, count: None }).collect();
        self.nav.requested.clear();
        self.nav.failed.clear();
        self.nav.expanded.insert(RECENT.to_owned());
        self.regroup();
        self.nav.cursor = 0;
        self.counts_for_open_groups()
    }

    fn regroup(&mut self) {
        let mut named: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let (mut other, mut descriptors) = (Vec::new(), Vec::new());
        for (i, row) in self.resources.iter().enumerate() {
            if row.info.descriptor {
                descriptors.push(i);
            } else if row.info.groups.is_empty() {
                other.push(i);
            } else {
                for group in &row.info.groups {
                    named.entry(group.as_str()).or_default().push(i);
                }
            }
        }
        let recent: Vec<usize> = self
            .nav
            .recent
            .iter()
            .filter_map(|name| self.resources.iter().position(|r| r.info.name == *name))
            .collect();
        let mut groups = Vec::new();
        let mut add = |name: &str, members: Vec<usize>| {
            if !members.is_empty() {
                groups.push(Group { name: name.to_owned(), members });
            }
        };
        add(RECENT, recent);
        for (name, members) in named {
            add(name, members);
        }
        add(OTHER, other);
        add(DESCRIPTORS, descriptors);
        self.nav.groups = groups;
        self.clamp_cursor();
    }

    /// Groups have headings when there are several; a lone group is shown open, as a plain list.
    fn headed(&self) -> bool {
        self.nav.groups.len() > 1
    }

    /// What the Resources screen shows, top to bottom.
    pub fn resource_rows(&self) -> Vec<Row> {
        if !self.nav.filter.is_empty() {
            return self
                .nav
                .matches
                .iter()
                .map(|m| Row::Resource { resource: m.resource, group: None })
                .collect();
        }
        let headed = self.headed();
        let mut rows = Vec::new();
        for (g, group) in self.nav.groups.iter().enumerate() {
            if headed {
                rows.push(Row::Group(g));
            }
            if !headed || self.nav.expanded.contains(&group.name) {
                let shown_in = headed.then_some(g);
                rows.extend(
                    group.members.iter().map(|&resource| Row::Resource { resource, group: shown_in }),
                );
            }
        }
        rows
    }

    fn clamp_cursor(&mut self) {
        let rows = self.resource_rows().len();
        self.nav.cursor = self.nav.cursor.min(rows.saturating_sub(1));
    }

    /// Counts for these resources, each asked for once.
    fn counts(&mut self, resources: impl IntoIterator<Item = usize>) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        for i in resources {
            let Some(row) = self.resources.get(i) else { continue };
            if row.count.is_none() && self.nav.requested.insert(row.info.name.clone()) {
                cmds.push(Cmd::LoadCount(row.info.name.clone()));
            }
        }
        cmds
    }

    fn counts_for_open_groups(&mut self) -> Vec<Cmd> {
        let shown: Vec<usize> = self
            .resource_rows()
            .into_iter()
            .filter_map(|row| match row {
                Row::Resource { resource, .. } => Some(resource),
                Row::Group(_) => None,
            })
            .collect();
        self.counts(shown)
    }

    fn set_expanded(&mut self, group: usize, open: bool) -> Vec<Cmd> {
        let Some(name) = self.nav.groups.get(group).map(|g| g.name.clone()) else { return vec![] };
        if open {
            self.nav.expanded.insert(name);
            let members = self.nav.groups[group].members.clone();
            self.counts(members)
        } else {
            self.nav.expanded.remove(&name);
            // The cursor stays on the heading.
            if let Some(at) = self.resource_rows().iter().position(|r| *r == Row::Group(group)) {
                self.nav.cursor = at;
            }
            vec![]
        }
    }

    /// A key on the Resources screen; `None` leaves it to the keys every screen has.
    pub(super) fn resources_key(&mut self, key: KeyEvent) -> Option<Vec<Cmd>> {
        let rows = self.resource_rows();
        let selected = rows.get(self.nav.cursor).copied();
        let last = rows.len().saturating_sub(1);
        let cmds = match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.move_to(self.nav.cursor.saturating_sub(1)),
            KeyCode::Down | KeyCode::Char('j') => self.move_to((self.nav.cursor + 1).min(last)),
            KeyCode::PageUp => self.move_to(self.nav.cursor.saturating_sub(PAGE_ROWS)),
            KeyCode::PageDown => self.move_to((self.nav.cursor + PAGE_ROWS).min(last)),
            KeyCode::Home | KeyCode::Char('g') => self.move_to(0),
            KeyCode::End | KeyCode::Char('G') => self.move_to(last),
            KeyCode::Enter | KeyCode::Char(' ') => match selected {
                Some(Row::Group(g)) => {
                    let open = !self.nav.expanded.contains(&self.nav.groups[g].name);
                    self.set_expanded(g, open)
                }
                Some(Row::Resource { resource, .. }) if key.code == KeyCode::Enter => {
                    let name = self.resources[resource].info.name.clone();
                    self.open_resource(name)
                }
                _ => vec![],
            },
            KeyCode::Right | KeyCode::Char('l') => match selected {
                Some(Row::Group(g)) => self.set_expanded(g, true),
                _ => vec![],
            },
            KeyCode::Left | KeyCode::Char('h') => match selected {
                Some(Row::Group(g)) => self.set_expanded(g, false),
                Some(Row::Resource { group: Some(g), .. }) => self.set_expanded(g, false),
                _ => vec![],
            },
            KeyCode::Char('/') => {
                self.prompt = Some(Prompt::Filter(self.nav.filter.clone()));
                vec![]
            }
            KeyCode::Esc if !self.nav.filter.is_empty() => self.set_filter(String::new()),
            KeyCode::Char('r') => {
                let shown: Vec<usize> = rows
                    .iter()
                    .filter_map(|row| match row {
                        Row::Resource { resource, .. } => Some(*resource),
                        Row::Group(_) => None,
                    })
                    .collect();
                for &i in &shown {
                    self.resources[i].count = None;
                    self.nav.requested.remove(&self.resources[i].info.name);
                    self.nav.failed.remove(&self.resources[i].info.name);
                }
                self.counts(shown)
            }
            _ => return None,
        };
        Some(cmds)
    }

    /// A count arrived; one that could not be had is shown as `?` (and `r` asks again).
    pub(super) fn count_loaded(&mut self, name: &str, result: Result<u64, String>) {
        if let Some(row) = self.resources.iter_mut().find(|r| r.info.name == name) {
            row.count = result.as_ref().ok().copied();
        }
        if result.is_err() {
            self.nav.failed.insert(name.to_owned());
        } else {
            self.nav.failed.remove(name);
        }
    }

    /// A resource's item count as shown: the number, `…` while it loads, `?` if it failed,
    /// nothing if it was not asked for.
    pub fn count_label(&self, resource: usize) -> String {
        let Some(row) = self.resources.get(resource) else { return String::new() };
        match row.count {
            Some(n) => n.to_string(),
            None if self.nav.failed.contains(&row.info.name) => "?".to_owned(),
            None if self.nav.requested.contains(&row.info.name) => "…".to_owned(),
            None => String::new(),
        }
    }

    fn move_to(&mut self, row: usize) -> Vec<Cmd> {
        self.nav.cursor = row;
        vec![]
    }

    /// A key while the `/` prompt filters the Resources screen: the list follows each keystroke.
    pub(super) fn filter_prompt_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        match key.code {
            KeyCode::Esc => {
                self.prompt = None;
                self.set_filter(String::new())
            }
            // The filter stays, and the best matches get their counts (not each keystroke's).
            KeyCode::Enter => {
                self.prompt = None;
                let best: Vec<usize> =
                    self.nav.matches.iter().take(MATCH_COUNTS).map(|m| m.resource).collect();
                self.counts(best)
            }
            KeyCode::Up => self.move_to(self.nav.cursor.saturating_sub(1)),
            KeyCode::Down => {
                let last = self.resource_rows().len().saturating_sub(1);
                self.move_to((self.nav.cursor + 1).min(last))
            }
            KeyCode::Backspace => {
                let mut text = self.nav.filter.clone();
                text.pop();
                self.set_filter(text)
            }
            KeyCode::Char(c) => {
                let mut text = self.nav.filter.clone();
                text.push(c);
                self.set_filter(text)
            }
            _ => vec![],
        }
    }

    fn set_filter(&mut self, text: String) -> Vec<Cmd> {
        self.nav.matches = fuzzy_matches(&self.resources, &text);
        self.nav.filter = text;
        if let Some(Prompt::Filter(shown)) = &mut self.prompt {
            shown.clone_from(&self.nav.filter);
        }
        self.nav.cursor = 0;
        vec![]
    }

    /// A key at the `:` prompt: Tab and Shift-Tab complete resource names (and `clients`).
    pub(super) fn command_prompt_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        let Some(Prompt::Command(text)) = &mut self.prompt else { return vec![] };
        match key.code {
            KeyCode::Tab => self.complete(true),
            KeyCode::BackTab => self.complete(false),
            KeyCode::Esc => {
                self.prompt = None;
                self.nav.completion = None;
                vec![]
            }
            KeyCode::Backspace => {
                text.pop();
                self.nav.completion = None;
                vec![]
            }
            KeyCode::Char(c) => {
                text.push(c);
                self.nav.completion = None;
                vec![]
            }
            KeyCode::Enter => {
                self.nav.completion = None;
                let command = text.trim().to_owned();
                self.prompt = None;
                self.command(&command)
            }
            _ => vec![],
        }
    }

    /// Tab: the first completes as far as every name (a resource's, or the `clients` command)
    /// starting with what is typed agrees (case aside) and lists them; the next ones put each in
    /// the prompt in turn. After `load `, the names are directories, which the runtime lists
    /// ([`Cmd::CompletePath`]).
    fn complete(&mut self, forward: bool) -> Vec<Cmd> {
        let Some(Prompt::Command(text)) = &mut self.prompt else { return vec![] };
        if let Some(completion) = self.nav.completion.as_mut().filter(|c| !c.candidates.is_empty()) {
            let n = completion.candidates.len();
            let next = match (completion.selected, forward) {
                (None, true) => 0,
                (None, false) => n - 1,
                (Some(i), true) => (i + 1) % n,
                (Some(i), false) => (i + n - 1) % n,
            };
            completion.selected = Some(next);
            text.clone_from(&completion.candidates[next]);
            return vec![];
        }
        if text.starts_with("load ") {
            return vec![Cmd::CompletePath { typed: text.clone(), forward }];
        }
        let typed = text.trim().to_owned();
        let commands = [super::clients::COMMAND].map(str::to_owned);
        let mut candidates: Vec<String> = self
            .resources
            .iter()
            .map(|r| r.info.name.clone())
            .chain(commands)
            .filter(|name| starts_with_ignoring_case(name, &typed))
            .collect();
        candidates.sort_by_key(|name| name.to_lowercase());
        self.offer(&typed, candidates, forward);
        vec![]
    }

    /// The directories that complete `typed` (a `:load` prompt), as the runtime listed them:
    /// offered as resource names are, unless the prompt changed meanwhile.
    pub(super) fn path_candidates(
        &mut self,
        typed: &str,
        candidates: Vec<String>,
        forward: bool,
    ) -> Vec<Cmd> {
        if self.prompt == Some(Prompt::Command(typed.to_owned())) {
            self.offer(typed, candidates, forward);
        }
        vec![]
    }

    fn offer(&mut self, typed: &str, mut candidates: Vec<String>, forward: bool) {
        let Some(Prompt::Command(text)) = &mut self.prompt else { return };
        match candidates.len() {
            // Shown as such above the prompt.
            0 => self.nav.completion = Some(Completion { candidates, selected: None }),
            1 => *text = candidates.remove(0),
            _ => {
                let prefix = common_prefix(&candidates);
                let selected = if prefix.len() > typed.len() {
                    *text = prefix;
                    None
                } else {
                    let at = if forward { 0 } else { candidates.len() - 1 };
                    text.clone_from(&candidates[at]);
                    Some(at)
                };
                self.nav.completion = Some(Completion { candidates, selected });
            }
        }
    }

    /// `:name`: the resource of that name, or the only one whose name starts so.
    pub(super) fn open_named(&mut self, name: &str) -> Vec<Cmd> {
        let exact = self.resources.iter().find(|r| wire::same_endpoint(&r.info.name, name));
        let starting: Vec<&ResourceRow> =
            self.resources.iter().filter(|r| starts_with_ignoring_case(&r.info.name, name)).collect();
        let found = match (exact, starting.as_slice()) {
            (Some(row), _) | (None, &[row]) => row.info.name.clone(),
            (None, []) => {
                self.status = format!("Unknown command or resource: {name}");
                return vec![];
            }
            (None, several) => {
                let some: Vec<&str> = several.iter().take(4).map(|r| r.info.name.as_str()).collect();
                self.status = format!(
                    "{} resources start with {name} ({}, …); Tab completes.",
                    several.len(),
                    some.join(", ")
                );
                return vec![];
            }
        };
        self.back.clear();
        self.screen = Screen::Resources;
        self.open_resource(found)
    }

    /// Remembers `name` as the latest resource opened; the command keeps the list on disk.
    pub(super) fn visited(&mut self, name: &str) -> Cmd {
        self.nav.recent.retain(|n| n != name);
        self.nav.recent.insert(0, name.to_owned());
        self.nav.recent.truncate(RECENT_MAX);
        self.regroup();
        // Back on the Resources screen, the cursor is on it, at the top.
        let at = self.resources.iter().position(|r| r.info.name == name);
        if let Some(at) = self
            .resource_rows()
            .iter()
            .position(|r| matches!(r, Row::Resource { resource, .. } if Some(*resource) == at))
        {
            self.nav.cursor = at;
        }
        Cmd::SaveRecent { url: self.url.clone(), names: self.nav.recent.clone() }
    }
}

/// The resources whose names hold `pattern`'s characters in order (case aside), best first:
/// nucleo's score (word and camelCase starts count most), then the shorter name.
pub fn fuzzy_matches(resources: &[ResourceRow], pattern: &str) -> Vec<Match> {
    if pattern.trim().is_empty() {
        return Vec::new();
    }
    let atom = Atom::new(pattern.trim(), CaseMatching::Ignore, Normalization::Smart, AtomKind::Fuzzy, false);
    let mut config = Config::DEFAULT;
    config.prefer_prefix = true;
    let mut matcher = Matcher::new(config);
    let mut buffer = Vec::new();
    let mut scored: Vec<(u16, Match)> = resources
        .iter()
        .enumerate()
        .filter_map(|(resource, row)| {
            let mut positions = Vec::new();
            let score =
                atom.indices(Utf32Str::new(&row.info.name, &mut buffer), &mut matcher, &mut positions)?;
            positions.sort_unstable();
            positions.dedup();
            Some((score, Match { resource, positions }))
        })
        .collect();
    scored.sort_by(|(a, x), (b, y)| {
        b.cmp(a)
            .then_with(|| resources[x.resource].info.name.len().cmp(&resources[y.resource].info.name.len()))
            .then_with(|| resources[x.resource].info.name.cmp(&resources[y.resource].info.name))
    });
    scored.into_iter().map(|(_, m)| m).collect()
}

#[cfg(test)]
mod tests;
