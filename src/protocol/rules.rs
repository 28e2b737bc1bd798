//! What a session's rules make of one answer: which messages are control messages,
//! which need a reply, whether the session is gone or the answer reports a failure, the
//! delay the server advises, and the variables the answer sets.
//!
//! Pure; the poll engine acts on the result.

use std::time::Duration;

use serde_json::Value;

use super::matcher::{Match, as_text};
use super::spec::{Extract, SessionSpec};

/// Longest delay a server may advise between polls.
pub const MAX_ADVISED_DELAY: Duration = Duration::from_mins(5);

/// A variable an answer set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    /// The variable.
    pub var: String,
    /// Its new value.
    pub value: String,
    /// Whether the value is a secret.
    pub secret: bool,
}

/// What the rules say about one answer's control messages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Signals {
    /// Index into `SessionSpec::replies` for each control message that needs an answer,
    /// in message order.
    pub replies: Vec<usize>,
    /// The session is gone: why.
    pub restart: Option<String>,
    /// The answer reports a failure: what it says.
    pub failure: Option<String>,
    /// The server's advised wait before the next poll.
    pub delay: Option<Duration>,
    /// Variables the answer set.
    pub extracted: Vec<Extracted>,
}

impl SessionSpec {
    /// Whether `message` is a control message by the profile's conditions (any
    /// condition of the session, not only `control`: a message that needs a reply,
    /// ends the session or reports a failure is never an event).
    #[must_use]
    pub fn is_control(&self, message: &Value) -> bool {
        self.control
            .iter()
            .chain(self.replies.iter().map(|r| &r.when))
            .chain(&self.restart_when)
            .chain(&self.fail_when)
            .any(|m| m.matches_message(message))
    }

    /// Whether a whole answer says the session is gone (Socket.IO `400 {"code":1}`,
    /// SignalR `404`), and why.
    #[must_use]
    pub fn answer_restart(&self, status: u16, body: &[u8]) -> Option<String> {
        let m = self
            .restart_when
            .iter()
            .find(|m| m.matches_answer(status, body))?;
        Some(format!("server answered {}{}", m.describe(), excerpt(body)))
    }

    /// What the rules make of an answer's control messages and records.
    #[must_use]
    pub fn signals(
        &self,
        control: &[&Value],
        records: &[&Value],
        headers: &[(String, String)],
    ) -> Signals {
        let mut out = Signals::default();
        for message in control {
            if let Some(i) = self
                .replies
                .iter()
                .position(|r| r.when.matches_message(message))
            {
                out.replies.push(i);
            }
            if out.restart.is_none()
                && let Some(m) = first_match(&self.restart_when, message)
            {
                out.restart = Some(format!("{} in {}", m.describe(), short(message)));
            }
            if out.failure.is_none() && first_match(&self.fail_when, message).is_some() {
                out.failure = Some(format!("the server reported a failure: {}", short(message)));
            }
            if out.delay.is_none()
                && let Some(p) = self.delay_ms_pointer.as_deref()
                && let Some(ms) = message.pointer(p).and_then(Value::as_u64)
                && ms > 0
            {
                out.delay = Some(Duration::from_millis(ms).min(MAX_ADVISED_DELAY));
            }
        }
        // A failure that also ends the session is a restart, not a failure.
        if out.restart.is_some() {
            out.failure = None;
        }
        let values: Vec<&Value> = records.iter().chain(control).copied().collect();
        out.extracted = extract(&self.extract, headers, &values).0;
        out
    }
}

fn first_match<'a>(conditions: &'a [Match], message: &Value) -> Option<&'a Match> {
    conditions.iter().find(|m| m.matches_message(message))
}

/// The variables `rules` read from an answer: each from a header, or from the first of
/// `values` that has its pointer. Also the names not found.
#[must_use]
pub fn extract(
    rules: &[Extract],
    headers: &[(String, String)],
    values: &[&Value],
) -> (Vec<Extracted>, Vec<String>) {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for e in rules {
        let value = if let Some(h) = &e.header {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(h.trim()))
                .map(|(_, v)| v.trim().to_owned())
        } else if let Some(p) = &e.pointer {
            values
                .iter()
                .find_map(|v| if p.is_empty() { Some(*v) } else { v.pointer(p) })
                .filter(|v| !v.is_null())
                .map(as_text)
        } else {
            None
        };
        match value {
            Some(value) => found.push(Extracted {
                var: e.var.clone(),
                value,
                secret: e.secret,
            }),
            None => missing.push(e.var.clone()),
        }
    }
    (found, missing)
}

