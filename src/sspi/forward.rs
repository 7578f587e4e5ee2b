//! Forwarding the per-message calls of a `SecurityContext` (MakeSignature,
//! VerifySignature, EncryptMessage, DecryptMessage) to the context that
//! holds the session keys once the handshake is over: an NTLM client or
//! server to its session, a Negotiate context to the chosen package's.

/// Expands, inside an `impl SecurityContext`, to `make_signature`,
/// `verify_signature`, `encrypt_message` and `decrypt_message`, each
/// forwarded to `self.$target()?`: `$target` is a `&mut self` method
/// returning `SecResult<&mut T>` (an error, SEC_E_INVALID_HANDLE, before the
/// handshake completes) where `T` has these four methods.
macro_rules! forward_message_calls {
    ($target:ident) => {
        fn make_signature(
            &mut self,
            qop: u32,
            message: &mut [$crate::sspi::MessageBuffer<'_>],
            seq_no: u32,
        ) -> $crate::sspi::SecResult<()> {
            self.$target()?.make_signature(qop, message, seq_no)
        }

        fn verify_signature(
            &mut self,
            message: &mut [$crate::sspi::MessageBuffer<'_>],
            seq_no: u32,
        ) -> $crate::sspi::SecResult<Option<u32>> {
            self.$target()?.verify_signature(message, seq_no)
        }

        fn encrypt_message(
            &mut self,
            qop: u32,
            message: &mut [$crate::sspi::MessageBuffer<'_>],
            seq_no: u32,
        ) -> $crate::sspi::SecResult<()> {
            self.$target()?.encrypt_message(qop, message, seq_no)
        }

        fn decrypt_message(
            &mut self,
            message: &mut [$crate::sspi::MessageBuffer<'_>],
            seq_no: u32,
        ) -> $crate::sspi::SecResult<Option<u32>> {
            self.$target()?.decrypt_message(message, seq_no)
        }
    };
}
pub(crate) use forward_message_calls;
