//! AES in CBC mode with ciphertext stealing, as Kerberos uses it (RFC 3962
//! §5, RFC 8009 §5): CBC-CS3 with a zero initial vector, where a message of
//! exactly one block is plain CBC (`cts::CbcCs3` would still swap, so that
//! case is an AES block encryption here). Composed of `cbc` (all blocks but
//! the last two) and `cts::CbcCs3` (the last two).

use aes::cipher::array::Array;
use aes::cipher::block_padding::NoPadding;
use aes::cipher::consts::U16;
use aes::cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, BlockSizeUser,
    InnerIvInit, KeyInit, KeySizeUser,
};
use aes::{Aes128, Aes256};
use cts::{CbcCs3, Decrypt, Encrypt};

use super::CryptoError;

/// AES block length in bytes (the cipher block size of etypes 17-20).
pub const BLOCK_LEN: usize = 16;

/// The AES variants the Kerberos etypes use (AES-128 and AES-256).
pub trait AesCipher:
    KeyInit + KeySizeUser + BlockCipherEncrypt + BlockCipherDecrypt + BlockSizeUser<BlockSize = U16>
{
}
impl AesCipher for Aes128 {}
impl AesCipher for Aes256 {}

/// A key schedule from raw key bytes (length checked).
pub fn cipher<C: AesCipher>(key: &[u8]) -> Result<C, CryptoError> {
    C::new_from_slice(key).map_err(|_| CryptoError::InvalidKeyLength)
}

/// Bytes before the last two blocks (the last one possibly partial) of a
/// message of `len` > 16 bytes: plain CBC, handed to the `cbc` crate, whose
/// loop runs inside the AES backend (`cts` calls the backend once per
/// block, a third slower); `CbcCs3` then steals over the last two.
fn cbc_len(len: usize) -> usize {
    (len - BLOCK_LEN - 1) / BLOCK_LEN * BLOCK_LEN
}

/// Encrypts `buf` (at least one block) in place, zero IV.
pub fn encrypt<C: AesCipher>(cipher: &C, buf: &mut [u8]) -> Result<(), CryptoError> {
    if buf.len() <= BLOCK_LEN {
        return encrypt_block(cipher, buf);
    }
    let (head, tail) = buf.split_at_mut(cbc_len(buf.len()));
    let mut iv = Array::default();
    if let Some(last) = head.len().checked_sub(BLOCK_LEN) {
        cbc::Encryptor::<&C>::inner_iv_init(cipher, &iv)
            .encrypt_padded::<NoPadding>(head, head.len())
            .map_err(|_| CryptoError::BufferLength)?;
        iv.copy_from_slice(&head[last..]);
    }
    CbcCs3::<&C>::inner_iv_init(cipher, &iv)
        .encrypt(tail)
        .map_err(|_| CryptoError::CiphertextTooShort)
}

/// Decrypts `buf` (at least one block) in place, zero IV.
pub fn decrypt<C: AesCipher>(cipher: &C, buf: &mut [u8]) -> Result<(), CryptoError> {
    if buf.len() <= BLOCK_LEN {
        let block: &mut Array<u8, U16> = buf
            .try_into()
            .map_err(|_| CryptoError::CiphertextTooShort)?;
        cipher.decrypt_block(block);
        return Ok(());
    }
    let (head, tail) = buf.split_at_mut(cbc_len(buf.len()));
    let mut iv = Array::default();
    if let Some(last) = head.len().checked_sub(BLOCK_LEN) {
        iv.copy_from_slice(&head[last..]);
        cbc::Decryptor::<&C>::inner_iv_init(cipher, &Array::default())
            .decrypt_padded::<NoPadding>(head)
            .map_err(|_| CryptoError::BufferLength)?;
    }
    CbcCs3::<&C>::inner_iv_init(cipher, &iv)
        .decrypt(tail)
        .map_err(|_| CryptoError::CiphertextTooShort)
}

/// One AES block encryption in place (CBC of one block with a zero IV).
pub fn encrypt_block<C: AesCipher>(cipher: &C, buf: &mut [u8]) -> Result<(), CryptoError> {
    let block: &mut Array<u8, U16> = buf
        .try_into()
        .map_err(|_| CryptoError::CiphertextTooShort)?;
    cipher.encrypt_block(block);
    Ok(())
}
