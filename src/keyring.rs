//! Secrets at rest in the OS keyring (the freedesktop Secret Service: GNOME Keyring,
//! `KWallet`), over D-Bus with an encrypted session. The profiles file keeps a reference
//! (`"secrets": {"in": "keyring"}`) and empty secret values; one keyring item per
//! profiles file holds every profile's secret values, keyed by profile and field.
//!
//! Where no keyring answers (a headless server) or it is locked, secrets stay in the
//! file, and the store says so ([`SecretsAt::File`] with the reason), never silently.
//! `POLLSCOPE_SECRETS=file` keeps them in the file on purpose; `=keyring` makes a save
//! fail rather than write them to the file.
//!
//! No prompt is ever asked for: a locked keyring is reported, not unlocked (a prompt
//! on a headless machine would wait forever). Every call runs on a thread of its own
//! and is given up after [`CALL_TIMEOUT`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::profile::Profile;

/// Environment variable choosing where secrets go: `auto` (default), `keyring`, `file`.
pub const SECRETS_ENV: &str = "POLLSCOPE_SECRETS";
/// Longest wait for the keyring to answer one request.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The `application` attribute of Pollscope's keyring items.
const APPLICATION: &str = "pollscope";

/// Why the keyring could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// No Secret Service on the session bus (or no session bus).
    #[error("no keyring (Secret Service) on the session bus: {0}")]
    Absent(String),
    /// The keyring is locked; Pollscope never asks for its password.
    #[error(
        "the keyring is locked; unlock it (log in to the desktop, or `gnome-keyring-daemon --unlock`)"
    )]
    Locked,
    /// The keyring answered with an error.
    #[error("the keyring failed: {0}")]
    Failed(String),
    /// The keyring did not answer in time.
    #[error("the keyring did not answer within {} s", CALL_TIMEOUT.as_secs())]
    TimedOut,
}

/// Where the user asked secrets to be kept (`POLLSCOPE_SECRETS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// The keyring when one answers, else the file (said).
    Auto,
    /// Only the keyring: saving fails when it cannot be used.
    Keyring,
    /// The file, on purpose.
    File,
}

impl Policy {
    /// From `POLLSCOPE_SECRETS` (unknown values are `Auto`).
    #[must_use]
    pub fn from_env() -> Self {
        match std::env::var(SECRETS_ENV).as_deref().map(str::trim) {
            Ok("keyring") => Self::Keyring,
            Ok("file") => Self::File,
            _ => Self::Auto,
        }
    }
}

/// Where the secrets of a profiles file are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretsAt {
    /// In the OS keyring.
    Keyring,
    /// In the profiles file itself, and why.
    File {
        /// Why not in the keyring (`POLLSCOPE_SECRETS=file`, no keyring, locked…).
        why: String,
    },
}

impl SecretsAt {
    /// One line for a status bar or a log: where the secrets are.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Keyring => "secrets are kept in the OS keyring".to_owned(),
            Self::File { why } => {
                format!("secrets are kept in plain text in profiles.json ({why})")
            }
        }
    }
}

/// The reference a profiles file keeps where its secrets are in the keyring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretsRef {
    /// Always `"keyring"`.
    #[serde(rename = "in")]
    pub store: String,
}

impl SecretsRef {
    /// The keyring reference.
    #[must_use]
    pub fn keyring() -> Self {
        Self {
            store: "keyring".to_owned(),
        }
    }
}

/// One profile's secret values, by field (`header/0`, `var/token`, `url`, …).
pub type Fields = BTreeMap<String, String>;

/// A Secret Service on one session bus.
#[derive(Clone, Debug, Default)]
pub struct Keyring {
    /// A D-Bus address; `None`: the session bus (`DBUS_SESSION_BUS_ADDRESS`).
    address: Option<String>,
}

impl Keyring {
    /// The keyring on the session bus.
    #[must_use]
    pub fn session() -> Self {
        Self::default()
    }

    /// The keyring on the bus at `address` (tests run a private bus).
    #[must_use]
    pub fn at(address: &str) -> Self {
        Self {
            address: Some(address.to_owned()),
        }
    }

