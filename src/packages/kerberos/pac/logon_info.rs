//! KERB_VALIDATION_INFO (MS-PAC §2.5), the LOGON_INFO buffer: the
//! client's account and group memberships as the DC's SAM gave them
//! (NETLOGON_VALIDATION_SAM_INFO4's layout, MS-NRPC §2.2.1.4.13), NDR
//! type-serialized ([`super::ndr`]). The deferred parts follow the fixed
//! part in the order of their pointers (C706 §14.3.12.3).

use super::ndr::{NdrReader, UnicodeStringHeader};
use super::PacError;
use crate::lsa::session::Sid;

/// UserFlags: the ExtraSids field is populated.
pub const LOGON_EXTRA_SIDS: u32 = 0x20;
/// UserFlags: the ResourceGroup fields are populated.
pub const LOGON_RESOURCE_GROUPS: u32 = 0x200;

/// GROUP_MEMBERSHIP (MS-PAC §2.2.2): a RID of the domain and its
/// SE_GROUP_* attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMembership {
    pub relative_id: u32,
    pub attributes: u32,
}

/// KERB_SID_AND_ATTRIBUTES (MS-PAC §2.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidAndAttributes {
    pub sid: Sid,
    pub attributes: u32,
}

/// A decoded KERB_VALIDATION_INFO (the UserSessionKey, zero in a PAC, is
/// not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationInfo {
    /// FILETIMEs.
    pub logon_time: u64,
    pub password_last_set: u64,
    pub effective_name: String,
    pub full_name: String,
    pub logon_script: String,
    pub profile_path: String,
    pub home_directory: String,
    pub home_directory_drive: String,
    pub logon_count: u16,
    pub bad_password_count: u16,
    pub user_id: u32,
    pub primary_group_id: u32,
    pub group_ids: Vec<GroupMembership>,
    pub user_flags: u32,
    pub logon_server: String,
    pub logon_domain_name: String,
    pub logon_domain_id: Option<Sid>,
    pub user_account_control: u32,
    pub extra_sids: Vec<SidAndAttributes>,
    pub resource_group_domain_sid: Option<Sid>,
    pub resource_group_ids: Vec<GroupMembership>,
}

/// The domain SID with one more sub-authority.
fn with_rid(domain: &Sid, rid: u32) -> Sid {
    let mut sid = domain.clone();
    sid.sub_authorities.push(rid);
    sid
}

fn groups(
    r: &mut NdrReader<'_>,
    referent: u32,
    count: u32,
) -> Result<Vec<GroupMembership>, PacError> {
    if referent == 0 {
        return if count == 0 {
            Ok(Vec::new())
        } else {
            Err(PacError::Malformed)
        };
    }
    let n = r.conformance(count, 8)?;
    (0..n)
        .map(|_| {
            Ok(GroupMembership {
                relative_id: r.u32()?,
                attributes: r.u32()?,
            })
        })
        .collect()
}

fn optional_sid(r: &mut NdrReader<'_>, referent: u32) -> Result<Option<Sid>, PacError> {
    if referent == 0 {
        Ok(None)
    } else {
        r.sid().map(Some)
    }
}

