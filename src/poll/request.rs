//! Requests as the poller sends them: the poll itself and the session's other requests
//! (bootstrap steps, replies), with `{{variables}}` filled in.
//!
//! Building only; no I/O.

use std::borrow::Cow;

use crate::cursor::Cursor;
use crate::header::HeaderSpec;
use crate::profile::{PollUrlTemplate, Profile};
use crate::protocol::template::{Context, render};
use crate::protocol::{RequestSpec, Vars};

/// A header as sent: name and value, borrowed from the profile when no variable is in it.
pub(crate) type Header<'a> = (Cow<'a, str>, Cow<'a, str>);

/// One request ready to send.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing<'a> {
    pub method: Cow<'a, str>,
    pub url: String,
    pub headers: Vec<Header<'a>>,
    pub body: Option<Cow<'a, str>>,
}

impl Outgoing<'_> {
    /// The HTTP request, and its body when it has one (see [`request_body`]).
    pub fn to_http(
        &self,
        keep_alive: bool,
    ) -> Result<(ureq::http::Request<()>, Option<Vec<u8>>), ureq::Error> {
        let mut builder = ureq::http::Request::builder()
            .method(self.method.as_ref())
            .uri(self.url.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name.as_ref(), value.as_ref());
        }
        if !keep_alive {
            builder = builder.header("Connection", "close");
        }
        Ok((
            builder.body(())?,
            request_body(&self.method, self.body.as_deref()),
        ))
    }
}

/// The body to send, if any. RFC 9110 §8.6: a request without content carries no
/// Content-Length (Pushpin answers a GET with `Content-Length: 0` by closing the
/// connection), but a POST, PUT or PATCH without a body says `Content-Length: 0`, as
/// user agents normally do.
#[must_use]
pub(crate) fn request_body(method: &str, body: Option<&str>) -> Option<Vec<u8>> {
    match body {
        Some(b) => Some(b.as_bytes().to_vec()),
        None if matches!(method, "POST" | "PUT" | "PATCH") => Some(Vec::new()),
        None => None,
    }
}

/// The next poll: the profile's URL, headers and body with variables filled in, the
/// hold and cursor parameters and the cursor's headers set.
pub(crate) fn poll<'a>(
    profile: &'a Profile,
    url: &PollUrlTemplate,
    cursor: &Cursor,
    vars: &Vars,
) -> Result<Outgoing<'a>, String> {
    let lookup = |n: &str| vars.lookup(n);
    let url = if url.is_dynamic() {
        profile
            .poll_url_with(cursor, lookup)
            .map_err(|e| e.to_string())?
            .into()
    } else {
        url.url(cursor)
    };
    let mut headers = headers(&profile.headers, vars)?;
    for (name, value) in profile.cursor.request_headers(cursor) {
        headers.push((Cow::Borrowed(name), Cow::Owned(value)));
    }
    Ok(Outgoing {
        method: Cow::Borrowed(profile.method.as_str()),
        url,
        headers,
        body: body(profile.body.as_deref(), vars)?,
    })
}

/// A bootstrap step or a reply: its URL resolved against `poll_url` (empty = the poll
/// URL itself), variables filled in.
pub(crate) fn other<'a>(
    spec: &'a RequestSpec,
    poll_url: &str,
    vars: &Vars,
) -> Result<Outgoing<'a>, String> {
    let url = if spec.url.trim().is_empty() {
        poll_url.to_owned()
    } else {
        let text =
            render(spec.url.trim(), Context::Url, |n| vars.lookup(n)).map_err(|e| e.to_string())?;
        let base = url::Url::parse(poll_url).map_err(|e| format!("poll URL: {e}"))?;
        base.join(&text)
            .map_err(|e| format!("URL {text:?}: {e}"))?
            .into()
    };
    Ok(Outgoing {
        method: Cow::Borrowed(spec.method.as_str()),
        url,
        headers: headers(&spec.headers, vars)?,
        body: body(spec.body.as_deref(), vars)?,
    })
}

