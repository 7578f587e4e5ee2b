//! MSV1_0's NTLM network logon of a domain user (MS-APDS 3.1.5.2): the
//! response goes to the DC over the process's secure channel, which is set
//! up on first use (one NetrServerAuthenticate3) and reused; a broken
//! connection is set up again once.
//!
//! Each NetrServerAuthenticate3 replaces the DC's state for the machine
//! account (MS-NRPC 3.5.4.4.2). With Samba an established SCHANNEL
//! connection keeps the key it was bound with, so two processes sharing
//! the account both keep working; a DC that drops the older connection
//! makes that process's next logon set up a channel again.

use std::time::Duration;

use parking_lot::Mutex;

use super::member::MemberConfig;
use super::nrpc::{MachineAccount, NetworkLogon, NrpcError, SecureChannel, Validation};
use crate::lsa::packages::msv1_0::owf::nt_owf_v1;
use crate::sspi::SecStatus;

/// How long one exchange with the DC may take.
const DC_TIMEOUT: Duration = Duration::from_secs(10);

/// NTSTATUS values of failed network logons (MS-ERREF 2.3.1).
const STATUS_NO_LOGON_SERVERS: u32 = 0xc000_005e;
const STATUS_NETLOGON_NOT_STARTED: u32 = 0xc000_0192;
const STATUS_TRUSTED_RELATIONSHIP_FAILURE: u32 = 0xc000_018d;
const STATUS_ACCESS_DENIED: u32 = 0xc000_0022;

/// The process's secure channel, with the configuration it was set up for.
static CHANNEL: Mutex<Option<(String, SecureChannel)>> = Mutex::new(None);

/// Maps a pass-through failure to what AcceptSecurityContext returns
/// (BEHAVIOURS.md 62): the DC refused the user → SEC_E_LOGON_DENIED; no
/// DC, no secure channel or a broken one → SEC_E_NO_AUTHENTICATING_AUTHORITY
/// ("the domain could be unreachable, or there might have been a trust
/// relationship failure", the AcceptSecurityContext (NTLM) page).
pub fn sec_status(e: &NrpcError) -> SecStatus {
    match e {
        NrpcError::Status(
            STATUS_NO_LOGON_SERVERS
            | STATUS_NETLOGON_NOT_STARTED
            | STATUS_TRUSTED_RELATIONSHIP_FAILURE
            | STATUS_ACCESS_DENIED,
        ) => SecStatus::NoAuthenticatingAuthority,
        NrpcError::Status(_) => SecStatus::LogonDenied,
        NrpcError::Rpc(_) | NrpcError::Ndr | NrpcError::ServerCredential => {
            SecStatus::NoAuthenticatingAuthority
        }
    }
}

fn establish(config: &MemberConfig) -> Result<SecureChannel, NrpcError> {
    let machine = MachineAccount {
        domain: config.domain.clone(),
        computer: config.machine.clone(),
        nt_owf: nt_owf_v1(&config.password),
    };
    SecureChannel::establish(&config.dc, config.port, &machine, DC_TIMEOUT)
}

/// The DC's validation of `logon`, over the process's secure channel.
pub fn network_logon(
    config: &MemberConfig,
    logon: &NetworkLogon<'_>,
) -> Result<Validation, NrpcError> {
    let key = format!("{}\\{}@{}", config.domain, config.machine, config.dc);
    let mut guard = CHANNEL.lock();
    let mut fresh = false;
    if guard.as_ref().is_none_or(|(k, _)| *k != key) {
        *guard = Some((key.clone(), establish(config)?));
        fresh = true;
    }
    let (_, channel) = guard.as_mut().expect("set above");
    match channel.network_logon(logon) {
        // A broken connection, or a DC that no longer knows this channel
        // (another NetrServerAuthenticate3 for the account replaced it).
        Err(e @ (NrpcError::Rpc(_) | NrpcError::Status(STATUS_ACCESS_DENIED))) if !fresh => {
            tracing::info!(
                "NETLOGON: secure channel to {} unusable ({e:?}); set up again",
                config.dc
            );
            *guard = None;
            let mut channel = establish(config)?;
            let r = channel.network_logon(logon);
            *guard = Some((key, channel));
            r
        }
        Err(e @ NrpcError::Rpc(_)) => {
            *guard = None;
            Err(e)
        }
        r => r,
    }
}

/// A domain user the DC validated: the NTLMv2 SessionBaseKey the DC
/// returned and the identity its validation gives.
pub struct DomainLogon {
    pub session_base_key: zeroize::Zeroizing<[u8; 16]>,
    pub identity: crate::lsa::network::NetworkIdentity,
}

/// MSV1_0's network logon for the NTLM acceptor of a domain member
/// (`config`, read by the acceptor at its CHALLENGE) whose AUTHENTICATE
/// names that domain (the acceptor checks it,
/// [`MemberConfig::is_member_domain`]; for other domains the local
/// account database decides). `lm_challenge` is the acceptor's
/// ServerChallenge; the responses go to the DC as received.
#[allow(clippy::too_many_arguments)]
pub fn validate_domain_user(
    config: &MemberConfig,
    domain: &str,
    user: &str,
    workstation: &str,
    lm_challenge: &[u8; 8],
    nt_response: &[u8],
    lm_response: &[u8],
    package: &str,
) -> Result<DomainLogon, SecStatus> {
    let logon = NetworkLogon {
        domain,
        user,
        workstation,
        lm_challenge: *lm_challenge,
        nt_response,
        lm_response,
    };
    let v = match network_logon(config, &logon) {
        Ok(v) => v,
        Err(e) => {
            let status = sec_status(&e);
            tracing::info!(
                "MSV1_0: pass-through of {domain}\\{user} to {}: {e:?} -> {status:?}",
                config.dc
            );
            return Err(status);
        }
    };
    let mut id = crate::lsa::network::NetworkIdentity::new(
        if v.effective_name.is_empty() {
            user
        } else {
            &v.effective_name
        },
        if v.logon_domain_name.is_empty() {
            &config.domain
        } else {
            &v.logon_domain_name
        },
        package,
    );
    id.sid = Some(v.user_sid());
    id.upn = v.upn.clone();
    id.dns_domain_name = v.dns_domain_name.clone();
    id.logon_server = (!v.logon_server.is_empty()).then(|| v.logon_server.clone());
    Ok(DomainLogon {
        session_base_key: zeroize::Zeroizing::new(*v.user_session_key),
        identity: id,
    })
}
