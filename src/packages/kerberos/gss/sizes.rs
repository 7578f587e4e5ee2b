//! What QueryContextAttributes reports for an established Kerberos context
//! (`SECPKG_ATTR_SIZES`, `SECPKG_ATTR_STREAM_SIZES`), per session-key etype.
//!
//! - cbMaxToken 48000: Kerberos' SecPkgInfo on Windows 8/2012 and later
//!   (CONSTANTS.md, SecPkgInfo table; BEHAVIOURS.md item 15).
//! - cbMaxSignature: the MIC token, 16 + checksum (28 for AES-SHA1) or the
//!   37-byte framed RFC 4757 token.
//! - cbSecurityTrailer: the TOKEN part EncryptMessage writes (MS-KILE
//!   3.4.5.4.1 layout): 60 for AES-SHA1, the 60 bytes Windows was seen to
//!   write (BEHAVIOURS.md items 78, 95; Windows advertises 76 behind
//!   Negotiate, the DCE-style EC 16 size, and shrinks the buffer to 60); 45
//!   for rc4-hmac (framing 13 + 32).
//! - cbBlockSize 1: CTS and RC4 take any length; no padding is ever needed.
//!
//! Stream sizes: the stream form is one whole token, the header part
//! first (cbHeader = the trailer above), nothing after the message;
//! cBuffers 2, the `[SECBUFFER_STREAM, SECBUFFER_DATA]` of Kerberos'
//! DecryptMessage stream form (BEHAVIOURS.md item 96).
//! cbMaximumMessage has no Windows observation; RFC 4121 sets no limit and
//! 64 KiB is reported (the size of SSPI's usual stream records).

use super::framing::Mech;
use super::{mic, rc4, wrap};
use crate::packages::kerberos::crypto::EncryptionType;

/// Kerberos' cbMaxToken (CONSTANTS.md).
pub const MAX_TOKEN: u32 = 48000;
/// cbMaximumMessage of STREAM_SIZES.
pub const MAX_MESSAGE: u32 = 0x10000;

/// `SecPkgContext_Sizes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub max_token: u32,
    pub max_signature: u32,
    pub block_size: u32,
    pub security_trailer: u32,
}

/// `SecPkgContext_StreamSizes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSizes {
    pub header: u32,
    pub trailer: u32,
    pub maximum_message: u32,
    pub buffers: u32,
    pub block_size: u32,
}

fn signature_len(etype: EncryptionType) -> usize {
    match etype {
        EncryptionType::Rc4Hmac => rc4::mic_len(Mech::Krb5),
        e => mic::HEADER_LEN + e.checksum_len(),
    }
}

fn trailer_len(etype: EncryptionType) -> usize {
    match etype {
        EncryptionType::Rc4Hmac => rc4::split_token_len(Mech::Krb5),
        e => wrap::HEADER_LEN + e.confounder_len() + wrap::HEADER_LEN + e.checksum_len(),
    }
}

/// `SECPKG_ATTR_SIZES` of a context whose message key has `etype`.
pub fn sizes(etype: EncryptionType) -> Sizes {
    Sizes {
        max_token: MAX_TOKEN,
        max_signature: signature_len(etype) as u32,
        block_size: 1,
        security_trailer: trailer_len(etype) as u32,
    }
}

/// `SECPKG_ATTR_STREAM_SIZES` of a context whose message key has `etype`.
pub fn stream_sizes(etype: EncryptionType) -> StreamSizes {
    StreamSizes {
        header: trailer_len(etype) as u32,
        trailer: 0,
        maximum_message: MAX_MESSAGE,
        buffers: 2,
        block_size: 1,
    }
}
