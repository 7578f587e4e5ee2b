use super::*;

fn entry(name: &str, kvno: u32, enctype: i32, key: &[u8]) -> KeytabEntry {
    KeytabEntry {
        principal: Principal::parse(name),
        timestamp: 1_700_000_000,
        kvno,
        key: Key {
            enctype,
            bytes: Zeroizing::new(key.to_vec()),
        },
    }
}

/// A version 1 file (host byte order, realm counted among the components,
/// no name type, no 32-bit kvno), built field by field.
fn v1_file() -> Vec<u8> {
    let mut rec = Vec::new();
    rec.extend_from_slice(&3u16.to_ne_bytes()); // realm + 2 components
    for s in ["EXAMPLE.TEST", "host", "localhost"] {
        rec.extend_from_slice(&(s.len() as u16).to_ne_bytes());
        rec.extend_from_slice(s.as_bytes());
    }
    rec.extend_from_slice(&1_600_000_000u32.to_ne_bytes());
    rec.push(7);
    rec.extend_from_slice(&17u16.to_ne_bytes());
    rec.extend_from_slice(&16u16.to_ne_bytes());
    rec.extend_from_slice(&[0x11; 16]);
    let mut f = vec![5, 1];
    f.extend_from_slice(&(rec.len() as i32).to_ne_bytes());
    f.extend_from_slice(&rec);
    f
}

#[test]
fn reads_version_1_in_host_byte_order() {
    let kt = Keytab::parse(&v1_file()).unwrap();
    assert_eq!(kt.entries.len(), 1);
    let e = &kt.entries[0];
    assert_eq!(e.principal.to_string(), "host/localhost@EXAMPLE.TEST");
    assert_eq!((e.kvno, e.timestamp, e.key.enctype), (7, 1_600_000_000, 17));
    assert_eq!(&e.key.bytes[..], &[0x11; 16]);
}

#[test]
fn round_trips_version_2_with_the_32_bit_kvno() {
    let kt = Keytab {
        entries: vec![
            entry("host/localhost@EXAMPLE.TEST", 300, 18, &[1; 32]),
            entry("alice@EXAMPLE.TEST", 2, 17, &[2; 16]),
        ],
    };
    let bytes = kt.encode().unwrap();
    assert_eq!(&bytes[..2], &[5, 2]);
    // The 8-bit kvno is the low byte, the 32-bit one closes the record.
    let back = Keytab::parse(&bytes).unwrap();
    assert_eq!(back, kt);
    assert_eq!(back.entries[0].kvno, 300);
}

/// Without the extension, or with it 0, the 8-bit kvno is the kvno.
#[test]
fn kvno_extension_zero_or_absent_keeps_the_8_bit_kvno() {
    let kt = Keytab {
        entries: vec![entry("a@R", 5, 17, &[3; 16])],
    };
    let mut bytes = kt.encode().unwrap().to_vec();
    let n = bytes.len();
    bytes[n - 4..].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(Keytab::parse(&bytes).unwrap().entries[0].kvno, 5);
    // Drop the extension (record length 4 shorter).
    bytes.truncate(n - 4);
    let len = u32::from_be_bytes(bytes[2..6].try_into().unwrap()) - 4;
    bytes[2..6].copy_from_slice(&len.to_be_bytes());
    assert_eq!(Keytab::parse(&bytes).unwrap().entries[0].kvno, 5);
}

/// A deleted entry (negative length, MIT leaves a zero-filled hole) and a
/// record longer than its entry are both read like MIT.
#[test]
fn skips_deleted_entries_and_record_padding() {
    let kt = Keytab {
        entries: vec![entry("a@R", 1, 17, &[4; 16]), entry("b@R", 1, 17, &[5; 16])],
    };
    let bytes = kt.encode().unwrap();
    let first_len = u32::from_be_bytes(bytes[2..6].try_into().unwrap()) as usize;
    let mut holed = bytes.to_vec();
    holed[2..6].copy_from_slice(&(-(first_len as i32)).to_be_bytes());
    holed[6..6 + first_len].fill(0);
    let back = Keytab::parse(&holed).unwrap();
    assert_eq!(back.entries.len(), 1);
    assert_eq!(back.entries[0].principal.to_string(), "b@R");

    // Padding: a record 8 bytes longer than its entry, then the end marker.
    let one = Keytab {
        entries: vec![entry("a@R", 9, 17, &[4; 16])],
    };
    let mut padded = one.encode().unwrap().to_vec();
    let len = u32::from_be_bytes(padded[2..6].try_into().unwrap()) + 8;
    padded[2..6].copy_from_slice(&len.to_be_bytes());
    padded.extend_from_slice(&[0; 8]);
    padded.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(Keytab::parse(&padded).unwrap(), one);
}

