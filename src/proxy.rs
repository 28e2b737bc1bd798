//! Forward proxies: which proxy (if any) carries a request, decided as curl decides it.
//!
//! A profile either follows the environment ([`ProxySetting::System`], the default:
//! `http_proxy`/`HTTP_PROXY` for `http://` URLs, `https_proxy`/`HTTPS_PROXY` for
//! `https://`, then `all_proxy`/`ALL_PROXY`, with `no_proxy`/`NO_PROXY` listing hosts to
//! reach directly; lower case first, empty means unset), goes direct, or names its own
//! proxy with credentials kept as secrets.
//!
//! Pure parsing and rules, no I/O: the transport ([`crate::transport`]) opens the
//! connections, plain HTTP as absolute-form requests to the proxy and HTTPS through a
//! `CONNECT` tunnel. Must not depend on the engine or any face.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// curl's port for a proxy URL without one.
pub const DEFAULT_PROXY_PORT: u16 = 1080;

/// How a profile reaches its server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ProxySetting {
    /// Follow the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`).
    #[default]
    System,
    /// Never use a proxy, whatever the environment says.
    Direct,
    /// This proxy, for every host not in its `no_proxy` list.
    Manual(ManualProxy),
}

/// A proxy named in the profile. The password is a secret: masked in the UI, left out
/// of exports and masked in every message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ManualProxy {
    /// `http://host:port` (or `host:port`); credentials in it are taken out on parse.
    pub url: String,
    /// User name for the proxy's Basic authentication (empty: none).
    pub username: String,
    /// Its password (a secret: masked in messages, left out of exports).
    pub password: String,
    /// Hosts reached directly, as in `NO_PROXY`: `localhost,.internal,10.0.0.0/8`.
    pub no_proxy: String,
}

impl ManualProxy {
    /// A manual proxy from a URL that may carry `user:password@`: the credentials move
    /// to their own (secret) fields.
    pub fn from_url(url: &str) -> Result<Self, ProxyError> {
        let endpoint = ProxyEndpoint::parse(url, ProxySource::Profile)?;
        Ok(Self {
            url: endpoint.authority(),
            username: endpoint.username.clone().unwrap_or_default(),
            password: endpoint.password.clone().unwrap_or_default(),
            no_proxy: String::new(),
        })
    }

    /// The proxy this describes, credentials included.
    pub fn endpoint(&self) -> Result<ProxyEndpoint, ProxyError> {
        let mut e = ProxyEndpoint::parse(&self.url, ProxySource::Profile)?;
        if !self.username.is_empty() || !self.password.is_empty() {
            e.username = Some(self.username.clone());
            e.password = Some(self.password.clone());
        }
        Ok(e)
    }
}

impl ProxySetting {
    /// Check a manual proxy's URL (the environment is read only at connect time).
    pub fn validate(&self) -> Result<(), ProxyError> {
        match self {
            Self::Manual(m) => m.endpoint().map(|_| ()),
            Self::System | Self::Direct => Ok(()),
        }
    }

    /// Secrets to mask in messages: the password, and the `Proxy-Authorization` value
    /// that carries it.
    #[must_use]
    pub fn secret_values(&self) -> Vec<String> {
        let Self::Manual(m) = self else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if !m.password.is_empty() {
            out.push(m.password.clone());
        }
        if let Ok(e) = m.endpoint()
            && let Some(token) = e.basic_token()
        {
            out.push(token);
        }
        out
    }

    /// The same setting with its password emptied (for exports without secrets).
    #[must_use]
    pub fn without_secrets(&self) -> Self {
        match self {
            Self::Manual(m) => Self::Manual(ManualProxy {
                password: String::new(),
                ..m.clone()
            }),
            other => other.clone(),
        }
    }
}

/// Where a proxy came from, so a message can say what to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxySource {
    /// The profile's own proxy setting (or `--proxy`).
    Profile,
    /// An environment variable, by name.
    Environment(&'static str),
}

impl fmt::Display for ProxySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Profile => f.write_str("the profile's proxy setting"),
            Self::Environment(name) => write!(f, "the environment variable {name}"),
        }
    }
}

