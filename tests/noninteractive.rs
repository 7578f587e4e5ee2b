//! End-to-end proof of "the LSA core and noninteractive authentication": a user logs on once
//! (`LsaLogonUser` in `c-examples/logon_demo`, or `sspilogon`), and other processes then
//! authenticate with NTLM through `AcquireCredentialsHandleW(NULL identity)` (our C peer
//! `tests/c/sspi_peer.c --default-creds`) without ever seeing the password; after logoff they get
//! `SEC_E_NO_CREDENTIALS` again. Servers: pyspnego's NTLM acceptor and our own.
//!
//! Every test first gives its thread a fresh anonymous session keyring (children inherit it), so
//! nothing here touches the developer's own logon sessions. When the kernel refuses keyrings the
//! tests fail, unless `OPENSSPI_SKIP_KEYRING_TESTS=1` declares that expected.
mod common;

use common::*;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
const SEC_E_NO_CREDENTIALS: &str = "0x8009030E";
const SEC_E_LOGON_DENIED: &str = "0x8009030C";
const INIT_MSG: &str = "hello from initiator";

/// Runs `cmd` with `stdin`, killed after `timeout` (times [`slowdown`]): (exit code, stdout +
/// stderr). Exit code None = killed.
fn run_timeout(mut cmd: Command, stdin: &[u8], timeout: Duration) -> (Option<i32>, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let drain = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + timeout * slowdown();
    let mut status = None;
    while status.is_none() && Instant::now() < deadline {
        status = child.try_wait().unwrap();
        thread::sleep(Duration::from_millis(10));
    }
    if status.is_none() {
        let _ = child.kill();
    }
    let _ = child.wait();
    let text = out.join().unwrap() + &err.join().unwrap();
    (status.and_then(|s| s.code()), text)
}

/// `sspilogon` with a cleared environment and the account file `users`.
fn sspilogon_cmd(args: &[&str], users: &UserFile) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sspilogon"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("NTLM_USER_FILE", &users.path)
        .args(["--store", "keyring"])
        .args(args);
    c
}

fn sspilogon(args: &[&str], stdin: &str, users: &UserFile) -> (Option<i32>, String) {
    run_timeout(sspilogon_cmd(args, users), stdin.as_bytes(), TIMEOUT)
}

