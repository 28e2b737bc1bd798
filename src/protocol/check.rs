//! Checking a profile's protocol part before it runs: every `{{name}}` has a source,
//! every step can be sent, every condition and pointer is well formed. Messages say
//! where the problem is (`step 2 (subscribe) URL`, `reply 1`) so the editor can show them
//! beside the field.
//!
//! Pure; takes the profile's parts so it does not depend on the profile type.

use std::collections::BTreeSet;

use super::decode::Decoder;
use super::spec::{Extract, SessionSpec, step_label};
use super::template::{Context, render, scan, valid_name};
use super::vars::{Variable, is_builtin};
use crate::header::HeaderSpec;

/// The parts of a profile this checks.
#[derive(Clone, Copy, Debug)]
pub struct Parts<'a> {
    /// The poll URL template.
    pub url: &'a str,
    /// The poll's headers.
    pub headers: &'a [HeaderSpec],
    /// The poll's body template.
    pub body: Option<&'a str>,
    /// The declared variables.
    pub variables: &'a [Variable],
    /// Bootstrap steps and session rules.
    pub session: &'a SessionSpec,
    /// The body decoder.
    pub decoder: Decoder,
    /// The cursor rule's query parameter, when it has one.
    pub cursor_param: Option<&'a str>,
    /// The cursor rule produces a `cursor` value.
    pub cursor_reads_value: bool,
    /// The cursor rule reads a pointer in the whole JSON body.
    pub cursor_reads_body: bool,
}

/// Every problem, as text (empty when the protocol part is fine).
#[must_use]
pub fn issues(parts: &Parts<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let known = known_names(parts, &mut out);
    let mut uses_cursor = false;
    let mut templates: Vec<(String, &str)> = vec![("URL".to_owned(), parts.url)];
    templates.extend(
        parts
            .headers
            .iter()
            .map(|h| (format!("header {}", h.name), h.value.as_str())),
    );
    templates.extend(parts.body.map(|b| ("body".to_owned(), b)));
    for (label, request) in parts.session.requests() {
        templates.extend(
            request
                .templates()
                .map(|(w, t)| (format!("{label} {w}"), t)),
        );
    }
    for (where_, t) in &templates {
        let (found, errors) = scan(t);
        out.extend(errors.into_iter().map(|e| format!("{where_}: {e}")));
        for p in found {
            uses_cursor |= p.name == "cursor";
            if !known.contains(p.name) {
                out.push(format!(
                    "{where_}: {{{{{}}}}} is not a variable (declare it, read it in a step, \
                     or use a builtin: cursor, etag, last_modified, poller, now_ms, rs)",
                    p.name
                ));
            }
        }
    }
    if parts.cursor_reads_value && parts.cursor_param.is_none() && !uses_cursor {
        out.push(
            "the cursor rule has no query parameter and no template uses {{cursor}}: \
             the cursor would never be sent"
                .to_owned(),
        );
    }
    if parts.cursor_reads_body && parts.decoder != Decoder::Json {
        out.push(format!(
            "a cursor read from the JSON body needs the json decoder, not {}",
            parts.decoder.name()
        ));
    }
    check_session(parts.session, &mut out);
    out
}

/// Declared, extracted and builtin names; duplicate or bad declarations are problems.
fn known_names<'a>(parts: &Parts<'a>, out: &mut Vec<String>) -> BTreeSet<&'a str> {
    let mut known: BTreeSet<&str> = super::vars::BUILTINS.iter().map(|(n, _)| *n).collect();
    let mut declared = BTreeSet::new();
    for v in parts.variables {
        if !valid_name(&v.name) {
            out.push(format!(
                "variable {:?}: a name is letters, digits, _ - and . (up to 64)",
                v.name
            ));
        } else if is_builtin(&v.name) {
            out.push(format!(
                "variable {:?} is set by Pollscope itself; pick another name",
                v.name
            ));
        } else if !declared.insert(v.name.as_str()) {
            out.push(format!("variable {:?} is declared twice", v.name));
        }
        known.insert(v.name.as_str());
    }
    known.extend(parts.session.extracted());
    known
}

fn check_session(s: &SessionSpec, out: &mut Vec<String>) {
    for (i, step) in s.bootstrap.iter().enumerate() {
        let label = step_label(i, &step.name);
        let method = step.request.method.as_str();
        if method.is_empty() || ureq::http::Method::from_bytes(method.as_bytes()).is_err() {
            out.push(format!("{label}: bad method {method:?}"));
        }
        check_url(&label, &step.request.url, out);
        for h in &step.request.headers {
            if let Err(e) = h.check() {
                out.push(format!("{label}: {e}"));
            }
        }
        for e in &step.extract {
            check_extract(&label, e, out);
        }
    }
    for (i, r) in s.replies.iter().enumerate() {
        let label = format!("reply {}", i + 1);
        check_url(&label, &r.request.url, out);
        if r.when.on_answer() {
            out.push(format!(
                "{label}: answers a control message, so it cannot name an HTTP status"
            ));
        }
    }
    for e in &s.extract {
        check_extract("poll answers", e, out);
    }
    for (what, m) in s.matches() {
        if let Err(e) = m.check() {
            out.push(format!("{what} condition {}: {e}", m.describe()));
        }
    }
    if let Some(p) = &s.delay_ms_pointer
        && !p.is_empty()
        && !p.starts_with('/')
    {
        out.push(format!(
            "advised delay pointer {p:?} must be empty or start with '/'"
        ));
    }
}

