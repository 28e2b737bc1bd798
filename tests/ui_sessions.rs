//! Session profiles in the app, through `egui_kittest` (no display): the editor's Session
//! section, "Test once" (the bootstrap and one poll run off the UI thread, every request
//! and answer shown, secrets masked), and the Connections panel's session state and
//! restarts — against a scripted login-then-poll server on loopback.

#[path = "support/scripted.rs"]
#[allow(
    dead_code,
    reason = "shared test support: each test binary uses part of it"
)]
mod scripted;
mod ui_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use pollscope::profile::Profile;
use scripted::{Response, Scripted};
use ui_common::{
    app_in_editor, app_with_profiles, connect, first_monitor, has_label_containing, wait_until,
};

const SESSION_SECRET: &str = "sess-s3cr3t";

/// Logs in (`POST /login` → a session id), then answers polls carrying the session
/// with one event each (held 300 ms); `expire` makes the current session unknown (401).
fn server(expire: Arc<AtomicBool>) -> Scripted {
    let logins = Arc::new(AtomicU64::new(0));
    let seq = Arc::new(AtomicU64::new(0));
    Scripted::start(move |r| {
        if r.path() == "/login" {
            let n = logins.fetch_add(1, Ordering::Relaxed) + 1;
            expire.store(false, Ordering::Relaxed);
            return Response::json(&format!(r#"{{"session":"{SESSION_SECRET}-{n}"}}"#));
        }
        let current = format!("{SESSION_SECRET}-{}", logins.load(Ordering::Relaxed));
        if expire.load(Ordering::Relaxed) || r.header("x-session") != Some(current.as_str()) {
            return Response::new(401, "application/json", r#"{"error":"session expired"}"#);
        }
        std::thread::sleep(Duration::from_millis(300));
        let n = seq.fetch_add(1, Ordering::Relaxed) + 1;
        Response::json(&format!(r#"{{"items":[{{"seq":{n}}}]}}"#))
    })
}

fn profile(server: &Scripted) -> Profile {
    serde_json::from_value(serde_json::json!({
        "name": "Chat session",
        "url": server.url("/events"),
        "headers": [{"name": "X-Session", "value": "{{session}}", "secret": true}],
        "hold_param": {"kind": "none"},
        "hold_s": 5,
        "events_pointer": "/items",
        "seq_pointer": "/seq",
        "session": {
            "bootstrap": [{
                "name": "login", "method": "POST", "url": "/login", "body": "{}",
                "extract": [{"var": "session", "pointer": "/session", "secret": true}]
            }],
            "restart_when": [{"status": 401}]
        }
    }))
    .expect("profile JSON")
}

#[test]
fn editor_shows_the_session_and_test_once_shows_each_exchange() {
    let dir = tempfile::tempdir().expect("temp dir");
    let expire = Arc::new(AtomicBool::new(false));
    let server = server(Arc::clone(&expire));
    let mut h = app_in_editor(dir.path(), vec![profile(&server)]);
    assert!(has_label_containing(&h, "Bootstrap steps"));
    assert!(has_label_containing(&h, "step 1 (login)"));
    assert!(has_label_containing(&h, "Session gone when"));
    // A template naming a variable nothing sets is refused inline.
    h.get_by_role_and_label(Role::TextInput, "URL")
        .set_text_value_accesskit(&server.url("/events/{{room}}"));
    h.run_ok();
    assert!(has_label_containing(&h, "{{room}} is not a variable"));
    h.get_by_role_and_label(Role::TextInput, "URL")
        .set_text_value_accesskit(&server.url("/events"));
    h.run_ok();
    assert!(!has_label_containing(&h, "is not a variable"));

    h.get_by_role_and_label(Role::Button, "Test once").click();
    h.run_ok();
    wait_until(&mut h, "the test result", |h| {
        has_label_containing(h, "1 event(s)")
    });
    assert!(has_label_containing(&h, "step 1 (login): POST http://"));
    assert!(has_label_containing(&h, "poll: GET http://"));
    assert!(
        !has_label_containing(&h, SESSION_SECRET),
        "the session id is masked"
    );
    assert!(has_label_containing(&h, "session = •••"));
}

#[test]
fn connections_panel_shows_session_state_and_restarts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let expire = Arc::new(AtomicBool::new(false));
    let server = server(Arc::clone(&expire));
    let mut h = app_with_profiles(dir.path(), vec![profile(&server)]);
    connect(&mut h);
    wait_until(&mut h, "in session 1", |h| {
        has_label_containing(h, "in session 1")
    });
    // The server forgets the session: the poller logs in again by itself.
    expire.store(true, Ordering::Relaxed);
    wait_until(&mut h, "a session restart shown", |h| {
        has_label_containing(h, "in session 2 (1 restart)")
    });
    assert!(has_label_containing(&h, "Session restarts"));
    let stats = first_monitor(&h).expect("monitor").stats().clone();
    assert_eq!(stats.session_restarts(), 1);
    assert!(stats.events() >= 1);
    assert_eq!(stats.lost_events(), 0);
    h.get_by_role_and_label(Role::Button, "Disconnect").click();
    h.run_ok();
}
