//! NTLM messages (MS-NLMP 2.2.1): NEGOTIATE, CHALLENGE and AUTHENTICATE,
//! the AV_PAIR list (2.2.2.1) and the VERSION structure (2.2.2.10).
//!
//! Decoders never index network bytes without a bounds check: every field
//! is read with `get()` and a malformed message is `SEC_E_INVALID_TOKEN`.

use super::flags::*;
use crate::sspi::{SecResult, SecStatus};

/// `"NTLMSSP\0"`.
pub const NTLMSSP_SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
pub const NTLM_NEGOTIATE: u32 = 1;
pub const NTLM_CHALLENGE: u32 = 2;
pub const NTLM_AUTHENTICATE: u32 = 3;

/// AV_PAIR AvId values (2.2.2.1).
pub const MSV_AV_EOL: u16 = 0;
pub const MSV_AV_NB_COMPUTER_NAME: u16 = 1;
pub const MSV_AV_NB_DOMAIN_NAME: u16 = 2;
pub const MSV_AV_DNS_COMPUTER_NAME: u16 = 3;
pub const MSV_AV_DNS_DOMAIN_NAME: u16 = 4;
pub const MSV_AV_DNS_TREE_NAME: u16 = 5;
pub const MSV_AV_FLAGS: u16 = 6;
pub const MSV_AV_TIMESTAMP: u16 = 7;
pub const MSV_AV_SINGLE_HOST: u16 = 8;
pub const MSV_AV_TARGET_NAME: u16 = 9;
pub const MSV_AV_CHANNEL_BINDINGS: u16 = 10;

/// MsvAvFlags bit: the AUTHENTICATE_MESSAGE carries a MIC.
pub const MSV_AV_FLAG_MIC_PRESENT: u32 = 0x2;

/// Offset of the MIC in an AUTHENTICATE_MESSAGE (after VERSION).
pub const MIC_OFFSET: usize = 72;

/// The VERSION structure (2.2.2.10): ProductMajor, ProductMinor,
/// ProductBuild (LE), 3 reserved bytes, NTLMRevisionCurrent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(pub [u8; 8]);

impl Version {
    /// NTLMRevisionCurrent (NTLMSSP_REVISION_W2K3).
    pub const NTLM_REVISION_CURRENT: u8 = 0x0F;
    /// What we send: 10.0 build 19041, revision 15 (like Windows 10).
    pub const OURS: Version = Version([10, 0, 0x61, 0x4A, 0, 0, 0, Self::NTLM_REVISION_CURRENT]);
}

