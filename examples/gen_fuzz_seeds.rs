//! Write the seed corpora of the fuzz targets (`fuzz/seeds/<target>/`) from
//! real data: NTLM tokens of handshakes run through the library with several
//! flag combinations, account files, LSA submit buffers, Kerberos ciphertexts.
//!
//!     cargo run --example gen_fuzz_seeds [-- OUT_DIR]   (default fuzz/seeds)
//!
//! Tokens differ between runs (random challenges and keys); the seeds are
//! committed as made once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use opensspi::lsa::InteractiveLogon;
use opensspi::sspi::consts::*;
use opensspi::sspi::export::TAG_LEN;
use opensspi::sspi::registry::find_package;
use opensspi::sspi::{
    AcquireCredentials, AuthIdentity, BufferData, Credential, CredentialUse, HandshakeInput,
    MessageBuffer, SecResult,
};
use zeroize::Zeroizing;

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).expect("seed dir");
    std::fs::write(d.join(name), bytes).expect("seed file");
}

fn input(token: Option<&[u8]>, req: u32) -> HandshakeInput<'_> {
    HandshakeInput {
        token,
        channel_bindings: None,
        target: Some("host/server.example"),
        context_req: req,
        data_rep: SECURITY_NATIVE_DREP,
    }
}

fn cred(usage: CredentialUse, id: Option<&AuthIdentity>) -> SecResult<Arc<dyn Credential>> {
    find_package("NTLM")?.acquire_credentials(&AcquireCredentials {
        principal: None,
        usage,
        logon_id: None,
        identity: id,
    })
}

fn ntlm_seeds(dir: &Path) -> SecResult<usize> {
    let id = AuthIdentity {
        user: Some("testuser".into()),
        domain: Some("WORKGROUP".into()),
        password: Some(Zeroizing::new("testpass".into())),
        package_list: None,
    };
    let anon = AuthIdentity {
        user: Some(String::new()),
        domain: Some(String::new()),
        password: Some(Zeroizing::new(String::new())),
        package_list: None,
    };
    let cc = cred(CredentialUse::Outbound, Some(&id))?;
    let anon_c = cred(CredentialUse::Outbound, Some(&anon)).ok();
    let sc = cred(CredentialUse::Inbound, None)?;
    let reqs: [(u32, u32, &str); 5] = [
        (
            ISC_REQ_CONFIDENTIALITY
                | ISC_REQ_INTEGRITY
                | ISC_REQ_REPLAY_DETECT
                | ISC_REQ_SEQUENCE_DETECT
                | ISC_REQ_CONNECTION,
            ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_CONNECTION,
            "seal",
        ),
        (ISC_REQ_INTEGRITY, ASC_REQ_INTEGRITY, "sign"),
        (0, 0, "none"),
        (
            ISC_REQ_CONNECTION | ISC_REQ_MUTUAL_AUTH | ISC_REQ_USE_DCE_STYLE,
            ASC_REQ_CONNECTION,
            "dce",
        ),
        (
            ISC_REQ_NULL_SESSION | ISC_REQ_CONFIDENTIALITY,
            ASC_REQ_ALLOW_NULL_SESSION,
            "null",
        ),
    ];
    let mut n = 0;
    for (i, (ireq, areq, tag)) in reqs.iter().enumerate() {
        let client = if *tag == "null" {
            match &anon_c {
                Some(c) => c.clone(),
                None => continue,
            }
        } else {
            cc.clone()
        };
        let Ok(mut c) = client.new_initiator(Some("host/server.example"), *ireq) else {
            continue;
        };
        let Ok(neg) = c.initialize(&input(None, *ireq)) else {
            continue;
        };
        write(
            dir,
            "ntlm_server_first",
            &format!("negotiate-{i}-{tag}"),
            &neg.token,
        );
        write(
            dir,
            "ntlm_decode",
            &format!("negotiate-{i}-{tag}"),
            &neg.token,
        );
        let mut s = sc.new_acceptor(*areq)?;
        let chal = s.accept(&input(Some(&neg.token), *areq))?;
        write(
            dir,
            "ntlm_client_challenge",
            &format!("challenge-{i}-{tag}"),
            &chal.token,
        );
        write(
            dir,
            "ntlm_decode",
            &format!("challenge-{i}-{tag}"),
            &chal.token,
        );
        let Ok(auth) = c.initialize(&input(Some(&chal.token), *ireq)) else {
            continue;
        };
        write(
            dir,
            "ntlm_server_authenticate",
            &format!("authenticate-{i}-{tag}"),
            &auth.token,
        );
        write(
            dir,
            "ntlm_decode",
            &format!("authenticate-{i}-{tag}"),
            &auth.token,
        );
        let _ = s.accept(&input(Some(&auth.token), *areq));
        // Sealed and signed messages in the ntlm_unseal input format:
        // op, token length, attribute bits, token, data.
        if c.is_established() {
            // ntlm_import fuzzes the body's decoder: the seeds go without
            // the tag (exporting with DELETE_OLD does not end the context
            // here; only the C ABI retires it).
            let body = |p: &[u8]| p[..p.len() - TAG_LEN].to_vec();
            if let Ok(packed) = c.export(SECPKG_CONTEXT_EXPORT_DELETE_OLD) {
                write(
                    dir,
                    "ntlm_import",
                    &format!("client-{i}-{tag}"),
                    &body(&packed),
                );
            }
            if let Ok(packed) = s.export(SECPKG_CONTEXT_EXPORT_DELETE_OLD) {
                write(
                    dir,
                    "ntlm_import",
                    &format!("server-{i}-{tag}"),
                    &body(&packed),
                );
            }
            for (op, what) in [(0u8, "decrypt"), (2u8, "verify")] {
                let mut tok = [0u8; 16];
                let mut msg = *b"Hello, world! This is a sealed fuzz seed.";
                let mut bufs = [
                    MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut tok)),
                    MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut msg)),
                ];
                let ok = if op == 0 {
                    c.encrypt_message(0, &mut bufs, 0).is_ok()
                } else {
                    c.make_signature(0, &mut bufs, 0).is_ok()
                };
                if ok {
                    let mut seed = vec![op, 16, 0];
                    seed.extend_from_slice(&tok);
                    seed.extend_from_slice(&msg);
                    write(dir, "ntlm_unseal", &format!("{what}-{i}-{tag}"), &seed);
                }
            }
        }
        n += 1;
    }
    Ok(n)
}

