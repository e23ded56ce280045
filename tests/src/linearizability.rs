//! A Wing–Gong linearizability checker for the ETag compare-and-set register each item is.
//!
//! Every item is a register whose value is its ETag. A read returns the ETag it saw; a
//! conditional write (`PUT` with `If-Match: expected`) either succeeds, setting a new ETag, or
//! fails with 412, changing nothing. An operation whose answer never came (a timeout) has an
//! unknown outcome: it may have taken effect at any point after it started, or not at all.
//! Items are independent, so each item's history is checked alone (P-compositionality).

use std::collections::HashSet;

/// One operation as a client saw it; times are nanoseconds on one clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub invoke: u64,
    /// `None`: no answer came (timeout, connection lost); the outcome is unknown.
    pub ret: Option<u64>,
    pub kind: OpKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// A GET that answered this ETag.
    Read { saw: String },
    /// A PUT with `If-Match: expected` that, if it took effect, made the ETag `new`.
    Write { expected: String, new: String, outcome: Outcome },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Applied,
    /// 412: nothing changed.
    Refused,
    /// No answer.
    Unknown,
}

/// Checks one item's history from its initial ETag. `Err` explains the first op that no
/// linearization can place.
pub fn check(initial: &str, ops: &[Op]) -> Result<(), String> {
    let mut ops = ops.to_vec();
    ops.sort_by_key(|op| op.invoke);
    let mut search = Search { ops: &ops, seen: HashSet::new(), deepest: 0 };
    let mut done = vec![false; ops.len()];
    if search.step(initial.to_owned(), &mut done, 0) {
        Ok(())
    } else {
        Err(format!(
            "not linearizable: {} of {} operations could be placed; stuck around {:?}",
            search.deepest,
            ops.len(),
            ops.get(search.deepest)
        ))
    }
}

struct Search<'a> {
    ops: &'a [Op],
    /// (which ops are linearized, register value) states already explored.
    seen: HashSet<(Vec<bool>, String)>,
    deepest: usize,
}

impl Search<'_> {
    fn step(&mut self, state: String, done: &mut Vec<bool>, placed: usize) -> bool {
        // Ops that do not change the register (reads, refusals) and can go now are placed at once,
        // without branching: if any linearization exists, one exists with them first. This keeps
        // the search small when many clients read the same version.
        let mut greedy = Vec::new();
        while let Some(i) = self.free_op(&state, done) {
            done[i] = true;
            greedy.push(i);
        }
        let placed = placed + greedy.len();
        let found = self.branch(state, done, placed);
        if !found {
            for i in greedy {
                done[i] = false;
            }
        }
        found
    }

    /// A pending op that may go next, is valid in `state` and leaves it unchanged.
    fn free_op(&self, state: &str, done: &[bool]) -> Option<usize> {
        let horizon = self.horizon(done);
        (0..self.ops.len()).find(|&i| {
            !done[i]
                && horizon.is_none_or(|h| self.ops[i].invoke <= h)
                && preserves_state(&self.ops[i].kind)
                && apply(&self.ops[i].kind, state).is_some()
        })
    }

    /// The earliest return among pending ops that returned: no op invoked later can go next.
    fn horizon(&self, done: &[bool]) -> Option<u64> {
        self.ops.iter().zip(done.iter()).filter(|(_, d)| !**d).filter_map(|(op, _)| op.ret).min()
    }

    fn branch(&mut self, state: String, done: &mut Vec<bool>, placed: usize) -> bool {
        self.deepest = self.deepest.max(placed);
        // Finished when every op that returned is placed; unknown ones may never have happened.
        if self.ops.iter().zip(done.iter()).all(|(op, d)| *d || op.ret.is_none()) {
            return true;
        }
        if !self.seen.insert((done.clone(), state.clone())) {
            return false;
        }
        let horizon = self.horizon(done);
        for i in 0..self.ops.len() {
            if done[i] || horizon.is_some_and(|h| self.ops[i].invoke > h) {
                continue;
            }
            let Some(next) = apply(&self.ops[i].kind, &state) else { continue };
            done[i] = true;
            if self.step(next, done, placed + 1) {
                return true;
            }
            done[i] = false;
        }
        false
    }
}

