//! `scripts/demo.sh kerberos`, the README's Kerberos demo, end to end: a
//! throwaway MIT KDC, `sspilogon --package Kerberos alice` (the TGT kept by
//! the LSA service, no credential cache), then `c-examples/kerberos_demo` — a
//! client process without a password authenticates with Kerberos (mutual)
//! to a server process holding a keytab, a sealed message each way. Needs
//! krb5-kdc, krb5-admin-server, krb5-user and python3
//! (scripts/install-test-deps.sh).

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `scripts/demo.sh kerberos ARGS`: (success, stdout + stderr).
fn demo(args: &[&str]) -> (bool, String) {
    cdylib();
    let mut child = Command::new(manifest_dir().join("scripts/demo.sh"))
        .arg("kerberos")
        .args(args)
        .env_remove("OPENSSPI_TRACE")
        .env_remove("KRB5CCNAME")
        .env_remove("KRB5_KTNAME")
        .env_remove("KRB5_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run scripts/demo.sh");
    let out = read_all(child.stdout.take().unwrap());
    let err = read_all(child.stderr.take().unwrap());
    let st = wait_until(
        &mut child,
        Instant::now() + Duration::from_secs(300) * slowdown(),
    );
    let text = out.join().unwrap() + &err.join().unwrap();
    (st.is_some_and(|s| s.success()), text)
}

#[test]
fn demo_kerberos_client_without_password_to_keytab_server() {
    let (ok, out) = demo(&[]);
    assert!(ok, "scripts/demo.sh kerberos failed:\n{out}");
    let ping = "ping from a process that never saw a password";
    for line in [
        "Logged on EXAMPLE.TEST\\alice",
        "logon session in the LSA: TGT krbtgt/EXAMPLE.TEST@EXAMPLE.TEST, valid until",
        "AcquireCredentialsHandle(NULL, \"Kerberos\", OUTBOUND, NULL, NULL) -> SEC_E_OK, \
         the logon session's principal: alice@EXAMPLE.TEST",
        "(MUTUAL_AUTH: the server proved its key)",
        "AcceptSecurityContext -> SEC_E_OK: the ticket names the client alice@EXAMPLE.TEST",
        &format!("DecryptMessage -> \"{ping}\""),
        &format!("DecryptMessage -> \"hello alice@EXAMPLE.TEST, the server read: {ping}\""),
        "demo OK",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    // The server decrypted the client's message, the client the server's.
    let server_read = out
        .lines()
        .any(|l| l.starts_with("[server") && l.ends_with(&format!("DecryptMessage -> \"{ping}\"")));
    let client_read = out.lines().any(|l| {
        l.starts_with("[client") && l.contains("DecryptMessage -> \"hello alice@EXAMPLE.TEST")
    });
    assert!(server_read && client_read, "{out}");
}

/// The server's check of the name is real: expecting someone else fails the demo.
#[test]
fn demo_kerberos_fails_when_the_ticket_names_someone_else() {
    let (ok, out) = demo(&["--expect", "bob@EXAMPLE.TEST"]);
    assert!(!ok, "the demo passed with the wrong expected name:\n{out}");
    assert!(
        out.contains("the ticket names the client alice@EXAMPLE.TEST")
            && out.contains("expected bob@EXAMPLE.TEST: FAILED")
            && out.contains("demo FAILED")
            && !out.contains("demo OK"),
        "{out}"
    );
}
