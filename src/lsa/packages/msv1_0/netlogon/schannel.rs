//! The Netlogon secure channel as an RPC security provider (auth type
//! SCHANNEL 0x44) with AES at RPC_C_AUTHN_LEVEL_PKT_PRIVACY: the bind's
//! NL_AUTH_MESSAGE (MS-NRPC 2.2.1.3.1) and the NL_AUTH_SHA2_SIGNATURE of
//! each sealed PDU (2.2.1.3.3, 3.3.4.2.1 "Generating an Initial
//! NL_AUTH_MESSAGE / sealing", 3.3.4.2.2 "Receiving a Message").

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::credential::{aes_cfb8_decrypt, aes_cfb8_encrypt, SessionKey};

/// RPC auth type of the Netlogon secure channel (MS-RPCE 2.2.1.1.7).
pub const RPC_C_AUTHN_NETLOGON: u8 = 0x44;
/// NL_AUTH_SHA2_SIGNATURE's size on the wire.
pub const SHA2_SIGNATURE_LEN: usize = 56;
/// Where the checksum (its first 8 bytes) and the confounder are: Windows
/// uses the NL_AUTH_SIGNATURE offsets inside the 56-byte SHA2 signature
/// (and Samba follows it), not 2.2.1.3.3's 32-byte Checksum at 16 and
/// Confounder at 48; the rest is zero.
const CHECKSUM: std::ops::Range<usize> = 16..24;
const CONFOUNDER: std::ops::Range<usize> = 24..32;
/// SignatureAlgorithm HMAC-SHA256.
const SIGN_HMAC_SHA256: u16 = 0x0013;
/// SealAlgorithm AES-128.
const SEAL_AES128: u16 = 0x001a;

/// NL_AUTH_MESSAGE of the bind (2.2.1.3.1): a request (MessageType 0)
/// with the NetBIOS domain and computer names as OEM strings (Flags 0x3).
pub fn nl_auth_message(domain: &str, computer: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(8 + domain.len() + computer.len() + 2);
    m.extend_from_slice(&0u32.to_le_bytes());
    m.extend_from_slice(&3u32.to_le_bytes());
    for s in [domain, computer] {
        m.extend(s.bytes().filter(|b| *b != 0));
        m.push(0);
    }
    m
}

/// Whether a bind_ack's auth value is an NL_AUTH_MESSAGE response
/// (MessageType 1).
pub fn is_nl_auth_response(v: &[u8]) -> bool {
    v.len() >= 8 && v[..4] == 1u32.to_le_bytes()
}

/// Why an incoming signature was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    Malformed,
    /// The sequence number is not the expected one (replay, reorder).
    Sequence,
    /// The checksum does not match (tampered or wrong key).
    Checksum,
}

/// The sealing state of an established channel, the client side
/// (3.3.4.2): one sequence number, incremented after each outgoing and
/// each incoming message, as the server does.
pub struct SchannelSeal {
    session_key: SessionKey,
    sealing_key: SessionKey,
    sequence: u64,
    initiator: bool,
}

impl SchannelSeal {
    /// The client's sealing state from the channel's session key.
    pub fn client(session_key: &[u8; 16]) -> Self {
        Self::with_role(session_key, true)
    }

    /// The server's sealing state (tests; a reference for the peer).
    pub fn server(session_key: &[u8; 16]) -> Self {
        Self::with_role(session_key, false)
    }

    fn with_role(session_key: &[u8; 16], initiator: bool) -> Self {
        let mut sealing_key = SessionKey::new(*session_key);
        sealing_key.iter_mut().for_each(|b| *b ^= 0xf0);
        SchannelSeal {
            session_key: SessionKey::new(*session_key),
            sealing_key,
            sequence: 0,
            initiator,
        }
    }

    /// 3.3.4.2.1 step 3: the 8-byte sequence number, big-endian, with 0x80
    /// in byte 4 when the sender is the client.
    fn sequence_bytes(&self, from_initiator: bool) -> [u8; 8] {
        let mut s = [0u8; 8];
        s[..4].copy_from_slice(&(self.sequence as u32).to_be_bytes());
        s[4..].copy_from_slice(&((self.sequence >> 32) as u32).to_be_bytes());
        if from_initiator {
            s[4] |= 0x80;
        }
        s
    }

