//! EncryptMessage / DecryptMessage / MakeSignature / VerifySignature over
//! several buffers (MS-KILE 3.4.5.4, the DCE/RPC PDU layout): DATA sealed as
//! one message in order, DATA|READONLY_WITH_CHECKSUM signed where it stands
//! and never encrypted, DATA|READONLY ignored; for every etype.

use super::tests::side;
use super::*;
use crate::packages::kerberos::crypto::random_key;
use crate::sspi::BufferData;

const ETYPES: [EncryptionType; 5] = [
    EncryptionType::Aes128CtsHmacSha196,
    EncryptionType::Aes256CtsHmacSha196,
    EncryptionType::Aes128CtsHmacSha256128,
    EncryptionType::Aes256CtsHmacSha384192,
    EncryptionType::Rc4Hmac,
];

const RO_CK: u32 = SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM;
const RO: u32 = SECBUFFER_DATA | SECBUFFER_READONLY;

/// A DCE/RPC-like message: PDU header (sign-only), two stub pieces (sealed),
/// an ignored read-only buffer, the auth trailer header (sign-only).
struct Pdu {
    header: Vec<u8>,
    stub1: Vec<u8>,
    stub2: Vec<u8>,
    ignored: Vec<u8>,
    trailer: Vec<u8>,
    token: Vec<u8>,
    padding: Vec<u8>,
}

const STUB1: &[u8] = b"the first stub piece, sealed";
const STUB2: &[u8] = b"and the second one";

impl Pdu {
    fn new() -> Self {
        Pdu {
            header: b"\x05\x00\x00\x03\x10\x00\x00\x00PDU header".to_vec(),
            stub1: STUB1.to_vec(),
            stub2: STUB2.to_vec(),
            ignored: b"not protected".to_vec(),
            trailer: b"\x10\x06\x08\x00\x00\x00\x00\x00".to_vec(),
            token: vec![0u8; 80],
            padding: vec![0u8; 16],
        }
    }

    /// Runs `f` over `[RO_CK header, DATA, RO, DATA, RO_CK trailer, TOKEN,
    /// PADDING]`; the TOKEN and PADDING lengths after the call are kept.
    fn call<R>(&mut self, f: impl FnOnce(&mut [MessageBuffer<'_>]) -> R) -> R {
        let mut m = [
            MessageBuffer::new(RO_CK, BufferData::ReadOnly(&self.header)),
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut self.stub1)),
            MessageBuffer::new(RO, BufferData::ReadOnly(&self.ignored)),
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut self.stub2)),
            MessageBuffer::new(RO_CK, BufferData::ReadOnly(&self.trailer)),
            MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut self.token)),
            MessageBuffer::new(SECBUFFER_PADDING, BufferData::Writable(&mut self.padding)),
        ];
        let r = f(&mut m);
        let (t, p) = (m[5].len(), m[6].len());
        self.token.truncate(t);
        self.padding.truncate(p);
        r
    }
}

fn pair(etype: EncryptionType) -> (Established, Established) {
    let key = random_key(etype).unwrap();
    (side(&key, Role::Initiator), side(&key, Role::Acceptor))
}

fn encrypt(ctx: &mut Established, qop: u32) -> Pdu {
    let mut p = Pdu::new();
    p.call(|m| ctx.encrypt_message(qop, m, 0)).unwrap();
    p
}

fn decrypt(ctx: &mut Established, p: &mut Pdu) -> SecResult<Option<u32>> {
    p.call(|m| ctx.decrypt_message(m, 0))
}

#[test]
fn multi_buffer_messages_round_trip_sealed_and_signed() {
    for etype in ETYPES {
        let (mut c, mut s) = pair(etype);
        for qop in [0, SECQOP_WRAP_NO_ENCRYPT] {
            let mut p = encrypt(&mut c, qop);
            let what = format!("{etype:?} qop {qop:#x}");
            assert_eq!(
                p.token.len(),
                c.protection.split_token_len(qop == 0),
                "{what}"
            );
            assert!(p.padding.is_empty(), "{what}");
            // Sealed: the stub is encrypted; sign-only and ignored buffers
            // are never touched.
            assert_eq!(p.stub1 != STUB1, qop == 0, "{what}");
            assert_eq!(p.stub2 != STUB2, qop == 0, "{what}");
            let fresh = Pdu::new();
            assert_eq!(
                (&p.header, &p.trailer, &p.ignored),
                (&fresh.header, &fresh.trailer, &fresh.ignored)
            );
            assert_eq!(decrypt(&mut s, &mut p), Ok(Some(qop)), "{what}");
            assert_eq!((&p.stub1[..], &p.stub2[..]), (STUB1, STUB2), "{what}");
        }
    }
}

