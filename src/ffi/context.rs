//! InitializeSecurityContext, AcceptSecurityContext and the other
//! context-handle entry points that are not about messages or attributes.
#![allow(non_snake_case)]

use std::sync::Arc;

use once_cell::sync::OnceCell;
use parking_lot::Mutex;

use super::boundary::{mut_or, sspi_call, write_opt, FfiResult};
use super::buffers::{buffer_bytes, deliver_token, desc_buffers, find, precheck_output};
use super::handles::{HandleKind, HandleTable};
use super::lsa::lsa;
use super::recent_credentials::with_credential;
use super::slot::ContextSlot;
use super::strings::{read_z, Charset};
use super::tokens::new_token;
use super::types::{
    CredHandle, CtxtHandle, SecBufferDesc, TimeStamp, HANDLE, SECURITY_STATUS, SEC_CHAR, SEC_WCHAR,
    ULONG,
};
use crate::lsa::{revert_to_self, Luid};
use crate::sspi::consts::*;
use crate::sspi::{HandshakeInput, HandshakeOutput, SecResult, SecStatus, SecurityContext};

/// A context handle's object.
pub struct ContextEntry {
    pub ctx: Mutex<ContextSlot>,
    /// Created by InitializeSecurityContext (else AcceptSecurityContext).
    pub initiator: bool,
    /// The client's network logon session (server contexts), made by the
    /// first ImpersonateSecurityContext or QuerySecurityContextToken and
    /// ended with the context.
    network_logon: OnceCell<Luid>,
}

impl ContextEntry {
    pub fn new(ctx: Box<dyn SecurityContext>, initiator: bool) -> Arc<Self> {
        Arc::new(ContextEntry {
            ctx: Mutex::new(ContextSlot::new(ctx)),
            initiator,
            network_logon: OnceCell::new(),
        })
    }

    /// The network logon session of the authenticated client of a server
    /// context, created on first use: the client as the package verified it
    /// ([`SecurityContext::network_identity`]: names, and with a Kerberos
    /// PAC its SID, UPN, DNS domain and logon server) and the credentials
    /// the client delegated. A client context or an unfinished one →
    /// `SEC_E_NO_IMPERSONATION`.
    fn network_logon(&self) -> SecResult<Luid> {
        if self.initiator {
            return Err(SecStatus::NoImpersonation);
        }
        self.network_logon
            .get_or_try_init(|| {
                let identity = {
                    let slot = self.ctx.lock();
                    let ctx = slot.established().map_err(|_| SecStatus::NoImpersonation)?;
                    ctx.network_identity().ok_or(SecStatus::NoImpersonation)?
                };
                let luid = lsa()
                    .and_then(|l| l.network_logon_with(&identity))
                    .map_err(|_| SecStatus::InternalError)?;
                // Delegated credentials become the session's.
                if let Ok(ctx) = self.ctx.lock().established() {
                    ctx.network_logon_created(luid);
                }
                Ok(luid)
            })
            .copied()
    }
}

/// The context's network logon session ends with it (Windows ends a
/// logon session when its last token goes).
impl Drop for ContextEntry {
    fn drop(&mut self) {
        if let (Some(luid), Ok(l)) = (self.network_logon.get(), lsa()) {
            let _ = l.logoff(*luid);
        }
    }
}

/// Every live context handle.
pub static CONTEXTS: HandleTable<ContextEntry> = HandleTable::new(HandleKind::Context);

/// The context behind a handle pointer.
///
/// # Safety
/// A non-NULL `ph` must point to a `CtxtHandle`.
pub unsafe fn context(ph: *const CtxtHandle) -> Result<Arc<ContextEntry>, SecStatus> {
    // SAFETY: caller contract.
    let h = unsafe { ph.as_ref() }.ok_or(SecStatus::InvalidHandle)?;
    CONTEXTS.get(h)
}

