//! Redirects, one hop at a time: ureq follows none itself (the agent is built with
//! `max_redirects(0)`), so every hop is seen, reported and policed here — the profile's
//! policy (never, within the origin, any), at most [`MAX_REDIRECTS`] hops, `https` →
//! `http` refused, and at the first hop to another origin every secret header and
//! secret query value dropped, for the rest of the chain.
//!
//! Pure: the next request from the current one and the answer's `Location`.

use std::borrow::Cow;

use url::Url;

use super::event::ErrorKind;
use super::request::Outgoing;
use crate::profile::{MAX_REDIRECTS, RedirectPolicy};
use crate::redact::Secrets;

/// Statuses that redirect (with a `Location`).
#[must_use]
pub(crate) fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// One hop followed, secrets masked in both URLs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hop {
    pub status: u16,
    pub from: String,
    pub to: String,
    pub cross_origin: bool,
    /// Headers and query parameters left out of the request from this hop on.
    pub dropped: Vec<String>,
}

/// Why a redirect is not followed: the poll fails with `kind`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Refused {
    pub kind: ErrorKind,
    pub message: String,
}

/// Where a chain of redirects stands.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    /// Hops followed so far.
    pub hops: usize,
    /// The chain has left the first request's origin: secrets stay dropped.
    pub left_origin: bool,
}

/// The request a redirect answer leads to, and the hop to report; or why not.
#[expect(
    clippy::too_many_lines,
    reason = "each redirect rule checked in turn, in the order they apply"
)]
pub(crate) fn follow<'a>(
    current: &Outgoing<'a>,
    status: u16,
    location: &str,
    policy: RedirectPolicy,
    chain: &mut Chain,
    secrets: &Secrets,
) -> Result<(Outgoing<'a>, Hop), Refused> {
    let refused = |kind, message: String| Err(Refused { kind, message });
    let from = Url::parse(&current.url).map_err(|e| Refused {
        kind: ErrorKind::Redirect,
        message: format!(
            "cannot follow a redirect from {}: {e}",
            secrets.url(&current.url)
        ),
    })?;
    let Ok(mut to) = from.join(location.trim()) else {
        return refused(
            ErrorKind::Redirect,
            format!(
                "the server redirected ({status}) to {:?}, which is not a URL",
                secrets.url(location)
            ),
        );
    };
    let (shown_from, shown_to) = (secrets.url(from.as_str()), secrets.url(to.as_str()));
    if from.scheme() == "https" && to.scheme() == "http" {
        return refused(
            ErrorKind::InsecureRedirect,
            format!(
                "redirect ({status}) from {shown_from} to {shown_to} refused: it would send \
                 the request, and its credentials, in clear text"
            ),
        );
    }
    if !matches!(to.scheme(), "http" | "https") {
        return refused(
            ErrorKind::Redirect,
            format!("redirect ({status}) to {shown_to}: not http or https"),
        );
    }
    if chain.hops >= MAX_REDIRECTS {
        return refused(
            ErrorKind::Redirect,
            format!("more than {MAX_REDIRECTS} redirects (a loop?); the last to {shown_to}"),
        );
    }
    let cross_origin = from.origin() != to.origin();
    match policy {
        RedirectPolicy::Never => {
            return refused(
                ErrorKind::Redirect,
                format!(
                    "the server redirected ({status}) from {shown_from} to {shown_to}; this \
                     profile follows no redirects"
                ),
            );
        }
        RedirectPolicy::SameOrigin if cross_origin => {
            return refused(
                ErrorKind::Redirect,
                format!(
                    "redirect ({status}) from {shown_from} to another origin, {shown_to}, not \
                     followed: this profile follows redirects within its origin only"
                ),
            );
        }
        RedirectPolicy::SameOrigin | RedirectPolicy::Any => {}
    }
    chain.left_origin |= cross_origin;
    let mut next = current.clone();
    // 303, and 301/302 after a POST (as browsers do), become a GET without a body.
    let keep_method = matches!(status, 307 | 308)
        || (matches!(status, 301 | 302) && current.method.eq_ignore_ascii_case("GET"));
    if !keep_method {
        next.method = Cow::Borrowed("GET");
        next.body = None;
    }
    let mut dropped = Vec::new();
    if chain.left_origin {
        if next.body.as_deref().is_some_and(|b| secrets.mask(b) != b) {
            return refused(
                ErrorKind::Redirect,
                format!(
                    "redirect ({status}) to another origin, {shown_to}, not followed: it \
                     would send the request body, which holds secrets, there"
                ),
            );
        }
        next.headers.retain(|(name, value)| {
            let secret = secrets.is_secret_name(name) || secrets.mask(value) != *value;
            if secret {
                dropped.push(name.to_string());
            }
            !secret
        });
        drop_secret_params(&mut to, secrets, &mut dropped);
    }
    next.url = to.into();
    chain.hops += 1;
    Ok((
        next,
        Hop {
            status,
            from: shown_from,
            to: shown_to,
            cross_origin,
            dropped,
        },
    ))
}

