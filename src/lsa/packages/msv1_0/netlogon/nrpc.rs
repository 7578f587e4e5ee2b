//! The NETLOGON calls a member server's MSV1_0 makes (MS-NRPC 3.4.5):
//! the endpoint mapper's `ept_map` (C706 appendix O, MS-RPCE 2.2.1.2.5)
//! to find NETLOGON's TCP port, `NetrServerReqChallenge` (opnum 4),
//! `NetrServerAuthenticate3` (26) and `NetrLogonSamLogonEx` (39), their
//! NDR, and the secure channel that ties them together.

use std::time::Duration;

use super::credential::{ChannelCredentials, NetlogonCredential, SessionKey};
use super::ndr::{NdrError, NdrReader, NdrResult, NdrWriter};
use super::rpc::{RpcConnection, RpcError, NDR_SYNTAX};
use super::schannel::{nl_auth_message, SchannelSeal};
use crate::lsa::session::Sid;

/// NETLOGON 12345678-1234-abcd-ef00-01234567cffb v1.0.
pub const NETLOGON_UUID: [u8; 16] = [
    0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0xcf, 0xfb,
];
/// epmapper e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0.
const EPM_UUID: [u8; 16] = [
    0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa,
];

/// NegotiateFlags we ask for: what Samba's own member sends (0x610FFFFF:
/// AES 0x01000000, secure RPC 0x40000000, ...).
pub const NEGOTIATE_FLAGS: u32 = 0x610f_ffff;
/// NETLOGON_NEG_SUPPORTS_AES.
pub const NEG_SUPPORTS_AES: u32 = 0x0100_0000;
/// WorkstationSecureChannel.
const WORKSTATION_SECURE_CHANNEL: u16 = 2;
/// MSV1_0_ALLOW_SERVER_TRUST_ACCOUNT | MSV1_0_ALLOW_WORKSTATION_TRUST_ACCOUNT.
pub const PARAMETER_CONTROL: u32 = 0x820;

pub const STATUS_SUCCESS: u32 = 0;
pub const STATUS_ACCESS_DENIED: u32 = 0xc000_0022;
pub const STATUS_NO_LOGON_SERVERS: u32 = 0xc000_005e;

/// Why a NETLOGON operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NrpcError {
    /// The RPC layer (connection, protocol, fault, signature).
    Rpc(RpcError),
    /// A reply whose NDR does not decode.
    Ndr,
    /// The call returned this NTSTATUS.
    Status(u32),
    /// The DC did not prove knowledge of the session key, or refused AES.
    ServerCredential,
}

impl From<RpcError> for NrpcError {
    fn from(e: RpcError) -> Self {
        NrpcError::Rpc(e)
    }
}

impl From<NdrError> for NrpcError {
    fn from(_: NdrError) -> Self {
        NrpcError::Ndr
    }
}

/// The machine account a secure channel is set up with.
pub struct MachineAccount {
    /// NetBIOS domain name.
    pub domain: String,
    /// NetBIOS computer name (without `$`).
    pub computer: String,
    /// NTOWFv1 of the machine password.
    pub nt_owf: crate::lsa::packages::msv1_0::owf::NtOwf,
}

/// A tower for ncacn_ip_tcp of `uuid` v`major`.`minor` with port 0
/// (C706 appendix L, MS-RPCE 2.2.1.2.5).
fn tcp_tower(uuid: &[u8; 16], major: u16, minor: u16) -> Vec<u8> {
    let floors: [(Vec<u8>, Vec<u8>); 5] = [
        (
            [&[0x0d][..], uuid, &major.to_le_bytes()].concat(),
            minor.to_le_bytes().to_vec(),
        ),
        (
            [
                &[0x0d][..],
                &NDR_SYNTAX.0,
                &(NDR_SYNTAX.1 as u16).to_le_bytes(),
            ]
            .concat(),
            vec![0, 0],
        ),
        (vec![0x0b], vec![0, 0]),
        (vec![0x07], vec![0, 0]),
        (vec![0x09], vec![0, 0, 0, 0]),
    ];
    let mut t = (floors.len() as u16).to_le_bytes().to_vec();
    for (lhs, rhs) in floors {
        t.extend_from_slice(&(lhs.len() as u16).to_le_bytes());
        t.extend_from_slice(&lhs);
        t.extend_from_slice(&(rhs.len() as u16).to_le_bytes());
        t.extend_from_slice(&rhs);
    }
    t
}

/// `ept_map` request stub (opnum 3) for NETLOGON over TCP.
pub fn ept_map_request() -> Vec<u8> {
    let tower = tcp_tower(&NETLOGON_UUID, 1, 0);
    let mut w = NdrWriter::new();
    w.u32(0); // object: null
    w.referent();
    w.u32(tower.len() as u32);
    w.u32(tower.len() as u32);
    w.bytes(&tower);
    w.align(4);
    w.bytes(&[0u8; 20]); // entry_handle
    w.u32(4); // max_towers
    w.buf
}

