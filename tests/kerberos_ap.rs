//! The AP exchange (RFC 4120 §3.2, RFC 4121 §4.1) against MIT krb5: a
//! throwaway realm per test (`tests/peers/setup-kdc.sh`), `kinit alice` +
//! `kvno host/localhost` for a service ticket read from the ccache, MIT's
//! GSSAPI acceptor and initiator (python-gssapi, `tests/peers/gss_*.py`)
//! as the peers. Negative cases assert the Windows status of each check.
//! Needs krb5-kdc, krb5-admin-server, krb5-user and the peers' venv
//! (scripts/install-test-deps.sh).

mod common;

use common::krb_realm::KrbRealm;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use opensspi::packages::kerberos::acceptor::{accept_ap_req, Accepted, AcceptorOptions};
use opensspi::packages::kerberos::ap_rep::*;
use opensspi::packages::kerberos::ap_req::{build_ap_req, flags_bits, ApReqOptions, ServiceTicket};
use opensspi::packages::kerberos::ap_wire::*;
use opensspi::packages::kerberos::ccache::{Ccache, Credential};
use opensspi::packages::kerberos::crypto::{self, usage, EncryptionType, Key};
use opensspi::packages::kerberos::filecodec::Principal;
use opensspi::packages::kerberos::keytab::Keytab;
use opensspi::packages::kerberos::replay_cache::ReplayCache;
use opensspi::packages::kerberos::verified_tickets::VerifiedTickets;
use opensspi::sspi::consts::*;
use opensspi::sspi::status::SecStatus;
use picky_asn1::wrapper::*;
use picky_krb::data_types::*;

const REALM: &str = "EXAMPLE.TEST";
const REQ: u32 = ISC_REQ_MUTUAL_AUTH
    | ISC_REQ_CONFIDENTIALITY
    | ISC_REQ_INTEGRITY
    | ISC_REQ_REPLAY_DETECT
    | ISC_REQ_SEQUENCE_DETECT;

/// The shared throwaway realm (`common/krb_realm.rs`) with alice's
/// forwardable TGT and a host/localhost ticket in its ccache.
struct Realm(KrbRealm);

impl std::ops::Deref for Realm {
    type Target = KrbRealm;
    fn deref(&self) -> &KrbRealm {
        &self.0
    }
}

impl Realm {
    fn start(tag: &str) -> Realm {
        let r = KrbRealm::start(&format!("ap-{tag}"));
        r.kinit_alice();
        r.run("kvno", &["host/localhost"], None);
        Realm(r)
    }

    fn ccache(&self) -> Ccache {
        Ccache::read(&self.0.ccache()).unwrap()
    }

    fn cred(&self, server: &str) -> Credential {
        self.ccache()
            .tickets()
            .find(|c| c.server.to_string() == server)
            .unwrap_or_else(|| panic!("no {server} ticket in the ccache"))
            .clone()
    }

    fn keytab(&self) -> Keytab {
        Keytab::read(&self.dir.join("service.keytab")).unwrap()
    }

