//! The acceptor (RFC 4178 §3.2, MS-SPNG 3.2.5).
//!
//! * Called with no token it speaks first: a NegTokenInit2 listing its
//!   mechanisms with Windows' negHints (MS-SPNG 3.2.5.2).
//! * A NegTokenInit: the first mechanism of the initiator's list that an
//!   inner credential accepts is chosen (none: SEC_E_INVALID_TOKEN); the
//!   optimistic token is used only when that is the initiator's first.
//! * A raw NTLM token (`NTLMSSP\0`) with no SPNEGO around it is accepted as
//!   Windows does; the whole exchange is then plain NTLM.
//! * mechListMIC (RFC 4178 §5, MS-SPNG 3.2.5.1): required when the chosen
//!   mechanism is not the initiator's first, when the inner package wants
//!   it (NTLM with a MIC) or when the initiator sent one. A MIC that does
//!   not verify (whatever the inner package's reason, e.g. its sequence
//!   number) is SEC_E_MESSAGE_ALTERED; a missing one, when the initiator knew it was
//!   required, SEC_E_INVALID_TOKEN.

use super::context::delegate_to_inner;
use super::mech::{choose, Mech};
use super::tokens::{self, NegState, NegTokenInit, NegTokenResp, NegotiationToken};
use super::{InnerCredentials, NEGOTIATE_PACKAGE_INFO};
use crate::sspi::{
    ContextAttribute, HandshakeInput, HandshakeOutput, PackageInfo, SecResult, SecStatus,
    SecurityContext, Step,
};

/// The NTLMSSP signature that starts every raw NTLM message.
const NTLMSSP: &[u8] = b"NTLMSSP\0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    /// Our NegTokenInit2 went out; the initiator's NegTokenInit is next.
    HintSent,
    Agreed,
    /// Plain NTLM, no SPNEGO.
    Raw,
    Done,
}

/// A Negotiate server context.
pub struct NegotiateServer {
    mechs: InnerCredentials,
    context_req: u32,
    phase: Phase,
    /// The initiator's MechTypeList as received (what the MICs cover).
    mech_types_der: Vec<u8>,
    /// The chosen mechanism (its OID is echoed as supportedMech: `choose`
    /// matched the offered OID to it byte for byte) and its context.
    chosen: Option<(Mech, Box<dyn SecurityContext>)>,
    supported_sent: bool,
    mic_required: bool,
    mic_sent: bool,
    mic_verified: bool,
    attrs: u32,
}

impl NegotiateServer {
    pub fn new(mechs: impl Into<InnerCredentials>, context_req: u32) -> SecResult<Self> {
        let mechs = mechs.into();
        if mechs.is_empty() {
            return Err(SecStatus::NoCredentials);
        }
        Ok(NegotiateServer {
            mechs,
            context_req,
            phase: Phase::Start,
            mech_types_der: Vec::new(),
            chosen: None,
            supported_sent: false,
            mic_required: false,
            mic_sent: false,
            mic_verified: false,
            attrs: 0,
        })
    }

    /// The chosen mechanism, once there is one.
    pub fn mech(&self) -> Option<Mech> {
        self.chosen.as_ref().map(|c| c.0)
    }

    /// True when the exchange is plain NTLM (no SPNEGO framing).
    pub fn is_raw(&self) -> bool {
        self.phase == Phase::Raw || (self.phase == Phase::Done && self.mech_types_der.is_empty())
    }

    fn finished(&self) -> Option<&dyn SecurityContext> {
        match (&self.phase, &self.chosen) {
            (Phase::Done, Some(c)) => Some(c.1.as_ref()),
            _ => None,
        }
    }

    fn finished_mut(&mut self) -> SecResult<&mut dyn SecurityContext> {
        match (&self.phase, &mut self.chosen) {
            (Phase::Done, Some(c)) => Ok(c.1.as_mut()),
            _ => Err(SecStatus::InvalidHandle),
        }
    }

    fn current(&self) -> Option<&dyn SecurityContext> {
        self.chosen.as_ref().map(|c| c.1.as_ref())
    }

    fn acceptor(&self, m: Mech) -> SecResult<Box<dyn SecurityContext>> {
        self.mechs
            .iter()
            .find(|c| c.answers(m))
            .ok_or(SecStatus::InvalidToken)?
            .cred
            .new_acceptor(self.context_req)
    }

    /// NegTokenInit2 (MS-SPNG 3.2.5.2): our mechanisms and negHints.
    fn hint(&mut self) -> HandshakeOutput {
        let ours: Vec<Mech> = self
            .mechs
            .iter()
            .flat_map(|c| c.oids.iter().copied())
            .collect();
        let token = tokens::encode_init(&tokens::encode_mech_types(&ours), None, true, None);
        self.phase = Phase::HintSent;
        HandshakeOutput {
            step: Some(Step::ContinueNeeded),
            token,
            context_attr: 0,
            expiry: crate::sspi::time::TIMESTAMP_NEVER,
        }
    }

    /// Plain NTLM: every leg goes to the NTLM context as it is.
    fn raw(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        if self.chosen.is_none() {
            let ctx = self.acceptor(Mech::Ntlm)?;
            self.chosen = Some((Mech::Ntlm, ctx));
            self.phase = Phase::Raw;
        }
        let ctx = &mut self.chosen.as_mut().ok_or(SecStatus::InternalError)?.1;
        let out = ctx.accept(input)?;
        if ctx.is_established() {
            self.phase = Phase::Done;
        }
        Ok(out)
    }

