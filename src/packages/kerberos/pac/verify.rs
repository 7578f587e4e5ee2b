//! The acceptor's PAC check (MS-KILE §3.4.5.3, MS-PAC §2.8.1, §2.7), in
//! MIT's order (`krb5_pac_verify`): PACTYPE decoded, server signature
//! verified with the service key, then client info matched; UPN_DNS_INFO
//! and LOGON_INFO decoded (a signed buffer that does not decode makes the
//! PAC malformed: the logon session's token could not be built from it).

use std::fmt;

use super::client_info::ClientInfo;
use super::logon_info::ValidationInfo;
use super::signature::verify_server_signature;
use super::upn_dns_info::UpnDnsInfo;
use super::{Pac, PacError, PAC_CLIENT_INFO, PAC_LOGON_INFO, PAC_UPN_DNS_INFO};
use crate::packages::kerberos::crypto::Key;
use crate::packages::kerberos::filecodec::Principal;

/// What a verified PAC says about the client, for the network logon
/// session ([`crate::packages::kerberos::network_identity`]).
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedPac {
    pub client_info: ClientInfo,
    pub upn_dns_info: Option<UpnDnsInfo>,
    /// The first LOGON_INFO buffer (KERB_VALIDATION_INFO, NDR), as signed.
    pub logon_info: Option<Vec<u8>>,
    /// That buffer decoded.
    pub validation_info: Option<ValidationInfo>,
}

impl fmt::Debug for VerifiedPac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedPac")
            .field("client_info", &self.client_info)
            .field("upn_dns_info", &self.upn_dns_info)
            .field("logon_info_len", &self.logon_info.as_ref().map(Vec::len))
            .field("validation_info", &self.validation_info)
            .finish()
    }
}

/// Verifies the PAC of a ticket that `key` decrypted, for the ticket's
/// `client` and `authtime`.
pub fn verify_pac(
    pac: &[u8],
    key: &Key,
    client: &Principal,
    authtime: i64,
) -> Result<VerifiedPac, PacError> {
    let pac = Pac::parse(pac)?;
    verify_server_signature(&pac, key)?;
    let ci = pac
        .unique(PAC_CLIENT_INFO)?
        .ok_or(PacError::ClientMismatch)?;
    let client_info = ClientInfo::parse(pac.bytes(ci))?;
    if !client_info.matches(client, authtime) {
        return Err(PacError::ClientMismatch);
    }
    let upn_dns_info = match pac.unique(PAC_UPN_DNS_INFO)? {
        Some(b) => Some(UpnDnsInfo::parse(pac.bytes(b))?),
        None => None,
    };
    let logon_info = pac.first(PAC_LOGON_INFO).map(|b| pac.bytes(b).to_vec());
    let validation_info = match &logon_info {
        Some(b) => Some(ValidationInfo::decode(b)?),
        None => None,
    };
    Ok(VerifiedPac {
        client_info,
        upn_dns_info,
        logon_info,
        validation_info,
    })
}
