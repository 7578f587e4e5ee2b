//! Noninteractive NTLM handshakes per second with the default credentials
//! of a logon session kept by the LSA service (`opensspi-lsad`) and by the
//! in-process memory store, next to explicit credentials (the bare NTLM
//! handshake), and the latency of one service round trip. Not a timed
//! test: figures only.
//!
//!     cargo bench --bench lsad                 # 5 interleaved rounds
//!     OPENSSPI_BENCH_LSAD_ROUNDS=9 cargo bench --bench lsad
//!
//! One handshake = AcquireCredentialsHandle (no identity; `explicit`: a
//! password) + the three NTLM legs against an in-process server (safe
//! core, no C ABI) + the credential dropped. The bench re-runs itself once
//! per store and round (the store is chosen per process), the stores
//! interleaved so that the machine's load moves them alike, in a private
//! runtime directory, and prints the medians; it kills the service it
//! started.
//!
//! Instructions per handshake (callgrind; the difference of two counts):
//! `OPENSSPI_BENCH_LSAD_MODE=service OPENSSPI_BENCH_LSAD_COUNT=N` makes a
//! child run N handshakes and nothing else (set `OPENSSPI_LSA_STORE`,
//! `NTLM_USER_FILE` and `XDG_RUNTIME_DIR` as [`main`] does; for the
//! service's share, start `opensspi-lsad --foreground` under callgrind in
//! that runtime directory first). `bench/lsad-callgrind.sh` does all this.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use opensspi::lsa::packages::msv1_0::credential_op::{CredentialOp, V2Request};
use opensspi::lsa::{lsa, InteractiveLogon};
use opensspi::sspi::consts::*;
use opensspi::sspi::registry::find_package;
use opensspi::sspi::{AcquireCredentials, AuthIdentity, CredentialUse, HandshakeInput};
use zeroize::Zeroizing;

const MODE_ENV: &str = "OPENSSPI_BENCH_LSAD_MODE";
const COUNT_ENV: &str = "OPENSSPI_BENCH_LSAD_COUNT";
const ROUNDS_ENV: &str = "OPENSSPI_BENCH_LSAD_ROUNDS";
const MODES: [&str; 3] = ["explicit", "memory", "service"];
const PER_THREAD: usize = 3000;
/// The one-thread run is this many times longer (CPU time is counted in
/// clock ticks).
const CPU_RUNS: usize = 3;

fn input(token: Option<&[u8]>) -> HandshakeInput<'_> {
    HandshakeInput {
        token,
        channel_bindings: None,
        target: None,
        context_req: ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY,
        data_rep: SECURITY_NATIVE_DREP,
    }
}

fn handshakes(n: usize, explicit: bool) {
    let ntlm = find_package("NTLM").unwrap();
    let id = AuthIdentity {
        user: Some("alice".into()),
        domain: Some("BENCH".into()),
        password: Some(Zeroizing::new("alice-Passw0rd".into())),
        package_list: None,
    };
    let acquire = |usage, identity| {
        ntlm.acquire_credentials(&AcquireCredentials {
            principal: None,
            usage,
            logon_id: None,
            identity,
        })
        .unwrap()
    };
    let server = acquire(CredentialUse::Inbound, None);
    for _ in 0..n {
        let client = acquire(CredentialUse::Outbound, explicit.then_some(&id));
        let mut c = client.new_initiator(None, ISC_REQ_CONFIDENTIALITY).unwrap();
        let mut s = server.new_acceptor(ASC_REQ_CONFIDENTIALITY).unwrap();
        let neg = c.initialize(&input(None)).unwrap().token;
        let chal = s.accept(&input(Some(&neg))).unwrap().token;
        let auth = c.initialize(&input(Some(&chal))).unwrap().token;
        s.accept(&input(Some(&auth))).unwrap();
    }
}

/// Handshakes per second with `threads` threads.
fn rate(threads: usize, per_thread: usize, explicit: bool) -> f64 {
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| handshakes(per_thread, explicit));
        }
    });
    (threads * per_thread) as f64 / t.elapsed().as_secs_f64()
}

