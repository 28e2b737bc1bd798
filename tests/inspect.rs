//! What the inspector shows about each poll, measured against the real demo server:
//! the request as sent (secrets masked), and where the time went (lookup, connect,
//! TLS, waiting for the head, reading the body).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::time::{Duration, Instant};

use pollscope::demo_server::{DemoServer, DemoServerConfig, Fault, TlsMode};
use pollscope::poll::{PollEvent, PollFailure, PollResponse, Session, SessionOptions, no_waker};
use pollscope::profile::{HeaderSpec, Profile};

const TOKEN: &str = "s3cret-t0ken-value";

fn server(fault: Fault, tls: bool) -> DemoServer {
    DemoServer::start(DemoServerConfig {
        fault,
        tls: tls.then_some(TlsMode::SelfSigned),
        ..DemoServerConfig::default()
    })
    .unwrap()
}

fn profile(url: &str, hold_s: u32) -> Profile {
    let mut p = Profile::for_demo("inspect", url);
    p.hold_s = hold_s;
    p.accept_invalid_certs = true;
    p.headers
        .push(HeaderSpec::new("Authorization", &format!("Bearer {TOKEN}")));
    p
}

/// The first `n` answers and failures of `profile` (within 20 s).
fn polls(profile: Profile, capture: bool, n: usize) -> (Vec<PollResponse>, Vec<PollFailure>) {
    let options = SessionOptions {
        capture_requests: capture,
    };
    let mut session = Session::start_with(profile, no_waker(), options).unwrap();
    let (mut answers, mut failures) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(20);
    while answers.len() + failures.len() < n && Instant::now() < deadline {
        match session.events().recv_timeout(Duration::from_millis(50)) {
            Ok(PollEvent::Response(r)) => answers.push(*r),
            Ok(PollEvent::Failed(f)) => failures.push(*f),
            _ => {}
        }
    }
    session.stop();
    (answers, failures)
}

#[test]
fn the_hold_is_waiting_and_the_request_is_shown_as_sent_with_secrets_masked() {
    let server = server(Fault::None, false);
    let (answers, _) = polls(profile(&server.events_url(), 1), true, 2);
    let [first, second] = answers.as_slice() else {
        panic!("two answers: {answers:?}")
    };
    let t = first.timing;
    // Nothing published: the server held the poll for its 1 s timeout before the head.
    assert!(t.waiting.unwrap() >= Duration::from_millis(900), "{t:?}");
    assert!(t.body.unwrap() < Duration::from_millis(200), "{t:?}");
    assert!(
        t.connect.is_some() && t.tls.is_none() && t.proxy_tunnel.is_none(),
        "{t:?}"
    );
    assert_eq!(t.dns, None, "an IP address is not looked up");
    let phases: Duration = t.phases().iter().map(|(_, d)| *d).sum();
    assert_eq!(phases, t.total, "{t:?}");
    assert!(
        second.timing.connect.is_none(),
        "reused: {:?}",
        second.timing
    );

    let head = first.request.as_deref().unwrap();
    let port = server.addr().port();
    assert!(
        head.starts_with("GET /events?timeout=1 HTTP/1.1\n"),
        "{head}"
    );
    assert!(
        head.contains(&format!("\nhost: 127.0.0.1:{port}\n")),
        "{head}"
    );
    assert!(head.contains("\nuser-agent: pollscope/"), "{head}");
    assert!(head.ends_with("\nauthorization: •••"), "{head}");
    assert!(!head.contains(TOKEN) && !head.contains('\r'), "{head}");
    // The second poll carries the cursor the first answer gave.
    assert!(
        second.request.as_deref().unwrap().contains("cursor="),
        "{second:?}"
    );
}

#[test]
fn a_slow_body_is_body_time_not_waiting() {
    let server = server(Fault::SlowBody { bytes_per_s: 50 }, false);
    let (answers, _) = polls(profile(&server.events_url(), 0), false, 1);
    let t = answers.first().unwrap().timing;
    assert!(t.waiting.unwrap() < Duration::from_millis(300), "{t:?}");
    assert!(t.body.unwrap() >= Duration::from_millis(300), "{t:?}");
    assert_eq!(answers[0].request, None, "not captured unless asked");
}

#[test]
fn a_failed_poll_keeps_its_answer_request_and_timing() {
    let server = server(Fault::Status { code: 503 }, false);
    let (_, failures) = polls(profile(&server.events_url(), 0), true, 1);
    let f = failures.first().unwrap();
    assert_eq!(f.status, Some(503));
    assert!(!f.headers.is_empty(), "{f:?}");
    assert!(f.body.as_deref().is_some_and(|b| !b.is_empty()), "{f:?}");
    assert!(
        f.request.as_deref().unwrap().starts_with("GET /events"),
        "{f:?}"
    );
    assert!(
        f.timing.waiting.is_some() && f.timing.connect.is_some(),
        "{f:?}"
    );
}

#[test]
fn tls_and_name_lookups_are_their_own_phases() {
    let server = server(Fault::None, true);
    let (answers, _) = polls(profile(&server.events_url(), 0), true, 2);
    let t = answers.first().unwrap().timing;
    assert!(t.tls.is_some() && t.connect.is_some(), "{t:?}");
    assert!(answers[1].timing.tls.is_none(), "{:?}", answers[1].timing);
    // The head captured above TLS is plain text.
    assert!(
        answers[0]
            .request
            .as_deref()
            .unwrap()
            .starts_with("GET /events")
    );

    let plain = self::server(Fault::None, false);
    let url = format!("http://localhost:{}/events", plain.addr().port());
    let (answers, failures) = polls(profile(&url, 0), false, 1);
    assert!(failures.is_empty(), "{failures:?}");
    assert!(answers[0].timing.dns.is_some(), "{:?}", answers[0].timing);
}
