//! Profiles saved by an earlier Pollscope load unchanged: `tests/data/
//! profiles-format1-20ad2f8.json` was written by the build at 20ad2f8 (every preset as it
//! came, a customised demo profile with a secret header and a POST body, an etcd profile
//! with an initial cursor), before profiles gained variables, decoders and session steps.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::path::Path;

use pollscope::cursor::Cursor;
use pollscope::profile::ProfileIssue;
use pollscope::profile_store::{ProfileStore, parse};

const SAVED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/profiles-format1-20ad2f8.json"
);

/// The poll URLs the 20ad2f8 build made from each saved profile, with no cursor and with
/// cursor 42 (printed by that build).
const URLS_THEN: [(&str, Option<&str>, &str); 20] = [
    (
        "Pollscope demo server",
        None,
        "http://127.0.0.1:8787/events?timeout=30",
    ),
    (
        "Pollscope demo server",
        Some("42"),
        "http://127.0.0.1:8787/events?timeout=30&cursor=42",
    ),
    ("Nchan (nginx)", None, "http://host/sub/CHANNEL"),
    ("Nchan (nginx)", Some("42"), "http://host/sub/CHANNEL"),
    (
        "etcd v2 watch",
        None,
        "http://127.0.0.1:2379/v2/keys/KEY?wait=true",
    ),
    (
        "etcd v2 watch",
        Some("42"),
        "http://127.0.0.1:2379/v2/keys/KEY?wait=true&waitIndex=42",
    ),
    (
        "CouchDB _changes",
        None,
        "http://127.0.0.1:5984/DB/_changes?feed=longpoll&timeout=30000",
    ),
    (
        "CouchDB _changes",
        Some("42"),
        "http://127.0.0.1:5984/DB/_changes?feed=longpoll&timeout=30000&since=42",
    ),
    (
        "Consul blocking query",
        None,
        "http://127.0.0.1:8500/v1/kv/KEY?wait=30s",
    ),
    (
        "Consul blocking query",
        Some("42"),
        "http://127.0.0.1:8500/v1/kv/KEY?wait=30s&index=42",
    ),
    (
        "Telegram getUpdates",
        None,
        "https://api.telegram.org/botTOKEN/getUpdates?timeout=50",
    ),
    (
        "Telegram getUpdates",
        Some("42"),
        "https://api.telegram.org/botTOKEN/getUpdates?timeout=50&offset=42",
    ),
    ("Generic JSON", None, "https://host/PATH"),
    ("Generic JSON", Some("42"), "https://host/PATH"),
    ("Generic ETag", None, "https://host/PATH"),
    ("Generic ETag", Some("42"), "https://host/PATH"),
    (
        "Custom demo, 4 pollers",
        None,
        "http://127.0.0.1:8787/events?channel=a&timeout=30",
    ),
    (
        "Custom demo, 4 pollers",
        Some("42"),
        "http://127.0.0.1:8787/events?channel=a&timeout=30&cursor=42",
    ),
    (
        "etcd with initial cursor",
        None,
        "http://127.0.0.1:2379/v2/keys/k?wait=true",
    ),
    (
        "etcd with initial cursor",
        Some("42"),
        "http://127.0.0.1:2379/v2/keys/k?wait=true&waitIndex=42",
    ),
];

#[test]
fn profiles_saved_before_sessions_load_and_save_unchanged() {
    let bytes = std::fs::read(SAVED).unwrap();
    let profiles = parse(Path::new(SAVED), &bytes).unwrap();
    assert_eq!(profiles.len(), 10);
    for p in &profiles {
        assert!(p.variables.is_empty(), "{}", p.name);
        assert!(p.session.is_empty(), "{}", p.name);
        assert_eq!(p.decoder, pollscope::protocol::Decoder::Json, "{}", p.name);
        // The only problems are the presets' placeholders still in the saved URLs
        // (`KEY`), which now say what to put there instead of "Ready to connect".
        let issues = p.validate();
        assert!(
            issues
                .iter()
                .all(|i| matches!(i, ProfileIssue::Placeholder { .. })),
            "{}: {issues:?}",
            p.name
        );
        assert_eq!(
            issues.is_empty(),
            pollscope::profile::url_placeholders(&p.url).is_empty(),
            "{}",
            p.name
        );
    }
    // Saved again, they are the same document: nothing new is written for what they do
    // not use, so the earlier build can read them back too.
    let again: serde_json::Value =
        serde_json::from_slice(&ProfileStore::to_bytes(&profiles)).unwrap();
    let then: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(again, then);
}

#[test]
fn profiles_saved_before_sessions_poll_the_same_urls() {
    let bytes = std::fs::read(SAVED).unwrap();
    let profiles = parse(Path::new(SAVED), &bytes).unwrap();
    for (name, cursor, want) in URLS_THEN {
        let p = profiles.iter().find(|p| p.name == name).unwrap();
        let got = p.poll_url(&Cursor::starting_at(cursor)).unwrap();
        assert_eq!(got.as_str(), want, "{name} {cursor:?}");
    }
}
