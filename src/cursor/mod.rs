//! Cursor rules: read the server's cursor from one answer and apply it to the next
//! request, so a poller never misses nor repeats an event between polls.
//!
//! Pure functions over already-parsed answers; no I/O, no threads. Must not depend on the
//! poll engine or any UI.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::url_query;

mod options;
pub use options::{CursorOptions, Resync, ResyncRule};

/// How the cursor travels from an answer to the next request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CursorRule {
    /// Every poll is the same request.
    #[default]
    None,
    /// A value in the JSON body (e.g. `/last_seq`) → query parameter (e.g. `since`),
    /// plus `plus` when the value is an integer and `plus` is not 0 (etcd:
    /// `waitIndex = node.modifiedIndex + 1`).
    BodyPointer {
        /// JSON pointer to the value in the body.
        pointer: String,
        /// Query parameter that carries it.
        param: String,
        /// Added to an integer value (0: the value is sent as it is).
        #[serde(default, skip_serializing_if = "is_zero")]
        plus: i64,
    },
    /// A response header (e.g. `X-Consul-Index`) → query parameter (e.g. `index`).
    Header {
        /// Response header holding the cursor (any case).
        header: String,
        /// Query parameter that carries it.
        param: String,
    },
    /// HTTP validators: `ETag` → `If-None-Match` and `Last-Modified` →
    /// `If-Modified-Since`, both sent at once (Nchan).
    Validators,
    /// The maximum of a per-event integer field plus `plus` → query parameter
    /// (Telegram: `offset = max(update_id) + 1`).
    MaxField {
        /// JSON pointer, inside each event, to an integer.
        field: String,
        /// Added to the maximum.
        plus: i64,
        /// Query parameter that carries the result.
        param: String,
    },
}

/// Longest cursor followed, in bytes as sent (a query value percent-encoded, a header
/// value as it is). A server that hands out a longer one (a 100,000-character cursor
/// made every later request fail with "URI too long") is not followed: the poll fails
/// with its own error kind and the poller restarts as the profile says
/// ([`CursorOptions::restart_value`]). Real cursors (CouchDB sequences included) are
/// far shorter; the transport's request buffer has room for one this long.
pub const MAX_CURSOR_BYTES: usize = 2048;

/// A numeric cursor or sequence number moving by more than this at once (forward), or
/// back by more than [`MAX_SEQ_REWIND`], is a restart of the numbering, not billions of
/// lost events or a run of duplicates.
pub const MAX_SEQ_JUMP: u64 = 1_000_000;

/// See [`MAX_SEQ_JUMP`]: a step back by more than this is a restart. Smaller steps back
/// are redeliveries (duplicates).
pub const MAX_SEQ_REWIND: u64 = 10_000;

/// A poller's position in the server's stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Query-parameter cursor value.
    pub value: Option<String>,
    /// The last `ETag` (sent back as `If-None-Match`).
    pub etag: Option<String>,
    /// The last `Last-Modified` (sent back as `If-Modified-Since`).
    pub last_modified: Option<String>,
}

impl Cursor {
    /// A cursor starting at `initial` (for query-parameter rules).
    #[must_use]
    pub fn starting_at(initial: Option<&str>) -> Self {
        Self {
            value: initial.map(str::to_owned),
            ..Self::default()
        }
    }

    /// This cursor's size in bytes as it is sent (the query value percent-encoded, or
    /// the two validator headers together), to hold against [`MAX_CURSOR_BYTES`].
    #[must_use]
    pub fn sent_len(&self) -> usize {
        let value = self.value.as_deref().map_or(0, |v| {
            url::form_urlencoded::byte_serialize(v.as_bytes())
                .map(str::len)
                .sum()
        });
        let etag = self.etag.as_deref().map_or(0, str::len);
        let since = self.last_modified.as_deref().map_or(0, str::len);
        value.max(etag + since)
    }

