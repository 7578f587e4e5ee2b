//! Where logon sessions live. One trait ([`SessionStore`], the LSA's
//! seam between the process and the service), three stores:
//!
//! - [`crate::lsa::service::client::ServiceStore`] (the default): the LSA
//!   service `opensspi-lsad`, one per user, started on demand. Sessions
//!   outlive the process that created them and are shared by every
//!   process of the user; the NT OWF stays in the service, which runs
//!   NTLM's credential operations.
//! - [`memory::MemoryStore`]: in the process; sessions die with it (a
//!   forked child keeps a copy). For tests and embedded use.
//! - [`keyring::KeyringStore`]: the Linux kernel *session keyring*. Sessions
//!   outlive the process that created them, are inherited by child
//!   processes, are usable only by the uid that owns them (another uid
//!   holding the keyring sees none of them) and never touch disk
//!   (see keyrings(7), session-keyring(7)). This is how one interactive
//!   logon (`sspilogon`) serves every later program of the login session.
//!
//! The library's store is chosen by the setting [`STORE_ENV`]
//! (`OPENSSPI_LSA_STORE=service|memory|keyring`, default `service`), read once when
//! the LSA is first used.

pub mod codec;
pub mod keyring;
pub mod memory;

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::packages::kerberos::TicketRequest;
use super::packages::kerberos::TicketTarget;
use super::packages::msv1_0::credential_op::{self, CredentialOp, CredentialOpResult};
use super::packages::KerberosProvider;
use super::session::{may_use, CachedTicket, KerberosCredential, LogonSession};
use super::status::NtStatus;
use super::Luid;
use crate::sspi::SecStatus;

/// The environment variable that selects the library's session store.
pub const STORE_ENV: &str = "OPENSSPI_LSA_STORE";

/// A failure of the store itself (not "no such session").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be used here (e.g. keyring syscalls refused).
    #[error("session store unavailable: {0}")]
    Unavailable(String),
    /// The kernel key quota (or another limit) is exhausted.
    #[error("session store quota exceeded")]
    Quota,
    /// A stored session could not be decoded.
    #[error("stored logon session is corrupt")]
    Corrupt,
    /// `OPENSSPI_LSA_STORE` names no store.
    #[error("unknown session store {0:?} (expected \"service\", \"memory\" or \"keyring\")")]
    UnknownKind(String),
}

impl StoreError {
    /// The NTSTATUS the `Lsa*` function reports for this failure.
    pub fn nt_status(&self) -> NtStatus {
        match self {
            StoreError::Quota => NtStatus::QUOTA_EXCEEDED,
            StoreError::Corrupt => NtStatus::INTERNAL_ERROR,
            StoreError::Unavailable(_) | StoreError::UnknownKind(_) => {
                NtStatus::INSUFFICIENT_RESOURCES
            }
        }
    }
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Memory,
    Keyring,
    /// The LSA service `opensspi-lsad` ([`crate::lsa::service`]).
    Service,
}

impl StoreKind {
    /// Parse a setting value: `service`, `memory` or `keyring`
    /// (case-insensitive); unset or empty means `service`.
    pub fn parse(setting: Option<&str>) -> StoreResult<StoreKind> {
        match setting.map(str::trim).unwrap_or("") {
            "" => Ok(StoreKind::Service),
            s if s.eq_ignore_ascii_case("memory") => Ok(StoreKind::Memory),
            s if s.eq_ignore_ascii_case("keyring") => Ok(StoreKind::Keyring),
            s if s.eq_ignore_ascii_case("service") => Ok(StoreKind::Service),
            s => Err(StoreError::UnknownKind(s.to_string())),
        }
    }

    /// The kind [`STORE_ENV`] selects. (The library's own unit tests,
    /// which run in one process, default to the memory store.)
    pub fn from_env() -> StoreResult<StoreKind> {
        let v = std::env::var(STORE_ENV).ok();
        if cfg!(test) && v.is_none() {
            return Ok(StoreKind::Memory);
        }
        StoreKind::parse(v.as_deref())
    }

    pub fn name(self) -> &'static str {
        match self {
            StoreKind::Memory => "memory",
            StoreKind::Keyring => "keyring",
            StoreKind::Service => "service",
        }
    }
}

