//! Key usage numbers (RFC 4120 §7.5.1, RFC 4121 §2, MS-PAC §2.8). A key
//! usage selects the keys derived from a base key, so that a ciphertext made
//! for one purpose is never accepted for another.

/// AS-REQ PA-ENC-TIMESTAMP padata timestamp, client key.
pub const AS_REQ_PA_ENC_TIMESTAMP: u32 = 1;
/// AS-REP and TGS-REP Ticket, service key.
pub const KDC_REP_TICKET: u32 = 2;
/// AS-REP encrypted part, client key.
pub const AS_REP_ENC_PART: u32 = 3;
/// TGS-REQ KDC-REQ-BODY AuthorizationData, TGS session key.
pub const TGS_REQ_AD_SESSION_KEY: u32 = 4;
/// TGS-REQ KDC-REQ-BODY AuthorizationData, TGS authenticator subkey.
pub const TGS_REQ_AD_SUBKEY: u32 = 5;
/// TGS-REQ PA-TGS-REQ AP-REQ Authenticator cksum, TGS session key.
pub const TGS_REQ_AUTH_CKSUM: u32 = 6;
/// TGS-REQ PA-TGS-REQ AP-REQ Authenticator, TGS session key.
pub const TGS_REQ_AUTH: u32 = 7;
/// TGS-REP encrypted part, TGS session key.
pub const TGS_REP_ENC_PART_SESSION_KEY: u32 = 8;
/// TGS-REP encrypted part, TGS authenticator subkey.
pub const TGS_REP_ENC_PART_SUBKEY: u32 = 9;
/// AP-REQ Authenticator cksum, application session key.
pub const AP_REQ_AUTH_CKSUM: u32 = 10;
/// AP-REQ Authenticator, application session key.
pub const AP_REQ_AUTH: u32 = 11;
/// AP-REP encrypted part, application session key.
pub const AP_REP_ENC_PART: u32 = 12;
/// KRB-PRIV encrypted part.
pub const KRB_PRIV_ENC_PART: u32 = 13;
/// KRB-CRED encrypted part.
pub const KRB_CRED_ENC_PART: u32 = 14;
/// KRB-SAFE cksum.
pub const KRB_SAFE_CKSUM: u32 = 15;
/// PAC server and KDC signatures (MS-PAC §2.8, `KERB_NON_KERB_CKSUM_SALT`).
pub const KERB_NON_KERB_CKSUM_SALT: u32 = 17;
/// AD-KDC-ISSUED checksum.
pub const AD_KDC_ISSUED_CKSUM: u32 = 19;
/// GSS Wrap tokens sealed by the acceptor (RFC 4121 §2, KG-USAGE-ACCEPTOR-SEAL).
pub const KG_USAGE_ACCEPTOR_SEAL: u32 = 22;
/// GSS MIC and unsealed Wrap tokens of the acceptor (KG-USAGE-ACCEPTOR-SIGN).
pub const KG_USAGE_ACCEPTOR_SIGN: u32 = 23;
/// GSS Wrap tokens sealed by the initiator (KG-USAGE-INITIATOR-SEAL).
pub const KG_USAGE_INITIATOR_SEAL: u32 = 24;
/// GSS MIC and unsealed Wrap tokens of the initiator (KG-USAGE-INITIATOR-SIGN).
pub const KG_USAGE_INITIATOR_SIGN: u32 = 25;
