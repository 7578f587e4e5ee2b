//! Review 4: a client of `opensspi-lsad` writing sessions back through Put (wire op 1).
//!
//! The service keeps each session's NT OWF and computes NTLM responses with it ("LSA mode");
//! clients get copies without it. These tests speak the service's socket directly, as a
//! hostile client of the same uid (uid 0 here: the test runs the service as itself) would:
//! - an NT OWF of the client's choosing put over an existing session must not replace the one
//!   the logon validated (else every process of the user that authenticates with its default
//!   credentials would do so with the planted account);
//! - a credential under a package id that keeps none (Negotiate), an unknown id, or another
//!   package's type is refused (`Malformed`), never stored;
//! - no reply path gives the NT OWF back (Get, List, the credential operation).
mod common;

use common::*;
use opensspi::lsa::packages::{KERBEROS_ID, MSV1_0_ID, NEGOTIATE_ID};
use opensspi::lsa::secret::Secret;
use opensspi::lsa::store::codec;
use opensspi::lsa::Msv1_0PrimaryCredential;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A private runtime directory whose service is killed when dropped.
struct Lsad {
    runtime: PathBuf,
}

impl Lsad {
    fn new(tag: &str) -> Lsad {
        let runtime = target_dir()
            .join("test-tmp")
            .join(format!("review4-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&runtime);
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        Lsad { runtime }
    }

    fn sock(&self) -> PathBuf {
        self.runtime.join("opensspi").join("lsad.sock")
    }
}

impl Drop for Lsad {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.runtime.join("opensspi").join("lsad.pid"));
        if let Some(pid) = pid.ok().and_then(|s| s.trim().parse::<u32>().ok()) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
        let _ = std::fs::remove_dir_all(&self.runtime);
    }
}

/// `sspilogon` logs alice on in the service of `lsad`'s runtime directory.
fn logon_alice(lsad: &Lsad, users: &UserFile) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_opensspi-lsad"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );
    let who = format!("{DOMAIN}\\{USER}");
    let mut c = Command::new(env!("CARGO_BIN_EXE_sspilogon"));
    c.env_clear()
        .env("LANG", "C.UTF-8")
        .env("NTLM_USER_FILE", &users.path)
        .env("XDG_RUNTIME_DIR", &lsad.runtime)
        .env("PATH", path)
        .args(["--password-stdin", &who])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sspilogon: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One request on a fresh connection; the response frame.
fn request(sock: &Path, body: &[u8]) -> Vec<u8> {
    let mut s = UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut f = vec![1u8];
    f.extend_from_slice(&(body.len() as u32).to_le_bytes());
    f.extend_from_slice(body);
    s.write_all(&f).unwrap();
    let mut head = [0u8; 5];
    s.read_exact(&mut head).unwrap();
    let mut rest = vec![0u8; u32::from_le_bytes(head[1..5].try_into().unwrap()) as usize];
    s.read_exact(&mut rest).unwrap();
    [&head[..], &rest].concat()
}

fn luid_body(op: u8, luid: u64) -> Vec<u8> {
    let mut b = vec![op];
    b.extend_from_slice(&luid.to_le_bytes());
    b
}

/// An NTLMv2 credential operation on `luid` (fixed challenges: the reply is a function of
/// the session's NT OWF and names only).
fn ntlm_op_body(luid: u64) -> Vec<u8> {
    let mut b = luid_body(7, luid);
    b.extend_from_slice(&[1; 8]);
    b.extend_from_slice(&[2; 8]);
    b.push(0);
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&[0; 28]);
    b
}

/// Put (op 1) of an encoded session; the reply's status byte.
fn put(sock: &Path, session: &[u8]) -> u8 {
    let mut b = vec![1u8];
    b.extend_from_slice(&(session.len() as u32).to_le_bytes());
    b.extend_from_slice(session);
    request(sock, &b)[5]
}

/// Get (op 2): the session the service hands a client, and the raw reply.
fn get(sock: &Path, luid: u64) -> (opensspi::lsa::session::LogonSession, Vec<u8>) {
    let r = request(sock, &luid_body(2, luid));
    assert_eq!(&r[5..7], &[0, 1], "Get: {r:?}");
    let n = u32::from_le_bytes(r[7..11].try_into().unwrap()) as usize;
    (codec::decode(&r[11..11 + n]).expect("Get reply decodes"), r)
}

/// NTOWFv1 computed here, independently of the library.
fn nt_owf(password: &str) -> [u8; 16] {
    use md4::Digest;
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    md4::Md4::digest(&utf16).into()
}

const OK: u8 = 0;
const MALFORMED: u8 = 2;

