//! Import a curl command line as a profile (the way API clients import requests), and
//! write a profile back as one.
//!
//! Pure string work; no I/O. Unknown options are reported, never fatal.

use base64::Engine as _;

use crate::profile::{HeaderSpec, HoldParam, Profile};
use crate::proxy::{ManualProxy, ProxySetting};

/// Why a command line could not become a profile.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CurlError {
    /// Unbalanced quotes (the shell's rules).
    #[error("cannot split the command line: {0}")]
    Quoting(String),
    /// An option that takes a value came last.
    #[error("{0} needs a value")]
    MissingValue(String),
    /// Nothing that could be the URL.
    #[error("no URL in the command")]
    NoUrl,
    /// A `-H` value that is not a header line.
    #[error("bad header {0:?}: expected `Name: value`")]
    BadHeader(String),
    /// `-x`/`--proxy` (or `-U`) cannot be used.
    #[error("{0}")]
    BadProxy(String),
}

/// A profile made from a curl command, and what was not understood.
#[derive(Debug)]
pub struct CurlImport {
    /// The profile (named after the URL's host and path).
    pub profile: Profile,
    /// Options ignored or only partly understood.
    pub warnings: Vec<String>,
}

/// Options that take no value and change nothing for polling.
const IGNORED_FLAGS: &[&str] = &[
    "-s",
    "--silent",
    "-S",
    "--show-error",
    "-L",
    "--location",
    "-v",
    "--verbose",
    "-i",
    "--include",
    "--compressed",
    "--http1.1",
    "--http1.0",
    "--http2",
    "-N",
    "--no-buffer",
    "-f",
    "--fail",
    "--fail-with-body",
    "-g",
    "--globoff",
    "-#",
    "--progress-bar",
];

/// Options that take a value we do not use.
const IGNORED_WITH_VALUE: &[&str] = &[
    "-o",
    "--output",
    "-w",
    "--write-out",
    "--retry",
    "--connect-timeout",
    "--cacert",
    "--cert",
    "--key",
    "--resolve",
    "-r",
    "--range",
    "--limit-rate",
];

/// Options whose value is the next word.
const WITH_VALUE: &[&str] = &[
    "-X",
    "--request",
    "-H",
    "--header",
    "-d",
    "--data",
    "--data-raw",
    "--data-binary",
    "--data-ascii",
    "--data-urlencode",
    "--json",
    "-u",
    "--user",
    "-A",
    "--user-agent",
    "-b",
    "--cookie",
    "-e",
    "--referer",
    "--url",
    "-m",
    "--max-time",
    "-x",
    "--proxy",
    "-U",
    "--proxy-user",
    "--noproxy",
];

/// Split `-sSL` into `-s -S -L`, `-XPOST` into `-X POST`, `--opt=value` into both.
fn normalise(words: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for w in words {
        if let Some((opt, value)) = w.split_once('=')
            && w.starts_with("--")
            && (WITH_VALUE.contains(&opt) || IGNORED_WITH_VALUE.contains(&opt))
        {
            out.push(opt.to_owned());
            out.push(value.to_owned());
        } else if w.len() > 2 && w.starts_with('-') && !w.starts_with("--") {
            let flag = &w[..2];
            if WITH_VALUE.contains(&flag) || IGNORED_WITH_VALUE.contains(&flag) {
                out.push(flag.to_owned());
                out.push(w[2..].to_owned());
            } else if w[1..]
                .chars()
                .all(|c| IGNORED_FLAGS.contains(&format!("-{c}").as_str()))
            {
                out.extend(w[1..].chars().map(|c| format!("-{c}")));
            } else {
                out.push(w);
            }
        } else {
            out.push(w);
        }
    }
    out
}

/// Parse a curl command line into a profile.
pub fn parse(command: &str) -> Result<CurlImport, CurlError> {
    let mut cmd = Command::default();
    let mut words = words(command)?.into_iter();
    while let Some(word) = words.next() {
        let mut value = || {
            words
                .next()
                .ok_or_else(|| CurlError::MissingValue(word.clone()))
        };
        let handled = cmd.header_option(&word, &mut value)?
            || cmd.data_option(&word, &mut value)?
            || cmd.request_option(&word, &mut value)?
            || cmd.proxy_option(&word, &mut value)?;
        if !handled {
            cmd.other_word(&word, &mut value)?;
        }
    }
    cmd.finish()
}

