//! Token codec tests. The hex tokens were produced by pyspnego 0.x
//! (`spnego._spnego.NegTokenInit/NegTokenResp.pack()`), an independent
//! encoder: our encoder must produce the same bytes and our decoder read them.

use super::*;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// NegTokenInit([MS-Kerberos, Kerberos, NTLM], mechToken "NTLMSSP\0\x01", mechListMIC "MIC").
const INIT: &str = "604606062b0601050502a03c303aa024302206092a864882f71201020206092a864886f712010202060a2b06010401823702020aa20b04094e544c4d5353500001a30504034d4943";
/// NegTokenInit2([MS-Kerberos, NTLM], negHints hintName).
const INIT2: &str = "605306062b0601050502a0493047a019301706092a864882f712010202060a2b06010401823702020aa32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265";
/// NegTokenInit2([NTLM], negHints, mechListMIC "M" as [4]).
const INIT2_MIC: &str = "604d06062b0601050502a0433041a00e300c060a2b06010401823702020aa32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265a40304014d";
/// NegTokenResp(request-mic, NTLM, "tok", "mic").
const RESP: &str = "a1233021a0030a0103a10c060a2b06010401823702020aa2050403746f6ba30504036d6963";

#[test]
fn decodes_and_encodes_pyspnego_negtokeninit() {
    let b = unhex(INIT);
    let NegotiationToken::Init(init) = decode(&b).unwrap() else {
        panic!("not an init")
    };
    assert_eq!(
        init.mech_types,
        vec![
            Mech::MsKerberos.oid(),
            Mech::Kerberos.oid(),
            Mech::Ntlm.oid()
        ]
    );
    let der = encode_mech_types(&[Mech::MsKerberos, Mech::Kerberos, Mech::Ntlm]);
    assert_eq!(init.mech_types_der, Some(&der[..]));
    assert_eq!(init.mech_token, Some(&b"NTLMSSP\0\x01"[..]));
    assert_eq!(init.mech_list_mic, Some(&b"MIC"[..]));
    assert_eq!(init.neg_hints, None);
    assert_eq!(
        encode_init(&der, Some(b"NTLMSSP\0\x01"), false, Some(b"MIC")),
        b
    );
}

#[test]
fn decodes_and_encodes_negtokeninit2_with_neghints() {
    let b = unhex(INIT2);
    let NegotiationToken::Init(init) = decode(&b).unwrap() else {
        panic!("not an init")
    };
    assert_eq!(
        init.mech_types,
        vec![Mech::MsKerberos.oid(), Mech::Ntlm.oid()]
    );
    assert_eq!(init.neg_hints.unwrap().hint_name, Some(HINT_NAME));
    assert_eq!(init.mech_list_mic, None);
    let der = encode_mech_types(&[Mech::MsKerberos, Mech::Ntlm]);
    assert_eq!(encode_init(&der, None, true, None), b);

    let b = unhex(INIT2_MIC);
    let NegotiationToken::Init(init) = decode(&b).unwrap() else {
        panic!("not an init")
    };
    assert_eq!(init.mech_list_mic, Some(&b"M"[..]));
    assert!(init.neg_hints.is_some());
    let der = encode_mech_types(&[Mech::Ntlm]);
    assert_eq!(encode_init(&der, None, true, Some(b"M")), b);
}

#[test]
fn decodes_and_encodes_negtokenresp() {
    let b = unhex(RESP);
    let NegotiationToken::Resp(resp) = decode(&b).unwrap() else {
        panic!("not a resp")
    };
    assert_eq!(
        resp,
        NegTokenResp {
            neg_state: Some(NegState::RequestMic),
            supported_mech: Some(Mech::Ntlm.oid()),
            response_token: Some(b"tok"),
            mech_list_mic: Some(b"mic"),
        }
    );
    assert_eq!(encode_resp(&resp), b);
    let done = encode_resp(&NegTokenResp {
        neg_state: Some(NegState::AcceptCompleted),
        ..Default::default()
    });
    assert_eq!(done, unhex("a1073005a0030a0100"));
}

/// Every truncation, and every single-byte change, of each sample decodes
/// to an error or a value, never a panic; truncations are always errors.
#[test]
fn malformed_tokens_fail_without_panicking() {
    for s in [INIT, INIT2, INIT2_MIC, RESP] {
        let b = unhex(s);
        for n in 0..b.len() {
            assert_eq!(
                decode(&b[..n]),
                Err(SecStatus::InvalidToken),
                "{s} cut at {n}"
            );
        }
        let mut extended = b.clone();
        extended.push(0);
        assert_eq!(decode(&extended), Err(SecStatus::InvalidToken));
        for i in 0..b.len() {
            for x in [0x00u8, 0x01, 0x7f, 0x80, 0x81, 0xff] {
                let mut m = b.clone();
                m[i] = x;
                let _ = decode(&m);
            }
        }
    }
}

#[test]
fn rejects_what_der_forbids() {
    // A NegTokenResp inside the GSS framing, an unknown OID framing, fields
    // out of order, an unknown field, an empty OID and a bad negState.
    let bad = [
        "600f06062b0601050502a1053003a00100",
        "600f06062b0601050503a0053003a00100",
        "a10e300ca2020400a0030a0101",
        "a1073005a5030a0100",
        "a1063004a1020600",
        "a1073005a0030a0104",
        "a1083006a0040a020001",
    ];
    for s in bad {
        assert_eq!(decode(&unhex(s)), Err(SecStatus::InvalidToken), "{s}");
    }
}
