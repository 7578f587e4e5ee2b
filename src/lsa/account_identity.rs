//! `LsaLogonUser` (MSV1_0) against hostile account databases and callers
//! (issue 8, items 2 and 3): the identity reported is the record's that
//! verified the password, and smbpasswd account-control flags hold.

use std::sync::Arc;

use super::accounts::{computer_name, AccountDatabase};
use super::packages::LogonError;
use super::session::Sid;
use super::status::NtStatus;
use super::store::memory::MemoryStore;
use super::{InteractiveLogon, Lsa};

const MSV: u32 = 2;
const INTERACTIVE: u32 = 2;

fn lsa(file: &str) -> Lsa {
    Lsa::new(Arc::new(MemoryStore::new())).with_accounts(Arc::new(AccountDatabase::parse(file)))
}

/// (domain, user) the logon reports, with the SID and session checked to
/// agree with them.
fn logon(lsa: &Lsa, domain: &str, user: &str, pw: &str) -> Result<(String, String), LogonError> {
    let r = lsa.logon_user(MSV, INTERACTIVE, &InteractiveLogon::new(domain, user, pw))?;
    assert_eq!(r.sid, Sid::for_account(&r.domain, &r.user));
    let d = lsa.session_data(r.logon_id).unwrap();
    assert_eq!((&d.logon_domain, &d.user_name), (&r.domain, &r.user));
    Ok((r.domain, r.user))
}

fn err(status: NtStatus, sub: NtStatus) -> Result<(String, String), LogonError> {
    Err(LogonError::with_sub_status(status, sub))
}

fn ok(domain: &str, user: &str) -> Result<(String, String), LogonError> {
    Ok((domain.to_string(), user.to_string()))
}

#[test]
fn local_account_is_reported_under_the_computer_name() {
    let l = lsa(":bob:pw\n");
    // The caller claims another domain: not reported (was ADMINS\bob).
    assert_eq!(logon(&l, "ADMINS", "bob", "pw"), ok(computer_name(), "bob"));
    assert_eq!(
        logon(&l, "", "ADMINS\\bob", "pw"),
        ok(computer_name(), "bob")
    );
    assert_eq!(logon(&l, ".", "bob", "pw"), ok(computer_name(), "bob"));
}

#[test]
fn every_matching_record_is_tried_domain_first() {
    // The domain-less line comes first in the file and must not shadow
    // CORP's own bob (whose owner was denied).
    // Same password in both: the exact domain's record is the identity.
    let l = lsa(":bob:pw\nCORP:bob:pw\n");
    assert_eq!(logon(&l, "CORP", "bob", "pw"), ok("CORP", "bob"));
    assert_eq!(logon(&l, "OTHER", "bob", "pw"), ok(computer_name(), "bob"));
    let l = lsa(":bob:pw2\nCORP:bob:pw1\n");
    assert_eq!(logon(&l, "CORP", "bob", "pw1"), ok("CORP", "bob"));
    assert_eq!(logon(&l, "CORP", "bob", "pw2"), ok(computer_name(), "bob"));
    assert_eq!(logon(&l, "", "bob", "pw1"), ok("CORP", "bob"));
    assert_eq!(
        logon(&l, ".", "bob", "pw1"),
        err(NtStatus::LOGON_FAILURE, NtStatus::WRONG_PASSWORD)
    );
    assert_eq!(
        logon(&l, "OTHER", "bob", "pw1"),
        err(NtStatus::LOGON_FAILURE, NtStatus::WRONG_PASSWORD)
    );
}

#[test]
fn names_are_the_records_spelling() {
    let l = lsa("Corp:BoB:pw\nCORP:kevin:pw\n");
    assert_eq!(logon(&l, "CORP", "bob", "pw"), ok("Corp", "BoB"));
    assert_eq!(logon(&l, "corp", "BOB", "pw"), ok("Corp", "BoB"));
    assert_eq!(logon(&l, "corp", "KEVIN", "pw"), ok("CORP", "kevin"));
    // U+212A KELVIN SIGN lower-cases to k but does not upper-case to K: not kevin.
    assert_eq!(
        logon(&l, "CORP", "\u{212A}evin", "pw"),
        err(NtStatus::LOGON_FAILURE, NtStatus::NO_SUCH_USER)
    );
}

