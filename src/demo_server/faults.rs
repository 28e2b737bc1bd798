//! Fault plans: which deliberate misbehaviour the demo server applies to which `/events`
//! requests (the kinds, their text and JSON forms, their checks) and the per-kind
//! counters. Plain data; the `schedule` module applies a plan.
//!
//! Every fault leaves the client's cursor where it was: either no answer arrives, or
//! the answer is broken, an error, or carries no event. So a client that recovers
//! properly gets every event exactly once on a later poll.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Deliberate server misbehaviour on `/events` requests, so clients' recovery paths can
/// be tested. In JSON: `{"kind": "slow_body", "bytes_per_s": 1}`; on the command line
/// (see [`FromStr`]): `slow-body:1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Behave.
    #[default]
    None,
    /// On a connection that already served a request, close the socket without
    /// answering (NO `Connection: close` before): a server whose idle timeout fires
    /// just as the client reuses the connection. Only such requests count for the
    /// schedule.
    CloseOnReuse,
    /// Status, headers with a `Content-Length`, half of the real answer, then a TCP
    /// reset (`SO_LINGER` 0).
    ResetMidBody,
    /// Chunked transfer: part of the real answer, then a close without the final
    /// chunk.
    TruncatedChunked,
    /// Read the request, never answer; the connection is closed after `max_hold` (or
    /// when the client hangs up).
    Blackhole,
    /// The real answer (after the usual hold), its body trickled at this rate.
    SlowBody {
        /// At least 1.
        bytes_per_s: u64,
    },
    /// At once, a 200 JSON answer without events (`{"cursor":…,"events":[],"padding":
    /// "xxx…"}`) exactly `bytes` long, streamed without being allocated.
    HugeBody {
        /// Body length.
        bytes: u64,
    },
    /// At once, this error status (400–599) with a short plain-text body.
    Status {
        /// e.g. 500, 502, 503.
        code: u16,
    },
    /// At once, 429 with `Retry-After: retry_after_s`.
    TooManyRequests {
        /// Seconds the client is asked to wait.
        retry_after_s: u64,
    },
    /// At once, 200 `application/json` whose body is not JSON.
    MalformedJson,
    /// At once, 200 `application/json` with bytes 0xff 0xfe inside a string.
    NonUtf8,
    /// At once, 200 `text/html` with an HTML page (a captive portal, a login page).
    WrongContentType,
}

/// Names on the command line, in [`Fault::kind`]'s order.
const KIND_NAMES: [&str; Fault::KINDS] = [
    "none",
    "close-on-reuse",
    "reset-mid-body",
    "truncated-chunked",
    "blackhole",
    "slow-body",
    "huge-body",
    "status",
    "too-many-requests",
    "malformed-json",
    "non-utf8",
    "wrong-content-type",
];

impl Fault {
    /// How many kinds there are.
    pub const KINDS: usize = 12;

    /// A dense index per kind, for counters.
    #[must_use]
    pub fn kind(self) -> usize {
        match self {
            Self::None => 0,
            Self::CloseOnReuse => 1,
            Self::ResetMidBody => 2,
            Self::TruncatedChunked => 3,
            Self::Blackhole => 4,
            Self::SlowBody { .. } => 5,
            Self::HugeBody { .. } => 6,
            Self::Status { .. } => 7,
            Self::TooManyRequests { .. } => 8,
            Self::MalformedJson => 9,
            Self::NonUtf8 => 10,
            Self::WrongContentType => 11,
        }
    }

    /// The command-line name of the kind, e.g. `slow-body`.
    #[must_use]
    pub fn name(self) -> &'static str {
        KIND_NAMES[self.kind()]
    }

    /// # Errors
    /// A parameter out of range.
    pub fn check(self) -> Result<(), FaultError> {
        match self {
            Self::SlowBody { bytes_per_s: 0 } => Err(FaultError::Param(
                "slow-body needs a rate of at least 1 byte/s".to_owned(),
            )),
            Self::Status { code } if !(400..=599).contains(&code) => Err(FaultError::Param(
                format!("status needs an error code 400–599, got {code}"),
            )),
            _ => Ok(()),
        }
    }
}

/// `kind` or `kind:param`, e.g. `none`, `reset-mid-body`, `slow-body:1`,
/// `huge-body:1073741824`, `status:503`, `too-many-requests:5`. Underscores work too.
impl FromStr for Fault {
    type Err = FaultError;

