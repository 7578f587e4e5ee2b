//! Build and run the C proof programs of `tests/c/` against the
//! `libopensspi.so` that cargo built next to the test binary.
//!
//! Environment switches:
//! - `OPENSSPI_ASAN=1`: compile the C program with
//!   `-fsanitize=address -fno-omit-frame-pointer` (AddressSanitizer and
//!   LeakSanitizer in the C program; the Rust library is not instrumented but
//!   every `malloc`/`free` it does goes through ASan's allocator).
//! - `OPENSSPI_VALGRIND=1`: run the program under
//!   `valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite`
//!   (ignored together with `OPENSSPI_ASAN=1`: the two do not mix).
//! - `OPENSSPI_PROOF_TIMEOUT=SECONDS`: kill the program after that long
//!   (default 600, 3600 under valgrind).
//! - `CC`: the C compiler (default `cc`).

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Exit status of a proof program that could not run its NTLM part.
pub const SKIP: i32 = 77;

fn flag(name: &str) -> bool {
    std::env::var(name).map(|v| v == "1").unwrap_or(false)
}

pub fn asan() -> bool {
    flag("OPENSSPI_ASAN")
}

pub fn valgrind() -> bool {
    flag("OPENSSPI_VALGRIND") && !asan()
}

/// Where `libopensspi.so` is: `cargo test` builds the cdylib next to the
/// test binary in `target/<profile>/deps/` (only `cargo build` copies it up
/// to `target/<profile>/`).
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("target/<profile>/deps").to_path_buf();
    if deps.join("libopensspi.so").exists() {
        return deps;
    }
    deps.parent().expect("target/<profile>").to_path_buf()
}

/// Compile `tests/c/<name>.c` and return the executable.
pub fn compile_c(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = lib_dir();
    assert!(
        lib.join("libopensspi.so").exists(),
        "{} missing: the cdylib is built with the tests",
        lib.join("libopensspi.so").display()
    );
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("proof-c");
    std::fs::create_dir_all(&out_dir).expect("create proof-c dir");
    let exe = out_dir.join(if asan() {
        format!("{name}-asan")
    } else {
        name.to_string()
    });
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut cmd = Command::new(&cc);
    cmd.args([
        "-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread", "-g", "-O1",
    ]);
    if asan() {
        // AddressSanitizer switch (docs/PROOF.md).
        cmd.args(["-fsanitize=address", "-fno-omit-frame-pointer"]);
    }
    cmd.arg("-I")
        .arg(root.join("include"))
        .arg("-I")
        .arg(root.join("tests/c"))
        .arg(root.join(format!("tests/c/{name}.c")))
        .arg("-o")
        .arg(&exe)
        .arg("-L")
        .arg(&lib)
        .arg("-lopensspi")
        .arg(format!("-Wl,-rpath,{}", lib.display()));
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cc}: {e}"));
    assert!(
        out.status.success(),
        "compiling tests/c/{name}.c failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// What a proof program did.
pub struct Outcome {
    /// Exit code (`None`: killed by a signal or the timeout).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Outcome {
    /// The program's `N passed, M failed` line.
    pub fn summary(&self) -> Option<(u64, u64)> {
        self.stdout.lines().rev().find_map(|l| {
            let (p, rest) = l.split_once(" passed, ")?;
            let f = rest.split_whitespace().next()?;
            Some((p.trim().parse().ok()?, f.parse().ok()?))
        })
    }

    pub fn report(&self) -> String {
        format!(
            "exit {:?}{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            if self.timed_out { " (timed out)" } else { "" },
            self.stdout,
            self.stderr
        )
    }
}

/// Run `exe args`, under valgrind when asked, with a timeout.
pub fn run(exe: &Path, args: &[&str]) -> Outcome {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("proof-c");
    let stem = exe.file_name().unwrap().to_string_lossy().to_string();
    let out_path = tmp.join(format!("{stem}.{}.stdout", std::process::id()));
    let err_path = tmp.join(format!("{stem}.{}.stderr", std::process::id()));
    let mut cmd = if valgrind() {
        let mut c = Command::new("valgrind");
        c.args([
            "--error-exitcode=1",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite",
            "-q",
        ])
        .arg(exe);
        c
    } else {
        Command::new(exe)
    };
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).expect("stdout file"))
        .stderr(File::create(&err_path).expect("stderr file"));
    if asan() || valgrind() {
        // Quarantined frees make RSS meaningless.
        cmd.env("OPENSSPI_PROOF_NO_RSS", "1");
    }
    if asan() {
        cmd.env(
            "ASAN_OPTIONS",
            std::env::var("ASAN_OPTIONS")
                .unwrap_or_else(|_| "detect_leaks=1:abort_on_error=0:exitcode=1".into()),
        );
    }
    let limit = std::env::var("OPENSSPI_PROOF_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if valgrind() { 3600 } else { 600 });
    let mut child = cmd.spawn().expect("spawn proof program");
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(limit) {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    Outcome {
        code: status.and_then(|s| s.code()),
        stdout,
        stderr,
        timed_out,
    }
}
