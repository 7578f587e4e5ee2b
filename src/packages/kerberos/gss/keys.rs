//! The keys of one direction of a context, derived once (RFC 4121 §2 key
//! usages; RFC 4757 §7 for rc4-hmac).

use zeroize::Zeroizing;

use super::GssError;
use crate::packages::kerberos::crypto::{usage, DerivedKeys, EncryptionType, Key};
use crate::packages::ntlm::crypto::{hmac_md5, hmac_md5_keyed, HmacMd5};

/// Which side of the context sent a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Initiator,
    Acceptor,
}

impl Role {
    pub fn peer(self) -> Role {
        match self {
            Role::Initiator => Role::Acceptor,
            Role::Acceptor => Role::Initiator,
        }
    }
}

/// RFC 4757 §7: the keys of rc4-hmac tokens, the same in both directions.
pub(super) struct Rc4Keys {
    /// Ksign with salt 13 (Wrap tokens).
    pub wrap_sign: DerivedKeys,
    /// Ksign with salt 15 (MIC tokens).
    pub mic_sign: DerivedKeys,
    /// HMAC-MD5(Kss, (int32)0), keyed: Kseq = HMAC(this, Sgn_Cksum).
    pub seq: HmacMd5,
    /// HMAC-MD5(Kss ^ 0xF0.., (int32)0), keyed: Kcrypt = HMAC(this, seq).
    pub crypt: HmacMd5,
}

pub(super) enum Profile {
    /// RFC 4121 §4.2 with KG-USAGE-*-SEAL and KG-USAGE-*-SIGN.
    Cfx {
        seal: Box<DerivedKeys>,
        sign: Box<DerivedKeys>,
    },
    Rc4(Box<Rc4Keys>),
}

/// The derived keys protecting the tokens sent by one side of a context
/// (ours to send, or the peer's to check), with the flags those tokens carry.
pub struct PerMessageKeys {
    sender: Role,
    acceptor_subkey: bool,
    etype: EncryptionType,
    pub(super) profile: Profile,
}

impl std::fmt::Debug for PerMessageKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerMessageKeys")
            .field("sender", &self.sender)
            .field("acceptor_subkey", &self.acceptor_subkey)
            .field("etype", &self.etype)
            .finish_non_exhaustive()
    }
}

impl PerMessageKeys {
    /// The keys of the tokens `sender` makes with `key`; `acceptor_subkey`
    /// says that `key` is the acceptor's subkey (the AcceptorSubkey flag,
    /// RFC 4121 §4.2.2).
    pub fn new(key: &Key, sender: Role, acceptor_subkey: bool) -> Result<Self, GssError> {
        let profile = match key.etype() {
            EncryptionType::Rc4Hmac => {
                let kss = key.as_bytes();
                let zero = 0u32.to_le_bytes();
                let seq = Zeroizing::new(hmac_md5(kss, &[&zero]));
                let local: Zeroizing<Vec<u8>> =
                    Zeroizing::new(kss.iter().map(|b| b ^ 0xF0).collect());
                let crypt = Zeroizing::new(hmac_md5(&local, &[&zero]));
                Profile::Rc4(Box::new(Rc4Keys {
                    wrap_sign: DerivedKeys::new(key, 13)?,
                    mic_sign: DerivedKeys::new(key, 15)?,
                    seq: hmac_md5_keyed(&seq[..]),
                    crypt: hmac_md5_keyed(&crypt[..]),
                }))
            }
            _ => {
                let (seal, sign) = match sender {
                    Role::Acceptor => {
                        (usage::KG_USAGE_ACCEPTOR_SEAL, usage::KG_USAGE_ACCEPTOR_SIGN)
                    }
                    Role::Initiator => (
                        usage::KG_USAGE_INITIATOR_SEAL,
                        usage::KG_USAGE_INITIATOR_SIGN,
                    ),
                };
                Profile::Cfx {
                    seal: Box::new(DerivedKeys::new(key, seal)?),
                    sign: Box::new(DerivedKeys::new(key, sign)?),
                }
            }
        };
        Ok(PerMessageKeys {
            sender,
            acceptor_subkey,
            etype: key.etype(),
            profile,
        })
    }

    pub fn sender(&self) -> Role {
        self.sender
    }

    pub fn acceptor_subkey(&self) -> bool {
        self.acceptor_subkey
    }

    pub fn etype(&self) -> EncryptionType {
        self.etype
    }

    /// The RFC 4121 §4.2.2 flags of this sender's tokens (Sealed apart).
    pub(super) fn cfx_flags(&self) -> u8 {
        let mut f = 0;
        if self.sender == Role::Acceptor {
            f |= FLAG_SENT_BY_ACCEPTOR;
        }
        if self.acceptor_subkey {
            f |= FLAG_ACCEPTOR_SUBKEY;
        }
        f
    }

    /// Checks the direction and subkey flags of a received RFC 4121 token.
    pub(super) fn check_cfx_flags(&self, flags: u8) -> Result<(), GssError> {
        let want = self.cfx_flags();
        let mask = FLAG_SENT_BY_ACCEPTOR | FLAG_ACCEPTOR_SUBKEY;
        if flags & mask == want {
            Ok(())
        } else {
            Err(GssError::BadSig)
        }
    }
}

/// RFC 4121 §4.2.2 Flags.
pub const FLAG_SENT_BY_ACCEPTOR: u8 = 0x01;
pub const FLAG_SEALED: u8 = 0x02;
pub const FLAG_ACCEPTOR_SUBKEY: u8 = 0x04;
