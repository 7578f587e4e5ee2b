//! `OPENSSPI_TRACE` in a host that uses `tracing` itself (a Rust program linking the rlib): the
//! library's subscriber is scoped to its own calls. It never takes the process-wide default (the
//! host can still install its own after the library's first traced call), the host's events
//! never reach the library's trace file, and the library's never reach the host's subscriber.
//! (Its own test binary: it sets the variable before the library's first call.)
use std::fs;
use std::path::PathBuf;

use opensspi::ffi::misc::FreeContextBuffer;
use opensspi::ffi::pkginfo::EnumerateSecurityPackagesA;

fn enumerate() {
    let mut n = 0u32;
    let mut list = std::ptr::null_mut();
    // SAFETY: valid output pointers; the list is freed below.
    assert_eq!(unsafe { EnumerateSecurityPackagesA(&mut n, &mut list) }, 0);
    // SAFETY: allocated by the library.
    assert_eq!(unsafe { FreeContextBuffer(list.cast()) }, 0);
}

fn tmp(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}.log", std::process::id()));
    let _ = fs::remove_file(&p);
    p
}

#[test]
fn the_library_never_takes_the_hosts_global_subscriber() {
    let trace = tmp("trace-host-library");
    let host_log = tmp("trace-host-own");
    std::env::set_var("OPENSSPI_TRACE", &trace);

    enumerate(); // the library's first call: its dispatcher is built now
    let host = tracing_subscriber::fmt()
        .with_writer(fs::File::create(&host_log).unwrap())
        .finish();
    tracing::subscriber::set_global_default(host)
        .expect("the library took the process-wide default subscriber");
    tracing::info!("HOST-EVENT-outside-the-library");
    enumerate();

    let text = fs::read_to_string(&trace).expect("no trace written");
    assert_eq!(
        text.matches("EnumerateSecurityPackagesA -> SEC_E_OK")
            .count(),
        2,
        "{text}"
    );
    assert!(!text.contains("HOST-EVENT"), "{text}");
    let host_text = fs::read_to_string(&host_log).unwrap();
    assert!(host_text.contains("HOST-EVENT"), "{host_text}");
    assert!(
        !host_text.contains("EnumerateSecurityPackages"),
        "{host_text}"
    );
    fs::remove_file(&trace).unwrap();
    fs::remove_file(&host_log).unwrap();
}
