//! Turning one HTTP answer into events and the next cursor, as the profile says.
//!
//! Pure: bytes in, events and cursor out. Never panics on any input.

use std::time::SystemTime;

use serde_json::Value;

use super::event::{AnswerKind, Payload, ReceivedEvent};
use crate::cursor::{Answer, Cursor, as_i64, is_empty_answer, json_type};
use crate::profile::Profile;

/// The meaning of one answer.
#[derive(Debug)]
pub struct Interpreted {
    /// The events found (none for an empty hold).
    pub events: Vec<ReceivedEvent>,
    /// The cursor for the next poll (the old one when it could not be read).
    pub cursor: Cursor,
    /// What went wrong reading events or the cursor.
    pub problem: Option<String>,
    /// True when the cursor rule failed on an answer with events: polling on at once
    /// could fetch the same events again, so the worker backs off.
    pub cursor_stuck: bool,
}

impl Interpreted {
    /// Whether the answer carried events.
    #[must_use]
    pub fn kind(&self) -> AnswerKind {
        AnswerKind::of(&self.events)
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
        return Interpreted {
            events: Vec::new(),
            cursor: cursor.clone(),
            problem: None,
            cursor_stuck: false,
        };
    }
    let mut problems = Vec::new();
    let json = parse_body(profile, body, &mut problems);
    let raw_events = json
        .as_ref()
        .map_or_else(Vec::new, |v| events_in(profile, v, &mut problems));
    // A body that is not JSON is shown as one text event.
    let any_events = !raw_events.is_empty() || json.is_none();
    let answer = Answer {
        status,
        headers,
        body: json.as_ref(),
        events: &raw_events,
    };
    let step = next_cursor(profile, cursor, &answer, &mut problems);
    let events = if step.unchanged {
        Vec::new()
    } else {
        let text = json.is_none().then_some(body);
        received_events(profile, raw_events, text, received)
    };
    Interpreted {
        events,
        cursor: step.cursor,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
        cursor_stuck: step.failed && any_events,
    }
}

/// The body as JSON, or `None` (a problem when the profile expects JSON).
fn parse_body(profile: &Profile, body: &[u8], problems: &mut Vec<String>) -> Option<Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => Some(v),
        Err(e) => {
            if profile.events_pointer.is_some() || profile.cursor.needs_json() {
                problems.push(format!(
                    "body is not JSON ({e}); shown as text ({} bytes)",
                    body.len()
                ));
            }
            None
        }
    }
}

/// The events in a JSON body: the array at the profile's events pointer, or the whole
/// body as one event (said as a problem when the pointer finds no array).
fn events_in(profile: &Profile, json: &Value, problems: &mut Vec<String>) -> Vec<Value> {
    let Some(p) = profile.events_pointer.as_deref().filter(|p| !p.is_empty()) else {
        return vec![json.clone()];
    };
    match json.pointer(p) {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Null) | None => {
            problems.push(format!(
                "no events array at {p}; the whole body is shown as one event"
            ));
            vec![json.clone()]
        }
        Some(other) => {
            problems.push(format!(
                "events at {p} is {}, not an array; shown as one event",
                json_type(other)
            ));
            vec![other.clone()]
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
            let unchanged = options.unchanged_is_empty && cursor.value.is_some() && next == *cursor;
            CursorStep {
                cursor: next,
                failed: false,
                unchanged,
            }
        }
        Err(e) => {
            problems.push(format!("{e}; keeping cursor {}", cursor.describe()));
            CursorStep {
                cursor: cursor.clone(),
                failed: true,
                unchanged: false,
            }
        }
    }
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

    #[test]
    fn missing_events_array_falls_back_to_whole_body() {
        let i = interpret(
            &demo(),
            &Cursor::default(),
            200,
            &[],
            br#"{"hello":1}"#,
            SystemTime::now(),
        );
        assert_eq!(i.events.len(), 1);
        assert!(i.problem.unwrap().contains("no events array at /events"));
    }
}
