use super::*;

fn cred(client: &str, server: &str, enctype: i32, key: &[u8]) -> Credential {
    Credential {
        client: Principal::parse(client),
        server: Principal::parse(server),
        key: Key {
            enctype,
            bytes: Zeroizing::new(key.to_vec()),
        },
        authtime: 1_700_000_000,
        starttime: 1_700_000_001,
        endtime: 1_700_036_000,
        renew_till: 1_700_600_000,
        is_skey: false,
        ticket_flags: 0x50a1_0000,
        addresses: vec![Typed {
            kind: 2,
            data: vec![127, 0, 0, 1],
        }],
        authdata: vec![Typed {
            kind: 1,
            data: vec![0x30, 0],
        }],
        ticket: vec![0x61, 0x03, 0x30, 0x01, 0x00],
        second_ticket: Vec::new(),
    }
}

fn config_entry(key: &str, value: &[u8]) -> Credential {
    let mut c = cred("alice@R", "x@R", 0, &[]);
    c.server = Principal {
        name_type: 0,
        realm: CONF_REALM.into(),
        components: vec![CONF_NAME.into(), key.into()],
    };
    c.key.enctype = 0;
    (
        c.authtime,
        c.starttime,
        c.endtime,
        c.renew_till,
        c.ticket_flags,
    ) = (0, 0, 0, 0, 0);
    c.addresses.clear();
    c.authdata.clear();
    c.ticket = value.to_vec();
    c
}

fn sample() -> Ccache {
    let mut cc = Ccache::new(Principal::parse("alice@R"));
    cc.kdc_offset = Some((-3, 250));
    cc.credentials = vec![
        config_entry("fast_avail", b"yes"),
        cred("alice@R", "krbtgt/R@R", 18, &[7; 32]),
        cred("alice@R", "host/h@R", 17, &[8; 16]),
    ];
    cc
}

/// The start of a version 3 file, built field by field: no header; each
/// keyblock gives the enctype twice.
fn v3_file() -> Vec<u8> {
    fn data(v: &mut Vec<u8>, b: &[u8]) {
        v.extend_from_slice(&(b.len() as u32).to_be_bytes());
        v.extend_from_slice(b);
    }
    fn principal(v: &mut Vec<u8>, realm: &str, comps: &[&str]) {
        v.extend_from_slice(&1u32.to_be_bytes());
        v.extend_from_slice(&(comps.len() as u32).to_be_bytes());
        data(v, realm.as_bytes());
        for c in comps {
            data(v, c.as_bytes());
        }
    }
    let mut f = vec![5, 3];
    principal(&mut f, "R", &["bob"]);
    principal(&mut f, "R", &["bob"]);
    principal(&mut f, "R", &["krbtgt", "R"]);
    f.extend_from_slice(&23u16.to_be_bytes()); // keytype
    f.extend_from_slice(&23u16.to_be_bytes()); // enctype
    data(&mut f, &[9; 16]);
    for t in [10u32, 11, 12, 13] {
        f.extend_from_slice(&t.to_be_bytes());
    }
    f.push(0);
    f.extend_from_slice(&0x4000_0000u32.to_be_bytes());
    f.extend_from_slice(&0u32.to_be_bytes());
    f.extend_from_slice(&0u32.to_be_bytes());
    data(&mut f, &[0x61, 0]);
    data(&mut f, &[]);
    f
}

#[test]
fn reads_version_3() {
    let cc = Ccache::parse(&v3_file()).unwrap();
    assert_eq!(cc.version, CCACHE_V3);
    assert_eq!(cc.kdc_offset, None);
    assert_eq!(cc.default_principal.to_string(), "bob@R");
    let c = &cc.credentials[0];
    assert_eq!(c.server.to_string(), "krbtgt/R@R");
    assert_eq!(c.key.enctype, 23);
    assert_eq!(&c.key.bytes[..], &[9; 16]);
    assert_eq!(
        (c.authtime, c.starttime, c.endtime, c.renew_till),
        (10, 11, 12, 13)
    );
    assert_eq!(c.ticket_flags, 0x4000_0000);
    assert_eq!(c.ticket, [0x61, 0]);
}

