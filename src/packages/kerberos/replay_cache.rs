//! The acceptor's replay cache (RFC 4120 §3.2.3, §10): an authenticator
//! is remembered until its ctime leaves the skew window (ctime + skew: a
//! later replay fails the skew check), and the same one seen again is
//! KRB_AP_ERR_REPEAT.
//!
//! An entry is 16 bytes: 96 bits of an HMAC-SHA-256, under a key drawn
//! per process, of (client, server, ctime, cusec, the authenticator
//! ciphertext) — the identity RFC 4120 names plus the ciphertext, as MIT's
//! rcache hashes it, so two clients' authenticators of the same microsecond
//! are told apart — and the expiry in seconds. A replay has the same hash,
//! so it is always found while its entry lives (no false accept); a
//! different authenticator is refused only on a 96-bit collision of a keyed
//! hash.
//!
//! The cache is split in [`SHARDS`] shards, each under its own lock (two
//! threads rarely meet), each an open-addressed table probed linearly over
//! at most [`MAX_PROBE`] slots. A shard grows on demand (doubling, expired
//! entries dropped) up to its share of the bound, and shrinks again when
//! its entries expire. An expired slot is reused in place; a shard whose
//! window is full of live entries at its largest size refuses the new one
//! (`SEC_E_INSUFFICIENT_MEMORY`) rather than forgetting a live one, which
//! would open a replay window. The bound is `OPENSSPI_KRB5_RCACHE_MAX`
//! entries ([`DEFAULT_MAX_ENTRIES`]): at most 32 bytes of table per entry
//! (load ≤ 1/2 at the largest size, rounded up to a power of two per shard).
//! The process's cache starts with room for [`GLOBAL_INITIAL_ENTRIES`]
//! (4 MiB, written once) and never shrinks below it, so a server's memory
//! moves only when its rate times the skew exceeds that.

use hmac::{Hmac, KeyInit, Mac};
use parking_lot::Mutex;
use sha2::Sha256;

use crate::sspi::status::SecStatus;

/// Entries [`ReplayCache::global`] keeps at least when
/// `OPENSSPI_KRB5_RCACHE_MAX` is unset: 2^20, ~3 500 AP-REQs/s sustained at
/// the default 300 s clock skew, in at most 32 MiB.
pub const DEFAULT_MAX_ENTRIES: usize = 1 << 20;

/// The setting that overrides [`DEFAULT_MAX_ENTRIES`].
pub const MAX_ENTRIES_VAR: &str = "OPENSSPI_KRB5_RCACHE_MAX";

/// Slots looked at from an entry's home slot.
pub const MAX_PROBE: usize = 64;

/// Shards of a cache of at least [`SHARDED_FROM`] entries.
pub const SHARDS: usize = 16;
const SHARDED_FROM: usize = 16 * 1024;

/// Smallest table of a shard.
const MIN_SLOTS: usize = 64;

/// Entries [`ReplayCache::global`] has room for from the start (its tables
/// never shrink below that): ~4 MiB written once, so that a busy server's
/// memory does not move below ~200 AP-REQs/s at a 300 s skew.
pub const GLOBAL_INITIAL_ENTRIES: usize = 1 << 16;

/// The table sizes of a shard: the smallest and the largest (powers of two).
#[derive(Clone, Copy)]
struct Sizes {
    min: usize,
    max: usize,
}

impl Sizes {
    /// A table for `live` entries: at most 3/8 full, so that at least len/8
    /// inserts come between two rebuilds (which happen at half full).
    fn for_entries(self, live: usize) -> usize {
        (live * 8 / 3 + 1)
            .next_power_of_two()
            .clamp(self.min, self.max)
    }
}

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

/// One slot: 96 bits of the keyed hash and the expiry (seconds since the
/// epoch, saturated to 1..=u32::MAX); `expiry == NEVER_USED` marks a slot
/// never written since the last rebuild, which ends a probe.
#[derive(Clone, Copy, Default)]
struct Slot {
    tag: u64,
    tag_hi: u32,
    expiry: u32,
}

const NEVER_USED: u32 = 0;

/// Seconds as a slot's u32, never [`NEVER_USED`].
fn secs32(t: i64) -> u32 {
    t.clamp(1, u32::MAX as i64) as u32
}

/// What locates and identifies one authenticator in the cache: the shard
/// from `shard`, the home slot from the low bits of `tag` (so that a
/// rebuild finds it again from the slot alone).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Hashed {
    shard: u64,
    tag: u64,
    tag_hi: u32,
}

/// Where the probe for `tag` starts in a table of `len` (a power of two).
fn home_slot(tag: u64, len: usize) -> usize {
    tag as usize & (len - 1)
}

