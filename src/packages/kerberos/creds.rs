//! The credential values the package uses: a ticket with its session key
//! and times ([`TicketCredential`]), as a TGT ([`Tgt`]) or a service ticket
//! ([`ServiceTicket`]); a small in-memory cache of service tickets keyed by
//! server principal; and the MIT credential cache (`ccache`, `KRB5CCNAME`)
//! as a source of a TGT and service tickets and a place to store the
//! service tickets obtained, as MIT does (so `klist` lists them).

use std::collections::HashMap;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use super::ccache::{append_credential, Ccache, Credential};
use super::crypto::{EncryptionType, Key};
use super::filecodec::{FileError, FileResult, Key as FileKey};
use super::principal::PrincipalName;

/// TicketFlags bits (RFC 4120 §5.3; bit 0 the most significant).
pub mod ticket_flags {
    pub const FORWARDABLE: u32 = 1 << 30;
    pub const FORWARDED: u32 = 1 << 29;
    pub const OK_AS_DELEGATE: u32 = 1 << 18;
}

/// A ticket and what its holder knows about it (RFC 4120 §5.4.2
/// EncKDCRepPart). Times are seconds since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketCredential {
    pub client: PrincipalName,
    pub server: PrincipalName,
    /// The Ticket, DER-encoded, opaque to the client.
    pub ticket: Vec<u8>,
    pub session_key: Key,
    /// TicketFlags, bit 0 the most significant.
    pub flags: u32,
    pub authtime: i64,
    pub starttime: Option<i64>,
    pub endtime: i64,
    pub renew_till: Option<i64>,
}

impl TicketCredential {
    /// Whether the ticket is still valid at `now`.
    pub fn is_valid_at(&self, now: i64) -> bool {
        now < self.endtime
    }

    /// The MIT ccache form.
    pub fn to_ccache(&self) -> Credential {
        let t = |v: i64| v.clamp(0, u32::MAX as i64) as u32;
        Credential {
            client: self.client.to_file(),
            server: self.server.to_file(),
            key: FileKey {
                enctype: self.session_key.etype().as_i32(),
                bytes: zeroize::Zeroizing::new(self.session_key.as_bytes().to_vec()),
            },
            authtime: t(self.authtime),
            starttime: t(self.starttime.unwrap_or(0)),
            endtime: t(self.endtime),
            renew_till: t(self.renew_till.unwrap_or(0)),
            is_skey: false,
            ticket_flags: self.flags,
            addresses: Vec::new(),
            authdata: Vec::new(),
            ticket: self.ticket.clone(),
            second_ticket: Vec::new(),
        }
    }

    /// From an MIT ccache credential; `None` for a configuration entry or
    /// a session key of an unsupported etype.
    pub fn from_ccache(c: &Credential) -> Option<Self> {
        if c.is_config() {
            return None;
        }
        let etype = EncryptionType::from_i32(c.key.enctype).ok()?;
        let nonzero = |v: u32| (v != 0).then_some(v as i64);
        Some(TicketCredential {
            client: PrincipalName::from_file(&c.client),
            server: PrincipalName::from_file(&c.server),
            ticket: c.ticket.clone(),
            session_key: Key::new(etype, &c.key.bytes).ok()?,
            flags: c.ticket_flags,
            authtime: c.authtime as i64,
            starttime: nonzero(c.starttime),
            endtime: c.endtime as i64,
            renew_till: nonzero(c.renew_till),
        })
    }
}

/// A ticket-granting ticket (`krbtgt/REALM@REALM`, or a cross-realm one).
/// Clones share the ticket (its DER and session key, with the keys derived
/// from it): each InitializeSecurityContext takes one from the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tgt(pub Arc<TicketCredential>);

/// A ticket for a service (clones share it, as [`Tgt`]'s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTicket(pub Arc<TicketCredential>);

impl Deref for Tgt {
    type Target = TicketCredential;
    fn deref(&self) -> &TicketCredential {
        &self.0
    }
}

impl Deref for ServiceTicket {
    type Target = TicketCredential;
    fn deref(&self) -> &TicketCredential {
        &self.0
    }
}

impl Tgt {
    /// The realm whose TGS this ticket is for (`krbtgt/THAT@...`).
    pub fn tgs_realm(&self) -> &str {
        self.server
            .components
            .get(1)
            .map(String::as_str)
            .unwrap_or(&self.server.realm)
    }
}

/// Service tickets in memory, keyed by server principal (name and realm),
/// dropped once expired.
#[derive(Debug, Default)]
pub struct TicketCache {
    tickets: HashMap<(Vec<String>, String), ServiceTicket>,
}

