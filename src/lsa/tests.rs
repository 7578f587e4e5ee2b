//! Tests of the LSA core: logon, session selection, impersonation,
//! logoff, connections and package calls, on private LSA instances (the
//! process-wide [`lsa()`] is left alone so other modules' tests see no
//! logon session).

use std::sync::Arc;

use super::accounts::{nt_owf_v1, AccountDatabase};
use super::packages::*;
use super::session::*;
use super::store::memory::MemoryStore;
use super::store::SessionStore;
use super::*;

const MSV: u32 = 2;
const NEGO: u32 = 0;
const KERB: u32 = 1;
const INTERACTIVE: u32 = 2;

fn db() -> Arc<AccountDatabase> {
    Arc::new(AccountDatabase::parse(
        "EXAMPLE:alice:alice-Passw0rd\nEXAMPLE:bob:bob-pw\n:local:local-pw\n",
    ))
}

fn new_lsa() -> Lsa {
    Lsa::new(Arc::new(MemoryStore::new())).with_accounts(db())
}

fn alice() -> InteractiveLogon {
    InteractiveLogon::new("EXAMPLE", "alice", "alice-Passw0rd")
}

#[test]
fn interactive_logon_caches_nt_owf() {
    let lsa = new_lsa();
    let r = lsa.logon_user(MSV, INTERACTIVE, &alice()).unwrap();
    assert_eq!(r.sub_status, NtStatus::SUCCESS);
    assert_eq!((r.user.as_str(), r.domain.as_str()), ("alice", "EXAMPLE"));
    assert_eq!(r.sid, Sid::for_account("EXAMPLE", "alice"));
    let c = lsa.primary_credential(None).unwrap();
    assert_eq!(c.logon_id, r.logon_id);
    assert_eq!(**c.nt_owf.as_ref().unwrap(), *nt_owf_v1("alice-Passw0rd"));
    assert_eq!(c.user, "alice");
    assert_eq!(
        lsa.primary_credential(Some(r.logon_id)).unwrap().user,
        "alice"
    );
    let d = lsa.session_data(r.logon_id).unwrap();
    assert_eq!(d.authentication_package, "NTLM");
    assert_eq!(d.logon_type, 2);
    assert_eq!(d.sid, r.sid);
    // Same SID on the next logon.
    let r2 = lsa.logon_user(MSV, INTERACTIVE, &alice()).unwrap();
    assert_ne!(r2.logon_id, r.logon_id);
    assert_eq!(r2.sid, r.sid);
    assert_eq!(lsa.enumerate_sessions().unwrap().len(), 2);
    // The password is nowhere in the session's Debug form.
    let s = lsa.store().get(r.logon_id).unwrap().unwrap();
    assert!(!format!("{s:?}").contains("Passw0rd"));
}

#[test]
fn wrong_password_caches_nothing() {
    let lsa = new_lsa();
    let bad = InteractiveLogon::new("EXAMPLE", "alice", "nope");
    let e = lsa.logon_user(MSV, INTERACTIVE, &bad).unwrap_err();
    assert_eq!(e.status, NtStatus::LOGON_FAILURE);
    assert_eq!(e.sub_status, NtStatus::WRONG_PASSWORD);
    let e = lsa
        .logon_user(
            MSV,
            INTERACTIVE,
            &InteractiveLogon::new("EXAMPLE", "mallory", "x"),
        )
        .unwrap_err();
    assert_eq!(e.status, NtStatus::LOGON_FAILURE);
    assert_eq!(e.sub_status, NtStatus::NO_SUCH_USER);
    let e = lsa
        .logon_user(
            MSV,
            INTERACTIVE,
            &InteractiveLogon::new("OTHER", "alice", "alice-Passw0rd"),
        )
        .unwrap_err();
    assert_eq!(e.status, NtStatus::LOGON_FAILURE);
    assert!(lsa.store().list().unwrap().is_empty());
    assert_eq!(lsa.store().current_for_user(lsa.uid()).unwrap(), None);
    assert_eq!(
        lsa.primary_credential(None).unwrap_err(),
        SecStatus::NoCredentials
    );
}

