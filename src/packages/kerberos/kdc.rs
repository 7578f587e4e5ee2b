//! The KDC client: the package's credential operations (RFC 4120 §3.1,
//! §3.3), as pure request builders and reply parsers plus a
//! [`transport::Transport`], taking keys and tickets as values and
//! returning values, so that they can move behind the LSA unchanged.

pub mod as_exchange;
pub mod error;
pub mod rep;
pub mod req;
pub mod tgs_exchange;
pub mod transport;
pub mod wire;

pub use error::{KdcError, KrbErrorInfo};

#[cfg(test)]
mod tests;