/// SPNEGO tokens of a Negotiate handshake (NTLM inside) and the server's
/// NegTokenInit2, for the `spnego` target.
fn spnego_seeds(dir: &Path) -> SecResult<usize> {
    let id = AuthIdentity {
        user: Some("testuser".into()),
        domain: Some("WORKGROUP".into()),
        password: Some(Zeroizing::new("testpass".into())),
        package_list: None,
    };
    let nego = find_package("Negotiate")?;
    let acquire = |usage, identity| {
        nego.acquire_credentials(&AcquireCredentials {
            principal: None,
            usage,
            logon_id: None,
            identity,
        })
    };
    let (cc, sc) = (
        acquire(CredentialUse::Outbound, Some(&id))?,
        acquire(CredentialUse::Inbound, None)?,
    );
    let req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY;
    let hint = sc.new_acceptor(0)?.accept(&input(None, 0))?.token;
    write(dir, "spnego", "negtokeninit2", &hint);
    let (mut c, mut s) = (cc.new_initiator(None, req)?, sc.new_acceptor(0)?);
    let mut token = c.initialize(&input(None, req))?.token;
    let mut n = 0;
    for leg in 0.. {
        write(dir, "spnego", &format!("leg-{leg}"), &token);
        n += 1;
        let out = if leg % 2 == 0 {
            s.accept(&input(Some(&token), 0))?
        } else {
            c.initialize(&input(Some(&token), req))?
        };
        if out.token.is_empty() {
            break;
        }
        token = out.token;
    }
    Ok(n)
}

/// krb_decrypt: [etype index, usage, mode] | payload, key 0x4b…: real
/// ciphertexts (mode 0) and plaintexts (mode 1) around the AES block sizes.
fn krb_decrypt_seeds(dir: &Path) {
    use opensspi::packages::kerberos::crypto::{encrypt_with_confounder, EncryptionType, Key};
    let etypes = [
        EncryptionType::Aes128CtsHmacSha196,
        EncryptionType::Aes256CtsHmacSha196,
        EncryptionType::Aes128CtsHmacSha256128,
        EncryptionType::Aes256CtsHmacSha384192,
        EncryptionType::Rc4Hmac,
    ];
    for (e, etype) in etypes.into_iter().enumerate() {
        let key = Key::new(etype, &vec![0x4b; etype.key_len()]).expect("key");
        for n in [0usize, 1, 16, 17, 40] {
            let plain: Vec<u8> = (0..n as u8).collect();
            let conf = vec![0; etype.confounder_len()];
            let c = encrypt_with_confounder(&key, 2, &conf, &plain).expect("encrypt");
            write(
                dir,
                "krb_decrypt",
                &format!("e{e}-c{n}"),
                &[&[e as u8, 2, 0], &c[..]].concat(),
            );
            write(
                dir,
                "krb_decrypt",
                &format!("e{e}-p{n}"),
                &[&[e as u8, 2, 1], &plain[..]].concat(),
            );
        }
    }
}

