//! The LSA as a service of its own (Windows: lsass): `opensspi-lsad`
//! holds one user's logon sessions and their credentials and runs the
//! packages' credential operations for the user's processes, which see
//! sessions without their NT OWF ([`client::ServiceStore`], the store
//! `OPENSSPI_LSA_STORE=service` selects).
//!
//! - [`wire`]: the versioned, length-prefixed protocol.
//! - [`server`]: the service loop (`SO_PEERCRED` on every connection: a
//!   peer sees and uses only its own uid's sessions, uid 0 all of them).
//! - [`client`]: the library's side; starts the service on demand.
//! - [`generation`]: the change counter clients check before using what
//!   they cached (no round trip for an unchanged session).
//!
//! The socket lives in [`socket_dir`]: `$XDG_RUNTIME_DIR/opensspi/`,
//! else `/run/user/<uid>/opensspi/`, else `/tmp/opensspi-<uid>/`; the
//! directory is created `0700` and refused when another uid owns it or
//! anyone else may write to it.

pub mod client;
pub mod generation;
pub mod server;
pub mod wire;

use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The socket's file name in [`socket_dir`].
pub const SOCKET_NAME: &str = "lsad.sock";
/// The lock file two racing starters (and an exiting service) take.
pub const LOCK_NAME: &str = "lsad.lock";
/// The running service's pid.
pub const PID_NAME: &str = "lsad.pid";
/// Variable naming the `opensspi-lsad` executable the library starts.
pub const LSAD_ENV: &str = "OPENSSPI_LSAD";

/// The directory of the service socket for Linux user `uid` (created if
/// missing, verified private).
pub fn socket_dir(uid: u32) -> io::Result<PathBuf> {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
        Some(rt) => PathBuf::from(rt).join("opensspi"),
        None => {
            let run = PathBuf::from(format!("/run/user/{uid}"));
            if run.is_dir() {
                run.join("opensspi")
            } else {
                PathBuf::from(format!("/tmp/opensspi-{uid}"))
            }
        }
    };
    private_dir(&dir, uid)?;
    Ok(dir)
}

/// Create `dir` (mode 0700) if missing, then check it is a directory (not
/// a link) that `uid` owns and nobody else can write to.
pub fn private_dir(dir: &Path, uid: u32) -> io::Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let m = std::fs::symlink_metadata(dir)?;
    if !m.file_type().is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    if m.uid() != uid {
        return Err(io::Error::other(format!(
            "{} belongs to uid {}, not {uid}",
            dir.display(),
            m.uid()
        )));
    }
    if m.mode() & 0o022 != 0 {
        return Err(io::Error::other(format!(
            "{} is writable by others",
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn socket_directory_must_be_private_and_ours() {
        let t = std::env::temp_dir().join(format!("opensspi-dirtest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&t);
        std::fs::create_dir(&t).unwrap();
        let uid = crate::lsa::store::keyring::current_uid();
        let d = t.join("opensspi");
        private_dir(&d, uid).unwrap();
        assert_eq!(std::fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
        // Writable by others: refused.
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(private_dir(&d, uid).is_err());
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        // Another uid's: refused.
        assert!(private_dir(&d, uid + 1).is_err());
        // A link: refused.
        let link = t.join("link");
        std::os::unix::fs::symlink(&d, &link).unwrap();
        assert!(private_dir(&link, uid).is_err());
        std::fs::remove_dir_all(&t).unwrap();
    }
}
