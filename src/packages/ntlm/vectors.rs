//! Every known-answer vector of `tests/vectors/ms-nlmp-4.2.json` (MS-NLMP
//! 4.2), recomputed with this package's code.

use serde_json::Value;

use super::crypto::*;
use super::flags::*;
use super::messages::*;
use super::seal::SealingState;
use crate::sspi::consts::*;
use crate::sspi::{BufferData, MessageBuffer};

const JSON: &str = include_str!("../../../tests/vectors/ms-nlmp-4.2.json");

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn h16(s: &str) -> [u8; 16] {
    h(s).try_into().unwrap()
}

fn flags_of(s: &str) -> u32 {
    u32::from_str_radix(s, 16).unwrap()
}

struct Common {
    user: String,
    domain: String,
    password: String,
    server: String,
    workstation: String,
    random_session_key: [u8; 16],
    time: u64,
    client_challenge: [u8; 8],
    server_challenge: [u8; 8],
    plaintext: Vec<u8>,
}

impl Common {
    fn load(v: &Value) -> Self {
        let c = &v["common"];
        let s = |k: &str| c[k].as_str().unwrap().to_string();
        Common {
            user: s("user"),
            domain: s("domain"),
            password: s("password"),
            server: s("server_name"),
            workstation: s("workstation"),
            random_session_key: h16(&s("random_session_key")),
            time: u64::from_le_bytes(h(&s("time")).try_into().unwrap()),
            client_challenge: h(&s("client_challenge")).try_into().unwrap(),
            server_challenge: h(&s("server_challenge")).try_into().unwrap(),
            plaintext: h(&s("plaintext_utf16le")),
        }
    }

    fn nt_owf(&self) -> [u8; 16] {
        *nt_owf_v1(&self.password)
    }

    fn lm_owf(&self) -> [u8; 16] {
        *lmowf_v1(&self.password)
    }

    fn v1_lm_response(&self) -> [u8; 24] {
        desl(&self.lm_owf(), &self.server_challenge)
    }

    fn v1ess_lm_response(&self) -> Vec<u8> {
        let mut r = self.client_challenge.to_vec();
        r.extend_from_slice(&[0; 16]);
        r
    }

    fn kxkey(&self, variant: &str) -> [u8; 16] {
        let sbk = *ntlmv1_session_base_key(&self.nt_owf());
        let lm = self.lm_owf();
        let (flags, lm_resp) = match variant {
            "plain" => (0, self.v1_lm_response().to_vec()),
            "non_nt_session_key" => (
                NTLMSSP_REQUEST_NON_NT_SESSION_KEY,
                self.v1_lm_response().to_vec(),
            ),
            "lm_key" => (NTLMSSP_NEGOTIATE_LM_KEY, self.v1_lm_response().to_vec()),
            "ess" => (ESS, self.v1ess_lm_response()),
            other => panic!("kxkey variant {other}"),
        };
        *kxkey_v1(flags, &sbk, Some(&lm), &lm_resp, &self.server_challenge).unwrap()
    }

    fn v2_av_pairs(&self) -> Vec<u8> {
        let mut p = AvPairs::default();
        p.set(MSV_AV_NB_DOMAIN_NAME, utf16le(&self.domain));
        p.set(MSV_AV_NB_COMPUTER_NAME, utf16le(&self.server));
        p.encode()
    }

    fn ntowf_v2(&self) -> [u8; 16] {
        *ntowf_v2(&self.nt_owf(), &self.user, &self.domain)
    }

    fn v2_temp(&self) -> Vec<u8> {
        ntlmv2_temp(self.time, &self.client_challenge, &self.v2_av_pairs())
    }

    fn v2_proof(&self) -> [u8; 16] {
        nt_proof_str(&self.ntowf_v2(), &self.server_challenge, &self.v2_temp())
    }

    fn v2_session_base_key(&self) -> [u8; 16] {
        *ntlmv2_session_base_key(&self.ntowf_v2(), &self.v2_proof())
    }

    fn encrypt_key(&self, kxkey: &[u8; 16]) -> Vec<u8> {
        let mut k = self.random_session_key.to_vec();
        rc4k(kxkey, &mut k);
        k
    }
}

/// Run one sealing vector: seal `plaintext` at seq 0, return (sealed, signature).
fn seal_once(mut state: SealingState, plaintext: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut data = plaintext.to_vec();
    let mut token = [0u8; 16];
    let mut msg = [
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut data)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut token)),
    ];
    state.encrypt(&mut msg).unwrap();
    (data, token.to_vec())
}

