//! Kerberos delegation to the next hop (issue 10) in a throwaway MIT realm
//! (`tests/common/krb_realm.rs`; `host/localhost` is OK-AS-DELEGATE,
//! `HTTP/localhost` is not):
//! - MIT's initiator delegates to our acceptor (`tests/c/sspi_peer.c
//!   --next-hop`), which reaches a third service (MIT's acceptor for
//!   HTTP/localhost) as alice with the forwarded TGT: impersonating, or with
//!   the client's LUID as `pvLogonId`. The service's own ccache holds
//!   host/localhost's TGT, so a credential that is not the delegated one
//!   shows up as host/localhost (or succeeds where it must not).
//! - Without delegation, and once the server context is deleted: no
//!   credentials.
//! - Our initiator delegates a FORWARDED TGT (asked of the KDC as MIT's
//!   `krb5_fwd_tgt_creds` does), which MIT's acceptor stores and uses for a
//!   next hop; none to a service that is not OK-AS-DELEGATE.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::krb_realm::KrbRealm;
use common::*;

const TIMEOUT: Duration = Duration::from_secs(60);
const SEC_E_OK: &str = "0x00000000";
const SEC_E_LOGON_DENIED: &str = "0x8009030C";
const SEC_E_NO_CREDENTIALS: &str = "0x8009030E";
const ISC_RET_DELEGATE: u32 = 0x1;

fn ours(realm: &KrbRealm, args: &[&str]) -> Command {
    let mut c = sspi_peer(Link::Linked, args);
    realm.env(&mut c);
    c.env("OPENSSPI_LSA_STORE", "memory");
    c
}

fn mit(realm: &KrbRealm, script: &str, args: &[&str]) -> Command {
    let mut c = peer_script(script, args);
    realm.env(&mut c);
    c
}

/// Our server with the service's own credentials in its ccache
/// (host/localhost's TGT from the keytab), as a service account has.
fn our_server(realm: &KrbRealm, extra: &[&str]) -> Command {
    let cc = realm.dir.join("service_cc");
    if !cc.exists() {
        let kt = realm.keytab();
        let cc_arg = cc.to_str().unwrap();
        realm.run(
            "kinit",
            &[
                "-k",
                "-t",
                kt.to_str().unwrap(),
                "-c",
                cc_arg,
                "host/localhost",
            ],
            None,
        );
    }
    let mut args = vec!["server", "--package", "Kerberos"];
    args.extend_from_slice(extra);
    let mut c = ours(realm, &args);
    c.env("KRB5CCNAME", format!("FILE:{}", cc.display()));
    c
}