struct Shard {
    slots: Vec<Slot>,
    /// Slots not [`NEVER_USED`] (live or expired).
    occupied: usize,
    /// `occupied` after the last rebuild.
    floor: usize,
    /// Inserts since the last rebuild: a table above its smallest size is
    /// rebuilt (and shrinks when its entries expired) after `len` of them.
    since: usize,
    /// The latest `now` seen, for [`ReplayCache::len`].
    last_now: u32,
}

/// A shard on a cache line of its own, so that two threads' locks do not
/// share one.
#[repr(align(64))]
struct PaddedShard(Mutex<Shard>);

/// A bounded, expiring set of seen authenticators.
pub struct ReplayCache {
    key: Hmac<Sha256>,
    sizes: Sizes,
    shards: Vec<PaddedShard>,
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
    fn hash(&self, key: &Hmac<Sha256>) -> Hashed {
        let mut h = key.clone();
        for s in [self.client.as_bytes(), self.server.as_bytes()] {
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s);
        }
        h.update(&self.ctime.to_le_bytes());
        h.update(&self.cusec.to_le_bytes());
        h.update(self.authenticator);
        let full = h.finalize().into_bytes();
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&full[i..i + 8]);
            u64::from_le_bytes(b)
        };
        Hashed {
            shard: word(0),
            tag: word(8),
            tag_hi: word(16) as u32,
        }
    }
}

impl Shard {
    /// A shard of `len` slots, all written now (committed memory).
    fn new(len: usize) -> Shard {
        Shard {
            slots: vec![Slot::default(); len],
            occupied: 0,
            floor: 0,
            since: 0,
            last_now: NEVER_USED,
        }
    }

    /// Looks `h` up from its home slot: `Err(Repeat)` when a live entry has
    /// it, else the first free slot of the window (expired or never used).
    fn probe(&self, h: &Hashed, now: u32) -> Result<Option<usize>, ReplayError> {
        let len = self.slots.len();
        let home = home_slot(h.tag, len);
        let mut free = None;
        // The whole chain is read before a slot is chosen: the same hash may
        // sit past an expired slot. A never-used slot ends the chain.
        for i in 0..MAX_PROBE.min(len) {
            let idx = (home + i) & (len - 1);
            let s = &self.slots[idx];
            if s.expiry == NEVER_USED {
                free.get_or_insert(idx);
                break;
            }
            if s.expiry < now {
                free.get_or_insert(idx);
            } else if s.tag == h.tag && s.tag_hi == h.tag_hi {
                return Err(ReplayError::Repeat);
            }
        }
        Ok(free)
    }

    /// Rehashes the live entries into a table of [`Sizes::for_entries`],
    /// dropping the expired ones. A probe window can overflow only at the
    /// largest size: what does not fit is kept by not shrinking.
    fn rebuild(&mut self, now: u32, sizes: Sizes) {
        let max_slots = sizes.max;
        let live: Vec<Slot> = self
            .slots
            .iter()
            .filter(|s| s.expiry != NEVER_USED && s.expiry >= now)
            .copied()
            .collect();
        let mut len = sizes.for_entries(live.len());
        loop {
            if let Some(slots) = place(&live, len) {
                self.slots = slots;
                break;
            }
            if len >= max_slots {
                // Cannot happen below load 1/2 in practice; keep the old
                // table (nothing is forgotten), let inserts refuse, and try
                // again only after len/8 more slots are filled.
                self.floor = self.occupied;
                return;
            }
            len *= 2;
        }
        self.occupied = live.len();
        self.floor = live.len();
        self.since = 0;
    }

    fn insert(
        &mut self,
        h: &Hashed,
        expiry: u32,
        now: u32,
        sizes: Sizes,
    ) -> Result<(), ReplayError> {
        let max_slots = sizes.max;
        self.last_now = self.last_now.max(now);
        self.since += 1;
        if self.slots.len() > sizes.min && self.since >= self.slots.len() {
            self.rebuild(now, sizes);
        }
        let mut rebuilt = false;
        loop {
            let len = self.slots.len();
            match self.probe(h, now)? {
                Some(idx) if self.slots[idx].expiry != NEVER_USED => {
                    self.slots[idx] = slot(h, expiry);
                    return Ok(());
                }
                // A never-used slot: taken unless the table is over half
                // full, and a rebuild now would be worth it (at the largest
                // size, at least len/8 slots filled since the last one).
                Some(idx)
                    if rebuilt
                        || self.occupied < len / 2
                        || (len >= max_slots && self.occupied < self.floor + len / 8) =>
                {
                    self.slots[idx] = slot(h, expiry);
                    self.occupied += 1;
                    return Ok(());
                }
                None if rebuilt => return Err(ReplayError::Full),
                // At the largest size a rebuild only pays once enough slots
                // were filled since the last one; a cache full of live
                // entries refuses at the cost of one probe.
                None if len >= max_slots && self.occupied < self.floor + len / 8 => {
                    return Err(ReplayError::Full)
                }
                _ => {}
            }
            self.rebuild(now, sizes);
            rebuilt = true;
        }
    }
}

