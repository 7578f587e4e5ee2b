//! Criterion benchmarks of the NTLM package internals: message encode and
//! decode, key derivation, sealing/signing, and a full handshake through the
//! safe core (no C ABI), to compare with bench/sspi_bench's figures through
//! the exports.
//!
//!     cargo bench --bench ntlm [-- FILTER]
//!
//! Run on a quiet machine only (see docs/PROOF.md).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use opensspi::packages::ntlm::crypto::{
    nt_owf_v1, nt_proof_str, ntlmv2_session_base_key, ntlmv2_temp, ntowf_v2, seal_key, sign_key,
};
use opensspi::packages::ntlm::flags::{ESS, NTLMSSP_NEGOTIATE_128, NTLMSSP_NEGOTIATE_KEY_EXCH};
use opensspi::packages::ntlm::messages::{
    AuthenticateMessage, AvPairs, ChallengeMessage, NegotiateMessage,
};
use opensspi::packages::ntlm::seal::SealingState;
use opensspi::sspi::consts::*;
use opensspi::sspi::registry::find_package;
use opensspi::sspi::{
    AcquireCredentials, AuthIdentity, BufferData, Credential, CredentialUse, HandshakeInput,
    MessageBuffer, SecurityContext,
};
use zeroize::Zeroizing;

const ISC_REQ: u32 = ISC_REQ_CONFIDENTIALITY
    | ISC_REQ_INTEGRITY
    | ISC_REQ_REPLAY_DETECT
    | ISC_REQ_SEQUENCE_DETECT
    | ISC_REQ_CONNECTION;
const ASC_REQ: u32 = ASC_REQ_CONFIDENTIALITY
    | ASC_REQ_INTEGRITY
    | ASC_REQ_REPLAY_DETECT
    | ASC_REQ_SEQUENCE_DETECT
    | ASC_REQ_CONNECTION;

fn input(token: Option<&[u8]>, req: u32) -> HandshakeInput<'_> {
    HandshakeInput {
        token,
        channel_bindings: None,
        target: None,
        context_req: req,
        data_rep: SECURITY_NATIVE_DREP,
    }
}

struct Fixture {
    client: Arc<dyn Credential>,
    server: Arc<dyn Credential>,
}

fn fixture() -> Fixture {
    let users = std::env::temp_dir().join(format!("opensspi-bench-users-{}", std::process::id()));
    std::fs::write(&users, "WORKGROUP:testuser:testpass\n").expect("user file");
    std::env::set_var("NTLM_USER_FILE", &users);
    let ntlm = find_package("NTLM").expect("NTLM");
    let id = AuthIdentity {
        user: Some("testuser".into()),
        domain: Some("WORKGROUP".into()),
        password: Some(Zeroizing::new("testpass".into())),
        package_list: None,
    };
    let client = ntlm
        .acquire_credentials(&AcquireCredentials {
            principal: None,
            usage: CredentialUse::Outbound,
            logon_id: None,
            identity: Some(&id),
        })
        .expect("client credential");
    let server = ntlm
        .acquire_credentials(&AcquireCredentials {
            principal: None,
            usage: CredentialUse::Inbound,
            logon_id: None,
            identity: None,
        })
        .expect("server credential");
    Fixture { client, server }
}

type Pair = (Box<dyn SecurityContext>, Box<dyn SecurityContext>);

/// A full handshake; returns the contexts and the three tokens.
fn handshake(f: &Fixture) -> (Pair, [Vec<u8>; 3]) {
    let mut c = f.client.new_initiator(None, ISC_REQ).expect("initiator");
    let neg = c
        .initialize(&input(None, ISC_REQ))
        .expect("NEGOTIATE")
        .token;
    let mut s = f.server.new_acceptor(ASC_REQ).expect("acceptor");
    let chal = s
        .accept(&input(Some(&neg), ASC_REQ))
        .expect("CHALLENGE")
        .token;
    let auth = c
        .initialize(&input(Some(&chal), ISC_REQ))
        .expect("AUTHENTICATE")
        .token;
    s.accept(&input(Some(&auth), ASC_REQ))
        .expect("server accepts");
    ((c, s), [neg, chal, auth])
}

fn messages(c: &mut Criterion) {
    let f = fixture();
    let (_, [neg, chal, auth]) = handshake(&f);
    let mut g = c.benchmark_group("messages");
    g.bench_function("negotiate/decode", |b| {
        b.iter(|| NegotiateMessage::decode(black_box(&neg)).unwrap())
    });
    let n = NegotiateMessage::decode(&neg).unwrap();
    g.bench_function("negotiate/encode", |b| b.iter(|| black_box(&n).encode()));
    g.bench_function("challenge/decode", |b| {
        b.iter(|| ChallengeMessage::decode(black_box(&chal)).unwrap())
    });
    let m = ChallengeMessage::decode(&chal).unwrap();
    g.bench_function("challenge/encode", |b| b.iter(|| black_box(&m).encode()));
    g.bench_function("challenge/av_pairs_decode", |b| {
        b.iter(|| AvPairs::decode(black_box(&m.target_info)).unwrap())
    });
    g.bench_function("authenticate/decode", |b| {
        b.iter(|| AuthenticateMessage::decode(black_box(&auth)).unwrap())
    });
    let a = AuthenticateMessage::decode(&auth).unwrap();
    g.bench_function("authenticate/encode", |b| b.iter(|| black_box(&a).encode()));
    g.finish();
}