/// MIT's acceptor for HTTP/localhost fed one token (base64): its report.
fn third_service(realm: &KrbRealm, token_b64: &str) -> serde_json::Value {
    let mut child = mit(
        realm,
        "gss_accept.py",
        &["--principal", "HTTP/localhost@EXAMPLE.TEST"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{token_b64}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("REPORT "))
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_else(|| panic!("no report from the third service:\n{stderr}"))
}

/// The ways a server takes its next-hop credential: the package, and
/// whether by the client's logon id (else while impersonating).
const NEXT_HOP_WAYS: [(&str, bool); 3] = [
    ("Kerberos", false),
    ("Kerberos", true),
    ("Negotiate", false),
];

/// MIT's initiator (with `mit_args`) to our server, which then acquires
/// `package` credentials for HTTP/localhost one of the [`NEXT_HOP_WAYS`]:
/// the pair's result and the case's name for messages.
fn next_hop(
    realm: &KrbRealm,
    mit_args: &[&str],
    package: &str,
    by_luid: bool,
) -> (PairResult, String) {
    let mut extra = vec![
        "--next-hop",
        "HTTP/localhost",
        "--next-hop-package",
        package,
    ];
    if by_luid {
        extra.push("--next-hop-by-logon-id");
    }
    let r = run_pair(
        mit(realm, "gss_init.py", mit_args),
        our_server(realm, &extra),
        TIMEOUT,
    );
    (r, format!("{package}, by LUID {by_luid}"))
}

fn flags(p: &PeerResult) -> u32 {
    u32::from_str_radix(p.field("flags").trim_start_matches("0x"), 16).unwrap()
}

/// MIT delegates to our acceptor; our acceptor, impersonating the client
/// or with its LUID, reaches HTTP/localhost as alice; after
/// DeleteSecurityContext the LUID names nothing (SEC_E_LOGON_DENIED, the
/// status of a pvLogonId that is not a session of the caller, as NTLM).
#[test]
fn mit_delegates_and_our_server_reaches_a_third_service_as_alice() {
    let realm = KrbRealm::start("deleg-hop");
    realm.kinit_alice();
    for (package, by_luid) in NEXT_HOP_WAYS {
        let (r, case) = next_hop(&realm, &["--delegate"], package, by_luid);
        assert!(r.both_ok(), "{case}\n{r}");
        assert_ne!(flags(&r.acceptor) & ISC_RET_DELEGATE, 0, "{case}\n{r}");
        assert_eq!(
            r.acceptor.field("next_hop_acquire"),
            SEC_E_OK,
            "{case}\n{r}"
        );
        assert_eq!(
            r.acceptor.field("next_hop_user"),
            "alice@EXAMPLE.TEST",
            "{case}\n{r}"
        );
        let isc = r.acceptor.field("next_hop_isc");
        assert!(
            isc == SEC_E_OK || isc == "0x00090312",
            "next hop ISC {isc}: {case}\n{r}"
        );
        let third = third_service(&realm, &r.acceptor.field("next_hop_token"));
        assert_eq!(third["ok"], true, "{case}: {third}\n{r}");
        assert_eq!(third["client"], "alice@EXAMPLE.TEST", "{case}: {third}");
        if by_luid {
            assert_eq!(
                r.acceptor.field("after_delete_acquire"),
                SEC_E_LOGON_DENIED,
                "{case}\n{r}"
            );
        }
    }
}

/// A client that did not delegate leaves its network logon session
/// without credentials: SEC_E_NO_CREDENTIALS, never the service's own
/// (its ccache holds host/localhost's TGT).
#[test]
fn without_delegation_the_next_hop_has_no_credentials() {
    let realm = KrbRealm::start("deleg-none");
    realm.kinit_alice();
    for (package, by_luid) in NEXT_HOP_WAYS {
        let (r, case) = next_hop(&realm, &[], package, by_luid);
        assert!(r.both_ok(), "{case}\n{r}");
        assert_eq!(flags(&r.acceptor) & ISC_RET_DELEGATE, 0, "{case}\n{r}");
        assert_eq!(
            r.acceptor.field("next_hop_acquire"),
            SEC_E_NO_CREDENTIALS,
            "{case}\n{r}"
        );
    }
}

/// Our initiator (ccache credential) delegates to host/localhost
/// (OK-AS-DELEGATE): MIT's acceptor stores the delegated TGT, which carries
/// the FORWARDED flag (`klist -f`: F) and reaches a next hop (`kvno`). To
/// HTTP/localhost (not OK-AS-DELEGATE) nothing is delegated and
/// ISC_RET_DELEGATE is not reported (MS-KILE 3.2.5.1).
#[test]
fn our_initiator_delegates_a_forwarded_tgt_only_to_ok_as_delegate() {
    let realm = KrbRealm::start("deleg-fwd");
    realm.kinit_alice();
    let stored = realm.dir.join("delegated_cc");
    let stored_arg = format!("FILE:{}", stored.display());
    let client = |target: &str| {
        ours(
            &realm,
            &[
                "client",
                "--package",
                "Kerberos",
                "--target",
                target,
                "--delegate",
            ],
        )
    };
    let r = run_pair(
        client("host/localhost"),
        mit(
            &realm,
            "gss_accept.py",
            &["--store-delegated", stored.to_str().unwrap()],
        ),
        TIMEOUT,
    );
    assert!(r.both_ok(), "\n{r}");
    assert_eq!(r.acceptor.field("delegated"), "alice@EXAMPLE.TEST", "\n{r}");
    assert_ne!(flags(&r.initiator) & ISC_RET_DELEGATE, 0, "\n{r}");
    let klist = realm.run("klist", &["-f", "-c", &stored_arg], None);
    let tgt_flags = klist
        .lines()
        .skip_while(|l| !l.contains("krbtgt/EXAMPLE.TEST@EXAMPLE.TEST"))
        .find_map(|l| l.trim().strip_prefix("Flags: "))
        .unwrap_or_else(|| panic!("no TGT flags in:\n{klist}"));
    assert!(tgt_flags.contains('F'), "FORWARDED: {tgt_flags}\n{klist}");
    // The MIT side uses the forwarded TGT for a next hop.
    realm.run("kvno", &["-c", &stored_arg, "HTTP/localhost"], None);
    let klist = realm.run("klist", &["-c", &stored_arg], None);
    assert!(klist.contains("HTTP/localhost@EXAMPLE.TEST"), "{klist}");

    let r = run_pair(
        client("HTTP/localhost"),
        mit(&realm, "gss_accept.py", &[]),
        TIMEOUT,
    );
    assert!(r.both_ok(), "\n{r}");
    assert_eq!(r.acceptor.field("delegated"), "", "\n{r}");
    assert_eq!(flags(&r.initiator) & ISC_RET_DELEGATE, 0, "\n{r}");
}

/// `pvLogonId` naming no session of the caller: SEC_E_LOGON_DENIED, as
/// NTLM (the status of a missing and of another uid's session alike), not
/// the caller's ccache.
#[test]
fn a_logon_id_without_a_session_is_refused() {
    let realm = KrbRealm::start("deleg-luid");
    realm.kinit_alice();
    for package in ["Kerberos", "Negotiate"] {
        let out = ours(
            &realm,
            &["client", "--package", package, "--logon-id", "0:7e5701"],
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{package}: {stderr}");
        assert!(
            stderr.contains(&format!("\"status\":\"{SEC_E_LOGON_DENIED}\"")),
            "{package}: {stderr}"
        );
    }
}
