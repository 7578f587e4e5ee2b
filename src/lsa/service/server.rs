//! The service loop of `opensspi-lsad`: a Unix stream socket, one thread
//! per connection (clients keep one connection per thread), each
//! connection bound to its peer's uid by `SO_PEERCRED`. Sessions live in
//! a [`MemoryStore`] of the service (NT OWFs in the dump-excluded secret
//! arena, whose pages the service also locks); the process is made
//! non-dumpable. The service exits when it holds no session, no client is
//! connected and nothing happened for the idle time.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::generation::Generation;
use super::wire::{self, read_frame, reply, write_frame, Body, Reply, Request};
use super::{LOCK_NAME, PID_NAME, SOCKET_NAME};
use crate::lsa::packages::msv1_0::credential_op::{
    CredentialOp, CredentialOpResult, SessionOpKeys,
};
use crate::lsa::packages::KerberosProviderRef;
use crate::lsa::session::may_use;
use crate::lsa::store::memory::MemoryStore;
use crate::lsa::store::{codec, SessionStore};
use crate::lsa::Luid;

/// Sessions whose operation keys are kept at most.
const KEPT_KEYS: usize = 64;

/// What the service holds.
pub struct Service {
    store: MemoryStore,
    connections: AtomicUsize,
    last_activity: Mutex<Instant>,
    /// Counted after every change ([`Generation`]); `None` in tests.
    generation: Option<Generation>,
    /// [`SessionOpKeys`] of the sessions used lately, forgotten at every change
    /// (`changes` counts them, under this lock).
    op_keys: Mutex<Vec<(Luid, Arc<SessionOpKeys>)>>,
    changes: AtomicU64,
    /// The Kerberos package's AS exchange with a session's keys and TGS
    /// exchange with its TGT ([`Request::KerberosTicket`]), registered by
    /// the service's program.
    kerberos: Option<KerberosProviderRef>,
}

impl Default for Service {
    fn default() -> Self {
        Service {
            store: MemoryStore::new(),
            connections: AtomicUsize::new(0),
            last_activity: Mutex::new(Instant::now()),
            generation: None,
            op_keys: Mutex::new(Vec::new()),
            changes: AtomicU64::new(0),
            kerberos: None,
        }
    }
}

/// The uid of the process at the other end of `s` (`SO_PEERCRED`).
pub fn peer_uid(s: &UnixStream) -> io::Result<u32> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes given;
    // the descriptor is the open socket `s` owns.
    let rc = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(cred.uid)
}

/// Make the process non-dumpable (no core dump, no ptrace by the same
/// uid) and lock the secret arena's pages in memory.
pub fn harden_process() {
    // SAFETY: PR_SET_DUMPABLE takes an integer argument and touches no
    // memory of ours.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    crate::lsa::secret::lock_arena_pages();
}

/// Close every descriptor above stderr the service inherited from the
/// program that started it (pipes of the application must not stay open
/// in a long-lived service). Call first thing in `main`, single-threaded,
/// and not under socket activation (descriptor 3 is the socket then).
pub fn close_inherited_fds() {
    let fds: Vec<i32> = match std::fs::read_dir("/proc/self/fd") {
        Ok(d) => d
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|&fd| fd > 2)
            .collect(),
        Err(_) => return,
    };
    for fd in fds {
        // SAFETY: nothing in this single-threaded process owns a
        // descriptor above 2 yet (the directory listing's own is closed,
        // closing it again fails harmlessly with EBADF).
        unsafe { libc::close(fd) };
    }
}

/// Take the exclusive lock of `dir`'s lock file (released when the file
/// is closed).
pub fn lock_dir(dir: &Path) -> io::Result<File> {
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_NAME))?;
    // SAFETY: flock(2) on the descriptor `f` owns.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(f)
}

