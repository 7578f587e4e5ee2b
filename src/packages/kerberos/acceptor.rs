//! The acceptor's side of the AP exchange (RFC 4120 §3.2.3, RFC 4121
//! §4.1): the checks of an AP-REQ, in MIT's order, each failure with its
//! KRB_AP_ERR code, SSPI status (table in [`super::ap_rep`]) and a KRB-ERROR
//! token for the client:
//!
//! 1. framing (token id 01 00, or a raw AP-REQ), pvno and msg-type;
//! 2. the ticket's server: the credential's principal when it names one
//!    (else KRB_AP_ERR_NOT_US), any keytab principal otherwise (as MIT's
//!    GSS_C_NO_NAME); every keytab key of the ticket's kvno and etype is
//!    tried (BADKEYVER / NOKEY when none);
//! 3. the ticket (usage 2) and the authenticator (usage 11) decrypted
//!    (BAD_INTEGRITY), the authenticator's cname/crealm equal to the
//!    ticket's (BADMATCH);
//! 4. times: authenticator within the clock skew (SKEW), ticket started
//!    and not invalid (TKT_NYV), not ended (TKT_EXPIRED);
//! 5. the PAC, when the ticket has one ([`super::pac`], MS-KILE §3.4.5.3;
//!    MIT checks authorization data after the times too): one PAC at
//!    most, well-formed, with a KDC signature and a server signature that
//!    verifies under the key that decrypted the ticket (MODIFIED; a
//!    signature type not the key's: INAPP_CKSUM), and client info naming
//!    the ticket's client and authtime (BADMATCH). A ticket without a PAC
//!    (an MIT KDC before 1.20) is accepted;
//! 6. the 0x8003 checksum (INAPP_CKSUM), DCE style refused, channel
//!    bindings (when the acceptor has some: a different hash fails, an
//!    all-zero one passes unless bindings are required);
//! 7. the replay cache (REPEAT);
//! 8. the delegated KRB-CRED decrypted (usage 14, session key or subkey),
//!    and the AP-REP built when mutual authentication was asked.
//!
//! The verified result keeps the ticket's authorization-data raw (DER) and
//! the verified PAC's facts (client info, UPN/DNS info, LOGON_INFO raw
//! and decoded) for the network logon session
//! ([`super::network_identity`]); the client name comes from
//! the decrypted ticket, never from unauthenticated fields.
//!
//! A server credential keeps the tickets it decrypted
//! ([`super::verified_tickets`]): the ticket is authenticated by the
//! service key (RFC 4120 §3.2.3, MS-KILE §3.4.5.1), so an enc-part equal
//! byte for byte (same etype, kvno and sname) under the same keytab is the
//! same ticket, and step 3's decryption and decoding of it, and step 5's
//! PAC verification, are done once. Only a ticket whose PAC verified (or
//! that has none) is kept.
//! Step 2 and everything from the authenticator on (times against the
//! ticket's cached times, checksum, replays) run on every AP-REQ.

use picky_asn1::wrapper::{
    Asn1SequenceOf, ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag10,
    ExplicitContextTag2, ExplicitContextTag3, ExplicitContextTag4, ExplicitContextTag5,
    ExplicitContextTag6, ExplicitContextTag7, ExplicitContextTag8, ExplicitContextTag9,
    IntegerAsn1, Optional,
};
use picky_asn1_der::application_tag::ApplicationTag;
use picky_asn1_der::Asn1RawDer;
use picky_krb::data_types::{
    Checksum, EncKrbCredPart, EncryptionKey, KerberosFlags, KerberosTime, Microseconds,
    PrincipalName, Realm, Ticket,
};
use picky_krb::messages::{ApReq, KrbCred};
use std::sync::Arc;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::ap_rep::*;
use super::ap_req::bits_flags;
use super::ap_wire::*;
use super::ccache::Credential;
use super::crypto::{self, usage, EncryptionType, Key};
use super::filecodec::{self, Principal};
use super::keytab::{Keytab, KeytabEntry};
use super::pac::{self, PacError, VerifiedPac};
use super::replay_cache::{ReplayCache, ReplayError, ReplayKey};
use super::verified_tickets::{TicketId, VerifiedTicket, VerifiedTickets};
use crate::packages::ntlm::crypto::channel_bindings_hash;
use crate::sspi::status::SecStatus;