fn le16(b: &[u8], at: usize) -> SecResult<u16> {
    let s = b.get(at..at + 2).ok_or(SecStatus::InvalidToken)?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

fn le32(b: &[u8], at: usize) -> SecResult<u32> {
    let s = b.get(at..at + 4).ok_or(SecStatus::InvalidToken)?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// A payload field descriptor (Len, MaxLen, BufferOffset) at `at`.
fn field(b: &[u8], at: usize) -> SecResult<(usize, usize)> {
    let len = le16(b, at)? as usize;
    let off = le32(b, at + 4)? as usize;
    Ok((off, len))
}

/// The bytes a field descriptor points to (borrowed from `b`).
fn payload(b: &[u8], at: usize) -> SecResult<&[u8]> {
    let (off, len) = field(b, at)?;
    if len == 0 {
        return Ok(&[]);
    }
    let end = off.checked_add(len).ok_or(SecStatus::InvalidToken)?;
    b.get(off..end).ok_or(SecStatus::InvalidToken)
}

/// Check the signature and MessageType.
fn check_header(b: &[u8], kind: u32) -> SecResult<()> {
    if b.get(..8) != Some(&NTLMSSP_SIGNATURE[..]) || le32(b, 8)? != kind {
        return Err(SecStatus::InvalidToken);
    }
    Ok(())
}

/// The MessageType of a token, if it starts with the NTLMSSP signature.
pub fn message_type(b: &[u8]) -> Option<u32> {
    if b.get(..8) != Some(&NTLMSSP_SIGNATURE[..]) {
        return None;
    }
    le32(b, 8).ok()
}

/// Lowest offset of a non-empty payload field (where the header ends).
fn payload_start(b: &[u8], fields: &[usize]) -> usize {
    fields
        .iter()
        .filter_map(|&at| field(b, at).ok())
        .filter(|&(_, len)| len > 0)
        .map(|(off, _)| off)
        .min()
        .unwrap_or(b.len())
}

/// Writes payload fields after a fixed header.
struct Writer {
    out: Vec<u8>,
}

impl Writer {
    fn new(kind: u32, header_len: usize, payload_len: usize) -> Self {
        let mut out = Vec::with_capacity(header_len + payload_len);
        out.extend_from_slice(NTLMSSP_SIGNATURE);
        out.extend_from_slice(&kind.to_le_bytes());
        out.resize(header_len, 0);
        Writer { out }
    }

    fn put32(&mut self, at: usize, v: u32) {
        self.out[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Append `data` to the payload and write its descriptor at `at`.
    fn field(&mut self, at: usize, data: &[u8]) {
        let off = self.out.len() as u32;
        let len = data.len() as u16;
        self.out[at..at + 2].copy_from_slice(&len.to_le_bytes());
        self.out[at + 2..at + 4].copy_from_slice(&len.to_le_bytes());
        self.out[at + 4..at + 8].copy_from_slice(&off.to_le_bytes());
        self.out.extend_from_slice(data);
    }
}

/// A list of AV_PAIRs (2.2.2.1) in wire order, without the MsvAvEOL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvPairs(pub Vec<(u16, Vec<u8>)>);

impl AvPairs {
    /// Decode up to MsvAvEOL; a list that ends without EOL exactly at the
    /// end of `b` is accepted, a pair overrunning `b` is not.
    pub fn decode(b: &[u8]) -> SecResult<Self> {
        Ok(AvPairs(
            AvPairsRef::parse(b)?
                .iter()
                .map(|(id, v)| (id, v.to_vec()))
                .collect(),
        ))
    }

    /// Encode with the terminating MsvAvEOL.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.iter().map(|p| 4 + p.1.len()).sum::<usize>() + 4);
        for (id, v) in &self.0 {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&(v.len() as u16).to_le_bytes());
            out.extend_from_slice(v);
        }
        out.extend_from_slice(&[0, 0, 0, 0]);
        out
    }

    pub fn get(&self, id: u16) -> Option<&[u8]> {
        self.0.iter().find(|p| p.0 == id).map(|p| &p.1[..])
    }

    /// Replace the first pair `id` in place, or append it.
    pub fn set(&mut self, id: u16, value: Vec<u8>) {
        match self.0.iter_mut().find(|p| p.0 == id) {
            Some(p) => p.1 = value,
            None => self.0.push((id, value)),
        }
    }

    /// MsvAvFlags as a u32 (0 when absent or short).
    pub fn av_flags(&self) -> u32 {
        self.get(MSV_AV_FLAGS)
            .and_then(|v| v.get(..4))
            .map(|v| u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
            .unwrap_or(0)
    }
}

/// An AV_PAIR list read in place: the bytes [`AvPairs::decode`] accepts,
/// checked once, up to (without) MsvAvEOL.
#[derive(Debug, Clone, Copy, Default)]
pub struct AvPairsRef<'a>(&'a [u8]);

impl<'a> AvPairsRef<'a> {
    /// Check `b` as [`AvPairs::decode`] does (same errors).
    pub fn parse(b: &'a [u8]) -> SecResult<Self> {
        let mut at = 0usize;
        while at < b.len() {
            let id = le16(b, at)?;
            let len = le16(b, at + 2)? as usize;
            if id == MSV_AV_EOL {
                break;
            }
            b.get(at + 4..at + 4 + len).ok_or(SecStatus::InvalidToken)?;
            at += 4 + len;
        }
        Ok(AvPairsRef(&b[..at]))
    }

    /// The pairs in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &'a [u8])> {
        let b = self.0;
        let mut at = 0usize;
        std::iter::from_fn(move || {
            let id = le16(b, at).ok()?;
            let len = le16(b, at + 2).ok()? as usize;
            let v = b.get(at + 4..at + 4 + len)?;
            at += 4 + len;
            Some((id, v))
        })
    }

    /// The first pair `id`.
    pub fn get(&self, id: u16) -> Option<&'a [u8]> {
        self.iter().find(|p| p.0 == id).map(|p| p.1)
    }

    /// MsvAvFlags as a u32 (0 when absent or short).
    pub fn av_flags(&self) -> u32 {
        self.get(MSV_AV_FLAGS)
            .and_then(|v| v.get(..4))
            .map(|v| u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
            .unwrap_or(0)
    }

    /// Append the list to `out` as [`AvPairs::set`] for each of `sets` (in
    /// order, distinct ids) and then [`AvPairs::encode`] would write it:
    /// the first pair of each id in `sets` takes the new value in place,
    /// the others are appended, then MsvAvEOL.
    pub fn encode_with(&self, sets: &[(u16, &[u8])], out: &mut Vec<u8>) {
        fn put(out: &mut Vec<u8>, id: u16, v: &[u8]) {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&(v.len() as u16).to_le_bytes());
            out.extend_from_slice(v);
        }
        debug_assert!(sets.len() <= 8);
        let mut done = [false; 8];
        for (id, v) in self.iter() {
            match sets.iter().position(|s| s.0 == id) {
                Some(i) if !done[i] => {
                    done[i] = true;
                    put(out, id, sets[i].1);
                }
                _ => put(out, id, v),
            }
        }
        for (i, (id, v)) in sets.iter().enumerate() {
            if !done[i] {
                put(out, *id, v);
            }
        }
        out.extend_from_slice(&[0, 0, 0, 0]);
    }

    /// Bytes [`AvPairsRef::encode_with`] writes at most.
    pub fn encoded_len_with(&self, sets: &[(u16, &[u8])]) -> usize {
        self.0.len() + sets.iter().map(|s| 4 + s.1.len()).sum::<usize>() + 4
    }
}

