//! The LSA's Kerberos authentication package. Its logon (an AS exchange
//! with the KDC) is supplied by the Kerberos security package through the
//! [`KerberosProvider`] hook (`Lsa::set_kerberos_provider`); without one a
//! Kerberos logon fails with `STATUS_NO_LOGON_SERVERS`. Its session
//! credential is [`KerberosCredential`] (keys and ticket cache); its
//! `LsaCallAuthenticationPackage` messages are `KerbQueryTicketCacheMessage`
//! and `KerbPurgeTicketCacheMessage`.

pub mod credential;

use std::sync::Arc;
use std::time::Instant;

use super::{
    AuthenticationPackage, LogonError, PackageCredential, PackageLogon, ValidatedLogon,
    KERBEROS_ID, MICROSOFT_KERBEROS_NAME,
};
use crate::lsa::call_package::{
    logon_id_at, unimplemented, PackageCallResult, Target, LOGON_ID_REQUEST_SIZE,
};
use crate::lsa::session::SecurityLogonType;
use crate::lsa::status::{NtResult, NtStatus};
use crate::lsa::submit::{read_unicode_string, InteractiveLogon};
use crate::lsa::wire::ReturnBlock;
use crate::lsa::{Lsa, Luid};
use crate::sspi::SecStatus;
pub use credential::{CachedTicket, KerberosCredential, KerberosKey};

/// `KERB_PROTOCOL_MESSAGE_TYPE`.
pub const KERB_QUERY_TICKET_CACHE_MESSAGE: u32 = 1;
pub const KERB_PURGE_TICKET_CACHE_MESSAGE: u32 = 6;
const KERB_LAST_MESSAGE: u32 = 34;

const KERB_PURGE_REQUEST_SIZE: usize = 48;
const KERB_TICKET_CACHE_INFO_SIZE: usize = 64;

/// The Kerberos package's side of a logon, registered by the Kerberos
/// package with [`Lsa::set_kerberos_provider`]:
/// - `logon`: a logon through Kerberos (or Negotiate trying Kerberos
///   first): validate with the KDC (AS exchange) and return the names and
///   the credential (keys + TGT) to keep. `STATUS_NO_LOGON_SERVERS` lets
///   Negotiate fall back to MSV1_0.
/// - `accept_credentials`: the `SpAcceptCredentials` step for a logon that
///   another package validated: derive what Kerberos will need later
///   (keys), or `None` to keep nothing.
pub trait KerberosProvider: Send + Sync {
    fn logon(
        &self,
        logon_type: SecurityLogonType,
        request: &InteractiveLogon,
    ) -> Result<(ValidatedLogon, KerberosCredential), LogonError>;

    fn accept_credentials(
        &self,
        validated: &ValidatedLogon,
        request: &InteractiveLogon,
    ) -> Option<KerberosCredential>;

    /// The first TGT of a session whose credential has long-term keys and
    /// no TGT yet (a `NewCredentials` logon, Windows' `runas /netonly`: the
    /// credentials are used at the first outbound authentication; an
    /// MSV1_0 logon while no KDC answered), or a new one for an expired
    /// TGT: the AS exchange with the keys, run where the keys are
    /// ([`crate::lsa::store::SessionStore::kerberos_ticket`] gets it
    /// before the TGS exchange).
    /// Its failure is `LsaLogonUser`'s status for it; past `deadline` (the
    /// budget of the client's whole ticket request) the KDC is unreachable.
    fn initial_tgt(
        &self,
        credential: &KerberosCredential,
        deadline: Instant,
    ) -> Result<CachedTicket, NtStatus> {
        let _ = (credential, deadline);
        Err(NtStatus::NO_LOGON_SERVERS)
    }

