//! The KDC client against MIT's KDC: two throwaway realms
//! (`tests/peers/setup-kdc.sh`, EXAMPLE.TEST and OTHER.TEST with a
//! cross-realm trust) shared by the tests of this binary and stopped and
//! deleted when it exits, whatever the outcome (a watchdog shell waits for
//! this process). Needs krb5-kdc, krb5-admin-server and krb5-user.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::krb_realm::{free_port, realm_env, scripts, setup_kdc};
use opensspi::packages::kerberos::config::Krb5Config;
use opensspi::packages::kerberos::creds::{load_ccache, store_in_ccache, ServiceTicket};
use opensspi::packages::kerberos::crypto::{self, usage, EncryptionType, Key};
use opensspi::packages::kerberos::filecodec::Principal;
use opensspi::packages::kerberos::kdc::as_exchange::{request_tgt, AsOptions};
use opensspi::packages::kerberos::kdc::error::code;
use opensspi::packages::kerberos::kdc::tgs_exchange::{request_service_ticket, TgsOptions};
use opensspi::packages::kerberos::kdc::transport::{NetTransport, Timeouts, Transport};
use opensspi::packages::kerberos::kdc::wire::now;
use opensspi::packages::kerberos::kdc::KdcError;
use opensspi::packages::kerberos::keytab::Keytab;
use opensspi::packages::kerberos::principal::{PrincipalName, NT_PRINCIPAL};
use opensspi::sspi::status::SecStatus;
use picky_krb::data_types::{EncTicketPart, Ticket};
use zeroize::Zeroizing;

const REALM: &str = "EXAMPLE.TEST";
const OTHER: &str = "OTHER.TEST";
const CROSS_PASS: &str = "cross-Passw0rd";

/// One realm's directory and KDC port.
struct Realm {
    dir: PathBuf,
    port: u16,
    name: &'static str,
}

impl Realm {
    fn start(name: &'static str, extra_domain_realm: &str) -> Realm {
        let dir = std::env::temp_dir().join(format!(
            "opensspi-krbkdc-{}-{}",
            name.to_ascii_lowercase(),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // Stop and delete the realm when this test process is gone, even
        // after a panic or a kill.
        // (A background shell, so that the one we wait for returns at once.)
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "(while kill -0 {pid} 2>/dev/null; do sleep 1; done; '{stop}' '{dir}' --purge) \
                 </dev/null >/dev/null 2>&1 &",
                pid = std::process::id(),
                stop = scripts().join("stop-kdc.sh").display(),
                dir = dir.display()
            ))
            .status()
            .expect("start the realm watchdog");
        assert!(status.success());
        let port = setup_kdc(
            &dir,
            &[("REALM", name), ("EXTRA_DOMAIN_REALM", extra_domain_realm)],
        );
        Realm { dir, port, name }
    }

    fn tool(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        realm_env(&self.dir, &mut c);
        c
    }

    fn kadmin(&self, query: &str) {
        let out = self
            .tool("kadmin.local")
            .args(["-r", self.name, "-q", query])
            .output()
            .unwrap();
        assert!(out.status.success(), "kadmin.local {query}: {out:?}");
    }

    /// `PEER_ALICE_PASS` from the realm's env.sh.
    fn alice_pass(&self) -> String {
        let env = std::fs::read_to_string(self.dir.join("env.sh")).unwrap();
        let line = env
            .lines()
            .find_map(|l| l.strip_prefix("export PEER_ALICE_PASS="))
            .expect("PEER_ALICE_PASS in env.sh");
        line.trim_matches('\'').to_string()
    }
}

/// EXAMPLE.TEST (whose KDC refers `*.other.test` to OTHER.TEST) and
/// OTHER.TEST, trusting each other one way: krbtgt/OTHER.TEST@EXAMPLE.TEST
/// with the same key in both databases.
struct Realms {
    home: Realm,
    other: Realm,
}

fn realms() -> &'static Realms {
    static R: OnceLock<Realms> = OnceLock::new();
    R.get_or_init(|| {
        let home = Realm::start(REALM, ".other.test = OTHER.TEST");
        let other = Realm::start(OTHER, "");
        let cross = format!("addprinc -pw {CROSS_PASS} krbtgt/{OTHER}@{REALM}");
        home.kadmin(&cross);
        other.kadmin(&cross);
        other.kadmin(&format!("addprinc -randkey host/server.other.test@{OTHER}"));
        other.kadmin(&format!("addprinc -randkey host/plain.test@{OTHER}"));
        other.kadmin(&format!(
            "ktadd -norandkey -k {} host/server.other.test@{OTHER} host/plain.test@{OTHER}",
            other.dir.join("service.keytab").display()
        ));
        Realms { home, other }
    })
}

