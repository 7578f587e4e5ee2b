//! The contract between the SSPI entry points and a security package.
//!
//! A package is a static object in the registry. `AcquireCredentialsHandle`
//! asks it for a [`Credential`]; `InitializeSecurityContext` /
//! `AcceptSecurityContext` ask the credential for a fresh [`SecurityContext`]
//! and then drive that context one leg at a time.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::consts::{SECPKG_ATTR_SIZES, SECPKG_ATTR_STREAM_SIZES};
use super::{AuthIdentity, MessageBuffer, SecResult, SecStatus, Step, StreamLayout};
use crate::lsa::network::NetworkIdentity;
use crate::lsa::Luid;

/// `SecPkgInfo` values of a package (BEHAVIOURS.md C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageInfo {
    pub capabilities: u32,
    pub version: u16,
    pub rpc_id: u16,
    pub max_token: u32,
    pub name: &'static str,
    pub comment: &'static str,
}

/// `fCredentialUse` after validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialUse {
    Inbound,
    Outbound,
    Both,
}

impl CredentialUse {
    pub fn can_initiate(self) -> bool {
        matches!(self, CredentialUse::Outbound | CredentialUse::Both)
    }
    pub fn can_accept(self) -> bool {
        matches!(self, CredentialUse::Inbound | CredentialUse::Both)
    }
}

/// The arguments of `AcquireCredentialsHandle`, decoded.
#[derive(Debug, Clone, Copy)]
pub struct AcquireCredentials<'a> {
    /// `pszPrincipal` (may be NULL).
    pub principal: Option<&'a str>,
    pub usage: CredentialUse,
    /// `pvLogonId`: an explicit logon session.
    pub logon_id: Option<Luid>,
    /// `pAuthData`: explicit credentials; `None` = the logon session's.
    pub identity: Option<&'a AuthIdentity>,
}

/// A security package (NTLM, Kerberos, Negotiate).
pub trait SecurityPackage: Send + Sync + 'static {
    fn info(&self) -> &'static PackageInfo;

    /// `AcquireCredentialsHandle`.
    fn acquire_credentials(
        &self,
        request: &AcquireCredentials<'_>,
    ) -> SecResult<Arc<dyn Credential>>;

    /// `ImportSecurityContext`: rebuild a context from `export_context` bytes.
    fn import_context(&self, _packed: &[u8]) -> SecResult<Box<dyn SecurityContext>> {
        Err(SecStatus::UnsupportedFunction)
    }
}

/// A credential handle's object.
pub trait Credential: Send + Sync {
    fn package(&self) -> &'static PackageInfo;
    fn usage(&self) -> CredentialUse;

    /// `SECPKG_CRED_ATTR_NAMES`: `DOMAIN\user` of the credential.
    fn user_name(&self) -> SecResult<String>;

    /// Expiry reported by `AcquireCredentialsHandle` (FILETIME).
    fn expiry(&self) -> i64 {
        super::time::TIMESTAMP_NEVER
    }

    /// A new client context (first `InitializeSecurityContext` call).
    fn new_initiator(
        &self,
        target: Option<&str>,
        context_req: u32,
    ) -> SecResult<Box<dyn SecurityContext>>;

    /// A new server context (first `AcceptSecurityContext` call).
    fn new_acceptor(&self, context_req: u32) -> SecResult<Box<dyn SecurityContext>>;

    /// `SetCredentialsAttributes`.
    fn set_attribute(&self, _attribute: u32, _value: &[u8]) -> SecResult<()> {
        Err(SecStatus::UnsupportedFunction)
    }

    /// A default credential resolved lazily (Kerberos: the ccache read at
    /// InitializeSecurityContext) that has nothing behind it right now;
    /// Negotiate leaves such a credential out.
    fn is_empty(&self) -> bool {
        false
    }
}

/// The input of one handshake leg.
#[derive(Debug, Clone, Copy, Default)]
pub struct HandshakeInput<'a> {
    /// The peer's `SECBUFFER_TOKEN` (None on the client's first call).
    pub token: Option<&'a [u8]>,
    /// A `SECBUFFER_CHANNEL_BINDINGS` buffer: a `SEC_CHANNEL_BINDINGS`
    /// header followed by its data, exactly as the caller passed it.
    pub channel_bindings: Option<&'a [u8]>,
    /// `pszTargetName` of this call (client only).
    pub target: Option<&'a str>,
    /// `fContextReq` of this call.
    pub context_req: u32,
    /// `TargetDataRep`.
    pub data_rep: u32,
}

