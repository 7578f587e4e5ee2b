//! PAC decoding and verification: real PACs with their service keys
//! (tests/vectors/pac/README.md) and hand-built hostile ones.

use super::build::{self, client_info, empty_signature};
use super::client_info::ClientInfo;
use super::logon_info::*;
use super::signature::SignatureData;
use super::upn_dns_info::{UpnDnsInfo, UPN_FLAG_EXTENDED};
use super::*;
use crate::packages::kerberos::crypto::{self, usage, ChecksumType, EncryptionType, Key};
use crate::packages::kerberos::filecodec::Principal;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn key(etype: EncryptionType, h: &str) -> Key {
    Key::new(etype, &hex(h)).unwrap()
}

fn principal(components: &[&str], realm: &str) -> Principal {
    Principal {
        name_type: 1,
        realm: realm.into(),
        components: components.iter().map(|c| c.to_string()).collect(),
    }
}

/// host/localhost's aes256 key of the MIT 1.20 realm that issued
/// mit-1.20-kdc-authdata.der (a throwaway test realm).
const MIT_REALM_KEY: &str = "92e9774190b8d40a0cf96f97f3566ec6d27f4ac25e3100bb19d5fff8878ef74d";
const MIT_REALM_AUTHTIME: i64 = 1796497621;

#[test]
fn mit_kdc_pac_is_found_verified_and_names_alice() {
    let ad = include_bytes!("../../../../tests/vectors/pac/mit-1.20-kdc-authdata.der");
    let pac = authz_data::find_pac(ad).unwrap().unwrap();
    let parsed = Pac::parse(&pac).unwrap();
    let types: Vec<u32> = parsed.buffers.iter().map(|b| b.ul_type).collect();
    assert_eq!(
        types,
        [
            PAC_CLIENT_INFO,
            PAC_TICKET_CHECKSUM,
            PAC_SERVER_CHECKSUM,
            PAC_PRIVSVR_CHECKSUM
        ]
    );
    let k = key(EncryptionType::Aes256CtsHmacSha196, MIT_REALM_KEY);
    let alice = principal(&["alice"], "EXAMPLE.TEST");
    let v = verify_pac(&pac, &k, &alice, MIT_REALM_AUTHTIME).unwrap();
    assert_eq!(v.client_info.name, "alice");
    assert_eq!(v.client_info.authtime(), Some(MIT_REALM_AUTHTIME));
    assert!(v.upn_dns_info.is_none() && v.logon_info.is_none());
    // Another key, another second, another client: refused.
    let other = key(EncryptionType::Aes256CtsHmacSha196, &"11".repeat(32));
    assert_eq!(
        verify_pac(&pac, &other, &alice, MIT_REALM_AUTHTIME),
        Err(PacError::BadSignature)
    );
    assert_eq!(
        verify_pac(&pac, &k, &alice, MIT_REALM_AUTHTIME + 1),
        Err(PacError::ClientMismatch)
    );
    let bob = principal(&["bob"], "EXAMPLE.TEST");
    assert_eq!(
        verify_pac(&pac, &k, &bob, MIT_REALM_AUTHTIME),
        Err(PacError::ClientMismatch)
    );
    // An AES128 key of the right bytes' family is still the wrong type.
    let aes128 = key(EncryptionType::Aes128CtsHmacSha196, &MIT_REALM_KEY[..32]);
    assert_eq!(
        verify_pac(&pac, &aes128, &alice, MIT_REALM_AUTHTIME),
        Err(PacError::WrongChecksumType)
    );
}