    /// The TGS exchange with a session's TGT (MS-KILE 3.3.5, RFC 4120
    /// §3.3), run where the TGT's session key is
    /// ([`crate::lsa::Lsa::kerberos_ticket`]: the LSA service): a service
    /// ticket for a target, or a FORWARDED TGT to delegate. Its failure is
    /// the SSPI status the package reports for the same KDC answer
    /// (`SEC_E_TARGET_UNKNOWN`, `SEC_E_NO_AUTHENTICATING_AUTHORITY`, …);
    /// past `deadline`, `SEC_E_NO_AUTHENTICATING_AUTHORITY`.
    fn tgs(
        &self,
        tgt: &CachedTicket,
        request: &TicketRequest,
        deadline: Instant,
    ) -> Result<CachedTicket, SecStatus> {
        let _ = (tgt, request, deadline);
        Err(SecStatus::NoAuthenticatingAuthority)
    }
}

/// What a client asks of its session's TGT ([`KerberosProvider::tgs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketRequest {
    /// A service ticket for the target, from the session's cache or the
    /// TGS exchange (then cached in the session).
    Service(TicketTarget),
    /// A FORWARDED TGT for `ISC_REQ_DELEGATE` (RFC 4120 §2.6); never cached.
    Forwarded,
}

/// Most name components of a [`TicketTarget`].
pub const MAX_TARGET_COMPONENTS: usize = 8;
/// Most bytes of a [`TicketTarget`]'s components and realm together.
pub const MAX_TARGET_LEN: usize = 1024;

/// The service a ticket is asked for: a `PrincipalName` (RFC 4120 §5.2.2)
/// as the package parsed the target name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTarget {
    pub name_type: i32,
    pub components: Vec<String>,
    pub realm: String,
    /// The caller named the realm (a canonicalized host keeps it).
    pub explicit_realm: bool,
}

impl TicketTarget {
    /// At least one component, none empty, within the limits.
    pub fn is_valid(&self) -> bool {
        let len: usize = self.components.iter().map(String::len).sum::<usize>() + self.realm.len();
        !self.components.is_empty()
            && self.components.len() <= MAX_TARGET_COMPONENTS
            && self.components.iter().all(|c| !c.is_empty())
            && len <= MAX_TARGET_LEN
    }

    /// The name a session caches its ticket under (`HTTP/host`,
    /// `CachedTicket::server_name`).
    pub fn cache_name(&self) -> String {
        self.components.join("/")
    }
}

/// Shared handle to the registered Kerberos provider.
pub type KerberosProviderRef = Arc<dyn KerberosProvider>;

/// Logoff listeners of the Kerberos security package: per-logon-session
/// credentials it keeps outside the session store (a TGT a client
/// delegated to one of its server contexts). Registered by the package
/// ([`on_logon_terminated`]), called from this package's
/// `LsaApLogonTerminated`, so the LSA never depends on the package.
static LOGOFF_LISTENERS: parking_lot::RwLock<Vec<fn(Luid)>> = parking_lot::RwLock::new(Vec::new());

/// Have `listener` called whenever a logon session ends (once per
/// listener, however often it is registered).
pub fn on_logon_terminated(listener: fn(Luid)) {
    let mut l = LOGOFF_LISTENERS.write();
    if !l.iter().any(|f| std::ptr::fn_addr_eq(*f, listener)) {
        l.push(listener);
    }
}

/// The Kerberos authentication package.
pub struct Kerberos;