/// The TCP port of the first tower in an `ept_map` reply.
pub fn ept_map_port(stub: &[u8]) -> NdrResult<u16> {
    let mut r = NdrReader::new(stub);
    r.take(20)?;
    let num = r.u32()?;
    let _max = r.count(4)?;
    let _offset = r.u32()?;
    let actual = r.count(4)?;
    if num == 0 || actual == 0 {
        return Err(NdrError);
    }
    let mut present = Vec::with_capacity(actual);
    for _ in 0..actual {
        present.push(r.u32()? != 0);
    }
    for p in present {
        if !p {
            continue;
        }
        let len = r.u32()? as usize;
        let n = r.count(1)?;
        if n != len {
            return Err(NdrError);
        }
        let tower = r.take(len)?;
        r.align(4)?;
        if let Some(port) = tower_tcp_port(tower) {
            return Ok(port);
        }
    }
    Err(NdrError)
}

fn tower_tcp_port(t: &[u8]) -> Option<u16> {
    let mut r = NdrReader::new(t);
    let floors = u16::from_le_bytes(r.array().ok()?);
    for _ in 0..floors {
        let l = u16::from_le_bytes(r.array().ok()?) as usize;
        let lhs = r.take(l).ok()?;
        let rl = u16::from_le_bytes(r.array().ok()?) as usize;
        let rhs = r.take(rl).ok()?;
        if lhs == [0x07] && rhs.len() == 2 {
            return Some(u16::from_be_bytes([rhs[0], rhs[1]]));
        }
    }
    None
}

/// Asks the endpoint mapper on `host`:135 for NETLOGON's TCP port.
pub fn netlogon_port(host: &str, timeout: Duration) -> Result<u16, NrpcError> {
    let mut c = RpcConnection::connect(&format!("{host}:135"), timeout)?;
    c.bind(&EPM_UUID, 3, None)?;
    let reply = c.call(3, &ept_map_request())?;
    Ok(ept_map_port(&reply)?)
}

/// NetrServerReqChallenge request stub.
pub fn req_challenge_request(server: &str, computer: &str, client: &NetlogonCredential) -> Vec<u8> {
    let mut w = NdrWriter::new();
    w.unique_wstring(server);
    w.wstring(computer);
    w.bytes(client);
    w.buf
}

/// NetrServerReqChallenge reply: the server challenge.
pub fn req_challenge_reply(stub: &[u8]) -> Result<NetlogonCredential, NrpcError> {
    let mut r = NdrReader::new(stub);
    let challenge = r.array()?;
    status(r.u32()?)?;
    Ok(challenge)
}

/// NetrServerAuthenticate3 request stub.
pub fn authenticate3_request(
    server: &str,
    account: &str,
    computer: &str,
    credential: &NetlogonCredential,
    flags: u32,
) -> Vec<u8> {
    let mut w = NdrWriter::new();
    w.unique_wstring(server);
    w.wstring(account);
    w.u16(WORKSTATION_SECURE_CHANNEL);
    w.wstring(computer);
    w.bytes(credential);
    w.u32(flags);
    w.buf
}

/// NetrServerAuthenticate3 reply: (server credential, negotiated flags,
/// account RID).
pub fn authenticate3_reply(stub: &[u8]) -> Result<(NetlogonCredential, u32, u32), NrpcError> {
    let mut r = NdrReader::new(stub);
    let cred = r.array()?;
    let flags = r.u32()?;
    let rid = r.u32()?;
    status(r.u32()?)?;
    Ok((cred, flags, rid))
}

fn status(s: u32) -> Result<(), NrpcError> {
    if s == STATUS_SUCCESS {
        Ok(())
    } else {
        Err(NrpcError::Status(s))
    }
}

/// A network logon's input (NETLOGON_NETWORK_INFO, 2.2.1.4.4): names as
/// the AUTHENTICATE message gave them, the acceptor's challenge, the
/// responses as received.
pub struct NetworkLogon<'a> {
    pub domain: &'a str,
    pub user: &'a str,
    pub workstation: &'a str,
    pub lm_challenge: [u8; 8],
    pub nt_response: &'a [u8],
    pub lm_response: &'a [u8],
}

/// NetlogonNetworkTransitiveInformation.
pub const LOGON_NETWORK_TRANSITIVE: u16 = 6;
/// NetlogonValidationSamInfo4.
pub const VALIDATION_SAM_INFO4: u16 = 6;