/// The DCE/RPC attack: the PDU header (sign-only) is rewritten in transit.
#[test]
fn tampered_sign_only_buffer_is_message_altered() {
    for etype in ETYPES {
        let (mut c, mut s) = pair(etype);
        'qop: for qop in [0, SECQOP_WRAP_NO_ENCRYPT] {
            let mut p = encrypt(&mut c, qop);
            for which in 0..2 {
                let b = if which == 0 {
                    &mut p.header
                } else {
                    &mut p.trailer
                };
                b[1] ^= 0x01;
                let sealed = p.stub1.clone();
                assert_eq!(
                    decrypt(&mut s, &mut p),
                    Err(SecStatus::MessageAltered),
                    "{etype:?} qop {qop:#x} sign-only {which}"
                );
                let b = if which == 0 {
                    &mut p.header
                } else {
                    &mut p.trailer
                };
                b[1] ^= 0x01;
                if etype == EncryptionType::Rc4Hmac && qop == 0 {
                    // rc4-hmac decrypts in place and wipes a refused message.
                    assert_eq!(p.stub1, vec![0; sealed.len()]);
                    // Its sequence number was not taken either.
                    let mut p = encrypt(&mut c, qop);
                    assert_eq!(decrypt(&mut s, &mut p), Err(SecStatus::OutOfSequence));
                    continue 'qop;
                }
                assert_eq!(p.stub1, sealed, "{etype:?}: refused DATA untouched");
            }
            // A READONLY buffer is not covered; the refusals above
            // consumed no sequence number.
            p.ignored[0] ^= 0xFF;
            assert_eq!(decrypt(&mut s, &mut p), Ok(Some(qop)), "{etype:?} READONLY");
            assert_eq!((&p.stub1[..], &p.stub2[..]), (STUB1, STUB2));
        }
    }
}

/// The sign-only bytes are signed at their place: the same bytes moved
/// after the stub do not verify.
#[test]
fn moved_sign_only_buffer_is_message_altered() {
    for etype in ETYPES {
        let (mut c, mut s) = pair(etype);
        let mut p = encrypt(&mut c, 0);
        let header = p.header.clone();
        let (mut stub1, mut stub2) = (p.stub1.clone(), p.stub2.clone());
        let mut m = [
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut stub1)),
            MessageBuffer::new(RO_CK, BufferData::ReadOnly(&header)),
            MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut stub2)),
            MessageBuffer::new(RO_CK, BufferData::ReadOnly(&p.trailer)),
            MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut p.token)),
        ];
        assert_eq!(
            s.decrypt_message(&mut m, 0),
            Err(SecStatus::MessageAltered),
            "{etype:?}"
        );
    }
}

#[test]
fn tampered_sealed_data_or_token_is_message_altered() {
    for etype in ETYPES {
        let (mut c, mut s) = pair(etype);
        let mut p = encrypt(&mut c, 0);
        p.stub2[0] ^= 0x80;
        assert_eq!(
            decrypt(&mut s, &mut p),
            Err(SecStatus::MessageAltered),
            "{etype:?}"
        );
        let mut p = encrypt(&mut c, 0);
        let last = p.token.len() - 1;
        p.token[last] ^= 0x01;
        assert!(decrypt(&mut s, &mut p).is_err(), "{etype:?}");
    }
}

/// MakeSignature covers DATA and DATA|READONLY_WITH_CHECKSUM in order, not
/// DATA|READONLY.
#[test]
fn signatures_cover_sign_only_buffers_not_readonly_ones() {
    for etype in ETYPES {
        let (mut c, mut s) = pair(etype);
        let sign = |c: &mut Established| {
            let mut p = Pdu::new();
            p.call(|m| c.make_signature(0, m, 0)).unwrap();
            p
        };
        let verify = |s: &mut Established, p: &mut Pdu| p.call(|m| s.verify_signature(m, 0));
        let mut p = sign(&mut c);
        p.ignored[0] ^= 1;
        assert_eq!(verify(&mut s, &mut p), Ok(None), "{etype:?}");
        let mut p = sign(&mut c);
        p.header[0] ^= 1;
        assert_eq!(
            verify(&mut s, &mut p),
            Err(SecStatus::MessageAltered),
            "{etype:?}"
        );
    }
}

