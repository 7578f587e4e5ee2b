//! Sending a request to a realm's KDCs (RFC 4120 §7.2.1, §7.2.2; MIT's
//! `sendto_kdc`): UDP unless the request is longer than
//! `udp_preference_limit` (1 means always TCP), TCP with a 4-byte
//! big-endian length prefix; a UDP answer KRB_ERR_RESPONSE_TOO_BIG (52)
//! sends the request again over TCP to the same KDC. The realm's KDCs
//! (`[realms] kdc` lines) are tried in order, each with a per-attempt
//! timeout that doubles every round, and the whole exchange is bounded:
//! when nothing answered in time the result is [`KdcError::Unreachable`].

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use super::error::{code, parse_krb_error, KdcError};
use super::wire::MAX_MESSAGE_LEN;
use crate::packages::kerberos::config::{KdcAddress, Krb5Config};

/// Sends a DER request to a realm's KDC and returns the DER reply (a
/// KDC-REP or a KRB-ERROR). The exchanges take a transport, so tests and a
/// future LSA service can supply their own.
pub trait Transport {
    fn send(&self, realm: &str, request: &[u8]) -> Result<Vec<u8>, KdcError>;
}

/// Timing of [`NetTransport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Wait for one KDC in the first round (MIT: 1 s); doubled each round.
    pub per_kdc: Duration,
    /// Rounds over the realm's KDC list.
    pub rounds: u32,
    /// Bound on the whole exchange with a realm.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            per_kdc: Duration::from_secs(1),
            rounds: 3,
            total: Duration::from_secs(10),
        }
    }
}

/// UDP and TCP to the KDCs that krb5.conf names for each realm.
#[derive(Debug, Clone)]
pub struct NetTransport {
    /// `realm` → its KDC addresses.
    pub kdcs: Vec<(String, Vec<KdcAddress>)>,
    pub udp_preference_limit: u32,
    pub timeouts: Timeouts,
    /// An end no exchange goes past, whatever `timeouts` allow: the
    /// budget of an operation made of several exchanges (the LSA's TGT
    /// renewal then TGS exchange for a client waiting on it).
    pub deadline: Option<Instant>,
}

impl NetTransport {
    /// The KDCs and UDP limit of `config`, default timeouts.
    pub fn from_config(config: &Krb5Config) -> Self {
        let realms: Vec<String> = config
            .profile
            .names(&["realms"])
            .into_iter()
            .map(str::to_string)
            .collect();
        NetTransport {
            kdcs: realms
                .into_iter()
                .map(|r| {
                    let k = config.kdcs(&r);
                    (r, k)
                })
                .collect(),
            udp_preference_limit: config.udp_preference_limit,
            timeouts: Timeouts::default(),
            deadline: None,
        }
    }

    fn realm_kdcs(&self, realm: &str) -> &[KdcAddress] {
        self.kdcs
            .iter()
            .find(|(r, _)| r == realm)
            .map(|(_, k)| k.as_slice())
            .unwrap_or(&[])
    }
}

impl Transport for NetTransport {
    fn send(&self, realm: &str, request: &[u8]) -> Result<Vec<u8>, KdcError> {
        let kdcs = self.realm_kdcs(realm);
        if kdcs.is_empty() {
            return Err(KdcError::NoKdc(realm.to_string()));
        }
        let start = Instant::now();
        let deadline = start + self.timeouts.total;
        let deadline = self.deadline.map_or(deadline, |d| d.min(deadline));
        let tcp_first = request.len() > self.udp_preference_limit as usize;
        let mut wait = self.timeouts.per_kdc;
        for _ in 0..self.timeouts.rounds.max(1) {
            for kdc in kdcs {
                for addr in resolve(kdc) {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(KdcError::Unreachable(realm.to_string()));
                    }
                    let limit = wait.min(deadline - now);
                    let reply = if tcp_first {
                        send_tcp(addr, request, limit)
                    } else {
                        match send_udp(addr, request, limit) {
                            Some(r)
                                if parse_krb_error(&r).map(|e| e.code)
                                    == Some(code::KRB_ERR_RESPONSE_TOO_BIG) =>
                            {
                                let now = Instant::now();
                                if now >= deadline {
                                    return Err(KdcError::Unreachable(realm.to_string()));
                                }
                                send_tcp(addr, request, wait.min(deadline - now))
                            }
                            other => other,
                        }
                    };
                    if let Some(r) = reply {
                        return Ok(r);
                    }
                }
            }
            wait = wait.saturating_mul(2);
        }
        Err(KdcError::Unreachable(realm.to_string()))
    }
}