/// The command's words without `curl` itself, options split as [`normalise`] does.
fn words(command: &str) -> Result<Vec<String>, CurlError> {
    // Shell line continuations, as in "Copy as cURL".
    let joined = command.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut words =
        shell_words::split(joined.trim()).map_err(|e| CurlError::Quoting(e.to_string()))?;
    if words
        .first()
        .is_some_and(|w| w == "curl" || w.ends_with("/curl"))
    {
        words.remove(0);
    }
    Ok(normalise(words))
}

/// The next word, as an option's value.
type Value<'a> = dyn FnMut() -> Result<String, CurlError> + 'a;

/// What the words said so far.
struct Command {
    profile: Profile,
    warnings: Vec<String>,
    url: Option<String>,
    data: Vec<String>,
    method: Option<String>,
    /// `-G`: the data goes into the query.
    get: bool,
    /// `-x`, `-U`, `--noproxy`.
    proxy: Option<String>,
    proxy_user: Option<String>,
    no_proxy: Option<String>,
}

impl Default for Command {
    fn default() -> Self {
        Self {
            profile: Profile {
                name: "Imported".to_owned(),
                hold_param: HoldParam::None,
                ..Profile::default()
            },
            warnings: Vec::new(),
            url: None,
            data: Vec::new(),
            method: None,
            get: false,
            proxy: None,
            proxy_user: None,
            no_proxy: None,
        }
    }
}

impl Command {
    fn header(&mut self, name: &str, value: &str, secret: bool) {
        let mut h = HeaderSpec::new(name, value);
        h.secret |= secret;
        self.profile.headers.push(h);
    }

