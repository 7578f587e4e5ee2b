//! The initiator's side of the AP exchange (RFC 4120 §3.2, RFC 4121 §4.1):
//! the AP-REQ built from a service ticket, then the acceptor's AP-REP or
//! KRB-ERROR checked.
//!
//! The ticket comes in as plain values (ticket DER, session key, client
//! principal): the credential cache and KDC client own tickets. The
//! Authenticator (key usage 11) carries cname/crealm, ctime/cusec, a
//! random initiator subkey of the session key's etype, a random 30-bit
//! sequence number (as MIT) and the RFC 4121 §4.1.1 checksum (0x8003:
//! channel-binding hash, GSS flags, and with delegation a KRB-CRED of the
//! forwarded TGT encrypted under the session key, usage 14, as MIT and
//! Windows send it).

use picky_asn1::bit_string::BitString;
use picky_asn1::wrapper::{
    Asn1SequenceOf, BitStringAsn1, ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag2,
    ExplicitContextTag3, ExplicitContextTag4, ExplicitContextTag5, ExplicitContextTag6,
    ExplicitContextTag7, OctetStringAsn1, Optional,
};
use picky_asn1_der::application_tag::ApplicationTag;
use picky_asn1_der::Asn1RawDer;
use picky_krb::data_types::{
    Checksum, EncApRepPart, EncKrbCredPart, EncKrbCredPartInner, EncryptedData, KerberosTime,
    KrbCredInfo, Ticket,
};
use picky_krb::messages::{ApRep, KrbCred, KrbCredInner, KrbError};
use zeroize::Zeroizing;

use super::ap_rep::status_for_krb_error;
use super::ap_wire::*;
use super::ccache::Credential;
use super::crypto::{self, usage, Key};
use super::filecodec::Principal;
use super::kdc::wire::der_well_formed;
use crate::packages::ntlm::crypto::channel_bindings_hash;
use crate::sspi::consts::*;
use crate::sspi::status::{SecResult, SecStatus};

/// The service ticket to present, as the ccache or TGS exchange gave it.
pub struct ServiceTicket<'a> {
    /// The Ticket, DER-encoded.
    pub ticket: &'a [u8],
    pub session_key: &'a Key,
    pub client: &'a Principal,
}

/// What the caller asks of the context.
#[derive(Default)]
pub struct ApReqOptions<'a> {
    /// `ISC_REQ_*` flags of InitializeSecurityContext.
    pub isc_req: u32,
    /// A raw `SEC_CHANNEL_BINDINGS` buffer.
    pub channel_bindings: Option<&'a [u8]>,
    /// The forwarded TGT to delegate (with `ISC_REQ_DELEGATE`).
    pub delegated_tgt: Option<&'a Credential>,
}

/// The GSS flags an `ISC_REQ_*` set asks for (RFC 4121 §4.1.1.1).
/// DCE style is not supported (`SEC_E_UNSUPPORTED_FUNCTION`).
pub fn gss_flags_from_isc_req(isc_req: u32) -> SecResult<u32> {
    if isc_req & ISC_REQ_USE_DCE_STYLE != 0 {
        return Err(SecStatus::UnsupportedFunction);
    }
    let map = [
        (ISC_REQ_DELEGATE, GSS_C_DELEG_FLAG),
        (ISC_REQ_MUTUAL_AUTH, GSS_C_MUTUAL_FLAG),
        (ISC_REQ_REPLAY_DETECT, GSS_C_REPLAY_FLAG),
        (ISC_REQ_SEQUENCE_DETECT, GSS_C_SEQUENCE_FLAG),
        (ISC_REQ_CONFIDENTIALITY, GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG),
        (ISC_REQ_INTEGRITY, GSS_C_INTEG_FLAG),
    ];
    Ok(map
        .iter()
        .filter(|(isc, _)| isc_req & isc != 0)
        .fold(0, |acc, (_, gss)| acc | gss))
}

/// The initiator's state between the AP-REQ and the AP-REP.
pub struct PendingApReq {
    pub session_key: Key,
    pub subkey: Key,
    /// The initiator's first sequence number.
    pub seq_number: u32,
    /// The GSS flags sent in the checksum.
    pub gss_flags: u32,
    /// The authenticator's ctime/cusec, which the AP-REP must echo.
    pub ctime: i64,
    pub cusec: u32,
}

