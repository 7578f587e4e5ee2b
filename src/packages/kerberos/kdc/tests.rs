//! The exchanges against an in-process fake KDC that can be made to lie:
//! each check of a reply has a test that sends the forged reply.

use std::cell::RefCell;

use picky_asn1::wrapper::{
    Asn1SequenceOf, ExplicitContextTag0, ExplicitContextTag1, ExplicitContextTag10,
    ExplicitContextTag2, ExplicitContextTag3, ExplicitContextTag4, ExplicitContextTag5,
    ExplicitContextTag6, ExplicitContextTag7, ExplicitContextTag9, OctetStringAsn1, Optional,
};
use picky_asn1_der::application_tag::ApplicationTag;
use picky_krb::data_types::{Authenticator, EncryptedData, EncryptionKey, TicketInner};
use picky_krb::messages::{ApReq, AsReq, EncKdcRepPart, KdcRep, TgsReq};
use zeroize::Zeroizing;

use super::as_exchange::{
    default_salt, request_tgt, request_tgt_with_key, AsOptions, ClientSecret,
};
use super::error::KdcError;
use super::tgs_exchange::{request_service_ticket, TgsOptions};
use super::transport::Transport;
use super::wire::{decode_i32, encode_i32, flags, kerberos_time, now};
use crate::packages::kerberos::crypto::{self, usage, EncryptionType, Key};
use crate::packages::kerberos::principal::{
    kerberos_string, PrincipalName, NT_PRINCIPAL, NT_SRV_HST,
};
use crate::sspi::status::SecStatus;

const R: &str = "FAKE.TEST";
const AES256: EncryptionType = EncryptionType::Aes256CtsHmacSha196;

/// How the fake KDC lies.
#[derive(Default, Clone, Copy)]
struct Lies {
    wrong_nonce: bool,
    wrong_client: bool,
    /// The Ticket names another server than the encrypted part.
    ticket_server_differs: bool,
    /// The TGS-REP is sealed with the TGT session key (usage 8) although
    /// the request carried a subkey.
    tgs_rep_under_session_key: bool,
    /// The AS-REP is sealed with another key than the password's.
    wrong_client_key: bool,
}

struct FakeKdc {
    password: &'static str,
    tgt_session_key: Key,
    lies: Lies,
    /// Authenticator checksums that verified (usage 6).
    checked: RefCell<u32>,
}

impl FakeKdc {
    fn new(lies: Lies) -> Self {
        FakeKdc {
            password: "pw",
            tgt_session_key: crypto::random_key(AES256).unwrap(),
            lies,
            checked: RefCell::new(0),
        }
    }

