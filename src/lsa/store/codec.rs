//! The byte form of a [`LogonSession`] for stores that keep sessions
//! outside the process (the kernel keyring). A small private format:
//! magic `OSSPILS`, a version byte, then the fields in a fixed order
//! (integers little-endian, strings and byte strings as u32 length +
//! bytes, optional parts behind a 0/1 tag). The encoding holds secrets and
//! is returned in a zeroizing buffer; decoding never panics.

use zeroize::Zeroizing;

use crate::lsa::session::{
    CachedTicket, KerberosCredential, KerberosKey, LogonSession, SecurityLogonType, Sid,
};
use crate::lsa::{Luid, Msv1_0PrimaryCredential};

const MAGIC: &[u8; 7] = b"OSSPILS";
const VERSION: u8 = 1;

struct Writer(Zeroizing<Vec<u8>>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn ticket(&mut self, t: &CachedTicket) {
        self.str(&t.server_name);
        self.str(&t.realm_name);
        self.u64(t.start_time as u64);
        self.u64(t.end_time as u64);
        self.u64(t.renew_time as u64);
        self.u32(t.encryption_type as u32);
        self.u32(t.ticket_flags);
        self.bytes(&t.encoded);
    }
}

/// Serialize a session (secrets included).
pub fn encode(s: &LogonSession) -> Zeroizing<Vec<u8>> {
    let mut w = Writer(Zeroizing::new(Vec::with_capacity(512)));
    w.0.extend_from_slice(MAGIC);
    w.u8(VERSION);
    w.u64(s.logon_id.as_u64());
    w.u32(s.owner_uid);
    w.str(&s.user);
    w.str(&s.domain);
    w.u32(s.logon_type as u32);
    w.u64(s.logon_time as u64);
    w.str(&s.authentication_package);
    w.bytes(&s.sid.to_bytes());
    w.str(&s.logon_server);
    w.str(&s.dns_domain_name);
    w.str(&s.upn);
    match &s.msv1_0 {
        None => w.u8(0),
        Some(m) => {
            w.u8(1);
            w.str(&m.user);
            w.str(&m.domain);
            // Empty: no NT OWF (a service client's copy).
            w.bytes(m.nt_owf.as_ref().map(|o| &o[..]).unwrap_or(&[]));
        }
    }
    match &s.kerberos {
        None => w.u8(0),
        Some(k) => {
            w.u8(1);
            w.str(&k.principal);
            w.str(&k.realm);
            w.u32(k.keys.len() as u32);
            for key in &k.keys {
                w.u32(key.etype as u32);
                w.u32(key.kvno);
                w.bytes(&key.key);
            }
            match &k.tgt {
                None => w.u8(0),
                Some(t) => {
                    w.u8(1);
                    w.ticket(t);
                }
            }
            w.u32(k.service_tickets.len() as u32);
            for t in &k.service_tickets {
                w.ticket(t);
            }
        }
    }
    w.0
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.buf.len() {
            return None;
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn secret(&mut self) -> Option<Zeroizing<Vec<u8>>> {
        Some(Zeroizing::new(self.bytes()?.to_vec()))
    }
    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }
    fn flag(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    fn ticket(&mut self) -> Option<CachedTicket> {
        Some(CachedTicket {
            server_name: self.string()?,
            realm_name: self.string()?,
            start_time: self.u64()? as i64,
            end_time: self.u64()? as i64,
            renew_time: self.u64()? as i64,
            encryption_type: self.u32()? as i32,
            ticket_flags: self.u32()?,
            encoded: self.secret()?,
        })
    }
}

/// One cached ticket in the same form (the LSA service's wire).
pub fn encode_ticket(t: &CachedTicket) -> Zeroizing<Vec<u8>> {
    let mut w = Writer(Zeroizing::new(Vec::with_capacity(64 + t.encoded.len())));
    w.ticket(t);
    w.0
}

/// Parse what [`encode_ticket`] wrote; `None` for anything else.
pub fn decode_ticket(buf: &[u8]) -> Option<CachedTicket> {
    let mut r = Reader { buf };
    let t = r.ticket()?;
    r.buf.is_empty().then_some(t)
}

/// Parse what [`encode`] wrote; `None` for anything else.
pub fn decode(buf: &[u8]) -> Option<LogonSession> {
    let mut r = Reader { buf };
    if r.take(MAGIC.len())? != MAGIC || r.u8()? != VERSION {
        return None;
    }
    let logon_id = Luid::from_u64(r.u64()?);
    let owner_uid = r.u32()?;
    let user = r.string()?;
    let domain = r.string()?;
    let logon_type = SecurityLogonType::from_u32(r.u32()?).ok()?;
    let logon_time = r.u64()? as i64;
    let authentication_package = r.string()?;
    let sid = Sid::from_bytes(r.bytes()?)?;
    let logon_server = r.string()?;
    let dns_domain_name = r.string()?;
    let upn = r.string()?;
    let msv1_0 = if r.flag()? {
        let user = r.string()?;
        let domain = r.string()?;
        Some(Msv1_0PrimaryCredential {
            logon_id,
            user,
            domain,
            nt_owf: match r.bytes()? {
                [] => None,
                b => Some(crate::lsa::secret::Secret::from_slice(b)?),
            },
        })
    } else {
        None
    };
    let kerberos = if r.flag()? {
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
        Some(KerberosCredential {
            principal,
            realm,
            keys,
            tgt,
            service_tickets,
        })
    } else {
        None
    };
    if !r.buf.is_empty() {
        return None;
    }
    Some(LogonSession {
        logon_id,
        owner_uid,
        user,
        domain,
        logon_type,
        logon_time,
        authentication_package,
        sid,
        logon_server,
        dns_domain_name,
        upn,
        msv1_0,
        kerberos,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(uid: u32) -> LogonSession {
        let logon_id = crate::lsa::session::allocate_luid().unwrap();
        LogonSession {
            logon_id,
            owner_uid: uid,
            user: "alice".into(),
            domain: "EXAMPLE".into(),
            logon_type: SecurityLogonType::Interactive,
            logon_time: 133_000_000_000_000_000,
            authentication_package: "NTLM".into(),
            sid: Sid::for_account("EXAMPLE", "alice"),
            logon_server: "HOST".into(),
            dns_domain_name: String::new(),
            upn: String::new(),
            msv1_0: Some(Msv1_0PrimaryCredential {
                logon_id,
                user: "alice".into(),
                domain: "EXAMPLE".into(),
                nt_owf: Some(crate::lsa::accounts::nt_owf_v1("alice-Passw0rd")),
            }),
            kerberos: None,
        }
    }

    #[test]
    fn round_trip() {
        let mut s = sample(1000);
        let t = CachedTicket {
            server_name: "krbtgt/EXAMPLE.COM".into(),
            realm_name: "EXAMPLE.COM".into(),
            start_time: 1,
            end_time: 2,
            renew_time: 3,
            encryption_type: 18,
            ticket_flags: 0x40e10000,
            encoded: Zeroizing::new(vec![1, 2, 3]),
        };
        s.kerberos = Some(KerberosCredential {
            principal: "alice@EXAMPLE.COM".into(),
            realm: "EXAMPLE.COM".into(),
            keys: vec![KerberosKey {
                etype: 23,
                kvno: 2,
                key: Zeroizing::new(vec![9; 16]),
            }],
            tgt: Some(t.clone()),
            service_tickets: vec![t],
        });
        let bytes = encode(&s);
        let d = decode(&bytes).unwrap();
        assert_eq!(d.logon_id, s.logon_id);
        assert_eq!(d.user, "alice");
        assert_eq!(d.sid, s.sid);
        assert_eq!(
            *d.msv1_0.unwrap().nt_owf.unwrap(),
            *s.msv1_0.unwrap().nt_owf.unwrap()
        );
        let k = d.kerberos.unwrap();
        assert_eq!(k.keys[0].key.as_slice(), &[9; 16]);
        assert_eq!(k.tickets().count(), 2);
    }

    #[test]
    fn truncations_and_garbage_are_rejected() {
        let bytes = encode(&sample(1));
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_none(), "prefix {n}");
        }
        let mut extra = bytes.to_vec();
        extra.push(0);
        assert!(decode(&extra).is_none());
        // flipping any byte must not panic
        for i in 0..bytes.len() {
            let mut b = bytes.to_vec();
            b[i] ^= 0xff;
            let _ = decode(&b);
        }
    }
}
