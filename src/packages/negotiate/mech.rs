//! The mechanisms SPNEGO can negotiate (MS-SPNG §1.9, BEHAVIOURS.md 113),
//! the inner packages behind them in preference order, the `PackageList`
//! filter of `SEC_WINNT_AUTH_IDENTITY_EX`, and the acceptor's choice.

/// A mechanism OID this library knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mech {
    /// 1.2.840.48018.1.2.2: the OID Windows lists first for Kerberos.
    MsKerberos,
    /// 1.2.840.113554.1.2.2 (RFC 4121).
    Kerberos,
    /// 1.3.6.1.4.1.311.2.2.10 (NTLMSSP).
    Ntlm,
}

impl Mech {
    pub const ALL: [Mech; 3] = [Mech::MsKerberos, Mech::Kerberos, Mech::Ntlm];

    /// The OID's DER contents (without tag and length).
    pub fn oid(self) -> &'static [u8] {
        match self {
            Mech::MsKerberos => &[0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02],
            Mech::Kerberos => &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02],
            Mech::Ntlm => &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a],
        }
    }

    /// The mechanism's bit in a set of mechanisms.
    pub const fn bit(self) -> u8 {
        1 << self as u8
    }

    pub fn from_oid(oid: &[u8]) -> Option<Mech> {
        Mech::ALL.into_iter().find(|m| m.oid() == oid)
    }

    /// The security package that implements the mechanism.
    pub fn package_name(self) -> &'static str {
        match self {
            Mech::MsKerberos | Mech::Kerberos => "Kerberos",
            Mech::Ntlm => "NTLM",
        }
    }
}

/// The inner packages in the order a client prefers them, each with the
/// OIDs it is offered under (MS-SPNG: Kerberos under both OIDs, the
/// Microsoft one first). A package that is not registered is skipped, so
/// Kerberos joins the list when it is registered.
pub const PREFERENCE: [(&str, &[Mech]); 2] = [
    ("Kerberos", &[Mech::MsKerberos, Mech::Kerberos]),
    ("NTLM", &[Mech::Ntlm]),
];

/// The `PackageList` of a `SEC_WINNT_AUTH_IDENTITY_EX`: comma-separated
/// package names; a name after `!` is excluded. With any name that is not
/// excluded, only the names listed are allowed.
#[derive(Debug, Default, Clone)]
pub struct PackageFilter {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl PackageFilter {
    pub fn parse(list: Option<&str>) -> Self {
        let mut f = PackageFilter::default();
        for name in list.unwrap_or("").split(',').map(str::trim) {
            match name.strip_prefix('!') {
                Some(n) if !n.trim().is_empty() => f.exclude.push(n.trim().to_ascii_lowercase()),
                Some(_) => {}
                None if !name.is_empty() => f.include.push(name.to_ascii_lowercase()),
                None => {}
            }
        }
        f
    }

    pub fn allows(&self, package: &str) -> bool {
        let p = package.to_ascii_lowercase();
        !self.exclude.contains(&p) && (self.include.is_empty() || self.include.contains(&p))
    }
}

/// The acceptor's choice (RFC 4178 §3.2 c): the first OID of the
/// initiator's list that `usable` accepts, with its index in the list.
pub fn choose<'a>(
    offered: &[&'a [u8]],
    usable: impl Fn(Mech) -> bool,
) -> Option<(usize, Mech, &'a [u8])> {
    offered.iter().enumerate().find_map(|(i, oid)| {
        Mech::from_oid(oid)
            .filter(|m| usable(*m))
            .map(|m| (i, m, *oid))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_list_semantics() {
        let f = PackageFilter::parse(None);
        assert!(f.allows("NTLM") && f.allows("Kerberos"));
        let f = PackageFilter::parse(Some("!ntlm"));
        assert!(!f.allows("NTLM") && f.allows("Kerberos"));
        let f = PackageFilter::parse(Some("kerberos"));
        assert!(!f.allows("NTLM") && f.allows("Kerberos"));
        let f = PackageFilter::parse(Some("Kerberos, NTLM"));
        assert!(f.allows("NTLM") && f.allows("Kerberos"));
        let f = PackageFilter::parse(Some("!kerberos,ntlm"));
        assert!(f.allows("NTLM") && !f.allows("Kerberos"));
    }

    #[test]
    fn choice_is_the_initiators_first_usable_mech() {
        let unknown: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x1e];
        let offered = [unknown, Mech::Kerberos.oid(), Mech::Ntlm.oid()];
        assert_eq!(
            choose(&offered, |m| m == Mech::Ntlm).map(|c| (c.0, c.1)),
            Some((2, Mech::Ntlm))
        );
        assert_eq!(
            choose(&offered, |_| true).map(|c| (c.0, c.1)),
            Some((1, Mech::Kerberos))
        );
        assert!(choose(&[unknown], |_| true).is_none());
    }
}
