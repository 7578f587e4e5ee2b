//! The NTLM server (MS-NLMP 3.2.5): NEGOTIATE in, CHALLENGE out,
//! AUTHENTICATE in, validated against the local account database.
//!
//! A NEGOTIATE whose flags, answered by [`challenge_flags`], do not give what
//! `NtlmSettings::min_server_sec` requires (by default 128-bit keys and
//! extended session security) → SEC_E_UNSUPPORTED_FUNCTION (MS-NLMP
//! 3.2.5.1.1).
//!
//! Status codes of the final leg, in the order the checks run:
//! * token missing → SEC_E_INCOMPLETE_MESSAGE; longer than cbMaxToken,
//!   undecodable, or an NTLMv2 response shorter than its fixed header →
//!   SEC_E_INVALID_TOKEN;
//! * NegotiateFlags short of `min_server_sec` (a man in the middle who hid
//!   MsvAvTimestamp, so that no MIC protects them, may have edited them) →
//!   SEC_E_UNSUPPORTED_FUNCTION (MS-NLMP 3.2.5.1.2);
//! * unknown user, user unknown in the domain sent, empty user with a
//!   response, a user or domain name with a control character (NUL...),
//!   wrong password, or an NTProofStr that fails over the blob as
//!   received (so a tampered blob, user or domain), an smbpasswd account
//!   that is locked out, disabled or has no usable password →
//!   SEC_E_LOGON_DENIED, as Windows answers a failed MSV1_0 validation
//!   (AcceptSecurityContext documents no other logon status, BEHAVIOURS.md
//!   62); an NTLMv1 or LM-only response while the LM compatibility level
//!   demands NTLMv2 → also SEC_E_LOGON_DENIED;
//! * a blob TimeStamp more than MaxLifetime (36 h) from the server clock →
//!   SEC_E_CONTEXT_EXPIRED (the spec only says the response is rejected);
//! * MsvAvFlags claims a MIC but the message has no MIC field, or the MIC
//!   does not match (zeroed, stripped, or any other field of the three
//!   messages changed), or policy requires a MIC and there is none →
//!   SEC_E_INVALID_TOKEN (MS-NLMP 3.2.5.1.2 only demands "an authentication
//!   failure"; the message was tampered with, like Samba's
//!   NT_STATUS_INVALID_PARAMETER);
//! * the server was given channel bindings and the client's
//!   MsvAvChannelBindings is non-zero and different → SEC_E_BAD_BINDINGS;
//!   absent or all zero is accepted (Extended Protection "when supported")
//!   unless `OPENSSPI_NTLM_REQUIRE_BINDINGS` or ASC_REQ_PROXY_BINDINGS.
//!
//! The client is reported (NAMES, NATIVE_NAMES, impersonation) as the
//! account record whose password produced the response, in the record's
//! spelling; a domain-less record as the computer's NetBIOS name. Every
//! record that may match is tried ([`AccountDatabase::candidates`]).
//!
//! Anonymous (empty user, no NT response, LM response empty or Z(1)) is
//! accepted as NT AUTHORITY\ANONYMOUS LOGON, as Windows does (item 59),
//! unless `OPENSSPI_NTLM_DENY_ANONYMOUS` (then SEC_E_LOGON_DENIED).

use std::sync::Arc;

use zeroize::Zeroizing;

use super::client::ct_eq;
use super::crypto::*;
use super::flags::*;
use super::messages::*;
use super::session::{forward_to_session, query_incomplete, Session, SessionNames};
use super::{
    encoded_host_names, host_names, NtlmSettings, MAX_LIFETIME, MAX_TOKEN, NTLM_PACKAGE_INFO,
};
use crate::lsa::accounts::{self, Account, AccountDatabase};
use crate::lsa::network::NetworkIdentity;
use crate::lsa::packages::msv1_0::netlogon::member::MemberConfig;
use crate::lsa::packages::msv1_0::netlogon::pass_through::validate_domain_user;
use crate::sspi::consts::*;
use crate::sspi::time::{filetime_now, TIMESTAMP_NEVER};
use crate::sspi::{
    ContextAttribute, HandshakeInput, HandshakeOutput, PackageInfo, SecResult, SecStatus,
    SecurityContext, Step,
};
use crate::trace::{reject, Who};

enum State {
    Initial,
    Challenged {
        negotiate: Vec<u8>,
        challenge: Vec<u8>,
        server_challenge: [u8; 8],
    },
    Done(Box<Session>),
    Failed,
}