/// NetrLogonSamLogonEx request stub.
pub fn sam_logon_ex_request(
    server: &str,
    computer: &str,
    logon: &NetworkLogon<'_>,
    validation_level: u16,
) -> Vec<u8> {
    let mut w = NdrWriter::new();
    w.unique_wstring(server);
    w.unique_wstring(computer);
    w.u16(LOGON_NETWORK_TRANSITIVE);
    w.u16(LOGON_NETWORK_TRANSITIVE); // the union's discriminant
    w.referent();
    // NETLOGON_LOGON_IDENTITY_INFO
    w.unicode_header(logon.domain);
    w.u32(PARAMETER_CONTROL);
    w.u32(0);
    w.u32(0); // Reserved (logon id)
    w.unicode_header(logon.user);
    w.unicode_header(logon.workstation);
    w.bytes(&logon.lm_challenge);
    w.string_header(logon.nt_response);
    w.string_header(logon.lm_response);
    w.unicode_deferred(logon.domain);
    w.unicode_deferred(logon.user);
    w.unicode_deferred(logon.workstation);
    w.string_deferred(logon.nt_response);
    w.string_deferred(logon.lm_response);
    w.u16(validation_level);
    w.u32(0); // ExtraFlags
    w.buf
}

/// What the DC's validation says about the user (NETLOGON_VALIDATION_SAM_INFO*,
/// 2.2.1.4.11-13).
pub struct Validation {
    pub effective_name: String,
    pub full_name: String,
    pub user_id: u32,
    pub primary_group_id: u32,
    /// (RID, attributes) in the logon domain.
    pub groups: Vec<(u32, u32)>,
    pub user_flags: u32,
    /// The NTLM SessionBaseKey. In the clear at level 6 (what
    /// [`SecureChannel::network_logon`] asks for); at levels 2 and 3 a DC
    /// may encrypt it with the session key (MS-NRPC 3.2.4.1), which this
    /// decoder does not undo.
    pub user_session_key: SessionKey,
    pub logon_server: String,
    pub logon_domain_name: String,
    pub logon_domain_id: Sid,
    /// (SID, attributes).
    pub extra_sids: Vec<(Sid, u32)>,
    pub dns_domain_name: String,
    pub upn: String,
}

impl Validation {
    /// The user's SID: the logon domain's SID and the RID.
    pub fn user_sid(&self) -> Sid {
        let mut sid = self.logon_domain_id.clone();
        sid.sub_authorities.push(self.user_id);
        sid
    }
}

impl std::fmt::Debug for Validation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validation")
            .field("effective_name", &self.effective_name)
            .field("logon_domain_name", &self.logon_domain_name)
            .field("user_sid", &self.user_sid().to_string())
            .finish_non_exhaustive()
    }
}

/// NetrLogonSamLogonEx reply: the validation of `level` (2, 3 or 6) and
/// the status; a non-success status is returned as such.
pub fn sam_logon_ex_reply(stub: &[u8], level: u16) -> Result<Validation, NrpcError> {
    if stub.len() < 4 {
        return Err(NrpcError::Ndr);
    }
    let st = u32::from_le_bytes(stub[stub.len() - 4..].try_into().expect("4 bytes"));
    status(st)?;
    let mut r = NdrReader::new(stub);
    if r.u16()? != level || r.u32()? == 0 {
        return Err(NrpcError::Ndr);
    }
    r.take(6 * 8)?; // logon/logoff/kickoff times, password times
    let names: Vec<(u16, bool)> = (0..6)
        .map(|_| r.unicode_header())
        .collect::<NdrResult<_>>()?;
    let _logon_count = r.u16()?;
    let _bad_password_count = r.u16()?;
    let user_id = r.u32()?;
    let primary_group_id = r.u32()?;
    let group_count = r.u32()? as usize;
    let groups_ptr = r.u32()? != 0;
    let user_flags = r.u32()?;
    let mut key = SessionKey::default();
    key.copy_from_slice(r.take(16)?);
    let logon_server_h = r.unicode_header()?;
    let logon_domain_h = r.unicode_header()?;
    let domain_id_ptr = r.u32()? != 0;
    r.take(40)?; // ExpansionRoom / LMKey, UserAccountControl, ...
    let (sid_count, sids_ptr) = if level >= 3 {
        (r.u32()? as usize, r.u32()? != 0)
    } else {
        (0, false)
    };
    let extra_names: Vec<(u16, bool)> = if level == 6 {
        (0..12)
            .map(|_| r.unicode_header())
            .collect::<NdrResult<_>>()?
    } else {
        Vec::new()
    };
    // Deferred pointees, in field order.
    let mut strings = Vec::new();
    for h in names {
        strings.push(r.unicode_deferred(h)?);
    }
    let mut groups = Vec::new();
    if groups_ptr {
        let n = r.count(8)?;
        if n != group_count {
            return Err(NrpcError::Ndr);
        }
        for _ in 0..n {
            groups.push((r.u32()?, r.u32()?));
        }
    }
    let logon_server = r.unicode_deferred(logon_server_h)?;
    let logon_domain_name = r.unicode_deferred(logon_domain_h)?;
    if !domain_id_ptr {
        return Err(NrpcError::Ndr);
    }
    let logon_domain_id = r.sid()?;
    let mut extra_sids = Vec::new();
    if sids_ptr {
        let n = r.count(8)?;
        if n != sid_count {
            return Err(NrpcError::Ndr);
        }
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            entries.push((r.u32()? != 0, r.u32()?));
        }
        for (present, attrs) in entries {
            if !present {
                return Err(NrpcError::Ndr);
            }
            extra_sids.push((r.sid()?, attrs));
        }
    }
    let mut extra = Vec::new();
    for h in extra_names {
        extra.push(r.unicode_deferred(h)?);
    }
    let _authoritative = r.u8()?;
    let _extra_flags = r.u32()?;
    if r.u32()? != st || r.remaining() != 0 {
        return Err(NrpcError::Ndr);
    }
    let mut extra = extra.into_iter();
    let mut strings = strings.into_iter();
    Ok(Validation {
        effective_name: strings.next().unwrap_or_default(),
        full_name: strings.next().unwrap_or_default(),
        user_id,
        primary_group_id,
        groups,
        user_flags,
        user_session_key: key,
        logon_server,
        logon_domain_name,
        logon_domain_id,
        extra_sids,
        dns_domain_name: extra.next().unwrap_or_default(),
        upn: extra.next().unwrap_or_default(),
    })
}

