//! The Local Security Authority: logon sessions, authentication packages
//! behind one interface ([`packages::AuthenticationPackage`]: Negotiate,
//! Kerberos, MSV1_0), the account database and the session stores.
//!
//! Security packages ask the LSA for what a logon session holds
//! ([`msv1_0_primary_credential`]) and for the local account database
//! ([`accounts`]) when they act as a server. The C exports (`Lsa*`,
//! `LogonUser`, `ImpersonateLoggedOnUser`, `RevertToSelf`) are thin
//! wrappers over [`Lsa`]'s methods and the free functions here.
//!
//! Which logon session a call without an explicit LUID uses
//! ([`Lsa::caller_session`]): the session the calling thread impersonates
//! ([`Lsa::impersonate`] / [`revert_to_self`]; `ImpersonateSecurityContext`
//! impersonates the client's [`network`] logon session, which has no
//! credentials), else the process default
//! session (the first session this process logged on, or the one set with
//! [`Lsa::set_process_session`]), else the store's current session for this
//! Linux user (the last `sspilogon` with the keyring store); none →
//! `SEC_E_NO_CREDENTIALS`. A session is usable only by processes of the
//! Linux uid that created it; uid 0 plays the role of a caller holding
//! SeTcbPrivilege.
//!
//! The C exports map onto this API (`L` = [`lsa()`]`?`):
//!
//! | export | Rust |
//! |---|---|
//! | `LsaConnectUntrusted` | `L.connect_untrusted()` → handle |
//! | `LsaRegisterLogonProcess` | `L.register_logon_process(name)` → (handle, mode) |
//! | `LsaDeregisterLogonProcess` | `L.deregister_logon_process(handle)` |
//! | `LsaLookupAuthenticationPackage` | `L.packages().lookup(name)` ([`packages::PackageRegistry`]) |
//! | `LsaLogonUser` | `L.connection(h)?` then `L.logon_user_raw(pkg, type, submit, addr)`; profile = `result.profile.to_block()`, token names `result.logon_id` |
//! | `LogonUserW`/`A` | `L.logon_user_w(user, domain, password, type, provider)`; error → [`status::NtStatus::to_win32_error`] |
//! | `ImpersonateLoggedOnUser` / `RevertToSelf` | `L.impersonate(luid)` / [`revert_to_self`] |
//! | `ImpersonateSecurityContext` / `RevertSecurityContext` | `L.network_logon_with(ctx.network_identity())` once per server context, then `L.impersonate(luid)` / [`revert_to_self`]; `DeleteSecurityContext` → `L.logoff(luid)` |
//! | `LsaCallAuthenticationPackage` | `L.call_authentication_package(h, pkg, request, addr)` |
//! | `LsaEnumerateLogonSessions` | `L.enumerate_sessions()` |
//! | `LsaGetLogonSessionData` | `L.session_data(luid)?.to_block()` |
//! | `LsaFreeReturnBuffer` | frees what the C layer allocated for a [`wire::ReturnBlock`] |
//! | (logoff) | `L.logoff(luid)` |

pub mod accounts;
pub mod call_package;
pub mod logon;
pub mod network;
pub mod packages;
pub mod secret;
pub mod service;
pub mod session;
pub mod status;
pub mod store;
pub mod submit;
pub mod watched;
pub mod wire;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Arc;

use once_cell::sync::OnceCell;
use parking_lot::{Mutex, RwLock};

use crate::lsa::packages::msv1_0::credential_op::{CredentialOp, CredentialOpResult};
use crate::sspi::{SecResult, SecStatus};
use crate::trace::reject;
use accounts::AccountDatabase;
use packages::{KerberosProviderRef, PackageRegistry, KERBEROS_ID};
use session::{KerberosCredential, LogonSession};
use status::{NtResult, NtStatus};
use store::{SessionStore, StoreError};
use wire::LogonSessionData;

