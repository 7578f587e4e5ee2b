//! NTLM messages (MS-NLMP 2.2.1): NEGOTIATE, CHALLENGE and AUTHENTICATE,
//! the AV_PAIR list (2.2.2.1) and the VERSION structure (2.2.2.10).
//!
//! Decoders never index network bytes without a bounds check: every field
//! is read with `get()` and a malformed message is `SEC_E_INVALID_TOKEN`.

use super::flags::*;
use crate::sspi::{SecResult, SecStatus};

mod authenticate;
mod av_pairs;
mod challenge;
mod negotiate;
#[cfg(test)]
mod tests;

pub use authenticate::*;
pub use av_pairs::*;
pub use challenge::*;
pub use negotiate::*;
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
