//! Negotiate (SPNEGO, RFC 4178 and MS-SPNG): the security package named
//! `Negotiate`. It negotiates a mechanism, drives the chosen package's
//! context (`Box<dyn SecurityContext>`) inside SPNEGO tokens, and then
//! hands everything to that context.
//!
//! Modules: [`der`] (the DER subset), [`tokens`] (NegTokenInit(2),
//! NegTokenResp), [`mech`] (OIDs, preference, PackageList, the choice),
//! [`client`] and [`server`] (the state machines), `context` (what both
//! share once a mechanism is chosen).
//!
//! A credential wraps one credential of each inner package that could
//! produce one (today NTLM; Kerberos joins when it is registered), so
//! `AcquireCredentialsHandle(NULL, "Negotiate", ...)` uses the logon
//! session exactly as the inner packages do.

pub mod client;
mod context;
pub mod der;
pub mod mech;
pub mod server;
pub mod tokens;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::sspi::consts::*;
use crate::sspi::registry::find_package;
use crate::sspi::{
    AcquireCredentials, Credential, CredentialUse, PackageInfo, SecResult, SecStatus,
    SecurityContext, SecurityPackage,
};
use mech::{Mech, PackageFilter, PREFERENCE};

pub use client::NegotiateClient;
pub use server::NegotiateServer;

/// Negotiate's `SecPkgInfo` (BEHAVIOURS.md 13-14, CONSTANTS.md §6.1):
/// NEGOTIATE_BASE_CAPS plus READONLY_WITH_CHECKSUM (as NTLM), RPC id 9,
/// cbMaxToken 48256 (Windows 10).
pub static NEGOTIATE_PACKAGE_INFO: PackageInfo = PackageInfo {
    capabilities: SECPKG_FLAG_INTEGRITY
        | SECPKG_FLAG_PRIVACY
        | SECPKG_FLAG_CONNECTION
        | SECPKG_FLAG_MULTI_REQUIRED
        | SECPKG_FLAG_EXTENDED_ERROR
        | SECPKG_FLAG_IMPERSONATION
        | SECPKG_FLAG_ACCEPT_WIN32_NAME
        | SECPKG_FLAG_NEGOTIABLE
        | SECPKG_FLAG_GSS_COMPATIBLE
        | SECPKG_FLAG_LOGON
        | SECPKG_FLAG_READONLY_WITH_CHECKSUM,
    version: 1,
    rpc_id: RPC_C_AUTHN_GSS_NEGOTIATE,
    max_token: 48256,
    name: "Negotiate",
    comment: "Microsoft Package Negotiator",
};

/// One inner package's credential and the OIDs it answers to.
#[derive(Clone)]
pub struct InnerCredential {
    pub oids: &'static [Mech],
    pub cred: Arc<dyn Credential>,
}

impl InnerCredential {
    pub fn answers(&self, m: Mech) -> bool {
        self.oids.contains(&m)
    }
}

/// The inner credentials in the client's preference order, shared by the
/// credential handle and every context made from it (no copy per context).
pub type InnerCredentials = Arc<[InnerCredential]>;

/// A Negotiate credential handle.
pub struct NegotiateCredential {
    usage: CredentialUse,
    mechs: InnerCredentials,
}

impl NegotiateCredential {
    /// From inner credentials in preference order (tests build their own).
    pub fn new(usage: CredentialUse, mechs: Vec<InnerCredential>) -> Self {
        NegotiateCredential {
            usage,
            mechs: mechs.into(),
        }
    }
}