fn keys(c: &mut Criterion) {
    let mut g = c.benchmark_group("keys");
    g.bench_function("ntowf_v1", |b| b.iter(|| nt_owf_v1(black_box("testpass"))));
    let owf = nt_owf_v1("testpass");
    g.bench_function("ntowf_v2", |b| {
        b.iter(|| ntowf_v2(black_box(&owf), "testuser", "WORKGROUP"))
    });
    let v2 = ntowf_v2(&owf, "testuser", "WORKGROUP");
    let av = vec![0u8; 120];
    let temp = ntlmv2_temp(0x01d0_0000_0000_0000, &[7; 8], &av);
    g.bench_function("nt_proof_str", |b| {
        b.iter(|| nt_proof_str(black_box(&v2), &[9; 8], black_box(&temp)))
    });
    let proof = nt_proof_str(&v2, &[9; 8], &temp);
    g.bench_function("ntlmv2_session_base_key", |b| {
        b.iter(|| ntlmv2_session_base_key(black_box(&v2), black_box(&proof)))
    });
    let exported = [0x55u8; 16];
    let flags = ESS | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH;
    g.bench_function("sign_key+seal_key (both directions)", |b| {
        b.iter(|| {
            (
                sign_key(black_box(&exported), true),
                sign_key(&exported, false),
                seal_key(flags, &exported, true),
                seal_key(flags, &exported, false),
            )
        })
    });
    g.bench_function("SealingState::new", |b| {
        b.iter(|| SealingState::new(flags, black_box(&exported), true))
    });
    g.finish();
}

/// Seal (client) and unseal (server) one message of `size` bytes: each
/// iteration encrypts and decrypts, so the pair stays in step.
fn seal(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("seal");
    for size in [64usize, 1024, 16384] {
        let ((mut cl, mut sv), _) = handshake(&f);
        let mut data = vec![0x5au8; size];
        let mut tok = [0u8; 16];
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function(format!("encrypt+decrypt/{size}"), |b| {
            b.iter(|| {
                {
                    let mut m = [
                        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut tok)),
                        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut data)),
                    ];
                    cl.encrypt_message(0, &mut m, 0).unwrap();
                }
                let mut m = [
                    MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut tok)),
                    MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut data)),
                ];
                sv.decrypt_message(&mut m, 0).unwrap();
            })
        });
        let ((mut cl, mut sv), _) = handshake(&f);
        g.bench_function(format!("sign+verify/{size}"), |b| {
            b.iter(|| {
                {
                    let mut m = [
                        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut data)),
                        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut tok)),
                    ];
                    cl.make_signature(0, &mut m, 0).unwrap();
                }
                let mut m = [
                    MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut data)),
                    MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut tok)),
                ];
                sv.verify_signature(&mut m, 0).unwrap();
            })
        });
    }
    // Raw sealing state (no context/trait layer): encrypt only, 16 KiB.
    let exported = [0x55u8; 16];
    let flags = ESS | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH;
    let mut st = SealingState::new(flags, &exported, true);
    let mut data = vec![0u8; 16384];
    let mut tok = [0u8; 16];
    g.throughput(Throughput::Bytes(16384));
    g.bench_function("SealingState::encrypt/16384", |b| {
        b.iter(|| {
            let mut m = [
                MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut tok)),
                MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut data)),
            ];
            st.encrypt(&mut m).unwrap();
        })
    });
    g.finish();
}

/// The two primitives NTLM sealing runs over every byte, as the crates the
/// library uses implement them: compare with `openssl speed md5 rc4` (see
/// bench/README.md) to separate primitive speed from sealing overhead.
fn primitives(c: &mut Criterion) {
    use opensspi::packages::ntlm::crypto::{hmac_md5, rc4_init};
    use rc4::StreamCipher;
    let mut g = c.benchmark_group("primitives");
    let mut data = vec![0x11u8; 16384];
    g.throughput(Throughput::Bytes(16384));
    g.bench_function("hmac_md5/16384", |b| {
        b.iter(|| hmac_md5(black_box(&[7u8; 16]), &[black_box(&data)]))
    });
    let mut rc4 = rc4_init(&[9u8; 16]);
    g.bench_function("rc4/16384", |b| {
        b.iter(|| rc4.apply_keystream(black_box(&mut data)))
    });
    g.finish();
}

fn handshakes(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("handshake");
    g.bench_function("safe core, 4 legs", |b| {
        b.iter_batched(|| (), |_| handshake(&f), BatchSize::SmallInput)
    });
    g.finish();
}

criterion_group!(benches, messages, keys, seal, primitives, handshakes);
criterion_main!(benches);
