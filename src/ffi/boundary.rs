//! The one boundary every export goes through: a panic never unwinds into
//! C, it becomes `SEC_E_INTERNAL_ERROR` (or `STATUS_INTERNAL_ERROR`).

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::sspi::{SecStatus, Step};

/// What an SSPI export's body returns.
pub type FfiResult = Result<Step, SecStatus>;

/// Run `body`, mapping its outcome and any panic to a `SECURITY_STATUS`.
pub fn sspi_call(body: impl FnOnce() -> FfiResult) -> i32 {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(step)) => step.code(),
        Ok(Err(e)) => e.code(),
        Err(_) => SecStatus::InternalError.code(),
    }
}

/// Run an LSA export's body: `NTSTATUS` in, `NTSTATUS` out.
pub fn lsa_call(body: impl FnOnce() -> i32) -> i32 {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(STATUS_INTERNAL_ERROR)
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
