//! Saved profiles: a versioned JSON file in the OS config dir (or `POLLSCOPE_CONFIG_DIR`),
//! written atomically (temp file + rename), owner-only, never overwritten when it could
//! not be read or when another instance changed it since we read it.
//!
//! Depends only on [`crate::profile`]; no UI.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::keyring::{Item, Keyring, KeyringError, Policy, SecretsAt, SecretsRef};
use crate::profile::Profile;

/// File format version written by this build.
pub const FORMAT_VERSION: u32 = 1;
/// File name inside the config dir.
pub const FILE_NAME: &str = "profiles.json";
/// Largest profiles file read (8 MiB: thousands of profiles; real files are kilobytes).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Environment variable that overrides the config dir.
pub const CONFIG_DIR_ENV: &str = "POLLSCOPE_CONFIG_DIR";

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Neither the override nor the OS names a config directory.
    #[error("no config directory: set {CONFIG_DIR_ENV} or HOME")]
    NoConfigDir,
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why not.
        source: io::Error,
    },
    /// The file is not a profiles document.
    #[error("{path} line {line} column {column}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Where the problem is (1-based).
        line: usize,
        /// Where in the line (1-based).
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// The file is larger than any profiles file Pollscope writes: not read at all (a
    /// 129 MB file took 4.2 GB of memory to reject).
    #[error(
        "{path} is {size} bytes, more than the {MAX_FILE_BYTES} bytes a profiles file may have; \
         it is not read (move it away, or keep fewer or smaller profiles)"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// The file's format version is newer than this build reads.
    #[error(
        "{path} was written by a newer Pollscope (format {found}, this build reads up to {FORMAT_VERSION})"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: u32,
    },
    /// The file (or a temp file beside it) cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why not.
        source: io::Error,
    },
    /// The file's secrets are in the keyring, which cannot give them now: saving would
    /// lose them, and a profile run without them would fail.
    #[error("the secrets of {path} are in the OS keyring, which cannot give them now: {why}")]
    SecretsMissing {
        /// The file.
        path: PathBuf,
        /// Why not.
        why: KeyringError,
    },
    /// `POLLSCOPE_SECRETS=keyring` and the keyring cannot take the secrets.
    #[error(
        "secrets not saved: {why} (POLLSCOPE_SECRETS=keyring forbids keeping them in the file; \
         unset it to keep them in the file)"
    )]
    KeyringRequired {
        /// Why the keyring cannot take them.
        why: KeyringError,
    },
    /// Someone else saved the file since this store read it; saving would lose that.
    #[error("{path} was changed by another program since it was read; reload before saving")]
    ChangedOnDisk {
        /// The file.
        path: PathBuf,
    },
}

/// The file's shape.
#[derive(Debug, Serialize, Deserialize)]
struct FileFormat {
    version: u32,
    /// Where the secret values are when not in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secrets: Option<SecretsRef>,
    #[serde(default)]
    profiles: Vec<Profile>,
}

/// The default config dir: `POLLSCOPE_CONFIG_DIR`, else the OS's (e.g.
/// `~/.config/pollscope` on Linux).
pub fn config_dir() -> Result<PathBuf, StoreError> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "pollscope")
        .map(|d| d.config_dir().to_path_buf())
        .ok_or(StoreError::NoConfigDir)
}

/// Profiles loaded from (and saved to) one file.
#[derive(Debug)]
pub struct ProfileStore {
    path: PathBuf,
    /// The profiles, in the file's order.
    pub profiles: Vec<Profile>,
    /// The file's bytes when we last read or wrote it (`None`: there was no file).
    on_disk: Option<Vec<u8>>,
    /// The keyring secrets go to (see [`crate::keyring`]).
    keyring: Keyring,
    /// Where secrets go (`POLLSCOPE_SECRETS`).
    policy: Policy,
    /// Where the secrets were read from or written to (`None`: there are none).
    secrets_at: Option<SecretsAt>,
    /// The file's secrets are in the keyring, which could not give them.
    missing: Option<KeyringError>,
}

/// What happened to a broken profiles file when it was set aside.
#[derive(Debug)]
pub struct SetAside {
    /// Why the file could not be used.
    pub error: StoreError,
    /// Where it is now.
    pub moved_to: PathBuf,
}

