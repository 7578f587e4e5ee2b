//! `sspilogon`: interactive logon for opensspi — the analogue of
//! `kinit`/`klist`/`kdestroy` and `runas`.
//!
//! It performs `LsaLogonUser` once and keeps the logon session in the LSA
//! service `opensspi-lsad` (started on demand), where every later program
//! of the user finds it with no setting at all and authenticates with
//! `AcquireCredentialsHandle(NULL, …)` without a password. Run
//! `sspilogon --help` for usage and exit codes.

use std::io::{BufRead, Read, Write};
use std::process::ExitCode;

use opensspi::lsa::packages::kerberos::KerberosCredential;
use opensspi::lsa::packages::{KERBEROS_ID, MSV1_0_ID, NEGOTIATE_ID};
use opensspi::lsa::session::SecurityLogonType;
use opensspi::lsa::status::NtStatus;
use opensspi::lsa::store::{self, keyring, StoreError, StoreKind, STORE_ENV};
use opensspi::lsa::{InteractiveLogon, Lsa, Luid};
use opensspi::trace;
use zeroize::Zeroizing;

const USAGE: &str = "\
usage: sspilogon [options] [DOMAIN\\]user      log on and keep the session
       sspilogon [options] --run [DOMAIN\\]user -- COMMAND [ARGS...]
       sspilogon --list                         show logon sessions
       sspilogon --logoff [LUID]                log off LUID (default: the current session)

Log on once; afterwards programs using opensspi authenticate with the
session's cached credentials (AcquireCredentialsHandle with no identity).
Sessions live in the LSA service opensspi-lsad (started on demand, one per
user): shared by all of the user's processes, which never see the NT OWF;
nothing is written to disk.

options:
  --password-stdin     read the password from the first line of standard input
                       (default: prompt on the terminal without echo); with --run,
                       COMMAND reads the rest of standard input
  --package NAME       Negotiate (default), NTLM (MSV1_0) or Kerberos
  --logon-type TYPE    interactive (default), batch, service,
                       network-cleartext, new-credentials (no validation;
                       credentials used for outbound authentication only)
  --run                log on in a new session keyring and run COMMAND in it
                       (like runas): only COMMAND and its children see the
                       logon, which ends with them (keyring store)
  --store KIND         service (the default, unless OPENSSPI_LSA_STORE names
                       another), keyring (the kernel session keyring: programs
                       need OPENSSPI_LSA_STORE=keyring) or memory (validates
                       the password; the session ends with sspilogon)
  -h, --help           this text

exit codes:
  0 success            1 logon failed (bad user name or password, account restriction)
  2 usage error        3 session store unavailable
  4 no such session    5 other LSA failure (e.g. no logon servers)
  6 cannot read the password / run COMMAND";

const EXIT_LOGON_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_STORE: u8 = 3;
const EXIT_NO_SESSION: u8 = 4;
const EXIT_LSA: u8 = 5;
const EXIT_IO: u8 = 6;

enum Mode {
    Logon,
    Run(Vec<String>),
    List,
    Logoff(Option<String>),
    Help,
}

struct Args {
    mode: Mode,
    user: Option<String>,
    password_stdin: bool,
    /// The authentication package id.
    package: u32,
    logon_type: SecurityLogonType,
    store: StoreKind,
}

struct Failure(u8, String);

fn usage(msg: impl Into<String>) -> Failure {
    Failure(
        EXIT_USAGE,
        format!("{}\n(see sspilogon --help)", msg.into()),
    )
}

