//! PAC_SIGNATURE_DATA (MS-PAC §2.8) and the server signature (§2.8.1):
//! a keyed checksum, key usage 17 (KERB_NON_KERB_CKSUM_SALT), with the
//! service key, over the whole PAC with the Signature bytes of the server
//! and KDC signatures zeroed. The extended KDC (full) signature is made
//! before the server signature (§2.8 "order of processing"), so its bytes
//! are covered as they are, as MIT's `verify_pac_checksums` does.
//!
//! The KDC signature (§2.8.2) is made with the krbtgt key, which a service
//! does not have (MS-APDS §3.2.5.3 sends it to a DC): it must be present
//! and well-formed, and is not verified here.

use super::{le_u32, Pac, PacBuffer, PacError, PAC_PRIVSVR_CHECKSUM, PAC_SERVER_CHECKSUM};
use crate::packages::kerberos::crypto::{self, usage, ChecksumType, Key};

/// Length of SignatureType before the Signature.
const SIGNATURE_TYPE_LEN: usize = 4;

/// A decoded PAC_SIGNATURE_DATA: its type and the Signature, whose length
/// is the type's (an RODCIdentifier may follow, MS-PAC §2.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureData<'a> {
    pub signature_type: ChecksumType,
    pub signature: &'a [u8],
}

impl<'a> SignatureData<'a> {
    /// Decodes a PAC_SIGNATURE_DATA; an unkeyed or unknown type, or a
    /// buffer shorter than the type's checksum, is malformed.
    pub fn parse(b: &'a [u8]) -> Result<Self, PacError> {
        let raw = le_u32(b, 0).ok_or(PacError::Malformed)? as i32;
        let signature_type = ChecksumType::from_i32(raw).ok_or(PacError::Malformed)?;
        let signature = b
            .get(SIGNATURE_TYPE_LEN..SIGNATURE_TYPE_LEN + signature_type.size())
            .ok_or(PacError::Malformed)?;
        Ok(SignatureData {
            signature_type,
            signature,
        })
    }
}

/// The server and KDC signature buffers: each present once and well-formed.
pub fn signature_buffers(pac: &Pac<'_>) -> Result<(PacBuffer, PacBuffer), PacError> {
    let server = pac
        .unique(PAC_SERVER_CHECKSUM)?
        .ok_or(PacError::MissingSignature)?;
    let kdc = pac
        .unique(PAC_PRIVSVR_CHECKSUM)?
        .ok_or(PacError::MissingSignature)?;
    SignatureData::parse(pac.bytes(server))?;
    SignatureData::parse(pac.bytes(kdc))?;
    Ok((server, kdc))
}

/// Verifies the server signature with the key that decrypted the ticket.
/// Its type must be the key's checksum type (MS-PAC §2.8.1: "the checksum
/// type corresponds to the key"): an HMAC-MD5 signature under an AES key
/// is refused, as MIT's `krb5_c_verify_checksum` refuses a checksum type
/// of another encryption type. The comparison is constant time.
pub fn verify_server_signature(pac: &Pac<'_>, key: &Key) -> Result<(), PacError> {
    let (server, kdc) = signature_buffers(pac)?;
    let sig = SignatureData::parse(pac.bytes(server))?;
    if sig.signature_type != key.checksum_type() {
        return Err(PacError::WrongChecksumType);
    }
    let mut zeroed = pac.data.to_vec();
    for b in [server, kdc] {
        // Everything after SignatureType, as MIT's `zero_signature`.
        if let Some(s) = zeroed.get_mut(b.offset + SIGNATURE_TYPE_LEN..b.offset + b.size) {
            s.fill(0);
        }
    }
    crypto::verify_checksum(key, usage::KERB_NON_KERB_CKSUM_SALT, &zeroed, sig.signature)
        .map_err(|_| PacError::BadSignature)
}