    /// Store `secret` as the item of the profiles file at `file` (replacing it).
    pub fn store(&self, file: &Path, secret: &[u8]) -> Result<(), KeyringError> {
        let key = item_key(file);
        let secret = secret.to_vec();
        self.call(move |ss| {
            let collection = ss.get_default_collection().map_err(failed)?;
            if collection.is_locked().map_err(failed)? {
                return Err(KeyringError::Locked);
            }
            let attributes = HashMap::from([("application", APPLICATION), ("profiles", &*key)]);
            collection
                .create_item(
                    &format!("Pollscope secrets ({key})"),
                    attributes,
                    &secret,
                    true,
                    "application/json",
                )
                .map_err(failed)?;
            Ok(())
        })
    }

    /// The item of the profiles file at `file`, if there is one.
    pub fn load(&self, file: &Path) -> Result<Option<Vec<u8>>, KeyringError> {
        let key = item_key(file);
        self.call(move |ss| {
            let attributes = HashMap::from([("application", APPLICATION), ("profiles", &*key)]);
            let found = ss.search_items(attributes).map_err(failed)?;
            match (found.unlocked.first(), found.locked.is_empty()) {
                (Some(item), _) => item.get_secret().map(Some).map_err(failed),
                (None, false) => Err(KeyringError::Locked),
                (None, true) => Ok(None),
            }
        })
    }

    /// Delete the item of the profiles file at `file` (no item: nothing to do).
    pub fn delete(&self, file: &Path) -> Result<(), KeyringError> {
        let key = item_key(file);
        self.call(move |ss| {
            let attributes = HashMap::from([("application", APPLICATION), ("profiles", &*key)]);
            let found = ss.search_items(attributes).map_err(failed)?;
            if !found.locked.is_empty() {
                return Err(KeyringError::Locked);
            }
            for item in &found.unlocked {
                item.delete().map_err(failed)?;
            }
            Ok(())
        })
    }

    /// Run `f` against the Secret Service on a thread of its own, giving up after
    /// [`CALL_TIMEOUT`] (the thread is left to finish on its own).
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&secret_service::blocking::SecretService<'_>) -> Result<T, KeyringError>
        + Send
        + 'static,
    ) -> Result<T, KeyringError> {
        let address = self.address.clone();
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("keyring".to_owned())
            .spawn(move || {
                let result = connect(address.as_deref()).and_then(|ss| f(&ss));
                let _ = tx.send(result);
            });
        if let Err(e) = spawned {
            return Err(KeyringError::Failed(format!("cannot start a thread: {e}")));
        }
        rx.recv_timeout(CALL_TIMEOUT)
            .unwrap_or(Err(KeyringError::TimedOut))
    }
}

fn connect(
    address: Option<&str>,
) -> Result<secret_service::blocking::SecretService<'static>, KeyringError> {
    use secret_service::EncryptionType;
    let conn = match address {
        Some(a) => zbus::blocking::connection::Builder::address(a)
            .and_then(zbus::blocking::connection::Builder::build),
        None => zbus::blocking::Connection::session(),
    }
    .map_err(|e| KeyringError::Absent(e.to_string()))?;
    secret_service::blocking::SecretService::connect_with_existing(EncryptionType::Dh, conn)
        .map_err(|e| match e {
            secret_service::Error::Unavailable
            | secret_service::Error::Zbus(_)
            | secret_service::Error::ZbusFdo(_) => KeyringError::Absent(e.to_string()),
            other => KeyringError::Failed(other.to_string()),
        })
}

fn failed(e: secret_service::Error) -> KeyringError {
    match e {
        secret_service::Error::Locked => KeyringError::Locked,
        other => KeyringError::Failed(other.to_string()),
    }
}

/// The `profiles` attribute: the profiles file's absolute path.
fn item_key(file: &Path) -> String {
    std::path::absolute(file)
        .unwrap_or_else(|_| file.to_path_buf())
        .display()
        .to_string()
}

