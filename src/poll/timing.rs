//! Where one poll's time went, phase by phase, as a browser's network timing view
//! shows it: name lookup, connect, proxy tunnel, TLS, sending, waiting for the answer's
//! head (the hold, for most long-poll servers), and reading the body.
//!
//! Worked out from what the transport recorded during the call
//! ([`crate::transport::CallRecord`]); no clocks of its own.

use std::time::{Duration, Instant};

use crate::transport::CallRecord;

/// One poll's phases. A phase that did not happen is `None` (no lookup for an IP
/// address or a cached name; no connect, tunnel or TLS on a reused connection).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollTiming {
    /// Looking up the server's (or the proxy's) name.
    pub dns: Option<Duration>,
    /// The TCP connect, to the server or to the proxy, on a new connection.
    pub connect: Option<Duration>,
    /// The proxy opening its `CONNECT` tunnel (HTTPS through a proxy).
    pub proxy_tunnel: Option<Duration>,
    /// The TLS handshake with the server, on a new HTTPS connection.
    pub tls: Option<Duration>,
    /// Writing the request, from the connection being ready to its last byte.
    pub send: Duration,
    /// From the request sent to the answer's status and headers (`None`: they never
    /// came).
    pub waiting: Option<Duration>,
    /// Reading the body after the head (`None` without a head).
    pub body: Option<Duration>,
    /// The whole call, from start to the last byte read (or the failure).
    pub total: Duration,
}

impl PollTiming {
    /// The phases of a call that started at `started` and ended at `ended`.
    #[must_use]
    pub fn of_call(record: &CallRecord, started: Instant, ended: Instant) -> Self {
        let opened = record.opened.last();
        let dns = (record.dns_lookups > 0).then_some(record.dns);
        let connect = opened.map(|c| c.tcp_connect);
        let proxy_tunnel = opened.and_then(|c| c.proxy_tunnel);
        let tls = opened.and_then(|c| c.tls_handshake);
        let setup: Duration = [dns, connect, proxy_tunnel, tls]
            .into_iter()
            .flatten()
            .sum();
        let sent_at = record.sent_at.unwrap_or(started);
        let send = sent_at
            .saturating_duration_since(started)
            .saturating_sub(setup);
        let head_at = record.head_at;
        Self {
            dns,
            connect,
            proxy_tunnel,
            tls,
            send,
            waiting: head_at.map(|h| h.saturating_duration_since(sent_at)),
            body: head_at.map(|h| ended.saturating_duration_since(h)),
            total: ended.saturating_duration_since(started),
        }
    }

    /// The phases in order, with their names, for drawing a waterfall: phases that did
    /// not happen are left out.
    #[must_use]
    pub fn phases(&self) -> Vec<(&'static str, Duration)> {
        [
            ("DNS", self.dns),
            ("connect", self.connect),
            ("proxy tunnel", self.proxy_tunnel),
            ("TLS", self.tls),
            ("send", Some(self.send)),
            ("waiting", self.waiting),
            ("body", self.body),
        ]
        .into_iter()
        .filter_map(|(name, d)| d.map(|d| (name, d)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::NewConnection;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn phases_of_a_new_https_connection_through_a_proxy() {
        let t0 = Instant::now();
        let record = CallRecord {
            dns: ms(2),
            dns_lookups: 1,
            opened: vec![NewConnection {
                id: 1,
                opened: t0 + ms(3),
                tcp_connect: ms(1),
                tls_handshake: Some(ms(4)),
                via_proxy: true,
                proxy_tunnel: Some(ms(5)),
            }],
            sent_at: Some(t0 + ms(13)),
            head_at: Some(t0 + ms(1013)),
            ..CallRecord::default()
        };
        let t = PollTiming::of_call(&record, t0, t0 + ms(1020));
        assert_eq!(t.dns, Some(ms(2)));
        assert_eq!(
            (t.connect, t.proxy_tunnel, t.tls),
            (Some(ms(1)), Some(ms(5)), Some(ms(4)))
        );
        assert_eq!(t.send, ms(1));
        assert_eq!(
            (t.waiting, t.body, t.total),
            (Some(ms(1000)), Some(ms(7)), ms(1020))
        );
        let names: Vec<&str> = t.phases().iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "DNS",
                "connect",
                "proxy tunnel",
                "TLS",
                "send",
                "waiting",
                "body"
            ]
        );
        let sum: Duration = t.phases().iter().map(|(_, d)| *d).sum();
        assert_eq!(sum, t.total, "the phases add up to the whole call");
    }

    #[test]
    fn a_reused_connection_has_no_setup_phases_and_a_failure_no_head() {
        let t0 = Instant::now();
        let record = CallRecord {
            sent_at: Some(t0 + ms(1)),
            ..CallRecord::default()
        };
        let t = PollTiming::of_call(&record, t0, t0 + ms(30));
        assert_eq!((t.dns, t.connect, t.tls), (None, None, None));
        assert_eq!((t.waiting, t.body), (None, None));
        let names: Vec<&str> = t.phases().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["send"]);
    }
}
