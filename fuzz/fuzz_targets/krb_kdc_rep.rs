//! The KDC reply decoders (`packages::kerberos::kdc`): KRB-ERROR, AS-REP,
//! TGS-REP, EncKDCRepPart, METHOD-DATA and ETYPE-INFO2, on bytes as they
//! come from the network (or out of a decryption). None may panic; a
//! decoded reply's ticket re-encodes to a Ticket that decodes again.
//! Seeds (fuzz/seeds/krb_kdc_rep/): replies of MIT's KDC to our AS and TGS
//! requests (tests/kerberos_kdc.rs with KRB_KDC_REP_SEEDS=DIR): a
//! KDC_ERR_PREAUTH_REQUIRED with its METHOD-DATA, AS-REPs, TGS-REPs (a
//! referral among them) and KDC_ERR_S_PRINCIPAL_UNKNOWN.
#![no_main]
use libfuzzer_sys::fuzz_target;
use opensspi::packages::kerberos::kdc::as_exchange::{etype_info2, method_data};
use opensspi::packages::kerberos::kdc::error::parse_krb_error;
use opensspi::packages::kerberos::kdc::rep::{decode_enc_part, decode_rep, RepKind};

fuzz_target!(|data: &[u8]| {
    if let Some(err) = parse_krb_error(data) {
        let md = method_data(err.e_data.as_deref().unwrap_or_default());
        let _ = etype_info2(&md);
    }
    for kind in [RepKind::As, RepKind::Tgs] {
        if let Ok(rep) = decode_rep(data, kind) {
            let _ = etype_info2(&rep.padata);
            let t: picky_krb::data_types::Ticket =
                picky_asn1_der::from_bytes(&rep.ticket).expect("re-encoded ticket decodes");
            assert_eq!(picky_asn1_der::to_vec(&t).expect("encodes"), rep.ticket);
        }
    }
    let _ = decode_enc_part(data);
    let _ = etype_info2(&method_data(data));
});
