//! The Kerberos security package's side of `LsaLogonUser`: the LSA's
//! [`KerberosProvider`] (`Lsa::set_kerberos_provider`). Windows' Kerberos
//! package runs the AS exchange of an interactive logon in the LSA and
//! keeps the TGT and the user's long-term keys in the logon session's
//! ticket cache ([MS-KILE] 4.1 "Interactive Logon Using Passwords": the
//! AS-REQ with the password's pre-authentication, the TGT the logon
//! session then uses); here [`register`] gives an [`Lsa`] this provider:
//!
//! - `logon`: the AS exchange with the password ([`request_tgt_with_key`]
//!   with krb5.conf's options) for `user@REALM`, `REALM\user` or user and
//!   domain (else `default_realm`); the names are the KDC's (the reply's
//!   client principal and realm), the credential the TGT (an MIT ccache
//!   credential, [`cached_ticket`]) and the long-term keys (the etypes the
//!   KDC's ETYPE-INFO2 lists for the user).
//! - `accept_credentials` (`SpAcceptCredentials`, a logon another package
//!   validated or a `NewCredentials` logon): the keys only, no network.
//!
//! Only the layers that run `LsaLogonUser` call [`register`] (`src/ffi`'s
//! LSA, `sspilogon`): `src/lsa` never depends on this package.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::ccache::{decode_credential, encode_credential, CCACHE_V4};
use super::config::{config, Krb5Config};
use super::creds::TicketCredential;
use super::crypto::{string_to_key, EncryptionType, Key};
use super::kdc::as_exchange::{default_salt, request_tgt_with_key, AsOptions, ClientSecret};
use super::kdc::error::code;
use super::kdc::transport::NetTransport;
use super::kdc::KdcError;
use super::principal::PrincipalName;
use crate::lsa::logon::{computer_name, split_names};
use crate::lsa::packages::kerberos::{
    CachedTicket, KerberosCredential, KerberosKey, TicketRequest,
};
use crate::lsa::packages::{KerberosProvider, LogonError, ValidatedLogon};
use crate::lsa::session::SecurityLogonType;
use crate::lsa::status::NtStatus;
use crate::lsa::{InteractiveLogon, Lsa};
use crate::sspi::time::filetime_from_unix;
use crate::sspi::SecStatus;
use crate::trace::{reject, Who};

/// The LSA's Kerberos logon: AS exchange and key derivation.
pub struct LsaKerberos;

/// Give `lsa` this package's logon (unless it has a provider already).
pub fn register(lsa: &Lsa) {
    if lsa.kerberos_provider().is_none() {
        lsa.set_kerberos_provider(Some(Arc::new(LsaKerberos)));
    }
}

/// The NTSTATUS Windows' `LsaLogonUser` returns for a failed AS exchange:
/// - wrong password (KDC_ERR_PREAUTH_FAILED, a reply that does not decrypt)
///   and unknown client (KDC_ERR_C_PRINCIPAL_UNKNOWN) alike
///   `STATUS_LOGON_FAILURE`, with no sub-status telling them apart;
/// - no KDC answered, none configured: `STATUS_NO_LOGON_SERVERS` (Negotiate
///   then falls back to MSV1_0);
/// - KRB_AP_ERR_SKEW: `STATUS_TIME_DIFFERENCE_AT_DC`;
/// - KDC_ERR_KEY_EXPIRED, KDC_ERR_CLIENT_REVOKED, KDC_ERR_NAME_EXP,
///   KDC_ERR_POLICY: `STATUS_ACCOUNT_RESTRICTION` with sub-status
///   `STATUS_PASSWORD_EXPIRED`, `STATUS_ACCOUNT_DISABLED`,
///   `STATUS_ACCOUNT_EXPIRED`… (BEHAVIOURS item 131, as MSV1_0's disabled
///   account; `LogonUser` reports the sub-status, ERROR_PASSWORD_EXPIRED /
///   ERROR_ACCOUNT_DISABLED);
/// - anything else (a reply that fails its checks, no common etype):
///   `STATUS_LOGON_FAILURE`.
///
/// Sources: learn.microsoft.com/windows/win32/api/ntsecapi/nf-ntsecapi-lsalogonuser
/// (the status list and SubStatus, BEHAVIOURS item 131); the Kerberos
/// error → NTSTATUS table of [`super::kdc::error`] (Windows' logon
/// auditing, Samba's `krb5_errs.c`), whose SSPI statuses the package
/// reports for the same failures at InitializeSecurityContext.
pub fn logon_error(e: &KdcError) -> LogonError {
    let restricted = |sub| LogonError::with_sub_status(NtStatus::ACCOUNT_RESTRICTION, sub);
    match e {
        KdcError::Unreachable(_) | KdcError::NoKdc(_) => NtStatus::NO_LOGON_SERVERS.into(),
        KdcError::Krb(info) => match info.code {
            code::KRB_AP_ERR_SKEW => NtStatus::TIME_DIFFERENCE_AT_DC.into(),
            code::KDC_ERR_KEY_EXPIRED => restricted(NtStatus::PASSWORD_EXPIRED),
            code::KDC_ERR_CLIENT_REVOKED => restricted(NtStatus::ACCOUNT_DISABLED),
            code::KDC_ERR_NAME_EXP => restricted(NtStatus::ACCOUNT_EXPIRED),
            code::KDC_ERR_POLICY => restricted(NtStatus::ACCOUNT_RESTRICTION),
            _ => NtStatus::LOGON_FAILURE.into(),
        },
        _ => NtStatus::LOGON_FAILURE.into(),
    }
}

