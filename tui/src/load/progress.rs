//! Progress on the command line: a bar per resource while it loads, and a line for retries.
//! Drawn on standard error only when it is a terminal, so scripts and logs get the final table alone.

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::plan::Source;
use super::{Observer, Outcome, Tally};

pub struct Bars {
    all: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    style: ProgressStyle,
}

impl Bars {
    pub fn new() -> Bars {
        let style = ProgressStyle::with_template("{prefix:>48} {bar:30} {pos:>6}/{len:<6} {msg}")
            .expect("a valid template")
            .progress_chars("=> ");
        Bars { all: MultiProgress::new(), bars: Mutex::new(HashMap::new()), style }
    }
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer for Bars {
    fn resource_started(&self, resource: &str, records: usize, earlier: usize) {
        let bar = self.all.add(ProgressBar::new(records as u64).with_style(self.style.clone()));
        bar.set_prefix(resource.to_owned());
        bar.set_position(earlier as u64);
        self.bars.lock().expect("the bars lock").insert(resource.to_owned(), bar);
    }

    fn record_done(&self, resource: &str, _outcome: Outcome) {
        if let Some(bar) = self.bars.lock().expect("the bars lock").get(resource) {
            bar.inc(1);
        }
    }

    fn resource_done(&self, resource: &str, tally: &Tally) {
        if let Some(bar) = self.bars.lock().expect("the bars lock").remove(resource) {
            bar.finish_with_message(format!(
                "{} created, {} updated, {} unchanged, {} rejected",
                tally.created, tally.updated, tally.unchanged, tally.rejected
            ));
        }
    }

    fn retrying(&self, source: &Source, reason: &str) {
        let _ = self.all.println(format!("retrying {source}: {reason}"));
    }
}
