//! In-process Negotiate client ↔ server tests with NTLM inside, a stand-in
//! for a second mechanism (Kerberos is not registered yet), and the
//! attacks: a downgraded mechList, a stripped mechListMIC, unknown mechs.

use std::sync::Arc;

use super::mech::Mech;
use super::tokens::{self, NegState, NegTokenResp, NegotiationToken};
use super::*;
use crate::lsa::accounts::AccountDatabase;
use crate::packages::ntlm::crypto::nt_owf_v1;
use crate::packages::ntlm::{ClientCredential, NtlmCredential, NtlmSettings, Session};
use crate::sspi::{
    AuthIdentity, BufferData, ContextAttribute, HandshakeInput, HandshakeOutput, MessageBuffer,
    Step,
};

const ACCOUNTS: &str = "EXAMPLE:alice:alice-Passw0rd\n";

fn ntlm_client_cred() -> InnerCredential {
    let c = ClientCredential::new("alice", "EXAMPLE", nt_owf_v1("alice-Passw0rd"));
    InnerCredential {
        oids: &[Mech::Ntlm],
        cred: Arc::new(NtlmCredential::new(
            CredentialUse::Outbound,
            Some(c),
            NtlmSettings::default(),
            None,
        )),
    }
}

fn ntlm_server_cred() -> InnerCredential {
    InnerCredential {
        oids: &[Mech::Ntlm],
        cred: Arc::new(NtlmCredential::new(
            CredentialUse::Inbound,
            None,
            NtlmSettings::default(),
            Some(Arc::new(AccountDatabase::parse(ACCOUNTS))),
        )),
    }
}

/// A second mechanism under the Kerberos OIDs: its client produces one
/// opaque token and never completes.
struct OtherMechCred;
struct OtherMechCtx;

impl Credential for OtherMechCred {
    fn package(&self) -> &'static PackageInfo {
        &NEGOTIATE_PACKAGE_INFO
    }
    fn usage(&self) -> CredentialUse {
        CredentialUse::Both
    }
    fn user_name(&self) -> SecResult<String> {
        Err(SecStatus::NoCredentials)
    }
    fn new_initiator(&self, _: Option<&str>, _: u32) -> SecResult<Box<dyn SecurityContext>> {
        Ok(Box::new(OtherMechCtx))
    }
    fn new_acceptor(&self, _: u32) -> SecResult<Box<dyn SecurityContext>> {
        Ok(Box::new(OtherMechCtx))
    }
}

