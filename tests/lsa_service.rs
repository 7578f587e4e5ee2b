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
    // An old client's withdrawn first-TGT request (op 10 and a LUID).
    let mut old = vec![10u8];
    old.extend_from_slice(&0x1234_5678_u64.to_le_bytes());
    assert_eq!(exchange(&lsad, &frame(1, &old), false), MALFORMED);
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

/// NTOWFv1 computed here, independently of the library.
fn nt_owf(password: &str) -> [u8; 16] {
    use md4::Digest;
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    md4::Md4::digest(&utf16).into()
}

/// Copies of `needle` in every readable mapping of process `pid` (dump-excluded pages
/// included), read through /proc/<pid>/mem.
fn copies_in_memory(pid: u32, needle: &[u8]) -> usize {
    use std::io::{Seek, SeekFrom};
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    let mut n = 0;
    for line in maps.lines() {
        let mut f = line.split_whitespace();
        let (range, perms) = (f.next().unwrap(), f.next().unwrap());
        if !perms.starts_with('r') || line.ends_with("[vvar]") || line.ends_with("[vsyscall]") {
            continue;
        }
        let (a, b) = range.split_once('-').unwrap();
        let a = u64::from_str_radix(a, 16).unwrap();
        let b = u64::from_str_radix(b, 16).unwrap();
        let mut buf = vec![0u8; (b - a) as usize];
        if mem.seek(SeekFrom::Start(a)).is_err() || mem.read_exact(&mut buf).is_err() {
            continue;
        }
        n += buf.windows(needle.len()).filter(|w| *w == needle).count();
    }
    n
}

/// A client with default credentials never holds the NT OWF: after its noninteractive
/// handshake (AUTHENTICATE sent, context established, waiting for the server's sealed reply)
/// no readable page of the process, dump-excluded or not, contains it; so neither can its core
/// dump. The service that computed the response holds it.
#[test]
fn client_memory_holds_no_nt_owf_after_a_noninteractive_handshake() {
    use std::io::BufRead;
    let lsad = Lsad::new("owf");
    let users = UserFile::alice("owf");
    logon_alice(&lsad, &users);
    let owf = nt_owf(PASSWORD);
    let mut client = default_client(&lsad, Link::Linked)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = our_server(&users)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut from_client = std::io::BufReader::new(client.stdout.take().unwrap());
    let mut from_server = std::io::BufReader::new(server.stdout.take().unwrap());
    let mut to_client = client.stdin.take().unwrap();
    let mut to_server = server.stdin.take().unwrap();
    let relay = |from: &mut dyn BufRead, to: &mut dyn Write| {
        let mut l = String::new();
        assert!(from.read_line(&mut l).unwrap() > 0, "peer closed early");
        to.write_all(l.as_bytes()).unwrap();
        to.flush().unwrap();
    };
    relay(&mut from_client, &mut to_server); // NEGOTIATE
    relay(&mut from_server, &mut to_client); // CHALLENGE
    relay(&mut from_client, &mut to_server); // AUTHENTICATE
    relay(&mut from_client, &mut to_server); // the client's first sealed message
                                             // The client now waits for the server's reply: its context is complete.
    let in_client = copies_in_memory(client.id(), &owf);
    let service = lsad.pid().unwrap();
    let in_service = copies_in_memory(service, &owf);
    let _ = client.kill();
    let _ = server.kill();
    let _ = client.wait();
    let _ = server.wait();
    assert_eq!(in_client, 0, "the client process holds the NT OWF");
    assert!(
        in_service >= 1,
        "the scan found no NT OWF in the service either"
    );
}

/// Set in the child of [`another_uid_sees_nothing_and_can_use_nothing`]: the socket to probe.
const PROBE_ENV: &str = "OPENSSPI_LSAD_TEST_PROBE";

