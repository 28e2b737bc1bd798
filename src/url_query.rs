//! Query-string edits on a parsed [`Url`]: set or drop one parameter, keeping the order
//! of the others. Used by the profile (hold parameter, poll URL template) and the cursor
//! rules (the cursor parameter).
//!
//! Pure functions over `url::Url`; must not depend on anything else in the crate.

use url::Url;

/// Set `name=value` in the query, replacing every existing `name`, keeping the order of
/// the other parameters.
pub fn set_param(url: &mut Url, name: &str, value: &str) {
    replace_param(url, name, Some(value));
}

/// Drop every `name=…` pair from the query (and the `?` if nothing is left).
pub fn remove_param(url: &mut Url, name: &str) {
    replace_param(url, name, None);
}

/// Drop every `name=…` pair, keeping the order of the others, then append `name=value`
/// when given.
fn replace_param(url: &mut Url, name: &str, value: Option<&str>) {
    let others: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if others.is_empty() && value.is_none() {
        url.set_query(None);
        return;
    }
    let mut q = url.query_pairs_mut();
    q.clear();
    for (k, v) in &others {
        q.append_pair(k, v);
    }
    if let Some(value) = value {
        q.append_pair(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn set_replaces_every_occurrence_and_keeps_the_others_in_order() {
        let mut u = url("http://h/p?a=1&c=x&b=2&c=y#f");
        set_param(&mut u, "c", "z w");
        assert_eq!(u.as_str(), "http://h/p?a=1&b=2&c=z+w#f");
    }

    #[test]
    fn remove_drops_the_question_mark_when_nothing_is_left() {
        let mut u = url("http://h/p?c=1&c=2");
        remove_param(&mut u, "c");
        assert_eq!(u.as_str(), "http://h/p");
        let mut u = url("http://h/p?c=1&a=2");
        remove_param(&mut u, "c");
        assert_eq!(u.as_str(), "http://h/p?a=2");
    }
}
