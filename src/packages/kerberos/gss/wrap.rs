//! RFC 4121 §4.2.6.2 Wrap tokens (etypes 17-20):
//! `05 04 | Flags | FF | EC (2) | RRC (2) | SND_SEQ (8) | payload`, where the
//! payload, rotated right by RRC bytes (§4.2.5), is
//! - sealed: E(KG-USAGE-*-SEAL, message | EC filler bytes | header with
//!   RRC 0) — the confounder first, the integrity tag last;
//! - integrity only: message | checksum(KG-USAGE-*-SEAL, message | header
//!   with EC and RRC 0), EC = the checksum length. SEAL, not SIGN: RFC 4121
//!   §2 gives the SEAL usages to Wrap tokens whether sealed or not (as MIT
//!   does); SIGN is for MIC tokens.
//!
//! Two layouts are made: the whole token with RRC 0 (MIT's gss_wrap), and
//! the split one of SSPI's EncryptMessage `[TOKEN, DATA]` (MS-KILE
//! 3.4.5.4.1): EC 0 and RRC = 16 + tag length when sealed, EC = RRC = the
//! checksum length otherwise, so that TOKEN holds the header and the
//! rotated trailer and DATA exactly the (encrypted) message. Any EC and RRC
//! are accepted on receipt.

use crate::packages::kerberos::crypto::EncryptionType;
use std::ops::Range;

use super::keys::{Profile, FLAG_SEALED};
use super::{gather_rotated_left, GssError, PerMessageKeys};
use crate::packages::kerberos::crypto::{CryptoError, DerivedKeys};

pub const TOK_ID: [u8; 2] = [0x05, 0x04];
pub const HEADER_LEN: usize = 16;

pub(super) fn seal_keys(keys: &PerMessageKeys) -> &DerivedKeys {
    match &keys.profile {
        Profile::Cfx { seal, .. } => seal,
        Profile::Rc4(_) => unreachable!("RFC 4121 token with rc4-hmac keys"),
    }
}

pub(super) fn header(flags: u8, ec: u16, rrc: u16, seq: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..2].copy_from_slice(&TOK_ID);
    h[2] = flags;
    h[3] = 0xFF;
    h[4..6].copy_from_slice(&ec.to_be_bytes());
    h[6..8].copy_from_slice(&rrc.to_be_bytes());
    h[8..].copy_from_slice(&seq.to_be_bytes());
    h
}

pub(super) fn flags(keys: &PerMessageKeys, conf: bool) -> u8 {
    keys.cfx_flags() | if conf { FLAG_SEALED } else { 0 }
}

/// Bytes the split layout puts in SSPI's TOKEN buffer: the header, then the
/// encrypted header copy, tag and confounder (sealed: 60 for AES-SHA1), or
/// the checksum (integrity only: 28).
pub fn split_token_len(e: EncryptionType, conf: bool) -> usize {
    if conf {
        HEADER_LEN + e.confounder_len() + HEADER_LEN + e.checksum_len()
    } else {
        HEADER_LEN + e.checksum_len()
    }
}

/// The whole Wrap token of `message` (GSS_Wrap), RRC 0 and EC 0 when
/// sealed, as MIT makes it.
pub fn wrap(
    keys: &PerMessageKeys,
    seq: u64,
    conf: bool,
    message: &[u8],
) -> Result<Vec<u8>, GssError> {
    let seal = seal_keys(keys);
    let e = keys.etype();
    if conf {
        let h = header(flags(keys, true), 0, 0, seq);
        let mut out = vec![0u8; HEADER_LEN + e.encrypted_len(message.len() + HEADER_LEN)];
        out[..HEADER_LEN].copy_from_slice(&h);
        let at = HEADER_LEN + e.plaintext_offset();
        out[at..at + message.len()].copy_from_slice(message);
        out[at + message.len()..at + message.len() + HEADER_LEN].copy_from_slice(&h);
        seal.encrypt_in_place_random(&mut out[HEADER_LEN..])?;
        Ok(out)
    } else {
        let t = e.checksum_len();
        let h0 = header(flags(keys, false), 0, 0, seq);
        let cksum = seal.checksum(&[message, &h0]);
        let h = header(flags(keys, false), t as u16, 0, seq);
        let mut out = Vec::with_capacity(HEADER_LEN + message.len() + t);
        out.extend_from_slice(&h);
        out.extend_from_slice(message);
        out.extend_from_slice(&cksum);
        Ok(out)
    }
}