    fn peer(&self, script: &str, args: &[&str]) -> std::process::Child {
        let mut c = common::peer_script(script, args);
        self.env(&mut c);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 with padding (the peers' line protocol).
fn b64(b: &[u8]) -> String {
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unb64(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for ch in s.trim().bytes().filter(|c| *c != b'=') {
        let v = B64.iter().position(|b| *b == ch).expect("base64 line") as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn key_of(c: &Credential) -> Key {
    Key::new(
        EncryptionType::from_i32(c.key.enctype).unwrap(),
        &c.key.bytes,
    )
    .unwrap()
}

fn now() -> (i64, u32) {
    opensspi::packages::kerberos::ap_wire::now()
}

fn options(kt: &Keytab) -> AcceptorOptions<'_> {
    AcceptorOptions {
        keytab: kt,
        principal: None,
        clockskew: 300,
        channel_bindings: None,
        require_bindings: false,
        keys: None,
        tickets: None,
    }
}

/// Our AP-REQ for the ccache's host/localhost ticket.
fn our_ap_req(
    cred: &Credential,
    opts: &ApReqOptions,
    at: (i64, u32),
) -> (Vec<u8>, opensspi::packages::kerberos::ap_req::PendingApReq) {
    let key = key_of(cred);
    let st = ServiceTicket {
        ticket: &cred.ticket,
        session_key: &key,
        client: &cred.client,
    };
    build_ap_req(&st, opts, at).unwrap()
}

fn req(isc_req: u32) -> ApReqOptions<'static> {
    ApReqOptions {
        isc_req,
        ..Default::default()
    }
}

fn accept(kt: &Keytab, token: &[u8]) -> Result<Accepted, ApError> {
    accept_ap_req(&options(kt), &ReplayCache::new(100), token, now())
}

/// A SEC_CHANNEL_BINDINGS with only application data.
fn bindings(app: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; 32];
    v[24..28].copy_from_slice(&(app.len() as u32).to_le_bytes());
    v[28..32].copy_from_slice(&32u32.to_le_bytes());
    v.extend_from_slice(app);
    v
}

#[test]
fn our_ap_req_is_accepted_by_mit_and_its_ap_rep_verifies() {
    let realm = Realm::start("tomit");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let (token, pending) = our_ap_req(&cred, &req(REQ), now());
    let mut acc = realm.peer("gss_accept.py", &["--mech", "krb5"]);
    writeln!(acc.stdin.as_mut().unwrap(), "{}", b64(&token)).unwrap();
    let mut line = String::new();
    BufReader::new(acc.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let out = acc.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "MIT acceptor failed: {err}");
    assert!(err.contains("AUTHENTICATED alice@EXAMPLE.TEST"), "{err}");
    let rep = pending.verify_ap_rep(&unb64(&line)).expect("MIT's AP-REP");
    assert!(rep.acceptor_subkey.is_some());
    assert!(rep.acceptor_seq_number.is_some());
    // Every truncation of MIT's AP-REP is an error, never a panic.
    let full = unb64(&line);
    for n in 0..full.len() {
        assert!(pending.verify_ap_rep(&full[..n]).is_err(), "prefix {n}");
    }
    // Another session key (a forged AP-REP) is refused.
    let other = crypto::random_key(pending.session_key.etype()).unwrap();
    let forged = build_ap_rep(&other, 0, 0, None, None).unwrap();
    assert_eq!(
        pending.verify_ap_rep(&forged).err(),
        Some(SecStatus::MessageAltered)
    );
}

fn mit_initiator_to_us(realm: &Realm, args: &[&str]) -> (Accepted, std::process::Output) {
    let mut init = realm.peer("gss_init.py", args);
    let mut reader = BufReader::new(init.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let kt = realm.keytab();
    let accepted = accept(&kt, &unb64(&line)).expect("our acceptor takes MIT's AP-REQ");
    if let Some(rep) = &accepted.ap_rep {
        writeln!(init.stdin.as_mut().unwrap(), "{}", b64(rep)).unwrap();
    }
    (accepted, init.wait_with_output().unwrap())
}

#[test]
fn mit_ap_req_is_accepted_by_us_and_our_ap_rep_completes_mit() {
    let realm = Realm::start("frommit");
    let (a, out) = mit_initiator_to_us(&realm, &[]);
    assert!(
        out.status.success(),
        "MIT initiator refused our AP-REP: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(a.client.to_string(), "alice@EXAMPLE.TEST");
    assert_eq!(a.server.to_string(), "host/localhost@EXAMPLE.TEST");
    assert_ne!(a.gss_flags & GSS_C_MUTUAL_FLAG, 0);
    assert!(a.initiator_subkey.is_some() && a.acceptor_subkey.is_some());
    assert!(a.delegated.is_none());
    // MIT's KDC puts no PAC in; the field is there for PAC validation.
    let _ = a.authorization_data;
}

#[test]
fn mit_delegation_gives_alices_forwarded_tgt() {
    let realm = Realm::start("deleg");
    let (a, out) = mit_initiator_to_us(&realm, &["--delegate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = a.delegated.expect("a delegated TGT");
    assert_eq!(d.client.to_string(), "alice@EXAMPLE.TEST");
    assert_eq!(d.server.to_string(), "krbtgt/EXAMPLE.TEST@EXAMPLE.TEST");
    assert!(!d.ticket.is_empty() && !d.key.bytes.is_empty());
}

#[test]
fn our_delegation_is_read_back_by_our_acceptor() {
    let realm = Realm::start("ourdeleg");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let tgt = realm.cred("krbtgt/EXAMPLE.TEST@EXAMPLE.TEST");
    let opts = ApReqOptions {
        isc_req: REQ | ISC_REQ_DELEGATE,
        channel_bindings: None,
        delegated_tgt: Some(&tgt),
    };
    let (token, _) = our_ap_req(&cred, &opts, now());
    let a = accept(&realm.keytab(), &token).unwrap();
    let d = a.delegated.expect("delegated");
    assert_eq!(d.ticket, tgt.ticket);
    assert_eq!(d.key, tgt.key);
    assert_eq!(d.endtime, tgt.endtime);
}

#[test]
fn replayed_ap_req_is_refused() {
    let realm = Realm::start("replay");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let kt = realm.keytab();
    let (token, _) = our_ap_req(&cred, &req(REQ), now());
    let cache = ReplayCache::new(100);
    accept_ap_req(&options(&kt), &cache, &token, now()).unwrap();
    let e = accept_ap_req(&options(&kt), &cache, &token, now()).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::InvalidToken, KRB_AP_ERR_REPEAT)
    );
}

/// The replay cache grows with the load and still refuses the replay of
/// an AP-REQ seen 200 000 authenticators earlier.
#[test]
fn replay_after_many_other_authenticators_is_refused() {
    use opensspi::packages::kerberos::replay_cache::ReplayKey;
    let realm = Realm::start("replaymany");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let kt = realm.keytab();
    let (token, _) = our_ap_req(&cred, &req(REQ), now());
    let cache = ReplayCache::new(1 << 20);
    accept_ap_req(&options(&kt), &cache, &token, now()).unwrap();
    let t = now().0;
    for i in 0..200_000u32 {
        let auth = i.to_le_bytes();
        let k = ReplayKey {
            client: "bob@EXAMPLE.TEST",
            server: "host/localhost@EXAMPLE.TEST",
            ctime: t,
            cusec: i % 1_000_000,
            authenticator: &auth,
        };
        cache.check_and_insert(&k, t, 300).unwrap();
    }
    let e = accept_ap_req(&options(&kt), &cache, &token, now()).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::InvalidToken, KRB_AP_ERR_REPEAT)
    );
}

#[test]
fn tampered_ticket_and_authenticator_are_message_altered() {
    let realm = Realm::start("tamper");
    let mut cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let kt = realm.keytab();
    // The authenticator's ciphertext ends the AP-REQ.
    let (mut token, _) = our_ap_req(&cred, &req(REQ), now());
    *token.last_mut().unwrap() ^= 1;
    let e = accept(&kt, &token).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::MessageAltered, KRB_AP_ERR_BAD_INTEGRITY)
    );
    // The ticket's ciphertext ends the ticket.
    *cred.ticket.last_mut().unwrap() ^= 1;
    let (token, pending) = our_ap_req(&cred, &req(REQ), now());
    let e = accept(&kt, &token).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::MessageAltered, KRB_AP_ERR_BAD_INTEGRITY)
    );
    // The client reads the same status from the KRB-ERROR token.
    let err_token = e.token.expect("a KRB-ERROR for the client");
    assert_eq!(&err_token[13..15], &TOK_KRB_ERROR);
    assert_eq!(
        pending.verify_ap_rep(&err_token).err(),
        Some(SecStatus::MessageAltered)
    );
}

