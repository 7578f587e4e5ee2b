//! A reader of MS-RPCE type serialization version 1 (MS-RPCE §2.2.6: the
//! 8-byte common header, version 1, little-endian, and the 8-byte private
//! header with the object's length) and of the NDR 2.0 primitives the
//! PAC's structures use (C706 §14: alignment to the primitive's size,
//! conformant and varying arrays, unique pointers as 4-byte referents).
//! Every count is checked against the bytes left before anything is
//! allocated for it.

use super::{utf16le, PacError};
use crate::lsa::session::Sid;

/// An RPC_UNICODE_STRING's inline part (MS-DTYP §2.3.10): Length and
/// MaximumLength in bytes, and the referent of its Buffer.
#[derive(Debug, Clone, Copy)]
pub struct UnicodeStringHeader {
    pub length: u16,
    pub maximum_length: u16,
    pub referent: u32,
}

pub struct NdrReader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> NdrReader<'a> {
    /// The top-level object of a type-serialized buffer, after its common
    /// and private headers.
    pub fn serialized(b: &'a [u8]) -> Result<Self, PacError> {
        let m = PacError::Malformed;
        // Version 1, little-endian (0x10), CommonHeaderLength 8.
        if b.get(..4) != Some(&[0x01, 0x10, 0x08, 0x00][..]) {
            return Err(m);
        }
        let len = super::le_u32(b, 8).ok_or(m)? as usize;
        let data = b.get(16..16usize.checked_add(len).ok_or(m)?).ok_or(m)?;
        Ok(NdrReader { data, at: 0 })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PacError> {
        let end = self.at.checked_add(n).ok_or(PacError::Malformed)?;
        let s = self.data.get(self.at..end).ok_or(PacError::Malformed)?;
        self.at = end;
        Ok(s)
    }

    /// Skips to the next multiple of `n` (from the start of the object).
    pub fn align(&mut self, n: usize) -> Result<(), PacError> {
        let pad = (n - self.at % n) % n;
        self.take(pad).map(|_| ())
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.at
    }

    pub fn u8(&mut self) -> Result<u8, PacError> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16, PacError> {
        self.align(2)?;
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self) -> Result<u32, PacError> {
        self.align(4)?;
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A FILETIME (two ULONGs, low first).
    pub fn filetime(&mut self) -> Result<u64, PacError> {
        let low = self.u32()? as u64;
        let high = self.u32()? as u64;
        Ok(high << 32 | low)
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], PacError> {
        self.take(n)
    }

    pub fn unicode_string_header(&mut self) -> Result<UnicodeStringHeader, PacError> {
        Ok(UnicodeStringHeader {
            length: self.u16()?,
            maximum_length: self.u16()?,
            referent: self.u32()?,
        })
    }

    /// The deferred Buffer of an RPC_UNICODE_STRING (a conformant varying
    /// array of WCHAR: MaximumCount, Offset 0, ActualCount = Length / 2,
    /// at most MaximumCount); empty when its referent is null.
    pub fn unicode_string(&mut self, h: UnicodeStringHeader) -> Result<String, PacError> {
        let m = PacError::Malformed;
        if h.referent == 0 {
            return if h.length == 0 {
                Ok(String::new())
            } else {
                Err(m)
            };
        }
        let max = self.u32()?;
        let offset = self.u32()?;
        let actual = self.u32()?;
        if offset != 0 || actual > max || actual as usize * 2 != h.length as usize {
            return Err(m);
        }
        utf16le(self.bytes(actual as usize * 2)?)
    }

    /// A conformant array's MaximumCount, which must be `count`, with
    /// room for `count` elements of `size` bytes.
    pub fn conformance(&mut self, count: u32, size: usize) -> Result<usize, PacError> {
        let max = self.u32()?;
        let n = count as usize;
        if max != count
            || n.checked_mul(size)
                .is_none_or(|total| total > self.remaining())
        {
            return Err(PacError::Malformed);
        }
        Ok(n)
    }

    /// A deferred RPC_SID (MS-DTYP §2.4.2.3): the conformant
    /// SubAuthorityCount, then Revision 1, SubAuthorityCount (the same,
    /// at most 15), IdentifierAuthority and the SubAuthority array.
    pub fn sid(&mut self) -> Result<Sid, PacError> {
        let m = PacError::Malformed;
        let max = self.u32()?;
        let head = self.bytes(8)?;
        if head[1] as u32 != max {
            return Err(m);
        }
        let subs = self.bytes(4 * head[1] as usize)?;
        Sid::from_bytes(&[head, subs].concat()).ok_or(m)
    }
}
