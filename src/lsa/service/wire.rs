//! The LSA service's wire protocol: frames of a version byte, a
//! little-endian u32 body length and the body, at most [`MAX_FRAME`]
//! bytes. A request body is an opcode and its fields (integers
//! little-endian, byte strings as u32 length + bytes, optional parts behind
//! a 0/1 tag); a response body is a status byte ([`Reply`]) and the fields
//! of the request's answer. Sessions travel in the store codec
//! ([`crate::lsa::store::codec`]); frames that may hold secrets live in
//! zeroizing buffers. Decoding never panics: a malformed request is a
//! [`WireError`], answered with [`Reply::Malformed`].

use std::io::{Read, Write};

use zeroize::Zeroizing;

use crate::lsa::packages::kerberos::{
    TicketRequest, TicketTarget, MAX_TARGET_COMPONENTS, MAX_TARGET_LEN,
};
use crate::lsa::packages::msv1_0::credential_op::{
    CredentialOp, CredentialOpResult, V1Request, V1Response, V2Request, V2Response, MAX_TEMP,
};
use crate::lsa::Luid;

/// Protocol version (the first byte of every frame).
pub const VERSION: u8 = 1;
/// Largest frame body accepted (a session with a ticket cache fits).
pub const MAX_FRAME: usize = 256 * 1024;

/// A frame's body, wiped when dropped.
pub type Body = Zeroizing<Vec<u8>>;

/// Why a frame or request cannot be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("unsupported protocol version {0}")]
    Version(u8),
    #[error("frame too large")]
    TooLarge,
    #[error("malformed message")]
    Malformed,
}

/// A request to the service (each maps to a [`crate::lsa::store::SessionStore`]
/// method; the service applies it for the connection's peer uid).
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    /// A session in the store codec (its NT OWF included).
    Put(Body),
    Get(Luid),
    Remove(Luid),
    List,
    SetCurrent(u32, Option<Luid>),
    Current(u32),
    Msv1_0(Luid, CredentialOp),
    /// A service ticket (store codec) for the session's ticket cache.
    AddTicket(Luid, Body),
    /// A ticket of the session's TGT, obtained by the service (the TGS
    /// exchange runs there; answered with the SSPI status and, on
    /// success, the ticket in the store codec).
    KerberosTicket(Luid, TicketRequest),
    /// `KerbPurgeTicketCacheMessage` on the session's tickets, the TGT
    /// included: the server and realm names (empty: every ticket), each
    /// UTF-8 of at most [`MAX_PURGE_NAME`] bytes.
    KerberosPurge(Luid, String, String),
}

/// Longest name of a [`Request::KerberosPurge`]: a `UNICODE_STRING` of
/// 32767 UTF-16 units in UTF-8.
pub const MAX_PURGE_NAME: usize = 3 * 32767;

const OP_PUT: u8 = 1;
const OP_GET: u8 = 2;
const OP_REMOVE: u8 = 3;
const OP_LIST: u8 = 4;
const OP_SET_CURRENT: u8 = 5;
const OP_CURRENT: u8 = 6;
const OP_MSV1_0_V2: u8 = 7;
const OP_MSV1_0_V1: u8 = 8;
const OP_ADD_TICKET: u8 = 9;
/// Op 10 was a withdrawn "first TGT" request (the KerberosTicket op gets
/// the TGT first when needed): it is answered `Malformed` like any
/// unknown op, and never given to another request.
#[cfg(test)]
const OP_WITHDRAWN_KERBEROS_TGT: u8 = 10;
const OP_KERBEROS_TICKET: u8 = 11;
const OP_KERBEROS_PURGE: u8 = 12;

/// [`TicketRequest`] kinds on the wire.
const TICKET_SERVICE: u8 = 0;
const TICKET_FORWARDED: u8 = 1;

/// First byte of a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Reply {
    Ok = 0,
    /// The peer may not do this (another uid's session).
    Denied = 1,
    Malformed = 2,
    /// The service failed (a corrupt session).
    Failed = 3,
    /// A limit was reached (too many tickets in one session).
    Quota = 4,
}

