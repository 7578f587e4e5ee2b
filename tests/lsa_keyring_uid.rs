//! Keyring sessions belong to a uid, not to whoever holds the session keyring.
//!
//! `su`, `runuser` and `setpriv --reuid` keep the session keyring, and the kernel grants a key's
//! possessor rights to every process holding it. Here the victim (this test, root) logs on with
//! `sspilogon`; an attacker switched to uid 65534 by `setpriv` and keeping the session keyring
//! then tries to read the session key (`keyctl print/pipe/read`), to use it from its own uid
//! (`AcquireCredentialsHandle(NULL)` in our C peer must give `SEC_E_NO_CREDENTIALS`), to
//! overwrite it or plant keys under the victim's names (with a forged owner uid in the payload)
//! so that the victim authenticates as someone else. The attacker's keyring operations are the
//! `keyctl` command as uid 65534; the payloads it plants are made here with the session codec.
//!
//! Needs root (to switch uid), `setpriv` (util-linux) and `keyctl` (keyutils). Without root the
//! tests say SKIPPED; without keyrings they fail unless `OPENSSPI_SKIP_KEYRING_TESTS=1`.
mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use opensspi::lsa::accounts::nt_owf_v1;
use opensspi::lsa::session::LogonSession;
use opensspi::lsa::store::codec;
use opensspi::lsa::store::keyring::{current_uid, KeyringStore};
use opensspi::lsa::{Lsa, Luid};
use opensspi::sspi::SecStatus;

const TIMEOUT: Duration = Duration::from_secs(30);
const ATTACKER_UID: u32 = 65534;
const SEC_E_NO_CREDENTIALS: &str = "0x8009030E";
const MALLORY_PASSWORD: &str = "mallory-Passw0rd";

/// `program args` as uid/gid 65534 without supplementary groups; the session keyring is kept.
fn as_attacker<I, S>(program: impl AsRef<OsStr>, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = Command::new("setpriv");
    c.arg(format!("--reuid={ATTACKER_UID}"))
        .arg(format!("--regid={ATTACKER_UID}"))
        .args(["--clear-groups", "--"])
        .arg(program)
        .args(args);
    c
}

