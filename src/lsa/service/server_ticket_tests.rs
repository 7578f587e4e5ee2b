//! The service's Kerberos ticket operation ([`Request::KerberosTicket`]):
//! the TGS exchange runs in the service with the session's TGT (a fake
//! provider stands for the KDC here; tests/kerberos_lsa_logon.rs runs it
//! against MIT's).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::*;
use crate::lsa::packages::kerberos::{
    CachedTicket, KerberosCredential, KerberosKey, TicketRequest, TicketTarget,
};
use crate::lsa::packages::{KerberosProvider, LogonError, ValidatedLogon, KERBEROS_ID};
use crate::lsa::service::wire::parse_reply;
use crate::lsa::session::{LogonSession, SecurityLogonType};
use crate::lsa::status::NtStatus;
use crate::lsa::store::MAX_SERVICE_TICKETS;
use crate::lsa::submit::InteractiveLogon;
use crate::sspi::time::filetime_now;
use crate::sspi::SecStatus;

const TGT_BYTES: [u8; 40] = [7; 40];

/// The KDC: counts its exchanges, checks it is given the session's TGT,
/// answers `tgs` (a ticket for the name asked, or a status).
struct Kdc {
    tgs: Result<(), SecStatus>,
    exchanges: AtomicUsize,
    renewals: AtomicUsize,
}

fn ticket(name: &str, end_time: i64, encoded: &[u8]) -> CachedTicket {
    CachedTicket {
        server_name: name.into(),
        realm_name: "R".into(),
        start_time: 0,
        end_time,
        renew_time: 0,
        encryption_type: 18,
        ticket_flags: 0,
        encoded: Zeroizing::new(encoded.to_vec()),
    }
}

fn later() -> i64 {
    filetime_now() + 36_000_000_000
}

impl KerberosProvider for Kdc {
    fn logon(
        &self,
        _: SecurityLogonType,
        _: &InteractiveLogon,
    ) -> Result<(ValidatedLogon, KerberosCredential), LogonError> {
        Err(NtStatus::NO_LOGON_SERVERS.into())
    }
    fn accept_credentials(
        &self,
        _: &ValidatedLogon,
        _: &InteractiveLogon,
    ) -> Option<KerberosCredential> {
        None
    }
    fn initial_tgt(
        &self,
        k: &KerberosCredential,
        _: std::time::Instant,
    ) -> Result<CachedTicket, NtStatus> {
        assert!(!k.keys.is_empty());
        self.renewals.fetch_add(1, Ordering::SeqCst);
        Ok(ticket("krbtgt/R", later(), &TGT_BYTES))
    }
    fn tgs(
        &self,
        tgt: &CachedTicket,
        request: &TicketRequest,
        _: std::time::Instant,
    ) -> Result<CachedTicket, SecStatus> {
        assert_eq!(&tgt.encoded[..], &TGT_BYTES, "not the session's TGT");
        self.exchanges.fetch_add(1, Ordering::SeqCst);
        self.tgs?;
        Ok(match request {
            TicketRequest::Service(t) => ticket(&t.cache_name(), later(), &[1; 8]),
            TicketRequest::Forwarded => ticket("krbtgt/R", later(), &[2; 8]),
        })
    }
}

fn service(tgs: Result<(), SecStatus>) -> (Service, Arc<Kdc>) {
    let kdc = Arc::new(Kdc {
        tgs,
        exchanges: AtomicUsize::new(0),
        renewals: AtomicUsize::new(0),
    });
    let svc = Service {
        kerberos: Some(kdc.clone()),
        ..Service::default()
    };
    (svc, kdc)
}

/// A session of uid 1000 with keys (or none) and a TGT ending at `end`.
fn session(svc: &Service, keys: bool, end: i64) -> LogonSession {
    let mut s = crate::lsa::store::codec::tests::sample(1000);
    s.credentials.insert(
        KERBEROS_ID,
        KerberosCredential {
            renewable_with_keys: false,
            principal: "alice@R".into(),
            realm: "R".into(),
            keys: keys
                .then(|| KerberosKey {
                    etype: 18,
                    kvno: 1,
                    key: Zeroizing::new(vec![5; 32]),
                })
                .into_iter()
                .collect(),
            tgt: Some(ticket("krbtgt/R", end, &TGT_BYTES)),
            service_tickets: Vec::new(),
        },
    );
    svc.store.put(&s).unwrap();
    s
}

fn target(name: &str) -> TicketRequest {
    TicketRequest::Service(TicketTarget {
        name_type: 3,
        components: name.split('/').map(str::to_string).collect(),
        realm: "R".into(),
        explicit_realm: false,
    })
}