/// A server context.
pub struct NtlmServer {
    settings: NtlmSettings,
    accounts: Option<Arc<AccountDatabase>>,
    context_req: u32,
    attrs: u32,
    state: State,
    /// Fixed ServerChallenge for tests.
    pub(crate) fixed_challenge: Option<[u8; 8]>,
    /// The client as the domain controller validated it (MSV1_0
    /// pass-through), for its network logon session.
    dc_identity: Option<NetworkIdentity>,
    /// The domain member configuration, read once at the CHALLENGE (whose
    /// names it gave) and used for the AUTHENTICATE's pass-through; `None`
    /// on a standalone server.
    member: Option<MemberConfig>,
}

/// CHALLENGE_MESSAGE flags for a client's NEGOTIATE flags (3.2.5.1.1):
/// Windows answers 0xE20882B7 with 0xE28A8235.
pub fn challenge_flags(client: u32) -> u32 {
    let mut f = NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_TARGET_INFO;
    f |= if client & NTLMSSP_NEGOTIATE_UNICODE != 0 || client & NTLM_NEGOTIATE_OEM == 0 {
        NTLMSSP_NEGOTIATE_UNICODE
    } else {
        NTLM_NEGOTIATE_OEM
    };
    if client & NTLMSSP_REQUEST_TARGET != 0 {
        f |= NTLMSSP_REQUEST_TARGET | NTLMSSP_TARGET_TYPE_SERVER;
    }
    f | (client
        & (NTLMSSP_NEGOTIATE_SIGN
            | NTLMSSP_NEGOTIATE_SEAL
            | NTLMSSP_NEGOTIATE_ALWAYS_SIGN
            | NTLMSSP_NEGOTIATE_KEY_EXCH
            | NTLMSSP_NEGOTIATE_128
            | NTLMSSP_NEGOTIATE_56
            | NTLMSSP_NEGOTIATE_VERSION
            | NTLMSSP_NEGOTIATE_IDENTIFY
            | ESS))
}

/// A domain member's CHALLENGE name pairs
/// ([`crate::lsa::packages::msv1_0::netlogon::member::MemberConfig::target_names`]).
fn member_av_names(config: &MemberConfig) -> Vec<u8> {
    let [nb_domain, nb_computer, dns_domain, dns_computer] = config.target_names();
    let mut info = AvPairs::default();
    info.set(MSV_AV_NB_DOMAIN_NAME, utf16le(&nb_domain));
    info.set(MSV_AV_NB_COMPUTER_NAME, utf16le(&nb_computer));
    info.set(MSV_AV_DNS_DOMAIN_NAME, utf16le(&dns_domain));
    info.set(MSV_AV_DNS_COMPUTER_NAME, utf16le(&dns_computer));
    let mut names = info.encode();
    names.truncate(names.len() - 4); // EOL
    names
}

/// The NTLMv2 blob's TimeStamp (at 8..16 of a blob of at least 28 bytes)
/// within MaxLifetime of the server clock, else SEC_E_CONTEXT_EXPIRED.
fn check_blob_time(blob: &[u8], who: &Who<'_>) -> SecResult<()> {
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&blob[8..16]);
    let ts = u64::from_le_bytes(ts) as i64;
    if ts.abs_diff(filetime_now()) > MAX_LIFETIME as u64 {
        return Err(reject!(
            SecStatus::ContextExpired,
            "NTLMv2 blob timestamp of {who} off by more than {} s",
            MAX_LIFETIME / 10_000_000
        ));
    }
    Ok(())
}

impl NtlmServer {
    pub fn new(
        settings: NtlmSettings,
        accounts: Option<Arc<AccountDatabase>>,
        context_req: u32,
    ) -> Self {
        NtlmServer {
            settings,
            accounts,
            context_req,
            attrs: 0,
            state: State::Initial,
            fixed_challenge: None,
            dc_identity: None,
            member: None,
        }
    }

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

