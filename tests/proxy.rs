//! Polling through a real forward proxy: squid on loopback (`tests/support/servers.rs`),
//! in front of the demo server. Plain HTTP goes as absolute-form requests, HTTPS through
//! a `CONNECT` tunnel; the connections counted are the ones to the proxy, checked
//! against squid's own access log (one client port per connection).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

#[path = "support/servers.rs"]
#[allow(dead_code, reason = "this binary uses only squid of the servers")]
mod servers;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use pollscope::demo_server::{DemoServer, DemoServerConfig, TlsMode};
use pollscope::poll::{ErrorKind, PollEvent, PollFailure, Session, no_waker};
use pollscope::profile::Profile;
use pollscope::proxy::{ManualProxy, ProxySetting};
use pollscope::stats::{Stats, StatsConfig};
use pollscope::transport::NewConnection;

use servers::{SQUID_PASSWORD, SQUID_USER, Squid, SquidRequest};

const POLLERS: u32 = 3;
/// Polls each poller makes before a run stops.
const POLLS_EACH: u64 = 15;

fn demo(tls: bool) -> DemoServer {
    DemoServer::start(DemoServerConfig {
        rate_per_s: 40.0,
        tls: tls.then_some(TlsMode::SelfSigned),
        ..DemoServerConfig::default()
    })
    .unwrap()
}

fn through(server: &DemoServer, proxy: ProxySetting) -> Profile {
    let mut p = Profile::for_demo("proxied", &server.events_url());
    p.pollers = POLLERS;
    p.hold_s = 5;
    p.accept_invalid_certs = true;
    p.proxy = proxy;
    p
}

fn manual(url: &str, user: &str, password: &str) -> ProxySetting {
    ProxySetting::Manual(ManualProxy {
        url: url.to_owned(),
        username: user.to_owned(),
        password: password.to_owned(),
        no_proxy: String::new(),
    })
}

/// What a session saw.
struct Run {
    stats: Stats,
    opened: Vec<NewConnection>,
    failures: Vec<PollFailure>,
    answers: u64,
    tcp_connects: u64,
    tls_handshakes: u64,
}

/// Run `profile` until each poller has `polls` answers, or `failures` failures in all,
/// or 30 s; then stop it.
fn run(profile: Profile, polls: u64, failures: usize) -> Run {
    let mut session = Session::start(profile, no_waker()).unwrap();
    let mut run = Run {
        stats: Stats::new(session.started(), StatsConfig::default()),
        opened: Vec::new(),
        failures: Vec::new(),
        answers: 0,
        tcp_connects: 0,
        tls_handshakes: 0,
    };
    let record = |e: PollEvent, run: &mut Run| {
        run.stats.record(&e);
        match e {
            PollEvent::Connected { conn, .. } => run.opened.push(conn),
            PollEvent::Failed(f) => run.failures.push(*f),
            PollEvent::Response(_) => run.answers += 1,
            _ => {}
        }
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let done = run.failures.len() >= failures
            || (run.stats.pollers().len() == POLLERS as usize
                && run.stats.pollers().iter().all(|p| p.polls >= polls));
        if done {
            break;
        }
        if let Ok(e) = session.events().recv_timeout(Duration::from_millis(50)) {
            record(e, &mut run);
        }
    }
    session.stop();
    for e in session.events().try_iter() {
        record(e, &mut run);
    }
    run.tcp_connects = session.metrics().tcp_connects();
    run.tls_handshakes = session.metrics().tls_handshakes();
    run
}

fn ports(requests: &[SquidRequest]) -> BTreeSet<u16> {
    requests.iter().map(|r| r.client_port).collect()
}

fn to_demo(server: &DemoServer) -> impl Fn(&SquidRequest) -> bool {
    let target = server.addr().to_string();
    move |r| r.url.contains(&target)
}

#[test]
fn plain_http_goes_through_squid_on_one_reused_connection_per_poller() {
    let server = demo(false);
    let Some(squid) = Squid::start(&[], false) else {
        return;
    };
    eprintln!("{}", Squid::version());
    let r = run(
        through(&server, manual(&squid.url(), "", "")),
        POLLS_EACH,
        1,
    );
    assert!(r.failures.is_empty(), "{:?}", r.failures.first());
    assert_eq!(
        r.tcp_connects,
        u64::from(POLLERS),
        "connections to the proxy"
    );
    assert_eq!(r.stats.new_connections(), u64::from(POLLERS));
    assert!(
        r.opened
            .iter()
            .all(|c| c.via_proxy && c.proxy_tunnel.is_none())
    );
    let polls = r.stats.polls();
    assert!(polls >= POLLS_EACH * u64::from(POLLERS), "{polls}");
    assert_eq!(r.stats.reused_polls(), polls - u64::from(POLLERS));

    // Squid's view: absolute-form GETs (squid refuses CONNECT to this port), on exactly
    // as many client connections as the transport counted.
    let answered = |l: &SquidRequest| l.method == "GET" && l.result == "TCP_MISS/200";
    let seen = squid.wait_for_requests(to_demo(&server), |found| {
        found.iter().filter(|l| answered(l)).count() as u64 >= r.answers
    });
    let ok = seen.iter().filter(|l| answered(l)).count() as u64;
    // The answers squid delivered while the session stopped may not have been read.
    assert!(
        (r.answers..=r.answers + u64::from(POLLERS)).contains(&ok),
        "squid answered {ok}, the client read {}",
        r.answers
    );
    assert!(
        seen.iter().all(|l| l.url.starts_with("http://")),
        "{seen:?}"
    );
    assert_eq!(ports(&seen).len(), POLLERS as usize, "{seen:?}");
    eprintln!(
        "plain HTTP via squid: {polls} polls, {} connections to the proxy, {} reused; \
         squid logged {} requests from {} client ports; the demo server accepted {}",
        r.tcp_connects,
        r.stats.reused_polls(),
        seen.len(),
        ports(&seen).len(),
        server.stats().accepted_connections
    );
}

