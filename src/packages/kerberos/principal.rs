//! Principal names (RFC 4120 §5.2.2, §6.2): a name type, components and a
//! realm; how a Windows caller names a client (`user@REALM`, `REALM\user`,
//! user plus domain) and a service (an SPN, MS-KILE §3.3.5.1.1 / RFC 4120
//! §6.2.1), and the realm of a host from krb5.conf's `[domain_realm]`.

use std::fmt;

use picky_asn1::restricted_string::Ia5String;
use picky_asn1::wrapper::{
    Asn1SequenceOf, ExplicitContextTag0, ExplicitContextTag1, GeneralStringAsn1,
};
use picky_krb::data_types::PrincipalName as Asn1PrincipalName;

use super::config::{Canonicalize, Krb5Config};
use super::filecodec::Principal as FilePrincipal;
use super::kdc::wire::{decode_i32, encode_i32};

/// Name types (RFC 4120 §6.2, MS-KILE §2.2.x).
pub const NT_UNKNOWN: i32 = 0;
pub const NT_PRINCIPAL: i32 = 1;
pub const NT_SRV_INST: i32 = 2;
pub const NT_SRV_HST: i32 = 3;
pub const NT_ENTERPRISE: i32 = 10;

/// Why a name could not be turned into a principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrincipalError {
    #[error("empty name")]
    Empty,
    #[error("no realm: give user@REALM, a domain, or set default_realm")]
    NoRealm,
    #[error("name is not ASCII (a KerberosString is IA5)")]
    NotAscii,
}

/// A principal: name type, components (`host`, `name`) and realm.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrincipalName {
    pub name_type: i32,
    pub components: Vec<String>,
    pub realm: String,
}

impl PrincipalName {
    pub fn new(name_type: i32, components: &[&str], realm: &str) -> Self {
        PrincipalName {
            name_type,
            components: components.iter().map(|c| c.to_string()).collect(),
            realm: realm.to_string(),
        }
    }

    /// `krbtgt/SERVICE_REALM@REALM` (RFC 4120 §7.3): the TGS of
    /// `service_realm` as known in `realm`.
    pub fn krbtgt(service_realm: &str, realm: &str) -> Self {
        Self::new(NT_SRV_INST, &["krbtgt", service_realm], realm)
    }

    /// Whether this names a ticket-granting service (`krbtgt/X`).
    pub fn is_krbtgt(&self) -> bool {
        self.components.len() == 2 && self.components[0] == "krbtgt"
    }

    /// A client from what a Windows caller gives: `user@REALM`,
    /// `DOMAIN\user` or `user` with `domain`, else the configured
    /// `default_realm`. A realm is upper-cased (AD and MIT realms are the
    /// DNS domain upper-cased).
    pub fn parse_user(
        user: &str,
        domain: Option<&str>,
        default_realm: Option<&str>,
    ) -> Result<Self, PrincipalError> {
        let (name, realm) = if let Some((d, u)) = user.split_once('\\') {
            (u, Some(d))
        } else if let Some((u, r)) = user.rsplit_once('@') {
            (u, Some(r))
        } else {
            (user, domain.filter(|d| !d.is_empty()))
        };
        if name.is_empty() {
            return Err(PrincipalError::Empty);
        }
        let realm = realm
            .filter(|r| !r.is_empty())
            .or(default_realm)
            .ok_or(PrincipalError::NoRealm)?;
        let p = PrincipalName::new(NT_PRINCIPAL, &[name], &realm.to_ascii_uppercase());
        p.check_ascii()?;
        Ok(p)
    }

    /// A service from an SSPI target name: `HOST/name` (service class
    /// `HOST` becomes MIT's `host`), `service/name`, `MSSQLSvc/name:port`,
    /// any of them `@REALM`, `name@REALM` (a principal of that realm) or a
    /// bare host name (`host/name`). The host is lower-cased; the realm
    /// comes from `@REALM`, else `[domain_realm]`, else `default_realm`.
    /// No DNS here: see [`spn_candidates`].
    pub fn parse_spn(target: &str, config: &Krb5Config) -> Result<Self, PrincipalError> {
        let (name, realm) = match target.rsplit_once('@') {
            Some((n, r)) if !r.is_empty() => (n, Some(r.to_ascii_uppercase())),
            _ => (target, None),
        };
        if name.is_empty() {
            return Err(PrincipalError::Empty);
        }
        let (service, host) = match name.split_once('/') {
            Some((s, h)) => (s, Some(h)),
            None if realm.is_some() => (name, None),
            None => ("host", Some(name)),
        };
        if service.is_empty() || host.is_some_and(str::is_empty) {
            return Err(PrincipalError::Empty);
        }
        let p = match host {
            None => {
                let realm = realm.ok_or(PrincipalError::NoRealm)?;
                PrincipalName::new(NT_PRINCIPAL, &[service], &realm)
            }
            Some(host) => {
                let service = if service.eq_ignore_ascii_case("host") {
                    "host"
                } else {
                    service
                };
                // host[:port][/extra]: the host part decides the realm.
                let host = host.to_string();
                let bare = host
                    .split(['/', ':'])
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let rest = &host[bare.len()..];
                let realm = realm
                    .or_else(|| config.realm_for_host(&bare))
                    .or_else(|| config.default_realm.clone())
                    .ok_or(PrincipalError::NoRealm)?;
                let second = format!("{bare}{rest}");
                PrincipalName::new(NT_SRV_HST, &[service, &second], &realm)
            }
        };
        p.check_ascii()?;
        Ok(p)
    }

