//! Desktop notifications against a real notification daemon: the test starts its own
//! Xvfb, a private D-Bus session bus (`dbus-daemon --session`) and Debian's `dunst` on
//! it, with a rule that runs a script for every notification from "Pollscope" (the
//! script writes what the daemon received into a file). `pollscope agent --notify`
//! watches two profiles of a silent demo server, one with notifications on and one with
//! them off: the daemon receives the firing quiet alert of the first (profile name and
//! reason), nothing of the second, and after an event arrives the resolved one. The
//! latency from the transition to the daemon's script is printed for the closing note.
//!
//! Without Xvfb, dbus-daemon or dunst the test skips, saying how to install them, unless
//! `POLLSCOPE_REQUIRE_SERVERS=1` (CI), which makes that a failure.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected input")]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use pollscope::demo_server::{DemoServer, DemoServerConfig};
use pollscope::profile::Profile;

const TOOLS: [&str; 3] = ["/usr/bin/Xvfb", "/usr/bin/dbus-daemon", "/usr/bin/dunst"];

/// A child process, killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        if self.0.kill().is_ok() {
            let _reaped = self.0.wait();
        }
    }
}

fn tools_installed() -> bool {
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|t| !Path::new(t).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var("POLLSCOPE_REQUIRE_SERVERS").as_deref() != Ok("1"),
        "{missing:?} not installed but POLLSCOPE_REQUIRE_SERVERS=1; \
         scripts/install-monitoring.sh installs them (xvfb, dbus-daemon, dunst)"
    );
    eprintln!("SKIPPED: {missing:?} not installed; scripts/install-monitoring.sh installs them");
    false
}

/// Start `cmd`, whose first stdout line is what it announces (a display number, a bus
/// address), within 20 s.
fn start_announcing(mut cmd: Command) -> (Proc, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("announcement".into())
        .spawn(move || {
            let mut line = String::new();
            let _read = BufReader::new(stdout).read_line(&mut line);
            let _sent = tx.send(line);
        })
        .unwrap();
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("announced within 20 s");
    (Proc(child), line.trim().to_owned())
}

