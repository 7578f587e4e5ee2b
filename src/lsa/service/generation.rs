//! The service's change counter: a u64 in a small file of the socket
//! directory (`lsad.gen`, mode 0600, in the private directory), mapped
//! shared by the service (read-write) and read by its clients with
//! `pread` (never mapped by a client: a file truncated under a mapping
//! would kill the client with `SIGBUS`; a failed or short read just
//! means "changed", so nothing is used from the cache). The
//! service adds one after every change of a session or of the current
//! session (before it answers), and once when it starts (the file outlives
//! a service, so a replaced service is a change too). A client caches
//! what it read from the service with the counter it saw before asking,
//! and uses the cache only while the counter still has that value: no
//! round trip, and a logoff by any process takes effect at once.
//!
//! What a client caches is no secret (names and LUIDs; no NT OWF ever
//! reaches a client), and every credential operation is still checked by
//! the service: a process of the same uid that writes the file can only
//! make its own uid's clients ask again, or use a session the service then
//! refuses.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

/// The counter's file name in the socket directory.
pub const GENERATION_NAME: &str = "lsad.gen";
const LEN: usize = std::mem::size_of::<u64>();

/// The counter: the service's mapping, or a client's open file.
pub struct Generation {
    ptr: Option<NonNull<AtomicU64>>,
    file: File,
}

// SAFETY: the mapping is never unmapped while the value lives and is only
// accessed through the atomic; `File` is Send.
unsafe impl Send for Generation {}
// SAFETY: as above; `AtomicU64` and `File` are `Sync`.
unsafe impl Sync for Generation {}

impl Generation {
    /// The service's side: open (or create) the counter of `dir`, map it
    /// read-write, and count the start as a change.
    pub fn create(dir: &Path) -> io::Result<Generation> {
        let f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(dir.join(GENERATION_NAME))?;
        if f.metadata()?.len() < LEN as u64 {
            f.set_len(LEN as u64)?;
        }
        let g = Self::map(f)?;
        g.bump();
        Ok(g)
    }

    /// A client's side: open the counter of `dir` for reading. Refused
    /// unless it is a regular file of this uid, large enough.
    pub fn open(dir: &Path, uid: u32) -> io::Result<Generation> {
        let f = File::options()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(dir.join(GENERATION_NAME))?;
        let m = f.metadata()?;
        if !m.file_type().is_file() || m.uid() != uid || m.len() < LEN as u64 {
            return Err(io::Error::other("lsad.gen: not the service's counter"));
        }
        Ok(Generation { ptr: None, file: f })
    }

    fn map(f: File) -> io::Result<Generation> {
        // SAFETY: a new shared mapping of LEN bytes of the open file `f`
        // (at least LEN bytes long); the kernel picks the address.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        match NonNull::new(p.cast()) {
            Some(ptr) => Ok(Generation {
                ptr: Some(ptr),
                file: f,
            }),
            None => Err(io::Error::other("mmap returned null")),
        }
    }

    fn atomic(&self) -> Option<&AtomicU64> {
        // SAFETY: `ptr` is a live, page-aligned mapping of LEN bytes
        // (never unmapped while `self` lives), so it is valid and aligned
        // for an AtomicU64; all access to it goes through atomics.
        self.ptr.map(|p| unsafe { &*p.as_ptr() })
    }

    /// The counter now; `None` when it cannot be read (a client then
    /// trusts nothing it cached).
    pub fn load(&self) -> Option<u64> {
        if let Some(a) = self.atomic() {
            return Some(a.load(Ordering::Acquire));
        }
        let mut b = [0u8; LEN];
        self.file.read_exact_at(&mut b, 0).ok()?;
        Some(u64::from_ne_bytes(b))
    }

    /// Count a change (the service, after applying it).
    pub fn bump(&self) {
        if let Some(a) = self.atomic() {
            a.fetch_add(1, Ordering::AcqRel);
        }
    }
}

impl Drop for Generation {
    fn drop(&mut self) {
        if let Some(p) = self.ptr {
            // SAFETY: the mapping `map` created, unmapped once; nothing
            // borrows it past `self`.
            unsafe { libc::munmap(p.as_ptr().cast(), LEN) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_see_every_change_and_a_new_service() {
        let d = std::env::temp_dir().join(format!("opensspi-gen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir(&d).unwrap();
        let uid = crate::lsa::store::keyring::current_uid();
        assert!(Generation::open(&d, uid).is_err(), "no service yet");
        let svc = Generation::create(&d).unwrap();
        let client = Generation::open(&d, uid).unwrap();
        let seen = client.load().unwrap();
        svc.bump();
        assert_eq!(client.load(), Some(seen + 1));
        drop(svc);
        // A service started later counts its start.
        let again = Generation::create(&d).unwrap();
        assert_eq!(client.load(), Some(seen + 2));
        drop(again);
        // Truncated under a client: no SIGBUS, just "unknown".
        std::fs::File::options()
            .write(true)
            .open(d.join(GENERATION_NAME))
            .unwrap()
            .set_len(0)
            .unwrap();
        assert_eq!(client.load(), None);
        // Someone else's file, or a link, is refused.
        assert!(Generation::open(&d, uid + 1).is_err());
        std::os::unix::fs::symlink(d.join(GENERATION_NAME), d.join("link")).unwrap();
        std::fs::rename(d.join("link"), d.join(GENERATION_NAME)).unwrap();
        assert!(Generation::open(&d, uid).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
