//! The desktop app driven through its accessibility tree with `egui_kittest`, no display
//! needed: create a profile, see validation, connect to a real demo server on loopback,
//! watch events and connection counters arrive, disconnect, delete.
//!
//! Each test has its own config dir (passed to the app, no environment variables) and
//! its own demo server; every wait is bounded in time.

mod ui_common;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use pollscope::ui::AppSetup;
use ui_common::{App, app, demo_server, first_monitor, has_label_containing, wait_until};

/// The profiles' names, in the list's order.
fn profile_names(h: &App) -> Vec<String> {
    h.state()
        .workspace()
        .entries()
        .iter()
        .map(|e| e.profile.name.clone())
        .collect()
}

/// From preset → From a curl command…, paste `command`, Create profile.
fn import_curl(h: &mut App, command: &str) {
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "From preset").click();
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "From a curl command…")
        .click();
    h.run_ok();
    let field = "Paste a curl command (for example from a browser's Copy as cURL)";
    h.get_by_role_and_label(Role::MultilineTextInput, field)
        .set_text_value_accesskit(command);
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Create profile")
        .click();
    h.run_ok();
}

#[test]
fn create_validate_connect_watch_disconnect_delete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = demo_server();
    let mut h = app(dir.path());
    h.run_ok();
    assert!(has_label_containing(&h, "No profiles yet"));

    // A new profile opens in the editor; with no URL it cannot connect.
    h.get_by_role_and_label(Role::Button, "New").click();
    h.run_ok();
    assert_eq!(h.state().workspace().entries().len(), 1);
    let connect = h.get_by_role_and_label(Role::Button, "Connect");
    assert!(connect.accesskit_node().is_disabled(), "no URL yet");

    // A bad URL is named inline and keeps Connect disabled.
    h.get_by_role_and_label(Role::TextInput, "URL")
        .set_text_value_accesskit("not a url");
    h.run_ok();
    assert!(has_label_containing(&h, "bad URL"), "inline URL error");
    assert!(
        h.get_by_role_and_label(Role::Button, "Connect")
            .accesskit_node()
            .is_disabled()
    );

    // A header line without a colon is refused with a reason.
    h.get_by_role_and_label(Role::TextInput, "Headers")
        .set_text_value_accesskit("no colon here");
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Add header").click();
    h.run_ok();
    assert!(has_label_containing(&h, "expected `Name: value`"));

    // The demo server's URL (the profile's defaults expect another shape; fine).
    h.get_by_role_and_label(Role::TextInput, "URL")
        .set_text_value_accesskit(&server.events_url());
    h.run_ok();
    assert!(!has_label_containing(&h, "bad URL"));
    let connect = h.get_by_role_and_label(Role::Button, "Connect");
    assert!(!connect.accesskit_node().is_disabled(), "valid now");
    connect.click();
    h.run_ok();

    // Events reach the feed (rows show the payload) and the counters move.
    wait_until(&mut h, "events in the feed", |h| {
        first_monitor(h).is_some_and(|m| m.feed().len() >= 3 && m.stats().reused_polls() >= 1)
    });
    h.run_ok();
    assert!(
        has_label_containing(&h, "\"seq\""),
        "a feed row shows an event"
    );
    let monitor = first_monitor(&h).expect("monitor");
    assert!(monitor.metrics().tcp_connects() >= 1);
    assert!(
        has_label_containing(&h, "TCP connects"),
        "connections panel"
    );
    assert!(server.stats().accepted_connections >= 1);

    // Disconnect: the session stops, Connect comes back, the data stays.
    h.get_by_role_and_label(Role::Button, "Disconnect").click();
    h.run_ok();
    assert!(!h.state().workspace().entries()[0].is_live());
    assert!(h.query_by_role_and_label(Role::Button, "Connect").is_some());

    // Delete asks first; cancelling keeps the profile.
    h.get_by_role_and_label(Role::Button, "Delete").click();
    h.run_ok();
    assert!(has_label_containing(&h, "Delete profile?"));
    h.get_by_role_and_label(Role::Button, "Cancel").click();
    h.run_ok();
    assert_eq!(h.state().workspace().entries().len(), 1);
    h.get_by_role_and_label(Role::Button, "Delete").click();
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Delete profile")
        .click();
    h.run_ok();
    assert!(h.state().workspace().entries().is_empty());
    assert!(has_label_containing(&h, "No profiles yet"));
}

