//! Logon sessions: what the LSA keeps for one logon (Windows: the logon
//! session named by a LUID, with each authentication package's
//! supplemental credentials attached).
//!
//! See "LSA Logon Sessions" and `SECURITY_LOGON_SESSION_DATA`
//! (learn.microsoft.com/windows/win32/api/ntsecapi/ns-ntsecapi-security_logon_session_data).

use std::collections::BTreeMap;

use md5::{Digest, Md5};

use super::packages::PackageCredential;
use super::status::{NtResult, NtStatus};
use super::Luid;

pub use super::packages::kerberos::credential::{CachedTicket, KerberosCredential, KerberosKey};

/// The well-known LUIDs Windows reserves (winnt.h): `SYSTEM_LUID`,
/// `NETWORKSERVICE_LUID`, `LOCALSERVICE_LUID`, `ANONYMOUS_LOGON_LUID`.
pub const RESERVED_LUIDS: [u32; 4] = [0x3e7, 0x3e4, 0x3e5, 0x3e6];

/// `SECURITY_LOGON_TYPE` (ntsecapi.h, CONSTANTS.md §13.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum SecurityLogonType {
    UndefinedLogonType = 0,
    Interactive = 2,
    Network = 3,
    Batch = 4,
    Service = 5,
    Proxy = 6,
    Unlock = 7,
    NetworkCleartext = 8,
    NewCredentials = 9,
    RemoteInteractive = 10,
    CachedInteractive = 11,
    CachedRemoteInteractive = 12,
    CachedUnlock = 13,
}

impl SecurityLogonType {
    /// The enum member for a raw value; unknown values are
    /// `STATUS_INVALID_LOGON_TYPE` (what `LsaLogonUser` returns).
    pub fn from_u32(v: u32) -> NtResult<Self> {
        use SecurityLogonType::*;
        Ok(match v {
            0 => UndefinedLogonType,
            2 => Interactive,
            3 => Network,
            4 => Batch,
            5 => Service,
            6 => Proxy,
            7 => Unlock,
            8 => NetworkCleartext,
            9 => NewCredentials,
            10 => RemoteInteractive,
            11 => CachedInteractive,
            12 => CachedRemoteInteractive,
            13 => CachedUnlock,
            _ => return Err(NtStatus::INVALID_LOGON_TYPE),
        })
    }
}

/// A security identifier ([MS-DTYP] 2.4.2).
#[derive(Clone, PartialEq, Eq)]
pub struct Sid {
    /// `IdentifierAuthority` as a 48-bit number (5 = `SECURITY_NT_AUTHORITY`).
    pub authority: u64,
    pub sub_authorities: Vec<u32>,
}

impl Sid {
    /// A stable account SID `S-1-5-21-a-b-c-RID`: the domain part
    /// (`a-b-c`) is derived from the upper-cased domain name, the RID from
    /// the upper-cased `DOMAIN\user`, so every logon of the same account
    /// yields the same SID and accounts of one domain share its prefix.
    /// MD5 is used as an identifier derivation only, not for security.
    /// RIDs start at 1000 as local accounts do.
    pub fn for_account(domain: &str, user: &str) -> Sid {
        let d = Md5::digest(domain.to_uppercase().as_bytes());
        let u = Md5::digest(format!("{}\\{}", domain, user).to_uppercase().as_bytes());
        let word = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let rid = 1000 + word(&u, 0) % 0x3FFF_0000;
        Sid {
            authority: 5,
            sub_authorities: vec![21, word(&d, 0), word(&d, 4), word(&d, 8), rid],
        }
    }

