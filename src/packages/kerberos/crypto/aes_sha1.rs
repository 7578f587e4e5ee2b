//! aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18): RFC 3962
//! on the RFC 3961 simplified profile. Keys per usage come from DK with
//! n-fold; the integrity tag is HMAC-SHA1 of the plaintext (with its
//! confounder), truncated to 96 bits.

use std::ops::Range;

use aes::cipher::array::Array;
use aes::cipher::consts::U16;
use hmac::{Hmac, Mac};
use once_cell::sync::{Lazy, OnceCell};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::aes_cts::{self, Absorb, AesCipher, BLOCK_LEN};
use super::nfold::n_fold;
use super::sign_only::{interleave, SignOnly};
use super::{hmac_keyed, Checksum, CryptoError, KeyKind};

/// Length of the truncated HMAC-SHA1 (RFC 3962 §6: 96 bits).
pub const TAG_LEN: usize = 12;

/// DK(key, constant) (RFC 3961 §5.1): random-to-key (identity for AES) of
/// DR, the AES encryptions chained from n-fold(constant, 128), truncated to
/// the key length.
pub fn dk<C: AesCipher>(key: &[u8], constant: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let cipher: C = aes_cts::cipher(key)?;
    let mut folded = [0u8; BLOCK_LEN];
    folded.copy_from_slice(&n_fold(constant, BLOCK_LEN));
    let out = dk_folded(&cipher, &folded);
    Ok(Zeroizing::new(out[..key.len()].to_vec()))
}

/// DK with the base key's schedule and the constant already n-folded: the
/// chained block encryptions, `C::key_size()` bytes of the result.
fn dk_folded<C: AesCipher>(base: &C, folded: &[u8; BLOCK_LEN]) -> Zeroizing<[u8; MAX_KEY_LEN]> {
    let mut block = Zeroizing::new(*folded);
    let mut out = Zeroizing::new([0u8; MAX_KEY_LEN]);
    for chunk in out[..C::key_size()].chunks_mut(BLOCK_LEN) {
        let b: &mut Array<u8, U16> = (&mut *block).into();
        base.encrypt_block(b);
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
    out
}

/// The DK constant of a usage: usage (32-bit big-endian) | 0x99/0xAA/0x55.
pub fn usage_constant(usage: u32, kind: KeyKind) -> [u8; 5] {
    let u = usage.to_be_bytes();
    [u[0], u[1], u[2], u[3], kind as u8]
}

/// Longest AES key (AES-256).
const MAX_KEY_LEN: usize = 32;

/// Usages whose n-folded DK constants are kept in [`FOLDED`]: every usage
/// RFC 4120, RFC 4121 and MS-PAC define is below it.
const FOLDED_USAGES: u32 = 64;

/// n-fold(usage | kind, 128) of usages below [`FOLDED_USAGES`], in the
/// order Kc, Ke, Ki: a pure function of the constant (RFC 3961 §5.1),
/// computed once per process instead of at every derivation.
static FOLDED: Lazy<Vec<[[u8; BLOCK_LEN]; 3]>> = Lazy::new(|| {
    (0..FOLDED_USAGES)
        .map(|u| KINDS.map(|kind| fold(&usage_constant(u, kind))))
        .collect()
});

const KINDS: [KeyKind; 3] = [KeyKind::Kc, KeyKind::Ke, KeyKind::Ki];

fn fold(constant: &[u8]) -> [u8; BLOCK_LEN] {
    let mut out = [0u8; BLOCK_LEN];
    out.copy_from_slice(&n_fold(constant, BLOCK_LEN));
    out
}

/// n-fold(usage | kind, 128), from [`FOLDED`] when the usage is there.
pub fn folded_usage_constant(usage: u32, kind: KeyKind) -> [u8; BLOCK_LEN] {
    match FOLDED.get(usage as usize) {
        Some(row) => row[KINDS.iter().position(|k| *k == kind).unwrap_or(0)],
        None => fold(&usage_constant(usage, kind)),
    }
}

/// DK of `base` for (usage, kind), with the n-folded constant of the table.
fn dk_usage<C: AesCipher>(base: &C, usage: u32, kind: KeyKind) -> Zeroizing<[u8; MAX_KEY_LEN]> {
    dk_folded(base, &folded_usage_constant(usage, kind))
}

/// string-to-key (RFC 3962 §4): DK(PBKDF2-HMAC-SHA1(password, salt,
/// iterations, key length), "kerberos").
pub fn string_to_key<C: AesCipher>(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut tkey = Zeroizing::new(vec![0u8; C::key_size()]);
    pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut tkey);
    dk::<C>(&tkey, b"kerberos")
}

/// PRF (RFC 3961 §5.3, RFC 3962 §6): the AES encryption under
/// DK(key, "prf") of SHA-1(input) truncated to one block.
pub fn prf<C: AesCipher>(key: &[u8], input: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let kp = dk::<C>(key, b"prf")?;
    let cipher: C = aes_cts::cipher(&kp)?;
    let mut out = Zeroizing::new(Sha1::digest(input)[..BLOCK_LEN].to_vec());
    aes_cts::encrypt(&cipher, &mut out)?;
    Ok(out)
}

/// Ke, Ki and Kc of one (key, usage), each derived on first use (a
/// handshake that only decrypts never derives Kc; a context that sends no
/// message derives nothing) and kept: the AES key schedule and the keyed
/// HMAC states (cloned per message).
#[derive(Clone)]
pub struct Keys<C: AesCipher> {
    /// The base key, for DK (its schedule is made when a key is derived).
    base: Zeroizing<aes::cipher::Key<C>>,
    usage: u32,
    /// Ke and Ki (always used together).
    enc: OnceCell<(C, Hmac<Sha1>)>,
    kc: OnceCell<Hmac<Sha1>>,
}

