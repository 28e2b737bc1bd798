//! Response bodies of the demo server: one buffer on the normal path, and the cut,
//! trickled and huge bodies the faults need. Implements hyper's `Body`; knows nothing
//! of routing, and of sockets only the reset switch of [`Connection`]. Bodies with
//! timers must be made inside the server's runtime (as handlers are).

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use super::io::Connection;

/// How long a cut body waits after its first part, so hyper flushes that part to the
/// socket before the connection is closed or reset (a reset discards unsent bytes).
const CUT_PAUSE: Duration = Duration::from_millis(100);
/// Shortest step of a trickled body; faster rates send several bytes per step.
const TRICKLE_STEP: Duration = Duration::from_millis(10);
/// Huge bodies are streamed in slices of this one static buffer: no allocation.
static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// A response body.
pub(super) struct Body(Kind);

enum Kind {
    /// The normal path: a buffer sent once.
    Once(Option<Bytes>),
    Cut(Box<Cut>),
    Trickle(Box<Trickle>),
    Huge(Box<Huge>),
}

/// Part of an answer, then an error that makes hyper drop the connection.
struct Cut {
    first: Option<Bytes>,
    /// `Some(len)`: a `Content-Length` of the whole answer; `None`: chunked.
    declared: Option<u64>,
    pause: Pin<Box<Sleep>>,
    /// Reset instead of closing.
    reset: Option<Arc<Connection>>,
}

struct Trickle {
    rest: Bytes,
    total: u64,
    step: usize,
    period: Duration,
    next: Pin<Box<Sleep>>,
}

struct Huge {
    head: Option<Bytes>,
    filler: u64,
    tail: Option<Bytes>,
    total: u64,
}

impl Body {
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self(Kind::Once(Some(bytes.into())))
    }

    /// The first half of `answer` with the whole length declared, then a TCP reset
    /// of `connection`.
    pub fn reset_mid_body(answer: Bytes, connection: Arc<Connection>) -> Self {
        let declared = answer.len() as u64;
        Self::cut(answer, Some(declared), Some(connection))
    }

    /// Chunked: the first half of `answer`, then a close without the final chunk.
    pub fn truncated_chunked(answer: Bytes) -> Self {
        Self::cut(answer, None, None)
    }

    fn cut(mut answer: Bytes, declared: Option<u64>, reset: Option<Arc<Connection>>) -> Self {
        // At least one byte goes out, so the client sees a body begin.
        let half = (answer.len() / 2).max(1).min(answer.len());
        answer.truncate(half);
        Self(Kind::Cut(Box::new(Cut {
            first: Some(answer),
            declared,
            pause: Box::pin(tokio::time::sleep(CUT_PAUSE)),
            reset,
        })))
    }

    /// `answer` at about `bytes_per_s` (≥ 1), the first step at once.
    pub fn trickle(answer: Bytes, bytes_per_s: u64) -> Self {
        let bytes_per_s = bytes_per_s.max(1);
        let steps_per_s = u64::try_from(1_000 / TRICKLE_STEP.as_millis()).unwrap_or(1);
        let (step, period) = if bytes_per_s <= steps_per_s {
            (
                1,
                Duration::from_secs(1) / u32::try_from(bytes_per_s).unwrap_or(1),
            )
        } else {
            let step = usize::try_from(bytes_per_s / steps_per_s).unwrap_or(usize::MAX);
            (step, TRICKLE_STEP)
        };
        Self(Kind::Trickle(Box::new(Trickle {
            total: answer.len() as u64,
            rest: answer,
            step,
            period,
            next: Box::pin(tokio::time::sleep_until(Instant::now())),
        })))
    }

    /// A JSON answer without events, `bytes` long: `{"cursor":C,"events":[],
    /// "padding":"xxx…"}` (just `x`s if `bytes` is too small for that).
    pub fn huge(cursor: u64, bytes: u64) -> Self {
        let head = format!(r#"{{"cursor":{cursor},"events":[],"padding":""#);
        let tail = Bytes::from_static(b"\"}");
        let frame = (head.len() + tail.len()) as u64;
        let huge = if bytes >= frame {
            Huge {
                head: Some(head.into()),
                filler: bytes - frame,
                tail: Some(tail),
                total: bytes,
            }
        } else {
            Huge {
                head: None,
                filler: bytes,
                tail: None,
                total: bytes,
            }
        };
        Self(Kind::Huge(Box::new(huge)))
    }
}