#[test]
fn keytab_without_the_kvno_or_the_enctype_has_no_credentials() {
    let realm = Realm::start("kvno");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let (token, _) = our_ap_req(&cred, &req(REQ), now());
    let mut wrong_kvno = realm.keytab();
    for e in &mut wrong_kvno.entries {
        e.kvno += 1;
    }
    let e = accept(&wrong_kvno, &token).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::NoCredentials, KRB_AP_ERR_BADKEYVER)
    );

    let mut no_etype = realm.keytab();
    no_etype.entries.retain(|e| e.key.enctype != 18);
    assert!(!no_etype.entries.is_empty());
    let e = accept(&no_etype, &token).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::NoCredentials, KRB_AP_ERR_NOKEY)
    );

    // A credential for another principal is not the ticket's server.
    let kt = realm.keytab();
    let http = Principal::parse("HTTP/localhost@EXAMPLE.TEST");
    let mut o = options(&kt);
    o.principal = Some(&http);
    let e = accept_ap_req(&o, &ReplayCache::new(10), &token, now()).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::WrongPrincipal, KRB_AP_ERR_NOT_US)
    );
    // The right key is accepted (the checks above are not vacuous).
    assert!(accept(&kt, &token).is_ok());
}

#[test]
fn authenticator_ten_minutes_off_is_time_skew() {
    let realm = Realm::start("skew");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let kt = realm.keytab();
    let (t, u) = now();
    for off in [-600, 600] {
        let (token, pending) = our_ap_req(&cred, &req(REQ), (t + off, u));
        let e = accept(&kt, &token).unwrap_err();
        assert_eq!((e.status, e.code), (SecStatus::TimeSkew, KRB_AP_ERR_SKEW));
        assert_eq!(
            pending.verify_ap_rep(&e.token.unwrap()).err(),
            Some(SecStatus::TimeSkew)
        );
    }
    // Within the window it passes.
    let (token, _) = our_ap_req(&cred, &req(REQ), (t - 200, u));
    assert!(accept(&kt, &token).is_ok());
}

