//! `SECURITY_STATUS` error codes (winerror.h) as one Rust error enum.

/// A failing `SECURITY_STATUS`. Success codes (`SEC_E_OK`, `SEC_I_*`) are
/// expressed by [`crate::sspi::Step`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecStatus {
    #[error("SEC_E_INSUFFICIENT_MEMORY")]
    InsufficientMemory,
    #[error("SEC_E_INVALID_HANDLE")]
    InvalidHandle,
    #[error("SEC_E_UNSUPPORTED_FUNCTION")]
    UnsupportedFunction,
    #[error("SEC_E_TARGET_UNKNOWN")]
    TargetUnknown,
    #[error("SEC_E_INTERNAL_ERROR")]
    InternalError,
    #[error("SEC_E_SECPKG_NOT_FOUND")]
    SecpkgNotFound,
    #[error("SEC_E_NOT_OWNER")]
    NotOwner,
    #[error("SEC_E_INVALID_TOKEN")]
    InvalidToken,
    #[error("SEC_E_QOP_NOT_SUPPORTED")]
    QopNotSupported,
    #[error("SEC_E_NO_IMPERSONATION")]
    NoImpersonation,
    #[error("SEC_E_LOGON_DENIED")]
    LogonDenied,
    #[error("SEC_E_UNKNOWN_CREDENTIALS")]
    UnknownCredentials,
    #[error("SEC_E_NO_CREDENTIALS")]
    NoCredentials,
    #[error("SEC_E_MESSAGE_ALTERED")]
    MessageAltered,
    #[error("SEC_E_OUT_OF_SEQUENCE")]
    OutOfSequence,
    #[error("SEC_E_NO_AUTHENTICATING_AUTHORITY")]
    NoAuthenticatingAuthority,
    #[error("SEC_E_CONTEXT_EXPIRED")]
    ContextExpired,
    #[error("SEC_E_INCOMPLETE_MESSAGE")]
    IncompleteMessage,
    #[error("SEC_E_BUFFER_TOO_SMALL")]
    BufferTooSmall,
    #[error("SEC_E_WRONG_PRINCIPAL")]
    WrongPrincipal,
    #[error("SEC_E_TIME_SKEW")]
    TimeSkew,
    #[error("SEC_E_BAD_BINDINGS")]
    BadBindings,
    #[error("SEC_E_INVALID_PARAMETER")]
    InvalidParameter,
    #[error("SEC_E_WRONG_CREDENTIAL_HANDLE")]
    WrongCredentialHandle,
    #[error("SEC_E_ALGORITHM_MISMATCH")]
    AlgorithmMismatch,
    #[error("SEC_E_DOWNGRADE_DETECTED")]
    DowngradeDetected,
}

impl SecStatus {
    /// The Windows `SECURITY_STATUS` value (winerror.h).
    pub const fn code(self) -> i32 {
        (match self {
            SecStatus::InsufficientMemory => 0x8009_0300u32,
            SecStatus::InvalidHandle => 0x8009_0301,
            SecStatus::UnsupportedFunction => 0x8009_0302,
            SecStatus::TargetUnknown => 0x8009_0303,
            SecStatus::InternalError => 0x8009_0304,
            SecStatus::SecpkgNotFound => 0x8009_0305,
            SecStatus::NotOwner => 0x8009_0306,
            SecStatus::InvalidToken => 0x8009_0308,
            SecStatus::QopNotSupported => 0x8009_030A,
            SecStatus::NoImpersonation => 0x8009_030B,
            SecStatus::LogonDenied => 0x8009_030C,
            SecStatus::UnknownCredentials => 0x8009_030D,
            SecStatus::NoCredentials => 0x8009_030E,
            SecStatus::MessageAltered => 0x8009_030F,
            SecStatus::OutOfSequence => 0x8009_0310,
            SecStatus::NoAuthenticatingAuthority => 0x8009_0311,
            SecStatus::ContextExpired => 0x8009_0317,
            SecStatus::IncompleteMessage => 0x8009_0318,
            SecStatus::BufferTooSmall => 0x8009_0321,
            SecStatus::WrongPrincipal => 0x8009_0322,
            SecStatus::TimeSkew => 0x8009_0324,
            SecStatus::BadBindings => 0x8009_0346,
            SecStatus::InvalidParameter => 0x8009_035D,
            SecStatus::WrongCredentialHandle => 0x8009_0336,
            SecStatus::AlgorithmMismatch => 0x8009_0331,
            SecStatus::DowngradeDetected => 0x8009_0350,
        }) as i32
    }
}

impl SecStatus {
    /// Every status, for [`SecStatus::from_code`].
    const ALL: [SecStatus; 26] = [
        SecStatus::InsufficientMemory,
        SecStatus::InvalidHandle,
        SecStatus::UnsupportedFunction,
        SecStatus::TargetUnknown,
        SecStatus::InternalError,
        SecStatus::SecpkgNotFound,
        SecStatus::NotOwner,
        SecStatus::InvalidToken,
        SecStatus::QopNotSupported,
        SecStatus::NoImpersonation,
        SecStatus::LogonDenied,
        SecStatus::UnknownCredentials,
        SecStatus::NoCredentials,
        SecStatus::MessageAltered,
        SecStatus::OutOfSequence,
        SecStatus::NoAuthenticatingAuthority,
        SecStatus::ContextExpired,
        SecStatus::IncompleteMessage,
        SecStatus::BufferTooSmall,
        SecStatus::WrongPrincipal,
        SecStatus::TimeSkew,
        SecStatus::BadBindings,
        SecStatus::InvalidParameter,
        SecStatus::WrongCredentialHandle,
        SecStatus::AlgorithmMismatch,
        SecStatus::DowngradeDetected,
    ];

    /// The status whose [`SecStatus::code`] is `code` (a status carried
    /// over the LSA service's wire); `None` for any other value.
    pub fn from_code(code: i32) -> Option<SecStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Result of a safe-core or package operation.
pub type SecResult<T> = Result<T, SecStatus>;

/// The successful outcome of one handshake leg (InitializeSecurityContext /
/// AcceptSecurityContext).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `SEC_E_OK`: the context is established.
    Complete,
    /// `SEC_I_CONTINUE_NEEDED`: send the output token and call again with the reply.
    ContinueNeeded,
    /// `SEC_I_COMPLETE_NEEDED`: established once `CompleteAuthToken` is called.
    CompleteNeeded,
    /// `SEC_I_COMPLETE_AND_CONTINUE`.
    CompleteAndContinue,
}

impl Step {
    /// The Windows success code.
    pub const fn code(self) -> i32 {
        match self {
            Step::Complete => 0,
            Step::ContinueNeeded => 0x0009_0312,
            Step::CompleteNeeded => 0x0009_0313,
            Step::CompleteAndContinue => 0x0009_0314,
        }
    }

    /// The Windows name of [`Step::code`].
    pub const fn name(self) -> &'static str {
        match self {
            Step::Complete => "SEC_E_OK",
            Step::ContinueNeeded => "SEC_I_CONTINUE_NEEDED",
            Step::CompleteNeeded => "SEC_I_COMPLETE_NEEDED",
            Step::CompleteAndContinue => "SEC_I_COMPLETE_AND_CONTINUE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each status survives its code (the LSA service's wire), and a code
    /// no status has is none.
    #[test]
    fn from_code_inverts_code() {
        for s in SecStatus::ALL {
            assert_eq!(SecStatus::from_code(s.code()), Some(s));
        }
        assert_eq!(SecStatus::from_code(0), None);
        assert_eq!(SecStatus::from_code(0x8009_0307u32 as i32), None);
    }
}
