//! Property tests: arbitrary input from the network or from disk never panics the
//! parsers, and the invariants the engine relies on hold.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::time::SystemTime;

use proptest::prelude::*;
use serde_json::Value;

use pollscope::cursor::{Answer, Cursor, CursorRule, ResyncRule, is_empty_answer};
use pollscope::poll::answer::interpret;
use pollscope::poll::backoff::parse_retry_after;
use pollscope::presets;
use pollscope::profile::Profile;
use pollscope::profile_store::ProfileStore;

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn pointer() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "(/[a-z0-9_~]{0,6}){1,4}", ".{0,16}",]
}

fn rule() -> impl Strategy<Value = CursorRule> {
    prop_oneof![
        Just(CursorRule::None),
        Just(CursorRule::Validators),
        (pointer(), "[a-z]{1,6}", -3i64..3).prop_map(|(pointer, param, plus)| {
            CursorRule::BodyPointer {
                pointer,
                param,
                plus,
            }
        }),
        ("[A-Za-z-]{1,12}", "[a-z]{1,6}")
            .prop_map(|(header, param)| CursorRule::Header { header, param }),
        (pointer(), any::<i64>(), "[a-z]{1,6}")
            .prop_map(|(field, plus, param)| CursorRule::MaxField { field, plus, param }),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            prop_oneof![
                Just("ETag".to_owned()),
                Just("Last-Modified".to_owned()),
                Just("X-Consul-Index".to_owned()),
                Just("X-Etcd-Index".to_owned()),
                "[a-z-]{1,10}",
            ],
            ".{0,20}",
        ),
        0..5,
    )
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        json().prop_map(|v| v.to_string().into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn cursor_rules_never_panic(
        rule in rule(),
        body in prop::option::of(json()),
        events in prop::collection::vec(json(), 0..5),
        headers in headers(),
        old in prop::option::of(".{0,10}"),
    ) {
        let cursor = Cursor::starting_at(old.as_deref());
        let answer = Answer { status: 200, headers: &headers, body: body.as_ref(), events: &events };
        if let Ok(next) = rule.advance(&cursor, &answer) {
            let mut url = url::Url::parse("http://h/p?a=1").unwrap();
            rule.apply_to_url(&next, &mut url);
            let _headers = rule.request_headers(&next);
        }
    }

    #[test]
    fn cursor_rule_text_never_panics(text in ".{0,40}") {
        let _parsed = text.parse::<CursorRule>();
    }

    #[test]
    fn answers_never_panic_and_empty_ones_keep_the_cursor(
        preset in 0..presets::all().len(),
        status in prop_oneof![Just(200u16), Just(204), Just(304), Just(408), 100u16..600],
        headers in headers(),
        body in body(),
        events_pointer in prop::option::of(pointer()),
        seq_pointer in prop::option::of(pointer()),
        ts_pointer in prop::option::of(pointer()),
        old in prop::option::of("[0-9]{1,4}"),
    ) {
        let mut p = presets::all()[preset].profile("http://127.0.0.1:1/x");
        p.events_pointer = events_pointer;
        p.seq_pointer = seq_pointer;
        p.timestamp_pointer = ts_pointer;
        let cursor = Cursor::starting_at(old.as_deref());
        let i = interpret(&p, &cursor, status, &headers, &body, SystemTime::now());
        if is_empty_answer(status, &body) {
            prop_assert!(i.events.is_empty());
            prop_assert_eq!(i.cursor, cursor);
            prop_assert_eq!(i.problem, None);
        }
    }

    #[test]
    fn profiles_from_arbitrary_json_never_panic(v in json()) {
        if let Ok(p) = serde_json::from_value::<Profile>(v) {
            let _issues = p.validate();
            let _warnings = p.warnings();
            let _url = p.poll_url(&Cursor::default());
            let _masked = p.secrets().mask(&p.url);
        }
    }

    #[test]
    fn profile_files_from_arbitrary_bytes_never_panic(bytes in body()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("profiles.json"), &bytes).unwrap();
        match ProfileStore::open(dir.path()) {
            Ok(_) => {}
            Err(e) => prop_assert!(e.to_string().contains("profiles.json")),
        }
    }

    #[test]
    fn resync_and_retry_after_never_panic(
        status in 100u16..600,
        headers in headers(),
        body in body(),
        text in ".{0,30}",
    ) {
        let rule = ResyncRule {
            status: 400,
            body_pointer: Some("/errorCode".to_owned()),
            body_equals: Some("401".to_owned()),
            from_header: "X-Etcd-Index".to_owned(),
            plus: 1,
        };
        let _r = rule.check(&Cursor::starting_at(Some("5")), status, &headers, &body);
        let _d = parse_retry_after(&text, SystemTime::now());
    }

    #[test]
    fn redaction_hides_telegram_tokens(id in "[0-9]{3,10}", token in "[A-Za-z0-9_-]{8,40}", rest in "[a-z/?=&]{0,20}") {
        let url = format!("https://api.telegram.org/bot{id}:{token}/getUpdates{rest}");
        let shown = pollscope::redact::url(&url);
        prop_assert!(!shown.contains(&token), "{}", shown);
    }
}
