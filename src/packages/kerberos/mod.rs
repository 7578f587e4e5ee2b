//! Kerberos (RFC 4120, RFC 4121, MS-KILE): the security package named
//! `Kerberos`. Built up in modules, one concept each:
//! - `crypto`: the RFC 3961 framework (n-fold, key derivation per usage) and
//!   the encryption types 17, 18 (RFC 3962), 19, 20 (RFC 8009) and 23 (RFC 4757);
//! - `ccache`, `keytab`, `config`: MIT's credential cache, keytab and
//!   krb5.conf profile formats;
//! - `ap_req`, `acceptor`, `ap_rep`, `replay_cache` (with `ap_wire`, their
//!   shared encodings): the AP exchange of RFC 4120 §3.2 / RFC 4121 §4.1.
//! - `pac`: the PAC (MS-PAC) of service tickets, checked by the acceptor.
//! - `gss`: the per-message tokens of RFC 4121 and RFC 4757.
//! - `principal`: principal names, SPNs and realms of hosts;
//! - `kdc`: the KDC client (AS and TGS exchanges, transport, errors);
//! - `creds`: TGTs, service tickets, their cache and the MIT ccache.
//!
//! - `package`, `credential`, `client`, `server`, `context`: the SSPI
//!   package, its credentials and contexts.
//! - `logon_credentials`: the package's credentials per logon session (a
//!   TGT a client delegated, for its network logon session).
//! - `lsa_logon`: the LSA's Kerberos logon (AS exchange at `LsaLogonUser`,
//!   the session's keys and TGT), registered with `lsa_logon::register`;
//!   `lsa_tgs`: its TGS exchange with a session's TGT, run by the LSA;
//!   `lsa_session`: a default credential from the caller's LSA session.
//! - `network_identity`: the accepted client as its network logon session
//!   names it (from the verified PAC's LOGON_INFO when there is one).
//!
//! Credential operations (AS and TGS exchanges, holding the TGT) are kept
//! apart from the context state so that they can move behind the LSA.

pub mod acceptor;
pub mod ap_rep;
pub mod ap_req;
pub mod ap_wire;
pub mod ccache;
pub mod client;
pub mod config;
pub mod context;
pub mod credential;
pub mod creds;
pub mod crypto;
pub mod filecodec;
pub mod gss;
pub mod kdc;
pub mod keytab;
pub mod logon_credentials;
pub mod lsa_logon;
pub mod lsa_session;
pub mod lsa_tgs;
pub mod network_identity;
pub mod pac;
pub mod package;
pub mod principal;
pub mod replay_cache;
pub mod server;
pub mod verified_tickets;

pub use package::{Kerberos, KERBEROS, KERBEROS_PACKAGE_INFO};
