//! AcquireCredentialsHandle and the other credential-handle entry points.
#![allow(non_snake_case)]

use std::ffi::c_void;
use std::sync::Arc;

use super::boundary::{mut_or, sspi_call, write_opt, FfiResult};
use super::handles::{HandleKind, HandleTable};
use super::identity::decode_identity;
use super::strings::{alloc_string, read_z, Charset};
use super::types::{
    CredHandle, SecPkgCredentials_NamesW, TimeStamp, LUID, SECURITY_STATUS, SEC_CHAR,
    SEC_GET_KEY_FN, SEC_WCHAR, ULONG,
};
use crate::lsa::Luid;
use crate::sspi::consts::*;
use crate::sspi::registry::find_package;
use crate::sspi::{AcquireCredentials, Credential, CredentialUse, SecStatus, Step};
use crate::trace::Who;

/// Every live credential handle.
pub static CREDENTIALS: HandleTable<dyn Credential> = HandleTable::new(HandleKind::Credential);

/// The credential behind a handle pointer.
///
/// # Safety
/// A non-NULL `ph` must point to a `CredHandle`.
pub unsafe fn credential(ph: *const CredHandle) -> Result<Arc<dyn Credential>, SecStatus> {
    // SAFETY: caller contract.
    let h = unsafe { ph.as_ref() }.ok_or(SecStatus::InvalidHandle)?;
    CREDENTIALS.get(h)
}

fn credential_use(f: u32) -> Result<CredentialUse, SecStatus> {
    match f & !SECPKG_CRED_RESERVED & !0x30 {
        SECPKG_CRED_INBOUND => Ok(CredentialUse::Inbound),
        SECPKG_CRED_OUTBOUND => Ok(CredentialUse::Outbound),
        SECPKG_CRED_BOTH => Ok(CredentialUse::Both),
        _ => Err(SecStatus::UnknownCredentials),
    }
}

#[allow(clippy::too_many_arguments)]
unsafe fn acquire(
    principal: *const u8,
    package: *const u8,
    cred_use: ULONG,
    logon_id: *mut c_void,
    auth_data: *mut c_void,
    ph: *mut CredHandle,
    expiry: *mut TimeStamp,
    cs: Charset,
) -> FfiResult {
    // SAFETY: strings are NUL-terminated per the API contract.
    let package = unsafe { read_z(package, cs)? }.ok_or(SecStatus::SecpkgNotFound)?;
    let pkg = find_package(&package)?;
    let usage = credential_use(cred_use)?;
    // SAFETY: as above.
    let principal = unsafe { read_z(principal, cs)? };
    // SAFETY: a non-NULL pvLogonId points to a LUID.
    let logon_id = unsafe { (logon_id as *const LUID).as_ref() }.map(|l| Luid {
        low_part: l.LowPart,
        high_part: l.HighPart,
    });
    let identity = if auth_data.is_null() {
        None
    } else {
        // SAFETY: a non-NULL pAuthData is an identity structure.
        Some(unsafe { decode_identity(auth_data, cs)? })
    };
    let identity = identity.filter(|i| !i.is_default());
    tracing::debug!(
        "package {}, {usage:?}, principal {:?}, {}",
        pkg.info().name,
        principal.as_deref().unwrap_or(""),
        match (&identity, logon_id) {
            (Some(i), _) => format!(
                "explicit identity {}",
                Who(
                    i.domain.as_deref().unwrap_or(""),
                    i.user.as_deref().unwrap_or("")
                )
            ),
            (None, Some(l)) => format!("logon session {}", l),
            (None, None) if usage == CredentialUse::Inbound => "no client identity".into(),
            (None, None) => "the caller's logon session".into(),
        }
    );
    // SAFETY: the output handle must be writable.
    let out = unsafe { mut_or(ph, SecStatus::InvalidHandle)? };
    let cred = pkg.acquire_credentials(&AcquireCredentials {
        principal: principal.as_deref(),
        usage,
        logon_id,
        identity: identity.as_ref(),
    })?;
    let exp = cred.expiry();
    *out = CREDENTIALS.insert(cred);
    // SAFETY: optional output.
    unsafe { write_opt(expiry, exp) };
    Ok(Step::Complete)
}

/// `AcquireCredentialsHandleW`. `pGetKeyFn` is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn AcquireCredentialsHandleW(
    pszPrincipal: *mut SEC_WCHAR,
    pszPackage: *mut SEC_WCHAR,
    fCredentialUse: ULONG,
    pvLogonId: *mut c_void,
    pAuthData: *mut c_void,
    _pGetKeyFn: SEC_GET_KEY_FN,
    _pvGetKeyArgument: *mut c_void,
    phCredential: *mut CredHandle,
    ptsExpiry: *mut TimeStamp,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: pointers follow the SSPI contract; NULLs are checked inside.
        unsafe {
            acquire(
                pszPrincipal.cast(),
                pszPackage.cast(),
                fCredentialUse,
                pvLogonId,
                pAuthData,
                phCredential,
                ptsExpiry,
                Charset::Wide,
            )
        }
    })
}

/// `AcquireCredentialsHandleA` (UTF-8 strings).
#[no_mangle]
pub unsafe extern "C" fn AcquireCredentialsHandleA(
    pszPrincipal: *mut SEC_CHAR,
    pszPackage: *mut SEC_CHAR,
    fCredentialUse: ULONG,
    pvLogonId: *mut c_void,
    pAuthData: *mut c_void,
    _pGetKeyFn: SEC_GET_KEY_FN,
    _pvGetKeyArgument: *mut c_void,
    phCredential: *mut CredHandle,
    ptsExpiry: *mut TimeStamp,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: pointers follow the SSPI contract; NULLs are checked inside.
        unsafe {
            acquire(
                pszPrincipal.cast(),
                pszPackage.cast(),
                fCredentialUse,
                pvLogonId,
                pAuthData,
                phCredential,
                ptsExpiry,
                Charset::Ansi,
            )
        }
    })
}

