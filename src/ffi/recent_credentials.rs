//! A per-thread memory of the credential handles a thread used last.
//!
//! Servers share one credential handle between all their threads, and every
//! first `InitializeSecurityContext`/`AcceptSecurityContext` call names it.
//! Looking it up in [`CREDENTIALS`] takes its shard's lock and clones its
//! `Arc`: atomic writes to cache lines every thread shares, which cost two
//! threads about a tenth of their combined handshake rate. A thread instead
//! keeps the credentials it used last and lends them out by reference;
//! `FreeCredentialsHandle` bumps [`FREED`], and a thread that sees the
//! count change forgets everything it kept (so a freed credential is
//! dropped, and its secrets wiped, at the latest when each thread that used
//! it next looks up a credential or exits).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::credentials::CREDENTIALS;
use super::types::SecHandle;
use crate::sspi::{Credential, SecStatus};

/// How many `FreeCredentialsHandle` calls succeeded.
static FREED: AtomicU64 = AtomicU64::new(0);

/// Credentials kept per thread (a client and a server handle, and spares).
const KEPT: usize = 4;

#[derive(Default)]
struct Recent {
    /// [`FREED`] when `kept` was last known good.
    freed: u64,
    /// Handle and credential, most recently used last; `None` while lent.
    kept: Vec<(SecHandle, Option<Arc<dyn Credential>>)>,
}

thread_local! {
    static RECENT: RefCell<Recent> = RefCell::default();
}

/// Record that a credential handle was freed (call after removing it).
pub fn forget_freed() {
    FREED.fetch_add(1, Ordering::Release);
    // This thread's own copies go at once (dropped outside the borrow).
    let stale = RECENT
        .try_with(|r| std::mem::take(&mut r.borrow_mut().kept))
        .unwrap_or_default();
    drop(stale);
}

fn same(a: &SecHandle, b: &SecHandle) -> bool {
    a.dwLower == b.dwLower && a.dwUpper == b.dwUpper
}

/// Take this thread's kept credential for `h` out of the cache (`None` if
/// it has none, or if a handle was freed since it was kept).
fn take(h: &SecHandle) -> Option<Arc<dyn Credential>> {
    let mut stale = Vec::new();
    let found = RECENT
        .try_with(|r| {
            let mut r = r.borrow_mut();
            let freed = FREED.load(Ordering::Acquire);
            if r.freed != freed {
                stale = std::mem::take(&mut r.kept);
                r.freed = freed;
                return None;
            }
            r.kept
                .iter_mut()
                .find(|(k, _)| same(k, h))
                .and_then(|(_, c)| c.take())
        })
        .ok()
        .flatten();
    // Dropped here, outside the borrow.
    drop(stale);
    found
}

/// Give a credential back to the cache after use.
fn give_back(h: &SecHandle, cred: Arc<dyn Credential>, freed: u64) {
    let _ = RECENT.try_with(|r| {
        let mut r = r.borrow_mut();
        if r.freed != freed || FREED.load(Ordering::Acquire) != freed {
            return;
        }
        if let Some(slot) = r.kept.iter_mut().find(|(k, _)| same(k, h)) {
            if slot.1.is_none() {
                slot.1 = Some(cred);
            }
            return;
        }
        let oldest = (r.kept.len() == KEPT).then(|| r.kept.remove(0));
        r.kept.push((*h, Some(cred)));
        drop(r);
        drop(oldest);
    });
}

/// Run `f` with the credential behind `h`, from this thread's cache when
/// possible, else from [`CREDENTIALS`] (then kept for next time).
pub fn with_credential<R>(
    h: &SecHandle,
    f: impl FnOnce(&dyn Credential) -> Result<R, SecStatus>,
) -> Result<R, SecStatus> {
    // Read before the lookup: a free that lands after it makes give_back
    // drop the credential instead of keeping it.
    let freed = FREED.load(Ordering::Acquire);
    let cred = match take(h) {
        Some(c) => c,
        None => CREDENTIALS.get(h)?,
    };
    let result = f(&*cred);
    give_back(h, cred, freed);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::ntlm::{NtlmCredential, NtlmSettings};
    use crate::sspi::CredentialUse;
    use std::sync::mpsc;

    fn inbound() -> Arc<dyn Credential> {
        Arc::new(NtlmCredential::new(
            CredentialUse::Inbound,
            None,
            NtlmSettings::default(),
            None,
        ))
    }

    fn usable(h: &SecHandle) -> Result<(), SecStatus> {
        with_credential(h, |c| {
            assert!(c.usage().can_accept());
            Ok(())
        })
    }

    #[test]
    fn a_handle_freed_by_another_thread_is_dead_and_dropped_here() {
        let cred = inbound();
        let weak = Arc::downgrade(&cred);
        let h = CREDENTIALS.insert(cred);
        let (ask, asked) = mpsc::channel::<()>();
        let (tell, told) = mpsc::channel::<Result<(), SecStatus>>();
        let user = std::thread::spawn(move || {
            while asked.recv().is_ok() {
                tell.send(usable(&h)).unwrap();
            }
        });
        // The other thread uses the handle twice (the second from its cache).
        for _ in 0..2 {
            ask.send(()).unwrap();
            assert_eq!(told.recv().unwrap(), Ok(()));
        }
        assert_eq!(usable(&h), Ok(()));
        CREDENTIALS.remove(&h).unwrap();
        forget_freed();
        assert_eq!(usable(&h), Err(SecStatus::InvalidHandle));
        assert!(weak.upgrade().is_some(), "still kept by the other thread");
        ask.send(()).unwrap();
        assert_eq!(told.recv().unwrap(), Err(SecStatus::InvalidHandle));
        assert!(weak.upgrade().is_none(), "dropped once that thread looked");
        drop(ask);
        user.join().unwrap();
    }

    #[test]
    fn a_reused_slot_does_not_resurrect_the_old_handle() {
        let old = CREDENTIALS.insert(inbound());
        assert_eq!(usable(&old), Ok(()));
        CREDENTIALS.remove(&old).unwrap();
        forget_freed();
        let new = CREDENTIALS.insert(inbound());
        assert_eq!(usable(&new), Ok(()));
        assert_eq!(usable(&old), Err(SecStatus::InvalidHandle));
        CREDENTIALS.remove(&new).unwrap();
        forget_freed();
    }

    #[test]
    fn a_nested_lookup_of_the_same_handle_works() {
        let h = CREDENTIALS.insert(inbound());
        let r = with_credential(&h, |_| usable(&h));
        assert_eq!(r, Ok(()));
        assert_eq!(usable(&h), Ok(()));
        CREDENTIALS.remove(&h).unwrap();
        forget_freed();
    }
}
