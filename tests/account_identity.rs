//! Issue 8, items 2-3, through the built library: our C peer (Windows SSPI
//! calls into libopensspi.so) as client and server, and `sspilogon`, against
//! hostile account files. The server reports the identity of the account
//! record that verified the password (SECPKG_ATTR_NAMES), never the
//! client's strings; smbpasswd flags hold; bad lines are reported once.
//! (Names with NUL cannot pass the peer's command line: the package-level
//! tests in src/packages/ntlm/tests/identity.rs send them.)
mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use opensspi::lsa::accounts::computer_name;

const TIMEOUT: Duration = Duration::from_secs(30);
const LOGON_DENIED: &str = "0x8009030C";

fn peer(args: &[&str], users: &UserFile) -> Command {
    let mut c = sspi_peer(Link::Linked, args);
    c.env("NTLM_USER_FILE", &users.path);
    c
}

/// Our client as `who` (DOMAIN\user) with `password` against our server.
fn handshake(users: &UserFile, who: &str, password: &str) -> PairResult {
    run_pair(
        peer(
            &[
                "client",
                "--package",
                "NTLM",
                "--user",
                who,
                "--password",
                password,
            ],
            users,
        ),
        peer(&["server", "--package", "NTLM"], users),
        TIMEOUT,
    )
}

/// The handshake succeeded and the server reports `names`.
fn assert_names(r: &PairResult, names: &str) {
    assert!(r.both_ok(), "handshake failed:\n{r}");
    assert_eq!(r.acceptor.field("client"), names, "\n{r}");
    assert!(
        r.acceptor
            .stderr
            .contains(&format!("AUTHENTICATED {names}\n")),
        "\n{r}"
    );
}

/// AcceptSecurityContext failed with SEC_E_LOGON_DENIED.
fn assert_denied(r: &PairResult) {
    assert!(r.acceptor.status.is_some(), "our server hung:\n{r}");
    assert!(!r.acceptor.success(), "accepted:\n{r}");
    assert_eq!(r.acceptor.field("status"), LOGON_DENIED, "\n{r}");
    assert!(!r.acceptor.stderr.contains("AUTHENTICATED "), "\n{r}");
}

#[test]
fn local_account_is_reported_under_the_computer_name() {
    // Was ADMINS\bob: the domain the client claimed.
    let users = UserFile::new("id-local", &[":bob:bob-pw"]);
    let r = handshake(&users, "ADMINS\\bob", "bob-pw");
    assert_names(&r, &format!("{}\\bob", computer_name()));
}

#[test]
fn domain_record_is_not_shadowed_and_spelling_is_the_records() {
    // The domain-less line first in the file denied CORP's own bob.
    let users = UserFile::new("id-shadow", &[":bob:pw2", "Corp:BoB:pw1"]);
    assert_names(&handshake(&users, "CORP\\bob", "pw1"), "Corp\\BoB");
    assert_names(
        &handshake(&users, "corp\\BOB", "pw2"),
        &format!("{}\\bob", computer_name()),
    );
    // U+212A KELVIN SIGN is not K for Windows' case-insensitive names.
    let users = UserFile::new("id-kelvin", &["CORP:kevin:pw"]);
    assert_denied(&handshake(&users, "CORP\\\u{212A}evin", "pw"));
}

fn smb(name: &str, lm: &str, nt: &str, flags: &str) -> String {
    format!("{name}:1000:{lm}:{nt}:[{flags:<11}]:LCT-5F000000:")
}

const NO_PW: &str = "NO PASSWORDXXXXXXXXXXXXXXXXXXXXX";
const XS: &str = "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";

/// NTOWFv1("pw") in hex.
fn pw_hash() -> String {
    hex::encode(*opensspi::lsa::accounts::nt_owf_v1("pw"))
}

#[test]
fn smbpasswd_disabled_locked_and_unusable_accounts_are_denied() {
    for flags in ["DU", "LU"] {
        let users = UserFile::new("id-flags", &[&smb("CORP\\bob", XS, &pw_hash(), flags)]);
        assert_denied(&handshake(&users, "CORP\\bob", "pw"));
    }
    let users = UserFile::new("id-flags-ok", &[&smb("CORP\\bob", XS, &pw_hash(), "UX")]);
    assert_names(&handshake(&users, "CORP\\bob", "pw"), "CORP\\bob");
    // Was re-read as DOMAIN:USER:PASSWORD: bob\1000 with the rest as password.
    for (lm, nt) in [(NO_PW, NO_PW), (XS, XS)] {
        let line = smb("bob", lm, nt, "U");
        let users = UserFile::new("id-reread", &[&line]);
        let guess = line.split_once(":1000:").unwrap().1;
        assert_denied(&handshake(&users, "bob\\1000", guess));
        assert_denied(&handshake(&users, "bob", ""));
    }
}

#[test]
fn bad_lines_are_reported_once_with_file_and_line() {
    let users = UserFile::new(
        "id-badline",
        &["# accounts", &smb("bob", XS, "XXXX", "U"), "CORP:alice:pw"],
    );
    let r = handshake(&users, "CORP\\alice", "pw");
    assert_names(&r, "CORP\\alice");
    let warning = format!("opensspi: {}:2: ", users.path.display());
    assert_eq!(r.acceptor.stderr.matches(&warning).count(), 1, "\n{r}");
    assert!(!r.acceptor.stderr.contains(":3: "), "\n{r}");
}

/// `sspilogon --store memory --package ntlm --password-stdin who`.
fn sspilogon(users: &UserFile, who: &str, password: &str) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sspilogon"))
        .args([
            "--store",
            "memory",
            "--package",
            "ntlm",
            "--password-stdin",
            who,
        ])
        .env_clear()
        .env("NTLM_USER_FILE", &users.path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sspilogon");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

#[test]
fn sspilogon_reports_the_records_identity_and_flags() {
    let users = UserFile::new(
        "id-sspilogon",
        &[
            ":bob:pw",
            &smb("CORP\\dis", XS, &pw_hash(), "DU"),
            &smb("CORP\\lck", XS, &pw_hash(), "LU"),
        ],
    );
    let (code, out) = sspilogon(&users, "ADMINS\\BOB", "pw");
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("Logged on {}\\bob ", computer_name())),
        "{out}"
    );
    let (code, out) = sspilogon(&users, "CORP\\dis", "pw");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("the account is disabled"), "{out}");
    let (code, out) = sspilogon(&users, "CORP\\lck", "pw");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("the account is locked out"), "{out}");
}
