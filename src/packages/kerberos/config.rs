//! krb5.conf: the MIT profile files named by `KRB5_CONFIG` (a
//! colon-separated list, default [`DEFAULT_CONFIG`]) and the typed view of
//! the settings the Kerberos package uses, with MIT's defaults
//! (krb5.conf(5), MIT krb5 1.21): `[libdefaults]`, `[realms]` (`kdc`
//! lines), `[domain_realm]`. [`config`] re-reads the files when one of them
//! changes (looked at once a second at most).

pub mod profile;
mod values;

use std::path::PathBuf;
use std::sync::Arc;

pub use profile::Profile;
pub use values::{
    enctype_name, parse_boolean, parse_duration, parse_enctype_list, DEFAULT_ENCTYPES,
    ENCTYPE_RC4_HMAC,
};

use super::filecodec::{real_uid, FileError, FileResult};
use crate::lsa::watched::Watched;

/// The configuration used when `KRB5_CONFIG` is not set.
pub const DEFAULT_CONFIG: &str = "/etc/krb5.conf";

/// `dns_canonicalize_hostname`: `true`, `false` or `fallback` (try the
/// name as given first, then canonicalized).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canonicalize {
    Yes,
    No,
    Fallback,
}

/// A KDC address from a `kdc = host[:port]` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdcAddress {
    pub host: String,
    pub port: u16,
}

/// The settings of krb5.conf the package uses, MIT's defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Krb5Config {
    pub profile: Profile,
    pub default_realm: Option<String>,
    /// Seconds of clock skew tolerated (default 300).
    pub clockskew: u32,
    /// Seconds (default one day).
    pub ticket_lifetime: u32,
    /// Seconds (default 0: no renewable tickets asked for).
    pub renew_lifetime: u32,
    pub forwardable: bool,
    pub proxiable: bool,
    /// Messages larger than this go over TCP (default 1465).
    pub udp_preference_limit: u32,
    pub allow_weak_crypto: bool,
    pub permitted_enctypes: Vec<i32>,
    pub default_tgs_enctypes: Vec<i32>,
    pub default_tkt_enctypes: Vec<i32>,
    pub dns_canonicalize_hostname: Canonicalize,
    pub rdns: bool,
    pub default_ccache_name: Option<String>,
    pub default_keytab_name: Option<String>,
}

impl Krb5Config {
    /// The typed view of `profile`; a malformed value keeps the default and
    /// adds a warning.
    pub fn from_profile(mut profile: Profile) -> Krb5Config {
        let mut warnings = Vec::new();
        let lib = |p: &Profile, tag: &str| p.value(&["libdefaults", tag]).map(str::to_string);
        // The value and where it was read, for warnings.
        let lib_at = |p: &Profile, tag: &str| {
            p.value_at(&["libdefaults", tag])
                .map(|(v, at)| (v.to_string(), at.to_string()))
        };
        let mut boolean = |p: &Profile, tag: &str, default: bool| match lib_at(p, tag) {
            None => default,
            Some((v, at)) => parse_boolean(&v).unwrap_or_else(|| {
                warnings.push(format!("{at}: {tag} = {v}: not a boolean"));
                default
            }),
        };
        let forwardable = boolean(&profile, "forwardable", false);
        let proxiable = boolean(&profile, "proxiable", false);
        let allow_weak_crypto = boolean(&profile, "allow_weak_crypto", false);
        let rdns = boolean(&profile, "rdns", true);
        let dns_canonicalize_hostname = match lib_at(&profile, "dns_canonicalize_hostname") {
            Some((v, _)) if v.eq_ignore_ascii_case("fallback") => Canonicalize::Fallback,
            Some((v, at)) => match parse_boolean(&v) {
                Some(true) => Canonicalize::Yes,
                Some(false) => Canonicalize::No,
                None => {
                    warnings.push(format!(
                        "{at}: dns_canonicalize_hostname = {v}: not a boolean"
                    ));
                    Canonicalize::Yes
                }
            },
            None => Canonicalize::Yes,
        };
        let mut duration = |p: &Profile, tag: &str, default: u32| match lib_at(p, tag) {
            None => default,
            Some((v, at)) => parse_duration(&v).unwrap_or_else(|| {
                warnings.push(format!("{at}: {tag} = {v}: not a duration"));
                default
            }),
        };
        let clockskew = duration(&profile, "clockskew", 300);
        let ticket_lifetime = duration(&profile, "ticket_lifetime", 86_400);
        let renew_lifetime = duration(&profile, "renew_lifetime", 0);
        let udp_preference_limit = match lib_at(&profile, "udp_preference_limit") {
            None => 1465,
            Some((v, at)) => v.parse().unwrap_or_else(|_| {
                warnings.push(format!("{at}: udp_preference_limit = {v}: not a number"));
                1465
            }),
        };
        let mut enctypes = |p: &Profile, tag: &str, default: &str| {
            let (v, at) = lib_at(p, tag).unwrap_or_else(|| (default.to_string(), "default".into()));
            let (list, unknown) = parse_enctype_list(&v, allow_weak_crypto);
            for u in unknown {
                warnings.push(format!("{at}: {tag}: unknown enctype {u}"));
            }
            list
        };
        let permitted_enctypes = enctypes(&profile, "permitted_enctypes", "DEFAULT");
        // Since MIT 1.18 the request lists default to permitted_enctypes.
        let permitted_text =
            lib(&profile, "permitted_enctypes").unwrap_or_else(|| "DEFAULT".into());
        let default_tgs_enctypes = enctypes(&profile, "default_tgs_enctypes", &permitted_text);
        let default_tkt_enctypes = enctypes(&profile, "default_tkt_enctypes", &permitted_text);
        profile.warnings.extend(warnings);
        Krb5Config {
            default_realm: lib(&profile, "default_realm"),
            default_ccache_name: lib(&profile, "default_ccache_name"),
            default_keytab_name: lib(&profile, "default_keytab_name"),
            clockskew,
            ticket_lifetime,
            renew_lifetime,
            forwardable,
            proxiable,
            udp_preference_limit,
            allow_weak_crypto,
            permitted_enctypes,
            default_tgs_enctypes,
            default_tkt_enctypes,
            dns_canonicalize_hostname,
            rdns,
            profile,
        }
    }