    fn header() -> [u8; 8] {
        let mut h = [0u8; 8];
        h[..2].copy_from_slice(&SIGN_HMAC_SHA256.to_le_bytes());
        h[2..4].copy_from_slice(&SEAL_AES128.to_le_bytes());
        h[4..6].copy_from_slice(&0xffffu16.to_le_bytes());
        h
    }

    /// HMAC-SHA256(SessionKey, header || confounder || plaintext).
    fn checksum(&self, header: &[u8], confounder: &[u8], plain: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.session_key[..])
            .expect("HMAC accepts any key length");
        mac.update(header);
        mac.update(confounder);
        mac.update(plain);
        mac.finalize().into_bytes().into()
    }

    fn doubled(half: &[u8]) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv[..8].copy_from_slice(&half[..8]);
        iv[8..].copy_from_slice(&half[..8]);
        iv
    }

    /// Seals `data` in place with a fresh random confounder and returns
    /// the NL_AUTH_SHA2_SIGNATURE (3.3.4.2.1).
    pub fn seal(&mut self, data: &mut [u8]) -> [u8; SHA2_SIGNATURE_LEN] {
        let mut confounder = [0u8; 8];
        getrandom::fill(&mut confounder).expect("OS random source");
        self.seal_with(data, confounder)
    }

    /// [`Self::seal`] with a given confounder (known-answer tests).
    pub fn seal_with(&mut self, data: &mut [u8], mut confounder: [u8; 8]) -> [u8; 56] {
        let header = Self::header();
        let mut seq = self.sequence_bytes(self.initiator);
        let checksum = self.checksum(&header, &confounder, data);
        // Confounder then data: one AES-CFB8 stream, IV = sequence number twice.
        let mut stream = Zeroizing::new(Vec::with_capacity(8 + data.len()));
        stream.extend_from_slice(&confounder);
        stream.extend_from_slice(data);
        aes_cfb8_encrypt(&self.sealing_key, &Self::doubled(&seq), &mut stream);
        confounder.copy_from_slice(&stream[..8]);
        data.copy_from_slice(&stream[8..]);
        aes_cfb8_encrypt(&self.session_key, &Self::doubled(&checksum), &mut seq);
        self.sequence += 1;
        let mut sig = [0u8; SHA2_SIGNATURE_LEN];
        sig[..8].copy_from_slice(&header);
        sig[8..16].copy_from_slice(&seq);
        sig[CHECKSUM].copy_from_slice(&checksum[..8]);
        sig[CONFOUNDER].copy_from_slice(&confounder);
        sig
    }

    /// Unseals `data` in place and checks `sig` (3.3.4.2.2): algorithms,
    /// sequence number, checksum (constant time). `data` is left
    /// unspecified on error.
    pub fn unseal(&mut self, data: &mut [u8], sig: &[u8]) -> Result<(), SignatureError> {
        if sig.len() < SHA2_SIGNATURE_LEN || sig[..8] != Self::header() {
            return Err(SignatureError::Malformed);
        }
        let mut seq: [u8; 8] = sig[8..16].try_into().expect("8 bytes");
        aes_cfb8_decrypt(&self.session_key, &Self::doubled(&sig[16..24]), &mut seq);
        let expected = self.sequence_bytes(!self.initiator);
        if !bool::from(seq.ct_eq(&expected)) {
            return Err(SignatureError::Sequence);
        }
        let mut stream = Zeroizing::new(Vec::with_capacity(8 + data.len()));
        stream.extend_from_slice(&sig[CONFOUNDER]);
        stream.extend_from_slice(data);
        aes_cfb8_decrypt(&self.sealing_key, &Self::doubled(&seq), &mut stream);
        let checksum = self.checksum(&sig[..8], &stream[..8], &stream[8..]);
        if !bool::from(checksum[..8].ct_eq(&sig[CHECKSUM])) {
            return Err(SignatureError::Checksum);
        }
        data.copy_from_slice(&stream[8..]);
        self.sequence += 1;
        Ok(())
    }
}

impl std::fmt::Debug for SchannelSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchannelSeal")
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}
