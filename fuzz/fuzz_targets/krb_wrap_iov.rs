//! Kerberos messages over several SSPI buffers: an established context's
//! own DecryptMessage and VerifySignature (`Established::decrypt_message`,
//! `verify_signature`, which split the buffers into a TOKEN and message
//! parts, `gss::iov` / `gss::rc4`) over attacker-chosen buffer layouts, for
//! every session-key etype, never panic; and what the peer's
//! EncryptMessage / MakeSignature writes over the same layout, the context
//! decrypts and verifies back to the same message.
//! Input: byte 0 = etype (bits 0-2, mod 5), receiving side (bit 3), sealed
//! (bit 4), MS-KRB5 mech OID (bit 5); byte 1 = layout: 1-3 DATA (bits
//! 0-1, mod 3), 0-2 READONLY_WITH_CHECKSUM (bits 2-3, mod 3), a READONLY
//! (bit 4); then one byte per buffer choosing its place (a shuffle), one
//! length byte per buffer but the last; the rest is the buffers' bytes,
//! cut at those lengths (the last buffer takes what remains).
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::context::Established;
use opensspi::packages::kerberos::crypto::Key;
use opensspi::packages::kerberos::gss::framing::Mech;
use opensspi::packages::kerberos::gss::Role;
use opensspi::sspi::buffers::{BufferData, MessageBuffer};
use opensspi::sspi::consts::{
    SECBUFFER_DATA, SECBUFFER_READONLY, SECBUFFER_READONLY_WITH_CHECKSUM, SECBUFFER_TOKEN,
    SECQOP_WRAP_NO_ENCRYPT,
};
use opensspi::sspi::SecurityContext;
use opensspi_fuzz::krb_gss::{established, ETYPES};

const ROWC: u32 = SECBUFFER_DATA | SECBUFFER_READONLY_WITH_CHECKSUM;
const RO: u32 = SECBUFFER_DATA | SECBUFFER_READONLY;

/// SSPI buffers of types `types` over copies of `bytes` (read-only types
/// as the FFI layer hands them: not writable).
fn buffers<'a>(types: &[u32], bytes: &'a mut [Vec<u8>]) -> Vec<MessageBuffer<'a>> {
    types
        .iter()
        .zip(bytes.iter_mut())
        .map(|(&t, b)| {
            let data = if t & (SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM) != 0 {
                BufferData::ReadOnly(&b[..])
            } else {
                BufferData::Writable(&mut b[..])
            };
            MessageBuffer::new(t, data)
        })
        .collect()
}

fn context(key: &Key, role: Role, mech: Mech) -> Established {
    established(key, role, mech)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let etype = ETYPES[(data[0] & 7) as usize % ETYPES.len()];
    let key = Key::new(etype, &vec![0x42; etype.key_len()]).expect("key");
    let recv_role = if data[0] & 8 != 0 {
        Role::Acceptor
    } else {
        Role::Initiator
    };
    let conf = data[0] & 16 != 0;
    let mech = if data[0] & 32 != 0 {
        Mech::MsKrb5
    } else {
        Mech::Krb5
    };

    let mut types = vec![SECBUFFER_TOKEN];
    types.extend(std::iter::repeat_n(
        SECBUFFER_DATA,
        1 + (data[1] & 3) as usize % 3,
    ));
    types.extend(std::iter::repeat_n(ROWC, (data[1] >> 2 & 3) as usize % 3));
    if data[1] & 16 != 0 {
        types.push(RO);
    }
    let k = types.len();
    let rest = &data[2..];
    if rest.len() < 2 * k - 1 {
        return;
    }
    let (order, rest) = rest.split_at(k);
    for (i, &o) in order.iter().enumerate() {
        types.swap(i, i + o as usize % (k - i));
    }
    let (lens, mut rest) = rest.split_at(k - 1);
    let mut bytes: Vec<Vec<u8>> = Vec::with_capacity(k);
    for &n in lens {
        let (b, r) = rest.split_at((n as usize).min(rest.len()));
        bytes.push(b.to_vec());
        rest = r;
    }
    bytes.push(rest.to_vec());

    // The attacker's message: DecryptMessage, then (as a signature)
    // VerifySignature, each on a fresh context.
    let mut copy = bytes.clone();
    let _ = context(&key, recv_role, mech).decrypt_message(&mut buffers(&types, &mut copy), 0);
    let mut copy = bytes.clone();
    let _ = context(&key, recv_role, mech).verify_signature(&mut buffers(&types, &mut copy), 0);

    // The peer's EncryptMessage over the same layout (TOKEN room for the
    // largest token), decrypted back.
    let mut sender = context(&key, recv_role.peer(), mech);
    let mut receiver = context(&key, recv_role, mech);
    let t = types
        .iter()
        .position(|&t| t == SECBUFFER_TOKEN)
        .expect("TOKEN");
    let mut sent = bytes.clone();
    sent[t] = vec![0; 128];
    let qop = if conf { 0 } else { SECQOP_WRAP_NO_ENCRYPT };
    let n = {
        let mut m = buffers(&types, &mut sent);
        sender
            .encrypt_message(qop, &mut m, 0)
            .expect("EncryptMessage");
        m[t].len()
    };
    sent[t].truncate(n);
    let got = receiver
        .decrypt_message(&mut buffers(&types, &mut sent), 0)
        .expect("DecryptMessage of the peer's EncryptMessage");
    assert_eq!(got, Some(qop));
    for (i, b) in sent.iter().enumerate() {
        if i != t {
            assert_eq!(
                b, &bytes[i],
                "buffer {i} of {types:x?} after the round trip"
            );
        }
    }

    // The peer's MakeSignature over the layout, verified.
    let mut signed = bytes.clone();
    signed[t] = vec![0; 128];
    let n = {
        let mut m = buffers(&types, &mut signed);
        sender.make_signature(0, &mut m, 0).expect("MakeSignature");
        m[t].len()
    };
    signed[t].truncate(n);
    receiver
        .verify_signature(&mut buffers(&types, &mut signed), 0)
        .expect("VerifySignature of the peer's MakeSignature");
});
