//! `LsaLogonUser` / `LogonUser` for password logons: validate through the
//! authentication package the caller named (its
//! [`AuthenticationPackage::logon_user`](super::packages::AuthenticationPackage::logon_user)),
//! create the logon session, hand the primary credentials to every package
//! (`accept_credentials`, Windows' `SpAcceptCredentials`), store the
//! session with each package's credential.
//!
//! - MSV1_0 validates against the local account database
//!   ([`super::accounts`], the file the NTLM server uses) and keeps the NT
//!   OWF; the password itself is never stored and is zeroized after use.
//! - Kerberos validates with the KDC through the registered
//!   [`KerberosProvider`](super::packages::KerberosProvider); without one a Kerberos logon fails with
//!   `STATUS_NO_LOGON_SERVERS`.
//! - Negotiate tries Kerberos first and falls back to MSV1_0 when no KDC
//!   answers, as Windows' Negotiate logon does.
//!
//! Logon types (`SECURITY_LOGON_TYPE`): Interactive, Batch, Service,
//! Unlock, NetworkCleartext, RemoteInteractive and the Cached* types
//! validate and cache credentials; `Network` validates and caches none (a
//! network logon has no network credentials); `NewCredentials` does not
//! validate and caches the given credentials for outbound use (Windows'
//! `LOGON32_LOGON_NEW_CREDENTIALS`, `runas /netonly`); `Undefined` and
//! `Proxy` → `STATUS_INVALID_LOGON_TYPE`.
//! See learn.microsoft.com/windows/win32/api/ntsecapi/nf-ntsecapi-lsalogonuser
//! and .../winbase/nf-winbase-logonuserw.

use super::accounts::is_valid_name;
use super::packages::{LogonError, PackageLogon, ValidatedLogon, MSV1_0_ID, NEGOTIATE_ID};
use super::session::{allocate_luid, LogonSession, SecurityLogonType, SessionCredentials, Sid};
use super::status::NtStatus;
use super::submit::{parse_interactive_logon, InteractiveLogon};
use super::wire::{InteractiveProfile, TIME_NEVER};
use super::{Lsa, Luid};
use crate::trace::{reject, Who};

/// What a successful logon returns (`LsaLogonUser`'s outputs; the token
/// the C layer makes is a handle naming `logon_id`).
#[derive(Debug, Clone)]
pub struct LogonResult {
    pub logon_id: Luid,
    pub user: String,
    pub domain: String,
    pub sid: Sid,
    /// `MSV1_0_INTERACTIVE_PROFILE` / `KERB_INTERACTIVE_PROFILE` contents;
    /// [`InteractiveProfile::to_block`] gives the profile buffer.
    pub profile: InteractiveProfile,
    pub sub_status: NtStatus,
}

/// `LOGON32_PROVIDER_*` (winbase.h).
pub const LOGON32_PROVIDER_DEFAULT: u32 = 0;
pub const LOGON32_PROVIDER_WINNT35: u32 = 1;
pub const LOGON32_PROVIDER_WINNT40: u32 = 2;
pub const LOGON32_PROVIDER_WINNT50: u32 = 3;

pub use super::accounts::computer_name;

/// Split the names as `LogonUser` accepts them: with no domain, a user of
/// the form `DOMAIN\user` or `user@domain` (UPN) carries it; domain `.`
/// means the local computer (its local accounts only). Returns (user,
/// domain, upn).
pub(crate) fn split_names(req: &InteractiveLogon) -> (String, String, String) {
    let mut user = req.user.clone();
    let mut domain = req.domain.clone();
    let mut upn = String::new();
    if domain.is_empty() {
        if let Some((d, u)) = req.user.split_once('\\') {
            domain = d.to_string();
            user = u.to_string();
        } else if let Some((u, d)) = req.user.rsplit_once('@') {
            upn = req.user.clone();
            domain = d.to_string();
            user = u.to_string();
        }
    }
    if domain == "." {
        domain = computer_name().to_string();
    }
    (user, domain, upn)
}

impl Lsa {
    /// `LsaLogonUser` with a raw `MSV1_0_INTERACTIVE_LOGON` /
    /// `KERB_INTERACTIVE_LOGON` block that the caller placed at
    /// `base_addr`. The package and logon type are checked before the
    /// buffer (`STATUS_NO_SUCH_PACKAGE`, `STATUS_INVALID_LOGON_TYPE`).
    pub fn logon_user_raw(
        &self,
        package_id: u32,
        logon_type: u32,
        submit: &[u8],
        base_addr: usize,
    ) -> Result<LogonResult, LogonError> {
        self.packages().get(package_id)?;
        SecurityLogonType::from_u32(logon_type)?;
        let req = parse_interactive_logon(submit, base_addr)?;
        self.logon_user(package_id, logon_type, &req)
    }

    /// `LogonUserW`/`A`: `logon_type` is a `LOGON32_LOGON_*` value (the same
    /// numbers as `SECURITY_LOGON_TYPE`), `provider` a `LOGON32_PROVIDER_*`
    /// (DEFAULT and WINNT50 → Negotiate, WINNT40 and WINNT35 → MSV1_0,
    /// others → `STATUS_INVALID_PARAMETER`). A `None` domain lets the user
    /// name carry it (`DOMAIN\user`, `user@domain`).
    pub fn logon_user_w(
        &self,
        user: &str,
        domain: Option<&str>,
        password: &str,
        logon_type: u32,
        provider: u32,
    ) -> Result<LogonResult, LogonError> {
        let package_id = match provider {
            LOGON32_PROVIDER_DEFAULT | LOGON32_PROVIDER_WINNT50 => NEGOTIATE_ID,
            LOGON32_PROVIDER_WINNT40 | LOGON32_PROVIDER_WINNT35 => MSV1_0_ID,
            _ => return Err(NtStatus::INVALID_PARAMETER.into()),
        };
        let req = InteractiveLogon::new(domain.unwrap_or(""), user, password);
        self.logon_user(package_id, logon_type, &req)
    }

