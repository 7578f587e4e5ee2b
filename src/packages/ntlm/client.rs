//! The NTLM client (MS-NLMP 3.1.5): NEGOTIATE out, CHALLENGE in,
//! AUTHENTICATE out.
//!
//! At the default LM compatibility level (3) the client answers every
//! CHALLENGE with NTLMv2, also when the server offers no extended session
//! security (as Windows does). Levels 0-2 answer with NTLMv1 (with ESS when
//! the server offers it, except at level 0); since the credential keeps no
//! LM OWF, the LmChallengeResponse then repeats the NT response (Windows'
//! level-2 behaviour) and LM_KEY is never negotiated.
//!
//! Errors: a second leg without a token or with a malformed CHALLENGE →
//! SEC_E_INVALID_TOKEN; a CHALLENGE whose flags do not give what
//! `NtlmSettings::min_client_sec` requires (by default 128-bit keys and
//! extended session security; a man in the middle may have edited them) →
//! SEC_E_UNSUPPORTED_FUNCTION (MS-NLMP 3.1.5.1.2); a call after completion
//! or failure → SEC_E_OUT_OF_SEQUENCE.

use std::sync::Arc;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::crypto::*;
use super::flags::*;
use super::messages::*;
use super::session::{forward_to_session, query_incomplete, Session, SessionNames};
use super::{encoded_host_names, host_names, ClientCredential, NtlmSettings, NTLM_PACKAGE_INFO};
use crate::lsa::packages::msv1_0::credential_op::{
    CredentialOp, CredentialOpResult, V1Request, V2Request,
};
use crate::sspi::time::{filetime_now, TIMESTAMP_NEVER};
use crate::sspi::{
    ContextAttribute, HandshakeInput, HandshakeOutput, PackageInfo, SecResult, SecStatus,
    SecurityContext, Step,
};
use crate::trace::reject;

/// Fixed inputs so tests are deterministic.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientHooks {
    pub client_challenge: Option<[u8; 8]>,
    /// Used instead of the server's MsvAvTimestamp and the clock.
    pub time: Option<u64>,
    pub random_session_key: Option<[u8; 16]>,
    /// Send the NTLMv2 blob without its trailing Z(4), as Samba does.
    pub trim_blob: bool,
}

enum State {
    Initial,
    Negotiated { negotiate: Vec<u8>, flags: u32 },
    Done(Box<Session>),
    Failed,
}

/// A client context.
pub struct NtlmClient {
    cred: Arc<ClientCredential>,
    settings: NtlmSettings,
    target: Option<String>,
    context_req: u32,
    attrs: u32,
    state: State,
    pub(crate) hooks: ClientHooks,
}

impl NtlmClient {
    pub fn new(
        cred: Arc<ClientCredential>,
        settings: NtlmSettings,
        target: Option<&str>,
        context_req: u32,
    ) -> Self {
        NtlmClient {
            cred,
            settings,
            target: target.filter(|t| !t.is_empty()).map(str::to_string),
            context_req,
            attrs: 0,
            state: State::Initial,
            hooks: ClientHooks::default(),
        }
    }

    /// The established session, if any.
    pub fn session(&self) -> Option<&Session> {
        match &self.state {
            State::Done(s) => Some(s),
            _ => None,
        }
    }

    fn session_mut(&mut self) -> SecResult<&mut Session> {
        match &mut self.state {
            State::Done(s) => Ok(s),
            _ => Err(SecStatus::InvalidHandle),
        }
    }

    fn anonymous(&self) -> bool {
        self.cred.anonymous
    }

