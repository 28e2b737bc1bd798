//! Redaction of secrets in URLs and header values before anything is shown, logged or
//! exported.
//!
//! Pure string functions; must not depend on anything else in the crate.

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
        Err(_) => text
            .split('/')
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
            .join("&"),
    }
}

/// Mask every occurrence of each secret in `text` (for error messages that may quote a
/// request).
#[must_use]
pub fn secrets_in(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(s, MASK);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn secrets_in_text() {
        assert_eq!(
            secrets_in("Bearer abcdef sent", &["abcdef"]),
            "Bearer ••• sent"
        );
    }
}
