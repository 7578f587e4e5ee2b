//! `#include <security.h>` is enough for Windows-style SSPI code: `tests/c/windows_sample.c`
//! compiles with -Wall -Wextra -Werror as C11 and C++17, with and without UNICODE, and runs.
mod common;

use common::*;
use std::process::Command;

fn compile(lang: &str, std: &str, unicode: bool) -> std::path::PathBuf {
    cdylib();
    let out = c_tests_dir().join(format!(
        "windows_sample-{lang}{}",
        if unicode { "-unicode" } else { "" }
    ));
    let mut cc = Command::new(if lang == "c" { "cc" } else { "c++" });
    cc.args(["-x", lang, std, "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(manifest_dir().join("include"))
        .arg(manifest_dir().join("tests/c/windows_sample.c"))
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib_dir().display()))
        .arg("-lopensspi")
        .arg(format!("-Wl,-rpath,{}", lib_dir().display()));
    if unicode {
        cc.arg("-DUNICODE");
    }
    let res = cc.output().expect("cannot run the compiler");
    assert!(
        res.status.success(),
        "{lang} {std} unicode={unicode}: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    out
}

#[test]
fn windows_style_code_compiles_and_runs() {
    for (lang, std) in [("c", "-std=c11"), ("c++", "-std=c++17")] {
        for unicode in [false, true] {
            let bin = compile(lang, std, unicode);
            let res = c_command(&bin).output().unwrap();
            assert!(
                res.status.success(),
                "{lang} unicode={unicode}: exit {:?}\n{}",
                res.status,
                String::from_utf8_lossy(&res.stderr)
            );
        }
    }
}
