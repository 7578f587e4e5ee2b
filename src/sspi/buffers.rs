//! Safe views of the caller's `SecBuffer`s, handed to packages.

use super::consts::{SECBUFFER_ATTRMASK, SECBUFFER_READONLY, SECBUFFER_READONLY_WITH_CHECKSUM};

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

/// Index of the first buffer of type `kind`.
pub fn find_buffer(buffers: &[MessageBuffer<'_>], kind: u32) -> Option<usize> {
    buffers.iter().position(|b| b.kind == kind)
}