/// TicketFlags bit 7: invalid (RFC 4120 §5.3), as a 32-bit mask.
const TKT_FLG_INVALID: u32 = 0x0100_0000;

/// picky-krb's `EncTicketPartInner` (RFC 4120 §5.3) with what the acceptor
/// passes on or ignores kept as the DER received: transited and caddr are
/// not decoded, the authorization data is handed on as is (neither decoded
/// into nested values nor encoded again).
#[derive(serde::Deserialize, Debug, PartialEq)]
struct EncTicketPartView {
    flags: ExplicitContextTag0<KerberosFlags>,
    key: ExplicitContextTag1<EncryptionKey>,
    crealm: ExplicitContextTag2<Realm>,
    cname: ExplicitContextTag3<PrincipalName>,
    _transited: ExplicitContextTag4<Asn1RawDer>,
    auth_time: ExplicitContextTag5<KerberosTime>,
    starttime: Optional<Option<ExplicitContextTag6<KerberosTime>>>,
    endtime: ExplicitContextTag7<KerberosTime>,
    #[serde(default)]
    _renew_till: Optional<Option<ExplicitContextTag8<KerberosTime>>>,
    #[serde(default)]
    _caddr: Optional<Option<ExplicitContextTag9<Asn1RawDer>>>,
    #[serde(default)]
    authorization_data: Optional<Option<ExplicitContextTag10<Asn1RawDer>>>,
}

/// picky-krb's `AuthenticatorInner` (RFC 4120 §5.5.1) with the
/// authorization data, which the acceptor ignores, not decoded.
#[derive(serde::Deserialize, Debug, PartialEq)]
struct AuthenticatorView {
    authenticator_vno: ExplicitContextTag0<IntegerAsn1>,
    crealm: ExplicitContextTag1<Realm>,
    cname: ExplicitContextTag2<PrincipalName>,
    cksum: Optional<Option<ExplicitContextTag3<Checksum>>>,
    cusec: ExplicitContextTag4<Microseconds>,
    ctime: ExplicitContextTag5<KerberosTime>,
    #[serde(default)]
    subkey: Optional<Option<ExplicitContextTag6<EncryptionKey>>>,
    #[serde(default)]
    seq_number: Optional<Option<ExplicitContextTag7<IntegerAsn1>>>,
    #[serde(default)]
    _authorization_data: Optional<Option<ExplicitContextTag8<Asn1RawDer>>>,
}

/// The acceptor's credential and settings.
pub struct AcceptorOptions<'a> {
    pub keytab: &'a Keytab,
    /// The principal to accept as; `None`: any principal of the keytab.
    pub principal: Option<&'a Principal>,
    /// Seconds of clock skew tolerated (krb5.conf `clockskew`).
    pub clockskew: u32,
    /// The acceptor's raw `SEC_CHANNEL_BINDINGS`, if any.
    pub channel_bindings: Option<&'a [u8]>,
    /// Refuse clients that send no bindings (all-zero Bnd).
    pub require_bindings: bool,
    /// The keytab's keys made once ([`entry_key`] of each entry, in order),
    /// which keep their derived keys; `None`: made per AP-REQ.
    pub keys: Option<&'a [Option<Key>]>,
    /// The credential's cache of verified tickets; `None`: every ticket
    /// decrypted per AP-REQ.
    pub tickets: Option<&'a VerifiedTickets>,
}

impl<'a> AcceptorOptions<'a> {
    /// Options for `keytab` with krb5.conf's `clockskew` and no bindings.
    pub fn new(keytab: &'a Keytab, principal: Option<&'a Principal>) -> Self {
        AcceptorOptions {
            keytab,
            principal,
            clockskew: super::config::config().clockskew,
            channel_bindings: None,
            require_bindings: false,
            keys: None,
            tickets: None,
        }
    }
}

