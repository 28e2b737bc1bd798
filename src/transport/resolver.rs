//! Name resolution that costs nothing on the hot path.
//!
//! ureq asks its resolver for every request, *before* it looks in its pool, and its
//! default resolver spawns a thread for each lookup that has a timeout. For a long-poll
//! client that is a thread spawn (and a `getaddrinfo`) per poll even when the poll then
//! goes over a pooled connection: measured, it was most of the CPU per poll in the
//! catch-up benchmark and most of the time 10,000 pollers took to re-poll after a
//! broadcast. So:
//!
//! - an IP literal (`127.0.0.1`, `[::1]`) is parsed, never looked up;
//! - a name is looked up once and kept for [`DNS_CACHE_TTL`] (curl's default DNS cache
//!   timeout); concurrent lookups of the same name wait for one lookup instead of each
//!   starting their own (10,000 pollers starting at once do one `getaddrinfo`).
//!
//! Failures are not cached: the next poll asks again (after its backoff).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a looked-up name is kept (curl's `CURLOPT_DNS_CACHE_TIMEOUT` default).
pub const DNS_CACHE_TTL: Duration = Duration::from_mins(1);

type Slot = Arc<Mutex<Option<(Instant, ResolvedSocketAddrs)>>>;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct CachingResolver {
    inner: DefaultResolver,
    /// One slot per `host:port`; a slot's lock is held while that name is looked up.
    names: Mutex<HashMap<String, Slot>>,
}

impl CachingResolver {
    fn slot(&self, key: &str) -> Slot {
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(names.entry(key.to_owned()).or_default())
    }
}

/// The port a URI connects to (explicit, or the scheme's default).
fn port_of(uri: &Uri) -> Option<u16> {
    let authority = uri.authority()?;
    authority.port_u16().or(match uri.scheme_str()? {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    })
}

/// The host as an IP address when it is a literal (`[::1]` included).
fn ip_literal(uri: &Uri) -> Option<IpAddr> {
    let host = uri.host()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse().ok()
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let start = Instant::now();
        let Some(port) = port_of(uri) else {
            let found = self.inner.resolve(uri, config, timeout);
            super::record_dns(start.elapsed(), true);
            return found;
        };
        if let Some(ip) = ip_literal(uri) {
            let addr = SocketAddr::new(ip, port);
            let mut out = self.empty();
            for addr in config.ip_family().keep_wanted(std::iter::once(addr)) {
                out.push(addr);
            }
            return if out.is_empty() {
                Err(ureq::Error::HostNotFound)
            } else {
                Ok(out)
            };
        }
        let key = format!("{}:{port}", uri.host().unwrap_or_default());
        let slot = self.slot(&key);
        let mut cached = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, addrs)) = cached.as_ref()
            && at.elapsed() < DNS_CACHE_TTL
        {
            super::record_dns(start.elapsed(), false);
            return Ok(addrs.clone());
        }
        let found = self.inner.resolve(uri, config, timeout);
        super::record_dns(start.elapsed(), true);
        let addrs = found?;
        *cached = Some((Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(r: &CachingResolver, url: &str) -> Result<Vec<SocketAddr>, ureq::Error> {
        let uri: Uri = url.parse().unwrap();
        let config = Config::default();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from_secs(5),
            reason: ureq::Timeout::Resolve,
            ..NextTimeout::default()
        };
        r.resolve(&uri, &config, timeout)
            .map(|a| a.iter().copied().collect())
    }

    #[test]
    fn ip_literals_are_parsed_not_looked_up() {
        let r = CachingResolver::default();
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8787/events").unwrap(),
            vec!["127.0.0.1:8787".parse().unwrap()]
        );
        assert_eq!(
            resolve(&r, "https://[::1]/x").unwrap(),
            vec!["[::1]:443".parse().unwrap()]
        );
        assert_eq!(
            resolve(&r, "http://10.1.2.3/").unwrap(),
            vec!["10.1.2.3:80".parse().unwrap()]
        );
        assert!(r.names.lock().unwrap().is_empty(), "no name was looked up");
    }

    #[test]
    fn names_are_looked_up_once_and_cached() {
        let r = CachingResolver::default();
        let first = resolve(&r, "http://localhost:9/").unwrap();
        assert!(first.iter().all(|a| a.ip().is_loopback() && a.port() == 9));
        let second = resolve(&r, "http://localhost:9/other").unwrap();
        assert_eq!(first, second);
        let names = r.names.lock().unwrap();
        assert_eq!(names.len(), 1);
        assert!(names["localhost:9"].lock().unwrap().is_some());
    }

    #[test]
    fn failures_are_not_cached() {
        let r = CachingResolver::default();
        assert!(resolve(&r, "http://no-such-host.invalid/").is_err());
        let names = r.names.lock().unwrap();
        assert!(names["no-such-host.invalid:80"].lock().unwrap().is_none());
    }
}
