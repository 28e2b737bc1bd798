//! Body decoders: the bytes of one answer → records, each either data or a protocol
//! control message (ping, heartbeat, open, close…), which is counted apart and never as
//! an event.
//!
//! | decoder      | body                                               | record                                  |
//! |--------------|----------------------------------------------------|-----------------------------------------|
//! | `json`       | one JSON document                                  | the document                            |
//! | `json_lines` | one JSON document per line                         | each line                               |
//! | `engineio`   | Engine.IO v4 packets `0`…`6`, separated by 0x1e     | `{"type":"ping"}`, `{"type":"message","data":…}` |
//! | `socketio`   | Engine.IO v4 carrying Socket.IO v5 packets          | `{"type":"event","nsp":"/","name":…,"args":[…]}` |
//! | `sockjs`     | SockJS frames `o`, `h`, `a[…]`, `c[…]`, one a line  | `{"type":"message","data":…}` per item  |
//! | `signalr`    | JSON records each ended by 0x1e (SignalR)           | the record as sent                      |
//!
//! A text message that is itself JSON (`a["{\"seq\":1}"]`, `4{"seq":1}`) is given as that
//! JSON, so selectors and sequence pointers reach inside it.
//!
//! Pure; never panics on any input (see the property tests).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::bounded::Budget;

/// ASCII record separator: Engine.IO v4 payloads and SignalR records.
pub const RECORD_SEPARATOR: char = '\u{1e}';

/// How an answer's body is cut into records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decoder {
    /// One JSON document (leading whitespace, e.g. CouchDB heartbeats, is skipped).
    #[default]
    Json,
    /// Newline-delimited JSON: one document a line.
    JsonLines,
    /// Engine.IO v4 HTTP long-polling payload.
    #[serde(rename = "engineio")]
    EngineIo,
    /// Socket.IO v5 over Engine.IO v4.
    #[serde(rename = "socketio")]
    SocketIo,
    /// SockJS frames (xhr-polling and friends).
    #[serde(rename = "sockjs")]
    SockJs,
    /// ASP.NET Core SignalR JSON hub protocol: records ended by 0x1e.
    #[serde(rename = "signalr")]
    SignalR,
}

impl Decoder {
    /// Every decoder, in menu order.
    pub const ALL: [Self; 6] = [
        Self::Json,
        Self::JsonLines,
        Self::EngineIo,
        Self::SocketIo,
        Self::SockJs,
        Self::SignalR,
    ];

    /// Stable name (as saved and as typed on the command line).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::JsonLines => "json_lines",
            Self::EngineIo => "engineio",
            Self::SocketIo => "socketio",
            Self::SockJs => "sockjs",
            Self::SignalR => "signalr",
        }
    }

    /// The decoder called `name`.
    #[must_use]
    pub fn by_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }

    /// One line for menus.
    #[must_use]
    pub fn summary(self) -> &'static str {
        match self {
            Self::Json => "one JSON document",
            Self::JsonLines => "one JSON document per line",
            Self::EngineIo => "Engine.IO v4 packets, 0x1e between them",
            Self::SocketIo => "Socket.IO v5 packets in Engine.IO v4",
            Self::SockJs => "SockJS frames o, h, a[…], c[…]",
            Self::SignalR => "SignalR JSON records, each ended by 0x1e",
        }
    }

    /// Decode one answer body.
    #[must_use]
    pub fn decode(self, body: &[u8]) -> Decoded {
        let mut out = Decoded {
            budget: Budget::new(body.len(), super::bounded::FACTOR),
            ..Decoded::default()
        };
        match self {
            Self::Json => match out.budget.parse(body) {
                Ok(value) => out.data(value),
                Err(e) => out.not_json = Some(e.to_string()),
            },
            Self::JsonLines => json_lines(body, &mut out),
            Self::EngineIo => engine_io(body, false, &mut out),
            Self::SocketIo => engine_io(body, true, &mut out),
            Self::SockJs => sockjs(body, &mut out),
            Self::SignalR => signalr(body, &mut out),
        }
        out.truncated = out.truncated.saturating_add(out.budget.skipped());
        out
    }
}

