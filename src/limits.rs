//! The open-file limit: every held poll is an open socket.
//!
//! At start the process raises its soft `RLIMIT_NOFILE` to the hard limit (as Go's
//! runtime and most servers do: the soft default of 1,024 is a relic, the hard limit is
//! what the administrator allows). Before a session starts its pollers it checks they
//! fit in what is left; if not, it refuses with a message that says how many fit and
//! how to raise the limit — instead of a wall of `EMFILE` from thousands of pollers.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// File descriptors kept free for everything that is not a poller's socket (log files,
/// the profiles store, the GUI's X11/GL handles, exports, DNS lookups).
pub const RESERVED_FDS: u64 = 64;

/// The open-file limits of this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFiles {
    /// The soft limit now in force (`None`: unlimited, or unknown on this platform).
    pub soft: Option<u64>,
    /// The hard limit (`None`: unlimited or unknown).
    pub hard: Option<u64>,
    /// The soft limit before [`raise_open_file_limit`] raised it.
    pub raised_from: Option<u64>,
}

static LIMITS: OnceLock<OpenFiles> = OnceLock::new();
static ACTIVE_POLLERS: AtomicUsize = AtomicUsize::new(0);

/// Raise the soft open-file limit to the hard limit, once per process; later calls
/// return the first result.
pub fn raise_open_file_limit() -> OpenFiles {
    *LIMITS.get_or_init(raise)
}

#[cfg(unix)]
fn raise() -> OpenFiles {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let before = getrlimit(Resource::Nofile);
    let mut now = OpenFiles {
        soft: before.current,
        hard: before.maximum,
        raised_from: None,
    };
    let Some(soft) = before.current else {
        return now; // already unlimited
    };
    // macOS refuses an unlimited soft limit for files; 1 Mi is plenty for any use here.
    let target = before.maximum.unwrap_or(1 << 20);
    if target > soft {
        let new = Rlimit {
            current: Some(target),
            maximum: before.maximum,
        };
        match setrlimit(Resource::Nofile, new) {
            Ok(()) => {
                now.soft = Some(target);
                now.raised_from = Some(soft);
                log::info!("raised the open-file limit from {soft} to {target}");
            }
            Err(e) => log::info!("could not raise the open-file limit from {soft}: {e}"),
        }
    }
    now
}

#[cfg(not(unix))]
fn raise() -> OpenFiles {
    OpenFiles {
        soft: None,
        hard: None,
        raised_from: None,
    }
}

/// Open file descriptors of this process, where the system tells (Linux).
fn open_fds() -> Option<u64> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    Some(dir.count() as u64)
}

/// Why pollers do not fit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{wanted} pollers need {wanted} open connections, but this process may open only {soft} \
     files (the hard limit is {hard}{why}) and {in_use} are in use: it can hold at most \
     {fits} polls at once. Raise the limit (e.g. `ulimit -n {suggest}` in the shell that \
     starts Pollscope, or LimitNOFILE={suggest} for a service) or use at most {fits} pollers."
)]
pub struct TooManyPollers {
    /// Pollers asked for.
    pub wanted: usize,
    /// Pollers that fit now.
    pub fits: usize,
    /// The soft open-file limit.
    pub soft: u64,
    /// The hard limit, as text (`unlimited` when there is none).
    pub hard: String,
    why: &'static str,
    /// Files open now, and pollers running.
    pub in_use: u64,
    suggest: u64,
}

/// Check that `wanted` more pollers fit under the open-file limit, and if so reserve
/// them (the returned guard releases them when dropped).
pub fn reserve_pollers(wanted: usize) -> Result<PollerReservation, TooManyPollers> {
    let limits = raise_open_file_limit();
    if let Some(soft) = limits.soft {
        let active = ACTIVE_POLLERS.load(Ordering::Relaxed) as u64;
        // Sockets of running pollers are already among the open fds; counting them
        // again errs on the side of refusing early rather than failing late.
        let in_use = open_fds().unwrap_or(0) + active;
        let fits = soft.saturating_sub(in_use + RESERVED_FDS);
        if wanted as u64 > fits {
            let hard_known = limits
                .hard
                .map_or("unlimited".to_owned(), |h| h.to_string());
            let why = if limits.hard == Some(soft) {
                ", which only an administrator can raise"
            } else {
                ""
            };
            let suggest = (wanted as u64 + in_use + RESERVED_FDS).next_multiple_of(1024);
            return Err(TooManyPollers {
                wanted,
                fits: usize::try_from(fits).unwrap_or(usize::MAX),
                soft,
                hard: hard_known,
                why,
                in_use,
                suggest,
            });
        }
    }
    ACTIVE_POLLERS.fetch_add(wanted, Ordering::Relaxed);
    Ok(PollerReservation { pollers: wanted })
}

/// Pollers counted against the open-file limit while a session runs.
#[derive(Debug)]
pub struct PollerReservation {
    pollers: usize,
}

impl Drop for PollerReservation {
    fn drop(&mut self) {
        ACTIVE_POLLERS.fetch_sub(self.pollers, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lowers the soft limit by one (so other tests running meanwhile lose nothing
    /// that matters), then raises it as the app does at start.
    #[cfg(unix)]
    #[test]
    fn the_soft_limit_is_raised_to_the_hard_limit() {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let before = getrlimit(Resource::Nofile);
        let hard = before
            .maximum
            .expect("the open-file hard limit is finite on Linux (fs.nr_open)");
        let lowered = hard - 1;
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(lowered),
                maximum: Some(hard),
            },
        )
        .expect("lowering the soft limit is always allowed");
        let raised = raise();
        assert_eq!(raised.raised_from, Some(lowered));
        assert_eq!(raised.soft, Some(hard));
        assert_eq!(raised.hard, Some(hard));
        assert_eq!(getrlimit(Resource::Nofile).current, Some(hard), "in force");
        // Already at the hard limit: nothing to raise.
        assert_eq!(raise().raised_from, None);
    }

    #[cfg(not(unix))]
    #[test]
    fn limits_are_unknown_off_unix() {
        let l = raise();
        assert_eq!((l.soft, l.hard, l.raised_from), (None, None, None));
    }

    #[cfg(unix)]
    #[test]
    fn more_pollers_than_the_limit_are_refused_with_the_numbers() {
        let l = raise_open_file_limit();
        let soft = l
            .soft
            .expect("a finite open-file limit (Linux always has one)");
        let wanted = usize::try_from(soft).unwrap() + 1;
        let err = reserve_pollers(wanted).unwrap_err();
        assert!(err.fits < wanted);
        let msg = err.to_string();
        assert!(msg.contains(&format!("{wanted} pollers")), "{msg}");
        assert!(
            msg.contains(&format!("at most {} polls", err.fits)),
            "{msg}"
        );
        assert!(msg.contains("ulimit -n"), "{msg}");
        let ok = reserve_pollers(1).unwrap();
        drop(ok);
    }
}
