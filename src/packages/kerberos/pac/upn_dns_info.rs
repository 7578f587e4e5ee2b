//! UPN_DNS_INFO (MS-PAC §2.10): the client's user principal name and DNS
//! domain name, and, when the S flag says the structure is extended, its
//! SAM account name and SID. Offsets are from the start of the buffer.

use super::{le_u16, le_u32, utf16le, PacError};
use crate::lsa::session::Sid;

/// U: the account has no userPrincipalName; the UPN was constructed.
pub const UPN_FLAG_CONSTRUCTED: u32 = 0x1;
/// S: the structure is extended with the SAM name and SID.
pub const UPN_FLAG_EXTENDED: u32 = 0x2;

/// UpnLength/Offset, DnsDomainNameLength/Offset, Flags.
const FIXED_LEN: usize = 12;

/// A decoded UPN_DNS_INFO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpnDnsInfo {
    pub upn: String,
    pub dns_domain_name: String,
    pub flags: u32,
    /// SamName (S flag).
    pub sam_name: Option<String>,
    /// Sid (S flag).
    pub sid: Option<Sid>,
}

/// The UTF-16LE string of (length, offset) at `at` in `b`.
fn string_at(b: &[u8], at: usize) -> Result<String, PacError> {
    let bytes = slice_at(b, at)?;
    utf16le(bytes)
}

/// The bytes a (u16 length, u16 offset) pair at `at` points to in `b`.
fn slice_at(b: &[u8], at: usize) -> Result<&[u8], PacError> {
    let len = le_u16(b, at).ok_or(PacError::Malformed)? as usize;
    let offset = le_u16(b, at + 2).ok_or(PacError::Malformed)? as usize;
    b.get(offset..offset + len).ok_or(PacError::Malformed)
}

impl UpnDnsInfo {
    pub fn parse(b: &[u8]) -> Result<Self, PacError> {
        if b.len() < FIXED_LEN {
            return Err(PacError::Malformed);
        }
        let upn = string_at(b, 0)?;
        let dns_domain_name = string_at(b, 4)?;
        let flags = le_u32(b, 8).ok_or(PacError::Malformed)?;
        let (sam_name, sid) = if flags & UPN_FLAG_EXTENDED != 0 {
            let sam = string_at(b, FIXED_LEN)?;
            let sid = Sid::from_bytes(slice_at(b, FIXED_LEN + 4)?).ok_or(PacError::Malformed)?;
            (Some(sam), Some(sid))
        } else {
            (None, None)
        };
        Ok(UpnDnsInfo {
            upn,
            dns_domain_name,
            flags,
            sam_name,
            sid,
        })
    }
}
