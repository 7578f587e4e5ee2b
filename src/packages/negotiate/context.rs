//! What the client and server contexts share: the per-message calls and
//! attributes go to the chosen package's context once the handshake is
//! over (BEHAVIOURS.md 67, 72, 114), and an imported context.

use super::NEGOTIATE_PACKAGE_INFO;
use crate::sspi::consts::*;
use crate::sspi::{ContextAttribute, PackageInfo, SecResult, SecurityContext};

/// QueryContextAttributes of a Negotiate context: NEGOTIATION_INFO and
/// PACKAGE_INFO name the chosen package (Negotiate before there is one),
/// everything else is the chosen package's answer.
pub(super) fn query(
    inner: Option<&dyn SecurityContext>,
    established: bool,
    attribute: u32,
) -> SecResult<ContextAttribute> {
    let package = inner
        .map(|i| i.package())
        .unwrap_or(&NEGOTIATE_PACKAGE_INFO);
    match attribute {
        SECPKG_ATTR_NEGOTIATION_INFO => Ok(ContextAttribute::NegotiationInfo {
            package,
            state: if established {
                SECPKG_NEGOTIATION_COMPLETE
            } else {
                SECPKG_NEGOTIATION_IN_PROGRESS
            },
        }),
        SECPKG_ATTR_PACKAGE_INFO => Ok(ContextAttribute::PackageInfo(if established {
            package
        } else {
            &NEGOTIATE_PACKAGE_INFO
        })),
        _ => match inner {
            Some(i) => i.query_attribute(attribute),
            None => Err(crate::sspi::SecStatus::UnsupportedFunction),
        },
    }
}

/// The `SecurityContext` methods that go to the chosen package. The type
/// needs `fn finished(&self) -> Option<&dyn SecurityContext>` (the inner
/// context once the handshake is complete), `fn finished_mut(&mut self) ->
/// SecResult<&mut dyn SecurityContext>` (SEC_E_INVALID_HANDLE before) and
/// `fn current(&self) -> Option<&dyn SecurityContext>` (the inner context
/// at any time).
macro_rules! delegate_to_inner {
    () => {
        fn package(&self) -> &'static PackageInfo {
            &NEGOTIATE_PACKAGE_INFO
        }

        fn is_established(&self) -> bool {
            self.finished().is_some()
        }

        $crate::sspi::forward_message_calls!(finished_mut);

        fn query_attribute(&self, attribute: u32) -> SecResult<ContextAttribute> {
            super::context::query(self.current(), self.finished().is_some(), attribute)
        }

        fn set_attribute(&mut self, attribute: u32, value: &[u8]) -> SecResult<()> {
            match self.finished_mut() {
                Ok(inner) => inner.set_attribute(attribute, value),
                Err(_) => Err(crate::sspi::SecStatus::UnsupportedFunction),
            }
        }

        fn export(&self, flags: u32) -> SecResult<zeroize::Zeroizing<Vec<u8>>> {
            super::export_context(
                self.finished()
                    .ok_or(crate::sspi::SecStatus::InvalidHandle)?,
                flags,
            )
        }

        fn stream_layout(&self, stream: &[u8]) -> SecResult<crate::sspi::buffers::StreamLayout> {
            self.finished()
                .ok_or(crate::sspi::SecStatus::InvalidHandle)?
                .stream_layout(stream)
        }

        fn client_identity(&self) -> Option<(String, String)> {
            self.finished()?.client_identity()
        }

        /// The chosen package's client (AuthenticationPackage "Kerberos" or
        /// "NTLM", not "Negotiate").
        fn network_identity(&self) -> Option<crate::lsa::network::NetworkIdentity> {
            self.finished()?.network_identity()
        }

        fn network_logon_created(&self, logon_id: crate::lsa::Luid) {
            if let Some(inner) = self.finished() {
                inner.network_logon_created(logon_id)
            }
        }
    };
}
pub(super) use delegate_to_inner;

/// A context rebuilt by ImportSecurityContext: established, all delegated.
pub(super) struct Established {
    inner: Box<dyn SecurityContext>,
}

impl Established {
    pub fn new(inner: Box<dyn SecurityContext>) -> Self {
        Established { inner }
    }

    fn finished(&self) -> Option<&dyn SecurityContext> {
        Some(self.inner.as_ref())
    }

    fn finished_mut(&mut self) -> SecResult<&mut dyn SecurityContext> {
        Ok(self.inner.as_mut())
    }

    fn current(&self) -> Option<&dyn SecurityContext> {
        Some(self.inner.as_ref())
    }
}

impl SecurityContext for Established {
    delegate_to_inner!();
}
