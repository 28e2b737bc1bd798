//! A profile's session protocol as plain serde data: bootstrap steps, what sets
//! variables, which messages are control messages, which need an answer, and which say
//! the session is gone.
//!
//! Pure data plus validation; the poll engine runs it (`poll::conversation`).

use serde::{Deserialize, Serialize};

use super::decode::Decoder;
use super::matcher::Match;
use crate::header::HeaderSpec;

/// A request other than the poll itself: a bootstrap step or a reply. Its URL, headers
/// and body are templates; an empty URL means the poll URL, and a relative one (`?a=1`,
/// `negotiate`) is resolved against the poll URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestSpec {
    /// HTTP method, upper case.
    pub method: String,
    /// URL template: empty for the poll URL, absolute, or relative to the poll URL.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Headers (values are templates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderSpec>,
    /// Body template, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl Default for RequestSpec {
    fn default() -> Self {
        Self {
            method: "GET".to_owned(),
            url: String::new(),
            headers: Vec::new(),
            body: None,
        }
    }
}

impl RequestSpec {
    /// `method url` with `body`.
    #[must_use]
    pub fn new(method: &str, url: &str, body: Option<&str>) -> Self {
        Self {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: Vec::new(),
            body: body.map(str::to_owned),
        }
    }

    /// With one more header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push(HeaderSpec::new(name, value));
        self
    }

    /// Every template in it (URL, header values, body), with where it is.
    pub fn templates(&self) -> impl Iterator<Item = (&'static str, &str)> {
        std::iter::once(("URL", self.url.as_str()))
            .chain(self.headers.iter().map(|h| ("header", h.value.as_str())))
            .chain(self.body.iter().map(|b| ("body", b.as_str())))
    }
}

/// Where a variable's value comes from in an answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Extract {
    /// The variable to set.
    pub var: String,
    /// JSON pointer, tried on each decoded record and then each selected message; the
    /// first hit wins (strings as they are, other values as JSON text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Or a response header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// The value is a secret (session ids, tokens): masked wherever shown.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

impl Extract {
    /// `var` from the JSON pointer `pointer`.
    #[must_use]
    pub fn pointer(var: &str, pointer: &str, secret: bool) -> Self {
        Self {
            var: var.to_owned(),
            pointer: Some(pointer.to_owned()),
            header: None,
            secret,
        }
    }
}

/// A request run before polling (and again after the session is gone).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Step {
    /// Shown in the editor, the log and "test once".
    pub name: String,
    /// What it sends.
    #[serde(flatten)]
    pub request: RequestSpec,
    /// How its answer's body is read (for `extract` and `fail_when`).
    pub decoder: Decoder,
    /// Variables its answer sets. A step fails when one of them is not found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extract: Vec<Extract>,
    /// Messages in its answer that mean it failed (Bayeux `successful: false`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fail_when: Vec<Match>,
}

/// A control message that needs an answer, and the request that answers it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reply {
    /// The control messages it answers.
    pub when: Match,
    /// What it sends.
    #[serde(flatten)]
    pub request: RequestSpec,
}

/// The session part of a profile. Empty (the default) for plain long polling.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSpec {
    /// Requests run in order before polling, and again whenever the session is gone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bootstrap: Vec<Step>,
    /// Messages (beyond the decoder's own pings, heartbeats…) that are control
    /// messages, not events (Bayeux: channel starts with `/meta/`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub control: Vec<Match>,
    /// Control messages that need an answer (Engine.IO ping → pong).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replies: Vec<Reply>,
    /// Answers or messages that say the session is gone: bootstrap again, and count a
    /// session restart.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub restart_when: Vec<Match>,
    /// Messages that report a failure (Bayeux `successful: false`); the poller backs off.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fail_when: Vec<Match>,
    /// Variables every poll answer may set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extract: Vec<Extract>,
    /// JSON pointer, in a message, to a delay in milliseconds the server advises before
    /// the next poll (Bayeux `/advice/interval`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms_pointer: Option<String>,
}

impl SessionSpec {
    /// Whether there is nothing here (plain long polling).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Names of the variables steps and poll answers set.
    pub fn extracted(&self) -> impl Iterator<Item = &str> {
        self.bootstrap
            .iter()
            .flat_map(|s| s.extract.iter())
            .chain(self.extract.iter())
            .map(|e| e.var.as_str())
    }

    /// Every request it may send, with a name for messages.
    pub fn requests(&self) -> impl Iterator<Item = (String, &RequestSpec)> {
        self.bootstrap
            .iter()
            .enumerate()
            .map(|(i, s)| (step_label(i, &s.name), &s.request))
            .chain(
                self.replies
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (format!("reply {}", i + 1), &r.request)),
            )
    }

    /// Every condition, with a name for messages.
    pub fn matches(&self) -> impl Iterator<Item = (&'static str, &Match)> {
        self.control
            .iter()
            .map(|m| ("control", m))
            .chain(self.replies.iter().map(|r| ("reply", &r.when)))
            .chain(self.restart_when.iter().map(|m| ("restart", m)))
            .chain(self.fail_when.iter().map(|m| ("fail", m)))
            .chain(
                self.bootstrap
                    .iter()
                    .flat_map(|s| s.fail_when.iter())
                    .map(|m| ("step fail", m)),
            )
    }
}

/// `step 2 (subscribe)` or `step 2`.
#[must_use]
pub fn step_label(index: usize, name: &str) -> String {
    if name.trim().is_empty() {
        format!("step {}", index + 1)
    } else {
        format!("step {} ({})", index + 1, name.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_spec_saves_as_nothing_and_loads_back() {
        let s = SessionSpec::default();
        assert!(s.is_empty());
        assert_eq!(serde_json::to_string(&s).unwrap(), "{}");
        let back: SessionSpec = serde_json::from_str("{}").unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn steps_flatten_their_request() {
        let step = Step {
            name: "handshake".to_owned(),
            request: RequestSpec::new("POST", "", Some("[{}]"))
                .header("Content-Type", "application/json"),
            extract: vec![Extract::pointer("clientId", "/0/clientId", true)],
            ..Step::default()
        };
        let json = serde_json::to_value(&step).unwrap();
        assert_eq!(json["method"], "POST");
        assert_eq!(json["body"], "[{}]");
        assert_eq!(json["decoder"], "json");
        let back: Step = serde_json::from_value(json).unwrap();
        assert_eq!(back, step);
        let spec = SessionSpec {
            bootstrap: vec![step],
            ..SessionSpec::default()
        };
        assert_eq!(spec.extracted().collect::<Vec<_>>(), vec!["clientId"]);
        assert_eq!(spec.requests().next().unwrap().0, "step 1 (handshake)");
    }
}
