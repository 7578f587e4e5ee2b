//! A fixed Kerberos realm for the `krb_ap_req` / `krb_ap_rep` targets: a
//! service key in a keytab, a ticket minted under it, and valid plaintexts
//! (EncTicketPart, Authenticator, EncAPRepPart) that an input edits before
//! they are encrypted, so that the fuzzer reaches the checks behind the
//! integrity tags. DER is written by hand here (tag, length, value).

use opensspi::packages::kerberos::crypto::{self, usage, EncryptionType, Key};
use opensspi::packages::kerberos::filecodec::{self, Principal};
use opensspi::packages::kerberos::keytab::{Keytab, KeytabEntry};
use zeroize::Zeroizing;

/// The acceptor's clock (2023-11-14T22:15:00Z).
pub const NOW: (i64, u32) = (1_700_000_100, 0);
pub const REALM: &str = "FUZZ.TEST";
pub const SERVICE_KEY: [u8; 32] = [0x11; 32];
pub const SESSION_KEY: [u8; 32] = [0x22; 32];
pub const KVNO: u32 = 2;

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn ctx(n: u8, v: Vec<u8>) -> Vec<u8> {
    tlv(0xa0 + n, &v)
}

fn int(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = b.iter().take(3).take_while(|x| **x == 0).count();
    let mut c = b[skip..].to_vec();
    if c[0] & 0x80 != 0 {
        c.insert(0, 0);
    }
    tlv(0x02, &c)
}

fn gstr(s: &str) -> Vec<u8> {
    tlv(0x1b, s.as_bytes())
}

fn name(nt: u32, parts: &[&str]) -> Vec<u8> {
    seq(&[
        ctx(0, int(nt)),
        ctx(1, seq(&parts.iter().map(|p| gstr(p)).collect::<Vec<_>>())),
    ])
}

fn enc_key(k: &[u8]) -> Vec<u8> {
    seq(&[ctx(0, int(18)), ctx(1, tlv(0x04, k))])
}

fn enc_data(cipher: &[u8], kvno: Option<u32>) -> Vec<u8> {
    let mut p = vec![ctx(0, int(18))];
    if let Some(k) = kvno {
        p.push(ctx(1, int(k)));
    }
    p.push(ctx(2, tlv(0x04, cipher)));
    seq(&p)
}

fn key(bytes: &[u8]) -> Key {
    Key::new(EncryptionType::Aes256CtsHmacSha196, bytes).unwrap()
}

fn encrypt(k: &[u8], usage: u32, plain: &[u8]) -> Vec<u8> {
    crypto::encrypt_with_confounder(&key(k), usage, &[0u8; 16], plain).unwrap()
}

pub fn service() -> Principal {
    Principal {
        name_type: 2,
        realm: REALM.into(),
        components: vec!["host".into(), "fuzz".into()],
    }
}

pub fn keytab() -> Keytab {
    Keytab {
        entries: vec![KeytabEntry {
            principal: service(),
            timestamp: 0,
            kvno: KVNO,
            key: filecodec::Key {
                enctype: 18,
                bytes: Zeroizing::new(SERVICE_KEY.to_vec()),
            },
        }],
    }
}

/// alice's EncTicketPart: session key, valid 2023-11-14 .. 2096.
pub fn enc_ticket_part() -> Vec<u8> {
    tlv(
        0x63,
        &seq(&[
            ctx(0, tlv(0x03, &[0, 0x40, 0, 0, 0])),
            ctx(1, enc_key(&SESSION_KEY)),
            ctx(2, gstr(REALM)),
            ctx(3, name(1, &["alice"])),
            ctx(4, seq(&[ctx(0, int(1)), ctx(1, tlv(0x04, &[]))])),
            ctx(5, tlv(0x18, b"20231114221320Z")),
            ctx(7, tlv(0x18, b"20960101000000Z")),
        ]),
    )
}

pub fn ticket(enc_part: &[u8]) -> Vec<u8> {
    let cipher = encrypt(&SERVICE_KEY, usage::KDC_REP_TICKET, enc_part);
    tlv(
        0x61,
        &seq(&[
            ctx(0, int(5)),
            ctx(1, gstr(REALM)),
            ctx(2, name(2, &["host", "fuzz"])),
            ctx(3, enc_data(&cipher, Some(KVNO))),
        ]),
    )
}

/// alice's Authenticator at [`NOW`]: 0x8003 checksum (mutual, no
/// bindings), subkey, sequence number.
pub fn authenticator() -> Vec<u8> {
    let mut cksum = 16u32.to_le_bytes().to_vec();
    cksum.extend_from_slice(&[0; 16]);
    cksum.extend_from_slice(&0x3eu32.to_le_bytes());
    tlv(
        0x62,
        &seq(&[
            ctx(0, int(5)),
            ctx(1, gstr(REALM)),
            ctx(2, name(1, &["alice"])),
            ctx(3, seq(&[ctx(0, int(0x8003)), ctx(1, tlv(0x04, &cksum))])),
            ctx(4, int(0)),
            ctx(5, tlv(0x18, b"20231114221500Z")),
            ctx(6, enc_key(&[0x33; 32])),
            ctx(7, int(0x1234_5678)),
        ]),
    )
}

pub fn ap_req(ticket: &[u8], authenticator: &[u8]) -> Vec<u8> {
    let cipher = encrypt(&SESSION_KEY, usage::AP_REQ_AUTH, authenticator);
    tlv(
        0x6e,
        &seq(&[
            ctx(0, int(5)),
            ctx(1, int(14)),
            ctx(2, tlv(0x03, &[0, 0x20, 0, 0, 0])),
            ctx(3, ticket.to_vec()),
            ctx(4, enc_data(&cipher, None)),
        ]),
    )
}

/// The EncAPRepPart answering [`authenticator`].
pub fn enc_ap_rep_part() -> Vec<u8> {
    tlv(
        0x7b,
        &seq(&[
            ctx(0, tlv(0x18, b"20231114221500Z")),
            ctx(1, int(0)),
            ctx(2, enc_key(&[0x44; 32])),
            ctx(3, int(0x0765_4321)),
        ]),
    )
}

pub fn ap_rep(enc_part: &[u8]) -> Vec<u8> {
    let cipher = encrypt(&SESSION_KEY, usage::AP_REP_ENC_PART, enc_part);
    tlv(
        0x6f,
        &seq(&[
            ctx(0, int(5)),
            ctx(1, int(15)),
            ctx(2, enc_data(&cipher, None)),
        ]),
    )
}

pub fn session_key() -> Key {
    key(&SESSION_KEY)
}

/// `base` edited by an input: two bytes of offset, then bytes written over
/// `base` from there (extending it); an odd first offset byte cuts `base`
/// at the offset first.
pub fn edit(base: &[u8], input: &[u8]) -> Vec<u8> {
    let (Some(a), Some(b)) = (input.first(), input.get(1)) else {
        return base.to_vec();
    };
    let off = (((*a as usize) << 8) | *b as usize) % (base.len() + 1);
    let mut out = base.to_vec();
    if a & 1 == 1 {
        out.truncate(off);
    }
    for (i, v) in input[2..].iter().enumerate() {
        match out.get_mut(off + i) {
            Some(x) => *x = *v,
            None => out.push(*v),
        }
    }
    out
}
