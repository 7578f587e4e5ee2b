//! In-process client ↔ server tests: shared helpers and the basic
//! handshake here; negative handshakes in `handshake`, message protection
//! (including BEHAVIOURS.md 90-91, Wine's canned CHALLENGE) in `sealing`.

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

/// A server CHALLENGE without MsvAvTimestamp makes the client send no MIC.
fn strip_timestamp(chal: &[u8]) -> Vec<u8> {
    let mut m = ChallengeMessage::decode(chal).unwrap();
    let mut p = AvPairs::decode(&m.target_info).unwrap();
    p.0.retain(|x| x.0 != MSV_AV_TIMESTAMP);
    m.target_info = p.encode();
    m.encode()
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

mod downgrade;
mod handshake;
mod identity;
mod sealing;
