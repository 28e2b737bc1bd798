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
