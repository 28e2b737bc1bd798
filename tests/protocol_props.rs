//! Property tests for the session protocol pieces: decoders, templates, selectors and
//! conditions never panic on any input, and what they promise holds.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::borrow::Cow;

use proptest::prelude::*;
use serde_json::Value;

use pollscope::protocol::decode::RECORD_SEPARATOR;
use pollscope::protocol::select::{Selection, select};
use pollscope::protocol::template::{Context, placeholders, render};
use pollscope::protocol::{Decoder, Match};

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z*~/_]{1,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies that look like each protocol, and garbage.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        "[0-6b][0-9a-z/,\\[\\]{}\"\u{1e}:-]{0,40}".prop_map(String::into_bytes),
        "4[0-6][0-9]{0,3}-?(/[a-z]{0,4},)?[0-9]{0,3}[\\[\\]{}\"a-z0-9,:]{0,30}"
            .prop_map(String::into_bytes),
        "([ohacm][\\[\\]\"a-z0-9,{}\\\\]{0,20}\n){0,4}".prop_map(String::into_bytes),
        "(\\{(\"type\":[0-9]{1,2})?\\}\u{1e}){0,5}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_never_panic_and_lose_nothing(body in body()) {
        for d in Decoder::ALL {
            let out = d.decode(&body);
            // Every part that could not be decoded is kept as a record and explained.
            prop_assert!(out.records.len() >= out.problems.len(), "{d:?}");
        }
    }

    #[test]
    fn engine_io_splits_exactly_on_the_separator(
        packets in prop::collection::vec("4[a-z0-9]{0,8}", 1..6)
    ) {
        let body = packets.join(&RECORD_SEPARATOR.to_string());
        let out = Decoder::EngineIo.decode(body.as_bytes());
        prop_assert_eq!(out.records.len(), packets.len());
        prop_assert!(out.records.iter().all(|r| r.control.is_none()));
    }

    #[test]
    fn templates_never_panic_and_text_without_braces_is_unchanged(
        t in ".{0,40}", v in ".{0,12}"
    ) {
        let lookup = |_: &str| Some(Cow::Owned(v.clone()));
        for ctx in [Context::Url, Context::Text] {
            match render(&t, ctx, lookup) {
                Ok(out) if !t.contains("{{") => prop_assert_eq!(out.as_ref(), t.as_str()),
                Ok(_) => {}
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
        let _found = placeholders(&t);
    }

    #[test]
    fn url_values_are_always_one_component(v in ".{0,20}") {
        let out = render("http://h/x?a={{v}}&b=1", Context::Url, |_| Some(Cow::Owned(v.clone()))).unwrap();
        let url = url::Url::parse(&out).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        prop_assert_eq!(pairs, vec![("a".to_owned(), v.clone()), ("b".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn selectors_and_matches_never_panic(
        v in json(), p in "(/([a-z*~/_0-9]{0,3}|\\*)){0,4}|.{0,10}", e in ".{0,6}"
    ) {
        match select(&v, &p) {
            Selection::Events(_) | Selection::Missing | Selection::NotArray { .. } => {}
        }
        let m = Match::equals(&p, &e);
        let _ = m.check();
        let _ = m.matches_message(&v);
        let _ = Match::status(400, &p, Some(&e)).matches_answer(400, v.to_string().as_bytes());
    }

    #[test]
    fn a_wildcard_over_an_object_selects_every_members_array(
        rooms in prop::collection::btree_map("[a-z]{1,6}", prop::collection::vec(any::<i64>(), 0..4), 0..5)
    ) {
        let doc = serde_json::json!({"rooms": rooms.iter().map(|(k, v)| (k.clone(), serde_json::json!({"events": v}))).collect::<serde_json::Map<_, _>>()});
        let got: Vec<i64> = select(&doc, "/rooms/*/events").into_events().iter().map(|v| v.as_i64().unwrap()).collect();
        let want: Vec<i64> = rooms.values().flatten().copied().collect();
        prop_assert_eq!(got, want);
    }
}