/// The split layout (SSPI EncryptMessage, MS-KILE 3.4.5.4.1): writes the
/// header and rotated trailer to `token` (at least [`split_token_len`]
/// bytes; the length written is returned) and encrypts `message` in place.
/// `scratch` is reused between calls (CTS needs the message contiguous with
/// the confounder and header copy).
pub fn wrap_split(
    keys: &PerMessageKeys,
    seq: u64,
    conf: bool,
    token: &mut [u8],
    message: &mut [u8],
    scratch: &mut Vec<u8>,
) -> Result<usize, GssError> {
    let need = split_token_len(keys.etype(), conf);
    if token.len() < need {
        return Err(GssError::BufferTooSmall);
    }
    let seal = seal_keys(keys);
    let e = keys.etype();
    let t = e.checksum_len();
    let n = message.len();
    if conf {
        let c = e.confounder_len();
        let rrc = (HEADER_LEN + t) as u16;
        let h0 = header(flags(keys, true), 0, 0, seq);
        scratch.clear();
        scratch.resize(e.encrypted_len(n + HEADER_LEN), 0);
        let at = e.plaintext_offset();
        scratch[at..at + n].copy_from_slice(message);
        scratch[at + n..at + n + HEADER_LEN].copy_from_slice(&h0);
        seal.encrypt_in_place_random(scratch)?;
        // The ciphertext is confounder(c) | message(n) | header(16) | tag(t);
        // rotated right by 16 + t: header copy and tag, then confounder
        // into TOKEN, the message stays in DATA.
        token[..HEADER_LEN].copy_from_slice(&header(flags(keys, true), 0, rrc, seq));
        token[HEADER_LEN..HEADER_LEN + HEADER_LEN + t].copy_from_slice(&scratch[c + n..]);
        token[HEADER_LEN + HEADER_LEN + t..need].copy_from_slice(&scratch[..c]);
        message.copy_from_slice(&scratch[c..c + n]);
    } else {
        let h0 = header(flags(keys, false), 0, 0, seq);
        let cksum = seal.checksum(&[message, &h0]);
        token[..HEADER_LEN].copy_from_slice(&header(flags(keys, false), t as u16, t as u16, seq));
        token[HEADER_LEN..need].copy_from_slice(&cksum);
    }
    Ok(need)
}

/// A verified Wrap token: where its message is, whether it was sealed, its
/// sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub conf: bool,
    pub seq: u64,
    /// The message: its range in `scratch`, or `None` when it is the DATA
    /// buffer as received (integrity only, split layout).
    pub in_scratch: Option<Range<usize>>,
}

/// The fields of a Wrap token's 16-byte header.
#[derive(Debug, Clone, Copy)]
pub(super) struct Header {
    pub conf: bool,
    pub ec: usize,
    pub rrc: usize,
    pub seq: u64,
}

/// Checks a Wrap token's header (token id, filler, flags for `keys`'
/// direction and subkey); its fields, the header bytes and the rest.
pub(super) fn parse_header<'t>(
    keys: &PerMessageKeys,
    token: &'t [u8],
) -> Result<(Header, &'t [u8], &'t [u8]), GssError> {
    if token.len() < HEADER_LEN {
        return Err(GssError::DefectiveToken);
    }
    let (h, body) = token.split_at(HEADER_LEN);
    if h[..2] != TOK_ID || h[3] != 0xFF {
        return Err(GssError::DefectiveToken);
    }
    keys.check_cfx_flags(h[2])?;
    let fields = Header {
        conf: h[2] & FLAG_SEALED != 0,
        ec: u16::from_be_bytes([h[4], h[5]]) as usize,
        rrc: u16::from_be_bytes([h[6], h[7]]) as usize,
        seq: u64::from_be_bytes(h[8..].try_into().expect("8 bytes")),
    };
    Ok((fields, h, body))
}

/// The encrypted copy of the header matches the header (its RRC is not
/// compared, as MIT does not).
pub(super) fn header_copy_matches(copy: &[u8], h: &[u8]) -> Result<(), GssError> {
    if copy[..6] != h[..6] || copy[8..] != h[8..] {
        return Err(GssError::BadSig);
    }
    Ok(())
}

/// Verifies (and decrypts into `scratch`) the Wrap token whose header and
/// first payload bytes are `token` and whose payload continues in `data`
/// (empty for a whole token). Nothing is written to `data`.
pub fn open(
    keys: &PerMessageKeys,
    token: &[u8],
    data: &[u8],
    scratch: &mut Vec<u8>,
) -> Result<Opened, GssError> {
    let (Header { conf, ec, rrc, seq }, h, body) = parse_header(keys, token)?;
    let total = body.len() + data.len();
    if total == 0 {
        return Err(GssError::DefectiveToken);
    }
    let r = rrc % total;
    let seal = seal_keys(keys);
    let e = keys.etype();
    if conf {
        if total < e.encrypted_len(ec + HEADER_LEN) {
            return Err(GssError::DefectiveToken);
        }
        gather_rotated_left(scratch, &[body, data], r);
        let range = match seal.decrypt_in_place(scratch) {
            Ok(range) => range,
            // MS-KILE 3.4.5.4.1: Windows rotates sealed tokens with a
            // non-zero EC (DCE style, EC 16) by RRC + EC, not RRC.
            Err(CryptoError::IntegrityCheckFailed) if ec != 0 => {
                gather_rotated_left(scratch, &[body, data], (rrc + ec) % total);
                seal.decrypt_in_place(scratch)?
            }
            Err(e) => return Err(e.into()),
        };
        // message | filler (EC) | header copy.
        let end = range.end - HEADER_LEN;
        header_copy_matches(&scratch[end..range.end], h)?;
        Ok(Opened {
            conf,
            seq,
            in_scratch: Some(range.start..end - ec),
        })
    } else {
        let t = e.checksum_len();
        if ec != t || total < t {
            return Err(GssError::DefectiveToken);
        }
        let mut h0 = [0u8; HEADER_LEN];
        h0.copy_from_slice(h);
        h0[4..8].fill(0);
        if r == t && body.len() == t {
            // Windows' split layout: TOKEN = header | checksum, DATA = message.
            seal.verify_checksum(&[data, &h0], body)?;
            return Ok(Opened {
                conf,
                seq,
                in_scratch: None,
            });
        }
        gather_rotated_left(scratch, &[body, data], r);
        let (msg, cksum) = scratch.split_at(total - t);
        seal.verify_checksum(&[msg, &h0], cksum)?;
        Ok(Opened {
            conf,
            seq,
            in_scratch: Some(0..total - t),
        })
    }
}
