//! MSV1_0's one-way functions (MS-NLMP 3.3.1, 3.3.2): NTOWFv1, NTOWFv2 and
//! LMOWFv1, and the HMAC-MD5 helpers they are computed with. They live in
//! the LSA's MSV1_0 package, the one place that derives and keeps an NT
//! OWF (logon sessions, the account database); the NTLM security package
//! uses them from here (`packages::ntlm::crypto` re-exports them), never
//! the other way round.

use hmac::{Hmac, KeyInit, Mac};
use md4::Md4;
use md5::{Digest, Md5};
use zeroize::Zeroizing;

use super::responses::des_7;
use crate::lsa::secret::Secret;

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
pub fn upcase_char(c: char) -> char {
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
pub(crate) fn update_utf16(mac: &mut impl hmac::digest::Update, chars: impl Iterator<Item = char>) {
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