/// NEGOTIATE_MESSAGE (2.2.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateMessage {
    pub flags: u32,
    pub domain: Vec<u8>,
    pub workstation: Vec<u8>,
    pub version: Option<Version>,
}

impl NegotiateMessage {
    pub fn encode(&self) -> Vec<u8> {
        let header = if self.version.is_some() { 40 } else { 32 };
        let mut w = Writer::new(
            NTLM_NEGOTIATE,
            header,
            self.domain.len() + self.workstation.len(),
        );
        w.put32(12, self.flags);
        w.field(16, &self.domain);
        w.field(24, &self.workstation);
        if let Some(v) = self.version {
            w.out[32..40].copy_from_slice(&v.0);
        }
        w.out
    }

    /// Decode; a 16-byte message without the domain/workstation fields
    /// (old clients) is accepted.
    pub fn decode(b: &[u8]) -> SecResult<Self> {
        check_header(b, NTLM_NEGOTIATE)?;
        let flags = le32(b, 12)?;
        let (mut domain, mut workstation, mut version) = (Vec::new(), Vec::new(), None);
        if b.len() >= 32 {
            domain = payload(b, 16)?.to_vec();
            workstation = payload(b, 24)?.to_vec();
            if flags & NTLMSSP_NEGOTIATE_VERSION != 0 && payload_start(b, &[16, 24]) >= 40 {
                version = b
                    .get(32..40)
                    .map(|v| Version(v.try_into().unwrap_or_default()));
            }
        }
        Ok(NegotiateMessage {
            flags,
            domain,
            workstation,
            version,
        })
    }
}

/// CHALLENGE_MESSAGE (2.2.1.2). `target_info` is kept as raw bytes (the
/// client copies it into its NTLMv2 response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeMessage {
    pub flags: u32,
    pub target_name: Vec<u8>,
    pub server_challenge: [u8; 8],
    pub target_info: Vec<u8>,
    pub version: Option<Version>,
}

impl ChallengeMessage {
    pub fn encode(&self) -> Vec<u8> {
        self.borrowed().encode()
    }

    pub fn decode(b: &[u8]) -> SecResult<Self> {
        let m = ChallengeRef::decode(b)?;
        Ok(ChallengeMessage {
            flags: m.flags,
            target_name: m.target_name.to_vec(),
            server_challenge: m.server_challenge,
            target_info: m.target_info.to_vec(),
            version: m.version,
        })
    }