impl ProfileStore {
    /// Open the store in `dir`. A missing file is an empty store; a broken one is an error
    /// (the file is left as it is).
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, Keyring::session(), Policy::from_env())
    }

    /// The keyring and the policy this store keeps secrets by (to open the file again
    /// the same way).
    #[must_use]
    pub fn secrets_config(&self) -> (Keyring, Policy) {
        (self.keyring.clone(), self.policy)
    }

    /// [`Self::open`] with secrets in `keyring` as `policy` says.
    pub fn open_with(dir: &Path, keyring: Keyring, policy: Policy) -> Result<Self, StoreError> {
        let path = dir.join(FILE_NAME);
        let bytes = match read_capped(&path) {
            Ok(b) => b,
            Err(ReadCapped::TooLarge(size)) => return Err(StoreError::TooLarge { path, size }),
            Err(ReadCapped::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Self {
                    path,
                    profiles: Vec::new(),
                    on_disk: None,
                    keyring,
                    policy,
                    secrets_at: None,
                    missing: None,
                });
            }
            Err(ReadCapped::Io(source)) => return Err(StoreError::Read { path, source }),
        };
        let (mut profiles, reference) = parse_file(&path, &bytes)?;
        let (secrets_at, missing) = if reference.is_some() {
            match keyring.load(&path) {
                Ok(Some(secret)) => match serde_json::from_slice::<Item>(&secret) {
                    Ok(item) => {
                        item.put_into(&mut profiles);
                        (Some(SecretsAt::Keyring), None)
                    }
                    Err(e) => (
                        None,
                        Some(KeyringError::Failed(format!(
                            "its item is not readable: {e}"
                        ))),
                    ),
                },
                Ok(None) => (
                    None,
                    Some(KeyringError::Failed(
                        "it has no item for this file".to_owned(),
                    )),
                ),
                Err(e) => (None, Some(e)),
            }
        } else {
            let has_secrets = !Item::take_from(&mut profiles.clone()).is_empty();
            let why = if policy == Policy::File {
                format!("{}=file", crate::keyring::SECRETS_ENV)
            } else {
                "saved without a keyring; they move to the keyring on the next save when one answers".to_owned()
            };
            (has_secrets.then_some(SecretsAt::File { why }), None)
        };
        Ok(Self {
            path,
            profiles,
            on_disk: Some(bytes),
            keyring,
            policy,
            secrets_at,
            missing,
        })
    }

    /// Where the secrets are (`None`: no profile has one, or they are missing).
    #[must_use]
    pub fn secrets_at(&self) -> Option<&SecretsAt> {
        self.secrets_at.as_ref()
    }

    /// The file's secrets are in the keyring, which could not give them (the profiles
    /// are there without their secret values; saving is refused).
    #[must_use]
    pub fn secrets_missing(&self) -> Option<StoreError> {
        self.missing.clone().map(|why| StoreError::SecretsMissing {
            path: self.path.clone(),
            why,
        })
    }

    /// Open the store in `dir`; if the file is broken, rename it aside
    /// (`profiles.json.broken-<unix time>`) and start empty, saying where it went (the
    /// caller shows or logs the [`SetAside`]; this function does neither).
    pub fn open_or_set_aside(dir: &Path) -> Result<(Self, Option<SetAside>), StoreError> {
        Self::open_or_set_aside_with(dir, Keyring::session(), Policy::from_env())
    }

    /// [`Self::open_or_set_aside`] with secrets in `keyring` as `policy` says.
    pub fn open_or_set_aside_with(
        dir: &Path,
        keyring: Keyring,
        policy: Policy,
    ) -> Result<(Self, Option<SetAside>), StoreError> {
        match Self::open_with(dir, keyring.clone(), policy) {
            Ok(s) => Ok((s, None)),
            Err(
                error @ (StoreError::Parse { .. }
                | StoreError::TooNew { .. }
                | StoreError::TooLarge { .. }),
            ) => {
                let path = dir.join(FILE_NAME);
                let stamp = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let moved_to = dir.join(format!("{FILE_NAME}.broken-{stamp}"));
                fs::rename(&path, &moved_to).map_err(|source| StoreError::Write {
                    path: moved_to.clone(),
                    source,
                })?;
                let store = Self {
                    path,
                    profiles: Vec::new(),
                    on_disk: None,
                    keyring,
                    policy,
                    secrets_at: None,
                    missing: None,
                };
                Ok((store, Some(SetAside { error, moved_to })))
            }
            Err(e) => Err(e),
        }
    }

    /// The file this store reads and writes.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The profile called `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// A name not used yet, based on `base` ("Demo", "Demo (2)", …; see
    /// [`crate::profile::unique_name`]).
    #[must_use]
    pub fn unique_name(&self, base: &str) -> String {
        crate::profile::unique_name(base, |name| self.get(name).is_some())
    }

    /// Serialize the profiles as the file's bytes.
    #[must_use]
    pub fn to_bytes(profiles: &[Profile]) -> Vec<u8> {
        Self::file_bytes(profiles.to_vec(), None)
    }

    fn file_bytes(profiles: Vec<Profile>, secrets: Option<SecretsRef>) -> Vec<u8> {
        let file = FileFormat {
            version: FORMAT_VERSION,
            secrets,
            profiles,
        };
        let mut bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Write the profiles atomically. Refuses when the file changed on disk since this
    /// store read or wrote it (another instance saved meanwhile).
    pub fn save(&mut self) -> Result<(), StoreError> {
        let current = match fs::read(&self.path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(StoreError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        if current != self.on_disk {
            return Err(StoreError::ChangedOnDisk {
                path: self.path.clone(),
            });
        }
        if let Some(e) = self.secrets_missing() {
            return Err(e);
        }
        let (bytes, secrets_at) = self.secrets_out()?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir)
            .and_then(|()| tighten_dir(dir))
            .map_err(|source| StoreError::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        write_atomic(&self.path, &bytes).map_err(|source| StoreError::Write {
            path: self.path.clone(),
            source,
        })?;
        self.on_disk = Some(bytes);
        if let Some(SecretsAt::File { why }) = &secrets_at
            && self.secrets_at != secrets_at
        {
            log::warn!("profiles saved with their secrets in the file: {why}");
        }
        self.secrets_at = secrets_at;
        Ok(())
    }

    /// The file's bytes, the secrets taken out into the keyring when it can take them.
    fn secrets_out(&self) -> Result<(Vec<u8>, Option<SecretsAt>), StoreError> {
        let mut profiles = self.profiles.clone();
        let item = Item::take_from(&mut profiles);
        if item.is_empty() {
            // The last secret is gone: so goes the keyring's copy of the old ones.
            if self.secrets_at == Some(SecretsAt::Keyring)
                && let Err(e) = self.keyring.delete(&self.path)
            {
                log::warn!("old secrets left in the keyring: {e}");
            }
            return Ok((Self::file_bytes(profiles, None), None));
        }
        let why = if self.policy == Policy::File {
            format!("{}=file", crate::keyring::SECRETS_ENV)
        } else {
            let doc = serde_json::to_vec(&item).unwrap_or_default();
            match self.keyring.store(&self.path, &doc) {
                Ok(()) => {
                    let bytes = Self::file_bytes(profiles, Some(SecretsRef::keyring()));
                    return Ok((bytes, Some(SecretsAt::Keyring)));
                }
                Err(why) if self.policy == Policy::Keyring => {
                    return Err(StoreError::KeyringRequired { why });
                }
                Err(why) => why.to_string(),
            }
        };
        let bytes = Self::file_bytes(self.profiles.clone(), None);
        Ok((bytes, Some(SecretsAt::File { why })))
    }
}

/// Why [`read_capped`] gave no bytes.
enum ReadCapped {
    Io(io::Error),
    TooLarge(u64),
}

/// The file's bytes, refusing (before reading) a file over [`MAX_FILE_BYTES`]; reads at
/// most one byte more in case it grows meanwhile (or is not a regular file).
fn read_capped(path: &Path) -> Result<Vec<u8>, ReadCapped> {
    use std::io::Read;
    let file = fs::File::open(path).map_err(ReadCapped::Io)?;
    let size = file.metadata().map_err(ReadCapped::Io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ReadCapped::TooLarge(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadCapped::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadCapped::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Just the format version of a profiles document; the rest is skipped, not built.
#[derive(Deserialize)]
struct VersionOnly {
    #[serde(default)]
    version: LooseVersion,
}

/// A `version` that is a number; anything else (skipped without being built) is 0.
#[derive(Default)]
struct LooseVersion(u64);

impl<'de> Deserialize<'de> for LooseVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseVersion;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a format version")
            }
            fn visit_u64<E>(self, v: u64) -> Result<LooseVersion, E> {
                Ok(LooseVersion(v))
            }
            fn visit_i64<E>(self, _: i64) -> Result<LooseVersion, E> {
                Ok(LooseVersion(0))
            }
            fn visit_f64<E>(self, _: f64) -> Result<LooseVersion, E> {
                Ok(LooseVersion(0))
            }
            fn visit_bool<E>(self, _: bool) -> Result<LooseVersion, E> {
                Ok(LooseVersion(0))
            }
            fn visit_str<E>(self, _: &str) -> Result<LooseVersion, E> {
                Ok(LooseVersion(0))
            }
            fn visit_unit<E>(self) -> Result<LooseVersion, E> {
                Ok(LooseVersion(0))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<LooseVersion, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LooseVersion(0))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<LooseVersion, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LooseVersion(0))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parse a profiles document (the file format), naming `path` in errors. A UTF-8 byte
/// order mark (editors on some systems write one) is skipped.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Vec<Profile>, StoreError> {
    parse_file(path, bytes).map(|(profiles, _)| profiles)
}

/// [`parse`], and where the file says its secrets are.
fn parse_file(path: &Path, bytes: &[u8]) -> Result<(Vec<Profile>, Option<SecretsRef>), StoreError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let parse_error = |e: serde_json::Error| StoreError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or("")
            .to_owned(),
    };
    let head: VersionOnly = serde_json::from_slice(bytes).map_err(parse_error)?;
    let found = head.version.0;
    if found > u64::from(FORMAT_VERSION) {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: u32::try_from(found).unwrap_or(u32::MAX),
        });
    }
    // Parse again from the text so errors in a profile carry the right line.
    let file: FileFormat = serde_json::from_slice(bytes).map_err(parse_error)?;
    Ok((file.profiles, file.secrets))
}

