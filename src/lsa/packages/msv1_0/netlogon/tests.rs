//! Known answers captured from Samba 4.17's DC (tests/samba_dc.rs's peer)
//! and attacks on the secure channel's sealing and on the NDR decoder.

use super::credential::*;
use super::ndr::NdrReader;
use super::nrpc::*;
use super::schannel::*;
use crate::lsa::packages::msv1_0::owf::nt_owf_v1;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// NetrServerReqChallenge / NetrServerAuthenticate3 as MEMBER1$ (password
/// Member-Passw0rd1) against the DC: the DC computed ServerCredential.
const CLIENT_CHALLENGE: &str = "1122334455667788";
const SERVER_CHALLENGE: &str = "5f3905c9f37b2ba8";
const SESSION_KEY: &str = "0d2235de8e4b00420505ddebeb5db407";
const CLIENT_CREDENTIAL: &str = "3a4356c2bb57ea6a";
const SERVER_CREDENTIAL: &str = "7425503458edbbb5";

/// NetrLogonSamLogonEx's unsealed reply (level 6) for alice.
const SAM_LOGON_REPLY: &str = "060000001c0002000000000000000000ffffffffffffff7fffffffffffffff7fd2cc1741f484dd01d2cc1741f484dd01ffffffffffffff7f0a000a00200002001a001a00240002000000000028000200000000002c00020000000000300002000000000034000200000000004e040000010200000100000038000200000000004d659cb0f4cddb631e871ce44b3672d0060008003c0002001200140040000200440002004d659cb0f4cddb63100200000000000000000000000000000000000000000000000000000000000000000000000000001e001e00480002002a002a004c000200000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005000000000000000500000061006c0069006300650000000d000000000000000d00000041006c0069006300650020004500780061006d0070006c006500000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001000000010200000700000004000000000000000300000044004300310000000a0000000000000009000000410044004500580041004d0050004c0045000000040000000104000000000005150000000e8afd9fbec0622ec40883c80f000000000000000f000000610064002e006500780061006d0070006c0065002e007400650073007400000015000000000000001500000061006c006900630065004000610064002e006500780061006d0070006c0065002e00740065007300740001000000000000000000";

fn arr8(s: &str) -> [u8; 8] {
    h(s).try_into().unwrap()
}

#[test]
fn aes_session_key_and_credentials_match_the_dc() {
    let owf = nt_owf_v1("Member-Passw0rd1");
    let c = ChannelCredentials::new(&owf, &arr8(CLIENT_CHALLENGE), &arr8(SERVER_CHALLENGE));
    assert_eq!(hex::encode(&c.session_key[..]), SESSION_KEY);
    assert_eq!(hex::encode(c.client_credential), CLIENT_CREDENTIAL);
    assert!(c.verify_server_credential(&arr8(SERVER_CREDENTIAL)));
}

#[test]
fn a_forged_server_credential_is_refused() {
    let owf = nt_owf_v1("Member-Passw0rd1");
    let c = ChannelCredentials::new(&owf, &arr8(CLIENT_CHALLENGE), &arr8(SERVER_CHALLENGE));
    let mut forged = arr8(SERVER_CREDENTIAL);
    forged[7] ^= 1;
    assert!(!c.verify_server_credential(&forged));
    // A DC that does not know the machine password.
    let wrong = ChannelCredentials::new(
        &nt_owf_v1("wrong"),
        &arr8(CLIENT_CHALLENGE),
        &arr8(SERVER_CHALLENGE),
    );
    assert!(!wrong.verify_server_credential(&arr8(SERVER_CREDENTIAL)));
}

fn pair() -> (SchannelSeal, SchannelSeal) {
    let k: [u8; 16] = h(SESSION_KEY).try_into().unwrap();
    (SchannelSeal::client(&k), SchannelSeal::server(&k))
}

#[test]
fn sealed_both_ways_with_a_shared_sequence() {
    let (mut client, mut server) = pair();
    for round in 0..3u8 {
        let msg = vec![round; 37];
        let mut data = msg.clone();
        let sig = client.seal(&mut data);
        assert_ne!(data, msg);
        assert_eq!(sig[32..], [0u8; 24]);
        server.unseal(&mut data, &sig).unwrap();
        assert_eq!(data, msg);
        let mut back = msg.clone();
        let sig = server.seal(&mut back);
        client.unseal(&mut back, &sig).unwrap();
        assert_eq!(back, msg);
    }
}

/// The sealing the DC accepted (tests/samba_dc.rs), as a regression vector.
#[test]
fn seal_regression_vector() {
    let (mut client, _) = pair();
    let mut data = b"NetrLogonSamLogonEx stub".to_vec();
    let sig = client.seal_with(&mut data, *b"confound");
    assert_eq!(hex::encode(&data), SEALED_DATA);
    assert_eq!(hex::encode(sig), SEALED_SIG);
}

