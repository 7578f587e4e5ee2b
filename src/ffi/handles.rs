//! Handle tables: a `CredHandle`/`CtxtHandle` is a slot index and a
//! generation, never a pointer. A freed, forged, stale or wrong-kind handle
//! finds nothing and yields `SEC_E_INVALID_HANDLE`.
//!
//! Encoding: `dwLower` = slot + 1 (never 0); `dwUpper` = generation << 8 |
//! kind tag, so no live handle is {0,0}, {-1,-1} or `SEC_DELETED_HANDLE`
//! (BEHAVIOURS.md item 100). The table is split into shards by creating
//! thread (the shard is the low bits of the slot number).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::types::SecHandle;
use crate::sspi::SecStatus;

/// Which table a handle belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum HandleKind {
    Credential = 0xC1,
    Context = 0xC7,
    /// Logon-session tokens (`HANDLE`s from `LsaLogonUser`/`SspiLogonUser`).
    Token = 0x70,
}

struct Slot<T: ?Sized> {
    generation: u32,
    value: Option<Arc<T>>,
}

struct Slab<T: ?Sized> {
    slots: Vec<Slot<T>>,
    free: Vec<usize>,
}

/// Shards per table: a handle is created in its thread's shard, so threads
/// that each work on their own contexts never touch the same lock (or the
/// same cache line, hence the alignment).
const SHARDS: usize = 16;

#[repr(align(128))]
struct Shard<T: ?Sized> {
    inner: Mutex<Slab<T>>,
}

/// This thread's shard (threads are numbered in creation order).
fn my_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|s| *s)
}

/// A generation-checked table of `Arc<T>`.
pub struct HandleTable<T: ?Sized> {
    kind: HandleKind,
    shards: [Shard<T>; SHARDS],
}

impl<T: ?Sized> HandleTable<T> {
    pub const fn new(kind: HandleKind) -> Self {
        HandleTable {
            kind,
            shards: [const {
                Shard {
                    inner: Mutex::new(Slab {
                        slots: Vec::new(),
                        free: Vec::new(),
                    }),
                }
            }; SHARDS],
        }
    }

    /// Slot `local` of `shard` as one index: shard in the low bits.
    fn encode(&self, shard: usize, local: usize, generation: u32) -> SecHandle {
        SecHandle {
            dwLower: local * SHARDS + shard + 1,
            dwUpper: ((generation as usize) << 8) | self.kind as usize,
        }
    }

    /// (shard, slot in the shard, generation).
    fn decode(&self, h: &SecHandle) -> Option<(&Mutex<Slab<T>>, usize, u32)> {
        if h.dwUpper & 0xFF != self.kind as usize || h.dwLower == 0 {
            return None;
        }
        let generation = u32::try_from(h.dwUpper >> 8).ok()?;
        let index = h.dwLower - 1;
        Some((
            &self.shards[index % SHARDS].inner,
            index / SHARDS,
            generation,
        ))
    }

    /// Store `value` and return its new handle.
    pub fn insert(&self, value: Arc<T>) -> SecHandle {
        let shard = my_shard();
        let mut slab = self.shards[shard].inner.lock();
        let index = match slab.free.pop() {
            Some(i) => i,
            None => {
                slab.slots.push(Slot {
                    generation: 0,
                    value: None,
                });
                slab.slots.len() - 1
            }
        };
        let slot = &mut slab.slots[index];
        // Generations start at 1 and skip 0 on wrap-around.
        slot.generation = slot.generation.wrapping_add(1).max(1) & 0x00FF_FFFF;
        if slot.generation == 0 {
            slot.generation = 1;
        }
        slot.value = Some(value);
        let generation = slot.generation;
        self.encode(shard, index, generation)
    }

    /// The object behind a live handle.
    pub fn get(&self, h: &SecHandle) -> Result<Arc<T>, SecStatus> {
        let (shard, index, generation) = self.decode(h).ok_or(SecStatus::InvalidHandle)?;
        let slab = shard.lock();
        match slab.slots.get(index) {
            Some(Slot {
                generation: g,
                value: Some(v),
            }) if *g == generation => Ok(v.clone()),
            _ => Err(SecStatus::InvalidHandle),
        }
    }

    /// Free a handle, returning its object.
    pub fn remove(&self, h: &SecHandle) -> Result<Arc<T>, SecStatus> {
        let (shard, index, generation) = self.decode(h).ok_or(SecStatus::InvalidHandle)?;
        let mut slab = shard.lock();
        let value = match slab.slots.get_mut(index) {
            Some(slot) if slot.generation == generation && slot.value.is_some() => {
                slot.value.take()
            }
            _ => return Err(SecStatus::InvalidHandle),
        };
        slab.free.push(index);
        drop(slab);
        value.ok_or(SecStatus::InvalidHandle)
    }

    /// Number of live handles (for leak checks in tests).
    pub fn live(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.inner
                    .lock()
                    .slots
                    .iter()
                    .filter(|s| s.value.is_some())
                    .count()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_forged_and_wrong_kind_handles_fail() {
        let creds: HandleTable<u32> = HandleTable::new(HandleKind::Credential);
        let ctxs: HandleTable<u32> = HandleTable::new(HandleKind::Context);
        let h = creds.insert(Arc::new(7));
        assert_ne!(h.dwLower, 0);
        assert_eq!(*creds.get(&h).unwrap(), 7);
        assert_eq!(ctxs.get(&h).unwrap_err(), SecStatus::InvalidHandle);
        let forged = SecHandle {
            dwLower: 0xdeadbeef,
            dwUpper: 0xdeadbeef,
        };
        assert!(creds.get(&forged).is_err());
        assert!(creds
            .get(&SecHandle {
                dwLower: usize::MAX,
                dwUpper: usize::MAX
            })
            .is_err());
        assert!(creds.remove(&h).is_ok());
        assert!(creds.remove(&h).is_err());
        assert!(creds.get(&h).is_err());
        let h2 = creds.insert(Arc::new(8));
        assert_eq!(h2.dwLower, h.dwLower, "slot reused");
        assert!(creds.get(&h).is_err(), "old generation stays dead");
        assert_eq!(*creds.get(&h2).unwrap(), 8);
    }

    #[test]
    fn handles_from_many_threads_are_distinct_and_usable_anywhere() {
        static T: HandleTable<usize> = HandleTable::new(HandleKind::Context);
        let handles: Vec<SecHandle> = (0..2 * SHARDS)
            .map(|i| {
                std::thread::spawn(move || T.insert(Arc::new(i)))
                    .join()
                    .unwrap()
            })
            .collect();
        assert_eq!(T.live(), 2 * SHARDS);
        for (i, h) in handles.iter().enumerate() {
            assert_eq!(*T.get(h).unwrap(), i);
            assert!(handles[..i].iter().all(|o| o.dwLower != h.dwLower));
        }
        for h in &handles {
            assert!(T.remove(h).is_ok());
            assert!(T.get(h).is_err());
        }
        assert_eq!(T.live(), 0);
    }
}