/// A version 3 cache keeps its keyblock encoding when a credential is
/// appended, and becomes version 4 when rewritten.
#[test]
fn appends_to_version_3_and_rewrites_as_version_4() {
    let dir = std::env::temp_dir().join(format!("opensspi-cc3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cc");
    std::fs::write(&path, v3_file()).unwrap();
    let extra = cred("bob@R", "host/h@R", 17, &[1; 16]);
    append_credential(&path, &extra).unwrap();
    let cc = Ccache::read(&path).unwrap();
    assert_eq!(cc.credentials.len(), 2);
    assert_eq!(cc.credentials[1], extra);
    cc.write(&path).unwrap();
    let again = Ccache::read(&path).unwrap();
    assert_eq!(again.version, CCACHE_V4);
    assert_eq!(again.credentials, cc.credentials);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn version_4_round_trips_with_header_and_config_entries() {
    let cc = sample();
    let bytes = cc.encode();
    assert_eq!(&bytes[..2], &[5, 4]);
    let back = Ccache::parse(&bytes).unwrap();
    assert_eq!(back, cc);
    assert_eq!(back.kdc_offset, Some((-3, 250)));
    assert_eq!(back.config("fast_avail", None), Some(&b"yes"[..]));
    assert_eq!(back.tickets().count(), 2);
    // Unknown header tags are kept.
    let mut tagged = cc.clone();
    tagged.other_tags.push(Typed {
        kind: 9,
        data: vec![1, 2, 3],
    });
    assert_eq!(Ccache::parse(&tagged.encode()).unwrap(), tagged);
}

/// Every prefix of a valid file either is an error or ends exactly after
/// a credential (or after the default principal); none panics.
#[test]
fn every_truncation_is_an_error_or_a_credential_boundary() {
    let cc = sample();
    let bytes = cc.encode();
    let mut boundaries = vec![cc.encode_head().len()];
    for c in &cc.credentials {
        boundaries.push(boundaries.last().unwrap() + encode_credential(c, CCACHE_V4).len());
    }
    for cut in 0..bytes.len() {
        match Ccache::parse(&bytes[..cut]) {
            Ok(p) => {
                let i = boundaries.iter().position(|b| *b == cut);
                assert_eq!(i, Some(p.credentials.len()), "cut {cut}");
            }
            Err(_) => assert!(!boundaries.contains(&cut), "cut {cut}"),
        }
    }
    let v3 = v3_file();
    for cut in 0..v3.len() {
        let ok = Ccache::parse(&v3[..cut]).is_ok();
        assert_eq!(ok, cut == 2 + 4 + 4 + 5 + 7, "v3 cut {cut}");
    }
    assert_eq!(Ccache::parse(&[5, 2]), Err(FileError::BadVersion(0x0502)));
}

#[test]
fn hostile_counts_are_errors_not_allocations() {
    let mut f = vec![5, 4, 0, 0];
    f.extend_from_slice(&1u32.to_be_bytes());
    f.extend_from_slice(&u32::MAX.to_be_bytes()); // components
    f.extend_from_slice(&1u32.to_be_bytes());
    f.push(b'R');
    assert_eq!(Ccache::parse(&f), Err(FileError::Truncated));
    // A header whose tag runs past the header length.
    let g = [5, 4, 0, 4, 0, 1, 0, 8];
    assert_eq!(Ccache::parse(&g), Err(FileError::Truncated));
}

#[test]
fn resolves_cache_names() {
    let loc = |n: &str| resolve_ccache_name(n).map(|l| l.path);
    assert_eq!(loc("FILE:/tmp/x").unwrap(), PathBuf::from("/tmp/x"));
    assert_eq!(loc("/tmp/y").unwrap(), PathBuf::from("/tmp/y"));
    let d = resolve_ccache_name("DIR::/run/cc/tktABC").unwrap();
    assert_eq!(d.path, PathBuf::from("/run/cc/tktABC"));
    assert_eq!(d.collection, Some(PathBuf::from("/run/cc")));
    for bad in ["KEYRING:persistent:1000", "KCM:1000", "MEMORY:x", "API:y"] {
        match resolve_ccache_name(bad) {
            Err(FileError::UnsupportedType { name, .. }) => assert_eq!(name, bad),
            other => panic!("{bad}: {other:?}"),
        }
    }

    let dir = std::env::temp_dir().join(format!("opensspi-ccdir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("DIR:{}", dir.display());
    assert_eq!(loc(&name).unwrap(), dir.join("tkt"), "no primary: tkt");
    std::fs::write(dir.join("primary"), "tktXYZ\n").unwrap();
    let l = resolve_ccache_name(&name).unwrap();
    assert_eq!(
        (l.path, l.collection),
        (dir.join("tktXYZ"), Some(dir.clone()))
    );
    std::fs::write(dir.join("primary"), "../../etc/passwd\n").unwrap();
    assert!(
        resolve_ccache_name(&name).is_err(),
        "primary must name a tkt file in the directory"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
