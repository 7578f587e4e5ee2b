//! Token handles and the Win32 logon calls, exported with an `Sspi` prefix
//! so they never clash with another library's `LogonUserW`,
//! `ImpersonateLoggedOnUser`, `RevertToSelf`, `CloseHandle` or
//! `GetLastError` (WinPR, Wine): define `OPENSSPI_WIN32_ALIASES` before
//! including the header to get the Windows names as macros.
//!
//! A token is a handle naming a logon session; closing it does not end the
//! session (sessions outlive processes); `SspiLogoffSession` does.
#![allow(non_snake_case)]

use std::cell::Cell;
use std::ffi::c_char;

use super::boundary::lsa_call;
use super::handles::{HandleKind, HandleTable};
use super::lsa::lsa;
use super::lsa::{luid_in, luid_out};
use super::strings::{read_ansi_z, read_wide_z};
use super::types::{SecHandle, HANDLE, LUID, NTSTATUS, ULONG};
use crate::lsa::status::NtStatus;
use crate::lsa::{revert_to_self, Luid};

static TOKENS: HandleTable<Luid> = HandleTable::new(HandleKind::Token);

thread_local! {
    static LAST_ERROR: Cell<u32> = const { Cell::new(0) };
}

/// A new token handle for a logon session.
pub fn new_token(luid: Luid) -> HANDLE {
    let h = TOKENS.insert(std::sync::Arc::new(luid));
    ((h.dwUpper << 32) | h.dwLower) as HANDLE
}

/// The table handle a token `HANDLE` encodes (see [`new_token`]).
fn token_handle(token: HANDLE) -> SecHandle {
    let v = token as usize;
    SecHandle {
        dwLower: v & 0xFFFF_FFFF,
        dwUpper: v >> 32,
    }
}

fn token_luid(token: HANDLE) -> Option<Luid> {
    TOKENS.get(&token_handle(token)).ok().map(|l| *l)
}

fn win32_result(r: Result<(), NtStatus>) -> i32 {
    match r {
        Ok(()) => {
            LAST_ERROR.with(|e| e.set(0));
            1
        }
        Err(s) => {
            LAST_ERROR.with(|e| e.set(s.to_win32_error()));
            0
        }
    }
}

fn logon(
    user: Option<String>,
    domain: Option<String>,
    password: Option<zeroize::Zeroizing<String>>,
    logon_type: u32,
    provider: u32,
    token: *mut HANDLE,
) -> i32 {
    win32_result((|| {
        let user = user.ok_or(NtStatus::INVALID_PARAMETER)?;
        if token.is_null() {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        let password = password.unwrap_or_default();
        let r = lsa()?
            .logon_user_w(&user, domain.as_deref(), &password, logon_type, provider)
            .map_err(|e| e.status)?;
        // SAFETY: checked non-NULL.
        unsafe { *token = new_token(r.logon_id) };
        Ok(())
    })())
}

/// `LogonUserW`: returns TRUE and a token, or FALSE with
/// `SspiGetLastError()` set (e.g. 1326 ERROR_LOGON_FAILURE).
#[no_mangle]
pub unsafe extern "C" fn SspiLogonUserW(
    lpszUsername: *const u16,
    lpszDomain: *const u16,
    lpszPassword: *const u16,
    dwLogonType: ULONG,
    dwLogonProvider: ULONG,
    phToken: *mut HANDLE,
) -> i32 {
    lsa_call(|| {
        // SAFETY: NUL-terminated UTF-16 strings per the API contract.
        let (u, d, p) = unsafe {
            (
                read_wide_z(lpszUsername),
                read_wide_z(lpszDomain),
                read_wide_z(lpszPassword),
            )
        };
        match (u, d, p) {
            (Ok(u), Ok(d), Ok(p)) => logon(
                u,
                d,
                p.map(zeroize::Zeroizing::new),
                dwLogonType,
                dwLogonProvider,
                phToken,
            ),
            _ => win32_result(Err(NtStatus::INVALID_PARAMETER)),
        }
    })
}

/// `LogonUserA` (UTF-8 strings).
#[no_mangle]
pub unsafe extern "C" fn SspiLogonUserA(
    lpszUsername: *const c_char,
    lpszDomain: *const c_char,
    lpszPassword: *const c_char,
    dwLogonType: ULONG,
    dwLogonProvider: ULONG,
    phToken: *mut HANDLE,
) -> i32 {
    lsa_call(|| {
        // SAFETY: NUL-terminated strings per the API contract.
        let (u, d, p) = unsafe {
            (
                read_ansi_z(lpszUsername.cast()),
                read_ansi_z(lpszDomain.cast()),
                read_ansi_z(lpszPassword.cast()),
            )
        };
        match (u, d, p) {
            (Ok(u), Ok(d), Ok(p)) => logon(
                u,
                d,
                p.map(zeroize::Zeroizing::new),
                dwLogonType,
                dwLogonProvider,
                phToken,
            ),
            _ => win32_result(Err(NtStatus::INVALID_PARAMETER)),
        }
    })
}

/// `ImpersonateLoggedOnUser`: the calling thread uses the token's logon
/// session for default credentials until `SspiRevertToSelf`.
#[no_mangle]
pub extern "C" fn SspiImpersonateLoggedOnUser(hToken: HANDLE) -> i32 {
    lsa_call(|| {
        win32_result((|| {
            let luid = token_luid(hToken).ok_or(NtStatus::INVALID_HANDLE)?;
            lsa()?.impersonate(luid)
        })())
    })
}

/// `RevertToSelf`.
#[no_mangle]
pub extern "C" fn SspiRevertToSelf() -> i32 {
    lsa_call(|| {
        revert_to_self();
        win32_result(Ok(()))
    })
}

/// `CloseHandle` for tokens: the logon session stays.
#[no_mangle]
pub extern "C" fn SspiCloseHandle(hObject: HANDLE) -> i32 {
    lsa_call(|| {
        let h = token_handle(hObject);
        win32_result(
            TOKENS
                .remove(&h)
                .map(|_| ())
                .map_err(|_| NtStatus::INVALID_HANDLE),
        )
    })
}

/// `GetLastError` of the `Sspi*` Win32-style calls on this thread.
#[no_mangle]
pub extern "C" fn SspiGetLastError() -> ULONG {
    LAST_ERROR.with(|e| e.get())
}

/// The logon session a token names (`GetTokenInformation(TokenStatistics)`'s
/// AuthenticationId).
#[no_mangle]
pub unsafe extern "C" fn SspiGetTokenLogonId(hToken: HANDLE, LogonId: *mut LUID) -> NTSTATUS {
    lsa_call(|| {
        let Some(luid) = token_luid(hToken) else {
            return NtStatus::INVALID_HANDLE.0;
        };
        if LogonId.is_null() {
            return NtStatus::INVALID_PARAMETER.0;
        }
        // SAFETY: checked non-NULL.
        unsafe { *LogonId = luid_out(luid) };
        NtStatus::SUCCESS.0
    })
}

/// Log a session off: it is removed from the store and its credentials
/// zeroized; every process of the user loses it.
#[no_mangle]
pub unsafe extern "C" fn SspiLogoffSession(LogonId: *mut LUID) -> NTSTATUS {
    lsa_call(|| {
        // SAFETY: a non-NULL LUID pointer is readable.
        let Some(id) = (unsafe { LogonId.as_ref() }) else {
            return NtStatus::INVALID_PARAMETER.0;
        };
        match lsa().and_then(|l| l.logoff(luid_in(id))) {
            Ok(()) => NtStatus::SUCCESS.0,
            Err(e) => e.0,
        }
    })
}
