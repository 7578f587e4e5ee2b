//! The safe core: the package trait, the registry, message buffers and
//! status codes. Everything here is plain Rust; the C ABI lives in `ffi`.

pub mod buffers;
pub mod consts;
pub mod export;
mod forward;
pub mod identity;
pub mod package;
pub mod random;
pub mod registry;
pub mod retired;
pub mod status;
pub mod time;

pub use buffers::{BufferData, MessageBuffer, StreamLayout};
pub(crate) use forward::forward_message_calls;
pub use identity::AuthIdentity;
pub use package::{
    AcquireCredentials, ContextAttribute, Credential, CredentialUse, HandshakeInput,
    HandshakeOutput, PackageInfo, SecurityContext, SecurityPackage,
};
pub use status::{SecResult, SecStatus, Step};