/// One decoded record.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The record (for framed protocols, `{"type": …, …}`).
    pub value: Value,
    /// For a protocol control message: its kind (`ping`, `heartbeat`, `open`…).
    pub control: Option<&'static str>,
}

/// What a decoder made of one body.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decoded {
    /// The records, in body order.
    pub records: Vec<Record>,
    /// Parts that could not be decoded (each also kept as a text record, never lost).
    pub problems: Vec<String>,
    /// For the `json` decoder: why the body is not JSON.
    pub not_json: Option<String>,
    /// Records, array items and object members left out to bound memory (see
    /// [`super::bounded`]): counted, not kept.
    pub truncated: u64,
    /// What the records' `Value`s may take, shared by all records of the body.
    budget: Budget,
}

impl Decoded {
    /// Whether another record may be kept ([`super::bounded::MAX_ITEMS`] at most; the
    /// rest are counted).
    fn room(&mut self) -> bool {
        if self.records.len() < super::bounded::MAX_ITEMS {
            return true;
        }
        self.truncated = self.truncated.saturating_add(1);
        false
    }

    fn data(&mut self, value: Value) {
        if self.room() {
            self.records.push(Record {
                value,
                control: None,
            });
        }
    }

    fn control(&mut self, kind: &'static str, value: Value) {
        if self.room() {
            self.records.push(Record {
                value,
                control: Some(kind),
            });
        }
    }

    fn problem(&mut self, what: String, raw: &str) {
        self.problems.push(what);
        self.data(Value::String(raw.to_owned()));
    }
}

/// `text` as JSON when it is a JSON document, else as a JSON string.
fn json_or_text(text: &str, budget: &mut Budget) -> Value {
    let t = text.trim();
    if t.starts_with(['{', '[', '"']) || t == "true" || t == "false" || t == "null" {
        if let Ok(v) = budget.parse(t.as_bytes()) {
            return v;
        }
    } else if !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'e' | b'E' | b'+'))
        && let Ok(v) = budget.parse(t.as_bytes())
    {
        return v;
    }
    Value::String(text.to_owned())
}

fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn json_lines(body: &[u8], out: &mut Decoded) {
    let text = String::from_utf8_lossy(body);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if !out.room() {
            continue;
        }
        match out.budget.parse(line.as_bytes()) {
            Ok(v) => out.data(v),
            Err(e) => out.problem(format!("line {:?} is not JSON ({e})", excerpt(line)), line),
        }
    }
}

/// Engine.IO v4: packets separated by 0x1e; a packet is a type digit and its data, or
/// `b` and base64 for binary.
fn engine_io(body: &[u8], socket_io: bool, out: &mut Decoded) {
    let text = String::from_utf8_lossy(body);
    for packet in text.split(RECORD_SEPARATOR).filter(|p| !p.is_empty()) {
        if !out.room() {
            continue;
        }
        let mut chars = packet.chars();
        let kind = chars.next().unwrap_or('?');
        let data = chars.as_str();
        match kind {
            '0' => {
                let data = json_or_text(data, &mut out.budget);
                out.control("open", json!({"type": "open", "data": data}));
            }
            '1' => out.control("close", json!({"type": "close"})),
            '2' => out.control("ping", json!({"type": "ping", "data": data})),
            '3' => out.control("pong", json!({"type": "pong", "data": data})),
            '4' if socket_io => socket_io_packet(data, out),
            '4' => {
                let data = json_or_text(data, &mut out.budget);
                out.data(json!({"type": "message", "data": data}));
            }
            '5' => out.control("upgrade", json!({"type": "upgrade"})),
            '6' => out.control("noop", json!({"type": "noop"})),
            'b' => out.data(json!({"type": "message", "binary": true, "data": data})),
            _ => out.problem(
                format!("not an Engine.IO packet: {:?}", excerpt(packet)),
                packet,
            ),
        }
    }
}

