//! The demo server's optional event log: every published event appended as one JSON
//! line (the same text `/events` serves), and on start the last `history` events read
//! back so that seqs continue after a restart. Blocking file I/O, a few hundred bytes
//! per publish; no HTTP, no async.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;

use super::state::StoredEvent;

/// How many skipped lines are reported one by one before a summary.
const WARN_LINES: usize = 5;

/// The append-only log of published events.
pub(super) struct EventLog {
    file: File,
    path: PathBuf,
    /// The last append failed: warned once; the next append starts a fresh line.
    failing: bool,
}

/// What a log held: its last events (oldest first) and the last seq it ever recorded.
#[derive(Debug, Default)]
pub(super) struct Restored {
    pub events: Vec<StoredEvent>,
    pub last_seq: u64,
}

/// The fields a line must have; `data` is checked to be JSON but not kept.
#[derive(serde::Deserialize)]
struct Line {
    seq: u64,
    #[serde(rename = "data")]
    _data: IgnoredAny,
}

/// Read the log at `path` (created if missing), keep its last `keep` events, and open
/// it for appending. Unreadable lines (a torn last write) are skipped with a WARN;
/// when any were, or the log holds more than `keep` events, it is rewritten (to a
/// temporary file, then renamed) with just the kept ones.
///
/// # Errors
/// The file or its directory cannot be read, written or created.
pub(super) fn open(path: &Path, keep: usize) -> io::Result<(EventLog, Restored)> {
    let keep = keep.max(1);
    let loaded = match File::open(path) {
        Ok(file) => load(BufReader::new(file), keep, path)?,
        Err(err) if err.kind() == io::ErrorKind::NotFound => Loaded::default(),
        Err(err) => return Err(err),
    };
    let events: Vec<StoredEvent> = loaded.events.into();
    if loaded.skipped > 0 || !loaded.ends_cleanly || loaded.valid > events.len() {
        rewrite(path, &events)?;
    }
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let log = EventLog {
        file,
        path: path.to_owned(),
        failing: false,
    };
    let restored = Restored {
        events,
        last_seq: loaded.last_seq,
    };
    Ok((log, restored))
}

impl EventLog {
    /// Append one event's JSON as a line. A failure is logged (once until the log is
    /// writable again), never returned: the server keeps serving from memory.
    pub fn append(&mut self, json: &str) {
        let mut line = String::with_capacity(json.len() + 2);
        if self.failing {
            // The failed write may have left half a line; end it so this one parses.
            line.push('\n');
        }
        line.push_str(json);
        line.push('\n');
        // One write per line: a kill leaves at most the last line torn.
        match self.file.write_all(line.as_bytes()) {
            Ok(()) if self.failing => {
                self.failing = false;
                log::info!("demo server: {} is writable again", self.path.display());
            }
            Err(err) if !self.failing => {
                self.failing = true;
                log::warn!(
                    "demo server: cannot append to {} ({err}); events are kept in memory only",
                    self.path.display()
                );
            }
            Ok(()) | Err(_) => {}
        }
    }
}

#[derive(Default)]
struct Loaded {
    events: VecDeque<StoredEvent>,
    last_seq: u64,
    /// Lines that parsed.
    valid: usize,
    skipped: usize,
    /// Empty, or the last byte is a newline (a torn last write leaves none).
    ends_cleanly: bool,
}

fn load(mut reader: impl BufRead, keep: usize, path: &Path) -> io::Result<Loaded> {
    let mut loaded = Loaded {
        ends_cleanly: true,
        ..Loaded::default()
    };
    let mut buf = Vec::new();
    let mut number = 0_usize;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        number += 1;
        loaded.ends_cleanly = buf.ends_with(b"\n");
        let text = if let Ok(text) = std::str::from_utf8(&buf) {
            text.trim()
        } else {
            skip(&mut loaded, path, number, "not UTF-8");
            continue;
        };
        if text.is_empty() {
            continue;
        }
        let seq = match serde_json::from_str::<Line>(text) {
            Ok(line) if line.seq > loaded.last_seq => line.seq,
            Ok(line) => {
                let why = format!("seq {} does not follow {}", line.seq, loaded.last_seq);
                skip(&mut loaded, path, number, &why);
                continue;
            }
            Err(err) => {
                skip(&mut loaded, path, number, &err.to_string());
                continue;
            }
        };
        if loaded.events.len() == keep {
            loaded.events.pop_front();
        }
        loaded.events.push_back(StoredEvent {
            seq,
            json: text.into(),
        });
        loaded.last_seq = seq;
        loaded.valid += 1;
    }
    if loaded.skipped > WARN_LINES {
        log::warn!(
            "demo server: {}: skipped {} unreadable lines in all",
            path.display(),
            loaded.skipped
        );
    }
    Ok(loaded)
}

fn skip(loaded: &mut Loaded, path: &Path, number: usize, why: &str) {
    loaded.skipped += 1;
    if loaded.skipped <= WARN_LINES {
        log::warn!(
            "demo server: {} line {number} is not an event, skipped: {why}",
            path.display()
        );
    }
}

/// Replace the log with `events`, atomically.
fn rewrite(path: &Path, events: &[StoredEvent]) -> io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    let temporary = path.with_file_name(name);
    let mut text = String::with_capacity(events.iter().map(|e| e.json.len() + 1).sum());
    for event in events {
        text.push_str(&event.json);
        text.push('\n');
    }
    let mut file = File::create(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seq: u64) -> String {
        format!(r#"{{"seq":{seq},"ts_ms":1,"ts_us":1000,"data":{{"n":{seq}}}}}"#)
    }

    fn seqs(restored: &Restored) -> Vec<u64> {
        restored.events.iter().map(|event| event.seq).collect()
    }

    #[test]
    fn missing_file_is_created_and_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let (mut log, restored) = open(&path, 10).unwrap();
        assert_eq!((restored.last_seq, restored.events.len()), (0, 0));
        log.append(&line(1));
        log.append(&line(2));
        drop(log);
        let (_, restored) = open(&path, 10).unwrap();
        assert_eq!(seqs(&restored), [1, 2]);
        assert_eq!(&*restored.events[1].json, line(2));
    }

    #[test]
    fn keeps_the_last_events_and_compacts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let text: String = (1..=6).map(|seq| line(seq) + "\n").collect();
        fs::write(&path, text).unwrap();
        let (_, restored) = open(&path, 3).unwrap();
        assert_eq!(seqs(&restored), [4, 5, 6]);
        assert_eq!(restored.last_seq, 6);
        let kept = fs::read_to_string(&path).unwrap();
        assert_eq!(kept.lines().count(), 3);
    }

    #[test]
    fn torn_and_bad_lines_are_skipped_and_the_file_repaired() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let text = format!(
            "{}\nnot json\n{}\n\n{}\n{}\n{{\"seq\":9,\"ts_",
            line(1),
            line(3),
            line(2), // goes backwards
            line(4)
        );
        fs::write(&path, text).unwrap();
        let (mut log, restored) = open(&path, 10).unwrap();
        assert_eq!(seqs(&restored), [1, 3, 4]);
        assert_eq!(restored.last_seq, 4);
        log.append(&line(5));
        drop(log);
        let (_, restored) = open(&path, 10).unwrap();
        assert_eq!(seqs(&restored), [1, 3, 4, 5]);
    }

    #[test]
    fn unwritable_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("events.jsonl");
        assert!(open(&path, 10).is_err());
    }
}