/// Every prefix of a valid file either is an error or ends on a record
/// boundary; none panics.
#[test]
fn every_truncation_is_an_error_or_a_record_boundary() {
    let kt = Keytab {
        entries: vec![
            entry("host/h@R", 2, 18, &[1; 32]),
            entry("a@R", 3, 17, &[2; 16]),
        ],
    };
    let bytes = kt.encode().unwrap();
    let first = 6 + u32::from_be_bytes(bytes[2..6].try_into().unwrap()) as usize;
    for cut in 0..bytes.len() {
        match Keytab::parse(&bytes[..cut]) {
            Ok(k) => assert!(
                cut == 2 && k.entries.is_empty() || cut == first && k.entries.len() == 1,
                "cut {cut}"
            ),
            Err(_) => assert!(cut != 2 && cut != first, "cut {cut}"),
        }
    }
    let v1 = v1_file();
    for cut in 3..v1.len() {
        assert!(Keytab::parse(&v1[..cut]).is_err(), "v1 cut {cut}");
    }
    assert_eq!(Keytab::parse(&[5, 3]), Err(FileError::BadVersion(0x0503)));
    assert_eq!(Keytab::parse(&[5]), Err(FileError::Truncated));
}

#[test]
fn find_matches_principal_case_sensitively_and_picks_the_highest_kvno() {
    let kt = Keytab {
        entries: vec![
            entry("host/h@R", 2, 18, &[1; 32]),
            entry("host/h@R", 3, 18, &[2; 32]),
            entry("host/h@R", 3, 17, &[3; 16]),
            entry("HOST/h@R", 9, 18, &[4; 32]),
            entry("host/h@r", 9, 18, &[5; 32]),
        ],
    };
    let p = Principal::parse("host/h@R");
    let kv = |v: Vec<&KeytabEntry>| {
        v.iter()
            .map(|e| (e.kvno, e.key.enctype))
            .collect::<Vec<_>>()
    };
    assert_eq!(kv(kt.find(&p, None, None)), [(3, 18), (3, 17)]);
    assert_eq!(kv(kt.find(&p, Some(2), None)), [(2, 18)]);
    assert_eq!(kv(kt.find(&p, None, Some(17))), [(3, 17)]);
    assert_eq!(kv(kt.find(&p, Some(2), Some(17))), []);
    assert!(kt
        .find(&Principal::parse("host/h@OTHER"), None, None)
        .is_empty());
}

#[test]
fn resolves_keytab_names() {
    assert_eq!(
        resolve_keytab_name("FILE:/a/b").unwrap(),
        PathBuf::from("/a/b")
    );
    assert_eq!(
        resolve_keytab_name("WRFILE:/a/b").unwrap(),
        PathBuf::from("/a/b")
    );
    assert_eq!(resolve_keytab_name("/a/b").unwrap(), PathBuf::from("/a/b"));
    assert_eq!(
        resolve_keytab_name("rel/kt").unwrap(),
        PathBuf::from("rel/kt")
    );
    for bad in ["MEMORY:x", "KDB:", "KEYRING:persistent:0"] {
        assert!(
            matches!(
                resolve_keytab_name(bad),
                Err(FileError::UnsupportedType { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn write_is_atomic_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("opensspi-kt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kt");
    let kt = Keytab {
        entries: vec![entry("a@R", 1, 17, &[6; 16])],
    };
    kt.write(&path).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(Keytab::read(&path).unwrap(), kt);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "no temporary file left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
