//! Kerberos logon at `LsaLogonUser` and noninteractive Kerberos from the
//! logon session, across processes, against a real MIT KDC
//! (`common/krb_realm.rs`) and the LSA service (`opensspi-lsad`, own
//! `XDG_RUNTIME_DIR` per test):
//! - `sspilogon --package Kerberos alice@EXAMPLE.TEST` runs the AS exchange
//!   and keeps the TGT in the session (`--list` shows it); no MIT ccache
//!   exists (`KRB5CCNAME` names a missing file);
//! - separate programs (`c/sspi_peer.c`, `AcquireCredentialsHandle(NULL)`)
//!   authenticate to MIT's acceptor as alice with Kerberos and with
//!   Negotiate (Kerberos inside); the service ticket lands in the session's
//!   cache and a later process uses it with the KDC stopped;
//! - logoff ends it (the next default credential has nothing);
//! - wrong password, unknown user, KDC down: Windows' statuses; Negotiate
//!   with the KDC down falls back to MSV1_0 (NTLM only);
//! - no client of the service ever receives the long-term keys nor the
//!   TGT's session key: the service runs the TGS (and renews an expired
//!   TGT with the keys), its statuses reach the application, and it asks
//!   for the forwarded TGT of a delegation.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::krb_realm::{KrbRealm, REALM};
use common::*;
use opensspi::lsa::packages::kerberos::KerberosCredential;

const TIMEOUT: Duration = Duration::from_secs(60);
const SEC_E_NO_CREDENTIALS: &str = "0x8009030E";
const SEC_E_TARGET_UNKNOWN: &str = "0x80090303";
const SEC_E_NO_AUTHENTICATING_AUTHORITY: &str = "0x80090311";

/// A private runtime directory (the LSA service's) whose service is killed
/// when dropped, and the realm the programs use.
struct Setup {
    runtime: PathBuf,
    realm: KrbRealm,
}

