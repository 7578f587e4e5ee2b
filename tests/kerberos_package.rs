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
}

#[test]
fn mit_initiator_to_our_keytab_acceptor() {
    let realm = KrbRealm::start("mit-ours");
    realm.kinit_alice();
    for (init, acc) in [
        (&["--wrap"][..], &["--wrap"][..]),
        (
            &["--wrap", "--no-seal"][..],
            &["--wrap", "--no-seal", "--stream-layout"][..],
        ),
    ] {
        let mut a = vec!["server", "--package", "Kerberos"];
        a.extend_from_slice(acc);
        let r = run_pair(mit(&realm, "gss_init.py", init), ours(&realm, &a), TIMEOUT);
        assert_krb_pair(&r, !init.contains(&"--no-seal"));
    }
}
