use super::*;

#[test]
fn durations() {
    for (text, secs) in [
        ("36000", 36_000),
        ("10h", 36_000),
        ("1d", 86_400),
        ("1h30m", 5_400),
        ("1d 2h 3m 4s", 93_784),
        ("10:00:00", 36_000),
        ("1:30", 5_400),
        ("1d 1:00:01", 90_001),
        ("45s", 45),
        (" 5m ", 300),
    ] {
        assert_eq!(parse_duration(text), Some(secs), "{text}");
    }
    for bad in [
        "",
        "h",
        "10x",
        "1h1d",
        "1h1h",
        "1:60",
        "1:2:3:4",
        "-5",
        "99999999999d",
        "1h 1:00",
    ] {
        assert_eq!(parse_duration(bad), None, "{bad}");
    }
}

#[test]
fn booleans() {
    for t in ["true", "YES", "y", "1", "on", "t"] {
        assert_eq!(parse_boolean(t), Some(true), "{t}");
    }
    for f in ["false", "No", "n", "0", "off", "nil"] {
        assert_eq!(parse_boolean(f), Some(false), "{f}");
    }
    assert_eq!(parse_boolean("maybe"), None);
}

#[test]
fn enctype_lists() {
    let l = |t: &str, weak: bool| parse_enctype_list(t, weak).0;
    assert_eq!(l("DEFAULT", false), [18, 17, 20, 19]);
    assert_eq!(l("DEFAULT", true), [18, 17, 20, 19, 23]);
    assert_eq!(l("aes256-cts aes128-cts", false), [18, 17]);
    assert_eq!(l("DEFAULT -aes128-sha2, -aes256-sha2", false), [18, 17]);
    assert_eq!(
        l("aes -aes-sha1 rc4", false),
        [20, 19, 23],
        "rc4 explicitly listed stays"
    );
    assert_eq!(l("18 23", false), [18, 23]);
    assert_eq!(
        l("des-cbc-crc des aes256-sha1", false),
        [18],
        "single DES only with allow_weak_crypto"
    );
    assert_eq!(l("des aes256-sha1", true), [1, 3, 2, 18]);
    assert_eq!(l("ARCFOUR-HMAC-MD5 +camellia", false), [23, 26, 25]);
    let (list, unknown) = parse_enctype_list("aes256-cts bogus-type", false);
    assert_eq!((list, unknown), (vec![18], vec!["bogus-type".to_string()]));
    assert_eq!(enctype_name(18), Some("aes256-cts-hmac-sha1-96"));
    assert_eq!(enctype_name(23), Some("arcfour-hmac"));
}

const SAMPLE: &str = "\
# leading comment
stray line before any section
[libdefaults]
    default_realm = EXAMPLE.TEST
    ; a comment
    clockskew = 5m
    ticket_lifetime = 10h
    renew_lifetime = 7d
    forwardable = yes
    udp_preference_limit = 1
    dns_canonicalize_hostname = fallback
    rdns = false
    default_tgs_enctypes = aes256-cts-hmac-sha1-96 rc4-hmac

[realms]
    EXAMPLE.TEST = {
        kdc = kdc1.example.test:18888
        kdc = kdc2.example.test
        kdc = [::1]:750
        admin_server = kdc1.example.test
        sub = {
            deep = \"quoted \\\"value\\\"\"
        }
    }
    OTHER.TEST =
    {
        kdc = other:88
    }

[domain_realm]
    .example.test = EXAMPLE.TEST
    example.test = EXAMPLE.TEST
    host.other.test = OTHER.TEST
    .other.test = EXAMPLE.TEST
";