/// Why a proxy setting cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// The proxy URL does not parse or is not an HTTP proxy.
    #[error("bad proxy URL {url:?} (from {from}): {why}")]
    BadUrl {
        /// The URL, credentials masked.
        url: String,
        /// Where the setting came from.
        from: ProxySource,
        /// What is wrong with it.
        why: String,
    },
}

/// One HTTP proxy: where it listens and the credentials to give it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyEndpoint {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    username: Option<String>,
    password: Option<String>,
    /// Where the setting came from (for messages).
    pub source: ProxySource,
}

impl fmt::Debug for ProxyEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyEndpoint")
            .field("authority", &self.authority())
            .field("username", &self.username)
            .field(
                "password",
                &self.password.as_ref().map(|_| crate::redact::MASK),
            )
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl ProxyEndpoint {
    /// Parse a proxy URL as curl reads `-x`: `http://[user:password@]host[:port][/]`,
    /// the scheme optional, the port 1080 when left out.
    pub fn parse(text: &str, source: ProxySource) -> Result<Self, ProxyError> {
        let text = text.trim();
        let full = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let bad = |why: &str| ProxyError::BadUrl {
            url: crate::redact::url(&full),
            from: source,
            why: why.to_owned(),
        };
        if text.is_empty() {
            return Err(bad("empty"));
        }
        let url = url::Url::parse(&full).map_err(|e| bad(&e.to_string()))?;
        match url.scheme() {
            "http" => {}
            "https" => {
                return Err(bad(
                    "TLS to the proxy (https://) is not supported; use http:// \
                     (HTTPS sites still go through an encrypted CONNECT tunnel)",
                ));
            }
            s if s.starts_with("socks") => return Err(bad("SOCKS proxies are not supported")),
            s => return Err(bad(&format!("scheme {s:?} is not http"))),
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(h) => h.to_string(),
            None => return Err(bad("no host")),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() {
            return Err(bad("a proxy URL has no path: give only host and port"));
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(std::borrow::Cow::into_owned)
                .map_err(|_| bad("credentials are not UTF-8"))
        };
        let username = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = url.password().map(decode).transpose()?;
        Ok(Self {
            host,
            port: url.port().unwrap_or(DEFAULT_PROXY_PORT),
            username: username.or_else(|| password.as_ref().map(|_| String::new())),
            password,
            source,
        })
    }

    /// `host:port` (IPv6 in brackets): how messages name the proxy.
    #[must_use]
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// `http://host:port`, without credentials.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.authority())
    }

    /// Whether credentials are given to the proxy.
    #[must_use]
    pub fn has_credentials(&self) -> bool {
        self.username.is_some() || self.password.is_some()
    }

    /// The user name given to the proxy, if any (not a secret).
    #[must_use]
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The base64 `user:password` of Basic authentication, if there are credentials.
    #[must_use]
    pub fn basic_token(&self) -> Option<String> {
        use base64::Engine;
        if !self.has_credentials() {
            return None;
        }
        let pair = format!(
            "{}:{}",
            self.username.as_deref().unwrap_or_default(),
            self.password.as_deref().unwrap_or_default()
        );
        Some(base64::engine::general_purpose::STANDARD.encode(pair))
    }

    /// The `Proxy-Authorization` header line (with CRLF), if there are credentials.
    #[must_use]
    pub fn authorization_line(&self) -> Option<String> {
        self.basic_token()
            .map(|t| format!("Proxy-Authorization: Basic {t}\r\n"))
    }

    /// The same proxy with these credentials.
    #[must_use]
    pub fn with_credentials(mut self, username: &str, password: &str) -> Self {
        self.username = Some(username.to_owned());
        self.password = Some(password.to_owned());
        self
    }
}

