//! Presets: profiles for the long-poll protocols people run, each explained in a line.
//! The session protocols (Socket.IO, SockJS, Bayeux, SignalR) are in [`sessions`]: built
//! from the profile model's steps, variables, decoders and conditions like any other.
//!
//! Pure data; no I/O. `docs/protocols.md` explains each one at length.

mod sessions;

use crate::cursor::{CursorOptions, CursorRule, ResyncRule};
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
    /// The profile for an endpoint URL (the session presets derive their poll and step
    /// URLs from it; the others poll it as it is).
    build: fn(&str) -> Profile,
}

impl Preset {
    /// A new profile from this preset, polling `url` (or the template when empty).
    #[must_use]
    pub fn profile(&self, url: &str) -> Profile {
        let endpoint = if url.trim().is_empty() {
            self.url_template
        } else {
            url.trim()
        };
        let mut p = (self.build)(endpoint);
        self.name.clone_into(&mut p.name);
        if p.url.is_empty() {
            endpoint.clone_into(&mut p.url);
        }
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

static PRESETS: [Preset; 12] = [
    Preset {
        id: "demo",
        name: "Pollscope demo server",
        summary: "GET /events?cursor=N&timeout=S; cursor /cursor; events /events with seq and ts_us",
        url_template: "http://127.0.0.1:8787/events",
        build: |_| Profile::for_demo("", ""),
    },
    Preset {
        id: "nchan",
        name: "Nchan (nginx)",
        summary: "Last-Modified + Etag -> If-Modified-Since + If-None-Match; 304/408 keep the cursor",
        url_template: "http://HOST/sub/CHANNEL",
        build: |_| nchan(),
    },
    Preset {
        id: "etcd-v2",
        name: "etcd v2 watch",
        summary: "?wait=true&waitIndex=N, N = node.modifiedIndex + 1; outdated index -> resume at X-Etcd-Index + 1",
        url_template: "http://127.0.0.1:2379/v2/keys/KEY?wait=true",
        build: |_| etcd_v2(),
    },
    Preset {
        id: "couchdb",
        name: "CouchDB _changes",
        summary: "feed=longpoll&since=S&timeout=ms; cursor last_seq; events in results; starts at now",
        url_template: "http://127.0.0.1:5984/DB/_changes?feed=longpoll",
        build: |_| couchdb(),
    },
    Preset {
        id: "consul",
        name: "Consul blocking query",
        summary: "?index=N&wait=30s; cursor X-Consul-Index; same index = nothing new; backwards -> 0",
        url_template: "http://127.0.0.1:8500/v1/kv/KEY",
        build: |_| consul(),
    },
    Preset {
        id: "telegram",
        name: "Telegram getUpdates",
        summary: "offset = max(update_id) + 1, timeout in seconds; the bot token in the URL is secret",
        url_template: "https://api.telegram.org/botTOKEN/getUpdates",
        build: |_| telegram(),
    },
    Preset {
        id: "socketio",
        name: "Socket.IO 4 (HTTP long-polling)",
        summary: "Engine.IO v4 polling: open -> sid, namespace connect, 42[...] events, ping -> pong; re-open after 'Session ID unknown'",
        url_template: "http://HOST/socket.io/",
        build: sessions::socketio,
    },
    Preset {
        id: "sockjs",
        name: "SockJS xhr-polling",
        summary: "POST /PREFIX/{server}/{session}/xhr: o, h, a[...], c[...]; a new session when the server closes or forgets it",
        url_template: "http://HOST/PREFIX",
        build: sessions::sockjs,
    },
    Preset {
        id: "bayeux",
        name: "Bayeux (Faye, CometD)",
        summary: "handshake -> clientId, subscribe {{channel}}, /meta/connect loop; advice reconnect=handshake re-handshakes",
        url_template: "http://HOST/faye",
        build: sessions::bayeux,
    },
    Preset {
        id: "signalr",
        name: "ASP.NET Core SignalR (long polling)",
        summary: "negotiate -> connectionToken, JSON handshake record, GET ?id=: 0x1e records; 404/204/close -> negotiate again",
        url_template: "http://HOST/HUB",
        build: sessions::signalr,
    },
    Preset {
        id: "generic-json",
        name: "Generic JSON",
        summary: "The whole JSON body is one event; no cursor: every poll is the same request",
        url_template: "https://HOST/PATH",
        build: |_| Profile {
            hold_param: HoldParam::None,
            ..Profile::default()
        },
    },
    Preset {
        id: "generic-etag",
        name: "Generic ETag",
        summary: "ETag -> If-None-Match and Last-Modified -> If-Modified-Since; 304 means nothing new",
        url_template: "https://HOST/PATH",
        build: |_| Profile {
            hold_param: HoldParam::None,
            cursor: CursorRule::Validators,
            ..Profile::default()
        },
    },
];

/// Nchan long-poll subscriber: one message per answer; the validators are the cursor.
/// Without `nchan_subscriber_timeout` it holds until a message, so the client's
/// timeout ends empty holds.
fn nchan() -> Profile {
    Profile {
        hold_param: HoldParam::None,
        cursor: CursorRule::Validators,
        ..Profile::default()
    }
}

/// etcd v2 `wait=true` watch. etcd sends 200 and its headers at once and the body only
/// when the change happens, and holds forever: the client's timeout ends empty holds.
fn etcd_v2() -> Profile {
    Profile {
        hold_param: HoldParam::None,
        hold_s: 60,
        cursor: CursorRule::BodyPointer {
            pointer: "/node/modifiedIndex".to_owned(),
            param: "waitIndex".to_owned(),
            plus: 1,
        },
        cursor_options: CursorOptions {
            resync: Some(ResyncRule {
                status: 400,
                body_pointer: Some("/errorCode".to_owned()),
                body_equals: Some("401".to_owned()),
                from_header: "X-Etcd-Index".to_owned(),
                plus: 1,
            }),
            ..CursorOptions::default()
        },
        ..Profile::default()
    }
}

/// CouchDB `_changes?feed=longpoll`: `timeout` in milliseconds, `since=now` to start at
/// the tip; CouchDB may send newline heartbeats before the JSON.
fn couchdb() -> Profile {
    Profile {
        hold_param: HoldParam::Query {
            name: "timeout".to_owned(),
            unit: HoldUnit::Millis,
        },
        cursor: CursorRule::BodyPointer {
            pointer: "/last_seq".to_owned(),
            param: "since".to_owned(),
            plus: 0,
        },
        initial_cursor: Some("now".to_owned()),
        events_pointer: Some("/results".to_owned()),
        ..Profile::default()
    }
}

/// Consul blocking query: answers at the end of `wait` with the same state and index.
fn consul() -> Profile {
    Profile {
        hold_param: HoldParam::Query {
            name: "wait".to_owned(),
            unit: HoldUnit::SecondsSuffix,
        },
        cursor: CursorRule::Header {
            header: "X-Consul-Index".to_owned(),
            param: "index".to_owned(),
        },
        cursor_options: CursorOptions {
            reset_if_backwards: Some("0".to_owned()),
            min: Some(1),
            unchanged_is_empty: true,
            resync: None,
        },
        ..Profile::default()
    }
}

/// Telegram Bot API `getUpdates` long polling.
fn telegram() -> Profile {
    Profile {
        hold_s: 50,
        hold_param: HoldParam::Query {
            name: "timeout".to_owned(),
            unit: HoldUnit::Seconds,
        },
        cursor: CursorRule::MaxField {
            field: "/update_id".to_owned(),
            plus: 1,
            param: "offset".to_owned(),
        },
        events_pointer: Some("/result".to_owned()),
        seq_pointer: None,
        timestamp_pointer: Some("/message/date".to_owned()),
        timestamp_unit: TimeUnit::Seconds,
        retry_after_pointer: Some("/parameters/retry_after".to_owned()),
        ..Profile::default()
    }
}

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
        let ids: Vec<&str> = all().iter().map(|p| p.id).collect();
        for want in [
            "nchan",
            "etcd-v2",
            "couchdb",
            "consul",
            "telegram",
            "socketio",
            "sockjs",
            "bayeux",
            "signalr",
            "generic-json",
            "generic-etag",
        ] {
            assert!(ids.contains(&want), "{want}");
        }
        assert!(by_id("nope").is_none());
    }