    fn rep(
        &self,
        msg_type: u8,
        client: &PrincipalName,
        server: &PrincipalName,
        session_key: &Key,
        nonce: i32,
        (seal_key, seal_usage): (&Key, u32),
    ) -> Vec<u8> {
        let client = if self.lies.wrong_client {
            PrincipalName::new(NT_PRINCIPAL, &["mallory"], R)
        } else {
            client.clone()
        };
        let ticket_server = if self.lies.ticket_server_differs {
            PrincipalName::new(NT_SRV_HST, &["host", "elsewhere"], R)
        } else {
            server.clone()
        };
        let ticket = ApplicationTag::<_, 1>(TicketInner {
            tkt_vno: ExplicitContextTag0(encode_i32(5)),
            realm: ExplicitContextTag1(kerberos_string(&ticket_server.realm).unwrap()),
            sname: ExplicitContextTag2(ticket_server.to_asn1().unwrap()),
            enc_part: ExplicitContextTag3(EncryptedData {
                etype: ExplicitContextTag0(encode_i32(18)),
                kvno: Optional(Some(ExplicitContextTag1(encode_i32(1)))),
                cipher: ExplicitContextTag2(OctetStringAsn1(vec![0x55; 64])),
            }),
        });
        let nonce = if self.lies.wrong_nonce {
            nonce ^ 1
        } else {
            nonce
        };
        let t = now();
        let part = EncKdcRepPart {
            key: ExplicitContextTag0(EncryptionKey {
                key_type: ExplicitContextTag0(encode_i32(session_key.etype().as_i32())),
                key_value: ExplicitContextTag1(OctetStringAsn1(session_key.as_bytes().to_vec())),
            }),
            last_req: ExplicitContextTag1(Asn1SequenceOf(Vec::new())),
            nonce: ExplicitContextTag2(encode_i32(nonce)),
            key_expiration: Optional(None),
            flags: ExplicitContextTag4(flags(0)),
            auth_time: ExplicitContextTag5(kerberos_time(t)),
            start_time: Optional(None),
            end_time: ExplicitContextTag7(kerberos_time(t + 3600)),
            renew_till: Optional(None),
            srealm: ExplicitContextTag9(kerberos_string(&server.realm).unwrap()),
            sname: ExplicitContextTag10(server.to_asn1().unwrap()),
            caddr: Optional(None),
            encrypted_pa_data: Optional(None),
        };
        let plain = if msg_type == 11 {
            picky_asn1_der::to_vec(&ApplicationTag::<_, 25>(part)).unwrap()
        } else {
            picky_asn1_der::to_vec(&ApplicationTag::<_, 26>(part)).unwrap()
        };
        let cipher = crypto::encrypt(seal_key, seal_usage, &plain).unwrap();
        let rep = KdcRep {
            pvno: ExplicitContextTag0(encode_i32(5)),
            msg_type: ExplicitContextTag1(encode_i32(msg_type as i32)),
            padata: Optional(None),
            crealm: ExplicitContextTag3(kerberos_string(&client.realm).unwrap()),
            cname: ExplicitContextTag4(client.to_asn1().unwrap()),
            ticket: ExplicitContextTag5(ticket),
            enc_part: ExplicitContextTag6(EncryptedData {
                etype: ExplicitContextTag0(encode_i32(seal_key.etype().as_i32())),
                kvno: Optional(None),
                cipher: ExplicitContextTag2(OctetStringAsn1(cipher)),
            }),
        };
        if msg_type == 11 {
            picky_asn1_der::to_vec(&ApplicationTag::<_, 11>(rep)).unwrap()
        } else {
            picky_asn1_der::to_vec(&ApplicationTag::<_, 13>(rep)).unwrap()
        }
    }

    fn as_rep(&self, request: &[u8]) -> Vec<u8> {
        let req: AsReq = picky_asn1_der::from_bytes(request).unwrap();
        let body = &req.0.req_body.0;
        let client =
            PrincipalName::from_asn1(&body.cname.0.as_ref().unwrap().0, &body.realm.0).unwrap();
        let key = if self.lies.wrong_client_key {
            crypto::string_to_key(AES256, "other", &default_salt(&client), None).unwrap()
        } else {
            crypto::string_to_key(AES256, self.password, &default_salt(&client), None).unwrap()
        };
        let tgs = PrincipalName::krbtgt(R, R);
        let nonce = decode_i32(&body.nonce.0).unwrap();
        self.rep(
            11,
            &client,
            &tgs,
            &self.tgt_session_key,
            nonce,
            (&key, usage::AS_REP_ENC_PART),
        )
    }