/// Open a store of the given kind.
pub fn open(kind: StoreKind) -> StoreResult<Arc<dyn SessionStore>> {
    Ok(match kind {
        StoreKind::Memory => Arc::new(memory::MemoryStore::new()),
        StoreKind::Keyring => Arc::new(keyring::KeyringStore::open()?),
        StoreKind::Service => Arc::new(crate::lsa::service::client::ServiceStore::open()?),
    })
}

/// A home for logon sessions, shared by every thread of the process: the
/// one seam between the LSA's logic ([`crate::lsa::Lsa`], its
/// authentication packages) and where sessions and their secrets live.
/// The in-process stores and the LSA service's client
/// ([`crate::lsa::service::client::ServiceStore`]) implement it, so what
/// calls through `Lsa` (NTLM's credential operations, Kerberos'
/// credential lookups) never knows which is used; security packages
/// reach it only through `Lsa`'s methods.
pub trait SessionStore: Send + Sync {
    fn kind(&self) -> StoreKind;

    /// Insert the session, or replace the one with the same LUID.
    fn put(&self, session: &LogonSession) -> StoreResult<()>;

    /// The session named `luid`, if the store holds it.
    fn get(&self, luid: Luid) -> StoreResult<Option<LogonSession>>;

    /// Remove the session (its secrets are zeroized); `false` when absent.
    fn remove(&self, luid: Luid) -> StoreResult<bool>;

    /// Every session of the store, any `owner_uid` (the keyring store holds
    /// only keys the kernel says belong to the caller's uid).
    fn list(&self) -> StoreResult<Vec<Luid>>;

    /// Record (or clear) the session later processes of Linux user `uid`
    /// use when they name none: the "current logon" of the login session.
    fn set_current(&self, uid: u32, luid: Option<Luid>) -> StoreResult<()>;

    /// The session recorded by [`SessionStore::set_current`] for `uid`.
    fn current_for_user(&self, uid: u32) -> StoreResult<Option<Luid>>;

    /// Add `ticket` to the service tickets of session `luid`'s Kerberos
    /// credential (replacing the one for the same server and realm), for a
    /// caller of Linux user `caller_uid` (uid 0: any session). The memory
    /// store and the LSA service do it in one step under their lock, so
    /// concurrent callers lose no ticket; this default (the keyring store)
    /// reads and writes the whole session. `false` when the session is
    /// missing, another uid's or has no Kerberos credential;
    /// [`StoreError::Quota`] past [`MAX_SERVICE_TICKETS`].
    fn add_service_ticket(
        &self,
        luid: Luid,
        caller_uid: u32,
        ticket: &CachedTicket,
    ) -> StoreResult<bool> {
        read_modify_write(self, luid, |s| add_ticket_to(s, caller_uid, ticket))
    }

    /// Make `tgt` the TGT of session `luid`'s Kerberos credential (a TGT
    /// the LSA obtained with the session's keys), for a caller of Linux
    /// user `caller_uid` (uid 0: any session). The memory store (the LSA
    /// service's) does it in one step under its lock, so a concurrent
    /// AddTicket or Put neither loses it nor is lost; this default (the
    /// keyring store) reads and writes the whole session. `false` when the
    /// session is missing, another uid's or has no Kerberos credential.
    fn set_kerberos_tgt(
        &self,
        luid: Luid,
        caller_uid: u32,
        tgt: &CachedTicket,
    ) -> StoreResult<bool> {
        read_modify_write(self, luid, |s| Ok(set_tgt_of(s, caller_uid, tgt)))
    }

    /// Drop the tickets of session `luid`'s Kerberos credential that
    /// `KerbPurgeTicketCacheMessage` names ([`KerberosCredential::purge`]:
    /// the TGT too), for a caller of Linux user `caller_uid` (uid 0: any
    /// session). The memory store and the LSA service (which holds the
    /// TGT) do it in one step under their lock; this default (the keyring
    /// store) reads and writes the whole session. `false` when the session
    /// is missing, another uid's or has no Kerberos credential.
    fn purge_kerberos_tickets(
        &self,
        luid: Luid,
        caller_uid: u32,
        server: &str,
        realm: &str,
    ) -> StoreResult<bool> {
        read_modify_write(self, luid, |s| Ok(purge_of(s, caller_uid, server, realm)))
    }