impl SecurityContext for OtherMechCtx {
    fn package(&self) -> &'static PackageInfo {
        &NEGOTIATE_PACKAGE_INFO
    }
    fn initialize(&mut self, _: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        Ok(HandshakeOutput {
            step: Some(Step::ContinueNeeded),
            token: b"other-mech-token".to_vec(),
            ..Default::default()
        })
    }
    fn is_established(&self) -> bool {
        false
    }
    fn make_signature(&mut self, _: u32, _: &mut [MessageBuffer<'_>], _: u32) -> SecResult<()> {
        Err(SecStatus::UnsupportedFunction)
    }
    fn verify_signature(&mut self, _: &mut [MessageBuffer<'_>], _: u32) -> SecResult<Option<u32>> {
        Err(SecStatus::UnsupportedFunction)
    }
    fn encrypt_message(&mut self, _: u32, _: &mut [MessageBuffer<'_>], _: u32) -> SecResult<()> {
        Err(SecStatus::UnsupportedFunction)
    }
    fn decrypt_message(&mut self, _: &mut [MessageBuffer<'_>], _: u32) -> SecResult<Option<u32>> {
        Err(SecStatus::UnsupportedFunction)
    }
    fn query_attribute(&self, _: u32) -> SecResult<ContextAttribute> {
        Err(SecStatus::UnsupportedFunction)
    }
}

fn other_mech() -> InnerCredential {
    InnerCredential {
        oids: &[Mech::MsKerberos, Mech::Kerberos],
        cred: Arc::new(OtherMechCred),
    }
}

const REQ: u32 = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY;

fn client_with(mechs: Vec<InnerCredential>) -> NegotiateClient {
    NegotiateClient::new(mechs, Some("HTTP/server.example"), REQ).unwrap()
}

fn client() -> NegotiateClient {
    client_with(vec![ntlm_client_cred()])
}

fn server() -> NegotiateServer {
    NegotiateServer::new(vec![ntlm_server_cred()], 0).unwrap()
}

fn tok(t: &[u8]) -> HandshakeInput<'_> {
    HandshakeInput {
        token: Some(t),
        ..Default::default()
    }
}

fn resp(t: &[u8]) -> NegTokenResp<'_> {
    match tokens::decode(t).unwrap() {
        NegotiationToken::Resp(r) => r,
        other => panic!("not a NegTokenResp: {other:?}"),
    }
}

/// `t` re-encoded without its mechListMIC.
fn strip_mic(t: &[u8]) -> Vec<u8> {
    let r = resp(t);
    assert!(r.mech_list_mic.is_some());
    tokens::encode_resp(&NegTokenResp {
        mech_list_mic: None,
        ..r
    })
}

/// A whole exchange, with a hook on each token in transit (leg number
/// from 1, token). Returns the last server and client results.
fn run(
    c: &mut NegotiateClient,
    s: &mut NegotiateServer,
    mut edit: impl FnMut(usize, &mut Vec<u8>),
) -> (SecResult<Step>, SecResult<Step>) {
    let mut leg = 1;
    let mut server = Err(SecStatus::InternalError);
    let mut input: Option<Vec<u8>> = None;
    loop {
        let client = match &input {
            None => c.initialize(&HandshakeInput::default()),
            Some(t) => c.initialize(&tok(t)),
        };
        let Ok(mut out) = client else {
            return (server, client.map(|o| o.step.unwrap()));
        };
        if out.step == Some(Step::Complete) && out.token.is_empty() {
            return (server, Ok(Step::Complete));
        }
        edit(leg, &mut out.token);
        leg += 1;
        let reply = s.accept(&tok(&out.token));
        let Ok(mut reply) = reply else {
            return (reply.map(|o| o.step.unwrap()), Ok(out.step.unwrap()));
        };
        server = Ok(reply.step.unwrap());
        edit(leg, &mut reply.token);
        leg += 1;
        input = Some(reply.token);
        assert!(leg < 12, "the exchange does not end");
    }
}

fn seal(ctx: &mut dyn SecurityContext, data: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut d = data.to_vec();
    let mut t = vec![0u8; 16];
    let mut msg = [
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
    ];
    ctx.encrypt_message(0, &mut msg, 0).unwrap();
    (d, t)
}

fn unseal(ctx: &mut dyn SecurityContext, sealed: &(Vec<u8>, Vec<u8>)) -> SecResult<Vec<u8>> {
    let (mut d, mut t) = sealed.clone();
    let mut msg = [
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
    ];
    ctx.decrypt_message(&mut msg, 0)?;
    Ok(d)
}

fn sign_and_verify(a: &mut dyn SecurityContext, b: &mut dyn SecurityContext, data: &[u8]) {
    let mut t = vec![0u8; 16];
    let mut d = data.to_vec();
    let mut msg = [
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
    ];
    a.make_signature(0, &mut msg, 0).unwrap();
    let mut msg = [
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::ReadOnly(data)),
    ];
    b.verify_signature(&mut msg, 0).unwrap();
}

