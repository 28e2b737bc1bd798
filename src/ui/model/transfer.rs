//! Data in and out of the app: profiles exported (secrets left out unless asked for) and
//! imported as JSON, a profile's event log (JSON Lines) and statistics (CSV + summary
//! JSON), and a finished comparison (Markdown, PNG charts, JSON).
//!
//! The UI thread only copies the data ([`ExportData::gather`]); every file is read or
//! written by a job ([`export_job`], [`import_job`]) on a job thread, whose outcome comes
//! back as a notice naming the path. No egui, and no knowledge of the workspace.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use crate::compare::Comparison;
use crate::monitor::EventLog;
use crate::present::units;
use crate::profile::Profile;
use crate::stats::{Stats, Summary};
use crate::ui::model::entry::{Entry, EntryId};
use crate::ui::model::jobs::{JobDone, JobError, JobReport, expand_home};
use crate::ui::model::notice::{Notice, NoticeLevel};

/// Largest profiles file read on import.
const MAX_IMPORT_BYTES: u64 = 16 * 1024 * 1024;

/// What is exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// Every profile, to one JSON file.
    Profiles,
    /// The events a profile's feed holds, to `events.jsonl` in a folder.
    EventLog(EntryId),
    /// A profile's per-second statistics and summary, to a folder.
    Stats(EntryId),
    /// A profile's finished comparison, to a folder.
    Comparison(EntryId),
}

impl ExportKind {
    /// Dialog title.
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Self::Profiles => "Export profiles",
            Self::EventLog(_) => "Export event log",
            Self::Stats(_) => "Export statistics",
            Self::Comparison(_) => "Export comparison",
        }
    }

    /// What the path names, and what goes there.
    #[must_use]
    pub fn path_label(self) -> &'static str {
        match self {
            Self::Profiles => "File (JSON)",
            Self::EventLog(_) => "Folder (events.jsonl is written into it)",
            Self::Stats(_) => "Folder (stats.csv and summary.json are written into it)",
            Self::Comparison(_) => {
                "Folder (report.md, comparison.json and PNG charts are written into it)"
            }
        }
    }

    /// The suggested path for this export under `base`, named after the profile.
    #[must_use]
    pub fn default_path(self, base: &Path, entries: &[Entry], now: SystemTime) -> String {
        let stamp = file_stamp(now);
        let name = |id: EntryId| {
            entries
                .iter()
                .find(|e| e.id == id)
                .map_or_else(|| "profile".to_owned(), |e| slug(&e.profile.name))
        };
        let leaf = match self {
            Self::Profiles => format!("pollscope-profiles-{stamp}.json"),
            Self::EventLog(id) | Self::Stats(id) => format!("pollscope-{}-{stamp}", name(id)),
            Self::Comparison(id) => format!("pollscope-compare-{}-{stamp}", name(id)),
        };
        base.join(leaf).display().to_string()
    }
}

/// Why an export or import cannot start (shown in its dialog).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// The path field is empty.
    #[error("choose where to write it")]
    EmptyPath,
    /// The file field is empty.
    #[error("choose a file to import")]
    EmptyFile,
    /// The profile never connected, or nothing arrived.
    #[error("no events to export yet: connect first")]
    NoEvents,
    /// The profile never connected.
    #[error("no statistics yet: connect first")]
    NoStats,
    /// No comparison finished.
    #[error("no finished comparison to export")]
    NoComparison,
}

/// A copy of what an export writes, taken on the UI thread.
pub enum ExportData {
    /// The profiles file's text, and how many profiles it holds.
    Profiles {
        /// The JSON text.
        json: String,
        /// Profiles in it.
        count: usize,
    },
    /// The feed's events.
    EventLog(EventLog),
    /// Per-second statistics (settled) and the summary.
    Stats {
        /// The statistics.
        stats: Box<Stats>,
        /// Their summary.
        summary: Box<Summary>,
    },
    /// A finished comparison.
    Comparison(Box<Comparison>),
}