#[test]
fn typed_view_of_a_sample() {
    let c = Krb5Config::parse(SAMPLE, "sample");
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(c.default_realm.as_deref(), Some("EXAMPLE.TEST"));
    assert_eq!(
        (c.clockskew, c.ticket_lifetime, c.renew_lifetime),
        (300, 36_000, 604_800)
    );
    assert!(c.forwardable && !c.rdns);
    assert_eq!(c.udp_preference_limit, 1);
    assert_eq!(c.dns_canonicalize_hostname, Canonicalize::Fallback);
    assert_eq!(c.default_tgs_enctypes, [18, 23]);
    assert_eq!(
        c.default_tkt_enctypes,
        [18, 17, 20, 19],
        "defaults to permitted_enctypes"
    );
    let kdcs = c.kdcs("EXAMPLE.TEST");
    let hp: Vec<(&str, u16)> = kdcs.iter().map(|k| (k.host.as_str(), k.port)).collect();
    assert_eq!(
        hp,
        [
            ("kdc1.example.test", 18888),
            ("kdc2.example.test", 88),
            ("::1", 750)
        ]
    );
    assert_eq!(c.kdcs("OTHER.TEST")[0].host, "other");
    assert_eq!(
        c.profile.value(&["realms", "EXAMPLE.TEST", "sub", "deep"]),
        Some("quoted \"value\"")
    );
    assert_eq!(
        c.realm_for_host("a.b.example.test").as_deref(),
        Some("EXAMPLE.TEST")
    );
    assert_eq!(
        c.realm_for_host("EXAMPLE.TEST.").as_deref(),
        Some("EXAMPLE.TEST")
    );
    assert_eq!(
        c.realm_for_host("host.other.test").as_deref(),
        Some("OTHER.TEST"),
        "exact host first"
    );
    assert_eq!(
        c.realm_for_host("x.other.test").as_deref(),
        Some("EXAMPLE.TEST")
    );
    assert_eq!(c.realm_for_host("elsewhere.org"), None);
}

#[test]
fn defaults_of_an_empty_file() {
    let c = Krb5Config::parse("", "empty");
    assert_eq!(c.default_realm, None);
    assert_eq!(
        (c.clockskew, c.ticket_lifetime, c.renew_lifetime),
        (300, 86_400, 0)
    );
    assert_eq!(c.udp_preference_limit, 1465);
    assert!(!c.forwardable && !c.allow_weak_crypto && c.rdns);
    assert_eq!(c.dns_canonicalize_hostname, Canonicalize::Yes);
    for l in [
        &c.permitted_enctypes,
        &c.default_tgs_enctypes,
        &c.default_tkt_enctypes,
    ] {
        assert_eq!(l, &DEFAULT_ENCTYPES);
    }
    let weak = Krb5Config::parse("[libdefaults]\nallow_weak_crypto = true\n", "w");
    assert_eq!(weak.permitted_enctypes, [18, 17, 20, 19, 23]);
}

#[test]
fn malformed_lines_are_skipped_with_file_and_line() {
    let text = "[libdefaults]\n  default_realm = R\n  no equals sign\n}\n  clockskew = soon\n[realms\n[realms]\n  R = {\n    kdc = k\n";
    let c = Krb5Config::parse(text, "bad.conf");
    assert_eq!(c.default_realm.as_deref(), Some("R"));
    assert_eq!(c.clockskew, 300);
    let w = c.warnings();
    assert!(w.iter().any(|w| w.starts_with("bad.conf:3:")), "{w:?}");
    assert!(w.iter().any(|w| w.starts_with("bad.conf:4:")), "{w:?}");
    assert!(w.iter().any(|w| w.starts_with("bad.conf:6:")), "{w:?}");
    assert!(
        w.iter().any(|w| w.starts_with("bad.conf:5: clockskew")),
        "{w:?}"
    );
    assert_eq!(
        c.kdcs("R")[0].host,
        "k",
        "an unclosed subsection keeps its relations"
    );
}

