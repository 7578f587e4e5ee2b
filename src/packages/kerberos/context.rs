//! An established Kerberos context, either side: the per-message layer
//! ([`gss::MessageProtection`]) on the caller's SSPI buffers, and the
//! context attributes.
//!
//! Buffers (MS-KILE 3.4.5.4, BEHAVIOURS.md 95-96):
//! - EncryptMessage `[TOKEN, DATA(, PADDING)]` or `[DATA, TOKEN]`: the Wrap
//!   token's header part into TOKEN (its cbBuffer shrunk to what was
//!   written), DATA sealed in place; `SECQOP_WRAP_NO_ENCRYPT` signs only.
//! - Several buffers (the DCE/RPC PDU, `[DATA|READONLY_WITH_CHECKSUM, DATA,
//!   ..., TOKEN]`): the DATA buffers are sealed as one message in order,
//!   READONLY_WITH_CHECKSUM ones signed where they stand and never
//!   encrypted, READONLY ones ignored (`sspi::buffers::Protection`, shared
//!   with NTLM; MIT's `gss_wrap_iov` SIGN_ONLY, [`gss::MessagePart`]).
//! - DecryptMessage `[TOKEN, DATA]` and the multi-buffer form;
//!   `[STREAM, DATA]` is split by the FFI
//!   layer with [`SecurityContext::stream_layout`], the header length read
//!   from the token itself.
//! - MakeSignature / VerifySignature: a MIC token over the DATA buffers
//!   that are not `SECBUFFER_READONLY`, in order (as NTLM).
//! - The explicit MessageSeqNo is ignored: Kerberos tokens carry their own
//!   sequence numbers, checked by the receive window (replay and order
//!   failures are SEC_E_OUT_OF_SEQUENCE, see [`gss::GssError::status`]).

use zeroize::Zeroizing;

use super::ccache::Credential as CcacheCredential;
use super::crypto::EncryptionType;
use super::crypto::Key;
use super::filecodec::Principal;
use super::gss::framing::Mech;
use super::gss::{self, GssError, MessagePart, MessageProtection, ProtectionConfig, Role};
use super::package::KERBEROS_PACKAGE_INFO;
use crate::sspi::buffers::{find_buffer, signed_parts, Protection};
use crate::sspi::consts::*;
use crate::sspi::export::{check_export_flags, open_packed, seal_packed};
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
    /// The client's forwarded TGT (acceptor with delegation; not exported).
    pub(super) delegated: Option<CcacheCredential>,
    /// How `protection` was set up (to rebuild it on import).
    pub(super) config: ProtectionConfig,
}

fn gss_status(what: &str, e: GssError) -> SecStatus {
    reject!(e.status(), "Kerberos {what}: {e}")
}

/// The one sealed DATA buffer of a message with no sign-only buffer (the
/// common `[TOKEN, DATA(, PADDING)]`), or `None` for the multi-buffer
/// layout; `SEC_E_INVALID_TOKEN` without any DATA buffer.
fn single_data(message: &[MessageBuffer<'_>]) -> SecResult<Option<usize>> {
    find_buffer(message, SECBUFFER_DATA)
        .ok_or_else(|| reject!(SecStatus::InvalidToken, "no SECBUFFER_DATA buffer"))?;
    let mut signed = message
        .iter()
        .enumerate()
        .filter(|(_, b)| b.protection() != Protection::Ignored);
    Ok(match (signed.next(), signed.next()) {
        (Some((i, b)), None) if b.protection() == Protection::Sealed => Some(i),
        _ => None,
    })
}

/// The TOKEN buffer's bytes and the message parts of the other buffers
/// (MS-KILE 3.4.5.4: DATA sealed, READONLY_WITH_CHECKSUM signed only,
/// READONLY and other types left out), in buffer order.
#[allow(clippy::type_complexity)]
fn split_parts<'m, 'a>(
    message: &'m mut [MessageBuffer<'a>],
    t: usize,
) -> SecResult<(&'m mut MessageBuffer<'a>, Vec<MessagePart<'m>>)> {
    let mut token = None;
    let mut parts = Vec::new();
    for (i, b) in message.iter_mut().enumerate() {
        if i == t {
            token = Some(b);
            continue;
        }
        match b.protection() {
            Protection::Ignored => {}
            Protection::SignOnly => {
                let b: &'m MessageBuffer<'a> = b;
                parts.push(MessagePart::SignOnly(b.bytes()))
            }
            Protection::Sealed => parts
                .push(MessagePart::Data(b.bytes_mut().ok_or_else(|| {
                    reject!(SecStatus::InvalidToken, "read-only SECBUFFER_DATA")
                })?)),
        }
    }
    Ok((token.expect("t indexes message"), parts))
}

