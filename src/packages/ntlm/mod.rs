//! NTLM (MS-NLMP): the security package, its credentials and settings.
//!
//! Modules: [`flags`] (NegotiateFlags and the SSPI flag mapping),
//! [`messages`] (wire codecs), [`crypto`] (OWFs, responses, key
//! derivation), [`seal`] (3.4 session security), [`session`] (an
//! established context), [`client`] and [`server`] (the state machines).
//!
//! Settings are read from the environment when a credential is acquired:
//! `LM_COMPAT_LEVEL` (0-5, default 3: send and accept NTLMv2 only; 0-2 make
//! the client answer with NTLMv1 and the server accept it),
//! `OPENSSPI_NTLM_REQUIRE_MIC=1` (the server rejects an AUTHENTICATE without
//! MIC), `OPENSSPI_NTLM_REQUIRE_BINDINGS=1` (a server given channel
//! bindings rejects a client that sent none) and
//! `OPENSSPI_NTLM_DENY_ANONYMOUS=1` (the server refuses NULL sessions, which
//! Windows accepts by default), `OPENSSPI_NTLM_MIN_CLIENT_SEC` and
//! `OPENSSPI_NTLM_MIN_SERVER_SEC` (the registry values NTLMMinClientSec /
//! NTLMMinServerSec, hex `0x…` or decimal: the session security a client
//! demands of the CHALLENGE and a server of the NEGOTIATE and AUTHENTICATE;
//! default 0x20080000 = 128-bit keys and extended session security, see
//! [`flags::MIN_SEC_DEFAULT`]).

pub mod client;
pub mod crypto;
pub mod flags;
pub mod messages;
pub mod seal;
pub mod server;
pub mod session;

#[cfg(test)]
mod interop;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

use std::sync::Arc;

use once_cell::sync::{Lazy, OnceCell};

use crate::lsa::accounts::AccountDatabase;
use crate::lsa::packages::msv1_0::netlogon::member::MEMBER_CONFIG_ENV;
use crate::sspi::consts::*;
use crate::sspi::{
    AcquireCredentials, Credential, CredentialUse, PackageInfo, SecResult, SecStatus,
    SecurityContext, SecurityPackage,
};
use crate::trace::reject;
use crypto::{HmacMd5, NtOwf};

pub use client::NtlmClient;
pub use server::NtlmServer;
pub use session::Session;

/// NTLM's `SecPkgInfo` (BEHAVIOURS.md item 11-12).
pub static NTLM_PACKAGE_INFO: PackageInfo = PackageInfo {
    capabilities: SECPKG_FLAG_INTEGRITY
        | SECPKG_FLAG_PRIVACY
        | SECPKG_FLAG_TOKEN_ONLY
        | SECPKG_FLAG_CONNECTION
        | SECPKG_FLAG_MULTI_REQUIRED
        | SECPKG_FLAG_IMPERSONATION
        | SECPKG_FLAG_ACCEPT_WIN32_NAME
        | SECPKG_FLAG_NEGOTIABLE
        | SECPKG_FLAG_LOGON
        | SECPKG_FLAG_READONLY_WITH_CHECKSUM,
    version: 1,
    rpc_id: RPC_C_AUTHN_WINNT,
    max_token: 2888,
    name: "NTLM",
    comment: "NTLM Security Package",
};

/// Largest token the package accepts (`cbMaxToken`).
pub const MAX_TOKEN: usize = 2888;
const _: () = assert!(crate::lsa::packages::msv1_0::credential_op::MAX_TEMP == MAX_TOKEN);

/// MS-NLMP MaxLifetime (3.1.1.1, Windows: 36 hours) in FILETIME units: the
/// largest distance between an NTLMv2 response's TimeStamp and the server's
/// clock.
pub const MAX_LIFETIME: i64 = 36 * 3600 * 10_000_000;

/// Package settings (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtlmSettings {
    /// LmCompatibilityLevel 0-5 (pyspnego's `LM_COMPAT_LEVEL`).
    pub lm_compat_level: u8,
    /// Server: an AUTHENTICATE_MESSAGE must carry a MIC.
    pub require_mic: bool,
    /// Server with channel bindings: the client must send matching ones.
    pub require_bindings: bool,
    /// Server: refuse anonymous (NULL session) clients.
    pub deny_anonymous: bool,
    /// NTLMMinClientSec: NegotiateFlags the client requires of the server
    /// (only the bits of [`flags::MIN_SEC_BITS`] count).
    pub min_client_sec: u32,
    /// NTLMMinServerSec: NegotiateFlags the server requires of the client.
    pub min_server_sec: u32,
    /// Server: a domain member's configuration is named
    /// (`OPENSSPI_MEMBER_CONFIG`): MSV1_0 pass-through may apply, and the
    /// file is read at each logon. Unset: the file is never looked for
    /// (no per-handshake lookup on a standalone server).
    pub member_config: bool,
}

