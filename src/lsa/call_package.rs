//! `LsaCallAuthenticationPackage` on request bytes: each package's
//! messages that make sense for logon sessions and cached credentials.
//!
//! Contract (learn.microsoft.com/windows/win32/api/ntsecapi/nf-ntsecapi-lsacallauthenticationpackage,
//! BEHAVIOURS items 120-125): the return value reports the call itself —
//! `STATUS_INVALID_HANDLE`, `STATUS_NO_SUCH_PACKAGE`,
//! `STATUS_INVALID_PARAMETER` (no or short request), `STATUS_ACCESS_DENIED`
//! (a LogonId the caller may not use; Wine's rule for untrusted callers,
//! here: another uid's session), `STATUS_NOT_IMPLEMENTED` (a message type
//! of the package's enum this LSA does not implement, as Wine's Kerberos
//! package answers), `STATUS_INVALID_PARAMETER` for a message type outside
//! the package's enum — while the package's own outcome is the
//! `ProtocolStatus` (e.g. `STATUS_NO_SUCH_LOGON_SESSION`, with no return
//! buffer). Responses are self-relative [`ReturnBlock`]s.
//!
//! Implemented messages (a `LogonId` of 0 means the caller's session):
//! - Negotiate `NegGetCallerName` (1): `NEGOTIATE_CALLER_NAME_RESPONSE`
//!   {MessageType, PWSTR CallerName → "DOMAIN\user" after the struct}.
//! - MSV1_0 `MsV1_0EnumerateUsers` (2): `MSV1_0_ENUMUSERS_RESPONSE`
//!   {MessageType, NumberOfLoggedOnUsers, PLUID LogonIds, PULONG
//!   EnumHandles} — the caller's sessions holding MSV1_0 credentials.
//! - MSV1_0 `MsV1_0GetUserInfo` (3): `MSV1_0_GETUSERINFO_RESPONSE`
//!   {MessageType @0, PSID UserSid @8, UserName @16, LogonDomainName @32,
//!   LogonServer @48, LogonType @64} (72 bytes), layout from ntsecapi.h.
//! - Kerberos `KerbQueryTicketCacheMessage` (1): `KERB_QUERY_TKT_CACHE_RESPONSE`
//!   with one `KERB_TICKET_CACHE_INFO` per cached ticket (none until the
//!   Kerberos package fills the cache; item 124).
//! - Kerberos `KerbPurgeTicketCacheMessage` (6): `KERB_PURGE_TKT_CACHE_REQUEST`
//!   {MessageType, LogonId @4, ServerName @16, RealmName @32} (48 bytes):
//!   empty names purge every ticket, else the tickets matching the given
//!   names (case-insensitive). No return buffer.

use super::packages::AuthPackage;
use super::session::LogonSession;
use super::status::{NtResult, NtStatus};
use super::submit::read_unicode_string;
use super::wire::ReturnBlock;
use super::{Lsa, Luid};

/// `NEGOTIATE_MESSAGES`.
pub const NEG_ENUM_PACKAGE_PREFIXES: u32 = 0;
pub const NEG_GET_CALLER_NAME: u32 = 1;
const NEG_CALL_PACKAGE_MAX: u32 = 4;
/// `MSV1_0_PROTOCOL_MESSAGE_TYPE`.
pub const MSV1_0_ENUMERATE_USERS: u32 = 2;
pub const MSV1_0_GET_USER_INFO: u32 = 3;
const MSV1_0_LAST_MESSAGE: u32 = 24;
/// `KERB_PROTOCOL_MESSAGE_TYPE`.
pub const KERB_QUERY_TICKET_CACHE_MESSAGE: u32 = 1;
pub const KERB_PURGE_TICKET_CACHE_MESSAGE: u32 = 6;
const KERB_LAST_MESSAGE: u32 = 34;

/// Size of the {MessageType, LUID LogonId} requests.
const LOGON_ID_REQUEST_SIZE: usize = 12;
const KERB_PURGE_REQUEST_SIZE: usize = 48;
const KERB_TICKET_CACHE_INFO_SIZE: usize = 64;