/// A verified AP-REQ.
pub struct Accepted {
    /// The client, from the decrypted ticket.
    pub client: Principal,
    /// The keytab principal whose key decrypted the ticket.
    pub server: Principal,
    pub session_key: Key,
    pub initiator_subkey: Option<Key>,
    pub initiator_seq_number: Option<u32>,
    /// GSS flags of the 0x8003 checksum.
    pub gss_flags: u32,
    pub ticket_flags: u32,
    pub authtime: i64,
    pub starttime: i64,
    pub endtime: i64,
    /// The ticket's AuthorizationData, DER as in the ticket (PAC inside
    /// AD-IF-RELEVANT, ad-type 128), when present.
    pub authorization_data: Option<Vec<u8>>,
    /// The ticket's verified PAC, when it has one.
    pub pac: Option<Arc<VerifiedPac>>,
    /// The forwarded TGT of a delegating client.
    pub delegated: Option<Credential>,
    /// The AP-REP to send (mutual authentication).
    pub ap_rep: Option<Vec<u8>>,
    pub acceptor_subkey: Option<Key>,
    pub acceptor_seq_number: Option<u32>,
}

impl std::fmt::Debug for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accepted")
            .field("client", &self.client)
            .field("server", &self.server)
            .field("gss_flags", &self.gss_flags)
            .finish_non_exhaustive()
    }
}

/// The AP-REQ inside a framed (01 00) or raw token.
fn ap_req_body(token: &[u8]) -> Result<&[u8], ApError> {
    match gss_unframe(token) {
        Some((TOK_AP_REQ, body)) => Ok(body),
        Some(_) => Err(ApError::code(KRB_AP_ERR_MSG_TYPE)),
        None if token.first() == Some(&0x6e) => Ok(token),
        None => Err(ApError::code(KRB_AP_ERR_MSG_TYPE)),
    }
}

/// The keytab entries to try for a ticket of `sname`, `kvno`, `etype`.
fn candidate_keys<'k>(
    opts: &AcceptorOptions<'k>,
    sname: &Principal,
    kvno: Option<u32>,
    etype: i32,
) -> Result<Vec<&'k KeytabEntry>, ApError> {
    if let Some(p) = opts.principal {
        if !same_principal(p, sname) {
            return Err(ApError::code(KRB_AP_ERR_NOT_US));
        }
    }
    let kt = opts.keytab;
    if kt.find(sname, None, None).is_empty() {
        // Not a principal of the keytab: with "any principal" MIT tries
        // every key of the etype; a named credential has no key for it.
        let all: Vec<&KeytabEntry> = match opts.principal {
            None => kt
                .entries
                .iter()
                .filter(|e| e.key.enctype == etype)
                .collect(),
            Some(_) => Vec::new(),
        };
        if all.is_empty() {
            return Err(ApError::code(KRB_AP_ERR_NOT_US));
        }
        return Ok(all);
    }
    if kvno.is_some() && kt.find(sname, kvno, None).is_empty() {
        return Err(ApError::code(KRB_AP_ERR_BADKEYVER));
    }
    let found = kt.find(sname, kvno, Some(etype));
    if found.is_empty() {
        return Err(ApError::code(KRB_AP_ERR_NOKEY));
    }
    Ok(found)
}

/// The crypto key of a keytab entry (`None`: an etype not supported).
pub fn entry_key(e: &KeytabEntry) -> Option<Key> {
    Key::new(EncryptionType::from_i32(e.key.enctype).ok()?, &e.key.bytes).ok()
}

/// Verifies an AP-REQ token at `now` (seconds since the epoch, µs).
pub fn accept_ap_req(
    opts: &AcceptorOptions,
    replay: &ReplayCache,
    token: &[u8],
    now: (i64, u32),
) -> Result<Accepted, ApError> {
    let ap_req: ApReq = der_decode(ap_req_body(token)?)?;
    let ap_req = ap_req.0;
    if int_value(&ap_req.pvno.0)? != 5 {
        return Err(ApError::code(KRB_AP_ERR_BADVERSION));
    }
    if int_value(&ap_req.msg_type.0)? != 14 {
        return Err(ApError::code(KRB_AP_ERR_MSG_TYPE));
    }
    let ticket: &Ticket = &ap_req.ticket.0;
    let sname = principal(&ticket.0.sname.0, &ticket.0.realm.0)?;
    // From here on the client gets a KRB-ERROR from the ticket's server.
    let reply_server = sname.clone();
    verify(opts, replay, &ap_req, ticket, sname, now).map_err(|mut e| {
        e.token = build_krb_error(e.code, &reply_server, now).ok();
        e
    })
}