/// The output of one handshake leg.
#[derive(Debug, Default)]
pub struct HandshakeOutput {
    pub step: Option<Step>,
    /// Token for the peer (may be empty).
    pub token: Vec<u8>,
    /// `ISC_RET_*` / `ASC_RET_*` bits (without `*_ALLOCATED_MEMORY`, which
    /// the FFI layer adds).
    pub context_attr: u32,
    /// Expiry of the context (FILETIME).
    pub expiry: i64,
}

/// A value returned by `QueryContextAttributes`.
#[derive(Debug)]
pub enum ContextAttribute {
    Sizes {
        max_token: u32,
        max_signature: u32,
        block_size: u32,
        security_trailer: u32,
    },
    StreamSizes {
        header: u32,
        trailer: u32,
        max_message: u32,
        buffers: u32,
        block_size: u32,
    },
    /// `SECPKG_ATTR_NAMES`: the client's name (`DOMAIN\user`).
    Names(String),
    NativeNames {
        client: String,
        server: String,
    },
    Lifespan {
        start: i64,
        expiry: i64,
    },
    KeyInfo {
        signature_algorithm_name: String,
        encrypt_algorithm_name: String,
        key_size: u32,
        signature_algorithm: u32,
        encrypt_algorithm: u32,
    },
    SessionKey(Zeroizing<Vec<u8>>),
    PackageInfo(&'static PackageInfo),
    NegotiationInfo {
        package: &'static PackageInfo,
        state: u32,
    },
    Flags(u32),
    Authority(String),
    /// `SECPKG_ATTR_AUTHENTICATION_ID`: the logon session behind the context.
    AuthenticationId(Luid),
}

/// A security context: one side of one authentication.
pub trait SecurityContext: Send {
    fn package(&self) -> &'static PackageInfo;

    /// One `InitializeSecurityContext` leg (client contexts only).
    fn initialize(&mut self, _input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        Err(SecStatus::InvalidHandle)
    }

    /// One `AcceptSecurityContext` leg (server contexts only).
    fn accept(&mut self, _input: &HandshakeInput<'_>) -> SecResult<HandshakeOutput> {
        Err(SecStatus::InvalidHandle)
    }

    /// The token for the peer that the last failed leg produced, if any
    /// (Kerberos: the KRB-ERROR of a refused AP-REQ when the caller asked
    /// for ASC_REQ_EXTENDED_ERROR); the FFI layer hands it back with the
    /// failure status.
    fn error_token(&mut self) -> Option<Vec<u8>> {
        None
    }

    /// `CompleteAuthToken`.
    fn complete_auth_token(&mut self) -> SecResult<()> {
        Ok(())
    }

    /// True once the handshake has completed.
    fn is_established(&self) -> bool;

