//! Redaction of secrets in URLs and header values before anything is shown, logged or
//! exported.
//!
//! Pure string functions; must not depend on anything else in the crate.

use std::borrow::Cow;

/// What a redacted secret looks like.
pub const MASK: &str = "•••";

/// Parts of a name that mark a header, query parameter or variable as secret by
/// default. Broad on purpose: masking a harmless value costs a look at the profile;
/// showing a credential cannot be undone.
pub const SECRET_NAME_PARTS: [&str; 18] = [
    "auth",
    "key",
    "token",
    "secret",
    "pass",
    "pwd",
    "session",
    "cookie",
    "jwt",
    "credential",
    "sig",
    "access",
    "code",
    "otp",
    "bearer",
    "private",
    "csrf",
    "xsrf",
];

/// Whether a header, query parameter or variable called `name` holds a secret by the
/// default rule: its name contains one of [`SECRET_NAME_PARTS`] (any case). CORS
/// response headers (`Access-Control-…`) are not credentials.
#[must_use]
pub fn secret_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    !n.starts_with("access-control-") && SECRET_NAME_PARTS.iter().any(|p| n.contains(p))
}

/// Query-parameter names that usually carry secrets.
fn secret_param(name: &str) -> bool {
    secret_name(name)
}

/// A Telegram-style `bot<id>:<token>` path segment.
fn secret_segment(seg: &str) -> bool {
    seg.strip_prefix("bot")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(id, tok)| {
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && tok.len() >= 8
        })
}

/// The URL with its password, secret query values and token path segments masked.
/// Text that is not a URL is masked piecewise the same way, so a malformed URL in an
/// error message cannot leak a token either.
#[must_use]
pub fn url(text: &str) -> String {
    url_with(text, &secret_param)
}

