//! A real Samba 4.17 AD domain controller as the peer (Heimdal KDC with
//! PACs, the DC's own winbindd for NTLM): `tests/peers/samba-dc/setup-dc.sh`
//! provisions AD.EXAMPLE.TEST (NetBIOS ADEXAMPLE) once for this test binary
//! on a loopback address of its own (127.77.x.y), and it is stopped and
//! purged when the last test of the binary ends (a watchdog does it if the
//! binary dies first). Scenarios:
//! - `sspilogon --package Kerberos alice@AD.EXAMPLE.TEST` gets a TGT from
//!   Samba's KDC; another process authenticates with
//!   `AcquireCredentialsHandle(NULL, "Negotiate")` (Kerberos inside) to our
//!   acceptor holding svc.keytab, which names alice; a sealed message and a
//!   signature each way; a wrong password is STATUS_LOGON_FAILURE;
//! - our Negotiate client with explicit credentials `ADEXAMPLE\alice`
//!   against `ntlm_auth --helper-protocol=gss-spnego` validating through
//!   the DC's winbindd (its SAM), and refused with a wrong password;
//! - MIT's client (`kinit`, `kvno`, python-gssapi) against our acceptor, and
//!   the live ticket's PAC verified and decoded by our acceptor, its SIDs
//!   those the DC gives alice;
//! - our MS-NRPC client as the computer MEMBER1$ (setup-dc.sh MEMBER1=yes):
//!   AES secure channel, sealed NetrLogonSamLogonEx of alice;
//! - MSV1_0 pass-through: our NTLM acceptor as a member of ADEXAMPLE
//!   (OPENSSPI_MEMBER_CONFIG) has alice's response validated by the DC.
//!
//! Needs the Debian packages of scripts/install-test-deps.sh and root (the
//! DC runs in a private mount namespace). If the DC cannot start the tests
//! FAIL; `OPENSSPI_SKIP_SAMBA_DC=1` skips them (a local shortcut only).

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::*;
use opensspi::packages::kerberos::acceptor::{accept_ap_req, AcceptorOptions};
use opensspi::packages::kerberos::ap_req::{build_ap_req, ApReqOptions, ServiceTicket};
use opensspi::packages::kerberos::ap_wire::now;
use opensspi::packages::kerberos::ccache::Ccache;
use opensspi::packages::kerberos::crypto::{EncryptionType, Key};
use opensspi::packages::kerberos::keytab::Keytab;
use opensspi::packages::kerberos::replay_cache::ReplayCache;

const REALM: &str = "AD.EXAMPLE.TEST";
const NETBIOS_DOMAIN: &str = "ADEXAMPLE";
const SPN: &str = "host/svc.ad.example.test";
const TIMEOUT: Duration = Duration::from_secs(60);
const SEC_E_LOGON_DENIED: &str = "0x8009030C";

/// The tests of this binary: the DC is stopped when as many of them as
/// the command line selects have finished.
const TESTS: &[&str] = &[
    "kerberos_logon_at_the_dc_then_negotiate_to_our_acceptor",
    "kerberos_logon_with_a_wrong_password_is_logon_failure",
    "ntlm_validated_by_the_dc",
    "mit_client_with_a_dc_ticket_to_our_acceptor",
    "netlogon_secure_channel_and_network_logon",
    "ntlm_pass_through_to_the_dc_in_our_acceptor",
    "pass_through_reuses_the_process_secure_channel",
];

/// The running DC: its directory (DIR of setup-dc.sh), alice's password
/// and her SID as the DC's winbindd tells it.
struct Dc {
    dir: PathBuf,
    alice_pass: String,
    alice_sid: String,
    /// The DC's loopback address.
    ip: String,
    /// The password of the computer account MEMBER1$.
    member_pass: String,
}

impl Dc {
    fn krb5_conf(&self) -> PathBuf {
        self.dir.join("krb5.conf")
    }

    fn keytab(&self) -> PathBuf {
        self.dir.join("svc.keytab")
    }

    /// `DIR/bin/ns program args`: inside the DC's mount namespace view
    /// (its smb.conf, its winbindd socket).
    fn ns(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(self.dir.join("bin/ns"));
        c.arg(program).args(args);
        c
    }

    /// The AS exchanges of alice the KDC logged as successful.
    fn alice_as_ok(&self) -> usize {
        self.auth_log()
            .lines()
            .filter(|l| {
                l.contains("Auth: [Kerberos KDC")
                    && l.contains(&format!("[alice@{REALM}]"))
                    && l.contains("status [NT_STATUS_OK]")
            })
            .count()
    }

