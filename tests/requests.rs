//! What Pollscope puts on the wire, seen byte for byte by a scripted loopback server
//! (`tests/support/scripted.rs`): body headers, hold parameters, templates.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

#[path = "support/scripted.rs"]
#[allow(
    dead_code,
    reason = "shared test support: each test binary uses part of it"
)]
mod scripted;

use std::time::{Duration, Instant};

use pollscope::poll::{PollEvent, Session, no_waker};
use pollscope::profile::Profile;

use scripted::{Response, Scripted};

/// Run `profile` until the server has seen `n` requests (or 10 s pass).
fn requests_for(profile: Profile, server: &Scripted, n: usize) -> Vec<scripted::Request> {
    let mut session = Session::start(profile, no_waker()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && server.requests().len() < n {
        // Drain so nothing piles up; failures would show in the requests anyway.
        for e in session.events().try_iter() {
            if let PollEvent::Failed(f) = e {
                eprintln!("poll failed: {}", f.message);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    session.stop();
    let seen = server.requests();
    assert!(seen.len() >= n, "only {} request(s)", seen.len());
    seen
}

/// RFC 9110 §8.6: a request without content sends no Content-Length (a GET with
/// `Content-Length: 0` made Pushpin close every connection); a POST without a body says
/// `Content-Length: 0`, as user agents normally do; a body is announced by its length.
#[test]
fn a_request_without_a_body_sends_no_body_headers() {
    let server = Scripted::start(|_| {
        std::thread::sleep(Duration::from_millis(20));
        Response::json(r#"{"cursor":1,"events":[]}"#)
    });
    let get = Profile::for_demo("get", &server.url("/events"));
    for r in requests_for(get, &server, 3) {
        assert_eq!(r.method, "GET");
        assert_eq!(r.header("content-length"), None, "{:?}", r.headers);
        assert_eq!(r.header("transfer-encoding"), None, "{:?}", r.headers);
    }
    let server = Scripted::start(|_| {
        std::thread::sleep(Duration::from_millis(20));
        Response::json(r#"{"cursor":1,"events":[]}"#)
    });
    let post = Profile {
        method: "POST".to_owned(),
        ..Profile::for_demo("post", &server.url("/events"))
    };
    for r in requests_for(post, &server, 2) {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("content-length"), Some("0"), "{:?}", r.headers);
    }
    let server = Scripted::start(|_| {
        std::thread::sleep(Duration::from_millis(20));
        Response::json(r#"{"cursor":1,"events":[]}"#)
    });
    let with_body = Profile {
        method: "POST".to_owned(),
        body: Some(r#"{"q":1}"#.to_owned()),
        ..Profile::for_demo("post", &server.url("/events"))
    };
    for r in requests_for(with_body, &server, 2) {
        assert_eq!(r.header("content-length"), Some("7"), "{:?}", r.headers);
        assert_eq!(r.body, br#"{"q":1}"#);
    }
}

/// The hand-built session profile of docs/protocols.md ("A session profile by hand"),
/// taken from the document itself, against a server that answers as it describes:
/// login, polls with the session header and the cursor in the path, a `401` when the
/// session expires, a new login, and no event lost or repeated across it.
#[test]
fn the_worked_example_in_the_protocol_docs_runs() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};

    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/protocols.md")).unwrap();
    let section = &doc[doc.find("### A session profile by hand").unwrap()..];
    let start = section.find("```json\n").unwrap() + "```json\n".len();
    let json = &section[start..start + section[start..].find("```").unwrap()];

    let logins = std::sync::Arc::new(AtomicU64::new(0));
    let polls_in_session = std::sync::Arc::new(Mutex::new(0u32));
    let server = {
        let logins = std::sync::Arc::clone(&logins);
        let polls = std::sync::Arc::clone(&polls_in_session);
        Scripted::start(move |r| {
            if r.method == "POST" && r.path() == "/api/login" {
                let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                assert_eq!(v["user"], "alice");
                let n = logins.fetch_add(1, Ordering::Relaxed) + 1;
                *polls.lock().unwrap() = 0;
                return Response::json(&format!(r#"{{"session":"sess-{n}-k3J9x"}}"#));
            }
            let current = format!("sess-{}-k3J9x", logins.load(Ordering::Relaxed));
            if r.header("x-session") != Some(current.as_str()) {
                return Response::new(401, "application/json", r#"{"error":"session expired"}"#);
            }
            let mut polls = polls.lock().unwrap();
            *polls += 1;
            // Each session expires after three polls; events 1..=9, three an answer.
            if *polls > 3 {
                return Response::new(401, "application/json", r#"{"error":"session expired"}"#);
            }
            let after: u64 = r
                .path()
                .trim_start_matches("/api/events/")
                .trim_start_matches('e')
                .parse()
                .unwrap_or(0);
            if after >= 9 {
                std::thread::sleep(Duration::from_millis(200));
                return Response::json(&format!(r#"{{"next":"e{after}","items":[]}}"#));
            }
            let items: Vec<String> = (after + 1..=after + 3)
                .map(|s| format!(r#"{{"seq":{s}}}"#))
                .collect();
            Response::json(&format!(
                r#"{{"next":"e{}","items":[{}]}}"#,
                after + 3,
                items.join(",")
            ))
        })
    };
    let mut profile: pollscope::profile::Profile =
        serde_json::from_str(&json.replace("HOST", &server.addr.to_string())).unwrap();
    profile.variables[0].value = "alice".to_owned(); // --var user=alice
    assert_eq!(profile.validate(), Vec::new());
    let mut session = Session::start(profile, no_waker()).unwrap();
    let mut stats =
        pollscope::stats::Stats::new(session.started(), pollscope::stats::StatsConfig::default());
    let mut seqs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && (seqs.len() < 9 || stats.session_restarts() < 2) {
        if let Ok(e) = session.events().recv_timeout(Duration::from_millis(20)) {
            stats.record(&e);
            if let PollEvent::Response(r) = &e {
                seqs.extend(r.events.iter().filter_map(|e| e.seq));
            }
        }
    }
    session.stop();
    assert_eq!(seqs, (1..=9).collect::<Vec<i64>>());
    assert!(
        stats.session_restarts() >= 2,
        "restarts {}",
        stats.session_restarts()
    );
    assert!(logins.load(Ordering::Relaxed) >= 2, "one login per session");
    let paths: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert!(paths.contains(&"/api/events/0".to_owned()), "{paths:?}");
    assert!(paths.contains(&"/api/events/e3".to_owned()), "{paths:?}");
}

/// "Test once" runs the bootstrap and one poll and keeps every request and answer, with
/// the session's secrets masked.
#[test]
fn test_once_shows_each_request_and_answer_with_secrets_masked() {
    let server = Scripted::start(|r| {
        if r.path() == "/login" {
            return Response::json(r#"{"session":"s3cr3t-session-id"}"#);
        }
        if r.header("x-session") != Some("s3cr3t-session-id") {
            return Response::new(401, "application/json", r#"{"error":"no session"}"#);
        }
        Response::json(r#"{"items":[{"seq":1},{"seq":2}],"next":"2","echo":"s3cr3t-session-id"}"#)
    });
    let profile: pollscope::profile::Profile = serde_json::from_value(serde_json::json!({
        "name": "t",
        "url": server.url("/events/{{cursor}}"),
        "headers": [{"name": "X-Session", "value": "{{session}}"}],
        "hold_param": {"kind": "none"},
        "cursor": {"kind": "body_pointer", "pointer": "/next", "param": ""},
        "initial_cursor": "0",
        "events_pointer": "/items",
        "session": {"bootstrap": [{
            "name": "login", "method": "POST", "url": "/login", "body": "{}",
            "extract": [{"var": "session", "pointer": "/session", "secret": true}]
        }]}
    }))
    .unwrap();
    let probe = pollscope::poll::probe::test_once(profile, Duration::from_secs(5));
    assert!(probe.ok, "{}", probe.outcome);
    assert_eq!(probe.events, 2, "{}", probe.outcome);
    let labels: Vec<&str> = probe.exchanges.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, vec!["step 1 (login)", "poll"]);
    assert_eq!(probe.exchanges[0].status, Some(200));
    assert!(
        probe.exchanges[1].request_line.starts_with("GET http://"),
        "{:?}",
        probe.exchanges[1]
    );
    assert!(probe.exchanges[1].request_line.ends_with("/events/0"));
    let shown = format!("{probe:?}");
    assert!(!shown.contains("s3cr3t-session-id"), "{shown}");
    assert!(shown.contains("•••"));
    assert!(probe.outcome.contains("2 event(s)"), "{}", probe.outcome);
    // The server saw the real value, of course.
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.header("x-session") == Some("s3cr3t-session-id"))
    );
    // A failing step says which one and why.
    let bad = Scripted::start(|_| Response::new(500, "text/plain", "down"));
    let mut p2: pollscope::profile::Profile = serde_json::from_value(serde_json::json!({
        "url": bad.url("/events"),
        "session": {"bootstrap": [{"name": "login", "method": "POST", "url": "/login",
            "extract": [{"var": "session", "pointer": "/session"}]}]}
    }))
    .unwrap();
    p2.events_pointer = None;
    let probe = pollscope::poll::probe::test_once(p2, Duration::from_secs(5));
    assert!(!probe.ok);
    assert!(
        probe
            .outcome
            .contains("bootstrap step 1 (login) failed: HTTP 500"),
        "{}",
        probe.outcome
    );
    assert_eq!(probe.exchanges.len(), 1);
}

/// A bootstrap step fails, saying why, when its answer lacks a variable it extracts, and
/// when a message in it matches the step's `fail_when`, even though a variable was found.
#[test]
fn a_bootstrap_step_says_what_its_answer_lacked_or_reported() {
    let server = Scripted::start(|r| match r.path() {
        "/no-session" => Response::json(r#"{"user":"x"}"#),
        _ => Response::json(r#"{"successful":false,"session":"s-1","error":"402::bad"}"#),
    });
    let run = |login: &str| {
        let profile: pollscope::profile::Profile = serde_json::from_value(serde_json::json!({
            "name": "t",
            "url": server.url("/events"),
            "session": {"bootstrap": [{
                "name": "login", "method": "POST", "url": login, "body": "{}",
                "extract": [{"var": "session", "pointer": "/session"}],
                "fail_when": [{"pointer": "/successful", "equals": "false"}]
            }]}
        }))
        .unwrap();
        pollscope::poll::probe::test_once(profile, Duration::from_secs(5))
    };
    let lacked = run("/no-session");
    assert!(!lacked.ok);
    assert!(
        lacked
            .outcome
            .contains("bootstrap step 1 (login) failed: no /session for {{session}} in the answer"),
        "{}",
        lacked.outcome
    );
    let reported = run("/login");
    assert!(!reported.ok);
    assert!(
        reported.outcome.contains(
            "bootstrap step 1 (login) failed: the answer says it failed (/successful = false)"
        ),
        "{}",
        reported.outcome
    );
    assert_eq!(reported.exchanges.len(), 1, "no poll after a failed step");
}
