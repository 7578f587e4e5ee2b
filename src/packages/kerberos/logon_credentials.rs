//! The Kerberos credentials the package keeps per logon session (LUID):
//! today the TGT a client delegated to one of our server contexts, held
//! for the client's network logon session (the KRB-CRED of the
//! authenticator checksum, RFC 4121 §4.1.1.1, RFC 4120 §3.6), and the
//! service tickets obtained with it.
//!
//! Windows' Kerberos package keeps such a credential list per logon
//! session and drops an entry on the LSA's logoff notification
//! (`SpLogonTerminated`); here the LSA calls [`logon_terminated`] when a
//! session ends (for a network session: `DeleteSecurityContext` of its
//! server context), so nothing outlives the session and the keys are
//! zeroized (`crypto::Key`).
//!
//! `AcquireCredentialsHandle(NULL, "Kerberos", OUTBOUND)` with `pvLogonId`
//! or while impersonating reads the session's entry here
//! ([`super::credential`]); a session without one has no Kerberos
//! credentials (`SEC_E_NO_CREDENTIALS`).

use std::collections::HashMap;

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use super::ccache::Credential as CcacheCredential;
use super::creds::{ServiceTicket, Tgt, TicketCache, TicketCredential};
use super::principal::PrincipalName;
use crate::lsa::Luid;

/// One logon session's Kerberos credentials.
struct SessionCredentials {
    tgt: Tgt,
    tickets: TicketCache,
}

static SESSIONS: Lazy<Mutex<HashMap<Luid, SessionCredentials>>> = Lazy::new(Default::default);

/// Give logon session `logon_id` the TGT its client delegated (a
/// KRB-CRED the acceptor decrypted and matched to the ticket's client).
/// Anything but a TGT (`krbtgt/…`) is ignored; returns whether it was kept.
pub fn accept_delegated(logon_id: Luid, delegated: &CcacheCredential) -> bool {
    let Some(t) = TicketCredential::from_ccache(delegated) else {
        return false;
    };
    if !t.server.is_krbtgt() {
        return false;
    }
    // The LSA's logoff notification (`LsaApLogonTerminated` of its
    // Kerberos package) drops the entry.
    crate::lsa::packages::kerberos::on_logon_terminated(logon_terminated);
    SESSIONS.lock().insert(
        logon_id,
        SessionCredentials {
            tgt: Tgt(std::sync::Arc::new(t)),
            tickets: TicketCache::new(),
        },
    );
    true
}

/// The TGT of logon session `logon_id`, if the package holds one.
pub fn tgt(logon_id: Luid) -> Option<Tgt> {
    SESSIONS.lock().get(&logon_id).map(|s| s.tgt.clone())
}

/// The client principal of logon session `logon_id`'s credentials.
pub fn client(logon_id: Luid) -> Option<PrincipalName> {
    SESSIONS.lock().get(&logon_id).map(|s| s.tgt.client.clone())
}

/// A cached service ticket of the session for `server`, valid at `now`.
pub fn service_ticket(logon_id: Luid, server: &PrincipalName, now: i64) -> Option<ServiceTicket> {
    SESSIONS
        .lock()
        .get_mut(&logon_id)
        .and_then(|s| s.tickets.get(server, now).cloned())
}

/// Cache a service ticket in the session's entry (dropped when the session
/// has ended meanwhile).
pub fn add_service_ticket(logon_id: Luid, ticket: ServiceTicket) {
    if let Some(s) = SESSIONS.lock().get_mut(&logon_id) {
        s.tickets.insert(ticket);
    }
}

/// The LSA's logoff notification: logon session `logon_id` ended, its
/// Kerberos credentials go (keys zeroized on drop).
pub fn logon_terminated(logon_id: Luid) {
    SESSIONS.lock().remove(&logon_id);
}

/// A TGT-shaped delegated credential of alice@R for `server` (tests).
#[cfg(test)]
pub(crate) fn forwarded_tgt(server: &[&str]) -> CcacheCredential {
    use super::crypto::{EncryptionType, Key};
    use super::principal::NT_PRINCIPAL;

    TicketCredential {
        client: PrincipalName::new(NT_PRINCIPAL, &["alice"], "R"),
        server: PrincipalName::new(2, server, "R"),
        ticket: vec![0x61, 0],
        session_key: Key::new(EncryptionType::Aes128CtsHmacSha196, &[7; 16]).unwrap(),
        flags: 0x6000_0000,
        authtime: 100,
        starttime: None,
        endtime: i64::from(u32::MAX),
        renew_till: None,
    }
    .to_ccache()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delegated_tgt_lives_until_the_logoff_notification() {
        let luid = Luid {
            low_part: 0x7e57_0001,
            high_part: 0x7e57,
        };
        assert!(!accept_delegated(luid, &forwarded_tgt(&["host", "h"])));
        assert!(tgt(luid).is_none());
        assert!(accept_delegated(luid, &forwarded_tgt(&["krbtgt", "R"])));
        assert_eq!(client(luid).unwrap().to_file().to_string(), "alice@R");
        logon_terminated(luid);
        assert!(tgt(luid).is_none());
    }

    /// The Kerberos package's credentials of a network session (a TGT the
    /// client delegated) end with the session: logoff tells the package.
    #[test]
    fn logoff_drops_the_kerberos_credentials_of_a_network_session() {
        use crate::lsa::store::memory::MemoryStore;
        use crate::lsa::Lsa;
        use std::sync::Arc;
        let lsa = Lsa::new(Arc::new(MemoryStore::new()));
        let net = lsa.network_logon("alice", "R", "Kerberos").unwrap();
        assert!(accept_delegated(net, &forwarded_tgt(&["krbtgt", "R"])));
        assert!(tgt(net).is_some());
        lsa.logoff(net).unwrap();
        assert!(tgt(net).is_none());
    }
}
