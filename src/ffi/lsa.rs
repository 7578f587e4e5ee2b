//! The LSA exports of ntsecapi.h (`Lsa*`), over the safe API in `crate::lsa`.
//! Every export returns an `NTSTATUS` through [`lsa_call`]; output blocks
//! are tracked allocations freed by `LsaFreeReturnBuffer`.
#![allow(non_snake_case)]

use std::ffi::c_void;

use super::alloc::{alloc_block, free_block};
use super::boundary::lsa_call;
use super::lsa_types::*;
use super::tokens::new_token;
use super::types::{HANDLE, LUID, NTSTATUS, ULONG};
use crate::lsa::status::NtStatus;
use crate::lsa::wire::ReturnBlock;
use crate::lsa::{Lsa, Luid};

/// The process's LSA ([`crate::lsa::lsa`]) with the security packages'
/// logon hooks registered: the Kerberos package's AS exchange at
/// `LsaLogonUser` ([`crate::packages::kerberos::lsa_logon::register`]).
/// Every C export reaches the LSA through here, so `LsaLogonUser`,
/// `LogonUser` and `LsaCallAuthenticationPackage` all have it (`src/lsa`
/// cannot name the packages: they depend on it).
pub(crate) fn lsa() -> Result<&'static Lsa, NtStatus> {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    let l = crate::lsa::lsa()?;
    REGISTERED.call_once(|| crate::packages::kerberos::lsa_logon::register(l));
    Ok(l)
}

pub(crate) fn luid_in(l: &LUID) -> Luid {
    Luid {
        low_part: l.LowPart,
        high_part: l.HighPart,
    }
}

pub(crate) fn luid_out(l: Luid) -> LUID {
    LUID {
        LowPart: l.low_part,
        HighPart: l.high_part,
    }
}

/// Place a return block in a tracked allocation (pointer fields relocated).
pub(crate) fn place_block(block: &ReturnBlock) -> Result<*mut c_void, NtStatus> {
    let p = alloc_block(block.len()).map_err(|_| NtStatus::NO_MEMORY)?;
    let bytes = block.relocated(p as usize);
    // SAFETY: `p` holds `block.len()` bytes, the length of `bytes`.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    Ok(p.cast())
}

