//! A load's progress as values: each [`Observer`] call becomes an [`Event`] handed to a sink,
//! so the admin app can show a load the way the command line's bars do, from the one event
//! enum its screens are drawn from.

use std::path::{Path, PathBuf};

use super::plan::{Plan, Source};
use super::{Observer, Outcome, Report, Tally};

/// What a load reports, in the order it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The directory was read: what will be sent, resource by resource in the order they load.
    Planned {
        directory: PathBuf,
        journal: PathBuf,
        files: usize,
        resources: Vec<(String, usize)>,
        problems: usize,
    },
    Started {
        resource: String,
        records: usize,
        earlier: usize,
    },
    Record {
        resource: String,
        outcome: Outcome,
    },
    ResourceDone {
        resource: String,
        tally: Tally,
    },
    Retrying {
        source: String,
        reason: String,
    },
    /// The load ran to its end (its report), or could not go on (why).
    Finished(Result<Report, String>),
}

impl Event {
    /// The first event of a load of `plan`, journaled at `journal`.
    pub fn planned(plan: &Plan, journal: &Path) -> Event {
        let resources = plan
            .levels
            .iter()
            .flatten()
            .map(|def| (def.name.to_owned(), plan.records.get(def.name).map_or(0, Vec::len)))
            .collect();
        Event::Planned {
            directory: plan.directory.clone(),
            journal: journal.to_owned(),
            files: plan.files,
            resources,
            problems: plan.problems.len(),
        }
    }
}

/// An observer handing each event to `sink` (which must be quick: it runs in the load's tasks).
pub struct Events<F: Fn(Event) + Send + Sync>(pub F);

impl<F: Fn(Event) + Send + Sync> Observer for Events<F> {
    fn resource_started(&self, resource: &str, records: usize, earlier: usize) {
        (self.0)(Event::Started { resource: resource.to_owned(), records, earlier });
    }

    fn record_done(&self, resource: &str, outcome: Outcome) {
        (self.0)(Event::Record { resource: resource.to_owned(), outcome });
    }

    fn resource_done(&self, resource: &str, tally: &Tally) {
        (self.0)(Event::ResourceDone { resource: resource.to_owned(), tally: tally.clone() });
    }

    fn retrying(&self, source: &Source, reason: &str) {
        (self.0)(Event::Retrying { source: source.to_string(), reason: reason.to_owned() });
    }
}
