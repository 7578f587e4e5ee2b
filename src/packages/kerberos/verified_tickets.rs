//! The acceptor's cache of verified service tickets, one per server
//! credential (made with its keytab keys, so a keytab reload or a new
//! credential starts empty).
//!
//! A client reuses its service ticket for many connections, and the
//! acceptor would decrypt (usage 2) and decode the same EncTicketPart on
//! every AP-REQ. The ticket's enc-part is authenticated by the service key
//! (RFC 4120 §3.2.3, §5.3; MS-KILE §3.4.5.1): a ciphertext equal byte for
//! byte, with the same etype, kvno and sname, under the same keytab, is the
//! same ticket, so what its decryption gave is reused, its PAC verified
//! with it. Only a ticket that decrypted, decoded and whose PAC (if any)
//! verified is stored; time checks, the authenticator and the
//! replay cache stay per AP-REQ.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::crypto::Key;
use super::filecodec::Principal;
use super::pac::{PacError, VerifiedPac};

/// Entries kept per credential; the oldest goes first.
pub const VERIFIED_TICKETS_MAX: usize = 256;

/// What the acceptor takes from a decrypted EncTicketPart (RFC 4120 §5.3).
pub struct VerifiedTicket {
    /// The client, from the decrypted ticket.
    pub client: Principal,
    /// The keytab principal whose key decrypted the ticket.
    pub server: Principal,
    /// The ticket's session key (its clones share its derived keys).
    pub session_key: Key,
    pub ticket_flags: u32,
    pub authtime: i64,
    pub starttime: i64,
    pub endtime: i64,
    /// The ticket's AuthorizationData, DER as in the ticket.
    pub authorization_data: Option<Vec<u8>>,
    /// The PAC verified with the ticket (`Ok(None)`: the ticket has none).
    /// A ticket whose PAC was refused is never stored.
    pub pac: Result<Option<Arc<VerifiedPac>>, PacError>,
}

/// The identity of a ticket: its enc-part as received and its server.
#[derive(PartialEq, Eq)]
pub struct TicketId<'a> {
    pub etype: i32,
    pub kvno: Option<u32>,
    pub sname: &'a Principal,
    pub cipher: &'a [u8],
}

struct Entry {
    etype: i32,
    kvno: Option<u32>,
    sname: Principal,
    cipher: Vec<u8>,
    ticket: Arc<VerifiedTicket>,
}

impl Entry {
    fn is(&self, id: &TicketId<'_>) -> bool {
        self.etype == id.etype
            && self.kvno == id.kvno
            && &self.sname == id.sname
            && self.cipher == id.cipher
    }
}

/// The map's key: the ciphertext's last 16 bytes (its HMAC tag), the
/// whole identity compared on lookup.
type Tag = [u8; 16];

fn tag(cipher: &[u8]) -> Tag {
    let mut t = [0u8; 16];
    let tail = &cipher[cipher.len().saturating_sub(16)..];
    t[..tail.len()].copy_from_slice(tail);
    t
}

#[derive(Default)]
struct Inner {
    map: HashMap<Tag, Entry>,
    /// Insertion order, for eviction.
    order: VecDeque<Tag>,
}

/// Verified tickets of one server credential (bounded, thread safe: the
/// lock is held for a lookup or an insert only, never while decrypting).
pub struct VerifiedTickets {
    inner: Mutex<Inner>,
    capacity: usize,
    hits: AtomicU64,
}

impl Default for VerifiedTickets {
    fn default() -> Self {
        Self::with_capacity(VERIFIED_TICKETS_MAX)
    }
}

impl VerifiedTickets {
    pub fn with_capacity(capacity: usize) -> Self {
        VerifiedTickets {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(1),
            hits: AtomicU64::new(0),
        }
    }

    /// The verified ticket of `id`, if this exact ticket was verified.
    pub fn get(&self, id: &TicketId<'_>) -> Option<Arc<VerifiedTicket>> {
        let inner = self.inner.lock();
        let found = inner
            .map
            .get(&tag(id.cipher))
            .filter(|e| e.is(id))
            .map(|e| e.ticket.clone());
        drop(inner);
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// Keeps a ticket that decrypted and decoded under the keytab.
    pub fn insert(&self, id: &TicketId<'_>, ticket: Arc<VerifiedTicket>) {
        let entry = Entry {
            etype: id.etype,
            kvno: id.kvno,
            sname: id.sname.clone(),
            cipher: id.cipher.to_vec(),
            ticket,
        };
        let t = tag(id.cipher);
        let mut inner = self.inner.lock();
        if let Some(old) = inner.map.get_mut(&t) {
            // The same tag (the same ticket again, or a collision): the
            // newer one replaces it in place.
            *old = entry;
            return;
        }
        while inner.order.len() >= self.capacity {
            match inner.order.pop_front() {
                Some(oldest) => {
                    inner.map.remove(&oldest);
                }
                None => break,
            }
        }
        inner.order.push_back(t);
        inner.map.insert(t, entry);
    }

    /// Lookups answered from the cache (for tests and diagnostics).
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Tickets held.
    pub fn len(&self) -> usize {
        self.inner.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::kerberos::crypto::{random_key, EncryptionType};

    fn verified(client: &str) -> Arc<VerifiedTicket> {
        Arc::new(VerifiedTicket {
            client: Principal::parse(client),
            server: Principal::parse("host/a@R"),
            session_key: random_key(EncryptionType::Aes256CtsHmacSha196).unwrap(),
            ticket_flags: 0,
            authtime: 1,
            starttime: 1,
            endtime: 2,
            authorization_data: None,
            pac: Ok(None),
        })
    }

    #[test]
    fn lookup_compares_the_whole_identity_not_the_tag() {
        let c = VerifiedTickets::default();
        let sname = Principal::parse("host/a@R");
        let cipher = vec![7u8; 64];
        let id = TicketId {
            etype: 18,
            kvno: Some(2),
            sname: &sname,
            cipher: &cipher,
        };
        c.insert(&id, verified("alice@R"));
        assert_eq!(c.get(&id).unwrap().client.to_string(), "alice@R");
        assert_eq!(c.hits(), 1);
        // Same last 16 bytes, another ciphertext: not the cached ticket.
        let mut changed = cipher.clone();
        changed[0] ^= 1;
        let other = TicketId {
            cipher: &changed,
            ..id
        };
        assert!(c.get(&other).is_none());
        let other_sname = Principal::parse("host/b@R");
        for other in [
            TicketId { etype: 17, ..id },
            TicketId { kvno: None, ..id },
            TicketId {
                sname: &other_sname,
                ..id
            },
        ] {
            assert!(c.get(&other).is_none());
        }
        assert_eq!(c.hits(), 1);
    }

    #[test]
    fn oldest_ticket_is_evicted_at_capacity() {
        let c = VerifiedTickets::with_capacity(2);
        let sname = Principal::parse("host/a@R");
        let ciphers: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 32]).collect();
        let id = |i: usize| TicketId {
            etype: 18,
            kvno: None,
            sname: &sname,
            cipher: &ciphers[i],
        };
        for i in 0..3 {
            c.insert(&id(i), verified("alice@R"));
        }
        assert_eq!(c.len(), 2);
        assert!(c.get(&id(0)).is_none());
        assert!(c.get(&id(1)).is_some() && c.get(&id(2)).is_some());
    }
}
