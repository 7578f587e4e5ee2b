//! The acceptor's PAC checks (`packages::kerberos::pac`): the first byte
//! picks what the rest is: 0 a PAC, verified with a fixed aes256 service
//! key for alice; 1 a ticket's AuthorizationData (DER) whose PAC, if one,
//! is verified the same way; 2 a PAC signed first with that key (when its
//! signature buffers allow), so the client info, UPN_DNS_INFO and
//! LOGON_INFO (NDR) decoders behind the signature are reached. Never a panic; a PAC accepted names
//! alice at the fixed authtime.
//! Seeds (fuzz/seeds/krb_pac/): PACs built and signed by
//! `examples/gen_fuzz_seeds.rs`, in each mode.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::crypto::{EncryptionType, Key};
use opensspi::packages::kerberos::filecodec::Principal;
use opensspi::packages::kerberos::pac::{authz_data, build, verify_pac, VerifiedPac};

const AUTHTIME: i64 = 1_700_000_000;

fn check(pac: &[u8], key: &Key) {
    let alice = Principal::parse("alice@EXAMPLE.TEST");
    if let Ok(VerifiedPac { client_info, .. }) = verify_pac(pac, key, &alice, AUTHTIME) {
        assert_eq!(client_info.name, "alice");
        assert_eq!(client_info.authtime(), Some(AUTHTIME));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = Key::new(EncryptionType::Aes256CtsHmacSha196, &[0x4b; 32]).unwrap();
    match mode % 3 {
        0 => check(rest, &key),
        1 => {
            if let Ok(Some(pac)) = authz_data::find_pac(rest) {
                check(&pac, &key);
            }
        }
        _ => {
            let mut pac = rest.to_vec();
            if build::sign(&mut pac, &key, &key).is_ok() {
                check(&pac, &key);
            }
        }
    }
});
