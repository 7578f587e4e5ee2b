//! MIT keytab files ("keytab file format" of MIT krb5's documentation):
//! version 2 (0x0502, big-endian) read and written, version 1 (0x0501, host
//! byte order) read.
//!
//! After the version, signed 32-bit record lengths: a positive length is
//! an entry (possibly shorter than the record), a negative one a deleted
//! entry (a hole, skipped), 0 the end. An entry: principal (16-bit count of
//! components, counting the realm in version 1; realm and components as
//! 16-bit length + bytes; 32-bit name type, absent in version 1),
//! timestamp (32), kvno (8), keyblock (16-bit enctype, 16-bit length,
//! bytes) and, when the record has four more bytes, a 32-bit kvno that
//! supersedes the 8-bit one unless it is 0.
//!
//! The keytab in force is `KRB5_KTNAME` (`FILE:path`, `WRFILE:path` or a
//! path), else krb5.conf's `default_keytab_name`, else [`DEFAULT_KEYTAB`]; [`default_keytab`] caches it by
//! (path, size, mtime), looked at once a second at most.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::filecodec::{write_atomically, FileError, FileResult, Key, Principal, Reader, Writer};
use crate::lsa::watched::Watched;

pub const KEYTAB_V1: u16 = 0x0501;
pub const KEYTAB_V2: u16 = 0x0502;

/// The keytab used when `KRB5_KTNAME` is not set (MIT's built-in default).
pub const DEFAULT_KEYTAB: &str = "/etc/krb5.keytab";

/// One key of a keytab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeytabEntry {
    pub principal: Principal,
    /// Seconds since the epoch when the key was written.
    pub timestamp: u32,
    /// The 32-bit kvno when the file has it, else the 8-bit one.
    pub kvno: u32,
    pub key: Key,
}

/// The live entries of a keytab file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keytab {
    pub entries: Vec<KeytabEntry>,
}

fn read_entry(record: &[u8], version: u16) -> FileResult<KeytabEntry> {
    let mut r = Reader::new(record, version == KEYTAB_V2);
    let mut count = r.u16()? as usize;
    if version == KEYTAB_V1 {
        count = count
            .checked_sub(1)
            .ok_or(FileError::Malformed("principal without realm"))?;
    }
    let n = r.u16()? as usize;
    let realm = r.string(n)?;
    let mut components = Vec::with_capacity(count.min(16));
    for _ in 0..count {
        let n = r.u16()? as usize;
        components.push(r.string(n)?);
    }
    let name_type = if version == KEYTAB_V2 {
        r.u32()? as i32
    } else {
        0
    };
    let timestamp = r.u32()?;
    let kvno8 = r.u8()?;
    let enctype = r.u16()? as i16 as i32;
    let n = r.u16()? as usize;
    let bytes = Zeroizing::new(r.bytes(n)?.to_vec());
    let kvno = match r.remaining() >= 4 {
        true => Some(r.u32()?).filter(|v| *v != 0).unwrap_or(kvno8 as u32),
        false => kvno8 as u32,
    };
    Ok(KeytabEntry {
        principal: Principal {
            name_type,
            realm,
            components,
        },
        timestamp,
        kvno,
        key: Key { enctype, bytes },
    })
}

fn write_entry(w: &mut Writer, e: &KeytabEntry) {
    let p = &e.principal;
    w.u16(p.components.len() as u16);
    for s in std::iter::once(&p.realm).chain(&p.components) {
        w.u16(s.len() as u16);
        w.bytes(s.as_bytes());
    }
    w.u32(p.name_type as u32);
    w.u32(e.timestamp);
    w.u8(e.kvno as u8);
    w.u16(e.key.enctype as u16);
    w.u16(e.key.bytes.len() as u16);
    w.bytes(&e.key.bytes);
    w.u32(e.kvno);
}

impl Keytab {
    /// Decode a keytab file. A file cut inside a record is an error.
    pub fn parse(data: &[u8]) -> FileResult<Keytab> {
        let mut r = Reader::new(data, true);
        let version = r.u16()?;
        if version != KEYTAB_V1 && version != KEYTAB_V2 {
            return Err(FileError::BadVersion(version));
        }
        let mut r = Reader::new(&data[2..], version == KEYTAB_V2);
        let mut entries = Vec::new();
        while r.remaining() > 0 {
            let len = r.u32()? as i32;
            if len == 0 {
                break;
            }
            let record = r.bytes(len.unsigned_abs() as usize)?;
            if len > 0 {
                entries.push(read_entry(record, version)?);
            }
        }
        Ok(Keytab { entries })
    }

