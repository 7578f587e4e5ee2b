//! The library's side of the LSA service: [`ServiceStore`], a
//! [`SessionStore`] whose sessions and credential operations live in
//! `opensspi-lsad`. Each thread keeps one connection (reopened after a
//! `fork`); a call that finds no service starts one, under the lock file
//! of the socket directory so that racing starters end with one service
//! (as gpg-agent and ssh-agent are started). Every read and write has a
//! time limit ([`IO_TIMEOUT`]): a service that died or hangs gives
//! `StoreError::Unavailable` (→ `STATUS_INSUFFICIENT_RESOURCES`, or
//! `SEC_E_INTERNAL_ERROR` for a package) within that time, and the next
//! call starts a fresh service.
//!
//! Reads that noninteractive authentication repeats (the caller's current
//! session, the session without its NT OWF) are cached per process and
//! used while the service's change counter ([`Generation`]) is unchanged:
//! `AcquireCredentialsHandle` with the logon session's credentials then
//! costs no round trip, and the handshake one (the credential operation).

use std::cell::RefCell;
use std::sync::Arc;

use parking_lot::Mutex;
use std::io::{self, BufReader, BufWriter, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::generation::Generation;
use super::wire::{self, parse_reply, read_frame, write_frame, Body, Reply, Request};
use super::{server::lock_dir, socket_dir, LSAD_ENV, SOCKET_NAME};
use crate::lsa::packages::kerberos::TicketRequest;
use crate::lsa::packages::msv1_0::credential_op::{CredentialOp, CredentialOpResult};
use crate::lsa::packages::KerberosProvider;
use crate::lsa::session::{CachedTicket, LogonSession};
use crate::lsa::store::{codec, SessionStore, StoreError, StoreKind, StoreResult};
use crate::lsa::Luid;
use crate::sspi::SecStatus;

/// Longest wait for one answer of the service.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);
// A client's Kerberos ticket request is answered before the client gives up.
const _: () =
    assert!(crate::lsa::store::KERBEROS_TICKET_BUDGET.as_millis() < IO_TIMEOUT.as_millis());

/// Longest wait for a service just started to answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The store of the LSA service.
pub struct ServiceStore {
    dir: PathBuf,
    cache: Mutex<Cache>,
}

/// Sessions cached at most (a process uses one or two).
const CACHED_SESSIONS: usize = 8;

/// What the service answered, while its counter is `seen`.
#[derive(Default)]
struct Cache {
    /// The service's counter, opened after the first answer (dropped
    /// when a connection is made again: maybe another service).
    generation: Option<Arc<Generation>>,
    seen: u64,
    current: Vec<(u32, Luid)>,
    sessions: Vec<LogonSession>,
}

impl Cache {
    /// The counter now, with the entries forgotten if it moved; `None`
    /// when it is not mapped (nothing may be cached then).
    fn check(&mut self) -> Option<u64> {
        let now = self.generation.as_ref()?.load();
        let Some(now) = now else {
            self.current.clear();
            self.sessions.clear();
            return None;
        };
        if now != self.seen {
            self.current.clear();
            self.sessions.clear();
            self.seen = now;
        }
        Some(now)
    }
}

struct Conn {
    pid: u32,
    dir: PathBuf,
    r: BufReader<UnixStream>,
    w: BufWriter<UnixStream>,
}

thread_local! {
    static CONN: RefCell<Option<Conn>> = const { RefCell::new(None) };
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("LSA service: {e}"))
}