    fn make_signature(
        &mut self,
        qop: u32,
        message: &mut [MessageBuffer<'_>],
        seq_no: u32,
    ) -> SecResult<()>;

    /// Returns the QOP to report, or `None` to leave `*pfQOP` untouched.
    fn verify_signature(
        &mut self,
        message: &mut [MessageBuffer<'_>],
        seq_no: u32,
    ) -> SecResult<Option<u32>>;

    fn encrypt_message(
        &mut self,
        qop: u32,
        message: &mut [MessageBuffer<'_>],
        seq_no: u32,
    ) -> SecResult<()>;

    /// Returns the QOP to report, or `None` to leave `*pfQOP` untouched.
    fn decrypt_message(
        &mut self,
        message: &mut [MessageBuffer<'_>],
        seq_no: u32,
    ) -> SecResult<Option<u32>>;

    /// `QueryContextAttributes` (`SECPKG_ATTR_*`).
    fn query_attribute(&self, attribute: u32) -> SecResult<ContextAttribute>;

    /// Where the peer's EncryptMessage output lies in one `SECBUFFER_STREAM`
    /// buffer (`stream`: its bytes, possibly truncated), for DecryptMessage
    /// `[STREAM, DATA]` (BEHAVIOURS.md 96/96a); the FFI layer splits the
    /// stream. Default: `SECPKG_ATTR_STREAM_SIZES` header and trailer when
    /// the package has them, else a `cbSecurityTrailer`-byte header (the
    /// TOKEN of `[TOKEN, DATA]`: NTLM's 16-byte signature) and no trailer.
    /// A package whose header length varies reads it from `stream`.
    fn stream_layout(&self, _stream: &[u8]) -> SecResult<StreamLayout> {
        let sizes = match self.query_attribute(SECPKG_ATTR_STREAM_SIZES) {
            Ok(sizes) => sizes,
            Err(_) => self.query_attribute(SECPKG_ATTR_SIZES)?,
        };
        match sizes {
            ContextAttribute::StreamSizes {
                header, trailer, ..
            } => Ok(StreamLayout {
                header: header as usize,
                trailer: trailer as usize,
            }),
            ContextAttribute::Sizes {
                security_trailer, ..
            } => Ok(StreamLayout {
                header: security_trailer as usize,
                trailer: 0,
            }),
            _ => Err(SecStatus::InternalError),
        }
    }

    /// `SetContextAttributes`.
    fn set_attribute(&mut self, _attribute: u32, _value: &[u8]) -> SecResult<()> {
        Err(SecStatus::UnsupportedFunction)
    }

    /// `ExportSecurityContext`: serialise the established context (`fFlags`
    /// as the caller passed them; see [`super::export`]). On success with
    /// DELETE_OLD the caller retires this context.
    fn export(&self, _flags: u32) -> SecResult<Zeroizing<Vec<u8>>> {
        Err(SecStatus::UnsupportedFunction)
    }

    /// SPNEGO's mechListMIC (RFC 4178 §5): GSS_GetMIC over `data` with the
    /// established context. By default MakeSignature over one DATA buffer;
    /// a package whose MIC changes its state (NTLM) overrides it.
    fn mech_list_mic(&mut self, data: &[u8]) -> SecResult<Vec<u8>> {
        let ContextAttribute::Sizes { max_signature, .. } =
            self.query_attribute(crate::sspi::consts::SECPKG_ATTR_SIZES)?
        else {
            return Err(SecStatus::InternalError);
        };
        let mut sig = vec![0u8; max_signature as usize];
        let mut msg = mic_buffers(&mut sig, data);
        self.make_signature(0, &mut msg, 0)?;
        let n = msg[0].len();
        sig.truncate(n);
        Ok(sig)
    }

    /// Verify the peer's mechListMIC over `data` (GSS_VerifyMIC); by default
    /// VerifySignature. A wrong MIC is SEC_E_MESSAGE_ALTERED.
    fn verify_mech_list_mic(&mut self, data: &[u8], mic: &[u8]) -> SecResult<()> {
        let mut sig = mic.to_vec();
        let mut msg = mic_buffers(&mut sig, data);
        self.verify_signature(&mut msg, 0).map(|_| ())
    }

    /// The package's own handshake requires SPNEGO's mechListMIC exchange
    /// (MS-SPNG 3.1.5.1: NTLM when its AUTHENTICATE_MESSAGE carried a MIC).
    fn wants_mech_list_mic(&self) -> bool {
        false
    }

    /// The authenticated client's `(domain, user)` (server contexts), for
    /// impersonation and `QuerySecurityContextToken`.
    fn client_identity(&self) -> Option<(String, String)> {
        None
    }

    /// The authenticated client as its network logon session names it
    /// (server contexts; ImpersonateSecurityContext,
    /// QuerySecurityContextToken). By default [`Self::client_identity`]
    /// verified by this package; a package that verified more about the
    /// account (Kerberos: the PAC's SID, UPN, DNS domain, logon server)
    /// says so.
    fn network_identity(&self) -> Option<NetworkIdentity> {
        let (domain, user) = self.client_identity()?;
        Some(NetworkIdentity::new(&user, &domain, self.package().name))
    }

    /// The client's network logon session `logon_id` was created for this
    /// server context (ImpersonateSecurityContext, QuerySecurityContextToken):
    /// a package the client delegated credentials to gives them to that
    /// session (Windows keeps them as the logon session's credentials), so
    /// that AcquireCredentialsHandle with it (impersonating, or `pvLogonId`)
    /// reaches a next hop as the client. By default nothing.
    fn network_logon_created(&self, _logon_id: crate::lsa::Luid) {}
}

/// `[TOKEN(sig), DATA(data)]`, the buffers of a mechListMIC (the data is
/// only read: signing and verifying never write DATA, so no copy).
pub fn mic_buffers<'a>(sig: &'a mut [u8], data: &'a [u8]) -> [MessageBuffer<'a>; 2] {
    use super::consts::{SECBUFFER_DATA, SECBUFFER_TOKEN};
    [
        MessageBuffer::new(SECBUFFER_TOKEN, super::BufferData::Writable(sig)),
        MessageBuffer::new(SECBUFFER_DATA, super::BufferData::ReadOnly(data)),
    ]
}