/// Create `dir` (and its parents) if missing; a directory this creates is owner-only
/// (0700), since what goes in it can hold secrets. An existing directory is left as it
/// is (see [`ProfileStore::save`], which tightens the config dir itself).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Make `dir` owner-only (0700) if it is not already: the config dir holds profiles,
/// and a folder others can list shows what is watched.
fn tighten_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    Ok(())
}

/// Write `bytes` to `path` through a temp file in the same directory, fsync, rename.
/// The file is created owner-only (0600) since profiles can hold secrets.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        if let Ok(d) = fs::File::open(dir) {
            // Persist the rename itself; not all filesystems support it.
            if let Err(e) = d.sync_all() {
                log::debug!("fsync of {} failed: {e}", dir.display());
            }
        }
        Ok(())
    })();
    if result.is_err() {
        // Best effort: the temp file is ours and useless now.
        if let Err(e) = fs::remove_file(&tmp) {
            log::debug!("could not remove {}: {e}", tmp.display());
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::HeaderSpec;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ProfileStore::open(dir.path()).unwrap();
        assert!(store.profiles.is_empty());
        let mut p = Profile::for_demo("Demo", "http://127.0.0.1:8787/events");
        p.headers.push(HeaderSpec::new("Authorization", "Bearer x"));
        p.pollers = 4;
        store.profiles.push(p.clone());
        store.save().unwrap();
        let again = ProfileStore::open(dir.path()).unwrap();
        assert_eq!(again.profiles, vec![p]);
        let text = fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.contains("\"version\": 1"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn broken_file_names_file_and_line_and_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let broken = "{\n  \"version\": 1,\n  \"profiles\": [\n    {\"name\": \"a\",, }\n  ]\n}\n";
        fs::write(&path, broken).unwrap();
        let err = ProfileStore::open(dir.path()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("line 4"), "{msg}");
        assert_eq!(fs::read_to_string(&path).unwrap(), broken);
    }

    #[test]
    fn wrong_field_type_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        fs::write(
            &path,
            "{\"version\": 1,\n\"profiles\": [\n{\"name\": \"a\",\n\"pollers\": \"four\"}]}",
        )
        .unwrap();
        let msg = ProfileStore::open(dir.path()).unwrap_err().to_string();
        assert!(msg.contains("line 4"), "{msg}");
        assert!(msg.contains("invalid type"), "{msg}");
    }

    #[test]
    fn newer_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(FILE_NAME),
            r#"{"version": 99, "profiles": []}"#,
        )
        .unwrap();
        let err = ProfileStore::open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    }

    #[test]
    fn broken_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), "not json").unwrap();
        let (mut store, aside) = ProfileStore::open_or_set_aside(dir.path()).unwrap();
        let aside = aside.unwrap();
        assert_eq!(fs::read_to_string(&aside.moved_to).unwrap(), "not json");
        store.profiles.push(Profile::default());
        store.save().unwrap();
        assert!(ProfileStore::open(dir.path()).unwrap().profiles.len() == 1);
    }

    #[test]
    fn concurrent_change_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = ProfileStore::open(dir.path()).unwrap();
        let mut b = ProfileStore::open(dir.path()).unwrap();
        a.profiles
            .push(Profile::for_demo("A", "http://127.0.0.1:1/"));
        a.save().unwrap();
        b.profiles
            .push(Profile::for_demo("B", "http://127.0.0.1:1/"));
        assert!(matches!(b.save(), Err(StoreError::ChangedOnDisk { .. })));
        let on_disk = ProfileStore::open(dir.path()).unwrap();
        assert_eq!(on_disk.profiles[0].name, "A");
    }

    #[test]
    fn unique_names() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = ProfileStore::open(dir.path()).unwrap();
        assert_eq!(s.unique_name("Demo"), "Demo");
        s.profiles.push(Profile::for_demo("Demo", "http://a/"));
        s.profiles.push(Profile::for_demo("Demo (2)", "http://a/"));
        assert_eq!(s.unique_name("Demo"), "Demo (3)");
    }
}
