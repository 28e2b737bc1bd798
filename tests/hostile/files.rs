//! profiles.json from a careless or hostile hand: too large, with a byte order mark, in
//! a folder others can read.

use std::time::{Duration, Instant};

use pollscope::profile::Profile;
use pollscope::profile_store::{FILE_NAME, MAX_FILE_BYTES, ProfileStore, StoreError};

use super::{bin, run};

/// A valid profiles document of about `size` bytes (one profile, then padding in an
/// unknown field).
fn big_document(size: usize) -> String {
    let head =
        r#"{"version": 1, "profiles": [{"name": "big", "url": "http://127.0.0.1:9/e"}], "pad": ["#;
    let mut text = String::with_capacity(size + 64);
    text.push_str(head);
    while text.len() < size {
        text.push_str(r#"{"":0},"#);
    }
    text.push_str("0]}");
    text
}

/// The file used to be read whole and parsed twice (4.2 GB of memory for 129 MB); now it
/// is refused before it is read, with its size and the limit.
#[test]
fn an_oversized_profiles_file_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let size = usize::try_from(MAX_FILE_BYTES).unwrap() + 1024;
    std::fs::write(dir.path().join(FILE_NAME), big_document(size)).unwrap();
    let started = Instant::now();
    let (code, _out, err) = run({
        let mut c = bin(dir.path());
        c.arg("profiles");
        c
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("more than the 8388608 bytes"), "{err}");
    assert!(err.contains(FILE_NAME), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    match ProfileStore::open(dir.path()) {
        Err(StoreError::TooLarge { size: s, .. }) => assert!(s > MAX_FILE_BYTES),
        other => panic!("{other:?}"),
    }
    // Just under the limit still opens.
    std::fs::write(
        dir.path().join(FILE_NAME),
        big_document(usize::try_from(MAX_FILE_BYTES).unwrap() - 4096),
    )
    .unwrap();
    assert_eq!(ProfileStore::open(dir.path()).unwrap().profiles.len(), 1);
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        br#"{"version": 1, "profiles": [{"name": "bom", "url": "http://127.0.0.1:9/e"}]}"#,
    );
    std::fs::write(dir.path().join(FILE_NAME), bytes).unwrap();
    let (code, out, err) = run({
        let mut c = bin(dir.path());
        c.arg("profiles");
        c
    });
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("bom "), "{out}");
}

#[cfg(unix)]
#[test]
fn the_config_folder_is_made_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // A folder the store creates, and one that was there, readable by all.
    let fresh = parent.path().join("fresh/pollscope");
    let existing = parent.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o755)).unwrap();
    for dir in [&fresh, &existing] {
        let mut store = ProfileStore::open(dir).unwrap();
        store
            .profiles
            .push(Profile::for_demo("p", "http://127.0.0.1:9/e"));
        store.save().unwrap();
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
        assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
    }
}