/// The `opensspi-lsad` to start: `OPENSSPI_LSAD`, else next to the
/// library (the `libopensspi.so` this code runs from, or `../bin/` of it),
/// else next to the running executable (or one level up, for test
/// binaries in `deps/`), else from `PATH`.
pub fn lsad_executable() -> PathBuf {
    if let Some(p) = std::env::var_os(LSAD_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    let mut candidates = Vec::new();
    if let Some(lib) = code_file() {
        if let Some(dir) = lib.parent() {
            candidates.push(dir.join("opensspi-lsad"));
            candidates.push(dir.join("../bin/opensspi-lsad"));
        }
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(2) {
            candidates.push(dir.join("opensspi-lsad"));
        }
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("opensspi-lsad"))
}

/// The file this code was loaded from (the shared library, or the
/// executable it is linked into), from `/proc/self/maps`.
fn code_file() -> Option<PathBuf> {
    let here = code_file as fn() -> Option<PathBuf> as usize;
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines().find_map(|line| {
        // start-end perms offset dev inode path
        let mut f = line.splitn(6, ' ');
        let (a, b) = f.next()?.split_once('-')?;
        let (a, b) = (
            usize::from_str_radix(a, 16).ok()?,
            usize::from_str_radix(b, 16).ok()?,
        );
        let path = f.nth(4)?.trim_start();
        ((a..b).contains(&here) && path.starts_with('/')).then(|| PathBuf::from(path))
    })
}

fn connect(sock: &Path) -> io::Result<UnixStream> {
    let s = UnixStream::connect(sock)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(s)
}

/// Connect to the service of `dir`, starting one if none answers.
pub fn connect_or_start(dir: &Path) -> io::Result<UnixStream> {
    let sock = dir.join(SOCKET_NAME);
    if let Ok(s) = connect(&sock) {
        return Ok(s);
    }
    let _lock = lock_dir(dir)?;
    if let Ok(s) = connect(&sock) {
        return Ok(s);
    }
    let _ = std::fs::remove_file(&sock);
    // `--spawn` starts the service detached and exits at once.
    let status = Command::new(lsad_executable())
        .arg("--spawn")
        .arg("--socket-dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot start opensspi-lsad: {e}")))?;
    if !status.success() {
        return Err(io::Error::other(format!("opensspi-lsad: {status}")));
    }
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match connect(&sock) {
            Ok(s) => return Ok(s),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

impl ServiceStore {
    /// The service of this uid's [`socket_dir`] (nothing is started yet).
    pub fn open() -> StoreResult<ServiceStore> {
        let uid = crate::lsa::store::keyring::current_uid();
        Ok(ServiceStore::at(socket_dir(uid).map_err(unavailable)?))
    }

    /// The service whose socket is in `dir`.
    pub fn at(dir: PathBuf) -> ServiceStore {
        ServiceStore {
            dir,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// A cached read: `hit` looks in the cache while the service's counter
    /// is unchanged; otherwise `ask` goes to the service and `keep` stores
    /// its answer under the counter read before asking (a change made
    /// meanwhile moves the counter, so the answer is never used stale).
    fn cached<T: Clone>(
        &self,
        hit: impl Fn(&Cache) -> Option<T>,
        ask: impl FnOnce() -> StoreResult<T>,
        keep: impl FnOnce(&mut Cache, &T),
    ) -> StoreResult<T> {
        let before = {
            let mut c = self.cache.lock();
            let before = c.check();
            if before.is_some() {
                if let Some(v) = hit(&c) {
                    return Ok(v);
                }
            }
            before
        };
        let v = ask()?;
        let mut c = self.cache.lock();
        if before.is_some() && c.check() == before {
            keep(&mut c, &v);
        } else if c.generation.is_none() {
            // The service answered, so its counter exists: open it now.
            let uid = crate::lsa::store::keyring::current_uid();
            if let Ok(g) = Generation::open(&self.dir, uid) {
                c.generation = Some(Arc::new(g));
                c.check();
            }
        }
        Ok(v)
    }

    /// A new connection (maybe to a service started since): map the
    /// counter again and forget what was cached.
    fn forget(&self) {
        let mut c = self.cache.lock();
        c.generation = None;
        c.current.clear();
        c.sessions.clear();
    }

    fn round_trip(&self, conn: &mut Option<Conn>, req: &[u8]) -> io::Result<Body> {
        let pid = std::process::id();
        if !matches!(conn, Some(c) if c.pid == pid && c.dir == self.dir) {
            // A connection inherited through fork is the parent's: close
            // this process's copy of it and open our own.
            *conn = None;
            let s = connect_or_start(&self.dir)?;
            self.forget();
            *conn = Some(Conn {
                pid,
                dir: self.dir.clone(),
                r: BufReader::new(s.try_clone()?),
                w: BufWriter::new(s),
            });
        }
        let c = conn
            .as_mut()
            .ok_or_else(|| io::Error::other("no connection"))?;
        write_frame(&mut c.w, req)?;
        c.w.flush()?;
        match read_frame(&mut c.r)? {
            Some(Ok(b)) => Ok(b),
            Some(Err(e)) => Err(io::Error::other(e)),
            None => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }

    /// Send `req`; one retry on a fresh connection (and service) when the
    /// connection failed, none when the service did not answer in time.
    fn call(&self, req: &Request) -> StoreResult<Body> {
        let body = req.encode();
        CONN.with(|c| {
            let mut c = c.borrow_mut();
            let mut last = None;
            for _ in 0..2 {
                match self.round_trip(&mut c, &body) {
                    Ok(b) => return Ok(b),
                    Err(e) => {
                        *c = None;
                        // A service that does not answer in time is not
                        // asked again: the caller gets its status now.
                        let hung = matches!(
                            e.kind(),
                            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                        );
                        last = Some(e);
                        if hung {
                            break;
                        }
                    }
                }
            }
            Err(unavailable(last.map(|e| e.to_string()).unwrap_or_default()))
        })
    }

    /// Call and check the status: `Denied` → `Ok(None)`.
    fn call_ok<T>(
        &self,
        req: &Request,
        read: impl FnOnce(&mut wire::Reader<'_>) -> Option<T>,
    ) -> StoreResult<Option<T>> {
        let b = self.call(req)?;
        let (status, mut r) = parse_reply(&b).ok_or(StoreError::Corrupt)?;
        match status {
            Reply::Ok => read(&mut r).map(Some).ok_or(StoreError::Corrupt),
            Reply::Denied => Ok(None),
            Reply::Quota => Err(StoreError::Quota),
            Reply::Malformed | Reply::Failed => Err(StoreError::Corrupt),
        }
    }
}

impl SessionStore for ServiceStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Service
    }

    fn put(&self, session: &LogonSession) -> StoreResult<()> {
        let req = Request::Put(codec::encode(session));
        match self.call_ok(&req, |r| r.end())? {
            Some(()) => Ok(()),
            None => Err(StoreError::Unavailable(
                "LSA service: another user's session".into(),
            )),
        }
    }

    fn get(&self, luid: Luid) -> StoreResult<Option<LogonSession>> {
        self.cached(
            |c| {
                c.sessions
                    .iter()
                    .find(|s| s.logon_id == luid)
                    .map(|s| Some(s.clone()))
            },
            || {
                let got = self.call_ok(&Request::Get(luid), |r| {
                    if r.flag()? {
                        let s = codec::decode(r.bytes()?)?;
                        r.end()?;
                        Some(Some(s))
                    } else {
                        r.end().map(|_| None)
                    }
                })?;
                Ok(got.flatten())
            },
            |c, s| {
                if let Some(s) = s {
                    if c.sessions.len() >= CACHED_SESSIONS {
                        c.sessions.remove(0);
                    }
                    c.sessions.push(s.clone());
                }
            },
        )
    }

    fn remove(&self, luid: Luid) -> StoreResult<bool> {
        let got = self.call_ok(&Request::Remove(luid), |r| {
            let b = r.flag()?;
            r.end().map(|_| b)
        })?;
        Ok(got.unwrap_or(false))
    }

    fn list(&self) -> StoreResult<Vec<Luid>> {
        let got = self.call_ok(&Request::List, |r| {
            let n = r.u32()? as usize;
            let mut v = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                v.push(r.luid()?);
            }
            r.end().map(|_| v)
        })?;
        Ok(got.unwrap_or_default())
    }

    fn set_current(&self, uid: u32, luid: Option<Luid>) -> StoreResult<()> {
        match self.call_ok(&Request::SetCurrent(uid, luid), |r| r.end())? {
            Some(()) => Ok(()),
            None => Err(StoreError::Unavailable(
                "LSA service: another user's session".into(),
            )),
        }
    }

    fn current_for_user(&self, uid: u32) -> StoreResult<Option<Luid>> {
        self.cached(
            |c| c.current.iter().find(|e| e.0 == uid).map(|e| Some(e.1)),
            || {
                let got = self.call_ok(&Request::Current(uid), |r| {
                    let l = r.opt_luid()?;
                    r.end().map(|_| l)
                })?;
                Ok(got.flatten())
            },
            |c, l| {
                // Only a session is kept: "none" is asked again each time,
                // so a service this process cannot see change (another
                // runtime directory since) is asked by the next call.
                if let (Some(l), true) = (l, c.current.len() < CACHED_SESSIONS) {
                    c.current.push((uid, *l));
                }
            },
        )
    }

    fn add_service_ticket(
        &self,
        luid: Luid,
        _caller_uid: u32,
        ticket: &CachedTicket,
    ) -> StoreResult<bool> {
        // One request: the service adds it under its lock.
        let req = Request::AddTicket(luid, codec::encode_ticket(ticket));
        let got = self.call_ok(&req, |r| {
            let b = r.flag()?;
            r.end().map(|_| b)
        })?;
        Ok(got.unwrap_or(false))
    }

    fn purge_kerberos_tickets(
        &self,
        luid: Luid,
        _caller_uid: u32,
        server: &str,
        realm: &str,
    ) -> StoreResult<bool> {
        // The TGT is in the service: it purges (and checks the uid).
        let req = Request::KerberosPurge(luid, server.into(), realm.into());
        let got = self.call_ok(&req, |r| {
            let b = r.flag()?;
            r.end().map(|_| b)
        })?;
        Ok(got.unwrap_or(false))
    }

    fn set_kerberos_tgt(
        &self,
        _luid: Luid,
        _caller_uid: u32,
        _tgt: &CachedTicket,
    ) -> StoreResult<bool> {
        // The TGT is the service's (it obtains and stores it itself): a
        // client's never replaces it.
        Ok(false)
    }

    fn kerberos_ticket(
        &self,
        luid: Luid,
        _caller_uid: u32,
        request: &TicketRequest,
        _provider: Option<&dyn KerberosProvider>,
    ) -> StoreResult<Result<CachedTicket, SecStatus>> {
        // The TGT's session key is in the service: it runs the exchange
        // (its own provider) and checks the caller's uid (SO_PEERCRED).
        let req = Request::KerberosTicket(luid, request.clone());
        let got = self.call_ok(&req, |r| {
            let status = r.u32()? as i32;
            let got = match status {
                0 => Ok(codec::decode_ticket(r.bytes()?)?),
                s => Err(SecStatus::from_code(s).unwrap_or(SecStatus::InternalError)),
            };
            r.end().map(|_| got)
        })?;
        Ok(got.unwrap_or(Err(SecStatus::NoCredentials)))
    }

    fn msv1_0_credential_op(
        &self,
        luid: Luid,
        _caller_uid: u32,
        op: &CredentialOp,
    ) -> StoreResult<Option<CredentialOpResult>> {
        // The service checks the caller's uid itself (SO_PEERCRED).
        let got = self.call_ok(&Request::Msv1_0(luid, op.clone()), wire::read_op_result)?;
        Ok(got.flatten())
    }
}
