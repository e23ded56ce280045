//! The account a load gives at its end: per resource, what was sent and what became of it, with
//! the first reasons for what was refused; and the files' own problems.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::plan::{FileProblem, Source};
use super::Outcome;

/// Reasons kept per resource: enough to see what went wrong without repeating it a thousand times.
const REASONS_KEPT: usize = 3;

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Tally {
    /// Records of the resource in the files (each distinct record once): answered + superseded.
    pub records: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Of the rejected: the API failed or did not answer (a rerun sends them again).
    pub failed: usize,
    /// Answered in the run this one continued (counted in the columns above too).
    pub earlier: usize,
    /// Records that appeared again with the same content, sent once (not in `records`).
    pub duplicates: usize,
    /// Records replaced by a later record of the same natural key, or naming an item another
    /// record holds: not sent (in `records`).
    pub superseded: usize,
    /// The first reasons for rejections, each with where the record is.
    pub reasons: Vec<String>,
}

impl Tally {
    pub fn count(&mut self, outcome: Outcome, source: &Source, reason: &str) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Rejected => {
                self.rejected += 1;
                if self.reasons.len() < REASONS_KEPT {
                    self.reasons.push(format!("{source}: {reason}"));
                }
            }
        }
    }

    pub fn answered(&self) -> usize {
        self.created + self.updated + self.unchanged + self.rejected
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Report {
    pub load_id: String,
    /// This run continued an unfinished one.
    pub resumed: bool,
    pub files: usize,
    pub seconds: f64,
    pub resources: BTreeMap<String, Tally>,
    #[serde(serialize_with = "problems_as_text")]
    pub problems: Vec<FileProblem>,
}

fn problems_as_text<S: serde::Serializer>(problems: &[FileProblem], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(problems.iter().map(ToString::to_string))
}

impl Report {
    pub fn records(&self) -> usize {
        self.resources.values().map(|t| t.records).sum()
    }

    /// Whether everything in the files is in the API.
    pub fn clean(&self) -> bool {
        self.problems.is_empty() && self.resources.values().all(|t| t.rejected == 0)
    }

    /// The table printed at the end of a load.
    pub fn table(&self) -> String {
        let mut rows: Vec<[String; 6]> = vec![[
            "resource".into(),
            "sent".into(),
            "created".into(),
            "updated".into(),
            "unchanged".into(),
            "rejected".into(),
        ]];
        let mut total = Tally::default();
        for (name, tally) in &self.resources {
            rows.push([
                name.clone(),
                tally.answered().to_string(),
                tally.created.to_string(),
                tally.updated.to_string(),
                tally.unchanged.to_string(),
                tally.rejected.to_string(),
            ]);
            total.created += tally.created;
            total.updated += tally.updated;
            total.unchanged += tally.unchanged;
            total.rejected += tally.rejected;
        }
        rows.push([
            "total".into(),
            total.answered().to_string(),
            total.created.to_string(),
            total.updated.to_string(),
            total.unchanged.to_string(),
            total.rejected.to_string(),
        ]);
        let widths: Vec<usize> =
            (0..6).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
        let mut out = String::new();
        for (i, row) in rows.iter().enumerate() {
            let _ = write!(out, "{:<w$}", row[0], w = widths[0]);
            for c in 1..6 {
                let _ = write!(out, "  {:>w$}", row[c], w = widths[c]);
            }
            out.push('\n');
            if i == 0 || i == rows.len() - 2 {
                out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 10));
                out.push('\n');
            }
        }
        out.push_str(&self.account());
        out
    }

    /// What the table's rows do not say: what was not sent, the rate, the first reasons for
    /// rejections and the files' problems (the admin app shows it under its own rows).
    pub fn account(&self) -> String {
        let mut out = String::new();
        let superseded: usize = self.resources.values().map(|t| t.superseded).sum();
        let duplicates: usize = self.resources.values().map(|t| t.duplicates).sum();
        if superseded + duplicates > 0 {
            let _ = writeln!(
                out,
                "not sent: {superseded} records replaced by a later record of the same natural key (or naming an item another record holds), {duplicates} repeated records"
            );
        }
        let records = self.records();
        let _ = writeln!(
            out,
            "{records} records from {} files in {:.1} s ({:.0} records/s){}",
            self.files,
            self.seconds,
            records as f64 / self.seconds.max(1e-9),
            if self.resumed { ", continuing an interrupted load" } else { "" }
        );
        let refused: Vec<(&String, &Tally)> = self.resources.iter().filter(|(_, t)| t.rejected > 0).collect();
        if !refused.is_empty() {
            out.push_str("\nRejected, first reasons:\n");
            for (name, tally) in refused {
                let _ = writeln!(out, "  {name} ({}):", tally.rejected);
                for reason in &tally.reasons {
                    let _ = writeln!(out, "    {reason}");
                }
            }
        }
        if !self.problems.is_empty() {
            let _ = writeln!(out, "\nNot loaded, problems in the files ({}):", self.problems.len());
            for problem in &self.problems {
                let _ = writeln!(out, "  {problem}");
            }
        }
        out
    }
}
