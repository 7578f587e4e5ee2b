//! The C conformance harness (`tests/c/harness/`, BEHAVIOURS.md items A-O): compiled with
//! `cc -std=c11 -Wall -Wextra -Werror -g -I include` and run twice,
//!
//! * linked (`-DHARNESS_LINKED -lopensspi`, rpath to the target dir): every check calls the
//!   exported symbols;
//! * `--dlopen target/debug/libopensspi.so` (`-ldl` only): every check calls through the
//!   tables returned by `InitSecurityInterfaceW`/`InitSecurityInterfaceA`.
//!
//! A run fails when any check prints `not ok` (the harness output is printed), when the
//! summary line is missing, or when the harness exits abnormally.
//!
//! Environment:
//! * `OPENSSPI_ASAN=1`: compile the harness with `-fsanitize=address` (AddressSanitizer
//!   reports in the C code; the Rust library itself is not instrumented);
//! * `OPENSSPI_VALGRIND=1`: run the harness under `valgrind --leak-check=full` (definite leaks
//!   and memory errors fail the test);
//! * `CARGO_TARGET_DIR`: where `debug/libopensspi.so` lives (default `<manifest>/target`).
//!
//! By hand: `cargo build && cc -std=c11 -Wall -Wextra -Werror -g -I include -DHARNESS_LINKED
//! tests/c/harness/*.c -Ltarget/debug -lopensspi -Wl,-rpath,$PWD/target/debug -o /tmp/h && /tmp/h`
//! (`--only GROUP`, `--no-fork`, `-v` help when debugging one group).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => manifest_dir().join(d),
        None => manifest_dir().join("target"),
    }
}

fn lib_dir() -> PathBuf {
    target_dir().join("debug")
}

fn flag(name: &str) -> bool {
    std::env::var(name).map(|v| v == "1").unwrap_or(false)
}

/// `cargo test` builds only the rlib for integration tests: build the cdylib once.
fn cdylib() -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        if let Some(cargo) = std::env::var_os("CARGO") {
            let out = Command::new(cargo)
                .args(["build", "--lib", "--quiet"])
                .current_dir(manifest_dir())
                .output()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "cargo build --lib failed:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        Ok(())
    });
    if let Err(e) = built {
        panic!("{e}");
    }
    let p = lib_dir().join("libopensspi.so");
    assert!(
        p.exists(),
        "{} is missing: run `cargo build` first",
        p.display()
    );
    p
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Linked,
    Dlopen,
}

fn harness_sources() -> Vec<PathBuf> {
    let dir = manifest_dir().join("tests/c/harness");
    let mut v: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no C sources in {}", dir.display());
    v
}

fn compile(mode: Mode) -> PathBuf {
    // Both modes compile in parallel test threads; cc itself is the expensive part.
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let out_dir = target_dir().join("c-harness");
    fs::create_dir_all(&out_dir).unwrap();
    let asan = flag("OPENSSPI_ASAN");
    let name = match (mode, asan) {
        (Mode::Linked, false) => "harness-linked",
        (Mode::Linked, true) => "harness-linked-asan",
        (Mode::Dlopen, false) => "harness-dlopen",
        (Mode::Dlopen, true) => "harness-dlopen-asan",
    };
    let bin = out_dir.join(name);
    let mut cmd = Command::new(std::env::var_os("CC").unwrap_or_else(|| "cc".into()));
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g"])
        .arg("-I")
        .arg(manifest_dir().join("include"));
    if asan {
        cmd.args(["-fsanitize=address", "-fno-omit-frame-pointer"]);
    }
    if mode == Mode::Linked {
        cmd.arg("-DHARNESS_LINKED");
    }
    cmd.args(harness_sources()).arg("-o").arg(&bin);
    match mode {
        Mode::Linked => {
            let lib = lib_dir();
            cmd.arg(format!("-L{}", lib.display()))
                .arg("-lopensspi")
                .arg(format!("-Wl,-rpath,{}", lib.display()));
        }
        Mode::Dlopen => {
            cmd.arg("-ldl");
        }
    }
    let out = cmd.output().expect("cannot run cc");
    assert!(
        out.status.success(),
        "compiling the C harness failed:\n{:?}\n{}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    bin
}

struct Summary {
    passed: usize,
    failed: usize,
}

fn summary(stdout: &str) -> Option<Summary> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.ends_with(" failed") && l.contains(" passed, "))?;
    let mut it = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    Some(Summary {
        passed: it.next()?.parse().ok()?,
        failed: it.next()?.parse().ok()?,
    })
}

fn run(mode: Mode) {
    let lib = cdylib();
    let bin = compile(mode);
    let mut cmd = if flag("OPENSSPI_VALGRIND") && !flag("OPENSSPI_ASAN") {
        let mut c = Command::new("valgrind");
        c.args([
            "-q",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--error-exitcode=99",
        ])
        .arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    if mode == Mode::Dlopen {
        cmd.arg("--dlopen").arg(&lib);
    }
    cmd.current_dir(manifest_dir()).env_remove("NTLM_USER_FILE");
    // An LSA service the harness starts (the default store) lives in a runtime directory of
    // the test's own and exits a second after its last client.
    let runtime = target_dir()
        .join("test-tmp")
        .join(format!("harness-rt-{}", std::process::id()));
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    cmd.env("XDG_RUNTIME_DIR", &runtime)
        .env("OPENSSPI_LSAD_IDLE", "1");
    if flag("OPENSSPI_ASAN") {
        // The harness forks per group; leaks are valgrind's job.
        cmd.env("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0");
    }
    let out = cmd.output().expect("cannot run the C harness");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let label = if mode == Mode::Linked {
        "linked"
    } else {
        "dlopen"
    };
    let s = summary(&stdout);
    let failing: Vec<&str> = stdout.lines().filter(|l| l.starts_with("not ok")).collect();
    let ok =
        out.status.success() && failing.is_empty() && s.as_ref().is_some_and(|s| s.failed == 0);
    if !ok {
        panic!(
            "C harness ({label}) failed: exit {:?}, {}\n\n--- output ---\n{stdout}\n--- stderr ---\n{stderr}\n--- failing checks ({}) ---\n{}",
            out.status.code(),
            match &s {
                Some(s) => format!("{} passed, {} failed", s.passed, s.failed),
                None => "no summary line (crashed?)".to_string(),
            },
            failing.len(),
            failing.join("\n")
        );
    }
    println!("{stdout}");
}

#[test]
fn c_harness_linked() {
    run(Mode::Linked);
}

#[test]
fn c_harness_dlopen() {
    run(Mode::Dlopen);
}