#[test]
fn ntlm_inside_spnego_with_mech_list_mics() {
    let (mut c, mut s) = (client(), server());
    let mut seen = Vec::new();
    let (so, co) = run(&mut c, &mut s, |leg, t| seen.push((leg, t.clone())));
    assert_eq!((so, co), (Ok(Step::Complete), Ok(Step::Complete)));
    assert_eq!(seen.len(), 4);

    // Leg 1: GSS framing, mechTypes [NTLM], NEGOTIATE_MESSAGE inside.
    let NegotiationToken::Init(init) = tokens::decode(&seen[0].1).unwrap() else {
        panic!()
    };
    assert_eq!(init.mech_types, vec![Mech::Ntlm.oid()]);
    assert_eq!(&init.mech_token.unwrap()[..8], b"NTLMSSP\0");
    // Leg 2: accept-incomplete, supportedMech NTLM, CHALLENGE.
    let r2 = resp(&seen[1].1);
    assert_eq!(r2.neg_state, Some(NegState::AcceptIncomplete));
    assert_eq!(r2.supported_mech, Some(Mech::Ntlm.oid()));
    // Leg 3: AUTHENTICATE (with its MIC) and the client's mechListMIC.
    let r3 = resp(&seen[2].1);
    assert!(r3.response_token.is_some() && r3.mech_list_mic.is_some());
    // Leg 4: accept-completed and the server's mechListMIC.
    let r4 = resp(&seen[3].1);
    assert_eq!(r4.neg_state, Some(NegState::AcceptCompleted));
    assert!(r4.mech_list_mic.is_some() && r4.supported_mech.is_none());

    // Messages after the MIC exchange (crypto state reset on both sides).
    for _ in 0..2 {
        let m = seal(&mut c, b"client to server");
        assert_eq!(unseal(&mut s, &m).unwrap(), b"client to server");
        let m = seal(&mut s, b"server to client");
        assert_eq!(unseal(&mut c, &m).unwrap(), b"server to client");
        sign_and_verify(&mut c, &mut s, b"signed c->s");
        sign_and_verify(&mut s, &mut c, b"signed s->c");
    }

    // Attributes are the chosen package's.
    for ctx in [&c as &dyn SecurityContext, &s] {
        match ctx.query_attribute(SECPKG_ATTR_NEGOTIATION_INFO).unwrap() {
            ContextAttribute::NegotiationInfo { package, state } => {
                assert_eq!(package.name, "NTLM");
                assert_eq!(state, SECPKG_NEGOTIATION_COMPLETE);
            }
            other => panic!("{other:?}"),
        }
        match ctx.query_attribute(SECPKG_ATTR_PACKAGE_INFO).unwrap() {
            ContextAttribute::PackageInfo(p) => assert_eq!(p.rpc_id, 10),
            other => panic!("{other:?}"),
        }
        match ctx.query_attribute(SECPKG_ATTR_SIZES).unwrap() {
            ContextAttribute::Sizes { max_signature, .. } => assert_eq!(max_signature, 16),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        s.client_identity(),
        Some(("EXAMPLE".to_string(), "alice".to_string()))
    );
    // The network logon session names the package that verified alice,
    // as bare NTLM's would.
    assert_eq!(
        s.network_identity(),
        Some(crate::lsa::network::NetworkIdentity::new(
            "alice", "EXAMPLE", "NTLM"
        ))
    );
    match s.query_attribute(SECPKG_ATTR_NAMES).unwrap() {
        ContextAttribute::Names(n) => assert_eq!(n, "EXAMPLE\\alice"),
        other => panic!("{other:?}"),
    }

    // Export/Import: the package id byte, then NTLM's own blob.
    let blob = s
        .export(crate::sspi::consts::SECPKG_CONTEXT_EXPORT_DELETE_OLD)
        .unwrap();
    assert_eq!(blob[0], 10);
    let mut imported = NEGOTIATE.import_context(&blob).unwrap();
    let m = seal(&mut c, b"after import");
    assert_eq!(unseal(imported.as_mut(), &m).unwrap(), b"after import");
    assert_eq!(
        NEGOTIATE.import_context(&[99, 1, 2]).err(),
        Some(SecStatus::InvalidToken)
    );
}

#[test]
fn server_choosing_another_mech_than_the_optimistic_one() {
    let mut c = client_with(vec![other_mech(), ntlm_client_cred()]);
    let mut s = server();
    let t1 = c.initialize(&HandshakeInput::default()).unwrap().token;
    let NegotiationToken::Init(init) = tokens::decode(&t1).unwrap() else {
        panic!()
    };
    assert_eq!(
        init.mech_types,
        vec![
            Mech::MsKerberos.oid(),
            Mech::Kerberos.oid(),
            Mech::Ntlm.oid()
        ]
    );
    assert_eq!(init.mech_token, Some(&b"other-mech-token"[..]));
    // The server takes NTLM, the client's third choice: request-mic, no token.
    let o2 = s.accept(&tok(&t1)).unwrap();
    let r2 = resp(&o2.token);
    assert_eq!(r2.neg_state, Some(NegState::RequestMic));
    assert_eq!(r2.supported_mech, Some(Mech::Ntlm.oid()));
    assert_eq!(r2.response_token, None);
    // The client starts NTLM with no optimistic token: NEGOTIATE.
    let o3 = c.initialize(&tok(&o2.token)).unwrap();
    let r3 = resp(&o3.token);
    assert_eq!(&r3.response_token.unwrap()[..8], b"NTLMSSP\0");
    assert_eq!(c.mech(), Some(Mech::Ntlm));
    let o4 = s.accept(&tok(&o3.token)).unwrap();
    let o5 = c.initialize(&tok(&o4.token)).unwrap();
    assert!(resp(&o5.token).mech_list_mic.is_some());
    let o6 = s.accept(&tok(&o5.token)).unwrap();
    assert_eq!(o6.step, Some(Step::Complete));
    let o7 = c.initialize(&tok(&o6.token)).unwrap();
    assert_eq!(o7.step, Some(Step::Complete));
    let m = seal(&mut c, b"hello");
    assert_eq!(unseal(&mut s, &m).unwrap(), b"hello");
}

/// A man in the middle drops the other mechanism from the client's list
/// (and its optimistic token): the server chooses NTLM as the client's
/// "first" choice, but the client MICs the list it sent.
#[test]
fn downgraded_mech_list_is_detected() {
    let mut c = client_with(vec![other_mech(), ntlm_client_cred()]);
    let mut s = server();
    let (so, _) = run(&mut c, &mut s, |leg, t| {
        if leg == 1 {
            let der = tokens::encode_mech_types(&[Mech::Ntlm]);
            *t = tokens::encode_init(&der, None, false, None);
        }
    });
    assert_eq!(so, Err(SecStatus::MessageAltered));
}

#[test]
fn altered_server_mic_is_detected_by_the_client() {
    let (mut c, mut s) = (client(), server());
    let (so, co) = run(&mut c, &mut s, |leg, t| {
        if leg == 4 {
            let r = resp(t);
            let mut mic = r.mech_list_mic.unwrap().to_vec();
            mic[6] ^= 1;
            *t = tokens::encode_resp(&NegTokenResp {
                mech_list_mic: Some(&mic),
                ..r
            });
        }
    });
    assert_eq!(so, Ok(Step::Complete));
    assert_eq!(co, Err(SecStatus::MessageAltered));
}

#[test]
fn missing_client_mic_is_refused() {
    let (mut c, mut s) = (client(), server());
    let (so, _) = run(&mut c, &mut s, |leg, t| {
        if leg == 3 {
            *t = strip_mic(t);
        }
    });
    assert_eq!(so, Err(SecStatus::InvalidToken));
}

#[test]
fn missing_server_mic_is_refused() {
    let (mut c, mut s) = (client(), server());
    let (_, co) = run(&mut c, &mut s, |leg, t| {
        if leg == 4 {
            *t = strip_mic(t);
        }
    });
    assert_eq!(co, Err(SecStatus::InvalidToken));
}

#[test]
fn only_unknown_mechs_offered() {
    let negoex: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e];
    let mut list = Vec::new();
    der::put(&mut list, der::OBJECT_IDENTIFIER, negoex);
    let mech_types = der::wrap(der::SEQUENCE, &list);
    let t = tokens::encode_init(&mech_types, Some(b"x"), false, None);
    assert_eq!(
        server().accept(&tok(&t)).err(),
        Some(SecStatus::InvalidToken)
    );
    let empty = tokens::encode_init(&der::wrap(der::SEQUENCE, &[]), None, false, None);
    assert_eq!(
        server().accept(&tok(&empty)).err(),
        Some(SecStatus::InvalidToken)
    );
    // A NegTokenResp cannot start an exchange.
    let r = tokens::encode_resp(&NegTokenResp::default());
    assert_eq!(
        server().accept(&tok(&r)).err(),
        Some(SecStatus::InvalidToken)
    );
}