impl Default for NtlmSettings {
    fn default() -> Self {
        NtlmSettings {
            lm_compat_level: 3,
            require_mic: false,
            require_bindings: false,
            deny_anonymous: false,
            min_client_sec: flags::MIN_SEC_DEFAULT,
            min_server_sec: flags::MIN_SEC_DEFAULT,
            member_config: false,
        }
    }
}

impl NtlmSettings {
    /// The settings from the environment.
    pub fn from_env() -> Self {
        let flag = |name: &str| {
            std::env::var(name)
                .map(|v| matches!(v.trim(), "1" | "true" | "yes"))
                .unwrap_or(false)
        };
        NtlmSettings {
            lm_compat_level: std::env::var("LM_COMPAT_LEVEL")
                .ok()
                .and_then(|v| v.trim().parse::<u8>().ok())
                .filter(|l| *l <= 5)
                .unwrap_or(3),
            require_mic: flag("OPENSSPI_NTLM_REQUIRE_MIC"),
            require_bindings: flag("OPENSSPI_NTLM_REQUIRE_BINDINGS"),
            deny_anonymous: flag("OPENSSPI_NTLM_DENY_ANONYMOUS"),
            min_client_sec: min_sec("OPENSSPI_NTLM_MIN_CLIENT_SEC"),
            min_server_sec: min_sec("OPENSSPI_NTLM_MIN_SERVER_SEC"),
            member_config: std::env::var_os(MEMBER_CONFIG_ENV).is_some_and(|v| !v.is_empty()),
        }
    }

    /// The client answers with NTLMv2 (levels 3-5).
    pub fn client_sends_v2(&self) -> bool {
        self.lm_compat_level >= 3
    }

    /// The server accepts an NTLMv1 response (levels 0-2 only).
    pub fn server_accepts_v1(&self) -> bool {
        self.lm_compat_level <= 2
    }
}

/// A minimum-session-security setting: hex (`0x20080000`) or decimal, like
/// the DWORD registry value; unset or unreadable is the secure default.
fn min_sec(name: &str) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| parse_flag_word(v.trim()))
        .unwrap_or(flags::MIN_SEC_DEFAULT)
}

/// `0x…` (hex) or decimal.
fn parse_flag_word(v: &str) -> Option<u32> {
    match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// The names this machine uses in CHALLENGE_MESSAGE target info.
#[derive(Debug, Clone)]
pub struct HostNames {
    /// NetBIOS computer name ([`crate::lsa::accounts::computer_name`], the
    /// domain local accounts report); a standalone server also uses it as
    /// its NetBIOS domain name.
    pub netbios: String,
    /// DNS computer name (the host name).
    pub dns_computer: String,
    /// DNS domain (the host name minus its first label, or the host name).
    pub dns_domain: String,
}

/// The host names, read once from the kernel.
pub fn host_names() -> &'static HostNames {
    static NAMES: Lazy<HostNames> = Lazy::new(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "localhost".to_string());
        let netbios = crate::lsa::accounts::computer_name().to_string();
        let dns_domain = host
            .split_once('.')
            .map(|(_, d)| d.to_string())
            .unwrap_or_else(|| host.clone());
        HostNames {
            netbios,
            dns_computer: host,
            dns_domain,
        }
    });
    &NAMES
}

/// Encodings of the host names that every handshake sends.
pub(crate) struct EncodedHostNames {
    /// The NetBIOS name in UTF-16LE (TargetName, Workstation).
    pub netbios_utf16: Vec<u8>,
    /// The CHALLENGE_MESSAGE's MsvAvNbDomainName, MsvAvNbComputerName,
    /// MsvAvDnsDomainName and MsvAvDnsComputerName pairs, encoded (no EOL).
    pub challenge_av_names: Vec<u8>,
}

