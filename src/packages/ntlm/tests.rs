//! In-process client ↔ server handshakes, sign/seal both ways, attributes,
//! export/import, BEHAVIOURS.md 90-91 (Wine's canned CHALLENGE) and every
//! negative case.

use std::sync::Arc;

use super::client::NtlmClient;
use super::crypto::nt_owf_v1;
use super::messages::*;
use super::server::NtlmServer;
use super::*;
use crate::lsa::accounts::AccountDatabase;
use crate::sspi::{
    BufferData, ContextAttribute, HandshakeInput, HandshakeOutput, MessageBuffer, SecStatus,
    SecurityContext, Step,
};

const ACCOUNTS: &str = "EXAMPLE:alice:alice-Passw0rd\n:bob:bob-pw\n";

fn db() -> Arc<AccountDatabase> {
    Arc::new(AccountDatabase::parse(ACCOUNTS))
}

fn client_with(user: &str, domain: &str, pw: &str, settings: NtlmSettings, req: u32) -> NtlmClient {
    let cred = ClientCredential::new(user, domain, nt_owf_v1(pw));
    NtlmCredential::new(CredentialUse::Outbound, Some(cred), settings, None)
        .initiator(Some("HTTP/server.example"), req)
        .unwrap()
}

fn client(user: &str, domain: &str, pw: &str) -> NtlmClient {
    client_with(
        user,
        domain,
        pw,
        NtlmSettings::default(),
        ISC_REQ_CONFIDENTIALITY,
    )
}

fn server_with(settings: NtlmSettings, req: u32) -> NtlmServer {
    NtlmCredential::new(CredentialUse::Inbound, None, settings, Some(db()))
        .acceptor(req)
        .unwrap()
}

fn server() -> NtlmServer {
    server_with(NtlmSettings::default(), 0)
}

fn tok(t: &[u8]) -> HandshakeInput<'_> {
    HandshakeInput {
        token: Some(t),
        ..Default::default()
    }
}