/// The bytes of a counted `LSA_STRING`.
///
/// # Safety
/// A non-NULL `s` must be a valid `LSA_STRING` whose buffer holds `Length` bytes.
unsafe fn lsa_string<'a>(s: *const LSA_STRING) -> Result<&'a [u8], NtStatus> {
    // SAFETY: caller contract.
    let s = unsafe { s.as_ref() }.ok_or(NtStatus::INVALID_PARAMETER)?;
    if s.Length > s.MaximumLength.max(s.Length) || (s.Buffer.is_null() && s.Length > 0) {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if s.Length == 0 {
        return Ok(&[]);
    }
    // SAFETY: the buffer holds `Length` bytes.
    Ok(unsafe { std::slice::from_raw_parts(s.Buffer as *const u8, s.Length as usize) })
}

fn code(r: Result<(), NtStatus>) -> NTSTATUS {
    match r {
        Ok(()) => NtStatus::SUCCESS.0,
        Err(e) => e.0,
    }
}

/// `LsaConnectUntrusted`.
#[no_mangle]
pub unsafe extern "C" fn LsaConnectUntrusted(LsaHandle: *mut HANDLE) -> NTSTATUS {
    lsa_call(|| {
        code((|| {
            if LsaHandle.is_null() {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            let h = lsa()?.connect_untrusted()?;
            // SAFETY: checked non-NULL.
            unsafe { *LsaHandle = h as usize as HANDLE };
            Ok(())
        })())
    })
}

/// `LsaRegisterLogonProcess`: needs the TCB role (uid 0 here).
#[no_mangle]
pub unsafe extern "C" fn LsaRegisterLogonProcess(
    LogonProcessName: *mut LSA_STRING,
    LsaHandle: *mut HANDLE,
    SecurityMode: *mut ULONG,
) -> NTSTATUS {
    lsa_call(|| {
        code((|| {
            // SAFETY: a valid LSA_STRING per the API contract.
            let name = unsafe { lsa_string(LogonProcessName)? };
            if LsaHandle.is_null() || SecurityMode.is_null() {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            let (h, mode) = lsa()?.register_logon_process(name)?;
            // SAFETY: checked non-NULL.
            unsafe {
                *LsaHandle = h as usize as HANDLE;
                *SecurityMode = mode;
            }
            Ok(())
        })())
    })
}

/// `LsaDeregisterLogonProcess` (closes `LsaConnectUntrusted` handles too).
#[no_mangle]
pub unsafe extern "C" fn LsaDeregisterLogonProcess(LsaHandle: HANDLE) -> NTSTATUS {
    lsa_call(|| code(lsa().and_then(|l| l.deregister_logon_process(LsaHandle as usize as u64))))
}

/// `LsaLookupAuthenticationPackage`: Negotiate 0, Kerberos 1,
/// MICROSOFT_AUTHENTICATION_PACKAGE_V1_0 2.
#[no_mangle]
pub unsafe extern "C" fn LsaLookupAuthenticationPackage(
    LsaHandle: HANDLE,
    PackageName: *mut LSA_STRING,
    AuthenticationPackage: *mut ULONG,
) -> NTSTATUS {
    lsa_call(|| {
        code((|| {
            lsa()?.connection(LsaHandle as usize as u64)?;
            // SAFETY: a valid LSA_STRING per the API contract.
            let name = unsafe { lsa_string(PackageName)? };
            if AuthenticationPackage.is_null() {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            let id = lsa()?.packages().lookup(name)?;
            // SAFETY: checked non-NULL.
            unsafe { *AuthenticationPackage = id };
            Ok(())
        })())
    })
}

/// `LsaFreeReturnBuffer`: a pointer the LSA did not return →
/// `STATUS_INVALID_PARAMETER`.
#[no_mangle]
pub unsafe extern "C" fn LsaFreeReturnBuffer(Buffer: *mut c_void) -> NTSTATUS {
    lsa_call(|| code(free_block(Buffer).map_err(|_| NtStatus::INVALID_PARAMETER)))
}

/// `LsaEnumerateLogonSessions`: the caller's sessions (all for uid 0).
#[no_mangle]
pub unsafe extern "C" fn LsaEnumerateLogonSessions(
    LogonSessionCount: *mut ULONG,
    LogonSessionList: *mut *mut LUID,
) -> NTSTATUS {
    lsa_call(|| {
        code((|| {
            if LogonSessionCount.is_null() || LogonSessionList.is_null() {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            let list = lsa()?.enumerate_sessions()?;
            let p = alloc_block(list.len() * std::mem::size_of::<LUID>())
                .map_err(|_| NtStatus::NO_MEMORY)? as *mut LUID;
            for (i, l) in list.iter().enumerate() {
                // SAFETY: `p` holds `list.len()` LUIDs.
                unsafe { p.add(i).write(luid_out(*l)) };
            }
            // SAFETY: checked non-NULL.
            unsafe {
                *LogonSessionCount = list.len() as ULONG;
                *LogonSessionList = p;
            }
            Ok(())
        })())
    })
}

/// `LsaGetLogonSessionData`: one `SECURITY_LOGON_SESSION_DATA` block.
#[no_mangle]
pub unsafe extern "C" fn LsaGetLogonSessionData(
    LogonId: *mut LUID,
    ppLogonSessionData: *mut *mut SECURITY_LOGON_SESSION_DATA,
) -> NTSTATUS {
    lsa_call(|| {
        code((|| {
            // SAFETY: a non-NULL LUID pointer is readable.
            let id = unsafe { LogonId.as_ref() }.ok_or(NtStatus::INVALID_PARAMETER)?;
            if ppLogonSessionData.is_null() {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            let block = lsa()?.session_data(luid_in(id))?.to_block();
            let p = place_block(&block)?;
            // SAFETY: checked non-NULL.
            unsafe { *ppLogonSessionData = p.cast() };
            Ok(())
        })())
    })
}

/// `LsaLogonUser` with `MSV1_0_INTERACTIVE_LOGON` / `KERB_INTERACTIVE_LOGON`
/// submit buffers. Outputs are written when their pointers are not NULL;
/// `Token` names the new logon session (close it with `SspiCloseHandle`).
#[no_mangle]
pub unsafe extern "C" fn LsaLogonUser(
    LsaHandle: HANDLE,
    _OriginName: *mut LSA_STRING,
    LogonType: ULONG,
    AuthenticationPackage: ULONG,
    AuthenticationInformation: *mut c_void,
    AuthenticationInformationLength: ULONG,
    _LocalGroups: *mut c_void,
    _SourceContext: *mut TOKEN_SOURCE,
    ProfileBuffer: *mut *mut c_void,
    ProfileBufferLength: *mut ULONG,
    LogonId: *mut LUID,
    Token: *mut HANDLE,
    Quotas: *mut QUOTA_LIMITS,
    SubStatus: *mut NTSTATUS,
) -> NTSTATUS {
    lsa_call(|| {
        if !SubStatus.is_null() {
            // SAFETY: checked non-NULL.
            unsafe { *SubStatus = 0 };
        }
        code((|| {
            let l = lsa()?;
            l.connection(LsaHandle as usize as u64)?;
            if AuthenticationInformation.is_null() {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            // SAFETY: the submit buffer holds the stated length.
            let submit = unsafe {
                std::slice::from_raw_parts(
                    AuthenticationInformation as *const u8,
                    AuthenticationInformationLength as usize,
                )
            };
            let result = l
                .logon_user_raw(
                    AuthenticationPackage,
                    LogonType,
                    submit,
                    AuthenticationInformation as usize,
                )
                .map_err(|e| {
                    if !SubStatus.is_null() {
                        // SAFETY: checked non-NULL.
                        unsafe { *SubStatus = e.sub_status.0 };
                    }
                    e.status
                })?;
            let block = result.profile.to_block();
            // SAFETY (block below): each output is written only when non-NULL.
            unsafe {
                if !ProfileBuffer.is_null() {
                    *ProfileBuffer = place_block(&block)?;
                    if !ProfileBufferLength.is_null() {
                        *ProfileBufferLength = block.len() as ULONG;
                    }
                }
                if !LogonId.is_null() {
                    *LogonId = luid_out(result.logon_id);
                }
                if !Token.is_null() {
                    *Token = new_token(result.logon_id);
                }
                if !Quotas.is_null() {
                    Quotas.write_bytes(0, 1);
                }
                if !SubStatus.is_null() {
                    *SubStatus = result.sub_status.0;
                }
            }
            Ok(())
        })())
    })
}

/// `LsaCallAuthenticationPackage`. Outputs are initialised before any
/// check (BEHAVIOURS.md items 120-125); the package's own status is in
/// `*ProtocolStatus`.
#[no_mangle]
pub unsafe extern "C" fn LsaCallAuthenticationPackage(
    LsaHandle: HANDLE,
    AuthenticationPackage: ULONG,
    ProtocolSubmitBuffer: *mut c_void,
    SubmitBufferLength: ULONG,
    ProtocolReturnBuffer: *mut *mut c_void,
    ReturnBufferLength: *mut ULONG,
    ProtocolStatus: *mut NTSTATUS,
) -> NTSTATUS {
    lsa_call(|| {
        // SAFETY (block below): each output is written only when non-NULL.
        unsafe {
            if !ProtocolReturnBuffer.is_null() {
                *ProtocolReturnBuffer = std::ptr::null_mut();
            }
            if !ReturnBufferLength.is_null() {
                *ReturnBufferLength = 0;
            }
            if !ProtocolStatus.is_null() {
                *ProtocolStatus = 0;
            }
        }
        code((|| {
            if ProtocolReturnBuffer.is_null()
                || ReturnBufferLength.is_null()
                || ProtocolStatus.is_null()
                || ProtocolSubmitBuffer.is_null()
            {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            // SAFETY: the submit buffer holds the stated length.
            let request = unsafe {
                std::slice::from_raw_parts(
                    ProtocolSubmitBuffer as *const u8,
                    SubmitBufferLength as usize,
                )
            };
            let r = lsa()?.call_authentication_package(
                LsaHandle as usize as u64,
                AuthenticationPackage,
                request,
                ProtocolSubmitBuffer as usize,
            )?;
            // SAFETY: all three outputs checked non-NULL above.
            unsafe {
                *ProtocolStatus = r.protocol_status.0;
                if let Some(block) = r.response {
                    *ProtocolReturnBuffer = place_block(&block)?;
                    *ReturnBufferLength = block.len() as ULONG;
                }
            }
            Ok(())
        })())
    })
}
