//! Every Kerberos known-answer vector of `tests/vectors/` (see its README),
//! recomputed with this module's code.

use serde_json::Value;

use super::*;

const NFOLD: &str = include_str!("../../../../tests/vectors/rfc3961-nfold.json");
const S2K_3962: &str = include_str!("../../../../tests/vectors/rfc3962-string-to-key.json");
const CTS_3962: &str = include_str!("../../../../tests/vectors/rfc3962-aes-cts.json");
const AES_SHA2: &str = include_str!("../../../../tests/vectors/rfc8009-aes-sha2.json");
const AES_SHA1: &str = include_str!("../../../../tests/vectors/krb5-aes-sha1-kat.json");
const RC4_HMAC: &str = include_str!("../../../../tests/vectors/krb5-rc4-hmac.json");

fn load(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

/// The entries of `section`, asserting there are `count` of them (so a
/// vector file that loses entries fails here).
fn entries<'a>(v: &'a Value, section: &str, count: usize) -> &'a [Value] {
    let list = v[section].as_array().unwrap();
    assert_eq!(list.len(), count, "{section}");
    list
}

fn h(e: &Value, field: &str) -> Vec<u8> {
    hex::decode(e[field].as_str().unwrap()).unwrap()
}

fn etype(e: &Value) -> EncryptionType {
    EncryptionType::from_name(e["enctype"].as_str().unwrap()).unwrap()
}

fn key(e: &Value, field: &str, etype: EncryptionType) -> Key {
    Key::new(etype, &h(e, field)).unwrap()
}

fn usage_of(e: &Value) -> u32 {
    e["usage"].as_u64().unwrap() as u32
}

fn kind_of(e: &Value) -> KeyKind {
    match e["name"].as_str().unwrap() {
        "Kc" => KeyKind::Kc,
        "Ke" => KeyKind::Ke,
        "Ki" => KeyKind::Ki,
        other => panic!("{other}"),
    }
}

#[test]
fn rfc3961_n_fold() {
    let v = load(NFOLD);
    for e in entries(&v, "vectors", 11) {
        let bits = e["bits"].as_u64().unwrap() as usize;
        assert_eq!(
            n_fold(&h(e, "input_hex"), bits / 8),
            h(e, "expected"),
            "{e}"
        );
    }
}

#[test]
fn rfc3962_string_to_key() {
    let v = load(S2K_3962);
    for e in entries(&v, "vectors", 7) {
        let password = e["passphrase"].as_str().unwrap();
        assert_eq!(password.as_bytes(), h(e, "passphrase_hex"));
        let salt = h(e, "salt_hex");
        let params = h(e, "s2kparams");
        for (etype, field) in [
            (EncryptionType::Aes128CtsHmacSha196, "aes128_key"),
            (EncryptionType::Aes256CtsHmacSha196, "aes256_key"),
        ] {
            let k = string_to_key(etype, password, &salt, Some(&params)).unwrap();
            assert_eq!(k.as_bytes(), h(e, field), "{field} {e}");
        }
    }
}

#[test]
fn rfc3962_aes_cts() {
    let v = load(CTS_3962);
    let k = hex::decode(v["key"].as_str().unwrap()).unwrap();
    assert_eq!(v["iv"].as_str().unwrap(), "0".repeat(32));
    let cipher: aes::Aes128 = aes_cts::cipher(&k).unwrap();
    for e in entries(&v, "vectors", 6) {
        let mut buf = h(e, "input");
        assert_eq!(buf.len() as u64, e["length"].as_u64().unwrap());
        aes_cts::encrypt(&cipher, &mut buf).unwrap();
        assert_eq!(buf, h(e, "output"), "{e}");
        aes_cts::decrypt(&cipher, &mut buf).unwrap();
        assert_eq!(buf, h(e, "input"));
    }
}

/// Encryptions with a given confounder, then decryption of the result.
fn check_encryption(e: &Value, etype: EncryptionType) {
    let k = key(e, "key", etype);
    let usage = usage_of(e);
    let plaintext = h(e, "plaintext");
    let ciphertext = h(e, "ciphertext");
    let c = encrypt_with_confounder(&k, usage, &h(e, "confounder"), &plaintext).unwrap();
    assert_eq!(hex::encode(&c), hex::encode(&ciphertext), "{e}");
    assert_eq!(*decrypt(&k, usage, &ciphertext).unwrap(), plaintext);
}

fn check_decryption(e: &Value, etype: EncryptionType) {
    let k = key(e, "key", etype);
    let p = decrypt(&k, usage_of(e), &h(e, "ciphertext")).unwrap();
    assert_eq!(*p, h(e, "plaintext"), "{e}");
}

