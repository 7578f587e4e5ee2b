//! A throwaway MIT realm for a test (`tests/peers/setup-kdc.sh` on free
//! ports, stopped and deleted on drop): EXAMPLE.TEST with `alice`
//! (password [`super::PASSWORD`]), `host/localhost` (trusted for
//! delegation: `+ok_as_delegate`) and `HTTP/localhost` in `service.keytab`.

use std::io::Write;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const REALM: &str = "EXAMPLE.TEST";

pub struct KrbRealm {
    pub dir: PathBuf,
    pub port: u16,
}

/// A port free for UDP and TCP, with the next one free for kadmin.
pub fn free_port() -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", port + 1)).is_ok()
        {
            return port;
        }
    }
}

/// tests/peers (setup-kdc.sh, stop-kdc.sh).
pub fn scripts() -> PathBuf {
    super::manifest_dir().join("tests/peers")
}

/// Runs `setup-kdc.sh dir` on a free port with `extra` in its environment
/// (REALM, ENCTYPES, ...); panics on failure. Returns the KDC's port.
pub fn setup_kdc(dir: &Path, extra: &[(&str, &str)]) -> u16 {
    let port = free_port();
    let out = Command::new(scripts().join("setup-kdc.sh"))
        .arg(dir)
        .env("KDC_PORT", port.to_string())
        .env("KADM_PORT", (port + 1).to_string())
        .envs(extra.iter().copied())
        .output()
        .expect("run setup-kdc.sh");
    assert!(
        out.status.success(),
        "setup-kdc.sh failed (scripts/install-test-deps.sh):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    port
}

/// The KRB5_CONFIG, KRB5CCNAME and KRB5_KTNAME of the realm in `dir` (and
/// a PATH with the sbin directories of the MIT tools, C locale, UTC) in `c`.
pub fn realm_env(dir: &Path, c: &mut Command) {
    c.env("KRB5_CONFIG", dir.join("krb5.conf"))
        .env("KRB5_KDC_PROFILE", dir.join("kdc.conf"))
        .env(
            "KRB5CCNAME",
            format!("FILE:{}", dir.join("krb5cc").display()),
        )
        .env(
            "KRB5_KTNAME",
            format!("FILE:{}", dir.join("service.keytab").display()),
        )
        .env_remove("KRB5_TRACE_FILE")
        .env(
            "PATH",
            format!(
                "{}:/usr/sbin:/sbin",
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("LC_ALL", "C")
        .env("TZ", "UTC");
}

impl KrbRealm {
    /// A running realm in a fresh directory named after `tag`.
    pub fn start(tag: &str) -> KrbRealm {
        KrbRealm::start_with(tag, &[])
    }

    /// [`KrbRealm::start`] with `extra` in setup-kdc.sh's environment
    /// (ENCTYPES, CLIENT_ENCTYPES, ...).
    pub fn start_with(tag: &str, extra: &[(&str, &str)]) -> KrbRealm {
        let dir = std::env::temp_dir().join(format!("opensspi-krb-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let port = setup_kdc(&dir, extra);
        KrbRealm { dir, port }
    }

    /// The realm's environment ([`realm_env`]) in `c`.
    pub fn env(&self, c: &mut Command) {
        realm_env(&self.dir, c);
    }

    /// `program` in the realm's environment.
    pub fn tool(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        self.env(&mut c);
        c
    }

    pub fn ccache(&self) -> PathBuf {
        self.dir.join("krb5cc")
    }

    pub fn keytab(&self) -> PathBuf {
        self.dir.join("service.keytab")
    }

    /// Runs an MIT tool in the realm's environment; panics on failure.
    /// Returns its standard output.
    pub fn run(&self, program: &str, args: &[&str], stdin: Option<&str>) -> String {
        let mut child = self
            .tool(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kinit -f alice` (forwardable TGT in the realm's ccache).
    pub fn kinit_alice(&self) {
        self.run(
            "kinit",
            &["-f", "alice"],
            Some(&format!("{}\n", super::PASSWORD)),
        );
    }

    /// Stop the KDC (the realm's files stay).
    pub fn stop_kdc(&self) {
        let _ = Command::new(scripts().join("stop-kdc.sh"))
            .arg(&self.dir)
            .output();
    }
}

impl Drop for KrbRealm {
    fn drop(&mut self) {
        let _ = Command::new(scripts().join("stop-kdc.sh"))
            .arg(&self.dir)
            .arg("--purge")
            .output();
    }
}
