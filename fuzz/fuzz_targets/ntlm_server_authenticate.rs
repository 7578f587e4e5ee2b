//! The NTLM server accepting an arbitrary AUTHENTICATE after a real
//! NEGOTIATE/CHALLENGE exchange (our own client's NEGOTIATE).
#![no_main]
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use opensspi::sspi::consts::SECPKG_ATTR_NAMES;
use opensspi::sspi::Credential;
use opensspi_fuzz::*;

struct Fixture {
    server: Arc<dyn Credential>,
    negotiate: Vec<u8>,
}

static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(f) = FIXTURE.get_or_init(|| {
        let cc = client_cred().ok()?;
        let (_, negotiate) = client_first(&cc).ok()?;
        Some(Fixture {
            server: server_cred().ok()?,
            negotiate,
        })
    }) else {
        return;
    };
    let Ok(mut s) = f.server.new_acceptor(ASC_REQ) else {
        return;
    };
    if s.accept(&input(Some(&f.negotiate), ASC_REQ)).is_err() {
        return;
    }
    if s.accept(&input(Some(data), ASC_REQ)).is_ok() {
        let _ = s.query_attribute(SECPKG_ATTR_NAMES);
    }
});
