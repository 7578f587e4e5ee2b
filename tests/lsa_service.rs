//! The LSA service `opensspi-lsad` across processes: `sspilogon` logs on and exits, separate
//! programs (linked and through `dlopen`) authenticate with the logon session's credentials
//! (their library starts no LSA of its own and never sees the NT OWF), `sspilogon --logoff`
//! ends it. The service is started on demand, survives malformed requests, is replaced when
//! it dies, and two racing starters end with one service.
//!
//! Each test has its own runtime directory (`XDG_RUNTIME_DIR`), and kills its service at the
//! end, so no test leaves a service running or sees another's sessions.
mod common;

use common::*;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
const SEC_E_NO_CREDENTIALS: &str = "0x8009030E";

/// A private runtime directory whose service is killed when dropped.
struct Lsad {
    runtime: PathBuf,
}

impl Lsad {
    fn new(tag: &str) -> Lsad {
        let runtime = target_dir()
            .join("test-tmp")
            .join(format!("lsad-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&runtime);
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        Lsad { runtime }
    }

    fn dir(&self) -> PathBuf {
        self.runtime.join("opensspi")
    }

    /// What a process of this user needs to find the service: its runtime directory, and
    /// `opensspi-lsad` in PATH (as an installed one would be). No opensspi setting.
    fn env(&self, c: &mut Command) {
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_opensspi-lsad"));
        let path = format!(
            "{}:{}",
            bin.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
        );
        c.env("XDG_RUNTIME_DIR", &self.runtime)
            .env("PATH", path)
            .env_remove("OPENSSPI_LSA_STORE")
            .env_remove("OPENSSPI_LSAD");
    }

    fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir().join("lsad.pid"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
    }

    /// Services serving this directory (by command line).
    fn services(&self) -> Vec<u32> {
        let dir = self.dir().display().to_string();
        let mut v = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains("opensspi-lsad") && cmd.contains(&dir) && Lsad::alive(pid) {
                v.push(pid);
            }
        }
        v
    }

    fn kill(&self) {
        for pid in self.services() {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}

impl Drop for Lsad {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.runtime);
    }
}

fn run_timeout(mut cmd: Command, stdin: &[u8]) -> (Option<i32>, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = read_all(child.stdout.take().unwrap());
    let err = read_all(child.stderr.take().unwrap());
    let status = wait_until(&mut child, Instant::now() + TIMEOUT * slowdown());
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let text = out.join().unwrap() + &err.join().unwrap();
    (status.and_then(|s| s.code()), text)
}

/// `sspilogon` (default store: the service) with only the account file and the service's
/// environment.
fn sspilogon(lsad: &Lsad, args: &[&str], stdin: &str, users: &UserFile) -> (Option<i32>, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sspilogon"));
    c.env_clear()
        .env("LANG", "C.UTF-8")
        .env("NTLM_USER_FILE", &users.path)
        .args(args);
    lsad.env(&mut c);
    run_timeout(c, stdin.as_bytes())
}

fn logon_alice(lsad: &Lsad, users: &UserFile) {
    let who = format!("{DOMAIN}\\{USER}");
    let (code, out) = sspilogon(
        lsad,
        &["--password-stdin", &who],
        &format!("{PASSWORD}\n"),
        users,
    );
    assert_eq!(code, Some(0), "sspilogon failed:\n{out}");
    assert!(out.contains(&format!("Logged on {who}")), "{out}");
}

/// Our C client with no identity and no account file: only the service's environment.
fn default_client(lsad: &Lsad, link: Link) -> Command {
    let mut c = sspi_peer(
        link,
        &["client", "--package", "NTLM", "--wrap", "--default-creds"],
    );
    lsad.env(&mut c);
    c
}

fn our_server(users: &UserFile) -> Command {
    let mut c = sspi_peer(Link::Linked, &["server", "--package", "NTLM", "--wrap"]);
    c.env("NTLM_USER_FILE", &users.path)
        .env("OPENSSPI_LSA_STORE", "memory");
    c
}

fn assert_authenticated(r: &PairResult) {
    assert!(r.both_ok(), "pairing failed:\n{r}");
    let client = r.acceptor.field("client").to_lowercase();
    assert!(
        client.contains(USER),
        "server authenticated {client:?}:\n{r}"
    );
}

fn assert_refused(r: &PairResult, status: &str) {
    let c = &r.initiator;
    assert!(!c.success() && !c.report_ok(), "client should fail:\n{r}");
    assert_eq!(c.field("status"), status, "\n{r}");
}

fn logon_use_logoff(link: Link, tag: &str) {
    let lsad = Lsad::new(tag);
    let users = UserFile::alice(tag);
    let r = run_pair(default_client(&lsad, link), our_server(&users), TIMEOUT);
    assert_refused(&r, SEC_E_NO_CREDENTIALS);
    logon_alice(&lsad, &users);
    // sspilogon has exited; the session lives in the service.
    assert!(lsad.pid().is_some_and(Lsad::alive), "no service running");
    for _ in 0..2 {
        let r = run_pair(default_client(&lsad, link), our_server(&users), TIMEOUT);
        assert_authenticated(&r);
    }
    let (code, out) = sspilogon(&lsad, &["--logoff"], "", &users);
    assert_eq!(code, Some(0), "{out}");
    let r = run_pair(default_client(&lsad, link), our_server(&users), TIMEOUT);
    assert_refused(&r, SEC_E_NO_CREDENTIALS);
}

#[test]
fn logon_use_logoff_in_separate_processes_through_the_service() {
    logon_use_logoff(Link::Linked, "xproc");
}

#[test]
fn logon_use_logoff_through_the_service_with_dlopen() {
    logon_use_logoff(Link::Dlopen, "xproc-dl");
}

/// The service killed mid-use: the next client gets a clear status at once (a fresh service
/// without sessions: SEC_E_NO_CREDENTIALS), and the next logon works.
#[test]
fn service_killed_mid_use_is_replaced() {
    let lsad = Lsad::new("killed");
    let users = UserFile::alice("killed");
    logon_alice(&lsad, &users);
    let first = lsad.pid().unwrap();
    lsad.kill();
    let t = Instant::now();
    let r = run_pair(
        default_client(&lsad, Link::Linked),
        our_server(&users),
        TIMEOUT,
    );
    assert_refused(&r, SEC_E_NO_CREDENTIALS);
    assert!(
        t.elapsed() < Duration::from_secs(10) * slowdown(),
        "client took {:?}",
        t.elapsed()
    );
    let second = lsad.pid().unwrap();
    assert_ne!(first, second);
    logon_alice(&lsad, &users);
    let r = run_pair(
        default_client(&lsad, Link::Linked),
        our_server(&users),
        TIMEOUT,
    );
    assert_authenticated(&r);
}

fn frame(version: u8, body: &[u8]) -> Vec<u8> {
    let mut f = vec![version];
    f.extend_from_slice(&(body.len() as u32).to_le_bytes());
    f.extend_from_slice(body);
    f
}

/// Send `bytes` on a fresh connection; what came back before the service closed or 2 s.
fn exchange(lsad: &Lsad, bytes: &[u8], close_write: bool) -> Vec<u8> {
    let mut s = UnixStream::connect(lsad.dir().join("lsad.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = s.write_all(bytes);
    if close_write {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        if out.len() >= 5 && !close_write {
            let len = u32::from_le_bytes(out[1..5].try_into().unwrap()) as usize;
            if out.len() >= 5 + len {
                break;
            }
        }
    }
    out
}

/// Malformed, truncated and oversized requests get an error (or a closed connection) and
/// never take the service down.
#[test]
fn malformed_requests_never_take_the_service_down() {
    let lsad = Lsad::new("malformed");
    let users = UserFile::alice("malformed");
    let (code, out) = sspilogon(&lsad, &["--list"], "", &users);
    assert_eq!(code, Some(0), "{out}");
    let pid = lsad.pid().unwrap();
    const MALFORMED: [u8; 6] = [1, 1, 0, 0, 0, 2];
    // Wrong version, oversized length, unknown opcode, truncated fields, trailing bytes.
    assert_eq!(exchange(&lsad, &frame(9, &[4]), false), MALFORMED);
    let mut huge = vec![1u8];
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(exchange(&lsad, &huge, false), MALFORMED);
    assert_eq!(exchange(&lsad, &frame(1, &[200]), false), MALFORMED);
    assert_eq!(exchange(&lsad, &frame(1, &[2, 1, 2]), false), MALFORMED);
    assert_eq!(exchange(&lsad, &frame(1, &[4, 0]), false), MALFORMED);
    assert_eq!(exchange(&lsad, &frame(1, &[7, 0, 0]), false), MALFORMED);
    // A put whose session is garbage.
    assert_eq!(
        exchange(&lsad, &frame(1, &[1, 3, 0, 0, 0, 1, 2, 3]), false),
        MALFORMED
    );
    // A frame cut short, a header cut short, then nothing.
    assert!(exchange(&lsad, &frame(1, &[4, 0, 0])[..7], true).is_empty());
    assert!(exchange(&lsad, &[1, 5], true).is_empty());
    // Random bytes.
    let mut x: u32 = 0x1234_5678;
    for _ in 0..50 {
        let n = (x % 64) as usize;
        let junk: Vec<u8> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let _ = exchange(&lsad, &junk, true);
    }
    // Still the same service, still answering.
    assert_eq!(lsad.pid(), Some(pid));
    assert!(Lsad::alive(pid));
    assert_eq!(
        exchange(&lsad, &frame(1, &[4]), false),
        [1, 5, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    logon_alice(&lsad, &users);
    assert_eq!(lsad.pid(), Some(pid));
}

/// Programs racing to start the service end with one service.
#[test]
fn racing_starters_end_with_one_service() {
    let lsad = Lsad::new("race");
    let users = UserFile::alice("race");
    let starters: Vec<_> = (0..8)
        .map(|_| {
            let mut c = Command::new(env!("CARGO_BIN_EXE_sspilogon"));
            c.env_clear()
                .env("NTLM_USER_FILE", &users.path)
                .arg("--list")
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            lsad.env(&mut c);
            c.spawn().unwrap()
        })
        .collect();
    for mut s in starters {
        assert!(s.wait().unwrap().success());
    }
    assert_eq!(lsad.services().len(), 1, "{:?}", lsad.services());
}

/// With no session and no client the service exits after its idle time.
#[test]
fn idle_service_exits() {
    let lsad = Lsad::new("idle");
    let users = UserFile::alice("idle");
    let mut c = Command::new(env!("CARGO_BIN_EXE_sspilogon"));
    c.env_clear()
        .env("NTLM_USER_FILE", &users.path)
        .arg("--list");
    lsad.env(&mut c);
    c.env("OPENSSPI_LSAD_IDLE", "1");
    assert!(c.output().unwrap().status.success());
    let pid = lsad.pid().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10) * slowdown();
    while Lsad::alive(pid) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    assert!(!Lsad::alive(pid), "service still running");
    assert!(!lsad.dir().join("lsad.sock").exists());
}