#[test]
fn raw_ntlm_first_token_makes_a_plain_ntlm_exchange() {
    let mut c = ntlm_client_cred()
        .cred
        .new_initiator(Some("HTTP/x"), REQ)
        .unwrap();
    let mut s = server();
    let o1 = c.initialize(&HandshakeInput::default()).unwrap();
    let o2 = s.accept(&tok(&o1.token)).unwrap();
    assert_eq!(&o2.token[..8], b"NTLMSSP\0");
    assert!(s.is_raw());
    let o3 = c.initialize(&tok(&o2.token)).unwrap();
    let o4 = s.accept(&tok(&o3.token)).unwrap();
    assert_eq!(o4.step, Some(Step::Complete));
    assert!(o4.token.is_empty());
    let m = seal(c.as_mut(), b"raw");
    assert_eq!(unseal(&mut s, &m).unwrap(), b"raw");
    assert_eq!(
        s.export(crate::sspi::consts::SECPKG_CONTEXT_EXPORT_DELETE_OLD)
            .unwrap()[0],
        10
    );
}

#[test]
fn server_speaking_first_sends_negtokeninit2() {
    let (mut c, mut s) = (client(), server());
    let o0 = s.accept(&HandshakeInput::default()).unwrap();
    assert_eq!(o0.step, Some(Step::ContinueNeeded));
    let NegotiationToken::Init(hint) = tokens::decode(&o0.token).unwrap() else {
        panic!()
    };
    assert_eq!(hint.neg_hints.unwrap().hint_name, Some(tokens::HINT_NAME));
    assert_eq!(hint.mech_types, vec![Mech::Ntlm.oid()]);
    assert_eq!(hint.mech_token, None);
    // The client's first call gets the hint as input.
    let o1 = c.initialize(&tok(&o0.token)).unwrap();
    let o2 = s.accept(&tok(&o1.token)).unwrap();
    let o3 = c.initialize(&tok(&o2.token)).unwrap();
    let o4 = s.accept(&tok(&o3.token)).unwrap();
    assert_eq!(o4.step, Some(Step::Complete));
    assert_eq!(
        c.initialize(&tok(&o4.token)).unwrap().step,
        Some(Step::Complete)
    );
}

