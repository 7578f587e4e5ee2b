//! The account database parser (`NTLM_USER_FILE` lines) and lookups.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::lsa::accounts::AccountDatabase;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let db = AccountDatabase::parse(&text);
    for a in db.accounts() {
        let _ = db.lookup(&a.user, &a.domain);
        let _ = db.lookup(&a.user.to_uppercase(), "");
        let _ = db.candidates(&a.user, ".").count();
        let _ = a.ntowf_v2_keyed(&a.user, &a.domain);
    }
    let _ = db.skipped().len();
    let _ = db.lookup("testuser", "WORKGROUP");
});
