//! MakeSignature, VerifySignature, EncryptMessage, DecryptMessage. Buffers
//! are found by type, in any order (pyspnego and sspilib sign and verify
//! `[DATA, TOKEN]`); DecryptMessage also takes the stream form.
#![allow(non_snake_case)]

use super::boundary::{sspi_call, write_opt, FfiResult};
use super::buffers::{
    buffer_bytes, desc_buffers, mark_missing, message_buffers, stream_form, stream_message,
    write_back_lengths, INLINE_BUFFERS,
};
use super::context::{context, ContextEntry};
use super::types::{CtxtHandle, SecBuffer, SecBufferDesc, SECURITY_STATUS, ULONG};
use crate::sspi::consts::{
    ASC_RET_CONFIDENTIALITY, ISC_RET_CONFIDENTIALITY, SECBUFFER_EMPTY, SECPKG_ATTR_FLAGS,
    SECQOP_WRAP_NO_ENCRYPT,
};
use crate::sspi::{ContextAttribute, MessageBuffer, SecResult, SecStatus, SecurityContext, Step};
use crate::trace::reject;

/// Borrow the message, run `op` on the established context, write the
/// buffer lengths back. With `stream`, the stream form `[STREAM, DATA]` is
/// accepted too (see [`with_stream`]).
///
/// # Safety
/// `ph` and `desc` follow the SSPI contract.
unsafe fn with_message<T>(
    ph: *mut CtxtHandle,
    desc: *mut SecBufferDesc,
    stream: bool,
    op: impl FnOnce(&mut dyn SecurityContext, &mut [MessageBuffer<'_>]) -> SecResult<T>,
) -> SecResult<T> {
    // SAFETY: forwarded contract.
    let entry = unsafe { context(ph)? };
    if desc.is_null() {
        return Err(SecStatus::InvalidToken);
    }
    // SAFETY: forwarded contract.
    let bufs = unsafe { desc_buffers(desc)? };
    tracing::debug!(
        "buffers (type:bytes) {}",
        bufs.iter()
            .map(|b| format!("{}:{}", b.BufferType, b.cbBuffer))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if let Some(form) = stream.then(|| stream_form(bufs)).flatten() {
        // SAFETY: forwarded contract.
        return unsafe { with_stream(&entry, bufs, form?, op) };
    }
    // SAFETY: the buffers' memory is valid for their lengths.
    let mut msgs = unsafe { message_buffers(bufs)? };
    let mut slot = entry.ctx.lock();
    let r = op(slot.established_mut()?, &mut msgs)?;
    write_back_lengths(bufs, &msgs);
    Ok(r)
}

/// DecryptMessage's stream form `[STREAM, DATA]` (BEHAVIOURS.md 96/96a), for
/// every package: the package says where its header and trailer lie in the
/// stream (`SecurityContext::stream_layout`), `op` sees the `[TOKEN, DATA,
/// PADDING]` message inside the caller's STREAM memory, and on success the
/// caller's DATA `pvBuffer`/`cbBuffer` point at the plaintext there. A
/// stream shorter than header and trailer is `SEC_E_INCOMPLETE_MESSAGE`, and
/// a `SECBUFFER_EMPTY` buffer becomes `SECBUFFER_MISSING` (bytes missing).
///
/// # Safety
/// As [`with_message`]; `form` is what `stream_form(bufs)` returned.
unsafe fn with_stream<T>(
    entry: &ContextEntry,
    bufs: &mut [SecBuffer],
    form: (usize, usize),
    op: impl FnOnce(&mut dyn SecurityContext, &mut [MessageBuffer<'_>]) -> SecResult<T>,
) -> SecResult<T> {
    let mut slot = entry.ctx.lock();
    let ctx = slot.established_mut()?;
    // SAFETY: the STREAM buffer is valid for its length; this shared view
    // is used only during the call, before the message is borrowed below.
    let layout = ctx.stream_layout(unsafe { buffer_bytes(&bufs[form.0]) })?;
    let data_len = match layout.data_len(bufs[form.0].cbBuffer as usize) {
        Ok(n) => n,
        Err(missing) => {
            mark_missing(bufs, missing);
            return Err(SecStatus::IncompleteMessage);
        }
    };
    let empty = SecBuffer {
        cbBuffer: 0,
        BufferType: SECBUFFER_EMPTY,
        pvBuffer: std::ptr::null_mut(),
    };
    let mut inline = [empty; INLINE_BUFFERS];
    let mut heap = Vec::new();
    let out: &mut [SecBuffer] = if bufs.len() < INLINE_BUFFERS {
        &mut inline
    } else {
        heap.resize(bufs.len() + 1, empty);
        &mut heap
    };
    let (n, data_at) = stream_message(bufs, form, layout, data_len, out);
    let out = &out[..n];
    // SAFETY: the pieces lie inside the caller's STREAM buffer (header +
    // data + trailer = its length); the other buffers are the caller's own.
    let mut msgs = unsafe { message_buffers(out)? };
    let r = op(ctx, &mut msgs)?;
    let data = &mut bufs[form.1];
    data.pvBuffer = out[data_at].pvBuffer;
    data.cbBuffer = msgs[data_at].len() as u32;
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
            with_message(phContext, pMessage, false, |c, m| {
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
            with_message(phContext, pMessage, false, |c, m| {
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
            with_message(phContext, pMessage, false, |c, m| {
                c.encrypt_message(fQOP, m, MessageSeqNo)
            })?
        };
        Ok(Step::Complete)
    })
}

/// `DecryptMessage`, also in the stream form `[STREAM, DATA]` (BEHAVIOURS.md
/// 96/96a). `*pfQOP` is written only when the package reports one.
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
            with_message(phContext, pMessage, true, |c, m| {
                let qop = c.decrypt_message(m, MessageSeqNo)?;
                if qop == Some(SECQOP_WRAP_NO_ENCRYPT) && pfQOP.is_null() && confidential(c) {
                    return Err(reject!(
                        SecStatus::MessageAltered,
                        "a signed-only message on a sealing context, and no pfQOP to tell it"
                    ));
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
