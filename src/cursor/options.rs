//! Cursor options that protocols need beyond reading a value: resetting a cursor that
//! went backwards, a floor, "unchanged means nothing new", and resynchronising after
//! the server says the cursor is too old.
//!
//! Pure data and functions, as the rest of [`crate::cursor`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Cursor, as_i64};

/// Options applied after a cursor rule has read a new value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CursorOptions {
    /// When a numeric cursor goes backwards (the server's state was reset), start over
    /// from this value (Consul: `0`).
    pub reset_if_backwards: Option<String>,
    /// Never send a numeric cursor below this once the server has answered (Consul: 1).
    pub min: Option<i64>,
    /// An answer that leaves the cursor where it was carries nothing new (Consul answers
    /// the end of a wait with the same state and the same index).
    pub unchanged_is_empty: bool,
    /// How to recover when the server refuses the cursor as too old.
    pub resync: Option<ResyncRule>,
}

/// Recognise "your cursor is too old" and jump to where the server says it is now.
/// etcd v2: status 400, `/errorCode` 401, resume from `X-Etcd-Index` + 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResyncRule {
    /// Status of the refusal.
    pub status: u16,
    /// JSON pointer in the refusal's body that must hold `body_equals` (both optional).
    pub body_pointer: Option<String>,
    /// What the value at `body_pointer` must be (compared as text).
    pub body_equals: Option<String>,
    /// Header holding the server's current position.
    pub from_header: String,
    /// Added to the header's value to get the new cursor.
    pub plus: i64,
}

impl Default for ResyncRule {
    fn default() -> Self {
        Self {
            status: 400,
            body_pointer: None,
            body_equals: None,
            from_header: String::new(),
            plus: 0,
        }
    }
}

/// The outcome of a resync: the new cursor and how many positions were skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resync {
    /// Where to resume.
    pub cursor: Cursor,
    /// New position minus old, when both are integers: the events that can no longer
    /// be fetched.
    pub skipped: Option<u64>,
}

impl ResyncRule {
    /// If this refusal matches the rule, the cursor to resume from.
    #[must_use]
    pub fn check(
        &self,
        old: &Cursor,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Option<Resync> {
        if status != self.status || self.from_header.trim().is_empty() {
            return None;
        }
        if let Some(pointer) = &self.body_pointer {
            let json = crate::protocol::bounded::value(body)?;
            let found = json.pointer(pointer)?;
            if let Some(want) = &self.body_equals {
                let text = match found {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if &text != want {
                    return None;
                }
            }
        }
        let value = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(self.from_header.trim()))
            .map(|(_, v)| v.trim())?;
        let now: i64 = value.parse().ok()?;
        let next = now.saturating_add(self.plus);
        let skipped = old
            .value
            .as_deref()
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|o| u64::try_from(next.saturating_sub(o)).ok());
        Some(Resync {
            cursor: Cursor {
                value: Some(next.to_string()),
                ..old.clone()
            },
            skipped,
        })
    }
}

impl CursorOptions {
    /// Where a poller restarts when it cannot follow the server's cursor (one too long):
    /// the reset value when the profile has one, else its initial cursor, else none (the
    /// old cursor is kept).
    #[must_use]
    pub fn restart_value<'a>(&'a self, initial: Option<&'a str>) -> Option<&'a str> {
        self.reset_if_backwards.as_deref().or(initial)
    }

    /// Adjust a freshly read cursor: reset when it went backwards, apply the floor.
    /// Returns the cursor to use and whether it was reset.
    #[must_use]
    pub fn adjust(&self, old: &Cursor, mut new: Cursor) -> (Cursor, bool) {
        let num = |c: &Cursor| c.value.as_deref().and_then(|v| as_i64(&Value::from(v)));
        let mut reset = false;
        if let (Some(to), Some(o), Some(n)) = (&self.reset_if_backwards, num(old), num(&new))
            && n < o
        {
            new.value = Some(to.clone());
            reset = true;
        }
        if let (Some(min), Some(n)) = (self.min, num(&new))
            && n < min
            && !reset
        {
            new.value = Some(min.to_string());
        }
        (new, reset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: &str) -> Cursor {
        Cursor::starting_at(Some(v))
    }

    fn consul() -> CursorOptions {
        CursorOptions {
            reset_if_backwards: Some("0".to_owned()),
            min: Some(1),
            unchanged_is_empty: true,
            resync: None,
        }
    }

    #[test]
    fn consul_resets_when_the_index_goes_backwards() {
        assert_eq!(consul().adjust(&c("100"), c("120")), (c("120"), false));
        assert_eq!(consul().adjust(&c("100"), c("7")), (c("0"), true));
    }

    #[test]
    fn consul_never_sends_an_index_below_one() {
        assert_eq!(consul().adjust(&Cursor::default(), c("0")), (c("1"), false));
        assert_eq!(consul().adjust(&c("5"), c("5")), (c("5"), false));
        // Non-numeric cursors are left alone.
        assert_eq!(consul().adjust(&c("a"), c("b")), (c("b"), false));
    }

    fn etcd() -> ResyncRule {
        ResyncRule {
            status: 400,
            body_pointer: Some("/errorCode".to_owned()),
            body_equals: Some("401".to_owned()),
            from_header: "X-Etcd-Index".to_owned(),
            plus: 1,
        }
    }

    #[test]
    fn etcd_outdated_index_resyncs_and_counts_the_gap() {
        let headers = [("x-etcd-index".to_owned(), "2050".to_owned())];
        let body = br#"{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [1050/5]","index":2050}"#;
        let r = etcd().check(&c("5"), 400, &headers, body).unwrap();
        assert_eq!(r.cursor.value.as_deref(), Some("2051"));
        assert_eq!(r.skipped, Some(2046));
    }

    #[test]
    fn other_errors_do_not_resync() {
        let headers = [("X-Etcd-Index".to_owned(), "9".to_owned())];
        assert!(
            etcd()
                .check(&c("5"), 400, &headers, br#"{"errorCode":100}"#)
                .is_none()
        );
        assert!(
            etcd()
                .check(&c("5"), 500, &headers, br#"{"errorCode":401}"#)
                .is_none()
        );
        assert!(
            etcd()
                .check(&c("5"), 400, &[], br#"{"errorCode":401}"#)
                .is_none()
        );
        assert!(etcd().check(&c("5"), 400, &headers, b"not json").is_none());
    }
}