/// Take every secret value out of `p` (left empty, or the URL masked), by field.
#[must_use]
pub fn take(p: &mut Profile) -> Fields {
    let mut out = Fields::new();
    let secret_name = |name: &str| crate::redact::secret_name(name);
    for (i, h) in p.headers.iter_mut().enumerate() {
        if (h.secret || secret_name(&h.name)) && !h.value.is_empty() {
            out.insert(format!("header/{i}"), std::mem::take(&mut h.value));
        }
    }
    let shown = if crate::protocol::template::has_placeholders(&p.url) {
        p.secrets().mask(&p.url).into_owned()
    } else {
        p.shown_url()
    };
    if shown != p.url {
        out.insert("url".to_owned(), std::mem::replace(&mut p.url, shown));
    }
    let stripped = p.proxy.without_secrets();
    if stripped != p.proxy
        && let Ok(text) = serde_json::to_string(&p.proxy)
    {
        out.insert("proxy".to_owned(), text);
        p.proxy = stripped;
    }
    for v in p
        .variables
        .iter_mut()
        .filter(|v| v.secret && !v.value.is_empty())
    {
        out.insert(format!("var/{}", v.name), std::mem::take(&mut v.value));
    }
    let session = &mut p.session;
    let steps = session.bootstrap.iter_mut().map(|s| &mut s.request);
    let replies = session.replies.iter_mut().map(|r| &mut r.request);
    for (kind, requests) in [
        ("bootstrap", steps.collect::<Vec<_>>()),
        ("reply", replies.collect()),
    ] {
        for (j, r) in requests.into_iter().enumerate() {
            for (i, h) in r.headers.iter_mut().enumerate() {
                if h.secret && !h.value.is_empty() {
                    out.insert(
                        format!("{kind}/{j}/header/{i}"),
                        std::mem::take(&mut h.value),
                    );
                }
            }
        }
    }
    out
}

/// Put the values [`take`] took back into `p` (fields it no longer has are dropped).
pub fn put(p: &mut Profile, fields: &Fields) {
    for (field, value) in fields {
        let parts: Vec<&str> = field.split('/').collect();
        let index = |s: &str| s.parse::<usize>().ok();
        match parts.as_slice() {
            ["header", i] => {
                if let Some(h) = index(i).and_then(|i| p.headers.get_mut(i)) {
                    h.value.clone_from(value);
                }
            }
            ["url"] => p.url.clone_from(value),
            ["proxy"] => {
                if let Ok(proxy) = serde_json::from_str(value) {
                    p.proxy = proxy;
                }
            }
            ["var", name] => {
                if let Some(v) = p.variables.iter_mut().find(|v| v.name == *name) {
                    v.value.clone_from(value);
                }
            }
            [kind @ ("bootstrap" | "reply"), j, "header", i] => {
                let request = match (*kind, index(j)) {
                    ("bootstrap", Some(j)) => {
                        p.session.bootstrap.get_mut(j).map(|s| &mut s.request)
                    }
                    (_, Some(j)) => p.session.replies.get_mut(j).map(|r| &mut r.request),
                    _ => None,
                };
                if let Some(h) = request.and_then(|r| index(i).and_then(|i| r.headers.get_mut(i))) {
                    h.value.clone_from(value);
                }
            }
            _ => {}
        }
    }
}

/// The keyring item's document: each profile's fields, by profile position and name.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Item {
    /// `(profile name, fields)`, in the file's order.
    pub profiles: Vec<(String, Fields)>,
}

impl Item {
    /// Take the secrets out of `profiles` into an item.
    #[must_use]
    pub fn take_from(profiles: &mut [Profile]) -> Self {
        Self {
            profiles: profiles
                .iter_mut()
                .map(|p| (p.name.clone(), take(p)))
                .filter(|(_, f)| !f.is_empty())
                .collect(),
        }
    }

    /// Put the secrets back into the profiles of the same names.
    pub fn put_into(&self, profiles: &mut [Profile]) {
        for (name, fields) in &self.profiles {
            if let Some(p) = profiles.iter_mut().find(|p| &p.name == name) {
                put(p, fields);
            }
        }
    }

    /// Whether no profile has a secret.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }
}
