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

/// Click `menu` in the menu bar, then its `item`.
fn open(h: &mut ui_common::App, menu: &str, item: &str) {
    h.get_by_role_and_label(Role::Button, menu).click();
    h.run_ok();
    h.get_by_label(item).click();
    h.run_ok();
}

/// `text` is on screen as a label's whole text.
fn shows(h: &ui_common::App, text: &str) -> bool {
    h.query_all_by(|n| n.value().as_deref() == Some(text))
        .next()
        .is_some()
}

#[test]
fn help_has_a_glossary_and_an_about_box_and_view_switches_the_theme() {
    // A fresh window for each (the first menu click after a dialog closes is egui's).
    let dir = tempfile::tempdir().expect("temp dir");
    let fresh = || {
        app_with_profiles(
            dir.path(),
            vec![Profile::for_demo("P", "http://127.0.0.1:9/")],
        )
    };

    let mut h = fresh();
    open(&mut h, "Help", "Glossary");
    for word in ["Hold", "Empty answer", "Reuse", "Cursor", "Resync"] {
        assert!(shows(&h, word), "{word} is explained");
    }

    let mut h = fresh();
    open(&mut h, "Help", "About Pollscope");
    assert!(shows(&h, &format!("Version {}", env!("CARGO_PKG_VERSION"))));
    assert!(
        h.query_all_by_label("Source and issues").next().is_some(),
        "a link"
    );

    let mut h = fresh();
    for (item, dark) in [("Light", false), ("Dark", true)] {
        open(&mut h, "View", item);
        assert_eq!(h.ctx.theme() == egui::Theme::Dark, dark, "{item}");
    }
}

#[test]
fn url_messages_wait_for_typing_and_offer_the_missing_scheme() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = app_with_profiles(dir.path(), Vec::new());
    h.get_by_role_and_label(Role::Button, "New").click();
    h.run_ok();
    let bad_url = |h: &ui_common::App| {
        h.query_all_by(|n| {
            n.role() == Role::Label && n.value().is_some_and(|v| v.starts_with("bad URL"))
        })
        .count()
    };
    assert_eq!(bad_url(&h), 0, "no error before anything is typed");
    assert_eq!(
        h.state().workspace().entries()[0].profile.hold_param,
        pollscope::profile::HoldParam::None,
        "a new profile does not assume the demo server's hold parameter"
    );

    h.get_by_role_and_label(Role::TextInput, "URL")
        .set_text_value_accesskit("localhost:8080/poll");
    h.run_ok();
    assert_eq!(bad_url(&h), 1, "typed: the problem is named");
    h.get_by_role_and_label(Role::Button, "Add http://").click();
    h.run_ok();
    assert_eq!(
        h.state().workspace().entries()[0].profile.url,
        "http://localhost:8080/poll"
    );
    assert_eq!(bad_url(&h), 0);
    assert!(h.query_all_by_label("Add http://").next().is_none());
}

#[test]
fn arrow_keys_move_through_the_profiles() {
    let dir = tempfile::tempdir().expect("temp dir");
    let names = ["A", "B", "C"];
    let profiles = names
        .iter()
        .map(|n| Profile::for_demo(n, "http://127.0.0.1:9/"))
        .collect();
    let mut h = app_with_profiles(dir.path(), profiles);
    let selected = |h: &ui_common::App| {
        let id = h.state().selected().expect("a profile is selected");
        h.state()
            .workspace()
            .get(id)
            .map(|e| e.profile.name.clone())
    };
    assert_eq!(selected(&h).as_deref(), Some("A"));
    for (key, name) in [
        (Key::ArrowDown, "B"),
        (Key::ArrowDown, "C"),
        (Key::ArrowDown, "C"),
        (Key::ArrowUp, "B"),
    ] {
        h.key_press(key);
        h.run_ok();
        assert_eq!(selected(&h).as_deref(), Some(name), "{key:?}");
    }
}

#[test]
fn escape_closes_a_menu_and_the_arrows_still_move_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let profiles = ["A", "B"]
        .iter()
        .map(|n| Profile::for_demo(n, "http://127.0.0.1:9/"))
        .collect();
    let mut h = app_with_profiles(dir.path(), profiles);
    let menu_open = |h: &ui_common::App| {
        h.query_all_by_role_and_label(Role::Button, "Export profiles…")
            .next()
            .is_some()
    };
    h.get_all_by_role_and_label(Role::Button, "File")
        .next()
        .expect("the File menu")
        .click();
    h.run_ok();
    assert!(menu_open(&h), "the File menu opened");
    h.key_press(Key::Escape);
    h.run_ok();
    assert!(!menu_open(&h), "Escape closed it");
    // The keyboard is the list's again: no menu swallowed the arrow.
    h.key_press(Key::ArrowDown);
    h.run_ok();
    let id = h.state().selected().expect("a profile is selected");
    assert_eq!(
        h.state()
            .workspace()
            .get(id)
            .map(|e| e.profile.name.as_str()),
        Some("B")
    );
}

#[test]
fn a_presets_placeholder_is_flagged_not_ready_to_connect() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = app_with_profiles(dir.path(), Vec::new());
    h.get_by_role_and_label(Role::Button, "From preset").click();
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "etcd v2 watch")
        .click();
    h.run_ok();
    assert_eq!(
        h.state().workspace().entries()[0].profile.url,
        "http://127.0.0.1:2379/v2/keys/KEY?wait=true"
    );
    assert!(
        shows(&h, "replace KEY in the URL with the key to watch"),
        "the placeholder is named under the URL"
    );
    assert!(!shows(&h, "Ready to connect"));
    assert!(shows(&h, "1 problem to fix before connecting"));

    h.get_by_role_and_label(Role::TextInput, "URL")
        .set_text_value_accesskit("http://127.0.0.1:2379/v2/keys/jobs?wait=true");
    h.run_ok();
    assert!(!shows(&h, "replace KEY in the URL with the key to watch"));
    assert!(shows(&h, "Ready to connect"));
}