fn verify(
    opts: &AcceptorOptions,
    replay: &ReplayCache,
    ap_req: &picky_krb::messages::ApReqInner,
    ticket: &Ticket,
    sname: Principal,
    now: (i64, u32),
) -> Result<Accepted, ApError> {
    if int_value(&ticket.0.tkt_vno.0)? != 5 {
        return Err(ApError::code(KRB_AP_ERR_BADVERSION));
    }
    let enc = &ticket.0.enc_part.0;
    let etype = i32::try_from(int_value(&enc.etype.0)?).map_err(|_| SecStatus::InvalidToken)?;
    let kvno = match &enc.kvno.0 {
        Some(k) => Some(uint32_value(&k.0)?),
        None => None,
    };
    // 2, 3: the ticket, with every candidate key (or as verified before).
    let candidates = candidate_keys(opts, &sname, kvno, etype)?;
    let id = TicketId {
        etype,
        kvno,
        sname: &sname,
        cipher: &enc.cipher.0 .0,
    };
    let tkt = match opts.tickets.and_then(|c| c.get(&id)) {
        Some(t) => t,
        None => {
            let t = Arc::new(decrypt_ticket(opts, &candidates, id.cipher)?);
            if let (Some(c), Ok(_)) = (opts.tickets, &t.pac) {
                c.insert(&id, t.clone());
            }
            t
        }
    };
    let session_key = tkt.session_key.clone();
    let client = tkt.client.clone();
    let server = tkt.server.clone();

    let auth_enc = &ap_req.authenticator.0;
    let auth_plain: Zeroizing<Vec<u8>> =
        crypto::decrypt(&session_key, usage::AP_REQ_AUTH, &auth_enc.cipher.0 .0)
            .map_err(|_| ApError::code(KRB_AP_ERR_BAD_INTEGRITY))?;
    let auth: ApplicationTag<AuthenticatorView, 2> = der_decode(&auth_plain)?;
    let auth = auth.0;
    if int_value(&auth.authenticator_vno.0)? != 5 {
        return Err(ApError::code(KRB_AP_ERR_BADVERSION));
    }
    if !same_principal(&principal(&auth.cname.0, &auth.crealm.0)?, &client) {
        return Err(ApError::code(KRB_AP_ERR_BADMATCH));
    }

    // 4: times.
    let skew = opts.clockskew as i64;
    let ctime = time_secs(&auth.ctime.0);
    let cusec = u32::try_from(int_value(&auth.cusec.0)?)
        .ok()
        .filter(|u| *u <= 999_999)
        .ok_or(SecStatus::InvalidToken)?;
    if (ctime - now.0).abs() > skew {
        return Err(ApError::code(KRB_AP_ERR_SKEW));
    }
    let (ticket_flags, authtime, starttime, endtime) =
        (tkt.ticket_flags, tkt.authtime, tkt.starttime, tkt.endtime);
    if ticket_flags & TKT_FLG_INVALID != 0 || starttime - now.0 > skew {
        return Err(ApError::code(KRB_AP_ERR_TKT_NYV));
    }
    if now.0 - endtime > skew {
        return Err(ApError::code(KRB_AP_ERR_TKT_EXPIRED));
    }

    // 5: the PAC (verified with the ticket).
    let pac = tkt.pac.clone().map_err(pac_error)?;

    // 6: the GSS checksum.
    let cksum = auth
        .cksum
        .0
        .as_ref()
        .ok_or(ApError::code(KRB_AP_ERR_INAPP_CKSUM))?;
    if int_value(&cksum.0.cksumtype.0)? != GSS_CHECKSUM_TYPE as i64 {
        return Err(ApError::code(KRB_AP_ERR_INAPP_CKSUM));
    }
    let gss = GssChecksum::parse(&cksum.0.checksum.0 .0)
        .map_err(|_| ApError::code(KRB_AP_ERR_INAPP_CKSUM))?;
    if gss.flags & GSS_C_DCE_STYLE != 0 {
        return Err(ApError::with_status(
            KRB_AP_ERR_INAPP_CKSUM,
            SecStatus::UnsupportedFunction,
        ));
    }
    let bad_bindings = || ApError::with_status(KRB_AP_ERR_BAD_INTEGRITY, SecStatus::BadBindings);
    if let Some(raw) = opts.channel_bindings {
        let expected = channel_bindings_hash(raw)?;
        let zero = gss.bnd == [0u8; 16];
        if zero && opts.require_bindings {
            return Err(bad_bindings());
        }
        if !zero && !bool::from(gss.bnd.ct_eq(&expected)) {
            return Err(bad_bindings());
        }
    } else if opts.require_bindings {
        return Err(bad_bindings());
    }

    // 7: replays.
    let (client_s, server_s) = (client.to_string(), server.to_string());
    let rkey = ReplayKey {
        client: &client_s,
        server: &server_s,
        ctime,
        cusec,
        authenticator: &auth_enc.cipher.0 .0,
    };
    match replay.check_and_insert(&rkey, now.0, skew) {
        Ok(()) => {}
        Err(ReplayError::Repeat) => return Err(ApError::code(KRB_AP_ERR_REPEAT)),
        Err(ReplayError::Full) => {
            return Err(ApError::with_status(
                KRB_ERR_GENERIC,
                SecStatus::InsufficientMemory,
            ))
        }
    }

    // 8: delegation, AP-REP.
    let initiator_subkey = match &auth.subkey.0 {
        Some(k) => Some(protocol_key(&k.0, SecStatus::InvalidToken)?),
        None => None,
    };
    let initiator_seq_number = match &auth.seq_number.0 {
        Some(s) => Some(uint32_value(&s.0)?),
        None => None,
    };
    let delegated = match (&gss.deleg, gss.flags & GSS_C_DELEG_FLAG != 0) {
        (Some(cred), true) => Some(read_krb_cred(
            cred,
            &session_key,
            initiator_subkey.as_ref(),
            &client,
        )?),
        _ => None,
    };
    let mutual =
        gss.flags & GSS_C_MUTUAL_FLAG != 0 || bits_flags(&ap_req.ap_options.0) & 0x2000_0000 != 0;
    let (ap_rep, acceptor_subkey, acceptor_seq_number) = if mutual {
        let etype = initiator_subkey.as_ref().unwrap_or(&session_key).etype();
        let sub = crypto::random_key(etype).map_err(|_| SecStatus::InternalError)?;
        let mut b = [0u8; 4];
        crate::sspi::random::fill(&mut b).map_err(|_| SecStatus::InternalError)?;
        let seq = u32::from_be_bytes(b) & 0x3fff_ffff;
        let rep = build_ap_rep(&session_key, ctime, cusec, Some(&sub), Some(seq))?;
        (Some(rep), Some(sub), Some(seq))
    } else {
        (None, None, None)
    };
    let authorization_data = tkt.authorization_data.clone();
    Ok(Accepted {
        client,
        server,
        session_key,
        initiator_subkey,
        initiator_seq_number,
        gss_flags: gss.flags,
        ticket_flags,
        authtime,
        starttime,
        endtime,
        authorization_data,
        pac,
        delegated,
        ap_rep,
        acceptor_subkey,
        acceptor_seq_number,
    })
}

