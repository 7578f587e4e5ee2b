//! An established Kerberos context, either side: the per-message layer
//! ([`gss::MessageProtection`]) on the caller's SSPI buffers, and the
//! context attributes.
//!
//! Buffers (MS-KILE 3.4.5.4, BEHAVIOURS.md 95-96):
//! - EncryptMessage `[TOKEN, DATA(, PADDING)]` or `[DATA, TOKEN]`: the Wrap
//!   token's header part into TOKEN (its cbBuffer shrunk to what was
//!   written), DATA sealed in place; `SECQOP_WRAP_NO_ENCRYPT` signs only.
//! - DecryptMessage `[TOKEN, DATA]`; `[STREAM, DATA]` is split by the FFI
//!   layer with [`SecurityContext::stream_layout`], the header length read
//!   from the token itself.
//! - MakeSignature / VerifySignature: a MIC token over the DATA buffers
//!   that are not `SECBUFFER_READONLY` (as NTLM).
//! - The explicit MessageSeqNo is ignored: Kerberos tokens carry their own
//!   sequence numbers, checked by the receive window (replay and order
//!   failures are SEC_E_OUT_OF_SEQUENCE, see [`gss::GssError::status`]).

use zeroize::Zeroizing;

use super::ccache::Credential as CcacheCredential;
use super::crypto::Key;
use super::filecodec::Principal;
use super::gss::{self, GssError, MessageProtection};
use super::package::KERBEROS_PACKAGE_INFO;
use crate::sspi::buffers::find_buffer;
use crate::sspi::consts::*;
use crate::sspi::{
    ContextAttribute, MessageBuffer, PackageInfo, SecResult, SecStatus, SecurityContext,
    StreamLayout,
};
use crate::trace::reject;

/// Seconds between 1601-01-01 and 1970-01-01.
const EPOCH_DIFF: i64 = 11_644_473_600;

/// Unix seconds as a FILETIME.
pub fn filetime(unix: i64) -> i64 {
    unix.saturating_add(EPOCH_DIFF).saturating_mul(10_000_000)
}

/// A completed Kerberos context.
pub struct Established {
    pub(super) protection: MessageProtection,
    /// The key protecting messages (SESSION_KEY).
    pub(super) key: Key,
    pub(super) client: Principal,
    pub(super) server: Principal,
    pub(super) is_client: bool,
    /// ISC_RET_* / ASC_RET_* bits.
    pub(super) attrs: u32,
    /// Ticket times (Unix seconds).
    pub(super) start: i64,
    pub(super) end: i64,
    /// The client's forwarded TGT (acceptor with delegation).
    pub(super) delegated: Option<CcacheCredential>,
}

fn gss_status(what: &str, e: GssError) -> SecStatus {
    reject!(e.status(), "Kerberos {what}: {e}")
}

