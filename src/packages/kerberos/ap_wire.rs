//! What both sides of the AP exchange share: the GSS framing of RFC 4121
//! §4.1 (`[APPLICATION 0]`, the krb5 OID, a two-byte token id), the
//! RFC 4121 §4.1.1 authenticator checksum (type 0x8003), and conversions
//! between picky-krb's ASN.1 values and the project's keys, principals and
//! times.
//!
//! The framing itself is `gss::framing`'s, shared with the per-message
//! tokens.

use picky_asn1::date::Date;
use picky_asn1::restricted_string::Ia5String;
use picky_asn1::wrapper::{
    Asn1SequenceOf, ExplicitContextTag0, ExplicitContextTag1, GeneralStringAsn1,
    GeneralizedTimeAsn1, IntegerAsn1, OctetStringAsn1,
};
use picky_asn1_der::Asn1RawDer;
use picky_krb::data_types::{EncryptionKey, KerberosTime, PrincipalName};
use serde::de::DeserializeOwned;

use super::crypto::{EncryptionType, Key};
use super::filecodec::Principal;
use super::gss::framing::{self, Mech};
use super::kdc::wire::der_well_formed;
use crate::sspi::status::{SecResult, SecStatus};

/// Token ids of RFC 4121 §4.1 (one definition, in `gss::framing`).
pub use super::gss::framing::{TOK_AP_REP, TOK_AP_REQ, TOK_KRB_ERROR};

/// Checksum type of the GSS authenticator checksum (RFC 4121 §4.1.1).
pub const GSS_CHECKSUM_TYPE: i32 = 0x8003;

/// GSS context flags carried in the 0x8003 checksum (RFC 4121 §4.1.1.1,
/// RFC 2744 values).
pub const GSS_C_DELEG_FLAG: u32 = 0x01;
pub const GSS_C_MUTUAL_FLAG: u32 = 0x02;
pub const GSS_C_REPLAY_FLAG: u32 = 0x04;
pub const GSS_C_SEQUENCE_FLAG: u32 = 0x08;
pub const GSS_C_CONF_FLAG: u32 = 0x10;
pub const GSS_C_INTEG_FLAG: u32 = 0x20;
/// Microsoft's DCE-style flag (MS-KILE §3.2.5.2); not supported here.
pub const GSS_C_DCE_STYLE: u32 = 0x1000;

/// The `to` flags of the `(from, to)` pairs whose `from` is set in `word`
/// (GSS flags or ISC/ASC_REQ bits to ISC/ASC_RET bits).
pub fn map_flags(word: u32, pairs: &[(u32, u32)]) -> u32 {
    pairs
        .iter()
        .filter(|(from, _)| word & from != 0)
        .fold(0, |r, (_, to)| r | to)
}

/// `[APPLICATION 0] { OID, token id, body }` (RFC 2743 §3.1, RFC 4121
/// §4.1) with the krb5 OID: [`framing::frame_context_token`].
pub fn gss_frame(token_id: [u8; 2], body: &[u8]) -> Vec<u8> {
    framing::frame_context_token(Mech::Krb5, token_id, body)
}

/// The token id and body of a framed AP-REQ, AP-REP or KRB-ERROR under
/// either Kerberos OID covering the whole token; `None` otherwise
/// ([`framing::parse_context_token`]).
pub fn gss_unframe(token: &[u8]) -> Option<([u8; 2], &[u8])> {
    framing::parse_context_token(token)
        .ok()
        .map(|(_, id, body)| (id, body))
}

/// Decodes a DER value; any failure is `SEC_E_INVALID_TOKEN`. The shape is
/// checked first ([`der_well_formed`]): picky-asn1-der's length arithmetic
/// overflows (a panic) on a 9-byte length, and these bytes come from peers.
pub fn der_decode<T: DeserializeOwned>(bytes: &[u8]) -> SecResult<T> {
    if !der_well_formed(bytes) {
        return Err(SecStatus::InvalidToken);
    }
    picky_asn1_der::from_bytes(bytes).map_err(|_| SecStatus::InvalidToken)
}

/// Encodes a DER value (cannot fail for the types used here but for
/// memory; reported as `SEC_E_INTERNAL_ERROR`).
pub fn der_encode<T: serde::Serialize>(value: &T) -> SecResult<Vec<u8>> {
    picky_asn1_der::to_vec(value).map_err(|_| SecStatus::InternalError)
}