#[test]
fn channel_bindings_are_checked() {
    let realm = Realm::start("cbt");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let kt = realm.keytab();
    let (ours, theirs) = (
        bindings(b"tls-server-end-point:AAAA"),
        bindings(b"tls-server-end-point:BBBB"),
    );
    let with = |cb: Option<&[u8]>| {
        our_ap_req(
            &cred,
            &ApReqOptions {
                isc_req: REQ,
                channel_bindings: cb,
                delegated_tgt: None,
            },
            now(),
        )
        .0
    };
    let server = |cb: &[u8], require: bool, token: &[u8]| {
        let mut o = options(&kt);
        o.channel_bindings = Some(cb);
        o.require_bindings = require;
        accept_ap_req(&o, &ReplayCache::new(10), token, now())
    };
    let e = server(&ours, false, &with(Some(&theirs))).unwrap_err();
    assert_eq!(e.status, SecStatus::BadBindings);
    assert!(server(&ours, false, &with(Some(&ours))).is_ok());
    // A client without bindings: accepted unless the server requires them.
    assert!(server(&ours, false, &with(None)).is_ok());
    let e = server(&ours, true, &with(None)).unwrap_err();
    assert_eq!(e.status, SecStatus::BadBindings);
}

/// A ticket for host/localhost made with the realm's service key.
fn mint_ticket(kt: &Keytab, client: &Principal, session: &Key, start: i64, end: i64) -> Vec<u8> {
    let entry = kt
        .entries
        .iter()
        .find(|e| e.principal.to_string() == "host/localhost@EXAMPLE.TEST" && e.key.enctype == 18)
        .unwrap();
    let service = Key::new(EncryptionType::from_i32(18).unwrap(), &entry.key.bytes).unwrap();
    let part = EncTicketPart::from(EncTicketPartInner {
        flags: ExplicitContextTag0::from(flags_bits(0x4000_0000)),
        key: ExplicitContextTag1::from(encryption_key(session)),
        crealm: ExplicitContextTag2::from(kerberos_string(&client.realm).unwrap()),
        cname: ExplicitContextTag3::from(principal_name(client).unwrap()),
        transited: ExplicitContextTag4::from(TransitedEncoding {
            tr_type: ExplicitContextTag0::from(int_asn1(1)),
            contents: ExplicitContextTag1::from(OctetStringAsn1::from(vec![])),
        }),
        auth_time: ExplicitContextTag5::from(kerberos_time(start).unwrap()),
        starttime: Optional::from(None),
        endtime: ExplicitContextTag7::from(kerberos_time(end).unwrap()),
        renew_till: Optional::from(None),
        caddr: Optional::from(None),
        authorization_data: Optional::from(None),
    });
    let plain = picky_asn1_der::to_vec(&part).unwrap();
    let cipher = crypto::encrypt(&service, usage::KDC_REP_TICKET, &plain).unwrap();
    let server = Principal::parse("host/localhost@EXAMPLE.TEST");
    let ticket = Ticket::from(TicketInner {
        tkt_vno: ExplicitContextTag0::from(int_asn1(5)),
        realm: ExplicitContextTag1::from(kerberos_string(REALM).unwrap()),
        sname: ExplicitContextTag2::from(principal_name(&server).unwrap()),
        enc_part: ExplicitContextTag3::from(EncryptedData {
            etype: ExplicitContextTag0::from(int_asn1(18)),
            kvno: Optional::from(Some(ExplicitContextTag1::from(int_asn1(entry.kvno as i64)))),
            cipher: ExplicitContextTag2::from(OctetStringAsn1::from(cipher)),
        }),
    });
    picky_asn1_der::to_vec(&ticket).unwrap()
}

