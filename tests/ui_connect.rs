//! Connecting never blocks the UI thread, driven through `egui_kittest`, no display: the
//! session starts on a starter thread while the window shows "connecting…", and its
//! pollers reach a real demo server on loopback while no frame is drawn at all. A
//! disconnect, delete, second connect or reconnect while connecting leaves exactly the
//! sessions it should: the demo server sees the abandoned session's connections close
//! and its requests stop. Every wait is bounded in time and count.

mod ui_common;

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use pollscope::demo_server::{DemoServer, ServerStats};
use pollscope::monitor::Badge;
use pollscope::profile::Profile;
use pollscope::ui::{EntryId, Status};
use ui_common::{App, WAIT, app_with_profiles, demo_server, first_monitor, wait_until};

/// Pollers of the test profile: each opens one keep-alive connection.
const POLLERS: u32 = 3;

/// The app with one profile of [`POLLERS`] pollers on `server`, holding polls 1 s.
fn app_on(dir: &std::path::Path, server: &DemoServer) -> App {
    let mut profile = Profile::for_demo("Loopback", &server.events_url());
    profile.pollers = POLLERS;
    profile.hold_s = 1;
    app_with_profiles(dir, vec![profile])
}

fn first(h: &App) -> EntryId {
    h.state().workspace().entries()[0].id
}

/// Ctrl+Enter in one frame, as a user presses it: the shortcut is handled before the
/// panels are drawn, so that very frame draws the state the press left.
fn press_ctrl_enter(h: &mut App) {
    let ctrl = egui::Modifiers {
        ctrl: true,
        command: true,
        ..egui::Modifiers::default()
    };
    h.input_mut().events.push(egui::Event::Key {
        key: egui::Key::Enter,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: ctrl,
    });
    h.step();
}

/// Wait, drawing no frame, until the server's figures satisfy `done`.
fn wait_for_server(server: &DemoServer, what: &str, done: impl Fn(&ServerStats) -> bool) {
    let deadline = Instant::now() + WAIT;
    for _ in 0..100_000 {
        if done(&server.stats()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for {what}: {:?}",
            server.stats()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("gave up waiting for {what}");
}

/// The server's requests stop growing: nothing polls it any more (with 1 s holds, a
/// live session asks again at least every second). Draws frames meanwhile, so the app
/// takes in and stops what its starter threads produced.
fn assert_no_session_polls(h: &mut App, server: &DemoServer) {
    wait_until(h, "the abandoned session's connections closed", |_| {
        server.stats().open_connections == 0
    });
    let before = server.stats().requests;
    let quiet = Instant::now() + Duration::from_millis(2500);
    for _ in 0..1000 {
        if Instant::now() >= quiet {
            break;
        }
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        server.stats().requests,
        before,
        "a session still polls: it leaked"
    );
}

#[test]
fn connect_runs_off_the_ui_thread_and_shows_connecting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = demo_server();
    let mut h = app_on(dir.path(), &server);
    press_ctrl_enter(&mut h);
    let entry = &h.state().workspace().entries()[0];
    assert!(entry.is_connecting(), "the press started a connect");
    assert!(!entry.is_live(), "no session was put in place by the press");
    assert_eq!(entry.status(Instant::now()), Status::Connecting);
    assert!(
        h.query_all_by_label("connecting…").count() >= 2,
        "the header and the profile list say connecting…"
    );

    // No frame from here on: the pollers reach the server all the same, so the session
    // was started by another thread, not by a frame.
    wait_for_server(&server, "the pollers' connections", |s| {
        s.accepted_connections >= u64::from(POLLERS)
    });
    assert!(
        h.state().workspace().entries()[0].is_connecting(),
        "a session is taken in only by a frame"
    );

    // The next frames take it in: connecting… resolves into the session's badge.
    wait_until(&mut h, "the session taken in", |h| {
        h.state().workspace().entries()[0].is_live()
    });
    h.step();
    let entry = &h.state().workspace().entries()[0];
    assert!(!entry.is_connecting());
    let status = entry.status(Instant::now());
    assert!(
        matches!(status, Status::Badge(Badge::Holding | Badge::Receiving)),
        "{status:?}"
    );
    assert_eq!(h.query_all_by_label("connecting…").count(), 0);
    assert!(h.query_all_by_label(status.label()).count() >= 2);
    let running = entry
        .monitor
        .as_ref()
        .and_then(|m| m.session())
        .map(pollscope::poll::Session::running_pollers);
    assert_eq!(running, Some(POLLERS as usize));
}

/// Press Ctrl+Enter, then `abandon` (given the profile's id) before any frame could
/// take the session in; the start still runs to its end on its thread, and what it
/// started must be stopped once a frame takes it in. Returns the app for more checks.
fn abandon_while_connecting(abandon: impl FnOnce(&mut App, EntryId)) -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = demo_server();
    let mut h = app_on(dir.path(), &server);
    press_ctrl_enter(&mut h);
    let id = first(&h);
    abandon(&mut h, id);
    assert!(
        h.state()
            .workspace()
            .get(id)
            .is_none_or(|e| !e.is_connecting() && !e.is_live()),
        "no longer connecting"
    );
    wait_for_server(&server, "the abandoned start's pollers", |s| {
        s.accepted_connections >= u64::from(POLLERS)
    });
    assert_no_session_polls(&mut h, &server);
    h
}

#[test]
fn disconnect_while_connecting_stops_the_session_it_started() {
    let h = abandon_while_connecting(|h, id| h.state_mut().workspace_mut().disconnect(id));
    let entry = &h.state().workspace().entries()[0];
    assert!(
        !entry.is_connecting() && !entry.is_live(),
        "never put in place"
    );
    assert_eq!(entry.status(Instant::now()), Status::Badge(Badge::Idle));
}

#[test]
fn delete_while_connecting_stops_the_session_it_started() {
    let h = abandon_while_connecting(|h, id| h.state_mut().workspace_mut().delete(id));
    assert!(h.state().workspace().entries().is_empty());
}

#[test]
fn a_second_connect_or_a_reconnect_while_connecting_leaves_one_session() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = demo_server();
    let mut h = app_on(dir.path(), &server);
    press_ctrl_enter(&mut h);
    let id = first(&h);
    // A second connect while connecting is ignored; a reconnect abandons the first start
    // and makes a second one.
    h.state_mut().workspace_mut().connect(id);
    h.state_mut().workspace_mut().reconnect(id);
    assert!(h.state().workspace().entries()[0].is_connecting());
    wait_until(&mut h, "the second start taken in", |h| {
        h.state().workspace().entries()[0].is_live()
    });
    // Two starts, POLLERS connections each; the first start's are closed again.
    wait_until(&mut h, "one session's connections open", |_| {
        let s = server.stats();
        s.accepted_connections >= 2 * u64::from(POLLERS) && s.open_connections == u64::from(POLLERS)
    });
    assert_eq!(
        server.stats().accepted_connections,
        2 * u64::from(POLLERS),
        "the second connect started nothing"
    );
    let running = first_monitor(&h)
        .and_then(|m| m.session())
        .map(pollscope::poll::Session::running_pollers);
    assert_eq!(running, Some(POLLERS as usize));
}