/// The handshake input of a call: its TOKEN and CHANNEL_BINDINGS buffers.
///
/// # Safety
/// As `desc_buffers`.
unsafe fn handshake_input<'a>(
    input: *mut SecBufferDesc,
    target: Option<&'a str>,
    context_req: u32,
    data_rep: u32,
) -> SecResult<HandshakeInput<'a>> {
    // SAFETY: forwarded contract.
    let bufs = unsafe { desc_buffers(input)? };
    // SAFETY: each buffer is valid for its length.
    let token = find(bufs, SECBUFFER_TOKEN).map(|i| unsafe { buffer_bytes(&bufs[i]) });
    // SAFETY: as above.
    let channel_bindings =
        find(bufs, SECBUFFER_CHANNEL_BINDINGS).map(|i| unsafe { buffer_bytes(&bufs[i]) });
    tracing::debug!(
        "target {:?}, req 0x{context_req:08X}, input token {} bytes, channel bindings {}",
        target.unwrap_or(""),
        token.map_or(0, <[u8]>::len),
        channel_bindings.map_or("none".into(), |c| format!("{} bytes", c.len()))
    );
    Ok(HandshakeInput {
        token,
        channel_bindings,
        target,
        context_req,
        data_rep,
    })
}

/// Hand a leg's output back: token, attributes, expiry.
///
/// # Safety
/// Output pointers follow the SSPI contract.
unsafe fn finish_leg(
    out: &HandshakeOutput,
    allocate: bool,
    output: *mut SecBufferDesc,
    attr: *mut ULONG,
    expiry: *mut TimeStamp,
) -> FfiResult {
    let step = out.step.ok_or(SecStatus::InternalError)?;
    tracing::debug!(
        "output token {} bytes, context attributes 0x{:08X}",
        out.token.len(),
        out.context_attr
    );
    // SAFETY: forwarded contract.
    let allocated = unsafe { deliver_token(output, &out.token, allocate)? };
    let flags = out.context_attr
        | if allocated {
            ISC_RET_ALLOCATED_MEMORY
        } else {
            0
        };
    // SAFETY: optional outputs.
    unsafe {
        write_opt(attr, flags);
        write_opt(expiry, out.expiry);
    }
    Ok(step)
}

/// A leg on an existing context. When its output cannot be handed back
/// (buffer too small, no memory, bad descriptor), the context keeps it and
/// stays unusable until a retry with the same input delivers it
/// ([`ContextSlot`]); a first leg needs nothing of the kind, since its
/// context is only created once the output was delivered.
///
/// # Safety
/// As [`finish_leg`].
unsafe fn next_leg(
    entry: &ContextEntry,
    hs: &HandshakeInput<'_>,
    allocate: bool,
    output: *mut SecBufferDesc,
    attr: *mut ULONG,
    expiry: *mut TimeStamp,
) -> FfiResult {
    let mut slot = entry.ctx.lock();
    let out = slot.leg(hs, entry.initiator)?;
    // SAFETY: forwarded contract.
    match unsafe { finish_leg(&out, allocate, output, attr, expiry) } {
        Ok(step) => Ok(step),
        Err(e) => {
            slot.hold(out, hs);
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
unsafe fn initialize(
    ph_cred: *mut CredHandle,
    ph_ctx: *mut CtxtHandle,
    target: *const u8,
    req: ULONG,
    data_rep: ULONG,
    input: *mut SecBufferDesc,
    ph_new: *mut CtxtHandle,
    output: *mut SecBufferDesc,
    attr: *mut ULONG,
    expiry: *mut TimeStamp,
    cs: Charset,
) -> FfiResult {
    // SAFETY: a non-NULL target is NUL-terminated.
    let target = unsafe { read_z(target, cs)? };
    let allocate = req & ISC_REQ_ALLOCATE_MEMORY != 0;
    // SAFETY: forwarded contract.
    let hs = unsafe { handshake_input(input, target.as_deref(), req, data_rep)? };
    if !ph_ctx.is_null() {
        // SAFETY: checked non-NULL.
        let entry = unsafe { context(ph_ctx)? };
        if !entry.initiator {
            return Err(SecStatus::InvalidHandle);
        }
        if !ph_new.is_null() && ph_new != ph_ctx {
            // SAFETY: both are valid handle pointers.
            unsafe { *ph_new = *ph_ctx };
        }
        // SAFETY: forwarded contract.
        return unsafe { next_leg(&entry, &hs, allocate, output, attr, expiry) };
    }
    // SAFETY: a non-NULL handle pointer is readable.
    let h_cred = unsafe { ph_cred.as_ref() }.ok_or(SecStatus::InvalidHandle)?;
    let (new_handle, mut ctx) = with_credential(h_cred, |cred| {
        if !cred.usage().can_initiate() {
            return Err(SecStatus::NoCredentials);
        }
        // SAFETY: the new-context output must be writable.
        let new_handle = unsafe { mut_or(ph_new, SecStatus::InvalidHandle)? };
        // SAFETY: forwarded contract.
        unsafe { precheck_output(output, allocate)? };
        Ok((new_handle, cred.new_initiator(target.as_deref(), req)?))
    })?;
    let out = ctx.initialize(&hs)?;
    // SAFETY: forwarded contract.
    let step = unsafe { finish_leg(&out, allocate, output, attr, expiry)? };
    *new_handle = CONTEXTS.insert(ContextEntry::new(ctx, true));
    Ok(step)
}

/// `InitializeSecurityContextW`.
#[no_mangle]
pub unsafe extern "C" fn InitializeSecurityContextW(
    phCredential: *mut CredHandle,
    phContext: *mut CtxtHandle,
    pszTargetName: *mut SEC_WCHAR,
    fContextReq: ULONG,
    _Reserved1: ULONG,
    TargetDataRep: ULONG,
    pInput: *mut SecBufferDesc,
    _Reserved2: ULONG,
    phNewContext: *mut CtxtHandle,
    pOutput: *mut SecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: *mut TimeStamp,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: pointers follow the SSPI contract; NULLs are checked inside.
        unsafe {
            initialize(
                phCredential,
                phContext,
                pszTargetName.cast(),
                fContextReq,
                TargetDataRep,
                pInput,
                phNewContext,
                pOutput,
                pfContextAttr,
                ptsExpiry,
                Charset::Wide,
            )
        }
    })
}

/// `InitializeSecurityContextA`.
#[no_mangle]
pub unsafe extern "C" fn InitializeSecurityContextA(
    phCredential: *mut CredHandle,
    phContext: *mut CtxtHandle,
    pszTargetName: *mut SEC_CHAR,
    fContextReq: ULONG,
    _Reserved1: ULONG,
    TargetDataRep: ULONG,
    pInput: *mut SecBufferDesc,
    _Reserved2: ULONG,
    phNewContext: *mut CtxtHandle,
    pOutput: *mut SecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: *mut TimeStamp,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: pointers follow the SSPI contract; NULLs are checked inside.
        unsafe {
            initialize(
                phCredential,
                phContext,
                pszTargetName.cast(),
                fContextReq,
                TargetDataRep,
                pInput,
                phNewContext,
                pOutput,
                pfContextAttr,
                ptsExpiry,
                Charset::Ansi,
            )
        }
    })
}

