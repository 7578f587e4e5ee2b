//! SPNEGO tokens (RFC 4178 §4.2, MS-SPNG §2.2): NegTokenInit inside the
//! GSS-API InitialContextToken framing (RFC 2743 §3.1, OID 1.3.6.1.5.5.2),
//! MS-SPNG's NegTokenInit2 (negHints), and NegTokenResp. Decoders are
//! strict DER, borrow from the token and never panic.

use super::der::{self, check_oid, context, explicit, put, put_header, tlv_len, Reader};
use super::mech::Mech;
use crate::sspi::{SecResult, SecStatus};

/// 1.3.6.1.5.5.2, the SPNEGO pseudo-mechanism.
pub const SPNEGO_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];

/// The negHints hintName Windows sends (MS-SPNG §3.2.5.2).
pub const HINT_NAME: &[u8] = b"not_defined_in_RFC4178@please_ignore";

/// MS-SPNG NegHints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NegHints<'a> {
    pub hint_name: Option<&'a [u8]>,
    pub hint_address: Option<&'a [u8]>,
}

/// NegTokenInit (RFC 4178) or NegTokenInit2 (MS-SPNG: with negHints).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NegTokenInit<'a> {
    /// The MechTypeList exactly as received (its SEQUENCE, without the
    /// `[0]`): what the mechListMIC covers (RFC 4178 §5).
    pub mech_types_der: Option<&'a [u8]>,
    /// Each OID's contents, in the sender's order.
    pub mech_types: Vec<&'a [u8]>,
    pub req_flags: Option<&'a [u8]>,
    pub mech_token: Option<&'a [u8]>,
    pub neg_hints: Option<NegHints<'a>>,
    pub mech_list_mic: Option<&'a [u8]>,
}

/// negState (RFC 4178 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegState {
    AcceptCompleted = 0,
    AcceptIncomplete = 1,
    Reject = 2,
    RequestMic = 3,
}

/// NegTokenResp (RFC 4178 §4.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NegTokenResp<'a> {
    pub neg_state: Option<NegState>,
    pub supported_mech: Option<&'a [u8]>,
    pub response_token: Option<&'a [u8]>,
    pub mech_list_mic: Option<&'a [u8]>,
}

/// A decoded SPNEGO token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NegotiationToken<'a> {
    Init(NegTokenInit<'a>),
    Resp(NegTokenResp<'a>),
}

/// Decode a SPNEGO token: a GSS-framed NegTokenInit(2), or a bare
/// `[1] NegTokenResp`. Anything else is SEC_E_INVALID_TOKEN.
pub fn decode(token: &[u8]) -> SecResult<NegotiationToken<'_>> {
    let mut r = Reader::new(token);
    let outer = r.any()?;
    r.finish()?;
    match outer.tag {
        der::APPLICATION_0 => {
            let mut r = Reader::new(outer.value);
            if r.expect(der::OBJECT_IDENTIFIER)?.value != SPNEGO_OID {
                return Err(SecStatus::InvalidToken);
            }
            let init = r.expect(context(0))?;
            r.finish()?;
            decode_init(explicit(init, der::SEQUENCE)?.value).map(NegotiationToken::Init)
        }
        t if t == context(1) => {
            decode_resp(explicit(outer, der::SEQUENCE)?.value).map(NegotiationToken::Resp)
        }
        _ => Err(SecStatus::InvalidToken),
    }
}

fn octets<'a>(r: &mut Reader<'a>, tag: u8) -> SecResult<Option<&'a [u8]>> {
    r.optional(context(tag))?
        .map(|t| explicit(t, der::OCTET_STRING).map(|v| v.value))
        .transpose()
}

fn decode_init(body: &[u8]) -> SecResult<NegTokenInit<'_>> {
    let mut r = Reader::new(body);
    let mut init = NegTokenInit::default();
    if let Some(t) = r.optional(context(0))? {
        let list = explicit(t, der::SEQUENCE)?;
        let mut items = Reader::new(list.value);
        while !items.is_empty() {
            let oid = items.expect(der::OBJECT_IDENTIFIER)?.value;
            check_oid(oid)?;
            init.mech_types.push(oid);
        }
        init.mech_types_der = Some(list.raw);
    }
    if let Some(t) = r.optional(context(1))? {
        init.req_flags = Some(explicit(t, der::BIT_STRING)?.value);
    }
    init.mech_token = octets(&mut r, 2)?;
    // [3] is RFC 4178's mechListMIC or MS-SPNG's negHints; with negHints
    // the mechListMIC is [4].
    if let Some(t) = r.optional(context(3))? {
        let mut inner = Reader::new(t.value);
        let v = inner.any()?;
        inner.finish()?;
        match v.tag {
            der::OCTET_STRING => init.mech_list_mic = Some(v.value),
            der::SEQUENCE => init.neg_hints = Some(decode_hints(v.value)?),
            _ => return Err(SecStatus::InvalidToken),
        }
    }
    if init.mech_list_mic.is_none() {
        init.mech_list_mic = octets(&mut r, 4)?;
    }
    r.finish()?;
    Ok(init)
}

