//! "Copied" feedback: copying text to the clipboard says so in the status bar for a
//! couple of seconds (the clipboard itself shows nothing).

use std::time::Duration;

use egui::Context;

/// How long the status bar says what was copied.
const SHOW_FOR: Duration = Duration::from_secs(3);

fn id() -> egui::Id {
    egui::Id::unique("copied-flash")
}

/// Copy `text` and say "`what` copied" in the status bar.
pub fn copy(ctx: &Context, text: String, what: &str) {
    ctx.copy_text(text);
    let now = ctx.input(|i| i.time);
    ctx.data_mut(|d| d.insert_temp(id(), (what.to_owned(), now)));
    // One more frame to take the message away again.
    ctx.request_repaint_after(SHOW_FOR);
}

/// What was copied in the last few seconds, if anything.
#[must_use]
pub fn recent(ctx: &Context) -> Option<String> {
    let (what, at) = ctx.data(|d| d.get_temp::<(String, f64)>(id()))?;
    let now = ctx.input(|i| i.time);
    (now - at < SHOW_FOR.as_secs_f64()).then(|| format!("{what} copied"))
}
