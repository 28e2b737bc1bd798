//! One request header as a profile (or a session step) holds it: name, value (which may
//! be a `{{variable}}` template) and whether the value is a secret.
//!
//! A leaf: depends on nothing else in the crate but the redaction mask, so profiles and
//! session steps can both hold headers without depending on each other.

use serde::{Deserialize, Serialize};

/// One request header. Secret headers are masked in the UI and redacted in logs and exports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeaderSpec {
    /// Header name, as typed (trimmed).
    pub name: String,
    /// Header value, as typed (trimmed); may hold `{{variables}}`.
    pub value: String,
    /// Treat the value as a secret (auth tokens, API keys).
    pub secret: bool,
}

/// Why a header cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad header {line:?}: {why}")]
pub struct HeaderProblem {
    /// The line or header name at fault.
    pub line: String,
    /// What is wrong with it.
    pub why: String,
}

impl HeaderSpec {
    /// A header; names that usually carry credentials are marked secret automatically.
    #[must_use]
    pub fn new(name: &str, value: &str) -> Self {
        Self {
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
            secret: looks_secret(name),
        }
    }

    /// Parse a `Name: value` line as typed on a command line or in the editor.
    pub fn parse_line(line: &str) -> Result<Self, HeaderProblem> {
        let Some((name, value)) = line.split_once(':') else {
            return Err(HeaderProblem {
                line: line.to_owned(),
                why: "expected `Name: value`".to_owned(),
            });
        };
        let header = Self::new(name, value);
        header.check()?;
        Ok(header)
    }

    /// Whether the name and value can go on the wire.
    pub fn check(&self) -> Result<(), HeaderProblem> {
        if ureq::http::HeaderName::from_bytes(self.name.as_bytes()).is_err() {
            return Err(HeaderProblem {
                line: self.name.clone(),
                why: "not a valid header name".to_owned(),
            });
        }
        if ureq::http::HeaderValue::from_str(&self.value).is_err() {
            return Err(HeaderProblem {
                line: self.name.clone(),
                why: "value has characters a header cannot carry".to_owned(),
            });
        }
        Ok(())
    }

    /// The value as it may be shown or logged: secrets become `•••`.
    #[must_use]
    pub fn display_value(&self) -> &str {
        if self.secret {
            crate::redact::MASK
        } else {
            &self.value
        }
    }
}

/// Header names that carry credentials by convention: the broad default rule
/// [`crate::redact::secret_name`] (auth, key, token, secret, pass, session, cookie…).
#[must_use]
pub fn looks_secret(name: &str) -> bool {
    crate::redact::secret_name(name)
}