impl std::fmt::Debug for PendingApReq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingApReq")
            .field("gss_flags", &self.gss_flags)
            .finish_non_exhaustive()
    }
}

/// What a verified AP-REP gave.
pub struct ApRepResult {
    /// The acceptor's subkey, when it chose one (RFC 4121 §2: then the
    /// per-message key).
    pub acceptor_subkey: Option<Key>,
    pub acceptor_seq_number: Option<u32>,
}

fn random_seq_number() -> SecResult<u32> {
    let mut b = [0u8; 4];
    crate::sspi::random::fill(&mut b).map_err(|_| SecStatus::InternalError)?;
    Ok(u32::from_be_bytes(b) & 0x3fff_ffff)
}

/// RFC 4120 TicketFlags (bit 0 the most significant) as a KerberosFlags.
pub fn flags_bits(flags: u32) -> BitStringAsn1 {
    BitStringAsn1::from(BitString::with_bytes(flags.to_be_bytes().to_vec()))
}

/// A KerberosFlags as 32 bits (bit 0 the most significant); short strings
/// read as if padded with zeros. (Not `payload_view`: picky-asn1 panics on
/// an empty BIT STRING, `03 00`, which it decodes without error.)
pub fn bits_flags(bits: &BitStringAsn1) -> u32 {
    let p = bits.0.as_bytes().get(1..).unwrap_or(&[]);
    let mut b = [0u8; 4];
    for (i, v) in p.iter().take(4).enumerate() {
        b[i] = *v;
    }
    u32::from_be_bytes(b)
}

/// The KRB-CRED of a forwarded TGT, enc-part under `session_key` (usage 14).
pub fn build_krb_cred(tgt: &Credential, session_key: &Key, now: (i64, u32)) -> SecResult<Vec<u8>> {
    let ticket: Ticket = der_decode(&tgt.ticket).map_err(|_| SecStatus::InvalidParameter)?;
    let tkey = Key::new(
        crypto::EncryptionType::from_i32(tgt.key.enctype)
            .map_err(|_| SecStatus::InvalidParameter)?,
        &tgt.key.bytes,
    )
    .map_err(|_| SecStatus::InvalidParameter)?;
    fn t<T: From<KerberosTime>>(v: u32) -> SecResult<Optional<Option<T>>> {
        Ok(Optional::from(Some(kerberos_time(v as i64)?.into())))
    }
    let info = KrbCredInfo {
        key: ExplicitContextTag0::from(encryption_key(&tkey)),
        prealm: Optional::from(Some(kerberos_string(&tgt.client.realm)?.into())),
        pname: Optional::from(Some(principal_name(&tgt.client)?.into())),
        flags: Optional::from(Some(flags_bits(tgt.ticket_flags).into())),
        auth_time: t(tgt.authtime)?,
        start_time: t(tgt.starttime)?,
        end_time: t(tgt.endtime)?,
        renew_till: if tgt.renew_till != 0 {
            t(tgt.renew_till)?
        } else {
            Optional::from(None)
        },
        srealm: Optional::from(Some(kerberos_string(&tgt.server.realm)?.into())),
        sname: Optional::from(Some(principal_name(&tgt.server)?.into())),
        caddr: Optional::from(None),
    };
    let part = EncKrbCredPart::from(EncKrbCredPartInner {
        ticket_info: ExplicitContextTag0::from(Asn1SequenceOf::from(vec![info])),
        nonce: Optional::from(None),
        timestamp: Optional::from(Some(kerberos_time(now.0)?.into())),
        usec: Optional::from(Some(int_asn1(now.1 as i64).into())),
        s_address: Optional::from(None),
        r_address: Optional::from(None),
    });
    let plain = Zeroizing::new(der_encode(&part)?);
    let cipher = crypto::encrypt(session_key, usage::KRB_CRED_ENC_PART, &plain)
        .map_err(|_| SecStatus::InternalError)?;
    der_encode(&KrbCred::from(KrbCredInner {
        pvno: ExplicitContextTag0::from(int_asn1(5)),
        msg_type: ExplicitContextTag1::from(int_asn1(22)),
        tickets: ExplicitContextTag2::from(Asn1SequenceOf::from(vec![ticket])),
        enc_part: ExplicitContextTag3::from(encrypted_data(session_key, None, cipher)),
    }))
}

