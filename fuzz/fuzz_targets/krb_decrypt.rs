//! Kerberos message crypto (packages::kerberos::crypto) on arbitrary input.
//! Byte 0 selects the etype, byte 1 the key usage, byte 2 the mode; the rest
//! is the payload; the key is 32 (or 16) bytes 0x4b. Even mode: the payload
//! as a ciphertext and as message | checksum, without a panic (seeds are real
//! ciphertexts, so decryption may succeed). Odd mode: the payload as plaintext round-trips, and the ciphertext
//! with one bit flipped, or truncated, is rejected.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::crypto::{
    decrypt, encrypt_with_confounder, verify_checksum, CryptoError, Key,
};
use opensspi_fuzz::krb_gss::ETYPES;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let etype = ETYPES[data[0] as usize % ETYPES.len()];
    let usage = u32::from(data[1]);
    let mode = data[2];
    let payload = &data[3..];
    let key = Key::new(etype, &vec![0x4b; etype.key_len()]).expect("key length");
    if mode.is_multiple_of(2) {
        if let Ok(p) = decrypt(&key, usage, payload) {
            assert_eq!(Some(p.len()), etype.plaintext_len(payload.len()));
        }
        let n = etype.checksum_len().min(payload.len());
        let (msg, cksum) = payload.split_at(payload.len() - n);
        let _ = verify_checksum(&key, usage, msg, cksum);
        return;
    }
    let confounder = vec![mode; etype.confounder_len()];
    let c = encrypt_with_confounder(&key, usage, &confounder, payload).expect("encrypt");
    assert_eq!(c.len(), etype.encrypted_len(payload.len()));
    assert_eq!(&decrypt(&key, usage, &c).expect("round trip")[..], payload);
    let mut flipped = c.clone();
    let i = (usize::from(mode) * 131 + payload.len()) % c.len();
    flipped[i] ^= 1 << (mode % 8);
    assert_eq!(
        decrypt(&key, usage, &flipped).unwrap_err(),
        CryptoError::IntegrityCheckFailed
    );
    assert!(decrypt(&key, usage, &c[..i]).is_err());
});
