//! Session security (MS-NLMP 3.4): MakeSignature / VerifySignature /
//! EncryptMessage / DecryptMessage over SSPI buffers, in place.
//!
//! * With extended session security (3.4.4.2) each direction has its own
//!   SIGNKEY, RC4 handle and sequence number; the checksum is
//!   HMAC_MD5(SigningKey, SeqNum || Message)[0..8], RC4-encrypted with the
//!   sealing handle when KEY_EXCH was negotiated.
//! * Without it (3.4.4.1: NTLMv1, or a server that does not offer ESS) the
//!   checksum is CRC32 and, as Windows and Wine do, one RC4 handle and one
//!   sequence counter serve both directions (BEHAVIOURS.md 90-91).
//! * Without SIGN or SEAL, Make/VerifySignature use the dummy signature
//!   `01 00 .. 00` (items 81-82) and advance nothing; Encrypt/Decrypt still
//!   seal with the session keys (item 89).
//!
//! Buffers: DATA is signed and encrypted; DATA|READONLY_WITH_CHECKSUM is
//! signed only; DATA|READONLY and every other type are ignored; the first
//! TOKEN receives/holds the 16-byte signature.
//!
//! Status codes: no TOKEN or no DATA → SEC_E_INVALID_TOKEN; TOKEN shorter
//! than 16 bytes → SEC_E_BUFFER_TOO_SMALL; a checksum mismatch →
//! SEC_E_MESSAGE_ALTERED (the message still counts as received, so the key
//! stream and counter stay in step with the sender and the next genuine
//! message verifies). With ESS the SeqNum travels in clear and is checked
//! first: a replayed or reordered message is SEC_E_OUT_OF_SEQUENCE and
//! consumes nothing. Without ESS the SeqNum is encrypted, so a replay is
//! SEC_E_MESSAGE_ALTERED.

use rc4::{Rc4, StreamCipher};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::crypto::{hmac_md5_keyed, rc4_init, seal_key, sign_key, HmacMd5};
use super::flags::*;
use crate::sspi::buffers::find_buffer;
use crate::sspi::consts::{SECBUFFER_DATA, SECBUFFER_TOKEN};
use crate::sspi::{MessageBuffer, SecResult, SecStatus};
use hmac::Mac;

/// Size of NTLMSSP_MESSAGE_SIGNATURE (2.2.2.9).
pub const SIGNATURE_LEN: usize = 16;

/// The dummy signature used when neither SIGN nor SEAL was negotiated.
pub const DUMMY_SIGNATURE: [u8; 16] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// The running checksum of one message.
enum Checksum {
    Hmac(HmacMd5),
    Crc(crc32fast::Hasher),
}

impl Checksum {
    fn update(&mut self, data: &[u8]) {
        match self {
            Checksum::Hmac(m) => m.update(data),
            Checksum::Crc(c) => c.update(data),
        }
    }
}

/// One direction's keys (with ESS) or the shared state (without).
struct Direction {
    sign: Option<HmacMd5>,
    seal: Rc4,
    seq: u32,
    /// Key-stream bytes consumed so far (to rebuild the handle on import).
    pos: u64,
}

impl Direction {
    fn rc4(&mut self, data: &mut [u8]) {
        self.seal.apply_keystream(data);
        self.pos += data.len() as u64;
    }
}

/// The sealing state of an established context.
pub struct SealingState {
    flags: u32,
    out: Direction,
    /// `None` without ESS: `out` serves both directions.
    inbound: Option<Direction>,
}

/// What an export saves: enough to rebuild the handles.
#[derive(Clone, Copy, Default)]
pub struct SealingPosition {
    pub seq_out: u32,
    pub seq_in: u32,
    pub pos_out: u64,
    pub pos_in: u64,
}

impl SealingState {
    /// Keys for `flags` and the ExportedSessionKey (3.2.5.1.2 / 3.1.5.1.2).
    pub fn new(flags: u32, exported: &[u8; 16], is_client: bool) -> Self {
        let direction = |client_to_server: bool| {
            let sk = seal_key(flags, exported, client_to_server);
            Direction {
                sign: (flags & ESS != 0)
                    .then(|| hmac_md5_keyed(&sign_key(exported, client_to_server)[..])),
                seal: rc4_init(&sk),
                seq: 0,
                pos: 0,
            }
        };
        let out = direction(is_client);
        let inbound = (flags & ESS != 0).then(|| direction(!is_client));
        SealingState {
            flags,
            out,
            inbound,
        }
    }

