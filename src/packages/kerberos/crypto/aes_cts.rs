//! AES in CBC mode with ciphertext stealing, as Kerberos uses it (RFC 3962
//! §5, RFC 8009 §5): CBC-CS3 with a zero initial vector, where a message of
//! exactly one block is plain CBC (`cts::CbcCs3` would still swap, so that
//! case is an AES block encryption here). Composed of CBC over all blocks
//! but the last two (encryption: a loop inside the AES backend, see
//! [`CbcEncrypt`]; decryption: `cbc`, which decrypts 8-64 blocks at a time)
//! and `cts::CbcCs3` (the last two).

use aes::cipher::array::Array;
use aes::cipher::block_padding::NoPadding;
use aes::cipher::consts::U16;
use aes::cipher::inout::InOut;
use aes::cipher::{
    BlockCipherDecrypt, BlockCipherEncBackend, BlockCipherEncClosure, BlockCipherEncrypt,
    BlockModeDecrypt, BlockSizeUser, InnerIvInit, KeyInit, KeySizeUser,
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
/// message of `len` > 16 bytes: plain CBC, whose loop runs inside the AES
/// backend (`cts` calls the backend once per block, a third slower);
/// `CbcCs3` then steals over the last two.
fn cbc_len(len: usize) -> usize {
    (len - BLOCK_LEN - 1) / BLOCK_LEN * BLOCK_LEN
}

/// Which bytes an etype's MAC reads while CBC-CS3 encrypts, so that both
/// run over the message in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absorb {
    /// The plaintext, each piece before it is encrypted (RFC 3962:
    /// HMAC-SHA1 over confounder | plaintext).
    Plaintext,
    /// The ciphertext in order, each piece once encrypted (RFC 8009: HMAC
    /// over IV | ciphertext).
    Ciphertext,
}

/// Bytes handed to the MAC at a time: one SHA-1/SHA-256 block, four AES
/// blocks. CBC encryption and SHA-NI hashing are both serial dependency
/// chains of a few hundred cycles per 64 bytes; alternating them this
/// finely lets the CPU run one while the other waits (16 KiB with
/// aes256-sha1: 17.4 us instead of 24.5 us one after the other; 128 bytes
/// at a time already loses most of it: 21.2 us).
const STEP: usize = 64;

/// CBC encryption (NIST SP 800-38A §6.2) of whole blocks in place, run as
/// one closure inside the cipher's backend: the backend (and its round
/// keys) is chosen once per message and the chaining value stays in a
/// local, where `cbc::Encryptor` stores and reloads it through memory per
/// block (on the serial dependency chain: about 9 % slower for 16 KiB).
/// `iv` in, the last ciphertext block out; every [`STEP`] bytes go to
/// `absorb`, before or after their encryption.
struct CbcEncrypt<'a, F: FnMut(&[u8])> {
    iv: &'a mut Array<u8, U16>,
    buf: &'a mut [u8],
    when: Absorb,
    absorb: &'a mut F,
}

impl<F: FnMut(&[u8])> BlockSizeUser for CbcEncrypt<'_, F> {
    type BlockSize = U16;
}

impl<F: FnMut(&[u8])> BlockCipherEncClosure for CbcEncrypt<'_, F> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        let mut chain = *self.iv;
        for piece in self.buf.chunks_mut(STEP) {
            if self.when == Absorb::Plaintext {
                (self.absorb)(piece);
            }
            for block in piece.chunks_exact_mut(BLOCK_LEN) {
                for (c, p) in chain.iter_mut().zip(block.iter()) {
                    *c ^= *p;
                }
                backend.encrypt_block(InOut::from(&mut chain));
                block.copy_from_slice(&chain);
            }
            if self.when == Absorb::Ciphertext {
                (self.absorb)(piece);
            }
        }
        *self.iv = chain;
    }
}

/// Encrypts `buf` (at least one block) in place, zero IV.
pub fn encrypt<C: AesCipher>(cipher: &C, buf: &mut [u8]) -> Result<(), CryptoError> {
    encrypt_absorbing(cipher, buf, Absorb::Plaintext, |_| {})
}

/// [`encrypt`], handing the plaintext or the ciphertext (`when`) to
/// `absorb` as it goes, in order and exactly once: a MAC fed this way sees
/// the same bytes as one run over the whole buffer before or after.
pub fn encrypt_absorbing<C: AesCipher>(
    cipher: &C,
    buf: &mut [u8],
    when: Absorb,
    mut absorb: impl FnMut(&[u8]),
) -> Result<(), CryptoError> {
    if buf.len() <= BLOCK_LEN {
        let block: &mut Array<u8, U16> = buf
            .try_into()
            .map_err(|_| CryptoError::CiphertextTooShort)?;
        if when == Absorb::Plaintext {
            absorb(block);
        }
        cipher.encrypt_block(block);
        if when == Absorb::Ciphertext {
            absorb(block);
        }
        return Ok(());
    }
    let (head, tail) = buf.split_at_mut(cbc_len(buf.len()));
    let mut iv = Array::default();
    cipher.encrypt_with_backend(CbcEncrypt {
        iv: &mut iv,
        buf: head,
        when,
        absorb: &mut absorb,
    });
    if when == Absorb::Plaintext {
        absorb(tail);
    }
    CbcCs3::<&C>::inner_iv_init(cipher, &iv)
        .encrypt(tail)
        .map_err(|_| CryptoError::CiphertextTooShort)?;
    if when == Absorb::Ciphertext {
        absorb(tail);
    }
    Ok(())
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
