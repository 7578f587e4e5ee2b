//! LsaLogonUser's submit buffer (MSV1_0_INTERACTIVE_LOGON /
//! KERB_INTERACTIVE_LOGON) parser: the first 8 input bytes are the address
//! the caller claims the buffer is at.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::lsa::submit::parse_interactive_logon;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let base = u64::from_le_bytes(data[..8].try_into().unwrap()) as usize;
    let buf = &data[8..];
    let _ = parse_interactive_logon(buf, base);
    let _ = parse_interactive_logon(buf, 0);
    let _ = parse_interactive_logon(buf, buf.as_ptr() as usize);
});