impl ExportData {
    /// Copy what `kind` exports from `entries` (secrets in profiles only when
    /// `include_secrets`).
    ///
    /// # Errors
    /// When there is nothing to export yet.
    pub fn gather(
        kind: ExportKind,
        entries: &[Entry],
        include_secrets: bool,
    ) -> Result<Self, TransferError> {
        let entry = |id: EntryId| entries.iter().find(|e| e.id == id);
        match kind {
            ExportKind::Profiles => {
                let profiles: Vec<Profile> = entries.iter().map(|e| e.profile.clone()).collect();
                Ok(Self::Profiles {
                    json: crate::export::profiles_json(&profiles, include_secrets),
                    count: profiles.len(),
                })
            }
            ExportKind::EventLog(id) => entry(id)
                .and_then(|e| e.monitor.as_ref())
                .map(crate::monitor::Monitor::event_log)
                .filter(|l| !l.is_empty())
                .map(Self::EventLog)
                .ok_or(TransferError::NoEvents),
            ExportKind::Stats(id) => {
                let monitor = entry(id)
                    .and_then(|e| e.monitor.as_ref())
                    .ok_or(TransferError::NoStats)?;
                let mut stats = monitor.stats().clone();
                stats.settle();
                let summary = stats.summary(monitor.stopped_at().unwrap_or_else(Instant::now));
                Ok(Self::Stats {
                    stats: Box::new(stats),
                    summary: Box::new(summary),
                })
            }
            ExportKind::Comparison(id) => entry(id)
                .and_then(|e| e.compare.result())
                .map(|c| Self::Comparison(Box::new(c.clone())))
                .ok_or(TransferError::NoComparison),
        }
    }

    /// The job thread's name.
    #[must_use]
    pub fn job_name(&self) -> &'static str {
        match self {
            Self::Profiles { .. } => "export-profiles",
            Self::EventLog(_) => "export-events",
            Self::Stats { .. } => "export-stats",
            Self::Comparison(_) => "export-comparison",
        }
    }
}

/// A name safe in a file name: letters, digits, `-` and `_`; the rest becomes `-`.
fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-');
    if s.is_empty() {
        "profile".to_owned()
    } else {
        s.chars().take(40).collect()
    }
}

/// UTC date and time for file names: `20250102-140307`.
#[must_use]
fn file_stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's algorithm, for
/// dates after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// The job that writes `data` to `path` (`~` is the home directory).
pub fn export_job(data: ExportData, path: String) -> impl FnOnce() -> JobReport + Send {
    move || {
        let io = |what, path: &Path| {
            let path = path.to_path_buf();
            move |source| JobError::Io { what, path, source }
        };
        match data {
            ExportData::Profiles { json, count } => write_profiles(&path, &json, count),
            ExportData::EventLog(log) => {
                let dir = expand_home(&path);
                let file = dir.join("events.jsonl");
                let write = || -> std::io::Result<()> {
                    std::fs::create_dir_all(&dir)?;
                    let mut w = std::io::BufWriter::new(std::fs::File::create(&file)?);
                    log.write_jsonl(&mut w)?;
                    w.flush()
                };
                write().map_err(io("Exporting the event log", &file))?;
                let mut what = format!("{} events", units::count(log.len() as u64));
                if log.dropped > 0 {
                    what.push_str(" (the feed's newest; older ones were dropped)");
                }
                Ok(JobDone::Wrote {
                    what,
                    path: file,
                    folder: dir,
                })
            }
            ExportData::Stats { stats, summary } => {
                let dir = expand_home(&path);
                crate::export::write_stats_files(&dir, &stats, &summary)
                    .map_err(io("Exporting statistics", &dir))?;
                Ok(JobDone::Wrote {
                    what: "statistics (stats.csv, summary.json)".to_owned(),
                    folder: dir.clone(),
                    path: dir,
                })
            }
            ExportData::Comparison(comparison) => {
                let dir = expand_home(&path);
                let files = crate::compare::export(&comparison, &dir)
                    .map_err(io("Exporting the comparison", &dir))?;
                Ok(JobDone::Wrote {
                    what: format!("the comparison ({})", files.join(", ")),
                    folder: dir.clone(),
                    path: dir,
                })
            }
        }
    }
}

/// Write exported profiles: owner-only (they may hold secrets), never over a file.
fn write_profiles(path: &str, json: &str, n: usize) -> JobReport {
    let mut path = expand_home(path);
    if path.is_dir() {
        path = path.join("pollscope-profiles.json");
    }
    if path.exists() {
        return Err(JobError::Exists { path });
    }
    if let Err(source) = crate::profile_store::write_atomic(&path, json.as_bytes()) {
        return Err(JobError::Io {
            what: "Exporting profiles",
            path,
            source,
        });
    }
    Ok(JobDone::Wrote {
        what: format!("{n} profile(s)"),
        folder: path
            .parent()
            .map_or_else(|| path.clone(), Path::to_path_buf),
        path,
    })
}

/// The job that reads the profiles in `path` (they are added when it reports).
pub fn import_job(path: String) -> impl FnOnce() -> JobReport + Send {
    move || {
        let path = expand_home(&path);
        let mut bytes = Vec::new();
        let read = std::fs::File::open(&path)
            .and_then(|f| f.take(MAX_IMPORT_BYTES + 1).read_to_end(&mut bytes));
        if let Err(source) = read {
            return Err(JobError::Io {
                what: "Importing profiles",
                path,
                source,
            });
        }
        if bytes.len() as u64 > MAX_IMPORT_BYTES {
            return Err(JobError::TooLarge {
                path,
                limit: units::bytes(MAX_IMPORT_BYTES),
            });
        }
        let profiles = crate::export::import_profiles(&path, &bytes).map_err(JobError::Import)?;
        Ok(JobDone::Imported { path, profiles })
    }
}