fn token_index(message: &[MessageBuffer<'_>]) -> SecResult<usize> {
    find_buffer(message, SECBUFFER_TOKEN)
        .ok_or_else(|| reject!(SecStatus::InvalidToken, "no SECBUFFER_TOKEN buffer"))
}

/// The signed bytes: every DATA buffer not `SECBUFFER_READONLY`.
fn signed_data(message: &[MessageBuffer<'_>]) -> Vec<u8> {
    signed_parts(message).concat()
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

    /// The exported state (see [`Established::import`]).
    fn export_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut b = Zeroizing::new(Vec::with_capacity(160));
        let c = &self.config;
        b.push(EXPORT_VERSION);
        let bits = [
            self.is_client,
            c.role == Role::Initiator,
            c.acceptor_subkey,
            c.replay_detect,
            c.sequence_detect,
            c.mech == Mech::MsKrb5,
        ];
        b.push(bits.iter().rev().fold(0u8, |a, &x| (a << 1) | x as u8));
        b.extend_from_slice(&self.attrs.to_le_bytes());
        b.extend_from_slice(&self.start.to_le_bytes());
        b.extend_from_slice(&self.end.to_le_bytes());
        b.extend_from_slice(&self.protection.send_seq().to_le_bytes());
        for w in self.protection.window_state() {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b.extend_from_slice(&self.key.etype().as_i32().to_le_bytes());
        for field in [
            self.key.as_bytes(),
            self.client.to_string().as_bytes(),
            self.server.to_string().as_bytes(),
        ] {
            b.extend_from_slice(&(field.len() as u32).to_le_bytes());
            b.extend_from_slice(field);
        }
        b
    }

    /// ImportSecurityContext of an [`SecurityContext::export`] blob of this
    /// process (authenticated by `sspi::export`): keys, counters and the
    /// receive window continue where the exported context stopped.
    pub fn import(packed: &[u8]) -> SecResult<Self> {
        let body = open_packed(KERBEROS_PACKAGE_INFO.name, packed)?;
        let bad = || reject!(SecStatus::InvalidToken, "malformed Kerberos context blob");
        let mut r = Reader(body);
        if r.take(1).ok_or_else(bad)? != [EXPORT_VERSION] {
            return Err(bad());
        }
        let bits = r.take(1).ok_or_else(bad)?[0];
        let bit = |i: u8| bits & (1 << i) != 0;
        let attrs = r.u32().ok_or_else(bad)?;
        let start = r.u64().ok_or_else(bad)? as i64;
        let end = r.u64().ok_or_else(bad)? as i64;
        let send_seq = r.u64().ok_or_else(bad)?;
        let window = [
            r.u64().ok_or_else(bad)?,
            r.u64().ok_or_else(bad)?,
            r.u64().ok_or_else(bad)?,
        ];
        let etype = EncryptionType::from_i32(r.u32().ok_or_else(bad)? as i32).map_err(|_| bad())?;
        let key = Key::new(etype, r.field().ok_or_else(bad)?).map_err(|_| bad())?;
        let name = |b: &[u8]| {
            std::str::from_utf8(b)
                .map(Principal::parse)
                .map_err(|_| bad())
        };
        let client = name(r.field().ok_or_else(bad)?)?;
        let server = name(r.field().ok_or_else(bad)?)?;
        if !r.0.is_empty() {
            return Err(bad());
        }
        let config = ProtectionConfig {
            role: if bit(1) {
                Role::Initiator
            } else {
                Role::Acceptor
            },
            acceptor_subkey: bit(2),
            send_seq,
            recv_seq: window[0],
            replay_detect: bit(3),
            sequence_detect: bit(4),
            mech: if bit(5) { Mech::MsKrb5 } else { Mech::Krb5 },
        };
        let protection = MessageProtection::restore(&key, config, send_seq, window)
            .map_err(|e| gss_status("ImportSecurityContext", e))?;
        Ok(Established {
            protection,
            key,
            client,
            server,
            is_client: bit(0),
            attrs,
            start,
            end,
            delegated: None,
            config,
        })
    }
}

/// Format version of an exported Kerberos context.
const EXPORT_VERSION: u8 = 1;

/// A cursor over an exported context.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn field(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
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
        let mic = self
            .protection
            .get_mic(&data)
            .map_err(|e| reject!(e.status(), "MakeSignature: {e}"))?;
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
        let t = token_index(message)?;
        let n = match single_data(message)? {
            Some(d) => {
                let (token, data) = pair(message, t, d);
                let (Some(header), Some(body)) = (token.bytes_mut(), data.bytes_mut()) else {
                    return Err(reject!(
                        SecStatus::InvalidToken,
                        "EncryptMessage read-only buffer"
                    ));
                };
                self.protection.wrap_in_place(conf, header, body)
            }
            None => {
                let (token, mut parts) = split_parts(message, t)?;
                let header = token.bytes_mut().ok_or_else(|| {
                    reject!(SecStatus::InvalidToken, "EncryptMessage read-only TOKEN")
                })?;
                self.protection.wrap_parts(conf, header, &mut parts)
            }
        }
        .map_err(|e| gss_status("EncryptMessage", e))?;
        // BEHAVIOURS.md 95: TOKEN shrunk to the bytes written; CTS and RC4
        // need no padding, so a PADDING buffer is emptied.
        message[t].truncate(n);
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
        let t = token_index(message)?;
        let conf = match single_data(message)? {
            Some(d) => {
                let (token, data) = pair(message, t, d);
                let header = token.bytes().to_vec();
                let body = data.bytes_mut().ok_or_else(|| {
                    reject!(SecStatus::InvalidToken, "DecryptMessage read-only DATA")
                })?;
                let (n, conf) = self
                    .protection
                    .unwrap_in_place(&header, body)
                    .map_err(|e| gss_status("DecryptMessage", e))?;
                data.truncate(n);
                conf
            }
            None => {
                let (token, mut parts) = split_parts(message, t)?;
                self.protection
                    .unwrap_parts(token.bytes(), &mut parts)
                    .map_err(|e| gss_status("DecryptMessage", e))?
            }
        };
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

    /// Only with DELETE_OLD, authenticated (`sspi::export`), as NTLM.
    fn export(&self, flags: u32) -> SecResult<Zeroizing<Vec<u8>>> {
        check_export_flags(flags)?;
        seal_packed(KERBEROS_PACKAGE_INFO.name, self.export_bytes())
    }

    /// The verified ticket's client, `(REALM, user)` (server contexts).
    fn client_identity(&self) -> Option<(String, String)> {
        (!self.is_client).then(|| (self.client.realm.clone(), self.client.components.join("/")))
    }
}

#[cfg(test)]
#[path = "context_buffers_tests.rs"]
mod buffers_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::kerberos::crypto::random_key;
    use crate::sspi::BufferData;

    pub(super) fn side(key: &Key, role: Role) -> Established {
        let config = ProtectionConfig {
            role,
            acceptor_subkey: true,
            send_seq: if role == Role::Initiator { 100 } else { 500 },
            recv_seq: if role == Role::Initiator { 500 } else { 100 },
            replay_detect: true,
            sequence_detect: true,
            mech: Mech::Krb5,
        };
        Established {
            protection: MessageProtection::new(key, config).unwrap(),
            key: key.clone(),
            client: Principal::parse("alice@R"),
            server: Principal::parse("host/h@R"),
            is_client: role == Role::Initiator,
            attrs: 0x1e,
            start: 1,
            end: 2,
            delegated: None,
            config,
        }
    }

    fn seal(ctx: &mut Established, msg: &[u8]) -> Vec<u8> {
        let mut token = vec![0u8; 64];
        let mut data = msg.to_vec();
        let mut m = [
            MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut token)),
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut data)),
        ];
        ctx.encrypt_message(0, &mut m, 0).unwrap();
        let n = m[0].len();
        let mut wire = token[..n].to_vec();
        wire.extend_from_slice(&data);
        wire
    }

    fn open(ctx: &mut Established, wire: &[u8], token_len: usize) -> SecResult<Vec<u8>> {
        let (mut token, mut data) = (wire[..token_len].to_vec(), wire[token_len..].to_vec());
        let mut m = [
            MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut token)),
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut data)),
        ];
        ctx.decrypt_message(&mut m, 0)?;
        Ok(m[1].bytes().to_vec())
    }

    /// Export/Import continues the counters and the receive window: the
    /// imported sender's next token opens in order, and a token the
    /// exported receiver already took is refused by the imported one.
    #[test]
    fn export_import_continues_counters_and_window() {
        let key = random_key(EncryptionType::Aes256CtsHmacSha196).unwrap();
        let (mut client, mut server) = (side(&key, Role::Initiator), side(&key, Role::Acceptor));
        let n = client.protection.split_token_len(true);
        let first = seal(&mut client, b"one");
        assert_eq!(open(&mut server, &first, n).unwrap(), b"one");
        let blob = client.export(SECPKG_CONTEXT_EXPORT_DELETE_OLD).unwrap();
        let mut client = Established::import(&blob).unwrap();
        let second = seal(&mut client, b"two");
        let blob = server.export(SECPKG_CONTEXT_EXPORT_DELETE_OLD).unwrap();
        let mut server = Established::import(&blob).unwrap();
        assert_eq!(server.client_name(), "alice@R");
        assert_eq!(open(&mut server, &second, n).unwrap(), b"two");
        assert_eq!(open(&mut server, &first, n), Err(SecStatus::OutOfSequence));
    }

    #[test]
    fn export_needs_delete_old_and_import_needs_an_untouched_blob() {
        let key = random_key(EncryptionType::Aes128CtsHmacSha196).unwrap();
        let client = side(&key, Role::Initiator);
        assert!(client.export(0).is_err());
        let mut blob = client.export(SECPKG_CONTEXT_EXPORT_DELETE_OLD).unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 1;
        assert_eq!(
            Established::import(&blob).err(),
            Some(SecStatus::InvalidToken)
        );
        blob[last] ^= 1;
        blob[10] ^= 1;
        assert_eq!(
            Established::import(&blob).err(),
            Some(SecStatus::InvalidToken)
        );
    }
}
