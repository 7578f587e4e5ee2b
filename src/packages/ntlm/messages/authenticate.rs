//! AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3), owned and borrowed.

use super::*;

/// AUTHENTICATE_MESSAGE (2.2.1.3). Payload order as Windows writes it:
/// DomainName, UserName, Workstation, LmChallengeResponse,
/// NtChallengeResponse, EncryptedRandomSessionKey (4.2.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthenticateMessage {
    pub flags: u32,
    pub lm_response: Vec<u8>,
    pub nt_response: Vec<u8>,
    pub domain: Vec<u8>,
    pub user: Vec<u8>,
    pub workstation: Vec<u8>,
    pub encrypted_random_session_key: Vec<u8>,
    pub version: Option<Version>,
    /// The MIC field; `Some` reserves it (zeroed until the MIC is known).
    pub mic: Option<[u8; 16]>,
}

impl AuthenticateMessage {
    /// Encode; with `mic` the 16 bytes at [`MIC_OFFSET`] are reserved.
    pub fn encode(&self) -> Vec<u8> {
        self.borrowed().encode()
    }

    pub fn decode(b: &[u8]) -> SecResult<Self> {
        let m = AuthenticateRef::decode(b)?;
        Ok(AuthenticateMessage {
            flags: m.flags,
            lm_response: m.lm_response.to_vec(),
            nt_response: m.nt_response.to_vec(),
            domain: m.domain.to_vec(),
            user: m.user.to_vec(),
            workstation: m.workstation.to_vec(),
            encrypted_random_session_key: m.encrypted_random_session_key.to_vec(),
            version: m.version,
            mic: m.mic,
        })
    }

    /// The same message with borrowed fields.
    pub fn borrowed(&self) -> AuthenticateRef<'_> {
        AuthenticateRef {
            flags: self.flags,
            lm_response: &self.lm_response,
            nt_response: &self.nt_response,
            domain: &self.domain,
            user: &self.user,
            workstation: &self.workstation,
            encrypted_random_session_key: &self.encrypted_random_session_key,
            version: self.version,
            mic: self.mic,
        }
    }
}

/// [`AuthenticateMessage`] with its payload fields borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthenticateRef<'a> {
    pub flags: u32,
    pub lm_response: &'a [u8],
    pub nt_response: &'a [u8],
    pub domain: &'a [u8],
    pub user: &'a [u8],
    pub workstation: &'a [u8],
    pub encrypted_random_session_key: &'a [u8],
    pub version: Option<Version>,
    /// The MIC field; `Some` reserves it (zeroed until the MIC is known).
    pub mic: Option<[u8; 16]>,
}

impl<'a> AuthenticateRef<'a> {
    /// Encode; with `mic` the 16 bytes at [`MIC_OFFSET`] are reserved.
    pub fn encode(&self) -> Vec<u8> {
        let header = match (self.version.is_some(), self.mic.is_some()) {
            (_, true) => MIC_OFFSET + 16,
            (true, false) => MIC_OFFSET,
            (false, false) => 64,
        };
        let total = self.lm_response.len()
            + self.nt_response.len()
            + self.domain.len()
            + self.user.len()
            + self.workstation.len()
            + self.encrypted_random_session_key.len();
        let mut w = Writer::new(NTLM_AUTHENTICATE, header, total);
        w.field(28, self.domain);
        w.field(36, self.user);
        w.field(44, self.workstation);
        w.field(12, self.lm_response);
        w.field(20, self.nt_response);
        w.field(52, self.encrypted_random_session_key);
        w.put32(60, self.flags);
        if let Some(v) = self.version {
            w.out[64..72].copy_from_slice(&v.0);
        }
        if let Some(m) = self.mic {
            w.out[MIC_OFFSET..MIC_OFFSET + 16].copy_from_slice(&m);
        }
        w.out
    }

    pub fn decode(b: &'a [u8]) -> SecResult<Self> {
        check_header(b, NTLM_AUTHENTICATE)?;
        if b.len() < 64 {
            return Err(SecStatus::InvalidToken);
        }
        let flags = le32(b, 60)?;
        let start = payload_start(b, &[12, 20, 28, 36, 44, 52]);
        if start < 64 {
            return Err(SecStatus::InvalidToken);
        }
        let version = if flags & NTLMSSP_NEGOTIATE_VERSION != 0 && start >= MIC_OFFSET {
            b.get(64..72)
                .map(|v| Version(v.try_into().unwrap_or_default()))
        } else {
            None
        };
        let mic = if start >= MIC_OFFSET + 16 {
            b.get(MIC_OFFSET..MIC_OFFSET + 16)
                .and_then(|m| m.try_into().ok())
        } else {
            None
        };
        Ok(AuthenticateRef {
            flags,
            lm_response: payload(b, 12)?,
            nt_response: payload(b, 20)?,
            domain: payload(b, 28)?,
            user: payload(b, 36)?,
            workstation: payload(b, 44)?,
            encrypted_random_session_key: payload(b, 52)?,
            version,
            mic,
        })
    }
}