fn tag(mac: &Hmac<Sha1>, parts: &[&[u8]]) -> [u8; TAG_LEN] {
    let mut m = mac.clone();
    for p in parts {
        m.update(p);
    }
    let full = m.finalize().into_bytes();
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&full[..TAG_LEN]);
    out
}

impl<C: AesCipher> Keys<C> {
    /// Keys of `key` for `usage`; nothing is derived yet.
    pub fn new(key: &[u8], usage: u32) -> Result<Self, CryptoError> {
        let base =
            aes::cipher::Key::<C>::try_from(key).map_err(|_| CryptoError::InvalidKeyLength)?;
        Ok(Keys {
            base: Zeroizing::new(base),
            usage,
            enc: OnceCell::new(),
            kc: OnceCell::new(),
        })
    }

    fn enc(&self) -> Result<&(C, Hmac<Sha1>), CryptoError> {
        self.enc.get_or_try_init(|| {
            let base = C::new(&self.base);
            let ke = dk_usage(&base, self.usage, KeyKind::Ke);
            let ki = dk_usage(&base, self.usage, KeyKind::Ki);
            let n = C::key_size();
            Ok((aes_cts::cipher(&ke[..n])?, hmac_keyed(&ki[..n])))
        })
    }

    fn kc(&self) -> &Hmac<Sha1> {
        self.kc.get_or_init(|| {
            let kc = dk_usage(&C::new(&self.base), self.usage, KeyKind::Kc);
            hmac_keyed(&kc[..C::key_size()])
        })
    }

    /// `buf` = confounder | plaintext | room for the tag. The confounder is
    /// written here; the HMAC covers confounder | plaintext (RFC 3961 §5.3),
    /// each piece hashed just before it is encrypted (one pass, see
    /// [`aes_cts::encrypt_absorbing`]).
    pub fn encrypt_in_place(&self, confounder: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
        if confounder.len() != BLOCK_LEN {
            return Err(CryptoError::InvalidConfounderLength);
        }
        if buf.len() < BLOCK_LEN + TAG_LEN {
            return Err(CryptoError::BufferLength);
        }
        let (ke, ki) = self.enc()?;
        let body = buf.len() - TAG_LEN;
        buf[..BLOCK_LEN].copy_from_slice(confounder);
        let mut mac = ki.clone();
        aes_cts::encrypt_absorbing(ke, &mut buf[..body], Absorb::Plaintext, |p| mac.update(p))?;
        buf[body..].copy_from_slice(&mac.finalize().into_bytes()[..TAG_LEN]);
        Ok(())
    }

    /// Decrypts in place and checks the tag in constant time; the
    /// plaintext's range in `buf` on success. On failure the decrypted bytes
    /// are wiped.
    pub fn decrypt_in_place(&self, buf: &mut [u8]) -> Result<Range<usize>, CryptoError> {
        if buf.len() < BLOCK_LEN + TAG_LEN {
            return Err(CryptoError::CiphertextTooShort);
        }
        let (ke, ki) = self.enc()?;
        let body = buf.len() - TAG_LEN;
        aes_cts::decrypt(ke, &mut buf[..body])?;
        let t = tag(ki, &[&buf[..body]]);
        if bool::from(t.ct_eq(&buf[body..])) {
            Ok(BLOCK_LEN..body)
        } else {
            buf[..body].zeroize();
            Err(CryptoError::IntegrityCheckFailed)
        }
    }

    /// [`Self::encrypt_in_place`] with sign-only data: the tag covers the
    /// plaintext with `sign_only` inserted at its offsets (RFC 3961 §5.3 over
    /// MIT's iov order), which are not encrypted.
    pub fn encrypt_in_place_sign_only(
        &self,
        confounder: &[u8],
        buf: &mut [u8],
        sign_only: &SignOnly<'_>,
    ) -> Result<(), CryptoError> {
        if confounder.len() != BLOCK_LEN {
            return Err(CryptoError::InvalidConfounderLength);
        }
        if buf.len() < BLOCK_LEN + TAG_LEN {
            return Err(CryptoError::BufferLength);
        }
        let body = buf.len() - TAG_LEN;
        let (ke, ki) = self.enc()?;
        buf[..BLOCK_LEN].copy_from_slice(confounder);
        let t = tag(ki, &interleave(&buf[..body], sign_only)?);
        aes_cts::encrypt(ke, &mut buf[..body])?;
        buf[body..].copy_from_slice(&t);
        Ok(())
    }

    /// [`Self::decrypt_in_place`] with sign-only data (see
    /// [`Self::encrypt_in_place_sign_only`]).
    pub fn decrypt_in_place_sign_only(
        &self,
        buf: &mut [u8],
        sign_only: &SignOnly<'_>,
    ) -> Result<Range<usize>, CryptoError> {
        if buf.len() < BLOCK_LEN + TAG_LEN {
            return Err(CryptoError::CiphertextTooShort);
        }
        let body = buf.len() - TAG_LEN;
        let (ke, ki) = self.enc()?;
        aes_cts::decrypt(ke, &mut buf[..body])?;
        let t = tag(ki, &interleave(&buf[..body], sign_only)?);
        if bool::from(t.ct_eq(&buf[body..])) {
            Ok(BLOCK_LEN..body)
        } else {
            buf[..body].zeroize();
            Err(CryptoError::IntegrityCheckFailed)
        }
    }

    /// hmac-sha1-96-aes128/256 (RFC 3962 §7) over the concatenated parts.
    pub fn checksum(&self, parts: &[&[u8]]) -> Checksum {
        Checksum::new(&tag(self.kc(), parts))
    }
}
