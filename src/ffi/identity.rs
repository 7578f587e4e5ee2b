//! Decoding the `pAuthData` of AcquireCredentialsHandle (CONSTANTS.md §8.1):
//! `SEC_WINNT_AUTH_IDENTITY_EX{A,W}` (Version 0x200), the legacy
//! `SEC_WINNT_AUTH_IDENTITY_{A,W}`; the `Flags` field, not the entry point,
//! chooses the string width (BEHAVIOURS.md items 23, 30, 31).

use std::ffi::c_void;

use super::strings::{read_counted, read_counted_secret, Charset};
use super::types::{SEC_WINNT_AUTH_IDENTITY_EXW, SEC_WINNT_AUTH_IDENTITY_W};
use crate::sspi::consts::{
    SEC_WINNT_AUTH_IDENTITY_ANSI, SEC_WINNT_AUTH_IDENTITY_UNICODE, SEC_WINNT_AUTH_IDENTITY_VERSION,
    SEC_WINNT_AUTH_IDENTITY_VERSION_2,
};
use crate::sspi::{AuthIdentity, SecResult, SecStatus};

fn charset(flags: u32, entry: Charset) -> Charset {
    if flags & SEC_WINNT_AUTH_IDENTITY_UNICODE != 0 {
        Charset::Wide
    } else if flags & SEC_WINNT_AUTH_IDENTITY_ANSI != 0 {
        Charset::Ansi
    } else {
        entry
    }
}

struct Fields {
    user: (*const u8, u32),
    domain: (*const u8, u32),
    password: (*const u8, u32),
    package_list: (*const u8, u32),
    flags: u32,
}

/// Decode an identity structure. An EX structure whose `Length` is smaller
/// than the EX layout is `SEC_E_UNKNOWN_CREDENTIALS` (it is not read past
/// `Length`).
///
/// # Safety
/// `p` must point to one of the identity structures with valid strings.
pub unsafe fn decode_identity(p: *const c_void, entry: Charset) -> SecResult<AuthIdentity> {
    // SAFETY: every identity structure starts with a 32-bit field.
    let version = unsafe { (p as *const u32).read_unaligned() };
    let f = if version == SEC_WINNT_AUTH_IDENTITY_VERSION {
        // SAFETY: Version 0x200 announces the EX layout, whose second
        // 32-bit field is `Length`; the caller promises that many bytes.
        let length = unsafe { (p as *const u32).add(1).read_unaligned() };
        if (length as usize) < std::mem::size_of::<SEC_WINNT_AUTH_IDENTITY_EXW>() {
            return Err(SecStatus::UnknownCredentials);
        }
        // SAFETY: `Length` covers the whole EX structure (A and W agree).
        let ex = unsafe { &*(p as *const SEC_WINNT_AUTH_IDENTITY_EXW) };
        Fields {
            user: (ex.User.cast(), ex.UserLength),
            domain: (ex.Domain.cast(), ex.DomainLength),
            password: (ex.Password.cast(), ex.PasswordLength),
            package_list: (ex.PackageList.cast(), ex.PackageListLength),
            flags: ex.Flags,
        }
    } else if version == SEC_WINNT_AUTH_IDENTITY_VERSION_2 {
        // Packed opaque identities (EX2) are not supported yet.
        return Err(SecStatus::UnknownCredentials);
    } else {
        // SAFETY: otherwise the legacy layout (A and W agree).
        let id = unsafe { &*(p as *const SEC_WINNT_AUTH_IDENTITY_W) };
        Fields {
            user: (id.User.cast(), id.UserLength),
            domain: (id.Domain.cast(), id.DomainLength),
            password: (id.Password.cast(), id.PasswordLength),
            package_list: (std::ptr::null(), 0),
            flags: id.Flags,
        }
    };
    let cs = charset(f.flags, entry);
    // SAFETY: each pointer is valid for its length per the caller.
    unsafe {
        Ok(AuthIdentity {
            user: read_counted(f.user.0, f.user.1, cs)?,
            domain: read_counted(f.domain.0, f.domain.1, cs)?,
            password: read_counted_secret(f.password.0, f.password.1, cs)?,
            package_list: read_counted(f.package_list.0, f.package_list.1, cs)?,
        })
    }
}
