//! The NTLM server's first AcceptSecurityContext leg on an arbitrary token
//! (NEGOTIATE decoding, or anything a client might send first).
#![no_main]
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use opensspi::sspi::Credential;
use opensspi_fuzz::*;

static SERVER: OnceLock<Option<Arc<dyn Credential>>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(sc) = SERVER.get_or_init(|| server_cred().ok()) else {
        return;
    };
    let Ok(mut s) = sc.new_acceptor(ASC_REQ) else {
        return;
    };
    if let Ok(out) = s.accept(&input(Some(data), ASC_REQ)) {
        // A second leg with the same bytes must fail cleanly too.
        let _ = out;
        let _ = s.accept(&input(Some(data), ASC_REQ));
    }
    let _ = s.is_established();
});
