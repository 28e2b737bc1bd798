//! Turning one HTTP answer into events, control messages, session signals and the next
//! cursor, as the profile says: the decoder cuts the body into records, the events
//! selector picks the events in them, the session's conditions tell control messages
//! apart, and the cursor rule reads the next cursor.
//!
//! Pure: bytes in, events and cursor out. Never panics on any input.

use std::time::SystemTime;

use serde_json::Value;

use super::event::{AnswerKind, Payload, ReceivedEvent};
use crate::cursor::{Answer, Cursor, MAX_CURSOR_BYTES, MAX_SEQ_JUMP, as_i64, is_empty_answer};
use crate::profile::Profile;
use crate::protocol::bounded::MAX_ITEMS;
use crate::protocol::decode::Decoder;
use crate::protocol::rules::{Signals, control_label};
use crate::protocol::select::{Selection, select};

/// The meaning of one answer.
#[derive(Debug)]
pub struct Interpreted {
    /// The events found (none for an empty hold).
    pub events: Vec<ReceivedEvent>,
    /// The control messages (pings, heartbeats, meta replies), by label, in order.
    pub control: Vec<String>,
    /// What the session's rules make of the answer (replies, restart, failure, delay,
    /// variables).
    pub signals: Signals,
    /// The cursor for the next poll (the old one when it could not be read).
    pub cursor: Cursor,
    /// What went wrong reading events or the cursor.
    pub problem: Option<String>,
    /// True when the cursor rule failed on an answer with events: polling on at once
    /// could fetch the same events again, so the worker backs off.
    pub cursor_stuck: bool,
    /// The server's cursor was this many bytes, more than [`MAX_CURSOR_BYTES`]: it was
    /// not followed (`cursor` is the old one) and the poll counts as failed.
    pub cursor_too_long: Option<usize>,
    /// Values of the answer left out to bound memory (events past
    /// [`MAX_ITEMS`], see [`crate::protocol::bounded`]): counted, never shown.
    pub truncated: u64,
}

impl Interpreted {
    /// Whether the answer carried events.
    #[must_use]
    pub fn kind(&self) -> AnswerKind {
        AnswerKind::of(&self.events)
    }

    fn empty(cursor: &Cursor) -> Self {
        Self {
            events: Vec::new(),
            control: Vec::new(),
            signals: Signals::default(),
            cursor: cursor.clone(),
            problem: None,
            cursor_stuck: false,
            cursor_too_long: None,
            truncated: 0,
        }
    }
}

/// Interpret a 2xx/204/304/408 answer.
#[must_use]
pub fn interpret(
    profile: &Profile,
    cursor: &Cursor,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    received: SystemTime,
) -> Interpreted {
    if is_empty_answer(status, body) {
        return Interpreted::empty(cursor);
    }
    let mut problems = Vec::new();
    let decoded = profile.decoder.decode(body);
    problems.extend(decoded.problems);
    if let Some(e) = &decoded.not_json
        && (profile.events_pointer.is_some() || profile.cursor.needs_json())
    {
        problems.push(format!(
            "body is not JSON ({e}); shown as text ({} bytes)",
            body.len()
        ));
    }
    let mut control: Vec<(String, Value)> = Vec::new();
    let mut raw_events = Vec::new();
    for record in &decoded.records {
        if let Some(kind) = record.control {
            control.push((kind.to_owned(), record.value.clone()));
            continue;
        }
        for message in messages_in(profile, &record.value, &mut problems) {
            if profile.session.is_control(&message) {
                control.push((control_label(None, &message), message));
            } else {
                raw_events.push(message);
            }
        }
    }
    let mut truncated = decoded.truncated;
    if raw_events.len() > MAX_ITEMS {
        truncated = truncated.saturating_add((raw_events.len() - MAX_ITEMS) as u64);
        raw_events.truncate(MAX_ITEMS);
    }
    if truncated > 0 {
        problems.push(format!(
            "answer truncated: {truncated} value(s) beyond the first {MAX_ITEMS} of an array \
             (or past a few times the body's size) were counted, not kept"
        ));
    }
    let signals = if profile.session.is_empty() {
        Signals::default()
    } else {
        let records: Vec<&Value> = decoded.records.iter().map(|r| &r.value).collect();
        let messages: Vec<&Value> = control.iter().map(|(_, v)| v).collect();
        profile.session.signals(&messages, &records, headers)
    };
    let text = decoded.not_json.is_some().then_some(body);
    // A body that is not JSON is shown as one text event.
    let any_events = !raw_events.is_empty() || text.is_some();
    let json_body = match profile.decoder {
        Decoder::Json => decoded.records.first().map(|r| &r.value),
        _ => None,
    };
    let answer = Answer {
        status,
        headers,
        body: json_body,
        events: &raw_events,
    };
    let step = next_cursor(profile, cursor, &answer, &mut problems);
    let events = if step.unchanged {
        Vec::new()
    } else {
        received_events(profile, raw_events, text, received)
    };
    Interpreted {
        events,
        control: control.into_iter().map(|(label, _)| label).collect(),
        signals,
        cursor: step.cursor,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
        cursor_stuck: step.failed && any_events,
        cursor_too_long: step.too_long,
        truncated,
    }
}