/// One request on a fresh connection; the response frame.
fn request(sock: &std::path::Path, body: &[u8]) -> Vec<u8> {
    let mut s = UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(&frame(1, body)).unwrap();
    let mut head = [0u8; 5];
    s.read_exact(&mut head).unwrap();
    let mut rest = vec![0u8; u32::from_le_bytes(head[1..5].try_into().unwrap()) as usize];
    s.read_exact(&mut rest).unwrap();
    [&head[..], &rest].concat()
}

fn luid_body(op: u8, luid: u64) -> Vec<u8> {
    let mut b = vec![op];
    b.extend_from_slice(&luid.to_le_bytes());
    b
}

/// An NTLMv2 credential operation on `luid` (request body).
fn ntlm_op_body(luid: u64) -> Vec<u8> {
    let mut b = luid_body(7, luid);
    b.extend_from_slice(&[1; 8]); // server challenge
    b.extend_from_slice(&[2; 8]); // client challenge
    b.push(0);
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&[0; 28]);
    b
}

/// Another uid (setpriv), even with the socket open to it, sees no session, gets no response
/// computed, logs nothing off and cannot name root's current session: `SO_PEERCRED` binds each
/// connection to its uid. (Needs root to switch uid; otherwise SKIPPED.)
#[test]
fn another_uid_sees_nothing_and_can_use_nothing() {
    const OK_EMPTY: [u8; 7] = [1, 2, 0, 0, 0, 0, 0];
    if let Some(probe) = std::env::var_os(PROBE_ENV) {
        // The child, as uid 65534: each answer on a line.
        let sock = PathBuf::from(probe);
        let luid: u64 = std::env::var("PROBE_LUID").unwrap().parse().unwrap();
        for body in [
            vec![4],
            luid_body(2, luid),
            ntlm_op_body(luid),
            luid_body(3, luid),
            vec![6, 0, 0, 0, 0],
            vec![5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        ] {
            println!("ANSWER {}", hex::encode(request(&sock, &body)));
        }
        return;
    }
    if opensspi::lsa::store::keyring::current_uid() != 0 {
        eprintln!("SKIPPED: needs root to switch uid");
        return;
    }
    let lsad = Lsad::new("uid");
    let users = UserFile::alice("uid");
    logon_alice(&lsad, &users);
    let sock = lsad.dir().join("lsad.sock");
    // The session's LUID, as root sees it.
    let list = request(&sock, &[4]);
    assert_eq!(&list[..10], &[1, 13, 0, 0, 0, 0, 1, 0, 0, 0], "{list:?}");
    let luid = u64::from_le_bytes(list[10..18].try_into().unwrap());
    // The owner gets its response computed.
    let mine = request(&sock, &ntlm_op_body(luid));
    assert_eq!(mine[5..7], [0, 1], "{mine:?}");
    // Open the directory and the socket to everyone (a misconfiguration the uid check must
    // survive), then probe as uid 65534.
    for d in [&lsad.runtime, &lsad.dir()] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o711)).unwrap();
    }
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "another_uid_sees_nothing_and_can_use_nothing",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PROBE_ENV, &sock)
        .env("PROBE_LUID", luid.to_string())
        .output()
        .expect("setpriv (util-linux) is missing");
    let text = String::from_utf8_lossy(&out.stdout);
    let answers: Vec<Vec<u8>> = text
        .lines()
        .filter_map(|l| l.split("ANSWER ").nth(1))
        .map(|h| hex::decode(h.trim()).unwrap())
        .collect();
    assert_eq!(
        answers.len(),
        6,
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // List: none. Get: absent. NTLM operation: nothing computed. Remove: nothing removed.
    assert_eq!(answers[0], [1, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(answers[1], OK_EMPTY);
    assert_eq!(answers[2], OK_EMPTY);
    assert_eq!(answers[3], OK_EMPTY);
    // Root's current session: denied, to read and to set.
    assert_eq!(answers[4], [1, 1, 0, 0, 0, 1]);
    assert_eq!(answers[5], [1, 1, 0, 0, 0, 1]);
    // The session is intact: its owner still authenticates with it.
    let r = run_pair(
        default_client(&lsad, Link::Linked),
        our_server(&users),
        TIMEOUT,
    );
    assert_authenticated(&r);
}

/// Set in the worker of [`a_long_lived_process_sees_logoff_and_logon_by_others`].
const LONG_LIVED_ENV: &str = "OPENSSPI_LSAD_TEST_LONG_LIVED";

/// `AcquireCredentialsHandle` with no identity + a handshake against an in-process server:
/// the status, and the user the server authenticated.
fn default_handshake() -> Result<String, opensspi::sspi::SecStatus> {
    use opensspi::sspi::consts::*;
    use opensspi::sspi::registry::find_package;
    use opensspi::sspi::{AcquireCredentials, CredentialUse, HandshakeInput};
    let ntlm = find_package("NTLM").unwrap();
    let acquire = |usage| {
        ntlm.acquire_credentials(&AcquireCredentials {
            principal: None,
            usage,
            logon_id: None,
            identity: None,
        })
    };
    let input = |token| HandshakeInput {
        token,
        channel_bindings: None,
        target: None,
        context_req: ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY,
        data_rep: SECURITY_NATIVE_DREP,
    };
    let client = acquire(CredentialUse::Outbound)?;
    let server = acquire(CredentialUse::Inbound)?;
    let mut c = client.new_initiator(None, ISC_REQ_CONFIDENTIALITY)?;
    let mut s = server.new_acceptor(ASC_REQ_CONFIDENTIALITY)?;
    let neg = c.initialize(&input(None))?.token;
    let chal = s.accept(&input(Some(&neg)))?.token;
    let auth = c.initialize(&input(Some(&chal)))?.token;
    s.accept(&input(Some(&auth)))?;
    Ok(s.client_identity()
        .map(|(_, user)| user)
        .unwrap_or_default())
}

/// Run `sspilogon ARGS` from the worker (its environment is the service's).
fn worker_sspilogon(args: &[&str], stdin: &str) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sspilogon"));
    c.args(args);
    let (code, out) = run_timeout(c, stdin.as_bytes());
    assert_eq!(code, Some(0), "sspilogon {args:?}:\n{out}");
}

fn long_lived_worker() {
    let who = format!("{DOMAIN}\\{USER}");
    let logon = || worker_sspilogon(&["--password-stdin", &who], &format!("{PASSWORD}\n"));
    logon();
    for _ in 0..3 {
        assert_eq!(default_handshake().unwrap(), USER);
    }
    // Another process logs the session off: the next AcquireCredentialsHandle here fails.
    worker_sspilogon(&["--logoff"], "");
    let ach = opensspi::sspi::registry::find_package("NTLM")
        .unwrap()
        .acquire_credentials(&opensspi::sspi::AcquireCredentials {
            principal: None,
            usage: opensspi::sspi::CredentialUse::Outbound,
            logon_id: None,
            identity: None,
        });
    assert!(
        matches!(ach, Err(opensspi::sspi::SecStatus::NoCredentials)),
        "AcquireCredentialsHandle after logoff: {:?}",
        ach.err()
    );
    // Another process logs on again: that session is used.
    logon();
    assert_eq!(default_handshake().unwrap(), USER);
    worker_sspilogon(&["--logoff"], "");
    assert_eq!(
        default_handshake().err(),
        Some(opensspi::sspi::SecStatus::NoCredentials)
    );
    // The service killed and its directory made anew (a new login session): the next
    // logon's session is used, although this process mapped the old directory's counter.
    let dir = PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR").unwrap()).join("opensspi");
    let pid = std::fs::read_to_string(dir.join("lsad.pid")).unwrap();
    assert!(Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap()
        .success());
    std::fs::remove_dir_all(&dir).unwrap();
    logon();
    assert_eq!(default_handshake().unwrap(), USER);
    println!("WORKER-DONE long-lived");
}

/// A process that keeps authenticating with the default credentials (the client caches
/// what the service told it) sees `sspilogon --logoff` and a new `sspilogon` logon run by
/// other processes at its very next `AcquireCredentialsHandle`, also after its service was
/// replaced in a new runtime directory.
#[test]
fn a_long_lived_process_sees_logoff_and_logon_by_others() {
    if std::env::var_os(LONG_LIVED_ENV).is_some() {
        long_lived_worker();
        return;
    }
    let lsad = Lsad::new("long-lived");
    let users = UserFile::alice("long-lived");
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.env_clear()
        .args([
            "--exact",
            "a_long_lived_process_sees_logoff_and_logon_by_others",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LONG_LIVED_ENV, "1")
        .env("NTLM_USER_FILE", &users.path);
    lsad.env(&mut c);
    let (code, out) = run_timeout(c, b"");
    assert!(
        code == Some(0) && out.contains("WORKER-DONE long-lived"),
        "worker failed:\n{out}"
    );
}

/// Set in the worker processes of [`stress_many_processes_one_service`]: rounds to run.
const STRESS_ENV: &str = "OPENSSPI_LSAD_TEST_ROUNDS";

/// One worker: `rounds` × (LsaLogonUser in the service, an NTLM handshake with the default
/// credentials of that session against an in-process server, logoff).
fn stress_worker(rounds: usize) {
    use opensspi::sspi::consts::*;
    use opensspi::sspi::registry::find_package;
    use opensspi::sspi::{AcquireCredentials, CredentialUse, HandshakeInput};
    let lsa = opensspi::lsa::lsa().expect("LSA");
    let ntlm = find_package("NTLM").unwrap();
    let acquire = |usage| {
        ntlm.acquire_credentials(&AcquireCredentials {
            principal: None,
            usage,
            logon_id: None,
            identity: None,
        })
    };
    let server = acquire(CredentialUse::Inbound).unwrap();
    fn input(token: Option<&[u8]>) -> HandshakeInput<'_> {
        HandshakeInput {
            token,
            channel_bindings: None,
            target: None,
            context_req: ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY,
            data_rep: SECURITY_NATIVE_DREP,
        }
    }
    let who = opensspi::lsa::InteractiveLogon::new(DOMAIN, USER, PASSWORD);
    for i in 0..rounds {
        let l = lsa
            .logon_user(2, 2, &who)
            .unwrap_or_else(|e| panic!("round {i}: logon: {e:?}"))
            .logon_id;
        let client =
            acquire(CredentialUse::Outbound).unwrap_or_else(|e| panic!("round {i}: {e:?}"));
        let mut c = client.new_initiator(None, ISC_REQ_CONFIDENTIALITY).unwrap();
        let mut s = server.new_acceptor(ASC_REQ_CONFIDENTIALITY).unwrap();
        let neg = c.initialize(&input(None)).unwrap().token;
        let chal = s.accept(&input(Some(&neg))).unwrap().token;
        let auth = c
            .initialize(&input(Some(&chal)))
            .unwrap_or_else(|e| panic!("round {i}: initialize: {e:?}"))
            .token;
        s.accept(&input(Some(&auth)))
            .unwrap_or_else(|e| panic!("round {i}: accept: {e:?}"));
        lsa.logoff(l)
            .unwrap_or_else(|e| panic!("round {i}: logoff: {e:?}"));
        let gone = ntlm.acquire_credentials(&AcquireCredentials {
            principal: None,
            usage: CredentialUse::Outbound,
            logon_id: Some(l),
            identity: None,
        });
        assert!(gone.is_err(), "round {i}: credentials after logoff");
    }
    println!("WORKER-DONE {rounds}");
}

fn vm_rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// `procs` workers of `rounds` rounds each, at once.
fn stress_run(lsad: &Lsad, users: &UserFile, procs: usize, rounds: usize) {
    let workers: Vec<_> = (0..procs)
        .map(|_| {
            let mut c = Command::new(std::env::current_exe().unwrap());
            c.env_clear()
                .args([
                    "--exact",
                    "stress_many_processes_one_service",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(STRESS_ENV, rounds.to_string())
                .env("NTLM_USER_FILE", &users.path)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            lsad.env(&mut c);
            c.spawn().unwrap()
        })
        .collect();
    for w in workers {
        let out = w.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains(&format!("WORKER-DONE {rounds}")),
            "worker failed:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// 50 processes × 100 rounds of logon / default-credential handshake / logoff against one
/// service: every round succeeds, no session is left, and the service's resident size after
/// the run is what it was after a first, shorter run (no growth per round).
#[test]
fn stress_many_processes_one_service() {
    if let Ok(r) = std::env::var(STRESS_ENV) {
        stress_worker(r.parse().unwrap());
        return;
    }
    let lsad = Lsad::new("stress");
    let users = UserFile::alice("stress");
    stress_run(&lsad, &users, 50, 10);
    let pid = lsad.pid().unwrap();
    let warm = vm_rss_kib(pid);
    let t = Instant::now();
    stress_run(&lsad, &users, 50, 100);
    eprintln!(
        "50 processes x 100 rounds: {:?}; service RSS {warm} KiB -> {} KiB",
        t.elapsed(),
        vm_rss_kib(pid)
    );
    assert_eq!(lsad.pid(), Some(pid), "the service was replaced");
    let after = vm_rss_kib(pid);
    assert!(
        after <= warm + 2048,
        "service RSS grew from {warm} KiB to {after} KiB"
    );
    // Nothing left behind.
    let list = request(&lsad.dir().join("lsad.sock"), &[4]);
    assert_eq!(list, [1, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
}

/// A hung service (stopped): a client gets an error status within the client's time limit
/// (5 s per request; AcquireCredentialsHandle makes two), never hangs; once the service runs again, clients authenticate.
#[test]
fn hung_service_gives_a_status_in_bounded_time() {
    const SEC_E_INTERNAL_ERROR: &str = "0x80090304";
    let lsad = Lsad::new("hung");
    let users = UserFile::alice("hung");
    logon_alice(&lsad, &users);
    let pid = lsad.pid().unwrap().to_string();
    assert!(Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap()
        .success());
    let t = Instant::now();
    let r = run_pair(
        default_client(&lsad, Link::Linked),
        our_server(&users),
        Duration::from_secs(60),
    );
    let took = t.elapsed();
    let _ = Command::new("kill").args(["-CONT", &pid]).status();
    assert_refused(&r, SEC_E_INTERNAL_ERROR);
    assert!(took < Duration::from_secs(15) * slowdown(), "took {took:?}");
    let r = run_pair(
        default_client(&lsad, Link::Linked),
        our_server(&users),
        TIMEOUT,
    );
    assert_authenticated(&r);
}

/// Set in the workers of [`concurrent_ticket_cache_updates_lose_nothing`]: "LUID:WORKER".
const TICKETS_ENV: &str = "OPENSSPI_LSAD_TEST_TICKETS";
const TICKETS_PER_WORKER: usize = 10;

fn ticket(name: &str) -> opensspi::lsa::session::CachedTicket {
    opensspi::lsa::session::CachedTicket {
        server_name: name.to_string(),
        realm_name: "EXAMPLE.COM".into(),
        start_time: 1,
        end_time: 2,
        renew_time: 3,
        encryption_type: 18,
        ticket_flags: 0x4081_0000,
        encoded: zeroize::Zeroizing::new(name.as_bytes().repeat(20)),
    }
}

fn ticket_worker(arg: &str) {
    let (luid, worker) = arg.split_once(':').unwrap();
    let luid = opensspi::lsa::Luid::from_u64(luid.parse().unwrap());
    let lsa = opensspi::lsa::lsa().expect("LSA");
    for i in 0..TICKETS_PER_WORKER {
        let name = format!("host/w{worker}-{i}");
        lsa.add_kerberos_service_ticket(luid, &ticket(&name))
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        // Read back: every ticket this worker added is there.
        let s = lsa.store().get(luid).unwrap().unwrap();
        let k = opensspi::lsa::session::KerberosCredential::of(&s).unwrap();
        for j in 0..=i {
            let mine = format!("host/w{worker}-{j}");
            assert!(
                k.service_tickets.iter().any(|t| t.server_name == mine),
                "{mine} lost"
            );
        }
    }
    println!("TICKETS-DONE");
}

/// One session's ticket cache written by many processes at once loses nothing: 20 processes
/// add 10 service tickets each to the same session in the service, reading it back after each.
#[test]
fn concurrent_ticket_cache_updates_lose_nothing() {
    use opensspi::lsa::service::client::ServiceStore;
    use opensspi::lsa::session::*;
    use opensspi::lsa::store::SessionStore;
    if let Ok(arg) = std::env::var(TICKETS_ENV) {
        ticket_worker(&arg);
        return;
    }
    let lsad = Lsad::new("tickets");
    let users = UserFile::alice("tickets");
    logon_alice(&lsad, &users); // starts the service
    let store = ServiceStore::at(lsad.dir());
    let luid = opensspi::lsa::Luid::from_u64(0x7777_0000_1234);
    let mut session = LogonSession {
        logon_id: luid,
        owner_uid: opensspi::lsa::store::keyring::current_uid(),
        user: USER.into(),
        domain: "EXAMPLE.COM".into(),
        logon_type: SecurityLogonType::Interactive,
        logon_time: 0,
        authentication_package: "Kerberos".into(),
        sid: Sid::for_account(DOMAIN, USER),
        logon_server: String::new(),
        dns_domain_name: "EXAMPLE.COM".into(),
        upn: format!("{USER}@EXAMPLE.COM"),
        credentials: Default::default(),
    };
    session.credentials.insert(
        opensspi::lsa::packages::KERBEROS_ID,
        KerberosCredential {
            principal: format!("{USER}@EXAMPLE.COM"),
            realm: "EXAMPLE.COM".into(),
            ..Default::default()
        },
    );
    store.put(&session).unwrap();
    let workers: Vec<_> = (0..20)
        .map(|w| {
            let mut c = Command::new(std::env::current_exe().unwrap());
            c.env_clear()
                .args([
                    "--exact",
                    "concurrent_ticket_cache_updates_lose_nothing",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(TICKETS_ENV, format!("{}:{w}", luid.as_u64()))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            lsad.env(&mut c);
            c.spawn().unwrap()
        })
        .collect();
    for w in workers {
        let out = w.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("TICKETS-DONE"),
            "worker failed:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let s = store.get(luid).unwrap().unwrap();
    let k = KerberosCredential::of(&s).unwrap();
    assert_eq!(k.service_tickets.len(), 20 * TICKETS_PER_WORKER);
}

/// Negotiate with a logon session whose Kerberos credential has an expired TGT and no
/// long-term keys (nothing can renew it: the service holds none) and an NTLM credential:
/// the client copy says the Kerberos credential is not renewable, so Negotiate leaves
/// Kerberos out and authenticates with NTLM, as Windows does without a usable Kerberos
/// credential (no KDC here: Kerberos could not succeed). The session is made by a client
/// Put (a new session keeps what it is sent) from alice's logon, and made current.
#[test]
fn negotiate_uses_ntlm_when_the_kerberos_credential_cannot_get_a_tgt() {
    use opensspi::lsa::packages::kerberos::{CachedTicket, KerberosCredential};
    use opensspi::lsa::Msv1_0PrimaryCredential;
    let lsad = Lsad::new("expired-krb");
    let users = UserFile::alice("expired-krb");
    logon_alice(&lsad, &users);
    let sock = lsad.dir().join("lsad.sock");
    let uid = opensspi::lsa::store::keyring::current_uid();
    let mut current = vec![6u8];
    current.extend_from_slice(&uid.to_le_bytes());
    let cur = request(&sock, &current);
    assert_eq!(&cur[5..7], &[0, 1], "no current session: {cur:?}");
    let luid = u64::from_le_bytes(cur[7..15].try_into().unwrap());
    let got = request(&sock, &luid_body(2, luid));
    assert_eq!(&got[5..7], &[0, 1], "Get: {got:?}");
    let n = u32::from_le_bytes(got[7..11].try_into().unwrap()) as usize;
    let mut s = opensspi::lsa::store::codec::decode(&got[11..11 + n]).unwrap();

    let new = opensspi::lsa::session::allocate_luid().unwrap();
    s.logon_id = new;
    let msv = Msv1_0PrimaryCredential::of_mut(&mut s).unwrap();
    msv.logon_id = new;
    msv.nt_owf = Some(opensspi::lsa::accounts::nt_owf_v1(PASSWORD));
    let expired = CachedTicket {
        server_name: "krbtgt/EXAMPLE.COM".into(),
        realm_name: "EXAMPLE.COM".into(),
        start_time: 1,
        end_time: 2,
        renew_time: 0,
        encryption_type: 18,
        ticket_flags: 0,
        encoded: Default::default(),
    };
    s.credentials.insert(
        opensspi::lsa::packages::KERBEROS_ID,
        KerberosCredential {
            principal: format!("{USER}@EXAMPLE.COM"),
            realm: "EXAMPLE.COM".into(),
            tgt: Some(expired),
            ..Default::default()
        },
    );
    let bytes = opensspi::lsa::store::codec::encode(&s);
    let mut put = vec![1u8];
    put.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    put.extend_from_slice(&bytes);
    assert_eq!(request(&sock, &put), [1, 1, 0, 0, 0, 0]);
    let mut set = vec![5u8];
    set.extend_from_slice(&uid.to_le_bytes());
    set.push(1);
    set.extend_from_slice(&new.as_u64().to_le_bytes());
    assert_eq!(request(&sock, &set), [1, 1, 0, 0, 0, 0]);
    // What a client reads: no keys, not renewable.
    let got = request(&sock, &luid_body(2, new.as_u64()));
    let n = u32::from_le_bytes(got[7..11].try_into().unwrap()) as usize;
    let copy = opensspi::lsa::store::codec::decode(&got[11..11 + n]).unwrap();
    let k = KerberosCredential::of(&copy).unwrap();
    assert!(k.keys.is_empty() && !k.renewable(), "{k:?}");

    let mut client = sspi_peer(
        Link::Linked,
        &[
            "client",
            "--package",
            "Negotiate",
            "--target",
            "HTTP/localhost",
            "--wrap",
            "--default-creds",
        ],
    );
    lsad.env(&mut client);
    let trace = lsad.runtime.join("client-trace");
    client.env("OPENSSPI_TRACE", &trace);
    client.env(
        "KRB5CCNAME",
        format!("FILE:{}", lsad.runtime.join("no-ccache").display()),
    );
    let mut server = sspi_peer(
        Link::Linked,
        &["server", "--package", "Negotiate", "--wrap"],
    );
    server
        .env("NTLM_USER_FILE", &users.path)
        .env("OPENSSPI_LSA_STORE", "memory");
    let r = run_pair(client, server, TIMEOUT);
    assert_authenticated(&r);
    // Kerberos was left out when the credential was acquired, not tried
    // at InitializeSecurityContext (no ticket asked of the service).
    let trace = std::fs::read_to_string(&trace).unwrap();
    assert!(
        trace.contains("Negotiate: Kerberos has no usable credential, left out"),
        "{trace}"
    );
    assert!(!trace.contains("no ticket from the LSA"), "{trace}");
}
