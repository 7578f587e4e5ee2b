//! Replay and sequence detection of received tokens (RFC 2743 §1.2.3,
//! RFC 4121 §4.2.6): a 64-token sliding window over sequence numbers
//! relative to the first expected one, after MIT's `g_seqstate`. RFC 4121
//! tokens carry 64-bit numbers, RFC 1964/4757 tokens 32-bit ones (the
//! arithmetic wraps at that width).

/// How many tokens behind the newest the window remembers.
pub const WINDOW: u64 = 64;

/// What a received sequence number means (the GSS supplementary status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqStatus {
    /// Expected, or acceptable under the context's flags.
    Ok,
    /// GSS_S_DUPLICATE_TOKEN.
    Duplicate,
    /// GSS_S_OLD_TOKEN: behind the window, cannot be checked for replay.
    Old,
    /// GSS_S_UNSEQ_TOKEN: a later token was already received.
    Unseq,
    /// GSS_S_GAP_TOKEN: earlier tokens are missing.
    Gap,
}

/// The receive state of one context.
#[derive(Debug, Clone)]
pub struct SeqWindow {
    base: u64,
    /// Next expected number, relative to `base`.
    next: u64,
    /// Bit i set: number `next - 1 - i` was received.
    recvmap: u64,
    mask: u64,
    replay: bool,
    sequence: bool,
}

impl SeqWindow {
    /// A window expecting `first` next; `wide` for 64-bit numbers;
    /// `replay`/`sequence` are the context's REPLAY_DETECT and
    /// SEQUENCE_DETECT flags.
    pub fn new(first: u64, wide: bool, replay: bool, sequence: bool) -> Self {
        let mask = if wide { u64::MAX } else { u32::MAX as u64 };
        SeqWindow {
            base: first & mask,
            next: 0,
            recvmap: 0,
            mask,
            replay,
            sequence,
        }
    }

    /// `(base, next, recvmap)`, for ExportSecurityContext.
    pub fn state(&self) -> [u64; 3] {
        [self.base, self.next, self.recvmap]
    }

    /// Continue from an exported [`Self::state`].
    pub fn restore(&mut self, state: [u64; 3]) {
        self.base = state[0] & self.mask;
        self.next = state[1] & self.mask;
        self.recvmap = state[2];
    }

    /// Records `seq` (of a token whose integrity was verified) and says
    /// whether it is acceptable.
    pub fn check(&mut self, seq: u64) -> SeqStatus {
        if !self.replay && !self.sequence {
            return SeqStatus::Ok;
        }
        let rel = seq.wrapping_sub(self.base) & self.mask;
        if rel >= self.next {
            let offset = rel - self.next;
            self.recvmap = if offset < WINDOW - 1 {
                (self.recvmap << (offset + 1)) | 1
            } else {
                1
            };
            self.next = rel.wrapping_add(1) & self.mask;
            if self.next == 0 {
                // The relative space wrapped: restart from here.
                self.base = (self.base.wrapping_add(rel).wrapping_add(1)) & self.mask;
                self.recvmap = 0;
            }
            return if offset > 0 && self.sequence {
                SeqStatus::Gap
            } else {
                SeqStatus::Ok
            };
        }
        let offset = self.next - rel;
        if offset > WINDOW {
            return if self.sequence {
                SeqStatus::Unseq
            } else {
                SeqStatus::Old
            };
        }
        let bit = 1u64 << (offset - 1);
        if self.replay && self.recvmap & bit != 0 {
            return SeqStatus::Duplicate;
        }
        self.recvmap |= bit;
        if self.sequence {
            SeqStatus::Unseq
        } else {
            SeqStatus::Ok
        }
    }
}