/// `sspilogon --password-stdin EXAMPLE\alice` succeeds; returns the LUID it printed ("0xH:0xL").
fn logon_alice(users: &UserFile) -> String {
    let who = format!("{DOMAIN}\\{USER}");
    let (code, out) = sspilogon(&["--password-stdin", &who], &format!("{PASSWORD}\n"), users);
    assert_eq!(code, Some(0), "sspilogon failed:\n{out}");
    assert!(out.contains(&format!("Logged on {who}")), "{out}");
    let luid = out
        .split("logon session ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or_else(|| panic!("no LUID in:\n{out}"));
    luid.to_string()
}

/// Our client with no identity (pAuthData NULL), finding the session through the keyring store;
/// no account file in its environment. `extra`: e.g. `--logon-id`.
fn default_client(extra: &[&str]) -> Command {
    let mut args = vec!["client", "--package", "NTLM", "--wrap"];
    args.extend_from_slice(extra);
    if !extra.contains(&"--logon-id") {
        args.push("--default-creds");
    }
    let mut c = sspi_peer(Link::Linked, &args);
    c.env("OPENSSPI_LSA_STORE", "keyring");
    c
}

fn our_server(users: &UserFile) -> Command {
    let mut c = sspi_peer(Link::Linked, &["server", "--package", "NTLM", "--wrap"]);
    c.env("NTLM_USER_FILE", &users.path);
    c
}

fn pyspnego_server(users: &UserFile) -> Command {
    let mut c = peer_script("ntlm_peer.py", &["server", "--wrap"]);
    c.env("NTLM_USER_FILE", &users.path);
    c
}

/// `messages.<key>` of a pyspnego report, `<key>` of ours.
fn msg_field(p: &PeerResult, key: &str) -> serde_json::Value {
    let r = p.report.as_ref().expect("no REPORT line");
    if r["messages"].is_object() {
        r["messages"][key].clone()
    } else {
        r[key].clone()
    }
}

/// The server authenticated alice; a sealed message and a signature went each way.
fn assert_authenticated(r: &PairResult) {
    assert!(r.both_ok(), "pairing failed:\n{r}");
    let client = r.acceptor.field("client").to_lowercase();
    assert!(
        client.contains(USER),
        "server authenticated {client:?}:\n{r}"
    );
    assert!(r.acceptor.stderr.contains("AUTHENTICATED "), "\n{r}");
    assert_eq!(msg_field(&r.acceptor, "unwrapped"), INIT_MSG, "\n{r}");
    let reply = format!("reply: {INIT_MSG}");
    assert_eq!(
        msg_field(&r.initiator, "unwrapped"),
        reply.as_str(),
        "\n{r}"
    );
    let mic = "verified_mic_over";
    assert_eq!(msg_field(&r.acceptor, mic), "mic from initiator", "\n{r}");
    assert_eq!(msg_field(&r.initiator, mic), "mic from acceptor", "\n{r}");
    for p in [&r.initiator, &r.acceptor] {
        assert_eq!(msg_field(p, "peer_encrypted"), true, "\n{r}");
    }
}

/// The client failed in AcquireCredentialsHandleW with `status`.
fn assert_refused(r: &PairResult, status: &str) {
    let c = &r.initiator;
    assert!(!c.success() && !c.report_ok(), "client should fail:\n{r}");
    assert_eq!(c.field("status"), status, "\n{r}");
    assert!(
        c.field("error").contains("AcquireCredentialsHandleW"),
        "\n{r}"
    );
}

/// A default-credentials client against our server must be refused with `status`.
fn expect_refused(extra: &[&str], users: &UserFile, status: &str) {
    let r = run_pair(default_client(extra), our_server(users), TIMEOUT);
    assert_refused(&r, status);
}

fn assert_no_sessions(users: &UserFile) {
    let (code, out) = sspilogon(&["--list"], "", users);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("No logon sessions"), "{out}");
}

/// The demo (`scripts/demo.sh` runs the same program), built with the C test helper.
fn run_demo(env: &[(&str, &str)]) {
    let bin = compile_c("c-examples/logon_demo.c", Link::Linked);
    let mut cmd = c_command(&bin);
    cmd.envs(env.iter().copied());
    let (code, out) = run_timeout(cmd, b"", Duration::from_secs(60));
    assert_eq!(code, Some(0), "logon_demo failed:\n{out}");
    let before =
        "== before any logon: AcquireCredentialsHandle(NULL identity) -> SEC_E_NO_CREDENTIALS";
    let after = "AcquireCredentialsHandle(NULL identity) -> SEC_E_NO_CREDENTIALS";
    let ping = "ping from a process that never saw a password";
    for line in [
        before,
        "LsaLogonUser(Interactive, MSV1_0): DEMO\\alice",
        "AcquireCredentialsHandle(NULL, \"Negotiate\", OUTBOUND, NULL, NULL) -> SEC_E_OK, \
         credentials of the logon session: DEMO\\alice",
        "AcceptSecurityContext -> SEC_E_OK: client authenticated as DEMO\\alice",
        &format!("DecryptMessage -> \"{ping}\""),
        &format!("DecryptMessage -> \"hello alice, the server read: {ping}\""),
        &format!("SspiLogoffSession -> 0x00000000; {after}"),
        "demo OK",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    // Both sides report the package Negotiate chose (issue 12).
    let chose = "QueryContextAttributes(NEGOTIATION_INFO): Negotiate chose NTLM \
                 (negotiation state complete)";
    for who in ["server", "client"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("[{who}")) && l.ends_with(chose)),
            "{who} did not report NTLM inside Negotiate:\n{out}"
        );
    }
    let server = out.find("client authenticated as").unwrap();
    assert!(out.find(before).unwrap() < server && server < out.rfind(after).unwrap());
}

/// The demo with no setting at all: its logon and its client meet in the LSA service.
#[test]
fn demo_default_store_is_the_service() {
    run_demo(&[]);
    assert!(
        test_runtime_dir().join("opensspi/lsad.pid").exists(),
        "the demo started no LSA service"
    );
}

