//! `#[repr(C)]` structures of ntsecapi.h used by the LSA exports, with
//! their Windows x64 layouts (CONSTANTS.md §10, §13).
#![allow(non_snake_case, non_camel_case_types)]

use std::ffi::{c_char, c_void};

use super::types::{LUID, ULONG, USHORT};

/// `LARGE_INTEGER` as a plain 64-bit value (FILETIME units).
pub type LARGE_INTEGER = i64;

/// `LSA_STRING` / `STRING`: counted 8-bit string (Length in bytes).
#[repr(C)]
pub struct LSA_STRING {
    pub Length: USHORT,
    pub MaximumLength: USHORT,
    pub Buffer: *mut c_char,
}

/// `LSA_UNICODE_STRING` / `UNICODE_STRING`: counted UTF-16 (Length in bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LSA_UNICODE_STRING {
    pub Length: USHORT,
    pub MaximumLength: USHORT,
    pub Buffer: *mut u16,
}

/// `MSV1_0_INTERACTIVE_LOGON` / `KERB_INTERACTIVE_LOGON` (56 bytes).
#[repr(C)]
pub struct MSV1_0_INTERACTIVE_LOGON {
    pub MessageType: ULONG,
    pub LogonDomainName: LSA_UNICODE_STRING,
    pub UserName: LSA_UNICODE_STRING,
    pub Password: LSA_UNICODE_STRING,
}

/// `MSV1_0_INTERACTIVE_PROFILE` / `KERB_INTERACTIVE_PROFILE` (160 bytes).
#[repr(C)]
pub struct MSV1_0_INTERACTIVE_PROFILE {
    pub MessageType: ULONG,
    pub LogonCount: USHORT,
    pub BadPasswordCount: USHORT,
    pub LogonTime: LARGE_INTEGER,
    pub LogoffTime: LARGE_INTEGER,
    pub KickOffTime: LARGE_INTEGER,
    pub PasswordLastSet: LARGE_INTEGER,
    pub PasswordCanChange: LARGE_INTEGER,
    pub PasswordMustChange: LARGE_INTEGER,
    pub LogonScript: LSA_UNICODE_STRING,
    pub HomeDirectory: LSA_UNICODE_STRING,
    pub FullName: LSA_UNICODE_STRING,
    pub ProfilePath: LSA_UNICODE_STRING,
    pub HomeDirectoryDrive: LSA_UNICODE_STRING,
    pub LogonServer: LSA_UNICODE_STRING,
    pub UserFlags: ULONG,
}

/// `TOKEN_SOURCE` (16 bytes).
#[repr(C)]
pub struct TOKEN_SOURCE {
    pub SourceName: [u8; 8],
    pub SourceIdentifier: LUID,
}

/// `QUOTA_LIMITS` (48 bytes).
#[repr(C)]
pub struct QUOTA_LIMITS {
    pub PagedPoolLimit: usize,
    pub NonPagedPoolLimit: usize,
    pub MinimumWorkingSetSize: usize,
    pub MaximumWorkingSetSize: usize,
    pub PagefileLimit: usize,
    pub TimeLimit: LARGE_INTEGER,
}

/// `LSA_LAST_INTER_LOGON_INFO` (24 bytes).
#[repr(C)]
pub struct LSA_LAST_INTER_LOGON_INFO {
    pub LastSuccessfulLogon: LARGE_INTEGER,
    pub LastFailedLogon: LARGE_INTEGER,
    pub FailedAttemptCountSinceLastSuccessfulLogon: ULONG,
}

