//! The NTLM message decoders (NEGOTIATE, CHALLENGE, AUTHENTICATE, AV pairs,
//! strings). A decoded message must re-encode to bytes that decode to the
//! same message, apart from the VERSION field: a message decoded without a
//! version but with the VERSION flag re-encodes with a zero VERSION field
//! (known; tests/fuzz_regressions.rs keeps that case).
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::ntlm::messages::*;

fuzz_target!(|data: &[u8]| {
    let _ = message_type(data);
    if let Ok(m) = NegotiateMessage::decode(data) {
        let mut again =
            NegotiateMessage::decode(&m.encode()).expect("re-encoded NEGOTIATE decodes");
        again.version = m.version;
        assert_eq!(again, m, "NEGOTIATE round trip");
    }
    if let Ok(m) = ChallengeMessage::decode(data) {
        let mut again =
            ChallengeMessage::decode(&m.encode()).expect("re-encoded CHALLENGE decodes");
        again.version = m.version;
        assert_eq!(again, m, "CHALLENGE round trip");
        if let Ok(av) = AvPairs::decode(&m.target_info) {
            let _ = av.av_flags();
            let _ = AvPairs::decode(&av.encode());
        }
    }
    if let Ok(m) = AuthenticateMessage::decode(data) {
        let mut again =
            AuthenticateMessage::decode(&m.encode()).expect("re-encoded AUTHENTICATE decodes");
        again.version = m.version;
        assert_eq!(again, m, "AUTHENTICATE round trip");
    }
    if let Ok(av) = AvPairs::decode(data) {
        let _ = av.av_flags();
        let _ = av.get(MSV_AV_TIMESTAMP);
        let re = AvPairs::decode(&av.encode()).expect("re-encoded AV pairs decode");
        assert_eq!(re.0, av.0, "AV pairs round trip");
    }
    let _ = decode_string(data, true);
    let _ = decode_string(data, false);
});