/// A client puts its session back with an NT OWF of its own (an account it controls) in the
/// MSV1_0 credential: the service keeps the OWF the logon validated, so the credential
/// operation the user's other processes ask for still answers with alice's key. Also: a
/// client that drops the MSV1_0 credential does not make the service forget it.
#[test]
fn put_cannot_replace_the_nt_owf_of_an_existing_session() {
    let lsad = Lsad::new("owf");
    let users = UserFile::alice("review4-owf");
    logon_alice(&lsad, &users);
    let sock = lsad.sock();
    let list = request(&sock, &[4]);
    assert_eq!(&list[..10], &[1, 13, 0, 0, 0, 0, 1, 0, 0, 0], "{list:?}");
    let luid = u64::from_le_bytes(list[10..18].try_into().unwrap());
    let before = request(&sock, &ntlm_op_body(luid));
    assert_eq!(before[5..7], [0, 1], "{before:?}");

    // Get: the copy without the OWF (and no byte of it anywhere in the reply).
    let (mut s, raw) = get(&sock, luid);
    let owf = nt_owf(PASSWORD);
    assert!(
        !raw.windows(16).any(|w| w == owf),
        "Get reply holds the NT OWF"
    );
    assert!(Msv1_0PrimaryCredential::of(&s).unwrap().nt_owf.is_none());

    // Drop: the session put back without its MSV1_0 credential keeps the service's.
    let mut dropped = s.clone();
    dropped.credentials.set(MSV1_0_ID, None);
    assert_eq!(put(&sock, &codec::encode(&dropped)), OK);
    assert_eq!(
        request(&sock, &ntlm_op_body(luid)),
        before,
        "a client dropped the session's NT OWF"
    );

    // Plant: the same session with the attacker's OWF.
    Msv1_0PrimaryCredential::of_mut(&mut s).unwrap().nt_owf =
        Some(Secret::from_slice(&nt_owf("attacker-Passw0rd")).unwrap());
    assert_eq!(put(&sock, &codec::encode(&s)), OK);
    let after = request(&sock, &ntlm_op_body(luid));
    assert_eq!(
        after, before,
        "the planted NT OWF replaced the service's: the response changed"
    );

    let (s2, raw) = get(&sock, luid);
    assert!(!raw.windows(16).any(|w| w == owf));
    assert!(Msv1_0PrimaryCredential::of(&s2).unwrap().nt_owf.is_none());
}

/// Credentials under package ids that keep none or do not exist, or of another package's
/// type, are refused by the codec (Malformed) and change nothing.
#[test]
fn put_refuses_credentials_of_wrong_or_unknown_packages() {
    let lsad = Lsad::new("ids");
    let users = UserFile::alice("review4-ids");
    logon_alice(&lsad, &users);
    let sock = lsad.sock();
    let list = request(&sock, &[4]);
    let luid = u64::from_le_bytes(list[10..18].try_into().unwrap());
    let before = request(&sock, &ntlm_op_body(luid));
    let (s, _) = get(&sock, luid);
    let msv = Msv1_0PrimaryCredential {
        nt_owf: Some(Secret::from_slice(&[0x41; 16]).unwrap()),
        ..Msv1_0PrimaryCredential::of(&s).unwrap().clone()
    };
    for id in [NEGOTIATE_ID, KERBEROS_ID, 3, 0xffff_ffff] {
        let mut evil = s.clone();
        evil.credentials.insert(id, msv.clone());
        assert_eq!(
            put(&sock, &codec::encode(&evil)),
            MALFORMED,
            "package id {id}"
        );
    }
    assert_eq!(request(&sock, &ntlm_op_body(luid)), before);
}

/// A client puts the session back with a Kerberos credential of its own (a
/// principal, long-term keys and a TGT it controls) added to a session
/// that has none: the service drops it, so no later process of the user
/// authenticates with a TGT the client planted (the service alone obtains
/// and holds a session's TGT and keys).
#[test]
fn put_cannot_plant_a_kerberos_tgt_in_a_session() {
    use opensspi::lsa::packages::kerberos::{CachedTicket, KerberosCredential, KerberosKey};
    let lsad = Lsad::new("krb");
    let users = UserFile::alice("review4-krb");
    logon_alice(&lsad, &users);
    let sock = lsad.sock();
    let list = request(&sock, &[4]);
    let luid = u64::from_le_bytes(list[10..18].try_into().unwrap());
    let (mut s, _) = get(&sock, luid);
    assert!(KerberosCredential::of(&s).is_none());
    let tgt = CachedTicket {
        server_name: "krbtgt/EVIL.TEST".into(),
        realm_name: "EVIL.TEST".into(),
        start_time: 0,
        end_time: i64::MAX,
        renew_time: 0,
        encryption_type: 18,
        ticket_flags: 0,
        encoded: zeroize::Zeroizing::new(vec![7; 40]),
    };
    for keys in [vec![], vec![7u8; 32]] {
        s.credentials.insert(
            KERBEROS_ID,
            KerberosCredential {
                renewable_with_keys: false,
                principal: "mallory@EVIL.TEST".into(),
                realm: "EVIL.TEST".into(),
                keys: (!keys.is_empty())
                    .then(|| KerberosKey {
                        etype: 18,
                        kvno: 1,
                        key: zeroize::Zeroizing::new(keys.clone()),
                    })
                    .into_iter()
                    .collect(),
                tgt: Some(tgt.clone()),
                service_tickets: Vec::new(),
            },
        );
        assert_eq!(put(&sock, &codec::encode(&s)), OK);
        let (after, _) = get(&sock, luid);
        assert!(
            KerberosCredential::of(&after).is_none(),
            "a planted Kerberos credential (keys: {}) was kept",
            !keys.is_empty()
        );
    }
}
