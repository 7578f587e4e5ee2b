//! The `Kerberos` security package through the C ABI (`tests/c/sspi_peer.c`)
//! against MIT GSSAPI (`tests/peers/gss_init.py`, `gss_accept.py`) in a
//! throwaway realm (`tests/common/krb_realm.rs`): our client with a
//! password or the ccache, MIT's initiator against our keytab acceptor,
//! each with mutual authentication, sealed and integrity-only Wrap and MIC
//! both ways; negative cases with Windows' statuses.

mod common;

use std::process::Command;
use std::time::Duration;

use common::krb_realm::KrbRealm;
use common::*;
use opensspi::packages::kerberos::ccache::Ccache;

const TIMEOUT: Duration = Duration::from_secs(60);

fn ours(realm: &KrbRealm, args: &[&str]) -> Command {
    let mut c = sspi_peer(Link::Linked, args);
    realm.env(&mut c);
    c
}

fn mit(realm: &KrbRealm, script: &str, args: &[&str]) -> Command {
    let mut c = peer_script(script, args);
    realm.env(&mut c);
    c
}

/// Both sides authenticated alice@EXAMPLE.TEST, unwrapped and verified
/// what the other sent, and saw it sealed or not as asked.
fn assert_krb_pair(r: &PairResult, sealed: bool) {
    assert_pair(r, false);
    assert_eq!(r.acceptor.field("client"), "alice@EXAMPLE.TEST", "\n{r}");
    assert_eq!(msg_field(&r.acceptor, "unwrapped"), INIT_MSG, "\n{r}");
    let reply = format!("reply: {INIT_MSG}");
    assert_eq!(
        msg_field(&r.initiator, "unwrapped"),
        reply.as_str(),
        "\n{r}"
    );
    assert_eq!(
        msg_field(&r.acceptor, "verified_mic_over"),
        "mic from initiator",
        "\n{r}"
    );
    assert_eq!(
        msg_field(&r.initiator, "verified_mic_over"),
        "mic from acceptor",
        "\n{r}"
    );
    for p in [&r.initiator, &r.acceptor] {
        assert_eq!(
            msg_field(p, "peer_encrypted"),
            sealed,
            "peer_encrypted:\n{r}"
        );
    }
}

const CLIENT_PW: &[&str] = &[
    "client",
    "--package",
    "Kerberos",
    "--user",
    "alice@EXAMPLE.TEST",
    "--password",
    PASSWORD,
    "--target",
    "host/localhost",
];

#[test]
fn our_client_with_a_password_to_mit_acceptor() {
    let realm = KrbRealm::start("pw-mit");
    for extra in [
        &["--wrap"][..],
        &["--wrap", "--stream-layout"][..],
        &["--wrap", "--no-seal", "--stream-layout"][..],
    ] {
        let mut args = CLIENT_PW.to_vec();
        args.extend_from_slice(extra);
        let acc: Vec<&str> = extra
            .iter()
            .copied()
            .filter(|a| *a != "--stream-layout")
            .collect();
        let r = run_pair(
            ours(&realm, &args),
            mit(&realm, "gss_accept.py", &acc),
            TIMEOUT,
        );
        assert_krb_pair(&r, !extra.contains(&"--no-seal"));
    }
}

#[test]
fn our_client_from_the_ccache_to_mit_acceptor() {
    let realm = KrbRealm::start("cc-mit");
    realm.kinit_alice();
    let r = run_pair(
        ours(
            &realm,
            &[
                "client",
                "--package",
                "Kerberos",
                "--target",
                "host/localhost",
                "--wrap",
            ],
        ),
        mit(&realm, "gss_accept.py", &["--wrap"]),
        TIMEOUT,
    );
    assert_krb_pair(&r, true);
    // The service ticket from the TGS was written back, as MIT does.
    let cache = Ccache::read(&realm.ccache()).unwrap();
    assert!(
        cache
            .tickets()
            .any(|c| c.server.to_string() == "host/localhost@EXAMPLE.TEST"),
        "no host/localhost ticket in the ccache"
    );
}

