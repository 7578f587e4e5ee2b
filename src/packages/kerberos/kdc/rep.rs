//! KDC-REP (AS-REP, TGS-REP; RFC 4120 §5.4.2) decoding and the decryption
//! of its EncKDCRepPart, shared by the AS and TGS exchanges.

use picky_krb::messages::{AsRep, EncAsRepPart, EncKdcRepPart, EncTgsRepPart, KdcRep, TgsRep};
use zeroize::Zeroize;

use super::error::{parse_krb_error, KdcError};
use super::wire::{decode_i32, der_well_formed, flags_u32, unix_time};
use crate::packages::kerberos::crypto::{self, EncryptionType, Key};
use crate::packages::kerberos::principal::PrincipalName;

/// Which reply is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepKind {
    As,
    Tgs,
}

/// A KDC-REP, its encrypted part still sealed.
#[derive(Debug, Clone)]
pub struct KdcRepParts {
    pub client: PrincipalName,
    /// The Ticket, DER, as it will be sent back (re-encoded from the
    /// decoded value; DER is canonical).
    pub ticket: Vec<u8>,
    pub ticket_server: PrincipalName,
    pub enc_etype: i32,
    /// The kvno of the key the encrypted part is sealed with (AS: the
    /// client's long-term key), when the KDC gives it.
    pub enc_kvno: Option<u32>,
    pub cipher: Vec<u8>,
    /// (padata-type, padata-value) of the reply.
    pub padata: Vec<(i32, Vec<u8>)>,
}

/// The decrypted EncKDCRepPart (RFC 4120 §5.4.2).
#[derive(Debug, Clone)]
pub struct EncRepPart {
    pub key: Key,
    pub nonce: i32,
    pub flags: u32,
    pub authtime: i64,
    pub starttime: Option<i64>,
    pub endtime: i64,
    pub renew_till: Option<i64>,
    pub server: PrincipalName,
}

/// Decode a reply: the KDC-REP of `kind`, or its KRB-ERROR as
/// [`KdcError::Krb`].
pub fn decode_rep(bytes: &[u8], kind: RepKind) -> Result<KdcRepParts, KdcError> {
    if let Some(err) = parse_krb_error(bytes) {
        return Err(KdcError::Krb(err));
    }
    if !der_well_formed(bytes) {
        return Err(KdcError::BadReply("not DER"));
    }
    let rep: KdcRep = match kind {
        RepKind::As => {
            picky_asn1_der::from_bytes::<AsRep>(bytes)
                .map_err(|_| KdcError::BadReply("not an AS-REP"))?
                .0
        }
        RepKind::Tgs => {
            picky_asn1_der::from_bytes::<TgsRep>(bytes)
                .map_err(|_| KdcError::BadReply("not a TGS-REP"))?
                .0
        }
    };
    let bad = || KdcError::BadReply("malformed KDC-REP");
    let client = PrincipalName::from_asn1(&rep.cname.0, &rep.crealm.0).ok_or_else(bad)?;
    let t = &rep.ticket.0 .0;
    let ticket_server = PrincipalName::from_asn1(&t.sname.0, &t.realm.0).ok_or_else(bad)?;
    let ticket = picky_asn1_der::to_vec(&rep.ticket.0).map_err(|_| bad())?;
    let padata = rep
        .padata
        .0
        .as_ref()
        .map(|p| {
            p.0 .0
                .iter()
                .filter_map(|d| Some((decode_i32(&d.padata_type.0)?, d.padata_data.0 .0.clone())))
                .collect()
        })
        .unwrap_or_default();
    Ok(KdcRepParts {
        client,
        ticket,
        ticket_server,
        enc_etype: decode_i32(&rep.enc_part.0.etype.0).ok_or_else(bad)?,
        enc_kvno: rep
            .enc_part
            .0
            .kvno
            .0
            .as_ref()
            .and_then(|k| decode_i32(&k.0))
            .map(|k| k as u32),
        cipher: rep.enc_part.0.cipher.0 .0.clone(),
        padata,
    })
}

/// Decrypt the reply's encrypted part with `key` for `usage` (3: AS, 8 or 9:
/// TGS). A ciphertext that does not verify is [`KdcError::ReplyIntegrity`].
pub fn decrypt_enc_part(
    parts: &KdcRepParts,
    key: &Key,
    usage: u32,
) -> Result<EncRepPart, KdcError> {
    if parts.enc_etype != key.etype().as_i32() {
        return Err(KdcError::Etype);
    }
    let plain = crypto::decrypt(key, usage, &parts.cipher).map_err(|e| match e {
        crypto::CryptoError::IntegrityCheckFailed | crypto::CryptoError::CiphertextTooShort => {
            KdcError::ReplyIntegrity
        }
        other => other.into(),
    })?;
    decode_enc_part(&plain)
}

/// Decode an EncASRepPart or EncTGSRepPart (either tag is accepted in
/// either reply, as MIT does: some KDCs use 26 in AS-REPs).
pub fn decode_enc_part(plain: &[u8]) -> Result<EncRepPart, KdcError> {
    if !der_well_formed(plain) {
        return Err(KdcError::BadReply("not DER"));
    }
    let mut part: EncKdcRepPart = match plain.first() {
        Some(0x79) => picky_asn1_der::from_bytes::<EncAsRepPart>(plain).map(|p| p.0),
        Some(0x7a) => picky_asn1_der::from_bytes::<EncTgsRepPart>(plain).map(|p| p.0),
        _ => return Err(KdcError::BadReply("not an EncKDCRepPart")),
    }
    .map_err(|_| KdcError::BadReply("malformed EncKDCRepPart"))?;
    let bad = || KdcError::BadReply("malformed EncKDCRepPart");
    let etype = EncryptionType::from_i32(decode_i32(&part.key.0.key_type.0).ok_or_else(bad)?)?;
    let key = Key::new(etype, &part.key.0.key_value.0 .0);
    // The decoded copy of the session key is wiped; `key` keeps its own.
    part.key.0.key_value.0 .0.zeroize();
    let key = key.map_err(|_| bad())?;
    Ok(EncRepPart {
        key,
        nonce: decode_i32(&part.nonce.0).ok_or_else(bad)?,
        flags: flags_u32(&part.flags.0),
        authtime: unix_time(&part.auth_time.0),
        starttime: part.start_time.0.as_ref().map(|t| unix_time(&t.0)),
        endtime: unix_time(&part.end_time.0),
        renew_till: part.renew_till.0.as_ref().map(|t| unix_time(&t.0)),
        server: PrincipalName::from_asn1(&part.sname.0, &part.srealm.0).ok_or_else(bad)?,
    })
}