pub fn encrypted_data(key: &Key, kvno: Option<u32>, cipher: Vec<u8>) -> EncryptedData {
    EncryptedData {
        etype: ExplicitContextTag0::from(int_asn1(key.etype().as_i32() as i64)),
        kvno: Optional::from(kvno.map(|k| int_asn1(k as i64).into())),
        cipher: ExplicitContextTag2::from(OctetStringAsn1::from(cipher)),
    }
}

/// picky-krb's `ApReq` with its constant head (pvno, msg-type, ap-options;
/// [`krb_head`]) and the ticket as raw DER: the same encoding (RFC 4120
/// §5.5.1), written without decoding the ticket.
#[derive(serde::Serialize, Debug, PartialEq, Clone)]
struct ApReqRawTicketInner {
    head: Asn1RawDer,
    ticket: ExplicitContextTag3<Asn1RawDer>,
    authenticator: ExplicitContextTag4<EncryptedData>,
}

type ApReqRawTicket = ApplicationTag<ApReqRawTicketInner, 14>;

/// picky-krb's `Authenticator` (RFC 4120 §5.5.1) with authenticator-vno,
/// crealm and cname as raw DER ([`authenticator_head`]) and no
/// authorization data: the same encoding.
#[derive(serde::Serialize, Debug, PartialEq, Clone)]
struct AuthenticatorRawHeadInner {
    head: Asn1RawDer,
    cksum: Optional<Option<ExplicitContextTag3<Checksum>>>,
    cusec: ExplicitContextTag4<picky_asn1::wrapper::IntegerAsn1>,
    ctime: ExplicitContextTag5<KerberosTime>,
    subkey: Optional<Option<ExplicitContextTag6<picky_krb::data_types::EncryptionKey>>>,
    seq_number: Optional<Option<ExplicitContextTag7<picky_asn1::wrapper::IntegerAsn1>>>,
}

type AuthenticatorRawHead = ApplicationTag<AuthenticatorRawHeadInner, 2>;

/// authenticator-vno 5, crealm and cname of `client`, encoded by picky for
/// the last client this thread authenticated as and reused while it stays
/// the same (a process authenticates as one principal, or a few).
fn authenticator_head(client: &Principal) -> SecResult<Asn1RawDer> {
    use std::cell::RefCell;
    thread_local! {
        static LAST: RefCell<Option<(Principal, Vec<u8>)>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        if let Some((p, head)) = last.borrow().as_ref() {
            if p == client {
                return Ok(Asn1RawDer(head.clone()));
            }
        }
        let mut head = der_encode(&ExplicitContextTag0::from(int_asn1(5)))?;
        head.extend(der_encode(&ExplicitContextTag1::from(kerberos_string(
            &client.realm,
        )?))?);
        head.extend(der_encode(&ExplicitContextTag2::from(principal_name(
            client,
        )?))?);
        *last.borrow_mut() = Some((client.clone(), head.clone()));
        Ok(Asn1RawDer(head))
    })
}

