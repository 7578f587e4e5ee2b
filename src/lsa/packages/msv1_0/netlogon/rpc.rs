//! A DCE/RPC connection-oriented client over ncacn_ip_tcp (C706 chapter
//! 12, MS-RPCE 2.2.2): bind / bind_ack, request / response fragments, and
//! the auth_verifier of a sealed (PKT_PRIVACY) SCHANNEL context. Every
//! length read from the peer is checked.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::schannel::{SchannelSeal, RPC_C_AUTHN_NETLOGON, SHA2_SIGNATURE_LEN};

const PTYPE_REQUEST: u8 = 0;
const PTYPE_RESPONSE: u8 = 2;
const PTYPE_FAULT: u8 = 3;
const PTYPE_BIND: u8 = 11;
const PTYPE_BIND_ACK: u8 = 12;
const PFC_FIRST_FRAG: u8 = 0x01;
const PFC_LAST_FRAG: u8 = 0x02;
const HEADER_LEN: usize = 16;
const MAX_FRAG: u16 = 5840;
/// RPC_C_AUTHN_LEVEL_PKT_PRIVACY.
const AUTH_LEVEL_PRIVACY: u8 = 6;
/// Refused: a reassembled response past this size.
const MAX_RESPONSE: usize = 1 << 20;

/// NDR transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.
pub const NDR_SYNTAX: ([u8; 16], u32) = (
    [
        0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48,
        0x60,
    ],
    2,
);

/// An RPC failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcError {
    /// Connect, read or write failed, or a timeout.
    Io(String),
    /// The peer's PDU is malformed.
    Protocol(&'static str),
    /// The bind was refused (bind_nak or a rejected context).
    BindRefused,
    /// A fault PDU with this status.
    Fault(u32),
    /// The response's signature did not verify.
    Signature,
}

impl From<std::io::Error> for RpcError {
    fn from(e: std::io::Error) -> Self {
        RpcError::Io(e.to_string())
    }
}

/// One association on one TCP connection, optionally sealed.
pub struct RpcConnection {
    stream: TcpStream,
    call_id: u32,
    seal: Option<SchannelSeal>,
}

fn header(ptype: u8, flags: u8, frag_len: usize, auth_len: usize, call_id: u32) -> Vec<u8> {
    let mut h = vec![5, 0, ptype, flags, 0x10, 0, 0, 0];
    h.extend_from_slice(&(frag_len as u16).to_le_bytes());
    h.extend_from_slice(&(auth_len as u16).to_le_bytes());
    h.extend_from_slice(&call_id.to_le_bytes());
    h
}

fn auth_verifier(pad: usize) -> [u8; 8] {
    [
        RPC_C_AUTHN_NETLOGON,
        AUTH_LEVEL_PRIVACY,
        pad as u8,
        0,
        1,
        0,
        0,
        0,
    ]
}

/// A PDU's parts after the common header: (ptype, flags, body, auth value).
pub struct Pdu {
    pub ptype: u8,
    pub flags: u8,
    pub call_id: u32,
    /// The body after the common header, without the auth verifier.
    pub body: Vec<u8>,
    /// The auth verifier's pad length and auth value, if any.
    pub auth: Option<(usize, Vec<u8>)>,
}

/// Parses one PDU (`frag` is exactly frag_length bytes).
pub fn parse_pdu(frag: &[u8]) -> Result<Pdu, RpcError> {
    if frag.len() < HEADER_LEN || frag[0] != 5 || frag[1] != 0 {
        return Err(RpcError::Protocol("not an RPC v5.0 PDU"));
    }
    if frag[4] & 0xf0 != 0x10 {
        return Err(RpcError::Protocol("not little-endian"));
    }
    let frag_len = u16::from_le_bytes([frag[8], frag[9]]) as usize;
    let auth_len = u16::from_le_bytes([frag[10], frag[11]]) as usize;
    if frag_len != frag.len() {
        return Err(RpcError::Protocol("fragment length"));
    }
    let call_id = u32::from_le_bytes(frag[12..16].try_into().expect("4 bytes"));
    let (body_end, auth) = if auth_len == 0 {
        (frag_len, None)
    } else {
        let start = frag_len
            .checked_sub(auth_len + 8)
            .filter(|s| *s >= HEADER_LEN)
            .ok_or(RpcError::Protocol("auth length"))?;
        let pad = frag[start + 2] as usize;
        (start, Some((pad, frag[start + 8..].to_vec())))
    };
    Ok(Pdu {
        ptype: frag[2],
        flags: frag[3],
        call_id,
        body: frag[HEADER_LEN..body_end].to_vec(),
        auth,
    })
}