fn compute(c: &Common, all: &[Value], v: &Value) -> Value {
    let id = v["id"].as_str().unwrap();
    let inp = &v["inputs"];
    let s = |k: &str| inp[k].as_str().unwrap();
    let hx = |b: &[u8]| Value::String(hex::encode(b));
    let key_from = |v: &Value| -> [u8; 16] {
        match v["inputs"]["exported_session_key"].as_str() {
            Some(k) => h16(k),
            None => {
                let src = v["inputs"]["exported_session_key_from"].as_str().unwrap();
                let src = all.iter().find(|x| x["id"] == src).unwrap();
                h16(src["expected"].as_str().unwrap())
            }
        }
    };
    match v["kind"].as_str().unwrap() {
        "value" => match id {
            "v1.flags" => hx(&(NTLMSSP_NEGOTIATE_KEY_EXCH
                | NTLMSSP_NEGOTIATE_56
                | NTLMSSP_NEGOTIATE_128
                | NTLMSSP_NEGOTIATE_VERSION
                | NTLMSSP_TARGET_TYPE_SERVER
                | NTLMSSP_NEGOTIATE_ALWAYS_SIGN
                | NTLMSSP_NEGOTIATE_NTLM
                | NTLMSSP_NEGOTIATE_SEAL
                | NTLMSSP_NEGOTIATE_SIGN
                | NTLM_NEGOTIATE_OEM
                | NTLMSSP_NEGOTIATE_UNICODE)
                .to_be_bytes()),
            "v1ess.flags" => hx(&(NTLMSSP_NEGOTIATE_56
                | NTLMSSP_NEGOTIATE_VERSION
                | ESS
                | NTLMSSP_TARGET_TYPE_SERVER
                | NTLMSSP_NEGOTIATE_ALWAYS_SIGN
                | NTLMSSP_NEGOTIATE_NTLM
                | NTLMSSP_NEGOTIATE_SEAL
                | NTLMSSP_NEGOTIATE_SIGN
                | NTLM_NEGOTIATE_OEM
                | NTLMSSP_NEGOTIATE_UNICODE)
                .to_be_bytes()),
            "v2.flags" => hx(&(NTLMSSP_NEGOTIATE_KEY_EXCH
                | NTLMSSP_NEGOTIATE_56
                | NTLMSSP_NEGOTIATE_128
                | NTLMSSP_NEGOTIATE_VERSION
                | NTLMSSP_NEGOTIATE_TARGET_INFO
                | ESS
                | NTLMSSP_TARGET_TYPE_SERVER
                | NTLMSSP_NEGOTIATE_ALWAYS_SIGN
                | NTLMSSP_NEGOTIATE_NTLM
                | NTLMSSP_NEGOTIATE_SEAL
                | NTLMSSP_NEGOTIATE_SIGN
                | NTLM_NEGOTIATE_OEM
                | NTLMSSP_NEGOTIATE_UNICODE)
                .to_be_bytes()),
            "v2.server_name_av_pairs" => hx(&c.v2_av_pairs()),
            other => panic!("unknown value vector {other}"),
        },
        "lmowfv1" => hx(&*lmowf_v1(s("password"))),
        "ntowfv1" => hx(&*nt_owf_v1(s("password"))),
        "ntlmv1_session_base_key" => hx(&*ntlmv1_session_base_key(&nt_owf_v1(s("password")))),
        "kxkey_v1" => hx(&c.kxkey(s("variant"))),
        "ntlmv1_nt_response" => hx(&ntlmv1_response(&c.nt_owf(), &c.server_challenge, None)),
        "ntlmv1_lm_response" => hx(&c.v1_lm_response()),
        "encrypted_session_key_v1" => hx(&c.encrypt_key(&c.kxkey(s("variant")))),
        "ntlmv1ess_lm_response" => hx(&c.v1ess_lm_response()),
        "ntlmv1ess_nt_response" => hx(&ntlmv1_response(
            &c.nt_owf(),
            &c.server_challenge,
            Some(&c.client_challenge),
        )),
        "ntowfv2" => hx(&*ntowf_v2(
            &nt_owf_v1(s("password")),
            s("user"),
            s("domain"),
        )),
        "ntlmv2_temp" => hx(&ntlmv2_temp(c.time, &c.client_challenge, &h(s("av_pairs")))),
        "ntlmv2_session_base_key" => hx(&c.v2_session_base_key()),
        "ntlmv2_lm_response" => hx(&lmv2_response(
            &c.ntowf_v2(),
            &c.server_challenge,
            &c.client_challenge,
        )),
        "ntlmv2_nt_proof_str" => hx(&c.v2_proof()),
        "encrypted_session_key_v2" => hx(&c.encrypt_key(&c.v2_session_base_key())),
        "challenge_message" => {
            let m = ChallengeMessage {
                flags: flags_of(s("flags")),
                target_name: utf16le(&c.server),
                server_challenge: c.server_challenge,
                target_info: inp["target_info"].as_str().map(h).unwrap_or_default(),
                version: Some(Version(h(s("version")).try_into().unwrap())),
            };
            let enc = m.encode();
            assert_eq!(ChallengeMessage::decode(&enc).unwrap(), m, "{id}");
            hx(&enc)
        }
        "authenticate_message" => {
            let (lm, nt, key) = match s("scenario") {
                "v1" => (
                    c.v1_lm_response().to_vec(),
                    ntlmv1_response(&c.nt_owf(), &c.server_challenge, None).to_vec(),
                    c.encrypt_key(&c.kxkey("plain")),
                ),
                "v1ess" => (
                    c.v1ess_lm_response(),
                    ntlmv1_response(&c.nt_owf(), &c.server_challenge, Some(&c.client_challenge))
                        .to_vec(),
                    Vec::new(),
                ),
                "v2" => {
                    let mut nt = c.v2_proof().to_vec();
                    nt.extend_from_slice(&c.v2_temp());
                    (
                        lmv2_response(&c.ntowf_v2(), &c.server_challenge, &c.client_challenge)
                            .to_vec(),
                        nt,
                        c.encrypt_key(&c.v2_session_base_key()),
                    )
                }
                other => panic!("scenario {other}"),
            };
            let m = AuthenticateMessage {
                flags: flags_of(s("flags")),
                lm_response: lm,
                nt_response: nt,
                domain: utf16le(&c.domain),
                user: utf16le(&c.user),
                workstation: utf16le(&c.workstation),
                encrypted_random_session_key: key,
                version: Some(Version(h(s("version")).try_into().unwrap())),
                mic: None,
            };
            let enc = m.encode();
            assert_eq!(AuthenticateMessage::decode(&enc).unwrap(), m, "{id}");
            hx(&enc)
        }
        "sealkey" => {
            let client = s("mode") == "client";
            hx(&seal_key(flags_of(s("flags")), &key_from(v), client))
        }
        "signkey" => hx(&*sign_key(&key_from(v), s("mode") == "client")),
        "seal_v1_no_ess" => {
            let st = SealingState::new(flags_of(s("flags")), &h16(s("seal_key")), true);
            let (sealed, sig) = seal_once(st, &c.plaintext);
            serde_json::json!({ "sealed": hex::encode(sealed), "signature": hex::encode(sig) })
        }
        "seal_ess" => {
            let mut flags = flags_of(s("flags"));
            if inp["key_exch"] == Value::Bool(false) {
                flags &= !NTLMSSP_NEGOTIATE_KEY_EXCH;
            }
            let st = SealingState::with_keys(flags, &h(s("sign_key")), &h(s("seal_key")));
            let (sealed, sig) = seal_once(st, &c.plaintext);
            serde_json::json!({ "sealed": hex::encode(sealed), "signature": hex::encode(sig) })
        }
        other => panic!("unknown kind {other} ({id})"),
    }
}

