//! QueryContextAttributes(Ex) and SetContextAttributes: package answers
//! written into the caller's `SecPkgContext_*` structure.
#![allow(non_snake_case)]

use std::ffi::c_void;
use std::mem::size_of;

use super::alloc::alloc_copy;
use super::boundary::{sspi_call, FfiResult};
use super::context::context;
use super::lsa::luid_out;
use super::pkginfo::alloc_package_infos;
use super::strings::{alloc_string, Charset};
use super::types::*;
use crate::sspi::consts::*;
use crate::sspi::{ContextAttribute, SecStatus, Step};

/// Size of the structure an attribute fills, or `None` for attributes not
/// known to this layer.
fn attribute_size(attribute: u32) -> Option<usize> {
    Some(match attribute {
        SECPKG_ATTR_SIZES => size_of::<SecPkgContext_Sizes>(),
        SECPKG_ATTR_STREAM_SIZES => size_of::<SecPkgContext_StreamSizes>(),
        SECPKG_ATTR_NAMES => size_of::<SecPkgContext_NamesW>(),
        SECPKG_ATTR_NATIVE_NAMES => size_of::<SecPkgContext_NativeNamesW>(),
        SECPKG_ATTR_LIFESPAN => size_of::<SecPkgContext_Lifespan>(),
        SECPKG_ATTR_KEY_INFO => size_of::<SecPkgContext_KeyInfoW>(),
        SECPKG_ATTR_SESSION_KEY => size_of::<SecPkgContext_SessionKey>(),
        SECPKG_ATTR_PACKAGE_INFO => size_of::<SecPkgContext_PackageInfoW>(),
        SECPKG_ATTR_NEGOTIATION_INFO => size_of::<SecPkgContext_NegotiationInfoW>(),
        SECPKG_ATTR_FLAGS => size_of::<SecPkgContext_Flags>(),
        SECPKG_ATTR_AUTHORITY => size_of::<SecPkgContext_AuthorityW>(),
        SECPKG_ATTR_AUTHENTICATION_ID => size_of::<SecPkgContext_AuthenticationId>(),
        _ => return None,
    })
}

/// Write `value` (the answer for `attribute`) into `buf`.
///
/// # Safety
/// `buf` must be valid for `attribute_size(attribute)` bytes.
unsafe fn write_attribute(
    attribute: u32,
    value: ContextAttribute,
    buf: *mut c_void,
    cs: Charset,
) -> FfiResult {
    use ContextAttribute as A;
    // SAFETY (every arm): `buf` holds the structure of `attribute`, which
    // is the one each arm writes (checked by matching both).
    unsafe {
        match (attribute, value) {
            (
                SECPKG_ATTR_SIZES,
                A::Sizes {
                    max_token,
                    max_signature,
                    block_size,
                    security_trailer,
                },
            ) => (buf as *mut SecPkgContext_Sizes).write_unaligned(SecPkgContext_Sizes {
                cbMaxToken: max_token,
                cbMaxSignature: max_signature,
                cbBlockSize: block_size,
                cbSecurityTrailer: security_trailer,
            }),
            (
                SECPKG_ATTR_STREAM_SIZES,
                A::StreamSizes {
                    header,
                    trailer,
                    max_message,
                    buffers,
                    block_size,
                },
            ) => {
                (buf as *mut SecPkgContext_StreamSizes).write_unaligned(SecPkgContext_StreamSizes {
                    cbHeader: header,
                    cbTrailer: trailer,
                    cbMaximumMessage: max_message,
                    cBuffers: buffers,
                    cbBlockSize: block_size,
                })
            }
            (SECPKG_ATTR_NAMES, A::Names(name)) => (buf as *mut SecPkgContext_NamesW)
                .write_unaligned(SecPkgContext_NamesW {
                    sUserName: alloc_string(&name, cs)?.cast(),
                }),
            (SECPKG_ATTR_AUTHORITY, A::Authority(name)) => (buf as *mut SecPkgContext_AuthorityW)
                .write_unaligned(SecPkgContext_AuthorityW {
                    sAuthorityName: alloc_string(&name, cs)?.cast(),
                }),
            (SECPKG_ATTR_NATIVE_NAMES, A::NativeNames { client, server }) => {
                let c = alloc_string(&client, cs)?;
                let s = match alloc_string(&server, cs) {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = super::alloc::free_block(c.cast());
                        return Err(e);
                    }
                };
                (buf as *mut SecPkgContext_NativeNamesW).write_unaligned(
                    SecPkgContext_NativeNamesW {
                        sClientName: c.cast(),
                        sServerName: s.cast(),
                    },
                )
            }
            (SECPKG_ATTR_LIFESPAN, A::Lifespan { start, expiry }) => {
                (buf as *mut SecPkgContext_Lifespan).write_unaligned(SecPkgContext_Lifespan {
                    tsStart: start,
                    tsExpiry: expiry,
                })
            }
            (
                SECPKG_ATTR_KEY_INFO,
                A::KeyInfo {
                    signature_algorithm_name,
                    encrypt_algorithm_name,
                    key_size,
                    signature_algorithm,
                    encrypt_algorithm,
                },
            ) => {
                let s = alloc_string(&signature_algorithm_name, cs)?;
                let e = match alloc_string(&encrypt_algorithm_name, cs) {
                    Ok(e) => e,
                    Err(err) => {
                        let _ = super::alloc::free_block(s.cast());
                        return Err(err);
                    }
                };
                (buf as *mut SecPkgContext_KeyInfoW).write_unaligned(SecPkgContext_KeyInfoW {
                    sSignatureAlgorithmName: s.cast(),
                    sEncryptAlgorithmName: e.cast(),
                    KeySize: key_size,
                    SignatureAlgorithm: signature_algorithm,
                    EncryptAlgorithm: encrypt_algorithm,
                })
            }
            (SECPKG_ATTR_SESSION_KEY, A::SessionKey(key)) => (buf as *mut SecPkgContext_SessionKey)
                .write_unaligned(SecPkgContext_SessionKey {
                    SessionKeyLength: key.len() as u32,
                    SessionKey: alloc_copy(&key)?,
                }),
            (SECPKG_ATTR_PACKAGE_INFO, A::PackageInfo(info)) => (buf
                as *mut SecPkgContext_PackageInfoW)
                .write_unaligned(SecPkgContext_PackageInfoW {
                    PackageInfo: alloc_package_infos(&[info], cs)?,
                }),
            (SECPKG_ATTR_NEGOTIATION_INFO, A::NegotiationInfo { package, state }) => (buf
                as *mut SecPkgContext_NegotiationInfoW)
                .write_unaligned(SecPkgContext_NegotiationInfoW {
                    PackageInfo: alloc_package_infos(&[package], cs)?,
                    NegotiationState: state,
                }),
            (SECPKG_ATTR_FLAGS, A::Flags(flags)) => (buf as *mut SecPkgContext_Flags)
                .write_unaligned(SecPkgContext_Flags { Flags: flags }),
            (SECPKG_ATTR_AUTHENTICATION_ID, A::AuthenticationId(l)) => (buf
                as *mut SecPkgContext_AuthenticationId)
                .write_unaligned(SecPkgContext_AuthenticationId {
                    AuthenticationId: luid_out(l),
                }),
            _ => return Err(SecStatus::InternalError),
        }
    }
    Ok(Step::Complete)
}