    /// Leg 1: NEGOTIATE in, CHALLENGE out.
    fn challenge(&mut self, token: &[u8]) -> SecResult<HandshakeOutput> {
        let neg = NegotiateMessage::decode(token)
            .map_err(|e| reject!(e, "malformed NEGOTIATE_MESSAGE ({} bytes)", token.len()))?;
        let flags = challenge_flags(neg.flags);
        if !meets_min_sec(flags, self.settings.min_server_sec) {
            return Err(reject!(
                SecStatus::UnsupportedFunction,
                "NEGOTIATE flags 0x{flags:08X} below OPENSSPI_NTLM_MIN_SERVER_SEC 0x{:08X}",
                self.settings.min_server_sec
            ));
        }
        let unicode = flags & NTLMSSP_NEGOTIATE_UNICODE != 0;
        let names = host_names();
        let encoded = encoded_host_names();
        let sc = match self.fixed_challenge {
            Some(c) => c,
            None => random_bytes::<8>()?,
        };
        // The four name pairs (encoded once per process; a domain member's
        // from its configuration), MsvAvTimestamp, EOL.
        self.member = match self.settings.member_config {
            true => MemberConfig::from_env().unwrap_or_else(|e| {
                tracing::warn!("MSV1_0: member configuration ignored: {e}");
                None
            }),
            false => None,
        };
        let member = self.member.as_ref().map(member_av_names);
        let prefix = member.as_ref().unwrap_or(&encoded.challenge_av_names);
        let mut info = Vec::with_capacity(prefix.len() + 16);
        info.extend_from_slice(prefix);
        info.extend_from_slice(&MSV_AV_TIMESTAMP.to_le_bytes());
        info.extend_from_slice(&8u16.to_le_bytes());
        info.extend_from_slice(&(filetime_now() as u64).to_le_bytes());
        info.extend_from_slice(&[0, 0, 0, 0]);
        let challenge = ChallengeRef {
            flags,
            target_name: if flags & NTLMSSP_REQUEST_TARGET == 0 {
                &[]
            } else if unicode {
                &encoded.netbios_utf16
            } else {
                names.netbios.as_bytes()
            },
            server_challenge: sc,
            target_info: &info,
            version: (flags & NTLMSSP_NEGOTIATE_VERSION != 0).then_some(Version::OURS),
        }
        .encode();
        self.attrs = asc_ret_first(self.context_req, neg.flags);
        self.state = State::Challenged {
            negotiate: token.to_vec(),
            challenge: challenge.clone(),
            server_challenge: sc,
        };
        Ok(HandshakeOutput {
            step: Some(Step::ContinueNeeded),
            token: challenge,
            context_attr: self.attrs,
            expiry: TIMESTAMP_NEVER,
        })
    }

    /// Leg 2: validate the AUTHENTICATE_MESSAGE (3.2.5.1.2).
    fn validate(
        &mut self,
        negotiate: &[u8],
        challenge: &[u8],
        sc: &[u8; 8],
        token: &[u8],
        input: &HandshakeInput<'_>,
    ) -> SecResult<Session> {
        let auth = AuthenticateRef::decode(token)
            .map_err(|e| reject!(e, "malformed AUTHENTICATE_MESSAGE ({} bytes)", token.len()))?;
        let flags = auth.flags;
        if !meets_min_sec(flags, self.settings.min_server_sec) {
            return Err(reject!(
                SecStatus::UnsupportedFunction,
                "AUTHENTICATE flags 0x{flags:08X} below OPENSSPI_NTLM_MIN_SERVER_SEC 0x{:08X}",
                self.settings.min_server_sec
            ));
        }
        let unicode = flags & NTLMSSP_NEGOTIATE_UNICODE != 0;
        let user = decode_string(auth.user, unicode)?;
        let domain = decode_string(auth.domain, unicode)?;
        let who = Who(&domain, &user);
        let anonymous = user.is_empty()
            && auth.nt_response.is_empty()
            && (auth.lm_response.is_empty() || auth.lm_response[..] == [0]);

        let mut dc_identity = None;
        let (kxkey, pairs, names) = if anonymous {
            if self.settings.deny_anonymous {
                return Err(reject!(
                    SecStatus::LogonDenied,
                    "anonymous logon denied by policy (OPENSSPI_NTLM_DENY_ANONYMOUS)"
                ));
            }
            let names = SessionNames {
                client_domain: "NT AUTHORITY".into(),
                client_user: "ANONYMOUS LOGON".into(),
                server: host_names().netbios.clone(),
                authority: "NT AUTHORITY".into(),
            };
            (Key16::default(), AvPairsRef::default(), names)
        } else {
            if user.is_empty() {
                return Err(reject!(
                    SecStatus::LogonDenied,
                    "empty user name with a non-empty response"
                ));
            }
            let check = |db: &AccountDatabase| {
                let (account, kxkey, pairs) = self.verify(db, &auth, &user, &domain, sc)?;
                // The record's names, never the client's spelling.
                let client_domain = account.reported_domain().to_string();
                let names = SessionNames {
                    authority: client_domain.clone(),
                    client_domain,
                    client_user: account.user.clone(),
                    server: host_names().netbios.clone(),
                };
                Ok::<_, SecStatus>((kxkey, pairs, names))
            };
            let pass_through = match &self.member {
                Some(config) => Self::pass_through(config, &auth, &user, &domain, unicode, sc),
                None => None,
            };
            match pass_through {
                Some(r) => {
                    let (kxkey, pairs, names, id) = r?;
                    dc_identity = Some(id);
                    (kxkey, pairs, names)
                }
                None => match &self.accounts {
                    Some(d) => check(d)?,
                    None => accounts::with_database(check)?,
                },
            }
        };

        let exported = if flags & NTLMSSP_NEGOTIATE_KEY_EXCH != 0
            && flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL) != 0
        {
            let enc = auth.encrypted_random_session_key;
            if enc.len() != 16 {
                return Err(reject!(
                    SecStatus::InvalidToken,
                    "EncryptedRandomSessionKey of {} bytes, not 16",
                    enc.len()
                ));
            }
            let mut k = Key16::default();
            k.copy_from_slice(enc);
            rc4k(&kxkey[..], &mut k[..]);
            k
        } else {
            kxkey
        };

