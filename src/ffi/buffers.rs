//! Borrowing the caller's `SecBufferDesc`: descriptor checks, message
//! buffers for the packages, and output tokens.

use super::alloc::alloc_copy;
use super::types::{SecBuffer, SecBufferDesc};
use crate::sspi::consts::{
    SECBUFFER_ATTRMASK, SECBUFFER_DATA, SECBUFFER_EMPTY, SECBUFFER_MISSING, SECBUFFER_PADDING,
    SECBUFFER_READONLY, SECBUFFER_READONLY_WITH_CHECKSUM, SECBUFFER_STREAM, SECBUFFER_TOKEN,
    SECBUFFER_VERSION,
};
use crate::sspi::{BufferData, MessageBuffer, SecResult, SecStatus, StreamLayout};

/// More buffers than any SSPI call uses: a corrupt descriptor.
const MAX_BUFFERS: u32 = 256;

/// The descriptor's buffers; a NULL descriptor is an empty list.
///
/// # Safety
/// A non-NULL `desc` must be a valid `SecBufferDesc` whose `pBuffers` holds
/// `cBuffers` entries.
pub unsafe fn desc_buffers<'a>(desc: *mut SecBufferDesc) -> SecResult<&'a mut [SecBuffer]> {
    // SAFETY: caller contract.
    let Some(desc) = (unsafe { desc.as_mut() }) else {
        return Ok(&mut []);
    };
    if desc.ulVersion != SECBUFFER_VERSION {
        return Err(SecStatus::InvalidToken);
    }
    if desc.cBuffers == 0 {
        return Ok(&mut []);
    }
    if desc.pBuffers.is_null() || desc.cBuffers > MAX_BUFFERS {
        return Err(SecStatus::InvalidToken);
    }
    // SAFETY: non-NULL with cBuffers entries per the caller.
    Ok(unsafe { std::slice::from_raw_parts_mut(desc.pBuffers, desc.cBuffers as usize) })
}

/// The bytes of an input buffer (NULL is empty).
///
/// # Safety
/// `pvBuffer` must be valid for `cbBuffer` bytes when non-NULL.
pub unsafe fn buffer_bytes<'a>(b: &SecBuffer) -> &'a [u8] {
    if b.pvBuffer.is_null() || b.cbBuffer == 0 {
        &[]
    } else {
        // SAFETY: caller contract.
        unsafe { std::slice::from_raw_parts(b.pvBuffer as *const u8, b.cbBuffer as usize) }
    }
}

/// The first buffer of type `kind` (attribute bits ignored).
pub fn find(bufs: &[SecBuffer], kind: u32) -> Option<usize> {
    bufs.iter()
        .position(|b| b.BufferType & !SECBUFFER_ATTRMASK == kind)
}

/// Borrow every buffer of a message for a package. Overlapping buffers are
/// refused (`SEC_E_INVALID_TOKEN`): they cannot be borrowed safely.
///
/// # Safety
/// Every non-NULL `pvBuffer` must be valid for `cbBuffer` bytes, writable
/// unless marked read-only, and not used elsewhere during the call.
pub unsafe fn message_buffers<'a>(bufs: &[SecBuffer]) -> SecResult<MessageBuffers<'a>> {
    // A buffer of bytes that claims a length but has no memory.
    if bufs.iter().any(|b| {
        b.pvBuffer.is_null()
            && b.cbBuffer > 0
            && [SECBUFFER_DATA, SECBUFFER_TOKEN, SECBUFFER_STREAM]
                .contains(&(b.BufferType & !SECBUFFER_ATTRMASK))
    }) {
        return Err(SecStatus::InvalidToken);
    }
    if overlapping(bufs) {
        return Err(SecStatus::InvalidToken);
    }
    let borrow = |b: &SecBuffer| {
        let readonly = b.BufferType & (SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM) != 0;
        let data = if b.pvBuffer.is_null() || b.cbBuffer == 0 {
            BufferData::Writable(&mut [])
        } else if readonly {
            // SAFETY: caller contract; never written.
            BufferData::ReadOnly(unsafe {
                std::slice::from_raw_parts(b.pvBuffer as *const u8, b.cbBuffer as usize)
            })
        } else {
            // SAFETY: caller contract; spans checked disjoint above.
            BufferData::Writable(unsafe {
                std::slice::from_raw_parts_mut(b.pvBuffer as *mut u8, b.cbBuffer as usize)
            })
        };
        MessageBuffer::new(b.BufferType, data)
    };
    Ok(if bufs.len() <= INLINE_BUFFERS {
        MessageBuffers::Inline(
            bufs.len(),
            std::array::from_fn(|i| match bufs.get(i) {
                Some(b) => borrow(b),
                None => MessageBuffer::new(0, BufferData::Writable(&mut [])),
            }),
        )
    } else {
        MessageBuffers::Heap(bufs.iter().map(borrow).collect())
    })
}