#[test]
fn demo_in_process_store() {
    run_demo(&[("OPENSSPI_LSA_STORE", "memory")]);
}

#[test]
fn demo_keyring_store() {
    if !fresh_session_keyring() {
        return;
    }
    run_demo(&[("OPENSSPI_LSA_STORE", "keyring")]);
    assert_no_sessions(&UserFile::alice("demo-kr"));
}

/// `sspilogon --run`: the password goes to sspilogon's stdin only; the command it runs (our
/// client, in a new session keyring, without the account file) authenticates with the session.
fn run_child_authenticates(server: fn(&UserFile) -> Command, tag: &str) {
    if !fresh_session_keyring() {
        return;
    }
    let logon_users = UserFile::alice(&format!("{tag}-logon"));
    let server_users = UserFile::alice(&format!("{tag}-server"));
    // The client as sspilogon will exec it: without OPENSSPI_LSA_STORE (sspilogon sets it),
    // through a shell that drops the account file and shows the environment the client gets.
    let client = sspi_peer(
        Link::Linked,
        &["client", "--package", "NTLM", "--default-creds"],
    );
    let mut argv: Vec<String> = vec![
        "--password-stdin".into(),
        "--run".into(),
        format!("{DOMAIN}\\{USER}"),
        "--".into(),
        "/bin/sh".into(),
        "-c".into(),
        "unset NTLM_USER_FILE; env | sed 's/^/CLIENT-ENV /' >&2; exec \"$@\"".into(),
        "sh".into(),
        client.get_program().to_string_lossy().into_owned(),
    ];
    argv.extend(client.get_args().map(|a| a.to_string_lossy().into_owned()));
    argv.push("--wrap".into());
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let initiator = sspilogon_cmd(&argv, &logon_users);
    for s in initiator
        .get_args()
        .chain(initiator.get_envs().filter_map(|e| e.1))
    {
        assert!(!s.to_string_lossy().contains(PASSWORD), "password in {s:?}");
    }
    let pw = format!("{PASSWORD}\n");
    let r = run_pair_fed(
        initiator,
        Some(pw.as_bytes()),
        server(&server_users),
        TIMEOUT,
    );
    assert_authenticated(&r);
    let out = &r.initiator.stderr;
    assert!(
        out.contains(&format!("Logged on {DOMAIN}\\{USER}")),
        "\n{r}"
    );
    assert!(
        out.contains("CLIENT-ENV OPENSSPI_LSA_STORE=keyring"),
        "\n{r}"
    );
    assert!(!out.contains("CLIENT-ENV NTLM_USER_FILE"), "\n{r}");
    assert!(!out.contains(PASSWORD), "password seen by the client:\n{r}");
    // The --run session lived in its own keyring: ours has none.
    assert_no_sessions(&logon_users);
}

#[test]
fn run_child_authenticates_to_pyspnego_without_password() {
    run_child_authenticates(pyspnego_server, "run-py");
}

#[test]
fn run_child_authenticates_to_our_server_without_password() {
    run_child_authenticates(our_server, "run-ours");
}

/// Separate processes: no logon → refused; wrong password → refused, nothing cached.
#[test]
fn no_logon_or_failed_logon_gives_no_credentials() {
    if !fresh_session_keyring() {
        return;
    }
    let users = UserFile::alice("nologon");
    expect_refused(&[], &users, SEC_E_NO_CREDENTIALS);
    let (code, out) = sspilogon(&["--password-stdin", "EXAMPLE\\alice"], "wrong\n", &users);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("bad password"), "{out}");
    expect_refused(&[], &users, SEC_E_NO_CREDENTIALS);
    assert_no_sessions(&users);
}

