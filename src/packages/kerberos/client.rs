//! The initiator context (InitializeSecurityContext, RFC 4121 §4.1,
//! MS-KILE 3.2.5): target SPN → service ticket (credential cache or TGS)
//! → AP-REQ; with mutual authentication the AP-REP is verified on the
//! second call (SEC_I_CONTINUE_NEEDED, then SEC_E_OK).

use std::sync::Arc;

use super::ap_req::{build_ap_req, ApReqOptions, PendingApReq, ServiceTicket as ApTicket};
use super::ap_wire::now;
use super::context::{filetime, Established};
use super::credential::CredentialState;
use super::gss::framing::Mech;
use super::gss::{MessageProtection, ProtectionConfig, Role};
use super::principal::PrincipalName;
use crate::sspi::consts::*;
use crate::sspi::{
    ContextAttribute, HandshakeInput, HandshakeOutput, PackageInfo, SecResult, SecStatus,
    SecurityContext, Step,
};
use crate::trace::reject;

/// The ISC_RET flags a context reports for the GSS flags it negotiated.
fn isc_ret(gss_flags: u32, context_req: u32) -> u32 {
    use super::ap_wire::*;
    let gss = [
        (GSS_C_DELEG_FLAG, ISC_RET_DELEGATE),
        (GSS_C_MUTUAL_FLAG, ISC_RET_MUTUAL_AUTH),
        (GSS_C_REPLAY_FLAG, ISC_RET_REPLAY_DETECT),
        (GSS_C_SEQUENCE_FLAG, ISC_RET_SEQUENCE_DETECT),
        (GSS_C_CONF_FLAG, ISC_RET_CONFIDENTIALITY),
        (GSS_C_INTEG_FLAG, ISC_RET_INTEGRITY),
    ];
    let req = [
        (ISC_REQ_CONNECTION, ISC_RET_CONNECTION),
        (ISC_REQ_EXTENDED_ERROR, ISC_RET_EXTENDED_ERROR),
        (ISC_REQ_STREAM, ISC_RET_STREAM),
    ];
    map_flags(gss_flags, &gss) | map_flags(context_req, &req)
}

/// True when `host` is an IPv4 or IPv6 literal (Kerberos needs a name;
/// Negotiate then falls back to NTLM, MS-SPNG / Windows behaviour).
fn is_ip_literal(host: &str) -> bool {
    if let Some(rest) = host.strip_prefix('[') {
        let v6 = rest.split(']').next().unwrap_or(rest);
        return v6.parse::<std::net::Ipv6Addr>().is_ok();
    }
    let v4 = host.split(':').next().unwrap_or(host);
    host.parse::<std::net::Ipv6Addr>().is_ok() || v4.parse::<std::net::Ipv4Addr>().is_ok()
}

/// The service principal of `target` (`None` = SEC_E_TARGET_UNKNOWN).
fn target_spn(target: Option<&str>) -> SecResult<(PrincipalName, bool)> {
    let target = target
        .filter(|t| !t.is_empty())
        .ok_or_else(|| reject!(SecStatus::TargetUnknown, "Kerberos needs a target name"))?;
    let config = super::config::config();
    let spn = PrincipalName::parse_spn(target, &config)
        .map_err(|e| reject!(SecStatus::TargetUnknown, "target {target:?}: {e}"))?;
    if spn.components.len() == 2 && is_ip_literal(&spn.components[1]) {
        return Err(reject!(
            SecStatus::TargetUnknown,
            "target {target:?} is an IP address"
        ));
    }
    Ok((spn, target.contains('@')))
}

/// The initiator between the AP-REQ and the AP-REP.
struct Sent {
    pending: PendingApReq,
    client: super::filecodec::Principal,
    server: super::filecodec::Principal,
    times: (i64, i64),
    mech: Mech,
}

enum State {
    Start,
    /// AP-REQ sent, waiting for the AP-REP.
    Sent(Box<Sent>),
    Done(Box<Established>),
    Failed,
}

/// A Kerberos client context.
pub struct KerberosClient {
    cred: Arc<CredentialState>,
    target: Option<String>,
    context_req: u32,
    state: State,
    attrs: u32,
}

