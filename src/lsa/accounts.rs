//! The local account database (MSV1_0's SAM): the `NTLM_USER_FILE` format of
//! gss-ntlmssp and pyspnego.
//!
//! Each line is either `DOMAIN:USER:PASSWORD` (a domain-less, local user is
//! written `:user:password`; the password may contain `:`) or an smbpasswd
//! line `USER:UID:LMHEX:NTHEX:[FLAGS]:LCT-...` whose first field may be
//! `DOMAIN\user` or `user@DOMAIN`, which carries only hashes and whose
//! account-control flags are honoured ([`AccountControl`]). A line is
//! classified by its shape once (see `line.rs`); a malformed line is
//! skipped, with a warning on stderr naming the file and line when the file
//! is loaded. Blank lines and lines starting with `#` are ignored.
//!
//! A logon reports the identity of the record that verified the password
//! ([`Account::user`], [`Account::reported_domain`]), never the client's
//! spelling; [`AccountDatabase::candidates`] gives the records to try.
//!
//! The file is found through `NTLM_USER_FILE`, else [`DEFAULT_ACCOUNT_FILE`],
//! and re-read when it changes (looked at once a second at most, see
//! [`database`]).

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use once_cell::sync::{Lazy, OnceCell};
use parking_lot::{Mutex, RwLock};
use zeroize::Zeroizing;

use subtle::ConstantTimeEq;

pub use crate::lsa::packages::msv1_0::owf::nt_owf_v1;
use crate::lsa::packages::msv1_0::owf::{
    ntowf_v2_keyed, ntowf_v2_user, upcase_char, HmacMd5, NtOwf,
};

mod line;

pub use line::AccountControl;
use line::{AccountLine, Line, Secret};

/// Where the account database lives when `NTLM_USER_FILE` is not set.
pub const DEFAULT_ACCOUNT_FILE: &str = "/etc/opensspi/ntlm_user_file";

/// One account of the database. The names are the record's own spelling:
/// they, never the client's, are what a logon reports.
pub struct Account {
    /// Domain as written (empty: a local account, reported under
    /// [`computer_name`]).
    pub domain: String,
    pub user: String,
    /// `None`: no usable password; the account never authenticates.
    pub nt_owf: Option<NtOwf>,
    /// The password, when the line carries one (LMv1 and NTLMv1 need it).
    pub password: Option<Zeroizing<String>>,
    /// smbpasswd account-control flags (none for `DOMAIN:USER:PASSWORD`).
    pub control: AccountControl,
    /// The 1-based line of the account file it came from (0: not from a file).
    pub line: usize,
    /// NTOWFv2 keyed HMAC states already computed for this account.
    ntowf_v2: NtowfV2Cache,
}

/// One cached NTOWFv2: the upper-cased user name and the domain exactly as
/// a client sent them, and HMAC-MD5 keyed with the result.
struct NtowfV2Entry {
    user_upper: String,
    domain: String,
    keyed: HmacMd5,
}

impl NtowfV2Entry {
    fn matches(&self, user_upper: &str, domain: &str) -> bool {
        self.user_upper == user_upper && self.domain == domain
    }
}

/// NTOWFv2 depends only on the account's NT OWF, the user name's upper case
/// and the domain as sent, so the server computes it once per such pair.
/// The first pair lives in a `OnceCell` (read without any lock or shared
/// write, the common case of one spelling per account); a few more behind a
/// mutex. Bounded, so memory stays flat whatever clients send; the states
/// are wiped on drop (hmac's `zeroize`). A database re-read from the file
/// starts with empty caches.
#[derive(Default)]
struct NtowfV2Cache {
    first: OnceCell<NtowfV2Entry>,
    more: Mutex<Vec<NtowfV2Entry>>,
}

/// Entries kept besides the first, per account.
const NTOWF_V2_CACHE_MORE: usize = 7;

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("domain", &self.domain)
            .field("user", &self.user)
            .field("control", &self.control)
            .finish_non_exhaustive()
    }
}

