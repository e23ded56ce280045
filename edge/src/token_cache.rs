//! The isolate's memory of recent token grants, so a client's repeated token requests need not all
//! reach the one `ClientDirectory`. Only what the directory granted is kept, with the salted hash
//! that checks the secret, for [`TTL_SECONDS`] from the request that asked for it. A cached key
//! with the right secret is answered here; anything else (a miss, a wrong secret, an expired grant)
//! goes to the directory, which keeps the failure back-off. A wrong secret, a refusal or a 429
//! forgets the key, so each grant cached in an isolate lets at most one secret be checked without
//! the back-off. Pure: the caller passes the time and keeps the value (one per isolate).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use edfi_core::auth::{verify_secret, Credentials};

/// How long a grant is used without asking the directory. It bounds how long an isolate that
/// cached a client's grant may still issue it tokens after the client was revoked.
pub const TTL_SECONDS: i64 = 60;
/// Grants kept at once. Only keys the directory granted enter, so an attacker cannot fill it with
/// made-up keys; each entry is well under a kilobyte.
pub const MAX_ENTRIES: usize = 4_096;

/// What checks a presented secret: the client's salt and salted hash (`auth::hash_secret`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifier {
    pub salt: String,
    pub secret_hash: String,
}

#[derive(Debug)]
struct Entry<G> {
    verifier: Verifier,
    grant: G,
    expires: i64,
}

/// The grants one isolate has seen, by client key. `G` is whatever the directory grants.
#[derive(Debug)]
pub struct TokenCache<G> {
    entries: HashMap<String, Entry<G>>,
    /// Counts every key forgotten; a grant asked for before the latest one is not cached.
    forgotten: u64,
}

impl<G> Default for TokenCache<G> {
    fn default() -> Self {
        Self { entries: HashMap::new(), forgotten: 0 }
    }
}

/// A request that has to ask the directory: [`TokenCache::granted`] caches its answer only if no
/// key was forgotten since it began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    forgotten: u64,
    started: i64,
}

/// What the cache says about a token request.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<G> {
    /// Granted again, without the directory.
    Hit(G),
    /// Ask the directory, and tell the cache what it answered.
    Ask(Ticket),
}

impl<G: Clone> TokenCache<G> {
    /// A cached, unexpired grant whose secret verifies (in constant time) is a hit. A cached key
    /// with another secret is forgotten at once, before the directory is asked, so requests that
    /// arrive meanwhile meet the directory's back-off too.
    pub fn lookup(&mut self, credentials: &Credentials, now: i64) -> Lookup<G> {
        let key = credentials.client_id.as_str();
        if let Some(entry) = self.entries.get(key) {
            if now >= entry.expires {
                self.entries.remove(key);
            } else if verify_secret(
                entry.verifier.salt.as_bytes(),
                &credentials.client_secret,
                &entry.verifier.secret_hash,
            ) {
                return Lookup::Hit(entry.grant.clone());
            } else {
                self.forget(key);
            }
        }
        Lookup::Ask(Ticket { forgotten: self.forgotten, started: now })
    }

    /// The directory granted the request of `ticket`: its grant is used until [`TTL_SECONDS`]
    /// after that request began, unless a key was forgotten meanwhile (the directory's answer may
    /// predate a revocation or a failure that locked the key since).
    pub fn granted(&mut self, key: &str, verifier: Verifier, grant: G, ticket: Ticket, now: i64) {
        if ticket.forgotten != self.forgotten {
            return;
        }
        if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(key) {
            self.entries.retain(|_, entry| now < entry.expires);
            if self.entries.len() >= MAX_ENTRIES {
                // All still live: the one nearest its end loses the least.
                let soonest = self.entries.iter().min_by_key(|(_, e)| e.expires).map(|(k, _)| k.clone());
                if let Some(soonest) = soonest {
                    self.entries.remove(&soonest);
                }
            }
        }
        let entry = Entry { verifier, grant, expires: ticket.started + TTL_SECONDS };
        self.entries.insert(key.to_owned(), entry);
    }

    /// Drops `key`'s grant: the directory refused it or answered 429, or the client was revoked.
    pub fn forget(&mut self, key: &str) {
        self.entries.remove(key);
        self.forgotten += 1;
    }

    /// How many grants are kept.
    #[cfg(test)]
    pub fn kept(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edfi_core::auth::hash_secret;

    const SALT: &str = "0123456789abcdef0123456789abcdef";

    fn credentials(key: &str, secret: &str) -> Credentials {
        Credentials { client_id: key.into(), client_secret: secret.into() }
    }

    fn verifier(secret: &str) -> Verifier {
        Verifier { salt: SALT.into(), secret_hash: hash_secret(SALT.as_bytes(), secret) }
    }

    fn ticket(cache: &mut TokenCache<&'static str>, key: &str, now: i64) -> Ticket {
        match cache.lookup(&credentials(key, "right"), now) {
            Lookup::Ask(ticket) => ticket,
            Lookup::Hit(_) => panic!("{key} was cached already"),
        }
    }

    /// A cache holding `key`'s grant, asked for at `now`.
    fn filled(key: &str, now: i64) -> TokenCache<&'static str> {
        let mut cache = TokenCache::default();
        let ticket = ticket(&mut cache, key, now);
        cache.granted(key, verifier("right"), "district-a", ticket, now);
        cache
    }