/// The client principal of a logon request; `None` for a local account
/// (domain `.` or the computer's name) or no realm at all: no KDC can
/// validate it.
fn client_principal(req: &InteractiveLogon, config: &Krb5Config) -> Option<PrincipalName> {
    let (user, domain, _) = split_names(req);
    if domain.eq_ignore_ascii_case(computer_name()) {
        return None;
    }
    PrincipalName::parse_user(&user, Some(&domain), config.default_realm.as_deref()).ok()
}

/// One string-to-key (etype, salt, s2kparams) of the user's password.
struct KeySpec<'a> {
    etype: i32,
    salt: &'a [u8],
    s2kparams: Option<&'a [u8]>,
}

/// The long-term keys of `password`: `first` (the key the AS exchange
/// used, with its kvno) then string-to-key for each other `spec` this
/// library implements (one key per etype).
fn long_term_keys(
    password: &str,
    first: Option<KerberosKey>,
    kvno: u32,
    specs: &[KeySpec<'_>],
) -> Vec<KerberosKey> {
    let mut keys: Vec<KerberosKey> = first.into_iter().collect();
    for spec in specs {
        let Ok(etype) = EncryptionType::from_i32(spec.etype) else {
            continue;
        };
        if keys.iter().any(|k| k.etype == spec.etype) {
            continue;
        }
        if let Ok(k) = string_to_key(etype, password, spec.salt, spec.s2kparams) {
            keys.push(KerberosKey {
                etype: spec.etype,
                kvno,
                key: Zeroizing::new(k.as_bytes().to_vec()),
            });
        }
    }
    keys
}

/// A ticket as the LSA caches it: `KERB_TICKET_CACHE_INFO`'s fields
/// (times as FILETIME, flags as RFC 4120 TicketFlags, the bit order
/// Windows uses) and, as `encoded`, the MIT ccache credential (version 4
/// form: ticket, session key, times) [`ticket_credential`] reads back.
/// `server_name` is the name it was asked for (`HTTP/host`, no realm).
pub fn cached_ticket(t: &TicketCredential, server: &PrincipalName) -> CachedTicket {
    CachedTicket {
        server_name: server.components.join("/"),
        realm_name: server.realm.clone(),
        start_time: filetime_from_unix(t.starttime.unwrap_or(t.authtime)),
        end_time: filetime_from_unix(t.endtime),
        renew_time: filetime_from_unix(t.renew_till.unwrap_or(0)),
        encryption_type: t.session_key.etype().as_i32(),
        ticket_flags: t.flags,
        encoded: encode_credential(&t.to_ccache(), CCACHE_V4),
    }
}

/// The ticket a [`cached_ticket`] holds; `None` when malformed.
pub fn ticket_credential(c: &CachedTicket) -> Option<TicketCredential> {
    TicketCredential::from_ccache(&decode_credential(&c.encoded, CCACHE_V4).ok()?)
}

impl KerberosProvider for LsaKerberos {
    fn logon(
        &self,
        logon_type: SecurityLogonType,
        req: &InteractiveLogon,
    ) -> Result<(ValidatedLogon, KerberosCredential), LogonError> {
        let config = config();
        let Some(client) = client_principal(req, &config) else {
            return Err(reject!(
                LogonError::from(NtStatus::NO_LOGON_SERVERS),
                "Kerberos logon of {}: a local account or no realm",
                Who(&req.domain, &req.user)
            ));
        };
        let transport = NetTransport::from_config(&config);
        let reply = request_tgt_with_key(
            &transport,
            &client,
            ClientSecret::Password(req.password.clone()),
            &AsOptions::from_config(&config),
        )
        .map_err(|e| reject!(logon_error(&e), "Kerberos logon of {client}: {e}"))?;
        // The names the KDC vouched for, not the request's.
        let tgt = &reply.tgt;
        let user = tgt.client.components.join("/");
        let realm = tgt.client.realm.to_ascii_uppercase();
        let principal = format!("{user}@{realm}");
        let kvno = reply.kvno.unwrap_or(0);
        let first = KerberosKey {
            etype: reply.client_key.etype().as_i32(),
            kvno,
            key: Zeroizing::new(reply.client_key.as_bytes().to_vec()),
        };
        // The keys the KDC says the user has (its ETYPE-INFO2, with their
        // salts and parameters), not every configured etype: string-to-key
        // of an RFC 8009 etype is 32768 PBKDF2 iterations.
        let default_salt = default_salt(&client);
        let specs: Vec<KeySpec<'_>> = reply
            .etype_info
            .iter()
            .filter(|e| config.default_tkt_enctypes.contains(&e.etype))
            .map(|e| KeySpec {
                etype: e.etype,
                salt: e.salt.as_deref().unwrap_or(&default_salt),
                s2kparams: e.s2kparams.as_deref(),
            })
            .collect();
        let keys = long_term_keys(&req.password, Some(first), kvno, &specs);
        tracing::debug!(
            "Kerberos logon ({logon_type:?}) of {principal}: TGT until {}, {} keys",
            tgt.endtime,
            keys.len()
        );
        let validated = ValidatedLogon {
            user,
            domain: realm.clone(),
            logon_server: realm.clone(),
            dns_domain_name: realm.clone(),
            upn: principal.clone(),
        };
        let credential = KerberosCredential {
            renewable_with_keys: false,
            principal,
            realm,
            keys,
            tgt: Some(cached_ticket(tgt, &tgt.server)),
            service_tickets: Vec::new(),
        };
        Ok((validated, credential))
    }

    fn accept_credentials(
        &self,
        validated: &ValidatedLogon,
        req: &InteractiveLogon,
    ) -> Option<KerberosCredential> {
        accept_with(&config(), validated, req)
    }

    /// The AS exchange with the session's long-term keys (its first TGT,
    /// Windows' `runas /netonly` at first use), run in the LSA service
    /// where the keys are, with the KDC wait bounded below the service
    /// clients' 5 s limit. The client must be the credential's principal
    /// (checked in the reply as for a password).
    fn initial_tgt(
        &self,
        k: &KerberosCredential,
        deadline: std::time::Instant,
    ) -> Result<CachedTicket, NtStatus> {
        let config = config();
        let client = PrincipalName::parse_user(&k.principal, None, None)
            .map_err(|_| NtStatus::NO_SUCH_LOGON_SESSION)?;
        let keys = k
            .keys
            .iter()
            .filter_map(|key| Key::new(EncryptionType::from_i32(key.etype).ok()?, &key.key).ok())
            .collect();
        let mut transport = NetTransport::from_config(&config);
        transport.timeouts = super::lsa_tgs::KDC_TIMEOUTS;
        transport.deadline = Some(deadline);
        let reply = request_tgt_with_key(
            &transport,
            &client,
            ClientSecret::Keys(keys),
            &AsOptions::from_config(&config),
        )
        .map_err(|e| reject!(logon_error(&e).status, "first TGT of {client}: {e}"))?;
        Ok(cached_ticket(&reply.tgt, &reply.tgt.server))
    }

    /// The TGS exchange with the session's TGT, where its key is
    /// ([`super::lsa_tgs`]).
    fn tgs(
        &self,
        tgt: &CachedTicket,
        request: &TicketRequest,
        deadline: std::time::Instant,
    ) -> Result<CachedTicket, SecStatus> {
        super::lsa_tgs::tgs(tgt, request, deadline)
    }
}

/// `SpAcceptCredentials` under `config`: the keys of the password for
/// the validated user in the realm of its domain, no network. Nothing for
/// a local account (the computer's domain) nor for a realm krb5.conf
/// names no KDC for (an MSV1_0 domain Kerberos can never reach: keys for
/// it would only cost string-to-key at every logon).
fn accept_with(
    config: &Krb5Config,
    validated: &ValidatedLogon,
    req: &InteractiveLogon,
) -> Option<KerberosCredential> {
    if validated.domain.eq_ignore_ascii_case(computer_name()) {
        return None;
    }
    let client = PrincipalName::parse_user(
        &validated.user,
        Some(&validated.domain),
        config.default_realm.as_deref(),
    )
    .ok()?;
    if config.kdcs(&client.realm).is_empty() {
        return None;
    }
    // No KDC to say which keys the user has: the configured etypes, with
    // the default salt.
    let salt = default_salt(&client);
    let specs: Vec<KeySpec<'_>> = config
        .default_tkt_enctypes
        .iter()
        .map(|&etype| KeySpec {
            etype,
            salt: &salt,
            s2kparams: None,
        })
        .collect();
    let keys = long_term_keys(&req.password, None, 0, &specs);
    if keys.is_empty() {
        return None;
    }
    Some(KerberosCredential {
        renewable_with_keys: false,
        principal: client.to_string(),
        realm: client.realm.clone(),
        keys,
        tgt: None,
        service_tickets: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