/// Builds the framed AP-REQ (token id 01 00) at time `now` (seconds since
/// the epoch, microseconds).
pub fn build_ap_req(
    st: &ServiceTicket,
    opts: &ApReqOptions,
    now: (i64, u32),
) -> SecResult<(Vec<u8>, PendingApReq)> {
    let mut gss_flags = gss_flags_from_isc_req(opts.isc_req)?;
    // The ticket goes into the AP-REQ as the DER the ccache holds, not
    // decoded and re-encoded at every handshake; it is still checked to be
    // one well-formed Ticket ([APPLICATION 1]).
    if st.ticket.first() != Some(&0x61) || !der_well_formed(st.ticket) {
        return Err(SecStatus::InvalidParameter);
    }
    let bnd = match opts.channel_bindings {
        Some(raw) => channel_bindings_hash(raw)?,
        None => [0; 16],
    };
    let deleg = match (gss_flags & GSS_C_DELEG_FLAG != 0, opts.delegated_tgt) {
        (true, Some(tgt)) => Some(build_krb_cred(tgt, st.session_key, now)?),
        _ => {
            // Without a forwardable TGT there is nothing to delegate.
            gss_flags &= !GSS_C_DELEG_FLAG;
            None
        }
    };
    let cksum = GssChecksum {
        bnd,
        flags: gss_flags,
        deleg,
        exts: Vec::new(),
    };
    let subkey =
        crypto::random_key(st.session_key.etype()).map_err(|_| SecStatus::InternalError)?;
    let seq_number = random_seq_number()?;
    let auth = AuthenticatorRawHead::from(AuthenticatorRawHeadInner {
        head: authenticator_head(st.client)?,
        cksum: Optional::from(Some(ExplicitContextTag3::from(Checksum {
            cksumtype: ExplicitContextTag0::from(int_asn1(GSS_CHECKSUM_TYPE as i64)),
            checksum: ExplicitContextTag1::from(OctetStringAsn1::from(cksum.encode()?)),
        }))),
        cusec: ExplicitContextTag4::from(int_asn1(now.1 as i64)),
        ctime: ExplicitContextTag5::from(kerberos_time(now.0)?),
        subkey: Optional::from(Some(ExplicitContextTag6::from(encryption_key(&subkey)))),
        seq_number: Optional::from(Some(ExplicitContextTag7::from(int_asn1(seq_number as i64)))),
    });
    let plain = Zeroizing::new(der_encode(&auth)?);
    let cipher = crypto::encrypt(st.session_key, usage::AP_REQ_AUTH, &plain)
        .map_err(|_| SecStatus::InternalError)?;
    // ap-options: mutual-required (bit 2) when mutual authentication is asked.
    let ap_options = if gss_flags & GSS_C_MUTUAL_FLAG != 0 {
        0x2000_0000
    } else {
        0
    };
    let ap_req = ApReqRawTicket::from(ApReqRawTicketInner {
        head: krb_head(14, Some(ap_options))?,
        ticket: ExplicitContextTag3::from(Asn1RawDer(st.ticket.to_vec())),
        authenticator: ExplicitContextTag4::from(encrypted_data(st.session_key, None, cipher)),
    });
    let token = gss_frame(TOK_AP_REQ, &der_encode(&ap_req)?);
    Ok((
        token,
        PendingApReq {
            session_key: st.session_key.clone(),
            subkey,
            seq_number,
            gss_flags,
            ctime: now.0,
            cusec: now.1,
        },
    ))
}

