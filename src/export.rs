//! Data out and in: the event log (JSON Lines), per-second statistics (CSV), the summary
//! (JSON), and profiles (JSON, secrets left out unless asked for).
//!
//! Pure serialisation over `io::Write`; callers choose files. No UI.

use std::io::{self, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

use crate::poll::{Payload, PollEvent, PollResponse};
use crate::profile::Profile;
use crate::profile_store::{FORMAT_VERSION, StoreError};
use crate::stats::{Stats, Summary};

/// One line of the event log.
#[derive(Debug, Serialize)]
pub struct EventRecord<'a> {
    /// Receive time, milliseconds since the UNIX epoch.
    pub received_ms: u128,
    /// Which poller received it.
    pub poller: usize,
    /// The answer's HTTP status.
    pub status: u16,
    /// The event's sequence number, when the profile reads one.
    pub seq: Option<i64>,
    /// Receive time minus the server's timestamp, when the profile reads one.
    pub latency_ms: Option<f64>,
    /// The event: JSON as it came, or text.
    pub payload: PayloadRef<'a>,
}

/// An event's payload as serialised.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PayloadRef<'a> {
    /// JSON as it came.
    Json(&'a Value),
    /// Not JSON: `{"text": …}`.
    Text {
        /// The body as text.
        text: &'a str,
    },
}

fn wall_ms(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

/// Append every event of `r` to a JSON Lines log.
pub fn write_events(w: &mut impl Write, r: &PollResponse) -> io::Result<()> {
    for e in &r.events {
        let record = EventRecord {
            received_ms: wall_ms(r.received_wall),
            poller: r.poller,
            status: r.status,
            seq: e.seq,
            latency_ms: e.latency_ms,
            payload: match &e.payload {
                Payload::Json(v) => PayloadRef::Json(v),
                Payload::Text(t) => PayloadRef::Text { text: t },
            },
        };
        serde_json::to_writer(&mut *w, &record)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// Append the events carried by `event` (answers only) to a JSON Lines log.
pub fn write_event(w: &mut impl Write, event: &PollEvent) -> io::Result<()> {
    match event {
        PollEvent::Response(r) => write_events(w, r),
        _ => Ok(()),
    }
}

/// The header of [`write_stats_csv`].
pub const STATS_CSV_HEADER: &str = "second,polls,events,empty,errors,new_connections,\
reused_polls,stale_retries,wire_bytes,cumulative_new_connections,cumulative_reused_polls,\
latency_p50_ms,latency_p99_ms";

/// Per-second statistics as CSV, one row per second kept.
pub fn write_stats_csv(w: &mut impl Write, stats: &Stats) -> io::Result<()> {
    writeln!(w, "{STATS_CSV_HEADER}")?;
    let opt = |v: Option<f64>| v.map_or_else(String::new, |x| format!("{x:.3}"));
    for b in stats.seconds() {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            b.second,
            b.polls,
            b.events,
            b.empty,
            b.errors,
            b.new_connections,
            b.reused_polls,
            b.stale_retries,
            b.wire_bytes,
            b.cumulative_new_connections,
            b.cumulative_reused_polls,
            opt(b.latency_p50_ms),
            opt(b.latency_p99_ms),
        )?;
    }
    Ok(())
}

/// Write `stats.csv` and `summary.json` into `dir` (created if needed).
pub fn write_stats_files(dir: &Path, stats: &Stats, summary: &Summary) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut csv = io::BufWriter::new(std::fs::File::create(dir.join("stats.csv"))?);
    write_stats_csv(&mut csv, stats)?;
    csv.flush()?;
    let json = serde_json::to_vec_pretty(summary).map_err(io::Error::other)?;
    std::fs::write(dir.join("summary.json"), json)
}

/// Profiles as a JSON document in the profiles-file format. Without `include_secrets`,
/// secret header values (the poll's and the session steps') and secret variables are
/// emptied and secrets in URLs masked.
#[must_use]
pub fn profiles_json(profiles: &[Profile], include_secrets: bool) -> String {
    let profiles: Vec<Profile> = profiles
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if !include_secrets {
                for h in p.headers.iter_mut().filter(|h| h.secret) {
                    h.value.clear();
                }
                // A URL with {{variables}} is kept as written (parsing it would encode
                // the braces); the profile's secret values are masked in it.
                p.url = if crate::protocol::template::has_placeholders(&p.url) {
                    p.secrets().mask(&p.url).into_owned()
                } else {
                    p.shown_url()
                };
                p.proxy = p.proxy.without_secrets();
                for v in p.variables.iter_mut().filter(|v| v.secret) {
                    v.value.clear();
                }
                let session = &mut p.session;
                let requests = session
                    .bootstrap
                    .iter_mut()
                    .map(|s| &mut s.request)
                    .chain(session.replies.iter_mut().map(|r| &mut r.request));
                for r in requests {
                    for h in r.headers.iter_mut().filter(|h| h.secret) {
                        h.value.clear();
                    }
                }
            }
            p
        })
        .collect();
    let doc = serde_json::json!({ "version": FORMAT_VERSION, "profiles": profiles });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Read profiles exported by [`profiles_json`] (or a whole profiles file).
