//! The C ABI: every `extern "C"` export, `#[repr(C)]` types, handle tables,
//! string conversion and the panic boundary. Nothing below this layer sees
//! a raw pointer.
//!
//! Safety contract of every export: the pointers a caller passes follow the
//! Windows SSPI documentation of that function (valid for the sizes it
//! states, or NULL where it allows); everything else is checked here.
#![allow(clippy::missing_safety_doc)]

pub mod alloc;
pub mod attributes;
pub mod boundary;
pub mod buffers;
pub mod context;
pub mod credentials;
pub mod handles;
pub mod identity;
pub mod lsa;
pub mod lsa_types;
pub mod messages;
pub mod misc;
pub mod pkginfo;
pub mod recent_credentials;
pub mod slot;
pub mod strings;
pub mod table;
pub mod tokens;
pub mod types;

#[cfg(test)]
mod header_tests {
    /// The committed header must equal what cbindgen generates now.
    #[test]
    fn committed_header_is_fresh() {
        let fresh = include_str!(concat!(env!("OUT_DIR"), "/opensspi.h"));
        let committed = include_str!("../../include/opensspi.h");
        assert!(
            fresh == committed,
            "include/opensspi.h is stale: run `OPENSSPI_UPDATE_HEADER=1 cargo build` and commit it"
        );
    }
}
