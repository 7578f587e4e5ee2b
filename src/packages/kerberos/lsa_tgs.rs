//! The TGS exchange with a logon session's TGT, run where the TGT's
//! session key is: the LSA (`opensspi-lsad` for the service store, the
//! process for the in-process stores), as Windows' lsass runs it for the
//! user-mode package and hands it only the service ticket and its key
//! (MS-KILE 3.3.5; RFC 4120 §3.3). The LSA's [`KerberosProvider::tgs`]
//! step of [`super::lsa_logon::LsaKerberos`]:
//!
//! - a service ticket: the package's own TGS code
//!   ([`request_service_ticket_any`] over [`spn_candidates`], referrals
//!   included), the ticket cached under the name asked for;
//! - a FORWARDED TGT to delegate ([`request_forwarded_tgt`]), only from a
//!   forwardable TGT.
//!
//! Failures are the SSPI statuses the package reports for the same KDC
//! answers ([`super::kdc::KdcError::sec_status`]). The KDC wait is bounded
//! ([`KDC_TIMEOUTS`]) and the whole ticket request (a TGT renewal, then
//! this exchange) ends at one deadline below the LSA service clients' 5 s
//! limit ([`crate::lsa::store::KERBEROS_TICKET_BUDGET`]).
//!
//! [`KerberosProvider::tgs`]: crate::lsa::packages::KerberosProvider::tgs

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::config;
use super::credential::kdc_status;
use super::creds::{ticket_flags, Tgt};
use super::kdc::tgs_exchange::{request_forwarded_tgt, request_service_ticket_any, TgsOptions};
use super::kdc::transport::{NetTransport, Timeouts};
use super::lsa_logon::{cached_ticket, ticket_credential};
use super::principal::{spn_candidates, PrincipalName};
use crate::lsa::packages::kerberos::{CachedTicket, TicketRequest, TicketTarget};
use crate::sspi::SecStatus;
use crate::trace::reject;

/// The KDC wait of one exchange the LSA runs for a client; the request's
/// deadline ends every exchange of it sooner
/// ([`crate::lsa::store::KERBEROS_TICKET_BUDGET`]).
pub const KDC_TIMEOUTS: Timeouts = Timeouts {
    per_kdc: Duration::from_secs(1),
    rounds: 2,
    total: Duration::from_secs(4),
};

/// The target a client asks for, as the LSA carries it.
pub fn ticket_target(spn: &PrincipalName, explicit_realm: bool) -> TicketTarget {
    TicketTarget {
        name_type: spn.name_type,
        components: spn.components.clone(),
        realm: spn.realm.clone(),
        explicit_realm,
    }
}

/// [`KerberosProvider::tgs`](crate::lsa::packages::KerberosProvider::tgs).
pub fn tgs(
    tgt: &CachedTicket,
    request: &TicketRequest,
    deadline: Instant,
) -> Result<CachedTicket, SecStatus> {
    let tgt = ticket_credential(tgt).ok_or_else(|| {
        reject!(
            SecStatus::NoCredentials,
            "the session's TGT does not decode"
        )
    })?;
    let tgt = Tgt(Arc::new(tgt));
    let config = config();
    let mut transport = NetTransport::from_config(&config);
    transport.timeouts = KDC_TIMEOUTS;
    transport.deadline = Some(deadline);
    let opts = TgsOptions::from_config(&config);
    match request {
        TicketRequest::Service(t) => {
            if !t.is_valid() {
                return Err(reject!(SecStatus::TargetUnknown, "no service name"));
            }
            let spn = PrincipalName {
                name_type: t.name_type,
                components: t.components.clone(),
                realm: t.realm.clone(),
            };
            let candidates = spn_candidates(&spn, t.explicit_realm, &config);
            let st = request_service_ticket_any(&transport, &tgt, &candidates, &opts)
                .map_err(|e| kdc_status(&format!("TGS exchange for {spn}"), &e))?;
            Ok(cached_ticket(&st, &spn))
        }
        TicketRequest::Forwarded => {
            if tgt.flags & ticket_flags::FORWARDABLE == 0 {
                return Err(reject!(
                    SecStatus::NoCredentials,
                    "the session's TGT is not forwardable"
                ));
            }
            let fwd = request_forwarded_tgt(&transport, &tgt, &opts)
                .map_err(|e| kdc_status("forwarded TGT", &e))?;
            Ok(cached_ticket(&fwd, &fwd.server))
        }
    }
}
