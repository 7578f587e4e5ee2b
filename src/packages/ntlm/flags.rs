//! NegotiateFlags (MS-NLMP 2.2.2.5) and the mapping between SSPI
//! `ISC_REQ_*`/`ASC_REQ_*` words and NTLM flags (BEHAVIOURS.md 44-46, 59).

use crate::sspi::consts::*;

pub const NTLMSSP_NEGOTIATE_UNICODE: u32 = 0x0000_0001;
pub const NTLM_NEGOTIATE_OEM: u32 = 0x0000_0002;
pub const NTLMSSP_REQUEST_TARGET: u32 = 0x0000_0004;
pub const NTLMSSP_NEGOTIATE_SIGN: u32 = 0x0000_0010;
pub const NTLMSSP_NEGOTIATE_SEAL: u32 = 0x0000_0020;
pub const NTLMSSP_NEGOTIATE_DATAGRAM: u32 = 0x0000_0040;
pub const NTLMSSP_NEGOTIATE_LM_KEY: u32 = 0x0000_0080;
pub const NTLMSSP_NEGOTIATE_NTLM: u32 = 0x0000_0200;
pub const NTLMSSP_NEGOTIATE_ANONYMOUS: u32 = 0x0000_0800;
pub const NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED: u32 = 0x0000_1000;
pub const NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED: u32 = 0x0000_2000;
pub const NTLMSSP_NEGOTIATE_ALWAYS_SIGN: u32 = 0x0000_8000;
pub const NTLMSSP_TARGET_TYPE_DOMAIN: u32 = 0x0001_0000;
pub const NTLMSSP_TARGET_TYPE_SERVER: u32 = 0x0002_0000;
pub const NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
pub const NTLMSSP_NEGOTIATE_IDENTIFY: u32 = 0x0010_0000;
pub const NTLMSSP_REQUEST_NON_NT_SESSION_KEY: u32 = 0x0040_0000;
pub const NTLMSSP_NEGOTIATE_TARGET_INFO: u32 = 0x0080_0000;
pub const NTLMSSP_NEGOTIATE_VERSION: u32 = 0x0200_0000;
pub const NTLMSSP_NEGOTIATE_128: u32 = 0x2000_0000;
pub const NTLMSSP_NEGOTIATE_KEY_EXCH: u32 = 0x4000_0000;
pub const NTLMSSP_NEGOTIATE_56: u32 = 0x8000_0000;

/// Short alias used throughout the package.
pub const ESS: u32 = NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY;

/// Flags every client NEGOTIATE_MESSAGE carries: Windows' word 0xE2088207
/// (BEHAVIOURS.md 45) without SIGN/SEAL, which depend on the request.
pub const CLIENT_BASE_FLAGS: u32 = NTLMSSP_NEGOTIATE_56
    | NTLMSSP_NEGOTIATE_KEY_EXCH
    | NTLMSSP_NEGOTIATE_128
    | NTLMSSP_NEGOTIATE_VERSION
    | ESS
    | NTLMSSP_NEGOTIATE_ALWAYS_SIGN
    | NTLMSSP_NEGOTIATE_NTLM
    | NTLMSSP_NEGOTIATE_LM_KEY
    | NTLMSSP_REQUEST_TARGET
    | NTLM_NEGOTIATE_OEM
    | NTLMSSP_NEGOTIATE_UNICODE;

/// The NegotiateFlags bits NTLMMinClientSec / NTLMMinServerSec can require:
/// message integrity, confidentiality, NTLMv2 (extended) session security
/// and 128-bit keys.
pub const MIN_SEC_BITS: u32 =
    NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL | ESS | NTLMSSP_NEGOTIATE_128;

/// Default minimum session security of both sides: 128-bit keys and
/// extended session security (0x20080000). Windows itself requires only
/// 128-bit keys by default; 0x20080000 is the CIS/DISA baseline, chosen so a
/// man in the middle cannot strip ESS (see docs/BEHAVIOURS.md, NTLM policy).
pub const MIN_SEC_DEFAULT: u32 = NTLMSSP_NEGOTIATE_128 | ESS;

/// Whether the negotiated `flags` give every feature `required` asks for
/// (MS-NLMP 3.1.5.1.2, 3.2.5.1.1, 3.2.5.1.2: otherwise
/// SEC_E_UNSUPPORTED_FUNCTION).
pub fn meets_min_sec(flags: u32, required: u32) -> bool {
    let required = required & MIN_SEC_BITS;
    flags & required == required
}

/// `ISC_REQ_*` bits that make Windows ask for NTLMSSP_NEGOTIATE_SIGN.
pub const ISC_REQ_SIGN_BITS: u32 =
    ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONFIDENTIALITY;

/// NEGOTIATE_MESSAGE flags for an `InitializeSecurityContext` request word
/// (BEHAVIOURS.md 44-45: INTEGRITY/REPLAY/SEQUENCE → SIGN, CONFIDENTIALITY
/// → SEAL|SIGN, giving 0xE20882B7).
pub fn negotiate_flags_for(context_req: u32) -> u32 {
    let mut flags = CLIENT_BASE_FLAGS;
    if context_req & ISC_REQ_SIGN_BITS != 0 {
        flags |= NTLMSSP_NEGOTIATE_SIGN;
    }
    if context_req & ISC_REQ_CONFIDENTIALITY != 0 {
        flags |= NTLMSSP_NEGOTIATE_SEAL;
    }
    if context_req & ISC_REQ_IDENTIFY != 0 {
        flags |= NTLMSSP_NEGOTIATE_IDENTIFY;
    }
    flags
}

