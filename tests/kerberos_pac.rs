//! The PAC (MS-PAC) of service tickets from the MIT 1.20 KDC of the test
//! realm (`common/krb_realm.rs`), checked by our acceptor (MS-KILE
//! §3.4.5.3): the real ticket's PAC verifies and names alice; tickets
//! re-encrypted with the service key (as only the KDC, or a holder of the
//! service key, could) carrying altered PACs are refused with the codes
//! and statuses of `src/packages/kerberos/ap_rep.rs`'s table.
//! Needs krb5-kdc, krb5-admin-server and krb5-user
//! (scripts/install-test-deps.sh).

mod common;

use common::krb_realm::KrbRealm;

use md5::{Digest, Md5};
use opensspi::lsa::session::Sid;
use opensspi::packages::kerberos::acceptor::{accept_ap_req, Accepted, AcceptorOptions};
use opensspi::packages::kerberos::ap_rep::*;
use opensspi::packages::kerberos::ap_req::{build_ap_req, ApReqOptions, ServiceTicket};
use opensspi::packages::kerberos::ap_wire::{der_decode, der_encode, int_asn1, now};
use opensspi::packages::kerberos::ccache::{Ccache, Credential};
use opensspi::packages::kerberos::crypto::{self, usage, ChecksumType, EncryptionType, Key};
use opensspi::packages::kerberos::keytab::Keytab;
use opensspi::packages::kerberos::pac::authz_data::{AD_IF_RELEVANT, AD_WIN2K_PAC};
use opensspi::packages::kerberos::pac::build::{self, client_info, empty_signature};
use opensspi::packages::kerberos::pac::logon_info::{GroupMembership, ValidationInfo};
use opensspi::packages::kerberos::pac::*;
use opensspi::packages::kerberos::replay_cache::ReplayCache;
use opensspi::packages::kerberos::verified_tickets::VerifiedTickets;
use opensspi::packages::ntlm::crypto::hmac_md5;
use opensspi::sspi::status::SecStatus;
use picky_asn1::wrapper::*;
use picky_krb::data_types::*;

const SERVICE: &str = "host/localhost@EXAMPLE.TEST";

/// The realm with alice's host/localhost ticket, and its keytab.
struct Setup {
    _realm: KrbRealm,
    cred: Credential,
    keytab: Keytab,
}