/// The poll URL with variables filled in where they are known and left empty where not
/// (before the bootstrap sets them): the base that step URLs are resolved against.
pub(crate) fn base_url(profile: &Profile, cursor: &Cursor, vars: &Vars) -> Result<String, String> {
    profile
        .poll_url_with(cursor, |n| vars.lookup(n).or(Some(Cow::Borrowed(""))))
        .map(String::from)
        .map_err(|e| e.to_string())
}

fn headers<'a>(headers: &'a [HeaderSpec], vars: &Vars) -> Result<Vec<Header<'a>>, String> {
    headers
        .iter()
        .map(|h| {
            let value = render(&h.value, Context::Text, |n| vars.lookup(n))
                .map_err(|e| format!("header {}: {e}", h.name))?;
            Ok((Cow::Borrowed(h.name.as_str()), value))
        })
        .collect()
}

fn body<'a>(body: Option<&'a str>, vars: &Vars) -> Result<Option<Cow<'a, str>>, String> {
    body.map(|b| render(b, Context::Text, |n| vars.lookup(n)).map_err(|e| format!("body: {e}")))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Variable;

    #[test]
    fn variables_fill_url_headers_and_body() {
        let p = Profile {
            url: "http://h/socket.io/?EIO=4&transport=polling&sid={{sid}}".to_owned(),
            method: "POST".to_owned(),
            headers: vec![HeaderSpec::new("X-Channel", "{{channel}}")],
            body: Some(r#"[{"clientId":{{sid|json}}}]"#.to_owned()),
            hold_param: crate::profile::HoldParam::None,
            variables: vec![Variable::new("channel", "/c")],
            ..Profile::default()
        };
        let mut vars = Vars::new(&p.variables, 0);
        vars.set("sid", "a+b", true);
        let t = p.poll_url_template().unwrap();
        assert!(t.is_dynamic());
        let out = poll(&p, &t, &Cursor::default(), &vars).unwrap();
        assert_eq!(
            out.url,
            "http://h/socket.io/?EIO=4&transport=polling&sid=a%2Bb"
        );
        assert_eq!(out.headers[0].1, "/c");
        assert_eq!(out.body.as_deref(), Some(r#"[{"clientId":"a+b"}]"#));
        let step = RequestSpec::new("GET", "?EIO=4&transport=polling", None);
        let base = base_url(&p, &Cursor::default(), &Vars::new(&[], 0)).unwrap();
        assert_eq!(base, "http://h/socket.io/?EIO=4&transport=polling&sid=");
        let o = other(&step, &base, &vars).unwrap();
        assert_eq!(o.url, "http://h/socket.io/?EIO=4&transport=polling");
        let pong = RequestSpec::new("POST", "", Some("3"));
        let same = other(&pong, &out.url, &vars).unwrap();
        assert_eq!(same.url, out.url);
        let negotiate = RequestSpec::new("POST", "hub/negotiate?negotiateVersion=1", None);
        let neg = other(&negotiate, "http://h/hub?id=1", &vars).unwrap();
        assert_eq!(neg.url, "http://h/hub/negotiate?negotiateVersion=1");
    }

    #[test]
    fn a_plain_profile_borrows_and_keeps_its_url() {
        let p = Profile::for_demo("d", "http://127.0.0.1:1/events");
        let t = p.poll_url_template().unwrap();
        assert!(!t.is_dynamic());
        let out = poll(&p, &t, &Cursor::starting_at(Some("5")), &Vars::new(&[], 0)).unwrap();
        assert_eq!(out.url, "http://127.0.0.1:1/events?timeout=30&cursor=5");
        assert!(out.body.is_none());
        assert_eq!(request_body("GET", None), None);
        assert_eq!(request_body("POST", None), Some(Vec::new()));
    }
}
