//! `SecurityFunctionTableW/A` and `InitSecurityInterfaceW/A`, in the SDK's
//! field order (CONSTANTS.md §11).
//!
//! `dwVersion` is 1 (`SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION`), as
//! Windows' secur32 reports (BEHAVIOURS.md item 2), yet every slot after
//! `DecryptMessage` is filled too, because callers such as FreeRDP use them
//! without checking the version. `Reserved3`/`Reserved4` equal
//! `EncryptMessage`/`DecryptMessage` as on Windows; `Reserved2` and
//! `Reserved8` are NULL.
#![allow(non_snake_case, non_camel_case_types)]

use std::ffi::c_void;

use super::attributes::*;
use super::context::*;
use super::credentials::*;
use super::messages::*;
use super::misc::*;
use super::pkginfo::*;
use super::types::*;
use crate::sspi::consts::SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION;

pub type ENUMERATE_SECURITY_PACKAGES_FN_W =
    Option<unsafe extern "C" fn(*mut ULONG, *mut *mut SecPkgInfoW) -> SECURITY_STATUS>;
pub type ENUMERATE_SECURITY_PACKAGES_FN_A =
    Option<unsafe extern "C" fn(*mut ULONG, *mut *mut SecPkgInfoA) -> SECURITY_STATUS>;
pub type QUERY_CREDENTIALS_ATTRIBUTES_FN =
    Option<unsafe extern "C" fn(*mut CredHandle, ULONG, *mut c_void) -> SECURITY_STATUS>;
