//! One established context's message protection: the keys of both
//! directions derived once, on first use (a context that protects no
//! message, or only one way, derives no more), the send counter and the
//! receive window.

use std::sync::OnceLock;

use zeroize::Zeroizing;

use super::framing::Mech;
use super::{
    iov, mic, rc4, scatter, wrap, GssError, MessagePart, PerMessageKeys, Role, SeqStatus, SeqWindow,
};
use crate::packages::kerberos::crypto::{EncryptionType, Key};

/// How a context protects its messages (decided at establishment).
#[derive(Debug, Clone, Copy)]
pub struct ProtectionConfig {
    /// Our side of the context.
    pub role: Role,
    /// The key is the acceptor's subkey (RFC 4121 §4.2.2 AcceptorSubkey).
    pub acceptor_subkey: bool,
    /// Our first sequence number (RFC 4121 §4.2.5; the authenticator's or
    /// the AP-REP's seq-number).
    pub send_seq: u64,
    /// The peer's first sequence number.
    pub recv_seq: u64,
    /// REPLAY_DETECT and SEQUENCE_DETECT were negotiated.
    pub replay_detect: bool,
    pub sequence_detect: bool,
    /// The OID framing rc4-hmac tokens (the one the context was set up with).
    pub mech: Mech,
}

/// A received Wrap token's message and whether it was sealed.
#[derive(Debug)]
pub struct Unwrapped {
    pub message: Zeroizing<Vec<u8>>,
    pub conf: bool,
}

/// GSS_Wrap/Unwrap/GetMIC/VerifyMIC of one context, over either RFC 4121
/// (etypes 17-20) or RFC 4757 (etype 23) tokens.
#[derive(Debug)]
pub struct MessageProtection {
    /// The context key (initiator subkey, acceptor subkey or session key).
    key: Key,
    etype: EncryptionType,
    send: LazyKeys,
    recv: LazyKeys,
    send_seq: u64,
    window: SeqWindow,
    mech: Mech,
    scratch: Zeroizing<Vec<u8>>,
}

/// One direction's [`PerMessageKeys`], made at its first token.
#[derive(Debug)]
struct LazyKeys {
    sender: Role,
    acceptor_subkey: bool,
    keys: OnceLock<PerMessageKeys>,
}

impl LazyKeys {
    fn new(sender: Role, acceptor_subkey: bool) -> Self {
        LazyKeys {
            sender,
            acceptor_subkey,
            keys: OnceLock::new(),
        }
    }

    fn get(&self, key: &Key) -> Result<&PerMessageKeys, GssError> {
        if let Some(k) = self.keys.get() {
            return Ok(k);
        }
        let made = PerMessageKeys::new(key, self.sender, self.acceptor_subkey)?;
        Ok(self.keys.get_or_init(|| made))
    }
}

fn seq_result(s: SeqStatus) -> Result<(), GssError> {
    match s {
        SeqStatus::Ok => Ok(()),
        SeqStatus::Duplicate => Err(GssError::Duplicate),
        SeqStatus::Old => Err(GssError::Old),
        SeqStatus::Unseq => Err(GssError::Unseq),
        SeqStatus::Gap => Err(GssError::Gap),
    }
}

impl MessageProtection {
    pub fn new(key: &Key, cfg: ProtectionConfig) -> Result<Self, GssError> {
        let rc4 = key.etype() == EncryptionType::Rc4Hmac;
        Ok(MessageProtection {
            key: key.clone(),
            etype: key.etype(),
            send: LazyKeys::new(cfg.role, cfg.acceptor_subkey),
            recv: LazyKeys::new(cfg.role.peer(), cfg.acceptor_subkey),
            send_seq: cfg.send_seq,
            window: SeqWindow::new(cfg.recv_seq, !rc4, cfg.replay_detect, cfg.sequence_detect),
            mech: cfg.mech,
            scratch: Zeroizing::new(Vec::new()),
        })
    }

    fn is_rc4(&self) -> bool {
        self.etype == EncryptionType::Rc4Hmac
    }

    fn next_seq(&mut self) -> u64 {
        let s = self.send_seq;
        self.send_seq = self.send_seq.wrapping_add(1);
        s
    }

    /// This context continued from an export: the next number to send and
    /// the receive window's state ([`Self::window_state`]).
    pub fn restore(
        key: &Key,
        cfg: ProtectionConfig,
        send_seq: u64,
        window: [u64; 3],
    ) -> Result<Self, GssError> {
        let mut p = Self::new(key, cfg)?;
        p.send_seq = send_seq;
        p.window.restore(window);
        Ok(p)
    }

    /// The receive window's state (ExportSecurityContext).
    pub fn window_state(&self) -> [u64; 3] {
        self.window.state()
    }

    /// The next sequence number we will send.
    pub fn send_seq(&self) -> u64 {
        self.send_seq
    }

    /// Bytes the split layout writes to TOKEN (see [`Self::wrap_in_place`]).
    pub fn split_token_len(&self, conf: bool) -> usize {
        if self.is_rc4() {
            rc4::split_token_len(self.mech)
        } else {
            wrap::split_token_len(self.etype, conf)
        }
    }

    /// Length of our MIC tokens.
    pub fn mic_len(&self) -> usize {
        if self.is_rc4() {
            rc4::mic_len(self.mech)
        } else {
            mic::token_len(self.etype)
        }
    }

    /// GSS_Wrap: one whole token (MIT's layout).
    pub fn wrap(&mut self, conf: bool, data: &[u8]) -> Result<Vec<u8>, GssError> {
        let seq = self.next_seq();
        if self.is_rc4() {
            rc4::wrap(self.send.get(&self.key)?, self.mech, seq as u32, conf, data)
        } else {
            wrap::wrap(self.send.get(&self.key)?, seq, conf, data)
        }
    }

