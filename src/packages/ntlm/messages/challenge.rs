//! CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2), owned and borrowed.

use super::*;

/// CHALLENGE_MESSAGE (2.2.1.2). `target_info` is kept as raw bytes (the
/// client copies it into its NTLMv2 response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeMessage {
    pub flags: u32,
    pub target_name: Vec<u8>,
    pub server_challenge: [u8; 8],
    pub target_info: Vec<u8>,
    pub version: Option<Version>,
}

impl ChallengeMessage {
    pub fn encode(&self) -> Vec<u8> {
        self.borrowed().encode()
    }

    pub fn decode(b: &[u8]) -> SecResult<Self> {
        let m = ChallengeRef::decode(b)?;
        Ok(ChallengeMessage {
            flags: m.flags,
            target_name: m.target_name.to_vec(),
            server_challenge: m.server_challenge,
            target_info: m.target_info.to_vec(),
            version: m.version,
        })
    }

    /// The same message with borrowed fields.
    pub fn borrowed(&self) -> ChallengeRef<'_> {
        ChallengeRef {
            flags: self.flags,
            target_name: &self.target_name,
            server_challenge: self.server_challenge,
            target_info: &self.target_info,
            version: self.version,
        }
    }
}

/// [`ChallengeMessage`] with its payload fields borrowed (from the token
/// being decoded, or from wherever the encoder's inputs live).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengeRef<'a> {
    pub flags: u32,
    pub target_name: &'a [u8],
    pub server_challenge: [u8; 8],
    pub target_info: &'a [u8],
    pub version: Option<Version>,
}

impl<'a> ChallengeRef<'a> {
    /// The header is 56 bytes with a VERSION, 48 without one (the payload
    /// then starts where VERSION would be, as older peers send it).
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(
            NTLM_CHALLENGE,
            if self.version.is_some() { 56 } else { 48 },
            self.target_name.len() + self.target_info.len(),
        );
        w.field(12, self.target_name);
        w.put32(20, self.flags);
        w.out[24..32].copy_from_slice(&self.server_challenge);
        if !self.target_info.is_empty() {
            w.field(40, self.target_info);
        }
        if let Some(v) = self.version {
            w.out[48..56].copy_from_slice(&v.0);
        }
        w.out
    }

    pub fn decode(b: &'a [u8]) -> SecResult<Self> {
        check_header(b, NTLM_CHALLENGE)?;
        let target_name = payload(b, 12)?;
        let flags = le32(b, 20)?;
        let server_challenge: [u8; 8] = b
            .get(24..32)
            .ok_or(SecStatus::InvalidToken)?
            .try_into()
            .map_err(|_| SecStatus::InvalidToken)?;
        let (mut target_info, mut version) = (&[][..], None);
        if b.len() >= 48 {
            target_info = payload(b, 40)?;
        }
        if flags & NTLMSSP_NEGOTIATE_VERSION != 0
            && b.len() >= 56
            && payload_start(b, &[12, 40]) >= 56
        {
            version = b
                .get(48..56)
                .map(|v| Version(v.try_into().unwrap_or_default()));
        }
        Ok(ChallengeRef {
            flags,
            target_name,
            server_challenge,
            target_info,
            version,
        })
    }
}