/// The notice for a finished export (what, where, the folder to offer opening), or a
/// failed job.
#[must_use]
pub fn job_notice(report: Result<(String, PathBuf, PathBuf), JobError>) -> Notice {
    match report {
        Ok((what, path, folder)) => Notice {
            level: NoticeLevel::Info,
            text: format!("Exported {what} to {}", path.display()),
            offer_reload: false,
            open: Some(folder),
        },
        Err(e) => Notice {
            level: NoticeLevel::Error,
            text: e.to_string(),
            offer_reload: false,
            open: None,
        },
    }
}

/// Imported profiles whose secret values were left out of the file.
#[must_use]
pub fn lack_secrets(profiles: &[Profile]) -> bool {
    profiles.iter().any(|p| {
        p.headers.iter().any(|h| h.secret && h.value.is_empty())
            || p.url.contains(crate::redact::MASK)
    })
}

/// The notice for profiles imported from `path` under `names`.
#[must_use]
pub fn imported_notice(path: &Path, names: &[String], missing_secrets: bool) -> Notice {
    let mut text = format!(
        "Imported {} profile(s) from {}: {}",
        names.len(),
        path.display(),
        names.join(", ")
    );
    if missing_secrets {
        text.push_str(
            ". The file held no secret values (tokens were left out): fill them in before connecting.",
        );
    }
    Notice {
        level: if missing_secrets {
            NoticeLevel::Warning
        } else {
            NoticeLevel::Info
        },
        text,
        offer_reload: false,
        open: None,
    }
}

/// The notice for what a curl import ignored (none when it ignored nothing).
#[must_use]
pub fn curl_notice(warnings: &[String]) -> Option<Notice> {
    if warnings.is_empty() {
        return None;
    }
    let warnings: Vec<String> = warnings.iter().map(|w| safe_warning(w)).collect();
    Some(Notice {
        level: NoticeLevel::Info,
        text: format!("curl import: {}", warnings.join("; ")),
        offer_reload: false,
        open: None,
    })
}

/// A curl-import warning without the value it quotes, which may be a secret
/// (`--cert file:password`, `--proxy http://user:pass@…`, a token taken for a second URL):
/// the flag and the reason only.
fn safe_warning(warning: &str) -> String {
    let Some((what, why)) = warning.rsplit_once(": ") else {
        return crate::redact::url(warning);
    };
    let what = if what.starts_with('-') {
        what.split_whitespace().next().unwrap_or(what)
    } else {
        "an extra argument"
    };
    format!("{what}: {why}")
}

/// The base folder for exports: the Downloads folder when there is one, else
/// `exports/` in the config dir. Reads the user-dirs file: call before the window opens.
#[must_use]
pub fn export_base(config_dir: &Path) -> PathBuf {
    directories::UserDirs::new()
        .and_then(|d| d.download_dir().map(Path::to_path_buf))
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| config_dir.join("exports"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_safe() {
        assert_eq!(slug("Demo"), "demo");
        assert_eq!(slug("My API / prod"), "my-api---prod");
        assert_eq!(slug("   "), "profile");
        assert_eq!(slug(&"x".repeat(100)).len(), 40);
    }

    #[test]
    fn curl_warnings_do_not_quote_values() {
        assert_eq!(
            safe_warning("--cert c.pem:hunter2: ignored"),
            "--cert: ignored"
        );
        assert_eq!(
            safe_warning("\"tok-123: x\": a second URL, ignored"),
            "an extra argument: a second URL, ignored"
        );
        assert_eq!(
            safe_warning("--insecure: TLS certificates will not be verified"),
            "--insecure: TLS certificates will not be verified"
        );
        assert!(curl_notice(&[]).is_none());
    }

    #[test]
    fn file_stamps_are_utc_dates() {
        use std::time::Duration;
        assert_eq!(file_stamp(SystemTime::UNIX_EPOCH), "19700101-000000");
        // 2024-02-29 13:14:15 UTC, a leap day.
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_212_455);
        assert_eq!(file_stamp(leap), "20240229-131415");
        let later = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_599);
        assert_eq!(file_stamp(later), "20251231-235959");
    }

    #[test]
    fn an_export_never_overwrites_a_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("p.json");
        std::fs::write(&file, "mine").expect("write");
        let data = ExportData::Profiles {
            json: "[]".to_owned(),
            count: 0,
        };
        let report = export_job(data, file.display().to_string())();
        assert!(matches!(report, Err(JobError::Exists { .. })));
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "mine");
    }
}
