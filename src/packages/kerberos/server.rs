//! The acceptor context (AcceptSecurityContext, RFC 4121 §4.1, MS-KILE
//! 3.4.5): the AP-REQ checked by [`super::acceptor`] with the credential's
//! keytab, the process-wide replay cache and the caller's channel
//! bindings; SEC_E_OK in one leg, with the AP-REP as output token when the
//! client asked for mutual authentication. The client name comes from the
//! decrypted ticket; the client's network logon session from the ticket's
//! verified PAC ([`super::network_identity`]).

use std::sync::Arc;

use super::acceptor::{accept_ap_req, AcceptorOptions};
use super::ap_rep::build_krb_error;
use super::ap_wire::*;
use super::context::{filetime, Established};
use super::credential::{CredentialState, ServerSide};
use super::gss::framing::{parse, Mech};
use super::gss::{MessageProtection, ProtectionConfig, Role};
use super::network_identity::network_identity;
use super::pac::VerifiedPac;
use super::replay_cache::ReplayCache;
use crate::lsa::network::NetworkIdentity;
use crate::sspi::consts::*;
use crate::sspi::{
    ContextAttribute, HandshakeInput, HandshakeOutput, PackageInfo, SecResult, SecStatus,
    SecurityContext, Step,
};
use crate::trace::reject;

/// The ASC_RET flags for the GSS flags the client sent.
fn asc_ret(gss_flags: u32, context_req: u32) -> u32 {
    let gss = [
        (GSS_C_DELEG_FLAG, ASC_RET_DELEGATE),
        (GSS_C_MUTUAL_FLAG, ASC_RET_MUTUAL_AUTH),
        (GSS_C_REPLAY_FLAG, ASC_RET_REPLAY_DETECT),
        (GSS_C_SEQUENCE_FLAG, ASC_RET_SEQUENCE_DETECT),
        (GSS_C_CONF_FLAG, ASC_RET_CONFIDENTIALITY),
        (GSS_C_INTEG_FLAG, ASC_RET_INTEGRITY),
    ];
    let req = [
        (ASC_REQ_CONNECTION, ASC_RET_CONNECTION),
        (ASC_REQ_EXTENDED_ERROR, ASC_RET_EXTENDED_ERROR),
    ];
    map_flags(gss_flags, &gss) | map_flags(context_req, &req)
}

/// Where an acceptor's keys come from.
enum Keys {
    /// An inbound credential handle's keytab.
    Credential(Arc<CredentialState>),
    /// A keytab given directly ([`KerberosServer::with_server_side`]).
    ServerSide(Arc<ServerSide>),
}

/// A Kerberos server context.
pub struct KerberosServer {
    keys: Keys,
    context_req: u32,
    done: Option<Box<Established>>,
    /// The accepted ticket's verified PAC, if it had one.
    pac: Option<Arc<VerifiedPac>>,
    failed: bool,
    /// The KRB-ERROR of a refused AP-REQ (ASC_REQ_EXTENDED_ERROR).
    error_token: Option<Vec<u8>>,
    attrs: u32,
}

impl KerberosServer {
    pub fn new(cred: Arc<CredentialState>, context_req: u32) -> Self {
        Self::with_keys(Keys::Credential(cred), context_req)
    }

    /// A server context accepting with `server`'s keytab, without a
    /// credential handle (tests, and an acceptor that holds its keytab).
    pub fn with_server_side(server: Arc<ServerSide>, context_req: u32) -> Self {
        Self::with_keys(Keys::ServerSide(server), context_req)
    }

    fn with_keys(keys: Keys, context_req: u32) -> Self {
        KerberosServer {
            keys,
            context_req,
            done: None,
            pac: None,
            failed: false,
            error_token: None,
            attrs: 0,
        }
    }

    /// AcceptSecurityContext's one leg at the time `now` (Unix seconds,
    /// microseconds), which [`SecurityContext::accept`] takes from the
    /// system clock.
    pub fn accept_at(
        &mut self,
        input: &HandshakeInput<'_>,
        now: (i64, u32),
    ) -> SecResult<HandshakeOutput> {
        if self.done.is_some() || self.failed {
            return Err(reject!(
                SecStatus::InvalidHandle,
                "AcceptSecurityContext on a finished Kerberos context"
            ));
        }
        let r = self.accept_token(input, now);
        self.failed = r.is_err();
        r
    }