fn slot(h: &Hashed, expiry: u32) -> Slot {
    Slot {
        tag: h.tag,
        tag_hi: h.tag_hi,
        expiry,
    }
}

/// The entries in a fresh table of `len` slots, or `None` when a probe
/// window overflows.
fn place(entries: &[Slot], len: usize) -> Option<Vec<Slot>> {
    let mut slots = vec![Slot::default(); len];
    for e in entries {
        let home = home_slot(e.tag, len);
        let idx = (0..MAX_PROBE.min(len))
            .map(|i| (home + i) & (len - 1))
            .find(|&i| slots[i].expiry == NEVER_USED)?;
        slots[idx] = *e;
    }
    Some(slots)
}

impl ReplayCache {
    /// A cache keeping at least `max_entries` live entries (sharded from
    /// [`SHARDED_FROM`] entries on); its tables start small and grow.
    pub fn new(max_entries: usize) -> ReplayCache {
        ReplayCache::with_initial(max_entries, 0)
    }

    /// [`Self::new`] with room for `initial` entries from the start.
    pub fn with_initial(max_entries: usize, initial: usize) -> ReplayCache {
        let max_entries = max_entries.max(1);
        let shards = if max_entries >= SHARDED_FROM {
            SHARDS
        } else {
            1
        };
        let per_shard = max_entries.div_ceil(shards);
        let max = (per_shard * 2).next_power_of_two().max(MIN_SLOTS);
        let min = Sizes {
            min: MIN_SLOTS,
            max,
        }
        .for_entries(initial.min(max_entries) / shards);
        let sizes = Sizes { min, max };
        let mut key = [0u8; 32];
        // The key only keeps a peer from choosing colliding authenticators
        // (which would be refused, never accepted): a failed draw leaves it
        // zero rather than failing the acceptor.
        let _ = getrandom::fill(&mut key);
        ReplayCache {
            key: <Hmac<Sha256> as KeyInit>::new_from_slice(&key)
                .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default())),
            sizes,
            shards: (0..shards)
                .map(|_| PaddedShard(Mutex::new(Shard::new(min))))
                .collect(),
        }
    }

    /// The process's cache, shared by every acceptor context: at least
    /// `OPENSSPI_KRB5_RCACHE_MAX` entries (read once), else
    /// [`DEFAULT_MAX_ENTRIES`].
    pub fn global() -> &'static ReplayCache {
        static CACHE: once_cell::sync::Lazy<ReplayCache> = once_cell::sync::Lazy::new(|| {
            let max = std::env::var(MAX_ENTRIES_VAR)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(DEFAULT_MAX_ENTRIES);
            ReplayCache::with_initial(max, GLOBAL_INITIAL_ENTRIES)
        });
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
        let h = key.hash(&self.key);
        let expiry = secs32(key.ctime.saturating_add(skew).max(now));
        let shard = &self.shards[(h.shard % self.shards.len() as u64) as usize];
        shard.0.lock().insert(&h, expiry, secs32(now), self.sizes)
    }

    /// Live entries at the latest time seen (tests, diagnostics).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let g = s.0.lock();
                g.slots
                    .iter()
                    .filter(|s| s.expiry != NEVER_USED && s.expiry >= g.last_now)
                    .count()
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots allocated over all shards (tests, diagnostics: 16 bytes each).
    pub fn slots(&self) -> usize {
        self.shards.iter().map(|s| s.0.lock().slots.len()).sum()
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
    fn entries_are_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Slot>(), 16);
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

    /// An entry lives up to and including ctime + skew (the last second the
    /// skew check lets the authenticator through), not a second more.
    #[test]
    fn entries_expire_at_ctime_plus_skew() {
        let c = ReplayCache::new(10);
        c.check_and_insert(&key(1000, b"a"), 990, 300).unwrap();
        assert_eq!(
            c.check_and_insert(&key(1000, b"a"), 1300, 300),
            Err(ReplayError::Repeat)
        );
        assert_eq!(c.check_and_insert(&key(1000, b"a"), 1301, 300), Ok(()));
    }

    /// Full of live entries: refused, never forgotten; past ctime + skew
    /// room is made again.
    #[test]
    fn a_full_cache_refuses_and_forgets_nothing() {
        let c = ReplayCache::new(100);
        let mut n = 0u32;
        while c.check_and_insert(&key(1000, &n.to_le_bytes()), 1000, 300) == Ok(()) {
            n += 1;
            assert!(n < 10_000, "never full");
        }
        assert!(n >= 100, "full at {n} entries");
        for i in 0..n {
            assert_eq!(
                c.check_and_insert(&key(1000, &i.to_le_bytes()), 1100, 300),
                Err(ReplayError::Repeat),
                "entry {i} forgotten"
            );
        }
        assert_eq!(c.check_and_insert(&key(1400, b"new"), 1301, 300), Ok(()));
        assert_eq!(c.len(), 1);
    }

    /// A live entry stored past a slot that has since expired is still
    /// found: the chain is read to its end before an expired slot is reused.
    #[test]
    fn a_repeat_is_found_behind_an_expired_slot() {
        let c = ReplayCache::new(8);
        let len = c.slots();
        let live = key(1500, b"live");
        let home = home_slot(live.hash(&c.key).tag, len);
        // An entry expiring sooner that takes "live"'s home slot first.
        let filler: Vec<u8> = (0..u32::MAX)
            .map(|i| i.to_le_bytes().to_vec())
            .find(|a| home_slot(key(1000, a).hash(&c.key).tag, len) == home)
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

    /// A replay is caught after hundreds of thousands of other entries,
    /// across the shards' growth and rebuilds, and every other entry is
    /// still a repeat too.
    #[test]
    fn a_replay_is_caught_after_many_other_entries() {
        let c = ReplayCache::new(DEFAULT_MAX_ENTRIES);
        let start = c.slots();
        c.check_and_insert(&key(1000, b"first"), 1000, 300).unwrap();
        for i in 0..300_000u32 {
            let now = 1000 + i64::from(i / 1000);
            c.check_and_insert(&key(now, &i.to_le_bytes()), now, 300)
                .unwrap();
        }
        assert!(c.slots() > start, "the tables grew");
        assert_eq!(
            c.check_and_insert(&key(1000, b"first"), 1299, 300),
            Err(ReplayError::Repeat)
        );
        for i in (0..300_000u32).step_by(7) {
            let ctime = 1000 + i64::from(i / 1000);
            assert_eq!(
                c.check_and_insert(&key(ctime, &i.to_le_bytes()), 1299, 300),
                Err(ReplayError::Repeat),
                "entry {i}"
            );
        }
    }

    /// Slots of expired entries are reused and the tables shrink back: a
    /// server accepting far more authenticators than the bound over time
    /// keeps accepting them in bounded memory, and still catches each repeat.
    #[test]
    fn memory_stays_bounded_over_time() {
        let c = ReplayCache::new(1000);
        let max = c.sizes.max * c.shards.len();
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
            assert!(c.slots() <= max);
        }
        assert_eq!(c.len(), 900);
        // Later, few entries: the table is rebuilt smaller.
        for i in 0..200u32 {
            let now = 20_000;
            c.check_and_insert(&key(now, &(i + 7).to_be_bytes()), now, 300)
                .unwrap();
        }
        assert!(c.slots() < 4096, "{} slots", c.slots());
    }

    /// Two threads insert at once (the shards' locks are separate) and
    /// each sees the other's entries as repeats.
    #[test]
    fn two_threads_share_the_cache() {
        let c = ReplayCache::new(DEFAULT_MAX_ENTRIES);
        std::thread::scope(|s| {
            for t in 0..2u32 {
                let c = &c;
                s.spawn(move || {
                    for i in 0..20_000u32 {
                        let a = [t.to_le_bytes(), i.to_le_bytes()].concat();
                        c.check_and_insert(&key(1000, &a), 1000, 300).unwrap();
                    }
                });
            }
        });
        assert_eq!(c.len(), 40_000);
        let a = [1u32.to_le_bytes(), 5u32.to_le_bytes()].concat();
        assert_eq!(
            c.check_and_insert(&key(1000, &a), 1001, 300),
            Err(ReplayError::Repeat)
        );
    }

    /// The initial room is there from the start and kept when the entries
    /// expire; growth past it is on demand.
    #[test]
    fn initial_room_is_kept() {
        let c = ReplayCache::with_initial(DEFAULT_MAX_ENTRIES, 1 << 16);
        let start = c.slots();
        assert_eq!(start * std::mem::size_of::<Slot>(), 4 << 20);
        for i in 0..150_000u32 {
            c.check_and_insert(&key(1000, &i.to_le_bytes()), 1000, 300)
                .unwrap();
        }
        assert!(c.slots() > start);
        // Later, a few live entries at a time: the table is rebuilt without
        // the expired ones, back to the initial room.
        for round in 0..400i64 {
            let now = 5000 + round * 400;
            for i in 0..1000u32 {
                c.check_and_insert(&key(now, &i.to_le_bytes()), now, 300)
                    .unwrap();
            }
        }
        assert_eq!(c.slots(), start);
    }
}
