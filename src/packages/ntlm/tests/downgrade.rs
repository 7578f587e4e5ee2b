//! A man in the middle who hides MsvAvTimestamp (so that no MIC protects
//! the flags) and weakens the session security: 40-bit keys, or no extended
//! session security. The minimum session security (NTLMMinClientSec /
//! NTLMMinServerSec analogues) makes the side that sees the weak flags fail
//! with SEC_E_UNSUPPORTED_FUNCTION (MS-NLMP 3.1.5.1.2, 3.2.5.1.1, 3.2.5.1.2).

use super::*;
use flags::*;

/// The two downgrades: 40-bit keys (neither 128 nor 56), or no ESS.
const WEAKENINGS: [u32; 2] = [NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56, ESS];

/// Settings that accept whatever the peer offers (configured down).
fn lax() -> NtlmSettings {
    NtlmSettings {
        min_client_sec: 0,
        min_server_sec: 0,
        ..Default::default()
    }
}

fn alice(settings: NtlmSettings) -> NtlmClient {
    client_with(
        "alice",
        "EXAMPLE",
        "alice-Passw0rd",
        settings,
        ISC_REQ_CONFIDENTIALITY,
    )
}

/// The CHALLENGE as the man in the middle forwards it.
fn weaken_challenge(chal: &[u8], remove: u32) -> Vec<u8> {
    let mut m = ChallengeMessage::decode(&strip_timestamp(chal)).unwrap();
    m.flags &= !remove;
    m.encode()
}

#[test]
fn client_refuses_a_weakened_challenge() {
    for remove in WEAKENINGS {
        let (mut c, mut s) = (alice(NtlmSettings::default()), server());
        let o1 = c.initialize(&HandshakeInput::default()).unwrap();
        let o2 = s.accept(&tok(&o1.token)).unwrap();
        let forged = weaken_challenge(&o2.token, remove);
        assert_eq!(
            c.initialize(&tok(&forged)).unwrap_err(),
            SecStatus::UnsupportedFunction,
            "{remove:#x}"
        );
        // The context is finished: no AUTHENTICATE can follow.
        assert_eq!(
            c.initialize(&tok(&o2.token)).unwrap_err(),
            SecStatus::OutOfSequence
        );
    }
}

#[test]
fn server_refuses_a_weakened_negotiate() {
    for remove in WEAKENINGS {
        let mut c = alice(NtlmSettings::default());
        let o1 = c.initialize(&HandshakeInput::default()).unwrap();
        let mut m = NegotiateMessage::decode(&o1.token).unwrap();
        m.flags &= !remove;
        assert_eq!(
            server().accept(&tok(&m.encode())).unwrap_err(),
            SecStatus::UnsupportedFunction,
            "{remove:#x}"
        );
    }
}

#[test]
fn server_refuses_weakened_authenticate_flags() {
    for remove in WEAKENINGS {
        // A client configured down goes along with the forged CHALLENGE;
        // the server sees the weak flags in the AUTHENTICATE.
        let (mut c, mut s) = (alice(lax()), server());
        let o1 = c.initialize(&HandshakeInput::default()).unwrap();
        let o2 = s.accept(&tok(&o1.token)).unwrap();
        let o3 = c
            .initialize(&tok(&weaken_challenge(&o2.token, remove)))
            .unwrap();
        assert_eq!(AuthenticateMessage::decode(&o3.token).unwrap().mic, None);
        assert_eq!(
            s.accept(&tok(&o3.token)).unwrap_err(),
            SecStatus::UnsupportedFunction,
            "{remove:#x}"
        );

        // The CHALLENGE passed on intact except for the timestamp, the
        // AUTHENTICATE's flags edited: no MIC covers them, and the
        // NTProofStr does not either.
        let (mut c, mut s) = (alice(NtlmSettings::default()), server());
        let o1 = c.initialize(&HandshakeInput::default()).unwrap();
        let o2 = s.accept(&tok(&o1.token)).unwrap();
        let mut o3 = c.initialize(&tok(&strip_timestamp(&o2.token))).unwrap();
        let mut m = AuthenticateMessage::decode(&o3.token).unwrap();
        m.flags &= !remove;
        o3.token = m.encode();
        assert_eq!(
            s.accept(&tok(&o3.token)).unwrap_err(),
            SecStatus::UnsupportedFunction,
            "{remove:#x}"
        );
    }
}

/// Both sides configured down: the downgrade goes through, and one known
/// plaintext gives the key stream to forge a message that DecryptMessage
/// reads as integrity-only (SECQOP_WRAP_NO_ENCRYPT). This is why the C ABI
/// refuses such a message when the caller passes no `pfQOP`
/// (tests/c/hostile.c, "integrity-only message with pfQOP NULL").
#[test]
fn configured_down_the_downgrade_lets_a_forgery_through() {
    let (mut c, mut s) = (alice(lax()), server_with(lax(), 0));
    let o1 = c.initialize(&HandshakeInput::default()).unwrap();
    let o2 = s.accept(&tok(&o1.token)).unwrap();
    let forged = weaken_challenge(
        &o2.token,
        NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56 | ESS,
    );
    let o3 = c.initialize(&tok(&forged)).unwrap();
    s.accept(&tok(&o3.token)).unwrap();
    assert_eq!(
        s.session().unwrap().flags() & (ESS | NTLMSSP_NEGOTIATE_128),
        0
    );

    // The client seals a known plaintext; the attacker keeps it and learns
    // the first 12 key-stream bytes.
    let known = b"GET /index.html HTTP/1.1";
    let (ct, _sig) = seal(&mut c, 0, known).unwrap();
    let ks: Vec<u8> = ct.iter().zip(known).map(|(c, p)| c ^ p).take(12).collect();

    // A cleartext message with NTLMv1's signature (3.4.4.1): RandomPad 0,
    // CRC32, SeqNum 0, through that key stream.
    let evil = b"transfer everything".to_vec();
    let crc = crc32fast::hash(&evil).to_le_bytes();
    let mut sig = vec![1, 0, 0, 0, 0, 0, 0, 0];
    sig.extend(crc.iter().zip(&ks[4..8]).map(|(a, k)| a ^ k));
    sig.extend([0u8; 4].iter().zip(&ks[8..12]).map(|(a, k)| a ^ k));
    let mut d = evil.clone();
    let mut t = sig;
    let mut msg = [
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
    ];
    assert_eq!(
        s.decrypt_message(&mut msg, 0),
        Ok(Some(SECQOP_WRAP_NO_ENCRYPT))
    );
    assert_eq!(d, evil);
}

#[test]
fn min_sec_settings_read_hex_or_decimal() {
    use super::super::parse_flag_word;
    assert_eq!(parse_flag_word("0x20080000"), Some(MIN_SEC_DEFAULT));
    assert_eq!(parse_flag_word("0X20000000"), Some(NTLMSSP_NEGOTIATE_128));
    assert_eq!(parse_flag_word("537395200"), Some(MIN_SEC_DEFAULT));
    assert_eq!(parse_flag_word("0"), Some(0));
    assert_eq!(parse_flag_word("junk"), None);
    assert!(meets_min_sec(0xE288_8235, MIN_SEC_DEFAULT));
    assert!(!meets_min_sec(0xE288_8235 & !ESS, MIN_SEC_DEFAULT));
    // Bits other than integrity, confidentiality, ESS and 128 are ignored.
    assert!(meets_min_sec(0, NTLMSSP_NEGOTIATE_KEY_EXCH));
}
