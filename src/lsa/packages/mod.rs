//! The LSA's authentication packages behind one interface
//! ([`AuthenticationPackage`], Windows' `LSA_AP_*` functions), their
//! registry (ids and names for `LsaLookupAuthenticationPackage`) and the
//! credential each keeps in a logon session ([`PackageCredential`]).
//!
//! Ids are the registration order of [`PackageRegistry::standard`]:
//! Negotiate 0 as on Windows (BEHAVIOURS item 117), Kerberos 1, MSV1_0 2
//! (Windows numbers packages in load order; callers must look ids up,
//! never hard-code them).

pub mod kerberos;
pub mod msv1_0;
pub mod negotiate;

use std::any::Any;
use std::sync::Arc;

use once_cell::sync::Lazy;
use zeroize::Zeroizing;

use super::call_package::PackageCallResult;
use super::session::SecurityLogonType;
use super::status::{NtResult, NtStatus};
use super::submit::InteractiveLogon;
use super::{Lsa, Luid};

pub use kerberos::{KerberosProvider, KerberosProviderRef};

/// `NEGOSSP_NAME_A`.
pub const NEGOSSP_NAME: &str = "Negotiate";
/// `MICROSOFT_KERBEROS_NAME_A`.
pub const MICROSOFT_KERBEROS_NAME: &str = "Kerberos";
/// `MSV1_0_PACKAGE_NAME`.
pub const MSV1_0_PACKAGE_NAME: &str = "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0";

/// The ids of the standard registry's packages.
pub const NEGOTIATE_ID: u32 = 0;
pub const KERBEROS_ID: u32 = 1;
pub const MSV1_0_ID: u32 = 2;

/// Longest logon-process or package name accepted (bytes).
pub const MAX_NAME_BYTES: usize = 127;

/// What a package's logon validated: the names, the package that
/// validated them (Negotiate: the one it routed to) and, when the
/// validation itself produced one (Kerberos: the TGT), that package's
/// credential for the session.
pub struct PackageLogon {
    pub validated: ValidatedLogon,
    pub package_id: u32,
    pub credential: Option<Box<dyn PackageCredential>>,
}

/// An authentication package of the LSA: the `LSA_AP_*` functions
/// (learn.microsoft.com/windows/win32/api/ntsecpkg/ns-ntsecpkg-lsa_ap_function_table)
/// and `SpAcceptCredentials`. A package gets the LSA it runs in, never a
/// store: it reaches sessions through [`Lsa`]'s methods.
pub trait AuthenticationPackage: Send + Sync {
    /// The name `LsaLookupAuthenticationPackage` takes.
    fn name(&self) -> &'static str;

    /// The name a session it validated reports as its
    /// `SECURITY_LOGON_SESSION_DATA.AuthenticationPackage`.
    fn session_name(&self) -> &'static str {
        self.name()
    }

    /// `LsaApLogonUserEx2`: validate a password logon.
    fn logon_user(
        &self,
        lsa: &Lsa,
        logon_type: SecurityLogonType,
        request: &InteractiveLogon,
    ) -> Result<PackageLogon, LogonError>;

    /// `SpAcceptCredentials`: what the package keeps for the new session
    /// `logon_id` (validated by it or by another package), or `None`.
    fn accept_credentials(
        &self,
        lsa: &Lsa,
        logon_id: Luid,
        validated: &ValidatedLogon,
        request: &InteractiveLogon,
    ) -> Option<Box<dyn PackageCredential>>;

    /// `LsaApCallPackage`: one of the package's `LsaCallAuthenticationPackage`
    /// messages (`message_type` is the request's first ULONG, the request
    /// at least 4 bytes long); see [`super::call_package`] for the contract.
    fn call_package(
        &self,
        lsa: &Lsa,
        message_type: u32,
        request: &[u8],
        request_base: usize,
    ) -> NtResult<PackageCallResult>;

    /// `LsaApLogonTerminated`: session `logon_id` was logged off; drop what
    /// the package keeps for it outside the session.
    fn logon_terminated(&self, _logon_id: Luid) {}

    /// Parse a credential [`PackageCredential::encode`] wrote (the stores
    /// that serialise sessions); `None` when malformed.
    fn decode_credential(&self, _bytes: &[u8]) -> Option<Box<dyn PackageCredential>> {
        None
    }
}

