//! A default outbound credential from the caller's LSA logon session
//! (Windows: `AcquireCredentialsHandle(NULL, "Kerberos", OUTBOUND)` uses
//! the logon session's ticket cache): the TGT the logon's AS exchange put
//! there ([`super::lsa_logon`]) and the service tickets any process of the
//! session obtained. Everything is read from the LSA at each use (never
//! kept in the handle), so a logoff ends it; service tickets obtained go
//! back to the session's cache in one step
//! (`Lsa::add_kerberos_service_ticket`), where later processes find them.
//!
//! In this step the application holds the TGT and its session key (the
//! client copy of the LSA service withholds only the long-term keys) and
//! runs the TGS exchange itself, as with an MIT ccache of its uid.

use std::sync::Arc;

use super::creds::{ServiceTicket, Tgt};
use super::lsa_logon::{cached_ticket, ticket_credential};
use super::principal::PrincipalName;
use crate::lsa::packages::kerberos::KerberosCredential as SessionCredential;
use crate::lsa::status::NtStatus;
use crate::lsa::Luid;
use crate::sspi::{SecResult, SecStatus};
use crate::trace::reject;

/// Session `luid`'s Kerberos credential (the caller's; a missing, ended or
/// foreign session, or one without one: `None`).
fn credential(luid: Luid) -> Option<SessionCredential> {
    let lsa = crate::lsa::lsa().ok()?;
    lsa.kerberos_credential(Some(luid)).ok().map(|(_, k)| k)
}

/// Whether session `luid` has a Kerberos credential in the LSA.
pub fn has_credential(luid: Luid) -> bool {
    credential(luid).is_some()
}

/// The caller's logon session (the process default session, else the
/// uid's current one: the session `sspilogon` made) when it has a Kerberos
/// credential; `None`: the package falls back to the MIT ccache.
pub fn caller_session() -> Option<Luid> {
    let lsa = crate::lsa::lsa().ok()?;
    lsa.caller_session().ok().flatten()?;
    lsa.kerberos_credential(None).ok().map(|(l, _)| l)
}

/// Whether session `luid` can give a TGT: it has a Kerberos credential
/// whose TGT is valid at `now`, or none yet (its first use runs the AS
/// exchange with the session's keys).
pub fn usable(luid: Luid, now: i64) -> bool {
    credential(luid).is_some_and(|k| k.tgt.is_none() || valid_tgt(&k, now).is_some())
}

/// The session's TGT valid at `now`. A session whose credential has no
/// TGT yet (a NewCredentials logon, an MSV1_0 logon while no KDC
/// answered) gets its first one now, by the AS exchange with its
/// long-term keys where they are ([`crate::lsa::Lsa::kerberos_initial_tgt`]:
/// the LSA service); its failure is the SSPI status of the KDC's answer
/// (a wrong password: `SEC_E_LOGON_DENIED`). `SEC_E_NO_CREDENTIALS` when
/// the session ended, has no keys, or its TGT expired (no renewal in this
/// step).
pub fn tgt(luid: Luid, now: i64) -> SecResult<Tgt> {
    let ended = || {
        reject!(
            SecStatus::NoCredentials,
            "logon session {luid} has ended or has no Kerberos credential"
        )
    };
    let mut k = credential(luid).ok_or_else(ended)?;
    if k.tgt.is_none() {
        let lsa = crate::lsa::lsa().map_err(|_| SecStatus::InternalError)?;
        // An in-process store runs the exchange here, with this package.
        super::lsa_logon::register(lsa);
        lsa.kerberos_initial_tgt(luid).map_err(|s| {
            reject!(
                initial_tgt_status(s),
                "logon session {luid}: no first TGT with its keys: {s}"
            )
        })?;
        k = credential(luid).ok_or_else(ended)?;
    }
    valid_tgt(&k, now).ok_or_else(|| {
        reject!(
            SecStatus::NoCredentials,
            "logon session {luid} has no valid Kerberos TGT (none or expired)"
        )
    })
}

