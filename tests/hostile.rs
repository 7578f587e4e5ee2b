//! Hostile-caller matrix of the C ABI: compiles and runs `tests/c/hostile.c`
//! (NULL pointers, forged/stale/wrong-kind handles, double frees, guard-page
//! output buffers, bad descriptors, unknown flags, calls out of order,
//! truncated tokens). See `tests/proof_util/mod.rs` for the
//! `OPENSSPI_ASAN` / `OPENSSPI_VALGRIND` switches.

mod proof_util;

#[test]
fn hostile_callers_get_windows_statuses() {
    let exe = proof_util::compile_c("hostile");
    let out = proof_util::run(&exe, &[]);
    eprintln!("{}", out.stdout);
    assert_ne!(
        out.code,
        Some(proof_util::SKIP),
        "NTLM is not available from the library (exit 77)\n{}",
        out.report()
    );
    assert_eq!(out.code, Some(0), "{}", out.report());
    let (passed, failed) = out.summary().expect("summary line");
    assert_eq!(failed, 0, "{}", out.report());
    assert!(passed > 0, "{}", out.report());
}
