//! `scripts/install.sh` installs opensspi like a system library: into a throwaway prefix (the
//! debug build, `--debug`, so the test builds nothing new), then the `c-examples/` programs are
//! built with nothing but `cc $(pkg-config --cflags --libs opensspi)` and run from the prefix;
//! `--uninstall` leaves no file behind. Also: the man pages render without warnings, and the
//! settings of README.md, opensspi(7) and the variables `src/` reads are the same list.
mod common;

use common::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A directory under `target/install-tests/`, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d = target_dir()
            .join("install-tests")
            .join(format!("{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout:\n{}--- stderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn run_ok(cmd: &mut Command) -> Output {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(o.status.success(), "{cmd:?} failed:\n{}", text(&o));
    o
}

/// `scripts/install.sh ARGS` with `DESTDIR` (empty: none).
fn install_sh(args: &[&str], destdir: Option<&Path>) -> Command {
    cdylib();
    let mut c = Command::new(manifest_dir().join("scripts/install.sh"));
    c.args(args).env_remove("DESTDIR");
    if let Some(d) = destdir {
        c.env("DESTDIR", d);
    }
    c
}

/// Every file and symlink under `dir` (directories not counted).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn pkg_config(prefix: &Path, args: &[&str]) -> Vec<String> {
    let o = run_ok(
        Command::new("pkg-config")
            .args(args)
            .arg("opensspi")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .env_remove("PKG_CONFIG_LIBDIR")
            .env_remove("PKG_CONFIG_SYSROOT_DIR"),
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// `cc -std=c11 -Wall -Wextra -Werror SRC -o OUT FLAGS`: nothing of the source tree but `src`.
fn cc(src: &Path, out: &Path, flags: &[String]) {
    run_ok(
        Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
            .arg(src)
            .arg("-o")
            .arg(out)
            .args(flags),
    );
}

fn readelf_dynamic(bin: &Path) -> String {
    String::from_utf8(run_ok(Command::new("readelf").arg("-d").arg(bin)).stdout).unwrap()
}

/// Runs a program built against the prefix, with only `LD_LIBRARY_PATH=PREFIX/lib` and
/// `PREFIX/bin` first in `PATH` (where the LSA service it starts is found), in a runtime
/// directory of its own.
fn run_installed(bin: &Path, prefix: &Path) -> Output {
    let runtime = prefix.with_extension("runtime");
    fs::create_dir_all(&runtime).unwrap();
    let path = format!(
        "{}:{}",
        prefix.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(bin)
        .env("LD_LIBRARY_PATH", prefix.join("lib"))
        .env("PATH", path)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("OPENSSPI_LSAD_IDLE", "1")
        .env_remove("OPENSSPI_LSA_STORE")
        .env_remove("NTLM_USER_FILE")
        .output()
        .unwrap()
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[test]
fn installed_library_serves_pkg_config_builds_of_the_examples_and_uninstalls_cleanly() {
    let tmp = TempDir::new("prefix");
    let prefix = tmp.0.join("usr");
    run_ok(install_sh(&["--debug", prefix.to_str().unwrap()], None).current_dir(&tmp.0));

    // The layout of a system library.
    let lib = prefix.join("lib");
    let real = format!("libopensspi.so.{}", version());
    assert!(lib.join(&real).is_file() && !lib.join(&real).is_symlink());
    assert_eq!(
        fs::read_link(lib.join("libopensspi.so.0")).unwrap(),
        Path::new(&real)
    );
    assert_eq!(
        fs::read_link(lib.join("libopensspi.so")).unwrap(),
        Path::new("libopensspi.so.0")
    );
    for f in [
        "lib/libopensspi.a",
        "lib/pkgconfig/opensspi.pc",
        "include/opensspi/opensspi.h",
        "include/opensspi/security.h",
        "include/opensspi/sspi.h",
        "bin/sspilogon",
        "bin/opensspi-lsad",
        "lib/systemd/user/opensspi-lsad.service",
        "lib/systemd/user/opensspi-lsad.socket",
        "share/man/man1/sspilogon.1",
        "share/man/man7/opensspi.7",
        "share/opensspi/install-manifest",
    ] {
        assert!(prefix.join(f).is_file(), "{f} not installed");
    }
    for h in ["opensspi.h", "security.h", "sspi.h"] {
        assert_eq!(
            fs::read(prefix.join("include/opensspi").join(h)).unwrap(),
            fs::read(manifest_dir().join("include").join(h)).unwrap(),
            "installed {h} differs from include/{h}"
        );
    }
    assert!(
        readelf_dynamic(&lib.join(&real)).contains("Library soname: [libopensspi.so.0]"),
        "no SONAME libopensspi.so.0"
    );

    // pkg-config: the flags the task promises, and the version of Cargo.toml.
    let p = prefix.display();
    assert_eq!(
        pkg_config(&prefix, &["--cflags"]),
        [format!("-I{p}/include/opensspi")]
    );
    assert_eq!(
        pkg_config(&prefix, &["--libs"]),
        [format!("-L{p}/lib"), "-lopensspi".into()]
    );
    assert_eq!(pkg_config(&prefix, &["--modversion"]), [version()]);
    let flags = pkg_config(&prefix, &["--cflags", "--libs"]);

    // The examples, built with nothing but the pkg-config flags (no -I include, no rpath).
    let bin = tmp.0.join("bin");
    fs::create_dir_all(&bin).unwrap();
    for ex in ["logon_demo", "sspi_client", "sspi_server", "kerberos_demo"] {
        let src = manifest_dir().join(format!("c-examples/{ex}.c"));
        cc(&src, &bin.join(ex), &flags);
    }
    let demo = bin.join("logon_demo");
    assert!(
        readelf_dynamic(&demo).contains("Shared library: [libopensspi.so.0]"),
        "logon_demo does not load the library by its SONAME"
    );
    let o = run_installed(&demo, &prefix);
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("demo OK"),
        "logon_demo from the prefix:\n{}",
        text(&o)
    );

    // Both include spellings: <opensspi/security.h> with -I PREFIX/include, <security.h> with
    // the pkg-config flags; each header includes opensspi.h beside itself.
    let probe = tmp.0.join("probe.c");
    for (include, cflags) in [
        ("opensspi/security.h", vec![format!("-I{p}/include")]),
        ("opensspi/sspi.h", vec![format!("-I{p}/include")]),
        ("security.h", pkg_config(&prefix, &["--cflags"])),
        ("sspi.h", pkg_config(&prefix, &["--cflags"])),
    ] {
        fs::write(
            &probe,
            format!(
                "#include <{include}>\n\
                 int main(void) {{\n\
                 \x20   CredHandle c = {{0, 0}};\n\
                 \x20   SECURITY_STATUS s = FreeCredentialsHandle(&c);\n\
                 \x20   return s == SEC_E_INVALID_HANDLE ? 0 : 1;\n\
                 }}\n"
            ),
        )
        .unwrap();
        let mut f = cflags;
        f.extend(pkg_config(&prefix, &["--libs"]));
        cc(&probe, &bin.join("probe"), &f);
        // An all-zero handle was never issued: SEC_E_INVALID_HANDLE from the library.
        let o = run_installed(&bin.join("probe"), &prefix);
        assert!(o.status.success(), "<{include}> probe:\n{}", text(&o));
    }

    // The static library, linked with the private libraries pkg-config names for it and no
    // others (-nodefaultlibs: not even libc unless Libs.private says so).
    let mut static_flags = vec!["-nodefaultlibs".to_string()];
    static_flags.extend(pkg_config(&prefix, &["--cflags"]));
    static_flags.extend(
        pkg_config(&prefix, &["--static", "--libs"])
            .into_iter()
            .map(|f| {
                if f == "-lopensspi" {
                    "-l:libopensspi.a".into()
                } else {
                    f
                }
            }),
    );
    let demo_static = bin.join("logon_demo-static");
    cc(
        &manifest_dir().join("c-examples/logon_demo.c"),
        &demo_static,
        &static_flags,
    );
    assert!(!readelf_dynamic(&demo_static).contains("libopensspi"));
    let o = run_installed(&demo_static, &prefix);
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("demo OK"),
        "statically linked logon_demo:\n{}",
        text(&o)
    );

    // sspilogon from the prefix.
    let o = run_ok(Command::new(prefix.join("bin/sspilogon")).arg("--help"));
    assert!(String::from_utf8_lossy(&o.stdout).contains("usage: sspilogon"));

    // The installed man pages are found by man through the prefix.
    for page in ["sspilogon", "opensspi"] {
        let o = run_ok(
            Command::new("man")
                .arg("--manpath")
                .arg(prefix.join("share/man"))
                .arg(page)
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "80"),
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains(page));
    }

    // --uninstall removes every file and the directories the install created.
    run_ok(&mut install_sh(
        &["--uninstall", prefix.to_str().unwrap()],
        None,
    ));
    assert!(!prefix.exists(), "left behind: {:?}", files_under(&prefix));
}

#[test]
fn destdir_install_names_the_prefix_and_reinstall_and_uninstall_leave_nothing() {
    let tmp = TempDir::new("destdir");
    let stage = tmp.0.join("stage");
    let args = ["--debug", "/opt/opensspi-test"];
    run_ok(&mut install_sh(&args, Some(&stage)));
    let root = stage.join("opt/opensspi-test");
    let pc = fs::read_to_string(root.join("lib/pkgconfig/opensspi.pc")).unwrap();
    assert!(pc.contains("prefix=/opt/opensspi-test\n"), "{pc}");
    assert!(!pc.contains(stage.to_str().unwrap()), "{pc}");
    let manifest = fs::read_to_string(root.join("share/opensspi/install-manifest")).unwrap();
    assert!(!manifest.contains(stage.to_str().unwrap()), "{manifest}");
    let first = files_under(&stage);
    assert_eq!(first.len(), 15, "{first:?}");

    // A second install replaces the first (its manifest), it does not add to it.
    run_ok(&mut install_sh(&args, Some(&stage)));
    assert_eq!(files_under(&stage), first);

    run_ok(&mut install_sh(
        &["--uninstall", "/opt/opensspi-test"],
        Some(&stage),
    ));
    assert!(files_under(&stage).is_empty(), "{:?}", files_under(&stage));
    assert!(
        !stage.join("opt").exists(),
        "created directories left behind"
    );
}

/// A manifest is a list of paths to delete: one that names a file outside the prefix (a
/// tampered or foreign manifest) makes `--uninstall` refuse before deleting anything.
#[test]
fn uninstall_refuses_a_manifest_entry_outside_the_prefix() {
    let tmp = TempDir::new("tampered");
    let prefix = tmp.0.join("usr");
    let victim = tmp.0.join("victim");
    fs::write(&victim, "not installed by opensspi").unwrap();
    let inside = prefix.join("lib/libopensspi.a");
    fs::create_dir_all(inside.parent().unwrap()).unwrap();
    fs::write(&inside, "x").unwrap();
    let mdir = prefix.join("share/opensspi");
    fs::create_dir_all(&mdir).unwrap();
    for bad in [
        format!("f {}", victim.display()),
        format!("f {}/../victim", prefix.display()),
        format!("l {}", victim.display()),
    ] {
        fs::write(
            mdir.join("install-manifest"),
            format!("f {}\n{bad}\n", inside.display()),
        )
        .unwrap();
        let o = install_sh(&["--uninstall", prefix.to_str().unwrap()], None)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{bad}: accepted\n{}", text(&o));
        assert!(victim.exists(), "{bad}: deleted a file outside the prefix");
        assert!(inside.exists(), "{bad}: deleted before refusing");
    }
}

/// groff's warnings for the man macros (`-ww`), on stderr: none for either page.
#[test]
fn man_pages_render_without_warnings() {
    for page in ["docs/man/sspilogon.1", "docs/man/opensspi.7"] {
        let path = manifest_dir().join(page);
        let o = run_ok(
            Command::new("groff")
                .args(["-man", "-ww", "-z", "-Tutf8"])
                .arg(&path),
        );
        assert!(o.stderr.is_empty(), "{page}:\n{}", text(&o));
        let o = run_ok(
            Command::new("man")
                .args(["--warnings", "-l"])
                .arg(&path)
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "80"),
        );
        assert!(o.stderr.is_empty(), "man -l {page}:\n{}", text(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("NAME"));
    }
}

/// Environment variable names (`[A-Z][A-Z0-9_]*_[A-Z0-9_]+`) between backquotes in `s`.
fn backquoted_names(s: &str) -> BTreeSet<String> {
    s.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| is_var_name(w))
        .map(String::from)
        .collect()
}

