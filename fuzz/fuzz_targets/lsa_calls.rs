//! The LSA's request parsers on arbitrary bytes: LsaCallAuthenticationPackage
//! (Negotiate / Kerberos / MSV1_0 request blocks) and LsaLogonUser (submit
//! buffers for every package and logon type), on an in-memory LSA with one
//! account. Byte 0 picks the call, package and logon type; bytes 1..9 are the
//! address the caller claims the block is at; the rest is the block.
#![no_main]
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use opensspi::lsa::accounts::AccountDatabase;
use opensspi::lsa::store::memory::MemoryStore;
use opensspi::lsa::Lsa;

struct Fixture {
    lsa: Lsa,
    handle: u64,
}

static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(f) = FIXTURE.get_or_init(|| {
        let lsa = Lsa::new(Arc::new(MemoryStore::new())).with_accounts(Arc::new(
            AccountDatabase::parse("WORKGROUP:testuser:testpass\n"),
        ));
        let handle = lsa.connect_untrusted().ok()?;
        Some(Fixture { lsa, handle })
    }) else {
        return;
    };
    if data.len() < 9 {
        return;
    }
    let sel = data[0];
    let base = u64::from_le_bytes(data[1..9].try_into().unwrap()) as usize;
    let block = &data[9..];
    let package = u32::from(sel & 3);
    if sel & 0x80 == 0 {
        let _ = f
            .lsa
            .call_authentication_package(f.handle, package, block, base);
        let _ =
            f.lsa
                .call_authentication_package(f.handle, package, block, block.as_ptr() as usize);
    } else {
        let logon_type = u32::from((sel >> 2) & 0xF);
        for b in [base, block.as_ptr() as usize, 0] {
            if let Ok(r) = f.lsa.logon_user_raw(package, logon_type, block, b) {
                let _ = f.lsa.logoff(r.logon_id);
            }
        }
    }
});
