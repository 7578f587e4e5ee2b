//! The acceptor's replies (RFC 4120 §3.2.4, §3.1.6; RFC 4121 §4.1): the
//! AP-REP (EncAPRepPart under the ticket session key, usage 12, echoing
//! the authenticator's ctime/cusec, with an acceptor subkey and sequence
//! number) and the KRB-ERROR token (id 03 00) sent when an AP-REQ fails,
//! and the table from KRB_AP_ERR codes to SSPI statuses.
//!
//! | failure (RFC 4120 §7.5.9 code) | SSPI status | source |
//! |---|---|---|
//! | token not DER / wrong message (KRB_AP_ERR_MSG_TYPE 40, BADVERSION 39) | `SEC_E_INVALID_TOKEN` | Wine `status_gss_to_sspi`: GSS_S_DEFECTIVE_TOKEN |
//! | ticket or authenticator fails its integrity check (BAD_INTEGRITY 31, MODIFIED 41) | `SEC_E_MESSAGE_ALTERED` | Wine: GSS_S_BAD_SIG; task brief |
//! | ticket expired (TKT_EXPIRED 32) | `SEC_E_CONTEXT_EXPIRED` | Wine: GSS_S_CREDENTIALS_EXPIRED (MIT's mapping of KRB5KRB_AP_ERR_TKT_EXPIRED) |
//! | ticket not yet valid (TKT_NYV 33), clock skew (SKEW 37) | `SEC_E_TIME_SKEW` | SSPI docs: "clocks on the client and server machines are skewed" |
//! | replayed authenticator (REPEAT 34) | `SEC_E_INVALID_TOKEN` | Wine: GSS_S_DUPLICATE_TOKEN → SEC_E_INVALID_TOKEN; SSPI has no replay status for ASC (PROBE on Windows) |
//! | ticket for a principal the credential is not (NOT_US 35) | `SEC_E_WRONG_PRINCIPAL` | SSPI docs (ASC/ISC return list) |
//! | authenticator's client is not the ticket's (BADMATCH 36) | `SEC_E_LOGON_DENIED` | SSPI docs ("logon failed") |
//! | no keytab key of the ticket's kvno (BADKEYVER 44) or etype (NOKEY 45) | `SEC_E_NO_CREDENTIALS` | Wine: GSS_S_NO_CRED / DEFECTIVE_CREDENTIAL → SEC_E_NO_CREDENTIALS (PROBE on Windows) |
//! | mutual authentication failed (MUT_FAIL 46) | `SEC_E_LOGON_DENIED` | no SEC_E_MUTUAL_AUTH_FAILED in the project's status set yet |
//! | malformed 0x8003 checksum (INAPP_CKSUM 50) | `SEC_E_INVALID_TOKEN` | Wine: GSS_S_DEFECTIVE_TOKEN |
//! | channel bindings differ (MIT sends BAD_INTEGRITY 31) | `SEC_E_BAD_BINDINGS` | SSPI docs (Extended Protection) |
//! | DCE style asked | `SEC_E_UNSUPPORTED_FUNCTION` | not implemented |
//! | PAC malformed, two PACs, a signature missing, server signature fails (MODIFIED 41, as MIT's `verify_checksum` and MS-SFU §3.2.5.2.2) | `SEC_E_LOGON_DENIED` | MS-APDS §3.2.5.4: a PAC that fails verification is STATUS_LOGON_FAILURE (SSPI: SEC_E_LOGON_DENIED), "MUST be treated as a failure" (PROBE on Windows) |
//! | PAC server signature of a type not the service key's (INAPP_CKSUM 50) | `SEC_E_LOGON_DENIED` | as above; MIT refuses the checksum (KRB5_BAD_ENCTYPE) |
//! | PAC client info not the ticket's client or authtime (BADMATCH 36) | `SEC_E_LOGON_DENIED` | as above; MIT: KRB5KRB_AP_WRONG_PRINC, no wire code |
//! | anything else | `SEC_E_LOGON_DENIED` | |

use picky_asn1::wrapper::{
    ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag10, ExplicitContextTag2,
    ExplicitContextTag3, ExplicitContextTag4, ExplicitContextTag5, ExplicitContextTag6,
    ExplicitContextTag9, Optional,
};
use picky_krb::data_types::{EncApRepPart, EncApRepPartInner};
use picky_krb::messages::{KrbError, KrbErrorInner};
use zeroize::Zeroizing;

use super::ap_req::encrypted_data;
use super::ap_wire::*;
use super::crypto::{self, usage, Key};
use super::filecodec::Principal;
use crate::sspi::status::{SecResult, SecStatus};

/// RFC 4120 §7.5.9 error codes of the AP exchange.
pub const KRB_AP_ERR_BAD_INTEGRITY: i32 = 31;
pub const KRB_AP_ERR_TKT_EXPIRED: i32 = 32;
pub const KRB_AP_ERR_TKT_NYV: i32 = 33;
pub const KRB_AP_ERR_REPEAT: i32 = 34;
pub const KRB_AP_ERR_NOT_US: i32 = 35;
pub const KRB_AP_ERR_BADMATCH: i32 = 36;
pub const KRB_AP_ERR_SKEW: i32 = 37;
pub const KRB_AP_ERR_BADVERSION: i32 = 39;
pub const KRB_AP_ERR_MSG_TYPE: i32 = 40;
pub const KRB_AP_ERR_MODIFIED: i32 = 41;
pub const KRB_AP_ERR_BADKEYVER: i32 = 44;
pub const KRB_AP_ERR_NOKEY: i32 = 45;
pub const KRB_AP_ERR_MUT_FAIL: i32 = 46;
pub const KRB_AP_ERR_INAPP_CKSUM: i32 = 50;
pub const KRB_ERR_GENERIC: i32 = 60;