/// The network logon session our server gave alice (`--session-data`:
/// QuerySecurityContextToken + SspiGetTokenLogonId + LsaGetLogonSessionData):
/// the MIT 1.20 KDC's PAC has no LOGON_INFO, so the ticket's names, a
/// synthetic SID, no UPN or DNS domain, and "Kerberos" also through
/// Negotiate (tests/kerberos_pac_session.rs has the AD PAC's session).
fn assert_mit_session(r: &PairResult) {
    let a = &r.acceptor;
    let sid = opensspi::lsa::session::Sid::for_account("EXAMPLE.TEST", "alice").to_string();
    assert_eq!(
        [
            "session_user",
            "session_domain",
            "session_package",
            "session_logon_type",
            "session_sid",
            "session_upn",
            "session_dns_domain",
        ]
        .map(|k| a.field(k)),
        [
            "alice",
            "EXAMPLE.TEST",
            "Kerberos",
            "3",
            sid.as_str(),
            "",
            ""
        ],
        "\n{r}"
    );
}

#[test]
fn mit_initiator_to_our_keytab_acceptor() {
    let realm = KrbRealm::start("mit-ours");
    realm.kinit_alice();
    for (init, acc) in [
        (&["--wrap"][..], &["--wrap"][..]),
        (&["--wrap"][..], &["--wrap", "--stream-layout"][..]),
        (
            &["--wrap", "--no-seal"][..],
            &["--wrap", "--no-seal", "--stream-layout"][..],
        ),
    ] {
        let mut a = vec!["server", "--package", "Kerberos", "--session-data"];
        a.extend_from_slice(acc);
        let r = run_pair(mit(&realm, "gss_init.py", init), ours(&realm, &a), TIMEOUT);
        assert_krb_pair(&r, !init.contains(&"--no-seal"));
        assert_mit_session(&r);
    }
}

/// Our Negotiate client (ccache) with MIT's SPNEGO acceptor and with
/// pyspnego's Negotiate server: Kerberos is chosen (the acceptor sees
/// alice@EXAMPLE.TEST), messages and MICs work, the mechListMIC too.
#[test]
fn negotiate_client_with_kerberos_inside() {
    let realm = KrbRealm::start("nego-cli");
    realm.kinit_alice();
    let client = [
        "client",
        "--package",
        "Negotiate",
        "--target",
        "host/localhost",
        "--wrap",
    ];
    let r = run_pair(
        ours(&realm, &client),
        mit(&realm, "gss_accept.py", &["--wrap", "--mech", "spnego"]),
        TIMEOUT,
    );
    assert_krb_pair(&r, true);
    let r = run_pair(
        ours(&realm, &client),
        mit(
            &realm,
            "ntlm_peer.py",
            &["server", "--protocol", "negotiate", "--wrap"],
        ),
        TIMEOUT,
    );
    assert_krb_pair(&r, true);
    assert_eq!(r.acceptor.field("negotiated_protocol"), "kerberos", "\n{r}");
}

/// MIT's SPNEGO initiator and pyspnego's Negotiate client against our
/// Negotiate server with the keytab: Kerberos is chosen.
#[test]
fn negotiate_server_with_kerberos_inside() {
    let realm = KrbRealm::start("nego-srv");
    realm.kinit_alice();
    let server = [
        "server",
        "--package",
        "Negotiate",
        "--wrap",
        "--session-data",
    ];
    let r = run_pair(
        mit(&realm, "gss_init.py", &["--wrap", "--mech", "spnego"]),
        ours(&realm, &server),
        TIMEOUT,
    );
    assert_krb_pair(&r, true);
    assert_mit_session(&r);
    let r = run_pair(
        mit(
            &realm,
            "ntlm_peer.py",
            &["client", "--protocol", "negotiate", "--wrap"],
        ),
        ours(&realm, &server),
        TIMEOUT,
    );
    assert_krb_pair(&r, true);
    assert_eq!(
        r.initiator.field("negotiated_protocol"),
        "kerberos",
        "\n{r}"
    );
}

/// The status our client reported (`"error": "What: 0x8009030C"`).
fn error_of(p: &PeerResult) -> String {
    p.field("error")
}

/// Our Kerberos client alone against MIT's acceptor; returns its error.
fn client_error(realm: &KrbRealm, args: &[&str]) -> String {
    let r = run_pair(ours(realm, args), mit(realm, "gss_accept.py", &[]), TIMEOUT);
    assert!(!r.initiator.success(), "the client succeeded:\n{r}");
    error_of(&r.initiator)
}

fn with(base: &[&'static str], changes: &[(&str, &'static str)]) -> Vec<&'static str> {
    let mut v = base.to_vec();
    for (flag, value) in changes {
        let i = v.iter().position(|a| a == flag).unwrap();
        v[i + 1] = value;
    }
    v
}

