//! Memory handed to the caller (`FreeContextBuffer`, `LsaFreeReturnBuffer`).
//!
//! Every block comes from `malloc` and is recorded, so that freeing a pointer
//! we did not hand out (or freeing twice) is refused instead of corrupting
//! the heap.

use std::collections::BTreeSet;
use std::ffi::c_void;

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::sspi::SecStatus;

/// Blocks handed out, split by address so that threads seldom share a lock.
const SHARDS: usize = 16;

#[repr(align(128))]
#[derive(Default)]
struct Shard(Mutex<BTreeSet<usize>>);

static LIVE: Lazy<[Shard; SHARDS]> = Lazy::new(Default::default);

fn live(p: usize) -> &'static Mutex<BTreeSet<usize>> {
    // malloc blocks are 16-byte aligned: mix the higher bits in.
    &LIVE[((p >> 4) ^ (p >> 12)) % SHARDS].0
}

/// Allocate `len` zeroed bytes (at least 1) for the caller.
pub fn alloc_block(len: usize) -> Result<*mut u8, SecStatus> {
    // SAFETY: calloc with a non-zero size; NULL is checked.
    let p = unsafe { libc::calloc(1, len.max(1)) } as *mut u8;
    if p.is_null() {
        return Err(SecStatus::InsufficientMemory);
    }
    live(p as usize).lock().insert(p as usize);
    Ok(p)
}

/// Allocate a block holding a copy of `bytes`.
pub fn alloc_copy(bytes: &[u8]) -> Result<*mut u8, SecStatus> {
    let p = alloc_block(bytes.len())?;
    // SAFETY: `p` has room for `bytes.len()` bytes and does not overlap.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    Ok(p)
}

/// Free a block from [`alloc_block`]. NULL is fine; an unknown pointer is
/// `SEC_E_INVALID_HANDLE`.
#[allow(clippy::not_unsafe_ptr_arg_deref)] // only pointers recorded in LIVE are freed
pub fn free_block(p: *mut c_void) -> Result<(), SecStatus> {
    if p.is_null() {
        return Ok(());
    }
    if !live(p as usize).lock().remove(&(p as usize)) {
        return Err(SecStatus::InvalidHandle);
    }
    // SAFETY: `p` came from calloc in `alloc_block` and is freed once.
    unsafe { libc::free(p) };
    Ok(())
}

/// Number of blocks not yet freed (for leak checks in tests).
pub fn live_blocks() -> usize {
    LIVE.iter().map(|s| s.0.lock().len()).sum()
}
