//! NTLM interoperability: our C peer (`tests/c/sspi_peer.c`, Windows SSPI calls into
//! libopensspi.so) against real third-party peers from `tests/peers/`: pyspnego, MIT GSSAPI with
//! gss-ntlmssp, and Samba's ntlm_auth. Each pairing runs the handshake and, with `--wrap` on both
//! sides, a sealed message and a signature in both directions (see tests/peers/peerproto.py).
//!
//! No integrity-only (`--no-seal`) pairing: an NTLM wrap token does not say whether the data was
//! sealed, and pyspnego's NTLM `wrap(encrypt=False)` seals anyway, so there is nothing to agree on.
//!
//! Needs the peers' venv (scripts/install-test-deps.sh); without it these tests FAIL.
mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);
const PACKAGE: &str = "NTLM";

#[test]
fn our_client_to_pyspnego_server() {
    let users = UserFile::alice("c-py");
    let r = run_pair(
        ours_client(PACKAGE, Link::Linked, &["--wrap"], &users),
        python_peer("ntlm_peer.py", &["server", "--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

#[test]
fn our_client_dlopen_to_pyspnego_server() {
    let users = UserFile::alice("cdl-py");
    let r = run_pair(
        ours_client(PACKAGE, Link::Dlopen, &["--wrap"], &users),
        python_peer("ntlm_peer.py", &["server", "--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

/// `user@DOMAIN` (UPN form) in SEC_WINNT_AUTH_IDENTITY_W.User with an empty Domain.
#[test]
fn our_client_upn_user_to_pyspnego_server() {
    let users = UserFile::alice("c-py-upn");
    let upn = format!("{USER}@{DOMAIN}");
    let r = run_pair(
        ours(
            Link::Linked,
            &["client", "--user", &upn, "--password", PASSWORD, "--wrap"],
            &users,
        ),
        python_peer("ntlm_peer.py", &["server", "--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

#[test]
fn pyspnego_client_to_our_server() {
    let users = UserFile::alice("py-s");
    let user = qualified_user();
    let r = run_pair(
        pyspnego_client(&user, PASSWORD, &["--wrap"], &users),
        ours_server(PACKAGE, Link::Linked, &["--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

#[test]
fn gss_ntlmssp_client_to_our_server() {
    let users = UserFile::alice("gss-s");
    let r = run_pair(
        gss_init_client("ntlm", &["--wrap"], &users),
        ours_server(PACKAGE, Link::Linked, &["--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

#[test]
fn our_client_to_gss_ntlmssp_server() {
    let users = UserFile::alice("c-gss");
    let r = run_pair(
        ours_client(PACKAGE, Link::Linked, &["--wrap"], &users),
        python_peer("gss_accept.py", &["--mech", "ntlm", "--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

/// Samba's ntlm_auth helper exposes no sign/seal (ntlm_auth_peer.py has no --wrap), so this
/// pairing is handshake-only. Its NTLMv2 blob lacks the trailing 4 zero bytes: our acceptor
/// must HMAC the blob exactly as received (tests/peers/README.md, 3c).
#[test]
fn samba_ntlm_auth_client_to_our_server() {
    let users = UserFile::alice("samba-s");
    let r = run_pair(
        python_peer(
            "ntlm_auth_peer.py",
            &[
                "client",
                "--user",
                USER,
                "--domain",
                DOMAIN,
                "--password",
                PASSWORD,
            ],
            &users,
        ),
        ours_server(PACKAGE, Link::Linked, &[], &users),
        TIMEOUT,
    );
    assert_pair(&r, false);
}

/// Our client and our server, one linked, one dlopen'ed (function table only).
#[test]
fn our_client_to_our_server_dlopen() {
    let users = UserFile::alice("c-s");
    let r = run_pair(
        ours_client(PACKAGE, Link::Linked, &["--wrap"], &users),
        ours_server(PACKAGE, Link::Dlopen, &["--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

/// Channel bindings (SECBUFFER_CHANNEL_BINDINGS on both sides, as a TLS server would pass its
/// tls-server-end-point hash): equal bindings authenticate, different ones must not.
fn cbt_pair(tag: &str, client_cbt: &str, server_cbt: &str) -> PairResult {
    let users = UserFile::alice(tag);
    run_pair(
        ours_client(
            PACKAGE,
            Link::Linked,
            &["--channel-bindings", client_cbt],
            &users,
        ),
        ours_server(
            PACKAGE,
            Link::Linked,
            &["--channel-bindings", server_cbt],
            &users,
        ),
        TIMEOUT,
    )
}

const CBT_A: &str = "746c732d7365727665722d656e642d706f696e743a0102030405060708";
const CBT_B: &str = "746c732d7365727665722d656e642d706f696e743affffffffffffffff";

#[test]
fn channel_bindings_that_match_authenticate() {
    let r = cbt_pair("cbt-ok", CBT_A, CBT_A);
    assert_pair(&r, false);
}

#[test]
fn channel_bindings_that_differ_are_rejected() {
    let r = cbt_pair("cbt-bad", CBT_A, CBT_B);
    assert!(r.acceptor.status.is_some(), "our server hung:\n{r}");
    assert!(
        !r.acceptor.success(),
        "mismatched channel bindings were accepted:\n{r}"
    );
    assert!(!r.acceptor.stderr.contains("AUTHENTICATED "), "\n{r}");
    assert!(
        r.initiator.report_ok(),
        "the client should finish its legs:\n{r}"
    );
    assert_eq!(
        r.acceptor.field("status"),
        "0x80090346",
        "expected SEC_E_BAD_BINDINGS from AcceptSecurityContext:\n{r}"
    );
}

/// A rejected AUTHENTICATE: our server must fail with SEC_E_LOGON_DENIED. (The NTLM client
/// completes after sending AUTHENTICATE, so pyspnego itself exits 0: judge by the acceptor.)
fn assert_rejected(tag: &str, user: &str, password: &str) {
    let users = UserFile::alice(tag);
    let r = run_pair(
        pyspnego_client(user, password, &[], &users),
        ours_server(PACKAGE, Link::Linked, &[], &users),
        TIMEOUT,
    );
    let acc = &r.acceptor;
    assert!(acc.status.is_some(), "our server hung:\n{r}");
    assert!(
        !acc.success() && !acc.report_ok(),
        "our server accepted {user}/{password}:\n{r}"
    );
    assert_eq!(
        acc.field("status"),
        "0x8009030C",
        "expected SEC_E_LOGON_DENIED:\n{r}"
    );
    assert!(!acc.stderr.contains("AUTHENTICATED "), "\n{r}");
    assert!(
        r.initiator.success(),
        "the pyspnego client itself should finish:\n{r}"
    );
}

#[test]
fn pyspnego_client_wrong_password_is_rejected() {
    assert_rejected("wrongpw", &qualified_user(), "not-the-password");
}

#[test]
fn pyspnego_client_unknown_user_is_rejected() {
    assert_rejected("nouser", "EXAMPLE\\mallory", PASSWORD);
}

/// Reference pairings without our library: prove the peers and the environment work, so a failure
/// above is ours (and assert_pair's expectations match what real peers report).
#[test]
fn reference_pyspnego_client_to_gss_ntlmssp_server() {
    let users = UserFile::alice("ref-py-gss");
    let user = qualified_user();
    let r = run_pair(
        pyspnego_client(&user, PASSWORD, &["--wrap"], &users),
        python_peer("gss_accept.py", &["--mech", "ntlm", "--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

#[test]
fn reference_gss_ntlmssp_client_to_pyspnego_server() {
    let users = UserFile::alice("ref-gss-py");
    let r = run_pair(
        gss_init_client("ntlm", &["--wrap"], &users),
        python_peer("ntlm_peer.py", &["server", "--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
}

// ---- The buffer layouts of pyspnego's SSPI backend and sspilib (BEHAVIOURS.md 96a) ----
// Wrap [TOKEN, DATA, PADDING], unwrap [STREAM, DATA(NULL)] with DATA then pointing inside the
// STREAM buffer, sign and verify [DATA, TOKEN]; each pairing runs both directions.

/// Our peer used the stream layout.
fn assert_stream_layout(p: &PeerResult, r: &PairResult) {
    assert_eq!(
        p.field("buffers"),
        "stream layout (pyspnego, sspilib)",
        "\n{r}"
    );
}

#[test]
fn our_client_stream_layout_to_pyspnego_server() {
    for link in [Link::Linked, Link::Dlopen] {
        let users = UserFile::alice("c-stream-py");
        let r = run_pair(
            ours_client(PACKAGE, link, &["--wrap", "--stream-layout"], &users),
            python_peer("ntlm_peer.py", &["server", "--wrap"], &users),
            TIMEOUT,
        );
        assert_pair(&r, true);
        assert_stream_layout(&r.initiator, &r);
    }
}

#[test]
fn pyspnego_client_to_our_server_stream_layout() {
    for link in [Link::Linked, Link::Dlopen] {
        let users = UserFile::alice("py-s-stream");
        let user = qualified_user();
        let r = run_pair(
            pyspnego_client(&user, PASSWORD, &["--wrap"], &users),
            ours_server(PACKAGE, link, &["--wrap", "--stream-layout"], &users),
            TIMEOUT,
        );
        assert_pair(&r, true);
        assert_stream_layout(&r.acceptor, &r);
    }
}

/// sspilib itself (the caller behind pyspnego's SSPI backend) on our library: LD_PRELOAD puts
/// our SSPI symbols ahead of its bundled libsspi (tests/peers/README.md, section 5).
fn sspilib_on_ours(args: &[&str], users: &UserFile) -> Command {
    let mut c = python_peer("sspilib_peer.py", args, users);
    c.env("LD_PRELOAD", cdylib());
    c
}

fn assert_sspilib_used_ours(p: &PeerResult, r: &PairResult) {
    let lib = p.field("sspi_library");
    assert!(
        lib.ends_with("libopensspi.so"),
        "sspilib called {lib:?}, not our library:\n{r}"
    );
}

#[test]
fn sspilib_on_our_library_client_to_pyspnego_server() {
    let users = UserFile::alice("sspilib-c-py");
    let r = run_pair(
        sspilib_on_ours(
            &[
                "client",
                "--package",
                "NTLM",
                "--user",
                USER,
                "--domain",
                DOMAIN,
                "--password",
                PASSWORD,
                "--wrap",
            ],
            &users,
        ),
        python_peer("ntlm_peer.py", &["server", "--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
    assert_sspilib_used_ours(&r.initiator, &r);
}

#[test]
fn pyspnego_client_to_sspilib_on_our_library_server() {
    let users = UserFile::alice("py-sspilib-s");
    let user = qualified_user();
    let r = run_pair(
        pyspnego_client(&user, PASSWORD, &["--wrap"], &users),
        sspilib_on_ours(&["server", "--package", "NTLM", "--wrap"], &users),
        TIMEOUT,
    );
    assert_pair(&r, true);
    assert_sspilib_used_ours(&r.acceptor, &r);
}