impl RpcConnection {
    /// Connects to `addr` (host:port) with a timeout on every operation.
    pub fn connect(addr: &str, timeout: Duration) -> Result<Self, RpcError> {
        use std::net::ToSocketAddrs;
        let sa = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| RpcError::Io(format!("no address for {addr}")))?;
        let stream = TcpStream::connect_timeout(&sa, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(RpcConnection {
            stream,
            call_id: 1,
            seal: None,
        })
    }

    fn read_pdu(&mut self) -> Result<Pdu, RpcError> {
        let mut h = [0u8; HEADER_LEN];
        self.stream.read_exact(&mut h)?;
        let frag_len = u16::from_le_bytes([h[8], h[9]]) as usize;
        if frag_len < HEADER_LEN {
            return Err(RpcError::Protocol("fragment length"));
        }
        let mut frag = h.to_vec();
        frag.resize(frag_len, 0);
        self.stream.read_exact(&mut frag[HEADER_LEN..])?;
        parse_pdu(&frag)
    }

    /// Binds the interface (`uuid`, `version` = major | minor << 16) with
    /// NDR; with `auth`, an SCHANNEL PKT_PRIVACY context whose bind carries
    /// this NL_AUTH_MESSAGE and later PDUs are sealed with `seal`.
    pub fn bind(
        &mut self,
        uuid: &[u8; 16],
        version: u32,
        auth: Option<(Vec<u8>, SchannelSeal)>,
    ) -> Result<(), RpcError> {
        let mut body = Vec::new();
        body.extend_from_slice(&MAX_FRAG.to_le_bytes());
        body.extend_from_slice(&MAX_FRAG.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&[1, 0, 0, 0]); // one context
        body.extend_from_slice(&0u16.to_le_bytes()); // context id 0
        body.extend_from_slice(&[1, 0]); // one transfer syntax
        body.extend_from_slice(uuid);
        body.extend_from_slice(&version.to_le_bytes());
        body.extend_from_slice(&NDR_SYNTAX.0);
        body.extend_from_slice(&NDR_SYNTAX.1.to_le_bytes());
        let (auth_value, seal) = match auth {
            Some((v, s)) => (Some(v), Some(s)),
            None => (None, None),
        };
        let auth_len = auth_value.as_ref().map_or(0, |v| v.len());
        let frag_len = HEADER_LEN + body.len() + auth_value.as_ref().map_or(0, |v| 8 + v.len());
        let call_id = self.next_call_id();
        let mut pdu = header(
            PTYPE_BIND,
            PFC_FIRST_FRAG | PFC_LAST_FRAG,
            frag_len,
            auth_len,
            call_id,
        );
        pdu.extend_from_slice(&body);
        if let Some(v) = &auth_value {
            pdu.extend_from_slice(&auth_verifier(0));
            pdu.extend_from_slice(v);
        }
        self.stream.write_all(&pdu)?;
        let ack = self.read_pdu()?;
        if ack.ptype != PTYPE_BIND_ACK || ack.call_id != call_id {
            return Err(RpcError::BindRefused);
        }
        check_bind_ack(&ack.body)?;
        if auth_value.is_some() {
            match &ack.auth {
                Some((_, v)) if super::schannel::is_nl_auth_response(v) => {}
                _ => return Err(RpcError::Protocol("no NL_AUTH_MESSAGE in bind_ack")),
            }
        }
        self.seal = seal;
        Ok(())
    }

    fn next_call_id(&mut self) -> u32 {
        let c = self.call_id;
        self.call_id = self.call_id.wrapping_add(1);
        c
    }