/// Our krb5.conf: both realms' KDCs (or `kdc_port` for EXAMPLE.TEST),
/// `udp_preference_limit`, and `plain.test` mapped to OTHER.TEST (which
/// EXAMPLE.TEST's KDC does not know: no referral, the direct path).
fn config_with(kdc_port: u16, udp_limit: u32) -> Krb5Config {
    let r = realms();
    Krb5Config::parse(
        &format!(
            "[libdefaults]\n default_realm = {REALM}\n dns_canonicalize_hostname = false\n rdns = false\n\
             udp_preference_limit = {udp_limit}\n forwardable = true\n\
             [realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{kdc_port}\n }}\n {OTHER} = {{\n  kdc = 127.0.0.1:{}\n }}\n\
             [domain_realm]\n localhost = {REALM}\n .other.test = {OTHER}\n plain.test = {OTHER}\n",
            r.other.port
        ),
        "test",
    )
}

fn config() -> Krb5Config {
    config_with(realms().home.port, 1)
}

fn alice() -> PrincipalName {
    PrincipalName::new(NT_PRINCIPAL, &["alice"], REALM)
}

/// A transport that records which realm each request went to and its
/// message type (10 AS-REQ, 12 TGS-REQ).
struct Recording {
    tag: &'static str,
    inner: NetTransport,
    log: Mutex<Vec<(String, u8)>>,
}

impl Transport for Recording {
    fn send(&self, realm: &str, request: &[u8]) -> Result<Vec<u8>, KdcError> {
        let msg_type = request.first().map(|b| b & 0x1f).unwrap_or(0);
        let n = {
            let mut log = self.log.lock().unwrap();
            log.push((realm.to_string(), msg_type));
            log.len()
        };
        let reply = self.inner.send(realm, request)?;
        // Seeds of the krb_kdc_rep fuzz target, on request.
        if let Some(dir) = std::env::var_os("KRB_KDC_REP_SEEDS") {
            let name = format!("{}-{realm}-{msg_type}-{n}", self.tag);
            std::fs::write(Path::new(&dir).join(name), &reply).unwrap();
        }
        Ok(reply)
    }
}

fn recording(tag: &'static str, cfg: &Krb5Config) -> Recording {
    Recording {
        tag,
        inner: NetTransport::from_config(cfg),
        log: Mutex::new(Vec::new()),
    }
}

fn tgt_with(
    config: &Krb5Config,
    transport: &dyn Transport,
    password: &str,
) -> Result<opensspi::packages::kerberos::creds::Tgt, KdcError> {
    request_tgt(
        transport,
        &alice(),
        Zeroizing::new(password.to_string()),
        &AsOptions::from_config(config),
    )
}

/// The EncTicketPart of `t`, decrypted with the key of `keytab` for its
/// server (the service's view): (client, session key).
fn open_ticket(t: &ServiceTicket, keytab: &Path) -> (PrincipalName, Key) {
    let ticket: Ticket = picky_asn1_der::from_bytes(&t.ticket).unwrap();
    let enc = &ticket.0.enc_part.0;
    let etype = i32::from_be_bytes({
        let b = enc.etype.0.as_signed_bytes_be();
        let mut a = [0u8; 4];
        a[4 - b.len()..].copy_from_slice(b);
        a
    });
    let kt = Keytab::read(keytab).unwrap();
    let server = Principal {
        name_type: t.server.name_type,
        realm: t.server.realm.clone(),
        components: t.server.components.clone(),
    };
    let entry = kt.find(&server, None, Some(etype));
    let entry = entry.first().expect("service key in the keytab");
    let key = Key::new(EncryptionType::from_i32(etype).unwrap(), &entry.key.bytes).unwrap();
    let plain = crypto::decrypt(&key, usage::KDC_REP_TICKET, &enc.cipher.0 .0).unwrap();
    let part: EncTicketPart = picky_asn1_der::from_bytes(&plain).unwrap();
    let p = &part.0;
    let client = PrincipalName::from_asn1(&p.cname.0, &p.crealm.0).unwrap();
    let kv = &p.key.0;
    let sk_etype = EncryptionType::from_i32(kv.key_type.0.as_signed_bytes_be()[0] as i32).unwrap();
    (client, Key::new(sk_etype, &kv.key_value.0 .0).unwrap())
}

