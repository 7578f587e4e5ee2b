//! The kernel-keyring session store (Linux keyrings(7)).
//!
//! Each logon session is one key of type `user` described
//! `opensspi:session:<LUID as 16 hex digits>` whose payload is the
//! [`codec`] encoding; the "current session" of Linux user
//! `uid` is the key `opensspi:current:<uid>` holding that LUID. Keys are
//! linked into the caller's *session keyring* (`KEY_SPEC_SESSION_KEYRING`),
//! so they are shared by every process of the login session, inherited by
//! child processes (fork/exec keep the session keyring), and never written
//! to disk; the kernel frees `user` payloads with `kfree_sensitive`
//! (zeroized) when a key is invalidated or destroyed.
//!
//! Possessing the session keyring does not make a process the user's: `su`,
//! `runuser` and `setpriv --reuid` keep it, and the kernel grants a key's
//! possessor rights (`KEY_POS_*`) to every process that holds it, whatever
//! its uid. So the keys bind to the owning uid instead:
//! - they carry [`KEY_PERM_OWNER_ALL`] (`KEY_USR_*` rights, nothing for
//!   possessor, group or other): another uid can neither read, search,
//!   update, link nor re-permission them, even from inside the keyring;
//! - a key is created in the process keyring (possessed by this process
//!   alone), given those permissions, and only then linked into the session
//!   keyring, displacing any key of the same description: a key another uid
//!   planted under that name is never updated with our payload;
//! - a key is used only when the kernel says it belongs to the caller's uid
//!   (`KEYCTL_DESCRIBE`; never an owner written inside the payload): keys of
//!   other uids found in the keyring are treated as absent.
//!
//! Another uid holding the keyring can still unlink the caller's keys (the
//! keyring grants its possessors write access); the caller then sees no
//! session, never someone else's.
//!
//! When the process has no session keyring of its own (containers, cron,
//! logins without `pam_keyinit`), the kernel falls back to the user's
//! *user-session keyring* (`_uid_ses.<uid>`), shared by all such processes
//! of that uid; we resolve the keyring without creating a new one so that
//! such processes still see each other's logons.
//!
//! This module holds the only `unsafe` of the LSA: the `add_key(2)` and
//! `keyctl(2)` system calls through `libc::syscall`.

use std::ffi::CString;

use zeroize::Zeroizing;

use super::{codec, SessionStore, StoreError, StoreKind, StoreResult};
use crate::lsa::session::LogonSession;
use crate::lsa::Luid;

const KEY_SPEC_PROCESS_KEYRING: i32 = -2;
const KEY_SPEC_SESSION_KEYRING: i32 = -3;
const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
const KEYCTL_REVOKE: libc::c_long = 3;
const KEYCTL_SETPERM: libc::c_long = 5;
const KEYCTL_DESCRIBE: libc::c_long = 6;
const KEYCTL_LINK: libc::c_long = 8;
const KEYCTL_UNLINK: libc::c_long = 9;
const KEYCTL_SEARCH: libc::c_long = 10;
const KEYCTL_READ: libc::c_long = 11;
const KEYCTL_INVALIDATE: libc::c_long = 21;

/// `KEY_USR_VIEW | READ | WRITE | SEARCH | LINK | SETATTR`: the owning uid
/// only. No `KEY_POS_*` rights: the kernel adds those for any process that
/// possesses the key, whatever its uid.
pub const KEY_PERM_OWNER_ALL: u32 = 0x003f_0000;

const SESSION_PREFIX: &str = "opensspi:session:";
const CURRENT_PREFIX: &str = "opensspi:current:";

