//! The DER subset SPNEGO needs (X.690 §8, §10): definite lengths in their
//! shortest form, low tag numbers, one value per read. The reader borrows
//! from the token and never panics; anything else is SEC_E_INVALID_TOKEN.
//!
//! Written here rather than taken from `picky-krb`: its `NegTokenInit` has no
//! MS-SPNG `negHints` (NegTokenInit2), and its serde decoder does not give
//! back the mechTypes bytes as received, which the mechListMIC covers.

use crate::sspi::{SecResult, SecStatus};

pub const SEQUENCE: u8 = 0x30;
pub const OCTET_STRING: u8 = 0x04;
pub const OBJECT_IDENTIFIER: u8 = 0x06;
pub const ENUMERATED: u8 = 0x0a;
pub const BIT_STRING: u8 = 0x03;
pub const GENERAL_STRING: u8 = 0x1b;
/// `[APPLICATION 0]` constructed: the GSS-API InitialContextToken (RFC 2743 §3.1).
pub const APPLICATION_0: u8 = 0x60;

/// `[n]` constructed, context-specific (explicit tagging).
pub const fn context(n: u8) -> u8 {
    0xa0 | n
}

/// One TLV: its tag, its contents, and the whole encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    pub raw: &'a [u8],
}

/// A cursor over consecutive TLVs.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The tag of the next TLV, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next TLV (any tag).
    pub fn any(&mut self) -> SecResult<Tlv<'a>> {
        let b = self.rest;
        let (&tag, after_tag) = b.split_first().ok_or(SecStatus::InvalidToken)?;
        if tag & 0x1f == 0x1f {
            return Err(SecStatus::InvalidToken); // high tag numbers: never in SPNEGO
        }
        let (&first, after_len) = after_tag.split_first().ok_or(SecStatus::InvalidToken)?;
        let (len, body) = if first < 0x80 {
            (first as usize, after_len)
        } else {
            let n = (first & 0x7f) as usize;
            // 0x80 is the indefinite form (BER only); more than 4 octets
            // exceeds any token; a leading zero or a short length in long
            // form is not DER.
            if n == 0 || n > 4 || after_len.len() < n || after_len[0] == 0 {
                return Err(SecStatus::InvalidToken);
            }
            let len = after_len[..n]
                .iter()
                .fold(0usize, |acc, &d| (acc << 8) | d as usize);
            if len < 0x80 {
                return Err(SecStatus::InvalidToken);
            }
            (len, &after_len[n..])
        };
        let value = body.get(..len).ok_or(SecStatus::InvalidToken)?;
        let used = b.len() - body.len() + len;
        self.rest = &b[used..];
        Ok(Tlv {
            tag,
            value,
            raw: &b[..used],
        })
    }

    /// The next TLV, which must carry `tag`.
    pub fn expect(&mut self, tag: u8) -> SecResult<Tlv<'a>> {
        let t = self.any()?;
        if t.tag != tag {
            return Err(SecStatus::InvalidToken);
        }
        Ok(t)
    }

    /// The next TLV if it carries `tag`.
    pub fn optional(&mut self, tag: u8) -> SecResult<Option<Tlv<'a>>> {
        if self.peek_tag() == Some(tag) {
            self.expect(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Nothing may follow.
    pub fn finish(&self) -> SecResult<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(SecStatus::InvalidToken)
        }
    }
}

/// `[n] EXPLICIT` around exactly one value of type `inner`.
pub fn explicit<'a>(t: Tlv<'a>, inner: u8) -> SecResult<Tlv<'a>> {
    let mut r = Reader::new(t.value);
    let v = r.expect(inner)?;
    r.finish()?;
    Ok(v)
}

/// An OBJECT IDENTIFIER's contents are well formed (X.690 §8.19): at
/// least one octet, each subidentifier minimal and terminated.
pub fn check_oid(value: &[u8]) -> SecResult<()> {
    let last_ends = value.last().is_some_and(|b| b & 0x80 == 0);
    let mut at_start = true;
    for &b in value {
        if at_start && b == 0x80 {
            return Err(SecStatus::InvalidToken);
        }
        at_start = b & 0x80 == 0;
    }
    if last_ends {
        Ok(())
    } else {
        Err(SecStatus::InvalidToken)
    }
}

/// Size of a TLV whose value is `n` bytes long (short-form length below
/// 0x80, else the fewest length bytes).
pub const fn tlv_len(n: usize) -> usize {
    let len_len = if n < 0x80 {
        1
    } else if n < 0x100 {
        2
    } else if n < 0x1_0000 {
        3
    } else if n < 0x100_0000 {
        4
    } else {
        5
    };
    1 + len_len + n
}

/// Append `tag` and the DER length `n` of a value written next (one
/// append: the header is built on the stack).
pub fn put_header(out: &mut Vec<u8>, tag: u8, n: usize) {
    let mut h = [tag, 0, 0, 0, 0, 0];
    let len = if n < 0x80 {
        h[1] = n as u8;
        2
    } else {
        let bytes = (n as u32).to_be_bytes();
        let skip = (n as u32).leading_zeros() as usize / 8;
        h[1] = 0x80 | (4 - skip) as u8;
        h[2..6 - skip].copy_from_slice(&bytes[skip..]);
        6 - skip
    };
    out.extend_from_slice(&h[..len]);
}

/// Append `tag`, the DER length of `value`, and `value`.
pub fn put(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    put_header(out, tag, value.len());
    out.extend_from_slice(value);
}

/// `tag` around `value`, as a new vector.
pub fn wrap(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tlv_len(value.len()));
    put(&mut out, tag, value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_in_shortest_form() {
        for n in [0usize, 1, 127, 128, 255, 256, 65535, 65536] {
            let v = vec![7u8; n];
            let enc = wrap(OCTET_STRING, &v);
            assert_eq!(enc.len(), tlv_len(n));
            let mut r = Reader::new(&enc);
            let t = r.expect(OCTET_STRING).unwrap();
            assert_eq!(t.value.len(), n);
            assert_eq!(t.raw, &enc[..]);
            r.finish().unwrap();
        }
    }

    #[test]
    fn rejects_non_der_lengths() {
        let bad: &[&[u8]] = &[
            &[0x04],                   // no length
            &[0x04, 0x80],             // indefinite
            &[0x04, 0x81, 0x05, 1, 2], // long form for a short length
            &[0x04, 0x82, 0x00, 0x80], // leading zero
            &[0x04, 0x85, 1, 1, 1, 1, 1],
            &[0x04, 0x03, 1, 2], // truncated
            &[0x1f, 0x01, 0x00], // high tag number
        ];
        for b in bad {
            assert_eq!(
                Reader::new(b).any(),
                Err(SecStatus::InvalidToken),
                "{b:02x?}"
            );
        }
    }

    #[test]
    fn oid_contents_are_checked() {
        assert!(check_oid(&[0x2b, 0x06, 0x01]).is_ok());
        assert!(check_oid(&[]).is_err());
        assert!(check_oid(&[0x2b, 0x86]).is_err());
        assert!(check_oid(&[0x2b, 0x80, 0x01]).is_err());
    }
}
