//! Noninteractive NTLM handshakes per second with the default credentials
//! of a logon session kept by the LSA service (`opensspi-lsad`) and by the
//! in-process memory store, and the latency of one service round trip.
//! Not a timed test: figures only.
//!
//!     cargo bench --bench lsad
//!
//! One handshake = AcquireCredentialsHandle(no identity) + the three NTLM
//! legs against an in-process server (safe core, no C ABI). Through the
//! service it costs three requests: the caller's current session, the
//! session (without its NT OWF) and the NTLMv2 computation. The bench
//! re-runs itself once per store (the store is chosen per process) in a
//! private runtime directory, and kills the service it started.

use std::process::Command;
use std::time::{Duration, Instant};

use opensspi::lsa::{lsa, InteractiveLogon};
use opensspi::sspi::consts::*;
use opensspi::sspi::registry::find_package;
use opensspi::sspi::{AcquireCredentials, CredentialUse, HandshakeInput};

const MODE_ENV: &str = "OPENSSPI_BENCH_LSAD_MODE";

fn input(token: Option<&[u8]>) -> HandshakeInput<'_> {
    HandshakeInput {
        token,
        channel_bindings: None,
        target: None,
        context_req: ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY,
        data_rep: SECURITY_NATIVE_DREP,
    }
}

fn handshakes(n: usize) {
    let ntlm = find_package("NTLM").unwrap();
    let acquire = |usage| {
        ntlm.acquire_credentials(&AcquireCredentials {
            principal: None,
            usage,
            logon_id: None,
            identity: None,
        })
        .unwrap()
    };
    let server = acquire(CredentialUse::Inbound);
    for _ in 0..n {
        let client = acquire(CredentialUse::Outbound);
        let mut c = client.new_initiator(None, ISC_REQ_CONFIDENTIALITY).unwrap();
        let mut s = server.new_acceptor(ASC_REQ_CONFIDENTIALITY).unwrap();
        let neg = c.initialize(&input(None)).unwrap().token;
        let chal = s.accept(&input(Some(&neg))).unwrap().token;
        let auth = c.initialize(&input(Some(&chal))).unwrap().token;
        s.accept(&input(Some(&auth))).unwrap();
    }
}

/// Handshakes per second with `threads` threads.
fn rate(threads: usize, per_thread: usize) -> f64 {
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| handshakes(per_thread));
        }
    });
    (threads * per_thread) as f64 / t.elapsed().as_secs_f64()
}

fn child(mode: &str) {
    let l = lsa().expect("LSA");
    l.logon_user(
        2,
        2,
        &InteractiveLogon::new("BENCH", "alice", "alice-Passw0rd"),
    )
    .expect("logon");
    handshakes(200); // warm-up
    let one = rate(1, 3000);
    let two = rate(2, 3000);
    println!("{mode:>8}: {one:>8.0} handshakes/s (1 thread), {two:>8.0} handshakes/s (2 threads)");
    if mode == "service" {
        let uid = l.uid();
        let mut lat: Vec<Duration> = (0..50_000)
            .map(|_| {
                let t = Instant::now();
                l.store().current_for_user(uid).unwrap();
                t.elapsed()
            })
            .collect();
        lat.sort();
        let p = |q: f64| lat[((lat.len() as f64 - 1.0) * q) as usize];
        println!(
            "service round trip (one request): p50 {:?}, p99 {:?}, max {:?}",
            p(0.50),
            p(0.99),
            lat[lat.len() - 1]
        );
    }
}

fn main() {
    if let Ok(mode) = std::env::var(MODE_ENV) {
        child(&mode);
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let tmp = std::env::temp_dir().join(format!("opensspi-bench-lsad-{}", std::process::id()));
    let runtime = tmp.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let users = tmp.join("users");
    std::fs::write(&users, "BENCH:alice:alice-Passw0rd\n").unwrap();
    for mode in ["memory", "service"] {
        let st = Command::new(&exe)
            .env(MODE_ENV, mode)
            .env("OPENSSPI_LSA_STORE", mode)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("NTLM_USER_FILE", &users)
            .env("OPENSSPI_LSAD_IDLE", "1")
            .status()
            .unwrap();
        assert!(st.success(), "{mode} run failed");
    }
    if let Ok(pid) = std::fs::read_to_string(runtime.join("opensspi/lsad.pid")) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
