//! `OPENSSPI_TRACE`: a full session through the C ABI (`tests/c/trace_session.c`: logon with a
//! wrong password, logon, NTLM handshake, session key, a sealed message each way, a handshake
//! with a wrong password, logoff) writes one line per call with its status and the reasons of
//! the refusals, and none of the session's secrets. Also `sspilogon`'s explanation of a failed
//! logon. `trace_host.rs`: a host program's own `tracing` is left alone.
mod common;

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use common::*;

const DOMAIN: &str = "TRACEDOM";
const USER: &str = "tracy";
const PASSWORD: &str = "Tr4ce-Secret-9876";
const MESSAGE1: &str = "TRACE-PLAINTEXT-client-to-server-31415";
const MESSAGE2: &str = "TRACE-PLAINTEXT-server-to-client-27182";

fn trace_path(tag: &str) -> PathBuf {
    let dir = target_dir().join("test-tmp");
    fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("trace-{tag}-{}.log", std::process::id()));
    let _ = fs::remove_file(&p);
    p
}

/// Runs trace_session; returns its stdout (the trace is at `trace`, when given).
fn run_session(users: &UserFile, trace: Option<&PathBuf>) -> String {
    let bin = compile_c("tests/c/trace_session.c", Link::Linked);
    let mut cmd = c_command(&bin);
    cmd.env("NTLM_USER_FILE", &users.path)
        .env("OPENSSPI_LSA_STORE", "memory")
        .args([DOMAIN, USER, PASSWORD, MESSAGE1, MESSAGE2]);
    if let Some(t) = trace {
        cmd.env("OPENSSPI_TRACE", t);
    }
    let out = cmd.output().expect("cannot run trace_session");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && stdout.ends_with("OK\n"),
        "trace_session failed ({:?}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every way `secret` could be written: raw, lower/upper hex, UTF-16LE.
fn forms(secret: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut v = vec![
        ("raw".to_string(), secret.to_vec()),
        ("hex".to_string(), hex::encode(secret).into_bytes()),
        ("HEX".to_string(), hex::encode_upper(secret).into_bytes()),
    ];
    if let Ok(s) = std::str::from_utf8(secret) {
        let utf16: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        v.push(("UTF-16LE".to_string(), utf16));
    }
    v
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_traced_session_explains_refusals_and_holds_no_secret() {
    let users = UserFile::new("trace", &[&format!("{DOMAIN}:{USER}:{PASSWORD}")]);
    let trace = trace_path("session");
    let stdout = run_session(&users, Some(&trace));
    let bytes = fs::read(&trace).expect("OPENSSPI_TRACE file not written");
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let pid_tid = regex_free_pid_tid(lines[0]);

    // One line per call, with the status it returned; each line stamped.
    for want in [
        "LsaLogonUser -> STATUS_LOGON_FAILURE (0xC000006D)",
        "LsaLogonUser -> STATUS_SUCCESS (0x00000000)",
        "AcquireCredentialsHandleA -> SEC_E_OK (0x00000000)",
        "InitializeSecurityContextA -> SEC_I_CONTINUE_NEEDED (0x00090312)",
        "InitializeSecurityContextA -> SEC_E_OK (0x00000000)",
        "AcceptSecurityContext -> SEC_I_CONTINUE_NEEDED (0x00090312)",
        "AcceptSecurityContext -> SEC_E_OK (0x00000000)",
        "QueryContextAttributesA -> SEC_E_OK (0x00000000)",
        "EncryptMessage -> SEC_E_OK (0x00000000)",
        "DecryptMessage -> SEC_E_OK (0x00000000)",
        "AcceptSecurityContext -> SEC_E_LOGON_DENIED (0x8009030C)",
        "SspiLogoffSession -> STATUS_SUCCESS (0x00000000)",
        "AcquireCredentialsHandleA -> SEC_E_NO_CREDENTIALS (0x8009030E)",
        // arguments, summarised
        "package NTLM, Outbound, principal \"\", the caller's logon session",
        &format!("package NTLM, Outbound, principal \"\", explicit identity {DOMAIN}\\{USER}"),
        "target \"host/localhost\", req 0x",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(want)),
            "no trace line with {want:?}:\n{text}"
        );
    }
    // The reasons, in words.
    let file = users.path.display();
    for want in [
        format!("wrong password for {DOMAIN}\\{USER} => STATUS_LOGON_FAILURE"),
        format!(
            "NTProofStr mismatch for {DOMAIN}\\{USER} in {file} line 1 (wrong password) \
             => SEC_E_LOGON_DENIED"
        ),
        "no logon session for uid ".to_string(),
    ] {
        assert!(
            lines.iter().any(|l| l.contains(&want)),
            "no trace line with {want:?}:\n{text}"
        );
    }
    for l in &lines {
        // 2026-12-05T14:29:25.939407Z opensspi[pid/tid] LEVEL target: ...
        let (stamp, rest) = l.split_once(' ').unwrap();
        assert!(
            stamp.len() >= 20 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
            "{l}"
        );
        assert!(rest.starts_with(&pid_tid), "{l}");
    }

    // No secret, in any form.
    let key_hex = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SESSION_KEY "))
        .expect("no SESSION_KEY line");
    assert_eq!(key_hex.len(), 32, "{stdout}");
    let key = hex::decode(key_hex).unwrap();
    let nt_owf = opensspi::lsa::accounts::nt_owf_v1(PASSWORD);
    let secrets: [(&str, &[u8]); 5] = [
        ("password", PASSWORD.as_bytes()),
        ("NT OWF", &nt_owf[..]),
        ("session key", &key),
        ("message 1", MESSAGE1.as_bytes()),
        ("message 2", MESSAGE2.as_bytes()),
    ];
    for (what, secret) in secrets {
        for (form, b) in forms(secret) {
            assert!(
                !contains(&bytes, &b),
                "the trace holds the {what} ({form}):\n{text}"
            );
        }
    }
    // The file is the user's only (it names users and hosts).
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(&trace).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    fs::remove_file(&trace).unwrap();
}

