//! The inspector through `egui_kittest`, no display, against the real demo server over
//! loopback: clicking a feed row (a failed poll or an event) opens its detail beside
//! the Connections panel and pauses the live feed; the detail shows the request as
//! sent with the secret masked, the status, headers and body of the answer, the timing
//! waterfall and the connection the poll used. Closing resumes the feed.

mod ui_common;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use pollscope::demo_server::{DemoServer, DemoServerConfig, Fault, FaultPlan};
use pollscope::monitor::{FeedKind, Monitor};
use pollscope::profile::{HeaderSpec, Profile};
use pollscope::ui::EntryView;
use ui_common::{App, app_with_profiles, connect, first_monitor, wait_until};

const TOKEN: &str = "inspector-s3cret-t0ken";

/// The app with one profile (an `Authorization` header holding [`TOKEN`]) against
/// `server`, connected.
fn connected(dir: &std::path::Path, server: &DemoServer, hold_s: u32) -> App {
    let mut profile = Profile::for_demo("Inspect", &server.events_url());
    profile.hold_s = hold_s;
    profile
        .headers
        .push(HeaderSpec::new("Authorization", &format!("Bearer {TOKEN}")));
    let mut h = app_with_profiles(dir, vec![profile]);
    connect(&mut h);
    h
}

fn monitor(h: &App) -> &Monitor {
    first_monitor(h).expect("connected")
}

fn view(h: &App) -> &EntryView {
    let id = h.state().workspace().entries()[0].id;
    h.state().view(id).expect("drawn")
}

/// Wait for a feed item of `kind` whose answer was recorded, click its row (while the
/// feed is live: new rows may push it down meanwhile), and return the id selected.
fn click_row_of(h: &mut App, kind: FeedKind) -> u64 {
    // Connect runs on a starter thread: until it is done there is no monitor yet.
    wait_until(h, "a feed row of the kind", |h| {
        first_monitor(h).is_some_and(|m| {
            m.feed()
                .newest_first()
                .any(|i| i.kind == kind && i.response.is_some())
        })
    });
    h.step();
    let text = monitor(h)
        .feed()
        .newest_first()
        .find(|i| i.kind == kind && i.response.is_some())
        .expect("the item")
        .row_text(80)
        .to_owned();
    // By accesskit: egui's pointer hit test in a harness frame does not see the
    // previous frame's rows when new ones arrived in between.
    h.query_all_by_role_and_label(Role::Row, &text)
        .next()
        .expect("its row is drawn")
        .click_accesskit();
    h.run_ok();
    let id = view(h).feed.selected.expect("clicking a row selects it");
    let item = monitor(h).feed().get(id).expect("the selected item");
    assert_eq!((item.kind, item.row_text(80)), (kind, text.as_str()));
    id
}

/// The texts on screen (a widget's label, or a label's text) that contain `text`.
fn texts_containing(h: &App, text: &str) -> Vec<String> {
    h.query_all_by(|n| {
        n.label()
            .or_else(|| n.value())
            .is_some_and(|t| t.contains(text))
    })
    .filter_map(|n| {
        let a = n.accesskit_node();
        a.label().or_else(|| a.value())
    })
    .collect()
}

/// `text` is on screen exactly as written (a label or a label's whole text).
fn shown(h: &App, text: &str) -> bool {
    texts_containing(h, text).iter().any(|t| t == text)
}