/// The one DATA buffer a Wrap covers (`SECBUFFER_READONLY*` DATA buffers
/// only come with DCE style, which is refused).
fn data_index(message: &[MessageBuffer<'_>]) -> SecResult<usize> {
    let mut data = message
        .iter()
        .enumerate()
        .filter(|(_, b)| b.kind == SECBUFFER_DATA);
    let (i, b) = data
        .next()
        .ok_or_else(|| reject!(SecStatus::InvalidToken, "no SECBUFFER_DATA buffer"))?;
    if data.next().is_some() || b.is_readonly() || b.is_readonly_with_checksum() {
        return Err(reject!(
            SecStatus::UnsupportedFunction,
            "Kerberos wraps one writable DATA buffer (several or read-only DATA buffers are DCE style)"
        ));
    }
    Ok(i)
}

fn token_index(message: &[MessageBuffer<'_>]) -> SecResult<usize> {
    find_buffer(message, SECBUFFER_TOKEN)
        .ok_or_else(|| reject!(SecStatus::InvalidToken, "no SECBUFFER_TOKEN buffer"))
}

/// The signed bytes: every DATA buffer not `SECBUFFER_READONLY`.
fn signed_data(message: &[MessageBuffer<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for b in message {
        if b.kind == SECBUFFER_DATA && !b.is_readonly() {
            out.extend_from_slice(b.bytes());
        }
    }
    out
}

/// Two distinct buffers of `message`, mutably.
fn pair<'m, 'a>(
    message: &'m mut [MessageBuffer<'a>],
    i: usize,
    j: usize,
) -> (&'m mut MessageBuffer<'a>, &'m mut MessageBuffer<'a>) {
    if i < j {
        let (a, b) = message.split_at_mut(j);
        (&mut a[i], &mut b[0])
    } else {
        let (a, b) = message.split_at_mut(i);
        (&mut b[0], &mut a[j])
    }
}

impl Established {
    pub fn client_name(&self) -> String {
        self.client.to_string()
    }

    /// The forwarded TGT the client delegated (acceptor).
    pub fn delegated(&self) -> Option<&CcacheCredential> {
        self.delegated.as_ref()
    }

    fn sizes(&self) -> ContextAttribute {
        let s = gss::sizes::sizes(self.key.etype());
        ContextAttribute::Sizes {
            max_token: s.max_token,
            max_signature: s.max_signature,
            block_size: s.block_size,
            security_trailer: s.security_trailer,
        }
    }

    /// ExportSecurityContext: not yet (the window and counters are not
    /// serialisable); SEC_E_UNSUPPORTED_FUNCTION as for any package
    /// without it.
    pub fn import(_packed: &[u8]) -> SecResult<Self> {
        Err(reject!(
            SecStatus::UnsupportedFunction,
            "ImportSecurityContext is not implemented for Kerberos yet"
        ))
    }
}

impl SecurityContext for Established {
    fn package(&self) -> &'static PackageInfo {
        &KERBEROS_PACKAGE_INFO
    }

    fn is_established(&self) -> bool {
        true
    }

    fn make_signature(
        &mut self,
        qop: u32,
        message: &mut [MessageBuffer<'_>],
        _seq_no: u32,
    ) -> SecResult<()> {
        if qop != 0 {
            return Err(reject!(
                SecStatus::QopNotSupported,
                "MakeSignature QOP {qop:#x}"
            ));
        }
        let t = token_index(message)?;
        let data = signed_data(message);
        let need = self.protection.mic_len();
        let out = message[t]
            .bytes_mut()
            .filter(|b| b.len() >= need)
            .ok_or_else(|| {
                reject!(
                    SecStatus::BufferTooSmall,
                    "MakeSignature TOKEN smaller than {need} bytes or read-only"
                )
            })?;
        let mic = self.protection.get_mic(&data);
        out[..mic.len()].copy_from_slice(&mic);
        message[t].truncate(mic.len());
        Ok(())
    }

    fn verify_signature(
        &mut self,
        message: &mut [MessageBuffer<'_>],
        _seq_no: u32,
    ) -> SecResult<Option<u32>> {
        let t = token_index(message)?;
        let data = signed_data(message);
        let token = message[t].bytes().to_vec();
        self.protection
            .verify_mic(&data, &token)
            .map_err(|e| gss_status("VerifySignature", e))?;
        Ok(None)
    }

    fn encrypt_message(
        &mut self,
        qop: u32,
        message: &mut [MessageBuffer<'_>],
        _seq_no: u32,
    ) -> SecResult<()> {
        let conf = match qop {
            0 => true,
            SECQOP_WRAP_NO_ENCRYPT => false,
            _ => {
                return Err(reject!(
                    SecStatus::QopNotSupported,
                    "EncryptMessage QOP {qop:#x}"
                ))
            }
        };
        let (t, d) = (token_index(message)?, data_index(message)?);
        let (token, data) = pair(message, t, d);
        let (Some(header), Some(body)) = (token.bytes_mut(), data.bytes_mut()) else {
            return Err(reject!(
                SecStatus::InvalidToken,
                "EncryptMessage read-only buffer"
            ));
        };
        let n = self
            .protection
            .wrap_in_place(conf, header, body)
            .map_err(|e| gss_status("EncryptMessage", e))?;
        // BEHAVIOURS.md 95: TOKEN shrunk to the bytes written; CTS and RC4
        // need no padding, so a PADDING buffer is emptied.
        token.truncate(n);
        for b in message.iter_mut().filter(|b| b.kind == SECBUFFER_PADDING) {
            b.truncate(0);
        }
        Ok(())
    }

    fn decrypt_message(
        &mut self,
        message: &mut [MessageBuffer<'_>],
        _seq_no: u32,
    ) -> SecResult<Option<u32>> {
        let (t, d) = (token_index(message)?, data_index(message)?);
        let (token, data) = pair(message, t, d);
        let header = token.bytes().to_vec();
        let body = data
            .bytes_mut()
            .ok_or_else(|| reject!(SecStatus::InvalidToken, "DecryptMessage read-only DATA"))?;
        let (n, conf) = self
            .protection
            .unwrap_in_place(&header, body)
            .map_err(|e| gss_status("DecryptMessage", e))?;
        data.truncate(n);
        Ok(Some(if conf { 0 } else { SECQOP_WRAP_NO_ENCRYPT }))
    }

    /// `[STREAM, DATA]`: the header is the Wrap token up to its data — the
    /// whole token minus the message (RFC 4121 tokens carry no length;
    /// EC + RRC tell where the data ends in a rotated token) — read by
    /// trying the split sizes of this context's etype.
    fn stream_layout(&self, stream: &[u8]) -> SecResult<StreamLayout> {
        // Our peers (and Windows) send the split layout, so TOKEN is
        // cbSecurityTrailer bytes for a sealed token; an integrity-only one
        // has no confounder.
        let sealed = self.protection.split_token_len(true);
        let signed = self.protection.split_token_len(false);
        let flags = stream.get(2).copied().unwrap_or(0);
        let header = if stream.first() == Some(&0x05) && stream.get(1) == Some(&0x04) {
            if flags & gss::FLAG_SEALED != 0 {
                sealed
            } else {
                signed
            }
        } else {
            sealed
        };
        Ok(StreamLayout { header, trailer: 0 })
    }

    fn query_attribute(&self, attribute: u32) -> SecResult<ContextAttribute> {
        Ok(match attribute {
            SECPKG_ATTR_SIZES => self.sizes(),
            SECPKG_ATTR_STREAM_SIZES => {
                let s = gss::sizes::stream_sizes(self.key.etype());
                ContextAttribute::StreamSizes {
                    header: s.header,
                    trailer: s.trailer,
                    max_message: s.maximum_message,
                    buffers: s.buffers,
                    block_size: s.block_size,
                }
            }
            SECPKG_ATTR_NAMES => ContextAttribute::Names(self.client_name()),
            SECPKG_ATTR_NATIVE_NAMES => ContextAttribute::NativeNames {
                client: self.client_name(),
                server: self.server.to_string(),
            },
            SECPKG_ATTR_LIFESPAN => ContextAttribute::Lifespan {
                start: filetime(self.start),
                expiry: filetime(self.end),
            },
            SECPKG_ATTR_KEY_INFO => {
                let e = self.key.etype();
                ContextAttribute::KeyInfo {
                    signature_algorithm_name: format!("{e:?}"),
                    encrypt_algorithm_name: format!("{e:?}"),
                    key_size: (self.key.as_bytes().len() * 8) as u32,
                    signature_algorithm: self.key.checksum_type() as u32,
                    encrypt_algorithm: e.as_i32() as u32,
                }
            }
            SECPKG_ATTR_SESSION_KEY => {
                ContextAttribute::SessionKey(Zeroizing::new(self.key.as_bytes().to_vec()))
            }
            SECPKG_ATTR_PACKAGE_INFO => ContextAttribute::PackageInfo(&KERBEROS_PACKAGE_INFO),
            SECPKG_ATTR_NEGOTIATION_INFO => ContextAttribute::NegotiationInfo {
                package: &KERBEROS_PACKAGE_INFO,
                state: SECPKG_NEGOTIATION_COMPLETE,
            },
            SECPKG_ATTR_FLAGS => ContextAttribute::Flags(self.attrs),
            SECPKG_ATTR_AUTHORITY => ContextAttribute::Authority(self.client.realm.clone()),
            _ => return Err(SecStatus::UnsupportedFunction),
        })
    }

    /// The verified ticket's client, `(REALM, user)` (server contexts).
    fn client_identity(&self) -> Option<(String, String)> {
        (!self.is_client).then(|| (self.client.realm.clone(), self.client.components.join("/")))
    }
}