/// Run the three legs; `tamper` edits the AUTHENTICATE_MESSAGE in transit.
fn run(
    c: &mut NtlmClient,
    s: &mut NtlmServer,
    cb_client: Option<&[u8]>,
    cb_server: Option<&[u8]>,
    tamper: impl FnOnce(&mut Vec<u8>),
) -> Result<HandshakeOutput, SecStatus> {
    let o1 = c.initialize(&HandshakeInput::default()).unwrap();
    assert_eq!(o1.step, Some(Step::ContinueNeeded));
    let o2 = s.accept(&tok(&o1.token)).unwrap();
    assert_eq!(o2.step, Some(Step::ContinueNeeded));
    let mut o3 = c
        .initialize(&HandshakeInput {
            token: Some(&o2.token),
            channel_bindings: cb_client,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(o3.step, Some(Step::Complete));
    tamper(&mut o3.token);
    s.accept(&HandshakeInput {
        token: Some(&o3.token),
        channel_bindings: cb_server,
        ..Default::default()
    })
}

fn established() -> (NtlmClient, NtlmServer) {
    let (mut c, mut s) = (client("alice", "EXAMPLE", "alice-Passw0rd"), server());
    let out = run(&mut c, &mut s, None, None, |_| {}).unwrap();
    assert_eq!(out.step, Some(Step::Complete));
    assert!(out.token.is_empty());
    (c, s)
}

fn seal(
    ctx: &mut dyn SecurityContext,
    qop: u32,
    data: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), SecStatus> {
    let mut d = data.to_vec();
    let mut t = vec![0xAAu8; 20];
    let len = {
        let mut msg = [
            MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
        ];
        ctx.encrypt_message(qop, &mut msg, 0)?;
        msg[0].len()
    };
    t.truncate(len);
    Ok((d, t))
}

fn unseal(ctx: &mut dyn SecurityContext, data: &[u8], token: &[u8]) -> Result<Vec<u8>, SecStatus> {
    let mut d = data.to_vec();
    let mut t = token.to_vec();
    let mut msg = [
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
    ];
    assert_eq!(ctx.decrypt_message(&mut msg, 0)?, None);
    Ok(d)
}

fn sign(ctx: &mut dyn SecurityContext, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    let mut t = vec![0u8; 16];
    let mut msg = [
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
    ];
    ctx.make_signature(0, &mut msg, 0).unwrap();
    t
}

fn verify(
    ctx: &mut dyn SecurityContext,
    data: &[u8],
    token: &[u8],
) -> Result<Option<u32>, SecStatus> {
    let mut t = token.to_vec();
    let mut msg = [
        MessageBuffer::new(SECBUFFER_DATA, BufferData::ReadOnly(data)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
    ];
    ctx.verify_signature(&mut msg, 0)
}

#[test]
fn handshake_attributes_and_names() {
    let (mut c, mut s) = (client("alice", "EXAMPLE", "alice-Passw0rd"), server());
    let o1 = c.initialize(&HandshakeInput::default()).unwrap();
    assert_eq!(o1.context_attr, 0x10010);
    assert_eq!(&o1.token[..8], b"NTLMSSP\0");
    assert_eq!(
        u32::from_le_bytes(o1.token[12..16].try_into().unwrap()),
        0xE208_82B7
    );
    let o2 = s.accept(&tok(&o1.token)).unwrap();
    assert_eq!(o2.context_attr, 0x1C);
    assert_eq!(
        u32::from_le_bytes(o2.token[20..24].try_into().unwrap()),
        0xE28A_8235
    );
    assert_eq!(o2.token[48 + 7], 0x0F, "NTLMRevisionCurrent");
    let o3 = c.initialize(&tok(&o2.token)).unwrap();
    assert_eq!(o3.context_attr, 0x1001C);
    assert_eq!(
        u32::from_le_bytes(o3.token[60..64].try_into().unwrap()),
        0xE288_8235
    );
    let auth = AuthenticateMessage::decode(&o3.token).unwrap();
    assert!(auth.mic.is_some() && auth.mic != Some([0; 16]));
    let blob_pairs = AvPairs::decode(&auth.nt_response[16 + 28..]).unwrap();
    assert_eq!(blob_pairs.av_flags(), 2);
    assert_eq!(
        blob_pairs.get(MSV_AV_TARGET_NAME),
        Some(&utf16le("HTTP/server.example")[..])
    );
    assert_eq!(
        blob_pairs.get(MSV_AV_CHANNEL_BINDINGS),
        Some(&[0u8; 16][..])
    );
    let ids: Vec<u16> = blob_pairs.0.iter().map(|p| p.0).collect();
    assert_eq!(ids, [2, 1, 4, 3, 7, 6, 10, 9]);
    let o4 = s.accept(&tok(&o3.token)).unwrap();
    assert_eq!((o4.step, o4.context_attr), (Some(Step::Complete), 0x2001C));

    assert!(c.is_established() && s.is_established());
    assert_eq!(
        s.client_identity(),
        Some(("EXAMPLE".into(), "alice".into()))
    );
    match s.query_attribute(SECPKG_ATTR_NAMES).unwrap() {
        ContextAttribute::Names(n) => assert_eq!(n, "EXAMPLE\\alice"),
        other => panic!("{other:?}"),
    }
    match (
        c.query_attribute(SECPKG_ATTR_SESSION_KEY).unwrap(),
        s.query_attribute(SECPKG_ATTR_SESSION_KEY).unwrap(),
    ) {
        (ContextAttribute::SessionKey(a), ContextAttribute::SessionKey(b)) => {
            assert_eq!(a.len(), 16);
            assert_eq!(a, b);
        }
        other => panic!("{other:?}"),
    }
    for ctx in [&c as &dyn SecurityContext, &s] {
        match ctx.query_attribute(SECPKG_ATTR_SIZES).unwrap() {
            ContextAttribute::Sizes {
                max_token,
                max_signature,
                block_size,
                security_trailer,
            } => {
                assert_eq!(
                    (max_token, max_signature, block_size, security_trailer),
                    (2888, 16, 0, 16)
                )
            }
            other => panic!("{other:?}"),
        }
        match ctx.query_attribute(SECPKG_ATTR_KEY_INFO).unwrap() {
            ContextAttribute::KeyInfo {
                signature_algorithm_name,
                encrypt_algorithm_name,
                key_size,
                signature_algorithm,
                encrypt_algorithm,
            } => {
                assert_eq!(signature_algorithm_name, "HMAC-MD5");
                assert_eq!(encrypt_algorithm_name, "RSADSI RC4");
                assert_eq!(
                    (key_size, signature_algorithm, encrypt_algorithm),
                    (128, 0xFFFF_FF76, 0x6801)
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_NEGOTIATION_INFO).unwrap(),
            ContextAttribute::NegotiationInfo { state: 0, package } if package.name == "NTLM"
        ));
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_PACKAGE_INFO),
            Ok(ContextAttribute::PackageInfo(_))
        ));
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_LIFESPAN),
            Ok(ContextAttribute::Lifespan { .. })
        ));
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_NATIVE_NAMES),
            Ok(ContextAttribute::NativeNames { .. })
        ));
        assert!(matches!(
            ctx.query_attribute(SECPKG_ATTR_AUTHORITY),
            Ok(ContextAttribute::Authority(_))
        ));
        assert_eq!(
            ctx.query_attribute(SECPKG_ATTR_STREAM_SIZES).unwrap_err(),
            SecStatus::UnsupportedFunction
        );
        assert_eq!(
            ctx.query_attribute(0x7777).unwrap_err(),
            SecStatus::UnsupportedFunction
        );
    }
    assert!(matches!(
        c.query_attribute(SECPKG_ATTR_FLAGS),
        Ok(ContextAttribute::Flags(0x1001C))
    ));
    // A fourth leg is out of sequence on both sides.
    assert_eq!(
        c.initialize(&tok(&o2.token)).unwrap_err(),
        SecStatus::OutOfSequence
    );
    assert_eq!(
        s.accept(&tok(&o3.token)).unwrap_err(),
        SecStatus::OutOfSequence
    );
}

#[test]
fn seal_sign_both_ways() {
    let (mut c, mut s) = established();
    for i in 0..3u8 {
        let msg = vec![i; 100 + i as usize];
        let (ct, t) = seal(&mut c, 0, &msg).unwrap();
        assert_eq!(t.len(), 16);
        assert_ne!(ct, msg);
        assert_eq!(unseal(&mut s, &ct, &t).unwrap(), msg);
        let (ct, t) = seal(&mut s, 0, &msg).unwrap();
        assert_eq!(unseal(&mut c, &ct, &t).unwrap(), msg);
        let sig = sign(&mut c, b"hello");
        assert_eq!(verify(&mut s, b"hello", &sig).unwrap(), None);
        let sig = sign(&mut s, b"world");
        assert_eq!(verify(&mut c, b"world", &sig).unwrap(), None);
    }
    // Sign-only wrap: data stays clear, the peer verifies it.
    let (clear, t) = seal(&mut c, SECQOP_WRAP_NO_ENCRYPT, b"integrity only").unwrap();
    assert_eq!(clear, b"integrity only");
    assert_eq!(verify(&mut s, &clear, &t).unwrap(), None);
    assert_eq!(
        seal(&mut c, 7, b"x").unwrap_err(),
        SecStatus::QopNotSupported
    );
    let mut d = *b"abc";
    let mut t = [0u8; 16];
    let mut msg = [
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
    ];
    assert_eq!(
        c.make_signature(1, &mut msg, 0).unwrap_err(),
        SecStatus::QopNotSupported
    );
}

