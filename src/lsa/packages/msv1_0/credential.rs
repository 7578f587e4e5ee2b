//! MSV1_0's primary credential of a logon session: the user's names and
//! NT OWF (its `SpAcceptCredentials` step), never the password.

use std::any::Any;

use zeroize::Zeroizing;

use super::owf::NtOwf;
use crate::lsa::packages::{PackageCredential, MSV1_0_ID};
use crate::lsa::secret::Secret;
use crate::lsa::session::LogonSession;
use crate::lsa::store::codec::{Reader, Writer};
use crate::lsa::Luid;

/// What MSV1_0 keeps for a logon session. `nt_owf` is `None` in the copy
/// a client of the LSA service sees ([`PackageCredential::client_copy`]):
/// the OWF stays in the service, which runs the credential operations
/// ([`crate::lsa::Lsa::msv1_0_credential_op`]).
#[derive(Clone)]
pub struct Msv1_0PrimaryCredential {
    pub logon_id: Luid,
    pub user: String,
    pub domain: String,
    pub nt_owf: Option<NtOwf>,
}

impl std::fmt::Debug for Msv1_0PrimaryCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Msv1_0PrimaryCredential")
            .field("logon_id", &self.logon_id)
            .field("user", &self.user)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

impl Msv1_0PrimaryCredential {
    /// The MSV1_0 credential of session `s`, if it has one.
    pub fn of(s: &LogonSession) -> Option<&Msv1_0PrimaryCredential> {
        s.credentials.get(MSV1_0_ID)
    }

    pub fn of_mut(s: &mut LogonSession) -> Option<&mut Msv1_0PrimaryCredential> {
        s.credentials.get_mut(MSV1_0_ID)
    }

    /// Parse what [`PackageCredential::encode`] wrote: LUID, user,
    /// domain, NT OWF (empty: none).
    pub fn decode(bytes: &[u8]) -> Option<Msv1_0PrimaryCredential> {
        let mut r = Reader::new(bytes);
        let logon_id = Luid::from_u64(r.u64()?);
        let user = r.string()?;
        let domain = r.string()?;
        let nt_owf = match r.bytes()? {
            [] => None,
            b => Some(Secret::from_slice(b)?),
        };
        r.is_empty().then_some(Msv1_0PrimaryCredential {
            logon_id,
            user,
            domain,
            nt_owf,
        })
    }
}

impl PackageCredential for Msv1_0PrimaryCredential {
    fn clone_box(&self) -> Box<dyn PackageCredential> {
        Box::new(self.clone())
    }

    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::with_capacity(64);
        w.u64(self.logon_id.as_u64());
        w.str(&self.user);
        w.str(&self.domain);
        w.bytes(self.nt_owf.as_ref().map(|o| &o[..]).unwrap_or(&[]));
        w.finish()
    }

    fn client_copy(&self) -> Box<dyn PackageCredential> {
        Box::new(Msv1_0PrimaryCredential {
            nt_owf: None,
            ..self.clone()
        })
    }

    fn is_client_copy(&self) -> bool {
        self.nt_owf.is_none()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
