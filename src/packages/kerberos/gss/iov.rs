//! RFC 4121 Wrap tokens over a message in several buffers (SSPI's
//! `[DATA|READONLY_WITH_CHECKSUM, DATA, ..., TOKEN]`, MS-KILE 3.4.5.4; MIT's
//! `gss_wrap_iov` with HEADER, DATA and SIGN_ONLY buffers and no TRAILER).
//! The token layout is [`wrap::wrap_split`]'s: TOKEN holds the header and
//! the rotated trailer, the DATA parts exactly the (encrypted) message.
//!
//! The message is the concatenation of the DATA parts, in order. The
//! integrity covers every part in order: sealed, the tag covers the
//! confounder, the parts (sign-only ones at their place, RFC 3961 over
//! MIT's iov order), the filler and the header copy; integrity only, the
//! checksum covers the parts then the header (RFC 4121 §4.2.4).

use std::ops::Range;

use super::wrap::{self, flags, header, header_copy_matches, parse_header, seal_keys, HEADER_LEN};
use super::{data_len, gather_rotated_left, GssError, MessagePart, PerMessageKeys};
use crate::packages::kerberos::crypto::CryptoError;

/// The offsets of the sign-only parts in the plaintext (after `base`
/// bytes of confounder), with their bytes.
fn sign_only_at<'p>(parts: &'p [MessagePart<'_>], base: usize) -> Vec<(usize, &'p [u8])> {
    let mut at = base;
    let mut out = Vec::new();
    for p in parts {
        match p {
            MessagePart::Data(b) => at += b.len(),
            MessagePart::SignOnly(b) => out.push((at, &**b)),
        }
    }
    out
}

/// Writes the token (header and rotated trailer, [`wrap::split_token_len`]
/// bytes, returned) and seals the DATA parts in place (`conf`), or writes
/// the checksum over all parts.
pub fn wrap_parts(
    keys: &PerMessageKeys,
    seq: u64,
    conf: bool,
    token: &mut [u8],
    parts: &mut [MessagePart<'_>],
    scratch: &mut Vec<u8>,
) -> Result<usize, GssError> {
    let need = wrap::split_token_len(keys.etype(), conf);
    if token.len() < need {
        return Err(GssError::BufferTooSmall);
    }
    let seal = seal_keys(keys);
    let e = keys.etype();
    let t = e.checksum_len();
    if conf {
        let (c, n) = (e.confounder_len(), data_len(parts));
        let h0 = header(flags(keys, true), 0, 0, seq);
        scratch.clear();
        scratch.resize(e.encrypted_len(n + HEADER_LEN), 0);
        let mut at = c;
        for p in parts.iter() {
            if let MessagePart::Data(b) = p {
                scratch[at..at + b.len()].copy_from_slice(b);
                at += b.len();
            }
        }
        scratch[at..at + HEADER_LEN].copy_from_slice(&h0);
        seal.encrypt_in_place_random_sign_only(scratch, &sign_only_at(parts, c))?;
        // confounder | message | header copy | tag, rotated right by
        // 16 + tag length (as wrap_split).
        let rrc = (HEADER_LEN + t) as u16;
        token[..HEADER_LEN].copy_from_slice(&header(flags(keys, true), 0, rrc, seq));
        token[HEADER_LEN..HEADER_LEN + HEADER_LEN + t].copy_from_slice(&scratch[c + n..]);
        token[HEADER_LEN + HEADER_LEN + t..need].copy_from_slice(&scratch[..c]);
        super::scatter(&scratch[c..c + n], parts);
    } else {
        let h0 = header(flags(keys, false), 0, 0, seq);
        let mut signed: Vec<&[u8]> = parts.iter().map(|p| p.bytes()).collect();
        signed.push(&h0);
        let cksum = seal.checksum(&signed);
        token[..HEADER_LEN].copy_from_slice(&header(flags(keys, false), t as u16, t as u16, seq));
        token[HEADER_LEN..need].copy_from_slice(&cksum);
    }
    Ok(need)
}

/// A verified multi-part Wrap token: sealed or not, its sequence number,
/// and (sealed) the decrypted message's range in `scratch`, to be
/// [`super::scatter`]ed over the DATA parts once the sequence number is
/// accepted.
#[derive(Debug)]
pub struct OpenedParts {
    pub conf: bool,
    pub seq: u64,
    pub in_scratch: Option<Range<usize>>,
}

/// Verifies (and decrypts into `scratch`) a Wrap token whose TOKEN part is
/// `token` and whose message is the DATA parts; nothing is written to the
/// parts. The token must be the split layout: exactly the DATA parts'
/// bytes are message (any EC; RRC as [`wrap::open`] takes it).
pub fn open_parts(
    keys: &PerMessageKeys,
    token: &[u8],
    parts: &[MessagePart<'_>],
    scratch: &mut Vec<u8>,
) -> Result<OpenedParts, GssError> {
    let (hf, h, body) = parse_header(keys, token)?;
    let seal = seal_keys(keys);
    let e = keys.etype();
    let t = e.checksum_len();
    let n = data_len(parts);
    if hf.conf {
        let c = e.confounder_len();
        // confounder | message | filler | header copy | tag.
        if body.len() != c + hf.ec + HEADER_LEN + t {
            return Err(GssError::DefectiveToken);
        }
        let total = body.len() + n;
        let mut pieces: Vec<&[u8]> = vec![body];
        pieces.extend(parts.iter().filter_map(|p| match p {
            MessagePart::Data(b) => Some(&**b),
            MessagePart::SignOnly(_) => None,
        }));
        let sign_only = sign_only_at(parts, c);
        gather_rotated_left(scratch, &pieces, hf.rrc % total);
        let range = match seal.decrypt_in_place_sign_only(scratch, &sign_only) {
            Ok(range) => range,
            // MS-KILE 3.4.5.4.1: Windows rotates by RRC + EC (as wrap::open).
            Err(CryptoError::IntegrityCheckFailed) if hf.ec != 0 => {
                gather_rotated_left(scratch, &pieces, (hf.rrc + hf.ec) % total);
                seal.decrypt_in_place_sign_only(scratch, &sign_only)?
            }
            Err(e) => return Err(e.into()),
        };
        let end = range.end - HEADER_LEN;
        header_copy_matches(&scratch[end..range.end], h)?;
        Ok(OpenedParts {
            conf: true,
            seq: hf.seq,
            in_scratch: Some(range.start..range.start + n),
        })
    } else {
        if hf.ec != t || hf.rrc != t || body.len() != t {
            return Err(GssError::DefectiveToken);
        }
        let mut h0 = [0u8; HEADER_LEN];
        h0.copy_from_slice(h);
        h0[4..8].fill(0);
        let mut signed: Vec<&[u8]> = parts.iter().map(|p| p.bytes()).collect();
        signed.push(&h0);
        seal.verify_checksum(&signed, body)?;
        Ok(OpenedParts {
            conf: false,
            seq: hf.seq,
            in_scratch: None,
        })
    }
}