    fn tgs_rep(&self, request: &[u8]) -> Vec<u8> {
        let req: TgsReq = picky_asn1_der::from_bytes(request).unwrap();
        let body = &req.0.req_body.0;
        let pa = &req.0.padata.0.as_ref().unwrap().0 .0[0];
        let ap: ApReq = picky_asn1_der::from_bytes(&pa.padata_data.0 .0).unwrap();
        let sk = &self.tgt_session_key;
        let plain =
            crypto::decrypt(sk, usage::TGS_REQ_AUTH, &ap.0.authenticator.0.cipher.0 .0).unwrap();
        let auth: Authenticator = picky_asn1_der::from_bytes(&plain).unwrap();
        let a = &auth.0;
        let body_der = picky_asn1_der::to_vec(body).unwrap();
        let cksum = &a.cksum.0.as_ref().unwrap().0.checksum.0 .0;
        crypto::verify_checksum(sk, usage::TGS_REQ_AUTH_CKSUM, &body_der, cksum).unwrap();
        *self.checked.borrow_mut() += 1;
        let client = PrincipalName::from_asn1(&a.cname.0, &a.crealm.0).unwrap();
        let subkey = a.subkey.0.as_ref().map(|k| {
            let e = EncryptionType::from_i32(decode_i32(&k.0.key_type.0).unwrap()).unwrap();
            Key::new(e, &k.0.key_value.0 .0).unwrap()
        });
        let server =
            PrincipalName::from_asn1(&body.sname.0.as_ref().unwrap().0, &body.realm.0).unwrap();
        let nonce = decode_i32(&body.nonce.0).unwrap();
        let service_key = crypto::random_key(AES256).unwrap();
        let (seal, u) = match (&subkey, self.lies.tgs_rep_under_session_key) {
            (Some(k), false) => (k, usage::TGS_REP_ENC_PART_SUBKEY),
            _ => (sk, usage::TGS_REP_ENC_PART_SESSION_KEY),
        };
        self.rep(13, &client, &server, &service_key, nonce, (seal, u))
    }
}

impl Transport for FakeKdc {
    fn send(&self, realm: &str, request: &[u8]) -> Result<Vec<u8>, KdcError> {
        assert_eq!(realm, R);
        Ok(match request.first() {
            Some(0x6a) => self.as_rep(request),
            Some(0x6c) => self.tgs_rep(request),
            _ => panic!("not a KDC-REQ"),
        })
    }
}

fn opts() -> AsOptions {
    AsOptions {
        etypes: vec![18, 17],
        lifetime: 3600,
        renew_lifetime: 0,
        forwardable: false,
        proxiable: false,
    }
}

fn tgs_opts(canonicalize: bool) -> TgsOptions {
    TgsOptions {
        etypes: vec![18],
        lifetime: 3600,
        forwardable: false,
        subkey: true,
        canonicalize,
        forwarded: false,
    }
}

fn alice() -> PrincipalName {
    PrincipalName::new(NT_PRINCIPAL, &["alice"], R)
}

fn as_with(lies: Lies) -> Result<crate::packages::kerberos::creds::Tgt, KdcError> {
    let kdc = FakeKdc::new(lies);
    request_tgt(&kdc, &alice(), Zeroizing::new("pw".into()), &opts())
}

#[test]
fn honest_fake_kdc_gives_tgt_and_service_ticket() {
    let kdc = FakeKdc::new(Lies::default());
    let tgt = request_tgt(&kdc, &alice(), Zeroizing::new("pw".into()), &opts()).unwrap();
    assert_eq!(tgt.session_key, kdc.tgt_session_key);
    let spn = PrincipalName::new(NT_SRV_HST, &["host", "a"], R);
    let st = request_service_ticket(&kdc, &tgt, &spn, &tgs_opts(false)).unwrap();
    assert_eq!(st.server, spn);
    assert_eq!(*kdc.checked.borrow(), 1, "the req-body checksum verified");
}

#[test]
fn as_rep_with_another_nonce_is_refused() {
    let e = as_with(Lies {
        wrong_nonce: true,
        ..Lies::default()
    })
    .unwrap_err();
    assert_eq!(e, KdcError::BadReply("nonce mismatch"));
    assert_eq!(e.sec_status(), SecStatus::InternalError);
}

#[test]
fn as_rep_naming_another_client_is_refused() {
    let e = as_with(Lies {
        wrong_client: true,
        ..Lies::default()
    })
    .unwrap_err();
    assert_eq!(e, KdcError::BadReply("client name or realm mismatch"));
}

#[test]
fn as_rep_ticket_for_another_server_is_refused() {
    let e = as_with(Lies {
        ticket_server_differs: true,
        ..Lies::default()
    })
    .unwrap_err();
    assert_eq!(e, KdcError::BadReply("not a TGT of the client realm"));
}