    /// The binary form ([MS-DTYP] 2.4.2.2): Revision 1, SubAuthorityCount,
    /// 6-byte big-endian authority, then little-endian sub-authorities.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![1u8, self.sub_authorities.len() as u8];
        out.extend_from_slice(&self.authority.to_be_bytes()[2..]);
        for s in &self.sub_authorities {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    /// Parse the binary form; `None` when malformed.
    pub fn from_bytes(b: &[u8]) -> Option<Sid> {
        if b.len() < 8 || b[0] != 1 {
            return None;
        }
        let n = b[1] as usize;
        if n > 15 || b.len() != 8 + 4 * n {
            return None;
        }
        let mut auth = [0u8; 8];
        auth[2..].copy_from_slice(&b[2..8]);
        let subs = b[8..]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Some(Sid {
            authority: u64::from_be_bytes(auth),
            sub_authorities: subs,
        })
    }
}

impl std::fmt::Display for Sid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S-1-{}", self.authority)?;
        for s in &self.sub_authorities {
            write!(f, "-{s}")?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Sid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

/// A logon session. Secrets (the packages' credentials) zeroize on drop
/// and are left out of `Debug`.
#[derive(Clone, Debug)]
pub struct LogonSession {
    pub logon_id: Luid,
    /// The Linux uid of the process that created the session: only
    /// processes of that uid may use it (the stand-in for Windows' rule
    /// that a caller without SeTcbPrivilege uses only its own sessions).
    pub owner_uid: u32,
    pub user: String,
    pub domain: String,
    pub logon_type: SecurityLogonType,
    /// FILETIME (100 ns since 1601).
    pub logon_time: i64,
    /// The package that authenticated the logon, as Windows reports it in
    /// `SECURITY_LOGON_SESSION_DATA.AuthenticationPackage` ("NTLM", "Kerberos").
    pub authentication_package: String,
    pub sid: Sid,
    pub logon_server: String,
    pub dns_domain_name: String,
    pub upn: String,
    /// What each authentication package keeps for the session, by
    /// package id (MSV1_0: the NT OWF; Kerberos: keys and tickets).
    pub credentials: SessionCredentials,
}

/// The packages' credentials of a logon session, by package id: opaque
/// to the session ([`PackageCredential`]); a package reads its own with
/// [`SessionCredentials::get`].
#[derive(Clone, Debug, Default)]
pub struct SessionCredentials(BTreeMap<u32, Box<dyn PackageCredential>>);

impl SessionCredentials {
    /// Package `id`'s credential, if it keeps one of type `T`.
    pub fn get<T: PackageCredential>(&self, id: u32) -> Option<&T> {
        self.0.get(&id)?.as_any().downcast_ref()
    }

    pub fn get_mut<T: PackageCredential>(&mut self, id: u32) -> Option<&mut T> {
        self.0.get_mut(&id)?.as_any_mut().downcast_mut()
    }

    /// Set package `id`'s credential.
    pub fn insert(&mut self, id: u32, credential: impl PackageCredential) {
        self.0.insert(id, Box::new(credential));
    }

    /// Set (or with `None` remove) package `id`'s credential.
    pub fn set(&mut self, id: u32, credential: Option<Box<dyn PackageCredential>>) {
        match credential {
            Some(c) => self.0.insert(id, c),
            None => self.0.remove(&id),
        };
    }

    pub fn remove(&mut self, id: u32) -> Option<Box<dyn PackageCredential>> {
        self.0.remove(&id)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ids of the packages holding a credential, ascending.
    pub fn package_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.keys().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &dyn PackageCredential)> {
        self.0.iter().map(|(id, c)| (*id, &**c))
    }

    /// The copy a client of the LSA service receives: each package's
    /// [`PackageCredential::client_copy`] (MSV1_0: without the NT OWF).
    pub fn client_copy(&self) -> SessionCredentials {
        SessionCredentials(
            self.0
                .iter()
                .map(|(id, c)| (*id, c.client_copy()))
                .collect(),
        )
    }

    /// A client's copy put back to the service: each credential that is a
    /// [`PackageCredential::is_client_copy`] is replaced by the service's
    /// (`kept`'s, none when `kept` has none), and so is every credential,
    /// of `kept` or sent, whose client copy withholds something (MSV1_0:
    /// the NT OWF; Kerberos: the long-term keys and the TGT), whatever the
    /// client sent in its place (a credential of its own added to a session
    /// that had none is dropped): a client can neither plant nor drop what
    /// it may not see
    /// ([`PackageCredential::restore_withheld`]: Kerberos keeps the
    /// client's tickets with the service's keys).
    pub fn restore_from(&mut self, mut kept: SessionCredentials) {
        let mut ids: Vec<u32> = self
            .0
            .iter()
            .filter(|(_, c)| c.is_client_copy() || c.client_copy().is_client_copy())
            .map(|(id, _)| *id)
            .collect();
        ids.extend(
            kept.0
                .iter()
                .filter(|(_, c)| c.client_copy().is_client_copy())
                .map(|(id, _)| *id),
        );
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let sent = self.remove(id);
            let restored = kept.remove(id).map(|k| k.restore_withheld(sent.as_deref()));
            self.set(id, restored);
        }
    }
}

/// A fresh LUID, unique across processes without coordination: 63 random
/// bits, with the high part forced non-zero so the value is never `0:0` nor
/// one of the reserved system LUIDs (which all have `HighPart == 0`).
/// Whether a caller of Linux user `caller_uid` may use a logon session of
/// `owner_uid`: its owner, or root (Windows: SeTcbPrivilege).
pub fn may_use(owner_uid: u32, caller_uid: u32) -> bool {
    owner_uid == caller_uid || caller_uid == 0
}

pub fn allocate_luid() -> NtResult<Luid> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|_| NtStatus::INSUFFICIENT_RESOURCES)?;
    let low = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let mut high = (u32::from_le_bytes([b[4], b[5], b[6], b[7]]) & 0x7FFF_FFFF) as i32;
    if high == 0 {
        high = 1;
    }
    Ok(Luid {
        low_part: low,
        high_part: high,
    })
}