pub use logon::LogonResult;
pub use packages::msv1_0::Msv1_0PrimaryCredential;
pub use packages::LogonError;
pub use submit::InteractiveLogon;

/// A locally unique identifier: names a logon session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Luid {
    pub low_part: u32,
    pub high_part: i32,
}

/// The status a package reports when an explicit `pvLogonID` names a
/// session that does not exist or belongs to another user. (Windows
/// refuses another session without SeTcbPrivilege; the code it returns
/// then is unverified — `SEC_E_NOT_OWNER` is the other candidate.) One
/// code for both cases, so callers cannot probe for other users' LUIDs.
pub const FOREIGN_SESSION_STATUS: SecStatus = SecStatus::LogonDenied;

thread_local! {
    static IMPERSONATING: Cell<Option<Luid>> = const { Cell::new(None) };
}

/// The session the calling thread impersonates, if any.
pub fn impersonated_session() -> Option<Luid> {
    IMPERSONATING.try_with(Cell::get).ok().flatten()
}

/// `RevertToSelf`: the calling thread stops impersonating. Always succeeds.
pub fn revert_to_self() {
    let _ = IMPERSONATING.try_with(|c| c.set(None));
}

/// One `LsaConnectUntrusted` / `LsaRegisterLogonProcess` connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Registered as a logon process (the caller had "SeTcbPrivilege").
    pub trusted: bool,
    pub logon_process_name: String,
}

/// The LSA: a session store plus the process's view of it. The library
/// uses one per process ([`lsa`]); tests and tools may make their own.
pub struct Lsa {
    store: Arc<dyn SessionStore>,
    packages: Arc<PackageRegistry>,
    accounts: Option<Arc<AccountDatabase>>,
    uid: u32,
    process_session: Mutex<Option<Luid>>,
    kerberos: RwLock<Option<KerberosProviderRef>>,
    connections: Mutex<BTreeMap<u64, Connection>>,
    /// Network logon sessions of authenticated clients ([`network`]).
    network: network::NetworkSessions,
}

static GLOBAL: OnceCell<Result<Lsa, StoreError>> = OnceCell::new();

/// The process's LSA, created on first use with the store
/// `OPENSSPI_LSA_STORE` selects (see [`store`]). Fails when that store is
/// unavailable or the setting is invalid (status
/// `STATUS_INSUFFICIENT_RESOURCES`; [`global_store_error`] says why).
pub fn lsa() -> NtResult<&'static Lsa> {
    GLOBAL
        .get_or_init(|| {
            store::StoreKind::from_env()
                .and_then(store::open)
                .map(Lsa::new)
        })
        .as_ref()
        .map_err(StoreError::nt_status)
}

/// Why [`lsa`] fails, if it does.
pub fn global_store_error() -> Option<StoreError> {
    let _ = lsa();
    GLOBAL.get().and_then(|r| r.as_ref().err().cloned())
}

/// Make `lsa` the process's LSA before anything used it (a program that
/// wants a store other than the setting's). `false` when the global LSA
/// already existed (it is left as it was).
pub fn install_global(lsa: Lsa) -> bool {
    GLOBAL.set(Ok(lsa)).is_ok()
}

/// The primary credential of the caller's logon session (or of `logon_id`),
/// for noninteractive authentication. `SEC_E_NO_CREDENTIALS` when there is
/// no logon session; [`FOREIGN_SESSION_STATUS`] when `logon_id` names a
/// session that is missing or not the caller's.
pub fn msv1_0_primary_credential(logon_id: Option<Luid>) -> SecResult<Msv1_0PrimaryCredential> {
    lsa()
        .map_err(|_| SecStatus::InternalError)?
        .primary_credential(logon_id)
}

/// [`Lsa::msv1_0_credential_op`] on the process's LSA.
pub fn msv1_0_credential_op(luid: Luid, op: &CredentialOp) -> SecResult<CredentialOpResult> {
    lsa()
        .map_err(|_| SecStatus::InternalError)?
        .msv1_0_credential_op(luid, op)
}

