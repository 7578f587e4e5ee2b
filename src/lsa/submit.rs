//! The `LsaLogonUser` submit buffer for password logons:
//! `MSV1_0_INTERACTIVE_LOGON` / `KERB_INTERACTIVE_LOGON` (same layout,
//! 56 bytes on x64: `MessageType` u32, 4 bytes padding, then the
//! `UNICODE_STRING`s LogonDomainName @8, UserName @24, Password @40, each
//! {Length u16, MaximumLength u16, 4 bytes padding, Buffer u64}).
//!
//! The strings live in the same contiguous block
//! (learn.microsoft.com/windows/win32/api/ntsecapi/ns-ntsecapi-msv1_0_interactive_logon;
//! BEHAVIOURS item 131). `Buffer` is normally an absolute address inside
//! the block; callers that build the block for another process (as
//! Windows' own `LogonUser` marshalling does) store offsets from the block
//! start instead, so a `Buffer` value smaller than the block length is
//! taken as an offset.
//!
//! Validation (this parser never panics; it is fuzzed):
//! - block shorter than 56 bytes → `STATUS_INVALID_PARAMETER`;
//! - `MessageType` other than 2 (`MsV1_0InteractiveLogon` /
//!   `KerbInteractiveLogon`) → `STATUS_BAD_VALIDATION_CLASS` (the status
//!   `LsaLogonUser` documents for a submit type the package does not
//!   recognise);
//! - a string with odd `Length`, `Length > MaximumLength`, a `Buffer`
//!   outside the block or overlapping the 56-byte header, a non-zero
//!   `Length` with a NULL `Buffer`, or text that is not valid UTF-16 →
//!   `STATUS_INVALID_PARAMETER` (what Windows' LSA returns when it cannot
//!   relocate a submit-buffer pointer). NULL with `Length` 0 is "".

use zeroize::Zeroizing;

use crate::sspi::identity::secret_from_utf16;

use super::status::{NtResult, NtStatus};

/// `MsV1_0InteractiveLogon` = `KerbInteractiveLogon` = 2.
pub const INTERACTIVE_LOGON_MESSAGE_TYPE: u32 = 2;
/// `sizeof(MSV1_0_INTERACTIVE_LOGON)` on x64.
pub const INTERACTIVE_LOGON_SIZE: usize = 56;

/// A password logon request. The password zeroizes on drop and is not
/// shown by `Debug`.
#[derive(Clone)]
pub struct InteractiveLogon {
    pub domain: String,
    pub user: String,
    pub password: Zeroizing<String>,
}

impl InteractiveLogon {
    pub fn new(domain: &str, user: &str, password: &str) -> Self {
        InteractiveLogon {
            domain: domain.to_string(),
            user: user.to_string(),
            password: Zeroizing::new(password.to_string()),
        }
    }

    /// Build the submit block as a C caller would, with `Buffer` fields
    /// holding absolute addresses for a block placed at `base_addr`
    /// (`base_addr == 0` gives the offset form).
    pub fn to_submit_buffer(&self, base_addr: usize) -> Zeroizing<Vec<u8>> {
        let mut b = Zeroizing::new(vec![0u8; INTERACTIVE_LOGON_SIZE]);
        b[0..4].copy_from_slice(&INTERACTIVE_LOGON_MESSAGE_TYPE.to_le_bytes());
        for (at, s) in [
            (8, &self.domain[..]),
            (24, &self.user[..]),
            (40, &self.password[..]),
        ] {
            let off = b.len();
            let mut n = 0usize;
            for u in s.encode_utf16() {
                b.extend_from_slice(&u.to_le_bytes());
                n += 2;
            }
            b[at..at + 2].copy_from_slice(&(n as u16).to_le_bytes());
            b[at + 2..at + 4].copy_from_slice(&(n as u16).to_le_bytes());
            let ptr = if n == 0 { 0 } else { (base_addr + off) as u64 };
            b[at + 8..at + 16].copy_from_slice(&ptr.to_le_bytes());
        }
        b
    }
}

impl std::fmt::Debug for InteractiveLogon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InteractiveLogon")
            .field("domain", &self.domain)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

fn u16_at(buf: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([buf[at], buf[at + 1]])
}

/// Decode UTF-16LE (see [`secret_from_utf16`]).
fn utf16_to_string(bytes: &[u8]) -> Option<Zeroizing<String>> {
    secret_from_utf16(
        bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]])),
    )
}

