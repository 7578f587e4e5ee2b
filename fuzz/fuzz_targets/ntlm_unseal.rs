//! DecryptMessage / VerifySignature (and the sending side for contrast) on
//! arbitrary buffers of an established NTLM pair. Input: byte 0 selects the
//! operation and side, byte 1 the token length (0..=32), byte 2 buffer
//! attribute bits; the rest is token then data. Every input gets a fresh
//! pair, so a crash reproduces from its input alone.
#![no_main]
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use opensspi::sspi::consts::*;
use opensspi::sspi::{BufferData, Credential, MessageBuffer, SecurityContext};
use opensspi_fuzz::*;

type Creds = (Arc<dyn Credential>, Arc<dyn Credential>);
static CREDS: OnceLock<Option<Creds>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((cc, sc)) = CREDS.get_or_init(|| Some((client_cred().ok()?, server_cred().ok()?)))
    else {
        return;
    };
    let Ok((mut c, mut s)) = pair(cc, sc) else {
        return;
    };
    if data.len() < 3 {
        return;
    }
    let (op, toklen, attrs) = (data[0], (data[1] % 33) as usize, data[2]);
    let rest = &data[3..];
    let toklen = toklen.min(rest.len());
    let mut tok = rest[..toklen].to_vec();
    let mut msg = rest[toklen..].to_vec();
    let tok_type = SECBUFFER_TOKEN
        | if attrs & 1 != 0 {
            SECBUFFER_READONLY
        } else {
            0
        };
    let data_type = SECBUFFER_DATA
        | if attrs & 2 != 0 {
            SECBUFFER_READONLY_WITH_CHECKSUM
        } else {
            0
        }
        | if attrs & 4 != 0 {
            SECBUFFER_READONLY
        } else {
            0
        };
    let mut bufs = vec![
        MessageBuffer::new(tok_type, BufferData::Writable(&mut tok)),
        MessageBuffer::new(data_type, BufferData::Writable(&mut msg)),
    ];
    if attrs & 8 != 0 {
        bufs.swap(0, 1);
    }
    let ctx: &mut Box<dyn SecurityContext> = if op & 1 == 0 { &mut s } else { &mut c };
    let seq = u32::from(attrs >> 4);
    let _ = match (op >> 1) % 4 {
        0 => ctx.decrypt_message(&mut bufs, seq).map(|_| ()),
        1 => ctx.verify_signature(&mut bufs, seq).map(|_| ()),
        2 => ctx.encrypt_message(0, &mut bufs, seq),
        _ => ctx.make_signature(0, &mut bufs, seq),
    };
});