#[test]
fn names_with_control_characters_are_refused() {
    let l = lsa(":bob:pw\nCORP:administrator:pw\n");
    let refused = err(NtStatus::LOGON_FAILURE, NtStatus::NO_SUCH_USER);
    // Read as CORP\administrator by C code (was reported as given).
    assert_eq!(logon(&l, "CORP\\administrator\0X", "bob", "pw"), refused);
    assert_eq!(logon(&l, "CORP", "administrator\0", "pw"), refused);
    assert_eq!(logon(&l, "", "bob\u{7}", "pw"), refused);
    assert_eq!(logon(&l, "CORP\u{85}", "administrator", "pw"), refused);
    // Not even without validation (NewCredentials).
    let req = InteractiveLogon::new("CORP\0X", "bob", "pw");
    assert_eq!(
        l.logon_user(MSV, 9, &req).map(|r| r.domain).unwrap_err(),
        LogonError::with_sub_status(NtStatus::LOGON_FAILURE, NtStatus::NO_SUCH_USER)
    );
}

/// An smbpasswd line for `name` with NT hash field `nt` and flags `flags`.
fn smb(name: &str, lm: &str, nt: &str, flags: &str) -> String {
    format!("{name}:1000:{lm}:{nt}:[{flags:<11}]:LCT-5F000000:\n")
}

const NO_PW: &str = "NO PASSWORDXXXXXXXXXXXXXXXXXXXXX";
const XS: &str = "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";

fn nt_hex(pw: &str) -> String {
    hex::encode(*super::accounts::nt_owf_v1(pw))
}

#[test]
fn smbpasswd_disabled_and_locked_accounts() {
    let file = smb("CORP\\dis", XS, &nt_hex("pw"), "DU")
        + &smb("CORP\\lck", XS, &nt_hex("pw"), "LU")
        + &smb("CORP\\act", XS, &nt_hex("pw"), "UX");
    let l = lsa(&file);
    assert_eq!(
        logon(&l, "CORP", "dis", "pw"),
        err(NtStatus::ACCOUNT_RESTRICTION, NtStatus::ACCOUNT_DISABLED)
    );
    // A wrong password says nothing about the account's state.
    assert_eq!(
        logon(&l, "CORP", "dis", "nope"),
        err(NtStatus::LOGON_FAILURE, NtStatus::WRONG_PASSWORD)
    );
    // Locked out: whatever the password (no password oracle).
    for pw in ["pw", "nope"] {
        assert_eq!(
            logon(&l, "CORP", "lck", pw),
            err(NtStatus::ACCOUNT_LOCKED_OUT, NtStatus::SUCCESS)
        );
    }
    assert_eq!(logon(&l, "CORP", "act", "pw"), ok("CORP", "act"));
    // A locked record does not block another that verifies the password.
    let file = smb("CORP\\bob", XS, &nt_hex("pw1"), "LU") + ":bob:pw2\n";
    let l = lsa(&file);
    assert_eq!(logon(&l, "CORP", "bob", "pw2"), ok(computer_name(), "bob"));
    for pw in ["pw1", "nope"] {
        assert_eq!(
            logon(&l, "CORP", "bob", pw),
            err(NtStatus::ACCOUNT_LOCKED_OUT, NtStatus::SUCCESS)
        );
    }
}

#[test]
fn smbpasswd_password_fields() {
    let file = smb("nopw", NO_PW, NO_PW, "NU")
        + &smb("nullhash", XS, &nt_hex("pw"), "NU")
        + &smb("unset", NO_PW, NO_PW, "U")
        + &smb("invalid", XS, XS, "U")
        + &smb("invalidn", XS, XS, "NU");
    let l = lsa(&file);
    let wrong = err(NtStatus::LOGON_FAILURE, NtStatus::WRONG_PASSWORD);
    // N: the empty password, the hash fields ignored (smbpasswd(5)).
    assert_eq!(logon(&l, "", "nopw", ""), ok(computer_name(), "nopw"));
    assert_eq!(logon(&l, "", "nopw", "x"), wrong);
    assert_eq!(
        logon(&l, "", "nullhash", ""),
        ok(computer_name(), "nullhash")
    );
    // NO PASSWORD without N, and XXXX (even with N): never authenticates.
    for user in ["unset", "invalid", "invalidn"] {
        for pw in ["", "x", NO_PW, XS] {
            assert_eq!(logon(&l, "", user, pw), wrong, "{user} {pw:?}");
        }
    }
    // Never re-read as DOMAIN:USER:PASSWORD lines (domain "unset", user
    // "1000", the rest as a guessable password).
    for (name, lm, nt) in [("unset", NO_PW, NO_PW), ("invalid", XS, XS)] {
        let guess = format!("{lm}:{nt}:[U          ]:LCT-5F000000:");
        assert_eq!(
            logon(&l, name, "1000", &guess),
            err(NtStatus::LOGON_FAILURE, NtStatus::NO_SUCH_USER)
        );
    }
}