/// What a package keeps in a logon session. Opaque to the session and
/// the stores: the package defines its encoding, and which of its secrets
/// stay in the LSA service when a client receives a copy. `Debug` must
/// leave secrets out.
pub trait PackageCredential: std::fmt::Debug + Send + Sync + 'static {
    fn clone_box(&self) -> Box<dyn PackageCredential>;

    /// The byte form (secrets included) for
    /// [`AuthenticationPackage::decode_credential`].
    fn encode(&self) -> Zeroizing<Vec<u8>>;

    /// The copy a client of the LSA service receives (default: all of it).
    fn client_copy(&self) -> Box<dyn PackageCredential> {
        self.clone_box()
    }

    /// This is such a client copy: a session put back by a client keeps
    /// the service's credential instead.
    fn is_client_copy(&self) -> bool {
        false
    }

    /// What the service keeps when a client puts `sent` (its copy, maybe
    /// changed; `None`: the client dropped the credential) back over this
    /// credential: by default this credential unchanged, so a client can
    /// neither plant nor drop what its copy withholds. A package whose
    /// client may change the visible part (Kerberos' ticket cache) merges.
    fn restore_withheld(
        &self,
        _sent: Option<&dyn PackageCredential>,
    ) -> Box<dyn PackageCredential> {
        self.clone_box()
    }

    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl Clone for Box<dyn PackageCredential> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The packages of an LSA; a package's id is its registration order.
#[derive(Clone, Default)]
pub struct PackageRegistry {
    packages: Vec<Arc<dyn AuthenticationPackage>>,
}

static STANDARD: Lazy<Arc<PackageRegistry>> = Lazy::new(|| {
    let mut r = PackageRegistry::default();
    assert_eq!(r.register(Arc::new(negotiate::Negotiate)), NEGOTIATE_ID);
    assert_eq!(r.register(Arc::new(kerberos::Kerberos)), KERBEROS_ID);
    assert_eq!(r.register(Arc::new(msv1_0::Msv1_0)), MSV1_0_ID);
    Arc::new(r)
});

impl PackageRegistry {
    /// Negotiate, Kerberos and MSV1_0 (ids 0, 1, 2): every [`Lsa`]'s.
    pub fn standard() -> &'static Arc<PackageRegistry> {
        &STANDARD
    }

    /// Add a package; returns its id.
    pub fn register(&mut self, package: Arc<dyn AuthenticationPackage>) -> u32 {
        self.packages.push(package);
        (self.packages.len() - 1) as u32
    }

    /// The package with id `id`; unknown → `STATUS_NO_SUCH_PACKAGE`.
    pub fn get(&self, id: u32) -> NtResult<&dyn AuthenticationPackage> {
        self.packages
            .get(id as usize)
            .map(|p| &**p)
            .ok_or(NtStatus::NO_SUCH_PACKAGE)
    }

    /// Every package with its id.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &dyn AuthenticationPackage)> {
        self.packages
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u32, &**p))
    }

    /// `LsaLookupAuthenticationPackage` on the `LSA_STRING` bytes: exact
    /// documented names, compared ASCII case-insensitively. More than 127
    /// bytes → `STATUS_NAME_TOO_LONG`; anything else unknown →
    /// `STATUS_NO_SUCH_PACKAGE` (BEHAVIOURS items 117-119).
    pub fn lookup(&self, name: &[u8]) -> NtResult<u32> {
        if name.len() > MAX_NAME_BYTES {
            return Err(NtStatus::NAME_TOO_LONG);
        }
        self.iter()
            .find(|(_, p)| p.name().as_bytes().eq_ignore_ascii_case(name))
            .map(|(id, _)| id)
            .ok_or(NtStatus::NO_SUCH_PACKAGE)
    }
}

/// [`PackageRegistry::lookup`] on the standard registry.
pub fn lookup_authentication_package(name: &[u8]) -> NtResult<u32> {
    PackageRegistry::standard().lookup(name)
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
        let r = PackageRegistry::standard();
        for (id, p) in r.iter() {
            assert_eq!(r.lookup(p.name().as_bytes()), Ok(id));
        }
        assert_eq!(r.iter().count(), 3);
        assert!(r.get(3).is_err());
        assert_eq!(r.get(0xdeadbeef).err(), Some(NtStatus::NO_SUCH_PACKAGE));
    }
}

#[cfg(test)]
mod interface_tests;