/// Socket.IO v5: `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`.
fn socket_io_packet(packet: &str, out: &mut Decoded) {
    let mut rest = packet;
    let Some(kind) = rest.chars().next() else {
        out.problem("empty Socket.IO packet".to_owned(), packet);
        return;
    };
    rest = &rest[kind.len_utf8()..];
    let mut attachments = None;
    if let Some(dash) = rest.find('-')
        && dash > 0
        && rest[..dash].bytes().all(|b| b.is_ascii_digit())
    {
        attachments = rest[..dash].parse::<u64>().ok();
        rest = &rest[dash + 1..];
    }
    let mut nsp = "/";
    if rest.starts_with('/') {
        let end = rest.find(',').unwrap_or(rest.len());
        nsp = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
    }
    let id_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = rest[..id_len].parse::<u64>().ok();
    let payload = &rest[id_len..];
    let data = if payload.is_empty() {
        Value::Null
    } else {
        match out.budget.parse(payload.as_bytes()) {
            Ok(v) => v,
            Err(e) => {
                out.problem(
                    format!(
                        "Socket.IO packet payload is not JSON ({e}): {:?}",
                        excerpt(packet)
                    ),
                    packet,
                );
                return;
            }
        }
    };
    let mut record = json!({"type": "", "nsp": nsp});
    if let Some(id) = id {
        record["id"] = id.into();
    }
    if let Some(n) = attachments {
        record["attachments"] = n.into();
    }
    let (type_name, control) = match kind {
        '0' => ("connect", Some("connect")),
        '1' => ("disconnect", Some("disconnect")),
        '2' | '5' => ("event", None),
        '3' | '6' => ("ack", Some("ack")),
        '4' => ("connect_error", Some("connect_error")),
        _ => {
            out.problem(
                format!("not a Socket.IO packet: {:?}", excerpt(packet)),
                packet,
            );
            return;
        }
    };
    record["type"] = type_name.into();
    match (type_name, data) {
        ("event", Value::Array(mut args)) if !args.is_empty() => {
            let name = args.remove(0);
            record["name"] = name;
            record["args"] = Value::Array(args);
        }
        ("ack", Value::Array(args)) => record["args"] = Value::Array(args),
        (_, data) => record["data"] = data,
    }
    match control {
        Some(kind) => out.control(kind, record),
        None => out.data(record),
    }
}

/// SockJS frames, one a line: `o` open, `h` heartbeat, `a[…]` messages, `c[code,reason]`
/// close (and the older `m"…"` single message).
fn sockjs(body: &[u8], out: &mut Decoded) {
    let text = String::from_utf8_lossy(body);
    for frame in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        let Some(kind) = frame.chars().next() else {
            continue;
        };
        if !out.room() {
            continue;
        }
        let rest = &frame[kind.len_utf8()..];
        match kind {
            'o' if rest.is_empty() => out.control("open", json!({"type": "open"})),
            'h' if rest.is_empty() => out.control("heartbeat", json!({"type": "heartbeat"})),
            'a' => match out.budget.parse(rest.as_bytes()) {
                Ok(Value::Array(items)) => {
                    for item in items {
                        let data = match &item {
                            Value::String(s) => json_or_text(s, &mut out.budget),
                            _ => item,
                        };
                        out.data(json!({"type": "message", "data": data}));
                    }
                }
                Ok(_) => out.problem("bad SockJS message frame (not an array)".to_owned(), frame),
                Err(e) => out.problem(format!("bad SockJS message frame ({e})"), frame),
            },
            'm' => match out.budget.parse(rest.as_bytes()) {
                Ok(Value::String(s)) => {
                    let data = json_or_text(&s, &mut out.budget);
                    out.data(json!({"type": "message", "data": data}));
                }
                Ok(other) => out.data(json!({"type": "message", "data": other})),
                Err(e) => out.problem(format!("bad SockJS message frame ({e})"), frame),
            },
            'c' => {
                let (code, reason) = match out.budget.parse(rest.as_bytes()) {
                    Ok(Value::Array(v)) => (
                        v.first().cloned().unwrap_or(Value::Null),
                        v.get(1).cloned().unwrap_or(Value::Null),
                    ),
                    _ => (Value::Null, Value::String(rest.to_owned())),
                };
                out.control(
                    "close",
                    json!({"type": "close", "code": code, "reason": reason}),
                );
            }
            _ => out.problem(format!("not a SockJS frame: {:?}", excerpt(frame)), frame),
        }
    }
}