/// What the daemon received, one line per notification:
/// `epoch-seconds \t app \t urgency \t summary \t body`.
fn received(log: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn wait_for(
    log: &Path,
    limit: Duration,
    done: impl Fn(&[Vec<String>]) -> bool,
) -> Vec<Vec<String>> {
    let until = Instant::now() + limit;
    loop {
        let got = received(log);
        if done(&got) || Instant::now() > until {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The desktop: Xvfb, a session bus, dunst logging through `script` into `log`.
struct Desktop {
    bus: String,
    log: PathBuf,
    _procs: Vec<Proc>,
}

fn desktop(dir: &Path) -> Desktop {
    let (xvfb, display) = start_announcing({
        let mut c = Command::new("Xvfb");
        c.args([
            "-displayfd",
            "1",
            "-nolisten",
            "tcp",
            "-screen",
            "0",
            "640x480x24",
        ]);
        c
    });
    let (dbus, bus) = start_announcing({
        let mut c = Command::new("dbus-daemon");
        c.args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", dir.join("bus").display()));
        c
    });
    let log = dir.join("received.tsv");
    let script = dir.join("received.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\t%s\\t%s\\t%s\\t%s\\n' \"$(date +%s.%N)\" \"$DUNST_APP_NAME\" \
             \"$DUNST_URGENCY\" \"$DUNST_SUMMARY\" \"$DUNST_BODY\" >> '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = dir.join("dunstrc");
    std::fs::write(
        &config,
        format!(
            "[global]\n    font = Monospace 8\n[pollscope]\n    appname = Pollscope\n    script = {}\n",
            script.display()
        ),
    )
    .unwrap();
    let dunst = Command::new("dunst")
        .arg("-config")
        .arg(&config)
        .env("DISPLAY", format!(":{display}"))
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // dunst owns org.freedesktop.Notifications once it is up; ask the bus until it does.
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let owned = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.Notifications",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"));
        if owned {
            break;
        }
        assert!(Instant::now() < until, "dunst did not take the bus name");
        std::thread::sleep(Duration::from_millis(100));
    }
    Desktop {
        bus,
        log,
        _procs: vec![Proc(dunst), dbus, xvfb],
    }
}

fn epoch(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The `at` of the agent's JSON transition line for `profile` in `state`.
fn transition_at(stdout: &str, profile: &str, state: &str) -> Option<SystemTime> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "alert" && v["profile"] == profile && v["state"] == state)
        .and_then(|v| humantime::parse_rfc3339(v["at"].as_str()?).ok())
}

#[test]
fn the_daemon_gets_firing_then_resolved_with_profile_and_reason_and_nothing_when_off() {
    if !tools_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let desk = desktop(dir.path());
    // No generator: silent until the test publishes.
    let server = DemoServer::start(DemoServerConfig::default()).unwrap();
    let mut on = Profile::for_demo("orders <eu>", &server.events_url());
    on.hold_s = 1;
    on.alerts.rules = vec!["quiet>1s".parse().unwrap()];
    let mut off = on.clone();
    off.name = "muted".into();
    off.alerts.notify = false;
    let file = dir.path().join("profiles.json");
    std::fs::write(
        &file,
        pollscope::profile_store::ProfileStore::to_bytes(&[on, off]),
    )
    .unwrap();

    let mut agent = Command::new(env!("CARGO_BIN_EXE_pollscope"))
        .args([
            "agent",
            "--notify",
            "--json",
            "--duration",
            "40s",
            "--profiles",
        ])
        .arg(&file)
        .env("DBUS_SESSION_BUS_ADDRESS", &desk.bus)
        .env("POLLSCOPE_CONFIG_DIR", dir.path().join("config"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = agent.stdout.take().unwrap();
    let agent = Proc(agent);

    let fired = wait_for(&desk.log, Duration::from_secs(20), |got| !got.is_empty());
    assert_eq!(fired.len(), 1, "one firing notification: {fired:?}");
    let f = &fired[0];
    assert_eq!(f[1], "Pollscope");
    assert_eq!(f[2], "CRITICAL");
    assert_eq!(f[3], "orders <eu>: quiet>1s firing");
    assert!(f[4].starts_with("no event since connecting"), "{f:?}");

    server.publish(serde_json::json!({ "n": 1 }));
    let published = SystemTime::now();
    let got = wait_for(&desk.log, Duration::from_secs(20), |got| got.len() >= 3);
    assert!(got.len() >= 2, "the resolved one arrives: {got:?}");
    let r = &got[1];
    assert_eq!(r[2], "NORMAL");
    assert_eq!(r[3], "orders <eu>: quiet>1s resolved");
    assert!(r[4].contains("fired for"), "{r:?}");
    // Silent again after that event: quiet>1s fires again, end to end from the last
    // event to the daemon.
    assert!(got.len() >= 3, "firing again: {got:?}");
    let again = &got[2];
    assert_eq!(again[3], "orders <eu>: quiet>1s firing");
    let silence_to_daemon = again[0].parse::<f64>().unwrap() - epoch(published);
    eprintln!(
        "last event published → dunst got the quiet>1s notification: {silence_to_daemon:.3} s"
    );
    assert!(silence_to_daemon >= 1.0, "{silence_to_daemon}");
    // Both profiles fired and resolved (the agent printed it); the muted one reached
    // no daemon.
    drop(agent);
    let mut text = String::new();
    stdout.read_to_string(&mut text).unwrap();
    assert!(
        transition_at(&text, "muted", "firing").is_some(),
        "the muted profile fired too: {text}"
    );
    assert!(
        received(&desk.log).iter().all(|n| !n[3].contains("muted")),
        "{:?}",
        received(&desk.log)
    );
    let fired_at = transition_at(&text, "orders <eu>", "firing").unwrap();
    let resolved_at = transition_at(&text, "orders <eu>", "resolved").unwrap();
    let f_ms = (f[0].parse::<f64>().unwrap() - epoch(fired_at)) * 1000.0;
    let r_ms = (r[0].parse::<f64>().unwrap() - epoch(resolved_at)) * 1000.0;
    eprintln!("transition → dunst's script ran: firing {f_ms:.0} ms, resolved {r_ms:.0} ms");
    // `at` is printed in whole milliseconds: the script cannot run before it
    assert!(f_ms > -1.0 && r_ms > -1.0, "{f_ms} {r_ms}");
}
