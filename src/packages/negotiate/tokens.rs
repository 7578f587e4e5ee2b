//! SPNEGO tokens (RFC 4178 §4.2, MS-SPNG §2.2): NegTokenInit inside the
//! GSS-API InitialContextToken framing (RFC 2743 §3.1, OID 1.3.6.1.5.5.2),
//! MS-SPNG's NegTokenInit2 (negHints), and NegTokenResp. Decoders are
//! strict DER, borrow from the token and never panic.

use super::der::{self, check_oid, context, explicit, put, wrap, Reader};
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

/// The DER MechTypeList of `mechs` (what an initiator sends and MICs).
pub fn encode_mech_types(mechs: &[Mech]) -> Vec<u8> {
    let mut list = Vec::new();
    for m in mechs {
        put(&mut list, der::OBJECT_IDENTIFIER, m.oid());
    }
    wrap(der::SEQUENCE, &list)
}

/// A GSS-framed NegTokenInit around `mech_types_der`; with `hints` a
/// NegTokenInit2 carrying Windows' negHints (MS-SPNG §2.2.1).
pub fn encode_init(
    mech_types_der: &[u8],
    mech_token: Option<&[u8]>,
    hints: bool,
    mech_list_mic: Option<&[u8]>,
) -> Vec<u8> {
    let mut seq = Vec::new();
    put(&mut seq, context(0), mech_types_der);
    if let Some(t) = mech_token {
        put(&mut seq, context(2), &wrap(der::OCTET_STRING, t));
    }
    if hints {
        let name = wrap(context(0), &wrap(der::GENERAL_STRING, HINT_NAME));
        put(&mut seq, context(3), &wrap(der::SEQUENCE, &name));
    }
    if let Some(m) = mech_list_mic {
        put(
            &mut seq,
            context(if hints { 4 } else { 3 }),
            &wrap(der::OCTET_STRING, m),
        );
    }
    let mut inner = wrap(der::OBJECT_IDENTIFIER, SPNEGO_OID);
    put(&mut inner, context(0), &wrap(der::SEQUENCE, &seq));
    wrap(der::APPLICATION_0, &inner)
}

/// A `[1] NegTokenResp`.
pub fn encode_resp(resp: &NegTokenResp<'_>) -> Vec<u8> {
    let mut seq = Vec::new();
    if let Some(s) = resp.neg_state {
        put(&mut seq, context(0), &wrap(der::ENUMERATED, &[s as u8]));
    }
    if let Some(m) = resp.supported_mech {
        put(&mut seq, context(1), &wrap(der::OBJECT_IDENTIFIER, m));
    }
    if let Some(t) = resp.response_token {
        put(&mut seq, context(2), &wrap(der::OCTET_STRING, t));
    }
    if let Some(m) = resp.mech_list_mic {
        put(&mut seq, context(3), &wrap(der::OCTET_STRING, m));
    }
    wrap(context(1), &wrap(der::SEQUENCE, &seq))
}

#[cfg(test)]
mod tests;
