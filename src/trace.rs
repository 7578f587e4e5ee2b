//! `OPENSSPI_TRACE`: one line per decision, like MIT's `KRB5_TRACE`.
//!
//! `OPENSSPI_TRACE=/path/file` (appended to, created mode 0600) or `stderr`
//! makes every export log its name and returned status, the calls' summarised
//! arguments and, at every rejection, the reason in words. Lines carry a UTC
//! timestamp, the pid and the kernel thread id. Never a password, hash, key or
//! message plaintext: only names, sizes, flags and statuses are logged.
//!
//! The subscriber is this library's own [`Dispatch`], built once at the first
//! call when the variable is set and made the *scoped* default only while an
//! export runs ([`scope`]); the process-wide default (a host program's own
//! `tracing` subscriber) is never touched. See DESIGN.md "Tracing".
//!
//! Rejection points use [`reject!`], which also remembers the reason for the
//! calling thread ([`take_last_reason`]) so that `sspilogon` can explain a
//! failed logon in the same words.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicBool, Ordering};

use once_cell::sync::Lazy;
use tracing::level_filters::LevelFilter;
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;

/// The library's dispatcher, `None` when `OPENSSPI_TRACE` is unset (read once).
static DISPATCH: Lazy<Option<Dispatch>> = Lazy::new(|| {
    let dest = std::env::var_os("OPENSSPI_TRACE").filter(|v| !v.is_empty())?;
    let writer = if dest == "stderr" {
        BoxMakeWriter::new(std::io::stderr)
    } else {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&dest);
        match file {
            // `&File` writes each formatted line with one write(2) on an
            // O_APPEND descriptor: lines of threads and processes never mix.
            Ok(f) => BoxMakeWriter::new(f),
            Err(e) => {
                eprintln!("opensspi: OPENSSPI_TRACE={}: {e}", dest.to_string_lossy());
                return None;
            }
        }
    };
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_writer(writer)
        .event_format(Line)
        .finish();
    Some(Dispatch::new(subscriber))
});

/// [`DISPATCH`] known to be `None` (the fast path of [`scope`]).
static OFF: AtomicBool = AtomicBool::new(false);

/// Run `f` with the library's dispatcher as the thread's default when
/// tracing is on; otherwise just run it (one relaxed load once known off).
#[inline]
pub fn scope<R>(f: impl FnOnce() -> R) -> R {
    if OFF.load(Ordering::Relaxed) {
        return f();
    }
    match &*DISPATCH {
        Some(d) => tracing::dispatcher::with_default(d, f),
        None => {
            OFF.store(true, Ordering::Relaxed);
            f()
        }
    }
}

/// Whether `OPENSSPI_TRACE` is on in this process.
pub fn enabled() -> bool {
    DISPATCH.is_some()
}

thread_local! {
    static LAST_REASON: RefCell<Option<String>> = const { RefCell::new(None) };
    static TID: Cell<(u32, u32)> = const { Cell::new((0, 0)) };
}

/// The reason of the last rejection on this thread (see [`reject!`]), cleared.
pub fn take_last_reason() -> Option<String> {
    LAST_REASON.with(|r| r.borrow_mut().take())
}

/// Remember a rejection's reason for [`take_last_reason`]; used by [`reject!`].
#[doc(hidden)]
pub fn note_reason(reason: fmt::Arguments<'_>) {
    LAST_REASON.with(|r| *r.borrow_mut() = Some(reason.to_string()));
}

/// `reject!(status, "reason {x}")`: a decision that refuses something. Logs
/// `reason => status` at INFO (target: the caller's module), remembers the
/// reason for the thread, and evaluates to `status`.
/// The reason names users, files and checks, never secrets.
macro_rules! reject {
    ($status:expr, $($reason:tt)+) => {{
        let status = $status;
        $crate::trace::note_reason(format_args!($($reason)+));
        tracing::info!("{} => {}", format_args!($($reason)+), status);
        status
    }};
}
pub(crate) use reject;

/// `DOMAIN\user` for a trace line, control characters escaped (a name is
/// the peer's or the caller's text: it must not forge a line).
#[derive(Clone, Copy)]
pub struct Who<'a>(pub &'a str, pub &'a str);

impl fmt::Display for Who<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.is_empty() {
            write!(f, "{}\\", Escaped(self.0))?;
        }
        write!(f, "{}", Escaped(self.1))
    }
}

/// Text with its control characters escaped (`\n`, `\u{1b}`).
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// The name of the export that owns closure type `F`
/// (`opensspi::ffi::context::AcceptSecurityContext::{{closure}}`).
pub fn export_name<F>() -> &'static str {
    let path = std::any::type_name::<F>();
    let path = path.split("::{{closure}}").next().unwrap_or(path);
    path.rsplit("::").next().unwrap_or(path)
}

/// The kernel thread id (from `/proc/thread-self`), read once per thread
/// and process: a child forked by the thread gets its own.
fn tid(pid: u32) -> u32 {
    TID.with(|t| {
        let (known_pid, id) = t.get();
        if known_pid == pid {
            return id;
        }
        let id = std::fs::read_link("/proc/thread-self")
            .ok()
            .and_then(|p| p.file_name()?.to_str()?.parse().ok())
            .unwrap_or(u32::MAX);
        t.set((pid, id));
        id
    })
}

/// `2026-12-05T14:40:01.123456Z opensspi[pid/tid] LEVEL target: message fields`.
struct Line;

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        SystemTime.format_time(&mut w)?;
        let meta = event.metadata();
        let target = meta
            .target()
            .strip_prefix("opensspi::")
            .unwrap_or(meta.target());
        let pid = std::process::id();
        write!(
            w,
            " opensspi[{pid}/{}] {} {}: ",
            tid(pid),
            meta.level(),
            target
        )?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_name_is_the_enclosing_function() {
        fn named<F: FnOnce()>(_: F) -> &'static str {
            export_name::<F>()
        }
        #[allow(non_snake_case)]
        fn AcquireCredentialsHandleW() -> &'static str {
            named(|| {})
        }
        assert_eq!(AcquireCredentialsHandleW(), "AcquireCredentialsHandleW");
    }

    #[test]
    fn reject_remembers_the_reason_and_returns_the_status() {
        let _ = take_last_reason();
        let who = "DEMO\\alice";
        let s = reject!(crate::sspi::SecStatus::LogonDenied, "no account {who}");
        assert_eq!(s, crate::sspi::SecStatus::LogonDenied);
        assert_eq!(
            take_last_reason().as_deref(),
            Some("no account DEMO\\alice")
        );
        assert_eq!(take_last_reason(), None);
    }

    #[test]
    fn names_cannot_forge_lines() {
        assert_eq!(Who("DEMO", "alice").to_string(), "DEMO\\alice");
        assert_eq!(Who("", "a\\b").to_string(), "a\\b");
        assert_eq!(
            Who("D\n2026 x", "al\u{1b}[1mice").to_string(),
            "D\\n2026 x\\al\\u{1b}[1mice"
        );
    }
}