fn host_localhost() -> PrincipalName {
    PrincipalName::parse_spn("HOST/localhost", &config()).unwrap()
}

#[test]
fn password_to_tgt_to_service_ticket_the_service_can_open() {
    let r = realms();
    let cfg = config();
    let t = recording("main", &cfg);
    let tgt = tgt_with(&cfg, &t, &r.home.alice_pass()).expect("AS exchange with preauth");
    assert_eq!(tgt.client, alice());
    assert_eq!(tgt.server, PrincipalName::krbtgt(REALM, REALM));
    assert!(tgt.endtime > now());
    let st = request_service_ticket(&t, &tgt, &host_localhost(), &TgsOptions::from_config(&cfg))
        .expect("TGS exchange");
    assert_eq!(st.server.components, ["host", "localhost"]);
    assert_eq!(st.client, alice());
    let (client, session_key) = open_ticket(&st, &r.home.dir.join("service.keytab"));
    assert_eq!(client, alice(), "the ticket names alice");
    assert_eq!(
        session_key, st.session_key,
        "the ticket carries our session key"
    );
}

#[test]
fn wrong_password_is_logon_denied() {
    let cfg = config();
    let t = NetTransport::from_config(&cfg);
    let e = tgt_with(&cfg, &t, "not-the-password").unwrap_err();
    assert_eq!(e.krb_code(), Some(code::KDC_ERR_PREAUTH_FAILED), "{e}");
    assert_eq!(e.sec_status(), SecStatus::LogonDenied);
}

#[test]
fn unknown_client_is_logon_denied() {
    let cfg = config();
    let t = NetTransport::from_config(&cfg);
    let e = request_tgt(
        &t,
        &PrincipalName::new(NT_PRINCIPAL, &["nobody"], REALM),
        Zeroizing::new("x".into()),
        &AsOptions::from_config(&cfg),
    )
    .unwrap_err();
    assert_eq!(e.krb_code(), Some(code::KDC_ERR_C_PRINCIPAL_UNKNOWN), "{e}");
    assert_eq!(e.sec_status(), SecStatus::LogonDenied);
}

#[test]
fn unknown_spn_is_target_unknown() {
    let r = realms();
    let cfg = config();
    let t = NetTransport::from_config(&cfg);
    let tgt = tgt_with(&cfg, &t, &r.home.alice_pass()).unwrap();
    let spn = PrincipalName::parse_spn("HTTP/nowhere.localhost", &cfg).unwrap();
    let e = request_service_ticket(&t, &tgt, &spn, &TgsOptions::from_config(&cfg)).unwrap_err();
    assert_eq!(e.krb_code(), Some(code::KDC_ERR_S_PRINCIPAL_UNKNOWN), "{e}");
    assert_eq!(e.sec_status(), SecStatus::TargetUnknown);
}

/// The transport gives up at `total`; the bound allows one more second
/// for a loaded machine's scheduling (socket timeouts fire late).
fn assert_unreachable_within(cfg: Krb5Config, total: Duration) {
    let bound = total + Duration::from_secs(1);
    let mut t = NetTransport::from_config(&cfg);
    t.timeouts = Timeouts {
        per_kdc: Duration::from_millis(300),
        rounds: 100,
        total,
    };
    let start = Instant::now();
    let e = tgt_with(&cfg, &t, "x").unwrap_err();
    let elapsed = start.elapsed();
    assert_eq!(e, KdcError::Unreachable(REALM.into()));
    assert_eq!(e.sec_status(), SecStatus::NoAuthenticatingAuthority);
    assert!(elapsed < bound, "{elapsed:?} not below the bound {bound:?}");
}

#[test]
fn kdc_down_is_no_authenticating_authority_within_the_bound() {
    // TCP (udp_preference_limit 1) to a port nobody listens on.
    let closed = free_port();
    assert_unreachable_within(config_with(closed, 1), Duration::from_secs(2));
    // UDP to a socket that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    assert_unreachable_within(config_with(port, 65_535), Duration::from_secs(2));
}