/// An established secure channel (3.1.4.1 / 3.4.5.2): the sealed
/// connection NetrLogonSamLogonEx goes over.
pub struct SecureChannel {
    conn: RpcConnection,
    server: String,
    computer: String,
    /// The flags the DC agreed to.
    pub negotiated_flags: u32,
}

impl std::fmt::Debug for SecureChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureChannel")
            .field("server", &self.server)
            .field("computer", &self.computer)
            .finish_non_exhaustive()
    }
}

impl SecureChannel {
    /// Sets up the secure channel of `machine` with the DC at `host`
    /// (port from the endpoint mapper unless given): ReqChallenge,
    /// Authenticate3 on one connection, then an SCHANNEL sealed bind on a
    /// second one.
    pub fn establish(
        host: &str,
        port: Option<u16>,
        machine: &MachineAccount,
        timeout: Duration,
    ) -> Result<SecureChannel, NrpcError> {
        let port = match port {
            Some(p) => p,
            None => netlogon_port(host, timeout)?,
        };
        let addr = format!("{host}:{port}");
        let server = format!("\\\\{host}");
        let mut c = RpcConnection::connect(&addr, timeout)?;
        c.bind(&NETLOGON_UUID, 1, None)?;
        let mut client_challenge = [0u8; 8];
        getrandom::fill(&mut client_challenge).expect("OS random source");
        let reply = c.call(
            4,
            &req_challenge_request(&server, &machine.computer, &client_challenge),
        )?;
        let server_challenge = req_challenge_reply(&reply)?;
        let creds = ChannelCredentials::new(&machine.nt_owf, &client_challenge, &server_challenge);
        let account = format!("{}$", machine.computer);
        let reply = c.call(
            26,
            &authenticate3_request(
                &server,
                &account,
                &machine.computer,
                &creds.client_credential,
                NEGOTIATE_FLAGS,
            ),
        )?;
        let (server_cred, flags, _rid) = authenticate3_reply(&reply)?;
        if !creds.verify_server_credential(&server_cred) || flags & NEG_SUPPORTS_AES == 0 {
            return Err(NrpcError::ServerCredential);
        }
        drop(c);
        let mut conn = RpcConnection::connect(&addr, timeout)?;
        let auth = nl_auth_message(&machine.domain, &machine.computer);
        conn.bind(
            &NETLOGON_UUID,
            1,
            Some((auth, SchannelSeal::client(&creds.session_key))),
        )?;
        Ok(SecureChannel {
            conn,
            server,
            computer: machine.computer.clone(),
            negotiated_flags: flags,
        })
    }

    /// NetrLogonSamLogonEx of a network logon, validation level 6.
    pub fn network_logon(&mut self, logon: &NetworkLogon<'_>) -> Result<Validation, NrpcError> {
        let reply = self.network_logon_reply(logon)?;
        sam_logon_ex_reply(&reply, VALIDATION_SAM_INFO4)
    }

    /// The unsealed NDR reply of [`Self::network_logon`] (regression
    /// vectors).
    pub fn network_logon_reply(&mut self, logon: &NetworkLogon<'_>) -> Result<Vec<u8>, NrpcError> {
        let stub = sam_logon_ex_request(&self.server, &self.computer, logon, VALIDATION_SAM_INFO4);
        Ok(self.conn.call(39, &stub)?)
    }
}