/// `FreeCredentialsHandle`.
#[no_mangle]
pub unsafe extern "C" fn FreeCredentialsHandle(phCredential: *mut CredHandle) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: a non-NULL handle pointer is readable.
        let h = unsafe { phCredential.as_ref() }.ok_or(SecStatus::InvalidHandle)?;
        CREDENTIALS.remove(h)?;
        super::recent_credentials::forget_freed();
        Ok(Step::Complete)
    })
}

unsafe fn query_cred(
    ph: *mut CredHandle,
    attribute: ULONG,
    buffer: *mut c_void,
    size: Option<ULONG>,
    cs: Charset,
) -> FfiResult {
    // SAFETY: caller contract.
    let cred = unsafe { credential(ph)? };
    match attribute {
        SECPKG_CRED_ATTR_NAMES => {
            if let Some(n) = size {
                if (n as usize) < std::mem::size_of::<SecPkgCredentials_NamesW>() {
                    return Err(SecStatus::BufferTooSmall);
                }
            }
            // SAFETY: the caller passes a SecPkgCredentials_Names.
            let out = unsafe {
                mut_or(
                    buffer as *mut SecPkgCredentials_NamesW,
                    SecStatus::InvalidParameter,
                )?
            };
            let name = cred.user_name()?;
            out.sUserName = alloc_string(&name, cs)?.cast();
            Ok(Step::Complete)
        }
        _ => Err(SecStatus::UnsupportedFunction),
    }
}

/// `QueryCredentialsAttributesW`.
#[no_mangle]
pub unsafe extern "C" fn QueryCredentialsAttributesW(
    phCredential: *mut CredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { query_cred(phCredential, ulAttribute, pBuffer, None, Charset::Wide) })
}

/// `QueryCredentialsAttributesA`.
#[no_mangle]
pub unsafe extern "C" fn QueryCredentialsAttributesA(
    phCredential: *mut CredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { query_cred(phCredential, ulAttribute, pBuffer, None, Charset::Ansi) })
}

/// `QueryCredentialsAttributesExW`: as the plain call, with `cbBuffer` checked.
#[no_mangle]
pub unsafe extern "C" fn QueryCredentialsAttributesExW(
    phCredential: *mut CredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: checked inside.
        unsafe {
            query_cred(
                phCredential,
                ulAttribute,
                pBuffer,
                Some(cbBuffer),
                Charset::Wide,
            )
        }
    })
}

/// `QueryCredentialsAttributesExA`.
#[no_mangle]
pub unsafe extern "C" fn QueryCredentialsAttributesExA(
    phCredential: *mut CredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: checked inside.
        unsafe {
            query_cred(
                phCredential,
                ulAttribute,
                pBuffer,
                Some(cbBuffer),
                Charset::Ansi,
            )
        }
    })
}

unsafe fn set_cred(
    ph: *mut CredHandle,
    attribute: ULONG,
    buffer: *mut c_void,
    len: ULONG,
) -> FfiResult {
    // SAFETY: caller contract.
    let cred = unsafe { credential(ph)? };
    let value = if buffer.is_null() {
        &[][..]
    } else {
        // SAFETY: the buffer holds `len` bytes.
        unsafe { std::slice::from_raw_parts(buffer as *const u8, len as usize) }
    };
    cred.set_attribute(attribute, value)?;
    Ok(Step::Complete)
}

/// `SetCredentialsAttributesW`.
#[no_mangle]
pub unsafe extern "C" fn SetCredentialsAttributesW(
    phCredential: *mut CredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { set_cred(phCredential, ulAttribute, pBuffer, cbBuffer) })
}

/// `SetCredentialsAttributesA`.
#[no_mangle]
pub unsafe extern "C" fn SetCredentialsAttributesA(
    phCredential: *mut CredHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { set_cred(phCredential, ulAttribute, pBuffer, cbBuffer) })
}

unsafe fn add_credentials(ph: *mut CredHandle) -> FfiResult {
    // SAFETY: caller contract.
    unsafe { credential(ph)? };
    Err(SecStatus::UnsupportedFunction)
}

/// `AddCredentialsW`: no package supports adding credentials yet.
#[no_mangle]
pub unsafe extern "C" fn AddCredentialsW(
    hCredentials: *mut CredHandle,
    _pszPrincipal: *mut SEC_WCHAR,
    _pszPackage: *mut SEC_WCHAR,
    _fCredentialUse: ULONG,
    _pAuthData: *mut c_void,
    _pGetKeyFn: SEC_GET_KEY_FN,
    _pvGetKeyArgument: *mut c_void,
    _ptsExpiry: *mut TimeStamp,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { add_credentials(hCredentials) })
}

/// `AddCredentialsA`: no package supports adding credentials yet.
#[no_mangle]
pub unsafe extern "C" fn AddCredentialsA(
    hCredentials: *mut CredHandle,
    _pszPrincipal: *mut SEC_CHAR,
    _pszPackage: *mut SEC_CHAR,
    _fCredentialUse: ULONG,
    _pAuthData: *mut c_void,
    _pGetKeyFn: SEC_GET_KEY_FN,
    _pvGetKeyArgument: *mut c_void,
    _ptsExpiry: *mut TimeStamp,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { add_credentials(hCredentials) })
}
