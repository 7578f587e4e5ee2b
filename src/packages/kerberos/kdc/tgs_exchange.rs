//! The TGS exchange (RFC 4120 §3.3, §5.4; RFC 6806 referrals): a TGT → a
//! service ticket.
//!
//! The TGS-REQ carries PA-TGS-REQ: an AP-REQ with the TGT and an
//! authenticator (encrypted with the TGT session key, usage 7) whose
//! checksum covers the DER KDC-REQ-BODY (usage 6) and which carries a
//! fresh subkey; the TGS-REP's encrypted part is then under that subkey
//! (usage 9; usage 8, the TGT session key, when no subkey is sent). The
//! request sets `canonicalize`; a reply whose ticket is
//! `krbtgt/OTHER@REALM` while a service was asked for is a referral: the
//! request is repeated at OTHER's KDC with that ticket, for a bounded
//! number of hops. A KDC that does not know a service of another realm
//! (KDC_ERR_S_PRINCIPAL_UNKNOWN) is asked for `krbtgt/THAT@REALM`, the
//! direct cross-realm path.

use picky_asn1::wrapper::{
    ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag2, ExplicitContextTag3,
    ExplicitContextTag4, ExplicitContextTag5, ExplicitContextTag6, OctetStringAsn1, Optional,
};
use picky_asn1_der::application_tag::ApplicationTag;
use picky_krb::data_types::{AuthenticatorInner, Checksum, EncryptedData, EncryptionKey, Ticket};
use picky_krb::messages::ApReqInner;
use zeroize::{Zeroize, Zeroizing};

use super::error::{code, KdcError};
use super::rep::{decode_rep, decrypt_enc_part, RepKind};
use super::req::{self, padata, ReqBody, KRB_TGS_REQ};
use super::transport::Transport;
use super::wire::{encode_i32, flags, kdc_options, kerberos_time, now};
use crate::packages::kerberos::config::Krb5Config;
use crate::packages::kerberos::creds::{ticket_flags, ServiceTicket, Tgt, TicketCredential};
use crate::packages::kerberos::crypto::{self, usage, Key};
use crate::packages::kerberos::principal::PrincipalName;

/// Referral hops followed before giving up (MIT: 10).
pub const MAX_REFERRALS: usize = 10;

/// What a TGS-REQ asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TgsOptions {
    /// `default_tgs_enctypes`, in preference order.
    pub etypes: Vec<i32>,
    /// Seconds (`ticket_lifetime`).
    pub lifetime: u32,
    pub forwardable: bool,
    /// Send an authenticator subkey (Windows and MIT do).
    pub subkey: bool,
    /// KDC option canonicalize (RFC 6806), which also enables referrals.
    pub canonicalize: bool,
    /// KDC option forwarded (RFC 4120 §2.6): a TGT to delegate.
    pub forwarded: bool,
}

impl TgsOptions {
    pub fn from_config(c: &Krb5Config) -> Self {
        TgsOptions {
            etypes: c.default_tgs_enctypes.clone(),
            lifetime: c.ticket_lifetime,
            forwardable: c.forwardable,
            subkey: true,
            canonicalize: true,
            forwarded: false,
        }
    }
}

const AP_REQ: u8 = 14;
const AUTHENTICATOR: u8 = 2;

