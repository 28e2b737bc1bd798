//! The live feed panel: newest first, one line per event or failure (time, poller,
//! status, size, payload coloured as JSON), a filter, pause/resume, and the count of
//! dropped older items. Clicking a row selects it for the inspector and pauses the live
//! feed (closing the inspector resumes it).
//!
//! Only visible rows are laid out (`ScrollArea::show_rows`) and rows show a cut of the
//! payload; the detail (in [`crate::ui::panels::detail`]) pretty-prints the body once.

use egui::{Color32, RichText, TextStyle, Ui};

use crate::monitor::{Feed, FeedItem, FeedKind, Monitor};
use crate::present::units;
use crate::ui::view::feed::FeedView;
use crate::ui::widgets::format;
use crate::ui::widgets::json_color::{Palette, json_job};
use crate::ui::widgets::theme;

/// Characters of payload drawn in a row.
const ROW_CHARS: usize = 400;
/// Id of the filter box, so Ctrl+F can focus it.
pub const FILTER_ID: &str = "feed-filter";

/// The toolbar and the rows. Scrolling down pauses the feed (so rows do not move
/// under the reader); resuming scrolls back to the newest.
pub fn feed_ui(ui: &mut Ui, monitor: &Monitor, view: &mut FeedView) {
    let feed = monitor.feed();
    let resumed = toolbar_ui(ui, feed, view) | std::mem::take(&mut view.to_newest);
    ui.separator();
    // The rows scroll sideways when the panel is narrower than a row needs; the
    // header follows them (last frame's offset).
    let scroll_id = ui.make_persistent_id("feed-rows");
    let offset_x =
        egui::scroll_area::State::load(ui.ctx(), scroll_id).map_or(0.0, |s| s.clamped_offset().x);
    header_ui(ui, offset_x);
    let row_height = ui
        .text_style_height(&TextStyle::Monospace)
        .max(ui.text_style_height(&TextStyle::Body))
        + 4.0;
    let selected = view.selected;
    let paused = view.paused_at.is_some();
    let reveal = std::mem::take(&mut view.reveal);
    let rows = view.rows(feed);
    if rows.is_empty() {
        empty_ui(ui, monitor, feed);
        return;
    }
    let mut clicked = None;
    let mut scroll = egui::ScrollArea::both()
        .id_salt("feed-rows")
        .min_scrolled_height(row_height * 2.0)
        .auto_shrink([false, false]);
    if resumed {
        scroll = scroll.vertical_scroll_offset(0.0);
    } else if reveal && let Some(at) = selected.and_then(|s| rows.iter().position(|r| *r == s)) {
        // Moved by keyboard: the row in the middle of the view.
        #[expect(clippy::cast_precision_loss, reason = "a row index")]
        let y = at as f32 * (row_height + ui.spacing().item_spacing.y);
        scroll = scroll.vertical_scroll_offset((y - ui.available_height() / 2.0).max(0.0));
    }
    let output = scroll.show_rows(ui, row_height, rows.len(), |ui, range| {
        for &id in &rows[range] {
            if let Some(item) = feed.get(id)
                && row_ui(ui, item, selected == Some(id), row_height)
            {
                clicked = Some(id);
            }
        }
    });
    if !paused && !resumed && output.state.clamped_offset().y > row_height {
        view.toggle_pause(feed);
    }
    if let Some(id) = clicked {
        view.click(id, feed);
    }
}

/// Returns true when the user resumed the feed.
fn toolbar_ui(ui: &mut Ui, feed: &Feed, view: &mut FeedView) -> bool {
    let mut resumed = false;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Feed").strong());
        ui.add(
            egui::TextEdit::singleline(&mut view.filter)
                .id(egui::Id::unique(FILTER_ID))
                .hint_text("Filter: text, p0, 503, error (Ctrl+F)")
                .desired_width((ui.available_width() * 0.4).clamp(120.0, 300.0)),
        );
        if !view.filter.is_empty() && ui.button("Clear filter").clicked() {
            view.filter.clear();
        }
        let held = view.held_back(feed);
        let label = if view.paused_at.is_some() {
            format!("Resume ({held} new)")
        } else {
            "Pause".to_owned()
        };
        if ui
            .button(label)
            .on_hover_text("Hold new rows back to read the feed (Ctrl+P)")
            .clicked()
        {
            resumed = view.paused_at.is_some();
            view.toggle_pause(feed);
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if feed.dropped() > 0 {
                ui.label(
                    RichText::new(format!(
                        "{} older events dropped",
                        units::count(feed.dropped())
                    ))
                    .color(theme::WARNING)
                    .small(),
                )
                .on_hover_text("The feed keeps the newest items only; statistics count everything");
            }
            ui.label(
                RichText::new(format!("{} in feed", units::count(feed.len() as u64)))
                    .small()
                    .weak(),
            );
        });
    });
    resumed
}

/// Column widths: time, poller, status, size; the payload takes the rest.
const COLUMNS: [f32; 4] = [108.0, 36.0, 44.0, 70.0];