fn preserves_state(kind: &OpKind) -> bool {
    matches!(kind, OpKind::Read { .. } | OpKind::Write { outcome: Outcome::Refused, .. })
}

/// The register after `kind` from `state`, or `None` if `kind` cannot happen in that state.
fn apply(kind: &OpKind, state: &str) -> Option<String> {
    match kind {
        OpKind::Read { saw } => (saw == state).then(|| state.to_owned()),
        OpKind::Write { expected, new, outcome: Outcome::Applied | Outcome::Unknown } => {
            (expected == state).then(|| new.clone())
        }
        OpKind::Write { expected, outcome: Outcome::Refused, .. } => {
            (expected != state).then(|| state.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(invoke: u64, ret: u64, expected: &str, new: &str, outcome: Outcome) -> Op {
        let ret = (outcome != Outcome::Unknown).then_some(ret);
        Op { invoke, ret, kind: OpKind::Write { expected: expected.into(), new: new.into(), outcome } }
    }

    fn read(invoke: u64, ret: u64, saw: &str) -> Op {
        Op { invoke, ret: Some(ret), kind: OpKind::Read { saw: saw.into() } }
    }

    #[test]
    fn accepts_a_race_with_one_winner() {
        let history = [
            write(0, 10, "a", "b", Outcome::Applied),
            write(1, 9, "a", "c", Outcome::Refused),
            write(2, 11, "a", "d", Outcome::Refused),
            read(12, 13, "b"),
        ];
        assert_eq!(check("a", &history), Ok(()));
    }

    #[test]
    fn rejects_a_lost_update() {
        // Two writers both succeed from the same version: one overwrote the other blindly.
        let history = [write(0, 10, "a", "b", Outcome::Applied), write(1, 11, "a", "c", Outcome::Applied)];
        assert!(check("a", &history).is_err());
    }

    #[test]
    fn rejects_a_stale_read_after_a_completed_write() {
        let history = [write(0, 5, "a", "b", Outcome::Applied), read(6, 7, "a")];
        assert!(check("a", &history).is_err());
        // Overlapping, the read may come first.
        let history = [write(0, 5, "a", "b", Outcome::Applied), read(4, 7, "a")];
        assert_eq!(check("a", &history), Ok(()));
    }

    #[test]
    fn rejects_a_refusal_that_could_not_happen() {
        let history = [write(0, 5, "a", "b", Outcome::Refused)];
        assert!(check("a", &history).is_err(), "a 412 while the ETag matched");
    }

    #[test]
    fn unknown_outcomes_may_or_may_not_have_happened() {
        let applied = [write(0, 0, "a", "b", Outcome::Unknown), read(5, 6, "b")];
        assert_eq!(check("a", &applied), Ok(()));
        let not_applied = [write(0, 0, "a", "b", Outcome::Unknown), read(5, 6, "a")];
        assert_eq!(check("a", &not_applied), Ok(()));
        let impossible = [write(0, 0, "a", "b", Outcome::Unknown), read(5, 6, "c")];
        assert!(check("a", &impossible).is_err());
    }

    #[test]
    fn many_overlapping_readers_check_quickly() {
        // 32 clients all reading the same version while one write per round lands.
        let mut history = Vec::new();
        for version in 0..50u64 {
            let t = version * 1_000;
            let current = format!("v{version}");
            for client in 0..32 {
                history.push(read(t + client, t + 500 + client, &current));
                history.push(write(t + 100 + client, t + 600 + client, &current, "lost", Outcome::Refused));
            }
            history.push(write(t + 90, t + 700, &current, &format!("v{}", version + 1), Outcome::Applied));
        }
        let started = std::time::Instant::now();
        assert_eq!(check("v0", &history), Ok(()));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn a_chain_of_increments_checks_quickly() {
        // 8 clients, 40 rounds each of read then conditional write, overlapping.
        let mut history = Vec::new();
        for version in 0..40u64 {
            let t = version * 100;
            let current = format!("v{version}");
            for client in 0..8 {
                history.push(read(t + client, t + 20 + client, &current));
            }
            history.push(write(t + 30, t + 40, &current, &format!("v{}", version + 1), Outcome::Applied));
            for client in 1..8 {
                history.push(write(t + 30 + client, t + 41 + client, &current, "x", Outcome::Refused));
            }
        }
        assert_eq!(check("v0", &history), Ok(()));
    }
}