/// Remove the query parameters whose name or value is secret, noting their names.
fn drop_secret_params(url: &mut Url, secrets: &Secrets, dropped: &mut Vec<String>) {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let kept: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(k, v)| {
            let secret = secrets.is_secret_name(k) || secrets.mask(v) != *v;
            if secret {
                dropped.push(k.clone());
            }
            !secret
        })
        .collect();
    if kept.len() == pairs.len() {
        return;
    }
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str) -> Outgoing<'static> {
        Outgoing {
            method: Cow::Borrowed("GET"),
            url: url.to_owned(),
            headers: vec![
                (Cow::Borrowed("X-Api-Key"), Cow::Borrowed("k-123456")),
                (Cow::Borrowed("X-Custom"), Cow::Borrowed("c1")),
                (Cow::Borrowed("Accept"), Cow::Borrowed("*/*")),
            ],
            body: None,
        }
    }

    fn secrets() -> Secrets {
        let mut s = Secrets::default();
        s.add_field("X-Custom", "c1");
        s.add_field("X-Api-Key", "k-123456");
        s
    }

    #[test]
    fn another_origin_gets_no_secret_header_or_query_value() {
        let mut chain = Chain::default();
        let (next, hop) = follow(
            &request("http://127.0.0.1:1/a?cursor=3"),
            302,
            "http://127.0.0.2:2/b?cursor=3&access_token=zz&echo=k-123456",
            RedirectPolicy::Any,
            &mut chain,
            &secrets(),
        )
        .unwrap();
        assert!(hop.cross_origin);
        assert_eq!(next.url, "http://127.0.0.2:2/b?cursor=3");
        let names: Vec<&str> = next.headers.iter().map(|(n, _)| n.as_ref()).collect();
        assert_eq!(names, ["Accept"]);
        assert_eq!(
            hop.dropped,
            ["X-Api-Key", "X-Custom", "access_token", "echo"]
        );
        assert!(!hop.to.contains("k-123456"), "{}", hop.to);
        // Back to the first origin: the secrets stay dropped.
        let (back, _) = follow(
            &next,
            302,
            "http://127.0.0.1:1/c",
            RedirectPolicy::Any,
            &mut chain,
            &secrets(),
        )
        .unwrap();
        assert_eq!(back.headers.len(), 1);
    }

    #[test]
    fn the_same_origin_keeps_its_headers_and_relative_locations_resolve() {
        let mut chain = Chain::default();
        let (next, hop) = follow(
            &request("http://h:1/a/b"),
            307,
            "../c?x=1",
            RedirectPolicy::SameOrigin,
            &mut chain,
            &secrets(),
        )
        .unwrap();
        assert_eq!(next.url, "http://h:1/c?x=1");
        assert_eq!(next.headers.len(), 3);
        assert!(!hop.cross_origin && hop.dropped.is_empty());
    }

    #[test]
    fn policies_downgrades_and_loops_are_refused_with_their_kind() {
        let go = |from: &str, to: &str, policy, chain: &mut Chain| {
            follow(&request(from), 302, to, policy, chain, &secrets()).map(|_| ())
        };
        let kind = |r: Result<(), Refused>| r.unwrap_err().kind;
        let mut c = Chain::default();
        assert_eq!(
            kind(go("https://h/a", "http://h/a", RedirectPolicy::Any, &mut c)),
            ErrorKind::InsecureRedirect
        );
        assert_eq!(
            kind(go(
                "http://h/a",
                "http://h/b",
                RedirectPolicy::Never,
                &mut c
            )),
            ErrorKind::Redirect
        );
        let e = go(
            "http://h/a",
            "http://i/b",
            RedirectPolicy::SameOrigin,
            &mut c,
        )
        .unwrap_err();
        assert!(
            e.message.contains("another origin, http://i/b"),
            "{}",
            e.message
        );
        let mut long = Chain {
            hops: MAX_REDIRECTS,
            left_origin: false,
        };
        assert_eq!(
            kind(go(
                "http://h/a",
                "http://h/a",
                RedirectPolicy::Any,
                &mut long
            )),
            ErrorKind::Redirect
        );
        // An upgrade to https on the same host is another origin.
        assert!(
            go(
                "http://h/a",
                "https://h/a",
                RedirectPolicy::SameOrigin,
                &mut c
            )
            .is_err()
        );
        assert!(go("http://h/a", "https://h/a", RedirectPolicy::Any, &mut c).is_ok());
    }

    #[test]
    fn a_post_body_with_secrets_never_goes_to_another_origin() {
        let mut post = request("http://h/a");
        post.method = Cow::Borrowed("POST");
        post.body = Some(Cow::Borrowed(r#"{"key":"k-123456"}"#));
        let mut c = Chain::default();
        let e = follow(
            &post,
            307,
            "http://i/b",
            RedirectPolicy::Any,
            &mut c,
            &secrets(),
        )
        .unwrap_err();
        assert!(e.message.contains("request body"), "{}", e.message);
        // A 303 turns it into a GET without the body: followed.
        let (next, _) = follow(
            &post,
            303,
            "http://i/b",
            RedirectPolicy::Any,
            &mut c,
            &secrets(),
        )
        .unwrap();
        assert_eq!((next.method.as_ref(), next.body), ("GET", None));
    }
}