fn header_ui(ui: &mut Ui, offset_x: f32) {
    let height = ui.text_style_height(&TextStyle::Small) + 4.0;
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width(), height),
        egui::Sense::hover(),
    );
    let shifted = egui::Rect::from_min_size(
        rect.min - egui::vec2(offset_x, 0.0),
        egui::vec2(rect.width() + offset_x, height),
    );
    let mut ui = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(shifted)
            .layout(egui::Layout::left_to_right(egui::Align::Center)),
    );
    ui.set_clip_rect(rect.intersect(ui.clip_rect()));
    let ui = &mut ui;
    ui.horizontal(|ui| {
        for (text, width) in ["time (UTC)", "poller", "status", "size"]
            .iter()
            .zip(COLUMNS)
        {
            cell_ui(
                ui,
                width,
                egui::Label::new(RichText::new(*text).small().weak()),
            );
        }
        ui.label(RichText::new("payload").small().weak());
    });
}

fn empty_ui(ui: &mut Ui, monitor: &Monitor, feed: &Feed) {
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        let text = if !feed.is_empty() {
            "Nothing matches the filter."
        } else if monitor.is_live() {
            "Waiting for the first event…"
        } else {
            "No events. Connect to start polling."
        };
        ui.label(RichText::new(text).weak());
    });
}

/// A fixed-width, left-aligned cell.
fn cell_ui(ui: &mut Ui, width: f32, label: egui::Label) {
    let height = ui
        .available_height()
        .max(ui.spacing().interact_size.y * 0.8);
    ui.allocate_ui_with_layout(
        egui::vec2(width, height),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_width(width);
            ui.add(label);
        },
    );
}

/// The narrowest a row gets: its columns and some payload (narrower panels scroll
/// sideways).
const MIN_ROW_WIDTH: f32 = 480.0;

/// One row; returns true when clicked. The row's id is its item's, not its place: a
/// click lands on the row the user saw even when new rows pushed it down meanwhile.
fn row_ui(ui: &mut Ui, item: &FeedItem, selected: bool, height: f32) -> bool {
    let width = ui.available_width().max(MIN_ROW_WIDTH);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, height), egui::Sense::hover());
    let response = ui.interact(
        rect,
        ui.make_persistent_id(("feed-row", item.id)),
        egui::Sense::click(),
    );
    let visuals = ui.visuals();
    let fill = if selected {
        visuals.selection.bg_fill
    } else if response.hovered() {
        visuals.widgets.hovered.weak_bg_fill
    } else {
        match item.kind {
            FeedKind::Failure => theme::ERROR.gamma_multiply(0.12),
            FeedKind::Warning => theme::WARNING.gamma_multiply(0.12),
            FeedKind::Event | FeedKind::Retry | FeedKind::Cut => Color32::TRANSPARENT,
        }
    };
    ui.painter().rect_filled(rect, 2.0, fill);
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect.shrink2(egui::vec2(2.0, 1.0)))
            .layout(egui::Layout::left_to_right(egui::Align::Center)),
    );
    cells_ui(&mut child, item);
    let text = item.row_text(80).to_owned();
    response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Row, true, selected, &text));
    response.clicked()
}

fn cells_ui(ui: &mut Ui, item: &FeedItem) {
    let weak = ui.visuals().weak_text_color();
    let cell = |ui: &mut Ui, text: RichText, width: f32| {
        cell_ui(
            ui,
            width,
            egui::Label::new(text).selectable(false).truncate(),
        );
    };
    cell(
        ui,
        RichText::new(format::clock_utc(item.received))
            .monospace()
            .color(weak),
        COLUMNS[0],
    );
    cell(
        ui,
        RichText::new(format!("p{}", item.poller))
            .monospace()
            .color(weak),
        COLUMNS[1],
    );
    // A client-cut hold has no status: the server never answered, which is expected.
    let (status, status_color) = match (item.kind, item.status) {
        (FeedKind::Cut, _) => ("cut".to_owned(), theme::EMPTY),
        (_, Some(s)) => (s.to_string(), theme::status_color(s)),
        (_, None) => ("–".to_owned(), theme::ERROR),
    };
    cell(
        ui,
        RichText::new(status).monospace().color(status_color),
        COLUMNS[2],
    );
    // A payload's size; a failure, warning or retry row carries a message, not a payload.
    let size = if item.kind == FeedKind::Event {
        units::bytes(item.size)
    } else {
        "–".to_owned()
    };
    cell(ui, RichText::new(size).monospace().color(weak), COLUMNS[3]);
    let text = item.row_text(ROW_CHARS);
    let payload: egui::WidgetText = match item.kind {
        FeedKind::Event if item.is_json => {
            let font = TextStyle::Monospace.resolve(ui.style());
            let palette = Palette::for_theme(ui.visuals().dark_mode);
            json_job(text, &font, &palette).into()
        }
        FeedKind::Event => RichText::new(text).monospace().into(),
        FeedKind::Failure => RichText::new(text).monospace().color(theme::ERROR).into(),
        FeedKind::Warning => RichText::new(text).monospace().color(theme::WARNING).into(),
        FeedKind::Retry | FeedKind::Cut => {
            RichText::new(text).monospace().color(weak).italics().into()
        }
    };
    ui.add(egui::Label::new(payload).selectable(false).truncate());
}
