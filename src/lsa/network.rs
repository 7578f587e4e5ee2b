//! Network logon sessions: the logon session Windows creates for a client
//! that a server authenticated (the session behind the token of
//! `ImpersonateSecurityContext` and `QuerySecurityContextToken`).
//!
//! Such a session names the client (from the identity the package
//! verified), has `LogonType` `Network` (3) and holds no credentials: a
//! network logon has none unless they were delegated, so a thread that
//! impersonates it gets `SEC_E_NO_CREDENTIALS` from
//! `AcquireCredentialsHandle(NULL, …, OUTBOUND)` instead of the service's
//! own credentials (no confused deputy). The sessions are kept in the
//! process, not in the shared store: they belong to a server context of
//! this process and end with it (`DeleteSecurityContext`), as Windows ends
//! the logon session when the last token goes. They are the caller's like
//! its other sessions (`LsaGetLogonSessionData`, `LsaEnumerateLogonSessions`,
//! `ImpersonateLoggedOnUser`).

use std::collections::BTreeMap;

use parking_lot::Mutex;

use super::logon::computer_name;
use super::session::{allocate_luid, LogonSession, SecurityLogonType, Sid};
use super::status::NtResult;
use super::{Lsa, Luid};

/// The network logon sessions of this process, by LUID.
#[derive(Default)]
pub(super) struct NetworkSessions(Mutex<BTreeMap<Luid, LogonSession>>);

impl NetworkSessions {
    pub(super) fn get(&self, luid: Luid) -> Option<LogonSession> {
        self.0.lock().get(&luid).cloned()
    }

    pub(super) fn remove(&self, luid: Luid) -> bool {
        self.0.lock().remove(&luid).is_some()
    }

    pub(super) fn luids(&self) -> Vec<Luid> {
        self.0.lock().keys().copied().collect()
    }
}

/// The names Windows gives a NULL-session client.
const ANONYMOUS_USER: &str = "ANONYMOUS LOGON";
const ANONYMOUS_DOMAIN: &str = "NT AUTHORITY";

impl Lsa {
    /// A new network logon session for a client that `package` verified as
    /// `domain\user` (an empty user is the anonymous client). No
    /// credentials; end it with [`Lsa::logoff`].
    pub fn network_logon(&self, user: &str, domain: &str, package: &str) -> NtResult<Luid> {
        let (user, domain) = if user.is_empty() {
            (ANONYMOUS_USER, ANONYMOUS_DOMAIN)
        } else {
            (user, domain)
        };
        let mut sessions = self.network.0.lock();
        let logon_id = loop {
            let l = allocate_luid()?;
            if !sessions.contains_key(&l) && self.store().get(l).ok().flatten().is_none() {
                break l;
            }
        };
        sessions.insert(
            logon_id,
            LogonSession {
                logon_id,
                owner_uid: self.uid(),
                user: user.to_string(),
                domain: domain.to_string(),
                logon_type: SecurityLogonType::Network,
                logon_time: crate::sspi::time::filetime_now(),
                authentication_package: package.to_string(),
                sid: Sid::for_account(domain, user),
                logon_server: computer_name(),
                dns_domain_name: String::new(),
                upn: String::new(),
                msv1_0: None,
                kerberos: None,
            },
        );
        Ok(logon_id)
    }
}