fn check_checksum(e: &Value, etype: EncryptionType) {
    let k = key(e, "key", etype);
    let usage = usage_of(e);
    let data = h(e, "plaintext");
    let c = checksum(&k, usage, &data).unwrap();
    assert_eq!(hex::encode(&c[..]), e["expected"].as_str().unwrap(), "{e}");
    assert_eq!(c.len(), k.checksum_type().size());
    verify_checksum(&k, usage, &data, &h(e, "expected")).unwrap();
}

fn check_prf(e: &Value, etype: EncryptionType) {
    let k = key(e, "key", etype);
    let out = prf(&k, &h(e, "input")).unwrap();
    assert_eq!(
        hex::encode(&out[..]),
        e["expected"].as_str().unwrap(),
        "{e}"
    );
}

/// The label is usage (big-endian) | kind byte; checked against the name.
fn check_derivation(e: &Value, etype: EncryptionType) {
    let k = key(e, "base_key", etype);
    let label = h(e, "label");
    let usage = u32::from_be_bytes(label[..4].try_into().unwrap());
    let kind = kind_of(e);
    assert_eq!(label[4], kind as u8);
    let d = derive_key(&k, usage, kind).unwrap();
    assert_eq!(hex::encode(&d[..]), e["expected"].as_str().unwrap(), "{e}");
}

#[test]
fn krb5_aes_sha1_known_answers() {
    let v = load(AES_SHA1);
    for e in entries(&v, "encryption_with_confounder", 2) {
        check_encryption(e, etype(e));
    }
    for e in entries(&v, "decryption", 10) {
        check_decryption(e, etype(e));
    }
    for e in entries(&v, "checksum", 2) {
        let t = etype(e);
        let declared = e["cksumtype"].as_i64().unwrap() as i32;
        assert_eq!(ChecksumType::from_i32(declared), Some(t.checksum_type()));
        check_checksum(e, t);
    }
    for e in entries(&v, "key_derivation", 6) {
        check_derivation(e, etype(e));
    }
    for e in entries(&v, "prf", 6) {
        check_prf(e, etype(e));
    }
}

#[test]
fn rfc8009_aes_sha2() {
    let v = load(AES_SHA2);
    for e in entries(&v, "string_to_key", 2) {
        let t = etype(e);
        assert_eq!(e["etype"].as_i64().unwrap() as i32, t.as_i32());
        let salt = h(e, "salt_hex");
        let mut saltp = t.name().as_bytes().to_vec();
        saltp.push(0);
        saltp.extend_from_slice(&salt);
        assert_eq!(saltp, h(e, "saltp_hex"));
        // The vectors use the default iteration count: no s2kparams.
        assert_eq!(e["iterations"].as_u64(), Some(32768));
        let password = e["passphrase"].as_str().unwrap();
        let k = string_to_key(t, password, &salt, None).unwrap();
        assert_eq!(hex::encode(k.as_bytes()), e["expected"].as_str().unwrap());
        let explicit = string_to_key(t, password, &salt, Some(&32768u32.to_be_bytes())).unwrap();
        assert_eq!(explicit, k);
    }
    for e in entries(&v, "key_derivation", 6) {
        assert_eq!(usage_of(e), 2);
        check_derivation(e, etype(e));
    }
    for e in entries(&v, "prf", 2) {
        check_prf(e, etype(e));
    }
    for e in entries(&v, "encryption", 8) {
        check_encryption(e, etype(e));
    }
    // The file's `cksumtype` field says 15/16 for these (a slip: RFC 8009 §8
    // assigns 19 and 20); the checksum is the etype's mandatory one.
    for e in entries(&v, "checksum", 2) {
        check_checksum(e, etype(e));
    }
}

#[test]
fn krb5_rc4_hmac_known_answers() {
    let v = load(RC4_HMAC);
    let rc4 = EncryptionType::Rc4Hmac;
    for e in entries(&v, "string_to_key", 1) {
        let k = string_to_key(rc4, e["password"].as_str().unwrap(), b"ignored", None).unwrap();
        assert_eq!(hex::encode(k.as_bytes()), e["expected"].as_str().unwrap());
    }
    for e in entries(&v, "encryption_with_confounder", 1) {
        check_encryption(e, rc4);
    }
    for e in entries(&v, "decryption", 5) {
        check_decryption(e, rc4);
    }
    for e in entries(&v, "checksum", 1) {
        assert_eq!(e["cksumtype"].as_i64(), Some(-138));
        check_checksum(e, rc4);
    }
}
