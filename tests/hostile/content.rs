//! Server bytes that try to drive the terminal are shown, not obeyed; nonsense
//! sequence numbers and cursors are named for what they are.

use super::server::{Hostile, Reply};
use super::{bin, run};

/// Bytes a terminal would act on: C0 controls but the newline, DEL, and C1 (as UTF-8).
fn terminal_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| (c.is_control() && *c != '\n') || ('\u{80}'..='\u{9f}').contains(c))
        .collect()
}

#[test]
fn control_characters_from_the_server_are_escaped_in_every_line() {
    let server = Hostile::start("127.0.0.1", |_, n| match n % 4 {
        // A cursor with CR and BS (decoded from the JSON string), an event with an OSC
        // title sequence and a CSI introducer.
        0 => Reply::json(
            r#"{"cursor": "5\r\b\bevil", "events": [{"seq": 1, "t": "\u001b]0;pwned\u0007\u009b2J"}]}"#,
        ),
        // Not JSON: a text body that clears the screen.
        1 => Reply::http(200, &[], b"\x1b]0;pwned-title\x07\x1b[2Jtext body\r\x08"),
        // An error whose excerpt carries the same.
        2 => Reply::http(500, &[], b"\x1b[2J\x1b]0;pwned-error\x07 internal"),
        _ => Reply::json(r#"{"cursor": 9, "events": []}"#),
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run({
        let mut c = bin(dir.path());
        c.args(["watch", &server.url("/events"), "--duration", "3s"])
            .env("RUST_LOG", "trace");
        c
    });
    assert_eq!(code, Some(0), "{err}");
    for (name, text) in [("stdout", &out), ("stderr", &err)] {
        let found = terminal_controls(text);
        assert!(
            found.is_empty(),
            "{name} has raw controls {found:?}:\n{text}"
        );
    }
    let all = format!("{out}{err}");
    assert!(
        all.contains("\\x1b]0;pwned-title\\x07"),
        "text body shown escaped:\n{all}"
    );
    assert!(
        all.contains("\\x1b[2J"),
        "error excerpt shown escaped:\n{all}"
    );
    assert!(
        all.contains("5\\r\\x08\\x08evil"),
        "cursor shown escaped:\n{all}"
    );
}