    /// A ticket of session `luid`'s TGT for a caller of Linux user
    /// `caller_uid` (uid 0: any session), where the TGT's session key is:
    /// the LSA service runs it; this default (in-process stores, and the
    /// service's own store) gives the session its TGT first when it has
    /// none or an expired one and holds keys ([`session_tgt`]), answers a service ticket
    /// from the session's cache, else runs the TGS exchange unlocked
    /// ([`KerberosProvider::tgs`] of `provider`) and caches the new ticket
    /// (past [`MAX_SERVICE_TICKETS`] it is returned uncached). The inner
    /// error is the SSPI status: `SEC_E_NO_CREDENTIALS` for a missing or
    /// another uid's session, one without a Kerberos credential, or
    /// without a valid TGT and the keys to get one.
    fn kerberos_ticket(
        &self,
        luid: Luid,
        caller_uid: u32,
        request: &TicketRequest,
        provider: Option<&dyn KerberosProvider>,
    ) -> StoreResult<Result<CachedTicket, SecStatus>> {
        if let TicketRequest::Service(t) = request {
            if !t.is_valid() {
                return Ok(Err(SecStatus::TargetUnknown));
            }
        }
        // One budget for the renewal and the TGS exchange together.
        let deadline = Instant::now() + KERBEROS_TICKET_BUDGET;
        let status = session_tgt(self, luid, caller_uid, provider, deadline)?;
        if status != NtStatus::SUCCESS {
            return Ok(Err(tgt_status(status)));
        }
        let Some(s) = self.get(luid)?.filter(|s| may_use(s.owner_uid, caller_uid)) else {
            return Ok(Err(SecStatus::NoCredentials));
        };
        let now = crate::sspi::time::filetime_now();
        let Some(tgt) = KerberosCredential::of(&s)
            .and_then(|k| k.tgt.clone())
            .filter(|t| t.end_time > now)
        else {
            return Ok(Err(SecStatus::NoCredentials));
        };
        if let TicketRequest::Service(t) = request {
            if let Some(hit) = cached_service_ticket(&s, t, now) {
                return Ok(Ok(hit));
            }
        }
        drop(s);
        let Some(p) = provider else {
            return Ok(Err(SecStatus::NoAuthenticatingAuthority));
        };
        if Instant::now() >= deadline {
            return Ok(Err(SecStatus::NoAuthenticatingAuthority));
        }
        let ticket = match p.tgs(&tgt, request, deadline) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        if matches!(request, TicketRequest::Service(_)) {
            match self.add_service_ticket(luid, caller_uid, &ticket) {
                Ok(_) => {}
                Err(StoreError::Quota) => tracing::info!(
                    "logon session {luid}: ticket cache full, the ticket for {} is not cached",
                    ticket.server_name
                ),
                Err(e) => tracing::info!("logon session {luid}: ticket not cached: {e}"),
            }
        }
        Ok(Ok(ticket))
    }

    /// Run NTLM's credential operation `op` with the NT OWF of session
    /// `luid` for a caller of Linux user `caller_uid` (uid 0: any
    /// session). `None` when the session is missing, another uid's, or
    /// holds no NT OWF. A store kept in another process runs it there.
    fn msv1_0_credential_op(
        &self,
        luid: Luid,
        caller_uid: u32,
        op: &CredentialOp,
    ) -> StoreResult<Option<CredentialOpResult>> {
        let Some(s) = self.get(luid)? else {
            return Ok(None);
        };
        Ok(credential_op::run_for_session(&s, caller_uid, op))
    }
}

