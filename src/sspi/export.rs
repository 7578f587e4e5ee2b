//! ExportSecurityContext / ImportSecurityContext policy shared by every
//! package: the packed context is authenticated, and an export leaves one
//! live context.
//!
//! * A packed context carries keys and the client's identity. An import
//!   must not believe a blob that only claims them (one made from nothing
//!   would report `CORP\administrator` with a key of the caller's choosing),
//!   so every blob ends in HMAC-SHA256 over the package name and the body,
//!   keyed with 32 random bytes drawn once per process. A forged, tampered,
//!   truncated or foreign blob (from another process, whose key differs) is
//!   SEC_E_INVALID_TOKEN, the status a malformed blob already had (the
//!   ImportSecurityContext page lists no status for a bad blob). The price:
//!   a context can be imported only by the process that exported it (or a
//!   `fork` of it), although Windows allows any process of the machine.
//! * Two live contexts built on one session key would seal with the same
//!   RC4 key stream (a two-time pad), and RESET_NEW would restart the key
//!   stream from the beginning: [`check_export_flags`] admits only
//!   `SECPKG_CONTEXT_EXPORT_DELETE_OLD` (anything else is
//!   SEC_E_UNSUPPORTED_FUNCTION, i.e. the documented SEC_E_NOT_SUPPORTED).

use hmac::{Hmac, KeyInit, Mac};
use once_cell::sync::OnceCell;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::consts::SECPKG_CONTEXT_EXPORT_DELETE_OLD;
use super::{SecResult, SecStatus};

/// Length of the tag that ends a packed context.
pub const TAG_LEN: usize = 32;

/// The per-process key (never leaves the process; statics are not dropped,
/// the bytes stay in a zeroizing box for form).
fn key() -> SecResult<&'static [u8; 32]> {
    static KEY: OnceCell<Zeroizing<[u8; 32]>> = OnceCell::new();
    KEY.get_or_try_init(|| {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut k[..]).map_err(|_| SecStatus::InternalError)?;
        Ok(k)
    })
    .map(|k| &**k)
}

fn tag(package: &str, body: &[u8]) -> SecResult<[u8; TAG_LEN]> {
    let mut m =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key()?).map_err(|_| SecStatus::InternalError)?;
    m.update(&(package.len() as u32).to_le_bytes());
    m.update(package.as_bytes());
    m.update(body);
    Ok(m.finalize().into_bytes().into())
}

/// Append the tag to `body` (ExportSecurityContext).
pub fn seal_packed(package: &str, mut body: Zeroizing<Vec<u8>>) -> SecResult<Zeroizing<Vec<u8>>> {
    let t = tag(package, &body)?;
    body.extend_from_slice(&t);
    Ok(body)
}

/// The body of a packed context whose tag checks (in constant time), else
/// SEC_E_INVALID_TOKEN (ImportSecurityContext).
pub fn open_packed<'a>(package: &str, packed: &'a [u8]) -> SecResult<&'a [u8]> {
    let split = packed
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(SecStatus::InvalidToken)?;
    let (body, got) = packed.split_at(split);
    let want = tag(package, body)?;
    if bool::from(want.ct_eq(got)) {
        Ok(body)
    } else {
        Err(SecStatus::InvalidToken)
    }
}

/// `fFlags` an export of a context with a key stream accepts: exactly
/// DELETE_OLD (see the module documentation).
pub fn check_export_flags(flags: u32) -> SecResult<()> {
    if flags == SECPKG_CONTEXT_EXPORT_DELETE_OLD {
        Ok(())
    } else {
        Err(SecStatus::UnsupportedFunction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_binds_package_and_body() {
        let packed = seal_packed("NTLM", Zeroizing::new(b"body".to_vec())).unwrap();
        assert_eq!(packed.len(), 4 + TAG_LEN);
        assert_eq!(open_packed("NTLM", &packed).unwrap(), b"body");
        assert_eq!(
            open_packed("Kerberos", &packed),
            Err(SecStatus::InvalidToken)
        );
        for i in 0..packed.len() {
            let mut p = packed.to_vec();
            p[i] ^= 1;
            assert_eq!(open_packed("NTLM", &p), Err(SecStatus::InvalidToken), "{i}");
        }
        for cut in 0..packed.len() {
            assert!(open_packed("NTLM", &packed[..cut]).is_err());
        }
    }

    #[test]
    fn only_delete_old_is_accepted() {
        use crate::sspi::consts::SECPKG_CONTEXT_EXPORT_RESET_NEW;
        assert_eq!(check_export_flags(SECPKG_CONTEXT_EXPORT_DELETE_OLD), Ok(()));
        for f in [
            0,
            SECPKG_CONTEXT_EXPORT_RESET_NEW,
            SECPKG_CONTEXT_EXPORT_RESET_NEW | SECPKG_CONTEXT_EXPORT_DELETE_OLD,
            4 | SECPKG_CONTEXT_EXPORT_DELETE_OLD,
        ] {
            assert_eq!(
                check_export_flags(f),
                Err(SecStatus::UnsupportedFunction),
                "{f:#x}"
            );
        }
    }
}
