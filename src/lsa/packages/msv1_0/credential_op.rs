//! NTLM's credential operations, the part of NTLM that runs where the NT
//! OWF lives: MSV1_0's "LSA mode" functions (Windows: in lsass; here in
//! the process holding the session store, the LSA service by default).
//! Given a logon session's NT OWF and what the client context built from
//! the CHALLENGE, they return the response and the SessionBaseKey; the
//! client context (user mode) never sees the OWF when it uses the logon
//! session's credentials.

use super::credential::Msv1_0PrimaryCredential;
use super::owf::{hmac_md5_with, ntowf_v2_keyed, HmacMd5, Key16, NtOwf};
use super::responses::{lmv2_response_with, ntlmv1_response, ntlmv1_session_base_key};
use crate::lsa::session::{may_use, LogonSession};
use zeroize::Zeroizing;

/// Upper bound of the NTLMv2 `temp` an operation accepts: NTLM's largest
/// token (`packages::ntlm::MAX_TOKEN`, checked there at compile time).
pub const MAX_TEMP: usize = 2888;

/// The NTLMv2 computation a client asks of its logon session
/// (MS-NLMP 3.3.2): NTProofStr over ServerChallenge || temp, the LMv2
/// response when asked for, and the SessionBaseKey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Request {
    pub server_challenge: [u8; 8],
    pub client_challenge: [u8; 8],
    /// The NTLMv2 `temp` (the response minus NTProofStr), as sent.
    pub temp: Vec<u8>,
    /// Also compute the LMv2 response (no MIC in the AUTHENTICATE).
    pub want_lm: bool,
}

/// The result of a [`V2Request`].
pub struct V2Response {
    pub nt_proof: [u8; 16],
    pub lm: Option<[u8; 24]>,
    pub session_base_key: Key16,
}

/// The NTLMv1 computation (3.3.1): the NtChallengeResponse (with ESS when
/// `ess_client_challenge` is given) and SessionBaseKey = MD4(NTOWFv1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Request {
    pub server_challenge: [u8; 8],
    pub ess_client_challenge: Option<[u8; 8]>,
}

/// The result of a [`V1Request`].
pub struct V1Response {
    pub nt: [u8; 24],
    pub session_base_key: Key16,
}

/// One credential operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialOp {
    V2(V2Request),
    V1(V1Request),
}

/// Its result.
pub enum CredentialOpResult {
    V2(V2Response),
    V1(V1Response),
}

/// Run `op` with an HMAC keyed with NTOWFv2 (for V2) and the NT OWF (V1).
pub fn run(op: &CredentialOp, ntowf_v2: &HmacMd5, nt_owf: &[u8; 16]) -> CredentialOpResult {
    match op {
        CredentialOp::V2(r) => {
            let proof = hmac_md5_with(ntowf_v2, &[&r.server_challenge, &r.temp]);
            let lm = r
                .want_lm
                .then(|| lmv2_response_with(ntowf_v2, &r.server_challenge, &r.client_challenge));
            CredentialOpResult::V2(V2Response {
                nt_proof: proof,
                lm,
                session_base_key: Zeroizing::new(hmac_md5_with(ntowf_v2, &[&proof])),
            })
        }
        CredentialOp::V1(r) => CredentialOpResult::V1(V1Response {
            nt: ntlmv1_response(nt_owf, &r.server_challenge, r.ess_client_challenge.as_ref()),
            session_base_key: ntlmv1_session_base_key(nt_owf),
        }),
    }
}

/// The NT OWF of session `s` and NTOWFv2 keyed from it; `None` when the
/// session holds no NT OWF.
fn session_keys(s: &LogonSession) -> Option<(&NtOwf, HmacMd5)> {
    let m = Msv1_0PrimaryCredential::of(s)?;
    let owf = m.nt_owf.as_ref()?;
    Some((owf, ntowf_v2_keyed(owf, &m.user, &m.domain)))
}

/// Run `op` with the NT OWF of session `s` for a caller of Linux user
/// `caller_uid` (uid 0: any session); `None` when the session is another
/// uid's or holds no NT OWF ([`crate::lsa::store::SessionStore::msv1_0_credential_op`]).
pub fn run_for_session(
    s: &LogonSession,
    caller_uid: u32,
    op: &CredentialOp,
) -> Option<CredentialOpResult> {
    if !may_use(s.owner_uid, caller_uid) {
        return None;
    }
    let (owf, keyed) = session_keys(s)?;
    Some(run(op, &keyed, owf))
}

/// What one session's operations need, derived once (NTOWFv2's keyed
/// HMAC) rather than per request, for a holder that keeps them between
/// operations (the LSA service); wiped when dropped.
pub struct SessionOpKeys {
    owner_uid: u32,
    ntowf_v2: HmacMd5,
    nt_owf: NtOwf,
}

impl SessionOpKeys {
    /// The keys of session `s`; `None` when it holds no NT OWF.
    pub fn of(s: &LogonSession) -> Option<SessionOpKeys> {
        let (owf, ntowf_v2) = session_keys(s)?;
        Some(SessionOpKeys {
            owner_uid: s.owner_uid,
            ntowf_v2,
            nt_owf: owf.clone(),
        })
    }

    /// [`run_for_session`] with these keys.
    pub fn run(&self, caller_uid: u32, op: &CredentialOp) -> Option<CredentialOpResult> {
        may_use(self.owner_uid, caller_uid).then(|| run(op, &self.ntowf_v2, &self.nt_owf))
    }
}