/// Runs `c` with `stdin`: (exit 0, stdout, stderr).
fn run(mut c: Command, stdin: &[u8]) -> (bool, Vec<u8>, String) {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"));
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `keyctl args` as the attacker (uid 65534).
fn attacker_keyctl(args: &[&str], stdin: &[u8]) -> (bool, Vec<u8>, String) {
    run(as_attacker("keyctl", args), stdin)
}

/// `keyctl args` as the victim (this process's uid).
fn victim_keyctl(args: &[&str]) -> String {
    let mut c = Command::new("keyctl");
    c.args(args);
    let (ok, out, err) = run(c, b"");
    assert!(ok, "keyctl {args:?} failed: {err}");
    String::from_utf8(out).unwrap().trim().to_string()
}

fn session_description(luid: Luid) -> String {
    format!("opensspi:session:{:016x}", luid.as_u64())
}

fn current_description(uid: u32) -> String {
    format!("opensspi:current:{uid}")
}

/// The victim, logged on as EXAMPLE\alice with `sspilogon` in a fresh session keyring.
struct Victim {
    users: UserFile,
    lsa: Lsa,
    luid: Luid,
    /// Serials of the session key and of the `opensspi:current:<uid>` key.
    session_key: String,
    current_key: String,
}

/// None = skipped (not root, or keyrings declared unavailable).
fn victim_logged_on(tag: &str) -> Option<Victim> {
    if current_uid() != 0 {
        eprintln!("SKIPPED: switching to another uid needs root");
        return None;
    }
    if !fresh_session_keyring() {
        return None;
    }
    for tool in ["setpriv", "keyctl"] {
        assert!(
            Command::new(tool).arg("--version").output().is_ok(),
            "{tool} is missing (scripts/install-test-deps.sh installs util-linux and keyutils)"
        );
    }
    let users = UserFile::new(
        tag,
        &[
            &format!("{DOMAIN}:{USER}:{PASSWORD}"),
            &format!("{DOMAIN}:mallory:{MALLORY_PASSWORD}"),
        ],
    );
    let luid = sspilogon_alice(&users);
    let lsa = Lsa::new(Arc::new(KeyringStore::open().unwrap()));
    let victim = Victim {
        session_key: victim_keyctl(&["search", "@s", "user", &session_description(luid)]),
        current_key: victim_keyctl(&["search", "@s", "user", &current_description(0)]),
        users,
        lsa,
        luid,
    };
    assert_authenticates_as_alice(&victim, luid);
    Some(victim)
}

/// `sspilogon --password-stdin EXAMPLE\alice` as this process: the LUID it printed.
fn sspilogon_alice(users: &UserFile) -> Luid {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sspilogon"));
    c.env("NTLM_USER_FILE", &users.path).args([
        "--store",
        "keyring",
        "--password-stdin",
        &format!("{DOMAIN}\\{USER}"),
    ]);
    let (ok, out, err) = run(c, format!("{PASSWORD}\n").as_bytes());
    let out = String::from_utf8_lossy(&out);
    assert!(ok, "sspilogon failed: {out}{err}");
    out.split("logon session ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(Luid::parse)
        .unwrap_or_else(|| panic!("no LUID in {out}"))
}

/// The victim's processes use alice's session `luid`: the right user and NT OWF.
fn assert_authenticates_as_alice(v: &Victim, luid: Luid) {
    let cred = v
        .lsa
        .primary_credential(None)
        .expect("the victim's session");
    assert_eq!(cred.user, USER);
    assert_eq!(cred.logon_id, luid);
    assert_eq!(**cred.nt_owf.as_ref().unwrap(), *nt_owf_v1(PASSWORD));
}

/// A session for mallory (her NT OWF) that claims to be session `luid` of uid `owner_uid`.
fn forged_session(v: &Victim, luid: Luid, owner_uid: u32) -> Vec<u8> {
    let mut s: LogonSession = v.lsa.store().get(v.luid).unwrap().unwrap();
    s.logon_id = luid;
    s.owner_uid = owner_uid;
    s.user = "mallory".into();
    let m = opensspi::lsa::Msv1_0PrimaryCredential::of_mut(&mut s).unwrap();
    m.logon_id = luid;
    m.user = "mallory".into();
    m.nt_owf = Some(nt_owf_v1(MALLORY_PASSWORD));
    codec::encode(&s).to_vec()
}

fn other_luid(luid: Luid) -> Luid {
    Luid::from_u64(luid.as_u64() ^ 0x5a5a_5a5a)
}

/// Our C client with no identity (as the attacker when `attacker`), against our server.
fn default_client(users: &UserFile, attacker: bool) -> PairResult {
    let c = sspi_peer(
        Link::Linked,
        &["client", "--package", "NTLM", "--wrap", "--default-creds"],
    );
    let mut client = if attacker {
        as_attacker(c.get_program(), c.get_args())
    } else {
        let mut own = Command::new(c.get_program());
        own.args(c.get_args());
        own
    };
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => client.env(k, v),
            None => client.env_remove(k),
        };
    }
    client.env("OPENSSPI_LSA_STORE", "keyring");
    let mut server = sspi_peer(Link::Linked, &["server", "--package", "NTLM", "--wrap"]);
    server.env("NTLM_USER_FILE", &users.path);
    run_pair(client, server, TIMEOUT)
}

/// The client failed in AcquireCredentialsHandleW with SEC_E_NO_CREDENTIALS.
fn assert_no_credentials(r: &PairResult, who: &str) {
    let c = &r.initiator;
    assert!(
        !c.success() && !c.report_ok(),
        "{who} authenticated with a session that is not its own:\n{r}"
    );
    assert_eq!(c.field("status"), SEC_E_NO_CREDENTIALS, "\n{r}");
    assert!(
        c.field("error").contains("AcquireCredentialsHandleW"),
        "\n{r}"
    );
}