#[allow(clippy::too_many_arguments)]
unsafe fn accept(
    ph_cred: *mut CredHandle,
    ph_ctx: *mut CtxtHandle,
    input: *mut SecBufferDesc,
    req: ULONG,
    data_rep: ULONG,
    ph_new: *mut CtxtHandle,
    output: *mut SecBufferDesc,
    attr: *mut ULONG,
    expiry: *mut TimeStamp,
) -> FfiResult {
    let allocate = req & ASC_REQ_ALLOCATE_MEMORY != 0;
    // SAFETY: forwarded contract.
    let hs = unsafe { handshake_input(input, None, req, data_rep)? };
    if !ph_ctx.is_null() {
        // SAFETY: checked non-NULL.
        let entry = unsafe { context(ph_ctx)? };
        if entry.initiator {
            return Err(SecStatus::InvalidHandle);
        }
        if !ph_new.is_null() && ph_new != ph_ctx {
            // SAFETY: both are valid handle pointers.
            unsafe { *ph_new = *ph_ctx };
        }
        // SAFETY: forwarded contract.
        return unsafe { next_leg(&entry, &hs, allocate, output, attr, expiry) };
    }
    // SAFETY: a non-NULL handle pointer is readable.
    let h_cred = unsafe { ph_cred.as_ref() }.ok_or(SecStatus::InvalidHandle)?;
    let (new_handle, mut ctx) = with_credential(h_cred, |cred| {
        if !cred.usage().can_accept() {
            return Err(SecStatus::InvalidHandle);
        }
        // SAFETY: the new-context output must be writable.
        let new_handle = unsafe { mut_or(ph_new, SecStatus::InvalidHandle)? };
        Ok((new_handle, cred.new_acceptor(req)?))
    })?;
    let out = match ctx.accept(&hs) {
        Ok(out) => out,
        Err(e) => {
            if let Some(token) = ctx.error_token() {
                // SAFETY: forwarded contract. The failure status wins over
                // a failure to deliver the error token.
                let _ = unsafe { deliver_token(output, &token, allocate) };
            }
            return Err(e);
        }
    };
    // SAFETY: forwarded contract.
    let step = unsafe { finish_leg(&out, allocate, output, attr, expiry)? };
    *new_handle = CONTEXTS.insert(ContextEntry::new(ctx, false));
    Ok(step)
}

