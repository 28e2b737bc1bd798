//! `{{name}}` templates: a variable's value placed anywhere in a request (path, query,
//! headers, body).
//!
//! Syntax: `{{name}}` or `{{name|filter}}`, spaces allowed inside the braces; a name is
//! letters, digits, `_`, `-` and `.`. Text that does not form a placeholder (a lone `{{`,
//! `{{ not a name }}`) is sent as written. Filters: `url` (percent-encode as a URL
//! component), `json` (a JSON string literal, quotes included), `raw` (as is). In a URL a
//! value is percent-encoded as a component unless the placeholder says `raw`; in headers
//! and bodies it goes in as is unless a filter says otherwise.
//!
//! Pure: strings in, strings out; never panics on any input.

use std::borrow::Cow;

/// Where a template is used, which decides how values are escaped by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// A URL: values are percent-encoded as a component (`|raw` keeps them as they are).
    Url,
    /// A header value or a body: values go in as they are.
    Text,
}

/// How a placeholder's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// The context's default.
    Default,
    /// As is.
    Raw,
    /// Percent-encoded as a URL component.
    Url,
    /// A JSON string literal, quotes included.
    Json,
}

impl Filter {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "" => Some(Self::Default),
            "raw" => Some(Self::Raw),
            "url" => Some(Self::Url),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// One `{{name|filter}}` found in a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder<'a> {
    /// The variable's name.
    pub name: &'a str,
    /// How its value is written.
    pub filter: Filter,
    /// Byte range of the whole `{{…}}` in the template.
    pub start: usize,
    /// Byte just past it.
    pub end: usize,
}

/// A template that cannot be rendered as meant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{name|filter}}` with a filter that does not exist.
    #[error("unknown filter {filter:?} in {{{{{name}|{filter}}}}} (use url, json or raw)")]
    UnknownFilter {
        /// The variable.
        name: String,
        /// The filter as written.
        filter: String,
    },
    /// A placeholder with no value to put in.
    #[error("no value for {{{{{0}}}}}")]
    Unknown(String),
}

/// Whether `name` can be a variable's name.
#[must_use]
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Every placeholder in `template`, in order; `Err` for the first placeholder with a
/// filter that does not exist.
pub fn placeholders(template: &str) -> Result<Vec<Placeholder<'_>>, TemplateError> {
    let (found, mut errors) = scan(template);
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(errors.swap_remove(0))
    }
}

/// Every well-formed placeholder in `template`, and every one whose filter does not exist.
#[must_use]
pub fn scan(template: &str) -> (Vec<Placeholder<'_>>, Vec<TemplateError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut from = 0;
    while let Some(open) = template[from..].find("{{").map(|i| from + i) {
        let Some(close) = template[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        let inner = template[open + 2..close].trim();
        let (name, filter) = match inner.split_once('|') {
            Some((n, f)) => (n.trim(), f.trim()),
            None => (inner, ""),
        };
        if valid_name(name) {
            match Filter::parse(filter) {
                Some(filter) => out.push(Placeholder {
                    name,
                    filter,
                    start: open,
                    end: close + 2,
                }),
                None => errors.push(TemplateError::UnknownFilter {
                    name: name.to_owned(),
                    filter: filter.to_owned(),
                }),
            }
            from = close + 2;
        } else {
            // Not a placeholder: keep the braces as text and look further on.
            from = open + 2;
        }
    }
    (out, errors)
}

/// Whether `template` has any placeholder (quick check for the common case of none).
#[must_use]
pub fn has_placeholders(template: &str) -> bool {
    template.contains("{{") && placeholders(template).is_ok_and(|p| !p.is_empty())
}

/// `template` with every placeholder replaced by `lookup(name)`, escaped for `context`.
/// Borrowed when there is nothing to replace.
pub fn render<'t, 'v>(
    template: &'t str,
    context: Context,
    lookup: impl Fn(&str) -> Option<Cow<'v, str>>,
) -> Result<Cow<'t, str>, TemplateError> {
    if !template.contains("{{") {
        return Ok(Cow::Borrowed(template));
    }
    let found = placeholders(template)?;
    if found.is_empty() {
        return Ok(Cow::Borrowed(template));
    }
    let mut out = String::with_capacity(template.len() + 32);
    let mut last = 0;
    for p in found {
        out.push_str(&template[last..p.start]);
        let value = lookup(p.name).ok_or_else(|| TemplateError::Unknown(p.name.to_owned()))?;
        write_value(&mut out, &value, p.filter, context);
        last = p.end;
    }
    out.push_str(&template[last..]);
    Ok(Cow::Owned(out))
}

fn write_value(out: &mut String, value: &str, filter: Filter, context: Context) {
    match (filter, context) {
        (Filter::Raw, _) | (Filter::Default, Context::Text) => out.push_str(value),
        (Filter::Url, _) | (Filter::Default, Context::Url) => percent_encode(out, value),
        (Filter::Json, _) => {
            // Serialising a string cannot fail.
            out.push_str(&serde_json::Value::from(value).to_string());
        }
    }
}

/// Percent-encode everything but RFC 3986 unreserved characters.
fn percent_encode(out: &mut String, value: &str) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<Cow<'static, str>> {
        match name {
            "sid" => Some(Cow::Borrowed("a+b/c=")),
            "channel" => Some(Cow::Borrowed("/chat \"x\"")),
            "n" => Some(Cow::Borrowed("7")),
            _ => None,
        }
    }

    #[test]
    fn placeholders_are_replaced_and_escaped_by_context() {
        let url = render("http://h/p?sid={{sid}}&n={{ n }}", Context::Url, vars).unwrap();
        assert_eq!(url, "http://h/p?sid=a%2Bb%2Fc%3D&n=7");
        let raw = render("http://h{{channel|raw}}", Context::Url, vars).unwrap();
        assert_eq!(raw, "http://h/chat \"x\"");
        let body = render(
            r#"[{"subscription":{{channel|json}},"id":"{{n}}"}]"#,
            Context::Text,
            vars,
        )
        .unwrap();
        assert_eq!(body, r#"[{"subscription":"/chat \"x\"","id":"7"}]"#);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v[0]["subscription"], "/chat \"x\"");
        assert_eq!(
            render("x={{sid|url}}", Context::Text, vars).unwrap(),
            "x=a%2Bb%2Fc%3D"
        );
    }

    #[test]
    fn text_without_placeholders_is_borrowed_and_odd_braces_stay() {
        assert!(matches!(
            render("plain", Context::Url, vars).unwrap(),
            Cow::Borrowed("plain")
        ));
        for t in [
            "{{",
            "a {{ b",
            "{{ not a name }}",
            "}}{{",
            "{{}}",
            "{{{n}}}",
        ] {
            assert_eq!(render(t, Context::Text, vars).unwrap(), t, "{t}");
        }
    }

    #[test]
    fn unknown_names_and_filters_are_errors() {
        assert_eq!(
            render("{{nope}}", Context::Text, vars).unwrap_err(),
            TemplateError::Unknown("nope".to_owned())
        );
        let e = render("{{n|upper}}", Context::Text, vars).unwrap_err();
        assert!(e.to_string().contains("unknown filter \"upper\""), "{e}");
        assert_eq!(
            placeholders("a{{x}}b{{ y|json }}")
                .unwrap()
                .iter()
                .map(|p| (p.name, p.filter))
                .collect::<Vec<_>>(),
            vec![("x", Filter::Default), ("y", Filter::Json)]
        );
        assert!(has_placeholders("{{x}}"));
        assert!(!has_placeholders("{{ x y }}"));
    }
}