    /// Leg 1: the NEGOTIATE_MESSAGE (3.1.5.1.1).
    fn negotiate(&mut self) -> HandshakeOutput {
        // Integrity or confidentiality the policy requires is also asked for.
        let flags = negotiate_flags_for(self.context_req)
            | (self.settings.min_client_sec & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL));
        let token = NegotiateMessage {
            flags,
            domain: Vec::new(),
            workstation: Vec::new(),
            version: Some(Version::OURS),
        }
        .encode();
        self.attrs = isc_ret_first(self.context_req, self.anonymous());
        self.state = State::Negotiated {
            negotiate: token.clone(),
            flags,
        };
        HandshakeOutput {
            step: Some(Step::ContinueNeeded),
            token,
            context_attr: self.attrs,
            expiry: TIMESTAMP_NEVER,
        }
    }

    /// Leg 2: CHALLENGE in, AUTHENTICATE out (3.1.5.1.2).
    fn authenticate(
        &mut self,
        negotiate: &[u8],
        neg_flags: u32,
        input: &HandshakeInput<'_>,
    ) -> SecResult<(HandshakeOutput, Session)> {
        let token = input
            .token
            .filter(|t| !t.is_empty())
            .ok_or(SecStatus::InvalidToken)?;
        let chal = ChallengeRef::decode(token)
            .map_err(|e| reject!(e, "malformed CHALLENGE_MESSAGE ({} bytes)", token.len()))?;
        let anonymous = self.anonymous();
        let v2 = self.settings.client_sends_v2();

        let mut flags = (chal.flags & neg_flags) | (chal.flags & NTLMSSP_NEGOTIATE_TARGET_INFO);
        if flags & NTLMSSP_NEGOTIATE_UNICODE != 0 {
            flags &= !NTLM_NEGOTIATE_OEM;
        }
        if flags & (NTLMSSP_NEGOTIATE_UNICODE | NTLM_NEGOTIATE_OEM) == 0 {
            return Err(reject!(
                SecStatus::InvalidToken,
                "CHALLENGE selects neither Unicode nor OEM strings"
            ));
        }
        if !v2 && self.settings.lm_compat_level == 0 {
            flags &= !ESS;
        }
        if flags & ESS != 0 || !v2 {
            flags &= !NTLMSSP_NEGOTIATE_LM_KEY;
        }
        if !meets_min_sec(flags, self.settings.min_client_sec) {
            return Err(reject!(
                SecStatus::UnsupportedFunction,
                "CHALLENGE flags 0x{flags:08X} below OPENSSPI_NTLM_MIN_CLIENT_SEC 0x{:08X}",
                self.settings.min_client_sec
            ));
        }
        if anonymous {
            flags |= NTLMSSP_NEGOTIATE_ANONYMOUS;
        }
        let unicode = flags & NTLMSSP_NEGOTIATE_UNICODE != 0;
        let sc = chal.server_challenge;
        let key_exch = flags & NTLMSSP_NEGOTIATE_KEY_EXCH != 0
            && flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL) != 0;
        // ClientChallenge and (with KEY_EXCH) the RandomSessionKey from one
        // getrandom call: bytes 0..8 and 8..24.
        let need_random = self.hooks.client_challenge.is_none()
            || (key_exch && self.hooks.random_session_key.is_none());
        let random = Zeroizing::new(if need_random {
            random_bytes::<24>()?
        } else {
            [0u8; 24]
        });
        let cc = match self.hooks.client_challenge {
            Some(c) => c,
            None => random[..8]
                .try_into()
                .map_err(|_| SecStatus::InternalError)?,
        };
        let target = input
            .target
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .or(self.target.clone());

        let mut mic = false;
        // LmChallengeResponse is at most 24 bytes (Z(1) when anonymous).
        let mut lm = [0u8; 24];
        let mut lm_len = 24;
        let (nt, kxkey) = if anonymous {
            lm_len = 1;
            (Vec::new(), Key16::default())
        } else if v2 {
            let pairs = AvPairsRef::parse(chal.target_info)?;
            let server_time = pairs
                .get(MSV_AV_TIMESTAMP)
                .and_then(|t| t.try_into().ok())
                .map(u64::from_le_bytes);
            let time = self
                .hooks
                .time
                .or(server_time)
                .unwrap_or(filetime_now() as u64);
            // The client's AV pairs: the server's with these set (AvPairs::set).
            let av_flags = (pairs.av_flags() | MSV_AV_FLAG_MIC_PRESENT).to_le_bytes();
            let cbt = match input.channel_bindings {
                Some(raw) => channel_bindings_hash(raw)?,
                None => [0u8; 16],
            };
            let target_utf16 = target.as_deref().map(utf16le);
            let mut sets: [(u16, &[u8]); 3] = [(0, &[]); 3];
            let mut n = 0;
            if server_time.is_some() {
                mic = true;
                sets[n] = (MSV_AV_FLAGS, &av_flags);
                n += 1;
            }
            sets[n] = (MSV_AV_CHANNEL_BINDINGS, &cbt);
            n += 1;
            if let Some(t) = &target_utf16 {
                sets[n] = (MSV_AV_TARGET_NAME, t);
                n += 1;
            }
            let sets = &sets[..n];
            // NtChallengeResponse = NTProofStr || temp (ntlmv2_temp), built
            // in one buffer: the proof goes in front once temp is known.
            let mut nt = Vec::with_capacity(16 + 28 + pairs.encoded_len_with(sets) + 4);
            nt.extend_from_slice(&[0; 16]);
            nt.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
            nt.extend_from_slice(&time.to_le_bytes());
            nt.extend_from_slice(&cc);
            nt.extend_from_slice(&[0; 4]);
            pairs.encode_with(sets, &mut nt);
            nt.extend_from_slice(&[0; 4]);
            if self.hooks.trim_blob {
                nt.truncate(nt.len() - 4);
            }
            let sbk = match self.cred.logon_session {
                None => {
                    let keyed = self.cred.ntowf_v2_keyed();
                    let proof = hmac_md5_with(keyed, &[&sc, &nt[16..]]);
                    nt[..16].copy_from_slice(&proof);
                    if !mic {
                        lm = lmv2_response_with(keyed, &sc, &cc);
                    }
                    Zeroizing::new(hmac_md5_with(keyed, &[&proof]))
                }
                Some(luid) => {
                    let op = CredentialOp::V2(V2Request {
                        server_challenge: sc,
                        client_challenge: cc,
                        temp: nt[16..].to_vec(),
                        want_lm: !mic,
                    });
                    let CredentialOpResult::V2(r) = crate::lsa::msv1_0_credential_op(luid, &op)?
                    else {
                        return Err(SecStatus::InternalError);
                    };
                    nt[..16].copy_from_slice(&r.nt_proof);
                    if let Some(l) = r.lm {
                        lm = l;
                    }
                    r.session_base_key
                }
            };
            (nt, sbk)
        } else {
            let ess = flags & ESS != 0;
            let (nt, sbk) = match self.cred.logon_session {
                None => (
                    ntlmv1_response(&self.cred.nt_owf, &sc, ess.then_some(&cc)),
                    ntlmv1_session_base_key(&self.cred.nt_owf),
                ),
                Some(luid) => {
                    let op = CredentialOp::V1(V1Request {
                        server_challenge: sc,
                        ess_client_challenge: ess.then_some(cc),
                    });
                    let CredentialOpResult::V1(r) = crate::lsa::msv1_0_credential_op(luid, &op)?
                    else {
                        return Err(SecStatus::InternalError);
                    };
                    (r.nt, r.session_base_key)
                }
            };
            if ess {
                lm[..8].copy_from_slice(&cc);
            } else {
                lm = nt;
            }
            let kx = kxkey_v1(flags, &sbk, None, &lm, &sc)?;
            (nt.to_vec(), kx)
        };
        let lm = &lm[..lm_len];

        let mut encrypted = [0u8; 16];
        let exported = if key_exch {
            let mut key = Key16::default();
            match self.hooks.random_session_key {
                Some(k) => *key = k,
                None => key.copy_from_slice(&random[8..]),
            }
            encrypted = *key;
            rc4k(&kxkey[..], &mut encrypted);
            key
        } else {
            kxkey
        };

        let (user, domain) = (&self.cred.user, &self.cred.domain);
        let netbios = &host_names().netbios;
        let msg = AuthenticateRef {
            flags,
            lm_response: lm,
            nt_response: &nt,
            domain: if unicode {
                &self.cred.domain_utf16
            } else {
                domain.as_bytes()
            },
            user: if unicode {
                &self.cred.user_utf16
            } else {
                user.as_bytes()
            },
            workstation: if anonymous {
                &[]
            } else if unicode {
                &encoded_host_names().netbios_utf16
            } else {
                netbios.as_bytes()
            },
            encrypted_random_session_key: if key_exch { &encrypted } else { &[] },
            version: (flags & NTLMSSP_NEGOTIATE_VERSION != 0).then_some(Version::OURS),
            mic: mic.then_some([0u8; 16]),
        };
        let mut out = msg.encode();
        if mic {
            let m = hmac_md5(&exported[..], &[negotiate, token, &out]);
            out[MIC_OFFSET..MIC_OFFSET + 16].copy_from_slice(&m);
        }

        let chal_target = decode_string(
            chal.target_name,
            chal.flags & NTLMSSP_NEGOTIATE_UNICODE != 0,
        )
        .unwrap_or_default();
        let names = if anonymous {
            SessionNames {
                client_domain: "NT AUTHORITY".into(),
                client_user: "ANONYMOUS LOGON".into(),
                server: target.unwrap_or_else(|| chal_target.clone()),
                authority: "NT AUTHORITY".into(),
            }
        } else {
            SessionNames {
                client_domain: domain.clone(),
                client_user: user.clone(),
                server: target.unwrap_or_else(|| chal_target.clone()),
                authority: if domain.is_empty() {
                    chal_target
                } else {
                    domain.clone()
                },
            }
        };
        let attrs = isc_ret_final(self.context_req, flags, anonymous);
        let session = Session::new(true, anonymous, flags, attrs, exported, names).with_mic(mic);
        Ok((
            HandshakeOutput {
                step: Some(Step::Complete),
                token: out,
                context_attr: attrs,
                expiry: TIMESTAMP_NEVER,
            },
            session,
        ))
    }
}

/// Compare two MACs in constant time.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

impl SecurityContext for NtlmClient {
    fn package(&self) -> &'static PackageInfo {
        &NTLM_PACKAGE_INFO
    }

    fn initialize(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::Initial => Ok(self.negotiate()),
            State::Negotiated { negotiate, flags } => {
                let (out, session) = self.authenticate(&negotiate, flags, input)?;
                self.attrs = out.context_attr;
                self.state = State::Done(Box::new(session));
                Ok(out)
            }
            s @ State::Done(_) => {
                self.state = s;
                Err(SecStatus::OutOfSequence)
            }
            State::Failed => Err(SecStatus::OutOfSequence),
        }
    }

    forward_to_session!();
}