    fn check_ascii(&self) -> Result<(), PrincipalError> {
        let ok = self.realm.is_ascii() && self.components.iter().all(|c| c.is_ascii());
        ok.then_some(()).ok_or(PrincipalError::NotAscii)
    }

    /// The ASN.1 PrincipalName (the realm travels separately).
    pub fn to_asn1(&self) -> Result<Asn1PrincipalName, PrincipalError> {
        let strings = self
            .components
            .iter()
            .map(|c| kerberos_string(c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Asn1PrincipalName {
            name_type: ExplicitContextTag0(encode_i32(self.name_type)),
            name_string: ExplicitContextTag1(Asn1SequenceOf(strings)),
        })
    }

    /// From an ASN.1 PrincipalName and its realm.
    pub fn from_asn1(name: &Asn1PrincipalName, realm: &GeneralStringAsn1) -> Option<Self> {
        Some(PrincipalName {
            name_type: decode_i32(&name.name_type.0)?,
            components: name
                .name_string
                .0
                 .0
                .iter()
                .map(|s| String::from_utf8_lossy(s.0.as_bytes()).into_owned())
                .collect(),
            realm: String::from_utf8_lossy(realm.0.as_bytes()).into_owned(),
        })
    }

    /// The same name with another realm.
    pub fn with_realm(&self, realm: &str) -> Self {
        PrincipalName {
            realm: realm.to_string(),
            ..self.clone()
        }
    }

    /// Same components and realm (the name type is advisory, RFC 4120 §6.2).
    pub fn same_name(&self, other: &PrincipalName) -> bool {
        self.components == other.components && self.realm == other.realm
    }

    pub fn to_file(&self) -> FilePrincipal {
        FilePrincipal {
            name_type: self.name_type,
            realm: self.realm.clone(),
            components: self.components.clone(),
        }
    }

    pub fn from_file(p: &FilePrincipal) -> Self {
        PrincipalName {
            name_type: p.name_type,
            components: p.components.clone(),
            realm: p.realm.clone(),
        }
    }
}

/// A KerberosString (IA5).
pub fn kerberos_string(s: &str) -> Result<GeneralStringAsn1, PrincipalError> {
    Ia5String::from_string(s.to_string())
        .map(GeneralStringAsn1)
        .map_err(|_| PrincipalError::NotAscii)
}

/// `comp1/comp2@REALM`, as `klist` prints it.
impl fmt::Display for PrincipalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_file().fmt(f)
    }
}

