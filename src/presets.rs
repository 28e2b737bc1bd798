//! Presets: profiles for the long-poll protocols people run, each explained in a line.
//!
//! Pure data; no I/O. `docs/protocols.md` explains each one at length.

use crate::cursor::CursorRule;
use crate::profile::{HoldParam, HoldUnit, Profile, TimeUnit};

/// A starting point for a new profile.
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    /// Stable identifier (`nchan`, `etcd-v2`, …).
    pub id: &'static str,
    /// Shown in menus.
    pub name: &'static str,
    /// One line: request shape and cursor.
    pub summary: &'static str,
    /// Example URL with placeholders in capitals.
    pub url_template: &'static str,
    build: fn() -> Profile,
}

impl Preset {
    /// A new profile from this preset, polling `url` (or the template when empty).
    #[must_use]
    pub fn profile(&self, url: &str) -> Profile {
        let mut p = (self.build)();
        p.name = self.name.to_owned();
        p.url = if url.trim().is_empty() {
            self.url_template.to_owned()
        } else {
            url.trim().to_owned()
        };
        p
    }
}

/// Every preset, in menu order.
#[must_use]
pub fn all() -> &'static [Preset] {
    &PRESETS
}

/// The preset with this id.
#[must_use]
pub fn by_id(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

static PRESETS: [Preset; 3] = [
    Preset {
        id: "demo",
        name: "Pollscope demo server",
        summary: "GET /events?cursor=N&timeout=S; cursor /cursor; events /events with seq and ts_us",
        url_template: "http://127.0.0.1:8787/events",
        build: || Profile::for_demo("", ""),
    },
    Preset {
        id: "generic-json",
        name: "Generic JSON",
        summary: "The whole JSON body is one event; no cursor: every poll is the same request",
        url_template: "https://HOST/PATH",
        build: || Profile {
            hold_param: HoldParam::None,
            ..Profile::default()
        },
    },
    Preset {
        id: "generic-etag",
        name: "Generic ETag",
        summary: "ETag → If-None-Match and Last-Modified → If-Modified-Since; 304 means nothing new",
        url_template: "https://HOST/PATH",
        build: || Profile {
            hold_param: HoldParam::None,
            cursor: CursorRule::Validators,
            ..Profile::default()
        },
    },
];

#[allow(dead_code, reason = "units used by presets added with the protocol work")]
const _UNITS: (HoldUnit, TimeUnit) = (HoldUnit::Seconds, TimeUnit::Millis);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_with_a_real_url_validates() {
        for p in all() {
            let profile = p.profile("http://127.0.0.1:1/x");
            assert_eq!(profile.validate(), Vec::new(), "{}", p.id);
            assert!(!p.summary.is_empty());
        }
        assert!(by_id("demo").is_some());
        assert!(by_id("nope").is_none());
    }
}
