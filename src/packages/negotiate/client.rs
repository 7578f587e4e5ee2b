//! The initiator (RFC 4178 §3.2, MS-SPNG 3.1.5): a NegTokenInit listing
//! the usable mechanisms in preference order with the first one's
//! optimistic token; then NegTokenResp legs until the target completes.
//!
//! * The target may choose another mechanism than the optimistic one: that
//!   mechanism starts with no token, and the mechListMIC exchange becomes
//!   required.
//! * The mechListMIC is also required when the target asks (request-mic),
//!   when the inner package wants it (NTLM with a MIC) or when the target
//!   sent one. A MIC that does not verify is SEC_E_MESSAGE_ALTERED; a target that
//!   completes without a required MIC is SEC_E_INVALID_TOKEN.

use super::context::delegate_to_inner;
use super::mech::Mech;
use super::tokens::{self, NegState, NegTokenResp, NegotiationToken};
use super::{InnerCredential, InnerCredentials, NEGOTIATE_PACKAGE_INFO};
use crate::sspi::{
    ContextAttribute, HandshakeInput, HandshakeOutput, PackageInfo, SecResult, SecStatus,
    SecurityContext, Step,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    /// NegTokenInit sent; waiting for the target's first NegTokenResp.
    InitSent,
    /// The mechanism is agreed.
    Agreed,
    Done,
}

/// A Negotiate client context.
pub struct NegotiateClient {
    mechs: InnerCredentials,
    /// Bit i: `mechs[i]` could not start and is not offered.
    skipped: u64,
    target: Option<String>,
    context_req: u32,
    phase: Phase,
    /// The mechanisms offered (a set of `Mech::bit`s), and their
    /// MechTypeList as sent (what the mechListMICs cover).
    offered: u8,
    mech_types_der: Vec<u8>,
    /// The running mechanism and its context.
    chosen: Option<(Mech, Box<dyn SecurityContext>)>,
    mic_required: bool,
    mic_sent: bool,
    mic_verified: bool,
    attrs: u32,
}

impl NegotiateClient {
    pub fn new(
        mechs: impl Into<InnerCredentials>,
        target: Option<&str>,
        context_req: u32,
    ) -> SecResult<Self> {
        let mechs = mechs.into();
        if mechs.is_empty() {
            return Err(SecStatus::NoCredentials);
        }
        Ok(NegotiateClient {
            mechs,
            skipped: 0,
            target: target.map(str::to_string),
            context_req,
            phase: Phase::Start,
            offered: 0,
            mech_types_der: Vec::new(),
            chosen: None,
            mic_required: false,
            mic_sent: false,
            mic_verified: false,
            attrs: 0,
        })
    }

