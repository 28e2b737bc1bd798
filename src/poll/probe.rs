//! "Test once": a profile's bootstrap steps and one poll, run by the same code the
//! pollers run, with every request and answer kept (secrets masked) to show the user.
//! Runs on its own named thread; the caller keeps a [`ProbeRun`] handle and reads the
//! result when it is there (the GUI never blocks on it).

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::backoff::Backoff;
use super::conversation::{Bootstrap, Conversation};
use super::worker::{Outcome, Worker};
use super::{Waker, proxy_plan};
use crate::cursor::Cursor;
use crate::profile::Profile;
use crate::transport::{self, AgentSettings};

/// Longest answer body kept for display.
const BODY_SHOWN: usize = 16 * 1024;

/// One request and its answer, as "test once" shows them (secrets masked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exchange {
    /// What it was for: `step 1 (open)`, `poll`, `reply 1`.
    pub label: String,
    /// Method and URL.
    pub request_line: String,
    /// Request headers as sent.
    pub request_headers: Vec<(String, String)>,
    /// Request body as sent, when it had one.
    pub request_body: Option<String>,
    /// The answer's status, when one came.
    pub status: Option<u16>,
    /// The answer's headers.
    pub response_headers: Vec<(String, String)>,
    /// The answer's body (the first 16 KiB, as text).
    pub response_body: String,
    /// The transport error, when no answer came.
    pub error: Option<String>,
    /// Request sent → answer read.
    pub elapsed: Duration,
}

/// What "test once" found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Probe {
    /// Every request and answer, in order.
    pub exchanges: Vec<Exchange>,
    /// One line: what the poll brought, or what went wrong and where.
    pub outcome: String,
    /// Whether the bootstrap and the poll went through.
    pub ok: bool,
    /// Events in the poll's answer.
    pub events: usize,
    /// Control messages in it, by label.
    pub control: Vec<String>,
    /// The variables after the run, `name = value`, secrets masked.
    pub variables: Vec<(String, String)>,
}

/// The requests a worker sends while it is traced, and what it is doing.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    /// Label for the next exchanges.
    pub label: String,
    pub exchanges: Vec<Exchange>,
}

impl Trace {
    /// Keep an exchange (body cut to what is shown).
    pub fn push(&mut self, mut e: Exchange) {
        if e.response_body.len() > BODY_SHOWN {
            let mut end = BODY_SHOWN;
            while !e.response_body.is_char_boundary(end) {
                end -= 1;
            }
            e.response_body.truncate(end);
            e.response_body.push('…');
        }
        self.label.clone_into(&mut e.label);
        self.exchanges.push(e);
    }
}

/// A "test once" running on its own thread.
#[derive(Debug)]
pub struct ProbeRun {
    rx: Receiver<Probe>,
    started: Instant,
    result: Option<Probe>,
}

impl ProbeRun {
    /// Start testing `profile` (the poll waits at most `max_wait`); `waker` is called
    /// when the result is there.
    #[must_use]
    pub fn start(profile: Profile, max_wait: Duration, waker: Waker) -> Self {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new()
            .name("pollscope-test-once".to_owned())
            .spawn(move || {
                let probe = test_once(profile, max_wait);
                if tx.send(probe).is_ok() {
                    waker();
                }
            });
        let result = spawned.err().map(|e| Probe {
            outcome: format!("cannot start a thread for the test: {e}"),
            ..Probe::default()
        });
        Self {
            rx,
            started: Instant::now(),
            result,
        }
    }

    /// The result, once it is there (never blocks).
    pub fn result(&mut self) -> Option<&Probe> {
        if self.result.is_none() {
            self.result = self.rx.try_recv().ok();
        }
        self.result.as_ref()
    }

