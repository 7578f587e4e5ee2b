//! Keys (secret, wiped on drop) and checksum values (not secret).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use once_cell::sync::OnceCell;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{usage, ChecksumType, CryptoError, DerivedKeys, EncryptionType, MAX_CHECKSUM_LEN};

/// A protocol key: etype and key bytes, wiped on drop; `Debug` shows the
/// etype only, and equality compares the bytes in constant time.
///
/// Clones share the key and the derived keys of the usages of the AP
/// exchange ([`SHARED_USAGES`]), derived on first use: a cached service
/// ticket's session key, or a keytab key, derives them once, not at every
/// handshake.
#[derive(Clone)]
pub struct Key {
    inner: Arc<KeyInner>,
}

struct KeyInner {
    etype: EncryptionType,
    bytes: Zeroizing<Vec<u8>>,
    /// One cell per [`SHARED_USAGES`] entry, allocated on first use.
    derived: OnceCell<Box<[OnceCell<DerivedKeys>; SHARED_USAGES.len()]>>,
}

/// The usages whose derived keys a key keeps: the ticket (2), the
/// authenticator (11) and the AP-REP (12).
pub const SHARED_USAGES: [u32; 3] = [
    usage::KDC_REP_TICKET,
    usage::AP_REQ_AUTH,
    usage::AP_REP_ENC_PART,
];

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("etype", &self.inner.etype)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.inner.etype == other.inner.etype
            && bool::from(self.inner.bytes.ct_eq(&other.inner.bytes))
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
            inner: Arc::new(KeyInner {
                etype,
                bytes: Zeroizing::new(bytes.to_vec()),
                derived: OnceCell::new(),
            }),
        })
    }

    pub fn etype(&self) -> EncryptionType {
        self.inner.etype
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.inner.bytes
    }

    /// The mandatory checksum type of this key's etype.
    pub fn checksum_type(&self) -> ChecksumType {
        self.inner.etype.checksum_type()
    }

    /// The derived keys of `usage` kept with the key (derived now on first
    /// use); `None` for a usage not in [`SHARED_USAGES`].
    pub(super) fn shared_derived(&self, usage: u32) -> Option<Result<&DerivedKeys, CryptoError>> {
        let i = SHARED_USAGES.iter().position(|u| *u == usage)?;
        let cells = self
            .inner
            .derived
            .get_or_init(|| Box::new([const { OnceCell::new() }; SHARED_USAGES.len()]));
        Some(cells[i].get_or_try_init(|| DerivedKeys::new(self, usage)))
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