fn store_err(e: StoreError) -> NtStatus {
    e.nt_status()
}

impl Lsa {
    /// An LSA over `store`, acting for this process's effective uid and
    /// reading the account database from `NTLM_USER_FILE`.
    pub fn new(store: Arc<dyn SessionStore>) -> Lsa {
        Lsa {
            store,
            packages: PackageRegistry::standard().clone(),
            accounts: None,
            uid: store::keyring::current_uid(),
            process_session: Mutex::new(None),
            kerberos: RwLock::new(None),
            connections: Mutex::new(BTreeMap::new()),
            network: Default::default(),
        }
    }

    /// Register another authentication package after the standard ones
    /// (its id: the next one, 3 for the first; `LsaLookupAuthenticationPackage`
    /// through [`Lsa::packages`] finds it). Its credentials live in the
    /// sessions of the in-process memory store only: the stores that
    /// serialise sessions decode with the standard registry.
    pub fn with_package(mut self, package: Arc<dyn packages::AuthenticationPackage>) -> Lsa {
        let mut r = (*self.packages).clone();
        r.register(package);
        self.packages = Arc::new(r);
        self
    }

    /// Use this account database instead of `NTLM_USER_FILE`'s.
    pub fn with_accounts(mut self, db: Arc<AccountDatabase>) -> Lsa {
        self.accounts = Some(db);
        self
    }

    /// Act for Linux user `uid` (tests; a privileged service acting for
    /// a user). Sessions created are owned by it and only its sessions
    /// are usable (uid 0: all).
    pub fn with_caller_uid(mut self, uid: u32) -> Lsa {
        self.uid = uid;
        self
    }

    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    /// The Linux uid this LSA acts for.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The authentication packages (ids, names, `LSA_AP_*` functions).
    pub fn packages(&self) -> &PackageRegistry {
        &self.packages
    }

    /// The account database MSV1_0 validates logons against.
    pub fn accounts(&self) -> Arc<AccountDatabase> {
        self.accounts.clone().unwrap_or_else(accounts::database)
    }

    /// Register the Kerberos package's logon hooks.
    pub fn set_kerberos_provider(&self, provider: Option<KerberosProviderRef>) {
        *self.kerberos.write() = provider;
    }

    /// The registered Kerberos logon hooks, if any.
    pub fn kerberos_provider(&self) -> Option<KerberosProviderRef> {
        self.kerberos.read().clone()
    }

    fn privileged(&self) -> bool {
        self.uid == 0
    }

    /// The session `luid` if the caller may use it:
    /// `STATUS_NO_SUCH_LOGON_SESSION` when absent, `STATUS_ACCESS_DENIED`
    /// when another uid's (BEHAVIOURS item 129).
    pub fn owned_session(&self, luid: Luid) -> NtResult<LogonSession> {
        let s = match self.network.get(luid) {
            Some(s) => s,
            None => self
                .store
                .get(luid)
                .map_err(store_err)?
                .ok_or(NtStatus::NO_SUCH_LOGON_SESSION)?,
        };
        if s.owner_uid != self.uid && !self.privileged() {
            return Err(NtStatus::ACCESS_DENIED);
        }
        Ok(s)
    }

    // ---- which session -------------------------------------------------

    /// The session a call without an explicit LUID uses (see the module
    /// documentation), or `None`.
    pub fn caller_session(&self) -> NtResult<Option<Luid>> {
        if let Some(l) = impersonated_session() {
            return Ok(Some(l));
        }
        if let Some(l) = *self.process_session.lock() {
            return Ok(Some(l));
        }
        self.store.current_for_user(self.uid).map_err(store_err)
    }

    /// `ImpersonateLoggedOnUser` with the token of session `luid`: the
    /// calling thread uses that session until [`revert_to_self`].
    pub fn impersonate(&self, luid: Luid) -> NtResult<()> {
        self.owned_session(luid)?;
        IMPERSONATING.with(|c| c.set(Some(luid)));
        Ok(())
    }