    fn accept_token(
        &mut self,
        input: &HandshakeInput<'_>,
        now: (i64, u32),
    ) -> SecResult<HandshakeOutput> {
        let token = input
            .token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| reject!(SecStatus::InvalidToken, "no AP-REQ token"))?;
        let server = match &self.keys {
            Keys::Credential(c) => c.server()?,
            Keys::ServerSide(s) => s.as_ref(),
        };
        let keytab = server
            .keytab
            .as_ref()
            .as_ref()
            .map_err(|_| SecStatus::NoCredentials)?;
        let mut opts = AcceptorOptions::new(keytab, server.principal.as_ref());
        opts.keys = Some(&server.keys);
        opts.tickets = Some(&server.tickets);
        opts.channel_bindings = input.channel_bindings;
        let accepted = match accept_ap_req(&opts, ReplayCache::global(), token, now) {
            Ok(a) => a,
            Err(e) => {
                // Windows tells the client why only when asked
                // (ASC_REQ_EXTENDED_ERROR: "the remote party will be
                // notified"), with the KRB-ERROR MIT's acceptor always sends.
                if self.context_req & ASC_REQ_EXTENDED_ERROR != 0 {
                    let me = server
                        .principal
                        .clone()
                        .or_else(|| keytab.entries.first().map(|e| e.principal.clone()));
                    self.error_token = me.and_then(|p| build_krb_error(e.code, &p, now).ok());
                }
                return Err(reject!(
                    e.status,
                    "Kerberos AP-REQ refused (KRB_AP_ERR code {})",
                    e.code
                ));
            }
        };
        let mech = parse(token).map(|f| f.mech).unwrap_or(Mech::Krb5);
        self.attrs = asc_ret(accepted.gss_flags, self.context_req);
        // RFC 4121 §2: the acceptor subkey when we sent one, else the
        // initiator's subkey, else the ticket session key.
        let (key, acceptor_subkey) = match &accepted.acceptor_subkey {
            Some(k) => (k.clone(), true),
            None => (
                accepted
                    .initiator_subkey
                    .clone()
                    .unwrap_or_else(|| accepted.session_key.clone()),
                false,
            ),
        };
        let recv_seq = accepted.initiator_seq_number.unwrap_or(0) as u64;
        let send_seq = accepted
            .acceptor_seq_number
            .map(u64::from)
            .unwrap_or(recv_seq);
        let cfg = ProtectionConfig {
            role: Role::Acceptor,
            acceptor_subkey,
            send_seq,
            recv_seq,
            replay_detect: accepted.gss_flags & GSS_C_REPLAY_FLAG != 0,
            sequence_detect: accepted.gss_flags & GSS_C_SEQUENCE_FLAG != 0,
            mech,
        };
        let protection = MessageProtection::new(&key, cfg)
            .map_err(|e| reject!(e.status(), "Kerberos message keys: {e}"))?;
        let expiry = filetime(accepted.endtime);
        let est = Established {
            protection,
            key,
            client: accepted.client,
            server: accepted.server,
            is_client: false,
            attrs: self.attrs,
            start: accepted.starttime,
            end: accepted.endtime,
            delegated: accepted.delegated,
            config: cfg,
        };
        tracing::info!("Kerberos: accepted {}", est.client_name());
        self.done = Some(Box::new(est));
        self.pac = accepted.pac;
        Ok(HandshakeOutput {
            step: Some(Step::Complete),
            token: accepted.ap_rep.unwrap_or_default(),
            context_attr: self.attrs,
            expiry,
        })
    }

    fn done_mut(&mut self) -> SecResult<&mut Established> {
        self.done.as_deref_mut().ok_or_else(|| {
            reject!(
                SecStatus::InvalidHandle,
                "the Kerberos context is not established"
            )
        })
    }

    /// The client's forwarded TGT, when it delegated.
    pub fn delegated(&self) -> Option<&super::ccache::Credential> {
        self.done.as_ref().and_then(|e| e.delegated())
    }
}

impl SecurityContext for KerberosServer {
    fn package(&self) -> &'static PackageInfo {
        &super::package::KERBEROS_PACKAGE_INFO
    }

    fn accept(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        self.accept_at(input, now())
    }

    fn is_established(&self) -> bool {
        self.done.is_some()
    }

    fn error_token(&mut self) -> Option<Vec<u8>> {
        self.error_token.take()
    }

    crate::sspi::forward_message_calls!(done_mut);

    fn stream_layout(&self, stream: &[u8]) -> SecResult<crate::sspi::StreamLayout> {
        self.done
            .as_ref()
            .ok_or(SecStatus::InvalidHandle)?
            .stream_layout(stream)
    }

    fn export(&self, flags: u32) -> SecResult<zeroize::Zeroizing<Vec<u8>>> {
        self.done
            .as_ref()
            .ok_or(SecStatus::InvalidHandle)?
            .export(flags)
    }

    fn query_attribute(&self, attribute: u32) -> SecResult<ContextAttribute> {
        match &self.done {
            Some(e) => e.query_attribute(attribute),
            None => match attribute {
                SECPKG_ATTR_PACKAGE_INFO => Ok(ContextAttribute::PackageInfo(self.package())),
                _ => Err(SecStatus::InvalidHandle),
            },
        }
    }

    fn client_identity(&self) -> Option<(String, String)> {
        self.done.as_ref().and_then(|e| e.client_identity())
    }

    /// From the ticket's verified PAC when it has LOGON_INFO, else the
    /// ticket's client names ([`super::network_identity`]).
    fn network_identity(&self) -> Option<NetworkIdentity> {
        let done = self.done.as_ref()?;
        Some(network_identity(&done.client, self.pac.as_deref()))
    }

    /// The TGT the client delegated becomes the Kerberos credential of its
    /// network logon session ([`super::logon_credentials`]).
    fn network_logon_created(&self, logon_id: crate::lsa::Luid) {
        if let Some(d) = self.delegated() {
            super::logon_credentials::accept_delegated(logon_id, d);
        }
    }
}
