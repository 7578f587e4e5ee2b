//! `NTSTATUS` values (ntstatus.h) returned by the `Lsa*` functions, and
//! their mapping to `SECURITY_STATUS` for the security packages.
//!
//! Values: CONSTANTS.md §2.2; [MS-ERREF] 2.3 "NTSTATUS Values".

use crate::sspi::SecStatus;

/// An `NTSTATUS`: any 32-bit value, with the ones the LSA uses named.
///
/// A newtype rather than an enum because `SubStatus` and `ProtocolStatus`
/// carry whatever a package reports.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NtStatus(pub i32);

macro_rules! ntstatus {
    ($($name:ident = $value:literal,)*) => {
        impl NtStatus {
            $(pub const $name: NtStatus = NtStatus($value as u32 as i32);)*

            /// The ntstatus.h name (`STATUS_…`), when the value is one the LSA uses.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $(NtStatus::$name => Some(concat!("STATUS_", stringify!($name))),)*
                    _ => None,
                }
            }
        }
    };
}

ntstatus! {
    SUCCESS = 0x0000_0000,
    BUFFER_OVERFLOW = 0x8000_0005,
    UNSUCCESSFUL = 0xC000_0001,
    NOT_IMPLEMENTED = 0xC000_0002,
    INVALID_INFO_CLASS = 0xC000_0003,
    INVALID_HANDLE = 0xC000_0008,
    INVALID_PARAMETER = 0xC000_000D,
    NO_MEMORY = 0xC000_0017,
    ACCESS_DENIED = 0xC000_0022,
    BUFFER_TOO_SMALL = 0xC000_0023,
    PORT_CONNECTION_REFUSED = 0xC000_0041,
    QUOTA_EXCEEDED = 0xC000_0044,
    NO_LOGON_SERVERS = 0xC000_005E,
    NO_SUCH_LOGON_SESSION = 0xC000_005F,
    PRIVILEGE_NOT_HELD = 0xC000_0061,
    INVALID_ACCOUNT_NAME = 0xC000_0062,
    NO_SUCH_USER = 0xC000_0064,
    WRONG_PASSWORD = 0xC000_006A,
    ILL_FORMED_PASSWORD = 0xC000_006B,
    LOGON_FAILURE = 0xC000_006D,
    ACCOUNT_RESTRICTION = 0xC000_006E,
    INVALID_LOGON_HOURS = 0xC000_006F,
    INVALID_WORKSTATION = 0xC000_0070,
    PASSWORD_EXPIRED = 0xC000_0071,
    ACCOUNT_DISABLED = 0xC000_0072,
    NONE_MAPPED = 0xC000_0073,
    INSUFFICIENT_RESOURCES = 0xC000_009A,
    BAD_VALIDATION_CLASS = 0xC000_00A7,
    NOT_SUPPORTED = 0xC000_00BB,
    INVALID_SERVER_STATE = 0xC000_00DC,
    INVALID_DOMAIN_STATE = 0xC000_00DD,
    INTERNAL_ERROR = 0xC000_00E5,
    NOT_LOGON_PROCESS = 0xC000_00ED,
    NO_SUCH_PACKAGE = 0xC000_00FE,
    NAME_TOO_LONG = 0xC000_0106,
    INVALID_LOGON_TYPE = 0xC000_010B,
    TIME_DIFFERENCE_AT_DC = 0xC000_0133,
    LOGON_TYPE_NOT_GRANTED = 0xC000_015B,
    NO_TRUST_SAM_ACCOUNT = 0xC000_018B,
    ACCOUNT_EXPIRED = 0xC000_0193,
    TRUSTED_RELATIONSHIP_FAILURE = 0xC000_018D,
    INVALID_BUFFER_SIZE = 0xC000_0206,
    PASSWORD_MUST_CHANGE = 0xC000_0224,
    ACCOUNT_LOCKED_OUT = 0xC000_0234,
    DOWNGRADE_DETECTED = 0xC000_0388,
}

