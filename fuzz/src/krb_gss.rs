//! Shared setup of the Kerberos crypto and GSS per-message targets
//! (`krb_decrypt`, `krb_mic`, `krb_wrap`): the session-key etypes an input
//! byte selects, and one side of a context's message protection.

use opensspi::packages::kerberos::crypto::{EncryptionType, Key};
use opensspi::packages::kerberos::gss::framing::Mech;
use opensspi::packages::kerberos::gss::{MessageProtection, ProtectionConfig, Role};

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