    /// `LsaLogonUser` for a password logon. On success the session is in
    /// the store, becomes the store's current session for this uid and,
    /// if the process has none yet, the process default session. On
    /// failure nothing is cached.
    pub fn logon_user(
        &self,
        package_id: u32,
        logon_type: u32,
        req: &InteractiveLogon,
    ) -> Result<LogonResult, LogonError> {
        tracing::debug!(
            "logon: package id {package_id}, logon type {logon_type}, user {}",
            Who(&req.domain, &req.user)
        );
        let package = self.packages().get(package_id)?;
        let logon_type = SecurityLogonType::from_u32(logon_type)?;
        if matches!(
            logon_type,
            SecurityLogonType::UndefinedLogonType | SecurityLogonType::Proxy
        ) {
            return Err(reject!(
                LogonError::from(NtStatus::INVALID_LOGON_TYPE),
                "logon type {logon_type:?} is not supported"
            ));
        }
        // A NUL or other control character would make the name read as
        // another one in C strings and logs: no account has such a name
        // (STATUS_LOGON_FAILURE / STATUS_NO_SUCH_USER, as a name the SAM
        // does not know), whatever the package or logon type.
        if !is_valid_name(&req.user) || !is_valid_name(&req.domain) {
            return Err(reject!(
                LogonError::with_sub_status(NtStatus::LOGON_FAILURE, NtStatus::NO_SUCH_USER),
                "user or domain name {} has a control character",
                Who(&req.domain, &req.user)
            ));
        }

        // Validation by the package.
        let logon = if logon_type == SecurityLogonType::NewCredentials {
            let (user, domain, upn) = split_names(req);
            let domain = if domain.is_empty() {
                computer_name().to_string()
            } else {
                domain
            };
            PackageLogon {
                validated: ValidatedLogon {
                    user,
                    domain,
                    logon_server: computer_name().to_string(),
                    dns_domain_name: String::new(),
                    upn,
                },
                package_id,
                credential: None,
            }
        } else {
            package.logon_user(self, logon_type, req)?
        };
        let PackageLogon {
            validated,
            package_id: validator_id,
            credential: mut validator_credential,
        } = logon;
        let validated_by = self.packages().get(validator_id)?.session_name();

        let logon_id = self.fresh_luid()?;
        // SpAcceptCredentials: every package takes what it needs (a
        // network logon keeps none).
        let mut credentials = SessionCredentials::default();
        if logon_type != SecurityLogonType::Network {
            for (id, p) in self.packages().iter() {
                let c = if id == validator_id && validator_credential.is_some() {
                    validator_credential.take()
                } else {
                    p.accept_credentials(self, logon_id, &validated, req)
                };
                credentials.set(id, c);
            }
        }

        let logon_time = crate::sspi::time::filetime_now();
        let sid = Sid::for_account(&validated.domain, &validated.user);
        let session = LogonSession {
            logon_id,
            owner_uid: self.uid(),
            user: validated.user.clone(),
            domain: validated.domain.clone(),
            logon_type,
            logon_time,
            authentication_package: validated_by.to_string(),
            sid: sid.clone(),
            logon_server: validated.logon_server.clone(),
            dns_domain_name: validated.dns_domain_name.clone(),
            upn: validated.upn.clone(),
            credentials,
        };
        let has_credentials = !session.credentials.is_empty();
        self.store()
            .put(&session)
            .map_err(|e| LogonError::new(e.nt_status()))?;
        if has_credentials {
            if let Err(e) = self.store().set_current(self.uid(), Some(logon_id)) {
                let _ = self.store().remove(logon_id);
                return Err(LogonError::new(e.nt_status()));
            }
            self.set_process_session_if_unset(logon_id);
        }
        tracing::debug!(
            "logon session {logon_id} for {} (uid {}), validated by {}, {logon_type:?}, credentials kept: {has_credentials}",
            Who(&validated.domain, &validated.user),
            self.uid(),
            validated_by
        );

        Ok(LogonResult {
            logon_id,
            user: validated.user.clone(),
            domain: validated.domain.clone(),
            sid,
            profile: InteractiveProfile {
                logon_count: 1,
                bad_password_count: 0,
                logon_time,
                logoff_time: TIME_NEVER,
                kick_off_time: TIME_NEVER,
                password_last_set: 0,
                password_can_change: 0,
                password_must_change: TIME_NEVER,
                logon_script: String::new(),
                home_directory: String::new(),
                full_name: validated.user.clone(),
                profile_path: String::new(),
                home_directory_drive: String::new(),
                logon_server: validated.logon_server.clone(),
                user_flags: 0,
            },
            sub_status: NtStatus::SUCCESS,
        })
    }

    /// A LUID no stored session uses.
    fn fresh_luid(&self) -> Result<Luid, LogonError> {
        loop {
            let l = allocate_luid()?;
            match self.store().get(l) {
                Ok(None) => return Ok(l),
                Ok(Some(_)) => continue,
                Err(e) => return Err(LogonError::new(e.nt_status())),
            }
        }
    }
}
