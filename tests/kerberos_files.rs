//! MIT's file formats against MIT's own tools: a throwaway realm
//! (`tests/peers/setup-kdc.sh`) writes a credential cache (`kinit`, `kvno`)
//! and keytabs (`kadmin.local ktadd`, `ktremove`); `klist` is the judge of
//! what we read and of what we write. Needs krb5-kdc, krb5-admin-server and
//! krb5-user (scripts/install-test-deps.sh).

mod common;

use std::path::Path;

use common::krb_realm::{KrbRealm as Realm, REALM};
use common::PASSWORD;
use opensspi::packages::kerberos::ccache::{self, append_credential, Ccache};
use opensspi::packages::kerberos::config::{self, enctype_name, Canonicalize, Krb5Config};
use opensspi::packages::kerberos::filecodec::{Key, Principal};
use opensspi::packages::kerberos::keytab::{self, Keytab, KeytabEntry};
use zeroize::Zeroizing;

/// `kinit alice` then `kvno host/localhost`: a TGT and a service ticket.
fn kinit(realm: &Realm) {
    realm.run("kinit", &["alice"], Some(&format!("{PASSWORD}\n")));
    realm.run("kvno", &["host/localhost"], None);
}

/// `mm/dd/yy HH:MM:SS` in UTC, as `klist` prints a time in the C locale.
fn klist_time(t: u32) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{:02}/{:02}/{:02} {:02}:{:02}:{:02}",
        m,
        d,
        y % 100,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// `klist -f` letters of RFC 4120 ticket flags, in klist's order.
fn klist_flags(flags: u32) -> String {
    let bit = |n: u32| flags & (0x8000_0000 >> n) != 0;
    [
        (1, 'F'),
        (2, 'f'),
        (3, 'P'),
        (4, 'p'),
        (5, 'D'),
        (6, 'd'),
        (7, 'i'),
        (8, 'R'),
        (9, 'I'),
        (11, 'H'),
        (10, 'A'),
        (12, 'T'),
        (13, 'O'),
        (14, 'a'),
    ]
    .iter()
    .filter(|(n, _)| bit(*n))
    .map(|(_, c)| *c)
    .collect()
}

