//! MSV1_0 as an [`AuthenticationPackage`]: password logons validated
//! against the local account database ([`crate::lsa::accounts`], the file
//! the NTLM server uses), the NT OWF kept as the session's primary
//! credential, and its `LsaCallAuthenticationPackage` messages
//! `MsV1_0EnumerateUsers` and `MsV1_0GetUserInfo`.

use super::credential::Msv1_0PrimaryCredential;
use super::owf::nt_owf_v1;
use crate::lsa::accounts::AccountDatabase;
use crate::lsa::call_package::{
    logon_id_at, unimplemented, PackageCallResult, Target, LOGON_ID_REQUEST_SIZE,
};
use crate::lsa::logon::{computer_name, split_names};
use crate::lsa::packages::{
    AuthenticationPackage, LogonError, PackageCredential, PackageLogon, ValidatedLogon, MSV1_0_ID,
    MSV1_0_PACKAGE_NAME,
};
use crate::lsa::session::SecurityLogonType;
use crate::lsa::status::{NtResult, NtStatus};
use crate::lsa::submit::InteractiveLogon;
use crate::lsa::wire::ReturnBlock;
use crate::lsa::{Lsa, Luid};
use crate::trace::{reject, Who};

/// `MSV1_0_PROTOCOL_MESSAGE_TYPE`.
pub const MSV1_0_ENUMERATE_USERS: u32 = 2;
pub const MSV1_0_GET_USER_INFO: u32 = 3;
const MSV1_0_LAST_MESSAGE: u32 = 24;

/// The MSV1_0 authentication package.
pub struct Msv1_0;

impl AuthenticationPackage for Msv1_0 {
    fn name(&self) -> &'static str {
        MSV1_0_PACKAGE_NAME
    }

    /// Windows shows "NTLM" for MSV1_0 logons.
    fn session_name(&self) -> &'static str {
        "NTLM"
    }

    fn logon_user(
        &self,
        lsa: &Lsa,
        _logon_type: SecurityLogonType,
        request: &InteractiveLogon,
    ) -> Result<PackageLogon, LogonError> {
        Ok(PackageLogon {
            validated: validate_msv1_0(&lsa.accounts(), request)?,
            package_id: MSV1_0_ID,
            credential: None,
        })
    }

    fn accept_credentials(
        &self,
        _lsa: &Lsa,
        logon_id: Luid,
        validated: &ValidatedLogon,
        request: &InteractiveLogon,
    ) -> Option<Box<dyn PackageCredential>> {
        Some(Box::new(Msv1_0PrimaryCredential {
            logon_id,
            user: validated.user.clone(),
            domain: validated.domain.clone(),
            nt_owf: Some(nt_owf_v1(&request.password)),
        }))
    }

    fn call_package(
        &self,
        lsa: &Lsa,
        message_type: u32,
        request: &[u8],
        _request_base: usize,
    ) -> NtResult<PackageCallResult> {
        match message_type {
            MSV1_0_ENUMERATE_USERS => enumerate_users(lsa),
            MSV1_0_GET_USER_INFO => get_user_info(lsa, request),
            m => unimplemented(m, MSV1_0_LAST_MESSAGE),
        }
    }

    fn decode_credential(&self, bytes: &[u8]) -> Option<Box<dyn PackageCredential>> {
        Some(Box::new(Msv1_0PrimaryCredential::decode(bytes)?))
    }
}

/// `MsV1_0EnumerateUsers`: the caller's sessions holding an MSV1_0
/// credential.
fn enumerate_users(lsa: &Lsa) -> NtResult<PackageCallResult> {
    let mut ids = Vec::new();
    for l in lsa.enumerate_sessions()? {
        if let Ok(s) = lsa.owned_session(l) {
            if Msv1_0PrimaryCredential::of(&s).is_some() {
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

/// `MsV1_0GetUserInfo`: the names, SID and logon type of a session.
fn get_user_info(lsa: &Lsa, request: &[u8]) -> NtResult<PackageCallResult> {
    if request.len() < LOGON_ID_REQUEST_SIZE {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    match lsa.target(logon_id_at(request, 4)?)? {
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

/// MSV1_0's validation against the account database, trying the records
/// of [`AccountDatabase::candidates`] in turn: unknown user →
/// `STATUS_LOGON_FAILURE` with sub-status `STATUS_NO_SUCH_USER`; wrong
/// password → `STATUS_LOGON_FAILURE` / `STATUS_WRONG_PASSWORD` (the
/// sub-statuses Windows audits as 0xC0000064 / 0xC000006A); a disabled
/// account (smbpasswd `D`) whose password matched →
/// `STATUS_ACCOUNT_RESTRICTION` / `STATUS_ACCOUNT_DISABLED` (BEHAVIOURS.md
/// 131). A locked-out account (`L`) is never tried: when no other
/// candidate matched, `STATUS_ACCOUNT_LOCKED_OUT` whatever the password
/// (no password oracle). The names reported are the record's.
pub fn validate_msv1_0(
    db: &AccountDatabase,
    req: &InteractiveLogon,
) -> Result<ValidatedLogon, LogonError> {
    let failure = |sub| LogonError::with_sub_status(NtStatus::LOGON_FAILURE, sub);
    let (user, domain, upn) = split_names(req);
    let who = Who(&domain, &user);
    if user.is_empty() {
        return Err(reject!(failure(NtStatus::NO_SUCH_USER), "empty user name"));
    }
    let owf = nt_owf_v1(&req.password);
    let (mut known, mut locked) = (false, false);
    for account in db.candidates(&user, &domain) {
        known = true;
        if account.control.locked {
            tracing::info!(
                "{who}: account locked out{}, not tried",
                account.source_line()
            );
            locked = true;
            continue;
        }
        if !account.verifies_nt_owf(&owf) {
            tracing::info!(
                "{who}: password does not match the account{}",
                account.source_line()
            );
            continue;
        }
        if account.control.disabled {
            return Err(reject!(
                LogonError::with_sub_status(
                    NtStatus::ACCOUNT_RESTRICTION,
                    NtStatus::ACCOUNT_DISABLED,
                ),
                "account {who} disabled{}",
                account.source_line()
            ));
        }
        return Ok(ValidatedLogon {
            user: account.user.clone(),
            domain: account.reported_domain().to_string(),
            logon_server: computer_name().to_string(),
            dns_domain_name: String::new(),
            upn,
        });
    }
    if locked {
        return Err(reject!(
            LogonError::from(NtStatus::ACCOUNT_LOCKED_OUT),
            "account {who} locked out"
        ));
    }
    Err(if known {
        reject!(
            failure(NtStatus::WRONG_PASSWORD),
            "wrong password for {who}"
        )
    } else {
        reject!(
            failure(NtStatus::NO_SUCH_USER),
            "no account named {who} in the account database"
        )
    })
}
