//! Secrets outlive no logoff (issue 8 item 8): a process that logged a user on
//! (`LsaLogonUser`), authenticated with her default credentials, logged off
//! and closed the token holds no copy of her NT OWF in a core dump, nor
//! anywhere in its memory (`tests/c/secrets_core.c`).
//!
//! The core is taken with `gcore` (gdb), which, like the kernel, leaves out
//! pages marked `MADV_DONTDUMP`. Two stops:
//! - `live` (session and account database alive): the process's memory holds
//!   the NT OWF (at least once: the scan works) but the core does not (the
//!   secret arena is excluded from dumps);
//! - `after` (logoff, token closed, account database replaced): neither the
//!   memory (read through /proc/self/mem, dump-excluded pages included: the
//!   copies were wiped) nor the core holds it.
//!
//! In both cores a heap marker derived from the same 16 bytes must be found
//! (heap memory is dumped, the search is not vacuous). Without gdb (or with
//! `OPENSSPI_CORE_DUMPER=kernel`) the kernel dumps instead, the program
//! aborting at one stop per run, if `core_pattern` writes `core` files into
//! the current directory; otherwise the test is skipped with a message.
mod common;

use common::*;
use md4::{Digest, Md4};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const PASSWORD: &str = "Core-Dump-Passw0rd!";

/// NTOWFv1 computed here, independently of the library.
fn nt_owf(password: &str) -> [u8; 16] {
    let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
    Md4::digest(&utf16).into()
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

fn have_gcore() -> bool {
    Command::new("gcore")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// `gcore` the process `pid` into `dir`; returns the core's bytes.
fn gcore(pid: u32, dir: &Path) -> Vec<u8> {
    let out = Command::new("gcore")
        .arg("-o")
        .arg(dir.join("core"))
        .arg(pid.to_string())
        .output()
        .expect("cannot run gcore");
    let file = dir.join(format!("core.{pid}"));
    assert!(
        out.status.success() && file.exists(),
        "gcore {pid} failed (set OPENSSPI_CORE_DUMPER=kernel to let the kernel dump instead): {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    bytes
}

/// Whether the kernel writes core files into the dumping process's
/// directory (`core_pattern` `core`, or `core.%p` style): then the core of
/// an `abort()` in `dir` is `dir/core` or `dir/core.<pid>`.
fn kernel_dumps_here() -> bool {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    let pattern = pattern.trim();
    pattern == "core" || pattern == "core.%p"
}

fn kernel_core(pid: u32, dir: &Path) -> Vec<u8> {
    for name in ["core".to_string(), format!("core.{pid}")] {
        if let Ok(bytes) = std::fs::read(dir.join(&name)) {
            std::fs::remove_file(dir.join(&name)).unwrap();
            return bytes;
        }
    }
    panic!("the kernel wrote no core file into {}", dir.display());
}

#[derive(Clone, Copy, PartialEq)]
enum Dumper {
    /// One run, gcore at both stops.
    Gcore,
    /// One run per stop, aborting there (SECRETS_ABORT_AT).
    Kernel,
}

/// Per stop: (phase, copies in the core, copies in memory, markers in the core).
type Counts = Vec<(&'static str, usize, usize, usize)>;

/// Runs secrets_core; with `abort_at`, the kernel dumps at that stop.
fn run(bin: &Path, users: &Path, dir: &Path, owf: &[u8; 16], abort_at: Option<&str>) -> Counts {
    let marker: Vec<u8> = owf.iter().map(|b| b ^ 0x5A).collect();
    // the program replaces the account file before its second stop
    std::fs::write(users, format!("EXAMPLE:alice:{PASSWORD}\n")).unwrap();
    let mut cmd = c_command(bin);
    cmd.env("NTLM_USER_FILE", users)
        .env("OPENSSPI_LSA_STORE", "memory")
        .env("SECRETS_PASSWORD", PASSWORD)
        .env("SECRETS_NEEDLE", hex::encode(owf))
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(p) = abort_at {
        cmd.env("SECRETS_ABORT_AT", p);
    }
    let mut child = cmd.spawn().expect("cannot start secrets_core");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut counts = Vec::new();
    for phase in ["live", "after"] {
        let line = match lines.next() {
            Some(Ok(l)) => l,
            other => {
                let _ = child.kill();
                panic!(
                    "secrets_core stopped before phase {phase}: {other:?} ({:?})",
                    child.wait()
                );
            }
        };
        assert!(
            line.starts_with(&format!("PHASE {phase} ")),
            "unexpected line {line:?}"
        );
        let memory: usize = line
            .rsplit_once("memory=")
            .and_then(|(_, n)| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no memory count in {line:?}"));
        if abort_at.is_some_and(|p| p != phase) {
            writeln!(stdin, "go").unwrap();
            continue;
        }
        let core = match abort_at {
            None => gcore(pid, dir),
            Some(_) => {
                let status = child.wait().unwrap();
                assert!(!status.success(), "secrets_core did not abort: {status:?}");
                kernel_core(pid, dir)
            }
        };
        counts.push((phase, count(&core, owf), memory, count(&core, &marker)));
        if abort_at.is_some() {
            return counts;
        }
        writeln!(stdin, "go").unwrap();
    }
    drop(stdin);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(
        status.success() && rest.iter().any(|l| l == "DONE"),
        "{status:?} {rest:?}"
    );
    counts
}

#[test]
fn nt_owf_is_neither_in_the_core_nor_in_memory_after_logoff() {
    if valgrind() {
        eprintln!("SKIPPED under valgrind: its own copies of guest memory would be counted");
        return;
    }
    let forced_kernel = std::env::var("OPENSSPI_CORE_DUMPER").is_ok_and(|v| v == "kernel");
    let dumper = if have_gcore() && !forced_kernel {
        Dumper::Gcore
    } else if kernel_dumps_here() {
        Dumper::Kernel
    } else {
        eprintln!(
            "SKIPPED: no way to dump a core here: gcore (apt package gdb, installed by \
             scripts/install-test-deps.sh) is missing and /proc/sys/kernel/core_pattern is not \
             `core`"
        );
        return;
    };
    let owf = nt_owf(PASSWORD);
    let bin = compile_c("tests/c/secrets_core.c", Link::Linked);
    let users = UserFile::new("secrets-core", &[&format!("EXAMPLE:alice:{PASSWORD}")]);
    let dir = target_dir().join(format!("test-tmp/secrets-core-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let counts = match dumper {
        Dumper::Gcore => run(&bin, &users.path, &dir, &owf, None),
        Dumper::Kernel => {
            let mut c = run(&bin, &users.path, &dir, &owf, Some("live"));
            c.extend(run(&bin, &users.path, &dir, &owf, Some("after")));
            c
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let report: Vec<String> = counts
        .iter()
        .map(|(p, core, mem, m)| {
            format!("{p}: {core} copies in the core, {mem} in memory, marker {m}")
        })
        .collect();
    eprintln!("{}", report.join("\n"));
    for (phase, in_core, memory, markers) in counts {
        assert!(
            markers >= 1,
            "{phase}: the heap marker is not in the core: {report:?}"
        );
        assert_eq!(in_core, 0, "{phase}: the NT OWF is in the core: {report:?}");
        if phase == "live" {
            assert!(
                memory >= 1,
                "the live session's NT OWF was not found in memory: {report:?}"
            );
        } else {
            assert_eq!(
                memory, 0,
                "the NT OWF is still in memory after logoff: {report:?}"
            );
        }
    }
}
