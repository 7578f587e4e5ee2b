//! aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18): RFC 3962
//! on the RFC 3961 simplified profile. Keys per usage come from DK with
//! n-fold; the integrity tag is HMAC-SHA1 of the plaintext (with its
//! confounder), truncated to 96 bits.

use std::ops::Range;

use hmac::{Hmac, KeyInit, Mac};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::aes_cts::{self, Absorb, AesCipher, BLOCK_LEN};
use super::nfold::n_fold;
use super::sign_only::{interleave, SignOnly};
use super::{Checksum, CryptoError, KeyKind};

/// Length of the truncated HMAC-SHA1 (RFC 3962 §6: 96 bits).
pub const TAG_LEN: usize = 12;

/// DK(key, constant) (RFC 3961 §5.1): random-to-key (identity for AES) of
/// DR, the AES encryptions chained from n-fold(constant, 128), truncated to
/// the key length.
pub fn dk<C: AesCipher>(key: &[u8], constant: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let cipher: C = aes_cts::cipher(key)?;
    let mut block = Zeroizing::new([0u8; BLOCK_LEN]);
    block.copy_from_slice(&n_fold(constant, BLOCK_LEN));
    let mut out = Zeroizing::new(vec![0u8; key.len()]);
    for chunk in out.chunks_mut(BLOCK_LEN) {
        aes_cts::encrypt_block(&cipher, &mut block[..])?;
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
    Ok(out)
}

/// The DK constant of a usage: usage (32-bit big-endian) | 0x99/0xAA/0x55.
pub fn usage_constant(usage: u32, kind: KeyKind) -> [u8; 5] {
    let u = usage.to_be_bytes();
    [u[0], u[1], u[2], u[3], kind as u8]
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

/// Ke, Ki and Kc of one (key, usage), ready to use: the AES key schedule
/// and the keyed HMAC states (cloned per message).
#[derive(Clone)]
pub struct Keys<C: AesCipher> {
    ke: C,
    ki: Hmac<Sha1>,
    kc: Hmac<Sha1>,
}

fn hmac_sha1(key: &[u8]) -> Result<Hmac<Sha1>, CryptoError> {
    <Hmac<Sha1> as KeyInit>::new_from_slice(key).map_err(|_| CryptoError::InvalidKeyLength)
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
    pub fn new(key: &[u8], usage: u32) -> Result<Self, CryptoError> {
        let ke = dk::<C>(key, &usage_constant(usage, KeyKind::Ke))?;
        let ki = dk::<C>(key, &usage_constant(usage, KeyKind::Ki))?;
        let kc = dk::<C>(key, &usage_constant(usage, KeyKind::Kc))?;
        Ok(Keys {
            ke: aes_cts::cipher(&ke)?,
            ki: hmac_sha1(&ki)?,
            kc: hmac_sha1(&kc)?,
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
        let body = buf.len() - TAG_LEN;
        buf[..BLOCK_LEN].copy_from_slice(confounder);
        let mut mac = self.ki.clone();
        aes_cts::encrypt_absorbing(&self.ke, &mut buf[..body], Absorb::Plaintext, |p| {
            mac.update(p)
        })?;
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
        let body = buf.len() - TAG_LEN;
        aes_cts::decrypt(&self.ke, &mut buf[..body])?;
        let t = tag(&self.ki, &[&buf[..body]]);
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
        buf[..BLOCK_LEN].copy_from_slice(confounder);
        let t = tag(&self.ki, &interleave(&buf[..body], sign_only)?);
        aes_cts::encrypt(&self.ke, &mut buf[..body])?;
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
        aes_cts::decrypt(&self.ke, &mut buf[..body])?;
        let t = tag(&self.ki, &interleave(&buf[..body], sign_only)?);
        if bool::from(t.ct_eq(&buf[body..])) {
            Ok(BLOCK_LEN..body)
        } else {
            buf[..body].zeroize();
            Err(CryptoError::IntegrityCheckFailed)
        }
    }

    /// hmac-sha1-96-aes128/256 (RFC 3962 §7) over the concatenated parts.
    pub fn checksum(&self, parts: &[&[u8]]) -> Checksum {
        Checksum::new(&tag(&self.kc, parts))
    }
}
