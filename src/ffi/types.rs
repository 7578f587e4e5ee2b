//! `#[repr(C)]` structures of sspi.h with their Windows x64 layouts
//! (CONSTANTS.md §10). Base typedefs (`ULONG`, `TimeStamp`, ...) are written
//! by hand in `prelude.h`; the aliases here only give Rust the same names.
#![allow(non_snake_case, non_camel_case_types)]

use std::ffi::{c_char, c_void};

pub type SECURITY_STATUS = i32;
pub type NTSTATUS = i32;
pub type ULONG = u32;
pub type USHORT = u16;
pub type BOOLEAN = u8;
pub type SEC_WCHAR = u16;
pub type SEC_CHAR = c_char;
pub type HANDLE = *mut c_void;
/// `TimeStamp` / `LARGE_INTEGER`: FILETIME units, 8 bytes, align 8.
pub type TimeStamp = i64;

/// `SecHandle` = `CredHandle` = `CtxtHandle`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecHandle {
    pub dwLower: usize,
    pub dwUpper: usize,
}
pub type CredHandle = SecHandle;
pub type CtxtHandle = SecHandle;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SecBuffer {
    pub cbBuffer: ULONG,
    pub BufferType: ULONG,
    pub pvBuffer: *mut c_void,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SecBufferDesc {
    pub ulVersion: ULONG,
    pub cBuffers: ULONG,
    pub pBuffers: *mut SecBuffer,
}

#[repr(C)]
pub struct SecPkgInfoW {
    pub fCapabilities: ULONG,
    pub wVersion: USHORT,
    pub wRPCID: USHORT,
    pub cbMaxToken: ULONG,
    pub Name: *mut SEC_WCHAR,
    pub Comment: *mut SEC_WCHAR,
}

#[repr(C)]
pub struct SecPkgInfoA {
    pub fCapabilities: ULONG,
    pub wVersion: USHORT,
    pub wRPCID: USHORT,
    pub cbMaxToken: ULONG,
    pub Name: *mut SEC_CHAR,
    pub Comment: *mut SEC_CHAR,
}

/// `SEC_WINNT_AUTH_IDENTITY_W` (48 bytes); lengths in characters.
#[repr(C)]
pub struct SEC_WINNT_AUTH_IDENTITY_W {
    pub User: *mut u16,
    pub UserLength: ULONG,
    pub Domain: *mut u16,
    pub DomainLength: ULONG,
    pub Password: *mut u16,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
}

#[repr(C)]
pub struct SEC_WINNT_AUTH_IDENTITY_A {
    pub User: *mut u8,
    pub UserLength: ULONG,
    pub Domain: *mut u8,
    pub DomainLength: ULONG,
    pub Password: *mut u8,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
}

/// `SEC_WINNT_AUTH_IDENTITY_EXW` (72 bytes, `Version` = 0x200).
#[repr(C)]
pub struct SEC_WINNT_AUTH_IDENTITY_EXW {
    pub Version: ULONG,
    pub Length: ULONG,
    pub User: *mut u16,
    pub UserLength: ULONG,
    pub Domain: *mut u16,
    pub DomainLength: ULONG,
    pub Password: *mut u16,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
    pub PackageList: *mut u16,
    pub PackageListLength: ULONG,
}

#[repr(C)]
pub struct SEC_WINNT_AUTH_IDENTITY_EXA {
    pub Version: ULONG,
    pub Length: ULONG,
    pub User: *mut u8,
    pub UserLength: ULONG,
    pub Domain: *mut u8,
    pub DomainLength: ULONG,
    pub Password: *mut u8,
    pub PasswordLength: ULONG,
    pub Flags: ULONG,
    pub PackageList: *mut u8,
    pub PackageListLength: ULONG,
}

/// `SEC_WINNT_AUTH_IDENTITY_EX2` header (packed identity, `Version` 0x201).
#[repr(C)]
pub struct SEC_WINNT_AUTH_IDENTITY_EX2 {
    pub Version: ULONG,
    pub cbHeaderLength: USHORT,
    pub cbStructureLength: ULONG,
    pub UserOffset: ULONG,
    pub UserLength: USHORT,
    pub DomainOffset: ULONG,
    pub DomainLength: USHORT,
    pub PackedCredentialsOffset: ULONG,
    pub PackedCredentialsLength: USHORT,
    pub Flags: ULONG,
    pub PackageListOffset: ULONG,
    pub PackageListLength: USHORT,
}

/// `SEC_CHANNEL_BINDINGS` (32-byte header; data follows at the offsets).
#[repr(C)]
pub struct SEC_CHANNEL_BINDINGS {
    pub dwInitiatorAddrType: ULONG,
    pub cbInitiatorLength: ULONG,
    pub dwInitiatorOffset: ULONG,
    pub dwAcceptorAddrType: ULONG,
    pub cbAcceptorLength: ULONG,
    pub dwAcceptorOffset: ULONG,
    pub cbApplicationDataLength: ULONG,
    pub dwApplicationDataOffset: ULONG,
}

#[repr(C)]
pub struct SecPkgContext_Sizes {
    pub cbMaxToken: ULONG,
    pub cbMaxSignature: ULONG,
    pub cbBlockSize: ULONG,
    pub cbSecurityTrailer: ULONG,
}

#[repr(C)]
pub struct SecPkgContext_StreamSizes {
    pub cbHeader: ULONG,
    pub cbTrailer: ULONG,
    pub cbMaximumMessage: ULONG,
    pub cBuffers: ULONG,
    pub cbBlockSize: ULONG,
}

#[repr(C)]
pub struct SecPkgContext_NamesW {
    pub sUserName: *mut SEC_WCHAR,
}

#[repr(C)]
pub struct SecPkgContext_NamesA {
    pub sUserName: *mut SEC_CHAR,
}

#[repr(C)]
pub struct SecPkgContext_NativeNamesW {
    pub sClientName: *mut SEC_WCHAR,
    pub sServerName: *mut SEC_WCHAR,
}

#[repr(C)]
pub struct SecPkgContext_NativeNamesA {
    pub sClientName: *mut SEC_CHAR,
    pub sServerName: *mut SEC_CHAR,
}

#[repr(C)]
pub struct SecPkgContext_Lifespan {
    pub tsStart: TimeStamp,
    pub tsExpiry: TimeStamp,
}

#[repr(C)]
pub struct SecPkgContext_KeyInfoW {
    pub sSignatureAlgorithmName: *mut SEC_WCHAR,
    pub sEncryptAlgorithmName: *mut SEC_WCHAR,
    pub KeySize: ULONG,
    pub SignatureAlgorithm: ULONG,
    pub EncryptAlgorithm: ULONG,
}

#[repr(C)]
pub struct SecPkgContext_KeyInfoA {
    pub sSignatureAlgorithmName: *mut SEC_CHAR,
    pub sEncryptAlgorithmName: *mut SEC_CHAR,
    pub KeySize: ULONG,
    pub SignatureAlgorithm: ULONG,
    pub EncryptAlgorithm: ULONG,
}

#[repr(C)]
pub struct SecPkgContext_SessionKey {
    pub SessionKeyLength: ULONG,
    pub SessionKey: *mut u8,
}

#[repr(C)]
pub struct SecPkgContext_PackageInfoW {
    pub PackageInfo: *mut SecPkgInfoW,
}

#[repr(C)]
pub struct SecPkgContext_PackageInfoA {
    pub PackageInfo: *mut SecPkgInfoA,
}

#[repr(C)]
pub struct SecPkgContext_NegotiationInfoW {
    pub PackageInfo: *mut SecPkgInfoW,
    pub NegotiationState: ULONG,
}

#[repr(C)]
pub struct SecPkgContext_NegotiationInfoA {
    pub PackageInfo: *mut SecPkgInfoA,
    pub NegotiationState: ULONG,
}

#[repr(C)]
pub struct SecPkgContext_Flags {
    pub Flags: ULONG,
}

#[repr(C)]
pub struct SecPkgContext_AuthorityW {
    pub sAuthorityName: *mut SEC_WCHAR,
}

#[repr(C)]
pub struct SecPkgContext_AuthorityA {
    pub sAuthorityName: *mut SEC_CHAR,
}

#[repr(C)]
pub struct SecPkgCredentials_NamesW {
    pub sUserName: *mut SEC_WCHAR,
}

#[repr(C)]
pub struct SecPkgCredentials_NamesA {
    pub sUserName: *mut SEC_CHAR,
}

/// `LUID`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct LUID {
    pub LowPart: ULONG,
    pub HighPart: i32,
}

#[repr(C)]
pub struct SecPkgContext_AuthenticationId {
    pub AuthenticationId: LUID,
}

/// `SEC_GET_KEY_FN`: accepted and ignored (no package uses it).
pub type SEC_GET_KEY_FN = Option<
    unsafe extern "C" fn(
        Arg: *mut c_void,
        Principal: *mut c_void,
        KeyVer: ULONG,
        Key: *mut *mut c_void,
        Status: *mut SECURITY_STATUS,
    ),
>;