    /// EncryptMessage `[TOKEN, DATA]`: the token part into `header_out`
    /// (its length returned), `data` encrypted in place when `conf`.
    pub fn wrap_in_place(
        &mut self,
        conf: bool,
        header_out: &mut [u8],
        data: &mut [u8],
    ) -> Result<usize, GssError> {
        if header_out.len() < self.split_token_len(conf) {
            return Err(GssError::BufferTooSmall);
        }
        let seq = self.next_seq();
        if self.is_rc4() {
            rc4::wrap_split(
                self.send.get(&self.key)?,
                self.mech,
                seq as u32,
                conf,
                header_out,
                data,
            )
        } else {
            wrap::wrap_split(
                self.send.get(&self.key)?,
                seq,
                conf,
                header_out,
                data,
                &mut self.scratch,
            )
        }
    }

    /// EncryptMessage over a message in several buffers (DATA parts sealed
    /// in place when `conf`, sign-only parts signed where they stand): the
    /// token part into `header_out`, its length returned.
    pub fn wrap_parts(
        &mut self,
        conf: bool,
        header_out: &mut [u8],
        parts: &mut [MessagePart<'_>],
    ) -> Result<usize, GssError> {
        if header_out.len() < self.split_token_len(conf) {
            return Err(GssError::BufferTooSmall);
        }
        let seq = self.next_seq();
        if self.is_rc4() {
            rc4::wrap_parts(
                self.send.get(&self.key)?,
                self.mech,
                seq as u32,
                conf,
                header_out,
                parts,
            )
        } else {
            iov::wrap_parts(
                self.send.get(&self.key)?,
                seq,
                conf,
                header_out,
                parts,
                &mut self.scratch,
            )
        }
    }

    /// DecryptMessage over a message in several buffers: `token` is the
    /// token part, the DATA parts are the message (exactly: the split
    /// layout), decrypted in place once the token and the sequence number
    /// are accepted; whether it was sealed.
    pub fn unwrap_parts(
        &mut self,
        token: &[u8],
        parts: &mut [MessagePart<'_>],
    ) -> Result<bool, GssError> {
        let window = &mut self.window;
        if self.etype == EncryptionType::Rc4Hmac {
            return rc4::unwrap_parts(self.recv.get(&self.key)?, token, parts, |s| {
                seq_result(window.check(s as u64))
            });
        }
        let o = iov::open_parts(self.recv.get(&self.key)?, token, parts, &mut self.scratch)?;
        seq_result(window.check(o.seq))?;
        if let Some(range) = o.in_scratch {
            scatter(&self.scratch[range], parts);
        }
        Ok(o.conf)
    }

    /// GSS_Unwrap of a whole token (any RRC and EC; the split layout sent
    /// as one stream too).
    pub fn unwrap(&mut self, token: &[u8]) -> Result<Unwrapped, GssError> {
        let window = &mut self.window;
        if self.etype == EncryptionType::Rc4Hmac {
            let (message, conf) = rc4::unwrap(self.recv.get(&self.key)?, token, |s| {
                seq_result(window.check(s as u64))
            })?;
            return Ok(Unwrapped { message, conf });
        }
        let o = wrap::open(self.recv.get(&self.key)?, token, &[], &mut self.scratch)?;
        seq_result(window.check(o.seq))?;
        let range = o.in_scratch.expect("a whole token is gathered");
        Ok(Unwrapped {
            message: Zeroizing::new(self.scratch[range].to_vec()),
            conf: o.conf,
        })
    }

    /// DecryptMessage `[TOKEN, DATA]`: `token` is the token's first part,
    /// `data` the rest, decrypted in place; (message length at the start of
    /// `data`, sealed). `data` is untouched (RFC 4121) or wiped (rc4-hmac,
    /// sealed) when the token is refused.
    pub fn unwrap_in_place(
        &mut self,
        token: &[u8],
        data: &mut [u8],
    ) -> Result<(usize, bool), GssError> {
        let window = &mut self.window;
        if self.etype == EncryptionType::Rc4Hmac {
            return rc4::unwrap_split(self.recv.get(&self.key)?, token, data, |s| {
                seq_result(window.check(s as u64))
            });
        }
        let o = wrap::open(self.recv.get(&self.key)?, token, data, &mut self.scratch)?;
        seq_result(window.check(o.seq))?;
        match o.in_scratch {
            None => Ok((data.len(), o.conf)),
            Some(range) => {
                let n = range.len();
                if n > data.len() {
                    return Err(GssError::BufferTooSmall);
                }
                data[..n].copy_from_slice(&self.scratch[range]);
                Ok((n, o.conf))
            }
        }
    }

    /// GSS_GetMIC (fails only when the signing keys cannot be made, at the
    /// context's first token; the sequence number is then not used up).
    pub fn get_mic(&mut self, data: &[u8]) -> Result<Vec<u8>, GssError> {
        let keys = self.send.get(&self.key)?;
        let seq = self.send_seq;
        let mic = if self.etype == EncryptionType::Rc4Hmac {
            rc4::get_mic(keys, self.mech, seq as u32, data)
        } else {
            mic::get_mic(keys, seq, data)
        };
        self.next_seq();
        Ok(mic)
    }

    /// GSS_VerifyMIC.
    pub fn verify_mic(&mut self, data: &[u8], token: &[u8]) -> Result<(), GssError> {
        let seq = if self.is_rc4() {
            rc4::verify_mic(self.recv.get(&self.key)?, token, data)? as u64
        } else {
            mic::verify_mic(self.recv.get(&self.key)?, token, data)?
        };
        seq_result(self.window.check(seq))
    }
}
