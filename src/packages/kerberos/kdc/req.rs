//! KDC-REQ (RFC 4120 §5.4.1) building, shared by AS-REQ and TGS-REQ.

use picky_asn1::wrapper::{
    Asn1SequenceOf, ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag2,
    ExplicitContextTag3, ExplicitContextTag4, ExplicitContextTag5, ExplicitContextTag6,
    ExplicitContextTag7, ExplicitContextTag8, OctetStringAsn1, Optional,
};
use picky_asn1_der::application_tag::ApplicationTag;
use picky_krb::data_types::{KerbPaPacRequest, PaData};
use picky_krb::messages::{KdcReq, KdcReqBody};

use super::error::KdcError;
use super::wire::{encode_i32, flags, kerberos_time};
use crate::packages::kerberos::principal::{kerberos_string, PrincipalName};

/// Padata types (RFC 4120 §7.5.2, MS-KILE §2.2.x).
pub mod padata {
    pub const PA_TGS_REQ: i32 = 1;
    pub const PA_ENC_TIMESTAMP: i32 = 2;
    pub const PA_ETYPE_INFO2: i32 = 19;
    pub const PA_PAC_REQUEST: i32 = 128;
}

/// AS-REQ and TGS-REQ message types (RFC 4120 §7.5.7).
pub const KRB_AS_REQ: u8 = 10;
pub const KRB_TGS_REQ: u8 = 12;

/// What a KDC-REQ-BODY asks for.
#[derive(Debug, Clone)]
pub struct ReqBody<'a> {
    pub options: u32,
    /// The client (AS-REQ only).
    pub client: Option<&'a PrincipalName>,
    /// The realm the request is for (the KDC's realm).
    pub realm: &'a str,
    pub server: &'a PrincipalName,
    pub till: i64,
    pub rtime: Option<i64>,
    pub nonce: u32,
    pub etypes: &'a [i32],
}

/// A PA-DATA.
pub fn pa(padata_type: i32, value: Vec<u8>) -> PaData {
    PaData {
        padata_type: ExplicitContextTag1(encode_i32(padata_type)),
        padata_data: ExplicitContextTag2(OctetStringAsn1(value)),
    }
}

/// PA-PAC-REQUEST include-pac TRUE (MS-KILE §2.2.3), as Windows sends.
pub fn pa_pac_request() -> Result<PaData, KdcError> {
    let v = picky_asn1_der::to_vec(&KerbPaPacRequest {
        include_pac: ExplicitContextTag0(true),
    })
    .map_err(|_| KdcError::BadRequest("PA-PAC-REQUEST"))?;
    Ok(pa(padata::PA_PAC_REQUEST, v))
}

/// The KDC-REQ-BODY value.
pub fn body(b: &ReqBody<'_>) -> Result<KdcReqBody, KdcError> {
    let name = |p: &PrincipalName| p.to_asn1().map_err(|_| KdcError::BadRequest("principal"));
    Ok(KdcReqBody {
        kdc_options: ExplicitContextTag0(flags(b.options)),
        cname: Optional(b.client.map(name).transpose()?.map(ExplicitContextTag1)),
        realm: ExplicitContextTag2(
            kerberos_string(b.realm).map_err(|_| KdcError::BadRequest("realm"))?,
        ),
        sname: Optional(Some(ExplicitContextTag3(name(b.server)?))),
        from: Optional(None),
        till: ExplicitContextTag5(kerberos_time(b.till)),
        rtime: Optional(b.rtime.map(|t| ExplicitContextTag6(kerberos_time(t)))),
        nonce: ExplicitContextTag7(encode_i32(b.nonce as i32)),
        etype: ExplicitContextTag8(Asn1SequenceOf(
            b.etypes.iter().map(|e| encode_i32(*e)).collect(),
        )),
        addresses: Optional(None),
        enc_authorization_data: Optional(None),
        additional_tickets: Optional(None),
    })
}

/// The DER of a KDC-REQ of `msg_type` with `padata` and `body`.
pub fn encode_req(
    msg_type: u8,
    padata: Vec<PaData>,
    body: KdcReqBody,
) -> Result<Vec<u8>, KdcError> {
    let req = KdcReq {
        pvno: ExplicitContextTag1(encode_i32(5)),
        msg_type: ExplicitContextTag2(encode_i32(msg_type as i32)),
        padata: Optional(
            (!padata.is_empty()).then_some(ExplicitContextTag3(Asn1SequenceOf(padata))),
        ),
        req_body: ExplicitContextTag4(body),
    };
    let der = match msg_type {
        KRB_AS_REQ => picky_asn1_der::to_vec(&ApplicationTag::<_, KRB_AS_REQ>(req)),
        _ => picky_asn1_der::to_vec(&ApplicationTag::<_, KRB_TGS_REQ>(req)),
    };
    der.map_err(|_| KdcError::BadRequest("KDC-REQ encoding"))
}

/// A random nonce of 31 bits (MIT masks the top bit: some KDCs read the
/// nonce as a signed 32-bit integer).
pub fn nonce() -> Result<u32, KdcError> {
    let mut b = [0u8; 4];
    crate::sspi::random::fill(&mut b).map_err(|_| KdcError::BadRequest("random"))?;
    Ok(u32::from_be_bytes(b) & 0x7fff_ffff)
}
