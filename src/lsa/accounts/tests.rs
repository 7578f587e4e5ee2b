//! Tests of the account database: parsing, flags, candidate order.

use super::*;

#[test]
fn nt_owf_vectors() {
    // MS-NLMP 4.2.2.1.2 and BEHAVIOURS.md item 133
    assert_eq!(
        hex::encode(*nt_owf_v1("Password")),
        "a4f49c406510bdcab6824ee7c30fd852"
    );
    assert_eq!(
        hex::encode(*nt_owf_v1("")),
        "31d6cfe0d16ae931b73c59d7e0c089c0"
    );
    assert_eq!(
        hex::encode(*nt_owf_v1("P4ss123!")),
        "d5922a65c4d5c082ca444af1be0001db"
    );
}

/// NTOWFv2 as MS-NLMP writes it, with a string in between.
fn ntowf_v2_reference(nt_owf: &[u8; 16], user: &str, domain: &str) -> [u8; 16] {
    use crate::lsa::packages::msv1_0::owf::hmac_md5;
    let upper: String = user
        .chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(one), None) => one,
                _ => c,
            }
        })
        .collect();
    let ud: Vec<u8> = (upper + domain)
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    hmac_md5(nt_owf, &[&ud])
}

#[test]
fn ntowf_v2_cache_matches_the_definition() {
    use crate::lsa::packages::msv1_0::owf::{hmac_md5, hmac_md5_with, ntowf_v2};
    use hmac::Mac;
    let db = AccountDatabase::parse(":alice:pw\n");
    let a = &db.accounts()[0];
    let long = "a-very-long-user-name-of-more-than-thirty-two-characters-ß-😀";
    let cases = [
        ("alice", "EXAMPLE"),
        ("ALICE", "EXAMPLE"),
        ("alice", "example"),
        ("Alice", ""),
        ("ǆemal", "ΣΊΣΥΦΟΣ"),
        (long, long),
    ];
    for round in 0..2 {
        for (i, (u, d)) in cases.iter().enumerate() {
            let want = ntowf_v2_reference(a.nt_owf.as_ref().unwrap(), u, d);
            assert_eq!(*ntowf_v2(a.nt_owf.as_ref().unwrap(), u, d), want, "{u} {d}");
            let got = hmac_md5_with(&a.ntowf_v2_keyed(u, d).unwrap(), &[b"x"]);
            assert_eq!(got, hmac_md5(&want, &[b"x"]), "round {round} case {i}");
        }
        // Past the cache bound: still right, and the cache stays bounded.
        for n in 0..20 {
            let d = format!("D{n}");
            let mut m = a.ntowf_v2_keyed("alice", &d).unwrap();
            m.update(b"x");
            let got: [u8; 16] = m.finalize().into_bytes().into();
            assert_eq!(
                got,
                hmac_md5(
                    &ntowf_v2_reference(a.nt_owf.as_ref().unwrap(), "alice", &d),
                    &[b"x"]
                )
            );
        }
        assert!(a.ntowf_v2.more.lock().len() <= NTOWF_V2_CACHE_MORE);
    }
}

#[test]
fn parses_both_formats() {
    let db = AccountDatabase::parse(
        "# comment\n\nEXAMPLE:alice:alice-Passw0rd\n:bob:pw:with:colons\n\
         OTHER\\carol:1000:AAD3B435B51404EEAAD3B435B51404EE:E585DC24BF49E63E50099C6A2BAAB522:[U          ]:LCT-00000000\n\
         garbage\n",
    );
    assert_eq!(db.accounts().len(), 3);
    let alice = db.lookup("ALICE", "example").unwrap();
    assert_eq!(
        hex::encode(**alice.nt_owf.as_ref().unwrap()),
        "e585dc24bf49e63e50099c6a2baab522"
    );
    assert!(db.lookup("alice", "OTHER").is_none());
    let bob = db.lookup("bob", "ANYTHING").unwrap();
    assert_eq!(
        bob.password.as_deref().map(|s| s.as_str()),
        Some("pw:with:colons")
    );
    let carol = db.lookup("carol", "other").unwrap();
    assert_eq!(carol.nt_owf.as_deref(), alice.nt_owf.as_deref());
    assert!(carol.password.is_none());
    assert!(!format!("{alice:?}").contains("Passw0rd"));
}

const XS: &str = "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
const NO_PW: &str = "NO PASSWORDXXXXXXXXXXXXXXXXXXXXX";
const HASH: &str = "E585DC24BF49E63E50099C6A2BAAB522";

