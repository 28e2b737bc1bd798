//! Fault visibility through `egui_kittest`, no display. A profile whose server refuses
//! connections shows its badge (the model's state, word for word) with the message and
//! its kind, and the Connections panel counts its errors by kind; a profile that misses
//! events (short polls against a demo server keeping only the last two) shows how many
//! it lost. Each figure is read from the value the panel labels with it, and compared
//! with what the model counted in the frame drawn.

mod ui_common;

use std::time::Instant;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use pollscope::demo_server::{DemoServer, DemoServerConfig};
use pollscope::monitor::{Badge, Monitor};
use pollscope::present::units;
use pollscope::profile::Profile;
use pollscope::ui::Status;
use ui_common::{App, app_with_profiles, connect, first_monitor, wait_until};

/// The app with one profile, connected.
fn connected(dir: &std::path::Path, profile: Profile) -> App {
    let mut h = app_with_profiles(dir, vec![profile]);
    connect(&mut h);
    h
}

fn monitor(h: &App) -> &Monitor {
    first_monitor(h).expect("connected")
}

/// The figure the Connections panel shows for `key` (the value labelled by it).
fn figure(h: &App, key: &str) -> Vec<String> {
    h.query_all_by(|n| n.label().as_deref() == Some(key))
        .filter_map(|n| n.value())
        .collect()
}

#[test]
fn a_refused_connection_is_visible_everywhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let refused = Profile::for_demo("Refused", &format!("http://127.0.0.1:{port}/events"));
    let mut h = connected(dir.path(), refused);
    // The only poller keeps failing: the profile stalls.
    wait_until(&mut h, "a stalled badge", |h| {
        matches!(
            h.state().workspace().entries()[0].status(Instant::now()),
            Status::Badge(Badge::Stalled(_))
        )
    });
    // One frame, then the model as that frame drew it (events are taken in by frames).
    h.step();
    let status = h.state().workspace().entries()[0].status(Instant::now());
    let Status::Badge(Badge::Stalled(_)) = &status else {
        panic!("{status:?}");
    };
    // The badge says the state word for word in the header, the profile list and the
    // status bar, and the header says why, with the kind.
    assert_eq!(h.query_all_by_label("stalled").count(), 3, "{status:?}");
    let why = status.message().expect("a stalled badge says why");
    assert!(why.ends_with("[connect_refused]"), "{why}");
    assert_eq!(
        h.query_all_by_role_and_label(Role::Label, why).count(),
        1,
        "the header's message"
    );
    // The Connections panel counts the errors of that kind, as the model does.
    let counted = monitor(&h)
        .stats()
        .errors_by_kind()
        .iter()
        .find(|(kind, _)| kind.name() == "connect_refused")
        .map(|(_, n)| *n)
        .expect("errors of the kind were counted");
    assert!(counted >= 2, "{counted}");
    assert_eq!(
        figure(&h, "errors: connect_refused"),
        [units::count(counted)]
    );
    assert_eq!(figure(&h, "Lost events"), ["0"], "nothing was lost");
}

#[test]
fn lost_events_are_counted_where_they_are_shown() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 20 events a second, the last two kept: a poll every half second misses most.
    let server = DemoServer::start(DemoServerConfig {
        rate_per_s: 20.0,
        history: 2,
        ..DemoServerConfig::default()
    })
    .expect("demo server");
    let mut gappy = Profile::for_demo("Gappy", &server.events_url());
    gappy.interval_s = Some(0.5);
    let mut h = connected(dir.path(), gappy);
    wait_until(&mut h, "lost events", |h| {
        first_monitor(h).is_some_and(|m| m.stats().lost_events() >= 5)
    });
    h.step();
    let lost = monitor(&h).stats().lost_events();
    assert_eq!(figure(&h, "Lost events"), [units::count(lost)]);
}