fn is_var_name(w: &str) -> bool {
    w.len() > 3
        && (w.contains('_') || w.contains(|c: char| c.is_ascii_digit()))
        && w.starts_with(|c: char| c.is_ascii_uppercase())
        && w.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The first column of README.md's "## Settings" table.
fn readme_settings() -> BTreeSet<String> {
    let readme = fs::read_to_string(manifest_dir().join("README.md")).unwrap();
    let section = readme
        .split("\n## Settings")
        .nth(1)
        .expect("README.md has no ## Settings section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| backquoted_names(l.split('|').nth(1).unwrap()))
        .collect()
}

/// The `.TP` / `.B NAME` entries of the ENVIRONMENT section of opensspi(7).
fn man_settings() -> BTreeSet<String> {
    let man = fs::read_to_string(manifest_dir().join("docs/man/opensspi.7")).unwrap();
    let section = man
        .split("\n.SH ENVIRONMENT\n")
        .nth(1)
        .expect("opensspi.7 has no ENVIRONMENT section");
    let section = section.split("\n.SH ").next().unwrap();
    let lines: Vec<&str> = section.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[0] == ".TP")
        .filter_map(|w| w[1].strip_prefix(".B "))
        .map(|n| n.trim().replace("\\-", "-"))
        .collect()
}

/// Variables only test code reads; they are no settings of the library.
const TEST_ONLY: &[&str] = &[
    "NTLM_BENCH_SEAL_ROUNDS",
    "OPENSSPI_VENV",
    "OPENSSPI_SKIP_KEYRING_TESTS",
    "OPENSSPI_KEYRING_TEST_CHILD",
];

/// The code of a source file without its test module (`#[cfg(test)]` then `mod x {`: the rest
/// of the file, where clippy's items_after_test_module keeps it), and the names of the
/// `#[cfg(test)] mod x;` modules it declares in files of their own.
fn non_test_code(src: &str) -> (String, Vec<String>) {
    let (mut code, mut test_files) = (String::new(), Vec::new());
    let mut lines = src.lines().peekable();
    while let Some(l) = lines.next() {
        if l.trim() == "#[cfg(test)]" {
            let next = lines.peek().map(|n| n.trim()).unwrap_or("");
            let decl = next.strip_prefix("pub ").unwrap_or(next);
            if let Some(name) = decl.strip_prefix("mod ") {
                if let Some(name) = name.strip_suffix(';') {
                    test_files.push(name.to_string());
                    lines.next();
                    continue;
                }
                break;
            }
        }
        code.push_str(l);
        code.push('\n');
    }
    (code, test_files)
}

/// The `.rs` files under `dir`, outside `tests/` directories.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in fs::read_dir(dir).unwrap().flatten().map(|e| e.path()) {
        if path.is_dir() {
            if path.file_name().unwrap() != "tests" {
                out.extend(rust_files(&path));
            }
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out
}

/// String literals that look like variable names (not `env!` compile-time ones) in the files of
/// `src/` that read the environment (`env::var`, `env::var_os`), outside test code: test
/// modules, `tests/` directories and `#[cfg(test)]` module files.
fn src_variables() -> BTreeSet<String> {
    let files: Vec<(PathBuf, String, Vec<String>)> = rust_files(&manifest_dir().join("src"))
        .into_iter()
        .map(|p| {
            let (code, test_mods) = non_test_code(&fs::read_to_string(&p).unwrap());
            (p, code, test_mods)
        })
        .collect();
    let mut skip: Vec<PathBuf> = Vec::new();
    for (path, _, test_mods) in &files {
        let stem = path.file_stem().unwrap();
        let mod_dir = if ["mod", "lib", "main"].iter().any(|s| stem == *s) {
            path.parent().unwrap().to_path_buf()
        } else {
            path.with_extension("")
        };
        for m in test_mods {
            skip.push(mod_dir.join(format!("{m}.rs")));
            skip.push(mod_dir.join(m));
        }
    }
    let mut found = BTreeSet::new();
    for (path, code, _) in &files {
        let reads_env = code.contains("env::var");
        if !reads_env || skip.iter().any(|s| path.starts_with(s)) {
            continue;
        }
        let code = code.replace("\\\"", "").replace("'\"'", "");
        let mut prev = "";
        for (i, chunk) in code.split('"').enumerate() {
            if i % 2 == 1 && is_var_name(chunk) && !prev.trim_end().ends_with("env!(") {
                found.insert(chunk.to_string());
            }
            prev = chunk;
        }
    }
    found
        .into_iter()
        .filter(|v| !TEST_ONLY.contains(&v.as_str()))
        .collect()
}

#[test]
fn readme_settings_man_page_and_src_name_the_same_variables() {
    let readme = readme_settings();
    let man = man_settings();
    let src = src_variables();
    assert!(readme.contains("NTLM_USER_FILE"), "{readme:?}");
    assert_eq!(
        readme, man,
        "README.md ## Settings vs opensspi(7) ENVIRONMENT"
    );
    assert_eq!(
        readme, src,
        "README.md ## Settings vs the variables src/ reads (add the new ones to both \
         README.md and docs/man/opensspi.7)"
    );
}
