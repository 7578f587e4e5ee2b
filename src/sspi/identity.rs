//! Explicit credentials decoded from a `SEC_WINNT_AUTH_IDENTITY*` structure.

use zeroize::Zeroizing;

/// An explicit identity. `None` means the field was a NULL pointer; an empty
/// string means the caller passed "" (user, domain and password all empty
/// and non-NULL is the anonymous identity).
#[derive(Default, Clone)]
pub struct AuthIdentity {
    pub user: Option<String>,
    pub domain: Option<String>,
    pub password: Option<Zeroizing<String>>,
    /// `PackageList` of a `SEC_WINNT_AUTH_IDENTITY_EX*` (Negotiate).
    pub package_list: Option<String>,
}

impl AuthIdentity {
    /// Every field NULL: the caller wants the logon session's credentials.
    pub fn is_default(&self) -> bool {
        self.user.is_none() && self.domain.is_none() && self.password.is_none()
    }

    /// User, domain and password all present and empty: a NULL session.
    pub fn is_anonymous(&self) -> bool {
        self.user.as_deref() == Some("")
            && self.domain.as_deref().unwrap_or("").is_empty()
            && self
                .password
                .as_ref()
                .map(|p| p.is_empty())
                .unwrap_or(false)
    }

    /// Split `DOMAIN\user` and `user@domain` forms when no domain was given
    /// separately. Returns (user, domain).
    pub fn split_user_domain(&self) -> (String, String) {
        let user = self.user.clone().unwrap_or_default();
        let domain = self.domain.clone().unwrap_or_default();
        if domain.is_empty() {
            if let Some((d, u)) = user.split_once('\\') {
                return (u.to_string(), d.to_string());
            }
            if let Some((u, d)) = user.rsplit_once('@') {
                return (u.to_string(), d.to_string());
            }
        }
        (user, domain)
    }
}

impl std::fmt::Debug for AuthIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthIdentity")
            .field("user", &self.user)
            .field("domain", &self.domain)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("package_list", &self.package_list)
            .finish()
    }
}

/// Decode UTF-16 into a `String` allocated once at its final size, so no
/// partial copy of a secret is left behind by reallocation; `None` for
/// unpaired surrogates.
pub fn secret_from_utf16<I>(units: I) -> Option<Zeroizing<String>>
where
    I: Iterator<Item = u16> + Clone,
{
    let mut len = 0usize;
    for c in char::decode_utf16(units.clone()) {
        len += c.ok()?.len_utf8();
    }
    let mut s = Zeroizing::new(String::with_capacity(len));
    for c in char::decode_utf16(units).flatten() {
        s.push(c);
    }
    Some(s)
}

/// Decode UTF-8 (invalid sequences become U+FFFD, as `from_utf8_lossy`)
/// into a `String` allocated once at its final size.
pub fn secret_from_utf8(bytes: &[u8]) -> Zeroizing<String> {
    let len: usize = bytes
        .utf8_chunks()
        .map(|c| c.valid().len() + if c.invalid().is_empty() { 0 } else { 3 })
        .sum();
    let mut s = Zeroizing::new(String::with_capacity(len));
    for c in bytes.utf8_chunks() {
        s.push_str(c.valid());
        if !c.invalid().is_empty() {
            s.push(char::REPLACEMENT_CHARACTER);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_forms() {
        let id = AuthIdentity {
            user: Some("EXAMPLE\\alice".into()),
            ..Default::default()
        };
        assert_eq!(id.split_user_domain(), ("alice".into(), "EXAMPLE".into()));
        let id = AuthIdentity {
            user: Some("alice@example.test".into()),
            ..Default::default()
        };
        assert_eq!(
            id.split_user_domain(),
            ("alice".into(), "example.test".into())
        );
        let id = AuthIdentity {
            user: Some("alice".into()),
            domain: Some("D".into()),
            password: Some(Zeroizing::new("secret".into())),
            ..Default::default()
        };
        assert_eq!(id.split_user_domain(), ("alice".into(), "D".into()));
        assert!(!format!("{id:?}").contains("secret"));
    }

    #[test]
    fn secrets_decode_at_their_final_size() {
        let text = "pässwörd€😀";
        let units: Vec<u16> = text.encode_utf16().collect();
        let s = secret_from_utf16(units.iter().copied()).unwrap();
        assert_eq!(s.as_str(), text);
        assert_eq!(s.capacity(), text.len());
        assert!(secret_from_utf16([0xD800u16, 0x41].into_iter()).is_none());

        let s = secret_from_utf8(text.as_bytes());
        assert_eq!((s.as_str(), s.capacity()), (text, text.len()));
        let bad = b"a\xffb\xe2\x82";
        let s = secret_from_utf8(bad);
        assert_eq!(s.as_str(), String::from_utf8_lossy(bad));
        assert_eq!(s.capacity(), s.len());
    }
}
