//! The events selector: a JSON pointer (RFC 6901) to the array of events, where a segment
//! `*` stands for every member of an object or every item of an array, so events under
//! keys not known in advance can be reached (Matrix `/rooms/join/*/timeline/events`).
//! A selector ending in `/*` takes the members it reaches as the events themselves, so
//! `/*` is "each item of a body that is an array" (Bayeux, Consul); the empty pointer
//! does the same for a root array, and takes any other root as one event.
//!
//! Pure; never panics on any input.

use serde_json::Value;

use crate::cursor::json_type;

/// What a selector found in one document.
#[derive(Debug, PartialEq)]
pub enum Selection<'a> {
    /// The events: the items of every array the pointer reached, in document order.
    Events(Vec<&'a Value>),
    /// The pointer reached nothing (or only `null`): no events in this answer.
    Missing,
    /// The pointer reached something that is not an array; each such value is taken as
    /// one event, and `found` names its JSON type for a warning.
    NotArray {
        /// The JSON type found (`an object`).
        found: &'static str,
        /// The values found, each one event.
        events: Vec<&'a Value>,
    },
}

impl<'a> Selection<'a> {
    /// The selected events (none when missing).
    #[must_use]
    pub fn into_events(self) -> Vec<&'a Value> {
        match self {
            Self::Events(v) | Self::NotArray { events: v, .. } => v,
            Self::Missing => Vec::new(),
        }
    }
}

/// Whether `pointer` is a selector: empty, or starting with `/`.
#[must_use]
pub fn valid(pointer: &str) -> bool {
    pointer.is_empty() || pointer.starts_with('/')
}

/// Whether `pointer` has a `*` segment.
#[must_use]
pub fn has_wildcard(pointer: &str) -> bool {
    pointer.split('/').skip(1).any(|s| s == "*")
}

/// The events `pointer` selects in `root`.
#[must_use]
pub fn select<'a>(root: &'a Value, pointer: &str) -> Selection<'a> {
    if pointer.ends_with("/*") {
        let events: Vec<&Value> = walk(root, pointer)
            .into_iter()
            .filter(|v| !v.is_null())
            .collect();
        return if events.is_empty() {
            Selection::Missing
        } else {
            Selection::Events(events)
        };
    }
    let mut any_array = false;
    let mut events = Vec::new();
    let mut not_array = None;
    for value in walk(root, pointer) {
        match value {
            Value::Array(items) => {
                any_array = true;
                events.extend(items.iter());
            }
            Value::Null => {}
            other => {
                not_array.get_or_insert(json_type(other));
                events.push(other);
            }
        }
    }
    match not_array {
        Some(found) => Selection::NotArray { found, events },
        None if any_array => Selection::Events(events),
        None => Selection::Missing,
    }
}

/// Every value `pointer` reaches in `root`, in document order.
fn walk<'a>(root: &'a Value, pointer: &str) -> Vec<&'a Value> {
    let mut reached = vec![root];
    for segment in pointer.split('/').skip(1) {
        if reached.is_empty() {
            break;
        }
        let mut next = Vec::new();
        for value in reached {
            if segment == "*" {
                match value {
                    Value::Object(map) => next.extend(map.values()),
                    Value::Array(items) => next.extend(items.iter()),
                    _ => {}
                }
            } else {
                let key = unescape(segment);
                next.extend(match value {
                    Value::Object(map) => map.get(key.as_ref()),
                    Value::Array(items) => index(&key).and_then(|i| items.get(i)),
                    _ => None,
                });
            }
        }
        reached = next;
    }
    reached
}

/// RFC 6901 array index: `0` or digits without a leading zero.
fn index(key: &str) -> Option<usize> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse().ok()
}

fn unescape(segment: &str) -> std::borrow::Cow<'_, str> {
    if segment.contains('~') {
        std::borrow::Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
    } else {
        std::borrow::Cow::Borrowed(segment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn events(v: &Value, p: &str) -> Vec<Value> {
        select(v, p).into_events().into_iter().cloned().collect()
    }

    #[test]
    fn plain_pointer_and_root_array() {
        let v = json!({"events": [{"seq": 1}, {"seq": 2}]});
        assert_eq!(
            events(&v, "/events"),
            vec![json!({"seq":1}), json!({"seq":2})]
        );
        let root = json!([{"channel": "/meta/connect"}, {"channel": "/t", "data": 1}]);
        assert_eq!(events(&root, "").len(), 2);
        assert_eq!(select(&json!({"a": 1}), "/events"), Selection::Missing);
        assert_eq!(
            select(&json!({"events": null}), "/events"),
            Selection::Missing
        );
        assert_eq!(
            select(&json!({"events": []}), "/events"),
            Selection::Events(vec![])
        );
    }

    #[test]
    fn wildcard_over_object_keys_and_array_items() {
        let sync = json!({"rooms": {"join": {
            "!a:x": {"timeline": {"events": [{"id": 1}, {"id": 2}]}},
            "!b:x": {"timeline": {"events": [{"id": 3}]}},
            "!c:x": {"state": {}}
        }}});
        let ids: Vec<i64> = events(&sync, "/rooms/join/*/timeline/events")
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![1, 2, 3]);
        let root = json!([{"id": 1}, {"id": 2}]);
        assert_eq!(events(&root, "/*"), vec![json!({"id":1}), json!({"id":2})]);
        assert_eq!(events(&root, "/*"), events(&root, ""));
        assert_eq!(
            events(&json!({"r": [[1], [2]]}), "/r/*"),
            vec![json!([1]), json!([2])]
        );
        assert_eq!(select(&json!([]), "/*"), Selection::Missing);
        let nested = json!({"batches": [{"items": [1, 2]}, {"items": [3]}, {"other": 0}]});
        assert_eq!(
            events(&nested, "/batches/*/items"),
            vec![json!(1), json!(2), json!(3)]
        );
        assert_eq!(
            select(
                &json!({"rooms": {"join": {}}}),
                "/rooms/join/*/timeline/events"
            ),
            Selection::Missing
        );
    }

    #[test]
    fn escapes_indexes_and_non_arrays() {
        let v = json!({"a/b": {"~x": [1]}, "list": [[5], [6]]});
        assert_eq!(events(&v, "/a~1b/~0x"), vec![json!(1)]);
        assert_eq!(events(&v, "/list/1"), vec![json!(6)]);
        assert_eq!(select(&v, "/list/01"), Selection::Missing);
        match select(&json!({"e": {"k": 1}}), "/e") {
            Selection::NotArray { found, events } => {
                assert_eq!(found, "an object");
                assert_eq!(events.len(), 1);
            }
            other => panic!("{other:?}"),
        }
        assert!(has_wildcard("/rooms/*/x"));
        assert!(!has_wildcard("/rooms/x*"));
        assert!(valid("") && valid("/a") && !valid("a"));
    }
}