#[test]
fn bad_requests() {
    let lsa = new_lsa();
    let e = |r: Result<LogonResult, LogonError>| r.unwrap_err().status;
    assert_eq!(
        e(lsa.logon_user(7, INTERACTIVE, &alice())),
        NtStatus::NO_SUCH_PACKAGE
    );
    assert_eq!(
        e(lsa.logon_user(MSV, 1, &alice())),
        NtStatus::INVALID_LOGON_TYPE
    );
    assert_eq!(
        e(lsa.logon_user(MSV, 0, &alice())),
        NtStatus::INVALID_LOGON_TYPE
    );
    assert_eq!(
        e(lsa.logon_user(MSV, 6, &alice())),
        NtStatus::INVALID_LOGON_TYPE
    );
    assert_eq!(
        e(lsa.logon_user(MSV, 99, &alice())),
        NtStatus::INVALID_LOGON_TYPE
    );
    assert_eq!(
        e(lsa.logon_user_raw(MSV, INTERACTIVE, &[0; 10], 0)),
        NtStatus::INVALID_PARAMETER
    );
    let mut buf = alice().to_submit_buffer(0x5000_0000).to_vec();
    buf[0] = 4;
    assert_eq!(
        e(lsa.logon_user_raw(MSV, INTERACTIVE, &buf, 0x5000_0000)),
        NtStatus::BAD_VALIDATION_CLASS
    );
    buf[0] = 2;
    let r = lsa
        .logon_user_raw(MSV, INTERACTIVE, &buf, 0x5000_0000)
        .unwrap();
    assert_eq!(r.user, "alice");
    assert_eq!(
        e(lsa.logon_user_raw(0xdead, INTERACTIVE, &buf, 0x5000_0000)),
        NtStatus::NO_SUCH_PACKAGE
    );
    assert_eq!(
        e(lsa.logon_user_w("alice", Some("EXAMPLE"), "alice-Passw0rd", 2, 77)),
        NtStatus::INVALID_PARAMETER
    );
}

#[test]
fn name_forms_and_local_accounts() {
    let lsa = new_lsa();
    let r = lsa
        .logon_user_w(
            "EXAMPLE\\alice",
            None,
            "alice-Passw0rd",
            2,
            logon::LOGON32_PROVIDER_DEFAULT,
        )
        .unwrap();
    assert_eq!(r.domain, "EXAMPLE");
    let r = lsa
        .logon_user_w("ALICE@example", None, "alice-Passw0rd", 2, 0)
        .unwrap();
    assert_eq!((r.user.as_str(), r.domain.as_str()), ("alice", "EXAMPLE"));
    assert_eq!(lsa.session_data(r.logon_id).unwrap().upn, "ALICE@example");
    // An account without a domain: no domain or "." → the computer name.
    let r = lsa
        .logon_user_w("local", Some("."), "local-pw", 2, 0)
        .unwrap();
    assert_eq!(r.domain, logon::computer_name());
    let r = lsa
        .logon_user_w("alice", None, "alice-Passw0rd", 2, 0)
        .unwrap();
    assert_eq!(r.domain, "EXAMPLE");
    // Whatever domain the caller names, a local account is reported
    // under the computer name (see account_identity.rs).
    let r = lsa
        .logon_user_w("local", Some("CORP"), "local-pw", 2, 0)
        .unwrap();
    assert_eq!(r.domain, logon::computer_name());
}

