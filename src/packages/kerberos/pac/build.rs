//! PACs written and signed (MS-PAC §2.3, §2.8), as a KDC does (MIT's
//! `krb5_pac_sign`): for tests that forge tickets with the service key,
//! and fuzz seeds.

use super::client_info::filetime;
use super::signature::SignatureData;
use super::{
    Pac, PacError, PACTYPE_LEN, PAC_INFO_BUFFER_LEN, PAC_PRIVSVR_CHECKSUM, PAC_SERVER_CHECKSUM,
};
use crate::packages::kerberos::crypto::{self, usage, ChecksumType, Key};

/// A PAC of `buffers` (type, bytes) in this order, each 8-byte aligned.
pub fn encode(buffers: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let header = PACTYPE_LEN + buffers.len() * PAC_INFO_BUFFER_LEN;
    let mut out = Vec::new();
    out.extend_from_slice(&(buffers.len() as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut offset = header.next_multiple_of(8);
    for (ty, data) in buffers {
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(offset as u64).to_le_bytes());
        offset = (offset + data.len()).next_multiple_of(8);
    }
    for (_, data) in buffers {
        out.resize(out.len().next_multiple_of(8), 0);
        out.extend_from_slice(data);
    }
    out.resize(out.len().next_multiple_of(8), 0);
    out
}

/// A PAC_CLIENT_INFO for `name` at `authtime` (seconds since 1970).
pub fn client_info(authtime: i64, name: &str) -> Vec<u8> {
    let name: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut out = filetime(authtime).to_le_bytes().to_vec();
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&name);
    out
}

/// An unsigned PAC_SIGNATURE_DATA of `ty` (zero Signature).
pub fn empty_signature(ty: ChecksumType) -> Vec<u8> {
    let mut out = ty.as_i32().to_le_bytes().to_vec();
    out.resize(4 + ty.size(), 0);
    out
}

/// Signs a PAC in place: the server signature with `server_key` over the
/// PAC with both signatures zeroed, then the KDC signature with `kdc_key`
/// over the server signature (MS-PAC §2.8.1, §2.8.2). Each signature
/// buffer's SignatureType is kept; its key must compute it.
pub fn sign(pac: &mut [u8], server_key: &Key, kdc_key: &Key) -> Result<(), PacError> {
    let parsed = Pac::parse(pac)?;
    let server = parsed
        .unique(PAC_SERVER_CHECKSUM)?
        .ok_or(PacError::MissingSignature)?;
    let kdc = parsed
        .unique(PAC_PRIVSVR_CHECKSUM)?
        .ok_or(PacError::MissingSignature)?;
    let server_ty = SignatureData::parse(parsed.bytes(server))?.signature_type;
    let kdc_ty = SignatureData::parse(parsed.bytes(kdc))?.signature_type;
    if server_ty != server_key.checksum_type() || kdc_ty != kdc_key.checksum_type() {
        return Err(PacError::WrongChecksumType);
    }
    for b in [server, kdc] {
        pac[b.offset + 4..b.offset + b.size].fill(0);
    }
    let s = crypto::checksum(server_key, usage::KERB_NON_KERB_CKSUM_SALT, pac)
        .map_err(|_| PacError::Malformed)?;
    pac[server.offset + 4..server.offset + 4 + s.len()].copy_from_slice(&s);
    let k = crypto::checksum(kdc_key, usage::KERB_NON_KERB_CKSUM_SALT, &s)
        .map_err(|_| PacError::Malformed)?;
    pac[kdc.offset + 4..kdc.offset + 4 + k.len()].copy_from_slice(&k);
    Ok(())
}