/// One child: log on, then print `one two [p50_ns p99_ns]`.
fn child(mode: &str) {
    let l = lsa().expect("LSA");
    let luid = l
        .logon_user(
            2,
            2,
            &InteractiveLogon::new("BENCH", "alice", "alice-Passw0rd"),
        )
        .expect("logon")
        .logon_id;
    let explicit = mode == "explicit";
    if let Some(n) = std::env::var(COUNT_ENV).ok().and_then(|v| v.parse().ok()) {
        handshakes(n, explicit);
        l.logoff(luid).unwrap();
        return;
    }
    handshakes(200, explicit); // warm-up
                               // CPU time of this process and of the service (kernel included: the
                               // round trips' system calls and context switches).
    let lsad = std::env::var_os("XDG_RUNTIME_DIR")
        .and_then(|d| std::fs::read_to_string(Path::new(&d).join("opensspi/lsad.pid")).ok())
        .filter(|_| mode == "service");
    let cpu = || cpu_seconds("self") + lsad.as_deref().map_or(0.0, |p| cpu_seconds(p.trim()));
    let cpu0 = cpu();
    let one = rate(1, CPU_RUNS * PER_THREAD, explicit);
    let cpu_us = (cpu() - cpu0) * 1e6 / (CPU_RUNS * PER_THREAD) as f64;
    let two = rate(2, PER_THREAD, explicit);
    print!("{one} {two} {cpu_us}");
    if mode == "service" {
        // One credential operation: the round trip of a handshake.
        let op = CredentialOp::V2(V2Request {
            server_challenge: [1; 8],
            client_challenge: [2; 8],
            temp: vec![0; 64],
            want_lm: false,
        });
        let uid = l.uid();
        let mut lat: Vec<Duration> = (0..20_000)
            .map(|_| {
                let t = Instant::now();
                l.store().msv1_0_credential_op(luid, uid, &op).unwrap();
                t.elapsed()
            })
            .collect();
        lat.sort();
        let p = |q: f64| lat[((lat.len() as f64 - 1.0) * q) as usize].as_nanos();
        print!(" {} {}", p(0.50), p(0.99));
    }
    println!();
    l.logoff(luid).unwrap();
}

/// utime + stime of process `pid` ("self": this one), in seconds.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    // SAFETY: sysconf reads a constant of the system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    f.iter().sum::<f64>() / hz
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    if let Ok(mode) = std::env::var(MODE_ENV) {
        child(&mode);
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rounds: usize = std::env::var(ROUNDS_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let exe = std::env::current_exe().unwrap();
    let tmp = std::env::temp_dir().join(format!("opensspi-bench-lsad-{}", std::process::id()));
    let runtime = tmp.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let users = tmp.join("users");
    std::fs::write(&users, "BENCH:alice:alice-Passw0rd\n").unwrap();
    // figures[mode] = one row per round: one thread, two threads, CPU µs
    // per handshake, p50, p99.
    let mut figures: Vec<Vec<Vec<f64>>> = vec![Vec::new(); MODES.len()];
    for round in 0..rounds {
        for k in 0..MODES.len() {
            // Alternate the order so that neither store always runs first.
            let k = if round % 2 == 0 {
                k
            } else {
                MODES.len() - 1 - k
            };
            let mode = MODES[k];
            let store = if mode == "service" {
                "service"
            } else {
                "memory"
            };
            let out = Command::new(&exe)
                .env(MODE_ENV, mode)
                .env("OPENSSPI_LSA_STORE", store)
                .env("XDG_RUNTIME_DIR", &runtime)
                .env("NTLM_USER_FILE", &users)
                .env("OPENSSPI_LSAD_IDLE", "60")
                .output()
                .unwrap();
            assert!(out.status.success(), "{mode} run failed");
            let row = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(|f| f.parse().unwrap())
                .collect();
            figures[k].push(row);
        }
    }
    let col = |k: usize, c: usize| {
        let mut v: Vec<f64> = figures[k].iter().map(|r| r[c]).collect();
        median(&mut v)
    };
    println!("medians of {rounds} interleaved rounds ({PER_THREAD} handshakes per thread):");
    for (k, mode) in MODES.iter().enumerate() {
        println!(
            "{mode:>8}: {:>8.0} handshakes/s (1 thread), {:>8.0} handshakes/s (2 threads), \
             {:>5.1} µs CPU per handshake (kernel and service included)",
            col(k, 0),
            col(k, 1),
            col(k, 2)
        );
    }
    let ratio = |c: usize| {
        let mut v: Vec<f64> = (0..rounds)
            .map(|r| figures[2][r][c] / figures[1][r][c])
            .collect();
        median(&mut v)
    };
    println!(
        "service / memory (median of per-round ratios): {:.2} (1 thread), {:.2} (2 threads)",
        ratio(0),
        ratio(1)
    );
    println!(
        "service round trip (one credential operation): p50 {:.1} µs, p99 {:.1} µs",
        col(2, 3) / 1000.0,
        col(2, 4) / 1000.0
    );
    if let Ok(pid) = std::fs::read_to_string(runtime.join("opensspi/lsad.pid")) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
