//! The network logon session of a Kerberos client comes from its verified
//! PAC (MS-KILE §3.4.5.3; MS-PAC §2.5 KERB_VALIDATION_INFO, §2.10
//! UPN_DNS_INFO): the server context's `network_identity` (what
//! ImpersonateSecurityContext and QuerySecurityContextToken give the LSA)
//! made into a session with `Lsa::network_logon_with`, then read as
//! `LsaGetLogonSessionData` reads it — the calls `src/ffi/context.rs`
//! makes. The Samba 4.17 AD DC ticket of tests/vectors/pac/samba-4.17-dc/
//! has a fixed life, so its context accepts at a time inside it
//! (`KerberosServer::accept_at`); the MIT realm's ticket (a PAC without
//! LOGON_INFO) goes through `AcceptSecurityContext`'s own clock. Each case
//! also through Negotiate, which must give the same session.

mod common;

use std::sync::Arc;

use opensspi::lsa::network::NetworkIdentity;
use opensspi::lsa::session::{SecurityLogonType, Sid};
use opensspi::lsa::store::memory::MemoryStore;
use opensspi::lsa::wire::LogonSessionData;
use opensspi::lsa::Lsa;
use opensspi::packages::kerberos::acceptor::entry_key;
use opensspi::packages::kerberos::ap_req::{build_ap_req, ApReqOptions, ServiceTicket};
use opensspi::packages::kerberos::ap_wire::{der_decode, der_encode, int_value, now};
use opensspi::packages::kerberos::ccache::{Ccache, Credential as CcacheCredential};
use opensspi::packages::kerberos::credential::ServerSide;
use opensspi::packages::kerberos::crypto::{self, usage, EncryptionType, Key};
use opensspi::packages::kerberos::keytab::Keytab;
use opensspi::packages::kerberos::server::KerberosServer;
use opensspi::packages::kerberos::KERBEROS_PACKAGE_INFO;
use opensspi::packages::negotiate::mech::Mech;
use opensspi::packages::negotiate::tokens::{encode_init, encode_mech_types};
use opensspi::packages::negotiate::{InnerCredential, NegotiateCredential};
use opensspi::sspi::{
    ContextAttribute, Credential, CredentialUse, HandshakeInput, HandshakeOutput, MessageBuffer,
    PackageInfo, SecResult, SecStatus, SecurityContext,
};
use picky_asn1::wrapper::Optional;
use picky_krb::data_types::{EncTicketPart, Ticket};

const SAMBA_DOMAIN_SID: &str = "S-1-5-21-2692988398-917583200-3309857009";

/// A ticket and the keytab that accepts it.
struct Vector {
    cred: CcacheCredential,
    server: Arc<ServerSide>,
}

fn server_side(kt: Keytab) -> Arc<ServerSide> {
    let keys = kt.entries.iter().map(entry_key).collect();
    Arc::new(ServerSide {
        keytab: Arc::new(Ok(kt)),
        principal: None,
        keys,
        tickets: Default::default(),
    })
}

/// alice's host/svc ticket from the Samba DC, and svc's keytab.
fn samba() -> Vector {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/pac/samba-4.17-dc");
    let cred = Ccache::read(&dir.join("alice.ccache"))
        .unwrap()
        .tickets()
        .find(|c| c.server.to_string() == "host/svc.ad.example.test@AD.EXAMPLE.TEST")
        .unwrap()
        .clone();
    let server = server_side(Keytab::read(&dir.join("svc.keytab")).unwrap());
    Vector { cred, server }
}

impl Vector {
    /// A time inside the Samba ticket's life; `n` tells the AP-REQs of
    /// one test apart for the process-wide replay cache.
    fn at(&self, n: i64) -> (i64, u32) {
        (self.cred.authtime as i64 + 60 + n, 0)
    }

    /// The client's framed AP-REQ for `ticket` at `at`.
    fn ap_req(&self, ticket: &[u8], at: (i64, u32)) -> Vec<u8> {
        let key = Key::new(
            EncryptionType::from_i32(self.cred.key.enctype).unwrap(),
            &self.cred.key.bytes,
        )
        .unwrap();
        let st = ServiceTicket {
            ticket,
            session_key: &key,
            client: &self.cred.client,
        };
        build_ap_req(&st, &ApReqOptions::default(), at).unwrap().0
    }

    /// The ticket re-encrypted with the service key without its
    /// authorization data (no PAC), as only a holder of that key could.
    fn without_pac(&self) -> Vec<u8> {
        let mut ticket: Ticket = der_decode(&self.cred.ticket).unwrap();
        let etype = int_value(&ticket.0.enc_part.0.etype.0).unwrap() as i32;
        let kt = self.server.keytab.as_ref().as_ref().unwrap();
        let e = kt
            .entries
            .iter()
            .find(|e| {
                e.key.enctype == etype && e.principal.to_string() == self.cred.server.to_string()
            })
            .unwrap();
        let key = Key::new(EncryptionType::from_i32(etype).unwrap(), &e.key.bytes).unwrap();
        let plain = crypto::decrypt(
            &key,
            usage::KDC_REP_TICKET,
            &ticket.0.enc_part.0.cipher.0 .0,
        )
        .unwrap();
        let mut part: EncTicketPart = der_decode(&plain).unwrap();
        assert!(part.0.authorization_data.0.is_some(), "Samba's PAC");
        part.0.authorization_data = Optional::from(None);
        let cipher =
            crypto::encrypt(&key, usage::KDC_REP_TICKET, &der_encode(&part).unwrap()).unwrap();
        ticket.0.enc_part.0.cipher.0 .0 = cipher;
        der_encode(&ticket).unwrap()
    }
}