impl NtStatus {
    /// The value as the unsigned hex Windows documentation prints.
    pub const fn code(self) -> u32 {
        self.0 as u32
    }

    /// `NT_SUCCESS()`: severity success or informational.
    pub const fn is_success(self) -> bool {
        self.0 >= 0
    }

    /// The `SECURITY_STATUS` a security package returns when the LSA
    /// reports this status (the role of Windows' internal
    /// `SspNtStatusToSecStatus`). Unlisted failures become
    /// `SEC_E_INTERNAL_ERROR`.
    pub fn to_sec_status(self) -> SecStatus {
        match self {
            NtStatus::NO_MEMORY | NtStatus::INSUFFICIENT_RESOURCES | NtStatus::QUOTA_EXCEEDED => {
                SecStatus::InsufficientMemory
            }
            NtStatus::INVALID_HANDLE => SecStatus::InvalidHandle,
            NtStatus::NOT_SUPPORTED | NtStatus::NOT_IMPLEMENTED => SecStatus::UnsupportedFunction,
            NtStatus::NO_SUCH_PACKAGE => SecStatus::SecpkgNotFound,
            NtStatus::PRIVILEGE_NOT_HELD | NtStatus::ACCESS_DENIED => SecStatus::NotOwner,
            NtStatus::NO_SUCH_LOGON_SESSION => SecStatus::NoCredentials,
            NtStatus::LOGON_FAILURE
            | NtStatus::WRONG_PASSWORD
            | NtStatus::NO_SUCH_USER
            | NtStatus::ACCOUNT_RESTRICTION
            | NtStatus::ACCOUNT_DISABLED
            | NtStatus::ACCOUNT_LOCKED_OUT
            | NtStatus::PASSWORD_EXPIRED
            | NtStatus::PASSWORD_MUST_CHANGE
            | NtStatus::INVALID_LOGON_HOURS
            | NtStatus::INVALID_WORKSTATION
            | NtStatus::LOGON_TYPE_NOT_GRANTED => SecStatus::LogonDenied,
            NtStatus::NO_LOGON_SERVERS => SecStatus::NoAuthenticatingAuthority,
            NtStatus::TIME_DIFFERENCE_AT_DC => SecStatus::TimeSkew,
            NtStatus::INVALID_PARAMETER => SecStatus::InvalidParameter,
            NtStatus::BUFFER_TOO_SMALL => SecStatus::BufferTooSmall,
            NtStatus::DOWNGRADE_DETECTED => SecStatus::DowngradeDetected,
            _ => SecStatus::InternalError,
        }
    }
}