/// The SSPI status of a failed first AS exchange (an `LsaLogonUser`
/// status, [`super::lsa_logon::logon_error`]), as the package reports the
/// same KDC answers at InitializeSecurityContext
/// ([`super::kdc::KdcError::sec_status`]).
fn initial_tgt_status(s: NtStatus) -> SecStatus {
    match s {
        NtStatus::LOGON_FAILURE | NtStatus::ACCOUNT_RESTRICTION => SecStatus::LogonDenied,
        NtStatus::NO_LOGON_SERVERS => SecStatus::NoAuthenticatingAuthority,
        NtStatus::TIME_DIFFERENCE_AT_DC => SecStatus::TimeSkew,
        NtStatus::NO_SUCH_LOGON_SESSION => SecStatus::NoCredentials,
        _ => SecStatus::InternalError,
    }
}

/// The TGT of a session credential, if it holds one valid at `now`.
fn valid_tgt(k: &SessionCredential, now: i64) -> Option<Tgt> {
    k.tgt
        .as_ref()
        .and_then(ticket_credential)
        .filter(|t| t.is_valid_at(now))
        .map(|t| Tgt(Arc::new(t)))
}

/// The client principal of session `luid`.
pub fn client(luid: Luid) -> Option<String> {
    credential(luid).map(|k| k.principal)
}

/// A service ticket of the session's cache for `spn` (the name it was
/// asked for), valid at `now`.
pub fn service_ticket(luid: Luid, spn: &PrincipalName, now: i64) -> Option<ServiceTicket> {
    let name = spn.components.join("/");
    credential(luid)?
        .service_tickets
        .iter()
        .filter(|t| t.server_name == name && t.realm_name == spn.realm)
        .filter_map(ticket_credential)
        .find(|t| t.is_valid_at(now))
        .map(|t| ServiceTicket(Arc::new(t)))
}

/// Cache `ticket` (obtained for `spn`) in the session's ticket cache.
/// Failing to cache is no failure to authenticate (a full cache: 256
/// tickets, a session that ended meanwhile).
pub fn add_service_ticket(luid: Luid, spn: &PrincipalName, ticket: &ServiceTicket) {
    let Ok(lsa) = crate::lsa::lsa() else {
        return;
    };
    match lsa.add_kerberos_service_ticket(luid, &cached_ticket(ticket, spn)) {
        Ok(()) => {}
        Err(NtStatus::QUOTA_EXCEEDED) => tracing::info!(
            "logon session {luid}: ticket cache full, the ticket for {spn} is not cached"
        ),
        Err(e) => tracing::info!("logon session {luid}: ticket for {spn} not cached: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::kerberos::creds::TicketCredential;
    use crate::packages::kerberos::crypto::{EncryptionType, Key};
    use crate::packages::kerberos::principal::{NT_PRINCIPAL, NT_SRV_INST};

    /// A session's TGT is used only until its end time (no renewal in
    /// this step: SEC_E_NO_CREDENTIALS after it), and a session credential
    /// without one (NewCredentials, an MSV1_0 logon) has none.
    #[test]
    fn an_expired_or_missing_tgt_is_none() {
        let t = TicketCredential {
            client: PrincipalName::new(NT_PRINCIPAL, &["alice"], "R"),
            server: PrincipalName::new(NT_SRV_INST, &["krbtgt", "R"], "R"),
            ticket: vec![0x61, 0],
            session_key: Key::new(EncryptionType::Aes128CtsHmacSha196, &[7; 16]).unwrap(),
            flags: 0,
            authtime: 100,
            starttime: None,
            endtime: 1000,
            renew_till: None,
        };
        let mut k = SessionCredential {
            principal: "alice@R".into(),
            realm: "R".into(),
            keys: Vec::new(),
            tgt: Some(cached_ticket(&t, &t.server)),
            service_tickets: Vec::new(),
        };
        assert_eq!(valid_tgt(&k, 999).map(|g| g.endtime), Some(1000));
        assert!(valid_tgt(&k, 1000).is_none());
        k.tgt = None;
        assert!(valid_tgt(&k, 999).is_none());
    }
}