    /// The same message with borrowed fields.
    pub fn borrowed(&self) -> ChallengeRef<'_> {
        ChallengeRef {
            flags: self.flags,
            target_name: &self.target_name,
            server_challenge: self.server_challenge,
            target_info: &self.target_info,
            version: self.version,
        }
    }
}

/// [`ChallengeMessage`] with its payload fields borrowed (from the token
/// being decoded, or from wherever the encoder's inputs live).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengeRef<'a> {
    pub flags: u32,
    pub target_name: &'a [u8],
    pub server_challenge: [u8; 8],
    pub target_info: &'a [u8],
    pub version: Option<Version>,
}

impl<'a> ChallengeRef<'a> {
    /// The header is 56 bytes with a VERSION, 48 without one (the payload
    /// then starts where VERSION would be, as older peers send it).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(
            NTLM_CHALLENGE,
            if self.version.is_some() { 56 } else { 48 },
            self.target_name.len() + self.target_info.len(),
        );
        w.field(12, self.target_name);
        w.put32(20, self.flags);
        w.out[24..32].copy_from_slice(&self.server_challenge);
        if !self.target_info.is_empty() {
            w.field(40, self.target_info);
        }
        if let Some(v) = self.version {
            w.out[48..56].copy_from_slice(&v.0);
        }
        w.out
    }

    pub fn decode(b: &'a [u8]) -> SecResult<Self> {
        check_header(b, NTLM_CHALLENGE)?;
        let target_name = payload(b, 12)?;
        let flags = le32(b, 20)?;
        let server_challenge: [u8; 8] = b
            .get(24..32)
            .ok_or(SecStatus::InvalidToken)?
            .try_into()
            .map_err(|_| SecStatus::InvalidToken)?;
        let (mut target_info, mut version) = (&[][..], None);
        if b.len() >= 48 {
            target_info = payload(b, 40)?;
        }
        if flags & NTLMSSP_NEGOTIATE_VERSION != 0
            && b.len() >= 56
            && payload_start(b, &[12, 40]) >= 56
        {
            version = b
                .get(48..56)
                .map(|v| Version(v.try_into().unwrap_or_default()));
        }
        Ok(ChallengeRef {
            flags,
            target_name,
            server_challenge,
            target_info,
            version,
        })
    }
}

/// AUTHENTICATE_MESSAGE (2.2.1.3). Payload order as Windows writes it:
/// DomainName, UserName, Workstation, LmChallengeResponse,
/// NtChallengeResponse, EncryptedRandomSessionKey (4.2.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthenticateMessage {
    pub flags: u32,
    pub lm_response: Vec<u8>,
    pub nt_response: Vec<u8>,
    pub domain: Vec<u8>,
    pub user: Vec<u8>,
    pub workstation: Vec<u8>,
    pub encrypted_random_session_key: Vec<u8>,
    pub version: Option<Version>,
    /// The MIC field; `Some` reserves it (zeroed until the MIC is known).
    pub mic: Option<[u8; 16]>,
}

impl AuthenticateMessage {
    /// Encode; with `mic` the 16 bytes at [`MIC_OFFSET`] are reserved.
    pub fn encode(&self) -> Vec<u8> {
        self.borrowed().encode()
    }

    pub fn decode(b: &[u8]) -> SecResult<Self> {
        let m = AuthenticateRef::decode(b)?;
        Ok(AuthenticateMessage {
            flags: m.flags,
            lm_response: m.lm_response.to_vec(),
            nt_response: m.nt_response.to_vec(),
            domain: m.domain.to_vec(),
            user: m.user.to_vec(),
            workstation: m.workstation.to_vec(),
            encrypted_random_session_key: m.encrypted_random_session_key.to_vec(),
            version: m.version,
            mic: m.mic,
        })
    }

    /// The same message with borrowed fields.
    pub fn borrowed(&self) -> AuthenticateRef<'_> {
        AuthenticateRef {
            flags: self.flags,
            lm_response: &self.lm_response,
            nt_response: &self.nt_response,
            domain: &self.domain,
            user: &self.user,
            workstation: &self.workstation,
            encrypted_random_session_key: &self.encrypted_random_session_key,
            version: self.version,
            mic: self.mic,
        }
    }
}

