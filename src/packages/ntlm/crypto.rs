//! NTLM cryptography (MS-NLMP 3.3 and 3.4.5, 6 Appendix A): the one-way
//! functions, NTLMv1/NTLMv2 responses, KXKEY, SIGNKEY, SEALKEY, RC4K and the
//! channel-binding hash. Primitives come from RustCrypto crates.

use des::cipher::{BlockCipherEncrypt, KeyInit};
use des::Des;
use hmac::{Hmac, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use rc4::{Rc4, StreamCipher};
use zeroize::Zeroizing;

use super::flags::*;
use crate::lsa::secret::Secret;
use crate::sspi::{SecResult, SecStatus};

/// HMAC-MD5, keyed once and cloned per message by the sealing code.
pub type HmacMd5 = Hmac<Md5>;

/// A 16-byte secret that is wiped on drop.
pub type Key16 = Zeroizing<[u8; 16]>;

/// An NT OWF: kept in the secret arena (never copied by a move, wiped on
/// drop, left out of core dumps; see [`crate::lsa::secret`]).
pub type NtOwf = Secret<16>;

/// NTOWFv1 (MS-NLMP 3.3.1): MD4 of the UTF-16LE password, written straight
/// into its arena slot (never through a plain array). The UTF-16 text goes
/// to MD4 through a wiped stack buffer; MD4's state is wiped on drop (md4's
/// `zeroize` feature). Also the NTOWFv2 input and the RC4-HMAC Kerberos
/// key.
pub fn nt_owf_v1(password: &str) -> NtOwf {
    let mut md4 = Md4::new();
    update_utf16(&mut md4, password.chars());
    let mut owf = NtOwf::new();
    Digest::finalize_into(md4, (&mut *owf).into());
    owf
}

/// MD5 over the concatenation of `parts`.
pub fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// A keyed HMAC-MD5 instance.
pub fn hmac_md5_keyed(key: &[u8]) -> HmacMd5 {
    <HmacMd5 as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length")
}

/// HMAC over `parts` with an already keyed instance (saves the key pads).
pub fn hmac_md5_with(keyed: &HmacMd5, parts: &[&[u8]]) -> [u8; 16] {
    let mut m = keyed.clone();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// HMAC_MD5(key, concatenation of `parts`).
pub fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut m = hmac_md5_keyed(key);
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// A new RC4 handle (RC4Init, 6 Appendix A). Keys are 5..16 bytes here.
pub fn rc4_init(key: &[u8]) -> Rc4 {
    <Rc4 as KeyInit>::new_from_slice(key).expect("RC4 keys of 1..256 bytes")
}

/// RC4K(key, data) in place.
pub fn rc4k(key: &[u8], data: &mut [u8]) {
    rc4_init(key).apply_keystream(data);
}

/// DES-encrypt one block with a 7-byte key (parity bits inserted).
fn des_7(key7: &[u8], data: &[u8; 8]) -> [u8; 8] {
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

/// LMOWFv1 (3.3.1): DES of "KGS!@#$%" under the upper-cased, 14-byte
/// padded OEM password. Only the NTLMv1 vectors and LM_KEY use it.
pub fn lmowf_v1(password: &str) -> Key16 {
    let mut p = Zeroizing::new([0u8; 14]);
    for (d, s) in p.iter_mut().zip(password.to_uppercase().bytes()) {
        *d = s;
    }
    let mut out = Zeroizing::new([0u8; 16]);
    out[..8].copy_from_slice(&des_7(&p[..7], b"KGS!@#$%"));
    out[8..].copy_from_slice(&des_7(&p[7..], b"KGS!@#$%"));
    out
}

/// Upper-case one character the way RtlUpcaseUnicodeString does: one code
/// point to one (a character whose upper case is longer stays as it is).
pub(crate) fn upcase_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    let mut u = c.to_uppercase();
    match (u.next(), u.next()) {
        (Some(one), None) => one,
        _ => c,
    }
}

/// Feed the UTF-16LE encoding of `chars` to a hash or MAC without building
/// a string (a small stack buffer, wiped afterwards: passwords go through
/// it).
fn update_utf16(mac: &mut impl hmac::digest::Update, chars: impl Iterator<Item = char>) {
    let mut buf = Zeroizing::new([0u8; 64]);
    let mut n = 0;
    for c in chars {
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            if n + 2 > buf.len() {
                mac.update(&buf[..n]);
                n = 0;
            }
            buf[n..n + 2].copy_from_slice(&u.to_le_bytes());
            n += 2;
        }
    }
    mac.update(&buf[..n]);
}

/// NTOWFv2 (3.3.2): HMAC_MD5(NTOWFv1, UNICODE(Uppercase(User) || UserDom)).
pub fn ntowf_v2(nt_owf: &[u8; 16], user: &str, domain: &str) -> Key16 {
    let mut m = hmac_md5_keyed(nt_owf);
    update_utf16(&mut m, user.chars().map(upcase_char).chain(domain.chars()));
    let mut out = Key16::default();
    hmac::digest::FixedOutput::finalize_into(m, (&mut *out).into());
    out
}

/// HMAC-MD5 keyed with NTOWFv2(`nt_owf`, `user`, `domain`): what NTLMv2
/// responses and their session keys are computed with. Callers keep it
/// (per credential or per account) and clone it per handshake.
pub fn ntowf_v2_keyed(nt_owf: &[u8; 16], user: &str, domain: &str) -> HmacMd5 {
    hmac_md5_keyed(&ntowf_v2(nt_owf, user, domain)[..])
}

/// The upper-cased user name as NTOWFv2 sees it (a cache key: two user
/// names with the same upper case have the same NTOWFv2).
pub fn ntowf_v2_user(user: &str) -> String {
    user.chars().map(upcase_char).collect()
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