/// Wrong password, unknown principal: SEC_E_LOGON_DENIED; unknown SPN:
/// SEC_E_TARGET_UNKNOWN; KDC down: SEC_E_NO_AUTHENTICATING_AUTHORITY; an
/// IP address target: SEC_E_TARGET_UNKNOWN; no ticket and no password:
/// SEC_E_NO_CREDENTIALS (all from InitializeSecurityContext, as Windows).
#[test]
fn standalone_kerberos_failures_have_windows_statuses() {
    let realm = KrbRealm::start("neg");
    let isc = "InitializeSecurityContextW: ";
    let e = client_error(&realm, &with(CLIENT_PW, &[("--password", "wrong")]));
    assert_eq!(e, format!("{isc}0x8009030C"), "wrong password");
    let e = client_error(
        &realm,
        &with(CLIENT_PW, &[("--user", "mallory@EXAMPLE.TEST")]),
    );
    assert_eq!(e, format!("{isc}0x8009030C"), "unknown principal");
    let e = client_error(
        &realm,
        &with(CLIENT_PW, &[("--target", "host/nowhere.example.test")]),
    );
    assert_eq!(e, format!("{isc}0x80090303"), "unknown SPN");
    let e = client_error(&realm, &with(CLIENT_PW, &[("--target", "host/127.0.0.1")]));
    assert_eq!(e, format!("{isc}0x80090303"), "IP target");
    let e = client_error(
        &realm,
        &[
            "client",
            "--package",
            "Kerberos",
            "--target",
            "host/localhost",
        ],
    );
    assert_eq!(e, format!("{isc}0x8009030E"), "no ticket");
    realm.stop_kdc();
    let e = client_error(&realm, CLIENT_PW);
    assert_eq!(e, format!("{isc}0x80090311"), "KDC down");
}

/// Negotiate falls back to NTLM when Kerberos cannot be used: the KDC down, an SPN the KDC does not know, an IP address target. The
/// NTLM acceptor is pyspnego's Negotiate with an account file. (No ticket
/// at all: c_examples' logon_demo, whose Negotiate default credential
/// without a ccache chooses NTLM.)
#[test]
fn negotiate_falls_back_to_ntlm() {
    let realm = KrbRealm::start("fallback");
    let users = UserFile::new("krb-fallback", &[&format!("EXAMPLE.TEST:alice:{PASSWORD}")]);
    let nego = |target: &'static str, creds: bool| {
        let mut args = vec![
            "client",
            "--package",
            "Negotiate",
            "--target",
            target,
            "--wrap",
        ];
        if creds {
            args.extend(["--user", "alice@EXAMPLE.TEST", "--password", PASSWORD]);
        }
        let mut c = ours(&realm, &args);
        c.env("NTLM_USER_FILE", &users.path);
        c
    };
    let server = || {
        let mut c = mit(
            &realm,
            "ntlm_peer.py",
            &["server", "--protocol", "negotiate", "--wrap"],
        );
        c.env("NTLM_USER_FILE", &users.path);
        c
    };
    let check = |r: PairResult, why: &str| {
        assert!(r.both_ok(), "{why}:\n{r}");
        assert_eq!(
            r.acceptor.field("negotiated_protocol"),
            "ntlm",
            "{why}:\n{r}"
        );
    };
    check(
        run_pair(nego("host/nowhere.example.test", true), server(), TIMEOUT),
        "unknown SPN",
    );
    check(
        run_pair(nego("host/127.0.0.1", true), server(), TIMEOUT),
        "IP target",
    );
    realm.stop_kdc();
    check(
        run_pair(nego("host/localhost", true), server(), TIMEOUT),
        "KDC down",
    );
}