/// The `UNICODE_STRING` at `at` of the block `buf` placed at `base_addr`,
/// whose text must lie after the first `header` bytes (the fixed part).
pub(crate) fn read_unicode_string(
    buf: &[u8],
    at: usize,
    base_addr: usize,
    header: usize,
) -> NtResult<Zeroizing<String>> {
    if buf.len() < at + 16 {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let len = usize::from(u16_at(buf, at));
    let max = usize::from(u16_at(buf, at + 2));
    let ptr = u64::from_le_bytes(
        buf[at + 8..at + 16]
            .try_into()
            .map_err(|_| NtStatus::INVALID_PARAMETER)?,
    );
    if len % 2 != 0 || len > max {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if ptr == 0 {
        return if len == 0 {
            Ok(Zeroizing::new(String::new()))
        } else {
            Err(NtStatus::INVALID_PARAMETER)
        };
    }
    let offset = if ptr < buf.len() as u64 {
        ptr
    } else {
        ptr.checked_sub(base_addr as u64)
            .ok_or(NtStatus::INVALID_PARAMETER)?
    };
    let start = usize::try_from(offset).map_err(|_| NtStatus::INVALID_PARAMETER)?;
    let end = start.checked_add(len).ok_or(NtStatus::INVALID_PARAMETER)?;
    if start < header || end > buf.len() {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    utf16_to_string(&buf[start..end]).ok_or(NtStatus::INVALID_PARAMETER)
}

/// Parse an `MSV1_0_INTERACTIVE_LOGON` / `KERB_INTERACTIVE_LOGON` block of
/// `buf.len()` bytes that the caller placed at address `base_addr`.
pub fn parse_interactive_logon(buf: &[u8], base_addr: usize) -> NtResult<InteractiveLogon> {
    if buf.len() < INTERACTIVE_LOGON_SIZE {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let message_type = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
    if message_type != INTERACTIVE_LOGON_MESSAGE_TYPE {
        return Err(NtStatus::BAD_VALIDATION_CLASS);
    }
    let domain = read_unicode_string(buf, 8, base_addr, INTERACTIVE_LOGON_SIZE)?;
    let user = read_unicode_string(buf, 24, base_addr, INTERACTIVE_LOGON_SIZE)?;
    let password = read_unicode_string(buf, 40, base_addr, INTERACTIVE_LOGON_SIZE)?;
    Ok(InteractiveLogon {
        domain: domain.to_string(),
        user: user.to_string(),
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: usize = 0x7f00_0000_0000;

    fn sample() -> Zeroizing<Vec<u8>> {
        InteractiveLogon::new("EXAMPLE", "alice", "pässwörd😀").to_submit_buffer(BASE)
    }

    #[test]
    fn parses_absolute_and_relative_pointers() {
        let l = parse_interactive_logon(&sample(), BASE).unwrap();
        assert_eq!(l.domain, "EXAMPLE");
        assert_eq!(l.user, "alice");
        assert_eq!(&l.password[..], "pässwörd😀");
        assert!(!format!("{l:?}").contains("päss"));
        let rel = InteractiveLogon::new("", "bob", "x").to_submit_buffer(0);
        let l = parse_interactive_logon(&rel, 0xdead_0000).unwrap();
        assert_eq!((l.domain.as_str(), l.user.as_str()), ("", "bob"));
    }

    fn set_u16(b: &mut [u8], at: usize, v: u16) {
        b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }
    fn set_ptr(b: &mut [u8], at: usize, v: u64) {
        b[at + 8..at + 16].copy_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn rejects_malformed_blocks() {
        let inval = Err(NtStatus::INVALID_PARAMETER);
        let p = |b: &[u8]| parse_interactive_logon(b, BASE).map(|l| l.user);
        // NULL / empty / short
        assert_eq!(p(&[]), inval);
        assert_eq!(p(&sample()[..55]), inval);
        // wrong message type
        let mut b = sample();
        b[0] = 3;
        assert_eq!(p(&b), Err(NtStatus::BAD_VALIDATION_CLASS));
        // odd length
        let mut b = sample();
        set_u16(&mut b, 24, 9);
        assert_eq!(p(&b), inval);
        // Length > MaximumLength
        let mut b = sample();
        set_u16(&mut b, 26, 8);
        assert_eq!(p(&b), inval);
        // pointer past the end, before the block, into the header
        let len = b.len() as u64;
        for bad in [
            BASE as u64 + len,
            BASE as u64 - 2,
            BASE as u64 + 8,
            8,
            u64::MAX,
        ] {
            let mut b = sample();
            set_ptr(&mut b, 24, bad);
            assert_eq!(p(&b), inval, "{bad:#x}");
        }
        // string running off the end
        let mut b = sample();
        let user_ptr = u64::from_le_bytes(b[32..40].try_into().unwrap());
        set_u16(&mut b, 24, 0xfffe);
        set_u16(&mut b, 26, 0xfffe);
        assert_eq!(p(&b), inval);
        // NULL buffer with a length
        let mut b = sample();
        set_ptr(&mut b, 24, 0);
        assert_eq!(p(&b), inval);
        // unpaired surrogate
        let mut b = sample();
        let off = (user_ptr as usize) - BASE;
        b[off..off + 2].copy_from_slice(&0xD800u16.to_le_bytes());
        assert_eq!(p(&b), inval);
    }

    #[test]
    fn never_panics_on_mutations() {
        let base = sample();
        let mut state = 0x1234_5678u32;
        for _ in 0..20000 {
            let mut b = base.to_vec();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let i = state as usize % b.len();
                b[i] = (state >> 8) as u8;
            }
            let cut = (state >> 16) as usize % (b.len() + 1);
            let _ = parse_interactive_logon(&b[..cut], BASE);
            let _ = parse_interactive_logon(&b, (state as usize) << 3);
        }
    }
}
