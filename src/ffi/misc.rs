//! FreeContextBuffer, Export/ImportSecurityContext, ChangeAccountPassword.
#![allow(non_snake_case)]

use std::ffi::c_void;

use super::alloc::{alloc_copy, free_block};
use super::boundary::{mut_or, sspi_call};
use super::context::{context, ContextEntry, CONTEXTS};
use super::strings::{read_z, Charset};
use super::types::{
    CtxtHandle, SecBuffer, SecBufferDesc, BOOLEAN, SECURITY_STATUS, SEC_CHAR, SEC_WCHAR, ULONG,
};
use crate::sspi::consts::{SECBUFFER_TOKEN, SECPKG_CONTEXT_EXPORT_DELETE_OLD};
use crate::sspi::registry::find_package;
use crate::sspi::{SecStatus, Step};

/// `FreeContextBuffer`: frees any block this library returned. NULL is
/// accepted; a pointer we never returned is `SEC_E_INVALID_HANDLE`.
#[no_mangle]
pub unsafe extern "C" fn FreeContextBuffer(pvContextBuffer: *mut c_void) -> SECURITY_STATUS {
    sspi_call(|| {
        free_block(pvContextBuffer)?;
        Ok(Step::Complete)
    })
}

/// `ExportSecurityContext`: the packed context is a `FreeContextBuffer`
/// block; `*pToken` is always NULL (no kernel tokens). The package decides
/// which `fFlags` it accepts (NTLM: DELETE_OLD only, `sspi::export`); with
/// DELETE_OLD the old context is retired before the handle is removed, so a
/// call that already holds it on another thread cannot use it either.
#[no_mangle]
pub unsafe extern "C" fn ExportSecurityContext(
    phContext: *mut CtxtHandle,
    fFlags: ULONG,
    pPackedContext: *mut SecBuffer,
    pToken: *mut *mut c_void,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: checked inside.
        let entry = unsafe { context(phContext)? };
        // SAFETY: the packed-context output must be writable.
        let out = unsafe { mut_or(pPackedContext, SecStatus::InvalidParameter)? };
        let mut slot = entry.ctx.lock();
        let packed = slot.established()?.export(fFlags)?;
        let block = alloc_copy(&packed)?;
        if fFlags & SECPKG_CONTEXT_EXPORT_DELETE_OLD != 0 {
            slot.retire();
            // SAFETY: `phContext` was valid above.
            let _ = CONTEXTS.remove(unsafe { &*phContext });
        }
        out.pvBuffer = block.cast();
        out.cbBuffer = packed.len() as u32;
        out.BufferType = SECBUFFER_TOKEN;
        if !pToken.is_null() {
            // SAFETY: checked non-NULL.
            unsafe { *pToken = std::ptr::null_mut() };
        }
        Ok(Step::Complete)
    })
}

unsafe fn import(
    package: *const u8,
    packed: *mut SecBuffer,
    ph: *mut CtxtHandle,
    cs: Charset,
) -> Result<Step, SecStatus> {
    // SAFETY: NUL-terminated per the API contract.
    let name = unsafe { read_z(package, cs)? }.ok_or(SecStatus::SecpkgNotFound)?;
    let pkg = find_package(&name)?;
    // SAFETY: a non-NULL SecBuffer is readable.
    let packed = unsafe { packed.as_ref() }.ok_or(SecStatus::InvalidParameter)?;
    // SAFETY: valid for cbBuffer bytes.
    let bytes = unsafe { super::buffers::buffer_bytes(packed) };
    // SAFETY: the output must be writable.
    let out = unsafe { mut_or(ph, SecStatus::InvalidHandle)? };
    let ctx = pkg.import_context(bytes)?;
    let initiator = ctx.client_identity().is_none();
    *out = CONTEXTS.insert(ContextEntry::new(ctx, initiator));
    Ok(Step::Complete)
}

/// `ImportSecurityContextW`.
#[no_mangle]
pub unsafe extern "C" fn ImportSecurityContextW(
    pszPackage: *mut SEC_WCHAR,
    pPackedContext: *mut SecBuffer,
    _Token: *mut c_void,
    phContext: *mut CtxtHandle,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { import(pszPackage.cast(), pPackedContext, phContext, Charset::Wide) })
}

/// `ImportSecurityContextA`.
#[no_mangle]
pub unsafe extern "C" fn ImportSecurityContextA(
    pszPackage: *mut SEC_CHAR,
    pPackedContext: *mut SecBuffer,
    _Token: *mut c_void,
    phContext: *mut CtxtHandle,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { import(pszPackage.cast(), pPackedContext, phContext, Charset::Ansi) })
}

unsafe fn change_password(package: *const u8, cs: Charset) -> Result<Step, SecStatus> {
    // SAFETY: NUL-terminated per the API contract.
    let name = unsafe { read_z(package, cs)? }.ok_or(SecStatus::SecpkgNotFound)?;
    find_package(&name)?;
    Err(SecStatus::UnsupportedFunction)
}

/// `ChangeAccountPasswordW`: no package changes passwords yet.
#[no_mangle]
pub unsafe extern "C" fn ChangeAccountPasswordW(
    pszPackageName: *mut SEC_WCHAR,
    _pszDomainName: *mut SEC_WCHAR,
    _pszAccountName: *mut SEC_WCHAR,
    _pszOldPassword: *mut SEC_WCHAR,
    _pszNewPassword: *mut SEC_WCHAR,
    _bImpersonating: BOOLEAN,
    _dwReserved: ULONG,
    _pOutput: *mut SecBufferDesc,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { change_password(pszPackageName.cast(), Charset::Wide) })
}

/// `ChangeAccountPasswordA`: no package changes passwords yet.
#[no_mangle]
pub unsafe extern "C" fn ChangeAccountPasswordA(
    pszPackageName: *mut SEC_CHAR,
    _pszDomainName: *mut SEC_CHAR,
    _pszAccountName: *mut SEC_CHAR,
    _pszOldPassword: *mut SEC_CHAR,
    _pszNewPassword: *mut SEC_CHAR,
    _bImpersonating: BOOLEAN,
    _dwReserved: ULONG,
    _pOutput: *mut SecBufferDesc,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { change_password(pszPackageName.cast(), Charset::Ansi) })
}
