//! Handle tables: a `CredHandle`/`CtxtHandle` is a slot index and a
//! generation, never a pointer. A freed, forged, stale or wrong-kind handle
//! finds nothing and yields `SEC_E_INVALID_HANDLE`.
//!
//! Encoding: `dwLower` = slot + 1 (never 0); `dwUpper` = generation << 8 |
//! kind tag, so no live handle is {0,0}, {-1,-1} or `SEC_DELETED_HANDLE`
//! (BEHAVIOURS.md item 100).

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

/// A generation-checked table of `Arc<T>`.
pub struct HandleTable<T: ?Sized> {
    kind: HandleKind,
    inner: Mutex<Slab<T>>,
}

impl<T: ?Sized> HandleTable<T> {
    pub const fn new(kind: HandleKind) -> Self {
        HandleTable {
            kind,
            inner: Mutex::new(Slab {
                slots: Vec::new(),
                free: Vec::new(),
            }),
        }
    }

    fn encode(&self, index: usize, generation: u32) -> SecHandle {
        SecHandle {
            dwLower: index + 1,
            dwUpper: ((generation as usize) << 8) | self.kind as usize,
        }
    }

    fn decode(&self, h: &SecHandle) -> Option<(usize, u32)> {
        if h.dwUpper & 0xFF != self.kind as usize || h.dwLower == 0 {
            return None;
        }
        let generation = u32::try_from(h.dwUpper >> 8).ok()?;
        Some((h.dwLower - 1, generation))
    }

    /// Store `value` and return its new handle.
    pub fn insert(&self, value: Arc<T>) -> SecHandle {
        let mut slab = self.inner.lock();
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
        self.encode(index, generation)
    }

    /// The object behind a live handle.
    pub fn get(&self, h: &SecHandle) -> Result<Arc<T>, SecStatus> {
        let (index, generation) = self.decode(h).ok_or(SecStatus::InvalidHandle)?;
        let slab = self.inner.lock();
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
        let (index, generation) = self.decode(h).ok_or(SecStatus::InvalidHandle)?;
        let mut slab = self.inner.lock();
        let value = match slab.slots.get_mut(index) {
            Some(slot) if slot.generation == generation && slot.value.is_some() => {
                slot.value.take()
            }
            _ => return Err(SecStatus::InvalidHandle),
        };
        slab.free.push(index);
        value.ok_or(SecStatus::InvalidHandle)
    }

    /// Number of live handles (for leak checks in tests).
    pub fn live(&self) -> usize {
        self.inner
            .lock()
            .slots
            .iter()
            .filter(|s| s.value.is_some())
            .count()
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
}
