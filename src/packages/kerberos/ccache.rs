//! MIT FILE credential caches ("ccache file format" of MIT krb5's
//! documentation): versions 3 and 4 read, version 4 written. All integers
//! big-endian.
//!
//! `05 0v`, then (version 4 only) a header: 16-bit length and tag/length/
//! value fields (tag 1: the KDC time offset, two 32-bit integers); the
//! default principal (32-bit name type, 32-bit count, realm and components
//! as 32-bit length + bytes); credentials until the end of the file:
//! client, server, keyblock (16-bit enctype, given twice in version 3;
//! 32-bit length + key), authtime, starttime, endtime, renew_till (32 bits
//! each), is_skey (8), ticket flags (32), addresses and authdata (32-bit
//! count of 16-bit type + data), ticket and second ticket (data, kept as
//! opaque DER). Configuration entries (server realm `X-CACHECONF:`) are
//! credentials like the others and are kept when a cache is rewritten.
//!
//! The cache in force ([`default_ccache_name`]): `KRB5CCNAME` (`FILE:path`,
//! a path, `DIR:dir` whose `primary` file names the current `tkt*` file,
//! `DIR::path`), else `FILE:/tmp/krb5cc_<uid>`. Other types are
//! [`FileError::UnsupportedType`].

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::filecodec::{
    lock_file, write_atomically, FileError, FileResult, Key, Principal, Reader, Writer,
};

pub const CCACHE_V3: u16 = 0x0503;
pub const CCACHE_V4: u16 = 0x0504;

/// Header tag of the KDC time offset (version 4).
pub const TAG_KDC_OFFSET: u16 = 1;

/// The realm of configuration entries' server principals.
pub const CONF_REALM: &str = "X-CACHECONF:";
/// The first component of configuration entries' server principals.
pub const CONF_NAME: &str = "krb5_ccache_conf_data";

/// A typed value (an address or an authorization-data element).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    pub kind: u16,
    pub data: Vec<u8>,
}

/// One credential (or configuration entry) of a cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub client: Principal,
    pub server: Principal,
    /// The session key.
    pub key: Key,
    pub authtime: u32,
    pub starttime: u32,
    pub endtime: u32,
    pub renew_till: u32,
    pub is_skey: bool,
    /// RFC 4120 TicketFlags, bit 0 (reserved) the most significant.
    pub ticket_flags: u32,
    pub addresses: Vec<Typed>,
    pub authdata: Vec<Typed>,
    /// The Ticket, DER-encoded (a configuration entry's value).
    pub ticket: Vec<u8>,
    pub second_ticket: Vec<u8>,
}

impl Credential {
    /// Whether this is a configuration entry, not a ticket.
    pub fn is_config(&self) -> bool {
        self.server.realm == CONF_REALM
            && self
                .server
                .components
                .first()
                .is_some_and(|c| c == CONF_NAME)
    }
}

/// A credential cache file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ccache {
    /// [`CCACHE_V3`] or [`CCACHE_V4`] as read; [`Ccache::encode`] writes 4.
    pub version: u16,
    /// KDC time minus local time (seconds, microseconds), version 4 tag 1.
    pub kdc_offset: Option<(i32, i32)>,
    /// Header fields with other tags, kept as read.
    pub other_tags: Vec<Typed>,
    pub default_principal: Principal,
    pub credentials: Vec<Credential>,
}

fn read_data<'a>(r: &mut Reader<'a>) -> FileResult<&'a [u8]> {
    let n = r.u32()? as usize;
    r.bytes(n)
}

fn read_principal(r: &mut Reader) -> FileResult<Principal> {
    let name_type = r.u32()? as i32;
    let count = r.u32()? as usize;
    let realm = read_string(r)?;
    let mut components = Vec::with_capacity(count.min(16));
    for _ in 0..count {
        components.push(read_string(r)?);
    }
    Ok(Principal {
        name_type,
        realm,
        components,
    })
}

fn read_string(r: &mut Reader) -> FileResult<String> {
    let n = r.u32()? as usize;
    r.string(n)
}

fn read_typed_list(r: &mut Reader) -> FileResult<Vec<Typed>> {
    let count = r.u32()? as usize;
    let mut v = Vec::with_capacity(count.min(16));
    for _ in 0..count {
        let kind = r.u16()?;
        v.push(Typed {
            kind,
            data: read_data(r)?.to_vec(),
        });
    }
    Ok(v)
}

fn read_credential(r: &mut Reader, version: u16) -> FileResult<Credential> {
    let client = read_principal(r)?;
    let server = read_principal(r)?;
    if version == CCACHE_V3 {
        r.u16()?; // the keytype, repeated before the enctype in version 3
    }
    let enctype = r.u16()? as i32;
    let bytes = Zeroizing::new(read_data(r)?.to_vec());
    Ok(Credential {
        client,
        server,
        key: Key { enctype, bytes },
        authtime: r.u32()?,
        starttime: r.u32()?,
        endtime: r.u32()?,
        renew_till: r.u32()?,
        is_skey: r.u8()? != 0,
        ticket_flags: r.u32()?,
        addresses: read_typed_list(r)?,
        authdata: read_typed_list(r)?,
        ticket: read_data(r)?.to_vec(),
        second_ticket: read_data(r)?.to_vec(),
    })
}