/// `krb_pac`: a PAC for alice (LOGON_INFO with every list, CLIENT_INFO,
/// UPN_DNS_INFO with the SAM name/SID extension, both signatures) signed
/// with the target's key (mode 0), in an AD-IF-RELEVANT AuthorizationData
/// (mode 1), and unsigned (mode 2, which signs it).
fn krb_pac_seeds(dir: &Path) {
    use opensspi::lsa::session::Sid;
    use opensspi::packages::kerberos::crypto::{ChecksumType, EncryptionType, Key};
    use opensspi::packages::kerberos::pac::{build, *};
    let u16le = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let (upn, dns, sam) = (
        u16le("alice@example.test"),
        u16le("EXAMPLE.TEST"),
        u16le("alice"),
    );
    let sid = Sid::for_account("EXAMPLE", "alice").to_bytes();
    let mut info = Vec::new();
    let mut at = 20usize;
    for (i, s) in [&upn, &dns, &sam, &sid].into_iter().enumerate() {
        info.extend_from_slice(&(s.len() as u16).to_le_bytes());
        info.extend_from_slice(&(at as u16).to_le_bytes());
        at += s.len();
        if i == 1 {
            info.extend_from_slice(&2u32.to_le_bytes());
        }
    }
    for s in [&upn, &dns, &sam, &sid] {
        info.extend_from_slice(s);
    }
    let user = Sid::for_account("EXAMPLE", "alice");
    let domain = Sid {
        authority: user.authority,
        sub_authorities: user.sub_authorities[..4].to_vec(),
    };
    let validation_info = logon_info::ValidationInfo {
        logon_time: 0,
        password_last_set: 0,
        effective_name: "alice".into(),
        full_name: "Alice Example".into(),
        logon_script: String::new(),
        profile_path: String::new(),
        home_directory: String::new(),
        home_directory_drive: String::new(),
        logon_count: 1,
        bad_password_count: 0,
        user_id: user.sub_authorities[4],
        primary_group_id: 513,
        group_ids: vec![logon_info::GroupMembership {
            relative_id: 513,
            attributes: 7,
        }],
        user_flags: logon_info::LOGON_EXTRA_SIDS,
        logon_server: "KDC".into(),
        logon_domain_name: "EXAMPLE".into(),
        logon_domain_id: Some(domain.clone()),
        user_account_control: 0x210,
        extra_sids: vec![logon_info::SidAndAttributes {
            sid: Sid {
                authority: 18,
                sub_authorities: vec![1],
            },
            attributes: 7,
        }],
        resource_group_domain_sid: Some(domain),
        resource_group_ids: vec![logon_info::GroupMembership {
            relative_id: 572,
            attributes: 0x2000_0007,
        }],
    };
    let aes = ChecksumType::HmacSha196Aes256;
    let unsigned = build::encode(&[
        (PAC_LOGON_INFO, build::logon_info(&validation_info)),
        (PAC_CLIENT_INFO, build::client_info(1_700_000_000, "alice")),
        (PAC_UPN_DNS_INFO, info),
        (PAC_SERVER_CHECKSUM, build::empty_signature(aes)),
        (PAC_PRIVSVR_CHECKSUM, build::empty_signature(aes)),
    ]);
    let key = Key::new(EncryptionType::Aes256CtsHmacSha196, &[0x4b; 32]).expect("key");
    let mut signed = unsigned.clone();
    build::sign(&mut signed, &key, &key).expect("sign");
    // AuthorizationData { AD-IF-RELEVANT { AD-WIN2K-PAC } }, DER by hand:
    // SEQUENCE OF SEQUENCE { [0] INTEGER, [1] OCTET STRING }.
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match body.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend_from_slice(&[0x81, n as u8]),
            n => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(body);
        out
    }
    let element = |ad_type: &[u8], data: &[u8]| {
        let mut body = tlv(0xa0, &tlv(0x02, ad_type));
        body.extend(tlv(0xa1, &tlv(0x04, data)));
        tlv(0x30, &tlv(0x30, &body))
    };
    let ad = element(&[1], &element(&[0x00, 0x80], &signed));
    write(dir, "krb_pac", "signed", &[&[0u8][..], &signed].concat());
    write(dir, "krb_pac", "if-relevant", &[&[1u8][..], &ad].concat());
    write(
        dir,
        "krb_pac",
        "unsigned",
        &[&[2u8][..], &unsigned].concat(),
    );
}

