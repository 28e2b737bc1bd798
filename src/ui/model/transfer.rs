//! Data in and out of the app: profiles exported (secrets left out unless asked for) and
//! imported as JSON, a profile's event log (JSON Lines) and statistics (CSV + summary
//! JSON), and a finished comparison (Markdown, PNG charts, JSON).
//!
//! The UI thread only copies the data; every file is read or written by a job thread
//! ([`crate::ui::model::jobs`]), whose outcome comes back as a notice naming the path. No egui.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use crate::profile::Profile;
use crate::ui::model::jobs::{JobDone, expand_home};
use crate::ui::model::notice::{Notice, NoticeLevel};
use crate::ui::model::workspace::{EntryId, Workspace};
use crate::ui::widgets::format;

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

fn io_error(what: &str, path: &Path, e: &dyn std::fmt::Display) -> String {
    format!("{what} failed: {}: {e}", path.display())
}

impl Workspace {
    /// The suggested path for an export, under [`Workspace::export_base`].
    #[must_use]
    pub fn default_export_path(&self, kind: ExportKind, now: SystemTime) -> String {
        let stamp = format::file_stamp(now);
        let name = |id: EntryId| {
            self.get(id)
                .map_or_else(|| "profile".to_owned(), |e| slug(&e.profile.name))
        };
        let leaf = match kind {
            ExportKind::Profiles => format!("pollscope-profiles-{stamp}.json"),
            ExportKind::EventLog(id) | ExportKind::Stats(id) => {
                format!("pollscope-{}-{stamp}", name(id))
            }
            ExportKind::Comparison(id) => format!("pollscope-compare-{}-{stamp}", name(id)),
        };
        self.export_base.join(leaf).display().to_string()
    }

    /// Export `kind` to `path` on a job thread. An error here (nothing to export, no
    /// path) is for the dialog to show; the job's outcome arrives as a notice.
    pub fn export(
        &mut self,
        kind: ExportKind,
        path: &str,
        include_secrets: bool,
    ) -> Result<(), String> {
        if path.trim().is_empty() {
            return Err("choose where to write it".to_owned());
        }
        let path = path.to_owned();
        match kind {
            ExportKind::Profiles => {
                let profiles: Vec<Profile> =
                    self.entries.iter().map(|e| e.profile.clone()).collect();
                let json = crate::export::profiles_json(&profiles, include_secrets);
                let n = profiles.len();
                self.jobs
                    .spawn("export-profiles", move || write_profiles(&path, &json, n));
            }
            ExportKind::EventLog(id) => {
                let monitor = self.get(id).and_then(|e| e.monitor.as_ref());
                let log = monitor.map(crate::monitor::Monitor::event_log);
                let log = log
                    .filter(|l| !l.is_empty())
                    .ok_or("no events to export yet: connect first")?;
                self.jobs.spawn("export-events", move || {
                    let dir = expand_home(&path);
                    let file = dir.join("events.jsonl");
                    let write = || -> std::io::Result<()> {
                        std::fs::create_dir_all(&dir)?;
                        let mut w = std::io::BufWriter::new(std::fs::File::create(&file)?);
                        log.write_jsonl(&mut w)?;
                        w.flush()
                    };
                    write().map_err(|e| io_error("Exporting the event log", &file, &e))?;
                    let mut what = format!("{} events", format::count(log.len() as u64));
                    if log.dropped > 0 {
                        what.push_str(" (the feed's newest; older ones were dropped)");
                    }
                    Ok(JobDone::Wrote { what, path: file })
                });
            }
            ExportKind::Stats(id) => {
                let monitor = self
                    .get(id)
                    .and_then(|e| e.monitor.as_ref())
                    .ok_or("no statistics yet: connect first")?;
                let mut stats = monitor.stats().clone();
                stats.settle();
                let summary = stats.summary(monitor.stopped_at().unwrap_or_else(Instant::now));
                self.jobs.spawn("export-stats", move || {
                    let dir = expand_home(&path);
                    crate::export::write_stats_files(&dir, &stats, &summary)
                        .map_err(|e| io_error("Exporting statistics", &dir, &e))?;
                    Ok(JobDone::Wrote {
                        what: "statistics (stats.csv, summary.json)".to_owned(),
                        path: dir,
                    })
                });
            }
            ExportKind::Comparison(id) => {
                let comparison = self
                    .get(id)
                    .and_then(|e| e.compare.result())
                    .cloned()
                    .ok_or("no finished comparison to export")?;
                self.jobs.spawn("export-comparison", move || {
                    let dir = expand_home(&path);
                    let files = crate::compare::export(&comparison, &dir)
                        .map_err(|e| io_error("Exporting the comparison", &dir, &e))?;
                    Ok(JobDone::Wrote {
                        what: format!("the comparison ({})", files.join(", ")),
                        path: dir,
                    })
                });
            }
        }
        Ok(())
    }