/// A step or reply URL: empty (the poll URL), absolute, or relative to the poll URL;
/// with every placeholder filled in it must make an http(s) URL.
fn check_url(label: &str, url: &str, out: &mut Vec<String>) {
    let Ok(filled) = render(url, Context::Url, |_| Some("x".into())) else {
        return; // reported with the templates
    };
    let base = url::Url::parse("http://poll.invalid/path/poll?a=1").ok();
    let resolved = match base {
        Some(b) => b.join(&filled),
        None => return,
    };
    match resolved {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        Ok(u) => out.push(format!(
            "{label}: scheme {:?} is not http or https",
            u.scheme()
        )),
        Err(e) => out.push(format!("{label}: bad URL {url:?}: {e}")),
    }
}

fn check_extract(label: &str, e: &Extract, out: &mut Vec<String>) {
    if !valid_name(&e.var) {
        out.push(format!(
            "{label}: reads into {:?}, which is not a variable name",
            e.var
        ));
    } else if is_builtin(&e.var) {
        out.push(format!(
            "{label}: {:?} is set by Pollscope itself and cannot be read from an answer",
            e.var
        ));
    }
    match (&e.pointer, &e.header) {
        (Some(p), None) if p.is_empty() || p.starts_with('/') => {}
        (Some(p), None) => out.push(format!(
            "{label}: pointer {p:?} for {} must be empty or start with '/'",
            e.var
        )),
        (None, Some(h)) if ureq::http::HeaderName::from_bytes(h.trim().as_bytes()).is_ok() => {}
        (None, Some(h)) => out.push(format!("{label}: {h:?} is not a header name")),
        _ => out.push(format!(
            "{label}: {} needs either a JSON pointer or a header to read from",
            e.var
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Match, Reply, RequestSpec, Step};

    fn parts<'a>(url: &'a str, vars: &'a [Variable], session: &'a SessionSpec) -> Parts<'a> {
        Parts {
            url,
            headers: &[],
            body: None,
            variables: vars,
            session,
            decoder: Decoder::Json,
            cursor_param: None,
            cursor_reads_value: false,
            cursor_reads_body: false,
        }
    }

    #[test]
    fn a_plain_profile_has_nothing_to_say() {
        let s = SessionSpec::default();
        assert_eq!(issues(&parts("http://h/e", &[], &s)), Vec::<String>::new());
    }

    #[test]
    fn every_placeholder_needs_a_source() {
        let s = SessionSpec {
            bootstrap: vec![Step {
                name: "open".to_owned(),
                request: RequestSpec::new("GET", "?EIO=4", None),
                extract: vec![Extract::pointer("sid", "/data/sid", true)],
                ..Step::default()
            }],
            ..SessionSpec::default()
        };
        let vars = [Variable::new("channel", "/c")];
        let ok = parts(
            "http://h/x?sid={{sid}}&c={{channel}}&n={{now_ms}}",
            &vars,
            &s,
        );
        assert_eq!(issues(&ok), Vec::<String>::new());
        let bad = parts("http://h/x?sid={{sdi}}&c={{channel|upper}}", &vars, &s);
        let found = issues(&bad);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("unknown filter"), "{found:?}");
        assert!(found[1].contains("{{sdi}} is not a variable"), "{found:?}");
    }

    #[test]
    fn bad_declarations_steps_and_conditions_are_named() {
        let s = SessionSpec {
            bootstrap: vec![Step {
                name: "handshake".to_owned(),
                request: RequestSpec::new("GE T", "ftp://x/", None),
                extract: vec![
                    Extract {
                        var: "bad name".to_owned(),
                        pointer: Some("/a".to_owned()),
                        ..Extract::default()
                    },
                    Extract {
                        var: "cursor".to_owned(),
                        ..Extract::default()
                    },
                ],
                ..Step::default()
            }],
            replies: vec![Reply {
                when: Match::status(400, "", None),
                request: RequestSpec::new("POST", "", Some("3")),
            }],
            restart_when: vec![Match::equals("type", "close")],
            ..SessionSpec::default()
        };
        let vars = [
            Variable::new("rs", ""),
            Variable::new("a", ""),
            Variable::new("a", ""),
        ];
        let found = issues(&parts("http://h/", &vars, &s)).join("\n");
        for want in [
            "\"rs\" is set by Pollscope",
            "declared twice",
            "step 1 (handshake): bad method",
            "scheme \"ftp\"",
            "\"bad name\", which is not a variable name",
            "needs either a JSON pointer or a header",
            "reply 1: answers a control message",
            "restart condition",
        ] {
            assert!(found.contains(want), "{want:?} missing in:\n{found}");
        }
    }

    #[test]
    fn a_cursor_must_be_sent_somewhere() {
        let s = SessionSpec::default();
        let mut p = parts("http://h/e", &[], &s);
        p.cursor_reads_value = true;
        assert!(issues(&p)[0].contains("never be sent"));
        p.url = "http://h/e/{{cursor}}";
        assert!(issues(&p).is_empty());
        p.cursor_param = Some("since");
        p.url = "http://h/e";
        assert!(issues(&p).is_empty());
        p.cursor_reads_body = true;
        p.decoder = Decoder::SockJs;
        assert!(issues(&p)[0].contains("needs the json decoder"));
    }
}
