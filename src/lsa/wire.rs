//! Self-relative return buffers: the LSA's output structures
//! (`MSV1_0_INTERACTIVE_PROFILE`, `SECURITY_LOGON_SESSION_DATA`, package
//! responses) are single blocks whose pointer fields point inside the same
//! block, to be freed with one `LsaFreeReturnBuffer` (BEHAVIOURS item 120,
//! 125, 132). Layouts are Windows x64 (CONSTANTS.md §10, §13.3).
//!
//! Safe Rust cannot know where the C layer will put the block, so a
//! [`ReturnBlock`] holds pointer fields as offsets from the block start and
//! records where they are; the FFI layer allocates `len()` bytes at address
//! `base` and copies [`ReturnBlock::relocated`]`(base)` there.

use super::session::Sid;
use super::Luid;

/// A block of bytes whose recorded 8-byte fields are block-relative
/// pointers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnBlock {
    bytes: Vec<u8>,
    pointers: Vec<usize>,
}

impl ReturnBlock {
    /// A block whose first `header` bytes are zero.
    pub fn with_header(header: usize) -> Self {
        ReturnBlock {
            bytes: vec![0; header],
            pointers: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bytes with pointer fields as offsets from the block start.
    pub fn relative_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Offsets of the pointer fields.
    pub fn pointer_fields(&self) -> &[usize] {
        &self.pointers
    }

    /// The bytes to place at address `base`: every pointer field becomes
    /// `base + offset`.
    pub fn relocated(&self, base: usize) -> Vec<u8> {
        let mut out = self.bytes.clone();
        for &at in &self.pointers {
            let rel = u64::from_le_bytes(out[at..at + 8].try_into().expect("8 bytes"));
            let abs = rel.wrapping_add(base as u64);
            out[at..at + 8].copy_from_slice(&abs.to_le_bytes());
        }
        out
    }

    /// Read a pointer field back as an offset (tests, debugging).
    pub fn pointer_at(&self, at: usize) -> Option<usize> {
        let b = self.bytes.get(at..at + 8)?;
        Some(u64::from_le_bytes(b.try_into().ok()?) as usize)
    }

    pub fn put_u16(&mut self, at: usize, v: u16) {
        self.bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }

    pub fn put_u32(&mut self, at: usize, v: u32) {
        self.bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    pub fn put_i64(&mut self, at: usize, v: i64) {
        self.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
    }

    pub fn put_luid(&mut self, at: usize, l: Luid) {
        self.put_u32(at, l.low_part);
        self.put_u32(at + 4, l.high_part as u32);
    }

    fn align(&mut self, to: usize) {
        while !self.bytes.len().is_multiple_of(to) {
            self.bytes.push(0);
        }
    }

    /// Append `data` (aligned to `align`) and point the field at `at` to it.
    pub fn put_pointer_to(&mut self, at: usize, data: &[u8], align: usize) {
        self.align(align);
        let off = self.bytes.len();
        self.bytes.extend_from_slice(data);
        self.put_i64(at, off as i64);
        self.pointers.push(at);
    }

    /// Append `s` as NUL-terminated UTF-16LE and point the `PWSTR` at `at`
    /// to it.
    pub fn put_pwstr(&mut self, at: usize, s: &str) {
        let data: Vec<u8> = s
            .encode_utf16()
            .chain(std::iter::once(0))
            .flat_map(u16::to_le_bytes)
            .collect();
        self.put_pointer_to(at, &data, 2);
    }

    /// Fill the `UNICODE_STRING` at `at` ({Length, MaximumLength, pad,
    /// Buffer}, 16 bytes) with `s`, NUL-terminated in the block (Length
    /// excludes the NUL, MaximumLength includes it). An empty string still
    /// points at a NUL so C code that reads `Buffer` sees "".
    pub fn put_unicode_string(&mut self, at: usize, s: &str) {
        // A UNICODE_STRING holds at most 0x7FFE units with the NUL; never
        // cut a surrogate pair in half.
        let mut units: Vec<u16> = s.encode_utf16().take(0x7FFE).collect();
        if units.len() == 0x7FFE && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
            units.pop();
        }
        let len = units.len() * 2;
        self.put_u16(at, len as u16);
        self.put_u16(at + 2, len as u16 + 2);
        units.push(0);
        let data: Vec<u8> = units.into_iter().flat_map(u16::to_le_bytes).collect();
        self.put_pointer_to(at + 8, &data, 2);
    }

    /// Append `sid` and point the `PSID` at `at` to it.
    pub fn put_sid(&mut self, at: usize, sid: &Sid) {
        self.put_pointer_to(at, &sid.to_bytes(), 4);
    }
}

/// What an interactive logon reports back (`MSV1_0_INTERACTIVE_PROFILE` /
/// `KERB_INTERACTIVE_PROFILE`, MessageType 2). Times are FILETIMEs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractiveProfile {
    pub logon_count: u16,
    pub bad_password_count: u16,
    pub logon_time: i64,
    pub logoff_time: i64,
    pub kick_off_time: i64,
    pub password_last_set: i64,
    pub password_can_change: i64,
    pub password_must_change: i64,
    pub logon_script: String,
    pub home_directory: String,
    pub full_name: String,
    pub profile_path: String,
    pub home_directory_drive: String,
    pub logon_server: String,
    pub user_flags: u32,
}

/// "Never" as the LSA writes it in profile times (`0x7FFFFFFFFFFFFFFF`).
pub const TIME_NEVER: i64 = i64::MAX;

/// Size of `MSV1_0_INTERACTIVE_PROFILE` on x64.
pub const INTERACTIVE_PROFILE_SIZE: usize = 160;

impl InteractiveProfile {
    /// The profile buffer `LsaLogonUser` returns (160-byte header, strings
    /// after it).
    pub fn to_block(&self) -> ReturnBlock {
        let mut b = ReturnBlock::with_header(INTERACTIVE_PROFILE_SIZE);
        b.put_u32(0, 2); // MsV1_0InteractiveProfile / KerbInteractiveProfile
        b.put_u16(4, self.logon_count);
        b.put_u16(6, self.bad_password_count);
        for (i, t) in [
            self.logon_time,
            self.logoff_time,
            self.kick_off_time,
            self.password_last_set,
            self.password_can_change,
            self.password_must_change,
        ]
        .into_iter()
        .enumerate()
        {
            b.put_i64(8 + 8 * i, t);
        }
        for (i, s) in [
            &self.logon_script,
            &self.home_directory,
            &self.full_name,
            &self.profile_path,
            &self.home_directory_drive,
            &self.logon_server,
        ]
        .into_iter()
        .enumerate()
        {
            b.put_unicode_string(56 + 16 * i, s);
        }
        b.put_u32(152, self.user_flags);
        b
    }
}

/// The public part of a logon session (`LsaGetLogonSessionData`); no
/// secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogonSessionData {
    pub logon_id: Luid,
    pub user_name: String,
    pub logon_domain: String,
    pub authentication_package: String,
    pub logon_type: u32,
    /// Terminal Services session id (always 0 here).
    pub session: u32,
    pub sid: Sid,
    pub logon_time: i64,
    pub logon_server: String,
    pub dns_domain_name: String,
    pub upn: String,
}

