//! The AS exchange (RFC 4120 §3.1, §5.4): a password → a TGT.
//!
//! The first AS-REQ carries no pre-authentication. A KDC that wants it
//! answers KDC_ERR_PREAUTH_REQUIRED (25) with a METHOD-DATA whose
//! PA-ETYPE-INFO2 (RFC 4120 §5.2.7.5) gives the etype, salt and s2kparams
//! of the client's key; the key is derived with string-to-key and the
//! request sent again with PA-ENC-TIMESTAMP (key usage 1). The AS-REP's
//! encrypted part is decrypted with that key (usage 3) and checked: nonce,
//! client name and realm, and the TGS name. The password is turned into
//! the key at the first reply and dropped (it is [`Zeroizing`]).

use picky_asn1::wrapper::{
    ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag2, IntegerAsn1, OctetStringAsn1,
    Optional,
};
use picky_krb::data_types::{EncryptedData, EtypeInfo2, PaData, PaEncTsEnc};
use zeroize::Zeroizing;

use super::error::{code, KdcError};
use super::rep::{decode_rep, decrypt_enc_part, KdcRepParts, RepKind};
use super::req::{self, padata, ReqBody, KRB_AS_REQ};
use super::transport::Transport;
use super::wire::{encode_i32, kdc_options, kerberos_time, now};
use crate::packages::kerberos::config::Krb5Config;
use crate::packages::kerberos::creds::{Tgt, TicketCredential};
use crate::packages::kerberos::crypto::{self, usage, EncryptionType, Key};
use crate::packages::kerberos::principal::PrincipalName;

/// What an AS-REQ asks for (krb5.conf `[libdefaults]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsOptions {
    /// `default_tkt_enctypes`, in preference order.
    pub etypes: Vec<i32>,
    /// Seconds (`ticket_lifetime`).
    pub lifetime: u32,
    /// Seconds (`renew_lifetime`, 0: none).
    pub renew_lifetime: u32,
    pub forwardable: bool,
    pub proxiable: bool,
}

impl AsOptions {
    pub fn from_config(c: &Krb5Config) -> Self {
        AsOptions {
            etypes: c.default_tkt_enctypes.clone(),
            lifetime: c.ticket_lifetime,
            renew_lifetime: c.renew_lifetime,
            forwardable: c.forwardable,
            proxiable: c.proxiable,
        }
    }

    fn kdc_options(&self) -> u32 {
        let mut o = 0;
        if self.forwardable {
            o |= kdc_options::FORWARDABLE;
        }
        if self.proxiable {
            o |= kdc_options::PROXIABLE;
        }
        if self.renew_lifetime > 0 {
            o |= kdc_options::RENEWABLE;
        }
        o
    }

    /// The offered etypes this library implements.
    fn supported(&self) -> Vec<i32> {
        self.etypes
            .iter()
            .copied()
            .filter(|e| EncryptionType::from_i32(*e).is_ok())
            .collect()
    }
}

/// The default salt (RFC 4120 §4): the realm then the components.
pub fn default_salt(client: &PrincipalName) -> Vec<u8> {
    let mut s = client.realm.as_bytes().to_vec();
    for c in &client.components {
        s.extend_from_slice(c.as_bytes());
    }
    s
}

/// One ETYPE-INFO2-ENTRY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtypeInfo2Entry {
    pub etype: i32,
    pub salt: Option<Vec<u8>>,
    pub s2kparams: Option<Vec<u8>>,
}

/// The PA-ETYPE-INFO2 entries of a METHOD-DATA (KRB-ERROR e-data) or of
/// an AS-REP's padata.
pub fn etype_info2(padata: &[(i32, Vec<u8>)]) -> Vec<EtypeInfo2Entry> {
    padata
        .iter()
        .filter(|(t, _)| *t == padata::PA_ETYPE_INFO2)
        .filter(|(_, v)| super::wire::der_well_formed(v))
        .filter_map(|(_, v)| picky_asn1_der::from_bytes::<EtypeInfo2>(v).ok())
        .flat_map(|info| info.0)
        .filter_map(|e| {
            Some(EtypeInfo2Entry {
                etype: super::wire::decode_i32(&e.etype.0)?,
                salt: e.salt.0.as_ref().map(|s| s.0 .0.as_bytes().to_vec()),
                s2kparams: e.s2kparams.0.as_ref().map(|p| p.0 .0.clone()),
            })
        })
        .collect()
}

