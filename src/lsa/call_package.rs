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
//! The LSA checks the handle, finds the package by id in its registry
//! ([`super::packages::PackageRegistry`]) and reads the message type;
//! the package ([`super::packages::AuthenticationPackage::call_package`])
//! answers its own messages with the helpers here.
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

use super::session::LogonSession;
use super::status::{NtResult, NtStatus};
use super::wire::ReturnBlock;
use super::{Lsa, Luid};

/// Size of the {MessageType, LUID LogonId} requests.
pub const LOGON_ID_REQUEST_SIZE: usize = 12;

/// The outcome of a call that the LSA accepted: the package's status and
/// its return buffer (absent when the package returned none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageCallResult {
    pub protocol_status: NtStatus,
    pub response: Option<ReturnBlock>,
}

impl PackageCallResult {
    pub fn ok(block: ReturnBlock) -> NtResult<Self> {
        Ok(PackageCallResult {
            protocol_status: NtStatus::SUCCESS,
            response: Some(block),
        })
    }

    pub fn status(protocol_status: NtStatus) -> NtResult<Self> {
        Ok(PackageCallResult {
            protocol_status,
            response: None,
        })
    }
}

/// A message type this LSA does not implement: `STATUS_NOT_IMPLEMENTED`
/// when it is in the package's enum (up to `last`), else
/// `STATUS_INVALID_PARAMETER`.
pub fn unimplemented(message_type: u32, last: u32) -> NtResult<PackageCallResult> {
    if message_type <= last {
        Err(NtStatus::NOT_IMPLEMENTED)
    } else {
        Err(NtStatus::INVALID_PARAMETER)
    }
}

fn message_type(request: &[u8]) -> NtResult<u32> {
    let b = request.get(..4).ok_or(NtStatus::INVALID_PARAMETER)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The LUID at offset `at` of a request.
pub fn logon_id_at(request: &[u8], at: usize) -> NtResult<Luid> {
    let b = request.get(at..at + 8).ok_or(NtStatus::INVALID_PARAMETER)?;
    Ok(Luid {
        low_part: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        high_part: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
    })
}

/// What a request's LogonId resolves to.
pub enum Target {
    Session(Box<LogonSession>),
    /// LogonId 0 and the caller has no session.
    NoCallerSession,
    /// An explicit LogonId that names no session.
    NoSuchSession,
}

impl Lsa {
    /// The session a request's LogonId names (0: the caller's).
    pub fn target(&self, logon_id: Luid) -> NtResult<Target> {
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
        let package = self.packages().get(package_id)?;
        let msg = message_type(request)?;
        package.call_package(self, msg, request, request_base)
    }
}