    /// Short human text: `cursor=42`, `etag="x" since Tue, …`, or `(none)`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.value {
            parts.push(v.clone());
        }
        if let Some(e) = &self.etag {
            parts.push(format!("etag {e}"));
        }
        if let Some(m) = &self.last_modified {
            parts.push(format!("since {m}"));
        }
        if parts.is_empty() {
            "(none)".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// What a cursor rule may look at in one answer.
#[derive(Clone, Copy, Debug)]
pub struct Answer<'a> {
    /// HTTP status.
    pub status: u16,
    /// Response headers as received.
    pub headers: &'a [(String, String)],
    /// The parsed body, when it was JSON.
    pub body: Option<&'a Value>,
    /// The events found in the body.
    pub events: &'a [Value],
}

impl Answer<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a cursor could not be read from an answer. The old cursor is kept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// The rule reads the body, which is not JSON.
    #[error("the body is not JSON, so the cursor at {pointer} cannot be read")]
    NotJson {
        /// Where the cursor was looked for.
        pointer: String,
    },
    /// The body has events but nothing at the cursor's pointer.
    #[error("no cursor at {pointer} in the body")]
    MissingInBody {
        /// Where the cursor was looked for.
        pointer: String,
    },
    /// The value at the pointer cannot be a cursor (or is not an integer for `plus`).
    #[error("cursor at {pointer} is {found}, expected a string or a number")]
    WrongType {
        /// Where the value is.
        pointer: String,
        /// Its JSON type, in words ([`json_type`]).
        found: &'static str,
    },
    /// The answer lacks the header the rule reads.
    #[error("no {header} header in the answer")]
    MissingHeader {
        /// The header's name.
        header: String,
    },
    /// Some events lack the integer field [`CursorRule::MaxField`] reads.
    #[error("event field {field} is missing or not an integer in {count} event(s)")]
    BadField {
        /// The field's pointer.
        field: String,
        /// Events without a usable value.
        count: usize,
    },
}

/// Whether an answer means "nothing new, held until timeout": 204, 304, 408, or a 200
/// with an empty (or whitespace-only) body. Such answers keep the cursor.
#[must_use]
pub fn is_empty_answer(status: u16, body: &[u8]) -> bool {
    matches!(status, 204 | 304 | 408) || (status == 200 && body.iter().all(u8::is_ascii_whitespace))
}

impl CursorRule {
    /// Check the rule's own fields.
    pub fn validate(&self) -> Result<(), String> {
        let need = |what: &str, v: &str| {
            if v.trim().is_empty() {
                Err(format!("{what} must not be empty"))
            } else {
                Ok(())
            }
        };
        let pointer = |v: &str| {
            if v.is_empty() || v.starts_with('/') {
                Ok(())
            } else {
                Err(format!(
                    "JSON pointer {v:?} must be empty or start with '/'"
                ))
            }
        };
        // An empty query parameter is fine: the value is then only the `{{cursor}}`
        // variable, placed by a template (the profile checks one uses it).
        match self {
            Self::None | Self::Validators => Ok(()),
            Self::BodyPointer { pointer: p, .. } => pointer(p),
            Self::Header { header, .. } => {
                need("header", header)?;
                if ureq::http::HeaderName::from_bytes(header.trim().as_bytes()).is_err() {
                    return Err(format!("{header:?} is not a valid header name"));
                }
                Ok(())
            }
            Self::MaxField { field, .. } => pointer(field),
        }
    }

    /// The query parameter this rule writes, if any (none when it is left empty: the
    /// value is then only the `{{cursor}}` variable).
    #[must_use]
    pub fn param(&self) -> Option<&str> {
        match self {
            Self::BodyPointer { param, .. }
            | Self::Header { param, .. }
            | Self::MaxField { param, .. } => Some(param.as_str()).filter(|p| !p.trim().is_empty()),
            Self::None | Self::Validators => None,
        }
    }

    /// Whether this rule produces a `cursor` value (every rule but none and validators,
    /// whose values are `etag` and `last_modified`).
    #[must_use]
    pub fn reads_value(&self) -> bool {
        !matches!(self, Self::None | Self::Validators)
    }