fn decode_hints(body: &[u8]) -> SecResult<NegHints<'_>> {
    let mut r = Reader::new(body);
    let hint_name = r
        .optional(context(0))?
        .map(|t| explicit(t, der::GENERAL_STRING).map(|v| v.value))
        .transpose()?;
    let hint_address = octets(&mut r, 1)?;
    r.finish()?;
    Ok(NegHints {
        hint_name,
        hint_address,
    })
}

fn decode_resp(body: &[u8]) -> SecResult<NegTokenResp<'_>> {
    let mut r = Reader::new(body);
    let neg_state = match r.optional(context(0))? {
        Some(t) => Some(match explicit(t, der::ENUMERATED)?.value {
            [0] => NegState::AcceptCompleted,
            [1] => NegState::AcceptIncomplete,
            [2] => NegState::Reject,
            [3] => NegState::RequestMic,
            _ => return Err(SecStatus::InvalidToken),
        }),
        None => None,
    };
    let supported_mech = match r.optional(context(1))? {
        Some(t) => {
            let oid = explicit(t, der::OBJECT_IDENTIFIER)?.value;
            check_oid(oid)?;
            Some(oid)
        }
        None => None,
    };
    let response_token = octets(&mut r, 2)?;
    let mech_list_mic = octets(&mut r, 3)?;
    r.finish()?;
    Ok(NegTokenResp {
        neg_state,
        supported_mech,
        response_token,
        mech_list_mic,
    })
}

/// Size of `[n] { inner-TLV }` around a value of `len` bytes.
const fn field_len(len: usize) -> usize {
    tlv_len(tlv_len(len))
}

/// Append `[n] { inner value }` (an explicitly tagged field).
fn put_field(out: &mut Vec<u8>, n: u8, inner: u8, value: &[u8]) {
    put_header(out, context(n), tlv_len(value.len()));
    put(out, inner, value);
}

/// The DER MechTypeList of `mechs` (what an initiator sends and MICs).
pub fn encode_mech_types<'a>(
    mechs: impl IntoIterator<Item = &'a Mech, IntoIter: Clone>,
) -> Vec<u8> {
    let mechs = mechs.into_iter();
    let list: usize = mechs.clone().map(|m| tlv_len(m.oid().len())).sum();
    let mut out = Vec::with_capacity(tlv_len(list));
    put_header(&mut out, der::SEQUENCE, list);
    for m in mechs {
        put(&mut out, der::OBJECT_IDENTIFIER, m.oid());
    }
    out
}

/// A GSS-framed NegTokenInit around `mech_types_der`; with `hints` a
/// NegTokenInit2 carrying Windows' negHints (MS-SPNG §2.2.1). Sizes are
/// computed first and the token is written into one buffer.
pub fn encode_init(
    mech_types_der: &[u8],
    mech_token: Option<&[u8]>,
    hints: bool,
    mech_list_mic: Option<&[u8]>,
) -> Vec<u8> {
    let hint_seq = field_len(HINT_NAME.len());
    let seq = tlv_len(mech_types_der.len())
        + mech_token.map_or(0, |t| field_len(t.len()))
        + if hints { tlv_len(tlv_len(hint_seq)) } else { 0 }
        + mech_list_mic.map_or(0, |m| field_len(m.len()));
    let inner = tlv_len(SPNEGO_OID.len()) + field_len(seq);
    let total = tlv_len(inner);
    let mut out = Vec::with_capacity(total);
    put_header(&mut out, der::APPLICATION_0, inner);
    put(&mut out, der::OBJECT_IDENTIFIER, SPNEGO_OID);
    put_header(&mut out, context(0), tlv_len(seq));
    put_header(&mut out, der::SEQUENCE, seq);
    put(&mut out, context(0), mech_types_der);
    if let Some(t) = mech_token {
        put_field(&mut out, 2, der::OCTET_STRING, t);
    }
    if hints {
        put_header(&mut out, context(3), tlv_len(hint_seq));
        put_header(&mut out, der::SEQUENCE, hint_seq);
        put_field(&mut out, 0, der::GENERAL_STRING, HINT_NAME);
    }
    if let Some(m) = mech_list_mic {
        put_field(&mut out, if hints { 4 } else { 3 }, der::OCTET_STRING, m);
    }
    debug_assert_eq!(out.len(), total);
    out
}

/// A `[1] NegTokenResp`, written into one pre-sized buffer.
pub fn encode_resp(resp: &NegTokenResp<'_>) -> Vec<u8> {
    let state = resp.neg_state.map(|s| [s as u8]);
    let fields: [(u8, u8, Option<&[u8]>); 4] = [
        (0, der::ENUMERATED, state.as_ref().map(|s| &s[..])),
        (1, der::OBJECT_IDENTIFIER, resp.supported_mech),
        (2, der::OCTET_STRING, resp.response_token),
        (3, der::OCTET_STRING, resp.mech_list_mic),
    ];
    let seq: usize = fields
        .iter()
        .filter_map(|f| f.2)
        .map(|v| field_len(v.len()))
        .sum();
    let total = field_len(seq);
    let mut out = Vec::with_capacity(total);
    put_header(&mut out, context(1), tlv_len(seq));
    put_header(&mut out, der::SEQUENCE, seq);
    for (n, inner, value) in fields {
        if let Some(v) = value {
            put_field(&mut out, n, inner, v);
        }
    }
    debug_assert_eq!(out.len(), total);
    out
}

#[cfg(test)]
mod tests;
