//! The in-process session store: a map guarded by a mutex. Sessions die
//! with the process; removed sessions zeroize their secrets on drop.

use std::collections::BTreeMap;

use parking_lot::Mutex;

use super::{add_ticket_to, purge_of, set_tgt_of, SessionStore, StoreKind, StoreResult};
use crate::lsa::session::{CachedTicket, LogonSession};
use crate::lsa::Luid;

/// The embedded default store.
#[derive(Default)]
pub struct MemoryStore {
    sessions: Mutex<BTreeMap<Luid, LogonSession>>,
    current: Mutex<BTreeMap<u32, Luid>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Replace session `luid` by what `f` makes of the one stored (`None`
    /// when absent), in one step under the map's lock: a concurrent
    /// change is either before or after it, never lost. `f`'s error leaves
    /// the store unchanged.
    pub fn update<E>(
        &self,
        luid: Luid,
        f: impl FnOnce(Option<&LogonSession>) -> Result<LogonSession, E>,
    ) -> Result<(), E> {
        let mut sessions = self.sessions.lock();
        let new = f(sessions.get(&luid))?;
        sessions.insert(luid, new);
        Ok(())
    }
}

impl SessionStore for MemoryStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }

    fn put(&self, session: &LogonSession) -> StoreResult<()> {
        self.sessions
            .lock()
            .insert(session.logon_id, session.clone());
        Ok(())
    }

    fn get(&self, luid: Luid) -> StoreResult<Option<LogonSession>> {
        Ok(self.sessions.lock().get(&luid).cloned())
    }

    fn remove(&self, luid: Luid) -> StoreResult<bool> {
        // Dropping the session zeroizes its NT OWF and Kerberos secrets.
        Ok(self.sessions.lock().remove(&luid).is_some())
    }

    fn list(&self) -> StoreResult<Vec<Luid>> {
        let mut v: Vec<Luid> = self.sessions.lock().keys().copied().collect();
        v.sort();
        Ok(v)
    }

    fn set_current(&self, uid: u32, luid: Option<Luid>) -> StoreResult<()> {
        let mut c = self.current.lock();
        match luid {
            Some(l) => c.insert(uid, l),
            None => c.remove(&uid),
        };
        Ok(())
    }

    fn current_for_user(&self, uid: u32) -> StoreResult<Option<Luid>> {
        Ok(self.current.lock().get(&uid).copied())
    }

    fn add_service_ticket(
        &self,
        luid: Luid,
        caller_uid: u32,
        ticket: &CachedTicket,
    ) -> StoreResult<bool> {
        // Under the map's lock: concurrent additions all land.
        match self.sessions.lock().get_mut(&luid) {
            Some(s) => add_ticket_to(s, caller_uid, ticket),
            None => Ok(false),
        }
    }

    fn set_kerberos_tgt(
        &self,
        luid: Luid,
        caller_uid: u32,
        tgt: &CachedTicket,
    ) -> StoreResult<bool> {
        // Under the map's lock, as an added ticket.
        Ok(self
            .sessions
            .lock()
            .get_mut(&luid)
            .is_some_and(|s| set_tgt_of(s, caller_uid, tgt)))
    }

    fn purge_kerberos_tickets(
        &self,
        luid: Luid,
        caller_uid: u32,
        server: &str,
        realm: &str,
    ) -> StoreResult<bool> {
        // Under the map's lock: a ticket added meanwhile is either purged
        // or added after the purge.
        Ok(self
            .sessions
            .lock()
            .get_mut(&luid)
            .is_some_and(|s| purge_of(s, caller_uid, server, realm)))
    }
}
