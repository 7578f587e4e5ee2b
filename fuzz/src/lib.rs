//! Helpers of the fuzz targets: an account file, NTLM credentials and
//! contexts through the safe core (`opensspi::sspi`), exactly as the C ABI
//! drives them; `krb_ap`: a fixed realm for the Kerberos AP targets;
//! `krb_gss`: etypes and a context side for the Kerberos per-message targets.

pub mod krb_ap;
pub mod krb_gss;

use std::sync::{Arc, Once};

use opensspi::sspi::consts::*;
use opensspi::sspi::registry::find_package;
use opensspi::sspi::{
    AcquireCredentials, AuthIdentity, Credential, CredentialUse, HandshakeInput, SecResult,
    SecurityContext,
};
use zeroize::Zeroizing;

pub const ISC_REQ: u32 = ISC_REQ_CONFIDENTIALITY
    | ISC_REQ_INTEGRITY
    | ISC_REQ_REPLAY_DETECT
    | ISC_REQ_SEQUENCE_DETECT
    | ISC_REQ_CONNECTION;
pub const ASC_REQ: u32 = ASC_REQ_CONFIDENTIALITY
    | ASC_REQ_INTEGRITY
    | ASC_REQ_REPLAY_DETECT
    | ASC_REQ_SEQUENCE_DETECT
    | ASC_REQ_CONNECTION;

static USER_FILE: Once = Once::new();

/// Point `NTLM_USER_FILE` at a file holding `WORKGROUP:testuser:testpass`.
pub fn user_file() {
    USER_FILE.call_once(|| {
        let path = std::env::temp_dir().join(format!("opensspi-fuzz-users-{}", std::process::id()));
        std::fs::write(&path, "WORKGROUP:testuser:testpass\n").expect("user file");
        std::env::set_var("NTLM_USER_FILE", &path);
    });
}

/// `WORKGROUP\testuser` with its password, the account of [`user_file`].
fn testuser() -> AuthIdentity {
    AuthIdentity {
        user: Some("testuser".into()),
        domain: Some("WORKGROUP".into()),
        password: Some(Zeroizing::new("testpass".into())),
        package_list: None,
    }
}

pub fn client_cred() -> SecResult<Arc<dyn Credential>> {
    user_file();
    let id = testuser();
    find_package("NTLM")?.acquire_credentials(&AcquireCredentials {
        principal: None,
        usage: CredentialUse::Outbound,
        logon_id: None,
        identity: Some(&id),
    })
}

pub fn server_cred() -> SecResult<Arc<dyn Credential>> {
    user_file();
    find_package("NTLM")?.acquire_credentials(&AcquireCredentials {
        principal: None,
        usage: CredentialUse::Inbound,
        logon_id: None,
        identity: None,
    })
}

/// Negotiate (client, server) credentials: `testuser` outbound, inbound.
pub fn negotiate_creds() -> SecResult<(Arc<dyn Credential>, Arc<dyn Credential>)> {
    user_file();
    let id = testuser();
    let nego = find_package("Negotiate")?;
    let acquire = |usage, identity| {
        nego.acquire_credentials(&AcquireCredentials {
            principal: None,
            usage,
            logon_id: None,
            identity,
        })
    };
    Ok((
        acquire(CredentialUse::Outbound, Some(&id))?,
        acquire(CredentialUse::Inbound, None)?,
    ))
}

pub fn input(token: Option<&[u8]>, req: u32) -> HandshakeInput<'_> {
    HandshakeInput {
        token,
        channel_bindings: None,
        target: None,
        context_req: req,
        data_rep: SECURITY_NATIVE_DREP,
    }
}

/// A fresh client context after its first leg, with its NEGOTIATE.
pub fn client_first(cred: &Arc<dyn Credential>) -> SecResult<(Box<dyn SecurityContext>, Vec<u8>)> {
    let mut c = cred.new_initiator(None, ISC_REQ)?;
    let out = c.initialize(&input(None, ISC_REQ))?;
    Ok((c, out.token))
}

/// An established (client, server) pair.
pub fn pair(
    cc: &Arc<dyn Credential>,
    sc: &Arc<dyn Credential>,
) -> SecResult<(Box<dyn SecurityContext>, Box<dyn SecurityContext>)> {
    let (mut c, neg) = client_first(cc)?;
    let mut s = sc.new_acceptor(ASC_REQ)?;
    let chal = s.accept(&input(Some(&neg), ASC_REQ))?.token;
    let auth = c.initialize(&input(Some(&chal), ISC_REQ))?.token;
    s.accept(&input(Some(&auth), ASC_REQ))?;
    Ok((c, s))
}
