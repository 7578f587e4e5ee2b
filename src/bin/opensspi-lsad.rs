//! `opensspi-lsad`: the LSA service (see `opensspi::lsa::service`). It
//! holds the logon sessions of the user who runs it and answers the
//! library on a Unix socket in `$XDG_RUNTIME_DIR/opensspi/` (or
//! `/run/user/<uid>/opensspi/`, or `/tmp/opensspi-<uid>/`).
//!
//! ```text
//! opensspi-lsad [--foreground] [--socket-dir DIR] [--idle SECONDS]
//! opensspi-lsad --spawn [--socket-dir DIR]   (what the library runs)
//! ```
//!
//! `--foreground` serves until idle (no session, no client) for
//! `--idle` seconds (default 60; `OPENSSPI_LSAD_IDLE`); 0 = never.
//! `--spawn` starts a detached `--foreground` service and exits.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::Duration;

use opensspi::lsa::service::{server, socket_dir};

/// Variable giving the idle time in seconds.
const IDLE_ENV: &str = "OPENSSPI_LSAD_IDLE";

fn usage() -> ExitCode {
    eprintln!("usage: opensspi-lsad [--foreground|--spawn] [--socket-dir DIR] [--idle SECONDS]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    if std::env::var_os("LISTEN_FDS").is_none() {
        server::close_inherited_fds();
    }
    let mut spawn = false;
    let mut dir: Option<PathBuf> = None;
    let mut idle: Option<u64> = std::env::var(IDLE_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok());
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--foreground") => spawn = false,
            Some("--spawn") => spawn = true,
            Some("--socket-dir") => match args.next() {
                Some(d) => dir = Some(d.into()),
                None => return usage(),
            },
            Some("--idle") => match args.next().and_then(|v| v.to_str()?.parse().ok()) {
                Some(s) => idle = Some(s),
                None => return usage(),
            },
            _ => return usage(),
        }
    }
    let uid = opensspi::lsa::store::keyring::current_uid();
    let dir = match dir {
        Some(d) => match opensspi::lsa::service::private_dir(&d, uid) {
            Ok(()) => d,
            Err(e) => {
                eprintln!("opensspi-lsad: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => match socket_dir(uid) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("opensspi-lsad: socket directory: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    if spawn {
        let Ok(me) = std::env::current_exe() else {
            return ExitCode::FAILURE;
        };
        // A new process group, no terminal: the service outlives its
        // starter, and this process exits so the starter reaps it.
        let r = Command::new(me)
            .arg("--foreground")
            .arg("--socket-dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        return match r {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("opensspi-lsad: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let idle = match idle.unwrap_or(60) {
        0 => Duration::MAX,
        s => Duration::from_secs(s),
    };
    // The Kerberos package's AS exchange for a session's first or renewed
    // TGT with its keys, and its TGS exchange with the session's TGT (a
    // service ticket, a forwarded TGT): they run here, where the keys and
    // the TGT's session key are.
    let kerberos: opensspi::lsa::packages::KerberosProviderRef =
        Arc::new(opensspi::packages::kerberos::lsa_logon::LsaKerberos);
    match server::run(server::Config {
        dir,
        idle,
        kerberos: Some(kerberos),
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("opensspi-lsad: {e}");
            ExitCode::FAILURE
        }
    }
}