/// Separate processes and pvLogonID: process 1 logs on; process 2 authenticates (with the
/// default session, then with the session named by pvLogonID; another LUID is refused); a
/// process in another session keyring sees nothing; process 3 logs off; process 4 gets
/// SEC_E_NO_CREDENTIALS.
#[test]
fn logon_use_logoff_in_separate_processes() {
    if !fresh_session_keyring() {
        return;
    }
    let logon_users = UserFile::alice("sep-logon");
    let server_users = UserFile::alice("sep-server");
    let luid = logon_alice(&logon_users);
    // The logon is done: the client has no password source at all.
    let logon_path = logon_users.path.clone();
    std::fs::remove_file(&logon_path).unwrap();

    let r = run_pair(default_client(&[]), pyspnego_server(&server_users), TIMEOUT);
    assert_authenticated(&r);
    let r = run_pair(default_client(&[]), our_server(&server_users), TIMEOUT);
    assert_authenticated(&r);

    // pvLogonID: our session → OK; a LUID with no session → SEC_E_LOGON_DENIED.
    let r = run_pair(
        default_client(&["--logon-id", &luid]),
        our_server(&server_users),
        TIMEOUT,
    );
    assert_authenticated(&r);
    let (hi, lo) = luid.split_once(':').unwrap();
    let lo = u32::from_str_radix(lo.trim_start_matches("0x"), 16).unwrap();
    let other = format!("{hi}:{:x}", lo ^ 0x5a5a);
    expect_refused(&["--logon-id", &other], &server_users, SEC_E_LOGON_DENIED);
    expect_refused(&["--logon-id", "0:0"], &server_users, SEC_E_LOGON_DENIED);

    // Another session keyring (another login session) does not see the logon.
    let users = &server_users;
    thread::scope(|s| {
        s.spawn(|| {
            if fresh_session_keyring() {
                expect_refused(&[], users, SEC_E_NO_CREDENTIALS);
            }
        });
    });

    let (code, out) = sspilogon(&["--logoff"], "", &server_users);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("Logged off {luid}")), "{out}");
    expect_refused(&[], &server_users, SEC_E_NO_CREDENTIALS);
    expect_refused(&["--logon-id", &luid], &server_users, SEC_E_LOGON_DENIED);
    assert_no_sessions(&server_users);
}

/// Negotiate: `AcquireCredentialsHandleW(NULL, "Negotiate", OUTBOUND, NULL, NULL)` takes the
/// logon session's NTLM credentials as the NTLM package does, and SPNEGO carries them to
/// pyspnego's SPNEGO and to our Negotiate server; with no logon it is SEC_E_NO_CREDENTIALS.
#[test]
fn negotiate_uses_the_logon_session() {
    if !fresh_session_keyring() {
        return;
    }
    let server_users = UserFile::alice("nego-server");
    let negotiate_client = || {
        let mut c = sspi_peer(
            Link::Linked,
            &[
                "client",
                "--package",
                "Negotiate",
                "--wrap",
                "--default-creds",
            ],
        );
        c.env("OPENSSPI_LSA_STORE", "keyring");
        c
    };
    let negotiate_server = || {
        let mut c = sspi_peer(
            Link::Linked,
            &["server", "--package", "Negotiate", "--wrap"],
        );
        c.env("NTLM_USER_FILE", &server_users.path);
        c
    };
    let r = run_pair(negotiate_client(), negotiate_server(), TIMEOUT);
    assert_refused(&r, SEC_E_NO_CREDENTIALS);

    let logon_users = UserFile::alice("nego-logon");
    logon_alice(&logon_users);
    std::fs::remove_file(&logon_users.path).unwrap();
    let mut py = peer_script(
        "ntlm_peer.py",
        &[
            "server",
            "--protocol",
            "negotiate",
            "--impl",
            "python",
            "--wrap",
        ],
    );
    py.env("NTLM_USER_FILE", &server_users.path);
    let r = run_pair(negotiate_client(), py, TIMEOUT);
    assert_authenticated(&r);
    let r = run_pair(negotiate_client(), negotiate_server(), TIMEOUT);
    assert_authenticated(&r);
    let (code, out) = sspilogon(&["--logoff"], "", &server_users);
    assert_eq!(code, Some(0), "{out}");
    let r = run_pair(negotiate_client(), negotiate_server(), TIMEOUT);
    assert_refused(&r, SEC_E_NO_CREDENTIALS);
}