/// [`AuthenticateMessage`] with its payload fields borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthenticateRef<'a> {
    pub flags: u32,
    pub lm_response: &'a [u8],
    pub nt_response: &'a [u8],
    pub domain: &'a [u8],
    pub user: &'a [u8],
    pub workstation: &'a [u8],
    pub encrypted_random_session_key: &'a [u8],
    pub version: Option<Version>,
    /// The MIC field; `Some` reserves it (zeroed until the MIC is known).
    pub mic: Option<[u8; 16]>,
}

impl<'a> AuthenticateRef<'a> {
    /// Encode; with `mic` the 16 bytes at [`MIC_OFFSET`] are reserved.
    pub fn encode(&self) -> Vec<u8> {
        let header = match (self.version.is_some(), self.mic.is_some()) {
            (_, true) => MIC_OFFSET + 16,
            (true, false) => MIC_OFFSET,
            (false, false) => 64,
        };
        let total = self.lm_response.len()
            + self.nt_response.len()
            + self.domain.len()
            + self.user.len()
            + self.workstation.len()
            + self.encrypted_random_session_key.len();
        let mut w = Writer::new(NTLM_AUTHENTICATE, header, total);
        w.field(28, self.domain);
        w.field(36, self.user);
        w.field(44, self.workstation);
        w.field(12, self.lm_response);
        w.field(20, self.nt_response);
        w.field(52, self.encrypted_random_session_key);
        w.put32(60, self.flags);
        if let Some(v) = self.version {
            w.out[64..72].copy_from_slice(&v.0);
        }
        if let Some(m) = self.mic {
            w.out[MIC_OFFSET..MIC_OFFSET + 16].copy_from_slice(&m);
        }
        w.out
    }

    pub fn decode(b: &'a [u8]) -> SecResult<Self> {
        check_header(b, NTLM_AUTHENTICATE)?;
        if b.len() < 64 {
            return Err(SecStatus::InvalidToken);
        }
        let flags = le32(b, 60)?;
        let start = payload_start(b, &[12, 20, 28, 36, 44, 52]);
        if start < 64 {
            return Err(SecStatus::InvalidToken);
        }
        let version = if flags & NTLMSSP_NEGOTIATE_VERSION != 0 && start >= MIC_OFFSET {
            b.get(64..72)
                .map(|v| Version(v.try_into().unwrap_or_default()))
        } else {
            None
        };
        let mic = if start >= MIC_OFFSET + 16 {
            b.get(MIC_OFFSET..MIC_OFFSET + 16)
                .and_then(|m| m.try_into().ok())
        } else {
            None
        };
        Ok(AuthenticateRef {
            flags,
            lm_response: payload(b, 12)?,
            nt_response: payload(b, 20)?,
            domain: payload(b, 28)?,
            user: payload(b, 36)?,
            workstation: payload(b, 44)?,
            encrypted_random_session_key: payload(b, 52)?,
            version,
            mic,
        })
    }
}

/// Encode a string as the negotiated character set: UTF-16LE with
/// NTLMSSP_NEGOTIATE_UNICODE, else the OEM bytes (ASCII/UTF-8 as given).
pub fn encode_string(s: &str, unicode: bool) -> Vec<u8> {
    if unicode {
        utf16le(s)
    } else {
        s.as_bytes().to_vec()
    }
}

/// Decode a string field in the negotiated character set.
pub fn decode_string(b: &[u8], unicode: bool) -> SecResult<String> {
    if unicode {
        if !b.len().is_multiple_of(2) {
            return Err(SecStatus::InvalidToken);
        }
        let units = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
        let mut out = String::with_capacity(b.len() / 2);
        for c in char::decode_utf16(units) {
            out.push(c.map_err(|_| SecStatus::InvalidToken)?);
        }
        Ok(out)
    } else {
        Ok(String::from_utf8_lossy(b).into_owned())
    }
}

/// UTF-16LE bytes of `s`.
pub fn utf16le(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 * s.len());
    push_utf16le(&mut out, s);
    out
}