impl Service {
    /// Answer one request of a peer of Linux user `uid` (uid 0 may use
    /// every session, as a holder of SeTcbPrivilege).
    pub fn handle(&self, uid: u32, req: Request) -> Body {
        let changes = matches!(
            req,
            Request::Put(_)
                | Request::Remove(_)
                | Request::SetCurrent(..)
                | Request::AddTicket(..)
                | Request::KerberosTicket(..)
                | Request::KerberosPurge(..)
        );
        let out = self.apply(uid, req);
        // After the change, before the answer: a client that hears of it
        // (or checks later) no longer uses what it cached before, and no
        // operation uses keys of a session as it was.
        if changes {
            let mut keys = self.op_keys.lock();
            self.changes.fetch_add(1, Ordering::SeqCst);
            keys.clear();
            drop(keys);
            if let Some(g) = &self.generation {
                g.bump();
            }
        }
        out
    }

    /// NTLM's credential operation with session `l`'s keys, for a peer of
    /// `uid` (the owner or uid 0); `None` when the session is missing,
    /// another uid's or has no NT OWF.
    fn msv1_0_op(&self, l: Luid, uid: u32, op: &CredentialOp) -> Option<CredentialOpResult> {
        let found = self
            .op_keys
            .lock()
            .iter()
            .find(|k| k.0 == l)
            .map(|k| k.1.clone());
        let keys = match found {
            Some(k) => k,
            None => {
                // Counted before reading: keys derived from a session a
                // change has since touched are used once, never kept.
                let before = self.changes.load(Ordering::SeqCst);
                let s = self.store.get(l).ok().flatten()?;
                let k = Arc::new(SessionOpKeys::of(&s)?);
                let mut kept = self.op_keys.lock();
                if self.changes.load(Ordering::SeqCst) == before {
                    if kept.len() >= KEPT_KEYS {
                        kept.remove(0);
                    }
                    kept.push((l, k.clone()));
                }
                k
            }
        };
        keys.run(uid, op)
    }

    fn apply(&self, uid: u32, req: Request) -> Body {
        let owns = |owner: u32| may_use(owner, uid);
        let owned = |l| match self.store.get(l) {
            Ok(Some(s)) if owns(s.owner_uid) => Ok(Some(s)),
            Ok(_) => Ok(None),
            Err(e) => Err(e),
        };
        let failed = || reply(Reply::Failed).0;
        let out = match req {
            Request::Put(bytes) => {
                let Some(s) = codec::decode(&bytes) else {
                    return reply(Reply::Malformed).0;
                };
                // In one step under the store's lock: a TGT the service
                // stores meanwhile is neither lost nor restored stale.
                let put = self.store.update(s.logon_id, |existing| {
                    if !owns(s.owner_uid) || existing.is_some_and(|e| !owns(e.owner_uid)) {
                        return Err(());
                    }
                    // A client's copy (without the OWF) keeps the
                    // service's credential; an OWF the client sent
                    // instead is ignored.
                    let mut s = s;
                    if let Some(e) = existing {
                        s.credentials.restore_from(e.credentials.clone());
                    }
                    Ok(s)
                });
                match put {
                    Ok(()) => Ok(reply(Reply::Ok)),
                    Err(()) => return reply(Reply::Denied).0,
                }
            }
            Request::Get(l) => owned(l).map(|s| {
                let mut w = reply(Reply::Ok);
                match s {
                    None => w.u8(0),
                    Some(mut s) => {
                        s.credentials = s.credentials.client_copy();
                        w.u8(1).bytes(&codec::encode(&s))
                    }
                };
                w
            }),
            Request::Remove(l) => owned(l).and_then(|s| {
                let removed = match s {
                    Some(_) => self.store.remove(l)?,
                    None => false,
                };
                let mut w = reply(Reply::Ok);
                w.u8(removed as u8);
                Ok(w)
            }),
            Request::List => self.store.list().map(|all| {
                let mine: Vec<_> = all
                    .into_iter()
                    .filter(|l| matches!(owned(*l), Ok(Some(_))))
                    .collect();
                let mut w = reply(Reply::Ok);
                w.u32(mine.len() as u32);
                for l in mine {
                    w.luid(l);
                }
                w
            }),
            Request::SetCurrent(u, l) => {
                if !owns(u) {
                    return reply(Reply::Denied).0;
                }
                if let Some(l) = l {
                    match self.store.get(l) {
                        Ok(Some(s)) if s.owner_uid == u || uid == 0 => {}
                        _ => return reply(Reply::Denied).0,
                    }
                }
                self.store.set_current(u, l).map(|_| reply(Reply::Ok))
            }
            Request::Current(u) => {
                if !owns(u) {
                    return reply(Reply::Denied).0;
                }
                self.store.current_for_user(u).map(|l| {
                    let mut w = reply(Reply::Ok);
                    w.opt_luid(l);
                    w
                })
            }
            Request::AddTicket(l, t) => {
                let Some(t) = codec::decode_ticket(&t) else {
                    return reply(Reply::Malformed).0;
                };
                match self.store.add_service_ticket(l, uid, &t) {
                    Err(crate::lsa::store::StoreError::Quota) => return reply(Reply::Quota).0,
                    r => r.map(|added| {
                        let mut w = reply(Reply::Ok);
                        w.u8(added as u8);
                        w
                    }),
                }
            }
            // The TGS exchange with the session's TGT runs here, its key
            // never leaves; the client receives the ticket it asked for.
            Request::KerberosTicket(l, req) => self
                .store
                .kerberos_ticket(l, uid, &req, self.kerberos.as_deref())
                .map(|got| {
                    let mut w = reply(Reply::Ok);
                    match got {
                        Ok(t) => w.u32(0).bytes(&codec::encode_ticket(&t)),
                        Err(status) => w.u32(status.code() as u32),
                    };
                    w
                }),
            // The purge drops the TGT too (a client's Put cannot).
            Request::KerberosPurge(l, server, realm) => self
                .store
                .purge_kerberos_tickets(l, uid, &server, &realm)
                .map(|purged| {
                    let mut w = reply(Reply::Ok);
                    w.u8(purged as u8);
                    w
                }),
            Request::Msv1_0(l, op) => {
                let res = self.msv1_0_op(l, uid, &op);
                let mut w = reply(Reply::Ok);
                wire::write_op_result(&mut w, &res);
                Ok(w)
            }
        };
        match out {
            Ok(w) => w.0,
            Err(_) => failed(),
        }
    }

