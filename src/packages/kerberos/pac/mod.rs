//! The PAC (MS-PAC), the authorization data a Windows, Samba or MIT ≥ 1.20
//! KDC puts in every service ticket, and its checks by the acceptor
//! (MS-KILE §3.4.5.3): found in the decrypted ticket's authorization-data
//! ([`authz_data`]), its PACTYPE decoded here (MS-PAC §2.3, §2.4), its
//! server signature verified with the service key ([`signature`], MS-PAC
//! §2.8), its client info matched against the ticket ([`client_info`],
//! MS-PAC §2.7), and the facts a logon session needs kept
//! ([`upn_dns_info`], MS-PAC §2.10; LOGON_INFO, raw and decoded by
//! [`logon_info`], §2.5).
//!
//! Every length and offset comes from the peer's ticket (a KDC, or anyone
//! with the service key): decoding is bounds-checked and never panics.

pub mod authz_data;
pub mod build;
pub mod client_info;
pub mod logon_info;
pub mod ndr;
pub mod signature;
pub mod upn_dns_info;
mod verify;

#[cfg(test)]
mod tests;

pub use verify::{verify_pac, VerifiedPac};

/// PAC_INFO_BUFFER ulType values (MS-PAC §2.4).
pub const PAC_LOGON_INFO: u32 = 1;
pub const PAC_CREDENTIALS_INFO: u32 = 2;
pub const PAC_SERVER_CHECKSUM: u32 = 6;
pub const PAC_PRIVSVR_CHECKSUM: u32 = 7;
pub const PAC_CLIENT_INFO: u32 = 10;
pub const PAC_DELEGATION_INFO: u32 = 11;
pub const PAC_UPN_DNS_INFO: u32 = 12;
pub const PAC_TICKET_CHECKSUM: u32 = 16;
pub const PAC_ATTRIBUTES_INFO: u32 = 17;
pub const PAC_REQUESTOR: u32 = 18;
pub const PAC_FULL_CHECKSUM: u32 = 19;

/// Length of the PACTYPE header before its Buffers array (cBuffers, Version).
const PACTYPE_LEN: usize = 8;
/// Length of one PAC_INFO_BUFFER.
const PAC_INFO_BUFFER_LEN: usize = 16;
/// PAC elements start on 8-byte boundaries (MS-PAC §2.3).
const PAC_ALIGNMENT: u64 = 8;
/// The most buffers accepted (MIT's `MAX_BUFFERS`).
pub const MAX_BUFFERS: u32 = 4096;

/// Why a PAC was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PacError {
    /// A PACTYPE, buffer or element that does not decode (bounds, version,
    /// alignment, a buffer type that must be unique found twice).
    #[error("malformed PAC")]
    Malformed,
    /// More than one AD-WIN2K-PAC in the ticket (MS-KILE §3.4.5.3).
    #[error("more than one PAC")]
    MultiplePacs,
    /// No server or no KDC signature buffer.
    #[error("PAC signature missing")]
    MissingSignature,
    /// The server signature's type is not the service key's checksum type.
    #[error("PAC signature type not the key's")]
    WrongChecksumType,
    /// The server signature does not verify under the service key.
    #[error("PAC server signature does not verify")]
    BadSignature,
    /// No PAC_CLIENT_INFO, or one whose ClientId or Name is not the
    /// ticket's authtime or client.
    #[error("PAC client info does not match the ticket")]
    ClientMismatch,
}

/// One PAC_INFO_BUFFER (MS-PAC §2.4), its range checked to be in the PAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacBuffer {
    pub ul_type: u32,
    pub offset: usize,
    pub size: usize,
}

/// A decoded PACTYPE over the PAC's bytes.
#[derive(Debug)]
pub struct Pac<'a> {
    pub data: &'a [u8],
    pub buffers: Vec<PacBuffer>,
}

pub(crate) fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(crate) fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub(crate) fn le_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// UTF-16LE bytes (even length) as a string; unpaired surrogates refused.
pub(crate) fn utf16le(b: &[u8]) -> Result<String, PacError> {
    if !b.len().is_multiple_of(2) {
        return Err(PacError::Malformed);
    }
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).map_err(|_| PacError::Malformed)
}

impl<'a> Pac<'a> {
    /// Decodes the PACTYPE (MS-PAC §2.3) and its PAC_INFO_BUFFERs (§2.4):
    /// Version 0, 1 to [`MAX_BUFFERS`] buffers, each 8-byte aligned, after
    /// the header and inside the PAC (as MIT's `krb5_pac_parse`).
    pub fn parse(data: &'a [u8]) -> Result<Pac<'a>, PacError> {
        let c_buffers = le_u32(data, 0).ok_or(PacError::Malformed)?;
        let version = le_u32(data, 4).ok_or(PacError::Malformed)?;
        if version != 0 || c_buffers == 0 || c_buffers > MAX_BUFFERS {
            return Err(PacError::Malformed);
        }
        let header_len = PACTYPE_LEN + c_buffers as usize * PAC_INFO_BUFFER_LEN;
        if data.len() < header_len {
            return Err(PacError::Malformed);
        }
        let mut buffers = Vec::with_capacity(c_buffers as usize);
        for i in 0..c_buffers as usize {
            let at = PACTYPE_LEN + i * PAC_INFO_BUFFER_LEN;
            let ul_type = le_u32(data, at).ok_or(PacError::Malformed)?;
            let size = le_u32(data, at + 4).ok_or(PacError::Malformed)? as u64;
            let offset = le_u64(data, at + 8).ok_or(PacError::Malformed)?;
            if offset % PAC_ALIGNMENT != 0
                || offset < header_len as u64
                || offset > data.len() as u64
                || size > data.len() as u64 - offset
            {
                return Err(PacError::Malformed);
            }
            buffers.push(PacBuffer {
                ul_type,
                offset: offset as usize,
                size: size as usize,
            });
        }
        Ok(Pac { data, buffers })
    }

    /// The buffer of `ul_type`, which must appear at most once (MIT's
    /// `k5_pac_locate_buffer`): `Ok(None)` when absent.
    pub fn unique(&self, ul_type: u32) -> Result<Option<PacBuffer>, PacError> {
        let mut found = self.buffers.iter().filter(|b| b.ul_type == ul_type);
        let first = found.next().copied();
        if found.next().is_some() {
            return Err(PacError::Malformed);
        }
        Ok(first)
    }

    /// The first buffer of `ul_type`; later ones are ignored (MS-PAC §2.4
    /// for LOGON_INFO: "additional logon information buffers MUST be
    /// ignored").
    pub fn first(&self, ul_type: u32) -> Option<PacBuffer> {
        self.buffers.iter().find(|b| b.ul_type == ul_type).copied()
    }

    /// The bytes of a buffer of this PAC.
    pub fn bytes(&self, b: PacBuffer) -> &'a [u8] {
        // In range for a buffer of this PAC (checked by `parse`).
        self.data
            .get(b.offset..b.offset.saturating_add(b.size))
            .unwrap_or(&[])
    }
}