/// A Windows DCE/RPC request sealed by Windows' Kerberos (values captured
/// from Windows by Devolutions sspi-rs, src/kerberos/tests.rs
/// `secbuffer_readonly_with_checksum`): aes256 acceptor subkey, EC 16 and
/// RRC 28 (rotated by RRC + EC, MS-KILE 3.4.5.4.1), the PDU header and the
/// auth trailer header as READONLY_WITH_CHECKSUM.
#[test]
fn windows_sealed_rpc_request_with_sign_only_headers() {
    let subkey =
        hex::decode("5b0bbce30a5bb4f64081fbc876526d41f1b16d207c277fabde84c7c77e6e03a6").unwrap();
    let header = hex::decode("05000003100000003c014c0001000000d000000000000000").unwrap();
    let mut stub = hex::decode(concat!(
        "2955c0ef68bcb464e54953c74d534f11a3cef11d5a1c59cb53b0a0fcc5dd4c71",
        "b98d10c8953720601d31397cb5936ec67d74962f23e075190ae5c9de9965835d",
        "cc200991ba2de0a08317ec6f583036047672817782a4b2046e4a2501d7b110cc",
        "ee53ff28f020d1d55a137e3a2221480fce60430fa9f8b009adc49feffa78ce34",
        "35e5e642406d64154dc10328b7d1b198a5ab6c97708635a5809193a705482365",
        "2ab7436530ff54d070c79a3eb957cce42d1eb82f8191f5a876ae3062aea7d000",
        "71f6db1dc0ab61757378732d2c713e27",
    ))
    .unwrap();
    let plain = hex::decode(concat!(
        "6c000000000000006c0000000000000001000480540000006000000000000000",
        "1400000002004000020000000000240003000000010500000000000515000000",
        "dff389585683533569da6d215004000000001400020000000101000000000001",
        "0000000001010000000000051200000001010000000000051200000000000000",
        "0000000000000000ffffffffffffffffffffffff8ae3137102f4367102402800",
        "605978b94f52df118b6d83dcded720850100000033057171babe37498319b5db",
        "ef9ccc36010000000000000000000000",
    ))
    .unwrap();
    let mut token = hex::decode(concat!(
        "050406ff0010001c00000000289ade21aab1da5db005d22c26f2b3a8f9caf2c7",
        "3fa221286ababb1c0be5cfdb4256f3109e64859f5799c40efba9a40c1255b638",
        "481e89ee327a495f6dc23c78",
    ))
    .unwrap();
    let trailer = hex::decode("1006080000000000").unwrap();
    let key = Key::new(EncryptionType::Aes256CtsHmacSha196, &subkey).unwrap();
    let mut server = side(&key, Role::Acceptor);
    let config = ProtectionConfig {
        recv_seq: 681_238_049,
        ..server.config
    };
    server.protection = MessageProtection::new(&key, config).unwrap();
    let wire = (stub.clone(), token.clone());
    let mut m = [
        MessageBuffer::new(RO_CK, BufferData::ReadOnly(&header)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut stub)),
        MessageBuffer::new(RO_CK, BufferData::ReadOnly(&trailer)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut token)),
    ];
    assert_eq!(server.decrypt_message(&mut m, 0), Ok(Some(0)));
    assert_eq!(m[1].bytes(), &plain[..]);
    // The same PDU with its (sign-only) header changed is refused.
    let mut server = side(&key, Role::Acceptor);
    server.protection = MessageProtection::new(&key, config).unwrap();
    let (mut stub, mut token) = wire;
    let mut forged = header.clone();
    forged[2] ^= 0x01;
    let mut m = [
        MessageBuffer::new(RO_CK, BufferData::ReadOnly(&forged)),
        MessageBuffer::new(SECBUFFER_DATA, BufferData::Writable(&mut stub)),
        MessageBuffer::new(RO_CK, BufferData::ReadOnly(&trailer)),
        MessageBuffer::new(SECBUFFER_TOKEN, BufferData::Writable(&mut token)),
    ];
    assert_eq!(
        server.decrypt_message(&mut m, 0),
        Err(SecStatus::MessageAltered)
    );
}