        // MIC over NEGOTIATE || CHALLENGE || AUTHENTICATE with the MIC zeroed.
        if pairs.av_flags() & MSV_AV_FLAG_MIC_PRESENT != 0 {
            let mic = auth.mic.ok_or_else(|| {
                reject!(
                    SecStatus::InvalidToken,
                    "MsvAvFlags announce a MIC but the AUTHENTICATE has none"
                )
            })?;
            let tail = token
                .get(MIC_OFFSET + 16..)
                .ok_or(SecStatus::InvalidToken)?;
            let expected = hmac_md5(
                &exported[..],
                &[negotiate, challenge, &token[..MIC_OFFSET], &[0u8; 16], tail],
            );
            if !ct_eq(&expected, &mic) {
                return Err(reject!(
                    SecStatus::InvalidToken,
                    "MIC mismatch for {who} (NEGOTIATE, CHALLENGE or AUTHENTICATE altered)"
                ));
            }
        } else if self.settings.require_mic && !anonymous {
            return Err(reject!(
                SecStatus::InvalidToken,
                "MIC absent but required by policy (OPENSSPI_NTLM_REQUIRE_MIC) for {who}"
            ));
        }

        let mut attrs = asc_ret_final(self.context_req, flags, anonymous);
        if let (Some(raw), false) = (input.channel_bindings, anonymous) {
            let expected = channel_bindings_hash(raw)?;
            match pairs
                .get(MSV_AV_CHANNEL_BINDINGS)
                .filter(|v| v.iter().any(|&b| b != 0))
            {
                Some(got) if !ct_eq(got, &expected) => {
                    return Err(reject!(
                        SecStatus::BadBindings,
                        "channel bindings of {who} differ from the server's"
                    ))
                }
                Some(_) => {}
                None if self.settings.require_bindings
                    || self.context_req & ASC_REQ_PROXY_BINDINGS != 0 =>
                {
                    return Err(reject!(
                        SecStatus::BadBindings,
                        "channel bindings absent but required (policy or ASC_REQ_PROXY_BINDINGS) for {who}"
                    ))
                }
                None => {
                    if self.context_req & ASC_REQ_ALLOW_MISSING_BINDINGS != 0 {
                        attrs |= ASC_RET_MISSING_BINDINGS;
                    }
                }
            }
        }
        let mic = pairs.av_flags() & MSV_AV_FLAG_MIC_PRESENT != 0;
        self.dc_identity = dc_identity;
        Ok(Session::new(false, anonymous, flags, attrs, exported, names).with_mic(mic))
    }

    /// A user of the domain this server is a member of: MSV1_0 forwards
    /// the NTLMv2 response to the DC (MS-APDS 3.1.5.2), whose answer gives
    /// KXKEY (the SessionBaseKey), the names and the network identity.
    /// `None`: not a member, or another domain (local accounts decide).
    #[allow(clippy::type_complexity)]
    fn pass_through<'a>(
        config: &MemberConfig,
        auth: &AuthenticateRef<'a>,
        user: &str,
        domain: &str,
        unicode: bool,
        sc: &[u8; 8],
    ) -> Option<SecResult<(Key16, AvPairsRef<'a>, SessionNames, NetworkIdentity)>> {
        if !config.is_member_domain(domain) {
            return None;
        }
        let workstation = match decode_string(auth.workstation, unicode) {
            Ok(w) => w,
            Err(e) => return Some(Err(e)),
        };
        let workstation = workstation.as_str();
        // Only NTLMv2 goes to the DC: its SessionBaseKey is KXKEY, and the
        // blob's AV pairs (MIC, bindings) and TimeStamp are checked here as
        // for a local account. NTLMv1/LM are refused before the DC is asked.
        let who = Who(domain, user);
        let blob = match auth.nt_response.get(16..) {
            Some(b) if auth.nt_response.len() > 24 && b.len() >= 28 => b,
            _ => {
                return Some(Err(reject!(
                    SecStatus::LogonDenied,
                    "NT response of {} bytes from {who}: only NTLMv2 is passed through to the DC",
                    auth.nt_response.len()
                )))
            }
        };
        let pairs = match AvPairsRef::parse(&blob[28..]).and_then(|p| {
            check_blob_time(blob, &who)?;
            Ok(p)
        }) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let logon = validate_domain_user(
            config,
            domain,
            user,
            workstation,
            sc,
            auth.nt_response,
            auth.lm_response,
            NTLM_PACKAGE_INFO.name,
        );
        Some((|| {
            let logon = logon?;
            let id = logon.identity;
            let names = SessionNames {
                authority: id.domain.clone(),
                client_domain: id.domain.clone(),
                client_user: id.user.clone(),
                server: host_names().netbios.clone(),
            };
            Ok((logon.session_base_key, pairs, names, id))
        })())
    }

    /// The account whose password produced the client's response, tried
    /// in [`AccountDatabase::candidates`] order (none for a user or domain
    /// name with a control character), with KXKEY and the
    /// client's AV pairs. A locked-out candidate is never tried; a disabled
    /// one whose password matched ends the search (SEC_E_LOGON_DENIED,
    /// MSV1_0's STATUS_ACCOUNT_DISABLED); an account without a usable
    /// password never matches.
    fn verify<'d, 'a>(
        &self,
        db: &'d AccountDatabase,
        auth: &AuthenticateRef<'a>,
        user: &str,
        domain: &str,
        sc: &[u8; 8],
    ) -> SecResult<(&'d Account, Key16, AvPairsRef<'a>)> {
        let who = Who(domain, user);
        let mut known = false;
        for account in db.candidates(user, domain) {
            known = true;
            if account.control.locked {
                tracing::info!(
                    "{who}: account locked out{}, not tried",
                    account.source_line()
                );
                continue;
            }
            let verified = if auth.nt_response.len() > 24 {
                self.check_v2(auth, account, user, domain, sc)
            } else if auth.nt_response.len() == 24 && self.settings.server_accepts_v1() {
                self.check_v1(auth, account, sc)
                    .map(|k| (k, AvPairsRef::default()))
            } else {
                return Err(reject!(
                    SecStatus::LogonDenied,
                    "NT response of {} bytes from {who}: NTLMv1 refused at LM_COMPAT_LEVEL {}",
                    auth.nt_response.len(),
                    self.settings.lm_compat_level
                ));
            };
            match verified {
                Ok(_) if account.control.disabled => {
                    return Err(reject!(
                        SecStatus::LogonDenied,
                        "account {who} disabled{}",
                        account.source_line()
                    ))
                }
                Ok((kxkey, pairs)) => return Ok((account, kxkey, pairs)),
                Err(SecStatus::LogonDenied) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(if known {
            reject!(
                SecStatus::LogonDenied,
                "no account named {who} verified the response (wrong password or locked out)"
            )
        } else {
            reject!(
                SecStatus::LogonDenied,
                "no account named {who} in the account database"
            )
        })
    }

    /// NTLMv2: NTProofStr over the blob exactly as received, then the
    /// TimeStamp. Returns KXKEY (= SessionBaseKey) and the client's AV pairs.
    fn check_v2<'a>(
        &self,
        auth: &AuthenticateRef<'a>,
        account: &Account,
        user: &str,
        domain: &str,
        sc: &[u8; 8],
    ) -> SecResult<(Key16, AvPairsRef<'a>)> {
        let who = Who(domain, user);
        let (proof, blob) = auth.nt_response.split_at(16);
        if blob.len() < 28 {
            return Err(reject!(
                SecStatus::InvalidToken,
                "NTLMv2 client blob of {} bytes, shorter than 28",
                blob.len()
            ));
        }
        // MS-NLMP 3.2.5.1.2: also accept clients that used a NIL UserDom.
        let key = [domain, ""]
            .iter()
            .take(if domain.is_empty() { 1 } else { 2 })
            .filter_map(|d| account.ntowf_v2_keyed(user, d))
            .find(|k| ct_eq(&hmac_md5_with(k, &[sc, blob]), proof))
            .ok_or_else(|| {
                reject!(
                    SecStatus::LogonDenied,
                    "NTProofStr mismatch for {who}{} (wrong password)",
                    account.source_line()
                )
            })?;
        let pairs = AvPairsRef::parse(&blob[28..])?;
        check_blob_time(blob, &who)?;
        Ok((Zeroizing::new(hmac_md5_with(&key, &[proof])), pairs))
    }

    /// NTLMv1 (only below LM compatibility level 3): returns KXKEY.
    fn check_v1(
        &self,
        auth: &AuthenticateRef<'_>,
        account: &Account,
        sc: &[u8; 8],
    ) -> SecResult<Key16> {
        let ess = auth.flags & ESS != 0;
        let cc: Option<[u8; 8]> = if ess {
            Some(
                auth.lm_response
                    .get(..8)
                    .ok_or(SecStatus::InvalidToken)?
                    .try_into()
                    .map_err(|_| SecStatus::InvalidToken)?,
            )
        } else {
            None
        };
        let nt_owf = account.nt_owf.as_ref().ok_or_else(|| {
            reject!(
                SecStatus::LogonDenied,
                "account {} has no usable password{}",
                Who(&account.domain, &account.user),
                account.source_line()
            )
        })?;
        let expected = ntlmv1_response(nt_owf, sc, cc.as_ref());
        if !ct_eq(&expected, auth.nt_response) {
            return Err(reject!(
                SecStatus::LogonDenied,
                "NTLMv1 response mismatch for {}{} (wrong password)",
                Who(&account.domain, &account.user),
                account.source_line()
            ));
        }
        let lmowf = account.password.as_ref().map(|p| lmowf_v1(p));
        let sbk = ntlmv1_session_base_key(nt_owf);
        kxkey_v1(auth.flags, &sbk, lmowf.as_deref(), auth.lm_response, sc)
    }
}

