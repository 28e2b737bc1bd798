//! The Alerts tab and the editor's Alerts section, driven through `egui_kittest` with no
//! display, against a real demo server on loopback: a profile whose server stays silent
//! fires its quiet rule (evaluated in the engine's alert pump), which the tab shows now
//! and in its history, the header counts and the profile list colours; an event
//! resolves it and the tab says so; "All profiles" lists every profile's rules. In the
//! editor a rule typed in is added to the profile, and a bad one is refused with the
//! parser's reason. Every wait is bounded.

mod ui_common;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use pollscope::demo_server::{DemoServer, DemoServerConfig};
use pollscope::profile::Profile;
use ui_common::{
    App, app_in_editor, app_with_profiles, connect, first_monitor, has_label_containing, wait_until,
};

/// A silent demo server (no generator: events only when the test publishes).
fn silent_server() -> DemoServer {
    DemoServer::start(DemoServerConfig::default()).expect("demo server")
}

fn profile(name: &str, server: &DemoServer, rules: &[&str]) -> Profile {
    let mut p = Profile::for_demo(name, &server.events_url());
    p.hold_s = 1;
    p.alerts.rules = rules.iter().map(|r| r.parse().expect("rule")).collect();
    // No desktop notifications from a test run on a developer's desktop.
    p.alerts.notify = false;
    p
}

fn firing(h: &App) -> usize {
    first_monitor(h).map_or(0, |m| m.alerts().firing())
}

#[test]
fn the_alerts_tab_shows_a_quiet_rule_firing_then_resolved_and_all_profiles() {
    let server = silent_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = app_with_profiles(
        dir.path(),
        vec![
            profile("Silent", &server, &["quiet>1s", "lost>0"]),
            profile("Other", &server, &["errors>50%/1m"]),
        ],
    );
    connect(&mut h);
    wait_until(&mut h, "the quiet rule to fire", |h| firing(h) == 1);
    wait_until(&mut h, "the header to count it", |h| {
        has_label_containing(h, "1 alert(s) firing")
    });
    assert!(has_label_containing(&h, "no event yet"), "last-event line");

    h.get_by_label("Alerts (1)").click();
    h.run_ok();
    assert!(has_label_containing(&h, "1 firing"));
    // In Now, and in History's firing row.
    assert_eq!(h.query_all_by_label("quiet>1s").count(), 2);
    assert_eq!(h.query_all_by_label("lost>0/5m").count(), 1);
    assert!(has_label_containing(&h, "firing for"));
    assert!(h.query_by_label("FIRING").is_some());
    assert!(has_label_containing(&h, "no event since connecting"));
    assert!(h.query_by_label("RESOLVED").is_none());

    server.publish(serde_json::json!({ "n": 1 }));
    wait_until(&mut h, "the quiet rule to resolve", |h| {
        firing(h) == 0 && has_label_containing(h, "No alert is firing")
    });
    assert!(h.query_by_label("RESOLVED").is_some());
    assert!(has_label_containing(&h, "fired for"));
    wait_until(&mut h, "the last event's age", |h| {
        has_label_containing(h, "last event ")
    });

    // Every profile: the other one's rule too (not connected: not evaluated), each row
    // named by its profile.
    assert!(h.query_by_label("errors>50%/1m").is_none());
    h.get_by_label("All profiles").click();
    h.run_ok();
    assert!(h.query_by_label("errors>50%/1m").is_some());
    assert!(h.query_by_label("not connected").is_some());
    assert!(
        h.query_all_by_label("Silent").count() >= 2,
        "profile column in Now and History"
    );
}

#[test]
fn the_editor_adds_a_rule_and_refuses_a_bad_one() {
    let server = silent_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = app_in_editor(dir.path(), vec![profile("Edited", &server, &[])]);
    let rules = |h: &App| {
        h.state().workspace().entries()[0]
            .profile
            .alerts
            .rules
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    h.get_by_role_and_label(Role::TextInput, "New rule")
        .set_text_value_accesskit("p99>200ms");
    h.run_ok();
    h.get_by_label("Add rule").click();
    h.run_ok();
    assert_eq!(rules(&h), vec!["p99>200ms/1m".to_owned()]);

    h.get_by_role_and_label(Role::TextInput, "New rule")
        .set_text_value_accesskit("quiet<3s");
    h.run_ok();
    h.get_by_label("Add rule").click();
    h.run_ok();
    assert_eq!(rules(&h).len(), 1, "a bad rule is not added");
    assert!(has_label_containing(&h, "quiet takes '>'"));

    h.get_by_label("Remove").click();
    h.run_ok();
    assert!(rules(&h).is_empty());
}