/// [`host_names`], encoded once.
pub(crate) fn encoded_host_names() -> &'static EncodedHostNames {
    static ENCODED: Lazy<EncodedHostNames> = Lazy::new(|| {
        use messages::*;
        let names = host_names();
        let mut info = AvPairs::default();
        info.set(MSV_AV_NB_DOMAIN_NAME, utf16le(&names.netbios));
        info.set(MSV_AV_NB_COMPUTER_NAME, utf16le(&names.netbios));
        info.set(MSV_AV_DNS_DOMAIN_NAME, utf16le(&names.dns_domain));
        info.set(MSV_AV_DNS_COMPUTER_NAME, utf16le(&names.dns_computer));
        let mut challenge_av_names = info.encode();
        challenge_av_names.truncate(challenge_av_names.len() - 4); // EOL
        EncodedHostNames {
            netbios_utf16: utf16le(&names.netbios),
            challenge_av_names,
        }
    });
    &ENCODED
}

/// The client half of a credential: names and NT OWF only (never the
/// password), or the anonymous identity. With the logon session's
/// credentials (`AcquireCredentialsHandle` without identity) it holds no
/// OWF, only the session's LUID: the LSA computes the responses
/// ([`crate::lsa::packages::msv1_0::credential_op`]).
pub struct ClientCredential {
    pub user: String,
    pub domain: String,
    pub(crate) nt_owf: NtOwf,
    /// Credentials of this LSA logon session, used through the LSA.
    pub(crate) logon_session: Option<crate::lsa::Luid>,
    pub anonymous: bool,
    /// HMAC-MD5 keyed with NTOWFv2(user, domain): it depends only on the
    /// fields above, so it is computed on the first NTLMv2 handshake and
    /// cloned by the next ones (wiped on drop like every HMAC state here).
    ntowf_v2: OnceCell<HmacMd5>,
    /// `user` and `domain` in UTF-16LE, as AUTHENTICATE_MESSAGE carries them.
    pub(crate) user_utf16: Vec<u8>,
    pub(crate) domain_utf16: Vec<u8>,
}

impl std::fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredential")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("anonymous", &self.anonymous)
            .finish_non_exhaustive()
    }
}

impl ClientCredential {
    /// From a user, domain and NT OWF (e.g. an LSA logon session's).
    pub fn new(user: &str, domain: &str, nt_owf: NtOwf) -> Self {
        ClientCredential {
            user: user.to_string(),
            domain: domain.to_string(),
            nt_owf,
            logon_session: None,
            anonymous: false,
            ntowf_v2: OnceCell::new(),
            user_utf16: messages::utf16le(user),
            domain_utf16: messages::utf16le(domain),
        }
    }

    /// The credentials of LSA logon session `logon_id` (its user and
    /// domain): responses are computed by the LSA, which keeps the OWF.
    pub fn from_logon_session(user: &str, domain: &str, logon_id: crate::lsa::Luid) -> Self {
        ClientCredential {
            logon_session: Some(logon_id),
            ..ClientCredential::new(user, domain, NtOwf::default())
        }
    }

    /// HMAC-MD5 keyed with this identity's NTOWFv2 (ResponseKeyNT/LM).
    pub(crate) fn ntowf_v2_keyed(&self) -> &HmacMd5 {
        self.ntowf_v2
            .get_or_init(|| crypto::ntowf_v2_keyed(&self.nt_owf, &self.user, &self.domain))
    }

    /// The NULL-session identity.
    pub fn anonymous() -> Self {
        ClientCredential {
            user: String::new(),
            domain: String::new(),
            nt_owf: NtOwf::default(),
            logon_session: None,
            anonymous: true,
            ntowf_v2: OnceCell::new(),
            user_utf16: Vec::new(),
            domain_utf16: Vec::new(),
        }
    }
}

/// An NTLM credential handle.
pub struct NtlmCredential {
    usage: CredentialUse,
    client: Option<Arc<ClientCredential>>,
    settings: NtlmSettings,
    /// Account database for acceptors; `None` = `accounts::database()`.
    accounts: Option<Arc<AccountDatabase>>,
}