/// The ticket's enc-part (usage 2) decrypted with the first candidate key
/// that authenticates it, and decoded.
fn decrypt_ticket(
    opts: &AcceptorOptions,
    candidates: &[&KeytabEntry],
    cipher: &[u8],
) -> Result<VerifiedTicket, ApError> {
    let mut decrypted: Option<(Zeroizing<Vec<u8>>, Principal, Key)> = None;
    for e in candidates {
        let made = opts.keys.and_then(|keys| {
            let i = opts
                .keytab
                .entries
                .iter()
                .position(|x| std::ptr::eq(x, *e))?;
            keys.get(i).cloned()
        });
        let Some(key) = made.unwrap_or_else(|| entry_key(e)) else {
            continue;
        };
        if let Ok(plain) = crypto::decrypt(&key, usage::KDC_REP_TICKET, cipher) {
            decrypted = Some((plain, e.principal.clone(), key));
            break;
        }
    }
    let (plain, server, key) = decrypted.ok_or(ApError::code(KRB_AP_ERR_BAD_INTEGRITY))?;
    let part: ApplicationTag<EncTicketPartView, 3> = der_decode(&plain)?;
    let part = part.0;
    let authtime = time_secs(&part.auth_time.0);
    let client = principal(&part.cname.0, &part.crealm.0)?;
    let authorization_data = part.authorization_data.0.map(|ad| ad.0 .0);
    let pac = check_pac(authorization_data.as_deref(), &key, &client, authtime);
    Ok(VerifiedTicket {
        session_key: protocol_key(&part.key.0, SecStatus::InvalidToken)?,
        client,
        server,
        ticket_flags: bits_flags(&part.flags.0),
        authtime,
        starttime: part
            .starttime
            .0
            .as_ref()
            .map_or(authtime, |t| time_secs(&t.0)),
        endtime: time_secs(&part.endtime.0),
        authorization_data,
        pac,
    })
}

