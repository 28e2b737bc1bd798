//! Helpers the UI test files share: an app on its own config dir (with profiles written
//! before it starts), connecting the first profile, its monitor, bounded waits, and
//! label queries.

#![allow(dead_code, reason = "each test file uses some of the helpers")]

use std::path::Path;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pollscope::demo_server::{DemoServer, DemoServerConfig};
use pollscope::keyring::{Keyring, Policy};
use pollscope::monitor::Monitor;
use pollscope::profile::Profile;
use pollscope::profile_store::ProfileStore;
use pollscope::ui::{AppSetup, PollscopeApp};

/// The longest any wait in a UI test may take.
pub const WAIT: Duration = Duration::from_secs(30);

pub type App = Harness<'static, PollscopeApp>;

/// The app on `dir` (no first-run demo, nothing restored), exports suggested under
/// `dir/exports`.
pub fn app(dir: &Path) -> App {
    app_sized(dir, [1280.0, 800.0])
}

/// [`app`] in a window of `size` points.
pub fn app_sized(dir: &Path, size: [f32; 2]) -> App {
    let mut setup = AppSetup::load_keeping_secrets_in_the_file(dir.to_path_buf());
    setup.first_run_demo = false;
    setup.restore = false;
    setup.export_base = dir.join("exports");
    Harness::builder()
        .with_size(size)
        .with_max_steps(20)
        .build_eframe(move |cc| PollscopeApp::new(cc, setup))
}

/// The app as `setup` says, in a 1280×800 window.
pub fn app_with(setup: AppSetup) -> App {
    Harness::builder()
        .with_size([1280.0, 800.0])
        .with_max_steps(20)
        .build_eframe(move |cc| PollscopeApp::new(cc, setup))
}

/// [`app`] on `dir` with `profiles` saved there first, its first frames drawn.
pub fn app_with_profiles(dir: &Path, profiles: Vec<Profile>) -> App {
    save_profiles(dir, profiles);
    let mut h = app(dir);
    h.run_ok();
    h
}

/// [`app_with_profiles`] in a window tall enough for the whole profile editor (its
/// last sections are below the fold of 800 px), on the editor's tab.
pub fn app_in_editor(dir: &Path, profiles: Vec<Profile>) -> App {
    save_profiles(dir, profiles);
    let mut h = app_sized(dir, [1280.0, 2600.0]);
    h.run_ok();
    h.get_all_by_role_and_label(Role::Button, "Profile")
        .last()
        .expect("Profile tab")
        .click();
    h.run_ok();
    h
}

/// Click Connect (the selected profile's) and draw the frames that follow.
pub fn connect(h: &mut App) {
    h.get_by_role_and_label(Role::Button, "Connect").click();
    h.run_ok();
}

/// The first profile's monitor, once it is connected.
pub fn first_monitor(h: &App) -> Option<&Monitor> {
    h.state().workspace().entries()[0].monitor.as_ref()
}

/// Write `profiles` to `dir`'s profiles file before the app opens it.
pub fn save_profiles(dir: &Path, profiles: Vec<Profile>) {
    let mut store =
        ProfileStore::open_with(dir, Keyring::session(), Policy::File).expect("open the store");
    store.profiles = profiles;
    store.save().expect("save the store");
}

/// A demo server publishing 20 events a second.
pub fn demo_server() -> DemoServer {
    DemoServer::start(DemoServerConfig {
        rate_per_s: 20.0,
        ..DemoServerConfig::default()
    })
    .expect("demo server")
}

/// Step frames until `done` holds; fails after [`WAIT`] (or 10,000 frames) naming
/// `what`.
pub fn wait_until(h: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + WAIT;
    for _ in 0..10_000 {
        h.step();
        if done(h) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("gave up waiting for {what} after 10,000 frames");
}

pub fn has_label_containing(h: &App, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// What the last frame put on the clipboard.
pub fn clipboard(h: &App) -> Vec<String> {
    h.output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}
