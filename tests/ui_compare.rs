//! The Compare tab driven through `egui_kittest`, no display: a short comparison against a
//! demo server on loopback ends in the table and the verdict; an interval under a second
//! runs only after the explicit confirmation, and can be cancelled.

mod ui_common;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use pollscope::profile::Profile;
use ui_common::{app_with_profiles, clipboard, demo_server, has_label_containing, wait_until};

const QUERY_TOKEN: &str = "QTOKEN-7f3a9";

fn open_compare_tab(h: &mut ui_common::App, duration: &str, interval: &str) {
    h.get_by_label("Compare").click();
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, "Duration")
        .set_text_value_accesskit(duration);
    h.get_by_role_and_label(Role::TextInput, "Short-poll interval")
        .set_text_value_accesskit(interval);
    h.run_ok();
}

/// The cells of a line of the CLI's fixed-width table: at least two spaces apart, and
/// no cell holds two spaces in a row.
fn cli_cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The labels in the window, in the order they are drawn, are the CLI table `text`'s:
/// its column titles, then each row's label and cells, with nothing between them.
fn assert_window_table_is(h: &ui_common::App, text: &str) {
    let mut lines = text.lines();
    let titles = cli_cells(lines.next().expect("a title line"));
    let rows: Vec<Vec<String>> = lines.map(cli_cells).collect();
    assert_eq!(titles.len(), 4, "{text}");
    assert!(rows.len() >= 10, "{text}");
    assert!(rows.iter().all(|r| r.len() == titles.len() + 1), "{text}");
    let labels: Vec<String> = h
        .query_all_by(|n| n.role() == Role::Label)
        .filter_map(|n| n.value())
        .collect();
    let start = labels
        .windows(titles.len())
        .position(|w| w == titles.as_slice())
        .unwrap_or_else(|| panic!("the column titles {titles:?} in the window: {labels:?}"));
    let shown = &labels[start + titles.len()..];
    let expected: Vec<String> = rows.concat();
    assert_eq!(
        shown.get(..expected.len()),
        Some(expected.as_slice()),
        "the window's table against the CLI's:\n{text}"
    );
}

#[test]
fn a_short_comparison_ends_in_a_table_and_a_verdict() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = demo_server();
    // A token in the URL (the demo server ignores it): masked in what is shown and
    // copied, unless asked for after a warning.
    let url = format!("{}?access_token={QUERY_TOKEN}", server.events_url());
    let mut h = app_with_profiles(dir.path(), vec![Profile::for_demo("Loopback", &url)]);
    open_compare_tab(&mut h, "3s", "1s");
    let start = h.get_by_role_and_label(Role::Button, "Start");
    assert!(
        !start.accesskit_node().is_disabled(),
        "1 s needs no confirmation"
    );
    start.click();
    h.run_ok();
    // The variants start on a starter thread; the tab is active from the click on.
    assert!(h.state().workspace().entries()[0].compare.is_active());
    wait_until(&mut h, "the progress bar", |h| {
        has_label_containing(h, "Running:")
    });
    assert!(h.query_by_role_and_label(Role::Button, "Cancel").is_some());

    wait_until(&mut h, "the comparison's result", |h| {
        h.state().workspace().entries()[0]
            .compare
            .result()
            .is_some()
    });
    h.run_ok();
    let comparison = h.state().workspace().entries()[0]
        .compare
        .result()
        .expect("result")
        .clone();
    assert_eq!(comparison.results.len(), 4, "every variant ran");
    let long_ka = &comparison.results[0];
    assert!(long_ka.events > 0, "events arrived: {long_ka:?}");
    // The table: a row label, the variants as column heads, and the verdict.
    for row in ["requests sent", "new TCP connections", "delivery delay p50"] {
        assert!(has_label_containing(&h, row), "row {row}");
    }
    assert!(has_label_containing(&h, "short poll, no keep-alive"));
    assert!(
        comparison
            .verdict
            .starts_with("Long polling with keep-alive sent"),
        "{}",
        comparison.verdict
    );
    assert!(
        has_label_containing(&h, &comparison.verdict),
        "the verdict is on screen"
    );
    // The window's table is what `pollscope compare` prints for this comparison, cell
    // for cell: both read Comparison::table, and the GUI rewrites no figure.
    assert_window_table_is(&h, &comparison.text_table());
    assert!(h.query_by_role_and_label(Role::Button, "Export…").is_some());
    assert!(
        h.query_by_role_and_label(Role::Button, "Copy as Markdown")
            .is_some()
    );
    // Copy as Markdown puts the report's table on the clipboard.
    h.get_by_role_and_label(Role::Button, "Copy as Markdown")
        .click();
    h.step();
    let copied =
        h.output().platform_output.commands.iter().any(
            |c| matches!(c, egui::OutputCommand::CopyText(t) if t.contains("| requests sent |")),
        );
    assert!(copied, "markdown copied");
    assert!(!clipboard(&h).concat().contains(QUERY_TOKEN), "masked");

    // With secrets: a warning first, then the URL in clear.
    h.get_by_role_and_label(Role::Button, "Copy with secrets…")
        .click();
    h.run_ok();
    assert!(has_label_containing(
        &h,
        "comparison as Markdown for “Loopback” will hold"
    ));
    h.get_by_role_and_label(Role::Button, "Copy with secrets")
        .click();
    h.step();
    assert!(clipboard(&h).concat().contains(&url), "the URL in clear");
}

#[test]
fn an_interval_under_a_second_needs_confirmation_and_can_be_cancelled() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = demo_server();
    let mut h = app_with_profiles(
        dir.path(),
        vec![Profile::for_demo("Loopback", &server.events_url())],
    );
    open_compare_tab(&mut h, "20s", "200ms");
    assert!(has_label_containing(&h, "Aggressive"), "warning shown");
    assert!(has_label_containing(&h, "confirm to run it anyway"));
    let start = h.get_by_role_and_label(Role::Button, "Start");
    assert!(
        start.accesskit_node().is_disabled(),
        "Start needs the confirmation"
    );
    start.click();
    h.run_ok();
    assert!(!h.state().workspace().entries()[0].compare.is_active());

    h.get_by_role_and_label(Role::Button, "Start anyway")
        .click();
    h.run_ok();
    assert!(h.state().workspace().entries()[0].compare.is_active());
    wait_until(&mut h, "short polls under way", |h| {
        let id = h.state().workspace().entries()[0].id;
        h.state()
            .view(id)
            .is_some_and(|v| v.compare.lanes().iter().any(|l| l.total_requests >= 3))
    });
    h.get_by_role_and_label(Role::Button, "Cancel").click();
    h.run_ok();
    let tab = &h.state().workspace().entries()[0].compare;
    assert!(!tab.is_active(), "cancelled");
    assert!(tab.result().is_none(), "no result from a cancelled run");
    assert!(
        h.query_by_role_and_label(Role::Button, "Start anyway")
            .is_some(),
        "back to the settings"
    );
}