impl AuthenticationPackage for Kerberos {
    fn name(&self) -> &'static str {
        MICROSOFT_KERBEROS_NAME
    }

    fn logon_user(
        &self,
        lsa: &Lsa,
        logon_type: SecurityLogonType,
        request: &InteractiveLogon,
    ) -> Result<PackageLogon, LogonError> {
        let provider = lsa
            .kerberos_provider()
            .ok_or(LogonError::new(NtStatus::NO_LOGON_SERVERS))?;
        let (validated, k) = provider.logon(logon_type, request)?;
        Ok(PackageLogon {
            validated,
            package_id: KERBEROS_ID,
            credential: Some(Box::new(k)),
        })
    }

    fn accept_credentials(
        &self,
        lsa: &Lsa,
        _logon_id: Luid,
        validated: &ValidatedLogon,
        request: &InteractiveLogon,
    ) -> Option<Box<dyn PackageCredential>> {
        let k = lsa
            .kerberos_provider()?
            .accept_credentials(validated, request)?;
        Some(Box::new(k))
    }

    fn call_package(
        &self,
        lsa: &Lsa,
        message_type: u32,
        request: &[u8],
        request_base: usize,
    ) -> NtResult<PackageCallResult> {
        match message_type {
            KERB_QUERY_TICKET_CACHE_MESSAGE => query_ticket_cache(lsa, request),
            KERB_PURGE_TICKET_CACHE_MESSAGE => purge_ticket_cache(lsa, request, request_base),
            m => unimplemented(m, KERB_LAST_MESSAGE),
        }
    }

    fn decode_credential(&self, bytes: &[u8]) -> Option<Box<dyn PackageCredential>> {
        Some(Box::new(KerberosCredential::decode(bytes)?))
    }

    fn logon_terminated(&self, logon_id: Luid) {
        for listener in LOGOFF_LISTENERS.read().iter() {
            listener(logon_id);
        }
    }
}

/// `KerbQueryTicketCacheMessage`: the session's tickets, TGT first.
fn query_ticket_cache(lsa: &Lsa, request: &[u8]) -> NtResult<PackageCallResult> {
    if request.len() < LOGON_ID_REQUEST_SIZE {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let session = match lsa.target(logon_id_at(request, 4)?)? {
        Target::Session(s) => Some(s),
        Target::NoCallerSession => None,
        Target::NoSuchSession => return PackageCallResult::status(NtStatus::NO_SUCH_LOGON_SESSION),
    };
    let tickets: Vec<_> = session
        .as_ref()
        .and_then(|s| KerberosCredential::of(s))
        .map(|k| k.tickets().cloned().collect())
        .unwrap_or_default();
    let mut b = ReturnBlock::with_header(8 + KERB_TICKET_CACHE_INFO_SIZE * tickets.len());
    b.put_u32(0, KERB_QUERY_TICKET_CACHE_MESSAGE);
    b.put_u32(4, tickets.len() as u32);
    for (i, t) in tickets.iter().enumerate() {
        let at = 8 + KERB_TICKET_CACHE_INFO_SIZE * i;
        b.put_unicode_string(at, &t.server_name);
        b.put_unicode_string(at + 16, &t.realm_name);
        b.put_i64(at + 32, t.start_time);
        b.put_i64(at + 40, t.end_time);
        b.put_i64(at + 48, t.renew_time);
        b.put_u32(at + 56, t.encryption_type as u32);
        b.put_u32(at + 60, t.ticket_flags);
    }
    PackageCallResult::ok(b)
}

/// `KerbPurgeTicketCacheMessage`: drop the tickets matching the names,
/// the TGT too (Windows' `klist purge`), where the tickets are
/// ([`Lsa::purge_kerberos_tickets`]: the LSA service drops its TGT, which
/// a client's Put never could).
fn purge_ticket_cache(
    lsa: &Lsa,
    request: &[u8],
    request_base: usize,
) -> NtResult<PackageCallResult> {
    if request.len() < KERB_PURGE_REQUEST_SIZE {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let server = read_unicode_string(request, 16, request_base, KERB_PURGE_REQUEST_SIZE)?;
    let realm = read_unicode_string(request, 32, request_base, KERB_PURGE_REQUEST_SIZE)?;
    let session = match lsa.target(logon_id_at(request, 4)?)? {
        Target::Session(s) => s,
        Target::NoCallerSession => return PackageCallResult::status(NtStatus::SUCCESS),
        Target::NoSuchSession => return PackageCallResult::status(NtStatus::NO_SUCH_LOGON_SESSION),
    };
    if KerberosCredential::of(&session).is_none() {
        return PackageCallResult::status(NtStatus::SUCCESS);
    }
    lsa.purge_kerberos_tickets(session.logon_id, &server, &realm)?;
    PackageCallResult::status(NtStatus::SUCCESS)
}