impl std::fmt::Debug for NtlmCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NtlmCredential")
            .field("usage", &self.usage)
            .field("client", &self.client)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl NtlmCredential {
    /// A credential from its parts (the LSA and tests use this directly).
    pub fn new(
        usage: CredentialUse,
        client: Option<ClientCredential>,
        settings: NtlmSettings,
        accounts: Option<Arc<AccountDatabase>>,
    ) -> Self {
        NtlmCredential {
            usage,
            client: client.map(Arc::new),
            settings,
            accounts,
        }
    }

    pub fn settings(&self) -> &NtlmSettings {
        &self.settings
    }

    /// A client context (as [`Credential::new_initiator`], concrete type).
    pub fn initiator(&self, target: Option<&str>, context_req: u32) -> SecResult<NtlmClient> {
        if !self.usage.can_initiate() {
            return Err(reject!(
                SecStatus::NoCredentials,
                "InitializeSecurityContext with an inbound-only NTLM credential"
            ));
        }
        let cred = if context_req & ISC_REQ_NULL_SESSION != 0 {
            Arc::new(ClientCredential::anonymous())
        } else {
            self.client.clone().ok_or_else(|| {
                reject!(
                    SecStatus::NoCredentials,
                    "the NTLM credential has no client identity"
                )
            })?
        };
        Ok(NtlmClient::new(cred, self.settings, target, context_req))
    }

    /// A server context (as [`Credential::new_acceptor`], concrete type).
    pub fn acceptor(&self, context_req: u32) -> SecResult<NtlmServer> {
        if !self.usage.can_accept() {
            return Err(reject!(
                SecStatus::NoCredentials,
                "AcceptSecurityContext with an outbound-only NTLM credential"
            ));
        }
        Ok(NtlmServer::new(
            self.settings,
            self.accounts.clone(),
            context_req,
        ))
    }
}

impl Credential for NtlmCredential {
    fn package(&self) -> &'static PackageInfo {
        &NTLM_PACKAGE_INFO
    }

    fn usage(&self) -> CredentialUse {
        self.usage
    }

    fn user_name(&self) -> SecResult<String> {
        let c = self.client.as_ref().ok_or(SecStatus::NoCredentials)?;
        Ok(if c.anonymous {
            "NT AUTHORITY\\ANONYMOUS LOGON".to_string()
        } else if c.domain.is_empty() {
            c.user.clone()
        } else {
            format!("{}\\{}", c.domain, c.user)
        })
    }

    fn new_initiator(
        &self,
        target: Option<&str>,
        context_req: u32,
    ) -> SecResult<Box<dyn SecurityContext>> {
        Ok(Box::new(self.initiator(target, context_req)?))
    }

    fn new_acceptor(&self, context_req: u32) -> SecResult<Box<dyn SecurityContext>> {
        Ok(Box::new(self.acceptor(context_req)?))
    }
}

/// The NTLM security package.
pub struct Ntlm;

/// The registered instance.
pub static NTLM: Ntlm = Ntlm;

impl Ntlm {
    /// `AcquireCredentialsHandle` with explicit settings (concrete type).
    pub fn acquire(
        &self,
        request: &AcquireCredentials<'_>,
        settings: NtlmSettings,
    ) -> SecResult<NtlmCredential> {
        let explicit = request.identity.filter(|id| !id.is_default());
        let client = match explicit {
            Some(id) if id.is_anonymous() => Some(ClientCredential::anonymous()),
            Some(id) => {
                let (user, domain) = id.split_user_domain();
                let password = id.password.as_ref().map(|p| p.as_str()).unwrap_or("");
                Some(ClientCredential::new(
                    &user,
                    &domain,
                    crypto::nt_owf_v1(password),
                ))
            }
            None => match request.usage {
                CredentialUse::Inbound => None,
                usage => match crate::lsa::msv1_0_primary_credential(request.logon_id) {
                    Ok(p) => Some(ClientCredential::from_logon_session(
                        &p.user, &p.domain, p.logon_id,
                    )),
                    // BOTH without a logon session can still accept.
                    Err(_) if usage == CredentialUse::Both => None,
                    Err(e) => return Err(e),
                },
            },
        };
        Ok(NtlmCredential::new(request.usage, client, settings, None))
    }
}

impl SecurityPackage for Ntlm {
    fn info(&self) -> &'static PackageInfo {
        &NTLM_PACKAGE_INFO
    }

    fn acquire_credentials(
        &self,
        request: &AcquireCredentials<'_>,
    ) -> SecResult<Arc<dyn Credential>> {
        Ok(Arc::new(self.acquire(request, NtlmSettings::from_env())?))
    }

    fn import_context(&self, packed: &[u8]) -> SecResult<Box<dyn SecurityContext>> {
        Ok(Box::new(Session::import(packed)?))
    }
}