/// The messages in one decoded record: the record itself when the profile's events are
/// "the whole body", else what the events selector picks in it. A selector that finds
/// nothing means no events (a held answer without the array is an empty hold).
fn messages_in(profile: &Profile, record: &Value, problems: &mut Vec<String>) -> Vec<Value> {
    let Some(p) = profile.events_pointer.as_deref() else {
        return vec![record.clone()];
    };
    match select(record, p) {
        Selection::Events(found) => found.into_iter().cloned().collect(),
        Selection::Missing => Vec::new(),
        Selection::NotArray { found, events } => {
            let at = if p.is_empty() { "the root" } else { p };
            problems.push(format!(
                "events at {at} is {found}, not an array; shown as one event"
            ));
            events.into_iter().cloned().collect()
        }
    }
}

/// Where the cursor rule (and its options) moved the cursor.
struct CursorStep {
    /// The cursor for the next poll (the old one when the rule failed).
    cursor: Cursor,
    /// The rule could not read a cursor from this answer.
    failed: bool,
    /// The cursor stayed where it was and the profile says that means nothing new.
    unchanged: bool,
    /// The server's cursor was this long (bytes as sent): not followed.
    too_long: Option<usize>,
}

fn next_cursor(
    profile: &Profile,
    cursor: &Cursor,
    answer: &Answer<'_>,
    problems: &mut Vec<String>,
) -> CursorStep {
    match profile.cursor.advance(cursor, answer) {
        Ok(next) => {
            let options = &profile.cursor_options;
            let (next, reset) = options.adjust(cursor, next);
            if reset {
                problems.push(format!(
                    "cursor went backwards (server state reset?); restarting from {}",
                    next.describe()
                ));
            }
            let len = next.sent_len();
            if len > MAX_CURSOR_BYTES {
                return CursorStep {
                    cursor: cursor.clone(),
                    failed: true,
                    unchanged: false,
                    too_long: Some(len),
                };
            }
            if !reset && let Some(moved) = numeric_move(cursor, &next) {
                problems.push(moved);
            }
            let unchanged = options.unchanged_is_empty && cursor.value.is_some() && next == *cursor;
            CursorStep {
                cursor: next,
                failed: false,
                unchanged,
                too_long: None,
            }
        }
        Err(e) => {
            problems.push(format!("{e}; keeping cursor {}", cursor.describe()));
            CursorStep {
                cursor: cursor.clone(),
                failed: true,
                unchanged: false,
                too_long: None,
            }
        }
    }
}