    fn init(
        &mut self,
        init: NegTokenInit<'_>,
        input: &HandshakeInput<'_>,
    ) -> SecResult<HandshakeOutput> {
        let der = init.mech_types_der.ok_or(SecStatus::InvalidToken)?;
        if init.mech_types.is_empty() {
            return Err(SecStatus::InvalidToken);
        }
        let (index, mech, _) = choose(&init.mech_types, |m| {
            self.mechs.iter().any(|c| c.answers(m))
        })
        .ok_or(SecStatus::InvalidToken)?;
        let ctx = self.acceptor(mech)?;
        self.mech_types_der = der.to_vec();
        self.chosen = Some((mech, ctx));
        self.mic_required = index != 0;
        self.phase = Phase::Agreed;
        // The optimistic token belongs to the initiator's first mechanism.
        let token = init.mech_token.filter(|_| index == 0);
        self.leg(token, init.mech_list_mic, input)
    }

    fn resp(
        &mut self,
        resp: NegTokenResp<'_>,
        input: &HandshakeInput<'_>,
    ) -> SecResult<HandshakeOutput> {
        if resp.neg_state == Some(NegState::Reject) {
            return Err(SecStatus::LogonDenied);
        }
        let ctx = &self.chosen.as_ref().ok_or(SecStatus::InternalError)?.1;
        if ctx.is_established() {
            // Only the initiator's mechListMIC can still come.
            if resp.response_token.is_some() || resp.mech_list_mic.is_none() {
                return Err(SecStatus::InvalidToken);
            }
        } else if resp.response_token.is_none() {
            return Err(SecStatus::InvalidToken);
        }
        self.leg(resp.response_token, resp.mech_list_mic, input)
    }

    /// One leg: the inner token (if any), the MICs, and our NegTokenResp.
    fn leg(
        &mut self,
        token: Option<&[u8]>,
        mic: Option<&[u8]>,
        input: &HandshakeInput<'_>,
    ) -> SecResult<HandshakeOutput> {
        let first_reply = !self.supported_sent;
        let (mech, ctx) = self.chosen.as_mut().ok_or(SecStatus::InternalError)?;
        let mut inner_token = Vec::new();
        let mut expiry = crate::sspi::time::TIMESTAMP_NEVER;
        let was_established = ctx.is_established();
        if let Some(t) = token {
            let out = ctx.accept(&HandshakeInput {
                token: Some(t),
                ..*input
            })?;
            self.attrs = out.context_attr;
            expiry = out.expiry;
            inner_token = out.token;
        }
        let mut our_mic = None;
        if ctx.is_established() {
            self.mic_required |= ctx.wants_mech_list_mic();
            if let Some(m) = mic {
                ctx.verify_mech_list_mic(&self.mech_types_der, m)
                    .map_err(|_| SecStatus::MessageAltered)?;
                self.mic_verified = true;
                self.mic_required = true;
            } else if self.mic_required && !first_reply && !self.mic_verified {
                // The initiator knew (request-mic, another mechanism than
                // its first, or its own package's MIC) and sent none.
                return Err(SecStatus::InvalidToken);
            }
            if self.mic_required && !self.mic_sent {
                our_mic = Some(ctx.mech_list_mic(&self.mech_types_der)?);
                self.mic_sent = true;
            }
        } else if mic.is_some() || was_established {
            return Err(SecStatus::InvalidToken);
        }
        let complete = ctx.is_established() && (!self.mic_required || self.mic_verified);
        let neg_state = if complete {
            NegState::AcceptCompleted
        } else if first_reply && self.mic_required {
            NegState::RequestMic
        } else {
            NegState::AcceptIncomplete
        };
        let token = tokens::encode_resp(&NegTokenResp {
            neg_state: Some(neg_state),
            supported_mech: first_reply.then_some(mech.oid()),
            response_token: Some(&inner_token[..]).filter(|t| !t.is_empty()),
            mech_list_mic: our_mic.as_deref(),
        });
        self.supported_sent = true;
        if complete {
            self.phase = Phase::Done;
        }
        Ok(HandshakeOutput {
            step: Some(if complete {
                Step::Complete
            } else {
                Step::ContinueNeeded
            }),
            token,
            context_attr: self.attrs,
            expiry,
        })
    }
}

impl SecurityContext for NegotiateServer {
    delegate_to_inner!();

    fn accept(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        let token = input.token.filter(|t| !t.is_empty());
        match self.phase {
            Phase::Start | Phase::HintSent => match token {
                None if self.phase == Phase::Start => Ok(self.hint()),
                None => Err(SecStatus::InvalidToken),
                Some(t) if t.starts_with(NTLMSSP) => self.raw(input),
                Some(t) => match tokens::decode(t)? {
                    NegotiationToken::Init(init) => self.init(init, input),
                    NegotiationToken::Resp(_) => Err(SecStatus::InvalidToken),
                },
            },
            Phase::Agreed => match tokens::decode(token.ok_or(SecStatus::InvalidToken)?)? {
                NegotiationToken::Resp(resp) => self.resp(resp, input),
                NegotiationToken::Init(_) => Err(SecStatus::InvalidToken),
            },
            Phase::Raw => self.raw(input),
            Phase::Done => Err(SecStatus::OutOfSequence),
        }
    }
}
