//! Data in and out of the app through `egui_kittest`, no display: profiles exported
//! without their secrets and imported back, a connected profile's event log (JSON Lines)
//! and statistics written to a folder. Every file is written by a background job; the
//! tests wait for the file and the notice, bounded in time.

mod ui_common;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use pollscope::profile::{HeaderSpec, Profile};
use ui_common::{
    App, app_with_profiles, clipboard, connect, demo_server, first_monitor, has_label_containing,
    wait_until,
};

const TOKEN: &str = "tok-SECRET-4242";
const URL_TOKEN: &str = "SECRETTOKENXYZ";

/// Open a menu in the menu bar (the first button with that label: the tabs come later).
fn open_menu(h: &mut App, menu: &str) {
    h.get_all_by_role_and_label(Role::Button, menu)
        .next()
        .expect("menu button")
        .click();
    h.run_ok();
}

/// The app on `dir` with the secret profile saved, its Export profiles dialog open.
fn export_profiles_dialog(dir: &std::path::Path) -> App {
    let mut h = app_with_profiles(dir, vec![secret_profile()]);
    open_menu(&mut h, "File");
    h.get_by_role_and_label(Role::Button, "Export profiles…")
        .click();
    h.run_ok();
    h
}

/// The folders the notices offer to open.
fn offered_folders(h: &App) -> Vec<std::path::PathBuf> {
    h.state()
        .workspace()
        .notices()
        .iter()
        .filter_map(|n| n.open.clone())
        .collect()
}

fn secret_profile() -> Profile {
    let mut p = Profile::for_demo(
        "Secret API",
        &format!("https://api.example.org/bot123456:{URL_TOKEN}/getUpdates"),
    );
    let mut auth = HeaderSpec::new("Authorization", &format!("Bearer {TOKEN}"));
    auth.secret = true;
    p.headers.push(auth);
    p
}

#[test]
fn profiles_export_without_secrets_and_import_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = export_profiles_dialog(dir.path());
    // The default path is a timestamped file under the export folder.
    assert!(has_label_containing(&h, "Export profiles"));
    let exports = dir.path().join("exports");
    let suggested = h
        .query_all_by(|n| {
            n.value().is_some_and(|v| {
                v.contains("pollscope-profiles-")
                    && std::path::Path::new(&v)
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            })
        })
        .count();
    assert!(suggested >= 1, "a default path is suggested");
    // Ticking "include secrets" warns; it is off again for this export.
    let secrets = "Include secrets (tokens, passwords, API keys)";
    h.get_by_label(secrets).click();
    h.run_ok();
    assert!(has_label_containing(&h, "clear text"), "warned");
    h.get_by_label(secrets).click();
    h.run_ok();
    assert!(!has_label_containing(&h, "clear text"));
    let file = exports.join("out.json");
    h.get_by_role_and_label(Role::TextInput, "File (JSON)")
        .set_text_value_accesskit(&file.display().to_string());
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Export").click();
    h.run_ok();
    wait_until(&mut h, "the export notice", |h| {
        has_label_containing(h, "Exported 1 profile(s)")
    });
    // The notice offers the folder it went to (not clicked: it would start the file
    // manager of whoever runs the tests).
    assert_eq!(
        h.query_all_by_role_and_label(Role::Button, "Open folder")
            .count(),
        1
    );
    assert_eq!(
        offered_folders(&h),
        vec![exports.clone()],
        "the folder of the file"
    );
    let text = std::fs::read_to_string(&file).expect("exported file");
    assert!(!text.contains(TOKEN), "header secret exported: {text}");
    assert!(!text.contains(URL_TOKEN), "URL token exported: {text}");
    assert!(text.contains("Secret API"));
    assert!(
        !has_label_containing(&h, TOKEN),
        "no notice shows the secret"
    );

    // Import it back: a second profile, renamed, with its secret to fill in.
    open_menu(&mut h, "File");
    h.get_by_role_and_label(Role::Button, "Import profiles…")
        .click();
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, "Profiles file (JSON, as exported)")
        .set_text_value_accesskit(&file.display().to_string());
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Import").click();
    h.run_ok();
    wait_until(&mut h, "the imported profile", |h| {
        h.state().workspace().entries().len() == 2
    });
    h.run_ok();
    let ws = h.state().workspace();
    let imported = &ws.entries()[1].profile;
    assert_eq!(imported.name, "Secret API (2)");
    let auth = imported
        .headers
        .iter()
        .find(|h| h.name == "Authorization")
        .expect("the header came back");
    assert!(auth.secret && auth.value.is_empty(), "{auth:?}");
    assert_eq!(h.state().selected(), Some(ws.entries()[1].id), "selected");
    assert!(has_label_containing(&h, "Imported 1 profile(s)"));
    assert!(has_label_containing(&h, "fill them in"));

    // A file that is not a profiles file is refused with its path.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ nope").expect("write");
    open_menu(&mut h, "File");
    h.get_by_role_and_label(Role::Button, "Import profiles…")
        .click();
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, "Profiles file (JSON, as exported)")
        .set_text_value_accesskit(&bad.display().to_string());
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Import").click();
    h.run_ok();
    wait_until(&mut h, "the import error", |h| {
        has_label_containing(h, "Importing profiles failed")
    });
    assert!(has_label_containing(&h, "bad.json"));
    assert_eq!(h.state().workspace().entries().len(), 2);
}