/// The outcome of a call that the LSA accepted: the package's status and
/// its return buffer (absent when the package returned none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageCallResult {
    pub protocol_status: NtStatus,
    pub response: Option<ReturnBlock>,
}

impl PackageCallResult {
    fn ok(block: ReturnBlock) -> NtResult<Self> {
        Ok(PackageCallResult {
            protocol_status: NtStatus::SUCCESS,
            response: Some(block),
        })
    }

    fn status(protocol_status: NtStatus) -> NtResult<Self> {
        Ok(PackageCallResult {
            protocol_status,
            response: None,
        })
    }
}

fn message_type(request: &[u8]) -> NtResult<u32> {
    let b = request.get(..4).ok_or(NtStatus::INVALID_PARAMETER)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn logon_id_at(request: &[u8], at: usize) -> NtResult<Luid> {
    let b = request.get(at..at + 8).ok_or(NtStatus::INVALID_PARAMETER)?;
    Ok(Luid {
        low_part: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        high_part: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
    })
}

/// What a request's LogonId resolves to.
enum Target {
    Session(Box<LogonSession>),
    /// LogonId 0 and the caller has no session.
    NoCallerSession,
    /// An explicit LogonId that names no session.
    NoSuchSession,
}

impl Lsa {
    fn target(&self, logon_id: Luid) -> NtResult<Target> {
        let luid = if logon_id == Luid::default() {
            match self.caller_session()? {
                Some(l) => l,
                None => return Ok(Target::NoCallerSession),
            }
        } else {
            logon_id
        };
        match self.owned_session(luid) {
            Ok(s) => Ok(Target::Session(Box::new(s))),
            Err(NtStatus::NO_SUCH_LOGON_SESSION) if logon_id == Luid::default() => {
                Ok(Target::NoCallerSession)
            }
            Err(NtStatus::NO_SUCH_LOGON_SESSION) => Ok(Target::NoSuchSession),
            Err(e) => Err(e),
        }
    }

    /// `LsaCallAuthenticationPackage(handle, package_id, request)`;
    /// `request_base` is the address of the request block (for requests
    /// holding `UNICODE_STRING`s; see [`super::submit`] for the rules).
    pub fn call_authentication_package(
        &self,
        handle: u64,
        package_id: u32,
        request: &[u8],
        request_base: usize,
    ) -> NtResult<PackageCallResult> {
        self.connection(handle)?;
        let package = AuthPackage::from_id(package_id)?;
        let msg = message_type(request)?;
        match package {
            AuthPackage::Negotiate => match msg {
                NEG_GET_CALLER_NAME => self.neg_get_caller_name(request),
                m if m < NEG_CALL_PACKAGE_MAX => Err(NtStatus::NOT_IMPLEMENTED),
                _ => Err(NtStatus::INVALID_PARAMETER),
            },
            AuthPackage::Msv1_0 => match msg {
                MSV1_0_ENUMERATE_USERS => self.msv1_0_enumerate_users(),
                MSV1_0_GET_USER_INFO => self.msv1_0_get_user_info(request),
                m if m <= MSV1_0_LAST_MESSAGE => Err(NtStatus::NOT_IMPLEMENTED),
                _ => Err(NtStatus::INVALID_PARAMETER),
            },
            AuthPackage::Kerberos => match msg {
                KERB_QUERY_TICKET_CACHE_MESSAGE => self.kerb_query_ticket_cache(request),
                KERB_PURGE_TICKET_CACHE_MESSAGE => {
                    self.kerb_purge_ticket_cache(request, request_base)
                }
                m if m <= KERB_LAST_MESSAGE => Err(NtStatus::NOT_IMPLEMENTED),
                _ => Err(NtStatus::INVALID_PARAMETER),
            },
        }
    }

    fn neg_get_caller_name(&self, request: &[u8]) -> NtResult<PackageCallResult> {
        if request.len() < LOGON_ID_REQUEST_SIZE {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        match self.target(logon_id_at(request, 4)?)? {
            Target::Session(s) => {
                let mut b = ReturnBlock::with_header(16);
                b.put_u32(0, NEG_GET_CALLER_NAME);
                b.put_pwstr(8, &format!("{}\\{}", s.domain, s.user));
                PackageCallResult::ok(b)
            }
            _ => PackageCallResult::status(NtStatus::NO_SUCH_LOGON_SESSION),
        }
    }

    fn msv1_0_enumerate_users(&self) -> NtResult<PackageCallResult> {
        let mut ids = Vec::new();
        for l in self.enumerate_sessions()? {
            if let Ok(s) = self.owned_session(l) {
                if s.msv1_0.is_some() {
                    ids.push(l);
                }
            }
        }
        let mut b = ReturnBlock::with_header(24);
        b.put_u32(0, MSV1_0_ENUMERATE_USERS);
        b.put_u32(4, ids.len() as u32);
        let luids: Vec<u8> = ids
            .iter()
            .flat_map(|l| {
                let mut v = l.low_part.to_le_bytes().to_vec();
                v.extend_from_slice(&l.high_part.to_le_bytes());
                v
            })
            .collect();
        let handles: Vec<u8> = (0..ids.len() as u32).flat_map(u32::to_le_bytes).collect();
        b.put_pointer_to(8, &luids, 8);
        b.put_pointer_to(16, &handles, 4);
        PackageCallResult::ok(b)
    }

    fn msv1_0_get_user_info(&self, request: &[u8]) -> NtResult<PackageCallResult> {
        if request.len() < LOGON_ID_REQUEST_SIZE {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        match self.target(logon_id_at(request, 4)?)? {
            Target::Session(s) => {
                let mut b = ReturnBlock::with_header(72);
                b.put_u32(0, MSV1_0_GET_USER_INFO);
                b.put_sid(8, &s.sid);
                b.put_unicode_string(16, &s.user);
                b.put_unicode_string(32, &s.domain);
                b.put_unicode_string(48, &s.logon_server);
                b.put_u32(64, s.logon_type as u32);
                PackageCallResult::ok(b)
            }
            _ => PackageCallResult::status(NtStatus::NO_SUCH_LOGON_SESSION),
        }
    }

    fn kerb_query_ticket_cache(&self, request: &[u8]) -> NtResult<PackageCallResult> {
        if request.len() < LOGON_ID_REQUEST_SIZE {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let session = match self.target(logon_id_at(request, 4)?)? {
            Target::Session(s) => Some(s),
            Target::NoCallerSession => None,
            Target::NoSuchSession => {
                return PackageCallResult::status(NtStatus::NO_SUCH_LOGON_SESSION)
            }
        };
        let tickets: Vec<_> = session
            .as_ref()
            .and_then(|s| s.kerberos.as_ref())
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

    fn kerb_purge_ticket_cache(
        &self,
        request: &[u8],
        request_base: usize,
    ) -> NtResult<PackageCallResult> {
        if request.len() < KERB_PURGE_REQUEST_SIZE {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let server = read_unicode_string(request, 16, request_base, KERB_PURGE_REQUEST_SIZE)?;
        let realm = read_unicode_string(request, 32, request_base, KERB_PURGE_REQUEST_SIZE)?;
        let session = match self.target(logon_id_at(request, 4)?)? {
            Target::Session(s) => s,
            Target::NoCallerSession => return PackageCallResult::status(NtStatus::SUCCESS),
            Target::NoSuchSession => {
                return PackageCallResult::status(NtStatus::NO_SUCH_LOGON_SESSION)
            }
        };
        let Some(mut k) = session.kerberos.clone() else {
            return PackageCallResult::status(NtStatus::SUCCESS);
        };
        let keep = |t: &super::session::CachedTicket| {
            !((server.is_empty() || t.server_name.eq_ignore_ascii_case(&server))
                && (realm.is_empty() || t.realm_name.eq_ignore_ascii_case(&realm)))
        };
        k.service_tickets.retain(keep);
        if k.tgt.as_ref().is_some_and(|t| !keep(t)) {
            k.tgt = None;
        }
        self.update_kerberos_credential(session.logon_id, Some(k))?;
        PackageCallResult::status(NtStatus::SUCCESS)
    }
}