/// The effective uid of the process (who owns and may use sessions).
pub fn current_uid() -> u32 {
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn cstr(s: &str) -> StoreResult<CString> {
    CString::new(s).map_err(|_| StoreError::Corrupt)
}

/// `keyctl(op, a, b, c, d)` with every argument register-wide.
fn keyctl(op: libc::c_long, a: libc::c_long, b: libc::c_long, c: libc::c_long) -> Result<i64, i32> {
    // SAFETY: keyctl(2) takes integer arguments; the pointer-carrying
    // operations are called by the wrappers below with pointers to live
    // buffers whose lengths are passed alongside. The kernel validates
    // everything else and reports errors through errno.
    let r = unsafe { libc::syscall(libc::SYS_keyctl, op, a, b, c, 0 as libc::c_long) };
    if r < 0 {
        Err(errno())
    } else {
        Ok(r)
    }
}

fn unavailable(what: &str, e: i32) -> StoreError {
    match e {
        libc::EDQUOT => StoreError::Quota,
        _ => StoreError::Unavailable(format!("{what}: {}", std::io::Error::from_raw_os_error(e))),
    }
}

/// Serial of the session keyring, without creating one: the process's
/// session keyring, else the user-session keyring.
fn resolve_session_keyring() -> StoreResult<i32> {
    keyctl(
        KEYCTL_GET_KEYRING_ID,
        KEY_SPEC_SESSION_KEYRING as libc::c_long,
        0,
        0,
    )
    .map(|r| r as i32)
    .map_err(|e| unavailable("keyctl(KEYCTL_GET_KEYRING_ID, session keyring)", e))
}

/// Give the calling thread a new anonymous session keyring
/// (`KEYCTL_JOIN_SESSION_KEYRING` with no name), like `keyctl session -`.
/// Processes started afterwards from this thread inherit it. Used by
/// `sspilogon --run` and by tests to isolate themselves from the user's
/// real logon sessions. Returns the new keyring's serial.
pub fn join_new_session_keyring() -> StoreResult<i32> {
    keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0)
        .map(|r| r as i32)
        .map_err(|e| unavailable("keyctl(KEYCTL_JOIN_SESSION_KEYRING)", e))
}

/// `add_key("user", description, payload, keyring)`: the new (or updated)
/// key's serial.
fn add_key(description: &str, payload: &[u8], keyring: i32) -> StoreResult<i32> {
    let ty = cstr("user")?;
    let desc = cstr(description)?;
    // SAFETY: `ty` and `desc` are NUL-terminated and outlive the call;
    // `payload` is a live slice whose exact length is passed; the kernel
    // copies the payload before returning.
    let r = unsafe {
        libc::syscall(
            libc::SYS_add_key,
            ty.as_ptr(),
            desc.as_ptr(),
            payload.as_ptr() as *const libc::c_void,
            payload.len() as libc::size_t,
            keyring as libc::c_long,
        )
    };
    if r < 0 {
        return Err(unavailable("add_key", errno()));
    }
    Ok(r as i32)
}

/// The fields of `KEYCTL_DESCRIBE`'s `type;uid;gid;perm;description`.
struct KeyInfo<'a> {
    ty: &'a str,
    uid: u32,
    description: &'a str,
}

impl<'a> KeyInfo<'a> {
    fn parse(d: &'a str) -> Option<KeyInfo<'a>> {
        let mut parts = d.splitn(5, ';');
        let ty = parts.next()?;
        let uid = parts.next()?.parse().ok()?;
        let description = parts.nth(2)?;
        Some(KeyInfo {
            ty,
            uid,
            description,
        })
    }
}

/// The keyring store of the caller's session keyring.
pub struct KeyringStore {
    keyring: i32,
}

impl KeyringStore {
    /// Resolve the session keyring; fails with
    /// [`StoreError::Unavailable`] when the kernel refuses keyring calls
    /// (no `CONFIG_KEYS`, seccomp filters: ENOSYS/EPERM/EACCES).
    pub fn open() -> StoreResult<KeyringStore> {
        Ok(KeyringStore {
            keyring: resolve_session_keyring()?,
        })
    }

    /// Serial of the keyring the sessions are linked into.
    pub fn keyring_serial(&self) -> i32 {
        self.keyring
    }