#[test]
fn expired_ticket_is_context_expired() {
    let realm = Realm::start("expired");
    let kt = realm.keytab();
    let alice = Principal::parse("alice@EXAMPLE.TEST");
    let session = crypto::random_key(EncryptionType::Aes256CtsHmacSha196).unwrap();
    let (t, _) = now();
    let build = |start: i64, end: i64| {
        let ticket = mint_ticket(&kt, &alice, &session, start, end);
        let st = ServiceTicket {
            ticket: &ticket,
            session_key: &session,
            client: &alice,
        };
        build_ap_req(&st, &req(REQ), now()).unwrap().0
    };
    let e = accept(&kt, &build(t - 7200, t - 3600)).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::ContextExpired, KRB_AP_ERR_TKT_EXPIRED)
    );
    let e = accept(&kt, &build(t + 3600, t + 7200)).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::TimeSkew, KRB_AP_ERR_TKT_NYV)
    );
    // The same minted ticket, valid now, is accepted: the key and layout are right.
    let a = accept(&kt, &build(t - 60, t + 3600)).unwrap();
    assert_eq!(a.client.to_string(), "alice@EXAMPLE.TEST");
}

#[test]
fn every_truncation_of_an_ap_req_is_an_error() {
    let realm = Realm::start("trunc");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let kt = realm.keytab();
    let (token, _) = our_ap_req(&cred, &req(REQ), now());
    let body = gss_unframe(&token).unwrap().1.to_vec();
    for t in [&token, &body] {
        for n in 0..t.len() {
            let e = accept(&kt, &t[..n]).unwrap_err();
            assert_ne!(e.status, SecStatus::InternalError, "prefix {n}");
        }
    }
    // The raw (unframed) AP-REQ is accepted too.
    assert!(accept(&kt, &body).is_ok());
    // Our own AP-REP: every truncation refused.
    let (token, pending) = our_ap_req(&cred, &req(REQ), now());
    let rep = accept(&kt, &token).unwrap().ap_rep.unwrap();
    pending.verify_ap_rep(&rep).unwrap();
    for n in 0..rep.len() {
        assert!(pending.verify_ap_rep(&rep[..n]).is_err(), "prefix {n}");
    }
}

#[test]
fn authenticator_of_another_client_is_logon_denied() {
    let realm = Realm::start("badmatch");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let kt = realm.keytab();
    // alice's ticket and session key, an authenticator naming bob.
    let key = key_of(&cred);
    let bob = Principal::parse("bob@EXAMPLE.TEST");
    let st = ServiceTicket {
        ticket: &cred.ticket,
        session_key: &key,
        client: &bob,
    };
    let (token, _) = build_ap_req(&st, &req(REQ), now()).unwrap();
    let e = accept(&kt, &token).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::LogonDenied, KRB_AP_ERR_BADMATCH)
    );

    // A forwarded TGT that is not the client's is refused too.
    let mut tgt = realm.cred("krbtgt/EXAMPLE.TEST@EXAMPLE.TEST");
    tgt.client = bob.clone();
    let opts = ApReqOptions {
        isc_req: REQ | ISC_REQ_DELEGATE,
        channel_bindings: None,
        delegated_tgt: Some(&tgt),
    };
    let (token, _) = our_ap_req(&cred, &opts, now());
    let e = accept(&kt, &token).unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::LogonDenied, KRB_AP_ERR_BADMATCH)
    );
}

#[test]
fn ap_rep_for_another_authenticator_fails_mutual_authentication() {
    let realm = Realm::start("mutfail");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let kt = realm.keytab();
    let (t, u) = now();
    let (token, pending) = our_ap_req(&cred, &req(REQ), (t, u));
    let rep = accept(&kt, &token).unwrap().ap_rep.unwrap();
    pending.verify_ap_rep(&rep).unwrap();
    // Right key, but an old authenticator's time: KRB_AP_ERR_MUT_FAIL.
    let stale = build_ap_rep(&pending.session_key, t - 1, u, None, None).unwrap();
    assert_eq!(
        pending.verify_ap_rep(&stale).err(),
        Some(SecStatus::LogonDenied)
    );
}

