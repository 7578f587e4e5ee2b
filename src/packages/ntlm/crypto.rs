//! NTLM cryptography (MS-NLMP 3.3 and 3.4.5, 6 Appendix A): KXKEY,
//! SIGNKEY, SEALKEY, RC4K, the NTLMv2 `temp` and the channel-binding hash.
//! The one-way functions and the responses computed from them belong to
//! the LSA's MSV1_0 package ([`crate::lsa::packages::msv1_0`]: the NT OWF
//! is derived and kept in one place) and are re-exported here. Primitives
//! come from RustCrypto crates.

use md5::{Digest, Md5};
use rc4::{KeyInit, Rc4, StreamCipher};
use zeroize::Zeroizing;

use super::flags::*;
use crate::sspi::{SecResult, SecStatus};

pub use crate::lsa::packages::msv1_0::owf::{
    hmac_md5, hmac_md5_keyed, hmac_md5_with, lmowf_v1, nt_owf_v1, ntowf_v2, ntowf_v2_keyed,
    ntowf_v2_user, HmacMd5, Key16, NtOwf,
};
pub use crate::lsa::packages::msv1_0::responses::{
    des_7, desl, lmv2_response, lmv2_response_with, md5, nt_proof_str, ntlmv1_response,
    ntlmv1_session_base_key, ntlmv2_session_base_key,
};

/// A new RC4 handle (RC4Init, 6 Appendix A). Keys are 5..16 bytes here.
pub fn rc4_init(key: &[u8]) -> Rc4 {
    <Rc4 as KeyInit>::new_from_slice(key).expect("RC4 keys of 1..256 bytes")
}

/// RC4K(key, data) in place.
pub fn rc4k(key: &[u8], data: &mut [u8]) {
    rc4_init(key).apply_keystream(data);
}

/// The NTLMv2 `temp` (3.3.2): Responserversion, HiResponserversion, Z(6),
/// Time, ClientChallenge, Z(4), ServerName (AV pairs with EOL), Z(4).
pub fn ntlmv2_temp(time: u64, client_challenge: &[u8; 8], av_pairs: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(32 + av_pairs.len());
    t.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    t.extend_from_slice(&time.to_le_bytes());
    t.extend_from_slice(client_challenge);
    t.extend_from_slice(&[0; 4]);
    t.extend_from_slice(av_pairs);
    t.extend_from_slice(&[0; 4]);
    t
}

/// KXKEY (3.4.5.1) for NTLMv1. NTLMv2 uses the SessionBaseKey unchanged.
/// `lmowf` is needed only for LM_KEY / REQUEST_NON_NT_SESSION_KEY.
pub fn kxkey_v1(
    flags: u32,
    session_base_key: &[u8; 16],
    lmowf: Option<&[u8; 16]>,
    lm_response: &[u8],
    server_challenge: &[u8; 8],
) -> SecResult<Key16> {
    let lm8 = lm_response.get(..8).ok_or(SecStatus::InvalidToken);
    let out = if flags & ESS != 0 {
        hmac_md5(session_base_key, &[server_challenge, lm8?])
    } else if flags & NTLMSSP_NEGOTIATE_LM_KEY != 0 {
        let lm = lmowf.ok_or(SecStatus::NoCredentials)?;
        let d: [u8; 8] = lm8?.try_into().map_err(|_| SecStatus::InvalidToken)?;
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&des_7(&lm[..7], &d));
        k[8..].copy_from_slice(&des_7(&[lm[7], 0xBD, 0xBD, 0xBD, 0xBD, 0xBD, 0xBD], &d));
        k
    } else if flags & NTLMSSP_REQUEST_NON_NT_SESSION_KEY != 0 {
        let lm = lmowf.ok_or(SecStatus::NoCredentials)?;
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&lm[..8]);
        k
    } else {
        *session_base_key
    };
    Ok(Zeroizing::new(out))
}

const CLIENT_SIGN: &[u8] = b"session key to client-to-server signing key magic constant\0";
const SERVER_SIGN: &[u8] = b"session key to server-to-client signing key magic constant\0";
const CLIENT_SEAL: &[u8] = b"session key to client-to-server sealing key magic constant\0";
const SERVER_SEAL: &[u8] = b"session key to server-to-client sealing key magic constant\0";

/// SIGNKEY (3.4.5.2), with ESS only: MD5(ExportedSessionKey || magic).
pub fn sign_key(exported: &[u8; 16], client_to_server: bool) -> Key16 {
    let magic = if client_to_server {
        CLIENT_SIGN
    } else {
        SERVER_SIGN
    };
    Zeroizing::new(md5(&[exported, magic]))
}

/// SEALKEY (3.4.5.3): the RC4 key for one direction (5, 8 or 16 bytes).
pub fn seal_key(flags: u32, exported: &[u8; 16], client_to_server: bool) -> Zeroizing<Vec<u8>> {
    let magic = if client_to_server {
        CLIENT_SEAL
    } else {
        SERVER_SEAL
    };
    let key = if flags & ESS != 0 {
        let n = if flags & NTLMSSP_NEGOTIATE_128 != 0 {
            16
        } else if flags & NTLMSSP_NEGOTIATE_56 != 0 {
            7
        } else {
            5
        };
        md5(&[&exported[..n], magic]).to_vec()
    } else if flags & (NTLMSSP_NEGOTIATE_LM_KEY | NTLMSSP_NEGOTIATE_DATAGRAM) != 0 {
        let mut k = exported[..8].to_vec();
        if flags & NTLMSSP_NEGOTIATE_56 != 0 {
            k[7] = 0xA0;
        } else {
            k[5..8].copy_from_slice(&[0xE5, 0x38, 0xB0]);
        }
        k
    } else {
        exported.to_vec()
    };
    Zeroizing::new(key)
}

/// MsvAvChannelBindings: MD5 of the RFC 4121 gss_channel_bindings encoding
/// of a raw `SEC_CHANNEL_BINDINGS` (32-byte header, offsets from its start).
pub fn channel_bindings_hash(raw: &[u8]) -> SecResult<[u8; 16]> {
    let u = |i: usize| -> SecResult<u32> {
        let s = raw.get(4 * i..4 * i + 4).ok_or(SecStatus::BadBindings)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    let slice = |len: u32, off: u32| -> SecResult<&[u8]> {
        let (len, off) = (len as usize, off as usize);
        if len == 0 {
            return Ok(&[]);
        }
        raw.get(off..off.checked_add(len).ok_or(SecStatus::BadBindings)?)
            .ok_or(SecStatus::BadBindings)
    };
    let (it, il, io) = (u(0)?, u(1)?, u(2)?);
    let (at, al, ao) = (u(3)?, u(4)?, u(5)?);
    let (pl, po) = (u(6)?, u(7)?);
    let mut h = Md5::new();
    h.update(it.to_le_bytes());
    h.update(il.to_le_bytes());
    h.update(slice(il, io)?);
    h.update(at.to_le_bytes());
    h.update(al.to_le_bytes());
    h.update(slice(al, ao)?);
    h.update(pl.to_le_bytes());
    h.update(slice(pl, po)?);
    Ok(h.finalize().into())
}

/// Cryptographically random bytes.
pub fn random_bytes<const N: usize>() -> SecResult<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| SecStatus::InternalError)?;
    Ok(b)
}