/// `sizeof(SECURITY_LOGON_SESSION_DATA)` on x64.
pub const LOGON_SESSION_DATA_SIZE: usize = 272;

impl LogonSessionData {
    /// The `SECURITY_LOGON_SESSION_DATA` block (`Size` = 272, strings and
    /// the SID after it). Fields the LSA does not track are zero or empty;
    /// `LogoffTime`, `KickOffTime` and `PasswordMustChange` are "never".
    pub fn to_block(&self) -> ReturnBlock {
        let mut b = ReturnBlock::with_header(LOGON_SESSION_DATA_SIZE);
        b.put_u32(0, LOGON_SESSION_DATA_SIZE as u32);
        b.put_luid(4, self.logon_id);
        b.put_unicode_string(16, &self.user_name);
        b.put_unicode_string(32, &self.logon_domain);
        b.put_unicode_string(48, &self.authentication_package);
        b.put_u32(64, self.logon_type);
        b.put_u32(68, self.session);
        b.put_sid(72, &self.sid);
        b.put_i64(80, self.logon_time);
        b.put_unicode_string(88, &self.logon_server);
        b.put_unicode_string(104, &self.dns_domain_name);
        b.put_unicode_string(120, &self.upn);
        // UserFlags @136 = 0; LastLogonInfo @144 zero.
        for at in [168, 184, 200, 216] {
            b.put_unicode_string(at, "");
        }
        b.put_i64(232, TIME_NEVER); // LogoffTime
        b.put_i64(240, TIME_NEVER); // KickOffTime
                                    // PasswordLastSet @248, PasswordCanChange @256 = 0
        b.put_i64(264, TIME_NEVER); // PasswordMustChange
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_ustr(block: &[u8], at: usize, base: usize) -> String {
        let len = u16::from_le_bytes([block[at], block[at + 1]]) as usize;
        let max = u16::from_le_bytes([block[at + 2], block[at + 3]]) as usize;
        assert_eq!(max, len + 2);
        let ptr = u64::from_le_bytes(block[at + 8..at + 16].try_into().unwrap()) as usize;
        let off = ptr - base;
        let units: Vec<u16> = block[off..off + len]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(&block[off + len..off + len + 2], &[0, 0]);
        String::from_utf16(&units).unwrap()
    }

    #[test]
    fn session_data_layout() {
        let d = LogonSessionData {
            logon_id: Luid {
                low_part: 0x1234,
                high_part: 7,
            },
            user_name: "alice".into(),
            logon_domain: "EXAMPLE".into(),
            authentication_package: "NTLM".into(),
            logon_type: 2,
            session: 0,
            sid: Sid::for_account("EXAMPLE", "alice"),
            logon_time: 42,
            logon_server: "HOST".into(),
            dns_domain_name: String::new(),
            upn: String::new(),
        };
        let block = d.to_block();
        let base = 0x1000_0000;
        let bytes = block.relocated(base);
        assert_eq!(u32::from_le_bytes(bytes[0..4].try_into().unwrap()), 272);
        assert_eq!(&bytes[4..12], &[0x34, 0x12, 0, 0, 7, 0, 0, 0]);
        assert_eq!(read_ustr(&bytes, 16, base), "alice");
        assert_eq!(read_ustr(&bytes, 32, base), "EXAMPLE");
        assert_eq!(read_ustr(&bytes, 48, base), "NTLM");
        assert_eq!(read_ustr(&bytes, 120, base), "");
        let sid_at = block.pointer_at(72).unwrap();
        assert_eq!(sid_at % 4, 0);
        assert_eq!(
            Sid::from_bytes(&bytes[sid_at..sid_at + 28]),
            Some(d.sid.clone())
        );
        assert!(block.len() > 272);
    }

    #[test]
    fn profile_layout() {
        let p = InteractiveProfile {
            logon_count: 1,
            bad_password_count: 0,
            logon_time: 5,
            logoff_time: TIME_NEVER,
            kick_off_time: TIME_NEVER,
            password_last_set: 0,
            password_can_change: 0,
            password_must_change: TIME_NEVER,
            logon_script: String::new(),
            home_directory: String::new(),
            full_name: "alice".into(),
            profile_path: String::new(),
            home_directory_drive: String::new(),
            logon_server: "HOST".into(),
            user_flags: 0,
        };
        let block = p.to_block();
        let bytes = block.relocated(0);
        assert_eq!(u32::from_le_bytes(bytes[0..4].try_into().unwrap()), 2);
        assert_eq!(read_ustr(&bytes, 56 + 32, 0), "alice");
        assert_eq!(read_ustr(&bytes, 136, 0), "HOST");
        assert_eq!(block.pointer_fields().len(), 6);
    }

    #[test]
    fn long_strings_are_cut_to_fit() {
        let mut b = ReturnBlock::with_header(16);
        b.put_unicode_string(0, &"😀".repeat(20000));
        let len = u16::from_le_bytes([b.bytes[0], b.bytes[1]]);
        assert_eq!(len, 0xFFFC);
        assert_eq!(u16::from_le_bytes([b.bytes[2], b.bytes[3]]), 0xFFFE);
    }
}