    #[test]
    fn a_granted_key_with_its_secret_is_a_hit_and_anything_else_asks_the_directory() {
        let mut cache = filled("k", 100);
        assert_eq!(cache.lookup(&credentials("k", "right"), 101), Lookup::Hit("district-a"));
        assert_eq!(cache.lookup(&credentials("k", "right"), 102), Lookup::Hit("district-a"), "again");
        assert!(matches!(cache.lookup(&credentials("other", "right"), 102), Lookup::Ask(_)), "a miss");
        assert!(matches!(cache.lookup(&credentials("k", "right "), 102), Lookup::Ask(_)), "a wrong secret");
    }

    #[test]
    fn a_wrong_secret_forgets_the_key_so_the_next_guess_meets_the_back_off() {
        let mut cache = filled("k", 100);
        assert!(matches!(cache.lookup(&credentials("k", "guess"), 101), Lookup::Ask(_)));
        assert_eq!(cache.kept(), 0, "forgotten before the directory answers");
        assert!(
            matches!(cache.lookup(&credentials("k", "right"), 101), Lookup::Ask(_)),
            "even the right secret now goes to the directory, which may answer 429"
        );
    }

    #[test]
    fn a_grant_expires_ttl_after_the_request_that_asked_for_it_and_hits_do_not_extend_it() {
        let mut cache = TokenCache::default();
        let asked = ticket(&mut cache, "k", 100);
        // The directory's answer arrived 30 s later: the grant still ends at 100 + TTL.
        cache.granted("k", verifier("right"), "district-a", asked, 130);
        for now in [130, 150, 100 + TTL_SECONDS - 1] {
            assert_eq!(cache.lookup(&credentials("k", "right"), now), Lookup::Hit("district-a"), "{now}");
        }
        assert!(matches!(cache.lookup(&credentials("k", "right"), 100 + TTL_SECONDS), Lookup::Ask(_)));
        assert_eq!(cache.kept(), 0, "the expired grant is dropped");
    }

    #[test]
    fn a_refusal_or_429_forgets_the_key() {
        let mut cache = filled("k", 100);
        let mut other = filled("other", 100);
        cache.forget("k");
        other.forget("k");
        assert!(matches!(cache.lookup(&credentials("k", "right"), 101), Lookup::Ask(_)));
        assert_eq!(other.lookup(&credentials("other", "right"), 101), Lookup::Hit("district-a"));
    }

    #[test]
    fn a_grant_asked_for_before_a_key_was_forgotten_is_not_cached() {
        let mut cache = TokenCache::default();
        let asked = ticket(&mut cache, "k", 100);
        // Meanwhile a failure (or a revocation) made this isolate forget a key.
        cache.forget("k");
        cache.granted("k", verifier("right"), "district-a", asked, 101);
        assert!(matches!(cache.lookup(&credentials("k", "right"), 101), Lookup::Ask(_)));
        let asked = ticket(&mut cache, "k", 102);
        cache.granted("k", verifier("right"), "district-a", asked, 102);
        assert_eq!(
            cache.lookup(&credentials("k", "right"), 103),
            Lookup::Hit("district-a"),
            "a later one is"
        );
    }

    #[test]
    fn at_most_max_entries_are_kept_and_expired_or_oldest_grants_go_first() {
        let mut cache = TokenCache::default();
        let fill = |cache: &mut TokenCache<&'static str>, key: &str, now: i64| {
            let asked = ticket(cache, key, now);
            cache.granted(key, verifier("right"), "district-a", asked, now);
        };
        fill(&mut cache, "oldest", 0);
        for i in 1..MAX_ENTRIES {
            fill(&mut cache, &format!("k{i}"), 10);
        }
        assert_eq!(cache.kept(), MAX_ENTRIES);
        fill(&mut cache, "new", 20);
        assert_eq!(cache.kept(), MAX_ENTRIES, "never more than the bound");
        assert!(matches!(cache.lookup(&credentials("oldest", "right"), 20), Lookup::Ask(_)), "it went");
        assert_eq!(cache.lookup(&credentials("new", "right"), 20), Lookup::Hit("district-a"));
        fill(&mut cache, "later", 10 + TTL_SECONDS);
        assert_eq!(cache.kept(), 2, "the expired grants were dropped together");
    }
}