impl Luid {
    /// `HighPart:LowPart` in hex, the form `klist sessions` prints
    /// (`0x1:0x2d1a3`) without the prefixes: `1:2d1a3`.
    pub fn to_hex(self) -> String {
        format!("{:x}:{:x}", self.high_part as u32, self.low_part)
    }

    /// Parse `to_hex`'s form, with or without `0x` prefixes, or one
    /// 64-bit number (`0x…` hex or decimal).
    pub fn parse(s: &str) -> Option<Luid> {
        let num = |t: &str| -> Option<u64> {
            let t = t.trim();
            match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => None,
            }
        };
        let hex = |t: &str| -> Option<u32> {
            let t = t.trim();
            let t = t
                .strip_prefix("0x")
                .or_else(|| t.strip_prefix("0X"))
                .unwrap_or(t);
            u32::from_str_radix(t, 16).ok()
        };
        if let Some((h, l)) = s.split_once(':') {
            return Some(Luid {
                high_part: hex(h)? as i32,
                low_part: hex(l)?,
            });
        }
        let v = num(s).or_else(|| s.trim().parse::<u64>().ok())?;
        Some(Luid::from_u64(v))
    }

    /// The LUID as one 64-bit number (`HighPart << 32 | LowPart`).
    pub fn as_u64(self) -> u64 {
        (u64::from(self.high_part as u32) << 32) | u64::from(self.low_part)
    }

    pub fn from_u64(v: u64) -> Luid {
        Luid {
            low_part: v as u32,
            high_part: (v >> 32) as u32 as i32,
        }
    }
}

impl std::fmt::Display for Luid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "0x{:x}:0x{:x}", self.high_part as u32, self.low_part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sid_is_stable_and_well_formed() {
        let a = Sid::for_account("EXAMPLE", "alice");
        let b = Sid::for_account("example", "ALICE");
        assert_eq!(a, b);
        let c = Sid::for_account("EXAMPLE", "bob");
        assert_ne!(a, c);
        assert_eq!(a.sub_authorities[..4], c.sub_authorities[..4]);
        assert!(a.to_string().starts_with("S-1-5-21-"));
        assert_eq!(a.to_string().split('-').count(), 8);
        assert!(a.sub_authorities[4] >= 1000);
        let bytes = a.to_bytes();
        assert_eq!(bytes.len(), 28);
        assert_eq!(&bytes[..8], &[1, 5, 0, 0, 0, 0, 0, 5]);
        assert_eq!(Sid::from_bytes(&bytes), Some(a));
        assert_eq!(Sid::from_bytes(&bytes[..27]), None);
        assert_eq!(Sid::from_bytes(&[]), None);
    }

    #[test]
    fn luids_are_never_reserved() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let l = allocate_luid().unwrap();
            assert!(l.high_part > 0);
            assert!(seen.insert(l));
        }
    }

    #[test]
    fn luid_text_round_trip() {
        let l = Luid {
            low_part: 0xdeadbeef,
            high_part: 0x1234,
        };
        assert_eq!(Luid::parse(&l.to_hex()), Some(l));
        assert_eq!(Luid::parse(&l.to_string()), Some(l));
        assert_eq!(Luid::parse("0x1234deadbeef"), Some(l));
        assert_eq!(Luid::parse(&l.as_u64().to_string()), Some(l));
        assert_eq!(Luid::parse("zz"), None);
        assert_eq!(Luid::parse(""), None);
    }

    #[test]
    fn logon_types() {
        assert_eq!(
            SecurityLogonType::from_u32(2),
            Ok(SecurityLogonType::Interactive)
        );
        assert_eq!(
            SecurityLogonType::from_u32(1),
            Err(NtStatus::INVALID_LOGON_TYPE)
        );
        assert_eq!(
            SecurityLogonType::from_u32(14),
            Err(NtStatus::INVALID_LOGON_TYPE)
        );
    }
}
