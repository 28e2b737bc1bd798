//! Conditions on one message or one whole answer, as data: "the type is ping", "the
//! channel starts with /meta/", "HTTP 400 with code 1 in the body".
//!
//! Pure; never panics on any input.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A condition. With `status` it is about a whole answer (its status, and its body read
/// as JSON); without, about each decoded message of a successful answer. The value at
/// `pointer` (the whole message or body when empty) must then: equal `equals` (compared
/// as text: `ping`, `6`, `false`), start with `prefix`, be absent (`absent`), or, when
/// none of these is given, just be there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Match {
    /// The answer's HTTP status (a condition on whole answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// JSON pointer into the message or body; empty for all of it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pointer: String,
    /// The value there, as text, must be this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    /// The value there, as text, must start with this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// There must be nothing at the pointer.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub absent: bool,
}

impl Match {
    /// `pointer` equals `value` in a message.
    #[must_use]
    pub fn equals(pointer: &str, value: &str) -> Self {
        Self {
            pointer: pointer.to_owned(),
            equals: Some(value.to_owned()),
            ..Self::default()
        }
    }

    /// `pointer` starts with `prefix` in a message.
    #[must_use]
    pub fn prefix(pointer: &str, prefix: &str) -> Self {
        Self {
            pointer: pointer.to_owned(),
            prefix: Some(prefix.to_owned()),
            ..Self::default()
        }
    }

    /// An answer with `status` (and, when `pointer` is not empty, `equals` there in its
    /// JSON body).
    #[must_use]
    pub fn status(status: u16, pointer: &str, equals: Option<&str>) -> Self {
        Self {
            status: Some(status),
            pointer: pointer.to_owned(),
            equals: equals.map(str::to_owned),
            ..Self::default()
        }
    }

    /// Whether this is about whole answers (it names a status).
    #[must_use]
    pub fn on_answer(&self) -> bool {
        self.status.is_some()
    }

    /// What is wrong with it, if anything.
    pub fn check(&self) -> Result<(), String> {
        if !self.pointer.is_empty() && !self.pointer.starts_with('/') {
            return Err(format!(
                "JSON pointer {:?} must be empty or start with '/'",
                self.pointer
            ));
        }
        if self.status.is_some_and(|s| !(100..=599).contains(&s)) {
            return Err(format!("status {:?} is not an HTTP status", self.status));
        }
        if self.absent && (self.equals.is_some() || self.prefix.is_some()) {
            return Err("'absent' cannot go with 'equals' or 'prefix'".to_owned());
        }
        if self.absent && self.pointer.is_empty() {
            return Err("'absent' needs a pointer".to_owned());
        }
        Ok(())
    }

    /// Whether `message` (a decoded message) meets the condition. Conditions about whole
    /// answers never match a message.
    #[must_use]
    pub fn matches_message(&self, message: &Value) -> bool {
        !self.on_answer() && self.value_matches(message)
    }

    /// Whether an answer with `status` and `body` meets the condition. Conditions about
    /// messages never match a whole answer.
    #[must_use]
    pub fn matches_answer(&self, status: u16, body: &[u8]) -> bool {
        if self.status != Some(status) {
            return false;
        }
        if self.pointer.is_empty() && self.equals.is_none() && self.prefix.is_none() {
            return true;
        }
        let value = super::bounded::value(body)
            .unwrap_or_else(|| Value::String(String::from_utf8_lossy(body).into_owned()));
        self.value_matches(&value)
    }

    fn value_matches(&self, root: &Value) -> bool {
        let found = if self.pointer.is_empty() {
            Some(root)
        } else {
            root.pointer(&self.pointer)
        };
        if self.absent {
            return found.is_none();
        }
        let Some(found) = found else {
            return false;
        };
        let text = as_text(found);
        self.equals.as_deref().is_none_or(|e| text == e)
            && self.prefix.as_deref().is_none_or(|p| text.starts_with(p))
    }

    /// Short human text, for the editor and messages.
    #[must_use]
    pub fn describe(&self) -> String {
        let at = if self.pointer.is_empty() {
            "the message".to_owned()
        } else {
            self.pointer.clone()
        };
        let what = if self.absent {
            format!("no {at}")
        } else if let Some(e) = &self.equals {
            format!("{at} = {e}")
        } else if let Some(p) = &self.prefix {
            format!("{at} starts with {p}")
        } else {
            format!("{at} present")
        };
        match self.status {
            Some(s) if self.pointer.is_empty() && self.equals.is_none() => format!("HTTP {s}"),
            Some(s) => format!("HTTP {s} with {what}"),
            None => what,
        }
    }
}

/// A JSON value as text for comparisons: strings as they are, other values as JSON.
#[must_use]
pub fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn message_conditions() {
        let ping = json!({"type": "ping"});
        assert!(Match::equals("/type", "ping").matches_message(&ping));
        assert!(!Match::equals("/type", "pong").matches_message(&ping));
        let meta = json!({"channel": "/meta/connect", "successful": false});
        assert!(Match::prefix("/channel", "/meta/").matches_message(&meta));
        assert!(Match::equals("/successful", "false").matches_message(&meta));
        let seven = json!({"type": 7});
        assert!(Match::equals("/type", "7").matches_message(&seven));
        let absent = Match {
            pointer: "/type".to_owned(),
            absent: true,
            ..Match::default()
        };
        assert!(absent.matches_message(&json!({})));
        assert!(!absent.matches_message(&seven));
        let exists = Match {
            pointer: "/advice".to_owned(),
            ..Match::default()
        };
        assert!(!exists.matches_message(&seven));
        assert!(!Match::status(400, "", None).matches_message(&seven));
    }

    #[test]
    fn answer_conditions() {
        let gone = Match::status(400, "/code", Some("1"));
        let body = br#"{"code":1,"message":"Session ID unknown"}"#;
        assert!(gone.matches_answer(400, body));
        assert!(!gone.matches_answer(400, br#"{"code":3}"#));
        assert!(!gone.matches_answer(404, body));
        assert!(!gone.matches_answer(400, b"<html>"));
        assert!(Match::status(404, "", None).matches_answer(404, b"anything"));
        assert!(!Match::equals("/code", "1").matches_answer(400, body));
        assert_eq!(gone.describe(), "HTTP 400 with /code = 1");
    }

    #[test]
    fn checks() {
        assert!(Match::equals("type", "x").check().is_err());
        assert!(Match::status(42, "", None).check().is_err());
        let both = Match {
            pointer: "/a".to_owned(),
            absent: true,
            equals: Some("x".to_owned()),
            ..Match::default()
        };
        assert!(both.check().is_err());
        assert!(Match::prefix("/channel", "/meta/").check().is_ok());
        let saved = serde_json::to_string(&Match::equals("/type", "ping")).unwrap();
        assert_eq!(saved, r#"{"pointer":"/type","equals":"ping"}"#);
    }
}
