//! The member-server configuration MSV1_0's pass-through needs (MS-APDS
//! 3.1.5.2): the domain, its DC, and the machine account's password (what
//! Windows keeps as the LSA secret `$MACHINE.ACC`). A file named by
//! `OPENSSPI_MEMBER_CONFIG`, `key = value` lines, `#` comments:
//!
//! ```text
//! domain = ADEXAMPLE              # NetBIOS name of the domain
//! dns_domain = ad.example.test    # its DNS name
//! dc = 127.0.0.2                  # the DC's address
//! port = 49152                    # optional: NETLOGON's port (default: ask epmapper on 135)
//! machine = MEMBER1               # this computer's account, without '$'
//! password = ...                  # the machine account's password
//! ```
//!
//! Like the project's other secret files, it must not be readable by group
//! or others (mode 0600 or stricter), else it is ignored with a message.
//! No variable or no file: no pass-through (local accounts only).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use zeroize::Zeroizing;

/// The variable naming the member configuration file.
pub const MEMBER_CONFIG_ENV: &str = "OPENSSPI_MEMBER_CONFIG";

/// This server as a member of a domain.
pub struct MemberConfig {
    pub domain: String,
    pub dns_domain: String,
    pub dc: String,
    pub port: Option<u16>,
    pub machine: String,
    pub password: Zeroizing<String>,
}

impl std::fmt::Debug for MemberConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberConfig")
            .field("domain", &self.domain)
            .field("dns_domain", &self.dns_domain)
            .field("dc", &self.dc)
            .field("port", &self.port)
            .field("machine", &self.machine)
            .finish_non_exhaustive()
    }
}

impl MemberConfig {
    /// The configuration named by [`MEMBER_CONFIG_ENV`], if any.
    pub fn from_env() -> Result<Option<MemberConfig>, String> {
        match std::env::var_os(MEMBER_CONFIG_ENV) {
            Some(p) if !p.is_empty() => Self::load(Path::new(&p)).map(Some),
            _ => Ok(None),
        }
    }

    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<MemberConfig, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(format!(
                "{}: readable by group or others (mode {:o}); chmod 600",
                path.display(),
                meta.permissions().mode() & 0o777
            ));
        }
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        );
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the `key = value` text.
    pub fn parse(text: &str) -> Result<MemberConfig, String> {
        let mut c = MemberConfig {
            domain: String::new(),
            dns_domain: String::new(),
            dc: String::new(),
            port: None,
            machine: String::new(),
            password: Zeroizing::new(String::new()),
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line
                .split_once('=')
                .ok_or(format!("line {}: not key = value", n + 1))?;
            let v = v.trim();
            // A password may contain '#'; other values end at a comment.
            let plain = v.split('#').next().unwrap_or("").trim().to_string();
            match k.trim() {
                "domain" => c.domain = plain,
                "dns_domain" => c.dns_domain = plain,
                "dc" => c.dc = plain,
                "port" => {
                    c.port = Some(
                        plain
                            .parse()
                            .map_err(|_| format!("line {}: bad port", n + 1))?,
                    )
                }
                "machine" => c.machine = plain.trim_end_matches('$').to_string(),
                "password" => c.password = Zeroizing::new(v.to_string()),
                other => return Err(format!("line {}: unknown key {other:?}", n + 1)),
            }
        }
        for (name, v) in [
            ("domain", &c.domain),
            ("dc", &c.dc),
            ("machine", &c.machine),
            ("password", &*c.password),
        ] {
            if v.is_empty() {
                return Err(format!("no {name}"));
            }
        }
        Ok(c)
    }

    /// Whether an AUTHENTICATE's domain names this domain (NetBIOS or DNS
    /// name, case-insensitive).
    pub fn is_member_domain(&self, domain: &str) -> bool {
        domain.eq_ignore_ascii_case(&self.domain)
            || (!self.dns_domain.is_empty() && domain.eq_ignore_ascii_case(&self.dns_domain))
    }
}

impl MemberConfig {
    /// The names a member server's CHALLENGE advertises (MS-NLMP 2.2.2.1):
    /// (NetBIOS domain, NetBIOS computer, DNS domain, DNS computer). The DC
    /// checks the client's copy in the NTLMv2 blob against the secure
    /// channel's domain and computer (Samba: a mismatch is LOGON_FAILURE).
    pub fn target_names(&self) -> [String; 4] {
        let dns_computer = if self.dns_domain.is_empty() {
            self.machine.to_ascii_lowercase()
        } else {
            format!("{}.{}", self.machine.to_ascii_lowercase(), self.dns_domain)
        };
        [
            self.domain.clone(),
            self.machine.clone(),
            self.dns_domain.clone(),
            dns_computer,
        ]
    }
}