type Polled = Poll<Option<Result<Frame<Bytes>, io::Error>>>;

fn data(bytes: Bytes) -> Polled {
    Poll::Ready(Some(Ok(Frame::data(bytes))))
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Polled {
        match &mut self.0 {
            Kind::Once(bytes) => Poll::Ready(bytes.take().map(|bytes| Ok(Frame::data(bytes)))),
            Kind::Cut(cut) => {
                if let Some(first) = cut.first.take() {
                    return data(first);
                }
                ready!(cut.pause.as_mut().poll(cx));
                if let Some(connection) = &cut.reset {
                    connection.request_reset();
                }
                Poll::Ready(Some(Err(io::Error::other(
                    "body cut short (injected fault)",
                ))))
            }
            Kind::Trickle(trickle) => {
                if trickle.rest.is_empty() {
                    return Poll::Ready(None);
                }
                ready!(trickle.next.as_mut().poll(cx));
                let next = Instant::now() + trickle.period;
                trickle.next.as_mut().reset(next);
                let n = trickle.step.min(trickle.rest.len());
                data(trickle.rest.split_to(n))
            }
            Kind::Huge(huge) => {
                if let Some(head) = huge.head.take() {
                    return data(head);
                }
                if huge.filler > 0 {
                    let n = usize::try_from(huge.filler)
                        .unwrap_or(usize::MAX)
                        .min(FILLER.len());
                    huge.filler -= n as u64;
                    return data(Bytes::from_static(&FILLER[..n]));
                }
                Poll::Ready(huge.tail.take().map(|tail| Ok(Frame::data(tail))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Once(bytes) => bytes.is_none(),
            Kind::Cut(_) => false,
            Kind::Trickle(trickle) => trickle.rest.is_empty(),
            Kind::Huge(huge) => huge.head.is_none() && huge.filler == 0 && huge.tail.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        let exact = match &self.0 {
            Kind::Once(bytes) => Some(bytes.as_ref().map_or(0, |bytes| bytes.len() as u64)),
            Kind::Cut(cut) => cut.declared,
            Kind::Trickle(trickle) => Some(trickle.total),
            Kind::Huge(huge) => Some(huge.total),
        };
        exact.map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    /// Bodies with timers must be made inside a runtime, as the server does.
    fn collect(body: impl FnOnce() -> Body) -> Vec<u8> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let collected = body().collect().await.unwrap();
            collected.to_bytes().to_vec()
        })
    }

    #[test]
    fn huge_body_is_exactly_as_long_as_asked_and_json() {
        for bytes in [0_u64, 5, 40, 41, 1000, 200_000] {
            let body = Body::huge(7, bytes);
            assert_eq!(hyper::body::Body::size_hint(&body).exact(), Some(bytes));
            let collected = collect(|| body);
            assert_eq!(collected.len() as u64, bytes);
            if bytes >= 100 {
                let json: serde_json::Value = serde_json::from_slice(&collected).unwrap();
                assert_eq!(json["cursor"], 7);
                assert_eq!(json["events"], serde_json::json!([]));
            }
        }
    }

    #[test]
    fn trickle_delivers_the_whole_answer() {
        let answer = Bytes::from_static(b"hello world");
        let collected = collect(|| {
            let body = Body::trickle(answer, 1_000);
            assert_eq!(hyper::body::Body::size_hint(&body).exact(), Some(11));
            body
        });
        assert_eq!(collected, b"hello world");
    }

    #[test]
    fn truncated_chunked_sends_half_then_fails() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut body = Body::truncated_chunked(Bytes::from_static(b"0123456789"));
            assert_eq!(hyper::body::Body::size_hint(&body).exact(), None);
            let first = body.frame().await.unwrap().unwrap();
            assert_eq!(first.into_data().unwrap(), Bytes::from_static(b"01234"));
            assert!(body.frame().await.unwrap().is_err());
        });
    }
}
