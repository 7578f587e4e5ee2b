//! EnumerateSecurityPackages and QuerySecurityPackageInfo: `SecPkgInfo`
//! arrays as single `FreeContextBuffer` blocks (BEHAVIOURS.md items 6-17).
#![allow(non_snake_case)]

use std::mem::size_of;

use super::alloc::alloc_block;
use super::boundary::{sspi_call, FfiResult};
use super::strings::{encoded_len, read_z, write_z, Charset};
use super::types::{SecPkgInfoA, SecPkgInfoW, SECURITY_STATUS, SEC_CHAR, SEC_WCHAR, ULONG};
use crate::sspi::registry::{find_package, packages};
use crate::sspi::{PackageInfo, SecStatus, Step};

/// One block: the `SecPkgInfo` array, then every Name and Comment.
/// `SecPkgInfoA` and `SecPkgInfoW` share a layout; strings differ in width.
pub fn alloc_package_infos(
    infos: &[&PackageInfo],
    cs: Charset,
) -> Result<*mut SecPkgInfoW, SecStatus> {
    let head = size_of::<SecPkgInfoW>() * infos.len();
    let total = head
        + infos
            .iter()
            .map(|i| encoded_len(i.name, cs) + encoded_len(i.comment, cs))
            .sum::<usize>();
    let block = alloc_block(total)?;
    let array = block as *mut SecPkgInfoW;
    let mut strings = head;
    for (n, info) in infos.iter().enumerate() {
        let name_at = strings;
        strings += encoded_len(info.name, cs);
        let comment_at = strings;
        strings += encoded_len(info.comment, cs);
        // SAFETY: `block` holds `total` bytes: the array then the strings at
        // the offsets computed above; calloc'd memory is suitably aligned.
        unsafe {
            write_z(block.add(name_at), info.name, cs);
            write_z(block.add(comment_at), info.comment, cs);
            array.add(n).write(SecPkgInfoW {
                fCapabilities: info.capabilities,
                wVersion: info.version,
                wRPCID: info.rpc_id,
                cbMaxToken: info.max_token,
                Name: block.add(name_at).cast(),
                Comment: block.add(comment_at).cast(),
            });
        }
    }
    Ok(array)
}

unsafe fn enumerate(pc: *mut ULONG, pp: *mut *mut SecPkgInfoW, cs: Charset) -> FfiResult {
    if pc.is_null() || pp.is_null() {
        return Err(SecStatus::InvalidParameter);
    }
    let infos: Vec<&PackageInfo> = packages().iter().map(|p| p.info()).collect();
    let array = alloc_package_infos(&infos, cs)?;
    // SAFETY: both checked non-NULL; the caller provides writable outputs.
    unsafe {
        *pc = infos.len() as ULONG;
        *pp = array;
    }
    Ok(Step::Complete)
}

unsafe fn query(name: *const u8, pp: *mut *mut SecPkgInfoW, cs: Charset) -> FfiResult {
    // SAFETY: the name is a NUL-terminated string of the call's width.
    let name = unsafe { read_z(name, cs)? }.ok_or(SecStatus::SecpkgNotFound)?;
    let pkg = find_package(&name)?;
    if pp.is_null() {
        return Err(SecStatus::InvalidParameter);
    }
    let info = alloc_package_infos(&[pkg.info()], cs)?;
    // SAFETY: checked non-NULL.
    unsafe { *pp = info };
    Ok(Step::Complete)
}

/// `EnumerateSecurityPackagesW`.
#[no_mangle]
pub unsafe extern "C" fn EnumerateSecurityPackagesW(
    pcPackages: *mut ULONG,
    ppPackageInfo: *mut *mut SecPkgInfoW,
) -> SECURITY_STATUS {
    // SAFETY: pointers are checked inside.
    sspi_call(|| unsafe { enumerate(pcPackages, ppPackageInfo, Charset::Wide) })
}

/// `EnumerateSecurityPackagesA`.
#[no_mangle]
pub unsafe extern "C" fn EnumerateSecurityPackagesA(
    pcPackages: *mut ULONG,
    ppPackageInfo: *mut *mut SecPkgInfoA,
) -> SECURITY_STATUS {
    // SAFETY: pointers are checked inside; the A array has the W layout.
    sspi_call(|| unsafe { enumerate(pcPackages, ppPackageInfo.cast(), Charset::Ansi) })
}

/// `QuerySecurityPackageInfoW`.
#[no_mangle]
pub unsafe extern "C" fn QuerySecurityPackageInfoW(
    pszPackageName: *mut SEC_WCHAR,
    ppPackageInfo: *mut *mut SecPkgInfoW,
) -> SECURITY_STATUS {
    // SAFETY: pointers are checked inside.
    sspi_call(|| unsafe { query(pszPackageName.cast(), ppPackageInfo, Charset::Wide) })
}

/// `QuerySecurityPackageInfoA`.
#[no_mangle]
pub unsafe extern "C" fn QuerySecurityPackageInfoA(
    pszPackageName: *mut SEC_CHAR,
    ppPackageInfo: *mut *mut SecPkgInfoA,
) -> SECURITY_STATUS {
    // SAFETY: pointers are checked inside.
    sspi_call(|| unsafe { query(pszPackageName.cast(), ppPackageInfo.cast(), Charset::Ansi) })
}
