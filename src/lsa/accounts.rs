//! The local account database (MSV1_0's SAM): the `NTLM_USER_FILE` format of
//! gss-ntlmssp and pyspnego.
//!
//! Each line is either `DOMAIN:USER:PASSWORD` (a domain-less user is written
//! `:user:password`; the password may contain `:`) or an smbpasswd line
//! `USER:UID:LMHEX:NTHEX:[FLAGS]:LCT-...` whose first field may be
//! `DOMAIN\user` or `user@DOMAIN` and which carries only hashes. Blank lines
//! and lines starting with `#` are ignored.
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

pub use crate::packages::ntlm::crypto::nt_owf_v1;
use crate::packages::ntlm::crypto::{ntowf_v2_keyed, ntowf_v2_user, HmacMd5, NtOwf};

/// Where the account database lives when `NTLM_USER_FILE` is not set.
pub const DEFAULT_ACCOUNT_FILE: &str = "/etc/opensspi/ntlm_user_file";

/// One account of the database.
pub struct Account {
    /// Domain as written (empty: any domain).
    pub domain: String,
    pub user: String,
    pub nt_owf: NtOwf,
    /// The password, when the line carries one (LMv1 and NTLMv1 need it).
    pub password: Option<Zeroizing<String>>,
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
            .finish_non_exhaustive()
    }
}

