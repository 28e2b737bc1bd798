//! Parsing one answer's JSON with bounded memory: a `serde_json::Value` costs tens to
//! hundreds of bytes per node (a one-member object is a B-tree node of ~600 bytes), so a
//! 4 MiB body of 580,000 tiny events (`{"":0}`) used to take 829 MB. Here an array keeps
//! at most [`MAX_ITEMS`] items, and once the document's estimated size passes a budget
//! of a few times the body, further array items and object members (below the root)
//! are skipped: counted, never built. Root members are always kept, so a cursor after a
//! huge events array is still read.
//!
//! Pure; never panics on any input.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Most items one array keeps (and so most events one answer carries); the rest are
/// counted as truncated.
pub const MAX_ITEMS: usize = 10_000;

/// What [`parse`] made of a body.
#[derive(Debug)]
pub struct Parsed {
    /// The document, arrays cut at [`MAX_ITEMS`] and at the budget.
    pub value: Value,
    /// Array items and object members left out, counted where the cut was made (a
    /// skipped array counts as one).
    pub skipped: u64,
}

/// Parse `body` as one JSON document, keeping at most [`MAX_ITEMS`] items per array and
/// about `budget_factor` × the body's size (plus 1 MiB) of `Value`s.
pub fn parse(body: &[u8], budget_factor: usize) -> Result<Parsed, serde_json::Error> {
    let mut budget = Budget::new(body.len(), budget_factor);
    let value = budget.parse(body)?;
    Ok(Parsed {
        value,
        skipped: budget.skipped,
    })
}

/// [`parse`] with the usual factor, for a lookup in a body (a pointer, a condition):
/// the value, or `None` when the body is not JSON.
#[must_use]
pub fn value(body: &[u8]) -> Option<Value> {
    parse(body, FACTOR).ok().map(|p| p.value)
}

/// How many times a body's size its parsed `Value`s may take.
pub const FACTOR: usize = 8;

/// Estimated heap bytes of the `Value`s built so far, against a budget shared by every
/// document parsed from one answer (a framed body is many small documents).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    limit: usize,
    used: usize,
    skipped: u64,
}

impl Default for Budget {
    /// A budget for an empty body: 1 MiB.
    fn default() -> Self {
        Self::new(0, FACTOR)
    }
}

impl Budget {
    /// About `factor` × `body_len` (plus 1 MiB) of `Value`s.
    #[must_use]
    pub fn new(body_len: usize, factor: usize) -> Self {
        Self {
            limit: body_len.saturating_mul(factor).saturating_add(1 << 20),
            used: 0,
            skipped: 0,
        }
    }

    /// Parse one JSON document against this budget (see [`parse`]).
    pub fn parse(&mut self, text: &[u8]) -> Result<Value, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(text);
        let value = Node {
            state: self,
            depth: 0,
        }
        .deserialize(&mut de)?;
        de.end()?;
        Ok(value)
    }

    /// Array items and object members left out so far.
    #[must_use]
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    fn spend(&mut self, bytes: usize) {
        self.used = self.used.saturating_add(bytes);
    }

    fn over(&self) -> bool {
        self.used > self.limit
    }
}

/// One value of the document at `depth`.
struct Node<'s> {
    state: &'s mut Budget,
    depth: usize,
}

/// A `Value` on the heap (inside a `Vec` or a map) takes about this much.
const VALUE_BYTES: usize = 32;
/// A non-empty object's first B-tree node; each member adds a key and a value.
const OBJECT_BYTES: usize = 600;

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        self.state.spend(v.len());
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        self.state.spend(v.len());
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            if items.len() < MAX_ITEMS && !self.state.over() {
                let node = Node {
                    state: &mut *self.state,
                    depth: self.depth + 1,
                };
                match seq.next_element_seed(node)? {
                    Some(v) => {
                        self.state.spend(VALUE_BYTES);
                        items.push(v);
                    }
                    None => break,
                }
            } else {
                match seq.next_element::<IgnoredAny>()? {
                    Some(_) => self.state.skipped = self.state.skipped.saturating_add(1),
                    None => break,
                }
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // Root members are kept past the budget (the cursor may follow a huge
            // array), not past the count.
            if members.len() >= MAX_ITEMS || (self.depth > 0 && self.state.over()) {
                map.next_value::<IgnoredAny>()?;
                self.state.skipped = self.state.skipped.saturating_add(1);
                continue;
            }
            let node = Node {
                state: &mut *self.state,
                depth: self.depth + 1,
            };
            let value = map.next_value_seed(node)?;
            let first = if members.is_empty() { OBJECT_BYTES } else { 0 };
            self.state.spend(first + key.len() + 2 * VALUE_BYTES);
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_documents_parse_whole() {
        let body = br#"{"cursor": 8, "events": [{"seq": 7, "s": "x"}, 1.5, null, true]}"#;
        let p = parse(body, 16).unwrap();
        assert_eq!(p.value, serde_json::from_slice::<Value>(body).unwrap());
        assert_eq!(p.skipped, 0);
        assert!(parse(b"{\"a\": 1} trailing", 16).is_err());
        assert!(parse(b"[1, 2", 16).is_err());
    }

    #[test]
    fn a_huge_array_keeps_its_first_items_and_the_cursor_after_it() {
        let items = vec![r#"{"":0}"#; MAX_ITEMS + 500].join(",");
        let body = format!(r#"{{"events": [{items}], "cursor": 42}}"#);
        // A budget large enough that only the item cap applies.
        let p = parse(body.as_bytes(), 1000).unwrap();
        assert_eq!(p.value["events"].as_array().unwrap().len(), MAX_ITEMS);
        assert_eq!(p.skipped, 500);
        assert_eq!(p.value["cursor"], 42, "the cursor after the array is read");
    }

    #[test]
    fn nested_bulk_stops_at_the_budget() {
        // 580 arrays of 1,000 small objects: no array is over MAX_ITEMS, the whole is.
        let inner = vec![r#"{"a":1}"#; 1000].join(",");
        let outer = vec![format!("[{inner}]"); 580].join(",");
        let body = format!(r#"{{"x": [{outer}], "cursor": 1}}"#);
        let p = parse(body.as_bytes(), 4).unwrap();
        let kept: usize = p.value["x"]
            .as_array()
            .unwrap()
            .iter()
            .map(|inner| inner.as_array().map_or(0, Vec::len))
            .sum();
        // About budget ÷ ~700 bytes per one-member object, far from all 580,000.
        assert!((10_000..60_000).contains(&kept), "{kept}");
        // Skipped is counted where the cut is made: whole inner arrays, and the rest of
        // the one in progress.
        assert!(p.skipped > 100, "{}", p.skipped);
        assert_eq!(p.value["cursor"], 1);
    }
}
