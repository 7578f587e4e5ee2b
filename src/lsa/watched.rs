//! A value loaded from files and re-read when they change: the shape of the
//! account database cache ([`super::accounts::database`]) for other files
//! (keytab, krb5.conf). The names in force (an environment variable) and
//! each file's size and modification time are looked at once per
//! [`RECHECK_INTERVAL`] at most; in between the cached value is handed out
//! under a shared read lock, so a handshake does no file I/O.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use once_cell::sync::Lazy;
use parking_lot::RwLock;

/// How long a [`Watched`] value is trusted before its files are looked at again.
pub const RECHECK_INTERVAL: Duration = Duration::from_millis(1000);

/// What identifies a file's content without reading it: path, size, mtime
/// (`None` when the file is missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp {
    path: PathBuf,
    seen: Option<(u64, Option<SystemTime>)>,
}

impl FileStamp {
    pub fn of(path: &Path) -> FileStamp {
        let seen = std::fs::metadata(path)
            .ok()
            .map(|m| (m.len(), m.modified().ok()));
        FileStamp {
            path: path.to_path_buf(),
            seen,
        }
    }

    fn unchanged(&self) -> bool {
        *self == FileStamp::of(&self.path)
    }
}

struct Loaded<K, T> {
    key: K,
    stamps: Vec<FileStamp>,
    value: Arc<T>,
}

/// A cached value of type `T` read from the files named by a key `K`.
pub struct Watched<K, T> {
    cache: RwLock<Option<Loaded<K, T>>>,
    /// Milliseconds since [`clock_base`] plus one of the last look; 0 = look
    /// at the next call.
    checked_at: AtomicU64,
}

fn clock_base() -> Instant {
    static BASE: Lazy<Instant> = Lazy::new(Instant::now);
    *BASE
}

fn now_ms() -> u64 {
    clock_base().elapsed().as_millis() as u64 + 1
}

impl<K: PartialEq, T> Default for Watched<K, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: PartialEq, T> Watched<K, T> {
    pub const fn new() -> Self {
        Watched {
            cache: RwLock::new(None),
            checked_at: AtomicU64::new(0),
        }
    }

    fn recently_checked(&self) -> bool {
        let checked = self.checked_at.load(Ordering::Acquire);
        checked != 0 && now_ms().saturating_sub(checked) < RECHECK_INTERVAL.as_millis() as u64
    }

    /// The value for the key `key()` returns now. `load` reads it and names
    /// every file (or directory) it looked at; the value is re-loaded when
    /// the key or any of those files' stamps changed, looked at once per
    /// [`RECHECK_INTERVAL`] at most.
    pub fn get(
        &self,
        key: impl FnOnce() -> K,
        load: impl FnOnce(&K) -> (T, Vec<PathBuf>),
    ) -> Arc<T> {
        if self.recently_checked() {
            if let Some(c) = self.cache.read().as_ref() {
                return c.value.clone();
            }
        }
        let key = key();
        let fresh = |c: &Loaded<K, T>| c.key == key && c.stamps.iter().all(FileStamp::unchanged);
        if let Some(c) = self.cache.read().as_ref().filter(|c| fresh(c)) {
            self.checked_at.store(now_ms(), Ordering::Release);
            return c.value.clone();
        }
        let mut cache = self.cache.write();
        if let Some(c) = cache.as_ref().filter(|c| fresh(c)) {
            self.checked_at.store(now_ms(), Ordering::Release);
            return c.value.clone();
        }
        let (value, files) = load(&key);
        let value = Arc::new(value);
        let stamps = files.iter().map(|p| FileStamp::of(p)).collect();
        *cache = Some(Loaded {
            key,
            stamps,
            value: value.clone(),
        });
        self.checked_at.store(now_ms(), Ordering::Release);
        value
    }

    /// Make the next [`Watched::get`] look at the key and files at once.
    pub fn recheck(&self) {
        self.checked_at.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reloads_when_the_file_or_key_changes() {
        let dir = std::env::temp_dir().join(format!("opensspi-watched-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a");
        std::fs::write(&a, "one").unwrap();
        let w: Watched<PathBuf, String> = Watched::new();
        let load = |p: &PathBuf| {
            (
                std::fs::read_to_string(p).unwrap_or_default(),
                vec![p.clone()],
            )
        };
        let first = w.get(|| a.clone(), load);
        assert_eq!(*first, "one");
        // Within the interval nothing is looked at, not even the key.
        assert!(Arc::ptr_eq(&first, &w.get(|| unreachable!(), load)));
        std::fs::write(&a, "three").unwrap();
        w.recheck();
        assert_eq!(*w.get(|| a.clone(), load), "three");
        let b = dir.join("b");
        std::fs::write(&b, "bee").unwrap();
        w.recheck();
        assert_eq!(*w.get(|| b.clone(), load), "bee");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
