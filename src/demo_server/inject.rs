//! The faulty answers to `/events` requests the fault plan picked. None of them lets a
//! client's cursor advance: they carry no event, or the events they carry never
//! arrive whole (a slow body arrives whole, but only after the client's body timeout).

use std::sync::Arc;

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{self, HeaderValue};

use super::body::Body;
use super::faults::Fault;
use super::http::{Answer, LONGEST_HOLD, Reply, json, wait_for_events, with_body, with_type};
use super::io::Connection;
use super::query::EventsQuery;
use super::state::Shared;

/// The page a captive portal or a login redirect would show.
const HTML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\
<body><h1>Please sign in</h1><p>(pollscope demo server: wrong content type, injected \
fault)</p></body></html>\n";

/// Answer (or not) an `/events` request that `fault` spoils.
pub(super) async fn events(
    fault: Fault,
    query: &EventsQuery,
    shared: &Shared,
    connection: &Arc<Connection>,
) -> Reply {
    log::trace!("demo server: injecting {fault} into an /events request");
    let ok = StatusCode::OK;
    let json_type = "application/json";
    let answer = match fault {
        // `pick` never returns `None`; answer normally if it did.
        Fault::None => json(ok, wait_for_events(query, shared).await),
        Fault::CloseOnReuse => return Reply::HangUp,
        Fault::Blackhole => {
            // Dropped sooner when the client hangs up: hyper drops this future.
            tokio::time::sleep(shared.settings.max_hold.min(LONGEST_HOLD)).await;
            return Reply::HangUp;
        }
        Fault::ResetMidBody => {
            let real = Bytes::from(wait_for_events(query, shared).await);
            let body = Body::reset_mid_body(real, Arc::clone(connection));
            with_body(ok, body, json_type)
        }
        Fault::TruncatedChunked => {
            let real = Bytes::from(wait_for_events(query, shared).await);
            with_body(ok, Body::truncated_chunked(real), json_type)
        }
        Fault::SlowBody { bytes_per_s } => {
            let real = Bytes::from(wait_for_events(query, shared).await);
            with_body(ok, Body::trickle(real, bytes_per_s), json_type)
        }
        Fault::HugeBody { bytes } => {
            let cursor = shared.start_after(query.cursor);
            with_body(ok, Body::huge(cursor, bytes), json_type)
        }
        Fault::Status { code } => status(code),
        Fault::TooManyRequests { retry_after_s } => too_many_requests(retry_after_s),
        Fault::MalformedJson => {
            let cursor = shared.start_after(query.cursor);
            // Cut off inside the first event: no seq a lenient parser could take.
            let body = format!(r#"{{"cursor":{cursor},"events":[{{"seq":"#);
            with_type(ok, body, json_type)
        }
        Fault::NonUtf8 => {
            let cursor = shared.start_after(query.cursor);
            let mut body = format!(r#"{{"cursor":{cursor},"events":[],"note":""#).into_bytes();
            body.extend_from_slice(b"\xff\xfe not UTF-8 \xc3\x28\"}");
            with_type(ok, body, json_type)
        }
        Fault::WrongContentType => with_type(ok, HTML_PAGE, "text/html; charset=utf-8"),
    };
    Reply::Answer(answer)
}

/// `code` (checked to be 400–599) with a one-line text body.
fn status(code: u16) -> Answer {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = format!(
        "{} {} (pollscope demo server: injected fault)\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    with_type(status, body, "text/plain; charset=utf-8")
}

fn too_many_requests(retry_after_s: u64) -> Answer {
    let mut answer = status(StatusCode::TOO_MANY_REQUESTS.as_u16());
    answer
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_statuses_are_short_text() {
        let answer = status(502);
        assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
        assert!(
            answer.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let answer = too_many_requests(7);
        assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(answer.headers()[header::RETRY_AFTER], "7");
    }
}