impl NtStatus {
    /// `LsaNtStatusToWinError` / `RtlNtStatusToDosError` for the statuses
    /// the LSA produces: what `LogonUser` leaves in `GetLastError()` when
    /// it returns FALSE. Unlisted values map to `ERROR_MR_MID_NOT_FOUND`
    /// (317), as Windows does for codes it has no mapping for.
    pub fn to_win32_error(self) -> u32 {
        match self {
            NtStatus::SUCCESS => 0,
            NtStatus::NOT_IMPLEMENTED => 1, // ERROR_INVALID_FUNCTION
            NtStatus::ACCESS_DENIED => 5,   // ERROR_ACCESS_DENIED
            NtStatus::INVALID_HANDLE => 6,  // ERROR_INVALID_HANDLE
            NtStatus::NO_MEMORY => 8,       // ERROR_NOT_ENOUGH_MEMORY
            NtStatus::NOT_SUPPORTED => 50,  // ERROR_NOT_SUPPORTED
            NtStatus::WRONG_PASSWORD => 86, // ERROR_INVALID_PASSWORD
            NtStatus::INVALID_PARAMETER => 87, // ERROR_INVALID_PARAMETER
            NtStatus::BUFFER_TOO_SMALL => 122, // ERROR_INSUFFICIENT_BUFFER
            NtStatus::NAME_TOO_LONG => 206, // ERROR_FILENAME_EXCED_RANGE
            NtStatus::BUFFER_OVERFLOW => 234, // ERROR_MORE_DATA
            NtStatus::PORT_CONNECTION_REFUSED => 1225, // ERROR_CONNECTION_REFUSED
            NtStatus::NO_LOGON_SERVERS => 1311,
            NtStatus::NO_SUCH_LOGON_SESSION => 1312,
            NtStatus::PRIVILEGE_NOT_HELD => 1314,
            NtStatus::INVALID_ACCOUNT_NAME => 1315,
            NtStatus::NO_SUCH_USER => 1317,
            NtStatus::ILL_FORMED_PASSWORD => 1324,
            NtStatus::LOGON_FAILURE => 1326,
            NtStatus::ACCOUNT_RESTRICTION => 1327,
            NtStatus::INVALID_LOGON_HOURS => 1328,
            NtStatus::INVALID_WORKSTATION => 1329,
            NtStatus::PASSWORD_EXPIRED => 1330,
            NtStatus::ACCOUNT_DISABLED => 1331,
            NtStatus::NONE_MAPPED => 1332,
            NtStatus::BAD_VALIDATION_CLASS => 1348,
            NtStatus::INVALID_SERVER_STATE => 1352,
            NtStatus::INVALID_DOMAIN_STATE => 1353,
            NtStatus::INTERNAL_ERROR => 1359,
            NtStatus::NOT_LOGON_PROCESS => 1362,
            NtStatus::NO_SUCH_PACKAGE => 1364,
            NtStatus::INVALID_LOGON_TYPE => 1367,
            NtStatus::LOGON_TYPE_NOT_GRANTED => 1385,
            NtStatus::INSUFFICIENT_RESOURCES => 1450, // ERROR_NO_SYSTEM_RESOURCES
            NtStatus::ACCOUNT_EXPIRED => 1793,
            NtStatus::QUOTA_EXCEEDED => 1816, // ERROR_NOT_ENOUGH_QUOTA
            NtStatus::PASSWORD_MUST_CHANGE => 1907,
            NtStatus::ACCOUNT_LOCKED_OUT => 1909,
            _ => 317,
        }
    }
}

impl std::fmt::Debug for NtStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "NTSTATUS(0x{:08X})", self.code()),
        }
    }
}

impl std::fmt::Display for NtStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} (0x{:08X})", self.code()),
            None => write!(f, "0x{:08X}", self.code()),
        }
    }
}

impl std::error::Error for NtStatus {}

/// Result of an LSA operation.
pub type NtResult<T> = Result<T, NtStatus>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_constants_md() {
        assert_eq!(NtStatus::SUCCESS.0, 0);
        assert_eq!(NtStatus::LOGON_FAILURE.0, -1073741715);
        assert_eq!(NtStatus::NO_SUCH_PACKAGE.0, -1073741570);
        assert_eq!(NtStatus::BUFFER_OVERFLOW.0, -2147483643);
        assert_eq!(NtStatus::DOWNGRADE_DETECTED.0, -1073740920);
        assert_eq!(NtStatus::INVALID_LOGON_TYPE.code(), 0xC000_010B);
        assert!(NtStatus::SUCCESS.is_success());
        assert!(!NtStatus::BUFFER_OVERFLOW.is_success());
    }

    #[test]
    fn names_and_mapping() {
        assert_eq!(NtStatus::LOGON_FAILURE.name(), Some("STATUS_LOGON_FAILURE"));
        assert_eq!(format!("{:?}", NtStatus(0x1234)), "NTSTATUS(0x00001234)");
        assert_eq!(
            NtStatus::LOGON_FAILURE.to_sec_status(),
            SecStatus::LogonDenied
        );
        assert_eq!(
            NtStatus::NO_SUCH_LOGON_SESSION.to_sec_status(),
            SecStatus::NoCredentials
        );
        assert_eq!(NtStatus::LOGON_FAILURE.to_win32_error(), 1326);
        assert_eq!(NtStatus::SUCCESS.to_win32_error(), 0);
        assert_eq!(NtStatus(0x1234).to_win32_error(), 317);
    }
}
