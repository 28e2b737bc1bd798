//! Compare mode against the demo server on loopback.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::time::Duration;

use pollscope::compare::{self, CompareOptions, Variant};
use pollscope::demo_server::{DemoServer, DemoServerConfig};
use pollscope::profile::Profile;

#[test]
fn variants_connect_and_deliver_as_expected() {
    let server = DemoServer::start(DemoServerConfig {
        rate_per_s: 20.0,
        ..DemoServerConfig::default()
    })
    .unwrap();
    let mut base = Profile::for_demo("demo", &server.events_url());
    base.pollers = 2;
    let interval = Duration::from_secs(1);
    let opts = CompareOptions {
        duration: Duration::from_secs(6),
        interval,
        ..CompareOptions::default()
    };
    let c = compare::run(&base, &opts, false).unwrap();
    let get = |v: Variant| c.results.iter().find(|r| r.variant == v).unwrap();
    for v in Variant::ALL {
        let r = get(v);
        assert_eq!(r.errors, 0, "{v:?}: {:?}", r.summary.errors_by_kind);
        assert!(r.events > 0, "{v:?} received nothing");
        if v == Variant::LongKeepAlive {
            assert_eq!(r.new_connections, 2, "{v:?}: one connection per poller");
        } else if v.keep_alive() {
            // Short polls are over in a millisecond, so pollers may take turns on one
            // pooled connection: never more than one per poller.
            assert!(
                (1..=2).contains(&r.new_connections),
                "{v:?}: {}",
                r.new_connections
            );
        } else {
            // One per request, plus one per poller for the polls cut by the end.
            assert!(
                (r.requests..=r.requests + 2).contains(&r.new_connections),
                "{v:?}: {} connections for {} requests",
                r.new_connections,
                r.requests
            );
        }
    }
    let long = get(Variant::LongKeepAlive).delay_ms_mean.unwrap();
    let short = get(Variant::ShortKeepAlive).delay_ms_mean.unwrap();
    let later = short - long;
    // Events wait for the next short poll: S/2 = 500 ms on average.
    assert!(
        (300.0..700.0).contains(&later),
        "short polling was {later:.0} ms later"
    );
    assert!(get(Variant::LongKeepAlive).requests > get(Variant::ShortKeepAlive).requests);
    assert!(
        c.verdict.contains("Short polling every 1 s"),
        "{}",
        c.verdict
    );

    let dir = tempfile::tempdir().unwrap();
    let files = compare::export(&c, dir.path()).unwrap();
    for f in &files {
        let len = std::fs::metadata(dir.path().join(f)).unwrap().len();
        assert!(len > 100, "{f} is {len} bytes");
    }
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        md.contains("![Connections held open at the server](held.png)"),
        "{md}"
    );
    let png = std::fs::read(dir.path().join("held.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn hammering_intervals_need_confirmation() {
    let server = DemoServer::start(DemoServerConfig::default()).unwrap();
    let base = Profile::for_demo("demo", &server.events_url());
    let opts = CompareOptions {
        duration: Duration::from_millis(300),
        interval: Duration::from_millis(10),
        ..CompareOptions::default()
    };
    let e = compare::run(&base, &opts, false).unwrap_err();
    assert!(e.to_string().contains("confirm"), "{e}");
    assert_eq!(
        server.stats().requests,
        0,
        "nothing was sent before confirmation"
    );
}
