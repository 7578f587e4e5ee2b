//! The noninteractive-logon flow across processes, for real: `sspilogon`
//! (a separate process) logs on and stores the session in the kernel
//! session keyring; this process then finds the session's NT OWF with no
//! password; `sspilogon --logoff` removes it.
//!
//! The test joins a fresh anonymous session keyring first so it never
//! touches the developer's own logon sessions. When the kernel refuses
//! keyrings the test fails with a clear message, unless
//! `OPENSSPI_SKIP_KEYRING_TESTS=1` declares that expected.
mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use common::fresh_session_keyring;
use opensspi::lsa::accounts::nt_owf_v1;
use opensspi::lsa::store::keyring::KeyringStore;
use opensspi::lsa::Lsa;
use opensspi::sspi::SecStatus;

/// `sspilogon args` with `stdin` (if any): (exit code, stdout + stderr).
fn sspilogon(args: &[&str], stdin: Option<&str>, accounts: &std::path::Path) -> (i32, String) {
    let (code, out, err) = sspilogon_split(args, stdin.unwrap_or("").as_bytes(), accounts);
    (code, format!("{out}{err}"))
}

#[test]
fn logon_in_one_process_serves_another() {
    if !fresh_session_keyring() {
        return;
    }
    let accounts = alice_accounts("lsa-keyring");

    let lsa = Lsa::new(Arc::new(KeyringStore::open().unwrap()));
    assert_eq!(
        lsa.primary_credential(None).unwrap_err(),
        SecStatus::NoCredentials
    );

    // Wrong password: exit 1, nothing stored.
    let (code, out) = sspilogon(
        &["--password-stdin", "EXAMPLE\\alice"],
        Some("nope\n"),
        &accounts,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("bad password"), "{out}");
    assert!(lsa.enumerate_sessions().unwrap().is_empty());

    // Logon in another process.
    let (code, out) = sspilogon(
        &["--password-stdin", "EXAMPLE\\alice"],
        Some("alice-Passw0rd\n"),
        &accounts,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Logged on EXAMPLE\\alice"), "{out}");

    // This process uses it without a password.
    let cred = lsa
        .primary_credential(None)
        .expect("session from sspilogon");
    assert_eq!(cred.user, "alice");
    assert_eq!(cred.domain, "EXAMPLE");
    assert_eq!(
        **cred.nt_owf.as_ref().unwrap(),
        *nt_owf_v1("alice-Passw0rd")
    );
    let data = lsa.session_data(cred.logon_id).unwrap();
    assert_eq!(data.authentication_package, "NTLM");

    let (code, out) = sspilogon(&["--list"], None, &accounts);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&cred.logon_id.to_string()), "{out}");
    assert!(out.contains("EXAMPLE\\alice"), "{out}");

    // Logoff by LUID in a third process.
    let luid = cred.logon_id.to_hex();
    let (code, out) = sspilogon(&["--logoff", &luid], None, &accounts);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        lsa.primary_credential(None).unwrap_err(),
        SecStatus::NoCredentials
    );
    assert_eq!(
        lsa.primary_credential(Some(cred.logon_id)).unwrap_err(),
        SecStatus::LogonDenied
    );
    let (code, out) = sspilogon(&["--logoff", &luid], None, &accounts);
    assert_eq!(code, 4, "{out}");
    let (code, out) = sspilogon(&["--list"], None, &accounts);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No logon sessions"), "{out}");

    // --run: the logon exists for the command only.
    let (code, out) = sspilogon(
        &[
            "--password-stdin",
            "--run",
            "alice",
            "--",
            env!("CARGO_BIN_EXE_sspilogon"),
            "--list",
        ],
        Some("alice-Passw0rd\n"),
        &accounts,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("* 0x"), "{out}");
    assert!(lsa.enumerate_sessions().unwrap().is_empty());

    // Usage errors.
    assert_eq!(sspilogon(&["--bogus"], None, &accounts).0, 2);
    assert_eq!(sspilogon(&[], None, &accounts).0, 2);
    let _ = std::fs::remove_dir_all(accounts.parent().unwrap());
}

