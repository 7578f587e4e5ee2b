//! A throwaway MIT realm for a test (`tests/peers/setup-kdc.sh` on free
//! ports, stopped and deleted on drop): EXAMPLE.TEST with `alice`
//! (password [`super::PASSWORD`]), `host/localhost` and `HTTP/localhost`
//! in `service.keytab`.

use std::io::Write;
use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
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

fn scripts() -> PathBuf {
    super::manifest_dir().join("tests/peers")
}

impl KrbRealm {
    /// A running realm in a fresh directory named after `tag`.
    pub fn start(tag: &str) -> KrbRealm {
        let dir = std::env::temp_dir().join(format!("opensspi-krb-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let port = free_port();
        let out = Command::new(scripts().join("setup-kdc.sh"))
            .arg(&dir)
            .env("KDC_PORT", port.to_string())
            .env("KADM_PORT", (port + 1).to_string())
            .output()
            .expect("run setup-kdc.sh");
        assert!(
            out.status.success(),
            "setup-kdc.sh failed (scripts/install-test-deps.sh):\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        KrbRealm { dir, port }
    }

    /// The realm's KRB5_CONFIG, KRB5CCNAME and KRB5_KTNAME (and a PATH
    /// with the sbin directories of the MIT tools) in `c`.
    pub fn env(&self, c: &mut Command) {
        c.env("KRB5_CONFIG", self.dir.join("krb5.conf"))
            .env("KRB5_KDC_PROFILE", self.dir.join("kdc.conf"))
            .env("KRB5CCNAME", format!("FILE:{}", self.ccache().display()))
            .env(
                "KRB5_KTNAME",
                format!("FILE:{}", self.dir.join("service.keytab").display()),
            )
            .env_remove("KRB5_TRACE_FILE")
            .env(
                "PATH",
                format!(
                    "{}:/usr/sbin:/sbin",
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("LC_ALL", "C");
    }

    pub fn ccache(&self) -> PathBuf {
        self.dir.join("krb5cc")
    }

    /// Runs an MIT tool in the realm's environment; panics on failure.
    pub fn run(&self, program: &str, args: &[&str], stdin: Option<&str>) {
        let mut c = Command::new(program);
        self.env(&mut c);
        let mut child = c
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
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
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
