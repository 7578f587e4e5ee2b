//! Kerberos Wrap tokens (`packages::kerberos::gss`): GSS_Unwrap of
//! arbitrary whole tokens and DecryptMessage-style split ones
//! (`unwrap_in_place`), for every session-key etype, never panic; and what
//! one side wraps (whole or split, sealed or not) the other unwraps to the
//! same message.
//! Input: byte 0 = etype (bits 0-2, mod 5), receiving side (bit 3), sealed
//! (bit 4); byte 1 = where the token ends for the split form; the rest is
//! the token (and the message of the round trip).
//! Seeds (fuzz/seeds/krb_wrap/): MIT gss_wrap tokens of each etype, sealed
//! and not, captured with tests/peers/gss_tokens.py.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::crypto::Key;
use opensspi::packages::kerberos::gss::Role;
use opensspi_fuzz::krb_gss::{side, ETYPES};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let etype = ETYPES[(data[0] & 7) as usize % ETYPES.len()];
    let key = Key::new(etype, &vec![0x42; etype.key_len()]).expect("key");
    let (recv_role, conf) = if data[0] & 8 != 0 {
        (Role::Acceptor, data[0] & 16 != 0)
    } else {
        (Role::Initiator, data[0] & 16 != 0)
    };
    let token = &data[2..];
    let split = (data[1] as usize).min(token.len());

    let mut r = side(&key, recv_role);
    let _ = r.unwrap(token);
    let mut r = side(&key, recv_role);
    let mut rest = token[split..].to_vec();
    if let Ok((n, _)) = r.unwrap_in_place(&token[..split], &mut rest) {
        assert!(n <= rest.len());
    }

    let mut s = side(&key, recv_role.peer());
    let mut r = side(&key, recv_role);
    let t = s.wrap(conf, token).expect("wrap");
    let u = r.unwrap(&t).expect("unwrap of our own wrap");
    assert_eq!((&u.message[..], u.conf), (token, conf));
    let mut head = [0u8; 128];
    let mut msg = token.to_vec();
    let n = s.wrap_in_place(conf, &mut head, &mut msg).expect("wrap_in_place");
    let (len, c) = r.unwrap_in_place(&head[..n], &mut msg).expect("unwrap_in_place");
    assert_eq!((&msg[..len], c), (token, conf));
});
