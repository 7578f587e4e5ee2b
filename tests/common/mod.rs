//! Helpers shared by the integration tests that drive `libopensspi.so` from C programs and
//! third-party peers (see `tests/peers/README.md`).
//!
//! * [`cdylib`]: the built library (integration tests run after `cargo build` built it);
//! * [`compile_c`]: `cc -std=c11 -Wall -Wextra -Werror -I include` into `target/c-tests/`, linked
//!   with `-lopensspi` (rpath) or, in [`Link::Dlopen`] mode, with `-ldl` only;
//! * [`c_command`]: a `Command` for a C binary, under valgrind when `OPENSSPI_VALGRIND=1`;
//! * [`run_pair`]: two peers cross-wired (stdout of one = stdin of the other), with a timeout;
//!   [`run_pair_fed`] first writes a prefix (a password line) to the initiator's stdin;
//! * [`venv_python`], [`peer_script`], [`UserFile`]: the Python peers and their account file.
#![allow(dead_code)]

pub mod krb_realm;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

pub const USER: &str = "alice";
pub const DOMAIN: &str = "EXAMPLE";
pub const PASSWORD: &str = "alice-Passw0rd";

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `CARGO_TARGET_DIR` (relative paths are relative to the manifest) or `<manifest>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => manifest_dir().join(d),
        None => manifest_dir().join("target"),
    }
}

/// Directory holding `libopensspi.so` (the debug profile, as `cargo build`/`cargo test` make it).
pub fn lib_dir() -> PathBuf {
    target_dir().join("debug")
}

static BUILT: OnceLock<()> = OnceLock::new();

/// `target/debug/libopensspi.so`, freshly built: `cargo test` builds only the rlib for
/// integration tests, so the first call runs `$CARGO build --lib` (cargo does not hold the build
/// lock while tests run). Without `CARGO` (a test binary started by hand) the file must exist.
pub fn cdylib() -> PathBuf {
    BUILT.get_or_init(|| {
        if let Some(cargo) = std::env::var_os("CARGO") {
            let res = Command::new(cargo)
                .args(["build", "--lib", "--quiet"])
                .current_dir(manifest_dir())
                .output()
                .expect("cannot run cargo");
            assert!(
                res.status.success(),
                "cargo build --lib failed:\n{}",
                String::from_utf8_lossy(&res.stderr)
            );
        }
    });
    let p = lib_dir().join("libopensspi.so");
    assert!(
        p.exists(),
        "{} is missing: run `cargo build` (or scripts/test.sh) first",
        p.display()
    );
    p
}

pub fn c_tests_dir() -> PathBuf {
    let d = target_dir().join("c-tests");
    fs::create_dir_all(&d).unwrap();
    d
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// `-L<lib_dir> -lopensspi -Wl,-rpath,<lib_dir>`: calls the exported symbols.
    Linked,
    /// `-ldl -DOPENSSPI_DLOPEN`: the program dlopens the library itself.
    Dlopen,
}

fn mtime(p: &Path) -> SystemTime {
    fs::metadata(p)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Newest mtime among the inputs of a C build: the source, its directory's headers, `include/`
/// and the library.
fn newest_input(src: &Path) -> SystemTime {
    let mut newest = mtime(src).max(mtime(&lib_dir().join("libopensspi.so")));
    for dir in [
        src.parent().unwrap().to_path_buf(),
        manifest_dir().join("include"),
    ] {
        for e in fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.path().extension().is_some_and(|x| x == "h") {
                newest = newest.max(mtime(&e.path()));
            }
        }
    }
    newest
}

static CC_LOCK: Mutex<()> = Mutex::new(());

/// Compiles `src` (relative to the manifest dir) into `target/c-tests/<stem>[-dlopen]`, unless an
/// up-to-date binary exists. Panics with the compiler output on failure.
pub fn compile_c(src: &str, link: Link) -> PathBuf {
    let stem = Path::new(src).file_stem().unwrap().to_str().unwrap();
    compile_c_with(stem, &[src], link, &[])
}

/// Like [`compile_c`] for a program made of several `srcs` with extra `-D` `defines`, into
/// `target/c-tests/<name>[-dlopen]`. Dlopen mode adds `-DOPENSSPI_DLOPEN -ldl`.
pub fn compile_c_with(name: &str, srcs: &[&str], link: Link, defines: &[&str]) -> PathBuf {
    compile_c_flags(name, srcs, link, defines, &[])
}

/// Like [`compile_c_with`], with extra compiler/linker `flags` (e.g. `-rdynamic`).
pub fn compile_c_flags(
    name: &str,
    srcs: &[&str],
    link: Link,
    defines: &[&str],
    flags: &[&str],
) -> PathBuf {
    cdylib();
    let _guard = CC_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let srcs: Vec<PathBuf> = srcs.iter().map(|s| manifest_dir().join(s)).collect();
    let out = c_tests_dir().join(match link {
        Link::Linked => name.to_owned(),
        Link::Dlopen => format!("{name}-dlopen"),
    });
    let newest = srcs.iter().map(|s| newest_input(s)).max().unwrap();
    if out.exists() && mtime(&out) > newest {
        return out;
    }
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    cc.args(["-std=c11", "-g", "-O1", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(manifest_dir().join("include"))
        .args(defines.iter().map(|d| format!("-D{d}")))
        .args(&srcs)
        .args(flags)
        .arg("-o")
        .arg(&tmp);
    match link {
        Link::Linked => {
            let d = lib_dir();
            cc.arg(format!("-L{}", d.display()))
                .arg("-lopensspi")
                .arg(format!("-Wl,-rpath,{}", d.display()));
        }
        Link::Dlopen => {
            cc.args(["-DOPENSSPI_DLOPEN", "-ldl"]);
        }
    }
    let res = cc.output().expect("cannot run the C compiler (cc)");
    assert!(
        res.status.success(),
        "compiling {srcs:?} failed:\n{}{}",
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
    fs::rename(&tmp, &out).unwrap();
    out
}

/// True when the C programs must run under valgrind (scripts/test.sh sets OPENSSPI_VALGRIND=1).
pub fn valgrind() -> bool {
    std::env::var("OPENSSPI_VALGRIND").is_ok_and(|v| v == "1")
}

/// Timeouts are multiplied by this under valgrind.
pub fn slowdown() -> u32 {
    if valgrind() {
        8
    } else {
        1
    }
}

/// A command running the C binary `bin`, wrapped in valgrind (0 errors and no definite,
/// indirect or possible leaks, exit code 1 otherwise) when [`valgrind`] is on. The environment is cleared; add what the
/// program needs with [`Command::env`].
pub fn c_command(bin: &Path) -> Command {
    let mut cmd = if valgrind() {
        let mut c = Command::new("valgrind");
        c.args([
            "-q",
            "--error-exitcode=1",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--show-leak-kinds=definite,indirect,possible",
        ])
        .arg(bin);
        c
    } else {
        Command::new(bin)
    };
    base_env(&mut cmd);
    cmd
}

fn base_env(cmd: &mut Command) {
    cmd.env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        )
        .env("LANG", "C.UTF-8");
}

/// The peers' Python venv: `OPENSSPI_VENV` or `target/peers-venv` (made by
/// scripts/install-test-deps.sh). Panics (= the test FAILS) when it is missing.
pub fn venv_python() -> PathBuf {
    let venv = std::env::var_os("OPENSSPI_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target/peers-venv"));
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "the interop peers' Python venv {} is missing: run scripts/test.sh \
         (or scripts/install-test-deps.sh) first",
        venv.display()
    );
    py
}

/// A command running `tests/peers/<script> args...` with the venv's Python, cleared env.
pub fn peer_script(script: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(venv_python());
    cmd.arg(manifest_dir().join("tests/peers").join(script))
        .args(args);
    base_env(&mut cmd);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1"); // keep tests/peers/ free of __pycache__
    cmd
}

/// A throwaway NTLM_USER_FILE (`DOMAIN:USER:PASSWORD` lines), deleted on drop.
pub struct UserFile {
    pub path: PathBuf,
}

impl UserFile {
    pub fn new(tag: &str, lines: &[&str]) -> UserFile {
        let dir = target_dir().join("test-tmp");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("ntlm-users-{tag}-{}", std::process::id()));
        fs::write(&path, lines.join("\n") + "\n").unwrap();
        UserFile { path }
    }

    /// The standard account: `EXAMPLE:alice:alice-Passw0rd`.
    pub fn alice(tag: &str) -> UserFile {
        UserFile::new(tag, &[&format!("{DOMAIN}:{USER}:{PASSWORD}")])
    }
}

impl Drop for UserFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// What one peer did: exit status (None = killed at the timeout), stderr, parsed REPORT.
#[derive(Debug)]
pub struct PeerResult {
    pub status: Option<ExitStatus>,
    pub stderr: String,
    pub report: Option<serde_json::Value>,
}

impl PeerResult {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
    pub fn report_ok(&self) -> bool {
        self.report.as_ref().and_then(|r| r["ok"].as_bool()) == Some(true)
    }
    /// A string field of the report ("" when absent).
    pub fn field(&self, key: &str) -> String {
        match self.report.as_ref().map(|r| &r[key]) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        }
    }
}

#[derive(Debug)]
pub struct PairResult {
    pub initiator: PeerResult,
    pub acceptor: PeerResult,
}

impl PairResult {
    /// Both exited 0 with an ok report.
    pub fn both_ok(&self) -> bool {
        self.initiator.success()
            && self.acceptor.success()
            && self.initiator.report_ok()
            && self.acceptor.report_ok()
    }
}

impl std::fmt::Display for PairResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (name, p) in [("initiator", &self.initiator), ("acceptor", &self.acceptor)] {
            writeln!(f, "--- {name}: exit {:?}", p.status.map(|s| s.code()))?;
            for line in p.stderr.lines() {
                writeln!(f, "[{}] {line}", &name[..1].to_uppercase())?;
            }
        }
        Ok(())
    }
}

/// Reads `r` to the end on a thread (so a full pipe never blocks the child).
pub fn read_all(mut r: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut s = Vec::new();
        let _ = r.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    })
}

fn collect_stderr(child: &mut Child) -> thread::JoinHandle<String> {
    read_all(child.stderr.take().unwrap())
}

/// Waits for `child` until `deadline`; kills it then. None = it had to be killed.
pub fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return Some(st);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

fn finish(status: Option<ExitStatus>, err: thread::JoinHandle<String>) -> PeerResult {
    let stderr = err.join().unwrap();
    let report = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("REPORT "))
        .and_then(|j| serde_json::from_str(j).ok());
    PeerResult {
        status,
        stderr,
        report,
    }
}

/// Runs `initiator` and `acceptor` with the stdout of each wired to the stdin of the other (like
/// tests/peers/connect.sh); kills both after `timeout` (times [`slowdown`]). Never panics on a
/// peer failure: the caller asserts on the result.
pub fn run_pair(initiator: Command, acceptor: Command, timeout: Duration) -> PairResult {
    run_pair_fed(initiator, None, acceptor, timeout)
}

/// Like [`run_pair`], but the initiator's stdin first receives `prefix` (e.g. a password line
/// for `sspilogon --password-stdin --run ... -- client`), then everything the acceptor writes.
pub fn run_pair_fed(
    mut initiator: Command,
    prefix: Option<&[u8]>,
    mut acceptor: Command,
    timeout: Duration,
) -> PairResult {
    let mut ini = initiator
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {initiator:?}: {e}"));
    let (mut to_ini, from_ini) = (ini.stdin.take().unwrap(), ini.stdout.take().unwrap());
    acceptor.stdin(Stdio::from(from_ini)).stderr(Stdio::piped());
    let mut feeder = None;
    match prefix {
        None => {
            acceptor.stdout(Stdio::from(to_ini));
        }
        Some(p) => {
            acceptor.stdout(Stdio::piped());
            let _ = to_ini.write_all(p);
            let _ = to_ini.flush();
            feeder = Some(to_ini);
        }
    }
    let spawned = acceptor.spawn();
    drop(acceptor); // closes our copies of the pipe ends, so EOF propagates
    let mut acc = match spawned {
        Ok(c) => c,
        Err(e) => {
            let _ = ini.kill();
            panic!("cannot start the acceptor: {e}");
        }
    };
    if let Some(mut to_ini) = feeder {
        let mut from_acc = acc.stdout.take().unwrap();
        // Ends at the acceptor's EOF or when the initiator closed its stdin; drops `to_ini`.
        thread::spawn(move || {
            let _ = std::io::copy(&mut from_acc, &mut to_ini);
        });
    }
    let (ierr, aerr) = (collect_stderr(&mut ini), collect_stderr(&mut acc));
    let deadline = Instant::now() + timeout * slowdown();
    let ist = wait_until(&mut ini, deadline);
    let ast = wait_until(&mut acc, deadline);
    PairResult {
        initiator: finish(ist, ierr),
        acceptor: finish(ast, aerr),
    }
}

/// Our C peer (`tests/c/sspi_peer.c`), built in `link` mode, with `args`; in dlopen mode
/// `--dlopen <cdylib>` is added.
pub fn sspi_peer(link: Link, args: &[&str]) -> Command {
    let bin = compile_c("tests/c/sspi_peer.c", link);
    let mut cmd = c_command(&bin);
    cmd.args(args);
    if link == Link::Dlopen {
        cmd.arg("--dlopen").arg(cdylib());
    }
    cmd
}

// ---------------------------------------------------------------------------------------------
// Pairings with an account file (interop_ntlm.rs, interop_negotiate.rs)

/// What the initiator's `--wrap` message phase sends first (tests/peers/peerproto.py).
pub const INIT_MSG: &str = "hello from initiator";

pub fn qualified_user() -> String {
    format!("{DOMAIN}\\{USER}")
}

/// Our peer, with the account file in its environment.
pub fn ours(link: Link, args: &[&str], users: &UserFile) -> Command {
    let mut c = sspi_peer(link, args);
    c.env("NTLM_USER_FILE", &users.path);
    c
}

pub fn python_peer(script: &str, args: &[&str], users: &UserFile) -> Command {
    let mut c = peer_script(script, args);
    c.env("NTLM_USER_FILE", &users.path);
    c
}

/// The JSON member `messages.<key>` of a Python peer's report, or `<key>` of ours.
pub fn msg_field(p: &PeerResult, key: &str) -> serde_json::Value {
    let r = p.report.as_ref().expect("no REPORT line");
    if r["messages"].is_object() {
        r["messages"][key].clone()
    } else {
        r[key].clone()
    }
}

/// Both sides succeeded, the acceptor authenticated alice, and (with `wrap`) each side
/// unsealed and verified what the other sent, and both saw encrypted data.
pub fn assert_pair(r: &PairResult, wrap: bool) {
    assert!(r.both_ok(), "pairing failed:\n{r}");
    let client = r.acceptor.field("client").to_lowercase();
    assert!(
        client.contains(USER),
        "acceptor authenticated {client:?}, not alice:\n{r}"
    );
    assert!(
        r.acceptor.stderr.contains("AUTHENTICATED "),
        "no AUTHENTICATED line:\n{r}"
    );
    if wrap {
        let reply = format!("reply: {INIT_MSG}");
        assert_eq!(msg_field(&r.acceptor, "unwrapped"), INIT_MSG, "\n{r}");
        assert_eq!(
            msg_field(&r.initiator, "unwrapped"),
            reply.as_str(),
            "\n{r}"
        );
        assert_eq!(
            msg_field(&r.acceptor, "verified_mic_over"),
            "mic from initiator",
            "\n{r}"
        );
        assert_eq!(
            msg_field(&r.initiator, "verified_mic_over"),
            "mic from acceptor",
            "\n{r}"
        );
        for p in [&r.initiator, &r.acceptor] {
            assert_eq!(msg_field(p, "peer_encrypted"), true, "peer_encrypted:\n{r}");
        }
    }
    // Both sides derived the same session key (when both can tell).
    let (ki, ka) = (
        r.initiator.field("session_key"),
        r.acceptor.field("session_key"),
    );
    let is_hex = |k: &str| k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit());
    if is_hex(&ki) && is_hex(&ka) {
        assert_eq!(ki, ka, "session keys differ:\n{r}");
    }
}