/// The (type, value) pairs of a METHOD-DATA (SEQUENCE OF PA-DATA).
pub fn method_data(e_data: &[u8]) -> Vec<(i32, Vec<u8>)> {
    if !super::wire::der_well_formed(e_data) {
        return Vec::new();
    }
    picky_asn1_der::from_bytes::<picky_asn1::wrapper::Asn1SequenceOf<PaData>>(e_data)
        .map(|seq| {
            seq.0
                .into_iter()
                .filter_map(|d| {
                    Some((
                        super::wire::decode_i32(&d.padata_type.0)?,
                        d.padata_data.0 .0,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What proves the client's identity in an AS exchange: its password, or
/// its long-term keys (string-to-key done earlier: a logon session's keys,
/// Windows' "runas /netonly" first use).
pub enum ClientSecret {
    Password(Zeroizing<String>),
    Keys(Vec<Key>),
}

impl ClientSecret {
    /// The etypes of `offered` this secret can answer: all for a
    /// password, those of the keys held otherwise.
    fn usable(&self, offered: Vec<i32>) -> Vec<i32> {
        match self {
            ClientSecret::Password(_) => offered,
            ClientSecret::Keys(keys) => offered
                .into_iter()
                .filter(|e| keys.iter().any(|k| k.etype().as_i32() == *e))
                .collect(),
        }
    }
}

/// The client key from the first usable ETYPE-INFO2 entry (the KDC lists
/// them in its preference order, limited to what we offered), else from
/// `fallback_etype` with the default salt; a [`ClientSecret::Keys`] gives
/// its key of that etype.
fn client_key(
    secret: &ClientSecret,
    client: &PrincipalName,
    info: &[EtypeInfo2Entry],
    offered: &[i32],
    fallback_etype: Option<i32>,
) -> Result<(Key, Vec<u8>), KdcError> {
    let entry = info
        .iter()
        .find(|e| offered.contains(&e.etype) && EncryptionType::from_i32(e.etype).is_ok());
    let (etype, salt, params) = match (entry, fallback_etype) {
        (Some(e), _) => (
            e.etype,
            e.salt.clone().unwrap_or_else(|| default_salt(client)),
            e.s2kparams.clone(),
        ),
        (None, Some(e)) if offered.contains(&e) => (e, default_salt(client), None),
        _ => return Err(KdcError::Etype),
    };
    let etype = EncryptionType::from_i32(etype)?;
    let key = match secret {
        ClientSecret::Password(password) => {
            crypto::string_to_key(etype, password, &salt, params.as_deref())?
        }
        ClientSecret::Keys(keys) => keys
            .iter()
            .find(|k| k.etype() == etype)
            .cloned()
            .ok_or(KdcError::Etype)?,
    };
    Ok((key, salt))
}

/// PA-ENC-TIMESTAMP (RFC 4120 §5.2.7.2): PA-ENC-TS-ENC under the client
/// key, usage 1.
fn pa_enc_timestamp(key: &Key) -> Result<PaData, KdcError> {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros())
        .unwrap_or(0);
    let ts = PaEncTsEnc {
        patimestamp: ExplicitContextTag0(kerberos_time(now())),
        pausec: Optional(Some(ExplicitContextTag1(
            IntegerAsn1::from_bytes_be_signed((micros as i32).to_be_bytes().to_vec()),
        ))),
    };
    let plain = Zeroizing::new(
        picky_asn1_der::to_vec(&ts).map_err(|_| KdcError::BadRequest("PA-ENC-TS-ENC"))?,
    );
    let cipher = crypto::encrypt(key, usage::AS_REQ_PA_ENC_TIMESTAMP, &plain)?;
    let ed = EncryptedData {
        etype: ExplicitContextTag0(encode_i32(key.etype().as_i32())),
        kvno: Optional(None),
        cipher: ExplicitContextTag2(OctetStringAsn1(cipher)),
    };
    let v = picky_asn1_der::to_vec(&ed).map_err(|_| KdcError::BadRequest("PA-ENC-TIMESTAMP"))?;
    Ok(req::pa(padata::PA_ENC_TIMESTAMP, v))
}

/// The AS-REQ DER for `client` (TGS `krbtgt/REALM@REALM`).
pub fn build_as_req(
    client: &PrincipalName,
    opts: &AsOptions,
    nonce: u32,
    extra_padata: Vec<PaData>,
) -> Result<Vec<u8>, KdcError> {
    let tgs = PrincipalName::krbtgt(&client.realm, &client.realm);
    let etypes = opts.supported();
    if etypes.is_empty() {
        return Err(KdcError::Etype);
    }
    let t = now();
    let body = req::body(&ReqBody {
        options: opts.kdc_options(),
        client: Some(client),
        realm: &client.realm,
        server: &tgs,
        till: t + opts.lifetime as i64,
        rtime: (opts.renew_lifetime > 0).then(|| t + opts.renew_lifetime as i64),
        nonce,
        etypes: &etypes,
    })?;
    let mut pa = extra_padata;
    pa.push(req::pa_pac_request()?);
    req::encode_req(KRB_AS_REQ, pa, body)
}

/// Check a decrypted AS-REP against the request and make the TGT.
fn finish(
    parts: KdcRepParts,
    key: &Key,
    client: &PrincipalName,
    nonce: u32,
) -> Result<Tgt, KdcError> {
    let enc = decrypt_enc_part(&parts, key, usage::AS_REP_ENC_PART)?;
    if enc.nonce != nonce as i32 {
        return Err(KdcError::BadReply("nonce mismatch"));
    }
    if !parts.client.same_name(client) {
        return Err(KdcError::BadReply("client name or realm mismatch"));
    }
    let tgs = PrincipalName::krbtgt(&client.realm, &client.realm);
    if !enc.server.same_name(&tgs) || !parts.ticket_server.same_name(&enc.server) {
        return Err(KdcError::BadReply("not a TGT of the client realm"));
    }
    Ok(Tgt(std::sync::Arc::new(TicketCredential {
        client: parts.client,
        server: enc.server,
        ticket: parts.ticket,
        session_key: enc.key,
        flags: enc.flags,
        authtime: enc.authtime,
        starttime: enc.starttime,
        endtime: enc.endtime,
        renew_till: enc.renew_till,
    })))
}

/// What an AS exchange with a password gives: the TGT and the client's
/// long-term key the KDC sealed the reply with (etype and salt of its
/// ETYPE-INFO2), with that key's kvno when the reply names it.
pub struct AsReply {
    pub tgt: Tgt,
    pub client_key: Key,
    /// The salt of the client key (the KDC's, else the default salt).
    pub salt: Vec<u8>,
    pub kvno: Option<u32>,
    /// The client's keys the KDC listed (PA-ETYPE-INFO2 of its
    /// KDC_ERR_PREAUTH_REQUIRED or of the AS-REP): etype, salt, s2kparams.
    pub etype_info: Vec<EtypeInfo2Entry>,
}

/// Password → TGT for `client` through `transport`.
pub fn request_tgt(
    transport: &dyn Transport,
    client: &PrincipalName,
    password: Zeroizing<String>,
    opts: &AsOptions,
) -> Result<Tgt, KdcError> {
    request_tgt_with_key(transport, client, ClientSecret::Password(password), opts).map(|r| r.tgt)
}

/// [`request_tgt`] with a password or long-term keys (then only their
/// etypes are offered), also returning the client key (the LSA's logon
/// keeps it as the session's long-term key). The password is dropped
/// (zeroized) once the key is derived.
pub fn request_tgt_with_key(
    transport: &dyn Transport,
    client: &PrincipalName,
    secret: ClientSecret,
    opts: &AsOptions,
) -> Result<AsReply, KdcError> {
    let opts = &AsOptions {
        etypes: secret.usable(opts.etypes.clone()),
        ..opts.clone()
    };
    let offered = opts.supported();
    let nonce = req::nonce()?;
    let first = transport.send(
        &client.realm,
        &build_as_req(client, opts, nonce, Vec::new())?,
    )?;
    let (parts, key, salt, nonce, etype_info) = match decode_rep(&first, RepKind::As) {
        Ok(parts) => {
            // No pre-authentication asked: the key follows the reply's
            // ETYPE-INFO2 if any, else the enc-part's etype.
            let info = etype_info2(&parts.padata);
            let (key, salt) = client_key(&secret, client, &info, &offered, Some(parts.enc_etype))?;
            drop(secret);
            (parts, key, salt, nonce, info)
        }
        Err(KdcError::Krb(err)) if err.code == code::KDC_ERR_PREAUTH_REQUIRED => {
            let md = method_data(err.e_data.as_deref().unwrap_or_default());
            let info = etype_info2(&md);
            let (key, salt) = client_key(&secret, client, &info, &offered, None)?;
            drop(secret);
            let nonce = req::nonce()?;
            let request = build_as_req(client, opts, nonce, vec![pa_enc_timestamp(&key)?])?;
            let reply = transport.send(&client.realm, &request)?;
            (decode_rep(&reply, RepKind::As)?, key, salt, nonce, info)
        }
        Err(e) => return Err(e),
    };
    let kvno = parts.enc_kvno;
    let tgt = finish(parts, &key, client, nonce)?;
    Ok(AsReply {
        tgt,
        client_key: key,
        salt,
        kvno,
        etype_info,
    })
}