fn write_data(w: &mut Writer, b: &[u8]) {
    w.u32(b.len() as u32);
    w.bytes(b);
}

fn write_principal(w: &mut Writer, p: &Principal) {
    w.u32(p.name_type as u32);
    w.u32(p.components.len() as u32);
    write_data(w, p.realm.as_bytes());
    for c in &p.components {
        write_data(w, c.as_bytes());
    }
}

fn write_typed_list(w: &mut Writer, list: &[Typed]) {
    w.u32(list.len() as u32);
    for t in list {
        w.u16(t.kind);
        write_data(w, &t.data);
    }
}

/// A credential encoded for a file of `version` (3 or 4).
pub fn encode_credential(c: &Credential, version: u16) -> Zeroizing<Vec<u8>> {
    let mut w = Writer::new(true);
    write_principal(&mut w, &c.client);
    write_principal(&mut w, &c.server);
    if version == CCACHE_V3 {
        w.u16(c.key.enctype as u16);
    }
    w.u16(c.key.enctype as u16);
    write_data(&mut w, &c.key.bytes);
    for t in [c.authtime, c.starttime, c.endtime, c.renew_till] {
        w.u32(t);
    }
    w.u8(c.is_skey as u8);
    w.u32(c.ticket_flags);
    write_typed_list(&mut w, &c.addresses);
    write_typed_list(&mut w, &c.authdata);
    write_data(&mut w, &c.ticket);
    write_data(&mut w, &c.second_ticket);
    Zeroizing::new(w.buf)
}

/// One credential as [`encode_credential`] wrote it for `version`, and
/// nothing after it (the LSA keeps a session's tickets in this form).
pub fn decode_credential(bytes: &[u8], version: u16) -> FileResult<Credential> {
    let mut r = Reader::new(bytes, true);
    let c = read_credential(&mut r, version)?;
    if r.remaining() != 0 {
        return Err(FileError::Malformed("bytes after the credential"));
    }
    Ok(c)
}

impl Ccache {
    /// An empty version 4 cache for `default_principal`.
    pub fn new(default_principal: Principal) -> Ccache {
        Ccache {
            version: CCACHE_V4,
            kdc_offset: None,
            other_tags: Vec::new(),
            default_principal,
            credentials: Vec::new(),
        }
    }

    /// Decode a cache file. A file cut inside any field is an error.
    pub fn parse(data: &[u8]) -> FileResult<Ccache> {
        let mut r = Reader::new(data, true);
        let version = r.u16()?;
        if version != CCACHE_V3 && version != CCACHE_V4 {
            return Err(FileError::BadVersion(version));
        }
        let mut kdc_offset = None;
        let mut other_tags = Vec::new();
        if version == CCACHE_V4 {
            let n = r.u16()? as usize;
            let mut h = Reader::new(r.bytes(n)?, true);
            while h.remaining() > 0 {
                let tag = h.u16()?;
                let n = h.u16()? as usize;
                let value = h.bytes(n)?;
                match tag {
                    TAG_KDC_OFFSET if n == 8 => {
                        let mut v = Reader::new(value, true);
                        kdc_offset = Some((v.u32()? as i32, v.u32()? as i32));
                    }
                    _ => other_tags.push(Typed {
                        kind: tag,
                        data: value.to_vec(),
                    }),
                }
            }
        }
        let default_principal = read_principal(&mut r)?;
        let mut credentials = Vec::new();
        while r.remaining() > 0 {
            credentials.push(read_credential(&mut r, version)?);
        }
        Ok(Ccache {
            version,
            kdc_offset,
            other_tags,
            default_principal,
            credentials,
        })
    }

    /// The header and default principal of a version 4 file.
    fn encode_head(&self) -> Vec<u8> {
        let mut h = Writer::new(true);
        if let Some((s, us)) = self.kdc_offset {
            h.u16(TAG_KDC_OFFSET);
            h.u16(8);
            h.u32(s as u32);
            h.u32(us as u32);
        }
        for t in &self.other_tags {
            h.u16(t.kind);
            h.u16(t.data.len() as u16);
            h.bytes(&t.data);
        }
        let mut w = Writer::new(true);
        w.u16(CCACHE_V4);
        w.u16(h.buf.len() as u16);
        w.bytes(&h.buf);
        write_principal(&mut w, &self.default_principal);
        w.buf
    }

