//! What a context handle holds: the package's context and, after a
//! handshake leg whose token the caller's output buffer could not take, that
//! leg's output, held back.
//!
//! Windows leaves a context unchanged when InitializeSecurityContext or
//! AcceptSecurityContext fails with SEC_E_BUFFER_TOO_SMALL or
//! SEC_E_INSUFFICIENT_MEMORY, so the caller can retry with a larger buffer.
//! A package here has already moved on when its output turns out not to
//! fit, so the slot keeps the output: until a retry with the same input
//! delivers it, the context is not established (message calls, export and
//! impersonation answer as for an incomplete context) and the retry returns
//! the held token instead of running the package again. This is the layer
//! that copies package output into caller buffers, so every package gets it.

use crate::sspi::retired::Retired;
use crate::sspi::{HandshakeInput, HandshakeOutput, SecResult, SecStatus, SecurityContext};

/// A context handle's state.
pub struct ContextSlot {
    ctx: Box<dyn SecurityContext>,
    held: Option<HeldLeg>,
}

/// A leg's output the caller has not received, and the input it answers.
struct HeldLeg {
    out: HandshakeOutput,
    token: Vec<u8>,
    bindings: Option<Vec<u8>>,
}

impl ContextSlot {
    pub fn new(ctx: Box<dyn SecurityContext>) -> Self {
        ContextSlot { ctx, held: None }
    }

    /// The package context for calls valid at any stage (queries); a
    /// context with a held leg answers as its package context does.
    pub fn context(&self) -> &dyn SecurityContext {
        self.ctx.as_ref()
    }

    /// The package context for SetContextAttributes / CompleteAuthToken:
    /// SEC_E_OUT_OF_SEQUENCE while a leg is held back.
    pub fn context_mut(&mut self) -> SecResult<&mut dyn SecurityContext> {
        match self.held {
            Some(_) => Err(SecStatus::OutOfSequence),
            None => Ok(self.ctx.as_mut()),
        }
    }

    /// Handshake complete and its last token delivered.
    pub fn is_established(&self) -> bool {
        self.held.is_none() && self.ctx.is_established()
    }

    /// The context for calls that need an established one: message
    /// protection, export, impersonation. SEC_E_INVALID_HANDLE otherwise,
    /// as an incomplete context answers.
    pub fn established(&self) -> SecResult<&dyn SecurityContext> {
        if self.is_established() {
            Ok(self.ctx.as_ref())
        } else {
            Err(SecStatus::InvalidHandle)
        }
    }

    /// As [`ContextSlot::established`], mutable.
    pub fn established_mut(&mut self) -> SecResult<&mut dyn SecurityContext> {
        if self.is_established() {
            Ok(self.ctx.as_mut())
        } else {
            Err(SecStatus::InvalidHandle)
        }
    }

    /// One handshake leg: the held output when this is the retry of a leg
    /// the caller did not receive (same input token and channel bindings;
    /// other input is SEC_E_OUT_OF_SEQUENCE and the leg stays held), else
    /// the package's next leg. Pass the output to the caller, and give it
    /// back with [`ContextSlot::hold`] if that fails.
    pub fn leg(
        &mut self,
        input: &HandshakeInput<'_>,
        initiator: bool,
    ) -> SecResult<HandshakeOutput> {
        if let Some(h) = &self.held {
            let same = input.token.unwrap_or_default() == h.token.as_slice()
                && input.channel_bindings == h.bindings.as_deref();
            if !same {
                return Err(SecStatus::OutOfSequence);
            }
            return Ok(self.held.take().map(|h| h.out).unwrap_or_default());
        }
        if initiator {
            self.ctx.initialize(input)
        } else {
            self.ctx.accept(input)
        }
    }

    /// Keep a leg's output the caller's buffers could not take.
    pub fn hold(&mut self, out: HandshakeOutput, input: &HandshakeInput<'_>) {
        self.held = Some(HeldLeg {
            out,
            token: input.token.unwrap_or_default().to_vec(),
            bindings: input.channel_bindings.map(<[u8]>::to_vec),
        });
    }

    /// Make the context unusable (ExportSecurityContext with DELETE_OLD):
    /// a call already holding the handle on another thread fails too.
    pub fn retire(&mut self) {
        self.ctx = Box::new(Retired(self.ctx.package()));
        self.held = None;
    }
}