fn parse_args(argv: Vec<String>) -> Result<Args, Failure> {
    let mut a = Args {
        mode: Mode::Logon,
        user: None,
        password_stdin: false,
        package: NEGOTIATE_ID,
        logon_type: SecurityLogonType::Interactive,
        // The store the library would use.
        store: StoreKind::from_env().unwrap_or(StoreKind::Service),
    };
    let mut run = false;
    let mut it = argv.into_iter().peekable();
    let value = |it: &mut std::iter::Peekable<std::vec::IntoIter<String>>, opt: &str| {
        it.next()
            .ok_or_else(|| usage(format!("{opt} needs a value")))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => a.mode = Mode::Help,
            "--list" => a.mode = Mode::List,
            "--logoff" => {
                let luid = it.next_if(|v| !v.starts_with('-'));
                a.mode = Mode::Logoff(luid);
            }
            "--run" => run = true,
            "--password-stdin" => a.password_stdin = true,
            "--package" => {
                let v = value(&mut it, "--package")?;
                a.package = match v.to_ascii_lowercase().as_str() {
                    "negotiate" => NEGOTIATE_ID,
                    "ntlm" | "msv1_0" | "microsoft_authentication_package_v1_0" => MSV1_0_ID,
                    "kerberos" => KERBEROS_ID,
                    _ => return Err(usage(format!("unknown package {v:?}"))),
                };
            }
            "--logon-type" => {
                let v = value(&mut it, "--logon-type")?;
                a.logon_type = match v.to_ascii_lowercase().as_str() {
                    "interactive" => SecurityLogonType::Interactive,
                    "batch" => SecurityLogonType::Batch,
                    "service" => SecurityLogonType::Service,
                    "network-cleartext" => SecurityLogonType::NetworkCleartext,
                    "new-credentials" => SecurityLogonType::NewCredentials,
                    _ => return Err(usage(format!("unknown logon type {v:?}"))),
                };
            }
            "--store" => {
                let v = value(&mut it, "--store")?;
                a.store = StoreKind::parse(Some(&v)).map_err(|e| usage(e.to_string()))?;
            }
            "--" if run => {
                let cmd: Vec<String> = it.by_ref().collect();
                if cmd.is_empty() {
                    return Err(usage("--run needs a COMMAND after --"));
                }
                a.mode = Mode::Run(cmd);
            }
            s if s.starts_with('-') && s.len() > 1 => {
                return Err(usage(format!("unknown option {s}")))
            }
            _ => {
                if a.user.replace(arg).is_some() {
                    return Err(usage("more than one user name given"));
                }
            }
        }
    }
    match a.mode {
        Mode::Logon if run => return Err(usage("--run needs -- COMMAND")),
        Mode::Logon | Mode::Run(_) if a.user.is_none() => return Err(usage("no user name given")),
        Mode::List | Mode::Logoff(_) if a.user.is_some() => {
            return Err(usage("a user name makes no sense here"))
        }
        _ => {}
    }
    Ok(a)
}

fn open_store(kind: StoreKind) -> Result<Lsa, Failure> {
    store::open(kind)
        .map(Lsa::new)
        .inspect(opensspi::packages::kerberos::lsa_logon::register)
        .map_err(|e| Failure(EXIT_STORE, store_message(&e)))
}

fn store_message(e: &StoreError) -> String {
    format!(
        "{e}\nsspilogon keeps sessions in the kernel session keyring; this system \
         refuses keyring calls (check that keyctl(2) is allowed here)"
    )
}

/// Restores terminal echo when dropped.
struct EchoOff;

fn stty(arg: &str) -> bool {
    std::fs::File::open("/dev/tty")
        .ok()
        .and_then(|tty| {
            std::process::Command::new("stty")
                .arg(arg)
                .stdin(tty)
                .status()
                .ok()
        })
        .is_some_and(|s| s.success())
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        stty("echo");
    }
}

