//! The per-message tokens (`packages::kerberos::gss`) against MIT krb5:
//! tests/peers/gss_tokens.py establishes an MIT initiator <-> acceptor
//! context in a throwaway realm (tests/peers/setup-kdc.sh), dumps the
//! per-message key and MIT's Wrap (sealed and not) and MIC tokens of both
//! sides; we unwrap and verify every one, whole and split as SSPI's
//! `[TOKEN, DATA]`, then make tokens of our own (whole, and the Windows
//! split layout sent as one stream) that MIT's acceptor and initiator
//! unwrap and verify. For aes256-sha1 (the KDC default), aes128-sha256,
//! aes256-sha384 and rc4-hmac session keys. Needs krb5-kdc,
//! krb5-admin-server, krb5-user and the peers' venv (python-gssapi).
//!
//! The `mit_iov_*` tests do the same with MIT's gss_wrap_iov /
//! gss_unwrap_iov in a DCE-style context (as Windows' RPC): the split
//! layout over several buffers, sign-only buffers included (SSPI's
//! `[DATA|READONLY_WITH_CHECKSUM, DATA, ..., TOKEN]`), both ways, and a
//! tampered sign-only buffer of MIT's is refused.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use common::krb_realm::KrbRealm;
use common::PASSWORD;

use opensspi::packages::kerberos::crypto::{EncryptionType, Key};
use opensspi::packages::kerberos::gss::framing::Mech;
use opensspi::packages::kerberos::gss::{
    GssError, MessagePart, MessageProtection, ProtectionConfig, Role, FLAG_ACCEPTOR_SUBKEY,
};
use serde_json::{json, Value};

/// A realm of its own for one test (with `enctypes`: its long-term and
/// session key enctypes), alice's TGT in its ccache.
fn start_realm(tag: &str, enctypes: Option<(&str, &str)>) -> KrbRealm {
    let realm = match enctypes {
        Some((long_term, session)) => KrbRealm::start_with(
            tag,
            &[("ENCTYPES", long_term), ("CLIENT_ENCTYPES", session)],
        ),
        None => KrbRealm::start(tag),
    };
    realm.run("kinit", &["alice"], Some(&format!("{PASSWORD}\n")));
    realm
}

fn hex_field(v: &Value, k: &str) -> Vec<u8> {
    hex::decode(v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}"))).unwrap()
}

fn protection(key: &Key, role: Role, acceptor_subkey: bool) -> MessageProtection {
    MessageProtection::new(
        key,
        ProtectionConfig {
            role,
            acceptor_subkey,
            send_seq: 0x1234_5678,
            recv_seq: 0,
            replay_detect: false,
            sequence_detect: false,
            mech: Mech::Krb5,
        },
    )
    .unwrap()
}

/// Unwraps/verifies MIT's tokens of one side with `ours` (the other side),
/// whole and split after the 16-byte header (RFC 4121) when it fits.
fn check_mit_tokens(ours: &mut MessageProtection, rc4: bool, tokens: &[Value], side: &str) {
    for (i, t) in tokens.iter().enumerate() {
        let msg = hex_field(t, "msg");
        let token = hex_field(t, "token");
        let what = format!("MIT {side} token {i} ({t})");
        if t["kind"] == "mic" {
            ours.verify_mic(&msg, &token)
                .unwrap_or_else(|e| panic!("{what}: {e:?}"));
            continue;
        }
        let conf = t["conf"].as_bool().unwrap();
        let u = ours
            .unwrap(&token)
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!((&u.message[..], u.conf), (&msg[..], conf), "{what}");
        if !rc4 {
            let mut data = token[16..].to_vec();
            let (n, c) = ours
                .unwrap_in_place(&token[..16], &mut data)
                .unwrap_or_else(|e| panic!("{what} split: {e:?}"));
            assert_eq!((&data[..n], c), (&msg[..], conf), "{what} split");
        }
    }
}

/// Our tokens for MIT, made with the messages MIT used: whole Wrap tokens,
/// MICs, and (RFC 4121) the split layout sent as one stream.
fn make_ours(ours: &mut MessageProtection, rc4: bool, mit: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for t in mit.iter().filter(|t| t["kind"] == "mic") {
        let msg = hex_field(t, "msg");
        for conf in [true, false] {
            let token = ours.wrap(conf, &msg).unwrap();
            out.push(json!({"kind": "wrap", "conf": conf, "msg": hex::encode(&msg), "token": hex::encode(token)}));
            if !rc4 {
                let mut head = vec![0u8; 100];
                let mut data = msg.clone();
                let n = ours.wrap_in_place(conf, &mut head, &mut data).unwrap();
                let mut stream = head[..n].to_vec();
                stream.extend_from_slice(&data);
                out.push(json!({"kind": "wrap", "conf": conf, "msg": hex::encode(&msg), "token": hex::encode(stream), "split": true}));
            }
        }
        let mic = ours.get_mic(&msg).unwrap();
        out.push(json!({"kind": "mic", "conf": false, "msg": hex::encode(&msg), "token": hex::encode(mic)}));
    }
    out
}