    /// Parse one krb5.conf text.
    pub fn parse(text: &str, origin: &str) -> Krb5Config {
        Krb5Config::from_profile(Profile::parse(text, origin))
    }

    /// Warnings of the parse (file and line of each skipped line).
    pub fn warnings(&self) -> &[String] {
        &self.profile.warnings
    }

    /// The realm of `host` from `[domain_realm]`: the host name itself
    /// (lower-cased, without a final dot), then each `.domain` suffix from
    /// the longest to the shortest.
    pub fn realm_for_host(&self, host: &str) -> Option<String> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let lookup = |name: &str| {
            self.profile
                .value(&["domain_realm", name])
                .map(str::to_string)
        };
        lookup(&host).or_else(|| {
            host.match_indices('.')
                .find_map(|(i, _)| lookup(&host[i..]))
        })
    }

    /// The `kdc` lines of `[realms] realm`, in order.
    pub fn kdcs(&self, realm: &str) -> Vec<KdcAddress> {
        self.profile
            .values(&["realms", realm, "kdc"])
            .into_iter()
            .filter_map(|v| parse_host_port(v, 88))
            .collect()
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn parse_host_port(v: &str, default_port: u16) -> Option<KdcAddress> {
    let v = v.trim();
    let (host, port) = if let Some(rest) = v.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        (h, after.strip_prefix(':'))
    } else if v.matches(':').count() == 1 {
        let (h, p) = v.split_once(':')?;
        (h, Some(p))
    } else {
        (v, None)
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default_port,
    };
    (!host.is_empty()).then(|| KdcAddress {
        host: host.to_string(),
        port,
    })
}

/// Expand MIT's path tokens in a `default_ccache_name` or
/// `default_keytab_name`: `%{uid}` and `%{USERID}` (real uid), `%{euid}`,
/// `%{TEMP}` (`TMPDIR`, else `/tmp`), `%{null}`. Another token is an error.
pub fn expand_path_tokens(s: &str) -> FileResult<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("%{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or(FileError::Malformed("unterminated %{ token"))?;
        match &after[..end] {
            "uid" | "USERID" => out.push_str(&real_uid().to_string()),
            "euid" => out.push_str(&crate::lsa::store::keyring::current_uid().to_string()),
            "TEMP" => match std::env::var("TMPDIR") {
                Ok(t) if !t.is_empty() => out.push_str(&t),
                _ => out.push_str("/tmp"),
            },
            "null" => {}
            _ => return Err(FileError::Malformed("unknown %{} path token")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The files named by `KRB5_CONFIG` (empty entries dropped), else
/// [`DEFAULT_CONFIG`].
pub fn config_paths() -> Vec<PathBuf> {
    match std::env::var("KRB5_CONFIG") {
        Ok(v) if !v.is_empty() => v
            .split(':')
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect(),
        _ => vec![PathBuf::from(DEFAULT_CONFIG)],
    }
}

static CONFIG: Watched<Vec<PathBuf>, Krb5Config> = Watched::new();

/// The configuration in force, re-read when `KRB5_CONFIG` or one of the
/// files (included ones too) changed; looked at once a second at most.
/// Warnings of a (re)load go to standard error once.
pub fn config() -> Arc<Krb5Config> {
    CONFIG.get(config_paths, |paths| {
        let (profile, files) = Profile::load(paths);
        let cfg = Krb5Config::from_profile(profile);
        for w in cfg.warnings() {
            eprintln!("opensspi: krb5.conf: {w}");
        }
        (cfg, files)
    })
}

/// Make the next [`config`] look at `KRB5_CONFIG` and the files at once.
pub fn recheck_config() {
    CONFIG.recheck();
}

#[cfg(test)]
mod tests;