/// `ISC_REQ_*` bits NTLM returns unchanged as `ISC_RET_*` (CONSTANTS.md 3.5).
const ISC_ECHO: u32 = ISC_REQ_CONNECTION
    | ISC_REQ_EXTENDED_ERROR
    | ISC_REQ_IDENTIFY
    | ISC_REQ_NULL_SESSION
    | ISC_REQ_USE_DCE_STYLE;

/// `pfContextAttr` of the client after its first leg (item 46: request
/// CONFIDENTIALITY → 0x10010; anonymous → 0x50010).
pub fn isc_ret_first(context_req: u32, anonymous: bool) -> u32 {
    let mut ret = context_req & ISC_ECHO;
    if context_req & ISC_REQ_SIGN_BITS != 0 {
        ret |= ISC_RET_INTEGRITY;
    }
    ret |=
        context_req & (ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONFIDENTIALITY);
    if anonymous {
        ret |= ISC_RET_NULL_SESSION;
    }
    ret
}

/// `pfContextAttr` of the client once the AUTHENTICATE_MESSAGE is built
/// (item 46: 0x1001C; anonymous 0x5001C).
pub fn isc_ret_final(context_req: u32, negotiated: u32, anonymous: bool) -> u32 {
    let mut ret = context_req & ISC_ECHO;
    if negotiated & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL) != 0 {
        ret |= ISC_RET_INTEGRITY | ISC_RET_REPLAY_DETECT | ISC_RET_SEQUENCE_DETECT;
    }
    if negotiated & NTLMSSP_NEGOTIATE_SEAL != 0 {
        ret |= ISC_RET_CONFIDENTIALITY;
    }
    if anonymous {
        ret |= ISC_RET_NULL_SESSION;
    }
    ret
}

/// `ASC_REQ_*` bits NTLM returns unchanged as `ASC_RET_*`.
const ASC_ECHO: u32 = ASC_REQ_CONNECTION | ASC_REQ_EXTENDED_ERROR | ASC_REQ_IDENTIFY;

/// `pfContextAttr` of the server after the CHALLENGE (item 59: 0x1C).
pub fn asc_ret_first(context_req: u32, client_flags: u32) -> u32 {
    let mut ret = context_req & ASC_ECHO;
    if client_flags & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL) != 0 {
        ret |= ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT;
    }
    if client_flags & NTLMSSP_NEGOTIATE_SEAL != 0 {
        ret |= ASC_RET_CONFIDENTIALITY;
    }
    ret
}

/// `pfContextAttr` of the server once authenticated (item 59: 0x2001C,
/// anonymous 0x12001C).
pub fn asc_ret_final(context_req: u32, negotiated: u32, anonymous: bool) -> u32 {
    let mut ret = context_req & ASC_ECHO;
    if negotiated & (NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL) != 0 {
        ret |= ASC_RET_INTEGRITY | ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT;
    }
    if negotiated & NTLMSSP_NEGOTIATE_SEAL != 0 {
        ret |= ASC_RET_CONFIDENTIALITY;
    }
    if anonymous {
        ret |= ASC_RET_NULL_SESSION;
    }
    ret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_words() {
        assert_eq!(negotiate_flags_for(ISC_REQ_CONFIDENTIALITY), 0xE208_82B7);
        for req in [
            0,
            ISC_REQ_CONNECTION,
            ISC_REQ_EXTENDED_ERROR,
            ISC_REQ_MUTUAL_AUTH,
            ISC_REQ_USE_DCE_STYLE,
            ISC_REQ_DELEGATE,
        ] {
            assert_eq!(negotiate_flags_for(req) & 0x30, 0, "{req:#x}");
        }
        for req in [
            ISC_REQ_INTEGRITY,
            ISC_REQ_REPLAY_DETECT,
            ISC_REQ_SEQUENCE_DETECT,
        ] {
            assert_eq!(negotiate_flags_for(req) & 0x30, 0x10, "{req:#x}");
        }
        assert_eq!(isc_ret_first(ISC_REQ_CONFIDENTIALITY, false), 0x10010);
        assert_eq!(
            isc_ret_final(ISC_REQ_CONFIDENTIALITY, 0xE288_8235, false),
            0x1001C
        );
        let anon = ISC_REQ_CONFIDENTIALITY | ISC_REQ_NULL_SESSION;
        assert_eq!(isc_ret_first(anon, true), 0x50010);
        assert_eq!(isc_ret_final(anon, 0xE288_8A35, true), 0x5001C);
        assert_eq!(asc_ret_first(0, 0xE208_82B7), 0x1C);
        assert_eq!(asc_ret_final(0, 0xE288_8235, false), 0x2001C);
        assert_eq!(asc_ret_final(0, 0xE288_8235, true), 0x12001C);
    }
}
