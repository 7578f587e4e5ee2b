//! The one boundary every export goes through: a panic never unwinds into
//! C, it becomes `SEC_E_INTERNAL_ERROR` (or `STATUS_INTERNAL_ERROR`).

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::lsa::status::NtStatus;
use crate::sspi::{SecStatus, Step};
use crate::trace;

/// What an SSPI export's body returns.
pub type FfiResult = Result<Step, SecStatus>;

/// Run `body`, mapping its outcome and any panic to a `SECURITY_STATUS`.
/// With `OPENSSPI_TRACE`, logs the export's name (that of the function
/// defining `body`) and the status it returns.
pub fn sspi_call<F: FnOnce() -> FfiResult>(body: F) -> i32 {
    trace::scope(|| {
        let r = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
            tracing::error!(target: "opensspi::call", "{} panicked", trace::export_name::<F>());
            Err(SecStatus::InternalError)
        });
        let code = match r {
            Ok(step) => step.code(),
            Err(e) => e.code(),
        };
        tracing::debug!(
            target: "opensspi::call",
            "{} -> {} (0x{code:08X})",
            trace::export_name::<F>(),
            match r {
                Ok(step) => step.name().to_string(),
                Err(e) => e.to_string(),
            }
        );
        code
    })
}

/// Run an LSA export's body: `NTSTATUS` in, `NTSTATUS` out (traced as
/// [`sspi_call`]).
pub fn lsa_call<F: FnOnce() -> i32>(body: F) -> i32 {
    trace::scope(|| {
        let code = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
            tracing::error!(target: "opensspi::call", "{} panicked", trace::export_name::<F>());
            STATUS_INTERNAL_ERROR
        });
        tracing::debug!(target: "opensspi::call", "{} -> {}", trace::export_name::<F>(), NtStatus(code));
        code
    })
}

pub(crate) const STATUS_INTERNAL_ERROR: i32 = 0xC000_00E5u32 as i32;

/// Turn a possibly-NULL pointer into a reference, or fail with `err`.
///
/// # Safety
/// A non-NULL `p` must point to a valid, aligned `T` for the duration of the
/// call (the caller's contract in the SSPI API).
pub unsafe fn ref_or<'a, T>(p: *const T, err: SecStatus) -> Result<&'a T, SecStatus> {
    // SAFETY: the caller guarantees a non-NULL pointer is valid.
    unsafe { p.as_ref() }.ok_or(err)
}

/// Mutable version of [`ref_or`].
///
/// # Safety
/// As [`ref_or`], and the memory must be writable and not aliased.
pub unsafe fn mut_or<'a, T>(p: *mut T, err: SecStatus) -> Result<&'a mut T, SecStatus> {
    // SAFETY: the caller guarantees a non-NULL pointer is valid and unaliased.
    unsafe { p.as_mut() }.ok_or(err)
}

/// Write `v` through `p` when it is not NULL.
///
/// # Safety
/// A non-NULL `p` must be valid for writes of `T`.
pub unsafe fn write_opt<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: checked non-NULL; validity is the caller's contract.
        unsafe { p.write_unaligned(v) };
    }
}