/// Append the UTF-16LE bytes of `s` to `out`.
pub fn push_utf16le(out: &mut Vec<u8>, s: &str) {
    for u in s.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_panics() {
        let base = AuthenticateMessage {
            flags: 0xE288_8235,
            nt_response: vec![7; 60],
            user: utf16le("u"),
            version: Some(Version::OURS),
            mic: Some([0; 16]),
            ..Default::default()
        }
        .encode();
        for cut in 0..base.len() {
            let _ = AuthenticateMessage::decode(&base[..cut]);
            let _ = ChallengeMessage::decode(&base[..cut]);
            let _ = NegotiateMessage::decode(&base[..cut]);
            let _ = AvPairs::decode(&base[..cut]);
        }
        let mut evil = base.clone();
        for i in 12..64 {
            evil[i] = 0xFF;
            let _ = AuthenticateMessage::decode(&evil);
            evil[i] = base[i];
        }
        let back = AuthenticateMessage::decode(&base).unwrap();
        assert_eq!(back.mic, Some([0; 16]));
        assert_eq!(back.nt_response.len(), 60);
        assert_eq!(back.version, Some(Version::OURS));
    }

    #[test]
    fn av_pairs_ref_matches_av_pairs() {
        let pair = |id: u16, v: &[u8]| {
            let mut b = id.to_le_bytes().to_vec();
            b.extend_from_slice(&(v.len() as u16).to_le_bytes());
            b.extend_from_slice(v);
            b
        };
        let bases: Vec<Vec<u8>> = vec![
            vec![],
            [pair(2, b"D\0"), pair(7, &[9; 8]), vec![0, 0, 0, 0]].concat(),
            // duplicates, a short MsvAvFlags, no EOL
            [
                pair(6, &[3]),
                pair(10, &[1; 16]),
                pair(6, &[4, 0, 0, 0]),
                pair(9, b"x"),
            ]
            .concat(),
            // pairs after EOL are not part of the list
            [pair(6, &[1, 0, 0, 0]), vec![0, 0, 0, 0], pair(9, b"after")].concat(),
            [pair(1, b"a"), pair(6, &[1, 0, 0, 0, 5])].concat(),
        ];
        let sets_list: [&[(u16, &[u8])]; 4] = [
            &[],
            &[(6, &[2, 0, 0, 0])],
            &[(6, &[2, 0, 0, 0]), (10, &[0; 16]), (9, b"t\0a\0")],
            &[(10, &[7; 16]), (1, b"")],
        ];
        for b in &bases {
            let owned = AvPairs::decode(b).unwrap();
            let view = AvPairsRef::parse(b).unwrap();
            assert_eq!(view.av_flags(), owned.av_flags());
            for id in 0..12 {
                assert_eq!(view.get(id), owned.get(id));
            }
            for sets in sets_list {
                let mut o = owned.clone();
                for (id, v) in sets {
                    o.set(*id, v.to_vec());
                }
                let mut out = vec![0xEE];
                view.encode_with(sets, &mut out);
                assert_eq!(out[1..], o.encode()[..]);
                assert!(out.len() - 1 <= view.encoded_len_with(sets));
            }
        }
        for bad in [&[1u8, 0, 9, 0, 1][..], &[1, 0, 1], &[0]] {
            assert!(AvPairs::decode(bad).is_err());
            assert!(AvPairsRef::parse(bad).is_err());
        }
    }

    #[test]
    fn av_pairs_roundtrip() {
        let mut p = AvPairs::default();
        p.set(MSV_AV_NB_DOMAIN_NAME, utf16le("Domain"));
        p.set(MSV_AV_NB_COMPUTER_NAME, utf16le("Server"));
        let enc = p.encode();
        assert_eq!(
            hex::encode(&enc),
            "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000"
        );
        assert_eq!(AvPairs::decode(&enc).unwrap(), p);
        p.set(MSV_AV_FLAGS, 2u32.to_le_bytes().to_vec());
        assert_eq!(p.av_flags(), 2);
        assert!(AvPairs::decode(&[1, 0, 9, 0, 1]).is_err());
    }
}