impl Setup {
    fn new(tag: &str) -> Setup {
        let runtime = target_dir()
            .join("test-tmp")
            .join(format!("krb-lsa-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&runtime);
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        Setup {
            runtime,
            realm: KrbRealm::start(&format!("lsa-{tag}")),
        }
    }

    /// The realm's krb5.conf and keytab, no ccache, the service of this
    /// runtime directory (`opensspi-lsad` in PATH) and no opensspi setting.
    fn env(&self, c: &mut Command) {
        self.realm.env(c);
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_opensspi-lsad"));
        let path = format!(
            "{}:{}:/usr/sbin:/sbin",
            bin.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
        );
        c.env("XDG_RUNTIME_DIR", &self.runtime)
            .env("PATH", path)
            .env(
                "KRB5CCNAME",
                format!("FILE:{}", self.runtime.join("no-such-ccache").display()),
            )
            .env_remove("OPENSSPI_LSA_STORE")
            .env_remove("OPENSSPI_LSAD");
    }

    /// `sspilogon ARGS` with `stdin`; (exit code, stdout + stderr).
    fn sspilogon(&self, args: &[&str], stdin: &str, users: Option<&UserFile>) -> (i32, String) {
        self.sspilogon_with(args, stdin, users, &[])
    }

    /// [`Setup::sspilogon`] with `extra` in its environment.
    fn sspilogon_with(
        &self,
        args: &[&str],
        stdin: &str,
        users: Option<&UserFile>,
        extra: &[(&str, &std::path::Path)],
    ) -> (i32, String) {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sspilogon"));
        self.env(&mut c);
        c.envs(extra.iter().copied());
        match users {
            Some(u) => c.env("NTLM_USER_FILE", &u.path),
            None => c.env("NTLM_USER_FILE", self.runtime.join("no-accounts")),
        };
        let mut child = c
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }

    fn logon(&self, package: &str, user: &str, password: &str) -> (i32, String) {
        self.sspilogon(
            &["--password-stdin", "--package", package, user],
            &format!("{password}\n"),
            None,
        )
    }

    fn list(&self) -> String {
        let (code, out) = self.sspilogon(&["--list"], "", None);
        assert_eq!(code, 0, "sspilogon --list:\n{out}");
        out
    }

    /// Our client with default credentials (`AcquireCredentialsHandle(NULL)`).
    fn client(&self, package: &str, target: &str) -> Command {
        let mut c = sspi_peer(
            Link::Linked,
            &["client", "--package", package, "--target", target, "--wrap"],
        );
        self.env(&mut c);
        c
    }

    /// MIT's acceptor (the realm's keytab).
    fn mit_acceptor(&self, args: &[&str]) -> Command {
        let mut c = peer_script("gss_accept.py", args);
        self.realm.env(&mut c);
        c
    }

    /// Our default-credential client against MIT's acceptor.
    fn pair(&self, package: &str, target: &str, acceptor_args: &[&str]) -> PairResult {
        let mut args = vec!["--wrap"];
        args.extend_from_slice(acceptor_args);
        run_pair(
            self.client(package, target),
            self.mit_acceptor(&args),
            TIMEOUT,
        )
    }

    /// One request body on the service's socket, as any client of the uid
    /// (the service client API's wire): the reply body.
    fn raw_request(&self, body: &[u8]) -> Vec<u8> {
        self.raw_request_within(body, Duration::from_secs(5))
    }

    /// [`Setup::raw_request`] waiting at most `limit` for the reply.
    fn raw_request_within(&self, body: &[u8], limit: Duration) -> Vec<u8> {
        use std::io::Read;
        let sock = self.runtime.join("opensspi").join("lsad.sock");
        let mut c = std::os::unix::net::UnixStream::connect(&sock).unwrap();
        c.set_read_timeout(Some(limit)).unwrap();
        let mut frame = vec![1u8];
        frame.extend_from_slice(&(body.len() as u32).to_le_bytes());
        frame.extend_from_slice(body);
        c.write_all(&frame).unwrap();
        let mut head = [0u8; 5];
        c.read_exact(&mut head).unwrap();
        let mut reply = vec![0u8; u32::from_le_bytes(head[1..5].try_into().unwrap()) as usize];
        c.read_exact(&mut reply).unwrap();
        reply
    }

    /// Session `luid` as a client reads it from the service (Get, wire op
    /// 2), and the raw reply.
    fn client_copy(&self, luid: &str) -> (opensspi::lsa::session::LogonSession, Vec<u8>) {
        let luid = opensspi::lsa::Luid::parse(luid).unwrap();
        let mut body = vec![2u8];
        body.extend_from_slice(&luid.as_u64().to_le_bytes());
        let reply = self.raw_request(&body);
        assert_eq!(&reply[..2], &[0, 1], "Get: {reply:?}");
        let n = u32::from_le_bytes(reply[2..6].try_into().unwrap()) as usize;
        let session = opensspi::lsa::store::codec::decode(&reply[6..6 + n]).unwrap();
        (session, reply)
    }

    /// The KDC's log lines of AS requests of alice.
    fn as_requests(&self) -> usize {
        let log = std::fs::read_to_string(self.realm.dir.join("kdc.log")).unwrap_or_default();
        log.lines()
            .filter(|l| l.contains("AS_REQ") && l.contains("alice@"))
            .count()
    }

    /// The KDC's log lines of TGS requests for `spn`.
    fn tgs_requests_for(&self, spn: &str) -> usize {
        let log = std::fs::read_to_string(self.realm.dir.join("kdc.log")).unwrap_or_default();
        log.lines()
            .filter(|l| l.contains("TGS_REQ") && l.contains(spn))
            .count()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.runtime.join("opensspi").join("lsad.pid"));
        if let Some(pid) = pid.ok().and_then(|s| s.trim().parse::<u32>().ok()) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
        let _ = std::fs::remove_dir_all(&self.runtime);
    }
}

fn alice() -> String {
    format!("alice@{REALM}")
}

/// The LUID sspilogon printed ("logon session H:L").
fn logon_id(out: &str) -> String {
    let at = out.find("logon session ").expect("no logon session") + 14;
    out[at..]
        .split(|c: char| c == ',' || c == ')' || c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

/// The whole noninteractive flow, in order: Kerberos logon, a program of
/// the user authenticates with Kerberos then Negotiate using the session's
/// TGT, the service ticket is cached in the session and reused by a later
/// process while the KDC is down, logoff ends it all.
#[test]
fn kerberos_logon_gives_later_processes_the_sessions_tickets() {
    let s = Setup::new("flow");
    let (code, out) = s.logon("Kerberos", &alice(), PASSWORD);
    assert_eq!(code, 0, "sspilogon --package Kerberos:\n{out}");
    assert!(
        out.contains(&format!("Logged on {REALM}\\alice")),
        "the names are the KDC's:\n{out}"
    );
    let luid = logon_id(&out);
    let list = s.list();
    assert!(list.contains("package Kerberos"), "{list}");
    assert!(
        list.contains(&format!("ticket krbtgt/{REALM}@{REALM}")),
        "no TGT in the session:\n{list}"
    );
    assert!(!s.realm.ccache().exists(), "an MIT ccache was written");

    // Another process: AcquireCredentialsHandle(NULL, "Kerberos").
    let r = s.pair("Kerberos", "HTTP/localhost", &[]);
    assert!(r.both_ok(), "Kerberos from the session:\n{r}");
    assert_eq!(r.acceptor.field("client"), alice(), "\n{r}");
    let list = s.list();
    assert!(
        list.contains(&format!("ticket HTTP/localhost@{REALM}")),
        "the service ticket is not in the session's cache:\n{list}"
    );
    assert_eq!(s.tgs_requests_for("HTTP/localhost"), 1);
    // The service ran that TGS: what a client reads has the service
    // ticket (with its key) and the TGT listed without its credential.
    let (copy, _) = s.client_copy(&luid);
    let k = KerberosCredential::of(&copy).expect("a Kerberos credential");
    assert!(k.keys.is_empty());
    assert!(
        k.tgt.as_ref().is_some_and(|t| t.encoded.is_empty()),
        "{k:?}"
    );
    assert!(k.service_tickets.iter().any(|t| !t.encoded.is_empty()));

    // An SPN the KDC does not know: the service's TGS status reaches the
    // application (SEC_E_TARGET_UNKNOWN), nothing is cached.
    let r = s.pair("Kerberos", "HTTP/nosuch.example.test", &[]);
    assert!(!r.initiator.success(), "an unknown SPN authenticated:\n{r}");
    assert!(
        r.initiator.field("error").contains(SEC_E_TARGET_UNKNOWN),
        "\n{r}"
    );

    // Negotiate: Kerberos inside (MIT's SPNEGO acceptor names the Kerberos
    // principal, and the session's ticket is reused: no second TGS).
    let r = s.pair("Negotiate", "HTTP/localhost", &["--mech", "spnego"]);
    assert!(r.both_ok(), "Negotiate from the session:\n{r}");
    assert_eq!(r.acceptor.field("client"), alice(), "\n{r}");
    assert!(
        r.acceptor.field("mech").contains("1.2.840.113554.1.2.2"),
        "not Kerberos inside:\n{r}"
    );
    assert_eq!(s.tgs_requests_for("HTTP/localhost"), 1, "a second TGS");

    // The KDC down: a new process still authenticates with the session's
    // service ticket; one that needs a new ticket cannot.
    s.realm.stop_kdc();
    let r = s.pair("Kerberos", "HTTP/localhost", &[]);
    assert!(r.both_ok(), "cached service ticket, KDC down:\n{r}");
    assert_eq!(r.acceptor.field("client"), alice(), "\n{r}");
    let r = s.pair("Kerberos", "host/localhost", &[]);
    assert!(!r.initiator.success(), "a TGS with the KDC down?\n{r}");
    assert!(
        r.initiator
            .field("error")
            .contains(SEC_E_NO_AUTHENTICATING_AUTHORITY),
        "\n{r}"
    );

    // Logoff: nothing is left for the next process (no ccache either).
    let (code, out) = s.sspilogon(&["--logoff", &luid], "", None);
    assert_eq!(code, 0, "sspilogon --logoff:\n{out}");
    let r = s.pair("Kerberos", "HTTP/localhost", &[]);
    assert!(!r.initiator.success(), "authenticated after logoff:\n{r}");
    assert!(
        r.initiator.field("error").contains(SEC_E_NO_CREDENTIALS),
        "\n{r}"
    );
}

/// Failed logons have Windows' statuses and leave no session; with the KDC
/// down a Negotiate logon of a local account falls back to MSV1_0.
#[test]
fn kerberos_logon_failures_have_windows_statuses() {
    let s = Setup::new("fail");
    let (code, wrong) = s.logon("Kerberos", &alice(), "not-the-password");
    assert_eq!(code, 1, "{wrong}");
    assert!(wrong.contains("STATUS_LOGON_FAILURE"), "{wrong}");
    let (code, unknown) = s.logon("Kerberos", &format!("mallory@{REALM}"), PASSWORD);
    assert_eq!(code, 1, "{unknown}");
    assert!(unknown.contains("STATUS_LOGON_FAILURE"), "{unknown}");
    // The same status and words: which one it was is not told.
    let status = |t: &str| {
        t.lines()
            .find(|l| l.contains("logon failed"))
            .map(str::to_owned)
    };
    assert_eq!(status(&wrong), status(&unknown));
    assert!(s.list().contains("No logon sessions"));

    // Negotiate (sspilogon's default) with the realm up: Kerberos, the
    // realm from default_realm.
    let (code, out) = s.sspilogon(
        &["--password-stdin", "alice"],
        &format!("{PASSWORD}\n"),
        None,
    );
    assert_eq!(code, 0, "sspilogon alice:\n{out}");
    assert!(out.contains(&format!("Logged on {REALM}\\alice")), "{out}");
    let list = s.list();
    assert!(list.contains("package Kerberos"), "{list}");
    assert!(
        list.contains(&format!("ticket krbtgt/{REALM}@{REALM}")),
        "{list}"
    );
    let (code, out) = s.sspilogon(&["--logoff", &logon_id(&out)], "", None);
    assert_eq!(code, 0, "{out}");

    s.realm.stop_kdc();
    let (code, out) = s.logon("Kerberos", &alice(), PASSWORD);
    assert_eq!(code, 5, "{out}");
    assert!(out.contains("STATUS_NO_LOGON_SERVERS"), "{out}");

    // Negotiate, KDC down, alice is also a local account: MSV1_0 validates,
    // the session has NTLM's credential only.
    let users = UserFile::new("krb-lsa-local", &[&format!(":alice:{PASSWORD}")]);
    let (code, out) = s.sspilogon(
        &["--password-stdin", "alice"],
        &format!("{PASSWORD}\n"),
        Some(&users),
    );
    assert_eq!(code, 0, "Negotiate fallback:\n{out}");
    let list = s.list();
    assert!(list.contains("package NTLM"), "{list}");
    assert!(list.contains("credentials: NTLM\n"), "{list}");
}

/// Get (wire op 2) of the Kerberos session on the service's socket, as any
/// client of the uid: the long-term keys are in no form in the reply, the
/// TGT is listed without its credential (its session key stays in the
/// service, which runs the TGS). A ticket request (wire op 11) naming no
/// service or a huge one is answered `Malformed` (2), and the service goes
/// on answering.
#[test]
fn the_service_never_hands_out_the_long_term_keys() {
    use opensspi::packages::kerberos::crypto::{string_to_key, EncryptionType};

    let s = Setup::new("keys");
    let (code, out) = s.logon("Kerberos", &alice(), PASSWORD);
    assert_eq!(code, 0, "{out}");
    let (session, reply) = s.client_copy(&logon_id(&out));
    let k = KerberosCredential::of(&session).expect("a Kerberos credential");
    assert!(k.keys.is_empty(), "keys in a client's copy");
    let tgt = k.tgt.as_ref().expect("the TGT is listed");
    assert!(tgt.server_name.starts_with("krbtgt/"), "{tgt:?}");
    assert!(
        tgt.encoded.is_empty(),
        "the TGT's credential (its key) in a Get"
    );
    let salt = format!("{REALM}alice");
    for etype in [
        EncryptionType::Aes256CtsHmacSha196,
        EncryptionType::Aes128CtsHmacSha196,
    ] {
        let key = string_to_key(etype, PASSWORD, salt.as_bytes(), None).unwrap();
        assert!(
            !reply
                .windows(key.as_bytes().len())
                .any(|w| w == key.as_bytes()),
            "the {etype:?} key is in the Get reply"
        );
    }

    let luid = opensspi::lsa::Luid::parse(&logon_id(&out)).unwrap();
    let ticket_request = |components: &[&[u8]]| {
        let mut b = vec![11u8];
        b.extend_from_slice(&luid.as_u64().to_le_bytes());
        b.push(0); // a service ticket
        b.extend_from_slice(&3u32.to_le_bytes());
        b.push(0);
        b.extend_from_slice(&(components.len() as u32).to_le_bytes());
        for c in components.iter().chain([&REALM.as_bytes()]) {
            b.extend_from_slice(&(c.len() as u32).to_le_bytes());
            b.extend_from_slice(c);
        }
        s.raw_request(&b)
    };
    let huge = vec![b'h'; 64 * 1024];
    for bad in [&[][..], &[&b""[..]][..], &[&b"HTTP"[..], &huge[..]][..]] {
        assert_eq!(ticket_request(bad), [2], "a malformed ticket request");
    }
    assert_eq!(s.client_copy(&logon_id(&out)).0.logon_id, luid);
    // A well-formed one: status 0 and the ticket.
    let ok = ticket_request(&[b"HTTP", b"localhost"]);
    assert_eq!(&ok[..5], &[0, 0, 0, 0, 0], "{ok:?}");
}

/// Delegation from an LSA session (`ISC_REQ_DELEGATE` to host/localhost,
/// OK-AS-DELEGATE in the realm): the LSA service asks the KDC for the
/// FORWARDED TGT with the session's TGT; MIT's acceptor (python-gssapi)
/// receives it as alice's, stores it (`klist -f`: F) and reaches a next hop
/// with it. The application held the forwarded TGT only, never the
/// session's TGT key (the client copy lists the TGT without it).
#[test]
fn delegation_from_an_lsa_session() {
    let s = Setup::new("deleg");
    let (code, out) = s.logon("Kerberos", &alice(), PASSWORD);
    assert_eq!(code, 0, "{out}");
    let stored = s.runtime.join("delegated_cc");
    let mut client = sspi_peer(
        Link::Linked,
        &[
            "client",
            "--package",
            "Kerberos",
            "--target",
            "host/localhost",
            "--delegate",
        ],
    );
    s.env(&mut client);
    let acceptor = s.mit_acceptor(&["--store-delegated", stored.to_str().unwrap()]);
    let r = run_pair(client, acceptor, TIMEOUT);
    assert!(r.both_ok(), "delegation from the session:\n{r}");
    assert_eq!(r.acceptor.field("delegated"), alice(), "\n{r}");
    let flags = u32::from_str_radix(r.initiator.field("flags").trim_start_matches("0x"), 16);
    assert_ne!(flags.unwrap() & 0x1, 0, "no ISC_RET_DELEGATE:\n{r}");
    let stored_arg = format!("FILE:{}", stored.display());
    let klist = s.realm.run("klist", &["-f", "-c", &stored_arg], None);
    let tgt_flags = klist
        .lines()
        .skip_while(|l| !l.contains(&format!("krbtgt/{REALM}@{REALM}")))
        .find_map(|l| l.trim().strip_prefix("Flags: "))
        .unwrap_or_else(|| panic!("no TGT flags in:\n{klist}"));
    assert!(tgt_flags.contains('F'), "FORWARDED: {tgt_flags}\n{klist}");
    s.realm
        .run("kvno", &["-c", &stored_arg, "HTTP/localhost"], None);
    let (copy, _) = s.client_copy(&logon_id(&out));
    let k = KerberosCredential::of(&copy).unwrap();
    assert!(k.tgt.as_ref().is_some_and(|t| t.encoded.is_empty()));
}

/// The C ABI's `LsaLogonUser` with the Kerberos package (a program of the
/// user, not sspilogon) runs the AS exchange; `KerbQueryTicketCacheMessage`
/// through `LsaCallAuthenticationPackage` lists the TGT; another process
/// then authenticates with it. A wrong password: STATUS_LOGON_FAILURE.
#[test]
fn lsa_logon_user_through_the_c_abi() {
    let s = Setup::new("cabi");
    let bin = compile_c("tests/c/krb_lsa_logon.c", Link::Linked);
    let run = |password: &str| {
        let mut c = c_command(&bin);
        s.env(&mut c);
        c.env("NTLM_USER_FILE", s.runtime.join("no-accounts"));
        let mut child = c
            .args([REALM, "alice"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    };
    let (code, out) = run("wrong-password");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("LOGON 0xC000006D"), "{out}");

    let (code, out) = run(PASSWORD);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("LOGON 0x00000000"), "{out}");
    let tgt = format!("TICKET krbtgt/{REALM}@{REALM} ");
    let line = out
        .lines()
        .find(|l| l.starts_with(&tgt))
        .unwrap_or_else(|| panic!("no TGT listed:\n{out}"));
    // aes256-cts-hmac-sha1-96 session key; FORWARDABLE (krb5.conf) and
    // INITIAL (an AS ticket) among the RFC 4120 flags.
    let mut f = line[tgt.len()..].split(' ');
    assert_eq!(f.next(), Some("18"), "{line}");
    let flags = u32::from_str_radix(f.next().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert_ne!(flags & 0x4000_0000, 0, "not forwardable: {line}");
    assert_ne!(flags & 0x0040_0000, 0, "not initial: {line}");

    let r = s.pair("Kerberos", "HTTP/localhost", &[]);
    assert!(r.both_ok(), "Kerberos from the C logon's session:\n{r}");
    assert_eq!(r.acceptor.field("client"), alice(), "\n{r}");
}

/// In process (memory store): the session's long-term keys are the
/// user's keys the KDC listed in its ETYPE-INFO2 (MIT lists the one it
/// prefers: aes256-cts-hmac-sha1-96), the string-to-key of the password
/// with the realm's salt and the kvno the AS reply names (MIT: none); the TGT decodes
/// back to the client the KDC named.
#[test]
fn the_logon_keeps_the_users_keys_with_their_kvno() {
    use opensspi::lsa::packages::kerberos::KerberosCredential;
    use opensspi::lsa::packages::KERBEROS_ID;
    use opensspi::lsa::store::memory::MemoryStore;
    use opensspi::lsa::{InteractiveLogon, Lsa};
    use opensspi::packages::kerberos::crypto::{string_to_key, EncryptionType};
    use opensspi::packages::kerberos::lsa_logon::{register, ticket_credential};
    use std::sync::Arc;

    let s = Setup::new("inproc");
    // This test alone reads krb5.conf in this process (the others run
    // programs).
    std::env::set_var("KRB5_CONFIG", s.realm.dir.join("krb5.conf"));
    let lsa = Lsa::new(Arc::new(MemoryStore::new()));
    register(&lsa);
    let r = lsa
        .logon_user(
            KERBEROS_ID,
            2,
            &InteractiveLogon::new(REALM, "alice", PASSWORD),
        )
        .unwrap();
    assert_eq!((r.user.as_str(), r.domain.as_str()), ("alice", REALM));
    let session = lsa.store().get(r.logon_id).unwrap().unwrap();
    let k = KerberosCredential::of(&session).unwrap();
    assert_eq!(k.principal, alice());
    let kvno = s.realm.run("kadmin.local", &["-q", "getprinc alice"], None);
    let kvno: u32 = kvno
        .lines()
        .find_map(|l| l.split("vno ").nth(1))
        .and_then(|v| v.split(',').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no kvno in getprinc output"));
    let etypes: Vec<i32> = k.keys.iter().map(|k| k.etype).collect();
    assert_eq!(etypes, [18], "the KDC's keys of alice");
    for key in &k.keys {
        let etype = EncryptionType::from_i32(key.etype).unwrap();
        let expect = string_to_key(etype, PASSWORD, format!("{REALM}alice").as_bytes(), None);
        assert_eq!(&key.key[..], expect.unwrap().as_bytes(), "{etype:?}");
        // MIT's AS-REP names no kvno for the client key (0: unknown).
        assert!(
            key.kvno == kvno || key.kvno == 0,
            "{etype:?} kvno {}",
            key.kvno
        );
    }
    let tgt = ticket_credential(k.tgt.as_ref().unwrap()).unwrap();
    assert_eq!(tgt.client.to_string(), alice());
    assert_eq!(tgt.server.to_string(), format!("krbtgt/{REALM}@{REALM}"));
}

/// A NewCredentials logon (`runas /netonly`) makes no AS exchange: the
/// password is not checked at logon, the session keeps the keys only; the
/// first outbound use runs the AS exchange with the keys in the LSA
/// service (the client never has them) and the TGT lands in the session.
/// A wrong password shows then, as SEC_E_LOGON_DENIED.
#[test]
fn new_credentials_get_their_tgt_at_first_use() {
    let s = Setup::new("netonly");
    let netonly = |password: &str| {
        s.sspilogon(
            &[
                "--password-stdin",
                "--package",
                "Kerberos",
                "--logon-type",
                "new-credentials",
                &alice(),
            ],
            &format!("{password}\n"),
            None,
        )
    };
    let (code, out) = netonly("not-the-password");
    assert_eq!(code, 0, "NewCredentials validates nothing:\n{out}");
    assert_eq!(
        s.as_requests(),
        0,
        "an AS exchange at a NewCredentials logon"
    );
    let r = s.pair("Kerberos", "HTTP/localhost", &[]);
    assert!(
        !r.initiator.success(),
        "a wrong password authenticated:\n{r}"
    );
    assert!(r.initiator.field("error").contains("0x8009030C"), "\n{r}");
    let (code, _) = s.sspilogon(&["--logoff", &logon_id(&out)], "", None);
    assert_eq!(code, 0);

    let before = s.as_requests();
    let (code, out) = netonly(PASSWORD);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        s.as_requests(),
        before,
        "an AS exchange at a NewCredentials logon"
    );
    let list = s.list();
    assert!(list.contains("NewCredentials logon"), "{list}");
    assert!(
        !list.contains("ticket krbtgt/"),
        "a TGT before first use:\n{list}"
    );
    let r = s.pair("Kerberos", "HTTP/localhost", &[]);
    assert!(r.both_ok(), "NewCredentials at first use:\n{r}");
    assert_eq!(r.acceptor.field("client"), alice(), "\n{r}");
    assert!(s.as_requests() > before, "no AS exchange at first use");
    let list = s.list();
    assert!(
        list.contains(&format!("ticket krbtgt/{REALM}@{REALM}")),
        "the first TGT is not in the session:\n{list}"
    );
    // Later uses take the session's TGT: no other AS exchange.
    let after = s.as_requests();
    let r = s.pair("Kerberos", "host/localhost", &[]);
    assert!(r.both_ok(), "\n{r}");
    assert_eq!(s.as_requests(), after);
}

/// An expired TGT in the session is renewed by the LSA service with the
/// session's keys at the next use (Windows' lsass renews silently): the
/// logon's TGT lives 2 s (sspilogon's krb5.conf asks for it; the service,
/// started before with the realm's, asks for the default lifetime), a
/// later process after it expired still authenticates, the service having
/// made a new AS exchange (KDC log).
#[test]
fn an_expired_tgt_is_renewed_by_the_service() {
    let s = Setup::new("renew");
    // The service, with the realm's krb5.conf.
    assert!(s.list().contains("No logon sessions"));
    let short = s.runtime.join("short-krb5.conf");
    let conf = std::fs::read_to_string(s.realm.dir.join("krb5.conf")).unwrap();
    let conf = conf.replace(
        "[libdefaults]\n",
        "[libdefaults]\n    ticket_lifetime = 2s\n",
    );
    std::fs::write(&short, conf).unwrap();
    let (code, out) = s.sspilogon_with(
        &["--password-stdin", "--package", "Kerberos", &alice()],
        &format!("{PASSWORD}\n"),
        None,
        &[("KRB5_CONFIG", short.as_path())],
    );
    assert_eq!(code, 0, "{out}");
    std::thread::sleep(Duration::from_millis(3500));
    let before = s.as_requests();
    let r = s.pair("Kerberos", "HTTP/localhost", &[]);
    assert!(r.both_ok(), "after the TGT expired:\n{r}");
    assert_eq!(r.acceptor.field("client"), alice(), "\n{r}");
    let after = s.as_requests();
    assert!(after > before, "no renewal by the service");
    // The renewed TGT is the session's: the next use makes no AS exchange.
    let r = s.pair("Kerberos", "host/localhost", &[]);
    assert!(r.both_ok(), "\n{r}");
    assert_eq!(s.as_requests(), after);
}

/// `klist purge` through the service: `KerbPurgeTicketCacheMessage` with
/// empty names (a program of the user, `LsaCallAuthenticationPackage`)
/// drops the service tickets and the TGT the service holds;
/// `KerbQueryTicketCacheMessage` then lists nothing, and the next
/// `AcquireCredentialsHandle(NULL, "Kerberos")` + ISC still authenticates:
/// the service gets a new TGT with the session's keys (a second AS
/// exchange in the KDC's log).
#[test]
fn a_purge_drops_the_tgt_and_the_next_use_gets_a_new_one() {
    let s = Setup::new("purge");
    let (code, out) = s.logon("Kerberos", &alice(), PASSWORD);
    assert_eq!(code, 0, "{out}");
    let r = s.pair("Kerberos", "HTTP/localhost", &[]);
    assert!(r.both_ok(), "\n{r}");
    let list = s.list();
    assert!(
        list.contains(&format!("ticket krbtgt/{REALM}@{REALM}")),
        "{list}"
    );
    assert!(list.contains("ticket HTTP/localhost@"), "{list}");

    let bin = compile_c("tests/c/krb_lsa_logon.c", Link::Linked);
    let mut c = c_command(&bin);
    s.env(&mut c);
    let out = c.arg("--purge").output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("PURGE 0x00000000 0x00000000"), "{text}");
    assert!(
        text.contains("COUNT 0\n"),
        "tickets left after a purge:\n{text}"
    );
    let list = s.list();
    assert!(
        !list.contains("ticket "),
        "tickets left after a purge:\n{list}"
    );

    let before = s.as_requests();
    let r = s.pair("Kerberos", "HTTP/localhost", &[]);
    assert!(r.both_ok(), "after the purge:\n{r}");
    assert_eq!(r.acceptor.field("client"), alice(), "\n{r}");
    assert!(
        s.as_requests() > before,
        "no new AS exchange after the purge"
    );
    let list = s.list();
    assert!(
        list.contains(&format!("ticket krbtgt/{REALM}@{REALM}")),
        "{list}"
    );
}

/// A KDC in front of the realm's, over TCP: each request is forwarded
/// after `delay`, or (while `silent` is set) the connection is accepted and
/// never answered.
fn kdc_proxy(
    real_port: u16,
    delay: Duration,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let silent = std::sync::Arc::new(AtomicBool::new(false));
    let quiet = silent.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            let silent = quiet.load(Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut len = [0u8; 4];
                if c.read_exact(&mut len).is_err() {
                    return;
                }
                let mut req = vec![0u8; u32::from_be_bytes(len) as usize];
                if c.read_exact(&mut req).is_err() {
                    return;
                }
                if silent {
                    // Hold the connection, answer nothing.
                    std::thread::sleep(Duration::from_secs(30));
                    return;
                }
                std::thread::sleep(delay);
                let Ok(mut kdc) = TcpStream::connect(("127.0.0.1", real_port)) else {
                    return;
                };
                let _ = kdc.write_all(&len);
                let _ = kdc.write_all(&req);
                let mut rlen = [0u8; 4];
                if kdc.read_exact(&mut rlen).is_err() {
                    return;
                }
                let mut rep = vec![0u8; u32::from_be_bytes(rlen) as usize];
                if kdc.read_exact(&mut rep).is_err() {
                    return;
                }
                let _ = c.write_all(&rlen);
                let _ = c.write_all(&rep);
            });
        }
    });
    (port, silent)
}