/// `SECURITY_LOGON_SESSION_DATA` (272 bytes).
#[repr(C)]
pub struct SECURITY_LOGON_SESSION_DATA {
    pub Size: ULONG,
    pub LogonId: LUID,
    pub UserName: LSA_UNICODE_STRING,
    pub LogonDomain: LSA_UNICODE_STRING,
    pub AuthenticationPackage: LSA_UNICODE_STRING,
    pub LogonType: ULONG,
    pub Session: ULONG,
    pub Sid: *mut c_void,
    pub LogonTime: LARGE_INTEGER,
    pub LogonServer: LSA_UNICODE_STRING,
    pub DnsDomainName: LSA_UNICODE_STRING,
    pub Upn: LSA_UNICODE_STRING,
    pub UserFlags: ULONG,
    pub LastLogonInfo: LSA_LAST_INTER_LOGON_INFO,
    pub LogonScript: LSA_UNICODE_STRING,
    pub ProfilePath: LSA_UNICODE_STRING,
    pub HomeDirectory: LSA_UNICODE_STRING,
    pub HomeDirectoryDrive: LSA_UNICODE_STRING,
    pub LogoffTime: LARGE_INTEGER,
    pub KickOffTime: LARGE_INTEGER,
    pub PasswordLastSet: LARGE_INTEGER,
    pub PasswordCanChange: LARGE_INTEGER,
    pub PasswordMustChange: LARGE_INTEGER,
}

/// `KERB_QUERY_TKT_CACHE_REQUEST` / `NEGOTIATE_CALLER_NAME_REQUEST` shape
/// (12 bytes): a message type and a logon id.
#[repr(C)]
pub struct KERB_QUERY_TKT_CACHE_REQUEST {
    pub MessageType: ULONG,
    pub LogonId: LUID,
}

/// `KERB_TICKET_CACHE_INFO` (64 bytes).
#[repr(C)]
pub struct KERB_TICKET_CACHE_INFO {
    pub ServerName: LSA_UNICODE_STRING,
    pub RealmName: LSA_UNICODE_STRING,
    pub StartTime: LARGE_INTEGER,
    pub EndTime: LARGE_INTEGER,
    pub RenewTime: LARGE_INTEGER,
    pub EncryptionType: i32,
    pub TicketFlags: ULONG,
}

/// `KERB_QUERY_TKT_CACHE_RESPONSE` header; `Tickets` follow.
#[repr(C)]
pub struct KERB_QUERY_TKT_CACHE_RESPONSE {
    pub MessageType: ULONG,
    pub CountOfTickets: ULONG,
}

/// `NEGOTIATE_CALLER_NAME_RESPONSE` (16 bytes; the name follows).
#[repr(C)]
pub struct NEGOTIATE_CALLER_NAME_RESPONSE {
    pub MessageType: ULONG,
    pub CallerName: *mut u16,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_windows_x64() {
        assert_eq!(size_of::<LSA_UNICODE_STRING>(), 16);
        assert_eq!(size_of::<MSV1_0_INTERACTIVE_LOGON>(), 56);
        assert_eq!(offset_of!(MSV1_0_INTERACTIVE_LOGON, Password), 40);
        assert_eq!(size_of::<MSV1_0_INTERACTIVE_PROFILE>(), 160);
        assert_eq!(offset_of!(MSV1_0_INTERACTIVE_PROFILE, LogonServer), 136);
        assert_eq!(offset_of!(MSV1_0_INTERACTIVE_PROFILE, UserFlags), 152);
        assert_eq!(size_of::<QUOTA_LIMITS>(), 48);
        assert_eq!(size_of::<TOKEN_SOURCE>(), 16);
        assert_eq!(size_of::<SECURITY_LOGON_SESSION_DATA>(), 272);
        assert_eq!(offset_of!(SECURITY_LOGON_SESSION_DATA, Sid), 72);
        assert_eq!(offset_of!(SECURITY_LOGON_SESSION_DATA, LastLogonInfo), 144);
        assert_eq!(offset_of!(SECURITY_LOGON_SESSION_DATA, LogonScript), 168);
        assert_eq!(
            offset_of!(SECURITY_LOGON_SESSION_DATA, PasswordMustChange),
            264
        );
        assert_eq!(size_of::<KERB_QUERY_TKT_CACHE_REQUEST>(), 12);
        assert_eq!(size_of::<KERB_TICKET_CACHE_INFO>(), 64);
        assert_eq!(size_of::<NEGOTIATE_CALLER_NAME_RESPONSE>(), 16);
    }
}
