//! Issue 9 part 2: the function tables call libopensspi's own code even when the process
//! already has another library exporting the SSPI names (WinPR 2 exports
//! `AcceptSecurityContext`, `InitializeSecurityContextW`, ...). Without
//! `-Wl,-Bsymbolic-functions` (build.rs) ELF interposition bound the tables' entries to the first
//! definition in the process.
//!
//! * `tests/c/interpose.c` + `interpose_defs.c`: a program that defines every exported name
//!   itself (returning the sentinel 0x7777), linked `-rdynamic`, `dlopen`s the library
//!   (RTLD_LOCAL and RTLD_GLOBAL) and checks every W/A table slot, bad-input statuses, real
//!   handshakes through both tables and the logon family;
//! * the library has no dynamic relocation against its own exported functions, so nothing it
//!   calls or hands out (tables, internal calls, Lsa*/Sspi*) can be interposed.
mod common;

use common::*;
use std::process::Command;

fn interpose_program() -> std::path::PathBuf {
    compile_c_flags(
        "interpose",
        &["tests/c/interpose.c", "tests/c/interpose_defs.c"],
        Link::Dlopen,
        &[],
        &["-rdynamic"],
    )
}

fn run(mode: &str) {
    let out = c_command(&interpose_program())
        .arg(cdylib())
        .arg(mode)
        .output()
        .expect("cannot run the interpose program");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "interpose {mode} failed:\n{report}");
    assert!(
        stdout.lines().any(|l| l.ends_with(" passed, 0 failed")),
        "no summary line:\n{report}"
    );
    assert!(!stdout.contains("not ok"), "{report}");
}

#[test]
fn tables_call_the_library_when_the_program_defines_the_names_rtld_local() {
    run("local");
}

#[test]
fn tables_call_the_library_when_the_program_defines_the_names_rtld_global() {
    run("global");
}

fn tool(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .arg(cdylib())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd} (binutils): {e}"));
    assert!(out.status.success(), "{cmd} {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every exported function (the SSPI tables' entries, `Lsa*`, `Sspi*`) is bound inside the
/// library: no dynamic relocation names one of them.
#[test]
fn no_dynamic_relocation_against_an_exported_function() {
    let exported: Vec<String> = tool("nm", &["-D", "--defined-only"])
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [_, "T", name] => Some(name.to_owned()),
            _ => None,
        })
        .collect();
    for name in [
        "AcceptSecurityContext",
        "InitSecurityInterfaceW",
        "LsaLogonUser",
    ] {
        assert!(exported.iter().any(|e| e == name), "{name} not exported");
    }
    let relocs = tool("readelf", &["-rW"]);
    let bound_late: Vec<&str> = relocs
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(4)
                .is_some_and(|sym| exported.iter().any(|e| e == sym))
        })
        .collect();
    assert!(
        bound_late.is_empty(),
        "relocations against exported functions (interposable):\n{}",
        bound_late.join("\n")
    );
}
