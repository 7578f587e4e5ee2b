//! PACs written and signed (MS-PAC §2.3, §2.8), as a KDC does (MIT's
//! `krb5_pac_sign`): for tests that forge tickets with the service key,
//! and fuzz seeds.

use super::client_info::filetime;
use super::logon_info::{GroupMembership, ValidationInfo};
use super::signature::SignatureData;
use super::{
    Pac, PacError, PACTYPE_LEN, PAC_INFO_BUFFER_LEN, PAC_PRIVSVR_CHECKSUM, PAC_SERVER_CHECKSUM,
};
use crate::lsa::session::Sid;
use crate::packages::kerberos::crypto::{self, usage, ChecksumType, Key};

/// A PAC of `buffers` (type, bytes) in this order, each 8-byte aligned.
pub fn encode(buffers: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let header = PACTYPE_LEN + buffers.len() * PAC_INFO_BUFFER_LEN;
    let mut out = Vec::new();
    out.extend_from_slice(&(buffers.len() as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut offset = header.next_multiple_of(8);
    for (ty, data) in buffers {
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(offset as u64).to_le_bytes());
        offset = (offset + data.len()).next_multiple_of(8);
    }
    for (_, data) in buffers {
        out.resize(out.len().next_multiple_of(8), 0);
        out.extend_from_slice(data);
    }
    out.resize(out.len().next_multiple_of(8), 0);
    out
}

/// A PAC_CLIENT_INFO for `name` at `authtime` (seconds since 1970).
pub fn client_info(authtime: i64, name: &str) -> Vec<u8> {
    let name: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut out = filetime(authtime).to_le_bytes().to_vec();
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&name);
    out
}

/// An unsigned PAC_SIGNATURE_DATA of `ty` (zero Signature).
pub fn empty_signature(ty: ChecksumType) -> Vec<u8> {
    let mut out = ty.as_i32().to_le_bytes().to_vec();
    out.resize(4 + ty.size(), 0);
    out
}

/// Signs a PAC in place: the server signature with `server_key` over the
/// PAC with both signatures zeroed, then the KDC signature with `kdc_key`
/// over the server signature (MS-PAC §2.8.1, §2.8.2). Each signature
/// buffer's SignatureType is kept; its key must compute it.
pub fn sign(pac: &mut [u8], server_key: &Key, kdc_key: &Key) -> Result<(), PacError> {
    let parsed = Pac::parse(pac)?;
    let server = parsed
        .unique(PAC_SERVER_CHECKSUM)?
        .ok_or(PacError::MissingSignature)?;
    let kdc = parsed
        .unique(PAC_PRIVSVR_CHECKSUM)?
        .ok_or(PacError::MissingSignature)?;
    let server_ty = SignatureData::parse(parsed.bytes(server))?.signature_type;
    let kdc_ty = SignatureData::parse(parsed.bytes(kdc))?.signature_type;
    if server_ty != server_key.checksum_type() || kdc_ty != kdc_key.checksum_type() {
        return Err(PacError::WrongChecksumType);
    }
    for b in [server, kdc] {
        pac[b.offset + 4..b.offset + b.size].fill(0);
    }
    let s = crypto::checksum(server_key, usage::KERB_NON_KERB_CKSUM_SALT, pac)
        .map_err(|_| PacError::Malformed)?;
    pac[server.offset + 4..server.offset + 4 + s.len()].copy_from_slice(&s);
    let k = crypto::checksum(kdc_key, usage::KERB_NON_KERB_CKSUM_SALT, &s)
        .map_err(|_| PacError::Malformed)?;
    pac[kdc.offset + 4..kdc.offset + 4 + k.len()].copy_from_slice(&k);
    Ok(())
}

/// NDR 2.0 little-endian output (see [`super::ndr`]), with referent ids
/// numbered as MIDL does (0x00020000, 0x00020004, ...).
struct NdrWriter {
    out: Vec<u8>,
    next_referent: u32,
}