    /// The inner credentials that started or were not tried (in order).
    fn offered_creds(&self) -> impl Iterator<Item = &InnerCredential> + Clone {
        let skipped = self.skipped;
        self.mechs
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i >= 64 || skipped & (1 << i) == 0)
            .map(|(_, c)| c)
    }

    /// The mechanism the target agreed to (or the optimistic one).
    pub fn mech(&self) -> Option<Mech> {
        self.chosen.as_ref().map(|(m, _)| *m)
    }

    fn finished(&self) -> Option<&dyn SecurityContext> {
        match (&self.phase, &self.chosen) {
            (Phase::Done, Some((_, c))) => Some(c.as_ref()),
            _ => None,
        }
    }

    fn finished_mut(&mut self) -> SecResult<&mut dyn SecurityContext> {
        match (&self.phase, &mut self.chosen) {
            (Phase::Done, Some((_, c))) => Ok(c.as_mut()),
            _ => Err(SecStatus::InvalidHandle),
        }
    }

    fn current(&self) -> Option<&dyn SecurityContext> {
        self.chosen.as_ref().map(|(_, c)| c.as_ref())
    }

    fn inner_input<'a>(
        &'a self,
        input: &HandshakeInput<'a>,
        token: Option<&'a [u8]>,
    ) -> HandshakeInput<'a> {
        HandshakeInput {
            token,
            target: input.target.or(self.target.as_deref()),
            ..*input
        }
    }

    /// Start `mech`'s context and run its first leg (no input token).
    fn start(
        &self,
        cred: &InnerCredential,
        input: &HandshakeInput<'_>,
    ) -> SecResult<(Box<dyn SecurityContext>, HandshakeOutput)> {
        let target = input.target.or(self.target.as_deref());
        let mut ctx = cred.cred.new_initiator(target, self.context_req)?;
        let out = ctx.initialize(&self.inner_input(input, None))?;
        Ok((ctx, out))
    }

    /// First call: the NegTokenInit. A target that spoke first (its
    /// NegTokenInit2) limits the list to the mechanisms it named.
    fn first(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        let hint: Option<Vec<Mech>> = match input.token.filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => match tokens::decode(t)? {
                NegotiationToken::Init(init) => Some(
                    init.mech_types
                        .iter()
                        .filter_map(|o| Mech::from_oid(o))
                        .collect(),
                ),
                NegotiationToken::Resp(_) => return Err(SecStatus::InvalidToken),
            },
        };
        let usable = |m: &Mech| hint.as_ref().is_none_or(|h| h.contains(m));
        // The optimistic mechanism: the first inner package that starts.
        let mut first_err = None;
        let mut started = None;
        let mut skipped = 0u64;
        for (i, c) in self.mechs.iter().enumerate().take(64) {
            let Some(&m) = c.oids.iter().find(|m| usable(m)) else {
                continue;
            };
            match self.start(c, input) {
                Ok((ctx, out)) => {
                    started = Some((m, ctx, out));
                    break;
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                    skipped |= 1 << i;
                }
            }
        }
        let (m, ctx, out) = started.ok_or(first_err.unwrap_or(SecStatus::InvalidToken))?;
        self.skipped = skipped;
        let offered = self
            .offered_creds()
            .flat_map(|c| c.oids.iter())
            .filter(|m| usable(m));
        let bits = offered.clone().fold(0, |bits, m| bits | m.bit());
        let der = tokens::encode_mech_types(offered);
        (self.offered, self.mech_types_der) = (bits, der);
        self.attrs = out.context_attr;
        let token = tokens::encode_init(
            &self.mech_types_der,
            Some(&out.token).filter(|t| !t.is_empty()).map(|t| &t[..]),
            false,
            None,
        );
        self.chosen = Some((m, ctx));
        self.phase = Phase::InitSent;
        Ok(HandshakeOutput {
            step: Some(Step::ContinueNeeded),
            token,
            context_attr: self.attrs,
            expiry: out.expiry,
        })
    }

    /// Later calls: the target's NegTokenResp.
    fn next(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        let raw = input.token.ok_or(SecStatus::InvalidToken)?;
        let NegotiationToken::Resp(resp) = tokens::decode(raw)? else {
            return Err(SecStatus::InvalidToken);
        };
        if resp.neg_state == Some(NegState::Reject) {
            return Err(SecStatus::LogonDenied);
        }
        let mut inner_out: Option<HandshakeOutput> = None;
        if self.phase == Phase::InitSent {
            let (optimistic, _) = self.chosen.as_ref().ok_or(SecStatus::InternalError)?;
            let optimistic = *optimistic;
            let agreed = match resp.supported_mech {
                Some(oid) => Mech::from_oid(oid)
                    .filter(|m| self.offered & m.bit() != 0)
                    .ok_or(SecStatus::InvalidToken)?,
                None => optimistic,
            };
            if agreed.package_name() != optimistic.package_name() {
                // The optimistic token is lost: start the agreed mechanism.
                if resp.response_token.is_some() {
                    return Err(SecStatus::InvalidToken);
                }
                let cred = self
                    .offered_creds()
                    .find(|c| c.answers(agreed))
                    .ok_or(SecStatus::InvalidToken)?
                    .clone();
                let (ctx, out) = self.start(&cred, input)?;
                self.chosen = Some((agreed, ctx));
                inner_out = Some(out);
                self.mic_required = true;
            } else if let Some((m, _)) = self.chosen.as_mut() {
                *m = agreed;
            }
            self.phase = Phase::Agreed;
        }
        if resp.neg_state == Some(NegState::RequestMic) {
            self.mic_required = true;
        }
        let chosen = &mut self.chosen.as_mut().ok_or(SecStatus::InternalError)?.1;
        if let Some(t) = resp.response_token {
            if inner_out.is_some() || chosen.is_established() {
                return Err(SecStatus::InvalidToken);
            }
            let inner_input = HandshakeInput {
                token: Some(t),
                target: input.target.or(self.target.as_deref()),
                ..*input
            };
            inner_out = Some(chosen.initialize(&inner_input)?);
        }
        let mut token = Vec::new();
        let mut expiry = crate::sspi::time::TIMESTAMP_NEVER;
        if let Some(out) = inner_out.take() {
            self.attrs = out.context_attr;
            expiry = out.expiry;
            token = out.token;
        }
        let mut our_mic = None;
        if chosen.is_established() {
            self.mic_required |= chosen.wants_mech_list_mic();
            if let Some(mic) = resp.mech_list_mic {
                if !self.mic_verified {
                    chosen
                        .verify_mech_list_mic(&self.mech_types_der, mic)
                        .map_err(|_| SecStatus::MessageAltered)?;
                    self.mic_verified = true;
                    self.mic_required = true;
                }
            }
            if self.mic_required && !self.mic_sent {
                our_mic = Some(chosen.mech_list_mic(&self.mech_types_der)?);
                self.mic_sent = true;
            }
        }
        let completed = resp.neg_state == Some(NegState::AcceptCompleted);
        if completed {
            if !chosen.is_established() || (self.mic_required && !self.mic_verified) {
                return Err(SecStatus::InvalidToken);
            }
        } else if token.is_empty() && our_mic.is_none() {
            // The target wants more but there is nothing to say.
            return Err(SecStatus::InvalidToken);
        }
        let out_token = if token.is_empty() && our_mic.is_none() {
            Vec::new()
        } else {
            tokens::encode_resp(&NegTokenResp {
                neg_state: None,
                supported_mech: None,
                response_token: Some(&token[..]).filter(|t| !t.is_empty()),
                mech_list_mic: our_mic.as_deref(),
            })
        };
        if completed {
            self.phase = Phase::Done;
        }
        Ok(HandshakeOutput {
            step: Some(if completed {
                Step::Complete
            } else {
                Step::ContinueNeeded
            }),
            token: out_token,
            context_attr: self.attrs,
            expiry,
        })
    }
}

impl SecurityContext for NegotiateClient {
    delegate_to_inner!();

    fn initialize(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        match self.phase {
            Phase::Start => self.first(input),
            Phase::InitSent | Phase::Agreed => self.next(input),
            Phase::Done => Err(SecStatus::OutOfSequence),
        }
    }
}