/// Another uid holding the session keyring cannot read the session key's payload (NT OWF).
#[test]
fn another_uid_cannot_read_the_session_key() {
    let Some(v) = victim_logged_on("uid-read") else {
        return;
    };
    for op in ["print", "pipe", "read"] {
        let (ok, out, err) = attacker_keyctl(&[op, &v.session_key], b"");
        assert!(
            !ok && out.is_empty(),
            "uid {ATTACKER_UID} read the session key with keyctl {op}: {} bytes\n{err}",
            out.len()
        );
    }
    // Nor find it by name.
    let (ok, _, _) = attacker_keyctl(&["search", "@s", "user", &session_description(v.luid)], b"");
    assert!(!ok, "uid {ATTACKER_UID} found the session key by name");
    assert_authenticates_as_alice(&v, v.luid);
}

/// Another uid cannot use the session: it copies what it can of the session key under its own
/// uid (owner uid rewritten in the payload) and makes it its current session, or points its
/// current session at the victim's; `AcquireCredentialsHandle(NULL)` there gives
/// SEC_E_NO_CREDENTIALS.
#[test]
fn another_uid_cannot_use_the_session() {
    let Some(v) = victim_logged_on("uid-use") else {
        return;
    };
    let (stolen, payload, _) = attacker_keyctl(&["pipe", &v.session_key], b"");
    let target = if stolen {
        let mut s = codec::decode(&payload).expect("a session payload");
        let copy = other_luid(v.luid);
        s.logon_id = copy;
        s.owner_uid = ATTACKER_UID;
        let (ok, _, err) = attacker_keyctl(
            &["padd", "user", &session_description(copy), "@s"],
            &codec::encode(&s),
        );
        assert!(ok, "{err}");
        copy
    } else {
        v.luid
    };
    let (ok, _, err) = attacker_keyctl(
        &[
            "add",
            "user",
            &current_description(ATTACKER_UID),
            &format!("{:016x}", target.as_u64()),
            "@s",
        ],
        b"",
    );
    assert!(ok, "{err}");
    assert_no_credentials(&default_client(&v.users, true), "uid 65534");
    assert_authenticates_as_alice(&v, v.luid);
}

/// Another uid cannot overwrite the victim's keys in place (add_key of the same description,
/// keyctl update): the victim still authenticates as alice, not as mallory.
#[test]
fn another_uid_cannot_overwrite_the_session() {
    let Some(v) = victim_logged_on("uid-overwrite") else {
        return;
    };
    let mallory = forged_session(&v, v.luid, 0);
    let desc = session_description(v.luid);
    for args in [
        vec!["padd", "user", &desc, "@s"],
        vec!["pupdate", &v.session_key],
    ] {
        let (ok, _, _) = attacker_keyctl(&args, &mallory);
        assert!(
            !ok,
            "uid {ATTACKER_UID} overwrote the session key: keyctl {args:?}"
        );
    }
    let forged_current = format!("{:016x}", other_luid(v.luid).as_u64());
    let (ok, _, _) = attacker_keyctl(
        &[
            "add",
            "user",
            &current_description(0),
            &forged_current,
            "@s",
        ],
        b"",
    );
    assert!(!ok, "uid {ATTACKER_UID} overwrote the current-session key");
    assert_authenticates_as_alice(&v, v.luid);
}

/// Keys another uid plants under the victim's names (after unlinking the victim's), with the
/// victim's uid forged into the payload, are not used: the victim has no session, it is not
/// mallory.
#[test]
fn keys_planted_by_another_uid_are_not_used() {
    let Some(v) = victim_logged_on("uid-plant") else {
        return;
    };
    let planted = other_luid(v.luid);
    let forged = [v.luid, planted].map(|l| (session_description(l), forged_session(&v, l, 0)));
    for key in [&v.session_key, &v.current_key] {
        let (ok, _, err) = attacker_keyctl(&["unlink", key, "@s"], b"");
        assert!(ok, "the keyring's possessors may unlink: {err}");
    }
    for (desc, payload) in &forged {
        let (ok, _, err) = attacker_keyctl(&["padd", "user", desc, "@s"], payload);
        assert!(ok, "{err}");
    }
    let (ok, _, err) = attacker_keyctl(
        &[
            "add",
            "user",
            &current_description(0),
            &format!("{:016x}", planted.as_u64()),
            "@s",
        ],
        b"",
    );
    assert!(ok, "{err}");

    match v.lsa.primary_credential(None) {
        Err(SecStatus::NoCredentials) => {}
        Ok(c) => panic!(
            "the victim uses a planted session: {}\\{}",
            c.domain, c.user
        ),
        Err(e) => panic!("unexpected {e:?}"),
    }
    for luid in [v.luid, planted] {
        let r = v.lsa.primary_credential(Some(luid));
        assert!(r.is_err(), "the victim uses planted session {luid}");
    }
    assert_eq!(v.lsa.enumerate_sessions().unwrap(), vec![]);
    // Another process of the victim: AcquireCredentialsHandle(NULL) finds no session.
    assert_no_credentials(&default_client(&v.users, false), "the victim");
}

