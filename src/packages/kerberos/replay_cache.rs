//! The acceptor's replay cache (RFC 4120 §3.2.3, §10): an authenticator
//! is remembered by a SHA-256 of (client, server, ctime, cusec, the
//! authenticator ciphertext) until its ctime leaves the skew window; the
//! same one seen again is KRB_AP_ERR_REPEAT. Memory is bounded: expired
//! entries go first, and a cache still full refuses new entries
//! (`SEC_E_INSUFFICIENT_MEMORY`) rather than forgetting live ones, which
//! would open a replay window.

use std::collections::{BTreeMap, VecDeque};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::sspi::status::SecStatus;

/// Entries kept at most by [`ReplayCache::global`].
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Why an authenticator was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayError {
    /// Seen before (KRB_AP_ERR_REPEAT).
    Repeat,
    /// The cache is full of live entries.
    Full,
}

impl From<ReplayError> for SecStatus {
    fn from(e: ReplayError) -> Self {
        match e {
            ReplayError::Repeat => SecStatus::InvalidToken,
            ReplayError::Full => SecStatus::InsufficientMemory,
        }
    }
}

#[derive(Default)]
struct Inner {
    /// Hash → expiry (seconds since the epoch). A BTreeMap, not a
    /// HashMap: the process-wide cache lives until exit, and a hash
    /// table's interior pointer makes valgrind report it "possibly lost".
    entries: BTreeMap<[u8; 32], i64>,
    /// (expiry, hash) in insertion order, for purging.
    order: VecDeque<(i64, [u8; 32])>,
}

/// A bounded, expiring set of seen authenticators.
pub struct ReplayCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

/// What identifies one authenticator.
pub struct ReplayKey<'a> {
    pub client: &'a str,
    pub server: &'a str,
    pub ctime: i64,
    pub cusec: u32,
    /// The authenticator's ciphertext as received.
    pub authenticator: &'a [u8],
}

impl ReplayKey<'_> {
    fn hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        for s in [self.client.as_bytes(), self.server.as_bytes()] {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s);
        }
        h.update(self.ctime.to_le_bytes());
        h.update(self.cusec.to_le_bytes());
        h.update(self.authenticator);
        h.finalize().into()
    }
}

impl ReplayCache {
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The process's cache, shared by every acceptor context.
    pub fn global() -> &'static ReplayCache {
        static CACHE: once_cell::sync::Lazy<ReplayCache> =
            once_cell::sync::Lazy::new(|| ReplayCache::new(DEFAULT_CAPACITY));
        &CACHE
    }

    /// Records `key` as seen at `now` (seconds), kept until its ctime plus
    /// `skew`; [`ReplayError::Repeat`] when it is already there.
    pub fn check_and_insert(
        &self,
        key: &ReplayKey,
        now: i64,
        skew: i64,
    ) -> Result<(), ReplayError> {
        let hash = key.hash();
        let expiry = key.ctime.saturating_add(skew).max(now);
        let mut g = self.inner.lock();
        if let Some(exp) = g.entries.get(&hash) {
            if *exp >= now {
                return Err(ReplayError::Repeat);
            }
        }
        Self::purge(&mut g, now);
        if g.entries.len() >= self.capacity {
            return Err(ReplayError::Full);
        }
        g.entries.insert(hash, expiry);
        g.order.push_back((expiry, hash));
        Ok(())
    }

    /// Drops every expired entry.
    fn purge(g: &mut Inner, now: i64) {
        let before = g.order.len();
        let Inner { entries, order } = g;
        order.retain(|(exp, hash)| {
            let live = *exp >= now;
            if !live && entries.get(hash) == Some(exp) {
                entries.remove(hash);
            }
            live
        });
        if order.len() != before {
            order.shrink_to(order.len().max(16));
        }
    }

    /// Live entries (tests, diagnostics).
    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ctime: i64, auth: &[u8]) -> ReplayKey<'_> {
        ReplayKey {
            client: "alice@EXAMPLE.TEST",
            server: "host/localhost@EXAMPLE.TEST",
            ctime,
            cusec: 5,
            authenticator: auth,
        }
    }

    #[test]
    fn second_sighting_is_a_repeat() {
        let c = ReplayCache::new(10);
        assert_eq!(c.check_and_insert(&key(1000, b"a"), 1000, 300), Ok(()));
        assert_eq!(
            c.check_and_insert(&key(1000, b"a"), 1001, 300),
            Err(ReplayError::Repeat)
        );
        assert_eq!(c.check_and_insert(&key(1000, b"b"), 1001, 300), Ok(()));
    }

    #[test]
    fn entries_expire_with_the_skew_window() {
        let c = ReplayCache::new(2);
        c.check_and_insert(&key(1000, b"a"), 1000, 300).unwrap();
        c.check_and_insert(&key(1000, b"b"), 1000, 300).unwrap();
        // Full of live entries: refused, never forgotten.
        assert_eq!(
            c.check_and_insert(&key(1000, b"c"), 1100, 300),
            Err(ReplayError::Full)
        );
        assert_eq!(
            c.check_and_insert(&key(1000, b"a"), 1100, 300),
            Err(ReplayError::Repeat)
        );
        // Past ctime + skew both are purged and room is made.
        assert_eq!(c.check_and_insert(&key(1400, b"c"), 1301, 300), Ok(()));
        assert_eq!(c.len(), 1);
    }
}
