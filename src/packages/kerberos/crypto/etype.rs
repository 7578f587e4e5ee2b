//! Encryption types, their keyed checksum types and sizes (RFC 3961 §8,
//! RFC 3962, RFC 8009, RFC 4757), and the kinds of derived keys.

use super::{aes_cts, aes_sha1, rc4_hmac, CryptoError};

/// Encryption types (RFC 3961 §8, RFC 3962, RFC 8009, RFC 4757).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncryptionType {
    Aes128CtsHmacSha196 = 17,
    Aes256CtsHmacSha196 = 18,
    Aes128CtsHmacSha256128 = 19,
    Aes256CtsHmacSha384192 = 20,
    Rc4Hmac = 23,
}

/// Keyed checksum types, the mandatory one of each etype (RFC 3961 §8,
/// RFC 3962 §7, RFC 8009 §8, RFC 4757 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumType {
    HmacSha196Aes128 = 15,
    HmacSha196Aes256 = 16,
    HmacSha256128Aes128 = 19,
    HmacSha384192Aes256 = 20,
    HmacMd5 = -138,
}

/// Which key of a usage (RFC 3961 §5.3): Kc (checksums), Ke (encryption),
/// Ki (integrity of ciphertexts). The value is the last byte of the DK/KDF
/// constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Kc = 0x99,
    Ke = 0xAA,
    Ki = 0x55,
}

impl EncryptionType {
    pub fn from_i32(etype: i32) -> Result<Self, CryptoError> {
        Ok(match etype {
            17 => Self::Aes128CtsHmacSha196,
            18 => Self::Aes256CtsHmacSha196,
            19 => Self::Aes128CtsHmacSha256128,
            20 => Self::Aes256CtsHmacSha384192,
            23 => Self::Rc4Hmac,
            other => return Err(CryptoError::UnsupportedEtype(other)),
        })
    }

    /// The etype number as sent on the wire.
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// The RFC name (also the RFC 8009 string-to-key salt prefix).
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes128CtsHmacSha196 => "aes128-cts-hmac-sha1-96",
            Self::Aes256CtsHmacSha196 => "aes256-cts-hmac-sha1-96",
            Self::Aes128CtsHmacSha256128 => "aes128-cts-hmac-sha256-128",
            Self::Aes256CtsHmacSha384192 => "aes256-cts-hmac-sha384-192",
            Self::Rc4Hmac => "arcfour-hmac",
        }
    }

    /// The etype of an RFC name or one of MIT's aliases (krb5.conf).
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.to_ascii_lowercase();
        Some(match n.as_str() {
            "aes128-cts-hmac-sha1-96" | "aes128-cts" | "aes128-sha1" => Self::Aes128CtsHmacSha196,
            "aes256-cts-hmac-sha1-96" | "aes256-cts" | "aes256-sha1" => Self::Aes256CtsHmacSha196,
            "aes128-cts-hmac-sha256-128" | "aes128-sha2" => Self::Aes128CtsHmacSha256128,
            "aes256-cts-hmac-sha384-192" | "aes256-sha2" => Self::Aes256CtsHmacSha384192,
            "arcfour-hmac" | "rc4-hmac" | "arcfour-hmac-md5" => Self::Rc4Hmac,
            _ => return None,
        })
    }

    /// Key length in bytes (also the random-to-key input length).
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128CtsHmacSha196 | Self::Aes128CtsHmacSha256128 | Self::Rc4Hmac => 16,
            Self::Aes256CtsHmacSha196 | Self::Aes256CtsHmacSha384192 => 32,
        }
    }

    /// Confounder length in bytes (the AES block, or 8 for rc4-hmac).
    pub fn confounder_len(self) -> usize {
        match self {
            Self::Rc4Hmac => rc4_hmac::CONFOUNDER_LEN,
            _ => aes_cts::BLOCK_LEN,
        }
    }

    /// Length of the integrity tag in a ciphertext, which is also the length
    /// of the etype's checksum: 12 (17, 18), 16 (19, 23), 24 (20).
    pub fn checksum_len(self) -> usize {
        match self {
            Self::Aes128CtsHmacSha196 | Self::Aes256CtsHmacSha196 => aes_sha1::TAG_LEN,
            Self::Aes128CtsHmacSha256128 => 16,
            Self::Aes256CtsHmacSha384192 => 24,
            Self::Rc4Hmac => rc4_hmac::CHECKSUM_LEN,
        }
    }

    /// Cipher block size (16 for AES, 1 for the RC4 stream cipher). No
    /// padding is ever needed: CTS and RC4 take any length.
    pub fn block_size(self) -> usize {
        match self {
            Self::Rc4Hmac => 1,
            _ => aes_cts::BLOCK_LEN,
        }
    }

    /// Length of the ciphertext of `plaintext_len` bytes.
    pub fn encrypted_len(self, plaintext_len: usize) -> usize {
        self.confounder_len() + plaintext_len + self.checksum_len()
    }

    /// Where the plaintext sits in an in-place buffer (see
    /// [`super::DerivedKeys::encrypt_in_place`]): after the confounder for AES
    /// (confounder | data | tag), after checksum and confounder for rc4-hmac
    /// (checksum | confounder | data).
    pub fn plaintext_offset(self) -> usize {
        match self {
            Self::Rc4Hmac => rc4_hmac::CHECKSUM_LEN + rc4_hmac::CONFOUNDER_LEN,
            _ => aes_cts::BLOCK_LEN,
        }
    }

    /// The plaintext length of a ciphertext of `ciphertext_len` bytes, or
    /// `None` when it is too short to be one.
    pub fn plaintext_len(self, ciphertext_len: usize) -> Option<usize> {
        ciphertext_len.checked_sub(self.encrypted_len(0))
    }

    /// The etype's mandatory keyed checksum type.
    pub fn checksum_type(self) -> ChecksumType {
        match self {
            Self::Aes128CtsHmacSha196 => ChecksumType::HmacSha196Aes128,
            Self::Aes256CtsHmacSha196 => ChecksumType::HmacSha196Aes256,
            Self::Aes128CtsHmacSha256128 => ChecksumType::HmacSha256128Aes128,
            Self::Aes256CtsHmacSha384192 => ChecksumType::HmacSha384192Aes256,
            Self::Rc4Hmac => ChecksumType::HmacMd5,
        }
    }
}

impl ChecksumType {
    pub fn from_i32(cksumtype: i32) -> Option<Self> {
        Some(match cksumtype {
            15 => Self::HmacSha196Aes128,
            16 => Self::HmacSha196Aes256,
            19 => Self::HmacSha256128Aes128,
            20 => Self::HmacSha384192Aes256,
            -138 => Self::HmacMd5,
            _ => return None,
        })
    }

    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// The etype whose keys compute this checksum.
    pub fn etype(self) -> EncryptionType {
        match self {
            Self::HmacSha196Aes128 => EncryptionType::Aes128CtsHmacSha196,
            Self::HmacSha196Aes256 => EncryptionType::Aes256CtsHmacSha196,
            Self::HmacSha256128Aes128 => EncryptionType::Aes128CtsHmacSha256128,
            Self::HmacSha384192Aes256 => EncryptionType::Aes256CtsHmacSha384192,
            Self::HmacMd5 => EncryptionType::Rc4Hmac,
        }
    }

    /// Checksum length in bytes.
    pub fn size(self) -> usize {
        self.etype().checksum_len()
    }
}
