//! Security packages: one protocol each, pure state machines over bytes.

pub mod kerberos;
pub mod ntlm;