/// `AcceptSecurityContext`.
#[no_mangle]
pub unsafe extern "C" fn AcceptSecurityContext(
    phCredential: *mut CredHandle,
    phContext: *mut CtxtHandle,
    pInput: *mut SecBufferDesc,
    fContextReq: ULONG,
    TargetDataRep: ULONG,
    phNewContext: *mut CtxtHandle,
    pOutput: *mut SecBufferDesc,
    pfContextAttr: *mut ULONG,
    ptsExpiry: *mut TimeStamp,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: pointers follow the SSPI contract; NULLs are checked inside.
        unsafe {
            accept(
                phCredential,
                phContext,
                pInput,
                fContextReq,
                TargetDataRep,
                phNewContext,
                pOutput,
                pfContextAttr,
                ptsExpiry,
            )
        }
    })
}

/// `CompleteAuthToken`.
#[no_mangle]
pub unsafe extern "C" fn CompleteAuthToken(
    phContext: *mut CtxtHandle,
    _pToken: *mut SecBufferDesc,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: checked inside.
        let entry = unsafe { context(phContext)? };
        entry.ctx.lock().context_mut()?.complete_auth_token()?;
        Ok(crate::sspi::Step::Complete)
    })
}

/// `DeleteSecurityContext`: the handle dies at once; a call running on
/// another thread finishes with its own reference.
#[no_mangle]
pub unsafe extern "C" fn DeleteSecurityContext(phContext: *mut CtxtHandle) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: a non-NULL handle pointer is readable.
        let h = unsafe { phContext.as_ref() }.ok_or(SecStatus::InvalidHandle)?;
        CONTEXTS.remove(h)?;
        Ok(crate::sspi::Step::Complete)
    })
}

/// `ApplyControlToken`: a Schannel feature; no package here has it
/// (BEHAVIOURS.md item 108).
#[no_mangle]
pub unsafe extern "C" fn ApplyControlToken(
    phContext: *mut CtxtHandle,
    _pInput: *mut SecBufferDesc,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: checked inside.
        unsafe { context(phContext)? };
        Err(SecStatus::UnsupportedFunction)
    })
}

/// `ImpersonateSecurityContext`: the calling thread acts for the
/// authenticated client of a server context. The client's network logon
/// session (LogonType Network, no credentials) becomes the thread's
/// session, the one `SspiImpersonateLoggedOnUser` sets: default credentials
/// are then the client's, so `AcquireCredentialsHandle(NULL, OUTBOUND)`
/// fails with `SEC_E_NO_CREDENTIALS` instead of yielding the service's.
#[no_mangle]
pub unsafe extern "C" fn ImpersonateSecurityContext(phContext: *mut CtxtHandle) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: checked inside.
        let entry = unsafe { context(phContext)? };
        let luid = entry.network_logon()?;
        lsa()
            .and_then(|l| l.impersonate(luid))
            .map_err(|_| SecStatus::InternalError)?;
        Ok(crate::sspi::Step::Complete)
    })
}

/// `RevertSecurityContext`: the thread stops impersonating.
#[no_mangle]
pub unsafe extern "C" fn RevertSecurityContext(phContext: *mut CtxtHandle) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: checked inside.
        unsafe { context(phContext)? };
        revert_to_self();
        Ok(crate::sspi::Step::Complete)
    })
}

/// `QuerySecurityContextToken`: a token (close it with `SspiCloseHandle`)
/// naming the client's network logon session of a server context; a
/// client context or an unfinished one → `SEC_E_NO_IMPERSONATION`.
#[no_mangle]
pub unsafe extern "C" fn QuerySecurityContextToken(
    phContext: *mut CtxtHandle,
    Token: *mut HANDLE,
) -> SECURITY_STATUS {
    sspi_call(|| {
        // SAFETY: checked inside.
        let entry = unsafe { context(phContext)? };
        if Token.is_null() {
            return Err(SecStatus::InvalidParameter);
        }
        let luid = entry.network_logon()?;
        // SAFETY: checked non-NULL.
        unsafe { *Token = new_token(luid) };
        Ok(crate::sspi::Step::Complete)
    })
}