/// The names to ask the KDC for, in order, for a host-based SPN, honouring
/// `dns_canonicalize_hostname` (krb5.conf(5)): `false` → the name as
/// given; `true` → the canonical name (DNS CNAME chain, then with `rdns`
/// the reverse lookup of its address); `fallback` → as given first, then
/// canonicalized. A lookup failure keeps the name as given. The realm is
/// re-derived from `[domain_realm]` for a canonicalized host unless the
/// caller named the realm.
pub fn spn_candidates(
    spn: &PrincipalName,
    explicit_realm: bool,
    config: &Krb5Config,
) -> Vec<PrincipalName> {
    if spn.name_type != NT_SRV_HST || spn.components.len() != 2 {
        return vec![spn.clone()];
    }
    let canonical = || -> Option<PrincipalName> {
        let host = &spn.components[1];
        let bare = host.split(':').next().unwrap_or(host);
        let mut name = resolve::canonical_name(bare)?;
        if config.rdns {
            if let Some(r) = resolve::reverse_name(&name) {
                name = r;
            }
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let second = format!("{name}{}", &host[bare.len()..]);
        let realm = if explicit_realm {
            spn.realm.clone()
        } else {
            config
                .realm_for_host(&name)
                .or_else(|| config.default_realm.clone())
                .unwrap_or_else(|| spn.realm.clone())
        };
        Some(PrincipalName {
            name_type: NT_SRV_HST,
            components: vec![spn.components[0].clone(), second],
            realm,
        })
    };
    match config.dns_canonicalize_hostname {
        Canonicalize::No => vec![spn.clone()],
        Canonicalize::Yes => vec![canonical().unwrap_or_else(|| spn.clone())],
        Canonicalize::Fallback => {
            let mut v = vec![spn.clone()];
            if let Some(c) = canonical().filter(|c| c != spn) {
                v.push(c);
            }
            v
        }
    }
}

/// Host name canonicalization: the OS resolver (`getaddrinfo` with
/// `AI_CANONNAME`, `getnameinfo` with `NI_NAMEREQD`), which std does not
/// expose.
mod resolve {
    use std::ffi::{CStr, CString};
    use std::net::ToSocketAddrs;

    /// The canonical name of `host` (its CNAME target), or `None`.
    pub fn canonical_name(host: &str) -> Option<String> {
        let c_host = CString::new(host).ok()?;
        let hints = libc::addrinfo {
            ai_flags: libc::AI_CANONNAME,
            ai_family: libc::AF_UNSPEC,
            ai_socktype: libc::SOCK_STREAM,
            ai_protocol: 0,
            ai_addrlen: 0,
            ai_addr: std::ptr::null_mut(),
            ai_canonname: std::ptr::null_mut(),
            ai_next: std::ptr::null_mut(),
        };
        let mut res: *mut libc::addrinfo = std::ptr::null_mut();
        // SAFETY: `c_host` is a NUL-terminated string alive for the call,
        // `hints` a valid addrinfo, `res` receives a list that we read
        // (the first entry's ai_canonname, a NUL-terminated string owned by
        // the list) and free exactly once with freeaddrinfo.
        unsafe {
            if libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut res) != 0
                || res.is_null()
            {
                return None;
            }
            let canon = (*res).ai_canonname;
            let name =
                (!canon.is_null()).then(|| CStr::from_ptr(canon).to_string_lossy().into_owned());
            libc::freeaddrinfo(res);
            name
        }
    }

    /// The name of `host`'s first address by reverse lookup, or `None`.
    pub fn reverse_name(host: &str) -> Option<String> {
        let addr = (host, 0).to_socket_addrs().ok()?.next()?;
        let mut buf = [0 as libc::c_char; 1025];
        let (sa, len) = match addr {
            std::net::SocketAddr::V4(a) => {
                let mut s: libc::sockaddr_in = libc_zeroed_v4();
                s.sin_family = libc::AF_INET as libc::sa_family_t;
                s.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
                (Storage::V4(s), std::mem::size_of::<libc::sockaddr_in>())
            }
            std::net::SocketAddr::V6(a) => {
                let mut s: libc::sockaddr_in6 = libc_zeroed_v6();
                s.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                s.sin6_addr.s6_addr = a.ip().octets();
                (Storage::V6(s), std::mem::size_of::<libc::sockaddr_in6>())
            }
        };
        let ptr: *const libc::sockaddr = match &sa {
            Storage::V4(s) => (s as *const libc::sockaddr_in).cast(),
            Storage::V6(s) => (s as *const libc::sockaddr_in6).cast(),
        };
        // SAFETY: `ptr` points to a sockaddr of `len` bytes alive for the
        // call; `buf` is writable for its length and getnameinfo writes a
        // NUL-terminated name into it on success.
        let rc = unsafe {
            libc::getnameinfo(
                ptr,
                len as libc::socklen_t,
                buf.as_mut_ptr(),
                buf.len() as libc::socklen_t,
                std::ptr::null_mut(),
                0,
                libc::NI_NAMEREQD,
            )
        };
        if rc != 0 {
            return None;
        }
        // SAFETY: getnameinfo succeeded, so `buf` holds a NUL-terminated string.
        Some(
            unsafe { CStr::from_ptr(buf.as_ptr()) }
                .to_string_lossy()
                .into_owned(),
        )
    }

    enum Storage {
        V4(libc::sockaddr_in),
        V6(libc::sockaddr_in6),
    }

    fn libc_zeroed_v4() -> libc::sockaddr_in {
        libc::sockaddr_in {
            sin_family: 0,
            sin_port: 0,
            sin_addr: libc::in_addr { s_addr: 0 },
            sin_zero: [0; 8],
        }
    }

    fn libc_zeroed_v6() -> libc::sockaddr_in6 {
        libc::sockaddr_in6 {
            sin6_family: 0,
            sin6_port: 0,
            sin6_flowinfo: 0,
            sin6_addr: libc::in6_addr { s6_addr: [0; 16] },
            sin6_scope_id: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf() -> Krb5Config {
        Krb5Config::parse(
            "[libdefaults]\n default_realm = EXAMPLE.TEST\n dns_canonicalize_hostname = false\n\
             [domain_realm]\n .other.test = OTHER.TEST\n localhost = EXAMPLE.TEST\n",
            "test",
        )
    }

    #[test]
    fn user_forms() {
        let d = Some("EXAMPLE.TEST");
        let want = PrincipalName::new(NT_PRINCIPAL, &["alice"], "EXAMPLE.TEST");
        assert_eq!(
            PrincipalName::parse_user("alice@example.test", None, None).unwrap(),
            want
        );
        assert_eq!(
            PrincipalName::parse_user("EXAMPLE.TEST\\alice", None, None).unwrap(),
            want
        );
        assert_eq!(
            PrincipalName::parse_user("alice", Some("example.test"), None).unwrap(),
            want
        );
        assert_eq!(PrincipalName::parse_user("alice", None, d).unwrap(), want);
        assert_eq!(
            PrincipalName::parse_user("alice", None, None),
            Err(PrincipalError::NoRealm)
        );
        assert_eq!(
            PrincipalName::parse_user("@R", None, None),
            Err(PrincipalError::Empty)
        );
        assert_eq!(
            PrincipalName::parse_user("é@R", None, None),
            Err(PrincipalError::NotAscii)
        );
    }

    #[test]
    fn spn_forms() {
        let c = conf();
        let p = |s: &str| PrincipalName::parse_spn(s, &c).unwrap();
        assert_eq!(
            p("HOST/LocalHost"),
            PrincipalName::new(NT_SRV_HST, &["host", "localhost"], "EXAMPLE.TEST")
        );
        assert_eq!(
            p("host/localhost"),
            PrincipalName::new(NT_SRV_HST, &["host", "localhost"], "EXAMPLE.TEST")
        );
        assert_eq!(
            p("HTTP/web.other.test"),
            PrincipalName::new(NT_SRV_HST, &["HTTP", "web.other.test"], "OTHER.TEST")
        );
        assert_eq!(
            p("MSSQLSvc/db.other.test:1433"),
            PrincipalName::new(
                NT_SRV_HST,
                &["MSSQLSvc", "db.other.test:1433"],
                "OTHER.TEST"
            )
        );
        assert_eq!(p("host/x.other.test@EXAMPLE.TEST").realm, "EXAMPLE.TEST");
        assert_eq!(
            p("svc@other.test"),
            PrincipalName::new(NT_PRINCIPAL, &["svc"], "OTHER.TEST")
        );
        assert_eq!(
            p("server1"),
            PrincipalName::new(NT_SRV_HST, &["host", "server1"], "EXAMPLE.TEST")
        );
        assert!(PrincipalName::parse_spn("host/", &c).is_err());
    }

    #[test]
    fn canonicalize_false_keeps_the_name() {
        let c = conf();
        let spn = PrincipalName::parse_spn("host/localhost", &c).unwrap();
        assert_eq!(spn_candidates(&spn, false, &c), vec![spn.clone()]);
        let fb = Krb5Config::parse(
            "[libdefaults]\n dns_canonicalize_hostname = fallback\n",
            "t",
        );
        assert_eq!(spn_candidates(&spn, false, &fb)[0], spn);
    }

    #[test]
    fn canonicalize_true_asks_the_resolver() {
        // localhost resolves everywhere (/etc/hosts) and is its own
        // canonical name; an unresolvable name is kept as given.
        let yes = Krb5Config::parse(
            "[libdefaults]\n default_realm = EXAMPLE.TEST\n rdns = false\n",
            "t",
        );
        let spn = PrincipalName::new(NT_SRV_HST, &["host", "LocalHost"], "EXAMPLE.TEST");
        let c = spn_candidates(&spn, false, &yes);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].components, ["host", "localhost"]);
        let nowhere = PrincipalName::new(NT_SRV_HST, &["host", "no-such-host.invalid"], "R");
        assert_eq!(spn_candidates(&nowhere, true, &yes), vec![nowhere.clone()]);
    }

    #[test]
    fn asn1_round_trip() {
        let p = PrincipalName::krbtgt("OTHER.TEST", "EXAMPLE.TEST");
        let a = p.to_asn1().unwrap();
        let realm = kerberos_string("EXAMPLE.TEST").unwrap();
        assert_eq!(PrincipalName::from_asn1(&a, &realm).unwrap(), p);
        assert!(p.is_krbtgt());
        assert_eq!(p.to_string(), "krbtgt/OTHER.TEST@EXAMPLE.TEST");
    }
}
