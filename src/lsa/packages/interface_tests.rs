//! The package interface: a package registered after the standard ones
//! is looked up, receives its `LsaCallAuthenticationPackage` messages,
//! validates logons, keeps a credential in each new session and hears of
//! every logoff (`LogonTerminated`).

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;
use zeroize::Zeroizing;

use super::*;
use crate::lsa::accounts::AccountDatabase;
use crate::lsa::store::memory::MemoryStore;
use crate::lsa::Msv1_0PrimaryCredential;

#[derive(Default)]
struct Record {
    calls: Mutex<Vec<u32>>,
    terminated: Mutex<Vec<Luid>>,
}

struct Probe(Arc<Record>);

/// The probe's session credential: 1 when it validated the logon, 2
/// when another package did.
#[derive(Clone, Debug, PartialEq)]
struct ProbeCredential(u8);

impl PackageCredential for ProbeCredential {
    fn clone_box(&self) -> Box<dyn PackageCredential> {
        Box::new(self.clone())
    }
    fn encode(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(vec![self.0])
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

impl AuthenticationPackage for Probe {
    fn name(&self) -> &'static str {
        "Probe"
    }

    fn logon_user(
        &self,
        lsa: &Lsa,
        _logon_type: SecurityLogonType,
        request: &InteractiveLogon,
    ) -> Result<PackageLogon, LogonError> {
        Ok(PackageLogon {
            validated: ValidatedLogon {
                user: request.user.clone(),
                domain: "PROBE".into(),
                logon_server: String::new(),
                dns_domain_name: String::new(),
                upn: String::new(),
            },
            package_id: lsa.packages().lookup(b"Probe")?,
            credential: Some(Box::new(ProbeCredential(1))),
        })
    }

    fn accept_credentials(
        &self,
        _lsa: &Lsa,
        _logon_id: Luid,
        _validated: &ValidatedLogon,
        _request: &InteractiveLogon,
    ) -> Option<Box<dyn PackageCredential>> {
        Some(Box::new(ProbeCredential(2)))
    }

    fn call_package(
        &self,
        _lsa: &Lsa,
        message_type: u32,
        _request: &[u8],
        _request_base: usize,
    ) -> NtResult<PackageCallResult> {
        self.0.calls.lock().push(message_type);
        PackageCallResult::status(NtStatus::SUCCESS)
    }

    fn logon_terminated(&self, logon_id: Luid) {
        self.0.terminated.lock().push(logon_id);
    }
}

fn lsa_with_probe() -> (Lsa, Arc<Record>) {
    let record = Arc::new(Record::default());
    let db = AccountDatabase::parse("EXAMPLE:alice:alice-Passw0rd\n");
    let lsa = Lsa::new(Arc::new(MemoryStore::new()))
        .with_accounts(Arc::new(db))
        .with_package(Arc::new(Probe(record.clone())));
    (lsa, record)
}

fn alice() -> InteractiveLogon {
    InteractiveLogon::new("EXAMPLE", "alice", "alice-Passw0rd")
}

#[test]
fn a_registered_package_is_looked_up_and_called() {
    let (lsa, record) = lsa_with_probe();
    let r = lsa.packages();
    assert_eq!(r.lookup(b"probe"), Ok(3));
    assert_eq!(r.lookup(b"Negotiate"), Ok(NEGOTIATE_ID));
    assert_eq!(r.lookup(b"Kerberos"), Ok(KERBEROS_ID));
    assert_eq!(r.lookup(MSV1_0_PACKAGE_NAME.as_bytes()), Ok(MSV1_0_ID));
    let h = lsa.connect_untrusted().unwrap();
    let res = lsa
        .call_authentication_package(h, 3, &9u32.to_le_bytes(), 0)
        .unwrap();
    assert_eq!(res.protocol_status, NtStatus::SUCCESS);
    assert_eq!(*record.calls.lock(), [9]);
    assert_eq!(
        lsa.call_authentication_package(h, 4, &9u32.to_le_bytes(), 0),
        Err(NtStatus::NO_SUCH_PACKAGE)
    );
    // Short request: refused before the package sees it.
    assert_eq!(
        lsa.call_authentication_package(h, 3, &[9], 0),
        Err(NtStatus::INVALID_PARAMETER)
    );
    assert_eq!(record.calls.lock().len(), 1);
}

#[test]
fn every_package_keeps_its_credential_in_the_session() {
    let (lsa, _) = lsa_with_probe();
    // Validated by the probe: its own credential from the logon, MSV1_0's
    // from SpAcceptCredentials.
    let by_probe = lsa.logon_user(3, 2, &alice()).unwrap();
    let s = lsa.store().get(by_probe.logon_id).unwrap().unwrap();
    assert_eq!(s.authentication_package, "Probe");
    assert_eq!(
        s.credentials.get::<ProbeCredential>(3),
        Some(&ProbeCredential(1))
    );
    assert!(Msv1_0PrimaryCredential::of(&s).unwrap().nt_owf.is_some());
    // Validated by MSV1_0: the probe accepted the credentials.
    let by_msv = lsa.logon_user(MSV1_0_ID, 2, &alice()).unwrap();
    let s = lsa.store().get(by_msv.logon_id).unwrap().unwrap();
    assert_eq!(s.authentication_package, "NTLM");
    assert_eq!(
        s.credentials.get::<ProbeCredential>(3),
        Some(&ProbeCredential(2))
    );
    // Another package's type under an id is not handed out.
    assert!(s.credentials.get::<ProbeCredential>(MSV1_0_ID).is_none());
    // A network logon keeps none.
    let net = lsa.logon_user(3, 3, &alice()).unwrap();
    let s = lsa.store().get(net.logon_id).unwrap().unwrap();
    assert!(s.credentials.is_empty());
}

/// `LogonTerminated` reaches every package when this process logs a
/// stored or a network session off, and not for a refused logoff.
#[test]
fn logoff_notifies_every_package() {
    let (lsa, record) = lsa_with_probe();
    let stored = lsa.logon_user(MSV1_0_ID, 2, &alice()).unwrap().logon_id;
    let network = lsa.network_logon("alice", "EXAMPLE", "NTLM").unwrap();
    assert!(record.terminated.lock().is_empty());
    lsa.logoff(stored).unwrap();
    lsa.logoff(network).unwrap();
    assert_eq!(*record.terminated.lock(), [stored, network]);
    assert_eq!(lsa.logoff(stored), Err(NtStatus::NO_SUCH_LOGON_SESSION));
    assert_eq!(record.terminated.lock().len(), 2);
}