    fn from_str(text: &str) -> Result<Self, FaultError> {
        let text = text.trim().to_ascii_lowercase().replace('_', "-");
        let (name, param) = match text.split_once(':') {
            Some((name, param)) => (name, Some(param)),
            None => (text.as_str(), None),
        };
        let number = |what: &str| -> Result<u64, FaultError> {
            let param = param.ok_or_else(|| FaultError::Param(format!("{name}:{what}")))?;
            param
                .parse()
                .map_err(|_| FaultError::Param(format!("{name}:{what} (got {param:?})")))
        };
        let fault = match name {
            "none" => Self::None,
            "close-on-reuse" => Self::CloseOnReuse,
            "reset-mid-body" => Self::ResetMidBody,
            "truncated-chunked" => Self::TruncatedChunked,
            "blackhole" => Self::Blackhole,
            "slow-body" => Self::SlowBody {
                bytes_per_s: number("BYTES_PER_S")?,
            },
            "huge-body" => Self::HugeBody {
                bytes: number("BYTES")?,
            },
            "status" => {
                let code = number("CODE")?;
                let code = u16::try_from(code).map_err(|_| {
                    FaultError::Param(format!("status needs an error code 400–599, got {code}"))
                })?;
                Self::Status { code }
            }
            "too-many-requests" | "429" => Self::TooManyRequests {
                retry_after_s: number("SECONDS")?,
            },
            "malformed-json" => Self::MalformedJson,
            "non-utf8" => Self::NonUtf8,
            "wrong-content-type" => Self::WrongContentType,
            _ => return Err(FaultError::Unknown(text.clone())),
        };
        let takes_param = matches!(
            fault,
            Self::SlowBody { .. }
                | Self::HugeBody { .. }
                | Self::Status { .. }
                | Self::TooManyRequests { .. }
        );
        if param.is_some() && !takes_param {
            return Err(FaultError::Param(format!("{name} takes no parameter")));
        }
        fault.check()?;
        Ok(fault)
    }
}

/// The [`FromStr`] syntax.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name();
        match *self {
            Self::SlowBody { bytes_per_s: n }
            | Self::HugeBody { bytes: n }
            | Self::TooManyRequests { retry_after_s: n } => write!(f, "{name}:{n}"),
            Self::Status { code } => write!(f, "{name}:{code}"),
            _ => f.write_str(name),
        }
    }
}

/// Why a fault or plan was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error(
        "unknown fault {0:?}; known: none, close-on-reuse, reset-mid-body, truncated-chunked, \
         blackhole, slow-body:BYTES_PER_S, huge-body:BYTES, status:CODE, \
         too-many-requests:SECONDS, malformed-json, non-utf8, wrong-content-type"
    )]
    /// No fault of that name.
    Unknown(String),
    /// A fault's parameter is missing or out of range.
    #[error("bad fault parameter: {0}")]
    Param(String),
    /// `every` or `times` is 0.
    #[error("a fault plan needs every ≥ 1 and, if given, times ≥ 1")]
    Schedule,
}

/// Which fault, on which `/events` requests: every `every`th one (counted server-wide
/// from when the plan is set; 1 = all), and at most `times` times (a burst; absent =
/// no limit). After the last of `times` the server behaves again.
///
/// JSON (`POST /faults`): `{"fault": {"kind": "status", "code": 503}, "every": 1,
/// "times": 5}`; `every` defaults to 1, `times` to no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// The misbehaviour.
    pub fault: Fault,
    /// Apply to every Nth counted request (N ≥ 1).
    #[serde(default = "one")]
    pub every: u64,
    /// Stop after this many injections (≥ 1); `None` = never stop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
}

fn one() -> u64 {
    1
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self::always(Fault::None)
    }
}

impl FaultPlan {
    /// `fault` on every request, forever.
    #[must_use]
    pub fn always(fault: Fault) -> Self {
        Self::every(fault, 1)
    }

    /// `fault` on every `n`th request, forever.
    #[must_use]
    pub fn every(fault: Fault, n: u64) -> Self {
        Self {
            fault,
            every: n,
            times: None,
        }
    }

    /// `fault` on the next `k` requests, then behave.
    #[must_use]
    pub fn burst(fault: Fault, k: u64) -> Self {
        Self {
            fault,
            every: 1,
            times: Some(k),
        }
    }

    /// # Errors
    /// `every` or `times` is 0, or the fault's parameter is out of range.
    pub fn check(&self) -> Result<(), FaultError> {
        if self.every == 0 || self.times == Some(0) {
            return Err(FaultError::Schedule);
        }
        self.fault.check()
    }
}