/// [`url()`] with `is_secret` deciding which query parameters are secret.
fn url_with(text: &str, is_secret: &dyn Fn(&str) -> bool) -> String {
    // A URL template keeps its `{{variables}}` as written: parsing would percent-encode
    // the braces.
    if text.contains("{{") {
        return piecewise(&mask_userinfo_password(text), is_secret);
    }
    match url::Url::parse(text.trim()) {
        Ok(mut u) => {
            if u.password().is_some() {
                // Cannot fail for URLs that already have a password.
                let _ignored = u.set_password(Some(MASK));
            }
            if let Some(segs) = u.path_segments() {
                let segs: Vec<String> = segs
                    .map(|s| {
                        if secret_segment(s) {
                            format!("bot{MASK}")
                        } else {
                            s.to_owned()
                        }
                    })
                    .collect();
                u.set_path(&segs.join("/"));
            }
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let v = if is_secret(&k) {
                        MASK.to_owned()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !pairs.is_empty() {
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string().replace("%E2%80%A2%E2%80%A2%E2%80%A2", MASK)
        }
        Err(_) => piecewise(text, is_secret),
    }
}

/// `scheme://user:password@host…` with the password masked (text as it is otherwise).
fn mask_userinfo_password(text: &str) -> String {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return text.to_owned();
    };
    let authority_end = text[start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |i| start + i);
    let authority = &text[start..authority_end];
    match authority.rsplit_once('@') {
        Some((userinfo, _)) if userinfo.contains(':') => {
            let colon = start + userinfo.find(':').unwrap_or(0);
            format!(
                "{}:{MASK}{}",
                &text[..colon],
                &text[start + userinfo.len()..]
            )
        }
        _ => text.to_owned(),
    }
}

/// Token path segments and secret query values masked in text that is not parsed as a
/// URL (malformed, or a template).
fn piecewise(text: &str, is_secret: &dyn Fn(&str) -> bool) -> String {
    text.split('/')
        .map(|s| {
            if secret_segment(s) {
                format!("bot{MASK}")
            } else {
                s.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if is_secret(k.rsplit('?').next().unwrap_or(k)) => {
                format!("{k}={MASK}")
            }
            _ => kv.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The secret values of one profile, to mask wherever text may quote them (error
/// messages, echoed response headers, cursors). Built once per session (see
/// [`crate::profile::Profile::secrets`]) and applied to every message a poller sends.
///
/// Values are kept longest first, so a value that contains another (`Bearer abc…` and
/// `abc…`) is masked whole, and without duplicates. What counts as a secret is the
/// caller's choice: this type only masks the values it is given (a header, a query
/// parameter, a variable: any source can add its values). Masking never depends on the
/// text around a value, and every value is replaced by the same [`MASK`], whatever its
/// length.
///
/// Values shorter than [`Secrets::MIN_LEN`] are masked by position instead: a field
/// added with [`Secrets::add_field`] is masked where its name is followed by its value
/// (`name=value`, `name: value`, `"name":"value"`), whatever the value's length, and
/// names marked secret ([`Secrets::add_name`], plus the default rule [`secret_name`])
/// mask query values in [`Secrets::url`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: Vec<Box<str>>,
    /// (lower-case name, value) pairs masked by position.
    fields: Vec<(Box<str>, Box<str>)>,
    /// Lower-case names marked secret beyond the default rule.
    names: Vec<Box<str>>,
}

impl Secrets {
    /// Values shorter than this are not masked by value: a three-letter "secret" would
    /// mask every occurrence of those letters in ordinary text. (The URL rules in
    /// [`url()`] mask such values by position instead.)
    pub const MIN_LEN: usize = 4;

    /// Secrets made of `values` (those shorter than [`Secrets::MIN_LEN`] left out).
    #[must_use]
    pub fn new<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Self {
        let mut secrets = Self::default();
        for v in values {
            secrets.add(v.as_ref());
        }
        secrets
    }

    /// Add one value (ignored when shorter than [`Secrets::MIN_LEN`] or already known).
    pub fn add(&mut self, value: &str) {
        if value.len() < Self::MIN_LEN || self.values.iter().any(|v| &**v == value) {
            return;
        }
        // Longest first; among equals, the order they came in.
        let at = self.values.partition_point(|v| v.len() >= value.len());
        self.values.insert(at, value.into());
    }

    /// A secret field: `value` is masked wherever it follows `name` (any length), and
    /// anywhere at all when it is at least [`Secrets::MIN_LEN`] long; `name` is marked
    /// secret (see [`Secrets::add_name`]).
    pub fn add_field(&mut self, name: &str, value: &str) {
        self.add(value);
        self.add_name(name);
        let name = name.trim().to_ascii_lowercase();
        if value.is_empty() || name.is_empty() {
            return;
        }
        let field = (name.into_boxed_str(), Box::<str>::from(value));
        if !self.fields.contains(&field) {
            self.fields.push(field);
        }
    }

    /// Mark `name` secret (a header, query parameter or variable), beyond the default
    /// rule [`secret_name`].
    pub fn add_name(&mut self, name: &str) {
        let name = name.trim().to_ascii_lowercase();
        if !name.is_empty() && !self.names.iter().any(|n| **n == *name) {
            self.names.push(name.into_boxed_str());
        }
    }

    /// Whether `name` is secret: by the default rule or marked.
    #[must_use]
    pub fn is_secret_name(&self, name: &str) -> bool {
        secret_name(name) || {
            let n = name.trim().to_ascii_lowercase();
            self.names.iter().any(|m| **m == *n)
        }
    }

    /// How many values are masked by value.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Nothing to mask, by value or by position.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty() && self.fields.is_empty()
    }

    /// `text` with every occurrence of every value replaced by [`MASK`], and every
    /// field's value where its name precedes it. Borrows `text` unchanged (no
    /// allocation) when it holds no secret, the common case.
    #[must_use]
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for v in &self.values {
            if out.contains(&**v) {
                out = Cow::Owned(out.replace(&**v, MASK));
            }
        }
        for (name, value) in &self.fields {
            if let Some(masked) = mask_field(&out, name, value) {
                out = Cow::Owned(masked);
            }
        }
        out
    }

    /// [`url()`] with this profile's marked names too, then its values masked.
    #[must_use]
    pub fn url(&self, text: &str) -> String {
        let shown = url_with(text, &|k| self.is_secret_name(k));
        self.mask(&shown).into_owned()
    }
}

/// `text` with `value` masked wherever it follows `name` (ASCII case-insensitive) and a
/// separator: `=`, `:` with optional spaces, and quotes around either (`name=v`,
/// `name: v`, `"name":"v"`), also percent-encoded after `=`. `None` when nothing matched.
fn mask_field(text: &str, name: &str, value: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let bytes = text.as_bytes();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let mut at = from + i + name.len();
        from = at;
        if bytes.get(at) == Some(&b'"') {
            at += 1;
        }
        match bytes.get(at) {
            Some(b'=' | b':') => at += 1,
            _ => continue,
        }
        while bytes.get(at) == Some(&b' ') {
            at += 1;
        }
        if bytes.get(at) == Some(&b'"') {
            at += 1;
        }
        let rest = &text[at..];
        if rest.starts_with(value) {
            cuts.push((at, at + value.len()));
        } else if rest.starts_with(encoded.as_str()) {
            cuts.push((at, at + encoded.len()));
        }
    }
    if cuts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in cuts {
        out.push_str(&text[last..start]);
        out.push_str(MASK);
        last = end;
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// Never prints the values: a `{:?}` in a log line must not leak them.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("values", &self.values.len())
            .field("fields", &self.fields.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_templates_keep_their_braces_and_lose_their_secrets() {
        assert_eq!(
            url("http://h/socket.io/?EIO=4&transport=polling&sid={{sid}}"),
            "http://h/socket.io/?EIO=4&transport=polling&sid={{sid}}"
        );
        assert_eq!(
            url("https://u:pw1234@h/x/{{room}}?token=abc123&n={{n}}"),
            format!("https://u:{MASK}@h/x/{{{{room}}}}?token={MASK}&n={{{{n}}}}")
        );
    }

    #[test]
    fn telegram_token_is_masked() {
        let u = url("https://api.telegram.org/bot123456:ABC-def_ghiJKL/getUpdates?offset=5");
        assert_eq!(u, "https://api.telegram.org/bot•••/getUpdates?offset=5");
    }

    #[test]
    fn passwords_and_secret_params_are_masked() {
        let u = url("http://user:hunter2@h:8080/p?access_token=abc&cursor=3&api_key=zz");
        assert!(!u.contains("hunter2"), "{u}");
        assert!(!u.contains("abc"), "{u}");
        assert!(!u.contains("zz"), "{u}");
        assert!(u.contains("cursor=3"), "{u}");
        assert!(u.contains("user:•••@"), "{u}");
    }

    #[test]
    fn malformed_urls_are_still_masked() {
        let u = url("ht!tp://x/bot999:SECRETSECRET/x?token=abc");
        assert!(!u.contains("SECRETSECRET"), "{u}");
        assert!(!u.contains("abc"), "{u}");
    }

    #[test]
    fn plain_urls_are_unchanged() {
        let s = "http://127.0.0.1:8787/events?cursor=4&timeout=30";
        assert_eq!(url(s), s);
    }

    #[test]
    fn secrets_are_masked_in_text() {
        let s = Secrets::new(["abcdef"]);
        assert_eq!(
            s.mask("Bearer abcdef sent, abcdef again"),
            "Bearer ••• sent, ••• again"
        );
        assert!(matches!(
            s.mask("nothing here"),
            Cow::Borrowed("nothing here")
        ));
    }

    #[test]
    fn the_longest_secret_is_masked_first() {
        // Given shortest first, the token would be masked inside the header value and
        // leave "Bearer " plus the mask, quoting part of the header.
        let s = Secrets::new(["tok-12345", "Bearer tok-12345", "tok-12345"]);
        assert_eq!(s.len(), 2);
        assert_eq!(s.mask("sent Bearer tok-12345; tok-12345"), "sent •••; •••");
    }

    #[test]
    fn short_values_are_not_masked_by_value() {
        let s = Secrets::new(["abc", ""]);
        assert!(s.is_empty());
        assert_eq!(s.mask("abc"), "abc");
    }

    #[test]
    fn the_default_rule_is_broad() {
        for name in [
            "pwd",
            "pass",
            "jwt",
            "credential",
            "access",
            "code",
            "X-Goog-Api-Key",
            "X-Auth",
            "Apikey",
            "X-Access-Key",
            "Authentication",
            "X-Session-Id",
            "Cookie",
            "Proxy-Authorization",
            "signature",
            "x-csrf-token",
        ] {
            assert!(secret_name(name), "{name}");
        }
        for name in [
            "cursor",
            "since",
            "timeout",
            "offset",
            "index",
            "Accept",
            "Access-Control-Allow-Origin",
            "Content-Type",
        ] {
            assert!(!secret_name(name), "{name}");
        }
        let u = url("http://h/p?pwd=a&jwt=b&credential=c&access=d&code=e&cursor=4");
        assert_eq!(
            u,
            "http://h/p?pwd=•••&jwt=•••&credential=•••&access=•••&code=•••&cursor=4"
        );
    }

    #[test]
    fn short_secrets_are_masked_by_position() {
        let mut s = Secrets::default();
        s.add_field("X-Auth", "Xa6");
        s.add_field("pwd", "a b");
        assert_eq!(s.len(), 0, "too short to mask by value");
        assert!(!s.is_empty());
        let text = "GET /e?pwd=a+b&x=Xa6\nx-auth: Xa6\n{\"X-Auth\":\"Xa6\"} X-AUTH=Xa6";
        assert_eq!(
            s.mask(text),
            "GET /e?pwd=•••&x=Xa6\nx-auth: •••\n{\"X-Auth\":\"•••\"} X-AUTH=•••"
        );
        // Marked names mask query values in URLs, whatever the value.
        let mut m = Secrets::default();
        m.add_name("mine");
        assert_eq!(
            m.url("http://h/?mine=1&cursor=2"),
            "http://h/?mine=•••&cursor=2"
        );
    }

    #[test]
    fn debug_never_shows_the_values() {
        let shown = format!("{:?}", Secrets::new(["hunter2-password"]));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains('1'), "{shown}");
    }
}