unsafe fn query(
    ph: *mut CtxtHandle,
    attribute: u32,
    buf: *mut c_void,
    size: Option<u32>,
    cs: Charset,
) -> FfiResult {
    // SAFETY: forwarded contract.
    let entry = unsafe { context(ph)? };
    let Some(needed) = attribute_size(attribute) else {
        return Err(SecStatus::UnsupportedFunction);
    };
    if buf.is_null() {
        return Err(SecStatus::InvalidParameter);
    }
    if size.is_some_and(|n| (n as usize) < needed) {
        return Err(SecStatus::BufferTooSmall);
    }
    let slot = entry.ctx.lock();
    let ctx = slot.context();
    let value = match (attribute, ctx.query_attribute(attribute)) {
        (SECPKG_ATTR_PACKAGE_INFO, Err(SecStatus::UnsupportedFunction)) => {
            ContextAttribute::PackageInfo(ctx.package())
        }
        (SECPKG_ATTR_NEGOTIATION_INFO, Err(SecStatus::UnsupportedFunction)) => {
            ContextAttribute::NegotiationInfo {
                package: ctx.package(),
                state: if slot.is_established() {
                    SECPKG_NEGOTIATION_COMPLETE
                } else {
                    SECPKG_NEGOTIATION_IN_PROGRESS
                },
            }
        }
        (_, r) => r?,
    };
    drop(slot);
    // SAFETY: `buf` is non-NULL and holds the attribute's structure.
    unsafe { write_attribute(attribute, value, buf, cs) }
}

/// `QueryContextAttributesW`.
#[no_mangle]
pub unsafe extern "C" fn QueryContextAttributesW(
    phContext: *mut CtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { query(phContext, ulAttribute, pBuffer, None, Charset::Wide) })
}

/// `QueryContextAttributesA`.
#[no_mangle]
pub unsafe extern "C" fn QueryContextAttributesA(
    phContext: *mut CtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { query(phContext, ulAttribute, pBuffer, None, Charset::Ansi) })
}

/// `QueryContextAttributesExW`: `cbBuffer` smaller than the structure →
/// `SEC_E_BUFFER_TOO_SMALL`.
#[no_mangle]
pub unsafe extern "C" fn QueryContextAttributesExW(
    phContext: *mut CtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe {
        query(
            phContext,
            ulAttribute,
            pBuffer,
            Some(cbBuffer),
            Charset::Wide,
        )
    })
}

/// `QueryContextAttributesExA`.
#[no_mangle]
pub unsafe extern "C" fn QueryContextAttributesExA(
    phContext: *mut CtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe {
        query(
            phContext,
            ulAttribute,
            pBuffer,
            Some(cbBuffer),
            Charset::Ansi,
        )
    })
}

unsafe fn set(ph: *mut CtxtHandle, attribute: u32, buf: *mut c_void, len: u32) -> FfiResult {
    // SAFETY: forwarded contract.
    let entry = unsafe { context(ph)? };
    let value = if buf.is_null() {
        &[][..]
    } else {
        // SAFETY: the buffer holds `len` bytes.
        unsafe { std::slice::from_raw_parts(buf as *const u8, len as usize) }
    };
    entry
        .ctx
        .lock()
        .context_mut()?
        .set_attribute(attribute, value)?;
    Ok(Step::Complete)
}

/// `SetContextAttributesW`.
#[no_mangle]
pub unsafe extern "C" fn SetContextAttributesW(
    phContext: *mut CtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { set(phContext, ulAttribute, pBuffer, cbBuffer) })
}

/// `SetContextAttributesA`.
#[no_mangle]
pub unsafe extern "C" fn SetContextAttributesA(
    phContext: *mut CtxtHandle,
    ulAttribute: ULONG,
    pBuffer: *mut c_void,
    cbBuffer: ULONG,
) -> SECURITY_STATUS {
    // SAFETY: checked inside.
    sspi_call(|| unsafe { set(phContext, ulAttribute, pBuffer, cbBuffer) })
}