    /// The DC's logs (auth_audit lines: the samba process's `log.%m`, the
    /// winbindd's `log.winbindd`, ...).
    fn auth_log(&self) -> String {
        let logs = std::fs::read_dir(self.dir.join("log"))
            .into_iter()
            .flatten();
        logs.flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("log."))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect()
    }
}

fn scripts() -> PathBuf {
    manifest_dir().join("tests/peers/samba-dc")
}

fn skipped() -> bool {
    let skip = std::env::var("OPENSSPI_SKIP_SAMBA_DC").is_ok_and(|v| v == "1");
    if skip {
        eprintln!("SKIPPED: OPENSSPI_SKIP_SAMBA_DC=1");
    }
    skip
}

/// A loopback address no other DC uses: 127.77.x.y from the pid, the next
/// one whose KDC port is free.
fn dc_ip() -> Result<String, String> {
    let pid = std::process::id();
    let mut last = None;
    for i in 0..64u32 {
        let n = pid.wrapping_add(i * 7);
        let ip = format!("127.77.{}.{}", (n >> 8) & 0xff, 2 + (n & 0xff) % 250);
        match TcpListener::bind((ip.as_str(), 88)) {
            Ok(_) => return Ok(ip),
            Err(e) => last = Some(e),
        }
    }
    Err(format!("no loopback address with a free port 88: {last:?}"))
}

fn start_dc() -> Result<Dc, String> {
    let dir = std::env::temp_dir().join(format!("opensspi-samba-dc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // Stop and purge the DC once this process is gone, even after a kill
    // (a background shell, so that the one we wait for returns at once).
    let watchdog = format!(
        "(while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; '{stop}' '{dir}' --purge) \
         </dev/null >/dev/null 2>&1 &",
        pid = std::process::id(),
        stop = scripts().join("stop-dc.sh").display(),
        dir = dir.display()
    );
    Command::new("sh")
        .arg("-c")
        .arg(watchdog)
        .status()
        .map_err(|e| format!("watchdog: {e}"))?;
    let out = Command::new(scripts().join("setup-dc.sh"))
        .arg(&dir)
        .env("DC_IP", dc_ip()?)
        .env("PROCESS_MODEL", "single")
        .env("MEMBER1", "yes")
        .output()
        .map_err(|e| format!("cannot run setup-dc.sh: {e}"))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("setup-dc.sh failed ({}):\n{text}", out.status));
    }
    eprintln!("{text}");
    let env = std::fs::read_to_string(dir.join("env.sh")).map_err(|e| e.to_string())?;
    let var = |name: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .map(|v| v.trim_matches('\'').to_string())
            .ok_or(format!("no {name} in env.sh"))
    };
    let mut dc = Dc {
        dir,
        alice_pass: var("SDC_ALICE_PASS")?,
        alice_sid: String::new(),
        ip: var("SDC_IP")?,
        member_pass: var("SDC_MEMBER_PASS")?,
    };
    let out = dc
        .ns(
            Path::new("wbinfo"),
            &["-n", &format!("{NETBIOS_DOMAIN}\\alice")],
        )
        .output()
        .map_err(|e| e.to_string())?;
    dc.alice_sid = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .filter(|s| s.starts_with("S-1-5-21-"))
        .ok_or_else(|| format!("wbinfo -n alice: {out:?}"))?
        .to_string();
    Ok(dc)
}

static DC: OnceLock<Result<Dc, String>> = OnceLock::new();
static FINISHED: Mutex<usize> = Mutex::new(0);
/// Held around alice's AS exchanges, so a test can tell its own in the
/// KDC's log from another test's.
static ALICE_AS: Mutex<()> = Mutex::new(());

/// How many of [`TESTS`] this run executes (libtest's filters, `--exact`,
/// `--skip`); more than the real number only delays the stop to the
/// watchdog.
fn selected_tests() -> usize {
    let (mut filters, mut skips, mut exact) = (Vec::new(), Vec::new(), false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--exact" => exact = true,
            "--skip" => skips.extend(args.next()),
            "--test-threads" | "--color" | "--format" | "--logfile" | "-Z" => {
                args.next();
            }
            _ if a.starts_with('-') => {}
            _ => filters.push(a),
        }
    }
    let hit = |f: &String, t: &str| {
        if exact {
            f == t
        } else {
            t.contains(f.as_str())
        }
    };
    TESTS
        .iter()
        .filter(|t| filters.is_empty() || filters.iter().any(|f| hit(f, t)))
        .filter(|t| !skips.iter().any(|s| hit(s, t)))
        .count()
}

