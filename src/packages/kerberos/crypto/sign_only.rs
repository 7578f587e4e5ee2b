//! Sign-only data of an RFC 3961 encryption (MIT's
//! `KRB5_CRYPTO_TYPE_SIGN_ONLY`, used by `gss_wrap_iov` for the DCE/RPC
//! PDU header): bytes the integrity tag covers, at their place among the
//! plaintext, that are not encrypted and not carried in the ciphertext.

use super::CryptoError;

/// Sign-only bytes and the offset in the encrypted buffer (confounder
/// included) before which they are signed; offsets ascending.
pub type SignOnly<'a> = [(usize, &'a [u8])];

/// `body` with each sign-only part inserted before its offset: the input
/// of the integrity tag.
pub fn interleave<'a>(
    body: &'a [u8],
    sign_only: &SignOnly<'a>,
) -> Result<Vec<&'a [u8]>, CryptoError> {
    let mut parts = Vec::with_capacity(2 * sign_only.len() + 1);
    let mut at = 0;
    for &(offset, bytes) in sign_only {
        if offset < at || offset > body.len() {
            return Err(CryptoError::BufferLength);
        }
        parts.push(&body[at..offset]);
        parts.push(bytes);
        at = offset;
    }
    parts.push(&body[at..]);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_inserts_in_order_and_refuses_bad_offsets() {
        let body = b"abcdef";
        let p = interleave(body, &[(0, b"<"), (3, b"|"), (3, b"!"), (6, b">")]).unwrap();
        assert_eq!(p.concat(), b"<abc|!def>");
        assert_eq!(interleave(body, &[]).unwrap().concat(), b"abcdef");
        assert_eq!(
            interleave(body, &[(4, b"x"), (2, b"y")]),
            Err(CryptoError::BufferLength)
        );
        assert_eq!(
            interleave(body, &[(7, b"x")]),
            Err(CryptoError::BufferLength)
        );
    }
}
