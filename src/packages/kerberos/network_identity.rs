//! The client of an accepted ticket as its network logon session names it
//! (MS-KILE 3.4.5.3: the server builds the client's logon session and
//! token from the PAC).
//!
//! With a verified PAC that has LOGON_INFO (KERB_VALIDATION_INFO, MS-PAC
//! 2.5), as Windows builds the token from it: `UserName` EffectiveName,
//! `LogonDomain` LogonDomainName (NetBIOS), `Sid` LogonDomainId + UserId,
//! `LogonServer` LogonServer; `Upn` and `DnsDomainName` from UPN_DNS_INFO
//! (MS-PAC 2.10). UPN_DNS_INFO's own SID (S flag) is signed by the same
//! server signature; when it differs from LOGON_INFO's, LOGON_INFO's is
//! kept (Windows' token comes from KERB_VALIDATION_INFO) and the
//! difference traced. EffectiveName may differ from the ticket's client
//! name (a UPN logon names the sAMAccountName): that is AD's answer, not an
//! attack, since the PAC's CLIENT_INFO was matched to the ticket.
//!
//! Without a PAC, or with one without LOGON_INFO (MIT KDCs before 1.20
//! have no PAC; MIT 1.20's has no LOGON_INFO), the names are the ticket's
//! client principal (`REALM`, the components joined by `/`) and nothing
//! more: the SID is the synthetic one of [`crate::lsa::session::Sid::for_account`],
//! `Upn` and `DnsDomainName` empty (no Windows behaviour to copy: Windows
//! maps a PAC-less ticket through S4U or name mapping, which we do not
//! have), the logon server this machine.

use super::filecodec::Principal;
use super::pac::VerifiedPac;
use crate::lsa::network::NetworkIdentity;

/// The package name of a Kerberos network logon.
const KERBEROS: &str = "Kerberos";

/// The network identity of `client`, whose ticket's PAC (if any) was
/// verified as `pac`.
pub fn network_identity(client: &Principal, pac: Option<&VerifiedPac>) -> NetworkIdentity {
    let user = client.components.join("/");
    let mut id = NetworkIdentity::new(&user, &client.realm, KERBEROS);
    let Some(pac) = pac else {
        return id;
    };
    let Some(vi) = &pac.validation_info else {
        return id;
    };
    if !vi.effective_name.is_empty() {
        id.user = vi.effective_name.clone();
    }
    if !vi.logon_domain_name.is_empty() {
        id.domain = vi.logon_domain_name.clone();
    }
    id.sid = vi.user_sid();
    if !vi.logon_server.is_empty() {
        id.logon_server = Some(vi.logon_server.clone());
    }
    if let Some(upn) = &pac.upn_dns_info {
        id.upn = upn.upn.clone();
        id.dns_domain_name = upn.dns_domain_name.clone();
        if let (Some(a), Some(b)) = (&id.sid, &upn.sid) {
            if a != b {
                tracing::warn!(
                    "Kerberos: the PAC's LOGON_INFO SID {a} and UPN_DNS_INFO SID {b} differ; \
                     the session takes LOGON_INFO's"
                );
            }
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsa::session::Sid;
    use crate::packages::kerberos::pac::client_info::ClientInfo;
    use crate::packages::kerberos::pac::logon_info::ValidationInfo;
    use crate::packages::kerberos::pac::upn_dns_info::{UpnDnsInfo, UPN_FLAG_EXTENDED};

    fn sid(s: &[u32]) -> Sid {
        Sid {
            authority: 5,
            sub_authorities: s.to_vec(),
        }
    }

    fn alice() -> Principal {
        Principal {
            name_type: 1,
            realm: "AD.EXAMPLE.TEST".into(),
            components: vec!["alice".into()],
        }
    }

    fn logon_info(name: &str, domain: &str) -> ValidationInfo {
        ValidationInfo {
            logon_time: 0,
            password_last_set: 0,
            effective_name: name.into(),
            full_name: String::new(),
            logon_script: String::new(),
            profile_path: String::new(),
            home_directory: String::new(),
            home_directory_drive: String::new(),
            logon_count: 0,
            bad_password_count: 0,
            user_id: 1102,
            primary_group_id: 513,
            group_ids: vec![],
            user_flags: 0,
            logon_server: "DC1".into(),
            logon_domain_name: domain.into(),
            logon_domain_id: Some(sid(&[21, 1, 2, 3])),
            user_account_control: 0x210,
            extra_sids: vec![],
            resource_group_domain_sid: None,
            resource_group_ids: vec![],
        }
    }

    fn pac(vi: Option<ValidationInfo>, upn_sid: Option<Sid>) -> VerifiedPac {
        VerifiedPac {
            client_info: ClientInfo {
                client_id: 0,
                name: "alice".into(),
            },
            upn_dns_info: Some(UpnDnsInfo {
                upn: "alice@ad.example.test".into(),
                dns_domain_name: "AD.EXAMPLE.TEST".into(),
                flags: if upn_sid.is_some() {
                    UPN_FLAG_EXTENDED
                } else {
                    0
                },
                sam_name: upn_sid.as_ref().map(|_| "alice".into()),
                sid: upn_sid,
            }),
            logon_info: None,
            validation_info: vi,
        }
    }

    #[test]
    fn without_logon_info_the_ticket_names_the_client() {
        let plain = NetworkIdentity::new("alice", "AD.EXAMPLE.TEST", "Kerberos");
        assert_eq!(network_identity(&alice(), None), plain);
        // A PAC without LOGON_INFO (MIT 1.20): its UPN_DNS_INFO alone names
        // nothing.
        assert_eq!(network_identity(&alice(), Some(&pac(None, None))), plain);
    }

    #[test]
    fn logon_info_names_the_client_and_its_sid_wins() {
        let id = network_identity(
            &alice(),
            Some(&pac(Some(logon_info("alice", "ADEXAMPLE")), None)),
        );
        assert_eq!(
            (id.user.as_str(), id.domain.as_str(), id.package.as_str()),
            ("alice", "ADEXAMPLE", "Kerberos")
        );
        assert_eq!(id.sid, Some(sid(&[21, 1, 2, 3, 1102])));
        assert_eq!(
            (id.upn.as_str(), id.dns_domain_name.as_str()),
            ("alice@ad.example.test", "AD.EXAMPLE.TEST")
        );
        assert_eq!(id.logon_server.as_deref(), Some("DC1"));
        // UPN_DNS_INFO's SID differing: LOGON_INFO's is the session's.
        let id = network_identity(
            &alice(),
            Some(&pac(
                Some(logon_info("alice", "ADEXAMPLE")),
                Some(sid(&[21, 9, 9, 9, 500])),
            )),
        );
        assert_eq!(id.sid, Some(sid(&[21, 1, 2, 3, 1102])));
        // Empty names in LOGON_INFO: the ticket's.
        let id = network_identity(&alice(), Some(&pac(Some(logon_info("", "")), None)));
        assert_eq!(
            (id.user.as_str(), id.domain.as_str()),
            ("alice", "AD.EXAMPLE.TEST")
        );
    }
}
