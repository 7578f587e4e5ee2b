//! rc4-hmac (23), RFC 4757: the key is the NT OWF; per message
//! K1 = HMAC-MD5(K, usage), checksum = HMAC-MD5(K1, confounder | data),
//! K3 = HMAC-MD5(K1, checksum), ciphertext = checksum | RC4(K3, confounder |
//! data). The keyed checksum hmac-md5 (-138) uses
//! Ksign = HMAC-MD5(K, "signaturekey\0").

use std::ops::Range;

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::{Checksum, CryptoError};
use crate::packages::ntlm::crypto::{hmac_md5, hmac_md5_keyed, hmac_md5_with, rc4k, HmacMd5};

/// Length of the HMAC-MD5 checksum that starts the ciphertext.
pub const CHECKSUM_LEN: usize = 16;
/// Length of the confounder (RFC 4757 §5).
pub const CONFOUNDER_LEN: usize = 8;

/// The Microsoft usage numbers (RFC 4757 §3): 3 → 8, 9 → 8, 23 → 13, for
/// encryption and checksums alike.
pub fn ms_usage(usage: u32) -> u32 {
    match usage {
        3 | 9 => 8,
        23 => 13,
        u => u,
    }
}

/// K1 and Ksign of one (key, usage) as keyed HMAC-MD5 states.
#[derive(Clone)]
pub struct Keys {
    k1: HmacMd5,
    ksign: HmacMd5,
    usage_le: [u8; 4],
}

impl Keys {
    pub fn new(key: &[u8], usage: u32) -> Self {
        let usage_le = ms_usage(usage).to_le_bytes();
        let k1 = Zeroizing::new(hmac_md5(key, &[&usage_le]));
        let ksign = Zeroizing::new(hmac_md5(key, &[b"signaturekey\0"]));
        Keys {
            k1: hmac_md5_keyed(&k1[..]),
            ksign: hmac_md5_keyed(&ksign[..]),
            usage_le,
        }
    }

    /// `buf` = room for the checksum | confounder | plaintext.
    pub fn encrypt_in_place(&self, confounder: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
        if confounder.len() != CONFOUNDER_LEN {
            return Err(CryptoError::InvalidConfounderLength);
        }
        if buf.len() < CHECKSUM_LEN + CONFOUNDER_LEN {
            return Err(CryptoError::BufferLength);
        }
        let (cksum, data) = buf.split_at_mut(CHECKSUM_LEN);
        data[..CONFOUNDER_LEN].copy_from_slice(confounder);
        let c = hmac_md5_with(&self.k1, &[data]);
        let k3 = Zeroizing::new(hmac_md5_with(&self.k1, &[&c]));
        rc4k(&k3[..], data);
        cksum.copy_from_slice(&c);
        Ok(())
    }

    /// Decrypts in place and checks the checksum in constant time; the
    /// plaintext's range in `buf`. On failure the decrypted bytes are wiped.
    pub fn decrypt_in_place(&self, buf: &mut [u8]) -> Result<Range<usize>, CryptoError> {
        if buf.len() < CHECKSUM_LEN + CONFOUNDER_LEN {
            return Err(CryptoError::CiphertextTooShort);
        }
        let len = buf.len();
        let (cksum, data) = buf.split_at_mut(CHECKSUM_LEN);
        let k3 = Zeroizing::new(hmac_md5_with(&self.k1, &[cksum]));
        rc4k(&k3[..], data);
        let c = hmac_md5_with(&self.k1, &[data]);
        if bool::from(c.ct_eq(cksum)) {
            Ok(CHECKSUM_LEN + CONFOUNDER_LEN..len)
        } else {
            data.zeroize();
            Err(CryptoError::IntegrityCheckFailed)
        }
    }

    /// hmac-md5 (RFC 4757 §4): HMAC-MD5(Ksign, MD5(usage | data)).
    pub fn checksum(&self, parts: &[&[u8]]) -> Checksum {
        let mut h = Md5::new();
        h.update(self.usage_le);
        for p in parts {
            h.update(p);
        }
        let tmp: [u8; 16] = h.finalize().into();
        Checksum::new(&hmac_md5_with(&self.ksign, &[&tmp]))
    }
}
