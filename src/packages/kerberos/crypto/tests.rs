//! Round trips for every etype and usage, and the attacks the integrity
//! checks must stop: altered, truncated or extended ciphertexts, another
//! key, another usage, altered checksums; malformed inputs never panic.

use super::*;

const ALL: [EncryptionType; 5] = [
    EncryptionType::Aes128CtsHmacSha196,
    EncryptionType::Aes256CtsHmacSha196,
    EncryptionType::Aes128CtsHmacSha256128,
    EncryptionType::Aes256CtsHmacSha384192,
    EncryptionType::Rc4Hmac,
];

/// Lengths around the AES block boundaries (0 and 16 are the one-block and
/// two-whole-blocks cases once the confounder is added).
const LENGTHS: [usize; 10] = [0, 1, 15, 16, 17, 31, 32, 33, 64, 100];

fn test_key(etype: EncryptionType, seed: u8) -> Key {
    let bytes: Vec<u8> = (0..etype.key_len() as u8).map(|i| i ^ seed).collect();
    Key::new(etype, &bytes).unwrap()
}

fn plaintext(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn round_trip_every_etype_usage_and_length() {
    for etype in ALL {
        let key = test_key(etype, 0x5a);
        for usage in 0..=25 {
            let dk = DerivedKeys::new(&key, usage).unwrap();
            for n in LENGTHS {
                let p = plaintext(n);
                let c = dk.encrypt(&p).unwrap();
                assert_eq!(c.len(), etype.encrypted_len(n));
                assert_eq!(etype.plaintext_len(c.len()), Some(n));
                assert_eq!(*dk.decrypt(&c).unwrap(), p, "{etype:?} {usage} {n}");
                assert_eq!(*decrypt(&key, usage, &c).unwrap(), p);
            }
        }
    }
}

#[test]
fn in_place_matches_the_vec_api() {
    for etype in ALL {
        let key = test_key(etype, 1);
        let dk = DerivedKeys::new(&key, usage::KG_USAGE_INITIATOR_SEAL).unwrap();
        let confounder = vec![0xc0; etype.confounder_len()];
        for n in LENGTHS {
            let p = plaintext(n);
            let mut buf = vec![0u8; etype.encrypted_len(n)];
            let at = etype.plaintext_offset();
            buf[at..at + n].copy_from_slice(&p);
            dk.encrypt_in_place(&confounder, &mut buf).unwrap();
            let expected =
                encrypt_with_confounder(&key, usage::KG_USAGE_INITIATOR_SEAL, &confounder, &p);
            assert_eq!(buf, expected.unwrap());
            let range = dk.decrypt_in_place(&mut buf).unwrap();
            assert_eq!(range, at..at + n);
            assert_eq!(&buf[range], &p[..]);
        }
    }
}

#[test]
fn random_confounders_differ() {
    for etype in ALL {
        let key = random_key(etype).unwrap();
        assert_ne!(key, random_key(etype).unwrap());
        let a = encrypt(&key, usage::AP_REQ_AUTH, b"same").unwrap();
        let b = encrypt(&key, usage::AP_REQ_AUTH, b"same").unwrap();
        assert_ne!(a, b, "{etype:?}");
    }
}

#[test]
fn altered_ciphertext_is_rejected() {
    for etype in ALL {
        let key = test_key(etype, 2);
        for n in [0, 5, 16, 40] {
            let c = encrypt(&key, usage::KRB_PRIV_ENC_PART, &plaintext(n)).unwrap();
            for i in 0..c.len() {
                for bit in [0x01, 0x80] {
                    let mut t = c.clone();
                    t[i] ^= bit;
                    assert_eq!(
                        decrypt(&key, usage::KRB_PRIV_ENC_PART, &t).unwrap_err(),
                        CryptoError::IntegrityCheckFailed,
                        "{etype:?} len {n} byte {i}"
                    );
                }
            }
        }
    }
}

#[test]
fn truncated_or_extended_ciphertext_is_rejected() {
    for etype in ALL {
        let key = test_key(etype, 3);
        let dk = DerivedKeys::new(&key, usage::AP_REP_ENC_PART).unwrap();
        let c = dk.encrypt(&plaintext(40)).unwrap();
        let min = etype.encrypted_len(0);
        for len in 0..c.len() {
            let err = dk.decrypt(&c[..len]).unwrap_err();
            if len < min {
                assert_eq!(err, CryptoError::CiphertextTooShort, "{etype:?} {len}");
            } else {
                assert_eq!(err, CryptoError::IntegrityCheckFailed, "{etype:?} {len}");
            }
            // Dropping bytes from the front instead of the end.
            assert!(dk.decrypt(&c[c.len() - len..]).is_err());
        }
        let mut longer = c.clone();
        longer.push(0);
        assert_eq!(
            dk.decrypt(&longer).unwrap_err(),
            CryptoError::IntegrityCheckFailed
        );
    }
}

#[test]
fn wrong_key_or_usage_is_rejected() {
    for etype in ALL {
        let key = test_key(etype, 4);
        let other = test_key(etype, 5);
        let c = encrypt(&key, usage::AS_REP_ENC_PART, b"enc-part").unwrap();
        assert_eq!(
            decrypt(&other, usage::AS_REP_ENC_PART, &c).unwrap_err(),
            CryptoError::IntegrityCheckFailed
        );
        assert_eq!(
            decrypt(&key, usage::KDC_REP_TICKET, &c).unwrap_err(),
            CryptoError::IntegrityCheckFailed
        );
    }
}

/// A failed check leaves no decrypted bytes in the caller's buffer.
#[test]
fn failed_decryption_in_place_wipes_the_plaintext() {
    for etype in ALL {
        let key = test_key(etype, 6);
        let dk = DerivedKeys::new(&key, usage::KRB_CRED_ENC_PART).unwrap();
        let p = vec![0x41u8; 48];
        let mut c = dk.encrypt(&p).unwrap();
        let last = c.len() - 1;
        c[last] ^= 1;
        assert!(dk.decrypt_in_place(&mut c).is_err());
        assert!(!c.windows(8).any(|w| w == [0x41; 8]), "{etype:?}");
    }
}

/// rc4-hmac maps usage 3 and 9 to 8 and 23 to 13 (RFC 4757 §3); the AES
/// etypes keep the usages apart.
#[test]
fn rc4_usage_mapping() {
    let key = test_key(EncryptionType::Rc4Hmac, 7);
    for (from, to) in [(3, 8), (9, 8), (23, 13)] {
        let c = encrypt(&key, from, b"mapped").unwrap();
        assert_eq!(*decrypt(&key, to, &c).unwrap(), b"mapped");
        let s = checksum(&key, from, b"data").unwrap();
        verify_checksum(&key, to, b"data", &s).unwrap();
    }
    let aes = test_key(EncryptionType::Aes256CtsHmacSha196, 7);
    let c = encrypt(&aes, 3, b"mapped").unwrap();
    assert!(decrypt(&aes, 8, &c).is_err());
}

#[test]
fn checksums_detect_changes() {
    for etype in ALL {
        let key = test_key(etype, 8);
        let data = b"authenticator checksum input";
        let c = checksum(&key, usage::AP_REQ_AUTH_CKSUM, data).unwrap();
        assert_eq!(c.len(), etype.checksum_len());
        assert_eq!(c.len(), key.checksum_type().size());
        verify_checksum(&key, usage::AP_REQ_AUTH_CKSUM, data, &c).unwrap();
        let bad = CryptoError::IntegrityCheckFailed;
        let mut altered = data.to_vec();
        altered[0] ^= 1;
        assert_eq!(
            verify_checksum(&key, usage::AP_REQ_AUTH_CKSUM, &altered, &c),
            Err(bad)
        );
        for i in 0..c.len() {
            let mut t = c.to_vec();
            t[i] ^= 0x10;
            assert_eq!(
                verify_checksum(&key, usage::AP_REQ_AUTH_CKSUM, data, &t),
                Err(bad)
            );
        }
        assert_eq!(
            verify_checksum(&key, usage::AP_REQ_AUTH_CKSUM, data, &c[..c.len() - 1]),
            Err(bad)
        );
        assert_eq!(
            verify_checksum(&key, usage::AP_REQ_AUTH_CKSUM, data, &[]),
            Err(bad)
        );
        assert_eq!(
            verify_checksum(&key, usage::KRB_SAFE_CKSUM, data, &c),
            Err(bad)
        );
        assert_eq!(
            verify_checksum(&test_key(etype, 9), usage::AP_REQ_AUTH_CKSUM, data, &c),
            Err(bad)
        );
        // Parts are hashed as their concatenation.
        let dk = DerivedKeys::new(&key, usage::AP_REQ_AUTH_CKSUM).unwrap();
        assert_eq!(dk.checksum(&[&data[..5], &data[5..]]), c);
    }
}

#[test]
fn bad_lengths_are_errors() {
    for etype in ALL {
        assert_eq!(
            Key::new(etype, &vec![0; etype.key_len() + 1]).unwrap_err(),
            CryptoError::InvalidKeyLength
        );
        assert_eq!(
            random_to_key(etype, &[]).unwrap_err(),
            CryptoError::InvalidKeyLength
        );
        let dk = DerivedKeys::new(&test_key(etype, 10), 1).unwrap();
        let conf = vec![0; etype.confounder_len()];
        assert_eq!(
            dk.encrypt_with_confounder(&conf[1..], b"x").unwrap_err(),
            CryptoError::InvalidConfounderLength
        );
        for len in 0..etype.encrypted_len(0) {
            let mut buf = vec![0; len];
            assert_eq!(
                dk.encrypt_in_place(&conf, &mut buf).unwrap_err(),
                CryptoError::BufferLength
            );
        }
    }
}

#[test]
fn s2kparams_are_checked() {
    let aes = EncryptionType::Aes128CtsHmacSha196;
    let bad = Err(CryptoError::BadS2kParams);
    for params in [
        &[0, 0, 0, 0][..],
        &[0x01, 0, 0, 1],
        &[0xff; 4],
        &[0, 0, 1],
        &[0; 5],
    ] {
        assert_eq!(string_to_key(aes, "pw", b"salt", Some(params)), bad);
        assert_eq!(
            string_to_key(
                EncryptionType::Aes256CtsHmacSha384192,
                "pw",
                b"s",
                Some(params)
            ),
            bad
        );
    }
    assert_eq!(
        string_to_key(EncryptionType::Rc4Hmac, "pw", b"", Some(&[0, 0, 16, 0])),
        bad
    );
    // Empty parameters mean the default count.
    assert_eq!(
        string_to_key(aes, "pw", b"salt", Some(&[])),
        string_to_key(aes, "pw", b"salt", Some(&4096u32.to_be_bytes()))
    );
}

#[test]
fn rc4_has_no_derived_keys_or_prf() {
    let key = test_key(EncryptionType::Rc4Hmac, 11);
    assert_eq!(
        derive_key(&key, 1, KeyKind::Ke).unwrap_err(),
        CryptoError::Unsupported
    );
    assert_eq!(prf(&key, b"x").unwrap_err(), CryptoError::Unsupported);
}

#[test]
fn derived_key_cache_reuses_and_bounds() {
    let key = test_key(EncryptionType::Aes256CtsHmacSha196, 12);
    let mut cache = DerivedKeyCache::new(key.clone());
    let c = cache
        .get(usage::KG_USAGE_ACCEPTOR_SEAL)
        .unwrap()
        .encrypt(b"gss")
        .unwrap();
    for u in 0..20 {
        assert_eq!(cache.get(u).unwrap().usage(), u);
    }
    let p = cache
        .get(usage::KG_USAGE_ACCEPTOR_SEAL)
        .unwrap()
        .decrypt(&c)
        .unwrap();
    assert_eq!(*p, b"gss");
    assert!(format!("{cache:?}").len() < 200);
}

#[test]
fn debug_never_shows_key_bytes() {
    let key = Key::new(EncryptionType::Aes128CtsHmacSha196, &[0xab; 16]).unwrap();
    let dk = DerivedKeys::new(&key, 1).unwrap();
    let cache = DerivedKeyCache::new(key.clone());
    for s in [format!("{key:?}"), format!("{dk:?}"), format!("{cache:?}")] {
        assert!(
            !s.to_lowercase().contains("ab, ") && !s.contains("171"),
            "{s}"
        );
        assert!(!s.contains("abab"), "{s}");
    }
}

#[test]
fn etype_and_checksum_numbers() {
    for etype in ALL {
        assert_eq!(EncryptionType::from_i32(etype.as_i32()), Ok(etype));
        assert_eq!(EncryptionType::from_name(etype.name()), Some(etype));
        let ck = etype.checksum_type();
        assert_eq!(ChecksumType::from_i32(ck.as_i32()), Some(ck));
        assert_eq!(ck.etype(), etype);
    }
    assert_eq!(
        EncryptionType::from_i32(16),
        Err(CryptoError::UnsupportedEtype(16))
    );
    let numbers: Vec<i32> = ALL.iter().map(|e| e.checksum_type().as_i32()).collect();
    assert_eq!(numbers, [15, 16, 19, 20, -138]);
}

/// The CBC + CbcCs3 composition equals `cts::CbcCs3` over the whole message
/// for every length above one block (one block is plain CBC, RFC 3962 §5),
/// and hands a MAC exactly the plaintext or the ciphertext.
#[test]
fn aes_cts_matches_the_cts_crate_at_every_length() {
    use aes::cipher::{BlockCipherEncrypt, InnerIvInit, KeyInit};
    use cts::{CbcCs3, Encrypt};
    let cipher = aes::Aes256::new(&[7u8; 32].into());
    for len in 16..=300 {
        let p = plaintext(len);
        let mut ours = p.clone();
        aes_cts::encrypt(&cipher, &mut ours).unwrap();
        let mut reference = p.clone();
        if len == 16 {
            cipher.encrypt_block((&mut reference[..]).try_into().unwrap());
        } else {
            CbcCs3::<&aes::Aes256>::inner_iv_init(&cipher, &Default::default())
                .encrypt(&mut reference)
                .unwrap();
        }
        assert_eq!(ours, reference, "{len}");
        // One pass with the MAC: it sees the whole plaintext (RFC 3962) or
        // the whole ciphertext (RFC 8009), in order, and the ciphertext is
        // the same.
        for (when, expected) in [
            (aes_cts::Absorb::Plaintext, &p),
            (aes_cts::Absorb::Ciphertext, &reference),
        ] {
            let mut seen = Vec::new();
            let mut buf = p.clone();
            aes_cts::encrypt_absorbing(&cipher, &mut buf, when, |b| seen.extend_from_slice(b))
                .unwrap();
            assert_eq!(&buf, &reference, "{when:?} {len}");
            assert_eq!(&seen, expected, "{when:?} {len}");
        }
        aes_cts::decrypt(&cipher, &mut ours).unwrap();
        assert_eq!(ours, p, "{len}");
    }
    for len in 0..16 {
        assert!(aes_cts::encrypt(&cipher, &mut vec![0; len]).is_err());
        assert!(aes_cts::decrypt(&cipher, &mut vec![0; len]).is_err());
    }
}

/// The table of n-folded DK constants gives what n-fold computes, for the
/// usages in it and past it.
#[test]
fn folded_usage_constants_are_the_n_fold() {
    use super::aes_sha1::{folded_usage_constant, usage_constant};
    for usage in (0..80).chain([1000, u32::MAX]) {
        for kind in [KeyKind::Kc, KeyKind::Ke, KeyKind::Ki] {
            assert_eq!(
                folded_usage_constant(usage, kind)[..],
                n_fold(&usage_constant(usage, kind), 16)[..],
                "usage {usage} {kind:?}"
            );
        }
    }
}

/// HMAC keyed with the zero-padded block equals HMAC keyed with the key.
#[test]
fn hmac_keyed_equals_hmac_of_the_key() {
    use hmac::{Hmac, KeyInit, Mac};
    fn check<D: hmac::EagerHash>(max: usize) {
        for len in 0..=max {
            let key: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37) ^ 0x5c).collect();
            let mut a: Hmac<D> = super::hmac_keyed(&key);
            let mut b = <Hmac<D> as KeyInit>::new_from_slice(&key).unwrap();
            a.update(b"message");
            b.update(b"message");
            assert_eq!(
                a.finalize().into_bytes(),
                b.finalize().into_bytes(),
                "len {len}"
            );
        }
    }
    check::<sha1::Sha1>(64);
    check::<sha2::Sha256>(64);
    check::<sha2::Sha384>(128);
}

/// Clones of a key share the derived keys of the AP exchange's usages (a
/// cached ticket derives them once); other usages are derived per call; a
/// ciphertext made through the shared keys opens with a fresh key of the
/// same bytes and not under another usage.
#[test]
fn clones_share_the_ap_usages_derived_keys() {
    for etype in ALL {
        let k = test_key(etype, 3);
        let c = k.clone();
        let a: *const DerivedKeys = k.shared_derived(usage::AP_REQ_AUTH).unwrap().unwrap();
        let b: *const DerivedKeys = c.shared_derived(usage::AP_REQ_AUTH).unwrap().unwrap();
        assert_eq!(a, b);
        assert!(k.shared_derived(usage::KRB_CRED_ENC_PART).is_none());
        let ct = encrypt(&c, usage::AP_REQ_AUTH, b"authenticator").unwrap();
        let fresh = Key::new(etype, k.as_bytes()).unwrap();
        assert_eq!(
            &decrypt(&fresh, usage::AP_REQ_AUTH, &ct).unwrap()[..],
            b"authenticator"
        );
        assert!(decrypt(&k, usage::AP_REP_ENC_PART, &ct).is_err());
    }
}