#[test]
fn tampered_replayed_and_malformed_messages() {
    let (mut c, mut s) = established();
    let (ct, t) = seal(&mut c, 0, b"first").unwrap();
    assert_eq!(unseal(&mut s, &ct, &t).unwrap(), b"first");
    // Replay: the clear SeqNum is checked first; the context survives.
    assert_eq!(
        unseal(&mut s, &ct, &t).unwrap_err(),
        SecStatus::OutOfSequence
    );
    let sig = sign(&mut c, b"m");
    assert_eq!(verify(&mut s, b"m", &sig).unwrap(), None);
    assert_eq!(
        verify(&mut s, b"m", &sig).unwrap_err(),
        SecStatus::OutOfSequence
    );
    // Tampered data / checksum: MESSAGE_ALTERED, and the message is
    // consumed, so the next genuine one still verifies.
    let (mut ct, t) = seal(&mut c, 0, b"second").unwrap();
    ct[0] ^= 1;
    assert_eq!(
        unseal(&mut s, &ct, &t).unwrap_err(),
        SecStatus::MessageAltered
    );
    let (ct, t) = seal(&mut c, 0, b"third").unwrap();
    assert_eq!(unseal(&mut s, &ct, &t).unwrap(), b"third");
    let sig = sign(&mut s, b"n");
    assert_eq!(
        verify(&mut c, b"N", &sig).unwrap_err(),
        SecStatus::MessageAltered
    );
    let mut bad = sign(&mut s, b"n");
    bad[5] ^= 0x80;
    assert_eq!(
        verify(&mut c, b"n", &bad).unwrap_err(),
        SecStatus::MessageAltered
    );
    let mut bad = sign(&mut s, b"n");
    bad[0] = 2;
    assert_eq!(
        verify(&mut c, b"n", &bad).unwrap_err(),
        SecStatus::MessageAltered
    );
    let sig = sign(&mut s, b"n");
    assert_eq!(
        verify(&mut c, b"n", &sig).unwrap_err(),
        SecStatus::OutOfSequence,
        "bad version consumed nothing"
    );
    // Buffer errors.
    let mut d = *b"abc";
    let mut short = [0u8; 15];
    let mut msg = [
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut short)),
    ];
    assert_eq!(
        c.make_signature(0, &mut msg, 0).unwrap_err(),
        SecStatus::BufferTooSmall
    );
    assert_eq!(
        c.encrypt_message(0, &mut msg, 0).unwrap_err(),
        SecStatus::BufferTooSmall
    );
    assert_eq!(
        c.decrypt_message(&mut msg, 0).unwrap_err(),
        SecStatus::BufferTooSmall
    );
    assert_eq!(
        c.verify_signature(&mut msg, 0).unwrap_err(),
        SecStatus::BufferTooSmall
    );
    let (mut d1, mut d2) = (*b"abc", *b"def");
    let mut no_token = [
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d1)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d2)),
    ];
    assert_eq!(
        c.make_signature(0, &mut no_token, 0).unwrap_err(),
        SecStatus::InvalidToken
    );
    assert_eq!(
        c.encrypt_message(0, &mut no_token, 0).unwrap_err(),
        SecStatus::InvalidToken
    );
    let mut t = [0u8; 16];
    let mut no_data = [MessageBuffer::new(
        SECBUFFER_TOKEN,
        BufferData::Writable(&mut t),
    )];
    assert_eq!(
        c.encrypt_message(0, &mut no_data, 0).unwrap_err(),
        SecStatus::InvalidToken
    );
    assert_eq!(
        c.decrypt_message(&mut no_data, 0).unwrap_err(),
        SecStatus::InvalidToken
    );
}

/// Decode the AUTHENTICATE token, edit it, re-encode (MIC kept as is).
fn edit_auth(t: &mut Vec<u8>, f: impl FnOnce(&mut AuthenticateMessage)) {
    let mut m = AuthenticateMessage::decode(t).unwrap();
    f(&mut m);
    *t = m.encode();
}

fn outcome(c: &mut NtlmClient, tamper: impl FnOnce(&mut Vec<u8>)) -> Result<u32, SecStatus> {
    run(c, &mut server(), None, None, tamper).map(|o| o.context_attr)
}

