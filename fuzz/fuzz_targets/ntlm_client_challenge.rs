//! The NTLM client accepting an arbitrary CHALLENGE after its NEGOTIATE.
#![no_main]
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use opensspi::sspi::consts::{SECBUFFER_DATA, SECBUFFER_TOKEN};
use opensspi::sspi::{BufferData, Credential, MessageBuffer};
use opensspi_fuzz::*;

static CLIENT: OnceLock<Option<Arc<dyn Credential>>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(cc) = CLIENT.get_or_init(|| client_cred().ok()) else {
        return;
    };
    let Ok((mut c, _neg)) = client_first(cc) else {
        return;
    };
    if c.initialize(&input(Some(data), ISC_REQ)).is_ok() && c.is_established() {
        // Whatever keys came out of that CHALLENGE must seal and sign.
        let mut tok = [0u8; 16];
        let mut msg = *b"fuzzed challenge";
        let mut bufs = [
            MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut tok)),
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut msg)),
        ];
        let _ = c.encrypt_message(0, &mut bufs, 0);
        let _ = c.make_signature(0, &mut bufs, 0);
    }
});
