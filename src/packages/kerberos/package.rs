//! The `Kerberos` security package: its `SecPkgInfo` and
//! `AcquireCredentialsHandle` (see [`super::credential`]).

use std::sync::Arc;

use super::credential::KerberosCredential;
use crate::sspi::consts::*;
use crate::sspi::{
    AcquireCredentials, Credential, PackageInfo, SecResult, SecurityContext, SecurityPackage,
};

/// Kerberos' `SecPkgInfo` (BEHAVIOURS.md item 15, CONSTANTS.md SecPkgInfo
/// table): capabilities 0x00073BBF (NTLM's set plus DATAGRAM,
/// EXTENDED_ERROR, GSS_COMPATIBLE, MUTUAL_AUTH, DELEGATION,
/// READONLY_WITH_CHECKSUM), version 1, RPC id 16 (RPC_C_AUTHN_GSS_KERBEROS),
/// cbMaxToken 48000 (Windows 8/2012 and later), comment as Windows (Wine
/// test `test_kerberos`).
pub static KERBEROS_PACKAGE_INFO: PackageInfo = PackageInfo {
    capabilities: SECPKG_FLAG_INTEGRITY
        | SECPKG_FLAG_PRIVACY
        | SECPKG_FLAG_TOKEN_ONLY
        | SECPKG_FLAG_DATAGRAM
        | SECPKG_FLAG_CONNECTION
        | SECPKG_FLAG_MULTI_REQUIRED
        | SECPKG_FLAG_EXTENDED_ERROR
        | SECPKG_FLAG_IMPERSONATION
        | SECPKG_FLAG_ACCEPT_WIN32_NAME
        | SECPKG_FLAG_NEGOTIABLE
        | SECPKG_FLAG_GSS_COMPATIBLE
        | SECPKG_FLAG_LOGON
        | SECPKG_FLAG_MUTUAL_AUTH
        | SECPKG_FLAG_DELEGATION
        | SECPKG_FLAG_READONLY_WITH_CHECKSUM,
    version: 1,
    rpc_id: RPC_C_AUTHN_GSS_KERBEROS,
    max_token: super::gss::sizes::MAX_TOKEN,
    name: "Kerberos",
    comment: "Microsoft Kerberos V1.0",
};

/// The Kerberos security package.
pub struct Kerberos;

/// The registered instance.
pub static KERBEROS: Kerberos = Kerberos;

impl SecurityPackage for Kerberos {
    fn info(&self) -> &'static PackageInfo {
        &KERBEROS_PACKAGE_INFO
    }

    fn acquire_credentials(
        &self,
        request: &AcquireCredentials<'_>,
    ) -> SecResult<Arc<dyn Credential>> {
        Ok(Arc::new(KerberosCredential::acquire(request)?))
    }

    fn import_context(&self, packed: &[u8]) -> SecResult<Box<dyn SecurityContext>> {
        Ok(Box::new(super::context::Established::import(packed)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_info_is_windows() {
        let i = &KERBEROS_PACKAGE_INFO;
        assert_eq!(i.capabilities, 0x0007_3BBF);
        assert_eq!((i.version, i.rpc_id, i.max_token), (1, 16, 48000));
    }
}