/// MIT krb5 src/lib/krb5/krb/t_pac.c `saved_pac` (from Samba's torture
/// suite): an hmac-md5 (-138) server signature under an rc4-hmac key, a
/// LOGON_INFO of 472 bytes.
#[test]
fn mit_t_pac_saved_pac_verifies_with_its_rc4_key() {
    let pac = include_bytes!("../../../../tests/vectors/pac/mit-t_pac-saved_pac.bin");
    let k = key(EncryptionType::Rc4Hmac, "d217faeae5e6b5f95ccc94077ab8a5fc");
    let p = principal(&["w2003final$"], "WIN2K3.THINKER.LOCAL");
    let v = verify_pac(pac, &k, &p, 1120440609).unwrap();
    assert_eq!(v.client_info.name, "w2003final$");
    assert_eq!(v.logon_info.as_ref().map(Vec::len), Some(472));
    let vi = v.validation_info.unwrap();
    assert_eq!(
        (vi.effective_name.as_str(), vi.logon_domain_name.as_str()),
        ("W2003FINAL$", "WIN2K3THINK")
    );
    assert_eq!(
        vi.user_sid().unwrap().to_string(),
        "S-1-5-21-3048156945-3961193616-3706469200-1005"
    );
    assert_eq!(
        (vi.primary_group_id, vi.logon_server.as_str()),
        (516, "W2003FINAL")
    );
    let sids: Vec<String> = vi.group_sids().iter().map(|g| g.sid.to_string()).collect();
    assert_eq!(
        sids,
        ["S-1-5-21-3048156945-3961193616-3706469200-516", "S-1-5-9"]
    );
    // The KDC key is the other rc4 key of the vector: not the server's.
    let kdc = key(EncryptionType::Rc4Hmac, "b286757148af7fd252c53603a150b7e7");
    assert_eq!(
        verify_pac(pac, &kdc, &p, 1120440609),
        Err(PacError::BadSignature)
    );
}

const S4U_SRV_KEY: &str = "14dfb5b2cdb42c8894da2fa882e9729f4a4dc74ba02a242cc6a8d71079b9ad9a";

/// t_pac.c `s4u_pac_regular` and `s4u_pac_enterprise` (a Windows 2008
/// KDC): aes256 server signatures and UPN_DNS_INFO.
#[test]
fn mit_t_pac_s4u_pacs_verify_and_give_their_upn() {
    let k = key(EncryptionType::Aes256CtsHmacSha196, S4U_SRV_KEY);
    let regular = include_bytes!("../../../../tests/vectors/pac/mit-t_pac-s4u_pac_regular.bin");
    let v = verify_pac(regular, &k, &principal(&["w2k8u"], "ACME.COM"), 1538430362).unwrap();
    let upn = v.upn_dns_info.unwrap();
    assert_eq!(
        (upn.upn.as_str(), upn.dns_domain_name.as_str()),
        ("w2k8u@abc", "ACME.COM")
    );
    assert_eq!(upn.flags & UPN_FLAG_EXTENDED, 0);
    assert!(upn.sam_name.is_none() && upn.sid.is_none());
    assert_eq!(v.logon_info.as_ref().map(Vec::len), Some(416));
    let vi = v.validation_info.unwrap();
    assert_eq!(
        (vi.effective_name.as_str(), vi.full_name.as_str()),
        ("w2k8u", "w2k8u")
    );
    assert_eq!(
        vi.user_sid().unwrap().to_string(),
        "S-1-5-21-9281652-3921847615-585208160-1142"
    );
    let enterprise =
        include_bytes!("../../../../tests/vectors/pac/mit-t_pac-s4u_pac_enterprise.bin");
    let ent = Principal {
        name_type: 10,
        ..principal(&["w2k8u@abc"], "ACME.COM")
    };
    let v = verify_pac(enterprise, &k, &ent, 1538437551).unwrap();
    assert_eq!(v.client_info.name, "w2k8u@abc");
}