/// Whether two non-empty buffers share memory.
fn overlapping(bufs: &[SecBuffer]) -> bool {
    // (start, end, writable) of a buffer with memory. Read-only buffers may
    // share memory (Windows accepts one header passed twice); a writable one
    // must not overlap anything, or it could not be borrowed mutably.
    let span = |b: &SecBuffer| {
        (!b.pvBuffer.is_null() && b.cbBuffer > 0).then(|| {
            let start = b.pvBuffer as usize;
            let readonly =
                b.BufferType & (SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM) != 0;
            (start, start + b.cbBuffer as usize, !readonly)
        })
    };
    let clash =
        |a: &(usize, usize, bool), b: &(usize, usize, bool)| (a.2 || b.2) && a.0 < b.1 && b.0 < a.1;
    if bufs.len() <= INLINE_BUFFERS {
        // Few buffers (every real call): compare each pair, no allocation.
        let spans: [Option<(usize, usize, bool)>; INLINE_BUFFERS] =
            std::array::from_fn(|i| bufs.get(i).and_then(span));
        return spans.iter().enumerate().any(|(i, a)| {
            spans[i + 1..].iter().any(|b| match (a, b) {
                (Some(a), Some(b)) => clash(a, b),
                _ => false,
            })
        });
    }
    let spans: Vec<(usize, usize, bool)> = bufs.iter().filter_map(span).collect();
    spans
        .iter()
        .enumerate()
        .any(|(i, a)| spans[i + 1..].iter().any(|b| clash(a, b)))
}

/// Messages with at most this many buffers are borrowed without allocating.
pub(crate) const INLINE_BUFFERS: usize = 6;

/// A message's buffers, borrowed (see [`message_buffers`]).
pub enum MessageBuffers<'a> {
    Inline(usize, [MessageBuffer<'a>; INLINE_BUFFERS]),
    Heap(Vec<MessageBuffer<'a>>),
}

impl<'a> std::ops::Deref for MessageBuffers<'a> {
    type Target = [MessageBuffer<'a>];
    fn deref(&self) -> &Self::Target {
        match self {
            MessageBuffers::Inline(n, a) => &a[..*n],
            MessageBuffers::Heap(v) => v,
        }
    }
}

impl std::ops::DerefMut for MessageBuffers<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            MessageBuffers::Inline(n, a) => &mut a[..*n],
            MessageBuffers::Heap(v) => v,
        }
    }
}

