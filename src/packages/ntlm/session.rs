//! An established NTLM context: its keys and sequence state (through
//! [`SealingState`]), its names and its attributes (QueryContextAttributes),
//! plus Export/ImportSecurityContext (authenticated blobs, DELETE_OLD only:
//! `sspi::export`).

use zeroize::Zeroizing;

use super::crypto::Key16;
use super::flags::*;
use super::seal::{SealingPosition, SealingState, SIGNATURE_LEN};
use super::{MAX_TOKEN, NTLM_PACKAGE_INFO};
use crate::sspi::consts::*;
use crate::sspi::export::{check_export_flags, open_packed, seal_packed};
use crate::sspi::package::mic_buffers;
use crate::sspi::time::TIMESTAMP_NEVER;
use crate::sspi::{
    ContextAttribute, MessageBuffer, PackageInfo, SecResult, SecStatus, SecurityContext,
};

/// `SignatureAlgorithm` values of SECPKG_ATTR_KEY_INFO (BEHAVIOURS.md 69).
pub const SIGNATURE_ALG_HMAC_MD5: u32 = 0xFFFF_FF76;
pub const SIGNATURE_ALG_CRC32: u32 = 0xFFFF_FF7C;

/// Names recorded at the end of the handshake.
#[derive(Debug, Clone, Default)]
pub struct SessionNames {
    /// The authenticated client's domain and user (as sent).
    pub client_domain: String,
    pub client_user: String,
    /// The server as the client named it (SPN) or as it named itself.
    pub server: String,
    /// The authority that vouched for the client (its domain).
    pub authority: String,
}

/// An established NTLM context.
pub struct Session {
    is_client: bool,
    anonymous: bool,
    flags: u32,
    attrs: u32,
    start: i64,
    exported: Key16,
    /// Built on first use: many contexts only authenticate (boxed: the
    /// keys and RC4 states are large, and a context that never signs or
    /// seals should not carry them).
    sealing: Option<Box<SealingState>>,
    names: SessionNames,
    /// The AUTHENTICATE_MESSAGE carried a MIC: under SPNEGO the mechListMIC
    /// exchange is then required (MS-SPNG 3.1.5.1, 3.2.5.1).
    mic: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("is_client", &self.is_client)
            .field("flags", &format_args!("{:#010x}", self.flags))
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub fn new(
        is_client: bool,
        anonymous: bool,
        flags: u32,
        attrs: u32,
        exported: Key16,
        names: SessionNames,
    ) -> Self {
        Session {
            is_client,
            anonymous,
            flags,
            attrs,
            start: crate::sspi::time::filetime_now(),
            sealing: None,
            exported,
            names,
            mic: false,
        }
    }

    /// Record whether the AUTHENTICATE_MESSAGE carried a MIC.
    pub fn with_mic(mut self, mic: bool) -> Self {
        self.mic = mic;
        self
    }

    /// The negotiated NegotiateFlags.
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// The `ISC_RET_*`/`ASC_RET_*` word.
    pub fn attrs(&self) -> u32 {
        self.attrs
    }

    pub fn names(&self) -> &SessionNames {
        &self.names
    }

    pub fn is_anonymous(&self) -> bool {
        self.anonymous
    }

    fn sealing(&mut self) -> &mut SealingState {
        let (flags, is_client) = (self.flags, self.is_client);
        let exported = &self.exported;
        self.sealing
            .get_or_insert_with(|| Box::new(SealingState::new(flags, exported, is_client)))
    }

    fn client_name(&self) -> String {
        if self.names.client_domain.is_empty() {
            self.names.client_user.clone()
        } else {
            format!("{}\\{}", self.names.client_domain, self.names.client_user)
        }
    }

    fn key_bits(&self) -> u32 {
        if self.flags & NTLMSSP_NEGOTIATE_128 != 0 {
            128
        } else if self.flags & NTLMSSP_NEGOTIATE_56 != 0 {
            56
        } else {
            40
        }
    }

    const MAGIC: &'static [u8; 8] = b"OSNTLM\x00\x01";

