//! Negotiate (SPNEGO) interoperability with NTLM inside: our C peer (`tests/c/sspi_peer.c
//! --package Negotiate`) against pyspnego's own SPNEGO (`ntlm_peer.py --protocol negotiate
//! --impl python`), MIT's SPNEGO with gss-ntlmssp (`gss_init.py`/`gss_accept.py --mech spnego`,
//! no ccache and no keytab, so it falls back to NTLM), and Samba's `ntlm_auth`
//! (gss-spnego helper protocols). Pairings with `--wrap` exchange a sealed message and a
//! signature in both directions after the handshake: they pass only if both sides reset the NTLM
//! RC4 handles after the mechListMIC the same way.
//!
//! Needs the peers' venv (scripts/install-test-deps.sh); without it these tests FAIL.
mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);
const PACKAGE: &str = "Negotiate";

#[test]
fn our_client_to_pyspnego_negotiate_server() {
    let users = UserFile::alice("n-c-py");
    let r = run_pair(
        ours_client(PACKAGE, Link::Linked, &["--wrap"], &users),
        python_peer(
            "ntlm_peer.py",
            &[
                "server",
                "--protocol",
                "negotiate",
                "--impl",
                "python",
                "--wrap",
            ],
            &users,
        ),
        TIMEOUT,
    );
    assert_pair(&r, true);
    assert_eq!(r.acceptor.field("negotiated_protocol"), "ntlm", "\n{r}");
}

#[test]
fn pyspnego_negotiate_client_to_our_server() {
    let users = UserFile::alice("n-py-s");
    let user = qualified_user();
    let r = run_pair(
        pyspnego_client(
            &user,
            PASSWORD,
            &["--protocol", "negotiate", "--impl", "python", "--wrap"],
            &users,
        ),
        ours_server(PACKAGE, Link::Linked, &["--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

/// A raw NTLM NEGOTIATE_MESSAGE (no SPNEGO) to a Negotiate server: accepted as Windows does,
/// and the whole exchange is plain NTLM.
#[test]
fn pyspnego_raw_ntlm_client_to_our_negotiate_server() {
    let users = UserFile::alice("n-raw");
    let user = qualified_user();
    let r = run_pair(
        pyspnego_client(&user, PASSWORD, &["--wrap"], &users),
        ours_server(PACKAGE, Link::Linked, &["--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

#[test]
fn mit_spnego_gss_ntlmssp_client_to_our_server() {
    let users = UserFile::alice("n-gss-s");
    let r = run_pair(
        gss_init_client("spnego", &["--wrap"], &users),
        ours_server(PACKAGE, Link::Linked, &["--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

#[test]
fn our_client_to_mit_spnego_gss_ntlmssp_server() {
    let users = UserFile::alice("n-c-gss");
    let r = run_pair(
        ours_client(PACKAGE, Link::Linked, &["--wrap"], &users),
        python_peer("gss_accept.py", &["--mech", "spnego", "--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

/// Our client and our server, one linked, one dlopen'ed (function table only).
#[test]
fn our_client_to_our_server_dlopen() {
    let users = UserFile::alice("n-c-s");
    let r = run_pair(
        ours_client(PACKAGE, Link::Linked, &["--wrap"], &users),
        ours_server(PACKAGE, Link::Dlopen, &["--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

/// A wrong password through SPNEGO: our server fails with SEC_E_LOGON_DENIED.
#[test]
fn pyspnego_negotiate_wrong_password_is_rejected() {
    let users = UserFile::alice("n-wrongpw");
    let user = qualified_user();
    let r = run_pair(
        pyspnego_client(
            &user,
            "not-the-password",
            &["--protocol", "negotiate", "--impl", "python"],
            &users,
        ),
        ours_server(PACKAGE, Link::Linked, &[], &users),
        TIMEOUT,
    );
    let acc = &r.acceptor;
    assert!(acc.status.is_some(), "our server hung:\n{r}");
    assert!(
        !acc.success() && !acc.stderr.contains("AUTHENTICATED "),
        "\n{r}"
    );
    assert_eq!(
        acc.field("status"),
        "0x8009030C",
        "expected SEC_E_LOGON_DENIED:\n{r}"
    );
}

/// Samba's `ntlm_auth --helper-protocol=gss-spnego-client|gss-spnego` (handshake only: the
/// helper has no sign/seal).
fn samba(role: &str, users: &UserFile) -> Command {
    python_peer(
        "ntlm_auth_peer.py",
        &[
            role,
            "--spnego",
            "--user",
            USER,
            "--domain",
            DOMAIN,
            "--password",
            PASSWORD,
        ],
        users,
    )
}

#[test]
fn samba_spnego_client_to_our_server() {
    let users = UserFile::alice("n-samba-s");
    let r = run_pair(
        samba("client", &users),
        ours_server(PACKAGE, Link::Linked, &[], &users),
        TIMEOUT,
    );
    assert_pair(&r, false);
}

#[test]
fn our_client_to_samba_spnego_server() {
    let users = UserFile::alice("n-c-samba");
    let r = run_pair(
        ours_client(PACKAGE, Link::Linked, &[], &users),
        samba("server", &users),
        TIMEOUT,
    );
    assert_pair(&r, false);
}
