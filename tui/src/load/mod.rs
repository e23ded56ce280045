//! `edfi-admin load <dir>`: a directory of Ed-Fi interchange XML files into the API, safely.
//!
//! Each record is converted with the API's own model ([`plan`]), then POSTed (an upsert by
//! natural key) level by level in dependency order, with bounded parallelism inside a level.
//! Every POST carries an `Idempotency-Key` made of the load's id, the record's digest and the
//! pass, so a resent try (a dropped connection, a 5xx, a resumed load) is answered its first
//! answer instead of being applied twice; and `If-None-Match` with the ETag the record's content
//! has, so an item that already holds it is left untouched (412: unchanged). Answers go to a
//! [`journal`], which makes a stopped load resumable, and to an [`Observer`] (progress bars
//! on the command line; the admin app can show the same events).

pub mod events;
pub mod journal;
pub mod plan;
pub mod progress;
pub mod report;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use edfi_core::model::ResourceDef;
use edfi_core::problem::TYPE_UNRESOLVED_REFERENCE;
use edfi_core::wire::IdempotencyKey;
use futures_util::stream::{self, StreamExt};

use crate::api::{ApiError, Client};
use plan::{Plan, Record, Source};
pub use report::{Report, Tally};

/// Requests in flight at once unless asked otherwise.
pub const DEFAULT_PARALLEL: usize = 8;
/// How many passes a level gets for records whose reference was not there yet (a parent of the
/// same kind sent after its child): another pass runs while the last one resolved something.
const MAX_PASSES: usize = 4;
/// Tries of one request when the API failed (5xx, 429) or did not answer.
const TRIES: u32 = 6;
/// The wait before the second try; it doubles with each try, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What a record's load came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Created,
    Updated,
    /// The item already held exactly this content (or, for a record that only names an item,
    /// the item existed): nothing was written.
    Unchanged,
    Rejected,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Rejected => "rejected",
        }
    }

    pub fn from_name(name: &str) -> Option<Outcome> {
        [Outcome::Created, Outcome::Updated, Outcome::Unchanged, Outcome::Rejected]
            .into_iter()
            .find(|o| o.name() == name)
    }
}

pub struct Options {
    /// Requests in flight at once.
    pub parallel: usize,
    /// The journal file (see [`journal::path_for`]).
    pub journal: PathBuf,
    /// Continue an unfinished load from the journal (the default); `false` starts afresh.
    pub resume: bool,
    /// The wait before a request is tried again ([`FIRST_BACKOFF`]).
    pub backoff: Duration,
    /// Send every record create-only (`If-None-Match: *`): an item that exists is left as it is
    /// (reported unchanged), whatever the file says.
    pub create_only: bool,
}

/// Reads `directory` into a plan (on a blocking thread: it parses XML) and names its journal:
/// `journal` when given, else the one of this directory, API and key in the state directory.
/// The command line and the admin app both start a load here.
pub async fn prepare(
    client: &Client,
    directory: PathBuf,
    journal: Option<PathBuf>,
) -> Result<(Plan, PathBuf), String> {
    let plan = tokio::task::spawn_blocking(move || plan::read_directory(&directory))
        .await
        .map_err(|e| e.to_string())??;
    let journal = journal.unwrap_or_else(|| {
        journal::path_for(&journal::default_dir(), &plan.directory, client.base(), client.key())
    });
    Ok((plan, journal))
}

/// Runs a load as the admin app asks for it (`:load`), handing each of its events to `sink`:
/// first [`events::Event::Planned`], last [`events::Event::Finished`].
pub async fn run_with_events(
    client: &Client,
    directory: PathBuf,
    journal: Option<PathBuf>,
    resume: bool,
    create_only: bool,
    sink: impl Fn(events::Event) + Send + Sync,
) {
    let finished = async {
        let (plan, journal) = prepare(client, directory, journal).await?;
        sink(events::Event::planned(&plan, &journal));
        let options =
            Options { parallel: DEFAULT_PARALLEL, journal, resume, backoff: FIRST_BACKOFF, create_only };
        run(client, &plan, &options, &events::Events(&sink)).await
    }
    .await;
    sink(events::Event::Finished(finished));
}

/// What a load reports as it goes. Called from the load's tasks; keep each call short.
pub trait Observer: Send + Sync {
    /// A resource's records are about to be sent; `earlier` of them were answered in the run
    /// this one continues.
    fn resource_started(&self, _resource: &str, _records: usize, _earlier: usize) {}
    fn record_done(&self, _resource: &str, _outcome: Outcome) {}
    fn resource_done(&self, _resource: &str, _tally: &Tally) {}
    /// A request is tried again after the API failed or did not answer.
    fn retrying(&self, _source: &Source, _reason: &str) {}
}

/// An observer that shows nothing.
pub struct Quiet;

impl Observer for Quiet {}

/// The answer that ends a record's part in one pass.
enum Answer {
    Final(Outcome, String),
    /// 409: a referenced item does not exist (yet).
    Unresolved(String),
    /// The API failed or did not answer on every try: not journaled, so a rerun sends it again.
    Failed(String),
}

