//! MSV1_0, the LSA's NTLM authentication package: the NT OWF (derived
//! and kept here only, [`owf`]), the responses computed from it
//! ([`responses`]) and the credential operations the LSA runs for the
//! NTLM security package with a logon session's OWF ([`credential_op`]).
//!
//! Dependency direction: `packages::ntlm` → `lsa::packages::msv1_0` (and
//! `lsa::secret`); nothing in `lsa` uses `packages::ntlm`.

pub mod credential;
pub mod credential_op;
pub mod netlogon;
pub mod owf;
pub mod package;
pub mod responses;

pub use credential::Msv1_0PrimaryCredential;
pub use package::{validate_msv1_0, Msv1_0};
