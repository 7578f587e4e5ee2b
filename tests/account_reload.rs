//! The account database cache (`lsa::accounts::database`): a changed
//! `NTLM_USER_FILE` is seen at once after `recheck_database()`, and without
//! it after `RECHECK_INTERVAL`. Its own test binary: it sets the variable.

use std::time::Duration;

use opensspi::lsa::accounts::{database, recheck_database, RECHECK_INTERVAL};

#[test]
fn rewritten_user_file_is_seen() {
    let dir = std::env::temp_dir();
    let path = dir.join(format!("opensspi-account-reload-{}", std::process::id()));
    std::fs::write(&path, "EXAMPLE:alice:pw1\n").unwrap();
    std::env::set_var("NTLM_USER_FILE", &path);
    recheck_database();
    let db = database();
    assert!(db.lookup("alice", "EXAMPLE").is_some());
    assert!(db.lookup("bob", "EXAMPLE").is_none());
    // Cached: the same object while nothing changed.
    assert!(std::sync::Arc::ptr_eq(&db, &database()));

    std::fs::write(&path, "EXAMPLE:alice:pw1\nEXAMPLE:bob:pw2\n").unwrap();
    recheck_database();
    let db = database();
    assert!(db.lookup("bob", "EXAMPLE").is_some());

    // A new path is seen too, and without recheck_database() once the
    // interval has passed.
    let other = dir.join(format!("opensspi-account-reload-2-{}", std::process::id()));
    std::fs::write(&other, "OTHER:carol:pw3\n").unwrap();
    std::env::set_var("NTLM_USER_FILE", &other);
    std::thread::sleep(RECHECK_INTERVAL + Duration::from_millis(100));
    let db = database();
    assert!(db.lookup("carol", "OTHER").is_some());
    assert!(db.lookup("alice", "EXAMPLE").is_none());

    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&other).unwrap();
}