impl Reply {
    fn from_u8(b: u8) -> Option<Reply> {
        Some(match b {
            0 => Reply::Ok,
            1 => Reply::Denied,
            2 => Reply::Malformed,
            3 => Reply::Failed,
            4 => Reply::Quota,
            _ => return None,
        })
    }
}

/// Write one frame.
pub fn write_frame(w: &mut impl Write, body: &[u8]) -> std::io::Result<()> {
    let mut f = Zeroizing::new(Vec::with_capacity(5 + body.len()));
    f.push(VERSION);
    f.extend_from_slice(&(body.len() as u32).to_le_bytes());
    f.extend_from_slice(body);
    w.write_all(&f)
}

/// Read one frame: `Ok(None)` at a clean end of stream, `Ok(Some(Err))`
/// for a frame the protocol refuses (the stream cannot be resynchronised:
/// the caller answers and closes).
pub fn read_frame(r: &mut impl Read) -> std::io::Result<Option<Result<Body, WireError>>> {
    let mut head = [0u8; 5];
    let mut got = 0;
    while got < head.len() {
        match r.read(&mut head[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if head[0] != VERSION {
        return Ok(Some(Err(WireError::Version(head[0]))));
    }
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_FRAME {
        return Ok(Some(Err(WireError::TooLarge)));
    }
    let mut body = Zeroizing::new(vec![0u8; len]);
    r.read_exact(&mut body)?;
    Ok(Some(Ok(body)))
}

/// Builds a body.
#[derive(Default)]
pub struct Writer(pub Body);

impl Writer {
    /// A writer whose first `n` bytes need no reallocation (a request or
    /// an answer is sized once, not grown field by field).
    pub fn with_capacity(n: usize) -> Writer {
        Writer(Zeroizing::new(Vec::with_capacity(n)))
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn luid(&mut self, l: Luid) -> &mut Self {
        self.0.extend_from_slice(&l.as_u64().to_le_bytes());
        self
    }
    pub fn opt_luid(&mut self, l: Option<Luid>) -> &mut Self {
        match l {
            None => self.u8(0),
            Some(l) => self.u8(1).luid(l),
        }
    }
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
        self
    }
}

/// Reads a body; every getter is `None` past the end.
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    pub fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    pub fn luid(&mut self) -> Option<Luid> {
        self.array().map(|b| Luid::from_u64(u64::from_le_bytes(b)))
    }
    pub fn flag(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    pub fn opt_luid(&mut self) -> Option<Option<Luid>> {
        if self.flag()? {
            self.luid().map(Some)
        } else {
            Some(None)
        }
    }
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    /// The whole body was read.
    pub fn end(&self) -> Option<()> {
        self.0.is_empty().then_some(())
    }
}

impl Request {
    /// The request's body.
    pub fn encode(&self) -> Body {
        let mut w = Writer::with_capacity(match self {
            Request::Put(b) | Request::AddTicket(_, b) => 16 + b.len(),
            Request::Msv1_0(_, CredentialOp::V2(r)) => 48 + r.temp.len(),
            Request::KerberosPurge(_, a, b) => 32 + a.len() + b.len(),
            _ => 48,
        });
        match self {
            Request::Put(s) => w.u8(OP_PUT).bytes(s),
            Request::Get(l) => w.u8(OP_GET).luid(*l),
            Request::Remove(l) => w.u8(OP_REMOVE).luid(*l),
            Request::List => w.u8(OP_LIST),
            Request::SetCurrent(u, l) => w.u8(OP_SET_CURRENT).u32(*u).opt_luid(*l),
            Request::Current(u) => w.u8(OP_CURRENT).u32(*u),
            Request::Msv1_0(l, CredentialOp::V2(r)) => {
                w.u8(OP_MSV1_0_V2).luid(*l);
                w.0.extend_from_slice(&r.server_challenge);
                w.0.extend_from_slice(&r.client_challenge);
                w.u8(r.want_lm as u8).bytes(&r.temp)
            }
            Request::AddTicket(l, t) => w.u8(OP_ADD_TICKET).luid(*l).bytes(t),
            Request::KerberosPurge(l, server, realm) => w
                .u8(OP_KERBEROS_PURGE)
                .luid(*l)
                .bytes(server.as_bytes())
                .bytes(realm.as_bytes()),
            Request::KerberosTicket(l, TicketRequest::Forwarded) => {
                w.u8(OP_KERBEROS_TICKET).luid(*l).u8(TICKET_FORWARDED)
            }
            Request::KerberosTicket(l, TicketRequest::Service(t)) => {
                w.u8(OP_KERBEROS_TICKET).luid(*l).u8(TICKET_SERVICE);
                w.u32(t.name_type as u32).u8(t.explicit_realm as u8);
                w.u32(t.components.len() as u32);
                for c in &t.components {
                    w.bytes(c.as_bytes());
                }
                w.bytes(t.realm.as_bytes())
            }
            Request::Msv1_0(l, CredentialOp::V1(r)) => {
                w.u8(OP_MSV1_0_V1).luid(*l);
                w.0.extend_from_slice(&r.server_challenge);
                match &r.ess_client_challenge {
                    None => w.u8(0),
                    Some(c) => {
                        w.u8(1);
                        w.0.extend_from_slice(c);
                        &mut w
                    }
                }
            }
        };
        w.0
    }

    /// Decode a request body (the service's decoder; fuzzed).
    pub fn decode(body: &[u8]) -> Result<Request, WireError> {
        Self::decode_inner(body).ok_or(WireError::Malformed)
    }

    fn decode_inner(body: &[u8]) -> Option<Request> {
        let mut r = Reader(body);
        let req = match r.u8()? {
            OP_PUT => Request::Put(Zeroizing::new(r.bytes()?.to_vec())),
            OP_GET => Request::Get(r.luid()?),
            OP_REMOVE => Request::Remove(r.luid()?),
            OP_LIST => Request::List,
            OP_SET_CURRENT => Request::SetCurrent(r.u32()?, r.opt_luid()?),
            OP_CURRENT => Request::Current(r.u32()?),
            OP_ADD_TICKET => Request::AddTicket(r.luid()?, Zeroizing::new(r.bytes()?.to_vec())),
            OP_KERBEROS_TICKET => Request::KerberosTicket(r.luid()?, read_ticket_request(&mut r)?),
            OP_KERBEROS_PURGE => {
                let l = r.luid()?;
                Request::KerberosPurge(l, read_purge_name(&mut r)?, read_purge_name(&mut r)?)
            }
            OP_MSV1_0_V2 => {
                let l = r.luid()?;
                let server_challenge = r.array()?;
                let client_challenge = r.array()?;
                let want_lm = r.flag()?;
                let temp = r.bytes()?;
                if temp.len() > MAX_TEMP {
                    return None;
                }
                Request::Msv1_0(
                    l,
                    CredentialOp::V2(V2Request {
                        server_challenge,
                        client_challenge,
                        temp: temp.to_vec(),
                        want_lm,
                    }),
                )
            }
            OP_MSV1_0_V1 => {
                let l = r.luid()?;
                let server_challenge = r.array()?;
                let ess_client_challenge = if r.flag()? { Some(r.array()?) } else { None };
                Request::Msv1_0(
                    l,
                    CredentialOp::V1(V1Request {
                        server_challenge,
                        ess_client_challenge,
                    }),
                )
            }
            _ => return None,
        };
        r.end()?;
        Some(req)
    }
}

/// A [`TicketRequest`]: a service target must be a valid name
/// ([`TicketTarget::is_valid`]: at least one non-empty component, at most
/// [`MAX_TARGET_COMPONENTS`] and [`MAX_TARGET_LEN`] bytes, UTF-8).
fn read_ticket_request(r: &mut Reader<'_>) -> Option<TicketRequest> {
    match r.u8()? {
        TICKET_FORWARDED => Some(TicketRequest::Forwarded),
        TICKET_SERVICE => {
            let name_type = r.u32()? as i32;
            let explicit_realm = r.flag()?;
            let n = r.u32()? as usize;
            if n == 0 || n > MAX_TARGET_COMPONENTS {
                return None;
            }
            let mut components = Vec::with_capacity(n);
            for _ in 0..n {
                components.push(read_name(r)?);
            }
            let t = TicketTarget {
                name_type,
                components,
                realm: read_name(r)?,
                explicit_realm,
            };
            t.is_valid().then_some(TicketRequest::Service(t))
        }
        _ => None,
    }
}

/// A UTF-8 name of at most [`MAX_PURGE_NAME`] bytes.
fn read_purge_name(r: &mut Reader<'_>) -> Option<String> {
    let b = r.bytes()?;
    if b.len() > MAX_PURGE_NAME {
        return None;
    }
    std::str::from_utf8(b).ok().map(str::to_string)
}

/// A UTF-8 name of at most [`MAX_TARGET_LEN`] bytes.
fn read_name(r: &mut Reader<'_>) -> Option<String> {
    let b = r.bytes()?;
    if b.len() > MAX_TARGET_LEN {
        return None;
    }
    std::str::from_utf8(b).ok().map(str::to_string)
}

/// A response body starting with `reply`.
pub fn reply(reply: Reply) -> Writer {
    // Room for every answer but a session's (an operation's result: 1 +
    // 1 + 16 + 1 + 24 + 16 bytes).
    let mut w = Writer::with_capacity(64);
    w.u8(reply as u8);
    w
}

/// The status of a response body and a reader over the rest.
pub fn parse_reply(body: &[u8]) -> Option<(Reply, Reader<'_>)> {
    let mut r = Reader(body);
    let s = Reply::from_u8(r.u8()?)?;
    Some((s, r))
}

/// Encode a credential operation's result (after the status byte).
pub fn write_op_result(w: &mut Writer, res: &Option<CredentialOpResult>) {
    match res {
        None => {
            w.u8(0);
        }
        Some(CredentialOpResult::V2(v)) => {
            w.u8(1);
            w.0.extend_from_slice(&v.nt_proof);
            match &v.lm {
                None => {
                    w.u8(0);
                }
                Some(l) => {
                    w.u8(1);
                    w.0.extend_from_slice(l);
                }
            }
            w.0.extend_from_slice(&v.session_base_key[..]);
        }
        Some(CredentialOpResult::V1(v)) => {
            w.u8(2);
            w.0.extend_from_slice(&v.nt);
            w.0.extend_from_slice(&v.session_base_key[..]);
        }
    }
}

/// Decode what [`write_op_result`] wrote.
pub fn read_op_result(r: &mut Reader<'_>) -> Option<Option<CredentialOpResult>> {
    let res = match r.u8()? {
        0 => None,
        1 => {
            let nt_proof = r.array()?;
            let lm = if r.flag()? { Some(r.array()?) } else { None };
            let session_base_key = Zeroizing::new(r.array()?);
            Some(CredentialOpResult::V2(V2Response {
                nt_proof,
                lm,
                session_base_key,
            }))
        }
        2 => {
            let nt = r.array()?;
            let session_base_key = Zeroizing::new(r.array()?);
            Some(CredentialOpResult::V1(V1Response {
                nt,
                session_base_key,
            }))
        }
        _ => return None,
    };
    r.end()?;
    Some(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_truncations_are_refused() {
        let l = Luid::from_u64(0x1234_5678_9abc);
        let reqs = [
            Request::Put(Zeroizing::new(b"session".to_vec())),
            Request::Get(l),
            Request::Remove(l),
            Request::List,
            Request::SetCurrent(1000, Some(l)),
            Request::SetCurrent(1000, None),
            Request::Current(7),
            Request::AddTicket(l, Zeroizing::new(b"ticket".to_vec())),
            Request::KerberosTicket(l, TicketRequest::Forwarded),
            Request::KerberosTicket(l, TicketRequest::Service(target())),
            Request::KerberosPurge(l, String::new(), String::new()),
            Request::KerberosPurge(l, "krbtgt/EXAMPLE.COM".into(), "EXAMPLE.COM".into()),
            Request::Msv1_0(
                l,
                CredentialOp::V2(V2Request {
                    server_challenge: [1; 8],
                    client_challenge: [2; 8],
                    temp: vec![3; 30],
                    want_lm: true,
                }),
            ),
            Request::Msv1_0(
                l,
                CredentialOp::V1(V1Request {
                    server_challenge: [1; 8],
                    ess_client_challenge: Some([4; 8]),
                }),
            ),
        ];
        for req in reqs {
            let b = req.encode();
            assert_eq!(Request::decode(&b), Ok(req));
            for n in 0..b.len() {
                assert_eq!(Request::decode(&b[..n]), Err(WireError::Malformed));
            }
            let mut longer = b.to_vec();
            longer.push(0);
            assert_eq!(Request::decode(&longer), Err(WireError::Malformed));
        }
        assert_eq!(Request::decode(&[99]), Err(WireError::Malformed));
    }

    fn target() -> TicketTarget {
        TicketTarget {
            name_type: 3,
            components: vec!["HTTP".into(), "web.example.com".into()],
            realm: "EXAMPLE.COM".into(),
            explicit_realm: true,
        }
    }

    /// A ticket request naming no service (no component, an empty one), a
    /// huge name, too many components or a name that is not UTF-8 is
    /// malformed: the service answers `Malformed`, never runs a TGS.
    #[test]
    fn ticket_requests_with_empty_or_huge_names_are_malformed() {
        let l = Luid::from_u64(7);
        let with = |f: &dyn Fn(&mut TicketTarget)| {
            let mut t = target();
            f(&mut t);
            // Encoded as a client would, whatever the name.
            Request::KerberosTicket(l, TicketRequest::Service(t)).encode()
        };
        for bad in [
            with(&|t| t.components.clear()),
            with(&|t| t.components[1].clear()),
            with(&|t| t.components[1] = "h".repeat(MAX_TARGET_LEN + 1)),
            with(&|t| t.realm = "R".repeat(MAX_TARGET_LEN)),
            with(&|t| t.components = vec!["a".into(); MAX_TARGET_COMPONENTS + 1]),
        ] {
            assert_eq!(Request::decode(&bad), Err(WireError::Malformed));
        }
        // A length past the body, a count of 2^32-1, invalid UTF-8.
        let mut huge = vec![OP_KERBEROS_TICKET];
        huge.extend_from_slice(&7u64.to_le_bytes());
        huge.extend_from_slice(&[TICKET_SERVICE, 3, 0, 0, 0, 0]);
        let mut count = huge.clone();
        count.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Request::decode(&count), Err(WireError::Malformed));
        huge.extend_from_slice(&1u32.to_le_bytes());
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Request::decode(&huge), Err(WireError::Malformed));
        let mut utf8 = with(&|_| {}).to_vec();
        let at = utf8.len() - "EXAMPLE.COM".len();
        utf8[at] = 0xff;
        assert_eq!(Request::decode(&utf8), Err(WireError::Malformed));
        // An unknown kind.
        let mut kind = with(&|_| {}).to_vec();
        kind[9] = 9;
        assert_eq!(Request::decode(&kind), Err(WireError::Malformed));
    }

    /// An old client's first-TGT request (op 10, a LUID) is malformed:
    /// the op is withdrawn, its number stays unused.
    #[test]
    fn the_withdrawn_first_tgt_op_is_malformed() {
        let mut old = vec![OP_WITHDRAWN_KERBEROS_TGT];
        old.extend_from_slice(&7u64.to_le_bytes());
        assert_eq!(Request::decode(&old), Err(WireError::Malformed));
        assert_eq!(Request::decode(&old[..1]), Err(WireError::Malformed));
    }

    #[test]
    fn frames_check_version_and_size() {
        let mut v = Vec::new();
        write_frame(&mut v, b"abc").unwrap();
        let got = read_frame(&mut &v[..]).unwrap().unwrap().unwrap();
        assert_eq!(&got[..], b"abc");
        assert!(read_frame(&mut &[][..]).unwrap().is_none());
        let mut bad = v.clone();
        bad[0] = 2;
        assert_eq!(
            read_frame(&mut &bad[..]).unwrap().unwrap(),
            Err(WireError::Version(2))
        );
        let mut big = vec![VERSION];
        big.extend_from_slice(&(MAX_FRAME as u32 + 1).to_le_bytes());
        assert_eq!(
            read_frame(&mut &big[..]).unwrap().unwrap(),
            Err(WireError::TooLarge)
        );
        assert!(read_frame(&mut &v[..6]).is_err());
    }
}
