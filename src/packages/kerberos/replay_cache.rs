//! The acceptor's replay cache (RFC 4120 §3.2.3, §10): an authenticator
//! is remembered by a SHA-256 of (client, server, ctime, cusec, the
//! authenticator ciphertext) until its ctime leaves the skew window; the
//! same one seen again is KRB_AP_ERR_REPEAT. Memory is bounded and fixed:
//! an open-addressed table (linear probing within a window of
//! [`MAX_PROBE`] slots) allocated and written once, so a server's memory
//! does not grow with the handshakes it accepts. An expired entry's slot is
//! reused; a window still full of live entries refuses the new one
//! (`SEC_E_INSUFFICIENT_MEMORY`) rather than forgetting a live one, which
//! would open a replay window. Each check costs one hash and at most
//! [`MAX_PROBE`] slot reads, whatever the number of entries.

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::sspi::status::SecStatus;

/// Entries kept at most by [`ReplayCache::global`].
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Slots looked at from an entry's home slot. With the table at twice the
/// capacity (load ≤ 0.5), a run of this many live slots is improbable
/// before the cache holds `capacity` live entries.
pub const MAX_PROBE: usize = 64;

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

/// One slot: 128 bits of the key's SHA-256 and the expiry (seconds since
/// the epoch); `expiry == NEVER_USED` marks a slot never written, which
/// ends a probe.
#[derive(Clone, Copy)]
struct Slot {
    hash: [u8; 16],
    expiry: i64,
}

const NEVER_USED: i64 = i64::MIN;
const EMPTY: Slot = Slot {
    hash: [0; 16],
    expiry: NEVER_USED,
};

struct Inner {
    slots: Vec<Slot>,
    /// The latest `now` seen, for [`ReplayCache::len`].
    last_now: i64,
}

/// A bounded, expiring set of seen authenticators.
pub struct ReplayCache {
    window: usize,
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
    fn hash(&self) -> [u8; 16] {
        let mut h = Sha256::new();
        for s in [self.client.as_bytes(), self.server.as_bytes()] {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s);
        }
        h.update(self.ctime.to_le_bytes());
        h.update(self.cusec.to_le_bytes());
        h.update(self.authenticator);
        let full: [u8; 32] = h.finalize().into();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }
}

/// Where a hash's probe starts in a table of `len` slots.
fn home_slot(hash: &[u8; 16], len: usize) -> usize {
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    (u64::from_le_bytes(first) % len as u64) as usize
}

impl ReplayCache {
    /// A cache for `capacity` live entries. Small capacities get exactly
    /// `capacity` slots, all probed; larger ones twice as many slots
    /// (rounded up to a power of two), probed [`MAX_PROBE`] at a time.
    pub fn new(capacity: usize) -> ReplayCache {
        let capacity = capacity.max(1);
        let (len, window) = if capacity <= MAX_PROBE {
            (capacity, capacity)
        } else {
            ((capacity * 2).next_power_of_two(), MAX_PROBE)
        };
        ReplayCache {
            window,
            // Written in full now (EMPTY is not all zero bytes, so this is no
            // lazily mapped calloc): the memory is committed once.
            inner: Mutex::new(Inner {
                slots: vec![EMPTY; len],
                last_now: NEVER_USED,
            }),
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
        g.last_now = g.last_now.max(now);
        let len = g.slots.len();
        let home = home_slot(&hash, len);
        // The whole chain is read before a slot is chosen: the same key may
        // sit past an expired slot. A never-used slot ends the chain (slots
        // never return to that state).
        let mut free = None;
        for i in 0..self.window {
            let idx = (home + i) % len;
            let s = g.slots[idx];
            if s.expiry == NEVER_USED {
                free.get_or_insert(idx);
                break;
            }
            if s.expiry < now {
                free.get_or_insert(idx);
            } else if s.hash == hash {
                return Err(ReplayError::Repeat);
            }
        }
        let idx = free.ok_or(ReplayError::Full)?;
        g.slots[idx] = Slot { hash, expiry };
        Ok(())
    }

    /// Live entries at the latest time seen (tests, diagnostics).
    pub fn len(&self) -> usize {
        let g = self.inner.lock();
        g.slots
            .iter()
            .filter(|s| s.expiry != NEVER_USED && s.expiry >= g.last_now)
            .count()
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

    /// A live entry stored past a slot that has since expired is still
    /// found: the chain is read to its end before an expired slot is reused.
    #[test]
    fn a_repeat_is_found_behind_an_expired_slot() {
        let c = ReplayCache::new(8);
        let len = c.inner.lock().slots.len();
        let live = key(1500, b"live");
        let home = home_slot(&live.hash(), len);
        // An entry expiring sooner that takes "live"'s home slot first.
        let filler: Vec<u8> = (0..=u8::MAX)
            .map(|i| vec![i])
            .find(|a| home_slot(&key(1000, a).hash(), len) == home)
            .unwrap();
        c.check_and_insert(&key(1000, &filler), 1000, 300).unwrap();
        c.check_and_insert(&live, 1000, 300).unwrap();
        // At 1400 the filler (1300) has expired, "live" (1800) has not.
        assert_eq!(
            c.check_and_insert(&live, 1400, 300),
            Err(ReplayError::Repeat)
        );
        assert_eq!(c.len(), 1);
    }

    /// Slots of expired entries are reused: a server accepting far more
    /// authenticators than the capacity over time keeps accepting them, in
    /// the same memory, and still catches each repeat.
    #[test]
    fn expired_slots_are_reused_over_time() {
        let c = ReplayCache::new(1000);
        let slots = c.inner.lock().slots.len();
        for round in 0..20i64 {
            let now = 1000 + round * 400; // each round's entries expire before the next
            for i in 0..900u32 {
                let auth = i.to_le_bytes();
                assert_eq!(c.check_and_insert(&key(now, &auth), now, 300), Ok(()));
                assert_eq!(
                    c.check_and_insert(&key(now, &auth), now, 300),
                    Err(ReplayError::Repeat)
                );
            }
        }
        assert_eq!(c.inner.lock().slots.len(), slots);
        assert_eq!(c.len(), 900);
    }
}
