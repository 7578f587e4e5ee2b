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
    // The KrbCredInfo's sname is the sender's word: the Ticket itself must
    // name the same krbtgt service (as the KDC client checks a reply's).
    let names_krbtgt = |p: &PrincipalName| p.is_krbtgt() && p.realm == t.server.realm;
    if !names_krbtgt(&t.server)
        || ticket_server(&t.ticket)
            .is_none_or(|p| !names_krbtgt(&p) || p.components != t.server.components)
    {
        return false;
    }
    // The LSA's logoff notification (`LsaApLogonTerminated` of its
    // Kerberos package) drops the entry; registered once per process.
    static LISTENING: std::sync::Once = std::sync::Once::new();
    LISTENING.call_once(|| crate::lsa::packages::kerberos::on_logon_terminated(logon_terminated));
    SESSIONS.lock().insert(
        logon_id,
        SessionCredentials {
            tgt: Tgt(std::sync::Arc::new(t)),
            tickets: TicketCache::new(),
        },
    );
    true
}

/// The server a DER `Ticket` names in its clear part (RFC 4120 §5.3).
fn ticket_server(der: &[u8]) -> Option<PrincipalName> {
    let t: picky_krb::data_types::Ticket = picky_asn1_der::from_bytes(der).ok()?;
    PrincipalName::from_asn1(&t.0.sname.0, &t.0.realm.0)
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
    let mut sessions = SESSIONS.lock();
    sessions.remove(&logon_id);
    if sessions.is_empty() {
        // Give the table's memory back: a process whose last delegated
        // credential is gone holds nothing (valgrind sees no block left).
        *sessions = HashMap::new();
    }
}

/// A TGT-shaped delegated credential of alice@R for `server` (tests).
#[cfg(test)]
pub(crate) fn forwarded_tgt(server: &[&str]) -> CcacheCredential {
    forwarded_cred(server, server)
}

/// A delegated credential of alice@R whose KrbCredInfo names `server` and
/// whose Ticket names `ticket_server` (tests).
#[cfg(test)]
pub(crate) fn forwarded_cred(server: &[&str], ticket_server: &[&str]) -> CcacheCredential {
    use super::crypto::{EncryptionType, Key};
    use super::kdc::wire::encode_i32;
    use super::principal::{kerberos_string, NT_PRINCIPAL};
    use picky_asn1::wrapper::{
        ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag2, ExplicitContextTag3,
        OctetStringAsn1, Optional,
    };
    use picky_asn1_der::application_tag::ApplicationTag;
    use picky_krb::data_types::{EncryptedData, TicketInner};

    let ts = PrincipalName::new(2, ticket_server, "R");
    let ticket = ApplicationTag::<_, 1>(TicketInner {
        tkt_vno: ExplicitContextTag0(encode_i32(5)),
        realm: ExplicitContextTag1(kerberos_string("R").unwrap()),
        sname: ExplicitContextTag2(ts.to_asn1().unwrap()),
        enc_part: ExplicitContextTag3(EncryptedData {
            etype: ExplicitContextTag0(encode_i32(17)),
            kvno: Optional(None),
            cipher: ExplicitContextTag2(OctetStringAsn1(vec![0x55; 32])),
        }),
    });
    TicketCredential {
        client: PrincipalName::new(NT_PRINCIPAL, &["alice"], "R"),
        server: PrincipalName::new(2, server, "R"),
        ticket: picky_asn1_der::to_vec(&ticket).unwrap(),
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
        // A service ticket (or another realm's TGT) under a KrbCredInfo
        // naming krbtgt/R: the Ticket's own sname decides.
        for t in [&["host", "h"][..], &["krbtgt", "OTHER"], &["krbtgt"]] {
            assert!(!accept_delegated(
                luid,
                &forwarded_cred(&["krbtgt", "R"], t)
            ));
            assert!(tgt(luid).is_none(), "{t:?}");
        }
        let mut garbage = forwarded_tgt(&["krbtgt", "R"]);
        garbage.ticket = vec![0x61, 0];
        assert!(!accept_delegated(luid, &garbage));
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
