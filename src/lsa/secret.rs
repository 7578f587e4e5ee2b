//! Secrets in memory: where long-lived secrets (the NT OWF of a logon
//! session, of a client credential, of an account) are kept so that they
//! neither outlive their owner nor reach a core dump.
//!
//! - [`Secret<N>`]: N secret bytes in a slot of the *secret arena*, pages
//!   mapped apart from the heap and marked `MADV_DONTDUMP` (madvise(2)), so
//!   a core dump of the process leaves them out. A `Secret` is a pointer to
//!   its slot: moving it (returning it, storing it in a `Vec` that grows)
//!   copies the pointer, never the bytes; a clone gets a slot of its own;
//!   dropping it zeroizes the slot. Derivations write straight into the
//!   slot (e.g. `Md4::finalize_into`), so the bytes never pass through a
//!   plain array. Without the arena (mmap refused) slots come from the heap
//!   and are still zeroized.
//!
//! Only small fixed-size secrets live in the arena (slots of 16 to 256
//! bytes); passwords and tickets stay in `Zeroizing` heap buffers.

use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use parking_lot::Mutex;
use zeroize::{Zeroize, Zeroizing};

/// Slot sizes of the arena; a secret takes the smallest that fits.
const CLASSES: [usize; 5] = [16, 32, 64, 128, 256];
/// Bytes mapped at a time for one class.
const CHUNK: usize = 64 * 1024;

/// Free slots per class (addresses; the slots themselves are zero).
struct Arena {
    free: [Vec<usize>; CLASSES.len()],
}

static ARENA: Mutex<Arena> = Mutex::new(Arena {
    free: [const { Vec::new() }; CLASSES.len()],
});

fn class_of(size: usize) -> Option<usize> {
    CLASSES.iter().position(|&c| c >= size)
}

/// Lock the arena's pages in memory from now on ([`lock_arena_pages`]).
static LOCK_PAGES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on, lock the arena's pages in memory (`mlock`, best effort:
/// RLIMIT_MEMLOCK may refuse); the LSA service does this, an application
/// does not.
pub fn lock_arena_pages() {
    LOCK_PAGES.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Map one chunk of dump-excluded pages; `None` when the kernel refuses.
fn map_chunk() -> Option<usize> {
    // SAFETY: an anonymous private mapping at an address of the kernel's
    // choosing touches no existing memory.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            CHUNK,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    // SAFETY: `p` is the start of the CHUNK bytes just mapped. A kernel
    // without MADV_DONTDUMP (before 3.4) refuses: the pages are then
    // dumpable but everything else holds.
    unsafe { libc::madvise(p, CHUNK, libc::MADV_DONTDUMP) };
    if LOCK_PAGES.load(std::sync::atomic::Ordering::SeqCst) {
        // SAFETY: as above; mlock only pins the pages.
        unsafe { libc::mlock(p, CHUNK) };
    }
    Some(p as usize)
}

/// A zeroed slot of at least `size` bytes: (address, from the arena).
fn alloc_slot(size: usize) -> (NonNull<u8>, bool) {
    if let Some(c) = class_of(size) {
        let mut arena = ARENA.lock();
        if arena.free[c].is_empty() {
            if let Some(base) = map_chunk() {
                let slot = CLASSES[c];
                arena.free[c].extend((0..CHUNK / slot).rev().map(|i| base + i * slot));
            }
        }
        if let Some(addr) = arena.free[c].pop() {
            return (NonNull::new(addr as *mut u8).expect("mapped"), true);
        }
    }
    let layout = heap_layout(size);
    // SAFETY: the layout has a non-zero size.
    let p = unsafe { std::alloc::alloc_zeroed(layout) };
    (
        NonNull::new(p).unwrap_or_else(|| std::alloc::handle_alloc_error(layout)),
        false,
    )
}

fn heap_layout(size: usize) -> std::alloc::Layout {
    std::alloc::Layout::from_size_align(size.max(1), 16).expect("small layout")
}

/// Zero a slot and give it back.
///
/// # Safety
/// `p` came from `alloc_slot(size)` with this `arena` flag and is not used again.
unsafe fn free_slot(p: NonNull<u8>, size: usize, arena: bool) {
    // SAFETY: the slot holds at least `size` bytes (caller contract).
    unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), size) }.zeroize();
    match class_of(size).filter(|_| arena) {
        Some(c) => ARENA.lock().free[c].push(p.as_ptr() as usize),
        // SAFETY: allocated with this layout by `alloc_slot`.
        None => unsafe { std::alloc::dealloc(p.as_ptr(), heap_layout(size)) },
    }
}

/// N secret bytes in the secret arena (see the module documentation).
pub struct Secret<const N: usize> {
    slot: NonNull<[u8; N]>,
    arena: bool,
}

// SAFETY: a `Secret` owns its slot exclusively, like a `Box<[u8; N]>`.
unsafe impl<const N: usize> Send for Secret<N> {}
// SAFETY: shared references only read the bytes.
unsafe impl<const N: usize> Sync for Secret<N> {}

impl<const N: usize> Secret<N> {
    /// N zero bytes, to be filled in place.
    pub fn new() -> Self {
        let (p, arena) = alloc_slot(N);
        Secret {
            slot: p.cast(),
            arena,
        }
    }

    /// A copy of `bytes`; `None` unless it has exactly N bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        (bytes.len() == N).then(|| {
            let mut s = Self::new();
            s.copy_from_slice(bytes);
            s
        })
    }

    /// Whether the bytes live in dump-excluded pages.
    pub fn in_arena(&self) -> bool {
        self.arena
    }
}