/// `lsad_request`: connections (a uid byte, then frames) storing a
/// session with MSV1_0 and Kerberos credentials (store codec version 2,
/// the decoder a client's Put reaches) and using it.
fn lsad_request_seeds(dir: &Path) {
    use opensspi::lsa::accounts::nt_owf_v1;
    use opensspi::lsa::packages::msv1_0::credential_op::{CredentialOp, V1Request, V2Request};
    use opensspi::lsa::packages::{KERBEROS_ID, MSV1_0_ID};
    use opensspi::lsa::service::server::Service;
    use opensspi::lsa::service::wire::{write_frame, Request};
    use opensspi::lsa::session::{
        CachedTicket, KerberosCredential, KerberosKey, LogonSession, SecurityLogonType, Sid,
    };
    use opensspi::lsa::store::codec;
    use opensspi::lsa::{Luid, Msv1_0PrimaryCredential};

    let logon_id = Luid::from_u64(0x1_0000_2345);
    let ticket = CachedTicket {
        server_name: "krbtgt/EXAMPLE.COM".into(),
        realm_name: "EXAMPLE.COM".into(),
        start_time: 1,
        end_time: 2,
        renew_time: 3,
        encryption_type: 18,
        ticket_flags: 0x40e10000,
        encoded: Zeroizing::new(vec![0x61, 3, 1, 2, 3]),
    };
    let session = |uid: u32, kerberos: bool| {
        let mut s = LogonSession {
            logon_id,
            owner_uid: uid,
            user: "alice".into(),
            domain: "EXAMPLE".into(),
            logon_type: SecurityLogonType::Interactive,
            logon_time: 133_000_000_000_000_000,
            authentication_package: if kerberos { "Kerberos" } else { "NTLM" }.into(),
            sid: Sid::for_account("EXAMPLE", "alice"),
            logon_server: "HOST".into(),
            dns_domain_name: if kerberos { "EXAMPLE.COM" } else { "" }.into(),
            upn: if kerberos { "alice@EXAMPLE.COM" } else { "" }.into(),
            credentials: Default::default(),
        };
        s.credentials.insert(
            MSV1_0_ID,
            Msv1_0PrimaryCredential {
                logon_id,
                user: "alice".into(),
                domain: "EXAMPLE".into(),
                nt_owf: Some(nt_owf_v1("alice-Passw0rd")),
            },
        );
        if kerberos {
            s.credentials.insert(
                KERBEROS_ID,
                KerberosCredential {
                    principal: "alice@EXAMPLE.COM".into(),
                    realm: "EXAMPLE.COM".into(),
                    keys: vec![KerberosKey {
                        etype: 18,
                        kvno: 2,
                        key: Zeroizing::new(vec![9; 32]),
                    }],
                    tgt: Some(ticket.clone()),
                    service_tickets: vec![ticket.clone()],
                    renewable_with_keys: false,
                },
            );
        }
        codec::encode(&s)
    };
    let v2 = CredentialOp::V2(V2Request {
        server_challenge: [1; 8],
        client_challenge: [2; 8],
        temp: vec![
            1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2,
        ],
        want_lm: true,
    });
    let v1 = CredentialOp::V1(V1Request {
        server_challenge: [1; 8],
        ess_client_challenge: Some([2; 8]),
    });
    for (who, uid, kerberos, name) in [
        (1u8, 1000, false, "put-msv1_0"),
        (1, 1000, true, "put-kerberos"),
        (0, 1001, true, "root-put-other"),
    ] {
        let requests = [
            Request::Put(session(uid, kerberos)),
            Request::Get(logon_id),
            Request::SetCurrent(uid, Some(logon_id)),
            Request::Current(uid),
            Request::Msv1_0(logon_id, v2.clone()),
            Request::Msv1_0(logon_id, v1.clone()),
            Request::AddTicket(logon_id, codec::encode_ticket(&ticket)),
            Request::List,
            Request::Remove(logon_id),
        ];
        // Each request is answered Ok by a fresh service, as the target
        // replays them (so the seed reaches past the decoders).
        let svc = Service::default();
        let mut seed = vec![who];
        for r in &requests {
            let body = r.encode();
            let req = Request::decode(&body).expect("decodes");
            let answer = svc.handle(if who == 0 { 0 } else { 1000 }, req);
            assert_eq!(answer.first(), Some(&0), "{name}: {r:?}");
            write_frame(&mut seed, &body).expect("frame");
        }
        write(dir, "lsad_request", name, &seed);
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds"));
    let users = std::env::temp_dir().join(format!("gen_fuzz_seeds-{}", std::process::id()));
    std::fs::write(&users, "WORKGROUP:testuser:testpass\n").expect("user file");
    std::env::set_var("NTLM_USER_FILE", &users);

    // Account database files.
    let files: [(&str, &str); 4] = [
        ("plain", "WORKGROUP:testuser:testpass\nEXAMPLE:alice:alice-Passw0rd\n"),
        ("no-domain", ":bob:pa:ss:with:colons\n# comment\n\n"),
        (
            "smbpasswd",
            "EXAMPLE\\carol:1000:AAD3B435B51404EEAAD3B435B51404EE:31D6CFE0D16AE931B73C59D7E0C089C0:[U          ]:LCT-00000000:\n",
        ),
        (
            "mixed",
            "dave@EXAMPLE.TEST:1001:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:D5922A65C4D5C082CA444AF1BE0001DB:[U ]:LCT-1:\r\nWORKGROUP:üser:pässwörd\r\n",
        ),
    ];
    for (name, text) in files {
        write(&dir, "account_db", name, text.as_bytes());
    }
    // LSA submit buffers: 8-byte claimed base address, then the block.
    for (i, (base, d, u, p)) in [
        (0x7f00_0000_0000usize, "WORKGROUP", "testuser", "testpass"),
        (0, "", "bob", "x"),
        (0x1000, "EXAMPLE", "alice", "pässwörd😀"),
    ]
    .into_iter()
    .enumerate()
    {
        let block = InteractiveLogon::new(d, u, p).to_submit_buffer(base);
        let mut seed = (base as u64).to_le_bytes().to_vec();
        seed.extend_from_slice(&block);
        write(&dir, "lsa_submit", &format!("interactive-{i}"), &seed);
        // lsa_calls: LsaLogonUser(MSV1_0 = 2, Interactive = 2) and
        // (Kerberos = 1, Interactive = 2) with the same block.
        for (pkg, name) in [(2u8, "msv1_0"), (1u8, "kerberos")] {
            let mut call = vec![0x80 | (2 << 2) | pkg];
            call.extend_from_slice(&seed);
            write(&dir, "lsa_calls", &format!("logon-{name}-{i}"), &call);
        }
    }
    // lsa_calls: LsaCallAuthenticationPackage requests. Negotiate (0)
    // NegGetCallerName {MessageType 1, LogonId 0}; Kerberos (1)
    // KerbQueryTicketCacheMessage {1, LogonId 0} and a few other message
    // types; MSV1_0 (2) message types 0..4 with zeroed bodies.
    for (pkg, mt, len) in [
        (0u8, 1u32, 12usize),
        (1, 1, 12),
        (1, 14, 32),
        (2, 0, 48),
        (2, 2, 48),
        (2, 4, 64),
    ] {
        let mut call = vec![pkg];
        call.extend_from_slice(&0u64.to_le_bytes());
        let mut req = vec![0u8; len];
        req[..4].copy_from_slice(&mt.to_le_bytes());
        call.extend_from_slice(&req);
        write(&dir, "lsa_calls", &format!("call-{pkg}-{mt}"), &call);
    }
    krb_decrypt_seeds(&dir);
    krb_pac_seeds(&dir);
    lsad_request_seeds(&dir);
    match ntlm_seeds(&dir) {
        Ok(n) => println!("NTLM: {n} handshakes dumped"),
        Err(e) => println!("NTLM unavailable ({e:?}): no token seeds"),
    }
    match spnego_seeds(&dir) {
        Ok(n) => println!("SPNEGO: {n} tokens dumped"),
        Err(e) => println!("Negotiate unavailable ({e:?}): no SPNEGO seeds"),
    }
    let _ = std::fs::remove_file(&users);
    println!("seeds written to {}", dir.display());
}