/// t_pac.c `ticket_data`: a service ticket from a Windows Server 2022 KDC
/// (ticket and full checksums, LOGON_INFO, UPN_DNS_INFO with SAM name and
/// SID), decrypted with its service key as the acceptor does.
#[test]
fn windows_2022_ticket_pac_verifies() {
    use crate::packages::kerberos::ap_wire::{der_decode, principal as wire_principal, time_secs};
    use picky_krb::data_types::{EncTicketPart, Ticket};
    let der = include_bytes!("../../../../tests/vectors/pac/mit-t_pac-w2022-ticket.der");
    let ticket: Ticket = der_decode(der).unwrap();
    let k = key(
        EncryptionType::Aes256CtsHmacSha196,
        "114a84e3148faab1fa7b5351b28ac2f1fd196d61e0f3f23e1fdbd3c1797dc1ee",
    );
    let plain =
        crypto::decrypt(&k, usage::KDC_REP_TICKET, &ticket.0.enc_part.0.cipher.0 .0).unwrap();
    let part: EncTicketPart = der_decode(&plain).unwrap();
    let part = part.0;
    let client = wire_principal(&part.cname.0, &part.crealm.0).unwrap();
    assert_eq!(client.to_string(), "administrator@W2022-L7.BASE");
    let authtime = time_secs(&part.auth_time.0);
    let ad = part.authorization_data.0.unwrap().0;
    let ad_der = crate::packages::kerberos::ap_wire::der_encode(&ad).unwrap();
    let pac = authz_data::find_pac(&ad_der).unwrap().unwrap();
    let types: Vec<u32> = Pac::parse(&pac)
        .unwrap()
        .buffers
        .iter()
        .map(|b| b.ul_type)
        .collect();
    assert!(types.contains(&PAC_FULL_CHECKSUM) && types.contains(&PAC_TICKET_CHECKSUM));
    let v = verify_pac(&pac, &k, &client, authtime).unwrap();
    assert_eq!(v.client_info.name, "administrator");
    let upn = v.upn_dns_info.clone().unwrap();
    assert_ne!(upn.flags & UPN_FLAG_EXTENDED, 0);
    assert_eq!(upn.dns_domain_name, "W2022-L7.BASE");
    assert_eq!(upn.sam_name.as_deref(), Some("Administrator"));
    assert!(upn
        .sid
        .clone()
        .unwrap()
        .to_string()
        .starts_with("S-1-5-21-"));
    // KERB_VALIDATION_INFO with domain groups, an extra SID and a resource
    // group (the Windows KDC's).
    let vi = v.validation_info.unwrap();
    let domain = "S-1-5-21-133451344-1126667713-3548050118";
    assert_eq!(
        (vi.effective_name.as_str(), vi.user_id),
        ("Administrator", 500)
    );
    assert_eq!(vi.logon_domain_name, "W2022-L7");
    assert_eq!(vi.user_sid().unwrap().to_string(), format!("{domain}-500"));
    assert_eq!(upn.sid.unwrap(), vi.user_sid().unwrap());
    assert_eq!(
        vi.primary_group_sid().unwrap().to_string(),
        format!("{domain}-513")
    );
    assert_eq!(vi.user_flags, LOGON_EXTRA_SIDS | LOGON_RESOURCE_GROUPS);
    let groups: Vec<String> = vi
        .group_sids()
        .iter()
        .map(|g| format!("{} {:#x}", g.sid, g.attributes))
        .collect();
    let rid = |r: u32, a: u32| format!("{domain}-{r} {a:#x}");
    assert_eq!(
        groups,
        [
            rid(513, 7),
            rid(512, 7),
            rid(520, 7),
            rid(518, 7),
            rid(519, 7),
            "S-1-18-1 0x7".to_string(),
            rid(572, 0x2000_0007),
        ]
    );
}

// Hand-built PACs.

const AUTHTIME: i64 = 1_700_000_000;
const AES: ChecksumType = ChecksumType::HmacSha196Aes256;

fn server_key() -> Key {
    key(EncryptionType::Aes256CtsHmacSha196, &"5a".repeat(32))
}

fn kdc_key() -> Key {
    key(EncryptionType::Aes256CtsHmacSha196, &"a5".repeat(32))
}

fn alice() -> Principal {
    principal(&["alice"], "R")
}

