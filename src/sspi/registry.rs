//! The package registry: the packages that work, in the order
//! `EnumerateSecurityPackages` lists them (Windows lists Negotiate first,
//! then the packages it negotiates).

use super::{SecResult, SecStatus, SecurityPackage};
use crate::packages::kerberos::KERBEROS;
use crate::packages::negotiate::NEGOTIATE;
use crate::packages::ntlm::NTLM;
use crate::trace::reject;

static PACKAGES: [&dyn SecurityPackage; 3] = [&NEGOTIATE, &KERBEROS, &NTLM];

/// All registered packages.
pub fn packages() -> &'static [&'static dyn SecurityPackage] {
    &PACKAGES
}

/// Look a package up by name, case-insensitively (BEHAVIOURS.md item 17).
pub fn find_package(name: &str) -> SecResult<&'static dyn SecurityPackage> {
    PACKAGES
        .iter()
        .copied()
        .find(|p| p.info().name.eq_ignore_ascii_case(name))
        .ok_or_else(|| reject!(SecStatus::SecpkgNotFound, "no package named {name:?}"))
}
