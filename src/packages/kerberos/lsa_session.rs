//! A default outbound credential from the caller's LSA logon session
//! (Windows: `AcquireCredentialsHandle(NULL, "Kerberos", OUTBOUND)` uses
//! the logon session's ticket cache): the TGT the logon's AS exchange put
//! there ([`super::lsa_logon`]) and the service tickets any process of the
//! session obtained. Everything is read from the LSA at each use (never
//! kept in the handle), so a logoff ends it.
//!
//! The TGT's session key and the long-term keys never reach the
//! application (the LSA service's client copy withholds them): a service
//! ticket the session's cache lacks, and the FORWARDED TGT of a
//! delegation, are asked of the LSA ([`crate::lsa::Lsa::kerberos_ticket`]),
//! which runs the TGS exchange ([`super::lsa_tgs`]), first getting or
//! renewing the TGT with the keys when needed, and caches the service
//! ticket in the session for later processes. The application holds the
//! service ticket and its session key, which the AP-REQ and the context's
//! keys need, as Windows' lsass hands the user-mode package.

use std::sync::Arc;

use super::creds::{ServiceTicket, Tgt};
use super::lsa_logon::ticket_credential;
use super::lsa_tgs::ticket_target;
use super::principal::PrincipalName;
use crate::lsa::packages::kerberos::{
    CachedTicket, KerberosCredential as SessionCredential, TicketRequest,
};
use crate::lsa::Luid;
use crate::sspi::time::filetime_from_unix;
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
    let luid = lsa.caller_session().ok().flatten()?;
    lsa.kerberos_credential(Some(luid)).ok().map(|(l, _)| l)
}

/// Whether session `luid` can give tickets at `now` (Unix time): it has a
/// Kerberos credential whose TGT is valid, or none yet, or keys to get a
/// new one with (the LSA renews an expired TGT; through the LSA service
/// the client copy says so without the keys:
/// [`SessionCredential::renewable`]). An expired TGT without keys is no
/// usable credential: Negotiate leaves Kerberos out, as Windows does.
pub fn usable(luid: Luid, now: i64) -> bool {
    let Some(k) = credential(luid) else {
        return false;
    };
    let valid = |t: &CachedTicket| t.end_time > filetime_from_unix(now);
    k.tgt.as_ref().is_none_or(valid) || k.renewable()
}

/// The principal of session `luid`.
pub fn client(luid: Luid) -> Option<String> {
    credential(luid).map(|k| k.principal)
}

/// A service ticket of session `luid` for `spn` valid at `now`: from the
/// session's cache as the caller reads it, else asked of the LSA, which
/// runs the TGS exchange with the session's TGT and caches the ticket.
/// The LSA's status otherwise (`SEC_E_NO_CREDENTIALS`: the session ended,
/// or has no valid TGT and no keys; the KDC's answer as the package
/// reports it: `SEC_E_TARGET_UNKNOWN`, `SEC_E_NO_AUTHENTICATING_AUTHORITY`, …).
pub fn service_ticket(
    luid: Luid,
    spn: &PrincipalName,
    explicit_realm: bool,
    now: i64,
) -> SecResult<ServiceTicket> {
    let k = credential(luid).ok_or_else(|| ended(luid))?;
    let name = spn.components.join("/");
    let cached = k
        .service_tickets
        .iter()
        .filter(|t| t.server_name == name && t.realm_name == spn.realm)
        .filter_map(ticket_credential)
        .find(|t| t.is_valid_at(now));
    if let Some(t) = cached {
        return Ok(ServiceTicket(Arc::new(t)));
    }
    let request = TicketRequest::Service(ticket_target(spn, explicit_realm));
    let t = ask(luid, &request)?;
    ticket_credential(&t)
        .filter(|t| t.is_valid_at(now))
        .map(|t| ServiceTicket(Arc::new(t)))
        .ok_or_else(|| {
            reject!(
                SecStatus::InternalError,
                "logon session {luid}: the LSA's ticket for {spn} is unusable"
            )
        })
}

/// A FORWARDED TGT of session `luid` to delegate (`ISC_REQ_DELEGATE`),
/// obtained by the LSA from the session's forwardable TGT: the one
/// credential of the TGT family the application sees, as it sends it to
/// the delegate.
pub fn forwarded_tgt(luid: Luid) -> SecResult<Tgt> {
    let t = ask(luid, &TicketRequest::Forwarded)?;
    ticket_credential(&t)
        .map(|t| Tgt(Arc::new(t)))
        .ok_or(SecStatus::InternalError)
}

/// Ask the LSA for a ticket of the session's TGT. An in-process store runs
/// the exchange here, with this package as the LSA's provider.
fn ask(luid: Luid, request: &TicketRequest) -> SecResult<CachedTicket> {
    let lsa = crate::lsa::lsa().map_err(|_| SecStatus::InternalError)?;
    super::lsa_logon::register(lsa);
    lsa.kerberos_ticket(luid, request)
        .map_err(|s| reject!(s, "logon session {luid}: no ticket from the LSA"))
}

fn ended(luid: Luid) -> SecStatus {
    reject!(
        SecStatus::NoCredentials,
        "logon session {luid} has ended or has no Kerberos credential"
    )
}
