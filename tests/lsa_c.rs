//! The LSA exports driven from C (`tests/c/lsa_test.c`): BEHAVIOURS.md section Q, default
//! credentials before/after logon, impersonation, pvLogonId, concurrent logons, logoff.
mod common;

use common::*;

#[test]
fn lsa_exports_behave_as_windows() {
    let bin = compile_c("tests/c/lsa_test.c", Link::Linked);
    let users = UserFile::new(
        "lsa-c",
        &[
            "EXAMPLE:alice:alice-Passw0rd",
            "WORKGROUP:testuser:testpass",
        ],
    );
    let out = c_command(&bin)
        .env("NTLM_USER_FILE", &users.path)
        .env("OPENSSPI_LSA_STORE", "memory")
        .output()
        .expect("cannot run lsa_test");
    let text = String::from_utf8_lossy(&out.stdout);
    let failures: Vec<&str> = text.lines().filter(|l| l.starts_with("not ok")).collect();
    assert!(
        out.status.success() && failures.is_empty() && text.contains(" passed, 0 failed"),
        "lsa_test failed ({:?}):\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
