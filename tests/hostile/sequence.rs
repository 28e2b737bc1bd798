//! Sequence numbers and cursors that jump, rewind or grow without end.

use super::server::{Hostile, Reply};
use super::{bin, run};

fn watch_json(url: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run({
        let mut c = bin(dir.path());
        c.args(["watch", url, "--duration", "2s", "--json"])
            .args(extra);
        c
    });
    let v = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (code, v, err)
}

/// 1, 2, `i64::MAX`, then 3, 4: before, 9,223,372,036,854,775,805 events were "lost" and
/// every later event a duplicate.
#[test]
fn a_sequence_jump_to_i64_max_is_a_visible_reset_not_billions_lost() {
    let server = Hostile::start("127.0.0.1", |_, n| {
        let seq: &[i64] = match n {
            0 => &[1, 2],
            1 => &[i64::MAX],
            2 => &[3, 4],
            _ => &[],
        };
        let events: Vec<String> = seq.iter().map(|s| format!(r#"{{"seq": {s}}}"#)).collect();
        Reply::json(&format!(
            r#"{{"cursor": {}, "events": [{}]}}"#,
            n + 1,
            events.join(",")
        ))
    });
    let (code, v, err) = watch_json(&server.url("/events"), &["--hold", "1"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["lost_events"], 0, "{v}");
    assert_eq!(v["duplicate_events"], 0, "{v}");
    assert_eq!(v["sequence_resets"], 2, "up to i64::MAX and back down: {v}");
    assert_eq!(v["events"], 5, "{v}");
    assert!(
        err.contains("sequence numbers restarted: 9223372036854775807 after 2"),
        "{err}"
    );
}

/// A numeric cursor that goes back is followed, and said.
#[test]
fn a_cursor_that_goes_backwards_is_said() {
    let server = Hostile::start("127.0.0.1", |_, n| {
        let cursor = if n == 0 { 500 } else { 7 };
        Reply::json(&format!(
            r#"{{"cursor": {cursor}, "events": [{{"seq": {n}}}]}}"#
        ))
    });
    let (code, _v, err) = watch_json(&server.url("/events"), &["--hold", "1"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("cursor went backwards from 500 to 7"), "{err}");
    assert!(server.seen().iter().any(|s| s.target.contains("cursor=7")));
}

/// A 100,000-character cursor: before, every later poll failed ("URI too long") until a
/// restart. Now it is refused with its own error kind, the poller restarts from the
/// profile's initial cursor, and polling goes on.
#[test]
fn a_huge_cursor_is_refused_and_the_poller_restarts() {
    let server = Hostile::start("127.0.0.1", |seen, n| {
        if seen.target.len() > 8192 {
            return Reply::http(414, &[], b"URI Too Long");
        }
        if n == 1 {
            let huge = "x".repeat(100_000);
            return Reply::json(&format!(
                r#"{{"cursor": "{huge}", "events": [{{"seq": 2}}]}}"#
            ));
        }
        Reply::json(&format!(
            r#"{{"cursor": "c{n}", "events": [{{"seq": {n}}}]}}"#
        ))
    });
    let (code, v, err) = watch_json(
        &server.url("/events"),
        &["--hold", "1", "--initial-cursor", "start"],
    );
    assert_eq!(code, Some(0), "{v} {err}");
    assert_eq!(v["errors_by_kind"]["cursor_too_long"], 1, "{v}");
    assert!(
        v["errors_by_kind"].get("http_status").is_none(),
        "never 414: {v}"
    );
    assert!(v["polls"].as_u64().unwrap() >= 4, "polling went on: {v}");
    let seen = server.seen();
    assert!(seen.iter().all(|s| s.target.len() < 8192));
    assert!(
        seen[2].target.contains("cursor=start"),
        "restarted from the initial cursor: {:?}",
        seen[2].target
    );
}