/// The constant head of a KRB message, `pvno [0] 5, msg-type [1] msg_type`
/// and, with `ap_options`, `ap-options [2]` (RFC 4120 §5.5.1, §5.5.2): each
/// field encoded by picky once per process and put into the message's
/// SEQUENCE as raw DER, instead of three nested values per message.
pub fn krb_head(msg_type: i64, ap_options: Option<u32>) -> SecResult<Asn1RawDer> {
    use picky_asn1::wrapper::ExplicitContextTag2;
    use std::sync::OnceLock;
    // AP-REQ without and with mutual-required, AP-REP.
    static HEADS: [OnceLock<Vec<u8>>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match (msg_type, ap_options) {
        (14, Some(0)) => Some(0),
        (14, Some(0x2000_0000)) => Some(1),
        (15, None) => Some(2),
        _ => None,
    };
    if let Some(head) = slot.and_then(|i| HEADS[i].get()) {
        return Ok(Asn1RawDer(head.clone()));
    }
    let mut head = der_encode(&ExplicitContextTag0::from(int_asn1(5)))?;
    head.extend(der_encode(&ExplicitContextTag1::from(int_asn1(msg_type)))?);
    if let Some(flags) = ap_options {
        head.extend(der_encode(&ExplicitContextTag2::from(
            super::ap_req::flags_bits(flags),
        ))?);
    }
    if let Some(i) = slot {
        let _ = HEADS[i].set(head.clone());
    }
    Ok(Asn1RawDer(head))
}

/// The value of a DER INTEGER of at most 8 bytes (sign-extended), so that
/// the negative sequence numbers Windows sends are read too.
pub fn int_value(i: &IntegerAsn1) -> SecResult<i64> {
    let b = i.as_signed_bytes_be();
    if b.is_empty() || b.len() > 8 {
        return Err(SecStatus::InvalidToken);
    }
    let fill = if b[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut buf = [fill; 8];
    buf[8 - b.len()..].copy_from_slice(b);
    Ok(i64::from_be_bytes(buf))
}

pub fn int_asn1(v: i64) -> IntegerAsn1 {
    IntegerAsn1::from_bytes_be_signed(v.to_be_bytes().to_vec())
}

/// A UInt32 field (sequence numbers): negative values as Windows sends
/// them are taken modulo 2^32.
pub fn uint32_value(i: &IntegerAsn1) -> SecResult<u32> {
    let v = int_value(i)?;
    if !(i32::MIN as i64..=u32::MAX as i64).contains(&v) {
        return Err(SecStatus::InvalidToken);
    }
    Ok(v as u32)
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// KerberosTime (GeneralizedTime, UTC) as seconds since the epoch.
pub fn time_secs(t: &KerberosTime) -> i64 {
    let d = &t.0;
    let days = days_from_civil(d.year() as i64, d.month() as i64, d.day() as i64);
    days * 86400 + d.hour() as i64 * 3600 + d.minute() as i64 * 60 + d.second() as i64
}

/// Seconds since the epoch as a KerberosTime (years 0..=9999).
pub fn kerberos_time(secs: i64) -> SecResult<KerberosTime> {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    let y = u16::try_from(y).map_err(|_| SecStatus::InternalError)?;
    Date::new(
        y,
        m as u8,
        d as u8,
        (rem / 3600) as u8,
        (rem / 60 % 60) as u8,
        (rem % 60) as u8,
    )
    .map(GeneralizedTimeAsn1::from)
    .ok_or(SecStatus::InternalError)
}

pub fn kerberos_string(s: &str) -> SecResult<GeneralStringAsn1> {
    Ia5String::from_string(s.to_string())
        .map(GeneralStringAsn1::from)
        .map_err(|_| SecStatus::InvalidParameter)
}

pub fn principal_name(p: &Principal) -> SecResult<PrincipalName> {
    let names = p
        .components
        .iter()
        .map(|c| kerberos_string(c))
        .collect::<SecResult<Vec<_>>>()?;
    Ok(PrincipalName {
        name_type: ExplicitContextTag0::from(int_asn1(p.name_type as i64)),
        name_string: ExplicitContextTag1::from(Asn1SequenceOf::from(names)),
    })
}

/// A principal from a PrincipalName and a realm.
pub fn principal(name: &PrincipalName, realm: &GeneralStringAsn1) -> SecResult<Principal> {
    let name_type = int_value(&name.name_type.0)?;
    Ok(Principal {
        name_type: i32::try_from(name_type).map_err(|_| SecStatus::InvalidToken)?,
        realm: realm.0.as_utf8().to_string(),
        components: name
            .name_string
            .0
             .0
            .iter()
            .map(|c| c.0.as_utf8().to_string())
            .collect(),
    })
}

/// The realm and components are equal (the name type is not compared, as
/// MIT's `krb5_principal_compare`).
pub fn same_principal(a: &Principal, b: &Principal) -> bool {
    a.realm == b.realm && a.components == b.components
}

/// An EncryptionKey as a protocol key; an unsupported etype or a wrong
/// length is `err`.
pub fn protocol_key(k: &EncryptionKey, err: SecStatus) -> SecResult<Key> {
    let etype = int_value(&k.key_type.0).map_err(|_| err)?;
    let etype =
        EncryptionType::from_i32(i32::try_from(etype).map_err(|_| err)?).map_err(|_| err)?;
    Key::new(etype, &k.key_value.0 .0).map_err(|_| err)
}

pub fn encryption_key(k: &Key) -> EncryptionKey {
    EncryptionKey {
        key_type: ExplicitContextTag0::from(int_asn1(k.etype().as_i32() as i64)),
        key_value: ExplicitContextTag1::from(OctetStringAsn1::from(k.as_bytes().to_vec())),
    }
}

/// The RFC 4121 §4.1.1 checksum of the authenticator (type 0x8003).
#[derive(Clone, PartialEq, Eq)]
pub struct GssChecksum {
    /// MD5 of the gss_channel_bindings, or zeros without bindings.
    pub bnd: [u8; 16],
    pub flags: u32,
    /// The KRB-CRED (DER) when `GSS_C_DELEG_FLAG` is set and DlgOpt is 1.
    pub deleg: Option<Vec<u8>>,
    /// Bytes after the fields above (extensions), kept as sent.
    pub exts: Vec<u8>,
}

impl std::fmt::Debug for GssChecksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GssChecksum")
            .field("flags", &format_args!("{:#x}", self.flags))
            .field("deleg", &self.deleg.as_ref().map(Vec::len))
            .finish()
    }
}

impl GssChecksum {
    /// Lgth (16, LE), Bnd, Flags (LE), then DlgOpt 1 + Dlgth + Deleg.
    pub fn encode(&self) -> SecResult<Vec<u8>> {
        let mut out = Vec::with_capacity(28 + self.deleg.as_ref().map_or(0, Vec::len));
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&self.bnd);
        out.extend_from_slice(&self.flags.to_le_bytes());
        if let Some(d) = &self.deleg {
            let len = u16::try_from(d.len()).map_err(|_| SecStatus::InvalidParameter)?;
            out.extend_from_slice(&1u16.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(d);
        }
        out.extend_from_slice(&self.exts);
        Ok(out)
    }

    /// Parses the checksum value; `SEC_E_INVALID_TOKEN` when malformed
    /// (KRB_AP_ERR_INAPP_CKSUM).
    pub fn parse(data: &[u8]) -> SecResult<GssChecksum> {
        let bad = SecStatus::InvalidToken;
        let u32le = |o: usize| -> SecResult<u32> {
            let s = data.get(o..o + 4).ok_or(bad)?;
            Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        };
        if u32le(0)? != 16 {
            return Err(bad);
        }
        let mut bnd = [0u8; 16];
        bnd.copy_from_slice(data.get(4..20).ok_or(bad)?);
        let flags = u32le(20)?;
        let mut rest = &data[24..];
        let mut deleg = None;
        if flags & GSS_C_DELEG_FLAG != 0 && !rest.is_empty() {
            let opt = rest.get(..2).ok_or(bad)?;
            if u16::from_le_bytes([opt[0], opt[1]]) != 1 {
                return Err(bad);
            }
            let l = rest.get(2..4).ok_or(bad)?;
            let len = u16::from_le_bytes([l[0], l[1]]) as usize;
            deleg = Some(rest.get(4..4 + len).ok_or(bad)?.to_vec());
            rest = &rest[4 + len..];
        }
        Ok(GssChecksum {
            bnd,
            flags,
            deleg,
            exts: rest.to_vec(),
        })
    }
}

/// The current time: seconds since the epoch and microseconds.
pub fn now() -> (i64, u32) {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as i64, d.subsec_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_round_trip() {
        for secs in [
            0i64,
            951_782_400,
            1_700_000_000,
            4_102_444_800,
            253_402_300_799,
        ] {
            assert_eq!(time_secs(&kerberos_time(secs).unwrap()), secs);
        }
        let t = kerberos_time(1_700_000_000).unwrap();
        assert_eq!((t.0.year(), t.0.month(), t.0.day()), (2023, 11, 14));
    }

    #[test]
    fn negative_integers_read() {
        let i: IntegerAsn1 = der_decode(&[0x02, 0x04, 0xff, 0xff, 0xff, 0xfe]).unwrap();
        assert_eq!(int_value(&i).unwrap(), -2);
        assert_eq!(uint32_value(&i).unwrap(), 0xffff_fffe);
        assert_eq!(int_value(&int_asn1(0x3fff_ffff)).unwrap(), 0x3fff_ffff);
    }

    #[test]
    fn framing_round_trip_and_truncation() {
        let body = vec![0xab; 300];
        let t = gss_frame(TOK_AP_REQ, &body);
        assert_eq!(gss_unframe(&t), Some((TOK_AP_REQ, &body[..])));
        for n in 0..t.len() {
            assert_eq!(gss_unframe(&t[..n]), None);
        }
    }

    #[test]
    fn checksum_round_trip() {
        let c = GssChecksum {
            bnd: [7; 16],
            flags: GSS_C_DELEG_FLAG | GSS_C_MUTUAL_FLAG,
            deleg: Some(vec![1, 2, 3]),
            exts: vec![],
        };
        let enc = c.encode().unwrap();
        assert_eq!(enc.len(), 24 + 4 + 3);
        assert_eq!(GssChecksum::parse(&enc).unwrap(), c);
        // 24 bytes is a whole checksum without DlgOpt (no credential).
        for n in (0..enc.len()).filter(|n| *n != 24) {
            assert!(GssChecksum::parse(&enc[..n]).is_err(), "prefix {n}");
        }
        assert_eq!(GssChecksum::parse(&enc[..24]).unwrap().deleg, None);
    }
}