#[test]
fn as_rep_under_another_key_is_logon_denied() {
    // What a wrong password looks like when the KDC does not require
    // pre-authentication.
    let e = as_with(Lies {
        wrong_client_key: true,
        ..Lies::default()
    })
    .unwrap_err();
    assert_eq!(e, KdcError::ReplyIntegrity);
    assert_eq!(e.sec_status(), SecStatus::LogonDenied);
}

fn tgs_with(lies: Lies, canonicalize: bool) -> Result<(), KdcError> {
    let honest = FakeKdc::new(Lies::default());
    let tgt = request_tgt(&honest, &alice(), Zeroizing::new("pw".into()), &opts()).unwrap();
    let kdc = FakeKdc {
        tgt_session_key: honest.tgt_session_key.clone(),
        ..FakeKdc::new(lies)
    };
    let spn = PrincipalName::new(NT_SRV_HST, &["host", "a"], R);
    request_service_ticket(&kdc, &tgt, &spn, &tgs_opts(canonicalize)).map(|_| ())
}

#[test]
fn tgs_rep_with_another_nonce_is_refused() {
    let lies = Lies {
        wrong_nonce: true,
        ..Lies::default()
    };
    assert_eq!(
        tgs_with(lies, true),
        Err(KdcError::BadReply("nonce mismatch"))
    );
}

#[test]
fn tgs_rep_naming_another_client_is_refused() {
    let lies = Lies {
        wrong_client: true,
        ..Lies::default()
    };
    assert_eq!(
        tgs_with(lies, true),
        Err(KdcError::BadReply("client name or realm mismatch"))
    );
}

#[test]
fn tgs_rep_ticket_and_reply_naming_different_servers_is_refused() {
    let lies = Lies {
        ticket_server_differs: true,
        ..Lies::default()
    };
    assert_eq!(
        tgs_with(lies, true),
        Err(KdcError::BadReply(
            "ticket and reply name different servers"
        ))
    );
}

#[test]
fn tgs_rep_sealed_for_the_wrong_usage_is_refused() {
    // A subkey was sent: a reply under the TGT session key (usage 8) is
    // not accepted in its place.
    let lies = Lies {
        tgs_rep_under_session_key: true,
        ..Lies::default()
    };
    assert_eq!(
        tgs_with(lies, true),
        Err(KdcError::Etype).or(Err(KdcError::ReplyIntegrity))
    );
}

/// The AS exchange hands back the client key it derived (the LSA keeps it
/// as the session's long-term key) with the salt it used.
#[test]
fn as_exchange_returns_the_client_key_it_derived() {
    let kdc = FakeKdc::new(Lies::default());
    let pw = ClientSecret::Password(Zeroizing::new("pw".into()));
    let r = request_tgt_with_key(&kdc, &alice(), pw, &opts()).unwrap();
    let salt = default_salt(&alice());
    assert_eq!(r.salt, salt);
    let expect = crypto::string_to_key(r.client_key.etype(), "pw", &salt, None).unwrap();
    assert_eq!(r.client_key, expect);
    assert!(r.tgt.server.is_krbtgt());
    // The same exchange with the key instead of the password.
    let k = request_tgt_with_key(&kdc, &alice(), ClientSecret::Keys(vec![expect]), &opts());
    assert!(k.unwrap().tgt.server.is_krbtgt());
    // A key of another password: the KDC (or the reply) refuses it.
    let wrong = crypto::string_to_key(r.client_key.etype(), "other", &salt, None).unwrap();
    let e = request_tgt_with_key(&kdc, &alice(), ClientSecret::Keys(vec![wrong]), &opts());
    assert_eq!(
        e.err().map(|e| e.sec_status()),
        Some(SecStatus::LogonDenied)
    );
    // No key of an etype offered: no exchange possible.
    let e = request_tgt_with_key(&kdc, &alice(), ClientSecret::Keys(vec![]), &opts());
    assert!(matches!(e, Err(KdcError::Etype)), "{:?}", e.err());
}