#[test]
fn package_list_restricts_the_mechs() {
    let id = |list: &str| AuthIdentity {
        user: Some("alice".into()),
        domain: Some("EXAMPLE".into()),
        password: Some(zeroize::Zeroizing::new("pw".into())),
        package_list: Some(list.into()),
    };
    let acquire = |list: &str| {
        let identity = id(list);
        NEGOTIATE
            .acquire_credentials(&AcquireCredentials {
                principal: None,
                usage: CredentialUse::Outbound,
                logon_id: None,
                identity: Some(&identity),
            })
            .map(|c| c.user_name().unwrap())
    };
    assert_eq!(acquire("ntlm").unwrap(), "EXAMPLE\\alice");
    assert_eq!(acquire("!kerberos").unwrap(), "EXAMPLE\\alice");
    // Kerberos alone: its credential names the principal (the AS exchange
    // waits for InitializeSecurityContext, as on Windows).
    assert_eq!(acquire("!ntlm").unwrap(), "alice@EXAMPLE");
    assert_eq!(acquire("kerberos").unwrap(), "alice@EXAMPLE");
    assert_eq!(
        acquire("!ntlm,!kerberos").err(),
        Some(SecStatus::NoCredentials)
    );
}

/// After the mechListMIC the RC4 handle starts over (MS-SPNG 3.3.5.1): the
/// first sealed message is encrypted with the key stream's first bytes,
/// as by a context that never sent a MIC.
#[test]
fn ntlm_mech_list_mic_resets_the_rc4_handle() {
    use crate::packages::ntlm::flags::*;
    let flags = NTLMSSP_NEGOTIATE_SIGN
        | NTLMSSP_NEGOTIATE_SEAL
        | ESS
        | NTLMSSP_NEGOTIATE_KEY_EXCH
        | NTLMSSP_NEGOTIATE_128;
    let key = zeroize::Zeroizing::new([7u8; 16]);
    let new = || Session::new(true, false, flags, 0, key.clone(), Default::default());
    let (mut with_mic, mut fresh) = (new(), new());
    with_mic.mech_list_mic(b"mech types").unwrap();
    let a = seal(&mut with_mic, b"first message");
    let b = seal(&mut fresh, b"first message");
    assert_eq!(a.0, b.0, "sealed data uses the key stream from its start");
    assert_eq!(
        &a.1[12..],
        &1u32.to_le_bytes(),
        "the sequence number goes on"
    );
    assert_eq!(&b.1[12..], &0u32.to_le_bytes());
}

