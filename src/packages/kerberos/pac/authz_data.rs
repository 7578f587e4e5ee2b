//! The PAC's place in a ticket (RFC 4120 §5.2.6, MS-KILE §3.4.5.3): an
//! AD-WIN2K-PAC (128) element inside AD-IF-RELEVANT (1) containers of the
//! EncTicketPart's authorization-data. Elements of other types are
//! ignored; a ticket with more than one PAC is refused.

use picky_krb::data_types::AuthorizationData;

use super::PacError;
use crate::packages::kerberos::ap_wire::{der_decode, int_value};

/// AD-IF-RELEVANT (RFC 4120 §5.2.6.1).
pub const AD_IF_RELEVANT: i64 = 1;
/// AD-WIN2K-PAC (RFC 4120 §7.5.4, MS-PAC §1).
pub const AD_WIN2K_PAC: i64 = 128;

/// AD-IF-RELEVANT containers looked into, nested (a bound on recursion).
const MAX_DEPTH: usize = 4;

/// The PAC of a ticket's AuthorizationData (DER): `None` when there is
/// none, [`PacError::MultiplePacs`] when there are several.
pub fn find_pac(authorization_data: &[u8]) -> Result<Option<Vec<u8>>, PacError> {
    let mut found = Vec::new();
    collect(authorization_data, 0, &mut found)?;
    if found.len() > 1 {
        return Err(PacError::MultiplePacs);
    }
    Ok(found.pop())
}

fn collect(der: &[u8], depth: usize, found: &mut Vec<Vec<u8>>) -> Result<(), PacError> {
    let ad: AuthorizationData = der_decode(der).map_err(|_| PacError::Malformed)?;
    for element in ad.0 {
        let ad_type = int_value(&element.ad_type.0).map_err(|_| PacError::Malformed)?;
        let data = element.ad_data.0 .0;
        match ad_type {
            AD_WIN2K_PAC => found.push(data),
            AD_IF_RELEVANT if depth < MAX_DEPTH => collect(&data, depth + 1, found)?,
            AD_IF_RELEVANT => return Err(PacError::Malformed),
            _ => {}
        }
    }
    Ok(())
}