    /// Options that become request headers; false when `flag` is not one.
    fn header_option(&mut self, flag: &str, value: &mut Value<'_>) -> Result<bool, CurlError> {
        match flag {
            "-H" | "--header" => {
                let line = value()?;
                let h = HeaderSpec::parse_line(&line).map_err(|_| CurlError::BadHeader(line))?;
                self.profile.headers.push(h);
            }
            "-u" | "--user" => {
                let token = base64::engine::general_purpose::STANDARD.encode(value()?);
                self.header("Authorization", &format!("Basic {token}"), true);
            }
            "-A" | "--user-agent" => self.header("User-Agent", &value()?, false),
            "-b" | "--cookie" => {
                let v = value()?;
                if v.contains('=') {
                    self.header("Cookie", &v, true);
                } else {
                    self.warnings
                        .push(format!("--cookie {v}: cookie files are not read"));
                }
            }
            "-e" | "--referer" => self.header("Referer", &value()?, false),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Options that make the request body; false when `flag` is not one.
    fn data_option(&mut self, flag: &str, value: &mut Value<'_>) -> Result<bool, CurlError> {
        match flag {
            "-d" | "--data" | "--data-raw" | "--data-binary" | "--data-ascii" => {
                self.data.push(value()?);
            }
            "--data-urlencode" => {
                let v = value()?;
                let encoded = match v.split_once('=') {
                    Some((k, v)) => format!("{k}={}", urlencode(v)),
                    None => urlencode(&v),
                };
                self.data.push(encoded);
            }
            "--json" => {
                self.data.push(value()?);
                self.header("Content-Type", "application/json", false);
                self.header("Accept", "application/json", false);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Method, URL, time limit and TLS options; false when `flag` is not one.
    fn request_option(&mut self, flag: &str, value: &mut Value<'_>) -> Result<bool, CurlError> {
        match flag {
            "-X" | "--request" => self.method = Some(value()?.to_ascii_uppercase()),
            "--url" => self.url = Some(value()?),
            "-m" | "--max-time" => {
                let v = value()?;
                match v.parse::<f64>() {
                    Ok(s) if s > 0.0 => self.profile.client_timeout_s = Some(s),
                    _ => self
                        .warnings
                        .push(format!("--max-time {v}: not a number of seconds")),
                }
            }
            "-G" | "--get" => self.get = true,
            "-I" | "--head" => self.method = Some("HEAD".to_owned()),
            "-k" | "--insecure" => {
                self.profile.accept_invalid_certs = true;
                self.warnings
                    .push("--insecure: TLS certificates will not be verified".to_owned());
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Proxy options; false when `flag` is not one.
    fn proxy_option(&mut self, flag: &str, value: &mut Value<'_>) -> Result<bool, CurlError> {
        match flag {
            "-x" | "--proxy" => self.proxy = Some(value()?),
            "-U" | "--proxy-user" => self.proxy_user = Some(value()?),
            "--noproxy" => self.no_proxy = Some(value()?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `-x`, `-U` and `--noproxy` as the profile's proxy setting.
    fn proxy_setting(&mut self) -> Result<ProxySetting, CurlError> {
        let Some(url) = self.proxy.take() else {
            if self.proxy_user.is_some() {
                self.warnings
                    .push("--proxy-user without --proxy: ignored".to_owned());
            }
            return Ok(match self.no_proxy.as_deref().map(str::trim) {
                Some("*") => ProxySetting::Direct,
                Some(list) => {
                    self.warnings.push(format!(
                        "--noproxy {list}: applies to environment proxies only; set NO_PROXY"
                    ));
                    ProxySetting::System
                }
                None => ProxySetting::System,
            });
        };
        let mut m = ManualProxy::from_url(&url).map_err(|e| CurlError::BadProxy(e.to_string()))?;
        if let Some(pair) = self.proxy_user.take() {
            let (u, pw) = pair.split_once(':').unwrap_or((&pair, ""));
            u.clone_into(&mut m.username);
            pw.clone_into(&mut m.password);
        }
        m.no_proxy = self.no_proxy.take().unwrap_or_default();
        Ok(ProxySetting::Manual(m))
    }

    /// Ignored options, unknown ones (a warning each) and the URL.
    fn other_word(&mut self, word: &str, value: &mut Value<'_>) -> Result<(), CurlError> {
        match word {
            f if IGNORED_FLAGS.contains(&f) => {}
            f if IGNORED_WITH_VALUE.contains(&f) => {
                let v = value()?;
                self.warnings.push(format!("{f} {v}: ignored"));
            }
            f if f.starts_with('-') && f.len() > 1 => {
                self.warnings.push(format!("{f}: not understood, ignored"));
            }
            _ if self.url.is_none() => self.url = Some(word.to_owned()),
            _ => self
                .warnings
                .push(format!("{word:?}: a second URL, ignored")),
        }
        Ok(())
    }

    /// The profile: the data in the query (`-G`) or the body, the method it implies.
    fn finish(mut self) -> Result<CurlImport, CurlError> {
        self.profile.proxy = self.proxy_setting()?;
        let mut url = self.url.ok_or(CurlError::NoUrl)?;
        let p = &mut self.profile;
        if self.get && !self.data.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&self.data.join("&"));
            self.data.clear();
        }
        if !self.data.is_empty() {
            p.body = Some(self.data.join("&"));
            if !p
                .headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case("content-type"))
            {
                p.headers.push(HeaderSpec::new(
                    "Content-Type",
                    "application/x-www-form-urlencoded",
                ));
            }
        }
        p.method = self
            .method
            .unwrap_or_else(|| if p.body.is_some() { "POST" } else { "GET" }.to_owned());
        p.name = name_for(&url);
        p.url = url;
        Ok(CurlImport {
            profile: self.profile,
            warnings: self.warnings,
        })
    }
}

fn urlencode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// "host/path" as a profile name, with the port when it is not the scheme's
/// default ("127.0.0.1:8080/poll"): two servers on one host stay apart.
fn name_for(url: &str) -> String {
    url::Url::parse(url).map_or_else(
        |_| "Imported".to_owned(),
        |u| {
            let host = u.host_str().unwrap_or("");
            let host = match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            };
            crate::redact::url(&format!("{host}{}", u.path()))
                .trim_end_matches('/')
                .to_owned()
        },
    )
}

/// The profile's request as a curl command. Secret values are masked unless
/// `include_secrets`.
#[must_use]
pub fn to_curl(p: &Profile, include_secrets: bool) -> String {
    let q = |s: &str| shell_words::quote(s).into_owned();
    let mut parts = vec!["curl".to_owned()];
    let default_method = if p.body.is_some() { "POST" } else { "GET" };
    if p.method != default_method {
        parts.push(format!("-X {}", q(&p.method)));
    }
    let url = if include_secrets {
        p.url.clone()
    } else {
        crate::redact::url(&p.url)
    };
    parts.push(q(&url));
    for h in &p.headers {
        let v = if include_secrets {
            h.value.as_str()
        } else {
            h.display_value()
        };
        parts.push(format!("-H {}", q(&format!("{}: {v}", h.name))));
    }
    if let Some(b) = &p.body {
        parts.push(format!("--data-raw {}", q(b)));
    }
    if p.accept_invalid_certs {
        parts.push("--insecure".to_owned());
    }
    match &p.proxy {
        ProxySetting::System => {}
        ProxySetting::Direct => parts.push("--noproxy '*'".to_owned()),
        ProxySetting::Manual(m) => {
            parts.push(format!("-x {}", q(&format!("http://{}", m.url.trim()))));
            if !m.username.is_empty() || !m.password.is_empty() {
                let pw = if include_secrets || m.password.is_empty() {
                    m.password.as_str()
                } else {
                    crate::redact::MASK
                };
                parts.push(format!("-U {}", q(&format!("{}:{pw}", m.username))));
            }
            if !m.no_proxy.is_empty() {
                parts.push(format!("--noproxy {}", q(&m.no_proxy)));
            }
        }
    }
    if let Some(t) = p.client_timeout_s {
        parts.push(format!("--max-time {t}"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrome_copy_as_curl() {
        let cmd = r"curl 'https://api.example.com/v1/updates?since=42' \
  -H 'accept: application/json' \
  -H 'authorization: Bearer eyJhbGciOi.abc' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64)' \
  --compressed";
        let i = parse(cmd).unwrap();
        let p = &i.profile;
        assert_eq!(p.url, "https://api.example.com/v1/updates?since=42");
        assert_eq!(p.method, "GET");
        assert_eq!(p.headers.len(), 3);
        assert!(p.headers[1].secret);
        assert_eq!(p.name, "api.example.com/v1/updates");
        assert!(i.warnings.is_empty(), "{:?}", i.warnings);
    }

    #[test]
    fn data_raw_with_quotes_and_method() {
        let cmd =
            r#"curl -X PUT "http://127.0.0.1:2379/v2/keys/k" --data-raw 'value={"a": "it'\''s"}'"#;
        let p = parse(cmd).unwrap().profile;
        assert_eq!(p.method, "PUT");
        assert_eq!(p.body.as_deref(), Some(r#"value={"a": "it's"}"#));
        assert!(
            p.headers
                .iter()
                .any(|h| h.value == "application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn user_becomes_secret_basic_auth() {
        let p = parse("curl -u alice:s3cret http://h/x").unwrap().profile;
        assert_eq!(p.headers[0].name, "Authorization");
        assert_eq!(p.headers[0].value, "Basic YWxpY2U6czNjcmV0");
        assert!(p.headers[0].secret);
    }

    #[test]
    fn combined_and_attached_flags() {
        let i =
            parse("curl -sSL -XPOST -HX-Token:abc --url=http://h/p -d a=1 -d b=2 -m 65").unwrap();
        let p = &i.profile;
        assert_eq!(p.method, "POST");
        assert_eq!(p.url, "http://h/p");
        assert_eq!(p.body.as_deref(), Some("a=1&b=2"));
        assert_eq!(p.client_timeout_s, Some(65.0));
        assert!(p.headers[0].secret, "X-Token looks secret");
    }

    #[test]
    fn get_moves_data_to_the_query() {
        let p = parse("curl -G https://h/s --data-urlencode 'q=a b' -d n=1")
            .unwrap()
            .profile;
        assert_eq!(p.url, "https://h/s?q=a+b&n=1");
        assert_eq!(p.method, "GET");
        assert_eq!(p.body, None);
    }

    #[test]
    fn json_flag_and_insecure() {
        let i = parse(r#"curl --json '{"x":1}' -k https://localhost:8443/poll"#).unwrap();
        assert_eq!(i.profile.method, "POST");
        assert!(i.profile.accept_invalid_certs);
        assert_eq!(i.warnings.len(), 1);
    }

    #[test]
    fn names_never_carry_tokens() {
        let p = parse("curl https://api.telegram.org/bot123456:AAEhBP0av28Qsecret/getUpdates")
            .unwrap()
            .profile;
        assert!(!p.name.contains("AAEhBP0av28Q"), "{}", p.name);
        let p = parse("curl http://127.0.0.1:8080/bot123456:AAEhBP0av28Qsecret/getUpdates")
            .unwrap()
            .profile;
        assert!(!p.name.contains("AAEhBP0av28Q"), "{}", p.name);
        assert!(p.name.starts_with("127.0.0.1:8080/"), "{}", p.name);
    }

    #[test]
    fn names_carry_a_non_default_port() {
        let name = |line: &str| parse(line).unwrap().profile.name;
        assert_eq!(
            name("curl http://127.0.0.1:8080/poll"),
            "127.0.0.1:8080/poll"
        );
        assert_eq!(name("curl 'http://[::1]:9000/sub/ch'"), "[::1]:9000/sub/ch");
        assert_eq!(name("curl https://h.example:8443/"), "h.example:8443");
        // The scheme's own port is not worth naming.
        assert_eq!(name("curl http://h.example:80/poll"), "h.example/poll");
        assert_eq!(name("curl https://h.example:443/poll"), "h.example/poll");
    }

    #[test]
    fn problems_are_clear() {
        assert_eq!(
            parse("curl -H").unwrap_err(),
            CurlError::MissingValue("-H".to_owned())
        );
        assert_eq!(parse("curl -s").unwrap_err(), CurlError::NoUrl);
        assert!(matches!(
            parse("curl 'unclosed").unwrap_err(),
            CurlError::Quoting(_)
        ));
        assert!(matches!(
            parse("curl -H nocolon http://h/").unwrap_err(),
            CurlError::BadHeader(_)
        ));
        let i = parse("curl --frobnicate http://h/ -o out.txt").unwrap();
        assert_eq!(i.warnings.len(), 2, "{:?}", i.warnings);
    }

    #[test]
    fn round_trips_through_to_curl() {
        let lines = [
            "curl 'https://api.example.com/poll?cursor=1' -H 'Authorization: Bearer t0ken' --compressed",
            r#"curl -X POST https://h/p --data-raw '{"offset": 5, "timeout": 30}' -H 'Content-Type: application/json'"#,
            "curl -u user:pa55 'http://127.0.0.1:8500/v1/kv/k?wait=30s&index=3'",
            "curl -X DELETE http://h/x -H 'X-Api-Key: k3y' --insecure -m 40",
        ];
        for line in lines {
            let first = parse(line).unwrap().profile;
            let again = parse(&to_curl(&first, true)).unwrap().profile;
            assert_eq!(again.url, first.url, "{line}");
            assert_eq!(again.method, first.method, "{line}");
            assert_eq!(again.headers, first.headers, "{line}");
            assert_eq!(again.body, first.body, "{line}");
            assert_eq!(
                again.accept_invalid_certs, first.accept_invalid_certs,
                "{line}"
            );
            assert_eq!(again.client_timeout_s, first.client_timeout_s, "{line}");
        }
    }

    #[test]
    fn proxy_options_become_the_profile_proxy_and_back() {
        let i =
            parse("curl -x http://127.0.0.1:3128 -U alice:pr0xy-pw --noproxy internal http://h/")
                .unwrap();
        let ProxySetting::Manual(m) = &i.profile.proxy else {
            panic!("{:?}", i.profile.proxy)
        };
        assert_eq!(
            (
                m.url.as_str(),
                m.username.as_str(),
                m.password.as_str(),
                m.no_proxy.as_str()
            ),
            ("127.0.0.1:3128", "alice", "pr0xy-pw", "internal")
        );
        let masked = to_curl(&i.profile, false);
        assert!(!masked.contains("pr0xy-pw"), "{masked}");
        assert!(
            masked.contains("-x http://127.0.0.1:3128 -U alice:•••"),
            "{masked}"
        );
        let back = parse(&to_curl(&i.profile, true)).unwrap();
        assert_eq!(back.profile.proxy, i.profile.proxy);
        let direct = parse("curl --noproxy '*' http://h/").unwrap();
        assert_eq!(direct.profile.proxy, ProxySetting::Direct);
        assert!(parse("curl -x socks5://p:1 http://h/").is_err());
    }

    #[test]
    fn exported_curl_masks_secrets() {
        let p = parse("curl https://h/x -H 'Authorization: Bearer t0ps3cret'")
            .unwrap()
            .profile;
        let shown = to_curl(&p, false);
        assert!(!shown.contains("t0ps3cret"), "{shown}");
    }
}
