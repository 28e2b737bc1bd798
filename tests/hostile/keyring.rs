//! Secrets at rest (issue 14, point 3): against a real `gnome-keyring-daemon` on a
//! private D-Bus session bus of this test's own (no service activation, so nothing else
//! answers), the profiles file keeps a reference and no secret value; a locked keyring
//! is reported and never prompted for; with no keyring the fallback to the file is said.
//! Needs `dbus-daemon` and `gnome-keyring-daemon` (scripts/install-interop-servers.sh);
//! skipped without them unless `POLLSCOPE_REQUIRE_SERVERS=1`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pollscope::header::HeaderSpec;
use pollscope::keyring::{Keyring, KeyringError, Policy, SecretsAt};
use pollscope::profile::Profile;
use pollscope::profile_store::{ProfileStore, StoreError};
use pollscope::protocol::vars::Variable;

use super::server::{Hostile, Reply};
use super::{bin, run};

const API_KEY: &str = "KeyringApiKey1";
const QUERY_TOKEN: &str = "KeyringQuery2";
const VAR_SECRET: &str = "KeyringVar3";
const SHORT: &str = "k4";

/// A private session bus, and on it (when started) a GNOME keyring; both end on drop.
struct Bus {
    dir: tempfile::TempDir,
    address: String,
    daemon: Child,
    keyring: Option<Child>,
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

const HINT: &str = "install dbus-daemon and gnome-keyring (scripts/install-interop-servers.sh)";

impl Bus {
    /// A bus with nothing on it, or `None` (skip) when D-Bus is not installed.
    fn start() -> Option<Self> {
        if !installed("dbus-daemon") || !installed("gnome-keyring-daemon") {
            assert!(
                std::env::var("POLLSCOPE_REQUIRE_SERVERS").as_deref() != Ok("1"),
                "POLLSCOPE_REQUIRE_SERVERS=1 but the keyring tests cannot run: {HINT}"
            );
            eprintln!("SKIPPED: {HINT}");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("bus");
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        Some(Self {
            dir,
            address,
            daemon,
            keyring: None,
        })
    }

    /// Start a GNOME keyring on the bus, its login collection made and unlocked with a
    /// password given on stdin (as a desktop login does); wait until it answers.
    fn with_keyring(mut self) -> Self {
        let home = self.dir.path();
        for d in ["data", "run"] {
            std::fs::create_dir_all(home.join(d)).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(home.join("run"), std::fs::Permissions::from_mode(0o700))
                .unwrap();
        }
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--components=secrets", "--unlock"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_RUNTIME_DIR", home.join("run"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"test-password").unwrap();
        drop(stdin);
        self.keyring = Some(child);
        let keyring = self.keyring();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match keyring.load(Path::new("/nonexistent/profiles.json")) {
                Ok(_) => break,
                Err(e) if Instant::now() > deadline => panic!("the keyring never answered: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        self
    }

    fn keyring(&self) -> Keyring {
        Keyring::at(&self.address)
    }

    /// Lock the login collection (no prompt: locking never asks).
    fn lock(&self) {
        let conn = zbus::blocking::connection::Builder::address(self.address.as_str())
            .unwrap()
            .build()
            .unwrap();
        let ss = secret_service::blocking::SecretService::connect_with_existing(
            secret_service::EncryptionType::Dh,
            conn,
        )
        .unwrap();
        let login = ss.get_default_collection().unwrap();
        login.lock().unwrap();
        assert!(login.is_locked().unwrap());
    }

    /// The `pollscope` binary talking to this bus, profiles in `config`.
    fn pollscope(&self, config: &Path) -> Command {
        let mut c = bin(config);
        c.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env_remove(pollscope::keyring::SECRETS_ENV);
        c
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        for child in self.keyring.iter_mut().chain([&mut self.daemon]) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A profile for `url` with a secret header, a secret query value, a secret variable
/// and a secret two characters long.
fn profile(url: &str) -> Profile {
    Profile {
        name: "Keyed".to_owned(),
        url: format!("{url}?token={QUERY_TOKEN}"),
        headers: vec![
            HeaderSpec {
                name: "X-Api-Key".to_owned(),
                value: API_KEY.to_owned(),
                secret: true,
            },
            HeaderSpec {
                name: "X-Short".to_owned(),
                value: SHORT.to_owned(),
                secret: true,
            },
        ],
        variables: vec![Variable {
            secret: true,
            ..Variable::new("sid", VAR_SECRET)
        }],
        ..Profile::default()
    }
}

fn holds_a_secret(text: &str) -> Vec<&'static str> {
    [API_KEY, QUERY_TOKEN, VAR_SECRET, "\"k4\""]
        .into_iter()
        .filter(|s| text.contains(s))
        .collect()
}

fn file_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("profiles.json")).unwrap()
}

fn save(dir: &Path, keyring: Keyring, policy: Policy, p: &Profile) -> ProfileStore {
    let mut store = ProfileStore::open_with(dir, keyring, policy).unwrap();
    store.profiles = vec![p.clone()];
    store.save().unwrap();
    store
}

fn one_event() -> Hostile {
    Hostile::start("127.0.0.1", |_, n| {
        Reply::json(&format!(r#"{{"cursor": {n}, "events": [{{"seq": {n}}}]}}"#))
    })
}

/// Before: profiles.json held every secret in plain text.
#[test]
fn secrets_are_kept_in_the_keyring_and_the_file_keeps_a_reference() {
    let Some(bus) = Bus::start() else { return };
    let bus = bus.with_keyring();
    let server = one_event();
    let p = profile(&server.url("/events"));
    let config = tempfile::tempdir().unwrap();
    let store = save(config.path(), bus.keyring(), Policy::Auto, &p);
    assert_eq!(store.secrets_at(), Some(&SecretsAt::Keyring));
    let file = file_of(config.path());
    assert_eq!(holds_a_secret(&file), Vec::<&str>::new(), "{file}");
    assert!(file.contains(r#""in": "keyring""#), "{file}");

    let back = ProfileStore::open_with(config.path(), bus.keyring(), Policy::Auto).unwrap();
    assert!(back.secrets_missing().is_none());
    assert_eq!(back.profiles, vec![p], "every secret comes back");

    // The CLI reads them from the keyring and sends them; `profiles` says where they are.
    let mut c = bus.pollscope(config.path());
    c.args(["watch", "--profile", "Keyed", "--duration", "1s", "--json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let seen = server.seen();
    assert!(!seen.is_empty());
    assert_eq!(seen[0].header("X-Api-Key"), Some(API_KEY));
    assert_eq!(seen[0].header("X-Short"), Some(SHORT));
    assert!(seen[0].target.contains(QUERY_TOKEN), "{}", seen[0].target);
    let mut c = bus.pollscope(config.path());
    c.arg("profiles");
    let (_, _, err) = run(c);
    assert!(err.contains("secrets are kept in the OS keyring"), "{err}");

    // Without any secret left, the keyring keeps no copy of the old ones.
    let mut back = back;
    back.profiles = vec![Profile {
        name: "Keyed".to_owned(),
        url: server.url("/events"),
        ..Profile::default()
    }];
    back.save().unwrap();
    assert_eq!(back.secrets_at(), None);
    assert_eq!(
        bus.keyring().load(&config.path().join("profiles.json")),
        Ok(None)
    );
    assert!(!file_of(config.path()).contains("keyring"));
}

/// A locked keyring is said, never prompted for, and nothing is lost: profiles load
/// without their secrets, saving is refused, the file and the item stay as they were.
#[test]
fn a_locked_keyring_is_said_and_nothing_is_lost() {
    let Some(bus) = Bus::start() else { return };
    let bus = bus.with_keyring();
    let server = one_event();
    let p = profile(&server.url("/events"));
    let config = tempfile::tempdir().unwrap();
    save(config.path(), bus.keyring(), Policy::Auto, &p);
    let before = file_of(config.path());
    bus.lock();

    let mut store = ProfileStore::open_with(config.path(), bus.keyring(), Policy::Auto).unwrap();
    let missing = store.secrets_missing().expect("secrets said missing");
    assert!(
        matches!(
            missing,
            StoreError::SecretsMissing {
                why: KeyringError::Locked,
                ..
            }
        ),
        "{missing}"
    );
    let saved = store.save();
    assert!(
        matches!(saved, Err(StoreError::SecretsMissing { .. })),
        "{saved:?}"
    );
    assert_eq!(file_of(config.path()), before, "the file is left as it was");

    let mut c = bus.pollscope(config.path());
    c.args(["watch", "--profile", "Keyed", "--duration", "1s"]);
    let started = Instant::now();
    let (code, out, err) = run(c);
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(err.contains("locked"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no prompt waited for"
    );
    assert!(server.seen().is_empty(), "never polled without its secrets");

    // A new file while the keyring is locked: the secrets stay in the file, said so;
    // POLLSCOPE_SECRETS=keyring refuses instead.
    let other = tempfile::tempdir().unwrap();
    let store = save(other.path(), bus.keyring(), Policy::Auto, &p);
    match store.secrets_at() {
        Some(SecretsAt::File { why }) => assert!(why.contains("locked"), "{why}"),
        at => panic!("{at:?}"),
    }
    assert!(file_of(other.path()).contains(API_KEY));
    let strict = tempfile::tempdir().unwrap();
    let mut store = ProfileStore::open_with(strict.path(), bus.keyring(), Policy::Keyring).unwrap();
    store.profiles = vec![p];
    let refused = store.save();
    assert!(
        matches!(
            refused,
            Err(StoreError::KeyringRequired {
                why: KeyringError::Locked
            })
        ),
        "{refused:?}"
    );
    assert!(!strict.path().join("profiles.json").exists());
}

/// No keyring (a headless server: no bus at all, or a bus with no Secret Service): the
/// secrets stay in the file, and every face says so.
#[test]
fn without_a_keyring_the_file_fallback_is_said() {
    let Some(bus) = Bus::start() else { return };
    let p = profile("http://127.0.0.1:9/events");
    let nowhere = PathBuf::from("/nonexistent/pollscope-test-bus");
    for keyring in [
        bus.keyring(),
        Keyring::at(&format!("unix:path={}", nowhere.display())),
    ] {
        let config = tempfile::tempdir().unwrap();
        let store = save(config.path(), keyring, Policy::Auto, &p);
        match store.secrets_at() {
            Some(SecretsAt::File { why }) => assert!(why.contains("no keyring"), "{why}"),
            at => panic!("{at:?}"),
        }
        let file = file_of(config.path());
        assert!(
            file.contains(API_KEY) && !file.contains("keyring"),
            "{file}"
        );
    }
    let config = tempfile::tempdir().unwrap();
    save(config.path(), bus.keyring(), Policy::Auto, &p);
    let mut c = bus.pollscope(config.path());
    c.arg("profiles");
    let (code, _, err) = run(c);
    assert_eq!(code, Some(0));
    assert!(err.contains("plain text in profiles.json"), "{err}");
}
