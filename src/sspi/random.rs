//! OS randomness for per-handshake values (confounders, subkeys, sequence
//! numbers, nonces), drawn from a per-thread pool that `getrandom(2)`
//! refills [`POOL_LEN`] bytes at a time: a Kerberos AP exchange needs ~6
//! small draws, which would otherwise be ~6 system calls.
//!
//! - Fork safety: a `pthread_atfork` child handler, registered before the
//!   first pool is filled, bumps a fork generation; a pool filled under
//!   another generation is wiped and refilled, so a child never hands out
//!   bytes its parent had buffered (or handed out). A child made by a raw
//!   `clone(2)` without `fork()`'s handlers is not covered (Rust's std and
//!   libc's `fork`/`posix_spawn` are).
//! - Bytes handed out are zeroed in the pool at once, and the pool is zeroed
//!   before each refill and when its thread ends.
//! - Draws larger than a quarter of the pool go to `getrandom` directly.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use zeroize::Zeroize;

/// Bytes fetched from the OS per refill.
pub const POOL_LEN: usize = 512;

/// Bumped in the child after each `fork()`.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
static ATFORK: Once = Once::new();

extern "C" fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::Relaxed);
}

struct Pool {
    bytes: [u8; POOL_LEN],
    /// Bytes already handed out (from the start); `POOL_LEN` = empty.
    used: usize,
    generation: u64,
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool {
            bytes: [0; POOL_LEN],
            used: POOL_LEN,
            generation: 0,
        })
    };
}

// The number of `getrandom` calls this thread's pool made (tests).
#[cfg(test)]
thread_local! { static REFILLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) }; }

fn register_atfork() {
    ATFORK.call_once(|| {
        // SAFETY: registers a handler that only does an atomic add
        // (async-signal-safe, no allocation, no lock), as POSIX requires of
        // code run in a child of a multithreaded process.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
        // Without the handler a child could reuse buffered bytes: refuse
        // to pool (every draw then goes to getrandom).
        if rc != 0 {
            FORK_GENERATION.store(u64::MAX, Ordering::Relaxed);
        }
    });
}

/// Fills `buf` with OS randomness (through this thread's pool).
pub fn fill(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    register_atfork();
    let generation = FORK_GENERATION.load(Ordering::Relaxed);
    if buf.len() > POOL_LEN / 4 || generation == u64::MAX {
        return getrandom::fill(buf);
    }
    POOL.with(|pool| {
        let Ok(mut pool) = pool.try_borrow_mut() else {
            return getrandom::fill(buf);
        };
        if pool.generation != generation || POOL_LEN - pool.used < buf.len() {
            pool.bytes.zeroize();
            pool.used = POOL_LEN;
            getrandom::fill(&mut pool.bytes[..])?;
            #[cfg(test)]
            REFILLS.with(|r| r.set(r.get() + 1));
            pool.used = 0;
            pool.generation = generation;
        }
        let start = pool.used;
        let taken = &mut pool.bytes[start..start + buf.len()];
        buf.copy_from_slice(taken);
        taken.zeroize();
        pool.used += buf.len();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refills() -> u64 {
        REFILLS.with(|r| r.get())
    }

    #[test]
    fn draws_come_from_one_refill_and_differ() {
        let mut a = [0u8; 32];
        fill(&mut a).unwrap(); // may refill
        let before = refills();
        let mut seen = vec![a];
        for _ in 0..(POOL_LEN / 32 - 1) {
            let mut b = [0u8; 32];
            fill(&mut b).unwrap();
            assert!(!seen.contains(&b));
            seen.push(b);
        }
        // At most one refill for a pool's worth of 32-byte draws.
        assert!(refills() - before <= 1);
    }

    #[test]
    fn handed_out_bytes_are_wiped_from_the_pool() {
        let mut a = [0u8; 16];
        fill(&mut a).unwrap();
        POOL.with(|p| {
            let p = p.borrow();
            assert!(p.bytes[..p.used].iter().all(|b| *b == 0));
        });
    }

    #[test]
    fn large_draws_bypass_the_pool() {
        let mut small = [0u8; 8];
        fill(&mut small).unwrap();
        let used = POOL.with(|p| p.borrow().used);
        let mut big = [0u8; POOL_LEN];
        fill(&mut big).unwrap();
        assert_ne!(big, [0u8; POOL_LEN]);
        assert_eq!(POOL.with(|p| p.borrow().used), used);
    }

    /// The attack: a child forked with bytes buffered in the parent's pool
    /// would draw the same "random" subkey as the parent's next draw.
    #[test]
    fn a_forked_child_never_reuses_the_parents_pool() {
        let mut warm = [0u8; 8];
        fill(&mut warm).unwrap(); // the pool now holds unused bytes
        let mut fds = [0i32; 2];
        // SAFETY: a plain pipe(2) into a two-int array.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: the child only draws from the pool (getrandom, no lock
        // held by another thread: the pool is thread-local), writes to the
        // pipe and calls _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let mut c = [0u8; 32];
            let ok = fill(&mut c).is_ok();
            // SAFETY: writes 32 bytes from a live array, then exits without
            // running the parent's destructors.
            unsafe {
                libc::write(fds[1], c.as_ptr().cast(), if ok { 32 } else { 0 });
                libc::_exit(0);
            }
        }
        let mut parent = [0u8; 32];
        fill(&mut parent).unwrap();
        let mut child = [0u8; 32];
        // SAFETY: reads at most 32 bytes into a live array; waits for our child.
        let n = unsafe {
            libc::close(fds[1]);
            let n = libc::read(fds[0], child.as_mut_ptr().cast(), 32);
            libc::close(fds[0]);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
            n
        };
        assert_eq!(n, 32);
        assert_ne!(child, parent, "the child drew the parent's buffered bytes");
    }
}
