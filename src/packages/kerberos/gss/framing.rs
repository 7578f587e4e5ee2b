//! The mechanism-independent token framing of RFC 2743 §3.1, used by the
//! Kerberos context tokens (RFC 4121 §4.1) and the RFC 1964/4757 per-message
//! tokens: `60 len 06 oid-len oid token-id inner-token`, DER lengths.

use super::GssError;

/// 1.2.840.113554.1.2.2, the Kerberos V5 GSS-API mechanism (RFC 1964).
pub const KRB5_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02];
/// 1.2.840.48018.1.2.2, the OID Windows 2000 sent by mistake and Windows
/// still accepts and offers (MS-KILE 3.1.5.1; see BEHAVIOURS.md item 113).
pub const MS_KRB5_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02];

/// RFC 4121 §4.1 token ids of the context-establishment tokens.
pub const TOK_AP_REQ: [u8; 2] = [0x01, 0x00];
pub const TOK_AP_REP: [u8; 2] = [0x02, 0x00];
pub const TOK_KRB_ERROR: [u8; 2] = [0x03, 0x00];

/// The mechanism OID a token was framed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mech {
    Krb5,
    MsKrb5,
}

impl Mech {
    pub fn oid(self) -> &'static [u8] {
        match self {
            Mech::Krb5 => KRB5_OID,
            Mech::MsKrb5 => MS_KRB5_OID,
        }
    }
}

/// A parsed framing: the mechanism, the inner token (token id first) as far
/// as the declared length reaches, and whatever follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed<'a> {
    pub mech: Mech,
    pub inner: &'a [u8],
    pub rest: &'a [u8],
}

fn push_der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// The framing header of an inner token of `inner_len` bytes: everything
/// before the token id.
pub fn frame_header(mech: Mech, inner_len: usize) -> Vec<u8> {
    let oid = mech.oid();
    let mut out = Vec::with_capacity(16);
    out.push(0x60);
    push_der_len(&mut out, 2 + oid.len() + inner_len);
    out.push(0x06);
    out.push(oid.len() as u8);
    out.extend_from_slice(oid);
    out
}

/// `inner` (token id first) framed.
pub fn frame(mech: Mech, inner: &[u8]) -> Vec<u8> {
    let mut out = frame_header(mech, inner.len());
    out.extend_from_slice(inner);
    out
}

/// Reads a DER length at `buf[0..]`: (length, bytes used). Minimal forms
/// of at most 4 length bytes only.
fn der_len(buf: &[u8]) -> Result<(usize, usize), GssError> {
    let first = *buf.first().ok_or(GssError::DefectiveToken)?;
    if first < 0x80 {
        return Ok((first as usize, 1));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 || buf.len() < 1 + n {
        return Err(GssError::DefectiveToken);
    }
    let bytes = &buf[1..1 + n];
    if bytes[0] == 0 {
        return Err(GssError::DefectiveToken);
    }
    let len = bytes.iter().fold(0usize, |a, b| (a << 8) | *b as usize);
    if len < 0x80 {
        return Err(GssError::DefectiveToken);
    }
    Ok((len, 1 + n))
}

/// Parses the framing of `buf`. The declared length may end before `buf`
/// does (the rest is returned), never after it.
pub fn parse(buf: &[u8]) -> Result<Framed<'_>, GssError> {
    if buf.first() != Some(&0x60) {
        return Err(GssError::DefectiveToken);
    }
    let (len, used) = der_len(&buf[1..])?;
    let body_at = 1 + used;
    let end = body_at
        .checked_add(len)
        .filter(|e| *e <= buf.len())
        .ok_or(GssError::DefectiveToken)?;
    let body = &buf[body_at..end];
    let mech = match body {
        [0x06, l, rest @ ..] if rest.len() >= *l as usize => match &rest[..*l as usize] {
            oid if oid == KRB5_OID => Mech::Krb5,
            oid if oid == MS_KRB5_OID => Mech::MsKrb5,
            _ => return Err(GssError::DefectiveToken),
        },
        _ => return Err(GssError::DefectiveToken),
    };
    let inner = &body[2 + mech.oid().len()..];
    if inner.len() < 2 {
        return Err(GssError::DefectiveToken);
    }
    Ok(Framed {
        mech,
        inner,
        rest: &buf[end..],
    })
}

/// An initial context token (RFC 4121 §4.1): the mechanism, token id
/// (AP-REQ, AP-REP or KRB-ERROR) and the Kerberos message after it. The
/// framing must cover the whole buffer.
pub fn parse_context_token(buf: &[u8]) -> Result<(Mech, [u8; 2], &[u8]), GssError> {
    let f = parse(buf)?;
    if !f.rest.is_empty() {
        return Err(GssError::DefectiveToken);
    }
    let id = [f.inner[0], f.inner[1]];
    if ![TOK_AP_REQ, TOK_AP_REP, TOK_KRB_ERROR].contains(&id) {
        return Err(GssError::DefectiveToken);
    }
    Ok((f.mech, id, &f.inner[2..]))
}

/// Frames a context token: `token_id` then `message` (DER of the AP-REQ,
/// AP-REP or KRB-ERROR).
pub fn frame_context_token(mech: Mech, token_id: [u8; 2], message: &[u8]) -> Vec<u8> {
    let mut out = frame_header(mech, 2 + message.len());
    out.extend_from_slice(&token_id);
    out.extend_from_slice(message);
    out
}
