//! The per-message layer of the Kerberos GSS-API mechanism: MIC and Wrap
//! tokens of RFC 4121 §4.2 (etypes 17-20) and of RFC 4757 §7 (rc4-hmac),
//! the token framing of RFC 2743 §3.1, the receive sequence window, and the
//! sizes SSPI reports. Pure state over [`super::crypto`]; which key (acceptor
//! subkey, initiator subkey or ticket session key) protects a context is the
//! caller's decision, as are the initial sequence numbers (RFC 4121 §4.2.5).
//!
//! - [`framing`]: `[APPLICATION 0] { mech OID, token id, inner token }`;
//! - [`mic`], [`wrap`]: RFC 4121 MIC (04 04) and Wrap (05 04) tokens, whole
//!   (MIT's layout) and split for SSPI's `[TOKEN, DATA]` buffers (Windows'
//!   layout, MS-KILE 3.4.5.4.1);
//! - [`iov`]: RFC 4121 Wrap tokens over a message in several buffers,
//!   with sign-only parts (MS-KILE 3.4.5.4, MIT's `gss_wrap_iov`);
//! - [`rc4`]: RFC 4757 MIC (01 01) and Wrap (02 01) tokens;
//! - [`seq_window`]: replay and sequence detection of received tokens;
//! - [`sizes`]: `SECPKG_ATTR_SIZES` and `SECPKG_ATTR_STREAM_SIZES`;
//! - [`MessageProtection`]: one context's keys, counters and window.

pub mod framing;
mod iov;
mod keys;
pub mod mic;
mod protection;
pub mod rc4;
pub mod seq_window;
pub mod sizes;
pub mod wrap;

#[cfg(test)]
mod tests;

pub use keys::{PerMessageKeys, Role, FLAG_ACCEPTOR_SUBKEY, FLAG_SEALED, FLAG_SENT_BY_ACCEPTOR};
pub use protection::{MessageProtection, ProtectionConfig, Unwrapped};
pub use seq_window::{SeqStatus, SeqWindow};

use super::crypto::CryptoError;
use crate::sspi::SecStatus;

/// Why a per-message token was refused (the GSS major status named).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GssError {
    /// GSS_S_DEFECTIVE_TOKEN: truncated or malformed (token id, filler,
    /// framing, EC/RRC out of range).
    #[error("defective token")]
    DefectiveToken,
    /// GSS_S_BAD_SIG: the checksum or integrity tag does not match, or the
    /// token was sent in our own direction (RFC 4121 §4.2.2, MIT's
    /// G_BAD_DIRECTION).
    #[error("bad signature")]
    BadSig,
    /// GSS_S_DUPLICATE_TOKEN: this sequence number was already received.
    #[error("duplicate token")]
    Duplicate,
    /// GSS_S_OLD_TOKEN: too old to tell whether it is a duplicate.
    #[error("old token")]
    Old,
    /// GSS_S_UNSEQ_TOKEN: a later token was already received.
    #[error("token out of sequence")]
    Unseq,
    /// GSS_S_GAP_TOKEN: tokens between the last one and this were missed.
    #[error("gap in the token sequence")]
    Gap,
    /// The caller's buffer cannot hold the output.
    #[error("buffer too small")]
    BufferTooSmall,
    /// The random source failed.
    #[error("random number generator failed")]
    Random,
}

impl GssError {
    /// The SSPI status of DecryptMessage/VerifySignature (Kerberos):
    /// integrity failures are `SEC_E_MESSAGE_ALTERED`; every sequence
    /// failure is `SEC_E_OUT_OF_SEQUENCE`, the one status the Kerberos
    /// DecryptMessage documentation names for a message "not received in
    /// the correct sequence" (Wine maps duplicate/old to
    /// `SEC_E_INVALID_TOKEN` instead; Windows' own choice is not observed).
    pub fn status(self) -> SecStatus {
        match self {
            GssError::DefectiveToken => SecStatus::InvalidToken,
            GssError::BadSig => SecStatus::MessageAltered,
            GssError::Duplicate | GssError::Old | GssError::Unseq | GssError::Gap => {
                SecStatus::OutOfSequence
            }
            GssError::BufferTooSmall => SecStatus::BufferTooSmall,
            GssError::Random => SecStatus::InternalError,
        }
    }
}

impl From<CryptoError> for GssError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::IntegrityCheckFailed => GssError::BadSig,
            CryptoError::Random => GssError::Random,
            _ => GssError::DefectiveToken,
        }
    }
}

/// One buffer of a message protected across several SSPI buffers
/// (`[DATA|READONLY_WITH_CHECKSUM, DATA, ..., TOKEN]`, the DCE/RPC PDU;
/// MIT's `gss_wrap_iov` DATA and SIGN_ONLY buffers), in message order.
#[derive(Debug)]
pub enum MessagePart<'a> {
    /// Signed, and sealed in place when confidential.
    Data(&'a mut [u8]),
    /// Signed where it stands among the data, never encrypted.
    SignOnly(&'a [u8]),
}

impl MessagePart<'_> {
    pub fn bytes(&self) -> &[u8] {
        match self {
            MessagePart::Data(b) => b,
            MessagePart::SignOnly(b) => b,
        }
    }
}

/// Total length of the `Data` parts.
fn data_len(parts: &[MessagePart<'_>]) -> usize {
    parts
        .iter()
        .map(|p| match p {
            MessagePart::Data(b) => b.len(),
            MessagePart::SignOnly(_) => 0,
        })
        .sum()
}

/// Copies `from` over the `Data` parts in order (`from` is their total length).
fn scatter(from: &[u8], parts: &mut [MessagePart<'_>]) {
    let mut at = 0;
    for p in parts {
        if let MessagePart::Data(b) = p {
            b.copy_from_slice(&from[at..at + b.len()]);
            at += b.len();
        }
    }
}

/// Copies bytes `from..to` of the concatenation of `parts` onto `out`.
fn extend_from_concat(out: &mut Vec<u8>, parts: &[&[u8]], from: usize, to: usize) {
    let mut at = 0;
    for p in parts {
        let (start, end) = (at, at + p.len());
        let (a, b) = (from.max(start), to.min(end));
        if a < b {
            out.extend_from_slice(&p[a - start..b - start]);
        }
        at = end;
    }
}

/// `out` = the concatenation of `parts` rotated left by `r` bytes (undoing
/// the right rotation of RFC 4121 §4.2.5). `r` < total length.
fn gather_rotated_left(out: &mut Vec<u8>, parts: &[&[u8]], r: usize) {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    out.clear();
    out.reserve(total);
    extend_from_concat(out, parts, r, total);
    extend_from_concat(out, parts, 0, r);
}
