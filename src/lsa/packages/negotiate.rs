//! The LSA's Negotiate package: a logon tries Kerberos first and falls
//! back to MSV1_0 when no KDC answers (`STATUS_NO_LOGON_SERVERS`), as
//! Windows' Negotiate logon does; the session records the package that
//! validated it. It keeps no credential of its own. Its one message is
//! `NegGetCallerName`.

use super::{
    AuthenticationPackage, LogonError, PackageCredential, PackageLogon, ValidatedLogon,
    KERBEROS_ID, MSV1_0_ID, NEGOSSP_NAME,
};
use crate::lsa::call_package::{
    logon_id_at, unimplemented, PackageCallResult, Target, LOGON_ID_REQUEST_SIZE,
};
use crate::lsa::session::SecurityLogonType;
use crate::lsa::status::{NtResult, NtStatus};
use crate::lsa::submit::InteractiveLogon;
use crate::lsa::wire::ReturnBlock;
use crate::lsa::{Lsa, Luid};

/// `NEGOTIATE_MESSAGES`.
pub const NEG_ENUM_PACKAGE_PREFIXES: u32 = 0;
pub const NEG_GET_CALLER_NAME: u32 = 1;
const NEG_LAST_MESSAGE: u32 = 3;

/// The Negotiate authentication package.
pub struct Negotiate;

impl AuthenticationPackage for Negotiate {
    fn name(&self) -> &'static str {
        NEGOSSP_NAME
    }

    fn logon_user(
        &self,
        lsa: &Lsa,
        logon_type: SecurityLogonType,
        request: &InteractiveLogon,
    ) -> Result<PackageLogon, LogonError> {
        let packages = lsa.packages();
        match packages
            .get(KERBEROS_ID)?
            .logon_user(lsa, logon_type, request)
        {
            Err(e) if e.status == NtStatus::NO_LOGON_SERVERS => packages
                .get(MSV1_0_ID)?
                .logon_user(lsa, logon_type, request),
            tried => tried,
        }
    }

    fn accept_credentials(
        &self,
        _lsa: &Lsa,
        _logon_id: Luid,
        _validated: &ValidatedLogon,
        _request: &InteractiveLogon,
    ) -> Option<Box<dyn PackageCredential>> {
        None
    }

    fn call_package(
        &self,
        lsa: &Lsa,
        message_type: u32,
        request: &[u8],
        _request_base: usize,
    ) -> NtResult<PackageCallResult> {
        match message_type {
            NEG_GET_CALLER_NAME => get_caller_name(lsa, request),
            m => unimplemented(m, NEG_LAST_MESSAGE),
        }
    }
}

/// `NegGetCallerName`: "DOMAIN\user" of the session.
fn get_caller_name(lsa: &Lsa, request: &[u8]) -> NtResult<PackageCallResult> {
    if request.len() < LOGON_ID_REQUEST_SIZE {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    match lsa.target(logon_id_at(request, 4)?)? {
        Target::Session(s) => {
            let mut b = ReturnBlock::with_header(16);
            b.put_u32(0, NEG_GET_CALLER_NAME);
            b.put_pwstr(8, &format!("{}\\{}", s.domain, s.user));
            PackageCallResult::ok(b)
        }
        _ => PackageCallResult::status(NtStatus::NO_SUCH_LOGON_SESSION),
    }
}