/// A throwaway account file with EXAMPLE\alice in its own directory.
fn alice_accounts(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("opensspi-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let accounts = dir.join("ntlm_user_file");
    std::fs::write(&accounts, "EXAMPLE:alice:alice-Passw0rd\n").unwrap();
    accounts
}

/// `sspilogon args` with all of `stdin` written up front: (exit code, stdout, stderr).
fn sspilogon_split(
    args: &[&str],
    stdin: &[u8],
    accounts: &std::path::Path,
) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sspilogon"))
        .args(["--store", "keyring"])
        .args(args)
        .env("NTLM_USER_FILE", accounts)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sspilogon");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `--password-stdin --run`: the password is the first line only; COMMAND reads the rest of
/// standard input (the whole input is in the pipe before sspilogon reads).
#[test]
fn run_command_reads_the_rest_of_stdin() {
    if !fresh_session_keyring() {
        return;
    }
    let accounts = alice_accounts("run-stdin");
    let (code, out, err) = sspilogon_split(
        &["--password-stdin", "--run", "EXAMPLE\\alice", "--", "cat"],
        b"alice-Passw0rd\nline2\nline3\n",
        &accounts,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "line2\nline3\n", "stderr: {err}");
    assert!(err.contains("Logged on EXAMPLE\\alice"), "{err}");
    // A password without a newline at the end of the input works too.
    let (code, out, err) = sspilogon_split(
        &["--password-stdin", "--run", "alice", "--", "cat"],
        b"alice-Passw0rd",
        &accounts,
    );
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let _ = std::fs::remove_dir_all(accounts.parent().unwrap());
}

/// `--list`: per session, `* LUID  DOMAIN\user` (`*` = current, else a space) and an indented
/// detail line ending in `credentials: NTLM`, each line ending in a newline, nothing on stderr.
#[test]
fn list_output_format() {
    if !fresh_session_keyring() {
        return;
    }
    let accounts = alice_accounts("list-format");
    let (code, out, err) = sspilogon_split(&["--list"], b"", &accounts);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "No logon sessions.\n", "")
    );
    let (code, out, err) = sspilogon_split(
        &["--password-stdin", "EXAMPLE\\alice"],
        b"alice-Passw0rd\n",
        &accounts,
    );
    assert_eq!(code, 0, "{out}{err}");
    let luid = out
        .split("logon session ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or_else(|| panic!("no LUID in {out}"))
        .to_string();
    let sid = out.split("SID ").nth(1).unwrap().trim_end_matches(").\n");

    let (code, out, err) = sspilogon_split(&["--list"], b"", &accounts);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let lines: Vec<&str> = out.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 2, "{out:?}");
    assert_eq!(lines[0], format!("* {luid}  EXAMPLE\\alice\n"));
    let (head, tail) = lines[1]
        .split_once(" UTC, ")
        .unwrap_or_else(|| panic!("{:?}", lines[1]));
    let when = head
        .strip_prefix("      package NTLM, Interactive logon at ")
        .unwrap_or_else(|| panic!("{:?}", lines[1]));
    // YYYY-MM-DD hh:mm:ss
    assert_eq!(when.len(), 19, "{when:?}");
    for (i, c) in when.char_indices() {
        let want = match i {
            4 | 7 => c == '-',
            10 => c == ' ',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        };
        assert!(want, "{when:?}");
    }
    assert_eq!(tail, format!("SID {sid}, credentials: NTLM\n"));

    let (code, _, err) = sspilogon_split(&["--logoff", &luid], b"", &accounts);
    assert_eq!(code, 0, "{err}");
    let _ = std::fs::remove_dir_all(accounts.parent().unwrap());
}
