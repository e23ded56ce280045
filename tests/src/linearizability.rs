//! A Wing–Gong linearizability checker for the ETag compare-and-set register each item is.
//!
//! Every item is a register whose value is its ETag. A read returns the ETag it saw; a
//! conditional write (`PUT` with `If-Match: expected`) is a strict compare-and-set: it succeeds,
//! setting a new ETag, only if the current ETag is `expected`, and fails with 412, changing
//! nothing, only if the current ETag is not `expected`. Nothing else is allowed: a 2xx whose
//! `expected` is stale is a lost update even when its `new` equals the current ETag (the
//! contract's withdrawn "already applied" rule), because two clients that read the same version
//! and both write the same next value would then both succeed while only one change is stored.
//! An operation whose answer never came (a timeout) has an unknown outcome: it may have taken
//! effect at any point after it started, or not at all.
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
    check_counting_states(initial, ops).0
}

/// [`check`], with the number of search states it explored: a machine-independent measure of its
/// effort, so tests can pin that a history shape stays cheap without timing anything.
pub fn check_counting_states(initial: &str, ops: &[Op]) -> (Result<(), String>, usize) {
    let mut ops = ops.to_vec();
    ops.sort_by_key(|op| op.invoke);
    let mut search = Search { ops: &ops, seen: HashSet::new(), deepest: 0 };
    let mut done = vec![false; ops.len()];
    let result = if search.step(initial.to_owned(), &mut done, 0) {
        Ok(())
    } else {
        Err(format!(
            "not linearizable: {} of {} operations could be placed; stuck around {:?}",
            search.deepest,
            ops.len(),
            ops.get(search.deepest)
        ))
    };
    (result, search.seen.len())
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
/// Strict compare-and-set: a write takes effect only if `expected` is the current ETag, whatever
/// its `new`, and is refused only if it is not.
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

    /// The model the checker had to reject: the contract's withdrawn "already applied" rule, under
    /// which a write with a stale `If-Match` also succeeds, changing nothing, when its content (so
    /// its ETag `new`) equals the current one.
    fn apply_with_already_applied(kind: &OpKind, state: &str) -> Option<String> {
        match kind {
            OpKind::Write { expected, new, outcome: Outcome::Applied | Outcome::Unknown }
                if expected != state && new == state =>
            {
                Some(state.to_owned())
            }
            OpKind::Write { expected, new, outcome: Outcome::Refused }
                if expected != state && new == state =>
            {
                None
            }
            _ => apply(kind, state),
        }
    }

    /// A checker without any of `check`'s tricks (no greedy placement, no memo, no horizon): every
    /// order of the ops that respects real time (`a` before `b` when `a` returned before `b` was
    /// invoked), each op valid in the state it meets under `model`; ops with an unknown outcome may
    /// be left out. Exponential, for histories of a few ops.
    fn brute_force(model: fn(&OpKind, &str) -> Option<String>, initial: &str, ops: &[Op]) -> bool {
        fn go(
            model: fn(&OpKind, &str) -> Option<String>,
            state: &str,
            ops: &[Op],
            done: &mut [bool],
        ) -> bool {
            if ops.iter().zip(done.iter()).all(|(op, d)| *d || op.ret.is_none()) {
                return true;
            }
            for i in 0..ops.len() {
                let must_wait = (0..ops.len())
                    .any(|j| !done[j] && j != i && ops[j].ret.is_some_and(|ret| ret < ops[i].invoke));
                if done[i] || must_wait {
                    continue;
                }
                let Some(next) = model(&ops[i].kind, state) else { continue };
                done[i] = true;
                let found = go(model, &next, ops, done);
                done[i] = false;
                if found {
                    return true;
                }
            }
            false
        }
        go(model, initial, ops, &mut vec![false; ops.len()])
    }

    #[test]
    fn rejects_two_successful_writes_from_one_etag_even_with_identical_content() {
        // Two clients read "a" and both write the same next value "b" with `If-Match: "a"`; both are
        // told 204, but only one change is stored: one increment is lost. Under the old
        // "already applied" rule (a stale If-Match with content equal to the stored one answers
        // 204) this history was valid -- the second write found "b" and "changed nothing" -- so a
        // checker that still allowed it would accept this history; the strict one must not.
        let concurrent = [write(0, 10, "a", "b", Outcome::Applied), write(1, 11, "a", "b", Outcome::Applied)];
        let sequential =
            [write(0, 10, "a", "b", Outcome::Applied), write(20, 30, "a", "b", Outcome::Applied)];
        for history in [&concurrent, &sequential] {
            assert!(check("a", history).is_err(), "{history:?}");
            assert!(!brute_force(apply, "a", history), "{history:?}");
            assert!(
                brute_force(apply_with_already_applied, "a", history),
                "the old model accepts {history:?}, so this test tells the two apart"
            );
        }
        // Under the strict rule the second of them must be refused, and that is valid.
        let refused = [write(0, 10, "a", "b", Outcome::Applied), write(1, 11, "a", "b", Outcome::Refused)];
        assert_eq!(check("a", &refused), Ok(()));
        let retried = [write(0, 10, "a", "b", Outcome::Applied), write(20, 30, "a", "b", Outcome::Refused)];
        assert_eq!(check("a", &retried), Ok(()));
        assert!(!brute_force(apply_with_already_applied, "a", &retried), "the old model wanted a 204");
    }

    #[test]
    fn rejects_a_refusal_whose_if_match_was_current() {
        // Nothing else in the history could have changed the register before the 412.
        let alone = [write(0, 5, "a", "b", Outcome::Refused)];
        let after_a_read = [read(0, 2, "a"), write(3, 5, "a", "b", Outcome::Refused), read(6, 7, "a")];
        let after_a_chain = [
            write(0, 2, "a", "b", Outcome::Applied),
            write(3, 5, "b", "c", Outcome::Applied),
            write(6, 8, "c", "d", Outcome::Refused),
        ];
        // The only write that overlaps it was refused too, so it changed nothing either.
        let beside_a_refusal =
            [write(0, 5, "a", "b", Outcome::Refused), write(1, 6, "x", "c", Outcome::Refused)];
        for (initial, history) in
            [("a", &alone[..]), ("a", &after_a_read), ("a", &after_a_chain), ("a", &beside_a_refusal)]
        {
            assert!(check(initial, history).is_err(), "{history:?}");
            assert!(!brute_force(apply, initial, history), "{history:?}");
        }
        // The same refusal is valid once an overlapping write may have moved the register.
        let overlapped = [write(0, 10, "a", "b", Outcome::Applied), write(1, 9, "a", "c", Outcome::Refused)];
        assert_eq!(check("a", &overlapped), Ok(()));
        let maybe_moved = [write(0, 0, "a", "b", Outcome::Unknown), write(5, 9, "a", "c", Outcome::Refused)];
        assert_eq!(check("a", &maybe_moved), Ok(()));
    }

    #[test]
    fn accepts_a_sequential_chain_and_rejects_a_broken_one() {
        let chain = [
            read(0, 1, "a"),
            write(2, 3, "a", "b", Outcome::Applied),
            read(4, 5, "b"),
            write(6, 7, "b", "c", Outcome::Applied),
            write(8, 9, "b", "x", Outcome::Refused),
            write(10, 11, "c", "d", Outcome::Applied),
            read(12, 13, "d"),
        ];
        assert_eq!(check("a", &chain), Ok(()));
        // A write that leaves the content as it is, with a current If-Match, is a valid no-op.
        let unchanged = [write(0, 1, "a", "a", Outcome::Applied), read(2, 3, "a")];
        assert_eq!(check("a", &unchanged), Ok(()));
        // The same chain with one write out of order: "c" was written from "b" before "b" existed.
        let broken = [write(0, 1, "b", "c", Outcome::Applied), write(2, 3, "a", "b", Outcome::Applied)];
        assert!(check("a", &broken).is_err());
    }

    #[test]
    fn unknown_writes_are_placed_or_dropped_as_the_rest_requires() {
        // A timed-out increment that happened: a later write builds on it.
        let placed = [
            write(0, 0, "a", "b", Outcome::Unknown),
            write(10, 12, "b", "c", Outcome::Applied),
            write(11, 13, "a", "x", Outcome::Refused),
        ];
        assert_eq!(check("a", &placed), Ok(()));
        // A timed-out increment that never happened: the winner wrote from the old version.
        let dropped = [write(0, 0, "a", "b", Outcome::Unknown), write(10, 12, "a", "c", Outcome::Applied)];
        assert_eq!(check("a", &dropped), Ok(()));
        // An unknown write still obeys compare-and-set: from a stale tag it cannot explain "b".
        let stale = [
            write(0, 2, "a", "c", Outcome::Applied),
            write(3, 0, "a", "b", Outcome::Unknown),
            read(10, 11, "b"),
        ];
        assert!(check("a", &stale).is_err());
    }

    #[test]
    fn agrees_with_a_brute_force_search_on_small_random_histories() {
        // Histories of up to 8 ops on 4 values, recorded from a simulated register (so many are
        // linearizable) and then, half of the time, falsified in one place. Values repeat, so
        // identical content, refusals of current tags and ETags that come back all occur.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut below = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let values = ["a", "b", "c", "d"];
        let (mut accepted, mut rejected) = (0, 0);
        for _ in 0..4_000 {
            let count = 1 + below(8) as usize;
            let mut ops: Vec<(u64, Op)> = (0..count)
                .map(|_| {
                    let invoke = below(60);
                    let ret = invoke + 1 + below(25);
                    let point = invoke + below(ret - invoke + 1);
                    (point, Op { invoke, ret: Some(ret), kind: OpKind::Read { saw: String::new() } })
                })
                .collect();
            ops.sort_by_key(|(point, _)| *point);
            let mut state = "a".to_owned();
            for (_, op) in &mut ops {
                let value = |i: u64| values[i as usize].to_owned();
                if below(3) == 0 {
                    op.kind = OpKind::Read { saw: state.clone() };
                    continue;
                }
                let expected = if below(2) == 0 { state.clone() } else { value(below(4)) };
                let new = value(below(4));
                let outcome = if below(6) == 0 {
                    op.ret = None;
                    Outcome::Unknown
                } else if expected == state {
                    Outcome::Applied
                } else {
                    Outcome::Refused
                };
                // An unknown write whose If-Match was current took effect half of the time.
                if expected == state && (outcome == Outcome::Applied || below(2) == 0) {
                    state = new.clone();
                }
                op.kind = OpKind::Write { expected, new, outcome };
            }
            let mut ops: Vec<Op> = ops.into_iter().map(|(_, op)| op).collect();
            if below(2) == 0 {
                let i = below(count as u64) as usize;
                let other = values[below(4) as usize].to_owned();
                match &mut ops[i].kind {
                    OpKind::Read { saw } => *saw = other,
                    OpKind::Write { outcome: outcome @ Outcome::Applied, .. } => *outcome = Outcome::Refused,
                    OpKind::Write { outcome: outcome @ Outcome::Refused, .. } => *outcome = Outcome::Applied,
                    OpKind::Write { expected, .. } => *expected = other,
                }
            }
            let fast = check("a", &ops).is_ok();
            assert_eq!(fast, brute_force(apply, "a", &ops), "{ops:?}");
            if fast {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
        assert!(accepted > 500 && rejected > 500, "{accepted} accepted, {rejected} rejected");
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
        let (result, states) = check_counting_states("v0", &history);
        assert_eq!(result, Ok(()));
        // Reads and refusals are placed without branching, so the search visits about one state
        // per applied write, not one per interleaving of 64 overlapping operations.
        assert!(states <= 2 * 50, "{states} states for {} operations", history.len());
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
