//! Shared setup of the Kerberos crypto and GSS per-message targets
//! (`krb_decrypt`, `krb_mic`, `krb_wrap`, `krb_wrap_iov`): the session-key
//! etypes an input byte selects, one side of a context's message
//! protection, and a whole established context.

use opensspi::packages::kerberos::context::Established;
use opensspi::packages::kerberos::crypto::{EncryptionType, Key};
use opensspi::packages::kerberos::gss::framing::Mech;
use opensspi::packages::kerberos::gss::{MessageProtection, ProtectionConfig, Role};
use opensspi::packages::kerberos::package::KERBEROS_PACKAGE_INFO;
use opensspi::sspi::export::seal_packed;
use zeroize::Zeroizing;

/// The etypes an input selects (RFC 3961/3962/8009, RFC 4757).
pub const ETYPES: [EncryptionType; 5] = [
    EncryptionType::Aes128CtsHmacSha196,
    EncryptionType::Aes256CtsHmacSha196,
    EncryptionType::Aes128CtsHmacSha256128,
    EncryptionType::Aes256CtsHmacSha384192,
    EncryptionType::Rc4Hmac,
];

/// The `role` side of a krb5 context under `key` (acceptor subkey, sequence
/// numbers from 0, replay detection): RFC 4121 section 4.2.
pub fn side(key: &Key, role: Role) -> MessageProtection {
    let cfg = ProtectionConfig {
        role,
        acceptor_subkey: true,
        send_seq: 0,
        recv_seq: 0,
        replay_detect: true,
        sequence_detect: false,
        mech: Mech::Krb5,
    };
    MessageProtection::new(key, cfg).expect("keys")
}

/// An established Kerberos context of `role` under `key` with [`side`]'s
/// protection (mech `mech`), built as ImportSecurityContext rebuilds one
/// (`Established::import` of a sealed export blob), so that a target calls
/// the context's own EncryptMessage / DecryptMessage / MakeSignature /
/// VerifySignature over SSPI buffers.
pub fn established(key: &Key, role: Role, mech: Mech) -> Established {
    // EXPORT_VERSION 1; bits: is_client, initiator, acceptor_subkey,
    // replay_detect, (bit 5) mech MS-KRB5.
    let mut b = Zeroizing::new(vec![1u8]);
    let is_init = role == Role::Initiator;
    let bits = is_init as u8
        | (is_init as u8) << 1
        | 1 << 2
        | 1 << 3
        | u8::from(mech == Mech::MsKrb5) << 5;
    b.push(bits);
    b.extend_from_slice(&0u32.to_le_bytes()); // attrs
    b.extend_from_slice(&0u64.to_le_bytes()); // start
    b.extend_from_slice(&i64::MAX.to_le_bytes()); // end
    for _ in 0..4 {
        b.extend_from_slice(&0u64.to_le_bytes()); // send_seq, window
    }
    b.extend_from_slice(&key.etype().as_i32().to_le_bytes());
    for field in [
        key.as_bytes(),
        &b"client@FUZZ.TEST"[..],
        &b"host/fuzz@FUZZ.TEST"[..],
    ] {
        b.extend_from_slice(&(field.len() as u32).to_le_bytes());
        b.extend_from_slice(field);
    }
    let packed = seal_packed(KERBEROS_PACKAGE_INFO.name, b).expect("seal");
    Established::import(&packed).expect("import")
}