/// Whether `a` and `b` are the same name for Windows: equal after
/// upper-casing each character alone (RtlUpcaseUnicodeString, as NTOWFv2
/// does). Unlike lower-casing, this keeps look-alikes apart: U+212A KELVIN
/// SIGN is not `K`.
pub fn eq_upcase(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.chars().map(upcase_char).eq(b.chars().map(upcase_char))
    }
}

/// A user or domain name a logon may carry: no NUL or other control
/// character (C strings and logs would read something else).
pub fn is_valid_name(name: &str) -> bool {
    // Printable ASCII (the common case) without decoding UTF-8.
    name.bytes().all(|b| (0x20..0x7f).contains(&b)) || !name.chars().any(char::is_control)
}

/// The local computer's NetBIOS name: the host name up to the first dot,
/// upper-cased, at most 15 characters (`LOCALHOST` when there is none);
/// read once. The NTLM server's CHALLENGE names it (MsvAvNbComputerName,
/// MsvAvNbDomainName) and local accounts report it as their domain, as
/// Windows reports `MACHINE\user`.
pub fn computer_name() -> &'static str {
    static NAME: Lazy<String> = Lazy::new(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let short: String = host
            .trim()
            .split('.')
            .next()
            .unwrap_or("")
            .to_uppercase()
            .chars()
            .take(15)
            .collect();
        if short.is_empty() {
            "LOCALHOST".into()
        } else {
            short
        }
    });
    &NAME
}

impl Account {
    /// An account from its fields, no account-control flags.
    pub fn new(
        domain: String,
        user: String,
        nt_owf: Option<NtOwf>,
        password: Option<Zeroizing<String>>,
    ) -> Self {
        Account {
            domain,
            user,
            nt_owf,
            password,
            control: AccountControl::default(),
            line: 0,
            ntowf_v2: NtowfV2Cache::default(),
        }
    }

    fn from_line(line: AccountLine) -> Self {
        let (nt_owf, password) = match line.secret {
            Secret::Password(p) => (Some(nt_owf_v1(&p)), Some(p)),
            Secret::NtHash(h) => (Some(h.into()), None),
            Secret::Unusable => (None, None),
        };
        Account {
            control: line.control,
            ..Account::new(line.domain, line.user, nt_owf, password)
        }
    }

    /// The domain a logon with this account reports: the record's, or the
    /// computer name for a local (domain-less) account.
    pub fn reported_domain(&self) -> &str {
        if self.domain.is_empty() {
            computer_name()
        } else {
            &self.domain
        }
    }

    /// For trace lines: ` in FILE line N` when the record came from a file.
    pub fn source_line(&self) -> String {
        match self.line {
            0 => String::new(),
            n => format!(" in {} line {n}", account_file_path().display()),
        }
    }

    /// Whether `nt_owf` is this account's NT OWF (constant time; never for
    /// an account without a usable password).
    pub fn verifies_nt_owf(&self, nt_owf: &[u8; 16]) -> bool {
        self.nt_owf
            .as_ref()
            .is_some_and(|mine| bool::from(mine[..].ct_eq(&nt_owf[..])))
    }

    /// HMAC-MD5 keyed with NTOWFv2(this account's NT OWF, `user`, `domain`)
    /// (MS-NLMP 3.3.2), `user` and `domain` as the client sent them; cached
    /// (see [`NtowfV2Cache`]). `None` without a usable password.
    pub fn ntowf_v2_keyed(&self, user: &str, domain: &str) -> Option<HmacMd5> {
        let nt_owf = self.nt_owf.as_ref()?;
        let user_upper = ntowf_v2_user(user);
        let cache = &self.ntowf_v2;
        if let Some(e) = cache.first.get() {
            if e.matches(&user_upper, domain) {
                return Some(e.keyed.clone());
            }
        } else {
            let e = cache.first.get_or_init(|| NtowfV2Entry {
                keyed: ntowf_v2_keyed(nt_owf, user, domain),
                user_upper: user_upper.clone(),
                domain: domain.to_string(),
            });
            if e.matches(&user_upper, domain) {
                return Some(e.keyed.clone());
            }
        }
        let mut more = cache.more.lock();
        if let Some(e) = more.iter().find(|e| e.matches(&user_upper, domain)) {
            return Some(e.keyed.clone());
        }
        let keyed = ntowf_v2_keyed(nt_owf, user, domain);
        if more.len() < NTOWF_V2_CACHE_MORE {
            more.push(NtowfV2Entry {
                user_upper,
                domain: domain.to_string(),
                keyed: keyed.clone(),
            });
        }
        Some(keyed)
    }
}

