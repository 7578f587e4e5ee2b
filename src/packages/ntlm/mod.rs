//! NTLM (MS-NLMP).

pub mod crypto;
pub mod flags;
pub mod messages;
pub mod seal;
#[cfg(test)]
mod vectors;

use std::sync::Arc;

use crate::sspi::consts::*;
use crate::sspi::{
    AcquireCredentials, Credential, PackageInfo, SecResult, SecStatus, SecurityPackage,
};

/// NTLM's `SecPkgInfo` (BEHAVIOURS.md item 11-12).
pub static NTLM_PACKAGE_INFO: PackageInfo = PackageInfo {
    capabilities: SECPKG_FLAG_INTEGRITY
        | SECPKG_FLAG_PRIVACY
        | SECPKG_FLAG_TOKEN_ONLY
        | SECPKG_FLAG_CONNECTION
        | SECPKG_FLAG_MULTI_REQUIRED
        | SECPKG_FLAG_IMPERSONATION
        | SECPKG_FLAG_ACCEPT_WIN32_NAME
        | SECPKG_FLAG_NEGOTIABLE
        | SECPKG_FLAG_LOGON
        | SECPKG_FLAG_READONLY_WITH_CHECKSUM,
    version: 1,
    rpc_id: RPC_C_AUTHN_WINNT,
    max_token: 2888,
    name: "NTLM",
    comment: "NTLM Security Package",
};

/// The NTLM security package.
pub struct Ntlm;

/// The registered instance.
pub static NTLM: Ntlm = Ntlm;

impl SecurityPackage for Ntlm {
    fn info(&self) -> &'static PackageInfo {
        &NTLM_PACKAGE_INFO
    }

    fn acquire_credentials(
        &self,
        _request: &AcquireCredentials<'_>,
    ) -> SecResult<Arc<dyn Credential>> {
        Err(SecStatus::UnsupportedFunction)
    }
}
