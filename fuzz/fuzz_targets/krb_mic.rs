//! Kerberos MIC tokens (`packages::kerberos::gss`): GSS_VerifyMIC of an
//! arbitrary token over an arbitrary message, for every session-key etype,
//! never panics and never accepts a token that differs from the one we
//! make; a MIC we make verifies on the other side.
//! Input: byte 0 = etype (bits 0-2, mod 5) and receiving side (bit 3);
//! byte 1 = token length; then token, then message.
//! Seeds (fuzz/seeds/krb_mic/): MIT gss_get_mic tokens of each etype,
//! captured with tests/peers/gss_tokens.py.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::crypto::{EncryptionType, Key};
use opensspi::packages::kerberos::gss::Role;
use opensspi_fuzz::krb_gss::{side, ETYPES};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let etype = ETYPES[(data[0] & 7) as usize % ETYPES.len()];
    let key = Key::new(etype, &vec![0x42; etype.key_len()]).expect("key");
    let recv_role = if data[0] & 8 != 0 {
        Role::Acceptor
    } else {
        Role::Initiator
    };
    let rest = &data[2..];
    let toklen = (data[1] as usize).min(rest.len());
    let (token, message) = rest.split_at(toklen);

    let mut s = side(&key, recv_role.peer());
    let mut r = side(&key, recv_role);
    if r.verify_mic(message, token).is_ok() {
        // Only the MIC the sender makes for sequence number 0 can verify
        // (rc4-hmac's sequence number is outside its checksum).
        let ours = s.get_mic(message).expect("our MIC");
        if etype != EncryptionType::Rc4Hmac {
            assert_eq!(ours, token, "a MIC we did not make verified");
        }
        return;
    }
    let mic = s.get_mic(message).expect("our MIC");
    let mut r = side(&key, recv_role);
    r.verify_mic(message, &mic).expect("our MIC verifies");
});
