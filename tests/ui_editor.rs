//! The editor's safety rails through `egui_kittest`, against the real demo server: an
//! edit that makes a connected profile invalid leaves "Apply (reconnect)" disabled —
//! clicking it keeps the live session (before, it disconnected and left a stale error)
//! — and a valid edit enables it and reconnects.

mod ui_common;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::{NodeT, Queryable};
use pollscope::profile::Profile;
use ui_common::{app_with_profiles, connect, demo_server, first_monitor, wait_until};

#[test]
fn apply_is_disabled_while_the_edit_is_invalid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = demo_server();
    let mut h = app_with_profiles(
        dir.path(),
        vec![Profile::for_demo("Live", &server.events_url())],
    );
    connect(&mut h);
    wait_until(&mut h, "a poll", |h| {
        first_monitor(h).is_some_and(|m| m.stats().polls() >= 1)
    });
    let source = |h: &ui_common::App| first_monitor(h).map(|m| m.source().url.clone());
    assert_eq!(source(&h), Some(server.events_url()));

    // Ctrl+2: the editor. An invalid URL.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, "URL")
        .set_text_value_accesskit("not a url");
    h.run_ok();
    let apply = h.get_by_role_and_label(Role::Button, "Apply (reconnect)");
    assert!(
        apply.accesskit_node().is_disabled(),
        "invalid: Apply is off"
    );
    apply.click();
    h.run_ok();
    assert!(
        h.state().workspace().entries()[0].is_live(),
        "the live session was kept"
    );
    assert_eq!(source(&h), Some(server.events_url()), "not reconnected");

    // A valid URL again (another path on the same server): Apply reconnects.
    let other = format!("{}?from=editor", server.events_url());
    h.get_by_role_and_label(Role::TextInput, "URL")
        .set_text_value_accesskit(&other);
    h.run_ok();
    let apply = h.get_by_role_and_label(Role::Button, "Apply (reconnect)");
    assert!(!apply.accesskit_node().is_disabled(), "valid: Apply is on");
    apply.click();
    h.run_ok();
    wait_until(&mut h, "the new session", |h| {
        source(h).as_deref() == Some(other.as_str())
    });
}
