//! The NTLM responses computed from an OWF (MS-NLMP 3.3.1, 3.3.2, 6
//! Appendix A): NTLMv1 (DESL) and its SessionBaseKey, NTProofStr, the LMv2
//! response and the NTLMv2 SessionBaseKey. MSV1_0 computes them for a
//! logon session's credential ([`super::credential_op`]); the NTLM package
//! uses them for explicit credentials and to verify a client.

use des::cipher::{BlockCipherEncrypt, KeyInit};
use des::Des;
use md4::Md4;
use md5::{Digest, Md5};
use zeroize::Zeroizing;

use super::owf::{hmac_md5, hmac_md5_keyed, hmac_md5_with, HmacMd5, Key16};

/// MD5 over the concatenation of `parts`.
pub fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// DES-encrypt one block with a 7-byte key (parity bits inserted).
pub fn des_7(key7: &[u8], data: &[u8; 8]) -> [u8; 8] {
    let b = |i: usize| key7.get(i).copied().unwrap_or(0);
    let k = [
        b(0),
        (b(0) << 7) | (b(1) >> 1),
        (b(1) << 6) | (b(2) >> 2),
        (b(2) << 5) | (b(3) >> 3),
        (b(3) << 4) | (b(4) >> 4),
        (b(4) << 3) | (b(5) >> 5),
        (b(5) << 2) | (b(6) >> 6),
        b(6) << 1,
    ];
    let cipher = Des::new_from_slice(&k).expect("8-byte DES key");
    let mut block = des::cipher::Block::<Des>::from(*data);
    cipher.encrypt_block(&mut block);
    block.into()
}

/// DESL(K, D) (6 Appendix A): three DES encryptions of `d` under the 16-byte
/// key split 7/7/2+Z(5).
pub fn desl(k: &[u8; 16], d: &[u8; 8]) -> [u8; 24] {
    let mut out = [0u8; 24];
    out[..8].copy_from_slice(&des_7(&k[..7], d));
    out[8..16].copy_from_slice(&des_7(&k[7..14], d));
    let last = [k[14], k[15], 0, 0, 0, 0, 0];
    out[16..].copy_from_slice(&des_7(&last, d));
    out
}

/// NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge || temp); `temp` is
/// used exactly as given (a server passes the blob as received).
pub fn nt_proof_str(
    response_key_nt: &[u8; 16],
    server_challenge: &[u8; 8],
    temp: &[u8],
) -> [u8; 16] {
    hmac_md5(response_key_nt, &[server_challenge, temp])
}

/// LMv2 response (3.3.2): HMAC_MD5(ResponseKeyLM, SC || CC) || CC.
pub fn lmv2_response(
    response_key_lm: &[u8; 16],
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
) -> [u8; 24] {
    lmv2_response_with(
        &hmac_md5_keyed(response_key_lm),
        server_challenge,
        client_challenge,
    )
}

/// [`lmv2_response`] with an HMAC already keyed with ResponseKeyLM.
pub fn lmv2_response_with(
    keyed: &HmacMd5,
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
) -> [u8; 24] {
    let mut out = [0u8; 24];
    out[..16].copy_from_slice(&hmac_md5_with(keyed, &[server_challenge, client_challenge]));
    out[16..].copy_from_slice(client_challenge);
    out
}

/// NTLMv2 SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr).
pub fn ntlmv2_session_base_key(response_key_nt: &[u8; 16], nt_proof: &[u8; 16]) -> Key16 {
    Zeroizing::new(hmac_md5(response_key_nt, &[nt_proof]))
}

/// NTLMv1 NtChallengeResponse (3.3.1): DESL(NTOWFv1, SC), or with ESS
/// DESL(NTOWFv1, MD5(SC || CC)[0..8]).
pub fn ntlmv1_response(
    nt_owf: &[u8; 16],
    server_challenge: &[u8; 8],
    ess_client_challenge: Option<&[u8; 8]>,
) -> [u8; 24] {
    match ess_client_challenge {
        Some(cc) => {
            let h = md5(&[server_challenge, cc]);
            let mut d = [0u8; 8];
            d.copy_from_slice(&h[..8]);
            desl(nt_owf, &d)
        }
        None => desl(nt_owf, server_challenge),
    }
}

/// NTLMv1 SessionBaseKey = MD4(NTOWFv1).
pub fn ntlmv1_session_base_key(nt_owf: &[u8; 16]) -> Key16 {
    let mut out = Key16::default();
    Digest::finalize_into(Md4::new().chain_update(nt_owf), (&mut *out).into());
    out
}
