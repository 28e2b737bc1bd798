//! A side panel's state: open, or collapsed to a strip — as the user last chose, or,
//! until they choose, by the window's width (so a small window starts with room for
//! the charts and the feed).
//!
//! View state; no drawing.

/// Open or collapsed, by choice or by width.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SidePanel {
    /// The user's choice; `None` until they make one.
    choice: Option<bool>,
}

impl SidePanel {
    /// A panel the user chose to open (`Some(true)`) or collapse, or left to the width.
    #[must_use]
    pub fn chosen(choice: Option<bool>) -> Self {
        Self { choice }
    }

    /// Is the panel open in a window `width` points wide, when it opens by itself from
    /// `auto_from`?
    #[must_use]
    pub fn is_open(self, width: f32, auto_from: f32) -> bool {
        self.choice.unwrap_or(width >= auto_from)
    }

    /// The user opened (`true`) or collapsed the panel.
    pub fn set(&mut self, open: bool) {
        self.choice = Some(open);
    }

    /// The user's choice, if they made one.
    #[must_use]
    pub fn choice(self) -> Option<bool> {
        self.choice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_width_decides_until_the_user_does() {
        let mut panel = SidePanel::default();
        assert!(!panel.is_open(760.0, 1000.0));
        assert!(panel.is_open(1280.0, 1000.0));
        panel.set(true);
        assert!(panel.is_open(760.0, 1000.0), "opened by hand at 760");
        panel.set(false);
        assert!(!panel.is_open(1920.0, 1000.0), "collapsed by hand at 1920");
        assert_eq!(panel.choice(), Some(false));
    }
}