/// The SSPI status of a KRB_AP_ERR code (table in the module doc).
pub fn status_for_krb_error(code: i32) -> SecStatus {
    match code {
        KRB_AP_ERR_BAD_INTEGRITY | KRB_AP_ERR_MODIFIED => SecStatus::MessageAltered,
        KRB_AP_ERR_TKT_EXPIRED => SecStatus::ContextExpired,
        KRB_AP_ERR_TKT_NYV | KRB_AP_ERR_SKEW => SecStatus::TimeSkew,
        KRB_AP_ERR_REPEAT
        | KRB_AP_ERR_BADVERSION
        | KRB_AP_ERR_MSG_TYPE
        | KRB_AP_ERR_INAPP_CKSUM => SecStatus::InvalidToken,
        KRB_AP_ERR_NOT_US => SecStatus::WrongPrincipal,
        KRB_AP_ERR_BADKEYVER | KRB_AP_ERR_NOKEY => SecStatus::NoCredentials,
        _ => SecStatus::LogonDenied,
    }
}

/// A failed AP-REQ: the status for the caller, the KRB_AP_ERR code, and
/// the framed KRB-ERROR for the client when one could be addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApError {
    pub status: SecStatus,
    pub code: i32,
    pub token: Option<Vec<u8>>,
}

impl ApError {
    /// An error with `code`'s usual status.
    pub fn code(code: i32) -> ApError {
        ApError {
            status: status_for_krb_error(code),
            code,
            token: None,
        }
    }

    pub fn with_status(code: i32, status: SecStatus) -> ApError {
        ApError {
            status,
            code,
            token: None,
        }
    }
}

impl From<SecStatus> for ApError {
    fn from(status: SecStatus) -> Self {
        ApError {
            status,
            code: KRB_AP_ERR_MSG_TYPE,
            token: None,
        }
    }
}

/// The framed KRB-ERROR (token id 03 00) for `code`, from `server`,
/// stamped `now`, as Windows and MIT send it after a failed AP-REQ
/// (no client name, no ctime: they would echo unauthenticated input).
pub fn build_krb_error(code: i32, server: &Principal, now: (i64, u32)) -> SecResult<Vec<u8>> {
    let err = KrbError::from(KrbErrorInner {
        pvno: ExplicitContextTag0::from(int_asn1(5)),
        msg_type: ExplicitContextTag1::from(int_asn1(30)),
        ctime: Optional::from(None),
        cusec: Optional::from(None),
        stime: ExplicitContextTag4::from(kerberos_time(now.0)?),
        susec: ExplicitContextTag5::from(int_asn1(now.1 as i64)),
        error_code: ExplicitContextTag6::from(code as u32),
        crealm: Optional::from(None),
        cname: Optional::from(None),
        realm: ExplicitContextTag9::from(kerberos_string(&server.realm)?),
        sname: ExplicitContextTag10::from(principal_name(server)?),
        e_text: Optional::from(None),
        e_data: Optional::from(None),
    });
    Ok(gss_frame(TOK_KRB_ERROR, &der_encode(&err)?))
}

/// The framed AP-REP (token id 02 00) answering an authenticator of
/// (`ctime`, `cusec`), encrypted under the ticket session key.
/// picky-krb's `ApRep` with its constant head (pvno, msg-type;
/// [`krb_head`]) as raw DER: the same encoding (RFC 4120 §5.5.2).
#[derive(serde::Serialize, Debug, PartialEq, Clone)]
struct ApRepRawHeadInner {
    head: picky_asn1_der::Asn1RawDer,
    enc_part: ExplicitContextTag2<picky_krb::data_types::EncryptedData>,
}

type ApRepRawHead = picky_asn1_der::application_tag::ApplicationTag<ApRepRawHeadInner, 15>;

pub fn build_ap_rep(
    session_key: &Key,
    ctime: i64,
    cusec: u32,
    subkey: Option<&Key>,
    seq_number: Option<u32>,
) -> SecResult<Vec<u8>> {
    let part = EncApRepPart::from(EncApRepPartInner {
        ctime: ExplicitContextTag0::from(kerberos_time(ctime)?),
        cusec: ExplicitContextTag1::from(int_asn1(cusec as i64)),
        subkey: Optional::from(subkey.map(|k| ExplicitContextTag2::from(encryption_key(k)))),
        seq_number: Optional::from(
            seq_number.map(|s| ExplicitContextTag3::from(int_asn1(s as i64))),
        ),
    });
    let plain = Zeroizing::new(der_encode(&part)?);
    let cipher = crypto::encrypt(session_key, usage::AP_REP_ENC_PART, &plain)
        .map_err(|_| SecStatus::InternalError)?;
    let rep = ApRepRawHead::from(ApRepRawHeadInner {
        head: krb_head(15, None)?,
        enc_part: ExplicitContextTag2::from(encrypted_data(session_key, None, cipher)),
    });
    Ok(gss_frame(TOK_AP_REP, &der_encode(&rep)?))
}