/// An AP-REQ whose authenticator carries `flags` in its 0x8003 checksum
/// (our initiator refuses to send DCE style, so this one is built by hand).
fn ap_req_with_gss_flags(ticket: &[u8], session: &Key, client: &Principal, flags: u32) -> Vec<u8> {
    let (t, u) = now();
    let cksum = GssChecksum {
        bnd: [0; 16],
        flags,
        deleg: None,
        exts: vec![],
    };
    let auth = Authenticator::from(AuthenticatorInner {
        authenticator_vno: ExplicitContextTag0::from(int_asn1(5)),
        crealm: ExplicitContextTag1::from(kerberos_string(&client.realm).unwrap()),
        cname: ExplicitContextTag2::from(principal_name(client).unwrap()),
        cksum: Optional::from(Some(ExplicitContextTag3::from(Checksum {
            cksumtype: ExplicitContextTag0::from(int_asn1(0x8003)),
            checksum: ExplicitContextTag1::from(OctetStringAsn1::from(cksum.encode().unwrap())),
        }))),
        cusec: ExplicitContextTag4::from(int_asn1(u as i64)),
        ctime: ExplicitContextTag5::from(kerberos_time(t).unwrap()),
        subkey: Optional::from(None),
        seq_number: Optional::from(None),
        authorization_data: Optional::from(None),
    });
    let cipher = crypto::encrypt(
        session,
        usage::AP_REQ_AUTH,
        &picky_asn1_der::to_vec(&auth).unwrap(),
    )
    .unwrap();
    let ap_req = picky_krb::messages::ApReq::from(picky_krb::messages::ApReqInner {
        pvno: ExplicitContextTag0::from(int_asn1(5)),
        msg_type: ExplicitContextTag1::from(int_asn1(14)),
        ap_options: ExplicitContextTag2::from(flags_bits(0)),
        ticket: ExplicitContextTag3::from(picky_asn1_der::from_bytes::<Ticket>(ticket).unwrap()),
        authenticator: ExplicitContextTag4::from(EncryptedData {
            etype: ExplicitContextTag0::from(int_asn1(session.etype().as_i32() as i64)),
            kvno: Optional::from(None),
            cipher: ExplicitContextTag2::from(OctetStringAsn1::from(cipher)),
        }),
    });
    gss_frame(TOK_AP_REQ, &picky_asn1_der::to_vec(&ap_req).unwrap())
}

#[test]
fn dce_style_from_a_client_is_refused_cleanly() {
    let realm = Realm::start("dce");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let kt = realm.keytab();
    let key = key_of(&cred);
    let token = ap_req_with_gss_flags(
        &cred.ticket,
        &key,
        &cred.client,
        GSS_C_DCE_STYLE | GSS_C_MUTUAL_FLAG,
    );
    let e = accept(&kt, &token).unwrap_err();
    assert_eq!(e.status, SecStatus::UnsupportedFunction);
    // The hand-built token is otherwise sound: without the DCE flag it passes.
    let token = ap_req_with_gss_flags(&cred.ticket, &key, &cred.client, GSS_C_MUTUAL_FLAG);
    let a = accept(&kt, &token).unwrap();
    assert!(a.ap_rep.is_some() && a.initiator_subkey.is_none());
}