fn setup(tag: &str) -> Setup {
    let realm = KrbRealm::start(&format!("pac-{tag}"));
    realm.kinit_alice();
    realm.run("kvno", &["host/localhost"], None);
    let cred = Ccache::read(&realm.ccache())
        .unwrap()
        .tickets()
        .find(|c| c.server.to_string() == SERVICE)
        .expect("host/localhost ticket")
        .clone();
    let keytab = Keytab::read(&realm.keytab()).unwrap();
    Setup {
        _realm: realm,
        cred,
        keytab,
    }
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

impl Setup {
    fn session_key(&self) -> Key {
        Key::new(
            EncryptionType::from_i32(self.cred.key.enctype).unwrap(),
            &self.cred.key.bytes,
        )
        .unwrap()
    }

    /// host/localhost's key of the ticket's etype (aes256).
    fn service_key(&self) -> Key {
        let ticket: Ticket = der_decode(&self.cred.ticket).unwrap();
        let etype = opensspi::packages::kerberos::ap_wire::int_value(&ticket.0.enc_part.0.etype.0)
            .unwrap() as i32;
        let e = self
            .keytab
            .entries
            .iter()
            .find(|e| e.principal.to_string() == SERVICE && e.key.enctype == etype)
            .unwrap();
        Key::new(EncryptionType::from_i32(etype).unwrap(), &e.key.bytes).unwrap()
    }

    /// The KDC's ticket decrypted with the service key.
    fn enc_part(&self) -> (Ticket, EncTicketPart) {
        let ticket: Ticket = der_decode(&self.cred.ticket).unwrap();
        let plain = crypto::decrypt(
            &self.service_key(),
            usage::KDC_REP_TICKET,
            &ticket.0.enc_part.0.cipher.0 .0,
        )
        .unwrap();
        (ticket, der_decode(&plain).unwrap())
    }

    /// The KDC's PAC, as it is in the ticket.
    fn kdc_pac(&self) -> Vec<u8> {
        let (_, part) = self.enc_part();
        let ad = part.0.authorization_data.0.expect("a PAC from MIT 1.20").0;
        let der = der_encode(&ad).unwrap();
        authz_data::find_pac(&der)
            .unwrap()
            .expect("an AD-WIN2K-PAC")
    }

    fn authtime(&self) -> i64 {
        self.cred.authtime as i64
    }

    /// The KDC's ticket with its authorization-data replaced by `ad`
    /// (AuthorizationData elements), encrypted again with the service key.
    fn reissued(&self, ad: Vec<AuthorizationDataInner>) -> Vec<u8> {
        let (mut ticket, mut part) = self.enc_part();
        part.0.authorization_data =
            Optional::from(Some(ExplicitContextTag10::from(Asn1SequenceOf::from(ad))));
        let plain = der_encode(&part).unwrap();
        let cipher = crypto::encrypt(&self.service_key(), usage::KDC_REP_TICKET, &plain).unwrap();
        ticket.0.enc_part.0.cipher = ExplicitContextTag2::from(OctetStringAsn1::from(cipher));
        der_encode(&ticket).unwrap()
    }

    /// A ticket whose PACs are `pacs`, each in its own AD-IF-RELEVANT.
    fn with_pacs(&self, pacs: &[Vec<u8>]) -> Vec<u8> {
        self.reissued(pacs.iter().map(|p| if_relevant_pac(p)).collect())
    }

    /// Our AP-REQ for `ticket` (alice's session key), accepted or not.
    fn accept_with(&self, opts: &AcceptorOptions, ticket: &[u8]) -> Result<Accepted, ApError> {
        let key = self.session_key();
        let st = ServiceTicket {
            ticket,
            session_key: &key,
            client: &self.cred.client,
        };
        let (token, _) = build_ap_req(&st, &ApReqOptions::default(), now()).unwrap();
        accept_ap_req(opts, &ReplayCache::new(100), &token, now())
    }

    fn accept(&self, ticket: &[u8]) -> Result<Accepted, ApError> {
        self.accept_with(&options(&self.keytab), ticket)
    }

    /// A PAC for alice with UPN_DNS_INFO and LOGON_INFO, signed with the
    /// service key (and any key for the KDC signature).
    fn signed_pac(&self, name: &str) -> Vec<u8> {
        let mut pac = build::encode(&alice_buffers(self.authtime(), name, true));
        build::sign(&mut pac, &self.service_key(), &kdc_key()).unwrap();
        pac
    }
}

fn kdc_key() -> Key {
    Key::new(EncryptionType::Aes256CtsHmacSha196, &[0x4b; 32]).unwrap()
}

fn if_relevant_pac(pac: &[u8]) -> AuthorizationDataInner {
    let inner = vec![AuthorizationDataInner {
        ad_type: ExplicitContextTag0::from(int_asn1(AD_WIN2K_PAC)),
        ad_data: ExplicitContextTag1::from(OctetStringAsn1::from(pac.to_vec())),
    }];
    AuthorizationDataInner {
        ad_type: ExplicitContextTag0::from(int_asn1(AD_IF_RELEVANT)),
        ad_data: ExplicitContextTag1::from(OctetStringAsn1::from(
            der_encode(&Asn1SequenceOf::from(inner)).unwrap(),
        )),
    }
}

/// A UPN_DNS_INFO without the SAM name/SID extension.
fn upn_dns_info(upn: &str, dns: &str) -> Vec<u8> {
    let u = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let (upn, dns) = (u(upn), u(dns));
    let mut out = Vec::new();
    out.extend_from_slice(&(upn.len() as u16).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(&(dns.len() as u16).to_le_bytes());
    out.extend_from_slice(&((16 + upn.len()) as u16).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend(upn);
    out.extend(dns);
    out
}

/// alice's KERB_VALIDATION_INFO in a domain S-1-5-21-1-2-3.
fn validation_info() -> ValidationInfo {
    let domain = Sid {
        authority: 5,
        sub_authorities: vec![21, 1, 2, 3],
    };
    ValidationInfo {
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
        user_id: 1102,
        primary_group_id: 513,
        group_ids: vec![GroupMembership {
            relative_id: 513,
            attributes: 7,
        }],
        user_flags: 0,
        logon_server: "KDC".into(),
        logon_domain_name: "EXAMPLE".into(),
        logon_domain_id: Some(domain),
        user_account_control: 0x210,
        extra_sids: vec![],
        resource_group_domain_sid: None,
        resource_group_ids: vec![],
    }
}

/// LOGON_INFO, CLIENT_INFO for `name`, UPN_DNS_INFO and, with
/// `server_signature`, both signatures (aes256, unsigned yet).
fn alice_buffers(authtime: i64, name: &str, server_signature: bool) -> Vec<(u32, Vec<u8>)> {
    let aes = ChecksumType::HmacSha196Aes256;
    let mut b = vec![
        (PAC_LOGON_INFO, build::logon_info(&validation_info())),
        (PAC_CLIENT_INFO, client_info(authtime, name)),
        (
            PAC_UPN_DNS_INFO,
            upn_dns_info("alice@example.test", "EXAMPLE.TEST"),
        ),
    ];
    if server_signature {
        b.push((PAC_SERVER_CHECKSUM, empty_signature(aes)));
    }
    b.push((PAC_PRIVSVR_CHECKSUM, empty_signature(aes)));
    b
}

fn refused(r: Result<Accepted, ApError>) -> (i32, SecStatus) {
    let e = r.expect_err("an altered PAC was accepted");
    assert!(e.token.is_some(), "a KRB-ERROR for the client");
    (e.code, e.status)
}

#[test]
fn mit_ticket_pac_verifies_and_names_alice() {
    let s = setup("real");
    let a = s.accept(&s.cred.ticket).unwrap();
    let pac = a.pac.expect("the KDC's PAC, verified");
    assert_eq!(pac.client_info.name, "alice");
    assert_eq!(pac.client_info.authtime(), Some(a.authtime));
    assert_eq!(a.authtime, s.authtime());
    // MIT 1.20 signs the server signature with the ticket's aes256 key.
    let types: Vec<u32> = Pac::parse(&s.kdc_pac())
        .unwrap()
        .buffers
        .iter()
        .map(|b| b.ul_type)
        .collect();
    assert!(types.contains(&PAC_SERVER_CHECKSUM) && types.contains(&PAC_PRIVSVR_CHECKSUM));
    // A PAC we sign the same way, with UPN and LOGON_INFO, is accepted
    // and kept (the control for the attacks below).
    let a = s.accept(&s.with_pacs(&[s.signed_pac("alice")])).unwrap();
    let pac = a.pac.unwrap();
    let upn = pac.upn_dns_info.as_ref().unwrap();
    assert_eq!(
        (upn.upn.as_str(), upn.dns_domain_name.as_str()),
        ("alice@example.test", "EXAMPLE.TEST")
    );
    let vi = pac.validation_info.as_ref().unwrap();
    assert_eq!(vi, &validation_info());
    assert_eq!(vi.user_sid().unwrap().to_string(), "S-1-5-21-1-2-3-1102");
    // No authorization data at all (an MIT KDC before 1.20): accepted.
    let a = s.accept(&s.reissued(vec![])).unwrap();
    assert!(a.pac.is_none());
}

#[test]
fn flipped_byte_in_upn_or_logon_info_is_modified() {
    let s = setup("flip");
    let good = s.signed_pac("alice");
    let parsed = Pac::parse(&good).unwrap();
    for ty in [PAC_UPN_DNS_INFO, PAC_LOGON_INFO] {
        let b = parsed.first(ty).unwrap();
        let mut pac = good.clone();
        pac[b.offset + b.size - 1] ^= 0x01;
        assert_eq!(
            refused(s.accept(&s.with_pacs(&[pac]))),
            (KRB_AP_ERR_MODIFIED, SecStatus::LogonDenied),
            "buffer {ty}"
        );
    }
}

#[test]
fn resigned_pac_of_another_user_is_badmatch() {
    let s = setup("other");
    // Signed correctly with the service key, but naming bob, or alice at
    // another authtime.
    assert_eq!(
        refused(s.accept(&s.with_pacs(&[s.signed_pac("bob")]))),
        (KRB_AP_ERR_BADMATCH, SecStatus::LogonDenied)
    );
    let mut pac = build::encode(&alice_buffers(s.authtime() - 1, "alice", true));
    build::sign(&mut pac, &s.service_key(), &kdc_key()).unwrap();
    assert_eq!(
        refused(s.accept(&s.with_pacs(&[pac]))),
        (KRB_AP_ERR_BADMATCH, SecStatus::LogonDenied)
    );
}

#[test]
fn two_pacs_are_modified() {
    let s = setup("two");
    let (kdc, ours) = (s.kdc_pac(), s.signed_pac("alice"));
    assert_eq!(
        refused(s.accept(&s.with_pacs(&[kdc, ours]))),
        (KRB_AP_ERR_MODIFIED, SecStatus::LogonDenied)
    );
}

#[test]
fn pac_without_server_signature_is_modified() {
    let s = setup("nosig");
    // Only the KDC signature, made with the service key (a verifier that
    // took the KDC signature for the server's would accept this).
    let mut pac = build::encode(&alice_buffers(s.authtime(), "alice", false));
    let p = Pac::parse(&pac).unwrap();
    let kdc = p.unique(PAC_PRIVSVR_CHECKSUM).unwrap().unwrap();
    let sig = crypto::checksum(&s.service_key(), usage::KERB_NON_KERB_CKSUM_SALT, &pac).unwrap();
    pac[kdc.offset + 4..kdc.offset + 4 + sig.len()].copy_from_slice(&sig);
    assert_eq!(
        refused(s.accept(&s.with_pacs(&[pac]))),
        (KRB_AP_ERR_MODIFIED, SecStatus::LogonDenied)
    );
}

/// RFC 4757's hmac-md5 keyed with any key's bytes: HMAC-MD5(Ksign,
/// MD5(usage | data)), Ksign = HMAC-MD5(key, "signaturekey\0").
fn hmac_md5_checksum(key: &[u8], usage: u32, data: &[u8]) -> [u8; 16] {
    let ksign = hmac_md5(key, &[b"signaturekey\0"]);
    let mut h = Md5::new();
    h.update(usage.to_le_bytes());
    h.update(data);
    let digest: [u8; 16] = h.finalize().into();
    hmac_md5(&ksign, &[&digest])
}

#[test]
fn rc4_hmac_md5_signature_under_the_aes_key_is_inapp_cksum() {
    let s = setup("rc4sig");
    // The server signature as HMAC-MD5 (-138) keyed with the aes256
    // service key's bytes: what a verifier that trusts SignatureType
    // would compute and accept.
    let mut b = alice_buffers(s.authtime(), "alice", false);
    let kdc_sig = b.pop().unwrap();
    b.push((PAC_SERVER_CHECKSUM, empty_signature(ChecksumType::HmacMd5)));
    b.push(kdc_sig);
    let mut pac = build::encode(&b);
    let server = Pac::parse(&pac)
        .unwrap()
        .unique(PAC_SERVER_CHECKSUM)
        .unwrap()
        .unwrap();
    let sig = hmac_md5_checksum(
        s.service_key().as_bytes(),
        usage::KERB_NON_KERB_CKSUM_SALT,
        &pac,
    );
    pac[server.offset + 4..server.offset + 20].copy_from_slice(&sig);
    assert_eq!(
        refused(s.accept(&s.with_pacs(&[pac]))),
        (KRB_AP_ERR_INAPP_CKSUM, SecStatus::LogonDenied)
    );
}

#[test]
fn pac_is_verified_once_per_cached_ticket_and_a_refused_one_is_not_kept() {
    let s = setup("cache");
    let tickets = VerifiedTickets::default();
    let opts = AcceptorOptions {
        tickets: Some(&tickets),
        ..options(&s.keytab)
    };
    let first = s.accept_with(&opts, &s.cred.ticket).unwrap();
    let second = s.accept_with(&opts, &s.cred.ticket).unwrap();
    assert_eq!((tickets.hits(), tickets.len()), (1, 1));
    // The cached ticket's PAC facts are the same verified ones.
    assert!(std::sync::Arc::ptr_eq(
        first.pac.as_ref().unwrap(),
        second.pac.as_ref().unwrap()
    ));
    // A ticket whose PAC is refused is refused every time, never cached.
    let bad = s.with_pacs(&[s.signed_pac("bob")]);
    for _ in 0..2 {
        assert_eq!(refused(s.accept_with(&opts, &bad)).0, KRB_AP_ERR_BADMATCH);
    }
    assert_eq!((tickets.hits(), tickets.len()), (1, 1));
}

/// A service ticket from a Samba 4.17 AD DC (Heimdal KDC), kept with its
/// service keytab in tests/vectors/pac/samba-4.17-dc/ (README there):
/// accepted by our acceptor at a time inside the ticket's life, its PAC
/// verified and decoded. No KDC is needed.
#[test]
fn samba_dc_ticket_is_accepted_and_its_pac_decoded() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/pac/samba-4.17-dc");
    let cc = Ccache::read(&dir.join("alice.ccache")).unwrap();
    let cred = cc
        .tickets()
        .find(|c| c.server.to_string() == "host/svc.ad.example.test@AD.EXAMPLE.TEST")
        .unwrap()
        .clone();
    let kt = Keytab::read(&dir.join("svc.keytab")).unwrap();
    let key = Key::new(
        EncryptionType::from_i32(cred.key.enctype).unwrap(),
        &cred.key.bytes,
    )
    .unwrap();
    let at = (cred.authtime as i64 + 60, 0);
    let st = ServiceTicket {
        ticket: &cred.ticket,
        session_key: &key,
        client: &cred.client,
    };
    let (token, _) = build_ap_req(&st, &ApReqOptions::default(), at).unwrap();
    let a = accept_ap_req(&options(&kt), &ReplayCache::new(10), &token, at).unwrap();
    assert_eq!(a.client.to_string(), "alice@AD.EXAMPLE.TEST");
    let pac = a.pac.expect("Samba's PAC, verified");
    assert_eq!(pac.client_info.name, "alice");
    let domain = "S-1-5-21-2692988398-917583200-3309857009";
    let upn = pac.upn_dns_info.as_ref().unwrap();
    assert_eq!(
        (
            upn.upn.as_str(),
            upn.dns_domain_name.as_str(),
            upn.sam_name.as_deref()
        ),
        ("alice@ad.example.test", "AD.EXAMPLE.TEST", Some("alice"))
    );
    assert_eq!(
        upn.sid.as_ref().unwrap().to_string(),
        format!("{domain}-1102")
    );
    let vi = pac.validation_info.as_ref().unwrap();
    assert_eq!(
        (
            vi.effective_name.as_str(),
            vi.full_name.as_str(),
            vi.logon_domain_name.as_str(),
            vi.logon_server.as_str()
        ),
        ("alice", "Alice Example", "ADEXAMPLE", "DC1")
    );
    assert_eq!(vi.user_sid(), upn.sid);
    assert_eq!(
        vi.primary_group_sid().unwrap().to_string(),
        format!("{domain}-513")
    );
    assert_eq!(vi.user_account_control, 0x210);
    // Domain Users, Engineers (created for the capture), Domain Admins,
    // Denied RODC Password Replication Group, then the asserted identity.
    let groups: Vec<String> = vi
        .group_sids()
        .iter()
        .map(|g| format!("{} {:#x}", g.sid, g.attributes))
        .collect();
    let rid = |r: u32| format!("{domain}-{r} 0x7");
    assert_eq!(
        groups,
        [
            rid(513),
            rid(1105),
            rid(512),
            rid(572),
            "S-1-18-1 0x7".to_string()
        ]
    );
}
