//! Identity spoofing through the account database (issue 8, items 2-3):
//! what the server reports (NAMES, NATIVE_NAMES, the impersonation
//! identity) is the verifying record's, never the client's strings; the
//! smbpasswd account-control flags hold.

use super::*;
use crate::lsa::accounts::computer_name;

fn server_for(file: &str) -> NtlmServer {
    let db = Arc::new(AccountDatabase::parse(file));
    NtlmCredential::new(
        CredentialUse::Inbound,
        None,
        NtlmSettings::default(),
        Some(db),
    )
    .acceptor(0)
    .unwrap()
}

/// The handshake of `domain\user` with `pw` against `file`: the names the
/// server reports (NAMES, checked against NATIVE_NAMES and the
/// impersonation identity) or the failure.
fn accept(file: &str, domain: &str, user: &str, pw: &str) -> Result<String, SecStatus> {
    let mut s = server_for(file);
    run(&mut client(user, domain, pw), &mut s, None, None, |_| {})?;
    let ContextAttribute::Names(names) = s.query_attribute(SECPKG_ATTR_NAMES)? else {
        panic!("NAMES")
    };
    let ContextAttribute::NativeNames { client, .. } =
        s.query_attribute(SECPKG_ATTR_NATIVE_NAMES)?
    else {
        panic!("NATIVE_NAMES")
    };
    assert_eq!(client, names);
    let (d, u) = s.client_identity().unwrap();
    assert_eq!(format!("{d}\\{u}"), names);
    Ok(names)
}

fn local(user: &str) -> Result<String, SecStatus> {
    Ok(format!("{}\\{user}", computer_name()))
}

#[test]
fn local_account_reports_the_computer_name() {
    // Was ADMINS\bob: the client's domain.
    assert_eq!(accept(":bob:pw\n", "ADMINS", "bob", "pw"), local("bob"));
    assert_eq!(accept(":bob:pw\n", "", "bob", "pw"), local("bob"));
}

#[test]
fn names_with_control_characters_are_denied() {
    // Was reported as CORP\administrator\0X\bob, read as CORP\administrator.
    let file = ":bob:pw\nCORP:administrator:pw\n";
    for (d, u) in [
        ("CORP\\administrator\0X", "bob"),
        ("CORP", "administrator\0"),
        ("CORP\n", "administrator"),
        ("", "bob\u{9b}"),
    ] {
        assert_eq!(
            accept(file, d, u, "pw"),
            Err(SecStatus::LogonDenied),
            "{d:?} {u:?}"
        );
    }
}

#[test]
fn every_matching_record_is_tried_domain_first() {
    // The domain-less line first in the file shadowed CORP's own bob.
    let file = ":bob:pw2\nCORP:bob:pw1\n";
    assert_eq!(accept(file, "CORP", "bob", "pw1"), Ok("CORP\\bob".into()));
    assert_eq!(accept(file, "CORP", "bob", "pw2"), local("bob"));
    assert_eq!(
        accept(file, "OTHER", "bob", "pw1"),
        Err(SecStatus::LogonDenied)
    );
    // Same password in both: the exact domain's record is the identity.
    let file = ":bob:pw\nCORP:bob:pw\n";
    assert_eq!(accept(file, "CORP", "bob", "pw"), Ok("CORP\\bob".into()));
    assert_eq!(accept(file, "OTHER", "bob", "pw"), local("bob"));
}

#[test]
fn names_are_the_records_spelling() {
    let file = "Corp:BoB:pw\nCORP:kevin:pw\n";
    assert_eq!(accept(file, "CORP", "bob", "pw"), Ok("Corp\\BoB".into()));
    assert_eq!(accept(file, "corp", "BOB", "pw"), Ok("Corp\\BoB".into()));
    assert_eq!(
        accept(file, "cOrP", "KeViN", "pw"),
        Ok("CORP\\kevin".into())
    );
    // U+212A KELVIN SIGN: not K under Windows' upper-casing.
    assert_eq!(
        accept(file, "CORP", "\u{212A}evin", "pw"),
        Err(SecStatus::LogonDenied)
    );
}

fn smb(name: &str, lm: &str, nt: &str, flags: &str) -> String {
    format!("{name}:1000:{lm}:{nt}:[{flags:<11}]:LCT-5F000000:\n")
}

const NO_PW: &str = "NO PASSWORDXXXXXXXXXXXXXXXXXXXXX";
const XS: &str = "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";

#[test]
fn smbpasswd_flags() {
    let hash = hex::encode(*nt_owf_v1("pw"));
    let denied = Err(SecStatus::LogonDenied);
    for flags in ["DU", "LU", "UD", "LXU"] {
        let file = smb("CORP\\bob", XS, &hash, flags);
        assert_eq!(accept(&file, "CORP", "bob", "pw"), denied, "[{flags}]");
    }
    for flags in ["U", "UX", ""] {
        let file = smb("CORP\\bob", XS, &hash, flags);
        assert_eq!(
            accept(&file, "CORP", "bob", "pw"),
            Ok("CORP\\bob".into()),
            "[{flags}]"
        );
    }
    // N: the empty password.
    let file = smb("nopw", NO_PW, NO_PW, "NU");
    assert_eq!(accept(&file, "", "nopw", ""), local("nopw"));
    assert_eq!(accept(&file, "", "nopw", "x"), denied);
    // No usable password: never, and never as the guessable DOMAIN:USER:PASSWORD.
    for (lm, nt, flags) in [(NO_PW, NO_PW, "U"), (XS, XS, "U"), (XS, XS, "NU")] {
        let file = smb("bob", lm, nt, flags);
        for pw in ["", NO_PW, XS] {
            assert_eq!(accept(&file, "", "bob", pw), denied);
        }
        let guess = format!("{nt}:[{flags:<11}]:LCT-5F000000:");
        assert_eq!(
            accept(&file, "bob", "1000", &format!("{lm}:{guess}")),
            denied
        );
    }
}

#[test]
fn ntlmv1_follows_the_same_rules() {
    let v1 = NtlmSettings {
        lm_compat_level: 2,
        ..Default::default()
    };
    let accept_v1 = |file: &str, domain: &str, user: &str, pw: &str| {
        let db = Arc::new(AccountDatabase::parse(file));
        let mut s = NtlmCredential::new(CredentialUse::Inbound, None, v1, Some(db))
            .acceptor(0)
            .unwrap();
        let mut c = client_with(user, domain, pw, v1, ISC_REQ_CONFIDENTIALITY);
        run(&mut c, &mut s, None, None, |_| {})?;
        Ok::<_, SecStatus>(s.client_identity().unwrap())
    };
    let file = ":bob:pw2\nCorp:BoB:pw1\n";
    assert_eq!(
        accept_v1(file, "CORP", "bob", "pw1"),
        Ok(("Corp".into(), "BoB".into()))
    );
    assert_eq!(
        accept_v1(file, "ADMINS", "BOB", "pw2"),
        Ok((computer_name().into(), "bob".into()))
    );
    let hash = hex::encode(*nt_owf_v1("pw"));
    for flags in ["DU", "LU"] {
        let file = smb("bob", XS, &hash, flags);
        assert_eq!(
            accept_v1(&file, "", "bob", "pw"),
            Err(SecStatus::LogonDenied)
        );
    }
    let file = smb("bob", XS, XS, "NU");
    assert_eq!(accept_v1(&file, "", "bob", ""), Err(SecStatus::LogonDenied));
}