#[test]
fn https_goes_through_a_connect_tunnel_per_poller_with_one_handshake_each() {
    let server = demo(true);
    let Some(squid) = Squid::start(&[server.addr().port()], false) else {
        return;
    };
    let r = run(
        through(&server, manual(&squid.url(), "", "")),
        POLLS_EACH,
        1,
    );
    assert!(r.failures.is_empty(), "{:?}", r.failures.first());
    let n = u64::from(POLLERS);
    assert_eq!(r.tcp_connects, n, "tunnels (connections to the proxy)");
    assert_eq!(
        r.tls_handshakes, n,
        "TLS handshakes with the server, in the tunnels"
    );
    assert!(
        r.opened
            .iter()
            .all(|c| c.via_proxy && c.proxy_tunnel.is_some() && c.tls_handshake.is_some()),
        "{:?}",
        r.opened
    );
    let polls = r.stats.polls();
    assert_eq!(r.stats.reused_polls(), polls - n);

    // Squid logs a tunnel when it closes: the session's stop closed them all.
    let tunnels =
        squid.wait_for_requests(to_demo(&server), |found| found.len() >= POLLERS as usize);
    assert_eq!(tunnels.len(), POLLERS as usize, "{tunnels:?}");
    assert!(
        tunnels
            .iter()
            .all(|l| l.method == "CONNECT" && l.result == "TCP_TUNNEL/200"),
        "{tunnels:?}"
    );
    assert_eq!(ports(&tunnels).len(), POLLERS as usize);
    eprintln!(
        "HTTPS via squid: {polls} polls over {} CONNECT tunnels ({} TLS handshakes), {} reused",
        r.tcp_connects,
        r.tls_handshakes,
        r.stats.reused_polls()
    );
}

#[test]
fn no_proxy_hosts_go_direct() {
    let server = demo(false);
    let Some(squid) = Squid::start(&[], false) else {
        return;
    };
    let setting = ProxySetting::Manual(ManualProxy {
        url: squid.url(),
        no_proxy: "localhost, 127.0.0.0/8".to_owned(),
        ..ManualProxy::default()
    });
    let r = run(through(&server, setting), 5, 1);
    assert!(r.failures.is_empty(), "{:?}", r.failures.first());
    assert!(r.opened.iter().all(|c| !c.via_proxy));
    assert_eq!(server.stats().accepted_connections, u64::from(POLLERS));
    assert!(squid.requests(to_demo(&server)).is_empty());
}

#[test]
fn a_dead_proxy_is_named_in_the_error_not_the_server() {
    let server = demo(false);
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let r = run(
        through(&server, manual(&format!("127.0.0.1:{dead_port}"), "", "")),
        1,
        1,
    );
    let f = r.failures.first().expect("a failure");
    assert_eq!(f.kind, ErrorKind::Proxy);
    assert!(
        f.message.starts_with(&format!(
            "proxy 127.0.0.1:{dead_port} refused the connection"
        )),
        "{}",
        f.message
    );
    assert!(
        !f.message.contains(&server.addr().to_string()),
        "{}",
        f.message
    );
    assert_eq!(server.stats().accepted_connections, 0);
}

#[test]
fn squid_that_cannot_reach_the_server_is_reported_as_the_proxy_s_answer() {
    let Some(squid) = Squid::start(&[], false) else {
        return;
    };
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events", closed.local_addr().unwrap());
    drop(closed);
    let mut p = Profile::for_demo("gone", &url);
    p.proxy = manual(&squid.url(), "", "");
    let r = run(p, 1, 1);
    let f = r.failures.first().expect("a failure");
    assert_eq!(
        (f.kind, f.status),
        (ErrorKind::Proxy, Some(503)),
        "{}",
        f.message
    );
    assert!(
        f.message
            .contains(&format!("proxy 127.0.0.1:{} answered 503", squid.port))
            && f.message.contains("could not reach the server"),
        "{}",
        f.message
    );
}