#[test]
fn a_failed_poll_shows_request_answer_timing_and_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = DemoServer::start(DemoServerConfig::default()).expect("demo server");
    server
        .set_faults(FaultPlan::always(Fault::Status { code: 503 }))
        .expect("fault plan");
    let mut h = connected(dir.path(), &server, 0);
    let id = click_row_of(&mut h, FeedKind::Failure);

    // Selected and paused, and the Connections panel is still there.
    let newest = monitor(&h).feed().newest_id();
    assert_eq!(view(&h).feed.selected, Some(id));
    let paused = view(&h)
        .feed
        .paused_at
        .expect("clicking a row pauses the feed");
    assert!(paused >= id && paused <= newest, "{paused} {id} {newest}");
    assert!(
        !texts_containing(&h, "Lost events").is_empty(),
        "the Connections panel stays beside the inspector"
    );

    // The status with its reason, and the error answer's body and headers.
    assert!(!texts_containing(&h, "HTTP 503 Service Unavailable").is_empty());
    let body = texts_containing(&h, "injected fault");
    assert!(
        body.iter()
            .any(|b| b.starts_with("503 Service Unavailable")),
        "the answer's body: {body:?}"
    );
    assert!(
        !texts_containing(&h, "content-type").is_empty(),
        "a response header"
    );

    // The request as sent: the path and the header, its secret masked.
    let request = texts_containing(&h, "GET /events");
    assert!(
        request
            .iter()
            .any(|r| r.to_ascii_lowercase().contains("\nauthorization: •••")),
        "{request:?}"
    );
    assert!(
        texts_containing(&h, TOKEN).is_empty(),
        "the token is nowhere on screen"
    );

    // The timing waterfall: the phases the poll went through (a connect only on a new
    // connection), and the connection it used, with whether it was new.
    let conn = monitor(&h).feed().get(id).and_then(|i| i.response.clone());
    let conn = conn.expect("a failed poll's answer").connection;
    for phase in ["send", "waiting", "total"] {
        assert!(shown(&h, phase), "phase {phase}");
    }
    assert_eq!(shown(&h, "connect"), !conn.reused, "{conn:?}");
    let number = conn.id.expect("a connection");
    assert!(shown(&h, &format!("connection #{number}")), "{conn:?}");
    assert!(shown(&h, if conn.reused { "reused" } else { "new" }));

    // Closing resumes the feed.
    h.get_by_role_and_label(Role::Button, "Close").click();
    h.run_ok();
    assert_eq!(view(&h).feed.selected, None);
    assert_eq!(view(&h).feed.paused_at, None, "closing resumes");
    assert!(!shown(&h, "Timing"), "the inspector is closed");
}

#[test]
fn an_event_shows_its_payload_pretty_and_the_hold_as_waiting() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Two events a second: the clicked row stays in view while the feed is live.
    let server = DemoServer::start(DemoServerConfig {
        rate_per_s: 2.0,
        ..DemoServerConfig::default()
    })
    .expect("demo server");
    let mut h = connected(dir.path(), &server, 5);
    let id = click_row_of(&mut h, FeedKind::Event);
    assert_eq!(view(&h).feed.selected, Some(id));
    assert!(view(&h).feed.paused_at.is_some(), "paused");

    let item = monitor(&h).feed().get(id).expect("the item");
    let (pretty, text) = (item.pretty().to_owned(), item.row_text(80).to_owned());
    let info = item.response.clone().expect("an answer");
    // The payload pretty-printed (one line per field), not the one-line row text.
    assert!(pretty.contains('\n'), "{pretty}");
    assert!(shown(&h, &pretty), "the pretty payload is shown");
    assert!(!texts_containing(&h, "HTTP 200 OK").is_empty());
    assert!(!texts_containing(&h, "event(s) in the answer").is_empty());
    assert!(
        h.query_all_by_role_and_label(Role::Label, "waiting")
            .count()
            >= 1,
        "the waiting phase"
    );
    let conn = info.connection.id.expect("a connection");
    assert!(
        !texts_containing(&h, &format!("connection #{conn}")).is_empty(),
        "connection #{conn}"
    );
    let how = if info.connection.reused {
        "reused"
    } else {
        "new"
    };
    assert!(shown(&h, how), "{how}");

    // Arrow down: the next (older) row of the paused feed, in the inspector.
    let rows: Vec<u64> = monitor(&h)
        .feed()
        .newest_first()
        .filter(|i| i.id <= view(&h).feed.paused_at.unwrap_or(u64::MAX))
        .map(|i| i.id)
        .collect();
    let at = rows
        .iter()
        .position(|r| *r == id)
        .expect("the row is shown");
    h.key_press(egui::Key::ArrowDown);
    h.run_ok();
    let below = rows.get(at + 1).copied().unwrap_or(id);
    assert_eq!(view(&h).feed.selected, Some(below), "arrow down");
    h.key_press(egui::Key::ArrowUp);
    h.run_ok();
    assert_eq!(view(&h).feed.selected, Some(id), "arrow up");

    // Copy → Payload: the status bar says it was copied.
    h.get_by_role_and_label(Role::Button, "Copy").click();
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Payload").click();
    h.run_ok();
    assert!(shown(&h, "Payload copied"), "copied feedback");

    // Clicking the selected row again closes the inspector and resumes the feed.
    h.get_by_role_and_label(Role::Row, &text).click();
    h.run_ok();
    assert_eq!(
        (view(&h).feed.selected, view(&h).feed.paused_at),
        (None, None)
    );
}
