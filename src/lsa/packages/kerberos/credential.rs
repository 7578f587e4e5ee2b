//! What the LSA's Kerberos package keeps in a logon session: the keys
//! derived at logon and the ticket cache, and their byte form for the
//! stores that serialise sessions.

use std::any::Any;

use zeroize::Zeroizing;

use super::super::{PackageCredential, KERBEROS_ID};
use crate::lsa::session::LogonSession;
use crate::lsa::store::codec::{Reader, Writer};

/// One cached Kerberos ticket (the TGT or a service ticket) as the
/// Kerberos package will keep it. The LSA treats `encoded` as opaque
/// (e.g. a KRB-CRED or an MIT ccache credential); the metadata is what
/// `KerbQueryTicketCacheMessage` reports (`KERB_TICKET_CACHE_INFO`).
#[derive(Clone)]
pub struct CachedTicket {
    pub server_name: String,
    pub realm_name: String,
    pub start_time: i64,
    pub end_time: i64,
    pub renew_time: i64,
    pub encryption_type: i32,
    pub ticket_flags: u32,
    pub encoded: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for CachedTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedTicket")
            .field("server_name", &self.server_name)
            .field("realm_name", &self.realm_name)
            .field("end_time", &self.end_time)
            .finish_non_exhaustive()
    }
}

/// A long-term Kerberos key ([RFC 3961] `EncryptionKey`).
#[derive(Clone)]
pub struct KerberosKey {
    pub etype: i32,
    pub kvno: u32,
    pub key: Zeroizing<Vec<u8>>,
}

/// What the Kerberos package keeps for a logon session (its
/// `SpAcceptCredentials` step and AS exchange): keys derived from the
/// password and the ticket cache. Filled by the Kerberos package. A client
/// of the LSA service gets it without `keys` ([`PackageCredential::client_copy`]).
#[derive(Clone, Default)]
pub struct KerberosCredential {
    /// `user@REALM`.
    pub principal: String,
    pub realm: String,
    pub keys: Vec<KerberosKey>,
    pub tgt: Option<CachedTicket>,
    pub service_tickets: Vec<CachedTicket>,
    /// Set in a client's copy ([`PackageCredential::client_copy`]) when the
    /// LSA service holds long-term keys for it: the service can get a new
    /// TGT when the TGT expired or was purged. The copy carries this flag,
    /// never the keys; the service ignores it in what a client sends.
    pub renewable_with_keys: bool,
}

impl std::fmt::Debug for KerberosCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosCredential")
            .field("principal", &self.principal)
            .field("keys", &self.keys.len())
            .field("tgt", &self.tgt)
            .field("service_tickets", &self.service_tickets)
            .field("renewable_with_keys", &self.renewable_with_keys)
            .finish()
    }
}

impl KerberosCredential {
    /// The tickets `KerbQueryTicketCacheMessage` lists: the TGT first.
    pub fn tickets(&self) -> impl Iterator<Item = &CachedTicket> {
        self.tgt.iter().chain(self.service_tickets.iter())
    }

    /// Whether the LSA can get this credential a TGT with long-term keys:
    /// it holds them, or (a client's copy) the service does.
    pub fn renewable(&self) -> bool {
        !self.keys.is_empty() || self.renewable_with_keys
    }

    /// `KerbPurgeTicketCacheMessage`'s step: drop the tickets whose server
    /// and realm match `server` and `realm` (case-insensitive; an empty
    /// name matches every ticket), the TGT included (`klist purge`; the
    /// LSA gets a new one with the keys at the next use).
    pub fn purge(&mut self, server: &str, realm: &str) {
        let purged = |t: &CachedTicket| {
            (server.is_empty() || t.server_name.eq_ignore_ascii_case(server))
                && (realm.is_empty() || t.realm_name.eq_ignore_ascii_case(realm))
        };
        self.service_tickets.retain(|t| !purged(t));
        if self.tgt.as_ref().is_some_and(purged) {
            self.tgt = None;
        }
    }
}

impl KerberosCredential {
    /// The Kerberos credential of session `s`, if it has one.
    pub fn of(s: &LogonSession) -> Option<&KerberosCredential> {
        s.credentials.get(KERBEROS_ID)
    }

    pub fn of_mut(s: &mut LogonSession) -> Option<&mut KerberosCredential> {
        s.credentials.get_mut(KERBEROS_ID)
    }