    /// Serialise keys, sequence state and names (ExportSecurityContext).
    pub fn export_bytes(&self) -> Zeroizing<Vec<u8>> {
        let p = self
            .sealing
            .as_ref()
            .map(|s| s.position())
            .unwrap_or_default();
        let mut out = Zeroizing::new(Vec::with_capacity(128));
        out.extend_from_slice(Self::MAGIC);
        out.push(self.is_client as u8);
        out.push(self.anonymous as u8);
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.attrs.to_le_bytes());
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.exported[..]);
        out.extend_from_slice(&p.seq_out.to_le_bytes());
        out.extend_from_slice(&p.seq_in.to_le_bytes());
        out.extend_from_slice(&p.pos_out.to_le_bytes());
        out.extend_from_slice(&p.pos_in.to_le_bytes());
        for s in [
            &self.names.client_domain,
            &self.names.client_user,
            &self.names.server,
            &self.names.authority,
        ] {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        out
    }

    /// Most key-stream bytes an import replays per direction: RC4 handles
    /// are rebuilt by discarding the bytes already used, so a context that
    /// has sealed more than this (or a forged position) cannot be imported.
    pub const MAX_IMPORT_KEYSTREAM: u64 = 64 << 20;

    /// Rebuild a context from what [`SecurityContext::export`] returned
    /// (ImportSecurityContext): a blob this process did not export (its tag
    /// does not check, `sspi::export`), malformed input, or key-stream
    /// positions past [`Session::MAX_IMPORT_KEYSTREAM`], is
    /// SEC_E_INVALID_TOKEN.
    pub fn import(packed: &[u8]) -> SecResult<Self> {
        let b = open_packed(NTLM_PACKAGE_INFO.name, packed)?;
        Self::from_export_bytes(b)
    }

    /// Decode [`Session::export_bytes`] without checking where the bytes
    /// came from: only for an authenticated body ([`Session::import`]) and
    /// the `ntlm_import` fuzzer (public for it; never reachable from C).
    #[doc(hidden)]
    pub fn from_export_bytes(b: &[u8]) -> SecResult<Self> {
        let mut r = Reader { b, at: 0 };
        if r.take(8)? != Self::MAGIC {
            return Err(SecStatus::InvalidToken);
        }
        let is_client = r.take(1)?[0] != 0;
        let anonymous = r.take(1)?[0] != 0;
        let flags = r.u32()?;
        let attrs = r.u32()?;
        let start = r.u64()? as i64;
        let mut exported = Key16::default();
        exported.copy_from_slice(r.take(16)?);
        let p = SealingPosition {
            seq_out: r.u32()?,
            seq_in: r.u32()?,
            pos_out: r.u64()?,
            pos_in: r.u64()?,
        };
        if p.pos_out.max(p.pos_in) > Self::MAX_IMPORT_KEYSTREAM {
            return Err(SecStatus::InvalidToken);
        }
        let mut s = || -> SecResult<String> {
            let n = r.u32()? as usize;
            String::from_utf8(r.take(n)?.to_vec()).map_err(|_| SecStatus::InvalidToken)
        };
        let names = SessionNames {
            client_domain: s()?,
            client_user: s()?,
            server: s()?,
            authority: s()?,
        };
        Ok(Session {
            is_client,
            anonymous,
            flags,
            attrs,
            start,
            sealing: Some(Box::new(SealingState::resume(
                flags, &exported, is_client, p,
            ))),
            exported,
            names,
            mic: false,
        })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> SecResult<&'a [u8]> {
        let end = self.at.checked_add(n).ok_or(SecStatus::InvalidToken)?;
        let s = self.b.get(self.at..end).ok_or(SecStatus::InvalidToken)?;
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> SecResult<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?
                .try_into()
                .map_err(|_| SecStatus::InvalidToken)?,
        ))
    }
    fn u64(&mut self) -> SecResult<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?
                .try_into()
                .map_err(|_| SecStatus::InvalidToken)?,
        ))
    }
}

/// SECPKG_ATTR_SIZES of NTLM (BEHAVIOURS.md 66).
pub fn sizes() -> ContextAttribute {
    ContextAttribute::Sizes {
        max_token: MAX_TOKEN as u32,
        max_signature: SIGNATURE_LEN as u32,
        block_size: 0,
        security_trailer: SIGNATURE_LEN as u32,
    }
}