#[test]
fn logon_denied_cases() {
    let ok = |_: &mut Vec<u8>| {};
    assert_eq!(
        outcome(&mut client("alice", "EXAMPLE", "wrong"), ok),
        Err(SecStatus::LogonDenied)
    );
    assert_eq!(
        outcome(&mut client("mallory", "EXAMPLE", "x"), ok),
        Err(SecStatus::LogonDenied)
    );
    assert_eq!(
        outcome(&mut client("alice", "OTHER", "alice-Passw0rd"), ok),
        Err(SecStatus::LogonDenied)
    );
    // bob has no domain: any domain, and none, work; the NAMES domain is then ours.
    assert!(outcome(&mut client("bob", "ANY", "bob-pw"), ok).is_ok());
    assert!(outcome(&mut client("BOB", "", "bob-pw"), ok).is_ok());
    assert!(outcome(&mut client("alice", "", "alice-Passw0rd"), ok).is_ok());
    // Tampered NTProofStr, blob, user name, domain.
    let tampers: [fn(&mut AuthenticateMessage); 5] = [
        |m| m.nt_response[0] ^= 1,
        |m| m.nt_response[16 + 20] ^= 1,
        |m| {
            let n = m.nt_response.len();
            m.nt_response[n - 5] ^= 1
        },
        |m| m.user = utf16le("bob"),
        |m| m.domain = utf16le("EXAMPLF"),
    ];
    for t in tampers {
        let r = outcome(&mut client("alice", "EXAMPLE", "alice-Passw0rd"), |tok| {
            edit_auth(tok, t)
        });
        assert_eq!(r, Err(SecStatus::LogonDenied));
    }
    // An empty user with a response is not anonymous.
    assert_eq!(
        outcome(&mut client("", "", "pw"), ok),
        Err(SecStatus::LogonDenied)
    );
}

#[test]
fn mic_cases() {
    let alice = || client("alice", "EXAMPLE", "alice-Passw0rd");
    // Zeroed MIC.
    let r = outcome(&mut alice(), |t| t[MIC_OFFSET..MIC_OFFSET + 16].fill(0));
    assert_eq!(r, Err(SecStatus::InvalidToken));
    // Stripped MIC while MsvAvFlags still claims it.
    let r = outcome(&mut alice(), |t| edit_auth(t, |m| m.mic = None));
    assert_eq!(r, Err(SecStatus::InvalidToken));
    // Flags changed in transit (covered by the MIC only).
    let r = outcome(&mut alice(), |t| t[60] ^= 0x02);
    assert_eq!(r, Err(SecStatus::InvalidToken));
    // MIC and the AV flag both stripped: the blob no longer matches NTProofStr.
    let r = outcome(&mut alice(), |t| {
        edit_auth(t, |m| {
            m.mic = None;
            let n = m.nt_response.len();
            let pairs_at = 16 + 28;
            let mut p = AvPairs::decode(&m.nt_response[pairs_at..]).unwrap();
            p.set(MSV_AV_FLAGS, 0u32.to_le_bytes().to_vec());
            let mut nt = m.nt_response[..pairs_at].to_vec();
            nt.extend_from_slice(&p.encode());
            nt.extend_from_slice(&m.nt_response[n - 4..]);
            m.nt_response = nt;
        })
    });
    assert_eq!(r, Err(SecStatus::LogonDenied));
}

/// A server CHALLENGE without MsvAvTimestamp makes the client send no MIC.
fn strip_timestamp(chal: &[u8]) -> Vec<u8> {
    let mut m = ChallengeMessage::decode(chal).unwrap();
    let mut p = AvPairs::decode(&m.target_info).unwrap();
    p.0.retain(|x| x.0 != MSV_AV_TIMESTAMP);
    m.target_info = p.encode();
    m.encode()
}

#[test]
fn require_mic_policy() {
    for (require, expect) in [(false, Ok(())), (true, Err(SecStatus::InvalidToken))] {
        let mut c = client("alice", "EXAMPLE", "alice-Passw0rd");
        let settings = NtlmSettings {
            require_mic: require,
            ..Default::default()
        };
        let mut s = server_with(settings, 0);
        let o1 = c.initialize(&HandshakeInput::default()).unwrap();
        let o2 = s.accept(&tok(&o1.token)).unwrap();
        let o3 = c.initialize(&tok(&strip_timestamp(&o2.token))).unwrap();
        assert_eq!(AuthenticateMessage::decode(&o3.token).unwrap().mic, None);
        assert_eq!(s.accept(&tok(&o3.token)).map(|_| ()), expect);
    }
}

/// A SEC_CHANNEL_BINDINGS with only application data.
fn bindings(app: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; 32];
    b[24..28].copy_from_slice(&(app.len() as u32).to_le_bytes());
    b[28..32].copy_from_slice(&32u32.to_le_bytes());
    b.extend_from_slice(app);
    b
}

#[test]
fn channel_bindings() {
    let alice = || client("alice", "EXAMPLE", "alice-Passw0rd");
    let good = bindings(b"tls-server-end-point:0123456789");
    let other = bindings(b"tls-server-end-point:9876543210");
    let r = |cb_c: Option<&[u8]>, cb_s: Option<&[u8]>, req: u32, settings: NtlmSettings| {
        run(
            &mut alice(),
            &mut server_with(settings, req),
            cb_c,
            cb_s,
            |_| {},
        )
        .map(|o| o.context_attr)
    };
    let d = NtlmSettings::default();
    assert!(r(Some(&good), Some(&good), 0, d).is_ok());
    assert_eq!(
        r(Some(&other), Some(&good), 0, d),
        Err(SecStatus::BadBindings)
    );
    assert!(
        r(None, Some(&good), 0, d).is_ok(),
        "missing bindings are accepted by default"
    );
    assert_eq!(
        r(None, Some(&good), ASC_REQ_ALLOW_MISSING_BINDINGS, d).unwrap() & ASC_RET_MISSING_BINDINGS,
        ASC_RET_MISSING_BINDINGS
    );
    assert_eq!(
        r(None, Some(&good), ASC_REQ_PROXY_BINDINGS, d),
        Err(SecStatus::BadBindings)
    );
    let strict = NtlmSettings {
        require_bindings: true,
        ..d
    };
    assert_eq!(r(None, Some(&good), 0, strict), Err(SecStatus::BadBindings));
    assert!(
        r(Some(&good), None, 0, d).is_ok(),
        "a server without bindings ignores them"
    );
    // The RFC 4121 hash of a known structure (MD5 over 5 zero u32 + app data).
    let raw = bindings(b"abc");
    let mut ser = vec![0u8; 16];
    ser.extend_from_slice(&3u32.to_le_bytes());
    ser.extend_from_slice(b"abc");
    assert_eq!(
        crypto::channel_bindings_hash(&raw).unwrap(),
        crypto::md5(&[&ser])
    );
    assert_eq!(
        crypto::channel_bindings_hash(&raw[..20]),
        Err(SecStatus::BadBindings)
    );
}