/// The AP-REQ of PA-TGS-REQ (RFC 4120 §5.5.1): `tgt` and an authenticator
/// with the checksum of `body_der` and the optional subkey.
fn tgs_ap_req(
    tgt: &TicketCredential,
    body_der: &[u8],
    subkey: Option<&Key>,
) -> Result<Vec<u8>, KdcError> {
    let bad = |what| KdcError::BadRequest(what);
    if !super::wire::der_well_formed(&tgt.ticket) {
        return Err(bad("TGT ticket"));
    }
    let ticket: Ticket = picky_asn1_der::from_bytes(&tgt.ticket).map_err(|_| bad("TGT ticket"))?;
    let key = &tgt.session_key;
    let cksum = crypto::checksum(key, usage::TGS_REQ_AUTH_CKSUM, body_der)?;
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros())
        .unwrap_or(0);
    let mut auth = ApplicationTag::<_, AUTHENTICATOR>(AuthenticatorInner {
        authenticator_vno: ExplicitContextTag0(encode_i32(5)),
        crealm: ExplicitContextTag1(
            crate::packages::kerberos::principal::kerberos_string(&tgt.client.realm)
                .map_err(|_| bad("realm"))?,
        ),
        cname: ExplicitContextTag2(tgt.client.to_asn1().map_err(|_| bad("client"))?),
        cksum: Optional(Some(ExplicitContextTag3(Checksum {
            cksumtype: ExplicitContextTag0(encode_i32(key.checksum_type().as_i32())),
            checksum: ExplicitContextTag1(OctetStringAsn1(cksum.to_vec())),
        }))),
        cusec: ExplicitContextTag4(encode_i32(micros as i32)),
        ctime: ExplicitContextTag5(kerberos_time(now())),
        subkey: Optional(subkey.map(|k| {
            ExplicitContextTag6(EncryptionKey {
                key_type: ExplicitContextTag0(encode_i32(k.etype().as_i32())),
                key_value: ExplicitContextTag1(OctetStringAsn1(k.as_bytes().to_vec())),
            })
        })),
        seq_number: Optional(None),
        authorization_data: Optional(None),
    });
    let plain = picky_asn1_der::to_vec(&auth).map(Zeroizing::new);
    // The subkey's copy in the ASN.1 value is wiped.
    if let Some(k) = auth.0.subkey.0.as_mut() {
        k.0.key_value.0 .0.zeroize();
    }
    let plain = plain.map_err(|_| bad("authenticator"))?;
    let cipher = crypto::encrypt(key, usage::TGS_REQ_AUTH, &plain)?;
    let ap_req = ApplicationTag::<_, AP_REQ>(ApReqInner {
        pvno: ExplicitContextTag0(encode_i32(5)),
        msg_type: ExplicitContextTag1(encode_i32(AP_REQ as i32)),
        ap_options: ExplicitContextTag2(flags(0)),
        ticket: ExplicitContextTag3(ticket),
        authenticator: ExplicitContextTag4(EncryptedData {
            etype: ExplicitContextTag0(encode_i32(key.etype().as_i32())),
            kvno: Optional(None),
            cipher: ExplicitContextTag2(OctetStringAsn1(cipher)),
        }),
    });
    picky_asn1_der::to_vec(&ap_req).map_err(|_| bad("AP-REQ"))
}

/// A TGS-REQ for `server` with `tgt`: the DER and the nonce and subkey to
/// check the reply with.
pub fn build_tgs_req(
    tgt: &TicketCredential,
    server: &PrincipalName,
    opts: &TgsOptions,
) -> Result<(Vec<u8>, u32, Option<Key>), KdcError> {
    let realm = tgs_realm(tgt);
    let mut options = 0;
    if opts.forwardable && tgt.flags & kdc_options::FORWARDABLE != 0 {
        options |= kdc_options::FORWARDABLE;
    }
    if opts.canonicalize {
        options |= kdc_options::CANONICALIZE;
    }
    if opts.forwarded {
        options |= kdc_options::FORWARDED;
    }
    let nonce = req::nonce()?;
    let etypes: Vec<i32> = opts
        .etypes
        .iter()
        .copied()
        .filter(|e| crypto::EncryptionType::from_i32(*e).is_ok())
        .collect();
    if etypes.is_empty() {
        return Err(KdcError::Etype);
    }
    let body = req::body(&ReqBody {
        options,
        client: None,
        realm,
        server,
        till: (now() + opts.lifetime as i64).min(tgt.endtime),
        rtime: None,
        nonce,
        etypes: &etypes,
    })?;
    let body_der =
        picky_asn1_der::to_vec(&body).map_err(|_| KdcError::BadRequest("KDC-REQ-BODY"))?;
    let subkey = match opts.subkey {
        true => Some(crypto::random_key(tgt.session_key.etype())?),
        false => None,
    };
    let ap_req = tgs_ap_req(tgt, &body_der, subkey.as_ref())?;
    let der = req::encode_req(KRB_TGS_REQ, vec![req::pa(padata::PA_TGS_REQ, ap_req)], body)?;
    Ok((der, nonce, subkey))
}

/// The realm whose KDC a TGT is for: `krbtgt/THAT@...`.
fn tgs_realm(tgt: &TicketCredential) -> &str {
    tgt.server
        .components
        .get(1)
        .map(String::as_str)
        .unwrap_or(&tgt.server.realm)
}