/// Step 5's verification of the ticket's PAC, if any, with the key that
/// decrypted the ticket ([`pac::verify_pac`]).
fn check_pac(
    authorization_data: Option<&[u8]>,
    key: &Key,
    client: &Principal,
    authtime: i64,
) -> Result<Option<Arc<VerifiedPac>>, PacError> {
    let Some(ad) = authorization_data else {
        return Ok(None);
    };
    match pac::authz_data::find_pac(ad)? {
        Some(p) => Ok(Some(Arc::new(pac::verify_pac(&p, key, client, authtime)?))),
        None => Ok(None),
    }
}

/// The KRB_AP_ERR code and status of a refused PAC (table in
/// [`super::ap_rep`]).
fn pac_error(e: PacError) -> ApError {
    let code = match e {
        PacError::WrongChecksumType => KRB_AP_ERR_INAPP_CKSUM,
        PacError::ClientMismatch => KRB_AP_ERR_BADMATCH,
        PacError::Malformed
        | PacError::MultiplePacs
        | PacError::MissingSignature
        | PacError::BadSignature => KRB_AP_ERR_MODIFIED,
    };
    ApError::with_status(code, SecStatus::LogonDenied)
}

/// The forwarded TGT of a KRB-CRED (RFC 4120 §5.8), enc-part under the
/// session key (MIT, Windows) or the initiator subkey (Heimdal).
fn read_krb_cred(
    der: &[u8],
    session_key: &Key,
    subkey: Option<&Key>,
    client: &Principal,
) -> Result<Credential, ApError> {
    let cred: KrbCred = der_decode(der)?;
    let cred = cred.0;
    let cipher = &cred.enc_part.0.cipher.0 .0;
    let plain = std::iter::once(session_key)
        .chain(subkey)
        .find_map(|k| crypto::decrypt(k, usage::KRB_CRED_ENC_PART, cipher).ok())
        .ok_or(ApError::code(KRB_AP_ERR_BAD_INTEGRITY))?;
    let part: EncKrbCredPart = der_decode(&plain)?;
    let Asn1SequenceOf(infos) = &part.0.ticket_info.0;
    let Asn1SequenceOf(tickets) = &cred.tickets.0;
    let (info, ticket) = infos
        .first()
        .zip(tickets.first())
        .ok_or(SecStatus::InvalidToken)?;
    let key = protocol_key(&info.key.0, SecStatus::InvalidToken)?;
    let pname = match (&info.pname.0, &info.prealm.0) {
        (Some(n), Some(r)) => principal(&n.0, &r.0)?,
        _ => client.clone(),
    };
    // The forwarded TGT must be the authenticated client's.
    if !same_principal(&pname, client) {
        return Err(ApError::code(KRB_AP_ERR_BADMATCH));
    }
    let server = match (&info.sname.0, &info.srealm.0) {
        (Some(n), Some(r)) => principal(&n.0, &r.0)?,
        _ => principal(&ticket.0.sname.0, &ticket.0.realm.0)?,
    };
    let t = |v: &Option<picky_asn1::wrapper::GeneralizedTimeAsn1>| -> u32 {
        v.as_ref()
            .map_or(0, |t| time_secs(t).clamp(0, u32::MAX as i64) as u32)
    };
    Ok(Credential {
        client: pname,
        server,
        key: filecodec::Key {
            enctype: key.etype().as_i32(),
            bytes: Zeroizing::new(key.as_bytes().to_vec()),
        },
        authtime: t(&info.auth_time.0.as_ref().map(|x| x.0.clone())),
        starttime: t(&info.start_time.0.as_ref().map(|x| x.0.clone())),
        endtime: t(&info.end_time.0.as_ref().map(|x| x.0.clone())),
        renew_till: t(&info.renew_till.0.as_ref().map(|x| x.0.clone())),
        is_skey: false,
        ticket_flags: info.flags.0.as_ref().map_or(0, |f| bits_flags(&f.0)),
        addresses: Vec::new(),
        authdata: Vec::new(),
        ticket: der_encode(ticket)?,
        second_ticket: Vec::new(),
    })
}