/// A signed PAC of `buffers` followed by the two signatures.
fn signed(mut buffers: Vec<(u32, Vec<u8>)>) -> Vec<u8> {
    buffers.push((PAC_SERVER_CHECKSUM, empty_signature(AES)));
    buffers.push((PAC_PRIVSVR_CHECKSUM, empty_signature(AES)));
    let mut pac = build::encode(&buffers);
    build::sign(&mut pac, &server_key(), &kdc_key()).unwrap();
    pac
}

fn alices() -> Vec<(u32, Vec<u8>)> {
    vec![(PAC_CLIENT_INFO, client_info(AUTHTIME, "alice"))]
}

fn check(pac: &[u8]) -> Result<VerifiedPac, PacError> {
    verify_pac(pac, &server_key(), &alice(), AUTHTIME)
}

/// Overwrites the little-endian u32 at `at`.
fn put32(pac: &mut [u8], at: usize, v: u32) {
    pac[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn built_and_signed_pac_verifies_and_unknown_types_are_ignored() {
    let mut b = alices();
    b.push((0x7777, vec![1, 2, 3]));
    b.push((PAC_ATTRIBUTES_INFO, vec![0; 8]));
    let v = check(&signed(b)).unwrap();
    assert_eq!(v.client_info.name, "alice");
}

#[test]
fn pactype_bounds_are_checked() {
    let good = signed(alices());
    assert!(Pac::parse(&good).is_ok());
    // Truncated header, or any truncation of the PAC.
    for n in 0..good.len() {
        assert!(check(&good[..n]).is_err(), "truncated to {n}");
    }
    // Version not 0.
    let mut p = good.clone();
    put32(&mut p, 4, 1);
    assert_eq!(Pac::parse(&p).unwrap_err(), PacError::Malformed);
    // cBuffers 0, huge, or more than the bytes hold.
    for n in [0, MAX_BUFFERS + 1, u32::MAX, 4] {
        let mut p = good.clone();
        put32(&mut p, 0, n);
        assert_eq!(
            Pac::parse(&p).unwrap_err(),
            PacError::Malformed,
            "cBuffers {n}"
        );
    }
    // The client info buffer (the first): past the end, unaligned, inside
    // the header, size past the end, a 64-bit offset that wraps.
    let size_at = 8 + 4;
    let offset_at = 8 + 8;
    let len = good.len() as u64;
    for offset in [len + 8, 0x4c, 8, u64::MAX - 7] {
        let mut p = good.clone();
        p[offset_at..offset_at + 8].copy_from_slice(&offset.to_le_bytes());
        assert_eq!(
            Pac::parse(&p).unwrap_err(),
            PacError::Malformed,
            "offset {offset}"
        );
    }
    let mut p = good.clone();
    put32(&mut p, size_at, len as u32);
    assert_eq!(Pac::parse(&p).unwrap_err(), PacError::Malformed);
}

#[test]
fn signatures_must_be_present_unique_and_well_formed() {
    let k = server_key();
    // Two server signatures.
    let mut b = alices();
    b.push((PAC_SERVER_CHECKSUM, empty_signature(AES)));
    b.push((PAC_SERVER_CHECKSUM, empty_signature(AES)));
    b.push((PAC_PRIVSVR_CHECKSUM, empty_signature(AES)));
    let pac = build::encode(&b);
    assert_eq!(check(&pac), Err(PacError::Malformed));
    // No server signature, or no KDC signature.
    for missing in [PAC_SERVER_CHECKSUM, PAC_PRIVSVR_CHECKSUM] {
        let mut b = alices();
        for t in [PAC_SERVER_CHECKSUM, PAC_PRIVSVR_CHECKSUM] {
            if t != missing {
                b.push((t, empty_signature(AES)));
            }
        }
        let pac = build::encode(&b);
        assert_eq!(
            verify_pac(&pac, &k, &alice(), AUTHTIME),
            Err(PacError::MissingSignature)
        );
    }
    // A KDC signature shorter than its type, or of an unknown type.
    let good = signed(alices());
    let parsed = Pac::parse(&good).unwrap();
    let kdc = parsed.unique(PAC_PRIVSVR_CHECKSUM).unwrap().unwrap();
    let entry = 8 + 16 * parsed.buffers.iter().position(|b| *b == kdc).unwrap();
    let mut p = good.clone();
    put32(&mut p, entry + 4, 4 + 11);
    assert_eq!(check(&p), Err(PacError::Malformed));
    let mut p = good.clone();
    put32(&mut p, kdc.offset, 1); // CRC32: not keyed
    assert_eq!(check(&p), Err(PacError::Malformed));
    assert!(SignatureData::parse(&[0x10, 0, 0]).is_err());
}

#[test]
fn server_signature_covers_every_byte_but_the_signatures() {
    let good = signed(alices());
    assert!(check(&good).is_ok());
    let parsed = Pac::parse(&good).unwrap();
    let server = parsed.unique(PAC_SERVER_CHECKSUM).unwrap().unwrap();
    let kdc = parsed.unique(PAC_PRIVSVR_CHECKSUM).unwrap().unwrap();
    let zeroed = |i: usize| {
        [server, kdc]
            .iter()
            .any(|b| i >= b.offset + 4 && i < b.offset + b.size)
    };
    for i in 0..good.len() {
        let mut p = good.clone();
        p[i] ^= 0x01;
        let r = check(&p);
        if zeroed(i) && !(i >= server.offset + 4 && i < server.offset + server.size) {
            // A KDC signature byte: not the server's to check.
            assert!(r.is_ok(), "byte {i}");
        } else {
            assert!(r.is_err(), "byte {i} flipped was accepted");
        }
    }
}

#[test]
fn rc4_signature_under_an_aes_key_is_the_wrong_type() {
    let rc4 = key(EncryptionType::Rc4Hmac, &"5a".repeat(16));
    let mut b = alices();
    b.push((PAC_SERVER_CHECKSUM, empty_signature(ChecksumType::HmacMd5)));
    b.push((PAC_PRIVSVR_CHECKSUM, empty_signature(ChecksumType::HmacMd5)));
    let mut pac = build::encode(&b);
    build::sign(&mut pac, &rc4, &rc4).unwrap();
    assert!(verify_pac(&pac, &rc4, &alice(), AUTHTIME).is_ok());
    assert_eq!(check(&pac), Err(PacError::WrongChecksumType));
}

#[test]
fn client_info_must_be_the_tickets() {
    assert!(check(&signed(alices())).is_ok());
    for (t, name) in [
        (AUTHTIME + 1, "alice"),
        (AUTHTIME, "bob"),
        (AUTHTIME, "Alice"),
    ] {
        let pac = signed(vec![(PAC_CLIENT_INFO, client_info(t, name))]);
        assert_eq!(check(&pac), Err(PacError::ClientMismatch), "{t} {name}");
    }
    // The realm is not part of the name; a second component is.
    let pac = signed(vec![(PAC_CLIENT_INFO, client_info(AUTHTIME, "alice@R"))]);
    assert_eq!(check(&pac), Err(PacError::ClientMismatch));
    let pac = signed(vec![(PAC_CLIENT_INFO, client_info(AUTHTIME, "host/a"))]);
    assert!(verify_pac(
        &pac,
        &server_key(),
        &principal(&["host", "a"], "R"),
        AUTHTIME
    )
    .is_ok());
    // No client info at all, or two.
    assert_eq!(check(&signed(vec![])), Err(PacError::ClientMismatch));
    let mut two = alices();
    two.extend(alices());
    assert_eq!(check(&signed(two)), Err(PacError::Malformed));
    // A name longer than the buffer, an odd length, a lone surrogate.
    let mut ci = client_info(AUTHTIME, "alice");
    ci[8] = 12;
    assert_eq!(
        check(&signed(vec![(PAC_CLIENT_INFO, ci)])),
        Err(PacError::Malformed)
    );
    let mut ci = client_info(AUTHTIME, "alice");
    ci[8] = 9;
    assert_eq!(
        check(&signed(vec![(PAC_CLIENT_INFO, ci)])),
        Err(PacError::Malformed)
    );
    let mut ci = client_info(AUTHTIME, "");
    ci[8] = 2;
    ci.extend_from_slice(&0xd800u16.to_le_bytes());
    assert_eq!(
        check(&signed(vec![(PAC_CLIENT_INFO, ci)])),
        Err(PacError::Malformed)
    );
    // A ClientId before 1970.
    assert_eq!(ClientInfo::parse(&[0; 10]).unwrap().authtime(), None);
}

fn upn_info(upn: &str, dns: &str, extended: Option<(&str, &[u8])>) -> Vec<u8> {
    let u16le = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let fixed = if extended.is_some() { 20 } else { 12 };
    let mut strings: Vec<Vec<u8>> = vec![u16le(upn), u16le(dns)];
    if let Some((sam, sid)) = extended {
        strings.push(u16le(sam));
        strings.push(sid.to_vec());
    }
    let mut head = Vec::new();
    let mut tail = Vec::new();
    for (i, s) in strings.iter().enumerate() {
        head.extend_from_slice(&(s.len() as u16).to_le_bytes());
        head.extend_from_slice(&((fixed + tail.len()) as u16).to_le_bytes());
        tail.extend_from_slice(s);
        if i == 1 {
            let flags = if extended.is_some() {
                UPN_FLAG_EXTENDED
            } else {
                0
            };
            head.extend_from_slice(&flags.to_le_bytes());
        }
    }
    head.extend(tail);
    head
}

#[test]
fn upn_dns_info_is_decoded_with_its_extension() {
    let sid = crate::lsa::session::Sid::for_account("R", "alice");
    let mut b = alices();
    b.push((
        PAC_UPN_DNS_INFO,
        upn_info("alice@r.test", "R.TEST", Some(("alice", &sid.to_bytes()))),
    ));
    let first = build::logon_info(&validation_info());
    let second = build::logon_info(&ValidationInfo {
        user_id: 2000,
        ..validation_info()
    });
    b.push((PAC_LOGON_INFO, first.clone()));
    b.push((PAC_LOGON_INFO, second));
    let v = check(&signed(b)).unwrap();
    let u = v.upn_dns_info.unwrap();
    assert_eq!(
        (u.upn.as_str(), u.dns_domain_name.as_str()),
        ("alice@r.test", "R.TEST")
    );
    assert_eq!((u.sam_name.as_deref(), u.sid), (Some("alice"), Some(sid)));
    // The first LOGON_INFO; later ones are ignored (MS-PAC 2.4).
    assert_eq!(v.logon_info, Some(first));
    assert_eq!(v.validation_info, Some(validation_info()));
    let plain = UpnDnsInfo::parse(&upn_info("a@b", "B", None)).unwrap();
    assert_eq!((plain.sam_name, plain.sid), (None, None));
    // A string past the buffer, a bad SID, the extension flag without it.
    let mut bad = upn_info("a@b", "B", None);
    bad[0] = 200;
    assert_eq!(UpnDnsInfo::parse(&bad), Err(PacError::Malformed));
    let bad = upn_info("a@b", "B", Some(("a", &[1, 5, 0])));
    assert_eq!(UpnDnsInfo::parse(&bad), Err(PacError::Malformed));
    let mut bad = upn_info("a@b", "B", None);
    bad[8] = UPN_FLAG_EXTENDED as u8;
    assert_eq!(UpnDnsInfo::parse(&bad), Err(PacError::Malformed));
    // A malformed UPN_DNS_INFO makes the PAC malformed.
    let mut b = alices();
    b.push((PAC_UPN_DNS_INFO, vec![1, 2]));
    assert_eq!(check(&signed(b)), Err(PacError::Malformed));
}

/// An AuthorizationData of (ad-type, ad-data) elements.
fn ad(elements: &[(i64, Vec<u8>)]) -> Vec<u8> {
    use crate::packages::kerberos::ap_wire::{der_encode, int_asn1};
    use picky_asn1::wrapper::{
        Asn1SequenceOf, ExplicitContextTag0, ExplicitContextTag1, OctetStringAsn1,
    };
    use picky_krb::data_types::AuthorizationDataInner;
    let v: Vec<AuthorizationDataInner> = elements
        .iter()
        .map(|(t, d)| AuthorizationDataInner {
            ad_type: ExplicitContextTag0::from(int_asn1(*t)),
            ad_data: ExplicitContextTag1::from(OctetStringAsn1::from(d.clone())),
        })
        .collect();
    der_encode(&Asn1SequenceOf::from(v)).unwrap()
}

#[test]
fn pac_is_found_in_if_relevant_and_two_are_refused() {
    use authz_data::{find_pac, AD_IF_RELEVANT, AD_WIN2K_PAC};
    let pac = signed(alices());
    let relevant = |inner: &[(i64, Vec<u8>)]| (AD_IF_RELEVANT, ad(inner));
    let one = ad(&[(70, vec![1]), relevant(&[(AD_WIN2K_PAC, pac.clone())])]);
    assert_eq!(find_pac(&one).unwrap(), Some(pac.clone()));
    assert_eq!(find_pac(&ad(&[(70, vec![1])])).unwrap(), None);
    for two in [
        ad(&[relevant(&[
            (AD_WIN2K_PAC, pac.clone()),
            (AD_WIN2K_PAC, pac.clone()),
        ])]),
        ad(&[
            relevant(&[(AD_WIN2K_PAC, pac.clone())]),
            relevant(&[(AD_WIN2K_PAC, pac.clone())]),
        ]),
        ad(&[
            (AD_WIN2K_PAC, pac.clone()),
            relevant(&[(AD_WIN2K_PAC, pac.clone())]),
        ]),
    ] {
        assert_eq!(find_pac(&two), Err(PacError::MultiplePacs));
    }
    // Not DER, or too deeply nested containers.
    assert_eq!(find_pac(&[0x30, 0x05, 0x01]), Err(PacError::Malformed));
    let mut nested = ad(&[(AD_WIN2K_PAC, pac.clone())]);
    for _ in 0..8 {
        nested = ad(&[(AD_IF_RELEVANT, nested)]);
    }
    assert_eq!(find_pac(&nested), Err(PacError::Malformed));
}

#[test]
fn real_pacs_survive_every_truncation_and_byte_flip() {
    let pacs: [&[u8]; 3] = [
        include_bytes!("../../../../tests/vectors/pac/mit-t_pac-saved_pac.bin"),
        include_bytes!("../../../../tests/vectors/pac/mit-t_pac-s4u_pac_regular.bin"),
        include_bytes!("../../../../tests/vectors/pac/mit-t_pac-s4u_pac_enterprise.bin"),
    ];
    let k = key(EncryptionType::Aes256CtsHmacSha196, S4U_SRV_KEY);
    for pac in pacs {
        for n in 0..pac.len() {
            let _ = verify_pac(&pac[..n], &k, &alice(), 0);
        }
        for i in 0..pac.len() {
            let mut p = pac.to_vec();
            p[i] ^= 0xff;
            let _ = verify_pac(&p, &k, &alice(), 0);
            let _ = UpnDnsInfo::parse(&p);
        }
    }
}

/// alice's KERB_VALIDATION_INFO with every list populated.
fn validation_info() -> ValidationInfo {
    let domain = crate::lsa::session::Sid::from_bytes(&[
        1, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,
    ])
    .unwrap();
    let other = crate::lsa::session::Sid::for_account("OTHER", "x");
    ValidationInfo {
        logon_time: 133_000_000_000_000_000,
        password_last_set: 132_000_000_000_000_000,
        effective_name: "alice".into(),
        full_name: "Alice Example".into(),
        logon_script: String::new(),
        profile_path: "\\\\srv\\p".into(),
        home_directory: String::new(),
        home_directory_drive: "H:".into(),
        logon_count: 3,
        bad_password_count: 1,
        user_id: 1102,
        primary_group_id: 513,
        group_ids: vec![
            GroupMembership {
                relative_id: 513,
                attributes: 7,
            },
            GroupMembership {
                relative_id: 1200,
                attributes: 7,
            },
        ],
        user_flags: LOGON_EXTRA_SIDS | LOGON_RESOURCE_GROUPS,
        logon_server: "DC1".into(),
        logon_domain_name: "R".into(),
        logon_domain_id: Some(domain),
        user_account_control: 0x210,
        extra_sids: vec![
            SidAndAttributes {
                sid: crate::lsa::session::Sid::from_bytes(&[1, 1, 0, 0, 0, 0, 0, 18, 1, 0, 0, 0])
                    .unwrap(),
                attributes: 7,
            },
            SidAndAttributes {
                sid: other.clone(),
                attributes: 7,
            },
        ],
        resource_group_domain_sid: Some(other),
        resource_group_ids: vec![GroupMembership {
            relative_id: 572,
            attributes: 0x2000_0007,
        }],
    }
}

#[test]
fn validation_info_round_trips_and_names_the_user() {
    let vi = validation_info();
    let b = build::logon_info(&vi);
    assert_eq!(&b[..4], &[1, 0x10, 8, 0]);
    assert_eq!(b.len() % 8, 0);
    let back = ValidationInfo::decode(&b).unwrap();
    assert_eq!(back, vi);
    assert_eq!(back.user_sid().unwrap().to_string(), "S-1-5-21-1-2-3-1102");
    assert_eq!(back.group_sids().len(), 5);
    // Empty lists and no domain SID.
    let bare = ValidationInfo {
        group_ids: vec![],
        extra_sids: vec![],
        resource_group_domain_sid: None,
        resource_group_ids: vec![],
        logon_domain_id: None,
        ..validation_info()
    };
    let back = ValidationInfo::decode(&build::logon_info(&bare)).unwrap();
    assert_eq!(back, bare);
    assert_eq!((back.user_sid(), back.group_sids()), (None, vec![]));
}

#[test]
fn hostile_validation_info_is_malformed_not_a_panic() {
    let good = build::logon_info(&validation_info());
    for n in 0..good.len() {
        let _ = ValidationInfo::decode(&good[..n]);
    }
    for i in 0..good.len() {
        for x in [0x01, 0x80, 0xff] {
            let mut b = good.clone();
            b[i] ^= x;
            let _ = ValidationInfo::decode(&b);
        }
    }
    // Headers: not version 1 little-endian, a length past the buffer.
    let mut b = good.clone();
    b[1] = 0x00;
    assert_eq!(ValidationInfo::decode(&b), Err(PacError::Malformed));
    let mut b = good.clone();
    b[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(ValidationInfo::decode(&b), Err(PacError::Malformed));
    // GroupCount huge (checked against the bytes left, nothing allocated):
    // the fixed part's GroupCount is at body offset 4 + 6*8 + 6*8 + 2*2 + 2*4.
    let at = 16 + 4 + 48 + 48 + 4 + 8;
    let mut b = good.clone();
    b[at..at + 4].copy_from_slice(&0x2000_0000u32.to_le_bytes());
    assert_eq!(ValidationInfo::decode(&b), Err(PacError::Malformed));
    // A string whose ActualCount disagrees with its Length.
    let bad = ValidationInfo {
        effective_name: "alice".into(),
        ..validation_info()
    };
    let mut b = build::logon_info(&bad);
    let body = 16 + 4 + 48;
    b[body] = 12; // EffectiveName.Length
    assert_eq!(ValidationInfo::decode(&b), Err(PacError::Malformed));
    // A PAC whose LOGON_INFO does not decode is malformed.
    let mut pac = alices();
    pac.push((PAC_LOGON_INFO, vec![9; 24]));
    assert_eq!(check(&signed(pac)), Err(PacError::Malformed));
}
