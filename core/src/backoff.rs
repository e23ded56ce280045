//! Failed token requests per client key: after [`MAX_FAILURES`] within [`WINDOW_SECONDS`] the key
//! is refused until its window ends, so a secret cannot be guessed at the rate requests arrive.
//! Pure: the caller passes the time and keeps the value (the client directory, in memory).

use std::collections::HashMap;

/// Failed requests a key may make in one window before it is refused.
pub const MAX_FAILURES: u32 = 5;
/// A window starts at a key's first failure after the previous window ended.
pub const WINDOW_SECONDS: i64 = 60;
/// Keys remembered at once. Keys are at most `auth::MAX_CREDENTIAL_BYTES`, so this bounds memory
/// to a few megabytes however many different keys an attacker sends.
pub const MAX_TRACKED_KEYS: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    started: i64,
    failures: u32,
}

impl Window {
    fn ends(&self) -> i64 {
        self.started + WINDOW_SECONDS
    }
}

/// The failure windows of the keys that failed recently.
#[derive(Debug, Default)]
pub struct FailedLogins {
    by_key: HashMap<String, Window>,
}

impl FailedLogins {
    /// `Err(seconds to wait)` while `key` has used up its failures in the current window.
    pub fn check(&self, key: &str, now: i64) -> Result<(), i64> {
        match self.by_key.get(key) {
            Some(window) if now < window.ends() && window.failures >= MAX_FAILURES => {
                Err(window.ends() - now)
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed request for `key`, starting a new window if its last one has ended.
    pub fn record_failure(&mut self, key: &str, now: i64) {
        if let Some(window) = self.by_key.get_mut(key) {
            if now < window.ends() {
                window.failures += 1;
            } else {
                *window = Window { started: now, failures: 1 };
            }
            return;
        }
        if self.by_key.len() >= MAX_TRACKED_KEYS {
            self.by_key.retain(|_, window| now < window.ends());
        }
        if self.by_key.len() >= MAX_TRACKED_KEYS {
            // Still full of live windows: the oldest is the nearest to ending anyway.
            let oldest = self.by_key.iter().min_by_key(|(_, w)| w.started).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.by_key.remove(&oldest);
            }
        }
        self.by_key.insert(key.to_owned(), Window { started: now, failures: 1 });
    }

    /// A successful request clears `key`'s failures (and no other key's).
    pub fn record_success(&mut self, key: &str) {
        self.by_key.remove(key);
    }

    /// How many keys are remembered.
    pub fn tracked(&self) -> usize {
        self.by_key.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(logins: &mut FailedLogins, key: &str, times: u32, now: i64) {
        for _ in 0..times {
            logins.record_failure(key, now);
        }
    }

    #[test]
    fn a_key_is_refused_after_too_many_failures_until_its_window_ends() {
        let mut logins = FailedLogins::default();
        failed(&mut logins, "k", MAX_FAILURES - 1, 1000);
        assert_eq!(logins.check("k", 1000), Ok(()), "below the limit a key may try again");
        logins.record_failure("k", 1010);
        assert_eq!(
            logins.check("k", 1010),
            Err(50),
            "the wait runs to the end of the first failure's window"
        );
        assert_eq!(logins.check("k", 1059), Err(1));
        assert_eq!(logins.check("k", 1060), Ok(()), "the window has passed");
        logins.record_failure("k", 1060);
        assert_eq!(logins.check("k", 1060), Ok(()), "a failure after the window starts a new count");
    }

    #[test]
    fn keys_are_counted_apart_and_success_clears_only_its_own_key() {
        let mut logins = FailedLogins::default();
        failed(&mut logins, "a", MAX_FAILURES, 0);
        failed(&mut logins, "b", MAX_FAILURES - 1, 0);
        assert!(logins.check("a", 1).is_err());
        assert_eq!(logins.check("b", 1), Ok(()));
        logins.record_success("b");
        assert!(logins.check("a", 1).is_err(), "another key's success does not reset this key");
        failed(&mut logins, "b", MAX_FAILURES - 1, 2);
        assert_eq!(logins.check("b", 2), Ok(()), "its own success reset b's count");
    }

    #[test]
    fn memory_stays_bounded_and_ended_windows_go_first() {
        let mut logins = FailedLogins::default();
        failed(&mut logins, "blocked", MAX_FAILURES, 100);
        for i in 0..MAX_TRACKED_KEYS - 1 {
            logins.record_failure(&format!("old-{i}"), 0);
        }
        assert_eq!(logins.tracked(), MAX_TRACKED_KEYS);
        logins.record_failure("new", 70);
        assert_eq!(logins.tracked(), 2, "the ended windows were dropped");
        assert!(logins.check("blocked", 70).is_err(), "a live window is kept");
        for i in 0..MAX_TRACKED_KEYS {
            logins.record_failure(&format!("live-{i}"), 150);
        }
        assert_eq!(logins.tracked(), MAX_TRACKED_KEYS, "never more than the bound");
    }
}