/// The answer as a client reads it: the ticket, or the SSPI status.
fn ask(svc: &Service, uid: u32, l: Luid, req: TicketRequest) -> Result<CachedTicket, SecStatus> {
    let b = svc.handle(uid, Request::KerberosTicket(l, req));
    let (st, mut r) = parse_reply(&b).unwrap();
    assert_eq!(st, Reply::Ok);
    let got = match r.u32().unwrap() {
        0 => Ok(codec::decode_ticket(r.bytes().unwrap()).unwrap()),
        s => Err(SecStatus::from_code(s as i32).expect("an SSPI status")),
    };
    assert!(r.end().is_some());
    got
}

fn cached(svc: &Service, l: Luid) -> Vec<String> {
    let s = svc.store.get(l).unwrap().unwrap();
    let k = KerberosCredential::of(&s).unwrap();
    k.service_tickets
        .iter()
        .map(|t| t.server_name.clone())
        .collect()
}

/// The owner gets a service ticket by one TGS exchange run in the
/// service, cached in the session (the next ask is answered from it);
/// another uid's LUID is refused as a missing session, with no exchange.
#[test]
fn the_service_runs_the_tgs_for_the_owner_only_and_caches_the_ticket() {
    let (svc, kdc) = service(Ok(()));
    let l = session(&svc, true, later()).logon_id;
    assert_eq!(
        ask(&svc, 1001, l, target("HTTP/web")).err(),
        Some(SecStatus::NoCredentials)
    );
    let missing = Luid::from_u64(0x7777_0000_0001);
    assert_eq!(
        ask(&svc, 1000, missing, target("HTTP/web")).err(),
        Some(SecStatus::NoCredentials)
    );
    assert_eq!(
        kdc.exchanges.load(Ordering::SeqCst),
        0,
        "a TGS for another uid"
    );
    let t = ask(&svc, 1000, l, target("HTTP/web")).unwrap();
    assert_eq!(t.server_name, "HTTP/web");
    assert_eq!(&t.encoded[..], &[1; 8]);
    assert_eq!(cached(&svc, l), ["HTTP/web"]);
    assert!(ask(&svc, 0, l, target("HTTP/web")).is_ok(), "root");
    assert_eq!(kdc.exchanges.load(Ordering::SeqCst), 1, "a second TGS");
    // A forwarded TGT: asked each time, never cached.
    let f = ask(&svc, 1000, l, TicketRequest::Forwarded).unwrap();
    assert_eq!(&f.encoded[..], &[2; 8]);
    assert_eq!(cached(&svc, l), ["HTTP/web"]);
    assert_eq!(kdc.exchanges.load(Ordering::SeqCst), 2);
}

/// The KDC's failure is the client's status (it survives the wire) and
/// caches nothing.
#[test]
fn the_kdc_status_reaches_the_client() {
    for status in [
        SecStatus::TargetUnknown,
        SecStatus::NoAuthenticatingAuthority,
        SecStatus::TimeSkew,
    ] {
        let (svc, _) = service(Err(status));
        let l = session(&svc, true, later()).logon_id;
        assert_eq!(ask(&svc, 1000, l, target("HTTP/web")).err(), Some(status));
        assert!(cached(&svc, l).is_empty());
    }
}

/// An expired TGT is renewed by the service with the keys before the
/// TGS (the renewed TGT is the session's); without keys:
/// SEC_E_NO_CREDENTIALS and no exchange.
#[test]
fn an_expired_tgt_is_renewed_with_the_keys_only() {
    let (svc, kdc) = service(Ok(()));
    let l = session(&svc, true, 1).logon_id;
    assert!(ask(&svc, 1000, l, target("HTTP/web")).is_ok());
    assert_eq!(kdc.renewals.load(Ordering::SeqCst), 1);
    let s = svc.store.get(l).unwrap().unwrap();
    let tgt = KerberosCredential::of(&s).unwrap().tgt.clone().unwrap();
    assert!(tgt.end_time > filetime_now(), "the renewed TGT is not kept");

    let (svc, kdc) = service(Ok(()));
    let l = session(&svc, false, 1).logon_id;
    assert_eq!(
        ask(&svc, 1000, l, target("HTTP/web")).err(),
        Some(SecStatus::NoCredentials)
    );
    assert_eq!(kdc.renewals.load(Ordering::SeqCst), 0);
    assert_eq!(kdc.exchanges.load(Ordering::SeqCst), 0);
}

/// Past 256 cached tickets a new one is returned uncached.
#[test]
fn a_full_cache_returns_the_ticket_uncached() {
    let (svc, _) = service(Ok(()));
    let mut s = session(&svc, true, later());
    let k = KerberosCredential::of_mut(&mut s).unwrap();
    k.service_tickets = (0..MAX_SERVICE_TICKETS)
        .map(|i| ticket(&format!("HTTP/h{i}"), later(), &[3]))
        .collect();
    svc.store.put(&s).unwrap();
    let t = ask(&svc, 1000, s.logon_id, target("HTTP/new")).unwrap();
    assert_eq!(t.server_name, "HTTP/new");
    let names = cached(&svc, s.logon_id);
    assert_eq!(names.len(), MAX_SERVICE_TICKETS);
    assert!(!names.contains(&"HTTP/new".to_string()));
}

