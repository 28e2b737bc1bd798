//! Variables: named values a profile's templates place into requests — set by the user
//! (a channel name), drawn fresh for each session (SockJS picks its own session id),
//! read from answers (a session id from a handshake) or kept by the engine (`cursor`).
//!
//! Pure data and a small store; no I/O. Secret variables are masked wherever values are
//! shown.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Names every template may use without declaring them.
pub const BUILTINS: [(&str, &str); 6] = [
    (
        "cursor",
        "the cursor rule's value (empty before the first one)",
    ),
    ("etag", "the last ETag (validators cursor)"),
    (
        "last_modified",
        "the last Last-Modified (validators cursor)",
    ),
    ("poller", "this poller's number, from 0"),
    (
        "now_ms",
        "the time in milliseconds since 1970 (cache busters)",
    ),
    ("rs", "the ASCII record separator 0x1e (SignalR, Engine.IO)"),
];

/// Whether `name` is one of the [`BUILTINS`].
#[must_use]
pub fn is_builtin(name: &str) -> bool {
    BUILTINS.iter().any(|(n, _)| *n == name)
}

/// A variable the profile declares.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Variable {
    /// Its name, as templates write it (`{{name}}`).
    pub name: String,
    /// Its value until something sets another (empty for values read from answers).
    pub value: String,
    /// Masked in the app, logs and exports (session ids, tokens).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
    /// Drawn anew at every session start instead of `value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fresh: Option<Fresh>,
}

impl Variable {
    /// A user-set variable.
    #[must_use]
    pub fn new(name: &str, value: &str) -> Self {
        Self {
            name: name.to_owned(),
            value: value.to_owned(),
            ..Self::default()
        }
    }

    /// A variable drawn anew for each session.
    #[must_use]
    pub fn fresh(name: &str, fresh: Fresh) -> Self {
        Self {
            name: name.to_owned(),
            fresh: Some(fresh),
            ..Self::default()
        }
    }
}

/// A random value drawn at each session start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fresh {
    /// `len` decimal digits (SockJS server id: 3).
    Digits {
        /// How many.
        len: u8,
    },
    /// `len` letters and digits (SockJS session id).
    Alnum {
        /// How many.
        len: u8,
    },
}

impl Fresh {
    /// A new value.
    #[must_use]
    pub fn draw(self) -> String {
        match self {
            Self::Digits { len } => (0..len).map(|_| fastrand::digit(10)).collect(),
            Self::Alnum { len } => (0..len).map(|_| fastrand::alphanumeric()).collect(),
        }
    }
}

/// One poller's variables while it runs.
#[derive(Clone, Debug, Default)]
pub struct Vars {
    values: BTreeMap<String, String>,
    secret: BTreeSet<String>,
}

impl Vars {
    /// The declared variables with their values (fresh ones drawn), and `poller`.
    #[must_use]
    pub fn new(declared: &[Variable], poller: usize) -> Self {
        let mut vars = Self::default();
        for v in declared {
            let value = v.fresh.map_or_else(|| v.value.clone(), Fresh::draw);
            vars.set(&v.name, &value, v.secret);
        }
        vars.set("poller", &poller.to_string(), false);
        vars
    }

    /// Draw the fresh variables anew (a session starts).
    pub fn refresh(&mut self, declared: &[Variable]) {
        for v in declared {
            if let Some(f) = v.fresh {
                self.set(&v.name, &f.draw(), v.secret);
            }
        }
    }

    /// Set `name`; true when its value changed.
    pub fn set(&mut self, name: &str, value: &str, secret: bool) -> bool {
        if secret {
            self.secret.insert(name.to_owned());
        }
        if self.values.get(name).is_some_and(|v| v == value) {
            return false;
        }
        self.values.insert(name.to_owned(), value.to_owned());
        true
    }

    /// Forget `name` (a value read in a session that is gone).
    pub fn remove(&mut self, name: &str) {
        self.values.remove(name);
    }

    /// The value of `name`, without builtins computed on the fly.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value a template gets for `name`: set values, then the computed builtins
    /// (`now_ms`, `rs`; `cursor`, `etag` and `last_modified` are empty until set).
    #[must_use]
    pub fn lookup(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Some(v) = self.values.get(name) {
            return Some(Cow::Borrowed(v));
        }
        match name {
            "rs" => Some(Cow::Borrowed("\u{1e}")),
            "now_ms" => Some(Cow::Owned(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis())
                    .to_string(),
            )),
            "cursor" | "etag" | "last_modified" => Some(Cow::Borrowed("")),
            _ => None,
        }
    }

    /// Whether `name` holds a secret.
    #[must_use]
    pub fn is_secret(&self, name: &str) -> bool {
        self.secret.contains(name)
    }

    /// The values of secret variables (for masking).
    pub fn secret_values(&self) -> impl Iterator<Item = &str> {
        self.secret
            .iter()
            .filter_map(|n| self.values.get(n))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `name = value` pairs for display, secrets masked, builtins the engine keeps left
    /// out.
    #[must_use]
    pub fn shown(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .filter(|(n, v)| {
                n.as_str() != "poller"
                    && !(v.is_empty() && matches!(n.as_str(), "cursor" | "etag" | "last_modified"))
            })
            .map(|(n, v)| {
                let v = if self.secret.contains(n) && !v.is_empty() {
                    crate::redact::MASK.to_owned()
                } else {
                    v.clone()
                };
                (n.clone(), v)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_fresh_set_and_secret() {
        let declared = vec![
            Variable::new("channel", "/chat"),
            Variable::fresh("server", Fresh::Digits { len: 3 }),
            Variable::fresh("session", Fresh::Alnum { len: 8 }),
        ];
        let mut v = Vars::new(&declared, 2);
        assert_eq!(v.get("channel"), Some("/chat"));
        assert_eq!(v.get("poller"), Some("2"));
        let server = v.get("server").unwrap().to_owned();
        assert_eq!(server.len(), 3);
        assert!(server.bytes().all(|b| b.is_ascii_digit()));
        let session = v.get("session").unwrap().to_owned();
        assert_eq!(session.len(), 8);
        assert!(session.bytes().all(|b| b.is_ascii_alphanumeric()));
        // 62^8 values: two draws in a row are different unless the generator is broken.
        v.refresh(&declared);
        assert_ne!(v.get("session").unwrap(), session);
        assert!(v.set("sid", "abc123", true));
        assert!(!v.set("sid", "abc123", true));
        assert_eq!(v.secret_values().collect::<Vec<_>>(), vec!["abc123"]);
        assert!(v.shown().contains(&("sid".to_owned(), "•••".to_owned())));
        assert!(!v.shown().iter().any(|(n, _)| n == "poller"));
        v.remove("sid");
        assert_eq!(v.get("sid"), None);
    }

    #[test]
    fn builtins() {
        let v = Vars::new(&[], 0);
        assert_eq!(v.lookup("rs").as_deref(), Some("\u{1e}"));
        assert_eq!(v.lookup("cursor").as_deref(), Some(""));
        let now: u128 = v.lookup("now_ms").unwrap().parse().unwrap();
        assert!(now > 1_600_000_000_000);
        assert_eq!(v.lookup("nope"), None);
        assert!(BUILTINS.iter().all(|(n, _)| is_builtin(n)));
        let saved = serde_json::to_string(&Variable::fresh("s", Fresh::Digits { len: 3 })).unwrap();
        assert_eq!(
            saved,
            r#"{"name":"s","value":"","fresh":{"kind":"digits","len":3}}"#
        );
    }
}
