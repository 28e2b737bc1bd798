//! The desktop around the app: the system's file and folder picker (through `rfd`: the
//! XDG desktop portal on Linux, zenity when there is no portal, the native dialogs on
//! macOS and Windows) on its own thread, and opening a folder in the file manager.
//!
//! No egui. Both run off the UI thread: a picker blocks until the user answers, and
//! starting a program is I/O.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};

use crate::poll::Waker;
use crate::ui::model::jobs::{JobDone, JobError, JobReport};

/// A picker that answers sooner than this was not shown to anyone: none is available.
const NO_PICKER_WITHIN: Duration = Duration::from_millis(400);

/// What to ask the user for. An export asks for a folder even when it writes one file
/// (its name stays the one in the path field): rfd's zenity fallback cannot start a
/// save dialog in a folder, so a file picker would open wherever the app was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickKind {
    /// A folder to write into.
    Folder,
    /// A JSON file to read.
    OpenJson,
}

/// What the picker answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Picked {
    /// The user chose this path.
    Path(PathBuf),
    /// The user closed the picker.
    Cancelled,
    /// No picker could be shown (no desktop portal, no zenity): type the path instead.
    Unavailable,
}

/// A picker on screen (its own thread); [`Picker::answer`] polls it.
#[derive(Debug)]
pub struct Picker {
    rx: Receiver<Picked>,
}

impl Picker {
    /// Show the system's picker for `kind` titled `title`, starting at the path typed
    /// in the dialog, `start` (`~` is the home directory, looked up on the picker's
    /// thread); the answer wakes the UI through `waker`.
    #[must_use]
    pub fn spawn(kind: PickKind, title: &str, start: &str, waker: Waker) -> Self {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let title = title.to_owned();
        let start = start.to_owned();
        let spawned = std::thread::Builder::new()
            .name("pollscope-picker".to_owned())
            .spawn(move || {
                let asked = Instant::now();
                let start = crate::ui::model::jobs::expand_home(&start);
                let picked = pick(kind, &title, &start);
                let answer = match picked {
                    Some(path) => Picked::Path(path),
                    None if asked.elapsed() < NO_PICKER_WITHIN => Picked::Unavailable,
                    None => Picked::Cancelled,
                };
                let _ = tx.send(answer).is_ok();
                waker();
            });
        if let Err(e) = spawned {
            log::warn!("no thread for the file picker: {e}");
            let (tx, rx) = crossbeam_channel::bounded(1);
            let _ = tx.send(Picked::Unavailable).is_ok();
            return Self { rx };
        }
        Self { rx }
    }

    /// The answer, once there is one.
    #[must_use]
    pub fn answer(&self) -> Option<Picked> {
        match self.rx.try_recv() {
            Ok(p) => Some(p),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Picked::Unavailable),
        }
    }
}

/// Show the picker and wait for the user (blocks: a picker thread only).
fn pick(kind: PickKind, title: &str, start: &Path) -> Option<PathBuf> {
    let folder = existing_ancestor(start);
    // The portal starts in `set_directory`; zenity only takes a file name, and a folder
    // with a trailing slash as that name starts it there (the portal's open dialogs
    // ignore the name).
    let dialog = rfd::FileDialog::new()
        .set_title(title)
        .set_directory(&folder)
        .set_file_name(format!("{}/", folder.display()));
    match kind {
        PickKind::Folder => dialog.pick_folder(),
        PickKind::OpenJson => dialog.add_filter("JSON", &["json"]).pick_file(),
    }
}

/// `path`, or the nearest of its ancestors that exists (a picker cannot start in a
/// folder that is yet to be made).
fn existing_ancestor(path: &Path) -> PathBuf {
    path.ancestors()
        .find(|p| p.is_dir())
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

/// The program that opens a folder in the file manager here.
#[must_use]
pub fn default_opener() -> &'static str {
    if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    }
}

/// A job that opens `folder` with `opener` (for a job thread: it waits for the opener,
/// which returns once the file manager has it).
pub fn open_folder_job(opener: String, folder: PathBuf) -> impl FnOnce() -> JobReport + Send {
    move || {
        let status = std::process::Command::new(&opener)
            .arg(&folder)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        let failed = |source| JobError::Open {
            opener: opener.clone(),
            path: folder.clone(),
            source,
        };
        match status {
            Ok(s) if s.success() => Ok(JobDone::Opened { path: folder }),
            Ok(s) => Err(failed(std::io::Error::other(exit_reason(&opener, s)))),
            Err(e) => Err(failed(e)),
        }
    }
}

/// Why the opener failed, in words where xdg-open documents its exit codes.
fn exit_reason(opener: &str, status: std::process::ExitStatus) -> String {
    let documented = match status.code() {
        Some(2) if opener.ends_with("xdg-open") => Some("the folder does not exist"),
        Some(3) if opener.ends_with("xdg-open") => {
            Some("no file manager is set up to open folders")
        }
        Some(4) if opener.ends_with("xdg-open") => Some("the file manager could not open it"),
        _ => None,
    };
    documented.map_or_else(
        || format!("it exited with {status}"),
        |why| format!("{why} ({status})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picker_starts_in_the_nearest_folder_that_exists() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("not/yet/made");
        assert_eq!(existing_ancestor(&missing), dir.path());
    }

    #[test]
    fn the_opener_is_run_with_the_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("opened");
        // A real program standing in for the file manager: it writes down its argument.
        let script = script(
            dir.path(),
            "opener.sh",
            &format!("printf '%s' \"$1\" > '{}'", out.display()),
        );
        let folder = dir.path().join("exports");
        let report = open_folder_job(script.display().to_string(), folder.clone())();
        assert!(matches!(report, Ok(JobDone::Opened { ref path }) if *path == folder));
        assert_eq!(
            std::fs::read_to_string(&out).expect("the opener ran"),
            folder.display().to_string()
        );
    }

    /// An executable script `name` in `dir` with `body`.
    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("script");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        path
    }

    #[test]
    fn xdg_open_without_a_file_manager_says_so() {
        let dir = tempfile::tempdir().expect("temp dir");
        // xdg-open's documented code when no tool for the job is set up.
        let opener = script(dir.path(), "xdg-open", "exit 3");
        let report = open_folder_job(opener.display().to_string(), dir.path().to_owned())();
        let text = report.expect_err("exit 3").to_string();
        assert!(
            text.contains("no file manager is set up to open folders"),
            "{text}"
        );
    }

    #[test]
    fn a_missing_opener_is_a_clear_error() {
        let report = open_folder_job(
            "/nonexistent/pollscope-opener".to_owned(),
            PathBuf::from("/tmp"),
        )();
        let text = report.expect_err("no such program").to_string();
        assert!(
            text.contains("Opening the folder failed")
                && text.contains("/nonexistent/pollscope-opener")
                && text.contains("/tmp"),
            "{text}"
        );
    }
}