#[test]
fn anonymous() {
    let cred = NtlmCredential::new(
        CredentialUse::Outbound,
        Some(ClientCredential::anonymous()),
        NtlmSettings::default(),
        None,
    );
    let req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_NULL_SESSION;
    let mut c = cred.initiator(None, req).unwrap();
    let mut s = server();
    let o1 = c.initialize(&HandshakeInput::default()).unwrap();
    assert_eq!(o1.context_attr, 0x50010);
    let o2 = s.accept(&tok(&o1.token)).unwrap();
    let o3 = c.initialize(&tok(&o2.token)).unwrap();
    assert_eq!(o3.context_attr, 0x5001C);
    let m = AuthenticateMessage::decode(&o3.token).unwrap();
    assert_eq!(
        (m.lm_response.as_slice(), m.nt_response.len(), m.user.len()),
        (&[0u8][..], 0, 0)
    );
    let o4 = s.accept(&tok(&o3.token)).unwrap();
    assert_eq!(o4.context_attr, 0x12001C);
    assert_eq!(
        s.client_identity(),
        Some(("NT AUTHORITY".into(), "ANONYMOUS LOGON".into()))
    );
    let (ct, t) = seal(&mut c, 0, b"anon").unwrap();
    assert_eq!(unseal(&mut s, &ct, &t).unwrap(), b"anon");
    let deny = NtlmSettings {
        deny_anonymous: true,
        ..Default::default()
    };
    let mut c = cred.initiator(None, req).unwrap();
    assert_eq!(
        run(&mut c, &mut server_with(deny, 0), None, None, |_| {}).unwrap_err(),
        SecStatus::LogonDenied
    );
    // ISC_REQ_NULL_SESSION on a normal credential is anonymous too.
    let mut c = client_with(
        "alice",
        "EXAMPLE",
        "alice-Passw0rd",
        NtlmSettings::default(),
        req,
    );
    assert_eq!(
        run(&mut c, &mut server(), None, None, |_| {})
            .unwrap()
            .context_attr,
        0x12001C
    );
}

#[test]
fn bad_tokens_never_panic() {
    // Server leg 1 and 2, client leg 2: every truncation and garbage.
    let (mut c, mut s) = (client("alice", "EXAMPLE", "alice-Passw0rd"), server());
    let o1 = c.initialize(&HandshakeInput::default()).unwrap();
    let o2 = s.accept(&tok(&o1.token)).unwrap();
    let o3 = client("alice", "EXAMPLE", "alice-Passw0rd");
    let _ = o3;
    let mut c2 = client("alice", "EXAMPLE", "alice-Passw0rd");
    c2.initialize(&HandshakeInput::default()).unwrap();
    let auth = {
        let mut c3 = client("alice", "EXAMPLE", "alice-Passw0rd");
        c3.initialize(&HandshakeInput::default()).unwrap();
        c3.initialize(&tok(&o2.token)).unwrap().token
    };
    for msg in [&o1.token, &o2.token, &auth] {
        for cut in 0..msg.len() {
            let mut s1 = server();
            let _ = s1.accept(&tok(&msg[..cut]));
            let mut c1 = client("alice", "EXAMPLE", "alice-Passw0rd");
            c1.initialize(&HandshakeInput::default()).unwrap();
            let _ = c1.initialize(&tok(&msg[..cut]));
            let mut s2 = server();
            s2.accept(&tok(&o1.token)).unwrap();
            let _ = s2.accept(&tok(&msg[..cut]));
        }
        for i in 0..msg.len() {
            let mut m = msg.clone();
            m[i] ^= 0xFF;
            let mut s2 = server();
            s2.accept(&tok(&o1.token)).unwrap();
            let _ = s2.accept(&tok(&m));
            let mut c1 = client("alice", "EXAMPLE", "alice-Passw0rd");
            c1.initialize(&HandshakeInput::default()).unwrap();
            let _ = c1.initialize(&tok(&m));
        }
    }
    assert_eq!(
        server()
            .accept(&tok(b"garbage garbage garbage"))
            .unwrap_err(),
        SecStatus::InvalidToken
    );
    assert_eq!(
        server().accept(&HandshakeInput::default()).unwrap_err(),
        SecStatus::IncompleteMessage
    );
    assert_eq!(
        server().accept(&tok(&[])).unwrap_err(),
        SecStatus::IncompleteMessage
    );
    assert_eq!(
        server().accept(&tok(&vec![0u8; 2889])).unwrap_err(),
        SecStatus::InvalidToken
    );
    assert_eq!(
        s.accept(&HandshakeInput::default()).unwrap_err(),
        SecStatus::IncompleteMessage
    );
    assert_eq!(
        c2.initialize(&HandshakeInput::default()).unwrap_err(),
        SecStatus::InvalidToken
    );
    assert_eq!(
        c2.initialize(&tok(&o2.token)).unwrap_err(),
        SecStatus::OutOfSequence,
        "failed context"
    );
    // The AUTHENTICATE as the first server token.
    assert_eq!(
        server().accept(&tok(&auth)).unwrap_err(),
        SecStatus::InvalidToken
    );
    // Unestablished contexts cannot sign.
    let mut t = [0u8; 16];
    let mut d = [0u8; 1];
    let mut msg = [
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
    ];
    assert_eq!(
        c.make_signature(0, &mut msg, 0).unwrap_err(),
        SecStatus::InvalidHandle
    );
    assert!(matches!(
        c.query_attribute(SECPKG_ATTR_SIZES),
        Ok(ContextAttribute::Sizes { .. })
    ));
    assert_eq!(
        c.query_attribute(SECPKG_ATTR_SESSION_KEY).unwrap_err(),
        SecStatus::UnsupportedFunction
    );
}

