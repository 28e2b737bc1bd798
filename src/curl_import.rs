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
    #[error("cannot split the command line: {0}")]
    Quoting(String),
    #[error("{0} needs a value")]
    MissingValue(String),
    #[error("no URL in the command")]
    NoUrl,
    #[error("bad header {0:?}: expected `Name: value`")]
    BadHeader(String),
    #[error("{0}")]
    BadProxy(String),
}

/// A profile made from a curl command, and what was not understood.
#[derive(Debug)]
pub struct CurlImport {
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
    let words = normalise(words);
    let mut p = Profile {
        name: "Imported".to_owned(),
        hold_param: HoldParam::None,
        ..Profile::default()
    };
    let mut warnings = Vec::new();
    let mut url = None;
    let mut data: Vec<String> = Vec::new();
    let mut method = None;
    let mut get = false;
    let mut proxy: Option<String> = None;
    let mut proxy_user: Option<String> = None;
    let mut no_proxy: Option<String> = None;
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        let mut value = || it.next().ok_or_else(|| CurlError::MissingValue(w.clone()));
        match w.as_str() {
            "-X" | "--request" => method = Some(value()?.to_ascii_uppercase()),
            "-H" | "--header" => {
                let line = value()?;
                let h = HeaderSpec::parse_line(&line).map_err(|_| CurlError::BadHeader(line))?;
                p.headers.push(h);
            }
            "-d" | "--data" | "--data-raw" | "--data-binary" | "--data-ascii" => {
                data.push(value()?);
            }
            "--data-urlencode" => {
                let v = value()?;
                let encoded = match v.split_once('=') {
                    Some((k, v)) => format!("{k}={}", urlencode(v)),
                    None => urlencode(&v),
                };
                data.push(encoded);
            }
            "--json" => {
                data.push(value()?);
                p.headers
                    .push(HeaderSpec::new("Content-Type", "application/json"));
                p.headers
                    .push(HeaderSpec::new("Accept", "application/json"));
            }
            "-u" | "--user" => {
                let creds = value()?;
                let token = base64::engine::general_purpose::STANDARD.encode(creds);
                let mut h = HeaderSpec::new("Authorization", &format!("Basic {token}"));
                h.secret = true;
                p.headers.push(h);
            }
            "-A" | "--user-agent" => p.headers.push(HeaderSpec::new("User-Agent", &value()?)),
            "-b" | "--cookie" => {
                let v = value()?;
                if v.contains('=') {
                    let mut h = HeaderSpec::new("Cookie", &v);
                    h.secret = true;
                    p.headers.push(h);
                } else {
                    warnings.push(format!("--cookie {v}: cookie files are not read"));
                }
            }
            "-e" | "--referer" => p.headers.push(HeaderSpec::new("Referer", &value()?)),
            "--url" => url = Some(value()?),
            "-m" | "--max-time" => {
                let v = value()?;
                match v.parse::<f64>() {
                    Ok(s) if s > 0.0 => p.client_timeout_s = Some(s),
                    _ => warnings.push(format!("--max-time {v}: not a number of seconds")),
                }
            }
            "-x" | "--proxy" => proxy = Some(value()?),
            "-U" | "--proxy-user" => proxy_user = Some(value()?),
            "--noproxy" => no_proxy = Some(value()?),
            "-G" | "--get" => get = true,
            "-I" | "--head" => method = Some("HEAD".to_owned()),
            "-k" | "--insecure" => {
                p.accept_invalid_certs = true;
                warnings.push("--insecure: TLS certificates will not be verified".to_owned());
            }
            f if IGNORED_FLAGS.contains(&f) => {}
            f if IGNORED_WITH_VALUE.contains(&f) => {
                let v = value()?;
                warnings.push(format!("{f} {v}: ignored"));
            }
            f if f.starts_with('-') && f.len() > 1 => {
                warnings.push(format!("{f}: not understood, ignored"))
            }
            _ if url.is_none() => url = Some(w),
            _ => warnings.push(format!("{w:?}: a second URL, ignored")),
        }
    }
    p.proxy = proxy_setting(proxy, proxy_user, no_proxy, &mut warnings)?;
    let mut url = url.ok_or(CurlError::NoUrl)?;
    if get && !data.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&data.join("&"));
        data.clear();
    }
    if !data.is_empty() {
        p.body = Some(data.join("&"));
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
    p.method = method.unwrap_or_else(|| if p.body.is_some() { "POST" } else { "GET" }.to_owned());
    p.name = name_for(&url);
    p.url = url;
    Ok(CurlImport {
        profile: p,
        warnings,
    })
}

/// `-x`, `-U` and `--noproxy` as the profile's proxy setting.
fn proxy_setting(
    proxy: Option<String>,
    user: Option<String>,
    no_proxy: Option<String>,
    warnings: &mut Vec<String>,
) -> Result<ProxySetting, CurlError> {
    let Some(url) = proxy else {
        if user.is_some() {
            warnings.push("--proxy-user without --proxy: ignored".to_owned());
        }
        return Ok(match no_proxy.as_deref().map(str::trim) {
            Some("*") => ProxySetting::Direct,
            Some(list) => {
                warnings.push(format!(
                    "--noproxy {list}: applies to environment proxies only; set NO_PROXY"
                ));
                ProxySetting::System
            }
            None => ProxySetting::System,
        });
    };
    let mut m = ManualProxy::from_url(&url).map_err(|e| CurlError::BadProxy(e.to_string()))?;
    if let Some(pair) = user {
        let (u, pw) = pair.split_once(':').unwrap_or((&pair, ""));
        u.clone_into(&mut m.username);
        pw.clone_into(&mut m.password);
    }
    m.no_proxy = no_proxy.unwrap_or_default();
    Ok(ProxySetting::Manual(m))
}

fn urlencode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// "host/path" as a profile name.
fn name_for(url: &str) -> String {
    url::Url::parse(url).map_or_else(
        |_| "Imported".to_owned(),
        |u| {
            crate::redact::url(&format!("{}{}", u.host_str().unwrap_or(""), u.path()))
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
        let cmd = r#"curl 'https://api.example.com/v1/updates?since=42' \
  -H 'accept: application/json' \
  -H 'authorization: Bearer eyJhbGciOi.abc' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64)' \
  --compressed"#;
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