    /// Whether this rule reads a pointer in the whole JSON body.
    #[must_use]
    pub fn reads_body(&self) -> bool {
        matches!(self, Self::BodyPointer { .. })
    }

    /// Whether this rule reads the answer as JSON (a pointer into the body, or a field of
    /// each event): a body that is not JSON then leaves the cursor stuck, worth saying.
    #[must_use]
    pub fn needs_json(&self) -> bool {
        match self {
            Self::BodyPointer { .. } | Self::MaxField { .. } => true,
            Self::None | Self::Header { .. } | Self::Validators => false,
        }
    }

    /// Put the cursor into the next request's URL.
    pub fn apply_to_url(&self, cursor: &Cursor, url: &mut Url) {
        if let (Some(param), Some(value)) = (self.param(), &cursor.value) {
            url_query::set_param(url, param, value);
        }
    }

    /// Request headers carrying the cursor (validators only).
    #[must_use]
    pub fn request_headers(&self, cursor: &Cursor) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if matches!(self, Self::Validators) {
            if let Some(etag) = &cursor.etag {
                out.push(("If-None-Match", etag.clone()));
            }
            if let Some(lm) = &cursor.last_modified {
                out.push(("If-Modified-Since", lm.clone()));
            }
        }
        out
    }

    /// The cursor after a non-empty answer. On error the caller keeps `cursor`.
    pub fn advance(&self, cursor: &Cursor, answer: &Answer<'_>) -> Result<Cursor, CursorError> {
        let mut next = cursor.clone();
        match self {
            Self::None => {}
            Self::BodyPointer { pointer, plus, .. } => {
                let Some(body) = answer.body else {
                    return Err(CursorError::NotJson {
                        pointer: pointer.clone(),
                    });
                };
                match body.pointer(pointer) {
                    Some(v) if *plus != 0 => {
                        let n = as_i64(v).ok_or_else(|| CursorError::WrongType {
                            pointer: pointer.clone(),
                            found: json_type(v),
                        })?;
                        next.value = Some(n.saturating_add(*plus).to_string());
                    }
                    Some(v) => next.value = Some(scalar(pointer, v)?),
                    // An answer without events and without a cursor changes nothing.
                    None if answer.events.is_empty() => {}
                    None => {
                        return Err(CursorError::MissingInBody {
                            pointer: pointer.clone(),
                        });
                    }
                }
            }
            Self::Header { header, .. } => match answer.header(header.trim()) {
                Some(v) => next.value = Some(v.trim().to_owned()),
                None => {
                    return Err(CursorError::MissingHeader {
                        header: header.clone(),
                    });
                }
            },
            Self::Validators => {
                if let Some(e) = answer.header("etag") {
                    next.etag = Some(e.to_owned());
                }
                if let Some(m) = answer.header("last-modified") {
                    next.last_modified = Some(m.to_owned());
                }
                if next.etag.is_none() && next.last_modified.is_none() {
                    return Err(CursorError::MissingHeader {
                        header: "ETag or Last-Modified".to_owned(),
                    });
                }
            }
            Self::MaxField { field, plus, .. } => {
                if let Some(max) = max_field(field, answer.events)? {
                    next.value = Some(max.saturating_add(*plus).to_string());
                }
            }
        }
        Ok(next)
    }
}

impl std::str::FromStr for CursorRule {
    type Err = String;

