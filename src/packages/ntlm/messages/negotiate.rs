//! NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).

use super::*;

/// NEGOTIATE_MESSAGE (2.2.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiateMessage {
    pub flags: u32,
    pub domain: Vec<u8>,
    pub workstation: Vec<u8>,
    pub version: Option<Version>,
}

impl NegotiateMessage {
    pub fn encode(&self) -> Vec<u8> {
        let header = if self.version.is_some() { 40 } else { 32 };
        let mut w = Writer::new(
            NTLM_NEGOTIATE,
            header,
            self.domain.len() + self.workstation.len(),
        );
        w.put32(12, self.flags);
        w.field(16, &self.domain);
        w.field(24, &self.workstation);
        if let Some(v) = self.version {
            w.out[32..40].copy_from_slice(&v.0);
        }
        w.out
    }

    /// Decode; a 16-byte message without the domain/workstation fields
    /// (old clients) is accepted.
    pub fn decode(b: &[u8]) -> SecResult<Self> {
        check_header(b, NTLM_NEGOTIATE)?;
        let flags = le32(b, 12)?;
        let (mut domain, mut workstation, mut version) = (Vec::new(), Vec::new(), None);
        if b.len() >= 32 {
            domain = payload(b, 16)?.to_vec();
            workstation = payload(b, 24)?.to_vec();
            if flags & NTLMSSP_NEGOTIATE_VERSION != 0 && payload_start(b, &[16, 24]) >= 40 {
                version = b
                    .get(32..40)
                    .map(|v| Version(v.try_into().unwrap_or_default()));
            }
        }
        Ok(NegotiateMessage {
            flags,
            domain,
            workstation,
            version,
        })
    }
}
