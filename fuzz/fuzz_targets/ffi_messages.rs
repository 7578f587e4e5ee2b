//! The C ABI's message entry points (EncryptMessage, DecryptMessage,
//! MakeSignature, VerifySignature) on arbitrary SecBufferDesc layouts, on a
//! fresh pair established through the exports. Every buffer is its own
//! exact-size allocation, so any read or write past a buffer is a heap
//! overflow for AddressSanitizer; buffers may alias earlier ones (the
//! overlap rules), be NULL, carry any type and attribute bits.
//!
//! Input: byte 0 = operation and side; then up to 6 records of
//! [type selector, attribute bits, length, source] followed by data bytes.
#![no_main]
use std::ffi::c_void;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use opensspi::ffi::context::{
    AcceptSecurityContext, DeleteSecurityContext, InitializeSecurityContextW,
};
use opensspi::ffi::credentials::AcquireCredentialsHandleW;
use opensspi::ffi::messages::{DecryptMessage, EncryptMessage, MakeSignature, VerifySignature};
use opensspi::ffi::types::{
    CredHandle, CtxtHandle, SecBuffer, SecBufferDesc, SEC_WINNT_AUTH_IDENTITY_W,
};
use opensspi::sspi::consts::*;
use opensspi_fuzz::{user_file, ASC_REQ, ISC_REQ};

fn w(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

struct Creds {
    client: CredHandle,
    server: CredHandle,
}
// SAFETY: handles are plain numbers.
unsafe impl Send for Creds {}
unsafe impl Sync for Creds {}

static CREDS: OnceLock<Option<Creds>> = OnceLock::new();

fn creds() -> Option<&'static Creds> {
    CREDS
        .get_or_init(|| {
            user_file();
            let mut pkg = w("NTLM");
            let (mut user, mut dom, mut pw) = (w("testuser"), w("WORKGROUP"), w("testpass"));
            let mut id = SEC_WINNT_AUTH_IDENTITY_W {
                User: user.as_mut_ptr(),
                UserLength: 8,
                Domain: dom.as_mut_ptr(),
                DomainLength: 9,
                Password: pw.as_mut_ptr(),
                PasswordLength: 8,
                Flags: SEC_WINNT_AUTH_IDENTITY_UNICODE,
            };
            let mut c = CredHandle {
                dwLower: 0,
                dwUpper: 0,
            };
            let mut s = CredHandle {
                dwLower: 0,
                dwUpper: 0,
            };
            // SAFETY: valid arguments.
            unsafe {
                let a = AcquireCredentialsHandleW(
                    std::ptr::null_mut(),
                    pkg.as_mut_ptr(),
                    SECPKG_CRED_OUTBOUND,
                    std::ptr::null_mut(),
                    (&mut id as *mut SEC_WINNT_AUTH_IDENTITY_W).cast(),
                    None,
                    std::ptr::null_mut(),
                    &mut c,
                    std::ptr::null_mut(),
                );
                let b = AcquireCredentialsHandleW(
                    std::ptr::null_mut(),
                    pkg.as_mut_ptr(),
                    SECPKG_CRED_INBOUND,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    None,
                    std::ptr::null_mut(),
                    &mut s,
                    std::ptr::null_mut(),
                );
                (a == 0 && b == 0).then_some(Creds {
                    client: c,
                    server: s,
                })
            }
        })
        .as_ref()
}

/// ISC/ASC through the exports.
unsafe fn leg(
    isc: bool,
    cred: *mut CredHandle,
    ctx: *mut CtxtHandle,
    new: *mut CtxtHandle,
    input: &[u8],
) -> (i32, Vec<u8>) {
    let mut out = vec![0u8; 4096];
    let mut ib = SecBuffer {
        cbBuffer: input.len() as u32,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: input.as_ptr() as *mut c_void,
    };
    let mut id = SecBufferDesc {
        ulVersion: 0,
        cBuffers: 1,
        pBuffers: &mut ib,
    };
    let mut ob = SecBuffer {
        cbBuffer: 4096,
        BufferType: SECBUFFER_TOKEN,
        pvBuffer: out.as_mut_ptr().cast(),
    };
    let mut od = SecBufferDesc {
        ulVersion: 0,
        cBuffers: 1,
        pBuffers: &mut ob,
    };
    let mut attr = 0u32;
    let pin = if input.is_empty() {
        std::ptr::null_mut()
    } else {
        &mut id as *mut _
    };
    // SAFETY: all pointers valid for the call.
    let st = unsafe {
        if isc {
            InitializeSecurityContextW(
                cred,
                ctx,
                std::ptr::null_mut(),
                ISC_REQ,
                0,
                SECURITY_NATIVE_DREP,
                pin,
                0,
                new,
                &mut od,
                &mut attr,
                std::ptr::null_mut(),
            )
        } else {
            AcceptSecurityContext(
                cred,
                ctx,
                pin,
                ASC_REQ,
                SECURITY_NATIVE_DREP,
                new,
                &mut od,
                &mut attr,
                std::ptr::null_mut(),
            )
        }
    };
    out.truncate(ob.cbBuffer as usize);
    (st, out)
}