/// `tests/c/krb_hostile.c` (under valgrind with OPENSSPI_VALGRIND=1):
/// truncated AP-REQs and AP-REPs, a replayed AP-REQ (SEC_E_INVALID_TOKEN),
/// forged handles, tampered / truncated / replayed Wrap tokens
/// (SEC_E_MESSAGE_ALTERED, SEC_E_OUT_OF_SEQUENCE), the buffer layouts, the
/// DCE/RPC multi-buffer layout (an altered READONLY_WITH_CHECKSUM buffer is
/// SEC_E_MESSAGE_ALTERED, an altered READONLY one is not covered).
#[test]
fn hostile_kerberos_callers_get_windows_statuses() {
    let realm = KrbRealm::start("hostile");
    let bin = compile_c("tests/c/krb_hostile.c", Link::Linked);
    let mut c = c_command(&bin);
    realm.env(&mut c);
    let out = c.arg(PASSWORD).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(" passed, 0 failed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// ISC_REQ_DELEGATE with a forwardable TGT (kinit -f): MIT's acceptor
/// receives alice's TGT (KRB-CRED in the 0x8003 checksum), and our
/// acceptor reports ASC_RET_DELEGATE for MIT's delegating initiator.
#[test]
fn delegation_both_ways() {
    let realm = KrbRealm::start("deleg");
    realm.kinit_alice();
    let r = run_pair(
        ours(
            &realm,
            &[
                "client",
                "--package",
                "Kerberos",
                "--target",
                "host/localhost",
                "--delegate",
            ],
        ),
        mit(&realm, "gss_accept.py", &[]),
        TIMEOUT,
    );
    assert!(r.both_ok(), "\n{r}");
    assert_eq!(r.acceptor.field("delegated"), "alice@EXAMPLE.TEST", "\n{r}");
    let flags = |p: &PeerResult| {
        u32::from_str_radix(p.field("flags").trim_start_matches("0x"), 16).unwrap()
    };
    assert_ne!(flags(&r.initiator) & 0x1, 0, "ISC_RET_DELEGATE:\n{r}");
    // Without ISC_REQ_DELEGATE nothing is forwarded.
    let r = run_pair(
        ours(
            &realm,
            &[
                "client",
                "--package",
                "Kerberos",
                "--target",
                "host/localhost",
            ],
        ),
        mit(&realm, "gss_accept.py", &[]),
        TIMEOUT,
    );
    assert!(r.both_ok(), "\n{r}");
    assert_eq!(
        r.acceptor.report.as_ref().unwrap()["delegated"],
        serde_json::Value::Null,
        "\n{r}"
    );
    let r = run_pair(
        mit(&realm, "gss_init.py", &["--delegate"]),
        ours(&realm, &["server", "--package", "Kerberos"]),
        TIMEOUT,
    );
    assert!(r.both_ok(), "\n{r}");
    assert_ne!(flags(&r.acceptor) & 0x1, 0, "ASC_RET_DELEGATE:\n{r}");
}

/// Channel bindings through the C ABI (SECBUFFER_CHANNEL_BINDINGS on both
/// sides, our client and our server): equal bindings pass, different
/// ones are SEC_E_BAD_BINDINGS at the acceptor.
#[test]
fn channel_bindings_through_the_c_abi() {
    let realm = KrbRealm::start("cbt");
    let client = |cb: &'static str| {
        let mut a = CLIENT_PW.to_vec();
        a.extend(["--channel-bindings", cb, "--wrap"]);
        ours(&realm, &a)
    };
    let server = |cb: &'static str| {
        ours(
            &realm,
            &[
                "server",
                "--package",
                "Kerberos",
                "--channel-bindings",
                cb,
                "--wrap",
            ],
        )
    };
    let r = run_pair(
        client("746c732d756e69717565"),
        server("746c732d756e69717565"),
        TIMEOUT,
    );
    assert_krb_pair(&r, true);
    let r = run_pair(
        client("746c732d756e69717565"),
        server("6f74686572"),
        TIMEOUT,
    );
    assert!(!r.acceptor.success(), "\n{r}");
    assert_eq!(
        error_of(&r.acceptor),
        "AcceptSecurityContext: 0x80090346",
        "\n{r}"
    );
}

/// pszPrincipal names the keytab principal to accept as: MIT's AP-REQ for
/// host/localhost is accepted by a host/localhost credential and refused
/// with SEC_E_WRONG_PRINCIPAL by an HTTP/localhost one; a principal the
/// keytab does not hold is SEC_E_NO_CREDENTIALS at AcquireCredentialsHandle.
#[test]
fn inbound_credential_for_a_named_principal() {
    let realm = KrbRealm::start("named");
    realm.kinit_alice();
    let server = |p: &'static str| {
        ours(
            &realm,
            &["server", "--package", "Kerberos", "--principal", p],
        )
    };
    let r = run_pair(
        mit(&realm, "gss_init.py", &[]),
        server("host/localhost@EXAMPLE.TEST"),
        TIMEOUT,
    );
    assert!(r.both_ok(), "\n{r}");
    let r = run_pair(
        mit(&realm, "gss_init.py", &[]),
        server("HTTP/localhost"),
        TIMEOUT,
    );
    assert_eq!(
        error_of(&r.acceptor),
        "AcceptSecurityContext: 0x80090322",
        "\n{r}"
    );
    let r = run_pair(
        mit(&realm, "gss_init.py", &[]),
        server("nfs/localhost"),
        TIMEOUT,
    );
    assert_eq!(
        error_of(&r.acceptor),
        "AcquireCredentialsHandleW: 0x8009030E",
        "\n{r}"
    );
}
