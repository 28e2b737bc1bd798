//! Error messages that say what happened: a head too large, a chunk-size line that never
//! ends, a timeout the user set, a TLS failure on the command line.

use std::time::{Duration, Instant};

use super::server::{Hostile, Reply};
use super::{bin, run};

fn watch(url: &str, extra: &[&str]) -> (Option<i32>, String, String, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (code, out, err) = run({
        let mut c = bin(dir.path());
        c.args(["watch", url, "--duration", "3s"]).args(extra);
        c
    });
    (code, out, err, started.elapsed())
}

/// A 20 KiB response head: used to read "Peer disconnected".
#[test]
fn a_response_head_over_16_kib_says_head_too_large() {
    let server = Hostile::start("127.0.0.1", |_, _| {
        let big = "a".repeat(20 * 1024);
        Reply::raw(format!(
            "HTTP/1.1 200 OK\r\nX-Big: {big}\r\nContent-Length: 2\r\n\r\n{{}}"
        ))
    });
    let (code, out, err, _) = watch(&server.url("/events"), &[]);
    let all = format!("{out}{err}");
    assert_eq!(code, Some(4), "{all}");
    assert!(all.contains("head_too_large"), "{all}");
    assert!(all.contains("head too large"), "{all}");
    assert!(!all.contains("Peer disconnected"), "{all}");
}

/// A chunk-size line of 50 MB without its end: used to read as a 35 s timeout after
/// 0.14 s.
#[test]
fn an_endless_chunk_size_line_is_a_protocol_error_not_a_timeout() {
    let server = Hostile::start("127.0.0.1", |_, _| {
        let mut bytes = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'1', 50 * 1024 * 1024));
        Reply::raw(bytes)
    });
    let (code, out, err, took) = watch(&server.url("/events"), &[]);
    let all = format!("{out}{err}");
    assert_eq!(code, Some(4), "{all}");
    assert!(!all.contains("client timeout"), "not a timeout: {all}");
    assert!(all.contains("protocol"), "{all}");
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// With `--timeout` the message says it was the user's timeout, not "hold + margin".
#[test]
fn the_timeout_message_names_the_timeout_that_was_given() {
    let server = Hostile::start("127.0.0.1", |_, _| {
        std::thread::sleep(Duration::from_secs(3));
        Reply::json("{}")
    });
    let (code, out, err, _) = watch(&server.url("/events"), &["--timeout", "1"]);
    let all = format!("{out}{err}");
    assert_eq!(code, Some(4), "{all}");
    assert!(all.contains("within the client timeout of 1.0 s"), "{all}");
    assert!(!all.contains("+ margin"), "{all}");
}

/// On the command line the TLS advice names flags, not a setting of the window.
#[test]
fn the_tls_hint_on_the_command_line_names_flags() {
    use pollscope::demo_server::{DemoServer, DemoServerConfig, TlsMode};
    let server = DemoServer::start(DemoServerConfig {
        tls: Some(TlsMode::SelfSigned),
        ..DemoServerConfig::default()
    })
    .unwrap();
    let (code, out, err, _) = watch(&server.events_url(), &[]);
    let all = format!("{out}{err}");
    assert_eq!(code, Some(3), "{all}");
    assert!(all.contains("--cacert FILE"), "{all}");
    assert!(all.contains("--insecure"), "{all}");
    assert!(!all.contains("accept invalid certificates"), "{all}");
}