/// The first line of standard input, newline included, read one byte at a
/// time from file descriptor 0 (a duplicate of it: `std::io::stdin()`
/// buffers): nothing past the newline is consumed, so the command that
/// `--run` starts reads the rest of its standard input.
fn read_stdin_line() -> std::io::Result<Zeroizing<String>> {
    use std::os::fd::AsFd;
    let mut fd0 = std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned()?);
    let mut line = Zeroizing::new(Vec::with_capacity(256));
    let mut byte = [0u8; 1];
    loop {
        match fd0.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => {
                if line.len() == line.capacity() {
                    // Grow by hand so no unzeroized copy of the secret is left behind.
                    let mut bigger = Zeroizing::new(Vec::with_capacity(2 * line.capacity()));
                    bigger.extend_from_slice(&line);
                    line = bigger;
                }
                line.push(byte[0]);
                if byte[0] == b'\n' {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // The bytes move into the String (no copy); on error they come back
    // and are wiped.
    String::from_utf8(std::mem::take(&mut *line))
        .map(Zeroizing::new)
        .map_err(|e| {
            drop(Zeroizing::new(e.into_bytes()));
            std::io::Error::new(std::io::ErrorKind::InvalidData, "the password is not UTF-8")
        })
}

fn read_password(from_stdin: bool, who: &str) -> Result<Zeroizing<String>, Failure> {
    let mut line = Zeroizing::new(String::with_capacity(1024));
    if from_stdin {
        line = read_stdin_line().map_err(|e| {
            Failure(
                EXIT_IO,
                format!("cannot read the password from standard input: {e}"),
            )
        })?;
    } else {
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|e| {
                Failure(
                    EXIT_IO,
                    format!("no terminal to ask for the password ({e}); use --password-stdin"),
                )
            })?;
        let mut out = &tty;
        let _ = write!(out, "Password for {who}: ");
        let _ = out.flush();
        let guard = stty("-echo").then_some(EchoOff);
        let r = std::io::BufReader::new(&tty).read_line(&mut line);
        drop(guard);
        let _ = writeln!(out);
        r.map_err(|e| Failure(EXIT_IO, format!("cannot read the password: {e}")))?;
    }
    while line.ends_with('\n') || line.ends_with('\r') {
        line.pop();
    }
    Ok(line)
}

fn logon(a: &Args, lsa: &Lsa) -> Result<Luid, Failure> {
    let user = a.user.as_deref().unwrap_or_default();
    let password = read_password(a.password_stdin, user)?;
    let req = InteractiveLogon {
        domain: String::new(),
        user: user.to_string(),
        password,
    };
    let _ = trace::take_last_reason();
    match lsa.logon_user(a.package, a.logon_type as u32, &req) {
        Ok(r) => {
            let msg = format!(
                "Logged on {}\\{} (logon session {}, SID {}).",
                r.domain, r.user, r.logon_id, r.sid
            );
            // With --run, stdout belongs to COMMAND (it may be a pipe or a protocol stream).
            if matches!(a.mode, Mode::Run(_)) {
                eprintln!("{msg}");
            } else {
                println!("{msg}");
            }
            Ok(r.logon_id)
        }
        Err(e) => {
            let why = match (e.status, e.sub_status) {
                (NtStatus::LOGON_FAILURE, _) => "unknown user name or bad password".to_string(),
                (NtStatus::ACCOUNT_RESTRICTION, NtStatus::ACCOUNT_DISABLED) => {
                    "the account is disabled".into()
                }
                (NtStatus::ACCOUNT_RESTRICTION, NtStatus::PASSWORD_EXPIRED) => {
                    "the password has expired".into()
                }
                (NtStatus::ACCOUNT_RESTRICTION, s) => format!("account restriction ({s})"),
                (NtStatus::TIME_DIFFERENCE_AT_DC, _) => {
                    "this clock and the KDC's differ too much".into()
                }
                (NtStatus::ACCOUNT_DISABLED, _) => "the account is disabled".into(),
                (NtStatus::ACCOUNT_LOCKED_OUT, _) => "the account is locked out".into(),
                (NtStatus::PASSWORD_EXPIRED, _) => "the password has expired".into(),
                (NtStatus::NO_LOGON_SERVERS, _) => "no logon server (KDC) is available".into(),
                (s, _) => s.to_string(),
            };
            let code = match e.status {
                NtStatus::LOGON_FAILURE
                | NtStatus::ACCOUNT_RESTRICTION
                | NtStatus::ACCOUNT_DISABLED
                | NtStatus::ACCOUNT_LOCKED_OUT
                | NtStatus::PASSWORD_EXPIRED
                | NtStatus::PASSWORD_MUST_CHANGE
                | NtStatus::WRONG_PASSWORD
                | NtStatus::NO_SUCH_USER => EXIT_LOGON_FAILED,
                NtStatus::QUOTA_EXCEEDED | NtStatus::INSUFFICIENT_RESOURCES => EXIT_STORE,
                _ => EXIT_LSA,
            };
            // The library's own words for the refusal (as in OPENSSPI_TRACE).
            let reason = match trace::take_last_reason() {
                Some(r) => format!("\n  reason: {r}"),
                None => String::new(),
            };
            let hint = if trace::enabled() {
                ""
            } else {
                "\n  (set OPENSSPI_TRACE=stderr to see every decision)"
            };
            Err(Failure(
                code,
                format!("logon failed: {why} [{e}]{reason}{hint}"),
            ))
        }
    }
}

/// FILETIME → "YYYY-MM-DD hh:mm:ss UTC".
fn format_filetime(ft: i64) -> String {
    let secs = ft / 10_000_000 - 11_644_473_600;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn logon_type_name(t: u32) -> &'static str {
    match t {
        2 => "Interactive",
        3 => "Network",
        4 => "Batch",
        5 => "Service",
        7 => "Unlock",
        8 => "NetworkCleartext",
        9 => "NewCredentials",
        10 => "RemoteInteractive",
        11 => "CachedInteractive",
        _ => "Other",
    }
}

fn list(lsa: &Lsa) -> Result<(), Failure> {
    let lsa_err = |s: NtStatus| Failure(EXIT_STORE, format!("cannot list sessions: {s}"));
    let sessions = lsa.enumerate_sessions().map_err(lsa_err)?;
    let current = lsa.store().current_for_user(lsa.uid()).ok().flatten();
    if sessions.is_empty() {
        println!("No logon sessions.");
        return Ok(());
    }
    for l in sessions {
        let Ok(d) = lsa.session_data(l) else { continue };
        let session = lsa.store().get(l).ok().flatten();
        let creds = session.as_ref().map(|s| {
            // The packages holding a credential, MSV1_0 ("NTLM") first.
            let mut v: Vec<_> = s
                .credentials
                .package_ids()
                .filter_map(|id| lsa.packages().get(id).ok())
                .map(|p| p.session_name())
                .collect();
            v.reverse();
            v.join("+")
        });
        println!(
            "{} {}  {}\\{}",
            if current == Some(l) { "*" } else { " " },
            l,
            d.logon_domain,
            d.user_name
        );
        println!(
            "      package {}, {} logon at {}, SID {}, credentials: {}",
            d.authentication_package,
            logon_type_name(d.logon_type),
            format_filetime(d.logon_time),
            d.sid,
            creds
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "none".into())
        );
        // The session's Kerberos ticket cache (KerbQueryTicketCacheMessage's
        // list: the TGT first).
        let kerberos = session.as_ref().and_then(KerberosCredential::of);
        for t in kerberos.iter().flat_map(|k| k.tickets()) {
            println!(
                "      ticket {}@{}, valid until {}",
                t.server_name,
                t.realm_name,
                format_filetime(t.end_time)
            );
        }
    }
    Ok(())
}