    /// How long it has run.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// Run `profile`'s bootstrap steps and one poll (waiting at most `max_wait` for the
/// poll's answer), keeping every request and answer. Blocks: call it off the UI thread
/// (see [`ProbeRun`]).
#[must_use]
pub fn test_once(mut profile: Profile, max_wait: Duration) -> Probe {
    profile.pollers = 1;
    let issues = profile.validate();
    if !issues.is_empty() {
        let text: Vec<String> = issues.iter().map(ToString::to_string).collect();
        return Probe {
            outcome: format!("the profile cannot connect: {}", text.join("; ")),
            ..Probe::default()
        };
    }
    let (worker, _stop) = match traced_worker(profile, max_wait) {
        Ok(w) => w,
        Err(e) => {
            return Probe {
                outcome: e,
                ..Probe::default()
            };
        }
    };
    let mut conv = Conversation::new(&worker.profile, 0);
    let mut cursor = Cursor::starting_at(worker.profile.initial_cursor.as_deref());
    let mut probe = Probe::default();
    if conv.needs_bootstrap()
        && let Some(bad) = run_bootstrap(&worker, &mut conv, &cursor)
    {
        probe.outcome = bad;
        return finish(probe, &worker, &conv);
    }
    set_label(&worker, "poll");
    let mut backoff = Backoff::default();
    match worker.poll_once(&mut cursor, &mut backoff, &mut conv) {
        Outcome::Answer(r, next) => {
            probe.events = r.events.len();
            probe.control.clone_from(&r.control);
            probe.ok = next.lost.is_none();
            let mut text = if r.cut_by_client {
                format!(
                    "no answer within {}: the server is holding the poll (the client ended it)",
                    crate::present::units::whole_seconds(r.hold)
                )
            } else {
                format!(
                    "HTTP {} after {}: {} event(s), {} control message(s){}",
                    r.status,
                    crate::present::units::duration(r.hold),
                    r.events.len(),
                    r.control.len(),
                    if r.replies > 0 {
                        format!(", {} replied", r.replies)
                    } else {
                        String::new()
                    }
                )
            };
            if let Some(p) = &r.problem {
                text.push_str(&format!("; {p}"));
            }
            if let Some(why) = &next.lost {
                text.push_str(&format!(
                    "; the session is gone ({}): the pollers would bootstrap again",
                    worker.mask_with(&conv, why)
                ));
            }
            probe.outcome = text;
        }
        Outcome::Failed(f) => probe.outcome.clone_from(&f.message),
        Outcome::Resynced(r) => {
            probe.ok = true;
            probe.outcome = format!("cursor {} refused as too old; resumed at {}", r.from, r.to);
        }
        Outcome::Lost(reason, _) => {
            probe.outcome = format!(
                "the server says the session is gone: {}",
                worker.mask_with(&conv, &reason)
            );
        }
        Outcome::Stopped => "stopped".clone_into(&mut probe.outcome),
    }
    finish(probe, &worker, &conv)
}

/// The bootstrap steps; `Some(why)` when one failed.
fn run_bootstrap(worker: &Worker, conv: &mut Conversation, cursor: &Cursor) -> Option<String> {
    // Each step labels its own exchanges (see `Worker::bootstrap`).
    match worker.bootstrap(conv, cursor) {
        Bootstrap::Done => None,
        Bootstrap::Failed(f) => Some(f.message.clone()),
        Bootstrap::Stopped => Some("stopped".to_owned()),
    }
}

fn set_label(worker: &Worker, label: &str) {
    worker.trace_label(label);
}

/// An exchange as sent and answered (not yet masked: [`finish`] masks it with every
/// secret known by the end of the run).
pub(crate) fn exchange(
    outgoing: &super::request::Outgoing<'_>,
    result: &Result<super::worker::RawAnswer, ureq::Error>,
    elapsed: Duration,
) -> Exchange {
    let mut e = Exchange {
        request_line: format!("{} {}", outgoing.method, outgoing.url),
        request_headers: outgoing
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        request_body: outgoing.body.as_ref().map(ToString::to_string),
        elapsed,
        ..Exchange::default()
    };
    match result {
        Ok(raw) => {
            e.status = Some(raw.status);
            e.response_headers.clone_from(&raw.headers);
            e.response_body = String::from_utf8_lossy(&raw.body).into_owned();
        }
        Err(err) => e.error = Some(err.to_string()),
    }
    e
}

/// `e` with secret values (the profile's and the session's) and credential-like
/// headers masked.
fn masked(worker: &Worker, conv: &Conversation, mut e: Exchange) -> Exchange {
    let mask = |t: &str| worker.mask_with(conv, t);
    e.request_line = crate::redact::url(&mask(&e.request_line));
    for (k, v) in e
        .request_headers
        .iter_mut()
        .chain(e.response_headers.iter_mut())
    {
        *v = if crate::header::looks_secret(k) || k.eq_ignore_ascii_case("set-cookie") {
            crate::redact::MASK.to_owned()
        } else {
            mask(v)
        };
    }
    e.request_body = e.request_body.as_deref().map(mask);
    e.response_body = mask(&e.response_body);
    e.error = e.error.as_deref().map(mask);
    e
}

fn finish(mut probe: Probe, worker: &Worker, conv: &Conversation) -> Probe {
    probe.variables = conv.vars.shown();
    if let Some(t) = &worker.trace {
        let raw = std::mem::take(&mut t.borrow_mut().exchanges);
        probe.exchanges = raw.into_iter().map(|e| masked(worker, conv, e)).collect();
    }
    probe
}

/// One traced worker for `profile`, its agent's client timeout cut to `max_wait`; and
/// the stop sender that must live as long as it.
fn traced_worker(
    profile: Profile,
    max_wait: Duration,
) -> Result<(Worker, crossbeam_channel::Sender<()>), String> {
    let url = Arc::new(profile.poll_url_template().map_err(|e| e.to_string())?);
    let proxy = proxy_plan(&profile).map_err(|e| e.to_string())?;
    let route = profile
        .parsed_url()
        .ok()
        .and_then(|u| proxy.route_url(&u).cloned())
        .map(Arc::new);
    let (agent, metrics) = transport::build_agent(AgentSettings {
        keep_alive: profile.keep_alive,
        accept_invalid_certs: profile.accept_invalid_certs,
        call_timeout: Some(profile.client_timeout().min(max_wait)),
        proxy,
        ..AgentSettings::sized_for(1, profile.request_head_bytes())
    });
    let (tx, _events) = crossbeam_channel::unbounded();
    let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(0);
    let profile = Arc::new(profile);
    let worker = Worker {
        poller: 0,
        secrets: Arc::new(profile.secrets()),
        profile,
        agent,
        metrics,
        tx,
        waker: super::no_waker(),
        stop: Arc::new(AtomicBool::new(false)),
        stop_signal: stop_rx,
        url,
        proxy: route,
        trace: Some(RefCell::new(Trace::default())),
    };
    Ok((worker, stop_tx))
}
