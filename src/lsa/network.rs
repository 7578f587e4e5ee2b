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

/// The client a package verified, as its network logon session names it
/// (`SECURITY_LOGON_SESSION_DATA`). NTLM knows only `DOMAIN\user`; a
/// Kerberos acceptor with a verified PAC also knows the account's SID, UPN,
/// DNS domain and logon server (MS-KILE 3.4.5.3, MS-PAC 2.5 and 2.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkIdentity {
    /// `UserName`; empty = the anonymous client.
    pub user: String,
    /// `LogonDomain` (NetBIOS name).
    pub domain: String,
    /// `AuthenticationPackage` ("NTLM", "Kerberos").
    pub package: String,
    /// `Sid`; `None` = the synthetic [`Sid::for_account`] of `domain\user`.
    pub sid: Option<Sid>,
    /// `Upn` (empty when unknown).
    pub upn: String,
    /// `DnsDomainName` (empty when unknown).
    pub dns_domain_name: String,
    /// `LogonServer`; `None` = this machine (the account was verified here).
    pub logon_server: Option<String>,
}

impl NetworkIdentity {
    /// `domain\user` verified by `package`, with nothing more known about
    /// the account.
    pub fn new(user: &str, domain: &str, package: &str) -> Self {
        NetworkIdentity {
            user: user.to_string(),
            domain: domain.to_string(),
            package: package.to_string(),
            sid: None,
            upn: String::new(),
            dns_domain_name: String::new(),
            logon_server: None,
        }
    }
}

impl Lsa {
    /// A new network logon session for a client that `package` verified as
    /// `domain\user` (an empty user is the anonymous client). No
    /// credentials; end it with [`Lsa::logoff`].
    pub fn network_logon(&self, user: &str, domain: &str, package: &str) -> NtResult<Luid> {
        self.network_logon_with(&NetworkIdentity::new(user, domain, package))
    }

    /// A new network logon session for the client `id` (what its package
    /// verified). No credentials; end it with [`Lsa::logoff`].
    pub fn network_logon_with(&self, id: &NetworkIdentity) -> NtResult<Luid> {
        let (user, domain) = if id.user.is_empty() {
            (ANONYMOUS_USER, ANONYMOUS_DOMAIN)
        } else {
            (id.user.as_str(), id.domain.as_str())
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
                authentication_package: id.package.clone(),
                sid: id
                    .sid
                    .clone()
                    .unwrap_or_else(|| Sid::for_account(domain, user)),
                logon_server: id
                    .logon_server
                    .clone()
                    .unwrap_or_else(|| computer_name().to_string()),
                dns_domain_name: id.dns_domain_name.clone(),
                upn: id.upn.clone(),
                credentials: Default::default(),
            },
        );
        Ok(logon_id)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::accounts::AccountDatabase;
    use super::super::store::memory::MemoryStore;
    use super::super::submit::InteractiveLogon;
    use super::super::{impersonated_session, revert_to_self};
    use super::*;
    use crate::lsa::status::NtStatus;
    use crate::sspi::SecStatus;

    #[test]
    fn a_network_session_names_the_client_and_holds_no_credentials() {
        let lsa = Lsa::new(Arc::new(MemoryStore::new())).with_accounts(Arc::new(
            AccountDatabase::parse("EXAMPLE:alice:alice-Passw0rd\n"),
        ));
        let alice = lsa
            .logon_user(
                2,
                2,
                &InteractiveLogon::new("EXAMPLE", "alice", "alice-Passw0rd"),
            )
            .unwrap()
            .logon_id;
        let net = lsa.network_logon("bob", "EXAMPLE", "NTLM").unwrap();
        let d = lsa.session_data(net).unwrap();
        assert_eq!(
            (d.user_name.as_str(), d.logon_domain.as_str()),
            ("bob", "EXAMPLE")
        );
        assert_eq!(d.logon_type, SecurityLogonType::Network as u32);
        assert_eq!(d.authentication_package, "NTLM");
        assert_eq!(d.sid, Sid::for_account("EXAMPLE", "bob"));
        assert!(lsa.enumerate_sessions().unwrap().contains(&net));
        assert_eq!(
            lsa.primary_credential(Some(net)).unwrap_err(),
            SecStatus::NoCredentials
        );
        // impersonating it hides the process session (alice's)
        assert_eq!(lsa.primary_credential(None).unwrap().logon_id, alice);
        lsa.impersonate(net).unwrap();
        assert_eq!(
            lsa.primary_credential(None).unwrap_err(),
            SecStatus::NoCredentials
        );
        // logged off while impersonated: still no credentials, not alice's
        lsa.logoff(net).unwrap();
        assert_eq!(impersonated_session(), Some(net));
        assert_eq!(
            lsa.primary_credential(None).unwrap_err(),
            SecStatus::NoCredentials
        );
        assert_eq!(
            lsa.session_data(net).unwrap_err(),
            NtStatus::NO_SUCH_LOGON_SESSION
        );
        revert_to_self();
        assert_eq!(lsa.primary_credential(None).unwrap().logon_id, alice);
        let anon = lsa.network_logon("", "", "NTLM").unwrap();
        assert_eq!(lsa.session_data(anon).unwrap().user_name, "ANONYMOUS LOGON");
    }

    #[test]
    fn a_network_identity_s_sid_upn_domain_and_server_name_the_session() {
        let lsa = Lsa::new(Arc::new(MemoryStore::new()));
        let plain = lsa.network_logon("bob", "EXAMPLE", "NTLM").unwrap();
        let d = lsa.session_data(plain).unwrap();
        assert_eq!(d.logon_server, computer_name());
        assert_eq!((d.upn.as_str(), d.dns_domain_name.as_str()), ("", ""));
        let sid = Sid {
            authority: 5,
            sub_authorities: vec![21, 1, 2, 3, 1102],
        };
        let id = NetworkIdentity {
            sid: Some(sid.clone()),
            upn: "alice@example.test".into(),
            dns_domain_name: "EXAMPLE.TEST".into(),
            logon_server: Some("DC1".into()),
            ..NetworkIdentity::new("alice", "EXAMPLE", "Kerberos")
        };
        let d = lsa
            .session_data(lsa.network_logon_with(&id).unwrap())
            .unwrap();
        assert_eq!(
            (
                d.user_name.as_str(),
                d.logon_domain.as_str(),
                d.authentication_package.as_str(),
                d.upn.as_str(),
                d.dns_domain_name.as_str(),
                d.logon_server.as_str()
            ),
            (
                "alice",
                "EXAMPLE",
                "Kerberos",
                "alice@example.test",
                "EXAMPLE.TEST",
                "DC1"
            )
        );
        assert_eq!(d.sid, sid);
        assert_eq!(d.logon_type, SecurityLogonType::Network as u32);
    }
}