    /// One call: `opnum` with the NDR `stub`; the response's stub
    /// (reassembled from its fragments, unsealed and verified if sealed).
    pub fn call(&mut self, opnum: u16, stub: &[u8]) -> Result<Vec<u8>, RpcError> {
        let call_id = self.next_call_id();
        let max_stub = MAX_FRAG as usize - HEADER_LEN - 8 - 8 - SHA2_SIGNATURE_LEN - 16;
        let chunks: Vec<&[u8]> = if stub.is_empty() {
            vec![stub]
        } else {
            stub.chunks(max_stub).collect()
        };
        for (i, chunk) in chunks.iter().enumerate() {
            let mut flags = 0;
            if i == 0 {
                flags |= PFC_FIRST_FRAG;
            }
            if i + 1 == chunks.len() {
                flags |= PFC_LAST_FRAG;
            }
            let mut body = Vec::with_capacity(chunk.len() + 24);
            body.extend_from_slice(&(stub.len() as u32).to_le_bytes());
            body.extend_from_slice(&0u16.to_le_bytes());
            body.extend_from_slice(&opnum.to_le_bytes());
            let pdu = match self.seal.as_mut() {
                None => {
                    body.extend_from_slice(chunk);
                    let mut p = header(PTYPE_REQUEST, flags, HEADER_LEN + body.len(), 0, call_id);
                    p.extend_from_slice(&body);
                    p
                }
                Some(seal) => {
                    // Stub and auth padding are sealed together; the
                    // verifier starts 16-aligned.
                    let pad = (16 - chunk.len() % 16) % 16;
                    let mut data = chunk.to_vec();
                    data.resize(chunk.len() + pad, 0);
                    let sig = seal.seal(&mut data);
                    body.extend_from_slice(&data);
                    let frag_len = HEADER_LEN + body.len() + 8 + sig.len();
                    let mut p = header(PTYPE_REQUEST, flags, frag_len, sig.len(), call_id);
                    p.extend_from_slice(&body);
                    p.extend_from_slice(&auth_verifier(pad));
                    p.extend_from_slice(&sig);
                    p
                }
            };
            self.stream.write_all(&pdu)?;
        }
        let mut out = Vec::new();
        loop {
            let pdu = self.read_pdu()?;
            if pdu.call_id != call_id {
                return Err(RpcError::Protocol("call id"));
            }
            match pdu.ptype {
                PTYPE_RESPONSE => {}
                PTYPE_FAULT => {
                    let status = pdu
                        .body
                        .get(8..12)
                        .map_or(0, |s| u32::from_le_bytes(s.try_into().expect("4 bytes")));
                    return Err(RpcError::Fault(status));
                }
                _ => return Err(RpcError::Protocol("unexpected PDU type")),
            }
            if pdu.body.len() < 8 {
                return Err(RpcError::Protocol("short response"));
            }
            let mut data = pdu.body[8..].to_vec();
            match (self.seal.as_mut(), pdu.auth) {
                (None, None) => {}
                (Some(seal), Some((pad, sig))) => {
                    seal.unseal(&mut data, &sig)
                        .map_err(|_| RpcError::Signature)?;
                    let keep = data
                        .len()
                        .checked_sub(pad)
                        .ok_or(RpcError::Protocol("auth pad"))?;
                    data.truncate(keep);
                }
                _ => return Err(RpcError::Protocol("auth verifier")),
            }
            if out.len() + data.len() > MAX_RESPONSE {
                return Err(RpcError::Protocol("response too large"));
            }
            out.extend_from_slice(&data);
            if pdu.flags & PFC_LAST_FRAG != 0 {
                return Ok(out);
            }
        }
    }
}

/// bind_ack body (C706 12.6.4.4): the presentation result of our one
/// context must be acceptance (0).
fn check_bind_ack(body: &[u8]) -> Result<(), RpcError> {
    let bad = RpcError::Protocol("bind_ack");
    let port_len = body.get(8..10).ok_or(bad.clone())?;
    let port_len = u16::from_le_bytes([port_len[0], port_len[1]]) as usize;
    let mut pos = 10 + port_len;
    pos = pos.next_multiple_of(4);
    let n = *body.get(pos).ok_or(bad.clone())?;
    let result = body.get(pos + 4..pos + 6).ok_or(bad)?;
    if n < 1 || result != [0, 0] {
        return Err(RpcError::BindRefused);
    }
    Ok(())
}