#[test]
fn includes_finality_and_file_order() {
    let dir = std::env::temp_dir().join(format!("opensspi-krb5conf-{}", std::process::id()));
    let confd = dir.join("conf.d");
    std::fs::create_dir_all(&confd).unwrap();
    let first = dir.join("first.conf");
    let second = dir.join("second.conf");
    std::fs::write(
        &first,
        format!(
            "include {}\nincludedir {}\n[libdefaults]*\n  default_realm = FIRST\n[realms]\n  A = {{\n    kdc = a1\n  }}\n",
            dir.join("inc.conf").display(),
            confd.display()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("inc.conf"), "[domain_realm]\n  .inc = INC\n").unwrap();
    std::fs::write(confd.join("10-x.conf"), "[domain_realm]\n  .x = X\n").unwrap();
    std::fs::write(confd.join(".hidden"), "[domain_realm]\n  .h = H\n").unwrap();
    std::fs::write(confd.join("bad~name"), "[domain_realm]\n  .b = B\n").unwrap();
    std::fs::write(
        &second,
        "[libdefaults]\n  default_realm = SECOND\n  clockskew = 60\n[realms]\n  A = {\n    kdc = a2\n  }*\n  A = {\n    kdc = a3\n  }\n",
    )
    .unwrap();
    let third = dir.join("third.conf");
    std::fs::write(&third, "[realms]\n  A = {\n    kdc = a4\n  }\n").unwrap();
    let missing = dir.join("missing.conf");
    let (p, files) = Profile::load(&[
        first.clone(),
        missing.clone(),
        second.clone(),
        third.clone(),
    ]);
    let c = Krb5Config::from_profile(p);
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(c.default_realm.as_deref(), Some("FIRST"));
    assert_eq!(
        c.clockskew, 300,
        "[libdefaults]* of the first file is final"
    );
    let kdcs: Vec<String> = c.kdcs("A").into_iter().map(|k| k.host).collect();
    assert_eq!(
        kdcs,
        ["a1", "a2", "a3"],
        "the second file's A is final: the third adds nothing"
    );
    assert_eq!(c.realm_for_host("h.inc").as_deref(), Some("INC"));
    assert_eq!(c.realm_for_host("h.x").as_deref(), Some("X"));
    assert_eq!(c.realm_for_host("z.h"), None, "dot files are not included");
    assert_eq!(
        c.realm_for_host("z.b"),
        None,
        "names with other characters are not included"
    );
    for f in [
        &first,
        &dir.join("inc.conf"),
        &confd,
        &confd.join("10-x.conf"),
        &missing,
        &second,
    ] {
        assert!(files.contains(f), "{} watched", f.display());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_including_itself_stops() {
    let dir = std::env::temp_dir().join(format!("opensspi-krb5loop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("loop.conf");
    std::fs::write(
        &f,
        format!(
            "include {}\n[libdefaults]\n default_realm = L\n",
            f.display()
        ),
    )
    .unwrap();
    let (p, _) = Profile::load(std::slice::from_ref(&f));
    let c = Krb5Config::from_profile(p);
    assert_eq!(c.default_realm.as_deref(), Some("L"));
    assert!(
        c.warnings().iter().any(|w| w.contains("nested")),
        "{:?}",
        c.warnings()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut state = 0x1234_5678_u32;
    let alphabet = b"[]{}=*#; \n\tabcAB.:\"\\-0123includedir/";
    for _ in 0..2000 {
        let len = (state % 200) as usize;
        let text: String = (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                alphabet[(state >> 16) as usize % alphabet.len()] as char
            })
            .collect();
        let c = Krb5Config::parse(&text, "random");
        let _ = c.realm_for_host("a.b.c");
        let _ = c.kdcs("A");
    }
}

#[test]
fn path_tokens() {
    let uid = crate::packages::kerberos::filecodec::real_uid();
    assert_eq!(
        expand_path_tokens("FILE:/tmp/krb5cc_%{uid}").unwrap(),
        format!("FILE:/tmp/krb5cc_{uid}")
    );
    assert_eq!(expand_path_tokens("a%{null}b").unwrap(), "ab");
    assert_eq!(
        expand_path_tokens("/etc/krb5.keytab").unwrap(),
        "/etc/krb5.keytab"
    );
    assert!(expand_path_tokens("KEYRING:persistent:%{bogus}").is_err());
    assert!(expand_path_tokens("x%{uid").is_err());
}
