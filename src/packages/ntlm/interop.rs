//! Interop with pyspnego's pure-Python NTLM (tests/peers/ntlm_peer.py),
//! both directions, handshake plus seal/unseal and sign/verify, against the
//! package itself (tests/interop_ntlm.rs does the same through the C ABI).
//! The peers' venv comes from scripts/install-test-deps.sh: these tests fail,
//! never pass silently, when it is missing.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use super::crypto::nt_owf_v1;
use super::*;
use crate::lsa::accounts::AccountDatabase;
use crate::sspi::{BufferData, HandshakeInput, MessageBuffer, SecurityContext};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64e(b: &[u8]) -> String {
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn b64d(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.trim().bytes().filter(|&c| c != b'=') {
        acc = acc << 6 | B64.iter().position(|&x| x == c).unwrap() as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

struct Peer {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Peer {
    fn spawn(python: &str, args: &[&str], user_file: &std::path::Path) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/ntlm_peer.py");
        let mut child = Command::new(python)
            .arg(script)
            .args(args)
            .env("NTLM_USER_FILE", user_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        Peer { child, out }
    }
    fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }
    fn recv(&mut self) -> String {
        let mut l = String::new();
        self.out.read_line(&mut l).unwrap();
        l.trim_end().to_string()
    }
    fn finish(mut self) -> bool {
        drop(self.child.stdin.take());
        self.child.wait().unwrap().success()
    }
}

/// Our seal in pyspnego's wrap layout (signature || sealed data).
fn wrap(ctx: &mut dyn SecurityContext, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    let mut t = [0u8; 16];
    let mut m = [
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
    ];
    ctx.encrypt_message(0, &mut m, 0).unwrap();
    let mut out = t.to_vec();
    out.extend_from_slice(&d);
    out
}

fn unwrap(ctx: &mut dyn SecurityContext, w: &[u8]) -> Vec<u8> {
    let (t, d) = w.split_at(16);
    let (mut t, mut d) = (t.to_vec(), d.to_vec());
    let mut m = [
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
    ];
    ctx.decrypt_message(&mut m, 0).unwrap();
    d
}

fn mic(ctx: &mut dyn SecurityContext, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    let mut t = [0u8; 16];
    let mut m = [
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut d)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
    ];
    ctx.make_signature(0, &mut m, 0).unwrap();
    t.to_vec()
}

fn check_mic(ctx: &mut dyn SecurityContext, data: &[u8], sig: &[u8]) {
    let mut t = sig.to_vec();
    let mut m = [
        MessageBuffer::new(SECBUFFER_DATA, BufferData::ReadOnly(data)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut t)),
    ];
    ctx.verify_signature(&mut m, 0).unwrap();
}

fn split2(l: &str) -> Vec<Vec<u8>> {
    l.split(' ').skip(1).map(b64d).collect()
}

/// Our client's two legs as EXAMPLE\alice against `peer`; returns the
/// established context.
fn initiate_as_alice(peer: &mut Peer, context_req: u32) -> NtlmClient {
    let cred = ClientCredential::new("alice", "EXAMPLE", nt_owf_v1("alice-Passw0rd"));
    let mut c = NtlmCredential::new(
        CredentialUse::Outbound,
        Some(cred),
        NtlmSettings::default(),
        None,
    )
    .initiator(Some("host/localhost"), context_req)
    .unwrap();
    let o1 = c.initialize(&HandshakeInput::default()).unwrap();
    peer.send(&b64e(&o1.token));
    let chal = b64d(&peer.recv());
    let o3 = c
        .initialize(&HandshakeInput {
            token: Some(&chal),
            ..Default::default()
        })
        .unwrap();
    peer.send(&b64e(&o3.token));
    c
}

/// Our server's two legs against `peer`, whose client must authenticate as
/// EXAMPLE\alice; returns the established context.
fn accept_alice(peer: &mut Peer) -> NtlmServer {
    let db = std::sync::Arc::new(AccountDatabase::parse("EXAMPLE:alice:alice-Passw0rd\n"));
    let mut s = NtlmCredential::new(
        CredentialUse::Inbound,
        None,
        NtlmSettings::default(),
        Some(db),
    )
    .acceptor(0)
    .unwrap();
    let neg = b64d(&peer.recv());
    let o2 = s
        .accept(&HandshakeInput {
            token: Some(&neg),
            ..Default::default()
        })
        .unwrap();
    peer.send(&b64e(&o2.token));
    let auth = b64d(&peer.recv());
    s.accept(&HandshakeInput {
        token: Some(&auth),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        s.client_identity(),
        Some(("EXAMPLE".into(), "alice".into()))
    );
    s
}

/// The venv's Python (`OPENSSPI_VENV`, else `target/peers-venv`).
fn peer_python() -> String {
    let venv = std::env::var("OPENSSPI_VENV")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/peers-venv").into());
    let python = format!("{venv}/bin/python");
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: run scripts/install-test-deps.sh (scripts/test.sh does)"
    );
    python
}

#[test]
fn pyspnego_both_directions() {
    let python = peer_python();
    let dir = std::env::temp_dir().join(format!("opensspi-ntlm-interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let users = dir.join("users");
    std::fs::write(&users, "EXAMPLE:alice:alice-Passw0rd\n").unwrap();

    // Our client, pyspnego server.
    let mut peer = Peer::spawn(&python, &["server", "--impl", "python", "--wrap"], &users);
    let mut c = initiate_as_alice(&mut peer, ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY);
    peer.send(&format!(
        "WRAP {}",
        b64e(&wrap(&mut c, b"hello from initiator"))
    ));
    let reply = split2(&peer.recv());
    assert_eq!(unwrap(&mut c, &reply[0]), b"reply: hello from initiator");
    peer.send(&format!(
        "MIC {} {}",
        b64e(b"mic from initiator"),
        b64e(&mic(&mut c, b"mic from initiator"))
    ));
    let m = split2(&peer.recv());
    check_mic(&mut c, &m[0], &m[1]);
    assert!(peer.finish(), "pyspnego server failed");

    // pyspnego client, our server.
    let mut peer = Peer::spawn(
        &python,
        &[
            "client",
            "--impl",
            "python",
            "--wrap",
            "--user",
            "EXAMPLE\\alice",
            "--password",
            "alice-Passw0rd",
        ],
        &users,
    );
    let mut s = accept_alice(&mut peer);
    let w = split2(&peer.recv());
    let msg = unwrap(&mut s, &w[0]);
    assert_eq!(msg, b"hello from initiator");
    let mut r = b"reply: ".to_vec();
    r.extend_from_slice(&msg);
    peer.send(&format!("WRAP {}", b64e(&wrap(&mut s, &r))));
    let m = split2(&peer.recv());
    check_mic(&mut s, &m[0], &m[1]);
    peer.send(&format!(
        "MIC {} {}",
        b64e(b"mic from acceptor"),
        b64e(&mic(&mut s, b"mic from acceptor"))
    ));
    assert!(peer.finish(), "pyspnego client failed");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Samba's `ntlm_auth` (tests/peers/ntlm_auth_peer.py), handshake only:
/// its NTLMv2 blob lacks the trailing Z(4) and carries MsvAvSingleHost.
#[test]
fn samba_ntlm_auth_both_directions() {
    let python = peer_python();
    assert!(
        Command::new("ntlm_auth").arg("--version").output().is_ok(),
        "ntlm_auth (package winbind) is missing: run scripts/install-test-deps.sh"
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/ntlm_auth_peer.py");
    let spawn = |role: &str| {
        let mut child = Command::new(&python)
            .args([
                script,
                role,
                "--user",
                "alice",
                "--domain",
                "EXAMPLE",
                "--password",
                "alice-Passw0rd",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        Peer { child, out }
    };

    // Samba client, our server.
    let mut peer = spawn("client");
    accept_alice(&mut peer);
    assert!(peer.finish());

    // Our client, Samba server.
    let mut peer = spawn("server");
    initiate_as_alice(&mut peer, ISC_REQ_CONFIDENTIALITY);
    assert!(peer.finish(), "ntlm_auth rejected our AUTHENTICATE");
}