/// A short label for a control message: the decoder's kind, else its `channel` or
/// `type` (Bayeux `/meta/connect`, SignalR `6`), else "control".
#[must_use]
pub fn control_label(decoder_kind: Option<&str>, message: &Value) -> String {
    if let Some(k) = decoder_kind {
        return k.to_owned();
    }
    for key in ["/channel", "/type"] {
        if let Some(v) = message.pointer(key)
            && (v.is_string() || v.is_number())
        {
            return as_text(v);
        }
    }
    "control".to_owned()
}

/// A message as short text for reasons.
fn short(v: &Value) -> String {
    let mut text = v.to_string();
    if text.len() > 160 {
        let mut end = 160;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let mut out: String = text.chars().take(120).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    format!(": {out}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::spec::{Reply, RequestSpec};
    use serde_json::json;

    fn bayeux() -> SessionSpec {
        SessionSpec {
            control: vec![Match::prefix("/channel", "/meta/")],
            restart_when: vec![Match::equals("/advice/reconnect", "handshake")],
            fail_when: vec![Match::equals("/successful", "false")],
            delay_ms_pointer: Some("/advice/interval".to_owned()),
            ..SessionSpec::default()
        }
    }

    #[test]
    fn bayeux_unknown_client_is_a_restart_not_a_failure() {
        let s = bayeux();
        let gone = json!({"channel":"/meta/connect","successful":false,"error":"401::Unknown client","advice":{"reconnect":"handshake"}});
        assert!(s.is_control(&gone));
        let sig = s.signals(&[&gone], &[], &[]);
        assert!(
            sig.restart
                .unwrap()
                .contains("/advice/reconnect = handshake")
        );
        assert_eq!(sig.failure, None);
        let refused = json!({"channel":"/meta/connect","successful":false,"error":"403::denied","advice":{"reconnect":"none"}});
        let sig = s.signals(&[&refused], &[], &[]);
        assert_eq!(sig.restart, None);
        assert!(sig.failure.unwrap().contains("403::denied"));
        let ok = json!({"channel":"/meta/connect","successful":true,"advice":{"reconnect":"retry","interval":250}});
        let sig = s.signals(&[&ok], &[], &[]);
        assert_eq!(
            sig,
            Signals {
                delay: Some(Duration::from_millis(250)),
                ..Signals::default()
            }
        );
        assert!(!s.is_control(&json!({"channel":"/chat","data":{}})));
    }

    #[test]
    fn engine_io_ping_needs_a_pong_and_answers_can_end_the_session() {
        let s = SessionSpec {
            replies: vec![Reply {
                when: Match::equals("/type", "ping"),
                request: RequestSpec::new("POST", "", Some("3")),
            }],
            restart_when: vec![
                Match::status(400, "/code", Some("1")),
                Match::equals("/type", "close"),
            ],
            ..SessionSpec::default()
        };
        let ping = json!({"type":"ping","data":""});
        let close = json!({"type":"close"});
        let sig = s.signals(&[&ping, &ping], &[], &[]);
        assert_eq!(sig.replies, vec![0, 0]);
        assert!(s.signals(&[&close], &[], &[]).restart.is_some());
        let why = s
            .answer_restart(400, br#"{"code":1,"message":"Session ID unknown"}"#)
            .unwrap();
        assert!(why.contains("HTTP 400 with /code = 1"), "{why}");
        assert!(why.contains("Session ID unknown"), "{why}");
        assert_eq!(s.answer_restart(400, br#"{"code":3}"#), None);
        assert_eq!(s.answer_restart(200, b""), None);
    }

    #[test]
    fn extraction_from_headers_records_and_messages() {
        let rules = vec![
            Extract::pointer("sid", "/data/sid", true),
            Extract {
                var: "last".to_owned(),
                header: Some("X-Last".to_owned()),
                ..Extract::default()
            },
            Extract::pointer("n", "/n", false),
            Extract::pointer("gone", "/nope", false),
        ];
        let open = json!({"type":"open","data":{"sid":"abc"}});
        let num = json!({"n": 5});
        let headers = vec![("x-last".to_owned(), " 42 ".to_owned())];
        let (found, missing) = extract(&rules, &headers, &[&num, &open]);
        assert_eq!(
            found,
            vec![
                Extracted {
                    var: "sid".into(),
                    value: "abc".into(),
                    secret: true
                },
                Extracted {
                    var: "last".into(),
                    value: "42".into(),
                    secret: false
                },
                Extracted {
                    var: "n".into(),
                    value: "5".into(),
                    secret: false
                },
            ]
        );
        assert_eq!(missing, vec!["gone".to_owned()]);
        assert_eq!(
            control_label(None, &json!({"channel":"/meta/connect"})),
            "/meta/connect"
        );
        assert_eq!(control_label(None, &json!({"type":6})), "6");
        assert_eq!(control_label(Some("ping"), &json!({})), "ping");
    }
}