#[test]
fn event_log_and_statistics_export_from_a_connected_profile() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = demo_server();
    let mut h = app_with_profiles(
        dir.path(),
        vec![Profile::for_demo("Loopback", &server.events_url())],
    );
    connect(&mut h);
    wait_until(&mut h, "events", |h| {
        first_monitor(h).is_some_and(|m| m.stats().events() >= 5)
    });

    let log_dir = dir.path().join("log");
    open_menu(&mut h, "Profile");
    h.get_by_role_and_label(Role::Button, "Export event log…")
        .click();
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, "Folder (events.jsonl is written into it)")
        .set_text_value_accesskit(&log_dir.display().to_string());
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Export").click();
    h.run_ok();
    wait_until(&mut h, "the event log notice", |h| {
        has_label_containing(h, "events.jsonl")
    });
    let text = std::fs::read_to_string(log_dir.join("events.jsonl")).expect("event log");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(lines.len() >= 5, "{} lines", lines.len());
    let seqs: Vec<i64> = lines
        .iter()
        .map(|l| {
            l["payload"]["seq"]
                .as_i64()
                .expect("a demo event has a seq")
        })
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {seqs:?}"
    );
    assert!(lines[0]["received_ms"].as_u64().is_some_and(|t| t > 0));

    let stats_dir = dir.path().join("stats");
    open_menu(&mut h, "Profile");
    h.get_by_role_and_label(Role::Button, "Export statistics…")
        .click();
    h.run_ok();
    h.get_by_role_and_label(
        Role::TextInput,
        "Folder (stats.csv and summary.json are written into it)",
    )
    .set_text_value_accesskit(&stats_dir.display().to_string());
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Export").click();
    h.run_ok();
    wait_until(&mut h, "the statistics notice", |h| {
        has_label_containing(h, "Exported statistics")
    });
    let csv = std::fs::read_to_string(stats_dir.join("stats.csv")).expect("stats.csv");
    assert!(csv.starts_with("second,polls,events"), "{csv}");
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(stats_dir.join("summary.json")).expect("summary.json"),
    )
    .expect("summary is JSON");
    assert!(summary["events"].as_u64().is_some_and(|n| n >= 5));
}

#[test]
fn copy_as_curl_masks_secrets_unless_asked_for_after_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = app_with_profiles(dir.path(), vec![secret_profile()]);
    open_menu(&mut h, "Profile");
    h.get_by_role_and_label(Role::Button, "Copy as curl")
        .click();
    h.step();
    let masked = clipboard(&h);
    assert_eq!(masked.len(), 1, "{masked:?}");
    assert!(masked[0].contains("Authorization"), "{}", masked[0]);
    assert!(
        !masked[0].contains(TOKEN) && !masked[0].contains(URL_TOKEN),
        "{}",
        masked[0]
    );
    h.run_ok();
    assert!(has_label_containing(
        &h,
        "curl command (secrets masked) copied"
    ));

    // With secrets: a warning first; Cancel copies nothing.
    let ask = |h: &mut App| {
        open_menu(h, "Profile");
        h.get_by_role_and_label(Role::Button, "Copy as curl with secrets…")
            .click();
        h.run_ok();
        assert!(has_label_containing(h, "clear text"), "warned first");
        assert!(clipboard(h).is_empty(), "nothing copied before the answer");
    };
    ask(&mut h);
    h.get_by_role_and_label(Role::Button, "Cancel").click();
    h.step();
    assert!(clipboard(&h).is_empty());
    h.run_ok();
    assert!(!has_label_containing(&h, "clear text"), "closed");

    ask(&mut h);
    h.get_by_role_and_label(Role::Button, "Copy with secrets")
        .click();
    h.step();
    let clear = clipboard(&h);
    assert_eq!(clear.len(), 1, "{clear:?}");
    assert!(
        clear[0].contains(&format!("Bearer {TOKEN}")) && clear[0].contains(URL_TOKEN),
        "{}",
        clear[0]
    );
    h.run_ok();
    assert!(has_label_containing(
        &h,
        "curl command (with secrets) copied"
    ));
    assert!(!has_label_containing(&h, "clear text"), "closed");
}

/// Whether the system's picker could really come up here (a session bus for the desktop
/// portal, or zenity): then the test below would wait for a person.
fn a_picker_may_show() -> bool {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("zenity").is_file()))
}

#[test]
fn without_a_system_picker_the_dialog_says_to_type_the_path() {
    if a_picker_may_show() {
        eprintln!("SKIPPED: a desktop portal or zenity is here; a picker would wait for a person");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = export_profiles_dialog(dir.path());
    h.get_by_role_and_label(Role::Button, "Choose folder…")
        .click();
    h.run_ok();
    wait_until(&mut h, "the picker's answer", |h| {
        has_label_containing(h, "No file picker is available here")
    });
    // The dialog is still open, its path as suggested, ready to be typed over.
    assert!(has_label_containing(&h, "Export profiles"));
    let suggested = h
        .query_all_by(|n| n.value().is_some_and(|v| v.contains("pollscope-profiles-")))
        .count();
    assert!(suggested >= 1);
    assert_eq!(
        h.query_all_by_role_and_label(Role::Button, "Choose folder…")
            .count(),
        1,
        "the button is back"
    );
}
