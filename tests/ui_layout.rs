//! Every window size, through the UI tree (`egui_kittest`, no display): at 760×480
//! (the app's minimum), 1280×800 and 1920×1080, with a profile connected to the real
//! demo server, no two texts on screen overlap — on the Monitor tab (charts, feed,
//! Connections panel), with the inspector open, on the profile editor and on Compare.
//!
//! A text is a widget the UI tree names (a label, a button, a header, a field…); its
//! place is the part of it egui shows (its rect cut by its clip rect), so rows scrolled
//! out of sight do not count.

mod ui_common;

use std::fmt::Write as _;

use egui::accesskit::{NodeId, Role};
use egui::{Key, Modifiers, Rect};
use egui_kittest::kittest::{NodeT, Queryable};
use pollscope::monitor::FeedKind;
use pollscope::profile::Profile;
use ui_common::{App, app_sized, demo_server, first_monitor, save_profiles, wait_until};

/// The sizes the issue names: the app's minimum, a laptop, a desktop.
const SIZES: [[f32; 2]; 3] = [[760.0, 480.0], [1280.0, 800.0], [1920.0, 1080.0]];

/// Widgets that only hold others (a feed row, a profile in the list: their texts are
/// checked one by one), or draw no text of their own.
fn is_text(role: Role) -> bool {
    !matches!(
        role,
        Role::GenericContainer
            | Role::Pane
            | Role::Window
            | Role::Row
            | Role::ListBoxOption
            | Role::Splitter
            | Role::ScrollBar
            | Role::TextRun
            | Role::Image
            | Role::Canvas
            | Role::Unknown
    )
}

/// One text on screen: what it says and where egui shows it.
struct Shown {
    text: String,
    rect: Rect,
    id: NodeId,
}

/// The texts of the last frame, each where it is visible (clipped), with a name.
fn texts(h: &App) -> Vec<Shown> {
    // Where egui placed each widget in the last pass, cut by its clip rect, by the id
    // the UI tree gives it.
    let placed: std::collections::HashMap<NodeId, (Rect, bool)> = h.ctx.viewport(|v| {
        v.prev_pass
            .widgets
            .layers()
            .flat_map(|(_, widgets)| widgets.iter())
            .map(|w| (w.id.accesskit_id(), (w.interact_rect, w.visible)))
            .collect()
    });
    h.query_all_by(|n| is_text(n.role()))
        .filter_map(|n| {
            let node = n.accesskit_node();
            let text = node
                .label()
                .or_else(|| node.value())
                .filter(|t| !t.trim().is_empty())?;
            let (id, _) = node.locate();
            let &(rect, visible) = placed.get(&id)?;
            (visible && rect.width() > 0.5 && rect.height() > 0.5).then_some(Shown {
                text,
                rect,
                id,
            })
        })
        .collect()
}

/// Pairs of texts that overlap by more than half a point both ways.
fn overlaps(h: &App) -> Vec<String> {
    let shown = texts(h);
    let mut found = Vec::new();
    for (i, a) in shown.iter().enumerate() {
        for b in &shown[i + 1..] {
            let both = a.rect.intersect(b.rect);
            if a.id != b.id && both.width() > 0.5 && both.height() > 0.5 {
                let mut line = String::new();
                let _ = write!(
                    line,
                    "{:?} at {:?} overlaps {:?} at {:?}",
                    short(&a.text),
                    a.rect,
                    short(&b.text),
                    b.rect
                );
                found.push(line);
            }
        }
    }
    found
}

fn short(text: &str) -> String {
    text.chars().take(50).collect()
}

/// The app at `size` with the demo profile connected and events in the feed.
fn connected_at(dir: &std::path::Path, url: &str, size: [f32; 2]) -> App {
    save_profiles(dir, vec![Profile::for_demo("Demo", url)]);
    let mut h = app_sized(dir, size);
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Connect").click();
    h.run_ok();
    wait_until(&mut h, "a few polls and events", |h| {
        first_monitor(h).is_some_and(|m| {
            m.stats().polls() >= 3
                && m.feed()
                    .newest_first()
                    .filter(|i| i.kind == FeedKind::Event)
                    .count()
                    >= 5
        })
    });
    h.run_ok();
    h
}

/// Check one screen; returns what overlapped, named by screen and size.
fn check(h: &App, screen: &str, size: [f32; 2], problems: &mut Vec<String>) {
    let found = overlaps(h);
    let n = texts(h).len();
    assert!(n >= 8, "{screen} at {size:?}: only {n} texts found");
    problems.extend(
        found
            .into_iter()
            .map(|o| format!("{screen} at {}×{}: {o}", size[0], size[1])),
    );
}

#[test]
fn no_two_texts_overlap_at_any_size() {
    let server = demo_server();
    let mut problems = Vec::new();
    for size in SIZES {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut h = connected_at(dir.path(), &server.events_url(), size);
        check(&h, "Monitor", size, &mut problems);

        // The inspector, on the newest event of the paused feed (a live feed may push
        // the row out of view before the click lands, on a loaded machine).
        h.key_press_modifiers(Modifiers::COMMAND, Key::P);
        h.run_ok();
        let id = h.state().workspace().entries()[0].id;
        let paused = h.state().view(id).and_then(|v| v.feed.paused_at);
        let paused = paused.expect("Ctrl+P paused the feed");
        let text = first_monitor(&h)
            .and_then(|m| {
                m.feed()
                    .newest_first()
                    .find(|i| i.kind == FeedKind::Event && i.id <= paused)
            })
            .map(|i| i.row_text(80).to_owned())
            .expect("an event");
        h.query_all_by_role_and_label(Role::Row, &text)
            .next()
            .expect("its row")
            .click_accesskit();
        h.run_ok();
        assert!(
            h.query_all_by_role_and_label(Role::DisclosureTriangle, "Timing")
                .next()
                .is_some(),
            "the inspector is open at {size:?}"
        );
        check(&h, "Inspector", size, &mut problems);

        h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
        h.run_ok();
        check(&h, "Profile editor", size, &mut problems);

        h.key_press_modifiers(Modifiers::COMMAND, Key::Num3);
        h.run_ok();
        check(&h, "Compare", size, &mut problems);
    }
    assert!(
        problems.is_empty(),
        "{} overlaps:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
