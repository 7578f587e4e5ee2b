//! A Kerberos credential handle (`AcquireCredentialsHandle`):
//!
//! - outbound with an explicit `SEC_WINNT_AUTH_IDENTITY` (`REALM\user`,
//!   `user@REALM`, or user + domain): the password is kept (zeroizing) only
//!   until the first AS exchange succeeds, then the TGT is held instead. As
//!   on Windows the exchange happens on the first InitializeSecurityContext,
//!   so a wrong password or an unreachable KDC is reported there;
//! - outbound with no identity: the user's MIT credential cache
//!   (`KRB5CCNAME`, read on each InitializeSecurityContext as MIT does, so a
//!   later `kinit` is seen). The LSA logon session's Kerberos credentials
//!   (a later issue) plug in as another [`ClientSource`];
//! - inbound: the keytab (`KRB5_KTNAME`), restricted to `pszPrincipal` when
//!   one is named; no keytab (or no such principal in it) is
//!   `SEC_E_NO_CREDENTIALS`.
//!
//! Service tickets obtained through the TGS are cached in the credential
//! and, for a ccache credential, written back to the ccache (as MIT does).

use std::sync::{Arc, Mutex, MutexGuard};

use zeroize::Zeroizing;

use super::ccache::Credential as CcacheCredential;
use super::creds::{self, ServiceTicket, Tgt, TicketCache};
use super::filecodec::{FileResult, Principal};
use super::kdc::as_exchange::{request_tgt, AsOptions};
use super::kdc::tgs_exchange::{request_service_ticket_any, TgsOptions};
use super::kdc::transport::NetTransport;
use super::kdc::wire::now as unix_now;
use super::kdc::KdcError;
use super::keytab::{default_keytab, Keytab};
use super::package::KERBEROS_PACKAGE_INFO;
use super::principal::{spn_candidates, PrincipalName};
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
                // Seam: the LSA logon session's tickets (pvLogonId) come in
                // a later issue; today every default credential is the ccache.
                None => ClientSource::Ccache,
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
    /// and, for a ccache credential, written to the ccache.
    pub fn service_ticket(
        &self,
        tgt: &Tgt,
        spn: &PrincipalName,
        explicit_realm: bool,
    ) -> SecResult<ServiceTicket> {
        let now = unix_now();
        if let Some(t) = self.client()?.tickets.get(spn, now) {
            return Ok(t.clone());
        }
        let config = super::config::config();
        let candidates = spn_candidates(spn, explicit_realm, &config);
        let transport = NetTransport::from_config(&config);
        let ticket = request_service_ticket_any(
            &transport,
            tgt,
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
        let mut under_asked_name = ticket.clone();
        under_asked_name.0.server = spn.clone();
        state.tickets.insert(ticket.clone());
        state.tickets.insert(under_asked_name);
        Ok(ticket)
    }

    /// The TGT as a ccache credential, for delegation (when forwardable).
    pub fn forwardable_tgt(&self, tgt: &Tgt) -> Option<CcacheCredential> {
        const FORWARDABLE: u32 = 0x4000_0000;
        (tgt.flags & FORWARDABLE != 0).then(|| tgt.to_ccache())
    }

    /// `user@REALM` of the client side.
    fn client_name(&self) -> SecResult<String> {
        let state = self.client()?;
        let principal = match &state.source {
            ClientSource::Password { principal, .. } => principal.clone(),
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

    /// A default outbound credential whose ccache holds no TGT now, with no
    /// keytab side: Negotiate leaves it out (SEC_E_NO_CREDENTIALS when it
    /// is the only one, as after a logoff).
    fn is_empty(&self) -> bool {
        let from_ccache = self
            .state
            .client()
            .is_ok_and(|c| matches!(c.source, ClientSource::Ccache));
        self.state.server.is_none() && from_ccache && self.state.tgt().is_err()
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

    #[test]
    fn outbound_credential_cannot_accept() {
        let cred = acquire(CredentialUse::Outbound);
        assert_eq!(cred.new_acceptor(0).err(), Some(SecStatus::NoCredentials));
    }
}
