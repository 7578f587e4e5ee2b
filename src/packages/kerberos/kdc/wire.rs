//! ASN.1 helpers shared by the KDC exchanges: INTEGER ↔ i32, KerberosTime
//! ↔ seconds since the epoch, KerberosFlags ↔ u32 (RFC 4120 §5.2).

use picky_asn1::bit_string::BitString;
use picky_asn1::date::GeneralizedTime;
use picky_asn1::wrapper::{BitStringAsn1, GeneralizedTimeAsn1, IntegerAsn1};

/// Largest DER message accepted from a KDC (also the TCP frame limit).
pub const MAX_MESSAGE_LEN: usize = 1 << 20;

/// Deepest nesting accepted in a DER message (Kerberos messages nest ~12).
const MAX_DER_DEPTH: u32 = 32;

/// Whether `bytes` is exactly one well-formed DER TLV whose constructed
/// contents are well-formed TLVs, down to [`MAX_DER_DEPTH`]: one-byte tags,
/// definite lengths of at most 4 bytes that fit their container. Checked
/// before picky-asn1-der sees network bytes: its length arithmetic
/// overflows (a panic with overflow checks) on a 9-byte length.
pub fn der_well_formed(bytes: &[u8]) -> bool {
    fn tlvs(mut b: &[u8], depth: u32) -> bool {
        while !b.is_empty() {
            match tlv(b, depth) {
                Some(n) => b = &b[n..],
                None => return false,
            }
        }
        true
    }
    /// The length of the TLV at the start of `b`.
    fn tlv(b: &[u8], depth: u32) -> Option<usize> {
        let tag = *b.first()?;
        if tag & 0x1f == 0x1f || depth > MAX_DER_DEPTH {
            return None;
        }
        let first = *b.get(1)? as usize;
        let (len, header) = if first < 0x80 {
            (first, 2)
        } else {
            let n = first & 0x7f;
            if n == 0 || n > 4 {
                return None;
            }
            let len = b
                .get(2..2 + n)?
                .iter()
                .fold(0usize, |acc, x| (acc << 8) | *x as usize);
            (len, 2 + n)
        };
        let end = header.checked_add(len)?;
        let content = b.get(header..end)?;
        if tag & 0x20 != 0 && !tlvs(content, depth + 1) {
            return None;
        }
        Some(end)
    }
    bytes.len() <= MAX_MESSAGE_LEN && tlv(bytes, 0) == Some(bytes.len())
}

/// An INTEGER of `v` (minimal two's complement).
pub fn encode_i32(v: i32) -> IntegerAsn1 {
    IntegerAsn1::from_bytes_be_signed(v.to_be_bytes().to_vec())
}

/// An INTEGER that fits 32 bits, signed (Windows sends negative kvno and
/// sequence numbers) or unsigned (nonces up to 2^32-1, read as their i32
/// bit pattern).
pub fn decode_i32(i: &IntegerAsn1) -> Option<i32> {
    let b = i.as_signed_bytes_be();
    let b = if b.len() == 5 && b[0] == 0 {
        &b[1..]
    } else {
        b
    };
    if b.is_empty() || b.len() > 4 {
        return None;
    }
    let fill = if b[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut buf = [fill; 4];
    buf[4 - b.len()..].copy_from_slice(b);
    Some(i32::from_be_bytes(buf))
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// KerberosTime of `secs` since the epoch (clamped to years 1970..9999).
pub fn kerberos_time(secs: i64) -> GeneralizedTimeAsn1 {
    let secs = secs.clamp(0, 253_402_300_799);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let date = GeneralizedTime::new(
        y as u16,
        m as u8,
        d as u8,
        (s / 3600) as u8,
        (s / 60 % 60) as u8,
        (s % 60) as u8,
    )
    .unwrap_or_else(|| GeneralizedTime::new(1970, 1, 1, 0, 0, 0).expect("valid date"));
    GeneralizedTimeAsn1(date)
}

/// Seconds since the epoch of a KerberosTime.
pub fn unix_time(t: &GeneralizedTimeAsn1) -> i64 {
    let d = &t.0;
    days_from_civil(d.year() as i64, d.month() as i64, d.day() as i64) * 86_400
        + d.hour() as i64 * 3600
        + d.minute() as i64 * 60
        + d.second() as i64
}

/// Seconds since the epoch now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// KerberosFlags of 32 bits, bit 0 the most significant (RFC 4120 §5.2.8).
pub fn flags(bits: u32) -> BitStringAsn1 {
    BitStringAsn1(BitString::with_bytes(bits.to_be_bytes().to_vec()))
}

/// The first 32 bits of KerberosFlags (missing bits are 0).
pub fn flags_u32(f: &BitStringAsn1) -> u32 {
    let p = f.0.payload_view();
    let mut b = [0u8; 4];
    let n = p.len().min(4);
    b[..n].copy_from_slice(&p[..n]);
    u32::from_be_bytes(b)
}

/// KDCOptions and TicketFlags bits (RFC 4120 §5.4.1, §5.3; RFC 6806 §11).
pub mod kdc_options {
    pub const FORWARDABLE: u32 = 1 << 30;
    pub const FORWARDED: u32 = 1 << 29;
    pub const PROXIABLE: u32 = 1 << 28;
    pub const RENEWABLE: u32 = 1 << 23;
    pub const CANONICALIZE: u32 = 1 << 16;
    pub const RENEWABLE_OK: u32 = 1 << 4;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_shapes() {
        assert!(der_well_formed(&[0x30, 0x03, 0x02, 0x01, 0x05]));
        assert!(der_well_formed(&[0x04, 0x81, 0x01, 0xaa]));
        // The fuzzer's 9-byte length, an indefinite length, trailing bytes,
        // a content longer than its container, a high tag number.
        assert!(!der_well_formed(&[
            0x01, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
        ]));
        assert!(!der_well_formed(&[0x30, 0x80, 0x00, 0x00]));
        assert!(!der_well_formed(&[0x02, 0x01, 0x05, 0x00]));
        assert!(!der_well_formed(&[0x30, 0x03, 0x04, 0x05, 0x00]));
        assert!(!der_well_formed(&[0x1f, 0x01, 0x00]));
        let mut deep = Vec::new();
        for _ in 0..40 {
            let mut outer = vec![0x30, deep.len() as u8];
            outer.extend_from_slice(&deep);
            deep = outer;
        }
        assert!(!der_well_formed(&deep));
    }

    #[test]
    fn integers() {
        for v in [0, 1, 127, 128, -1, -128, -129, i32::MAX, i32::MIN] {
            assert_eq!(decode_i32(&encode_i32(v)), Some(v));
        }
        assert_eq!(
            decode_i32(&IntegerAsn1(vec![0, 0xff, 0xff, 0xff, 0xff])),
            Some(-1)
        );
        assert_eq!(decode_i32(&IntegerAsn1(vec![1, 0, 0, 0, 0])), None);
    }

    #[test]
    fn times() {
        for t in [0, 951_782_400, 1_764_900_000, 4_102_444_799] {
            assert_eq!(unix_time(&kerberos_time(t)), t);
        }
        let d = kerberos_time(951_782_400).0; // 2000-02-29
        assert_eq!((d.year(), d.month(), d.day()), (2000, 2, 29));
    }

    #[test]
    fn flag_bits() {
        let f = flags(kdc_options::FORWARDABLE | kdc_options::CANONICALIZE);
        assert_eq!(f.0.payload_view(), &[0x40, 0x01, 0x00, 0x00]);
        assert_eq!(flags_u32(&f), 0x4001_0000);
    }
}
