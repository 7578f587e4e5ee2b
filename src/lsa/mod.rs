//! The Local Security Authority: logon sessions, authentication packages
//! (MSV1_0), the account database and the session stores.
//!
//! Security packages ask the LSA for what a logon session holds
//! ([`msv1_0_primary_credential`]) and for the local account database
//! ([`accounts`]) when they act as a server.

pub mod accounts;
pub mod session;
pub mod status;
pub mod store;

use zeroize::Zeroizing;

use crate::sspi::{SecResult, SecStatus};

/// A locally unique identifier: names a logon session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Luid {
    pub low_part: u32,
    pub high_part: i32,
}

/// What MSV1_0 keeps for a logon session (its `SpAcceptCredentials` step):
/// the user's names and NT OWF, never the password.
#[derive(Clone)]
pub struct Msv1_0PrimaryCredential {
    pub logon_id: Luid,
    pub user: String,
    pub domain: String,
    pub nt_owf: Zeroizing<[u8; 16]>,
}

impl std::fmt::Debug for Msv1_0PrimaryCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Msv1_0PrimaryCredential")
            .field("logon_id", &self.logon_id)
            .field("user", &self.user)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// The primary credential of the caller's logon session (or of `logon_id`),
/// for noninteractive authentication. `SEC_E_NO_CREDENTIALS` when there is
/// no logon session.
pub fn msv1_0_primary_credential(_logon_id: Option<Luid>) -> SecResult<Msv1_0PrimaryCredential> {
    Err(SecStatus::NoCredentials)
}