#[test]
fn first_run_connects_the_embedded_demo_and_saves_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut setup = AppSetup::load_keeping_secrets_in_the_file(dir.path().to_path_buf());
    setup.restore = false;
    let mut h = ui_common::app_with(setup);
    let ws = h.state().workspace();
    assert_eq!(ws.entries().len(), 1);
    assert_eq!(ws.entries()[0].profile.name, "Demo");
    assert!(ws.entries()[0].profile.builtin_demo);
    assert_eq!(ws.entries()[0].profile.pollers, 2);
    // The demo server and the session start on a starter thread (tests/ui_connect.rs);
    // a frame after the start takes the session in.
    wait_until(&mut h, "the demo session", |h| {
        h.state().workspace().entries()[0].is_live()
    });
    wait_until(&mut h, "demo events", |h| {
        first_monitor(h).is_some_and(|m| m.stats().events() >= 5)
    });
    let file = dir.path().join("profiles.json");
    wait_until(&mut h, "profiles.json", |_| {
        std::fs::read_to_string(&file).is_ok_and(|t| t.contains("\"builtin_demo\": true"))
    });
}

#[test]
fn a_broken_profiles_file_is_set_aside_with_a_notice() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("profiles.json"), "{ not json").expect("write");
    let mut h = app(dir.path());
    h.run_ok();
    assert!(has_label_containing(&h, "could not be read"));
    assert!(
        has_label_containing(&h, "profiles.json.broken-"),
        "says where it went"
    );
    h.get_by_role_and_label(Role::Button, "Dismiss").click();
    h.run_ok();
    assert!(!has_label_containing(&h, "could not be read"));
}

#[test]
fn rename_and_duplicate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = app(dir.path());
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "New").click();
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Duplicate").click();
    h.run_ok();
    assert_eq!(profile_names(&h), ["New profile", "New profile copy"]);

    h.get_by_role_and_label(Role::Button, "Rename").click();
    h.run_ok();
    // Taking an existing name is refused with a reason.
    h.get_by_role_and_label(Role::TextInput, "New name")
        .set_text_value_accesskit("New profile");
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Save name").click();
    h.run_ok();
    assert!(has_label_containing(&h, "exists already"));
    h.get_by_role_and_label(Role::TextInput, "New name")
        .set_text_value_accesskit("Staging");
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Save name").click();
    h.run_ok();
    assert_eq!(profile_names(&h), ["New profile", "Staging"]);
}

#[test]
fn a_curl_command_becomes_a_profile() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = app(dir.path());
    import_curl(
        &mut h,
        "curl 'http://127.0.0.1:9/events?x=1' -H 'X-Api-Key: k-123456'",
    );
    let ws = h.state().workspace();
    assert_eq!(ws.entries().len(), 1);
    let p = &ws.entries()[0].profile;
    assert!(p.url.starts_with("http://127.0.0.1:9/events"), "{}", p.url);
    assert!(p.headers.iter().any(|h| h.name == "X-Api-Key" && h.secret));
    assert_eq!(p.name, "127.0.0.1:9/events", "named with its port");
    // The editor shows it, the secret masked.
    assert!(
        !has_label_containing(&h, "k-123456"),
        "secret shown in clear"
    );
    let exposed = h
        .query_all_by(|n| n.value().is_some_and(|v| v.contains("k-123456")))
        .count();
    assert_eq!(exposed, 0, "secret readable in a field");
    let name_shown = h
        .query_all_by(|n| n.value().is_some_and(|v| v == "X-Api-Key"))
        .count();
    assert!(name_shown >= 1, "the header row is on screen");
}

