//! A Kerberos credential handle (`AcquireCredentialsHandle`):
//!
//! - outbound with an explicit `SEC_WINNT_AUTH_IDENTITY` (`REALM\user`,
//!   `user@REALM`, or user + domain): the password is kept (zeroizing) only
//!   until the first AS exchange succeeds, then the TGT is held instead. As
//!   on Windows the exchange happens on the first InitializeSecurityContext,
//!   so a wrong password or an unreachable KDC is reported there;
//! - outbound with no identity: the caller's LSA logon session (the
//!   process default session, else the uid's current one, as NTLM's
//!   default credential) when it has a Kerberos credential: its TGT and
//!   ticket cache in the LSA ([`super::lsa_session`], the TGT of
//!   `LsaLogonUser`/`sspilogon`); only when it has none, the user's MIT
//!   credential cache (`KRB5CCNAME`, read on each InitializeSecurityContext
//!   as MIT does, so a later `kinit` is seen);
//! - outbound with no identity and a `pvLogonId`, or on a thread that
//!   impersonates a logon session: that session's credentials: a TGT a
//!   client delegated to one of our server contexts
//!   ([`super::logon_credentials`]), else the session's TGT in the LSA.
//!   None → `SEC_E_NO_CREDENTIALS` (a network client that did not delegate
//!   has no credentials: never the service's own ccache); a `pvLogonId`
//!   that is not the caller's session → [`crate::lsa::FOREIGN_SESSION_STATUS`],
//!   as NTLM;
//! - inbound: the keytab (`KRB5_KTNAME`), restricted to `pszPrincipal` when
//!   one is named; no keytab (or no such principal in it) is
//!   `SEC_E_NO_CREDENTIALS`.
//!
//! Service tickets obtained through the TGS are cached in the credential
//! and, for a ccache credential, written back to the ccache (as MIT does);
//! for an LSA session, in the session's ticket cache.

use std::sync::{Arc, Mutex, MutexGuard};

use zeroize::Zeroizing;

use super::ccache::Credential as CcacheCredential;
use super::creds::{self, ticket_flags, ServiceTicket, Tgt, TicketCache};
use super::filecodec::{FileResult, Principal};
use super::kdc::as_exchange::{request_tgt, AsOptions};
use super::kdc::tgs_exchange::{request_forwarded_tgt, request_service_ticket_any, TgsOptions};
use super::kdc::transport::NetTransport;
use super::kdc::wire::now as unix_now;
use super::kdc::KdcError;
use super::keytab::{default_keytab, Keytab};
use super::logon_credentials;
use super::lsa_session;
use super::package::KERBEROS_PACKAGE_INFO;
use super::principal::{spn_candidates, PrincipalName};
use crate::lsa::Luid;
use crate::sspi::{
    AcquireCredentials, Credential, CredentialUse, PackageInfo, SecResult, SecStatus,
    SecurityContext,
};
use crate::trace::reject;

/// Where an outbound credential's TGT comes from.
enum ClientSource {
    /// An explicit password, until the AS exchange has used it.
    Password {
        principal: PrincipalName,
        password: Option<Zeroizing<String>>,
    },
    /// The MIT ccache in force (KRB5CCNAME) at each use.
    Ccache,
    /// A logon session's credentials held by the package, read at each use
    /// (never cached in the handle: they end with the session).
    LogonSession(Luid),
    /// A logon session's Kerberos credential in the LSA (TGT and ticket
    /// cache), read at each use, as `LogonSession`.
    LsaSession(Luid),
}

/// The mutable client half of a credential.
struct ClientState {
    source: ClientSource,
    tgt: Option<Tgt>,
    tickets: TicketCache,
}

/// The acceptor half: a keytab snapshot and the principal to accept as.
pub struct ServerSide {
    pub keytab: Arc<FileResult<Keytab>>,
    pub principal: Option<Principal>,
    /// The keytab's keys (`None`: an etype not supported), entry for entry:
    /// each keeps its derived ticket keys (usage 2) across handshakes.
    pub keys: Vec<Option<super::crypto::Key>>,
    /// Tickets verified with these keys (empty for each new snapshot).
    pub tickets: super::verified_tickets::VerifiedTickets,
}