/// `a.to_lowercase() == b.to_lowercase()`, without allocating for ASCII.
pub(crate) fn eq_lowercase(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

impl Account {
    /// An account from its fields.
    pub fn new(
        domain: String,
        user: String,
        nt_owf: impl Into<NtOwf>,
        password: Option<Zeroizing<String>>,
    ) -> Self {
        Account {
            domain,
            user,
            nt_owf: nt_owf.into(),
            password,
            ntowf_v2: NtowfV2Cache::default(),
        }
    }

    /// Case-insensitive match on user and domain; an account without a
    /// domain matches every domain.
    pub fn matches(&self, user: &str, domain: &str) -> bool {
        eq_lowercase(&self.user, user)
            && (self.domain.is_empty() || eq_lowercase(&self.domain, domain))
    }

    /// HMAC-MD5 keyed with NTOWFv2(this account's NT OWF, `user`, `domain`)
    /// (MS-NLMP 3.3.2), `user` and `domain` as the client sent them; cached
    /// (see [`NtowfV2Cache`]).
    pub fn ntowf_v2_keyed(&self, user: &str, domain: &str) -> HmacMd5 {
        let user_upper = ntowf_v2_user(user);
        let cache = &self.ntowf_v2;
        if let Some(e) = cache.first.get() {
            if e.matches(&user_upper, domain) {
                return e.keyed.clone();
            }
        } else {
            let e = cache.first.get_or_init(|| NtowfV2Entry {
                keyed: ntowf_v2_keyed(&self.nt_owf, user, domain),
                user_upper: user_upper.clone(),
                domain: domain.to_string(),
            });
            if e.matches(&user_upper, domain) {
                return e.keyed.clone();
            }
        }
        let mut more = cache.more.lock();
        if let Some(e) = more.iter().find(|e| e.matches(&user_upper, domain)) {
            return e.keyed.clone();
        }
        let keyed = ntowf_v2_keyed(&self.nt_owf, user, domain);
        if more.len() < NTOWF_V2_CACHE_MORE {
            more.push(NtowfV2Entry {
                user_upper,
                domain: domain.to_string(),
                keyed: keyed.clone(),
            });
        }
        keyed
    }
}

/// A parsed account database.
#[derive(Debug, Default)]
pub struct AccountDatabase {
    accounts: Vec<Account>,
}

fn parse_hex16(s: &str) -> Option<[u8; 16]> {
    if s.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn split_qualified(name: &str) -> (String, String) {
    if let Some((d, u)) = name.split_once('\\') {
        (d.to_string(), u.to_string())
    } else if let Some((u, d)) = name.rsplit_once('@') {
        (d.to_string(), u.to_string())
    } else {
        (String::new(), name.to_string())
    }
}

fn parse_line(line: &str) -> Option<Account> {
    let fields: Vec<&str> = line.split(':').collect();
    // smbpasswd: USER:UID:LMHEX:NTHEX:[FLAGS]:LCT-xxxx
    if fields.len() >= 6 && fields[1].chars().all(|c| c.is_ascii_digit()) && !fields[1].is_empty() {
        if let Some(nt) = parse_hex16(fields[3]) {
            let (domain, user) = split_qualified(fields[0]);
            return Some(Account::new(domain, user, Zeroizing::new(nt), None));
        }
    }
    let mut it = line.splitn(3, ':');
    let domain = it.next()?.to_string();
    let user = it.next()?.to_string();
    let password = it.next()?;
    if user.is_empty() {
        return None;
    }
    Some(Account::new(
        domain,
        user,
        nt_owf_v1(password),
        Some(Zeroizing::new(password.to_string())),
    ))
}

impl AccountDatabase {
    /// Parse the file format; malformed lines are skipped.
    pub fn parse(text: &str) -> Self {
        let accounts = text
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .filter_map(parse_line)
            .collect();
        AccountDatabase { accounts }
    }

    /// The first account matching `user` in `domain`.
    pub fn lookup(&self, user: &str, domain: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.matches(user, domain))
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
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
mod tests {
    use super::*;

    #[test]
    fn nt_owf_vectors() {
        // MS-NLMP 4.2.2.1.2 and BEHAVIOURS.md item 133
        assert_eq!(
            hex::encode(*nt_owf_v1("Password")),
            "a4f49c406510bdcab6824ee7c30fd852"
        );
        assert_eq!(
            hex::encode(*nt_owf_v1("")),
            "31d6cfe0d16ae931b73c59d7e0c089c0"
        );
        assert_eq!(
            hex::encode(*nt_owf_v1("P4ss123!")),
            "d5922a65c4d5c082ca444af1be0001db"
        );
    }

    /// NTOWFv2 as MS-NLMP writes it, with a string in between.
    fn ntowf_v2_reference(nt_owf: &[u8; 16], user: &str, domain: &str) -> [u8; 16] {
        use crate::packages::ntlm::crypto::hmac_md5;
        let upper: String = user
            .chars()
            .map(|c| {
                let mut u = c.to_uppercase();
                match (u.next(), u.next()) {
                    (Some(one), None) => one,
                    _ => c,
                }
            })
            .collect();
        let ud: Vec<u8> = (upper + domain)
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        hmac_md5(nt_owf, &[&ud])
    }

    #[test]
    fn ntowf_v2_cache_matches_the_definition() {
        use crate::packages::ntlm::crypto::{hmac_md5, hmac_md5_with, ntowf_v2};
        use hmac::Mac;
        let db = AccountDatabase::parse(":alice:pw\n");
        let a = &db.accounts()[0];
        let long = "a-very-long-user-name-of-more-than-thirty-two-characters-ß-😀";
        let cases = [
            ("alice", "EXAMPLE"),
            ("ALICE", "EXAMPLE"),
            ("alice", "example"),
            ("Alice", ""),
            ("ǆemal", "ΣΊΣΥΦΟΣ"),
            (long, long),
        ];
        for round in 0..2 {
            for (i, (u, d)) in cases.iter().enumerate() {
                let want = ntowf_v2_reference(&a.nt_owf, u, d);
                assert_eq!(*ntowf_v2(&a.nt_owf, u, d), want, "{u} {d}");
                let got = hmac_md5_with(&a.ntowf_v2_keyed(u, d), &[b"x"]);
                assert_eq!(got, hmac_md5(&want, &[b"x"]), "round {round} case {i}");
            }
            // Past the cache bound: still right, and the cache stays bounded.
            for n in 0..20 {
                let d = format!("D{n}");
                let mut m = a.ntowf_v2_keyed("alice", &d);
                m.update(b"x");
                let got: [u8; 16] = m.finalize().into_bytes().into();
                assert_eq!(
                    got,
                    hmac_md5(&ntowf_v2_reference(&a.nt_owf, "alice", &d), &[b"x"])
                );
            }
            assert!(a.ntowf_v2.more.lock().len() <= NTOWF_V2_CACHE_MORE);
        }
    }

    #[test]
    fn parses_both_formats() {
        let db = AccountDatabase::parse(
            "# comment\n\nEXAMPLE:alice:alice-Passw0rd\n:bob:pw:with:colons\n\
             OTHER\\carol:1000:AAD3B435B51404EEAAD3B435B51404EE:E585DC24BF49E63E50099C6A2BAAB522:[U          ]:LCT-00000000\n\
             garbage\n",
        );
        assert_eq!(db.accounts().len(), 3);
        let alice = db.lookup("ALICE", "example").unwrap();
        assert_eq!(
            hex::encode(*alice.nt_owf),
            "e585dc24bf49e63e50099c6a2baab522"
        );
        assert!(db.lookup("alice", "OTHER").is_none());
        let bob = db.lookup("bob", "ANYTHING").unwrap();
        assert_eq!(
            bob.password.as_deref().map(|s| s.as_str()),
            Some("pw:with:colons")
        );
        let carol = db.lookup("carol", "other").unwrap();
        assert_eq!(*carol.nt_owf, *alice.nt_owf);
        assert!(carol.password.is_none());
        assert!(!format!("{alice:?}").contains("Passw0rd"));
    }
}
