//! What MIT's ccache and keytab file codecs share: a bounds-checked reader
//! in either byte order, the error type, and the key and principal values.

use zeroize::Zeroizing;

/// Why a ccache or keytab file could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("file ends inside a record")]
    Truncated,
    #[error("unsupported file format version 0x{0:04x}")]
    BadVersion(u16),
    #[error("malformed file: {0}")]
    Malformed(&'static str),
    #[error("unsupported {kind} type in {name:?}")]
    UnsupportedType { kind: &'static str, name: String },
    #[error("{0}")]
    Io(String),
}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> Self {
        FileError::Io(e.to_string())
    }
}

pub type FileResult<T> = Result<T, FileError>;

/// A key as MIT stores it: enctype number and key bytes (wiped on drop,
/// never shown by `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    pub enctype: i32,
    pub bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("enctype", &self.enctype)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// A principal name (RFC 4120 5.2.2 PrincipalName plus realm).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    pub name_type: i32,
    pub realm: String,
    pub components: Vec<String>,
}

impl Principal {
    /// `comp1/comp2@REALM` (name type 1, KRB5_NT_PRINCIPAL).
    pub fn parse(name: &str) -> Principal {
        let (name, realm) = name.rsplit_once('@').unwrap_or((name, ""));
        Principal {
            name_type: 1,
            realm: realm.to_string(),
            components: name.split('/').map(str::to_string).collect(),
        }
    }
}

/// `comp1/comp2@REALM`, as `klist` shows it (`/`, `@` and `\` escaped).
impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let esc = |s: &str, realm: bool| -> String {
            let mut o = String::with_capacity(s.len());
            for c in s.chars() {
                match c {
                    '/' if !realm => o.push_str("\\/"),
                    '@' | '\\' => {
                        o.push('\\');
                        o.push(c)
                    }
                    '\n' => o.push_str("\\n"),
                    '\t' => o.push_str("\\t"),
                    '\0' => o.push_str("\\0"),
                    _ => o.push(c),
                }
            }
            o
        };
        let comps: Vec<String> = self.components.iter().map(|c| esc(c, false)).collect();
        write!(f, "{}@{}", comps.join("/"), esc(&self.realm, true))
    }
}

/// A bounds-checked reader; every read past the end is [`FileError::Truncated`].
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    big_endian: bool,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], big_endian: bool) -> Self {
        Reader {
            buf,
            pos: 0,
            big_endian,
        }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn bytes(&mut self, n: usize) -> FileResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(FileError::Truncated);
        }
        let b = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> FileResult<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        if !self.big_endian {
            a.reverse();
        }
        Ok(a)
    }

    pub fn u8(&mut self) -> FileResult<u8> {
        Ok(self.bytes(1)?[0])
    }

    pub fn u16(&mut self) -> FileResult<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> FileResult<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub fn string(&mut self, n: usize) -> FileResult<String> {
        String::from_utf8(self.bytes(n)?.to_vec())
            .map_err(|_| FileError::Malformed("name is not UTF-8"))
    }
}

/// The writing side of [`Reader`].
pub(crate) struct Writer {
    pub buf: Vec<u8>,
    big_endian: bool,
}

impl Writer {
    pub fn new(big_endian: bool) -> Self {
        Writer {
            buf: Vec::new(),
            big_endian,
        }
    }

    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn u16(&mut self, v: u16) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    pub fn u32(&mut self, v: u32) {
        let b = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
}

/// Write `bytes` as a new file at `path` the way MIT replaces a cache:
/// to a temporary file in the same directory (mode 0600, created fresh),
/// synced, then renamed over `path`, so a reader sees the old file or the
/// new one, never a half-written one.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> FileResult<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .ok_or(FileError::Malformed("path names no file"))?;
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).map_err(|e| FileError::Io(e.to_string()))?;
    let tmp = dir.join(format!(
        ".{}.{}",
        name.to_string_lossy(),
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(result?)
}

/// The real user id, which MIT's `%{uid}` path token and default cache
/// name use (a set-uid program finds its caller's cache, as with MIT).
pub fn real_uid() -> u32 {
    // SAFETY: getuid(2) has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// Lock a whole file the way MIT krb5 does on Linux (`krb5_lock_file`:
/// an open-file-description `fcntl` lock, `F_OFD_SETLKW`), waiting for it;
/// released when `file` is closed. `std::fs::File::lock` takes `flock`
/// locks, which do not exclude MIT's `fcntl` locks, so it is not used.
pub fn lock_file(file: &std::fs::File, exclusive: bool) -> FileResult<()> {
    use std::os::fd::AsRawFd;
    let mut fl: libc::flock = libc::flock {
        l_type: if exclusive {
            libc::F_WRLCK
        } else {
            libc::F_RDLCK
        } as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    loop {
        // SAFETY: `file` is an open descriptor for the duration of the call
        // and `fl` a valid, initialised `struct flock` (l_pid 0, as OFD
        // locks require) that fcntl only reads and writes within.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLKW, &mut fl) };
        if rc == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_display_escapes_like_klist() {
        let p = Principal::parse("host/localhost@EXAMPLE.TEST");
        assert_eq!(p.components, ["host", "localhost"]);
        assert_eq!(p.to_string(), "host/localhost@EXAMPLE.TEST");
        let odd = Principal {
            name_type: 1,
            realm: "R".into(),
            components: vec!["a@b".into(), "c/d".into()],
        };
        assert_eq!(odd.to_string(), "a\\@b/c\\/d@R");
    }

    #[test]
    fn key_debug_hides_the_bytes() {
        let k = Key {
            enctype: 18,
            bytes: Zeroizing::new(vec![0xab; 32]),
        };
        let d = format!("{k:?}");
        assert!(!d.contains("171") && !d.contains("ab"), "{d}");
    }
}