/// One TGS exchange with the KDC of `tgt`'s realm.
pub fn tgs_exchange(
    transport: &dyn Transport,
    tgt: &TicketCredential,
    server: &PrincipalName,
    opts: &TgsOptions,
) -> Result<TicketCredential, KdcError> {
    let (request, nonce, subkey) = build_tgs_req(tgt, server, opts)?;
    let reply = transport.send(tgs_realm(tgt), &request)?;
    let parts = decode_rep(&reply, RepKind::Tgs)?;
    let enc = match &subkey {
        Some(k) => decrypt_enc_part(&parts, k, usage::TGS_REP_ENC_PART_SUBKEY)?,
        None => decrypt_enc_part(
            &parts,
            &tgt.session_key,
            usage::TGS_REP_ENC_PART_SESSION_KEY,
        )?,
    };
    if enc.nonce != nonce as i32 {
        return Err(KdcError::BadReply("nonce mismatch"));
    }
    if !parts.client.same_name(&tgt.client) {
        return Err(KdcError::BadReply("client name or realm mismatch"));
    }
    if !parts.ticket_server.same_name(&enc.server) {
        return Err(KdcError::BadReply(
            "ticket and reply name different servers",
        ));
    }
    let asked = enc.server.same_name(&server.with_realm(tgs_realm(tgt)));
    // Without canonicalize the KDC must name the server asked for; with
    // it, a referral TGT or a canonical name of the service.
    if !(asked || opts.canonicalize || enc.server.is_krbtgt()) {
        return Err(KdcError::BadReply("reply names another server"));
    }
    Ok(TicketCredential {
        client: parts.client,
        server: enc.server,
        ticket: parts.ticket,
        session_key: enc.key,
        flags: enc.flags,
        authtime: enc.authtime,
        starttime: enc.starttime,
        endtime: enc.endtime,
        renew_till: enc.renew_till,
    })
}

/// TGT → service ticket for `server`, following referrals and the direct
/// cross-realm path (see the module doc).
pub fn request_service_ticket(
    transport: &dyn Transport,
    tgt: &Tgt,
    server: &PrincipalName,
    opts: &TgsOptions,
) -> Result<ServiceTicket, KdcError> {
    let mut current = (*tgt.0).clone();
    let mut visited = vec![tgs_realm(&current).to_string()];
    for _ in 0..=MAX_REFERRALS {
        let here = tgs_realm(&current).to_string();
        let result = tgs_exchange(transport, &current, server, opts);
        let ticket = match result {
            Err(KdcError::Krb(e))
                if e.code == code::KDC_ERR_S_PRINCIPAL_UNKNOWN
                    && !server.realm.is_empty()
                    && server.realm != here
                    && !server.is_krbtgt() =>
            {
                // No referral: ask this KDC for the target realm's TGS.
                let cross = PrincipalName::krbtgt(&server.realm, &here);
                tgs_exchange(transport, &current, &cross, opts)?
            }
            other => other?,
        };
        let referral = ticket.server.is_krbtgt() && !server.is_krbtgt();
        if !referral {
            return Ok(ServiceTicket(std::sync::Arc::new(ticket)));
        }
        let next = ticket.server.components[1].clone();
        if visited.contains(&next) {
            return Err(KdcError::ReferralLimit);
        }
        visited.push(next);
        current = ticket;
    }
    Err(KdcError::ReferralLimit)
}

/// A forwarded TGT to delegate (what MIT's `krb5_fwd_tgt_creds` asks
/// for): a TGS-REQ for `krbtgt/REALM@REALM` of `tgt`'s realm with the
/// FORWARDED and FORWARDABLE options and no addresses (RFC 4120 §2.6,
/// §3.3.3). `tgt` must be forwardable; the reply must be a TGT carrying the
/// FORWARDED flag.
pub fn request_forwarded_tgt(
    transport: &dyn Transport,
    tgt: &Tgt,
    opts: &TgsOptions,
) -> Result<Tgt, KdcError> {
    let realm = tgs_realm(tgt).to_string();
    let krbtgt = PrincipalName::krbtgt(&realm, &realm);
    let opts = TgsOptions {
        forwardable: true,
        canonicalize: false,
        forwarded: true,
        ..opts.clone()
    };
    let t = tgs_exchange(transport, tgt, &krbtgt, &opts)?;
    if !t.server.is_krbtgt() || t.flags & ticket_flags::FORWARDED == 0 {
        return Err(KdcError::BadReply(
            "the forwarded TGT is not a FORWARDED TGT",
        ));
    }
    Ok(Tgt(std::sync::Arc::new(t)))
}

/// [`request_service_ticket`] for each candidate name in turn (see
/// `principal::spn_candidates`), moving on when the KDC does not know one.
pub fn request_service_ticket_any(
    transport: &dyn Transport,
    tgt: &Tgt,
    candidates: &[PrincipalName],
    opts: &TgsOptions,
) -> Result<ServiceTicket, KdcError> {
    let mut last = KdcError::BadRequest("no service name");
    for c in candidates {
        match request_service_ticket(transport, tgt, c, opts) {
            Err(e) if e.krb_code() == Some(code::KDC_ERR_S_PRINCIPAL_UNKNOWN) => last = e,
            other => return other,
        }
    }
    Err(last)
}