    /// Read profiles from `path` on a job thread; they are added when it reports.
    pub fn import_profiles(&mut self, path: &str) -> Result<(), String> {
        if path.trim().is_empty() {
            return Err("choose a file to import".to_owned());
        }
        let path = path.to_owned();
        self.jobs.spawn("import-profiles", move || {
            let path = expand_home(&path);
            let mut bytes = Vec::new();
            std::fs::File::open(&path)
                .and_then(|f| f.take(MAX_IMPORT_BYTES + 1).read_to_end(&mut bytes))
                .map_err(|e| io_error("Importing profiles", &path, &e))?;
            if bytes.len() as u64 > MAX_IMPORT_BYTES {
                return Err(format!(
                    "Importing profiles failed: {} is larger than {}",
                    path.display(),
                    format::bytes(MAX_IMPORT_BYTES)
                ));
            }
            let profiles = crate::export::import_profiles(&path, &bytes)
                .map_err(|e| format!("Importing profiles failed: {e}"))?;
            Ok(JobDone::Imported { path, profiles })
        });
        Ok(())
    }

    /// Turn finished jobs into notices (and imported profiles into entries).
    pub(super) fn take_job_reports(&mut self) {
        let reports: Vec<_> = self.jobs.reports().collect();
        for report in reports {
            let notice = match report {
                Ok(JobDone::Wrote { what, path }) => Notice {
                    level: NoticeLevel::Info,
                    text: format!("Exported {what} to {}", path.display()),
                    offer_reload: false,
                },
                Ok(JobDone::Imported { path, profiles }) => self.add_imported(&path, profiles),
                Err(message) => Notice {
                    level: NoticeLevel::Error,
                    text: message,
                    offer_reload: false,
                },
            };
            self.notice(notice);
        }
    }

    fn add_imported(&mut self, path: &Path, profiles: Vec<Profile>) -> Notice {
        let missing_secrets = profiles.iter().any(|p| {
            p.headers.iter().any(|h| h.secret && h.value.is_empty())
                || p.url.contains(crate::redact::MASK)
        });
        let mut names = Vec::new();
        for p in profiles {
            let id = self.add(p);
            self.imported.push(id);
            if let Some(e) = self.get(id) {
                names.push(e.profile.name.clone());
            }
        }
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
        }
    }
}

/// Write exported profiles: owner-only (they may hold secrets), never over a file.
fn write_profiles(path: &str, json: &str, n: usize) -> Result<JobDone, String> {
    let mut path = expand_home(path);
    if path.is_dir() {
        path = path.join("pollscope-profiles.json");
    }
    if path.exists() {
        return Err(format!(
            "Exporting profiles failed: {} exists already; choose another name",
            path.display()
        ));
    }
    crate::profile_store::write_atomic(&path, json.as_bytes())
        .map_err(|e| io_error("Exporting profiles", &path, &e))?;
    Ok(JobDone::Wrote {
        what: format!("{n} profile(s)"),
        path,
    })
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
}