/// A relay for one protocol to the real KDC, counting requests.
fn udp_relay(kdc: u16, count: Arc<AtomicUsize>, too_big_first: bool) -> u16 {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        loop {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let reply = if too_big_first {
                krb_error_response_too_big()
            } else {
                let up = UdpSocket::bind("127.0.0.1:0").unwrap();
                up.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                up.send_to(&buf[..n], ("127.0.0.1", kdc)).unwrap();
                let mut r = vec![0u8; 65_536];
                let m = up.recv(&mut r).unwrap();
                r.truncate(m);
                r
            };
            let _ = sock.send_to(&reply, from);
        }
    });
    port
}

fn tcp_relay(listener: TcpListener, kdc: u16, count: Arc<AtomicUsize>) {
    std::thread::spawn(move || {
        for c in listener.incoming() {
            let Ok(mut c) = c else { return };
            count.fetch_add(1, Ordering::SeqCst);
            let mut up = TcpStream::connect(("127.0.0.1", kdc)).unwrap();
            let mut len = [0u8; 4];
            c.read_exact(&mut len).unwrap();
            let mut req = vec![0u8; u32::from_be_bytes(len) as usize];
            c.read_exact(&mut req).unwrap();
            up.write_all(&len).unwrap();
            up.write_all(&req).unwrap();
            up.read_exact(&mut len).unwrap();
            let mut rep = vec![0u8; u32::from_be_bytes(len) as usize];
            up.read_exact(&mut rep).unwrap();
            c.write_all(&len).unwrap();
            c.write_all(&rep).unwrap();
        }
    });
}

/// A KRB-ERROR KRB_ERR_RESPONSE_TOO_BIG (52), as a KDC sends over UDP.
fn krb_error_response_too_big() -> Vec<u8> {
    use picky_asn1::wrapper::*;
    use picky_krb::messages::{KrbError, KrbErrorInner};
    let s = |v: &str| {
        GeneralStringAsn1(picky_asn1::restricted_string::Ia5String::from_string(v.into()).unwrap())
    };
    let err = KrbError::from(KrbErrorInner {
        pvno: ExplicitContextTag0(IntegerAsn1(vec![5])),
        msg_type: ExplicitContextTag1(IntegerAsn1(vec![30])),
        ctime: Optional(None),
        cusec: Optional(None),
        stime: ExplicitContextTag4(opensspi::packages::kerberos::kdc::wire::kerberos_time(now())),
        susec: ExplicitContextTag5(IntegerAsn1(vec![0])),
        error_code: ExplicitContextTag6(52),
        crealm: Optional(None),
        cname: Optional(None),
        realm: ExplicitContextTag9(s(REALM)),
        sname: ExplicitContextTag10(PrincipalName::krbtgt(REALM, REALM).to_asn1().unwrap()),
        e_text: Optional(None),
        e_data: Optional(None),
    });
    picky_asn1_der::to_vec(&err).unwrap()
}

fn exchange_through(port: u16, udp_limit: u32) {
    let r = realms();
    let cfg = config_with(port, udp_limit);
    let t = NetTransport::from_config(&cfg);
    let tgt = tgt_with(&cfg, &t, &r.home.alice_pass()).expect("AS exchange");
    request_service_ticket(&t, &tgt, &host_localhost(), &TgsOptions::from_config(&cfg))
        .expect("TGS exchange");
}

#[test]
fn udp_and_tcp_paths_follow_udp_preference_limit() {
    let kdc = realms().home.port;
    // UDP only behind this port: a UDP exchange works, TCP would be refused.
    let udp = Arc::new(AtomicUsize::new(0));
    let port = udp_relay(kdc, udp.clone(), false);
    exchange_through(port, 65_535);
    assert!(
        udp.load(Ordering::SeqCst) >= 3,
        "AS (twice) and TGS over UDP"
    );
    // TCP only behind this port, and udp_preference_limit = 1.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let tcp = Arc::new(AtomicUsize::new(0));
    tcp_relay(l, kdc, tcp.clone());
    exchange_through(port, 1);
    assert!(
        tcp.load(Ordering::SeqCst) >= 3,
        "AS (twice) and TGS over TCP"
    );
}

