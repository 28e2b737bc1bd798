//! Request routing and the endpoint handlers of the demo server. Knows requests and
//! responses, not sockets (see `net`); the faults' answers are in `inject`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use tokio::time::Instant;

use super::body::Body;
use super::faults::FaultPlan;
use super::inject;
use super::io::Connection;
use super::query::{EventsQuery, hold_for, parse_events_query};
use super::state::{Shared, StoredEvent};

/// Largest accepted `POST /publish` body.
pub(super) const MAX_PUBLISH_BODY: usize = 1024 * 1024;
/// How much of an oversized body is read (and dropped) before answering 413.
const DRAIN_LIMIT: usize = 16 * MAX_PUBLISH_BODY;

/// Caps the deadline arithmetic, whatever `max_hold` says.
pub(super) const LONGEST_HOLD: Duration = Duration::from_hours(365 * 24);

pub(super) type Answer = Response<Body>;

/// What to do with a request.
pub(super) enum Reply {
    Answer(Answer),
    /// Close the connection without answering (a fault).
    HangUp,
}

const HELP: &str = "\
pollscope demo long-poll server

GET  /events?cursor=N&timeout=S
     Events with seq > N, oldest first: {\"cursor\": C, \"events\": [{\"seq\", \"ts_ms\", \"ts_us\", \"data\"}]}.
     With none yet, the request is held until one is published or S seconds pass
     (fractions allowed; 0 answers at once); a timeout answers {\"cursor\": N, \"events\": []}.
     Without a cursor (or with one past the last seq) it waits for the next new event.
POST /publish   any JSON body (up to 1 MiB) becomes an event's data; answers {\"seq\": N}
GET  /faults    the fault plan for /events and its progress
POST /faults    set it: {\"fault\": {\"kind\": K, …}, \"every\": N, \"times\": T} (every Nth
     /events request, at most T times; every defaults to 1, times to no limit). Kinds:
     none, close_on_reuse, reset_mid_body, truncated_chunked, blackhole,
     slow_body (bytes_per_s), huge_body (bytes), status (code), too_many_requests
     (retry_after_s), malformed_json, non_utf8, wrong_content_type
GET  /stats     server counters as JSON
GET  /          this help
";

/// Answer one request. Never fails: every problem is an HTTP status. `reused`: an
/// earlier request came on the same connection.
pub(super) async fn route(
    request: Request<Incoming>,
    shared: &Shared,
    connection: &Arc<Connection>,
    reused: bool,
) -> Reply {
    let method = request.method().clone();
    let answer = match (request.uri().path(), method) {
        ("/events", Method::GET) => {
            return events(request.uri().query(), shared, connection, reused).await;
        }
        ("/publish", Method::POST) => publish(request, shared).await,
        ("/faults", Method::GET) => to_json(&shared.faults.status()),
        ("/faults", Method::POST) => set_faults(request, shared).await,
        ("/stats", Method::GET) => to_json(&shared.stats()),
        ("/", Method::GET) => with_type(StatusCode::OK, HELP, "text/plain; charset=utf-8"),
        ("/events" | "/stats" | "/", _) => method_not_allowed("GET"),
        ("/publish", _) => method_not_allowed("POST"),
        ("/faults", _) => method_not_allowed("GET, POST"),
        _ => error(StatusCode::NOT_FOUND, "not found"),
    };
    Reply::Answer(answer)
}

/// `GET /events`: catch up at once, or hold until an event or the timeout — unless
/// the fault plan picks this request.
async fn events(
    query: Option<&str>,
    shared: &Shared,
    connection: &Arc<Connection>,
    reused: bool,
) -> Reply {
    let query = match parse_events_query(query) {
        Ok(query) => query,
        Err(err) => return Reply::Answer(error(StatusCode::BAD_REQUEST, &err.to_string())),
    };
    match shared.faults.pick(reused) {
        // Boxed, so the normal path's future (ten thousand held ones) stays small.
        Some(fault) => Box::pin(inject::events(fault, &query, shared, connection)).await,
        None => Reply::Answer(json(StatusCode::OK, wait_for_events(&query, shared).await)),
    }
}

/// The body of a real `/events` answer: events after the cursor, at once or after a
/// hold.
pub(super) async fn wait_for_events(query: &EventsQuery, shared: &Shared) -> String {
    let settings = &shared.settings;
    let hold = hold_for(query.timeout, settings.default_hold, settings.max_hold);
    let deadline = Instant::now() + hold.min(LONGEST_HOLD);
    // Subscribe before the first look, so nothing published in between is missed.
    let mut tip = shared.subscribe();
    let after = shared.start_after(query.cursor);
    let mut held = None;
    loop {
        let batch = shared.events_after(after);
        if let Some(last) = batch.last() {
            return events_body(last.seq, &batch);
        }
        if hold.is_zero() {
            break;
        }
        held.get_or_insert_with(|| shared.hold());
        match tokio::time::timeout_at(deadline, tip.changed()).await {
            Ok(Ok(())) => {}
            // Timed out. (`changed` cannot fail: the sender lives in `shared`.)
            Ok(Err(_)) | Err(_) => break,
        }
    }
    events_body(after, &[])
}

/// `{"cursor":C,"events":[…]}` from events already serialized.
pub(super) fn events_body(cursor: u64, events: &[StoredEvent]) -> String {
    let size = events
        .iter()
        .map(|event| event.json.len() + 1)
        .sum::<usize>();
    let mut body = format!(r#"{{"cursor":{cursor},"events":["#);
    body.reserve(size + 2);
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&event.json);
    }
    body.push_str("]}");
    body
}

/// `POST /publish`: the JSON body becomes an event's data.
async fn publish(request: Request<Incoming>, shared: &Shared) -> Answer {
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(data) => {
            let seq = shared.publish(&data);
            json(StatusCode::OK, format!(r#"{{"seq":{seq}}}"#))
        }
        Err(err) => {
            let why = format!("the body must be JSON (it becomes the event's data): {err}");
            error(StatusCode::BAD_REQUEST, &why)
        }
    }
}

/// The body if it fits in [`MAX_PUBLISH_BODY`]. A larger one is still read to its end
/// (up to [`DRAIN_LIMIT`]) before the 413, so a client that writes its whole body
/// before reading gets the answer instead of a reset connection.
async fn read_body(request: Request<Incoming>) -> Result<Vec<u8>, Answer> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|len| len > DRAIN_LIMIT as u64) {
        return Err(too_large());
    }
    let mut body = request.into_body();
    let mut kept = Vec::new();
    let mut received = 0_usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| {
            let why = format!("could not read the request body: {err}");
            error(StatusCode::BAD_REQUEST, &why)
        })?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        received = received.saturating_add(data.len());
        if received > DRAIN_LIMIT {
            break;
        }
        if received <= MAX_PUBLISH_BODY {
            kept.extend_from_slice(&data);
        }
    }
    if received > MAX_PUBLISH_BODY {
        return Err(too_large());
    }
    Ok(kept)
}