impl PendingApReq {
    /// Checks the acceptor's reply: a framed (or raw) AP-REP whose
    /// EncAPRepPart (usage 12, session key) echoes our ctime/cusec, or a
    /// KRB-ERROR (token id 03 00), mapped to its SSPI status.
    pub fn verify_ap_rep(&self, token: &[u8]) -> SecResult<ApRepResult> {
        let body = match gss_unframe(token) {
            Some((TOK_AP_REP, body)) => body,
            Some((TOK_KRB_ERROR, body)) => {
                let err: KrbError = der_decode(body)?;
                return Err(status_for_krb_error(err.0.error_code.0 as i32));
            }
            Some(_) => return Err(SecStatus::InvalidToken),
            None if token.first() == Some(&0x7e) => {
                let err: KrbError = der_decode(token)?;
                return Err(status_for_krb_error(err.0.error_code.0 as i32));
            }
            None => token,
        };
        let rep: ApRep = der_decode(body)?;
        if int_value(&rep.0.pvno.0)? != 5 || int_value(&rep.0.msg_type.0)? != 15 {
            return Err(SecStatus::InvalidToken);
        }
        let enc = &rep.0.enc_part.0;
        if int_value(&enc.etype.0)? != self.session_key.etype().as_i32() as i64 {
            return Err(SecStatus::MessageAltered);
        }
        let plain = crypto::decrypt(&self.session_key, usage::AP_REP_ENC_PART, &enc.cipher.0 .0)
            .map_err(|_| SecStatus::MessageAltered)?;
        let part: EncApRepPart = der_decode(&plain)?;
        let part = part.0;
        // KRB_AP_ERR_MUT_FAIL: the reply must answer this authenticator.
        if time_secs(&part.ctime.0) != self.ctime || int_value(&part.cusec.0)? != self.cusec as i64
        {
            return Err(SecStatus::LogonDenied);
        }
        let acceptor_subkey = match &part.subkey.0 {
            Some(k) => Some(protocol_key(&k.0, SecStatus::InvalidToken)?),
            None => None,
        };
        let acceptor_seq_number = match &part.seq_number.0 {
            Some(s) => Some(uint32_value(&s.0)?),
            None => None,
        };
        Ok(ApRepResult {
            acceptor_subkey,
            acceptor_seq_number,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isc_req_maps_to_gss_flags() {
        assert_eq!(gss_flags_from_isc_req(0).unwrap(), 0);
        assert_eq!(
            gss_flags_from_isc_req(
                ISC_REQ_DELEGATE
                    | ISC_REQ_MUTUAL_AUTH
                    | ISC_REQ_REPLAY_DETECT
                    | ISC_REQ_SEQUENCE_DETECT
            )
            .unwrap(),
            GSS_C_DELEG_FLAG | GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG
        );
        assert_eq!(
            gss_flags_from_isc_req(ISC_REQ_INTEGRITY).unwrap(),
            GSS_C_INTEG_FLAG
        );
        assert_eq!(
            gss_flags_from_isc_req(ISC_REQ_CONFIDENTIALITY).unwrap(),
            GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG
        );
    }

    #[test]
    fn dce_style_is_refused_cleanly() {
        assert_eq!(
            gss_flags_from_isc_req(ISC_REQ_USE_DCE_STYLE | ISC_REQ_MUTUAL_AUTH),
            Err(SecStatus::UnsupportedFunction)
        );
    }

    #[test]
    fn empty_bit_string_reads_as_no_flags() {
        let empty: BitStringAsn1 = der_decode(&[0x03, 0x00]).unwrap();
        assert_eq!(bits_flags(&empty), 0);
        let short: BitStringAsn1 = der_decode(&[0x03, 0x02, 0x00, 0x40]).unwrap();
        assert_eq!(bits_flags(&short), 0x4000_0000);
    }

    #[test]
    fn flags_bits_round_trip() {
        for f in [0u32, 0x4000_0000, 0x50a1_0000, 0xffff_ffff] {
            assert_eq!(bits_flags(&flags_bits(f)), f);
        }
    }
    /// A KRB-ERROR token of MIT's acceptor (gss_accept.py, krb5 1.20.1):
    /// KRB_AP_ERR_BAD_INTEGRITY, with stime/susec and no ctime.
    #[test]
    fn mit_krb_error_token_maps_to_its_status() {
        let token = hex::decode(
            [
                "606806092a864886f71201020203007e593057a003020105a10302011ea41118",
                "0f32303236313230353134333931345aa505020309aca2a60302011fa90e1b0c",
                "4558414d504c452e54455354aa1c301aa003020103a11330111b04686f73741b",
                "096c6f63616c686f7374",
            ]
            .concat(),
        )
        .unwrap();
        let pending = PendingApReq {
            session_key: crypto::random_key(crypto::EncryptionType::Aes256CtsHmacSha196).unwrap(),
            subkey: crypto::random_key(crypto::EncryptionType::Aes256CtsHmacSha196).unwrap(),
            seq_number: 0,
            gss_flags: 0,
            ctime: 0,
            cusec: 0,
        };
        assert_eq!(
            pending.verify_ap_rep(&token).err(),
            Some(SecStatus::MessageAltered)
        );
    }

    /// The AP-REQ written with the ticket as raw DER is byte for byte
    /// picky-krb's ApReq with the ticket decoded.
    #[test]
    fn raw_ticket_ap_req_encodes_as_picky_ap_req() {
        use picky_krb::data_types::TicketInner;
        use picky_krb::messages::{ApReq, ApReqInner};
        let key = crypto::random_key(crypto::EncryptionType::Aes256CtsHmacSha196).unwrap();
        let sname = Principal {
            name_type: 2,
            realm: "EXAMPLE.TEST".into(),
            components: vec!["host".into(), "localhost".into()],
        };
        let ticket = Ticket::from(TicketInner {
            tkt_vno: ExplicitContextTag0::from(int_asn1(5)),
            realm: ExplicitContextTag1::from(kerberos_string("EXAMPLE.TEST").unwrap()),
            sname: ExplicitContextTag2::from(principal_name(&sname).unwrap()),
            enc_part: ExplicitContextTag3::from(encrypted_data(&key, Some(3), vec![7u8; 300])),
        });
        let ticket_der = der_encode(&ticket).unwrap();
        let auth = || ExplicitContextTag4::from(encrypted_data(&key, None, vec![9u8; 200]));
        // Each ap-options twice: the head encoded, then the one kept.
        for ap_options in [0x2000_0000, 0, 0x2000_0000, 0] {
            let picky = ApReq::from(ApReqInner {
                pvno: ExplicitContextTag0::from(int_asn1(5)),
                msg_type: ExplicitContextTag1::from(int_asn1(14)),
                ap_options: ExplicitContextTag2::from(flags_bits(ap_options)),
                ticket: ExplicitContextTag3::from(ticket.clone()),
                authenticator: auth(),
            });
            let raw = ApReqRawTicket::from(ApReqRawTicketInner {
                head: krb_head(14, Some(ap_options)).unwrap(),
                ticket: ExplicitContextTag3::from(Asn1RawDer(ticket_der.clone())),
                authenticator: auth(),
            });
            assert_eq!(der_encode(&raw).unwrap(), der_encode(&picky).unwrap());
        }
    }

    /// The Authenticator written with its head as raw DER is byte for byte
    /// picky-krb's Authenticator, for a new client and the one kept.
    #[test]
    fn raw_head_authenticator_encodes_as_picky_authenticator() {
        use picky_asn1::wrapper::ExplicitContextTag8;
        use picky_krb::data_types::{Authenticator, AuthenticatorInner};
        let key = crypto::random_key(crypto::EncryptionType::Aes256CtsHmacSha196).unwrap();
        let alice = Principal::parse("alice@EXAMPLE.TEST");
        let bob = Principal::parse("bob/admin@OTHER.TEST");
        for client in [&alice, &alice, &bob, &alice] {
            let cksum = || {
                Optional::from(Some(ExplicitContextTag3::from(Checksum {
                    cksumtype: ExplicitContextTag0::from(int_asn1(GSS_CHECKSUM_TYPE as i64)),
                    checksum: ExplicitContextTag1::from(OctetStringAsn1::from(vec![1u8; 24])),
                })))
            };
            let subkey = || Optional::from(Some(ExplicitContextTag6::from(encryption_key(&key))));
            let seq = || Optional::from(Some(ExplicitContextTag7::from(int_asn1(0x1234_5678))));
            let picky = Authenticator::from(AuthenticatorInner {
                authenticator_vno: ExplicitContextTag0::from(int_asn1(5)),
                crealm: ExplicitContextTag1::from(kerberos_string(&client.realm).unwrap()),
                cname: ExplicitContextTag2::from(principal_name(client).unwrap()),
                cksum: cksum(),
                cusec: ExplicitContextTag4::from(int_asn1(999_999)),
                ctime: ExplicitContextTag5::from(kerberos_time(1_700_000_000).unwrap()),
                subkey: subkey(),
                seq_number: seq(),
                authorization_data: Optional::<Option<ExplicitContextTag8<_>>>::from(None),
            });
            let raw = AuthenticatorRawHead::from(AuthenticatorRawHeadInner {
                head: authenticator_head(client).unwrap(),
                cksum: cksum(),
                cusec: ExplicitContextTag4::from(int_asn1(999_999)),
                ctime: ExplicitContextTag5::from(kerberos_time(1_700_000_000).unwrap()),
                subkey: subkey(),
                seq_number: seq(),
            });
            assert_eq!(der_encode(&raw).unwrap(), der_encode(&picky).unwrap());
        }
    }

    /// The AP-REP written with its head as raw DER is byte for byte
    /// picky-krb's ApRep.
    #[test]
    fn raw_head_ap_rep_encodes_as_picky_ap_rep() {
        use picky_krb::messages::ApRep;
        let key = crypto::random_key(crypto::EncryptionType::Aes256CtsHmacSha196).unwrap();
        for _ in 0..2 {
            let token =
                super::super::ap_rep::build_ap_rep(&key, 1_700_000_000, 5, None, Some(9)).unwrap();
            let (id, body) = gss_unframe(&token).unwrap();
            assert_eq!(id, TOK_AP_REP);
            let picky: ApRep = der_decode(body).unwrap();
            assert_eq!(der_encode(&picky).unwrap(), body);
            assert_eq!(int_value(&picky.0.msg_type.0).unwrap(), 15);
        }
    }
}