impl<const N: usize> Default for Secret<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Deref for Secret<N> {
    type Target = [u8; N];
    fn deref(&self) -> &[u8; N] {
        // SAFETY: the slot is valid, initialised and owned for our lifetime.
        unsafe { self.slot.as_ref() }
    }
}

impl<const N: usize> DerefMut for Secret<N> {
    fn deref_mut(&mut self) -> &mut [u8; N] {
        // SAFETY: as `deref`; `&mut self` makes the access exclusive.
        unsafe { self.slot.as_mut() }
    }
}

impl<const N: usize> Clone for Secret<N> {
    fn clone(&self) -> Self {
        let mut s = Self::new();
        s.copy_from_slice(&self[..]);
        s
    }
}

impl<const N: usize> Drop for Secret<N> {
    fn drop(&mut self) {
        // SAFETY: the slot came from `alloc_slot(N)` and dies with `self`.
        unsafe { free_slot(self.slot.cast(), N, self.arena) };
    }
}

/// Takes the bytes of a `Zeroizing` array (which wipes itself on drop).
impl<const N: usize> From<Zeroizing<[u8; N]>> for Secret<N> {
    fn from(z: Zeroizing<[u8; N]>) -> Self {
        let mut s = Self::new();
        s.copy_from_slice(&z[..]);
        s
    }
}

impl<const N: usize> std::fmt::Debug for Secret<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret<{N}>(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_pinned_zeroed_and_wiped() {
        let mut a = Secret::<16>::new();
        assert_eq!(*a, [0u8; 16]);
        assert!(a.in_arena(), "the secret arena is available on Linux");
        a.copy_from_slice(&[7u8; 16]);
        let addr = &*a as *const [u8; 16] as usize;
        let moved = vec![a];
        assert_eq!(
            &*moved[0] as *const [u8; 16] as usize, addr,
            "a move keeps the slot"
        );
        let b = moved[0].clone();
        assert_ne!(
            &*b as *const [u8; 16] as usize, addr,
            "a clone has its own slot"
        );
        assert_eq!(*b, [7u8; 16]);
        drop(moved);
        // SAFETY (test): the slot is arena memory, still mapped after the
        // drop; reading it shows it was wiped.
        let after = unsafe { std::ptr::read_volatile(addr as *const [u8; 16]) };
        assert_eq!(after, [0u8; 16]);
        assert!(Secret::<16>::from_slice(&[1; 15]).is_none());
        assert_eq!(*Secret::<32>::from_slice(&[1; 32]).unwrap(), [1u8; 32]);
        assert_eq!(format!("{b:?}"), "Secret<16>(..)");
        let big = Secret::<300>::from_slice(&[3; 300]).unwrap();
        assert!(!big.in_arena());
    }

    #[test]
    fn arena_pages_are_excluded_from_core_dumps() {
        let s = Secret::<16>::new();
        let addr = &*s as *const [u8; 16] as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut flags = None;
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((a, b)) = range.split_once('-') {
                    if let (Ok(a), Ok(b)) =
                        (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                    {
                        inside = a <= addr && addr < b;
                        continue;
                    }
                }
            }
            if inside && line.starts_with("VmFlags:") {
                flags = Some(line.to_string());
            }
        }
        let flags = flags.expect("the slot's mapping is in smaps");
        assert!(flags.split_whitespace().any(|f| f == "dd"), "{flags}");
    }

    /// Copies of `needle` in the `len` bytes of stack below `top`.
    #[inline(never)]
    fn stack_copies(top: usize, len: usize, masked: &[u8; 16]) -> usize {
        let mut found = 0;
        for at in top - len..top - 16 {
            // SAFETY (test): addresses below the live frames of this
            // thread's stack, mapped and readable.
            let hit = (0..16).all(|i| unsafe {
                std::ptr::read_volatile((at + i) as *const u8) ^ 0xA5 == masked[i]
            });
            found += usize::from(hit);
        }
        found
    }

    #[test]
    fn nt_owf_derivation_leaves_no_stack_copy() {
        use crate::lsa::packages::msv1_0::owf::nt_owf_v1;
        // NTOWFv1("Password") (MS-NLMP 4.2.2.1.2), XOR-masked so that the
        // test itself holds no plain copy.
        let masked: Box<[u8; 16]> = Box::new(
            [
                0xa4, 0xf4, 0x9c, 0x40, 0x65, 0x10, 0xbd, 0xca, 0xb6, 0x82, 0x4e, 0xe7, 0xc3, 0x0f,
                0xd8, 0x52,
            ]
            .map(|b| b ^ 0xA5),
        );
        /// Derive below an 8 KiB pad, so that the scans (whose frames
        /// start at the test's own) do not overwrite what derivation left.
        #[inline(never)]
        fn derive_deep() {
            let mut pad = [0u8; 8192];
            std::hint::black_box(&mut pad);
            derive_and_drop();
        }
        /// NTOWFv1, then NTOWFv2 keyed with it (HMAC copies its key into
        /// a block), everything dropped.
        #[inline(never)]
        fn derive_and_drop() {
            let owf = nt_owf_v1("Password");
            let v2 = crate::lsa::packages::msv1_0::owf::ntowf_v2(&owf, "user", "DOMAIN");
            std::hint::black_box((&owf, &v2));
        }
        let marker = 0u8;
        let top = std::hint::black_box(&marker as *const u8 as usize) - 8192;
        derive_deep();
        let found = stack_copies(top, 32 * 1024, &masked);
        assert_eq!(found, 0, "the derivation left {found} copies on the stack");
    }
}