/// One test's use of the DC; when the last selected test drops its own
/// (also when it panicked), the DC is stopped and purged.
struct DcUse(&'static Dc);

impl Drop for DcUse {
    fn drop(&mut self) {
        let mut n = FINISHED.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        if *n == selected_tests() {
            // Purged anyway: no need to wait for samba's clean exit.
            let _ = Command::new(scripts().join("stop-dc.sh"))
                .arg(&self.0.dir)
                .arg("--purge")
                .env("GRACE", "0.3")
                .output();
        }
    }
}

/// The DC, started by the first test that asks; a DC that could not start
/// fails every test with setup-dc.sh's words.
fn dc() -> DcUse {
    match DC.get_or_init(start_dc) {
        Ok(dc) => DcUse(dc),
        Err(e) => {
            // Counted as finished too, so the watchdog is not the only cleanup.
            *FINISHED.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            panic!(
                "the Samba AD DC did not start (scripts/install-test-deps.sh installs its \
                 packages; it runs as root; OPENSSPI_SKIP_SAMBA_DC=1 skips these tests \
                 locally): {e}"
            )
        }
    }
}

/// A private runtime directory (the LSA service's, `sspilogon`'s sessions)
/// whose service is killed and which is deleted when dropped.
struct Runtime(PathBuf);

impl Runtime {
    fn new(tag: &str) -> Runtime {
        let d = target_dir()
            .join("test-tmp")
            .join(format!("samba-dc-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        Runtime(d)
    }

    /// The DC's krb5.conf, no MIT ccache, no account file, this runtime's
    /// LSA service (`opensspi-lsad` in PATH).
    fn env(&self, dc: &Dc, c: &mut Command) {
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_opensspi-lsad"));
        c.env("XDG_RUNTIME_DIR", &self.0)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.parent().unwrap().display(),
                    std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
                ),
            )
            .env("KRB5_CONFIG", dc.krb5_conf())
            .env(
                "KRB5CCNAME",
                format!("FILE:{}", self.0.join("no-such-ccache").display()),
            )
            .env("NTLM_USER_FILE", self.0.join("no-accounts"))
            .env_remove("KRB5_KTNAME")
            .env_remove("OPENSSPI_LSA_STORE")
            .env_remove("OPENSSPI_LSAD");
    }

    /// `sspilogon --password-stdin --package Kerberos alice@REALM`;
    /// (exit code, stdout + stderr).
    fn kerberos_logon(&self, dc: &Dc, password: &str) -> (i32, String) {
        let alice = format!("alice@{REALM}");
        let args = ["--password-stdin", "--package", "Kerberos", &alice];
        self.sspilogon(dc, &args, &format!("{password}\n"))
    }

    /// `sspilogon ARGS` with `stdin`; (exit code, stdout + stderr).
    fn sspilogon(&self, dc: &Dc, args: &[&str], stdin: &str) -> (i32, String) {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sspilogon"));
        self.env(dc, &mut c);
        let mut child = c
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.0.join("opensspi").join("lsad.pid"));
        if let Some(pid) = pid.ok().and_then(|s| s.trim().parse::<u32>().ok()) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Our acceptor (`c/sspi_peer.c server`) with svc's keytab, no account
/// file (so NTLM cannot succeed), reporting the client's network logon
/// session (`--session-data`).
fn our_acceptor(dc: &Dc, package: &str) -> Command {
    let mut c = sspi_peer(
        Link::Linked,
        &["server", "--package", package, "--wrap", "--session-data"],
    );
    c.env("KRB5_CONFIG", dc.krb5_conf())
        .env("KRB5_KTNAME", format!("FILE:{}", dc.keytab().display()))
        .env("NTLM_USER_FILE", dc.dir.join("no-accounts"));
    c
}

/// What the acceptor must have established for alice through Kerberos:
/// the KDC's name for her (NTLM would say ADEXAMPLE\alice), and her
/// network logon session.
/// Our acceptor verified alice, and her network logon session comes from
/// the verified PAC (LOGON_INFO, UPN_DNS_INFO): the SID the DC gives alice,
/// the NetBIOS domain, her UPN, the DC as logon server.
fn assert_kerberos_alice(dc: &Dc, r: &PairResult) {
    let alice = format!("alice@{REALM}");
    assert_eq!(r.acceptor.field("client"), alice, "\n{r}");
    assert_eq!(r.acceptor.field("session_user"), "alice", "\n{r}");
    assert_eq!(r.acceptor.field("session_logon_type"), "3", "network\n{r}");
    assert_eq!(r.acceptor.field("session_package"), "Kerberos", "\n{r}");
    assert_eq!(r.acceptor.field("session_sid"), dc.alice_sid, "\n{r}");
    assert_eq!(r.acceptor.field("session_domain"), NETBIOS_DOMAIN, "\n{r}");
    assert_eq!(
        r.acceptor.field("session_upn"),
        format!("alice@{}", REALM.to_ascii_lowercase()),
        "\n{r}"
    );
    assert_eq!(r.acceptor.field("session_dns_domain"), REALM, "\n{r}");
}

#[test]
fn kerberos_logon_at_the_dc_then_negotiate_to_our_acceptor() {
    if skipped() {
        return;
    }
    let u = dc();
    let dc = u.0;
    let rt = Runtime::new("logon");
    let as_lock = ALICE_AS.lock().unwrap_or_else(|e| e.into_inner());
    let before = dc.alice_as_ok();
    let (code, out) = rt.kerberos_logon(dc, &dc.alice_pass);
    assert_eq!(code, 0, "sspilogon --package Kerberos:\n{out}");
    assert!(out.contains(&format!("Logged on {REALM}\\alice")), "{out}");
    // The TGT came from Samba's KDC (its audit log), not from a ccache.
    assert_eq!(
        dc.alice_as_ok(),
        before + 1,
        "not one AS exchange of alice in the DC's log"
    );
    drop(as_lock);
    assert!(!rt.0.join("no-such-ccache").exists());

    // Another process of the user: ACH(NULL, "Negotiate") from the session.
    let mut client = sspi_peer(
        Link::Linked,
        &[
            "client",
            "--package",
            "Negotiate",
            "--target",
            SPN,
            "--wrap",
        ],
    );
    rt.env(dc, &mut client);
    let r = run_pair(client, our_acceptor(dc, "Negotiate"), TIMEOUT);
    // Sealed messages and signatures both ways, the same session key.
    assert_pair(&r, true);
    assert_kerberos_alice(dc, &r);
    // One leg at the acceptor: Kerberos' AP-REQ, not NTLM's three messages.
    assert_eq!(r.acceptor.field("legs"), "1", "\n{r}");
    // The service ticket came through the session's TGT and stays there.
    let (code, list) = rt.sspilogon(dc, &["--list"], "");
    assert_eq!(code, 0, "{list}");
    assert!(
        list.contains(&format!("ticket {SPN}@{REALM}")),
        "no service ticket in the session:\n{list}"
    );
}

#[test]
fn kerberos_logon_with_a_wrong_password_is_logon_failure() {
    if skipped() {
        return;
    }
    let u = dc();
    let rt = Runtime::new("wrong");
    let (code, out) = rt.kerberos_logon(u.0, "not-the-Passw0rd");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("STATUS_LOGON_FAILURE"), "{out}");
    let (_, list) = rt.sspilogon(u.0, &["--list"], "");
    assert!(list.contains("No logon sessions"), "{list}");
}

/// `ntlm_auth --helper-protocol=gss-spnego` without a password, inside the
/// DC's namespace: it validates what it gets through the DC's winbindd.
fn dc_ntlm_auth_server(dc: &Dc) -> Command {
    let conf = dc.dir.join("etc/smb.conf");
    let script = manifest_dir().join("tests/peers/ntlm_auth_peer.py");
    let mut c = dc.ns(
        &venv_python(),
        &[
            script.to_str().unwrap(),
            "server",
            "--spnego",
            "--reject-token",
            "--configfile",
            conf.to_str().unwrap(),
        ],
    );
    c.env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        )
        .env("LANG", "C.UTF-8")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    c
}

