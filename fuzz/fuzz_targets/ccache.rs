//! The MIT credential cache decoder (`packages::kerberos::ccache`). A decoded
//! cache re-encodes (as version 4) to bytes that decode to the same
//! credentials, header and default principal.
//! Seeds (fuzz/seeds/ccache/): caches written by MIT `kinit` + `kvno` in the
//! realm of tests/peers/setup-kdc.sh, version 4 and version 3 (`ccache_type = 3`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::ccache::{Ccache, CCACHE_V4};

fuzz_target!(|data: &[u8]| {
    if let Ok(cc) = Ccache::parse(data) {
        let _ = cc.tickets().count();
        let _ = cc.config("fast_avail", None);
        let again = Ccache::parse(&cc.encode()).expect("re-encoded ccache decodes");
        assert_eq!(again.version, CCACHE_V4);
        assert_eq!(
            (
                &again.default_principal,
                &again.credentials,
                again.kdc_offset,
                &again.other_tags
            ),
            (
                &cc.default_principal,
                &cc.credentials,
                cc.kdc_offset,
                &cc.other_tags
            ),
            "ccache round trip"
        );
    }
});