    /// Rebuild a state at `p` (ImportSecurityContext).
    pub fn resume(flags: u32, exported: &[u8; 16], is_client: bool, p: SealingPosition) -> Self {
        let mut s = Self::new(flags, exported, is_client);
        skip(&mut s.out, p.pos_out);
        s.out.seq = p.seq_out;
        if let Some(i) = s.inbound.as_mut() {
            skip(i, p.pos_in);
            i.seq = p.seq_in;
        }
        s
    }

    pub fn position(&self) -> SealingPosition {
        let i = self.inbound.as_ref().unwrap_or(&self.out);
        SealingPosition {
            seq_out: self.out.seq,
            seq_in: i.seq,
            pos_out: self.out.pos,
            pos_in: i.pos,
        }
    }

    fn signing(&self) -> bool {
        self.flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL) != 0
    }

    /// MakeSignature (3.4.3 MAC without sealing).
    pub fn make_signature(&mut self, msg: &mut [MessageBuffer<'_>]) -> SecResult<()> {
        let token = token_index(msg)?;
        if !self.signing() {
            return write_token(msg, token, &DUMMY_SIGNATURE);
        }
        let sig = self.protect(msg, false)?;
        write_token(msg, token, &sig)
    }

    /// EncryptMessage (3.4.3 SEAL).
    pub fn encrypt(&mut self, msg: &mut [MessageBuffer<'_>]) -> SecResult<()> {
        let token = token_index(msg)?;
        let sig = self.protect(msg, true)?;
        write_token(msg, token, &sig)
    }

    /// VerifySignature.
    pub fn verify_signature(&mut self, msg: &mut [MessageBuffer<'_>]) -> SecResult<()> {
        let sig = read_token(msg)?;
        if !self.signing() {
            return if bool::from(sig.ct_eq(&DUMMY_SIGNATURE)) {
                Ok(())
            } else {
                Err(SecStatus::MessageAltered)
            };
        }
        self.unprotect(msg, &sig, false)
    }

    /// DecryptMessage.
    pub fn decrypt(&mut self, msg: &mut [MessageBuffer<'_>]) -> SecResult<()> {
        let sig = read_token(msg)?;
        self.unprotect(msg, &sig, true)
    }

    /// Sign (and with `seal` encrypt) the outgoing message; returns the signature.
    fn protect(&mut self, msg: &mut [MessageBuffer<'_>], seal: bool) -> SecResult<[u8; 16]> {
        let key_exch = self.flags & NTLMSSP_NEGOTIATE_KEY_EXCH != 0;
        let d = &mut self.out;
        let seq = d.seq;
        let mut sum = start(d, seq);
        walk(msg, &mut sum, seal.then_some(&mut *d), true)?;
        let sig = finish(sum, d, seq, key_exch);
        d.seq = d.seq.wrapping_add(1);
        Ok(sig)
    }

    /// Verify (and with `seal` decrypt) an incoming message against `sig`.
    fn unprotect(
        &mut self,
        msg: &mut [MessageBuffer<'_>],
        sig: &[u8; 16],
        seal: bool,
    ) -> SecResult<()> {
        let key_exch = self.flags & NTLMSSP_NEGOTIATE_KEY_EXCH != 0;
        let ess = self.inbound.is_some();
        let d = self.inbound.as_mut().unwrap_or(&mut self.out);
        if sig[..4] != [1, 0, 0, 0] {
            return Err(SecStatus::MessageAltered);
        }
        let seq = d.seq;
        if ess && sig[12..] != seq.to_le_bytes() {
            return Err(SecStatus::OutOfSequence);
        }
        let mut sum = start(d, seq);
        walk(msg, &mut sum, seal.then_some(&mut *d), false)?;
        let expected = finish(sum, d, seq, key_exch);
        // The message is consumed either way, keeping the key stream and
        // the counter in step with the sender.
        d.seq = d.seq.wrapping_add(1);
        if !bool::from(expected[4..].ct_eq(&sig[4..])) {
            return Err(SecStatus::MessageAltered);
        }
        Ok(())
    }
}

/// Discard `n` key-stream bytes.
fn skip(d: &mut Direction, mut n: u64) {
    let mut zero = [0u8; 256];
    while n > 0 {
        let k = n.min(256) as usize;
        d.rc4(&mut zero[..k]);
        n -= k as u64;
    }
}

fn start(d: &Direction, seq: u32) -> Checksum {
    match &d.sign {
        Some(m) => {
            let mut m = m.clone();
            m.update(&seq.to_le_bytes());
            Checksum::Hmac(m)
        }
        None => Checksum::Crc(crc32fast::Hasher::new()),
    }
}

/// The 16-byte NTLMSSP_MESSAGE_SIGNATURE (3.4.4.1 / 3.4.4.2).
fn finish(sum: Checksum, d: &mut Direction, seq: u32, key_exch: bool) -> [u8; 16] {
    let mut sig = [0u8; 16];
    sig[0] = 1;
    match sum {
        Checksum::Hmac(m) => {
            let full = Zeroizing::new(<[u8; 16]>::from(m.finalize().into_bytes()));
            sig[4..12].copy_from_slice(&full[..8]);
            if key_exch {
                d.rc4(&mut sig[4..12]);
            }
            sig[12..].copy_from_slice(&seq.to_le_bytes());
        }
        Checksum::Crc(c) => {
            // RandomPad(0) || CRC32 || SeqNum through RC4, then RandomPad := 0.
            sig[8..12].copy_from_slice(&c.finalize().to_le_bytes());
            sig[12..].copy_from_slice(&seq.to_le_bytes());
            d.rc4(&mut sig[4..]);
            sig[4..8].fill(0);
        }
    }
    sig
}

/// Feed the message to the checksum, (de)crypting DATA buffers on the way.
fn walk(
    msg: &mut [MessageBuffer<'_>],
    sum: &mut Checksum,
    mut rc4: Option<&mut Direction>,
    outgoing: bool,
) -> SecResult<()> {
    for b in msg.iter_mut() {
        if b.kind != SECBUFFER_DATA || b.is_readonly() {
            continue;
        }
        match rc4.as_deref_mut() {
            Some(d) if !b.is_readonly_with_checksum() => {
                let data = b.bytes_mut().ok_or(SecStatus::InvalidToken)?;
                if outgoing {
                    sum.update(data);
                    d.rc4(data);
                } else {
                    d.rc4(data);
                    sum.update(data);
                }
            }
            _ => sum.update(b.bytes()),
        }
    }
    Ok(())
}

/// The TOKEN buffer, after checking that a DATA buffer exists and the
/// token can hold a signature.
fn token_index(msg: &[MessageBuffer<'_>]) -> SecResult<usize> {
    let t = find_buffer(msg, SECBUFFER_TOKEN).ok_or(SecStatus::InvalidToken)?;
    if find_buffer(msg, SECBUFFER_DATA).is_none() {
        return Err(SecStatus::InvalidToken);
    }
    if msg[t].len() < SIGNATURE_LEN {
        return Err(SecStatus::BufferTooSmall);
    }
    Ok(t)
}

fn write_token(msg: &mut [MessageBuffer<'_>], t: usize, sig: &[u8; 16]) -> SecResult<()> {
    let tok = &mut msg[t];
    let bytes = tok.bytes_mut().ok_or(SecStatus::InvalidToken)?;
    bytes[..SIGNATURE_LEN].copy_from_slice(sig);
    tok.truncate(SIGNATURE_LEN);
    Ok(())
}

fn read_token(msg: &[MessageBuffer<'_>]) -> SecResult<[u8; 16]> {
    let t = token_index(msg)?;
    let mut sig = [0u8; 16];
    sig.copy_from_slice(&msg[t].bytes()[..SIGNATURE_LEN]);
    Ok(sig)
}

#[cfg(test)]
impl SealingState {
    /// A state from explicit SIGNKEY/SEALKEY (both directions share them),
    /// for the MS-NLMP 4.2 sealing vectors.
    pub fn with_keys(flags: u32, sign: &[u8], seal: &[u8]) -> Self {
        let direction = || Direction {
            sign: (flags & ESS != 0).then(|| hmac_md5_keyed(sign)),
            seal: rc4_init(seal),
            seq: 0,
            pos: 0,
        };
        SealingState {
            flags,
            out: direction(),
            inbound: (flags & ESS != 0).then(direction),
        }
    }
}