/// Our AP-REQ handed to MIT's acceptor: (exit ok, stderr, stdout line).
fn to_mit(realm: &Realm, token: &[u8]) -> (bool, String, String) {
    let mut acc = realm.peer("gss_accept.py", &["--mech", "krb5"]);
    writeln!(acc.stdin.as_mut().unwrap(), "{}", b64(token)).unwrap();
    let out = acc.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn our_delegation_and_one_leg_ap_req_are_accepted_by_mit() {
    let realm = Realm::start("mitdeleg");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let tgt = realm.cred("krbtgt/EXAMPLE.TEST@EXAMPLE.TEST");
    let opts = ApReqOptions {
        isc_req: REQ | ISC_REQ_DELEGATE,
        channel_bindings: None,
        delegated_tgt: Some(&tgt),
    };
    let (token, _) = our_ap_req(&cred, &opts, now());
    let (ok, err, _) = to_mit(&realm, &token);
    assert!(ok, "{err}");
    assert!(
        err.contains("\"delegated\": \"alice@EXAMPLE.TEST\""),
        "{err}"
    );
    // Without mutual authentication: one leg, no AP-REP.
    let (token, _) = our_ap_req(&cred, &req(REQ & !ISC_REQ_MUTUAL_AUTH), now());
    let (ok, err, out) = to_mit(&realm, &token);
    assert!(ok, "{err}");
    assert!(err.contains("AUTHENTICATED alice@EXAMPLE.TEST"), "{err}");
    assert!(out.trim().is_empty(), "no AP-REP expected: {out}");
    // MIT refuses a tampered authenticator.
    let (mut token, _) = our_ap_req(&cred, &req(REQ), now());
    *token.last_mut().unwrap() ^= 1;
    let (ok, _, _) = to_mit(&realm, &token);
    assert!(!ok);
}

/// An AP-REQ (mutual, confidentiality...) for `ticket` built at `at`.
fn ap_req_at(ticket: &[u8], session: &Key, client: &Principal, at: (i64, u32)) -> Vec<u8> {
    let st = ServiceTicket {
        ticket,
        session_key: session,
        client,
    };
    build_ap_req(&st, &req(REQ), at).unwrap().0
}

/// The acceptor's options with a cache of verified tickets.
fn cached<'a>(kt: &'a Keytab, tickets: &'a VerifiedTickets) -> AcceptorOptions<'a> {
    AcceptorOptions {
        tickets: Some(tickets),
        ..options(kt)
    }
}

#[test]
fn same_ticket_is_decrypted_once_and_gives_the_same_client() {
    let realm = Realm::start("tcache-hit");
    let kt = realm.keytab();
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let tickets = VerifiedTickets::default();
    let (o, replay) = (cached(&kt, &tickets), ReplayCache::new(100));
    let first = accept_ap_req(&o, &replay, &our_ap_req(&cred, &req(REQ), now()).0, now()).unwrap();
    assert_eq!((tickets.hits(), tickets.len()), (0, 1));
    let second = accept_ap_req(&o, &replay, &our_ap_req(&cred, &req(REQ), now()).0, now()).unwrap();
    assert_eq!((tickets.hits(), tickets.len()), (1, 1));
    assert_eq!(second.client.to_string(), "alice@EXAMPLE.TEST");
    assert_eq!(second.client, first.client);
    assert_eq!(second.server, first.server);
    assert_eq!(
        (
            second.authtime,
            second.starttime,
            second.endtime,
            second.ticket_flags
        ),
        (
            first.authtime,
            first.starttime,
            first.endtime,
            first.ticket_flags
        )
    );
    assert_eq!(second.session_key.as_bytes(), key_of(&cred).as_bytes());
    // The authenticator is still checked per AP-REQ: a replay is refused.
    let token = our_ap_req(&cred, &req(REQ), now()).0;
    accept_ap_req(&o, &replay, &token, now()).unwrap();
    let e = accept_ap_req(&o, &replay, &token, now()).unwrap_err();
    assert_eq!(e.code, KRB_AP_ERR_REPEAT);
}

#[test]
fn another_ticket_never_gets_the_cached_result() {
    let realm = Realm::start("tcache-other");
    let kt = realm.keytab();
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let tickets = VerifiedTickets::default();
    let (o, replay) = (cached(&kt, &tickets), ReplayCache::new(100));
    accept_ap_req(&o, &replay, &our_ap_req(&cred, &req(REQ), now()).0, now()).unwrap();
    let (t, _) = now();
    // A ticket for `client` with a fresh session key, minted and accepted.
    let accept_minted = |client: &Principal, start: i64, end: i64| {
        let session = crypto::random_key(EncryptionType::Aes256CtsHmacSha196).unwrap();
        let ticket = mint_ticket(&kt, client, &session, start, end);
        let a = accept_ap_req(
            &o,
            &replay,
            &ap_req_at(&ticket, &session, client, now()),
            now(),
        )
        .unwrap();
        (a, session, ticket)
    };
    // Another client's ticket (same service, kvno and etype).
    let bob = Principal::parse("bob@EXAMPLE.TEST");
    let (a, session, _) = accept_minted(&bob, t - 60, t + 3600);
    assert_eq!(a.client.to_string(), "bob@EXAMPLE.TEST");
    assert_eq!(a.session_key.as_bytes(), session.as_bytes());
    // A ticket re-issued to alice: its own session key and times.
    let alice = Principal::parse("alice@EXAMPLE.TEST");
    let (a, session, ticket) = accept_minted(&alice, t - 30, t + 1800);
    assert_eq!(a.client.to_string(), "alice@EXAMPLE.TEST");
    assert_eq!(a.session_key.as_bytes(), session.as_bytes());
    assert_eq!((a.authtime, a.endtime), (t - 30, t + 1800));
    assert_eq!((tickets.hits(), tickets.len()), (0, 3));
    // A tampered copy of a cached ticket is decrypted, refused, not cached.
    let mut bad = ticket.clone();
    let n = bad.len();
    bad[n - 20] ^= 1;
    let e = accept_ap_req(
        &o,
        &replay,
        &ap_req_at(&bad, &session, &alice, now()),
        now(),
    )
    .unwrap_err();
    assert_eq!(e.code, KRB_AP_ERR_BAD_INTEGRITY);
    assert_eq!((tickets.hits(), tickets.len()), (0, 3));
}

#[test]
fn cached_ticket_that_has_expired_is_refused() {
    let realm = Realm::start("tcache-expired");
    let kt = realm.keytab();
    let tickets = VerifiedTickets::default();
    let (o, replay) = (cached(&kt, &tickets), ReplayCache::new(100));
    let alice = Principal::parse("alice@EXAMPLE.TEST");
    let session = crypto::random_key(EncryptionType::Aes256CtsHmacSha196).unwrap();
    let (t, _) = now();
    let ticket = mint_ticket(&kt, &alice, &session, t - 60, t + 100);
    accept_ap_req(
        &o,
        &replay,
        &ap_req_at(&ticket, &session, &alice, now()),
        now(),
    )
    .unwrap();
    // Past its end plus the clock skew, client and server clocks agreeing.
    let later = (t + 100 + 300 + 1, 0);
    let e = accept_ap_req(
        &o,
        &replay,
        &ap_req_at(&ticket, &session, &alice, later),
        later,
    )
    .unwrap_err();
    assert_eq!(
        (e.status, e.code),
        (SecStatus::ContextExpired, KRB_AP_ERR_TKT_EXPIRED)
    );
    assert_eq!(tickets.hits(), 1, "the expired ticket came from the cache");
}

/// Each inbound credential has its own cache, empty when acquired (after a
/// keytab reload too); AcceptSecurityContext fills it.
#[test]
fn a_new_credential_or_keytab_starts_with_no_verified_tickets() {
    use opensspi::packages::kerberos::credential::KerberosCredential;
    use opensspi::packages::kerberos::keytab::recheck_keytab;
    use opensspi::sspi::{AcquireCredentials, Credential as _, CredentialUse, HandshakeInput};
    let realm = Realm::start("tcache-cred");
    let cred = realm.cred("host/localhost@EXAMPLE.TEST");
    let inbound = || {
        recheck_keytab();
        KerberosCredential::acquire(&AcquireCredentials {
            principal: None,
            usage: CredentialUse::Inbound,
            logon_id: None,
            identity: None,
        })
        .unwrap()
    };
    let accept = |c: &KerberosCredential| {
        let token = our_ap_req(&cred, &req(REQ), now()).0;
        let mut ctx = c.new_acceptor(0).unwrap();
        ctx.accept(&HandshakeInput {
            token: Some(&token),
            ..Default::default()
        })
        .unwrap();
    };
    // The only test of this binary that reads the keytab in force.
    let copy = realm.dir.join("reloaded.keytab");
    std::fs::copy(realm.dir.join("service.keytab"), &copy).unwrap();
    std::env::set_var(
        "KRB5_KTNAME",
        format!("FILE:{}", realm.dir.join("service.keytab").display()),
    );
    let a = inbound();
    let cache = a.verified_tickets().unwrap();
    assert!(cache.is_empty());
    accept(&a);
    accept(&a);
    assert_eq!((cache.hits(), cache.len()), (1, 1));
    let b = inbound();
    assert!(b.verified_tickets().unwrap().is_empty());
    accept(&b);
    assert_eq!(b.verified_tickets().unwrap().hits(), 0);
    std::env::set_var("KRB5_KTNAME", format!("FILE:{}", copy.display()));
    let c = inbound();
    std::env::remove_var("KRB5_KTNAME");
    assert!(c.verified_tickets().unwrap().is_empty());
    accept(&c);
    assert_eq!(c.verified_tickets().unwrap().hits(), 0);
    assert_eq!((cache.hits(), cache.len()), (1, 1));
}