pub fn import_profiles(path: &Path, bytes: &[u8]) -> Result<Vec<Profile>, StoreError> {
    crate::profile_store::parse(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::HeaderSpec;

    #[test]
    fn session_secrets_are_left_out_and_templates_kept() {
        let mut p = crate::presets::by_id("bayeux")
            .unwrap()
            .profile("http://127.0.0.1:1/faye");
        p.variables.push(crate::protocol::Variable {
            secret: true,
            ..crate::protocol::Variable::new("api_key", "k3y-s3cr3t-value")
        });
        p.session.bootstrap[0]
            .request
            .headers
            .push(HeaderSpec::new("Authorization", "Bearer st3p-t0ken-value"));
        let mut sockjs = crate::presets::by_id("sockjs")
            .unwrap()
            .profile("http://127.0.0.1:1/echo");
        sockjs.name = "s".to_owned();
        let json = profiles_json(&[p, sockjs.clone()], false);
        assert!(!json.contains("k3y-s3cr3t-value"), "{json}");
        assert!(!json.contains("st3p-t0ken-value"), "{json}");
        let back = import_profiles(Path::new("x"), json.as_bytes()).unwrap();
        assert_eq!(back[1].url, sockjs.url, "templates survive export");
        assert_eq!(back[0].session.bootstrap.len(), 2);
        assert!(json_with_secrets_keeps(&back));
    }

    fn json_with_secrets_keeps(back: &[Profile]) -> bool {
        let json = profiles_json(back, true);
        json.contains("{{clientId|json}}")
    }

    #[test]
    fn exported_profiles_leave_secrets_out_and_reimport() {
        let mut p = Profile::for_demo("A", "https://api.telegram.org/bot123:ABCDEFGHIJ/getUpdates");
        p.headers
            .push(HeaderSpec::new("Authorization", "Bearer s3cr3t-token"));
        p.headers
            .push(HeaderSpec::new("Accept", "application/json"));
        p.proxy = crate::proxy::ProxySetting::Manual(
            crate::proxy::ManualProxy::from_url("http://alice:pr0xy-pw@10.0.0.1:3128").unwrap(),
        );
        let text = profiles_json(std::slice::from_ref(&p), false);
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(!text.contains("pr0xy-pw"), "{text}");
        assert!(
            text.contains("10.0.0.1:3128") && text.contains("alice"),
            "{text}"
        );
        assert!(!text.contains("ABCDEFGHIJ"), "{text}");
        assert!(text.contains("application/json"));
        let back = import_profiles(Path::new("x.json"), text.as_bytes()).unwrap();
        assert_eq!(back[0].headers[0].value, "");
        assert!(back[0].headers[0].secret);
        assert_eq!(back[0].pollers, p.pollers);
        let with = profiles_json(std::slice::from_ref(&p), true);
        let back = import_profiles(Path::new("x.json"), with.as_bytes()).unwrap();
        assert_eq!(back, vec![p]);
    }

    #[test]
    fn import_names_the_file_on_error() {
        let e = import_profiles(Path::new("/tmp/in.json"), b"{").unwrap_err();
        assert!(e.to_string().contains("/tmp/in.json"), "{e}");
    }
}