impl ValidationInfo {
    pub fn decode(b: &[u8]) -> Result<Self, PacError> {
        let r = &mut NdrReader::serialized(b)?;
        if r.u32()? == 0 {
            return Err(PacError::Malformed);
        }
        let logon_time = r.filetime()?;
        let _logoff_time = r.filetime()?;
        let _kickoff_time = r.filetime()?;
        let password_last_set = r.filetime()?;
        let _password_can_change = r.filetime()?;
        let _password_must_change = r.filetime()?;
        let mut names: Vec<UnicodeStringHeader> = Vec::with_capacity(6);
        for _ in 0..6 {
            names.push(r.unicode_string_header()?);
        }
        let logon_count = r.u16()?;
        let bad_password_count = r.u16()?;
        let user_id = r.u32()?;
        let primary_group_id = r.u32()?;
        let group_count = r.u32()?;
        let group_ids_ref = r.u32()?;
        let user_flags = r.u32()?;
        r.bytes(16)?; // UserSessionKey
        let logon_server_h = r.unicode_string_header()?;
        let logon_domain_name_h = r.unicode_string_header()?;
        let logon_domain_id_ref = r.u32()?;
        r.u32()?; // Reserved1
        r.u32()?;
        let user_account_control = r.u32()?;
        r.u32()?; // SubAuthStatus
        r.filetime()?; // LastSuccessfulILogon
        r.filetime()?; // LastFailedILogon
        r.u32()?; // FailedILogonCount
        r.u32()?; // Reserved3
        let sid_count = r.u32()?;
        let extra_sids_ref = r.u32()?;
        let resource_domain_ref = r.u32()?;
        let resource_group_count = r.u32()?;
        let resource_groups_ref = r.u32()?;

        // The deferred referents, in pointer order.
        let mut strings = Vec::with_capacity(6);
        for h in names {
            strings.push(r.unicode_string(h)?);
        }
        let group_ids = groups(r, group_ids_ref, group_count)?;
        let logon_server = r.unicode_string(logon_server_h)?;
        let logon_domain_name = r.unicode_string(logon_domain_name_h)?;
        let logon_domain_id = optional_sid(r, logon_domain_id_ref)?;
        let mut extra_sids = Vec::new();
        if extra_sids_ref != 0 {
            let n = r.conformance(sid_count, 8)?;
            let mut heads = Vec::with_capacity(n);
            for _ in 0..n {
                heads.push((r.u32()?, r.u32()?));
            }
            for (referent, attributes) in heads {
                if referent == 0 {
                    return Err(PacError::Malformed);
                }
                extra_sids.push(SidAndAttributes {
                    sid: r.sid()?,
                    attributes,
                });
            }
        } else if sid_count != 0 {
            return Err(PacError::Malformed);
        }
        let resource_group_domain_sid = optional_sid(r, resource_domain_ref)?;
        let resource_group_ids = groups(r, resource_groups_ref, resource_group_count)?;
        let [effective_name, full_name, logon_script, profile_path, home_directory, home_directory_drive] =
            <[String; 6]>::try_from(strings).map_err(|_| PacError::Malformed)?;
        Ok(ValidationInfo {
            logon_time,
            password_last_set,
            effective_name,
            full_name,
            logon_script,
            profile_path,
            home_directory,
            home_directory_drive,
            logon_count,
            bad_password_count,
            user_id,
            primary_group_id,
            group_ids,
            user_flags,
            logon_server,
            logon_domain_name,
            logon_domain_id,
            user_account_control,
            extra_sids,
            resource_group_domain_sid,
            resource_group_ids,
        })
    }

    /// The user's SID: LogonDomainId and UserId (MS-PAC §2.5).
    pub fn user_sid(&self) -> Option<Sid> {
        self.logon_domain_id
            .as_ref()
            .map(|d| with_rid(d, self.user_id))
    }

    /// The primary group's SID.
    pub fn primary_group_sid(&self) -> Option<Sid> {
        self.logon_domain_id
            .as_ref()
            .map(|d| with_rid(d, self.primary_group_id))
    }

    /// The SIDs of GroupIds (domain groups), then ExtraSids, then the
    /// resource groups, with their attributes (MS-PAC §2.5, MS-KILE
    /// §3.4.5.3 builds the token from these).
    pub fn group_sids(&self) -> Vec<SidAndAttributes> {
        let mut out = Vec::new();
        if let Some(d) = &self.logon_domain_id {
            out.extend(self.group_ids.iter().map(|g| SidAndAttributes {
                sid: with_rid(d, g.relative_id),
                attributes: g.attributes,
            }));
        }
        out.extend(self.extra_sids.iter().cloned());
        if let Some(d) = &self.resource_group_domain_sid {
            out.extend(self.resource_group_ids.iter().map(|g| SidAndAttributes {
                sid: with_rid(d, g.relative_id),
                attributes: g.attributes,
            }));
        }
        out
    }
}