    /// Store `payload` as the `user` key `description` of the session
    /// keyring, owned by the caller's uid with [`KEY_PERM_OWNER_ALL`]. The
    /// key is made in the process keyring, where no other process can reach
    /// it, re-permissioned, then linked into the session keyring
    /// (`KEYCTL_LINK` displaces a key of the same description, unlike
    /// `add_key`, which would update it in place: another uid's key planted
    /// under our name would receive our payload).
    fn add(&self, description: &str, payload: &[u8]) -> StoreResult<i32> {
        let serial = add_key(description, payload, KEY_SPEC_PROCESS_KEYRING)?;
        let placed = keyctl(
            KEYCTL_SETPERM,
            serial as libc::c_long,
            KEY_PERM_OWNER_ALL as libc::c_long,
            0,
        )
        .map_err(|e| unavailable("keyctl(KEYCTL_SETPERM)", e))
        .and_then(|_| {
            keyctl(
                KEYCTL_LINK,
                serial as libc::c_long,
                self.keyring as libc::c_long,
                0,
            )
            .map_err(|e| unavailable("keyctl(KEYCTL_LINK)", e))
        });
        if let Err(e) = placed {
            let _ = keyctl(KEYCTL_INVALIDATE, serial as libc::c_long, 0, 0);
            return Err(e);
        }
        // Another thread storing the same description may have unlinked it
        // already (ENOENT).
        match keyctl(
            KEYCTL_UNLINK,
            serial as libc::c_long,
            KEY_SPEC_PROCESS_KEYRING as libc::c_long,
            0,
        ) {
            Ok(_) | Err(libc::ENOENT) => Ok(serial),
            Err(e) => Err(unavailable("keyctl(KEYCTL_UNLINK, process keyring)", e)),
        }
    }

    /// The key `description` if it belongs to the caller's uid by the
    /// kernel's record; another uid's key of that name counts as absent.
    fn find_own(&self, description: &str) -> StoreResult<Option<i32>> {
        Ok(self
            .search(description)?
            .filter(|&serial| self.is_own(serial)))
    }

    /// Whether key `serial` is owned by the caller's uid (`KEYCTL_DESCRIBE`).
    fn is_own(&self, serial: i32) -> bool {
        self.describe(serial)
            .is_some_and(|d| KeyInfo::parse(&d).is_some_and(|k| k.uid == current_uid()))
    }

    /// Serial of the `user` key described `description`, if present.
    fn search(&self, description: &str) -> StoreResult<Option<i32>> {
        let ty = cstr("user")?;
        let desc = cstr(description)?;
        // SAFETY: both strings are NUL-terminated and live across the call;
        // destination keyring 0 means "do not link".
        let r = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_SEARCH,
                self.keyring as libc::c_long,
                ty.as_ptr(),
                desc.as_ptr(),
                0 as libc::c_long,
            )
        };
        if r >= 0 {
            return Ok(Some(r as i32));
        }
        match errno() {
            libc::ENOKEY | libc::EKEYREVOKED | libc::EKEYEXPIRED | libc::EACCES => Ok(None),
            e => Err(unavailable("keyctl(KEYCTL_SEARCH)", e)),
        }
    }

    /// The payload of key `serial` (zeroizing), `None` if it vanished.
    fn read(&self, serial: i32) -> StoreResult<Option<Zeroizing<Vec<u8>>>> {
        let mut buf = Zeroizing::new(vec![0u8; 1024]);
        loop {
            // SAFETY: `buf` is a live, writable buffer of `buf.len()` bytes;
            // the kernel writes at most that many and returns the full size.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_keyctl,
                    KEYCTL_READ,
                    serial as libc::c_long,
                    buf.as_mut_ptr(),
                    buf.len() as libc::size_t,
                    0 as libc::c_long,
                )
            };
            if r < 0 {
                return match errno() {
                    libc::ENOKEY | libc::EKEYREVOKED | libc::EKEYEXPIRED | libc::EACCES => Ok(None),
                    e => Err(unavailable("keyctl(KEYCTL_READ)", e)),
                };
            }
            let n = r as usize;
            if n <= buf.len() {
                buf.truncate(n);
                return Ok(Some(buf));
            }
            buf = Zeroizing::new(vec![0u8; n]);
        }
    }

    /// `type;uid;gid;perm;description` of key `serial`.
    fn describe(&self, serial: i32) -> Option<String> {
        let mut buf = vec![0u8; 256];
        loop {
            // SAFETY: as in `read`: a live writable buffer and its length.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_keyctl,
                    KEYCTL_DESCRIBE,
                    serial as libc::c_long,
                    buf.as_mut_ptr(),
                    buf.len() as libc::size_t,
                    0 as libc::c_long,
                )
            };
            if r < 0 {
                return None;
            }
            let n = r as usize;
            if n <= buf.len() {
                buf.truncate(n);
                while buf.last() == Some(&0) {
                    buf.pop();
                }
                return String::from_utf8(buf).ok();
            }
            buf = vec![0u8; n];
        }
    }

    /// Serials of the keys linked into the session keyring.
    fn members(&self) -> StoreResult<Vec<i32>> {
        let raw = self
            .read(self.keyring)?
            .ok_or_else(|| StoreError::Unavailable("session keyring vanished".into()))?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| i32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// Invalidate key `serial`: it disappears from every keyring at once
    /// and its payload is freed zeroized. Kernels before 3.5 lack
    /// `KEYCTL_INVALIDATE`: revoke and unlink instead.
    fn destroy(&self, serial: i32) -> StoreResult<()> {
        match keyctl(KEYCTL_INVALIDATE, serial as libc::c_long, 0, 0) {
            Ok(_) => Ok(()),
            Err(libc::EOPNOTSUPP) | Err(libc::EINVAL) => {
                let _ = keyctl(KEYCTL_REVOKE, serial as libc::c_long, 0, 0);
                keyctl(
                    KEYCTL_UNLINK,
                    serial as libc::c_long,
                    self.keyring as libc::c_long,
                    0,
                )
                .map(|_| ())
                .map_err(|e| unavailable("keyctl(KEYCTL_UNLINK)", e))
            }
            Err(libc::ENOKEY) | Err(libc::EKEYREVOKED) | Err(libc::EKEYEXPIRED) => Ok(()),
            Err(e) => Err(unavailable("keyctl(KEYCTL_INVALIDATE)", e)),
        }
    }
}

