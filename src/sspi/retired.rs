//! A context that may not be used any more: what is left in a handle's slot
//! after ExportSecurityContext with DELETE_OLD (a call that already held the
//! handle, on another thread, must not seal with the exported key stream),
//! and the placeholder while the slot's context is moved.

use zeroize::Zeroizing;

use super::{
    ContextAttribute, HandshakeInput, HandshakeOutput, MessageBuffer, PackageInfo, SecResult,
    SecStatus, SecurityContext,
};

/// Every call fails: SEC_E_INVALID_HANDLE, as for a deleted handle.
pub struct Retired(pub &'static PackageInfo);

impl SecurityContext for Retired {
    fn package(&self) -> &'static PackageInfo {
        self.0
    }

    fn initialize(&mut self, _input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        Err(SecStatus::InvalidHandle)
    }

    fn accept(&mut self, _input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        Err(SecStatus::InvalidHandle)
    }

    fn complete_auth_token(&mut self) -> SecResult<()> {
        Err(SecStatus::InvalidHandle)
    }

    fn is_established(&self) -> bool {
        false
    }

    fn make_signature(&mut self, _: u32, _: &mut [MessageBuffer<'_>], _: u32) -> SecResult<()> {
        Err(SecStatus::InvalidHandle)
    }

    fn verify_signature(&mut self, _: &mut [MessageBuffer<'_>], _: u32) -> SecResult<Option<u32>> {
        Err(SecStatus::InvalidHandle)
    }

    fn encrypt_message(&mut self, _: u32, _: &mut [MessageBuffer<'_>], _: u32) -> SecResult<()> {
        Err(SecStatus::InvalidHandle)
    }

    fn decrypt_message(&mut self, _: &mut [MessageBuffer<'_>], _: u32) -> SecResult<Option<u32>> {
        Err(SecStatus::InvalidHandle)
    }

    fn query_attribute(&self, _: u32) -> SecResult<ContextAttribute> {
        Err(SecStatus::InvalidHandle)
    }

    fn set_attribute(&mut self, _: u32, _: &[u8]) -> SecResult<()> {
        Err(SecStatus::InvalidHandle)
    }

    fn export(&self, _flags: u32) -> SecResult<Zeroizing<Vec<u8>>> {
        Err(SecStatus::InvalidHandle)
    }
}
