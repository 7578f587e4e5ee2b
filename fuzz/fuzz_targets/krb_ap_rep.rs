//! The initiator's AP-REP / KRB-ERROR check (`packages::kerberos::ap_req`,
//! `PendingApReq::verify_ap_rep`). The first byte picks what the rest is:
//! 0 a whole token (framed AP-REP or KRB-ERROR, or raw); 1 an edit (see
//! `krb_ap::edit`) of a valid EncAPRepPart, encrypted under the session
//! key. Never a panic; an AP-REP accepted echoes the authenticator's time.
//! Seeds (fuzz/seeds/krb_ap_rep/): an AP-REP of MIT's gss_accept.py, a
//! KRB-ERROR of ours, and the unedited plaintext of mode 1.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::ap_req::PendingApReq;
use opensspi::packages::kerberos::crypto::{random_key, EncryptionType};
use opensspi_fuzz::krb_ap::*;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = match mode % 2 {
        0 => rest.to_vec(),
        _ => ap_rep(&edit(&enc_ap_rep_part(), rest)),
    };
    let pending = PendingApReq {
        session_key: session_key(),
        subkey: random_key(EncryptionType::Aes256CtsHmacSha196).unwrap(),
        seq_number: 1,
        gss_flags: 0x3e,
        ctime: NOW.0,
        cusec: NOW.1,
    };
    if let Ok(r) = pending.verify_ap_rep(&token) {
        assert!(
            mode % 2 == 1,
            "an AP-REP not under the session key was accepted"
        );
        let _ = r.acceptor_subkey;
    }
});
