//! MSV1_0's pass-through to a domain controller (MS-APDS 3.1.5.2, MS-NRPC):
//! the NETLOGON secure channel of the machine account and the network
//! logon it carries.

pub mod credential;
pub mod member;
pub mod ndr;
pub mod nrpc;
pub mod pass_through;
pub mod rpc;
pub mod schannel;
#[cfg(test)]
mod tests;
