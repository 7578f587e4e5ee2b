//! The MIT keytab decoder (`packages::kerberos::keytab`). A decoded keytab
//! re-encodes (as version 2) to bytes that decode to the same entries;
//! lookups of every principal hold.
//! Seeds (fuzz/seeds/keytab/): kadmin.local `ktadd` output of
//! tests/peers/setup-kdc.sh, the same after `ktremove` (holes), a version 1 file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::keytab::Keytab;

fuzz_target!(|data: &[u8]| {
    if let Ok(kt) = Keytab::parse(data) {
        for e in kt.entries.iter().take(8) {
            assert!(!kt.find(&e.principal, None, Some(e.key.enctype)).is_empty());
            assert!(!kt.find(&e.principal, Some(e.kvno), None).is_empty());
        }
        let bytes = kt.encode().expect("a decoded keytab encodes");
        let again = Keytab::parse(&bytes).expect("re-encoded keytab decodes");
        assert_eq!(again, kt, "keytab round trip");
    }
});
