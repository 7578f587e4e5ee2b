//! Keys derived per (base key, key usage), computed once and reused: the
//! initialised AES key schedule (Ke) and keyed HMAC states (Ki, Kc) of
//! etypes 17-20, or K1 and Ksign of rc4-hmac. Encryption and decryption work
//! in place on the caller's buffer (layout: [`EncryptionType::plaintext_offset`]).

use std::fmt;
use std::ops::Range;

use aes::{Aes128, Aes256};
use sha2::{Sha256, Sha384};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::sign_only::SignOnly;
use super::{
    aes_sha1, aes_sha2, fill_random, rc4_hmac, Checksum, CryptoError, EncryptionType, Key,
    MAX_CONFOUNDER_LEN,
};

// Kept inline (no Box): a handful live per key, and a message pays no
// pointer chase.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum Profile {
    Aes128Sha1(aes_sha1::Keys<Aes128>),
    Aes256Sha1(aes_sha1::Keys<Aes256>),
    Aes128Sha256(aes_sha2::Keys<Aes128, Sha256>),
    Aes256Sha384(aes_sha2::Keys<Aes256, Sha384>),
    Rc4(rc4_hmac::Keys),
}

/// The ready-to-use keys of one (key, usage).
#[derive(Clone)]
pub struct DerivedKeys {
    etype: EncryptionType,
    usage: u32,
    profile: Profile,
}

impl fmt::Debug for DerivedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DerivedKeys")
            .field("etype", &self.etype)
            .field("usage", &self.usage)
            .finish_non_exhaustive()
    }
}

impl DerivedKeys {
    /// Derives Ke, Ki and Kc (or K1 and Ksign) of `key` for `usage`.
    pub fn new(key: &Key, usage: u32) -> Result<Self, CryptoError> {
        let k = key.as_bytes();
        let profile = match key.etype() {
            EncryptionType::Aes128CtsHmacSha196 => {
                Profile::Aes128Sha1(aes_sha1::Keys::new(k, usage)?)
            }
            EncryptionType::Aes256CtsHmacSha196 => {
                Profile::Aes256Sha1(aes_sha1::Keys::new(k, usage)?)
            }
            EncryptionType::Aes128CtsHmacSha256128 => {
                Profile::Aes128Sha256(aes_sha2::Keys::new(k, usage, 16)?)
            }
            EncryptionType::Aes256CtsHmacSha384192 => {
                Profile::Aes256Sha384(aes_sha2::Keys::new(k, usage, 24)?)
            }
            EncryptionType::Rc4Hmac => Profile::Rc4(rc4_hmac::Keys::new(k, usage)),
        };
        Ok(DerivedKeys {
            etype: key.etype(),
            usage,
            profile,
        })
    }

    pub fn etype(&self) -> EncryptionType {
        self.etype
    }

    pub fn usage(&self) -> u32 {
        self.usage
    }

    /// Encrypts in place. `buf.len()` is `etype.encrypted_len(n)` and the
    /// `n` plaintext bytes sit at `etype.plaintext_offset()`; the rest is
    /// overwritten (confounder, integrity tag). `confounder` has
    /// `etype.confounder_len()` bytes.
    pub fn encrypt_in_place(&self, confounder: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
        match &self.profile {
            Profile::Aes128Sha1(k) => k.encrypt_in_place(confounder, buf),
            Profile::Aes256Sha1(k) => k.encrypt_in_place(confounder, buf),
            Profile::Aes128Sha256(k) => k.encrypt_in_place(confounder, buf),
            Profile::Aes256Sha384(k) => k.encrypt_in_place(confounder, buf),
            Profile::Rc4(k) => k.encrypt_in_place(confounder, buf),
        }
    }

    /// [`Self::encrypt_in_place`] with a random confounder.
    pub fn encrypt_in_place_random(&self, buf: &mut [u8]) -> Result<(), CryptoError> {
        let mut confounder = Zeroizing::new([0u8; MAX_CONFOUNDER_LEN]);
        let c = &mut confounder[..self.etype.confounder_len()];
        fill_random(c)?;
        self.encrypt_in_place(c, buf)
    }

    /// Decrypts `buf` (a whole ciphertext) in place after or while checking
    /// its integrity in constant time; returns the plaintext's range in `buf`.
    pub fn decrypt_in_place(&self, buf: &mut [u8]) -> Result<Range<usize>, CryptoError> {
        match &self.profile {
            Profile::Aes128Sha1(k) => k.decrypt_in_place(buf),
            Profile::Aes256Sha1(k) => k.decrypt_in_place(buf),
            Profile::Aes128Sha256(k) => k.decrypt_in_place(buf),
            Profile::Aes256Sha384(k) => k.decrypt_in_place(buf),
            Profile::Rc4(k) => k.decrypt_in_place(buf),
        }
    }

