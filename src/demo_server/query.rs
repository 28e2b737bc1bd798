//! Parsing `/events?cursor=N&timeout=S` and turning the timeout into a hold. Pure.

use std::time::Duration;

/// The parameters of one `/events` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(super) struct EventsQuery {
    /// `None`: start at the tip.
    pub cursor: Option<u64>,
    /// `None`: the server's default hold.
    pub timeout: Option<Duration>,
}

/// Why a query was refused (answered with 400 and this text).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum QueryError {
    #[error("cursor must be a whole number ≥ 0 (a seq from an earlier answer), got {0:?}")]
    Cursor(String),
    #[error("timeout must be a number of seconds ≥ 0 (fractions allowed, e.g. 0.5), got {0:?}")]
    Timeout(String),
}

/// Parse the query string (without `?`). Unknown parameters are ignored (cache
/// busters); an empty value counts as absent; when a parameter repeats, the last wins.
pub(super) fn parse_events_query(query: Option<&str>) -> Result<EventsQuery, QueryError> {
    let mut parsed = EventsQuery::default();
    let Some(query) = query else {
        return Ok(parsed);
    };
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match &*name {
            "cursor" => {
                let cursor = value
                    .parse::<u64>()
                    .map_err(|_| QueryError::Cursor(value.to_owned()))?;
                parsed.cursor = Some(cursor);
            }
            "timeout" => parsed.timeout = Some(parse_seconds(value)?),
            _ => {}
        }
    }
    Ok(parsed)
}

/// Seconds as a finite, non-negative decimal; absurdly long ones saturate (the hold
/// is clamped later anyway).
fn parse_seconds(value: &str) -> Result<Duration, QueryError> {
    let bad = || QueryError::Timeout(value.to_owned());
    let secs = value.parse::<f64>().map_err(|_| bad())?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(bad());
    }
    if secs == 0.0 {
        // Also covers "-0", which `try_from_secs_f64` would refuse.
        return Ok(Duration::ZERO);
    }
    Ok(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

/// How long to hold: the asked timeout or `default`, never more than `max`.
#[must_use]
pub(super) fn hold_for(asked: Option<Duration>, default: Duration, max: Duration) -> Duration {
    asked.unwrap_or(default).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<EventsQuery, QueryError> {
        parse_events_query(Some(query))
    }

    #[test]
    fn absent_query_means_tip_and_default_hold() {
        assert_eq!(parse_events_query(None), Ok(EventsQuery::default()));
        assert_eq!(parse(""), Ok(EventsQuery::default()));
    }

    #[test]
    fn cursor_and_fractional_timeout() {
        assert_eq!(
            parse("cursor=17&timeout=0.5"),
            Ok(EventsQuery {
                cursor: Some(17),
                timeout: Some(Duration::from_millis(500)),
            })
        );
        assert_eq!(parse("timeout=0").unwrap().timeout, Some(Duration::ZERO));
        assert_eq!(parse("timeout=-0").unwrap().timeout, Some(Duration::ZERO));
        assert_eq!(parse("timeout=1e30").unwrap().timeout, Some(Duration::MAX));
    }

    #[test]
    fn empty_and_unknown_parameters_are_ignored() {
        assert_eq!(
            parse("cursor=&timeout=&_=123&feed=longpoll"),
            Ok(EventsQuery::default())
        );
    }

    #[test]
    fn percent_encoding_is_decoded() {
        assert_eq!(parse("cursor=%31%32").unwrap().cursor, Some(12));
    }

    #[test]
    fn bad_values_are_refused_with_the_value() {
        assert_eq!(parse("cursor=abc"), Err(QueryError::Cursor("abc".into())));
        assert_eq!(parse("cursor=-1"), Err(QueryError::Cursor("-1".into())));
        assert_eq!(parse("cursor=1.5"), Err(QueryError::Cursor("1.5".into())));
        for bad in ["abc", "-1", "NaN", "inf", "1s"] {
            assert_eq!(
                parse(&format!("timeout={bad}")),
                Err(QueryError::Timeout(bad.into())),
                "{bad}"
            );
        }
        let message = parse("cursor=x").unwrap_err().to_string();
        assert!(
            message.contains("cursor") && message.contains("\"x\""),
            "{message}"
        );
    }

    #[test]
    fn hold_is_clamped() {
        let default = Duration::from_secs(30);
        let max = Duration::from_mins(5);
        assert_eq!(hold_for(None, default, max), default);
        assert_eq!(hold_for(Some(Duration::ZERO), default, max), Duration::ZERO);
        assert_eq!(hold_for(Some(Duration::MAX), default, max), max);
    }
}