const SEALED_DATA: &str = "591b27210eec4badbceacac19ada9f28b16d66b75b81eddf";
const SEALED_SIG: &str =
    "13001a00ffff000037c757b542d09d893953dcc97c4b9219d429f528a36deb5f000000000000000000000000000000000000000000000000";

#[test]
fn tampered_data_is_refused() {
    let (mut client, mut server) = pair();
    let mut data = b"pass-through logon".to_vec();
    let sig = client.seal(&mut data);
    data[3] ^= 0x40;
    assert_eq!(
        server.unseal(&mut data, &sig),
        Err(SignatureError::Checksum)
    );
}

#[test]
fn tampered_signature_fields_are_refused() {
    let (mut client, _) = pair();
    let mut data = b"pass-through logon".to_vec();
    let sig = client.seal(&mut data);
    for i in [0usize, 9, 17, 25] {
        let (_, mut server) = pair();
        let mut d = data.clone();
        let mut s = sig;
        s[i] ^= 1;
        assert!(server.unseal(&mut d, &s).is_err(), "byte {i}");
    }
    let (_, mut server) = pair();
    assert_eq!(
        server.unseal(&mut data.clone(), &sig[..40]),
        Err(SignatureError::Malformed)
    );
}

#[test]
fn a_replayed_message_is_refused() {
    let (mut client, mut server) = pair();
    let mut data = b"logon".to_vec();
    let sig = client.seal(&mut data);
    let copy = data.clone();
    server.unseal(&mut data, &sig).unwrap();
    let mut replay = copy;
    assert_eq!(
        server.unseal(&mut replay, &sig),
        Err(SignatureError::Sequence)
    );
}

#[test]
fn a_message_reflected_to_its_sender_is_refused() {
    let (mut client, _) = pair();
    let k: [u8; 16] = h(SESSION_KEY).try_into().unwrap();
    let mut other_client = SchannelSeal::client(&k);
    let mut data = b"logon".to_vec();
    let sig = client.seal(&mut data);
    assert_eq!(
        other_client.unseal(&mut data, &sig),
        Err(SignatureError::Sequence)
    );
}

#[test]
fn sam_logon_reply_from_the_dc_decodes() {
    let v = sam_logon_ex_reply(&h(SAM_LOGON_REPLY), VALIDATION_SAM_INFO4).unwrap();
    assert_eq!(v.effective_name, "alice");
    assert_eq!(v.full_name, "Alice Example");
    assert_eq!(v.user_id, 1102);
    assert_eq!(v.primary_group_id, 513);
    assert_eq!(v.groups, vec![(513, 7)]);
    assert_eq!(v.logon_server, "DC1");
    assert_eq!(v.logon_domain_name, "ADEXAMPLE");
    assert_eq!(
        v.user_sid().to_string(),
        "S-1-5-21-2684193294-778223806-3364030660-1102"
    );
    assert_eq!(v.dns_domain_name, "ad.example.test");
    assert_eq!(v.upn, "alice@ad.example.test");
}

#[test]
fn every_truncation_of_a_sam_logon_reply_is_an_error() {
    let full = h(SAM_LOGON_REPLY);
    for n in 0..full.len() {
        // Keep a success status at the end so the decoder walks the body.
        let mut t = full[..n].to_vec();
        t.extend_from_slice(&[0, 0, 0, 0]);
        let _ = sam_logon_ex_reply(&t, VALIDATION_SAM_INFO4);
    }
    for n in 0..full.len() - 4 {
        assert!(sam_logon_ex_reply(&full[..n], VALIDATION_SAM_INFO4).is_err());
    }
}

#[test]
fn hostile_counts_do_not_allocate_or_panic() {
    let mut r = NdrReader::new(&[0xff, 0xff, 0xff, 0x7f]);
    assert!(r.count(8).is_err());
    let mut bytes = h(SAM_LOGON_REPLY);
    // Flip every byte in turn: never a panic.
    for i in 0..bytes.len() {
        bytes[i] ^= 0xff;
        let _ = sam_logon_ex_reply(&bytes, VALIDATION_SAM_INFO4);
        bytes[i] ^= 0xff;
    }
}

#[test]
fn status_of_a_failed_logon_is_returned() {
    let reply = h("0600000000000000010000000000000000006ac0");
    assert!(matches!(
        sam_logon_ex_reply(&reply[..reply.len()], VALIDATION_SAM_INFO4),
        Err(NrpcError::Status(_))
    ));
}

#[test]
fn ept_map_reply_truncations_are_errors() {
    let req = ept_map_request();
    assert!(ept_map_port(&req).is_err());
    for n in 0..40 {
        assert!(ept_map_port(&vec![0u8; n]).is_err());
    }
}

