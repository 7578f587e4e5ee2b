//! The krb5.conf profile parser and typed view (`packages::kerberos::config`)
//! on arbitrary text. `include`/`includedir` are renamed first so the
//! target reads no files.
//! Seeds (fuzz/seeds/krb5_conf/): the krb5.conf and kdc.conf that
//! tests/peers/setup-kdc.sh writes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::config::{parse_duration, parse_enctype_list, Krb5Config};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).replace("include", "xnclude");
    let c = Krb5Config::parse(&text, "fuzz");
    for realm in c.profile.names(&["realms"]).into_iter().take(8) {
        let _ = c.kdcs(realm);
    }
    for host in c.profile.names(&["domain_realm"]).into_iter().take(8) {
        let _ = c.realm_for_host(host);
    }
    let _ = c.realm_for_host("a.b.example.test.");
    let _ = parse_duration(&text);
    let _ = parse_enctype_list(&text, false);
});
