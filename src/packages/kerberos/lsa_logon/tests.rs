use super::*;
use crate::lsa::packages::PackageCredential;
use crate::packages::kerberos::crypto::Key;
use crate::packages::kerberos::kdc::error::KrbErrorInfo;
use crate::packages::kerberos::principal::{NT_PRINCIPAL, NT_SRV_INST};

fn krb(code: i32) -> KdcError {
    KdcError::Krb(KrbErrorInfo {
        code,
        realm: "R".into(),
        crealm: None,
        e_text: None,
        e_data: None,
    })
}

/// Each KDC failure gives the status Windows' LsaLogonUser returns; a
/// wrong password and an unknown user are indistinguishable.
#[test]
fn kdc_failures_map_to_the_logon_statuses_of_windows() {
    let failure = LogonError::new(NtStatus::LOGON_FAILURE);
    assert_eq!(logon_error(&krb(code::KDC_ERR_PREAUTH_FAILED)), failure);
    assert_eq!(
        logon_error(&krb(code::KDC_ERR_C_PRINCIPAL_UNKNOWN)),
        failure
    );
    assert_eq!(logon_error(&krb(code::KRB_AP_ERR_BAD_INTEGRITY)), failure);
    assert_eq!(logon_error(&KdcError::ReplyIntegrity), failure);
    assert_eq!(logon_error(&KdcError::BadReply("nonce")), failure);
    assert_eq!(
        logon_error(&KdcError::Unreachable("R".into())).status,
        NtStatus::NO_LOGON_SERVERS
    );
    assert_eq!(
        logon_error(&KdcError::NoKdc("R".into())).status,
        NtStatus::NO_LOGON_SERVERS
    );
    assert_eq!(
        logon_error(&krb(code::KRB_AP_ERR_SKEW)).status,
        NtStatus::TIME_DIFFERENCE_AT_DC
    );
    let restricted = |sub| LogonError::with_sub_status(NtStatus::ACCOUNT_RESTRICTION, sub);
    assert_eq!(
        logon_error(&krb(code::KDC_ERR_KEY_EXPIRED)),
        restricted(NtStatus::PASSWORD_EXPIRED)
    );
    assert_eq!(
        logon_error(&krb(code::KDC_ERR_CLIENT_REVOKED)),
        restricted(NtStatus::ACCOUNT_DISABLED)
    );
    assert_eq!(
        logon_error(&krb(code::KDC_ERR_NAME_EXP)),
        restricted(NtStatus::ACCOUNT_EXPIRED)
    );
}

fn ticket() -> TicketCredential {
    TicketCredential {
        client: PrincipalName::new(NT_PRINCIPAL, &["alice"], "R"),
        server: PrincipalName::new(NT_SRV_INST, &["krbtgt", "R"], "R"),
        ticket: vec![0x61, 3, 1, 2, 3],
        session_key: Key::new(EncryptionType::Aes256CtsHmacSha196, &[9; 32]).unwrap(),
        flags: 0x40e1_0000,
        authtime: 1_700_000_000,
        starttime: Some(1_700_000_001),
        endtime: 1_700_036_000,
        renew_till: Some(1_700_600_000),
    }
}

/// A TGT goes into the LSA's cache as an MIT ccache credential and comes
/// back whole; its KERB_TICKET_CACHE_INFO fields are Windows' (FILETIME,
/// RFC 4120 flags, session key etype); damaged bytes decode to nothing.
#[test]
fn cached_ticket_round_trip() {
    let t = ticket();
    let c = cached_ticket(&t, &t.server);
    assert_eq!(c.server_name, "krbtgt/R");
    assert_eq!(c.realm_name, "R");
    assert_eq!(c.encryption_type, 18);
    assert_eq!(c.ticket_flags, 0x40e1_0000);
    assert_eq!(c.start_time, (1_700_000_001 + 11_644_473_600) * 10_000_000);
    assert_eq!(c.end_time, (1_700_036_000 + 11_644_473_600) * 10_000_000);
    assert_eq!(ticket_credential(&c), Some(t.clone()));
    // Through the LSA credential's store form as well.
    let k = KerberosCredential {
        renewable_with_keys: false,
        principal: "alice@R".into(),
        realm: "R".into(),
        keys: Vec::new(),
        tgt: Some(c.clone()),
        service_tickets: vec![c.clone()],
    };
    let back = KerberosCredential::decode(&k.encode()).unwrap();
    assert_eq!(ticket_credential(back.tgt.as_ref().unwrap()), Some(t));
    let mut bad = c.clone();
    bad.encoded.push(0);
    assert_eq!(ticket_credential(&bad), None);
    bad.encoded.truncate(10);
    assert_eq!(ticket_credential(&bad), None);
}

/// A local account (the computer's domain) and a domain without a KDC
/// get no Kerberos keys; a realm account gets string-to-key keys of the
/// configured etypes without any KDC exchange.
#[test]
fn accept_credentials_derives_keys_only_for_a_reachable_realm() {
    let config = Krb5Config::parse(
        "[libdefaults]\n default_realm = EXAMPLE.TEST\n \
         default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96\n\
         [realms]\n EXAMPLE.TEST = {\n  kdc = 127.0.0.1:1\n }\n",
        "test",
    );
    let req = InteractiveLogon::new("", "alice", "pw");
    let local = ValidatedLogon {
        user: "alice".into(),
        domain: computer_name().to_string(),
        logon_server: String::new(),
        dns_domain_name: String::new(),
        upn: String::new(),
    };
    assert!(accept_with(&config, &local, &req).is_none());
    let no_kdc = ValidatedLogon {
        domain: "EXAMPLE".into(),
        ..local.clone()
    };
    assert!(accept_with(&config, &no_kdc, &req).is_none());
    let realm = ValidatedLogon {
        domain: "example.test".into(),
        ..local
    };
    let k = accept_with(&config, &realm, &req).unwrap();
    assert_eq!(k.principal, "alice@EXAMPLE.TEST");
    assert!(k.tgt.is_none());
    let etypes: Vec<i32> = k.keys.iter().map(|k| k.etype).collect();
    assert_eq!(etypes, [18, 17]);
    for key in &k.keys {
        let etype = EncryptionType::from_i32(key.etype).unwrap();
        let expect = string_to_key(etype, "pw", b"EXAMPLE.TESTalice", None).unwrap();
        assert_eq!(&key.key[..], expect.as_bytes());
    }
}