fn our_ntlm_client(password: &str) -> Command {
    let user = format!("{NETBIOS_DOMAIN}\\alice");
    // No krb5.conf of the DC: the ntlm_auth helper speaks NTLM only.
    sspi_peer(
        Link::Linked,
        &[
            "client",
            "--package",
            "Negotiate",
            "--user",
            &user,
            "--password",
            password,
            "--target",
            "host/dc1.ad.example.test",
        ],
    )
}

/// Our Negotiate client (NTLM inside) as ADEXAMPLE\alice against Samba's
/// SPNEGO acceptor, validated by the DC; the DC's log names the logon.
/// With a wrong password the DC refuses (NA) and our client gets
/// SEC_E_LOGON_DENIED from the reject token. (The other direction, Samba's
/// client to our NTLM acceptor, needs NETLOGON pass-through: our acceptor
/// validates local accounts only.)
#[test]
fn ntlm_validated_by_the_dc() {
    if skipped() {
        return;
    }
    let u = dc();
    let dc = u.0;
    let r = run_pair(
        our_ntlm_client(&dc.alice_pass),
        dc_ntlm_auth_server(dc),
        TIMEOUT,
    );
    assert!(r.both_ok(), "\n{r}");
    assert_eq!(r.acceptor.field("client"), "ADEXAMPLE\\alice", "\n{r}");
    assert_eq!(r.initiator.field("client"), "ADEXAMPLE\\alice", "\n{r}");
    let became = format!("became [{NETBIOS_DOMAIN}]\\[alice] [{}]", dc.alice_sid);
    assert!(
        dc.auth_log()
            .lines()
            .any(|l| l.contains("with [NTLMv2] status [NT_STATUS_OK]") && l.contains(&became)),
        "the DC logged no NTLMv2 logon of alice"
    );

    let r = run_pair(
        our_ntlm_client("not-the-Passw0rd"),
        dc_ntlm_auth_server(dc),
        TIMEOUT,
    );
    assert!(!r.initiator.success() && !r.acceptor.success(), "\n{r}");
    assert!(
        r.acceptor
            .field("error")
            .contains("NT_STATUS_LOGON_FAILURE"),
        "\n{r}"
    );
    assert_eq!(r.initiator.field("status"), SEC_E_LOGON_DENIED, "\n{r}");
}