/// Write each message buffer's (possibly shrunk) length back to `cbBuffer`.
pub fn write_back_lengths(bufs: &mut [SecBuffer], msgs: &[MessageBuffer<'_>]) {
    for (b, m) in bufs.iter_mut().zip(msgs) {
        if !b.pvBuffer.is_null() && (m.len() as u32) < b.cbBuffer {
            b.cbBuffer = m.len() as u32;
        }
    }
}

/// `SECBUFFER_READONLY` or `SECBUFFER_READONLY_WITH_CHECKSUM`.
fn is_readonly(b: &SecBuffer) -> bool {
    b.BufferType & (SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM) != 0
}

/// DecryptMessage's stream form (BEHAVIOURS.md 96/96a): a `SECBUFFER_STREAM`
/// buffer holding the whole message and no TOKEN. Returns the indexes of
/// the STREAM buffer and of the DATA buffer that receives the plaintext
/// (the first DATA not marked read-only; usually empty, pvBuffer NULL), or
/// `None` for any other layout. A stream form without such a DATA buffer,
/// with a read-only STREAM (it is decrypted in place) or with a STREAM that
/// has a length and no memory is `SEC_E_INVALID_TOKEN`.
pub fn stream_form(bufs: &[SecBuffer]) -> Option<SecResult<(usize, usize)>> {
    let stream = find(bufs, SECBUFFER_STREAM)?;
    if find(bufs, SECBUFFER_TOKEN).is_some() {
        return None;
    }
    let s = &bufs[stream];
    if is_readonly(s) || (s.pvBuffer.is_null() && s.cbBuffer > 0) {
        return Some(Err(SecStatus::InvalidToken));
    }
    let data = bufs
        .iter()
        .position(|b| b.BufferType & !SECBUFFER_ATTRMASK == SECBUFFER_DATA && !is_readonly(b));
    Some(data.map(|d| (stream, d)).ok_or(SecStatus::InvalidToken))
}

/// The package's view of a stream-form message, in `out` (at least
/// `bufs.len() + 1` entries): the caller's buffers in order, with the
/// STREAM replaced by a TOKEN over its first `layout.header` bytes and the
/// output DATA by a DATA over the next `data_len` bytes, followed by a
/// PADDING over the trailer when there is one: the `[TOKEN, DATA, PADDING]`
/// message the sender's EncryptMessage produced, in the caller's STREAM
/// memory. SECBUFFER_EMPTY buffers are left out. Returns how many buffers
/// `out` holds and the index of its DATA.
pub fn stream_message(
    bufs: &[SecBuffer],
    (stream, data): (usize, usize),
    layout: StreamLayout,
    data_len: usize,
    out: &mut [SecBuffer],
) -> (usize, usize) {
    let base = bufs[stream].pvBuffer.cast::<u8>();
    let piece = |off: usize, len: usize, kind: u32| SecBuffer {
        cbBuffer: len as u32,
        BufferType: kind,
        pvBuffer: base.wrapping_add(off).cast(),
    };
    let (mut n, mut data_at) = (0, 0);
    for (i, b) in bufs.iter().enumerate() {
        if i == stream {
            out[n] = piece(0, layout.header, SECBUFFER_TOKEN);
        } else if i == data {
            data_at = n;
            out[n] = piece(layout.header, data_len, SECBUFFER_DATA);
            if layout.trailer > 0 {
                n += 1;
                out[n] = piece(layout.header + data_len, layout.trailer, SECBUFFER_PADDING);
            }
        } else if b.BufferType == SECBUFFER_EMPTY {
            continue;
        } else {
            out[n] = *b;
        }
        n += 1;
    }
    (n, data_at)
}

/// A truncated stream (`SEC_E_INCOMPLETE_MESSAGE`): as Schannel does, the
/// first `SECBUFFER_EMPTY` buffer becomes `SECBUFFER_MISSING` with
/// `cbBuffer` = the bytes missing.
pub fn mark_missing(bufs: &mut [SecBuffer], missing: usize) {
    if let Some(b) = bufs.iter_mut().find(|b| b.BufferType == SECBUFFER_EMPTY) {
        b.BufferType = SECBUFFER_MISSING;
        b.cbBuffer = u32::try_from(missing).unwrap_or(u32::MAX);
    }
}

/// Check before a first handshake leg that an output token can be returned
/// (BEHAVIOURS.md items 37-40), so that a failure creates no context.
///
/// # Safety
/// As [`desc_buffers`].
pub unsafe fn precheck_output(desc: *mut SecBufferDesc, allocate: bool) -> SecResult<()> {
    if desc.is_null() {
        return Err(SecStatus::BufferTooSmall);
    }
    // SAFETY: forwarded contract.
    let bufs = unsafe { desc_buffers(desc)? };
    let i = find(bufs, SECBUFFER_TOKEN).ok_or(SecStatus::BufferTooSmall)?;
    if !allocate {
        if bufs[i].cbBuffer == 0 {
            return Err(SecStatus::BufferTooSmall);
        }
        if bufs[i].pvBuffer.is_null() {
            return Err(SecStatus::InternalError);
        }
    }
    Ok(())
}

/// Return `token` in the output descriptor's TOKEN buffer: copied into the
/// caller's buffer, or in a new `FreeContextBuffer` block when `allocate`.
/// Returns whether memory was allocated.
///
/// # Safety
/// As [`desc_buffers`]; the TOKEN buffer must be writable for `cbBuffer`.
pub unsafe fn deliver_token(
    desc: *mut SecBufferDesc,
    token: &[u8],
    allocate: bool,
) -> SecResult<bool> {
    // SAFETY: forwarded contract.
    let bufs = unsafe { desc_buffers(desc)? };
    let Some(i) = find(bufs, SECBUFFER_TOKEN) else {
        return if token.is_empty() {
            Ok(false)
        } else {
            Err(SecStatus::BufferTooSmall)
        };
    };
    let b = &mut bufs[i];
    if allocate {
        if token.is_empty() {
            b.pvBuffer = std::ptr::null_mut();
            b.cbBuffer = 0;
            return Ok(false);
        }
        b.pvBuffer = alloc_copy(token)?.cast();
        b.cbBuffer = token.len() as u32;
        return Ok(true);
    }
    if token.is_empty() {
        b.cbBuffer = 0;
        return Ok(false);
    }
    if b.pvBuffer.is_null() || (b.cbBuffer as usize) < token.len() {
        return Err(SecStatus::BufferTooSmall);
    }
    // SAFETY: the caller's buffer holds at least token.len() bytes.
    unsafe { std::ptr::copy_nonoverlapping(token.as_ptr(), b.pvBuffer as *mut u8, token.len()) };
    b.cbBuffer = token.len() as u32;
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_check_is_the_same_for_few_and_many_buffers() {
        let mut mem = [0u8; 64];
        let base = mem.as_mut_ptr();
        let buf = |off: usize, len: u32| SecBuffer {
            cbBuffer: len,
            BufferType: SECBUFFER_DATA,
            // SAFETY: offsets stay inside `mem` (test only).
            pvBuffer: unsafe { base.add(off) }.cast(),
        };
        let empty = SecBuffer {
            cbBuffer: 0,
            BufferType: SECBUFFER_DATA,
            pvBuffer: std::ptr::null_mut(),
        };
        let cases: [(&[(usize, u32)], bool); 7] = [
            (&[], false),
            (&[(0, 8), (8, 8)], false),
            (&[(0, 9), (8, 8)], true),
            (&[(8, 8), (0, 9)], true),
            (&[(0, 8), (0, 8)], true),
            (&[(0, 32), (40, 4), (4, 2)], true),
            (&[(0, 0), (0, 8), (8, 0)], false),
        ];
        for (spans, want) in cases {
            let few: Vec<SecBuffer> = spans.iter().map(|&(o, l)| buf(o, l)).collect();
            assert_eq!(overlapping(&few), want, "{spans:?}");
            // The same with enough empty buffers to take the sorting path.
            let mut many: Vec<SecBuffer> = (0..INLINE_BUFFERS).map(|_| empty).collect();
            many.extend(spans.iter().map(|&(o, l)| buf(o, l)));
            assert_eq!(overlapping(&many), want, "{spans:?} (many)");
            // SAFETY: the spans are inside `mem`, which outlives the borrow.
            let msgs = unsafe { message_buffers(&many) };
            assert_eq!(msgs.is_err(), want);
            if let Ok(m) = msgs {
                assert_eq!(m.len(), many.len());
            }
        }
    }

    #[test]
    fn stream_form_becomes_token_data_padding_inside_the_stream() {
        let mut mem = [0u8; 20];
        let base = mem.as_mut_ptr();
        let buf = |kind: u32, len: u32, p: *mut u8| SecBuffer {
            cbBuffer: len,
            BufferType: kind,
            pvBuffer: p.cast(),
        };
        let null = std::ptr::null_mut();
        let mut bufs = [
            buf(SECBUFFER_STREAM, 20, base),
            buf(SECBUFFER_EMPTY, 0, null),
            buf(SECBUFFER_DATA, 0, null),
        ];
        let form = stream_form(&bufs).unwrap().unwrap();
        assert_eq!(form, (0, 2));
        let layout = StreamLayout {
            header: 16,
            trailer: 3,
        };
        let empty = buf(SECBUFFER_EMPTY, 0, null);
        let mut out = [empty; 4];
        let (n, data_at) = stream_message(&bufs, form, layout, 1, &mut out);
        assert_eq!((n, data_at), (3, 1));
        let at = |b: &SecBuffer| {
            (
                b.BufferType,
                b.pvBuffer as usize - base as usize,
                b.cbBuffer,
            )
        };
        assert_eq!(at(&out[0]), (SECBUFFER_TOKEN, 0, 16));
        assert_eq!(at(&out[1]), (SECBUFFER_DATA, 16, 1));
        assert_eq!(at(&out[2]), (SECBUFFER_PADDING, 17, 3));
        mark_missing(&mut bufs, 5);
        assert_eq!(
            (bufs[1].BufferType, bufs[1].cbBuffer),
            (SECBUFFER_MISSING, 5)
        );
        // Not the stream form: a TOKEN is present, or no STREAM.
        let tok = [
            buf(SECBUFFER_STREAM, 20, base),
            buf(SECBUFFER_TOKEN, 0, null),
        ];
        assert!(stream_form(&tok).is_none());
        assert!(stream_form(&bufs[1..]).is_none());
        // The stream form without an output DATA, or with a read-only STREAM.
        let no_data = [buf(SECBUFFER_STREAM, 20, base)];
        assert_eq!(stream_form(&no_data), Some(Err(SecStatus::InvalidToken)));
        let ro = [
            buf(SECBUFFER_STREAM | SECBUFFER_READONLY, 20, base),
            buf(SECBUFFER_DATA, 0, null),
        ];
        assert_eq!(stream_form(&ro), Some(Err(SecStatus::InvalidToken)));
    }

    #[test]
    fn read_only_buffers_may_share_memory_writable_ones_may_not() {
        let mut mem = [0u8; 32];
        let p = mem.as_mut_ptr().cast();
        let ro = |t: u32| SecBuffer {
            cbBuffer: 16,
            BufferType: SECBUFFER_DATA | t,
            pvBuffer: p,
        };
        // One header passed twice, read-only both times: accepted.
        assert!(!overlapping(&[
            ro(SECBUFFER_READONLY_WITH_CHECKSUM),
            ro(SECBUFFER_READONLY)
        ]));
        // A writable buffer over a read-only one: refused.
        assert!(overlapping(&[ro(SECBUFFER_READONLY), ro(0)]));
        assert!(overlapping(&[ro(0), ro(0)]));
    }
}