    /// Serve one connection until it closes or sends an unreadable frame.
    fn serve(&self, stream: UnixStream) {
        let Ok(uid) = peer_uid(&stream) else {
            return;
        };
        let Ok(w) = stream.try_clone() else {
            return;
        };
        let mut r = BufReader::new(stream);
        let mut w = BufWriter::new(w);
        loop {
            let body = match read_frame(&mut r) {
                Ok(Some(Ok(b))) => b,
                Ok(Some(Err(_))) => {
                    // The stream cannot be resynchronised: answer, close.
                    let _ = write_frame(&mut w, &reply(Reply::Malformed).0);
                    let _ = w.flush();
                    return;
                }
                Ok(None) | Err(_) => return,
            };
            let resp = match Request::decode(&body) {
                Ok(req) => self.handle(uid, req),
                Err(_) => reply(Reply::Malformed).0,
            };
            *self.last_activity.lock() = Instant::now();
            if write_frame(&mut w, &resp).is_err() || w.flush().is_err() {
                return;
            }
        }
    }

    fn idle_for(&self) -> Option<Duration> {
        if self.connections.load(Ordering::SeqCst) != 0 {
            return None;
        }
        if !self.store.list().map(|l| l.is_empty()).unwrap_or(false) {
            return None;
        }
        Some(self.last_activity.lock().elapsed())
    }
}

/// The listening socket systemd passed (`LISTEN_PID` = this process,
/// `LISTEN_FDS` = 1: descriptor 3), if any.
fn activated_listener() -> Option<UnixListener> {
    let pid: u32 = std::env::var("LISTEN_PID").ok()?.parse().ok()?;
    let fds: u32 = std::env::var("LISTEN_FDS").ok()?.parse().ok()?;
    if pid != std::process::id() || fds != 1 {
        return None;
    }
    // SAFETY: sd_listen_fds(3): systemd hands this process descriptor 3,
    // a listening socket nothing else in the process owns.
    Some(unsafe { <UnixListener as std::os::unix::io::FromRawFd>::from_raw_fd(3) })
}