/// The victim's next logon is not stored into a key another uid planted (writable by all) under
/// its current-session name: the planted key is displaced, not updated, so the victim uses its
/// new session and the attacker (who kept the planted key in a keyring of its own) learns
/// nothing.
#[test]
fn logon_displaces_a_key_planted_by_another_uid() {
    let Some(v) = victim_logged_on("uid-relogon") else {
        return;
    };
    let (ok, _, err) = attacker_keyctl(&["unlink", &v.current_key, "@s"], b"");
    assert!(ok, "{err}");
    let bogus = format!("{:016x}", other_luid(v.luid).as_u64());
    let (ok, out, err) =
        attacker_keyctl(&["add", "user", &current_description(0), &bogus, "@s"], b"");
    assert!(ok, "{err}");
    let planted = String::from_utf8(out).unwrap().trim().to_string();
    let (ok, out, err) = attacker_keyctl(&["newring", "stash", "@s"], b"");
    assert!(ok, "{err}");
    let stash = String::from_utf8(out).unwrap().trim().to_string();
    for args in [
        vec!["setperm", &planted, "0x3f3f3f3f"],
        vec!["setperm", &stash, "0x3f3f3f3f"],
        vec!["link", &planted, &stash],
    ] {
        let (ok, _, err) = attacker_keyctl(&args, b"");
        assert!(ok, "keyctl {args:?}: {err}");
    }

    let again = sspilogon_alice(&v.users);
    assert_authenticates_as_alice(&v, again);
    let (ok, out, err) = attacker_keyctl(&["pipe", &planted], b"");
    assert!(ok, "{err}");
    assert_eq!(String::from_utf8_lossy(&out), bogus);
}

/// Review 4: another uid naming the victim's session as `pvLogonId` (the session is in the
/// keyring it holds) gets SEC_E_LOGON_DENIED from `AcquireCredentialsHandleW(NULL, package,
/// OUTBOUND, pvLogonId)` for NTLM, Kerberos and Negotiate alike, never the session's
/// credentials nor its own ccache's; the victim names it without refusal by NTLM.
#[test]
fn another_uids_logon_id_is_logon_denied_for_every_package() {
    const SEC_E_LOGON_DENIED: &str = "0x8009030C";
    let Some(v) = victim_logged_on("uid-logon-id") else {
        return;
    };
    let luid = v.luid.to_hex();
    let client = |package: &str, attacker: bool| {
        let c = sspi_peer(
            Link::Linked,
            &["client", "--package", package, "--logon-id", &luid],
        );
        let mut cmd = if attacker {
            as_attacker(c.get_program(), c.get_args())
        } else {
            let mut own = Command::new(c.get_program());
            own.args(c.get_args());
            own
        };
        for (k, v) in c.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.env("OPENSSPI_LSA_STORE", "keyring");
        cmd.stdin(Stdio::null());
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for package in ["NTLM", "Kerberos", "Negotiate"] {
        let (ok, stderr) = client(package, true);
        assert!(!ok, "uid {ATTACKER_UID}, {package}: {stderr}");
        assert!(
            stderr.contains(&format!("\"status\":\"{SEC_E_LOGON_DENIED}\""))
                && stderr.contains("AcquireCredentialsHandleW"),
            "uid {ATTACKER_UID}, {package}: {stderr}"
        );
    }
    // The victim itself: NTLM's ACH with its own LUID is not refused (the client then waits
    // for a server that is not there: no LOGON_DENIED in what it printed).
    let (_, stderr) = client("NTLM", false);
    assert!(!stderr.contains(SEC_E_LOGON_DENIED), "victim: {stderr}");
    assert_authenticates_as_alice(&v, v.luid);
}