#[test]
fn concurrent_logons_get_distinct_sessions() {
    let lsa = Arc::new(new_lsa());
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let lsa = lsa.clone();
            std::thread::spawn(move || {
                (0..15)
                    .map(|_| {
                        let who = if i % 2 == 0 {
                            alice()
                        } else {
                            InteractiveLogon::new("EXAMPLE", "bob", "bob-pw")
                        };
                        lsa.logon_user(MSV, INTERACTIVE, &who).unwrap().logon_id
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<Luid> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n);
    assert_eq!(lsa.store().list().unwrap(), all);
    for l in all {
        let s = lsa.store().get(l).unwrap().unwrap();
        assert_eq!(Msv1_0PrimaryCredential::of(&s).unwrap().logon_id, l);
    }
}

#[test]
fn impersonation_is_per_thread() {
    let lsa = Arc::new(new_lsa());
    let a = lsa.logon_user(MSV, INTERACTIVE, &alice()).unwrap().logon_id;
    let b = lsa
        .logon_user(
            MSV,
            INTERACTIVE,
            &InteractiveLogon::new("EXAMPLE", "bob", "bob-pw"),
        )
        .unwrap()
        .logon_id;
    // The first logon is the process default; the last one the store's current.
    assert_eq!(lsa.process_session(), Some(a));
    assert_eq!(lsa.store().current_for_user(lsa.uid()).unwrap(), Some(b));
    assert_eq!(lsa.primary_credential(None).unwrap().user, "alice");
    lsa.impersonate(b).unwrap();
    assert_eq!(lsa.primary_credential(None).unwrap().user, "bob");
    let other = {
        let lsa = lsa.clone();
        std::thread::spawn(move || lsa.primary_credential(None).unwrap().user)
            .join()
            .unwrap()
    };
    assert_eq!(other, "alice");
    revert_to_self();
    assert_eq!(lsa.primary_credential(None).unwrap().user, "alice");
    assert_eq!(
        lsa.impersonate(Luid {
            low_part: 1,
            high_part: 1
        }),
        Err(NtStatus::NO_SUCH_LOGON_SESSION)
    );
    assert_eq!(impersonated_session(), None);
}

#[test]
fn store_current_serves_other_processes() {
    // Two LSAs over one store stand for two processes of the same user.
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let first = Lsa::new(store.clone()).with_accounts(db());
    let second = Lsa::new(store.clone()).with_accounts(db());
    assert_eq!(
        second.primary_credential(None).unwrap_err(),
        SecStatus::NoCredentials
    );
    let l = first
        .logon_user(MSV, INTERACTIVE, &alice())
        .unwrap()
        .logon_id;
    assert_eq!(second.process_session(), None);
    let c = second.primary_credential(None).unwrap();
    assert_eq!(c.logon_id, l);
    // Logoff from the second "process" removes it for both.
    second.logoff(l).unwrap();
    assert_eq!(
        second.primary_credential(None).unwrap_err(),
        SecStatus::NoCredentials
    );
    assert_eq!(
        first.primary_credential(None).unwrap_err(),
        SecStatus::NoCredentials
    );
    assert_eq!(
        first.primary_credential(Some(l)).unwrap_err(),
        FOREIGN_SESSION_STATUS
    );
}

#[test]
fn logoff_removes_everything() {
    let lsa = new_lsa();
    let l = lsa.logon_user(MSV, INTERACTIVE, &alice()).unwrap().logon_id;
    lsa.impersonate(l).unwrap();
    lsa.logoff(l).unwrap();
    assert_eq!(impersonated_session(), None);
    assert_eq!(lsa.process_session(), None);
    assert_eq!(
        lsa.primary_credential(None).unwrap_err(),
        SecStatus::NoCredentials
    );
    assert_eq!(
        lsa.session_data(l).unwrap_err(),
        NtStatus::NO_SUCH_LOGON_SESSION
    );
    assert_eq!(lsa.logoff(l).unwrap_err(), NtStatus::NO_SUCH_LOGON_SESSION);
    assert!(lsa.enumerate_sessions().unwrap().is_empty());
}

#[test]
fn other_users_sessions_are_refused() {
    let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new());
    let lsa = Lsa::new(store.clone())
        .with_accounts(db())
        .with_caller_uid(1000);
    let mine = lsa.logon_user(MSV, INTERACTIVE, &alice()).unwrap().logon_id;
    let theirs = Lsa::new(store.clone())
        .with_accounts(db())
        .with_caller_uid(1001)
        .logon_user(MSV, INTERACTIVE, &alice())
        .unwrap()
        .logon_id;
    assert!(lsa.primary_credential(Some(mine)).is_ok());
    assert_eq!(
        lsa.primary_credential(Some(theirs)).unwrap_err(),
        SecStatus::LogonDenied
    );
    let missing = Luid {
        low_part: 5,
        high_part: 5,
    };
    assert_eq!(
        lsa.primary_credential(Some(missing)).unwrap_err(),
        SecStatus::LogonDenied
    );
    assert_eq!(
        lsa.session_data(theirs).unwrap_err(),
        NtStatus::ACCESS_DENIED
    );
    assert_eq!(lsa.logoff(theirs).unwrap_err(), NtStatus::ACCESS_DENIED);
    assert_eq!(
        lsa.impersonate(theirs).unwrap_err(),
        NtStatus::ACCESS_DENIED
    );
    assert_eq!(lsa.enumerate_sessions().unwrap(), vec![mine]);
    // uid 0 stands for SeTcbPrivilege: it sees every session.
    let root = Lsa::new(store).with_caller_uid(0);
    assert!(root.primary_credential(Some(theirs)).is_ok());
    assert_eq!(root.enumerate_sessions().unwrap().len(), 2);
}

#[test]
fn logon_types_decide_what_is_cached() {
    let lsa = new_lsa();
    // Network: validated, no credentials, not made current.
    let n = lsa.logon_user(MSV, 3, &alice()).unwrap().logon_id;
    assert!(Msv1_0PrimaryCredential::of(&lsa.store().get(n).unwrap().unwrap()).is_none());
    assert_eq!(
        lsa.primary_credential(None).unwrap_err(),
        SecStatus::NoCredentials
    );
    assert_eq!(
        lsa.primary_credential(Some(n)).unwrap_err(),
        SecStatus::NoCredentials
    );
    assert!(lsa
        .logon_user(MSV, 3, &InteractiveLogon::new("EXAMPLE", "alice", "x"))
        .is_err());
    // NewCredentials: not validated, credentials kept for outbound use.
    let nc = lsa
        .logon_user(
            NEGO,
            9,
            &InteractiveLogon::new("REMOTE", "svc", "remote-pw"),
        )
        .unwrap()
        .logon_id;
    let c = lsa.primary_credential(None).unwrap();
    assert_eq!((c.logon_id, c.domain.as_str()), (nc, "REMOTE"));
    assert_eq!(**c.nt_owf.as_ref().unwrap(), *nt_owf_v1("remote-pw"));
    for t in [4, 5, 7, 8, 10, 11, 12, 13] {
        assert!(lsa.logon_user(MSV, t, &alice()).is_ok(), "type {t}");
    }
}

#[test]
fn negotiate_and_kerberos_without_kdc() {
    let lsa = new_lsa();
    let r = lsa.logon_user(NEGO, INTERACTIVE, &alice()).unwrap();
    assert_eq!(
        lsa.session_data(r.logon_id).unwrap().authentication_package,
        "NTLM"
    );
    let e = lsa.logon_user(KERB, INTERACTIVE, &alice()).unwrap_err();
    assert_eq!(e.status, NtStatus::NO_LOGON_SERVERS);
}

struct FakeKdc;

impl KerberosProvider for FakeKdc {
    fn logon(
        &self,
        _t: SecurityLogonType,
        req: &InteractiveLogon,
    ) -> Result<(ValidatedLogon, KerberosCredential), LogonError> {
        if req.domain != "EXAMPLE.COM" {
            return Err(NtStatus::NO_LOGON_SERVERS.into());
        }
        if &req.password[..] != "alice-Passw0rd" {
            return Err(NtStatus::LOGON_FAILURE.into());
        }
        let tgt = CachedTicket {
            server_name: "krbtgt/EXAMPLE.COM".into(),
            realm_name: "EXAMPLE.COM".into(),
            start_time: 1,
            end_time: 2,
            renew_time: 3,
            encryption_type: 18,
            ticket_flags: 0x40e1_0000,
            encoded: zeroize::Zeroizing::new(vec![0x76, 1, 2]),
        };
        Ok((
            ValidatedLogon {
                user: req.user.clone(),
                domain: "EXAMPLE".into(),
                logon_server: "KDC1".into(),
                dns_domain_name: "EXAMPLE.COM".into(),
                upn: format!("{}@EXAMPLE.COM", req.user),
            },
            KerberosCredential {
                renewable_with_keys: false,
                principal: format!("{}@EXAMPLE.COM", req.user),
                realm: "EXAMPLE.COM".into(),
                keys: vec![],
                tgt: Some(tgt),
                service_tickets: vec![],
            },
        ))
    }

    fn accept_credentials(
        &self,
        v: &ValidatedLogon,
        _req: &InteractiveLogon,
    ) -> Option<KerberosCredential> {
        Some(KerberosCredential {
            principal: v.user.clone(),
            ..Default::default()
        })
    }
}

#[test]
fn kerberos_provider_plugs_in() {
    let lsa = new_lsa();
    lsa.set_kerberos_provider(Some(Arc::new(FakeKdc)));
    let r = lsa
        .logon_user(
            NEGO,
            INTERACTIVE,
            &InteractiveLogon::new("EXAMPLE.COM", "alice", "alice-Passw0rd"),
        )
        .unwrap();
    let d = lsa.session_data(r.logon_id).unwrap();
    assert_eq!(d.authentication_package, "Kerberos");
    assert_eq!(d.dns_domain_name, "EXAMPLE.COM");
    let (id, k) = lsa.kerberos_credential(None).unwrap();
    assert_eq!(id, r.logon_id);
    assert!(k.tgt.is_some());
    // Both packages got the credentials.
    assert!(lsa.primary_credential(None).is_ok());
    // A KDC's "wrong password" does not fall back to NTLM.
    let e = lsa
        .logon_user(
            NEGO,
            INTERACTIVE,
            &InteractiveLogon::new("EXAMPLE.COM", "alice", "bad"),
        )
        .unwrap_err();
    assert_eq!(e.status, NtStatus::LOGON_FAILURE);
    // No KDC for the domain: Negotiate falls back to MSV1_0, and Kerberos
    // still takes what it needs (SpAcceptCredentials).
    let r = lsa.logon_user(NEGO, INTERACTIVE, &alice()).unwrap();
    assert_eq!(
        lsa.session_data(r.logon_id).unwrap().authentication_package,
        "NTLM"
    );
    assert_eq!(
        lsa.kerberos_credential(Some(r.logon_id))
            .unwrap()
            .1
            .principal,
        "alice"
    );
}

#[test]
fn connections() {
    let lsa = new_lsa().with_caller_uid(1000);
    let h = lsa.connect_untrusted().unwrap();
    assert_ne!(h, 0);
    assert!(!lsa.connection(h).unwrap().trusted);
    assert_eq!(
        lsa.register_logon_process(b"x").unwrap_err(),
        NtStatus::PORT_CONNECTION_REFUSED
    );
    assert_eq!(
        lsa.register_logon_process(&[b'a'; 128]).unwrap_err(),
        NtStatus::NAME_TOO_LONG
    );
    lsa.deregister_logon_process(h).unwrap();
    assert_eq!(
        lsa.deregister_logon_process(h).unwrap_err(),
        NtStatus::INVALID_HANDLE
    );
    assert_eq!(lsa.connection(h).unwrap_err(), NtStatus::INVALID_HANDLE);
    let root = new_lsa().with_caller_uid(0);
    let (h, _mode) = root.register_logon_process(b"User32LogonProcess").unwrap();
    assert!(root.connection(h).unwrap().trusted);
}

fn req12(msg: u32, l: Luid) -> Vec<u8> {
    let mut v = msg.to_le_bytes().to_vec();
    v.extend_from_slice(&l.low_part.to_le_bytes());
    v.extend_from_slice(&l.high_part.to_le_bytes());
    v
}

fn pwstr_at(bytes: &[u8], ptr_at: usize, base: usize) -> String {
    let p = u64::from_le_bytes(bytes[ptr_at..ptr_at + 8].try_into().unwrap()) as usize - base;
    let units: Vec<u16> = bytes[p..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16(&units).unwrap()
}

#[test]
fn call_package_contract() {
    let lsa = new_lsa();
    let h = lsa.connect_untrusted().unwrap();
    let zero = Luid::default();
    // Items 121-123.
    assert_eq!(
        lsa.call_authentication_package(h, NEGO, &[], 0)
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(
        lsa.call_authentication_package(h, 0xdeadbeef, &req12(1, zero), 0)
            .unwrap_err(),
        NtStatus::NO_SUCH_PACKAGE
    );
    assert_eq!(
        lsa.call_authentication_package(h + 1, NEGO, &req12(1, zero), 0)
            .unwrap_err(),
        NtStatus::INVALID_HANDLE
    );
    // Item 120 without a session.
    let r = lsa
        .call_authentication_package(h, NEGO, &req12(1, zero), 0)
        .unwrap();
    assert_eq!(r.protocol_status, NtStatus::NO_SUCH_LOGON_SESSION);
    assert!(r.response.is_none());
    // Item 124: zero tickets.
    let r = lsa
        .call_authentication_package(h, KERB, &req12(1, zero), 0)
        .unwrap();
    assert_eq!(r.protocol_status, NtStatus::SUCCESS);
    let b = r.response.unwrap();
    assert_eq!(b.relative_bytes(), &[1, 0, 0, 0, 0, 0, 0, 0]);
    // Unknown / unimplemented messages.
    assert_eq!(
        lsa.call_authentication_package(h, KERB, &req12(2, zero), 0)
            .unwrap_err(),
        NtStatus::NOT_IMPLEMENTED
    );
    assert_eq!(
        lsa.call_authentication_package(h, MSV, &req12(999, zero), 0)
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
    assert_eq!(
        lsa.call_authentication_package(h, NEGO, &[1, 0, 0], 0)
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );

    let l = lsa.logon_user(MSV, INTERACTIVE, &alice()).unwrap().logon_id;
    let base = 0x10_0000;
    let r = lsa
        .call_authentication_package(h, NEGO, &req12(1, zero), 0)
        .unwrap();
    assert_eq!(r.protocol_status, NtStatus::SUCCESS);
    let b = r.response.unwrap();
    let bytes = b.relocated(base);
    assert_eq!(&bytes[..4], &[1, 0, 0, 0]);
    assert_eq!(b.pointer_at(8), Some(16), "CallerName follows the struct");
    assert_eq!(pwstr_at(&bytes, 8, base), "EXAMPLE\\alice");
    assert!(bytes.len() >= 16 + ("EXAMPLE\\alice".len() + 1) * 2);
    // Explicit LogonId, and a missing one.
    let r = lsa
        .call_authentication_package(h, NEGO, &req12(1, l), 0)
        .unwrap();
    assert_eq!(r.protocol_status, NtStatus::SUCCESS);
    let missing = Luid {
        low_part: 9,
        high_part: 9,
    };
    let r = lsa
        .call_authentication_package(h, MSV, &req12(3, missing), 0)
        .unwrap();
    assert_eq!(r.protocol_status, NtStatus::NO_SUCH_LOGON_SESSION);

    // MsV1_0GetUserInfo.
    let r = lsa
        .call_authentication_package(h, MSV, &req12(3, l), 0)
        .unwrap();
    let b = r.response.unwrap();
    let bytes = b.relocated(base);
    assert_eq!(&bytes[..4], &[3, 0, 0, 0]);
    assert_eq!(pwstr_at(&bytes, 24, base), "alice");
    assert_eq!(pwstr_at(&bytes, 40, base), "EXAMPLE");
    assert_eq!(u32::from_le_bytes(bytes[64..68].try_into().unwrap()), 2);
    let sid_at = b.pointer_at(8).unwrap();
    assert_eq!(
        Sid::from_bytes(&bytes[sid_at..sid_at + 28]),
        Some(Sid::for_account("EXAMPLE", "alice"))
    );

    // MsV1_0EnumerateUsers.
    let r = lsa
        .call_authentication_package(h, MSV, &2u32.to_le_bytes(), 0)
        .unwrap();
    let b = r.response.unwrap();
    let bytes = b.relative_bytes();
    assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 1);
    let at = b.pointer_at(8).unwrap();
    assert_eq!(&bytes[at..at + 4], &l.low_part.to_le_bytes());
}

#[test]
fn ticket_cache_query_and_purge() {
    let lsa = new_lsa();
    let h = lsa.connect_untrusted().unwrap();
    let l = lsa.logon_user(MSV, INTERACTIVE, &alice()).unwrap().logon_id;
    let t = |server: &str| CachedTicket {
        server_name: server.into(),
        realm_name: "EXAMPLE.COM".into(),
        start_time: 10,
        end_time: 20,
        renew_time: 30,
        encryption_type: 18,
        ticket_flags: 0x40a1_0000,
        encoded: zeroize::Zeroizing::new(vec![1]),
    };
    lsa.update_kerberos_credential(
        l,
        Some(KerberosCredential {
            renewable_with_keys: false,
            principal: "alice@EXAMPLE.COM".into(),
            realm: "EXAMPLE.COM".into(),
            keys: vec![],
            tgt: Some(t("krbtgt/EXAMPLE.COM")),
            service_tickets: vec![t("HTTP/web.example.com"), t("cifs/fs.example.com")],
        }),
    )
    .unwrap();
    let query = |lsa: &Lsa| {
        let r = lsa
            .call_authentication_package(h, KERB, &req12(1, Luid::default()), 0)
            .unwrap();
        r.response.unwrap().relocated(0x2000)
    };
    let bytes = query(&lsa);
    assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 3);
    assert_eq!(pwstr_at(&bytes, 8 + 8, 0x2000), "krbtgt/EXAMPLE.COM");
    assert_eq!(pwstr_at(&bytes, 8 + 64 + 8, 0x2000), "HTTP/web.example.com");
    assert_eq!(
        i64::from_le_bytes(bytes[8 + 40..8 + 48].try_into().unwrap()),
        20
    );
    assert_eq!(
        u32::from_le_bytes(bytes[8 + 56..8 + 60].try_into().unwrap()),
        18
    );

    // Purge one server (names given by offset), then everything.
    let purge = |server: &str| {
        let mut req = vec![0u8; 48];
        req[0] = 6;
        let units: Vec<u8> = server.encode_utf16().flat_map(u16::to_le_bytes).collect();
        if !units.is_empty() {
            req[16..18].copy_from_slice(&(units.len() as u16).to_le_bytes());
            req[18..20].copy_from_slice(&(units.len() as u16).to_le_bytes());
            req[24..32].copy_from_slice(&48u64.to_le_bytes());
            req.extend_from_slice(&units);
        }
        lsa.call_authentication_package(h, KERB, &req, 0x9000)
            .unwrap()
    };
    let r = purge("http/WEB.example.com");
    assert_eq!(r.protocol_status, NtStatus::SUCCESS);
    assert!(r.response.is_none());
    assert_eq!(u32::from_le_bytes(query(&lsa)[4..8].try_into().unwrap()), 2);
    purge("");
    assert_eq!(u32::from_le_bytes(query(&lsa)[4..8].try_into().unwrap()), 0);
    assert_eq!(
        lsa.call_authentication_package(h, KERB, &[6, 0, 0, 0], 0)
            .unwrap_err(),
        NtStatus::INVALID_PARAMETER
    );
}

/// The LSA computes NTLM's responses with the session's NT OWF (the same
/// bytes a client holding the OWF computes) for its owner only.
#[test]
fn msv1_0_credential_op_runs_in_the_lsa_for_the_owner_only() {
    use crate::lsa::packages::msv1_0::credential_op::*;
    use crate::lsa::packages::msv1_0::{
        owf::ntowf_v2,
        responses::{lmv2_response, nt_proof_str},
    };
    let store = Arc::new(MemoryStore::new());
    let lsa = Lsa::new(store.clone())
        .with_accounts(db())
        .with_caller_uid(1000);
    let l = lsa.logon_user(MSV, INTERACTIVE, &alice()).unwrap().logon_id;
    let op = CredentialOp::V2(V2Request {
        server_challenge: [1; 8],
        client_challenge: [2; 8],
        temp: vec![3; 40],
        want_lm: true,
    });
    let CredentialOpResult::V2(r) = lsa.msv1_0_credential_op(l, &op).unwrap() else {
        panic!("v2 op gave another result")
    };
    let key = ntowf_v2(&nt_owf_v1("alice-Passw0rd"), "alice", "EXAMPLE");
    let proof = nt_proof_str(&key, &[1; 8], &[3; 40]);
    assert_eq!(r.nt_proof, proof);
    assert_eq!(r.lm, Some(lmv2_response(&key, &[1; 8], &[2; 8])));
    assert_eq!(
        *r.session_base_key,
        *crate::lsa::packages::msv1_0::responses::ntlmv2_session_base_key(&key, &proof)
    );
    // Another uid over the same store: no credentials, nothing computed.
    let other = Lsa::new(store.clone())
        .with_accounts(db())
        .with_caller_uid(1001);
    assert_eq!(
        other.msv1_0_credential_op(l, &op).err(),
        Some(SecStatus::NoCredentials)
    );
    // uid 0 plays SeTcbPrivilege.
    let root = Lsa::new(store).with_accounts(db()).with_caller_uid(0);
    assert!(root.msv1_0_credential_op(l, &op).is_ok());
    lsa.logoff(l).unwrap();
    assert_eq!(
        lsa.msv1_0_credential_op(l, &op).err(),
        Some(SecStatus::NoCredentials)
    );
}

/// An in-process store runs the same ticket step as the LSA service, in
/// the process, with the provider the LSA has: the TGS once, the ticket
/// cached in the session; the provider's status is the caller's; no
/// provider: SEC_E_NO_AUTHENTICATING_AUTHORITY.
#[test]
fn in_process_stores_run_the_ticket_step_with_the_lsas_provider() {
    use super::packages::kerberos::{TicketRequest, TicketTarget};
    use std::sync::atomic::{AtomicUsize, Ordering};
    struct Tgs(AtomicUsize);
    impl KerberosProvider for Tgs {
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
        fn tgs(
            &self,
            tgt: &CachedTicket,
            r: &TicketRequest,
            _: std::time::Instant,
        ) -> Result<CachedTicket, SecStatus> {
            self.0.fetch_add(1, Ordering::SeqCst);
            match r {
                TicketRequest::Service(t) if t.components[0] == "HTTP" => Ok(CachedTicket {
                    server_name: t.cache_name(),
                    ..tgt.clone()
                }),
                _ => Err(SecStatus::TargetUnknown),
            }
        }
    }
    let lsa = new_lsa();
    let l = lsa.logon_user(MSV, INTERACTIVE, &alice()).unwrap().logon_id;
    let tgt = CachedTicket {
        server_name: "krbtgt/R".into(),
        realm_name: "R".into(),
        start_time: 0,
        end_time: crate::sspi::time::filetime_now() + 36_000_000_000,
        renew_time: 0,
        encryption_type: 18,
        ticket_flags: 0,
        encoded: zeroize::Zeroizing::new(vec![1]),
    };
    lsa.update_kerberos_credential(
        l,
        Some(KerberosCredential {
            renewable_with_keys: false,
            principal: "alice@R".into(),
            realm: "R".into(),
            keys: vec![],
            tgt: Some(tgt),
            service_tickets: vec![],
        }),
    )
    .unwrap();
    let ask = |service: &str| {
        lsa.kerberos_ticket(
            l,
            &TicketRequest::Service(TicketTarget {
                name_type: 3,
                components: vec![service.into(), "web".into()],
                realm: "R".into(),
                explicit_realm: false,
            }),
        )
    };
    assert_eq!(
        ask("HTTP").err(),
        Some(SecStatus::NoAuthenticatingAuthority)
    );
    let kdc = Arc::new(Tgs(AtomicUsize::new(0)));
    lsa.set_kerberos_provider(Some(kdc.clone()));
    assert_eq!(ask("HTTP").unwrap().server_name, "HTTP/web");
    assert_eq!(ask("HTTP").unwrap().server_name, "HTTP/web");
    assert_eq!(
        kdc.0.load(Ordering::SeqCst),
        1,
        "the cached ticket not used"
    );
    assert_eq!(ask("cifs").err(), Some(SecStatus::TargetUnknown));
    let (_, k) = lsa.kerberos_credential(Some(l)).unwrap();
    let names: Vec<_> = k.service_tickets.iter().map(|t| &t.server_name).collect();
    assert_eq!(names, ["HTTP/web"]);
}
