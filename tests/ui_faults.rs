//! Fault visibility through egui_kittest, no display: a profile whose server refuses
//! connections shows a stalled badge with the message and its kind, red feed
//! rows naming the error kind, and the Connections panel counts the errors by kind.

mod ui_common;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use pollscope::profile::Profile;
use ui_common::{app, has_label_containing, save_profiles, wait_until};

#[test]
fn a_refused_connection_is_visible_everywhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    save_profiles(
        dir.path(),
        vec![Profile::for_demo(
            "Refused",
            &format!("http://127.0.0.1:{port}/events"),
        )],
    );
    let mut h = app(dir.path());
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Connect").click();
    h.run_ok();
    wait_until(&mut h, "two failed polls", |h| {
        h.state().workspace().entries()[0]
            .monitor
            .as_ref()
            .is_some_and(|m| m.stats().errors() >= 2)
    });
    h.run_ok();
    // Badge and its message, with the kind: the only poller keeps failing.
    assert!(has_label_containing(&h, "stalled"), "badge");
    assert!(
        has_label_containing(&h, "[connect_refused]"),
        "message with kind"
    );
    // The Connections panel counts errors by kind.
    assert!(has_label_containing(&h, "errors: connect_refused"));
    assert!(has_label_containing(&h, "Lost events"));
}