    /// The process default session.
    pub fn process_session(&self) -> Option<Luid> {
        *self.process_session.lock()
    }

    /// Set (or clear) the process default session.
    pub fn set_process_session(&self, luid: Option<Luid>) -> NtResult<()> {
        if let Some(l) = luid {
            self.owned_session(l)?;
        }
        *self.process_session.lock() = luid;
        Ok(())
    }

    fn set_process_session_if_unset(&self, luid: Luid) {
        self.process_session.lock().get_or_insert(luid);
    }

    /// Resolve the session a package call uses: explicit `logon_id` (must
    /// be the caller's) or the caller's session.
    fn session_for_package(&self, logon_id: Option<Luid>) -> SecResult<LogonSession> {
        match logon_id {
            Some(l) => self.owned_session(l).map_err(|e| match e {
                NtStatus::NO_SUCH_LOGON_SESSION | NtStatus::ACCESS_DENIED => reject!(
                    FOREIGN_SESSION_STATUS,
                    "logon session {l} for uid {}: {e}",
                    self.uid
                ),
                _ => SecStatus::InternalError,
            }),
            None => {
                let l = self
                    .caller_session()
                    .map_err(|_| SecStatus::InternalError)?
                    .ok_or_else(|| {
                        reject!(
                            SecStatus::NoCredentials,
                            "no logon session for uid {} (log on first: LsaLogonUser or sspilogon)",
                            self.uid
                        )
                    })?;
                self.owned_session(l).map_err(|e| match e {
                    NtStatus::NO_SUCH_LOGON_SESSION | NtStatus::ACCESS_DENIED => reject!(
                        SecStatus::NoCredentials,
                        "the current logon session {l} of uid {}: {e}",
                        self.uid
                    ),
                    _ => SecStatus::InternalError,
                })
            }
        }
    }

    /// MSV1_0's credential for noninteractive authentication (see
    /// [`msv1_0_primary_credential`]).
    pub fn primary_credential(&self, logon_id: Option<Luid>) -> SecResult<Msv1_0PrimaryCredential> {
        let s = self.session_for_package(logon_id)?;
        let id = s.logon_id;
        Msv1_0PrimaryCredential::of(&s).cloned().ok_or_else(|| {
            reject!(
                SecStatus::NoCredentials,
                "logon session {id} has no MSV1_0 (NTLM) credential"
            )
        })
    }

    /// NTLM's credential operation `op` (a response and SessionBaseKey,
    /// [`crate::lsa::packages::msv1_0::credential_op`]) with the NT OWF of session
    /// `luid`, wherever the store keeps it: the OWF is not handed out.
    /// The session must be the caller's (uid 0: any); a missing or foreign
    /// session, or one without an NT OWF → `SEC_E_NO_CREDENTIALS`.
    pub fn msv1_0_credential_op(
        &self,
        luid: Luid,
        op: &CredentialOp,
    ) -> SecResult<CredentialOpResult> {
        match self.store.msv1_0_credential_op(luid, self.uid, op) {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(SecStatus::NoCredentials),
            Err(_) => Err(SecStatus::InternalError),
        }
    }

    /// The Kerberos package's credential of the caller's session (or of
    /// `logon_id`), with the session's LUID.
    pub fn kerberos_credential(
        &self,
        logon_id: Option<Luid>,
    ) -> SecResult<(Luid, KerberosCredential)> {
        let s = self.session_for_package(logon_id)?;
        let id = s.logon_id;
        KerberosCredential::of(&s)
            .cloned()
            .map(|k| (id, k))
            .ok_or_else(|| {
                reject!(
                    SecStatus::NoCredentials,
                    "logon session {id} has no Kerberos credential"
                )
            })
    }