    /// Encode as a version 2 file (with the 32-bit kvno, as MIT writes it).
    /// Names and keys longer than 65535 bytes cannot be written.
    pub fn encode(&self) -> FileResult<Zeroizing<Vec<u8>>> {
        let mut out = Writer::new(true);
        out.u16(KEYTAB_V2);
        for e in &self.entries {
            let p = &e.principal;
            let long = std::iter::once(&p.realm)
                .chain(&p.components)
                .any(|s| s.len() > u16::MAX as usize);
            if long
                || p.components.len() > u16::MAX as usize
                || e.key.bytes.len() > u16::MAX as usize
            {
                return Err(FileError::Malformed("field too long for a keytab"));
            }
            let mut w = Writer::new(true);
            write_entry(&mut w, e);
            let record = Zeroizing::new(w.buf);
            out.u32(record.len() as u32);
            out.bytes(&record);
        }
        Ok(Zeroizing::new(out.buf))
    }

    /// The entries for `principal` (realm and components compared
    /// case-sensitively, name type ignored, as MIT does), of `enctype` when
    /// given, of `kvno` when given, else of the highest kvno among them.
    pub fn find(
        &self,
        principal: &Principal,
        kvno: Option<u32>,
        enctype: Option<i32>,
    ) -> Vec<&KeytabEntry> {
        let candidates: Vec<&KeytabEntry> = self
            .entries
            .iter()
            .filter(|e| {
                e.principal.realm == principal.realm
                    && e.principal.components == principal.components
            })
            .filter(|e| enctype.is_none_or(|t| e.key.enctype == t))
            .collect();
        let want = kvno.or_else(|| candidates.iter().map(|e| e.kvno).max());
        candidates
            .into_iter()
            .filter(|e| Some(e.kvno) == want)
            .collect()
    }

    /// Read and decode a keytab file.
    pub fn read(path: &Path) -> FileResult<Keytab> {
        let data = Zeroizing::new(std::fs::read(path)?);
        Keytab::parse(&data)
    }

    /// Replace the file at `path` with this keytab (mode 0600, atomically).
    pub fn write(&self, path: &Path) -> FileResult<()> {
        write_atomically(path, &self.encode()?)
    }
}

/// The path a keytab name designates: `FILE:path`, `WRFILE:path` or a
/// plain path; other types (`MEMORY:`, `KDB:`, ...) are unsupported.
pub fn resolve_keytab_name(name: &str) -> FileResult<PathBuf> {
    match name.split_once(':') {
        Some((kind, path)) if !name.starts_with('/') => match kind {
            "FILE" | "WRFILE" if !path.is_empty() => Ok(PathBuf::from(path)),
            _ => Err(FileError::UnsupportedType {
                kind: "keytab",
                name: name.to_string(),
            }),
        },
        _ if name.is_empty() => Err(FileError::Malformed("empty keytab name")),
        _ => Ok(PathBuf::from(name)),
    }
}

/// The keytab path in force: `KRB5_KTNAME`, else krb5.conf's
/// `default_keytab_name` (path tokens expanded), else [`DEFAULT_KEYTAB`].
pub fn default_keytab_path() -> FileResult<PathBuf> {
    match std::env::var("KRB5_KTNAME") {
        Ok(v) if !v.is_empty() => resolve_keytab_name(&v),
        _ => match &super::config::config().default_keytab_name {
            Some(name) => resolve_keytab_name(&super::config::expand_path_tokens(name)?),
            None => Ok(PathBuf::from(DEFAULT_KEYTAB)),
        },
    }
}

static KEYTAB: Watched<FileResult<PathBuf>, FileResult<Keytab>> = Watched::new();

/// The keytab in force ([`default_keytab_path`]), read again only when its
/// name, size or modification time changed (looked at once a second at
/// most, see [`crate::lsa::watched`]).
pub fn default_keytab() -> Arc<FileResult<Keytab>> {
    KEYTAB.get(default_keytab_path, |path| match path {
        Ok(p) => (Keytab::read(p), vec![p.clone()]),
        Err(e) => (Err(e.clone()), Vec::new()),
    })
}

/// Make the next [`default_keytab`] look at `KRB5_KTNAME` and the file at once.
pub fn recheck_keytab() {
    KEYTAB.recheck();
}

#[cfg(test)]
mod tests;