    /// Command-line form: `none`, `body:/pointer=param`, `header:Name=param`,
    /// `validators` (or `etag`), `max:/field+K=param`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = |rest: &str| -> Result<(String, String), String> {
            rest.rsplit_once('=')
                .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
                .ok_or_else(|| format!("{s:?}: expected ...=PARAM"))
        };
        let rule = match s.split_once(':') {
            None if s.eq_ignore_ascii_case("none") => Self::None,
            None if s.eq_ignore_ascii_case("validators") || s.eq_ignore_ascii_case("etag") => {
                Self::Validators
            }
            Some(("body", rest)) => {
                let (pointer, param) = split(rest)?;
                let (pointer, plus) = split_plus(s, pointer)?;
                Self::BodyPointer {
                    pointer,
                    param,
                    plus,
                }
            }
            Some(("header", rest)) => {
                let (header, param) = split(rest)?;
                Self::Header { header, param }
            }
            Some(("max", rest)) => {
                let (field, param) = split(rest)?;
                let (field, plus) = split_plus(s, field)?;
                Self::MaxField { field, plus, param }
            }
            _ => {
                return Err(format!(
                    "unknown cursor rule {s:?}; use none, body:/ptr=param, \
                     header:Name=param, validators, or max:/field+1=param"
                ));
            }
        };
        rule.validate().map_err(|e| format!("{s:?}: {e}"))?;
        Ok(rule)
    }
}

/// `"/a/b+1"` → (`"/a/b"`, 1); no `+` → 0.
fn split_plus(whole: &str, text: String) -> Result<(String, i64), String> {
    match text.rsplit_once('+') {
        Some((f, k)) => {
            let k = k
                .trim()
                .parse()
                .map_err(|_| format!("{whole:?}: {k:?} is not an integer"))?;
            Ok((f.to_owned(), k))
        }
        None => Ok((text, 0)),
    }
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// A JSON scalar as cursor text.
fn scalar(pointer: &str, v: &Value) -> Result<String, CursorError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(CursorError::WrongType {
            pointer: pointer.to_owned(),
            found: json_type(other),
        }),
    }
}