/// A numeric cursor that went backwards (the server's state was reset?) or leapt more
/// than [`MAX_SEQ_JUMP`] ahead: followed, but said, never silently.
fn numeric_move(old: &Cursor, new: &Cursor) -> Option<String> {
    let num = |c: &Cursor| {
        c.value
            .as_deref()
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let (o, n) = (num(old)?, num(new)?);
    if n < o {
        return Some(format!(
            "cursor went backwards from {o} to {n} (server state reset?); following it"
        ));
    }
    let ahead = u64::try_from(i128::from(n) - i128::from(o)).unwrap_or(u64::MAX);
    (ahead > MAX_SEQ_JUMP).then(|| {
        format!("cursor jumped from {o} to {n}, more than {MAX_SEQ_JUMP} ahead; following it")
    })
}

/// The answer's events with what their sequence numbers and timestamps say; the parsed
/// events move in (one copy of each, not two). `text` is a body that was not JSON.
fn received_events(
    profile: &Profile,
    raw_events: Vec<Value>,
    text: Option<&[u8]>,
    received: SystemTime,
) -> Vec<ReceivedEvent> {
    let mut events: Vec<ReceivedEvent> = raw_events
        .into_iter()
        .map(|e| {
            let meta = event_meta(profile, &e, received);
            ReceivedEvent {
                payload: Payload::Json(e),
                seq: meta.seq,
                latency_ms: meta.latency_ms,
            }
        })
        .collect();
    if let Some(body) = text {
        events.push(ReceivedEvent {
            payload: Payload::Text(String::from_utf8_lossy(body).into_owned()),
            seq: None,
            latency_ms: None,
        });
    }
    events
}

/// What an event's sequence number and timestamp say, read before the event moves.
struct EventMeta {
    seq: Option<i64>,
    latency_ms: Option<f64>,
}

fn event_meta(profile: &Profile, e: &Value, received: SystemTime) -> EventMeta {
    let seq = profile
        .seq_pointer
        .as_deref()
        .and_then(|p| e.pointer(p))
        .and_then(as_i64);
    let latency_ms = profile
        .timestamp_pointer
        .as_deref()
        .and_then(|p| e.pointer(p))
        .and_then(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .and_then(|ts| {
            let sent_us = profile.timestamp_unit.to_micros(ts);
            let now_us = received
                .duration_since(SystemTime::UNIX_EPOCH)
                .ok()?
                .as_secs_f64()
                * 1e6;
            let ms = (now_us - sent_us) / 1000.0;
            ms.is_finite().then_some(ms)
        });
    EventMeta { seq, latency_ms }
}

/// The value of the first header called `name` (any case).
pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn demo() -> Profile {
        Profile::for_demo("d", "http://127.0.0.1:1/events")
    }

    #[test]
    fn demo_answer_gives_events_seq_latency_and_cursor() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let body = br#"{"cursor":8,"events":[{"seq":7,"ts_us":998000000,"data":1},{"seq":8,"ts_us":999500000,"data":2}]}"#;
        let i = interpret(&demo(), &Cursor::default(), 200, &[], body, now);
        assert_eq!(i.kind(), AnswerKind::Events);
        assert_eq!(i.events.len(), 2);
        assert_eq!(i.events[0].seq, Some(7));
        assert_eq!(i.events[1].latency_ms, Some(500.0));
        assert_eq!(i.cursor.value.as_deref(), Some("8"));
        assert_eq!(i.problem, None);
    }

    #[test]
    fn empty_events_array_is_an_empty_hold() {
        let i = interpret(
            &demo(),
            &Cursor::starting_at(Some("3")),
            200,
            &[],
            br#"{"cursor":3,"events":[]}"#,
            SystemTime::now(),
        );
        assert_eq!(i.kind(), AnswerKind::Empty);
        assert_eq!(i.cursor.value.as_deref(), Some("3"));
    }

    #[test]
    fn not_modified_keeps_cursor() {
        let c = Cursor::starting_at(Some("3"));
        for status in [204, 304, 408] {
            let i = interpret(&demo(), &c, status, &[], b"", SystemTime::now());
            assert_eq!(i.kind(), AnswerKind::Empty);
            assert_eq!(i.cursor, c);
        }
    }

    #[test]
    fn non_json_body_is_shown_raw_and_explained() {
        let c = Cursor::starting_at(Some("3"));
        let i = interpret(&demo(), &c, 200, &[], b"<html>\xff oops", SystemTime::now());
        assert_eq!(i.kind(), AnswerKind::Events);
        assert!(matches!(&i.events[0].payload, Payload::Text(t) if t.starts_with("<html>")));
        let p = i.problem.unwrap();
        assert!(p.contains("not JSON"), "{p}");
        assert!(p.contains("keeping cursor 3"), "{p}");
        assert!(i.cursor_stuck);
        assert_eq!(i.cursor, c);
    }

    #[test]
    fn whole_body_is_one_event_without_pointer() {
        let p = Profile::default();
        let i = interpret(
            &p,
            &Cursor::default(),
            200,
            &[],
            br#"{"a":1}"#,
            SystemTime::now(),
        );
        assert_eq!(i.events.len(), 1);
        assert_eq!(i.problem, None);
        let i = interpret(
            &p,
            &Cursor::default(),
            200,
            &[],
            b"plain text",
            SystemTime::now(),
        );
        assert_eq!(i.events.len(), 1);
        assert_eq!(i.problem, None, "text is fine when nothing asks for JSON");
    }

    #[test]
    fn consul_unchanged_index_is_an_empty_hold_and_backwards_resets() {
        let p = crate::presets::by_id("consul")
            .unwrap()
            .profile("http://127.0.0.1:8500/v1/kv/k");
        let h = |v: &str| vec![("X-Consul-Index".to_owned(), v.to_owned())];
        let body = br#"[{"Key":"k","Value":"dg==","ModifyIndex":10}]"#;
        let now = SystemTime::now();
        let first = interpret(&p, &Cursor::default(), 200, &h("10"), body, now);
        assert_eq!(first.kind(), AnswerKind::Events);
        assert_eq!(first.cursor.value.as_deref(), Some("10"));
        let same = interpret(&p, &first.cursor, 200, &h("10"), body, now);
        assert_eq!(same.kind(), AnswerKind::Empty);
        let back = interpret(&p, &first.cursor, 200, &h("3"), body, now);
        assert_eq!(back.cursor.value.as_deref(), Some("0"));
        assert!(back.problem.unwrap().contains("backwards"));
        let zero = interpret(&p, &Cursor::default(), 200, &h("0"), body, now);
        assert_eq!(zero.cursor.value.as_deref(), Some("1"));
    }

    #[test]
    fn couchdb_longpoll_with_heartbeats_gives_results_and_last_seq() {
        let p = crate::presets::by_id("couchdb")
            .unwrap()
            .profile("http://127.0.0.1:5984/db/_changes");
        // CouchDB 3 sends a newline per heartbeat while it holds, then the JSON.
        let body = b"\n\n\n{\"results\":[{\"seq\":\"3-g1AAAA\",\"id\":\"a\",\"changes\":[{\"rev\":\"1-x\"}]},{\"seq\":\"4-g1AAAB\",\"id\":\"b\",\"changes\":[{\"rev\":\"1-y\"}]}],\n\"last_seq\":\"4-g1AAAB\",\"pending\":0}\n";
        let now = SystemTime::now();
        let i = interpret(&p, &Cursor::starting_at(Some("now")), 200, &[], body, now);
        assert_eq!(i.kind(), AnswerKind::Events);
        assert_eq!(i.events.len(), 2);
        assert_eq!(i.cursor.value.as_deref(), Some("4-g1AAAB"));
        assert_eq!(i.problem, None);
        // A timeout with nothing new: empty results, the same last_seq.
        let idle = br#"{"results":[],"last_seq":"4-g1AAAB","pending":0}"#;
        let j = interpret(&p, &i.cursor, 200, &[], idle, now);
        assert_eq!(j.kind(), AnswerKind::Empty);
        assert_eq!(j.cursor, i.cursor);
    }

    /// A held answer without the events array has no events (it was counted as one
    /// event, the whole body: 633 false events in one 25 s run against such a server).
    #[test]
    fn missing_events_array_is_an_empty_answer() {
        for body in [
            &br#"{"hello":1}"#[..],
            br#"{"events":null,"cursor":3}"#,
            b"{}",
        ] {
            let i = interpret(
                &demo(),
                &Cursor::default(),
                200,
                &[],
                body,
                SystemTime::now(),
            );
            assert_eq!(
                i.kind(),
                AnswerKind::Empty,
                "{}",
                String::from_utf8_lossy(body)
            );
            assert!(i.events.is_empty());
            assert!(!i.cursor_stuck);
        }
        // Only "the whole body is one event" counts the body.
        let whole = Profile {
            events_pointer: None,
            ..demo()
        };
        let i = interpret(
            &whole,
            &Cursor::default(),
            200,
            &[],
            br#"{"hello":1}"#,
            SystemTime::now(),
        );
        assert_eq!(i.events.len(), 1);
    }

    #[test]
    fn wildcard_and_root_array_selectors() {
        let matrix = Profile {
            events_pointer: Some("/rooms/join/*/timeline/events".to_owned()),
            cursor: crate::cursor::CursorRule::BodyPointer {
                pointer: "/next_batch".to_owned(),
                param: "since".to_owned(),
                plus: 0,
            },
            ..Profile::default()
        };
        let body = br#"{"next_batch":"s72","rooms":{"join":{"!a:x":{"timeline":{"events":[{"event_id":"$1"},{"event_id":"$2"}]}},"!b:x":{"timeline":{"events":[{"event_id":"$3"}]}}}}}"#;
        let i = interpret(
            &matrix,
            &Cursor::default(),
            200,
            &[],
            body,
            SystemTime::now(),
        );
        assert_eq!(i.events.len(), 3);
        assert_eq!(i.cursor.value.as_deref(), Some("s72"));
        let idle = br#"{"next_batch":"s73","rooms":{"join":{}}}"#;
        let j = interpret(&matrix, &i.cursor, 200, &[], idle, SystemTime::now());
        assert_eq!(j.kind(), AnswerKind::Empty);
        assert_eq!(j.cursor.value.as_deref(), Some("s73"));
        let root = Profile {
            events_pointer: Some("/*".to_owned()),
            ..Profile::default()
        };
        let k = interpret(
            &root,
            &Cursor::default(),
            200,
            &[],
            br#"[{"id":1},{"id":2}]"#,
            SystemTime::now(),
        );
        assert_eq!(k.events.len(), 2, "a root array: each item is an event");
        let whole = interpret(
            &Profile::default(),
            &Cursor::default(),
            200,
            &[],
            br#"[{"id":1},{"id":2}]"#,
            SystemTime::now(),
        );
        assert_eq!(whole.events.len(), 1, "the whole body is one event");
    }

    #[test]
    fn decoders_and_session_conditions_keep_control_messages_apart() {
        use crate::protocol::{Decoder, Match, SessionSpec};
        let socketio = Profile {
            decoder: Decoder::SocketIo,
            events_pointer: None,
            seq_pointer: Some("/args/0/seq".to_owned()),
            ..Profile::default()
        };
        let body =
            "2\u{1e}42[\"msg\",{\"seq\":1}]\u{1e}42[\"msg\",{\"seq\":2}]\u{1e}40{\"sid\":\"x\"}";
        let i = interpret(
            &socketio,
            &Cursor::default(),
            200,
            &[],
            body.as_bytes(),
            SystemTime::now(),
        );
        assert_eq!(
            i.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![Some(1), Some(2)]
        );
        assert_eq!(i.control, vec!["ping", "connect"]);
        let bayeux = Profile {
            events_pointer: Some("/*".to_owned()),
            seq_pointer: Some("/data/seq".to_owned()),
            session: SessionSpec {
                control: vec![Match::prefix("/channel", "/meta/")],
                ..SessionSpec::default()
            },
            ..Profile::default()
        };
        let body =
            br#"[{"channel":"/meta/connect","successful":true},{"channel":"/t","data":{"seq":9}}]"#;
        let i = interpret(
            &bayeux,
            &Cursor::default(),
            200,
            &[],
            body,
            SystemTime::now(),
        );
        assert_eq!(i.events.len(), 1);
        assert_eq!(i.events[0].seq, Some(9));
        assert_eq!(i.control, vec!["/meta/connect"]);
        let only_meta = br#"[{"channel":"/meta/connect","successful":true}]"#;
        let j = interpret(
            &bayeux,
            &Cursor::default(),
            200,
            &[],
            only_meta,
            SystemTime::now(),
        );
        assert_eq!(
            j.kind(),
            AnswerKind::Empty,
            "control messages are never events"
        );
    }
}
