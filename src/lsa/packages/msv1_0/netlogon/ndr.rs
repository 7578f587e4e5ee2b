//! NDR 2.0 (C706 chapter 14), little-endian, the subset the NETLOGON calls
//! use: aligned primitives, unique pointers, conformant (varying) strings
//! and arrays. The reader is bounds-checked: a hostile reply is an error,
//! never a panic.

use crate::lsa::session::Sid;

/// A malformed NDR stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NdrError;

/// NDR encoder.
#[derive(Default)]
pub struct NdrWriter {
    pub buf: Vec<u8>,
    next_referent: u32,
}

impl NdrWriter {
    pub fn new() -> Self {
        NdrWriter {
            buf: Vec::new(),
            next_referent: 0x0002_0000,
        }
    }

    pub fn align(&mut self, n: usize) {
        while !self.buf.len().is_multiple_of(n) {
            self.buf.push(0);
        }
    }

    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn u16(&mut self, v: u16) {
        self.align(2);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u32(&mut self, v: u32) {
        self.align(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    /// A non-null unique/full pointer's referent id.
    pub fn referent(&mut self) {
        let r = self.next_referent;
        self.next_referent += 4;
        self.u32(r);
    }

    /// `[string] wchar_t*` pointee: conformant varying, NUL included.
    pub fn wstring(&mut self, s: &str) {
        let units: Vec<u16> = s.encode_utf16().chain(std::iter::once(0)).collect();
        self.varying_u16(&units, units.len());
    }

    /// `[unique,string] wchar_t*`.
    pub fn unique_wstring(&mut self, s: &str) {
        self.referent();
        self.wstring(s);
    }

    fn varying_u16(&mut self, units: &[u16], max: usize) {
        self.u32(max as u32);
        self.u32(0);
        self.u32(units.len() as u32);
        for u in units {
            self.buf.extend_from_slice(&u.to_le_bytes());
        }
    }

    /// RPC_UNICODE_STRING's header (Length, MaximumLength, pointer); the
    /// characters follow with [`Self::unicode_deferred`].
    pub fn unicode_header(&mut self, s: &str) {
        let n = (s.encode_utf16().count() * 2) as u16;
        self.u16(n);
        self.u16(n);
        if n == 0 {
            self.u32(0);
        } else {
            self.referent();
        }
    }

    /// RPC_UNICODE_STRING's deferred buffer (none if empty).
    pub fn unicode_deferred(&mut self, s: &str) {
        let units: Vec<u16> = s.encode_utf16().collect();
        if !units.is_empty() {
            self.varying_u16(&units, units.len());
        }
    }

    /// STRING's header (Length, MaximumLength, pointer).
    pub fn string_header(&mut self, b: &[u8]) {
        self.u16(b.len() as u16);
        self.u16(b.len() as u16);
        if b.is_empty() {
            self.u32(0);
        } else {
            self.referent();
        }
    }

    /// STRING's deferred buffer (none if empty).
    pub fn string_deferred(&mut self, b: &[u8]) {
        if !b.is_empty() {
            self.u32(b.len() as u32);
            self.u32(0);
            self.u32(b.len() as u32);
            self.bytes(b);
        }
    }
}

/// NDR decoder over a borrowed stub.
pub struct NdrReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

pub type NdrResult<T> = Result<T, NdrError>;

impl<'a> NdrReader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        NdrReader { buf, pos: 0 }
    }

    pub fn align(&mut self, n: usize) -> NdrResult<()> {
        let pad = (n - self.pos % n) % n;
        self.take(pad).map(|_| ())
    }

    pub fn take(&mut self, n: usize) -> NdrResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(NdrError)?;
        let s = self.buf.get(self.pos..end).ok_or(NdrError)?;
        self.pos = end;
        Ok(s)
    }

    pub fn array<const N: usize>(&mut self) -> NdrResult<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    pub fn u8(&mut self) -> NdrResult<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> NdrResult<u16> {
        self.align(2)?;
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> NdrResult<u32> {
        self.align(4)?;
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A conformant array's or string's count, refused past what the
    /// rest of the stub could hold at `unit` bytes each.
    pub fn count(&mut self, unit: usize) -> NdrResult<usize> {
        let n = self.u32()? as usize;
        if n.checked_mul(unit).ok_or(NdrError)? > self.buf.len() - self.pos {
            return Err(NdrError);
        }
        Ok(n)
    }

    /// RPC_UNICODE_STRING's header: (Length in bytes, pointer non-null).
    pub fn unicode_header(&mut self) -> NdrResult<(u16, bool)> {
        let len = self.u16()?;
        let max = self.u16()?;
        let ptr = self.u32()?;
        if len > max || len % 2 != 0 {
            return Err(NdrError);
        }
        Ok((len, ptr != 0))
    }

    /// RPC_UNICODE_STRING's deferred characters for a header read with
    /// [`Self::unicode_header`].
    pub fn unicode_deferred(&mut self, header: (u16, bool)) -> NdrResult<String> {
        if !header.1 {
            return Ok(String::new());
        }
        let _max = self.count(0)?;
        let offset = self.u32()?;
        let actual = self.count(2)?;
        if offset != 0 || actual * 2 != header.0 as usize {
            return Err(NdrError);
        }
        let raw = self.take(actual * 2)?;
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).map_err(|_| NdrError)
    }

    /// An RPC_SID pointee (conformant: the count comes first).
    pub fn sid(&mut self) -> NdrResult<Sid> {
        let n = self.count(4)?;
        let revision = self.u8()?;
        let count = self.u8()? as usize;
        let auth = self.take(6)?;
        if count != n || revision != 1 || count > 15 {
            return Err(NdrError);
        }
        let authority = auth.iter().fold(0u64, |a, b| a << 8 | u64::from(*b));
        let sub_authorities = (0..count).map(|_| self.u32()).collect::<NdrResult<_>>()?;
        Ok(Sid {
            authority,
            sub_authorities,
        })
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
}
