//! Keys (secret, wiped on drop) and checksum values (not secret).

use std::fmt;
use std::ops::Deref;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{ChecksumType, CryptoError, EncryptionType, MAX_CHECKSUM_LEN};

/// A protocol key: etype and key bytes, wiped on drop; `Debug` shows the
/// etype only, and equality compares the bytes in constant time.
#[derive(Clone)]
pub struct Key {
    etype: EncryptionType,
    bytes: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("etype", &self.etype)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.etype == other.etype && bool::from(self.bytes.ct_eq(&other.bytes))
    }
}

impl Eq for Key {}

impl Key {
    /// A key of `etype` from its bytes (length checked).
    pub fn new(etype: EncryptionType, bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != etype.key_len() {
            return Err(CryptoError::InvalidKeyLength);
        }
        Ok(Key {
            etype,
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    pub fn etype(&self) -> EncryptionType {
        self.etype
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The mandatory checksum type of this key's etype.
    pub fn checksum_type(&self) -> ChecksumType {
        self.etype.checksum_type()
    }
}

/// A checksum or integrity tag (not secret), at most [`MAX_CHECKSUM_LEN`]
/// bytes, without allocation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Checksum {
    bytes: [u8; MAX_CHECKSUM_LEN],
    len: usize,
}

impl Checksum {
    pub(super) fn new(value: &[u8]) -> Self {
        let mut bytes = [0u8; MAX_CHECKSUM_LEN];
        let len = value.len().min(MAX_CHECKSUM_LEN);
        bytes[..len].copy_from_slice(&value[..len]);
        Checksum { bytes, len }
    }
}

impl Deref for Checksum {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl AsRef<[u8]> for Checksum {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.iter() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}