    /// Encode as a version 4 file (configuration entries included).
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(self.encode_head());
        for c in &self.credentials {
            out.extend_from_slice(&encode_credential(c, CCACHE_V4));
        }
        out
    }

    /// The tickets (configuration entries left out, as `klist` does).
    pub fn tickets(&self) -> impl Iterator<Item = &Credential> {
        self.credentials.iter().filter(|c| !c.is_config())
    }

    /// The value of configuration entry `key` (for `principal` when given).
    pub fn config(&self, key: &str, principal: Option<&str>) -> Option<&[u8]> {
        self.credentials
            .iter()
            .filter(|c| c.is_config())
            .find(|c| {
                let comps = &c.server.components;
                comps.get(1).is_some_and(|k| k == key)
                    && comps.get(2).map(String::as_str) == principal
            })
            .map(|c| &c.ticket[..])
    }

    /// Read and decode a cache file (under a shared lock, as MIT does).
    pub fn read(path: &Path) -> FileResult<Ccache> {
        let mut f = File::open(path)?;
        lock_file(&f, false)?;
        let mut data = Zeroizing::new(Vec::new());
        f.read_to_end(&mut data)?;
        Ccache::parse(&data)
    }

    /// Replace (or create) the file at `path` with this cache: written to a
    /// temporary file (mode 0600) and renamed over it.
    pub fn write(&self, path: &Path) -> FileResult<()> {
        write_atomically(path, &self.encode())
    }
}

/// Add `cred` at the end of the cache file at `path`, the way MIT's FILE
/// cache stores a credential (so `klist` lists it): the file is opened,
/// locked exclusively, its version read to pick the keyblock encoding,
/// and the credential written after the last one.
pub fn append_credential(path: &Path, cred: &Credential) -> FileResult<()> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    lock_file(&f, true)?;
    let mut head = [0u8; 2];
    f.read_exact(&mut head).map_err(|_| FileError::Truncated)?;
    let version = u16::from_be_bytes(head);
    if version != CCACHE_V3 && version != CCACHE_V4 {
        return Err(FileError::BadVersion(version));
    }
    f.seek(SeekFrom::End(0))?;
    f.write_all(&encode_credential(cred, version))?;
    f.sync_data()?;
    Ok(())
}

/// Where a cache name points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcacheLocation {
    /// The cache file.
    pub path: PathBuf,
    /// The `DIR:` collection directory it belongs to, if any.
    pub collection: Option<PathBuf>,
}

/// Resolve a cache name: `FILE:path` or a plain path, `DIR:dir` (the file
/// named by `dir/primary`, `tkt` when there is none), `DIR::path`.
pub fn resolve_ccache_name(name: &str) -> FileResult<CcacheLocation> {
    let file = |p: &str| CcacheLocation {
        path: PathBuf::from(p),
        collection: None,
    };
    let unsupported = || FileError::UnsupportedType {
        kind: "credential cache",
        name: name.to_string(),
    };
    let Some((kind, rest)) = name.split_once(':').filter(|_| !name.starts_with('/')) else {
        return match name.is_empty() {
            true => Err(FileError::Malformed("empty credential cache name")),
            false => Ok(file(name)),
        };
    };
    match kind {
        "FILE" if !rest.is_empty() => Ok(file(rest)),
        "DIR" => {
            if let Some(subsidiary) = rest.strip_prefix(':') {
                let path = PathBuf::from(subsidiary);
                let collection = path.parent().map(Path::to_path_buf);
                return Ok(CcacheLocation { path, collection });
            }
            if rest.is_empty() {
                return Err(FileError::Malformed("DIR: without a directory"));
            }
            let dir = PathBuf::from(rest);
            let primary = read_primary(&dir)?;
            Ok(CcacheLocation {
                path: dir.join(primary),
                collection: Some(dir),
            })
        }
        _ => Err(unsupported()),
    }
}

/// The name in `dir/primary` (first line), which must be a `tkt*` file
/// name without `/`; `tkt` when the file does not exist (MIT).
fn read_primary(dir: &Path) -> FileResult<String> {
    match std::fs::read_to_string(dir.join("primary")) {
        Ok(text) => {
            let name = text.lines().next().unwrap_or("").to_string();
            if !name.starts_with("tkt") || name.contains('/') {
                return Err(FileError::Malformed("DIR primary file names no tkt file"));
            }
            Ok(name)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok("tkt".into()),
        Err(e) => Err(e.into()),
    }
}

/// The cache name in force: `KRB5CCNAME`, else krb5.conf's
/// `default_ccache_name` (path tokens expanded), else
/// `FILE:/tmp/krb5cc_<uid>` (real uid), as MIT resolves it.
pub fn default_ccache_name() -> FileResult<String> {
    match std::env::var("KRB5CCNAME") {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => match &super::config::config().default_ccache_name {
            Some(name) => super::config::expand_path_tokens(name),
            None => Ok(format!("FILE:/tmp/krb5cc_{}", super::filecodec::real_uid())),
        },
    }
}

#[cfg(test)]
mod tests;
