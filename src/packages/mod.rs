//! Security packages: one protocol each, pure state machines over bytes.

pub mod kerberos;
pub mod negotiate;
pub mod ntlm;
