//! The byte form of a [`LogonSession`] for stores that keep sessions
//! outside the process (the kernel keyring). A small private format:
//! magic `OSSPILS`, a version byte, then the fields in a fixed order
//! (integers little-endian, strings and byte strings as u32 length +
//! bytes, optional parts behind a 0/1 tag), then each package's credential
//! as its package id and the bytes the package encoded
//! ([`crate::lsa::packages::PackageCredential::encode`], decoded by the
//! package of the standard registry with that id). Version 1 (fixed
//! MSV1_0 and Kerberos parts) is no longer read: such a session is
//! reported corrupt. The encoding holds secrets and is returned in a
//! zeroizing buffer; decoding never panics.

use zeroize::Zeroizing;

use crate::lsa::packages::PackageRegistry;
use crate::lsa::session::{CachedTicket, LogonSession, SecurityLogonType, SessionCredentials, Sid};
use crate::lsa::Luid;

const MAGIC: &[u8; 7] = b"OSSPILS";
const VERSION: u8 = 2;
/// Most package credentials one session carries.
const MAX_CREDENTIALS: u32 = 64;

/// Writes the codec's fields into a zeroizing buffer (also what the
/// packages encode their credentials with).
pub struct Writer(Zeroizing<Vec<u8>>);

impl Writer {
    pub fn with_capacity(n: usize) -> Writer {
        Writer(Zeroizing::new(Vec::with_capacity(n)))
    }
    pub fn finish(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    pub fn ticket(&mut self, t: &CachedTicket) {
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
    w.u32(s.credentials.package_ids().count() as u32);
    for (id, c) in s.credentials.iter() {
        w.u32(id);
        w.bytes(&c.encode());
    }
    w.0
}

/// Reads what a [`Writer`] wrote; every read is `None` past the end.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }
    /// Everything was read.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.buf.len() {
            return None;
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Some(a)
    }
    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    pub fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn secret(&mut self) -> Option<Zeroizing<Vec<u8>>> {
        Some(Zeroizing::new(self.bytes()?.to_vec()))
    }
    pub fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }
    pub fn flag(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    pub fn ticket(&mut self) -> Option<CachedTicket> {
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
    let mut credentials = SessionCredentials::default();
    let n = r.u32()?;
    if n > MAX_CREDENTIALS {
        return None;
    }
    for _ in 0..n {
        let id = r.u32()?;
        let bytes = r.bytes()?;
        if credentials.package_ids().any(|i| i == id) {
            return None;
        }
        let package = PackageRegistry::standard().get(id).ok()?;
        credentials.set(id, Some(package.decode_credential(bytes)?));
    }
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
        credentials,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lsa::packages::{PackageCredential, KERBEROS_ID, MSV1_0_ID};
    use crate::lsa::session::{KerberosCredential, KerberosKey};
    use crate::lsa::Msv1_0PrimaryCredential;

    pub(crate) fn sample(uid: u32) -> LogonSession {
        let logon_id = crate::lsa::session::allocate_luid().unwrap();
        let mut s = LogonSession {
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
            credentials: Default::default(),
        };
        s.credentials.insert(
            MSV1_0_ID,
            Msv1_0PrimaryCredential {
                logon_id,
                user: "alice".into(),
                domain: "EXAMPLE".into(),
                nt_owf: Some(crate::lsa::accounts::nt_owf_v1("alice-Passw0rd")),
            },
        );
        s
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
        s.credentials.insert(
            KERBEROS_ID,
            KerberosCredential {
                renewable_with_keys: false,
                principal: "alice@EXAMPLE.COM".into(),
                realm: "EXAMPLE.COM".into(),
                keys: vec![KerberosKey {
                    etype: 23,
                    kvno: 2,
                    key: Zeroizing::new(vec![9; 16]),
                }],
                tgt: Some(t.clone()),
                service_tickets: vec![t],
            },
        );
        let bytes = encode(&s);
        let d = decode(&bytes).unwrap();
        assert_eq!(d.logon_id, s.logon_id);
        assert_eq!(d.user, "alice");
        assert_eq!(d.sid, s.sid);
        assert_eq!(
            **Msv1_0PrimaryCredential::of(&d)
                .unwrap()
                .nt_owf
                .as_ref()
                .unwrap(),
            **Msv1_0PrimaryCredential::of(&s)
                .unwrap()
                .nt_owf
                .as_ref()
                .unwrap()
        );
        let k = KerberosCredential::of(&d).unwrap();
        assert_eq!(k.keys[0].key.as_slice(), &[9; 16]);
        assert_eq!(k.tickets().count(), 2);
    }

    /// Version 1 (fixed MSV1_0 and Kerberos parts), an unknown package
    /// id and a package listed twice are a clean `None` (the stores
    /// report `StoreError::Corrupt`).
    #[test]
    fn old_versions_and_unknown_packages_are_rejected() {
        let s = sample(1);
        let bytes = encode(&s);
        let mut v1 = bytes.to_vec();
        v1[MAGIC.len()] = 1;
        assert!(decode(&v1).is_none());
        // The credentials part: count, then (id, bytes) each.
        let msv = Msv1_0PrimaryCredential::of(&s).unwrap().encode();
        let tail = 4 + 4 + 4 + msv.len();
        let head = &bytes[..bytes.len() - tail];
        let with = |parts: &[(u32, &[u8])]| {
            let mut b = head.to_vec();
            b.extend_from_slice(&(parts.len() as u32).to_le_bytes());
            for (id, c) in parts {
                b.extend_from_slice(&id.to_le_bytes());
                b.extend_from_slice(&(c.len() as u32).to_le_bytes());
                b.extend_from_slice(c);
            }
            b
        };
        assert!(decode(&with(&[(MSV1_0_ID, &msv)])).is_some());
        assert!(decode(&with(&[])).unwrap().credentials.is_empty());
        assert!(decode(&with(&[(7, &msv)])).is_none());
        assert!(decode(&with(&[(KERBEROS_ID, &msv)])).is_none());
        assert!(decode(&with(&[(MSV1_0_ID, &msv), (MSV1_0_ID, &msv)])).is_none());
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