/// A line of the file that was not taken (1-based line number, reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    pub line: usize,
    pub reason: &'static str,
}

/// A parsed account database.
#[derive(Debug, Default)]
pub struct AccountDatabase {
    accounts: Vec<Account>,
    skipped: Vec<SkippedLine>,
}

impl AccountDatabase {
    /// Parse the file format; malformed lines are skipped and listed in
    /// [`skipped`](Self::skipped).
    pub fn parse(text: &str) -> Self {
        let mut db = AccountDatabase::default();
        for (i, l) in text.lines().enumerate() {
            match line::classify(l.trim_end_matches('\r')) {
                Line::Ignored => {}
                Line::Account(a) => db.accounts.push(Account {
                    line: i + 1,
                    ..Account::from_line(a)
                }),
                Line::Bad(reason) => db.skipped.push(SkippedLine {
                    line: i + 1,
                    reason,
                }),
            }
        }
        db
    }

    /// The accounts a logon as `user` in `domain` (both as the client sent
    /// them) may be, in the order to try them: the records of that domain,
    /// then the domain-less (local) ones; with no domain, also every other
    /// domain's. The domain `.` or the computer name means local. Names
    /// compare as [`eq_upcase`]; a name with a control character matches
    /// nothing.
    pub fn candidates<'s: 'q, 'q>(
        &'s self,
        user: &'q str,
        domain: &'q str,
    ) -> impl Iterator<Item = &'s Account> + 'q {
        let valid = is_valid_name(user) && is_valid_name(domain);
        let domain = if domain == "." {
            computer_name()
        } else {
            domain
        };
        let of_user = move |a: &&Account| valid && eq_upcase(&a.user, user);
        let same_domain = self
            .accounts
            .iter()
            .filter(of_user)
            .filter(move |a| !a.domain.is_empty() && eq_upcase(&a.domain, domain));
        let local = self
            .accounts
            .iter()
            .filter(of_user)
            .filter(|a| a.domain.is_empty());
        let any = self
            .accounts
            .iter()
            .filter(of_user)
            .filter(move |a| domain.is_empty() && !a.domain.is_empty());
        same_domain.chain(local).chain(any)
    }

    /// The first of [`candidates`](Self::candidates).
    pub fn lookup(&self, user: &str, domain: &str) -> Option<&Account> {
        self.candidates(user, domain).next()
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The lines that were not taken.
    pub fn skipped(&self) -> &[SkippedLine] {
        &self.skipped
    }
}

