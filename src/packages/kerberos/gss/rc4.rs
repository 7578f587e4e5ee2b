//! RFC 4757 §7.2 and §7.3 tokens of rc4-hmac (etype 23) contexts, framed
//! as RFC 1964 tokens (RFC 2743 §3.1):
//! - MIC `01 01 | SGN_ALG 11 00 | FF FF FF FF | SND_SEQ (8) | SGN_CKSUM (8)`;
//! - Wrap `02 01 | 11 00 | SEAL_ALG 10 00 (RC4) or FF FF (none) | FF FF |
//!   SND_SEQ (8) | SGN_CKSUM (8) | Confounder (8)` then the message.
//!
//! SGN_CKSUM = first 8 bytes of HMAC-MD5(Ksign, MD5(salt | header (8) |
//! [confounder |] message)), salt 15 (MIC) or 13 (Wrap); SND_SEQ = the
//! 32-bit sequence number (big-endian) then 4 direction bytes (00 from the
//! initiator, FF from the acceptor), RC4-encrypted with
//! HMAC(HMAC(Kss, 0), SGN_CKSUM); sealing is RC4 with
//! HMAC(HMAC(Kss ^ F0.., 0), sequence number) over confounder | message.
//!
//! The whole token (MIT's gss_wrap) frames the message too and ends it with
//! one pad byte 01; the split layout of SSPI (`[TOKEN, DATA]`) frames only
//! the 45-byte header part (the DCE-style layout of MIT's gss_wrap_iov)
//! and adds no pad. On receipt the framing length tells which one it is.

use rc4::StreamCipher;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::framing::{self, Mech};
use super::keys::{Profile, Rc4Keys};
use super::{GssError, MessagePart, PerMessageKeys, Role};
use crate::packages::ntlm::crypto::{hmac_md5_with, rc4_init};

pub const MIC_TOK_ID: [u8; 2] = [0x01, 0x01];
pub const WRAP_TOK_ID: [u8; 2] = [0x02, 0x01];
const SGN_ALG_HMAC_MD5: [u8; 2] = [0x11, 0x00];
const SEAL_ALG_RC4: [u8; 2] = [0x10, 0x00];
const SEAL_ALG_NONE: [u8; 2] = [0xFF, 0xFF];
/// Token id to the end of SGN_CKSUM.
const MIC_INNER_LEN: usize = 24;
/// Token id to the end of the confounder.
pub const WRAP_INNER_LEN: usize = 32;
const CONFOUNDER_LEN: usize = 8;

fn rc4_keys(keys: &PerMessageKeys) -> &Rc4Keys {
    match &keys.profile {
        Profile::Rc4(k) => k,
        Profile::Cfx { .. } => unreachable!("RFC 4757 token with RFC 4121 keys"),
    }
}

fn direction(sender: Role) -> [u8; 4] {
    match sender {
        Role::Initiator => [0; 4],
        Role::Acceptor => [0xFF; 4],
    }
}

/// Encrypts or decrypts SND_SEQ (RC4 is its own inverse).
fn crypt_seq(k: &Rc4Keys, cksum: &[u8], snd_seq: &mut [u8]) {
    let kseq = Zeroizing::new(hmac_md5_with(&k.seq, &[cksum]));
    rc4_init(&kseq[..]).apply_keystream(snd_seq);
}

/// The RC4 state sealing the message of sequence number `seq`.
fn sealing_cipher(k: &Rc4Keys, seq: u32) -> rc4::Rc4 {
    let kcrypt = Zeroizing::new(hmac_md5_with(&k.crypt, &[&seq.to_be_bytes()]));
    rc4_init(&kcrypt[..])
}

/// Length of a MIC token (framing included): 37.
pub fn mic_len(mech: Mech) -> usize {
    framing::frame_header(mech, MIC_INNER_LEN).len() + MIC_INNER_LEN
}

/// Length of the split layout's TOKEN part: 45.
pub fn split_token_len(mech: Mech) -> usize {
    framing::frame_header(mech, WRAP_INNER_LEN).len() + WRAP_INNER_LEN
}