/// Loads `plan` through `client`. An error is returned only when the load cannot go on (the
/// journal cannot be written, the key and secret are refused); every record's own failure is in
/// the report.
pub async fn run(
    client: &Client,
    plan: &Plan,
    options: &Options,
    observer: &dyn Observer,
) -> Result<Report, String> {
    let started = Instant::now();
    let earlier = if options.resume { journal::read(&options.journal)? } else { None };
    let resumed = earlier.is_some();
    let load_id = earlier
        .as_ref()
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(), |e| e.load_id.clone());
    let answered_earlier = earlier.map(|e| e.answered).unwrap_or_default();
    let mut journal = journal::Journal::open(&options.journal, &load_id, resumed)?;
    let mut report = Report {
        load_id: load_id.clone(),
        resumed,
        problems: plan.problems.clone(),
        files: plan.files,
        ..Report::default()
    };

    for level in &plan.levels {
        let names: BTreeSet<&'static str> = level.iter().map(|def| def.name).collect();
        let mut pending: Vec<&Record> = Vec::new();
        for def in level {
            let records = &plan.records[def.name];
            let tally = report.resources.entry(def.name.to_owned()).or_default();
            tally.superseded = plan.superseded.get(def.name).copied().unwrap_or(0);
            tally.records = records.len() + tally.superseded;
            tally.duplicates = plan.duplicates.get(def.name).copied().unwrap_or(0);
            for record in records {
                match answered_earlier.get(&record.digest) {
                    Some((outcome, reason)) => {
                        tally.earlier += 1;
                        tally.count(*outcome, &record.source, reason);
                    }
                    None => pending.push(record),
                }
            }
            observer.resource_started(def.name, records.len(), tally.earlier);
        }
        let mut pass = 0;
        while !pending.is_empty() {
            let mut unresolved: Vec<(&Record, String)> = Vec::new();
            let batch = pending.iter().copied().map(|record| {
                let key = format!("load.{load_id}.{}.{}", &record.digest[..32], pass);
                async move {
                    (record, send(client, record, &key, options.backoff, options.create_only, observer).await)
                }
            });
            // Boxed as a `Send` stream where its lifetimes are known: left to be inferred at the
            // task the admin app spawns, the compiler cannot prove it `Send` (rust-lang/rust#102211).
            let mut answers = stream::iter(batch).buffer_unordered(options.parallel.max(1)).boxed();
            while let Some((record, answer)) = answers.next().await {
                let (outcome, reason, journaled) = match answer? {
                    Answer::Unresolved(reason)
                        if pass + 1 < MAX_PASSES && waits_in_level(record.resource, &names) =>
                    {
                        unresolved.push((record, reason));
                        continue;
                    }
                    Answer::Final(outcome, reason) => (outcome, reason, true),
                    Answer::Unresolved(reason) => (Outcome::Rejected, reason, true),
                    Answer::Failed(reason) => (Outcome::Rejected, reason, false),
                };
                let journal = journaled.then_some(&mut journal);
                settle(journal, &mut report, observer, record, outcome, &reason)?;
            }
            drop(answers);
            let progress = unresolved.len() < pending.len();
            pending = unresolved.iter().map(|(record, _)| *record).collect();
            pass += 1;
            if !progress {
                // Nothing resolved: what is left waits for items that are not coming.
                for (record, reason) in unresolved {
                    settle(Some(&mut journal), &mut report, observer, record, Outcome::Rejected, &reason)?;
                }
                break;
            }
        }
        for def in level {
            observer.resource_done(def.name, &report.resources[def.name]);
        }
    }
    let all_answered = report.resources.values().all(|t| t.failed == 0);
    if all_answered {
        journal.complete()?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// A record's final answer, in the journal (`None`: the API never answered, so a rerun sends it
/// again), the report and the observer.
fn settle(
    journal: Option<&mut journal::Journal>,
    report: &mut Report,
    observer: &dyn Observer,
    record: &Record,
    outcome: Outcome,
    reason: &str,
) -> Result<(), String> {
    let name = record.resource.name;
    let tally = report.resources.get_mut(name).expect("a tally per resource");
    match journal {
        Some(journal) => journal.answered(&record.digest, outcome, reason)?,
        None => tally.failed += 1,
    }
    tally.count(outcome, &record.source, reason);
    observer.record_done(name, outcome);
    Ok(())
}

/// Whether a record's missing reference may yet appear in this level: it references its own
/// resource or another of the level.
fn waits_in_level(def: &ResourceDef, level: &BTreeSet<&'static str>) -> bool {
    edfi_core::openapi::targets(def.fields).iter().any(|target| {
        level.contains(target)
            || edfi_core::resources::find(target)
                .is_some_and(|t| t.subclasses.iter().any(|s| level.contains(s)))
    })
}

/// Sends one record, trying again (same key) while the API fails or does not answer.
async fn send(
    client: &Client,
    record: &Record,
    key: &str,
    mut backoff: Duration,
    create_only: bool,
    observer: &dyn Observer,
) -> Result<Answer, String> {
    let condition = if create_only { edfi_core::wire::ANY_TAG } else { record.if_none_match.as_str() };
    let key = IdempotencyKey::new(key.to_owned()).map_err(|e| format!("the Idempotency-Key {key}: {e}"))?;
    let mut last = String::new();
    for _ in 0..TRIES {
        match client.load_post(record.resource.name, &record.body, &key, condition).await {
            Ok(answer) => {
                let reason = || format!("{}: {}", answer.status, answer.detail);
                match answer.status {
                    201 => return Ok(Answer::Final(Outcome::Created, String::new())),
                    200 | 204 => return Ok(Answer::Final(Outcome::Updated, String::new())),
                    412 => return Ok(Answer::Final(Outcome::Unchanged, String::new())),
                    409 if answer.problem_type == TYPE_UNRESOLVED_REFERENCE => {
                        return Ok(Answer::Unresolved(reason()))
                    }
                    429 | 500..=599 => last = reason(),
                    _ => return Ok(Answer::Final(Outcome::Rejected, reason())),
                }
            }
            Err(ApiError::Unauthorized(message)) => return Err(message),
            Err(other) => last = other.to_string(),
        }
        observer.retrying(&record.source, &last);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    Ok(Answer::Failed(format!("the API did not answer after {TRIES} tries: {last}")))
}
