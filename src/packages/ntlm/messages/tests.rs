//! Codec tests: round trips, the MS-NLMP 4.2 messages, hostile bytes.

use super::*;

#[test]
fn garbage_never_panics() {
    let base = AuthenticateMessage {
        flags: 0xE288_8235,
        nt_response: vec![7; 60],
        user: utf16le("u"),
        version: Some(Version::OURS),
        mic: Some([0; 16]),
        ..Default::default()
    }
    .encode();
    for cut in 0..base.len() {
        let _ = AuthenticateMessage::decode(&base[..cut]);
        let _ = ChallengeMessage::decode(&base[..cut]);
        let _ = NegotiateMessage::decode(&base[..cut]);
        let _ = AvPairs::decode(&base[..cut]);
    }
    let mut evil = base.clone();
    for i in 12..64 {
        evil[i] = 0xFF;
        let _ = AuthenticateMessage::decode(&evil);
        evil[i] = base[i];
    }
    let back = AuthenticateMessage::decode(&base).unwrap();
    assert_eq!(back.mic, Some([0; 16]));
    assert_eq!(back.nt_response.len(), 60);
    assert_eq!(back.version, Some(Version::OURS));
}

#[test]
fn av_pairs_ref_matches_av_pairs() {
    let pair = |id: u16, v: &[u8]| {
        let mut b = id.to_le_bytes().to_vec();
        b.extend_from_slice(&(v.len() as u16).to_le_bytes());
        b.extend_from_slice(v);
        b
    };
    let bases: Vec<Vec<u8>> = vec![
        vec![],
        [pair(2, b"D\0"), pair(7, &[9; 8]), vec![0, 0, 0, 0]].concat(),
        // duplicates, a short MsvAvFlags, no EOL
        [
            pair(6, &[3]),
            pair(10, &[1; 16]),
            pair(6, &[4, 0, 0, 0]),
            pair(9, b"x"),
        ]
        .concat(),
        // pairs after EOL are not part of the list
        [pair(6, &[1, 0, 0, 0]), vec![0, 0, 0, 0], pair(9, b"after")].concat(),
        [pair(1, b"a"), pair(6, &[1, 0, 0, 0, 5])].concat(),
    ];
    let sets_list: [&[(u16, &[u8])]; 4] = [
        &[],
        &[(6, &[2, 0, 0, 0])],
        &[(6, &[2, 0, 0, 0]), (10, &[0; 16]), (9, b"t\0a\0")],
        &[(10, &[7; 16]), (1, b"")],
    ];
    for b in &bases {
        let owned = AvPairs::decode(b).unwrap();
        let view = AvPairsRef::parse(b).unwrap();
        assert_eq!(view.av_flags(), owned.av_flags());
        for id in 0..12 {
            assert_eq!(view.get(id), owned.get(id));
        }
        for sets in sets_list {
            let mut o = owned.clone();
            for (id, v) in sets {
                o.set(*id, v.to_vec());
            }
            let mut out = vec![0xEE];
            view.encode_with(sets, &mut out);
            assert_eq!(out[1..], o.encode()[..]);
            assert!(out.len() - 1 <= view.encoded_len_with(sets));
        }
    }
    for bad in [&[1u8, 0, 9, 0, 1][..], &[1, 0, 1], &[0]] {
        assert!(AvPairs::decode(bad).is_err());
        assert!(AvPairsRef::parse(bad).is_err());
    }
}

#[test]
fn av_pairs_roundtrip() {
    let mut p = AvPairs::default();
    p.set(MSV_AV_NB_DOMAIN_NAME, utf16le("Domain"));
    p.set(MSV_AV_NB_COMPUTER_NAME, utf16le("Server"));
    let enc = p.encode();
    assert_eq!(
        hex::encode(&enc),
        "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000"
    );
    assert_eq!(AvPairs::decode(&enc).unwrap(), p);
    p.set(MSV_AV_FLAGS, 2u32.to_le_bytes().to_vec());
    assert_eq!(p.av_flags(), 2);
    assert!(AvPairs::decode(&[1, 0, 9, 0, 1]).is_err());
}