/// A Kerberos credential handle.
pub struct KerberosCredential {
    usage: CredentialUse,
    state: Arc<CredentialState>,
}

/// What a credential holds; its contexts share it.
pub struct CredentialState {
    client: Option<Mutex<ClientState>>,
    server: Option<ServerSide>,
}

impl std::fmt::Debug for KerberosCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KerberosCredential")
            .field("usage", &self.usage)
            .finish_non_exhaustive()
    }
}

/// The KDC's failure as the SSPI status Windows reports, with the reason traced.
pub(crate) fn kdc_status(what: &str, e: &KdcError) -> SecStatus {
    reject!(e.sec_status(), "Kerberos {what}: {e}")
}

impl KerberosCredential {
    /// The acceptor's cache of verified tickets (an inbound credential's
    /// own: empty when acquired), for diagnostics and tests.
    pub fn verified_tickets(&self) -> Option<&super::verified_tickets::VerifiedTickets> {
        self.state.server.as_ref().map(|s| &s.tickets)
    }

    /// `AcquireCredentialsHandle(…, "Kerberos", …)`.
    pub fn acquire(request: &AcquireCredentials<'_>) -> SecResult<Self> {
        let client = if request.usage.can_initiate() {
            let source = match request.identity.filter(|id| !id.is_default()) {
                Some(id) if id.is_anonymous() => {
                    return Err(reject!(
                        SecStatus::NoCredentials,
                        "Kerberos has no anonymous identity"
                    ))
                }
                Some(id) => {
                    let config = super::config::config();
                    let user = id.user.as_deref().unwrap_or("");
                    let principal = PrincipalName::parse_user(
                        user,
                        id.domain.as_deref(),
                        config.default_realm.as_deref(),
                    )
                    .map_err(|e| {
                        reject!(SecStatus::UnknownCredentials, "Kerberos user {user:?}: {e}")
                    })?;
                    ClientSource::Password {
                        principal,
                        password: Some(id.password.clone().unwrap_or_default()),
                    }
                }
                None => default_source(request.logon_id)?,
            };
            Some(Mutex::new(ClientState {
                source,
                tgt: None,
                tickets: TicketCache::new(),
            }))
        } else {
            None
        };
        let server = if request.usage.can_accept() {
            match CredentialState::server_side(request.principal) {
                Ok(s) => Some(s),
                // BOTH can still initiate without a keytab.
                Err(_) if request.usage == CredentialUse::Both => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        Ok(KerberosCredential {
            usage: request.usage,
            state: Arc::new(CredentialState { client, server }),
        })
    }
}

/// Where a default outbound credential's TGT comes from: `pvLogonId` (the
/// caller's session, else [`crate::lsa::FOREIGN_SESSION_STATUS`]) or the
/// session the thread impersonates, which must have a delegated TGT or a
/// Kerberos credential in the LSA (`SEC_E_NO_CREDENTIALS`); else the
/// caller's LSA session when it has a Kerberos credential; else the ccache.
fn default_source(logon_id: Option<Luid>) -> SecResult<ClientSource> {
    let luid = match logon_id {
        Some(l) => {
            let lsa = crate::lsa::lsa().map_err(|_| SecStatus::InternalError)?;
            lsa.owned_session(l).map_err(|e| {
                reject!(
                    crate::lsa::FOREIGN_SESSION_STATUS,
                    "Kerberos: logon session {l}: {e}"
                )
            })?;
            l
        }
        None => match crate::lsa::impersonated_session() {
            Some(l) => l,
            None => {
                return Ok(match lsa_session::caller_session() {
                    Some(l) => ClientSource::LsaSession(l),
                    None => ClientSource::Ccache,
                })
            }
        },
    };
    if logon_credentials::tgt(luid).is_some() {
        return Ok(ClientSource::LogonSession(luid));
    }
    if lsa_session::has_credential(luid) {
        return Ok(ClientSource::LsaSession(luid));
    }
    Err(reject!(
        SecStatus::NoCredentials,
        "logon session {luid} has no Kerberos credentials (no delegated TGT, none in the LSA)"
    ))
}

impl CredentialState {
    fn server_side(name: Option<&str>) -> SecResult<ServerSide> {
        let keytab = default_keytab();
        let kt = match keytab.as_ref() {
            Ok(kt) if !kt.entries.is_empty() => kt,
            Ok(_) => return Err(reject!(SecStatus::NoCredentials, "the keytab is empty")),
            Err(e) => {
                return Err(reject!(
                    SecStatus::NoCredentials,
                    "no keytab for an inbound Kerberos credential: {e}"
                ))
            }
        };
        let principal = match name.filter(|n| !n.is_empty()) {
            None => None,
            Some(n) => {
                let config = super::config::config();
                let mut p = Principal::parse(n);
                if !n.contains('@') {
                    p.realm = config.default_realm.clone().unwrap_or_default();
                }
                if kt.find(&p, None, None).is_empty() {
                    return Err(reject!(
                        SecStatus::NoCredentials,
                        "no key for {p} in the keytab"
                    ));
                }
                Some(p)
            }
        };
        let keys = kt.entries.iter().map(super::acceptor::entry_key).collect();
        Ok(ServerSide {
            keytab,
            principal,
            keys,
            tickets: Default::default(),
        })
    }

    fn client(&self) -> SecResult<MutexGuard<'_, ClientState>> {
        let c = self.client.as_ref().ok_or_else(|| {
            reject!(
                SecStatus::NoCredentials,
                "InitializeSecurityContext with an inbound-only Kerberos credential"
            )
        })?;
        Ok(c.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn server(&self) -> SecResult<&ServerSide> {
        self.server.as_ref().ok_or_else(|| {
            reject!(
                SecStatus::NoCredentials,
                "AcceptSecurityContext without a keytab credential"
            )
        })
    }

    /// The TGT (the AS exchange on first use of a password credential, the
    /// ccache's current TGT otherwise).
    pub fn tgt(&self) -> SecResult<Tgt> {
        let mut state = self.client()?;
        let now = unix_now();
        if let ClientSource::LogonSession(luid) = state.source {
            return logon_credentials::tgt(luid)
                .filter(|t| t.is_valid_at(now))
                .ok_or_else(|| {
                    reject!(
                        SecStatus::NoCredentials,
                        "logon session {luid} has no valid Kerberos TGT (ended or expired)"
                    )
                });
        }
        if let ClientSource::LsaSession(luid) = state.source {
            // Its TGT is used by the LSA only (service_ticket, delegated_tgt).
            return Err(reject!(
                SecStatus::InternalError,
                "the TGT of logon session {luid} stays in the LSA"
            ));
        }
        if let Some(t) = state.tgt.as_ref().filter(|t| t.is_valid_at(now)) {
            return Ok(t.clone());
        }
        let tgt = match &mut state.source {
            ClientSource::Password {
                principal,
                password,
            } => {
                let pw = password.clone().ok_or_else(|| {
                    reject!(
                        SecStatus::NoCredentials,
                        "the TGT expired and the password is gone"
                    )
                })?;
                let config = super::config::config();
                let transport = NetTransport::from_config(&config);
                let tgt = request_tgt(&transport, principal, pw, &AsOptions::from_config(&config))
                    .map_err(|e| kdc_status("AS exchange", &e))?;
                *password = None;
                tgt
            }
            // Answered above.
            ClientSource::LogonSession(_) | ClientSource::LsaSession(_) => {
                return Err(SecStatus::InternalError)
            }
            ClientSource::Ccache => {
                let path = creds::default_ccache_path()
                    .map_err(|e| reject!(SecStatus::NoCredentials, "no ccache: {e}"))?;
                let cached = creds::load_ccache(&path, now).map_err(|e| {
                    reject!(SecStatus::NoCredentials, "ccache {}: {e}", path.display())
                })?;
                for t in cached.service_tickets {
                    state.tickets.insert(t);
                }
                cached.tgt.ok_or_else(|| {
                    reject!(
                        SecStatus::NoCredentials,
                        "no valid TGT in the ccache {}",
                        path.display()
                    )
                })?
            }
        };
        state.tgt = Some(tgt.clone());
        Ok(tgt)
    }

    /// A service ticket for `spn`: from the credential's cache, else the
    /// TGS (each DNS candidate of the name in turn); a new ticket is cached
    /// and, for a ccache credential, written to the ccache. An LSA
    /// session's ticket comes from the LSA, which runs the TGS with the
    /// session's TGT ([`lsa_session::service_ticket`]).
    pub fn service_ticket(
        &self,
        spn: &PrincipalName,
        explicit_realm: bool,
    ) -> SecResult<ServiceTicket> {
        let now = unix_now();
        let lsa_session = match self.client()?.source {
            ClientSource::LsaSession(l) => Some(l),
            _ => None,
        };
        if let Some(luid) = lsa_session {
            if let Some(t) = self.client()?.tickets.get(spn, now) {
                return Ok(t.clone());
            }
            let t = lsa_session::service_ticket(luid, spn, explicit_realm, now)?;
            let mut state = self.client()?;
            let mut under_asked_name = (*t.0).clone();
            under_asked_name.server = spn.clone();
            state.tickets.insert(t.clone());
            state
                .tickets
                .insert(ServiceTicket(Arc::new(under_asked_name)));
            return Ok(t);
        }
        let tgt = self.tgt()?;
        let source = match self.client()?.source {
            ClientSource::LogonSession(luid) => Some(luid),
            _ => None,
        };
        match source {
            Some(luid) => {
                if let Some(t) = logon_credentials::service_ticket(luid, spn, now) {
                    return Ok(t);
                }
            }
            None => {
                if let Some(t) = self.client()?.tickets.get(spn, now) {
                    return Ok(t.clone());
                }
            }
        }
        let config = super::config::config();
        let candidates = spn_candidates(spn, explicit_realm, &config);
        let transport = NetTransport::from_config(&config);
        let ticket = request_service_ticket_any(
            &transport,
            &tgt,
            &candidates,
            &TgsOptions::from_config(&config),
        )
        .map_err(|e| kdc_status(&format!("TGS exchange for {spn:?}"), &e))?;
        let mut state = self.client()?;
        if matches!(state.source, ClientSource::Ccache) {
            if let Ok(path) = creds::default_ccache_path() {
                // As MIT: a failure to cache is not a failure to authenticate.
                if let Err(e) = creds::store_in_ccache(&path, &ticket) {
                    tracing::info!("service ticket not stored in {}: {e}", path.display());
                }
            }
        }
        let mut under_asked_name = (*ticket.0).clone();
        under_asked_name.server = spn.clone();
        let under_asked_name = ServiceTicket(Arc::new(under_asked_name));
        if let Some(luid) = source {
            logon_credentials::add_service_ticket(luid, ticket.clone());
            logon_credentials::add_service_ticket(luid, under_asked_name);
            return Ok(ticket);
        }
        state.tickets.insert(ticket.clone());
        state.tickets.insert(under_asked_name);
        Ok(ticket)
    }

    /// The TGT to delegate with `ISC_REQ_DELEGATE` to the service of `st`,
    /// as a ccache credential: as MIT's `krb5_fwd_tgt_creds`, a FORWARDED
    /// TGT asked of the KDC ([`request_forwarded_tgt`]). Windows delegates
    /// only a forwardable TGT, and only to a service the realm marked
    /// OK-AS-DELEGATE (MS-KILE 3.2.5.1: "The client does not forward the
    /// ticket unless the TGT is marked OK-AS-DELEGATE"; the KDC sets the
    /// flag on the tickets of a service TrustedForDelegation, MS-KILE
    /// 3.3.5.1, and Windows reads it on the service ticket, as MIT's
    /// `GSS_C_DELEG_POLICY_FLAG` does). Otherwise, or when the KDC refuses,
    /// no delegation (and no ISC_RET_DELEGATE), the context goes on as MIT's.
    /// An LSA session's forwarded TGT is asked of the LSA, which holds the
    /// session's TGT ([`lsa_session::forwarded_tgt`]).
    pub fn delegated_tgt(&self, st: &ServiceTicket) -> Option<CcacheCredential> {
        if st.flags & ticket_flags::OK_AS_DELEGATE == 0 {
            tracing::info!(
                "ISC_REQ_DELEGATE: the ticket for {} is not OK-AS-DELEGATE, no delegation",
                st.server.to_file()
            );
            return None;
        }
        let lsa_session = match self.client().ok()?.source {
            ClientSource::LsaSession(l) => Some(l),
            _ => None,
        };
        if let Some(luid) = lsa_session {
            return match lsa_session::forwarded_tgt(luid) {
                Ok(fwd) => Some(fwd.to_ccache()),
                Err(e) => {
                    tracing::info!("ISC_REQ_DELEGATE: no forwarded TGT from the LSA: {e}");
                    None
                }
            };
        }
        let tgt = self.tgt().ok()?;
        if tgt.flags & ticket_flags::FORWARDABLE == 0 {
            tracing::info!("ISC_REQ_DELEGATE: the TGT is not forwardable, no delegation");
            return None;
        }
        let config = super::config::config();
        let transport = NetTransport::from_config(&config);
        match request_forwarded_tgt(&transport, &tgt, &TgsOptions::from_config(&config)) {
            Ok(fwd) => Some(fwd.to_ccache()),
            Err(e) => {
                tracing::info!("ISC_REQ_DELEGATE: no forwarded TGT from the KDC: {e}");
                None
            }
        }
    }

    /// `user@REALM` of the client side.
    fn client_name(&self) -> SecResult<String> {
        let state = self.client()?;
        let principal = match &state.source {
            ClientSource::Password { principal, .. } => principal.clone(),
            ClientSource::LogonSession(luid) => {
                logon_credentials::client(*luid).ok_or(SecStatus::NoCredentials)?
            }
            ClientSource::LsaSession(luid) => {
                return lsa_session::client(*luid).ok_or(SecStatus::NoCredentials)
            }
            ClientSource::Ccache => {
                if let Some(t) = &state.tgt {
                    t.client.clone()
                } else {
                    let path =
                        creds::default_ccache_path().map_err(|_| SecStatus::NoCredentials)?;
                    creds::load_ccache(&path, unix_now())
                        .map_err(|_| SecStatus::NoCredentials)?
                        .client
                }
            }
        };
        Ok(principal.to_file().to_string())
    }
}

impl Credential for KerberosCredential {
    fn package(&self) -> &'static PackageInfo {
        &KERBEROS_PACKAGE_INFO
    }

    fn usage(&self) -> CredentialUse {
        self.usage
    }

    /// `SECPKG_CRED_ATTR_NAMES`: `user@REALM` (the keytab principal of an
    /// inbound credential).
    fn user_name(&self) -> SecResult<String> {
        if self.state.client.is_some() {
            return self.state.client_name();
        }
        let s = self.state.server()?;
        match (&s.principal, s.keytab.as_ref()) {
            (Some(p), _) => Ok(p.to_string()),
            (None, Ok(kt)) => kt
                .entries
                .first()
                .map(|e| e.principal.to_string())
                .ok_or(SecStatus::NoCredentials),
            (None, Err(_)) => Err(SecStatus::NoCredentials),
        }
    }

    /// A default outbound credential whose ccache holds no valid TGT now,
    /// or whose LSA session has ended or holds an expired TGT, with no
    /// keytab side: Negotiate leaves it out (SEC_E_NO_CREDENTIALS when it
    /// is the only one, as after a logoff). A session with keys and no TGT
    /// yet is not empty: its first use runs the AS exchange (no network
    /// here).
    fn is_empty(&self) -> bool {
        if self.state.server.is_some() {
            return false;
        }
        let source = match self.state.client() {
            Ok(c) => match c.source {
                ClientSource::Ccache => None,
                ClientSource::LsaSession(l) => Some(l),
                _ => return false,
            },
            Err(_) => return false,
        };
        match source {
            None => self.state.tgt().is_err(),
            Some(luid) => !lsa_session::usable(luid, unix_now()),
        }
    }

    fn new_initiator(
        &self,
        target: Option<&str>,
        context_req: u32,
    ) -> SecResult<Box<dyn SecurityContext>> {
        drop(self.state.client()?);
        Ok(Box::new(super::client::KerberosClient::new(
            self.state.clone(),
            target,
            context_req,
        )))
    }

    fn new_acceptor(&self, context_req: u32) -> SecResult<Box<dyn SecurityContext>> {
        self.state.server()?;
        Ok(Box::new(super::server::KerberosServer::new(
            self.state.clone(),
            context_req,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sspi::consts::*;
    use crate::sspi::{AuthIdentity, HandshakeInput};

    fn acquire(usage: CredentialUse) -> KerberosCredential {
        let id = AuthIdentity {
            user: Some("alice@EXAMPLE.TEST".into()),
            domain: None,
            password: Some(Zeroizing::new("pw".into())),
            package_list: None,
        };
        KerberosCredential::acquire(&AcquireCredentials {
            principal: None,
            usage,
            logon_id: None,
            identity: Some(&id),
        })
        .unwrap()
    }

    /// DCE style is refused before any KDC exchange (a password
    /// credential's AS exchange would need a KDC).
    #[test]
    fn dce_style_is_refused_cleanly() {
        let cred = acquire(CredentialUse::Outbound);
        assert_eq!(cred.user_name().unwrap(), "alice@EXAMPLE.TEST");
        let mut ctx = cred
            .new_initiator(Some("host/server@EXAMPLE.TEST"), ISC_REQ_USE_DCE_STYLE)
            .unwrap();
        let err = ctx.initialize(&HandshakeInput::default()).err();
        assert_eq!(err, Some(SecStatus::UnsupportedFunction));
    }

    /// A thread impersonating a network logon session gets that session's
    /// delegated TGT (no identity, no ccache involved), and a handle
    /// acquired then loses it when the session ends; without a delegated
    /// TGT: SEC_E_NO_CREDENTIALS.
    #[test]
    fn impersonating_a_delegating_client_uses_its_tgt_until_logoff() {
        use crate::lsa::store::memory::MemoryStore;
        use crate::lsa::{revert_to_self, Lsa};
        use crate::packages::kerberos::logon_credentials::{accept_delegated, forwarded_tgt};
        let lsa = Lsa::new(Arc::new(MemoryStore::new()));
        let default = |usage| {
            KerberosCredential::acquire(&AcquireCredentials {
                principal: None,
                usage,
                logon_id: None,
                identity: None,
            })
        };
        let plain = lsa.network_logon("bob", "R", "Kerberos").unwrap();
        lsa.impersonate(plain).unwrap();
        assert_eq!(
            default(CredentialUse::Outbound).err(),
            Some(SecStatus::NoCredentials)
        );
        let net = lsa.network_logon("alice", "R", "Kerberos").unwrap();
        assert!(accept_delegated(net, &forwarded_tgt(&["krbtgt", "R"])));
        lsa.impersonate(net).unwrap();
        let cred = default(CredentialUse::Outbound).unwrap();
        // Another thread of the process, not impersonating, while this one
        // does: its default credential is the ccache's, not alice's TGT.
        std::thread::scope(|s| {
            s.spawn(|| {
                let other = default(CredentialUse::Outbound).unwrap();
                let source = &other.state.client().unwrap().source;
                assert!(matches!(source, ClientSource::Ccache));
            });
        });
        revert_to_self();
        assert_eq!(cred.user_name().unwrap(), "alice@R");
        assert_eq!(
            cred.state.tgt().unwrap().client.to_file().to_string(),
            "alice@R"
        );
        lsa.logoff(net).unwrap();
        assert_eq!(cred.state.tgt().err(), Some(SecStatus::NoCredentials));
        lsa.logoff(plain).unwrap();
    }

    #[test]
    fn outbound_credential_cannot_accept() {
        let cred = acquire(CredentialUse::Outbound);
        assert_eq!(cred.new_acceptor(0).err(), Some(SecStatus::NoCredentials));
    }
}