/// MIT's `kinit alice` and `kvno host/svc…` against the DC's KDC: MIT's
/// GSSAPI initiator (python-gssapi) authenticates to our acceptor with the
/// ccache's ticket, a message each way; and our acceptor (in process)
/// verifies the live ticket's PAC (server and KDC signatures, MS-PAC §2.8)
/// and decodes LOGON_INFO: alice's SID and primary group as the DC's
/// winbindd gives them, ADEXAMPLE, DC1.
#[test]
fn mit_client_with_a_dc_ticket_to_our_acceptor() {
    if skipped() {
        return;
    }
    let u = dc();
    let dc = u.0;
    let rt = Runtime::new("mit");
    let cc = rt.0.join("mit.ccache");
    let mit = |program: &str, args: &[&str], stdin: &str| {
        let mut child = Command::new(program)
            .args(args)
            .env("KRB5_CONFIG", dc.krb5_conf())
            .env("KRB5CCNAME", format!("FILE:{}", cc.display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{program} {args:?}: {out:?}");
    };
    {
        let _as = ALICE_AS.lock().unwrap_or_else(|e| e.into_inner());
        let alice = format!("alice@{REALM}");
        mit("kinit", &[&alice], &format!("{}\n", dc.alice_pass));
    }
    mit("kvno", &[SPN], "");

    let principal = format!("{SPN}@{REALM}");
    let mut init = peer_script("gss_init.py", &["--principal", &principal, "--wrap"]);
    init.env("KRB5_CONFIG", dc.krb5_conf())
        .env("KRB5CCNAME", format!("FILE:{}", cc.display()));
    let r = run_pair(init, our_acceptor(dc, "Kerberos"), TIMEOUT);
    assert_pair(&r, true);
    assert_kerberos_alice(dc, &r);

    // The same ticket through our acceptor's AP-REQ processing, in process.
    let cred = Ccache::read(&cc)
        .unwrap()
        .tickets()
        .find(|c| c.server.to_string() == principal)
        .expect("kvno's ticket")
        .clone();
    let key = Key::new(
        EncryptionType::from_i32(cred.key.enctype).unwrap(),
        &cred.key.bytes,
    )
    .unwrap();
    let st = ServiceTicket {
        ticket: &cred.ticket,
        session_key: &key,
        client: &cred.client,
    };
    let at = now();
    let (token, _) = build_ap_req(&st, &ApReqOptions::default(), at).unwrap();
    let kt = Keytab::read(&dc.keytab()).unwrap();
    let opts = AcceptorOptions {
        keytab: &kt,
        principal: None,
        clockskew: 300,
        channel_bindings: None,
        require_bindings: false,
        keys: None,
        tickets: None,
    };
    let a = accept_ap_req(&opts, &ReplayCache::new(10), &token, at).unwrap();
    assert_eq!(a.client.to_string(), format!("alice@{REALM}"));
    let pac = a.pac.expect("the DC's PAC, verified");
    assert_eq!(pac.client_info.name, "alice");
    let upn = pac.upn_dns_info.as_ref().expect("UPN_DNS_INFO");
    assert_eq!(
        (upn.upn.as_str(), upn.dns_domain_name.as_str()),
        ("alice@ad.example.test", REALM)
    );
    let vi = pac.validation_info.as_ref().expect("LOGON_INFO");
    assert_eq!(
        (
            vi.effective_name.as_str(),
            vi.full_name.as_str(),
            vi.logon_domain_name.as_str(),
            vi.logon_server.as_str()
        ),
        ("alice", "Alice Example", NETBIOS_DOMAIN, "DC1")
    );
    assert_eq!(vi.user_sid().unwrap().to_string(), dc.alice_sid);
    let domain_sid = dc.alice_sid.rsplit_once('-').unwrap().0;
    assert_eq!(
        vi.primary_group_sid().unwrap().to_string(),
        format!("{domain_sid}-513")
    );
}

/// Who uses MEMBER1$'s secure channel: each NetrServerAuthenticate3
/// replaces the DC's state for the account (MS-NRPC 3.5.4.4.2), so the
/// tests that set one up take turns.
static MEMBER1: Mutex<()> = Mutex::new(());

/// alice's NTLMv2 response to `challenge` as our NTLM client computes it
/// (MS-NLMP 3.3.2), and the SessionBaseKey the client derives.
fn alice_ntlmv2(password: &str, challenge: &[u8; 8]) -> (Vec<u8>, [u8; 16]) {
    use opensspi::lsa::packages::msv1_0::owf::{nt_owf_v1, ntowf_v2};
    use opensspi::lsa::packages::msv1_0::responses::{nt_proof_str, ntlmv2_session_base_key};
    use opensspi::packages::ntlm::crypto::ntlmv2_temp;
    let mut av = Vec::new();
    let domain: Vec<u8> = NETBIOS_DOMAIN
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    av.extend_from_slice(&2u16.to_le_bytes());
    av.extend_from_slice(&(domain.len() as u16).to_le_bytes());
    av.extend_from_slice(&domain);
    av.extend_from_slice(&[0, 0, 0, 0]);
    let mut client_challenge = [0u8; 8];
    getrandom_fill(&mut client_challenge);
    let temp = ntlmv2_temp(0x01dc_0000_0000_0000, &client_challenge, &av);
    let key = ntowf_v2(&nt_owf_v1(password), "alice", NETBIOS_DOMAIN);
    let proof = nt_proof_str(&key, challenge, &temp);
    let base = ntlmv2_session_base_key(&key, &proof);
    ([&proof[..], &temp].concat(), *base)
}

fn getrandom_fill(b: &mut [u8]) {
    getrandom::fill(b).unwrap();
}

/// MS-NRPC pass-through by our own client: the endpoint mapper gives
/// NETLOGON's port, ReqChallenge + Authenticate3 as MEMBER1$ with AES, a
/// sealed SCHANNEL bind; NetrLogonSamLogonEx of alice's NTLMv2 response
/// returns her SID (as winbindd names it) and the SessionBaseKey our client
/// derived; a second logon reuses the channel; a wrong user password is
/// the DC's WRONG_PASSWORD; a wrong machine password is ACCESS_DENIED at
/// Authenticate3.
#[test]
fn netlogon_secure_channel_and_network_logon() {
    use opensspi::lsa::packages::msv1_0::netlogon::nrpc::{
        MachineAccount, NetworkLogon, NrpcError, SecureChannel,
    };
    use opensspi::lsa::packages::msv1_0::owf::nt_owf_v1;
    if skipped() {
        return;
    }
    let u = dc();
    let dc = u.0;
    let _member1 = MEMBER1.lock().unwrap_or_else(|e| e.into_inner());
    let machine = |password: &str| MachineAccount {
        domain: NETBIOS_DOMAIN.into(),
        computer: "MEMBER1".into(),
        nt_owf: nt_owf_v1(password),
    };
    let mut sc = SecureChannel::establish(&dc.ip, None, &machine(&dc.member_pass), TIMEOUT)
        .expect("secure channel as MEMBER1$");
    assert_ne!(sc.negotiated_flags & 0x0100_0000, 0, "AES negotiated");
    for _ in 0..2 {
        let mut challenge = [0u8; 8];
        getrandom_fill(&mut challenge);
        let (nt, base) = alice_ntlmv2(&dc.alice_pass, &challenge);
        let v = sc
            .network_logon(&NetworkLogon {
                domain: NETBIOS_DOMAIN,
                user: "alice",
                workstation: "CLIENTWS",
                lm_challenge: challenge,
                nt_response: &nt,
                lm_response: &[],
            })
            .expect("alice's network logon");
        assert_eq!(v.user_sid().to_string(), dc.alice_sid);
        assert_eq!(v.effective_name, "alice");
        assert_eq!(v.logon_domain_name, NETBIOS_DOMAIN);
        assert_eq!(v.logon_server, "DC1");
        assert_eq!(v.upn, "alice@ad.example.test");
        assert_eq!(
            v.user_session_key[..],
            base[..],
            "UserSessionKey = SessionBaseKey"
        );
    }
    let challenge = [7u8; 8];
    let (nt, _) = alice_ntlmv2("not-the-Passw0rd", &challenge);
    let r = sc.network_logon(&NetworkLogon {
        domain: NETBIOS_DOMAIN,
        user: "alice",
        workstation: "CLIENTWS",
        lm_challenge: challenge,
        nt_response: &nt,
        lm_response: &[],
    });
    assert_eq!(
        r.unwrap_err(),
        NrpcError::Status(0xc000_006a),
        "WRONG_PASSWORD"
    );
    let r = SecureChannel::establish(&dc.ip, None, &machine("not-the-machine-Passw0rd"), TIMEOUT);
    assert_eq!(
        r.unwrap_err(),
        NrpcError::Status(0xc000_0022),
        "ACCESS_DENIED"
    );
}

/// A member configuration for MEMBER1 (mode `mode`) in `rt`, with the DC
/// at `dc_addr` (and `port`, if given).
fn member_config(rt: &Runtime, dc: &Dc, dc_addr: &str, port: Option<u16>, mode: u32) -> PathBuf {
    let path = rt.0.join(format!("member-{mode:o}-{dc_addr}.conf"));
    let mut text = format!(
        "# MEMBER1 of ADEXAMPLE\ndomain = {NETBIOS_DOMAIN}\ndns_domain = {}\ndc = {dc_addr}\n\
         machine = MEMBER1$\npassword = {}\n",
        REALM.to_ascii_lowercase(),
        dc.member_pass
    );
    if let Some(p) = port {
        text.push_str(&format!("port = {p}\n"));
    }
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// Our Negotiate client as ADEXAMPLE\alice (NTLM: it has no KDC), a
/// message each way.
fn our_ntlm_client_wrapping(password: &str) -> Command {
    let mut c = our_ntlm_client(password);
    c.arg("--wrap");
    c
}

/// MSV1_0 pass-through: our acceptor, configured as the member MEMBER1 of
/// ADEXAMPLE (OPENSSPI_MEMBER_CONFIG) and with no local account, accepts
/// our NTLM client as ADEXAMPLE\alice because the DC validated her
/// response over our secure channel; messages both ways use the keys from
/// the DC's UserSessionKey; her network logon session carries the DC's
/// SID, UPN and domain. A wrong password is SEC_E_LOGON_DENIED; an
/// unreachable DC SEC_E_NO_AUTHENTICATING_AUTHORITY; pyspnego's NTLM client
/// is accepted the same way (the venv of scripts/install-test-deps.sh); an
/// NTLMv1 response is refused without asking the DC; a configuration file
/// readable by others is ignored (local accounts only: LOGON_DENIED).
#[test]
fn ntlm_pass_through_to_the_dc_in_our_acceptor() {
    if skipped() {
        return;
    }
    let u = dc();
    let dc = u.0;
    let _member1 = MEMBER1.lock().unwrap_or_else(|e| e.into_inner());
    let rt = Runtime::new("passthrough");
    let acceptor = |config: &Path| {
        let mut c = our_acceptor(dc, "Negotiate");
        c.env("OPENSSPI_MEMBER_CONFIG", config);
        c
    };
    let good = member_config(&rt, dc, &dc.ip, None, 0o600);

    let r = run_pair(
        our_ntlm_client_wrapping(&dc.alice_pass),
        acceptor(&good),
        TIMEOUT,
    );
    assert!(r.both_ok(), "\n{r}");
    assert_eq!(r.acceptor.field("client"), "ADEXAMPLE\\alice", "\n{r}");
    assert_eq!(r.acceptor.field("session_user"), "alice", "\n{r}");
    assert_eq!(r.acceptor.field("session_domain"), NETBIOS_DOMAIN, "\n{r}");
    assert_eq!(r.acceptor.field("session_logon_type"), "3", "network\n{r}");
    assert_eq!(r.acceptor.field("session_package"), "NTLM", "\n{r}");
    assert_eq!(r.acceptor.field("session_sid"), dc.alice_sid, "\n{r}");
    assert_eq!(
        r.acceptor.field("session_upn"),
        format!("alice@{}", REALM.to_ascii_lowercase()),
        "\n{r}"
    );
    assert!(
        dc.auth_log()
            .lines()
            .any(|l| l.contains("[SamLogon,network]")
                && l.contains("[alice]")
                && l.contains("MEMBER1")
                && l.contains("NT_STATUS_OK")),
        "the DC logged no SamLogon of alice from MEMBER1"
    );

    // pyspnego's own NTLM inside SPNEGO as the client.
    let no_users = UserFile::new("pt-py", &[]);
    let py_client = pyspnego_client(
        &format!("{NETBIOS_DOMAIN}\\alice"),
        &dc.alice_pass,
        &["--protocol", "negotiate", "--impl", "python", "--wrap"],
        &no_users,
    );
    let r = run_pair(py_client, acceptor(&good), TIMEOUT);
    assert!(r.both_ok(), "pyspnego client:\n{r}");
    assert_eq!(r.acceptor.field("client"), "ADEXAMPLE\\alice", "\n{r}");
    assert_eq!(r.acceptor.field("session_sid"), dc.alice_sid, "\n{r}");

    let r = run_pair(
        our_ntlm_client_wrapping("not-the-Passw0rd"),
        acceptor(&good),
        TIMEOUT,
    );
    assert!(!r.acceptor.success(), "\n{r}");
    assert_eq!(r.acceptor.field("status"), SEC_E_LOGON_DENIED, "\n{r}");

    // An NTLMv1 response (client at LM compatibility level 1) is refused
    // before the DC is asked.
    let samlogons = || {
        dc.auth_log()
            .lines()
            .filter(|l| l.contains("Auth: [SamLogon,network]") && l.contains("[alice]"))
            .count()
    };
    let before = samlogons();
    let mut v1_client = our_ntlm_client_wrapping(&dc.alice_pass);
    v1_client.env("LM_COMPAT_LEVEL", "1");
    let r = run_pair(v1_client, acceptor(&good), TIMEOUT);
    assert!(!r.acceptor.success(), "\n{r}");
    assert_eq!(r.acceptor.field("status"), SEC_E_LOGON_DENIED, "\n{r}");
    assert_eq!(samlogons(), before, "an NTLMv1 response went to the DC");

    // A closed port on loopback: no DC answers.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = member_config(&rt, dc, "127.0.0.1", Some(port), 0o600);
    let r = run_pair(
        our_ntlm_client_wrapping(&dc.alice_pass),
        acceptor(&down),
        TIMEOUT,
    );
    assert!(!r.acceptor.success(), "\n{r}");
    assert_eq!(
        r.acceptor.field("status"),
        "0x80090311",
        "SEC_E_NO_AUTHENTICATING_AUTHORITY\n{r}"
    );

    let readable = member_config(&rt, dc, &dc.ip, None, 0o644);
    let r = run_pair(
        our_ntlm_client_wrapping(&dc.alice_pass),
        acceptor(&readable),
        TIMEOUT,
    );
    assert!(!r.acceptor.success(), "\n{r}");
    assert_eq!(r.acceptor.field("status"), SEC_E_LOGON_DENIED, "\n{r}");
}

/// MSV1_0's pass-through keeps one secure channel per process: three
/// logons of alice, one NetrServerAuthenticate3 in the DC's log.
#[test]
fn pass_through_reuses_the_process_secure_channel() {
    use opensspi::lsa::packages::msv1_0::netlogon::member::MemberConfig;
    use opensspi::lsa::packages::msv1_0::netlogon::nrpc::NetworkLogon;
    use opensspi::lsa::packages::msv1_0::netlogon::pass_through::network_logon;
    if skipped() {
        return;
    }
    let u = dc();
    let dc = u.0;
    let _member1 = MEMBER1.lock().unwrap_or_else(|e| e.into_inner());
    let config = MemberConfig::parse(&format!(
        "domain = {NETBIOS_DOMAIN}\ndc = {}\nmachine = MEMBER1\npassword = {}\n",
        dc.ip, dc.member_pass
    ))
    .unwrap();
    let authenticates = || {
        dc.auth_log()
            .lines()
            .filter(|l| {
                l.contains("Auth: [NETLOGON,ServerAuthenticate]") && l.contains("[MEMBER1$]")
            })
            .count()
    };
    let before = authenticates();
    for _ in 0..3 {
        let mut challenge = [0u8; 8];
        getrandom_fill(&mut challenge);
        let (nt, base) = alice_ntlmv2(&dc.alice_pass, &challenge);
        let v = network_logon(
            &config,
            &NetworkLogon {
                domain: NETBIOS_DOMAIN,
                user: "alice",
                workstation: "CLIENTWS",
                lm_challenge: challenge,
                nt_response: &nt,
                lm_response: &[],
            },
        )
        .expect("alice's logon");
        assert_eq!(v.user_sid().to_string(), dc.alice_sid);
        assert_eq!(v.user_session_key[..], base[..]);
    }
    assert_eq!(
        authenticates(),
        before + 1,
        "one secure channel for three logons"
    );
}