#[test]
fn samba_blob_without_trailing_zeros() {
    let mut c = client("alice", "EXAMPLE", "alice-Passw0rd");
    c.hooks.trim_blob = true;
    assert!(run(&mut c, &mut server(), None, None, |_| {}).is_ok());
}

#[test]
fn stale_timestamp_is_rejected() {
    let mut c = client("alice", "EXAMPLE", "alice-Passw0rd");
    c.hooks.time = Some((crate::sspi::time::filetime_now() - MAX_LIFETIME - 10_000_000) as u64);
    assert_eq!(
        run(&mut c, &mut server(), None, None, |_| {}).unwrap_err(),
        SecStatus::ContextExpired
    );
}

#[test]
fn lm_compat_levels() {
    let v1 = NtlmSettings {
        lm_compat_level: 2,
        ..Default::default()
    };
    // An NTLMv1 client against a default (NTLMv2-only) server.
    let mut c = client_with(
        "alice",
        "EXAMPLE",
        "alice-Passw0rd",
        v1,
        ISC_REQ_CONFIDENTIALITY,
    );
    assert_eq!(
        run(&mut c, &mut server(), None, None, |_| {}).unwrap_err(),
        SecStatus::LogonDenied
    );
    // Level 2 on both sides: NTLMv1 with ESS; level 0: without ESS (CRC32 signing).
    for level in [0u8, 1, 2] {
        let st = NtlmSettings {
            lm_compat_level: level,
            ..Default::default()
        };
        let mut c = client_with(
            "alice",
            "EXAMPLE",
            "alice-Passw0rd",
            st,
            ISC_REQ_CONFIDENTIALITY,
        );
        let mut s = server_with(st, 0);
        run(&mut c, &mut s, None, None, |_| {}).unwrap();
        let ess = c.session().unwrap().flags() & flags::ESS != 0;
        assert_eq!(ess, level > 0);
        for _ in 0..2 {
            let (ct, t) = seal(&mut c, 0, b"v1 data").unwrap();
            assert_eq!(unseal(&mut s, &ct, &t).unwrap(), b"v1 data");
            let (ct, t) = seal(&mut s, 0, b"v1 back").unwrap();
            assert_eq!(unseal(&mut c, &ct, &t).unwrap(), b"v1 back");
            let sig = sign(&mut c, b"x");
            assert_eq!(verify(&mut s, b"x", &sig), Ok(None));
        }
        let (ct, t) = seal(&mut c, 0, b"replayed").unwrap();
        assert!(unseal(&mut s, &ct, &t).is_ok());
        assert!(unseal(&mut s, &ct, &t).is_err());
        let mut c = client_with("alice", "EXAMPLE", "bad", st, 0);
        assert_eq!(
            run(&mut c, &mut server_with(st, 0), None, None, |_| {}).unwrap_err(),
            SecStatus::LogonDenied
        );
    }
}

#[test]
fn export_import_continues_the_sequence() {
    let (mut c, mut s) = established();
    let (ct, t) = seal(&mut c, 0, b"before").unwrap();
    assert_eq!(unseal(&mut s, &ct, &t).unwrap(), b"before");
    let packed_c = c.export().unwrap();
    let packed_s = s.export().unwrap();
    let mut c2 = NTLM.import_context(&packed_c).unwrap();
    let mut s2 = NTLM.import_context(&packed_s).unwrap();
    drop((c, s));
    let (ct, t) = seal(c2.as_mut(), 0, b"after").unwrap();
    assert_eq!(unseal(s2.as_mut(), &ct, &t).unwrap(), b"after");
    let (ct, t) = seal(s2.as_mut(), 0, b"back").unwrap();
    assert_eq!(unseal(c2.as_mut(), &ct, &t).unwrap(), b"back");
    assert_eq!(
        s2.client_identity(),
        Some(("EXAMPLE".into(), "alice".into()))
    );
    assert!(c2.client_identity().is_none());
    for cut in 0..packed_c.len() {
        assert!(NTLM.import_context(&packed_c[..cut]).is_err());
    }
    assert!(server().export().is_err());
}