/// A package that keeps the trait's default mechListMIC hooks (as Kerberos
/// will): MakeSignature / VerifySignature over the MechTypeList bytes.
struct DefaultHooks(Session);

impl SecurityContext for DefaultHooks {
    fn package(&self) -> &'static PackageInfo {
        self.0.package()
    }
    fn is_established(&self) -> bool {
        true
    }
    fn make_signature(&mut self, q: u32, m: &mut [MessageBuffer<'_>], s: u32) -> SecResult<()> {
        self.0.make_signature(q, m, s)
    }
    fn verify_signature(&mut self, m: &mut [MessageBuffer<'_>], s: u32) -> SecResult<Option<u32>> {
        self.0.verify_signature(m, s)
    }
    fn encrypt_message(&mut self, q: u32, m: &mut [MessageBuffer<'_>], s: u32) -> SecResult<()> {
        self.0.encrypt_message(q, m, s)
    }
    fn decrypt_message(&mut self, m: &mut [MessageBuffer<'_>], s: u32) -> SecResult<Option<u32>> {
        self.0.decrypt_message(m, s)
    }
    fn query_attribute(&self, a: u32) -> SecResult<ContextAttribute> {
        self.0.query_attribute(a)
    }
}

#[test]
fn default_mech_list_mic_hooks_sign_and_verify() {
    use crate::packages::ntlm::flags::*;
    let flags = NTLMSSP_NEGOTIATE_SIGN | ESS | NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_128;
    let key = zeroize::Zeroizing::new([9u8; 16]);
    let session = |client| Session::new(client, false, flags, 0, key.clone(), Default::default());
    let (mut c, mut s) = (DefaultHooks(session(true)), DefaultHooks(session(false)));
    let der = tokens::encode_mech_types(&[Mech::Ntlm]);
    let mic = c.mech_list_mic(&der).unwrap();
    assert_eq!(mic.len(), 16);
    let mut altered = der.clone();
    altered[2] ^= 1;
    assert_eq!(
        s.verify_mech_list_mic(&altered, &mic),
        Err(SecStatus::MessageAltered)
    );
    let mic = c.mech_list_mic(&der).unwrap();
    assert_eq!(s.verify_mech_list_mic(&der, &mic), Ok(()));
    assert!(!c.wants_mech_list_mic());
}
