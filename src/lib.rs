//! opensspi: the Windows Security Support Provider Interface (SSPI) and the
//! Local Security Authority (LSA) logon model, as a C-ABI library for Linux.
//!
//! Layers (see `DESIGN.md`):
//! - [`ffi`]: every `extern "C"` export, `#[repr(C)]` types, handles, the panic boundary;
//! - [`sspi`]: the safe core: package trait, registry, buffers, status codes;
//! - [`packages`]: protocol state machines (NTLM, later Kerberos and Negotiate);
//! - [`lsa`]: logon sessions, authentication packages, account database, stores.

pub mod trace;

pub mod ffi;
pub mod lsa;
pub mod packages;
pub mod sspi;