impl Credential for NegotiateCredential {
    fn package(&self) -> &'static PackageInfo {
        &NEGOTIATE_PACKAGE_INFO
    }

    fn usage(&self) -> CredentialUse {
        self.usage
    }

    fn user_name(&self) -> SecResult<String> {
        let mut first_err = SecStatus::NoCredentials;
        for m in self.mechs.iter() {
            match m.cred.user_name() {
                Ok(n) => return Ok(n),
                Err(e) if first_err == SecStatus::NoCredentials => first_err = e,
                Err(_) => {}
            }
        }
        Err(first_err)
    }

    fn expiry(&self) -> i64 {
        self.mechs
            .iter()
            .map(|m| m.cred.expiry())
            .max()
            .unwrap_or(crate::sspi::time::TIMESTAMP_NEVER)
    }

    fn new_initiator(
        &self,
        target: Option<&str>,
        context_req: u32,
    ) -> SecResult<Box<dyn SecurityContext>> {
        if !self.usage.can_initiate() {
            return Err(SecStatus::NoCredentials);
        }
        Ok(Box::new(NegotiateClient::new(
            self.mechs.clone(),
            target,
            context_req,
        )?))
    }

    fn new_acceptor(&self, context_req: u32) -> SecResult<Box<dyn SecurityContext>> {
        if !self.usage.can_accept() {
            return Err(SecStatus::NoCredentials);
        }
        Ok(Box::new(NegotiateServer::new(
            self.mechs.clone(),
            context_req,
        )?))
    }

    /// Handed to every inner credential; succeeds if one accepts it.
    fn set_attribute(&self, attribute: u32, value: &[u8]) -> SecResult<()> {
        let mut result = Err(SecStatus::UnsupportedFunction);
        for m in self.mechs.iter() {
            if m.cred.set_attribute(attribute, value).is_ok() {
                result = Ok(());
            }
        }
        result
    }
}

/// The Negotiate security package.
pub struct Negotiate;

/// The registered instance.
pub static NEGOTIATE: Negotiate = Negotiate;

impl SecurityPackage for Negotiate {
    fn info(&self) -> &'static PackageInfo {
        &NEGOTIATE_PACKAGE_INFO
    }

    /// Each registered inner package in preference order that the
    /// `PackageList` allows acquires its own credential from the same
    /// request; those that fail are left out. With none, the first inner
    /// failure (SEC_E_NO_CREDENTIALS when the list excluded everything).
    fn acquire_credentials(
        &self,
        request: &AcquireCredentials<'_>,
    ) -> SecResult<Arc<dyn Credential>> {
        let filter = PackageFilter::parse(request.identity.and_then(|i| i.package_list.as_deref()));
        let mut mechs = Vec::new();
        let mut first_err = None;
        for (name, oids) in PREFERENCE {
            if !filter.allows(name) {
                continue;
            }
            let Ok(pkg) = find_package(name) else {
                continue;
            };
            match pkg.acquire_credentials(request) {
                Ok(cred) if cred.is_empty() => {
                    tracing::info!("Negotiate: {name} has no usable credential, left out");
                    first_err.get_or_insert(SecStatus::NoCredentials);
                }
                Ok(cred) => mechs.push(InnerCredential { oids, cred }),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if mechs.is_empty() {
            return Err(first_err.unwrap_or(SecStatus::NoCredentials));
        }
        Ok(Arc::new(NegotiateCredential::new(request.usage, mechs)))
    }

    /// A blob of [`export_context`]: the inner package's RPC id, then its
    /// own export.
    fn import_context(&self, packed: &[u8]) -> SecResult<Box<dyn SecurityContext>> {
        let (&id, inner) = packed.split_first().ok_or(SecStatus::InvalidToken)?;
        let (name, _) = PREFERENCE
            .iter()
            .find(|(name, _)| find_package(name).is_ok_and(|p| p.info().rpc_id == id as u16))
            .ok_or(SecStatus::InvalidToken)?;
        let pkg = find_package(name)?;
        let ctx = pkg.import_context(inner)?;
        Ok(Box::new(context::Established::new(ctx)))
    }
}

/// ExportSecurityContext of a Negotiate context: one byte naming the inner
/// package (its RPC id: NTLM 10, Kerberos 16), then the inner export.
fn export_context(inner: &dyn SecurityContext, flags: u32) -> SecResult<Zeroizing<Vec<u8>>> {
    let id = u8::try_from(inner.package().rpc_id).map_err(|_| SecStatus::InternalError)?;
    let blob = inner.export(flags)?;
    let mut out = Zeroizing::new(Vec::with_capacity(blob.len() + 1));
    out.push(id);
    out.extend_from_slice(&blob);
    Ok(out)
}
