//! ImportSecurityContext's parser (`Session::from_export_bytes`, what
//! `Session::import` runs once the blob's tag has checked) on arbitrary
//! bytes; an imported context must export to bytes that import again, and
//! seal/sign. (Arbitrary bytes never carry a valid tag, so fuzzing
//! `Session::import` itself would stop at the tag check.)
//!
//! Inputs whose key-stream positions exceed 1 MiB are skipped: import replays
//! the RC4 key stream up to the position (the library refuses positions past
//! 64 MiB since 0ec2b13, but 64 MiB still takes ~0.1 s, too slow to fuzz;
//! tests/c/hostile.c "import with a forged position" covers the bound).
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::ntlm::Session;
use opensspi::sspi::consts::{SECBUFFER_DATA, SECBUFFER_TOKEN};
use opensspi::sspi::{BufferData, MessageBuffer, SecurityContext};

/// Offsets of pos_out / pos_in in the export format (magic 8, two flags,
/// flags 4, attrs 4, start 8, key 16, two sequence numbers 4+4).
const POS_OUT: usize = 50;
const POS_IN: usize = 58;

fn pos(data: &[u8], at: usize) -> u64 {
    data.get(at..at + 8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
        .unwrap_or(0)
}

fuzz_target!(|data: &[u8]| {
    if pos(data, POS_OUT) > 1 << 20 || pos(data, POS_IN) > 1 << 20 {
        return;
    }
    let Ok(mut s) = Session::from_export_bytes(data) else {
        return;
    };
    let exported = s.export_bytes();
    let again = Session::from_export_bytes(&exported).expect("an exported context imports again");
    assert_eq!(
        &again.export_bytes()[..],
        &exported[..],
        "export round trip"
    );
    let mut tok = [0u8; 16];
    let mut msg = *b"imported context";
    let mut bufs = [
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut tok)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut msg)),
    ];
    let _ = s.encrypt_message(0, &mut bufs, 0);
    let _ = s.make_signature(0, &mut bufs, 0);
    let _ = s.decrypt_message(&mut bufs, 0);
    let _ = s.verify_signature(&mut bufs, 0);
});
