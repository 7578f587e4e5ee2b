//! ImpersonateSecurityContext reaches the credentials (issue 8 item 5), driven from C
//! (`tests/c/impersonation_test.c`): a service logged on as alice that impersonates the client
//! bob gets bob's network logon session (no credentials: SEC_E_NO_CREDENTIALS) as its default
//! credentials, alice's again after RevertSecurityContext; QuerySecurityContextToken /
//! LsaGetLogonSessionData report bob with LogonType Network; DeleteSecurityContext ends the
//! session.
mod common;

use common::*;

#[test]
fn impersonating_a_network_client_drops_the_service_credentials() {
    let bin = compile_c("tests/c/impersonation_test.c", Link::Linked);
    let users = UserFile::new(
        "impersonation",
        &["EXAMPLE:alice:alice-Passw0rd", "EXAMPLE:bob:bob-Passw0rd"],
    );
    let out = c_command(&bin)
        .env("NTLM_USER_FILE", &users.path)
        .env("OPENSSPI_LSA_STORE", "memory")
        .output()
        .expect("cannot run impersonation_test");
    let text = String::from_utf8_lossy(&out.stdout);
    let failures: Vec<&str> = text.lines().filter(|l| l.starts_with("not ok")).collect();
    assert!(
        out.status.success() && failures.is_empty() && text.contains(" passed, 0 failed"),
        "impersonation_test failed ({:?}):\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