/// The buffers of an iov token: (type, plaintext, bytes as sent).
fn iov_parts(t: &Value) -> Vec<(bool, Vec<u8>, Vec<u8>)> {
    t["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["type"] == "data",
                hex_field(p, "msg"),
                hex_field(p, "wire"),
            )
        })
        .collect()
}

/// `ours.unwrap_parts` over `wires` (DATA decrypted in place).
fn unwrap_iov(
    ours: &mut MessageProtection,
    token: &[u8],
    types: &[bool],
    wires: &mut [Vec<u8>],
) -> Result<bool, GssError> {
    let mut parts: Vec<MessagePart<'_>> = types
        .iter()
        .zip(wires.iter_mut())
        .map(|(&data, w)| {
            if data {
                MessagePart::Data(&mut w[..])
            } else {
                MessagePart::SignOnly(&w[..])
            }
        })
        .collect();
    ours.unwrap_parts(token, &mut parts)
}

/// Opens MIT's iov tokens of one side with `ours`; each one with a
/// sign-only buffer is first refused with that buffer altered.
fn check_mit_iov(ours: &mut MessageProtection, tokens: &[Value], side: &str) {
    for (i, t) in tokens.iter().enumerate() {
        let what = format!("MIT {side} iov token {i} ({t})");
        let token = hex_field(t, "token");
        let parts = iov_parts(t);
        let types: Vec<bool> = parts.iter().map(|p| p.0).collect();
        if let Some(k) = types.iter().position(|&data| !data) {
            let mut wires: Vec<Vec<u8>> = parts.iter().map(|p| p.2.clone()).collect();
            wires[k][0] ^= 0x01;
            assert_eq!(
                unwrap_iov(ours, &token, &types, &mut wires),
                Err(GssError::BadSig),
                "{what}: altered sign-only buffer"
            );
        }
        let mut wires: Vec<Vec<u8>> = parts.iter().map(|p| p.2.clone()).collect();
        let conf = unwrap_iov(ours, &token, &types, &mut wires)
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(conf, t["conf"].as_bool().unwrap(), "{what}");
        for (w, p) in wires.iter().zip(&parts) {
            assert_eq!(w, &p.1, "{what}");
        }
    }
}

/// Our iov tokens, in MIT's layouts and messages.
fn make_ours_iov(ours: &mut MessageProtection, mit: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for t in mit.iter().filter(|t| t["conf"] == true) {
        let parts = iov_parts(t);
        for conf in [true, false] {
            let mut wires: Vec<Vec<u8>> = parts.iter().map(|p| p.1.clone()).collect();
            let mut token = vec![0u8; 128];
            let n = {
                let mut mp: Vec<MessagePart<'_>> = parts
                    .iter()
                    .zip(wires.iter_mut())
                    .map(|(p, w)| {
                        if p.0 {
                            MessagePart::Data(&mut w[..])
                        } else {
                            MessagePart::SignOnly(&w[..])
                        }
                    })
                    .collect();
                ours.wrap_parts(conf, &mut token, &mut mp).unwrap()
            };
            let json_parts: Vec<Value> = parts
                .iter()
                .zip(&wires)
                .map(|(p, w)| {
                    json!({"type": if p.0 { "data" } else { "sign_only" }, "msg": hex::encode(&p.1), "wire": hex::encode(w)})
                })
                .collect();
            out.push(json!({"kind": "iov", "conf": conf, "token": hex::encode(&token[..n]), "parts": json_parts}));
        }
    }
    out
}

