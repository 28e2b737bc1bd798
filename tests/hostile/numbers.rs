//! Numbers from the command line, a profile or a server never panic, and the exit code
//! tells the truth: 0 only when at least one poll succeeded.

use std::time::{Duration, Instant};

use super::server::{Hostile, Reply};
use super::{bin, run};

/// Each of these panicked (exit 101) or ran with dead pollers and exited 0 before.
#[test]
fn out_of_range_numbers_are_usage_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://127.0.0.1:9/events";
    let cases: [(&[&str], &str); 6] = [
        (&["watch", url, "--timeout", "1e300"], "--timeout"),
        (&["watch", url, "--timeout", "1e19"], "--timeout"),
        (&["watch", url, "--interval-s", "1e19"], "--interval"),
        (&["watch", url, "--duration", "500000000000y"], "--duration"),
        (
            &[
                "compare",
                url,
                "--interval",
                "500000000000y",
                "--duration",
                "1s",
            ],
            "--interval",
        ),
        (&["watch", url, "--hold", "4000000000"], "hold"),
    ];
    for (args, flag) in cases {
        let started = Instant::now();
        let (code, _out, err) = run({
            let mut c = bin(dir.path());
            c.args(args);
            c
        });
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?} should name {flag}: {err}");
        assert!(started.elapsed() < Duration::from_secs(10), "{args:?}");
    }
}

#[test]
fn a_profile_with_a_huge_timeout_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("profiles.json"),
        r#"{"version": 1, "profiles": [{"name": "big", "url": "http://127.0.0.1:9/events",
            "client_timeout_s": 1e300}]}"#,
    )
    .unwrap();
    let (code, _out, err) = run({
        let mut c = bin(dir.path());
        c.args(["watch", "--profile", "big", "--duration", "1s"]);
        c
    });
    assert_eq!(code, Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("client timeout"), "{err}");
}

fn watch_json(url: &str) -> (Option<i32>, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run({
        let mut c = bin(dir.path());
        c.args(["watch", url, "--duration", "1500ms", "--json"]);
        c
    });
    let v = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (code, v, err)
}

/// Every answer a 500: the run used to exit 0.
#[test]
fn a_run_where_every_answer_is_an_error_exits_4() {
    let server = Hostile::start("127.0.0.1", |_, _| Reply::http(500, &[], b"broken"));
    let (code, v, err) = watch_json(&server.url("/events"));
    assert_eq!(code, Some(4), "{v} {err}");
    assert_eq!(v["exit_code"], 4, "{v}");
    assert!(v["errors"].as_u64().unwrap() >= 1, "{v}");
    assert!(err.contains("no poll succeeded"), "{err}");
}

/// Every answer not HTTP at all.
#[test]
fn a_run_where_every_answer_is_a_protocol_error_exits_4() {
    let server = Hostile::start("127.0.0.1", |_, _| Reply::raw("HTTP/1.1 abc\r\n\r\n"));
    let (code, v, err) = watch_json(&server.url("/events"));
    assert_eq!(code, Some(4), "{v} {err}");
    assert!(
        v["errors_by_kind"]["protocol"].as_u64().unwrap() >= 1,
        "{v}"
    );
}

/// One answer in many is enough for 0.
#[test]
fn a_run_with_one_good_answer_exits_0() {
    let server = Hostile::start("127.0.0.1", |_, n| {
        if n == 0 {
            Reply::json(r#"{"cursor": 1, "events": [{"seq": 1}]}"#)
        } else {
            Reply::http(503, &[], b"")
        }
    });
    let (code, v, err) = watch_json(&server.url("/events"));
    assert_eq!(code, Some(0), "{v} {err}");
    assert_eq!(v["exit_code"], 0, "{v}");
    let seen = server.seen();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(
        seen[1].head().contains("cursor=1"),
        "the cursor was carried: {seen:?}"
    );
    assert!(
        seen[0]
            .header("user-agent")
            .unwrap()
            .starts_with("pollscope/")
    );
    assert_eq!((seen[0].connection, seen[0].body.len()), (1, 0));
}

#[test]
fn an_unreachable_server_exits_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let (code, _out, err) = run({
        let mut c = bin(dir.path());
        c.args([
            "watch",
            &format!("http://127.0.0.1:{port}/events"),
            "--duration",
            "5s",
        ]);
        c
    });
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("cannot reach"), "{err}");
}

#[test]
fn help_lists_every_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _err) = run({
        let mut c = bin(dir.path());
        c.arg("--help");
        c
    });
    assert_eq!(code, Some(0));
    for e in pollscope::exit::Exit::ALL {
        assert!(
            out.contains(&format!("  {:<3} {}", e.code(), e.meaning())),
            "{e:?} missing from --help:\n{out}"
        );
    }
}