    /// Every preset's example URL is flagged until its placeholders are replaced, and
    /// every capital word in the examples is one the check knows.
    #[test]
    fn templates_are_flagged_until_filled_in() {
        use crate::profile::{ProfileIssue, URL_PLACEHOLDERS};
        for p in all().iter().filter(|p| p.id != "demo") {
            let issues = p.profile("").validate();
            assert!(
                issues
                    .iter()
                    .any(|i| matches!(i, ProfileIssue::Placeholder { .. })),
                "{}: {issues:?}",
                p.id
            );
            for part in p.url_template.split(|c: char| !c.is_ascii_alphanumeric()) {
                let caps = part.trim_start_matches(|c: char| !c.is_ascii_uppercase());
                if caps.len() > 1 && caps.chars().all(|c| c.is_ascii_uppercase()) {
                    assert!(
                        URL_PLACEHOLDERS.iter().any(|(w, _)| *w == caps),
                        "{}: {caps} is not in URL_PLACEHOLDERS",
                        p.id
                    );
                }
            }
        }
        assert_eq!(by_id("demo").unwrap().profile("").validate(), Vec::new());
    }

    #[test]
    fn telegram_token_is_a_secret() {
        let p = by_id("telegram")
            .unwrap()
            .profile("https://api.telegram.org/bot123456:AAEhBP0av28Q/getUpdates");
        let echoed = "GET /bot123456:AAEhBP0av28Q/getUpdates failed";
        assert!(!p.secrets().mask(echoed).contains("AAEhBP0av28Q"));
        assert!(!crate::redact::url(&p.url).contains("AAEhBP0av28Q"));
        let url = p
            .poll_url(&crate::cursor::Cursor::starting_at(Some("7")))
            .unwrap();
        assert!(
            url.as_str().ends_with("getUpdates?timeout=50&offset=7"),
            "{url}"
        );
    }

    #[test]
    fn consul_and_couchdb_urls() {
        let p = by_id("consul")
            .unwrap()
            .profile("http://127.0.0.1:8500/v1/kv/k");
        let url = p
            .poll_url(&crate::cursor::Cursor::starting_at(Some("12")))
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8500/v1/kv/k?wait=30s&index=12"
        );
        let p = by_id("couchdb")
            .unwrap()
            .profile("http://127.0.0.1:5984/db/_changes?feed=longpoll");
        let url = p
            .poll_url(&crate::cursor::Cursor::starting_at(
                p.initial_cursor.as_deref(),
            ))
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:5984/db/_changes?feed=longpoll&timeout=30000&since=now"
        );
    }
}