#[test]
fn response_too_big_over_udp_retries_over_tcp() {
    let kdc = realms().home.port;
    // The same port number: UDP answers KRB_ERR_RESPONSE_TOO_BIG, TCP relays.
    let (l, udp_count) = loop {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        if let Ok(sock) = UdpSocket::bind(("127.0.0.1", port)) {
            drop(sock);
            let udp = Arc::new(AtomicUsize::new(0));
            break (l, udp);
        }
    };
    let port = l.local_addr().unwrap().port();
    let tcp = Arc::new(AtomicUsize::new(0));
    tcp_relay(l, kdc, tcp.clone());
    // Rebind the UDP side now that it is free.
    let sock = UdpSocket::bind(("127.0.0.1", port)).unwrap();
    let count = udp_count.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65_536];
        while let Ok((_, from)) = sock.recv_from(&mut buf) {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = sock.send_to(&krb_error_response_too_big(), from);
        }
    });
    exchange_through(port, 65_535);
    assert!(
        udp_count.load(Ordering::SeqCst) >= 3,
        "each request tried over UDP first"
    );
    assert!(tcp.load(Ordering::SeqCst) >= 3, "and sent again over TCP");
}

#[test]
fn kinit_ccache_tgt_gets_a_service_ticket_klist_lists() {
    let r = realms();
    let cc = r.home.dir.join("krb5cc-kinit");
    let mut kinit = r
        .home
        .tool("kinit")
        .env("KRB5CCNAME", format!("FILE:{}", cc.display()))
        .arg("alice")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    kinit
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", r.home.alice_pass()).as_bytes())
        .unwrap();
    let out = kinit.wait_with_output().unwrap();
    assert!(out.status.success(), "kinit: {out:?}");

    let cached = load_ccache(&cc, now()).unwrap();
    assert_eq!(cached.client, alice());
    let tgt = cached.tgt.expect("kinit's TGT");
    let cfg = config();
    let t = NetTransport::from_config(&cfg);
    let spn = PrincipalName::parse_spn("HTTP/localhost", &cfg).unwrap();
    let st = request_service_ticket(&t, &tgt, &spn, &TgsOptions::from_config(&cfg)).unwrap();
    store_in_ccache(&cc, &st).unwrap();

    let out = r.home.tool("klist").arg("-c").arg(&cc).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "klist: {out:?}");
    assert!(text.contains(&format!("HTTP/localhost@{REALM}")), "{text}");
    // And we read it back as a service ticket.
    let again = load_ccache(&cc, now()).unwrap();
    assert!(again.service_tickets.iter().any(|s| s.server == st.server));
}

#[test]
fn referral_to_a_trusted_realm() {
    let r = realms();
    let cfg = config();
    let t = NetTransport::from_config(&cfg);
    let tgt = tgt_with(&cfg, &t, &r.home.alice_pass()).unwrap();
    let spn = PrincipalName::parse_spn("host/server.other.test", &cfg).unwrap();
    assert_eq!(spn.realm, OTHER);
    let rec = recording("referral", &cfg);
    let st = request_service_ticket(&rec, &tgt, &spn, &TgsOptions::from_config(&cfg))
        .expect("referral EXAMPLE.TEST → OTHER.TEST");
    // One TGS-REQ at home answered with the referral TGT, one at OTHER.TEST.
    assert_eq!(
        *rec.log.lock().unwrap(),
        [(REALM.to_string(), 12), (OTHER.to_string(), 12)]
    );
    assert_eq!(st.server, spn);
    let (client, key) = open_ticket(&st, &r.other.dir.join("service.keytab"));
    assert_eq!(client, alice());
    assert_eq!(key, st.session_key);
}

#[test]
fn direct_cross_realm_path_without_referral() {
    let r = realms();
    let cfg = config();
    let t = NetTransport::from_config(&cfg);
    let tgt = tgt_with(&cfg, &t, &r.home.alice_pass()).unwrap();
    // EXAMPLE.TEST's KDC does not map plain.test: S_PRINCIPAL_UNKNOWN, then
    // krbtgt/OTHER.TEST@EXAMPLE.TEST and OTHER.TEST's KDC.
    let spn = PrincipalName::parse_spn("host/plain.test", &cfg).unwrap();
    assert_eq!(spn.realm, OTHER);
    let rec = recording("direct", &cfg);
    let st = request_service_ticket(&rec, &tgt, &spn, &TgsOptions::from_config(&cfg)).unwrap();
    assert_eq!(
        *rec.log.lock().unwrap(),
        [
            (REALM.to_string(), 12),
            (REALM.to_string(), 12),
            (OTHER.to_string(), 12)
        ]
    );
    assert_eq!(st.server, spn);
    let (client, _) = open_ticket(&st, &r.other.dir.join("service.keytab"));
    assert_eq!(client, alice());
}