impl KerberosClient {
    pub fn new(cred: Arc<CredentialState>, target: Option<&str>, context_req: u32) -> Self {
        KerberosClient {
            cred,
            target: target.map(str::to_string),
            context_req,
            state: State::Start,
            attrs: 0,
        }
    }

    fn first(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        if self.context_req & ISC_REQ_USE_DCE_STYLE != 0 {
            return Err(reject!(
                SecStatus::UnsupportedFunction,
                "ISC_REQ_USE_DCE_STYLE is not supported"
            ));
        }
        let (spn, explicit_realm) = target_spn(input.target.or(self.target.as_deref()))?;
        let st = self.cred.service_ticket(&spn, explicit_realm)?;
        let delegated = if self.context_req & ISC_REQ_DELEGATE != 0 {
            self.cred.delegated_tgt(&st)
        } else {
            None
        };
        let client = st.client.to_file();
        let opts = ApReqOptions {
            isc_req: self.context_req,
            channel_bindings: input.channel_bindings,
            delegated_tgt: delegated.as_ref(),
        };
        let (token, pending) = build_ap_req(
            &ApTicket {
                ticket: &st.ticket,
                session_key: &st.session_key,
                client: &client,
            },
            &opts,
            now(),
        )?;
        let times = (st.starttime.unwrap_or(st.authtime), st.endtime);
        self.attrs = isc_ret(pending.gss_flags, self.context_req);
        let expiry = filetime(st.endtime);
        let server = st.server.to_file();
        if pending.gss_flags & super::ap_wire::GSS_C_MUTUAL_FLAG != 0 {
            self.state = State::Sent(Box::new(Sent {
                pending,
                client,
                server,
                times,
                mech: Mech::Krb5,
            }));
            return Ok(HandshakeOutput {
                step: Some(Step::ContinueNeeded),
                token,
                context_attr: self.attrs,
                expiry,
            });
        }
        // No AP-REP: the initiator subkey protects messages, and the
        // acceptor's sequence numbers start at ours (RFC 4121 §4.2.5... as MIT).
        let seq = pending.seq_number as u64;
        let est = self.establish(&pending, None, seq, client, server, times, Mech::Krb5)?;
        self.state = State::Done(Box::new(est));
        Ok(HandshakeOutput {
            step: Some(Step::Complete),
            token,
            context_attr: self.attrs,
            expiry,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn establish(
        &self,
        pending: &PendingApReq,
        acceptor_subkey: Option<super::crypto::Key>,
        recv_seq: u64,
        client: super::filecodec::Principal,
        server: super::filecodec::Principal,
        times: (i64, i64),
        mech: Mech,
    ) -> SecResult<Established> {
        use super::ap_wire::*;
        let has_acceptor_subkey = acceptor_subkey.is_some();
        let key = acceptor_subkey.unwrap_or_else(|| pending.subkey.clone());
        let cfg = ProtectionConfig {
            role: Role::Initiator,
            acceptor_subkey: has_acceptor_subkey,
            send_seq: pending.seq_number as u64,
            recv_seq,
            replay_detect: pending.gss_flags & GSS_C_REPLAY_FLAG != 0,
            sequence_detect: pending.gss_flags & GSS_C_SEQUENCE_FLAG != 0,
            mech,
        };
        let protection = MessageProtection::new(&key, cfg)
            .map_err(|e| reject!(e.status(), "Kerberos message keys: {e}"))?;
        Ok(Established {
            protection,
            key,
            client,
            server,
            is_client: true,
            attrs: self.attrs,
            start: times.0,
            end: times.1,
            delegated: None,
            config: cfg,
        })
    }

    fn second(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        let token = input
            .token
            .ok_or_else(|| reject!(SecStatus::InvalidToken, "no AP-REP token"))?;
        let State::Sent(sent) = std::mem::replace(&mut self.state, State::Failed) else {
            return Err(SecStatus::InvalidHandle);
        };
        let Sent {
            pending,
            client,
            server,
            times,
            mech,
        } = *sent;
        let rep = pending
            .verify_ap_rep(token)
            .map_err(|s| reject!(s, "Kerberos AP-REP refused"))?;
        // RFC 4121 §4.2.5 / MIT: without an acceptor seq-number the
        // acceptor's sequence starts at the initiator's.
        let recv_seq = rep.acceptor_seq_number.unwrap_or(pending.seq_number) as u64;
        let est = self.establish(
            &pending,
            rep.acceptor_subkey,
            recv_seq,
            client,
            server,
            times,
            mech,
        )?;
        let expiry = filetime(times.1);
        self.state = State::Done(Box::new(est));
        Ok(HandshakeOutput {
            step: Some(Step::Complete),
            token: Vec::new(),
            context_attr: self.attrs,
            expiry,
        })
    }

    fn done(&self) -> Option<&Established> {
        match &self.state {
            State::Done(e) => Some(e),
            _ => None,
        }
    }

    fn done_mut(&mut self) -> SecResult<&mut Established> {
        match &mut self.state {
            State::Done(e) => Ok(e),
            _ => Err(reject!(
                SecStatus::InvalidHandle,
                "the Kerberos context is not established"
            )),
        }
    }
}

impl SecurityContext for KerberosClient {
    fn package(&self) -> &'static PackageInfo {
        &super::package::KERBEROS_PACKAGE_INFO
    }

    fn initialize(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        let r = match self.state {
            State::Start => self.first(input),
            State::Sent(_) => self.second(input),
            State::Done(_) | State::Failed => Err(reject!(
                SecStatus::InvalidHandle,
                "InitializeSecurityContext on a finished Kerberos context"
            )),
        };
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    fn is_established(&self) -> bool {
        self.done().is_some()
    }

    crate::sspi::forward_message_calls!(done_mut);

    fn stream_layout(&self, stream: &[u8]) -> SecResult<crate::sspi::StreamLayout> {
        self.done()
            .ok_or(SecStatus::InvalidHandle)?
            .stream_layout(stream)
    }

    fn export(&self, flags: u32) -> SecResult<zeroize::Zeroizing<Vec<u8>>> {
        self.done().ok_or(SecStatus::InvalidHandle)?.export(flags)
    }

    fn query_attribute(&self, attribute: u32) -> SecResult<ContextAttribute> {
        match self.done() {
            Some(e) => e.query_attribute(attribute),
            None => match attribute {
                SECPKG_ATTR_PACKAGE_INFO => Ok(ContextAttribute::PackageInfo(self.package())),
                SECPKG_ATTR_FLAGS => Ok(ContextAttribute::Flags(self.attrs)),
                _ => Err(SecStatus::InvalidHandle),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each GSS flag and echoed request bit maps to its ISC_RET bit, and
    /// nothing else does.
    #[test]
    fn isc_ret_maps_gss_flags_and_echoed_requests() {
        use crate::packages::kerberos::ap_wire::*;
        assert_eq!(isc_ret(0, 0), 0);
        assert_eq!(
            isc_ret(
                GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG,
                ISC_REQ_CONNECTION | ISC_REQ_STREAM | ISC_REQ_ALLOCATE_MEMORY
            ),
            ISC_RET_MUTUAL_AUTH | ISC_RET_INTEGRITY | ISC_RET_CONNECTION | ISC_RET_STREAM
        );
    }

    #[test]
    fn ip_literals_are_recognised() {
        for ip in ["127.0.0.1", "10.1.2.3:445", "::1", "[fe80::1]", "[::1]:88"] {
            assert!(is_ip_literal(ip), "{ip}");
        }
        for name in ["localhost", "host.example.test", "1host.example", "db:1433"] {
            assert!(!is_ip_literal(name), "{name}");
        }
    }

    /// An IP address target is refused before any KDC exchange (Negotiate
    /// then falls back to NTLM).
    #[test]
    fn ip_target_is_target_unknown() {
        assert_eq!(
            target_spn(Some("host/10.0.0.1@R")).err(),
            Some(SecStatus::TargetUnknown)
        );
        assert_eq!(
            target_spn(Some("HTTP/[::1]@R")).err(),
            Some(SecStatus::TargetUnknown)
        );
        assert!(target_spn(Some("host/server.example@R")).is_ok());
        assert_eq!(target_spn(None).err(), Some(SecStatus::TargetUnknown));
    }
}