/// Hosts reached without the proxy, with curl's `NO_PROXY` rules: a comma- or
/// space-separated list of names (matching the name and every name under it; a leading
/// dot is ignored), IP addresses, CIDR ranges (`10.0.0.0/8`, `::1/128`), or `*` for
/// every host. Names compare case-insensitively; IPv6 may be given in brackets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    names: Vec<String>,
    ranges: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    /// Parse a `NO_PROXY` value. Entries that are neither names nor addresses are kept
    /// as names (they then match nothing real), as curl does.
    #[must_use]
    pub fn parse(list: &str) -> Self {
        let mut out = Self::default();
        for entry in list.split([',', ' ', '\t']).map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                out.all = true;
                continue;
            }
            let bare = entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or(entry);
            let (addr, bits) = match bare.split_once('/') {
                Some((a, b)) => (a, b.parse::<u8>().ok()),
                None => (bare, None),
            };
            if let Ok(ip) = addr.parse::<IpAddr>() {
                let max = if ip.is_ipv4() { 32 } else { 128 };
                out.ranges.push((ip, bits.unwrap_or(max).min(max)));
                continue;
            }
            let name = entry.trim_start_matches('.').trim_end_matches('.');
            if !name.is_empty() {
                out.names.push(name.to_ascii_lowercase());
            }
        }
        out
    }

    /// Whether `host` (a name or an IP address, IPv6 with or without brackets) is
    /// reached directly.
    #[must_use]
    pub fn bypasses(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self
                .ranges
                .iter()
                .any(|&(net, bits)| in_range(ip, net, bits));
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|n| {
            host == *n
                || host
                    .strip_suffix(n.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }

    /// True when nothing is bypassed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.all && self.names.is_empty() && self.ranges.is_empty()
    }
}