impl TicketCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn key(p: &PrincipalName) -> (Vec<String>, String) {
        (p.components.clone(), p.realm.clone())
    }

    /// The ticket for `server` valid at `now` (an expired one is removed).
    pub fn get(&mut self, server: &PrincipalName, now: i64) -> Option<&ServiceTicket> {
        let k = Self::key(server);
        if self.tickets.get(&k).is_some_and(|t| !t.is_valid_at(now)) {
            self.tickets.remove(&k);
        }
        self.tickets.get(&k)
    }

    /// Store `ticket` under its server name (replacing an older one).
    pub fn insert(&mut self, ticket: ServiceTicket) {
        self.tickets.insert(Self::key(&ticket.server), ticket);
    }

    /// Drop every ticket expired at `now`.
    pub fn purge(&mut self, now: i64) {
        self.tickets.retain(|_, t| t.is_valid_at(now));
    }

    pub fn len(&self) -> usize {
        self.tickets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty()
    }
}

/// What a credential cache holds for its default principal: the TGT of
/// the principal's realm (if any) and the service tickets.
#[derive(Debug, Clone)]
pub struct CachedCredentials {
    pub client: PrincipalName,
    pub tgt: Option<Tgt>,
    pub service_tickets: Vec<ServiceTicket>,
}

/// Read the ccache file at `path`: the newest `krbtgt/REALM@REALM` of the
/// default principal valid at `now` and its other tickets valid at `now`.
pub fn load_ccache(path: &Path, now: i64) -> FileResult<CachedCredentials> {
    let cache = Ccache::read(path)?;
    let client = PrincipalName::from_file(&cache.default_principal);
    let mut tgt: Option<Tgt> = None;
    let mut service_tickets = Vec::new();
    for c in cache.tickets() {
        let Some(t) = TicketCredential::from_ccache(c) else {
            continue;
        };
        if !t.client.same_name(&client) || !t.is_valid_at(now) {
            continue;
        }
        if t.server.is_krbtgt() {
            let home = t.server.components[1] == client.realm && t.server.realm == client.realm;
            if home && tgt.as_ref().is_none_or(|g| g.endtime < t.endtime) {
                tgt = Some(Tgt(Arc::new(t)));
            }
        } else {
            service_tickets.push(ServiceTicket(Arc::new(t)));
        }
    }
    Ok(CachedCredentials {
        client,
        tgt,
        service_tickets,
    })
}

/// The file of the cache in force (`KRB5CCNAME`, else krb5.conf's
/// `default_ccache_name`, else `/tmp/krb5cc_<uid>`; see `ccache`).
pub fn default_ccache_path() -> FileResult<std::path::PathBuf> {
    let name = super::ccache::default_ccache_name()?;
    Ok(super::ccache::resolve_ccache_name(&name)?.path)
}

/// Add `ticket` to the ccache file at `path` the way MIT does (appended
/// under the file lock), so `klist` lists it.
pub fn store_in_ccache(path: &Path, ticket: &TicketCredential) -> FileResult<()> {
    if ticket.ticket.is_empty() {
        return Err(FileError::Malformed("credential without a ticket"));
    }
    append_credential(path, &ticket.to_ccache())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::kerberos::principal::{NT_PRINCIPAL, NT_SRV_HST};

    fn ticket(server: &str, endtime: i64) -> ServiceTicket {
        ServiceTicket(Arc::new(TicketCredential {
            client: PrincipalName::new(NT_PRINCIPAL, &["alice"], "R"),
            server: PrincipalName::new(NT_SRV_HST, &["host", server], "R"),
            ticket: vec![0x61, 0],
            session_key: Key::new(EncryptionType::Aes128CtsHmacSha196, &[7; 16]).unwrap(),
            flags: 0,
            authtime: 100,
            starttime: None,
            endtime,
            renew_till: None,
        }))
    }

    #[test]
    fn cache_expires_tickets() {
        let mut c = TicketCache::new();
        c.insert(ticket("a", 1000));
        c.insert(ticket("b", 2000));
        let a = PrincipalName::new(NT_SRV_HST, &["host", "a"], "R");
        assert!(c.get(&a, 999).is_some());
        assert!(c.get(&a, 1000).is_none());
        assert_eq!(c.len(), 1);
        c.purge(2000);
        assert!(c.is_empty());
    }

    #[test]
    fn ccache_round_trip() {
        let t = ticket("a", 1000);
        let back = TicketCredential::from_ccache(&t.to_ccache()).unwrap();
        assert_eq!(back, *t.0);
    }
}
