//! `TimeStamp` values: 100 ns intervals since 1601-01-01 (FILETIME).

/// "Never expires", as NTLM reports it.
pub const TIMESTAMP_NEVER: i64 = 0x7FFF_FFFF_FFFF_FFFF;

/// Seconds between 1601-01-01 and 1970-01-01.
const EPOCH_DIFF_SECS: u64 = 11_644_473_600;

/// Seconds since the Unix epoch as a FILETIME (0 stays 0: "none").
pub fn filetime_from_unix(secs: i64) -> i64 {
    if secs == 0 {
        return 0;
    }
    secs.saturating_add(EPOCH_DIFF_SECS as i64)
        .saturating_mul(10_000_000)
}

/// The current time as a FILETIME.
pub fn filetime_now() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    ((d.as_secs() + EPOCH_DIFF_SECS) * 10_000_000 + u64::from(d.subsec_nanos()) / 100) as i64
}