/// A client's Put (its copy, listing the old TGT) racing with the service
/// storing a renewed TGT never brings the old one back: the Put takes the
/// service's TGT in the same step as it writes. Thread A puts the client
/// copy again and again; thread B stores TGT `i`, waits for two Puts that
/// both began after it, and finds TGT `i`.
#[test]
fn a_client_put_never_restores_a_tgt_the_service_replaced() {
    use std::sync::atomic::AtomicBool;
    let svc = Service::default();
    let mut s = crate::lsa::store::codec::tests::sample(1000);
    let l = s.logon_id;
    s.credentials.insert(
        KERBEROS_ID,
        KerberosCredential {
            renewable_with_keys: false,
            principal: "alice@R".into(),
            realm: "R".into(),
            keys: vec![KerberosKey {
                etype: 18,
                kvno: 1,
                key: Zeroizing::new(vec![1; 32]),
            }],
            tgt: Some(ticket("krbtgt/R", 0, &TGT_BYTES)),
            service_tickets: Vec::new(),
        },
    );
    svc.store.put(&s).unwrap();
    let mut copy = s.clone();
    copy.credentials = copy.credentials.client_copy();
    let copy = codec::encode(&copy);
    let puts = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let tgt_end = || {
        let s = svc.store.get(l).unwrap().unwrap();
        KerberosCredential::of(&s)
            .unwrap()
            .tgt
            .as_ref()
            .unwrap()
            .end_time
    };
    std::thread::scope(|t| {
        t.spawn(|| {
            while !stop.load(Ordering::SeqCst) {
                let r = svc.handle(1000, Request::Put(copy.clone()));
                assert_eq!(parse_reply(&r).unwrap().0, Reply::Ok);
                puts.fetch_add(1, Ordering::SeqCst);
            }
        });
        for i in 1..=2000 {
            assert!(svc
                .store
                .set_kerberos_tgt(l, 1000, &ticket("krbtgt/R", i, &TGT_BYTES))
                .unwrap());
            let seen = puts.load(Ordering::SeqCst);
            while puts.load(Ordering::SeqCst) < seen + 2 {
                std::thread::yield_now();
            }
            let end = tgt_end();
            if end != i {
                stop.store(true, Ordering::SeqCst);
                panic!("renewed TGT {i} lost to a client's Put (found {end})");
            }
        }
        stop.store(true, Ordering::SeqCst);
    });
}

/// `KerbPurgeTicketCacheMessage` through the service (op KerberosPurge)
/// drops the TGT too, for the owner only: a purge naming a service keeps
/// the TGT, another uid's purge changes nothing, a purge of everything
/// (or of `krbtgt/R`) leaves the session without a TGT, and the next
/// ticket asked for gets a new TGT with the keys first.
#[test]
fn a_purge_drops_the_tgt_in_the_service() {
    let (svc, kdc) = service(Ok(()));
    let l = session(&svc, true, later()).logon_id;
    ask(&svc, 1000, l, target("HTTP/web")).unwrap();
    ask(&svc, 1000, l, target("cifs/fs")).unwrap();
    let purge = |uid, server: &str, realm: &str| {
        let b = svc.handle(uid, Request::KerberosPurge(l, server.into(), realm.into()));
        let (st, mut r) = parse_reply(&b).unwrap();
        assert_eq!(st, Reply::Ok);
        r.flag().unwrap()
    };
    let tgt = || {
        let s = svc.store.get(l).unwrap().unwrap();
        KerberosCredential::of(&s).unwrap().tgt.is_some()
    };
    assert!(!purge(1001, "", ""), "another uid's purge");
    assert_eq!(cached(&svc, l), ["HTTP/web", "cifs/fs"]);
    assert!(tgt());
    assert!(purge(1000, "http/WEB", "r"));
    assert_eq!(cached(&svc, l), ["cifs/fs"]);
    assert!(tgt(), "a service's purge dropped the TGT");
    assert!(purge(1000, "krbtgt/R", ""));
    assert!(!tgt(), "krbtgt/R purged, the TGT kept");
    assert_eq!(cached(&svc, l), ["cifs/fs"]);
    assert!(purge(1000, "", ""));
    assert!(cached(&svc, l).is_empty());
    // The next use: a new TGT with the keys, then the TGS.
    assert_eq!(kdc.renewals.load(Ordering::SeqCst), 0);
    ask(&svc, 1000, l, target("HTTP/web")).unwrap();
    assert_eq!(kdc.renewals.load(Ordering::SeqCst), 1);
    assert!(tgt());
}