    /// Add a service ticket to the ticket cache of session `luid` (the
    /// caller's; uid 0: any) in one step, whatever other processes add at
    /// the same time ([`SessionStore::add_service_ticket`]).
    /// `STATUS_NO_SUCH_LOGON_SESSION` when the session is missing, not the
    /// caller's or has no Kerberos credential; `STATUS_QUOTA_EXCEEDED` past
    /// [`store::MAX_SERVICE_TICKETS`].
    pub fn add_kerberos_service_ticket(
        &self,
        luid: Luid,
        ticket: &session::CachedTicket,
    ) -> NtResult<()> {
        match self.store.add_service_ticket(luid, self.uid, ticket) {
            Ok(true) => Ok(()),
            Ok(false) => Err(NtStatus::NO_SUCH_LOGON_SESSION),
            Err(e) => Err(store_err(e)),
        }
    }

    /// Drop the tickets of session `luid` (the caller's; uid 0: any) that
    /// match `server` and `realm` (empty: every one), the TGT included,
    /// where they are, in one step ([`SessionStore::purge_kerberos_tickets`]:
    /// the LSA service purges its copy). `STATUS_NO_SUCH_LOGON_SESSION`
    /// when the session is missing, not the caller's or has no Kerberos
    /// credential.
    pub fn purge_kerberos_tickets(&self, luid: Luid, server: &str, realm: &str) -> NtResult<()> {
        match self
            .store
            .purge_kerberos_tickets(luid, self.uid, server, realm)
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(NtStatus::NO_SUCH_LOGON_SESSION),
            Err(e) => Err(store_err(e)),
        }
    }

    /// A ticket of session `luid`'s TGT (the caller's session; uid 0:
    /// any), obtained where the TGT's session key is
    /// ([`SessionStore::kerberos_ticket`]: the LSA service runs the TGS
    /// exchange, the in-process stores run it here with the registered
    /// provider): a service ticket (cached in the session) or a
    /// FORWARDED TGT to delegate. The application receives that ticket and
    /// its session key, never the TGT's.
    pub fn kerberos_ticket(
        &self,
        luid: Luid,
        request: &packages::kerberos::TicketRequest,
    ) -> SecResult<session::CachedTicket> {
        let provider = self.kerberos_provider();
        self.store
            .kerberos_ticket(luid, self.uid, request, provider.as_deref())
            .map_err(|e| {
                reject!(
                    SecStatus::InternalError,
                    "logon session {luid}: Kerberos ticket: {e}"
                )
            })?
    }

    /// Replace the Kerberos credential of session `luid` (the Kerberos
    /// package storing a new TGT or service ticket).
    pub fn update_kerberos_credential(
        &self,
        luid: Luid,
        cred: Option<KerberosCredential>,
    ) -> NtResult<()> {
        let mut s = self.owned_session(luid)?;
        match cred {
            Some(k) => s.credentials.insert(KERBEROS_ID, k),
            None => s.credentials.set(KERBEROS_ID, None),
        }
        self.store.put(&s).map_err(store_err)
    }

    // ---- Lsa* functions ------------------------------------------------

    /// Log session `luid` off: remove it from the store (its secrets are
    /// zeroized) and forget it as current / default / impersonated (this
    /// thread) session. A [`network`] session is only removed: a thread
    /// that still impersonates it gets no credentials, never the
    /// process's (it has not reverted).
    pub fn logoff(&self, luid: Luid) -> NtResult<()> {
        tracing::debug!("logoff of logon session {luid} by uid {}", self.uid);
        self.owned_session(luid)?;
        if self.network.remove(luid) {
            self.logon_terminated(luid);
            return Ok(());
        }
        self.store.remove(luid).map_err(store_err)?;
        if self.store.current_for_user(self.uid).map_err(store_err)? == Some(luid) {
            self.store.set_current(self.uid, None).map_err(store_err)?;
        }
        let mut p = self.process_session.lock();
        if *p == Some(luid) {
            *p = None;
        }
        if impersonated_session() == Some(luid) {
            revert_to_self();
        }
        self.logon_terminated(luid);
        Ok(())
    }

    /// `LsaApLogonTerminated` of every package: session `luid` (a stored
    /// or a [`network`] session) was logged off by this process.
    fn logon_terminated(&self, luid: Luid) {
        for (_, p) in self.packages.iter() {
            p.logon_terminated(luid);
        }
    }

    /// `LsaEnumerateLogonSessions`: the sessions the caller may query
    /// (its own; uid 0: all), sorted.
    pub fn enumerate_sessions(&self) -> NtResult<Vec<Luid>> {
        let mut out = Vec::new();
        for l in self.store.list().map_err(store_err)? {
            if self.owned_session(l).is_ok() {
                out.push(l);
            }
        }
        out.extend(self.network.luids());
        out.sort();
        Ok(out)
    }

    /// `LsaGetLogonSessionData` (no secrets);
    /// [`LogonSessionData::to_block`] gives the C structure.
    pub fn session_data(&self, luid: Luid) -> NtResult<LogonSessionData> {
        let s = self.owned_session(luid)?;
        Ok(LogonSessionData {
            logon_id: s.logon_id,
            user_name: s.user,
            logon_domain: s.domain,
            authentication_package: s.authentication_package,
            logon_type: s.logon_type as u32,
            session: 0,
            sid: s.sid,
            logon_time: s.logon_time,
            logon_server: s.logon_server,
            dns_domain_name: s.dns_domain_name,
            upn: s.upn,
        })
    }

    /// `LsaConnectUntrusted`: a new connection handle (never 0).
    pub fn connect_untrusted(&self) -> NtResult<u64> {
        self.new_connection(Connection {
            trusted: false,
            logon_process_name: String::new(),
        })
    }

    /// `LsaRegisterLogonProcess`: name over 127 bytes →
    /// `STATUS_NAME_TOO_LONG`; a caller without the TCB role (uid 0) →
    /// `STATUS_PORT_CONNECTION_REFUSED` (BEHAVIOURS item 127). Returns the
    /// handle and the (meaningless) `LSA_OPERATIONAL_MODE`, 0.
    pub fn register_logon_process(&self, name: &[u8]) -> NtResult<(u64, u32)> {
        if name.len() > packages::MAX_NAME_BYTES {
            return Err(NtStatus::NAME_TOO_LONG);
        }
        if !self.privileged() {
            return Err(NtStatus::PORT_CONNECTION_REFUSED);
        }
        let h = self.new_connection(Connection {
            trusted: true,
            logon_process_name: String::from_utf8_lossy(name).into_owned(),
        })?;
        Ok((h, 0))
    }

    /// `LsaDeregisterLogonProcess` (also closes `LsaConnectUntrusted`
    /// handles): unknown handle → `STATUS_INVALID_HANDLE` (item 126).
    pub fn deregister_logon_process(&self, handle: u64) -> NtResult<()> {
        self.connections
            .lock()
            .remove(&handle)
            .map(|_| ())
            .ok_or(NtStatus::INVALID_HANDLE)
    }

    /// The connection a handle names; `STATUS_INVALID_HANDLE` if none.
    pub fn connection(&self, handle: u64) -> NtResult<Connection> {
        self.connections
            .lock()
            .get(&handle)
            .cloned()
            .ok_or(NtStatus::INVALID_HANDLE)
    }

    fn new_connection(&self, c: Connection) -> NtResult<u64> {
        let mut map = self.connections.lock();
        loop {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b).map_err(|_| NtStatus::INSUFFICIENT_RESOURCES)?;
            // Keep handles positive, pointer-sized and non-zero.
            let h = u64::from_le_bytes(b) >> 17;
            if h != 0 && !map.contains_key(&h) {
                map.insert(h, c);
                return Ok(h);
            }
        }
    }
}

#[cfg(test)]
mod account_identity;
#[cfg(test)]
mod tests;
