//! PAC_CLIENT_INFO (MS-PAC §2.7): the ticket's authtime as a FILETIME
//! (ClientId) and the client's name (UTF-16LE), which must be the ticket's
//! (MS-PAC §2.7; MIT's `k5_pac_validate_client`).

use super::{le_u16, le_u64, utf16le, PacError};
use crate::packages::kerberos::filecodec::Principal;

/// Seconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01.
pub const NT_TIME_EPOCH: u64 = 11_644_473_600;
/// FILETIME ticks (100 ns) per second.
const TICKS_PER_SECOND: u64 = 10_000_000;
/// ClientId and NameLength.
const FIXED_LEN: usize = 10;

/// A decoded PAC_CLIENT_INFO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// ClientId: the ticket's authtime, FILETIME.
    pub client_id: u64,
    /// Name, as the KDC wrote it (without the realm for a ticket's own
    /// client, MS-KILE §3.3.5.6.4.1).
    pub name: String,
}

impl ClientInfo {
    /// Decodes the buffer: NameLength bytes of UTF-16LE after the fixed
    /// part, an even count within the buffer.
    pub fn parse(b: &[u8]) -> Result<Self, PacError> {
        let client_id = le_u64(b, 0).ok_or(PacError::Malformed)?;
        let len = le_u16(b, 8).ok_or(PacError::Malformed)? as usize;
        let name = b
            .get(FIXED_LEN..FIXED_LEN + len)
            .ok_or(PacError::Malformed)?;
        Ok(ClientInfo {
            client_id,
            name: utf16le(name)?,
        })
    }

    /// ClientId in seconds since 1970 (whole seconds, as MIT truncates);
    /// `None` before 1970.
    pub fn authtime(&self) -> Option<i64> {
        (self.client_id / TICKS_PER_SECOND)
            .checked_sub(NT_TIME_EPOCH)
            .and_then(|s| i64::try_from(s).ok())
    }

    /// The ticket's client and authtime are this info's: authtime equal to
    /// the second, and Name equal to the client's components joined by
    /// `/` without the realm (MIT's `k5_pac_validate_client` without
    /// `with_realm`: the display form, compared exactly).
    pub fn matches(&self, client: &Principal, authtime: i64) -> bool {
        self.authtime() == Some(authtime) && self.name == client.components.join("/")
    }
}

/// A FILETIME for `secs` since 1970 (test PACs).
pub fn filetime(secs: i64) -> u64 {
    (secs as u64)
        .wrapping_add(NT_TIME_EPOCH)
        .wrapping_mul(TICKS_PER_SECOND)
}