#[test]
fn member_config_parses_and_names_the_target() {
    use super::member::MemberConfig;
    let c = MemberConfig::parse(
        "# member\ndomain = ADEXAMPLE\ndns_domain = ad.example.test # DNS\ndc = 127.0.0.2\n\
         machine = MEMBER1$\npassword = pa#ss word\n",
    )
    .unwrap();
    assert_eq!(c.machine, "MEMBER1");
    assert_eq!(&*c.password, "pa#ss word");
    assert_eq!(c.port, None);
    assert!(c.is_member_domain("adexample") && c.is_member_domain("AD.EXAMPLE.TEST"));
    assert!(!c.is_member_domain("OTHER"));
    assert_eq!(
        c.target_names(),
        [
            "ADEXAMPLE",
            "MEMBER1",
            "ad.example.test",
            "member1.ad.example.test"
        ]
        .map(String::from)
    );
    assert!(!format!("{c:?}").contains("pa#ss"));
    assert!(MemberConfig::parse("domain = A\ndc = x\nmachine = M\n").is_err());
    assert!(MemberConfig::parse("domain = A\nbogus = 1\n").is_err());
}

#[test]
fn a_member_config_readable_by_others_is_refused() {
    use super::member::MemberConfig;
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("opensspi-member-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("member.conf");
    std::fs::write(&p, "domain = A\ndc = x\nmachine = M\npassword = p\n").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(MemberConfig::load(&p).is_err());
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(MemberConfig::load(&p).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dc_refusals_and_outages_map_to_windows_statuses() {
    use super::pass_through::sec_status;
    use super::rpc::RpcError;
    use crate::sspi::SecStatus;
    for s in [0xc000_006a, 0xc000_006d, 0xc000_0064, 0xc000_0072] {
        assert_eq!(sec_status(&NrpcError::Status(s)), SecStatus::LogonDenied);
    }
    for e in [
        NrpcError::Rpc(RpcError::Io("refused".into())),
        NrpcError::Status(0xc000_005e),
        NrpcError::Status(0xc000_0022),
        NrpcError::ServerCredential,
    ] {
        assert_eq!(sec_status(&e), SecStatus::NoAuthenticatingAuthority);
    }
}

#[test]
fn rpc_pdu_truncations_and_bad_lengths_are_errors() {
    use super::rpc::parse_pdu;
    // A response PDU with an auth verifier of 56 bytes.
    let mut pdu = vec![5, 0, 2, 3, 0x10, 0, 0, 0];
    let body = [0u8; 8 + 16];
    let frag_len = 16 + body.len() + 8 + 56;
    pdu.extend_from_slice(&(frag_len as u16).to_le_bytes());
    pdu.extend_from_slice(&56u16.to_le_bytes());
    pdu.extend_from_slice(&7u32.to_le_bytes());
    pdu.extend_from_slice(&body);
    pdu.extend_from_slice(&[0x44, 6, 0, 0, 1, 0, 0, 0]);
    pdu.extend_from_slice(&[0u8; 56]);
    let p = parse_pdu(&pdu).unwrap();
    assert_eq!((p.ptype, p.call_id, p.body.len()), (2, 7, 24));
    assert_eq!(p.auth.unwrap().1.len(), 56);
    for n in 0..pdu.len() {
        assert!(parse_pdu(&pdu[..n]).is_err(), "truncated to {n}");
    }
    // auth_length larger than the fragment.
    let mut bad = pdu.clone();
    bad[10..12].copy_from_slice(&0xfff0u16.to_le_bytes());
    assert!(parse_pdu(&bad).is_err());
    // Big-endian data representation.
    let mut be = pdu.clone();
    be[4] = 0;
    assert!(parse_pdu(&be).is_err());
}

#[test]
fn authenticate3_and_req_challenge_replies_are_bounds_checked() {
    let ok = h("7425503458edbbb5ffff0f6150040000");
    let mut full = ok.clone();
    full.extend_from_slice(&[0, 0, 0, 0]);
    let (cred, flags, rid) = authenticate3_reply(&full).unwrap();
    assert_eq!(
        (cred, flags, rid),
        (arr8(SERVER_CREDENTIAL), 0x610f_ffff, 1104)
    );
    for n in 0..full.len() {
        assert!(authenticate3_reply(&full[..n]).is_err());
    }
    let mut denied = ok;
    denied.extend_from_slice(&0xc000_0022u32.to_le_bytes());
    assert_eq!(
        authenticate3_reply(&denied).unwrap_err(),
        NrpcError::Status(0xc000_0022)
    );
    let rc = h("5f3905c9f37b2ba800000000");
    assert_eq!(req_challenge_reply(&rc).unwrap(), arr8(SERVER_CHALLENGE));
    for n in 0..rc.len() {
        assert!(req_challenge_reply(&rc[..n]).is_err());
    }
}