fn resolve(kdc: &KdcAddress) -> Vec<SocketAddr> {
    (kdc.host.as_str(), kdc.port)
        .to_socket_addrs()
        .map(|a| a.collect())
        .unwrap_or_default()
}

/// One UDP datagram and its answer within `limit`; `None` on silence or
/// an ICMP refusal.
fn send_udp(addr: SocketAddr, request: &[u8], limit: Duration) -> Option<Vec<u8>> {
    let local: SocketAddr = if addr.is_ipv4() {
        "0.0.0.0:0".parse().ok()?
    } else {
        "[::]:0".parse().ok()?
    };
    let sock = UdpSocket::bind(local).ok()?;
    sock.connect(addr).ok()?;
    sock.send(request).ok()?;
    let deadline = Instant::now() + limit;
    let mut buf = vec![0u8; 65_536];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok()?;
        match sock.recv(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Some(buf);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
}

/// One request over TCP (RFC 4120 §7.2.2: 4-byte length, high bit
/// reserved) within `limit`; `None` when refused, silent or malformed.
fn send_tcp(addr: SocketAddr, request: &[u8], limit: Duration) -> Option<Vec<u8>> {
    let deadline = Instant::now() + limit;
    let mut s = TcpStream::connect_timeout(&addr, limit).ok()?;
    let left = deadline.checked_duration_since(Instant::now())?;
    s.set_write_timeout(Some(left)).ok()?;
    let mut framed = Vec::with_capacity(4 + request.len());
    framed.extend_from_slice(&u32::try_from(request.len()).ok()?.to_be_bytes());
    framed.extend_from_slice(request);
    s.write_all(&framed).ok()?;
    let mut read_exact = |buf: &mut [u8]| -> Option<()> {
        let left = deadline.checked_duration_since(Instant::now())?;
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok()?;
        s.read_exact(buf).ok()
    };
    let mut len = [0u8; 4];
    read_exact(&mut len)?;
    let len = u32::from_be_bytes(len);
    if len & 0x8000_0000 != 0 || len as usize > MAX_MESSAGE_LEN {
        return None;
    }
    let mut reply = vec![0u8; len as usize];
    read_exact(&mut reply)?;
    Some(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn transport(port: u16, limit: u32, t: Timeouts) -> NetTransport {
        NetTransport {
            kdcs: vec![(
                "R".into(),
                vec![KdcAddress {
                    host: "127.0.0.1".into(),
                    port,
                }],
            )],
            udp_preference_limit: limit,
            timeouts: t,
            deadline: None,
        }
    }

    #[test]
    fn unknown_realm_has_no_kdc() {
        let t = transport(1, 1, Timeouts::default());
        assert_eq!(t.send("OTHER", b"x"), Err(KdcError::NoKdc("OTHER".into())));
    }

    #[test]
    fn tcp_frames_request_and_reply() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut len = [0u8; 4];
            c.read_exact(&mut len).unwrap();
            let mut req = vec![0u8; u32::from_be_bytes(len) as usize];
            c.read_exact(&mut req).unwrap();
            assert_eq!(req, b"hello");
            c.write_all(&[0, 0, 0, 3, b'a', b'b', b'c']).unwrap();
        });
        let t = transport(port, 1, Timeouts::default());
        assert_eq!(t.send("R", b"hello").unwrap(), b"abc");
        server.join().unwrap();
    }

    #[test]
    fn silent_udp_kdc_is_unreachable_within_the_bound() {
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let bound = Duration::from_millis(700);
        let t = transport(
            port,
            65_535,
            Timeouts {
                per_kdc: Duration::from_millis(200),
                rounds: 10,
                total: bound,
            },
        );
        let start = Instant::now();
        assert_eq!(t.send("R", b"x"), Err(KdcError::Unreachable("R".into())));
        assert!(start.elapsed() < bound + Duration::from_millis(300));
    }

    /// A deadline ends the exchange before its own timeouts would: a KDC
    /// that accepts the connection and never answers.
    #[test]
    fn the_deadline_bounds_an_exchange_with_a_silent_tcp_kdc() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        // TCP only (any request is over the UDP limit of 0).
        let mut t = transport(port, 0, Timeouts::default());
        let start = Instant::now();
        t.deadline = Some(start + Duration::from_millis(600));
        assert_eq!(t.send("R", b"x"), Err(KdcError::Unreachable("R".into())));
        let took = start.elapsed();
        assert!(took < Duration::from_millis(900), "{took:?}");
        drop(l);
    }
}
