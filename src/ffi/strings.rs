//! UTF-16 (`SEC_WCHAR`) and UTF-8 (`SEC_CHAR`) strings across the boundary.

use std::ffi::CStr;

use super::alloc::alloc_block;
use crate::sspi::identity::{secret_from_utf16, secret_from_utf8};
use crate::sspi::SecStatus;
use zeroize::Zeroizing;

/// Which string width a call uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Charset {
    /// `SEC_WCHAR`, UTF-16.
    Wide,
    /// `SEC_CHAR`, UTF-8.
    Ansi,
}

/// Longest NUL-terminated string we read (in units).
const MAX_UNITS: usize = 1 << 16;

/// Read a NUL-terminated UTF-16 string; `None` for NULL.
///
/// # Safety
/// A non-NULL `p` must point to a NUL-terminated UTF-16 string.
pub unsafe fn read_wide_z(p: *const u16) -> Result<Option<String>, SecStatus> {
    if p.is_null() {
        return Ok(None);
    }
    let mut len = 0usize;
    // SAFETY: the caller guarantees NUL termination; bounded by MAX_UNITS.
    while unsafe { *p.add(len) } != 0 {
        len += 1;
        if len > MAX_UNITS {
            return Err(SecStatus::InvalidParameter);
        }
    }
    // SAFETY: `len` units were just read.
    let units = unsafe { std::slice::from_raw_parts(p, len) };
    String::from_utf16(units)
        .map(Some)
        .map_err(|_| SecStatus::InvalidParameter)
}

/// Read a NUL-terminated UTF-8 string; `None` for NULL.
///
/// # Safety
/// A non-NULL `p` must point to a NUL-terminated string.
pub unsafe fn read_ansi_z(p: *const u8) -> Result<Option<String>, SecStatus> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller guarantees NUL termination.
    let s = unsafe { CStr::from_ptr(p.cast()) };
    Ok(Some(String::from_utf8_lossy(s.to_bytes()).into_owned()))
}

/// Read a NUL-terminated string of either width.
///
/// # Safety
/// As [`read_wide_z`] / [`read_ansi_z`].
pub unsafe fn read_z(p: *const u8, cs: Charset) -> Result<Option<String>, SecStatus> {
    match cs {
        // SAFETY: forwarded contract.
        Charset::Wide => unsafe { read_wide_z(p.cast()) },
        // SAFETY: forwarded contract.
        Charset::Ansi => unsafe { read_ansi_z(p) },
    }
}

/// The `len` units at `p` (no terminator needed), as UTF-16 units or bytes
/// by `cs`, handed to `wide` or `ansi`; `None` for NULL.
///
/// # Safety
/// A non-NULL `p` must be valid for `len` units.
unsafe fn read_counted_with<T>(
    p: *const u8,
    len: u32,
    cs: Charset,
    wide: impl FnOnce(&[u16]) -> Option<T>,
    ansi: impl FnOnce(&[u8]) -> T,
) -> Result<Option<T>, SecStatus> {
    if p.is_null() {
        return Ok(None);
    }
    let len = len as usize;
    if len > MAX_UNITS {
        return Err(SecStatus::InvalidParameter);
    }
    match cs {
        Charset::Wide => {
            // SAFETY: valid for `len` u16 units per the caller.
            let units = unsafe { std::slice::from_raw_parts(p.cast::<u16>(), len) };
            wide(units).map(Some).ok_or(SecStatus::InvalidParameter)
        }
        Charset::Ansi => {
            // SAFETY: valid for `len` bytes per the caller.
            let bytes = unsafe { std::slice::from_raw_parts(p, len) };
            Ok(Some(ansi(bytes)))
        }
    }
}

/// Read `len` units (no terminator needed) of either width; `None` for NULL.
///
/// # Safety
/// A non-NULL `p` must be valid for `len` units.
pub unsafe fn read_counted(
    p: *const u8,
    len: u32,
    cs: Charset,
) -> Result<Option<String>, SecStatus> {
    // SAFETY: forwarded contract.
    unsafe {
        read_counted_with(
            p,
            len,
            cs,
            |units| String::from_utf16(units).ok(),
            |bytes| String::from_utf8_lossy(bytes).into_owned(),
        )
    }
}

/// As [`read_counted`], for a secret: decoded straight into a zeroizing
/// string of its final size (no reallocation leaves a copy behind).
///
/// # Safety
/// A non-NULL `p` must be valid for `len` units.
pub unsafe fn read_counted_secret(
    p: *const u8,
    len: u32,
    cs: Charset,
) -> Result<Option<Zeroizing<String>>, SecStatus> {
    // SAFETY: forwarded contract.
    unsafe {
        read_counted_with(
            p,
            len,
            cs,
            |units| secret_from_utf16(units.iter().copied()),
            secret_from_utf8,
        )
    }
}

/// Encoded size in bytes of `s` with its terminator.
pub fn encoded_len(s: &str, cs: Charset) -> usize {
    match cs {
        Charset::Wide => (s.encode_utf16().count() + 1) * 2,
        Charset::Ansi => s.len() + 1,
    }
}

/// Write `s` with a terminator at `dst` (which has `encoded_len` bytes).
///
/// # Safety
/// `dst` must be valid for `encoded_len(s, cs)` bytes.
pub unsafe fn write_z(dst: *mut u8, s: &str, cs: Charset) {
    match cs {
        Charset::Wide => {
            for (i, u) in s.encode_utf16().chain(std::iter::once(0)).enumerate() {
                // SAFETY: in bounds per the caller; unaligned-safe write.
                unsafe { dst.add(i * 2).cast::<u16>().write_unaligned(u) };
            }
        }
        Charset::Ansi => {
            // SAFETY: in bounds per the caller.
            unsafe {
                std::ptr::copy_nonoverlapping(s.as_ptr(), dst, s.len());
                *dst.add(s.len()) = 0;
            }
        }
    }
}

/// A caller-freed (`FreeContextBuffer`) copy of `s`.
pub fn alloc_string(s: &str, cs: Charset) -> Result<*mut u8, SecStatus> {
    let p = alloc_block(encoded_len(s, cs))?;
    // SAFETY: `p` has exactly `encoded_len` bytes.
    unsafe { write_z(p, s, cs) };
    Ok(p)
}