#[test]
fn a_token_in_the_url_is_masked_until_asked_for() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = app(dir.path());
    import_curl(
        &mut h,
        "curl https://api.example.org/bot123456:SECRETTOKENXYZ/getUpdates",
    );
    let token_visible = |h: &App| {
        h.query_all_by(|n| {
            n.label().is_some_and(|l| l.contains("SECRETTOKENXYZ"))
                || n.value().is_some_and(|v| v.contains("SECRETTOKENXYZ"))
        })
        .count()
            > 0
    };
    assert!(!token_visible(&h), "token shown before asking");
    h.get_by_role_and_label(Role::Button, "Show to edit")
        .click();
    h.run_ok();
    assert!(
        token_visible(&h),
        "shown once asked for, so it can be edited"
    );
}

#[test]
fn the_request_body_field_is_found_by_its_label() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = app(dir.path());
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "New").click();
    h.run_ok();
    assert!(
        h.query_by_role_and_label(Role::MultilineTextInput, "Body")
            .is_none(),
        "no body field until asked for"
    );
    h.get_by_label("Send a request body").click();
    h.run_ok();
    // The field is labelled "Body" for screen readers, so it is found by that name.
    h.get_by_role_and_label(Role::MultilineTextInput, "Body")
        .set_text_value_accesskit("{\"since\": 0}");
    h.run_ok();
    let profile = &h.state().workspace().entries()[0].profile;
    assert_eq!(profile.body.as_deref(), Some("{\"since\": 0}"));
}

/// Issue 14: a profile with certificate checks off wears an "insecure" badge in the
/// list (the other does not), and the editor's Security rows set the redirect policy,
/// secret marks on query parameters and the CA file.
#[test]
fn an_insecure_profile_wears_a_badge_and_the_security_rows_edit_it() {
    use pollscope::profile::{Profile, RedirectPolicy};
    let dir = tempfile::tempdir().expect("temp dir");
    let lab = Profile {
        name: "Lab".to_owned(),
        url: "https://127.0.0.1:9/events?page=1&token=t".to_owned(),
        accept_invalid_certs: true,
        ..Profile::default()
    };
    let prod = Profile {
        name: "Prod".to_owned(),
        url: "http://127.0.0.1:9/events".to_owned(),
        ..Profile::default()
    };
    // The editor, in a window tall enough for its Security section at the bottom.
    let mut h = ui_common::app_in_editor(dir.path(), vec![lab, prod]);
    assert_eq!(h.query_all_by_label("insecure").count(), 1, "one badge");
    h.get_by_role_and_label(Role::ListBoxOption, "Lab").click();
    h.run_ok();
    let lab = |h: &App| {
        h.state()
            .workspace()
            .entries()
            .iter()
            .find(|e| e.profile.name == "Lab")
            .expect("Lab")
            .profile
            .clone()
    };
    assert!(
        h.get_by_role_and_label(Role::CheckBox, "token")
            .accesskit_node()
            .is_disabled(),
        "secret by its name: always ticked"
    );
    h.get_by_role_and_label(Role::CheckBox, "page").click();
    h.run_ok();
    assert_eq!(lab(&h).secret_params, vec!["page".to_owned()]);
    h.get_by_role_and_label(Role::ComboBox, "Follow redirects")
        .click();
    h.run_ok();
    h.get_by_label("Never").click();
    h.run_ok();
    assert_eq!(lab(&h).redirects, RedirectPolicy::Never);
    h.get_by_role_and_label(Role::TextInput, "CA file")
        .set_text_value_accesskit("/etc/ssl/lab-ca.pem");
    h.run_ok();
    assert_eq!(
        lab(&h).ca_file.as_deref(),
        Some(std::path::Path::new("/etc/ssl/lab-ca.pem"))
    );
}