#[test]
fn acquire_credentials() {
    use crate::sspi::{AcquireCredentials, AuthIdentity};
    let id = AuthIdentity {
        user: Some("EXAMPLE\\alice".into()),
        password: Some(zeroize::Zeroizing::new("alice-Passw0rd".into())),
        ..Default::default()
    };
    let req = |identity, usage| AcquireCredentials {
        principal: None,
        usage,
        logon_id: None,
        identity,
    };
    let cred = NTLM
        .acquire_credentials(&req(Some(&id), CredentialUse::Outbound))
        .unwrap();
    assert_eq!(cred.user_name().unwrap(), "EXAMPLE\\alice");
    assert!(!format!(
        "{:?}",
        NTLM.acquire(
            &req(Some(&id), CredentialUse::Outbound),
            NtlmSettings::default()
        )
        .unwrap()
    )
    .contains("Passw0rd"));
    let mut c = cred.new_initiator(None, ISC_REQ_CONFIDENTIALITY).unwrap();
    let o1 = c.initialize(&HandshakeInput::default()).unwrap();
    assert_eq!(o1.step, Some(Step::ContinueNeeded));
    assert_eq!(cred.new_acceptor(0).err(), Some(SecStatus::NoCredentials));
    // Default credentials come from the LSA (none yet).
    assert_eq!(
        NTLM.acquire_credentials(&req(None, CredentialUse::Outbound))
            .err(),
        Some(SecStatus::NoCredentials)
    );
    let inbound = NTLM
        .acquire_credentials(&req(None, CredentialUse::Inbound))
        .unwrap();
    assert!(inbound.new_acceptor(0).is_ok());
    assert_eq!(
        inbound.new_initiator(None, 0).err(),
        Some(SecStatus::NoCredentials)
    );
    let anon = AuthIdentity {
        user: Some(String::new()),
        domain: Some(String::new()),
        password: Some(zeroize::Zeroizing::new(String::new())),
        ..Default::default()
    };
    let cred = NTLM
        .acquire_credentials(&req(Some(&anon), CredentialUse::Outbound))
        .unwrap();
    assert_eq!(cred.user_name().unwrap(), "NT AUTHORITY\\ANONYMOUS LOGON");
}

/// Wine's canned CHALLENGE (BEHAVIOURS.md 55, `network_challenge`).
const WINE_CHALLENGE: &str = concat!(
    "4e544c4d53535000020000001000100030000000058282a0e9587f14a2863b63",
    "0000000000000000540054004000000043004100530049004e004f0030003100",
    "0200100043004100530049004e004f0030003100010010004300410053004900",
    "4e004f00300031000400100063006100730069006e006f003000310003001000",
    "63006100730069006e006f003000310000000000",
);

#[test]
fn wine_canned_challenge_vectors_90_91() {
    let challenge = hex::decode(WINE_CHALLENGE).unwrap();
    // Wine's vectors use the NTLMv1 session key MD4(NTOWFv1): reproducible
    // at LM compatibility level <= 2 (level 3 would answer with NTLMv2).
    let st = NtlmSettings {
        lm_compat_level: 2,
        ..Default::default()
    };
    let mut c = client_with("testuser", "WORKGROUP", "testpass", st, 0);
    c.initialize(&HandshakeInput::default()).unwrap();
    let out = c.initialize(&tok(&challenge)).unwrap();
    assert_eq!(out.step, Some(Step::Complete));
    match c.query_attribute(SECPKG_ATTR_KEY_INFO).unwrap() {
        ContextAttribute::KeyInfo {
            signature_algorithm_name,
            signature_algorithm,
            ..
        } => {
            assert_eq!(
                (signature_algorithm_name.as_str(), signature_algorithm),
                ("RSADSI RC4-CRC32", 0xFFFF_FF7C)
            )
        }
        other => panic!("{other:?}"),
    }
    let h = |s: &str| hex::decode(s).unwrap();
    let message = b"Hello, world!";
    // Items 81-82: dummy signatures, no state change.
    assert_eq!(sign(&mut c, message), h("01000000000000000000000000000000"));
    assert_eq!(
        verify(&mut c, message, &h("0100000000000000e8c7aa261639074e")),
        Err(SecStatus::MessageAltered)
    );
    assert_eq!(
        verify(&mut c, message, &h("01000000000000000000000000000000")),
        Ok(None)
    );
    // Item 90.
    let (ct, t) = seal(&mut c, 0, message).unwrap();
    assert_eq!(hex::encode(&t), "0100000000000000e8c7aa261639074e");
    assert_eq!(hex::encode(&ct), "869c5a1078b330984615a031d9");
    let plain = unseal(
        &mut c,
        &h("f6b7920cacea98e6efa02966fd"),
        &h("01000000000000001c462e77ebf0f69e"),
    )
    .unwrap();
    assert_eq!(plain, message);
    // Item 91: [DATA|READONLY_WITH_CHECKSUM, DATA, DATA|READONLY_WITH_CHECKSUM, TOKEN].
    let header = b"Header Test\0";
    let complex = |c: &mut NtlmClient,
                   data: &[u8],
                   token: &[u8],
                   op: u8|
     -> (Result<(), SecStatus>, Vec<u8>, Vec<u8>) {
        let mut d = data.to_vec();
        let mut t = token.to_vec();
        let mut msg = [
            MessageBuffer::new(
                SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM,
                BufferData::ReadOnly(header),
            ),
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
            MessageBuffer::new(
                SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM,
                BufferData::ReadOnly(header),
            ),
            MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        ];
        let r = match op {
            0 => c.make_signature(0, &mut msg, 0),
            1 => c.verify_signature(&mut msg, 0).map(|_| ()),
            2 => c.encrypt_message(0, &mut msg, 0),
            _ => c.decrypt_message(&mut msg, 0).map(|_| ()),
        };
        (r, d, t)
    };
    let (r, _, t) = complex(&mut c, message, &[0; 16], 0);
    assert_eq!(
        (r, t.clone()),
        (Ok(()), h("01000000000000000000000000000000"))
    );
    assert_eq!(complex(&mut c, message, &t, 1).0, Ok(()));
    let (r, d, t) = complex(&mut c, message, &[0; 16], 2);
    assert_eq!(r, Ok(()));
    assert_eq!(hex::encode(&t), "0100000000000000c5a7f70f5b25bea4");
    assert_eq!(hex::encode(&d), "206c01abb04c93e41efce1fafe");
    let (r, d, _) = complex(
        &mut c,
        &h("c8f2397f0caff55def0c8b5f82"),
        &h("0100000000000000b14e46b7caf77fb3"),
        3,
    );
    assert_eq!(r, Ok(()));
    // Wine does not check this plaintext; the server sent a capital W.
    assert_eq!(d, b"Hello, World!");
}