/// Attributes a context answers before it is established.
pub fn query_incomplete(attribute: u32, attrs: u32) -> SecResult<ContextAttribute> {
    match attribute {
        SECPKG_ATTR_SIZES => Ok(sizes()),
        SECPKG_ATTR_PACKAGE_INFO => Ok(ContextAttribute::PackageInfo(&NTLM_PACKAGE_INFO)),
        SECPKG_ATTR_NEGOTIATION_INFO => Ok(ContextAttribute::NegotiationInfo {
            package: &NTLM_PACKAGE_INFO,
            state: SECPKG_NEGOTIATION_IN_PROGRESS,
        }),
        SECPKG_ATTR_FLAGS => Ok(ContextAttribute::Flags(attrs)),
        _ => Err(SecStatus::UnsupportedFunction),
    }
}

impl SecurityContext for Session {
    fn package(&self) -> &'static PackageInfo {
        &NTLM_PACKAGE_INFO
    }

    fn initialize(
        &mut self,
        _input: &crate::sspi::HandshakeInput<'_>,
    ) -> SecResult<crate::sspi::HandshakeOutput> {
        Err(SecStatus::OutOfSequence)
    }

    fn accept(
        &mut self,
        _input: &crate::sspi::HandshakeInput<'_>,
    ) -> SecResult<crate::sspi::HandshakeOutput> {
        Err(SecStatus::OutOfSequence)
    }

    fn is_established(&self) -> bool {
        true
    }

    /// MakeSignature: only QOP 0; the explicit `seq_no` is ignored (NTLM
    /// connection contexts keep their own counters, as Windows does).
    fn make_signature(
        &mut self,
        qop: u32,
        message: &mut [MessageBuffer<'_>],
        _seq_no: u32,
    ) -> SecResult<()> {
        if qop != 0 {
            return Err(SecStatus::QopNotSupported);
        }
        self.sealing().make_signature(message)
    }

    /// VerifySignature: `*pfQOP` is left untouched (item 83).
    fn verify_signature(
        &mut self,
        message: &mut [MessageBuffer<'_>],
        _seq_no: u32,
    ) -> SecResult<Option<u32>> {
        self.sealing().verify_signature(message).map(|_| None)
    }

    /// EncryptMessage; SECQOP_WRAP_NO_ENCRYPT signs only (the data stays in
    /// clear; the peer's DecryptMessage recognises it, see `SealingState::decrypt`).
    fn encrypt_message(
        &mut self,
        qop: u32,
        message: &mut [MessageBuffer<'_>],
        _seq_no: u32,
    ) -> SecResult<()> {
        match qop {
            0 => self.sealing().encrypt(message),
            SECQOP_WRAP_NO_ENCRYPT => self.sealing().make_signature(message),
            _ => Err(SecStatus::QopNotSupported),
        }
    }

    /// DecryptMessage: `*pfQOP` is left untouched for a sealed message
    /// (item 92) and set to SECQOP_WRAP_NO_ENCRYPT for an integrity-only
    /// one (item 97).
    fn decrypt_message(
        &mut self,
        message: &mut [MessageBuffer<'_>],
        _seq_no: u32,
    ) -> SecResult<Option<u32>> {
        let integrity_only = self.sealing().decrypt(message)?;
        Ok(integrity_only.then_some(SECQOP_WRAP_NO_ENCRYPT))
    }

    /// SPNEGO's mechListMIC: a signature over `data`, after which the
    /// outgoing RC4 handle starts over, so that the first application
    /// message is sealed as if the MIC had not been sent (MS-SPNG 3.3.5.1;
    /// the sequence number goes on).
    fn mech_list_mic(&mut self, data: &[u8]) -> SecResult<Vec<u8>> {
        let mut sig = [0u8; SIGNATURE_LEN];
        let mut msg = mic_buffers(&mut sig, data);
        self.sealing().mech_list_mic(&mut msg)?;
        Ok(sig.to_vec())
    }

    /// Verify the peer's mechListMIC, then start the incoming RC4 handle over.
    fn verify_mech_list_mic(&mut self, data: &[u8], mic: &[u8]) -> SecResult<()> {
        let mut sig: [u8; SIGNATURE_LEN] = mic.try_into().map_err(|_| SecStatus::MessageAltered)?;
        let mut msg = mic_buffers(&mut sig, data);
        self.sealing().verify_mech_list_mic(&mut msg)
    }

    fn wants_mech_list_mic(&self) -> bool {
        self.mic
    }

    fn query_attribute(&self, attribute: u32) -> SecResult<ContextAttribute> {
        let ess = self.flags & ESS != 0;
        Ok(match attribute {
            SECPKG_ATTR_SIZES => sizes(),
            SECPKG_ATTR_NAMES => ContextAttribute::Names(self.client_name()),
            SECPKG_ATTR_NATIVE_NAMES => ContextAttribute::NativeNames {
                client: self.client_name(),
                server: self.names.server.clone(),
            },
            SECPKG_ATTR_LIFESPAN => ContextAttribute::Lifespan {
                start: self.start,
                expiry: TIMESTAMP_NEVER,
            },
            SECPKG_ATTR_KEY_INFO => ContextAttribute::KeyInfo {
                signature_algorithm_name: if ess { "HMAC-MD5" } else { "RSADSI RC4-CRC32" }
                    .to_string(),
                encrypt_algorithm_name: "RSADSI RC4".to_string(),
                key_size: self.key_bits(),
                signature_algorithm: if ess {
                    SIGNATURE_ALG_HMAC_MD5
                } else {
                    SIGNATURE_ALG_CRC32
                },
                encrypt_algorithm: CALG_RC4,
            },
            SECPKG_ATTR_SESSION_KEY => {
                ContextAttribute::SessionKey(Zeroizing::new(self.exported.to_vec()))
            }
            SECPKG_ATTR_PACKAGE_INFO => ContextAttribute::PackageInfo(&NTLM_PACKAGE_INFO),
            SECPKG_ATTR_NEGOTIATION_INFO => ContextAttribute::NegotiationInfo {
                package: &NTLM_PACKAGE_INFO,
                state: SECPKG_NEGOTIATION_COMPLETE,
            },
            SECPKG_ATTR_FLAGS => ContextAttribute::Flags(self.attrs),
            SECPKG_ATTR_AUTHORITY => ContextAttribute::Authority(self.names.authority.clone()),
            _ => return Err(SecStatus::UnsupportedFunction),
        })
    }

    /// Only with DELETE_OLD, authenticated (`sspi::export`).
    fn export(&self, flags: u32) -> SecResult<Zeroizing<Vec<u8>>> {
        check_export_flags(flags)?;
        seal_packed(NTLM_PACKAGE_INFO.name, self.export_bytes())
    }

    fn client_identity(&self) -> Option<(String, String)> {
        (!self.is_client).then(|| {
            (
                self.names.client_domain.clone(),
                self.names.client_user.clone(),
            )
        })
    }
}

/// The `SecurityContext` methods an NTLM client or server context forwards
/// to its established [`Session`]. The context needs
/// `fn session(&self) -> Option<&Session>`,
/// `fn session_mut(&mut self) -> SecResult<&mut Session>` (SEC_E_INVALID_HANDLE
/// before completion) and an `attrs` field with its attribute word.
macro_rules! forward_to_session {
    () => {
        fn is_established(&self) -> bool {
            self.session().is_some()
        }

        $crate::sspi::forward_message_calls!(session_mut);

        fn query_attribute(&self, attribute: u32) -> SecResult<ContextAttribute> {
            match self.session() {
                Some(s) => s.query_attribute(attribute),
                None => query_incomplete(attribute, self.attrs),
            }
        }

        fn export(&self, flags: u32) -> SecResult<Zeroizing<Vec<u8>>> {
            self.session()
                .ok_or(SecStatus::InvalidHandle)?
                .export(flags)
        }

        fn mech_list_mic(&mut self, data: &[u8]) -> SecResult<Vec<u8>> {
            self.session_mut()?.mech_list_mic(data)
        }

        fn verify_mech_list_mic(&mut self, data: &[u8], mic: &[u8]) -> SecResult<()> {
            self.session_mut()?.verify_mech_list_mic(data, mic)
        }

        fn wants_mech_list_mic(&self) -> bool {
            self.session().is_some_and(|s| s.wants_mech_list_mic())
        }
    };
}
pub(super) use forward_to_session;