/// Give session `luid`'s Kerberos credential a valid TGT when it has none
/// or an expired one, with the long-term keys it holds
/// ([`KerberosProvider::initial_tgt`] of `provider`), for a caller of Linux
/// user `caller_uid`: the first step of [`SessionStore::kerberos_ticket`],
/// run where the keys are (the LSA service, or the process of an
/// in-process store). Reads the session, runs the exchange unlocked and
/// stores the new TGT in one step ([`SessionStore::set_kerberos_tgt`]).
/// See [`initial_tgt_for`] for the statuses.
fn session_tgt<S: SessionStore + ?Sized>(
    store: &S,
    luid: Luid,
    caller_uid: u32,
    provider: Option<&dyn KerberosProvider>,
    deadline: Instant,
) -> StoreResult<NtStatus> {
    let Some(mut s) = store.get(luid)? else {
        return Ok(NtStatus::NO_SUCH_LOGON_SESSION);
    };
    let (status, changed) = initial_tgt_for(&mut s, caller_uid, provider, deadline);
    if changed {
        // Only the TGT into the session as it is now (tickets added
        // meanwhile stay).
        if let Some(tgt) = KerberosCredential::of(&s).and_then(|k| k.tgt.as_ref()) {
            store.set_kerberos_tgt(luid, caller_uid, tgt)?;
        }
    }
    Ok(status)
}

/// A service ticket of session `s`'s cache for `target`, valid at `now`
/// (FILETIME).
fn cached_service_ticket(
    s: &LogonSession,
    target: &TicketTarget,
    now: i64,
) -> Option<CachedTicket> {
    let name = target.cache_name();
    KerberosCredential::of(s)?
        .service_tickets
        .iter()
        .find(|t| t.server_name == name && t.realm_name == target.realm && t.end_time > now)
        .cloned()
}

/// The SSPI status of a failed first (or renewed) TGT, an `LsaLogonUser`
/// status of the AS exchange, as the package reports the same KDC answers
/// at InitializeSecurityContext.
pub fn tgt_status(s: NtStatus) -> SecStatus {
    match s {
        NtStatus::LOGON_FAILURE | NtStatus::ACCOUNT_RESTRICTION => SecStatus::LogonDenied,
        NtStatus::NO_LOGON_SERVERS => SecStatus::NoAuthenticatingAuthority,
        NtStatus::TIME_DIFFERENCE_AT_DC => SecStatus::TimeSkew,
        NtStatus::NO_SUCH_LOGON_SESSION => SecStatus::NoCredentials,
        _ => SecStatus::InternalError,
    }
}

/// [`session_tgt`] on a session at hand: `SUCCESS`
/// when it has a valid TGT afterwards (`true`: this exchange's, to be
/// stored), else `STATUS_NO_SUCH_LOGON_SESSION` (another uid's session, no
/// Kerberos credential, or no keys in it to get a TGT with),
/// `STATUS_NO_LOGON_SERVERS` (no provider) or the provider's status. An
/// expired TGT is replaced by an AS exchange with the keys, as Windows'
/// LSA renews silently; without keys it stays expired
/// (`STATUS_NO_SUCH_LOGON_SESSION`).
pub fn initial_tgt_for(
    s: &mut LogonSession,
    caller_uid: u32,
    provider: Option<&dyn KerberosProvider>,
    deadline: Instant,
) -> (NtStatus, bool) {
    if !may_use(s.owner_uid, caller_uid) {
        return (NtStatus::NO_SUCH_LOGON_SESSION, false);
    }
    let Some(k) = KerberosCredential::of_mut(s) else {
        return (NtStatus::NO_SUCH_LOGON_SESSION, false);
    };
    match &k.tgt {
        Some(t) if t.end_time > crate::sspi::time::filetime_now() => {
            return (NtStatus::SUCCESS, false)
        }
        _ if k.keys.is_empty() => return (NtStatus::NO_SUCH_LOGON_SESSION, false),
        _ => {}
    }
    let Some(p) = provider else {
        return (NtStatus::NO_LOGON_SERVERS, false);
    };
    match p.initial_tgt(k, deadline) {
        Ok(t) => {
            k.tgt = Some(t);
            (NtStatus::SUCCESS, true)
        }
        Err(e) => (e, false),
    }
}

/// [`SessionStore::set_kerberos_tgt`] on a session at hand.
pub fn set_tgt_of(s: &mut LogonSession, caller_uid: u32, tgt: &CachedTicket) -> bool {
    if !may_use(s.owner_uid, caller_uid) {
        return false;
    }
    match KerberosCredential::of_mut(s) {
        Some(k) => {
            k.tgt = Some(tgt.clone());
            true
        }
        None => false,
    }
}

/// [`SessionStore::purge_kerberos_tickets`] on a session at hand.
pub fn purge_of(s: &mut LogonSession, caller_uid: u32, server: &str, realm: &str) -> bool {
    if !may_use(s.owner_uid, caller_uid) {
        return false;
    }
    match KerberosCredential::of_mut(s) {
        Some(k) => {
            k.purge(server, realm);
            true
        }
        None => false,
    }
}