/// The wire's KerberosTicket request (op 11) of session `luid` for the
/// service ticket of `HTTP/localhost`.
fn ticket_request(luid: &str) -> Vec<u8> {
    let luid = opensspi::lsa::Luid::parse(luid).unwrap();
    let mut b = vec![11u8];
    b.extend_from_slice(&luid.as_u64().to_le_bytes());
    b.push(0);
    b.extend_from_slice(&3u32.to_le_bytes());
    b.push(0);
    b.extend_from_slice(&2u32.to_le_bytes());
    for part in ["HTTP", "localhost", REALM] {
        b.extend_from_slice(&(part.len() as u32).to_le_bytes());
        b.extend_from_slice(part.as_bytes());
    }
    b
}

/// A client's ticket request whose TGT renewal and TGS exchange each
/// would fit the KDC wait, but not together, is answered within the
/// clients' 5 s limit: one deadline (4 s) for the whole request. The
/// service's KDC sits behind a proxy that forwards each request after
/// 1.7 s (each exchange: 1 s timed out, then 1.7 s of the 2 s retry):
/// an expired TGT renewal then a TGS took about 5.4 s, past the client's
/// limit. Then the KDC accepts connections and never answers: the client
/// gets SEC_E_NO_AUTHENTICATING_AUTHORITY within the limit, and another
/// client's Get is answered meanwhile (a thread per connection).
#[test]
fn a_ticket_request_is_answered_within_the_clients_limit() {
    let s = Setup::new("deadline");
    let (proxy, silent) = kdc_proxy(s.realm.port, Duration::from_millis(1700));
    let conf = std::fs::read_to_string(s.realm.dir.join("krb5.conf")).unwrap();
    let real = format!("kdc = 127.0.0.1:{}", s.realm.port);
    assert!(conf.contains(&real), "{conf}");
    let via = s.runtime.join("proxy-krb5.conf");
    std::fs::write(
        &via,
        conf.replace(&real, &format!("kdc = 127.0.0.1:{proxy}")),
    )
    .unwrap();
    // The service, with the proxy as its KDC.
    let (code, out) = s.sspilogon_with(&["--list"], "", None, &[("KRB5_CONFIG", via.as_path())]);
    assert_eq!(code, 0, "{out}");
    // A logon (the real KDC) whose TGT lives 2 s.
    let short = s.runtime.join("short-krb5.conf");
    let conf = conf.replace(
        "[libdefaults]\n",
        "[libdefaults]\n    ticket_lifetime = 2s\n",
    );
    std::fs::write(&short, conf).unwrap();
    let (code, out) = s.sspilogon_with(
        &["--password-stdin", "--package", "Kerberos", &alice()],
        &format!("{PASSWORD}\n"),
        None,
        &[("KRB5_CONFIG", short.as_path())],
    );
    assert_eq!(code, 0, "{out}");
    let luid = logon_id(&out);
    std::thread::sleep(Duration::from_millis(3000));
    let no_authority = |reply: &[u8]| {
        assert_eq!(reply.len(), 5, "{reply:?}");
        assert_eq!(reply[0], 0, "{reply:?}");
        let status = u32::from_le_bytes(reply[1..5].try_into().unwrap());
        assert_eq!(format!("0x{status:08X}"), SEC_E_NO_AUTHENTICATING_AUTHORITY);
    };
    let within = Duration::from_millis(4600);

    // The slow KDC: renewal then TGS.
    let start = std::time::Instant::now();
    let reply = s.raw_request_within(&ticket_request(&luid), Duration::from_secs(30));
    let took = start.elapsed();
    assert!(
        took < within,
        "answered after {took:?} (the client waits 5 s)"
    );
    no_authority(&reply);

    // The silent KDC, while another client reads its session.
    silent.store(true, std::sync::atomic::Ordering::SeqCst);
    std::thread::scope(|t| {
        let waiting = t.spawn(|| {
            let start = std::time::Instant::now();
            let reply = s.raw_request_within(&ticket_request(&luid), Duration::from_secs(30));
            (start.elapsed(), reply)
        });
        std::thread::sleep(Duration::from_millis(500));
        let start = std::time::Instant::now();
        let (copy, _) = s.client_copy(&luid);
        let took = start.elapsed();
        assert_eq!(copy.user, "alice");
        assert!(took < Duration::from_secs(1), "a Get waited {took:?}");
        let (took, reply) = waiting.join().unwrap();
        assert!(
            took < within,
            "answered after {took:?} (the client waits 5 s)"
        );
        no_authority(&reply);
    });
}