    /// [`Self::encrypt_in_place_random`] with sign-only data: bytes the
    /// integrity tag covers at the given offsets of `buf`, not encrypted
    /// (MIT's `KRB5_CRYPTO_TYPE_SIGN_ONLY`; the DCE/RPC PDU header of a
    /// sealed PDU). etypes 17-20 only.
    pub fn encrypt_in_place_random_sign_only(
        &self,
        buf: &mut [u8],
        sign_only: &SignOnly<'_>,
    ) -> Result<(), CryptoError> {
        let mut confounder = Zeroizing::new([0u8; MAX_CONFOUNDER_LEN]);
        let c = &mut confounder[..self.etype.confounder_len()];
        fill_random(c)?;
        match &self.profile {
            Profile::Aes128Sha1(k) => k.encrypt_in_place_sign_only(c, buf, sign_only),
            Profile::Aes256Sha1(k) => k.encrypt_in_place_sign_only(c, buf, sign_only),
            Profile::Aes128Sha256(k) => k.encrypt_in_place_sign_only(c, buf, sign_only),
            Profile::Aes256Sha384(k) => k.encrypt_in_place_sign_only(c, buf, sign_only),
            Profile::Rc4(_) => Err(CryptoError::Unsupported),
        }
    }

    /// [`Self::decrypt_in_place`] with sign-only data (see
    /// [`Self::encrypt_in_place_random_sign_only`]).
    pub fn decrypt_in_place_sign_only(
        &self,
        buf: &mut [u8],
        sign_only: &SignOnly<'_>,
    ) -> Result<Range<usize>, CryptoError> {
        match &self.profile {
            Profile::Aes128Sha1(k) => k.decrypt_in_place_sign_only(buf, sign_only),
            Profile::Aes256Sha1(k) => k.decrypt_in_place_sign_only(buf, sign_only),
            Profile::Aes128Sha256(k) => k.decrypt_in_place_sign_only(buf, sign_only),
            Profile::Aes256Sha384(k) => k.decrypt_in_place_sign_only(buf, sign_only),
            Profile::Rc4(_) => Err(CryptoError::Unsupported),
        }
    }

    /// Encrypts `plaintext` with the given confounder into a new buffer.
    pub fn encrypt_with_confounder(
        &self,
        confounder: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let mut buf = vec![0u8; self.etype.encrypted_len(plaintext.len())];
        let at = self.etype.plaintext_offset();
        buf[at..at + plaintext.len()].copy_from_slice(plaintext);
        self.encrypt_in_place(confounder, &mut buf)?;
        Ok(buf)
    }

    /// Encrypts `plaintext` with a random confounder into a new buffer.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut confounder = Zeroizing::new([0u8; MAX_CONFOUNDER_LEN]);
        let c = &mut confounder[..self.etype.confounder_len()];
        fill_random(c)?;
        self.encrypt_with_confounder(c, plaintext)
    }

    /// Decrypts and checks `ciphertext`; the plaintext (moved to the front
    /// of the one copy made: the wiped-on-drop buffer keeps its capacity).
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        let range = self.decrypt_in_place(&mut buf)?;
        let len = range.len();
        buf.copy_within(range, 0);
        buf[len..].zeroize();
        buf.truncate(len);
        Ok(buf)
    }

    /// The keyed checksum of the etype's mandatory checksum type over the
    /// concatenation of `parts`.
    pub fn checksum(&self, parts: &[&[u8]]) -> Checksum {
        match &self.profile {
            Profile::Aes128Sha1(k) => k.checksum(parts),
            Profile::Aes256Sha1(k) => k.checksum(parts),
            Profile::Aes128Sha256(k) => k.checksum(parts),
            Profile::Aes256Sha384(k) => k.checksum(parts),
            Profile::Rc4(k) => k.checksum(parts),
        }
    }

    /// Compares `checksum` with the checksum of `parts` in constant time.
    pub fn verify_checksum(&self, parts: &[&[u8]], checksum: &[u8]) -> Result<(), CryptoError> {
        let expected = self.checksum(parts);
        if expected.len() == checksum.len() && bool::from(expected.ct_eq(checksum)) {
            Ok(())
        } else {
            Err(CryptoError::IntegrityCheckFailed)
        }
    }
}

/// Most usages one key keeps derived at a time (a GSS context uses four).
const CACHE_LIMIT: usize = 8;

/// A base key with the [`DerivedKeys`] of the usages asked for so far,
/// derived on first use (the oldest is dropped past a few usages).
pub struct DerivedKeyCache {
    key: Key,
    entries: Vec<DerivedKeys>,
}

impl fmt::Debug for DerivedKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DerivedKeyCache")
            .field("key", &self.key)
            .field(
                "usages",
                &self.entries.iter().map(|e| e.usage).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl DerivedKeyCache {
    pub fn new(key: Key) -> Self {
        DerivedKeyCache {
            key,
            entries: Vec::new(),
        }
    }

    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The derived keys of `usage`, derived now if not yet cached.
    pub fn get(&mut self, usage: u32) -> Result<&DerivedKeys, CryptoError> {
        let i = match self.entries.iter().position(|e| e.usage == usage) {
            Some(i) => i,
            None => {
                if self.entries.len() == CACHE_LIMIT {
                    self.entries.remove(0);
                }
                self.entries.push(DerivedKeys::new(&self.key, usage)?);
                self.entries.len() - 1
            }
        };
        Ok(&self.entries[i])
    }
}