/// `POST /faults`: a [`FaultPlan`] as JSON replaces the plan; answers the new status.
async fn set_faults(request: Request<Incoming>, shared: &Shared) -> Answer {
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    let plan = serde_json::from_slice::<FaultPlan>(&body)
        .map_err(|err| format!("the body must be a fault plan: {err}"))
        .and_then(|plan| plan.check().map(|()| plan).map_err(|err| err.to_string()));
    match plan {
        Ok(plan) => {
            log::info!("demo server: fault plan set: {plan:?}");
            shared.faults.set(plan);
            to_json(&shared.faults.status())
        }
        Err(why) => error(StatusCode::BAD_REQUEST, &why),
    }
}

fn too_large() -> Answer {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "the body is larger than 1 MiB",
    )
}

fn method_not_allowed(allow: &'static str) -> Answer {
    let mut answer = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    answer
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    answer
}

fn error(status: StatusCode, message: &str) -> Answer {
    json(status, serde_json::json!({ "error": message }).to_string())
}

fn to_json(value: &impl serde::Serialize) -> Answer {
    match serde_json::to_string(value) {
        Ok(body) => json(StatusCode::OK, body),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()),
    }
}

pub(super) fn json(status: StatusCode, body: String) -> Answer {
    with_type(status, body, "application/json")
}

/// An answer of `status` with `body` of `content_type`, never cached.
pub(super) fn with_type(
    status: StatusCode,
    body: impl Into<Bytes>,
    content_type: &'static str,
) -> Answer {
    with_body(status, Body::full(body), content_type)
}

pub(super) fn with_body(status: StatusCode, body: Body, content_type: &'static str) -> Answer {
    let mut answer = Response::new(body);
    *answer.status_mut() = status;
    let headers = answer.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_joins_stored_events() {
        let events = [
            StoredEvent {
                seq: 3,
                json: Arc::from(r#"{"seq":3}"#),
            },
            StoredEvent {
                seq: 5,
                json: Arc::from(r#"{"seq":5}"#),
            },
        ];
        let body = events_body(5, &events);
        assert_eq!(body, r#"{"cursor":5,"events":[{"seq":3},{"seq":5}]}"#);
        assert_eq!(events_body(9, &[]), r#"{"cursor":9,"events":[]}"#);
    }

    #[test]
    fn errors_are_json_and_not_cached() {
        let answer = error(StatusCode::NOT_FOUND, "not found");
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
        assert_eq!(answer.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(answer.headers()[header::CONTENT_TYPE], "application/json");
    }
}