/// What `klist -e -f -c` shows of each ticket: (start, end, server,
/// renew-until, flags, session key enctype).
fn klist_tickets(out: &str) -> Vec<[String; 6]> {
    let mut v: Vec<[String; 6]> = Vec::new();
    for line in out
        .lines()
        .skip_while(|l| !l.starts_with("Valid starting"))
        .skip(1)
    {
        if let Some(rest) = line.strip_prefix('\t') {
            let t = v.last_mut().expect("detail line after a ticket line");
            for part in rest.split(", ") {
                if let Some(r) = part.strip_prefix("renew until ") {
                    t[3] = r.to_string();
                } else if let Some(f) = part.strip_prefix("Flags: ") {
                    t[4] = f.trim().to_string();
                }
            }
            if let Some((_, e)) = rest.split_once("Etype (skey, tkt): ") {
                t[5] = e.split(", ").next().unwrap().trim().to_string();
            }
        } else if line.len() > 38 {
            v.push([
                line[..17].to_string(),
                line[19..36].to_string(),
                line[38..].trim().to_string(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    v
}

fn our_tickets(cc: &Ccache) -> Vec<[String; 6]> {
    cc.tickets()
        .map(|c| {
            let start = if c.starttime != 0 {
                c.starttime
            } else {
                c.authtime
            };
            [
                klist_time(start),
                klist_time(c.endtime),
                c.server.to_string(),
                if c.renew_till != 0 {
                    klist_time(c.renew_till)
                } else {
                    String::new()
                },
                klist_flags(c.ticket_flags),
                enctype_name(c.key.enctype).unwrap_or("?").to_string(),
            ]
        })
        .collect()
}

fn klist_default_principal(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("Default principal: "))
        .unwrap()
        .to_string()
}

#[test]
fn reads_a_kinit_ccache_as_klist_does() {
    let realm = Realm::start("ccread");
    kinit(&realm);
    let cc = Ccache::read(&realm.ccache()).unwrap();
    assert_eq!(cc.version, ccache::CCACHE_V4);
    let out = realm.run(
        "klist",
        &["-e", "-f", "-c", realm.ccache().to_str().unwrap()],
        None,
    );
    assert_eq!(
        cc.default_principal.to_string(),
        klist_default_principal(&out)
    );
    let theirs = klist_tickets(&out);
    assert_eq!(theirs.len(), 2, "{out}");
    assert_eq!(our_tickets(&cc), theirs, "klist said:\n{out}");
    // The configuration entries MIT writes are there, not counted as tickets.
    assert!(cc.credentials.iter().any(|c| c.is_config()));
    assert!(cc
        .config("pa_type", Some(&format!("krbtgt/{REALM}@{REALM}")))
        .is_some());
    // Ticket bytes are the DER Ticket ([APPLICATION 1]).
    assert!(cc.tickets().all(|c| c.ticket.first() == Some(&0x61)));
}

/// MIT writes version 3 caches when told to (`ccache_type = 3`): we read
/// them, and a credential we append keeps the version 3 keyblock layout.
#[test]
fn reads_and_appends_to_a_version_3_ccache() {
    let realm = Realm::start("ccv3");
    let conf = realm.dir.join("krb5-v3.conf");
    let text = std::fs::read_to_string(realm.dir.join("krb5.conf")).unwrap();
    std::fs::write(
        &conf,
        text.replace("[libdefaults]", "[libdefaults]\n    ccache_type = 3"),
    )
    .unwrap();
    let path = realm.dir.join("cc3");
    let v3 = |program: &str, args: &[&str], stdin: Option<&str>| {
        let mut c = realm.tool(program);
        c.env("KRB5_CONFIG", &conf)
            .env("KRB5CCNAME", format!("FILE:{}", path.display()));
        c.args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.unwrap_or("").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{program} {args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    v3("kinit", &["alice"], Some("alice-Passw0rd\n"));
    v3("kvno", &["host/localhost"], None);
    let cc = Ccache::read(&path).unwrap();
    assert_eq!(cc.version, ccache::CCACHE_V3);
    let out = v3("klist", &["-e", "-f"], None);
    assert_eq!(
        cc.default_principal.to_string(),
        klist_default_principal(&out)
    );
    assert_eq!(our_tickets(&cc), klist_tickets(&out), "klist said:\n{out}");

    let mut extra = cc.tickets().last().unwrap().clone();
    extra.server = Principal::parse(&format!("HTTP/localhost@{REALM}"));
    append_credential(&path, &extra).unwrap();
    let after = Ccache::read(&path).unwrap();
    assert_eq!(after.version, ccache::CCACHE_V3);
    let out = v3("klist", &["-e", "-f"], None);
    assert_eq!(
        our_tickets(&after),
        klist_tickets(&out),
        "klist said:\n{out}"
    );
    assert_eq!(klist_tickets(&out).len(), 3, "{out}");
}

#[test]
fn credentials_we_write_are_read_by_klist_and_kvno() {
    let realm = Realm::start("ccwrite");
    kinit(&realm);
    let path = realm.ccache();
    let cc = Ccache::read(&path).unwrap();

    // Append a credential the way MIT stores one: klist lists it.
    let mut extra = cc
        .tickets()
        .find(|c| c.server.components[0] == "host")
        .unwrap()
        .clone();
    extra.server = Principal::parse(&format!("HTTP/localhost@{REALM}"));
    extra.endtime -= 3600;
    extra.renew_till = 0;
    extra.ticket_flags = 0x4000_0000; // forwardable only
    append_credential(&path, &extra).unwrap();
    let out = realm.run("klist", &["-e", "-f", "-c", path.to_str().unwrap()], None);
    let after = Ccache::read(&path).unwrap();
    assert_eq!(after.credentials.len(), cc.credentials.len() + 1);
    assert_eq!(after.credentials.last(), Some(&extra));
    assert_eq!(
        klist_tickets(&out),
        our_tickets(&after),
        "klist said:\n{out}"
    );
    assert!(out.contains(&format!("HTTP/localhost@{REALM}")), "{out}");

    // Rewrite the whole cache (temp file + rename, 0600): MIT still reads
    // it, uses our copy of the TGT for a new service ticket, and keeps the
    // configuration entries we preserved.
    let fresh = Ccache {
        credentials: cc.credentials.clone(),
        ..cc.clone()
    };
    fresh.write(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let kvno = realm.run("kvno", &["HTTP/localhost"], None);
    assert!(kvno.contains("kvno = 1"), "{kvno}");
    let again = Ccache::read(&path).unwrap();
    assert_eq!(
        again.credentials[..cc.credentials.len()],
        cc.credentials[..]
    );
    assert_eq!(
        again.tickets().count(),
        3,
        "kvno appended its ticket after ours"
    );
    assert_eq!(
        again.config("fast_avail", Some(&format!("krbtgt/{REALM}@{REALM}"))),
        cc.config("fast_avail", Some(&format!("krbtgt/{REALM}@{REALM}")))
    );
    let out = realm.run("klist", &["-e", "-f", "-c", path.to_str().unwrap()], None);
    assert_eq!(
        klist_tickets(&out),
        our_tickets(&again),
        "klist said:\n{out}"
    );
}

/// `klist -k -e -t -K` lines: (kvno, timestamp, principal, enctype, key hex).
fn klist_keytab(out: &str) -> Vec<(u32, String, String, String, String)> {
    out.lines()
        .skip_while(|l| !l.starts_with("----"))
        .skip(1)
        .map(|l| {
            let (kvno, rest) = l.trim_start().split_once(' ').unwrap();
            let (stamp, rest) = rest.split_at(17);
            let (princ, rest) = rest.trim().split_once(" (").unwrap();
            let (etype, rest) = rest.split_once(')').unwrap();
            let key = rest.trim().trim_start_matches("(0x").trim_end_matches(')');
            let etype = etype.trim_start_matches("DEPRECATED:");
            (
                kvno.parse().unwrap(),
                stamp.to_string(),
                princ.to_string(),
                etype.to_string(),
                key.to_string(),
            )
        })
        .collect()
}

fn our_keytab(kt: &Keytab) -> Vec<(u32, String, String, String, String)> {
    kt.entries
        .iter()
        .map(|e| {
            (
                e.kvno,
                klist_time(e.timestamp),
                e.principal.to_string(),
                enctype_name(e.key.enctype).unwrap_or("?").to_string(),
                e.key.bytes.iter().map(|b| format!("{b:02x}")).collect(),
            )
        })
        .collect()
}

fn klist_k(realm: &Realm, path: &Path) -> String {
    realm.run(
        "klist",
        &["-k", "-e", "-t", "-K", path.to_str().unwrap()],
        None,
    )
}

#[test]
fn reads_kadmin_keytabs_as_klist_does() {
    let realm = Realm::start("ktread");
    let kt = Keytab::read(&realm.keytab()).unwrap();
    let out = klist_k(&realm, &realm.keytab());
    assert_eq!(kt.entries.len(), 4, "{out}");
    assert_eq!(our_keytab(&kt), klist_keytab(&out), "klist said:\n{out}");
    let host = Principal::parse(&format!("host/localhost@{REALM}"));
    assert_eq!(kt.find(&host, None, None).len(), 2);
    assert_eq!(kt.find(&host, None, Some(18))[0].key.enctype, 18);

    // ktremove leaves holes (negative record lengths): skipped like MIT.
    let holed = realm.dir.join("holed.keytab");
    std::fs::copy(realm.keytab(), &holed).unwrap();
    let q = format!("ktremove -k {} HTTP/localhost@{REALM} all", holed.display());
    realm.run("kadmin.local", &["-r", REALM, "-q", &q], None);
    let left = Keytab::read(&holed).unwrap();
    let out = klist_k(&realm, &holed);
    assert_eq!(left.entries.len(), 2, "{out}");
    assert_eq!(our_keytab(&left), klist_keytab(&out), "klist said:\n{out}");

    // A re-keyed principal (ktadd without -norandkey): kvno 2 next to 1;
    // lookup without a kvno picks 2.
    let q = format!("ktadd -k {} host/localhost@{REALM}", holed.display());
    realm.run("kadmin.local", &["-r", REALM, "-q", &q], None);
    let rekeyed = Keytab::read(&holed).unwrap();
    let out = klist_k(&realm, &holed);
    assert_eq!(
        our_keytab(&rekeyed),
        klist_keytab(&out),
        "klist said:\n{out}"
    );
    let newest = rekeyed.find(&host, None, None);
    assert!(!newest.is_empty() && newest.iter().all(|e| e.kvno == 2));
}

#[test]
fn keytabs_we_write_are_read_back_by_klist() {
    let realm = Realm::start("ktwrite");
    let kt = Keytab::read(&realm.keytab()).unwrap();
    // The realm's keytab re-encoded, plus entries MIT must read the same:
    // a 32-bit kvno beyond 255 and an RC4 key.
    let mut ours = kt.clone();
    ours.entries.push(KeytabEntry {
        principal: Principal::parse(&format!("svc/many.kvnos@{REALM}")),
        timestamp: 1_767_225_600,
        kvno: 300,
        key: Key {
            enctype: 23,
            bytes: Zeroizing::new((0u8..16).collect()),
        },
    });
    let path = realm.dir.join("ours.keytab");
    ours.write(&path).unwrap();
    let out = klist_k(&realm, &path);
    assert_eq!(klist_keytab(&out), our_keytab(&ours), "klist said:\n{out}");
    assert_eq!(Keytab::read(&path).unwrap(), ours);
    // Byte for byte what kadmin wrote, for the entries it wrote.
    let mut theirs = Keytab::read(&realm.keytab()).unwrap();
    theirs.entries.truncate(kt.entries.len());
    assert_eq!(
        &theirs.encode().unwrap()[..],
        &std::fs::read(realm.keytab()).unwrap()[..]
    );
}

#[test]
fn parses_the_realm_krb5_conf_and_follows_the_environment() {
    let realm = Realm::start("conf");
    std::env::set_var(
        "KRB5_CONFIG",
        format!(
            "/nonexistent/krb5.conf:{}",
            realm.dir.join("krb5.conf").display()
        ),
    );
    std::env::set_var("KRB5_KTNAME", format!("FILE:{}", realm.keytab().display()));
    std::env::set_var("KRB5CCNAME", format!("FILE:{}", realm.ccache().display()));
    config::recheck_config();
    let c = config::config();
    assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    assert_eq!(c.default_realm.as_deref(), Some(REALM));
    let kdcs = c.kdcs(REALM);
    assert_eq!(
        (kdcs[0].host.as_str(), kdcs[0].port),
        ("127.0.0.1", realm.port)
    );
    assert_eq!(c.udp_preference_limit, 1);
    assert!(c.forwardable && !c.rdns);
    assert_eq!(c.dns_canonicalize_hostname, Canonicalize::No);
    assert_eq!(c.realm_for_host("localhost").as_deref(), Some(REALM));
    assert_eq!(c.realm_for_host("a.localhost").as_deref(), Some(REALM));
    assert_eq!(c.permitted_enctypes, config::DEFAULT_ENCTYPES);
    assert_eq!(
        c.default_keytab_name.as_deref(),
        Some(format!("FILE:{}", realm.keytab().display()).as_str())
    );
    // Cached while nothing changes; a changed file is seen after a recheck.
    assert!(std::sync::Arc::ptr_eq(&c, &config::config()));
    let conf = realm.dir.join("krb5.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(
        &conf,
        text.replace("udp_preference_limit = 1", "udp_preference_limit = 1000"),
    )
    .unwrap();
    config::recheck_config();
    assert_eq!(config::config().udp_preference_limit, 1000);
    let _: &Krb5Config = &c;

    // The keytab and cache names in force.
    keytab::recheck_keytab();
    let kt = keytab::default_keytab();
    assert_eq!(kt.as_ref().as_ref().unwrap().entries.len(), 4);
    assert!(
        std::sync::Arc::ptr_eq(&kt, &keytab::default_keytab()),
        "no re-read while unchanged"
    );
    let loc = ccache::resolve_ccache_name(&ccache::default_ccache_name().unwrap()).unwrap();
    assert_eq!(loc.path, realm.ccache());

    // Without the variables, krb5.conf's default_ccache_name and
    // default_keytab_name (setup-kdc.sh writes both) name them.
    std::env::remove_var("KRB5CCNAME");
    std::env::remove_var("KRB5_KTNAME");
    assert_eq!(
        ccache::default_ccache_name().unwrap(),
        format!("FILE:{}", realm.ccache().display())
    );
    assert_eq!(keytab::default_keytab_path().unwrap(), realm.keytab());
}

/// Our cache lock is the one MIT takes (an fcntl lock, not flock): while
/// we hold it, `kvno` cannot store its ticket; once we let go, it does.
#[test]
fn our_ccache_lock_excludes_mit_tools() {
    let realm = Realm::start("cclock");
    realm.run("kinit", &["alice"], Some("alice-Passw0rd\n"));
    let path = realm.ccache();
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    opensspi::packages::kerberos::filecodec::lock_file(&held, true).unwrap();
    let mut kvno = realm
        .tool("kvno")
        .arg("host/localhost")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        kvno.try_wait().unwrap().is_none(),
        "kvno finished while we held the cache lock"
    );
    drop(held);
    assert!(kvno.wait().unwrap().success());
    let cc = Ccache::read(&path).unwrap();
    assert!(cc.tickets().any(|c| c.server.components[0] == "host"));
}
