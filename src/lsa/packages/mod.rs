//! The authentication packages the LSA knows, their ids and names
//! (`LsaLookupAuthenticationPackage`), and the hook through which the
//! Kerberos package will plug into logons.
//!
//! Ids: Negotiate is 0 as on Windows (BEHAVIOURS item 117); Kerberos 1 and
//! MSV1_0 2 follow (Windows numbers packages in load order; callers must
//! look ids up, never hard-code them).

pub mod msv1_0;

use std::sync::Arc;

use super::session::{KerberosCredential, SecurityLogonType};
use super::status::{NtResult, NtStatus};
use super::submit::InteractiveLogon;

/// `NEGOSSP_NAME_A`.
pub const NEGOSSP_NAME: &str = "Negotiate";
/// `MICROSOFT_KERBEROS_NAME_A`.
pub const MICROSOFT_KERBEROS_NAME: &str = "Kerberos";
/// `MSV1_0_PACKAGE_NAME`.
pub const MSV1_0_PACKAGE_NAME: &str = "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0";

/// Longest logon-process or package name accepted (bytes).
pub const MAX_NAME_BYTES: usize = 127;

/// An authentication package of this LSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthPackage {
    Negotiate,
    Kerberos,
    Msv1_0,
}

impl AuthPackage {
    pub const ALL: [AuthPackage; 3] = [
        AuthPackage::Negotiate,
        AuthPackage::Kerberos,
        AuthPackage::Msv1_0,
    ];

    /// The id `LsaLookupAuthenticationPackage` returns.
    pub const fn id(self) -> u32 {
        match self {
            AuthPackage::Negotiate => 0,
            AuthPackage::Kerberos => 1,
            AuthPackage::Msv1_0 => 2,
        }
    }

    /// The package for an id; unknown → `STATUS_NO_SUCH_PACKAGE`.
    pub fn from_id(id: u32) -> NtResult<AuthPackage> {
        AuthPackage::ALL
            .into_iter()
            .find(|p| p.id() == id)
            .ok_or(NtStatus::NO_SUCH_PACKAGE)
    }

    /// The name `LsaLookupAuthenticationPackage` takes.
    pub const fn name(self) -> &'static str {
        match self {
            AuthPackage::Negotiate => NEGOSSP_NAME,
            AuthPackage::Kerberos => MICROSOFT_KERBEROS_NAME,
            AuthPackage::Msv1_0 => MSV1_0_PACKAGE_NAME,
        }
    }

    /// The name a logon session records as its `AuthenticationPackage`
    /// (Windows shows "NTLM" for MSV1_0 logons).
    pub const fn session_name(self) -> &'static str {
        match self {
            AuthPackage::Negotiate => NEGOSSP_NAME,
            AuthPackage::Kerberos => MICROSOFT_KERBEROS_NAME,
            AuthPackage::Msv1_0 => "NTLM",
        }
    }
}

/// `LsaLookupAuthenticationPackage` on the `LSA_STRING` bytes: exact
/// documented names, compared ASCII case-insensitively. More than 127
/// bytes → `STATUS_NAME_TOO_LONG`; anything else unknown →
/// `STATUS_NO_SUCH_PACKAGE` (BEHAVIOURS items 117-119).
pub fn lookup_authentication_package(name: &[u8]) -> NtResult<u32> {
    if name.len() > MAX_NAME_BYTES {
        return Err(NtStatus::NAME_TOO_LONG);
    }
    AuthPackage::ALL
        .into_iter()
        .find(|p| p.name().as_bytes().eq_ignore_ascii_case(name))
        .map(AuthPackage::id)
        .ok_or(NtStatus::NO_SUCH_PACKAGE)
}

/// What a failed logon reports: `LsaLogonUser`'s return value and its
/// `SubStatus` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogonError {
    pub status: NtStatus,
    pub sub_status: NtStatus,
}

impl LogonError {
    pub fn new(status: NtStatus) -> Self {
        LogonError {
            status,
            sub_status: NtStatus::SUCCESS,
        }
    }

    pub fn with_sub_status(status: NtStatus, sub_status: NtStatus) -> Self {
        LogonError { status, sub_status }
    }
}

impl From<NtStatus> for LogonError {
    fn from(s: NtStatus) -> Self {
        LogonError::new(s)
    }
}

impl std::fmt::Display for LogonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.sub_status == NtStatus::SUCCESS {
            write!(f, "{}", self.status)
        } else {
            write!(f, "{} (sub-status {})", self.status, self.sub_status)
        }
    }
}

/// The names a logon validated: canonical user and domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedLogon {
    pub user: String,
    pub domain: String,
    pub logon_server: String,
    pub dns_domain_name: String,
    pub upn: String,
}

/// The Kerberos package's side of a logon, registered by the Kerberos
/// package with [`crate::lsa::Lsa::set_kerberos_provider`]:
/// - `logon`: a logon through Kerberos (or Negotiate trying Kerberos
///   first): validate with the KDC (AS exchange) and return the names and
///   the credential (keys + TGT) to keep. `STATUS_NO_LOGON_SERVERS` lets
///   Negotiate fall back to MSV1_0.
/// - `accept_credentials`: the `SpAcceptCredentials` step for a logon that
///   another package validated: derive what Kerberos will need later
///   (keys), or `None` to keep nothing.
pub trait KerberosProvider: Send + Sync {
    fn logon(
        &self,
        logon_type: SecurityLogonType,
        request: &InteractiveLogon,
    ) -> Result<(ValidatedLogon, KerberosCredential), LogonError>;

    fn accept_credentials(
        &self,
        validated: &ValidatedLogon,
        request: &InteractiveLogon,
    ) -> Option<KerberosCredential>;
}

/// Shared handle to the registered Kerberos provider.
pub type KerberosProviderRef = Arc<dyn KerberosProvider>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_names() {
        assert_eq!(lookup_authentication_package(b"Negotiate"), Ok(0));
        assert_eq!(lookup_authentication_package(b"Kerberos"), Ok(1));
        assert_eq!(
            lookup_authentication_package(b"MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"),
            Ok(2)
        );
        assert_eq!(lookup_authentication_package(b"kerberos"), Ok(1));
        assert_eq!(
            lookup_authentication_package(b"NTLMx"),
            Err(NtStatus::NO_SUCH_PACKAGE)
        );
        assert_eq!(
            lookup_authentication_package(b""),
            Err(NtStatus::NO_SUCH_PACKAGE)
        );
        assert_eq!(
            lookup_authentication_package(&[b'a'; 128]),
            Err(NtStatus::NAME_TOO_LONG)
        );
        assert_eq!(
            lookup_authentication_package(&[b'a'; 127]),
            Err(NtStatus::NO_SUCH_PACKAGE)
        );
        for p in AuthPackage::ALL {
            assert_eq!(AuthPackage::from_id(p.id()), Ok(p));
        }
        assert_eq!(
            AuthPackage::from_id(0xdeadbeef),
            Err(NtStatus::NO_SUCH_PACKAGE)
        );
    }
}