impl NdrWriter {
    fn align(&mut self, n: usize) {
        self.out.resize(self.out.len().next_multiple_of(n), 0);
    }
    fn u16(&mut self, v: u16) {
        self.align(2);
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.align(4);
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    fn filetime(&mut self, v: u64) {
        self.u32(v as u32);
        self.u32((v >> 32) as u32);
    }
    fn referent(&mut self, present: bool) {
        if present {
            let r = self.next_referent;
            self.next_referent += 4;
            self.u32(r);
        } else {
            self.u32(0);
        }
    }
    fn string_header(&mut self, s: &str) {
        let len = (s.encode_utf16().count() * 2) as u16;
        self.u16(len);
        self.u16(len);
        self.referent(true);
    }
    fn string(&mut self, s: &str) {
        let units: Vec<u16> = s.encode_utf16().collect();
        for v in [units.len() as u32, 0, units.len() as u32] {
            self.u32(v);
        }
        for u in units {
            self.out.extend_from_slice(&u.to_le_bytes());
        }
    }
    fn sid(&mut self, sid: &Sid) {
        self.u32(sid.sub_authorities.len() as u32);
        self.out.extend_from_slice(&sid.to_bytes());
    }
    fn groups(&mut self, groups: &[GroupMembership]) {
        self.u32(groups.len() as u32);
        for g in groups {
            self.u32(g.relative_id);
            self.u32(g.attributes);
        }
    }
}

/// A LOGON_INFO buffer: `info` NDR type-serialized (MS-PAC §2.5,
/// MS-RPCE §2.2.6), as [`ValidationInfo::decode`] reads it.
pub fn logon_info(info: &ValidationInfo) -> Vec<u8> {
    let w = &mut NdrWriter {
        out: Vec::new(),
        next_referent: 0x0002_0000,
    };
    w.referent(true);
    w.filetime(info.logon_time);
    for t in [
        0x7fff_ffff_ffff_ffff,
        0x7fff_ffff_ffff_ffff,
        info.password_last_set,
        0,
        0x7fff_ffff_ffff_ffff,
    ] {
        w.filetime(t);
    }
    let names = [
        &info.effective_name,
        &info.full_name,
        &info.logon_script,
        &info.profile_path,
        &info.home_directory,
        &info.home_directory_drive,
    ];
    for n in names {
        w.string_header(n);
    }
    w.u16(info.logon_count);
    w.u16(info.bad_password_count);
    w.u32(info.user_id);
    w.u32(info.primary_group_id);
    w.u32(info.group_ids.len() as u32);
    w.referent(!info.group_ids.is_empty());
    w.u32(info.user_flags);
    w.out.extend_from_slice(&[0; 16]);
    w.string_header(&info.logon_server);
    w.string_header(&info.logon_domain_name);
    w.referent(info.logon_domain_id.is_some());
    for v in [0, 0, info.user_account_control, 0, 0, 0, 0, 0, 0, 0] {
        w.u32(v);
    }
    w.u32(info.extra_sids.len() as u32);
    w.referent(!info.extra_sids.is_empty());
    w.referent(info.resource_group_domain_sid.is_some());
    w.u32(info.resource_group_ids.len() as u32);
    w.referent(!info.resource_group_ids.is_empty());
    for n in names {
        w.string(n);
    }
    if !info.group_ids.is_empty() {
        w.groups(&info.group_ids);
    }
    w.string(&info.logon_server);
    w.string(&info.logon_domain_name);
    if let Some(d) = &info.logon_domain_id {
        w.sid(d);
    }
    if !info.extra_sids.is_empty() {
        w.u32(info.extra_sids.len() as u32);
        for s in &info.extra_sids {
            w.referent(true);
            w.u32(s.attributes);
        }
        for s in &info.extra_sids {
            w.sid(&s.sid);
        }
    }
    if let Some(d) = &info.resource_group_domain_sid {
        w.sid(d);
    }
    if !info.resource_group_ids.is_empty() {
        w.groups(&info.resource_group_ids);
    }
    w.align(8);
    let mut out = vec![0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc];
    out.extend_from_slice(&(w.out.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&w.out);
    out
}