/// The plan in force and its progress, as served by `GET /faults`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FaultStatus {
    /// As last set.
    pub plan: FaultPlan,
    /// Requests counted against the plan since it was set.
    pub counted: u64,
    /// Faults injected under the plan.
    pub injected: u64,
    /// Injections left, if the plan has `times`; 0 = the burst is over.
    pub remaining: Option<u64>,
}

/// Faults injected since start, per kind (part of [`super::ServerStats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultCounts {
    /// Kept-alive connections closed as they were reused.
    pub close_on_reuse: u64,
    /// Connections reset half-way through a body.
    pub reset_mid_body: u64,
    /// Chunked bodies cut before their last chunk.
    pub truncated_chunked: u64,
    /// Requests never answered.
    pub blackhole: u64,
    /// Bodies sent slowly.
    pub slow_body: u64,
    /// Answers padded to a set size (no events).
    pub huge_body: u64,
    /// Error statuses answered.
    pub status: u64,
    /// 429 answers with `Retry-After`.
    pub too_many_requests: u64,
    /// `application/json` bodies that are not JSON.
    pub malformed_json: u64,
    /// JSON bodies with bytes that are not UTF-8.
    pub non_utf8: u64,
    /// HTML pages answered instead of JSON (a captive portal).
    pub wrong_content_type: u64,
}

impl FaultCounts {
    pub(super) fn from_counters(c: &[u64; Fault::KINDS]) -> Self {
        Self {
            close_on_reuse: c[1],
            reset_mid_body: c[2],
            truncated_chunked: c[3],
            blackhole: c[4],
            slow_body: c[5],
            huge_body: c[6],
            status: c[7],
            too_many_requests: c[8],
            malformed_json: c[9],
            non_utf8: c[10],
            wrong_content_type: c[11],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Fault; Fault::KINDS] = [
        Fault::None,
        Fault::CloseOnReuse,
        Fault::ResetMidBody,
        Fault::TruncatedChunked,
        Fault::Blackhole,
        Fault::SlowBody { bytes_per_s: 3 },
        Fault::HugeBody { bytes: 1 << 30 },
        Fault::Status { code: 503 },
        Fault::TooManyRequests { retry_after_s: 7 },
        Fault::MalformedJson,
        Fault::NonUtf8,
        Fault::WrongContentType,
    ];

    #[test]
    fn text_form_round_trips() {
        for (kind, fault) in ALL.iter().enumerate() {
            assert_eq!(fault.kind(), kind);
            assert_eq!(fault.to_string().parse::<Fault>(), Ok(*fault), "{fault}");
        }
        assert_eq!(
            "SLOW_BODY:1".parse(),
            Ok(Fault::SlowBody { bytes_per_s: 1 })
        );
        assert_eq!(
            "429:2".parse(),
            Ok(Fault::TooManyRequests { retry_after_s: 2 })
        );
    }

    #[test]
    fn bad_text_is_refused() {
        for bad in [
            "nope",
            "slow-body",
            "slow-body:0",
            "slow-body:x",
            "status:200",
            "status:70000",
            "blackhole:3",
        ] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
    }

    #[test]
    fn json_form_is_tagged_by_kind() {
        let plan: FaultPlan =
            serde_json::from_str(r#"{"fault":{"kind":"status","code":502},"times":2}"#).unwrap();
        assert_eq!(plan, FaultPlan::burst(Fault::Status { code: 502 }, 2));
        let plan: FaultPlan = serde_json::from_str(r#"{"fault":{"kind":"blackhole"}}"#).unwrap();
        assert_eq!(plan, FaultPlan::always(Fault::Blackhole));
        let text = serde_json::to_string(&FaultPlan::every(Fault::NonUtf8, 3)).unwrap();
        assert_eq!(text, r#"{"fault":{"kind":"non_utf8"},"every":3}"#);
        assert!(serde_json::from_str::<FaultPlan>(r#"{"fault":{"kind":"x"}}"#).is_err());
        assert!(
            serde_json::from_str::<FaultPlan>(r#"{"fault":{"kind":"none"},"evry":2}"#).is_err()
        );
    }

    #[test]
    fn plans_check_their_schedule() {
        assert!(FaultPlan::every(Fault::NonUtf8, 0).check().is_err());
        assert!(FaultPlan::burst(Fault::NonUtf8, 0).check().is_err());
        assert!(
            FaultPlan::always(Fault::Status { code: 302 })
                .check()
                .is_err()
        );
        assert!(
            FaultPlan::burst(Fault::Status { code: 503 }, 3)
                .check()
                .is_ok()
        );
    }
}
