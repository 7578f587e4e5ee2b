//! aes128-cts-hmac-sha256-128 (19) and aes256-cts-hmac-sha384-192 (20),
//! RFC 8009: keys per usage from KDF-HMAC-SHA2 (SP 800-108 counter mode),
//! encrypt-then-MAC with HMAC over IV | ciphertext.

use std::ops::Range;

use hmac::EagerHash;
use hmac::{Hmac, KeyInit, Mac};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::aes_cts::{self, Absorb, AesCipher, BLOCK_LEN};
use once_cell::sync::OnceCell;

use super::sign_only::{interleave, SignOnly};
use super::{hmac_keyed, Checksum, CryptoError, KeyKind, MAX_CHECKSUM_LEN};

fn hmac<D: EagerHash>(key: &[u8]) -> Result<Hmac<D>, CryptoError> {
    <Hmac<D> as KeyInit>::new_from_slice(key).map_err(|_| CryptoError::InvalidKeyLength)
}

/// KDF-HMAC-SHA2(key, label, context, k) (RFC 8009 §3): the first `out.len()`
/// bytes of HMAC(key, 00000001 | label | 00 | context | k), k in bits.
pub fn kdf<D: EagerHash>(
    key: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Result<(), CryptoError> {
    if out.len() > output_len::<D>() {
        return Err(CryptoError::InvalidKeyLength);
    }
    kdf_keyed(&hmac::<D>(key)?, label, context, out);
    Ok(())
}

fn output_len<D: EagerHash>() -> usize {
    <D as hmac::digest::OutputSizeUser>::output_size()
}

/// [`kdf`] with the HMAC already keyed (a base key's derivations share it);
/// `out` is at most the hash's output long (else only its start is written).
fn kdf_keyed<D: EagerHash>(key: &Hmac<D>, label: &[u8], context: &[u8], out: &mut [u8]) {
    let mut m = key.clone();
    m.update(&1u32.to_be_bytes());
    m.update(label);
    m.update(&[0]);
    m.update(context);
    m.update(&((out.len() as u32) * 8).to_be_bytes());
    let mut full = m.finalize().into_bytes();
    let n = out.len().min(full.len());
    out[..n].copy_from_slice(&full[..n]);
    full.as_mut_slice().zeroize();
}

/// The derived key of a usage (RFC 8009 §5): KDF(key, usage | kind, len).
pub fn derive<D: EagerHash>(
    key: &[u8],
    usage: u32,
    kind: KeyKind,
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if len > output_len::<D>() {
        return Err(CryptoError::InvalidKeyLength);
    }
    Ok(derive_keyed(&hmac::<D>(key)?, usage, kind, len))
}

/// [`derive`] with the base key's HMAC already keyed; `len` is at most the
/// hash's output.
fn derive_keyed<D: EagerHash>(
    base: &Hmac<D>,
    usage: u32,
    kind: KeyKind,
    len: usize,
) -> Zeroizing<Vec<u8>> {
    let u = usage.to_be_bytes();
    let mut out = Zeroizing::new(vec![0u8; len]);
    kdf_keyed(base, &[u[0], u[1], u[2], u[3], kind as u8], &[], &mut out);
    out
}

/// string-to-key (RFC 8009 §4): KDF(PBKDF2-HMAC-SHA2(password,
/// etype name | 00 | salt, iterations, key length), "kerberos").
pub fn string_to_key<C: AesCipher, D: EagerHash>(
    etype_name: &str,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut saltp = Vec::with_capacity(etype_name.len() + 1 + salt.len());
    saltp.extend_from_slice(etype_name.as_bytes());
    saltp.push(0);
    saltp.extend_from_slice(salt);
    let mut tkey = Zeroizing::new(vec![0u8; C::key_size()]);
    pbkdf2::pbkdf2_hmac::<D>(password, &saltp, iterations, &mut tkey);
    let mut key = Zeroizing::new(vec![0u8; C::key_size()]);
    kdf::<D>(&tkey, b"kerberos", &[], &mut key)?;
    Ok(key)
}

/// PRF (RFC 8009 §5): KDF(key, "prf", input, hash length).
pub fn prf<D: EagerHash>(key: &[u8], input: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut out = Zeroizing::new(vec![
        0u8;
        <D as hmac::digest::OutputSizeUser>::output_size()
    ]);
    kdf::<D>(key, b"prf", input, &mut out)?;
    Ok(out)
}

/// Ke, Ki and Kc of one (key, usage) with the tag length `h` (16 for 19,
/// 24 for 20), each derived on first use and kept.
#[derive(Clone)]
pub struct Keys<C: AesCipher, D: EagerHash> {
    /// The base key, for the KDF (its HMAC is keyed when a key is derived).
    base: Zeroizing<aes::cipher::Key<C>>,
    usage: u32,
    /// Ke and Ki (always used together).
    enc: OnceCell<(C, Hmac<D>)>,
    kc: OnceCell<Hmac<D>>,
    tag_len: usize,
}

impl<C: AesCipher, D: EagerHash> Keys<C, D> {
    /// Keys of `key` for `usage`; nothing is derived yet.
    pub fn new(key: &[u8], usage: u32, tag_len: usize) -> Result<Self, CryptoError> {
        if tag_len > output_len::<D>().min(MAX_CHECKSUM_LEN) || C::key_size() > output_len::<D>() {
            return Err(CryptoError::InvalidKeyLength);
        }
        let base =
            aes::cipher::Key::<C>::try_from(key).map_err(|_| CryptoError::InvalidKeyLength)?;
        Ok(Keys {
            base: Zeroizing::new(base),
            usage,
            enc: OnceCell::new(),
            kc: OnceCell::new(),
            tag_len,
        })
    }

    fn base(&self) -> Hmac<D> {
        hmac_keyed(&self.base)
    }

    fn enc(&self) -> Result<&(C, Hmac<D>), CryptoError> {
        self.enc.get_or_try_init(|| {
            let base = self.base();
            let ke = derive_keyed(&base, self.usage, KeyKind::Ke, C::key_size());
            let ki = derive_keyed(&base, self.usage, KeyKind::Ki, self.tag_len);
            Ok((aes_cts::cipher(&ke)?, hmac_keyed(&ki)))
        })
    }

    fn kc(&self) -> &Hmac<D> {
        self.kc.get_or_init(|| {
            let kc = derive_keyed(&self.base(), self.usage, KeyKind::Kc, self.tag_len);
            hmac_keyed(&kc)
        })
    }

    fn tag(&self, mac: &Hmac<D>, parts: &[&[u8]]) -> [u8; MAX_CHECKSUM_LEN] {
        let mut m = mac.clone();
        for p in parts {
            m.update(p);
        }
        let full = m.finalize().into_bytes();
        let mut out = [0u8; MAX_CHECKSUM_LEN];
        out[..self.tag_len].copy_from_slice(&full[..self.tag_len]);
        out
    }

    /// `buf` = confounder | plaintext | room for the tag; the HMAC covers the
    /// (zero) IV and the ciphertext, each piece hashed once encrypted (one
    /// pass, see [`aes_cts::encrypt_absorbing`]).
    pub fn encrypt_in_place(&self, confounder: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
        if confounder.len() != BLOCK_LEN {
            return Err(CryptoError::InvalidConfounderLength);
        }
        if buf.len() < BLOCK_LEN + self.tag_len {
            return Err(CryptoError::BufferLength);
        }
        let (ke, ki) = self.enc()?;
        let body = buf.len() - self.tag_len;
        buf[..BLOCK_LEN].copy_from_slice(confounder);
        let mut mac = ki.clone();
        mac.update(&[0u8; BLOCK_LEN]);
        aes_cts::encrypt_absorbing(ke, &mut buf[..body], Absorb::Ciphertext, |c| mac.update(c))?;
        buf[body..].copy_from_slice(&mac.finalize().into_bytes()[..self.tag_len]);
        Ok(())
    }

    /// Checks the tag (constant time) before decrypting in place; the
    /// plaintext's range in `buf` on success.
    pub fn decrypt_in_place(&self, buf: &mut [u8]) -> Result<Range<usize>, CryptoError> {
        if buf.len() < BLOCK_LEN + self.tag_len {
            return Err(CryptoError::CiphertextTooShort);
        }
        let (ke, ki) = self.enc()?;
        let body = buf.len() - self.tag_len;
        let t = self.tag(ki, &[&[0u8; BLOCK_LEN], &buf[..body]]);
        if !bool::from(t[..self.tag_len].ct_eq(&buf[body..])) {
            return Err(CryptoError::IntegrityCheckFailed);
        }
        aes_cts::decrypt(ke, &mut buf[..body])?;
        Ok(BLOCK_LEN..body)
    }

    /// [`Self::encrypt_in_place`] with sign-only data: the tag covers the
    /// IV and the ciphertext with `sign_only` inserted at its offsets (MIT's
    /// iov order), which are not encrypted.
    pub fn encrypt_in_place_sign_only(
        &self,
        confounder: &[u8],
        buf: &mut [u8],
        sign_only: &SignOnly<'_>,
    ) -> Result<(), CryptoError> {
        if confounder.len() != BLOCK_LEN {
            return Err(CryptoError::InvalidConfounderLength);
        }
        if buf.len() < BLOCK_LEN + self.tag_len {
            return Err(CryptoError::BufferLength);
        }
        let body = buf.len() - self.tag_len;
        let (ke, ki) = self.enc()?;
        buf[..BLOCK_LEN].copy_from_slice(confounder);
        aes_cts::encrypt(ke, &mut buf[..body])?;
        let mut parts: Vec<&[u8]> = vec![&[0u8; BLOCK_LEN]];
        parts.extend(interleave(&buf[..body], sign_only)?);
        let t = self.tag(ki, &parts);
        buf[body..].copy_from_slice(&t[..self.tag_len]);
        Ok(())
    }

    /// [`Self::decrypt_in_place`] with sign-only data (see
    /// [`Self::encrypt_in_place_sign_only`]).
    pub fn decrypt_in_place_sign_only(
        &self,
        buf: &mut [u8],
        sign_only: &SignOnly<'_>,
    ) -> Result<Range<usize>, CryptoError> {
        if buf.len() < BLOCK_LEN + self.tag_len {
            return Err(CryptoError::CiphertextTooShort);
        }
        let body = buf.len() - self.tag_len;
        let (ke, ki) = self.enc()?;
        let mut parts: Vec<&[u8]> = vec![&[0u8; BLOCK_LEN]];
        parts.extend(interleave(&buf[..body], sign_only)?);
        let t = self.tag(ki, &parts);
        if !bool::from(t[..self.tag_len].ct_eq(&buf[body..])) {
            return Err(CryptoError::IntegrityCheckFailed);
        }
        aes_cts::decrypt(ke, &mut buf[..body])?;
        Ok(BLOCK_LEN..body)
    }

    /// hmac-sha256-128-aes128 / hmac-sha384-192-aes256 (RFC 8009 §5).
    pub fn checksum(&self, parts: &[&[u8]]) -> Checksum {
        Checksum::new(&self.tag(self.kc(), parts)[..self.tag_len])
    }
}