    /// Parse what [`PackageCredential::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Option<KerberosCredential> {
        let mut r = Reader::new(bytes);
        let principal = r.string()?;
        let realm = r.string()?;
        let mut keys = Vec::new();
        for _ in 0..r.u32()? {
            keys.push(KerberosKey {
                etype: r.u32()? as i32,
                kvno: r.u32()?,
                key: r.secret()?,
            });
        }
        let tgt = if r.flag()? { Some(r.ticket()?) } else { None };
        let mut service_tickets = Vec::new();
        for _ in 0..r.u32()? {
            service_tickets.push(r.ticket()?);
        }
        // Absent in what earlier versions stored.
        let renewable_with_keys = if r.is_empty() { false } else { r.flag()? };
        r.is_empty().then_some(KerberosCredential {
            principal,
            realm,
            keys,
            tgt,
            service_tickets,
            renewable_with_keys,
        })
    }
}

impl PackageCredential for KerberosCredential {
    fn clone_box(&self) -> Box<dyn PackageCredential> {
        Box::new(self.clone())
    }

    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::with_capacity(256);
        w.str(&self.principal);
        w.str(&self.realm);
        w.u32(self.keys.len() as u32);
        for key in &self.keys {
            w.u32(key.etype as u32);
            w.u32(key.kvno);
            w.bytes(&key.key);
        }
        match &self.tgt {
            None => w.u8(0),
            Some(t) => {
                w.u8(1);
                w.ticket(t);
            }
        }
        w.u32(self.service_tickets.len() as u32);
        for t in &self.service_tickets {
            w.ticket(t);
        }
        w.u8(self.renewable_with_keys as u8);
        w.finish()
    }

    /// The long-term keys are password-equivalent and the TGT's session
    /// key obtains any ticket of the user: both stay in the LSA service,
    /// which runs the AS and TGS exchanges. The copy lists the TGT (names,
    /// times, flags for `KerbQueryTicketCacheMessage`) without its
    /// `encoded` credential, and holds the service tickets with their
    /// session keys (the application builds AP-REQs with them).
    fn client_copy(&self) -> Box<dyn PackageCredential> {
        Box::new(KerberosCredential {
            keys: Vec::new(),
            renewable_with_keys: self.renewable(),
            tgt: self.tgt.as_ref().map(|t| CachedTicket {
                encoded: Zeroizing::new(Vec::new()),
                ..t.clone()
            }),
            ..self.clone()
        })
    }

    fn is_client_copy(&self) -> bool {
        self.keys.is_empty()
    }

    /// A client's Put keeps the service's names, keys and TGT (the client
    /// never holds the TGT's key: it can neither replace nor drop it); its
    /// service tickets (a purge) are taken. A dropped credential keeps the
    /// service's whole.
    fn restore_withheld(&self, sent: Option<&dyn PackageCredential>) -> Box<dyn PackageCredential> {
        let Some(sent) = sent.and_then(|c| c.as_any().downcast_ref::<KerberosCredential>()) else {
            return self.clone_box();
        };
        Box::new(KerberosCredential {
            principal: self.principal.clone(),
            realm: self.realm.clone(),
            keys: self.keys.clone(),
            tgt: self.tgt.clone(),
            service_tickets: sent.service_tickets.clone(),
            renewable_with_keys: self.renewable_with_keys,
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client copy says whether the keys it lacks exist (a flag, no
    /// byte of them); a credential stored without the flag (earlier
    /// versions) decodes as not renewable without keys.
    #[test]
    fn the_client_copy_says_whether_keys_are_held() {
        let key = [0x5a_u8; 32];
        let full = KerberosCredential {
            principal: "alice@R".into(),
            realm: "R".into(),
            keys: vec![KerberosKey {
                etype: 18,
                kvno: 1,
                key: Zeroizing::new(key.to_vec()),
            }],
            ..Default::default()
        };
        let copy = full.client_copy().encode();
        assert!(!copy.windows(32).any(|w| w == key));
        let copy = KerberosCredential::decode(&copy).unwrap();
        assert!(copy.keys.is_empty() && copy.renewable());
        let keyless = KerberosCredential {
            keys: Vec::new(),
            ..full
        };
        let copy = KerberosCredential::decode(&keyless.client_copy().encode()).unwrap();
        assert!(!copy.renewable());
        let mut old = keyless.encode().to_vec();
        assert_eq!(old.pop(), Some(0));
        assert!(!KerberosCredential::decode(&old).unwrap().renewable());
        old.push(2);
        assert!(KerberosCredential::decode(&old).is_none());
    }
}
