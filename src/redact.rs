//! Redaction of secrets in URLs and header values before anything is shown, logged or
//! exported.
//!
//! Pure string functions; must not depend on anything else in the crate.

use std::borrow::Cow;

/// What a redacted secret looks like.
pub const MASK: &str = "•••";

/// Query-parameter names that usually carry secrets.
fn secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "token", "secret", "password", "passwd", "key", "sig", "auth", "session",
    ]
    .iter()
    .any(|s| n.contains(s))
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
    // A URL template keeps its `{{variables}}` as written: parsing would percent-encode
    // the braces.
    if text.contains("{{") {
        return piecewise(&mask_userinfo_password(text));
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
                    let v = if secret_param(&k) {
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
        Err(_) => piecewise(text),
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
fn piecewise(text: &str) -> String {
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
            Some((k, _)) if secret_param(k.rsplit('?').next().unwrap_or(k)) => {
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
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: Vec<Box<str>>,
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

    /// How many values are masked.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// No value to mask.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every occurrence of every value replaced by [`MASK`]. Borrows `text`
    /// unchanged (no allocation) when it holds no secret, the common case.
    #[must_use]
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for v in &self.values {
            if out.contains(&**v) {
                out = Cow::Owned(out.replace(&**v, MASK));
            }
        }
        out
    }
}

/// Never prints the values: a `{:?}` in a log line must not leak them.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("values", &self.values.len())
            .finish()
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
    fn debug_never_shows_the_values() {
        let shown = format!("{:?}", Secrets::new(["hunter2-password"]));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains('1'), "{shown}");
    }
}