/// The MIC token of `message` (RFC 4757 §7.2).
pub fn get_mic(keys: &PerMessageKeys, mech: Mech, seq: u32, message: &[u8]) -> Vec<u8> {
    let k = rc4_keys(keys);
    let mut inner = [0xFFu8; MIC_INNER_LEN];
    inner[..2].copy_from_slice(&MIC_TOK_ID);
    inner[2..4].copy_from_slice(&SGN_ALG_HMAC_MD5);
    let cksum = k.mic_sign.checksum(&[&inner[..8], message]);
    inner[16..24].copy_from_slice(&cksum[..8]);
    inner[8..12].copy_from_slice(&seq.to_be_bytes());
    inner[12..16].copy_from_slice(&direction(keys.sender()));
    let (head, tail) = inner.split_at_mut(16);
    crypt_seq(k, &tail[..8], &mut head[8..16]);
    framing::frame(mech, &inner)
}

/// Decrypts and checks SND_SEQ; the sequence number.
fn open_seq(keys: &PerMessageKeys, inner: &[u8]) -> Result<u32, GssError> {
    let mut snd_seq = [0u8; 8];
    snd_seq.copy_from_slice(&inner[8..16]);
    crypt_seq(rc4_keys(keys), &inner[16..24], &mut snd_seq);
    if snd_seq[4..] != direction(keys.sender()) {
        return Err(GssError::BadSig);
    }
    Ok(u32::from_be_bytes(
        snd_seq[..4].try_into().expect("4 bytes"),
    ))
}

fn check_cksum(expected: &[u8], received: &[u8]) -> Result<(), GssError> {
    if bool::from(expected[..8].ct_eq(received)) {
        Ok(())
    } else {
        Err(GssError::BadSig)
    }
}

/// Verifies a MIC token over `message`; its sequence number.
pub fn verify_mic(keys: &PerMessageKeys, token: &[u8], message: &[u8]) -> Result<u32, GssError> {
    let f = framing::parse(token)?;
    let inner = f.inner;
    if !f.rest.is_empty() || inner.len() != MIC_INNER_LEN {
        return Err(GssError::DefectiveToken);
    }
    if inner[..2] != MIC_TOK_ID || inner[2..4] != SGN_ALG_HMAC_MD5 || inner[4..8] != [0xFF; 4] {
        return Err(GssError::DefectiveToken);
    }
    let k = rc4_keys(keys);
    let cksum = k.mic_sign.checksum(&[&inner[..8], message]);
    check_cksum(&cksum, &inner[16..24])?;
    open_seq(keys, inner)
}