/// `opensspi[pid/` of a trace line (all lines of one process share the pid; one thread here).
fn regex_free_pid_tid(line: &str) -> String {
    let start = line.find("opensspi[").expect(line);
    let end = line[start..].find(']').unwrap() + start + 1;
    line[start..end].to_string()
}

#[test]
fn sspilogon_explains_a_failed_logon_in_the_trace_s_words() {
    let users = UserFile::new("trace-sspilogon", &[&format!("{DOMAIN}:{USER}:{PASSWORD}")]);
    let trace = trace_path("sspilogon");
    let run = |env_trace: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sspilogon"));
        c.env_clear()
            .env("NTLM_USER_FILE", &users.path)
            .args(["--store", "memory", "--password-stdin"])
            .arg(format!("{DOMAIN}\\{USER}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if env_trace {
            c.env("OPENSSPI_TRACE", &trace);
        }
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"not-the-password\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let reason = format!("wrong password for {DOMAIN}\\{USER}");
    let stderr = run(false);
    assert!(
        stderr.contains(&format!("reason: {reason}")) && stderr.contains("OPENSSPI_TRACE"),
        "{stderr}"
    );
    let stderr = run(true);
    let text = fs::read_to_string(&trace).unwrap();
    assert!(stderr.contains(&format!("reason: {reason}")), "{stderr}");
    assert!(text.contains(&reason), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
    fs::remove_file(&trace).unwrap();
}

/// The MSV1_0 refusals (LsaLogonUser, sspilogon) in words, each naming the account file's line
/// where the record is (`trace::take_last_reason`, what the trace line says).
#[test]
fn msv1_0_refusal_reasons_name_the_account_and_its_line() {
    use opensspi::lsa::accounts::{nt_owf_v1, AccountDatabase};
    use opensspi::lsa::packages::msv1_0::validate_msv1_0;
    use opensspi::lsa::InteractiveLogon;

    let hash = hex::encode_upper(&nt_owf_v1("Pw-1")[..]);
    let xs = "X".repeat(32);
    let db = AccountDatabase::parse(&format!(
        "# accounts\n\
         DEMO:bob:Pw-1\n\
         dis:1000:{xs}:{hash}:[DU         ]:LCT-00000000:\n\
         lck:1000:{xs}:{hash}:[LXU        ]:LCT-00000000:\n"
    ));
    for (domain, user, password, want) in [
        ("", "dis", "Pw-1", "account dis disabled in "),
        ("", "lck", "Pw-1", "account lck locked out"),
        ("DEMO", "bob", "Qz-7-not-it", "wrong password for DEMO\\bob"),
        ("DEMO", "nobody", "Pw-1", "no account named DEMO\\nobody"),
    ] {
        let _ = opensspi::trace::take_last_reason();
        let req = InteractiveLogon {
            domain: domain.into(),
            user: user.into(),
            password: password.to_string().into(),
        };
        assert!(validate_msv1_0(&db, &req).is_err(), "{user}");
        let reason = opensspi::trace::take_last_reason().unwrap_or_default();
        assert!(reason.starts_with(want), "{user}: {reason:?}");
        if user == "dis" {
            assert!(reason.ends_with(" line 3"), "{reason:?}");
        }
        assert!(
            !reason.contains(password) && !reason.contains(&hash),
            "{reason:?}"
        );
    }
}
