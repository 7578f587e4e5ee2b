//! MakeSignature, VerifySignature, EncryptMessage, DecryptMessage.
#![allow(non_snake_case)]

use super::boundary::{sspi_call, write_opt, FfiResult};
use super::buffers::{desc_buffers, message_buffers, write_back_lengths};
use super::context::context;
use super::types::{CtxtHandle, SecBufferDesc, SECURITY_STATUS, ULONG};
use crate::sspi::consts::{
    ASC_RET_CONFIDENTIALITY, ISC_RET_CONFIDENTIALITY, SECPKG_ATTR_FLAGS, SECQOP_WRAP_NO_ENCRYPT,
};
use crate::sspi::{ContextAttribute, MessageBuffer, SecResult, SecStatus, SecurityContext, Step};

/// Borrow the message, run `op` on the established context, write the
/// buffer lengths back.
///
/// # Safety
/// `ph` and `desc` follow the SSPI contract.
unsafe fn with_message<T>(
    ph: *mut CtxtHandle,
    desc: *mut SecBufferDesc,
    op: impl FnOnce(&mut dyn SecurityContext, &mut [MessageBuffer<'_>]) -> SecResult<T>,
) -> SecResult<T> {
    // SAFETY: forwarded contract.
    let entry = unsafe { context(ph)? };
    if desc.is_null() {
        return Err(SecStatus::InvalidToken);
    }
    // SAFETY: forwarded contract.
    let bufs = unsafe { desc_buffers(desc)? };
    // SAFETY: the buffers' memory is valid for their lengths.
    let mut msgs = unsafe { message_buffers(bufs)? };
    let mut slot = entry.ctx.lock();
    let r = op(slot.established_mut()?, &mut msgs)?;
    write_back_lengths(bufs, &msgs);
    Ok(r)
}

const _: () = assert!(ISC_RET_CONFIDENTIALITY == ASC_RET_CONFIDENTIALITY);

/// Whether the context negotiated confidentiality (ISC_RET_ and
/// ASC_RET_CONFIDENTIALITY are the same bit); unknown counts as yes.
fn confidential(c: &dyn SecurityContext) -> bool {
    match c.query_attribute(SECPKG_ATTR_FLAGS) {
        Ok(ContextAttribute::Flags(f)) => f & ISC_RET_CONFIDENTIALITY != 0,
        _ => true,
    }
}

/// `MakeSignature`.
#[no_mangle]
pub unsafe extern "C" fn MakeSignature(
    phContext: *mut CtxtHandle,
    fQOP: ULONG,
    pMessage: *mut SecBufferDesc,
    MessageSeqNo: ULONG,
) -> SECURITY_STATUS {
    sspi_call(|| -> FfiResult {
        // SAFETY: checked inside.
        unsafe {
            with_message(phContext, pMessage, |c, m| {
                c.make_signature(fQOP, m, MessageSeqNo)
            })?
        };
        Ok(Step::Complete)
    })
}

/// `VerifySignature`. `*pfQOP` is written only when the package reports one.
#[no_mangle]
pub unsafe extern "C" fn VerifySignature(
    phContext: *mut CtxtHandle,
    pMessage: *mut SecBufferDesc,
    MessageSeqNo: ULONG,
    pfQOP: *mut ULONG,
) -> SECURITY_STATUS {
    sspi_call(|| -> FfiResult {
        // SAFETY: checked inside.
        let qop = unsafe {
            with_message(phContext, pMessage, |c, m| {
                c.verify_signature(m, MessageSeqNo)
            })?
        };
        if let Some(q) = qop {
            // SAFETY: optional output.
            unsafe { write_opt(pfQOP, q) };
        }
        Ok(Step::Complete)
    })
}

/// `EncryptMessage`.
#[no_mangle]
pub unsafe extern "C" fn EncryptMessage(
    phContext: *mut CtxtHandle,
    fQOP: ULONG,
    pMessage: *mut SecBufferDesc,
    MessageSeqNo: ULONG,
) -> SECURITY_STATUS {
    sspi_call(|| -> FfiResult {
        // SAFETY: checked inside.
        unsafe {
            with_message(phContext, pMessage, |c, m| {
                c.encrypt_message(fQOP, m, MessageSeqNo)
            })?
        };
        Ok(Step::Complete)
    })
}

/// `DecryptMessage`. `*pfQOP` is written only when the package reports one.
/// On a context that negotiated confidentiality, a message that was only
/// signed (the package reports SECQOP_WRAP_NO_ENCRYPT) is accepted only by
/// a caller who passed `pfQOP` and so can tell it from a sealed one; with
/// `pfQOP` NULL it is SEC_E_MESSAGE_ALTERED: a cleartext message (perhaps
/// forged from known key stream) must not pass for a sealed one.
#[no_mangle]
pub unsafe extern "C" fn DecryptMessage(
    phContext: *mut CtxtHandle,
    pMessage: *mut SecBufferDesc,
    MessageSeqNo: ULONG,
    pfQOP: *mut ULONG,
) -> SECURITY_STATUS {
    sspi_call(|| -> FfiResult {
        // SAFETY: checked inside.
        let qop = unsafe {
            with_message(phContext, pMessage, |c, m| {
                let qop = c.decrypt_message(m, MessageSeqNo)?;
                if qop == Some(SECQOP_WRAP_NO_ENCRYPT) && pfQOP.is_null() && confidential(c) {
                    return Err(SecStatus::MessageAltered);
                }
                Ok(qop)
            })?
        };
        if let Some(q) = qop {
            // SAFETY: optional output.
            unsafe { write_opt(pfQOP, q) };
        }
        Ok(Step::Complete)
    })
}