/// Fills the 32-byte inner header and seals the DATA parts of `body`
/// (message, pad) in place; the checksum covers every part in order
/// (sign-only ones included: MIT's `kg_make_checksum_iov_v1`).
fn seal(
    keys: &PerMessageKeys,
    seq: u32,
    conf: bool,
    inner: &mut [u8; WRAP_INNER_LEN],
    body: &mut [MessagePart<'_>],
) -> Result<(), GssError> {
    let k = rc4_keys(keys);
    inner[..2].copy_from_slice(&WRAP_TOK_ID);
    inner[2..4].copy_from_slice(&SGN_ALG_HMAC_MD5);
    inner[4..6].copy_from_slice(if conf { &SEAL_ALG_RC4 } else { &SEAL_ALG_NONE });
    inner[6..8].fill(0xFF);
    crate::sspi::random::fill(&mut inner[24..32]).map_err(|_| GssError::Random)?;
    let cksum = {
        let mut parts: Vec<&[u8]> = vec![&inner[..8], &inner[24..32]];
        parts.extend(body.iter().map(|b| b.bytes()));
        k.wrap_sign.checksum(&parts)
    };
    inner[16..24].copy_from_slice(&cksum[..8]);
    inner[8..12].copy_from_slice(&seq.to_be_bytes());
    inner[12..16].copy_from_slice(&direction(keys.sender()));
    let (head, tail) = inner.split_at_mut(16);
    crypt_seq(k, &tail[..8], &mut head[8..16]);
    if conf {
        let mut c = sealing_cipher(k, seq);
        c.apply_keystream(&mut inner[24..32]);
        for b in body.iter_mut() {
            if let MessagePart::Data(b) = b {
                c.apply_keystream(b);
            }
        }
    }
    Ok(())
}

/// The whole Wrap token of `message` (RFC 4757 §7.3), as MIT makes it.
pub fn wrap(
    keys: &PerMessageKeys,
    mech: Mech,
    seq: u32,
    conf: bool,
    message: &[u8],
) -> Result<Vec<u8>, GssError> {
    let mut inner = [0u8; WRAP_INNER_LEN];
    let mut body = Zeroizing::new(Vec::with_capacity(message.len() + 1));
    body.extend_from_slice(message);
    body.push(1);
    seal(
        keys,
        seq,
        conf,
        &mut inner,
        &mut [MessagePart::Data(&mut body[..])],
    )?;
    let mut out = framing::frame_header(mech, WRAP_INNER_LEN + body.len());
    out.extend_from_slice(&inner);
    out.extend_from_slice(&body);
    Ok(out)
}

/// The split layout: the framed 32-byte header to `token` (its length is
/// returned), `message` sealed in place, no pad.
pub fn wrap_split(
    keys: &PerMessageKeys,
    mech: Mech,
    seq: u32,
    conf: bool,
    token: &mut [u8],
    message: &mut [u8],
) -> Result<usize, GssError> {
    wrap_parts(
        keys,
        mech,
        seq,
        conf,
        token,
        &mut [MessagePart::Data(message)],
    )
}

/// The split layout over a message in several buffers (the DCE-style
/// layout of MIT's `gss_wrap_iov`): the DATA parts sealed in place, in
/// order, the sign-only ones checksummed where they stand.
pub fn wrap_parts(
    keys: &PerMessageKeys,
    mech: Mech,
    seq: u32,
    conf: bool,
    token: &mut [u8],
    message: &mut [MessagePart<'_>],
) -> Result<usize, GssError> {
    let head = framing::frame_header(mech, WRAP_INNER_LEN);
    let need = head.len() + WRAP_INNER_LEN;
    if token.len() < need {
        return Err(GssError::BufferTooSmall);
    }
    let mut inner = [0u8; WRAP_INNER_LEN];
    seal(keys, seq, conf, &mut inner, message)?;
    token[..head.len()].copy_from_slice(&head);
    token[head.len()..need].copy_from_slice(&inner);
    Ok(need)
}

/// A checked Wrap token's header: the 32 inner bytes, sealed or not, and
/// whether the message ends with a pad (MIT's whole-token form).
struct Header<'a> {
    inner: &'a [u8],
    conf: bool,
    padded: bool,
}

/// Parses the framing and header; the header, the bytes after it inside
/// the framing and the bytes after the framing.
fn parse_header(token: &[u8]) -> Result<(Header<'_>, &[u8], &[u8]), GssError> {
    let f = framing::parse(token)?;
    if f.inner.len() < WRAP_INNER_LEN {
        return Err(GssError::DefectiveToken);
    }
    let (inner, in_token) = f.inner.split_at(WRAP_INNER_LEN);
    if inner[..2] != WRAP_TOK_ID || inner[2..4] != SGN_ALG_HMAC_MD5 || inner[6..8] != [0xFF; 2] {
        return Err(GssError::DefectiveToken);
    }
    let conf = match [inner[4], inner[5]] {
        SEAL_ALG_RC4 => true,
        SEAL_ALG_NONE => false,
        _ => return Err(GssError::DefectiveToken),
    };
    let h = Header {
        inner,
        conf,
        padded: !in_token.is_empty(),
    };
    Ok((h, in_token, f.rest))
}

/// Unseals the DATA parts of `body` in place and checks header, checksum
/// (over every part in order) and direction, then `accept`s the sequence
/// number. On failure sealed DATA parts are wiped.
fn open(
    keys: &PerMessageKeys,
    h: &Header<'_>,
    body: &mut [MessagePart<'_>],
    accept: impl FnOnce(u32, &[MessagePart<'_>]) -> Result<(), GssError>,
) -> Result<(), GssError> {
    let r = open_inner(keys, h, body).and_then(|seq| accept(seq, body));
    if r.is_err() && h.conf {
        for p in body.iter_mut() {
            if let MessagePart::Data(b) = p {
                b.zeroize();
            }
        }
    }
    r
}

fn open_inner(
    keys: &PerMessageKeys,
    h: &Header<'_>,
    body: &mut [MessagePart<'_>],
) -> Result<u32, GssError> {
    let k = rc4_keys(keys);
    let seq = open_seq(keys, h.inner)?;
    let mut confounder = Zeroizing::new([0u8; CONFOUNDER_LEN]);
    confounder.copy_from_slice(&h.inner[24..32]);
    if h.conf {
        let mut c = sealing_cipher(k, seq);
        c.apply_keystream(&mut confounder[..]);
        for p in body.iter_mut() {
            if let MessagePart::Data(b) = p {
                c.apply_keystream(b);
            }
        }
    }
    let cksum = {
        let mut parts: Vec<&[u8]> = vec![&h.inner[..8], &confounder[..]];
        parts.extend(body.iter().map(|b| b.bytes()));
        k.wrap_sign.checksum(&parts)
    };
    check_cksum(&cksum, &h.inner[16..24])?;
    Ok(seq)
}

/// The message length of a checked `body` (MIT's whole token: the pad
/// removed).
fn unpadded_len(h: &Header<'_>, body: &[u8]) -> Result<usize, GssError> {
    if !h.padded {
        return Ok(body.len());
    }
    let pad = *body.last().ok_or(GssError::DefectiveToken)? as usize;
    if pad == 0 || pad > 8 || pad > body.len() {
        return Err(GssError::DefectiveToken);
    }
    Ok(body.len() - pad)
}

/// Unwraps a whole token: MIT's (the framing covers the padded message)
/// or the split layout sent as one stream (the framing covers the header,
/// the message follows). (message, sealed) once `accept` took the sequence
/// number.
pub fn unwrap(
    keys: &PerMessageKeys,
    token: &[u8],
    accept: impl FnOnce(u32) -> Result<(), GssError>,
) -> Result<(Zeroizing<Vec<u8>>, bool), GssError> {
    let (h, in_token, rest) = parse_header(token)?;
    let body = match (in_token.is_empty(), rest.is_empty()) {
        (false, true) => in_token,
        (true, _) => rest,
        (false, false) => return Err(GssError::DefectiveToken),
    };
    let mut buf = Zeroizing::new(body.to_vec());
    let mut len = 0;
    open(
        keys,
        &h,
        &mut [MessagePart::Data(&mut buf[..])],
        |seq, body| {
            // The pad is checked before the sequence number is taken.
            len = unpadded_len(&h, body[0].bytes())?;
            accept(seq)
        },
    )?;
    buf.truncate(len);
    Ok((buf, h.conf))
}

/// Unwraps the split layout: `token` the framed header alone, `data` the
/// message, unsealed in place; (message length, sealed) once `accept` took
/// the sequence number. On failure a sealed `data` is wiped.
pub fn unwrap_split(
    keys: &PerMessageKeys,
    token: &[u8],
    data: &mut [u8],
    accept: impl FnOnce(u32) -> Result<(), GssError>,
) -> Result<(usize, bool), GssError> {
    let len = data.len();
    let conf = unwrap_parts(keys, token, &mut [MessagePart::Data(data)], accept)?;
    Ok((len, conf))
}

/// Unwraps the split layout over a message in several buffers: the DATA
/// parts unsealed in place; sealed or not, once `accept` took the sequence
/// number. On failure sealed DATA parts are wiped.
pub fn unwrap_parts(
    keys: &PerMessageKeys,
    token: &[u8],
    parts: &mut [MessagePart<'_>],
    accept: impl FnOnce(u32) -> Result<(), GssError>,
) -> Result<bool, GssError> {
    let (h, in_token, rest) = parse_header(token)?;
    if !in_token.is_empty() || !rest.is_empty() {
        return Err(GssError::DefectiveToken);
    }
    open(keys, &h, parts, |seq, _| accept(seq))?;
    Ok(h.conf)
}