fn input(token: &[u8]) -> HandshakeInput<'_> {
    HandshakeInput {
        token: Some(token),
        ..Default::default()
    }
}

/// A Kerberos server context accepting at a fixed time (the Samba
/// ticket's life), everything else its own.
struct AcceptAt {
    inner: KerberosServer,
    at: (i64, u32),
}

impl SecurityContext for AcceptAt {
    fn package(&self) -> &'static PackageInfo {
        self.inner.package()
    }
    fn accept(&mut self, input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        self.inner.accept_at(input, self.at)
    }
    fn is_established(&self) -> bool {
        self.inner.is_established()
    }
    fn make_signature(&mut self, q: u32, m: &mut [MessageBuffer<'_>], n: u32) -> SecResult<()> {
        self.inner.make_signature(q, m, n)
    }
    fn verify_signature(&mut self, m: &mut [MessageBuffer<'_>], n: u32) -> SecResult<Option<u32>> {
        self.inner.verify_signature(m, n)
    }
    fn encrypt_message(&mut self, q: u32, m: &mut [MessageBuffer<'_>], n: u32) -> SecResult<()> {
        self.inner.encrypt_message(q, m, n)
    }
    fn decrypt_message(&mut self, m: &mut [MessageBuffer<'_>], n: u32) -> SecResult<Option<u32>> {
        self.inner.decrypt_message(m, n)
    }
    fn query_attribute(&self, attribute: u32) -> SecResult<ContextAttribute> {
        self.inner.query_attribute(attribute)
    }
    fn client_identity(&self) -> Option<(String, String)> {
        self.inner.client_identity()
    }
    fn network_identity(&self) -> Option<NetworkIdentity> {
        self.inner.network_identity()
    }
}

/// Negotiate's inner Kerberos credential: `server`'s keytab, its contexts
/// accepting at `at` (`None`: the system clock).
struct KeytabCredential {
    server: Arc<ServerSide>,
    at: Option<(i64, u32)>,
}

impl Credential for KeytabCredential {
    fn package(&self) -> &'static PackageInfo {
        &KERBEROS_PACKAGE_INFO
    }
    fn usage(&self) -> CredentialUse {
        CredentialUse::Inbound
    }
    fn user_name(&self) -> SecResult<String> {
        Err(SecStatus::UnsupportedFunction)
    }
    fn new_initiator(&self, _: Option<&str>, _: u32) -> SecResult<Box<dyn SecurityContext>> {
        Err(SecStatus::NoCredentials)
    }
    fn new_acceptor(&self, context_req: u32) -> SecResult<Box<dyn SecurityContext>> {
        let inner = KerberosServer::with_server_side(self.server.clone(), context_req);
        Ok(match self.at {
            Some(at) => Box::new(AcceptAt { inner, at }),
            None => Box::new(inner),
        })
    }
}

/// The session `ctx`'s client gets: the network logon the C layer makes on
/// ImpersonateSecurityContext / QuerySecurityContextToken, read back as
/// LsaGetLogonSessionData returns it.
fn session_of(ctx: &dyn SecurityContext) -> LogonSessionData {
    let lsa = Lsa::new(Arc::new(MemoryStore::new()));
    let id = ctx.network_identity().expect("an authenticated client");
    let luid = lsa.network_logon_with(&id).unwrap();
    lsa.session_data(luid).unwrap()
}

/// Bare Kerberos: `ticket`'s AP-REQ accepted at `at` (`None`: now).
fn kerberos_session(
    server: &Arc<ServerSide>,
    token: &[u8],
    at: Option<(i64, u32)>,
) -> LogonSessionData {
    let mut ctx = KerberosServer::with_server_side(server.clone(), 0);
    match at {
        Some(at) => ctx.accept_at(&input(token), at).unwrap(),
        None => ctx.accept(&input(token)).unwrap(),
    };
    assert!(ctx.is_established());
    session_of(&ctx)
}

/// Negotiate(Kerberos): the AP-REQ as the optimistic token of a
/// NegTokenInit offering Kerberos first.
fn negotiate_session(
    server: &Arc<ServerSide>,
    ap_req: &[u8],
    at: Option<(i64, u32)>,
) -> LogonSessionData {
    let inner = InnerCredential {
        oids: &[Mech::MsKerberos, Mech::Kerberos],
        cred: Arc::new(KeytabCredential {
            server: server.clone(),
            at,
        }),
    };
    let cred = NegotiateCredential::new(CredentialUse::Inbound, vec![inner]);
    let mut ctx = cred.new_acceptor(0).unwrap();
    let init = encode_init(
        &encode_mech_types(&[Mech::Kerberos]),
        Some(ap_req),
        false,
        None,
    );
    ctx.accept(&input(&init)).unwrap();
    assert!(ctx.is_established());
    session_of(ctx.as_ref())
}

/// Everything but the LUID and the logon time.
fn same_session(a: &LogonSessionData, b: &LogonSessionData) {
    let key = |d: &LogonSessionData| {
        (
            d.user_name.clone(),
            d.logon_domain.clone(),
            d.authentication_package.clone(),
            d.logon_type,
            d.sid.clone(),
            d.logon_server.clone(),
            d.dns_domain_name.clone(),
            d.upn.clone(),
        )
    };
    assert_eq!(key(a), key(b));
}

#[test]
fn samba_dc_ticket_gives_the_session_its_pac_describes() {
    let v = samba();
    let d = kerberos_session(&v.server, &v.ap_req(&v.cred.ticket, v.at(0)), Some(v.at(0)));
    assert_eq!(d.sid.to_string(), format!("{SAMBA_DOMAIN_SID}-1102"));
    assert_eq!(
        (
            d.user_name.as_str(),
            d.logon_domain.as_str(),
            d.upn.as_str(),
            d.dns_domain_name.as_str(),
            d.logon_server.as_str(),
            d.authentication_package.as_str(),
        ),
        (
            "alice",
            "ADEXAMPLE",
            "alice@ad.example.test",
            "AD.EXAMPLE.TEST",
            "DC1",
            "Kerberos"
        )
    );
    assert_eq!(d.logon_type, SecurityLogonType::Network as u32);
    assert_eq!(d.logon_type, 3);
    // Negotiate(Kerberos) gives the same session.
    let n = negotiate_session(&v.server, &v.ap_req(&v.cred.ticket, v.at(1)), Some(v.at(1)));
    same_session(&d, &n);
}

/// The same ticket without its PAC (re-encrypted with the service key;
/// same client, same authtime): accepted, but the session's SID is only
/// ever the synthetic one of the ticket's names — nothing of a PAC that is
/// not in this ticket (the acceptor verified the PAC ticket just before,
/// with the same keys and verified-ticket cache), or that did not verify
/// (those are refused, tests/kerberos_pac.rs), reaches it.
#[test]
fn samba_ticket_without_its_pac_gets_the_ticket_names_and_a_synthetic_sid() {
    let v = samba();
    let with_pac = kerberos_session(&v.server, &v.ap_req(&v.cred.ticket, v.at(9)), Some(v.at(9)));
    assert_eq!(with_pac.sid.to_string(), format!("{SAMBA_DOMAIN_SID}-1102"));
    let ticket = v.without_pac();
    let d = kerberos_session(&v.server, &v.ap_req(&ticket, v.at(10)), Some(v.at(10)));
    assert_eq!(
        (
            d.user_name.as_str(),
            d.logon_domain.as_str(),
            d.upn.as_str(),
            d.dns_domain_name.as_str(),
            d.authentication_package.as_str(),
        ),
        ("alice", "AD.EXAMPLE.TEST", "", "", "Kerberos")
    );
    assert_eq!(d.sid, Sid::for_account("AD.EXAMPLE.TEST", "alice"));
    assert!(!d.sid.to_string().starts_with(SAMBA_DOMAIN_SID));
    assert_ne!(d.logon_server, "DC1");
    let n = negotiate_session(&v.server, &v.ap_req(&ticket, v.at(11)), Some(v.at(11)));
    same_session(&d, &n);
}

/// The MIT 1.20 realm's ticket: its PAC verifies but has no LOGON_INFO,
/// so the session is named from the ticket as before, through
/// AcceptSecurityContext's own clock.
#[test]
fn mit_ticket_session_names_come_from_the_ticket() {
    let realm = common::krb_realm::KrbRealm::start("pac-session");
    realm.kinit_alice();
    realm.run("kvno", &["host/localhost"], None);
    let cred = Ccache::read(&realm.ccache())
        .unwrap()
        .tickets()
        .find(|c| c.server.to_string() == "host/localhost@EXAMPLE.TEST")
        .expect("host/localhost ticket")
        .clone();
    let v = Vector {
        cred,
        server: server_side(Keytab::read(&realm.keytab()).unwrap()),
    };
    let d = kerberos_session(&v.server, &v.ap_req(&v.cred.ticket, now()), None);
    assert_eq!(
        (
            d.user_name.as_str(),
            d.logon_domain.as_str(),
            d.upn.as_str(),
            d.dns_domain_name.as_str(),
            d.authentication_package.as_str(),
        ),
        ("alice", "EXAMPLE.TEST", "", "", "Kerberos")
    );
    assert_eq!(d.sid, Sid::for_account("EXAMPLE.TEST", "alice"));
    assert_eq!(d.logon_type, 3);
    let n = negotiate_session(&v.server, &v.ap_req(&v.cred.ticket, now()), None);
    same_session(&d, &n);
}
