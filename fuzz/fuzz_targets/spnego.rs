//! SPNEGO tokens: the strict DER decoder (a NegTokenResp re-encodes to the
//! same bytes, a NegTokenInit to one that decodes alike), then the same
//! bytes as the Negotiate acceptor's first leg and the initiator's second.
#![no_main]
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use opensspi::packages::negotiate::tokens::{self, NegotiationToken};
use opensspi::sspi::Credential;
use opensspi_fuzz::*;

static CREDS: OnceLock<Option<(Arc<dyn Credential>, Arc<dyn Credential>)>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    match tokens::decode(data) {
        Ok(NegotiationToken::Resp(r)) => assert_eq!(tokens::encode_resp(&r), data),
        Ok(NegotiationToken::Init(i)) => {
            if let Some(der) = i.mech_types_der {
                let again =
                    tokens::encode_init(der, i.mech_token, i.neg_hints.is_some(), i.mech_list_mic);
                let Ok(NegotiationToken::Init(j)) = tokens::decode(&again) else {
                    panic!("re-encoded NegTokenInit does not decode");
                };
                assert_eq!(
                    (j.mech_types, j.mech_token, j.mech_list_mic),
                    (i.mech_types, i.mech_token, i.mech_list_mic)
                );
            }
        }
        Err(_) => {}
    }
    let Some((cc, sc)) = CREDS.get_or_init(|| negotiate_creds().ok()) else {
        return;
    };
    if let Ok(mut s) = sc.new_acceptor(ASC_REQ) {
        if s.accept(&input(Some(data), ASC_REQ)).is_ok() {
            let _ = s.accept(&input(Some(data), ASC_REQ));
        }
    }
    if let Ok(mut c) = cc.new_initiator(None, ISC_REQ) {
        if c.initialize(&input(None, ISC_REQ)).is_ok() {
            let _ = c.initialize(&input(Some(data), ISC_REQ));
        }
    }
});