#[test]
fn ms_nlmp_4_2_vectors() {
    let v: Value = serde_json::from_str(JSON).unwrap();
    let c = Common::load(&v);
    let mut all: Vec<Value> = v["vectors"].as_array().unwrap().clone();
    all.extend(v["extras_not_in_spec"].as_array().unwrap().iter().cloned());
    let mut failures = Vec::new();
    for vec in &all {
        let got = compute(&c, &all, vec);
        let want = &vec["expected"];
        let ok = match (want, &got) {
            (Value::Object(w), Value::Object(g)) => g.iter().all(|(k, gv)| w.get(k) == Some(gv)),
            _ => want == &got,
        };
        if !ok {
            failures.push(format!("{}: want {want} got {got}", vec["id"]));
        }
    }
    assert_eq!(all.len(), 45);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn behaviours_133_vectors() {
    let nt = nt_owf_v1("P4ss123!");
    assert_eq!(
        hex::encode(*ntowf_v2(&nt, "Username", "Domain")),
        "4c7f706f7dde05a9d1a0f4e7ffe3bfb8"
    );
    let empty = nt_owf_v1("");
    assert_eq!(
        hex::encode(*ntowf_v2(&empty, "Username", "Domain")),
        "0bce54874e94209e344897c160036e3b"
    );
}