#[test]
fn smbpasswd_flags_and_hash_fields() {
    let text = format!(
        "dis:1000:{XS}:{HASH}:[DU         ]:LCT-00000000:\n\
         lck:1000:{XS}:{HASH}:[LXU        ]:LCT-00000000:\n\
         nopw:1000:{NO_PW}:{NO_PW}:[NU         ]:LCT-00000000:\n\
         unset:1000:{NO_PW}:{NO_PW}:[U          ]:LCT-00000000:\n\
         inval:1000:{XS}:{XS}:[NU         ]:LCT-00000000:\n\
         ok:1000:{XS}:{HASH}:[]\n"
    );
    let db = AccountDatabase::parse(&text);
    assert_eq!(db.skipped(), []);
    let get = |u: &str| db.lookup(u, "").unwrap();
    assert!(get("dis").control.disabled && !get("dis").control.locked);
    let lck = get("lck").control;
    assert!(lck.locked && lck.password_never_expires && !lck.disabled);
    assert_eq!(
        get("dis").nt_owf.as_deref().map(hex::encode),
        Some(HASH.to_lowercase())
    );
    assert!(get("nopw").verifies_nt_owf(&nt_owf_v1("")));
    assert!(get("nopw").control.password_not_required);
    for u in ["unset", "inval"] {
        assert!(get(u).nt_owf.is_none() && get(u).password.is_none(), "{u}");
        assert!(get(u).ntowf_v2_keyed(u, "").is_none());
        assert!(!get(u).verifies_nt_owf(&nt_owf_v1("")));
    }
    assert_eq!(get("ok").control, AccountControl::default());
}

#[test]
fn malformed_lines_are_skipped_never_reread() {
    let text = format!(
        "# a comment\n\
         garbage\n\
         bad:1000:{XS}:XXXX:[U          ]:LCT-00000000:\n\
         bad:1000:{XS}:{HASH}:U:LCT-00000000:\n\
         bad:1000:{XS}:{HASH}:[UQ]:LCT-00000000:\n\
         bad:1000:NO PASSWORD:{HASH}:[U]:\n\
         \n\
         CORP:nul\0:pw\n\
         CORP\u{1b}:esc:pw\n\
         CORP:a\\b:pw\n\
         :user:\n\
         ::pw\n\
         CORP\\x:1000:{XS}:{HASH}:[U]\n"
    );
    let db = AccountDatabase::parse(&text);
    let lines: Vec<usize> = db.skipped().iter().map(|s| s.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 8, 9, 10, 12]);
    // Only the two good lines are accounts; none named after a uid.
    let names: Vec<(&str, &str)> = db
        .accounts()
        .iter()
        .map(|a| (a.domain.as_str(), a.user.as_str()))
        .collect();
    assert_eq!(names, [("", "user"), ("CORP", "x")]);
    // The reasons never echo the line (it may hold a password).
    assert!(!format!("{:?}", db.skipped()).contains("1000"));
}

#[test]
fn candidates_in_order() {
    let db = AccountDatabase::parse(
        ":bob:local\nOTHER:bob:other\nCORP:bob:corp\ncorp:BOB:corp2\n:alice:a\n",
    );
    let order = |u: &str, d: &str| -> Vec<String> {
        db.candidates(u, d)
            .map(|a| a.password.as_deref().unwrap().to_string())
            .collect()
    };
    assert_eq!(order("bob", "CORP"), ["corp", "corp2", "local"]);
    assert_eq!(order("Bob", "corp"), ["corp", "corp2", "local"]);
    assert_eq!(order("bob", ""), ["local", "other", "corp", "corp2"]);
    assert_eq!(order("bob", "."), ["local"]);
    assert_eq!(order("bob", computer_name()), ["local"]);
    assert_eq!(order("bob", "NOWHERE"), ["local"]);
    assert!(order("bob\0", "CORP").is_empty());
    assert!(order("bob", "CORP\0").is_empty());
    assert!(order("\u{212A}", "").is_empty());
}

#[test]
fn upcase_comparison() {
    assert!(eq_upcase("alice", "ALICE"));
    assert!(eq_upcase("straße", "STRAßE"));
    assert!(eq_upcase("σίσυφος", "ΣΊΣΥΦΟΣ"));
    // Look-alikes that only lower-casing would merge.
    assert!(!eq_upcase("\u{212A}evin", "kevin"));
    assert!(!eq_upcase("\u{212A}evin", "Kevin"));
    assert!(!eq_upcase("\u{130}", "i"));
    assert!(!eq_upcase("alice", "alic"));
}
