//! RFC 4121 §4.2.6.1 MIC tokens (etypes 17-20):
//! `04 04 | Flags | FF FF FF FF FF | SND_SEQ (8, big-endian) | SGN_CKSUM`,
//! the checksum (KG-USAGE-*-SIGN) over the message then the 16-byte header.

use super::keys::Profile;
use super::{GssError, PerMessageKeys};
use crate::packages::kerberos::crypto::DerivedKeys;
use crate::packages::kerberos::crypto::EncryptionType;

pub const TOK_ID: [u8; 2] = [0x04, 0x04];
pub const HEADER_LEN: usize = 16;

fn sign_keys(keys: &PerMessageKeys) -> &DerivedKeys {
    match &keys.profile {
        Profile::Cfx { sign, .. } => sign,
        Profile::Rc4(_) => unreachable!("RFC 4121 token with rc4-hmac keys"),
    }
}

fn header(flags: u8, seq: u64) -> [u8; HEADER_LEN] {
    let mut h = [0xFFu8; HEADER_LEN];
    h[..2].copy_from_slice(&TOK_ID);
    h[2] = flags;
    h[8..].copy_from_slice(&seq.to_be_bytes());
    h
}

/// Length of a MIC token of `keys`' etype.
pub fn token_len(etype: EncryptionType) -> usize {
    HEADER_LEN + etype.checksum_len()
}

/// The MIC token of `message` with sequence number `seq` (GSS_GetMIC).
pub fn get_mic(keys: &PerMessageKeys, seq: u64, message: &[u8]) -> Vec<u8> {
    let h = header(keys.cfx_flags(), seq);
    let cksum = sign_keys(keys).checksum(&[message, &h]);
    let mut out = Vec::with_capacity(HEADER_LEN + cksum.len());
    out.extend_from_slice(&h);
    out.extend_from_slice(&cksum);
    out
}

/// Verifies a MIC token over `message` (GSS_VerifyMIC); its sequence number.
pub fn verify_mic(keys: &PerMessageKeys, token: &[u8], message: &[u8]) -> Result<u64, GssError> {
    if token.len() != token_len(keys.etype()) {
        return Err(GssError::DefectiveToken);
    }
    let (h, cksum) = token.split_at(HEADER_LEN);
    if h[..2] != TOK_ID || h[3..8] != [0xFF; 5] {
        return Err(GssError::DefectiveToken);
    }
    keys.check_cfx_flags(h[2])?;
    sign_keys(keys).verify_checksum(&[message, h], cksum)?;
    Ok(u64::from_be_bytes(h[8..].try_into().expect("8 bytes")))
}
