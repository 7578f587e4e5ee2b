//! One line of the account file, classified once by its shape and never
//! re-read in the other format:
//!
//! * an smbpasswd(5) line has at least five `:`-separated fields and a
//!   numeric second field (the Unix uid): `NAME:UID:LM:NT:[FLAGS]:LCT-…`;
//!   its LM and NT fields must be 32 hex digits, 32 `X` (or `*`: no hash)
//!   or `NO PASSWORD` padded with `X` to 32, and the flags field `[…]` of
//!   known account-control letters;
//! * every other line is `DOMAIN:USER:PASSWORD`.
//!
//! A line of either shape that breaks its format's rules is bad: the caller
//! skips it and says so, it never becomes an account.

use zeroize::Zeroizing;

use super::is_valid_name;

/// The smbpasswd(5) account-control flags the database honours (Samba's
/// `ACB_*`; the other letters, account types, change nothing here).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountControl {
    /// `D`: disabled (LsaLogonUser: STATUS_ACCOUNT_RESTRICTION, SubStatus
    /// STATUS_ACCOUNT_DISABLED; the NTLM server: SEC_E_LOGON_DENIED).
    pub disabled: bool,
    /// `L`: locked out (STATUS_ACCOUNT_LOCKED_OUT whatever the password).
    pub locked: bool,
    /// `N`: no password required: the password is the empty one and the
    /// hash fields are ignored, as smbpasswd(5) says.
    pub password_not_required: bool,
    /// `X`: the password never expires (nothing expires here).
    pub password_never_expires: bool,
}

/// What proves the account's identity.
pub(super) enum Secret {
    /// A `DOMAIN:USER:PASSWORD` line, or an smbpasswd line with `N`.
    Password(Zeroizing<String>),
    /// An smbpasswd line's NT hash.
    NtHash(Zeroizing<[u8; 16]>),
    /// No usable password (`XXXX…`, or `NO PASSWORD` without `N`): the
    /// account never authenticates.
    Unusable,
}

/// The fields of a good line.
pub(super) struct AccountLine {
    pub domain: String,
    pub user: String,
    pub secret: Secret,
    pub control: AccountControl,
}

/// A classified line.
pub(super) enum Line {
    /// Blank or a `#` comment.
    Ignored,
    Account(AccountLine),
    /// Malformed, with the reason (never the line's text: it may hold a
    /// password).
    Bad(&'static str),
}

/// An smbpasswd hash field.
enum HashField {
    Hash([u8; 16]),
    /// `NO PASSWORDXXXX…`.
    NoPassword,
    /// `XXXX…` (or `*`): no hash of this kind.
    Invalid,
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

fn hash_field(s: &str) -> Option<HashField> {
    if s.len() != 32 || !s.is_ascii() {
        return None;
    }
    if let Some(h) = parse_hex16(s) {
        return Some(HashField::Hash(h));
    }
    if s.bytes().all(|b| b == b'X' || b == b'*') {
        return Some(HashField::Invalid);
    }
    let (head, pad) = s.split_at(11);
    (head.eq_ignore_ascii_case("NO PASSWORD") && pad.bytes().all(|b| b == b'X'))
        .then_some(HashField::NoPassword)
}

/// `[U          ]` → flags; `None` for anything else (an unknown letter
/// might be a restriction this code does not understand).
fn control_field(s: &str) -> Option<AccountControl> {
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    let mut c = AccountControl::default();
    for ch in inner.chars() {
        match ch {
            'D' => c.disabled = true,
            'L' => c.locked = true,
            'N' => c.password_not_required = true,
            'X' => c.password_never_expires = true,
            // User, home directory required, temporary duplicate, MNS
            // logon, workstation / server / interdomain trust.
            'U' | 'H' | 'T' | 'M' | 'W' | 'S' | 'I' | ' ' => {}
            _ => return None,
        }
    }
    Some(c)
}

/// `DOMAIN\user`, `user@DOMAIN` or `user` (smbpasswd's name field) →
/// (domain, user).
fn split_qualified(name: &str) -> (&str, &str) {
    if let Some((d, u)) = name.split_once('\\') {
        (d, u)
    } else if let Some((u, d)) = name.rsplit_once('@') {
        (d, u)
    } else {
        ("", name)
    }
}

fn names(domain: &str, user: &str) -> Result<(String, String), &'static str> {
    if user.is_empty() {
        return Err("empty user name");
    }
    if !is_valid_name(domain)
        || !is_valid_name(user)
        || domain.contains('\\')
        || user.contains('\\')
    {
        return Err("control character or backslash in a name");
    }
    Ok((domain.to_string(), user.to_string()))
}

fn smbpasswd(fields: &[&str]) -> Line {
    let (domain, user) = split_qualified(fields[0]);
    let (domain, user) = match names(domain, user) {
        Ok(n) => n,
        Err(e) => return Line::Bad(e),
    };
    let (Some(_lm), Some(nt)) = (hash_field(fields[2]), hash_field(fields[3])) else {
        return Line::Bad("smbpasswd hash field is not 32 hex digits, XXXX or NO PASSWORD");
    };
    let Some(control) = control_field(fields[4]) else {
        return Line::Bad("smbpasswd account flags field is not [flags]");
    };
    let secret = match (nt, control.password_not_required) {
        (HashField::Invalid, _) => Secret::Unusable,
        (_, true) => Secret::Password(Zeroizing::new(String::new())),
        (HashField::Hash(h), false) => Secret::NtHash(Zeroizing::new(h)),
        (HashField::NoPassword, false) => Secret::Unusable,
    };
    Line::Account(AccountLine {
        domain,
        user,
        secret,
        control,
    })
}

/// Classify one line (without its line end).
pub(super) fn classify(line: &str) -> Line {
    if line.trim().is_empty() || line.trim_start().starts_with('#') {
        return Line::Ignored;
    }
    let fields: Vec<&str> = line.split(':').collect();
    if fields.len() >= 5 && !fields[1].is_empty() && fields[1].bytes().all(|b| b.is_ascii_digit()) {
        return smbpasswd(&fields);
    }
    let mut it = line.splitn(3, ':');
    let (Some(domain), Some(user), Some(password)) = (it.next(), it.next(), it.next()) else {
        return Line::Bad("neither DOMAIN:USER:PASSWORD nor an smbpasswd line");
    };
    match names(domain, user) {
        Ok((domain, user)) => Line::Account(AccountLine {
            domain,
            user,
            secret: Secret::Password(Zeroizing::new(password.to_string())),
            control: AccountControl::default(),
        }),
        Err(e) => Line::Bad(e),
    }
}