/// The name of a JSON value's type, for messages.
#[must_use]
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Read an integer from a JSON value (a number, or a string holding one).
#[must_use]
pub fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| {
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "a whole number below 2^53: exact"
                    )]
                    let n = f as i64;
                    n
                })
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn max_field(field: &str, events: &[Value]) -> Result<Option<i64>, CursorError> {
    let mut max = None;
    let mut bad = 0;
    for e in events {
        match e.pointer(field).and_then(as_i64) {
            Some(v) => max = Some(max.map_or(v, |m: i64| m.max(v))),
            None => bad += 1,
        }
    }
    if bad > 0 {
        return Err(CursorError::BadField {
            field: field.to_owned(),
            count: bad,
        });
    }
    Ok(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer<'a>(
        headers: &'a [(String, String)],
        body: Option<&'a Value>,
        events: &'a [Value],
    ) -> Answer<'a> {
        Answer {
            status: 200,
            headers,
            body,
            events,
        }
    }

    fn h(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn none_rule_never_changes_anything() {
        let c = Cursor::starting_at(Some("5"));
        let body = json!({"cursor": 9});
        let next = CursorRule::None
            .advance(&c, &answer(&[], Some(&body), &[]))
            .unwrap();
        assert_eq!(next, c);
        let mut url = Url::parse("http://h/p?x=1").unwrap();
        CursorRule::None.apply_to_url(&next, &mut url);
        assert_eq!(url.as_str(), "http://h/p?x=1");
    }

    #[test]
    fn body_pointer_reads_numbers_and_strings() {
        let rule = CursorRule::BodyPointer {
            pointer: "/last_seq".to_owned(),
            param: "since".to_owned(),
            plus: 0,
        };
        let events = [json!({"a": 1})];
        let body = json!({"last_seq": 42, "results": []});
        let c = rule
            .advance(&Cursor::default(), &answer(&[], Some(&body), &events))
            .unwrap();
        assert_eq!(c.value.as_deref(), Some("42"));
        let body = json!({"last_seq": "7-g1AAAA"});
        let c = rule
            .advance(&c, &answer(&[], Some(&body), &events))
            .unwrap();
        assert_eq!(c.value.as_deref(), Some("7-g1AAAA"));
        let mut url = Url::parse("http://h/_changes?feed=longpoll&since=0").unwrap();
        rule.apply_to_url(&c, &mut url);
        assert_eq!(
            url.as_str(),
            "http://h/_changes?feed=longpoll&since=7-g1AAAA"
        );
    }

    #[test]
    fn body_pointer_errors_keep_the_old_cursor() {
        let rule = CursorRule::BodyPointer {
            pointer: "/cursor".to_owned(),
            param: "cursor".to_owned(),
            plus: 0,
        };
        let events = [json!(1)];
        let old = Cursor::starting_at(Some("3"));
        let err = rule.advance(&old, &answer(&[], None, &events)).unwrap_err();
        assert!(matches!(err, CursorError::NotJson { .. }));
        let body = json!({"other": 1});
        let err = rule
            .advance(&old, &answer(&[], Some(&body), &events))
            .unwrap_err();
        assert_eq!(err.to_string(), "no cursor at /cursor in the body");
        let body = json!({"cursor": {"x": 1}});
        let err = rule
            .advance(&old, &answer(&[], Some(&body), &events))
            .unwrap_err();
        assert!(err.to_string().contains("an object"));
        // Without events a missing cursor is not an error: nothing to move past.
        let body = json!({});
        assert_eq!(
            rule.advance(&old, &answer(&[], Some(&body), &[])).unwrap(),
            old
        );
    }

    #[test]
    fn body_pointer_plus_k_for_etcd() {
        let rule: CursorRule = "body:/node/modifiedIndex+1=waitIndex".parse().unwrap();
        let events = [json!({})];
        let body = json!({"action": "set", "node": {"modifiedIndex": 41}});
        let c = rule
            .advance(&Cursor::default(), &answer(&[], Some(&body), &events))
            .unwrap();
        assert_eq!(c.value.as_deref(), Some("42"));
        let body = json!({"node": {"modifiedIndex": "x"}});
        assert!(
            rule.advance(&c, &answer(&[], Some(&body), &events))
                .is_err()
        );
    }

    #[test]
    fn header_rule_is_case_insensitive() {
        let rule = CursorRule::Header {
            header: "X-Consul-Index".to_owned(),
            param: "index".to_owned(),
        };
        let headers = [h("x-consul-index", " 1234 ")];
        let c = rule
            .advance(&Cursor::default(), &answer(&headers, None, &[]))
            .unwrap();
        assert_eq!(c.value.as_deref(), Some("1234"));
        let err = rule
            .advance(&c, &answer(&[h("etag", "x")], None, &[]))
            .unwrap_err();
        assert!(matches!(err, CursorError::MissingHeader { .. }));
        let mut url = Url::parse("http://h/v1/kv/a?index=1&wait=30s").unwrap();
        rule.apply_to_url(&c, &mut url);
        assert_eq!(url.as_str(), "http://h/v1/kv/a?wait=30s&index=1234");
    }

    #[test]
    fn validators_send_both_headers() {
        let rule = CursorRule::Validators;
        assert!(rule.request_headers(&Cursor::default()).is_empty());
        let headers = [
            h("Etag", "\"0\""),
            h("Last-Modified", "Tue, 01 Dec 2026 00:00:00 GMT"),
        ];
        let c = rule
            .advance(&Cursor::default(), &answer(&headers, None, &[]))
            .unwrap();
        assert_eq!(
            rule.request_headers(&c),
            vec![
                ("If-None-Match", "\"0\"".to_owned()),
                (
                    "If-Modified-Since",
                    "Tue, 01 Dec 2026 00:00:00 GMT".to_owned()
                )
            ]
        );
        // An answer with only an ETag keeps the old Last-Modified.
        let c2 = rule
            .advance(&c, &answer(&[h("ETag", "\"1\"")], None, &[]))
            .unwrap();
        assert_eq!(c2.etag.as_deref(), Some("\"1\""));
        assert_eq!(c2.last_modified, c.last_modified);
        assert!(
            rule.advance(&Cursor::default(), &answer(&[], None, &[]))
                .is_err()
        );
    }

    #[test]
    fn max_field_plus_k() {
        let rule = CursorRule::MaxField {
            field: "/update_id".to_owned(),
            plus: 1,
            param: "offset".to_owned(),
        };
        let events = [
            json!({"update_id": 10}),
            json!({"update_id": 12}),
            json!({"update_id": "11"}),
        ];
        let c = rule
            .advance(&Cursor::default(), &answer(&[], None, &events))
            .unwrap();
        assert_eq!(c.value.as_deref(), Some("13"));
        // No events: keep.
        assert_eq!(rule.advance(&c, &answer(&[], None, &[])).unwrap(), c);
        let bad = [json!({"update_id": 14}), json!({"x": 1})];
        let err = rule.advance(&c, &answer(&[], None, &bad)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "event field /update_id is missing or not an integer in 1 event(s)"
        );
    }

    #[test]
    fn only_rules_that_read_json_need_it() {
        let needs: Vec<bool> = [
            "none",
            "validators",
            "header:X-Index=i",
            "body:/c=c",
            "max:/id+1=o",
        ]
        .iter()
        .map(|r| r.parse::<CursorRule>().unwrap().needs_json())
        .collect();
        assert_eq!(needs, [false, false, false, true, true]);
    }

    #[test]
    fn empty_answers() {
        assert!(is_empty_answer(204, b""));
        assert!(is_empty_answer(304, b"ignored"));
        assert!(is_empty_answer(408, b"timeout"));
        assert!(is_empty_answer(200, b" \r\n"));
        assert!(!is_empty_answer(200, b"{}"));
        assert!(!is_empty_answer(500, b""));
    }

    #[test]
    fn rules_validate_their_fields() {
        assert!(
            CursorRule::BodyPointer {
                pointer: "cursor".to_owned(),
                param: "c".to_owned(),
                plus: 0,
            }
            .validate()
            .is_err()
        );
        assert!(
            CursorRule::Header {
                header: "bad header".to_owned(),
                param: "i".to_owned(),
            }
            .validate()
            .is_err()
        );
        // No query parameter: the value is only the {{cursor}} variable.
        let template_only = CursorRule::MaxField {
            field: "/id".to_owned(),
            plus: 1,
            param: String::new(),
        };
        assert!(template_only.validate().is_ok());
        assert_eq!(template_only.param(), None);
        assert!(template_only.reads_value());
        assert!(CursorRule::Validators.validate().is_ok());
        assert!(!CursorRule::Validators.reads_value());
    }

    #[test]
    fn rules_parse_from_command_line_text() {
        assert_eq!("none".parse::<CursorRule>().unwrap(), CursorRule::None);
        assert_eq!(
            "etag".parse::<CursorRule>().unwrap(),
            CursorRule::Validators
        );
        assert_eq!(
            "body:/last_seq=since".parse::<CursorRule>().unwrap(),
            CursorRule::BodyPointer {
                pointer: "/last_seq".to_owned(),
                param: "since".to_owned(),
                plus: 0,
            }
        );
        assert_eq!(
            "header:X-Consul-Index=index".parse::<CursorRule>().unwrap(),
            CursorRule::Header {
                header: "X-Consul-Index".to_owned(),
                param: "index".to_owned(),
            }
        );
        assert_eq!(
            "max:/update_id+1=offset".parse::<CursorRule>().unwrap(),
            CursorRule::MaxField {
                field: "/update_id".to_owned(),
                plus: 1,
                param: "offset".to_owned(),
            }
        );
        assert!("max:/id+x=o".parse::<CursorRule>().is_err());
        assert!("body:cursor=c".parse::<CursorRule>().is_err());
        assert!("wat".parse::<CursorRule>().is_err());
    }

    #[test]
    fn as_i64_accepts_integral_forms() {
        assert_eq!(as_i64(&json!(5)), Some(5));
        assert_eq!(as_i64(&json!(5.0)), Some(5));
        assert_eq!(as_i64(&json!("17")), Some(17));
        assert_eq!(as_i64(&json!(5.5)), None);
        assert_eq!(as_i64(&json!(null)), None);
    }
}
