//! The RFC 3961 crypto framework and its encryption types: 17 and 18
//! (aes*-cts-hmac-sha1-96, RFC 3962), 19 and 20 (aes*-cts-hmac-sha2,
//! RFC 8009) and 23 (rc4-hmac, RFC 4757). Primitives come from RustCrypto
//! crates; this module composes them.
//!
//! One-shot functions take a [`Key`] and a key usage ([`usage`]); hot paths
//! keep a [`DerivedKeys`] per (key, usage) (or a [`DerivedKeyCache`]) and
//! encrypt and decrypt in place.

mod aes_cts;
mod aes_sha1;
mod aes_sha2;
mod derived;
mod etype;
mod key;
mod nfold;
mod rc4_hmac;
mod sign_only;
pub mod usage;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

use aes::{Aes128, Aes256};
use sha2::{Sha256, Sha384};
use zeroize::{Zeroize, Zeroizing};

pub use derived::{DerivedKeyCache, DerivedKeys};
pub use etype::{ChecksumType, EncryptionType, KeyKind};
pub use key::{Checksum, Key};
pub use nfold::n_fold;
pub use sign_only::SignOnly;

/// Why a crypto operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("unsupported encryption type {0}")]
    UnsupportedEtype(i32),
    #[error("operation not defined for this encryption type")]
    Unsupported,
    #[error("key length does not match the encryption type")]
    InvalidKeyLength,
    #[error("confounder length does not match the encryption type")]
    InvalidConfounderLength,
    #[error("buffer length does not fit the encryption layout")]
    BufferLength,
    #[error("ciphertext too short")]
    CiphertextTooShort,
    /// The integrity tag or checksum does not match (KRB_AP_ERR_BAD_INTEGRITY).
    #[error("integrity check failed")]
    IntegrityCheckFailed,
    /// Malformed or unacceptable string-to-key parameters (KRB5_ERR_BAD_S2K_PARAMS).
    #[error("bad string-to-key parameters")]
    BadS2kParams,
    #[error("random number generator failed")]
    Random,
}

/// Longest confounder of the supported etypes.
pub const MAX_CONFOUNDER_LEN: usize = 16;
/// Longest checksum or integrity tag of the supported etypes.
pub const MAX_CHECKSUM_LEN: usize = 24;
/// Default PBKDF2 iterations of RFC 3962 (etypes 17, 18).
pub const AES_SHA1_DEFAULT_ITERATIONS: u32 = 4096;
/// Default PBKDF2 iterations of RFC 8009 (etypes 19, 20).
pub const AES_SHA2_DEFAULT_ITERATIONS: u32 = 32768;
/// Largest iteration count accepted from s2kparams (MIT krb5's limit), so a
/// KDC cannot make a client spin.
pub const MAX_ITERATIONS: u32 = 1 << 24;

/// An HMAC keyed with a derived key no longer than the hash's block: the key
/// zero-padded to the block is the HMAC key itself (RFC 2104 §2), so keying
/// cannot fail.
fn hmac_keyed<M: hmac::KeyInit>(key: &[u8]) -> M {
    let mut block = hmac::digest::Key::<M>::default();
    block[..key.len()].copy_from_slice(key);
    let mac = M::new(&block);
    block.as_mut_slice().zeroize();
    mac
}

fn fill_random(buf: &mut [u8]) -> Result<(), CryptoError> {
    crate::sspi::random::fill(buf).map_err(|_| CryptoError::Random)
}

/// The PBKDF2 iteration count of 4-byte big-endian s2kparams (RFC 3962 §4,
/// RFC 8009 §4); absent or empty params give the default. 0 (meaning 2^32)
/// and counts above [`MAX_ITERATIONS`] are refused.
fn iterations(s2kparams: Option<&[u8]>, default: u32) -> Result<u32, CryptoError> {
    match s2kparams {
        None | Some([]) => Ok(default),
        Some(p) => {
            let b: [u8; 4] = p.try_into().map_err(|_| CryptoError::BadS2kParams)?;
            match u32::from_be_bytes(b) {
                0 => Err(CryptoError::BadS2kParams),
                n if n > MAX_ITERATIONS => Err(CryptoError::BadS2kParams),
                n => Ok(n),
            }
        }
    }
}

/// string-to-key (RFC 3961 §3): the long-term key of a password.
/// AES-SHA1: PBKDF2-HMAC-SHA1 then DK(·, "kerberos") (RFC 3962 §4);
/// AES-SHA2: PBKDF2-HMAC-SHA256/384 over "etype name" | 0 | salt then the
/// KDF (RFC 8009 §4); rc4-hmac: the NT OWF, MD4(UTF-16LE(password)), salt
/// ignored and no parameters allowed (RFC 4757 §2).
pub fn string_to_key(
    etype: EncryptionType,
    password: &str,
    salt: &[u8],
    s2kparams: Option<&[u8]>,
) -> Result<Key, CryptoError> {
    let p = password.as_bytes();
    let bytes = match etype {
        EncryptionType::Aes128CtsHmacSha196 => {
            let n = iterations(s2kparams, AES_SHA1_DEFAULT_ITERATIONS)?;
            aes_sha1::string_to_key::<Aes128>(p, salt, n)?
        }
        EncryptionType::Aes256CtsHmacSha196 => {
            let n = iterations(s2kparams, AES_SHA1_DEFAULT_ITERATIONS)?;
            aes_sha1::string_to_key::<Aes256>(p, salt, n)?
        }
        EncryptionType::Aes128CtsHmacSha256128 => {
            let n = iterations(s2kparams, AES_SHA2_DEFAULT_ITERATIONS)?;
            aes_sha2::string_to_key::<Aes128, Sha256>(etype.name(), p, salt, n)?
        }
        EncryptionType::Aes256CtsHmacSha384192 => {
            let n = iterations(s2kparams, AES_SHA2_DEFAULT_ITERATIONS)?;
            aes_sha2::string_to_key::<Aes256, Sha384>(etype.name(), p, salt, n)?
        }
        EncryptionType::Rc4Hmac => {
            if !matches!(s2kparams, None | Some([])) {
                return Err(CryptoError::BadS2kParams);
            }
            let owf = crate::lsa::accounts::nt_owf_v1(password);
            return Key::new(etype, &owf[..]);
        }
    };
    Key::new(etype, &bytes)
}

