//! The account database cache (`lsa::accounts::database`): a changed
//! `NTLM_USER_FILE` is seen at once after `recheck_database()`, and without
//! it after `RECHECK_INTERVAL`. Its own test binary: it sets the variable.

use std::time::Duration;

use opensspi::lsa::accounts::{database, recheck_database, with_database, RECHECK_INTERVAL};

fn has(user: &str, domain: &str) -> bool {
    with_database(|db| db.lookup(user, domain).is_some())
}

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

    // with_database keeps a per-thread reference; this thread and another
    // one each take one now.
    assert!(has("alice", "EXAMPLE") && !has("bob", "EXAMPLE"));
    let (ask, asked) = std::sync::mpsc::channel::<()>();
    let (tell, told) = std::sync::mpsc::channel::<bool>();
    let other_thread = std::thread::spawn(move || {
        while asked.recv().is_ok() {
            tell.send(has("bob", "EXAMPLE")).unwrap();
        }
    });
    ask.send(()).unwrap();
    assert!(!told.recv().unwrap());

    std::fs::write(&path, "EXAMPLE:alice:pw1\nEXAMPLE:bob:pw2\n").unwrap();
    recheck_database();
    let db = database();
    assert!(db.lookup("bob", "EXAMPLE").is_some());
    // Both threads let go of their old reference and see the new file.
    assert!(has("bob", "EXAMPLE"));
    ask.send(()).unwrap();
    assert!(told.recv().unwrap());
    drop(ask);
    other_thread.join().unwrap();

    // A new path is seen too, and without recheck_database() once the
    // interval has passed.
    let other = dir.join(format!("opensspi-account-reload-2-{}", std::process::id()));
    std::fs::write(&other, "OTHER:carol:pw3\n").unwrap();
    std::env::set_var("NTLM_USER_FILE", &other);
    std::thread::sleep(RECHECK_INTERVAL + Duration::from_millis(100));
    assert!(has("carol", "OTHER") && !has("bob", "EXAMPLE"));
    let db = database();
    assert!(db.lookup("carol", "OTHER").is_some());
    assert!(db.lookup("alice", "EXAMPLE").is_none());

    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&other).unwrap();
}