/// How the service runs.
#[derive(Clone)]
pub struct Config {
    pub dir: PathBuf,
    /// Exit after this long without sessions or clients.
    pub idle: Duration,
    /// The Kerberos package's logon hooks (the AS exchange of a session's
    /// first or renewed TGT with its keys, the TGS exchange with its TGT);
    /// `None`: `STATUS_NO_LOGON_SERVERS` / `SEC_E_NO_AUTHENTICATING_AUTHORITY`.
    pub kerberos: Option<KerberosProviderRef>,
}

/// Bind the socket in `cfg.dir` and serve until idle. Fails when another
/// service already answers there.
pub fn run(cfg: Config) -> io::Result<()> {
    harden_process();
    let sock = cfg.dir.join(SOCKET_NAME);
    let (listener, ino) = match activated_listener() {
        // systemd socket activation: systemd owns the socket file.
        Some(l) => (l, None),
        None => {
            // No lock here: a starter holds it while it waits for this
            // service.
            if UnixStream::connect(&sock).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    "a service already answers on this socket",
                ));
            }
            let _ = std::fs::remove_file(&sock);
            let l = UnixListener::bind(&sock)?;
            std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o600))?;
            let ino = std::fs::symlink_metadata(&sock)?.ino();
            (l, Some(ino))
        }
    };
    std::fs::write(cfg.dir.join(PID_NAME), format!("{}\n", std::process::id()))?;
    let svc = Arc::new(Service {
        generation: Some(Generation::create(&cfg.dir)?),
        kerberos: cfg.kerberos.clone(),
        ..Service::default()
    });
    {
        let svc = svc.clone();
        let cfg = cfg.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(200).min(cfg.idle));
            if svc.idle_for().is_some_and(|d| d >= cfg.idle) {
                // Under the lock: a starter that saw no service waits
                // until this one is gone, then starts a new one.
                let _lock = lock_dir(&cfg.dir);
                if svc.idle_for().is_some_and(|d| d >= cfg.idle) {
                    // Remove the socket only if it is still ours (a
                    // starter may have replaced a socket it found dead).
                    let sock = cfg.dir.join(SOCKET_NAME);
                    if std::fs::symlink_metadata(&sock).is_ok_and(|m| Some(m.ino()) == ino) {
                        let _ = std::fs::remove_file(&sock);
                        let _ = std::fs::remove_file(cfg.dir.join(PID_NAME));
                    }
                    std::process::exit(0);
                }
            }
        });
    }
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let svc = svc.clone();
        svc.connections.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new().stack_size(256 * 1024).spawn({
            let svc = svc.clone();
            move || {
                svc.serve(stream);
                *svc.last_activity.lock() = Instant::now();
                svc.connections.fetch_sub(1, Ordering::SeqCst);
            }
        });
        if spawned.is_err() {
            svc.connections.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsa::packages::msv1_0::credential_op::{CredentialOp, V2Request};
    use crate::lsa::service::wire::{parse_reply, read_op_result};

    fn status(b: &[u8]) -> Reply {
        parse_reply(b).unwrap().0
    }

    fn v2() -> CredentialOp {
        CredentialOp::V2(V2Request {
            server_challenge: [1; 8],
            client_challenge: [2; 8],
            temp: vec![0; 28],
            want_lm: false,
        })
    }

    /// A peer of another uid (SO_PEERCRED) neither sees nor uses a
    /// session, nor replaces it or makes it its current one; uid 0 may.
    #[test]
    fn peers_see_and_use_only_their_own_uids_sessions() {
        let svc = Service::default();
        let mut s = crate::lsa::store::codec::tests::sample(1000);
        s.owner_uid = 1000;
        let l = s.logon_id;
        let put = |uid, s: &crate::lsa::session::LogonSession| {
            status(&svc.handle(uid, Request::Put(codec::encode(s))))
        };
        // Creating a session in another uid's name is refused.
        assert_eq!(put(1001, &s), Reply::Denied);
        assert_eq!(put(1000, &s), Reply::Ok);
        assert_eq!(put(1001, &s), Reply::Denied);
        let get = |uid| {
            let b = svc.handle(uid, Request::Get(l));
            let (st, mut r) = parse_reply(&b).unwrap();
            assert_eq!(st, Reply::Ok);
            r.flag()
                .unwrap()
                .then(|| codec::decode(r.bytes().unwrap()).unwrap())
        };
        let op = |uid| {
            let b = svc.handle(uid, Request::Msv1_0(l, v2()));
            let (st, mut r) = parse_reply(&b).unwrap();
            assert_eq!(st, Reply::Ok);
            read_op_result(&mut r).unwrap().is_some()
        };
        // The owner: the session without its NT OWF, and the operation.
        let mine = get(1000).unwrap();
        assert!(crate::lsa::Msv1_0PrimaryCredential::of(&mine)
            .unwrap()
            .nt_owf
            .is_none());
        assert!(op(1000));
        // Another uid: nothing.
        assert!(get(1001).is_none());
        assert!(!op(1001));
        let list = svc.handle(1001, Request::List);
        assert_eq!(&list[..], &[0, 0, 0, 0, 0]);
        assert_eq!(
            status(&svc.handle(1001, Request::SetCurrent(1001, Some(l)))),
            Reply::Denied
        );
        assert_eq!(
            status(&svc.handle(1001, Request::Current(1000))),
            Reply::Denied
        );
        let rm = svc.handle(1001, Request::Remove(l));
        assert_eq!(&rm[..], &[0, 0]);
        // Root (SeTcbPrivilege): everything.
        assert!(get(0).is_some());
        assert!(op(0));
        // A copy without the OWF written back keeps the service's OWF.
        assert_eq!(put(1000, &mine), Reply::Ok);
        assert!(op(1000));
        assert_eq!(
            status(&svc.handle(1000, Request::SetCurrent(1000, Some(l)))),
            Reply::Ok
        );
        let rm = svc.handle(1000, Request::Remove(l));
        assert_eq!(&rm[..], &[0, 1]);
        assert!(!op(1000));
    }

    /// The long-term Kerberos keys and the TGT's credential (its session
    /// key) stay in the service: a client's Get has neither (no byte of
    /// them in the reply; the TGT is listed by name and times), and a
    /// client's Put can neither replace them with its own nor drop them;
    /// the service tickets it puts back (a purge) are taken.
    #[test]
    fn a_client_put_neither_replaces_nor_drops_the_kerberos_keys() {
        use crate::lsa::packages::kerberos::{CachedTicket, KerberosCredential, KerberosKey};
        use crate::lsa::packages::KERBEROS_ID;
        use zeroize::Zeroizing;
        let svc = Service::default();
        let mut s = crate::lsa::store::codec::tests::sample(1000);
        let l = s.logon_id;
        let key = [0x5a_u8; 32];
        let tgt = CachedTicket {
            server_name: "krbtgt/EXAMPLE.COM".into(),
            realm_name: "EXAMPLE.COM".into(),
            start_time: 1,
            end_time: 2,
            renew_time: 0,
            encryption_type: 18,
            ticket_flags: 0,
            encoded: Zeroizing::new(vec![7; 40]),
        };
        s.credentials.insert(
            KERBEROS_ID,
            KerberosCredential {
                renewable_with_keys: false,
                principal: "alice@EXAMPLE.COM".into(),
                realm: "EXAMPLE.COM".into(),
                keys: vec![KerberosKey {
                    etype: 18,
                    kvno: 2,
                    key: Zeroizing::new(key.to_vec()),
                }],
                tgt: Some(tgt.clone()),
                service_tickets: vec![CachedTicket {
                    server_name: "HTTP/web".into(),
                    encoded: Zeroizing::new(vec![8; 40]),
                    ..tgt
                }],
            },
        );
        let put = |s: &crate::lsa::session::LogonSession| {
            status(&svc.handle(1000, Request::Put(codec::encode(s))))
        };
        assert_eq!(put(&s), Reply::Ok);
        let kept_keys = || {
            let s = svc.store.get(l).unwrap().unwrap();
            KerberosCredential::of(&s)
                .map(|k| k.keys.iter().map(|k| k.key.to_vec()).collect::<Vec<_>>())
        };
        let b = svc.handle(1000, Request::Get(l));
        assert!(!b.windows(32).any(|w| w == key), "Get reply holds the key");
        let (_, mut r) = parse_reply(&b).unwrap();
        assert!(r.flag().unwrap());
        let mine = codec::decode(r.bytes().unwrap()).unwrap();
        let k = KerberosCredential::of(&mine).unwrap();
        assert!(k.keys.is_empty());
        assert!(
            k.renewable(),
            "the copy does not say the service holds keys"
        );
        let listed = k.tgt.as_ref().expect("the TGT is listed");
        assert_eq!(listed.server_name, "krbtgt/EXAMPLE.COM");
        assert!(listed.encoded.is_empty(), "the TGT's credential in a Get");
        assert!(!b.windows(40).any(|w| w == [7; 40]), "TGT bytes in the Get");
        assert_eq!(&k.service_tickets[0].encoded[..], &[8; 40]);
        let kept_tgt = || {
            let s = svc.store.get(l).unwrap().unwrap();
            KerberosCredential::of(&s)
                .and_then(|k| k.tgt.as_ref())
                .map(|t| (t.end_time, t.encoded.to_vec()))
        };
        let service_tgt = Some((2, vec![7; 40]));

        // A purge put back: the service tickets go; the keys and the TGT
        // stay (a client that drops the TGT does not drop it).
        let mut purged = mine.clone();
        let p = KerberosCredential::of_mut(&mut purged).unwrap();
        p.tgt = None;
        p.service_tickets.clear();
        assert_eq!(put(&purged), Reply::Ok);
        assert_eq!(kept_keys(), Some(vec![key.to_vec()]));
        assert_eq!(kept_tgt(), service_tgt, "the TGT dropped");
        let st = svc.store.get(l).unwrap().unwrap();
        assert!(KerberosCredential::of(&st)
            .unwrap()
            .service_tickets
            .is_empty());

        // A TGT of the client's (another key, another lifetime): ignored.
        let mut replaced = mine.clone();
        KerberosCredential::of_mut(&mut replaced).unwrap().tgt = Some(CachedTicket {
            server_name: "krbtgt/EXAMPLE.COM".into(),
            realm_name: "EXAMPLE.COM".into(),
            start_time: 1,
            end_time: i64::MAX,
            renew_time: 0,
            encryption_type: 18,
            ticket_flags: 0,
            encoded: Zeroizing::new(vec![9; 40]),
        });
        assert_eq!(put(&replaced), Reply::Ok);
        assert_eq!(kept_tgt(), service_tgt, "the TGT replaced");

        // Planted keys: ignored.
        let mut planted = mine.clone();
        KerberosCredential::of_mut(&mut planted).unwrap().keys = vec![KerberosKey {
            etype: 18,
            kvno: 3,
            key: Zeroizing::new(vec![0xa5; 32]),
        }];
        assert_eq!(put(&planted), Reply::Ok);
        assert_eq!(kept_keys(), Some(vec![key.to_vec()]), "planted keys kept");

        // The credential dropped: the service keeps it.
        let mut dropped = mine;
        dropped.credentials.set(KERBEROS_ID, None);
        assert_eq!(put(&dropped), Reply::Ok);
        assert_eq!(kept_keys(), Some(vec![key.to_vec()]), "keys dropped");
        assert_eq!(
            kept_tgt(),
            service_tgt,
            "the TGT dropped with the credential"
        );
    }
}

#[cfg(test)]
#[path = "server_ticket_tests.rs"]
mod ticket_tests;
