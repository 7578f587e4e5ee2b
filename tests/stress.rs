//! Concurrency stress of the C ABI: compiles and runs `tests/c/stress.c`
//! (8 threads sharing two credential handles, handshakes and sealed round
//! trips both ways, contexts deleted while other threads run, a thread
//! using stale and forged handles). `OPENSSPI_STRESS_ITERS` sets the
//! iterations per thread (default 200; 40 under valgrind). See
//! `tests/proof_util/mod.rs` for `OPENSSPI_ASAN` / `OPENSSPI_VALGRIND`.

mod proof_util;

#[test]
fn eight_threads_share_credentials_without_failures() {
    let exe = proof_util::compile_c("stress");
    let iters = std::env::var("OPENSSPI_STRESS_ITERS").unwrap_or_else(|_| {
        if proof_util::valgrind() {
            "40".into()
        } else {
            "200".into()
        }
    });
    let out = proof_util::run(&exe, &[&iters]);
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
