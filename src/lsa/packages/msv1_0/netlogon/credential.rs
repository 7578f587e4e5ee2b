//! The secure channel's session key and Netlogon credentials with AES
//! (MS-NRPC 3.1.4.3.1 "AES Session-Key", 3.1.4.4.1 "Netlogon Credential
//! Computation" with AES).

use aes::cipher::KeyIvInit;
use aes::Aes128;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// AES-128-CFB8 (RustCrypto `cfb8`, the block-mode generation of `aes`
/// 0.9 / `cipher` 0.5).
pub type Aes128Cfb8Enc = cfb8::Encryptor<Aes128>;
/// AES-128-CFB8 decryption.
pub type Aes128Cfb8Dec = cfb8::Decryptor<Aes128>;

/// The 16-byte session key of a secure channel (wiped on drop).
pub type SessionKey = Zeroizing<[u8; 16]>;

/// A Netlogon credential or challenge (MS-NRPC 2.2.1.3.4, 8 bytes).
pub type NetlogonCredential = [u8; 8];

/// AES-CFB8 encryption of `data` in place under `key` with the IV `iv`.
pub fn aes_cfb8_encrypt(key: &[u8; 16], iv: &[u8; 16], data: &mut [u8]) {
    Aes128Cfb8Enc::new(key.into(), iv.into()).encrypt(data);
}

/// AES-CFB8 decryption of `data` in place.
pub fn aes_cfb8_decrypt(key: &[u8; 16], iv: &[u8; 16], data: &mut [u8]) {
    Aes128Cfb8Dec::new(key.into(), iv.into()).decrypt(data);
}

/// 3.1.4.3.1: SessionKey = first 16 bytes of
/// HMAC-SHA256(NTOWFv1(machine password), ClientChallenge || ServerChallenge).
pub fn session_key_aes(
    machine_nt_owf: &[u8; 16],
    client_challenge: &NetlogonCredential,
    server_challenge: &NetlogonCredential,
) -> SessionKey {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(machine_nt_owf)
        .expect("HMAC accepts any key length");
    mac.update(client_challenge);
    mac.update(server_challenge);
    let full = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
    let mut key = SessionKey::default();
    key.copy_from_slice(&full[..16]);
    key
}

/// 3.1.4.4.1 ComputeNetlogonCredential with AES: AES-CFB8 of the 8-byte
/// input under the session key, IV zero.
pub fn compute_netlogon_credential(
    input: &NetlogonCredential,
    session_key: &[u8; 16],
) -> NetlogonCredential {
    let mut out = *input;
    aes_cfb8_encrypt(session_key, &[0u8; 16], &mut out);
    out
}

/// The client's view of a secure channel being set up (3.1.4.1): the
/// session key and the two credentials.
pub struct ChannelCredentials {
    pub session_key: SessionKey,
    pub client_credential: NetlogonCredential,
    server_challenge: NetlogonCredential,
}

impl ChannelCredentials {
    /// From the machine account's NT OWF and the two challenges.
    pub fn new(
        machine_nt_owf: &[u8; 16],
        client_challenge: &NetlogonCredential,
        server_challenge: &NetlogonCredential,
    ) -> Self {
        let session_key = session_key_aes(machine_nt_owf, client_challenge, server_challenge);
        let client_credential = compute_netlogon_credential(client_challenge, &session_key);
        ChannelCredentials {
            session_key,
            client_credential,
            server_challenge: *server_challenge,
        }
    }

    /// Whether the server's credential (NetrServerAuthenticate3's output)
    /// proves the server knows the same session key (constant time).
    pub fn verify_server_credential(&self, server_credential: &NetlogonCredential) -> bool {
        let expected = compute_netlogon_credential(&self.server_challenge, &self.session_key);
        bool::from(expected.ct_eq(server_credential))
    }
}

impl std::fmt::Debug for ChannelCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChannelCredentials { .. }")
    }
}