#[test]
fn a_proxy_that_wants_credentials_gets_them_and_they_stay_secret() {
    let plain = demo(false);
    let tls = demo(true);
    let Some(squid) = Squid::start(&[tls.addr().port()], true) else {
        return;
    };
    let proxy = squid.url();
    let authority = format!("127.0.0.1:{}", squid.port);
    for server in [&plain, &tls] {
        // No credentials: squid answers 407 (to the GET, or to the CONNECT).
        let r = run(through(server, manual(&proxy, "", "")), 1, 1);
        let f = r.failures.first().expect("a failure");
        assert_eq!(f.kind, ErrorKind::Proxy, "{}", f.message);
        assert!(
            f.message
                .starts_with(&format!("proxy {authority} answered 407"))
                && f.message.contains("wants a user name and password"),
            "{}",
            f.message
        );
        // Wrong password: 407 again, and the message says the credentials were refused.
        let r = run(
            through(server, manual(&proxy, SQUID_USER, "not-the-pw")),
            1,
            1,
        );
        let f = r.failures.first().expect("a failure");
        assert!(
            f.message.contains("refused the user name and password"),
            "{}",
            f.message
        );
        assert!(!f.message.contains("not-the-pw"), "{}", f.message);

        let r = run(
            through(server, manual(&proxy, SQUID_USER, SQUID_PASSWORD)),
            5,
            1,
        );
        let messages: Vec<&str> = r.failures.iter().map(|f| f.message.as_str()).collect();
        assert!(messages.is_empty(), "{messages:#?}");
        assert_eq!(r.tcp_connects, u64::from(POLLERS));
        assert_eq!(r.stats.reused_polls(), r.stats.polls() - u64::from(POLLERS));
    }
    // Squid authenticated the user on the GETs and on the tunnels (logged when closed).
    let by_user = squid.wait_for_requests(
        |l| l.user == SQUID_USER,
        |found| found.iter().any(|l| l.result == "TCP_TUNNEL/200"),
    );
    assert!(
        by_user
            .iter()
            .any(|l| l.method == "GET" && l.result == "TCP_MISS/200")
    );
    assert!(
        by_user
            .iter()
            .any(|l| l.method == "CONNECT" && l.result == "TCP_TUNNEL/200")
    );
}

// ---- the environment, as the binary reads it ------------------------------------------

const PROXY_VARS: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// `pollscope watch URL --duration 2s --json` with exactly these proxy variables.
fn watch_with_env(url: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pollscope"));
    c.env(
        "POLLSCOPE_CONFIG_DIR",
        std::env::temp_dir().join("pollscope-proxy-test-none"),
    );
    for v in PROXY_VARS {
        c.env_remove(v);
    }
    c.envs(env.iter().copied());
    c.args(["watch", url, "--duration", "2s", "--insecure", "--json"])
        .output()
        .unwrap()
}

fn summary(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn proxy_environment_variables_are_honoured_as_curl_does() {
    let plain = demo(false);
    let tls = demo(true);
    let Some(squid) = Squid::start(&[tls.addr().port()], false) else {
        return;
    };
    let proxy = squid.url();
    let dead = "http://127.0.0.1:9";
    // Upper-case HTTP_PROXY for http://; the lower-case one wins when both are set.
    for env in [
        vec![("HTTP_PROXY", proxy.as_str())],
        vec![("http_proxy", proxy.as_str()), ("HTTP_PROXY", dead)],
        vec![("ALL_PROXY", proxy.as_str())],
    ] {
        let before = squid.requests(to_demo(&plain)).len();
        let v = summary(&watch_with_env(&plain.events_url(), &env));
        assert!(v["polls"].as_u64().unwrap() > 0, "{env:?}: {v}");
        assert_eq!(v["errors"], 0, "{env:?}: {v}");
        let after = squid.wait_for_requests(to_demo(&plain), |f| f.len() > before);
        assert!(after.len() > before, "{env:?}: squid saw nothing");
    }
    // https_proxy for https://: a tunnel through squid.
    let v = summary(&watch_with_env(
        &tls.events_url(),
        &[("https_proxy", &proxy)],
    ));
    assert_eq!(v["errors"], 0, "{v}");
    assert_eq!(v["tls_handshakes"], v["new_connections"], "{v}");
    let tunnels = squid.wait_for_requests(to_demo(&tls), |f| !f.is_empty());
    assert!(tunnels.iter().all(|l| l.method == "CONNECT"), "{tunnels:?}");
    assert!(!tunnels.is_empty());
    // NO_PROXY: straight to the server although the proxy is dead.
    let accepted = plain.stats().accepted_connections;
    let v = summary(&watch_with_env(
        &plain.events_url(),
        &[("HTTP_PROXY", dead), ("NO_PROXY", "example.com,127.0.0.1")],
    ));
    assert_eq!(v["errors"], 0, "{v}");
    assert!(plain.stats().accepted_connections > accepted);
    // A dead proxy from the environment: the error names it and where it was set.
    let out = watch_with_env(&plain.events_url(), &[("HTTP_PROXY", dead)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("proxy 127.0.0.1:9 refused the connection")
            && err.contains("environment variable HTTP_PROXY"),
        "{err}"
    );
    // A proxy URL the app cannot use is refused up front, naming the variable.
    let out = watch_with_env(
        &plain.events_url(),
        &[("ALL_PROXY", "socks5://127.0.0.1:1080")],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ALL_PROXY") && err.contains("SOCKS"), "{err}");
}
