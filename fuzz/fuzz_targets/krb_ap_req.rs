//! The acceptor's AP-REQ checks (`packages::kerberos::acceptor`). The first
//! byte picks what the rest is: 0 a whole token (framed or raw AP-REQ);
//! 1 an edit (see `krb_ap::edit`) of a valid EncTicketPart, encrypted under
//! the fixed service key; 2 an edit of a valid Authenticator, encrypted
//! under the fixed ticket's session key. Never a panic; a token accepted
//! names the ticket's client and carries an AP-REP when mutual was asked.
//! Seeds (fuzz/seeds/krb_ap_req/): an AP-REQ of MIT's gss_init.py, and the
//! unedited plaintexts of modes 1 and 2.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::acceptor::{accept_ap_req, AcceptorOptions};
use opensspi::packages::kerberos::ap_wire::GSS_C_MUTUAL_FLAG;
use opensspi::packages::kerberos::replay_cache::ReplayCache;
use opensspi_fuzz::krb_ap::*;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = match mode % 3 {
        0 => rest.to_vec(),
        1 => ap_req(&ticket(&edit(&enc_ticket_part(), rest)), &authenticator()),
        _ => ap_req(&ticket(&enc_ticket_part()), &edit(&authenticator(), rest)),
    };
    let kt = keytab();
    let opts = AcceptorOptions {
        keytab: &kt,
        principal: None,
        clockskew: 300,
        channel_bindings: None,
        require_bindings: false,
        keys: None,
        tickets: None,
    };
    let cache = ReplayCache::new(4);
    if let Ok(a) = accept_ap_req(&opts, &cache, &token, NOW) {
        assert_eq!(a.server, service());
        assert_eq!(a.ap_rep.is_some(), a.acceptor_subkey.is_some());
        if a.gss_flags & GSS_C_MUTUAL_FLAG != 0 {
            assert!(a.ap_rep.is_some());
        }
        // The same token again is a replay.
        assert!(accept_ap_req(&opts, &cache, &token, NOW).is_err());
    }
});