pub type ACQUIRE_CREDENTIALS_HANDLE_FN_W = Option<
    unsafe extern "C" fn(
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        ULONG,
        *mut c_void,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        *mut CredHandle,
        *mut TimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type ACQUIRE_CREDENTIALS_HANDLE_FN_A = Option<
    unsafe extern "C" fn(
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        ULONG,
        *mut c_void,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        *mut CredHandle,
        *mut TimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type FREE_CREDENTIALS_HANDLE_FN =
    Option<unsafe extern "C" fn(*mut CredHandle) -> SECURITY_STATUS>;
pub type INITIALIZE_SECURITY_CONTEXT_FN_W = Option<
    unsafe extern "C" fn(
        *mut CredHandle,
        *mut CtxtHandle,
        *mut SEC_WCHAR,
        ULONG,
        ULONG,
        ULONG,
        *mut SecBufferDesc,
        ULONG,
        *mut CtxtHandle,
        *mut SecBufferDesc,
        *mut ULONG,
        *mut TimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type INITIALIZE_SECURITY_CONTEXT_FN_A = Option<
    unsafe extern "C" fn(
        *mut CredHandle,
        *mut CtxtHandle,
        *mut SEC_CHAR,
        ULONG,
        ULONG,
        ULONG,
        *mut SecBufferDesc,
        ULONG,
        *mut CtxtHandle,
        *mut SecBufferDesc,
        *mut ULONG,
        *mut TimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type ACCEPT_SECURITY_CONTEXT_FN = Option<
    unsafe extern "C" fn(
        *mut CredHandle,
        *mut CtxtHandle,
        *mut SecBufferDesc,
        ULONG,
        ULONG,
        *mut CtxtHandle,
        *mut SecBufferDesc,
        *mut ULONG,
        *mut TimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type COMPLETE_AUTH_TOKEN_FN =
    Option<unsafe extern "C" fn(*mut CtxtHandle, *mut SecBufferDesc) -> SECURITY_STATUS>;
pub type DELETE_SECURITY_CONTEXT_FN =
    Option<unsafe extern "C" fn(*mut CtxtHandle) -> SECURITY_STATUS>;
pub type APPLY_CONTROL_TOKEN_FN =
    Option<unsafe extern "C" fn(*mut CtxtHandle, *mut SecBufferDesc) -> SECURITY_STATUS>;
pub type QUERY_CONTEXT_ATTRIBUTES_FN =
    Option<unsafe extern "C" fn(*mut CtxtHandle, ULONG, *mut c_void) -> SECURITY_STATUS>;
pub type IMPERSONATE_SECURITY_CONTEXT_FN =
    Option<unsafe extern "C" fn(*mut CtxtHandle) -> SECURITY_STATUS>;
pub type REVERT_SECURITY_CONTEXT_FN =
    Option<unsafe extern "C" fn(*mut CtxtHandle) -> SECURITY_STATUS>;
pub type MAKE_SIGNATURE_FN = Option<
    unsafe extern "C" fn(*mut CtxtHandle, ULONG, *mut SecBufferDesc, ULONG) -> SECURITY_STATUS,
>;
pub type VERIFY_SIGNATURE_FN = Option<
    unsafe extern "C" fn(*mut CtxtHandle, *mut SecBufferDesc, ULONG, *mut ULONG) -> SECURITY_STATUS,
>;
pub type FREE_CONTEXT_BUFFER_FN = Option<unsafe extern "C" fn(*mut c_void) -> SECURITY_STATUS>;
pub type QUERY_SECURITY_PACKAGE_INFO_FN_W =
    Option<unsafe extern "C" fn(*mut SEC_WCHAR, *mut *mut SecPkgInfoW) -> SECURITY_STATUS>;
pub type QUERY_SECURITY_PACKAGE_INFO_FN_A =
    Option<unsafe extern "C" fn(*mut SEC_CHAR, *mut *mut SecPkgInfoA) -> SECURITY_STATUS>;
pub type EXPORT_SECURITY_CONTEXT_FN = Option<
    unsafe extern "C" fn(
        *mut CtxtHandle,
        ULONG,
        *mut SecBuffer,
        *mut *mut c_void,
    ) -> SECURITY_STATUS,
>;
pub type IMPORT_SECURITY_CONTEXT_FN_W = Option<
    unsafe extern "C" fn(
        *mut SEC_WCHAR,
        *mut SecBuffer,
        *mut c_void,
        *mut CtxtHandle,
    ) -> SECURITY_STATUS,
>;
pub type IMPORT_SECURITY_CONTEXT_FN_A = Option<
    unsafe extern "C" fn(
        *mut SEC_CHAR,
        *mut SecBuffer,
        *mut c_void,
        *mut CtxtHandle,
    ) -> SECURITY_STATUS,
>;
pub type ADD_CREDENTIALS_FN_W = Option<
    unsafe extern "C" fn(
        *mut CredHandle,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        ULONG,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        *mut TimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type ADD_CREDENTIALS_FN_A = Option<
    unsafe extern "C" fn(
        *mut CredHandle,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        ULONG,
        *mut c_void,
        SEC_GET_KEY_FN,
        *mut c_void,
        *mut TimeStamp,
    ) -> SECURITY_STATUS,
>;
pub type QUERY_SECURITY_CONTEXT_TOKEN_FN =
    Option<unsafe extern "C" fn(*mut CtxtHandle, *mut HANDLE) -> SECURITY_STATUS>;
pub type ENCRYPT_MESSAGE_FN = Option<
    unsafe extern "C" fn(*mut CtxtHandle, ULONG, *mut SecBufferDesc, ULONG) -> SECURITY_STATUS,
>;
pub type DECRYPT_MESSAGE_FN = Option<
    unsafe extern "C" fn(*mut CtxtHandle, *mut SecBufferDesc, ULONG, *mut ULONG) -> SECURITY_STATUS,
>;
pub type SET_CONTEXT_ATTRIBUTES_FN =
    Option<unsafe extern "C" fn(*mut CtxtHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type SET_CREDENTIALS_ATTRIBUTES_FN =
    Option<unsafe extern "C" fn(*mut CredHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type CHANGE_PASSWORD_FN_W = Option<
    unsafe extern "C" fn(
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        *mut SEC_WCHAR,
        BOOLEAN,
        ULONG,
        *mut SecBufferDesc,
    ) -> SECURITY_STATUS,
>;
pub type CHANGE_PASSWORD_FN_A = Option<
    unsafe extern "C" fn(
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        *mut SEC_CHAR,
        BOOLEAN,
        ULONG,
        *mut SecBufferDesc,
    ) -> SECURITY_STATUS,
>;
pub type QUERY_CONTEXT_ATTRIBUTES_EX_FN =
    Option<unsafe extern "C" fn(*mut CtxtHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;
pub type QUERY_CREDENTIALS_ATTRIBUTES_EX_FN =
    Option<unsafe extern "C" fn(*mut CredHandle, ULONG, *mut c_void, ULONG) -> SECURITY_STATUS>;

/// `SecurityFunctionTableW` (256 bytes on x86-64).
#[repr(C)]
pub struct SecurityFunctionTableW {
    pub dwVersion: ULONG,
    pub EnumerateSecurityPackagesW: ENUMERATE_SECURITY_PACKAGES_FN_W,
    pub QueryCredentialsAttributesW: QUERY_CREDENTIALS_ATTRIBUTES_FN,
    pub AcquireCredentialsHandleW: ACQUIRE_CREDENTIALS_HANDLE_FN_W,
    pub FreeCredentialsHandle: FREE_CREDENTIALS_HANDLE_FN,
    pub Reserved2: *mut c_void,
    pub InitializeSecurityContextW: INITIALIZE_SECURITY_CONTEXT_FN_W,
    pub AcceptSecurityContext: ACCEPT_SECURITY_CONTEXT_FN,
    pub CompleteAuthToken: COMPLETE_AUTH_TOKEN_FN,
    pub DeleteSecurityContext: DELETE_SECURITY_CONTEXT_FN,
    pub ApplyControlToken: APPLY_CONTROL_TOKEN_FN,
    pub QueryContextAttributesW: QUERY_CONTEXT_ATTRIBUTES_FN,
    pub ImpersonateSecurityContext: IMPERSONATE_SECURITY_CONTEXT_FN,
    pub RevertSecurityContext: REVERT_SECURITY_CONTEXT_FN,
    pub MakeSignature: MAKE_SIGNATURE_FN,
    pub VerifySignature: VERIFY_SIGNATURE_FN,
    pub FreeContextBuffer: FREE_CONTEXT_BUFFER_FN,
    pub QuerySecurityPackageInfoW: QUERY_SECURITY_PACKAGE_INFO_FN_W,
    pub Reserved3: ENCRYPT_MESSAGE_FN,
    pub Reserved4: DECRYPT_MESSAGE_FN,
    pub ExportSecurityContext: EXPORT_SECURITY_CONTEXT_FN,
    pub ImportSecurityContextW: IMPORT_SECURITY_CONTEXT_FN_W,
    pub AddCredentialsW: ADD_CREDENTIALS_FN_W,
    pub Reserved8: *mut c_void,
    pub QuerySecurityContextToken: QUERY_SECURITY_CONTEXT_TOKEN_FN,
    pub EncryptMessage: ENCRYPT_MESSAGE_FN,
    pub DecryptMessage: DECRYPT_MESSAGE_FN,
    pub SetContextAttributesW: SET_CONTEXT_ATTRIBUTES_FN,
    pub SetCredentialsAttributesW: SET_CREDENTIALS_ATTRIBUTES_FN,
    pub ChangeAccountPasswordW: CHANGE_PASSWORD_FN_W,
    pub QueryContextAttributesExW: QUERY_CONTEXT_ATTRIBUTES_EX_FN,
    pub QueryCredentialsAttributesExW: QUERY_CREDENTIALS_ATTRIBUTES_EX_FN,
}

/// `SecurityFunctionTableA` (same layout, UTF-8 strings).
#[repr(C)]
pub struct SecurityFunctionTableA {
    pub dwVersion: ULONG,
    pub EnumerateSecurityPackagesA: ENUMERATE_SECURITY_PACKAGES_FN_A,
    pub QueryCredentialsAttributesA: QUERY_CREDENTIALS_ATTRIBUTES_FN,
    pub AcquireCredentialsHandleA: ACQUIRE_CREDENTIALS_HANDLE_FN_A,
    /// Spelled as in the SDK's A table (the W table has `FreeCredentialsHandle`).
    pub FreeCredentialHandle: FREE_CREDENTIALS_HANDLE_FN,
    pub Reserved2: *mut c_void,
    pub InitializeSecurityContextA: INITIALIZE_SECURITY_CONTEXT_FN_A,
    pub AcceptSecurityContext: ACCEPT_SECURITY_CONTEXT_FN,
    pub CompleteAuthToken: COMPLETE_AUTH_TOKEN_FN,
    pub DeleteSecurityContext: DELETE_SECURITY_CONTEXT_FN,
    pub ApplyControlToken: APPLY_CONTROL_TOKEN_FN,
    pub QueryContextAttributesA: QUERY_CONTEXT_ATTRIBUTES_FN,
    pub ImpersonateSecurityContext: IMPERSONATE_SECURITY_CONTEXT_FN,
    pub RevertSecurityContext: REVERT_SECURITY_CONTEXT_FN,
    pub MakeSignature: MAKE_SIGNATURE_FN,
    pub VerifySignature: VERIFY_SIGNATURE_FN,
    pub FreeContextBuffer: FREE_CONTEXT_BUFFER_FN,
    pub QuerySecurityPackageInfoA: QUERY_SECURITY_PACKAGE_INFO_FN_A,
    pub Reserved3: ENCRYPT_MESSAGE_FN,
    pub Reserved4: DECRYPT_MESSAGE_FN,
    pub ExportSecurityContext: EXPORT_SECURITY_CONTEXT_FN,
    pub ImportSecurityContextA: IMPORT_SECURITY_CONTEXT_FN_A,
    pub AddCredentialsA: ADD_CREDENTIALS_FN_A,
    pub Reserved8: *mut c_void,
    pub QuerySecurityContextToken: QUERY_SECURITY_CONTEXT_TOKEN_FN,
    pub EncryptMessage: ENCRYPT_MESSAGE_FN,
    pub DecryptMessage: DECRYPT_MESSAGE_FN,
    pub SetContextAttributesA: SET_CONTEXT_ATTRIBUTES_FN,
    pub SetCredentialsAttributesA: SET_CREDENTIALS_ATTRIBUTES_FN,
    pub ChangeAccountPasswordA: CHANGE_PASSWORD_FN_A,
    pub QueryContextAttributesExA: QUERY_CONTEXT_ATTRIBUTES_EX_FN,
    pub QueryCredentialsAttributesExA: QUERY_CREDENTIALS_ATTRIBUTES_EX_FN,
}

// SAFETY: the tables are immutable and hold only function pointers and NULLs.
unsafe impl Sync for SecurityFunctionTableW {}
// SAFETY: as above.
unsafe impl Sync for SecurityFunctionTableA {}

static TABLE_W: SecurityFunctionTableW = SecurityFunctionTableW {
    dwVersion: SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION,
    EnumerateSecurityPackagesW: Some(EnumerateSecurityPackagesW),
    QueryCredentialsAttributesW: Some(QueryCredentialsAttributesW),
    AcquireCredentialsHandleW: Some(AcquireCredentialsHandleW),
    FreeCredentialsHandle: Some(FreeCredentialsHandle),
    Reserved2: std::ptr::null_mut(),
    InitializeSecurityContextW: Some(InitializeSecurityContextW),
    AcceptSecurityContext: Some(AcceptSecurityContext),
    CompleteAuthToken: Some(CompleteAuthToken),
    DeleteSecurityContext: Some(DeleteSecurityContext),
    ApplyControlToken: Some(ApplyControlToken),
    QueryContextAttributesW: Some(QueryContextAttributesW),
    ImpersonateSecurityContext: Some(ImpersonateSecurityContext),
    RevertSecurityContext: Some(RevertSecurityContext),
    MakeSignature: Some(MakeSignature),
    VerifySignature: Some(VerifySignature),
    FreeContextBuffer: Some(FreeContextBuffer),
    QuerySecurityPackageInfoW: Some(QuerySecurityPackageInfoW),
    Reserved3: Some(EncryptMessage),
    Reserved4: Some(DecryptMessage),
    ExportSecurityContext: Some(ExportSecurityContext),
    ImportSecurityContextW: Some(ImportSecurityContextW),
    AddCredentialsW: Some(AddCredentialsW),
    Reserved8: std::ptr::null_mut(),
    QuerySecurityContextToken: Some(QuerySecurityContextToken),
    EncryptMessage: Some(EncryptMessage),
    DecryptMessage: Some(DecryptMessage),
    SetContextAttributesW: Some(SetContextAttributesW),
    SetCredentialsAttributesW: Some(SetCredentialsAttributesW),
    ChangeAccountPasswordW: Some(ChangeAccountPasswordW),
    QueryContextAttributesExW: Some(QueryContextAttributesExW),
    QueryCredentialsAttributesExW: Some(QueryCredentialsAttributesExW),
};

static TABLE_A: SecurityFunctionTableA = SecurityFunctionTableA {
    dwVersion: SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION,
    EnumerateSecurityPackagesA: Some(EnumerateSecurityPackagesA),
    QueryCredentialsAttributesA: Some(QueryCredentialsAttributesA),
    AcquireCredentialsHandleA: Some(AcquireCredentialsHandleA),
    FreeCredentialHandle: Some(FreeCredentialsHandle),
    Reserved2: std::ptr::null_mut(),
    InitializeSecurityContextA: Some(InitializeSecurityContextA),
    AcceptSecurityContext: Some(AcceptSecurityContext),
    CompleteAuthToken: Some(CompleteAuthToken),
    DeleteSecurityContext: Some(DeleteSecurityContext),
    ApplyControlToken: Some(ApplyControlToken),
    QueryContextAttributesA: Some(QueryContextAttributesA),
    ImpersonateSecurityContext: Some(ImpersonateSecurityContext),
    RevertSecurityContext: Some(RevertSecurityContext),
    MakeSignature: Some(MakeSignature),
    VerifySignature: Some(VerifySignature),
    FreeContextBuffer: Some(FreeContextBuffer),
    QuerySecurityPackageInfoA: Some(QuerySecurityPackageInfoA),
    Reserved3: Some(EncryptMessage),
    Reserved4: Some(DecryptMessage),
    ExportSecurityContext: Some(ExportSecurityContext),
    ImportSecurityContextA: Some(ImportSecurityContextA),
    AddCredentialsA: Some(AddCredentialsA),
    Reserved8: std::ptr::null_mut(),
    QuerySecurityContextToken: Some(QuerySecurityContextToken),
    EncryptMessage: Some(EncryptMessage),
    DecryptMessage: Some(DecryptMessage),
    SetContextAttributesA: Some(SetContextAttributesA),
    SetCredentialsAttributesA: Some(SetCredentialsAttributesA),
    ChangeAccountPasswordA: Some(ChangeAccountPasswordA),
    QueryContextAttributesExA: Some(QueryContextAttributesExA),
    QueryCredentialsAttributesExA: Some(QueryCredentialsAttributesExA),
};

/// `InitSecurityInterfaceW`: the static W table (never NULL).
#[no_mangle]
pub extern "C" fn InitSecurityInterfaceW() -> *mut SecurityFunctionTableW {
    // The SDK returns a non-const pointer; the table itself is read-only.
    &TABLE_W as *const SecurityFunctionTableW as *mut SecurityFunctionTableW
}

/// `InitSecurityInterfaceA`: the static A table (never NULL).
#[no_mangle]
pub extern "C" fn InitSecurityInterfaceA() -> *mut SecurityFunctionTableA {
    &TABLE_A as *const SecurityFunctionTableA as *mut SecurityFunctionTableA
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_sdk() {
        assert_eq!(std::mem::size_of::<SecurityFunctionTableW>(), 256);
        assert_eq!(std::mem::size_of::<SecurityFunctionTableA>(), 256);
        assert_eq!(std::mem::offset_of!(SecurityFunctionTableW, Reserved3), 144);
        assert_eq!(
            std::mem::offset_of!(SecurityFunctionTableW, EncryptMessage),
            200
        );
        assert_eq!(
            std::mem::offset_of!(SecurityFunctionTableW, QueryCredentialsAttributesExW),
            248
        );
        assert_eq!(std::mem::size_of::<SecPkgInfoW>(), 32);
        assert_eq!(std::mem::size_of::<SEC_WINNT_AUTH_IDENTITY_W>(), 48);
        assert_eq!(std::mem::size_of::<SEC_WINNT_AUTH_IDENTITY_EXW>(), 72);
        assert_eq!(std::mem::size_of::<SEC_WINNT_AUTH_IDENTITY_EX2>(), 48);
        assert_eq!(std::mem::size_of::<SecPkgContext_KeyInfoW>(), 32);
        assert_eq!(std::mem::size_of::<SecPkgContext_NegotiationInfoW>(), 16);
    }
}