fn session_description(luid: Luid) -> String {
    format!("{SESSION_PREFIX}{:016x}", luid.as_u64())
}

impl SessionStore for KeyringStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Keyring
    }

    fn put(&self, session: &LogonSession) -> StoreResult<()> {
        let payload = codec::encode(session);
        self.add(&session_description(session.logon_id), &payload)
            .map(|_| ())
    }

    fn get(&self, luid: Luid) -> StoreResult<Option<LogonSession>> {
        let Some(serial) = self.find_own(&session_description(luid))? else {
            return Ok(None);
        };
        let Some(payload) = self.read(serial)? else {
            return Ok(None);
        };
        let s = codec::decode(&payload).ok_or(StoreError::Corrupt)?;
        if s.logon_id != luid {
            return Err(StoreError::Corrupt);
        }
        Ok(Some(s))
    }

    fn remove(&self, luid: Luid) -> StoreResult<bool> {
        match self.find_own(&session_description(luid))? {
            Some(serial) => self.destroy(serial).map(|_| true),
            None => Ok(false),
        }
    }

    fn list(&self) -> StoreResult<Vec<Luid>> {
        let mut out = Vec::new();
        for serial in self.members()? {
            let Some(d) = self.describe(serial) else {
                continue;
            };
            let Some(k) = KeyInfo::parse(&d) else {
                continue;
            };
            if k.ty != "user" || k.uid != current_uid() {
                continue;
            }
            if let Some(hex) = k.description.strip_prefix(SESSION_PREFIX) {
                if let Ok(v) = u64::from_str_radix(hex, 16) {
                    out.push(Luid::from_u64(v));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn set_current(&self, uid: u32, luid: Option<Luid>) -> StoreResult<()> {
        let desc = format!("{CURRENT_PREFIX}{uid}");
        match luid {
            // The new key displaces the old one of the same description.
            Some(l) => self
                .add(&desc, format!("{:016x}", l.as_u64()).as_bytes())
                .map(|_| ()),
            None => match self.find_own(&desc)? {
                Some(serial) => self.destroy(serial),
                None => Ok(()),
            },
        }
    }

    fn current_for_user(&self, uid: u32) -> StoreResult<Option<Luid>> {
        let Some(serial) = self.find_own(&format!("{CURRENT_PREFIX}{uid}"))? else {
            return Ok(None);
        };
        let Some(payload) = self.read(serial)? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&payload).map_err(|_| StoreError::Corrupt)?;
        u64::from_str_radix(text.trim(), 16)
            .map(|v| Some(Luid::from_u64(v)))
            .map_err(|_| StoreError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keyring tests fail loudly when the kernel refuses keyrings, unless
    /// `OPENSSPI_SKIP_KEYRING_TESTS=1` says that is expected here.
    pub(crate) fn isolated_store() -> Option<KeyringStore> {
        let res = join_new_session_keyring().and_then(|_| KeyringStore::open());
        match res {
            Ok(s) => Some(s),
            Err(e) if std::env::var_os("OPENSSPI_SKIP_KEYRING_TESTS").is_some() => {
                eprintln!("SKIPPED keyring test: {e} (OPENSSPI_SKIP_KEYRING_TESTS set)");
                None
            }
            Err(e) => panic!(
                "kernel keyrings unavailable here: {e}; set OPENSSPI_SKIP_KEYRING_TESTS=1 to skip"
            ),
        }
    }

    #[test]
    fn keyring_store_contract() {
        let Some(store) = isolated_store() else {
            return;
        };
        crate::lsa::store::tests::exercise(&store);
    }

    /// The session key belongs to the caller's uid, with user rights only
    /// (no possessor, group or other rights), and is linked into the
    /// session keyring, not left in the process keyring.
    #[test]
    fn keys_are_owner_only() {
        let Some(store) = isolated_store() else {
            return;
        };
        let s = codec::tests::sample(current_uid());
        store.put(&s).unwrap();
        let serial = store
            .find_own(&session_description(s.logon_id))
            .unwrap()
            .unwrap();
        let d = store.describe(serial).unwrap();
        let fields: Vec<&str> = d.split(';').collect();
        assert_eq!(fields[1], current_uid().to_string(), "{d}");
        assert_eq!(fields[3], "003f0000", "{d}");
        assert!(store.members().unwrap().contains(&serial));
        let process_keyring = KeyringStore {
            keyring: keyctl(
                KEYCTL_GET_KEYRING_ID,
                KEY_SPEC_PROCESS_KEYRING as libc::c_long,
                1,
                0,
            )
            .unwrap() as i32,
        };
        assert!(!process_keyring.members().unwrap().contains(&serial));
        // A second put displaces the first key.
        store.put(&s).unwrap();
        let again = store
            .find_own(&session_description(s.logon_id))
            .unwrap()
            .unwrap();
        assert_ne!(again, serial);
        assert!(!store.members().unwrap().contains(&serial));
        assert!(store.remove(s.logon_id).unwrap());
        assert!(store.read(again).unwrap().is_none());
    }

    const CHILD_ENV: &str = "OPENSSPI_KEYRING_TEST_CHILD";

    /// Runs in a child process started by `child_process_sees_session`.
    #[test]
    fn child_helper() {
        let Ok(luid) = std::env::var(CHILD_ENV) else {
            return;
        };
        let luid = Luid::parse(&luid).unwrap();
        let store = KeyringStore::open().unwrap();
        let s = store
            .get(luid)
            .unwrap()
            .expect("child sees parent's session");
        assert_eq!(s.user, "alice");
        assert_eq!(store.current_for_user(current_uid()).unwrap(), Some(luid));
        assert!(store.remove(luid).unwrap());
        println!("CHILD-OK");
    }

    #[test]
    fn child_process_sees_session() {
        let Some(store) = isolated_store() else {
            return;
        };
        let s = codec::tests::sample(current_uid());
        store.put(&s).unwrap();
        store.set_current(current_uid(), Some(s.logon_id)).unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "lsa::store::keyring::tests::child_helper",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, s.logon_id.to_hex())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("CHILD-OK"),
            "child failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The child logged the session off: the parent sees that too.
        assert!(store.get(s.logon_id).unwrap().is_none());
        store.set_current(current_uid(), None).unwrap();
    }
}