fn logoff(lsa: &Lsa, luid: Option<&str>) -> Result<(), Failure> {
    let luid = match luid {
        Some(s) => Luid::parse(s).ok_or_else(|| usage(format!("not a LUID: {s:?}")))?,
        None => lsa
            .store()
            .current_for_user(lsa.uid())
            .map_err(|e| Failure(EXIT_STORE, store_message(&e)))?
            .ok_or_else(|| Failure(EXIT_NO_SESSION, "no current logon session".into()))?,
    };
    match lsa.logoff(luid) {
        Ok(()) => {
            println!("Logged off {luid}.");
            Ok(())
        }
        Err(NtStatus::NO_SUCH_LOGON_SESSION) => {
            Err(Failure(EXIT_NO_SESSION, format!("no logon session {luid}")))
        }
        Err(NtStatus::ACCESS_DENIED) => Err(Failure(
            EXIT_NO_SESSION,
            format!("logon session {luid} belongs to another user"),
        )),
        Err(s) => Err(Failure(EXIT_STORE, format!("cannot log off {luid}: {s}"))),
    }
}

fn run(a: Args) -> Result<(), Failure> {
    match &a.mode {
        Mode::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Mode::List => list(&open_store(a.store)?),
        Mode::Logoff(l) => logoff(&open_store(a.store)?, l.as_deref()),
        Mode::Logon => {
            let lsa = open_store(a.store)?;
            logon(&a, &lsa)?;
            match a.store {
                StoreKind::Memory => eprintln!(
                    "note: with --store memory the session ended with sspilogon; \
                     only the password was checked"
                ),
                StoreKind::Service => {
                    if StoreKind::from_env() != Ok(StoreKind::Service) {
                        eprintln!(
                            "note: programs use this session when {STORE_ENV}=service is in \
                             their environment"
                        );
                    }
                }
                StoreKind::Keyring => {
                    if StoreKind::from_env() != Ok(StoreKind::Keyring) {
                        eprintln!(
                            "note: programs use this session when {STORE_ENV}=keyring is in \
                             their environment"
                        );
                    }
                }
            }
            Ok(())
        }
        Mode::Run(cmd) => {
            if a.store == StoreKind::Memory {
                return Err(usage("--run needs the keyring store"));
            }
            keyring::join_new_session_keyring()
                .map_err(|e| Failure(EXIT_STORE, store_message(&e)))?;
            let lsa = open_store(StoreKind::Keyring)?;
            logon(&a, &lsa)?;
            drop(lsa);
            use std::os::unix::process::CommandExt;
            let err = std::process::Command::new(&cmd[0])
                .args(&cmd[1..])
                .env(STORE_ENV, "keyring")
                .exec();
            Err(Failure(EXIT_IO, format!("cannot run {}: {err}", cmd[0])))
        }
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    // The library's trace (OPENSSPI_TRACE) covers the whole run.
    let result = trace::scope(|| parse_args(argv).and_then(run));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, msg)) => {
            eprintln!("sspilogon: {msg}");
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_formatting() {
        // 2000-01-01 00:00:00 UTC
        assert_eq!(
            format_filetime(125_911_584_000_000_000),
            "2000-01-01 00:00:00 UTC"
        );
    }

    /// Issue 12: `sspilogon --package Negotiate` is the default; NTLM stays
    /// selectable under its LSA names.
    #[test]
    fn negotiate_is_the_default_package() {
        let package = |v: &[&str]| {
            parse_args(v.iter().map(|s| s.to_string()).collect())
                .ok()
                .unwrap()
                .package
        };
        assert_eq!(package(&["alice"]), NEGOTIATE_ID);
        assert_eq!(package(&["--package", "Negotiate", "alice"]), NEGOTIATE_ID);
        assert_eq!(package(&["--package", "NTLM", "alice"]), MSV1_0_ID);
        assert_eq!(package(&["--package", "MSV1_0", "alice"]), MSV1_0_ID);
        assert_eq!(package(&["--package", "Kerberos", "alice"]), KERBEROS_ID);
    }

    #[test]
    fn argument_errors() {
        let p = |v: &[&str]| parse_args(v.iter().map(|s| s.to_string()).collect());
        assert!(p(&[]).is_err());
        assert!(p(&["a", "b"]).is_err());
        assert!(p(&["--bogus"]).is_err());
        assert!(p(&["--package"]).is_err());
        assert!(p(&["--list", "alice"]).is_err());
        assert!(p(&["--run", "alice"]).is_err());
        assert!(matches!(
            p(&["--logoff"]).ok().unwrap().mode,
            Mode::Logoff(None)
        ));
        assert!(matches!(
            p(&["--logoff", "1:2"]).ok().unwrap().mode,
            Mode::Logoff(Some(_))
        ));
        assert!(matches!(
            p(&["--run", "bob", "--", "sh", "-c", "x"]).ok().unwrap().mode,
            Mode::Run(ref c) if c.len() == 3
        ));
    }
}