/// The path of the account database now in force.
pub fn account_file_path() -> PathBuf {
    std::env::var_os("NTLM_USER_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_ACCOUNT_FILE))
}

struct Cached {
    path: PathBuf,
    modified: Option<SystemTime>,
    len: u64,
    db: Arc<AccountDatabase>,
}

static CACHE: RwLock<Option<Cached>> = RwLock::new(None);

/// How long [`database`] trusts its cached copy before it looks at
/// `NTLM_USER_FILE` and the file's size and modification time again.
pub const RECHECK_INTERVAL: Duration = Duration::from_millis(1000);

/// When the file was last looked at, in milliseconds since [`clock_base`]
/// plus one; 0 = look at the next call.
static CHECKED_AT: AtomicU64 = AtomicU64::new(0);

fn clock_base() -> Instant {
    static BASE: Lazy<Instant> = Lazy::new(Instant::now);
    *BASE
}

fn now_ms() -> u64 {
    clock_base().elapsed().as_millis() as u64 + 1
}

/// Whether the file was looked at less than [`RECHECK_INTERVAL`] ago.
fn recently_checked() -> bool {
    let checked = CHECKED_AT.load(Ordering::Acquire);
    checked != 0 && now_ms().saturating_sub(checked) < RECHECK_INTERVAL.as_millis() as u64
}

/// The account database: re-read when the file's path (`NTLM_USER_FILE`),
/// size or modification time changes. Those are looked at at most once per
/// [`RECHECK_INTERVAL`] (a `stat` and an environment read on every accept
/// cost more than the rest of the lookup); in between, the cached copy is
/// handed out under a shared read lock. [`recheck_database`] makes the next
/// call look at once. A missing file is an empty database.
pub fn database() -> Arc<AccountDatabase> {
    if recently_checked() {
        if let Some(c) = CACHE.read().as_ref() {
            return c.db.clone();
        }
    }
    database_checked()
}

/// Bumped whenever [`CACHE`] takes a newly read database.
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's reference to the current database and its
    /// [`GENERATION`]; `None` while lent out.
    static MINE: RefCell<Option<(u64, Arc<AccountDatabase>)>> = const { RefCell::new(None) };
}

/// Run `f` with the account database (as [`database`]). Between re-checks
/// a thread uses its own reference to the cached copy, so concurrent
/// servers share no lock and write no shared reference count per accept
/// (that cost two threads about a twentieth of their handshake rate). A
/// thread lets go of a replaced database when it next calls this.
pub fn with_database<R>(f: impl FnOnce(&AccountDatabase) -> R) -> R {
    let generation = GENERATION.load(Ordering::Acquire);
    let fresh = recently_checked();
    let mine = MINE
        .try_with(|m| m.borrow_mut().take())
        .ok()
        .flatten()
        .filter(|(g, _)| fresh && *g == generation);
    let db = match mine {
        Some((_, db)) => db,
        None => database(),
    };
    let result = f(&db);
    let _ = MINE.try_with(|m| {
        let old = m.borrow_mut().replace((generation, db));
        drop(old);
    });
    result
}

/// Make the next [`database`] call look at `NTLM_USER_FILE` and the file
/// again (for programs and tests that change either and must see the
/// change at once).
pub fn recheck_database() {
    CHECKED_AT.store(0, Ordering::Release);
}

fn database_checked() -> Arc<AccountDatabase> {
    let path = account_file_path();
    let meta = std::fs::metadata(&path).ok();
    let modified = meta.as_ref().and_then(|m| m.modified().ok());
    let len = meta.as_ref().map(|m| m.len()).unwrap_or(0);
    let unchanged = |c: &Cached| c.path == path && c.modified == modified && c.len == len;
    if let Some(c) = CACHE.read().as_ref().filter(|c| unchanged(c)) {
        CHECKED_AT.store(now_ms(), Ordering::Release);
        return c.db.clone();
    }
    let mut cache = CACHE.write();
    if let Some(c) = cache.as_ref().filter(|c| unchanged(c)) {
        CHECKED_AT.store(now_ms(), Ordering::Release);
        return c.db.clone();
    }
    let text = Zeroizing::new(std::fs::read_to_string(&path).unwrap_or_default());
    let db = Arc::new(AccountDatabase::parse(&text));
    // Once per load (not per logon): the lines that are not accounts.
    for s in db.skipped() {
        eprintln!(
            "opensspi: {}:{}: {}; line skipped",
            path.display(),
            s.line,
            s.reason
        );
    }
    *cache = Some(Cached {
        path,
        modified,
        len,
        db: db.clone(),
    });
    GENERATION.fetch_add(1, Ordering::Release);
    CHECKED_AT.store(now_ms(), Ordering::Release);
    db
}

#[cfg(test)]
mod tests;