/// Runs tests/peers/gss_tokens.py (`args`) in a realm of its own: checks
/// MIT's tokens with `check`, sends it the tokens `make` returns, and
/// asserts MIT took every one.
fn exchange(
    tag: &str,
    enctypes: Option<(&str, &str)>,
    expect: EncryptionType,
    args: &[&str],
    check: impl Fn(&mut MessageProtection, bool, &[Value], &str),
    make: impl Fn(&mut MessageProtection, bool, &[Value]) -> Vec<Value>,
) {
    let realm = start_realm(tag, enctypes);
    let mut cmd = common::peer_script("gss_tokens.py", args);
    realm.env(&mut cmd);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = cmd.spawn().expect("gss_tokens.py");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let dump: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));

    let etype = EncryptionType::from_i32(dump["enctype"].as_i64().unwrap() as i32).unwrap();
    assert_eq!(etype, expect, "the realm's session key etype");
    let key = Key::new(etype, &hex_field(&dump, "key")).unwrap();
    let rc4 = etype == EncryptionType::Rc4Hmac;
    let mit_init = dump["initiator"].as_array().unwrap();
    let mit_acc = dump["acceptor"].as_array().unwrap();
    // MIT's mutual CFX contexts protect with an acceptor subkey and say so.
    let first_wrap = hex_field(&mit_init[0], "token");
    let acceptor_subkey = !rc4 && first_wrap[2] & FLAG_ACCEPTOR_SUBKEY != 0;
    assert_eq!(
        acceptor_subkey, !rc4,
        "acceptor subkey flag of MIT's tokens"
    );

    let mut our_acc = protection(&key, Role::Acceptor, acceptor_subkey);
    let mut our_init = protection(&key, Role::Initiator, acceptor_subkey);
    check(&mut our_acc, rc4, mit_init, "initiator");
    check(&mut our_init, rc4, mit_acc, "acceptor");

    let to_acceptor = make(&mut our_init, rc4, mit_init);
    let to_initiator = make(&mut our_acc, rc4, mit_acc);
    let req = json!({"to_acceptor": to_acceptor, "to_initiator": to_initiator});
    writeln!(stdin, "{req}").unwrap();
    stdin.flush().unwrap();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    let res: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    assert!(child.wait().unwrap().success());
    let results = res["results"].as_array().unwrap();
    assert_eq!(results.len(), to_acceptor.len() + to_initiator.len());
    for r in results {
        let side = r["side"].as_str().unwrap();
        let i = r["index"].as_u64().unwrap() as usize;
        let sent = if side == "acceptor" {
            &to_acceptor[i]
        } else {
            &to_initiator[i]
        };
        assert!(
            r["ok"] == true && r["msg_ok"] == true,
            "MIT {side} refused our token {sent}: {r}"
        );
        if sent["kind"] != "mic" {
            assert_eq!(r["conf"], sent["conf"], "MIT {side}: {sent}");
        }
    }
}

fn interop(tag: &str, enctypes: Option<(&str, &str)>, expect: EncryptionType) {
    exchange(tag, enctypes, expect, &[], check_mit_tokens, make_ours);
}

/// MIT's gss_wrap_iov / gss_unwrap_iov (DCE style) against our split
/// layout over several buffers, sign-only ones included.
fn interop_iov(tag: &str, enctypes: Option<(&str, &str)>, expect: EncryptionType) {
    exchange(
        tag,
        enctypes,
        expect,
        &["--iov"],
        |ours, _, tokens, side| check_mit_iov(ours, tokens, side),
        |ours, _, mit| make_ours_iov(ours, mit),
    );
}

#[test]
fn mit_aes256_sha1() {
    interop("aes256sha1", None, EncryptionType::Aes256CtsHmacSha196);
}

#[test]
fn mit_aes128_sha256() {
    interop(
        "aes128sha256",
        Some((
            "aes128-cts-hmac-sha256-128:normal aes256-cts-hmac-sha1-96:normal",
            "aes128-cts-hmac-sha256-128",
        )),
        EncryptionType::Aes128CtsHmacSha256128,
    );
}

#[test]
fn mit_aes256_sha384() {
    interop(
        "aes256sha384",
        Some((
            "aes256-cts-hmac-sha384-192:normal aes256-cts-hmac-sha1-96:normal",
            "aes256-cts-hmac-sha384-192",
        )),
        EncryptionType::Aes256CtsHmacSha384192,
    );
}

#[test]
fn mit_rc4_hmac() {
    interop(
        "rc4",
        Some((
            "aes256-cts-hmac-sha1-96:normal arcfour-hmac:normal",
            "arcfour-hmac",
        )),
        EncryptionType::Rc4Hmac,
    );
}

#[test]
fn mit_iov_aes256_sha1() {
    interop_iov("iovaes", None, EncryptionType::Aes256CtsHmacSha196);
}

#[test]
fn mit_iov_rc4_hmac() {
    interop_iov(
        "iovrc4",
        Some((
            "aes256-cts-hmac-sha1-96:normal arcfour-hmac:normal",
            "arcfour-hmac",
        )),
        EncryptionType::Rc4Hmac,
    );
}