#[test]
fn no_sign_no_seal_requested() {
    let mut c = client_with(
        "alice",
        "EXAMPLE",
        "alice-Passw0rd",
        NtlmSettings::default(),
        0,
    );
    let mut s = server();
    let o1 = c.initialize(&HandshakeInput::default()).unwrap();
    assert_eq!(o1.context_attr, 0);
    assert_eq!(
        u32::from_le_bytes(o1.token[12..16].try_into().unwrap()) & 0x30,
        0
    );
    let o2 = s.accept(&tok(&o1.token)).unwrap();
    assert_eq!(o2.context_attr, 0);
    let o3 = c.initialize(&tok(&o2.token)).unwrap();
    assert_eq!(o3.context_attr, 0);
    assert_eq!(s.accept(&tok(&o3.token)).unwrap().context_attr, 0);
    // Dummy signatures (items 81-82), but sealing still works (item 89).
    let sig = sign(&mut c, b"m");
    assert_eq!(sig, seal::DUMMY_SIGNATURE);
    assert_eq!(verify(&mut s, b"m", &sig), Ok(None));
    assert_eq!(
        verify(
            &mut s,
            b"m",
            &[1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
        ),
        Err(SecStatus::MessageAltered)
    );
    let (ct, t) = seal(&mut c, 0, b"still sealed").unwrap();
    assert_ne!(ct, b"still sealed");
    assert_eq!(unseal(&mut s, &ct, &t).unwrap(), b"still sealed");
}

#[test]
fn readonly_buffers() {
    let (mut c, mut s) = established();
    let header = b"header".to_vec();
    let skipped = b"not signed".to_vec();
    let mut body = b"body".to_vec();
    let mut t = [0u8; 16];
    let mut msg = [
        MessageBuffer::new(
            SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM,
            BufferData::ReadOnly(&header),
        ),
        MessageBuffer::new(
            SECBUFFER_DATA | SECBUFFER_READONLY,
            BufferData::ReadOnly(&skipped),
        ),
        MessageBuffer::new(SECBUFFER_PADDING, BufferData::ReadOnly(&[])),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut body)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
    ];
    c.encrypt_message(0, &mut msg, 0).unwrap();
    assert_ne!(body, b"body");
    let attempt = |s: &mut NtlmServer, header: &[u8], skipped: &[u8], body: &[u8], t: &[u8]| {
        let (mut b, mut t) = (body.to_vec(), t.to_vec());
        let mut msg = [
            MessageBuffer::new(
                SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM,
                BufferData::ReadOnly(header),
            ),
            MessageBuffer::new(
                SECBUFFER_DATA | SECBUFFER_READONLY,
                BufferData::ReadOnly(skipped),
            ),
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut b)),
            MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        ];
        s.decrypt_message(&mut msg, 0).map(|_| b)
    };
    // READONLY data is not covered; READONLY_WITH_CHECKSUM data is.
    assert_eq!(
        attempt(&mut s, b"header", b"changed!!!", &body, &t).unwrap(),
        b"body"
    );
    let mut body2 = b"body".to_vec();
    let mut t2 = [0u8; 16];
    let mut msg = [
        MessageBuffer::new(
            SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM,
            BufferData::ReadOnly(&header),
        ),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut body2)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t2)),
    ];
    c.encrypt_message(0, &mut msg, 0).unwrap();
    assert_eq!(
        attempt(&mut s, b"HEADER", b"", &body2, &t2).unwrap_err(),
        SecStatus::MessageAltered
    );
}

/// Rough throughput check: `cargo test --release --lib ntlm::tests::throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let n = 20_000;
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        let (mut c, mut s) = (client("alice", "EXAMPLE", "alice-Passw0rd"), server());
        run(&mut c, &mut s, None, None, |_| {}).unwrap();
    }
    let hs = n as f64 / t0.elapsed().as_secs_f64();
    let (mut c, mut s) = established();
    let mut data = vec![0u8; 16384];
    let mut t = [0u8; 16];
    let rounds: usize = std::env::var("NTLM_BENCH_SEAL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let t0 = std::time::Instant::now();
    for _ in 0..rounds {
        let mut msg = [
            MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut data)),
        ];
        c.encrypt_message(0, &mut msg, 0).unwrap();
        s.decrypt_message(&mut msg, 0).unwrap();
    }
    let mbps = (rounds * 16384 * 2) as f64 / t0.elapsed().as_secs_f64() / 1e6;
    println!("{hs:.0} handshakes/s (one core, client+server); seal+unseal {mbps:.0} MB/s");
}