impl SecurityContext for NtlmServer {
    fn package(&self) -> &'static PackageInfo {
        &NTLM_PACKAGE_INFO
    }

    fn accept(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        if matches!(self.state, State::Done(_) | State::Failed) {
            return Err(reject!(
                SecStatus::OutOfSequence,
                "AcceptSecurityContext on a finished or failed NTLM context"
            ));
        }
        let token = input
            .token
            .filter(|t| !t.is_empty())
            .ok_or(SecStatus::IncompleteMessage)?;
        if token.len() > MAX_TOKEN {
            return Err(reject!(
                SecStatus::InvalidToken,
                "NTLM token of {} bytes (limit {MAX_TOKEN})",
                token.len()
            ));
        }
        match std::mem::replace(&mut self.state, State::Failed) {
            State::Initial => self.challenge(token),
            State::Challenged {
                negotiate,
                challenge,
                server_challenge,
            } => {
                let session =
                    self.validate(&negotiate, &challenge, &server_challenge, token, input)?;
                self.attrs = session.attrs();
                self.state = State::Done(Box::new(session));
                Ok(HandshakeOutput {
                    step: Some(Step::Complete),
                    token: Vec::new(),
                    context_attr: self.attrs,
                    expiry: TIMESTAMP_NEVER,
                })
            }
            State::Done(_) | State::Failed => Err(SecStatus::OutOfSequence),
        }
    }

    forward_to_session!();

    fn client_identity(&self) -> Option<(String, String)> {
        self.session().and_then(|s| s.client_identity())
    }

    fn network_identity(&self) -> Option<NetworkIdentity> {
        match (&self.dc_identity, self.session()) {
            (Some(id), Some(_)) => Some(id.clone()),
            _ => {
                let (domain, user) = self.client_identity()?;
                Some(NetworkIdentity::new(&user, &domain, NTLM_PACKAGE_INFO.name))
            }
        }
    }
}
