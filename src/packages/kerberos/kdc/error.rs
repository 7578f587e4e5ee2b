//! KRB-ERROR (RFC 4120 §5.9.1) and the other ways a KDC exchange fails, and
//! their mapping to SSPI statuses.
//!
//! The mapping follows what Windows reports to an SSPI caller: the
//! Kerberos package turns a KDC error into an NTSTATUS (MS-KILE §3.3.5.x
//! names the KDC side; the client side is visible in Windows' logon
//! auditing, event 4625 Status/SubStatus, and in the NTSTATUS tables of
//! Samba's `krb5_errs.c` and PADL's TktBridgeAP `errors.cpp`), and SSPI
//! reports every logon failure (`STATUS_LOGON_FAILURE`,
//! `STATUS_WRONG_PASSWORD`, `STATUS_NO_SUCH_USER`, `STATUS_ACCOUNT_*`) as
//! `SEC_E_LOGON_DENIED`, as NTLM does for an unknown account
//! (BEHAVIOURS.md item 58): the caller is not told whether the user exists.
//!
//! | Kerberos error | NTSTATUS (Windows) | SSPI status |
//! |---|---|---|
//! | KDC_ERR_PREAUTH_FAILED (24), KRB_AP_ERR_BAD_INTEGRITY (31), AS-REP not decryptable with the password's key | STATUS_WRONG_PASSWORD → STATUS_LOGON_FAILURE | SEC_E_LOGON_DENIED |
//! | KDC_ERR_C_PRINCIPAL_UNKNOWN (6) | STATUS_NO_SUCH_USER (SubStatus 0xC0000064 of a 4625 event whose Status is STATUS_LOGON_FAILURE) | SEC_E_LOGON_DENIED |
//! | KDC_ERR_CLIENT_REVOKED (18), KDC_ERR_NAME_EXP (1), KDC_ERR_KEY_EXPIRED (23), KDC_ERR_POLICY (12) | STATUS_ACCOUNT_DISABLED / _LOCKED_OUT / _EXPIRED, STATUS_PASSWORD_EXPIRED, STATUS_ACCOUNT_RESTRICTION | SEC_E_LOGON_DENIED |
//! | KDC_ERR_ETYPE_NOSUPP (14) | STATUS_LOGON_FAILURE (Samba) | SEC_E_LOGON_DENIED |
//! | KDC_ERR_S_PRINCIPAL_UNKNOWN (7), KDC_ERR_WRONG_REALM (68) outside the AS client referral | STATUS_NO_SUCH_USER on the service | SEC_E_TARGET_UNKNOWN |
//! | KRB_AP_ERR_SKEW (37) | STATUS_TIME_DIFFERENCE_AT_DC | SEC_E_TIME_SKEW |
//! | KRB_AP_ERR_TKT_EXPIRED (32) | STATUS_TIME_DIFFERENCE_AT_DC / expired ticket | SEC_E_CONTEXT_EXPIRED |
//! | no KDC answered within the bound, no KDC configured for the realm | STATUS_NO_LOGON_SERVERS | SEC_E_NO_AUTHENTICATING_AUTHORITY |
//! | too many referrals, a referral loop | | SEC_E_TARGET_UNKNOWN |
//! | a reply that is malformed, has the wrong nonce or names | | SEC_E_INTERNAL_ERROR |
//! | anything else | | SEC_E_INTERNAL_ERROR |

use picky_krb::messages::KrbError;

use crate::packages::kerberos::crypto::CryptoError;
use crate::sspi::status::SecStatus;

/// Kerberos error codes (RFC 4120 §7.5.9, RFC 6113) the client acts on.
pub mod code {
    pub const KDC_ERR_NAME_EXP: i32 = 1;
    pub const KDC_ERR_C_PRINCIPAL_UNKNOWN: i32 = 6;
    pub const KDC_ERR_S_PRINCIPAL_UNKNOWN: i32 = 7;
    pub const KDC_ERR_POLICY: i32 = 12;
    pub const KDC_ERR_ETYPE_NOSUPP: i32 = 14;
    pub const KDC_ERR_CLIENT_REVOKED: i32 = 18;
    pub const KDC_ERR_KEY_EXPIRED: i32 = 23;
    pub const KDC_ERR_PREAUTH_FAILED: i32 = 24;
    pub const KDC_ERR_PREAUTH_REQUIRED: i32 = 25;
    pub const KRB_AP_ERR_BAD_INTEGRITY: i32 = 31;
    pub const KRB_AP_ERR_TKT_EXPIRED: i32 = 32;
    pub const KRB_AP_ERR_SKEW: i32 = 37;
    pub const KRB_ERR_RESPONSE_TOO_BIG: i32 = 52;
    pub const KDC_ERR_WRONG_REALM: i32 = 68;
}

/// A KRB-ERROR as received: the code and the parts the client uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KrbErrorInfo {
    pub code: i32,
    /// The server's realm (`realm`), where a referral points (KDC_ERR_WRONG_REALM).
    pub realm: String,
    /// The client realm (`crealm`), when given.
    pub crealm: Option<String>,
    pub e_text: Option<String>,
    /// `e-data`, for KDC_ERR_PREAUTH_REQUIRED a METHOD-DATA.
    pub e_data: Option<Vec<u8>>,
}

