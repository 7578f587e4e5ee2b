//! Safe views of the caller's `SecBuffer`s, handed to packages.

use super::consts::{
    SECBUFFER_ATTRMASK, SECBUFFER_DATA, SECBUFFER_READONLY, SECBUFFER_READONLY_WITH_CHECKSUM,
};

/// The bytes of one buffer: read-only buffers may live in read-only memory,
/// so they are never handed out mutably.
#[derive(Debug)]
pub enum BufferData<'a> {
    ReadOnly(&'a [u8]),
    Writable(&'a mut [u8]),
}

/// One `SecBuffer` of a message (`MakeSignature`, `EncryptMessage`, ...),
/// borrowing the caller's memory.
#[derive(Debug)]
pub struct MessageBuffer<'a> {
    /// `SECBUFFER_*` type with the attribute bits masked off.
    pub kind: u32,
    /// `SECBUFFER_READONLY` / `SECBUFFER_READONLY_WITH_CHECKSUM` bits.
    pub attrs: u32,
    pub data: BufferData<'a>,
}

impl<'a> MessageBuffer<'a> {
    /// Wrap a raw `BufferType` (type and attribute bits) and its bytes.
    pub fn new(buffer_type: u32, data: BufferData<'a>) -> Self {
        MessageBuffer {
            kind: buffer_type & !SECBUFFER_ATTRMASK,
            attrs: buffer_type & SECBUFFER_ATTRMASK,
            data,
        }
    }

    /// The buffer's bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.data {
            BufferData::ReadOnly(b) => b,
            BufferData::Writable(b) => b,
        }
    }

    /// The bytes for writing, or `None` for a read-only buffer.
    pub fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.data {
            BufferData::ReadOnly(_) => None,
            BufferData::Writable(b) => Some(b),
        }
    }

    /// Shrink the buffer to `len` bytes (the FFI layer writes the new
    /// `cbBuffer` back). Growing is impossible and ignored.
    pub fn truncate(&mut self, len: usize) {
        match &mut self.data {
            BufferData::ReadOnly(b) => {
                if len < b.len() {
                    *b = &b[..len];
                }
            }
            BufferData::Writable(b) => {
                if len < b.len() {
                    let whole = std::mem::take(b);
                    *b = &mut whole[..len];
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// `SECBUFFER_READONLY`: neither signed nor encrypted.
    pub fn is_readonly(&self) -> bool {
        self.attrs & SECBUFFER_READONLY != 0
    }

    /// `SECBUFFER_READONLY_WITH_CHECKSUM`: signed but not encrypted.
    pub fn is_readonly_with_checksum(&self) -> bool {
        self.attrs & SECBUFFER_READONLY_WITH_CHECKSUM != 0
    }
}

/// What EncryptMessage / MakeSignature do with one buffer of a message
/// (MS-NLMP 3.4.3, MS-KILE 3.4.5.4; the DCE/RPC PDU layout, where the PDU
/// header and the auth trailer header are signed but travel in the clear).
/// The same rule as MIT's `gss_wrap_iov` buffer types DATA / SIGN_ONLY /
/// EMPTY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// `SECBUFFER_DATA`: signed, and sealed by EncryptMessage.
    Sealed,
    /// `SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM`: signed in place
    /// (in buffer order among the sealed bytes), never encrypted.
    SignOnly,
    /// `SECBUFFER_DATA | SECBUFFER_READONLY` and every non-DATA buffer:
    /// neither signed nor encrypted.
    Ignored,
}

impl MessageBuffer<'_> {
    /// How this buffer takes part in a protected message.
    pub fn protection(&self) -> Protection {
        if self.kind != SECBUFFER_DATA || self.is_readonly() {
            Protection::Ignored
        } else if self.is_readonly_with_checksum() {
            Protection::SignOnly
        } else {
            Protection::Sealed
        }
    }
}

/// The bytes a signature covers, in buffer order: every sealed and
/// sign-only buffer ([`MessageBuffer::protection`]).
pub fn signed_parts<'m>(buffers: &'m [MessageBuffer<'_>]) -> Vec<&'m [u8]> {
    buffers
        .iter()
        .filter(|b| b.protection() != Protection::Ignored)
        .map(|b| b.bytes())
        .collect()
}

/// How a protected message lies in one `SECBUFFER_STREAM` buffer
/// (DecryptMessage `[STREAM, DATA]`, BEHAVIOURS.md 96/96a): `header` bytes
/// (the TOKEN of the sender's `[TOKEN, DATA, PADDING]`), the data, then
/// `trailer` bytes (its PADDING). See `SecurityContext::stream_layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLayout {
    pub header: usize,
    pub trailer: usize,
}

impl StreamLayout {
    /// The data length of a `len`-byte stream, or `Err(missing)`: the bytes
    /// missing from a stream too short for the header and trailer
    /// (`SEC_E_INCOMPLETE_MESSAGE`, `SECBUFFER_MISSING`).
    pub fn data_len(&self, len: usize) -> Result<usize, usize> {
        let fixed = self.header.saturating_add(self.trailer);
        len.checked_sub(fixed).ok_or_else(|| fixed - len)
    }
}

/// Index of the first buffer of type `kind`.
pub fn find_buffer(buffers: &[MessageBuffer<'_>], kind: u32) -> Option<usize> {
    buffers.iter().position(|b| b.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protection_follows_the_attribute_bits() {
        use crate::sspi::consts::SECBUFFER_TOKEN;
        let mut b = [0u8; 1];
        let p = |t: u32, b: &mut [u8]| MessageBuffer::new(t, BufferData::Writable(b)).protection();
        assert_eq!(p(SECBUFFER_DATA, &mut b), Protection::Sealed);
        assert_eq!(
            p(SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM, &mut b),
            Protection::SignOnly
        );
        assert_eq!(
            p(SECBUFFER_DATA | SECBUFFER_READONLY, &mut b),
            Protection::Ignored
        );
        assert_eq!(
            p(
                SECBUFFER_DATA | SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM,
                &mut b
            ),
            Protection::Ignored
        );
        assert_eq!(p(SECBUFFER_TOKEN, &mut b), Protection::Ignored);
    }

    #[test]
    fn stream_split_counts_missing_bytes() {
        let ntlm = StreamLayout {
            header: 16,
            trailer: 0,
        };
        assert_eq!(ntlm.data_len(16), Ok(0));
        assert_eq!(ntlm.data_len(29), Ok(13));
        assert_eq!(ntlm.data_len(15), Err(1));
        assert_eq!(ntlm.data_len(0), Err(16));
        let framed = StreamLayout {
            header: 60,
            trailer: 8,
        };
        assert_eq!(framed.data_len(68), Ok(0));
        assert_eq!(framed.data_len(100), Ok(32));
        assert_eq!(framed.data_len(61), Err(7));
        let huge = StreamLayout {
            header: usize::MAX,
            trailer: 1,
        };
        assert_eq!(huge.data_len(10), Err(usize::MAX - 10));
    }
}