/// The time a client's Kerberos ticket request may take in the LSA, its
/// TGT renewal (AS exchange) and TGS exchange together: one deadline for
/// both, below the LSA service clients' 5 s limit
/// ([`crate::lsa::service::client::IO_TIMEOUT`]), so a slow or silent KDC
/// gives the client `SEC_E_NO_AUTHENTICATING_AUTHORITY`, not a dropped
/// connection.
pub const KERBEROS_TICKET_BUDGET: Duration = Duration::from_secs(4);

/// Most service tickets one session caches.
pub const MAX_SERVICE_TICKETS: usize = 256;

/// The read-modify-write of the default Kerberos ticket operations of
/// [`SessionStore`] (stores without a lock of their own): read session
/// `luid`, apply `change`, write it back when `change` says it applied.
/// `false`: no such session, or `change` did not apply.
fn read_modify_write<S: SessionStore + ?Sized>(
    store: &S,
    luid: Luid,
    change: impl FnOnce(&mut LogonSession) -> StoreResult<bool>,
) -> StoreResult<bool> {
    let Some(mut s) = store.get(luid)? else {
        return Ok(false);
    };
    if !change(&mut s)? {
        return Ok(false);
    }
    store.put(&s)?;
    Ok(true)
}

/// [`SessionStore::add_service_ticket`] on a session at hand.
pub fn add_ticket_to(
    s: &mut LogonSession,
    caller_uid: u32,
    ticket: &CachedTicket,
) -> StoreResult<bool> {
    if !may_use(s.owner_uid, caller_uid) {
        return Ok(false);
    }
    let Some(k) = KerberosCredential::of_mut(s) else {
        return Ok(false);
    };
    let same =
        |t: &CachedTicket| t.server_name == ticket.server_name && t.realm_name == ticket.realm_name;
    let full = k.service_tickets.len() >= MAX_SERVICE_TICKETS;
    match k.service_tickets.iter_mut().find(|t| same(t)) {
        Some(t) => *t = ticket.clone(),
        None if full => return Err(StoreError::Quota),
        None => k.service_tickets.push(ticket.clone()),
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_setting() {
        assert_eq!(StoreKind::parse(None), Ok(StoreKind::Service));
        assert_eq!(StoreKind::parse(Some("")), Ok(StoreKind::Service));
        assert_eq!(StoreKind::parse(Some("memory")), Ok(StoreKind::Memory));
        assert_eq!(StoreKind::parse(Some("Service")), Ok(StoreKind::Service));
        assert_eq!(StoreKind::parse(Some("KeyRing")), Ok(StoreKind::Keyring));
        assert!(matches!(
            StoreKind::parse(Some("disk")),
            Err(StoreError::UnknownKind(_))
        ));
    }

    /// The contract every store keeps; run against each store.
    pub(crate) fn exercise(store: &dyn SessionStore) {
        let s = codec::tests::sample(4242);
        let id = s.logon_id;
        assert!(store.get(id).unwrap().is_none());
        store.put(&s).unwrap();
        let got = store.get(id).unwrap().unwrap();
        assert_eq!(got.user, "alice");
        assert_eq!(got.owner_uid, 4242);
        assert!(store.list().unwrap().contains(&id));
        store.set_current(4242, Some(id)).unwrap();
        assert_eq!(store.current_for_user(4242).unwrap(), Some(id));
        assert_eq!(store.current_for_user(4243).unwrap(), None);
        assert!(store.remove(id).unwrap());
        assert!(!store.remove(id).unwrap());
        assert!(store.get(id).unwrap().is_none());
        assert!(!store.list().unwrap().contains(&id));
        store.set_current(4242, None).unwrap();
        assert_eq!(store.current_for_user(4242).unwrap(), None);
    }

    #[test]
    fn service_tickets_are_added_for_the_owner_and_bounded() {
        let store = memory::MemoryStore::new();
        let mut s = codec::tests::sample(4242);
        s.credentials.insert(
            crate::lsa::packages::KERBEROS_ID,
            KerberosCredential::default(),
        );
        store.put(&s).unwrap();
        let t = |name: String| CachedTicket {
            server_name: name,
            realm_name: "R".into(),
            start_time: 0,
            end_time: 0,
            renew_time: 0,
            encryption_type: 18,
            ticket_flags: 0,
            encoded: Default::default(),
        };
        // Another uid: nothing added.
        assert!(!store
            .add_service_ticket(s.logon_id, 4243, &t("a".into()))
            .unwrap());
        for i in 0..MAX_SERVICE_TICKETS {
            assert!(store
                .add_service_ticket(s.logon_id, 4242, &t(format!("s{i}")))
                .unwrap());
        }
        // The same server again replaces; a new one is over the limit.
        assert!(store
            .add_service_ticket(s.logon_id, 0, &t("s0".into()))
            .unwrap());
        assert_eq!(
            store.add_service_ticket(s.logon_id, 4242, &t("new".into())),
            Err(StoreError::Quota)
        );
        let got = store.get(s.logon_id).unwrap().unwrap();
        let k = KerberosCredential::of(&got).unwrap();
        assert_eq!(k.service_tickets.len(), MAX_SERVICE_TICKETS);
    }

    #[test]
    fn memory_store_contract() {
        exercise(&memory::MemoryStore::new());
    }

    /// A session's first TGT (NewCredentials' first use): only for the
    /// owner (or root), only a credential with keys and no valid TGT; a
    /// valid TGT is kept, an expired one is renewed with the keys (Windows'
    /// LSA renews silently) and stays expired without keys; the provider's
    /// failure is the answer and changes nothing.
    #[test]
    fn initial_tgt_only_for_the_owners_keyed_credential_without_a_tgt() {
        use crate::lsa::packages::kerberos::KerberosKey;
        use crate::lsa::packages::{KerberosProvider, LogonError, ValidatedLogon, KERBEROS_ID};
        use crate::lsa::session::SecurityLogonType;
        use crate::lsa::submit::InteractiveLogon;
        use zeroize::Zeroizing;

        struct Kdc(Result<i64, NtStatus>);
        impl KerberosProvider for Kdc {
            fn logon(
                &self,
                _: SecurityLogonType,
                _: &InteractiveLogon,
            ) -> Result<(ValidatedLogon, KerberosCredential), LogonError> {
                Err(NtStatus::NO_LOGON_SERVERS.into())
            }
            fn accept_credentials(
                &self,
                _: &ValidatedLogon,
                _: &InteractiveLogon,
            ) -> Option<KerberosCredential> {
                None
            }
            fn initial_tgt(
                &self,
                k: &KerberosCredential,
                _: Instant,
            ) -> Result<CachedTicket, NtStatus> {
                assert!(!k.keys.is_empty());
                self.0.map(ticket)
            }
        }
        fn ticket(end_time: i64) -> CachedTicket {
            CachedTicket {
                server_name: "krbtgt/R".into(),
                realm_name: "R".into(),
                start_time: 0,
                end_time,
                renew_time: 0,
                encryption_type: 18,
                ticket_flags: 0,
                encoded: Zeroizing::new(vec![1]),
            }
        }
        let future = crate::sspi::time::filetime_now() + 36_000_000_000;
        let mut s = codec::tests::sample(1000);
        let good = Kdc(Ok(future));
        let run = |s: &mut LogonSession, uid, p: Option<&dyn KerberosProvider>| {
            initial_tgt_for(s, uid, p, Instant::now() + KERBEROS_TICKET_BUDGET)
        };
        // No Kerberos credential.
        assert_eq!(
            run(&mut s, 1000, Some(&good)),
            (NtStatus::NO_SUCH_LOGON_SESSION, false)
        );
        s.credentials.insert(
            KERBEROS_ID,
            KerberosCredential {
                renewable_with_keys: false,
                principal: "alice@R".into(),
                realm: "R".into(),
                keys: Vec::new(),
                tgt: None,
                service_tickets: Vec::new(),
            },
        );
        // No keys (a client's copy).
        assert_eq!(
            run(&mut s, 1000, Some(&good)),
            (NtStatus::NO_SUCH_LOGON_SESSION, false)
        );
        KerberosCredential::of_mut(&mut s).unwrap().keys = vec![KerberosKey {
            etype: 18,
            kvno: 0,
            key: Zeroizing::new(vec![1; 32]),
        }];
        // Another uid; no provider; the KDC's refusal.
        assert_eq!(
            run(&mut s, 1001, Some(&good)),
            (NtStatus::NO_SUCH_LOGON_SESSION, false)
        );
        assert_eq!(run(&mut s, 1000, None), (NtStatus::NO_LOGON_SERVERS, false));
        let refused = Kdc(Err(NtStatus::LOGON_FAILURE));
        assert_eq!(
            run(&mut s, 1000, Some(&refused)),
            (NtStatus::LOGON_FAILURE, false)
        );
        assert!(KerberosCredential::of(&s).unwrap().tgt.is_none());
        // Root, for the owner: the TGT is obtained.
        assert_eq!(run(&mut s, 0, Some(&good)), (NtStatus::SUCCESS, true));
        assert_eq!(
            KerberosCredential::of(&s)
                .unwrap()
                .tgt
                .as_ref()
                .unwrap()
                .end_time,
            future
        );
        // A valid TGT stays; an expired one is renewed with the keys.
        assert_eq!(
            run(&mut s, 1000, Some(&refused)),
            (NtStatus::SUCCESS, false)
        );
        KerberosCredential::of_mut(&mut s).unwrap().tgt = Some(ticket(1));
        assert_eq!(run(&mut s, 1000, Some(&good)), (NtStatus::SUCCESS, true));
        let tgt_end =
            |s: &LogonSession| KerberosCredential::of(s)?.tgt.as_ref().map(|t| t.end_time);
        assert_eq!(tgt_end(&s), Some(future));
        // Expired, no keys: nothing to renew with.
        let k = KerberosCredential::of_mut(&mut s).unwrap();
        k.tgt = Some(ticket(1));
        k.keys.clear();
        assert_eq!(
            run(&mut s, 1000, Some(&good)),
            (NtStatus::NO_SUCH_LOGON_SESSION, false)
        );
        assert_eq!(tgt_end(&s), Some(1));
    }
}

#[cfg(test)]
mod tgt_race_tests {
    use super::*;
    use crate::lsa::packages::kerberos::KerberosKey;
    use crate::lsa::packages::{LogonError, ValidatedLogon, KERBEROS_ID};
    use crate::lsa::session::SecurityLogonType;
    use crate::lsa::submit::InteractiveLogon;
    use std::sync::atomic::{AtomicBool, Ordering};
    use zeroize::Zeroizing;

    pub(crate) fn ticket(server: &str, end_time: i64) -> CachedTicket {
        CachedTicket {
            server_name: server.into(),
            realm_name: "R".into(),
            start_time: 0,
            end_time,
            renew_time: 0,
            encryption_type: 18,
            ticket_flags: 0,
            encoded: Zeroizing::new(vec![1]),
        }
    }

    /// A session of uid 1000 with keys and an expired TGT.
    pub(crate) fn keyed_session() -> LogonSession {
        let mut s = codec::tests::sample(1000);
        s.credentials.insert(
            KERBEROS_ID,
            KerberosCredential {
                renewable_with_keys: false,
                principal: "alice@R".into(),
                realm: "R".into(),
                keys: vec![KerberosKey {
                    etype: 18,
                    kvno: 1,
                    key: Zeroizing::new(vec![1; 32]),
                }],
                tgt: Some(ticket("krbtgt/R", 1)),
                service_tickets: Vec::new(),
            },
        );
        s
    }

    /// A KDC whose AS exchange gives a TGT valid for an hour.
    struct Kdc;
    impl KerberosProvider for Kdc {
        fn logon(
            &self,
            _: SecurityLogonType,
            _: &InteractiveLogon,
        ) -> Result<(ValidatedLogon, KerberosCredential), LogonError> {
            Err(NtStatus::NO_LOGON_SERVERS.into())
        }
        fn accept_credentials(
            &self,
            _: &ValidatedLogon,
            _: &InteractiveLogon,
        ) -> Option<KerberosCredential> {
            None
        }
        fn initial_tgt(
            &self,
            _: &KerberosCredential,
            _: Instant,
        ) -> Result<CachedTicket, NtStatus> {
            let hour = 36_000_000_000;
            Ok(ticket("krbtgt/R", crate::sspi::time::filetime_now() + hour))
        }
    }

    /// The memory store, where another process adds a service ticket
    /// (another thread, run to completion) at the worst moment: right
    /// before the renewed TGT is written, after the session was read.
    struct Racing {
        inner: memory::MemoryStore,
        armed: AtomicBool,
        luid: Luid,
    }
    impl Racing {
        fn race(&self) {
            if self.armed.swap(false, Ordering::SeqCst) {
                std::thread::scope(|t| {
                    t.spawn(|| {
                        let added = self.inner.add_service_ticket(
                            self.luid,
                            1000,
                            &ticket("HTTP/web", i64::MAX),
                        );
                        assert_eq!(added, Ok(true));
                    });
                });
            }
        }
    }
    impl SessionStore for Racing {
        fn kind(&self) -> StoreKind {
            StoreKind::Memory
        }
        fn put(&self, s: &LogonSession) -> StoreResult<()> {
            self.inner.put(s)
        }
        fn get(&self, luid: Luid) -> StoreResult<Option<LogonSession>> {
            let got = self.inner.get(luid);
            self.race();
            got
        }
        fn remove(&self, luid: Luid) -> StoreResult<bool> {
            self.inner.remove(luid)
        }
        fn list(&self) -> StoreResult<Vec<Luid>> {
            self.inner.list()
        }
        fn set_current(&self, uid: u32, luid: Option<Luid>) -> StoreResult<()> {
            self.inner.set_current(uid, luid)
        }
        fn current_for_user(&self, uid: u32) -> StoreResult<Option<Luid>> {
            self.inner.current_for_user(uid)
        }
        fn add_service_ticket(&self, l: Luid, uid: u32, t: &CachedTicket) -> StoreResult<bool> {
            self.inner.add_service_ticket(l, uid, t)
        }
        fn set_kerberos_tgt(&self, l: Luid, uid: u32, t: &CachedTicket) -> StoreResult<bool> {
            self.race();
            self.inner.set_kerberos_tgt(l, uid, t)
        }
    }

    /// A service ticket another thread adds while the LSA renews the TGT
    /// is kept, and so is the renewed TGT: storing it is one step.
    #[test]
    fn a_renewed_tgt_and_a_concurrent_ticket_are_both_kept() {
        let s = keyed_session();
        let store = Racing {
            inner: memory::MemoryStore::new(),
            armed: AtomicBool::new(false),
            luid: s.logon_id,
        };
        store.inner.put(&s).unwrap();
        let l = s.logon_id;
        // The AS exchange arms the race: the ticket is added after the
        // session was read, before the TGT is stored.
        struct Arming<'a>(&'a Racing);
        impl KerberosProvider for Arming<'_> {
            fn logon(
                &self,
                t: SecurityLogonType,
                r: &InteractiveLogon,
            ) -> Result<(ValidatedLogon, KerberosCredential), LogonError> {
                Kdc.logon(t, r)
            }
            fn accept_credentials(
                &self,
                v: &ValidatedLogon,
                r: &InteractiveLogon,
            ) -> Option<KerberosCredential> {
                Kdc.accept_credentials(v, r)
            }
            fn initial_tgt(
                &self,
                k: &KerberosCredential,
                d: Instant,
            ) -> Result<CachedTicket, NtStatus> {
                self.0.armed.store(true, Ordering::SeqCst);
                Kdc.initial_tgt(k, d)
            }
        }
        let deadline = Instant::now() + KERBEROS_TICKET_BUDGET;
        let status = session_tgt(&store, l, 1000, Some(&Arming(&store)), deadline).unwrap();
        assert_eq!(status, NtStatus::SUCCESS);
        assert!(!store.armed.load(Ordering::SeqCst), "no concurrent add ran");
        let now = store.inner.get(l).unwrap().unwrap();
        let k = KerberosCredential::of(&now).unwrap();
        assert!(
            k.tgt.as_ref().unwrap().end_time > crate::sspi::time::filetime_now(),
            "the renewed TGT was lost"
        );
        let names: Vec<_> = k.service_tickets.iter().map(|t| &t.server_name).collect();
        assert_eq!(names, ["HTTP/web"], "the concurrent ticket was lost");
    }
}