/// SignalR's JSON hub protocol: each record ends with 0x1e. Invocations (1), stream
/// items (2) and stream invocations (4) are data; the handshake answer (no `type`),
/// completions (3), cancels (5), pings (6), close (7), acks (8) and sequence (9) are
/// control.
fn signalr(body: &[u8], out: &mut Decoded) {
    let text = String::from_utf8_lossy(body);
    for record in text.split(RECORD_SEPARATOR) {
        if record.trim().is_empty() || !out.room() {
            continue;
        }
        match out.budget.parse(record.as_bytes()) {
            Ok(v) => {
                let kind = match v.get("type").and_then(Value::as_i64) {
                    None => Some("handshake"),
                    Some(1 | 2 | 4) => None,
                    Some(3) => Some("completion"),
                    Some(5) => Some("cancel"),
                    Some(6) => Some("ping"),
                    Some(7) => Some("close"),
                    Some(8) => Some("ack"),
                    Some(9) => Some("sequence"),
                    Some(_) => Some("unknown"),
                };
                match kind {
                    Some(kind) => out.control(kind, v),
                    None => out.data(v),
                }
            }
            Err(e) => out.problem(
                format!("SignalR record is not JSON ({e}): {:?}", excerpt(record)),
                record,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(d: &Decoded) -> Vec<Option<&'static str>> {
        d.records.iter().map(|r| r.control).collect()
    }

    #[test]
    fn json_and_json_lines() {
        let d = Decoder::Json.decode(b"\n\n{\"a\":1}\n");
        assert_eq!(d.records[0].value, json!({"a": 1}));
        assert!(Decoder::Json.decode(b"<html>").not_json.is_some());
        let d = Decoder::JsonLines.decode(b"{\"seq\":1}\n\n{\"seq\":2}\r\nnope\n");
        assert_eq!(d.records.len(), 3);
        assert_eq!(d.records[1].value, json!({"seq": 2}));
        assert_eq!(d.records[2].value, json!("nope"));
        assert_eq!(d.problems.len(), 1);
    }

    #[test]
    fn engine_io_packets_split_on_the_record_separator() {
        let body = "0{\"sid\":\"abc\",\"pingInterval\":25000}\u{1e}2\u{1e}4hello\u{1e}4{\"seq\":3}\u{1e}6\u{1e}1";
        let d = Decoder::EngineIo.decode(body.as_bytes());
        assert_eq!(
            kinds(&d),
            vec![
                Some("open"),
                Some("ping"),
                None,
                None,
                Some("noop"),
                Some("close")
            ]
        );
        assert_eq!(d.records[0].value["data"]["sid"], "abc");
        assert_eq!(d.records[2].value["data"], "hello");
        assert_eq!(d.records[3].value["data"]["seq"], 3);
        assert!(d.problems.is_empty());
        let bad = Decoder::EngineIo.decode(b"9x");
        assert_eq!(bad.problems.len(), 1);
    }

    #[test]
    fn socket_io_packets() {
        let body = "40{\"sid\":\"n1\"}\u{1e}42[\"msg\",{\"seq\":1}]\u{1e}42/admin,7[\"x\",1,2]\u{1e}2\u{1e}41\u{1e}451-[\"up\",{\"_placeholder\":true,\"num\":0}]\u{1e}43/a,9[\"ok\"]";
        let d = Decoder::SocketIo.decode(body.as_bytes());
        assert_eq!(
            kinds(&d),
            vec![
                Some("connect"),
                None,
                None,
                Some("ping"),
                Some("disconnect"),
                None,
                Some("ack")
            ]
        );
        assert_eq!(d.records[0].value["data"]["sid"], "n1");
        assert_eq!(
            d.records[1].value,
            json!({"type":"event","nsp":"/","name":"msg","args":[{"seq":1}]})
        );
        assert_eq!(d.records[2].value["nsp"], "/admin");
        assert_eq!(d.records[2].value["id"], 7);
        assert_eq!(d.records[2].value["args"], json!([1, 2]));
        assert_eq!(d.records[5].value["attachments"], 1);
        assert_eq!(d.records[6].value["id"], 9);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        let bad = Decoder::SocketIo.decode("42[oops".as_bytes());
        assert_eq!(bad.problems.len(), 1);
        assert_eq!(bad.records.len(), 1, "kept as text");
    }

    #[test]
    fn sockjs_frames() {
        let d = Decoder::SockJs.decode(b"o\n");
        assert_eq!(kinds(&d), vec![Some("open")]);
        let d = Decoder::SockJs.decode(b"a[\"{\\\"seq\\\":1}\",\"plain\"]\n");
        assert_eq!(d.records[0].value["data"]["seq"], 1);
        assert_eq!(d.records[1].value["data"], "plain");
        let d = Decoder::SockJs.decode(b"h\nc[3000,\"Go away!\"]\n");
        assert_eq!(kinds(&d), vec![Some("heartbeat"), Some("close")]);
        assert_eq!(d.records[1].value["code"], 3000);
        assert_eq!(d.records[1].value["reason"], "Go away!");
        assert_eq!(Decoder::SockJs.decode(b"x\n").problems.len(), 1);
    }

    #[test]
    fn signalr_records() {
        let body = "{}\u{1e}{\"type\":6}\u{1e}{\"type\":1,\"target\":\"send\",\"arguments\":[{\"seq\":4}]}\u{1e}{\"type\":7,\"error\":\"bye\"}\u{1e}";
        let d = Decoder::SignalR.decode(body.as_bytes());
        assert_eq!(
            kinds(&d),
            vec![Some("handshake"), Some("ping"), None, Some("close")]
        );
        assert_eq!(d.records[2].value["arguments"][0]["seq"], 4);
    }

    #[test]
    fn names_round_trip() {
        for d in Decoder::ALL {
            assert_eq!(Decoder::by_name(d.name()), Some(d));
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(json, format!("\"{}\"", d.name()));
            assert!(!d.summary().is_empty());
        }
    }

    #[test]
    fn records_past_the_cap_are_counted_not_kept() {
        let max = crate::protocol::bounded::MAX_ITEMS;
        let lines = "0\n".repeat(max + 500);
        let d = Decoder::JsonLines.decode(lines.as_bytes());
        assert_eq!((d.records.len(), d.truncated), (max, 500));
        let frame = format!("a[{}]", vec!["1"; max + 7].join(","));
        let d = Decoder::SockJs.decode(frame.as_bytes());
        assert_eq!(d.records.len(), max);
        assert_eq!(d.truncated, 7);
    }

    #[test]
    fn framed_records_share_one_budget() {
        // 300 SignalR records of 1,000 one-member objects each: every record is small,
        // all of them together are ~100 × the body in `Value`s.
        let items = vec![r#"{"a":1}"#; 1000].join(",");
        let record = format!(r#"{{"type":1,"arguments":[{items}]}}"#);
        let body = format!("{record}\u{1e}").repeat(300);
        let d = Decoder::SignalR.decode(body.as_bytes());
        let kept: usize = d
            .records
            .iter()
            .map(|r| r.value["arguments"].as_array().map_or(0, Vec::len))
            .sum();
        assert!(kept < 150_000, "kept {kept} of 300,000");
        assert!(d.truncated > 0);
    }
}