/// random-to-key (RFC 3961 §3): the identity for these etypes, with the
/// length checked.
pub fn random_to_key(etype: EncryptionType, random: &[u8]) -> Result<Key, CryptoError> {
    Key::new(etype, random)
}

/// A fresh random key of `etype` (session keys, subkeys).
pub fn random_key(etype: EncryptionType) -> Result<Key, CryptoError> {
    let mut random = Zeroizing::new(vec![0u8; etype.key_len()]);
    fill_random(&mut random)?;
    random_to_key(etype, &random)
}

/// The raw Kc, Ke or Ki of `key` for `usage`: DK with n-fold (RFC 3961
/// §5.1, etypes 17, 18) or KDF-HMAC-SHA2 (RFC 8009 §5, etypes 19, 20).
/// rc4-hmac has no such keys ([`CryptoError::Unsupported`]).
pub fn derive_key(key: &Key, usage: u32, kind: KeyKind) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let k = key.as_bytes();
    match key.etype() {
        EncryptionType::Aes128CtsHmacSha196 => {
            aes_sha1::dk::<Aes128>(k, &aes_sha1::usage_constant(usage, kind))
        }
        EncryptionType::Aes256CtsHmacSha196 => {
            aes_sha1::dk::<Aes256>(k, &aes_sha1::usage_constant(usage, kind))
        }
        e @ (EncryptionType::Aes128CtsHmacSha256128 | EncryptionType::Aes256CtsHmacSha384192) => {
            let len = match kind {
                KeyKind::Ke => e.key_len(),
                KeyKind::Kc | KeyKind::Ki => e.checksum_len(),
            };
            if e == EncryptionType::Aes128CtsHmacSha256128 {
                aes_sha2::derive::<Sha256>(k, usage, kind, len)
            } else {
                aes_sha2::derive::<Sha384>(k, usage, kind, len)
            }
        }
        EncryptionType::Rc4Hmac => Err(CryptoError::Unsupported),
    }
}

/// Runs `f` with the derived keys of (`key`, `usage`): those the key keeps
/// for the AP exchange's usages, else derived for this call.
fn with_derived<R>(
    key: &Key,
    usage: u32,
    f: impl FnOnce(&DerivedKeys) -> Result<R, CryptoError>,
) -> Result<R, CryptoError> {
    match key.shared_derived(usage) {
        Some(d) => f(d?),
        None => f(&DerivedKeys::new(key, usage)?),
    }
}

/// Encrypts `plaintext` for `usage` with a random confounder (RFC 3961 §3).
pub fn encrypt(key: &Key, usage: u32, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    with_derived(key, usage, |d| d.encrypt(plaintext))
}

/// [`encrypt`] with a chosen confounder (known-answer tests).
pub fn encrypt_with_confounder(
    key: &Key,
    usage: u32,
    confounder: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    with_derived(key, usage, |d| {
        d.encrypt_with_confounder(confounder, plaintext)
    })
}

/// Decrypts `ciphertext` for `usage`; [`CryptoError::IntegrityCheckFailed`]
/// when it was altered, made for another usage or under another key.
pub fn decrypt(
    key: &Key,
    usage: u32,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    with_derived(key, usage, |d| d.decrypt(ciphertext))
}

/// The keyed checksum (the etype's mandatory type) of `data` for `usage`.
pub fn checksum(key: &Key, usage: u32, data: &[u8]) -> Result<Checksum, CryptoError> {
    with_derived(key, usage, |d| Ok(d.checksum(&[data])))
}

/// Checks a keyed checksum in constant time. The caller checks that the
/// received checksum type is `key.checksum_type()`.
pub fn verify_checksum(
    key: &Key,
    usage: u32,
    data: &[u8],
    checksum: &[u8],
) -> Result<(), CryptoError> {
    with_derived(key, usage, |d| d.verify_checksum(&[data], checksum))
}

/// The pseudo-random function (RFC 3961 §3): 16 bytes for etypes 17, 18
/// (RFC 3962 §6), 32 and 48 for 19, 20 (RFC 8009 §5). RFC 4757 defines none
/// for rc4-hmac ([`CryptoError::Unsupported`]).
pub fn prf(key: &Key, input: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let k = key.as_bytes();
    match key.etype() {
        EncryptionType::Aes128CtsHmacSha196 => aes_sha1::prf::<Aes128>(k, input),
        EncryptionType::Aes256CtsHmacSha196 => aes_sha1::prf::<Aes256>(k, input),
        EncryptionType::Aes128CtsHmacSha256128 => aes_sha2::prf::<Sha256>(k, input),
        EncryptionType::Aes256CtsHmacSha384192 => aes_sha2::prf::<Sha384>(k, input),
        EncryptionType::Rc4Hmac => Err(CryptoError::Unsupported),
    }
}