/// Whether `ip` lies in `net/bits` (an IPv4 address never lies in an IPv6 range).
fn in_range(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The proxies for one session: per URL scheme, and the hosts that bypass them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyPlan {
    http: Option<ProxyEndpoint>,
    https: Option<ProxyEndpoint>,
    no_proxy: NoProxy,
}

/// Environment variables, in the order curl reads them (lower case first).
const HTTP_VARS: [&str; 2] = ["http_proxy", "HTTP_PROXY"];
const HTTPS_VARS: [&str; 2] = ["https_proxy", "HTTPS_PROXY"];
const ALL_VARS: [&str; 2] = ["all_proxy", "ALL_PROXY"];
const NO_PROXY_VARS: [&str; 2] = ["no_proxy", "NO_PROXY"];

impl ProxyPlan {
    /// No proxy at all.
    #[must_use]
    pub fn direct() -> Self {
        Self::default()
    }

    /// One proxy for both schemes, except for the hosts `no_proxy` lists.
    #[must_use]
    pub fn manual(proxy: ProxyEndpoint, no_proxy: NoProxy) -> Self {
        Self {
            http: Some(proxy.clone()),
            https: Some(proxy),
            no_proxy,
        }
    }

    /// The plan a setting gives, reading the process environment for
    /// [`ProxySetting::System`].
    pub fn for_setting(setting: &ProxySetting) -> Result<Self, ProxyError> {
        Self::for_setting_with(setting, |name| std::env::var(name).ok())
    }

    /// [`Self::for_setting`] with the environment looked up through `env`.
    pub fn for_setting_with(
        setting: &ProxySetting,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ProxyError> {
        match setting {
            ProxySetting::Direct => Ok(Self::direct()),
            ProxySetting::Manual(m) => Ok(Self::manual(m.endpoint()?, NoProxy::parse(&m.no_proxy))),
            ProxySetting::System => Self::from_env_with(env),
        }
    }

    /// The plan the environment describes, as curl reads it.
    pub fn from_env_with(env: impl Fn(&str) -> Option<String>) -> Result<Self, ProxyError> {
        let first = |names: &[&'static str]| -> Option<(&'static str, String)> {
            names
                .iter()
                .find_map(|&n| env(n).filter(|v| !v.trim().is_empty()).map(|v| (n, v)))
        };
        let all = first(&ALL_VARS);
        let endpoint = |found: Option<(&'static str, String)>| {
            found
                .or_else(|| all.clone())
                .map(|(name, v)| ProxyEndpoint::parse(&v, ProxySource::Environment(name)))
                .transpose()
        };
        Ok(Self {
            http: endpoint(first(&HTTP_VARS))?,
            https: endpoint(first(&HTTPS_VARS))?,
            no_proxy: first(&NO_PROXY_VARS)
                .map(|(_, v)| NoProxy::parse(&v))
                .unwrap_or_default(),
        })
    }

    /// The proxy for a URL with this scheme and host, or `None` to go direct.
    #[must_use]
    pub fn route(&self, scheme: &str, host: &str) -> Option<&ProxyEndpoint> {
        let proxy = match scheme {
            "http" => self.http.as_ref(),
            "https" => self.https.as_ref(),
            _ => None,
        }?;
        (!self.no_proxy.bypasses(host)).then_some(proxy)
    }

    /// The proxy for `url`, or `None` to go direct.
    #[must_use]
    pub fn route_url(&self, url: &url::Url) -> Option<&ProxyEndpoint> {
        self.route(url.scheme(), url.host_str()?)
    }

    /// A proxy of this plan (the `http` one first), if any.
    #[must_use]
    pub fn first(&self) -> Option<&ProxyEndpoint> {
        self.http.as_ref().or(self.https.as_ref())
    }

    /// Whether any request may go through a proxy.
    #[must_use]
    pub fn uses_proxy(&self) -> bool {
        self.http.is_some() || self.https.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn route(plan: &ProxyPlan, url: &str) -> Option<String> {
        plan.route_url(&url::Url::parse(url).unwrap())
            .map(ProxyEndpoint::authority)
    }

    #[test]
    fn parses_proxy_urls_as_curl_does() {
        let p = ProxyEndpoint::parse("127.0.0.1:3128", ProxySource::Profile).unwrap();
        assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 3128));
        assert!(!p.has_credentials());
        let p = ProxyEndpoint::parse("http://proxy.corp", ProxySource::Profile).unwrap();
        assert_eq!(p.port, DEFAULT_PROXY_PORT);
        let p = ProxyEndpoint::parse("http://al%40ice:p%3Ass@[::1]:8080/", ProxySource::Profile)
            .unwrap();
        assert_eq!(p.authority(), "[::1]:8080");
        assert_eq!(p.username(), Some("al@ice"));
        assert_eq!(p.password.as_deref(), Some("p:ss"));
        // base64("al@ice:p:ss")
        assert_eq!(p.basic_token().unwrap(), "YWxAaWNlOnA6c3M=");
        for bad in [
            "",
            "socks5://h:1",
            "https://h:1",
            "ftp://h",
            "http://h:1/path",
            "http://",
        ] {
            assert!(
                ProxyEndpoint::parse(bad, ProxySource::Profile).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn errors_mask_the_password_and_name_the_source() {
        let e = ProxyEndpoint::parse(
            "socks5://u:hunter22@h:1",
            ProxySource::Environment("ALL_PROXY"),
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("hunter22"), "{e}");
        assert!(e.contains("ALL_PROXY") && e.contains("SOCKS"), "{e}");
        let debug = format!(
            "{:?}",
            ProxyEndpoint::parse("http://u:hunter22@h:1", ProxySource::Profile).unwrap()
        );
        assert!(!debug.contains("hunter22"), "{debug}");
    }

    #[test]
    fn environment_per_scheme_lower_case_first_then_all_proxy() {
        let plan = ProxyPlan::from_env_with(env(&[
            ("http_proxy", "http://lower:1"),
            ("HTTP_PROXY", "http://upper:2"),
            ("HTTPS_PROXY", "upper-s:3"),
            ("ALL_PROXY", "all:4"),
        ]))
        .unwrap();
        assert_eq!(route(&plan, "http://a/").as_deref(), Some("lower:1"));
        assert_eq!(route(&plan, "https://a/").as_deref(), Some("upper-s:3"));
        let plan =
            ProxyPlan::from_env_with(env(&[("ALL_PROXY", "all:4"), ("http_proxy", "")])).unwrap();
        assert_eq!(route(&plan, "http://a/").as_deref(), Some("all:4"));
        assert_eq!(route(&plan, "https://a/").as_deref(), Some("all:4"));
        let plan = ProxyPlan::from_env_with(env(&[("HTTP_PROXY", "h:1")])).unwrap();
        assert_eq!(
            route(&plan, "https://a/"),
            None,
            "HTTP_PROXY is for http only"
        );
        assert!(!ProxyPlan::from_env_with(env(&[])).unwrap().uses_proxy());
        let e = ProxyPlan::from_env_with(env(&[("https_proxy", "socks5://x:1")])).unwrap_err();
        assert!(e.to_string().contains("https_proxy"), "{e}");
    }

    #[test]
    fn no_proxy_rules() {
        let plan = ProxyPlan::from_env_with(env(&[
            ("ALL_PROXY", "p:1"),
            (
                "NO_PROXY",
                " .Internal.example, localhost 10.0.0.0/8,[::1], 192.168.1.5",
            ),
        ]))
        .unwrap();
        for direct in [
            "http://internal.example/",
            "http://a.b.INTERNAL.example/",
            "http://localhost:8080/",
            "http://10.200.3.4/",
            "http://[::1]:9/",
            "https://192.168.1.5/",
        ] {
            assert_eq!(route(&plan, direct), None, "{direct} goes direct");
        }
        for proxied in [
            "http://notinternal.example/",
            "http://example/",
            "http://11.0.0.1/",
            "http://192.168.1.6/",
            "http://127.0.0.1/",
        ] {
            assert_eq!(route(&plan, proxied).as_deref(), Some("p:1"), "{proxied}");
        }
        let lower_wins = ProxyPlan::from_env_with(env(&[
            ("ALL_PROXY", "p:1"),
            ("no_proxy", "*"),
            ("NO_PROXY", ""),
        ]))
        .unwrap();
        assert_eq!(route(&lower_wins, "http://anything/"), None);
        assert!(NoProxy::parse("127.0.0.0/8").bypasses("127.0.0.2"));
        assert!(!NoProxy::parse("127.0.0.1").bypasses("::1"));
        assert!(NoProxy::parse("").is_empty());
    }

    #[test]
    fn manual_proxies_keep_credentials_apart_and_secret() {
        let m = ManualProxy::from_url("http://alice:s3cret-pw@127.0.0.1:3128").unwrap();
        assert_eq!(m.url, "127.0.0.1:3128");
        assert_eq!(
            (m.username.as_str(), m.password.as_str()),
            ("alice", "s3cret-pw")
        );
        let setting = ProxySetting::Manual(m);
        let secrets = setting.secret_values();
        assert!(secrets.contains(&"s3cret-pw".to_owned()));
        // base64("alice:s3cret-pw"): what goes out in Proxy-Authorization
        assert!(
            secrets.contains(&"YWxpY2U6czNjcmV0LXB3".to_owned()),
            "{secrets:?}"
        );
        let ProxySetting::Manual(stripped) = setting.without_secrets() else {
            panic!("still manual")
        };
        assert!(stripped.password.is_empty());
        assert_eq!(stripped.username, "alice");
        let plan = ProxyPlan::for_setting_with(&setting, env(&[("ALL_PROXY", "other:9")])).unwrap();
        assert_eq!(
            route(&plan, "https://x/").as_deref(),
            Some("127.0.0.1:3128")
        );
        let direct =
            ProxyPlan::for_setting_with(&ProxySetting::Direct, env(&[("ALL_PROXY", "o:9")]))
                .unwrap();
        assert_eq!(route(&direct, "https://x/"), None);
        let json = serde_json::to_string(&setting).unwrap();
        assert!(json.contains("\"mode\":\"manual\""), "{json}");
        let back: ProxySetting = serde_json::from_str(&json).unwrap();
        assert_eq!(back, setting);
        let sys: ProxySetting = serde_json::from_str(r#"{"mode":"system"}"#).unwrap();
        assert_eq!(sys, ProxySetting::System);
    }
}
