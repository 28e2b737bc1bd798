//! Property tests: arbitrary input from the network or from disk never panics the
//! parsers, and the invariants the engine relies on hold.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::time::SystemTime;

use proptest::prelude::*;
use serde_json::Value;

use clap::FromArgMatches;
use pollscope::cli::{Cli, Command};
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

/// Numbers as a careless user (or an attacker) might type them.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1e300".to_owned()),
        Just("1e19".to_owned()),
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("NaN".to_owned()),
        Just("inf".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("4294967295".to_owned()),
        any::<f64>().prop_map(|f| f.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<u32>().prop_map(|n| n.to_string()),
        ".{0,6}",
    ]
}

/// Durations as typed: huge, zero, negative, nonsense, and units.
fn duration_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("500000000000y".to_owned()),
        Just("0s".to_owned()),
        Just("18446744073709551615s".to_owned()),
        (
            "[0-9]{1,22}",
            prop_oneof![
                Just("ns"),
                Just("ms"),
                Just("s"),
                Just("m"),
                Just("h"),
                Just("d"),
                Just("y")
            ]
        )
            .prop_map(|(n, u)| format!("{n}{u}")),
        ".{0,8}",
    ]
}

/// Pairs of `watch`/`compare` flags with arbitrary values.
fn flags() -> impl Strategy<Value = Vec<String>> {
    let numeric = prop_oneof![
        Just("--timeout"),
        Just("--interval-s"),
        Just("--hold"),
        Just("--pollers"),
        Just("--max-body"),
    ];
    prop::collection::vec(
        prop_oneof![
            (numeric, number_text()).prop_map(|(f, v)| vec![f.to_owned(), v]),
            duration_text().prop_map(|v| vec!["--duration".to_owned(), v]),
            (".{0,12}").prop_map(|v| vec!["--initial-cursor".to_owned(), v]),
            (".{0,12}").prop_map(|v| vec!["--hold-param".to_owned(), v]),
        ],
        0..5,
    )
    .prop_map(|v| v.into_iter().flatten().collect())
}

fn parse_cli(args: &[String]) -> Option<Command> {
    let matches = pollscope::cli::command().try_get_matches_from(args).ok()?;
    Cli::from_arg_matches(&matches).ok()?.command
}

/// What an accepted profile's numbers must allow: clock arithmetic that cannot fail.
fn usable(p: &Profile) -> bool {
    let now = std::time::Instant::now();
    now.checked_add(p.client_timeout() * 4).is_some()
        && p.poll_interval()
            .is_none_or(|i| now.checked_add(i * 4).is_some())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any `watch` command line either fails with an error or gives numbers the engine
    /// can use: never a panic (`--timeout 1e300` panicked the main thread, `1e19` a
    /// poller).
    #[test]
    fn watch_arguments_never_panic(flags in flags()) {
        let mut args = vec!["pollscope".to_owned(), "watch".to_owned(), "http://127.0.0.1:9/e".to_owned()];
        args.extend(flags);
        if let Some(Command::Watch(w)) = parse_cli(&args) {
            if let Some(d) = w.duration {
                prop_assert!(std::time::Instant::now().checked_add(d * 2).is_some(), "{:?}", d);
            }
            if let Ok(p) = w.target.to_profile() {
                prop_assert!(p.validate().is_empty());
                prop_assert!(usable(&p), "{:?} {:?}", p.client_timeout_s, p.interval_s);
            }
        }
    }

    /// Any `compare` command line either fails or gives variants that all validate.
    #[test]
    fn compare_arguments_never_panic(duration in duration_text(), interval in duration_text()) {
        let args: Vec<String> = ["pollscope", "compare", "http://127.0.0.1:9/e", "--duration", &duration, "--interval", &interval]
            .iter().map(|s| (*s).to_owned()).collect();
        if let Some(Command::Compare(c)) = parse_cli(&args) {
            let Ok(base) = c.target.to_profile() else {
                return Ok(());
            };
            let interval = c.target.interval.unwrap_or(pollscope::compare::CompareOptions::default().interval);
            let opts = pollscope::compare::CompareOptions {
                duration: c.duration,
                interval,
                ..pollscope::compare::CompareOptions::default()
            };
            prop_assert!(opts.check(&base, true).is_ok());
            for v in pollscope::compare::Variant::ALL {
                let p = v.profile(&base, interval);
                prop_assert!(p.validate().is_empty(), "{:?}: {:?}", v, p.validate());
                prop_assert!(usable(&p));
            }
        }
    }

    /// Profile numbers from a file: out of range is a validation error, and whatever
    /// the file says, the timeouts are computed without panicking.
    #[test]
    fn profile_numbers_are_checked(
        timeout in prop::option::of(any::<f64>()),
        interval in prop::option::of(any::<f64>()),
        hold in any::<u32>(),
        max_body in any::<u64>(),
        pollers in any::<u32>(),
    ) {
        let p = Profile {
            url: "http://127.0.0.1:9/e".to_owned(),
            client_timeout_s: timeout,
            interval_s: interval,
            hold_s: hold,
            max_body_bytes: max_body,
            pollers,
            ..Profile::default()
        };
        let ok = p.validate().is_empty();
        // Computed for every profile (the editor shows them before validating).
        let _t = p.client_timeout();
        let _i = p.poll_interval();
        if ok {
            prop_assert!(usable(&p));
        }
    }

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