/// Decode a KRB-ERROR; `None` when `bytes` is not one.
pub fn parse_krb_error(bytes: &[u8]) -> Option<KrbErrorInfo> {
    // APPLICATION 30 (0x7e) starts a KRB-ERROR; skip the decoder otherwise.
    if bytes.first() != Some(&0x7e) || !super::wire::der_well_formed(bytes) {
        return None;
    }
    let err: KrbError = picky_asn1_der::from_bytes(bytes).ok()?;
    let e = err.0;
    Some(KrbErrorInfo {
        code: i32::try_from(e.error_code.0).ok()?,
        realm: String::from_utf8_lossy(e.realm.0 .0.as_bytes()).into_owned(),
        crealm: e
            .crealm
            .0
            .as_ref()
            .map(|r| String::from_utf8_lossy(r.0 .0.as_bytes()).into_owned()),
        e_text: e
            .e_text
            .0
            .as_ref()
            .map(|t| String::from_utf8_lossy(t.0 .0.as_bytes()).into_owned()),
        e_data: e.e_data.0.as_ref().map(|d| d.0 .0.clone()),
    })
}

/// Why a KDC exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KdcError {
    /// The KDC answered with a KRB-ERROR.
    #[error("KDC error {}{}", .0.code, .0.e_text.as_deref().map(|t| format!(": {t}")).unwrap_or_default())]
    Krb(KrbErrorInfo),
    /// No KDC of the realm answered within the bound (KRB5_KDC_UNREACH).
    #[error("no KDC of realm {0} answered")]
    Unreachable(String),
    /// krb5.conf names no KDC for the realm (KRB5_REALM_UNKNOWN).
    #[error("no KDC known for realm {0}")]
    NoKdc(String),
    /// The reply's encrypted part does not decrypt with the client's key
    /// (AS: a wrong password when the KDC did not ask for pre-authentication).
    #[error("the KDC reply does not decrypt with the client key")]
    ReplyIntegrity,
    /// The reply is malformed or does not match the request
    /// (KRB5_KDCREP_MODIFIED).
    #[error("bad KDC reply: {0}")]
    BadReply(&'static str),
    /// The request could not be built (a name not representable, ...).
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// No encryption type in common, or the KDC chose one we did not offer.
    #[error("no usable encryption type")]
    Etype,
    /// Referrals did not reach the service within the allowed hops.
    #[error("too many referrals")]
    ReferralLimit,
    #[error("crypto: {0}")]
    Crypto(CryptoError),
}

impl From<CryptoError> for KdcError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::UnsupportedEtype(_) => KdcError::Etype,
            other => KdcError::Crypto(other),
        }
    }
}

impl KdcError {
    /// The Kerberos error code of a KRB-ERROR.
    pub fn krb_code(&self) -> Option<i32> {
        match self {
            KdcError::Krb(info) => Some(info.code),
            _ => None,
        }
    }

    /// The SSPI status Windows reports for this failure (see the module table).
    pub fn sec_status(&self) -> SecStatus {
        use code::*;
        match self {
            KdcError::Krb(info) => match info.code {
                KDC_ERR_PREAUTH_FAILED
                | KRB_AP_ERR_BAD_INTEGRITY
                | KDC_ERR_C_PRINCIPAL_UNKNOWN
                | KDC_ERR_CLIENT_REVOKED
                | KDC_ERR_NAME_EXP
                | KDC_ERR_KEY_EXPIRED
                | KDC_ERR_POLICY
                | KDC_ERR_ETYPE_NOSUPP => SecStatus::LogonDenied,
                KDC_ERR_S_PRINCIPAL_UNKNOWN | KDC_ERR_WRONG_REALM => SecStatus::TargetUnknown,
                KRB_AP_ERR_SKEW => SecStatus::TimeSkew,
                KRB_AP_ERR_TKT_EXPIRED => SecStatus::ContextExpired,
                _ => SecStatus::InternalError,
            },
            KdcError::Unreachable(_) | KdcError::NoKdc(_) => SecStatus::NoAuthenticatingAuthority,
            KdcError::ReplyIntegrity | KdcError::Etype => SecStatus::LogonDenied,
            KdcError::ReferralLimit => SecStatus::TargetUnknown,
            KdcError::BadReply(_) | KdcError::BadRequest(_) | KdcError::Crypto(_) => {
                SecStatus::InternalError
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn krb(code: i32) -> KdcError {
        KdcError::Krb(KrbErrorInfo {
            code,
            realm: "R".into(),
            crealm: None,
            e_text: None,
            e_data: None,
        })
    }

    #[test]
    fn windows_status_mapping() {
        assert_eq!(krb(24).sec_status(), SecStatus::LogonDenied);
        assert_eq!(krb(31).sec_status(), SecStatus::LogonDenied);
        assert_eq!(krb(6).sec_status(), SecStatus::LogonDenied);
        assert_eq!(krb(18).sec_status(), SecStatus::LogonDenied);
        assert_eq!(krb(7).sec_status(), SecStatus::TargetUnknown);
        assert_eq!(krb(37).sec_status(), SecStatus::TimeSkew);
        assert_eq!(krb(32).sec_status(), SecStatus::ContextExpired);
        assert_eq!(
            KdcError::Unreachable("R".into()).sec_status(),
            SecStatus::NoAuthenticatingAuthority
        );
        assert_eq!(
            KdcError::ReplyIntegrity.sec_status(),
            SecStatus::LogonDenied
        );
    }

    #[test]
    fn non_error_bytes_are_not_a_krb_error() {
        assert_eq!(parse_krb_error(&[]), None);
        assert_eq!(parse_krb_error(&[0x6b, 0x00]), None);
        assert_eq!(parse_krb_error(&[0x7e, 0x03, 0x30, 0x01, 0x00]), None);
    }
}