const TYPES: [u32; 8] = [
    SECBUFFER_TOKEN,
    SECBUFFER_DATA,
    SECBUFFER_EMPTY,
    SECBUFFER_PADDING,
    SECBUFFER_STREAM,
    SECBUFFER_EXTRA,
    0x7FFF,
    SECBUFFER_TOKEN,
];

fuzz_target!(|data: &[u8]| {
    let Some(cr) = creds() else { return };
    if data.is_empty() {
        return;
    }
    let mut cc = CredHandle {
        dwLower: cr.client.dwLower,
        dwUpper: cr.client.dwUpper,
    };
    let mut sc = CredHandle {
        dwLower: cr.server.dwLower,
        dwUpper: cr.server.dwUpper,
    };
    let mut c = CtxtHandle {
        dwLower: 0,
        dwUpper: 0,
    };
    let mut s = CtxtHandle {
        dwLower: 0,
        dwUpper: 0,
    };
    // SAFETY: a normal handshake through the exports.
    unsafe {
        let (st, neg) = leg(true, &mut cc, std::ptr::null_mut(), &mut c, &[]);
        if st != 0x0009_0312 {
            return;
        }
        let (st, chal) = leg(false, &mut sc, std::ptr::null_mut(), &mut s, &neg);
        if st != 0x0009_0312 {
            DeleteSecurityContext(&mut c);
            return;
        }
        let (_, auth) = leg(true, std::ptr::null_mut(), &mut c, &mut c, &chal);
        let (st, _) = leg(false, &mut sc, &mut s, &mut s, &auth);
        if st != 0 {
            DeleteSecurityContext(&mut c);
            DeleteSecurityContext(&mut s);
            return;
        }
    }
    // Build the buffers.
    let op = data[0];
    let mut rest = &data[1..];
    let mut storage: Vec<Vec<u8>> = Vec::new();
    let mut bufs: Vec<SecBuffer> = Vec::new();
    while rest.len() >= 4 && bufs.len() < 6 {
        let (sel, attrs, len, src) = (rest[0], rest[1], rest[2] as usize, rest[3]);
        rest = &rest[4..];
        let mut ty = TYPES[(sel & 7) as usize];
        if attrs & 1 != 0 {
            ty |= SECBUFFER_READONLY;
        }
        if attrs & 2 != 0 {
            ty |= SECBUFFER_READONLY_WITH_CHECKSUM;
        }
        let take = len.min(rest.len());
        let (ptr, cb) = match src % 4 {
            // Own allocation of exactly `len` bytes, filled from the input.
            0 | 1 => {
                let mut v = vec![0u8; len];
                v[..take].copy_from_slice(&rest[..take]);
                rest = &rest[take..];
                storage.push(v);
                let v = storage.last_mut().unwrap();
                (v.as_mut_ptr().cast::<c_void>(), len as u32)
            }
            // Alias an earlier buffer (same pointer, its length or less).
            2 if !bufs.is_empty() => {
                let b = &bufs[len % bufs.len()];
                (b.pvBuffer, b.cbBuffer.min(attrs as u32 >> 2))
            }
            // NULL with a length.
            _ => (std::ptr::null_mut(), len as u32),
        };
        bufs.push(SecBuffer {
            cbBuffer: cb,
            BufferType: ty,
            pvBuffer: ptr,
        });
    }
    let mut desc = SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: bufs.len() as u32,
        pBuffers: bufs.as_mut_ptr(),
    };
    let (ctx, peer) = if op & 1 == 0 {
        (&mut c, &mut s)
    } else {
        (&mut s, &mut c)
    };
    let mut qop = 0u32;
    // SAFETY: every buffer points into `storage` for its stated length, or is NULL.
    unsafe {
        match (op >> 1) % 4 {
            0 => {
                if EncryptMessage(ctx, 0, &mut desc, 0) == 0 {
                    let _ = DecryptMessage(peer, &mut desc, 0, &mut qop);
                }
            }
            1 => {
                let _ = DecryptMessage(ctx, &mut desc, 0, &mut qop);
            }
            2 => {
                if MakeSignature(ctx, 0, &mut desc, 0) == 0 {
                    let _ = VerifySignature(peer, &mut desc, 0, &mut qop);
                }
            }
            _ => {
                let _ = VerifySignature(ctx, &mut desc, 0, &mut qop);
            }
        }
        // Lengths written back never grow a buffer.
        for b in &bufs {
            if let Some(v) = storage
                .iter()
                .find(|v| v.as_ptr() as *mut c_void == b.pvBuffer)
            {
                assert!(
                    b.cbBuffer as usize <= v.len(),
                    "cbBuffer grew past its allocation"
                );
            }
        }
        DeleteSecurityContext(&mut c);
        DeleteSecurityContext(&mut s);
    }
});
